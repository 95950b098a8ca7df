/**
 * @file conv2d_s8.c
 * @brief Int8 2-D convolution for cores with the DSP extension (Cortex-M4/M7/M33), NCHW; byte-identical
 *        to runtime_c/kernels/ref/conv2d_s8.c.
 *
 * Paths:
 *  - depthwise (groups = c_in = c_out) 3x3, dilation 1, stride 1 or 2 along the rows (or, for narrow planes
 *    such as KWS's 25 x 5, down the columns of a transposed copy): bands of padded lines on the stack, two
 *    outputs per step in assembly on raw x from a start of bias - x_zero_point sum(w) (doubled with the
 *    weights where that saves the requantization's left shift), then a requantizing pass; and 1x1 stride 1
 *    with at most 8 input channels: in conv2d_s8_dw.c (mlc_dsp_conv_dw3x3_band, mlc_dsp_conv_dw3x3,
 *    mlc_dsp_conv_pw_narrow), compiled beside this file; there too, straight from the input rows with no
 *    staging: planes 3 outputs wide (rows of 3 at stride 1, of 6 at stride 2: mlc_dsp_conv_dw3x3_w3), 6 wide
 *    at stride 1 (mlc_dsp_conv_dw3x3_w6: a row's six accumulators in registers), and stride 2 on planes
 *    twice the output (mlc_dsp_conv_dw3x3_s2: the line pass on the input rows, the padding column
 *    corrected);
 *  - everything else: the taps of pairs of output pixels gathered into `scratch` as int16 x - x_zero_point
 *    ("im2col", padding 0), three pairs interleaved block by block; then one output channel x six pixels
 *    per inner loop, four taps per step: one word of int8 weights widened by SXTB16 (taps 0, 2) and
 *    SXTB16 ROR 8 (taps 1, 3) against column words already in that order, loaded four at a time by LDM,
 *    12 SMLADs in 18 instructions; the channel's six outputs are neighbours in NCHW and leave as a word and
 *    a halfword (the plane's last 1-5 pixels: zero columns past the end, bytes stored); the staging of
 *    interior pixel pairs skips every padding test (3x3 stride 2: a row's first pair too, its left padding
 *    column zeroed after the staging read the previous row's last byte there);
 *  - 1x1, no padding, any stride: the columns are a transpose of x (the channel axis is strided in NCHW),
 *    built from halfword loads of two neighbouring pixels (stride 1) or byte loads, with no padding logic;
 *  - scratch == NULL or degenerate shapes: the reference loop (ref/conv2d_s8_direct.h).
 * Requantization: mlc_dsp_rq (dsp_util.h), the exact prepared form of mlc_requant_s8, or mlc_requant_s8
 * itself where the prepared form's bound does not hold.
 */
#include "conv2d_s8_direct.h"
#include "conv2d_s8_dsp.h"
#include "mlc/select.h"

/* Output channels whose requantization is prepared at once (16 bytes each on the stack): each chunk stages
   the columns again, so 128 (2 KB) saves a second staging on 128-channel layers (vww_mobilenet025 -96K
   instructions against 64). */
#define RQ_CHUNK 128


/* ------------------------------------------------------------------------------------------ im2col */

/*
 * Staging: tap t of the two pixels as one halfword (byte 0: pixel 0, byte 1: pixel 1), in the weights'
 * tap order (ic, kh, kw), in the upper half of the scratch. A padded tap stages x_zero_point.
 */

/* One pixel into byte `col` of every staged halfword, with full bounds checks. */
MLC_DSP_NOINLINE static void stage_pixel(const conv_t *c, const int8_t *xg, int32_t oh, int32_t ow, uint8_t *st)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    int32_t kh0, kh1, kw0, kw1, ic, i, j;
    mlc_dsp_window(ih0, p->dil_h, p->k_h, p->h_in, &kh0, &kh1);
    mlc_dsp_window(iw0, p->dil_w, p->k_w, p->w_in, &kw0, &kw1);
    for (ic = 0; ic < c->cig; ++ic) {
        const int8_t *xc = xg + ic * c->plane_in;
        for (i = 0; i < p->k_h; ++i) {
            if (i < kh0 || i >= kh1) {
                for (j = 0; j < p->k_w; ++j, st += 2) *st = c->zpad;
            } else {
                const int32_t ro = (ih0 + i * p->dil_h) * p->w_in + iw0; /* offsets: iw0 may be negative */
                for (j = 0; j < kw0; ++j, st += 2) *st = c->zpad;
                for (; j < kw1; ++j, st += 2) *st = (uint8_t)xc[ro + j * p->dil_w];
                for (; j < p->k_w; ++j, st += 2) *st = c->zpad;
            }
        }
    }
}

/* kw halfwords of padding. */
static MLC_DSP_ALWAYS_INLINE uint8_t *stage_pad(uint8_t *st, int32_t n, uint32_t zz)
{
    for (; n > 0; --n, st += 2) mlc_dsp_st16(st, zz);
    return st;
}

/*
 * Two pixels of one output row (same input rows; each may be padded horizontally). The common case,
 * stride 1, dilation 1, 3 wide, inside the input, takes one load and one PKHBT per kernel row: bytes
 * x0..x3 give the pairs (x0,x1) (x1,x2) (x2,x3). Offsets stay integers until a row is known to exist.
 */
MLC_DSP_NOINLINE static void stage_pair_row(const conv_t *c, const int8_t *xg, int32_t oh, int32_t ow, uint8_t *st)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    const int32_t kw = p->k_w, dw = p->dil_w, sw = p->stride_w, kh = p->k_h;
    const int32_t row_step = p->dil_h * p->w_in, plane = c->plane_in;
    const uint32_t zz = (uint32_t)c->zpad * 0x0101u;
    const uint8_t z = c->zpad;
    int32_t kh0, kh1, ka0, ka1, kb0, kb1, ic, i, j, off;
    mlc_dsp_window(ih0, p->dil_h, kh, p->h_in, &kh0, &kh1);
    mlc_dsp_window(iw0, dw, kw, p->w_in, &ka0, &ka1);
    mlc_dsp_window(iw0 + sw, dw, kw, p->w_in, &kb0, &kb1);
    off = (ih0 + kh0 * p->dil_h) * p->w_in + iw0; /* first valid row of channel 0, at the window's column */
    if (sw == 1 && dw == 1 && kw == 3) {
        /* columns iw0 .. iw0 + 3 are the same for every row: outside the input they stage x_zero_point */
        const int32_t q0 = iw0 < 0 ? -iw0 : 0, q1 = p->w_in - iw0 < 4 ? p->w_in - iw0 : 4;
        const int full = q0 == 0 && q1 == 4;
        if (full && kh == 3 && kh0 == 0 && kh1 == 3) { /* 3x3 inside the input: three rows per channel */
            const int8_t *row = xg + off, *const end = row + c->cig * plane;
            for (; row < end; row += plane, st += 18) {
                const uint32_t v0 = mlc_dsp_ld32(row), v1 = mlc_dsp_ld32(row + row_step);
                const uint32_t v2 = mlc_dsp_ld32(row + 2 * row_step);
                mlc_dsp_st32(st, mlc_dsp_pkhbt_v8(v0));
                mlc_dsp_st32(st + 4, (v0 >> 16) | (mlc_dsp_pkhbt_v8(v1) << 16));
                mlc_dsp_st32(st + 8, (mlc_dsp_pkhbt_v8(v1) >> 16) | (v1 & 0xFFFF0000u));
                mlc_dsp_st32(st + 12, mlc_dsp_pkhbt_v8(v2));
                mlc_dsp_st16(st + 16, v2 >> 16);
            }
            return;
        }
        for (ic = 0; ic < c->cig; ++ic, off += plane) {
            int32_t ro = off, q;
            st = stage_pad(st, kh0 * 3, zz);
            if (full) {
                const int8_t *row = xg + ro;
                uint8_t *end = st + 6 * (kh1 - kh0);
                for (; st < end; row += row_step, st += 6) {
                    const uint32_t v = mlc_dsp_ld32(row);
                    mlc_dsp_st32(st, mlc_dsp_pkhbt_v8(v));
                    mlc_dsp_st16(st + 4, v >> 16);
                }
            } else if (p->w_in >= 4 && q0 < q1 && (q0 == 0 || q1 == 4)) {
                /* one edge: the row's first (or last) word, shifted into place, x_zero_point bytes filled in */
                const int32_t off = q0 > 0 ? q0 : q1 - 4; /* the word starts inside the row */
                const uint32_t sl = 8u * (uint32_t)q0, sr = 8u * (uint32_t)(4 - q1);
                const uint32_t zfill = (zz * 0x10001u) & ~((0xFFFFFFFFu << sl) & (0xFFFFFFFFu >> sr));
                for (i = kh0; i < kh1; ++i, ro += row_step, st += 6) {
                    const uint32_t v = ((mlc_dsp_ld32(xg + ro + off) << sl) >> sr) | zfill;
                    mlc_dsp_st32(st, mlc_dsp_pkhbt_v8(v));
                    mlc_dsp_st16(st + 4, v >> 16);
                }
            } else {
                for (i = kh0; i < kh1; ++i, ro += row_step, st += 6) {
                    uint32_t v = 0;
                    for (q = 0; q < 4; ++q) v |= (uint32_t)(q >= q0 && q < q1 ? (uint8_t)xg[ro + q] : z) << (8 * q);
                    mlc_dsp_st32(st, mlc_dsp_pkhbt_v8(v));
                    mlc_dsp_st16(st + 4, v >> 16);
                }
            }
            st = stage_pad(st, (kh - kh1) * 3, zz);
        }
        return;
    }
    if (ka0 == 0 && ka1 == kw && kb0 == 0 && kb1 == kw) { /* both windows inside horizontally: no tap tests */
        const int32_t rows = kh1 - kh0;
        for (ic = 0; ic < c->cig; ++ic, off += plane) {
            const int8_t *row = xg + off;
            st = stage_pad(st, kh0 * kw, zz);
            if (kw == 3) { /* the usual 3 wide: a row in straight-line code */
                const int32_t d2 = 2 * dw;
                for (i = 0; i < rows; ++i, row += row_step, st += 6) {
                    mlc_dsp_st16(st, (uint32_t)(uint8_t)row[0] | ((uint32_t)(uint8_t)row[sw] << 8));
                    mlc_dsp_st16(st + 2, (uint32_t)(uint8_t)row[dw] | ((uint32_t)(uint8_t)row[dw + sw] << 8));
                    mlc_dsp_st16(st + 4, (uint32_t)(uint8_t)row[d2] | ((uint32_t)(uint8_t)row[d2 + sw] << 8));
                }
            } else {
                for (i = 0; i < rows; ++i, row += row_step) {
                    const int8_t *xp = row;
                    for (j = 0; j < kw; ++j, st += 2, xp += dw) {
                        mlc_dsp_st16(st, (uint32_t)(uint8_t)xp[0] | ((uint32_t)(uint8_t)xp[sw] << 8));
                    }
                }
            }
            st = stage_pad(st, (kh - kh1) * kw, zz);
        }
        return;
    }
    for (ic = 0; ic < c->cig; ++ic, off += plane) {
        int32_t ro = off;
        st = stage_pad(st, kh0 * kw, zz);
        for (i = kh0; i < kh1; ++i, ro += row_step) {
            if (ka0 == 0 && kb1 == kw && sw == 1 && dw == 1) {
                for (j = 0; j < kw; ++j, st += 2) mlc_dsp_st16(st, mlc_dsp_ld16(xg + ro + j));
            } else {
                for (j = 0; j < kw; ++j, st += 2) {
                    st[0] = j >= ka0 && j < ka1 ? (uint8_t)xg[ro + j * dw] : z;
                    st[1] = j >= kb0 && j < kb1 ? (uint8_t)xg[ro + j * dw + sw] : z;
                }
            }
        }
        st = stage_pad(st, (kh - kh1) * kw, zz);
    }
}

/*
 * Column layout (int16 x - x_zero_point) of six pixels, three pairs k = 0..2 (pixels 2k, 2k + 1):
 * per block b of four taps t0..t3, 48 bytes, pair k at 48b + 16k holds the words [c0 (t0,t2)] [c1 (t0,t2)]
 * [c0 (t1,t3)] [c1 (t1,t3)] (c0, c1: the pair's pixels), the order SXTB16 / SXTB16 ROR 8 give the
 * weights, so one pointer walks all six pixels and one LDM loads a pair. The nt = taps % 4 last taps fill
 * one more block whose other taps are 0 (their weights, read as the word ending at the channel's last weight
 * shifted down, are 0 too): nbp blocks in all. The int8 staging of one pair (2 bytes a tap, 4 nbp taps)
 * follows them.
 */
