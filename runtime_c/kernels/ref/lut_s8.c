/**
 * @file lut_s8.c
 * @brief Int8 elementwise function by a 256-entry table (Tanh, Sigmoid, ...): y = table[x + 128].
 */
#include "mlc/kernels_s8.h"

int mlc_lut_s8(const mlc_lut_s8_params_t *p, const int8_t *x, const int8_t *table, int8_t *y)
{
    int32_t i;
    if (p->size < 0) return MLC_EINVAL;
    for (i = 0; i < p->size; ++i) y[i] = table[(int32_t)x[i] + 128];
    return MLC_OK;
}
