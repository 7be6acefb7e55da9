"""Memory a fit needs beyond its data, measured in a fresh subprocess.

Two figures per fit: the peak of Python-side allocations during `fit` (tracemalloc; NumPy
reports its buffers to it: permutations, copies, the model), and the growth of the process's
peak resident set during `fit` over its resident set just before (covers the kernel's C
scratch buffers and thread stacks, which tracemalloc does not see). On Linux the peak is reset
after the data is built (/proc/self/clear_refs), so that temporaries of data generation do
not hide what the fit adds; elsewhere `resource.getrusage` maxrss is used.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["fit_memory"]


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak():
    """Reset the peak RSS to the current RSS; False where the OS cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_kib():
    try:
        return _status_kib("VmHWM")
    except (OSError, KeyError):
        import resource
        scale = 1 if sys.platform != "darwin" else 1024  # bytes on macOS
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale


def _child(spec):
    """Run in the subprocess: build the data, then fit once under measurement."""
    import gc
    import tracemalloc

    import numpy as np

    from .data import make_dataset
    from .systems import ALL_SYSTEMS
    system = {s.name: s for s in ALL_SYSTEMS}[spec["system"]]
    tiny = make_dataset(spec["kind"], spec["task"], 64, 8, np.dtype(spec["dtype"]))
    system.train(tiny, batch_size=1, epochs=1, threads=1)  # imports stay out of the figures
    data = make_dataset(spec["kind"], spec["task"], spec["n_samples"], spec["n_features"],
                        np.dtype(spec["dtype"]))
    gc.collect()
    exact = _reset_peak()
    try:
        rss_before = _status_kib("VmRSS")
    except (OSError, KeyError):
        rss_before = _peak_kib()
    tracemalloc.start()
    system.train(data, batch_size=spec["batch_size"], epochs=spec["epochs"],
                 threads=spec["threads"])
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _peak_kib()
    print(json.dumps({"data_bytes": int(data.bytes_per_epoch),
                      "python_peak_bytes": int(python_peak),
                      "rss_growth_bytes": max(0, peak - rss_before) * 1024,
                      "peak_rss_bytes": peak * 1024, "peak_reset": exact}))


def fit_memory(system="fastsgd", task="binary", n_samples=20_000, n_features=784,
               dtype="float32", batch_size=32, threads=1, epochs=1, kind="dense"):
    """{'data_bytes', 'python_peak_bytes', 'rss_growth_bytes', 'peak_rss_bytes', ...} of one
    fit in a fresh interpreter that imports this same fastsgd."""
    spec = dict(system=system, task=task, n_samples=n_samples, n_features=n_features,
                dtype=dtype, batch_size=batch_size, threads=threads, epochs=epochs, kind=kind)
    root = str(Path(__file__).resolve().parents[2])   # the folder that holds this fastsgd
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    code = f"from fastsgd.bench.memory import _child; _child({spec!r})"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(spec)
    return result