#define COL_BLOCK 48
/* COL_BLOCK and COL_BLOCK - 8 as assembly immediates */
#define COL_BLOCK_IMM "#48"
#define COL_BLOCK_IMM8 "#40"

#if MM_USE_ASM
/* expand: one block of four taps of two pixels from 8 staged bytes: (t0,t2) and (t1,t3) pairs widened
   with the zero point subtracted, stored at out and out + 8, out stepping to the next block */
#define EXPAND_ASM_BLOCK                                                                                          \
    "ldrd    %[a], %[bb], [%[st]], #8\n\t"                                                                        \
    "pkhbt   %[e], %[a], %[bb], lsl #16\n\t"                                                                      \
    "pkhtb   %[o], %[bb], %[a], asr #16\n\t"                                                                      \
    "sxtab16 %[t0], %[nz], %[e]\n\t"                                                                              \
    "sxtab16 %[t1], %[nz], %[e], ror #8\n\t"                                                                      \
    "strd    %[t0], %[t1], [%[out]], #8\n\t"                                                                      \
    "sxtab16 %[t0], %[nz], %[o]\n\t"                                                                              \
    "sxtab16 %[t1], %[nz], %[o], ror #8\n\t"                                                                      \
    "strd    %[t0], %[t1], [%[out]], " COL_BLOCK_IMM8 "\n\t"
#define EXPAND_ASM_OPERANDS                                                                                       \
    [st] "+r"(st), [out] "+r"(out), [a] "=&r"(a), [bb] "=&r"(bb), [e] "=&r"(e), [o] "=&r"(o), [t0] "=&r"(t0),     \
        [t1] "=&r"(t1)
#endif

/* Staging halfwords (tap-major: pixel 0 byte, pixel 1 byte; x_zero_point past the taps) into pair k's
   blocks. */
MLC_DSP_NOINLINE static void expand(const conv_t *c, const uint8_t *st, uint8_t *out)
{
    const int32_t nb = c->nbp;
    const uint32_t nz = c->nzp2;
    const uint8_t *const end = out + COL_BLOCK * nb;
#if MM_USE_ASM
    /* 11 instructions a block (GCC: 16); st is word-aligned (the staging follows the columns) */
    if ((nb & 1) != 0) {
        uint32_t a, bb, e, o, t0, t1;
        __asm__ volatile(EXPAND_ASM_BLOCK : EXPAND_ASM_OPERANDS : [nz] "r"(nz) : "memory");
    }
    if (out < end) {
        uint32_t a, bb, e, o, t0, t1;
        __asm__ volatile("1:\n\t" EXPAND_ASM_BLOCK EXPAND_ASM_BLOCK "cmp %[out], %[end]\n\tbne 1b\n\t"
                         : EXPAND_ASM_OPERANDS
                         : [nz] "r"(nz), [end] "r"(end)
                         : "cc", "memory");
    }
#else
    for (; out < end; st += 8, out += COL_BLOCK) {
        const uint32_t a = mlc_dsp_ld32(st), bb = mlc_dsp_ld32(st + 4);
        const uint32_t even = mlc_dsp_pkhbt16(a, bb); /* pairs of taps 0 and 2 */
        const uint32_t odd = mlc_dsp_pkhtb16(bb, a);  /* pairs of taps 1 and 3 */
        mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, even), mlc_dsp_sxtab16_odd(nz, even));
        mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16(nz, odd), mlc_dsp_sxtab16_odd(nz, odd));
    }
#endif
}

/*
 * 1x1, no padding: the two pixels at input offsets o0 and o1 of the plane (o1 = o0 for the odd last one);
 * neighbours (stride 1) load as halfwords.
 */
MLC_DSP_NOINLINE static void pack_pointwise(const conv_t *c, const int8_t *xg, int32_t o0, int32_t o1, uint8_t *out)
{
    const int32_t plane = c->plane_in, nb = c->nb, nt = c->nt;
    const uint32_t nz = c->nzp2;
    const int8_t *xp = xg + o0, *xq = xg + o1;
    int32_t b;
    if (o1 == o0 + 1) {
        for (b = 0; b < nb; ++b, out += COL_BLOCK, xp += 4 * plane) {
            /* (x[ic][p], x[ic][p+1]) halfwords of channels ic..ic+3, paired (ic, ic+2) and (ic+1, ic+3) */
            const uint32_t even = mlc_dsp_ld16(xp) | (mlc_dsp_ld16(xp + 2 * plane) << 16);
            const uint32_t odd = mlc_dsp_ld16(xp + plane) | (mlc_dsp_ld16(xp + 3 * plane) << 16);
            mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, even), mlc_dsp_sxtab16_odd(nz, even));
            mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16(nz, odd), mlc_dsp_sxtab16_odd(nz, odd));
        }
        xq = xp + 1;
    } else {
        for (b = 0; b < nb; ++b, out += COL_BLOCK, xp += 4 * plane, xq += 4 * plane) {
            const uint32_t even = mlc_dsp_pack4(xp[0], xq[0], xp[2 * plane], xq[2 * plane]);
            const uint32_t odd = mlc_dsp_pack4(xp[plane], xq[plane], xp[3 * plane], xq[3 * plane]);
            mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, even), mlc_dsp_sxtab16_odd(nz, even));
            mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16(nz, odd), mlc_dsp_sxtab16_odd(nz, odd));
        }
    }
    if (nt != 0) { /* the last block: channels 4 nb .. 4 nb + nt - 1, x_zero_point (0) for the others */
        const uint8_t z = c->zpad;
        const uint32_t even = mlc_dsp_pack4(xp[0], xq[0], nt > 2 ? xp[2 * plane] : z, nt > 2 ? xq[2 * plane] : z);
        const uint32_t odd = mlc_dsp_pack4(nt > 1 ? xp[plane] : z, nt > 1 ? xq[plane] : z, z, z);
        mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, even), mlc_dsp_sxtab16_odd(nz, even));
        mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16(nz, odd), mlc_dsp_sxtab16_odd(nz, odd));
    }
}

/*
 * pack_pointwise for six pixels at once where output pixel p reads input offset p (1x1, stride 1, rows as
 * wide as the output's) and the channels are whole blocks of four: pixels 0-5 of each channel from x as a word
 * and a halfword, regrouped into the three pairs' (channels 0 and 2, channels 1 and 3) halves by PKH: about
 * half the instructions of three pack_pointwise calls.
 */
MLC_DSP_NOINLINE static void pack_pointwise6(const conv_t *c, const int8_t *x, uint8_t *out)
{
    const int32_t plane = c->plane_in, nb = c->nb;
    const uint32_t nz = c->nzp2;
#if MM_USE_ASM
    /* 40 instructions a block (GCC's code for the C below: 53) */
    const uint8_t *const end = out + COL_BLOCK * nb;
    uint32_t w0, w1, w2, w3, e, o, t;
    if (nb <= 0) return;
/* Pair (pixels) from the halves in e (channels 0, 2) and o (1, 3): widened, two STRDs at byte offset off */
#define PP6_ASM_PAIR(off)                                                                                         \
    "sxtab16 %[t], %[nz], %[e], ror #8\n\t"                                                                       \
    "sxtab16 %[e], %[nz], %[e]\n\t"                                                                               \
    "strd    %[e], %[t], [%[out], #" off "]\n\t"                                                                  \
    "sxtab16 %[t], %[nz], %[o], ror #8\n\t"                                                                       \
    "sxtab16 %[o], %[nz], %[o]\n\t"                                                                               \
    "strd    %[o], %[t], [%[out], #" off " + 8]\n\t"
    __asm__ volatile("1:\n\t"
                     "ldr     %[w0], [%[x]]\n\t"
                     "ldr     %[w1], [%[x], %[pl]]\n\t"
                     "add     %[t], %[x], %[pl], lsl #1\n\t"
                     "ldr     %[w2], [%[t]]\n\t"
                     "ldr     %[w3], [%[t], %[pl]]\n\t"
                     "pkhbt   %[e], %[w0], %[w2], lsl #16\n\t"
                     "pkhbt   %[o], %[w1], %[w3], lsl #16\n\t" PP6_ASM_PAIR("0")
                     "pkhtb   %[e], %[w2], %[w0], asr #16\n\t"
                     "pkhtb   %[o], %[w3], %[w1], asr #16\n\t" PP6_ASM_PAIR("16")
                     "add     %[t], %[x], %[pl], lsl #1\n\t"
                     "ldrh    %[w2], [%[t], #4]\n\t"
                     "add     %[t], %[t], %[pl]\n\t"
                     "ldrh    %[w3], [%[t], #4]\n\t"
                     "ldrh    %[w0], [%[x], #4]\n\t"
                     "add     %[t], %[x], %[pl]\n\t"
                     "ldrh    %[w1], [%[t], #4]\n\t"
                     "pkhbt   %[e], %[w0], %[w2], lsl #16\n\t"
                     "pkhbt   %[o], %[w1], %[w3], lsl #16\n\t" PP6_ASM_PAIR("32")
                     "add     %[x], %[x], %[pl], lsl #2\n\t"
                     "add     %[out], %[out], #48\n\t"
                     "cmp     %[out], %[end]\n\t"
                     "bne     1b"
                     : [x] "+r"(x), [out] "+r"(out), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3),
                       [e] "=&r"(e), [o] "=&r"(o), [t] "=&r"(t)
                     : [pl] "r"(plane), [nz] "r"(nz), [end] "r"(end)
                     : "cc", "memory");
#undef PP6_ASM_PAIR
#else
    int32_t b;
    for (b = 0; b < nb; ++b, x += 4 * plane, out += COL_BLOCK) {
        const uint32_t w0 = mlc_dsp_ld32(x), w1 = mlc_dsp_ld32(x + plane);
        const uint32_t w2 = mlc_dsp_ld32(x + 2 * plane), w3 = mlc_dsp_ld32(x + 3 * plane);
        const uint32_t h0 = mlc_dsp_ld16(x + 4), h1 = mlc_dsp_ld16(x + plane + 4);
        const uint32_t h2 = mlc_dsp_ld16(x + 2 * plane + 4), h3 = mlc_dsp_ld16(x + 3 * plane + 4);
        uint32_t ev = mlc_dsp_pkhbt16(w0, w2), od = mlc_dsp_pkhbt16(w1, w3); /* pixels 0, 1 */
        mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, ev), mlc_dsp_sxtab16_odd(nz, ev));
        mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16(nz, od), mlc_dsp_sxtab16_odd(nz, od));
        ev = mlc_dsp_pkhtb16(w2, w0); /* pixels 2, 3 */
        od = mlc_dsp_pkhtb16(w3, w1);
        mlc_dsp_st2x32a(out + 16, mlc_dsp_sxtab16(nz, ev), mlc_dsp_sxtab16_odd(nz, ev));
        mlc_dsp_st2x32a(out + 24, mlc_dsp_sxtab16(nz, od), mlc_dsp_sxtab16_odd(nz, od));
        ev = mlc_dsp_pkhbt16(h0, h2); /* pixels 4, 5 */
        od = mlc_dsp_pkhbt16(h1, h3);
        mlc_dsp_st2x32a(out + 32, mlc_dsp_sxtab16(nz, ev), mlc_dsp_sxtab16_odd(nz, ev));
        mlc_dsp_st2x32a(out + 40, mlc_dsp_sxtab16(nz, od), mlc_dsp_sxtab16_odd(nz, od));
    }
#endif
}

/* Pair k of the columns as zeros: pixels past the plane's end (computed, never stored). */
MLC_DSP_NOINLINE static void clear_pair(const conv_t *c, uint8_t *out)
{
    const uint8_t *const end = out + COL_BLOCK * c->nbp;
    for (; out < end; out += COL_BLOCK) {
        mlc_dsp_st2x32a(out, 0u, 0u);
        mlc_dsp_st2x32a(out + 8, 0u, 0u);
    }
}

/* ------------------------------------------------------------------------------------------- matmul */


/*
 * One output channel x six pixels: per four taps one weight word widened twice (SXTB16 and SXTB16 ROR 8)
 * and three LDMs of a pair's four column words, 12 SMLADs in 18 instructions (1.33 MACs per instruction;
 * eight pixels with LDRD, the most that fit the registers with two column words, took 27 for 16).
 */
