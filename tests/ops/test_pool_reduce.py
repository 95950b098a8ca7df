"""Softmax (every axis, opset < 13 vs 13 semantics), MaxPool and AveragePool (pads, ceil_mode,
count_include_pad, strides, auto_pad, 1-D, dilations), the global pools and the reductions."""

from __future__ import annotations

import numpy as np

from tests.ops.util import CURRENT, Case, Group, model, node

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
