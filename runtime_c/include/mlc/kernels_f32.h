/**
 * @file kernels_f32.h
 * @brief Float32 reference kernels of the mlc runtime.
 *
 * Conventions shared by every kernel here:
 *  - Activations are dense, row-major, in ONNX layout (NCHW for images).
 *  - Parameters come in one small const struct, then data pointers; inputs first, output last.
 *  - No malloc, no globals written at run time, no printf. Every kernel returns MLC_OK or an MLC_E* code.
 *  - Shapes of rank < MLC_MAX_DIMS fill the first `rank` slots of each MLC_MAX_DIMS array.
 */
#ifndef MLC_KERNELS_F32_H
#define MLC_KERNELS_F32_H

#include <stdint.h>

#include "mlc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Elementwise unary operations; also used as the activation fused into a producing kernel. */
typedef enum {
    MLC_UNARY_IDENTITY = 0,
    MLC_UNARY_RELU = 1,
    MLC_UNARY_CLIP = 2,          /**< min(max(x, alpha), beta) */
    MLC_UNARY_LEAKY_RELU = 3,    /**< x >= 0 ? x : alpha * x */
    MLC_UNARY_SIGMOID = 4,
    MLC_UNARY_TANH = 5,
    MLC_UNARY_HARD_SIGMOID = 6,  /**< max(0, min(1, alpha * x + beta)) */
    MLC_UNARY_HARD_SWISH = 7,    /**< x * max(0, min(1, x / 6 + 0.5)) */
    MLC_UNARY_ABS = 8,
    MLC_UNARY_NEG = 9,
    MLC_UNARY_EXP = 10,
    MLC_UNARY_LOG = 11,
    MLC_UNARY_SQRT = 12,
    MLC_UNARY_RECIPROCAL = 13,
    MLC_UNARY_FLOOR = 14,
    MLC_UNARY_CEIL = 15,
    MLC_UNARY_ROUND = 16,        /**< half to even */
    MLC_UNARY_SIGN = 17,
    MLC_UNARY_ERF = 18,
    MLC_UNARY_SIN = 19,
    MLC_UNARY_COS = 20,
    MLC_UNARY_ELU = 21,          /**< x >= 0 ? x : alpha * (exp(x) - 1) */
    MLC_UNARY_SELU = 22,         /**< beta(gamma) * (x > 0 ? x : alpha * (exp(x) - 1)) */
    MLC_UNARY_CELU = 23,         /**< max(0,x) + min(0, alpha * (exp(x / alpha) - 1)) */
    MLC_UNARY_GELU = 24,         /**< 0.5 x (1 + erf(x / sqrt 2)); alpha != 0 selects the tanh approximation */
    MLC_UNARY_MISH = 25,         /**< x * tanh(softplus(x)) */
    MLC_UNARY_SOFTPLUS = 26,     /**< log(1 + exp(x)) */
    MLC_UNARY_SOFTSIGN = 27,     /**< x / (1 + |x|) */
    MLC_UNARY_THRESHOLDED_RELU = 28, /**< x > alpha ? x : 0 */
    MLC_UNARY_TAN = 29,
    MLC_UNARY_ASIN = 30,
    MLC_UNARY_ACOS = 31,
    MLC_UNARY_ATAN = 32,
    MLC_UNARY_SINH = 33,
    MLC_UNARY_COSH = 34,
    MLC_UNARY_ASINH = 35,
    MLC_UNARY_ACOSH = 36,
    MLC_UNARY_ATANH = 37,
    MLC_UNARY_NOT = 38,          /**< logical not on 0/1 floats */
    MLC_UNARY_ISNAN = 39,
    MLC_UNARY_ISINF = 40,        /**< alpha != 0: detect +inf; beta != 0: detect -inf */
    MLC_UNARY_SHRINK = 41,       /**< x < -alpha ? x + beta : (x > alpha ? x - beta : 0) (alpha = lambd, beta = bias) */
    MLC_UNARY_TRUNC = 42,        /**< round toward zero (Cast float -> integer, integer Div) */
    MLC_UNARY_NONZERO = 43,      /**< x != 0 ? 1 : 0 (Cast to bool) */
    MLC_UNARY_TRUNC_SAT = 44,    /**< truncf(x) clamped to [alpha, beta], NaN -> 0 (Cast float -> uint8, int16,
                                      uint16: ONNX leaves out-of-range values undefined; mlc saturates) */
    MLC_UNARY_WRAP = 45          /**< x - alpha * floor((x - beta) / alpha): the low bits of an integer, as ONNX's
                                      Cast to a narrower integer (alpha = 2^bits, beta = the type's minimum) */
} mlc_unary_op_t;

