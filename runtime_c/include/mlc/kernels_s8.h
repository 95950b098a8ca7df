/**
 * @file kernels_s8.h
 * @brief Int8 reference kernels of the mlc runtime (integer only, except the float boundary kernels).
 *
 * Quantization scheme (as TFLite's int8 spec):
 *  - Activations: int8, asymmetric per tensor, real = scale * (q - zero_point), zero_point in [-128, 127].
 *  - Weights: int8, symmetric per output channel, real = w_scale[c] * q (zero point 0; -127..127 by
 *    convention, -128 accepted).
 *  - Bias: int32 per output channel, real = x_scale * w_scale[c] * q (zero point 0).
 *  - Rescaling: an int32 accumulator goes to the output through mlc_requant (requant.h, the one rounding
 *    rule) with a per-channel or per-tensor (mult, shift) from toolchain.quant.requant.quantize_multiplier;
 *    per channel (conv, fc, channel affine) each pair is one int32 word, qmult (requant.h's mlc_qm_mult,
 *    mlc_qm_shift; toolchain.quant.requant.pack_qmult).
 *  - A fused activation is the int8 clamp [act_min, act_max] (Relu: act_min = y_zero_point; Relu6/Clip:
 *    both bounds; none: -128..127); toolchain.quant.requant.activation_range computes it.
 *
 * Conventions (as kernels_f32.h): ONNX layout (NCHW), parameters in one const struct, then data pointers,
 * inputs first, output last; no malloc, no globals written, no float in an integer kernel. Every kernel
 * returns MLC_OK or MLC_EINVAL (invalid parameters: zero points or clamp bounds outside int8, a shift
 * outside [-31, 30], a negative multiplier, non-positive strides or sizes that could overflow int32).
 * Python twins, bit-exact: toolchain/quant/ref_kernels.py.
 */
#ifndef MLC_KERNELS_S8_H
#define MLC_KERNELS_S8_H

#include <stdint.h>

#include "mlc/kernels_f32.h" /* mlc_copy_params_t */
#include "mlc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Most taps one output accumulates in conv/fc: MLC_S8_MAX_TAPS * 255 * 128 < 2^31 - 2^23, so the int32
 * accumulator cannot overflow for a bias with |bias| < 2^23 (the toolchain keeps biases in that range).
 */
#define MLC_S8_MAX_TAPS 65535

/**
 * 2-D convolution, NCHW int8 (1-D as H = 1), groups (depthwise: groups = c_in = c_out).
 * w: int8 weights (zero point 0) of each output channel in the order w_layout names (every kernel reads both;
 * the two are the same bytes when c_in / groups == 1 or k_h * k_w == 1):
 *  - MLC_CONV_W_OIHW: [c_out][c_in / groups][k_h][k_w], ONNX's order;
 *  - MLC_CONV_W_OHWI: [c_out][k_h][k_w][c_in / groups], the input channel innermost, for the DSP kernels
 *    (four neighbouring taps are four channels at one input position);
 * bias: int32 [c_out] or NULL;
 * qmult: int32 [c_out], each channel's (mult, shift) packed (per-channel x_scale * w_scale[c] / y_scale;
 * repeat one value for per-tensor).
 * acc = bias[oc] + sum (x - x_zero_point) * w over the taps inside the input (padding reads x_zero_point,
 * i.e. contributes 0); y = mlc_requant_s8(acc, mlc_qm_mult(qmult[oc]), mlc_qm_shift(qmult[oc]), y_zero_point,
 * act_min, act_max).
 * Input row ih = oh * stride_h - pad_top + kh * dil_h.
 * scratch: mlc_conv2d_s8_scratch_bytes(p) bytes aligned to 4 for the DSP kernels; the reference kernel
 * ignores it and accepts NULL. MLC_CONV2D_S8_SCRATCH_BYTES(c_in / groups, k_h, k_w) is that size for
 * MLC_CONV_W_OIHW (im2col of six output pixels as int16 and the int8 staging of two, the taps rounded up to
 * a multiple of 4: 56 bytes per four taps).
 */
#define MLC_CONV2D_S8_SCRATCH_BYTES(cig, k_h, k_w) (56 * (((cig) * (k_h) * (k_w) + 3) / 4))
#define MLC_CONV_W_OIHW 0
#define MLC_CONV_W_OHWI 1
typedef struct {
    int32_t n, c_in, h_in, w_in;
    int32_t c_out, h_out, w_out;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t groups;
    int32_t x_zero_point, y_zero_point;
    int32_t act_min, act_max;
    int32_t w_layout;
    int32_t col_tiles; /* DSP kernels, mlc_conv2d_s8_groups_tiles: six-pixel tiles the scratch holds (0, 1: one) */
} mlc_conv2d_s8_params_t;

