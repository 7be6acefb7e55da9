"""pytest-benchmark suites of fastsgd: `pytest bench/ --benchmark-only` (see bench/README.md).

The default grid is modest (a few minutes on 2 cores); FASTSGD_BENCH_FULL=1 runs the issue's
whole grid. FASTSGD_DATA points at the real-data folder (MNIST); tests that need it skip
without it. The grid, datasets and systems come from `fastsgd.bench`, shared with
`fastsgd bench`; a new storage kind (sparse) is one more entry in `fastsgd.bench.data.MAKERS`.
"""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if any((ROOT / "fastsgd").glob("_linear*")) and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # an in-place build (`setup.py build_ext --inplace`)

from fastsgd._threads import available_cpus  # noqa: E402
from fastsgd.bench.data import MAKERS, make_dataset, mnist_split  # noqa: E402

FULL = os.environ.get("FASTSGD_BENCH_FULL", "") not in ("", "0")


def thread_counts():
    return sorted({1, 2, available_cpus()}) if FULL else sorted({1, available_cpus()})


# the throughput grid: FULL is the issue's; the default keeps to a couple of minutes
GRID = {
    "task": ["binary", "softmax", "regression"],
    "kind": sorted(MAKERS),
    "n_features": [100, 784],
    "dtype": ["float32", "float64"],
    "batch_size": [1, 8, 32, 128, 512, 2048, "N"] if FULL else [1, 32, 512, "N"],
    "threads": thread_counts(),
    "system": ["fastsgd", "numpy", "torch", "sklearn"] if FULL else ["fastsgd"],
}
N_SAMPLES = {100: 160_000, 784: 20_000}    # data well beyond a 32 MiB last-level cache
ROUNDS = 5 if FULL else 3


def pytest_report_header(config):
    grid = "FULL" if FULL else "default (FASTSGD_BENCH_FULL=1 for the full grid)"
    return f"fastsgd bench suite: {grid}; threads {thread_counts()}"


@pytest.fixture(scope="session")
def dataset_cache():
    """Datasets by (kind, task, n, d, dtype), built once per session."""
    cache = {}

    def get(kind, task, n_features, dtype, n_samples=None):
        n = n_samples or N_SAMPLES[n_features]
        key = (kind, task, n, n_features, dtype)
        if key not in cache:
            if len(cache) >= 4:          # keep memory bounded
                cache.pop(next(iter(cache)))
            cache[key] = make_dataset(kind, task, n, n_features, np.dtype(dtype))
        return cache[key]

    return get


@pytest.fixture(scope="session")
def mnist():
    split = mnist_split(np.float32)
    if split is None:
        pytest.skip("MNIST test digits not found: set FASTSGD_DATA to the folder holding "
                    "mnist/t10k-images-idx3-ubyte.gz")
    return split
