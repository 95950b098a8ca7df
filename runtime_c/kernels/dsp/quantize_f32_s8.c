/**
 * @file quantize_f32_s8.c
 * @brief Float32 to int8 (ONNX QuantizeLinear, per tensor) for Cortex-M4/M7/M33 with a single-precision
 *        FPU; byte-identical to runtime_c/kernels/ref/quantize_f32_s8.c for every input (NaN, infinities,
 *        huge values, ties, negative zero, denormals).
 *
 * The division stays x / scale (x * (1 / scale) rounds differently). Round half to even of v = x / scale:
 *  - with an FPU, VCVTR.S32.F32 rounds by FPSCR's mode, round to nearest even after reset; mlc's firmware
 *    never changes the mode. It saturates +-inf and huge values to INT32_MAX / INT32_MIN and gives 0 for
 *    NaN; QADD then adds the zero point without wrapping and SSAT #8 saturates, so NaN gives the zero
 *    point and |v| > 256 the saturated value, exactly the reference's results;
 *  - without one (the host, a core without FPU), v is clamped to +-256, which decides the same outputs,
 *    and rounded by adding and subtracting 1.5 * 2^23: for |v| <= 2^22 the sum's last bit is a unit, so
 *    round to nearest even, the default mode of IEEE 754 arithmetic, rounds v itself.
 * About 5.8 instructions per element (Cortex-M4 under QEMU) instead of about 41.
 */
#include "dsp_util.h"
#include "mlc/kernels_s8.h"

#if MLC_DSP && defined(__ARM_FP) && (__ARM_FP & 4) && !defined(__SOFTFP__)
#define MLC_QUANT_VCVTR 1
#else
#define MLC_QUANT_VCVTR 0
#endif

/* round_half_even(v) + zp saturated to int8, NaN giving zp. */
static MLC_DSP_ALWAYS_INLINE int32_t quant_one(float v, int32_t zp)
{
#if MLC_QUANT_VCVTR
    float r;
    int32_t t;
    __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(v));
    memcpy(&t, &r, 4); /* VMOV to a core register */
    return __ssat(__qadd(t, zp), 8);
#else
    int32_t t;
    if (v != v) return zp; /* NaN */
    if (v > 256.0f) v = 256.0f;
    if (v < -256.0f) v = -256.0f;
    t = (int32_t)((v + 12582912.0f) - 12582912.0f); /* 1.5 * 2^23: exact integer after the subtraction */
    t += zp;
    return t < -128 ? -128 : t > 127 ? 127 : t;
#endif
}

#if MLC_QUANT_VCVTR && defined(__OPTIMIZE__)
/* n8 groups of eight elements as quant_one: one VLDM of eight floats, VMOVs of two, two word stores (47
   instructions a group; GCC's loop over quant_one took 31 for four: four VLDRs, four VMOVs) */
static void quant_groups8(const float *x, int8_t *y, int32_t n8, float scale, int32_t zp)
{
    const float *const end = x + 8 * n8;
    uint32_t a, b, c, d, e, f, g, h;
#define QG8_DIV(r) "vdiv.f32      " r ", " r ", %[sc]\n\t"
#define QG8_CVT(r) "vcvtr.s32.f32 " r ", " r "\n\t"
#define QG8_SAT(r) "qadd          %[" r "], %[" r "], %[zp]\n\tssat          %[" r "], #8, %[" r "]\n\t"
    __asm__ volatile("1:\n\t"
                     "vldmia        %[x]!, {s0-s7}\n\t" QG8_DIV("s0") QG8_DIV("s1") QG8_DIV("s2") QG8_DIV("s3")
                         QG8_DIV("s4") QG8_DIV("s5") QG8_DIV("s6") QG8_DIV("s7") QG8_CVT("s0") QG8_CVT("s1")
                             QG8_CVT("s2") QG8_CVT("s3") QG8_CVT("s4") QG8_CVT("s5") QG8_CVT("s6") QG8_CVT("s7")
                     "vmov          %[a], %[b], s0, s1\n\t"
                     "vmov          %[c], %[d], s2, s3\n\t"
                     "vmov          %[e], %[f], s4, s5\n\t"
                     "vmov          %[g], %[h], s6, s7\n\t" QG8_SAT("a") QG8_SAT("b") QG8_SAT("c") QG8_SAT("d")
                         QG8_SAT("e") QG8_SAT("f") QG8_SAT("g") QG8_SAT("h")
                     "bfi           %[a], %[b], #8, #8\n\t"
                     "bfi           %[a], %[c], #16, #8\n\t"
                     "bfi           %[a], %[d], #24, #8\n\t"
                     "bfi           %[e], %[f], #8, #8\n\t"
                     "bfi           %[e], %[g], #16, #8\n\t"
                     "bfi           %[e], %[h], #24, #8\n\t"
                     "str           %[a], [%[y]], #4\n\t"
                     "str           %[e], [%[y]], #4\n\t"
                     "cmp           %[x], %[end]\n\t"
                     "bne           1b"
                     : [x] "+r"(x), [y] "+r"(y), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d),
                       [e] "=&r"(e), [f] "=&r"(f), [g] "=&r"(g), [h] "=&r"(h)
                     : [sc] "t"(scale), [zp] "r"(zp), [end] "r"(end)
                     : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
#undef QG8_DIV
#undef QG8_CVT
#undef QG8_SAT
}
#define MLC_QUANT_GROUPS_ASM 1
#else
#define MLC_QUANT_GROUPS_ASM 0
#endif

int mlc_quantize_f32_s8(const mlc_quant_params_t *p, const float *x, int8_t *y)
{
    int32_t i;
    const int32_t n = p->size, zp = p->zero_point;
    const float scale = p->scale; /* a local: the byte stores below may alias *p */
    if (n < 0 || !(scale > 0.0f) || zp < -128 || zp > 127) return MLC_EINVAL;
#if MLC_QUANT_GROUPS_ASM
    i = 0;
    if (n >= 8) {
        quant_groups8(x, y, n / 8, scale, zp);
        i = 8 * (n / 8);
    }
#else
    i = 0;
#endif
    for (; i + 3 < n; i += 4) { /* four results packed into one word store (three BFIs, not three STRBs) */
        const int32_t r0 = quant_one(x[i] / scale, zp), r1 = quant_one(x[i + 1] / scale, zp);
        const int32_t r2 = quant_one(x[i + 2] / scale, zp), r3 = quant_one(x[i + 3] / scale, zp);
        mlc_dsp_st32(y + i, mlc_dsp_pack4(r0, r1, r2, r3));
    }
    for (; i < n; ++i) y[i] = (int8_t)quant_one(x[i] / scale, zp);
    return MLC_OK;
}
