"""Add/Sub/Mul/Div with broadcasting; Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Clip
standalone and fused into the producing kernel (Conv, Gemm, Add, pools)."""

from __future__ import annotations

import zlib

import numpy as np

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node, random_inputs

SHAPES = [
    # id, a shape, b shape, b constant
    ("same", (2, 3, 4), (2, 3, 4), False),
    ("scalar_const", (2, 3, 4), (), True),
    ("scalar_runtime", (3, 4), (), False),
    ("one_elem", (3, 4), (1,), True),
    ("row", (2, 3, 4), (4,), True),
    ("row_runtime", (3, 5), (5,), False),
    ("column", (3, 5), (3, 1), True),
    ("column_runtime", (2, 3, 5), (3, 1), False),
    ("channel", (1, 3, 4, 4), (3, 1, 1), True),
    ("4d_vs_3d", (2, 3, 4, 5), (3, 1, 5), False),
    ("3d_vs_4d", (3, 4, 5), (2, 3, 4, 5), False),
    ("outer", (3, 1), (1, 4), False),
    ("both_broadcast", (2, 1, 4), (1, 3, 1), False),
    ("scalar_first", (), (2, 3), False),
    ("rank5", (2, 1, 3, 1, 2), (4, 3, 5, 2), False),
]


def binary(op: str, id_: str, a_shape, b_shape, b_const: bool, opset: int = 13) -> Case:
    inputs = {"a": a_shape}
    inits = {}
    low = 0.5 if op == "Div" else -1.0
    if b_const:
        inits["b"] = const(b_shape, 3, low, 2.0)
    else:
        inputs["b"] = b_shape
    m = model([node(op, ["a", "b"], ["y"])], inputs, ["y"], inits, opset=opset)
    feeds = random_inputs(m, seed=zlib.crc32(id_.encode()))
    if op == "Div" and "b" in feeds:  # keep denominators away from 0
        feeds["b"] = np.abs(feeds["b"]) + 0.5
    return Case(f"{op}_{id_}_op{opset}", m, feeds=feeds)


BINARY = Group("binary", [
    binary(op, *s) for op in ("Add", "Sub", "Mul", "Div") for s in SHAPES
] + [
    binary(op, "row_op7", (2, 3), (3,), False, opset=7) for op in ("Add", "Sub", "Mul", "Div")
] + [
    binary("Add", "column_current", (2, 3), (2, 1), True, opset=CURRENT),
    binary("Div", "4d_vs_3d_current", (2, 3, 4, 5), (3, 1, 5), False, opset=CURRENT),
    binary("Mul", "same_op7", (2, 3), (2, 3), True, opset=7),
])


@BINARY.param()
def test_binary(case, ops) -> None:
    ops.check(case, BINARY)


def test_binary_same_input_twice(ops) -> None:
    ops.check(Case("square", model([node("Mul", ["x", "x"], ["y"])], {"x": (2, 3)}, ["y"])))


def unary(op: str, opset: int = 13, shape=(2, 3, 4), **attrs) -> Case:
    tag = "_".join([f"{k}{v}" for k, v in attrs.items()] + (["x".join(map(str, shape))] if shape != (2, 3, 4) else []))
    return Case(f"{op}{'_' + tag if tag else ''}_op{opset}",
                model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=opset), low=-5.0, high=5.0)