/**
 * Whether the DSP kernels run p through a ring of input rows: MLC_CONV_W_OHWI, a kernel larger than 1x1, and
 * four taps that are four channels at one input position (input channels per group a multiple of 4) or,
 * with dilation 1 along the row, a kernel row of whole blocks of four (k_w * channels a multiple of 4, e.g.
 * one channel and k_w = 4). Their scratch then holds the columns (48 bytes per four taps) and the ring:
 * (k_h - 1) * dil_h + 1 + stride_h * ((w_out + 4) / w_out) padded input rows (those of the at most
 * (w_out + 4) / w_out + 1 output rows six neighbouring pixels touch) of (w_out - 1) * stride_w +
 * (k_w - 1) * dil_w + 1 pixels, c_in / groups bytes each, a row rounded up to 4 bytes.
 */
static inline int mlc_conv2d_s8_uses_ring(const mlc_conv2d_s8_params_t *p)
{
    const int32_t cig = p->groups > 0 ? p->c_in / p->groups : 0;
    return p->w_layout == MLC_CONV_W_OHWI && cig > 0 && p->k_h * p->k_w > 1 && p->w_out > 0 &&
           (cig % 4 == 0 || (p->dil_w == 1 && (p->k_w * cig) % 4 == 0));
}

/**
 * Whether the DSP kernels may stage the columns of col_tiles six-pixel tiles at once for p (each output
 * channel's weights then widened once for all of them), at most 512 taps: 1x1, stride 1, no padding, output
 * pixel i at input offset i (rows as wide as the output's), taps a multiple of 16; or 3x3, stride 2,
 * dilation 1, blocks of four taps (the last one partial) a multiple of 4 or one less (e.g. a first layer on
 * RGB: 27 taps, 7 blocks). The scratch then holds col_tiles tiles' columns, 48 bytes per block each, if that
 * is more than the usual scratch.
 */
static inline int mlc_conv2d_s8_groups_tiles(const mlc_conv2d_s8_params_t *p)
{
    const int32_t cig = p->groups > 0 ? p->c_in / p->groups : 0, taps = cig * p->k_h * p->k_w;
    const int32_t blocks = (taps + 3) / 4;
    const int pw = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                   p->pad_left == 0 && p->w_in == p->w_out && p->h_out <= p->h_in && taps % 16 == 0;
    const int s2k3 = p->k_h == 3 && p->k_w == 3 && p->stride_h == 2 && p->stride_w == 2 && p->dil_h == 1 &&
                     p->dil_w == 1 && blocks % 4 != 1 && blocks % 4 != 2;
    return p->col_tiles > 1 && taps > 0 && taps <= 512 && (pw || s2k3) && !mlc_conv2d_s8_uses_ring(p);
}

/** Scratch bytes the DSP mlc_conv2d_s8 needs for p (ignored by the reference kernel). */
static inline int32_t mlc_conv2d_s8_scratch_bytes(const mlc_conv2d_s8_params_t *p)
{
    const int32_t cig = p->groups > 0 ? p->c_in / p->groups : 0, taps = cig * p->k_h * p->k_w;
    if (mlc_conv2d_s8_groups_tiles(p)) {
        const int32_t group = 48 * ((taps + 3) / 4) * p->col_tiles;
        const int32_t one = MLC_CONV2D_S8_SCRATCH_BYTES(cig, p->k_h, p->k_w);
        return group > one ? group : one;
    }
    if (mlc_conv2d_s8_uses_ring(p)) {
        const int32_t rows = (p->k_h - 1) * p->dil_h + 1 + p->stride_h * ((p->w_out + 4) / p->w_out);
        const int32_t width = (p->w_out - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
        return 48 * (taps / 4) + rows * 4 * ((width * cig + 3) / 4);
    }
    return MLC_CONV2D_S8_SCRATCH_BYTES(cig, p->k_h, p->k_w);
}
int mlc_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y);