#define MO_PAIR(e, o, col)                                                                                        \
    do {                                                                                                          \
        e = mlc_dsp_smlad(we_, mlc_dsp_ld32a(col), e);                                                            \
        o = mlc_dsp_smlad(we_, mlc_dsp_ld32a((col) + 4), o);                                                      \
        e = mlc_dsp_smlad(wo_, mlc_dsp_ld32a((col) + 8), e);                                                      \
        o = mlc_dsp_smlad(wo_, mlc_dsp_ld32a((col) + 12), o);                                                     \
    } while (0)
#define MO_BLOCK_WORD(col, word)                                                                                  \
    do {                                                                                                          \
        const uint32_t wv_ = (word);                                                                              \
        const uint32_t we_ = mlc_dsp_sxtb16(wv_), wo_ = mlc_dsp_sxtb16_odd(wv_);                                  \
        MO_PAIR(a0, a1, col);                                                                                     \
        MO_PAIR(a2, a3, (col) + 16);                                                                              \
        MO_PAIR(a4, a5, (col) + 32);                                                                              \
    } while (0)
#define MO_BLOCK(col)                                                                                             \
    do {                                                                                                          \
        MO_BLOCK_WORD(col, mlc_dsp_ld32(wp));                                                                     \
        wp += 4;                                                                                                  \
    } while (0)


#if MM_USE_ASM
/* One pair's four column words (LDM fills x0..x3, pinned to r8..r11, from ca, stepping it) into e and o. */
#define MX_ASM_PAIR(e, o)                                                                                         \
    "ldmia  %[ca]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                             \
    "smlad  %[" e "], %[we], %[x0], %[" e "]\n\t"                                                                 \
    "smlad  %[" o "], %[we], %[x1], %[" o "]\n\t"                                                                 \
    "smlad  %[" e "], %[wv], %[x2], %[" e "]\n\t"                                                                 \
    "smlad  %[" o "], %[wv], %[x3], %[" o "]\n\t"
/* MX_ASM_PAIR with both accumulators starting from e's value (o's first, before e moves on). */
#define MX_ASM_PAIR_FROM(e, o)                                                                                    \
    "ldmia  %[ca]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                             \
    "smlad  %[" o "], %[we], %[x1], %[" e "]\n\t"                                                                 \
    "smlad  %[" e "], %[we], %[x0], %[" e "]\n\t"                                                                 \
    "smlad  %[" e "], %[wv], %[x2], %[" e "]\n\t"                                                                 \
    "smlad  %[" o "], %[wv], %[x3], %[" o "]\n\t"
/* One block of four taps of six pixels after the weight word is in wv. */
#define MX_ASM_BLOCK_REST                                                                                         \
    "sxtb16 %[we], %[wv]\n\t"                                                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t" MX_ASM_PAIR("a0", "a1") MX_ASM_PAIR("a2", "a3") MX_ASM_PAIR("a4", "a5")
#define MX_ASM_BLOCK "ldr    %[wv], [%[wp]], #4\n\t" MX_ASM_BLOCK_REST
/* The last (partial) block, its weight word read from memory operand wl. */
#define MX_ASM_BLOCK_WL "ldr    %[wv], %[wl]\n\t" MX_ASM_BLOCK_REST
/* Fourteen registers: every general register but sp and pc; the loop end is read from the stack. */
#define MX_ASM_OPERANDS                                                                                           \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5), [ca] "+r"(ca),     \
        [wp] "+r"(wp), [wv] "=&r"(wv), [we] "=&r"(we), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),           \
        [x3] "=&r"(x3)

/* One block of four taps for pairs 0 and 1 (pixels 0-3): the weight word widened, pair 0's odd taps, pair 1. */
#define MM_ASM_HEAD "ldr    %[wv], [%[wp]], #4\n\t" MM_ASM_HEAD_REST
/* The same after the weight word is in wv. */
#define MM_ASM_HEAD_REST                                                                                          \
    "sxtb16 %[we], %[wv]\n\t"                                                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                                             \
    "ldrd   %[xa], %[xb], [%[ca], #8]\n\t"                                                                        \
    "smlad  %[a0], %[wv], %[xa], %[a0]\n\t"                                                                       \
    "smlad  %[a1], %[wv], %[xb], %[a1]\n\t"                                                                       \
    "ldrd   %[xa], %[xb], [%[ca], #16]\n\t"                                                                       \
    "smlad  %[a2], %[we], %[xa], %[a2]\n\t"                                                                       \
    "smlad  %[a3], %[we], %[xb], %[a3]\n\t"                                                                       \
    "ldrd   %[xa], %[xb], [%[ca], #24]\n\t"                                                                       \
    "smlad  %[a2], %[wv], %[xa], %[a2]\n\t"                                                                       \
    "smlad  %[a3], %[wv], %[xb], %[a3]\n\t"
/* Pair 0's even taps, last: the load steps ca to the next block. */
#define MM_ASM_TAIL                                                                                               \
    "ldrd   %[xa], %[xb], [%[ca]], " COL_BLOCK_IMM "\n\t"                                                         \
    "smlad  %[a0], %[we], %[xa], %[a0]\n\t"                                                                       \
    "smlad  %[a1], %[we], %[xb], %[a1]\n\t"
#endif

/* Four accumulators requantized and packed into one word (byte i: pixel i), clamped. */
static MLC_DSP_ALWAYS_INLINE uint32_t rq_word(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const mlc_dsp_rq_t *rq,
                                              const conv_t *c, int clamp)
{
    const int32_t zp = c->p->y_zero_point, lo = c->p->act_min, hi = c->p->act_max;
    uint32_t v;
    if (MLC_DSP_LIKELY(rq->fast && rq->neg)) {
        const uint32_t lsh = rq->lsh, rsh = rq->rsh;
        const int32_t m = rq->mult, ad = rq->add;
        v = mlc_dsp_pkhbt16(mlc_dsp_bytes2(mlc_dsp_rq_right(a0, lsh, m, ad, rsh), mlc_dsp_rq_right(a1, lsh, m, ad, rsh)),
                            mlc_dsp_bytes2(mlc_dsp_rq_right(a2, lsh, m, ad, rsh), mlc_dsp_rq_right(a3, lsh, m, ad, rsh)));
    } else {
        v = mlc_dsp_pkhbt16(mlc_dsp_rq2(a0, a1, rq, zp, lo, hi), mlc_dsp_rq2(a2, a3, rq, zp, lo, hi));
    }
    return clamp ? mlc_dsp_clamp4(v, c->lo4, c->hi4) : v;
}

#if MM_USE_ASM
/* Pair 0 only (the plane's last 1-2 pixels): 4 SMLADs in 9 instructions. */
#define MP_ASM_BLOCK_REST                                                                                         \
    "sxtb16 %[we], %[wv]\n\t"                                                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                                             \
    "ldrd   %[xa], %[xb], [%[ca], #8]\n\t"                                                                        \
    "smlad  %[a0], %[wv], %[xa], %[a0]\n\t"                                                                       \
    "smlad  %[a1], %[wv], %[xb], %[a1]\n\t" MM_ASM_TAIL
#define MP_ASM_BLOCK "ldr    %[wv], [%[wp]], #4\n\t" MP_ASM_BLOCK_REST
#define MP_ASM_BLOCK_WL "ldr    %[wv], %[wl]\n\t" MP_ASM_BLOCK_REST
#define MP_ASM_OPERANDS                                                                                           \
    [a0] "+r"(a0), [a1] "+r"(a1), [ca] "+r"(ca), [wp] "+r"(wp), [wv] "=&r"(wv), [we] "=&r"(we), [xa] "=&r"(xa),   \
        [xb] "=&r"(xb)
/* Pairs 0 and 1 only (the plane's last 3-4 pixels): 8 SMLADs in 15 instructions. */
#define MH_ASM_BLOCK MM_ASM_HEAD MM_ASM_TAIL
#define MH_ASM_BLOCK_WL "ldr    %[wv], %[wl]\n\t" MM_ASM_HEAD_REST MM_ASM_TAIL
#define MH_ASM_OPERANDS                                                                                           \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [ca] "+r"(ca), [wp] "+r"(wp), [wv] "=&r"(wv),    \
        [we] "=&r"(we), [xa] "=&r"(xa), [xb] "=&r"(xb)
/* Pair 0 and pair 1's first pixel (the plane's last 3 pixels): 6 SMLADs in 12 instructions, pair 2 skipped. */
#define MT_ASM_BLOCK_REST                                                                                         \
    "sxtb16 %[we], %[wv]\n\t"                                                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                                             \
    "ldmia  %[ca]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                             \
    "smlad  %[a0], %[we], %[x0], %[a0]\n\t"                                                                       \
    "smlad  %[a1], %[we], %[x1], %[a1]\n\t"                                                                       \
    "smlad  %[a0], %[wv], %[x2], %[a0]\n\t"                                                                       \
    "smlad  %[a1], %[wv], %[x3], %[a1]\n\t"                                                                       \
    "ldmia  %[ca]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                             \
    "smlad  %[a2], %[we], %[x0], %[a2]\n\t"                                                                       \
    "smlad  %[a2], %[wv], %[x2], %[a2]\n\t"                                                                       \
    "add    %[ca], %[ca], #16\n\t"
