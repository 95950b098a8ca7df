/**
 * @file matmul_f32.c
 * @brief Batched strided matrix product with alpha/beta bias and fused activation (MatMul, Gemm).
 */
#include "index_util.h"
#include "mlc/kernels_f32.h"

int mlc_matmul_f32(const mlc_matmul_params_t *p, const float *a, const float *b, const float *bias,
                   float *y)
{
    mlc_it_t it;
    int32_t r, bi, m, n, k;
    const int32_t ask = p->a_stride_k, bsk = p->b_stride_k;
    if (p->m < 0 || p->n < 0 || p->k < 0) return MLC_EINVAL;
    /* The batch walk reuses the odometer; its innermost batch axis becomes a loop here. */
    if (mlc_it_init(&it, p->batch_rank, p->batch_dims, p->a_batch_strides, p->b_batch_strides, NULL, 1) !=
        MLC_OK) {
        return MLC_EINVAL;
    }
    for (r = 0; r < it.rows; ++r, mlc_it_next(&it)) {
        for (bi = 0; bi < it.inner; ++bi) {
            const float *ab = a + it.off[0] + bi * it.inner_stride[0];
            const float *bb = b + it.off[1] + bi * it.inner_stride[1];
            for (m = 0; m < p->m; ++m) {
                const float *am = ab + m * p->a_stride_m;
                for (n = 0; n < p->n; ++n) {
                    const float *pa = am, *pb = bb + n * p->b_stride_n;
                    float acc = 0.0f;
                    for (k = 0; k < p->k; ++k, pa += ask, pb += bsk) acc += *pa * *pb;
                    acc *= p->alpha;
                    if (bias != NULL) acc += p->beta * bias[m * p->bias_stride_m + n * p->bias_stride_n];
                    if (p->act.op != MLC_UNARY_IDENTITY) acc = mlc_unary_eval_f32(&p->act, acc);
                    *y++ = acc;
                }
            }
        }
    }
    return MLC_OK;
}