/** A unary operation with its two scalar parameters; `op` is an mlc_unary_op_t. */
typedef struct {
    int32_t op;
    float alpha;
    float beta;
} mlc_act_t;

/** Apply one unary operation to one value (shared by every kernel that fuses an activation). */
float mlc_unary_eval_f32(const mlc_act_t *act, float x);

/** y[i] = op(x[i]) for i < size. In place (x == y) is allowed. */
typedef struct {
    int32_t size;
    mlc_act_t op;
} mlc_unary_params_t;
int mlc_unary_f32(const mlc_unary_params_t *p, const float *x, float *y);

/** Elementwise binary operations with numpy broadcasting. */
typedef enum {
    MLC_BINARY_ADD = 0,
    MLC_BINARY_SUB = 1,
    MLC_BINARY_MUL = 2,
    MLC_BINARY_DIV = 3,
    MLC_BINARY_POW = 4,
    MLC_BINARY_MIN = 5,
    MLC_BINARY_MAX = 6,
    MLC_BINARY_MOD = 7,          /**< C fmod (ONNX Mod with fmod=1) */
    MLC_BINARY_EQUAL = 8,        /**< comparisons and logic produce 0.0f / 1.0f */
    MLC_BINARY_LESS = 9,
    MLC_BINARY_LESS_EQUAL = 10,
    MLC_BINARY_GREATER = 11,
    MLC_BINARY_GREATER_EQUAL = 12,
    MLC_BINARY_AND = 13,
    MLC_BINARY_OR = 14,
    MLC_BINARY_XOR = 15,
    MLC_BINARY_PRELU = 16,       /**< a >= 0 ? a : a * b */
    MLC_BINARY_MOD_FLOOR = 17    /**< a - floor(a / b) * b, the sign of b (ONNX integer Mod with fmod=0) */
} mlc_binary_op_t;

/**
 * y = act(a OP b). `dims` is the output shape (rank <= MLC_MAX_DIMS, in the first `rank` slots);
 * a_strides / b_strides are element strides per output axis (0 where that operand is broadcast).
 * y is dense. y may alias a or b when that operand has the output's shape.
 */
typedef struct {
    int32_t op;
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t a_strides[MLC_MAX_DIMS];
    int32_t b_strides[MLC_MAX_DIMS];
    mlc_act_t act;
} mlc_binary_params_t;
int mlc_binary_f32(const mlc_binary_params_t *p, const float *a, const float *b, float *y);

/** y = cond != 0 ? a : b, all three broadcast to the dense output shape by their strides. */
typedef struct {
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t c_strides[MLC_MAX_DIMS];
    int32_t a_strides[MLC_MAX_DIMS];
    int32_t b_strides[MLC_MAX_DIMS];
} mlc_where_params_t;
int mlc_where_f32(const mlc_where_params_t *p, const float *cond, const float *a, const float *b, float *y);

/**
 * 2-D convolution, NCHW; 1-D convolution is lowered as H = 1.
 * w: [c_out][c_in / groups][k_h][k_w]; bias: [c_out] or NULL.
 * Input row ih = oh * stride_h - pad_top + kh * dil_h; positions outside [0, h_in) read as 0.
 */
typedef struct {
    int32_t n, c_in, h_in, w_in;
    int32_t c_out, h_out, w_out;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t groups;
    mlc_act_t act;
} mlc_conv2d_params_t;
int mlc_conv2d_f32(const mlc_conv2d_params_t *p, const float *x, const float *w, const float *bias,
                   float *y);