#define MT_ASM_BLOCK "ldr    %[wv], [%[wp]], #4\n\t" MT_ASM_BLOCK_REST
#define MT_ASM_BLOCK_WL "ldr    %[wv], %[wl]\n\t" MT_ASM_BLOCK_REST
#define MT_ASM_OPERANDS                                                                                           \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [ca] "+r"(ca), [wp] "+r"(wp), [wv] "=&r"(wv), [we] "=&r"(we),    \
        [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
/* nb blocks: four per iteration (the loop test, against the end on the stack, paid once per 16 taps),
   then nb % 4 */
#define MM_ASM_RUN(block, operands, tmp)                                                                          \
    do {                                                                                                          \
        if (ca < a_end) {                                                                                         \
            __asm__ volatile("1:\n\t" block block block block "ldr %[" tmp "], %[end]\n\tcmp %[ca], %[" tmp         \
                             "]\n\tbne 1b\n\t"                                                                     \
                             : operands                                                                           \
                             : [end] "m"(a_end)                                                                   \
                             : "cc", "memory");                                                                   \
        }                                                                                                         \
        if (rest & 2) __asm__ volatile(block block : operands : : "memory");                                      \
        if (rest & 1) __asm__ volatile(block : operands : : "memory");                                            \
    } while (0)
#endif

/*
 * cnt output channels for the first npx pixels of `cols`, six (wide) or four, or two when pair, three when
 * tri (not wide: the pairs past the pixels are not staged); y points at the first channel's output of
 * pixel 0.
 */
static MLC_DSP_ALWAYS_INLINE void matmul_tile(const conv_t *c, const int8_t *w, int32_t cnt, const mlc_dsp_rq_t *rq,
                                              const int16_t *cols, int32_t npx, int8_t *y, const int wide,
                                              const int uni, const int pair, const int tri)
{
    const int32_t taps = c->taps, nt = c->nt, nb = c->nb, plane = c->plane_out;
    const int clamp = c->p->act_min > -128 || c->p->act_max < 127; /* SSAT already gives the full int8 range */
#if MM_USE_ASM
    const uint8_t *const a_end = (const uint8_t *)cols + COL_BLOCK * 4 * (nb / 4);
    const int32_t rest = nb % 4;
#endif
    int32_t k, t;
    for (k = 0; k < cnt; ++k, w += taps, ++rq, y += plane) {
        const int8_t *wp = w;
        const uint8_t *ca = (const uint8_t *)cols;
        int32_t a0 = rq->bias, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        uint32_t v0, v1 = 0;
#if MM_USE_ASM
        {
            uint32_t wv, we;
            if (wide) {
                MX_ASM_COLUMN_REGS;
                MM_ASM_RUN(MX_ASM_BLOCK, MX_ASM_OPERANDS, "x0");
                if (nt != 0) {
                    const uint32_t wl = mm_last_word(wp, nt);
                    __asm__ volatile(MX_ASM_BLOCK_WL : MX_ASM_OPERANDS : [wl] "m"(wl) : "memory");
                }
            } else if (tri) {
                MX_ASM_COLUMN_REGS;
                MM_ASM_RUN(MT_ASM_BLOCK, MT_ASM_OPERANDS, "x0");
                if (nt != 0) {
                    const uint32_t wl = mm_last_word(wp, nt);
                    __asm__ volatile(MT_ASM_BLOCK_WL : MT_ASM_OPERANDS : [wl] "m"(wl) : "memory");
                }
            } else {
                uint32_t xa, xb;
                if (pair) {
                    MM_ASM_RUN(MP_ASM_BLOCK, MP_ASM_OPERANDS, "xa");
                } else {
                    MM_ASM_RUN(MH_ASM_BLOCK, MH_ASM_OPERANDS, "xa");
                }
                if (nt != 0) {
                    const uint32_t wl = mm_last_word(wp, nt);
                    if (pair) {
                        __asm__ volatile(MP_ASM_BLOCK_WL : MP_ASM_OPERANDS : [wl] "m"(wl) : "memory");
                    } else {
                        __asm__ volatile(MH_ASM_BLOCK_WL : MH_ASM_OPERANDS : [wl] "m"(wl) : "memory");
                    }
                }
            }
        }
#else
        (void)pair; /* the C computes all six pixels */
        (void)tri;
        for (t = 0; t < nb; ++t, ca += COL_BLOCK) MO_BLOCK(ca);
        if (nt != 0) MO_BLOCK_WORD(ca, mm_last_word(wp, nt));
#endif
        if (uni) { /* every channel: the prepared form with a right shift (lsh 1) */
            const int32_t m = rq->mult, ad = rq->add;
            const uint32_t rsh = rq->rsh;
            v0 = mlc_dsp_pack4(mlc_dsp_rq_right(a0, 1, m, ad, rsh), mlc_dsp_rq_right(a1, 1, m, ad, rsh),
                               mlc_dsp_rq_right(a2, 1, m, ad, rsh), mlc_dsp_rq_right(a3, 1, m, ad, rsh));
            if (clamp) v0 = mlc_dsp_clamp4(v0, c->lo4, c->hi4);
            if (wide) {
                v1 = mlc_dsp_bytes2(mlc_dsp_rq_right(a4, 1, m, ad, rsh), mlc_dsp_rq_right(a5, 1, m, ad, rsh));
                if (clamp) v1 = mlc_dsp_clamp4(v1, c->lo4, c->hi4);
            }
        } else {
            v0 = rq_word(a0, a1, a2, a3, rq, c, clamp);
            if (wide) v1 = rq_word(a4, a5, 0, 0, rq, c, clamp);
        }
        if (npx == 6) {
            mlc_dsp_st32(y, v0);
            mlc_dsp_st16(y + 4, v1);
        } else if (npx == 4) {
            mlc_dsp_st32(y, v0);
        } else { /* the plane's last pixels */
            for (t = 0; t < npx; ++t, v0 = t == 4 ? v1 : v0 >> 8) y[t] = (int8_t)(uint8_t)v0;
        }
    }
}

#if MM_USE_ASM
/* One accumulator on the prepared form with lsh 1 and a right shift (mlc_dsp_rq_right) in place, we the
   temporary, mult / add / the word holding rsh in x0 / x1 / x2. */
#define MF_ASM_RQ(a)                                                                                              \
    "lsl    %[we], %[" a "], #1\n\t"                                                                              \
    "smmlar %[we], %[we], %[x0], %[x1]\n\t"                                                                       \
    "add    %[we], %[we], %[" a "], asr #31\n\t"                                                                  \
    "asr    %[we], %[we], %[x2]\n\t"                                                                              \
    "ssat   %[" a "], #8, %[we]\n\t"
/* MF_ASM_RQ without the tie term (conv_t.notie) */
#define MF_ASM_RQ_NT(a)                                                                                           \
    "lsl    %[we], %[" a "], #1\n\t"                                                                              \
    "smmlar %[we], %[we], %[x0], %[x1]\n\t"                                                                       \
    "asr    %[we], %[we], %[x2]\n\t"                                                                              \
    "ssat   %[" a "], #8, %[we]\n\t"

/* matmul_hex_fused loads a channel's mult, add and the word holding rsh (its low byte) with the next
   channel's bias in one LDM, 16 bytes a channel. */
typedef char mf_rq_layout_check[offsetof(mlc_dsp_rq_t, bias) == 0 && offsetof(mlc_dsp_rq_t, mult) == 4 &&
                                        offsetof(mlc_dsp_rq_t, add) == 8 && offsetof(mlc_dsp_rq_t, rsh) == 12 &&
                                        sizeof(mlc_dsp_rq_t) == 16
                                    ? 1
                                    : -1];

/* The fused channel loop's parts: the channel's start (columns, the accumulators at the bias, in x3 from
   the previous channel's LDM or the caller); wp runs on from channel to channel */
#define MF_ASM_START_BIAS                                                                                         \
    "ldr    %[wp], %[wm]\n\t"                                                                                     \
    "0:\n\t"                                                                                                      \
    "ldr    %[ca], %[colsm]\n\t"                                                                                  \
    "mov    %[a0], %[x3]\n\t"
#define MF_ASM_START                                                                                              \
    MF_ASM_START_BIAS "mov    %[a1], %[a0]\n\tmov    %[a2], %[a0]\n\t"                                                               \
    "mov    %[a3], %[a0]\n\tmov    %[a4], %[a0]\n\tmov    %[a5], %[a0]\n\t"
/* For whole loop iterations: the bias in a0, a2 and a4 only, the first block taking the odd pixels' start
   from the even ones' before they move on, then into the loop at its second block (label 2) */
#define MF_ASM_START_PEELED                                                                                       \
    MF_ASM_START_BIAS "mov    %[a2], %[a0]\n\tmov    %[a4], %[a0]\n\t"                                                               \
    "ldr    %[wv], [%[wp]], #4\n\t"                                                                               \
    "sxtb16 %[we], %[wv]\n\t"                                                                                     \
    "sxtb16 %[wv], %[wv], ror #8\n\t" MX_ASM_PAIR_FROM("a0", "a1") MX_ASM_PAIR_FROM("a2", "a3")                   \
        MX_ASM_PAIR_FROM("a4", "a5") "b      2f\n\t"
/* body (whole blocks, entered at label 2 after a peeled first block) per iteration up to the end on the
   stack */
#define MF_ASM_LOOP_OF(body)                                                                                      \
    "1:\n\t" body                                                                                                  \
    "ldr    %[x0], %[end]\n\t"                                                                                    \
    "cmp    %[ca], %[x0]\n\t"                                                                                     \
    "bne    1b\n\t"
#define MF_ASM_BLOCKS4 MX_ASM_BLOCK MX_ASM_BLOCK MX_ASM_BLOCK MX_ASM_BLOCK
#define MF_ASM_BLOCKS3_FROM2 MX_ASM_BLOCK "2:\n\t" MX_ASM_BLOCK MX_ASM_BLOCK MX_ASM_BLOCK
/* four blocks per loop test, or eight (nb a multiple of 8), entered at the second block */
#define MF_ASM_LOOP_FROM2 MF_ASM_LOOP_OF(MF_ASM_BLOCKS3_FROM2)
#define MF_ASM_LOOP8_FROM2 MF_ASM_LOOP_OF(MF_ASM_BLOCKS3_FROM2 MF_ASM_BLOCKS4)
/* after the loop (if any): nb % 4 blocks and the last (partial) block, the word ending at the channel's
   last weight shifted down */
#define MF_ASM_RUN_REST                                                                                           \
    "ldr    %[x0], %[rest]\n\t"                                                                                   \
    "tst    %[x0], #2\n\t"                                                                                        \
    "beq    3f\n\t" MX_ASM_BLOCK MX_ASM_BLOCK "3:\n\t"                                                            \
    "ldr    %[x0], %[rest]\n\t"                                                                                   \
    "tst    %[x0], #1\n\t"                                                                                        \
    "beq    4f\n\t" MX_ASM_BLOCK "4:\n\t"                                                                         \
    "ldr    %[x0], %[ntm]\n\t"                                                                                    \
    "cmp    %[x0], #0\n\t"                                                                                        \
    "beq    5f\n\t"                                                                                               \
    "add    %[wp], %[wp], %[x0]\n\t"                                                                              \
    "ldr    %[wv], [%[wp], #-4]\n\t"                                                                              \
    "ldr    %[x1], %[wshm]\n\t"                                                                                   \
    "lsr    %[wv], %[wv], %[x1]\n\t" MX_ASM_BLOCK_REST "5:\n\t"
/* requantization (each output by rq), packing, the stores, the next channel (until the LDM's pointer, in wv,
   reaches its end) */
#define MF_ASM_END_OF(rq)                                                                                         \
    "ldr    %[wv], %[rqp]\n\t"                                                                                    \
    "ldmia  %[wv]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                             \
    "str    %[wv], %[rqp]\n\t" rq("a0") rq("a1") rq("a2") rq("a3") rq("a4") rq("a5")                             \
    "bfi    %[a0], %[a1], #8, #8\n\t"                                                                             \
    "bfi    %[a0], %[a2], #16, #8\n\t"                                                                            \
    "bfi    %[a0], %[a3], #24, #8\n\t"                                                                            \
    "bfi    %[a4], %[a5], #8, #8\n\t"                                                                             \
    "ldrd   %[x0], %[x1], %[ypl]\n\t"                                                                             \
    "strh   %[a4], [%[x0], #4]\n\t"                                                                               \
    "str    %[a0], [%[x0]]\n\t"                                                                                   \
    "add    %[x0], %[x0], %[x1]\n\t"                                                                              \
    "str    %[x0], %[ypl]\n\t"                                                                                    \
    "ldr    %[x0], %[rq_end]\n\t"                                                                                 \
    "cmp    %[wv], %[x0]\n\t"                                                                                     \
    "bne    0b"
#define MF_ASM_OPERANDS                                                                                           \
    : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5),             \
      [ca] "=&r"(ca), [wp] "=&r"(wp), [wv] "=&r"(wv), [we] "=&r"(we), [x0] "=&r"(x0), [x1] "=&r"(x1),             \
      [x2] "=&r"(x2), [x3] "+r"(x3), [wm] "+m"(w), [rqp] "+m"(rq4), [ypl] "+m"(ypl)                              \
    : [colsm] "m"(cols), [end] "m"(a_end), [rest] "m"(rest), [rq_end] "m"(rq_end), [ntm] "m"(nt), [wshm] "m"(wsh) \
    : "cc", "memory"

/*
 * matmul_hex's usual case in one assembly block: six full pixels, at least four taps, every channel on
 * the prepared form with lsh 1 and a right shift (uni), no clamp. Per channel the accumulators start at the
 * bias, the multiply loop runs as MM_ASM_RUN's, then requantization, packing, a word and a halfword store
 * (channel k's at y + k plane). GCC, around separate statements that take all fourteen registers, spends
 * about 40 more instructions a channel reloading and moving values (measured on the Cortex-M4 with eight
 * pixels: a 64-tap pointwise tile 554 -> 499). Whole loop iterations and no partial block (e.g. 16, 144
 * or 288 taps) skip the tests of the others, 9 instructions a channel; with a multiple of 32 taps the loop
 * runs eight blocks per test. With 16 taps or more the first block is peeled: it sets the odd pixels'
 * accumulators from the even ones', 3 MOVs fewer a channel.
 */
/* The loop shapes of matmul_hex_fused, each ending with `end` */
#define MF_ASM_VARIANTS(end)                                                                                      \
    do {                                                                                                          \
        if (c->nb % 8 == 0 && nt == 0 && c->nb > 0) { /* eight blocks per loop test */                            \
            __asm__ volatile(MF_ASM_START_PEELED MF_ASM_LOOP8_FROM2 end MF_ASM_OPERANDS);                        \
        } else if (rest == 0 && nt == 0 && c->nb > 0) {                                                           \
            __asm__ volatile(MF_ASM_START_PEELED MF_ASM_LOOP_FROM2 end MF_ASM_OPERANDS);                         \
        } else if (c->nb >= 4) {                                                                                  \
            __asm__ volatile(MF_ASM_START_PEELED MF_ASM_LOOP_FROM2 MF_ASM_RUN_REST end MF_ASM_OPERANDS);         \
        } else { /* no loop */                                                                                    \
            __asm__ volatile(MF_ASM_START MF_ASM_RUN_REST end MF_ASM_OPERANDS);                                  \
        }                                                                                                         \
    } while (0)

