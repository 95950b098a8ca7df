"""Gemm and MatMul, both lowered to one strided batched matrix-product kernel."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops import s8
from toolchain.ops.base import (
    NULL,
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


def _matmul_call(node: Node, ctx: LowerCtx, a: str, b: str, trans_a: bool, trans_b: bool,
                 bias: str = "", alpha: float = 1.0, beta: float = 1.0) -> KernelCall:
    """One kernel call computing act(alpha * op(A) op(B) + beta * C) with numpy batch broadcasting."""
    g = ctx.graph
    sa, sb, sy = list(shape(g, a)), list(shape(g, b)), list(shape(g, node.outputs[0]))
    if len(sa) == 1:
        sa = [1] + sa
    if len(sb) == 1:
        sb = sb + [1]
    m, k = (sa[-1], sa[-2]) if trans_a else (sa[-2], sa[-1])
    n = sb[-2] if trans_b else sb[-1]
    batch_a, batch_b = sa[:-2], sb[:-2]
    nb = max(len(batch_a), len(batch_b))
    batch = [max(x, y) for x, y in zip([1] * (nb - len(batch_a)) + batch_a, [1] * (nb - len(batch_b)) + batch_b)]

    def batch_strides(full: list[int]) -> list[int]:
        mat = full[-1] * full[-2]
        strides = broadcast_strides(tuple(full[:-2]), tuple(batch))
        return [s * mat for s in strides]

    a_sm, a_sk = (1, sa[-1]) if trans_a else (sa[-1], 1)
    b_sk, b_sn = (1, sb[-1]) if trans_b else (sb[-1], 1)
    const_b = g.const(b)
    if const_b is None or batch:
        b_arg = ctx.tensor(b)
    else:
        # Store constant weights as [N][K] so the inner product walks memory contiguously.
        w = np.asarray(const_b, np.float32).reshape(sb)
        w = w if trans_b else w.T
        b_arg = ctx.const(node.name + "_w", np.ascontiguousarray(w))
        b_sk, b_sn = 1, k
    bias_sm = bias_sn = 0
    bias_arg = NULL
    if bias:
        c_shape = shape(g, bias)
        if len(c_shape) > 2:
            raise Unsupported(f"bias C of rank {len(c_shape)}")
        bias_sm, bias_sn = broadcast_strides(c_shape, (m, n))
        bias_arg = ctx.tensor(bias)
    if len(batch) > 6:
        raise Unsupported("more than 6 batch dimensions")
    params = {
        "batch_rank": len(batch), "batch_dims": fill(batch),
        "a_batch_strides": fill(batch_strides(sa)), "b_batch_strides": fill(batch_strides(sb)),
        "m": m, "n": n, "k": k, "a_stride_m": a_sm, "a_stride_k": a_sk, "b_stride_k": b_sk, "b_stride_n": b_sn,
        "bias_stride_m": bias_sm, "bias_stride_n": bias_sn, "alpha": float(alpha), "beta": float(beta),
        "act": fused_act(node, g),
    }
    assert int(np.prod(batch or [1])) * m * n == int(np.prod(sy or [1]))
    return KernelCall("mlc_matmul_f32", "mlc_matmul_params_t", params,
                      [ctx.tensor(a), b_arg, bias_arg, ctx.tensor(node.outputs[0])])


def _fc_s8(node: Node, g: Graph, a: str, b: str, trans_b: bool, bias: str, alpha: float, beta: float):
    """mlc_fc_s8 parameters and constants for y[m][n] = a[m][k] * op(B) + bias: B constant 2-D."""
    sa, sb = shape(g, a), shape(g, b)
    if len(sb) != 2 or g.const(b) is None:
        raise Unsupported("int8 needs a constant 2-D weight matrix")
    k = sa[-1]
    m = int(np.prod(sa[:-1]))
    n = sb[0] if trans_b else sb[1]
    xq, yq = s8.qp(g, a), s8.qp(g, node.outputs[0])
    if bias and (len(shape(g, bias)) > 1 and shape(g, bias)[0] != 1):
        raise Unsupported("int8 needs a bias broadcast along the rows")
    w_q, w_scales, bq = s8.weights_and_bias(g, b, bias, 0 if trans_b else 1, xq.s, k, float(alpha), float(beta))
    w_q = w_q if trans_b else w_q.T
    s8.check_accumulator(k, bq, "matrix product")
    qmult = s8.multipliers(xq.s, w_scales, yq.s)
    lo, hi = s8.clamp(node, g, yq)
    params = {"m": m, "n": n, "k": k, "x_zero_point": xq.zp, "y_zero_point": yq.zp, "act_min": lo, "act_max": hi}
    return params, np.ascontiguousarray(w_q), bq, qmult


def _fc_s8_call(node: Node, ctx: LowerCtx, a: str, consts) -> KernelCall:
    params, w_q, bq, qmult = consts
    layout = s8.fc_layout(ctx.kernels)
    w_q = w_q.reshape(-1)[s8.fc_weight_order(params["n"], params["k"], layout)]
    params = {**params, "w_layout": layout}
    return KernelCall("mlc_fc_s8", "mlc_fc_s8_params_t", params,
                      [ctx.tensor(a), *s8.weight_args(ctx, node, w_q, bq, qmult), ctx.tensor(node.outputs[0])])


@register
class Gemm(OpDef):
    op_types = ("Gemm",)
    rejects = ("A or B not 2-D", "C of rank > 2")
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.inputs[0])) != 2 or len(shape(g, node.inputs[1])) != 2:
            raise Unsupported("A and B must be 2-D")
        if node.input(2) and len(shape(g, node.inputs[2])) > 2:
            raise Unsupported("C of rank > 2")

    def _s8(self, node: Node, g: Graph):
        a = node.attrs
        if a.get("transA", 0):
            raise Unsupported("transA=1 on int8")
        return _fc_s8(node, g, node.inputs[0], node.inputs[1], bool(a.get("transB", 0)), node.input(2),
                      a.get("alpha", 1.0), a.get("beta", 1.0))

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._s8(node, g)

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [_fc_s8_call(node, ctx, node.inputs[0], self._s8(node, ctx.graph))]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        a = node.attrs
        return [_matmul_call(node, ctx, node.inputs[0], node.inputs[1], bool(a.get("transA", 0)),
                             bool(a.get("transB", 0)), node.input(2), a.get("alpha", 1.0), a.get("beta", 1.0))]

    def macs(self, node: Node, g: Graph) -> int:
        sa = shape(g, node.inputs[0])
        k = sa[0] if node.attrs.get("transA", 0) else sa[1]
        return int(np.prod(shape(g, node.outputs[0]))) * int(k)


@register
class MatMul(OpDef):
    op_types = ("MatMul",)
    rejects = ("more than 6 batch dimensions",)
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)

    def check_s8(self, node: Node, g: Graph) -> None:
        if len(shape(g, node.inputs[0])) < 2:
            raise Unsupported("1-D A on int8")
        _fc_s8(node, g, node.inputs[0], node.inputs[1], False, "", 1.0, 1.0)

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        consts = _fc_s8(node, ctx.graph, node.inputs[0], node.inputs[1], False, "", 1.0, 1.0)
        return [_fc_s8_call(node, ctx, node.inputs[0], consts)]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return [_matmul_call(node, ctx, node.inputs[0], node.inputs[1], False, False)]

    def macs(self, node: Node, g: Graph) -> int:
        return int(np.prod(shape(g, node.outputs[0]) or (1,))) * int(shape(g, node.inputs[0])[-1])
