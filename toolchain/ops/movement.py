"""Data movement: Transpose and Concat as strided copies; Pad."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops import s8
from toolchain.ops.base import (
    ANY,
    ORDERED,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    attr_or_input,
    check_dtypes,
    dense_strides,
    fill,
    norm_axis,
    register,
    shape,
)
from toolchain.quant.requant import quantize_multiplier


def copy_call(ctx: LowerCtx, src: str, dst: str, dims: list[int], in_strides: list[int], out_strides: list[int],
              in_offset: int = 0, out_offset: int = 0) -> KernelCall:
    params = {
        "rank": len(dims), "dims": fill(dims), "in_strides": fill(in_strides), "out_strides": fill(out_strides),
        "in_offset": in_offset, "out_offset": out_offset,
    }
    fn = "mlc_copy_s8" if ctx.graph.tensors[dst].dtype == "int8" else "mlc_copy_f32"
    return KernelCall(fn, "mlc_copy_params_t", params, [ctx.tensor(src), ctx.tensor(dst)])


class Movement(OpDef):
    """Data movement: on int8 the same copies, when every run-time input and output shares one quantization."""

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        names = [t for t in list(node.inputs) + list(node.outputs) if t and g.const(t) is None]
        first = g.tensors[names[0]].quant
        if first is None or not all(first.same(g.tensors[t].quant) for t in names[1:]):
            raise Unsupported("inputs and outputs quantized differently (a copy cannot rescale)")
        if any(g.const(t) is not None for t in node.inputs[:1]):
            raise Unsupported("constant data on int8")

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return self.lower(node, ctx)

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant


def transpose_call(ctx: LowerCtx, src: str, dst: str, dims: list[int], perm: list[int]) -> KernelCall:
    """Dense `src`, viewed with shape `dims`, written to `dst` with its axes permuted by `perm`."""
    strides = dense_strides(dims)
    out = [dims[p] for p in perm]
    return copy_call(ctx, src, dst, out, [strides[p] for p in perm], dense_strides(out))


@register
class Transpose(Movement):
    op_types = ("Transpose",)
    dtypes = ANY
    rejects = ("rank > 6",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, node.inputs, ANY)
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        x = list(shape(ctx.graph, node.inputs[0]))
        perm = list(node.attrs.get("perm", reversed(range(len(x)))))
        return [transpose_call(ctx, node.inputs[0], node.outputs[0], x, perm)]


@register
class Concat(Movement):
    """On int8 an input quantized like the output is copied; any other is first rescaled into the node's
    scratch (mlc_requantize_s8), then copied, so differently quantized inputs stay int8."""

    op_types = ("Concat",)
    dtypes = ANY
    rejects = ("rank > 6",)

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, node.inputs, ANY)
        if len(shape(g, node.outputs[0])) > 6:
            raise Unsupported("rank > 6")

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        y = g.tensors[node.outputs[0]].quant
        for name in (i for i in node.inputs if i):
            x = g.tensors[name].quant
            if g.const(name) is not None:
                raise Unsupported("constant data on int8")
            if x is None or y is None or not (x.per_tensor and y.per_tensor):
                raise Unsupported("inputs and output need one scale and zero point each")
            if not x.same(y):
                try:
                    quantize_multiplier(x.s / y.s)
                except ValueError as exc:
                    raise Unsupported(f"cannot rescale input {name!r}: {exc}") from None

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        """The inputs' quantization when they share one; else calibration's (it covers every input)."""
        qs = [g.tensors[i].quant for i in node.inputs if i]
        return qs[0] if qs and qs[0] is not None and all(qs[0].same(q) for q in qs[1:]) else None

    def _rescaled(self, node: Node, g: Graph) -> list[str]:
        y = g.tensors[node.outputs[0]]
        if y.dtype != "int8":
            return []
        return [i for i in node.inputs if i and not g.tensors[i].quant.same(y.quant)]

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        return max((g.tensors[i].nbytes for i in self._rescaled(node, g)), default=0)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        y = list(shape(g, node.outputs[0]))
        axis = norm_axis(int(node.attrs["axis"]), len(y), node)
        out_strides = dense_strides(y)
        rescaled = self._rescaled(node, g)
        calls, offset = [], 0
        for name in node.inputs:
            if not name:
                continue
            x = list(shape(g, name))
            if x[axis] > 0 and name in rescaled:
                scratch = ctx.scratch(node, "int8_t")
                calls.append(s8.requantize_call(ctx, name, g.tensors[name].quant, g.tensors[node.outputs[0]].quant,
                                             dst=scratch))
                copy = copy_call(ctx, name, node.outputs[0], x, dense_strides(x), out_strides, 0,
                                 offset * out_strides[axis])
                copy.args[0] = scratch
                calls.append(copy)
            elif x[axis] > 0:
                calls.append(copy_call(ctx, name, node.outputs[0], x, dense_strides(x), out_strides,
                                       0, offset * out_strides[axis]))
            offset += x[axis]
        return calls


PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2, "wrap": 3}


@register
class Pad(OpDef):
    op_types = ("Pad",)
    dtypes = ORDERED
    rejects = ("mode other than constant, reflect, edge, wrap", "run-time pads, constant_value or axes", "rank > 6")

    def check(self, node: Node, g: Graph) -> None:
        check_dtypes(node, g, [node.inputs[0]], ORDERED)
        mode = node.attrs.get("mode", "constant")
        if mode not in PAD_MODES:
            raise Unsupported(f"mode={mode}")
        if len(shape(g, node.inputs[0])) > 6:
            raise Unsupported("rank > 6")
        self.pads_begin_and_value(node, g)

    def pads_begin_and_value(self, node: Node, g: Graph) -> tuple[list[int], float]:
        """The pads before each axis (those after follow from the output shape) and the constant value."""
        rank = len(shape(g, node.inputs[0]))
        pads = attr_or_input(node, g, "pads", 1, "pads")
        if pads is None:
            raise Unsupported("pads missing")
        pads = [int(p) for p in np.asarray(pads).reshape(-1)]
        value = node.attrs.get("value", 0.0)
        if node.input(2):
            v = g.const(node.input(2))
            if v is None:
                raise Unsupported("constant_value (input 2) must be a constant")
            value = float(np.asarray(v).reshape(-1)[0]) if np.asarray(v).size else 0.0
        axes = g.const(node.input(3)) if node.input(3) else None
        if node.input(3) and axes is None:
            raise Unsupported("axes (input 3) must be a constant")
        if axes is not None:
            ax = [norm_axis(int(a), rank, node) for a in np.asarray(axes).reshape(-1)]
            full = [0] * (2 * rank)
            for i, a in enumerate(ax):
                full[a], full[rank + a] = pads[i], pads[len(ax) + i]
            pads = full
        if len(pads) != 2 * rank:
            raise Unsupported(f"pads has {len(pads)} values for rank {rank}")
        return pads[:rank], float(value)

    def _quantized_value(self, node: Node, g: Graph) -> int:
        """The constant pad value on int8: it must be exactly one of the input's quantized values."""
        q = g.tensors[node.inputs[0]].quant
        value = self.pads_begin_and_value(node, g)[1]
        level = value / q.s + q.zp
        if node.attrs.get("mode", "constant") != "constant":
            return q.zp
        if not (-128 <= round(level) <= 127) or abs(level - round(level)) > 1e-3:
            raise Unsupported(f"pad value {value} is not one of the int8 values of the input's quantization")
        return int(round(level))

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        x, y = g.tensors[node.inputs[0]].quant, g.tensors[node.outputs[0]].quant
        if x is None or not x.per_tensor or not x.same(y):
            raise Unsupported("input and output quantized differently (a copy cannot rescale)")
        self._quantized_value(node, g)

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        begin, value = self.pads_begin_and_value(node, g)
        x, y = list(shape(g, node.inputs[0])), list(shape(g, node.outputs[0]))
        int8 = g.tensors[node.outputs[0]].dtype == "int8"
        params = {
            "geo": {"rank": len(x), "in_dims": fill(x), "out_dims": fill(y), "pads_begin": fill(begin),
                    "mode": PAD_MODES[node.attrs.get("mode", "constant")]},
            "value": self._quantized_value(node, g) if int8 else value,
        }
        return [KernelCall("mlc_pad_s8" if int8 else "mlc_pad_f32", "mlc_pad_s8_params_t" if int8 else "mlc_pad_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        return self.lower(node, ctx)
