"""Plumbing of the `fastsgd bench` runner on a tiny grid: files written, table columns, the
targets block. No timing is asserted (speed is measured in bench/, never tested here)."""
import csv
import json

import pytest

from fastsgd.bench import report, run
from fastsgd.bench.grid import Settings, build_grid, resolve_threads

TINY = Settings(
    tasks=("binary", "softmax", "regression"), features=(16,), dtypes=("float32",),
    batch_sizes=(1, 32, "N"), n_samples={16: 300}, epochs=1, repeats=1, time_budget=0.05,
    unshuffled_batch_sizes=("N",), bandwidth_bytes=4 * 2**20, gemm_size=64,
    tta_batch_sizes=(64,), tta_etas={"default": (0.1,), "sklearn": (0.01,)},
    tta_max_epochs=1, tta_time_budget=0.5,
)


def test_resolve_threads():
    assert resolve_threads("1,2,all", 2) == [1, 2]
    assert resolve_threads("all", 4) == [4]
    with pytest.raises(ValueError):
        resolve_threads("0", 2)


def test_grid_has_the_unshuffled_roofline_case():
    cases = build_grid(TINY, [1])
    assert len(cases) == 3 * 3 + 1
    assert [c.batch_label for c in cases if not c.shuffle] == ["N"]


def test_tiny_run_writes_table_json_csv_and_plots(tmp_path, capsys):
    out = tmp_path / "results"
    results = run(["--out", str(out), "--threads", "1", "--systems", "fastsgd,numpy,sklearn",
                   "--no-tta"], settings=TINY)
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.strip().startswith("task"))
    assert header.split() == [w for c in report.TABLE_COLUMNS for w in c.split()]
    assert "TARGETS (issue 5)" in printed
    for name in ("results.json", "throughput.csv", "table.txt", "machine.json"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "results.json").read_text())
    assert saved["machine"]["config"]["threadpools"] is not None
    assert saved["limits"]["bandwidth_GBps"]["1"]["bandwidth"] > 0
    systems = {r["system"] for r in saved["throughput"]}
    assert systems == {"fastsgd", "numpy", "sklearn"}
    sklearn_b = {r["batch_size"] for r in saved["throughput"] if r["system"] == "sklearn"}
    assert sklearn_b == {1}      # per-sample only
    with open(out / "throughput.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(results["throughput"])
    assert {"samples_per_s", "roofline_fraction", "threads", "batch_size"} <= set(rows[0])
    pytest.importorskip("matplotlib")
    assert (out / "throughput_binary.png").stat().st_size > 0


def test_time_to_accuracy_plumbing(tmp_path):
    from fastsgd.bench.data import data_dir
    if data_dir() is None or not (data_dir() / "mnist").is_dir():
        pytest.skip("MNIST not found: set FASTSGD_DATA to the shared data folder")
    results = run(["--out", str(tmp_path), "--threads", "1", "--systems", "fastsgd,numpy",
                   "--tasks", "binary", "--no-plots"], settings=TINY)
    tta = results["time_to_accuracy"]
    assert {r["system"] for r in tta["runs"]} == {"fastsgd", "numpy"}
    assert (tmp_path / "time_to_accuracy.csv").is_file()
    assert any("MNIST" in t["name"] for t in results["targets"])


def _record(system, task, batch_size, threads, rate, dtype="float32", shuffle=True):
    return {"system": system, "task": task, "kind": "dense", "n_samples": 1000,
            "n_features": 784, "dtype": dtype, "batch_size": batch_size,
            "batch_label": "N" if batch_size == 1000 else str(batch_size), "threads": threads,
            "shuffle": shuffle, "samples_per_s": rate, "roofline_fraction": rate / 1e7}


def test_targets_are_ratios_of_the_right_records():
    records = [_record("fastsgd", "binary", 1, 1, 3e6, "float64"),
               _record("sklearn", "binary", 1, 1, 1e6, "float64"),
               _record("fastsgd", "binary", 32, 1, 4e6), _record("numpy", "binary", 32, 1, 1e6),
               _record("sklearn", "binary", 1, 1, 2e6),
               _record("fastsgd", "binary", 1000, 1, 5e6),
               _record("fastsgd", "binary", 1000, 2, 8e6),
               _record("fastsgd", "binary", 1000, 1, 2e6, shuffle=False)]
    items = {t["name"]: t for t in report.targets({"throughput": records})}
    b1 = items["B=1 binary log_loss d=784 float64 1 thread: fastsgd / sklearn"]
    assert b1["value"] == pytest.approx(3.0) and b1["status"] == "ok"
    b32 = items["B=32 binary d=784 float32 1 thread: fastsgd / numpy"]
    assert b32["value"] == pytest.approx(4.0)
    per_sample = items["B=32 binary d=784 float32 1 thread: fastsgd / sklearn (per-sample, B=1)"]
    assert per_sample["value"] == pytest.approx(2.0) and per_sample["status"] == "MISSED"
    assert items["B=N binary d=784 float32: fastsgd 2 threads / 1 thread"]["value"] == \
        pytest.approx(1.6)
    roof = items["B=N binary d=784 float32 1 thread unshuffled: fastsgd % of roofline"]
    assert roof["value"] == pytest.approx(20.0)
    torch = items["B=32 binary d=784 float32 1 thread: fastsgd / torch"]
    assert torch["value"] is None and torch["status"] == "not measured"
