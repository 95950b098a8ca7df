"""Float models on the emulated boards through `mlc run`, compared with onnxruntime (host tolerance)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.conftest import FLOAT_MODELS, MODELS, ROOT, assert_close, calibration_inputs, ort_outputs, requires_shared
from toolchain.cli import main

pytestmark = [
    requires_shared(),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed"),
]


def _input(rel: str) -> tuple[str, tuple[int, ...]]:
    m = onnx.load(MODELS / rel)
    inits = {i.name for i in m.graph.initializer}
    inp = next(i for i in m.graph.input if i.name not in inits)
    shape = FLOAT_MODELS[rel].get(inp.name) or [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return inp.name, tuple(shape)


def _samples(shape: tuple[int, ...]) -> int:
    # Host-to-guest UART under QEMU moves about 16 KB/s: large inputs get fewer samples.
    nbytes = 4 * int(np.prod(shape))
    return 16 if nbytes <= 8192 else 4 if nbytes <= 16384 else 2


def _run_and_compare(rel: str, board: str, tmp_path: Path) -> None:
    name, shape = _input(rel)
    x = calibration_inputs(rel, shape, _samples(shape))
    np.save(tmp_path / "in.npy", x)
    argv = ["run", str(MODELS / rel), "--board", board, "--input", str(tmp_path / "in.npy"),
            "--output", str(tmp_path / "out.npz")]
    for k, v in FLOAT_MODELS[rel].items():
        argv += ["--input-shape", f"{k}={','.join(map(str, v))}"]
    assert main(argv) == 0
    got = np.load(tmp_path / "out.npz")
    ref = ort_outputs(MODELS / rel, name, x)
    for out, r in zip(onnx.load(MODELS / rel).graph.output, ref):
        assert_close(got[out.name], r, f"{rel} on {board}: {out.name}")


@pytest.mark.parametrize("rel", sorted(FLOAT_MODELS))
def test_every_float_model_on_cortex_m4(rel: str, tmp_path: Path) -> None:
    _run_and_compare(rel, "cortex-m4", tmp_path)


@pytest.mark.parametrize("board", ["cortex-m3", "cortex-m7", "cortex-m33", "cortex-m55"])
@pytest.mark.parametrize("rel", ["digits_cnn.onnx", "bench/kws_dscnn.onnx"])
def test_other_cortex_m_boards(rel: str, board: str, tmp_path: Path) -> None:
    _run_and_compare(rel, board, tmp_path)


def test_digits_cnn_on_cortex_m0(tmp_path: Path) -> None:
    _run_and_compare("digits_cnn.onnx", "cortex-m0", tmp_path)


def test_kws_refused_on_cortex_m0_with_the_ram_it_needs(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "toolchain", "build", str(MODELS / "bench/kws_dscnn.onnx"),
                           "--board", "cortex-m0", "-o", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bytes of RAM" in lines[0] and "16384" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


def test_mlc_test_reports_host_accuracy_on_the_emulated_board(tmp_path: Path) -> None:
    reports = {}
    for board in ("host", "cortex-m4"):
        path = tmp_path / f"{board}.json"
        rc = main(["test", str(MODELS / "digits_cnn.onnx"), "--board", board, "--data",
                   str(MODELS / "digits_data.npz"), "--json", str(path), "--quiet"])
        assert rc == 0
        import json

        reports[board] = json.loads(path.read_text())
    assert reports["cortex-m4"]["accuracy"] == reports["host"]["accuracy"]
    assert reports["cortex-m4"]["inferences"] == 397
    assert reports["cortex-m4"]["count_unit"] == "instructions"


def test_instruction_count_is_identical_across_runs() -> None:
    from toolchain.boards import load_board
    from toolchain.build import build
    from toolchain.device_run import run_batch
    from toolchain.io_arrays import Batch

    board = load_board("cortex-m4")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        res = build(MODELS / "bench/kws_dscnn.onnx", board, Path(tmp) / "out")
        x = calibration_inputs("bench/kws_dscnn.onnx", (1, 1, 49, 10), 3)
        batch = Batch(3, "stacked", [x])
        first = run_batch(res, board, batch).counts
        second = run_batch(res, board, batch).counts
    assert first == second and first[0] > 0
