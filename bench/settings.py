"""The grid of the pytest-benchmark suites. The default is modest (a couple of minutes on
2 cores); FASTSGD_BENCH_FULL=1 selects the issue's whole grid and every peer."""
import os

from fastsgd._threads import available_cpus
from fastsgd.bench.data import MAKERS

FULL = os.environ.get("FASTSGD_BENCH_FULL", "") not in ("", "0")


def thread_counts():
    return sorted({1, 2, available_cpus()}) if FULL else sorted({1, available_cpus()})


GRID = {
    "task": ["binary", "softmax", "regression"],
    "kind": sorted(MAKERS),          # "dense"; a sparse maker registered there joins the grid
    "n_features": [100, 784],
    "dtype": ["float32", "float64"],
    "batch_size": [1, 8, 32, 128, 512, 2048, "N"] if FULL else [1, 32, 512, "N"],
    "threads": thread_counts(),
    "system": ["fastsgd", "numpy", "torch", "sklearn"] if FULL else ["fastsgd"],
}
N_SAMPLES = {100: 100_000, 784: 20_000}    # data well beyond a 32 MiB last-level cache
ROUNDS = 5 if FULL else 3
