"""Models quantized by onnxruntime.quantization itself, in every format it writes (QDQ and QOperator,
int8 and uint8 activations, per-channel and per-tensor weights), through Conv, Relu, Mul and Add with a
constant, AveragePool, GlobalAveragePool, Flatten, MatMul and Sigmoid: within one output step of
onnxruntime running the quantized graph, byte-identical to the Python simulator, and mostly int8."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.quant.util import ort_as_written
from toolchain.boards import load_board
from toolchain.build import build, compile_model
from toolchain.io_arrays import batch_from_arrays
from toolchain.quant.simulate import simulate_batch
from toolchain.run import execute

quantization = pytest.importorskip("onnxruntime.quantization")


def _float_model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, (8, 4, 3, 3)).astype(np.float32), "W1"),
             numpy_helper.from_array(rng.normal(0, 0.1, (8,)).astype(np.float32), "B1"),
             numpy_helper.from_array(rng.normal(0, 0.3, (8, 6)).astype(np.float32), "M"),
             numpy_helper.from_array(rng.normal(0, 0.3, (1, 8, 6, 6)).astype(np.float32), "C")]
    nodes = [helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Mul", ["r1", "C"], ["m1"]),
             helper.make_node("Add", ["m1", "r1"], ["a1"]),
             helper.make_node("AveragePool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[1, 1]),
             helper.make_node("GlobalAveragePool", ["p1"], ["g1"]),
             helper.make_node("Flatten", ["g1"], ["f1"]),
             helper.make_node("MatMul", ["f1", "M"], ["mm"]),
             helper.make_node("Sigmoid", ["mm"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _samples(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 1, 4, 6, 6), dtype=np.float32)


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantized_model(tmp_path, fmt, act, per_channel):
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self.data = iter([{"x": x} for x in _samples(16, 1)])

        def get_next(self):
            return next(self.data, None)

    quantization.quantize_static(str(src), str(dst), Reader(), quant_format=getattr(quantization.QuantFormat, fmt),
                                 activation_type=getattr(quantization.QuantType, act),
                                 weight_type=quantization.QuantType.QInt8, per_channel=per_channel)
    c = compile_model(dst)
    int8_layers = [layer.op for layer in c.program.layers if any(k.fn.endswith("_s8") for k in layer.calls)]
    assert {"Conv", "Mul", "Add", "AveragePool", "GlobalAveragePool", "MatMul", "Sigmoid"} <= set(int8_layers)
    x = _samples(16, 2).reshape(16, 1, 4, 6, 6)
    board = load_board("host")
    res = build(dst, board, tmp_path / "out", compiled=c)
    batch = batch_from_arrays([x.reshape(16, 1, 4, 6, 6)], c.program.inputs, "x")
    got = execute(res, board, batch).outputs[0].reshape(16, -1)
    want = ort_as_written(dst, x.reshape(16, 4, 6, 6)[:, None].reshape(16, 1, 4, 6, 6)[:, 0])
    steps = np.abs(got.astype(np.float64) - want) / c.program.outputs[0].scale
    assert np.mean(steps <= 1 + 1e-3) >= 0.99 and steps.max() <= 2 + 1e-3, steps.max()
    assert simulate_batch(c.program, batch.arrays)[0].reshape(got.shape).tobytes() == got.tobytes()
