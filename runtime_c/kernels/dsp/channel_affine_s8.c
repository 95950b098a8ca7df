/**
 * @file channel_affine_s8.c
 * @brief Int8 per-channel affine (BatchNormalization that was not folded) for cores with the DSP
 *        extension (Cortex-M4/M7/M33); byte-identical to runtime_c/kernels/ref/channel_affine_s8.c.
 *
 * Each channel's requantization is prepared once into dsp_util.h's exact form, for the accumulator bound
 * max|x - x_zp| * |w| + |bias|; a channel where the form is not exact (huge bias or left shift) uses
 * requant.h's mlc_requant_s8 as the reference does. Per element: MLA (x * w + bias - x_zp * w), then
 * LSL, SMMLAR, the tie adjustment, ASR, SSAT, four outputs clamped and stored per word. For long
 * channels (inner >= CA_TABLE_MIN) the output depends only on the input byte: a 256-byte table per
 * channel (on the stack) costs about 256 requantizations and then one load per element. One element per
 * channel (BatchNormalization after Gemm) skips the preparation: when one OR / AND pass over the channels
 * (dsp_util.h's mlc_dsp_rows_uniform, which is also the parameter check) shows every channel in range, an
 * assembly loop of 19 instructions an element with no test (ca_exact_row); else the form's condition is
 * checked on the accumulator itself (ca_one), with the parameter checks in the same loop when outer is 1.
 */
#include <stddef.h>

#include "dsp_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* Elements per channel from which the per-channel table pays: it costs about 2.6K instructions and saves
   about 8.5 per element (measured on the Cortex-M4 under QEMU: 12 per element direct, 3.5 through it). */
#define CA_TABLE_MIN 320

/* The prepared form for |acc| <= bound (< 2^31): mlc_dsp_rq_prepare_bound's decision in 32-bit arithmetic
   (these run once per channel, and a channel is often a single element); right shifts beyond 22 (rare)
   take the 64-bit function. */
static MLC_DSP_ALWAYS_INLINE void ca_prepare(mlc_dsp_rq_t *q, int32_t mult, int32_t shift, int32_t zp, uint32_t bound)
{
    const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    if (right > 22) {
        mlc_dsp_rq_prepare_bound(q, mult, shift, zp, (int64_t)bound);
        return;
    }
    q->mult = mult;
    q->lsh = (uint8_t)(left + 1);
    q->rsh = (uint8_t)right;
    q->neg = (uint8_t)(right > 0);
    /* |acc| * 2^left < 2^30; right <= 22 keeps |2^(right-1) + zp * 2^right| < 2^30 */
    q->fast = (uint8_t)(left <= 29 && bound <= (0x3FFFFFFFu >> left));
    q->add = q->fast ? mlc_dsp_rq_add(right, zp) : 0;
}

/* requant.h's mlc_requant_s8 before the clamp for acc (needs q fast), parameters in registers. */
static MLC_DSP_ALWAYS_INLINE int32_t ca_rq(int32_t acc, int32_t mult, int32_t add, int32_t neg, int32_t lsh,
                                           int32_t rsh)
{
    const int32_t t = mlc_dsp_smmlar((int32_t)((uint32_t)acc << lsh), mult, add) - (neg & (acc >> 31));
    return mlc_dsp_ssat8(t >> rsh);
}

/* Byte k (0..3) of v as a signed index (SXTB / SBFX / ASR). */
#define CA_BYTE(v, k) ((int32_t)((v) << (24 - 8 * (k))) >> 24)

/* One channel through a 256-byte table of its outputs, tc centred (tc[q] for the input byte q): built in q
   order with acc stepping by w (about 8 instructions per entry), then four lookups per word. */
static void ca_run_table(const int8_t *x, int8_t *y, int32_t n, const mlc_dsp_rq_t *q, int32_t w, int32_t bias,
                         int32_t xzp, int32_t zp, int32_t mult_c, int32_t shift_c, uint32_t lo4, uint32_t hi4)
{
    uint32_t t32[64]; /* word-aligned */
    int8_t *tc = (int8_t *)t32 + 128;
    int32_t i;
#if MLC_DSP
    __asm__("" : "+r"(tc)); /* a base register: GCC otherwise rebuilds each sp-relative address */
#endif
    if (q->fast) {
        const int32_t mult = q->mult, add = q->add, neg = q->neg, rsh = q->rsh, lsh = q->lsh;
        const uint32_t step = (uint32_t)w << lsh;
        uint32_t a2 = (uint32_t)((-128 - xzp) * w + bias) << lsh; /* acc * 2^lsh, exact: q is fast */
        for (i = -128; i < 128; ++i, a2 += step) {
            const int32_t t = mlc_dsp_smmlar((int32_t)a2, mult, add) - (neg & ((int32_t)a2 >> 31));
            tc[i] = (int8_t)mlc_dsp_ssat8(t >> rsh);
        }
        if (lo4 != 0x80808080u || hi4 != 0x7F7F7F7Fu) {
            for (i = 0; i < 64; ++i) t32[i] = mlc_dsp_clamp4(t32[i], lo4, hi4);
        }
    } else {
        const int32_t lo = mlc_dsp_s8(lo4), hi = mlc_dsp_s8(hi4);
        for (i = -128; i < 128; ++i) tc[i] = mlc_requant_s8((i - xzp) * w + bias, mult_c, shift_c, zp, lo, hi);
    }
    for (i = 0; i + 3 < n; i += 4) {
        const uint32_t v = mlc_dsp_ld32(x + i);
        mlc_dsp_st32(y + i, mlc_dsp_pack4(tc[CA_BYTE(v, 0)], tc[CA_BYTE(v, 1)], tc[CA_BYTE(v, 2)], tc[CA_BYTE(v, 3)]));
    }
    for (; i < n; ++i) y[i] = tc[x[i]];
}

