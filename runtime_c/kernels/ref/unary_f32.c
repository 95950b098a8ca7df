/**
 * @file unary_f32.c
 * @brief Elementwise unary operations; mlc_unary_eval_f32 is also the fused activation of other kernels.
 */
#include <math.h>

#include "mlc/kernels_f32.h"
#include "mlc/select.h"

/* Operation `op` is compiled in (mlc/select.h): the cases of the others, and their libm calls, fold away. */
#define SELECTED(op) MLC_SELECTED(MLC_UNARY_OPS, op)
#define CASE(op) \
    case op:     \
        if (!SELECTED(op)) break;

/* log(1 + exp(x)) without overflow for large x and without losing precision for very negative x. */
static float softplus_f32(float x)
{
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

float mlc_unary_eval_f32(const mlc_act_t *act, float x)
{
    switch (act->op) {
    CASE(MLC_UNARY_IDENTITY) return x;
    CASE(MLC_UNARY_RELU) return x > 0.0f ? x : 0.0f;
    CASE(MLC_UNARY_CLIP)
        /* Comparisons (not fminf/fmaxf) so that NaN passes through as in ONNX. */
        if (x < act->alpha) x = act->alpha;
        if (x > act->beta) x = act->beta;
        return x;
    CASE(MLC_UNARY_LEAKY_RELU) return x >= 0.0f ? x : act->alpha * x;
    CASE(MLC_UNARY_SIGMOID)
        /* Only ever exponentiate a non-positive number: no overflow for large |x|. */
        if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
        {
            float e = expf(x);
            return e / (1.0f + e);
        }
    CASE(MLC_UNARY_TANH) return tanhf(x);
    CASE(MLC_UNARY_HARD_SIGMOID) {
        float t = act->alpha * x + act->beta;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    CASE(MLC_UNARY_HARD_SWISH) {
        /* ONNX fixes alpha = 1/6, beta = 0.5; act->alpha/beta are ignored. */
        float t = x * (1.0f / 6.0f) + 0.5f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        return x * t;
    }
    CASE(MLC_UNARY_ABS) return fabsf(x);
    CASE(MLC_UNARY_NEG) return -x;
    CASE(MLC_UNARY_EXP) return expf(x);
    CASE(MLC_UNARY_LOG) return logf(x);
    CASE(MLC_UNARY_SQRT) return sqrtf(x);
    CASE(MLC_UNARY_RECIPROCAL) return 1.0f / x;
    CASE(MLC_UNARY_FLOOR) return floorf(x);
    CASE(MLC_UNARY_CEIL) return ceilf(x);
    CASE(MLC_UNARY_ROUND) return rintf(x); /* default rounding mode: half to even */
    CASE(MLC_UNARY_SIGN) return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); /* keeps 0 and NaN */
    CASE(MLC_UNARY_ERF) return erff(x);
    CASE(MLC_UNARY_SIN) return sinf(x);
    CASE(MLC_UNARY_COS) return cosf(x);
    CASE(MLC_UNARY_ELU) return x >= 0.0f ? x : act->alpha * expm1f(x);
    CASE(MLC_UNARY_SELU) return act->beta * (x > 0.0f ? x : act->alpha * expm1f(x));
    CASE(MLC_UNARY_CELU) {
        float neg = act->alpha * expm1f(x / act->alpha);
        return (x > 0.0f ? x : 0.0f) + (neg < 0.0f ? neg : 0.0f);
    }
    CASE(MLC_UNARY_GELU)
        if (act->alpha == 0.0f) return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
        /* tanh approximation: sqrt(2/pi) * (x + 0.044715 x^3) */
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    CASE(MLC_UNARY_MISH) return x * tanhf(softplus_f32(x));
    CASE(MLC_UNARY_SOFTPLUS) return softplus_f32(x);
    CASE(MLC_UNARY_SOFTSIGN) return x / (1.0f + fabsf(x));
    CASE(MLC_UNARY_THRESHOLDED_RELU) return x > act->alpha ? x : 0.0f;
    CASE(MLC_UNARY_TAN) return tanf(x);
    CASE(MLC_UNARY_ASIN) return asinf(x);
    CASE(MLC_UNARY_ACOS) return acosf(x);
    CASE(MLC_UNARY_ATAN) return atanf(x);
    CASE(MLC_UNARY_SINH) return sinhf(x);
    CASE(MLC_UNARY_COSH) return coshf(x);
    CASE(MLC_UNARY_ASINH) return asinhf(x);
    CASE(MLC_UNARY_ACOSH) return acoshf(x);
    CASE(MLC_UNARY_ATANH) return atanhf(x);
    CASE(MLC_UNARY_NOT) return x == 0.0f ? 1.0f : 0.0f;
    CASE(MLC_UNARY_ISNAN) return isnan(x) ? 1.0f : 0.0f;
    CASE(MLC_UNARY_ISINF)
        if (!isinf(x)) return 0.0f;
        return ((x > 0.0f && act->alpha != 0.0f) || (x < 0.0f && act->beta != 0.0f)) ? 1.0f : 0.0f;
    CASE(MLC_UNARY_SHRINK) return x < -act->alpha ? x + act->beta : (x > act->alpha ? x - act->beta : 0.0f);
    CASE(MLC_UNARY_TRUNC) return truncf(x);
    CASE(MLC_UNARY_NONZERO) return x != 0.0f ? 1.0f : 0.0f;
    CASE(MLC_UNARY_TRUNC_SAT)
        if (x != x) return 0.0f;
        x = truncf(x);
        return x < act->alpha ? act->alpha : (x > act->beta ? act->beta : x);
    /* Exact for integers below 2^24 (the arena's integer range): the division by a power of two and the
       product are exact, so is the difference. */
    CASE(MLC_UNARY_WRAP) return x - act->alpha * floorf((x - act->beta) / act->alpha);
    default: break;
    }
    return NAN; /* unknown or not selected: rejected by mlc_unary_f32; the code generator selects every op it uses */
}

int mlc_unary_f32(const mlc_unary_params_t *p, const float *x, float *y)
{
    int32_t i;
    if (p->size < 0 || p->op.op < MLC_UNARY_IDENTITY || p->op.op > MLC_UNARY_WRAP || !SELECTED(p->op.op)) {
        return MLC_EINVAL;
    }
    switch (p->op.op) {
    /* The hottest activations get their own loops; the rest share the generic switch. */
    case MLC_UNARY_IDENTITY:
        if (x != y) {
            for (i = 0; i < p->size; ++i) y[i] = x[i];
        }
        break;
    case MLC_UNARY_RELU:
        for (i = 0; i < p->size; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    default:
        for (i = 0; i < p->size; ++i) y[i] = mlc_unary_eval_f32(&p->op, x[i]);
        break;
    }
    return MLC_OK;
}
