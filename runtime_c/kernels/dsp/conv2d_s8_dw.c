/**
 * @file conv2d_s8_dw.c
 * @brief The DSP int8 convolution's depthwise 3x3 paths and its pointwise path for few input channels
 *        (conv2d_s8.c's entry calls them; conv2d_s8_dsp.h): bands or whole planes of padded lines, two
 *        outputs per step in assembly, requantizing passes. Compiled with conv2d_s8.c wherever it is.
 */
#include "conv2d_s8_dsp.h"

/* ---------------------------------------------------------------------------------- depthwise 3x3 */

/*
 * Four outputs y0..y3 from bytes x0..x5 of each input row (p points at x0), the row's weights as int16
 * lanes wp = (w0, w2), wm = w1: x0..x3 and x2..x5 widened to E0 = (x0,x2), O0 = (x1,x3), E1 = (x2,x4),
 * O1 = (x3,x5); y0 += wp.E0 + w1 x1, y1 += wp.O0 + w1 x2, y2 += wp.E1 + w1 x3, y3 += wp.O1 + w1 x4:
 * 8 multiply instructions for 12 MACs, no repacking.
 */
#define DW_ROW4(p, wp, wm)                                                                                        \
    do {                                                                                                          \
        const uint32_t v0_ = mlc_dsp_ld32(p), v1_ = mlc_dsp_ld32((p) + 2);                                        \
        const uint32_t e0_ = mlc_dsp_sxtab16(nz, v0_), o0_ = mlc_dsp_sxtab16_odd(nz, v0_);                        \
        const uint32_t e1_ = mlc_dsp_sxtab16(nz, v1_), o1_ = mlc_dsp_sxtab16_odd(nz, v1_);                        \
        y0 = mlc_dsp_smlabb(wm, o0_, mlc_dsp_smlad(wp, e0_, y0));                                                 \
        y1 = mlc_dsp_smlabb(wm, e1_, mlc_dsp_smlad(wp, o0_, y1));                                                 \
        y2 = mlc_dsp_smlabb(wm, o1_, mlc_dsp_smlad(wp, e1_, y2));                                                 \
        y3 = mlc_dsp_smlabt(wm, e1_, mlc_dsp_smlad(wp, o1_, y3));                                                 \
    } while (0)

/* Two outputs from x0..x3: y0 += wp.E0 + w1 x1, y1 += wp.O0 + w1 x2 (x2 = E0.hi). */
#define DW_ROW2(p, wp, wm)                                                                                        \
    do {                                                                                                          \
        const uint32_t v0_ = mlc_dsp_ld32(p);                                                                     \
        const uint32_t e0_ = mlc_dsp_sxtab16(nz, v0_), o0_ = mlc_dsp_sxtab16_odd(nz, v0_);                        \
        y0 = mlc_dsp_smlabb(wm, o0_, mlc_dsp_smlad(wp, e0_, y0));                                                 \
        y1 = mlc_dsp_smlabt(wm, e0_, mlc_dsp_smlad(wp, o0_, y1));                                                 \
    } while (0)

/*
 * Stride 2: four outputs from x0..x8 (three words): E0 = (x0,x2), O0 = (x1,x3), E1 = (x4,x6), O1 = (x5,x7),
 * E2 = (x8,x10); y0 += wp.E0 + w1 x1, y1 += wp.(x2,x4) + w1 x3, y2 += wp.E1 + w1 x5, y3 += wp.(x6,x8) + w1 x7,
 * the odd pairs as SMLADX against PKHBT(E1, E0) = (x4, x2) and PKHBT(E2, E1) = (x8, x6).
 */
#define DW_ROW4S2(p, wp, wm)                                                                                      \
    do {                                                                                                          \
        const uint32_t v0_ = mlc_dsp_ld32(p), v1_ = mlc_dsp_ld32((p) + 4), v2_ = mlc_dsp_ld32((p) + 8);           \
        const uint32_t e0_ = mlc_dsp_sxtab16(nz, v0_), o0_ = mlc_dsp_sxtab16_odd(nz, v0_);                        \
        const uint32_t e1_ = mlc_dsp_sxtab16(nz, v1_), o1_ = mlc_dsp_sxtab16_odd(nz, v1_);                        \
        const uint32_t e2_ = mlc_dsp_sxtab16(nz, v2_);                                                            \
        y0 = mlc_dsp_smlabb(wm, o0_, mlc_dsp_smlad(wp, e0_, y0));                                                 \
        y1 = mlc_dsp_smlabt(wm, o0_, mlc_dsp_smladx(wp, mlc_dsp_pkhbt(e1_, e0_), y1));                            \
        y2 = mlc_dsp_smlabb(wm, o1_, mlc_dsp_smlad(wp, e1_, y2));                                                 \
        y3 = mlc_dsp_smlabt(wm, o1_, mlc_dsp_smladx(wp, mlc_dsp_pkhbt(e2_, e1_), y3));                            \
    } while (0)

/* One output of channel ch at (oh, ow) with bounds checks (edges of the in-place depthwise path). */
static int32_t dw_point(const conv_t *c, const int8_t *xc, const int8_t *wc, int32_t acc, int32_t oh, int32_t ow)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow - p->pad_left;
    int32_t kh0, kh1, kw0, kw1, i, j;
    mlc_dsp_window(ih0, 1, 3, p->h_in, &kh0, &kh1);
    mlc_dsp_window(iw0, 1, 3, p->w_in, &kw0, &kw1);
    for (i = kh0; i < kh1; ++i) {
        const int8_t *row = xc + (ih0 + i) * p->w_in + iw0;
        for (j = kw0; j < kw1; ++j) acc += ((int32_t)row[j] - p->x_zero_point) * (int32_t)wc[3 * i + j];
    }
    return acc;
}

/* Copy input row src (w_in bytes) into a padded row of wpad bytes: column j holds x[j - pl] or zx. */
static void dw_fill_row(int8_t *d, const int8_t *src, int32_t w_in, int32_t pl, int32_t wpad, int8_t zx)
{
    int32_t j = 0, n = w_in, end;
    const uint32_t zx4 = mlc_dsp_dup4(zx);
    if (pl > wpad) pl = wpad;
    if (n > wpad - pl) n = wpad - pl;
    for (; j < pl; ++j) d[j] = zx;
    for (end = pl + n - 3; j < end; j += 4, src += 4) mlc_dsp_st32(d + j, mlc_dsp_ld32(src));
    for (end = pl + n; j < end; ++j) d[j] = *src++;
    for (; j + 3 < wpad; j += 4) mlc_dsp_st32(d + j, zx4);
    for (; j < wpad; ++j) d[j] = zx;
}

/*
 * Depthwise 3x3, dilation 1, stride_w 1 or 2 (any stride_h and padding). Each input row a channel needs is
 * copied once into a ring of three padded rows (x_zero_point left and right, so every output is a SIMD
 * block without bounds checks); a fourth row of x_zero_point stands in for the padding rows, so every
 * block runs the three kernel rows unrolled. Rows wider than DW_ROW are read in place, with scalar edges.
 */
void mlc_dsp_conv_dw3x3(const conv_t *c, const int8_t *x, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t zp = p->y_zero_point, lo = p->act_min, hi = p->act_max;
    const int32_t w_in = p->w_in, w_out = p->w_out, pl = p->pad_left;
    const uint32_t nz = c->nzp2, lo4 = c->lo4, hi4 = c->hi4;
    const int clamp = lo > -128 || hi < 127; /* SSAT and the slow path already give the full int8 range */
    const int8_t zx = (int8_t)p->x_zero_point;
    const int32_t sw = p->stride_w; /* 1, or 2 with a ring */
    /* padded row: the last block of nblk reads up to 4 nblk + 1 (stride 1), 8 nblk + 3 (stride 2) */
    const int32_t wpad = sw == 1 ? 4 * ((w_out + 3) / 4) + 2 : 8 * ((w_out + 3) / 4) + 4;
    const int ring = wpad <= DW_ROW;
    int8_t rows[4][DW_ROW];
    int32_t n, ch, oh, ow, i, j;
    if (ring) dw_fill_row(rows[3], x, 0, 0, wpad, zx); /* the padding row */
    for (n = 0; n < p->n; ++n) {
        for (ch = 0; ch < p->c_out; ++ch) {
            const int8_t *xc = x + (n * p->c_in + ch) * c->plane_in;
            const int8_t *wc = c->w + ch * 9;
            int8_t *yc = y + (n * p->c_out + ch) * c->plane_out;
            const int32_t b0 = c->bias != NULL ? c->bias[ch] : 0;
            const int32_t m = mlc_qm_mult(c->qmult[ch]), s = mlc_qm_shift(c->qmult[ch]);
            int32_t tag[3] = {-1, -1, -1}; /* input row held by each ring slot */
            const uint32_t wp0 = mlc_dsp_pack16(wc[0], wc[2]), wm0 = (uint32_t)(int32_t)wc[1];
            const uint32_t wp1 = mlc_dsp_pack16(wc[3], wc[5]), wm1 = (uint32_t)(int32_t)wc[4];
            const uint32_t wp2 = mlc_dsp_pack16(wc[6], wc[8]), wm2 = (uint32_t)(int32_t)wc[7];
            mlc_dsp_rq_t rq;
            mlc_dsp_rq_prepare(&rq, m, s, zp, b0, 9);
            for (oh = 0; oh < p->h_out; ++oh) {
                const int32_t ih0 = oh * p->stride_h - p->pad_top;
                int8_t *yr = yc + oh * w_out;
                int32_t kh0, kh1;
                mlc_dsp_window(ih0, 1, 3, p->h_in, &kh0, &kh1);
                if (ring) {
                    const int8_t *r[3];
                    for (i = 0; i < 3; ++i) {
                        const int32_t ih = ih0 + i, slot = ih % 3; /* ih >= 0 for a valid row */
                        if (i < kh0 || i >= kh1) {
                            r[i] = rows[3];
                            continue;
                        }
                        if (tag[slot] != ih) {
                            dw_fill_row(rows[slot], xc + ih * w_in, w_in, pl, wpad, zx);
                            tag[slot] = ih;
                        }
                        r[i] = rows[slot];
                    }
                    for (ow = 0; ow < w_out; ow += 4) {
                        int32_t y0 = b0, y1 = b0, y2 = b0, y3 = b0;
                        uint32_t v;
                        if (sw == 2) {
                            DW_ROW4S2(r[0] + 2 * ow, wp0, wm0);
                            DW_ROW4S2(r[1] + 2 * ow, wp1, wm1);
                            DW_ROW4S2(r[2] + 2 * ow, wp2, wm2);
                        } else if (w_out - ow > 2) {
                            DW_ROW4(r[0] + ow, wp0, wm0);
                            DW_ROW4(r[1] + ow, wp1, wm1);
                            DW_ROW4(r[2] + ow, wp2, wm2);
                        } else {
                            DW_ROW2(r[0] + ow, wp0, wm0);
                            DW_ROW2(r[1] + ow, wp1, wm1);
                            DW_ROW2(r[2] + ow, wp2, wm2);
                        }
                        v = mlc_dsp_pkhbt16(mlc_dsp_rq2(y0, y1, &rq, zp, lo, hi), mlc_dsp_rq2(y2, y3, &rq, zp, lo, hi));
                        if (clamp) v = mlc_dsp_clamp4(v, lo4, hi4);
                        if (w_out - ow >= 4) {
                            mlc_dsp_st32(yr + ow, v);
                        } else {
                            for (j = 0; j < w_out - ow; ++j, v >>= 8) yr[ow + j] = (int8_t)(uint8_t)v;
                        }
                    }
                    continue;
                }
                /* wide rows in place: blocks whose six input columns lie inside, scalar edges */
                for (ow = 0; ow < w_out && ow < pl; ++ow) {
                    yr[ow] = mlc_requant_s8(dw_point(c, xc, wc, b0, oh, ow), m, s, zp, lo, hi);
                }
                for (; ow + 3 < w_out && ow - pl + 5 < w_in; ow += 4) {
                    const int32_t col = ow - pl; /* >= 0 here */
                    int32_t y0 = b0, y1 = b0, y2 = b0, y3 = b0;
                    if (kh0 <= 0 && kh1 > 0) DW_ROW4(xc + ih0 * w_in + col, wp0, wm0);
                    if (kh0 <= 1 && kh1 > 1) DW_ROW4(xc + (ih0 + 1) * w_in + col, wp1, wm1);
                    if (kh0 <= 2 && kh1 > 2) DW_ROW4(xc + (ih0 + 2) * w_in + col, wp2, wm2);
                    mlc_dsp_st32(yr + ow, mlc_dsp_clamp4(mlc_dsp_pkhbt16(mlc_dsp_rq2(y0, y1, &rq, zp, lo, hi),
                                                                         mlc_dsp_rq2(y2, y3, &rq, zp, lo, hi)),
                                                         lo4, hi4));
                }
                for (; ow < w_out; ++ow) {
                    yr[ow] = mlc_requant_s8(dw_point(c, xc, wc, b0, oh, ow), m, s, zp, lo, hi);
                }
            }
        }
    }
}

/* The last n < 4 accumulators of a line at a, copied into t and padded with zeros. */
static MLC_DSP_ALWAYS_INLINE const int32_t *dw_tail4(const int32_t *a, int32_t n, int32_t *t)
{
    int32_t i;
    for (i = 0; i < 4; ++i) t[i] = i < n ? a[i] : 0;
    return t;
}

