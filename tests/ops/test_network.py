"""Operators in combination: small networks as exporters write them (folding, fusion and views
between kernels), checked end to end."""

from __future__ import annotations

import numpy as np

from tests.ops.util import Case, Group, compiled_graph, const, model, node


def cnn(opset: int) -> Case:
    c = 4
    inits = {"w1": const((c, 1, 3, 3)), "b1": const((c,), 2),
             "s": const((c,), 3, 0.5, 1.5), "bb": const((c,), 4), "mu": const((c,), 5), "var": const((c,), 6, 0.5, 1.5),
             "dw": const((c, 1, 3, 3), 7), "pw": const((6, c, 1, 1), 8), "fc": const((5, 6), 9), "fcb": const((5,), 10)}
    nodes = [
        node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["c1", "s", "bb", "mu", "var"], ["n1"]),
        node("Relu", ["n1"], ["r1"]),
        node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["p1", "dw"], ["d1"], group=c, pads=[1, 1, 1, 1]),
        node("Clip", ["d1", "lo", "hi"], ["d2"]) if opset >= 11 else node("Clip", ["d1"], ["d2"], min=0.0, max=6.0),
        node("Conv", ["d2", "pw"], ["e1"]),
        node("Add", ["e1", "e1"], ["e2"]),
        node("GlobalAveragePool", ["e2"], ["g"]),
        node("Flatten", ["g"], ["f"]),
        node("Gemm", ["f", "fc", "fcb"], ["logits"], transB=1),
        node("Softmax", ["logits"], ["y"]),
    ]
    if opset >= 11:
        inits.update(lo=np.array(0.0, np.float32), hi=np.array(6.0, np.float32))
    return Case(f"cnn_op{opset}", model(nodes, {"x": (1, 1, 8, 8)}, ["y", "logits"], inits, opset=opset))


def mlp_residual() -> Case:
    inits = {"w1": const((8, 8)), "b1": const((8,), 2), "w2": const((8, 8), 3), "g": const((8,), 4, 0.5, 1.5),
             "be": const((8,), 5), "shape": np.array([2, 4, 8], np.int64), "perm_shape": np.array([8, 8], np.int64)}
    nodes = [
        node("MatMul", ["x", "w1"], ["h"]),
        node("Add", ["h", "b1"], ["h1"]),
        node("Tanh", ["h1"], ["h2"]),
        node("MatMul", ["h2", "w2"], ["h3"]),
        node("Add", ["h3", "x"], ["res"]),
        node("LayerNormalization", ["res", "g", "be"], ["ln"], axis=-1),
        node("Reshape", ["ln", "perm_shape"], ["flat"]),
        node("Transpose", ["flat"], ["t"], perm=[1, 0]),
        node("Reshape", ["t", "shape"], ["t3"]),
        node("ReduceMean", ["t3"], ["y"], axes=[1], keepdims=0),
    ]
    return Case("mlp_residual", model(nodes, {"x": (2, 4, 8)}, ["y", "ln"], inits, opset=17))


NETS = Group("networks", [cnn(9), cnn(13), mlp_residual()])


@NETS.param()
def test_network(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert not any(n.op in ("BatchNormalization", "Relu", "Clip") for n in g.nodes), "not folded or fused"
    ops.check(case, NETS)
