"""`fastsgd bench` / `python -m fastsgd.bench`: fastsgd next to its peers, in one run.

Same data, same epochs, same thread count for every system; repeats are interleaved
(system A, B, C, A, B, C, ... with the order rotated each round) and medians are reported,
with ratios and each fastsgd figure as a fraction of the memory-bandwidth roofline measured in
the same run. Writes results.json, throughput.csv, time_to_accuracy.csv, table.txt and PNG
plots to --out.
"""
import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from .._threads import available_cpus
from . import report
from .data import make_dataset, make_dense, mnist_split
from .grid import FULL, QUICK, build_grid, resolve_threads
from .machine import describe_machine, measure_bandwidth, measure_gemm, roofline_samples_per_s
from .systems import ALL_SYSTEMS

__all__ = ["main", "run"]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="fastsgd bench",
        description="Throughput (samples/s) of fastsgd, scikit-learn, a NumPy loop and PyTorch "
                    "against batch size and threads, with this machine's limits, and time to "
                    "0.89 accuracy on MNIST.")
    parser.add_argument("--quick", action="store_true",
                        help="a small grid (d=784, B in 1/32/512/N): under a minute on 2 cores")
    parser.add_argument("--out", default="bench-results",
                        help="folder for results.json, *.csv, table.txt and *.png "
                             "(default: ./bench-results)")
    parser.add_argument("--threads", default="1,2,all",
                        help="thread counts, comma-separated; 'all' = usable cores "
                             "(default: 1,2,all)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats per measurement (default: 3; quick: 2)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per measurement (default: 3; quick: 2)")
    parser.add_argument("--systems", default=",".join(s.name for s in ALL_SYSTEMS),
                        help="systems to compare (default: all available)")
    parser.add_argument("--tasks", default=None,
                        help="comma-separated subset of binary,softmax,regression")
    parser.add_argument("--no-tta", action="store_true", help="skip time-to-accuracy on MNIST")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return parser.parse_args(argv)


def log(message):
    print(message, file=sys.stderr, flush=True)


def measure_limits(settings, thread_counts):
    """Streaming bandwidth per thread count and peak GEMM per dtype and thread count."""
    limits = {"bandwidth_GBps": {}, "gemm_GFLOPs": {}}
    for t in thread_counts:
        bw = measure_bandwidth(t, nbytes=settings.bandwidth_bytes)
        limits["bandwidth_GBps"][str(t)] = bw
        log(f"  memory bandwidth, {t} thread(s): {bw['bandwidth']:.1f} GB/s "
            f"(read {bw['read']:.1f}, sum {bw['sum']:.1f}, add {bw['add']:.1f})")
    for dtype in ("float32", "float64"):
        limits["gemm_GFLOPs"][dtype] = {}
        for t in thread_counts:
            g = measure_gemm(np.dtype(dtype), t, size=settings.gemm_size)
            limits["gemm_GFLOPs"][dtype][str(t)] = g
            log(f"  peak GEMM {dtype}, {t} thread(s): {g:.1f} GFLOP/s")
    return limits


def warm_up(systems):
    """Import and run each system once on tiny data, so that first-call costs stay out."""
    for task in ("binary", "softmax", "regression"):
        tiny = make_dense(task, 256, 16)
        for system in systems:
            for b in (1, 32):
                if system.supports(tiny, b):
                    system.train(tiny, batch_size=b, epochs=1, threads=1)


def measure_throughput(cases, systems, settings, limits, progress=log):
    """Interleaved repeats over the systems of each case; one record per (case, system)."""
    records = []
    datasets = {}
    for i, case in enumerate(cases, 1):
        key = case.data_key()
        if key not in datasets:
            datasets.clear()  # one dataset in memory at a time (the grid is grouped by data)
            datasets[key] = make_dataset(case.kind, case.task, case.n_samples, case.n_features,
                                         np.dtype(case.dtype), seed=0)
        data = datasets[key]
        todo = [s for s in systems if s.supports(data, case.batch_size)
                and (case.shuffle or s.name in ("fastsgd", "numpy", "torch"))]
        timings = {s.name: [] for s in todo}
        for r in range(settings.repeats):
            shift = r % len(todo) if todo else 0
            for system in todo[shift:] + todo[:shift]:
                timing = system.train(data, batch_size=case.batch_size, epochs=settings.epochs,
                                      threads=case.threads, shuffle=case.shuffle,
                                      time_budget=settings.time_budget)
                timings[system.name].append(timing)
        bandwidth = limits["bandwidth_GBps"][str(case.threads)]["bandwidth"]
        roof = roofline_samples_per_s(bandwidth, case.n_features, np.dtype(case.dtype).itemsize)
        summary = []
        for name, runs in timings.items():
            sps = [t.samples_per_s for t in runs]
            median = statistics.median(sps)
            records.append({
                "system": name, "task": case.task, "kind": case.kind,
                "n_samples": case.n_samples, "n_features": case.n_features,
                "dtype": case.dtype, "batch_size": case.batch_size,
                "batch_label": case.batch_label, "threads": case.threads,
                "shuffle": case.shuffle, "epochs": settings.epochs,
                "repeats": len(runs), "samples_per_s": median, "samples_per_s_runs": sps,
                "epochs_run": statistics.median(t.epochs for t in runs),
                "seconds_median": statistics.median(t.seconds for t in runs),
                "roofline_samples_per_s": roof, "roofline_fraction": median / roof,
            })
            summary.append(f"{name} {report.fmt_rate(median)}")
        progress(f"[{i:3d}/{len(cases)}] {case.task:10s} d={case.n_features:<4d} "
                 f"{case.dtype} B={case.batch_label:<5s} threads={case.threads} "
                 f"{'' if case.shuffle else 'unshuffled '}| " + ", ".join(summary))
    return records


