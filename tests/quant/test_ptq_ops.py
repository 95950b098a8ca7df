"""PTQ of small float graphs through operators that become int8 lookup tables or copies: the int8
program stays within a few output steps of the float model, and host C equals the simulator."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.quant.util import run_built
from toolchain.build import QuantOptions, compile_model
from toolchain.quant.simulate import simulate_batch


def _model(op: str, attrs: dict) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node(op, ["c"], ["u"], **attrs),
             helper.make_node("Transpose", ["u"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Concat", ["t", "t"], ["y"], axis=3)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, 5, 8])], [w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("op,attrs", [("LeakyRelu", {"alpha": 0.1}), ("Elu", {}), ("HardSwish", {}),
                                      ("Sigmoid", {}), ("Tanh", {}), ("Exp", {}), ("Abs", {}), ("Softsign", {})])
def test_lookup_table_ops(tmp_path, op, attrs):
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    onnx.save(_model(op, attrs), path)
    x = np.random.default_rng(1).random((32, 1, 3, 5, 5), dtype=np.float32)
    np.save(tmp_path / "calib.npy", x)
    c = compile_model(path, quant=QuantOptions("int8", str(tmp_path / "calib.npy")))
    kernels = [k.fn for layer in c.program.layers for k in layer.calls]
    assert "mlc_lut_s8" in kernels and "mlc_copy_s8" in kernels, kernels
    got = run_built(c, "host", x[:8])
    assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    step = c.program.outputs[0].scale
    assert np.max(np.abs(got - want)) <= 4 * step, (np.max(np.abs(got - want)) / step)


def test_concat_of_differently_quantized_inputs(tmp_path):
    """Two branches with ranges ten times apart: the Concat stays int8, each input rescaled to the
    calibrated output quantization (mlc_requantize_s8 into scratch, then the strided copy)."""
    import onnxruntime as ort

    rng = np.random.default_rng(2)
    inits = [numpy_helper.from_array(rng.normal(0, s, shape).astype(np.float32), n)
             for n, s, shape in [("w1", 0.5, (4, 3, 3, 3)), ("w2", 0.05, (3, 3, 1, 1)), ("w3", 0.3, (2, 7, 1, 1))]]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["b"]),
             helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
             helper.make_node("Conv", ["cat", "w3"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5, 5])], inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.random((32, 1, 3, 5, 5), dtype=np.float32)
    np.save(tmp_path / "calib.npy", x)
    c = compile_model(path, quant=QuantOptions("int8", str(tmp_path / "calib.npy")))
    concat = next(layer for layer in c.program.layers if layer.op == "Concat")
    # the wide branch sets the output's range, so only the narrow one is rescaled
    assert [k.fn for k in concat.calls] == ["mlc_copy_s8", "mlc_requantize_s8", "mlc_copy_s8"]
    got = run_built(c, "host", x[:8])
    assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    assert np.max(np.abs(got - want)) <= 4 * c.program.outputs[0].scale


def test_reduce_mean_over_consecutive_axes(tmp_path):
    """Keras' GlobalAveragePooling2D exports as ReduceMean over NHWC's H and W: int8 mlc_mean_s8 with the
    channels as its inner axis, the same bytes on the host, in the simulator and on the emulated cortex-m4."""
    import shutil

    import onnxruntime as ort

    from toolchain.boards import load_board

    rng = np.random.default_rng(3)
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, (6, 3, 3, 3)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.normal(0, 0.5, (6, 4)).astype(np.float32), "m")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["c"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("ReduceMean", ["t"], ["r"], axes=[1, 2], keepdims=0),
             helper.make_node("MatMul", ["r", "m"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.random((32, 1, 3, 6, 5), dtype=np.float32)
    np.save(tmp_path / "calib.npy", x)
    quant = QuantOptions("int8", str(tmp_path / "calib.npy"))
    c = compile_model(path, quant=quant)
    mean = [k for layer in c.program.layers if layer.op == "ReduceMean" for k in layer.calls]
    assert [k.fn for k in mean] == ["mlc_mean_s8"] and mean[0].params["inner"] == 6, mean
    got = run_built(c, "host", x[:8])
    assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    assert np.max(np.abs(got - want)) <= 4 * c.program.outputs[0].scale
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        board = compile_model(path, quant=quant, board=load_board("cortex-m4"))
        assert run_built(board, "cortex-m4", x[:4]).tobytes() == got[:4].tobytes()


@pytest.mark.parametrize("slope,table", [(np.full((1,), 0.2), True), (np.full((4, 1, 1), 0.2), True),
                                         (np.array([0.1, 0.2, 0.3, 0.4]).reshape(4, 1, 1), False)],
                         ids=["scalar", "per-channel-equal", "per-channel"])
def test_prelu(tmp_path, slope, table):
    """PRelu with one slope is an int8 table (LeakyRelu's); slopes that differ per channel stay float."""
    import onnxruntime as ort

    rng = np.random.default_rng(4)
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32), "w"),
             numpy_helper.from_array(slope.astype(np.float32), "slope")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("PRelu", ["c", "slope"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 5])], inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.random((32, 1, 3, 5, 5), dtype=np.float32) - 0.5
    np.save(tmp_path / "calib.npy", x)
    c = compile_model(path, quant=QuantOptions("int8", str(tmp_path / "calib.npy")))
    kernels = [k.fn for layer in c.program.layers if layer.op == "PRelu" for k in layer.calls]
    assert kernels == (["mlc_lut_s8"] if table else ["mlc_binary_f32"]), kernels
    got = run_built(c, "host", x[:8])
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    assert np.max(np.abs(got - want)) <= 4 * c.program.outputs[0].scale
    if table:
        assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()


def test_sub(tmp_path):
    """Sub is int8 Add of the negated b: a run-time b's bitwise NOT (exact) into scratch, a constant b
    negated before it is quantized; host, simulator and the emulated cortex-m4 agree byte for byte."""
    import shutil

    import onnxruntime as ort

    from toolchain.boards import load_board

    rng = np.random.default_rng(6)
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.normal(0, 0.2, (4, 3, 1, 1)).astype(np.float32), "w2"),
             numpy_helper.from_array(rng.normal(0, 0.3, (4, 1, 1)).astype(np.float32), "k")]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["b"]),
             helper.make_node("Sub", ["a", "b"], ["d"]),
             helper.make_node("Sub", ["d", "k"], ["e"]),
             helper.make_node("Sub", ["k", "e"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 5])], inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    x = rng.random((32, 1, 3, 5, 5), dtype=np.float32) - 0.5
    np.save(tmp_path / "calib.npy", x)
    quant = QuantOptions("int8", str(tmp_path / "calib.npy"))
    c = compile_model(path, quant=quant)
    subs = [[k.fn for k in layer.calls] for layer in c.program.layers if layer.op == "Sub"]
    assert subs == [["mlc_lut_s8", "mlc_add_s8"], ["mlc_add_s8"], ["mlc_lut_s8", "mlc_add_s8"]], subs
    got = run_built(c, "host", x[:8])
    assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    assert np.max(np.abs(got - want)) <= 4 * c.program.outputs[0].scale
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        board = compile_model(path, quant=quant, board=load_board("cortex-m4"))
        assert run_built(board, "cortex-m4", x[:4]).tobytes() == got[:4].tobytes()
