/**
 * @file mean_s8.c
 * @brief Int8 mean over the middle axis of [outer][axis][inner] for cores with the DSP extension
 *        (Cortex-M4/M7/M33); byte-identical to runtime_c/kernels/ref/mean_s8.c.
 *
 * GlobalAveragePool (inner = 1) sums contiguous bytes four at a time: x + 128 is x XOR 0x80 read as
 * unsigned, and USADA8 against zero adds four such bytes to the accumulator, so
 * sum(x - zp) = sum(x + 128) - (128 + zp) * axis. The requantization is dsp_util.h's prepared form of
 * mlc_requant_s8 (requant.h's own function where its bound does not hold).
 */
#include "dsp_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/* USADA8 a, 0, acc: acc + the four bytes of a as unsigned. */
static inline uint32_t mean_add4(uint32_t a, uint32_t acc)
{
#if MLC_DSP
    return __usada8(a, 0u, acc);
#else
    return acc + (a & 0xFFu) + ((a >> 8) & 0xFFu) + ((a >> 16) & 0xFFu) + (a >> 24);
#endif
}

int mlc_mean_s8(const mlc_mean_s8_params_t *p, const int8_t *x, int8_t *y)
{
    int32_t o, a, i;
    const int32_t xzp = p->x_zero_point, zp = p->y_zero_point, lo = p->act_min, hi = p->act_max;
    const int32_t axis = p->axis, inner = p->inner;
    uint32_t lo4, hi4;
    mlc_dsp_rq_t rq;
    if (p->outer < 0 || p->axis < 0 || p->inner < 0 || p->axis >= (1 << 23)) return MLC_EINVAL;
    if (!mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max))
        return MLC_EINVAL;
    if (!mlc_requant_valid(p->mult, p->shift)) return MLC_EINVAL;
    mlc_dsp_rq_prepare_bound(&rq, p->mult, p->shift, zp, (int64_t)255 * axis); /* |x - zp| <= 255 */
    lo4 = mlc_dsp_dup4(lo);
    hi4 = mlc_dsp_dup4(hi);
    for (o = 0; o < p->outer; ++o) {
        const int8_t *xo = x + o * axis * inner;
        int8_t *yo = y + o * inner;
        if (inner == 1) {
            const int8_t *end4 = xo + (axis & ~3);
            uint32_t su = 0; /* sum of x + 128 < 255 * 2^23 */
            int32_t acc;
            for (; xo < end4; xo += 4) su = mean_add4(mlc_dsp_ld32(xo) ^ 0x80808080u, su);
            for (a = 0; a < (axis & 3); ++a) su += (uint32_t)((int32_t)xo[a] + 128);
            acc = (int32_t)su - (128 + xzp) * axis;
            *yo = (int8_t)(uint8_t)mlc_dsp_clamp4((uint32_t)mlc_dsp_rq1(acc, &rq, zp, lo, hi), lo4, hi4);
            continue;
        }
        for (i = 0; i < inner; ++i) {
            const int8_t *xi = xo + i;
            int32_t acc = -xzp * axis;
            for (a = 0; a < axis; ++a, xi += inner) acc += *xi;
            yo[i] = (int8_t)(uint8_t)mlc_dsp_clamp4((uint32_t)mlc_dsp_rq1(acc, &rq, zp, lo, hi), lo4, hi4);
        }
    }
    return MLC_OK;
}
