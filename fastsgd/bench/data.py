"""Datasets for the benchmarks: synthetic dense problems and the MNIST test digits.

A `Dataset` is what every system trains on: the same arrays, the same task. `kind` names the
storage ("dense" today); a sparse maker (CSR) plugs in by registering itself in `MAKERS` and
returning a Dataset with kind="csr" -- systems say which kinds they support.
"""
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Dataset", "TASKS", "MAKERS", "make_dataset", "make_dense", "data_dir",
           "load_mnist", "mnist_split"]

# task -> (fastsgd loss, number of classes; None for regression)
TASKS = {
    "binary": ("log_loss", 2),
    "softmax": ("log_loss", 10),
    "regression": ("squared_error", None),
}


@dataclass
class Dataset:
    name: str
    task: str               # a key of TASKS
    X: object               # (n_samples, n_features): ndarray for "dense"
    y: np.ndarray           # class indices 0..K-1 (float64) or real targets
    kind: str = "dense"

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def n_classes(self):
        return TASKS[self.task][1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def bytes_per_epoch(self):
        """What one pass must read: N * d * itemsize for dense data (the roofline's unit)."""
        return self.X.nbytes if self.kind == "dense" else self.X.data.nbytes


def make_dense(task, n_samples, n_features, dtype=np.float32, seed=0):
    """Gaussian blobs (classification) or a noisy linear target (regression).

    Rows have a squared norm of about 1, so a constant learning rate of 0.01 is stable for
    every loss and batch size (throughput does not depend on what is learned, divergence
    would stop the clock).
    """
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(n_features)
    n_classes = TASKS[task][1]
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32) * np.float32(scale)
    if n_classes is None:
        w = rng.standard_normal(n_features)
        y = X.astype(np.float64) @ w + 0.1 * rng.standard_normal(n_samples)
    else:
        y = rng.integers(0, n_classes, n_samples)
        centers = rng.standard_normal((n_classes, n_features)).astype(np.float32) * scale
        X += centers[y]
        y = y.astype(np.float64)
    return Dataset(f"{task}-dense-{n_samples}x{n_features}-{np.dtype(dtype).name}", task,
                   np.ascontiguousarray(X, dtype=dtype), y)


MAKERS = {"dense": make_dense}


def make_dataset(kind, task, n_samples, n_features, dtype=np.float32, seed=0):
    if kind not in MAKERS:
        raise ValueError(f"no dataset maker for kind {kind!r}; known: {sorted(MAKERS)}")
    return MAKERS[kind](task, n_samples, n_features, dtype=dtype, seed=seed)


def data_dir():
    """The shared real-data folder: $FASTSGD_DATA, else ../shared/data from the repository
    root, else /work/shared/data; None when none exists."""
    candidates = [os.environ.get("FASTSGD_DATA"),
                  Path(__file__).resolve().parents[3] / "shared" / "data",
                  "/work/shared/data"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(dtype=np.float32):
    """The 10,000 MNIST test digits as (X scaled to [0, 1], y), or None when absent."""
    root = data_dir()
    if root is None:
        return None
    images = root / "mnist" / "t10k-images-idx3-ubyte.gz"
    labels = root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        return None
    X = _read_idx(images).reshape(-1, 28 * 28).astype(dtype) / dtype(255)
    y = _read_idx(labels).astype(np.float64)
    return np.ascontiguousarray(X), y


def mnist_split(dtype=np.float32, n_train=8000, seed=0):
    """Stratified 8000/2000 split of the MNIST test digits: (train Dataset, X_test, y_test),
    or None when the data is absent."""
    from sklearn.model_selection import train_test_split
    loaded = load_mnist(dtype)
    if loaded is None:
        return None
    X, y = loaded
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, train_size=n_train, stratify=y,
                                              random_state=seed)
    train = Dataset(f"mnist-{n_train}x784-{np.dtype(dtype).name}", "softmax",
                    np.ascontiguousarray(X_tr), y_tr)
    return train, np.ascontiguousarray(X_te), y_te
