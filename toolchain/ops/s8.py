"""Helpers shared by the int8 lowerings: activation parameters, weights, biases, multipliers and clamps.

The scheme is kernels_s8.h's: activations int8 asymmetric per tensor, weights int8 symmetric per output
channel, int32 biases with scale x_scale * w_scale, rescaling by toolchain.quant.requant's one rounding rule.
"""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops.base import Arg, KernelCall, LowerCtx, Unsupported, fused_act, shape
from toolchain.quant.requant import (
    activation_range,
    quantize_bias,
    quantize_multiplier,
    quantize_qmult,
    quantize_weights_per_channel,
)
from toolchain.resources import resource_dir

ACC_LIMIT = 2**31 - 1
BIAS_TOLERANCE = 1e-5  # relative: a bias scale this close to x_scale * w_scale is taken as given

FC_W_ROWS, FC_W_ROWS4 = 0, 1  # kernels_s8.h's MLC_FC_W_ROWS, MLC_FC_W_ROWS4
# The mlc_fc_s8 weight layout a kernel directory's fc_s8.c reads fastest (every kernel reads both; a
# directory not listed here prefers rows).
FC_LAYOUT_OF_KERNELS = {"dsp": FC_W_ROWS4}


def qp(g: Graph, name: str) -> QParams:
    """The per-tensor quantization of a run-time tensor (Unsupported when it has none)."""
    t = g.tensors[name]
    if t.quant is None:
        raise Unsupported(f"tensor {name!r} has no quantization parameters")
    if not t.quant.per_tensor:
        raise Unsupported(f"tensor {name!r} is quantized per axis; int8 activations must be per tensor")
    if not -128 <= t.quant.zp <= 127 or not t.quant.s > 0:
        raise Unsupported(f"tensor {name!r} has scale {t.quant.s} and zero point {t.quant.zp} (int8 needs scale > 0)")
    return t.quant


def clamp(node: Node, g: Graph, y: QParams) -> tuple[int, int]:
    """(act_min, act_max) of the node's fused activation on its int8 output (Relu and Clip only)."""
    if not node.fused:
        return activation_range(y.s, y.zp, "none")
    if len(node.fused) > 1:
        raise Unsupported("more than one fused activation on int8")
    act = fused_act(node, g)
    if act["op"] == 1:
        return activation_range(y.s, y.zp, "relu")
    if act["op"] == 2:
        return activation_range(y.s, y.zp, "clip", float(act["alpha"]), float(act["beta"]))
    raise Unsupported(f"fused {node.fused[0].op} on int8 (only Relu and Clip clamp an int8 output)")


