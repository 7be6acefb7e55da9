"""Time to accuracy: training seconds until the test accuracy first reaches a target.

MNIST test digits (8000 train / 2000 test, stratified, scaled to [0, 1]), softmax (scikit-
learn's SGDClassifier is one-vs-rest: compared as what a user would pick). Accuracy is measured
at epoch ends and its time is not counted. For each system and batch size the learning rates
in `etas` are tried (a run is cut once it exceeds the best time already found for that batch
size); each system's best (batch size, rate) is then re-timed `repeats` times, interleaved
with the other systems, and the median is reported.
"""
import statistics

import numpy as np

__all__ = ["time_to_accuracy"]


def _run(system, train, X_test, y_test, *, batch_size, eta, threads, target, max_epochs,
         time_budget, seed=0):
    """One training run; returns a record with the training seconds to `target` (None if
    not reached within `max_epochs` epochs or `time_budget` training seconds)."""
    accuracies = []

    def on_epoch(predict):
        accuracies.append(float(np.mean(predict(X_test) == y_test)))
        return accuracies[-1] >= target

    timing = system.train(train, batch_size=batch_size, epochs=max_epochs, threads=threads,
                          eta=eta, seed=seed, time_budget=time_budget, on_epoch=on_epoch)
    reached = bool(accuracies) and accuracies[-1] >= target
    return {"system": system.name, "batch_size": batch_size, "eta": eta,
            "reached": reached, "seconds": timing.seconds if reached else None,
            "seconds_run": timing.seconds, "epochs": timing.epochs,
            "final_accuracy": accuracies[-1] if accuracies else None,
            "best_accuracy": max(accuracies) if accuracies else None}


def _accuracy(value):
    return "no epoch finished" if value is None else f"best accuracy {value:.3f}"


def time_to_accuracy(systems, train, X_test, y_test, *, batch_sizes, etas, threads,
                     target=0.89, max_epochs=30, time_budget=5.0, repeats=3, progress=print):
    """Returns (runs, best): every (system, batch size, eta) run, and per system its best
    configuration re-timed `repeats` times (median seconds)."""
    runs = []
    for system in systems:
        sizes = [b for b in batch_sizes if system.supports(train, b)]
        if not sizes and system.supports(train, 1):
            sizes = [1]                  # per-sample peers (scikit-learn's SGD) run at B = 1
        for batch_size in sizes:
            best_here = None
            for eta in etas.get(system.name, etas["default"]):
                budget = time_budget if best_here is None else min(time_budget, best_here)
                record = _run(system, train, X_test, y_test, batch_size=batch_size, eta=eta,
                              threads=threads, target=target, max_epochs=max_epochs,
                              time_budget=budget)
                runs.append(record)
                if record["reached"]:
                    best_here = min(best_here or np.inf, record["seconds"])
                shown = (f"{record['seconds']:.3f} s ({record['epochs']:.3g} epochs)"
                         if record["reached"] else
                         f"not reached ({_accuracy(record['best_accuracy'])} in "
                         f"{record['seconds_run']:.2f} s, {record['epochs']:.3g} epochs)")
                progress(f"  time-to-{target}: {system.name:11s} B={batch_size:<5d} "
                         f"eta={eta!s:7s} {shown}")
    best_configs = {}
    for record in runs:
        if record["reached"]:
            current = best_configs.get(record["system"])
            if current is None or record["seconds"] < current["seconds"]:
                best_configs[record["system"]] = record
    by_name = {s.name: s for s in systems}
    retimed = {name: [] for name in best_configs}
    for _ in range(repeats):
        for name, record in best_configs.items():
            again = _run(by_name[name], train, X_test, y_test,
                         batch_size=record["batch_size"], eta=record["eta"], threads=threads,
                         target=target, max_epochs=max_epochs, time_budget=None,
                         seed=0)
            if again["reached"]:
                retimed[name].append(again["seconds"])
    best = []
    for name, record in best_configs.items():
        times = retimed[name] or [record["seconds"]]
        best.append({"system": name, "batch_size": record["batch_size"], "eta": record["eta"],
                     "seconds_median": statistics.median(times), "seconds_runs": times,
                     "threads": threads, "target": target})
    for system in systems:
        if system.name not in best_configs:
            best.append({"system": system.name, "batch_size": None, "eta": None,
                         "seconds_median": None, "seconds_runs": [], "threads": threads,
                         "target": target})
    return runs, best
