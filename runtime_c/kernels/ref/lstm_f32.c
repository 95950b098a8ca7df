/**
 * @file lstm_f32.c
 * @brief ONNX LSTM (layout 0 or 1): forward, reverse or bidirectional, optional bias, initial states and
 *        peepholes, any mlc_unary activation for f, g and h, optional cell clip.
 */
#include <stddef.h>

#include "mlc/kernels_f32.h"
#include "recurrent_util.h"

int mlc_lstm_f32(const mlc_lstm_params_t *p, const float *x, const float *w, const float *r, const float *b,
                 const float *init_h, const float *init_c, const float *peep, float *y, float *y_h, float *y_c,
                 float *scratch)
{
    const int32_t H = p->hidden, I = p->input, B = p->batch, G = 4 * p->hidden;
    int32_t d, step, n, j, k;
    float *gates = scratch;           /* [batch][4 * hidden], gate order i, o, f, c */
    float *h = scratch + B * G;       /* [batch][hidden] */
    float *c = h + B * H;             /* [batch][hidden] */
    if (p->seq < 0 || B < 0 || I < 0 || H < 0 || p->num_dirs < 1 || p->num_dirs > 2) return MLC_EINVAL;
    for (d = 0; d < p->num_dirs; ++d) {
        const float *wd = w + d * G * I, *rd = r + d * G * H;
        const float *wb = b != NULL ? b + d * 2 * G : NULL;
        const float *pd = peep != NULL ? peep + d * 3 * H : NULL;
        const int32_t backward = p->num_dirs == 2 ? d : p->reverse;
        for (n = 0; n < B; ++n) {
            const int32_t s0 = state_row(p->layout, p->num_dirs, B, d, n) * H;
            for (j = 0; j < H; ++j) {
                h[n * H + j] = init_h != NULL ? init_h[s0 + j] : 0.0f;
                c[n * H + j] = init_c != NULL ? init_c[s0 + j] : 0.0f;
            }
        }
        for (step = 0; step < p->seq; ++step) {
            const int32_t t = backward ? p->seq - 1 - step : step;
            for (n = 0; n < B; ++n) {
                const float *xn = x + x_row(p->layout, p->seq, B, t, n) * I, *hn = h + n * H;
                float *gn = gates + n * G;
                for (j = 0; j < G; ++j) {
                    const float *wj = wd + j * I, *rj = rd + j * H;
                    float acc = wb != NULL ? wb[j] + wb[G + j] : 0.0f;
                    for (k = 0; k < I; ++k) acc += xn[k] * wj[k];
                    for (k = 0; k < H; ++k) acc += hn[k] * rj[k];
                    gn[j] = acc;
                }
            }
            for (n = 0; n < B; ++n) {
                float *gn = gates + n * G, *hn = h + n * H, *cn = c + n * H;
                for (j = 0; j < H; ++j) {
                    float gi = gn[j], go = gn[H + j], gf = gn[2 * H + j], gc = gn[3 * H + j];
                    if (pd != NULL) {
                        gi += pd[j] * cn[j];
                        gf += pd[2 * H + j] * cn[j];
                    }
                    gi = mlc_unary_eval_f32(&p->f[d], clip_value(gi, p->clip));
                    gf = mlc_unary_eval_f32(&p->f[d], clip_value(gf, p->clip));
                    gc = mlc_unary_eval_f32(&p->g[d], clip_value(gc, p->clip));
                    cn[j] = gf * cn[j] + gi * gc;
                    if (pd != NULL) go += pd[H + j] * cn[j];
                    go = mlc_unary_eval_f32(&p->f[d], clip_value(go, p->clip));
                    hn[j] = go * mlc_unary_eval_f32(&p->h[d], cn[j]);
                }
            }
            if (y != NULL) {
                for (n = 0; n < B; ++n) {
                    float *yn = y + y_row(p->layout, p->seq, p->num_dirs, B, t, d, n) * H;
                    for (j = 0; j < H; ++j) yn[j] = h[n * H + j];
                }
            }
        }
        for (n = 0; n < B; ++n) {
            const int32_t s0 = state_row(p->layout, p->num_dirs, B, d, n) * H;
            for (j = 0; j < H; ++j) {
                if (y_h != NULL) y_h[s0 + j] = h[n * H + j];
                if (y_c != NULL) y_c[s0 + j] = c[n * H + j];
            }
        }
    }
    return MLC_OK;
}
