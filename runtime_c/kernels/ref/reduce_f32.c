/**
 * @file reduce_f32.c
 * @brief ONNX reductions (Reduce*, ArgMax, ArgMin) over an arbitrary set of axes.
 */
#include <math.h>

#include "index_util.h"
#include "mlc/kernels_f32.h"
#include "mlc/select.h"

/* Visit every element v of the reduced set belonging to the current output (input base xo). */
#define REDUCE_WALK(body)                                                                                  \
    do {                                                                                                   \
        mlc_it_t w_ = red;                                                                                 \
        int32_t r_, i_;                                                                                    \
        for (r_ = 0; r_ < w_.rows; ++r_, mlc_it_next(&w_)) {                                               \
            const float *px_ = xo + w_.off[0];                                                             \
            for (i_ = 0; i_ < w_.inner; ++i_, px_ += w_.inner_stride[0]) {                                 \
                const float v = *px_;                                                                      \
                body;                                                                                      \
            }                                                                                              \
        }                                                                                                  \
    } while (0)

int mlc_reduce_f32(const mlc_reduce_params_t *p, const float *x, float *y)
{
    int32_t kept_dims[MLC_MAX_DIMS], kept_strides[MLC_MAX_DIMS];
    int32_t red_dims[MLC_MAX_DIMS], red_strides[MLC_MAX_DIMS];
    int32_t nk = 0, nr = 0, d, r, i, stride = 1, count = 1;
    mlc_it_t out, red;
    if (p->rank < 0 || p->rank > MLC_MAX_DIMS || p->op < MLC_REDUCE_SUM || p->op > MLC_REDUCE_ARGMIN ||
        !MLC_SELECTED(MLC_REDUCE_OPS, p->op)) {
        return MLC_EINVAL;
    }
    /* Split the dense input strides into kept axes (walked per output) and reduced axes (walked per value). */
    for (d = p->rank - 1; d >= 0; --d) {
        if (p->in_dims[d] < 0) return MLC_EINVAL;
        if (p->reduced[d]) {
            red_dims[MLC_MAX_DIMS - 1 - nr] = p->in_dims[d];
            red_strides[MLC_MAX_DIMS - 1 - nr] = stride;
            count *= p->in_dims[d];
            ++nr;
        } else {
            kept_dims[MLC_MAX_DIMS - 1 - nk] = p->in_dims[d];
            kept_strides[MLC_MAX_DIMS - 1 - nk] = stride;
            ++nk;
        }
        stride *= p->in_dims[d];
    }
    if (mlc_it_init(&out, nk, kept_dims + MLC_MAX_DIMS - nk, kept_strides + MLC_MAX_DIMS - nk, NULL, NULL, 1) !=
            MLC_OK ||
        mlc_it_init(&red, nr, red_dims + MLC_MAX_DIMS - nr, red_strides + MLC_MAX_DIMS - nr, NULL, NULL, 1) != MLC_OK) {
        return MLC_EINVAL;
    }
    if (count == 0 && (p->op == MLC_REDUCE_ARGMAX || p->op == MLC_REDUCE_ARGMIN) && out.rows > 0) return MLC_EINVAL;
    for (r = 0; r < out.rows; ++r, mlc_it_next(&out)) {
        for (i = 0; i < out.inner; ++i) {
            const float *xo = x + out.off[0] + i * out.inner_stride[0];
            float acc = 0.0f;
            switch (p->op) {
            case MLC_REDUCE_SUM: REDUCE_WALK(acc += v); break;
            case MLC_REDUCE_MEAN:
                REDUCE_WALK(acc += v);
                acc /= (float)count;
                break;
            case MLC_REDUCE_MAX:
                acc = -INFINITY;
                REDUCE_WALK(if (v > acc) acc = v);
                break;
            case MLC_REDUCE_MIN:
                acc = INFINITY;
                REDUCE_WALK(if (v < acc) acc = v);
                break;
            case MLC_REDUCE_PROD:
                acc = 1.0f;
                REDUCE_WALK(acc *= v);
                break;
            case MLC_REDUCE_L1: REDUCE_WALK(acc += fabsf(v)); break;
            case MLC_REDUCE_L2:
                REDUCE_WALK(acc += v * v);
                acc = sqrtf(acc);
                break;
            case MLC_REDUCE_LOG_SUM:
                REDUCE_WALK(acc += v);
                acc = MLC_SELECTED(MLC_REDUCE_OPS, MLC_REDUCE_LOG_SUM) ? logf(acc) : NAN;
                break;
            case MLC_REDUCE_LOG_SUM_EXP: {
                /* Shift by the max so expf cannot overflow; an all -inf (or empty) set stays -inf. */
                float mx = -INFINITY;
                REDUCE_WALK(if (v > mx) mx = v);
                if (isinf(mx)) {
                    acc = mx;
                } else if (MLC_SELECTED(MLC_REDUCE_OPS, MLC_REDUCE_LOG_SUM_EXP)) {
                    REDUCE_WALK(acc += expf(v - mx));
                    acc = mx + logf(acc);
                }
                break;
            }
            case MLC_REDUCE_SUM_SQUARE: REDUCE_WALK(acc += v * v); break;
            default: { /* ArgMax / ArgMin: position within the (single) reduced axis */
                const int is_max = p->op == MLC_REDUCE_ARGMAX;
                int32_t pos = 0, best = 0;
                float bv = 0.0f;
                REDUCE_WALK({
                    int better = pos == 0;
                    if (!better) {
                        if (p->select_last) {
                            better = is_max ? v >= bv : v <= bv;
                        } else {
                            better = is_max ? v > bv : v < bv;
                        }
                    }
                    if (better) {
                        bv = v;
                        best = pos;
                    }
                    ++pos;
                });
                acc = (float)best;
                break;
            }
            }
            *y++ = acc;
        }
    }
    return MLC_OK;
}
