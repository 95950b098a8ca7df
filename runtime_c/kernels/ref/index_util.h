/**
 * @file index_util.h
 * @brief Private helpers of the reference kernels: N-d index walking and window ranges.
 *
 * The odometer walks every axis but the innermost and carries up to MLC_IT_MAX_OPS linear offsets
 * (one per operand); the kernel runs the innermost axis as a plain strided loop, so per-element
 * cost stays a multiply-add. Everything here is static inline so each kernel file stays standalone.
 */
#ifndef MLC_KERNELS_REF_INDEX_UTIL_H
#define MLC_KERNELS_REF_INDEX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mlc/types.h"

#define MLC_IT_MAX_OPS 3

typedef struct {
    int32_t outer_rank;                       /* axes walked by mlc_it_next */
    int32_t rows;                             /* number of innermost runs; 0 for an empty shape */
    int32_t inner;                            /* length of each innermost run */
    int32_t inner_stride[MLC_IT_MAX_OPS];     /* per-operand stride along the innermost axis */
    int32_t off[MLC_IT_MAX_OPS];              /* per-operand offset of the current run's first element */
    int32_t idx[MLC_MAX_DIMS];                /* current index of the outer axes */
    int32_t dims[MLC_MAX_DIMS];
    int32_t strides[MLC_IT_MAX_OPS][MLC_MAX_DIMS];
} mlc_it_t;

/**
 * Set up an odometer over dims[0..rank). s0..s2 are per-operand stride arrays (NULL: operand unused,
 * its offset stays 0). With coalesce != 0, adjacent axes that are contiguous for every operand are
 * merged (idx then no longer matches the caller's axes). Returns MLC_OK or MLC_EINVAL.
 */
static inline int mlc_it_init(mlc_it_t *it, int32_t rank, const int32_t *dims, const int32_t *s0,
                              const int32_t *s1, const int32_t *s2, int coalesce)
{
    const int32_t *src[MLC_IT_MAX_OPS];
    int32_t d, k, r = 0;
    src[0] = s0;
    src[1] = s1;
    src[2] = s2;
    if (rank < 0 || rank > MLC_MAX_DIMS) return MLC_EINVAL;
    for (d = 0; d < rank; ++d) {
        if (dims[d] < 0) return MLC_EINVAL;
    }
    for (d = 0; d < rank; ++d) {
        int merge = coalesce && r > 0;
        if (coalesce && dims[d] == 1) continue; /* a unit axis never moves any offset */
        /* Axis d joins the previous one when stepping the previous axis equals a full sweep of d. */
        for (k = 0; merge && k < MLC_IT_MAX_OPS; ++k) {
            if (src[k] != NULL && it->strides[k][r - 1] != src[k][d] * dims[d]) merge = 0;
        }
        if (merge) {
            it->dims[r - 1] *= dims[d];
            for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->strides[k][r - 1] = src[k] != NULL ? src[k][d] : 0;
        } else {
            it->dims[r] = dims[d];
            for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->strides[k][r] = src[k] != NULL ? src[k][d] : 0;
            ++r;
        }
    }
    for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->off[k] = 0;
    if (r == 0) { /* scalar: one run of one element */
        it->outer_rank = 0;
        it->rows = 1;
        it->inner = 1;
        for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->inner_stride[k] = 0;
        return MLC_OK;
    }
    it->outer_rank = r - 1;
    it->inner = it->dims[r - 1];
    for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->inner_stride[k] = it->strides[k][r - 1];
    it->rows = it->inner > 0 ? 1 : 0;
    for (d = 0; d < r - 1; ++d) {
        it->idx[d] = 0;
        it->rows *= it->dims[d];
    }
    return MLC_OK;
}

/** Advance to the next innermost run (call rows - 1 times). */
static inline void mlc_it_next(mlc_it_t *it)
{
    int32_t d, k;
    for (d = it->outer_rank - 1; d >= 0; --d) {
        for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->off[k] += it->strides[k][d];
        if (++it->idx[d] < it->dims[d]) return;
        for (k = 0; k < MLC_IT_MAX_OPS; ++k) it->off[k] -= it->strides[k][d] * it->dims[d];
        it->idx[d] = 0;
    }
}

/**
 * Range [*lo, *hi) of k in [0, k_n) with 0 <= start + k * step < limit (step > 0).
 * Division only when step != 1, and only once per window rather than per tap.
 */
static inline void mlc_window_range(int32_t start, int32_t step, int32_t k_n, int32_t limit, int32_t *lo,
                                    int32_t *hi)
{
    int32_t a = 0, b = k_n;
    if (step == 1) {
        if (start < 0) a = -start;
        if (limit - start < b) b = limit - start;
    } else {
        if (start < 0) a = (-start + step - 1) / step;
        if (limit - start <= 0) {
            b = 0;
        } else {
            int32_t t = (limit - 1 - start) / step + 1;
            if (t < b) b = t;
        }
    }
    if (b < 0) b = 0;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

#endif /* MLC_KERNELS_REF_INDEX_UTIL_H */
