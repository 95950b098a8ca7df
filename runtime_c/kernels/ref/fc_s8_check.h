/**
 * @file fc_s8_check.h
 * @brief The parameter check of mlc_fc_s8, shared by the reference and the optimized kernels.
 */
#ifndef MLC_KERNELS_REF_FC_S8_CHECK_H
#define MLC_KERNELS_REF_FC_S8_CHECK_H

#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/** 1 when the shapes, layout, zero points and clamp are valid for mlc_fc_s8. */
static inline int mlc_fc_s8_shape_ok(const mlc_fc_s8_params_t *p)
{
    if (p->m < 0 || p->n < 0 || p->k < 0 || p->k > MLC_S8_MAX_TAPS) return 0;
    if (p->w_layout != MLC_FC_W_ROWS && p->w_layout != MLC_FC_W_ROWS4) return 0;
    return mlc_s8_ok(p->x_zero_point) && mlc_s8_ok(p->y_zero_point) && mlc_s8_range_ok(p->act_min, p->act_max);
}

/** 1 when the shapes, zero points, clamp and every row's packed (mult, shift) are valid for mlc_fc_s8. */
static inline int mlc_fc_s8_params_ok(const mlc_fc_s8_params_t *p, const int32_t *qmult)
{
    int32_t j;
    if (!mlc_fc_s8_shape_ok(p)) return 0;
    for (j = 0; j < p->n; ++j) {
        if (!mlc_qm_valid(qmult[j])) return 0;
    }
    return 1;
}

#endif /* MLC_KERNELS_REF_FC_S8_CHECK_H */