/* The last n < 4 requantized outputs of a line (element stride es). */
static void dw_put_tail(int8_t *yo, int32_t es, uint32_t v, int32_t n)
{
    for (; n > 0; --n, v >>= 8, yo += es) *yo = (int8_t)(uint8_t)v;
}

/* Four accumulators requantized on the prepared form with a right shift, clamped, one word. */
#define DW_RQ4(a)                                                                                                 \
    mlc_dsp_clamp4(mlc_dsp_pack4(mlc_dsp_rq_right((a)[0], lsh, m, ad, rsh),                                       \
                                 mlc_dsp_rq_right((a)[1], lsh, m, ad, rsh),                                       \
                                 mlc_dsp_rq_right((a)[2], lsh, m, ad, rsh),                                       \
                                 mlc_dsp_rq_right((a)[3], lsh, m, ad, rsh)),                                      \
                   lo4, hi4)

#if MM_USE_ASM
/* One output of dw_rq_lines from a doubled accumulator a: ssat8((smmlar(a, m, ad) - [a < 0]) >> rsh). */
#define DWR_ASM_ONE(a)                                                                                            \
    "smmlar %[t], %[" a "], %[m], %[ad]\n\t"                                                                      \
    "add    %[t], %[t], %[" a "], asr #31\n\t"                                                                    \
    "asr    %[t], %[t], %[rsh]\n\t"                                                                               \
    "ssat   %[" a "], #8, %[t]\n\t"
/* DWR_ASM_ONE without the tie term (conv_t.notie) */
#define DWR_ASM_ONE_NT(a)                                                                                         \
    "smmlar %[t], %[" a "], %[m], %[ad]\n\t"                                                                      \
    "asr    %[t], %[t], %[rsh]\n\t"                                                                               \
    "ssat   %[" a "], #8, %[t]\n\t"
#define DWR_ASM_FOUR_OF(one)                                                                                      \
    "ldmia  %[ap]!, {%[a0], %[a1], %[a2], %[a3]}\n\t" one("a0") one("a1") one("a2") one("a3")
#define DWR_ASM_OPERANDS                                                                                          \
    [ap] "+r"(ap), [yp] "+r"(yp), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [t] "=&r"(t)

/* The word-store and byte-store loops of dw_rq_lines over whole blocks, each output by `one`; the word loop
   two blocks an iteration, entered at `entry` (1: an even number of blocks, 3: odd, at the second). */
#define DWR_ASM_WORD(one)                                                                                         \
    DWR_ASM_FOUR_OF(one) "bfi    %[a0], %[a1], #8, #8\n\t"                                                      \
                         "bfi    %[a0], %[a2], #16, #8\n\t"                                                     \
                         "bfi    %[a0], %[a3], #24, #8\n\t"                                                     \
                         "str    %[a0], [%[yp]], #4\n\t"
#define DWR_ASM_LOOP_WORDS(one, entry)                                                                            \
    __asm__ volatile("b      " entry "f\n\t"                                                                      \
                     "1:\n\t" DWR_ASM_WORD(one) "3:\n\t" DWR_ASM_WORD(one) "cmp    %[ap], %[end]\n\t"             \
                     "bne    1b"                                                                                  \
                     : DWR_ASM_OPERANDS                                                                           \
                     : [end] "r"(end), [m] "r"(m), [ad] "r"(ad), [rsh] "r"(rsh)                                   \
                     : "cc", "memory")
#define DWR_ASM_LOOP_BYTES(one)                                                                                   \
    __asm__ volatile("1:\n\t" DWR_ASM_FOUR_OF(one) "strb   %[a0], [%[yp]]\n\t"                                  \
                     "strb   %[a1], [%[yp], %[es]]\n\t"                                                           \
                     "add    %[yp], %[yp], %[es], lsl #1\n\t"                                                     \
                     "strb   %[a2], [%[yp]]\n\t"                                                                  \
                     "strb   %[a3], [%[yp], %[es]]\n\t"                                                           \
                     "add    %[yp], %[yp], %[es], lsl #1\n\t"                                                     \
                     "cmp    %[ap], %[end]\n\t"                                                                   \
                     "bne    1b"                                                                                  \
                     : DWR_ASM_OPERANDS                                                                           \
                     : [end] "r"(end), [m] "r"(m), [ad] "r"(ad), [rsh] "r"(rsh), [es] "r"(es)                     \
                     : "cc", "memory")

/* DWR_ASM_ONE_NT with the right shift an immediate (ns, a string): SSAT shifts its operand itself. */
#define DWR_ASM_ONE_NT_IMM(a, ns)                                                                                 \
    "smmlar %[t], %[" a "], %[m], %[ad]\n\t"                                                                      \
    "ssat   %[" a "], #8, %[t], asr #" ns "\n\t"
#define DWR_ASM_WORD_NT_IMM(ns)                                                                                   \
    "ldmia  %[ap]!, {%[a0], %[a1], %[a2], %[a3]}\n\t" DWR_ASM_ONE_NT_IMM("a0", ns) DWR_ASM_ONE_NT_IMM("a1", ns)    \
        DWR_ASM_ONE_NT_IMM("a2", ns) DWR_ASM_ONE_NT_IMM("a3", ns) "bfi    %[a0], %[a1], #8, #8\n\t"                \
                                                                  "bfi    %[a0], %[a2], #16, #8\n\t"               \
                                                                  "bfi    %[a0], %[a3], #24, #8\n\t"               \
                                                                  "str    %[a0], [%[yp]], #4\n\t"
/* The notie word loop for right shift n: two blocks an iteration, entered at the second for an odd number
   of blocks (odd: bit 0 of the count). */