def clip(opset: int, lo: float | None, hi: float | None, runtime_input_of_shape=(2, 3, 4)) -> Case:
    inits = {}
    if opset < 11:
        n = node("Clip", ["x"], ["y"], **{k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
    else:
        ins = ["x", "lo" if lo is not None else "", "hi" if hi is not None else ""]
        while ins[-1] == "":
            ins.pop()
        if lo is not None:
            inits["lo"] = np.array(lo, np.float32)
        if hi is not None:
            inits["hi"] = np.array(hi, np.float32)
        n = node("Clip", ins, ["y"])
    return Case(f"Clip_{lo}_{hi}_op{opset}", model([n], {"x": runtime_input_of_shape}, ["y"], inits, opset=opset))


UNARY = Group("unary", [
    unary("Relu"), unary("Relu", 7), unary("Relu", 14), unary("Relu", CURRENT, shape=(5,)),
    unary("LeakyRelu"), unary("LeakyRelu", alpha=0.2), unary("LeakyRelu", 7, alpha=0.3), unary("LeakyRelu", 16, alpha=2.0),
    unary("Sigmoid"), unary("Sigmoid", 7), unary("Sigmoid", shape=(1, 1)),
    unary("Tanh"), unary("Tanh", 7),
    unary("HardSigmoid"), unary("HardSigmoid", alpha=0.5, beta=0.25), unary("HardSigmoid", 7, alpha=0.1),
    unary("HardSwish", 14), unary("HardSwish", CURRENT),
    clip(7, -1.0, 2.0), clip(7, 0.5, None), clip(7, None, 0.5), clip(7, None, None),
    clip(11, -1.0, 2.0), clip(11, 0.5, None), clip(11, None, 0.5), clip(11, None, None),
    clip(13, 0.0, 6.0), clip(13, -0.25, None), clip(13, None, -0.25), clip(CURRENT, -2.0, 2.0),
])


@UNARY.param()
def test_unary(case, ops) -> None:
    ops.check(case, UNARY)


ACTS = [("Relu", {}), ("LeakyRelu", {"alpha": 0.1}), ("Sigmoid", {}), ("Tanh", {}),
        ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Clip", {})]


def fused(producer: str, act: str, attrs: dict, opset: int = 14) -> Case:
    inits = {}
    inputs = {"x": (1, 2, 5, 5)}
    if producer == "Conv":
        inits.update(w=const((3, 2, 3, 3)), b=const((3,), 2))
        first = node("Conv", ["x", "w", "b"], ["p"], pads=[1, 1, 1, 1])
    elif producer == "Gemm":
        inputs = {"x": (3, 6)}
        inits.update(w=const((4, 6)), b=const((4,), 2))
        first = node("Gemm", ["x", "w", "b"], ["p"], transB=1)
    elif producer == "MatMul":
        inputs = {"x": (2, 3, 6)}
        inits.update(w=const((6, 4)))
        first = node("MatMul", ["x", "w"], ["p"])
    elif producer == "Add":
        inputs = {"x": (2, 3, 4), "z": (3, 4)}
        first = node("Add", ["x", "z"], ["p"])
    elif producer == "Mul":
        inputs = {"x": (2, 3, 4)}
        inits.update(s=const((4,), 4, 1.0, 3.0))
        first = node("Mul", ["x", "s"], ["p"])
    elif producer in ("MaxPool", "AveragePool"):
        first = node(producer, ["x"], ["p"], kernel_shape=[2, 2], strides=[1, 1])
    elif producer == "BatchNormalization":
        inits.update(g=const((2,), 5, 0.5, 2.0), be=const((2,), 6), mu=const((2,), 7), var=const((2,), 8, 0.5, 1.5))
        first = node("BatchNormalization", ["x", "g", "be", "mu", "var"], ["p"])
    if act == "Clip":
        inits.update(lo=np.array(-0.5, np.float32), hi=np.array(0.75, np.float32))
        second = node("Clip", ["p", "lo", "hi"], ["y"])
    else:
        second = node(act, ["p"], ["y"], **attrs)
    return Case(f"{producer}_{act}", model([first, second], inputs, ["y"], inits, opset=opset))


FUSED = Group("fused", [fused("Conv", a, k) for a, k in ACTS] + [fused("Gemm", a, k) for a, k in ACTS] + [
    fused(p, a, k) for p in ("MatMul", "Add", "Mul", "MaxPool", "AveragePool", "BatchNormalization")
    for a, k in (ACTS[0], ACTS[-1], ACTS[2])
])


@FUSED.param()
def test_activation_fused(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    producer, act = case.id.split("_")
    assert [n.op for n in g.nodes] == [producer], "the activation was not fused"
    assert [a.op for a in g.nodes[0].fused] == [act]
    ops.check(case, FUSED)


def test_add_relu_fused_and_chain(ops, tmp_path) -> None:
    """Add + Relu fuses; the Relu whose input has two consumers stays a layer of its own."""
    case = Case("add_relu_chain", model(
        [node("Add", ["a", "b"], ["s"]), node("Relu", ["s"], ["r"]),
         node("Mul", ["r", "r"], ["m"]), node("Sigmoid", ["m"], ["y1"]), node("Relu", ["m"], ["y2"])],
        {"a": (2, 3), "b": (2, 3)}, ["y1", "y2"]))
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Add", "Mul", "Sigmoid", "Relu"]
    assert [a.op for a in g.nodes[0].fused] == ["Relu"] and not g.nodes[1].fused
    ops.check(case)
