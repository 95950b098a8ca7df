"""Models quantized by onnxruntime.quantization itself, in every format it writes (QDQ and QOperator,
int8 and uint8 activations, per-channel and per-tensor weights), through Conv, Relu, Mul and Add with a
constant, AveragePool, GlobalAveragePool, Flatten, MatMul and Sigmoid: within one output step of
onnxruntime running the quantized graph, byte-identical to the Python simulator, and mostly int8.
Then operators onnxruntime leaves on quantized values or writes as com.microsoft nodes (MaxPool, Resize,
Pad, QLinearConcat, QLinearSoftmax, ArgMax), and a float operator whose output quantization holds a Relu."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.quant.util import ort_as_written
from toolchain.boards import load_board
from toolchain.build import build, compile_model
from toolchain.cli import main
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


def _quantize(src, dst, samples: np.ndarray, fmt: str, act: str, per_channel: bool, weights: str = "QInt8") -> None:
    class Reader(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self.data = iter([{"x": x[None]} for x in samples])

        def get_next(self):
            return next(self.data, None)

    quantization.quantize_static(str(src), str(dst), Reader(), quant_format=getattr(quantization.QuantFormat, fmt),
                                 activation_type=getattr(quantization.QuantType, act),
                                 weight_type=getattr(quantization.QuantType, weights), per_channel=per_channel)


def _host_run(path, c, x: np.ndarray, out_dir):
    board = load_board("host")
    res = build(path, board, out_dir, compiled=c)
    return execute(res, board, batch_from_arrays([x[:, None]], c.program.inputs, "x")).outputs


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantized_model(tmp_path, fmt, act, per_channel):
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)
    _quantize(src, dst, _samples(16, 1)[:, 0], fmt, act, per_channel)
    c = compile_model(dst)
    int8_layers = [layer.op for layer in c.program.layers if any(k.fn.endswith("_s8") for k in layer.calls)]
    assert {"Conv", "Mul", "Add", "AveragePool", "GlobalAveragePool", "MatMul", "Sigmoid"} <= set(int8_layers)
    x = _samples(16, 2)[:, 0]
    got = _host_run(dst, c, x, tmp_path / "out")[0].reshape(16, -1)
    want = ort_as_written(dst, x)
    steps = np.abs(got.astype(np.float64) - want) / c.program.outputs[0].scale
    assert np.mean(steps <= 1 + 1e-3) >= 0.99 and steps.max() <= 2 + 1e-3, steps.max()
    batch = batch_from_arrays([x[:, None]], c.program.inputs, "x")
    assert simulate_batch(c.program, batch.arrays)[0].reshape(got.shape).tobytes() == got.tobytes()


def _movement_model() -> onnx.ModelProto:
    rng = np.random.default_rng(3)

    def w(name: str, shape: tuple[int, ...], sd: float = 0.3) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.normal(0, sd, shape).astype(np.float32), name)

    inits = [w("W1", (6, 3, 3, 3)), w("B1", (6,), 0.1), w("W2", (4, 6, 3, 3)), w("B2", (4,), 0.1),
             w("G", (5, 10)), w("GB", (5,), 0.1), numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc"),
             numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")]
    nodes = [helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Resize", ["p1", "", "sc"], ["u"], mode="nearest"),
             helper.make_node("Pad", ["u", "pads"], ["pp"]),
             helper.make_node("Conv", ["pp", "W2", "B2"], ["c2"]),
             helper.make_node("Concat", ["c2", "r1"], ["cat"], axis=1),
             helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "G", "GB"], ["gm"], transB=1),
             helper.make_node("Softmax", ["gm"], ["y"]),
             helper.make_node("ArgMax", ["gm"], ["best"], axis=1)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5]),
                           helper.make_tensor_value_info("best", TensorProto.INT64, [1, 1])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantized_movement_concat_softmax(tmp_path, fmt, act):
    """QOperator: MaxPool, Resize and Pad on quantized values (Pad's value stored quantized), QLinearConcat
    of differently quantized inputs, QLinearSoftmax and ArgMax of a quantized tensor."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_movement_model(), src)
    rng = np.random.default_rng(4)
    _quantize(src, dst, rng.random((16, 3, 8, 8), dtype=np.float32) * 2 - 0.5, fmt, act, per_channel=True)
    if fmt == "QOperator":
        kinds = {n.op_type for n in onnx.load(dst).graph.node}
        assert {"QLinearConcat", "QLinearSoftmax", "Pad", "Resize"} <= kinds, kinds
    c = compile_model(dst)
    assert any(k.fn == "mlc_copy_s8" for layer in c.program.layers if layer.op == "Concat" for k in layer.calls)
    x = rng.random((8, 3, 8, 8), dtype=np.float32) * 2 - 0.5
    got = _host_run(dst, c, x, tmp_path / "out")
    want = ort_as_written(dst, x)
    steps = np.abs(got[0].reshape(8, -1).astype(np.float64) - want) / c.program.outputs[0].scale
    assert np.mean(steps <= 1 + 1e-3) >= 0.99 and steps.max() <= 2 + 1e-3, steps.max()
    assert np.array_equal(np.asarray(got[1]).reshape(-1), np.argmax(want, axis=1))


def test_float_operator_output_keeps_its_quantization(tmp_path):
    """onnxruntime folds a Relu after ConvTranspose (no int8 kernel) into the output's uint8 zero point 0:
    the float ConvTranspose's output is quantized as the model says, so the Relu's clamp holds."""
    rng = np.random.default_rng(5)
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, s).astype(np.float32), n)
             for n, s in [("W", (4, 2, 3, 3)), ("B", (4,)), ("WT", (4, 3, 3, 3)), ("BT", (3,))]]
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("ConvTranspose", ["r", "WT", "BT"], ["t"], strides=[2, 2], pads=[1, 1, 1, 1],
                              output_padding=[1, 1]),
             helper.make_node("Relu", ["t"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 12, 12])], inits)
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), src)
    _quantize(src, dst, rng.random((16, 2, 6, 6), dtype=np.float32) * 2 - 0.5, "QDQ", "QUInt8", per_channel=True)
    assert "Relu" not in {n.op_type for n in onnx.load(dst).graph.node}
    c = compile_model(dst)
    x = rng.random((8, 2, 6, 6), dtype=np.float32) * 2 - 0.5
    got = _host_run(dst, c, x, tmp_path / "out")[0].reshape(8, -1)
    assert got.min() >= 0.0
    steps = np.abs(got.astype(np.float64) - ort_as_written(dst, x)) / c.program.outputs[0].scale
    assert np.mean(steps <= 1 + 1e-3) >= 0.99 and steps.max() <= 2 + 1e-3, steps.max()


