"""Training throughput (samples/s per epoch) over task x storage x d x dtype x batch size x
threads, for fastsgd (and, with FASTSGD_BENCH_FULL=1, its peers). The benchmark's time is one
epoch; `extra_info` holds samples/s (median over rounds) and the data size."""
import statistics

import numpy as np
import pytest

from fastsgd.bench.systems import ALL_SYSTEMS

from .settings import GRID, ROUNDS

SYSTEMS = {s.name: s for s in ALL_SYSTEMS}


@pytest.mark.parametrize("system", GRID["system"])
@pytest.mark.parametrize("threads", GRID["threads"], ids=lambda t: f"{t}thr")
@pytest.mark.parametrize("batch_size", GRID["batch_size"], ids=lambda b: f"B{b}")
@pytest.mark.parametrize("dtype", GRID["dtype"])
@pytest.mark.parametrize("n_features", GRID["n_features"], ids=lambda d: f"d{d}")
@pytest.mark.parametrize("kind", GRID["kind"])
@pytest.mark.parametrize("task", GRID["task"])
def test_epoch_throughput(benchmark, dataset_cache, task, kind, n_features, dtype, batch_size,
                          threads, system):
    runner = SYSTEMS[system]
    reason = runner.available()
    if reason:
        pytest.skip(reason)
    data = dataset_cache(kind, task, n_features, dtype)
    b = data.n_samples if batch_size == "N" else batch_size
    if not runner.supports(data, b):
        pytest.skip(f"{system} does not train {kind} {task} with batch_size={b}")
    # the Python-per-batch peers stop after a second at small batches (stationary cost)
    budget = None if system in ("fastsgd", "sklearn") else 1.0
    timings = []

    def one_epoch():
        timings.append(runner.train(data, batch_size=b, epochs=1, threads=threads,
                                    time_budget=budget))

    benchmark.group = f"{task} {kind} d={n_features} {dtype} threads={threads}"
    benchmark.pedantic(one_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    rates = [t.samples_per_s for t in timings[1:]]
    benchmark.extra_info.update({
        "system": system, "task": task, "kind": kind, "n_samples": data.n_samples,
        "n_features": n_features, "dtype": dtype, "batch_size": b, "threads": threads,
        "samples_per_s": statistics.median(rates), "samples_per_s_runs": rates,
        "bytes_per_epoch": int(data.bytes_per_epoch),
        "epochs_timed": float(np.median([t.epochs for t in timings[1:]])),
    })
