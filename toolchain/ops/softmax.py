"""Softmax, LogSoftmax and Hardmax over any axis (with the pre-13 "flatten at axis" semantics for old opsets)."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops import s8
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    axis_view,
    check_float,
    norm_axis,
    register,
    shape,
)
from toolchain.quant.requant import SOFTMAX_MAX_AXIS, softmax_table

# The int8 softmax writes probabilities with scale 1/256 and zero point -128 (TFLite's int8 softmax output).
SOFTMAX_S8_OUT = QParams.of(1.0 / 256.0, -128)

MODES = {"Softmax": 0, "LogSoftmax": 1, "Hardmax": 2}


@register
class Softmax(OpDef):
    op_types = tuple(MODES)
    s8_op_types = ("Softmax",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        self._split(node, g)

    def _split(self, node: Node, g: Graph) -> tuple[int, int, int]:
        dims = list(shape(g, node.inputs[0])) or [1]
        legacy = g.opset < 13
        axis = norm_axis(int(node.attrs.get("axis", 1 if legacy else -1)), len(dims), node)
        if legacy:  # coerced to 2-D [outer, rest]
            return int(np.prod(dims[:axis])), int(np.prod(dims[axis:])), 1
        return axis_view(dims, axis)

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        if node.op != "Softmax":
            raise Unsupported(f"{node.op} on int8")
        if self._split(node, g)[1] > SOFTMAX_MAX_AXIS:
            raise Unsupported(f"int8 Softmax over more than {SOFTMAX_MAX_AXIS} elements")
        s8.qp(g, node.inputs[0])
        s8.qp(g, node.outputs[0])

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return SOFTMAX_S8_OUT

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        outer, axis, inner = self._split(node, g)
        xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
        table = ctx.const(node.name + "_exp", softmax_table(xq.s))
        calls = [KernelCall("mlc_softmax_s8", "mlc_softmax_s8_params_t", {"outer": outer, "axis": axis, "inner": inner},
                            [ctx.tensor(node.inputs[0]), table, ctx.tensor(node.outputs[0])])]
        if not SOFTMAX_S8_OUT.same(yq):
            calls.append(s8.requantize_call(ctx, node.outputs[0], SOFTMAX_S8_OUT, yq))
        return calls

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        outer, axis, inner = self._split(node, ctx.graph)
        params = {"outer": outer, "axis": axis, "inner": inner, "log": MODES[node.op]}
        return [KernelCall("mlc_softmax_f32", "mlc_softmax_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