/* One channel of n elements on the prepared form: acc = x * w + b0 (b0 = bias - x_zp * w). */
static void ca_run_fast(const int8_t *x, int8_t *y, int32_t n, const mlc_dsp_rq_t *q, int32_t w, int32_t b0,
                        uint32_t lo4, uint32_t hi4)
{
    const int32_t mult = q->mult, add = q->add, neg = q->neg, lsh = q->lsh, rsh = q->rsh;
    int32_t i;
    for (i = 0; i + 3 < n; i += 4) {
        const int32_t r0 = ca_rq((int32_t)x[i] * w + b0, mult, add, neg, lsh, rsh);
        const int32_t r1 = ca_rq((int32_t)x[i + 1] * w + b0, mult, add, neg, lsh, rsh);
        const int32_t r2 = ca_rq((int32_t)x[i + 2] * w + b0, mult, add, neg, lsh, rsh);
        const int32_t r3 = ca_rq((int32_t)x[i + 3] * w + b0, mult, add, neg, lsh, rsh);
        mlc_dsp_st32(y + i, mlc_dsp_clamp4(mlc_dsp_pack4(r0, r1, r2, r3), lo4, hi4));
    }
    for (; i < n; ++i) {
        const int32_t r = ca_rq((int32_t)x[i] * w + b0, mult, add, neg, lsh, rsh);
        y[i] = (int8_t)mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)r, lo4, hi4));
    }
}

/* inner == 1: no per-channel preparation (mlc_dsp_rq_direct), clamped when asked. */
static MLC_DSP_ALWAYS_INLINE int32_t ca_one(int32_t acc, int32_t m, int32_t s, uint32_t zp2, int32_t zp,
                                            uint32_t lo4, uint32_t hi4, int clamp)
{
    const int32_t r = mlc_dsp_rq_direct(acc, m, s, zp2, zp);
    return clamp ? mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)r, lo4, hi4)) : r;
}

/* inner == 1, parameters already checked; has_bias is a compile-time 0 or 1. */
static MLC_DSP_ALWAYS_INLINE void ca_single(int32_t outer, int32_t channels, const int8_t *x, const int8_t *w,
                                            const int32_t *bias, const int32_t *qmult, int32_t xzp, int32_t zp,
                                            uint32_t lo4, uint32_t hi4, int8_t *y, int has_bias)
{
    const uint32_t zp2 = (uint32_t)(2 * zp + 1);
    int32_t o, c;
    for (o = 0; o < outer; ++o, x += channels, y += channels) {
        for (c = 0; c < channels; ++c) {
            const int32_t acc = ((int32_t)x[c] - xzp) * w[c] + (has_bias ? bias[c] : 0);
            y[c] = (int8_t)ca_one(acc, mlc_qm_mult(qmult[c]), mlc_qm_shift(qmult[c]), zp2, zp, lo4, hi4, 1);
        }
    }
}

/* One row of n channels, inner == 1, every channel within mlc_dsp_rows_uniform (|acc| < 2^29 + 255 * 128):
   each element requantized with no test (mlc_dsp_rq_direct_exact; 20 instructions in the assembly loop).
   Not inlined: the loop takes 13 registers. */