def test_asymmetric_weights_are_requantized_with_a_note(tmp_path, capsys):
    """uint8 weights with a zero point (onnxruntime's QUInt8 weights) leave int8 once it is subtracted: they
    are re-quantized symmetric, the build says so, and the outputs stay within two steps of onnxruntime."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)
    _quantize(src, dst, _samples(16, 1)[:, 0], "QDQ", "QUInt8", per_channel=False, weights="QUInt8")
    c = compile_model(dst)
    assert any(k.startswith("weights ") for k in c.graph.notes), c.graph.notes
    assert "mlc: note: weights '" in capsys.readouterr().err
    x = _samples(16, 2)[:, 0]
    got = _host_run(dst, c, x, tmp_path / "out")[0].reshape(16, -1)
    steps = np.abs(got.astype(np.float64) - ort_as_written(dst, x)) / c.program.outputs[0].scale
    assert steps.max() <= 2 + 1e-3, steps.max()


def test_int16_activations_stay_float_with_their_clamp(tmp_path, capsys):
    """onnxruntime's QInt16 activations: the int8 kernels do not take them, so those tensors stay float,
    clamped to the int16 range (no crash, no silent int8); the build says so."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)
    _quantize(src, dst, _samples(16, 1)[:, 0], "QDQ", "QInt16", per_channel=True)
    c = compile_model(dst)
    assert any("quantized to int16" in n for n in c.graph.notes.values()), c.graph.notes
    assert "mlc: note:" in capsys.readouterr().err
    x = _samples(8, 2)[:, 0]
    got = _host_run(dst, c, x, tmp_path / "out")[0].reshape(8, -1)
    want = ort_as_written(dst, x)
    assert np.max(np.abs(got - want)) <= 1e-3 * np.max(np.abs(want)), np.max(np.abs(got - want))