#define DWR_CASE_NT(n)                                                                                            \
    case n:                                                                                                       \
        __asm__ volatile("tst    %[odd], #1\n\tbne    3f\n\t"                                                     \
                         "1:\n\t" DWR_ASM_WORD_NT_IMM(#n) "3:\n\t" DWR_ASM_WORD_NT_IMM(#n) "cmp    %[ap], %[end]\n\t" \
                         "bne    1b"                                                                              \
                         : DWR_ASM_OPERANDS                                                                       \
                         : [end] "r"(end), [m] "r"(m), [ad] "r"(ad), [odd] "r"(full)                              \
                         : "cc", "memory");                                                                       \
        break

/* The notie word loops of dw_rq_lines, one per right shift 1..22 (the prepared form's range): the shift an
   immediate of SSAT saves the ASR, 14 instructions a block of four instead of 18. Returns 0 for another
   shift. */
static MLC_DSP_ALWAYS_INLINE int dw_rq_words_nt(const int32_t *ap, const int32_t *end, int8_t *yp, int32_t full,
                                               int32_t m, int32_t ad, int32_t rsh)
{
    register int32_t a0 __asm__("r8"), a1 __asm__("r9"), a2 __asm__("r10"), a3 __asm__("r11");
    int32_t t;
    switch (rsh) {
        DWR_CASE_NT(1); DWR_CASE_NT(2); DWR_CASE_NT(3); DWR_CASE_NT(4); DWR_CASE_NT(5); DWR_CASE_NT(6);
        DWR_CASE_NT(7); DWR_CASE_NT(8); DWR_CASE_NT(9); DWR_CASE_NT(10); DWR_CASE_NT(11); DWR_CASE_NT(12);
        DWR_CASE_NT(13); DWR_CASE_NT(14); DWR_CASE_NT(15); DWR_CASE_NT(16); DWR_CASE_NT(17); DWR_CASE_NT(18);
        DWR_CASE_NT(19); DWR_CASE_NT(20); DWR_CASE_NT(21); DWR_CASE_NT(22);
    default: return 0;
    }
    return 1;
}
#undef DWR_CASE_NT
#undef DWR_ASM_WORD_NT_IMM
#undef DWR_ASM_ONE_NT_IMM

/* nl lines of cnt doubled accumulators (bias included), line l's at acc + l astride, of a channel on the
   prepared form with lsh 1 (the doubling is that left shift) and a right shift, no clamp (the activation
   range is int8's), stored along the line from yo + l ls at element stride es: 22 instructions a block of
   four for es 1 (one word), 25 otherwise (four bytes), 4 fewer with notie (conv_t; 8 fewer for es 1,
   dw_rq_words_nt), then the line's last 1-3 outputs one by one. */
MLC_DSP_NOINLINE static void dw_rq_lines(const int32_t *acc, int32_t astride, int32_t nl, int32_t cnt, int32_t m,
                                         int32_t ad, int32_t rsh, int8_t *yo, int32_t es, int32_t ls, int notie)
{
    const int32_t full = cnt / 4, rest = cnt % 4;
    /* LDM fills registers in number order: acc[0..3] in r8..r11 */
    register int32_t a0 __asm__("r8"), a1 __asm__("r9"), a2 __asm__("r10"), a3 __asm__("r11");
    int32_t t, l;
    for (l = 0; l < nl; ++l, acc += astride, yo += ls) {
        const int32_t *ap = acc, *end = acc + 4 * full;
        int8_t *yp = yo;
        if (full > 0 && es == 1 && notie && dw_rq_words_nt(ap, end, yp, full, m, ad, rsh)) {
            ap = end;
            yp += 4 * full;
        } else if (full > 0 && es == 1) {
            if (notie && full % 2 == 0) {
                DWR_ASM_LOOP_WORDS(DWR_ASM_ONE_NT, "1");
            } else if (notie) {
                DWR_ASM_LOOP_WORDS(DWR_ASM_ONE_NT, "3");
            } else if (full % 2 == 0) {
                DWR_ASM_LOOP_WORDS(DWR_ASM_ONE, "1");
            } else {
                DWR_ASM_LOOP_WORDS(DWR_ASM_ONE, "3");
            }
        } else if (full > 0) {
            if (notie) {
                DWR_ASM_LOOP_BYTES(DWR_ASM_ONE_NT);
            } else {
                DWR_ASM_LOOP_BYTES(DWR_ASM_ONE);
            }
        }
        if (rest > 0) {
            end = ap + rest;
            __asm__ volatile("1:\n\t"
                             "ldr    %[a0], [%[ap]], #4\n\t" DWR_ASM_ONE("a0") "strb   %[a0], [%[yp]]\n\t"
                             "add    %[yp], %[yp], %[es]\n\t"
                             "cmp    %[ap], %[end]\n\t"
                             "bne    1b"
                             : [ap] "+r"(ap), [yp] "+r"(yp), [a0] "=&r"(a0), [t] "=&r"(t)
                             : [end] "r"(end), [m] "r"(m), [ad] "r"(ad), [rsh] "r"(rsh), [es] "r"(es)
                             : "cc", "memory");
        }
    }
}
#undef DWR_ASM_ONE
#undef DWR_ASM_ONE_NT
#undef DWR_ASM_FOUR_OF
#undef DWR_ASM_WORD
#undef DWR_ASM_LOOP_WORDS
#undef DWR_ASM_LOOP_BYTES
#undef DWR_ASM_OPERANDS
#endif

#if MM_USE_ASM
/* dw_rq_lines for short lines (cnt <= 8, not a multiple of 4) stored along rows (element stride 1): each
   line's outputs computed and stored in straight-line code (a word, a halfword, a byte), where
   dw_rq_lines' loops and the one-by-one tail cost about 30 instructions a line more; tie: the tie term
   (conv_t.notie clear), a constant where inlined. */
static MLC_DSP_ALWAYS_INLINE void dw_rq_short_body(const int32_t *acc, int32_t astride, int32_t nl, int32_t cnt,
                                                   int32_t m, int32_t ad, int32_t rsh, int8_t *yo, int32_t ls,
                                                   const int tie)
{
#define DRQ(a) (tie ? mlc_dsp_rq_right((a), 0, m, ad, (uint32_t)rsh) : mlc_dsp_ssat8(mlc_dsp_smmlar((a), m, ad) >> rsh))
    int32_t l;
    for (l = 0; l < nl; ++l, acc += astride, yo += ls) {
        const int32_t *a = acc;
        int8_t *y = yo;
        int32_t n = cnt;
        if (n >= 4) {
            mlc_dsp_st32(y, mlc_dsp_pack4(DRQ(a[0]), DRQ(a[1]), DRQ(a[2]), DRQ(a[3])));
            a += 4;
            y += 4;
            n -= 4;
        }
        if (n >= 2) {
            mlc_dsp_st16(y, mlc_dsp_bytes2(DRQ(a[0]), DRQ(a[1])));
            a += 2;
            y += 2;
            n -= 2;
        }
        if (n != 0) y[0] = (int8_t)DRQ(a[0]);
    }
#undef DRQ
}

/* Whether dw_rq_short takes lines of cnt outputs at element stride es. */
static MLC_DSP_ALWAYS_INLINE int dw_rq_is_short(int32_t es, int32_t cnt)
{
    return es == 1 && cnt < 8 && cnt % 4 != 0;
}

MLC_DSP_NOINLINE static void dw_rq_short(const int32_t *acc, int32_t astride, int32_t nl, int32_t cnt, int32_t m,
                                         int32_t ad, int32_t rsh, int8_t *yo, int32_t ls, int notie)
{
    if (notie) {
        dw_rq_short_body(acc, astride, nl, cnt, m, ad, rsh, yo, ls, 0);
    } else {
        dw_rq_short_body(acc, astride, nl, cnt, m, ad, rsh, yo, ls, 1);
    }
}
#endif

/*
 * The band depthwise path's requantizing pass over nl output lines: line l's cnt accumulators at
 * acc + l astride (whole blocks of four computed) plus the bias, four outputs per word, stored along the
 * line from yo + l ls (element stride es). The usual channel (prepared form with a right shift) runs with
 * its fields in locals and one loop per element stride; y is int8, so through the pointer GCC would
 * reload them per store.
 */
static MLC_DSP_ALWAYS_INLINE void dw_lines_store(const int32_t *acc, int32_t astride, int32_t nl, int32_t cnt,
                                                 const mlc_dsp_rq_t *rq, const conv_t *c, int8_t *yo,
                                                 int32_t es, int32_t ls)
{
    const int32_t zp = c->p->y_zero_point, lo = c->p->act_min, hi = c->p->act_max;
    const uint32_t lo4 = c->lo4, hi4 = c->hi4;
    const int32_t full = cnt / 4, rest = cnt % 4;
    int32_t tail[4];
    int32_t l, i;
    if (MLC_DSP_LIKELY(rq->fast && rq->neg)) {
        const uint32_t lsh = rq->lsh, rsh = rq->rsh;
        const int32_t m = rq->mult, ad = rq->add;
#if MM_USE_ASM
        if (lsh == 0 && lo4 == 0x80808080u && hi4 == 0x7F7F7F7Fu) { /* doubled accumulators */
            if (dw_rq_is_short(es, cnt)) {
                dw_rq_short(acc, astride, nl, cnt, m, ad, (int32_t)rsh, yo, ls, c->notie);
            } else {
                dw_rq_lines(acc, astride, nl, cnt, m, ad, (int32_t)rsh, yo, es, ls, c->notie);
            }
            return;
        }
#endif
        for (l = 0; l < nl; ++l, acc += astride, yo += ls) {
            const int32_t *a = acc;
            int8_t *yl = yo;
            if (es == 1) {
                for (i = 0; i < full; ++i, a += 4, yl += 4) mlc_dsp_st32(yl, DW_RQ4(a));
            } else {
                for (i = 0; i < full; ++i, a += 4, yl += 4 * es) {
                    const uint32_t v = DW_RQ4(a);
                    yl[0] = (int8_t)(uint8_t)v;
                    yl[es] = (int8_t)(uint8_t)(v >> 8);
                    yl[2 * es] = (int8_t)(uint8_t)(v >> 16);
                    yl[3 * es] = (int8_t)(uint8_t)(v >> 24);
                }
            }
            if (rest != 0) { /* the line's last accumulators only: a flat pass may not have computed more */
                const int32_t *const t = dw_tail4(a, rest, tail);
                dw_put_tail(yl, es, DW_RQ4(t), rest);
            }
        }
    } else {
        const mlc_dsp_rq_t q = *rq;
        for (l = 0; l < nl; ++l, acc += astride, yo += ls) {
            for (i = 0; i < cnt; i += 4) {
                const int32_t *const a = cnt - i < 4 ? dw_tail4(acc + i, cnt - i, tail) : acc + i;
                const uint32_t v = mlc_dsp_pkhbt16(mlc_dsp_rq2(a[0], a[1], &q, zp, lo, hi),
                                                   mlc_dsp_rq2(a[2], a[3], &q, zp, lo, hi));
                dw_put_tail(yo + i * es, es, mlc_dsp_clamp4(v, lo4, hi4), cnt - i < 4 ? cnt - i : 4);
            }
        }
    }
}

/*
 * The doubled form of the line passes and the narrow pointwise path: a channel on the prepared form with left
 * shift 0 and a right shift, and no clamp, takes doubled weights and start, which is the requantization's
 * left shift by one; rq->lsh becomes 0 (dw_lines_store then requantizes through dw_rq_lines). Returns the
 * factor, 1 or 2.
 */
static MLC_DSP_ALWAYS_INLINE int32_t dw_rq_take_doubling(mlc_dsp_rq_t *rq, int no_clamp)
{
    if (!(no_clamp && rq->fast && rq->neg && rq->lsh == 1)) return 1;
    rq->lsh = 0;
    return 2;
}

/* Whether rq was given the doubled form (dw_rq_take_doubling). */
static MLC_DSP_ALWAYS_INLINE int dw_rq_doubled(const mlc_dsp_rq_t *rq)
{
    return rq->fast && rq->neg && rq->lsh == 0;
}

#if MM_USE_ASM
/* dw_lines_store as one out-of-line copy, for the paths where its general requantization is the rare case
   (a channel off the doubled form, or clamped): each inlined copy cost about 1 KB of code. */
MLC_DSP_NOINLINE static void dw_lines_store_call(const int32_t *acc, int32_t astride, int32_t nl, int32_t cnt,
                                                 const mlc_dsp_rq_t *rq, const conv_t *c, int8_t *yo, int32_t es,
                                                 int32_t ls)
{
    dw_lines_store(acc, astride, nl, cnt, rq, c, yo, es, ls);
}
#endif

#if MM_USE_ASM
/* nl lines of cnt requantized outputs, line l at yb + l lp, to yo + l ls. Lines of two bytes or more that
   follow each other in y (ls == cnt) move by whole words, a line's last word running at most cnt bytes into
   the next line, which overwrites it; the last line moves exactly. (Lines of one byte would run 3 lines on,
   past the plane's end.) */
static void dw_lines_move(const int8_t *yb, int32_t lp, int32_t nl, int32_t cnt, int8_t *yo, int32_t ls)
{
    int32_t l, i;
    if (ls == cnt && nl > 1 && cnt >= 2) {
        const int8_t *const last = yb + (nl - 1) * lp;
        if (cnt > 4 && cnt <= 8) { /* small planes (e.g. 6x6): two words a line, no inner loop */
            for (; yb < last; yb += lp, yo += ls) {
                mlc_dsp_st32(yo, mlc_dsp_ld32(yb));
                mlc_dsp_st32(yo + 4, mlc_dsp_ld32(yb + 4));
            }
        } else if (cnt <= 4) {
            for (; yb < last; yb += lp, yo += ls) mlc_dsp_st32(yo, mlc_dsp_ld32(yb));
        }
        for (; yb < last; yb += lp, yo += ls) {
            for (i = 0; i < cnt; i += 4) {
                mlc_dsp_st32(yo + i, mlc_dsp_ld32(yb + i));
                MLC_DSP_OPAQUE(i);
            }
        }
        nl = 1;
    }
    for (l = 0; l < nl; ++l, yb += lp, yo += ls) {
        mlc_dsp_copy(yo, yb, cnt);
    }
}
#endif

/*
 * Padded lines at t (word-aligned): lines l0 .. l1 - 1 get row_cnt bytes at row_top from rows w_in apart
 * starting at src (rows of up to 8 bytes by two overlapping words), nothing else written: the small planes'
 * paths fill the padding once for all channels.
 */
static MLC_DSP_ALWAYS_INLINE void dw_copy_rows(int8_t *t, int32_t lp, int32_t l0, int32_t l1, const int8_t *src,
                                               int32_t w_in, int32_t row_top, int32_t row_cnt)
{
    int8_t *dl = t + l0 * lp + row_top;
    int32_t l;
    if (row_cnt <= 8) {
        for (l = l0; l < l1; ++l, dl += lp, src += w_in) mlc_dsp_copy8(dl, src, row_cnt);
    } else if (row_cnt >= 32 && (((uintptr_t)src | (uint32_t)w_in) & 3u) == 0) { /* long word-aligned rows */
        for (l = l0; l < l1; ++l, dl += lp, src += w_in) mlc_dsp_copy_src4(dl, src, row_cnt);
    } else {
        for (l = l0; l < l1; ++l, dl += lp, src += w_in) mlc_dsp_copy(dl, src, row_cnt);
    }
}

/*
 * Input rows first .. first + nl - 1 of a channel (xc, rows of w_in, lines_in of them) as padded lines of lp
 * bytes at t (word-aligned): x_zero_point, then row_cnt bytes of the row at row_top. x_zero_point over the
 * whole band first (16 bytes at a time: up to 15 past it, DW_T_SLACK), the rows on top (rows of up to 8
 * bytes by two overlapping words): the padding of each line alone cost about 50 instructions a line more.
 */
MLC_DSP_NOINLINE static void dw_stage_rows(int8_t *t, int32_t lp, int32_t nl, int32_t first, const int8_t *xc,
                                           int32_t w_in, int32_t lines_in, int32_t row_top, int32_t row_cnt,
                                           uint32_t zx4)
{
    const int32_t l0 = first < 0 ? -first : 0, l1 = lines_in - first < nl ? lines_in - first : nl;
    mlc_dsp_fill4((uint32_t *)(void *)t, 4 * ((nl * lp + 15) / 16), zx4);
    dw_copy_rows(t, lp, l0, l1, xc + (first + l0) * w_in, w_in, row_top, row_cnt);
}

/*
 * The transposed twin of dw_stage_rows (tr = 1): input columns first .. first + nl - 1 of a channel (xc,
 * rows of w_in bytes, lines_in columns) as padded lines of lp bytes at t: x_zero_point, then row_cnt rows of
 * the column from row_top on, x_zero_point. The padding first, in ascending order (a line's last word may
 * run into the next line; the columns overwrite what runs into them), then four columns x four rows at a
 * time by 4x4 transposes.
 */
MLC_DSP_NOINLINE static void dw_stage_cols(int8_t *t, int32_t lp, int32_t nl, int32_t first, const int8_t *xc,
                                           int32_t w_in, int32_t lines_in, int32_t row_top, int32_t row_cnt,
                                           uint32_t zx4)
{
    const int32_t l0 = first < 0 ? -first : 0, l1 = lines_in - first < nl ? lines_in - first : nl;
    int32_t l, r;
    int8_t *dl;
    for (l = 0, dl = t; l < nl; ++l, dl += lp) {
        if (l >= l0 && l < l1) {
            mlc_dsp_fill_words(dl, 0, row_top, zx4);
            mlc_dsp_fill_words(dl, row_top + row_cnt, lp, zx4);
        } else {
            mlc_dsp_fill_words(dl, 0, lp, zx4);
        }
    }
    for (l = l0; l < l1; l += 4) {
        const int8_t *src = xc + first + l;
        dl = t + l * lp + row_top;
        if (l + 4 <= l1) { /* four columns */
            for (r = 0; r + 4 <= row_cnt; r += 4, src += 4 * w_in) mlc_dsp_transpose4(src, w_in, dl + r, lp);
            for (; r < row_cnt; ++r, src += w_in) {
                const uint32_t v = mlc_dsp_ld32(src);
                dl[r] = (int8_t)v;
                dl[lp + r] = (int8_t)(v >> 8);
                dl[2 * lp + r] = (int8_t)(v >> 16);
                dl[3 * lp + r] = (int8_t)(v >> 24);
            }
            continue;
        }
        for (; l < l1; ++l, ++src, dl += lp) { /* the last 1-3 columns, four rows per word */
            const int8_t *sr = src;
            for (r = 0; r + 4 <= row_cnt; r += 4, sr += 4 * w_in) {
                mlc_dsp_st32(dl + r, mlc_dsp_pack4(sr[0], sr[w_in], sr[2 * w_in], sr[3 * w_in]));
            }
            for (; r < row_cnt; ++r, sr += w_in) dl[r] = *sr;
        }
    }
}

/* Bytes past DW_T the band buffer holds for dw_stage_rows' 16-byte fills. */
#define DW_T_SLACK 16
/* Accumulators of the band depthwise path: one output line chunk (a multiple of 4). */
#define DW_CHUNK 160

#if MM_USE_ASM
/* Two outputs of one kernel line from the four bytes at `src`: e = (x0, x2), o = (x1, x3);
   y0 += (a,c).e + b x1, y1 += (a,c).o + b x2; b is a halfword of wb (T/B picks it). */
#define DWC_ASM_COL(src, xb0, xb1, wb, mul)                                                                       \
    "ldr     %[e], " src "\n\t"                                                                                   \
    "sxtb16  %[o], %[e], ror #8\n\t"                                                                              \
    "sxtb16  %[e], %[e]\n\t" mul                                                                                  \
    "smla" xb0 " %[y0], %[" wb "], %[o], %[y0]\n\t"                                                               \
    "smla" xb1 " %[y1], %[" wb "], %[e], %[y1]\n\t"
#define DWC_ASM_FIRST(wac) "smlad %[y0], %[" wac "], %[e], %[s]\n\tsmlad %[y1], %[" wac "], %[o], %[s]\n\t"
#define DWC_ASM_NEXT(wac) "smlad %[y0], %[" wac "], %[e], %[y0]\n\tsmlad %[y1], %[" wac "], %[o], %[y1]\n\t"
/* One step: two outputs from lines ln + hp, ln + 2 hp, ln (stepping it by 2), from the start s, stored to
   acc. */
#define DWC_ASM_BLOCK                                                                                             \
    DWC_ASM_COL("[%[ln], %[hp]]", "tb", "tt", "wb01", DWC_ASM_FIRST("w1"))                                        \
    DWC_ASM_COL("[%[ln], %[hp], lsl #1]", "bb", "bt", "wb2", DWC_ASM_NEXT("w2"))                                  \
    DWC_ASM_COL("[%[ln]], #2", "bb", "bt", "wb01", DWC_ASM_NEXT("w0")) "strd %[y0], %[y1], [%[acc]], #8\n\t"
#endif

#if !MM_USE_ASM
/* Kernel line k of the C line passes: the four bytes at ln + k hp widened (e = (x0, x2), o = (x1, x3)), the
   line's weight pair (w[k][0], w[k][2]) and its middle weight b. */
typedef struct {
    uint32_t e, o, wac, b;
} dw_line_t;

static MLC_DSP_ALWAYS_INLINE dw_line_t dw_line_k(const int8_t *ln, int32_t hp, int32_t k, uint32_t w0,
                                                 uint32_t w1, uint32_t w2, uint32_t wb01, uint32_t wb2)
{
    const uint32_t v = mlc_dsp_ld32(ln + k * hp);
    dw_line_t t;
    t.e = mlc_dsp_sxtb16(v);
    t.o = mlc_dsp_sxtb16_odd(v);
    t.wac = k == 0 ? w0 : k == 1 ? w1 : w2;
    t.b = (uint32_t)(k == 0 ? mlc_dsp_s16(wb01) : k == 1 ? mlc_dsp_s16(wb01 >> 16) : (int32_t)wb2);
    return t;
}
#endif

/*
 * acc[0..n) (n a multiple of 4) = s plus the sums of n consecutive outputs of one output line over raw x from
 * the three padded input lines ln, ln + hp, ln + 2 hp (kernel line j: pair wj = (w[j][0], w[j][2]), middle
 * weight in wb01's halfword j or wb2).
 */
MLC_DSP_NOINLINE static void dw_line_pass(const int8_t *ln, int32_t hp, int32_t s, uint32_t w0, uint32_t w1,
                                          uint32_t w2, uint32_t wb01, uint32_t wb2, int32_t *acc, int32_t n)
{
    int32_t *ap = acc;
    int32_t *const a_end = acc + n;
#if MM_USE_ASM
    int32_t y0, y1;
    uint32_t e, o;
    /* thirteen registers and the loop end on the stack (fourteen do not allocate in GCC 12) */
    __asm__ volatile("1:\n\t" DWC_ASM_BLOCK DWC_ASM_BLOCK "ldr %[e], %[end]\n\tcmp %[acc], %[e]\n\tbne 1b\n\t"
                     : [y0] "=&r"(y0), [y1] "=&r"(y1), [e] "=&r"(e), [o] "=&r"(o), [ln] "+r"(ln), [acc] "+r"(ap)
                     : [hp] "r"(hp), [s] "r"(s), [w0] "r"(w0), [w1] "r"(w1), [w2] "r"(w2), [wb01] "r"(wb01),
                       [wb2] "r"(wb2), [end] "m"(a_end)
                     : "cc", "memory");
#else
    for (; ap < a_end; ap += 2, ln += 2) {
        int32_t y0 = s, y1 = s, k;
        for (k = 0; k < 3; ++k) {
            const dw_line_t t = dw_line_k(ln, hp, k, w0, w1, w2, wb01, wb2);
            y0 = mlc_dsp_smlabb(t.b, t.o, mlc_dsp_smlad(t.wac, t.e, y0));
            y1 = mlc_dsp_smlabt(t.b, t.e, mlc_dsp_smlad(t.wac, t.o, y1));
        }
        ap[0] = y0;
        ap[1] = y1;
    }
#endif
}

#if MM_USE_ASM
/*
 * The lines' loop of dw_rows_pass and dw_line_pass_s2 (nl lines of n outputs, block: two of them): per line
 * the two-block loop entered at `entry` (1: an even number of blocks, 3: odd, at the second), then the next
 * line's accumulator end, input (skip bytes on) and whether there is one; the counters in memory, the
 * thirteen registers all the kernel's.
 */
#define DW_ASM_LINES(block, entry)                                                                                \
    __asm__ volatile("b " entry "f\n\t"                                                                           \
                     "1:\n\t" block "3:\n\t" block "ldr %[e], %[l_end]\n\tcmp %[acc], %[e]\n\tbne 1b\n\t"     \
                     "ldr %[o], %[nb]\n\tadd %[e], %[e], %[o]\n\tstr %[e], %[l_end]\n\t"                           \
                     "ldr %[o], %[skip]\n\tadd %[ln], %[ln], %[o]\n\t"                                             \
                     "ldr %[o], %[end]\n\tcmp %[acc], %[o]\n\tbne " entry "b\n\t"                                 \
                     : [y0] "=&r"(y0), [y1] "=&r"(y1), [e] "=&r"(e), [o] "=&r"(o), [ln] "+r"(ln),                 \
                       [acc] "+r"(acc), [l_end] "+m"(l_end)                                                       \
                     : [hp] "r"(hp), [s] "r"(s), [w0] "r"(w0), [w1] "r"(w1), [w2] "r"(w2), [wb01] "r"(wb01),      \
                       [wb2] "r"(wb2), [end] "m"(end), [skip] "m"(skip), [nb] "m"(nb)                             \
                     : "cc", "memory")

/* Two outputs of stride 2 from kernel line k's word at `src` (x0..x3, widened to e = (x0, x2), o = (x1, x3)):
   y0 += (a,c).(x0,x2) + b x1, y1 += a x2 + b x3 (c x4 comes from the byte after the word, DWS_ASM_LAST);
   `mb0` / `mb1` multiply the middle weight b (a halfword of wb, T/B picks it) by o's low / high half. */
#define DWS_ASM_COL(src, wac, wb, mb0, mb1, y0a, y1a)                                                             \
    "ldr     %[e], " src "\n\t"                                                                                   \
    "sxtb16  %[o], %[e], ror #8\n\t"                                                                              \
    "sxtb16  %[e], %[e]\n\t"                                                                                      \
    "smlad   %[y0], %[" wac "], %[e], %[" y0a "]\n\t"                                                              \
    "smla" mb0 " %[y0], %[" wb "], %[o], %[y0]\n\t"                                                               \
    "smlabt  %[y1], %[" wac "], %[e], %[" y1a "]\n\t"                                                              \
    "smla" mb1 " %[y1], %[" wb "], %[o], %[y1]\n\t"
/* y1 += c x4 of kernel line k, x4 the byte at `src`. */
#define DWS_ASM_LAST(src, wac) "ldrsb   %[e], " src "\n\tsmlatb  %[y1], %[" wac "], %[e], %[y1]\n\t"
/* Two outputs from lines ln + hp, ln + 2 hp, ln (stepping it by 4), from the start s, stored to acc: 28
   instructions (the third taps of the second output are the bytes after the words, read once ln has
   stepped). */
#define DWS_ASM_PAIR                                                                                              \
    DWS_ASM_COL("[%[ln], %[hp]]", "w1", "wb01", "tb", "tt", "s", "s")                                            \
    DWS_ASM_COL("[%[ln], %[hp], lsl #1]", "w2", "wb2", "bb", "bt", "y0", "y1")                                    \
    DWS_ASM_COL("[%[ln]], #4", "w0", "wb01", "bb", "bt", "y0", "y1")                                              \
    DWS_ASM_LAST("[%[ln]]", "w0") DWS_ASM_LAST("[%[ln], %[hp]]", "w1")                                            \
    DWS_ASM_LAST("[%[ln], %[hp], lsl #1]", "w2") "strd    %[y0], %[y1], [%[acc]], #8\n\t"

/* The line passes' assembly: along 1 (dw_rows_pass, DWC_ASM_BLOCK) or 2 (dw_line_pass_s2, DWS_ASM_PAIR). */
static MLC_DSP_ALWAYS_INLINE void dw_lines_asm(const int8_t *ln, int32_t hp, int32_t s, uint32_t w0, uint32_t w1,
                                               uint32_t w2, uint32_t wb01, uint32_t wb2, int32_t *acc, int32_t n,
                                               int32_t nl, int32_t step, const int along)
{
    int32_t *l_end = acc + n, *const end = acc + n * nl;
    const int32_t skip = step - along * n, nb = 4 * n;
    int32_t y0, y1;
    uint32_t e, o;
    if (n <= 0 || nl <= 0) return;
    if (along == 1 && (n / 2) % 2 == 0) {
        DW_ASM_LINES(DWC_ASM_BLOCK, "1");
    } else if (along == 1) {
        DW_ASM_LINES(DWC_ASM_BLOCK, "3");
    } else if ((n / 2) % 2 == 0) {
        DW_ASM_LINES(DWS_ASM_PAIR, "1");
    } else {
        DW_ASM_LINES(DWS_ASM_PAIR, "3");
    }
}

/*
 * dw_line_pass over nl output lines of n outputs each (n even), line l's input lines from ln + l step, its
 * accumulators at acc + l n: the lines' outputs only (a flat pass also computes the outputs between lines,
 * then dropped) and contiguous, so a row-major plane's lines requantize as one run of whole words. A line
 * of an odd number of output pairs enters the two-pair loop at its second pair (the loop compiled for each).
 */
MLC_DSP_NOINLINE static void dw_rows_pass(const int8_t *ln, int32_t hp, int32_t s, uint32_t w0, uint32_t w1,
                                          uint32_t w2, uint32_t wb01, uint32_t wb2, int32_t *acc, int32_t n,
                                          int32_t nl, int32_t step)
{
    dw_lines_asm(ln, hp, s, w0, w1, w2, wb01, wb2, acc, n, nl, step, 1);
}
#endif

/* dw_line_pass for stride 2 along the line, over nl output lines: line l's n accumulators (n even) at
   acc + l n from the input lines at ln + l step (output i reads bytes 2i .. 2i + 2 of each line: 14
   instructions an output; several lines a call, as small planes have them). */
MLC_DSP_NOINLINE static void dw_line_pass_s2(const int8_t *ln, int32_t hp, int32_t s, uint32_t w0, uint32_t w1,
                                             uint32_t w2, uint32_t wb01, uint32_t wb2, int32_t *acc, int32_t n,
                                             int32_t nl, int32_t step)
{
#if MM_USE_ASM
    dw_lines_asm(ln, hp, s, w0, w1, w2, wb01, wb2, acc, n, nl, step, 2);
#else
    int32_t l;
    for (l = 0; l < nl; ++l, ln += step, acc += n) {
        const int8_t *lp = ln;
        int32_t *ap = acc;
        int32_t *const a_end = acc + n;
        for (; ap < a_end; ++ap, lp += 2) {
            int32_t y0 = s, k;
            for (k = 0; k < 3; ++k) {
                const dw_line_t t = dw_line_k(lp, hp, k, w0, w1, w2, wb01, wb2);
                y0 = mlc_dsp_smlabb(t.b, t.o, mlc_dsp_smlad(t.wac, t.e, y0));
            }
            ap[0] = y0;
        }
    }
#endif
}

/* A channel's packed kernel for the line passes: start, (w[j][0], w[j][2]) pairs, middle weights. */
typedef struct {
    int32_t s;
    uint32_t w0, w1, w2, wb01, wb2;
} dw_kernel_t;

/*
 * nout output lines of len_out outputs of one channel that do not run flat, line o's input lines from
 * t + o step, lp apart. Short lines (two or more in DW_CHUNK accumulators, whole blocks each): as many
 * lines' passes as the accumulators hold, then one requantizing call for them (a call per line cost more
 * than the line's outputs on small planes); long ones: each line in chunks of DW_CHUNK outputs. acc: the
 * caller's DW_CHUNK accumulators.
 */
MLC_DSP_NOINLINE static void dw_lines_apart(const conv_t *c, const int8_t *t, int32_t lp, int32_t step,
                                            int32_t s_along, int32_t nout, int32_t len_out, const dw_kernel_t *kn,
                                            const mlc_dsp_rq_t *rq, int8_t *yo, int32_t es, int32_t ls, int32_t *acc)
{
    const int32_t len4 = 4 * ((len_out + 3) / 4), lpb = len4 <= DW_CHUNK ? DW_CHUNK / len4 : 1;
    int32_t o, l, a0;
    for (o = 0; o < nout; o += lpb) {
        const int32_t k = nout - o < lpb ? nout - o : lpb;
        for (a0 = 0; a0 < len_out; a0 += DW_CHUNK) { /* one chunk unless k == 1 */
            const int32_t cnt = len_out - a0 < DW_CHUNK ? len_out - a0 : DW_CHUNK, cnt4 = 4 * ((cnt + 3) / 4);
            if (s_along == 2) {
                dw_line_pass_s2(t + o * step + 2 * a0, lp, kn->s, kn->w0, kn->w1, kn->w2, kn->wb01, kn->wb2, acc,
                                cnt4, k, step);
            } else {
                for (l = 0; l < k; ++l) {
                    dw_line_pass(t + (o + l) * step + a0, lp, kn->s, kn->w0, kn->w1, kn->w2, kn->wb01, kn->wb2,
                                 acc + l * cnt4, cnt4);
                }
            }
            const int run = es == 1 && ls == cnt && cnt4 == cnt; /* whole lines that follow each other: one run */
            dw_lines_store(acc, run ? k * cnt : cnt4, run ? 1 : k, run ? k * cnt : cnt, rq, c, yo + o * ls + a0 * es,
                           es, run ? 0 : ls);
        }
    }
}

/*
 * Channel ch's kernel for the line passes (kernel line j: (w[j][0], w[j][2]) and w[j][1]; for tr, kernel
 * column j) and its requantization, doubled where asm_ok allows (dw_rq_take_doubling).
 * The start is bias - x_zero_point sum(w): the passes multiply raw x (modulo 2^32, exact wherever the sum
 * fits int32). Out of line: the usual channel takes dw_kernel_prepare's inlined form.
 */
MLC_DSP_NOINLINE static void dw_kernel_prepare_any(const conv_t *c, int32_t ch, int tr, int asm_ok, dw_kernel_t *kn,
                                                   mlc_dsp_rq_t *rq)
{
    const int8_t *const wc = c->w + ch * 9;
    const int32_t d = tr ? 1 : 3, e = tr ? 3 : 1; /* index steps across and along a kernel line */
    const int32_t b0 = c->bias != NULL ? c->bias[ch] : 0;
    int32_t f, wsum;
    mlc_dsp_rq_prepare(rq, mlc_qm_mult(c->qmult[ch]), mlc_qm_shift(c->qmult[ch]), c->p->y_zero_point, b0, 9);
    f = dw_rq_take_doubling(rq, asm_ok);
    kn->w0 = mlc_dsp_pack16(f * wc[0], f * wc[2 * e]);
    kn->w1 = mlc_dsp_pack16(f * wc[d], f * wc[d + 2 * e]);
    kn->w2 = mlc_dsp_pack16(f * wc[2 * d], f * wc[2 * d + 2 * e]);
    kn->wb01 = mlc_dsp_pack16(f * wc[e], f * wc[d + e]);
    kn->wb2 = (uint32_t)(f * wc[2 * d + e]);
    /* f sum(w): the packed weights' halfwords added by SMLAD against (1, 1) */
    wsum = mlc_dsp_smlad(kn->w0, 0x00010001u, mlc_dsp_smlad(kn->w1, 0x00010001u, (int32_t)kn->wb2));
    wsum = mlc_dsp_smlad(kn->w2, 0x00010001u, mlc_dsp_smlad(kn->wb01, 0x00010001u, wsum));
    kn->s = (int32_t)((uint32_t)f * (uint32_t)b0 - (uint32_t)(c->p->x_zero_point * wsum));
}

/*
 * dw_kernel_prepare_any, with the usual channel inlined: a right shift of at most 22, the bound of 9 taps
 * and the bias inside 2^30, no clamp (asm_ok), straight to what mlc_dsp_rq_prepare and dw_rq_take_doubling
 * decide for it (lsh 1 taken as the doubling), its nine weights from two words and a byte: about a third of
 * the general path's instructions.
 */
static MLC_DSP_ALWAYS_INLINE void dw_kernel_prepare(const conv_t *c, int32_t ch, int tr, int asm_ok, dw_kernel_t *kn,
                                                   mlc_dsp_rq_t *rq)
{
    const int8_t *const wc = c->w + ch * 9;
    const int32_t b0 = c->bias != NULL ? c->bias[ch] : 0;
    const int32_t qm = c->qmult[ch];
    if (asm_ok && dw_fast_channel(c, ch)) {
        const int32_t right = -mlc_qm_shift(qm);
        const uint32_t v0 = mlc_dsp_ld32(wc), v1 = mlc_dsp_ld32(wc + 4);
        const uint32_t e0 = mlc_dsp_sxtb16(v0), o0 = mlc_dsp_sxtb16_odd(v0); /* (w0, w2), (w1, w3) */
        const uint32_t e1 = mlc_dsp_sxtb16(v1), o1 = mlc_dsp_sxtb16_odd(v1); /* (w4, w6), (w5, w7) */
        int32_t wsum;
        rq->bias = b0;
        rq->mult = mlc_qm_mult(qm);
        rq->add = mlc_dsp_rq_add_right(right, c->p->y_zero_point);
        rq->rsh = (uint8_t)right;
        rq->lsh = 0;
        rq->neg = 1;
        rq->fast = 1;
        const uint32_t w8 = (uint32_t)(int32_t)wc[8];
        if (tr) { /* kernel columns */
            kn->w0 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(e0, e1 >> 16));      /* (w0, w6) */
            kn->w1 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(o0, o1 >> 16));      /* (w1, w7) */
            kn->w2 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(e0 >> 16, w8));      /* (w2, w8) */
            kn->wb01 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(o0 >> 16, e1));    /* (w3, w4) */
            kn->wb2 = (uint32_t)(2 * mlc_dsp_s16(o1));                  /* w5 */
        } else { /* kernel rows */
            kn->w0 = mlc_dsp_dbl16(e0);                                 /* (w0, w2) */
            kn->w1 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(o0 >> 16, o1));      /* (w3, w5) */
            kn->w2 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(e1 >> 16, w8));      /* (w6, w8) */
            kn->wb01 = mlc_dsp_dbl16(mlc_dsp_pkhbt16(o0, e1));          /* (w1, w4) */
            kn->wb2 = (uint32_t)(2 * mlc_dsp_s16(o1 >> 16));            /* w7 */
        }
        wsum = mlc_dsp_smlad(kn->w0, 0x00010001u, mlc_dsp_smlad(kn->w1, 0x00010001u, (int32_t)kn->wb2));
        wsum = mlc_dsp_smlad(kn->w2, 0x00010001u, mlc_dsp_smlad(kn->wb01, 0x00010001u, wsum));
        kn->s = (int32_t)(2u * (uint32_t)b0 - (uint32_t)(c->p->x_zero_point * wsum));
        return;
    }
    dw_kernel_prepare_any(c, ch, tr, asm_ok, kn, rq);
}

