/* Test shim: array wrappers of the static inline functions of mlc/requant.h for ctypes. */
#include "mlc/requant.h"

void mlc_test_srdhm(const int32_t *a, const int32_t *b, int32_t *out, int32_t n);
void mlc_test_rdbpot(const int32_t *x, const int32_t *e, int32_t *out, int32_t n);
void mlc_test_requant(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n);
void mlc_test_requant_s8(const int32_t *x, const int32_t *m, const int32_t *s, const int32_t *zp,
                         const int32_t *lo, const int32_t *hi, int8_t *out, int32_t n);

void mlc_test_srdhm(const int32_t *a, const int32_t *b, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = mlc_srdhm(a[i], b[i]);
}

void mlc_test_rdbpot(const int32_t *x, const int32_t *e, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = mlc_rdbpot(x[i], e[i]);
}

void mlc_test_requant(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = mlc_requant(x[i], m[i], s[i]);
}

void mlc_test_requant_s8(const int32_t *x, const int32_t *m, const int32_t *s, const int32_t *zp,
                         const int32_t *lo, const int32_t *hi, int8_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) out[i] = mlc_requant_s8(x[i], m[i], s[i], zp[i], lo[i], hi[i]);
}