MLC_DSP_NOINLINE static void matmul_hex_fused(const conv_t *c, const int8_t *w, int32_t cnt, const mlc_dsp_rq_t *rq,
                                              const int16_t *cols, int8_t *y, int32_t plane)
{
    const uint8_t *const a_end = (const uint8_t *)cols + COL_BLOCK * 4 * (c->nb / 4);
    const int32_t rest = c->nb % 4, nt = c->nt, wsh = 8 * (4 - c->nt);
    const int8_t *wp;
    const uint8_t *ca;
    int32_t a0, a1, a2, a3, a4, a5;
    uint32_t wv, we;
    MX_ASM_COLUMN_REGS;
    const uint8_t *rq4 = (const uint8_t *)rq + 4; /* each channel's LDM: from its mult to the next bias */
    const uint8_t *const rq_end = rq4 + sizeof(mlc_dsp_rq_t) * (uint32_t)cnt; /* the LDM's pointer, last channel */
    int32_t ypl[2]; /* y and plane: one LDRD */
    if (cnt <= 0) return;
    ypl[0] = (int32_t)(intptr_t)y;
    ypl[1] = plane;
    x3 = (uint32_t)rq->bias;
    /* the channel loop too: w (after the last block: the next channel's weights), rq, y and plane live on the
       stack; the last channel's LDM reads one bias past rq[cnt - 1] (callers hold one more entry) */
    if (c->notie) {
        MF_ASM_VARIANTS(MF_ASM_END_OF(MF_ASM_RQ_NT));
    } else {
        MF_ASM_VARIANTS(MF_ASM_END_OF(MF_ASM_RQ));
    }
}
#undef MF_ASM_START_BIAS
#undef MF_ASM_START
#undef MF_ASM_START_PEELED
#undef MF_ASM_LOOP_OF
#undef MF_ASM_BLOCKS4
#undef MF_ASM_BLOCKS3_FROM2
#undef MF_ASM_LOOP
#undef MF_ASM_LOOP_FROM2
#undef MF_ASM_LOOP8_FROM2
#undef MF_ASM_RUN_REST
#undef MF_ASM_END_OF
#undef MF_ASM_VARIANTS
#undef MF_ASM_OPERANDS
#undef MF_ASM_RQ
#undef MF_ASM_RQ_NT
#endif

#if MM_USE_ASM
/* One channel's weights widened for matmul_hex_group: per block of four taps (w0, w2) and (w1, w3) as int16
   lanes, the two words SXTB16 and SXTB16 ROR 8 give. */
static void widen_weights(const conv_t *c, const int8_t *w, uint32_t *wb, int dbl)
{
    uint32_t *const end = wb + 2 * (c->nb & ~3); /* four blocks a step, 19 instructions (GCC: 24) */
    uint32_t v0, v1, v2, v3, e;
    int32_t b;
#define WW_ASM_ONE(v) "sxtb16 %[e], %[" v "]\n\tsxtb16 %[" v "], %[" v "], ror #8\n\tstrd   %[e], %[" v "], [%[wb]], #8\n\t"
#define WW_ASM_DBL(v)                                                                                             \
    "sxtb16 %[e], %[" v "]\n\tsxtb16 %[" v "], %[" v "], ror #8\n\tsadd16 %[e], %[e], %[e]\n\t"                      \
    "sadd16 %[" v "], %[" v "], %[" v "]\n\tstrd   %[e], %[" v "], [%[wb]], #8\n\t"
#define WW_ASM(one)                                                                                               \
    __asm__ volatile("1:\n\t"                                                                                     \
                     "ldr    %[v0], [%[w]], #4\n\t"                                                               \
                     "ldr    %[v1], [%[w]], #4\n\t"                                                               \
                     "ldr    %[v2], [%[w]], #4\n\t"                                                               \
                     "ldr    %[v3], [%[w]], #4\n\t" one("v0") one("v1") one("v2") one("v3")                        \
                     "cmp    %[wb], %[end]\n\t"                                                                   \
                     "bne    1b"                                                                                  \
                     : [w] "+r"(w), [wb] "+r"(wb), [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3), \
                       [e] "=&r"(e)                                                                               \
                     : [end] "r"(end)                                                                             \
                     : "cc", "memory")
    if (wb != end && dbl) { /* doubled (int16 lanes of widened int8: exact), the requantization's left shift */
        WW_ASM(WW_ASM_DBL);
    } else if (wb != end) {
        WW_ASM(WW_ASM_ONE);
    }
    for (b = c->nb & ~3; b < c->nbp; ++b, wb += 2, w += 4) { /* the last blocks, the partial one zero-padded */
        const uint32_t v = b < c->nb ? mlc_dsp_ld32(w) : mm_last_word(w, c->nt);
        wb[0] = dbl ? mlc_dsp_dbl16(mlc_dsp_sxtb16(v)) : mlc_dsp_sxtb16(v);
        wb[1] = dbl ? mlc_dsp_dbl16(mlc_dsp_sxtb16_odd(v)) : mlc_dsp_sxtb16_odd(v);
    }
#undef WW_ASM
#undef WW_ASM_DBL
#undef WW_ASM_ONE
}

/* One accumulator on the prepared form with lsh 1 (mult we, add wv, right shift wp), in place, with or
   without the tie term (conv_t.notie); MG_ASM_RQ_NT_D for a doubled accumulator (doubled weights and bias:
   the left shift done). */
#define MG_ASM_RQ_NT_D(a)                                                                                         \
    "smmlar %[x0], %[" a "], %[we], %[wv]\n\t"                                                                     \
    "asr    %[x0], %[x0], %[wp]\n\t"                                                                              \
    "ssat   %[" a "], #8, %[x0]\n\t"
#define MG_ASM_RQ(a)                                                                                              \
    "lsl    %[x0], %[" a "], #1\n\t"                                                                              \
    "smmlar %[x0], %[x0], %[we], %[wv]\n\t"                                                                       \
    "add    %[x0], %[x0], %[" a "], asr #31\n\t"                                                                  \
    "asr    %[x0], %[x0], %[wp]\n\t"                                                                              \
    "ssat   %[" a "], #8, %[x0]\n\t"
#define MG_ASM_RQ_NT(a)                                                                                           \
    "lsl    %[x0], %[" a "], #1\n\t"                                                                              \
    "smmlar %[x0], %[x0], %[we], %[wv]\n\t"                                                                       \
    "asr    %[x0], %[x0], %[wp]\n\t"                                                                              \
    "ssat   %[" a "], #8, %[x0]\n\t"
/* A block of four taps of six pixels, the widened weights loaded by one LDRD: 16 instructions. */
#define MG_ASM_BLOCK "ldrd   %[we], %[wv], [%[wp]], #8\n\t" MX_ASM_PAIR("a0", "a1") MX_ASM_PAIR("a2", "a3") MX_ASM_PAIR("a4", "a5")
#define MG_ASM_BLOCKS4 MG_ASM_BLOCK MG_ASM_BLOCK MG_ASM_BLOCK MG_ASM_BLOCK
/* The tiles: per tile the bias (one LDM of six copies), the blocks four a loop test (wp against the weights' end), the
   requantization (rq's mult, add and right shift into we, wv, wp), a word and a halfword out, y on by 6. */
#define MG_ASM(rqm, blocks) MG_ASM_AT(rqm, "", blocks)
/* entry: a branch into the loop's blocks for a count of blocks that is not whole iterations */
#define MG_ASM_AT(rqm, entry, blocks)                                                                             \
    __asm__ volatile("1:\n\t"                                                                                     \
                     "ldr    %[x0], %[b6p]\n\t"                                                                   \
                     "ldmia  %[x0], {r0, r1, r2, r3, r4, r5}\n\t"                                                   \
                     "ldr    %[wp], %[wbp]\n\t" entry                                                             \
                     "2:\n\t" blocks                                                                               \
                     "ldr    %[x0], %[wend]\n\t"                                                                  \
                     "cmp    %[wp], %[x0]\n\t"                                                                    \
                     "bne    2b\n\t"                                                                              \
                     "ldr    %[x0], %[rqp]\n\t"                                                                   \
                     "ldrd   %[we], %[wv], [%[x0], #4]\n\t"                                                       \
                     "ldr    %[wp], [%[x0], #12]\n\t" rqm("a0") rqm("a1") rqm("a2") rqm("a3") rqm("a4") rqm("a5") \
                     "bfi    %[a0], %[a1], #8, #8\n\t"                                                            \
                     "bfi    %[a0], %[a2], #16, #8\n\t"                                                           \
                     "bfi    %[a0], %[a3], #24, #8\n\t"                                                           \
                     "bfi    %[a4], %[a5], #8, #8\n\t"                                                            \
                     "ldr    %[x1], %[yp]\n\t"                                                                    \
                     "str    %[a0], [%[x1]], #6\n\t"                                                              \
                     "strh   %[a4], [%[x1], #-2]\n\t"                                                             \
                     "str    %[x1], %[yp]\n\t"                                                                    \
                     "ldr    %[x0], %[cend]\n\t"                                                                  \
                     "cmp    %[ca], %[x0]\n\t"                                                                    \
                     "bne    1b\n\t"                                                                              \
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4),            \
                       [a5] "=&r"(a5), [ca] "+r"(ca), [wp] "=&r"(wp), [wv] "=&r"(wv), [we] "=&r"(we),              \
                       [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [yp] "+m"(y)                \
                     : [rqp] "m"(rq), [wbp] "m"(wb), [wend] "m"(wend), [cend] "m"(cend), [b6p] "m"(b6p)         \
                     : "cc", "memory")

/*
 * One output channel over ntiles six-pixel tiles whose columns follow each other from cols (COL_BLOCK * nbp
 * bytes a tile), its weights widened once (wb, widen_weights; blocks a multiple of 4, or one less with
 * doubled weights and notie, the first pass entered at its second block: conv_groups): 16 instructions a
 * block of four taps against matmul_hex_fused's 18 (no SXTB16 of the weight word), the usual requantization
 * (rq: the prepared form with lsh 1 and a right shift, no clamp), six outputs a tile from y on.
 */
MLC_DSP_NOINLINE static void matmul_hex_group(const conv_t *c, const uint32_t *wb, const mlc_dsp_rq_t *rq,
                                              const int16_t *cols, int32_t ntiles, int8_t *y, int dbl)
{
    const uint8_t *ca = (const uint8_t *)cols;
    const uint8_t *const cend = ca + COL_BLOCK * c->nbp * ntiles;
    const uint32_t *const wend = wb + 2 * c->nbp;
    /* the accumulators in r0..r5: one LDM sets them from six copies of the bias */
    register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3"), a4 __asm__("r4");
    register int32_t a5 __asm__("r5");
    int32_t b6[6];
    const int32_t *const b6p = b6;
    uint32_t wv, we;
    const uint32_t *wp;
    MX_ASM_COLUMN_REGS;
    if (ntiles <= 0) return;
    b6[0] = b6[1] = b6[2] = b6[3] = b6[4] = b6[5] = (int32_t)((uint32_t)rq->bias << dbl);
    if (c->nbp % 4 == 3) { /* doubled weights and notie only (conv_groups): the first pass from the second block */
        MG_ASM_AT(MG_ASM_RQ_NT_D, "b      4f\n\t", MG_ASM_BLOCK "4:\n\t" MG_ASM_BLOCK MG_ASM_BLOCK MG_ASM_BLOCK);
    } else if (dbl && c->nbp % 8 == 0) { /* doubled weights (notie only): no left shift */
        MG_ASM(MG_ASM_RQ_NT_D, MG_ASM_BLOCKS4 MG_ASM_BLOCKS4);
    } else if (dbl) {
        MG_ASM(MG_ASM_RQ_NT_D, MG_ASM_BLOCKS4);
    } else if (c->nbp % 8 == 0 && c->notie) { /* eight blocks a loop test */
        MG_ASM(MG_ASM_RQ_NT, MG_ASM_BLOCKS4 MG_ASM_BLOCKS4);
    } else if (c->notie) {
        MG_ASM(MG_ASM_RQ_NT, MG_ASM_BLOCKS4);
    } else if (c->nbp % 8 == 0) {
        MG_ASM(MG_ASM_RQ, MG_ASM_BLOCKS4 MG_ASM_BLOCKS4);
    } else {
        MG_ASM(MG_ASM_RQ, MG_ASM_BLOCKS4);
    }
}
#undef MG_ASM_BLOCKS4
#undef MG_ASM
#undef MG_ASM_AT
#undef MG_ASM_BLOCK
#undef MG_ASM_RQ
#undef MG_ASM_RQ_NT
#undef MG_ASM_RQ_NT_D
#endif

