"""Requantization arithmetic, bit-exact with runtime_c/include/mlc/requant.h, and the compile-time
quantization parameters of the int8 kernels (multipliers, clamp ranges, lookup tables).

The one rounding rule (TFLite's MultiplyByQuantizedMultiplier without its undefined behaviour), for an
int32 x and a real factor r ~= mult * 2^(shift - 31):

1. ``left = max(shift, 0)``, ``right = max(-shift, 0)``
2. ``x1 = saturate_int32(x * 2^left)``
3. ``x2 = srdhm(x1, mult) = floor((x1 * mult + 2^30) / 2^31)``: nearest, ties toward +infinity (TFLite's
   SaturatingRoundingDoublingHighMul; INT32_MIN * INT32_MIN saturates to INT32_MAX)
4. ``requant(x) = rdbpot(x2, right)``: x2 / 2^right to nearest, ties away from zero (RoundingDivideByPOT)

This is TFLite's default (double-rounding, not TFLITE_SINGLE_ROUNDING) path exactly, except that step 2
saturates where TFLite overflows. Everything here is integer numpy (int64 intermediates) and vectorised: arguments broadcast against each
other like numpy operands.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
SOFTMAX_TABLE_ONE = 1 << 24  # exp(0) in Q24: softmax_table's factors for d = 0
SOFTMAX_MAX_AXIS = 65535  # kernels_s8.h's MLC_SOFTMAX_S8_MAX_AXIS: a row's Q16 sum stays in 32 bits

_I64 = np.int64


def _i64(a) -> np.ndarray:
    return np.asarray(a, dtype=_I64)


def srdhm(a, b) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties toward +inf, int32 inputs."""
    a, b = _i64(a), _i64(b)
    hi = (a * b + (1 << 30)) >> 31  # arithmetic shift = floor; |a * b| <= 2^62 fits int64
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, hi).astype(np.int32)


def rdbpot(x, exponent) -> np.ndarray:
    """RoundingDivideByPOT: round(x / 2^exponent), ties away from zero; exponent in [0, 31]."""
    x, e = _i64(x), _i64(exponent)
    mask = np.left_shift(_I64(1), e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return ((x >> e) + (remainder > threshold)).astype(np.int32)


def sat_shl(x, s) -> np.ndarray:
    """saturate_int32(x * 2^s), s in [0, 30]."""
    x, s = _i64(x), _i64(s)
    return np.clip(np.left_shift(x, np.maximum(s, 0)), INT32_MIN, INT32_MAX).astype(np.int32)


def requant(x, mult, shift) -> np.ndarray:
    """x * mult * 2^(shift - 31) with mlc's rounding rule (mlc_requant); shift in [-31, 30]. int32 result."""
    shift = _i64(shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    return rdbpot(srdhm(sat_shl(x, left), mult), right)


def requant_s8(x, mult, shift, zero_point, act_min=-128, act_max=127) -> np.ndarray:
    """clamp(zero_point + requant(x, mult, shift), act_min, act_max) as int8 (mlc_requant_s8)."""
    r = requant(x, mult, shift).astype(_I64) + _i64(zero_point)
    return np.clip(r, act_min, act_max).astype(np.int8)


def small_preshift(shift: int) -> int:
    """mlc_requant_small_preshift: the power of two a small x (|x| <= 255) is scaled by before requant with a
    right shift, so only the final shift rounds (see requant.h)."""
    return 0 if shift >= 0 else min(31 + int(shift), 22)


def requant_small_s8(x, mult: int, shift: int, zero_point, act_min=-128, act_max=127) -> np.ndarray:
    """requant_s8 of differences of int8 values, rounded once (mlc_requantize_s8)."""
    pre = small_preshift(shift)
    return requant_s8(_i64(x) << pre, mult, int(shift) - pre, zero_point, act_min, act_max)


def _round_half_away(v: float) -> int:
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def quantize_multiplier(real: float, bits: int = 31) -> tuple[int, int]:
    """(mult, shift) with real ~= mult * 2^(shift - 31), mult in [2^30, 2^31), as TFLite's QuantizeMultiplier
    (double precision, frexp, round half away from zero), mult rounded to `bits` significant bits (its low
    31 - bits bits 0). 0 and factors below 2^-32 give (0, 0).
    Raises ValueError for a negative, non-finite or too large (>= 2^30) factor."""
    real = float(real)
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"requantization factor must be finite and >= 0, got {real!r}")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)  # real = q * 2^shift, q in [0.5, 1)
    q_fixed = _round_half_away(q * (1 << bits))  # exact product: scaling by a power of two
    if q_fixed == 1 << bits:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        raise ValueError(f"requantization factor {real!r} too large (>= 2^30)")
    return int(q_fixed) << (31 - bits), int(shift)


