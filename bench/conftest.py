"""pytest-benchmark suites of fastsgd: `pytest bench/ --benchmark-only` (see bench/README.md).

The default grid is modest (a few minutes on 2 cores); FASTSGD_BENCH_FULL=1 runs the issue's
whole grid. FASTSGD_DATA points at the real-data folder (MNIST); tests that need it skip
without it. The grid, datasets and systems come from `fastsgd.bench`, shared with
`fastsgd bench`; a new storage kind (sparse) is one more entry in `fastsgd.bench.data.MAKERS`.
"""
import numpy as np
import pytest

from fastsgd.bench.data import make_dataset, mnist_split

from .settings import FULL, N_SAMPLES, thread_counts


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
