"""pytest-benchmark suite: sparse (CSR) training throughput of fastsgd next to scikit-learn.

    python -m pytest bench/test_sparse_throughput.py --benchmark-only \
        --benchmark-columns=median,ops --benchmark-group-by=param:dataset

One benchmark = 1 epoch of hinge-loss SGD (L2, alpha=1e-5, 'optimal' schedule, 1 thread);
samples/s = n_samples * ops. The peer comparison table with ratios, from one interleaved run,
is ``python bench/sparse_peers.py``.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sparse_peers import as_int32, hashed_text, load_a9a  # noqa: E402

_CACHE = {}


def dataset(name):
    if name not in _CACHE:
        if name == "a9a":
            data = load_a9a()
            if data is None:
                pytest.skip("a9a not found: set FASTSGD_DATA to the shared data folder")
        else:
            data = hashed_text(n_samples=20_000)
        X, y = data
        _CACHE[name] = (X, y, as_int32(X))
    return _CACHE[name]


@pytest.mark.parametrize("dataset_name", ["a9a", "hashed-1M"])
@pytest.mark.parametrize("batch_size", [1, 8, 64, 512])
def test_fastsgd_csr(benchmark, dataset_name, batch_size):
    from fastsgd import LinearTrainer
    X, y, _ = dataset(dataset_name)
    benchmark.group = dataset_name
    benchmark.extra_info.update(n_samples=X.shape[0], nnz=int(X.nnz), batch_size=batch_size)

    def fit():
        return LinearTrainer("hinge", alpha=1e-5, learning_rate="optimal",
                             batch_size=batch_size, max_iter=1, tol=None, random_state=0,
                             n_jobs=1).fit(X, y)

    tr = benchmark.pedantic(fit, rounds=5, iterations=1, warmup_rounds=1)
    assert np.isfinite(tr.coef_).all()


@pytest.mark.parametrize("dataset_name", ["a9a", "hashed-1M"])
def test_sklearn_sgd(benchmark, dataset_name):
    from sklearn.linear_model import SGDClassifier
    _, y, X32 = dataset(dataset_name)
    benchmark.group = dataset_name
    benchmark.extra_info.update(n_samples=X32.shape[0], nnz=int(X32.nnz), batch_size=1)

    def fit():
        return SGDClassifier(loss="hinge", alpha=1e-5, max_iter=1, tol=None,
                             random_state=0).fit(X32, y)

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark.pedantic(fit, rounds=5, iterations=1, warmup_rounds=1)
