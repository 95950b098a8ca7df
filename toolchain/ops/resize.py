"""Resize (opsets 10..current) and the older Upsample: nearest, linear and cubic over the last two axes.
On int8, nearest upsampling by whole factors is a copy that repeats each value (no arithmetic).

Scales are constants, or a run-time tensor the kernel reads (the output shape is static after shape
inference, so only the coordinate transform needs their values); sizes, constant or at run time, equal
the static output shape (with keep_aspect_ratio_policy=stretch) and give the scales out / in."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops.base import Arg, KernelCall, LowerCtx, OpDef, Unsupported, check_float, register, shape
from toolchain.ops.movement import copy_call

COORD = {"half_pixel": 0, "asymmetric": 1, "align_corners": 2, "pytorch_half_pixel": 3, "tf_half_pixel_for_nn": 4,
         "half_pixel_symmetric": 5}
NEAREST = {"round_prefer_floor": 0, "round_prefer_ceil": 1, "floor": 2, "ceil": 3}
MODES = {"nearest": 0, "linear": 1, "bilinear": 1, "cubic": 2}


def _input(g: Graph, node: Node, index: int) -> tuple[str, np.ndarray | None] | None:
    """An optional input as (name, constant value or None at run time); absent or empty counts as None."""
    name = node.input(index)
    if not name:
        return None
    data = g.const(name)
    if data is not None:
        return None if np.asarray(data).size == 0 else (name, np.asarray(data))
    if int(np.prod(shape(g, name))) == 0:
        return None
    return name, None


def _repeats(coord: str, rounding: str, k: int) -> bool:
    """Nearest resizing by the whole factor k reads input o // k for output o (see Resize._repeat_factors)."""
    if k == 1:
        return coord != "tf_half_pixel_for_nn" or rounding == "floor"
    if coord in ("half_pixel", "pytorch_half_pixel", "half_pixel_symmetric"):
        return rounding in ("round_prefer_floor", "round_prefer_ceil")
    if coord in ("asymmetric", "tf_half_pixel_for_nn") and rounding == "floor":
        return True
    return (coord, rounding, k) == ("asymmetric", "round_prefer_floor", 2)


