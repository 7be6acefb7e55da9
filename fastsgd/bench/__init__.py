"""Benchmark harness: `fastsgd bench` (also `python -m fastsgd.bench`).

Compares fastsgd with scikit-learn, a NumPy loop and PyTorch on the same data, epochs and
thread count, against the memory-bandwidth roofline measured in the same run. The pieces
(datasets, systems, machine limits) are also used by the pytest-benchmark suites in `bench/`.
"""
from .runner import main, run

__all__ = ["main", "run"]
