"""LLVM backend on the quantized programs: outputs byte-identical to the C backend (and so to the Python
simulator) on the host and on the emulated Cortex-M4."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import requires_shared
from tests.llvm.util import needs_tools
from tests.quant.util import PRE_QUANTIZED, PTQ, calib_inputs, compiled
from toolchain.boards import load_board
from toolchain.build import build
from toolchain.io_arrays import batch_from_arrays
from toolchain.run import execute

pytestmark = requires_shared()


def _both(rel: str, board_name: str, count: int, tmp: Path) -> None:
    c = compiled(rel)
    board = load_board(board_name)
    batch = batch_from_arrays([calib_inputs(rel, count)], c.program.inputs, "x")
    outs = {}
    for emit in ("c", "llvm"):
        res = build(c.source, board, tmp / emit, compiled=c, emit=emit)
        outs[emit] = execute(res, board, batch).outputs
    assert all(a.tobytes() == b.tobytes() for a, b in zip(outs["c"], outs["llvm"])), rel


@pytest.mark.parametrize("rel", PRE_QUANTIZED + sorted(PTQ))
def test_int8_llvm_equals_c_on_host(rel: str, tmp_path: Path) -> None:
    _both(rel, "host", 4, tmp_path)


@pytest.mark.parametrize("rel", [pytest.param(r, marks=needs_tools("cortex-m4"))
                                 for r in ["digits_cnn_qdq.onnx", "digits_mlp.onnx", "bench/kws_dscnn_qdq.onnx"]])
def test_int8_llvm_equals_c_on_cortex_m4(rel: str, tmp_path: Path) -> None:
    _both(rel, "cortex-m4", 2, tmp_path)
