/*
 * Test firmware: the DSP int8 kernels (mlc_*) against the reference kernels (ref_*, renamed at compile
 * time) on seeded random cases, byte for byte, return codes included, on the board itself.
 * Exits 0 when everything matches; on a mismatch prints the case on the semihosting console and exits with
 * 1 + kernel index. Build: tests/kernels_dsp/dsp_fw.py (FW_SEED and FW_CASES may be -D'd).
 */
#include <stdint.h>
#include <string.h>

#include "dsp_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/port.h"
#include "mlc/requant.h"

#ifndef FW_SEED
#define FW_SEED 1u
#endif
#ifndef FW_CASES
#define FW_CASES 500
#endif
#define FW_RNG_INIT (0x9E3779B9u * (FW_SEED + 1u))
#include "fw_util.h"

int ref_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y);
int ref_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y);
int ref_avgpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y);
int ref_mean_s8(const mlc_mean_s8_params_t *p, const int8_t *x, int8_t *y);
int ref_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y);
int ref_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y);
int ref_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y);
int ref_dequantize_s8_f32(const mlc_quant_params_t *p, const int8_t *x, float *y);

#define XB 24576
#define WB 65536
#define YB 24576
#define CB 1024
#define GUARD 64

static int8_t xbuf[XB], x2buf[XB], wbuf[WB];
static int8_t y_ref[YB + GUARD], y_dsp[YB + GUARD];
static int32_t bias[CB], mult[CB];
static int8_t shift[CB];
static int32_t qm[CB];
static int16_t scratch[WB / 2 + GUARD];
#define FB 4096
static float fbuf[FB], fy_ref[FB + GUARD], fy_dsp[FB + GUARD];

static void fill(int8_t *p, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) p[i] = (int8_t)(rnd() >> 24);
}

/* ------------------------------------------------------------------------------------- requant */

static void random_requant(int32_t c, int32_t taps)
{
    const int mode = (int)(rnd() % 8u);
    int32_t i, range = 1 << 23;
    if (mode == 0 && taps < 30000) range = (int32_t)((1u << 30) - (uint32_t)taps * 32640u); /* slow path */
    for (i = 0; i < c; ++i) {
        bias[i] = rr(-range, range);
        mult[i] = chance(5) ? 0 : (int32_t)(0x40000000u | (rnd() >> 2));
        if (mode <= 1) {
            shift[i] = rr(-31, 30);
        } else if (mode == 2) {
            shift[i] = rr(-2, 3);
        } else if (mode == 7) { /* around the edges of dsp_util.h's mlc_dsp_rows_uniform */
            shift[i] = rr(-17, 0);
            if (chance(10)) bias[i] = (chance(50) ? -1 : 1) * ((1 << 29) - (int32_t)rr(0, 1));
            if (chance(10)) bias[i] = -(1 << 29) - (int32_t)rr(0, 1);
        } else {
            shift[i] = rr(-14, 0);
        }
        if (mode == 3 && i > 0) { /* per tensor */
            mult[i] = mult[0];
            shift[i] = shift[0];
        }
    }
}

static void random_clamp(int32_t *lo, int32_t *hi, int32_t yzp)
{
    *lo = -128;
    *hi = 127;
    if (chance(25)) {
        *lo = rr(-128, 127);
        *hi = rr(*lo, 127);
    } else if (chance(20)) {
        *lo = yzp; /* relu */
    }
}

static int32_t random_zp(void)
{
    const uint32_t r = rnd() % 8u;
    return r <= 1 ? -128 : r == 2 ? 127 : r == 3 ? 0 : rr(-128, 127); /* -128: ReLU outputs (conv_t.notie) */
}

/* A fixed convolution case: one image, square kernel k, stride and padding the same on every side, dilation
   1, weights OIHW. */
static void fixed_conv(mlc_conv2d_s8_params_t *p, int32_t *pad_b, int32_t *pad_r, int32_t c_in, int32_t c_out,
                       int32_t groups, int32_t k, int32_t stride, int32_t h, int32_t w, int32_t pad)
{
    p->n = 1;
    p->c_in = c_in;
    p->c_out = c_out;
    p->groups = groups;
    p->k_h = p->k_w = k;
    p->stride_h = p->stride_w = stride;
    p->dil_h = p->dil_w = 1;
    p->h_in = h;
    p->w_in = w;
    p->pad_top = p->pad_left = *pad_b = *pad_r = pad;
    p->w_layout = MLC_CONV_W_OIHW;
}

