/*
 * Test firmware for the Helium kernels (runtime_c/kernels/mve) on the emulated Cortex-M55, next to
 * fw_compare.c's random cases: the shapes that steer the MVE kernels onto their other paths and edges
 * (more channels than one prepared chunk, tap counts around multiples of 16, gather offsets past 16 bits,
 * depthwise rows too wide for the stack buffer, windows wider than one gather, strided and dilated
 * depthwise, extreme data and requantization, rounding ties), mlc_channel_affine_s8 and
 * mlc_quantize_f32_s8 (ties, NaN, infinities, denormals, huge values). Each result is compared byte for
 * byte, return code included, with the reference kernel (ref_*, renamed at compile time). Exits 0 when all
 * match; else prints the case and exits 1 + kernel index. Build: dsp_fw.py with dirs ("mve", "dsp").
 */
#include <stdint.h>
#include <string.h>

#include "mlc/kernels_s8.h"
#include "mlc/port.h"
#include "mlc/requant.h"

#ifndef FW_SEED
#define FW_SEED 1u
#endif
#ifndef FW_CASES
#define FW_CASES 300
#endif
#define FW_RNG_INIT (0x2545F491u * (FW_SEED + 7u))
#include "fw_util.h"

int ref_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y);
int ref_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y);
int ref_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y);
int ref_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y);

#define XB 90000
#define WB 40000
#define YB 40000
#define CB 300
#define GUARD 64

static int8_t xbuf[XB], wbuf[WB];
static int8_t y_ref[YB + GUARD], y_mve[YB + GUARD];
static int32_t bias[CB], mult[CB];
static int8_t shift[CB];
static int32_t qm[CB];
static int16_t scratch[WB / 2 + GUARD];

/* random bytes, or all at one extreme (the largest accumulators) */
static void fill(int8_t *p, int32_t n, int extreme)
{
    int32_t i;
    for (i = 0; i < n; ++i) p[i] = extreme ? (int8_t)(extreme > 0 ? 127 : -128) : (int8_t)(rnd() >> 24);
}

/* small accumulators (x near its zero point, small weights) with small right shifts: the rounding ties of
   the requantization, which random data at realistic scales almost never reaches unclamped */
static int ties;

