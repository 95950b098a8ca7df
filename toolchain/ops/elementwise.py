"""Binary elementwise operators with numpy broadcasting (one strided kernel).

On integer tensors (float32 values in the arena, exact below 2**24) Div truncates toward zero."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops import s8
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
    same_shape_inputs,
    shape,
)
from toolchain.quant.requant import add_params, mul_params


def const_qparams(data: np.ndarray) -> QParams:
    """Per-tensor int8 quantization of a constant operand covering its range and zero."""
    lo, hi = min(float(np.min(data)), 0.0), max(float(np.max(data)), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(np.rint(-128.0 - lo / scale), -128, 127))
    return QParams.of(np.float32(scale), zp)


def const_operand(data: np.ndarray, negated: bool = False) -> tuple[QParams, np.ndarray]:
    """A constant operand (negated first if asked) quantized per tensor: its parameters and int8 values."""
    real = np.asarray(data, np.float64) * (-1.0 if negated else 1.0)
    q = const_qparams(real)
    return q, np.clip(np.rint(real / q.s) + q.zp, -128, 127).astype(np.int8)


def operand_s8(ctx_graph: Graph, name: str, negated: bool = False) -> QParams:
    """An int8 operand's quantization (a constant's own); `negated`: that of -operand, which for a run-time
    tensor is its bitwise NOT (-1 - q) with zero point -1 - zp, exactly: (-1 - q) - (-1 - zp) = -(q - zp)."""
    data = ctx_graph.const(name)
    if data is not None:
        return const_operand(data, negated)[0]
    q = s8.qp(ctx_graph, name)
    return QParams.of(np.float32(q.s), -1 - q.zp) if negated else q


# mlc_lut_s8's table of the bitwise NOT: x -> -1 - x, the exact negation (see operand_s8)
NOT_TABLE = (-1 - np.arange(-128, 128)).astype(np.int8)

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
    s8_op_types = ("Add", "Sub", "Mul")
    dtypes = NUMERIC
    rejects = ("rank > 6",)
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, node.inputs[:2], NUMERIC)
        if len(shape(g, node.outputs[0])) > 6:
            raise Unsupported("rank > 6")

    def in_place_inputs(self, node: Node, g: Graph) -> tuple[int, ...]:
        return same_shape_inputs(node, g, (0, 1))

    def _s8(self, node: Node, g: Graph) -> dict:
        """mlc_add_s8 / mlc_mul_s8 parameters; Sub is a + (-b), -b being b's bitwise NOT (operand_s8)."""
        if node.op not in ("Add", "Sub", "Mul"):
            raise Unsupported(f"{node.op} on int8 (Add, Sub and Mul only)")
        out = shape(g, node.outputs[0]) or (1,)
        if len(out) > 6:
            raise Unsupported("rank > 6")
        a, b = node.inputs[0], node.inputs[1]
        aq, bq, yq = operand_s8(g, a), operand_s8(g, b, node.op == "Sub"), s8.qp(g, node.outputs[0])
        lo, hi = s8.clamp(node, g, yq)
        try:
            scales = (mul_params(aq.s, bq.s, yq.s) if node.op == "Mul" else add_params(aq.s, bq.s, yq.s))
        except ValueError as exc:
            raise Unsupported(f"rescale factor out of range ({exc})") from exc
        return {"rank": len(out), "dims": fill(list(out)),
                "a_strides": fill(broadcast_strides(shape(g, a) or (1,), out)),
                "b_strides": fill(broadcast_strides(shape(g, b) or (1,), out)),
                "a_zero_point": aq.zp, "b_zero_point": bq.zp, "y_zero_point": yq.zp, **scales,
                "act_min": lo, "act_max": hi}

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._s8(node, g)

    def _negated_runtime_b(self, node: Node, g: Graph) -> bool:
        return node.op == "Sub" and g.const(node.inputs[1]) is None and g.tensors[node.outputs[0]].dtype == "int8"

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        """int8 Sub of a run-time b: -b (its bitwise NOT) is written to scratch first."""
        return g.tensors[node.inputs[1]].nbytes if self._negated_runtime_b(node, g) else 0

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        params = self._s8(node, g)
        calls, args = [], []
        for k, name in enumerate(node.inputs[:2]):
            data = g.const(name)
            if k == 1 and self._negated_runtime_b(node, g):
                scratch = ctx.scratch(node, "int8_t")
                size = int(np.prod(shape(g, name) or (1,)))
                calls.append(KernelCall("mlc_lut_s8", "mlc_lut_s8_params_t", {"size": size},
                                        [ctx.tensor(name), ctx.const("not_table", NOT_TABLE), scratch]))
                args.append(scratch)
            elif data is None:
                args.append(ctx.tensor(name))
            else:
                args.append(ctx.const(f"{node.name}_{name}_q", const_operand(data, k == 1 and node.op == "Sub")[1]))
        fn = "mlc_mul_s8" if node.op == "Mul" else "mlc_add_s8"
        return calls + [KernelCall(fn, "mlc_binary_s8_params_t", params, args + [ctx.tensor(node.outputs[0])])]

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
