/* Test shim: the prepared requantization of runtime_c/kernels/dsp/dsp_util.h over arrays, for ctypes
   (compare with mlc_test_requant_s8 of tests/kernels_s8/requant_shim.c). fast[i] reports the path taken. */
#include "dsp_util.h"
#include "mlc/kernels_s8.h"

void mlc_test_dsp_requant_s8(const int32_t *x, const int32_t *m, const int32_t *s, const int32_t *zp,
                             const int32_t *lo, const int32_t *hi, const int32_t *bias, const int32_t *taps,
                             int8_t *out, int8_t *fast, int32_t n);

void mlc_test_dsp_requant_s8(const int32_t *x, const int32_t *m, const int32_t *s, const int32_t *zp,
                             const int32_t *lo, const int32_t *hi, const int32_t *bias, const int32_t *taps,
                             int8_t *out, int8_t *fast, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        mlc_dsp_rq_t q;
        uint32_t v;
        mlc_dsp_rq_prepare(&q, m[i], s[i], zp[i], bias[i], taps[i]);
        v = mlc_dsp_clamp4((uint32_t)mlc_dsp_rq1(x[i], &q, zp[i], lo[i], hi[i]), mlc_dsp_dup4(lo[i]),
                           mlc_dsp_dup4(hi[i]));
        out[i] = (int8_t)(mlc_dsp_s8(v));
        fast[i] = (int8_t)q.fast;
    }
}

/* kernels_s8.h's scratch size of the DSP convolution, for comparison with ops/s8.dsp_conv_scratch_bytes. */
int32_t mlc_test_conv_scratch_bytes(const mlc_conv2d_s8_params_t *p);

int32_t mlc_test_conv_scratch_bytes(const mlc_conv2d_s8_params_t *p)
{
    return mlc_conv2d_s8_scratch_bytes(p);
}
