"""PNG plots of a benchmark run (matplotlib, the `plot` extra; skipped with a message if absent).

- throughput_<task>.png: samples/s against batch size, log-log, one line per system and
  thread count, one panel per (d, dtype); dotted: the memory-bandwidth roofline.
- speedup_threads.png: samples/s on T threads over 1 thread, per system and batch size.
"""
from collections import defaultdict

__all__ = ["draw_all"]

STYLE = {"fastsgd": "C0", "numpy": "C1", "torch": "C2", "sklearn": "C3", "sklearn-mlp": "C4"}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_all(results, out):
    """Draw every plot into `out`; returns lines to report (files written, or why not)."""
    plt = _pyplot()
    if plt is None:
        return ["plots skipped: matplotlib is not installed (pip install 'fastsgd[plot]')"]
    records = [r for r in results["throughput"] if r["shuffle"]]
    lines = []
    for task in sorted({r["task"] for r in records}):
        path = out / f"throughput_{task}.png"
        _throughput(plt, [r for r in records if r["task"] == task], results, task, path)
        lines.append(f"wrote {path}")
    threads = sorted({r["threads"] for r in records})
    if len(threads) > 1:
        path = out / "speedup_threads.png"
        _speedup(plt, records, path)
        lines.append(f"wrote {path}")
    else:
        lines.append("speedup plot skipped: only one thread count was measured")
    return lines


def _throughput(plt, records, results, task, path):
    panels = sorted({(r["kind"], r["n_features"], r["dtype"]) for r in records})
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
    threads = sorted({r["threads"] for r in records})
    for ax, (kind, d, dtype) in zip(axes[0], panels):
        lines = defaultdict(list)
        for r in records:
            if (r["kind"], r["n_features"], r["dtype"]) == (kind, d, dtype):
                lines[(r["system"], r["threads"])].append((r["batch_size"], r["samples_per_s"]))
        for (system, t), points in sorted(lines.items()):
            points.sort()
            xs, ys = zip(*points)
            style = "-" if t == threads[0] else "--" if t == threads[-1] else ":"
            ax.plot(xs, ys, style, marker="o", ms=3 if len(xs) > 1 else 7, color=STYLE.get(system, "k"),
                    label=f"{system}, {t} thr")
        itemsize = 4 if dtype == "float32" else 8
        for t in threads:
            bw = results["limits"]["bandwidth_GBps"][str(t)]["bandwidth"]
            ax.axhline(bw * 1e9 / (d * itemsize), color="gray", lw=0.8,
                       ls="-" if t == threads[0] else "--")
            ax.annotate(f"roofline {t} thr", (1, bw * 1e9 / (d * itemsize)), fontsize=7,
                        color="gray", va="bottom")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size (rightmost = N, batch GD)")
        ax.set_ylabel("training samples / s")
        ax.set_title(f"{task}, d={d}, {dtype}" + ("" if kind == "dense" else f", {kind}"))
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"fastsgd vs peers: {results['machine']['cpu_model']}, "
                 f"{results['machine']['logical_cpus']} CPUs ({results['profile']} run)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _speedup(plt, records, path):
    tasks = sorted({r["task"] for r in records})
    d = max(r["n_features"] for r in records)
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        rates = defaultdict(dict)
        for r in records:
            if r["task"] == task and r["n_features"] == d and r["dtype"] == "float32":
                rates[(r["system"], r["batch_label"])][r["threads"]] = r["samples_per_s"]
        labels = sorted({label for _, label in rates}, key=lambda b: (b == "N", len(b), b))
        markers = dict(zip(labels, "os^vDPX*"))
        top = 1
        for (system, label), by_threads in sorted(rates.items()):
            if 1 not in by_threads or len(by_threads) < 2:
                continue
            ts = sorted(by_threads)
            top = max(top, ts[-1])
            ax.plot(ts, [by_threads[t] / by_threads[1] for t in ts], marker=markers[label],
                    ms=4, color=STYLE.get(system, "k"), alpha=0.35 + 0.65 * (system == "fastsgd"),
                    label=f"{system} B={label}")
        ax.plot([1, top], [1, top], color="gray", lw=0.8, ls=":", label="ideal")
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_xlabel("threads")
        ax.set_ylabel("samples/s over 1 thread")
        ax.set_title(f"{task}, d={d}, float32")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