/**
 * 2-D transposed convolution, NCHW. w: [c_in][c_out / groups][k_h][k_w]; bias [c_out] or NULL.
 * y[oh] receives x[ih] * w[kh] where oh = ih * stride_h - pad_top + kh * dil_h (0 <= oh < h_out).
 */
typedef mlc_conv2d_params_t mlc_conv_transpose2d_params_t;
int mlc_conv_transpose2d_f32(const mlc_conv_transpose2d_params_t *p, const float *x, const float *w,
                             const float *bias, float *y);

/**
 * Batched matrix product with bias: y[b][m][n] = act(alpha * sum_k A[b][m][k] * B[b][k][n] + beta * C[m][n]).
 * The batch index runs over dims batch_dims[0..batch_rank) (row-major); A and B are addressed by element
 * strides (a transpose is a stride swap; a broadcast batch axis has stride 0). bias (C) is addressed by
 * bias_stride_m / bias_stride_n (0 for broadcast) and may be NULL. y is dense [batch..][m][n].
 */
typedef struct {
    int32_t batch_rank;
    int32_t batch_dims[MLC_MAX_DIMS];
    int32_t a_batch_strides[MLC_MAX_DIMS];
    int32_t b_batch_strides[MLC_MAX_DIMS];
    int32_t m, n, k;
    int32_t a_stride_m, a_stride_k;
    int32_t b_stride_k, b_stride_n;
    int32_t bias_stride_m, bias_stride_n;
    float alpha, beta;
    mlc_act_t act;
} mlc_matmul_params_t;
int mlc_matmul_f32(const mlc_matmul_params_t *p, const float *a, const float *b, const float *bias,
                   float *y);

/** Softmax (log = 0), LogSoftmax (log = 1) or Hardmax (log = 2) over the middle axis of [outer][axis][inner]. */
typedef struct {
    int32_t outer, axis, inner;
    int32_t log;
} mlc_softmax_params_t;
int mlc_softmax_f32(const mlc_softmax_params_t *p, const float *x, float *y);

/**
 * Max / average pooling, NCHW (1-D as H = 1). Window rows ih = oh * stride_h - pad_top + kh * dil_h.
 * Average: positions outside the input are skipped; the divisor is the number of positions inside the
 * input, or with count_include_pad the window clipped to [-pad_top, h_in + pad_bottom) (as onnxruntime).
 * lp_p > 0 selects LpPool with that p (sum |x|^p)^(1/p) instead of the average.
 */
typedef struct {
    int32_t n, c, h_in, w_in, h_out, w_out;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;
    int32_t lp_p;
    mlc_act_t act;
} mlc_pool2d_params_t;
int mlc_maxpool2d_f32(const mlc_pool2d_params_t *p, const float *x, float *y);
int mlc_avgpool2d_f32(const mlc_pool2d_params_t *p, const float *x, float *y);
/** Max pooling that also writes the flat NCHW index of each maximum (as float) to `indices`. */
int mlc_maxpool2d_indices_f32(const mlc_pool2d_params_t *p, const float *x, float *y, float *indices);

/** Reductions. */
typedef enum {
    MLC_REDUCE_SUM = 0,
    MLC_REDUCE_MEAN = 1,
    MLC_REDUCE_MAX = 2,
    MLC_REDUCE_MIN = 3,
    MLC_REDUCE_PROD = 4,
    MLC_REDUCE_L1 = 5,
    MLC_REDUCE_L2 = 6,
    MLC_REDUCE_LOG_SUM = 7,
    MLC_REDUCE_LOG_SUM_EXP = 8,
    MLC_REDUCE_SUM_SQUARE = 9,
    MLC_REDUCE_ARGMAX = 10,      /**< index along the single reduced axis, as float; select_last picks ties */
    MLC_REDUCE_ARGMIN = 11
} mlc_reduce_op_t;

/**
 * y = reduce over the axes with reduced[i] != 0 of x (dense, shape in_dims[0..rank)).
 * y is dense with the reduced axes removed (equivalently kept as 1). An empty reduction gives the
 * operation's identity (0 for sums, -inf for max, +inf for min, 1 for prod).
 */
