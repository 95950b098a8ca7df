"""Kernel calls without an IR generator (or a parameter case one does not cover) call the C reference kernel
from the LLVM object; activations other than the inline ones call mlc_unary_eval_f32. Same results as C,
including on hard-float targets where those calls pass floats in VFP registers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.llvm.util import assert_same, c_and_llvm, needs_tools


def _model(path: Path) -> Path:
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "b")
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], mode="reflect"),  # mlc_pad_f32: no generator
        helper.make_node("Conv", ["p", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Tanh", ["c"], ["t"]),  # fused: mlc_unary_eval_f32 from IR
        helper.make_node("LpPool", ["t"], ["l"], kernel_shape=[2, 2], p=2),  # avgpool with lp_p: C kernel
        helper.make_node("Sigmoid", ["l"], ["s"]),
        helper.make_node("Hardmax", ["s"], ["h"], axis=-1),  # softmax log == 2: C kernel
        helper.make_node("Add", ["s", "h"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "fallback", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 7, 7])], [w, b, pads])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("board", [pytest.param(b, marks=needs_tools(b)) for b in ["host", "cortex-m4", "cortex-a7"]])
def test_fallback_and_float_calls_match_c(board: str, tmp_path: Path) -> None:
    model = _model(tmp_path / "fallback.onnx")
    x = np.random.default_rng(3).standard_normal((3, 1, 2, 6, 6)).astype(np.float32)
    outs = c_and_llvm(model, board, [x], tmp_path)
    assert_same(outs, f"fallback model on {board}")
    ll = (tmp_path / "llvm" / "model_llvm.ll").read_text()
    for fn in ("mlc_pad_f32", "mlc_avgpool2d_f32", "mlc_softmax_f32", "mlc_unary_eval_f32"):
        assert f'declare i32 @"{fn}"' in ll or f'@"{fn}"(' in ll, fn


@needs_tools("cortex-m4")
def test_generated_files_are_byte_identical(tmp_path: Path) -> None:
    from toolchain.boards import load_board
    from toolchain.build import compile_model, write_project

    model = _model(tmp_path / "fallback.onnx")
    got = []
    for k in range(2):
        out = tmp_path / f"p{k}"
        out.mkdir()
        write_project(compile_model(model), load_board("cortex-m4"), out, emit="llvm")
        got.append({n: (out / n).read_bytes() for n in ("model_llvm.ll", "model_llvm.o", "model_layers.h", "model.c")})
    assert got[0] == got[1]
