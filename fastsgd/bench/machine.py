"""This machine: its description and its limits, measured in the same run as the benchmarks.

- Streaming memory bandwidth (STREAM-like): a read-only pass (BLAS dot of an array with itself,
  and numpy's sum) and the STREAM add a = b + c, over arrays much larger than the last-level
  cache, on 1..T threads (Python threads over disjoint slices; NumPy and BLAS release the GIL;
  BLAS held to one thread each).
- Peak GEMM: numpy matmul of square matrices, float32 and float64, with BLAS on T threads.

The roofline of a linear model: one epoch must read N * d * itemsize bytes, so at most
bandwidth / (d * itemsize) samples per second.
"""
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["describe_machine", "measure_bandwidth", "measure_gemm", "roofline_samples_per_s"]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cache_sizes():
    """{'L1d': '96 KiB', ...} from sysfs where available."""
    sizes = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            path = os.path.join(base, entry)
            with open(os.path.join(path, "level")) as f:
                level = f.read().strip()
            with open(os.path.join(path, "type")) as f:
                kind = f.read().strip()
            with open(os.path.join(path, "size")) as f:
                size = f.read().strip()
            name = f"L{level}" + {"Data": "d", "Instruction": "i"}.get(kind, "")
            sizes[name] = size
    except OSError:
        pass
    return sizes


def describe_machine():
    """CPU model, cores, caches, memory, and fastsgd's build (OpenMP, BLAS, threads)."""
    from .._config import config_info
    info = {"cpu_model": cpu_model(), "logical_cpus": os.cpu_count(), "caches": _cache_sizes()}
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages * page / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    info["config"] = config_info()
    info["fastsgd_source"] = _source_revision()
    return info


def _source_revision():
    """`git describe` of the checkout this fastsgd was imported from, when it is one."""
    import subprocess
    from pathlib import Path
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=5, cwd=Path(__file__).resolve().parents[2])
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _parallel(fn, arrays, threads):
    """Run fn on each slice-tuple in `arrays` on `threads` Python threads; seconds taken."""
    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(lambda args: fn(*args), arrays))
        return time.perf_counter() - start


def measure_bandwidth(threads=1, nbytes=256 * 2**20, repeats=5):
    """Best-of-`repeats` streaming bandwidth in GB/s (1e9 bytes/s) on `threads` threads.

    Returns {'read': ..., 'sum': ..., 'add': ..., 'bandwidth': max of them}. 'read' (BLAS dot
    of the array with itself) and 'sum' count the array once; 'add' is STREAM's a = b + c and
    counts 3 arrays (STREAM's convention: 2 reads + 1 write, write-allocate not counted).
    """
    n = nbytes // 4
    a, b, c = (np.ones(n, dtype=np.float32) for _ in range(3))
    cut = np.linspace(0, n, threads + 1).astype(int)
    parts = [slice(cut[i], cut[i + 1]) for i in range(threads)]

    def read(x):
        return float(x @ x)

    kernels = {
        "read": (read, [(a[p],) for p in parts], a.nbytes),
        "sum": (lambda x: float(np.sum(x)), [(a[p],) for p in parts], a.nbytes),
        "add": (lambda out, x, z: np.add(x, z, out=out), [(a[p], b[p], c[p]) for p in parts],
                3 * a.nbytes),
    }
    result = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for name, (fn, args, moved) in kernels.items():
            _parallel(fn, args, threads)  # warm up, touch the pages
            best = min(_parallel(fn, args, threads) for _ in range(repeats))
            result[name] = moved / best / 1e9
    result["bandwidth"] = max(result.values())
    return result


def measure_gemm(dtype=np.float32, threads=1, size=1536, repeats=3):
    """Best-of-`repeats` GFLOP/s of an n x n matmul with BLAS on `threads` threads."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((size, size)).astype(dtype)
    B = rng.standard_normal((size, size)).astype(dtype)
    with threadpool_limits(limits=threads, user_api="blas"):
        A @ B
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            A @ B
            best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def roofline_samples_per_s(bandwidth_gbps, n_features, itemsize):
    """Samples/s if an epoch ran at the streaming bandwidth: each row is read once."""
    return bandwidth_gbps * 1e9 / (n_features * itemsize)
