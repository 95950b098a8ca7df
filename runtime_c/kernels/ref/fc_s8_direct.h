/**
 * @file fc_s8_direct.h
 * @brief The reference int8 fully connected loop (parameters already checked) and the weight index of
 *        each w_layout, shared by the reference kernel and by the optimized kernels for the cases their
 *        fast paths leave out.
 */
#ifndef MLC_KERNELS_REF_FC_S8_DIRECT_H
#define MLC_KERNELS_REF_FC_S8_DIRECT_H

#include <stddef.h>

#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/** The byte offset of w[j][t] (row j, input t) in the layout p->w_layout (kernels_s8.h). */
static inline int32_t mlc_fc_s8_w_offset(const mlc_fc_s8_params_t *p, int32_t j, int32_t t)
{
    const int32_t k = p->k, k4 = k & ~3, g = j >> 2, r = j & 3;
    if (p->w_layout != MLC_FC_W_ROWS4 || g >= p->n >> 2) return j * k + t;
    if (t < k4) return 4 * g * k + 4 * t - 3 * (t & 3) + 4 * r; /* 16 (t / 4) + 4 r + t % 4 */
    return 4 * g * k + 4 * k4 + r * (k - k4) + (t - k4);
}

/** kernels_s8.h's mlc_fc_s8 after its checks. The parameters in locals and row j's weights as runs: int8 y
    may alias *p, and GCC (-Os) otherwise reloads them in the inner loop. */
static void mlc_fc_s8_direct(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                             const int32_t *qmult, int8_t *y)
{
    const int32_t m = p->m, n = p->n, k = p->k, xzp = p->x_zero_point, yzp = p->y_zero_point;
    const int32_t lo = p->act_min, hi = p->act_max, k4 = k & ~3;
    const int rows4 = p->w_layout == MLC_FC_W_ROWS4;
    int32_t i, j, t;
    for (i = 0; i < m; ++i) {
        const int8_t *xr = x + i * k;
        for (j = 0; j < n; ++j) {
            int32_t acc = bias != NULL ? bias[j] : 0;
            if (!rows4 || (j >> 2) >= n >> 2) { /* row j contiguous */
                const int8_t *wr = w + mlc_fc_s8_w_offset(p, j, 0);
                for (t = 0; t < k; ++t) acc += ((int32_t)xr[t] - xzp) * (int32_t)wr[t];
            } else { /* four weights every 16 bytes, then the row's k % 4 last ones contiguous */
                const int8_t *wr = w + mlc_fc_s8_w_offset(p, j, 0);
                for (t = 0; t < k4; t += 4, wr += 16) {
                    acc += ((int32_t)xr[t] - xzp) * (int32_t)wr[0] + ((int32_t)xr[t + 1] - xzp) * (int32_t)wr[1] +
                           ((int32_t)xr[t + 2] - xzp) * (int32_t)wr[2] + ((int32_t)xr[t + 3] - xzp) * (int32_t)wr[3];
                }
                wr = w + mlc_fc_s8_w_offset(p, j, k4);
                for (; t < k; ++t, ++wr) acc += ((int32_t)xr[t] - xzp) * (int32_t)wr[0];
            }
            y[i * n + j] = mlc_requant_s8(acc, mlc_qm_mult(qmult[j]), mlc_qm_shift(qmult[j]), yzp, lo, hi);
        }
    }
}

#endif /* MLC_KERNELS_REF_FC_S8_DIRECT_H */
