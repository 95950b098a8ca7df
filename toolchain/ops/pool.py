"""MaxPool, AveragePool (pads, ceil_mode, count_include_pad, dilations) and the global pools."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_float,
    check_unused_outputs,
    fill,
    fused_act,
    register,
    shape,
)
from toolchain.ops.conv import as_2d, spatial_pads


@register
class Pool(OpDef):
    op_types = ("MaxPool", "AveragePool")
    fuses_activation = True

    def check(self, node: Node, g: Graph) -> None:
        if node.op == "MaxPool":
            check_unused_outputs(node, g, 1, "Indices")  # storage_order only matters for Indices
        check_float(node, g, [0])
        rank = len(shape(g, node.inputs[0]))
        if rank not in (3, 4):
            raise Unsupported(f"{rank - 2}-D pooling (only 1-D and 2-D)")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        nsp = len(x) - 2
        k = list(node.attrs["kernel_shape"])
        s = list(node.attrs.get("strides", [1] * nsp))
        d = list(node.attrs.get("dilations", [1] * nsp))
        begin, end = spatial_pads(node, list(x[2:]), k, s, d)
        xs, ys = as_2d(list(x[2:]), 1), as_2d(list(y[2:]), 1)
        k2, s2, d2 = as_2d(k, 1), as_2d(s, 1), as_2d(d, 1)
        b2, e2 = as_2d(begin, 0), as_2d(end, 0)
        params = {
            "n": x[0], "c": x[1], "h_in": xs[0], "w_in": xs[1], "h_out": ys[0], "w_out": ys[1],
            "k_h": k2[0], "k_w": k2[1], "stride_h": s2[0], "stride_w": s2[1], "dil_h": d2[0], "dil_w": d2[1],
            "pad_top": b2[0], "pad_left": b2[1], "pad_bottom": e2[0], "pad_right": e2[1],
            "count_include_pad": int(node.attrs.get("count_include_pad", 0)), "lp_p": 0,
            "act": fused_act(node, g),
        }
        fn = "mlc_maxpool2d_f32" if node.op == "MaxPool" else "mlc_avgpool2d_f32"
        return [KernelCall(fn, "mlc_pool2d_params_t", params, [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]


@register
class GlobalPool(OpDef):
    op_types = ("GlobalAveragePool", "GlobalMaxPool")

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g)
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")

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