typedef struct {
    int32_t op;
    int32_t rank;
    int32_t in_dims[MLC_MAX_DIMS];
    int32_t reduced[MLC_MAX_DIMS];
    int32_t select_last;
} mlc_reduce_params_t;
int mlc_reduce_f32(const mlc_reduce_params_t *p, const float *x, float *y);

/**
 * Strided copy: for every index i of dims[0..rank), y[out_offset + sum i*out_strides] =
 * x[in_offset + sum i*in_strides]. Strides are in elements and may be 0 (broadcast) or negative.
 * Transpose, Slice, Concat (one call per input), Split, Expand, DepthToSpace all lower to this.
 */
typedef struct {
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t in_strides[MLC_MAX_DIMS];
    int32_t out_strides[MLC_MAX_DIMS];
    int32_t in_offset;
    int32_t out_offset;
} mlc_copy_params_t;
int mlc_copy_f32(const mlc_copy_params_t *p, const float *x, float *y);

/** Tile / general modulo-indexed copy: y[i] = x[i mod in_dims] for every dense output index. */
typedef struct {
    int32_t rank;
    int32_t out_dims[MLC_MAX_DIMS];
    int32_t in_dims[MLC_MAX_DIMS];
} mlc_tile_params_t;
int mlc_tile_f32(const mlc_tile_params_t *p, const float *x, float *y);

/** Pad modes. */
typedef enum { MLC_PAD_CONSTANT = 0, MLC_PAD_REFLECT = 1, MLC_PAD_EDGE = 2, MLC_PAD_WRAP = 3 } mlc_pad_mode_t;

/** y (dense, out_dims) = x (dense, in_dims) shifted by pads_begin (may be negative: cropping); the same
    for mlc_pad_f32 and mlc_pad_s8, which differ in the type of the constant. */
typedef struct {
    int32_t rank;
    int32_t in_dims[MLC_MAX_DIMS];
    int32_t out_dims[MLC_MAX_DIMS];
    int32_t pads_begin[MLC_MAX_DIMS];
    int32_t mode;
} mlc_pad_geometry_t;
typedef struct {
    mlc_pad_geometry_t geo;
    float value;
} mlc_pad_params_t;
int mlc_pad_f32(const mlc_pad_params_t *p, const float *x, float *y);

/** y[o][c][i] = act(x[o][c][i] * scale[c] + shift[c]) over [outer][channels][inner]. In place allowed. */
typedef struct {
    int32_t outer, channels, inner;
    mlc_act_t act;
} mlc_channel_affine_params_t;
int mlc_channel_affine_f32(const mlc_channel_affine_params_t *p, const float *x, const float *scale,
                           const float *shift, float *y);

/**
 * Inference BatchNormalization with run-time parameters over [outer][channels][inner]:
 * y = act((x - mean[c]) * scale[c] / sqrt(var[c] + eps) + bias[c]). In place allowed.
 */
typedef struct {
    int32_t outer, channels, inner;
    float eps;
    mlc_act_t act;
} mlc_batchnorm_params_t;
int mlc_batchnorm_f32(const mlc_batchnorm_params_t *p, const float *x, const float *scale, const float *bias,
                      const float *mean, const float *var, float *y);

/**
 * Normalisation over the inner axis of [outer][inner]: y = (x - mean) / sqrt(var + eps) * scale[j] + bias[j].
 * LayerNormalization: scale/bias have `inner` values (bias may be NULL).
 * With per_row = 1 (InstanceNormalization) scale/bias are indexed by (row % channels) instead.
 */
typedef struct {
    int32_t outer, inner;
    float eps;
    int32_t per_row;      /**< 0: scale/bias indexed by j < inner; 1: by row % channels */
    int32_t channels;
} mlc_norm_params_t;
int mlc_norm_f32(const mlc_norm_params_t *p, const float *x, const float *scale, const float *bias,
                 float *y);
/** mlc_norm_f32 that also writes each row's mean and 1 / sqrt(var + eps) (LayerNormalization's optional
 *  outputs Mean and InvStdDev, `outer` values each); either may be NULL. */
