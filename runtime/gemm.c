/* gemm.c: C = alpha * A @ B + beta * C on strided matrices: BLIS for floats
 * (any strides it accepts, so transposed and sliced views need no copy), a plain
 * loop for integers. */
#include "gemm.h"
#include <blis.h>
#include <signal.h>
#include <stdlib.h>

/* Ctrl-C (src/exc.c). A product above PANEL_WORK multiply-adds runs as panels of rows of C,
 * and a press between two panels stops it: C is then incomplete and the flag stays set, so the
 * callers (bmm_into, einsum's bmm) see it, drop the result and raise KeyboardInterrupt. */
extern volatile sig_atomic_t tn_interrupted;
#define PANEL_WORK ((double)(1 << 30)) /* ~30 ms; each panel repacks B, so not smaller */

/* Rows of C per panel for an (m, n, k) product: all of them when the product is small. */
static int64_t panel_rows(int64_t m, int64_t n, int64_t k)
{
    double row = (double)n * (double)(k ? k : 1);
    if ((double)m * row <= PANEL_WORK)
        return m;
    int64_t r = (int64_t)(PANEL_WORK / row);
    return r < 1 ? 1 : r;
}

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

/* BLIS runs single-threaded unless told otherwise. Products too small to amortise waking more
 * threads (under about 2 MFLOP) always stay on one. Larger ones use BLIS_NUM_THREADS threads
 * when that is set, else one: on the 2-vCPU machine tn is tuned on, a second BLIS thread made
 * 1024x1024 products 2-3x slower (the two vCPUs appear to share one core's FMA units, and
 * every BLIS barrier waits for the other vCPU), while PyTorch's BLIS call runs on one.
 * (With the serial BLIS the Makefile prefers, BLIS_NUM_THREADS has no effect.) */
#define GEMM_THREAD_WORK (128 * 128 * 64)
static rntm_t gemm_rntm(int64_t m, int64_t n, int64_t k)
{
    static int threads;
    if (!threads) {
        const char *e = getenv("BLIS_NUM_THREADS");
        threads = e && atoi(e) > 0 ? atoi(e) : 1;
    }
    rntm_t r = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(m * n * k >= GEMM_THREAD_WORK ? threads : 1, &r);
    return r;
}

/* BLIS's context, fetched once: bli_sgemm_ex otherwise queries the global kernel structure on
 * every call. BLIS's own argument checks are switched off here, since gemm_f32/f64 pass only
 * what blis_strides accepted; on a Linear(16, 16) of one row those checks were 360 of the
 * 2,700 instructions BLIS spent. */
static cntx_t *gemm_cntx(void)
{
    static cntx_t *cntx;
    if (!cntx) {
        bli_error_checking_level_set(BLIS_NO_ERROR_CHECKING);
        cntx = bli_gks_query_cntx();
    }
    return cntx;
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
    int64_t step = panel_rows(m, n, k);
    rntm_t rn = gemm_rntm(step, n, k);
    for (int64_t r = 0; r < m && !(r && tn_interrupted); r += step) {
        int64_t h = m - r < step ? m - r : step;
        bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, h, n, k, &alpha, (float *)a + r * rsa,
                     rsa, csa, (float *)b, rsb, csb, &beta, c + r * rsc, rsc, csc, gemm_cntx(),
                     &rn);
    }
}

void gemm_f64(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa,
              int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
              int64_t rsc, int64_t csc)
{
    blis_strides(m, k, &rsa, &csa);
    blis_strides(k, n, &rsb, &csb);
    blis_strides(m, n, &rsc, &csc);
    int64_t step = panel_rows(m, n, k);
    rntm_t rn = gemm_rntm(step, n, k);
    for (int64_t r = 0; r < m && !(r && tn_interrupted); r += step) {
        int64_t h = m - r < step ? m - r : step;
        bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, h, n, k, &alpha, (double *)a + r * rsa,
                     rsa, csa, (double *)b, rsb, csb, &beta, c + r * rsc, rsc, csc, gemm_cntx(),
                     &rn);
    }
}

void gemm_i64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t *a, int64_t rsa,
              int64_t csa, const int64_t *b, int64_t rsb, int64_t csb, int64_t beta, int64_t *c,
              int64_t rsc, int64_t csc)
{
    int64_t step = panel_rows(m, n, k);
    for (int64_t i = 0; i < m && !(i && i % step == 0 && tn_interrupted); i++)
        for (int64_t j = 0; j < n; j++) {
            uint64_t s = 0;
            for (int64_t p = 0; p < k; p++)
                s += (uint64_t)a[i * rsa + p * csa] * (uint64_t)b[p * rsb + j * csb];
            int64_t *o = &c[i * rsc + j * csc];
            uint64_t prev = beta ? (uint64_t)beta * (uint64_t)*o : 0;
            *o = (int64_t)(prev + (uint64_t)alpha * s);
        }
}