def run_time_to_accuracy(systems, settings, threads, repeats):
    from .accuracy import time_to_accuracy
    split = mnist_split(np.float32)
    if split is None:
        log("time-to-accuracy skipped: MNIST not found (set FASTSGD_DATA to the folder that "
            "holds mnist/t10k-*-ubyte.gz)")
        return None
    train, X_test, y_test = split
    n = train.n_samples
    batch_sizes = [n if b == "N" else b for b in settings.tta_batch_sizes]
    runs, best = time_to_accuracy(systems, train, X_test, y_test, batch_sizes=batch_sizes,
                                  etas=settings.tta_etas, threads=threads,
                                  max_epochs=settings.tta_max_epochs,
                                  time_budget=settings.tta_time_budget, repeats=repeats,
                                  progress=log)
    return {"dataset": train.name, "n_test": len(y_test), "threads": threads,
            "target": 0.89, "runs": runs, "best": best}


def run(argv=None, settings=None):
    """Run the benchmark; returns the results dict (also written to --out).

    `settings` (a grid.Settings) replaces the quick/full profile: tests use a tiny one.
    """
    args = parse_args([] if argv is None else argv)
    profile = "custom" if settings is not None else "quick" if args.quick else "full"
    settings = dataclasses.replace(settings or (QUICK if args.quick else FULL))
    if args.repeats is not None:
        settings.repeats = max(1, args.repeats)
    if args.epochs is not None:
        settings.epochs = max(1, args.epochs)
    if args.tasks:
        settings.tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    thread_counts = resolve_threads(args.threads, available_cpus())
    wanted = {s.strip() for s in args.systems.split(",")}
    systems, skipped = [], {}
    for system in ALL_SYSTEMS:
        reason = system.available() if system.name in wanted else "not requested"
        if reason is None:
            systems.append(system)
        else:
            skipped[system.name] = reason
            if reason != "not requested":
                log(f"skipping {system.name}: {reason}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    log(f"fastsgd bench ({profile}): threads {thread_counts}, "
        f"{settings.repeats} repeats, {settings.epochs} epochs; results to {out}/")
    machine = describe_machine()
    log(f"machine: {machine['cpu_model']}, {machine['logical_cpus']} logical CPUs")
    log("measuring the machine's limits ...")
    limits = measure_limits(settings, thread_counts)
    warm_up(systems)
    cases = build_grid(settings, thread_counts, quick=args.quick)
    log(f"throughput: {len(cases)} cases x {len(systems)} systems ...")
    records = measure_throughput(cases, systems, settings, limits)
    tta = None
    if not args.no_tta:
        log("time to 0.89 test accuracy on MNIST (softmax) ...")
        tta = run_time_to_accuracy(systems, settings, max(thread_counts), settings.repeats)

    results = {
        "command": "fastsgd bench " + " ".join(argv or []),
        "profile": profile,
        "created": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine,
        "limits": limits,
        "settings": {k: v for k, v in vars(settings).items()},
        "systems": {s.name: s.description for s in systems},
        "skipped": skipped,
        "throughput": records,
        "time_to_accuracy": tta,
    }
    results["targets"] = report.targets(results)
    results["seconds_total"] = time.perf_counter() - started
    text = report.render(results)
    print(text)
    report.write(results, text, out)
    if not args.no_plots:
        from .plots import draw_all
        for line in draw_all(results, out):
            log(line)
    log(f"done in {results['seconds_total']:.0f} s; wrote {out}/results.json, throughput.csv, "
        f"table.txt")
    return results


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    run(argv)
    return 0
