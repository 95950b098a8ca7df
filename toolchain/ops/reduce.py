"""Reductions (ReduceMean and family) over any set of axes; ArgMax/ArgMin along one axis."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops import s8
from toolchain.ops.base import (
    NUMERIC,
    ORDERED,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    attr_or_input,
    axis_view,
    check_dtypes,
    fill,
    norm_axis,
    register,
    require_const,
    shape,
)
from toolchain.ops.pool import mean_call

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
        return ORDERED if op in ("ReduceMax", "ReduceMin") else NUMERIC if op in INTEGER_OK else ("float32",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], self.dtypes_for(node.op))
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")
        reduced_axes(node, g)

    s8_op_types = ("ReduceMean",)

    def _mean_view(self, node: Node, g: Graph) -> tuple[int, int, int]:
        """ReduceMean over consecutive axes as mlc_mean_s8's [outer][axis][inner]."""
        x = list(shape(g, node.inputs[0]))
        axes = reduced_axes(node, g)
        if node.op != "ReduceMean" or not axes or axes != list(range(axes[0], axes[-1] + 1)):
            raise Unsupported("int8 reduces the mean over consecutive axes only")
        count = int(np.prod([x[a] for a in axes]))
        if count == 0 or count >= 1 << 23:
            raise Unsupported("int8 mean over an empty or 2^23-element axis")
        return int(np.prod(x[:axes[0]])), count, int(np.prod(x[axes[-1] + 1:]))

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._mean_view(node, g)
        s8.qp(g, node.inputs[0])
        s8.clamp(node, g, s8.qp(g, node.outputs[0]))

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [mean_call(node, ctx, *self._mean_view(node, ctx.graph))]

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
    dtypes = ORDERED
    rejects = ("rank > 6",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], ORDERED)
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


@register
class TopK(OpDef):
    """TopK along `axis` with a constant K (attribute k before opset 10): values and int64 indices, sorted
    (also for sorted=0, where ONNX leaves the order open); equal values keep the lower index first."""

    op_types = ("TopK",)
    dtypes = ORDERED
    rejects = ("run-time K",)

    def _view(self, node: Node, g: Graph) -> tuple[int, int, int, int]:
        x = list(shape(g, node.inputs[0])) or [1]
        axis = norm_axis(int(node.attrs.get("axis", -1)), len(x), node)
        k = attr_or_input(node, g, "k", 1, "K")
        if k is None or np.asarray(k).size != 1:
            raise Unsupported("K (input 1) must be a constant holding one value")
        k = int(np.asarray(k).reshape(-1)[0])
        if not 0 <= k <= x[axis]:
            raise Unsupported(f"K={k} outside 0..{x[axis]} (the axis' length)")
        return (*axis_view(x, axis), k)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], ORDERED)
        self._view(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        outer, axis_len, inner, k = self._view(node, ctx.graph)
        if k == 0 or outer * inner == 0:
            return []
        params = {"outer": outer, "axis_len": axis_len, "inner": inner, "k": k,
                  "largest": int(node.attrs.get("largest", 1))}
        return [KernelCall("mlc_topk_f32", "mlc_topk_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0]), ctx.tensor(node.outputs[1])])]


@register
class CumSum(OpDef):
    """CumSum along a constant axis, inclusive or exclusive, forward or reverse."""

    op_types = ("CumSum",)
    dtypes = NUMERIC
    rejects = ("run-time axis",)

    def _view(self, node: Node, g: Graph) -> tuple[int, int, int]:
        x = list(shape(g, node.inputs[0])) or [1]
        axis = require_const(g, node, 1, "axis")
        if np.asarray(axis).size != 1:
            raise Unsupported("axis (input 1) must be a constant holding one value")
        return axis_view(x, norm_axis(int(np.asarray(axis).reshape(-1)[0]), len(x), node))

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], NUMERIC)
        self._view(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        outer, axis_len, inner = self._view(node, ctx.graph)
        if outer * axis_len * inner == 0:
            return []
        params = {"outer": outer, "axis_len": axis_len, "inner": inner,
                  "exclusive": int(node.attrs.get("exclusive", 0)), "reverse": int(node.attrs.get("reverse", 0))}
        return [KernelCall("mlc_cumsum_f32", "mlc_cumsum_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
