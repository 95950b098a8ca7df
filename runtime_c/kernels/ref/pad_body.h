/**
 * @file pad_body.h
 * @brief Pad's body for one element type, included by pad_f32.c and pad_s8.c with PAD_T (the element type)
 *        and PAD_IMPL (the function name) defined: the same index walk copies floats or int8 values.
 */
#include "index_util.h"

#ifndef MLC_PAD_MAP_DEFINED
#define MLC_PAD_MAP_DEFINED
/* Map an input coordinate that may lie outside [0, n) into it; -1 means "use the constant". */
static int32_t pad_map(int32_t i, int32_t n, int32_t mode)
{
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case MLC_PAD_REFLECT: {
        /* Reflection (without repeating the edge) has period 2(n-1). */
        const int32_t period = 2 * (n - 1);
        if (period == 0) return 0;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }
    case MLC_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case MLC_PAD_WRAP:
        i %= n;
        return i < 0 ? i + n : i;
    default: return -1;
    }
}
#endif

static int PAD_IMPL(const mlc_pad_geometry_t *p, const PAD_T *x, PAD_T *y, PAD_T value)
{
    mlc_it_t it;
    int32_t in_strides[MLC_MAX_DIMS];
    int32_t r, i, d, stride = 1, n_in, pb;
    if (p->mode < MLC_PAD_CONSTANT || p->mode > MLC_PAD_WRAP) return MLC_EINVAL;
    if (mlc_it_init(&it, p->rank, p->out_dims, NULL, NULL, NULL, 0) != MLC_OK) return MLC_EINVAL;
    if (it.rows == 0) return MLC_OK;
    for (d = p->rank - 1; d >= 0; --d) {
        if (p->in_dims[d] < 0) return MLC_EINVAL;
        /* Only constant padding can invent values for an empty input. */
        if (p->in_dims[d] == 0 && p->mode != MLC_PAD_CONSTANT) return MLC_EINVAL;
        in_strides[d] = stride;
        stride *= p->in_dims[d];
    }
    n_in = p->rank > 0 ? p->in_dims[p->rank - 1] : 1;
    pb = p->rank > 0 ? p->pads_begin[p->rank - 1] : 0;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const PAD_T *row = x;
        int32_t lo, hi;
        for (d = 0; d < it.outer_rank; ++d) {
            const int32_t s = pad_map(it.idx[d] - p->pads_begin[d], p->in_dims[d], p->mode);
            if (s < 0) {
                row = NULL;
                break;
            }
            row += s * in_strides[d];
        }
        if (row == NULL) { /* the whole row lies in constant padding */
            for (i = 0; i < it.inner; ++i) *y++ = value;
            continue;
        }
        /* Output columns [lo, hi) map straight into the input row; only the borders need pad_map. */
        mlc_window_range(-pb, 1, it.inner, n_in, &lo, &hi);
        for (i = 0; i < lo; ++i) {
            const int32_t s = pad_map(i - pb, n_in, p->mode);
            y[i] = s < 0 ? value : row[s];
        }
        for (i = lo; i < hi; ++i) y[i] = row[i - pb];
        for (i = hi; i < it.inner; ++i) {
            const int32_t s = pad_map(i - pb, n_in, p->mode);
            y[i] = s < 0 ? value : row[s];
        }
        y += it.inner;
    }
    return MLC_OK;
}
