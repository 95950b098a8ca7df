/**
 * @file dsp_util.h
 * @brief Private helpers of the DSP int8 kernels (Armv7E-M / Armv8-M Mainline with the DSP extension:
 *        Cortex-M4, M7, M33): SIMD operations with bit-exact portable twins, unaligned loads and stores,
 *        window ranges, and a prepared form of requant.h's requantization.
 *
 * With __ARM_FEATURE_DSP every helper is one instruction (ACLE <arm_acle.h>; inline asm for PKHBT, PKHTB
 * and SMMLAR, which ACLE lacks). Elsewhere the helpers are portable C computing the same bits, so a host
 * build runs the very blocked algorithms the board runs and the host tests can compare them with the
 * reference kernels. On a core without DSP the reference kernels are faster: boards pick "ref" there.
 *
 * Lane notation: a 32-bit word holds two int16 lanes (lo = bits 0..15, hi = bits 16..31) or four bytes.
 */
#ifndef MLC_KERNELS_DSP_UTIL_H
#define MLC_KERNELS_DSP_UTIL_H

#include "index_util.h"
#include <stdint.h>
#include <string.h>

#include "mlc/requant.h"

/* Most taps the 32-bit bound arithmetic of mlc_dsp_rq_prepare takes (kernels_s8.h's MLC_S8_MAX_TAPS). */
#define MLC_S8_MAX_TAPS_DSP 65535

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define MLC_DSP 1
#if defined(__ARM_BIG_ENDIAN)
#error "the DSP kernels assume a little-endian core"
#endif
#else
#define MLC_DSP 0
#endif

#if defined(__GNUC__)
#define MLC_DSP_NOINLINE __attribute__((noinline))
#define MLC_DSP_COLD __attribute__((noinline, cold, unused)) /* out of the hot code; may go unused */
#define MLC_DSP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MLC_DSP_ALWAYS_INLINE inline
#define MLC_DSP_NOINLINE
#define MLC_DSP_COLD
#endif

/* ------------------------------------------------------------------------------------------- memory */

/* Word loads and stores at any alignment. Armv7-M LDR/STR/LDRH/STRH accept unaligned addresses, and GCC
   turns these memcpy calls into single instructions; the portable twins are explicitly little-endian. */
static inline uint32_t mlc_dsp_ld32(const void *p)
{
#if MLC_DSP
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
#else
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
#endif
}

/** Word load from a 4-aligned address (lets GCC pair loads into LDRD). */
static inline uint32_t mlc_dsp_ld32a(const void *p)
{
#if MLC_DSP && defined(__GNUC__)
    uint32_t v;
    memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
#else
    return mlc_dsp_ld32(p);
#endif
}

static inline uint32_t mlc_dsp_ld16(const void *p)
{
#if MLC_DSP
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
#else
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8);
#endif
}

static inline void mlc_dsp_st32(void *p, uint32_t v)
{
#if MLC_DSP
    memcpy(p, &v, 4);
#else
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
#endif
}

/** Two words to a 4-aligned address (STRD). */
static inline void mlc_dsp_st2x32a(void *p, uint32_t lo, uint32_t hi)
{
#if MLC_DSP && defined(__GNUC__)
    uint32_t v[2];
    v[0] = lo;
    v[1] = hi;
    memcpy(__builtin_assume_aligned(p, 4), v, 8);
#else
    mlc_dsp_st32(p, lo);
    mlc_dsp_st32((uint8_t *)p + 4, hi);
#endif
}

static inline void mlc_dsp_st16(void *p, uint32_t v)
{
#if MLC_DSP
    uint16_t h = (uint16_t)v;
    memcpy(p, &h, 2);
#else
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
#endif
}

/* ------------------------------------------------------------------------------------ portable lanes */

/** Signed value of the low 16 bits / of byte 0 (no implementation-defined conversions). */
static inline int32_t mlc_dsp_s16(uint32_t v)
{
    return (int32_t)((v & 0xFFFFu) ^ 0x8000u) - 0x8000;
}
static inline int32_t mlc_dsp_s8(uint32_t v)
{
    return (int32_t)((v & 0xFFu) ^ 0x80u) - 0x80;
}
static inline uint32_t mlc_dsp_pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | (((uint32_t)hi & 0xFFFFu) << 16);
}
#if !MLC_DSP
/** a + b as int32 with the wrap-around of the hardware (no signed overflow in C). */
static inline int32_t mlc_dsp_wrap_add(int32_t a, int32_t b)
{
    uint32_t s = (uint32_t)a + (uint32_t)b;
    return s <= 0x7FFFFFFFu ? (int32_t)s : -(int32_t)(0xFFFFFFFFu - s) - 1;
}
#endif

