/*
 * Benchmark firmware for benchmarks/dsp_kernels.py: representative int8 layers through the reference
 * kernels (ref_*, renamed at compile time) and the DSP kernels (mlc_*), timed with the board's free-running
 * counter (FPGAIO under QEMU -icount: a fixed number of ticks per instruction). Prints one line per layer,
 * "name macs ref_ticks dsp_ticks same", on the semihosting console and exits 0 (1 if the outputs differ).
 */
#include <stdint.h>
#include <string.h>

#include "mlc/kernels_s8.h"
#include "mlc/port.h"

#define FW_RNG_INIT 12345u
#include "../tests/kernels_dsp/fw_util.h" /* the xorshift stream and number printing of the test firmware */

int ref_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y);
int ref_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y);
int ref_avgpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y);
int ref_mean_s8(const mlc_mean_s8_params_t *p, const int8_t *x, int8_t *y);
int ref_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y);

#define X_BYTES (64 * 32 * 32)
#define W_BYTES (64 * 64 * 9)
#define Y_BYTES (64 * 32 * 32)
#define C_MAX 256

static int8_t xbuf[X_BYTES], wbuf[W_BYTES], y_ref[Y_BYTES], y_dsp[Y_BYTES];
#ifdef BENCH_OTHERS
static int8_t x2buf[X_BYTES];
#endif
static int32_t bias[C_MAX], mult[C_MAX], qmult[C_MAX];
static int8_t shift[C_MAX];
static int16_t scratch[MLC_CONV2D_S8_SCRATCH_BYTES(64, 3, 3) / 2];

static void fill(int8_t *p, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) p[i] = (int8_t)(rnd() >> 24);
}

static void fill_requant(int32_t c, int32_t bias_range)
{
    int32_t i;
    for (i = 0; i < c; ++i) {
        bias[i] = (int32_t)(rnd() % (uint32_t)(2 * bias_range)) - bias_range;
        mult[i] = (int32_t)(0x40000000u | (rnd() >> 2));
        shift[i] = -7 - (int32_t)(rnd() % 4u);
    }
    pack_qm(mult, shift, qmult, c); /* the kernels read one packed word per channel */
}

static void report_bench(const char *name, uint32_t macs, uint32_t t_ref, uint32_t t_dsp, int same)
{
    char line[96], *o = line;
    while (*name) *o++ = *name++;
    *o++ = ' ';
    o = put_i(o, (int32_t)macs);
    *o++ = ' ';
    o = put_i(o, (int32_t)t_ref);
    *o++ = ' ';
    o = put_i(o, (int32_t)t_dsp);
    *o++ = ' ';
    *o++ = same ? '1' : '0';
    *o++ = '\n';
    *o = '\0';
    mlc_port_debug_write(line);
}

/* noipa: GCC must not move the kernel call across the counter reads. */
__attribute__((noipa)) static uint32_t time_conv(int dsp, const mlc_conv2d_s8_params_t *p, int8_t *y)
{
    const uint32_t t0 = mlc_port_counter_read();
    if (dsp) {
        (void)mlc_conv2d_s8(p, xbuf, wbuf, bias, qmult, scratch, y);
    } else {
        (void)ref_conv2d_s8(p, xbuf, wbuf, bias, qmult, scratch, y);
    }
    return mlc_port_counter_read() - t0;
}

static int bench_conv(const char *name, int32_t c_in, int32_t c_out, int32_t h, int32_t w, int32_t k, int32_t groups,
                      int32_t stride)
{
    mlc_conv2d_s8_params_t p;
    uint32_t t_ref, t_dsp;
    const int32_t pad = k / 2, n_out = c_out * ((h - 1) / stride + 1) * ((w - 1) / stride + 1);
    int same;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c_in = c_in;
    p.h_in = h;
    p.w_in = w;
    p.c_out = c_out;
    p.h_out = (h - 1) / stride + 1; /* "same" padding */
    p.w_out = (w - 1) / stride + 1;
    p.k_h = p.k_w = k;
    p.stride_h = p.stride_w = stride;
    p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = pad;
    p.groups = groups;
    p.x_zero_point = -3;
    p.y_zero_point = 5;
    p.act_min = -128;
    p.act_max = 127;
    fill(xbuf, c_in * h * w);
    fill(wbuf, c_out * (c_in / groups) * k * k);
    fill_requant(c_out, 1 << 16);
    t_ref = time_conv(0, &p, y_ref);
    t_dsp = time_conv(1, &p, y_dsp);
    same = memcmp(y_ref, y_dsp, (size_t)n_out) == 0;
    report_bench(name, (uint32_t)(n_out * (c_in / groups) * k * k), t_ref, t_dsp, same);
    return same;
}

__attribute__((noipa)) static uint32_t time_fc(int dsp, const mlc_fc_s8_params_t *p, int8_t *y)
{
    const uint32_t t0 = mlc_port_counter_read();
    if (dsp) {
        (void)mlc_fc_s8(p, xbuf, wbuf, bias, qmult, y);
    } else {
        (void)ref_fc_s8(p, xbuf, wbuf, bias, qmult, y);
    }
    return mlc_port_counter_read() - t0;
}

static int bench_fc(const char *name, int32_t k, int32_t n)
{
    mlc_fc_s8_params_t p;
    uint32_t t_ref, t_dsp;
    int same;
    p.m = 1;
    p.n = n;
    p.k = k;
    p.x_zero_point = 7;
    p.y_zero_point = -2;
    p.act_min = -128;
    p.act_max = 127;
    p.w_layout = MLC_FC_W_ROWS4; /* what mlc stores for the DSP kernels */
    fill(xbuf, k);
    fill(wbuf, n * k);
    fill_requant(n, 1 << 16);
    t_ref = time_fc(0, &p, y_ref);
    t_dsp = time_fc(1, &p, y_dsp);
    same = memcmp(y_ref, y_dsp, (size_t)n) == 0;
    report_bench(name, (uint32_t)(n * k), t_ref, t_dsp, same);
    return same;
}

