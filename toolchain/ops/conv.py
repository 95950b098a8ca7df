"""Conv: 1-D and 2-D, groups (depthwise included), pads, auto_pad, strides, dilations."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops import s8
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_float,
    fused_act,
    param_arg,
    register,
    shape,
)


def spatial_pads(node: Node, in_sp: list[int], k: list[int], s: list[int], d: list[int]) -> tuple[list[int], list[int]]:
    """Begin and end pads per spatial axis, resolving auto_pad (shared by Conv and the pools)."""
    n = len(in_sp)
    auto = node.attrs.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = list(node.attrs.get("pads", [0] * (2 * n)))
        if len(pads) != 2 * n:
            raise Unsupported(f"pads has {len(pads)} values, expected {2 * n}")
        return pads[:n], pads[n:]
    if auto == "VALID":
        return [0] * n, [0] * n
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise Unsupported(f"auto_pad={auto}")
    begin, end = [], []
    for i in range(n):
        out = -(-in_sp[i] // s[i])
        total = max((out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in_sp[i], 0)
        small = total // 2
        begin.append(small if auto == "SAME_UPPER" else total - small)
        end.append(total - begin[-1])
    return begin, end


def as_2d(values: list[int], fill_value: int) -> list[int]:
    """1-D operators run as 2-D with a leading spatial axis of size 1."""
    return [fill_value] + list(values) if len(values) == 1 else list(values)


@register
class Conv(OpDef):
    op_types = ("Conv",)
    rejects = ("3-D and higher convolution (only 1-D and 2-D)", "auto_pad other than NOTSET, VALID, SAME_UPPER, SAME_LOWER")
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        rank = len(shape(g, node.inputs[0]))
        if rank not in (3, 4):
            raise Unsupported(f"{rank - 2}-D convolution (only 1-D and 2-D)")

    def _geometry(self, node: Node, g: Graph) -> dict[str, int]:
        x, w, y = shape(g, node.inputs[0]), shape(g, node.inputs[1]), shape(g, node.outputs[0])
        nsp = len(x) - 2
        k = list(node.attrs.get("kernel_shape", w[2:]))
        s = list(node.attrs.get("strides", [1] * nsp))
        d = list(node.attrs.get("dilations", [1] * nsp))
        begin, _ = spatial_pads(node, list(x[2:]), k, s, d)
        xs, ys = as_2d(list(x[2:]), 1), as_2d(list(y[2:]), 1)
        k2, s2, d2, b2 = as_2d(k, 1), as_2d(s, 1), as_2d(d, 1), as_2d(begin, 0)
        return {
            "n": x[0], "c_in": x[1], "h_in": xs[0], "w_in": xs[1],
            "c_out": y[1], "h_out": ys[0], "w_out": ys[1], "k_h": k2[0], "k_w": k2[1],
            "stride_h": s2[0], "stride_w": s2[1], "dil_h": d2[0], "dil_w": d2[1],
            "pad_top": b2[0], "pad_left": b2[1], "groups": int(node.attrs.get("group", 1)),
        }

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._s8_params(node, g)

    def _s8_params(self, node: Node, g: Graph):
        """Kernel parameters and the constant weights, bias, packed multipliers and shifts of mlc_conv2d_s8."""
        xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
        geo = self._geometry(node, g)
        taps = geo["c_in"] // geo["groups"] * geo["k_h"] * geo["k_w"]
        w_q, w_scales, b = s8.weights_and_bias(g, node.inputs[1], node.input(2), 0, xq.s, taps)
        s8.check_accumulator(taps, b, "convolution")
        qmult = s8.multipliers(xq.s, w_scales, yq.s)
        lo, hi = s8.clamp(node, g, yq)
        params = {**geo, "x_zero_point": xq.zp, "y_zero_point": yq.zp, "act_min": lo, "act_max": hi}
        return params, w_q, b, qmult

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        params, w_q, b, qmult = self._s8_params(node, ctx.graph)
        layout = s8.conv_layout(ctx.kernels, params)
        params = {**params, "w_layout": layout,
                  "col_tiles": s8.conv_col_tiles(ctx.kernels, params, ctx.scratch_size(node))}
        w_q = np.ascontiguousarray(w_q).reshape(-1)[s8.conv_weight_order(params, layout)]
        args = [ctx.tensor(node.inputs[0]), *s8.weight_args(ctx, node, w_q, b, qmult),
                ctx.scratch(node, "int16_t"), ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_conv2d_s8", "mlc_conv2d_s8_params_t", params, args)]

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        if g.tensors[node.inputs[0]].dtype != "int8":
            return 0
        geo = self._geometry(node, g)
        return s8.conv_scratch_bytes(kernels, geo)

    def scratch_bytes_max(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        """With room under the arena's peak, the columns of all the layer's six-pixel tiles (s8.conv_col_tiles):
        each output channel's weights are then widened once for them."""
        base = self.scratch_bytes(node, g, kernels)
        if base == 0:
            return 0
        geo = self._geometry(node, g)
        tiles = s8.conv_col_tiles(kernels, geo)
        return max(base, s8.conv_scratch_bytes(kernels, {**geo, "col_tiles": tiles})) if tiles else base

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        params = self._geometry(node, g)
        params["act"] = fused_act(node, g)
        # Weights and bias are in the kernel's layout as ONNX gives them: constants or run-time tensors.
        args = [ctx.tensor(node.inputs[0]), param_arg(ctx, node, 1, node.name + "_w"),
                param_arg(ctx, node, 2, node.name + "_b"), ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_conv2d_f32", "mlc_conv2d_params_t", params, args)]

    def macs(self, node: Node, g: Graph) -> int:
        w = shape(g, node.inputs[1])
        y = shape(g, node.outputs[0])
        return int(np.prod(y)) * int(np.prod(w[1:]))


@register
class ConvTranspose(OpDef):
    """ConvTranspose, 1-D and 2-D: groups, strides, dilations, pads, auto_pad, output_padding, output_shape.
    The output size comes from shape inference. With auto_pad SAME_* or output_shape the total padding is
    split as onnxruntime does: SAME_UPPER puts the smaller half first, SAME_LOWER and NOTSET the larger."""

    op_types = ("ConvTranspose",)
    rejects = ("3-D and higher transposed convolution (only 1-D and 2-D)", "auto_pad other than NOTSET, VALID, SAME_UPPER, SAME_LOWER")
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        rank = len(shape(g, node.inputs[0]))
        if rank not in (3, 4):
            raise Unsupported(f"{rank - 2}-D transposed convolution (only 1-D and 2-D)")
        auto = node.attrs.get("auto_pad", "NOTSET")
        if auto not in ("NOTSET", "", "VALID", "SAME_UPPER", "SAME_LOWER"):
            raise Unsupported(f"auto_pad={auto}")
        self._begin_pads(node, g)

    def _begin_pads(self, node: Node, g: Graph) -> list[int]:
        x, w, y = shape(g, node.inputs[0]), shape(g, node.inputs[1]), shape(g, node.outputs[0])
        nsp = len(x) - 2
        k = list(node.attrs.get("kernel_shape", w[2:]))
        s = list(node.attrs.get("strides", [1] * nsp))
        d = list(node.attrs.get("dilations", [1] * nsp))
        adj = list(node.attrs.get("output_padding", [0] * nsp))
        auto = node.attrs.get("auto_pad", "NOTSET")
        if auto in ("NOTSET", "") and "output_shape" not in node.attrs:
            pads = list(node.attrs.get("pads", [0] * (2 * nsp)))
            if len(pads) != 2 * nsp:
                raise Unsupported(f"pads has {len(pads)} values, expected {2 * nsp}")
            return pads[:nsp]
        if auto == "VALID":
            return [0] * nsp
        begin = []
        for i in range(nsp):
            total = max(0, s[i] * (x[2 + i] - 1) + adj[i] + (k[i] - 1) * d[i] + 1 - y[2 + i])
            begin.append(total // 2 if auto == "SAME_UPPER" else total - total // 2)
        return begin

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x, w, y = shape(g, node.inputs[0]), shape(g, node.inputs[1]), shape(g, node.outputs[0])
        nsp = len(x) - 2
        k = list(node.attrs.get("kernel_shape", w[2:]))
        s = list(node.attrs.get("strides", [1] * nsp))
        d = list(node.attrs.get("dilations", [1] * nsp))
        xs, ys = as_2d(list(x[2:]), 1), as_2d(list(y[2:]), 1)
        k2, s2, d2, b2 = as_2d(k, 1), as_2d(s, 1), as_2d(d, 1), as_2d(self._begin_pads(node, g), 0)
        params = {
            "n": x[0], "c_in": x[1], "h_in": xs[0], "w_in": xs[1],
            "c_out": y[1], "h_out": ys[0], "w_out": ys[1], "k_h": k2[0], "k_w": k2[1],
            "stride_h": s2[0], "stride_w": s2[1], "dil_h": d2[0], "dil_w": d2[1],
            "pad_top": b2[0], "pad_left": b2[1], "groups": int(node.attrs.get("group", 1)),
            "act": fused_act(node, g),
        }
        # Weights and bias are in the kernel's layout as ONNX gives them: constants or run-time tensors.
        args = [ctx.tensor(node.inputs[0]), param_arg(ctx, node, 1, node.name + "_w"),
                param_arg(ctx, node, 2, node.name + "_b"), ctx.tensor(node.outputs[0])]
        return [KernelCall("mlc_conv_transpose2d_f32", "mlc_conv_transpose2d_params_t", params, args)]

    def macs(self, node: Node, g: Graph) -> int:
        return int(np.prod(shape(g, node.inputs[0]))) * int(np.prod(shape(g, node.inputs[1])[1:]))