def weights(g: Graph, name: str, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Int8 weights (zero point 0) in the tensor's own layout and the float64 scale per slice along `axis`.
    Weights that arrived quantized keep their integers when the zero point can be folded into them."""
    t = g.tensors[name]
    if t.data is None:
        raise Unsupported(f"weights {name!r} must be a constant for int8")
    data = np.asarray(t.data)
    axis = axis % data.ndim
    channels = data.shape[axis]
    quant = t.quant
    if quant is not None and quant.q is not None:
        q = quant.q.astype(np.int64)
        if quant.per_tensor:
            shifted = q - int(quant.zero_point.reshape(-1)[0])
            scales = np.full(channels, float(quant.scale.reshape(-1)[0]))
        elif quant.axis is not None and quant.axis % data.ndim == axis:
            view = [1] * data.ndim
            view[axis] = -1
            shifted = q - quant.zero_point.astype(np.int64).reshape(view)
            scales = quant.scale.astype(np.float64).reshape(-1)
        else:
            shifted, scales = None, None
        if shifted is not None and shifted.min(initial=0) >= -128 and shifted.max(initial=0) <= 127:
            return shifted.astype(np.int8), scales
        why = ("their zero point is not 0 and they leave int8 once it is subtracted" if shifted is not None
               else f"they are quantized along axis {quant.axis}, not the output channels")
        g.notes[f"weights {name}"] = (f"weights {name!r}: {why}, and the int8 kernels take symmetric weights per "
                                      "output channel: re-quantized from their real values, so outputs may differ "
                                      "from the model's by an output step (quantize weights symmetric to avoid it)")
    q8, scales = quantize_weights_per_channel(data, axis)
    return q8, scales


def bias(g: Graph, name: str, x_scale: float, w_scales: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Int32 bias per output channel (broadcast to len(w_scales)); a quantized bias whose scale is
    x_scale * w_scale keeps its integers."""
    n = w_scales.size
    t = g.tensors[name]
    if t.data is None:
        raise Unsupported(f"bias {name!r} must be a constant for int8")
    want = float(x_scale) * w_scales
    quant = t.quant
    if quant is not None and quant.q is not None and beta == 1.0 and not np.any(quant.zero_point):
        scale = np.broadcast_to(quant.scale.astype(np.float64).reshape(-1), (n,))
        if np.all(np.abs(scale - want) <= BIAS_TOLERANCE * want):
            return np.broadcast_to(quant.q.astype(np.int64).reshape(-1), (n,)).astype(np.int32)
    data = np.broadcast_to(np.asarray(t.data, np.float64).reshape(-1) * beta, (n,))
    return quantize_bias(data, x_scale, w_scales)


def weights_and_bias(g: Graph, w_name: str, b_name: str, axis: int, x_scale: float, taps: int,
                     alpha: float = 1.0, beta: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Int8 weights, their scales (times alpha) and the int32 bias of a conv / fc. When a float model's
    channel has weights so small that its bias would not fit the int32 accumulator next to `taps`
    products, that channel's weight scale is raised until it does (coarser weights, exact bias)."""
    w_q, w_scales = weights(g, w_name, axis)
    w_scales = w_scales * float(alpha)
    if not np.all(w_scales > 0):
        raise Unsupported("alpha must be positive for int8")
    if not b_name:
        return w_q, w_scales, None
    b = bias(g, b_name, x_scale, w_scales, beta)
    room = ACC_LIMIT - taps * 255 * 128
    t = g.tensors[w_name]
    if np.any(np.abs(b.astype(np.int64)) >= room) and t.quant is None and room > 0:
        real_b = np.broadcast_to(np.asarray(g.tensors[b_name].data, np.float64).reshape(-1) * beta, w_scales.shape)
        need = np.abs(real_b) / (float(x_scale) * room * 0.5) / float(alpha)
        data = np.moveaxis(np.asarray(t.data, np.float64), axis, 0)
        base = w_scales / float(alpha)
        scales = np.maximum(base, need)
        shape = (-1,) + (1,) * (data.ndim - 1)
        q = np.clip(np.rint(data / scales.reshape(shape)), -127, 127).astype(np.int8)
        w_q, w_scales = np.moveaxis(q, 0, axis), scales * float(alpha)
        b = bias(g, b_name, x_scale, w_scales, beta)
    return w_q, w_scales, b


def check_accumulator(taps: int, b: np.ndarray | None, what: str) -> None:
    """The int32 accumulator of `taps` products of (x - zp) in [-255, 255] and |w| <= 128 plus the bias
    must not overflow."""
    worst = taps * 255 * 128 + (int(np.max(np.abs(b.astype(np.int64)))) if b is not None and b.size else 0)
    if worst > ACC_LIMIT:
        raise Unsupported(f"{what}: {taps} taps and the bias may overflow the int32 accumulator")


def multipliers(x_scale: float, w_scales: np.ndarray, y_scale: float) -> np.ndarray:
    """Each channel's x_scale w_scale[c] / y_scale as a packed (mult, shift) word (requant.pack_qmult)."""
    try:
        return quantize_qmult(float(x_scale) * w_scales / float(y_scale))
    except ValueError as exc:
        raise Unsupported(f"rescale factor out of range ({exc})") from exc


def weight_args(ctx: LowerCtx, node: Node, w_q: np.ndarray, b: np.ndarray | None, qmult: np.ndarray) -> list[Arg]:
    """Constant arguments w, bias (or NULL), qmult of the conv / fc / channel-affine kernels."""
    args = [ctx.const(node.name + "_wq", w_q)]
    args.append(ctx.const(node.name + "_bq", b) if b is not None else Arg("null"))
    args.append(ctx.const(node.name + "_qmult", qmult))
    return args


CONV_W_OIHW, CONV_W_OHWI = 0, 1  # kernels_s8.h's MLC_CONV_W_OIHW, MLC_CONV_W_OHWI


def _conv_taps(geo: dict[str, int]) -> tuple[int, int]:
    cig = geo["c_in"] // geo["groups"]
    return cig, cig * geo["k_h"] * geo["k_w"]


def dsp_conv_uses_ring(geo: dict[str, int], layout: int) -> bool:
    """kernels_s8.h's mlc_conv2d_s8_uses_ring: whether the DSP kernel stages columns from a ring of input rows."""
    cig = _conv_taps(geo)[0]
    whole_blocks = cig % 4 == 0 or (geo["dil_w"] == 1 and geo["k_w"] * cig % 4 == 0)
    return layout == CONV_W_OHWI and cig > 0 and geo["k_h"] * geo["k_w"] > 1 and geo["w_out"] > 0 and whole_blocks


def dsp_conv_groups_tiles(geo: dict[str, int]) -> bool:
    """kernels_s8.h's mlc_conv2d_s8_groups_tiles without its col_tiles > 1: whether the DSP kernel can stage
    several six-pixel tiles' columns at once (up to 512 taps: 1x1, stride 1, no padding, rows as wide as the
    output's, taps in steps of 16; or 3x3 at stride 2, dilation 1, blocks of four taps a multiple of 4 or
    one less)."""
    taps = _conv_taps(geo)[1]
    pw = (geo["k_h"] == geo["k_w"] == 1 and geo["stride_h"] == geo["stride_w"] == 1 and geo["pad_top"] == 0
          and geo["pad_left"] == 0 and geo["w_in"] == geo["w_out"] and geo["h_out"] <= geo["h_in"]
          and taps % 16 == 0)
    s2k3 = (geo["k_h"] == geo["k_w"] == 3 and geo["stride_h"] == geo["stride_w"] == 2 and geo["dil_h"] == 1
            and geo["dil_w"] == 1 and (taps + 3) // 4 % 4 in (0, 3))
    return 0 < taps <= 512 and (pw or s2k3)


def dsp_conv_scratch_bytes(geo: dict[str, int], layout: int) -> int:
    """kernels_s8.h's mlc_conv2d_s8_scratch_bytes: im2col columns, or with the ring of input rows
    (dsp_conv_uses_ring) the columns and the ring, or col_tiles tiles' columns (dsp_conv_groups_tiles)."""
    cig, taps = _conv_taps(geo)
    if geo.get("col_tiles", 0) > 1 and dsp_conv_groups_tiles(geo) and not dsp_conv_uses_ring(geo, layout):
        return max(48 * ((taps + 3) // 4) * geo["col_tiles"], 56 * ((taps + 3) // 4))
    if dsp_conv_uses_ring(geo, layout):
        w_out = geo["w_out"]
        rows = (geo["k_h"] - 1) * geo["dil_h"] + 1 + geo["stride_h"] * ((w_out + 4) // w_out)
        width = (w_out - 1) * geo["stride_w"] + (geo["k_w"] - 1) * geo["dil_w"] + 1
        return 48 * (taps // 4) + rows * 4 * ((width * cig + 3) // 4)
    return 56 * ((taps + 3) // 4)


# Scratch bytes of mlc_conv2d_s8 per kernel directory for a layer's geometry and weight layout: the DSP
# kernels' mlc_conv2d_s8_scratch_bytes (kernels_s8.h), the MVE kernels' four columns (mve/conv2d_s8.c); the
# reference kernel takes NULL.
CONV_SCRATCH_BYTES = {"dsp": dsp_conv_scratch_bytes, "mve": lambda geo, layout: 4 * _conv_taps(geo)[1]}


def _kernel_dir_of(fn_file: str, kernels: tuple[str, ...]) -> str | None:
    """The first of `kernels` (search order) with its own `fn_file`: the one whose kernel the build links."""
    root = resource_dir("runtime_c") / "kernels"
    return next((d for d in kernels if (root / d / fn_file).is_file()), None)


def conv_layout(kernels: tuple[str, ...], geo: dict[str, int]) -> int:
    """The mlc_conv2d_s8 w_layout a build links the fastest kernel for: OHWI where the DSP kernels stage the
    columns from a ring of input rows (a few padded input rows: measured on ic_resnet8's 3x3 layers, 10-25%
    fewer instructions than im2col's staging) and the ring keeps the scratch within 3x the im2col's (wide
    images with many channels keep im2col and a small arena), else OIHW (ONNX's order)."""
    if _kernel_dir_of("conv2d_s8.c", kernels) != "dsp" or not dsp_conv_uses_ring(geo, CONV_W_OHWI):
        return CONV_W_OIHW
    ring = dsp_conv_scratch_bytes(geo, CONV_W_OHWI)
    return CONV_W_OHWI if ring <= 3 * dsp_conv_scratch_bytes(geo, CONV_W_OIHW) else CONV_W_OIHW


def conv_weight_order(geo: dict[str, int], layout: int) -> np.ndarray:
    """Where each stored weight comes from: stored byte i is w[c_out][cig][k_h][k_w].flat[order[i]]."""
    cig, taps = _conv_taps(geo)
    idx = np.arange(geo["c_out"] * taps).reshape(geo["c_out"], cig, geo["k_h"], geo["k_w"])
    if layout == CONV_W_OIHW:
        return idx.reshape(-1)
    if layout != CONV_W_OHWI:
        raise ValueError(f"unknown conv weight layout {layout}")
    return idx.transpose(0, 2, 3, 1).reshape(-1)


def conv_scratch_bytes(kernels: tuple[str, ...], geo: dict[str, int]) -> int:
    """Scratch bytes of the mlc_conv2d_s8 a build with kernel directories `kernels` links."""
    size = CONV_SCRATCH_BYTES.get(_kernel_dir_of("conv2d_s8.c", kernels) or "ref")
    return size(geo, conv_layout(kernels, geo)) if size is not None else 0


def conv_col_tiles(kernels: tuple[str, ...], geo: dict[str, int], size: int | None = None) -> int:
    """The mlc_conv2d_s8 col_tiles for a scratch of `size` bytes (None: as many as the layer's whole tiles,
    the most worth having): the largest count of six-pixel tiles whose columns fit, where the DSP kernel
    stages several at once (dsp_conv_groups_tiles; not 1x1 with up to 8 input channels, which its narrow
    path takes, nor depthwise) and there are two or more; else 0."""
    if (_kernel_dir_of("conv2d_s8.c", kernels) != "dsp" or not dsp_conv_groups_tiles(geo)
            or dsp_conv_uses_ring(geo, conv_layout(kernels, geo))):
        return 0
    cig, taps = _conv_taps(geo)
    tiles = geo["h_out"] * geo["w_out"] // 6
    depthwise = geo["groups"] == geo["c_in"] == geo["c_out"]  # the depthwise kernels take these, not im2col
    if (geo["k_h"] == 1 and cig <= 8) or depthwise or tiles < 2:
        return 0
    fit = tiles if size is None else min(tiles, size // (48 * ((taps + 3) // 4)))
    return fit if fit >= 2 else 0


def fc_layout(kernels: tuple[str, ...]) -> int:
    """The mlc_fc_s8 w_layout for kernel directories searched in this order: the one the first directory
    with its own fc_s8.c prefers."""
    return FC_LAYOUT_OF_KERNELS.get(_kernel_dir_of("fc_s8.c", kernels) or "ref", FC_W_ROWS)


def fc_weight_order(n: int, k: int, layout: int) -> np.ndarray:
    """Where each stored weight comes from: stored byte i is w[n][k].flat[order[i]] (kernels_s8.h)."""
    idx = np.arange(n * k).reshape(n, k)
    if layout == FC_W_ROWS:
        return idx.reshape(-1)
    if layout != FC_W_ROWS4:
        raise ValueError(f"unknown fc weight layout {layout}")
    g, k4 = n // 4, k // 4 * 4
    if g == 0 or k == 0:
        return idx.reshape(-1)
    groups = idx[:4 * g].reshape(g, 4, k)
    blocks = groups[:, :, :k4].reshape(g, 4, k4 // 4, 4).transpose(0, 2, 1, 3).reshape(g, -1)
    tails = groups[:, :, k4:].reshape(g, -1)
    return np.concatenate([np.concatenate([blocks, tails], axis=1).reshape(-1), idx[4 * g:].reshape(-1)])


def requantize_call(ctx: LowerCtx, src: str, x: QParams, y: QParams, lo: int = -128, hi: int = 127,
                    dst: Arg | None = None) -> KernelCall:
    """Rescale of an int8 tensor from quantization x to y, then the clamp [lo, hi]; in place unless `dst`."""
    mult, shift = quantize_multiplier(x.s / y.s)
    params = {"size": int(np.prod(shape(ctx.graph, src) or (1,))), "x_zero_point": x.zp, "y_zero_point": y.zp,
              "mult": mult, "shift": shift, "act_min": lo, "act_max": hi}
    return KernelCall("mlc_requantize_s8", "mlc_requantize_s8_params_t", params,
                      [ctx.tensor(src), dst if dst is not None else ctx.tensor(src)])