#if MM_USE_ASM
/* A plane's last five pixels (the third column pair's second pixel repeats the fifth): six outputs a
   channel into a buffer, five moved out (about 8 instructions a channel against 70 more in matmul_tile). */
MLC_DSP_NOINLINE static void matmul_five_fused(const conv_t *c, const int8_t *w, int32_t cnt,
                                               const mlc_dsp_rq_t *rq, const int16_t *cols, int8_t *y)
{
    int8_t t[64 * 8]; /* 64 channels at a time: half a kilobyte of stack */
    int32_t k, k0;
    for (k0 = 0; k0 < cnt; k0 += 64, w += 64 * c->taps, rq += 64) {
        const int32_t n = cnt - k0 < 64 ? cnt - k0 : 64;
        matmul_hex_fused(c, w, n, rq, cols, t, 8);
        for (k = 0; k < n; ++k, y += c->plane_out) {
            mlc_dsp_st32(y, mlc_dsp_ld32(t + 8 * k));
            y[4] = t[8 * k + 4];
        }
    }
}
#endif

MLC_DSP_NOINLINE static void matmul_hex(const conv_t *c, const int8_t *w, int32_t cnt, const mlc_dsp_rq_t *rq,
                                        const int16_t *cols, int32_t npx, int8_t *y)
{
#if MM_USE_ASM
    if (npx >= 5 && (c->nt == 0 || c->nb > 0) && c->p->act_min == -128 && c->p->act_max == 127) {
        if (npx == 6) {
            matmul_hex_fused(c, w, cnt, rq, cols, y, c->plane_out);
        } else {
            matmul_five_fused(c, w, cnt, rq, cols, y);
        }
        return;
    }
#endif
    matmul_tile(c, w, cnt, rq, cols, npx, y, 1, 1, 0, 0);
}

MLC_DSP_NOINLINE static void matmul_quad(const conv_t *c, const int8_t *w, int32_t cnt, const mlc_dsp_rq_t *rq,
                                         const int16_t *cols, int32_t npx, int8_t *y)
{
    if (npx == 3) {
        matmul_tile(c, w, cnt, rq, cols, 3, y, 0, 1, 0, 1);
    } else {
        matmul_tile(c, w, cnt, rq, cols, npx, y, 0, 1, npx <= 2, 0);
    }
}

/* Any channel's requantization (prepared with a left shift, or requant.h's: e.g. multipliers above 1 after
   calibration on narrow ranges), six pixels or fewer. */
MLC_DSP_NOINLINE static void matmul_any(const conv_t *c, const int8_t *w, int32_t cnt, const mlc_dsp_rq_t *rq,
                                        const int16_t *cols, int32_t npx, int8_t *y)
{
    matmul_tile(c, w, cnt, rq, cols, npx, y, 1, 0, 0, 0);
}

/* ------------------------------------------------------------------------------------ im2col driver */

/* One block of a pixel pair's columns from its four taps' (pixel 0, pixel 1) int16 pairs. */
static MLC_DSP_ALWAYS_INLINE uint8_t *s2k3_block(uint8_t *out, uint32_t t0, uint32_t t1, uint32_t t2, uint32_t t3)
{
    mlc_dsp_st2x32a(out, mlc_dsp_pkhbt16(t0, t2), mlc_dsp_pkhtb16(t2, t0));
    mlc_dsp_st2x32a(out + 8, mlc_dsp_pkhbt16(t1, t3), mlc_dsp_pkhtb16(t3, t1));
    return out + COL_BLOCK;
}

/* The (pixel 0, pixel 1) pairs of a kernel row's three taps: bytes (0, 2), (1, 3) and (2, 4) at the row,
   i.e. SXTAB16 of the word at row (even and odd bytes) and of the word at row + 1 (odd bytes). */
#define S2K3_ROW(row, a0, a1, a2)                                                                                 \
    do {                                                                                                          \
        const uint32_t v_ = mlc_dsp_ld32(row), u_ = mlc_dsp_ld32((row) + 1);                                      \
        a0 = mlc_dsp_sxtab16(nz, v_);                                                                             \
        a1 = mlc_dsp_sxtab16_odd(nz, v_);                                                                         \
        a2 = mlc_dsp_sxtab16_odd(nz, u_);                                                                         \
    } while (0)

/* The nine taps of one input channel's window (kernel rows at row, row + w_in, row + 2 w_in), the row pointer
   stepped by an add a row: w_in opaque to GCC, which would otherwise keep every row's offset from the pair
   on the stack (loaded back once a row, and about 60 instructions a call to set up). */
#define S2K3_CH(row, a0, a1, a2, a3, a4, a5, a6, a7, a8)                                                          \
    do {                                                                                                          \
        const int8_t *r_ = (row);                                                                                 \
        int32_t ws_ = w_in;                                                                                       \
        MLC_DSP_OPAQUE(ws_);                                                                                      \
        S2K3_ROW(r_, a0, a1, a2);                                                                                 \
        r_ += ws_;                                                                                                \
        S2K3_ROW(r_, a3, a4, a5);                                                                                 \
        r_ += ws_;                                                                                                \
        S2K3_ROW(r_, a6, a7, a8);                                                                                 \
    } while (0)

/* The blocks of n (1..4, a constant where inlined) input channels from x: 9 n taps, the last block padded
   with zeros (x - x_zero_point of the padding taps) unless n is 4 (36 taps, 9 whole blocks). */
static MLC_DSP_ALWAYS_INLINE uint8_t *s2k3_channels(const int8_t *x, int32_t n, int32_t w_in, int32_t plane,
                                                    uint32_t nz, uint8_t *out)
{
    uint32_t t0, t1, t2, t3, t4, t5, t6, t7, t8;
    uint32_t u0, u1, u2, u3, u4, u5, u6, u7, u8;
    int32_t ps = plane;
    MLC_DSP_OPAQUE(ps);
    S2K3_CH(x, t0, t1, t2, t3, t4, t5, t6, t7, t8);
    out = s2k3_block(out, t0, t1, t2, t3);
    out = s2k3_block(out, t4, t5, t6, t7);
    if (n == 1) return s2k3_block(out, t8, 0, 0, 0);
    x += ps;
    S2K3_CH(x, u0, u1, u2, u3, u4, u5, u6, u7, u8); /* taps 9..17 */
    out = s2k3_block(out, t8, u0, u1, u2);
    out = s2k3_block(out, u3, u4, u5, u6);
    if (n == 2) return s2k3_block(out, u7, u8, 0, 0);
    x += ps;
    S2K3_CH(x, t0, t1, t2, t3, t4, t5, t6, t7, t8); /* taps 18..26 */
    out = s2k3_block(out, u7, u8, t0, t1);
    out = s2k3_block(out, t2, t3, t4, t5);
    if (n == 3) return s2k3_block(out, t6, t7, t8, 0);
    x += ps;
    S2K3_CH(x, u0, u1, u2, u3, u4, u5, u6, u7, u8); /* taps 27..35 */
    out = s2k3_block(out, t6, t7, t8, u0);
    out = s2k3_block(out, u1, u2, u3, u4);
    return s2k3_block(out, u5, u6, u7, u8);
}

/*
 * The columns of npairs pixel pairs of one output row for a 3x3 kernel at stride 2, dilation 1, inside the
 * input (e.g. a first layer on RGB), straight into the pairs' blocks from out, x the first window's first
 * byte: per kernel row two word loads and three SXTAB16 give its taps' (pixel 0, pixel 1) pairs (pixel 1's
 * window starts two bytes on), and two PKHs a word regroup them by pixel; four input channels are nine whole
 * blocks. (The byte staging and expand took about 190 instructions a pair for 27 taps.)
 */
MLC_DSP_NOINLINE static void stage_pairs_s2k3(const conv_t *c, const int8_t *x, uint8_t *out, int32_t npairs)
{
    const int32_t w_in = c->p->w_in, plane = c->plane_in;
    const uint32_t nz = c->nzp2;
    int32_t k;
    for (k = 0; k < npairs; ++k, x += 4, out += 16) { /* pair k: pixels 2k, 2k + 1 of a row, 4 bytes on */
        const int8_t *xc = x;
        uint8_t *o = out;
        int32_t ic;
        for (ic = 0; ic + 4 <= c->cig; ic += 4, xc += 4 * plane) o = s2k3_channels(xc, 4, w_in, plane, nz, o);
        switch (c->cig - ic) {
        case 1: (void)s2k3_channels(xc, 1, w_in, plane, nz, o); break;
        case 2: (void)s2k3_channels(xc, 2, w_in, plane, nz, o); break;
        case 3: (void)s2k3_channels(xc, 3, w_in, plane, nz, o); break;
        default: break;
        }
    }
}
#undef S2K3_CH
#undef S2K3_ROW

/* For a c->s2k3 convolution: whether output pixels ow .. ow_last of row oh (pairs from ow) read only inside
   the input, stage_pairs_s2k3's condition (its last pair's window reads 5 bytes from its start); 2 when
   they do but for the left padding column of a row's first pixel (padding 1, ow 0, not the input's first
   row): the staging reads the previous row's last byte there, and s2k3_clear_left zeroes those taps. */
static MLC_DSP_ALWAYS_INLINE int s2k3_inside(const conv_t *c, int32_t oh, int32_t ow, int32_t ow_last)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t ih0 = 2 * oh - p->pad_top; /* stride 2 */
    if (ih0 < 0 || ih0 + 2 >= p->h_in || 2 * (ow_last - 1) - p->pad_left + 4 >= p->w_in) return 0;
    if (2 * ow >= p->pad_left) return 1;
    return ow == 0 && p->pad_left == 1 && ih0 >= 1 ? 2 : 0;
}

/* The taps of pair 0's first pixel in kernel column 0 (the left padding, read as the previous row's last
   byte by stage_pairs_s2k3) set to 0, i.e. x_zero_point: tap t = 9 ic + 3 kh is lane t % 4 of block
   t / 4, pixel 0's words at 0 (lanes 0, 2) and 8 (lanes 1, 3). */
static void s2k3_clear_left(const conv_t *c, uint8_t *cols)
{
    int32_t t;
    for (t = 0; t < c->taps; t += 3) {
        const int32_t j = t % 4;
        mlc_dsp_st16(cols + COL_BLOCK * (t / 4) + (j & 1) * 8 + (j & 2), 0);
    }
}

/* The six pixels (oh, ow .. ow + 5) of one row into a tile's columns at out by stage_pairs_s2k3, when
   s2k3_inside allows it (a row-initial left padding column zeroed after); returns 0, staging nothing, else. */
static MLC_DSP_ALWAYS_INLINE int stage_tile_s2k3(const conv_t *c, const int8_t *xg, int32_t oh, int32_t ow, uint8_t *out)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int in = ow + 6 <= p->w_out ? s2k3_inside(c, oh, ow, ow + 5) : 0;
    if (in == 0) return 0;
    stage_pairs_s2k3(c, xg + (2 * oh - p->pad_top) * p->w_in + 2 * ow - p->pad_left, out, 3);
    if (in == 2) s2k3_clear_left(c, out);
    return 1;
}

/*
 * The columns of the pixel at (oh, ow) and, when `pair`, the next one (both advanced past) into pair k
 * of the columns at scratch.
 */
static void stage_cols(const conv_t *c, const int8_t *xg, int32_t *oh, int32_t *ow, int pair,
                       int pointwise, int16_t *scratch, int32_t k)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    uint8_t *const cols = (uint8_t *)scratch, *const out = cols + 16 * k;
    uint8_t *const stage = cols + COL_BLOCK * c->nbp;
    if (pointwise) { /* input offsets of the pixel and the next one (the row's first when it wraps) */
        const int32_t ow1 = *ow + 1 < p->w_out ? *ow + 1 : 0, oh1 = ow1 != 0 ? *oh : *oh + 1;
        const int32_t o0 = *oh * p->stride_h * p->w_in + *ow * p->stride_w;
        pack_pointwise(c, xg, o0, pair ? oh1 * p->stride_h * p->w_in + ow1 * p->stride_w : o0, out);
    } else {
        int32_t t;
        const int32_t ih0 = *oh * p->stride_h - p->pad_top, iw0 = *ow * p->stride_w - p->pad_left;
        const int both = pair && *ow + 1 < p->w_out;
        const int inside = both && c->s2k3 ? s2k3_inside(c, *oh, *ow, *ow + 1) : 0;
        if (inside) {
            stage_pairs_s2k3(c, xg + ih0 * p->w_in + iw0, out, 1); /* the columns themselves */
            if (inside == 2) s2k3_clear_left(c, out);
        } else {
            if (both) {
                stage_pair_row(c, xg, *oh, *ow, stage);
            } else {
                stage_pixel(c, xg, *oh, *ow, stage);
                if (pair) {
                    stage_pixel(c, xg, *oh + 1, 0, stage + 1); /* the pair wraps to the next row */
                } else {
                    stage_pixel(c, xg, *oh, *ow, stage + 1);
                }
            }
            for (t = c->taps; t < 4 * c->nbp; ++t) mlc_dsp_st16(stage + 2 * t, c->zpad * 0x0101u); /* zeros */
            expand(c, stage, out);
        }
    }
    *ow += 2;
    while (*ow >= p->w_out) {
        *ow -= p->w_out;
        ++*oh;
    }
}

