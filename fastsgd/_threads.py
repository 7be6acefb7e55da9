"""One thread-count knob, `n_jobs`, resolved once per fit (scikit-learn's meaning)."""
import numbers
import os

import numpy as np

from . import _linear


def available_cpus():
    """Cores this process may use (affinity and OMP_NUM_THREADS respected)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _linear.openmp_max_threads()))


def resolve_n_jobs(n_jobs):
    """Threads for the kernels: None or -1 = all cores, -2 = all but one, ..., k >= 1 = k.

    Without OpenMP the kernels are serial and this returns 1.
    """
    if n_jobs is not None and (isinstance(n_jobs, (bool, np.bool_))
                               or not isinstance(n_jobs, numbers.Integral)):
        raise TypeError(f"n_jobs must be None or an integer, got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not valid: use None or -1 for all cores, "
                         "or a positive thread count.")
    if not _linear.openmp_enabled():
        return 1
    cores = available_cpus()
    if n_jobs is None:
        return cores
    if n_jobs < 0:
        return max(1, cores + 1 + int(n_jobs))
    return int(n_jobs)
