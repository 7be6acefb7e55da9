"""The table, the targets block, and the files (JSON, CSV, text) of a benchmark run."""
import csv
import json
from collections import defaultdict

__all__ = ["fmt_rate", "render", "targets", "write", "TABLE_COLUMNS"]

PEERS = ("numpy", "torch", "sklearn", "sklearn-mlp")
TABLE_COLUMNS = ("task", "d", "dtype", "B", "thr", "shuf", "fastsgd", "numpy", "torch",
                 "sklearn", "sklearn-mlp", "x numpy", "x torch", "x sklearn", "x mlp",
                 "% roof")
CSV_COLUMNS = ("system", "task", "kind", "n_samples", "n_features", "dtype", "batch_size",
               "batch_label", "threads", "shuffle", "epochs", "repeats", "samples_per_s",
               "epochs_run", "seconds_median", "roofline_samples_per_s", "roofline_fraction")


def fmt_rate(samples_per_s):
    if samples_per_s is None:
        return "-"
    if samples_per_s >= 1e6:
        return f"{samples_per_s / 1e6:.2f}M"
    if samples_per_s >= 1e3:
        return f"{samples_per_s / 1e3:.0f}k"
    return f"{samples_per_s:.0f}"


def _ratio(a, b):
    return a / b if a is not None and b else None


def _fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def _index(records):
    """{(system, task, kind, d, dtype, B, threads, shuffle): record}."""
    return {(r["system"], r["task"], r["kind"], r["n_features"], r["dtype"], r["batch_size"],
             r["threads"], r["shuffle"]): r for r in records}


def _rate(index, system, task, d, dtype, batch_size, threads, shuffle=True, kind="dense"):
    r = index.get((system, task, kind, d, dtype, batch_size, threads, shuffle))
    return r["samples_per_s"] if r else None


def table_rows(records):
    """One row per case: samples/s of every system, fastsgd's ratios, % of the roofline.
    scikit-learn's SGD is per-sample: its B = 1 figure is the reference at every B."""
    index = _index(records)
    cases = []
    for r in records:
        case = (r["task"], r["kind"], r["n_features"], r["dtype"], r["batch_size"],
                r["batch_label"], r["threads"], r["shuffle"])
        if case not in cases:
            cases.append(case)
    rows = []
    for task, kind, d, dtype, b, label, threads, shuffle in cases:
        rates = {s: _rate(index, s, task, d, dtype, b, threads, shuffle, kind)
                 for s in ("fastsgd",) + PEERS}
        per_sample = _rate(index, "sklearn", task, d, dtype, 1, threads, True, kind)
        fast = rates["fastsgd"]
        fast_record = index.get(("fastsgd", task, kind, d, dtype, b, threads, shuffle))
        rows.append({
            "task": task + ("" if kind == "dense" else f"/{kind}"), "d": d, "dtype": dtype,
            "B": label, "thr": threads, "shuf": "yes" if shuffle else "no",
            **{s: fmt_rate(rates[s]) for s in ("fastsgd",) + PEERS},
            "x numpy": _fmt_ratio(_ratio(fast, rates["numpy"])),
            "x torch": _fmt_ratio(_ratio(fast, rates["torch"])),
            "x sklearn": _fmt_ratio(_ratio(fast, per_sample)),
            "x mlp": _fmt_ratio(_ratio(fast, rates["sklearn-mlp"])),
            "% roof": (f"{100 * fast_record['roofline_fraction']:.0f}%" if fast_record
                       else "-"),
        })
    return rows


