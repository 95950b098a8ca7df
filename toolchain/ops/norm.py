"""BatchNormalization (when not folded into a producer) and LayerNormalization."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    NULL,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_float,
    check_unused_outputs,
    fused_act,
    norm_axis,
    register,
    require_const,
    shape,
)


def batchnorm_affine(node: Node, g: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (scale, shift) of an inference-mode BatchNormalization."""
    gamma, beta, mean, var = (np.asarray(require_const(g, node, i, n), np.float64)
                              for i, n in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")))
    eps = float(node.attrs.get("epsilon", 1e-5))
    scale = gamma / np.sqrt(var + eps)
    return scale, beta - mean * scale


@register
class BatchNorm(OpDef):
    op_types = ("BatchNormalization",)
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g, [0])
        if int(node.attrs.get("training_mode", 0)) or node.attrs.get("is_test", 1) == 0:
            raise Unsupported("training mode")
        check_unused_outputs(node, g, 1, "running statistics (training mode)")
        batchnorm_affine(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        scale, shift = batchnorm_affine(node, g)
        params = {"outer": x[0], "channels": x[1] if len(x) > 1 else 1, "inner": int(np.prod(x[2:])),
                  "act": fused_act(node, g)}
        args = [ctx.tensor(node.inputs[0]), ctx.const(node.name + "_scale", scale.astype(np.float32)),
                ctx.const(node.name + "_shift", shift.astype(np.float32)), ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_channel_affine_f32", "mlc_channel_affine_params_t", params, args)]


@register
class LayerNorm(OpDef):
    op_types = ("LayerNormalization",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g, [0])
        check_unused_outputs(node, g, 1, "Mean/InvStdDev")
        require_const(g, node, 1, "scale")
        if node.input(2):
            require_const(g, node, 2, "bias")
        if int(node.attrs.get("stash_type", 1)) != 1:
            raise Unsupported("stash_type other than float32")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        axis = norm_axis(int(node.attrs.get("axis", -1)), len(x), node)
        norm_shape = x[axis:]
        inner = int(np.prod(norm_shape))
        scale = np.broadcast_to(np.asarray(g.const(node.inputs[1]), np.float32), norm_shape).reshape(-1)
        bias = NULL
        if node.input(2):
            b = np.broadcast_to(np.asarray(g.const(node.inputs[2]), np.float32), norm_shape).reshape(-1)
            bias = ctx.const(node.name + "_bias", b)
        params = {"outer": int(np.prod(x[:axis])), "inner": inner, "eps": float(node.attrs.get("epsilon", 1e-5)),
                  "per_row": 0, "channels": 1}
        if fused_act(node, g)["op"]:
            raise Unsupported("fused activation")
        return [KernelCall("mlc_norm_f32", "mlc_norm_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.const(node.name + "_scale", scale), bias,
                            ctx.tensor(node.outputs[0])])]
