/**
 * @file select.h
 * @brief The modes of the float kernels that call into libm, and the paths of the DSP int8 convolution,
 *        compiled in or left out.
 *
 * This copy selects every mode (the runtime's own tests use it). A generated project's copy selects only
 * its model's (toolchain/select.py), so that the linker leaves out the libm code of the others (erff,
 * powf, fmodf, logf, ...: up to 15 KB on a Cortex-M). A mode left out is refused by the kernel
 * (MLC_EINVAL), or, for a fused activation, evaluates to NaN. A convolution path left out is never taken:
 * such a convolution runs the general path (the same results).
 */
#ifndef MLC_SELECT_H
#define MLC_SELECT_H

/** Bit k: mlc_unary_op_t k (mlc_unary_f32, and every fused activation through mlc_unary_eval_f32). */
#ifndef MLC_UNARY_OPS
#define MLC_UNARY_OPS 0xFFFFFFFFFFFFFFFFull
#endif
/** Bit k: mlc_binary_op_t k (mlc_binary_f32). */
#ifndef MLC_BINARY_OPS
#define MLC_BINARY_OPS 0xFFFFFFFFull
#endif
/** Bit k: mlc_reduce_op_t k (mlc_reduce_f32). */
#ifndef MLC_REDUCE_OPS
#define MLC_REDUCE_OPS 0xFFFFFFFFull
#endif
/** Bit k: mlc_softmax_f32's mode k (0 Softmax, 1 LogSoftmax, 2 Hardmax). */
#ifndef MLC_SOFTMAX_MODES
#define MLC_SOFTMAX_MODES 0x7ull
#endif
/** 1: mlc_avgpool2d_f32 runs LpPool with p > 2 (powf). */
#ifndef MLC_LP_POOL_POW
#define MLC_LP_POOL_POW 1
#endif

/** 1: the DSP mlc_conv2d_s8 may meet a depthwise convolution (groups = c_in = c_out): its depthwise paths
    (dsp/conv2d_s8_dw.c) are compiled in. */
#ifndef MLC_CONV_S8_DEPTHWISE
#define MLC_CONV_S8_DEPTHWISE 1
#endif
/** 1: the DSP mlc_conv2d_s8 may meet a 1x1 convolution of up to 8 input channels a group (its narrow path). */
#ifndef MLC_CONV_S8_NARROW_PW
#define MLC_CONV_S8_NARROW_PW 1
#endif

/** Mode k of `mask` is compiled in (a constant: the code of the others folds away). */
#define MLC_SELECTED(mask, k) ((((mask) >> (k)) & 1u) != 0)

#endif /* MLC_SELECT_H */
