"""Memory a fit needs beyond its data, against batch size: Python-side peak (tracemalloc) and
peak-RSS growth (covers the kernel's C scratch), each measured in a fresh subprocess.
The benchmark's time is the whole probe (interpreter start included); read `extra_info`."""
import pytest

from fastsgd.bench.memory import fit_memory

from .settings import FULL

BATCH_SIZES = [1, 8, 32, 128, 512, 2048, "N"] if FULL else [1, 512, "N"]
SYSTEMS = ["fastsgd", "numpy", "torch"] if FULL else ["fastsgd"]
N, D = 20_000, 784


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("threads", [1, 2] if FULL else [1], ids=lambda t: f"{t}thr")
@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=lambda b: f"B{b}")
@pytest.mark.parametrize("task", ["binary", "softmax"])
def test_fit_memory(benchmark, task, batch_size, threads, system):
    if system == "torch":
        pytest.importorskip("torch")
    b = N if batch_size == "N" else batch_size
    result = benchmark.pedantic(fit_memory, kwargs=dict(
        system=system, task=task, n_samples=N, n_features=D, dtype="float32", batch_size=b,
        threads=threads), rounds=1, iterations=1)
    benchmark.group = f"memory {task} d={D} float32"
    benchmark.extra_info.update(result)
    benchmark.extra_info["extra_over_data"] = result["rss_growth_bytes"] / result["data_bytes"]