def test_int4_weights(tmp_path):
    """onnxruntime's QInt4 weights (com.microsoft Quantize/DequantizeLinear, 4-bit initializers): the same
    values as int8 weights, so the model is all int8 and follows onnxruntime within a step."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)
    _quantize(src, dst, _samples(16, 1)[:, 0], "QDQ", "QInt8", per_channel=True, weights="QInt4")
    assert any(i.data_type == TensorProto.INT4 for i in onnx.load(dst).graph.initializer)
    c = compile_model(dst)
    assert not c.graph.notes
    floats = [layer.op for layer in c.program.layers if not any(k.fn.endswith("_s8") for k in layer.calls)]
    assert floats == ["DequantizeLinear"], floats
    x = _samples(8, 2)[:, 0]
    got = _host_run(dst, c, x, tmp_path / "out")[0].reshape(8, -1)
    steps = np.abs(got.astype(np.float64) - ort_as_written(dst, x)) / c.program.outputs[0].scale
    assert np.mean(steps <= 1 + 1e-3) >= 0.99 and steps.max() <= 2 + 1e-3, steps.max()


def test_int4_activations_are_refused(tmp_path):
    from toolchain.errors import ModelError

    inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
             helper.make_tensor("z", TensorProto.INT4, [], [0])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], domain="com.microsoft"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], domain="com.microsoft")]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]),
              path)
    with pytest.raises(ModelError, match="4 bits"):
        compile_model(path)


def _with_integer_io(m: onnx.ModelProto) -> onnx.ModelProto:
    """The quantized model without its input QuantizeLinear and output DequantizeLinear: it reads and writes
    the quantized integers (how a model with int8 or uint8 inputs and outputs looks)."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    (x,), (y,) = g.input, g.output
    q = next(n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == x.name)
    d = next(n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] == y.name)
    x_type, y_type = (inits[n.input[2]].data_type for n in (q, d))
    for n in g.node:
        n.input[:] = [x.name if i == q.output[0] else y.name if i == d.input[0] else i for i in n.input]
        n.output[:] = [y.name if o == d.input[0] else o for o in n.output]
    g.node.remove(q)
    g.node.remove(d)
    x.type.tensor_type.elem_type, y.type.tensor_type.elem_type = x_type, y_type
    return m


@pytest.mark.parametrize("act", ["QInt8", "QUInt8"])
def test_integer_inputs_and_outputs_run_int8(tmp_path, act):
    """A quantized model whose input and output are the int8 (or uint8) integers themselves: every layer
    runs on int8, connected to the integer input and output without a float round trip, and `mlc test`
    on the host and the emulated cortex-m4 finds it within one step of onnxruntime and equal to the Python
    simulator. The scale and zero point of each integer input and output are in the manifest."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_model(), src)
    _quantize(src, dst, _samples(16, 1)[:, 0], "QDQ", act, per_channel=True)
    io = tmp_path / "io.onnx"
    onnx.save(_with_integer_io(onnx.load(dst)), io)
    c = compile_model(io)
    dtype = "int8" if act == "QInt8" else "uint8"
    assert [t.dtype for t in c.program.inputs + c.program.outputs] == [dtype, dtype]
    float_layers = [layer.op for layer in c.program.layers if not any("_s8" in k.fn for k in layer.calls)]
    assert float_layers == [], float_layers  # uint8 is re-based by int8 boundary kernels (q -+ 128)
    rng = np.random.default_rng(7)
    lo, hi = (-128, 128) if dtype == "int8" else (0, 256)
    np.savez(tmp_path / "data.npz", x=rng.integers(lo, hi, (12, 1, 4, 6, 6)).astype(dtype))
    for board in ("host", "cortex-m4"):
        report = tmp_path / f"{board}.json"
        assert main(["test", str(io), "--board", board, "--data", str(tmp_path / "data.npz"),
                     "--json", str(report)]) == 0
        rep = json.loads(report.read_text())
        assert rep["within_one_step"] >= 0.99 and rep["simulator"] == "byte-identical", rep
    res = build(io, load_board("host"), tmp_path / "out", compiled=c)
    manifest = json.loads((res.out / "manifest.json").read_text())
    g = onnx.load(io).graph
    dq = next(n for n in g.node if n.op_type == "DequantizeLinear" and n.input[0] == "x")
    zp = next(numpy_helper.to_array(t) for t in g.initializer if t.name == dq.input[2])
    assert manifest["inputs"][0]["quantization"]["zero_point"] == int(zp)
