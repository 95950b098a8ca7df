/**
 * @file binary_f32.c
 * @brief Elementwise binary operations with broadcasting by strides.
 */
#include <math.h>

#include "index_util.h"
#include "mlc/kernels_f32.h"
#include "mlc/select.h"

static float binary_eval(int32_t op, float a, float b)
{
    switch (op) {
    case MLC_BINARY_ADD: return a + b;
    case MLC_BINARY_SUB: return a - b;
    case MLC_BINARY_MUL: return a * b;
    case MLC_BINARY_DIV: return a / b;
    case MLC_BINARY_POW: return MLC_SELECTED(MLC_BINARY_OPS, MLC_BINARY_POW) ? powf(a, b) : NAN;
    case MLC_BINARY_MIN: return a < b ? a : b;
    case MLC_BINARY_MAX: return a > b ? a : b;
    case MLC_BINARY_MOD: return MLC_SELECTED(MLC_BINARY_OPS, MLC_BINARY_MOD) ? fmodf(a, b) : NAN;
    case MLC_BINARY_EQUAL: return a == b ? 1.0f : 0.0f;
    case MLC_BINARY_LESS: return a < b ? 1.0f : 0.0f;
    case MLC_BINARY_LESS_EQUAL: return a <= b ? 1.0f : 0.0f;
    case MLC_BINARY_GREATER: return a > b ? 1.0f : 0.0f;
    case MLC_BINARY_GREATER_EQUAL: return a >= b ? 1.0f : 0.0f;
    case MLC_BINARY_AND: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
    case MLC_BINARY_OR: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
    case MLC_BINARY_XOR: return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f;
    case MLC_BINARY_PRELU: return a >= 0.0f ? a : a * b;
    case MLC_BINARY_MOD_FLOOR: {
        const float r = MLC_SELECTED(MLC_BINARY_OPS, MLC_BINARY_MOD_FLOOR) ? fmodf(a, b) : NAN;
        return (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) ? r + b : r;
    }
    default: return 0.0f;
    }
}

/* The common arithmetic ops get a dedicated inner loop; everything else goes through binary_eval. */
#define BINARY_ROW(expr)                                                                                   \
    for (i = 0; i < n; ++i, pa += sa, pb += sb) {                                                          \
        const float va = *pa, vb = *pb;                                                                    \
        py[i] = (expr);                                                                                    \
    }

int mlc_binary_f32(const mlc_binary_params_t *p, const float *a, const float *b, float *y)
{
    mlc_it_t it;
    int32_t r, i;
    float *py = y;
    if (p->op < MLC_BINARY_ADD || p->op > MLC_BINARY_MOD_FLOOR || !MLC_SELECTED(MLC_BINARY_OPS, p->op)) return MLC_EINVAL;
    if (mlc_it_init(&it, p->rank, p->dims, p->a_strides, p->b_strides, NULL, 1) != MLC_OK) return MLC_EINVAL;
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        const float *pa = a + it.off[0], *pb = b + it.off[1];
        const int32_t sa = it.inner_stride[0], sb = it.inner_stride[1], n = it.inner;
        switch (p->op) {
        case MLC_BINARY_ADD: BINARY_ROW(va + vb) break;
        case MLC_BINARY_SUB: BINARY_ROW(va - vb) break;
        case MLC_BINARY_MUL: BINARY_ROW(va * vb) break;
        case MLC_BINARY_DIV: BINARY_ROW(va / vb) break;
        default: BINARY_ROW(binary_eval(p->op, va, vb)) break;
        }
        if (p->act.op != MLC_UNARY_IDENTITY) {
            for (i = 0; i < n; ++i) py[i] = mlc_unary_eval_f32(&p->act, py[i]);
        }
        py += n;
    }
    return MLC_OK;
}