/* ---------------------------------------------------------------------------------------- widening */

/** SXTB16: bytes 0 and 2 sign-extended into the lo and hi lanes. */
static inline uint32_t mlc_dsp_sxtb16(uint32_t v)
{
#if MLC_DSP
    return __sxtb16(v);
#else
    return mlc_dsp_pack16(mlc_dsp_s8(v), mlc_dsp_s8(v >> 16));
#endif
}

/** SXTB16 of v rotated right by 8: bytes 1 and 3. */
static inline uint32_t mlc_dsp_sxtb16_odd(uint32_t v)
{
#if MLC_DSP
    uint32_t r; /* asm: GCC 12 emits a separate ROR for __sxtb16 of a rotated value */
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
#else
    return mlc_dsp_pack16(mlc_dsp_s8(v >> 8), mlc_dsp_s8(v >> 24));
#endif
}

/** SXTAB16: a's lanes plus bytes 0 and 2 of v (mod 2^16); a = -zero_point in both lanes widens x - zp. */
static inline uint32_t mlc_dsp_sxtab16(uint32_t a, uint32_t v)
{
#if MLC_DSP
    return __sxtab16(a, v);
#else
    return mlc_dsp_pack16(mlc_dsp_s16(a) + mlc_dsp_s8(v), mlc_dsp_s16(a >> 16) + mlc_dsp_s8(v >> 16));
#endif
}

/** SXTAB16 with v rotated right by 8: a's lanes plus bytes 1 and 3. */
static inline uint32_t mlc_dsp_sxtab16_odd(uint32_t a, uint32_t v)
{
#if MLC_DSP
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
    return r;
#else
    return mlc_dsp_pack16(mlc_dsp_s16(a) + mlc_dsp_s8(v >> 8), mlc_dsp_s16(a >> 16) + mlc_dsp_s8(v >> 24));
#endif
}

/* ------------------------------------------------------------------------------------------ packing */

/** PKHBT a, b: (a.lo, b.hi). */
static inline uint32_t mlc_dsp_pkhbt(uint32_t a, uint32_t b)
{
#if MLC_DSP
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return (a & 0xFFFFu) | (b & 0xFFFF0000u);
#endif
}

/** Both int16 lanes doubled, for lanes of at most 15 significant bits (e.g. widened int8): SADD16 of v and
    itself, or the masked shift, which carries nothing across. */
static inline uint32_t mlc_dsp_dbl16(uint32_t v)
{
#if MLC_DSP
    return (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
#else
    return (v & 0x7FFF7FFFu) << 1;
#endif
}

/** PKHBT a, b, LSL #16: (a.lo, b.lo). */
static inline uint32_t mlc_dsp_pkhbt16(uint32_t a, uint32_t b)
{
#if MLC_DSP
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return (a & 0xFFFFu) | (b << 16);
#endif
}

/** PKHTB a, b, ASR #16: (b.hi, a.hi). */
static inline uint32_t mlc_dsp_pkhtb16(uint32_t a, uint32_t b)
{
#if MLC_DSP
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return (a & 0xFFFF0000u) | (b >> 16);
#endif
}

/** PKHBT v, v, LSL #8: halfwords (bytes 0,1) and (bytes 1,2) of v. */
static inline uint32_t mlc_dsp_pkhbt_v8(uint32_t v)
{
#if MLC_DSP
    uint32_t r;
    __asm__("pkhbt %0, %1, %1, lsl #8" : "=r"(r) : "r"(v));
    return r;
#else
    return (v & 0xFFFFu) | ((v << 8) & 0xFFFF0000u);
#endif
}

/* ---------------------------------------------------------------------------------- multiply-adds */

/** SMLAD: acc + a.lo * b.lo + a.hi * b.hi. */
static inline int32_t mlc_dsp_smlad(uint32_t a, uint32_t b, int32_t acc)
{
#if MLC_DSP
    return __smlad(a, b, acc);
#else
    return mlc_dsp_wrap_add(acc, mlc_dsp_s16(a) * mlc_dsp_s16(b) + mlc_dsp_s16(a >> 16) * mlc_dsp_s16(b >> 16));
#endif
}

/** SMLADX: acc + a.lo * b.hi + a.hi * b.lo. */
static inline int32_t mlc_dsp_smladx(uint32_t a, uint32_t b, int32_t acc)
{
#if MLC_DSP
    return __smladx(a, b, acc);
#else
    return mlc_dsp_wrap_add(acc, mlc_dsp_s16(a) * mlc_dsp_s16(b >> 16) + mlc_dsp_s16(a >> 16) * mlc_dsp_s16(b));
#endif
}

/** SMLABB: acc + a.lo * b.lo. */
static inline int32_t mlc_dsp_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
#if MLC_DSP
    return __smlabb(a, b, acc);
#else
    return mlc_dsp_wrap_add(acc, mlc_dsp_s16(a) * mlc_dsp_s16(b));
#endif
}