int mlc_norm_stats_f32(const mlc_norm_params_t *p, const float *x, const float *scale, const float *bias,
                       float *y, float *mean_out, float *inv_std_out);

/** Lp normalisation along the middle axis of [outer][axis][inner] (p = 1 or 2). */
typedef struct {
    int32_t outer, axis, inner;
    int32_t p;
} mlc_lp_norm_params_t;
int mlc_lp_norm_f32(const mlc_lp_norm_params_t *p, const float *x, float *y);

/** Local response normalisation across channels, NCHW [n][c][spatial]. */
typedef struct {
    int32_t n, c, spatial;
    int32_t size;
    float alpha, beta, bias;
} mlc_lrn_params_t;
int mlc_lrn_f32(const mlc_lrn_params_t *p, const float *x, float *y);

/**
 * Gather along one axis with constant or run-time indices: x as [outer][axis_in][inner], indices
 * (count values, float-encoded integers, negative counts from the end) -> y [outer][count][inner].
 * Out-of-range indices return MLC_EINVAL.
 */
typedef struct {
    int32_t outer, axis_in, inner;
    int32_t count;
} mlc_gather_params_t;
int mlc_gather_f32(const mlc_gather_params_t *p, const float *x, const float *indices, float *y);

/**
 * GatherElements: y[i] = x[i with its `axis` coordinate replaced by indices[i]] over the dense shape `dims` of
 * indices and y. x_strides are x's strides with 0 on the axis (axis_stride, axis_len apart); indices are
 * float-encoded, negative ones count from the end, out-of-range ones return MLC_EINVAL before any write.
 */
typedef struct {
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t x_strides[MLC_MAX_DIMS];
    int32_t axis_stride, axis_len;
} mlc_gather_elements_params_t;
int mlc_gather_elements_f32(const mlc_gather_elements_params_t *p, const float *x, const float *indices, float *y);

/**
 * CumSum along one axis of [outer][axis_len][inner] (float32 accumulation in order): inclusive, or exclusive
 * (each sum leaves its own element out), from the start or from the end (reverse).
 */
typedef struct {
    int32_t outer, axis_len, inner;
    int32_t exclusive, reverse;
} mlc_cumsum_params_t;
int mlc_cumsum_f32(const mlc_cumsum_params_t *p, const float *x, float *y);

/**
 * TopK along one axis of x as [outer][axis_len][inner]: the k largest (largest != 0) or smallest values of
 * each slice, sorted, into values [outer][k][inner] and their float-encoded indices into indices (same
 * shape). Equal values keep the lower index first; NaN counts as larger than any number. 0 <= k <= axis_len.
 */
typedef struct {
    int32_t outer, axis_len, inner;
    int32_t k;
    int32_t largest;
} mlc_topk_params_t;
int mlc_topk_f32(const mlc_topk_params_t *p, const float *x, float *values, float *indices);

/**
 * Resize of the last two axes of [nc][h_in][w_in] to [nc][h_out][w_out].
 * Source coordinate x_in = (x_out + 0.5) / scale - 0.5 (half_pixel), x_out / scale (asymmetric),
 * x_out * (in - 1) / (len - 1) (align_corners; len is the output size, or in * scale with scaled_length),
 * pytorch_half_pixel, tf_half_pixel_for_nn, or half_pixel_symmetric (half_pixel shifted by
 * in / 2 * (1 - out / (in * scale))). Modes nearest, linear and cubic (ONNX's cubic convolution with
 * coefficient cubic_a; exclude_outside zeroes the taps outside the input and renormalises the rest).
 */
