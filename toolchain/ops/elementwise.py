"""Binary elementwise operators with numpy broadcasting (one strided kernel)."""

from __future__ import annotations

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    broadcast_strides,
    check_float,
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
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.outputs[0])) > 6:
            raise Unsupported("rank > 6")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [binary_call(node, ctx, BINARY_OPS[node.op], node.inputs[0], node.inputs[1])]
