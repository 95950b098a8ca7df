/**
 * @file fc_s8.c
 * @brief Int8 fully connected layer: y[m][n] from x[m][k] and w[n][k] (either w_layout), per-channel
 *        requantization.
 */
#include "fc_s8_check.h"
#include "fc_s8_direct.h"
#include "mlc/kernels_s8.h"

int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y)
{
    if (!mlc_fc_s8_params_ok(p, qmult)) return MLC_EINVAL;
    mlc_fc_s8_direct(p, x, w, bias, qmult, y);
    return MLC_OK;
}
