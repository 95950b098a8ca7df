"""MaxPool (with Indices), AveragePool, LpPool (pads, ceil_mode, count_include_pad, dilations) and the
global pools (GlobalLpPool included)."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops import s8
from toolchain.ops.base import (
    IDENTITY_ACT,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_dtypes,
    check_float,
    fill,
    fused_act,
    register,
    shape,
)
from toolchain.ops.conv import as_2d, spatial_pads
from toolchain.quant.requant import mean_multiplier


def mean_call(node: Node, ctx: LowerCtx, outer: int, count: int, inner: int = 1) -> KernelCall:
    """mlc_mean_s8 of [outer][count][inner] over the middle axis (global average pooling, whole-input windows,
    ReduceMean over consecutive axes)."""
    g = ctx.graph
    xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
    mult, shift = mean_multiplier(xq.s, yq.s, count)
    lo, hi = s8.clamp(node, g, yq)
    params = {"outer": outer, "axis": count, "inner": inner, "x_zero_point": xq.zp, "y_zero_point": yq.zp,
              "mult": mult, "shift": shift, "act_min": lo, "act_max": hi}
    return KernelCall("mlc_mean_s8", "mlc_mean_s8_params_t", params,
                      [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])


S8_POOL_KEYS = ("n", "c", "h_in", "w_in", "h_out", "w_out", "k_h", "k_w", "stride_h", "stride_w", "dil_h", "dil_w",
                "pad_top", "pad_left", "pad_bottom", "pad_right", "count_include_pad")


def _indices_used(node: Node, g: Graph) -> bool:
    out = node.outputs[1] if len(node.outputs) > 1 else ""
    return bool(out) and bool(g.consumers(out) or out in g.outputs)


def _pool2d(node: Node, n: int, c: int, xs: list[int], ys: list[int], k: list[int], s: list[int], d: list[int],
            begin: list[int], end: list[int], act: dict) -> dict:
    """mlc_pool2d_params_t of a 1-D or 2-D window over [n][c][*xs] -> [n][c][*ys]."""
    xs, ys = as_2d(xs, 1), as_2d(ys, 1)
    k2, s2, d2 = as_2d(k, 1), as_2d(s, 1), as_2d(d, 1)
    b2, e2 = as_2d(begin, 0), as_2d(end, 0)
    return {
        "n": n, "c": c, "h_in": xs[0], "w_in": xs[1], "h_out": ys[0], "w_out": ys[1],
        "k_h": k2[0], "k_w": k2[1], "stride_h": s2[0], "stride_w": s2[1], "dil_h": d2[0], "dil_w": d2[1],
        "pad_top": b2[0], "pad_left": b2[1], "pad_bottom": e2[0], "pad_right": e2[1],
        "count_include_pad": int(node.attrs.get("count_include_pad", 0)),
        "lp_p": int(node.attrs.get("p", 2)) if node.op == "LpPool" else 0,
        "act": act,
    }


@register
class Pool(OpDef):
    """1-D and 2-D pooling in one kernel call. 3-D pooling is separable (the window is a box, and max,
    sum, Lp norm and the count_include_pad divisor all factor over its axes): a 2-D pool over (H, W) into
    scratch, then a pool over D of that with the (H, W) plane as the inner axis."""

    op_types = ("MaxPool", "AveragePool", "LpPool")
    s8_op_types = ("MaxPool", "AveragePool")
    fuses_activation = True
    rejects = ("MaxPool Indices with storage_order=1", "MaxPool Indices of 3-D pooling", "pooling over more than 3 axes",
               "LpPool p < 1")

    def check(self, node: Node, g: Graph) -> None:
        if node.op == "MaxPool" and _indices_used(node, g) and int(node.attrs.get("storage_order", 0)):
            raise Unsupported("storage_order=1 (column-major Indices)")
        check_dtypes(node, g, [node.inputs[0], node.outputs[0]], ("float32",))
        rank = len(shape(g, node.inputs[0]))
        if rank not in (3, 4, 5):
            raise Unsupported(f"{rank - 2}-D pooling (only 1-D, 2-D and 3-D)")
        if rank == 5 and node.op == "MaxPool" and _indices_used(node, g):
            raise Unsupported("Indices of 3-D max pooling")
        if node.op == "LpPool" and int(node.attrs.get("p", 2)) < 1:
            raise Unsupported(f"p={node.attrs['p']}")

    def _window(self, node: Node, g: Graph):
        x = shape(g, node.inputs[0])
        nsp = len(x) - 2
        k = list(node.attrs["kernel_shape"])
        s = list(node.attrs.get("strides", [1] * nsp))
        d = list(node.attrs.get("dilations", [1] * nsp))
        begin, end = spatial_pads(node, list(x[2:]), k, s, d)
        return k, s, d, begin, end

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        return 4 * x[0] * x[1] * x[2] * y[3] * y[4] if len(x) == 5 else 0

    def _whole_window(self, node: Node, g: Graph) -> bool:
        """The window covers the whole input exactly once: average pooling is a mean."""
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        k, _, d, begin, end = self._window(node, g)
        return list(k) == list(x[2:]) and all(v == 1 for v in y[2:]) and not any(begin) and not any(end) \
            and all(v == 1 for v in d)

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        if node.op == "LpPool" or len(shape(g, node.inputs[0])) == 5 or _indices_used(node, g):
            raise Unsupported(f"{node.op} {'with Indices ' if _indices_used(node, g) else ''}on int8 (1-D and 2-D "
                              "MaxPool and AveragePool only)")
        s8.clamp(node, g, s8.qp(g, node.outputs[0]))
        s8.qp(g, node.inputs[0])

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant if node.op == "MaxPool" else None

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
        if node.op == "AveragePool" and self._whole_window(node, g):
            return [mean_call(node, ctx, x[0] * x[1], int(np.prod(x[2:])))]
        k, s, d, begin, end = self._window(node, g)
        geo = _pool2d(node, x[0], x[1], list(x[2:]), list(y[2:]), k, s, d, begin, end, dict(IDENTITY_ACT))
        lo, hi = s8.clamp(node, g, yq)
        same = xq.same(yq)
        params = {key: geo[key] for key in S8_POOL_KEYS}
        params.update(zero_point=xq.zp, act_min=lo if same else -128, act_max=hi if same else 127)
        fn = "mlc_maxpool2d_s8" if node.op == "MaxPool" else "mlc_avgpool2d_s8"
        calls = [KernelCall(fn, "mlc_pool2d_s8_params_t", params,
                            [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
        if not same:
            calls.append(s8.requantize_call(ctx, node.outputs[0], xq, yq, lo, hi))
        return calls

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        k, s, d, begin, end = self._window(node, g)
        fn = "mlc_maxpool2d_f32" if node.op == "MaxPool" else "mlc_avgpool2d_f32"
        if len(x) == 5:
            n, c, depth = x[0], x[1], x[2]
            plane = _pool2d(node, n, c * depth, list(x[3:]), list(y[3:]), k[1:], s[1:], d[1:], begin[1:], end[1:],
                            dict(IDENTITY_ACT))
            over_d = _pool2d(node, n, c, [depth, y[3] * y[4]], [y[2], y[3] * y[4]], [k[0], 1], [s[0], 1],
                             [d[0], 1], [begin[0], 0], [end[0], 0], fused_act(node, g))
            return [KernelCall(fn, "mlc_pool2d_params_t", plane, [ctx.tensor(node.inputs[0]), ctx.scratch(node)]),
                    KernelCall(fn, "mlc_pool2d_params_t", over_d, [ctx.scratch(node), ctx.tensor(node.outputs[0])])]
        params = _pool2d(node, x[0], x[1], list(x[2:]), list(y[2:]), k, s, d, begin, end, fused_act(node, g))
        args = [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])]
        if node.op == "MaxPool" and len(node.outputs) > 1 and node.outputs[1]:
            return [KernelCall("mlc_maxpool2d_indices_f32", "mlc_pool2d_params_t", params,
                               args + [ctx.tensor(node.outputs[1])])]
        return [KernelCall(fn, "mlc_pool2d_params_t", params, args)]

    def macs(self, node: Node, g: Graph) -> int:
        return int(np.prod(shape(g, node.outputs[0]))) * int(np.prod(node.attrs.get("kernel_shape", [1])))


@register
class GlobalPool(OpDef):
    op_types = ("GlobalAveragePool", "GlobalMaxPool")
    rejects = ("rank > 6",)

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        if len(shape(g, node.inputs[0])) < 3:
            raise Unsupported("rank < 3 on int8")
        s8.qp(g, node.inputs[0])
        s8.clamp(node, g, s8.qp(g, node.outputs[0]))

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant if node.op == "GlobalMaxPool" else None

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        if node.op == "GlobalAveragePool":
            return [mean_call(node, ctx, x[0] * x[1], int(np.prod(x[2:])))]
        xq, yq = s8.qp(g, node.inputs[0]), s8.qp(g, node.outputs[0])
        plane = int(np.prod(x[2:]))
        params = {key: 0 for key in S8_POOL_KEYS}
        params.update(n=x[0], c=x[1], h_in=1, w_in=plane, h_out=1, w_out=1, k_h=1, k_w=plane, stride_h=1,
                      stride_w=1, dil_h=1, dil_w=1, zero_point=xq.zp, act_min=-128, act_max=127)
        calls = [KernelCall("mlc_maxpool2d_s8", "mlc_pool2d_s8_params_t", params,
                            [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]
        lo, hi = s8.clamp(node, g, yq)
        if not xq.same(yq) or (lo, hi) != (-128, 127):
            calls.append(s8.requantize_call(ctx, node.outputs[0], xq, yq, lo, hi))
        return calls

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = list(shape(ctx.graph, node.inputs[0]))
        params = {
            "op": 1 if node.op == "GlobalAveragePool" else 2, "rank": len(x), "in_dims": fill(x),
            "reduced": fill([0, 0] + [1] * (len(x) - 2)), "select_last": 0,
        }
        return [KernelCall("mlc_reduce_f32", "mlc_reduce_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]

    def macs(self, node: Node, g: Graph) -> int:
        return int(np.prod(shape(g, node.inputs[0])))


@register
class GlobalLpPool(OpDef):
    """GlobalLpPool as an LpPool whose window is the whole (1-D or 2-D) spatial extent."""

    op_types = ("GlobalLpPool",)
    rejects = ("3-D and higher (only 1-D and 2-D)", "p < 1")

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        rank = len(shape(g, node.inputs[0]))
        if rank not in (3, 4):
            raise Unsupported(f"{rank - 2}-D pooling (only 1-D and 2-D)")
        if int(node.attrs.get("p", 2)) < 1:
            raise Unsupported(f"p={node.attrs['p']}")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = shape(ctx.graph, node.inputs[0])
        h, w = as_2d(list(x[2:]), 1)
        params = {
            "n": x[0], "c": x[1], "h_in": h, "w_in": w, "h_out": 1, "w_out": 1, "k_h": h, "k_w": w,
            "stride_h": 1, "stride_w": 1, "dil_h": 1, "dil_w": 1, "pad_top": 0, "pad_left": 0, "pad_bottom": 0,
            "pad_right": 0, "count_include_pad": 0, "lp_p": int(node.attrs.get("p", 2)),
            "act": {"op": 0, "alpha": 0.0, "beta": 0.0},
        }
        return [KernelCall("mlc_avgpool2d_f32", "mlc_pool2d_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]

    def macs(self, node: Node, g: Graph) -> int:
        return int(np.prod(shape(g, node.inputs[0])))
