"""Elementwise activations: standalone they run the unary kernel; after a fusing producer they
become its `act` parameter (passes.fuse_activations asks `activation`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops import s8
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_float,
    register,
    same_shape_inputs,
    shape,
)
from toolchain.ops.elementwise import binary_call
from toolchain.quant.lut import node_function
from toolchain.quant.requant import lut_table

# Output quantization of the int8 tables when calibration does not decide it (TFLite's fixed choices).
FIXED_S8_OUT = {"Tanh": QParams.of(1.0 / 128.0, 0), "Sigmoid": QParams.of(1.0 / 256.0, -128)}


def lut_call(node: Node, ctx: LowerCtx) -> KernelCall:
    """Any elementwise function of one int8 tensor as a 256-entry table computed at compile time."""
    g = ctx.graph
    xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
    table = lut_table(node_function(node, g), xq.s, xq.zp, yq.s, yq.zp)
    return KernelCall("mlc_lut_s8", "mlc_lut_s8_params_t", {"size": int(np.prod(shape(g, node.outputs[0]) or (1,)))},
                      [ctx.tensor(node.inputs[0]), ctx.const(node.name + "_table", table), ctx.tensor(node.outputs[0])])

# ONNX op -> (mlc_unary_op_t, default alpha, default beta, attribute names for alpha and beta)
UNARY: dict[str, tuple[int, float, float, str, str]] = {
    "Relu": (1, 0.0, 0.0, "", ""),
    "LeakyRelu": (3, 0.01, 0.0, "alpha", ""),
    "Sigmoid": (4, 0.0, 0.0, "", ""),
    "Tanh": (5, 0.0, 0.0, "", ""),
    "HardSigmoid": (6, 0.2, 0.5, "alpha", "beta"),
    "HardSwish": (7, 1.0 / 6.0, 0.5, "", ""),
}


def _runtime_bounds(node: Node, g: Graph) -> bool:
    """Clip's min or max (opset >= 11 inputs) is a run-time tensor."""
    return "min" not in node.attrs and "max" not in node.attrs and any(
        node.input(i) and g.const(node.input(i)) is None for i in (1, 2))


def _clip_bounds(node: Node, g: Graph) -> tuple[float, float]:
    lo, hi = float(np.finfo(np.float32).min), float(np.finfo(np.float32).max)
    if "min" in node.attrs or "max" in node.attrs:  # opset < 11
        return float(node.attrs.get("min", lo)), float(node.attrs.get("max", hi))
    for idx in (1, 2):
        if node.input(idx):
            v = g.const(node.input(idx))
            if v is None:
                raise Unsupported(f"{'min' if idx == 1 else 'max'} (input {idx}) must be a constant")
            if idx == 1:
                lo = float(np.asarray(v).reshape(-1)[0])
            else:
                hi = float(np.asarray(v).reshape(-1)[0])
    return lo, hi


@register
class Unary(OpDef):
    op_types = (*UNARY, "Clip")
    dtypes = ("float32",)
    rejects = ("integer tensors (float32 only)",)
    table: dict[str, tuple[int, float, float, str, str]] = UNARY

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if node.op == "Clip" and not _runtime_bounds(node, g):
            _clip_bounds(node, g)
        if node.op == "Clip" and _runtime_bounds(node, g) and len(shape(g, node.outputs[0])) > 6:
            raise Unsupported("rank > 6")

    def activation(self, node: Node, g: Graph) -> dict[str, Any] | None:
        if node.op == "Clip":
            if _runtime_bounds(node, g):
                return None  # max(x, min) then min(., max) with the binary kernel (see lower)
            lo, hi = _clip_bounds(node, g)
            return {"op": 2, "alpha": lo, "beta": hi}
        code, alpha, beta, a_name, b_name = self.table[node.op]
        return {
            "op": code,
            "alpha": float(node.attrs.get(a_name, alpha)) if a_name else alpha,
            "beta": float(node.attrs.get(b_name, beta)) if b_name else beta,
        }

    def in_place_inputs(self, node: Node, g: Graph) -> tuple[int, ...]:
        return same_shape_inputs(node, g, (0,))

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        if node.op == "Clip" and _runtime_bounds(node, g):
            raise Unsupported("Clip with run-time bounds on int8")
        s8.qp(g, node.inputs[0])
        s8.qp(g, node.outputs[0])

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return FIXED_S8_OUT.get(node.op)

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [lut_call(node, ctx)]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        if node.op == "Clip" and _runtime_bounds(node, g):
            calls, src = [], node.inputs[0]
            for idx, op in ((1, 6), (2, 5)):  # MLC_BINARY_MAX with min, then MLC_BINARY_MIN with max
                if node.input(idx):
                    calls.append(binary_call(node, ctx, op, src, node.input(idx), fuse=False))
                    src = node.outputs[0]
            return calls
        params = {"size": int(np.prod(shape(g, node.outputs[0]) or (1,))), "op": self.activation(node, g)}
        return [KernelCall("mlc_unary_f32", "mlc_unary_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
