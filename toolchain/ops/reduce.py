"""Reductions (ReduceMean and family) over any set of axes."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    attr_or_input,
    check_float,
    fill,
    norm_axis,
    register,
    shape,
)

REDUCE_OPS = {"ReduceSum": 0, "ReduceMean": 1, "ReduceMax": 2, "ReduceMin": 3}


def reduced_axes(node: Node, g: Graph) -> list[int]:
    rank = len(shape(g, node.inputs[0]))
    axes = attr_or_input(node, g, "axes", 1, "axes")
    if axes is None or np.asarray(axes).size == 0:
        if int(node.attrs.get("noop_with_empty_axes", 0)):
            return []
        return list(range(rank))
    return sorted({norm_axis(int(a), rank, node) for a in np.asarray(axes).reshape(-1)})


@register
class Reduce(OpDef):
    op_types = tuple(REDUCE_OPS)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g, [0])
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")
        reduced_axes(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0])) or [1]
        axes = reduced_axes(node, g)
        params = {
            "op": REDUCE_OPS[node.op], "rank": len(x), "in_dims": fill(x),
            "reduced": fill([1 if i in axes else 0 for i in range(len(x))]), "select_last": 0,
        }
        return [KernelCall("mlc_reduce_f32", "mlc_reduce_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
