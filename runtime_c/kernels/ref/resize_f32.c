/**
 * @file resize_f32.c
 * @brief Resize of the last two axes (ONNX Resize, nearest and linear) with onnxruntime clamping.
 */
#include <math.h>

#include "mlc/kernels_f32.h"

/* Source coordinate of output coordinate xo, in float with onnxruntime's operation order. */
static float src_coord(int32_t coord, int32_t xo, float scale, int32_t in, int32_t out)
{
    const float x = (float)xo;
    switch (coord) {
    case MLC_COORD_ASYMMETRIC: return x / scale;
    case MLC_COORD_ALIGN_CORNERS: return out == 1 ? 0.0f : x * (float)(in - 1) / (float)(out - 1);
    case MLC_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case MLC_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5f) / scale;
    default: return (x + 0.5f) / scale - 0.5f; /* half_pixel */
    }
}

/* Nearest input index, clamped to [0, in). Ties are decided on the exact fraction, not on x + 0.5. */
static int32_t nearest_index(int32_t mode, float x, int32_t in)
{
    const float f = floorf(x), frac = x - f;
    int32_t i;
    switch (mode) {
    case MLC_NEAREST_ROUND_PREFER_CEIL: i = (int32_t)f + (frac >= 0.5f ? 1 : 0); break;
    case MLC_NEAREST_FLOOR: i = (int32_t)f; break;
    case MLC_NEAREST_CEIL: i = (int32_t)f + (frac > 0.0f ? 1 : 0); break;
    default: i = (int32_t)f + (frac > 0.5f ? 1 : 0); break; /* round_prefer_floor */
    }
    return i < 0 ? 0 : (i > in - 1 ? in - 1 : i);
}

/* Linear taps: lower index, upper index and the weight of the upper one, after clamping to [0, in-1]. */
static void linear_taps(float x, int32_t in, int32_t *i0, int32_t *i1, float *lambda)
{
    const float hi = (float)(in - 1);
    if (x < 0.0f) x = 0.0f;
    if (x > hi) x = hi;
    *i0 = (int32_t)x;
    *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
    *lambda = x - (float)*i0;
}

int mlc_resize_f32(const mlc_resize_params_t *p, const float *x, float *y)
{
    int32_t c, oh, ow;
    if (p->nc < 0 || p->h_out < 0 || p->w_out < 0 || p->h_in <= 0 || p->w_in <= 0) return MLC_EINVAL;
    if (p->mode != MLC_RESIZE_NEAREST && p->mode != MLC_RESIZE_LINEAR) return MLC_EINVAL;
    if (!(p->scale_h > 0.0f) || !(p->scale_w > 0.0f)) return MLC_EINVAL;
    for (c = 0; c < p->nc; ++c) {
        const float *xc = x + c * p->h_in * p->w_in;
        for (oh = 0; oh < p->h_out; ++oh) {
            const float fy = src_coord(p->coord, oh, p->scale_h, p->h_in, p->h_out);
            if (p->mode == MLC_RESIZE_NEAREST) {
                const float *xr = xc + nearest_index(p->nearest, fy, p->h_in) * p->w_in;
                for (ow = 0; ow < p->w_out; ++ow) {
                    const float fx = src_coord(p->coord, ow, p->scale_w, p->w_in, p->w_out);
                    *y++ = xr[nearest_index(p->nearest, fx, p->w_in)];
                }
            } else {
                int32_t y0, y1;
                float ly;
                const float *r0, *r1;
                linear_taps(fy, p->h_in, &y0, &y1, &ly);
                r0 = xc + y0 * p->w_in;
                r1 = xc + y1 * p->w_in;
                for (ow = 0; ow < p->w_out; ++ow) {
                    int32_t x0, x1;
                    float lx;
                    linear_taps(src_coord(p->coord, ow, p->scale_w, p->w_in, p->w_out), p->w_in, &x0, &x1, &lx);
                    {
                        const float top = r0[x0] + lx * (r0[x1] - r0[x0]);
                        const float bot = r1[x0] + lx * (r1[x1] - r1[x0]);
                        *y++ = top + ly * (bot - top);
                    }
                }
            }
        }
    }
    return MLC_OK;
}
