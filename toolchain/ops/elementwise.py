"""Binary elementwise operators with numpy broadcasting (one strided kernel).

On integer tensors (float32 values in the arena, exact below 2**24) Div truncates toward zero."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    NUMERIC,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    broadcast_strides,
    check_dtypes,
    fill,
    fused_act,
    register,
    shape,
)

# ONNX op -> mlc_binary_op_t
BINARY_OPS = {"Add": 0, "Sub": 1, "Mul": 2, "Div": 3}


def binary_call(node: Node, ctx: LowerCtx, op: int, a: str, b: str, fuse: bool = True) -> KernelCall:
    g = ctx.graph
    out = shape(g, node.outputs[0]) or (1,)
    sa = shape(g, a) or (1,)
    sb = shape(g, b) or (1,)
    params = {
        "op": op, "rank": len(out), "dims": fill(list(out)),
        "a_strides": fill(broadcast_strides(sa, out)), "b_strides": fill(broadcast_strides(sb, out)),
        "act": fused_act(node, g) if fuse else {"op": 0, "alpha": 0.0, "beta": 0.0},
    }
    return KernelCall("mlc_binary_f32", "mlc_binary_params_t", params,
                      [ctx.tensor(a), ctx.tensor(b), ctx.tensor(node.outputs[0])])


@register
class Binary(OpDef):
    op_types = tuple(BINARY_OPS)
    dtypes = NUMERIC
    rejects = ("rank > 6",)
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, node.inputs[:2], NUMERIC)
        if len(shape(g, node.outputs[0])) > 6:
            raise Unsupported("rank > 6")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        y = node.outputs[0]
        if node.op == "Div" and g.tensors[y].dtype != "float32":
            # Integer division truncates: divide, then truncate in place (and only then the fused activation).
            size = int(np.prod(shape(g, y) or (1,)))
            return [binary_call(node, ctx, 3, node.inputs[0], node.inputs[1], fuse=False),
                    KernelCall("mlc_unary_f32", "mlc_unary_params_t",
                               {"size": size, "op": {"op": 42, "alpha": 0.0, "beta": 0.0}}, [ctx.tensor(y), ctx.tensor(y)]),
                    KernelCall("mlc_unary_f32", "mlc_unary_params_t", {"size": size, "op": fused_act(node, g)},
                               [ctx.tensor(y), ctx.tensor(y)])]
        return [binary_call(node, ctx, BINARY_OPS[node.op], node.inputs[0], node.inputs[1])]
