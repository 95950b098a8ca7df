"""Reductions (ReduceMean and family) over any set of axes; ArgMax/ArgMin along one axis."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    NUMERIC,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    attr_or_input,
    check_dtypes,
    fill,
    norm_axis,
    register,
    shape,
)

REDUCE_OPS = {"ReduceSum": 0, "ReduceMean": 1, "ReduceMax": 2, "ReduceMin": 3, "ReduceProd": 4, "ReduceL1": 5,
              "ReduceL2": 6, "ReduceLogSum": 7, "ReduceLogSumExp": 8, "ReduceSumSquare": 9}
# Reductions that stay exact on integer tensors (float32 values in the arena below 2**24).
INTEGER_OK = {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceSumSquare"}


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
    dtypes = NUMERIC
    rejects = ("run-time axes", "rank > 6")

    def dtypes_for(self, op: str) -> tuple[str, ...]:
        return NUMERIC if op in INTEGER_OK else ("float32",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], NUMERIC if node.op in INTEGER_OK else ("float32",))
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


@register
class ArgReduce(OpDef):
    """ArgMax / ArgMin along `axis` (keepdims either way, select_last_index); int64 indices."""

    op_types = ("ArgMax", "ArgMin")
    dtypes = NUMERIC
    rejects = ("rank > 6",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], NUMERIC)
        rank = len(shape(g, node.inputs[0]))
        if rank > 6:
            raise Unsupported("rank > 6")
        norm_axis(int(node.attrs.get("axis", 0)), rank, node)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = list(shape(ctx.graph, node.inputs[0])) or [1]
        axis = norm_axis(int(node.attrs.get("axis", 0)), len(x), node)
        params = {
            "op": 10 if node.op == "ArgMax" else 11, "rank": len(x), "in_dims": fill(x),
            "reduced": fill([1 if i == axis else 0 for i in range(len(x))]),
            "select_last": int(node.attrs.get("select_last_index", 0)),
        }
        return [KernelCall("mlc_reduce_f32", "mlc_reduce_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