static void fill_small(int8_t *x, int32_t nx, int32_t xzp, int8_t *w, int32_t nw)
{
    int32_t i, v;
    for (i = 0; i < nx; ++i) {
        v = xzp + rr(-2, 2);
        x[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    for (i = 0; i < nw; ++i) w[i] = (int8_t)rr(-3, 3);
}

/* bias range: small, near the int32 limit of the taps, or none; every shift, or realistic ones */
static void random_requant(int32_t c, int32_t taps, int32_t bias_limit)
{
    const int mode = (int)(rnd() % 6u);
    int32_t i, range = 1 << 23;
    if (mode == 0 && taps < 30000) range = (int32_t)((1u << 30) - (uint32_t)taps * 32640u);
    if (range > bias_limit) range = bias_limit;
    for (i = 0; i < c; ++i) {
        bias[i] = rr(-range, range);
        mult[i] = chance(5) ? 0 : chance(5) ? 0x7FFFFFFF : (int32_t)(0x40000000u | (rnd() >> 2));
        shift[i] = mode <= 1 ? rr(-31, 30) : mode == 2 ? rr(-2, 3) : rr(-14, 0);
        if (ties) {
            bias[i] = rr(-40, 40);
            mult[i] = chance(50) ? 1 << 30 : (int32_t)(0x40000000u | (rnd() >> 2));
            shift[i] = rr(-6, 1);
        }
    }
}

static int32_t random_zp(void)
{
    const uint32_t r = rnd() % 6u;
    return r == 0 ? -128 : r == 1 ? 127 : r == 2 ? 0 : rr(-128, 127);
}

static void random_clamp(int32_t *lo, int32_t *hi, int32_t yzp)
{
    *lo = -128;
    *hi = 127;
    if (chance(25)) {
        *lo = rr(-128, 127);
        *hi = rr(*lo, 127);
    } else if (chance(20)) {
        *lo = yzp;
    }
}

/* -------------------------------------------------------------------------------------------- conv */

static int test_conv(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_conv2d_s8_params_t p;
        const int kind = (int)(rnd() % 7u);
        int32_t cig, taps, nx, nw, ny, pad_b, pad_r, span, rc_ref, rc_mve, lo, hi, extreme;
        int16_t *scr = scratch;
        const int32_t *bp = chance(15) ? NULL : bias;
        memset(&p, 0, sizeof p);
        p.n = 1;
        p.groups = 1;
        p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
        p.k_h = p.k_w = 3;
        pad_b = pad_r = 1;
        p.pad_top = p.pad_left = 1;
        switch (kind) {
        case 0: /* many output channels: several prepared chunks, an odd last pair */
            p.c_in = rr(1, 6);
            p.c_out = rr(33, 140);
            p.h_in = rr(1, 6);
            p.w_in = rr(1, 6);
            break;
        case 1: /* tap counts around multiples of 16 */
            p.k_h = p.k_w = 1;
            p.pad_top = p.pad_left = pad_b = pad_r = 0;
            p.c_in = 16 * rr(1, 8) + rr(-1, 1);
            p.c_out = rr(1, 20);
            p.h_in = rr(1, 9);
            p.w_in = rr(1, 9);
            if (chance(30)) p.stride_h = p.stride_w = 2;
            break;
        case 2: /* channel stride past 16-bit gather offsets */
            p.k_h = p.k_w = rr(1, 2);
            p.pad_top = p.pad_left = pad_b = pad_r = 0;
            p.c_in = rr(8, 9);
            p.c_out = rr(1, 4);
            p.h_in = rr(90, 100);
            p.w_in = 100;
            break;
        case 3: /* depthwise, rows wider than the stack buffer or windows wider than one gather */
            p.c_in = p.c_out = p.groups = rr(1, 3);
            p.k_h = rr(1, 5);
            p.k_w = rr(1, 6);
            p.h_in = rr(1, 8);
            p.w_in = chance(50) ? rr(1000, 1400) : rr(100, 140);
            p.pad_top = rr(0, 2);
            p.pad_left = rr(-1, 2);
            break;
        case 4: /* depthwise, strides, dilations, tall planes (several strips) */
            p.c_in = p.c_out = p.groups = rr(1, 6);
            p.k_h = rr(1, 4);
            p.k_w = rr(1, 4);
            p.stride_h = rr(1, 3);
            p.stride_w = rr(1, 3);
            p.dil_h = rr(1, 2);
            p.dil_w = rr(1, 2);
            p.h_in = chance(30) ? rr(100, 200) : rr(1, 30);
            p.w_in = rr(1, 40);
            p.pad_top = rr(-1, 2);
            p.pad_left = rr(-1, 2);
            pad_b = rr(0, 2);
            pad_r = rr(0, 2);
            break;
        case 5: /* grouped, with a channel multiplier */
            p.groups = rr(1, 4);
            p.c_in = p.groups * rr(1, 20);
            p.c_out = p.groups * rr(1, 12);
            p.k_h = rr(1, 3);
            p.k_w = rr(1, 3);
            p.h_in = rr(1, 9);
            p.w_in = rr(1, 9);
            break;
        default: /* 3x3 with stride, pads past the input */
            p.c_in = rr(1, 40);
            p.c_out = rr(1, 40);
            p.h_in = rr(1, 12);
            p.w_in = rr(1, 12);
            p.stride_h = rr(1, 2);
            p.stride_w = rr(1, 2);
            p.pad_top = rr(0, 3);
            p.pad_left = rr(0, 3);
            pad_b = rr(0, 3);
            pad_r = rr(0, 3);
            break;
        }
        span = p.h_in + p.pad_top + pad_b - p.dil_h * (p.k_h - 1) - 1;
        p.h_out = span < 0 ? 0 : span / p.stride_h + 1;
        span = p.w_in + p.pad_left + pad_r - p.dil_w * (p.k_w - 1) - 1;
        p.w_out = span < 0 ? 0 : span / p.stride_w + 1;
        cig = p.c_in / p.groups;
        taps = cig * p.k_h * p.k_w;
        nx = p.n * p.c_in * p.h_in * p.w_in;
        nw = p.c_out * taps;
        ny = p.n * p.c_out * p.h_out * p.w_out;
        if (p.h_out <= 0 || p.w_out <= 0 || nx > XB || nw > WB || ny > YB || p.c_out > CB || 2 * taps > WB / 2) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        extreme = chance(10) ? (chance(50) ? 1 : -1) : 0;
        ties = chance(25);
        fill(xbuf, nx, extreme);
        fill(wbuf, nw, extreme ? -1 : 0);
        if (ties) fill_small(xbuf, nx, p.x_zero_point, wbuf, nw);
        random_requant(p.c_out, taps, 1 << 30);
        if (chance(10)) scr = scratch + 1; /* 2-aligned only */
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_mve, 0x5A, sizeof y_mve);
        memset(scratch, 0xA5, sizeof scratch);
        pack_qm(mult, shift, qm, p.c_out);
        rc_ref = ref_conv2d_s8(&p, xbuf, wbuf, bp, qm, scr, y_ref);
        rc_mve = mlc_conv2d_s8(&p, xbuf, wbuf, bp, qm, scr, y_mve);
        {
            const uint8_t *b = (const uint8_t *)scr + MLC_CONV2D_S8_SCRATCH_BYTES(cig, p.k_h, p.k_w);
            int32_t i, intact = 1;
            for (i = 0; i < GUARD; ++i) intact &= b[i] == 0xA5;
            if (rc_ref != rc_mve || memcmp(y_ref, y_mve, sizeof y_ref) != 0 || !intact) {
                const int32_t v[] = {rc_ref, rc_mve, p.c_in, p.h_in, p.w_in, p.c_out, p.h_out, p.w_out, p.k_h,
                                     p.k_w, p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.pad_top, p.pad_left,
                                     p.groups, p.x_zero_point, p.y_zero_point, p.act_min, p.act_max, intact, kind};
                report("conv2d", k, v, (int32_t)(sizeof v / sizeof v[0]));
                return 1;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- fc */

static int test_fc(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_fc_s8_params_t p;
        const int32_t *bp = chance(15) ? NULL : bias;
        int32_t rc_ref, rc_mve, lo, hi, extreme = chance(10) ? (chance(50) ? 1 : -1) : 0;
        p.m = chance(20) ? rr(2, 5) : 1;
        p.n = chance(50) ? rr(1, 9) : rr(100, 260);
        p.k = chance(50) ? 16 * rr(0, 40) + rr(-1, 1) : rr(0, 40);
        if (p.k < 0) p.k = 0;
        if (p.m * p.k > XB || p.n * p.k > WB || p.m * p.n > YB || p.n > CB) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        p.w_layout = chance(50) ? MLC_FC_W_ROWS4 : MLC_FC_W_ROWS;
        ties = chance(25);
        fill(xbuf, p.m * p.k, extreme);
        fill(wbuf, p.n * p.k, extreme ? -1 : 0);
        if (ties) fill_small(xbuf, p.m * p.k, p.x_zero_point, wbuf, p.n * p.k);
        random_requant(p.n, p.k, 1 << 30);
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_mve, 0x5A, sizeof y_mve);
        pack_qm(mult, shift, qm, p.n);
        rc_ref = ref_fc_s8(&p, xbuf, wbuf, bp, qm, y_ref);
        rc_mve = mlc_fc_s8(&p, xbuf, wbuf, bp, qm, y_mve);
        if (rc_ref != rc_mve || memcmp(y_ref, y_mve, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_mve, p.m, p.n, p.k, p.x_zero_point, p.y_zero_point, p.act_min, p.act_max};
            report("fc", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ channel affine */

static int test_channel_affine(void)
{
    int32_t k;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_channel_affine_s8_params_t p;
        const int32_t *bp = chance(15) ? NULL : bias;
        int32_t rc_ref, rc_mve, lo, hi, size, in_place = chance(20);
        p.outer = rr(0, 3);
        p.channels = rr(0, 150);
        p.inner = chance(50) ? 1 : rr(0, 40);
        size = p.outer * p.channels * p.inner;
        if (size > YB || p.channels > CB) {
            --k;
            continue;
        }
        p.x_zero_point = random_zp();
        p.y_zero_point = random_zp();
        random_clamp(&lo, &hi, p.y_zero_point);
        p.act_min = lo;
        p.act_max = hi;
        ties = chance(25);
        fill(xbuf, size, chance(10) ? 1 : 0);
        fill(wbuf, p.channels, 0);
        if (ties) fill_small(xbuf, size, p.x_zero_point, wbuf, p.channels);
        random_requant(p.channels, 1, 1 << 30);
        if (chance(5) && p.channels > 0) bias[rr(0, p.channels - 1)] = (1 << 30) + 1; /* refused */
        if (chance(4)) p.x_zero_point = 128;
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_mve, 0x5A, sizeof y_mve);
        pack_qm(mult, shift, qm, p.channels);
        rc_ref = ref_channel_affine_s8(&p, xbuf, wbuf, bp, qm, y_ref);
        if (in_place) { /* y == x */
            memcpy(y_mve, xbuf, (size_t)size);
            rc_mve = mlc_channel_affine_s8(&p, y_mve, wbuf, bp, qm, y_mve);
            if (rc_mve != 0) memcpy(y_mve, y_ref, (size_t)size); /* refused: x untouched either way */
        } else {
            rc_mve = mlc_channel_affine_s8(&p, xbuf, wbuf, bp, qm, y_mve);
        }
        if (rc_ref != rc_mve || memcmp(y_ref, y_mve, in_place ? (size_t)size : sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_mve, p.outer, p.channels, p.inner, p.x_zero_point, p.y_zero_point,
                                 p.act_min, p.act_max, in_place};
            report("channel_affine", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- quantize */

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static int test_quantize(void)
{
    static float xf[4096];
    int32_t k, i;
    for (k = 0; k < FW_CASES; ++k) {
        mlc_quant_params_t p;
        int32_t rc_ref, rc_mve;
        const int mode = (int)(rnd() % 4u);
        p.size = rr(0, 4096);
        p.zero_point = random_zp();
        /* a power of two makes (n + 0.5) * scale / scale exact: the ties of the rounding */
        p.scale = mode == 0 ? from_bits((uint32_t)rr(100, 140) << 23) : from_bits(0x3C000000u | (rnd() >> 9));
        for (i = 0; i < p.size; ++i) {
            const uint32_t r = rnd() % 16u;
            if (mode == 0 || r < 4) {
                xf[i] = ((float)rr(-300, 300) + (chance(50) ? 0.5f : 0.0f)) * p.scale;
            } else if (r == 4) {
                xf[i] = from_bits(chance(50) ? 0x7FC00000u : 0xFFC00001u); /* NaN */
            } else if (r == 5) {
                xf[i] = from_bits(chance(50) ? 0x7F800000u : 0xFF800000u); /* infinities */
            } else if (r == 6) {
                xf[i] = from_bits((rnd() & 0x807FFFFFu)); /* denormals and zeros */
            } else if (r == 7) {
                xf[i] = from_bits(rnd() & 0xFF7FFFFFu); /* anything finite */
            } else {
                xf[i] = (float)rr(-40000, 40000) * p.scale / 128.0f;
            }
        }
        if (chance(3)) p.scale = chance(50) ? 0.0f : from_bits(0x7FC00000u); /* refused */
        memset(y_ref, 0x5A, sizeof y_ref);
        memset(y_mve, 0x5A, sizeof y_mve);
        rc_ref = ref_quantize_f32_s8(&p, xf, y_ref);
        rc_mve = mlc_quantize_f32_s8(&p, xf, y_mve);
        if (rc_ref != rc_mve || memcmp(y_ref, y_mve, sizeof y_ref) != 0) {
            const int32_t v[] = {rc_ref, rc_mve, p.size, p.zero_point, mode};
            report("quantize", k, v, (int32_t)(sizeof v / sizeof v[0]));
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    if (test_conv()) return 2;
    if (test_fc()) return 3;
    if (test_channel_affine()) return 4;
    if (test_quantize()) return 5;
    mlc_port_debug_write("mve kernels: all cases match\n");
    return 0;
}