MLC_DSP_NOINLINE static void ca_exact_row(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *qmult,
                                          int8_t *y, int32_t n, int32_t xzp, uint32_t zp2)
{
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
    const int8_t *xp = x, *wp = w;
    const int32_t *bp = bias, *mp = qmult;
    int8_t *yp = y;
    int32_t xv, wv, tv, sv, qv;
/* 13 registers: the tie adjustment goes into SMMLAR's addend; q holds the packed word, s its shift */
#define CA_EXACT_ASM(load_b, acc)                                                                                 \
    "1:\n\t"                                                                                                      \
    "ldr    %[q], [%[mp]], #4\n\t"                                                                                \
    "ldrsb  %[x], [%[xp]], #1\n\t"                                                                                \
    "ldrsb  %[w], [%[wp]], #1\n\t" load_b "sxtb   %[s], %[q]\n\t"                                                 \
    "sub    %[x], %[x], %[xzp]\n\t" acc "rsb    %[w], %[s], #0\n\t"                                               \
    "lsl    %[t], %[zp2], %[w]\n\t"                                                                               \
    "and    %[s], %[s], %[x]\n\t"                                                                                 \
    "asr    %[t], %[t], #1\n\t"                                                                                   \
    "add    %[t], %[t], %[s], asr #31\n\t"                                                                        \
    "bic    %[q], %[q], #255\n\t"                                                                                 \
    "lsl    %[x], %[x], #1\n\t"                                                                                   \
    "smmlar %[x], %[x], %[q], %[t]\n\t"                                                                           \
    "asr    %[x], %[x], %[w]\n\t"                                                                                 \
    "ssat   %[x], #8, %[x]\n\t"                                                                                   \
    "strb   %[x], [%[yp]], #1\n\t"                                                                                \
    "cmp    %[yp], %[yend]\n\t"                                                                                   \
    "bne    1b"
#define CA_EXACT_OPERANDS                                                                                         \
    [xp] "+r"(xp), [wp] "+r"(wp), [bp] "+r"(bp), [mp] "+r"(mp), [yp] "+r"(yp), [x] "=&r"(xv), [w] "=&r"(wv),       \
        [t] "=&r"(tv), [s] "=&r"(sv), [q] "=&r"(qv)
    if (n <= 0) return;
    if (bias != NULL) {
        __asm__ volatile(CA_EXACT_ASM("ldr    %[t], [%[bp]], #4\n\t", "mla    %[x], %[x], %[w], %[t]\n\t")
                         : CA_EXACT_OPERANDS
                         : [yend] "r"(y + n), [xzp] "r"(xzp), [zp2] "r"(zp2)
                         : "cc", "memory");
    } else {
        __asm__ volatile(CA_EXACT_ASM("", "mul    %[x], %[x], %[w]\n\t")
                         : CA_EXACT_OPERANDS
                         : [yend] "r"(y + n), [xzp] "r"(xzp), [zp2] "r"(zp2)
                         : "cc", "memory");
    }
#undef CA_EXACT_ASM
#undef CA_EXACT_OPERANDS
#else
    int32_t c;
    for (c = 0; c < n; ++c) {
        const int32_t acc = ((int32_t)x[c] - xzp) * w[c] + (bias != NULL ? bias[c] : 0);
        y[c] = (int8_t)mlc_dsp_rq_direct_exact(acc, mlc_qm_mult(qmult[c]), mlc_qm_shift(qmult[c]), zp2);
    }
#endif
}

/* inner == 1 with every channel within mlc_dsp_rows_uniform: ca_exact_row per row, then the clamp four
   per word when [lo, hi] is narrower than int8. */
static void ca_single_exact(int32_t outer, int32_t channels, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const int32_t *qmult, int32_t xzp, int32_t zp, uint32_t lo4, uint32_t hi4, int8_t *y)
{
    int32_t o, c;
    for (o = 0; o < outer && channels > 0; ++o, x += channels, y += channels) {
        ca_exact_row(x, w, bias, qmult, y, channels, xzp, (uint32_t)(2 * zp + 1));
        if (lo4 != 0x80808080u || hi4 != 0x7F7F7F7Fu) {
            for (c = 0; c + 3 < channels; c += 4) mlc_dsp_st32(y + c, mlc_dsp_clamp4(mlc_dsp_ld32(y + c), lo4, hi4));
            for (; c < channels; ++c) y[c] = (int8_t)mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)y[c], lo4, hi4));
        }
    }
}

/* outer == 1, inner == 1, at most CA_CHECKED_MAX channels: the per-channel parameter checks run inside the
   channel loop (a separate pass costs about 16 instructions per channel), the outputs go to a stack buffer
   and reach y (which may be x) only once every channel has passed, clamped to [lo, hi] four per word on the
   way (a no-op on requant.h's values). mult < 0 is collected in mflag; a shift outside [-31, 30] never
   meets the fast condition, so only the requant.h branch checks it. */