/** SMLABT: acc + a.lo * b.hi. */
static inline int32_t mlc_dsp_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
#if MLC_DSP
    return __smlabt(a, b, acc);
#else
    return mlc_dsp_wrap_add(acc, mlc_dsp_s16(a) * mlc_dsp_s16(b >> 16));
#endif
}

/** SMLATT: acc + a.hi * b.hi. */
static inline int32_t mlc_dsp_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
#if MLC_DSP
    return __smlatt(a, b, acc);
#else
    return mlc_dsp_wrap_add(acc, mlc_dsp_s16(a >> 16) * mlc_dsp_s16(b >> 16));
#endif
}

/** SMMLAR: c + round(a * b / 2^32), the rounding adds 2^31 (callers keep the sum inside int32). */
static inline int32_t mlc_dsp_smmlar(int32_t a, int32_t b, int32_t c)
{
#if MLC_DSP
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#else
    const int64_t t = (int64_t)a * (int64_t)b + ((int64_t)1 << 31);
    /* floor(t / 2^32) without relying on >> of a negative value */
    const int64_t q = t >= 0 ? t / ((int64_t)1 << 32) : -((-t + ((int64_t)1 << 32) - 1) / ((int64_t)1 << 32));
    return c + (int32_t)q;
#endif
}

/* ------------------------------------------------------------------------------------- saturation */

/** SSAT #8: v clamped to [-128, 127]. */
static inline int32_t mlc_dsp_ssat8(int32_t v)
{
#if MLC_DSP
    return __ssat(v, 8);
#else
    return v < -128 ? -128 : v > 127 ? 127 : v;
#endif
}

/** Four int8 lanes clamped to [lo, hi] (lo4 / hi4: the bound in every byte): SSUB8 sets the GE flags
    per byte, SEL picks; four instructions for four outputs. */
static inline uint32_t mlc_dsp_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4)
{
#if MLC_DSP
    (void)__ssub8((int8x4_t)v, (int8x4_t)lo4);
    v = __sel((uint8x4_t)v, (uint8x4_t)lo4);
    (void)__ssub8((int8x4_t)hi4, (int8x4_t)v);
    return __sel((uint8x4_t)v, (uint8x4_t)hi4);
#else
    uint32_t r = 0;
    int k;
    for (k = 0; k < 32; k += 8) {
        int32_t b = mlc_dsp_s8(v >> k);
        const int32_t lo = mlc_dsp_s8(lo4 >> k), hi = mlc_dsp_s8(hi4 >> k);
        if (b < lo) b = lo;
        if (b > hi) b = hi;
        r |= ((uint32_t)b & 0xFFu) << k;
    }
    return r;
#endif
}

/** v (-128..127) in every byte. */
static inline uint32_t mlc_dsp_dup4(int32_t v)
{
    return ((uint32_t)v & 0xFFu) * 0x01010101u;
}

/** v (-32768..32767) in both halfword lanes. */
static inline uint32_t mlc_dsp_dup2(int32_t v)
{
    return ((uint32_t)v & 0xFFFFu) * 0x00010001u;
}

/* ------------------------------------------------------------------------------------ requantization */

/**
 * mlc_requant_s8 of requant.h before its [lo, hi] clamp, prepared per output channel: about seven
 * instructions instead of about sixty for the general function. Exact, because:
 *  - with |acc| * 2^left < 2^30 (checked from a bound of |acc|), x1 = acc * 2^left needs no saturation
 *    and a2 = 2 * x1 fits int32;
 *  - requant.h's srdhm(x1, m) = floor((x1 m + 2^30) / 2^31) = floor((a2 m + 2^31) / 2^32), which is
 *    SMMLAR's rounding; it also gives |x2| < 2^30;
 *  - rdbpot(x2, r) for r > 0 = floor((x2 + 2^(r-1) - [x2 < 0]) / 2^r), and [x2 < 0] may be replaced by
 *    [acc < 0] (they differ only when x2 = 0, where both give 0); adding zero_point * 2^r before the
 *    shift adds zero_point after it. SMMLAR adds 2^(r-1) + zero_point * 2^r (|.| <= 2^30, so no overflow);
 *  - requant.h's clamp of r to +-256 changes nothing once [lo, hi] lies inside int8.
 * When the bound does not hold (huge bias or left shift), fast = 0 and the caller uses mlc_requant_s8.
 */