#if MM_USE_ASM
/* The planes of dw_small_flat: rows at stride 1, columns (a transposed copy) at stride 1, rows at stride 2
   along them (any stride across) */
enum { DW_SMALL_ROWS, DW_SMALL_COLS, DW_SMALL_ROWS_S2 };

/*
 * conv_dw3x3_band's small planes, whose padded copy is one band (e.g. MobileNet's 6x6 and 3x3 layers, its
 * 24 -> 12, 12 -> 6 and 6 -> 3 stride-2 layers, or KWS's 25x5 down its columns): nl lines of lp bytes and 8
 * after them, the padding filled once per call for rows (each channel's rows copied on; the passes only
 * read it). Per channel one staging, one pass, one requantizing call: the band loop's bookkeeping and
 * dw_lines_apart's chunking cost about as much as a 6x6 channel's outputs. Stride 1: rows of whole output
 * pairs by dw_rows_pass (one run of accumulators), other planes by one flat pass of na accumulators
 * requantized line by line (or at once into yb and the lines moved when a row ends in 1-3 outputs of a
 * block); stride 2: one multi-line pass of the line's outputs rounded up to a pair. t, acc and yb are the band's buffers (DW_T
 * bytes, DW_CHUNK accumulators and bytes); row_top and row_cnt place an input line in its padded line.
 */
