"""`mlc bench`: exact, repeatable instruction counts on the emulated board, per-layer figures that add up,
and the JSON keys docs/benchmarks.md lists."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import MODELS, requires_shared
from toolchain.cli import main

pytestmark = [requires_shared(),
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")]

KEYS = {"model", "board", "quantization", "emit", "unit", "count_per_inference", "macs", "macs_per_count",
        "arena_bytes", "arena_lower_bound_bytes", "flash_code_bytes", "flash_constants_bytes", "flash_total_bytes",
        "ram_total_bytes", "compile_seconds", "build_seconds", "layers", "optimize"}


def test_two_bench_runs_print_identical_instruction_counts(tmp_path, capsys):
    model = str(MODELS / "digits_cnn_qdq.onnx")
    reports = []
    for k in range(2):
        out = tmp_path / f"b{k}.json"
        assert main(["bench", model, "--board", "cortex-m4", "--per-layer", "--json", str(out)]) == 0
        reports.append(json.loads(out.read_text()))
    a, b = reports
    assert set(a) == KEYS
    assert a["unit"] == "instructions" and a["count_per_inference"] > 0
    assert a["count_per_inference"] == b["count_per_inference"]
    assert [x["count"] for x in a["layers"]] == [x["count"] for x in b["layers"]]
    assert sum(x["macs"] for x in a["layers"]) == a["macs"]
    # PROFILE's per-layer counts include a counter read each; together they are the inference within 5%
    total = sum(x["count"] for x in a["layers"])
    assert 0.95 * a["count_per_inference"] <= total <= 1.05 * a["count_per_inference"]
    assert a["arena_bytes"] >= a["arena_lower_bound_bytes"] > 0
    assert "MACs per instruction" in capsys.readouterr().out


def test_bench_optimized_for_size_links_the_reference_kernels(tmp_path):
    """--optimize size: the same outputs' model with the reference kernels at -Os: less code, more instructions."""
    model = str(MODELS / "digits_cnn_qdq.onnx")
    figures = {}
    for goal in ("speed", "size"):
        out = tmp_path / f"{goal}.json"
        assert main(["bench", model, "--board", "cortex-m4", "--optimize", goal, "--json", str(out)]) == 0
        figures[goal] = json.loads(out.read_text())
    speed, size = figures["speed"], figures["size"]
    assert speed["optimize"] == "speed" and size["optimize"] == "size"
    assert size["flash_code_bytes"] < speed["flash_code_bytes"]
    assert size["count_per_inference"] > speed["count_per_inference"]
    assert size["flash_constants_bytes"] == speed["flash_constants_bytes"]
