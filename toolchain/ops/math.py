"""Elementwise math: the unary functions (one `mlc_unary_f32` kernel, fusable as activations), the
broadcasting binary operators beyond Add/Sub/Mul/Div (Pow, Mod, PRelu, comparisons, logic) and the
variadic Min/Max/Sum/Mean (a chain of binary calls).

Integer and bool run-time tensors are float32 values in the arena (see ir.RUNTIME_DTYPES): comparisons,
logic, Abs/Neg/Sign, Min/Max and Mod on them are exact below 2**24."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops import s8
from toolchain.ops.activations import Unary, lut_call
from toolchain.ops.base import (
    ANY,
    NUMERIC,
    ORDERED,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_dtypes,
    check_float,
    register,
    shape,
)
from toolchain.ops.elementwise import binary_call

SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875

# ONNX op -> (mlc_unary_op_t, default alpha, default beta, attribute names for alpha and beta)
MATH_UNARY: dict[str, tuple[int, float, float, str, str]] = {
    "Abs": (8, 0.0, 0.0, "", ""),
    "Neg": (9, 0.0, 0.0, "", ""),
    "Exp": (10, 0.0, 0.0, "", ""),
    "Log": (11, 0.0, 0.0, "", ""),
    "Sqrt": (12, 0.0, 0.0, "", ""),
    "Reciprocal": (13, 0.0, 0.0, "", ""),
    "Floor": (14, 0.0, 0.0, "", ""),
    "Ceil": (15, 0.0, 0.0, "", ""),
    "Round": (16, 0.0, 0.0, "", ""),
    "Sign": (17, 0.0, 0.0, "", ""),
    "Erf": (18, 0.0, 0.0, "", ""),
    "Sin": (19, 0.0, 0.0, "", ""),
    "Cos": (20, 0.0, 0.0, "", ""),
    "Elu": (21, 1.0, 0.0, "alpha", ""),
    "Selu": (22, SELU_ALPHA, SELU_GAMMA, "alpha", "gamma"),
    "Celu": (23, 1.0, 0.0, "alpha", ""),
    "Gelu": (24, 0.0, 0.0, "", ""),  # alpha selects the tanh approximation (see activation)
    "Mish": (25, 0.0, 0.0, "", ""),
    "Softplus": (26, 0.0, 0.0, "", ""),
    "Softsign": (27, 0.0, 0.0, "", ""),
    "ThresholdedRelu": (28, 1.0, 0.0, "alpha", ""),
    "Tan": (29, 0.0, 0.0, "", ""),
    "Asin": (30, 0.0, 0.0, "", ""),
    "Acos": (31, 0.0, 0.0, "", ""),
    "Atan": (32, 0.0, 0.0, "", ""),
    "Sinh": (33, 0.0, 0.0, "", ""),
    "Cosh": (34, 0.0, 0.0, "", ""),
    "Asinh": (35, 0.0, 0.0, "", ""),
    "Acosh": (36, 0.0, 0.0, "", ""),
    "Atanh": (37, 0.0, 0.0, "", ""),
    "Not": (38, 0.0, 0.0, "", ""),
    "IsNaN": (39, 0.0, 0.0, "", ""),
    "IsInf": (40, 1.0, 1.0, "detect_positive", "detect_negative"),
    "Shrink": (41, 0.5, 0.0, "lambd", "bias"),
}
# Input types beyond float32 per op (run-time values are float32 in the arena either way).
UNARY_TYPES = {"Abs": NUMERIC, "Neg": NUMERIC, "Sign": NUMERIC, "Shrink": NUMERIC, "Not": ("bool",)}


@register
class MathUnary(Unary):
    op_types = tuple(MATH_UNARY)
    # On int8 every float function of one tensor is a lookup table; the predicates return bool.
    s8_op_types = tuple(op for op in MATH_UNARY if op not in ("IsNaN", "IsInf", "Not"))
    dtypes = ("float32", "int64", "int32", "bool")
    table = MATH_UNARY

    def dtypes_for(self, op: str) -> tuple[str, ...]:
        return UNARY_TYPES.get(op, ("float32",))

    def rejects_for(self, op: str) -> tuple[str, ...]:
        return {"Gelu": ("approximate other than none and tanh",), "Celu": ("alpha=0",)}.get(op, ())

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], UNARY_TYPES.get(node.op, ("float32",)))
        if node.op == "Gelu" and node.attrs.get("approximate", "none") not in ("none", "tanh"):
            raise Unsupported(f"approximate={node.attrs['approximate']}")
        if node.op == "Celu" and float(node.attrs.get("alpha", 1.0)) == 0.0:
            raise Unsupported("alpha=0")

    def activation(self, node: Node, g: Graph) -> dict[str, Any] | None:
        form = super().activation(node, g)
        assert form is not None
        if node.op == "Gelu":
            form["alpha"] = 1.0 if node.attrs.get("approximate", "none") == "tanh" else 0.0
        if node.op == "IsInf":
            form["alpha"], form["beta"] = float(bool(form["alpha"])), float(bool(form["beta"]))
        return form


# ONNX op -> (mlc_binary_op_t, allowed run-time input types)
LOGIC = ("bool",)
MATH_BINARY: dict[str, tuple[int, tuple[str, ...]]] = {
    "Pow": (4, ("float32",)),
    "PRelu": (16, ("float32",)),
    "Equal": (8, ANY),
    "Less": (9, ORDERED),
    "LessOrEqual": (10, ORDERED),
    "Greater": (11, ORDERED),
    "GreaterOrEqual": (12, ORDERED),
    "And": (13, LOGIC),
    "Or": (14, LOGIC),
    "Xor": (15, LOGIC),
    "Mod": (7, ORDERED),  # 17 (floor mod) with fmod=0; |result| < |divisor|: never out of the type's range
}


def _rank_ok(node: Node, g: Graph) -> None:
    if len(shape(g, node.outputs[0])) > 6:
        raise Unsupported("rank > 6")


@register
class MathBinary(OpDef):
    op_types = tuple(MATH_BINARY)
    dtypes = ANY
    rejects = ("rank > 6",)
    fuses_activation = False  # comparisons and logic produce 0/1; activations stay separate

    def dtypes_for(self, op: str) -> tuple[str, ...]:
        return MATH_BINARY[op][1]  # Pow: float32 base (its exponent may be an integer tensor)

    def check(self, node: Node, g: Graph) -> None:
        _, types = MATH_BINARY[node.op]
        if node.op == "Pow":
            check_float(node, g, [0])
            check_dtypes(node, g, [node.inputs[1]], NUMERIC)
        else:
            check_dtypes(node, g, node.inputs[:2], types)
        _rank_ok(node, g)

    s8_op_types = ("PRelu",)

    def _leaky(self, node: Node, g: Graph) -> Node:
        """PRelu with one slope everywhere (PyTorch's default nn.PReLU) is LeakyRelu: an int8 table."""
        slope = g.const(node.input(1))
        if node.op != "PRelu" or slope is None or np.asarray(slope).size == 0:
            raise Unsupported("int8 needs PRelu with a constant slope")
        slope = np.asarray(slope, np.float32).reshape(-1)
        if not np.all(slope == slope[0]) or shape(g, node.inputs[0]) != shape(g, node.outputs[0]):
            raise Unsupported("int8 PRelu needs one slope for every element (a table per channel is not built)")
        return Node("LeakyRelu", node.name, node.inputs[:1], node.outputs, {"alpha": float(slope[0])})

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._leaky(node, g)
        s8.qp(g, node.inputs[0])
        s8.qp(g, node.outputs[0])

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [lut_call(self._leaky(node, ctx.graph), ctx)]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        code = MATH_BINARY[node.op][0]
        if node.op == "Mod" and not int(node.attrs.get("fmod", 0)):
            code = 17
        return [binary_call(node, ctx, code, node.inputs[0], node.inputs[1], fuse=False)]


VARIADIC = {"Sum": 0, "Min": 5, "Max": 6, "Mean": 0}


@register
class Variadic(OpDef):
    """Sum/Min/Max/Mean of 1..N inputs with broadcasting: y = x0 op x1, then y = y op x2, ..."""

    op_types = tuple(VARIADIC)
    dtypes = ORDERED
    rejects = ("no inputs", "rank > 6")

    def dtypes_for(self, op: str) -> tuple[str, ...]:
        return {"Mean": ("float32",), "Sum": NUMERIC}.get(op, ORDERED)

    def check(self, node: Node, g: Graph) -> None:
        ins = [i for i in node.inputs if i]
        if not ins:
            raise Unsupported("no inputs")
        check_dtypes(node, g, ins, self.dtypes_for(node.op))
        _rank_ok(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        ins = [i for i in node.inputs if i]
        y = node.outputs[0]
        code = VARIADIC[node.op]
        if len(ins) == 1:
            calls = [KernelCall("mlc_unary_f32", "mlc_unary_params_t",
                                {"size": int(np.prod(shape(g, y) or (1,))), "op": {"op": 0, "alpha": 0.0, "beta": 0.0}},
                                [ctx.tensor(ins[0]), ctx.tensor(y)])]
        else:
            calls = [binary_call(node, ctx, code, ins[0], ins[1], fuse=False)]
            calls += [binary_call(node, ctx, code, y, extra, fuse=False) for extra in ins[2:]]
        if node.op == "Mean":
            scale = ctx.const(node.name + "_inv_n", np.array([1.0 / len(ins)], np.float32))
            call = binary_call(node, ctx, 2, y, y, fuse=False)
            call.params["b_strides"] = [0] * 6
            call.args[1] = scale
            calls.append(call)
        return calls