typedef struct {
    int32_t bias; /* the accumulator's start (the channel's bias or 0), kept here for the kernels' loops */
    int32_t mult;
    int32_t add;  /* 2^(right-1) + zero_point * 2^right */
    uint8_t rsh;  /* right (the word's low byte: an ASR by the word shifts by it) */
    uint8_t lsh;  /* left + 1 */
    uint8_t neg;  /* 1 when right > 0: ties away from zero need -1 for a negative accumulator */
    uint8_t fast; /* the form above is exact for every accumulator of this channel */
} mlc_dsp_rq_t;

/** Prepare (mult, shift) with output zero point zp (0 for an int32 result) for accumulators |acc| <= bound. */
static inline void mlc_dsp_rq_prepare_bound(mlc_dsp_rq_t *q, int32_t mult, int32_t shift, int32_t zp, int64_t bound)
{
    const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    const int64_t add = (right > 0 ? ((int64_t)1 << (right - 1)) : 0) + (int64_t)zp * ((int64_t)1 << right);
    q->bias = 0;
    q->mult = mult;
    q->lsh = (uint8_t)(left + 1);
    q->rsh = (uint8_t)right;
    q->neg = (uint8_t)(right > 0);
    q->fast = (uint8_t)(left <= 29 && bound >= 0 && bound < ((int64_t)1 << 31) &&
                        (bound << left) < ((int64_t)1 << 30) && add >= -((int64_t)1 << 30) &&
                        add <= ((int64_t)1 << 30));
    q->add = q->fast ? (int32_t)add : 0;
}

/** The prepared form's add term for a right shift of `right` (1..22) and zero point zp: 2^(right-1) + zp 2^right. */
static inline int32_t mlc_dsp_rq_add_right(int32_t right, int32_t zp)
{
    return ((int32_t)1 << (right - 1)) + zp * ((int32_t)1 << right);
}

/** The same for a right shift of 0..22 (0: zp). */
static inline int32_t mlc_dsp_rq_add(int32_t right, int32_t zp)
{
    return right > 0 ? mlc_dsp_rq_add_right(right, zp) : zp;
}

/**
 * Prepare channel (mult, shift) with output zero point zp, for accumulators bias + taps products
 * (|x - x_zp| <= 255, |w| <= 128). The same decisions as mlc_dsp_rq_prepare_bound in 32-bit arithmetic,
 * since the fully connected kernel prepares every output channel on every call.
 */
static inline void mlc_dsp_rq_prepare(mlc_dsp_rq_t *q, int32_t mult, int32_t shift, int32_t zp, int32_t bias,
                                      int32_t taps)
{
    const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    const uint32_t abs_bias = bias < 0 ? 0u - (uint32_t)bias : (uint32_t)bias;
    if (taps < 0 || taps > MLC_S8_MAX_TAPS_DSP || right > 22) { /* rare: the general form */
        mlc_dsp_rq_prepare_bound(q, mult, shift, zp, (int64_t)abs_bias + (int64_t)(taps > 0 ? taps : 0) * 32640);
    } else {
        /* bound < 2^32: 65535 * 32640 + 2^31; right <= 22 keeps 2^(right-1) + zp * 2^right inside +-2^30 */
        const uint32_t bound = abs_bias + (uint32_t)taps * 32640u;
        q->mult = mult;
        q->lsh = (uint8_t)(left + 1);
        q->rsh = (uint8_t)right;
        q->neg = (uint8_t)(right > 0);
        q->fast = (uint8_t)(left <= 29 && bound <= (0x3FFFFFFFu >> left));
        q->add = q->fast ? mlc_dsp_rq_add(right, zp) : 0;
    }
    q->bias = bias;
}

/** requant.h's mlc_requant (an int32, no zero point, no clamp) of acc; needs q->fast with zp = 0. */
static inline int32_t mlc_dsp_rq_raw(int32_t acc, const mlc_dsp_rq_t *q)
{
    const int32_t a2 = (int32_t)((uint32_t)acc << q->lsh);
    const int32_t t = mlc_dsp_smmlar(a2, q->mult, q->add) - ((int32_t)q->neg & (acc >> 31));
    return t >> q->rsh;
}

