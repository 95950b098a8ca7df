"""--optimize: "speed" builds with the board's fastest kernels at -O2, "size" with the reference kernels at
-Os; the choice reaches the planner (kernel scratch), the generated project and the manifest."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import MODELS, requires_shared
from toolchain.boards import load_board
from toolchain.build import compile_model, write_project
from toolchain.errors import UsageError


def test_size_goal_swaps_the_kernels_and_back():
    m4 = load_board("cortex-m4")
    assert m4.optimize == "speed" and m4.opt_flag == "-O2" and m4.kernels == ("dsp", "ref")
    small = m4.optimized_for("size")
    assert small.kernels == ("ref",) and small.opt_flag == "-Os" and small.name == m4.name
    assert small.optimized_for("speed") == m4.optimized_for("speed").optimized_for("size").optimized_for("speed")
    assert small.optimized_for("speed").kernels == ("dsp", "ref")
    assert m4.optimized_for(None) is m4
    with pytest.raises(UsageError, match="speed, size"):
        m4.optimized_for("tiny")


def test_board_file_may_choose_size(tmp_path):
    src = load_board("cortex-m4").path
    path = tmp_path / "small-m4.toml"
    path.write_text(src.read_text().replace('kind = "qemu"', 'kind = "qemu"\noptimize = "size"', 1))
    b = load_board(str(path))
    assert b.optimize == "size" and b.kernels == ("ref",)
    assert b.optimized_for("speed").kernels == ("dsp", "ref")


@requires_shared()
def test_size_project_has_reference_kernels_and_os(tmp_path):
    board = load_board("cortex-m4").optimized_for("size")
    c = compile_model(MODELS / "digits_cnn_qdq.onnx", board=board)
    assert c.program.scratch == {}  # the reference convolution needs no im2col buffer
    assert compile_model(MODELS / "digits_cnn_qdq.onnx", board=load_board("cortex-m4")).program.scratch
    write_project(c, board, tmp_path)
    sconstruct = (tmp_path / "SConstruct").read_text()
    assert "-Os" in sconstruct and "-O2" not in sconstruct
    kernels = (tmp_path / "mlc_runtime" / "kernels").iterdir()
    assert not any("mlc_dsp" in k.read_text() for k in kernels if k.suffix == ".c")


@requires_shared()
def test_manifest_records_the_goal(tmp_path):
    from toolchain.cli import main

    out = tmp_path / "out"
    assert main(["build", str(MODELS / "digits_mlp_qdq.onnx"), "--board", "host", "--optimize", "size",
                 "-o", str(out), "--quiet"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["optimize"] == "size" and m["kernels"] == ["ref"]


@requires_shared()
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_size_and_speed_builds_give_the_same_outputs(tmp_path, emit):
    """On the emulated Cortex-M4 the reference kernels at -Os (LLVM: no unrolling) compute the same bytes as
    the DSP kernels at -O2."""
    import numpy as np

    from toolchain.cli import main

    x = np.random.default_rng(0).random((3, 1, 8, 8), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = []
    for goal in ("speed", "size"):
        out = tmp_path / f"{goal}.npy"
        assert main(["run", str(MODELS / "digits_cnn_qdq.onnx"), "--board", "cortex-m4", "--optimize", goal, "--emit", emit, "--input",
                     str(tmp_path / "x.npy"), "--output", str(out), "--quiet"]) == 0
        outs.append(np.load(out))
    assert outs[0].tobytes() == outs[1].tobytes()
