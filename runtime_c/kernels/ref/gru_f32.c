/**
 * @file gru_f32.c
 * @brief ONNX GRU (layout 0 or 1): forward, reverse or bidirectional, optional bias and initial state,
 *        linear_before_reset, any mlc_unary activation for f and g, optional clip.
 */
#include <stddef.h>

#include "mlc/kernels_f32.h"
#include "recurrent_util.h"

int mlc_gru_f32(const mlc_gru_params_t *p, const float *x, const float *w, const float *r, const float *b,
                const float *init_h, float *y, float *y_h, float *scratch)
{
    const int32_t H = p->hidden, I = p->input, B = p->batch, G = 3 * p->hidden;
    int32_t d, step, n, j, k;
    float *xg = scratch;          /* [batch][3 * hidden]: x W^T + Wb, gate order z, r, h */
    float *hg = scratch + B * G;  /* [batch][3 * hidden]: h R^T + Rb (the h part per linear_before_reset) */
    float *h = hg + B * G;        /* [batch][hidden] */
    if (p->seq < 0 || B < 0 || I < 0 || H < 0 || p->num_dirs < 1 || p->num_dirs > 2) return MLC_EINVAL;
    for (d = 0; d < p->num_dirs; ++d) {
        const float *wd = w + d * G * I, *rd = r + d * G * H;
        const float *wb = b != NULL ? b + d * 2 * G : NULL;
        const int32_t backward = p->num_dirs == 2 ? d : p->reverse;
        for (n = 0; n < B; ++n) {
            const int32_t s0 = state_row(p->layout, p->num_dirs, B, d, n) * H;
            for (j = 0; j < H; ++j) h[n * H + j] = init_h != NULL ? init_h[s0 + j] : 0.0f;
        }
        for (step = 0; step < p->seq; ++step) {
            const int32_t t = backward ? p->seq - 1 - step : step;
            for (n = 0; n < B; ++n) {
                const float *xn = x + x_row(p->layout, p->seq, B, t, n) * I, *hn = h + n * H;
                float *xgn = xg + n * G, *hgn = hg + n * G;
                for (j = 0; j < G; ++j) {
                    const float *wj = wd + j * I;
                    float acc = wb != NULL ? wb[j] : 0.0f;
                    for (k = 0; k < I; ++k) acc += xn[k] * wj[k];
                    xgn[j] = acc;
                }
                /* z and r always use h R^T + Rb; so does the h gate with linear_before_reset. */
                for (j = 0; j < (p->linear_before_reset ? G : 2 * H); ++j) {
                    const float *rj = rd + j * H;
                    float acc = wb != NULL ? wb[G + j] : 0.0f;
                    for (k = 0; k < H; ++k) acc += hn[k] * rj[k];
                    hgn[j] = acc;
                }
            }
            for (n = 0; n < B; ++n) {
                float *xgn = xg + n * G, *hgn = hg + n * G, *hn = h + n * H;
                /* z and r first: the h gate without linear_before_reset needs r (.) h_prev for every j. */
                for (j = 0; j < 2 * H; ++j) {
                    xgn[j] = mlc_unary_eval_f32(&p->f[d], clip_value(xgn[j] + hgn[j], p->clip));
                }
                if (!p->linear_before_reset) {
                    for (j = 0; j < H; ++j) {
                        const float *rj = rd + (2 * H + j) * H;
                        float acc = wb != NULL ? wb[G + 2 * H + j] : 0.0f;
                        for (k = 0; k < H; ++k) acc += xgn[H + k] * hn[k] * rj[k];
                        hgn[2 * H + j] = acc;
                    }
                } else {
                    for (j = 0; j < H; ++j) hgn[2 * H + j] *= xgn[H + j];
                }
                for (j = 0; j < H; ++j) {
                    const float z = xgn[j];
                    const float ht = mlc_unary_eval_f32(&p->g[d], clip_value(xgn[2 * H + j] + hgn[2 * H + j], p->clip));
                    hn[j] = (1.0f - z) * ht + z * hn[j];
                }
            }
            if (y != NULL) {
                for (n = 0; n < B; ++n) {
                    float *yn = y + y_row(p->layout, p->seq, p->num_dirs, B, t, d, n) * H;
                    for (j = 0; j < H; ++j) yn[j] = h[n * H + j];
                }
            }
        }
        if (y_h != NULL) {
            for (n = 0; n < B; ++n) {
                const int32_t s0 = state_row(p->layout, p->num_dirs, B, d, n) * H;
                for (j = 0; j < H; ++j) y_h[s0 + j] = h[n * H + j];
            }
        }
    }
    return MLC_OK;
}
