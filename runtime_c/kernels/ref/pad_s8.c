/**
 * @file pad_s8.c
 * @brief Pad of int8 values (the same index walk as pad_f32.c); value is the quantized pad value.
 */
#include "mlc/kernels_s8.h"
#include "mlc/requant.h" /* mlc_s8_ok */

#define PAD_T int8_t
#define PAD_IMPL pad_s8
#include "pad_body.h"

int mlc_pad_s8(const mlc_pad_s8_params_t *p, const int8_t *x, int8_t *y)
{
    if (!mlc_s8_ok(p->value)) return MLC_EINVAL;
    return pad_s8(&p->geo, x, y, (int8_t)p->value);
}
