"""Softmax (every axis, opset < 13 vs 13 semantics), MaxPool and AveragePool (pads, ceil_mode,
count_include_pad, strides, auto_pad, 1-D, dilations), the global pools and the reductions."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from tests.ops.util import CURRENT, Case, Group, model, node, run_host

X4 = (2, 3, 4, 5)


def softmax(opset: int, axis: int | None, shape=X4) -> Case:
    attrs = {} if axis is None else {"axis": axis}
    return Case(f"op{opset}_axis{'default' if axis is None else axis}_r{len(shape)}",
                model([node("Softmax", ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=opset), low=-6, high=6)


SOFTMAX = Group("softmax", [
    softmax(op, ax) for op in (7, 11, 13) for ax in (None, 0, 1, 2, 3, -1, -2, -4)
] + [
    softmax(CURRENT, None), softmax(CURRENT, 1), softmax(11, None, (3, 7)), softmax(13, 0, (3, 7)),
    softmax(13, 0, (6,)), softmax(9, None, (2, 5, 3)),
])


@SOFTMAX.param()
def test_softmax(case, ops) -> None:
    ops.check(case, SOFTMAX)


def pool(op: str, id_: str, shape, opset: int = 12, **attrs) -> Case:
    return Case(f"{op}_{id_}_op{opset}", model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=opset))


MAXPOOL = Group("maxpool", [
    pool("MaxPool", "k2", (1, 2, 6, 6), kernel_shape=[2, 2]),
    pool("MaxPool", "k2s2", (2, 3, 6, 7), kernel_shape=[2, 2], strides=[2, 2]),
    pool("MaxPool", "k3s2_pads", (1, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("MaxPool", "pads_asym", (1, 2, 6, 5), kernel_shape=[3, 2], pads=[0, 1, 2, 0]),
    pool("MaxPool", "rect_strides", (1, 1, 9, 8), kernel_shape=[2, 3], strides=[3, 2]),
    pool("MaxPool", "ceil", (1, 2, 7, 7), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
    pool("MaxPool", "ceil_pads", (1, 2, 8, 6), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1),
    pool("MaxPool", "dilations", (1, 2, 9, 9), kernel_shape=[2, 2], dilations=[2, 2]),
    pool("MaxPool", "dil_stride_pad", (1, 2, 10, 9), kernel_shape=[3, 2], dilations=[2, 3], strides=[2, 1],
         pads=[1, 2, 1, 0]),
    pool("MaxPool", "dil_ceil", (1, 1, 9, 9), kernel_shape=[2, 2], dilations=[2, 2], strides=[2, 2], ceil_mode=1),
    pool("MaxPool", "same_upper", (1, 2, 7, 6), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
    pool("MaxPool", "same_lower", (1, 2, 7, 6), kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_LOWER"),
    pool("MaxPool", "valid", (1, 2, 7, 6), kernel_shape=[3, 3], strides=[2, 2], auto_pad="VALID"),
    pool("MaxPool", "1d", (1, 3, 10), kernel_shape=[3], strides=[2]),
    pool("MaxPool", "1d_pads_ceil", (2, 2, 9), kernel_shape=[2], strides=[2], pads=[1, 0], ceil_mode=1),
    pool("MaxPool", "1d_dilation", (1, 2, 11), kernel_shape=[3], dilations=[2], pads=[2, 2]),
    pool("MaxPool", "k2s2", (1, 2, 6, 6), opset=7, kernel_shape=[2, 2], strides=[2, 2]),
    pool("MaxPool", "k3s2_pads", (1, 2, 7, 7), opset=8, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("MaxPool", "ceil", (1, 2, 7, 7), opset=10, kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
    pool("MaxPool", "storage_order1", (1, 2, 4, 4), kernel_shape=[2, 2], storage_order=1),
    pool("MaxPool", "dil_ceil_pads", (1, 2, 8, 8), opset=CURRENT, kernel_shape=[3, 3], strides=[2, 2],
         dilations=[1, 2], pads=[1, 1, 0, 1], ceil_mode=1),
])


@MAXPOOL.param()
def test_maxpool(case, ops) -> None:
    ops.check(case, MAXPOOL)


AVGPOOL = Group("avgpool", [
    pool("AveragePool", "k2", (1, 2, 6, 6), kernel_shape=[2, 2]),
    pool("AveragePool", "k2s2", (2, 3, 6, 7), kernel_shape=[2, 2], strides=[2, 2]),
    pool("AveragePool", "pads_excl", (1, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("AveragePool", "pads_incl", (1, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         count_include_pad=1),
    pool("AveragePool", "pads_asym_excl", (1, 2, 6, 5), kernel_shape=[3, 2], pads=[0, 1, 2, 0]),
    pool("AveragePool", "pads_asym_incl", (1, 2, 6, 5), kernel_shape=[3, 2], pads=[0, 1, 2, 0], count_include_pad=1),
    pool("AveragePool", "rect_strides", (1, 1, 9, 8), kernel_shape=[2, 3], strides=[3, 2]),
    pool("AveragePool", "ceil", (1, 2, 7, 7), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
    pool("AveragePool", "ceil_pads_excl", (1, 2, 8, 6), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1],
         ceil_mode=1),
    pool("AveragePool", "ceil_pads_incl", (1, 2, 8, 6), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1],
         ceil_mode=1, count_include_pad=1),
    pool("AveragePool", "same_upper", (1, 2, 7, 6), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
    pool("AveragePool", "same_lower_incl", (1, 2, 7, 6), kernel_shape=[2, 2], auto_pad="SAME_LOWER",
         count_include_pad=1),
    pool("AveragePool", "valid", (1, 2, 7, 6), kernel_shape=[3, 3], strides=[2, 2], auto_pad="VALID"),
    pool("AveragePool", "1d", (1, 3, 10), kernel_shape=[3], strides=[2]),
    pool("AveragePool", "1d_pads_incl", (2, 2, 9), kernel_shape=[3], strides=[2], pads=[1, 1], count_include_pad=1),
    pool("AveragePool", "1d_ceil", (1, 2, 8), kernel_shape=[3], strides=[2], ceil_mode=1),
    pool("AveragePool", "k3s2_pads", (1, 2, 7, 7), opset=7, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("AveragePool", "ceil", (1, 2, 7, 7), opset=10, kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
    pool("AveragePool", "dilations", (1, 2, 9, 9), opset=19, kernel_shape=[2, 2], dilations=[2, 2], pads=[1, 1, 1, 1]),
    pool("AveragePool", "pads_incl", (1, 2, 6, 6), opset=CURRENT, kernel_shape=[3, 3], pads=[1, 1, 1, 1],
         count_include_pad=1),
])


@AVGPOOL.param()
def test_avgpool(case, ops) -> None:
    ops.check(case, AVGPOOL)


GLOBAL = Group("globalpool", [
    pool("GlobalAveragePool", "4d", (2, 3, 4, 5)),
    pool("GlobalAveragePool", "3d", (2, 3, 7)),
    pool("GlobalAveragePool", "1x1", (1, 4, 1, 1)),
    pool("GlobalAveragePool", "4d", (1, 3, 4, 5), opset=7),
    pool("GlobalAveragePool", "4d", (1, 3, 4, 5), opset=CURRENT),
    pool("GlobalMaxPool", "4d", (2, 3, 4, 5)),
])


@GLOBAL.param()
def test_global_pool(case, ops) -> None:
    ops.check(case, GLOBAL)


def reduce(op: str, opset: int, axes, keepdims: int | None = None, shape=X4, noop: int | None = None) -> Case:
    attrs: dict = {}
    if keepdims is not None:
        attrs["keepdims"] = keepdims
    inits = {}
    ins = ["x"]
    axes_input = (opset >= 18) or (op == "ReduceSum" and opset >= 13)
    if axes is not None:
        if axes_input:
            inits["axes"] = np.array(axes, np.int64)
            ins.append("axes")
        else:
            attrs["axes"] = list(axes)
    if noop is not None:
        attrs["noop_with_empty_axes"] = noop
    tag = "all" if axes is None else "_".join(str(a) for a in axes).replace("-", "m")
    return Case(f"{op}_op{opset}_axes{tag}_k{keepdims}{'_noop' if noop else ''}_r{len(shape)}",
                model([node(op, ins, ["y"], **attrs)], {"x": shape}, ["y"], inits, opset=opset))


REDUCE = Group("reduce", [
    reduce("ReduceMean", 13, [1]), reduce("ReduceMean", 13, [2, 3], 1), reduce("ReduceMean", 13, [2, 3], 0),
    reduce("ReduceMean", 13, [-1], 0), reduce("ReduceMean", 13, [-2, 1], 1), reduce("ReduceMean", 13, None, 0),
    reduce("ReduceMean", 13, None, 1), reduce("ReduceMean", 13, [0], 0),
    reduce("ReduceMean", 7, [1, 2], 0), reduce("ReduceMean", 11, [-3], 1),
    reduce("ReduceMean", 18, [1]), reduce("ReduceMean", 18, [2, 3], 0), reduce("ReduceMean", 18, [-1, -3], 1),
    reduce("ReduceMean", 18, None, 0), reduce("ReduceMean", 18, None, 1, noop=1),
    reduce("ReduceMean", CURRENT, [-1], 0), reduce("ReduceMean", 18, [0], 0, shape=(6,)),
    reduce("ReduceSum", 11, [1], 0), reduce("ReduceSum", 13, [-1], 1), reduce("ReduceMax", 13, [2, 3], 1),
    reduce("ReduceMin", 18, [0, 2], 0),
])


@REDUCE.param()
def test_reduce(case, ops) -> None:
    ops.check(case, REDUCE)


def topk(id_: str, shape, k: int, opset: int = 13, input_type: int | None = None, **attrs) -> Case:
    inits = {} if opset < 10 else {"k": np.array([k], np.int64)}
    ins = ["x"] if opset < 10 else ["x", "k"]
    attrs = attrs | ({"k": k} if opset < 10 else {})
    return Case(f"topk_{id_}_op{opset}", model([node("TopK", ins, ["v", "i"], **attrs)], {"x": shape}, ["v", "i"],
                                               inits, opset=opset, input_types={"x": input_type} if input_type else None))


TOPK = Group("topk", [
    topk("last", (2, 10), 3), topk("axis1", (2, 7, 3), 4, axis=1), topk("smallest", (3, 6), 2, largest=0),
    topk("all", (1, 5), 5, axis=-1), topk("attr_k", (2, 6), 2, opset=9),
    topk("u8", (2, 9), 4, opset=13, input_type=TensorProto.UINT8),
])


@TOPK.param()
def test_topk(case, ops) -> None:
    """Values and int64 indices equal to onnxruntime's; integer inputs of a few values tie often (the
    lower index first)."""
    ops.check(case, TOPK)


def test_topk_unsorted_returns_the_same_elements(tmp_path) -> None:
    """sorted=0 leaves the order open (onnxruntime's differs): the same elements, here in sorted order."""
    m = model([node("TopK", ["x", "k"], ["v", "i"], sorted=0)], {"x": (4, 8)}, ["v", "i"], {"k": np.array([3], np.int64)})
    x = np.random.default_rng(2).standard_normal((1, 4, 8)).astype(np.float32)
    got = run_host(m, tmp_path, {"x": x})
    want = -np.sort(-x, axis=-1)[..., :3]
    assert np.array_equal(got["v"], want)
    assert np.array_equal(np.take_along_axis(x, got["i"], axis=-1), want)


def test_topk_ties_take_the_lower_index(tmp_path) -> None:
    m = model([node("TopK", ["x", "k"], ["v", "i"])], {"x": (1, 6)}, ["v", "i"], {"k": np.array([4], np.int64)})
    got = run_host(m, tmp_path, {"x": np.array([[[1, 3, 3, 0, 3, 1]]], np.float32)})
    assert got["v"].tolist() == [[[3, 3, 3, 1]]] and got["i"].tolist() == [[[1, 2, 4, 0]]]


def cumsum(id_: str, shape, axis: int, **attrs) -> Case:
    return Case(f"cumsum_{id_}", model([node("CumSum", ["x", "a"], ["y"], **attrs)], {"x": shape}, ["y"],
                                       {"a": np.array(axis, np.int64)}, opset=14))


CUMSUM = Group("cumsum", [
    cumsum("last", (2, 7), -1), cumsum("middle", (2, 5, 3), 1), cumsum("exclusive", (3, 6), 1, exclusive=1),
    cumsum("reverse", (4, 5), 0, reverse=1), cumsum("both", (2, 3, 4), 2, exclusive=1, reverse=1),
])


@CUMSUM.param()
def test_cumsum(case, ops) -> None:
    ops.check(case, CUMSUM)
