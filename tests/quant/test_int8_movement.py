"""Data movement on int8 that is more than a view: nearest Resize is a copy that repeats values, taken only
where the coordinate transform and rounding really make output o read input o // k (every combination
compared with onnxruntime); Pad in each mode, with its constant value quantized."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.quant.util import run_built
from toolchain.build import compile_model
from toolchain.quant.simulate import simulate_batch

COORDS = ["half_pixel", "pytorch_half_pixel", "half_pixel_symmetric", "asymmetric", "align_corners",
          "tf_half_pixel_for_nn"]
ROUNDINGS = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
# which combinations repeat each value k times along an axis, for factor 2 and 3 (worked out by hand)
REPEATS = {("half_pixel", r) for r in ROUNDINGS[:2]} | {("pytorch_half_pixel", r) for r in ROUNDINGS[:2]} | {
    ("half_pixel_symmetric", r) for r in ROUNDINGS[:2]} | {("asymmetric", "floor"), ("tf_half_pixel_for_nn", "floor")}


def _qdq_resize(coord: str, rounding: str, scales: tuple[float, float]) -> onnx.ModelProto:
    s, z = numpy_helper.from_array(np.array(0.05, np.float32), "s"), numpy_helper.from_array(np.array(3, np.int8), "z")
    sc = numpy_helper.from_array(np.array([1, 1, *scales], np.float32), "scales")
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             helper.make_node("Resize", ["xd", "", "scales"], ["r"], mode="nearest",
                              coordinate_transformation_mode=coord, nearest_mode=rounding),
             helper.make_node("QuantizeLinear", ["r", "s", "z"], ["rq"]),
             helper.make_node("DequantizeLinear", ["rq", "s", "z"], ["y"])]
    out = [1, 2, int(5 * scales[0]), int(4 * scales[1])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)], [s, z, sc])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])


@pytest.mark.parametrize("scales", [(2.0, 2.0), (3.0, 1.0)], ids=["2x2", "3x1"])
@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("coord", COORDS)
def test_nearest_resize_on_int8(tmp_path, coord, rounding, scales):
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    onnx.save(_qdq_resize(coord, rounding, scales), path)
    c = compile_model(path)
    kernels = [k.fn for layer in c.program.layers if layer.op == "Resize" for k in layer.calls]
    # asymmetric with round_prefer_floor repeats evenly only for factor 2 (a tie at o / 2 rounds down)
    repeats = (coord, rounding) in REPEATS or (coord, rounding, scales[1]) == ("asymmetric", "round_prefer_floor", 2.0)
    assert kernels == (["mlc_copy_s8"] if repeats else ["mlc_resize_f32"]), kernels
    if not repeats:
        return
    x = np.random.default_rng(0).uniform(-6, 6, (4, 1, 2, 5, 4)).astype(np.float32)
    got = simulate_batch(c.program, [x])[0]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.stack([sess.run(None, {"x": x[k]})[0] for k in range(4)])
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    if (coord, rounding, scales) == ("half_pixel", "round_prefer_floor", (2.0, 2.0)):
        assert run_built(c, "host", x).tobytes() == got.reshape(4, -1).tobytes()


def _qdq_pad(mode: str, value: float | None) -> onnx.ModelProto:
    s, z = numpy_helper.from_array(np.array(0.05, np.float32), "s"), numpy_helper.from_array(np.array(3, np.int8), "z")
    pads = numpy_helper.from_array(np.array([0, 1, 2, 0, 0, 0, 1, 3], np.int64), "pads")
    inits = [s, z, pads]
    pad_in = ["xd", "pads"]
    if value is not None:
        inits.append(numpy_helper.from_array(np.array(value, np.float32), "v"))
        pad_in.append("v")
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             helper.make_node("Pad", pad_in, ["p"], mode=mode),
             helper.make_node("QuantizeLinear", ["p", "s", "z"], ["pq"]),
             helper.make_node("DequantizeLinear", ["pq", "s", "z"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 7])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])


@pytest.mark.parametrize("mode,value,int8", [("constant", None, True), ("constant", 0.5, True),
                                             ("constant", 0.52, False), ("reflect", None, True),
                                             ("edge", None, True), ("wrap", None, True)])
def test_pad_on_int8(tmp_path, mode, value, int8):
    """A pad value that is not one of the input's int8 values (0.52 at scale 0.05) keeps the Pad float."""
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    onnx.save(_qdq_pad(mode, value), path)
    c = compile_model(path)
    kernels = [k.fn for layer in c.program.layers if layer.op == "Pad" for k in layer.calls]
    assert kernels == (["mlc_pad_s8"] if int8 else ["mlc_pad_f32"]), kernels
    x = np.random.default_rng(1).uniform(-6, 6, (3, 1, 2, 5, 4)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.stack([sess.run(None, {"x": x[k]})[0] for k in range(3)]).reshape(3, -1)
    got = run_built(c, "host", x)
    np.testing.assert_array_equal(got, want)
    if int8:
        assert simulate_batch(c.program, [x])[0].reshape(got.shape).tobytes() == got.tobytes()
