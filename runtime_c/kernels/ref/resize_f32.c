/**
 * @file resize_f32.c
 * @brief Resize of the last two axes (ONNX Resize: nearest, linear and cubic) with onnxruntime clamping;
 *        scales fixed at compile time or read from a run-time tensor.
 */
#include <math.h>

#include "mlc/kernels_f32.h"

/* Source coordinate of output coordinate xo, in float with onnxruntime's operation order. */
static float src_coord(const mlc_resize_params_t *p, int32_t xo, float scale, int32_t in, int32_t out)
{
    const float x = (float)xo;
    switch (p->coord) {
    case MLC_COORD_ASYMMETRIC: return x / scale;
    case MLC_COORD_ALIGN_CORNERS: {
        const float len = p->scaled_length ? (float)in * scale : (float)out;
        return len == 1.0f ? 0.0f : x * (float)(in - 1) / (len - 1.0f);
    }
    case MLC_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case MLC_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5f) / scale;
    case MLC_COORD_HALF_PIXEL_SYMMETRIC: {
        const float adjustment = (float)out / ((float)in * scale);
        const float offset = (float)in * 0.5f * (1.0f - adjustment);
        return offset + (x + 0.5f) / scale - 0.5f;
    }
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

/* Cubic taps (ONNX reference): the four inputs nearest x, base - 1 .. base + 2, with the fraction in
 * (0, 1] (an integer x takes the pixel on its left as base); indices outside the input read the edge. */
static void cubic_taps(const mlc_resize_params_t *p, float x, int32_t in, int32_t idx[4], float w[4])
{
    const float a = p->cubic_a, f = floorf(x);
    float r = x - f, s = 1.0f - r, sum = 0.0f;
    int32_t base = (int32_t)f, i;
    if (r == 0.0f) {
        r = 1.0f;
        s = 0.0f;
        base -= 1;
    }
    w[0] = ((a * (r + 1.0f) - 5.0f * a) * (r + 1.0f) + 8.0f * a) * (r + 1.0f) - 4.0f * a;
    w[1] = ((a + 2.0f) * r - (a + 3.0f)) * r * r + 1.0f;
    w[2] = ((a + 2.0f) * s - (a + 3.0f)) * s * s + 1.0f;
    w[3] = ((a * (s + 1.0f) - 5.0f * a) * (s + 1.0f) + 8.0f * a) * (s + 1.0f) - 4.0f * a;
    for (i = 0; i < 4; ++i) {
        const int32_t t = base - 1 + i;
        if (p->exclude_outside && (t < 0 || t >= in)) w[i] = 0.0f;
        sum += w[i];
        idx[i] = t < 0 ? 0 : (t > in - 1 ? in - 1 : t);
    }
    if (p->exclude_outside && sum != 0.0f) {
        for (i = 0; i < 4; ++i) w[i] /= sum;
    }
}

int mlc_resize_f32(const mlc_resize_params_t *p, const float *x, float *y)
{
    int32_t c, oh, ow, i, j;
    if (p->nc < 0 || p->h_out < 0 || p->w_out < 0 || p->h_in <= 0 || p->w_in <= 0) return MLC_EINVAL;
    if (p->mode != MLC_RESIZE_NEAREST && p->mode != MLC_RESIZE_LINEAR && p->mode != MLC_RESIZE_CUBIC) return MLC_EINVAL;
    if (!(p->scale_h > 0.0f) || !(p->scale_w > 0.0f)) return MLC_EINVAL;
    for (c = 0; c < p->nc; ++c) {
        const float *xc = x + c * p->h_in * p->w_in;
        for (oh = 0; oh < p->h_out; ++oh) {
            const float fy = src_coord(p, oh, p->scale_h, p->h_in, p->h_out);
            if (p->mode == MLC_RESIZE_NEAREST) {
                const float *xr = xc + nearest_index(p->nearest, fy, p->h_in) * p->w_in;
                for (ow = 0; ow < p->w_out; ++ow) {
                    const float fx = src_coord(p, ow, p->scale_w, p->w_in, p->w_out);
                    *y++ = xr[nearest_index(p->nearest, fx, p->w_in)];
                }
            } else if (p->mode == MLC_RESIZE_LINEAR) {
                int32_t y0, y1;
                float ly;
                const float *r0, *r1;
                linear_taps(fy, p->h_in, &y0, &y1, &ly);
                r0 = xc + y0 * p->w_in;
                r1 = xc + y1 * p->w_in;
                for (ow = 0; ow < p->w_out; ++ow) {
                    int32_t x0, x1;
                    float lx;
                    linear_taps(src_coord(p, ow, p->scale_w, p->w_in, p->w_out), p->w_in, &x0, &x1, &lx);
                    {
                        const float top = r0[x0] + lx * (r0[x1] - r0[x0]);
                        const float bot = r1[x0] + lx * (r1[x1] - r1[x0]);
                        *y++ = top + ly * (bot - top);
                    }
                }
            } else {
                int32_t iy[4], ix[4];
                float wy[4], wx[4];
                cubic_taps(p, fy, p->h_in, iy, wy);
                for (ow = 0; ow < p->w_out; ++ow) {
                    float acc = 0.0f;
                    cubic_taps(p, src_coord(p, ow, p->scale_w, p->w_in, p->w_out), p->w_in, ix, wx);
                    for (i = 0; i < 4; ++i) {
                        const float *xr = xc + iy[i] * p->w_in;
                        float row = 0.0f;
                        for (j = 0; j < 4; ++j) row += wx[j] * xr[ix[j]];
                        acc += wy[i] * row;
                    }
                    *y++ = acc;
                }
            }
        }
    }
    return MLC_OK;
}

int mlc_resize_scales_f32(const mlc_resize_scales_params_t *p, const float *x, const float *scales, float *y)
{
    mlc_resize_params_t r = p->r;
    int32_t i;
    for (i = 0; i < 31; ++i) {
        if (((p->unit_mask >> i) & 1) != 0 && scales[i] != 1.0f) return MLC_EINVAL;
    }
    if (p->scale_h_index >= 0) r.scale_h = scales[p->scale_h_index];
    if (p->scale_w_index >= 0) r.scale_w = scales[p->scale_w_index];
    return mlc_resize_f32(&r, x, y);
}
