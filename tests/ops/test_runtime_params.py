"""Weights and parameters fed at run time (graph inputs instead of initializers, as ONNX's backend node
tests write them): Conv, ConvTranspose, BatchNormalization, InstanceNormalization, LayerNormalization
(with its Mean / InvStdDev outputs), Clip bounds, LSTM / GRU weights (and layout=1), Range, and Resize /
Upsample scales."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from tests.ops.util import CURRENT, SAMPLES, Case, Group, compiled_graph, const, model, node
from toolchain.build import compile_model
from toolchain.errors import ModelError


def fed(value: np.ndarray) -> np.ndarray:
    """The same value for every sample of a case."""
    return np.stack([np.asarray(value)] * SAMPLES)


CONV = Group("runtime_weights_conv", [
    Case("conv2d_bias", model([node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
                              {"x": (1, 2, 5, 5), "w": (3, 2, 3, 3), "b": (3,)}, ["y"])),
    Case("conv1d_group", model([node("Conv", ["x", "w"], ["y"], group=2, strides=[2])],
                               {"x": (1, 4, 9), "w": (4, 2, 3)}, ["y"])),
    Case("conv2d_relu", model([node("Conv", ["x", "w"], ["c"], auto_pad="SAME_UPPER"), node("Relu", ["c"], ["y"])],
                              {"x": (2, 1, 4, 4), "w": (2, 1, 3, 3)}, ["y"])),
    Case("convtranspose2d", model([node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2])],
                                  {"x": (1, 2, 3, 3), "w": (2, 3, 3, 3), "b": (3,)}, ["y"])),
    Case("convtranspose1d_group", model([node("ConvTranspose", ["x", "w"], ["y"], group=2, pads=[1, 1])],
                                        {"x": (1, 4, 5), "w": (4, 1, 3)}, ["y"])),
])


@CONV.param()
def test_conv_runtime_weights(case, ops) -> None:
    ops.check(case, CONV)


def _bn(opset: int, shape, relu: bool = False, const_mean: bool = False) -> Case:
    c = shape[1]
    inits = {"mean": const((c,), 5)} if const_mean else {}
    ins = {"x": shape, "scale": (c,), "bias": (c,), "var": (c,)}
    if not const_mean:
        ins["mean"] = (c,)
    nodes = [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["b" if relu else "y"], epsilon=1e-2)]
    if relu:
        nodes.append(node("Relu", ["b"], ["y"]))
    return Case(f"bn_r{len(shape)}_op{opset}{'_relu' if relu else ''}{'_cmean' if const_mean else ''}",
                model(nodes, ins, ["y"], inits, opset=opset), low=0.1, high=2.0)


NORM = Group("runtime_params_norm", [
    _bn(15, (2, 3, 4, 5)), _bn(15, (3, 4), relu=True), _bn(9, (1, 2, 3, 3), const_mean=True),
    Case("instancenorm", model([node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)],
                               {"x": (2, 3, 4, 5), "s": (3,), "b": (3,)}, ["y"])),
    Case("layernorm_scale_bias", model([node("LayerNormalization", ["x", "s", "b"], ["y"], axis=1)],
                                       {"x": (2, 3, 4), "s": (3, 4), "b": (3, 4)}, ["y"], opset=17)),
    Case("layernorm_stats", model([node("LayerNormalization", ["x", "s"], ["y", "mean", "inv"], axis=-1)],
                                  {"x": (2, 3, 8), "s": (8,)}, ["y", "mean", "inv"], opset=17)),
    Case("layernorm_stats_const", model([node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], axis=-2,
                                              epsilon=0.1)],
                                        {"x": (2, 3, 4)}, ["y", "mean", "inv"],
                                        {"s": const((3, 4), 3), "b": const((3, 4), 4)}, opset=17)),
    Case("layernorm_invstd_only", model([node("LayerNormalization", ["x", "s"], ["y", "", "inv"], axis=0)],
                                        {"x": (2, 5), "s": (2, 5)}, ["y", "inv"], opset=CURRENT)),
])


@NORM.param()
def test_norm_runtime_params(case, ops) -> None:
    ops.check(case, NORM)


def test_batchnorm_runtime_params_are_not_folded(tmp_path) -> None:
    m = model([node("Conv", ["x", "w"], ["c"]), node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"])],
              {"x": (1, 2, 4, 4), "s": (3,), "b": (3,), "m": (3,), "v": (3,)}, ["y"], {"w": const((3, 2, 1, 1))})
    assert [n.op for n in compiled_graph(m, tmp_path).nodes] == ["Conv", "BatchNormalization"]


def test_layernorm_runtime_scale_broadcast_is_rejected(tmp_path) -> None:
    m = model([node("LayerNormalization", ["x", "s"], ["y"], axis=1)], {"x": (2, 3, 4), "s": (4,)}, ["y"], opset=17)
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(ModelError, match="run-time scale"):
        compile_model(path)


CLIP = Group("runtime_clip", [
    Case("min_max", model([node("Clip", ["x", "lo", "hi"], ["y"])], {"x": (3, 4), "lo": (), "hi": ()}, ["y"])),
    Case("min_only", model([node("Clip", ["x", "lo"], ["y"])], {"x": (2, 5), "lo": ()}, ["y"])),
    Case("max_only", model([node("Clip", ["x", "", "hi"], ["y"])], {"x": (7,), "hi": ()}, ["y"])),
    Case("min_const_max_runtime", model([node("Clip", ["x", "lo", "hi"], ["y"])], {"x": (2, 3), "hi": ()}, ["y"],
                                        {"lo": np.array(-0.5, np.float32)})),
    Case("after_conv", model([node("Conv", ["x", "w"], ["c"]), node("Clip", ["c", "lo", "hi"], ["y"])],
                             {"x": (1, 1, 4, 4), "lo": (), "hi": ()}, ["y"], {"w": const((2, 1, 2, 2))})),
])


@CLIP.param()
def test_clip_runtime_bounds(case, ops) -> None:
    ops.check(case, CLIP)


def test_clip_min_greater_than_max(ops) -> None:
    m = model([node("Clip", ["x", "lo", "hi"], ["y"])], {"x": (6,), "lo": (), "hi": ()}, ["y"])
    x = np.random.default_rng(0).uniform(-3, 3, size=(SAMPLES, 6)).astype(np.float32)
    ops.check(Case("clip_crossed", m, feeds={"x": x, "lo": fed(np.float32(2.0)), "hi": fed(np.float32(1.0))}))


SEQ, BATCH, INP, HID = 4, 3, 2, 5


def _rnn(op: str, layout: int, runtime: bool, bidir: bool = False, states: bool = True) -> Case:
    dirs = 2 if bidir else 1
    gates = 4 if op == "LSTM" else 3
    shapes = {"w": (dirs, gates * HID, INP), "r": (dirs, gates * HID, HID), "b": (dirs, 2 * gates * HID)}
    x = (BATCH, SEQ, INP) if layout else (SEQ, BATCH, INP)
    state = (BATCH, dirs, HID) if layout else (dirs, BATCH, HID)
    ins = {"x": x, **(shapes if runtime else {})}
    inits = {} if runtime else {k: const(s, i + 2, -0.5, 0.5) for i, (k, s) in enumerate(shapes.items())}
    names = ["x", "w", "r", "b", ""]
    outs = ["y", "yh"]
    if states:
        ins["h0"] = state
        names.append("h0")
        if op == "LSTM":
            ins["c0"] = state
            names.append("c0")
            outs.append("yc")
    attrs = {"hidden_size": HID, "layout": layout, "direction": "bidirectional" if bidir else "forward"}
    tag = f"{op.lower()}_layout{layout}{'_runtime' if runtime else ''}{'_bidir' if bidir else ''}{'_states' if states else ''}"
    return Case(tag, model([node(op, names, outs, **attrs)], ins, outs, inits, opset=14), low=-1.0, high=1.0)


RNN = Group("runtime_rnn", [
    _rnn("LSTM", 0, True), _rnn("LSTM", 1, False), _rnn("LSTM", 1, True, bidir=True),
    _rnn("LSTM", 1, False, states=False), _rnn("GRU", 0, True), _rnn("GRU", 1, False, bidir=True),
    _rnn("GRU", 1, True, states=False),
])


@RNN.param()
def test_rnn_runtime_weights_and_layout(case, ops) -> None:
    ops.check(case, RNN)


def _declared(m, name: str, shape: tuple[int, ...], elem: int = TensorProto.FLOAT):
    """`m` with graph output `name` declared as (elem, shape) (what shape inference cannot know)."""
    for o in m.graph.output:
        if o.name == name:
            o.CopyFrom(helper.make_tensor_value_info(name, elem, list(shape)))
    return m


@pytest.mark.parametrize("dtype, start, limit, delta", [(TensorProto.FLOAT, 1.0, 5.0, 0.75),
                                                        (TensorProto.FLOAT, 10.0, 3.0, -2.5),
                                                        (TensorProto.INT32, 7, -3, -3)])
def test_range_runtime(ops, dtype, start, limit, delta) -> None:
    n = max(int(np.ceil((limit - start) / delta)), 0)
    m = model([node("Range", ["s", "l", "d"], ["y"])], {"s": (), "l": (), "d": ()}, ["y"],
              input_types=dict.fromkeys("sld", dtype), opset=11, infer=False)
    m = _declared(m, "y", (n,), dtype)
    np_type = helper.tensor_dtype_to_np_dtype(dtype)
    feeds = {k: fed(np.asarray(v, np_type)) for k, v in (("s", start), ("l", limit), ("d", delta))}
    ops.check(Case(f"range_{n}", m, feeds=feeds))


def _resize(tag: str, x_shape, scales, opset: int = 13, **attrs) -> Case:
    y_shape = tuple(int(np.floor(d * s)) for d, s in zip(x_shape, scales))
    ins = ["x", "", "scales"] if opset >= 11 else ["x", "scales"]
    m = model([node("Resize", ins, ["y"], **attrs)], {"x": x_shape, "scales": (len(scales),)}, ["y"],
              opset=opset, infer=False)
    m = _declared(m, "y", y_shape)
    x = np.random.default_rng(1).uniform(-3, 3, size=(SAMPLES, *x_shape)).astype(np.float32)
    return Case(tag, m, feeds={"x": x, "scales": fed(np.asarray(scales, np.float32))})


@pytest.mark.parametrize("case", [
    _resize("nearest_up", (1, 1, 2, 3), [1, 1, 2.0, 1.5]),
    _resize("nearest_down", (1, 2, 4, 6), [1, 1, 0.6, 0.5], nearest_mode="floor"),
    _resize("linear_up", (2, 1, 3, 3), [1, 1, 1.5, 2.0], mode="linear"),
    _resize("linear_align_corners_int", (1, 1, 3, 4), [1, 1, 2.0, 1.5], mode="linear",
            coordinate_transformation_mode="align_corners"),
    _resize("cubic_down", (1, 1, 4, 4), [1, 1, 0.8, 0.8], mode="cubic"),
    _resize("cubic_exclude", (1, 1, 4, 4), [1, 1, 1.5, 1.5], mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1),
    _resize("opset10_nearest", (1, 1, 2, 2), [1, 1, 3.0, 2.0], opset=10),
], ids=lambda c: c.id)
def test_resize_runtime_scales(ops, case) -> None:
    ops.check(case)


def test_resize_runtime_scales_align_corners_follows_the_onnx_reference(tmp_path) -> None:
    """With given scales ONNX's reference takes the resized length as in * scale (onnxruntime the output size)."""
    from onnx.reference import ReferenceEvaluator

    from tests.ops.util import run_host

    case = _resize("linear_align_corners_frac", (1, 1, 2, 4), [1, 1, 0.6, 0.6], mode="linear",
                   coordinate_transformation_mode="align_corners")
    got = run_host(case.model, tmp_path, case.feeds)["y"]
    ev = ReferenceEvaluator(case.model)
    want = np.stack([ev.run(None, {k: v[i] for k, v in case.feeds.items()})[0] for i in range(SAMPLES)])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_upsample_runtime_scales(ops) -> None:
    m = model([node("Upsample", ["x", "scales"], ["y"])], {"x": (1, 1, 2, 2), "scales": (4,)}, ["y"], opset=9,
              infer=False)
    m = _declared(m, "y", (1, 1, 4, 6))
    x = np.random.default_rng(2).uniform(-3, 3, size=(SAMPLES, 1, 1, 2, 2)).astype(np.float32)
    ops.check(Case("upsample_runtime", m, feeds={"x": x, "scales": fed(np.array([1, 1, 2, 3], np.float32))}))


def test_resize_runtime_scale_on_a_batch_axis_fails_at_run_time(tmp_path) -> None:
    from tests.ops.util import _run_cli

    m = model([node("Resize", ["x", "", "scales"], ["y"])], {"x": (2, 1, 2, 2), "scales": (4,)}, ["y"], infer=False)
    m = _declared(m, "y", (2, 1, 4, 4))
    x = np.zeros((SAMPLES, 2, 1, 2, 2), np.float32)
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    assert _run_cli(m, tmp_path / "ok", {"x": x, "scales": fed(np.array([1, 1, 2, 2], np.float32))}) is not None
    assert _run_cli(m, tmp_path / "bad", {"x": x, "scales": fed(np.array([1.2, 1, 2, 2], np.float32))}) is None
