/* gemm.h: strided matrix multiply kernels (BLIS for floats, a loop for int64).
 * Strides are in elements; any may be used when gemm_strides_ok() says so. */
#ifndef TN_GEMM_H
#define TN_GEMM_H

#include <stdbool.h>
#include <stdint.h>

bool gemm_strides_ok(int64_t rows, int64_t cols, int64_t rs, int64_t cs);
void gemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t rsa,
              int64_t csa, const float *b, int64_t rsb, int64_t csb, float beta, float *c,
              int64_t rsc, int64_t csc);
void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa,
              int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
              int64_t rsc, int64_t csc);
void gemm_i64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t *a, int64_t rsa,
              int64_t csa, const int64_t *b, int64_t rsb, int64_t csb, int64_t beta, int64_t *c,
              int64_t rsc, int64_t csc);

#endif
