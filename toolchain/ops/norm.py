"""BatchNormalization (when not folded into a producer) and LayerNormalization."""

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
    axis_view,
    check_float,
    check_unused_outputs,
    fused_act,
    norm_axis,
    param_arg,
    register,
    require_const,
    same_shape_inputs,
    shape,
)


def _runtime(g: Graph, node: Node, indices: tuple[int, ...]) -> bool:
    """Some of these (present) inputs are run-time tensors."""
    return any(node.input(i) and g.const(node.input(i)) is None for i in indices)


def _strip(dims) -> tuple[int, ...]:
    dims = tuple(int(d) for d in dims)
    while dims and dims[0] == 1:
        dims = dims[1:]
    return dims


def batchnorm_affine(node: Node, g: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (scale, shift) of an inference-mode BatchNormalization."""
    gamma, beta, mean, var = (np.asarray(require_const(g, node, i, n), np.float64)
                              for i, n in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")))
    eps = float(node.attrs.get("epsilon", 1e-5))
    scale = gamma / np.sqrt(var + eps)
    return scale, beta - mean * scale


@register
class BatchNorm(OpDef):
    """Inference BatchNormalization: constant parameters become one per-channel scale and shift (or are
    folded into a preceding Conv/Gemm); run-time parameters are combined per channel by the kernel."""

    op_types = ("BatchNormalization",)
    fuses_activation = True
    rejects = ("training mode (training_mode=1, is_test=0, running statistics outputs)",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if int(node.attrs.get("training_mode", 0)) or node.attrs.get("is_test", 1) == 0:
            raise Unsupported("training mode")
        check_unused_outputs(node, g, 1, "running statistics (training mode)")
        if len(shape(g, node.inputs[0])) < 2 and _runtime(g, node, (1, 2, 3, 4)):
            raise Unsupported("input of rank < 2 with run-time parameters")
        if not _runtime(g, node, (1, 2, 3, 4)):
            batchnorm_affine(node, g)

    def _s8(self, node: Node, g: Graph):
        """On int8 each channel's scale a is the weight 127 * sign(a) with weight scale |a| / 127 (exact in the
        multiplier) and its shift the int32 bias: mlc_channel_affine_s8."""
        if _runtime(g, node, (1, 2, 3, 4)):
            raise Unsupported("run-time parameters on int8")
        x = list(shape(g, node.inputs[0]))
        if len(x) < 2:
            raise Unsupported("rank < 2 on int8")
        xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
        a, b = batchnorm_affine(node, g)
        w_q = np.where(a > 0, 127, np.where(a < 0, -127, 0)).astype(np.int8)
        w_scales = np.where(a != 0, np.abs(a) / 127.0, 1.0)
        bias = np.rint(b / (xq.s * w_scales))
        if np.any(np.abs(bias) > 2**30):
            raise Unsupported("a shift too large for the int32 accumulator")
        qmult = s8.multipliers(xq.s, np.where(a != 0, w_scales, 0.0), yq.s)
        lo, hi = s8.clamp(node, g, yq)
        params = {"outer": x[0], "channels": x[1], "inner": int(np.prod(x[2:])), "x_zero_point": xq.zp,
                  "y_zero_point": yq.zp, "act_min": lo, "act_max": hi}
        return params, w_q, bias.astype(np.int32), qmult

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._s8(node, g)

    def in_place_inputs(self, node: Node, g: Graph) -> tuple[int, ...]:
        return same_shape_inputs(node, g, (0,))  # every kernel of this op reads element i before writing it

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        params, w_q, bias, qmult = self._s8(node, ctx.graph)
        args = [ctx.tensor(node.inputs[0]), *s8.weight_args(ctx, node, w_q, bias, qmult),
                ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_channel_affine_s8", "mlc_channel_affine_s8_params_t", params, args)]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        params = {"outer": x[0], "channels": x[1] if len(x) > 1 else 1, "inner": int(np.prod(x[2:])),
                  "act": fused_act(node, g)}
        if _runtime(g, node, (1, 2, 3, 4)):
            params["eps"] = float(node.attrs.get("epsilon", 1e-5))
            args = [ctx.tensor(node.inputs[0])]
            args += [param_arg(ctx, node, i, f"{node.name}_{what}")
                     for i, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))]
            return [KernelCall("mlc_batchnorm_f32", "mlc_batchnorm_params_t", params,
                               args + [ctx.tensor(node.outputs[0])])]
        scale, shift = batchnorm_affine(node, g)
        args = [ctx.tensor(node.inputs[0]), ctx.const(node.name + "_scale", scale.astype(np.float32)),
                ctx.const(node.name + "_shift", shift.astype(np.float32)), ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_channel_affine_f32", "mlc_channel_affine_params_t", params, args)]


@register
class LayerNorm(OpDef):
    """LayerNormalization over the axes from `axis` on, with the optional Mean and InvStdDev outputs.
    Scale and bias are constants (broadcast to the normalised shape) or run-time tensors of that shape."""

    op_types = ("LayerNormalization",)
    rejects = ("stash_type other than float32", "run-time scale or bias that must be broadcast")

    def _norm_shape(self, node: Node, g: Graph) -> list[int]:
        x = list(shape(g, node.inputs[0]))
        return x[norm_axis(int(node.attrs.get("axis", -1)), len(x), node):]

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        norm_shape = self._norm_shape(node, g)
        for i, what in ((1, "scale"), (2, "bias")):
            name = node.input(i)
            if name and g.const(name) is None and _strip(shape(g, name)) != _strip(norm_shape):
                raise Unsupported(f"run-time {what} of shape {list(shape(g, name))} broadcast to {norm_shape}")
        if int(node.attrs.get("stash_type", 1)) != 1:
            raise Unsupported("stash_type other than float32")

    def _param(self, node: Node, ctx: LowerCtx, index: int, what: str, norm_shape: list[int]):
        name = node.input(index)
        data = ctx.graph.const(name) if name else None
        if data is None:
            return param_arg(ctx, node, index, "")
        return ctx.const(f"{node.name}_{what}", np.broadcast_to(np.asarray(data, np.float32), norm_shape).reshape(-1))

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        axis = norm_axis(int(node.attrs.get("axis", -1)), len(x), node)
        norm_shape = x[axis:]
        params = {"outer": int(np.prod(x[:axis])), "inner": int(np.prod(norm_shape)),
                  "eps": float(node.attrs.get("epsilon", 1e-5)), "per_row": 0, "channels": 1}
        if fused_act(node, g)["op"]:
            raise Unsupported("fused activation")
        args = [ctx.tensor(node.inputs[0]), self._param(node, ctx, 1, "scale", norm_shape),
                self._param(node, ctx, 2, "bias", norm_shape), ctx.tensor(node.outputs[0])]
        stats = [ctx.tensor(o) if o and (g.consumers(o) or o in g.outputs) else NULL for o in node.outputs[1:3]]
        if any(a is not NULL for a in stats):
            stats += [NULL] * (2 - len(stats))
            return [KernelCall("mlc_norm_stats_f32", "mlc_norm_params_t", params, args + stats)]
        return [KernelCall("mlc_norm_f32", "mlc_norm_params_t", params, args)]


@register
class InstanceNorm(OpDef):
    """InstanceNormalization: each (n, c) plane normalised, then scale[c] and B[c]."""

    op_types = ("InstanceNormalization",)
    rejects = ("input of rank < 3",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.inputs[0])) < 3:
            raise Unsupported("input of rank < 3")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        params = {"outer": x[0] * x[1], "inner": int(np.prod(x[2:])), "eps": float(node.attrs.get("epsilon", 1e-5)),
                  "per_row": 1, "channels": x[1]}
        return [KernelCall("mlc_norm_f32", "mlc_norm_params_t", params,
                           [ctx.tensor(node.inputs[0]), param_arg(ctx, node, 1, node.name + "_scale"),
                            param_arg(ctx, node, 2, node.name + "_bias"), ctx.tensor(node.outputs[0])])]


@register
class LpNorm(OpDef):
    """LpNormalization along `axis` with p = 1 or 2."""

    op_types = ("LpNormalization",)
    rejects = ("p other than 1 and 2",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        p = int(node.attrs.get("p", 2))
        if p not in (1, 2):
            raise Unsupported(f"p={p} (only 1 and 2)")
        norm_axis(int(node.attrs.get("axis", -1)), len(shape(g, node.inputs[0])), node)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = list(shape(ctx.graph, node.inputs[0])) or [1]
        axis = norm_axis(int(node.attrs.get("axis", -1)), len(x), node)
        outer, n, inner = axis_view(x, axis)
        params = {"outer": outer, "axis": n, "inner": inner, "p": int(node.attrs.get("p", 2))}
        return [KernelCall("mlc_lp_norm_f32", "mlc_lp_norm_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]


@register
class LRN(OpDef):
    """Local response normalisation across channels (size, alpha, beta, bias)."""

    op_types = ("LRN",)
    rejects = ("input of rank < 2", "size < 1")

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.inputs[0])) < 2:
            raise Unsupported("input of rank < 2")
        if int(node.attrs.get("size", 0)) < 1:
            raise Unsupported("size < 1")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = list(shape(ctx.graph, node.inputs[0]))
        a = node.attrs
        params = {"n": x[0], "c": x[1], "spatial": int(np.prod(x[2:])), "size": int(a["size"]),
                  "alpha": float(a.get("alpha", 1e-4)), "beta": float(a.get("beta", 0.75)),
                  "bias": float(a.get("bias", 1.0))}
        return [KernelCall("mlc_lrn_f32", "mlc_lrn_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