def format_table(rows, columns=TABLE_COLUMNS):
    widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) if rows else len(c)
              for c in columns}
    lines = ["  ".join(c.rjust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        lines.append("  ".join(str(row[c]).rjust(widths[c]) for c in columns))
    return "\n".join(lines)


def _target(name, value, goal, unit="x"):
    if value is None:
        return {"name": name, "value": None, "goal": goal, "status": "not measured"}
    return {"name": name, "value": value, "goal": goal,
            "status": "ok" if value >= goal else "MISSED", "unit": unit}


def targets(results):
    """The issue's targets as ratios from this run ('not measured' where the grid lacks them)."""
    index = _index(results["throughput"])
    threads = sorted({r["threads"] for r in results["throughput"]}) or [1]
    d = max((r["n_features"] for r in results["throughput"]), default=784)
    n = max((r["n_samples"] for r in results["throughput"] if r["n_features"] == d), default=0)
    out = []

    def ratio(a, b):
        return _ratio(_rate(index, *a), _rate(index, *b))

    for dtype, goal in (("float64", 1.5), ("float32", 2.0)):
        out.append(_target(f"B=1 binary log_loss d={d} {dtype} 1 thread: fastsgd / sklearn",
                           ratio(("fastsgd", "binary", d, dtype, 1, 1),
                                 ("sklearn", "binary", d, dtype, 1, 1)), goal))
    for t in threads:
        out.append(_target(f"B=1 10-class d={d} float32 {t} thread(s): fastsgd softmax / "
                           f"sklearn one-vs-rest (n_jobs={t})",
                           ratio(("fastsgd", "softmax", d, "float32", 1, t),
                                 ("sklearn", "softmax", d, "float32", 1, t)), 5.0))
    for peer, goal in (("torch", 5.0), ("numpy", 2.0), ("sklearn", 4.0)):
        peer_b = 1 if peer == "sklearn" else 32
        out.append(_target(f"B=32 binary d={d} float32 1 thread: fastsgd / {peer}"
                           + (" (per-sample, B=1)" if peer == "sklearn" else ""),
                           ratio(("fastsgd", "binary", d, "float32", 32, 1),
                                 (peer, "binary", d, "float32", peer_b, 1)), goal))
    big = sorted({r["batch_size"] for r in results["throughput"]
                  if r["batch_size"] >= 512 and r["n_features"] == d})
    for b in big:
        label = "N" if b == n else str(b)
        out.append(_target(f"B={label} binary d={d} float32 1 thread: fastsgd / numpy",
                           ratio(("fastsgd", "binary", d, "float32", b, 1),
                                 ("numpy", "binary", d, "float32", b, 1)), 1.5))
        for shuffle in (True, False):
            rec = index.get(("fastsgd", "binary", "dense", d, "float32", b, 1, shuffle))
            out.append(_target(f"B={label} binary d={d} float32 1 thread "
                               f"{'shuffled' if shuffle else 'unshuffled'}: fastsgd % of "
                               "roofline", rec and 100 * rec["roofline_fraction"], 40.0, "%"))
        for t in threads:
            if t > 1:
                out.append(_target(f"B={label} binary d={d} float32: fastsgd {t} threads / "
                                   "1 thread",
                                   ratio(("fastsgd", "binary", d, "float32", b, t),
                                         ("fastsgd", "binary", d, "float32", b, 1)), 1.6))
    tta = results.get("time_to_accuracy")
    if tta:
        best = {b["system"]: b for b in tta["best"]}
        mine = best.get("fastsgd", {}).get("seconds_median")
        tried = {r["system"] for r in tta["runs"]}
        for peer, rec in best.items():
            if peer == "fastsgd" or peer not in tried:
                continue
            theirs = rec["seconds_median"]
            value = None
            if mine is not None and theirs is not None:
                value = theirs / mine
            elif mine is not None:
                value = float("inf")   # the peer never reached the target
            never = " (the peer never reached it)" if theirs is None else ""
            out.append(_target(f"MNIST time to {tta['target']}: {peer} best / fastsgd best "
                               f"({tta['threads']} threads){never}", value, 1.0))
    return out


def format_targets(items):
    lines = ["TARGETS (issue 5), from this run:"]
    for item in items:
        if item["value"] is None:
            shown = "not measured"
        elif item.get("unit") == "%":
            shown = f"{item['value']:.0f}% (goal >= {item['goal']:.0f}%)"
        else:
            shown = f"{item['value']:.2f}x (goal >= {item['goal']:g}x)"
        status = "" if item["value"] is None else f"  {item['status']}"
        lines.append(f"  {item['name']}: {shown}{status}")
    return "\n".join(lines)


def format_limits(results):
    lines = ["MACHINE: " + results["machine"]["cpu_model"]
             + f", {results['machine']['logical_cpus']} logical CPUs"]
    cfg = results["machine"]["config"]
    blas = [p for p in cfg["threadpools"] if p["user_api"] == "blas"]
    lines.append(f"  OpenMP {'on' if cfg['openmp'] else 'OFF'}; BLAS: "
                 + "; ".join(f"{p['internal_api']} {p['version']} ({p['architecture']})"
                             for p in blas))
    for t, bw in results["limits"]["bandwidth_GBps"].items():
        lines.append(f"  streaming bandwidth, {t} thread(s): {bw['bandwidth']:.1f} GB/s "
                     f"(roofline at d=784: float32 {bw['bandwidth'] * 1e9 / 3136 / 1e6:.2f}M "
                     f"samples/s, float64 {bw['bandwidth'] * 1e9 / 6272 / 1e6:.2f}M)")
    for dtype, by_threads in results["limits"]["gemm_GFLOPs"].items():
        lines.append(f"  peak GEMM {dtype}: " + ", ".join(
            f"{g:.0f} GFLOP/s ({t} thr)" for t, g in by_threads.items()))
    return "\n".join(lines)


def format_tta(tta):
    if not tta:
        return "TIME TO ACCURACY: skipped (MNIST not found or --no-tta)"
    per_b = defaultdict(dict)
    for r in tta["runs"]:
        best = per_b[r["system"]].get(r["batch_size"])
        if r["reached"] and (best is None or r["seconds"] < best):
            per_b[r["system"]][r["batch_size"]] = r["seconds"]
        else:
            per_b[r["system"]].setdefault(r["batch_size"], None)
    sizes = sorted({r["batch_size"] for r in tta["runs"]})
    lines = [f"TIME TO {tta['target']} TEST ACCURACY ({tta['dataset']}, {tta['n_test']} test "
             f"rows, softmax; sklearn = one-vs-rest), training seconds, {tta['threads']} "
             "threads; '-' = not reached within the budget",
             "  system       " + "".join(f"B={b:<9d}" for b in sizes) + "best (median)"]
    best = {b["system"]: b for b in tta["best"]}
    for system, by_b in per_b.items():
        cells = "".join(f"{('-' if by_b.get(b) is None else f'{by_b[b]:.3f}'):11s}"
                        if b in by_b else f"{'':11s}" for b in sizes)
        b = best.get(system, {})
        shown = ("-" if b.get("seconds_median") is None else
                 f"{b['seconds_median']:.3f} s (B={b['batch_size']}, eta={b['eta']})")
        lines.append(f"  {system:12s} {cells}{shown}")
    return "\n".join(lines)


def render(results):
    rows = table_rows(results["throughput"])
    parts = [format_limits(results), "",
             "THROUGHPUT (samples/s, median of interleaved repeats; 'x peer' = fastsgd / peer; "
             "'x sklearn' compares with sklearn's per-sample SGD at B=1, one-vs-rest for "
             "10 classes; '% roof' = fastsgd / memory-bandwidth roofline)",
             format_table(rows), "", format_tta(results.get("time_to_accuracy")), "",
             format_targets(results["targets"])]
    return "\n".join(parts)


def write(results, text, out):
    with open(out / "results.json", "w") as f:
        json.dump(results, f, indent=1, default=str)
    with open(out / "throughput.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(results["throughput"])
    tta = results.get("time_to_accuracy")
    if tta:
        with open(out / "time_to_accuracy.csv", "w", newline="") as f:
            columns = ("system", "batch_size", "eta", "reached", "seconds", "seconds_run",
                       "epochs", "final_accuracy", "best_accuracy")
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(tta["runs"])
    with open(out / "machine.json", "w") as f:
        json.dump({"machine": results["machine"], "limits": results["limits"]}, f, indent=1)
    with open(out / "table.txt", "w") as f:
        f.write(text + "\n")