/* The prepared requantization of dsp_util.h against requant.h, where it claims to be exact. */
static int test_requant(void)
{
    int32_t k;
    for (k = 0; k < 20000; ++k) {
        const int32_t taps = rr(0, 5000), zp = random_zp();
        int32_t b, acc, lo, hi, want, got;
        mlc_dsp_rq_t q;
        random_requant(1, taps);
        random_clamp(&lo, &hi, zp);
        b = bias[0];
        if (chance(50)) { /* near zero, where the rounding ties of small right shifts are frequent */
            acc = rr(-4096, 4096);
            b = acc;
        } else {
            acc = b + rr(-taps, taps) * (chance(50) ? 32640 : rr(0, 32640));
        }
        mlc_dsp_rq_prepare(&q, mult[0], shift[0], zp, b, taps);
        want = mlc_requant_s8(acc, mult[0], shift[0], zp, lo, hi);
        got = (int32_t)(int8_t)(uint8_t)mlc_dsp_clamp4((uint32_t)mlc_dsp_rq1(acc, &q, zp, lo, hi), mlc_dsp_dup4(lo),
                                                       mlc_dsp_dup4(hi));
        if (want != got) {
            const int32_t v[] = {acc, mult[0], shift[0], zp, lo, hi, b, taps, q.fast, want, got};
            report("requant", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------- conv */

/* The bytes after the scratch the kernel may use still hold the fill pattern. */
static int scratch_intact(const int16_t *scr, int32_t cig, const mlc_conv2d_s8_params_t *p)
{
    const uint8_t *b = (const uint8_t *)scratch;
    size_t i, used;
    if (scr == NULL) return 1;
    (void)cig;
    used = (size_t)(scr - scratch) * 2u + (size_t)mlc_conv2d_s8_scratch_bytes(p);
    for (i = used; i < used + GUARD && i < sizeof scratch; ++i) {
        if (b[i] != 0xA5) return 0;
    }
    return 1;
}

static int test_conv(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_conv2d_s8_params_t p;
        const int kind = (int)(rnd() % 9u);
        int w3 = 0;
        int32_t cig, taps, nx, nw, ny, pad_b, pad_r, rc_ref, rc_dsp, lo, hi, span;
        int16_t *scr = scratch;
        const int32_t *bp = bias;
        memset(&p, 0, sizeof p);
        p.n = chance(15) ? 2 : 1;
        p.k_h = rr(1, 4);
        p.k_w = rr(1, 4);
        p.stride_h = chance(30) ? rr(2, 3) : 1;
        p.stride_w = chance(30) ? rr(2, 3) : 1;
        p.dil_h = chance(15) ? rr(2, 3) : 1;
        p.dil_w = chance(15) ? rr(2, 3) : 1;
        p.groups = 1;
        p.h_in = rr(1, 12);
        p.w_in = rr(1, 12);
        switch (kind) {
        case 0: /* depthwise 3x3, the special path (narrow and wide rows, some wider than its ring) */
        case 1:
            p.c_in = p.c_out = p.groups = rr(1, 8);
            p.k_h = p.k_w = 3;
            p.dil_h = p.dil_w = 1;
            p.stride_w = chance(30) ? 2 : 1;
            p.w_in = chance(15) ? rr(120, 150) : chance(10) ? rr(150, 340) : rr(1, 30); /* 150+: chunked lines */
            p.h_in = chance(10) ? rr(20, 70) : rr(1, 10); /* tall: bands and passes of several lines */
            if (chance(20)) { /* planes 3 outputs wide (rows of 3 at stride 1, of 6 at stride 2; padding below) */
                w3 = 1;
                p.w_in = p.stride_w == 2 ? 6 : 3;
                p.h_in = chance(60) ? p.w_in : rr(2, 8);
                if (chance(60)) p.stride_h = p.stride_w;
            } else if (chance(20)) { /* planes 6 wide at stride 1 (padding 1 below) */
                w3 = 2;
                p.w_in = 6;
                p.h_in = rr(1, 8);
                p.stride_h = p.stride_w = 1;
            } else if (chance(20)) { /* stride 2 on planes twice the output (padding below), rows in place */
                w3 = 3;
                p.w_in = 4 * rr(1, 16);
                p.h_in = 2 * rr(1, 6);
                p.stride_h = p.stride_w = 2;
            }
            if (chance(5)) { /* one or two columns too tall for the transposed copy: flat lines of 1-2 bytes */
                p.w_in = rr(1, 2);
                p.h_in = rr(330, 420);
                p.stride_h = 1;
            }
            break;
        case 2: /* depthwise or channel multiplier, any kernel */
            p.groups = p.c_in = rr(1, 6);
            p.c_out = p.c_in * rr(1, 2);
            break;
        case 3: /* grouped */
            p.groups = rr(2, 3);
            p.c_in = p.groups * rr(1, 4);
            p.c_out = p.groups * rr(1, 5);
            break;
        case 4: /* pointwise fast paths (up to 8 input channels: chunks of pixels, planes up to 3 chunks) */
            p.k_h = p.k_w = 1;
            p.stride_h = p.stride_w = 1;
            p.c_in = chance(40) ? rr(1, 8) : chance(40) ? 16 * rr(1, 4) : rr(1, 70);
            if (chance(30)) p.h_in = rr(12, 16);
            p.c_out = rr(1, 70);
            if (chance(50)) p.col_tiles = rr(0, 12); /* several tiles' columns at once (16-tap multiples) */
            break;
        case 8: /* weights with the input channel innermost: the ring of input rows (channels a multiple of
                   4, or kernel rows of whole blocks of four taps) or else the reference loop */
            p.c_in = chance(70) ? 4 * rr(1, 6) : rr(1, 3);
            if (p.c_in < 4 && chance(80)) {
                p.dil_w = 1;
                p.k_w = p.c_in == 2 ? 2 * rr(1, 2) : 4;
            }
            p.c_out = rr(1, 40);
            p.w_in = rr(1, 40);
            p.w_layout = MLC_CONV_W_OHWI;
            break;
        case 5: /* 3x3 stride 1 pad 1 or stride 2 (pad 0 or 1), the im2col fast stagings */
            p.k_h = p.k_w = 3;
            p.stride_h = p.stride_w = chance(50) ? 2 : 1;
            p.dil_h = p.dil_w = 1;
            p.c_in = rr(1, 20);
            p.c_out = rr(1, 40);
            p.h_in = rr(1, 10);
            p.w_in = rr(1, 16);
            if (p.stride_w == 2 && chance(50)) { /* rows of whole six-pixel tiles inside the input */
                p.c_in = rr(1, 9);
                p.w_in = rr(13, 40);
                if (chance(50)) p.col_tiles = rr(0, 12); /* several tiles' columns at once */
            }
            break;
        default:
            p.c_in = rr(1, 12);
            p.c_out = rr(1, 20);
            break;
        }
        if (p.k_h == 1 && p.k_w == 1 && kind == 4) {
            p.pad_top = p.pad_left = pad_b = pad_r = 0;
        } else if (chance(70)) {
            p.pad_top = rr(0, 2);
            p.pad_left = rr(0, 2);
            pad_b = rr(0, 2);
            pad_r = rr(0, 2);
        } else {
            p.pad_top = p.pad_left = pad_b = pad_r = 0;
        }
        if (kind == 5) p.pad_top = p.pad_left = pad_b = pad_r = p.stride_h == 1 ? 1 : rr(0, 1);
        if (w3 == 1) { /* 3 outputs wide: padding 1 on the left (and, at stride 1, on the right) */
            p.pad_left = 1;
            pad_r = p.stride_w == 2 ? rr(0, 1) : 1;
            p.pad_top = chance(70) ? 1 : 0;
            pad_b = p.stride_h == 2 ? rr(0, 1) : p.pad_top;
        } else if (w3 == 2) { /* 6 wide: padding 1 on every side, now and then not */
            p.pad_top = p.pad_left = pad_b = pad_r = chance(90) ? 1 : rr(0, 2);
        } else if (w3 == 3) {
            p.pad_top = p.pad_left = chance(90) ? 1 : rr(0, 2);
            pad_b = rr(0, 1);
            pad_r = rr(0, 1);
        }
        if (chance(5)) p.pad_top = -1; /* legal for the reference: the windows start inside */
        if (chance(5)) p.pad_left = -1;
        /* fixed cases first, each once: */
        if (k == 0) { /* depthwise lines of one output (w_out 1) too tall for the transposed copy, which once
                         moved by words past the plane's end */
            fixed_conv(&p, &pad_b, &pad_r, 3, 3, 3, 3, 1, 400, 1, 1);
        } else if (k == 1) { /* a plane ending in five pixels for more than 64 output channels (the five-pixel
                                tile's buffer takes 64 channels at a time) */
            fixed_conv(&p, &pad_b, &pad_r, 16, 70, 1, 1, 1, 1, 11, 0);
        } else if (k <= 4) { /* small depthwise planes (6x6, 3x3, 6x6 at stride 2), their short lines
                                requantized straight into place, without and with the tie term */
            fixed_conv(&p, &pad_b, &pad_r, 8, 8, 8, 3, k == 4 ? 2 : 1, k == 3 ? 3 : 6, k == 3 ? 3 : 6, 1);
        } else if (k == 5) { /* a first layer (3x3, stride 2, padding 1) whose rows are whole six-pixel tiles:
                                a row's first tile stages its left padding column from the previous row */
            fixed_conv(&p, &pad_b, &pad_r, 3, 8, 1, 3, 2, 14, 24, 1);
            p.col_tiles = 5; /* runs of tiles across rows (2 a row), staged at once */
        }
        span = p.h_in + p.pad_top + pad_b - p.dil_h * (p.k_h - 1) - 1;
        p.h_out = span < 0 ? 0 : span / p.stride_h + 1;
        span = p.w_in + p.pad_left + pad_r - p.dil_w * (p.k_w - 1) - 1;
        p.w_out = span < 0 ? 0 : span / p.stride_w + 1;
        if (k > 5 && chance(5)) p.h_out += rr(0, 2); /* windows beyond the input are legal: padding */
        if (k > 5 && chance(5)) p.w_out += rr(0, 2);
        if (p.h_out == 0 || p.w_out == 0) {
            --k;
            continue;
        }
        cig = p.c_in / p.groups;
        taps = cig * p.k_h * p.k_w;
        nx = p.n * p.c_in * p.h_in * p.w_in;
        nw = p.c_out * taps;
        ny = p.n * p.c_out * p.h_out * p.w_out;
        if (kind != 8 && k > 5 && chance(20)) p.w_layout = MLC_CONV_W_OHWI; /* every kernel reads both */
        if (nx > XB || nw > WB || ny > YB || p.c_out > CB || mlc_conv2d_s8_scratch_bytes(&p) + 4 > 2 * (WB / 2)) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        if (w3 && chance(70)) lo = -128, hi = 127; /* the assembly requantization's case */
        if (k <= 4) lo = -128, hi = 127; /* the assembly requantization's case */
        if (k >= 2 && k <= 4) p.y_zero_point = k == 3 ? 5 : -128;
        if ((k == 5 || p.col_tiles > 1) && chance(70)) p.y_zero_point = -128, lo = -128, hi = 127; /* notie */
        if (w3 == 2 && chance(70)) p.y_zero_point = -128; /* ReLU outputs (conv_t.notie): the 6-wide kernel's case */
        p.act_min = lo;
        p.act_max = hi;
        fill(xbuf, nx);
        fill(wbuf, nw);
        random_requant(p.c_out, taps);
        if ((w3 && chance(70)) || k == 5) { /* small biases and shifts: most outputs off the int8 limits */
            int32_t i;
            for (i = 0; i < p.c_out; ++i) {
                bias[i] = rr(-20000, 20000);
                shift[i] = rr(-13, -7);
            }
        }
        if (k >= 1 && k <= 4) { /* every channel on the assembly's form: a right shift */
            int32_t i;
            for (i = 0; i < p.c_out; ++i) {
                shift[i] = (int8_t)-rr(1, 14);
                bias[i] = rr(-(1 << 20), 1 << 20);
            }
        }
        if (chance(15)) bp = NULL;
        if (k > 5 && chance(4)) scr = NULL;
        if (k > 5 && chance(4)) scr = scratch + 1; /* not 4-aligned: must not fault */
        if (k > 5 && chance(4)) { /* invalid parameters: both must refuse */
            switch (rnd() % 7u) {
            case 6: p.w_layout = 2; break;
            case 0: p.x_zero_point = 128; break;
            case 1: p.act_min = 5, p.act_max = 4; break;
            case 2: shift[rr(0, p.c_out - 1)] = 31; break;
            case 3: mult[rr(0, p.c_out - 1)] = -1; break;
            case 4: p.stride_w = 0; break;
            default: p.groups = p.c_in + 1; break;
            }
        }
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        memset(scratch, 0xA5, sizeof scratch);
        pack_qm(mult, shift, qm, p.c_out);
        rc_ref = ref_conv2d_s8(&p, xbuf, wbuf, bp, qm, scr, y_ref);
        rc_dsp = mlc_conv2d_s8(&p, xbuf, wbuf, bp, qm, scr, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0 || !scratch_intact(scr, cig, &p)) {
            const int32_t v[] = {rc_ref, rc_dsp, p.n, p.c_in, p.h_in, p.w_in, p.c_out, p.h_out, p.w_out, p.k_h,
                                 p.k_w, p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.pad_top, p.pad_left, p.groups,
                                 p.x_zero_point, p.y_zero_point, p.act_min, p.act_max, bp != NULL,
                                 (int32_t)(scr - scratch), kind, p.w_layout};
            report("conv2d", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* --------------------------------------------------------------------------------------------- fc */

static int test_fc(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_fc_s8_params_t p;
        const int32_t *bp = bias;
        int32_t rc_ref, rc_dsp, lo, hi;
        p.m = chance(20) ? rr(2, 3) : 1;
        p.n = chance(50) ? rr(1, 12) : rr(1, 80);
        p.k = chance(10) ? rr(0, 3) : chance(20) ? rr(513, 700) : rr(1, 300);
        if (p.m * p.k > XB || p.n * p.k > WB || p.m * p.n > YB) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        p.w_layout = chance(50) ? MLC_FC_W_ROWS4 : MLC_FC_W_ROWS;
        fill(xbuf, p.m * p.k);
        fill(wbuf, p.n * p.k);
        random_requant(p.n, p.k);
        if (chance(15)) bp = NULL;
        if (chance(4)) {
            switch (rnd() % 5u) {
            case 0: p.y_zero_point = -129; break;
            case 1: shift[rr(0, p.n - 1)] = -32; break;
            case 2: p.k = MLC_S8_MAX_TAPS + 1; break;
            case 3: p.w_layout = 2; break;
            default: p.m = -1; break;
            }
        }
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        pack_qm(mult, shift, qm, p.n);
        rc_ref = ref_fc_s8(&p, xbuf, wbuf, bp, qm, y_ref);
        rc_dsp = mlc_fc_s8(&p, xbuf, wbuf, bp, qm, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_dsp, p.m, p.n, p.k, p.x_zero_point, p.y_zero_point, p.act_min, p.act_max,
                                 bp != NULL};
            report("fc", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------- pool, mean, add */

static int test_avgpool(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_pool2d_s8_params_t p;
        int32_t span, rc_ref, rc_dsp, lo, hi;
        p.n = chance(20) ? 2 : 1;
        p.c = rr(1, 4);
        p.h_in = rr(1, 14);
        p.w_in = rr(1, 40);
        p.k_h = chance(40) ? 2 : rr(0, 3);
        p.k_w = chance(40) ? 2 : rr(0, 4);
        p.stride_h = chance(50) ? 2 : rr(1, 3);
        p.stride_w = chance(50) ? 2 : rr(1, 3);
        p.dil_h = chance(20) ? 2 : 1;
        p.dil_w = chance(20) ? 2 : 1;
        p.pad_top = chance(50) ? rr(0, 2) : 0;
        p.pad_left = chance(50) ? rr(0, 2) : 0;
        p.pad_bottom = chance(50) ? rr(0, 2) : 0;
        p.pad_right = chance(50) ? rr(0, 2) : 0;
        if (chance(5)) p.pad_left = -1;
        span = p.h_in + p.pad_top + p.pad_bottom - p.dil_h * ((p.k_h > 0 ? p.k_h : 1) - 1) - 1;
        p.h_out = (span < 0 ? 0 : span / p.stride_h + 1) + rr(0, 1);
        span = p.w_in + p.pad_left + p.pad_right - p.dil_w * ((p.k_w > 0 ? p.k_w : 1) - 1) - 1;
        p.w_out = (span < 0 ? 0 : span / p.stride_w + 1) + rr(0, 1);
        p.count_include_pad = (int32_t)(rnd() & 1u);
        p.zero_point = random_zp();
        random_clamp(&lo, &hi, p.zero_point);
        p.act_min = lo;
        p.act_max = hi;
        fill(xbuf, p.n * p.c * p.h_in * p.w_in);
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        rc_ref = ref_avgpool2d_s8(&p, xbuf, y_ref);
        rc_dsp = mlc_avgpool2d_s8(&p, xbuf, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_dsp, p.n, p.c, p.h_in, p.w_in, p.h_out, p.w_out, p.k_h, p.k_w, p.stride_h,
                                 p.stride_w, p.dil_h, p.dil_w, p.pad_top, p.pad_left, p.pad_bottom, p.pad_right,
                                 p.count_include_pad, p.zero_point, p.act_min, p.act_max};
            report("avgpool2d", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

static int test_mean(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_mean_s8_params_t p;
        int32_t rc_ref, rc_dsp, lo, hi;
        p.outer = rr(0, 8);
        p.axis = rr(0, 600);
        p.inner = chance(50) ? 1 : rr(1, 4);
        if (p.outer * p.axis * p.inner > XB) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        random_requant(1, 1);
        p.mult = mult[0];
        p.shift = shift[0];
        fill(xbuf, p.outer * p.axis * p.inner);
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        rc_ref = ref_mean_s8(&p, xbuf, y_ref);
        rc_dsp = mlc_mean_s8(&p, xbuf, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_dsp, p.outer, p.axis, p.inner, p.x_zero_point, p.y_zero_point, p.mult,
                                 p.shift, p.act_min, p.act_max};
            report("mean", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* Random Add parameters; extreme: multipliers of 0 and 2^31 - 1, small left-shifting input multipliers. */
static void random_add_params(mlc_binary_s8_params_t *p, int extreme)
{
    p->a_zero_point = random_zp();
    p->b_zero_point = random_zp();
    p->y_zero_point = random_zp();
    p->left_shift = chance(60) ? 20 : rr(0, 22);
    p->a_mult = (int32_t)(0x40000000u | (rnd() >> 2));
    p->b_mult = (int32_t)(0x40000000u | (rnd() >> 2));
    p->y_mult = (int32_t)(0x40000000u | (rnd() >> 2));
    p->a_shift = chance(60) ? rr(-3, 0) : rr(-31, 0); /* input multipliers below 1, as add_params */
    p->b_shift = chance(60) ? rr(-3, 0) : rr(-31, 0);
    p->y_shift = chance(60) ? -rr(p->left_shift, p->left_shift + 7) : rr(-31, 30);
    if (extreme) {
        if (chance(30)) p->a_mult = 0x7FFFFFFF;
        if (chance(30)) p->b_mult = chance(30) ? 0 : 0x7FFFFFFF;
        if (chance(30)) p->y_mult = chance(30) ? 0 : 0x7FFFFFFF;
        if (chance(30)) { /* left-shifting inputs, small enough that a' + b' cannot overflow */
            p->left_shift = rr(0, 3);
            p->a_shift = rr(0, 5);
            p->b_shift = rr(0, 5);
        }
    }
    random_clamp(&p->act_min, &p->act_max, p->y_zero_point);
}

static int check_add(const mlc_binary_s8_params_t *p, int32_t k, int32_t na, int32_t nb, int32_t size)
{
    int32_t rc_ref, rc_dsp;
    fill(xbuf, na);
    fill(x2buf, nb);
    memset(y_ref, 0x5A, sizeof y_ref);
    memset(y_dsp, 0x5A, sizeof y_dsp);
    rc_ref = ref_add_s8(p, xbuf, x2buf, y_ref);
    rc_dsp = mlc_add_s8(p, xbuf, x2buf, y_dsp);
    if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
        const int32_t v[] = {rc_ref, rc_dsp, p->rank, size, p->a_zero_point, p->b_zero_point, p->y_zero_point,
                             p->left_shift, p->a_mult, p->a_shift, p->b_mult, p->b_shift, p->y_mult, p->y_shift,
                             p->act_min, p->act_max};
        report("add", k, v, (int32_t)(sizeof v / sizeof v[0]));
        return 1;
    }
    return 0;
}

static int test_add(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_binary_s8_params_t p;
        int32_t d, sa = 1, sb = 1, size = 1;
        memset(&p, 0, sizeof p);
        p.rank = rr(0, 4);
        for (d = p.rank - 1; d >= 0; --d) { /* dense output, each operand broadcast along some axes */
            p.dims[d] = rr(1, 8);
            p.a_strides[d] = chance(25) ? 0 : sa;
            p.b_strides[d] = chance(25) ? 0 : sb;
            sa *= p.a_strides[d] ? p.dims[d] : 1;
            sb *= p.b_strides[d] ? p.dims[d] : 1;
            size *= p.dims[d];
        }
        random_add_params(&p, chance(20));
        if (chance(3)) { /* invalid parameters: both must refuse */
            switch (rnd() % 4u) {
            case 0: p.left_shift = 23; break;
            case 1: p.b_zero_point = 128; break;
            case 2: p.y_shift = -32; break;
            default: p.a_mult = -1; break;
            }
        }
        if (check_add(&p, k, sa, sb, size)) return 1;
    }
    /* large tensors (the DSP kernel's table path and just below it), residual-style broadcasting */
    for (k = 0; k < FW_CASES / 2; ++k) {
        mlc_binary_s8_params_t p;
        int32_t na, nb, size;
        const int kind = (int)(rnd() % 4u);
        memset(&p, 0, sizeof p);
        if (kind == 0) { /* flat, around the threshold, or big */
            p.rank = 1;
            p.dims[0] = chance(50) ? rr(1, 1200) : rr(1, YB);
            p.a_strides[0] = p.b_strides[0] = 1;
            na = nb = size = p.dims[0];
        } else if (kind == 1) { /* [C, H, W] + [C, 1, 1] */
            p.rank = 3;
            p.dims[0] = rr(1, 32);
            p.dims[1] = rr(1, 24);
            p.dims[2] = rr(1, 24);
            p.a_strides[0] = p.dims[1] * p.dims[2];
            p.a_strides[1] = p.dims[2];
            p.a_strides[2] = 1;
            p.b_strides[0] = 1;
            na = size = p.dims[0] * p.dims[1] * p.dims[2];
            nb = p.dims[0];
        } else if (kind == 2) { /* [R, N] + [R, 1]: stride 0 along the runs */
            p.rank = 2;
            p.dims[0] = rr(1, 60);
            p.dims[1] = rr(2, 300);
            p.a_strides[0] = p.dims[1];
            p.a_strides[1] = 1;
            p.b_strides[0] = 1;
            na = size = p.dims[0] * p.dims[1];
            nb = p.dims[0];
        } else { /* scalar + tensor */
            p.rank = 2;
            p.dims[0] = rr(1, 60);
            p.dims[1] = rr(1, 300);
            p.b_strides[0] = p.dims[1];
            p.b_strides[1] = 1;
            nb = size = p.dims[0] * p.dims[1];
            na = 1;
        }
        if (size > YB) {
            --k;
            continue;
        }
        random_add_params(&p, chance(30));
        if (check_add(&p, FW_CASES + k, na, nb, size)) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------- channel affine */

static int test_affine(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_channel_affine_s8_params_t p;
        const int32_t *bp = bias;
        int32_t rc_ref, rc_dsp, lo, hi, c, n;
        const uint32_t r = rnd() % 10u;
        p.outer = rr(0, 3);
        p.channels = rr(0, 40);
        p.inner = r < 3 ? 1 : r < 6 ? rr(0, 8) : r < 7 ? rr(500, 700) : rr(9, 120);
        if (chance(5)) { /* around the DSP kernel's 256-channel limit of its in-loop checks */
            p.outer = 1;
            p.channels = rr(250, 300);
            p.inner = 1;
        }
        n = p.outer * p.channels * p.inner;
        if (n > XB || n > YB) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        fill(xbuf, n);
        fill(wbuf, p.channels);
        if (chance(20)) {
            for (c = 0; c < p.channels; ++c) {
                if (chance(50)) wbuf[c] = -128;
            }
        }
        random_requant(p.channels > 0 ? p.channels : 1, 1);
        if (chance(20)) {
            for (c = 0; c < p.channels; ++c) {
                if (chance(50)) bias[c] = chance(50) ? (1 << 30) : -(1 << 30);
            }
        }
        if (chance(15)) bp = NULL;
        if (chance(4)) {
            switch (rnd() % 6u) {
            case 0: p.x_zero_point = 128; break;
            case 1: p.act_min = 5, p.act_max = 4; break;
            case 2: p.inner = -1; break;
            case 3: p.channels > 0 ? (void)(shift[rr(0, p.channels - 1)] = 31) : (void)0; break;
            case 4: p.channels > 0 ? (void)(mult[rr(0, p.channels - 1)] = -1) : (void)0; break;
            default: p.channels > 0 && bp != NULL ? (void)(bias[rr(0, p.channels - 1)] = (1 << 30) + 1) : (void)0;
                     break;
            }
        }
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        pack_qm(mult, shift, qm, p.channels);
        rc_ref = ref_channel_affine_s8(&p, xbuf, wbuf, bp, qm, y_ref);
        rc_dsp = mlc_channel_affine_s8(&p, xbuf, wbuf, bp, qm, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_dsp, p.outer, p.channels, p.inner, p.x_zero_point, p.y_zero_point,
                                 p.act_min, p.act_max, bp != NULL, mult[0], shift[0], bias[0]};
            report("channel_affine", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------- float boundary */

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Random bit patterns (NaNs of any sign and payload, infinities, denormals, zeros), exact ties of
   v = x / scale, the saturation edges, ordinary values. */
static float random_float(float scale)
{
    static const uint32_t edges[] = {
        0x00000000u, 0x80000000u, 0x3F000000u /* 0.5 */, 0xBF000000u, 0x3FC00000u /* 1.5 */, 0x40200000u /* 2.5 */,
        0x42FD0000u /* 126.5 */, 0x42FF0000u /* 127.5 */, 0x43008000u /* 128.5 */, 0xC3008000u, 0xC3018000u,
        0x437F8000u /* 255.5 */, 0x43800000u /* 256 */, 0x43804000u /* 256.5 */, 0xC3804000u, 0x43808000u,
        0x00000001u /* smallest denormal */, 0x80000001u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu /* FLT_MAX */,
        0xFF7FFFFFu, 0x7F800000u /* inf */, 0xFF800000u, 0x7FC00000u /* NaN */, 0xFFC00000u, 0x7F800001u,
        0x4A7FFFFEu /* 4194303.5 */, 0x4B000000u /* 2^23 */};
    const uint32_t r = rnd() % 8u;
    float v;
    if (r < 3) return bits_float(rnd());
    if (r < 5) v = bits_float(edges[rnd() % (sizeof edges / sizeof edges[0])]);
    else if (r < 7) v = (float)rr(-300, 300) + 0.5f;
    else v = (float)rr(-300000, 300000) / 1000.0f;
    return chance(50) ? v * scale : v;
}

static float random_scale(void)
{
    static const uint32_t special[] = {0x3F800000u /* 1 */, 0x3F000000u, 0x40000000u, 0x3C000000u /* 2^-7 */,
                                       0x3DCCCCCDu /* 0.1 */, 0x00000001u, 0x00800000u, 0x7F7FFFFFu,
                                       0x7F800000u /* inf */};
    if (chance(40)) return bits_float(special[rnd() % (sizeof special / sizeof special[0])]);
    return (float)rr(1, 1000000) / 65536.0f;
}

static int test_quantize(void)
{
    int32_t k, i;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_quant_params_t p;
        int32_t rc_ref, rc_dsp;
        p.size = chance(10) ? rr(0, 7) : rr(0, FB);
        p.scale = random_scale();
        p.zero_point = random_zp();
        for (i = 0; i < p.size; ++i) fbuf[i] = random_float(p.scale);
        if (chance(4)) {
            switch (rnd() % 5u) {
            case 0: p.size = -1; break;
            case 1: p.scale = 0.0f; break;
            case 2: p.scale = -p.scale; break;
            case 3: p.scale = bits_float(0x7FC00000u); break;
            default: p.zero_point = chance(50) ? 128 : -129; break;
            }
        }
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_dsp, 0x5A, sizeof y_dsp);
        rc_ref = ref_quantize_f32_s8(&p, fbuf, y_ref);
        rc_dsp = mlc_quantize_f32_s8(&p, fbuf, y_dsp);
        if (rc_ref != rc_dsp || memcmp(y_ref, y_dsp, sizeof y_ref) != 0) {
            int32_t bad = 0;
            while (bad < p.size && y_ref[bad] == y_dsp[bad]) ++bad;
            {
                const int32_t v[] = {rc_ref, rc_dsp, p.size, (int32_t)float_bits(p.scale), p.zero_point, bad,
                                     bad < p.size ? (int32_t)float_bits(fbuf[bad]) : 0,
                                     bad < p.size ? y_ref[bad] : 0, bad < p.size ? y_dsp[bad] : 0};
                report("quantize", k, v, (int32_t)(sizeof v / sizeof v[0]));
            }
            return 1;
        }
    }
    return 0;
}

static int test_dequantize(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_quant_params_t p;
        int32_t rc_ref, rc_dsp;
        p.size = chance(10) ? rr(0, 7) : rr(0, FB);
        p.scale = chance(20) ? random_float(1.0f) : random_scale();
        p.zero_point = random_zp();
        if (chance(4)) p.zero_point = chance(50) ? 128 : -129;
        if (chance(3)) p.size = -1;
        fill(xbuf, p.size);
        memset(fy_ref, 0x5A, sizeof fy_ref);
        memset(fy_dsp, 0x5A, sizeof fy_dsp);
        rc_ref = ref_dequantize_s8_f32(&p, xbuf, fy_ref);
        rc_dsp = mlc_dequantize_s8_f32(&p, xbuf, fy_dsp);
        if (rc_ref != rc_dsp || memcmp(fy_ref, fy_dsp, sizeof fy_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_dsp, p.size, (int32_t)float_bits(p.scale), p.zero_point};
            report("dequantize", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    if (test_requant()) return 1;
    if (test_conv()) return 2;
    if (test_fc()) return 3;
    if (test_avgpool()) return 4;
    if (test_mean()) return 5;
    if (test_add()) return 6;
    if (test_affine()) return 7;
    if (test_quantize()) return 8;
    if (test_dequantize()) return 9;
    mlc_port_debug_write("dsp kernels: all cases match\n");
    return 0;
}
