"""PTQ of small float graphs through operators that become int8 lookup tables, copies, rescales or means:
the int8 program stays within a few output steps of the float model, and host C equals the simulator (and
the emulated cortex-m4, where the test says so)."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.quant.util import run_built
from toolchain.boards import load_board
from toolchain.build import Compiled, QuantOptions, compile_model
from toolchain.quant.simulate import Unsimulated, check_simulatable, simulate_batch

HAVE_M4 = shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc") is not None


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


def _graph_model(nodes, inits: dict[str, np.ndarray], x_shape: list[int], y_shape: list[int]) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
                          [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _ptq_checked(tmp_path, model: onnx.ModelProto, x: np.ndarray, on_m4: bool = False) -> Compiled:
    """Calibrate on x, run 8 samples on the host: the simulator's bytes, within 4 output steps of
    onnxruntime's float model; with on_m4 the emulated cortex-m4's bytes too. The compiled program."""
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    np.save(tmp_path / "calib.npy", x)
    quant = QuantOptions("int8", str(tmp_path / "calib.npy"))
    c = compile_model(path, quant=quant)
    got = run_built(c, "host", x[:8])
    try:
        check_simulatable(c.program)
    except Unsimulated:
        pass  # a float layer stays in the program
    else:
        assert simulate_batch(c.program, [x[:8]])[0].reshape(got.shape).tobytes() == got.tobytes()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([sess.run(None, {"x": x[k]})[0].reshape(1, -1) for k in range(8)])
    assert np.max(np.abs(got - want)) <= 4 * c.program.outputs[0].scale
    if on_m4 and HAVE_M4:
        board = compile_model(path, quant=quant, board=load_board("cortex-m4"))
        assert run_built(board, "cortex-m4", x[:4]).tobytes() == got[:4].tobytes()
    return c


def _calls(c: Compiled, op: str) -> list[list[str]]:
    return [[k.fn for k in layer.calls] for layer in c.program.layers if layer.op == op]


def test_concat_of_differently_quantized_inputs(tmp_path):
    """Two branches with ranges ten times apart: the Concat stays int8, each input rescaled to the
    calibrated output quantization (mlc_requantize_s8 into scratch, then the strided copy)."""
    rng = np.random.default_rng(2)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["b"]),
             helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
             helper.make_node("Conv", ["cat", "w3"], ["y"])]
    inits = {"w1": rng.normal(0, 0.5, (4, 3, 3, 3)), "w2": rng.normal(0, 0.05, (3, 3, 1, 1)),
             "w3": rng.normal(0, 0.3, (2, 7, 1, 1))}
    c = _ptq_checked(tmp_path, _graph_model(nodes, inits, [1, 3, 5, 5], [1, 2, 5, 5]),
                     rng.random((32, 1, 3, 5, 5), dtype=np.float32))
    # the wide branch sets the output's range, so only the narrow one is rescaled
    assert _calls(c, "Concat") == [["mlc_copy_s8", "mlc_requantize_s8", "mlc_copy_s8"]]


def test_reduce_mean_over_consecutive_axes(tmp_path):
    """Keras' GlobalAveragePooling2D exports as ReduceMean over NHWC's H and W: int8 mlc_mean_s8 with the
    channels as its inner axis."""
    rng = np.random.default_rng(3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["c"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("ReduceMean", ["t"], ["r"], axes=[1, 2], keepdims=0),
             helper.make_node("MatMul", ["r", "m"], ["y"])]
    inits = {"w": rng.normal(0, 0.5, (6, 3, 3, 3)), "m": rng.normal(0, 0.5, (6, 4))}
    c = _ptq_checked(tmp_path, _graph_model(nodes, inits, [1, 3, 6, 5], [1, 4]),
                     rng.random((32, 1, 3, 6, 5), dtype=np.float32), on_m4=True)
    mean = [k for layer in c.program.layers if layer.op == "ReduceMean" for k in layer.calls]
    assert [k.fn for k in mean] == ["mlc_mean_s8"] and mean[0].params["inner"] == 6, mean


@pytest.mark.parametrize("slope,table", [(np.full((1,), 0.2), True), (np.full((4, 1, 1), 0.2), True),
                                         (np.array([0.1, 0.2, 0.3, 0.4]).reshape(4, 1, 1), False)],
                         ids=["scalar", "per-channel-equal", "per-channel"])
def test_prelu(tmp_path, slope, table):
    """PRelu with one slope is an int8 table (LeakyRelu's); slopes that differ per channel stay float."""
    rng = np.random.default_rng(4)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("PRelu", ["c", "slope"], ["y"])]
    inits = {"w": rng.normal(0, 0.5, (4, 3, 3, 3)), "slope": slope}
    c = _ptq_checked(tmp_path, _graph_model(nodes, inits, [1, 3, 5, 5], [1, 4, 5, 5]),
                     rng.random((32, 1, 3, 5, 5), dtype=np.float32) - 0.5)
    assert _calls(c, "PRelu") == [["mlc_lut_s8"] if table else ["mlc_binary_f32"]]


def test_sub(tmp_path):
    """Sub is int8 Add of the negated b: a run-time b's bitwise NOT (exact) into scratch, a constant b
    negated before it is quantized."""
    rng = np.random.default_rng(6)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["b"]),
             helper.make_node("Sub", ["a", "b"], ["d"]),
             helper.make_node("Sub", ["d", "k"], ["e"]),
             helper.make_node("Sub", ["k", "e"], ["y"])]
    inits = {"w1": rng.normal(0, 0.5, (4, 3, 3, 3)), "w2": rng.normal(0, 0.2, (4, 3, 1, 1)),
             "k": rng.normal(0, 0.3, (4, 1, 1))}
    c = _ptq_checked(tmp_path, _graph_model(nodes, inits, [1, 3, 5, 5], [1, 4, 5, 5]),
                     rng.random((32, 1, 3, 5, 5), dtype=np.float32) - 0.5, on_m4=True)
    assert _calls(c, "Sub") == [["mlc_lut_s8", "mlc_add_s8"], ["mlc_add_s8"], ["mlc_lut_s8", "mlc_add_s8"]]
