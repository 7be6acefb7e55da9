"""Loaders for the real datasets of ../shared/data (see its README).

The folder is `$FASTSGD_DATA` when set, else `<repo>/../shared/data`; tests that use it skip,
with the reason, when it is absent (a user's clone has no ../shared).
"""
import gzip
import os
from pathlib import Path

import numpy as np
import pytest


def data_dir():
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("FASTSGD_DATA", default))


def _require(relative):
    path = data_dir() / relative
    if not path.exists():
        pytest.skip(f"real data not found: {path} (set FASTSGD_DATA to the folder that holds "
                    f"the shared datasets)")
    return path


def load_mnist_test():
    """The 10,000 MNIST test digits: X uint8 (10000, 784), y uint8 (10000,)."""
    folder = _require("mnist")
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    X = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return X, y


def load_covtype():
    """The 10,000-row covtype slice: X float64 (10000, 54) in raw units, y in 1..7."""
    path = _require("covtype/covtype.csv")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(np.int64)