/* ------------------------------------------------------------------------------ ring of input rows */

/*
 * MLC_CONV_W_OHWI weights (the input channel innermost) turn a block of four taps into four channels at one
 * input position (cig a multiple of 4), or into neighbouring positions of one kernel row (dilation 1 along
 * the row, k_w * cig a multiple of 4). The input rows the current tile reads are kept transposed, each
 * padded row r (input row r - pad_top, x_zero_point outside the input) at slot r % rows of a ring of rows
 * x width pixels (padded column j: input column j - pad_left), each pixel's cig channels contiguous.
 * Staging a pair of pixels is then one word load per pixel (unaligned when cig % 4 != 0: LDR allows it
 * on these cores) and four SXTAB16 per block, with no padding test: the staging of the im2col path
 * (tap-major bytes, then widening) cost 2.5 instructions a byte inside the input and more at its edges.
 */
typedef struct {
    int8_t *ring;
    int32_t rows, width, row_bytes; /* ring rows, pixels per padded row, bytes per row */
} ring_t;

/* Padded row r of the group's input xg into its ring slot (row_bytes, a multiple of 4), four channels a word. */
MLC_DSP_NOINLINE static void ring_fill(const conv_t *c, const ring_t *rg, const int8_t *xg, int32_t r)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t cig = c->cig, ih = r - p->pad_top, plane = c->plane_in;
    const uint32_t zx4 = mlc_dsp_dup4((int8_t)p->x_zero_point);
    int8_t *const d = rg->ring + (r % rg->rows) * rg->row_bytes;
    /* padded columns [j0, j1) lie inside the input */
    const int32_t j0 = p->pad_left > 0 ? (p->pad_left < rg->width ? p->pad_left : rg->width) : 0;
    const int32_t j1 = p->w_in + p->pad_left < rg->width ? p->w_in + p->pad_left : rg->width;
    int32_t b, j;
    if (ih < 0 || ih >= p->h_in || j1 <= j0) {
        mlc_dsp_fill_words(d, 0, rg->row_bytes, zx4);
        return;
    }
    /* the padding first (the left one's last word and the right one's first may cover inside bytes: they
       are written next) */
    mlc_dsp_fill_words(d, 0, j0 * cig, zx4);
    mlc_dsp_fill_words(d, (j1 * cig) & ~3, rg->row_bytes, zx4);
    if (cig % 4 != 0) { /* a few channels (whole blocks along the kernel row): byte by byte */
        for (b = 0; b < cig; ++b) {
            const int8_t *s = xg + b * plane + ih * p->w_in + (j0 - p->pad_left);
            int8_t *o = d + j0 * cig + b;
            for (j = j0; j < j1; ++j, ++s, o += cig) *o = *s;
        }
        return;
    }
    for (b = 0; b < cig; b += 4) {
        const int8_t *s = xg + b * plane + ih * p->w_in + (j0 - p->pad_left);
        int8_t *o = d + j0 * cig + b;
        for (j = j0; j + 4 <= j1; j += 4, s += 4, o += 4 * cig) { /* 4 channels x 4 pixels transposed */
            mlc_dsp_transpose4(s, plane, o, cig);
        }
        for (; j < j1; ++j, ++s, o += cig) {
            mlc_dsp_st32(o, mlc_dsp_pack4(s[0], s[plane], s[2 * plane], s[3 * plane]));
        }
    }
}

#if MM_USE_ASM
/* One block: a word of four channels of each pixel, widened with the zero point subtracted, into the pair's
   four column words; pa, pb and out step on. */
#define RING_ASM_BLOCK                                                                                            \
    "ldr     %[va], [%[pa]], #4\n\t"                                                                              \
    "ldr     %[vb], [%[pb]], #4\n\t"                                                                              \
    "sxtab16 %[e0], %[nz], %[va]\n\t"                                                                             \
    "sxtab16 %[e1], %[nz], %[vb]\n\t"                                                                             \
    "sxtab16 %[va], %[nz], %[va], ror #8\n\t"                                                                     \
    "sxtab16 %[vb], %[nz], %[vb], ror #8\n\t"                                                                     \
    "strd    %[va], %[vb], [%[out], #8]\n\t"                                                                      \
    "strd    %[e0], %[e1], [%[out]], " COL_BLOCK_IMM "\n\t"
#endif

/* nblk blocks of one pair from nblk words at pa (pixel 0) and pb (pixel 1): 8 instructions a block. */
static MLC_DSP_ALWAYS_INLINE uint8_t *ring_blocks(const int8_t *pa, const int8_t *pb, int32_t nblk, uint32_t nz,
                                                  uint8_t *out)
{
#if MM_USE_ASM
    const int8_t *const end = pa + 4 * nblk;
    uint32_t va, vb, e0, e1;
    if (nblk & 1) {
        __asm__ volatile(RING_ASM_BLOCK
                         : [pa] "+r"(pa), [pb] "+r"(pb), [out] "+r"(out), [va] "=&r"(va), [vb] "=&r"(vb),
                           [e0] "=&r"(e0), [e1] "=&r"(e1)
                         : [nz] "r"(nz)
                         : "memory");
    }
    if (pa != end) {
        __asm__ volatile("1:\n\t" RING_ASM_BLOCK RING_ASM_BLOCK "cmp %[pa], %[end]\n\tbne 1b\n\t"
                         : [pa] "+r"(pa), [pb] "+r"(pb), [out] "+r"(out), [va] "=&r"(va), [vb] "=&r"(vb),
                           [e0] "=&r"(e0), [e1] "=&r"(e1)
                         : [nz] "r"(nz), [end] "r"(end)
                         : "cc", "memory");
    }
#else
    int32_t b;
    for (b = 0; b < nblk; ++b, pa += 4, pb += 4, out += COL_BLOCK) {
        const uint32_t va = mlc_dsp_ld32(pa), vb = mlc_dsp_ld32(pb); /* aligned when cig % 4 == 0 */
        mlc_dsp_st2x32a(out, mlc_dsp_sxtab16(nz, va), mlc_dsp_sxtab16(nz, vb));
        mlc_dsp_st2x32a(out + 8, mlc_dsp_sxtab16_odd(nz, va), mlc_dsp_sxtab16_odd(nz, vb));
    }
#endif
    return out;
}

/* The columns of pixels a (oh, ow) and b (ohb, owb) into pair k of the columns at out: per kernel row the
   k_w positions' channels are one run of the ring row when dil_w is 1. */
MLC_DSP_NOINLINE static void ring_stage_pair(const conv_t *c, const ring_t *rg, int32_t oh, int32_t ow, int32_t ohb,
                                             int32_t owb, uint8_t *out)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t cig = c->cig, rows = rg->rows, dh = p->dil_h, dw = p->dil_w * cig, k_w = p->k_w;
    const uint32_t nz = c->nzp2;
    int32_t sa = (oh * p->stride_h) % rows, sb = (ohb * p->stride_h) % rows, kh, kw;
    for (kh = 0; kh < p->k_h; ++kh) {
        const int8_t *pa = rg->ring + sa * rg->row_bytes + ow * p->stride_w * cig;
        const int8_t *pb = rg->ring + sb * rg->row_bytes + owb * p->stride_w * cig;
        if (dw == cig) {
            out = ring_blocks(pa, pb, k_w * cig / 4, nz, out);
        } else {
            for (kw = 0; kw < k_w; ++kw, pa += dw, pb += dw) out = ring_blocks(pa, pb, cig / 4, nz, out);
        }
        sa += dh;
        sb += dh;
        while (sa >= rows) sa -= rows;
        while (sb >= rows) sb -= rows;
    }
}

#if MM_USE_ASM
/*
 * The full six-pixel tiles of a chunk of cnt output channels (from oc0; y at the first one's plane) that can
 * go in groups (mlc_conv2d_s8_groups_tiles, the chunk on the usual requantization, no clamp): runs of up to
 * col_tiles tiles staged at once (pointwise rows: every full tile; 3x3 stride 2: tiles within one row and
 * inside the input but for a row-initial left padding column, s2k3_inside), then per channel the weights
 * widened once (doubled where 6 left shifts a tile outweigh 2 SADD16 a block) and matmul_hex_group over the
 * run, from pixel px (a tile's first). Returns the first pixel not done (px itself when the tile there
 * cannot go in a group: a top row at padding, a plane's last 1-5 pixels), which goes tile by tile.
 */
MLC_DSP_NOINLINE static int32_t conv_groups(const conv_t *c, const int8_t *xg, int16_t *scratch, const mlc_dsp_rq_t *rq,
                                            int32_t oc0, int32_t cnt, int8_t *y, int pw, int32_t px)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t full = c->plane_out / 6, tile_bytes = COL_BLOCK * c->nbp, w_out = p->w_out;
    uint32_t wb[2 * 128]; /* 512 taps at most: mlc_conv2d_s8_groups_tiles */
    int32_t t0 = px / 6, t, k;
    while (t0 < full) {
        int32_t run = 0, oh = 6 * t0 / w_out, ow = 6 * t0 % w_out;
        int dbl;
        if (pw) {
            run = full - t0 < p->col_tiles ? full - t0 : p->col_tiles;
            for (t = 0; t < run; ++t) pack_pointwise6(c, xg + 6 * (t0 + t), (uint8_t *)scratch + t * tile_bytes);
        } else {
            for (; run < p->col_tiles && t0 + run < full; ++run) {
                if (!stage_tile_s2k3(c, xg, oh, ow, (uint8_t *)scratch + run * tile_bytes)) break;
                ow += 6;
                if (ow == w_out) {
                    ow = 0;
                    ++oh;
                }
            }
        }
        /* doubled weights save 6 left shifts a tile for 2 SADD16 a block (notie: one variant); blocks one
           short of a multiple of 4 only run doubled */
        dbl = c->notie && 3 * run > c->nbp;
        if (run < 2 || (c->nbp % 4 == 3 && !dbl)) return 6 * t0;
        for (k = 0; k < cnt; ++k) {
            widen_weights(c, c->w + (oc0 + k) * c->taps, wb, dbl);
            matmul_hex_group(c, wb, &rq[k], scratch, run, y + k * c->plane_out + 6 * t0, dbl);
        }
        t0 += run;
    }
    return 6 * t0;
}
#endif

/*
 * The tiles of six output pixels: the columns of each pixel pair staged (from the ring when rg is given:
 * mlc_conv2d_s8_uses_ring; a tile's pixels span at most (w_out + 4) / w_out + 1 output rows, whose input
 * rows the ring holds; else im2col), then every output channel of a chunk multiplied against them. Inlined into
 * conv_im2col and conv_ring: each path's loop compiled for it alone.
 */
static MLC_DSP_ALWAYS_INLINE void conv_tiles(const conv_t *c, const int8_t *x, int16_t *scratch, int8_t *y,
                                             ring_t *rg)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t npix = p->h_out * p->w_out, w_out = p->w_out;
    const int32_t reach = (p->k_h - 1) * p->dil_h; /* padded rows below a row's first */
    /* 1x1, no padding, every pixel inside the input (any stride) */
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
                          (p->h_out - 1) * p->stride_h < p->h_in && (p->w_out - 1) * p->stride_w < p->w_in;
    /* pointwise with output pixel p at input offset p and whole blocks of channels: pack_pointwise6 */
    const int pw_run = pointwise && p->stride_h == 1 && p->stride_w == 1 && p->w_in == w_out && c->nt == 0;
    mlc_dsp_rq_t rq[RQ_CHUNK + 1]; /* + 1: matmul_hex_fused's last LDM reads one bias past the chunk */
