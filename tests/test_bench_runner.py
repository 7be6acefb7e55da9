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