#define CA_CHECKED_MAX 256
static MLC_DSP_ALWAYS_INLINE int ca_single_checked(int32_t channels, const int8_t *x, const int8_t *w,
                                                   const int32_t *bias, const int32_t *qmult, int32_t xzp,
                                                   int32_t zp, uint32_t lo4, uint32_t hi4, int8_t *y, int has_bias)
{
    uint32_t buf[CA_CHECKED_MAX / 4], mflag = 0;
    int8_t *b8 = (int8_t *)buf;
    const uint32_t zp2 = (uint32_t)(2 * zp + 1);
    int32_t c;
    for (c = 0; c < channels; ++c) {
        const int32_t m = mlc_qm_mult(qmult[c]), s = mlc_qm_shift(qmult[c]), b = has_bias ? bias[c] : 0;
        const int32_t acc = ((int32_t)x[c] - xzp) * w[c] + b;
        mflag |= (uint32_t)m;
        if (has_bias && (b > (1 << 30) || b < -(1 << 30))) return MLC_EINVAL;
        if ((uint32_t)(s + 22) > 22u && !mlc_requant_valid(m, s)) return MLC_EINVAL;
        b8[c] = (int8_t)ca_one(acc, m, s, zp2, zp, lo4, hi4, 0);
    }
    if (mflag >> 31) return MLC_EINVAL;
    for (c = 0; c + 3 < channels; c += 4) mlc_dsp_st32(y + c, mlc_dsp_clamp4(buf[c / 4], lo4, hi4));
    for (; c < channels; ++c) y[c] = (int8_t)mlc_dsp_s8(mlc_dsp_clamp4((uint32_t)b8[c], lo4, hi4));
    return MLC_OK;
}

int mlc_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y)
{
    int32_t o, c, i;
    const int32_t channels = p->channels, inner = p->inner, xzp = p->x_zero_point, zp = p->y_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max;
    uint32_t lo4, hi4, xmax;
    /* ref/channel_affine_s8_check.h's checks, written out: inlined from the header they cost this function
       about 5 instructions per channel on the one-element path (GCC's register allocation, measured) */
    if (p->outer < 0 || channels < 0 || inner < 0) return MLC_EINVAL;
    if (!mlc_s8_ok(xzp) || !mlc_s8_ok(zp) || !mlc_s8_range_ok(lo, hi)) return MLC_EINVAL;
    lo4 = mlc_dsp_dup4(lo);
    hi4 = mlc_dsp_dup4(hi);
    if (inner == 1 && mlc_dsp_rows_uniform(bias, qmult, channels)) {
        ca_single_exact(p->outer, channels, x, w, bias, qmult, xzp, zp, lo4, hi4, y);
        return MLC_OK;
    }
    if (inner == 1 && p->outer == 1 && channels <= CA_CHECKED_MAX) { /* BatchNormalization after a Gemm */
        return bias != NULL ? ca_single_checked(channels, x, w, bias, qmult, xzp, zp, lo4, hi4, y, 1)
                            : ca_single_checked(channels, x, w, bias, qmult, xzp, zp, lo4, hi4, y, 0);
    }
    for (c = 0; c < channels; ++c) {
        if (!mlc_qm_valid(qmult[c])) return MLC_EINVAL;
        if (bias != NULL && (bias[c] > (1 << 30) || bias[c] < -(1 << 30))) return MLC_EINVAL;
    }
    if (inner == 1) { /* one element per channel */
        if (bias != NULL) {
            ca_single(p->outer, channels, x, w, bias, qmult, xzp, zp, lo4, hi4, y, 1);
        } else {
            ca_single(p->outer, channels, x, w, bias, qmult, xzp, zp, lo4, hi4, y, 0);
        }
        return MLC_OK;
    }
    xmax = (uint32_t)(xzp >= 0 ? xzp + 128 : 127 - xzp); /* max |x - x_zp| */
    for (o = 0; o < p->outer; ++o) {
        for (c = 0; c < channels; ++c, x += inner, y += inner) {
            const int32_t wc = w[c], bc = bias != NULL ? bias[c] : 0;
            const int32_t mc = mlc_qm_mult(qmult[c]), sc = mlc_qm_shift(qmult[c]);
            mlc_dsp_rq_t q;
            /* |bias| <= 2^30 and xmax * |w| <= 32640: the bound fits uint32 */
            ca_prepare(&q, mc, sc, zp,
                       xmax * (uint32_t)(wc < 0 ? -wc : wc) + (bc < 0 ? 0u - (uint32_t)bc : (uint32_t)bc));
            if (inner >= CA_TABLE_MIN) { /* the channel's output for each input byte */
                ca_run_table(x, y, inner, &q, wc, bc, xzp, zp, mc, sc, lo4, hi4);
            } else if (MLC_DSP_LIKELY(q.fast)) {
                ca_run_fast(x, y, inner, &q, wc, bc - xzp * wc, lo4, hi4);
            } else {
                for (i = 0; i < inner; ++i) {
                    y[i] = mlc_requant_s8(((int32_t)x[i] - xzp) * wc + bc, mc, sc, zp, lo, hi);
                }
            }
        }
    }
    return MLC_OK;
}