/** zero_point + requantized acc, saturated to int8 (the activation clamp follows); needs q->fast. */
static inline int32_t mlc_dsp_rq(int32_t acc, const mlc_dsp_rq_t *q)
{
    const int32_t a2 = (int32_t)((uint32_t)acc << q->lsh);
    int32_t t = mlc_dsp_smmlar(a2, q->mult, q->add);
    t -= (int32_t)q->neg & (acc >> 31);
    return mlc_dsp_ssat8(t >> q->rsh);
}

/**
 * mlc_dsp_rq for a channel with right > 0 (neg = 1, the usual case), its fields in registers: the tie
 * term -[acc < 0] is acc >> 31, which Thumb-2 adds with the shifted operand of one ADD.
 */
static inline int32_t mlc_dsp_rq_right(int32_t acc, uint32_t lsh, int32_t mult, int32_t add, uint32_t rsh)
{
    const int32_t t = mlc_dsp_smmlar((int32_t)((uint32_t)acc << lsh), mult, add) + (acc >> 31);
    return mlc_dsp_ssat8(t >> rsh);
}

/** requant.h's function for a channel whose bound rules out the prepared form (shift from lsh and rsh). */
MLC_DSP_COLD static int32_t mlc_dsp_rq_slow(int32_t acc, const mlc_dsp_rq_t *q, int32_t zp, int32_t lo, int32_t hi)
{
    return mlc_requant_s8(acc, q->mult, (int32_t)q->lsh - 1 - (int32_t)q->rsh, zp, lo, hi);
}

#if defined(__GNUC__)
#define MLC_DSP_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define MLC_DSP_LIKELY(x) (x)
#endif

/** One output, saturated to int8 (the slow path's value is already clamped to [lo, hi]). */
static inline int32_t mlc_dsp_rq1(int32_t acc, const mlc_dsp_rq_t *q, int32_t zp, int32_t lo, int32_t hi)
{
    return MLC_DSP_LIKELY(q->fast) ? mlc_dsp_rq(acc, q) : mlc_dsp_rq_slow(acc, q, zp, lo, hi);
}

/**
 * Two outputs of one channel as bytes 0 and 1 (bytes 2, 3: garbage), clamped by the caller with
 * mlc_dsp_clamp4 (a no-op on the slow path's values).
 */
static inline uint32_t mlc_dsp_rq2(int32_t a0, int32_t a1, const mlc_dsp_rq_t *q, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t r0, r1;
    if (MLC_DSP_LIKELY(q->fast)) {
        r0 = mlc_dsp_rq(a0, q);
        r1 = mlc_dsp_rq(a1, q);
    } else {
        r0 = mlc_dsp_rq_slow(a0, q, zp, lo, hi);
        r1 = mlc_dsp_rq_slow(a1, q, zp, lo, hi);
    }
    return ((uint32_t)r0 & 0xFFu) | ((uint32_t)r1 << 8);
}

/**
 * requant.h's mlc_requant_s8 before the [lo, hi] clamp straight from (mult, shift), with no preparation:
 * for shift in [-22, 0] and |acc| < 2^30 (checked on the accumulator itself) the prepared form is exact
 * with add = 2^(right-1) + zp * 2^right = ((2 zp + 1) * 2^right) >> 1 (zp2 = 2 zp + 1; zp for right = 0)
 * and the tie adjustment -[acc < 0] when right > 0, i.e. +((acc & shift) >> 31); anything else goes
 * through requant.h (mlc_dsp_rq_direct); mlc_dsp_rq_direct_exact is the first branch alone, for callers that
 * have established its conditions once for many accumulators.
 */
static MLC_DSP_ALWAYS_INLINE int32_t mlc_dsp_rq_direct_exact(int32_t acc, int32_t mult, int32_t shift, uint32_t zp2)
{
    const int32_t t = mlc_dsp_smmlar((int32_t)((uint32_t)acc << 1), mult, (int32_t)(zp2 << -shift) >> 1) +
                      ((acc & shift) >> 31);
    return mlc_dsp_ssat8(t >> -shift);
}