static MLC_DSP_ALWAYS_INLINE void dw_small_flat(const conv_t *c, const int8_t *x, int8_t *y, const int mode,
                                                int32_t lp, int32_t row_top, int32_t row_cnt, uint32_t *t,
                                                int32_t *acc, uint32_t *yb)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int tr = mode == DW_SMALL_COLS, s2 = mode == DW_SMALL_ROWS_S2;
    const int32_t w_in = p->w_in, lines_in = tr ? w_in : p->h_in, pad = tr ? p->pad_left : p->pad_top;
    const int32_t lines_out = tr ? p->w_out : p->h_out, len_out = tr ? p->h_out : p->w_out;
    const int32_t es = tr ? p->w_out : 1, ls = tr ? 1 : p->w_out; /* output element and line strides */
    const int32_t nl = s2 ? (lines_out - 1) * p->stride_h + 3 : lines_out + 2;
    const int32_t na = 4 * ((lines_out * lp + 3) / 4), cnt2 = 2 * ((len_out + 1) / 2);
    const int32_t l0 = pad, l1 = lines_in + pad < nl ? lines_in + pad : nl; /* lines holding input rows */
    const uint32_t zx4 = mlc_dsp_dup4(p->x_zero_point);
    const int no_clamp = c->lo4 == 0x80808080u && c->hi4 == 0x7F7F7F7Fu;
    /* a line requantized into place unless it ends in 1-3 outputs of a block, one by one (slower) */
    const int by_line = tr || len_out % 4 == 0 || len_out < 4;
    /* outputs one run in the accumulators and in y: rows of whole output pairs */
    const int run = !tr && len_out % 2 == 0;
    int8_t *const tb = (int8_t *)t;
    int32_t n, ch;
    if (!tr) mlc_dsp_fill4(t, 4 * ((nl * lp + 8 + 15) / 16), zx4);
    for (n = 0; n < p->n; ++n) {
        for (ch = 0; ch < p->c_out; ++ch) {
            const int8_t *const xc = x + (n * p->c_in + ch) * c->plane_in;
            int8_t *const yc = y + (n * p->c_out + ch) * c->plane_out;
            dw_kernel_t kn;
            mlc_dsp_rq_t rq;
            dw_kernel_prepare(c, ch, tr, no_clamp, &kn, &rq);
            if (tr) {
                dw_stage_cols(tb, lp, nl, -pad, xc, w_in, lines_in, row_top, row_cnt, zx4);
                mlc_dsp_st32(tb + nl * lp, zx4);
                mlc_dsp_st32(tb + nl * lp + 4, zx4);
            } else {
                dw_copy_rows(tb, lp, l0, l1, xc + (l0 - pad) * w_in, w_in, row_top, row_cnt);
            }
            if (s2) {
                dw_line_pass_s2(tb, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, cnt2, lines_out,
                                p->stride_h * lp);
            } else if (run) {
                dw_rows_pass(tb, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, len_out, lines_out, lp);
            } else {
                dw_line_pass(tb, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, na);
            }
            if (run) {
                const int32_t cnt = lines_out * len_out;
                if (!dw_rq_doubled(&rq)) {
                    dw_lines_store_call(acc, cnt, 1, cnt, &rq, c, yc, 1, 0);
                } else {
                    dw_rq_lines(acc, 0, 1, cnt, rq.mult, rq.add, rq.rsh, yc, 1, 0, c->notie);
                }
                continue;
            }
            {
                const int32_t astride = s2 ? cnt2 : lp; /* a line's accumulators */
                if (!dw_rq_doubled(&rq)) {
                    dw_lines_store_call(acc, astride, lines_out, len_out, &rq, c, yc, es, ls);
                } else if (!tr && dw_rq_is_short(es, len_out)) { /* rows (columns: es is the row length) */
                    dw_rq_short(acc, astride, lines_out, len_out, rq.mult, rq.add, rq.rsh, yc, ls, c->notie);
                } else if (by_line || s2) {
                    dw_rq_lines(acc, astride, lines_out, len_out, rq.mult, rq.add, rq.rsh, yc, es, ls, c->notie);
                } else {
                    dw_rq_lines(acc, 0, 1, na, rq.mult, rq.add, rq.rsh, (int8_t *)yb, 1, 0, c->notie);
                    dw_lines_move((const int8_t *)yb, lp, lines_out, len_out, yc, ls);
                }
            }
        }
    }
}

/* dw_small_flat compiled for each plane apart (one body; each loop without the others' tests) */
MLC_DSP_NOINLINE static void dw_small_rows(const conv_t *c, const int8_t *x, int8_t *y, int32_t lp, int32_t row_top,
                                           int32_t row_cnt, uint32_t *t, int32_t *acc, uint32_t *yb)
{
    dw_small_flat(c, x, y, DW_SMALL_ROWS, lp, row_top, row_cnt, t, acc, yb);
}

MLC_DSP_NOINLINE static void dw_small_cols(const conv_t *c, const int8_t *x, int8_t *y, int32_t lp, int32_t row_top,
                                           int32_t row_cnt, uint32_t *t, int32_t *acc, uint32_t *yb)
{
    dw_small_flat(c, x, y, DW_SMALL_COLS, lp, row_top, row_cnt, t, acc, yb);
}

MLC_DSP_NOINLINE static void dw_small_s2(const conv_t *c, const int8_t *x, int8_t *y, int32_t lp, int32_t row_top,
                                         int32_t row_cnt, uint32_t *t, int32_t *acc, uint32_t *yb)
{
    dw_small_flat(c, x, y, DW_SMALL_ROWS_S2, lp, row_top, row_cnt, t, acc, yb);
}
#endif

/*
 * Depthwise 3x3, dilation 1, stride 1 or 2 along the output lines: the rows (tr = 0) or, for narrow planes
 * such as KWS's 25 x 5, the columns (tr = 1, the kernel transposed). Bands of input lines are copied to
 * the stack as padded lines of lp bytes (x_zero_point before, after and for lines outside the input; a
 * transposed copy moves four rows per word), so that every output reads three lines lp apart with no
 * bounds checks: two outputs per step in dw_line_pass (21 multiply and widen instructions), up to
 * DW_CHUNK per pass, then dw_lines_store. With stride 1 across the lines too ("flat") a pass runs over
 * several lines at once, lp = the padded row (e.g. the line's outputs + 1 for padding 1: the last output's
 * third tap is the next line's leading x_zero_point), the outputs past each line's end computed and
 * dropped; else each line alone, lp rounded for its blocks of four, short lines requantized several at a
 * time (dw_lines_apart). Any stride across the lines; stride 2 along the line through dw_line_pass_s2,
 * several lines a call. Planes that are one flat pass in all: dw_small_rows / dw_small_cols; rows at
 * stride 2 whose plane is one band: dw_small_s2.
 */