#ifdef BENCH_OTHERS
__attribute__((noipa)) static uint32_t time_avgpool(int dsp, const mlc_pool2d_s8_params_t *p, int8_t *y)
{
    const uint32_t t0 = mlc_port_counter_read();
    (void)(dsp ? mlc_avgpool2d_s8(p, xbuf, y) : ref_avgpool2d_s8(p, xbuf, y));
    return mlc_port_counter_read() - t0;
}

static int bench_avgpool(const char *name, int32_t c, int32_t h, int32_t w, int32_t k, int32_t s)
{
    mlc_pool2d_s8_params_t p;
    uint32_t t_ref, t_dsp;
    int32_t n_out;
    int same;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c = c;
    p.h_in = h;
    p.w_in = w;
    p.k_h = p.k_w = k;
    p.stride_h = p.stride_w = s;
    p.dil_h = p.dil_w = 1;
    p.h_out = (h - k) / s + 1;
    p.w_out = (w - k) / s + 1;
    p.zero_point = -1;
    p.act_min = -128;
    p.act_max = 127;
    n_out = c * p.h_out * p.w_out;
    fill(xbuf, c * h * w);
    t_ref = time_avgpool(0, &p, y_ref);
    t_dsp = time_avgpool(1, &p, y_dsp);
    same = memcmp(y_ref, y_dsp, (size_t)n_out) == 0;
    report_bench(name, (uint32_t)(n_out * k * k), t_ref, t_dsp, same);
    return same;
}

__attribute__((noipa)) static uint32_t time_mean(int dsp, const mlc_mean_s8_params_t *p, int8_t *y)
{
    const uint32_t t0 = mlc_port_counter_read();
    (void)(dsp ? mlc_mean_s8(p, xbuf, y) : ref_mean_s8(p, xbuf, y));
    return mlc_port_counter_read() - t0;
}

static int bench_mean(const char *name, int32_t outer, int32_t axis)
{
    mlc_mean_s8_params_t p;
    uint32_t t_ref, t_dsp;
    int same;
    p.outer = outer;
    p.axis = axis;
    p.inner = 1;
    p.x_zero_point = 3;
    p.y_zero_point = -4;
    p.mult = 0x5A000000;
    p.shift = -6;
    p.act_min = -128;
    p.act_max = 127;
    fill(xbuf, outer * axis);
    t_ref = time_mean(0, &p, y_ref);
    t_dsp = time_mean(1, &p, y_dsp);
    same = memcmp(y_ref, y_dsp, (size_t)outer) == 0;
    report_bench(name, (uint32_t)(outer * axis), t_ref, t_dsp, same);
    return same;
}

__attribute__((noipa)) static uint32_t time_add(int dsp, const mlc_binary_s8_params_t *p, int8_t *y)
{
    const uint32_t t0 = mlc_port_counter_read();
    (void)(dsp ? mlc_add_s8(p, xbuf, x2buf, y) : ref_add_s8(p, xbuf, x2buf, y));
    return mlc_port_counter_read() - t0;
}

static int bench_add(const char *name, int32_t size)
{
    mlc_binary_s8_params_t p;
    uint32_t t_ref, t_dsp;
    int same;
    memset(&p, 0, sizeof p);
    p.rank = 1;
    p.dims[0] = size;
    p.a_strides[0] = p.b_strides[0] = 1;
    p.a_zero_point = 3;
    p.b_zero_point = -9;
    p.y_zero_point = 1;
    p.left_shift = 20;
    p.a_mult = 0x40000000;
    p.a_shift = 0;
    p.b_mult = 0x60000000;
    p.b_shift = -1;
    p.y_mult = 0x55555555;
    p.y_shift = -19;
    p.act_min = -128;
    p.act_max = 127;
    fill(xbuf, size);
    fill(x2buf, size);
    t_ref = time_add(0, &p, y_ref);
    t_dsp = time_add(1, &p, y_dsp);
    same = memcmp(y_ref, y_dsp, (size_t)size) == 0;
    report_bench(name, (uint32_t)size, t_ref, t_dsp, same);
    return same;
}
#endif

int main(void)
{
    int ok = 1;
    ok &= bench_conv("conv3x3_16x16_32x32", 16, 16, 32, 32, 3, 1, 1);
    ok &= bench_conv("conv1x1_64x64_12x12", 64, 64, 12, 12, 1, 1, 1);
    ok &= bench_conv("dwconv3x3_64_25x5", 64, 64, 25, 5, 3, 64, 1);
    ok &= bench_conv("dwconv3x3_128_6x6", 128, 128, 6, 6, 3, 128, 1);
    ok &= bench_conv("dwconv3x3_8_48x48", 8, 8, 48, 48, 3, 8, 1);
    ok &= bench_fc("fc_256x128", 256, 128);
#ifdef BENCH_OTHERS
    ok &= bench_conv("dwconv3x3s2_32_48x48", 32, 32, 48, 48, 3, 32, 2);
    ok &= bench_conv("conv3x3s2_8x16_48x48", 8, 16, 48, 48, 3, 1, 2);
    ok &= bench_avgpool("avgpool2x2_64_16x16", 64, 16, 16, 2, 2);
    ok &= bench_mean("mean_64x125", 64, 125);
    ok &= bench_add("add_8000", 8000);
#endif
    return ok ? 0 : 1;
}