typedef enum { MLC_RESIZE_NEAREST = 0, MLC_RESIZE_LINEAR = 1, MLC_RESIZE_CUBIC = 2 } mlc_resize_mode_t;
typedef enum {
    MLC_COORD_HALF_PIXEL = 0,
    MLC_COORD_ASYMMETRIC = 1,
    MLC_COORD_ALIGN_CORNERS = 2,
    MLC_COORD_PYTORCH_HALF_PIXEL = 3,
    MLC_COORD_TF_HALF_PIXEL_FOR_NN = 4,
    MLC_COORD_HALF_PIXEL_SYMMETRIC = 5
} mlc_coord_mode_t;
typedef enum {
    MLC_NEAREST_ROUND_PREFER_FLOOR = 0,
    MLC_NEAREST_ROUND_PREFER_CEIL = 1,
    MLC_NEAREST_FLOOR = 2,
    MLC_NEAREST_CEIL = 3
} mlc_nearest_mode_t;
typedef struct {
    int32_t nc, h_in, w_in, h_out, w_out;
    float scale_h, scale_w;
    int32_t mode, coord, nearest;
    float cubic_a;              /**< cubic: ONNX cubic_coeff_a (-0.75 by default) */
    int32_t exclude_outside;    /**< cubic: taps outside the input get weight 0, the others are renormalised */
    int32_t scaled_length;      /**< align_corners: resized length in * scale (ONNX's reference for given scales) */
} mlc_resize_params_t;
int mlc_resize_f32(const mlc_resize_params_t *p, const float *x, float *y);

/**
 * mlc_resize_f32 with scales that are a run-time tensor: scale_h = scales[scale_h_index] and scale_w =
 * scales[scale_w_index] (an index < 0 keeps the scale of `r`). The output size is static. Scales whose bit
 * is set in unit_mask (other resized axes, which keep their size) must be exactly 1, else MLC_EINVAL.
 */
typedef struct {
    mlc_resize_params_t r;
    int32_t scale_h_index, scale_w_index;
    int32_t unit_mask;
} mlc_resize_scales_params_t;
int mlc_resize_scales_f32(const mlc_resize_scales_params_t *p, const float *x, const float *scales, float *y);

/**
 * ONNX LSTM. x [seq][batch][input] (layout 0) or [batch][seq][input] (layout 1);
 * w [dirs][4 * hidden][input] and r [dirs][4 * hidden][hidden]
 * in gate order i, o, f, c; b [dirs][8 * hidden] (W bias then R bias) or NULL; init_h / init_c
 * [dirs][batch][hidden] or NULL (zeros); peep [dirs][3 * hidden] (i, o, f) or NULL.
 * y [seq][dirs][batch][hidden], y_h / y_c [dirs][batch][hidden]; each may be NULL. With layout 1 the batch
 * axis comes first: init_h / init_c / y_h / y_c [batch][dirs][hidden], y [batch][seq][dirs][hidden].
 * f, g, h are the gate, cell and hidden activations per direction; clip > 0 bounds activation inputs.
 * scratch: batch * 6 * hidden floats. With num_dirs == 1, reverse = 1 runs the sequence backwards.
 */
typedef struct {
    int32_t seq, batch, input, hidden;
    int32_t num_dirs;
    int32_t reverse;
    float clip;
    mlc_act_t f[2], g[2], h[2];
    int32_t layout;       /**< 0: sequence-major, 1: batch-major (ONNX attribute layout) */
} mlc_lstm_params_t;
int mlc_lstm_f32(const mlc_lstm_params_t *p, const float *x, const float *w, const float *r, const float *b,
                 const float *init_h, const float *init_c, const float *peep, float *y, float *y_h, float *y_c,
                 float *scratch);

/**
 * ONNX GRU, layout 0 or 1 as LSTM. w [dirs][3 * hidden][input], r [dirs][3 * hidden][hidden] in gate order z, r, h;
 * b [dirs][6 * hidden] or NULL; init_h [dirs][batch][hidden] or NULL. y [seq][dirs][batch][hidden] and
 * y_h [dirs][batch][hidden] may be NULL. scratch: batch * 7 * hidden floats.
 */
typedef struct {
    int32_t seq, batch, input, hidden;
    int32_t num_dirs;
    int32_t reverse;
    int32_t linear_before_reset;
    float clip;
    mlc_act_t f[2], g[2];
    int32_t layout;       /**< 0: sequence-major, 1: batch-major */
} mlc_gru_params_t;
int mlc_gru_f32(const mlc_gru_params_t *p, const float *x, const float *w, const float *r, const float *b,
                const float *init_h, float *y, float *y_h, float *scratch);

#ifdef __cplusplus
}
#endif

#endif /* MLC_KERNELS_F32_H */