# A channel's (mult, shift) in one int32 word, the per-channel form of the conv / fc / channel-affine kernels
# (requant.h's mlc_qm_mult, mlc_qm_shift): bits 31..8 the multiplier, bits 7..0 the shift (two's complement).
# The multiplier keeps 23 significant bits (a relative rounding of at most 2^-23, about float32's: onnxruntime
# requantizes with a float32 scale), and a channel takes 4 bytes of flash instead of 5.
QMULT_BITS = 23


def pack_qmult(mult, shift) -> np.ndarray:
    """int32 words of (mult, shift) pairs: mult's low 8 bits give way to the shift's byte."""
    m = np.asarray(mult, _I64)
    s = np.asarray(shift, _I64)
    if np.any((m < 0) | (m >= 1 << 31)) or np.any((s < -128) | (s > 127)):
        raise ValueError("a multiplier outside [0, 2^31) or a shift outside int8")
    word = (m & ~0xFF) | (s & 0xFF)
    return np.where(word >= 1 << 31, word - (1 << 32), word).astype(np.int32)


def unpack_qmult(qmult) -> tuple[np.ndarray, np.ndarray]:
    """(mult, shift) int64 arrays of packed words (mlc_qm_mult, mlc_qm_shift)."""
    q = np.asarray(qmult, _I64)
    low = q & 0xFF
    return q & ~0xFF, low - ((low & 0x80) << 1)


