/* gemm.c: C = alpha * A @ B + beta * C on strided matrices: BLIS for floats
 * (any strides it accepts, so transposed and sliced views need no copy), a plain
 * loop for integers. */
#include "gemm.h"
#include <blis.h>

/* Strides of a size-1 dim are arbitrary; give BLIS ones that describe a valid
 * layout, then test what BLIS accepts: positive strides, and either unit stride
 * with the other spanning the dim, or a non-overlapping general stride. */
static bool blis_strides(int64_t rows, int64_t cols, int64_t *rs, int64_t *cs)
{
    if (rows == 1 && cols == 1) {
        *rs = *cs = 1;
        return true;
    }
    if (rows == 1)
        *rs = *cs * cols;
    if (cols == 1)
        *cs = *rs * rows;
    if (*rs <= 0 || *cs <= 0)
        return false;
    if (*rs == 1)
        return *cs >= rows;
    if (*cs == 1)
        return *rs >= cols;
    return *rs >= *cs * cols || *cs >= *rs * rows;
}

bool gemm_strides_ok(int64_t rows, int64_t cols, int64_t rs, int64_t cs)
{
    return blis_strides(rows, cols, &rs, &cs);
}

void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t rsa,
              int64_t csa, const float *b, int64_t rsb, int64_t csb, float beta, float *c,
              int64_t rsc, int64_t csc)
{
    blis_strides(m, k, &rsa, &csa);
    blis_strides(k, n, &rsb, &csb);
    blis_strides(m, n, &rsc, &csc);
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &alpha, (float *)a, rsa, csa,
              (float *)b, rsb, csb, &beta, c, rsc, csc);
}

void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa,
              int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
              int64_t rsc, int64_t csc)
{
    blis_strides(m, k, &rsa, &csa);
    blis_strides(k, n, &rsb, &csb);
    blis_strides(m, n, &rsc, &csc);
    bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &alpha, (double *)a, rsa, csa,
              (double *)b, rsb, csb, &beta, c, rsc, csc);
}

void gemm_i64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t *a, int64_t rsa,
              int64_t csa, const int64_t *b, int64_t rsb, int64_t csb, int64_t beta, int64_t *c,
              int64_t rsc, int64_t csc)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            uint64_t s = 0;
            for (int64_t p = 0; p < k; p++)
                s += (uint64_t)a[i * rsa + p * csa] * (uint64_t)b[p * rsb + j * csb];
            int64_t *o = &c[i * rsc + j * csc];
            uint64_t prev = beta ? (uint64_t)beta * (uint64_t)*o : 0;
            *o = (int64_t)(prev + (uint64_t)alpha * s);
        }
}
