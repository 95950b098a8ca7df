"""Python simulator of the int8 reference kernels: numpy twins of runtime_c/kernels/ref/*_s8.c,
byte-identical to the C (see runtime_c/include/mlc/kernels_s8.h for each kernel's definition).

Integer numpy only (int64 intermediates), except the two float boundary kernels quantize_f32_s8 and
dequantize_s8_f32, which use float32 exactly as the C does. Accumulators are checked to fit int32, where
the C would overflow (undefined behaviour); such inputs raise OverflowError instead.
Layouts: NCHW; conv weights [c_out][c_in / groups][k_h][k_w]; fc weights [n][k].
"""

from __future__ import annotations

import numpy as np

from toolchain.quant.requant import (
    INT32_MAX,
    INT32_MIN,
    requant,
    requant_s8,
    requant_small_s8,
    softmax_exp,
    unpack_qmult,
)

_I64 = np.int64


def _check_acc(acc: np.ndarray) -> np.ndarray:
    if acc.size and (acc.min() < INT32_MIN or acc.max() > INT32_MAX):
        raise OverflowError("int32 accumulator overflow (the C kernel would be undefined)")
    return acc


def _out_size(n_in: int, k: int, stride: int, dil: int, pad_begin: int, pad_end: int, ceil_mode: bool = False) -> int:
    span = n_in + pad_begin + pad_end - dil * (k - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n_in + pad_begin:  # last window must start inside (as ONNX)
        out -= 1
    return max(out, 0)


def _windows(xp: np.ndarray, k: tuple[int, int], stride: tuple[int, int], dil: tuple[int, int],
             out_hw: tuple[int, int]) -> np.ndarray:
    """[..., Hp, Wp] -> [..., k_h, k_w, h_out, w_out]: the tap (kh, kw) of every output position."""
    (kh_n, kw_n), (sh, sw), (dh, dw), (ho, wo) = k, stride, dil, out_hw
    rows = []
    for kh in range(kh_n):
        cols = []
        for kw in range(kw_n):
            h0, w0 = kh * dh, kw * dw
            cols.append(xp[..., h0:h0 + sh * (ho - 1) + 1:sh, w0:w0 + sw * (wo - 1) + 1:sw])
        rows.append(np.stack(cols, axis=-3))
    return np.stack(rows, axis=-4)


def _pad_hw(x: np.ndarray, top: int, left: int, k: tuple[int, int], stride: tuple[int, int],
            dil: tuple[int, int], out_hw: tuple[int, int], value) -> np.ndarray:
    """Pad the last two axes so every window of out_hw fits (bottom/right as far as the windows reach)."""
    h, w = x.shape[-2:]
    need_h = (out_hw[0] - 1) * stride[0] + dil[0] * (k[0] - 1) + 1
    need_w = (out_hw[1] - 1) * stride[1] + dil[1] * (k[1] - 1) + 1
    bottom, right = max(0, need_h - top - h), max(0, need_w - left - w)
    pad = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, pad, constant_values=value)