#if MM_USE_ASM
    const int fused_ok = p->act_min == -128 && p->act_max == 127 && (c->nt == 0 || c->nb > 0); /* matmul_hex's */
#endif
    int32_t n, g, c0, k, px, q;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * c->cig) * c->plane_in;
            for (c0 = 0; c0 < c->cog; c0 += RQ_CHUNK) {
                const int32_t cnt = c->cog - c0 < RQ_CHUNK ? c->cog - c0 : RQ_CHUNK;
                const int32_t oc0 = g * c->cog + c0;
                int8_t *yc = y + (n * p->c_out + oc0) * c->plane_out;
                int32_t oh = 0, ow = 0, next_row = 0; /* im2col's next pixel; the next padded row the ring loads */
                int uni = 1; /* every channel of the chunk on the prepared form with a right shift */
                for (k = 0; k < cnt; ++k) {
                    const int32_t oc = oc0 + k;
                    mlc_dsp_rq_prepare(&rq[k], mlc_qm_mult(c->qmult[oc]), mlc_qm_shift(c->qmult[oc]), p->y_zero_point,
                                       c->bias != NULL ? c->bias[oc] : 0, c->taps);
                    uni &= rq[k].fast && rq[k].neg;
                }
#if MM_USE_ASM
                const int grouped = rg == NULL && (pw_run || c->s2k3) && uni && fused_ok && mlc_conv2d_s8_groups_tiles(p);
#endif
                for (px = 0; px < npix; px += 6) { /* six pixels: three column pairs interleaved */
                    const int32_t left = npix - px < 6 ? npix - px : 6;
#if MM_USE_ASM
                    if (grouped && left == 6) { /* runs of tiles staged at once, each channel's weights widened once */
                        const int32_t next = conv_groups(c, xg, scratch, rq, oc0, cnt, yc, pw_run, px);
                        if (next > px) {
                            px = next - 6; /* the loop steps on */
                            oh = next / w_out;
                            ow = next % w_out;
                            continue;
                        }
                    }
#endif
                    const int wide = left > 4 || !uni; /* else pairs 0 and 1, or pair 0, only */
                    const int32_t pairs = wide ? 3 : left > 2 ? 2 : 1;
                    if (rg != NULL) { /* the input rows of the tile's last pixel */
                        const int32_t last = px + (left < 2 * pairs ? left : 2 * pairs) - 1;
                        const int32_t need = (last / w_out) * p->stride_h + reach;
                        for (; next_row <= need; ++next_row) ring_fill(c, rg, xg, next_row);
                    }
                    if (rg == NULL && c->s2k3 && pairs == 3 && left == 6 &&
                        stage_tile_s2k3(c, xg, oh, ow, (uint8_t *)scratch)) {
                        /* six pixels of one row inside the input: one call staged the three pairs */
                        ow += 6;
                        if (ow == w_out) {
                            ow = 0;
                            ++oh;
                        }
                        q = pairs;
                    } else if (rg == NULL && pw_run && left == 6) { /* six pixels on from px, one call */
                        pack_pointwise6(c, xg + px, (uint8_t *)scratch);
                        ow += 6;
                        while (ow >= w_out) {
                            ow -= w_out;
                            ++oh;
                        }
                        q = pairs;
                    } else {
                        q = 0;
                    }
                    for (; q < pairs; ++q) {
                        uint8_t *const out = (uint8_t *)scratch + 16 * q;
                        const int32_t a = px + 2 * q, b = 2 * q + 1 < left ? a + 1 : a;
                        if (2 * q >= left) {
                            clear_pair(c, out);
                        } else if (rg != NULL) {
                            ring_stage_pair(c, rg, a / w_out, a % w_out, b / w_out, b % w_out, out);
                        } else {
                            stage_cols(c, xg, &oh, &ow, b != a, pointwise, scratch, q);
                        }
                    }
                    if (!uni) {
                        matmul_any(c, c->w + oc0 * c->taps, cnt, rq, scratch, left, yc + px);
#if MM_USE_ASM
                    } else if (left == 6 && fused_ok) { /* matmul_hex's usual case, without its call */
                        matmul_hex_fused(c, c->w + oc0 * c->taps, cnt, rq, scratch, yc + px, c->plane_out);
#endif
                    } else if (wide) {
                        matmul_hex(c, c->w + oc0 * c->taps, cnt, rq, scratch, left, yc + px);
                    } else {
                        matmul_quad(c, c->w + oc0 * c->taps, cnt, rq, scratch, left, yc + px);
                    }
                }
            }
        }
    }
}

MLC_DSP_NOINLINE static void conv_im2col(const conv_t *c, const int8_t *x, int16_t *scratch, int8_t *y)
{
    conv_tiles(c, x, scratch, y, NULL);
}

/* conv_tiles with the columns staged from a ring of input rows after the columns in scratch. */
MLC_DSP_NOINLINE static void conv_ring(const conv_t *c, const int8_t *x, int16_t *scratch, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    ring_t rg;
    rg.rows = (p->k_h - 1) * p->dil_h + 1 + p->stride_h * ((p->w_out + 4) / p->w_out);
    rg.width = (p->w_out - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
    rg.row_bytes = 4 * ((rg.width * c->cig + 3) / 4);
    rg.ring = (int8_t *)scratch + COL_BLOCK * c->nbp;
    conv_tiles(c, x, scratch, y, &rg);
}

/* --------------------------------------------------------------------------------------------- entry */

/* Whether every channel takes the prepared form with lsh 1 and a right shift of 1..22 for 9 taps (what
   mlc_dsp_rq_prepare decides for it: mlc_dsp_conv_dw3x3_w3 and _w6 prepare it inline) and the activation
   range is int8's. */
static int dw_all_fast(const conv_t *c)
{
    int32_t ch;
    if (c->lo4 != 0x80808080u || c->hi4 != 0x7F7F7F7Fu) return 0;
    for (ch = 0; ch < c->p->c_out; ++ch) {
        if (!dw_fast_channel(c, ch)) return 0;
    }
    return 1;
}


int mlc_conv2d_s8(const mlc_conv2d_s8_params_t *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *qmult, int16_t *scratch, int8_t *y)
{
    conv_t c;
    int32_t oc;
    int depthwise3;
    /* The reference kernel's checks, in its order. */
    if (p->groups <= 0 || p->c_in % p->groups != 0 || p->c_out % p->groups != 0) return MLC_EINVAL;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dil_h <= 0 || p->dil_w <= 0) return MLC_EINVAL;
    if (p->k_h <= 0 || p->k_w <= 0) return MLC_EINVAL;
    if (p->w_layout != MLC_CONV_W_OIHW && p->w_layout != MLC_CONV_W_OHWI) return MLC_EINVAL;
    if (!mlc_s8_ok(p->x_zero_point) || !mlc_s8_ok(p->y_zero_point) || !mlc_s8_range_ok(p->act_min, p->act_max))
        return MLC_EINVAL;
    c.cig = p->c_in / p->groups;
    c.cog = p->c_out / p->groups;
    if (c.cig > MLC_S8_MAX_TAPS / p->k_h / p->k_w) return MLC_EINVAL;
    for (oc = 0; oc < p->c_out; ++oc) {
        if (!mlc_qm_valid(qmult[oc])) return MLC_EINVAL;
    }
    c.p = p;
    c.w = w;
    c.bias = bias;
    c.qmult = qmult;
    c.ksize = p->k_h * p->k_w;
    c.taps = c.cig * c.ksize;
    c.nb = c.taps / 4;
    c.nt = c.taps % 4;
    c.nbp = c.nb + (c.nt != 0);
    c.plane_in = p->h_in * p->w_in;
    c.plane_out = p->h_out * p->w_out;
    c.nzp2 = mlc_dsp_dup2(-p->x_zero_point);
    c.lo4 = mlc_dsp_dup4(p->act_min);
    c.hi4 = mlc_dsp_dup4(p->act_max);
    c.zpad = (uint8_t)(p->x_zero_point & 0xFF);
    c.notie = (uint8_t)(p->y_zero_point <= (p->act_min > -128 ? p->act_min : -128));
    c.s2k3 = p->k_h == 3 && p->k_w == 3 && p->stride_h == 2 && p->stride_w == 2 && p->dil_h == 1 && p->dil_w == 1;
    if (p->n <= 0 || p->h_out <= 0 || p->w_out <= 0 || p->c_out <= 0) return MLC_OK; /* nothing to write */
    /* mlc/select.h: a model without depthwise convolutions leaves those paths (conv2d_s8_dw.c) out */
    depthwise3 = MLC_CONV_S8_DEPTHWISE && p->groups == p->c_in && p->groups == p->c_out && p->k_h == 3 &&
                 p->k_w == 3 && p->dil_h == 1 && p->dil_w == 1 && p->pad_top >= 0 && p->pad_left >= 0;
    if (p->h_in <= 0 || p->w_in <= 0 || c.cig <= 0) {
        mlc_conv2d_s8_direct(p, x, w, bias, qmult, y); /* every window empty: bias only */
    } else if (depthwise3 && p->w_out == 3 && p->h_out == 3 && p->pad_left == 1 && p->pad_top == 1 &&
               p->stride_h == p->stride_w && p->w_in == 3 * p->stride_w && p->h_in == p->w_in &&
               p->stride_w <= 2 && dw_all_fast(&c)) {
        mlc_dsp_conv_dw3x3_w3(&c, x, y); /* 3 x 3 planes: each output row from its input rows */
#if MM_USE_ASM
    } else if (depthwise3 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 1 && p->pad_left == 1 &&
               p->w_in == 6 && p->w_out == 6 && p->h_in >= 2 && p->h_out == p->h_in && c.notie && dw_all_fast(&c)) {
        mlc_dsp_conv_dw3x3_w6(&c, x, y); /* planes 6 wide at padding 1: straight from the input rows */
    } else if (depthwise3 && p->stride_h == 2 && p->stride_w == 2 && p->pad_top == 1 && p->pad_left == 1 &&
               p->w_out % 2 == 0 && p->w_in == 2 * p->w_out && p->h_in == 2 * p->h_out &&
               4 * ((p->w_in + 4) / 4) + 4 <= DW_ROW) {
        mlc_dsp_conv_dw3x3_s2(&c, x, y); /* stride 2 on planes twice the output: the input rows in place */
#endif
    } else if (depthwise3 && p->stride_h == 1 && (p->w_out < 8 || p->stride_w != 1) && p->h_out > p->w_out &&
               3 * (4 * ((p->h_out + 3) / 4) + 2) <= DW_T - 8) {
        mlc_dsp_conv_dw3x3_band(&c, x, y, 1); /* narrow plane: lines down the columns (three padded lines fit) */
    } else if (depthwise3 && (p->stride_w == 1 || p->stride_w == 2) &&
               3 * (p->stride_w * 4 * ((p->w_out + 3) / 4) + 2) <= DW_T - 8) {
        mlc_dsp_conv_dw3x3_band(&c, x, y, 0); /* lines along the rows */
    } else if (depthwise3 && (p->stride_w == 1 || (p->stride_w == 2 && 8 * ((p->w_out + 3) / 4) + 4 <= DW_ROW))) {
        mlc_dsp_conv_dw3x3(&c, x, y); /* stride_w 2 only through its ring of padded rows */
#if MM_USE_ASM
    } else if (MLC_CONV_S8_NARROW_PW && p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
               p->pad_top == 0 && p->pad_left == 0 && p->w_out == p->w_in && p->h_out <= p->h_in && c.cig <= 8) {
        mlc_dsp_conv_pw_narrow(&c, x, y); /* few input channels: no scratch */
#endif
    } else if (scratch == NULL || ((uintptr_t)scratch & 3u) != 0) { /* the columns are read as aligned words */
        mlc_conv2d_s8_direct(p, x, w, bias, qmult, y);
    } else if (mlc_conv2d_s8_uses_ring(p)) {
        conv_ring(&c, x, scratch, y);
    } else if (p->w_layout == MLC_CONV_W_OHWI && c.cig > 1 && c.ksize > 1) { /* OIHW's bytes otherwise */
        mlc_conv2d_s8_direct(p, x, w, bias, qmult, y); /* mlc stores OHWI only for the ring */
    } else {
        conv_im2col(&c, x, scratch, y);
    }
    return MLC_OK;
}