/**
 * Fully connected: y[m][n] = requant_s8(bias[n] + sum_k (x[m][k] - x_zero_point) * w[n][k]).
 * x: int8 [m][k]; bias int32 [n] or NULL; qmult: int32 [n], packed (mult, shift). y: int8 [m][n].
 * w: the n x k int8 weights w[n][k] in the order w_layout names (every kernel reads both):
 *  - MLC_FC_W_ROWS: row-major (ONNX Gemm with transB = 1, TFLite FullyConnected);
 *  - MLC_FC_W_ROWS4: the rows in groups of four, for the DSP kernels (one LDM per 16 weights): group g
 *    (rows 4g..4g+3, g < n / 4) starts at byte 4gk and holds, per four inputs 4b..4b+3 (b < k / 4), those
 *    inputs' weights of row 4g, then of row 4g+1, 4g+2, 4g+3 (16 bytes); then the last k % 4 weights of
 *    each of its rows in turn. The last n % 4 rows follow row-major.
 */
#define MLC_FC_W_ROWS 0
#define MLC_FC_W_ROWS4 1
typedef struct {
    int32_t m, n, k;
    int32_t x_zero_point, y_zero_point;
    int32_t act_min, act_max;
    int32_t w_layout;
} mlc_fc_s8_params_t;
int mlc_fc_s8(const mlc_fc_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
              const int32_t *qmult, int8_t *y);

/**
 * Max / average pooling, NCHW int8 (1-D as H = 1); output quantization equals the input's (insert
 * mlc_requantize_s8 otherwise). Window rows ih = oh * stride_h - pad_top + kh * dil_h.
 * Max: padding never wins; an empty window gives -128; then the clamp [act_min, act_max].
 * Average: sum of the q values inside the input, plus with count_include_pad zero_point for each padded
 * position of the window clipped to [-pad_top, h_in + pad_bottom); divisor = those positions (inside the
 * input only without count_include_pad). avg = sum / count rounded to nearest, ties away from zero
 * (TFLite's (sum +- count/2) / count); an empty window (count 0) gives zero_point; then the clamp.
 */
typedef struct {
    int32_t n, c, h_in, w_in, h_out, w_out;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;
    int32_t zero_point;
    int32_t act_min, act_max;
} mlc_pool2d_s8_params_t;
int mlc_maxpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y);
int mlc_avgpool2d_s8(const mlc_pool2d_s8_params_t *p, const int8_t *x, int8_t *y);

/**
 * Mean over the middle axis of [outer][axis][inner] (GlobalAveragePool: outer = N*C, axis = H*W,
 * inner = 1; ReduceMean over contiguous axes): acc = sum (x - x_zero_point) (axis < 2^23),
 * y[o][i] = mlc_requant_s8(acc, mult, shift, y_zero_point, act_min, act_max) with (mult, shift) for
 * x_scale / (y_scale * axis). y: int8 [outer][inner].
 */
typedef struct {
    int32_t outer, axis, inner;
    int32_t x_zero_point, y_zero_point;
    int32_t mult, shift;
    int32_t act_min, act_max;
} mlc_mean_s8_params_t;
int mlc_mean_s8(const mlc_mean_s8_params_t *p, const int8_t *x, int8_t *y);

/**
 * Elementwise Add and Mul with numpy broadcasting by strides (dims: output shape, rank <= MLC_MAX_DIMS;
 * a_strides / b_strides: element strides per output axis, 0 where broadcast). y is dense and may alias
 * a or b when that operand has the output's shape.
 * Add (TFLite): a' = mlc_requant((a - a_zp) * 2^left_shift, a_mult, a_shift), b' likewise,
 *   y = mlc_requant_s8(a' + b', y_mult, y_shift, y_zp, act_min, act_max); left_shift in [0, 22] (TFLite 20),
 *   a/b multipliers for s_a / (2 max(s_a, s_b)), s_b / (2 max(s_a, s_b)), y's for
 *   2 max(s_a, s_b) / (2^left_shift s_y) (toolchain.quant.requant.add_params).
 * Mul (TFLite): y = mlc_requant_s8((a - a_zp) * (b - b_zp), y_mult, y_shift, y_zp, act_min, act_max),
 *   y multiplier for s_a s_b / s_y; a_mult, a_shift, b_mult, b_shift, left_shift are ignored.
 */
typedef struct {
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t a_strides[MLC_MAX_DIMS];
    int32_t b_strides[MLC_MAX_DIMS];
    int32_t a_zero_point, b_zero_point, y_zero_point;
    int32_t left_shift;
    int32_t a_mult, a_shift;
    int32_t b_mult, b_shift;
    int32_t y_mult, y_shift;
    int32_t act_min, act_max;
} mlc_binary_s8_params_t;
int mlc_add_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y);
int mlc_mul_s8(const mlc_binary_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *y);