def conv2d_s8(x, w, bias, qmult, *, stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), groups=1,
              x_zero_point=0, y_zero_point=0, act_min=-128, act_max=127, out_hw=None) -> np.ndarray:
    """mlc_conv2d_s8. x int8 [n][c_in][h][w]; pads (top, left, bottom, right); out_hw defaults to the
    floor formula. bias int32 [c_out] or None; qmult int32 [c_out], (mult, shift) packed (pack_qmult)."""
    x, w = np.asarray(x, np.int8), np.asarray(w, np.int8)
    n, c_in, h, wd = x.shape
    c_out, cig, kh, kw = w.shape
    if out_hw is None:
        out_hw = (_out_size(h, kh, stride[0], dilation[0], pads[0], pads[2]),
                  _out_size(wd, kw, stride[1], dilation[1], pads[1], pads[3]))
    ho, wo = out_hw
    assert cig * groups == c_in and c_out % groups == 0
    xp = _pad_hw(x.astype(_I64) - int(x_zero_point), pads[0], pads[1], (kh, kw), stride, dilation, out_hw, 0)
    cols = _windows(xp, (kh, kw), stride, dilation, out_hw)  # [n][c_in][kh][kw][ho][wo]
    cols = cols.reshape(n, groups, cig, kh, kw, ho, wo)
    wg = w.astype(_I64).reshape(groups, c_out // groups, cig, kh, kw)
    acc = np.einsum("ngcijhw,gocij->ngohw", cols, wg).reshape(n, c_out, ho, wo)
    if bias is not None:
        acc = acc + np.asarray(bias, _I64).reshape(1, c_out, 1, 1)
    _check_acc(acc)
    m, s = unpack_qmult(np.asarray(qmult).reshape(1, c_out, 1, 1))
    return requant_s8(acc, m, s, y_zero_point, act_min, act_max)


def fc_s8(x, w, bias, qmult, *, x_zero_point=0, y_zero_point=0, act_min=-128, act_max=127) -> np.ndarray:
    """mlc_fc_s8. x int8 [m][k], w int8 [n][k], bias int32 [n] or None, qmult int32 [n] (pack_qmult) -> [m][n]."""
    x, w = np.asarray(x, np.int8), np.asarray(w, np.int8)
    acc = (x.astype(_I64) - int(x_zero_point)) @ w.astype(_I64).T
    if bias is not None:
        acc = acc + np.asarray(bias, _I64)[None, :]
    _check_acc(acc)
    m, s = unpack_qmult(np.asarray(qmult)[None, :])
    return requant_s8(acc, m, s, y_zero_point, act_min, act_max)


def channel_affine_s8(x, w, bias, qmult, *, x_zero_point=0, y_zero_point=0, act_min=-128,
                      act_max=127) -> np.ndarray:
    """mlc_channel_affine_s8. x int8 [outer][channels][inner]; w int8, bias / qmult (pack_qmult) int32 [channels]."""
    x = np.asarray(x, np.int8).astype(_I64)
    c = x.shape[1]
    acc = (x - int(x_zero_point)) * np.asarray(w, _I64).reshape(1, c, 1)
    if bias is not None:
        acc = acc + np.asarray(bias, _I64).reshape(1, c, 1)
    m, s = unpack_qmult(np.asarray(qmult).reshape(1, c, 1))
    return requant_s8(acc, m, s, y_zero_point, act_min, act_max)


def maxpool2d_s8(x, kernel, *, stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), act_min=-128, act_max=127,
                 out_hw=None, ceil_mode=False) -> np.ndarray:
    """mlc_maxpool2d_s8. x int8 [n][c][h][w]; padding never wins; empty windows give -128."""
    x = np.asarray(x, np.int8)
    h, w = x.shape[-2:]
    if out_hw is None:
        out_hw = (_out_size(h, kernel[0], stride[0], dilation[0], pads[0], pads[2], ceil_mode),
                  _out_size(w, kernel[1], stride[1], dilation[1], pads[1], pads[3], ceil_mode))
    xp = _pad_hw(x, pads[0], pads[1], kernel, stride, dilation, out_hw, -128)  # -128 = the C's initial max
    win = _windows(xp, kernel, stride, dilation, out_hw)
    mx = win.max(axis=(-4, -3)) if kernel[0] * kernel[1] > 0 else np.full(win.shape[:-4] + tuple(out_hw), -128)
    return np.clip(mx, act_min, act_max).astype(np.int8)


