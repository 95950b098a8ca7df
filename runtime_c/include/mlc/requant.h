/**
 * @file requant.h
 * @brief Integer requantization by a fixed-point multiplier and a power-of-two shift (int32/int64 only).
 *
 * A positive real factor r is stored as (mult, shift) with r ~= mult * 2^(shift - 31), mult in
 * [2^30, 2^31) (or 0 for r = 0) and shift in [-31, 30]; the toolchain computes the pair with
 * toolchain.quant.requant.quantize_multiplier (TFLite's QuantizeMultiplier).
 *
 * The one rounding rule of mlc's integer kernels (TFLite's MultiplyByQuantizedMultiplier, made free of
 * undefined behaviour), for an int32 x:
 *
 *   1. left  = max(shift, 0), right = max(-shift, 0)
 *   2. x1 = saturate_int32(x * 2^left)            (TFLite wraps here, which is UB; mlc saturates)
 *   3. x2 = SaturatingRoundingDoublingHighMul(x1, mult)
 *         = floor((x1 * mult + 2^30) / 2^31)      exact in int64: rounds x1*mult/2^31 to nearest,
 *                                                 ties toward +infinity (TFLite's nudge 1 - 2^30 for a
 *                                                 negative product makes -k.5 go to -k, +k.5 to k+1);
 *           the one overflow, x1 = mult = INT32_MIN, saturates to INT32_MAX
 *   4. result = RoundingDivideByPOT(x2, right)
 *         = x2 / 2^right rounded to nearest, ties away from zero
 *
 * So the multiply rounds ties up (+inf) and the shift rounds ties away from zero; both are the exact
 * TFLite / gemmlowp functions (TFLite's default double-rounding path, not TFLITE_SINGLE_ROUNDING), so
 * results agree with TFLite wherever TFLite itself has no overflow. Python twin, bit-exact:
 * toolchain/quant/requant.py. Assumes an arithmetic right shift of negative signed values (GCC and Clang
 * on every target; checked at compile time below).
 */
#ifndef MLC_REQUANT_H
#define MLC_REQUANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compile-time check that >> of a negative int32 is arithmetic (implementation-defined in C99). */
typedef char mlc_requant_needs_arithmetic_shift[((int32_t)-8 >> 1) == -4 && ((int64_t)-8 >> 1) == -4 ? 1 : -1];

/** round(a * b / 2^31), ties toward +infinity; INT32_MIN * INT32_MIN saturates to INT32_MAX. TFLite writes
    (ab + nudge) / 2^31 with a truncating division and a sign-dependent nudge; floor((ab + 2^30) / 2^31), one
    arithmetic shift, is the same integer for every product (toolchain/quant/requant.py's srdhm, tested
    equal) and compiles to a few instructions where the division needs a 64-bit sign fix-up. */
static inline int32_t mlc_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/** round(x / 2^exponent), ties away from zero; exponent in [0, 31]. */
static inline int32_t mlc_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((((uint32_t)1) << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** saturate_int32(x * 2^s) for s in [0, 30]. */
static inline int32_t mlc_sat_shl(int32_t x, int32_t s)
{
    if (s <= 0) return x;
    if (x > (INT32_MAX >> s)) return INT32_MAX;
    if (x < (INT32_MIN >> s)) return INT32_MIN;
    return x * ((int32_t)1 << s);
}

/** x * mult * 2^(shift - 31) with the rounding rule above; shift in [-31, 30]. */
static inline int32_t mlc_requant(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return mlc_rdbpot(mlc_srdhm(mlc_sat_shl(x, left), mult), right);
}

/**
 * The pre-shift of a small x (|x| <= 255, a difference of int8 values) before mlc_requant with a right shift:
 * mlc_requant(x * 2^pre, mult, shift - pre) keeps pre fraction bits through the multiply, so the result is
 * rounded once, by the final shift; without it the multiply rounds to an integer first and a right shift of
 * 1 moves a third of the results by one step. 2^22 * 255 < 2^30, and shift - pre stays >= -31.
 * toolchain/quant/requant.py's small_preshift is its twin.
 */
static inline int32_t mlc_requant_small_preshift(int32_t shift)
{
    if (shift >= 0) return 0;
    return 31 + shift < 22 ? 31 + shift : 22;
}

/**
 * clamp(zero_point + mlc_requant(x, mult, shift), lo, hi) as int8, without int32 overflow.
 * Requires -128 <= zero_point <= 127 and -128 <= lo <= hi <= 127 (the fused activation range).
 */
static inline int8_t mlc_requant_s8(int32_t x, int32_t mult, int32_t shift, int32_t zero_point, int32_t lo,
                                    int32_t hi)
{
    int32_t r = mlc_requant(x, mult, shift);
    if (r > 256) r = 256; /* beyond +-256 the clamp below decides anyway */
    if (r < -256) r = -256;
    r += zero_point;
    if (r < lo) r = lo;
    if (r > hi) r = hi;
    return (int8_t)r;
}

/** 1 when v is an int8 value (zero points, clamp bounds), else 0. */
static inline int mlc_s8_ok(int32_t v)
{
    return v >= -128 && v <= 127;
}

/** 1 when lo..hi is a non-empty int8 clamp range, else 0. */
static inline int mlc_s8_range_ok(int32_t lo, int32_t hi)
{
    return mlc_s8_ok(lo) && mlc_s8_ok(hi) && lo <= hi;
}

/** 1 when (mult, shift) is a pair the kernels accept (mult >= 0, shift in [-31, 30]), else 0. */
static inline int mlc_requant_valid(int32_t mult, int32_t shift)
{
    return mult >= 0 && shift >= -31 && shift <= 30;
}

/*
 * A channel's (mult, shift) packed in one int32 word, the per-channel form of the conv, fc and channel-affine
 * kernels (toolchain.quant.requant.pack_qmult): bits 31..8 are the multiplier's (its low 8 bits read as 0:
 * 23 significant bits), bits 7..0 the shift in two's complement.
 */
static inline int32_t mlc_qm_mult(int32_t qm)
{
    return (int32_t)((uint32_t)qm & 0xFFFFFF00u);
}

static inline int32_t mlc_qm_shift(int32_t qm)
{
    return (int32_t)((uint32_t)qm << 24) >> 24; /* one SXTB (two's complement, arithmetic shift: see above) */
}

/** 1 when a packed word's (mult, shift) is valid (mlc_requant_valid), else 0. */
static inline int mlc_qm_valid(int32_t qm)
{
    return mlc_requant_valid(mlc_qm_mult(qm), mlc_qm_shift(qm));
}

#ifdef __cplusplus
}
#endif

#endif /* MLC_REQUANT_H */
