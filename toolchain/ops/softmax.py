"""Softmax, LogSoftmax and Hardmax over any axis (with the pre-13 "flatten at axis" semantics for old opsets)."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import KernelCall, LowerCtx, OpDef, check_float, norm_axis, register, shape

MODES = {"Softmax": 0, "LogSoftmax": 1, "Hardmax": 2}


@register
class Softmax(OpDef):
    op_types = tuple(MODES)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        self._split(node, g)

    def _split(self, node: Node, g: Graph) -> tuple[int, int, int]:
        dims = list(shape(g, node.inputs[0])) or [1]
        legacy = g.opset < 13
        axis = norm_axis(int(node.attrs.get("axis", 1 if legacy else -1)), len(dims), node)
        outer = int(np.prod(dims[:axis]))
        if legacy:  # coerced to 2-D [outer, rest]
            return outer, int(np.prod(dims[axis:])), 1
        return outer, dims[axis], int(np.prod(dims[axis + 1:]))

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        outer, axis, inner = self._split(node, ctx.graph)
        params = {"outer": outer, "axis": axis, "inner": inner, "log": MODES[node.op]}
        return [KernelCall("mlc_softmax_f32", "mlc_softmax_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