/**
 * Softmax over the middle axis of [outer][axis][inner], integer only, output scale 1/256, zero point
 * -128 (TFLite's int8 softmax output). exp_table: int32 [32] of Q24 factors in [0, 2^24]: exp_table[j] =
 * round(2^24 exp(-16 beta x_scale j)), exp_table[16 + i] = round(2^24 exp(-beta x_scale i))
 * (toolchain.quant.requant.softmax_table); E(d) = floor((exp_table[d >> 4] exp_table[16 + (d & 15)] + 2^31) / 2^32),
 * exp(-beta x_scale d) in Q16, for d in [0, 255]. Per row: mx = max x, S = sum E(mx - x) (uint32: axis <=
 * MLC_SOFTMAX_S8_MAX_AXIS), y = min(127, floor((256 E(mx - x) + floor(S / 2)) / S) - 128).
 */
#define MLC_SOFTMAX_S8_MAX_AXIS 65535
typedef struct {
    int32_t outer, axis, inner;
} mlc_softmax_s8_params_t;
int mlc_softmax_s8(const mlc_softmax_s8_params_t *p, const int8_t *x, const int32_t *exp_table, int8_t *y);

/**
 * Unary function by a 256-entry table (Tanh, Sigmoid, and any other elementwise function of one int8):
 * y[i] = table[x[i] + 128]. The table holds the quantized function of every int8 input, generated at
 * compile time by toolchain.quant.requant.lut_table (tanh_table, sigmoid_table). In place allowed.
 */
typedef struct {
    int32_t size;
} mlc_lut_s8_params_t;
int mlc_lut_s8(const mlc_lut_s8_params_t *p, const int8_t *x, const int8_t *table, int8_t *y);

/**
 * Int8 to int8 rescale (Concat / Reshape boundaries, mismatched pooling quantization):
 * y[i] = mlc_requant_s8(x[i] - x_zero_point, mult, shift, y_zero_point, act_min, act_max) with
 * (mult, shift) for x_scale / y_scale. In place allowed.
 */
typedef struct {
    int32_t size;
    int32_t x_zero_point, y_zero_point;
    int32_t mult, shift;
    int32_t act_min, act_max;
} mlc_requantize_s8_params_t;
int mlc_requantize_s8(const mlc_requantize_s8_params_t *p, const int8_t *x, int8_t *y);

/**
 * Per-channel affine over [outer][channels][inner] (BatchNormalization on int8):
 * y = mlc_requant_s8((x - x_zero_point) * w[c] + bias[c], mult, shift, y_zero_point, act_min, act_max).
 * w: int8 [channels]; bias: int32 [channels] or NULL, |bias| <= 2^30; qmult: int32 [channels], (mult, shift)
 * packed.
 * In place allowed.
 */
typedef struct {
    int32_t outer, channels, inner;
    int32_t x_zero_point, y_zero_point;
    int32_t act_min, act_max;
} mlc_channel_affine_s8_params_t;
int mlc_channel_affine_s8(const mlc_channel_affine_s8_params_t *p, const int8_t *x, const int8_t *w,
                          const int32_t *bias, const int32_t *qmult, int8_t *y);

/** Strided int8 copy with mlc_copy_f32's parameters (kernels_f32.h): data movement keeps quantization. */
int mlc_copy_s8(const mlc_copy_params_t *p, const int8_t *x, int8_t *y);

/** Pad of int8 values, as mlc_pad_f32; value is the quantized pad value. */
typedef struct {
    mlc_pad_geometry_t geo;
    int32_t value;
} mlc_pad_s8_params_t;
int mlc_pad_s8(const mlc_pad_s8_params_t *p, const int8_t *x, int8_t *y);

/**
 * The float boundary (ONNX QuantizeLinear / DequantizeLinear, per tensor):
 * quantize:   y = saturate_int8(round_half_even(x / scale) + zero_point), x / scale in float32; NaN gives
 *             zero_point. scale > 0.
 * dequantize: y = (float)(x - zero_point) * scale, in float32.
 */
typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} mlc_quant_params_t;
int mlc_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y);
int mlc_dequantize_s8_f32(const mlc_quant_params_t *p, const int8_t *x, float *y);

#ifdef __cplusplus
}
#endif

#endif /* MLC_KERNELS_S8_H */
