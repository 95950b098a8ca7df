"""LogSoftmax, Hardmax, the remaining reductions, ArgMax/ArgMin, MaxPool with Indices, LpPool,
GlobalLpPool, InstanceNormalization, LpNormalization, LRN and ConvTranspose."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node
from toolchain.errors import ModelError

X = (2, 3, 4, 5)


def one(id_: str, op: str, shape=X, opset: int = 13, outputs=("y",), inits=None, ins=("x",), low=-3.0, high=3.0,
        dtype=None, **attrs) -> Case:
    m = model([node(op, list(ins), list(outputs), **attrs)], {"x": shape}, list(outputs), inits, opset=opset,
              input_types={"x": dtype} if dtype else None)
    return Case(f"{op}_{id_}_op{opset}", m, low=low, high=high, seed=len(id_))


SOFT = Group("softmax_family", [
    one("axis_last", "LogSoftmax"), one("axis1", "LogSoftmax", axis=1), one("legacy", "LogSoftmax", opset=7),
    one("legacy_axis2", "LogSoftmax", opset=11, axis=2), one("last", "Hardmax"), one("axis0", "Hardmax", axis=0),
    one("legacy", "Hardmax", opset=7), one("cur", "Hardmax", opset=CURRENT, axis=-2),
])


@SOFT.param()
def test_softmax_family(case, ops) -> None:
    ops.check(case, SOFT)


def red(op: str, opset: int, axes, keepdims=None, low=-3.0, high=3.0, dtype=None) -> Case:
    attrs, inits, ins = {}, {}, ["x"]
    if keepdims is not None:
        attrs["keepdims"] = keepdims
    if axes is not None:
        if opset >= 18 or (op == "ReduceSum" and opset >= 13):
            ins.append("ax")
            inits["ax"] = np.asarray(axes, np.int64)
        else:
            attrs["axes"] = axes
    tag = f"{'_'.join(map(str, axes)) if axes is not None else 'all'}_k{keepdims}{'_' + str(dtype) if dtype else ''}"
    return one(tag, op, opset=opset, inits=inits, ins=ins, low=low, high=high, dtype=dtype, **attrs)


REDUCE = Group("reduce_extra", [
    red("ReduceProd", 13, [1], low=0.5, high=1.5), red("ReduceProd", CURRENT, [2, 3], 0, low=0.5, high=1.5),
    red("ReduceL1", 13, [1, 3]), red("ReduceL1", CURRENT, None), red("ReduceL2", 13, [-1], 0),
    red("ReduceL2", CURRENT, [0, 2]), red("ReduceLogSum", 13, [2], low=0.1, high=3),
    red("ReduceLogSum", CURRENT, [1], 0, low=0.1, high=3), red("ReduceLogSumExp", 13, [3]),
    red("ReduceLogSumExp", CURRENT, [1, 2], 0), red("ReduceSumSquare", 13, [0, 1]),
    red("ReduceSumSquare", CURRENT, None, 0), red("ReduceL2", 7, [1]), red("ReduceProd", 7, None, low=0.8, high=1.2),
    red("ReduceMax", 13, [1], 0, dtype=TensorProto.INT64), red("ReduceSum", 13, [2], dtype=TensorProto.INT32),
    one("axis1", "ArgMax", axis=1), one("axis_neg_nokeep", "ArgMax", axis=-1, keepdims=0),
    one("default", "ArgMin"), one("axis2", "ArgMin", axis=2, keepdims=0), one("op7", "ArgMax", opset=7, axis=3),
    one("int64", "ArgMax", axis=1, dtype=TensorProto.INT64, low=-2, high=2),
])


@REDUCE.param()
def test_reduce_extra(case, ops) -> None:
    ops.check(case, REDUCE)


def test_argmax_ties_select_last(ops) -> None:
    m = model([node("ArgMax", ["x"], ["a"], axis=1, select_last_index=1), node("ArgMax", ["x"], ["b"], axis=1),
               node("ArgMin", ["x"], ["c"], axis=0, select_last_index=1, keepdims=0)],
              {"x": (3, 4)}, ["a", "b", "c"], opset=CURRENT)
    x = np.array([[[1, 3, 3, 0], [2, 2, 2, 2], [0, 5, 1, 5]]] * 2, np.float32)
    ops.check(Case("argmax_ties", m, feeds={"x": x}))


P4 = (1, 2, 6, 7)
POOL = Group("pool_extra", [
    one("indices", "MaxPool", P4, opset=12, outputs=("y", "i"), kernel_shape=[2, 2], strides=[2, 2]),
    one("indices_pads", "MaxPool", P4, opset=12, outputs=("y", "i"), kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    one("indices_1d", "MaxPool", (2, 3, 9), opset=12, outputs=("y", "i"), kernel_shape=[3], strides=[2]),
    one("indices_dil", "MaxPool", (2, 2, 7, 7), opset=12, outputs=("y", "i"), kernel_shape=[2, 2], dilations=[2, 2],
        ceil_mode=1, strides=[2, 2]),
    one("indices_op8", "MaxPool", P4, opset=8, outputs=("y", "i"), kernel_shape=[2, 3]),
    one("p2", "LpPool", P4, opset=11, kernel_shape=[2, 2], strides=[2, 2]),
    one("p1_pads", "LpPool", P4, opset=11, kernel_shape=[3, 3], pads=[1, 1, 1, 1], p=1),
    one("p3", "LpPool", P4, opset=11, kernel_shape=[2, 3], p=3),
    one("1d", "LpPool", (2, 3, 8), opset=11, kernel_shape=[3], strides=[2]),
    one("cur_dil", "LpPool", P4, opset=CURRENT, kernel_shape=[2, 2], dilations=[2, 1], p=2),
    one("op7", "LpPool", P4, opset=7, kernel_shape=[2, 2]),
    one("p2", "GlobalLpPool", P4), one("p1", "GlobalLpPool", P4, p=1), one("p3_1d", "GlobalLpPool", (2, 3, 6), p=3),
])


@POOL.param()
def test_pool_extra(case, ops) -> None:
    ops.check(case, POOL)


NORM = Group("norm_extra", [
    one("4d", "InstanceNormalization", P4, inits={"s": const((2,), 3, 0.5, 2.0), "b": const((2,), 4)},
        ins=("x", "s", "b")),
    one("3d_eps", "InstanceNormalization", (2, 3, 7), opset=7, inits={"s": const((3,), 3), "b": const((3,), 4)},
        ins=("x", "s", "b"), epsilon=0.01),
    one("p2", "LpNormalization", opset=13), one("p1_axis1", "LpNormalization", axis=1, p=1),
    one("axis0", "LpNormalization", (3, 4), opset=CURRENT, axis=0),
    one("size3", "LRN", P4, size=3), one("size5_params", "LRN", (2, 6, 3, 3), size=5, alpha=0.01, beta=0.5, bias=2.0),
    one("size1_op7", "LRN", (1, 3, 4, 2), opset=7, size=1),
])


@NORM.param()
def test_norm_extra(case, ops) -> None:
    ops.check(case, NORM)


def convt(id_: str, shape, w_shape, opset: int = 13, bias: bool = True, **attrs) -> Case:
    inits = {"w": const(w_shape, 5)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = const((w_shape[1] * attrs.get("group", 1),), 6)
        ins.append("b")
    return one(id_, "ConvTranspose", shape, opset=opset, inits=inits, ins=ins, **attrs)


CONVT = Group("conv_transpose", [
    convt("basic", (1, 2, 4, 5), (2, 3, 3, 3)),
    convt("stride2", (2, 3, 3, 4), (3, 2, 3, 3), strides=[2, 2]),
    convt("pads", (1, 2, 5, 5), (2, 4, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1], bias=False),
    convt("out_pad", (1, 2, 4, 4), (2, 3, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    convt("group", (1, 4, 3, 3), (4, 2, 2, 2), group=2, strides=[2, 1]),
    convt("depthwise", (1, 3, 4, 4), (3, 1, 3, 3), group=3),
    convt("dilation", (1, 2, 4, 4), (2, 2, 2, 3), dilations=[2, 2]),
    convt("same_upper", (1, 2, 3, 3), (2, 2, 3, 3), strides=[2, 2], auto_pad="SAME_UPPER"),
    convt("same_lower", (1, 2, 3, 3), (2, 2, 3, 3), strides=[2, 2], auto_pad="SAME_LOWER"),
    convt("same_lower_even", (1, 2, 3, 3), (2, 2, 4, 4), strides=[2, 2], auto_pad="SAME_LOWER"),
    convt("output_shape", (1, 2, 3, 3), (2, 2, 3, 3), strides=[3, 3], output_shape=[10, 8]),
    convt("1d", (2, 3, 6), (3, 2, 4), strides=[2], pads=[1, 2]),
    convt("op7", (1, 2, 3, 3), (2, 2, 2, 2), opset=7, strides=[2, 2]),
    convt("cur", (1, 1, 3, 3), (1, 2, 3, 3), opset=CURRENT, kernel_shape=[3, 3]),
])


@CONVT.param()
def test_conv_transpose(case, ops) -> None:
    ops.check(case, CONVT)


def test_maxpool_storage_order_rejected(tmp_path) -> None:
    m = model([node("MaxPool", ["x"], ["y", "i"], name="mp", kernel_shape=[2, 2], storage_order=1)], {"x": P4},
              ["y", "i"], opset=12)
    with pytest.raises(ModelError, match=r"'mp' \(MaxPool: storage_order=1"):
        compiled_graph(m, tmp_path)
