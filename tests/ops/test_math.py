"""Unary math functions, Pow/Mod/PRelu, comparisons and logic (bool and integer tensors), the variadic
Sum/Min/Max/Mean, and integer arithmetic on the float arena."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node

BOOL, I64, I32 = TensorProto.BOOL, TensorProto.INT64, TensorProto.INT32


def un(op: str, low: float = -3.0, high: float = 3.0, opset: int = 13, shape=(2, 3, 4), dtype: int | None = None,
       tag: str = "", **attrs) -> Case:
    types = {"x": dtype} if dtype is not None else None
    m = model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"], opset=opset, input_types=types)
    return Case(f"{op}{tag}_op{opset}", m, low=low, high=high, seed=len(op) + opset)


UNARY_MATH = Group("unary_math", [
    un("Abs"), un("Neg"), un("Exp"), un("Log", 0.05, 5.0), un("Sqrt", 0.0, 9.0), un("Reciprocal", 0.2, 4.0),
    un("Floor"), un("Ceil"), un("Round"), un("Sign"), un("Erf"), un("Sin", -6, 6), un("Cos", -6, 6),
    un("Tan", -1.2, 1.2), un("Asin", -1, 1), un("Acos", -1, 1), un("Atan"), un("Sinh"), un("Cosh"),
    un("Asinh"), un("Acosh", 1.0, 5.0), un("Atanh", -0.95, 0.95),
    un("Elu"), un("Elu", tag="_a05", alpha=0.5), un("Selu"), un("Selu", tag="_ag", alpha=1.2, gamma=0.8),
    un("Celu", opset=13), un("Celu", tag="_a2", alpha=2.0), un("Softplus"), un("Softsign"),
    un("ThresholdedRelu"), un("ThresholdedRelu", tag="_a05", alpha=0.5),
    un("Mish", opset=CURRENT), un("Gelu", opset=CURRENT), un("Gelu", tag="_tanh", opset=CURRENT, approximate="tanh"),
    un("Shrink"), un("Shrink", tag="_lb", lambd=1.5, bias=0.5),
    un("Abs", dtype=I64, tag="_i64"), un("Neg", dtype=I32, tag="_i32"), un("Sign", dtype=I64, tag="_i64"),
    un("Shrink", dtype=I64, tag="_i64", lambd=1.0, bias=1.0),
    un("Not", dtype=BOOL, opset=7), un("IsNaN", opset=13), un("IsInf"),
    un("Exp", opset=7), un("Round", opset=CURRENT, shape=(9,)), un("Erf", opset=9, tag="_9"),
])


@UNARY_MATH.param()
def test_unary_math(case, ops) -> None:
    ops.check(case, UNARY_MATH)


def bin_(op: str, sa, sb, dtype: int | None = None, opset: int = 13, low: float = -3.0, high: float = 3.0,
         tag: str = "", **attrs) -> Case:
    types = {"a": dtype, "b": dtype} if dtype is not None else None
    m = model([node(op, ["a", "b"], ["y"], **attrs)], {"a": sa, "b": sb}, ["y"], opset=opset, input_types=types)
    return Case(f"{op}{tag}_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}_op{opset}", m, low=low, high=high,
                seed=len(op) + len(tag))


BINARY_MATH = Group("binary_math", [
    bin_("Equal", (2, 3, 4), (4,), I64), bin_("Equal", (3, 4), (3, 4), BOOL, tag="_bool"),
    bin_("Equal", (2, 3), (3,), tag="_f", low=-1, high=1),
    bin_("Less", (2, 3, 4), (3, 1)), bin_("Less", (3, 4), (4,), I32, tag="_i32"),
    bin_("LessOrEqual", (2, 3), (2, 3), I64, opset=CURRENT), bin_("Greater", (1, 3, 4), (2, 1, 4)),
    bin_("Greater", (5,), (5,), opset=7), bin_("GreaterOrEqual", (3, 4), (), I64, opset=CURRENT),
    bin_("And", (2, 3, 4), (3, 4), BOOL, opset=7), bin_("Or", (3, 4), (4,), BOOL),
    bin_("Xor", (2, 3), (2, 3), BOOL, opset=7),
    bin_("Mod", (2, 3, 4), (4,), I64, low=-9, high=9, tag="_floor"),
    bin_("Mod", (2, 3, 4), (4,), I32, low=-9, high=9, tag="_fmod", fmod=1),
    bin_("Mod", (3, 4), (3, 4), low=-9, high=9, tag="_ffmod", fmod=1),
    bin_("PRelu", (2, 3, 4, 4), (3, 1, 1), opset=9), bin_("PRelu", (3, 5), (5,), tag="_row"),
    bin_("Add", (2, 3), (3,), I64, tag="_i64"), bin_("Sub", (2, 3), (2, 3), I32, tag="_i32"),
    bin_("Mul", (2, 3), (1,), I64, tag="_i64"),
    bin_("Max", (2, 3), (3,), I64, tag="_i64", opset=13), bin_("Min", (3, 4), (3, 4), I32, tag="_i32", opset=13),
])


@BINARY_MATH.param()
def test_binary_math(case, ops) -> None:
    ops.check(case, BINARY_MATH)


def var(op: str, shapes, dtype: int | None = None, opset: int = 13) -> Case:
    names = [f"x{i}" for i in range(len(shapes))]
    types = {n: dtype for n in names} if dtype is not None else None
    m = model([node(op, names, ["y"])], dict(zip(names, shapes)), ["y"], opset=opset, input_types=types)
    return Case(f"{op}{len(shapes)}_{dtype or 'f'}_op{opset}", m, seed=len(shapes))


VARIADIC = Group("variadic", [
    var(op, s) for op in ("Sum", "Min", "Max", "Mean") for s in ([(2, 3)], [(2, 3, 4), (4,)], [(3, 1), (1, 4), (2, 3, 4)])
] + [var("Sum", [(2, 3), (2, 3)], opset=7), var("Max", [(2, 3), (3,), (1, 3)], I64), var("Min", [(4,), (4,)], I32),
     var("Mean", [(2, 3), (2, 3)], opset=7)])


@VARIADIC.param()
def test_variadic(case, ops) -> None:
    ops.check(case, VARIADIC)


def _misc() -> list[Case]:
    cases = []
    m = model([node("Round", ["r"], ["ro"]), node("IsNaN", ["x"], ["n"]), node("IsInf", ["x"], ["i"]),
               node("IsInf", ["x"], ["p"], detect_negative=0), node("IsInf", ["x"], ["q"], detect_positive=0)],
              {"r": (8,), "x": (4,)}, ["ro", "n", "i", "p", "q"], opset=13)
    feeds = {"r": np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.5]] * 2, np.float32),
             "x": np.array([[np.inf, -np.inf, np.nan, 3.0]] * 2, np.float32)}
    cases.append(Case("round_half_even_special", m, feeds=feeds))
    m = model([node("Div", ["a", "b"], ["y"])], {"a": (2, 6), "b": (6,)}, ["y"], opset=13,
              input_types={"a": I64, "b": I64})
    feeds = {"a": np.array([[[7, -7, 7, -7, 0, 9], [1, 2, 3, 4, 5, 6]]] * 2, np.int64),
             "b": np.array([[2, 2, -2, -2, 3, 4]] * 2, np.int64)}
    cases.append(Case("int_div_truncates", m, feeds=feeds))
    m = model([node("Pow", ["a", "b"], ["y"]), node("Pow", ["a", "e"], ["z"]), node("Pow", ["a", "n"], ["w"])],
              {"a": (2, 3, 4), "b": (3, 4), "n": (4,)}, ["y", "z", "w"], {"e": np.array(2.0, np.float32)}, opset=13,
              input_types={"n": I64})
    rng = np.random.default_rng(3)
    feeds = {"a": rng.uniform(0.1, 3.0, (2, 2, 3, 4)).astype(np.float32),
             "b": rng.uniform(-2, 2, (2, 3, 4)).astype(np.float32), "n": rng.integers(-2, 4, (2, 4))}
    cases.append(Case("pow", m, feeds=feeds))
    # Bool tensors stay internal: Greater -> Not -> And -> Where, and an int64 ArgMax feeding Equal.
    nodes = [node("Greater", ["x", "t"], ["g"]), node("Not", ["g"], ["n"]), node("And", ["n", "m"], ["a"]),
             node("Where", ["a", "x", "z"], ["y"]), node("ArgMax", ["x"], ["am"], axis=1, keepdims=0),
             node("Equal", ["am", "k"], ["e"])]
    m = model(nodes, {"x": (3, 4), "m": (3, 4), "k": (3,)}, ["y", "e"],
              {"t": np.array(0.5, np.float32), "z": np.array([-1.0], np.float32)}, opset=13,
              input_types={"m": BOOL, "k": I64})
    cases.append(Case("cmp_chain", m, low=0, high=3))
    cases.append(Case("conv_elu", model([node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                                         node("Elu", ["c"], ["y"], alpha=0.7)],
                                        {"x": (1, 2, 5, 5)}, ["y"], {"w": const((3, 2, 3, 3))}, opset=13)))
    cases.append(un("Sin", opset=CURRENT, tag="_cur"))
    return cases


MISC = Group("math_misc", _misc())


@MISC.param()
def test_math_misc(case, ops) -> None:
    ops.check(case, MISC)


def test_unary_fused_into_conv(tmp_path) -> None:
    g = compiled_graph(next(c for c in MISC if c.id == "conv_elu").model, tmp_path)
    assert [n.op for n in g.nodes] == ["Conv"] and [a.op for a in g.nodes[0].fused] == ["Elu"]