/** mlc_dsp_rq_direct_exact where its conditions hold (tested here), requant.h elsewhere. */
static MLC_DSP_ALWAYS_INLINE int32_t mlc_dsp_rq_direct(int32_t acc, int32_t mult, int32_t shift, uint32_t zp2,
                                                       int32_t zp)
{
    if (MLC_DSP_LIKELY((uint32_t)(shift + 22) <= 22u && (uint32_t)acc + 0x3FFFFFFFu <= 0x7FFFFFFEu)) {
        return mlc_dsp_rq_direct_exact(acc, mult, shift, zp2);
    }
    return mlc_requant_s8(acc, mult, shift, zp, -128, 127);
}

/**
 * 1 when every one of n channels' packed (mult, shift) (requant.h's qmult) has mult >= 0 (valid), shift in
 * [-15, 0] and |bias| < 2^29 (bias may be NULL): then an accumulator of bias plus less than 2^29 in products
 * meets mlc_dsp_rq_direct_exact's conditions, and the channel loop needs no test. One pass of OR / AND:
 * mult >= 0 is bit 31 clear; shift - 1 in [-16, -1] is the low byte of qm - 1 with bits 4..7 set (a borrow
 * out of the low byte only happens for shift 0); |b| < 2^29 (b ^ (b >> 31), one's complement) is bits
 * 29..31 clear.
 */
static inline int mlc_dsp_rows_uniform(const int32_t *bias, const int32_t *qmult, int32_t n)
{
    const int has_bias = bias != NULL;
    uint32_t mor = 0, bor = 0, sand = 0xFFFFFFFFu; /* AND of qm - 1 */
    int32_t j = 0;
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    if (n >= 4) { /* four channels a step, by two LDRDs each for qmult and bias (an LDM's register list must
                     ascend, which GCC's allocation does not promise) */
        const int32_t *mp = qmult, *bp = bias, *const mend = qmult + (n & ~3);
        uint32_t a, b, c, d;
        j = n & ~3;
#define MLC_DSP_RU_MS                                                                                             \
    "ldrd   %[a], %[b], [%[mp]], #8\n\t"                                                                         \
    "ldrd   %[c], %[d], [%[mp]], #8\n\t"                                                                         \
    "orr    %[mor], %[mor], %[a]\n\torr    %[mor], %[mor], %[b]\n\t"                                              \
    "orr    %[mor], %[mor], %[c]\n\torr    %[mor], %[mor], %[d]\n\t"                                              \
    "sub    %[a], %[a], #1\n\tand    %[sand], %[sand], %[a]\n\t"                                                \
    "sub    %[b], %[b], #1\n\tand    %[sand], %[sand], %[b]\n\t"                                                \
    "sub    %[c], %[c], #1\n\tand    %[sand], %[sand], %[c]\n\t"                                                \
    "sub    %[d], %[d], #1\n\tand    %[sand], %[sand], %[d]\n\t"
#define MLC_DSP_RU_B                                                                                              \
    "ldrd   %[a], %[b], [%[bp]], #8\n\t"                                                                         \
    "ldrd   %[c], %[d], [%[bp]], #8\n\t"                                                                         \
    "eor    %[a], %[a], %[a], asr #31\n\torr    %[bor], %[bor], %[a]\n\t"                                         \
    "eor    %[b], %[b], %[b], asr #31\n\torr    %[bor], %[bor], %[b]\n\t"                                         \
    "eor    %[c], %[c], %[c], asr #31\n\torr    %[bor], %[bor], %[c]\n\t"                                         \
    "eor    %[d], %[d], %[d], asr #31\n\torr    %[bor], %[bor], %[d]\n\t"
#define MLC_DSP_RU_OPERANDS                                                                                       \
    [mp] "+r"(mp), [bp] "+r"(bp), [mor] "+r"(mor), [sand] "+r"(sand), [bor] "+r"(bor), [a] "=&r"(a),              \
        [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d)
        if (has_bias) {
            __asm__("1:\n\t" MLC_DSP_RU_MS MLC_DSP_RU_B "cmp    %[mp], %[end]\n\tbne    1b"
                    : MLC_DSP_RU_OPERANDS
                    : [end] "r"(mend)
                    : "cc", "memory");
        } else {
            __asm__("1:\n\t" MLC_DSP_RU_MS "cmp    %[mp], %[end]\n\tbne    1b"
                    : MLC_DSP_RU_OPERANDS
                    : [end] "r"(mend)
                    : "cc", "memory");
        }
#undef MLC_DSP_RU_MS
#undef MLC_DSP_RU_B
#undef MLC_DSP_RU_OPERANDS
    }
#endif
    for (; j < n; ++j) {
        mor |= (uint32_t)qmult[j];
        sand &= (uint32_t)qmult[j] - 1u;
        if (has_bias) bor |= (uint32_t)(bias[j] ^ (bias[j] >> 31));
    }
    return (mor >> 31) == 0 && (sand & 0xF0u) == 0xF0u && bor < (1u << 29);
}

