"""Sparse throughput: fastsgd's CSR kernel against scikit-learn's SGDClassifier, same data,
same run.

Reports training samples/s (epochs x rows / wall time of ``fit``, validation included for
both) against fastsgd's batch size, next to scikit-learn (which is per-sample SGD only, so
its batch size is 1). Repeats are interleaved (fastsgd bs=1, bs=8, ..., sklearn, then again)
so that noise from a shared machine hits every case alike; the table shows medians and the
ratio to scikit-learn. Self-contained: ``python bench/sparse_peers.py [--quick]``, or call
:func:`run` / :func:`sparse_datasets` from another harness.

Datasets: a9a (LIBSVM, 32561 x 123, ~14 nnz/row; from ``$FASTSGD_DATA`` or
``../shared/data``) and a synthetic hashed-text-like matrix (2**20 columns, Zipf-distributed
term ids, ~100 nnz/row, rows l2-normalized like TF-IDF).
"""
import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent


def data_dir():
    env = os.environ.get("FASTSGD_DATA")
    return Path(env) if env else HERE.parent.parent / "shared" / "data"


def load_a9a():
    """(X, y01) of a9a's training file, or None when the data folder is absent."""
    path = data_dir() / "a9a" / "a9a.txt"
    if not path.exists():
        return None
    from fastsgd.datasets import load_svmlight
    X, y = load_svmlight(path, n_features=123)
    return X, (y > 0).astype(np.float64)


def hashed_text(n_samples=50_000, n_features=2 ** 20, mean_nnz=100, seed=0, dtype=np.float64):
    """A bag-of-hashed-words-like CSR matrix: row lengths ~ lognormal around `mean_nnz`,
    term ids from a Zipf law scattered by a hash over `n_features` columns, TF-IDF-like
    values, unit-norm rows; labels from a sparse linear rule with 10% flips."""
    rng = np.random.default_rng(seed)
    lengths = np.maximum(1, rng.lognormal(np.log(mean_nnz), 0.5, n_samples).astype(np.int64))
    total = int(lengths.sum())
    ranks = rng.zipf(1.3, total) % (n_features * 4)
    cols = (ranks * 2654435761) % n_features          # a multiplicative hash of the term id
    rows = np.repeat(np.arange(n_samples), lengths)
    X = sp.csr_array((np.ones(total), (rows, cols)), shape=(n_samples, n_features))
    X.sum_duplicates()                                # term counts, sorted indices
    df = np.bincount(X.indices, minlength=n_features)
    X.data = np.log1p(X.data) * np.log((1 + n_samples) / (1 + df[X.indices]))
    norms = np.sqrt(np.add.reduceat(X.data ** 2, X.indptr[:-1])) if X.nnz else 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr))
    X.data = X.data.astype(dtype)
    w = rng.normal(size=n_features) * (rng.random(n_features) < 0.05)
    score = X @ w
    y = (score > np.median(score)).astype(np.float64)
    flip = rng.random(n_samples) < 0.1
    y[flip] = 1 - y[flip]
    return X, y


def sparse_datasets(quick=False):
    out = {}
    a9a = load_a9a()
    if a9a is not None:
        out["a9a"] = a9a
    out["hashed-1M"] = hashed_text(n_samples=20_000 if quick else 50_000)
    return out


def as_int32(X):
    """scikit-learn's SGD takes only 32-bit indices: one conversion, outside the timing."""
    X = sp.csr_matrix(X)
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X


def time_fastsgd(X, y, batch_size, epochs, loss, alpha, n_jobs):
    from fastsgd import LinearTrainer
    tr = LinearTrainer(loss, penalty="l2", alpha=alpha, learning_rate="optimal",
                       batch_size=batch_size, max_iter=epochs, tol=None, random_state=0,
                       n_jobs=n_jobs)
    t = time.perf_counter()
    tr.fit(X, y)
    return time.perf_counter() - t, tr


def time_sklearn(X, y, epochs, loss, alpha):
    from sklearn.linear_model import SGDClassifier
    clf = SGDClassifier(loss=loss, penalty="l2", alpha=alpha, learning_rate="optimal",
                        max_iter=epochs, tol=None, random_state=0)
    t = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - t, clf


def run(datasets=None, batch_sizes=(1, 8, 64, 512, 4096), epochs=3, repeats=5,
        loss="hinge", alpha=1e-5, n_jobs=1, quick=False, verbose=True):
    """Measure; return a list of dict rows (dataset, peer, batch_size, samples_per_s,
    ratio_to_sklearn, times)."""
    from fastsgd import _linear
    datasets = sparse_datasets(quick) if datasets is None else datasets
    rows = []
    for name, (X, y) in datasets.items():
        n = X.shape[0]
        X32 = as_int32(X)
        cases = [("fastsgd", bs) for bs in batch_sizes if bs <= n] + [("sklearn", 1)]
        times = {c: [] for c in cases}
        # warm-up (page in data, first-call costs), then interleaved repeats
        time_fastsgd(X, y, 64, 1, loss, alpha, n_jobs)
        time_sklearn(X32, y, 1, loss, alpha)
        for _ in range(repeats):
            for peer, bs in cases:
                if peer == "fastsgd":
                    dt, _ = time_fastsgd(X, y, bs, epochs, loss, alpha, n_jobs)
                else:
                    dt, _ = time_sklearn(X32, y, epochs, loss, alpha)
                times[(peer, bs)].append(dt)
        sk = epochs * n / np.median(times[("sklearn", 1)])
        for (peer, bs), ts in times.items():
            sps = epochs * n / np.median(ts)
            rows.append(dict(dataset=name, n_samples=n, n_features=X.shape[1],
                             nnz_per_row=X.nnz / n, peer=peer, batch_size=bs,
                             samples_per_s=sps, ratio_to_sklearn=sps / sk,
                             times=[round(t, 4) for t in ts]))
    if verbose:
        print(f"# sparse SGD throughput, {platform.processor() or platform.machine()}, "
              f"OpenMP={_linear.openmp_enabled()}, n_jobs={n_jobs}, loss={loss}, "
              f"epochs={epochs}, repeats={repeats} (interleaved), medians")
        print(f"{'dataset':<11}{'shape':>20}{'nnz/row':>9}  {'peer':<9}{'batch':>6}"
              f"{'samples/s':>13}{'vs sklearn':>11}")
        for r in rows:
            shape = f"{r['n_samples']}x{r['n_features']}"
            print(f"{r['dataset']:<11}{shape:>20}{r['nnz_per_row']:>9.1f}  {r['peer']:<9}"
                  f"{r['batch_size']:>6}{r['samples_per_s']:>13,.0f}"
                  f"{r['ratio_to_sklearn']:>10.2f}x")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller synthetic set, 3 repeats")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--loss", default="hinge")
    p.add_argument("--n-jobs", type=int, default=1)
    a = p.parse_args(argv)
    run(epochs=a.epochs, repeats=a.repeats or (3 if a.quick else 5), loss=a.loss,
        n_jobs=a.n_jobs, quick=a.quick)


if __name__ == "__main__":
    main()
