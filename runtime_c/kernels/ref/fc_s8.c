/**
 * @file fc_s8.c
 * @brief Int8 fully connected layer: y[m][n] from x[m][k] and w[n][k], per-channel requantization.
 */
#include <stddef.h>

#include "fc_s8_check.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *mult, const int32_t *shift, int8_t *y)
{
    int32_t i, j, k;
    const int32_t xzp = p->x_zero_point;
    if (!mlc_fc_s8_params_ok(p, mult, shift)) return MLC_EINVAL;
    for (i = 0; i < p->m; ++i) {
        const int8_t *xr = x + i * p->k;
        for (j = 0; j < p->n; ++j) {
            const int8_t *wr = w + j * p->k;
            int32_t acc = bias != NULL ? bias[j] : 0;
            for (k = 0; k < p->k; ++k) acc += ((int32_t)xr[k] - xzp) * (int32_t)wr[k];
            y[i * p->n + j] = mlc_requant_s8(acc, mult[j], shift[j], p->y_zero_point, p->act_min, p->act_max);
        }
    }
    return MLC_OK;
}
