"""MatMulInteger and ConvInteger: int32 results from int8 data, exact (checked bound on the sums)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.ops.util import run_host
from toolchain.build import compile_model


def _model(op: str) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    if op == "MatMulInteger":
        x = helper.make_tensor_value_info("x", TensorProto.INT8, [3, 16])
        w = numpy_helper.from_array(rng.integers(-128, 128, (16, 5)).astype(np.int8), "w")
        y = helper.make_tensor_value_info("y", TensorProto.INT32, [3, 5])
    else:
        x = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 2, 5, 5])
        w = numpy_helper.from_array(rng.integers(-128, 128, (3, 2, 3, 3)).astype(np.int8), "w")
        y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 3, 3, 3])
    xz = numpy_helper.from_array(np.array(3, np.int8), "xz")
    wz = numpy_helper.from_array(np.array(-2, np.int8), "wz")
    node = helper.make_node(op, ["x", "w", "xz", "wz"], ["y"])
    g = helper.make_graph([node], "t", [x], [y], [w, xz, wz])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _check(tmp_path, op: str) -> None:
    import onnxruntime as ort

    m = _model(op)
    path = tmp_path / "model.onnx"
    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(1).integers(-128, 128, (4, *shape)).astype(np.int8)
    got = run_host(m, tmp_path, {"x": x})["y"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.stack([sess.run(None, {"x": x[k]})[0] for k in range(len(x))])
    assert got.dtype == np.int32 and np.array_equal(got, want)
    assert compile_model(path).program.outputs[0].dtype == "int32"


def test_matmul_integer(tmp_path):
    _check(tmp_path, "MatMulInteger")


def test_conv_integer(tmp_path):
    _check(tmp_path, "ConvInteger")
