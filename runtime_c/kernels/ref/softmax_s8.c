/**
 * @file softmax_s8.c
 * @brief Integer-only int8 softmax over the middle axis of [outer][axis][inner] with a factored exp table
 *        (2 x 16 Q24 factors); output scale 1/256, zero point -128.
 */
#include "mlc/kernels_s8.h"

/* exp(-beta x_scale d) in Q16, d = 16 j + i in [0, 255]: the product of its two Q24 table factors, rounded
   (the high word of a 32 x 32 -> 64-bit multiply). Q16 keeps a row's sum and the divisions in 32 bits. */
static uint32_t softmax_exp(const int32_t *exp_table, int32_t d)
{
    return (uint32_t)(((uint64_t)(uint32_t)exp_table[d >> 4] * (uint32_t)exp_table[16 + (d & 15)] + 0x80000000u) >>
                      32);
}

int mlc_softmax_s8(const mlc_softmax_s8_params_t *p, const int8_t *x, const int32_t *exp_table, int8_t *y)
{
    int32_t o, a, i, d;
    if (p->outer < 0 || p->axis < 0 || p->axis > MLC_SOFTMAX_S8_MAX_AXIS || p->inner < 0) return MLC_EINVAL;
    for (d = 0; d < 32; ++d) {
        if (exp_table[d] < 0 || exp_table[d] > (1 << 24)) return MLC_EINVAL;
    }
    if (softmax_exp(exp_table, 0) == 0) return MLC_EINVAL; /* every row's sum is at least exp(0) */
    for (o = 0; o < p->outer; ++o) {
        const int8_t *xo = x + o * p->axis * p->inner;
        int8_t *yo = y + o * p->axis * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t mx = -128;
            uint32_t sum = 0, half; /* at most 65535 * 2^16 */
            for (a = 0; a < p->axis; ++a) {
                if (xo[a * p->inner + i] > mx) mx = xo[a * p->inner + i];
            }
            for (a = 0; a < p->axis; ++a) sum += softmax_exp(exp_table, mx - xo[a * p->inner + i]);
            half = sum / 2;
            for (a = 0; a < p->axis; ++a) {
                const uint32_t num = softmax_exp(exp_table, mx - xo[a * p->inner + i]) * 256 + half; /* < 2^32 */
                int32_t q = (int32_t)(num / sum) - 128;
                if (q > 127) q = 127;
                yo[a * p->inner + i] = (int8_t)q;
            }
        }
    }
    return MLC_OK;
}