/** Bytes 0..3 of four int8 values: three BFIs (GCC builds it from masks and shifts, 8 instructions). */
static MLC_DSP_ALWAYS_INLINE uint32_t mlc_dsp_pack4(int32_t r0, int32_t r1, int32_t r2, int32_t r3)
{
#if MLC_DSP
    uint32_t v = (uint32_t)r0;
    __asm__("bfi %0, %1, #8, #8" : "+r"(v) : "r"(r1));
    __asm__("bfi %0, %1, #16, #8" : "+r"(v) : "r"(r2));
    __asm__("bfi %0, %1, #24, #8" : "+r"(v) : "r"(r3));
    return v;
#else
    return ((uint32_t)r0 & 0xFFu) | (((uint32_t)r1 & 0xFFu) << 8) | (((uint32_t)r2 & 0xFFu) << 16) |
           ((uint32_t)r3 << 24);
#endif
}

/** Bytes 0 and 1 of two int8 values (bytes 2, 3: garbage). */
static inline uint32_t mlc_dsp_bytes2(int32_t b0, int32_t b1)
{
    return ((uint32_t)b0 & 0xFFu) | ((uint32_t)b1 << 8);
}

/* Hides v's value from the optimiser (no instruction): in a copy loop's body it keeps GCC from turning the
   loop into a call to memcpy, which costs some 40 instructions on a few bytes (newlib, measured on the
   Cortex-M4). */
#if defined(__GNUC__)
#define MLC_DSP_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define MLC_DSP_OPAQUE(v) ((void)0)
#endif

/**
 * A 4x4 byte block transposed in registers: rows a..d (words va..vd) become the words t[k] = byte k of a, b,
 * c, d. Interleaving byte pairs, then halfword pairs: 16 ALU instructions for 16 bytes (a byte at a time:
 * 32 and more).
 */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_transpose4_words(uint32_t va, uint32_t vb, uint32_t vc, uint32_t vd,
                                                           uint32_t t[4])
{
    const uint32_t ab02 = (va & 0x00FF00FFu) | ((vb & 0x00FF00FFu) << 8); /* a0 b0 a2 b2 */
    const uint32_t ab13 = ((va >> 8) & 0x00FF00FFu) | (vb & 0xFF00FF00u);  /* a1 b1 a3 b3 */
    const uint32_t cd02 = (vc & 0x00FF00FFu) | ((vd & 0x00FF00FFu) << 8);
    const uint32_t cd13 = ((vc >> 8) & 0x00FF00FFu) | (vd & 0xFF00FF00u);
    t[0] = mlc_dsp_pkhbt16(ab02, cd02);
    t[1] = mlc_dsp_pkhbt16(ab13, cd13);
    t[2] = mlc_dsp_pkhtb16(cd02, ab02);
    t[3] = mlc_dsp_pkhtb16(cd13, ab13);
}

/**
 * A 4x4 byte block transposed through memory: the words at s, s + in_step, s + 2 in_step, s + 3 in_step
 * become the words at o, o + out_step, ...: 4 loads, 16 ALU instructions and 4 stores for 16 bytes.
 */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_transpose4(const int8_t *s, int32_t in_step, int8_t *o, int32_t out_step)
{
    uint32_t t[4];
    mlc_dsp_transpose4_words(mlc_dsp_ld32(s), mlc_dsp_ld32(s + in_step), mlc_dsp_ld32(s + 2 * in_step),
                             mlc_dsp_ld32(s + 3 * in_step), t);
    mlc_dsp_st32(o, t[0]);
    mlc_dsp_st32(o + out_step, t[1]);
    mlc_dsp_st32(o + 2 * out_step, t[2]);
    mlc_dsp_st32(o + 3 * out_step, t[3]);
}

/** The word v4 stored over bytes [i0, i1) of d, from i0 on, up to 3 bytes past i1 (inline, no memset). */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_fill_words(int8_t *d, int32_t i0, int32_t i1, uint32_t v4)
{
    int32_t i;
    for (i = i0; i < i1; i += 4) {
        mlc_dsp_st32(d + i, v4);
        MLC_DSP_OPAQUE(i);
    }
}

