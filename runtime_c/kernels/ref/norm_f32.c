/**
 * @file norm_f32.c
 * @brief Row normalisation (LayerNormalization with its optional Mean / InvStdDev outputs,
 *        InstanceNormalization).
 */
#include <math.h>
#include <stddef.h>

#include "mlc/kernels_f32.h"

int mlc_norm_stats_f32(const mlc_norm_params_t *p, const float *x, const float *scale, const float *bias,
                       float *y, float *mean_out, float *inv_std_out)
{
    int32_t r, j;
    if (p->outer < 0 || p->inner < 0 || (p->per_row && p->channels <= 0)) return MLC_EINVAL;
    if (p->inner == 0) return MLC_OK;
    for (r = 0; r < p->outer; ++r) {
        const float *xr = x + r * p->inner;
        float *yr = y + r * p->inner;
        const float inv_n = 1.0f / (float)p->inner;
        float mean = 0.0f, var = 0.0f, inv_std;
        /* Two passes (mean, then squared deviations): no cancellation as in E[x^2] - E[x]^2. */
        for (j = 0; j < p->inner; ++j) mean += xr[j];
        mean *= inv_n;
        for (j = 0; j < p->inner; ++j) {
            const float d = xr[j] - mean;
            var += d * d;
        }
        inv_std = 1.0f / sqrtf(var * inv_n + p->eps);
        if (mean_out != NULL) mean_out[r] = mean;
        if (inv_std_out != NULL) inv_std_out[r] = inv_std;
        if (p->per_row) {
            const int32_t c = r % p->channels;
            const float s = (scale != NULL ? scale[c] : 1.0f) * inv_std;
            const float b = bias != NULL ? bias[c] : 0.0f;
            for (j = 0; j < p->inner; ++j) yr[j] = (xr[j] - mean) * s + b;
        } else {
            for (j = 0; j < p->inner; ++j) {
                const float s = scale != NULL ? scale[j] : 1.0f;
                const float b = bias != NULL ? bias[j] : 0.0f;
                yr[j] = (xr[j] - mean) * inv_std * s + b;
            }
        }
    }
    return MLC_OK;
}

int mlc_norm_f32(const mlc_norm_params_t *p, const float *x, const float *scale, const float *bias,
                 float *y)
{
    return mlc_norm_stats_f32(p, x, scale, bias, y, NULL, NULL);
}
