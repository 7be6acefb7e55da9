import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def make_regression(n=61, d=7, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.normal(size=d)
    y = X.astype(np.float64) @ w + 0.3 * rng.normal(size=n) + 0.5
    return X, y


def make_classification(n=61, d=7, n_classes=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = 1.5 * rng.normal(size=(n_classes, d))
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    X = (centers[y] + rng.normal(size=(n, d))).astype(dtype)
    return X, y.astype(np.float64)