def _div_round_away(s: np.ndarray, c: np.ndarray) -> np.ndarray:
    cs = np.maximum(c, 1)
    return np.where(s >= 0, (s + cs // 2) // cs, -((-s + cs // 2) // cs))


def avgpool2d_s8(x, kernel, *, stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), count_include_pad=False,
                 zero_point=0, act_min=-128, act_max=127, out_hw=None, ceil_mode=False) -> np.ndarray:
    """mlc_avgpool2d_s8: mean of the window's q values (padded positions count as zero_point with
    count_include_pad), rounded to nearest with ties away from zero; empty windows give zero_point."""
    x = np.asarray(x, np.int8)
    h, w = x.shape[-2:]
    pt, pl, pb, pr = pads
    if out_hw is None:
        out_hw = (_out_size(h, kernel[0], stride[0], dilation[0], pt, pb, ceil_mode),
                  _out_size(w, kernel[1], stride[1], dilation[1], pl, pr, ceil_mode))
    xp = _pad_hw(x.astype(_I64), pt, pl, kernel, stride, dilation, out_hw, 0)
    inside = _pad_hw(np.ones((h, w), _I64), pt, pl, kernel, stride, dilation, out_hw, 0)
    padded = np.zeros_like(inside)
    padded[:pt + h + pb, :pl + w + pr] = 1  # the padded input [-pad_top, h + pad_bottom)
    sums = _windows(xp, kernel, stride, dilation, out_hw).sum(axis=(-4, -3))
    valid = _windows(inside, kernel, stride, dilation, out_hw).sum(axis=(-4, -3))
    if count_include_pad:
        count = _windows(padded, kernel, stride, dilation, out_hw).sum(axis=(-4, -3))
        sums = sums + (count - valid) * int(zero_point)
    else:
        count = valid
    avg = np.where(count > 0, _div_round_away(sums, count), int(zero_point))
    return np.clip(avg, act_min, act_max).astype(np.int8)


def mean_s8(x, mult, shift, *, x_zero_point=0, y_zero_point=0, act_min=-128, act_max=127) -> np.ndarray:
    """mlc_mean_s8. x int8 [outer][axis][inner] -> [outer][inner]."""
    x = np.asarray(x, np.int8)
    acc = (x.astype(_I64) - int(x_zero_point)).sum(axis=1)
    return requant_s8(acc, mult, shift, y_zero_point, act_min, act_max)


def add_s8(a, b, *, a_zero_point=0, b_zero_point=0, y_zero_point=0, left_shift=20, a_mult=0, a_shift=0,
           b_mult=0, b_shift=0, y_mult=0, y_shift=0, act_min=-128, act_max=127) -> np.ndarray:
    """mlc_add_s8 with numpy broadcasting of a and b."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int8), np.asarray(b, np.int8))
    va = requant((a.astype(_I64) - int(a_zero_point)) << int(left_shift), a_mult, a_shift).astype(_I64)
    vb = requant((b.astype(_I64) - int(b_zero_point)) << int(left_shift), b_mult, b_shift).astype(_I64)
    return requant_s8(va + vb, y_mult, y_shift, y_zero_point, act_min, act_max)


def mul_s8(a, b, *, a_zero_point=0, b_zero_point=0, y_zero_point=0, y_mult=0, y_shift=0, act_min=-128,
           act_max=127, **_ignored) -> np.ndarray:
    """mlc_mul_s8 with numpy broadcasting of a and b (add_s8's a/b multipliers and left_shift are ignored)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int8), np.asarray(b, np.int8))
    prod = (a.astype(_I64) - int(a_zero_point)) * (b.astype(_I64) - int(b_zero_point))
    return requant_s8(prod, y_mult, y_shift, y_zero_point, act_min, act_max)


def softmax_s8(x, exp_table) -> np.ndarray:
    """mlc_softmax_s8. x int8 [outer][axis][inner]; output scale 1/256, zero point -128."""
    x = np.asarray(x, np.int8).astype(_I64)
    if x.size == 0:
        return x.astype(np.int8)
    e = softmax_exp(exp_table, x.max(axis=1, keepdims=True) - x)
    s = e.sum(axis=1, keepdims=True)
    q = (e * 256 + s // 2) // np.maximum(s, 1) - 128
    return np.minimum(q, 127).astype(np.int8)


def lut_s8(x, table) -> np.ndarray:
    """mlc_lut_s8: table[x + 128]."""
    return np.asarray(table, np.int8)[np.asarray(x, np.int8).astype(np.int64) + 128]


def requantize_s8(x, mult, shift, *, x_zero_point=0, y_zero_point=0, act_min=-128, act_max=127) -> np.ndarray:
    """mlc_requantize_s8."""
    return requant_small_s8(np.asarray(x, np.int8).astype(_I64) - int(x_zero_point), mult, shift, y_zero_point,
                            act_min, act_max)


def quantize_f32_s8(x, scale, zero_point) -> np.ndarray:
    """mlc_quantize_f32_s8: saturate(round_half_even(float32(x) / float32(scale)) + zero_point); NaN -> zp."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = np.asarray(x, np.float32) / np.float32(scale)
    nan = np.isnan(v)
    q = np.rint(np.clip(np.where(nan, np.float32(0), v), -256, 256)).astype(_I64) + int(zero_point)
    q = np.where(nan, int(zero_point), q)
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize_s8_f32(x, scale, zero_point) -> np.ndarray:
    """mlc_dequantize_s8_f32: float32(x - zero_point) * float32(scale)."""
    return (np.asarray(x, np.int8).astype(np.int32) - int(zero_point)).astype(np.float32) * np.float32(scale)


def _pad_index(i: np.ndarray, n: int, mode: int) -> np.ndarray:
    """pad_body.h's pad_map on an index array: the input index, or -1 for the constant."""
    inside = (i >= 0) & (i < n)
    if mode == 1:  # reflect, period 2(n - 1)
        period = 2 * (n - 1)
        j = np.mod(i, period) if period else np.zeros_like(i)
        mapped = np.where(j < n, j, period - j)
    elif mode == 2:  # edge
        mapped = np.where(i < 0, 0, n - 1)
    elif mode == 3:  # wrap
        mapped = np.mod(i, n)
    else:
        mapped = np.full_like(i, -1)
    return np.where(inside, i, mapped)


def pad_s8(x: np.ndarray, begin: list[int], out_dims: list[int], mode: int, value: int) -> np.ndarray:
    """mlc_pad_s8: output index o reads input o - begin along every axis (mapped by the mode)."""
    index = [_pad_index(np.arange(o) - b, n, mode) for o, b, n in zip(out_dims, begin, x.shape)]
    y = np.full(out_dims, value, np.int8)
    keep = np.ix_(*[k >= 0 for k in index])
    y[keep] = x[np.ix_(*[k[k >= 0] for k in index])]
    return y
