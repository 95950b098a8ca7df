/**
 * @file pad_f32.c
 * @brief Pad (constant, reflect, edge, wrap); negative pads crop.
 */
#include "mlc/kernels_f32.h"

#define PAD_T float
#define PAD_IMPL pad_f32
#include "pad_body.h"

int mlc_pad_f32(const mlc_pad_params_t *p, const float *x, float *y)
{
    return pad_f32(&p->geo, x, y, p->value);
}
