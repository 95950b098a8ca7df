/**
 * @file softmax_s8.c
 * @brief Integer-only int8 softmax over the middle axis of [outer][axis][inner] with a 256-entry exp
 *        table; output scale 1/256, zero point -128.
 */
#include "mlc/kernels_s8.h"

int mlc_softmax_s8(const mlc_softmax_s8_params_t *p, const int8_t *x, const int32_t *exp_table, int8_t *y)
{
    int32_t o, a, i, d;
    if (p->outer < 0 || p->axis < 0 || p->inner < 0) return MLC_EINVAL;
    for (d = 0; d < 256; ++d) {
        if (exp_table[d] < 0) return MLC_EINVAL;
    }
    if (exp_table[0] <= 0 || exp_table[0] > (1 << 24)) return MLC_EINVAL;
    for (o = 0; o < p->outer; ++o) {
        const int8_t *xo = x + o * p->axis * p->inner;
        int8_t *yo = y + o * p->axis * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t mx = -128;
            int64_t sum = 0, half;
            for (a = 0; a < p->axis; ++a) {
                if (xo[a * p->inner + i] > mx) mx = xo[a * p->inner + i];
            }
            for (a = 0; a < p->axis; ++a) sum += exp_table[mx - xo[a * p->inner + i]];
            half = sum / 2; /* sum >= exp_table[0] > 0 */
            for (a = 0; a < p->axis; ++a) {
                const int64_t num = (int64_t)exp_table[mx - xo[a * p->inner + i]] * 256 + half;
                int32_t q = (int32_t)(num / sum) - 128;
                if (q > 127) q = 127;
                yo[a * p->inner + i] = (int8_t)q;
            }
        }
    }
    return MLC_OK;
}
