"""What to measure: the grid of throughput cases, quick and full.

A `Case` is one point of the grid: task, storage kind, n_samples, d, dtype, batch size,
threads, shuffle. Every system that supports the case is timed on the same Dataset.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["Case", "Settings", "build_grid", "QUICK", "FULL"]


@dataclass(frozen=True)
class Case:
    task: str
    kind: str
    n_samples: int
    n_features: int
    dtype: str
    batch_size: int          # n_samples for batch GD
    threads: int
    shuffle: bool = True

    @property
    def batch_label(self):
        return "N" if self.batch_size == self.n_samples else str(self.batch_size)

    def data_key(self):
        return (self.kind, self.task, self.n_samples, self.n_features, self.dtype)


@dataclass
class Settings:
    """A benchmark profile. `n_samples` maps d to N (data well beyond the last-level cache)."""
    tasks: tuple
    features: tuple
    dtypes: tuple
    batch_sizes: tuple       # "N" means n_samples
    n_samples: dict
    epochs: int
    repeats: int
    time_budget: float       # seconds per measurement before a slow peer stops at a batch end
    unshuffled_batch_sizes: tuple   # binary, d = max(features), float32: the roofline case
    bandwidth_bytes: int
    gemm_size: int
    tta_batch_sizes: tuple
    tta_etas: dict
    tta_max_epochs: int
    tta_time_budget: float
    kinds: tuple = ("dense",)


FULL = Settings(
    tasks=("binary", "softmax", "regression"),
    features=(100, 784),
    dtypes=("float32", "float64"),
    batch_sizes=(1, 8, 32, 128, 512, 2048, "N"),
    n_samples={100: 100_000, 784: 20_000},
    epochs=2, repeats=3, time_budget=0.3,
    unshuffled_batch_sizes=(1, 32, 512, 2048, "N"),
    bandwidth_bytes=256 * 2**20, gemm_size=2048,
    tta_batch_sizes=(1, 8, 32, 128, 512, 2048, "N"),
    # larger batches need larger rates: each batch size tries them all (None = sklearn's
    # default 'optimal' schedule)
    tta_etas={"default": (0.01, 0.03, 0.1, 0.3, 1.0), "sklearn": (None, 0.001, 0.003, 0.01, 0.03)},
    tta_max_epochs=30, tta_time_budget=3.0,
)

QUICK = Settings(
    tasks=("binary", "softmax", "regression"),
    features=(784,),
    dtypes=("float32", "float64"),
    batch_sizes=(1, 32, 512, "N"),
    n_samples={784: 12_000},
    epochs=2, repeats=2, time_budget=0.1,
    unshuffled_batch_sizes=(512, "N"),
    bandwidth_bytes=128 * 2**20, gemm_size=1024,
    tta_batch_sizes=(8, 32, 128),
    tta_etas={"default": (0.1, 0.3), "sklearn": (0.01,)},
    tta_max_epochs=10, tta_time_budget=1.5,
)


def _size(batch_size, n_samples):
    return n_samples if batch_size == "N" else int(batch_size)


def build_grid(settings, threads, quick=False):
    """Cases in measuring order. In quick mode float64 is measured for the binary task only
    (the B = 1 float64 target) to stay under a minute."""
    cases = []
    for task in settings.tasks:
        for kind in settings.kinds:
            for d in settings.features:
                n = settings.n_samples[d]
                for dtype in settings.dtypes:
                    if quick and dtype == "float64" and task != "binary":
                        continue
                    for b in settings.batch_sizes:
                        for t in threads:
                            cases.append(Case(task, kind, n, d, dtype, _size(b, n), t))
    d = max(settings.features)
    n = settings.n_samples[d]
    for b in settings.unshuffled_batch_sizes:
        for t in threads:
            cases.append(Case("binary", "dense", n, d, "float32", _size(b, n), t, shuffle=False))
    return cases


def resolve_threads(spec, cores):
    """'1,2,all' -> sorted unique thread counts (all = cores)."""
    counts = set()
    for part in str(spec).split(","):
        part = part.strip().lower()
        if not part:
            continue
        counts.add(cores if part in ("all", "-1") else int(part))
    if not counts or min(counts) < 1:
        raise ValueError(f"--threads takes positive counts or 'all', got {spec!r}")
    return sorted(counts)


def numpy_dtype(name):
    return np.dtype(name)