/** Copy n <= 8 bytes exactly by two overlapping words (n >= 4), halfwords (n >= 2) or a byte: no loop. */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_copy8(int8_t *d, const int8_t *s, int32_t n)
{
    if (n >= 4) {
        const uint32_t a = mlc_dsp_ld32(s), b = mlc_dsp_ld32(s + n - 4);
        mlc_dsp_st32(d, a);
        mlc_dsp_st32(d + n - 4, b);
    } else if (n >= 2) {
        const uint32_t a = mlc_dsp_ld16(s), b = mlc_dsp_ld16(s + n - 2);
        mlc_dsp_st16(d, a);
        mlc_dsp_st16(d + n - 2, b);
    } else if (n == 1) {
        *d = *s;
    }
}

/** The word v4 over the n4 (a multiple of 4) words at d (aligned): two STRDs a step. */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_fill4(uint32_t *d, int32_t n4, uint32_t v4)
{
    uint32_t *const end = d + n4;
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    if (d < end) {
        __asm__ volatile("1:\n\t"
                         "strd   %[v], %[v], [%[d]], #8\n\t"
                         "strd   %[v], %[v], [%[d]], #8\n\t"
                         "cmp    %[d], %[end]\n\t"
                         "bne    1b"
                         : [d] "+r"(d)
                         : [v] "r"(v4), [end] "r"(end)
                         : "cc", "memory");
    }
#else
    for (; d < end; ++d) *d = v4;
#endif
}

/** Copy n bytes (short: a line of a few to a few hundred) by pairs of words, then a word, a halfword and a
    byte as n needs them, inline. */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_copy(int8_t *d, const int8_t *s, int32_t n)
{
    const int8_t *const end = s + (n & ~7);
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    if (s < end) { /* post-indexed: 6 instructions per 8 bytes (GCC: 8) */
        uint32_t a, b;
        __asm__ volatile("1:\n\t"
                         "ldr    %[a], [%[s]], #4\n\t"
                         "ldr    %[b], [%[s]], #4\n\t"
                         "str    %[a], [%[d]], #4\n\t"
                         "str    %[b], [%[d]], #4\n\t"
                         "cmp    %[s], %[end]\n\t"
                         "bne    1b"
                         : [s] "+r"(s), [d] "+r"(d), [a] "=&r"(a), [b] "=&r"(b)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
#else
    while (s < end) {
        const uint32_t a = mlc_dsp_ld32(s), b = mlc_dsp_ld32(s + 4);
        mlc_dsp_st32(d, a);
        mlc_dsp_st32(d + 4, b);
        s += 8;
        d += 8;
        MLC_DSP_OPAQUE(s);
    }
#endif
    if ((n & 4) != 0) {
        mlc_dsp_st32(d, mlc_dsp_ld32(s));
        s += 4;
        d += 4;
    }
    if ((n & 2) != 0) {
        mlc_dsp_st16(d, mlc_dsp_ld16(s));
        s += 2;
        d += 2;
    }
    if ((n & 1) != 0) *d = *s;
}

/** mlc_dsp_copy from a word-aligned source: 16 bytes by two LDRDs and four STRs (8 instructions, 12 by
    mlc_dsp_copy), the last n % 16 bytes by mlc_dsp_copy. */
static MLC_DSP_ALWAYS_INLINE void mlc_dsp_copy_src4(int8_t *d, const int8_t *s, int32_t n)
{
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    const int8_t *const end16 = s + (n & ~15);
    if (s < end16) {
        uint32_t a, b, c, e;
        __asm__ volatile("1:\n\t"
                         "ldrd   %[a], %[b], [%[s]], #8\n\t"
                         "ldrd   %[c], %[e], [%[s]], #8\n\t"
                         "str    %[a], [%[d]], #4\n\t"
                         "str    %[b], [%[d]], #4\n\t"
                         "str    %[c], [%[d]], #4\n\t"
                         "str    %[e], [%[d]], #4\n\t"
                         "cmp    %[s], %[end]\n\t"
                         "bne    1b"
                         : [s] "+r"(s), [d] "+r"(d), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e)
                         : [end] "r"(end16)
                         : "cc", "memory");
    }
    n &= 15;
#endif
    mlc_dsp_copy(d, s, n);
}

/* ------------------------------------------------------------------------------------------ windows */


/* Window ranges: mlc_window_range of the reference kernels' index_util.h (one definition). */
#define mlc_dsp_window mlc_window_range

#endif /* MLC_KERNELS_DSP_UTIL_H */
