/**
 * @file add_s8_check.h
 * @brief The parameter check of mlc_add_s8, shared by the reference and the DSP kernel.
 */
#ifndef MLC_KERNELS_REF_ADD_S8_CHECK_H
#define MLC_KERNELS_REF_ADD_S8_CHECK_H

#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

/** 1 when the zero points, clamp, left shift and the three (mult, shift) pairs are valid for mlc_add_s8. */
static inline int mlc_add_s8_params_ok(const mlc_binary_s8_params_t *p)
{
    return mlc_s8_ok(p->a_zero_point) && mlc_s8_ok(p->b_zero_point) && mlc_s8_ok(p->y_zero_point) &&
           mlc_s8_range_ok(p->act_min, p->act_max) && p->left_shift >= 0 && p->left_shift <= 22 &&
           mlc_requant_valid(p->a_mult, p->a_shift) && mlc_requant_valid(p->b_mult, p->b_shift) &&
           mlc_requant_valid(p->y_mult, p->y_shift);
}

#endif /* MLC_KERNELS_REF_ADD_S8_CHECK_H */