void mlc_dsp_conv_dw3x3_band(const conv_t *c, const int8_t *x, int8_t *y, const int tr)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t w_in = p->w_in, w_out = p->w_out;
    /* line geometry: along the line (stride 1) and across the lines */
    const int32_t len_in = tr ? p->h_in : w_in, len_out = tr ? p->h_out : w_out;
    const int32_t lines_in = tr ? w_in : p->h_in, lines_out = tr ? w_out : p->h_out;
    const int32_t pad_along = tr ? p->pad_top : p->pad_left, pad_across = tr ? p->pad_left : p->pad_top;
    const int32_t s_across = tr ? p->stride_w : p->stride_h, s_along = tr ? p->stride_h : p->stride_w;
    const int32_t es = tr ? w_out : 1, ls = tr ? 1 : w_out; /* output element and line strides */
    /* a flat line holds the padded row; its last outputs may read the next line's leading padding (up to
       two bytes of x_zero_point), so lines need not be len_out + 2 apart */
    const int32_t spill = pad_along < 2 ? pad_along : 2;
    const int32_t lp_flat = len_out + 2 - spill > pad_along + len_in ? len_out + 2 - spill : pad_along + len_in;
    /* a line pass computes outputs in blocks of four, reading 2 + s_along * (outputs) bytes of each line */
    const int32_t len4 = s_along * 4 * ((len_out + 3) / 4);
    const int32_t k_flat = DW_CHUNK / lp_flat < lines_out ? DW_CHUNK / lp_flat : lines_out;
    /* flat when a pass covers three lines or more and computes at most 4 more outputs per line it saves
       (measured on the Cortex-M4: a pass costs about as much as 4 outputs) */
    const int flat = s_across == 1 && s_along == 1 && k_flat >= 3 && 3 * lp_flat + 8 <= DW_T &&
                     4 * ((k_flat * lp_flat + 3) / 4) <= k_flat * len4 + 4 * (k_flat - 1);
    const int32_t lp = flat ? lp_flat : len4 + 2; /* one line a pass reads up to len4 + 1 */
    const int32_t band = ((DW_T - 8) / lp - 3) / s_across + 1;        /* output lines per band: >= 1 */
    const int32_t lpc = flat ? DW_CHUNK / lp_flat : 1; /* lines per pass */
    /* an input line's place in its padded line */
    const int32_t row_top = pad_along < lp ? pad_along : lp;
    const int32_t row_cnt = len_in < lp - row_top ? len_in : lp - row_top;
    const int8_t zx = (int8_t)p->x_zero_point;
    const uint32_t zx4 = mlc_dsp_dup4(zx);
    uint32_t tw[(DW_T + DW_T_SLACK) / 4];
    int8_t *const t = (int8_t *)tw;
    int32_t acc[DW_CHUNK];
#if MM_USE_ASM
    uint32_t yb[DW_CHUNK / 4]; /* a flat pass's outputs, requantized */
    const int no_clamp = c->lo4 == 0x80808080u && c->hi4 == 0x7F7F7F7Fu;
#endif
    int32_t n, ch, o0, o;
#if MM_USE_ASM
    if (flat && lines_out <= lpc && lines_out <= band && 16 * (((lines_out + 2) * lp + 8 + 15) / 16) <= DW_T) {
        if (tr) { /* the whole plane one pass */
            dw_small_cols(c, x, y, lp, row_top, row_cnt, tw, acc, yb);
        } else {
            dw_small_rows(c, x, y, lp, row_top, row_cnt, tw, acc, yb);
        }
        return;
    }
    if (!flat && !tr && s_along == 2 && lines_out <= band && lines_out * (len4 / 2) <= DW_CHUNK) {
        dw_small_s2(c, x, y, lp, row_top, row_cnt, tw, acc, yb);
        return;
    }
