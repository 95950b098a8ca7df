/**
 * @file conv2d_s8_dsp.h
 * @brief What the two files of the DSP int8 convolution share (conv2d_s8.c: im2col, matmul, the entry;
 *        conv2d_s8_dw.c: depthwise 3x3 and pointwise with few input channels): the call's derived values,
 *        whether the hot loops are assembly, and the entry's calls into conv2d_s8_dw.c. Two translation
 *        units so the build compiles them in parallel (one took about 2-3 s of GCC).
 */
#ifndef MLC_KERNELS_CONV2D_S8_DSP_H
#define MLC_KERNELS_CONV2D_S8_DSP_H

#include <stddef.h>

#include "dsp_util.h"
#include "mlc/kernels_s8.h"
#include "mlc/requant.h"

typedef struct {
    const mlc_conv2d_s8_params_t *p;
    const int8_t *w;
    const int32_t *bias, *qmult; /* qmult: each channel's (mult, shift) packed (requant.h) */
    int32_t cig, cog, ksize, taps, nb, nt;
    int32_t nbp; /* column blocks: nb, and one more holding the nt last taps (x_zero_point after them) */
    int32_t plane_in, plane_out;
    uint32_t nzp2;     /* -x_zero_point in both halfwords: SXTAB16 widens and subtracts in one go */
    uint32_t lo4, hi4; /* activation clamp in every byte */
    uint8_t zpad;      /* the byte a padded tap stages: x_zero_point, i.e. 0 after the subtraction */
    uint8_t s2k3;      /* 3x3, stride 2, dilation 1: pairs inside the input stage through stage_pairs_s2k3 */
    /* 1 when y_zero_point <= max(act_min, -128) (e.g. ReLU outputs at zero point -128): every accumulator
       a <= 0 gives the lowest output, with the requantization's tie term -[a < 0] or without it (the rest
       of the form is monotone in a and gives y_zero_point at a = 0), so the assembly leaves it out */
    uint8_t notie;
} conv_t;

/* Whether channel ch of a 3x3 depthwise convolution (9 taps) takes mlc_dsp_rq_prepare's form with lsh 1 and a
   right shift of 1..22 (its bias bound for 9 taps): the usual channel, which the depthwise kernels prepare
   inline. */
static inline int dw_fast_channel(const conv_t *c, int32_t ch)
{
    const int32_t b0 = c->bias != NULL ? c->bias[ch] : 0, sh = mlc_qm_shift(c->qmult[ch]);
    const uint32_t abs_b0 = b0 < 0 ? 0u - (uint32_t)b0 : (uint32_t)b0;
    return sh < 0 && sh >= -22 && abs_b0 <= 0x3FFFFFFFu - 9u * 32640u;
}

/* The hot loops in assembly: GCC 12 spills and reloads column words in the C loops. (Unoptimized builds,
   which reserve a frame pointer, use the C.) */
#if MLC_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
#define MM_USE_ASM 1
#else
#define MM_USE_ASM 0
#endif

/* The weight word of the last (partial) block: the nt < 4 weights from wp, zeros above them. */
static MLC_DSP_ALWAYS_INLINE uint32_t mm_last_word(const int8_t *wp, int32_t nt)
{
    uint32_t v = (uint8_t)wp[0];
    if (nt > 1) v |= (uint32_t)(uint8_t)wp[1] << 8;
    if (nt > 2) v |= (uint32_t)(uint8_t)wp[2] << 16;
    return v;
}

#if MM_USE_ASM
/* Column registers of the LDMs: ascending, as LDM fills them. */
#define MX_ASM_COLUMN_REGS                                                                                        \
    register uint32_t x0 __asm__("r8"), x1 __asm__("r9"), x2 __asm__("r10"), x3 __asm__("r11")
#endif

/* Padded input rows of the depthwise ring path: up to 3 rows of DW_ROW bytes on the stack. */
#define DW_ROW 132
/* Padded input lines of the band depthwise path, on the stack. */
#define DW_T 1024

/* conv2d_s8_dw.c's paths (conv2d_s8.c's entry picks them by the sizes above) */
void mlc_dsp_conv_dw3x3(const conv_t *c, const int8_t *x, int8_t *y);
void mlc_dsp_conv_dw3x3_band(const conv_t *c, const int8_t *x, int8_t *y, int tr);
void mlc_dsp_conv_dw3x3_w3(const conv_t *c, const int8_t *x, int8_t *y);
#if MM_USE_ASM
void mlc_dsp_conv_dw3x3_w6(const conv_t *c, const int8_t *x, int8_t *y);
void mlc_dsp_conv_dw3x3_s2(const conv_t *c, const int8_t *x, int8_t *y);
void mlc_dsp_conv_pw_narrow(const conv_t *c, const int8_t *x, int8_t *y);
#endif

#endif
