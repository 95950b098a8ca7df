"""Helpers of the LLVM-backend tests: build one model with both backends for a board and run the same inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.conftest import FLOAT_MODELS, MODELS, calibration_inputs
from toolchain.boards import load_board
from toolchain.build import build, compile_model
from toolchain.io_arrays import batch_from_arrays
from toolchain.run import execute

RTOL = 1e-5


def needs_tools(board: str) -> pytest.MarkDecorator:
    b = load_board(board)
    tools = [f"{b.toolchain_prefix}gcc"] if b.toolchain_prefix else ["gcc"]
    if b.is_emulated:
        tools.append("qemu-system-arm")
    elif b.kind == "linux":
        tools.append(str(b.flash["command"][0]))
    missing = [t for t in tools if shutil.which(t) is None]
    return pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not installed (scripts/setup.sh)")


def input_shape(rel: str) -> tuple[str, tuple[int, ...]]:
    m = onnx.load(MODELS / rel)
    inits = {i.name for i in m.graph.initializer}
    inp = next(i for i in m.graph.input if i.name not in inits)
    shape = FLOAT_MODELS[rel].get(inp.name) or [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return inp.name, tuple(shape)


def c_and_llvm(model: Path, board_name: str, inputs: list[np.ndarray], tmp: Path,
               input_shapes: dict[str, list[int]] | None = None) -> dict[str, list[np.ndarray]]:
    """Outputs of the C-backend and LLVM-backend builds of `model` on the board for the stacked `inputs`."""
    board = load_board(board_name)
    compiled = compile_model(model, input_shapes or None)
    batch = batch_from_arrays(inputs, compiled.program.inputs, "test inputs")
    outs = {}
    for emit in ("c", "llvm"):
        res = build(model, board, tmp / emit, compiled=compiled, emit=emit)
        outs[emit] = execute(res, board, batch).outputs
    return outs


def assert_same(outs: dict[str, list[np.ndarray]], what: str) -> None:
    """LLVM equals C within RTOL relative (of the larger of the value and the output's max magnitude/1e3)."""
    for k, (c, ll) in enumerate(zip(outs["c"], outs["llvm"])):
        assert c.shape == ll.shape, f"{what}: output {k} shape {ll.shape} != {c.shape}"
        if not c.size:
            continue
        c64, ll64 = c.astype(np.float64), ll.astype(np.float64)
        scale = np.maximum(np.abs(c64), 1e-3 * float(np.max(np.abs(c64))) + 1e-30)
        rel = float(np.max(np.abs(ll64 - c64) / scale))
        assert rel <= RTOL, f"{what}: output {k} differs from the C backend by {rel:.3g} relative"


def model_inputs(rel: str, count: int) -> list[np.ndarray]:
    _, shape = input_shape(rel)
    return [calibration_inputs(rel, shape, count)]