@register
class Resize(OpDef):
    op_types = ("Resize", "Upsample")
    rejects = ("mode other than nearest, linear, cubic", "coordinate_transformation_mode=tf_crop_and_resize",
               "antialias when downsampling", "keep_aspect_ratio_policy other than stretch",
               "resizing axes other than the last two (run-time scales other than 1 there fail at run time)",
               "nearest downsampling one axis and upsampling the other (opset < 11)")

    def _sources(self, node: Node, g: Graph):
        """(scales, sizes), each (name, constant or None) or None."""
        if node.op == "Upsample":
            if node.attrs.get("scales") is not None:
                return ("", np.asarray(node.attrs["scales"], np.float32)), None
            return _input(g, node, 1), None
        if g.opset < 11:
            return _input(g, node, 1), None
        return _input(g, node, 2), _input(g, node, 3)

    def _axes(self, node: Node, rank: int) -> list[int]:
        return [int(a) + (rank if int(a) < 0 else 0) for a in node.attrs.get("axes", range(rank))]

    def _runtime_scales(self, node: Node, g: Graph) -> str:
        """The run-time scales tensor, or "" when the scales are known at compile time."""
        scales, sizes = self._sources(node, g)
        return scales[0] if scales is not None and scales[1] is None else ""

    def _scales(self, node: Node, g: Graph) -> list[float]:
        """The scale per axis, as float32 values (as onnxruntime computes them). With run-time scales,
        out / in stands in where only the direction (up or down) matters."""
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        rank = len(x)
        scales, sizes = self._sources(node, g)
        axes = self._axes(node, rank)
        full = [np.float32(1.0)] * rank
        if scales is not None and scales[1] is not None:
            for a, s in zip(axes, np.asarray(scales[1], np.float32).reshape(-1)):
                full[a] = np.float32(s)
        elif scales is not None or sizes is not None:
            if scales is None and node.attrs.get("keep_aspect_ratio_policy", "stretch") != "stretch":
                raise Unsupported(f"keep_aspect_ratio_policy={node.attrs['keep_aspect_ratio_policy']}")
            for a in axes:
                full[a] = np.float32(y[a]) / np.float32(x[a])
        else:
            raise Unsupported("neither scales nor sizes given")
        return [float(s) for s in full]

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g, [0] + ([1] if node.op == "Upsample" or g.opset < 11 else [2]))
        mode = node.attrs.get("mode", "nearest")
        if mode not in MODES:
            raise Unsupported(f"mode={mode} (only nearest, linear and cubic)")
        coord = node.attrs.get("coordinate_transformation_mode", "half_pixel")
        if node.op == "Resize" and g.opset >= 11 and coord not in COORD:
            raise Unsupported(f"coordinate_transformation_mode={coord}")
        if node.attrs.get("nearest_mode", "round_prefer_floor") not in NEAREST:
            raise Unsupported(f"nearest_mode={node.attrs['nearest_mode']}")
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        scales = self._scales(node, g)
        if any(x[i] != y[i] or scales[i] != 1.0 for i in range(len(x) - 2)):
            raise Unsupported("resizing axes other than the last two")
        if self._runtime_scales(node, g) and len(self._axes(node, len(x))) > 31:
            raise Unsupported("more than 31 run-time scales")
        if int(node.attrs.get("antialias", 0)) and any(s < 1.0 for s in scales):
            raise Unsupported("antialias when downsampling")
        if any(s <= 0.0 for s in scales):
            raise Unsupported("scales <= 0")
        self._nearest(node, g, scales)

    def _nearest(self, node: Node, g: Graph, scales: list[float]) -> int:
        if node.op == "Resize" and g.opset >= 11:
            return NEAREST[node.attrs.get("nearest_mode", "round_prefer_floor")]
        # Before opset 11: truncate when upsampling, ceil when downsampling (onnxruntime's "simple" mode).
        down = {s < 1.0 for s in scales[-2:]}
        if len(down) > 1 and MODES[node.attrs.get("mode", "nearest")] == 0:
            raise Unsupported("nearest mode downsampling one axis and upsampling the other (opset < 11)")
        return NEAREST["ceil"] if True in down else NEAREST["floor"]

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        x, y = list(shape(g, node.inputs[0])), list(shape(g, node.outputs[0]))
        scales = self._scales(node, g)
        x2, y2, s2 = ([1] + x)[-2:], ([1] + y)[-2:], ([1.0] + scales)[-2:]
        legacy = node.op == "Upsample" or g.opset < 11
        coord = COORD["asymmetric"] if legacy else COORD[node.attrs.get("coordinate_transformation_mode", "half_pixel")]
        runtime = self._runtime_scales(node, g)
        params = {
            "nc": int(np.prod(x[:-2])) if len(x) > 2 else 1, "h_in": x2[0], "w_in": x2[1], "h_out": y2[0],
            "w_out": y2[1], "scale_h": s2[0], "scale_w": s2[1], "mode": MODES[node.attrs.get("mode", "nearest")],
            "coord": coord, "nearest": self._nearest(node, g, scales),
            "cubic_a": float(node.attrs.get("cubic_coeff_a", -0.75)),
            "exclude_outside": int(node.attrs.get("exclude_outside", 0)),
            # ONNX's reference takes align_corners' resized length as in * scale when scales are given; run-time
            # scales follow it (with constant scales the output size is used, as onnxruntime does).
            "scaled_length": int(bool(runtime)),
        }
        if 0 in y:
            return []
        if runtime:
            axes = self._axes(node, len(x))
            index = [axes.index(a) if a in axes else -1 for a in (len(x) - 2, len(x) - 1)]
            # The other axes keep their size (checked above); the kernel refuses a scale other than 1 there.
            unit = sum(1 << i for i, a in enumerate(axes) if a < len(x) - 2 and x[a] > 1)
            return [KernelCall("mlc_resize_scales_f32", "mlc_resize_scales_params_t",
                               {"r": params, "scale_h_index": index[0], "scale_w_index": index[1], "unit_mask": unit},
                               [ctx.tensor(node.inputs[0]), Arg("tensor", runtime), ctx.tensor(node.outputs[0])])]
        return [KernelCall("mlc_resize_f32", "mlc_resize_params_t", params,
                           [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])])]

    def _repeat_factors(self, node: Node, g: Graph) -> tuple[int, int]:
        """The whole factors (k_h, k_w) by which nearest resizing repeats each input row and column, or
        Unsupported. With out = k * in and scale k, the source of output o is o // k under these transforms:
        half_pixel (and its pytorch and symmetric forms) with either rounding, o / k + 1/(2k) - 1/2 being
        never a tie; asymmetric with floor, or k = 2 and round_prefer_floor (a tie at o / 2 rounds down);
        tf_half_pixel_for_nn with floor; the legacy Upsample (asymmetric, floor)."""
        if node.attrs.get("mode", "nearest") != "nearest":
            raise Unsupported("only nearest resizing is a copy on int8")
        if self._runtime_scales(node, g):
            raise Unsupported("run-time scales on int8")
        x, y = shape(g, node.inputs[0]), shape(g, node.outputs[0])
        if len(x) < 2:
            raise Unsupported("int8 resizes the last two axes of a tensor of rank 2 or more")
        scales = self._scales(node, g)
        legacy = node.op == "Upsample" or g.opset < 11
        coord = "asymmetric" if legacy else node.attrs.get("coordinate_transformation_mode", "half_pixel")
        rounding = "floor" if legacy else node.attrs.get("nearest_mode", "round_prefer_floor")
        factors = []
        for axis in (len(x) - 2, len(x) - 1):
            k = y[axis] // x[axis] if x[axis] else 0
            if k < 1 or y[axis] != k * x[axis] or scales[axis] != float(k):
                raise Unsupported("nearest resizing by a factor that is not a whole number")
            if not _repeats(coord, rounding, k):
                raise Unsupported(f"nearest resizing with {coord} and {rounding} does not repeat values evenly")
            factors.append(k)
        return factors[0], factors[1]

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        self._repeat_factors(node, g)
        if not g.tensors[node.inputs[0]].quant.same(g.tensors[node.outputs[0]].quant):
            raise Unsupported("input and output quantized differently (a copy cannot rescale)")

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant

    def lower_s8(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        """[..., h, w] read as [outer, h, 1, w, 1] and written as [outer, h, k_h, w, k_w]."""
        g = ctx.graph
        x = list(shape(g, node.inputs[0]))
        kh, kw = self._repeat_factors(node, g)
        outer, h, w = int(np.prod(x[:-2])), x[-2], x[-1]
        if outer * h * w == 0:
            return []
        dims = [outer, h, kh, w, kw]
        out_strides = [h * kh * w * kw, kh * w * kw, w * kw, kw, 1]
        return [copy_call(ctx, node.inputs[0], node.outputs[0], dims, [h * w, w, 0, 1, 0], out_strides)]