#endif
    for (n = 0; n < p->n; ++n) {
        for (ch = 0; ch < p->c_out; ++ch) {
            const int8_t *xc = x + (n * p->c_in + ch) * c->plane_in;
            int8_t *yc = y + (n * p->c_out + ch) * c->plane_out;
            dw_kernel_t kn;
            mlc_dsp_rq_t rq;
#if MM_USE_ASM
            dw_kernel_prepare(c, ch, tr, no_clamp, &kn, &rq);
            const int asm_rq = dw_rq_doubled(&rq);
#else
            dw_kernel_prepare(c, ch, tr, 0, &kn, &rq);
#endif
            for (o0 = 0; o0 < lines_out; o0 += band) {
                const int32_t nout = lines_out - o0 < band ? lines_out - o0 : band;
                const int32_t first = o0 * s_across - pad_across, nl = (nout - 1) * s_across + 3;
                if (!tr) {
                    dw_stage_rows(t, lp, nl, first, xc, w_in, lines_in, row_top, row_cnt, zx4);
                } else {
                    dw_stage_cols(t, lp, nl, first, xc, w_in, lines_in, row_top, row_cnt, zx4);
                }
                if (flat) { /* the dropped outputs of the last line read up to 7 bytes past the band */
                    dw_fill_row(t + nl * lp, x, 0, 0, 8, zx);
                    for (o = 0; o < nout; o += lpc) {
                        const int32_t k = nout - o < lpc ? nout - o : lpc, na = 4 * ((k * lp + 3) / 4);
#if MM_USE_ASM
                        if (!tr && len_out % 2 == 0) { /* rows of whole output pairs: their outputs only */
                            dw_rows_pass(t + o * lp, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, len_out, k,
                                         lp);
                            if (asm_rq) { /* dw_lines_store's choice for these, without its tests */
                                dw_rq_lines(acc, 0, 1, k * len_out, rq.mult, rq.add, rq.rsh, yc + (o0 + o) * ls, 1, 0,
                                            c->notie);
                            } else {
                                dw_lines_store(acc, k * len_out, 1, k * len_out, &rq, c, yc + (o0 + o) * ls, 1, 0);
                            }
                            continue;
                        }
#endif
                        dw_line_pass(t + o * lp, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, na);
#if MM_USE_ASM
                        if (asm_rq && es == 1) { /* odd rows: the pass requantized at once, then each line moved */
                            dw_rq_lines(acc, 0, 1, na, rq.mult, rq.add, rq.rsh, (int8_t *)yb, 1, 0, c->notie);
                            dw_lines_move((const int8_t *)yb, lp, k, len_out, yc + (o0 + o) * ls, ls);
                            continue;
                        }
#endif
                        dw_lines_store(acc, lp, k, len_out, &rq, c, yc + (o0 + o) * ls, es, ls);
                    }
                    continue;
                }
                { /* a copy: kn itself stays in registers (its address not taken) */
                    const dw_kernel_t kc = kn;
                    dw_lines_apart(c, t, lp, s_across * lp, s_along, nout, len_out, &kc, &rq, yc + o0 * ls, es, ls,
                                   acc);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------ depthwise 3x3, 3 wide */

/*
 * Three bytes u0, u1, u2 of a word as int16 pairs (u0, u1) and (u1, u2) from its widened even and odd
 * bytes e, o: at bytes 0..2 (e = (u0, u2), o = (u1, _)) or, shifted, at bytes 1..3 (e = (_, u1),
 * o = (u0, u2)): the shifted word ends at the three bytes, so a plane's or a weight set's last three bytes
 * load without reading past them.
 */
static MLC_DSP_ALWAYS_INLINE void w3_pairs(uint32_t e, uint32_t o, int shifted, uint32_t *p01, uint32_t *p12)
{
    if (shifted) {
        *p01 = mlc_dsp_pkhbt(o, e);
        *p12 = mlc_dsp_pkhtb16(o, e);
    } else {
        *p01 = mlc_dsp_pkhbt16(e, o);
        *p12 = mlc_dsp_pkhbt(o, e);
    }
}

/* Kernel row r of a channel's weights wc: (k0, k1), (k1, k2) and, for stride 2, (k0, k2) and k1 (low
   halfword); row 2's word is the shifted one (it ends at wc[8]). */
typedef struct {
    uint32_t ab, bc, ac, b;
} w3_row_t;

static MLC_DSP_ALWAYS_INLINE w3_row_t w3_weights(const int8_t *wc, int32_t r)
{
    const int shifted = r == 2;
    const uint32_t v = mlc_dsp_ld32(wc + 3 * r - shifted);
    const uint32_t e = mlc_dsp_sxtb16(v), o = mlc_dsp_sxtb16_odd(v);
    w3_row_t k;
    w3_pairs(e, o, shifted, &k.ab, &k.bc);
    k.ac = shifted ? o : e;
    k.b = shifted ? e >> 16 : o;
    return k;
}

/*
 * Three outputs o0..o2 of one output row from one input row and kernel row k, the inputs widened with
 * x_zero_point subtracted (padding taps are left out, not multiplied). Stride 1 (the row's bytes x0..x2 at
 * row, padding 1 each side): o0 += k1 x0 + k2 x1, o1 += (k0, k1).(x0, x1) + k2 x2, o2 += (k0, k1).(x1, x2);
 * `last`: the plane's last row, read by the shifted word. Stride 2 (bytes x0..x5, padding 1 on the left):
 * o0 += (k1, k2).(x0, x1), o1 += (k0, k2).(x1, x3) + k1 x2, o2 += (k0, k2).(x3, x5) + k1 x4.
 */
#define W3_ROW_S1(row, last, k)                                                                                   \
    do {                                                                                                          \
        const uint32_t v_ = mlc_dsp_ld32((row) - (last));                                                         \
        uint32_t p01_, p12_;                                                                                      \
        w3_pairs(mlc_dsp_sxtab16(nz, v_), mlc_dsp_sxtab16_odd(nz, v_), last, &p01_, &p12_);                       \
        o0 = mlc_dsp_smlad((k).bc, p01_, o0);                                                                     \
        o1 = mlc_dsp_smlatt((k).bc, p12_, mlc_dsp_smlad((k).ab, p01_, o1));                                       \
        o2 = mlc_dsp_smlad((k).ab, p12_, o2);                                                                     \
    } while (0)
#define W3_ROW_S2(row, k)                                                                                         \
    do {                                                                                                          \
        const uint32_t v0_ = mlc_dsp_ld32(row), v1_ = mlc_dsp_ld32((row) + 2);                                    \
        const uint32_t e0_ = mlc_dsp_sxtab16(nz, v0_), o0_ = mlc_dsp_sxtab16_odd(nz, v0_);                        \
        const uint32_t e1_ = mlc_dsp_sxtab16(nz, v1_), o1_ = mlc_dsp_sxtab16_odd(nz, v1_);                        \
        o0 = mlc_dsp_smlad((k).bc, mlc_dsp_pkhbt16(e0_, o0_), o0);                                                \
        o1 = mlc_dsp_smlabb((k).b, e1_, mlc_dsp_smlad((k).ac, o0_, o1));                                          \
        o2 = mlc_dsp_smlabt((k).b, e1_, mlc_dsp_smlad((k).ac, o1_, o2));                                          \
    } while (0)

/* One output row's three accumulators requantized into bytes 0..2 on the prepared form with lsh 1 and a right
   shift (every channel's: the caller's condition, dw_all_fast in conv2d_s8.c), no clamp. */
static MLC_DSP_ALWAYS_INLINE uint32_t w3_requant(int32_t o0, int32_t o1, int32_t o2, int32_t m, int32_t ad,
                                                 uint32_t rsh)
{
    const uint32_t v = mlc_dsp_bytes2(mlc_dsp_rq_right(o0, 1, m, ad, rsh), mlc_dsp_rq_right(o1, 1, m, ad, rsh));
    return mlc_dsp_pkhbt16(v, (uint32_t)mlc_dsp_rq_right(o2, 1, m, ad, rsh));
}

/* Output row `row` of a 3 x 3 plane (pad_top 1: input rows 2 row - 1 .. (stride 2) or row - 1 .. (stride 1),
   the last one of 3 read by the shifted word), straight-line code for w3_plane3. */
#define W3_OUT(row)                                                                                               \
    do {                                                                                                          \
        int32_t o0 = b0, o1 = b0, o2 = b0;                                                                        \
        uint32_t v;                                                                                               \
        if (s2) {                                                                                                 \
            if ((row) > 0) W3_ROW_S2(xc + 12 * (row) - 6, k0);                                                    \
            W3_ROW_S2(xc + 12 * (row), k1);                                                                       \
            W3_ROW_S2(xc + 12 * (row) + 6, k2);                                                                   \
        } else {                                                                                                  \
            if ((row) > 0) W3_ROW_S1(xc + 3 * (row) - 3, 0, k0);                                                  \
            W3_ROW_S1(xc + 3 * (row), (row) == 2, k1);                                                            \
            if ((row) < 2) W3_ROW_S1(xc + 3 * (row) + 3, (row) == 1, k2);                                         \
        }                                                                                                         \
        v = w3_requant(o0, o1, o2, m, ad, rsh);                                                                   \
        mlc_dsp_st16(yc + 3 * (row), v);                                                                          \
        yc[3 * (row) + 2] = (int8_t)(uint8_t)(v >> 16);                                                           \
    } while (0)

/* A 3 x 3 output plane from 3 x 3 (stride 1) or 6 x 6 (stride 2) at padding 1: the three rows unrolled. */
static MLC_DSP_ALWAYS_INLINE void w3_plane3(const conv_t *c, const int8_t *xc, const int8_t *wc, int8_t *yc, int32_t b0,
                                            const int s2, int32_t m, int32_t ad, uint32_t rsh)
{
    const uint32_t nz = c->nzp2;
    const w3_row_t k0 = w3_weights(wc, 0), k1 = w3_weights(wc, 1), k2 = w3_weights(wc, 2);
    W3_OUT(0);
    W3_OUT(1);
    W3_OUT(2);
}
#undef W3_OUT

/*
 * Depthwise 3x3 on 3 x 3 output planes from 3 x 3 (stride 1) or 6 x 6 (stride 2) at padding 1 (e.g.
 * MobileNet's last layers at 96 x 96), every channel on the prepared requantization with a right shift and
 * no clamp (dw_all_fast in conv2d_s8.c): each output row straight from its input rows, widened with
 * x_zero_point subtracted, so the padding is left out rather than computed, the three rows unrolled.
 */
MLC_DSP_NOINLINE void mlc_dsp_conv_dw3x3_w3(const conv_t *c, const int8_t *x, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int s2 = p->stride_w == 2;
    const int32_t nch = p->n * p->c_out, plane_in = c->plane_in, zp = p->y_zero_point;
    const int8_t *xc = x;
    int8_t *yc = y;
    int32_t i;
    for (i = 0; i < nch; ++i, xc += plane_in, yc += 9) {
        const int32_t ch = i % p->c_out, b0 = c->bias != NULL ? c->bias[ch] : 0, qm = c->qmult[ch];
        const uint32_t rsh = (uint32_t)-mlc_qm_shift(qm); /* 1..22 */
        const int32_t m = mlc_qm_mult(qm), ad = mlc_dsp_rq_add_right((int32_t)rsh, zp);
        if (s2) {
            w3_plane3(c, xc, c->w + 9 * ch, yc, b0, 1, m, ad, rsh);
        } else {
            w3_plane3(c, xc, c->w + 9 * ch, yc, b0, 0, m, ad, rsh);
        }
    }
}
#undef W3_ROW_S1
#undef W3_ROW_S2

/* --------------------------------------------------------------- depthwise 3x3, stride 2 in place */

#if MM_USE_ASM
/*
 * Depthwise 3x3, stride 2, padding 1 on the top and left, input planes exactly twice the output (an even
 * number of outputs a row): the line pass of stride 2 runs on the input rows themselves, from the byte
 * before each row (output j reads bytes 2j - 1 .. 2j + 1, the last one the row's last byte), several
 * output rows a call. Output 0 of a row read the previous row's last byte as its padding column: its
 * accumulator is corrected by the three taps (the start assumed x_zero_point there). Output row 0, whose
 * kernel row 0 is padding, runs on three staged lines. No staging of the other rows: the band path
 * copied every input row (about 5 instructions an output of MobileNet's 48 -> 24 layer).
 */
MLC_DSP_NOINLINE void mlc_dsp_conv_dw3x3_s2(const conv_t *c, const int8_t *x, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t w_in = p->w_in, w_out = p->w_out, h_out = p->h_out, nch = p->n * p->c_out;
    const int32_t lp = 4 * ((w_in + 1 + 3) / 4) + 4, lpc = DW_CHUNK / w_out; /* staged line; lines a pass */
    const int32_t zx = p->x_zero_point;
    const uint32_t zx4 = mlc_dsp_dup4(zx);
    const int no_clamp = c->lo4 == 0x80808080u && c->hi4 == 0x7F7F7F7Fu;
    uint32_t tw[(3 * DW_ROW + DW_T_SLACK) / 4]; /* three lines of lp <= DW_ROW (the caller's condition) */
    int8_t *const t = (int8_t *)tw;
    int32_t acc[DW_CHUNK];
    int32_t i, o, l;
    for (i = 0; i < nch; ++i) {
        const int32_t ch = i % p->c_out;
        const int8_t *const xc = x + i * c->plane_in;
        int8_t *const yc = y + i * c->plane_out;
        dw_kernel_t kn;
        mlc_dsp_rq_t rq;
        int32_t fix;
        dw_kernel_prepare(c, ch, 0, no_clamp, &kn, &rq);
        /* x_zero_point times the (possibly doubled) column-0 weights: what the start took off for them */
        fix = (int32_t)((uint32_t)zx * (uint32_t)(mlc_dsp_s16(kn.w0) + mlc_dsp_s16(kn.w1) + mlc_dsp_s16(kn.w2)));
        /* output row 0: lines -1 (padding), 0 and 1 staged, the padding column before each */
        dw_stage_rows(t, lp, 3, -1, xc, w_in, p->h_in, 1, w_in, zx4);
        dw_line_pass_s2(t, lp, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, acc, w_out, 1, 2 * lp);
        for (o = 0; o < h_out; o += lpc) { /* output rows o .. o + k - 1 (row 0 staged above), one requantization */
            const int32_t k = h_out - o < lpc ? h_out - o : lpc, a0 = o == 0; /* rows already summed */
            const int8_t *const ln = xc + (2 * (o + a0) - 1) * w_in - 1;
            int32_t *const ac = acc + a0 * w_out;
            if (k > a0) {
                dw_line_pass_s2(ln, w_in, kn.s, kn.w0, kn.w1, kn.w2, kn.wb01, kn.wb2, ac, w_out, k - a0, 2 * w_in);
            }
            for (l = 0; l < k - a0; ++l) { /* output 0 read the rows' previous bytes for its padding column */
                const int8_t *const g = ln + 2 * l * w_in;
                ac[l * w_out] += fix - mlc_dsp_smlabb(kn.w0, (uint32_t)(int32_t)g[0],
                                                      mlc_dsp_smlabb(kn.w1, (uint32_t)(int32_t)g[w_in],
                                                                     mlc_dsp_smlabb(kn.w2, (uint32_t)(int32_t)g[2 * w_in],
                                                                                    0)));
            }
            if (dw_rq_doubled(&rq)) {
                dw_rq_lines(acc, 0, 1, k * w_out, rq.mult, rq.add, rq.rsh, yc + o * w_out, 1, 0, c->notie);
            } else {
                dw_lines_store_call(acc, 0, 1, k * w_out, &rq, c, yc + o * w_out, 1, 0);
            }
        }
    }
}
#endif

/* ----------------------------------------------------------------------- depthwise 3x3, 6 wide */

#if MM_USE_ASM
/* A channel of mlc_dsp_conv_dw3x3_w6: the starts of each row kind (the first row, without kernel row 0;
   rows between; the last, without kernel row 2), each as its six outputs' starts (the first and last
   outputs miss a kernel column); the requantization (mult, add, right shift) and the row's output pointer;
   then per kernel row (w0, w2), w1 (low lane), (w1, w2), (w0, w1). The weights are doubled (the
   requantization's left shift), the starts 2 bias - x_zero_point times the doubled weights the outputs
   reach. */
typedef struct {
    int32_t s[3][6];
    int32_t rq[4]; /* mult, add, rsh, y */
    uint32_t k[3][4];
} w6_table_t;

typedef char w6_table_layout_check[offsetof(w6_table_t, rq) == 72 && offsetof(w6_table_t, k) == 88 ? 1 : -1];

/* Kernel row k's part of the six outputs of a row (r0..r5) from the row's two words at rp + off and
   rp + off + 2 (raw x: the starts hold x_zero_point); tw steps over the row's four weight words (r8..r10,
   the fourth into r10 once (w1, w2) is done). 20 instructions. */
#define W6_ASM_KROW(off)                                                                                          \
    "ldmia   %[tw]!, {r8, r9, r10}\n\t"                                                                           \
    "ldr     %[e], [%[rp], #" off "]\n\t"                                                                         \
    "sxtb16  %[o], %[e], ror #8\n\t"                                                                              \
    "sxtb16  %[e], %[e]\n\t"                                                                                      \
    "smlad   r1, r8, %[e], r1\n\t"                                                                                \
    "smlabb  r1, r9, %[o], r1\n\t"                                                                                \
    "smlad   r2, r8, %[o], r2\n\t"                                                                                \
    "smlabt  r2, r9, %[e], r2\n\t"                                                                                \
    "pkhbt   %[e], %[e], %[o], lsl #16\n\t"                                                                       \
    "smlad   r0, r10, %[e], r0\n\t"                                                                               \
    "ldr     %[e], [%[rp], #" off "+2]\n\t"                                                                       \
    "sxtb16  %[o], %[e], ror #8\n\t"                                                                              \
    "sxtb16  %[e], %[e]\n\t"                                                                                      \
    "smlad   r3, r8, %[e], r3\n\t"                                                                                \
    "smlabb  r3, r9, %[o], r3\n\t"                                                                                \
    "smlad   r4, r8, %[o], r4\n\t"                                                                                \
    "smlabt  r4, r9, %[e], r4\n\t"                                                                                \
    "pkhtb   %[e], %[o], %[e], asr #16\n\t"                                                                       \
    "ldr     r10, [%[tw]], #4\n\t"                                                                                \
    "smlad   r5, r10, %[e], r5\n\t"
/* One doubled accumulator requantized in place (mult r8, add r9, right shift r10), without the tie term
   (conv_t.notie). */
#define W6_ASM_RQ_NT(a) "smmlar  %[e], " a ", r8, r9\n\tasr     %[e], %[e], r10\n\tssat    " a ", #8, %[e]\n\t"
/* The row: its kind's starts, the kernel rows, the requantization and output pointer from the table
   (roff bytes on from the starts), six bytes out. */
#define W6_ASM_ROW(krows, rq)                                                                                     \
    __asm__ volatile("ldmia   %[ts], {r0, r1, r2, r3, r4, r5}\n\t" krows                                          \
                     "ldrd    r8, r9, [%[ts], %[roff]]\n\t"                                                        \
                     "ldrd    r10, %[o], [%[ts], %[roff] + 8]\n\t" rq("r0") rq("r1") rq("r2") rq("r3") rq("r4")    \
                         rq("r5") "bfi     r0, r1, #8, #8\n\t"                                                    \
                                  "bfi     r0, r2, #16, #8\n\t"                                                   \
                                  "bfi     r0, r3, #24, #8\n\t"                                                   \
                                  "str     r0, [%[o]]\n\t"                                                        \
                                  "bfi     r4, r5, #8, #8\n\t"                                                    \
                                  "strh    r4, [%[o], #4]\n\t"                                                    \
                     : [e] "=&r"(e), [o] "=&r"(o), [tw] "+r"(tw)                                                  \
                     : [ts] "r"(ts), [rp] "r"(rp), [roff] "I"(roff)                                               \
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r8", "r9", "r10", "memory")

/* One output row: kernel rows from tw (nk of them, input rows 6 bytes apart from rp), ts the row kind's
   starts, the table's requantization roff bytes on (no tie term: conv_t.notie, the caller's condition). */
static MLC_DSP_ALWAYS_INLINE void w6_row(const int32_t *ts, const uint32_t *tw, const int8_t *rp, const int nk,
                                         const int32_t roff)
{
    uint32_t e, o;
    if (nk == 3) {
        W6_ASM_ROW(W6_ASM_KROW("0") W6_ASM_KROW("6") W6_ASM_KROW("12"), W6_ASM_RQ_NT);
    } else {
        W6_ASM_ROW(W6_ASM_KROW("0") W6_ASM_KROW("6"), W6_ASM_RQ_NT);
    }
}
#undef W6_ASM_KROW
#undef W6_ASM_RQ_NT
#undef W6_ASM_ROW

/* The six starts of a row kind: s minus x_zero_point times the doubled weights' sums over the kernel rows
   it has (l: output 0, missing column 0; f: outputs 1..4; r: output 5, missing column 2). */
static MLC_DSP_ALWAYS_INLINE void w6_starts(int32_t *d, uint32_t s2b, uint32_t zp, uint32_t l, uint32_t f, uint32_t r)
{
    const int32_t sf = (int32_t)(s2b - zp * f);
    d[0] = (int32_t)(s2b - zp * l);
    d[1] = sf;
    d[2] = sf;
    d[3] = sf;
    d[4] = sf;
    d[5] = (int32_t)(s2b - zp * r);
}

/* Kernel row k of a channel's weights into the table, doubled, with its sums (l: w1 + w2, f: all three,
   r: w0 + w1, each doubled). */
static MLC_DSP_ALWAYS_INLINE void w6_weights(w6_table_t *t, const int8_t *wc, const int k, uint32_t *l, uint32_t *f,
                                             uint32_t *r)
{
    const w3_row_t q = w3_weights(wc, k);
    const uint32_t ac = mlc_dsp_dbl16(q.ac), b = mlc_dsp_dbl16(q.b), bc = mlc_dsp_dbl16(q.bc);
    const uint32_t ab = mlc_dsp_dbl16(q.ab);
    t->k[k][0] = ac;
    t->k[k][1] = b;
    t->k[k][2] = bc;
    t->k[k][3] = ab;
    *l = (uint32_t)mlc_dsp_smlad(bc, 0x00010001u, 0);
    *r = (uint32_t)mlc_dsp_smlad(ab, 0x00010001u, 0);
    *f = (uint32_t)mlc_dsp_smlabb(b, 1u, mlc_dsp_smlad(ac, 0x00010001u, 0));
}

/* A channel's plane, rows 6 wide. */
static void w6_plane(w6_table_t *t, const int8_t *xc, int8_t *yc, int32_t h)
{
    const int8_t *r = xc, *const last = xc + 6 * (h - 1);
    t->rq[3] = (int32_t)(intptr_t)yc;
    w6_row(t->s[0], t->k[1], r, 2, 72); /* no row above */
    for (; r + 6 < last; r += 6) {
        yc += 6;
        t->rq[3] = (int32_t)(intptr_t)yc;
        w6_row(t->s[1], t->k[0], r, 3, 48);
    }
    t->rq[3] = (int32_t)(intptr_t)(yc + 6);
    w6_row(t->s[2], t->k[0], r, 2, 24); /* no row below */
}

/*
 * Depthwise 3x3, stride 1, padding 1, planes 6 wide and at least 2 high (e.g. MobileNet's 6 x 6 stage at
 * 96 x 96), ReLU-range outputs (conv_t.notie), every channel on the prepared requantization with a right
 * shift (dw_all_fast in conv2d_s8.c): each
 * output row straight from the input rows with no staging, its six accumulators in registers (a kernel
 * row's two words give all six, 20 instructions), requantized and stored in the same assembly. The
 * padding is in the starts: the taps a row kind or an edge column misses hold x_zero_point there.
 */
MLC_DSP_NOINLINE void mlc_dsp_conv_dw3x3_w6(const conv_t *c, const int8_t *x, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t h = p->h_out, nch = p->n * p->c_out, zp = p->y_zero_point;
    const uint32_t xzp = (uint32_t)p->x_zero_point;
    w6_table_t t;
    int32_t i;
    for (i = 0; i < nch; ++i) {
        const int32_t ch = i % p->c_out, b0 = c->bias != NULL ? c->bias[ch] : 0, qm = c->qmult[ch];
        const uint32_t rsh = (uint32_t)-mlc_qm_shift(qm); /* 1..22: dw_all_fast in conv2d_s8.c */
        const int8_t *const wc = c->w + 9 * ch;
        const uint32_t s2b = 2u * (uint32_t)b0;
        uint32_t l0, f0, r0, l1, f1, r1, l2, f2, r2;
        w6_weights(&t, wc, 0, &l0, &f0, &r0);
        w6_weights(&t, wc, 1, &l1, &f1, &r1);
        w6_weights(&t, wc, 2, &l2, &f2, &r2);
        w6_starts(t.s[0], s2b, xzp, l1 + l2, f1 + f2, r1 + r2);
        w6_starts(t.s[1], s2b, xzp, l0 + l1 + l2, f0 + f1 + f2, r0 + r1 + r2);
        w6_starts(t.s[2], s2b, xzp, l0 + l1, f0 + f1, r0 + r1);
        t.rq[0] = mlc_qm_mult(qm);
        t.rq[1] = mlc_dsp_rq_add_right((int32_t)rsh, zp);
        t.rq[2] = (int32_t)rsh;
        w6_plane(&t, x + i * c->plane_in, y + i * c->plane_out, h);
    }
}
#endif

/* ------------------------------------------------------------------------- pointwise, few channels */

#if MM_USE_ASM
/* Pixels per chunk of conv_pw_narrow: their columns (up to 16 bytes a pixel) and accumulators on the stack. */
#define PWN_CHUNK 128

/*
 * The columns of n pixels for conv_pw_narrow: per pixel nbb blocks of four input channels, each two words
 * (x - x_zero_point as int16 lanes: channels (0, 2) and (1, 3), the order SXTB16 and SXTB16 ROR 8 give a
 * weight word). rows[ch]: channel ch's bytes of the chunk (x_zero_point bytes past the group's channels).
 * Four pixels of a block from one word per channel, regrouped by PKH (a 4x4 byte transpose cost twice as much).
 */
MLC_DSP_NOINLINE static void pwn_pack(const int8_t *const *rows, int32_t nbb, int32_t n, uint32_t nz, uint32_t *cols)
{
    const int32_t pw = 2 * nbb; /* words a pixel */
    int32_t b, j;
    for (b = 0; b < nbb; ++b) {
        const int8_t *const r0 = rows[4 * b], *const r1 = rows[4 * b + 1];
        const int8_t *const r2 = rows[4 * b + 2], *const r3 = rows[4 * b + 3];
        uint32_t *cp = cols + 2 * b;
        for (j = 0; j + 4 <= n; j += 4, cp += 4 * pw) {
            /* channels (0, 2) and (1, 3) of pixels 0-1 and 2-3 by PKH; SXTAB16 splits each into its pixels */
            const uint32_t v0 = mlc_dsp_ld32(r0 + j), v1 = mlc_dsp_ld32(r1 + j);
            const uint32_t v2 = mlc_dsp_ld32(r2 + j), v3 = mlc_dsp_ld32(r3 + j);
            uint32_t ev = mlc_dsp_pkhbt16(v0, v2), od = mlc_dsp_pkhbt16(v1, v3);
            mlc_dsp_st2x32a(cp, mlc_dsp_sxtab16(nz, ev), mlc_dsp_sxtab16(nz, od));
            mlc_dsp_st2x32a(cp + pw, mlc_dsp_sxtab16_odd(nz, ev), mlc_dsp_sxtab16_odd(nz, od));
            ev = mlc_dsp_pkhtb16(v2, v0);
            od = mlc_dsp_pkhtb16(v3, v1);
            mlc_dsp_st2x32a(cp + 2 * pw, mlc_dsp_sxtab16(nz, ev), mlc_dsp_sxtab16(nz, od));
            mlc_dsp_st2x32a(cp + 3 * pw, mlc_dsp_sxtab16_odd(nz, ev), mlc_dsp_sxtab16_odd(nz, od));
        }
        for (; j < n; ++j, cp += pw) {
            const uint32_t v = mlc_dsp_pack4(r0[j], r1[j], r2[j], r3[j]);
            cp[0] = mlc_dsp_sxtab16(nz, v);
            cp[1] = mlc_dsp_sxtab16_odd(nz, v);
        }
    }
}

/* Two pixels of one block each (one LDM of their four column words) into y0 and y1 from the start s. */
#define PWN1_ASM_PAIR                                                                                             \
    "ldmia  %[cols]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                           \
    "smlad  %[y0], %[we0], %[x0], %[s]\n\t"                                                                       \
    "smlad  %[y0], %[wo0], %[x1], %[y0]\n\t"                                                                      \
    "smlad  %[y1], %[we0], %[x2], %[s]\n\t"                                                                       \
    "smlad  %[y1], %[wo0], %[x3], %[y1]\n\t"                                                                      \
    "strd   %[y0], %[y1], [%[acc]], #8\n\t"
/* One pixel of two blocks (one LDM) into y from the start s. */
#define PWN2_ASM_PIXEL(y)                                                                                         \
    "ldmia  %[cols]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"                                                           \
    "smlad  %[" y "], %[we0], %[x0], %[s]\n\t"                                                                    \
    "smlad  %[" y "], %[wo0], %[x1], %[" y "]\n\t"                                                                \
    "smlad  %[" y "], %[we1], %[x2], %[" y "]\n\t"                                                                \
    "smlad  %[" y "], %[wo1], %[x3], %[" y "]\n\t"
#define PWN2_ASM_PAIR PWN2_ASM_PIXEL("y0") PWN2_ASM_PIXEL("y1") "strd   %[y0], %[y1], [%[acc]], #8\n\t"

/*
 * acc[0..n) (n a multiple of 4) = s + one output channel's dot products with n pixels' columns: nbb 1
 * (up to four input channels, weights we0 / wo0) 7 instructions two outputs, nbb 2 (up to eight) 11.
 */
MLC_DSP_NOINLINE static void pwn_pass(const uint32_t *cols, int32_t nbb, uint32_t we0, uint32_t wo0, uint32_t we1,
                                      uint32_t wo1, int32_t s, int32_t *acc, int32_t n)
{
    const int32_t *const end = acc + n;
    int32_t y0, y1;
    MX_ASM_COLUMN_REGS;
    if (nbb == 1) {
        __asm__ volatile("1:\n\t" PWN1_ASM_PAIR PWN1_ASM_PAIR "cmp    %[acc], %[end]\n\tbne    1b"
                         : [cols] "+r"(cols), [acc] "+r"(acc), [y0] "=&r"(y0), [y1] "=&r"(y1), [x0] "=&r"(x0),
                           [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
                         : [we0] "r"(we0), [wo0] "r"(wo0), [s] "r"(s), [end] "r"(end)
                         : "cc", "memory");
    } else { /* thirteen registers, the loop end on the stack */
        __asm__ volatile("1:\n\t" PWN2_ASM_PAIR PWN2_ASM_PAIR "ldr    %[y0], %[end]\n\tcmp    %[acc], %[y0]\n\tbne    1b"
                         : [cols] "+r"(cols), [acc] "+r"(acc), [y0] "=&r"(y0), [y1] "=&r"(y1), [x0] "=&r"(x0),
                           [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
                         : [we0] "r"(we0), [wo0] "r"(wo0), [we1] "r"(we1), [wo1] "r"(wo1), [s] "r"(s),
                           [end] "m"(end)
                         : "cc", "memory");
    }
}
#undef PWN1_ASM_PAIR
#undef PWN2_ASM_PIXEL
#undef PWN2_ASM_PAIR

/* Output channels conv_pw_narrow prepares at once: each one's weights in its pass's registers' form, start and
   requantization, reused by every chunk of pixels. */
#define PWN_CH 16
typedef struct {
    uint32_t we0, wo0, we1, wo1;
    int32_t s;
    mlc_dsp_rq_t rq;
} pwn_ch_t;

/* Four weights (nt of them, zeros above) widened to (w0, w2), (w1, w3), doubled when f is 2 (int16 lanes
   of at most 8 significant bits: the masked shift carries nothing across). */
static MLC_DSP_ALWAYS_INLINE void pwn_weights(const int8_t *w, int32_t nt, int32_t f, uint32_t *we, uint32_t *wo)
{
    const uint32_t v = nt >= 4 ? mlc_dsp_ld32(w) : mm_last_word(w, nt);
    *we = mlc_dsp_sxtb16(v);
    *wo = mlc_dsp_sxtb16_odd(v);
    if (f == 2) {
        *we = mlc_dsp_dbl16(*we);
        *wo = mlc_dsp_dbl16(*wo);
    }
}

/*
 * 1x1, stride 1, no padding, at most 8 input channels a group (e.g. MobileNet's first pointwise layer,
 * 8 -> 16 channels at 48 x 48): the six-pixel tiles spent most of their instructions per channel outside
 * the few multiply blocks (22 an output for 8 taps). Here chunks of PWN_CHUNK pixels: their columns once,
 * then per output channel the weights stay in registers over the chunk (pwn_pass) and the accumulators
 * requantize in one call (dw_lines_store: doubled weights and start on the usual channel, as the depthwise
 * passes). About 11 instructions an output for 8 taps.
 */
void mlc_dsp_conv_pw_narrow(const conv_t *c, const int8_t *x, int8_t *y)
{
    const mlc_conv2d_s8_params_t *p = c->p;
    const int32_t npix = c->plane_out, cig = c->cig, nbb = (cig + 3) / 4;
    const int no_clamp = c->lo4 == 0x80808080u && c->hi4 == 0x7F7F7F7Fu;
    uint32_t cols[PWN_CHUNK * 4];
    int32_t acc[PWN_CHUNK];
    int8_t zrow[PWN_CHUNK];
    const int8_t *rows[8];
    pwn_ch_t pc[PWN_CH];
    int32_t n, g, k, k0, p0, ch;
    memset(zrow, c->zpad, sizeof zrow);
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->groups; ++g) {
            const int8_t *const xg = x + (n * p->c_in + g * cig) * c->plane_in;
            for (k0 = 0; k0 < c->cog; k0 += PWN_CH) { /* PWN_CH output channels prepared once for every chunk */
                const int32_t kn = c->cog - k0 < PWN_CH ? c->cog - k0 : PWN_CH;
                for (k = 0; k < kn; ++k) {
                    const int32_t oc = g * c->cog + k0 + k, b = c->bias != NULL ? c->bias[oc] : 0;
                    const int8_t *const w = c->w + oc * cig;
                    pwn_ch_t *const q = &pc[k];
                    int32_t f;
                    mlc_dsp_rq_prepare(&q->rq, mlc_qm_mult(c->qmult[oc]), mlc_qm_shift(c->qmult[oc]),
                                       p->y_zero_point, b, cig);
                    f = dw_rq_take_doubling(&q->rq, no_clamp);
                    q->we1 = 0;
                    q->wo1 = 0;
                    pwn_weights(w, cig < 4 ? cig : 4, f, &q->we0, &q->wo0);
                    if (nbb == 2) pwn_weights(w + 4, cig - 4, f, &q->we1, &q->wo1);
                    /* f b fits: the prepared form's bound keeps |b| + the products below 2^30 */
                    q->s = (int32_t)((uint32_t)f * (uint32_t)b);
                }
                for (p0 = 0; p0 < npix; p0 += PWN_CHUNK) {
                    const int32_t cnt = npix - p0 < PWN_CHUNK ? npix - p0 : PWN_CHUNK, cnt4 = 4 * ((cnt + 3) / 4);
                    for (ch = 0; ch < 4 * nbb; ++ch) rows[ch] = ch < cig ? xg + ch * c->plane_in + p0 : zrow;
                    pwn_pack(rows, nbb, cnt, c->nzp2, cols);
                    memset(cols + 2 * nbb * cnt, 0, (size_t)(8 * nbb * (cnt4 - cnt))); /* computed, never stored */
                    for (k = 0; k < kn; ++k) {
                        const pwn_ch_t *const q = &pc[k];
                        int8_t *const yo = y + (n * p->c_out + g * c->cog + k0 + k) * c->plane_out + p0;
                        pwn_pass(cols, nbb, q->we0, q->wo0, q->we1, q->wo1, q->s, acc, cnt4);
                        if (dw_rq_doubled(&q->rq)) {
                            dw_rq_lines(acc, 0, 1, cnt, q->rq.mult, q->rq.add, q->rq.rsh, yo, 1, 0, c->notie);
                        } else {
                            dw_lines_store_call(acc, 0, 1, cnt, &q->rq, c, yo, 1, 0);
                        }
                    }
                }
            }
        }
    }
}
#endif