def quantize_multipliers(reals, bits: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel quantize_multiplier: mult and shift int64 arrays of the shape of reals."""
    reals = np.asarray(reals, dtype=np.float64)
    pairs = [quantize_multiplier(r, bits) for r in reals.ravel()]
    mult = np.array([m for m, _ in pairs], dtype=_I64).reshape(reals.shape)
    shift = np.array([s for _, s in pairs], dtype=_I64).reshape(reals.shape)
    return mult, shift


def quantize_qmult(reals) -> np.ndarray:
    """Per-channel quantize_multiplier at QMULT_BITS significant bits, packed (pack_qmult): int32 of reals' shape."""
    return pack_qmult(*quantize_multipliers(reals, QMULT_BITS))


def mean_multiplier(x_scale: float, y_scale: float, count: int) -> tuple[int, int]:
    """(mult, shift) of mlc_mean_s8: x_scale / (y_scale * count)."""
    return quantize_multiplier(float(x_scale) / (float(y_scale) * max(int(count), 1)))


def add_params(a_scale: float, b_scale: float, y_scale: float, left_shift: int = 20) -> dict[str, int]:
    """Multipliers of mlc_add_s8 (TFLite's Add): a, b to the common scale 2 max(s_a, s_b), then to y."""
    twice_max = 2.0 * max(float(a_scale), float(b_scale))
    a_mult, a_shift = quantize_multiplier(float(a_scale) / twice_max)
    b_mult, b_shift = quantize_multiplier(float(b_scale) / twice_max)
    y_mult, y_shift = quantize_multiplier(twice_max / ((1 << left_shift) * float(y_scale)))
    return dict(left_shift=left_shift, a_mult=a_mult, a_shift=a_shift, b_mult=b_mult, b_shift=b_shift,
                y_mult=y_mult, y_shift=y_shift)


def mul_params(a_scale: float, b_scale: float, y_scale: float) -> dict[str, int]:
    """Multiplier of mlc_mul_s8 (TFLite's Mul): s_a s_b / s_y."""
    y_mult, y_shift = quantize_multiplier(float(a_scale) * float(b_scale) / float(y_scale))
    return dict(left_shift=0, a_mult=0, a_shift=0, b_mult=0, b_shift=0, y_mult=y_mult, y_shift=y_shift)


def activation_range(scale: float, zero_point: int, kind: str = "none", lo: float | None = None,
                     hi: float | None = None) -> tuple[int, int]:
    """Int8 clamp (act_min, act_max) of a fused activation on an output with (scale, zero_point), as TFLite's
    CalculateActivationRangeQuantized: a real bound v becomes zero_point + round_half_away(v / scale).
    kind: "none", "relu", "relu6", "relu_n1_to_1" or "clip" (lo / hi, either may be None)."""
    if kind == "relu":
        lo, hi = 0.0, None
    elif kind == "relu6":
        lo, hi = 0.0, 6.0
    elif kind == "relu_n1_to_1":
        lo, hi = -1.0, 1.0
    elif kind == "none":
        lo, hi = None, None
    elif kind != "clip":
        raise ValueError(f"unknown fused activation {kind!r}")
    qmin, qmax = -128, 127
    if lo is not None and math.isfinite(lo):
        qmin = max(qmin, min(qmax, int(zero_point) + _round_half_away(lo / scale)))
    if hi is not None and math.isfinite(hi):
        qmax = min(qmax, max(-128, int(zero_point) + _round_half_away(hi / scale)))
    if qmin > qmax:
        qmin = qmax
    return qmin, qmax


def softmax_table(x_scale: float, beta: float = 1.0) -> np.ndarray:
    """exp_table of mlc_softmax_s8: int32 [32], exp(-beta x_scale d) for d = 16 j + i (0 <= d < 256) as the
    product of two Q24 factors, rounded to Q16 (128 bytes instead of a 1 KB table of every d): table[j] = round(2^24
    exp(-16 beta x_scale j)), table[16 + i] = round(2^24 exp(-beta x_scale i)) (softmax_exp)."""
    k = np.arange(16, dtype=np.float64)
    z = float(beta) * float(x_scale)
    t = np.floor(SOFTMAX_TABLE_ONE * np.exp(-z * np.concatenate([16.0 * k, k])) + 0.5)
    return t.astype(np.int32)


def softmax_exp(exp_table: np.ndarray, d: np.ndarray) -> np.ndarray:
    """exp(-beta x_scale d) in Q16 from softmax_table, d int in [0, 255]: round_half_up(table[d >> 4]
    table[16 + (d & 15)] / 2^32) (mlc_softmax_s8's softmax_exp)."""
    t = np.asarray(exp_table, _I64)
    d = np.asarray(d, _I64)
    return (t[d >> 4] * t[16 + (d & 15)] + (1 << 31)) >> 32


def lut_table(fn: Callable[[np.ndarray], np.ndarray], x_scale: float, x_zero_point: int, y_scale: float,
              y_zero_point: int) -> np.ndarray:
    """Table of mlc_lut_s8: int8 [256], entry i is the quantized fn of the int8 input q = i - 128,
    saturate(round_half_even(fn(x_scale (q - x_zero_point)) / y_scale) + y_zero_point), in float64."""
    q = np.arange(-128, 128, dtype=np.float64)
    f = np.asarray(fn(float(x_scale) * (q - int(x_zero_point))), dtype=np.float64)
    out = np.rint(f / float(y_scale)) + int(y_zero_point)
    return np.clip(out, -128, 127).astype(np.int8)


def tanh_table(x_scale: float, x_zero_point: int, y_scale: float = 1.0 / 128, y_zero_point: int = 0) -> np.ndarray:
    """Tanh table; the default output quantization is TFLite's (1/128, 0)."""
    return lut_table(np.tanh, x_scale, x_zero_point, y_scale, y_zero_point)


def sigmoid_table(x_scale: float, x_zero_point: int, y_scale: float = 1.0 / 256,
                  y_zero_point: int = -128) -> np.ndarray:
    """Sigmoid table; the default output quantization is TFLite's (1/256, -128)."""
    return lut_table(lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)), x_scale, x_zero_point, y_scale, y_zero_point)


def quantize_weights_per_channel(w, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8 weights: scale[c] = max |w[c]| / 127 (1 for an all-zero channel),
    q = clip(round_half_even(w / scale), -127, 127). Returns (int8 q, float64 scales)."""
    w = np.asarray(w, dtype=np.float64)
    red = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
    amax = np.max(np.abs(w), axis=red) if w.size else np.zeros(w.shape[axis])
    scales = np.where(amax > 0, amax / 127.0, 1.0)
    shape = [1] * w.ndim
    shape[axis % w.ndim] = -1
    q = np.clip(np.rint(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b, x_scale: float, w_scales) -> np.ndarray:
    """int32 bias: round_half_even(b / (x_scale w_scale[c])), saturated to int32."""
    b = np.asarray(b, dtype=np.float64)
    q = np.rint(b / (float(x_scale) * np.asarray(w_scales, dtype=np.float64)))
    return np.clip(q, INT32_MIN, INT32_MAX).astype(np.int32)
