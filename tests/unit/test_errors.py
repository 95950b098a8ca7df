"""Bad inputs through the real `mlc` command line, as a user meets them.

Every case runs `python -m toolchain ...` in a subprocess and must end with the documented exit code
(2: usage or model error), exactly one line on stderr, no traceback, and no output left behind: no OUT
directory, no temporary sibling of it (.OUT.*), nothing in the process's TMPDIR.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.conftest import MODELS, ROOT, requires_shared

DIGITS = MODELS / "digits_cnn.onnx"
SINE = MODELS / "thirdparty" / "sine_hello.onnx"
VWW = MODELS / "bench" / "vww_mobilenet025.onnx"


def mlc(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess:
    sys_tmp = tmp_path / "sys_tmp"
    sys_tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(sys_tmp), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "toolchain", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_clean_failure(proc: subprocess.CompletedProcess, tmp_path: Path, *, code: int = 2,
                         leftovers: tuple[str, ...] = ("OUT",)) -> str:
    """The one stderr line, after checking the exit code, the absence of tracebacks and of leftovers."""
    where = f"stdout={proc.stdout!r} stderr={proc.stderr!r}"
    assert proc.returncode == code, where
    assert "Traceback" not in proc.stderr + proc.stdout, where
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected exactly one line on stderr: {where}"
    line = lines[0]
    assert line.startswith("mlc: error: "), f"not a user error message: {line}"
    for name in leftovers:
        assert not (tmp_path / name).exists(), f"{name} was left behind"
        stray = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(f".{name}."))
        assert not stray, f"temporary build directories left behind: {stray}"
    left = list((tmp_path / "sys_tmp").iterdir())
    assert not left, f"left in TMPDIR: {left}"
    return line


def build(tmp_path: Path, model: str | Path, *extra: str | Path) -> str:
    proc = mlc(tmp_path, "build", model, "-o", tmp_path / "OUT", *extra)
    return assert_clean_failure(proc, tmp_path)


def _save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, path)
    return path


# ---- the model file ------------------------------------------------------------------------------


def test_missing_file(tmp_path) -> None:
    line = build(tmp_path, tmp_path / "nope.onnx")
    assert "nope.onnx" in line and "no such file" in line


def test_directory_as_model(tmp_path) -> None:
    (tmp_path / "dir.onnx").mkdir()
    line = build(tmp_path, tmp_path / "dir.onnx")
    assert "dir.onnx" in line


@pytest.mark.parametrize("kind", ["random", "text", "empty"])
def test_not_onnx(tmp_path, kind: str) -> None:
    path = tmp_path / "bad.onnx"
    if kind == "random":
        path.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif kind == "text":
        path.write_text("this is not a model\nreally not\n")
    else:
        path.write_bytes(b"")
    line = build(tmp_path, path)
    assert "bad.onnx" in line and ("ONNX" in line or "onnx" in line)


@requires_shared()
@pytest.mark.parametrize("fraction", [0.001, 0.3, 0.9, 0.999])
def test_truncated_onnx(tmp_path, fraction: float) -> None:
    data = DIGITS.read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[:max(1, int(len(data) * fraction))])
    line = build(tmp_path, path)
    assert "cut.onnx" in line and "truncated" in line


# ---- unsupported operators -------------------------------------------------------------------------


def _single_node_model(node: onnx.NodeProto, inputs, outputs, inits=(), opsets=(("", 17),)) -> onnx.ModelProto:
    graph = helper.make_graph([node], "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def test_custom_domain_operator(tmp_path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("FancyOp", ["r"], ["y"], domain="com.example", name="fancy")], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    line = build(tmp_path, _save(model, tmp_path / "custom.onnx"))
    assert "unsupported" in line and "FancyOp" in line and "fancy" in line


def test_unsupported_standard_operator(tmp_path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
    model = _single_node_model(helper.make_node("Det", ["x"], ["y"], name="det"), [x], [y])
    line = build(tmp_path, _save(model, tmp_path / "det.onnx"))
    assert "unsupported" in line and "Det" in line


def test_unsupported_operator_with_dynamic_output(tmp_path) -> None:
    boxes = helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4, 4])
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 4])
    sel = helper.make_tensor_value_info("sel", TensorProto.INT64, [None, 3])
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["sel"], name="nms")
    line = build(tmp_path, _save(_single_node_model(node, [boxes, scores], [sel]), tmp_path / "nms.onnx"))
    assert "NonMaxSuppression" in line
    assert "unsupported" in line and "--input-shape" not in line


# ---- shapes ----------------------------------------------------------------------------------------


@requires_shared()
def test_symbolic_dimension_without_input_shape(tmp_path) -> None:
    line = build(tmp_path, SINE)
    assert "dense_2_input" in line and re.search(r"\bN\b", line), f"the dimension is not named: {line}"
    assert "--input-shape" in line


@requires_shared()
@pytest.mark.parametrize("spec", ["dense_2_input", "dense_2_input=1,x", "=1,1", "dense_2_input=0,1",
                                  "nope=1,1", "dense_2_input=1,1,1"])
def test_malformed_input_shape(tmp_path, spec: str) -> None:
    line = build(tmp_path, SINE, "--input-shape", spec)
    assert "--input-shape" in line


@requires_shared()
def test_input_shape_conflicting_with_fixed_dimension(tmp_path) -> None:
    line = build(tmp_path, DIGITS, "--input-shape", "input=1,1,8,9")
    assert "axis 3" in line and "8" in line


@requires_shared()
def test_input_shape_conflict_names_the_right_axis(tmp_path) -> None:
    line = build(tmp_path, DIGITS, "--input-shape", "input=1,1,8,1")  # axis 3 is fixed to 8
    assert "axis 3" in line


# ---- boards ----------------------------------------------------------------------------------------


@requires_shared()
def test_unknown_board(tmp_path) -> None:
    line = build(tmp_path, DIGITS, "--board", "no-such-board")
    assert "no-such-board" in line and "host" in line


@requires_shared()
def test_malformed_board_file(tmp_path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\nkind = \n')
    line = build(tmp_path, DIGITS, "--board", path)
    assert "broken.toml" in line


@requires_shared()
def test_board_file_missing_a_key(tmp_path) -> None:
    path = tmp_path / "partial.toml"
    path.write_text('name = "partial"\nkind = "host"\ncore = "native"\nflash_bytes = 1000000\n')
    line = build(tmp_path, DIGITS, "--board", path)
    assert "ram_bytes" in line


@requires_shared()
@pytest.mark.skipif(not (ROOT / "boards" / "cortex-m0.toml").is_file(), reason="no cortex-m0 board")
def test_model_too_big_for_board(tmp_path) -> None:
    line = build(tmp_path, VWW, "--board", "cortex-m0")
    assert "cortex-m0" in line and "RAM" in line


@requires_shared()
def test_board_file_with_unknown_optimize_goal(tmp_path) -> None:
    path = tmp_path / "fast.toml"
    path.write_text('name = "fast"\nkind = "host"\ncore = "native"\nram_bytes = 1000000\nflash_bytes = 1000000\n'
                    'optimize = "ludicrous"\n')
    line = build(tmp_path, DIGITS, "--board", path)
    assert "fast.toml" in line and "speed, size" in line


def _tiny_board(tmp_path: Path, ram_bytes: int) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(f'name = "tiny"\ndescription = "test"\nkind = "host"\ncore = "native"\n'
                    f'ram_bytes = {ram_bytes}\nflash_bytes = 1073741824\nstack_bytes = 0\n'
                    f'[port]\nfamily = "host"\n')
    return path


@requires_shared()
def test_model_too_big_for_board_file(tmp_path) -> None:
    line = build(tmp_path, DIGITS, "--board", _tiny_board(tmp_path, 1024))
    assert "tiny" in line and "1024" in line


@requires_shared()
def test_model_does_not_fit_once_built(tmp_path) -> None:
    """The arena fits, the built program (with its static data) does not: the check after the build
    fails and the half-made project must be removed."""
    from toolchain.build import compile_model

    arena = compile_model(DIGITS).program.arena_size
    line = build(tmp_path, DIGITS, "--board", _tiny_board(tmp_path, arena))
    assert "tiny" in line and "RAM" in line


# ---- mlc run ---------------------------------------------------------------------------------------


def run(tmp_path: Path, model: Path, inp: Path, out: str = "OUT.npy") -> str:
    proc = mlc(tmp_path, "run", model, "--input", inp, "--output", tmp_path / out)
    return assert_clean_failure(proc, tmp_path, leftovers=(out,))


@requires_shared()
def test_run_missing_input_file(tmp_path) -> None:
    line = run(tmp_path, DIGITS, tmp_path / "missing.npy")
    assert "missing.npy" in line


@requires_shared()
@pytest.mark.parametrize("shape", [(2, 3), (1, 1, 1, 8, 8, 1)])
def test_run_input_of_wrong_shape(tmp_path, shape) -> None:
    np.save(tmp_path / "x.npy", np.zeros(shape, np.float32))
    line = run(tmp_path, DIGITS, tmp_path / "x.npy")
    assert "x.npy" in line and "(1, 1, 8, 8)" in line


@requires_shared()
def test_run_npz_missing_the_input_key(tmp_path) -> None:
    np.savez(tmp_path / "x.npz", other=np.zeros((1, 1, 8, 8), np.float32))
    line = run(tmp_path, DIGITS, tmp_path / "x.npz", "OUT.npz")
    assert "input" in line and "other" in line


@requires_shared()
def test_run_input_not_numpy(tmp_path) -> None:
    (tmp_path / "x.npy").write_text("1 2 3\n")
    line = run(tmp_path, DIGITS, tmp_path / "x.npy")
    assert "x.npy" in line


@requires_shared()
def test_run_output_in_missing_folder(tmp_path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    line = run(tmp_path, DIGITS, tmp_path / "x.npy", "nodir/OUT.npy")
    assert "internal error" not in line
