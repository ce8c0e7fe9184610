/* k_sum.c: floating-point sums added in exactly PyTorch's order, so that sum() and mean() agree
 * with it to the last bit (x.sum().item() prints 17 digits). PyTorch 1.13's cascade_sum
 * (aten/src/ATen/native/cpu/SumKernel.cpp) walks the reduction the way TensorIterator orders it
 * (reduced dims fastest, then coalesced) and hands 2-d blocks to a loop that picks one of four
 * summation schemes. Each scheme is a "multi-row sum": a 4-level cascade of accumulators that
 * bounds the rounding error, over vectors of 8 floats or 4 doubles (AVX2) or over scalars.
 * The reference runs single-threaded here (at::get_num_threads() == 1), so this does too. */
#include "kernels.h"
#include <string.h>

#define NLEVELS 4 /* cascade levels */
#define NROWS   4 /* rows summed side by side (PyTorch's ilp_factor and outer nrows) */
#define MAXW    8 /* widest vector, in elements */

/* c10's CeilLog2, as multi_row_sum uses it to size the cascade levels. */
static int64_t ceil_log2(int64_t x)
{
    if (x <= 2)
        return 1;
    return 64 - __builtin_clzll((unsigned long long)(x - 1));
}

/* The element type decides the rounding of every addition; the macros below instantiate the
 * same algorithm for float and double with T as the accumulator type. */
#define SUM_KERNELS(SFX, T, W)                                                                \
    /* multi_row_sum: rows r = 0..size-1 of nrows "columns" of w lanes each; element (r, k,   \
     * lane) is at in + r * row_stride + k * col_stride + lane * lane_stride. Returns the     \
     * NROWS x w partial sums in res. */                                                      \
    static void multi_row_sum_##SFX(const char *in, int64_t row_stride, int64_t col_stride,   \
                                    int64_t lane_stride, int nrows, int w, int64_t size,      \
                                    T res[NROWS][MAXW])                                       \
    {                                                                                         \
        T acc[NLEVELS][NROWS][MAXW];                                                          \
        memset(acc, 0, sizeof acc);                                                           \
        int64_t power = ceil_log2(size) / NLEVELS;                                            \
        if (power < 4)                                                                        \
            power = 4;                                                                        \
        int64_t step = (int64_t)1 << power, mask = step - 1;                                  \
        int64_t i = 0;                                                                        \
        while (i + step <= size) {                                                            \
            for (int64_t j = 0; j < step; j++, i++)                                           \
                for (int k = 0; k < nrows; k++)                                               \
                    for (int l = 0; l < w; l++)                                               \
                        acc[0][k][l] += *(const T *)(in + i * row_stride + k * col_stride +   \
                                                     l * lane_stride);                        \
            for (int j = 1; j < NLEVELS; j++) {                                               \
                for (int k = 0; k < nrows; k++)                                               \
                    for (int l = 0; l < w; l++) {                                             \
                        acc[j][k][l] += acc[j - 1][k][l];                                     \
                        acc[j - 1][k][l] = 0;                                                 \
                    }                                                                         \
                if ((i & (mask << (j * power))) != 0)                                         \
                    break;                                                                    \
            }                                                                                 \
        }                                                                                     \
        for (; i < size; i++)                                                                 \
            for (int k = 0; k < nrows; k++)                                                   \
                for (int l = 0; l < w; l++)                                                   \
                    acc[0][k][l] +=                                                           \
                        *(const T *)(in + i * row_stride + k * col_stride + l * lane_stride); \
        for (int j = 1; j < NLEVELS; j++)                                                     \
            for (int k = 0; k < nrows; k++)                                                   \
                for (int l = 0; l < w; l++)                                                   \
                    acc[0][k][l] += acc[j][k][l];                                             \
        memcpy(res, acc[0], sizeof acc[0]);                                                   \
    }                                                                                         \
                                                                                              \
    /* multi_row_sum when the NROWS x W lanes of a row are W * NROWS consecutive elements    \
     * (contiguous rows of vectors): the same additions, in a loop the compiler vectorises.  \
     * This is the hot path of every contiguous sum. */                                       \
    TN_KERNEL static void block_sum_##SFX(const char *in, int64_t row_stride, int64_t size,   \
                                          T res[NROWS][MAXW])                                 \
    {                                                                                         \
        T acc[NLEVELS][NROWS * W];                                                            \
        memset(acc, 0, sizeof acc);                                                           \
        int64_t power = ceil_log2(size) / NLEVELS;                                            \
        if (power < 4)                                                                        \
            power = 4;                                                                        \
        int64_t step = (int64_t)1 << power, mask = step - 1;                                  \
        int64_t i = 0;                                                                        \
        while (i + step <= size) {                                                            \
            for (int64_t e = i + step; i < e; i++) {                                          \
                const T *x = (const T *)(in + i * row_stride);                                \
                for (int m = 0; m < NROWS * W; m++)                                           \
                    acc[0][m] += x[m];                                                        \
            }                                                                                 \
            for (int j = 1; j < NLEVELS; j++) {                                               \
                for (int m = 0; m < NROWS * W; m++) {                                         \
                    acc[j][m] += acc[j - 1][m];                                               \
                    acc[j - 1][m] = 0;                                                        \
                }                                                                             \
                if ((i & (mask << (j * power))) != 0)                                         \
                    break;                                                                    \
            }                                                                                 \
        }                                                                                     \
        for (; i < size; i++) {                                                               \
            const T *x = (const T *)(in + i * row_stride);                                    \
            for (int m = 0; m < NROWS * W; m++)                                               \
                acc[0][m] += x[m];                                                            \
        }                                                                                     \
        for (int j = 1; j < NLEVELS; j++)                                                     \
            for (int m = 0; m < NROWS * W; m++)                                               \
                acc[0][m] += acc[j][m];                                                       \
        for (int k = 0; k < NROWS; k++)                                                       \
            for (int l = 0; l < W; l++)                                                       \
                res[k][l] = acc[0][k * W + l];                                                \
    }                                                                                         \
                                                                                              \
    /* row_sum: size "elements" of w lanes, element i at in + i * stride: groups of NROWS in  \
     * a multi-row sum, the leftovers into partial 0, then the partials added in order. */    \
    static void row_sum_##SFX(const char *in, int64_t stride, int64_t lane_stride, int w,     \
                              int64_t size, T out[MAXW])                                      \
    {                                                                                         \
        T part[NROWS][MAXW];                                                                  \
        int64_t n_ilp = size / NROWS;                                                         \
        if (n_ilp < 16) { /* shorter than one cascade step: four plain running sums */        \
            for (int l = 0; l < w; l++) {                                                     \
                const char *p = in + l * lane_stride;                                         \
                T q[NROWS] = {0};                                                             \
                for (int64_t i = 0; i < n_ilp * NROWS; i++)                                   \
                    q[i % NROWS] += *(const T *)(p + i * stride);                             \
                for (int64_t i = n_ilp * NROWS; i < size; i++)                                \
                    q[0] += *(const T *)(p + i * stride);                                     \
                out[l] = ((q[0] + q[1]) + q[2]) + q[3];                                       \
            }                                                                                 \
            return;                                                                           \
        }                                                                                     \
        if (w == W && lane_stride == sizeof(T) && stride == W * (int64_t)sizeof(T))           \
            block_sum_##SFX(in, stride * NROWS, n_ilp, part);                                 \
        else                                                                                  \
            multi_row_sum_##SFX(in, stride * NROWS, stride, lane_stride, NROWS, w, n_ilp,     \
                                part);                                                        \
        for (int64_t i = n_ilp * NROWS; i < size; i++)                                        \
            for (int l = 0; l < w; l++)                                                       \
                part[0][l] += *(const T *)(in + i * stride + l * lane_stride);                \
        for (int k = 1; k < NROWS; k++)                                                       \
            for (int l = 0; l < w; l++)                                                       \
                part[0][l] += part[k][l];                                                     \
        memcpy(out, part[0], sizeof(T) * (size_t)w);                                          \
    }                                                                                         \
                                                                                              \
    /* The 2-d loop of cascade_sum: out[j * out_s1] += the sum over i of in[i*s0 + j*s1]. */  \
    static void loop2d_##SFX(char *out, int64_t out_s1, const char *in, int64_t s0,           \
                             int64_t s1, int64_t size0, int64_t size1)                        \
    {                                                                                         \
        const int64_t es = sizeof(T);                                                         \
        T r[MAXW], sums[NROWS][MAXW];                                                         \
        if (s0 == es && size0 >= W) { /* contiguous inner reduction */                        \
            int64_t nvec = size0 / W;                                                         \
            for (int64_t j = 0; j < size1; j++) {                                             \
                const char *row = in + j * s1;                                                \
                row_sum_##SFX(row, W * es, es, W, nvec, r);                                   \
                T acc = 0;                                                                    \
                for (int64_t k = nvec * W; k < size0; k++)                                    \
                    acc += *(const T *)(row + k * es);                                        \
                for (int l = 0; l < W; l++)                                                   \
                    acc += r[l];                                                              \
                *(T *)(out + j * out_s1) += acc;                                              \
            }                                                                                 \
        } else if (s1 == es && size1 >= W) { /* contiguous outer reduction */                 \
            int64_t j = 0;                                                                    \
            for (; j + NROWS * W <= size1; j += NROWS * W) {                                  \
                block_sum_##SFX(in + j * es, s0, size0, sums);                                \
                for (int k = 0; k < NROWS; k++)                                               \
                    for (int l = 0; l < W; l++)                                               \
                        *(T *)(out + (j + k * W + l) * out_s1) += sums[k][l];                 \
            }                                                                                 \
            for (; j + W <= size1; j += W) {                                                  \
                row_sum_##SFX(in + j * es, s0, es, W, size0, r);                              \
                for (int l = 0; l < W; l++)                                                   \
                    *(T *)(out + (j + l) * out_s1) += r[l];                                   \
            }                                                                                 \
            for (; j < size1; j++) {                                                          \
                row_sum_##SFX(in + j * es, s0, 0, 1, size0, r);                               \
                *(T *)(out + j * out_s1) += r[0];                                             \
            }                                                                                 \
        } else if (s0 < s1) { /* strided inner reduction */                                   \
            for (int64_t j = 0; j < size1; j++) {                                             \
                row_sum_##SFX(in + j * s1, s0, 0, 1, size0, r);                               \
                *(T *)(out + j * out_s1) += r[0];                                             \
            }                                                                                 \
        } else { /* strided outer reduction */                                                \
            int64_t j = 0;                                                                    \
            for (; j + NROWS - 1 < size1; j += NROWS) {                                       \
                multi_row_sum_##SFX(in + j * s1, s0, s1, 0, NROWS, 1, size0, sums);           \
                for (int k = 0; k < NROWS; k++)                                               \
                    *(T *)(out + (j + k) * out_s1) += sums[k][0];                             \
            }                                                                                 \
            for (; j < size1; j++) {                                                          \
                row_sum_##SFX(in + j * s1, s0, 0, 1, size0, r);                               \
                *(T *)(out + j * out_s1) += r[0];                                             \
            }                                                                                 \
        }                                                                                     \
    }

SUM_KERNELS(f32, float, 8)
SUM_KERNELS(f64, double, 4)

/* ----------------------------------------------------- iteration order */
/* TensorIterator's reorder_dimensions for a reduction: should dim a go after (be slower than)
 * dim b? Reduced dims (output stride 0) go first; then the output's strides decide, then the
 * input's; equal strides put the smaller dim first. */
static int should_swap(const KSumDims *d, int a, int b)
{
    const int64_t *st[2] = {d->out_strides, d->in_strides};
    for (int k = 0; k < 2; k++) {
        int64_t s0 = st[k][a], s1 = st[k][b];
        if (k == 0 && (s0 == 0) != (s1 == 0))
            return s1 == 0 ? 1 : -1;
        if (s0 == 0 || s1 == 0)
            continue;
        if (s0 < s1)
            return -1;
        if (s0 > s1)
            return 1;
        if (d->sizes[a] > d->sizes[b])
            return 1;
    }
    return 0;
}

/* Orders the dims fastest first and merges those that walk memory as one, for both operands. */
static int order_dims(const KSumDims *d, int64_t *sz, int64_t *is, int64_t *os)
{
    int perm[KSUM_MAX_DIMS], n = d->ndim;
    for (int i = 0; i < n; i++)
        perm[i] = n - 1 - i;
    for (int i = 1; i < n; i++)
        for (int d0 = i - 1, d1 = i; d0 >= 0; d1 = d0, d0--) {
            int c = should_swap(d, perm[d0], perm[d1]);
            if (c > 0) {
                int t = perm[d0];
                perm[d0] = perm[d1];
                perm[d1] = t;
            } else if (c < 0) {
                break;
            }
        }
    for (int i = 0; i < n; i++) {
        sz[i] = d->sizes[perm[i]];
        is[i] = d->in_strides[perm[i]];
        os[i] = d->out_strides[perm[i]];
    }
    if (n == 0)
        return 0;
    int prev = 0;
    for (int i = 1; i < n; i++) {
        bool merge = sz[prev] == 1 || sz[i] == 1 ||
                     (is[prev] * sz[prev] == is[i] && os[prev] * sz[prev] == os[i]);
        if (merge) {
            if (sz[prev] == 1) {
                is[prev] = is[i];
                os[prev] = os[i];
            }
            sz[prev] *= sz[i];
        } else {
            prev++;
            sz[prev] = sz[i];
            is[prev] = is[i];
            os[prev] = os[i];
        }
    }
    return prev + 1;
}

void ksum_run(const KSumDims *d, char *out, const char *in, bool f64)
{
    int64_t sz[KSUM_MAX_DIMS], is[KSUM_MAX_DIMS], os[KSUM_MAX_DIMS];
    int n = order_dims(d, sz, is, os);
    for (int i = 0; i < n; i++)
        if (sz[i] == 0)
            return;
    int64_t size0 = n > 0 ? sz[0] : 1, size1 = n > 1 ? sz[1] : 1;
    int64_t is0 = n > 0 ? is[0] : 0, is1 = n > 1 ? is[1] : 0;
    int64_t os0 = n > 0 ? os[0] : 0, os1 = n > 1 ? os[1] : 0;
    if (os0 != 0 && os1 == 0) { /* cascade_sum moves the reduction first */
        int64_t t;
        t = size0, size0 = size1, size1 = t;
        t = is0, is0 = is1, is1 = t;
        t = os0, os0 = os1, os1 = t;
    }
    int64_t idx[KSUM_MAX_DIMS] = {0};
    for (;;) {
        const char *ip = in;
        char *op = out;
        for (int k = 2; k < n; k++) {
            ip += idx[k] * is[k];
            op += idx[k] * os[k];
        }
        if (os0 != 0) { /* nothing reduced here: an elementwise add */
            for (int64_t j = 0; j < size1; j++)
                for (int64_t i = 0; i < size0; i++) {
                    if (f64)
                        *(double *)(op + i * os0 + j * os1) +=
                            *(const double *)(ip + i * is0 + j * is1);
                    else
                        *(float *)(op + i * os0 + j * os1) +=
                            *(const float *)(ip + i * is0 + j * is1);
                }
        } else if (f64) {
            loop2d_f64(op, os1, ip, is0, is1, size0, size1);
        } else {
            loop2d_f32(op, os1, ip, is0, is1, size0, size1);
        }
        int k = 2;
        for (; k < n; k++) {
            if (++idx[k] < sz[k])
                break;
            idx[k] = 0;
        }
        if (k >= n)
            return;
    }
}

float ksum_flat_f32(const float *x, int64_t n)
{
    float out = 0;
    loop2d_f32((char *)&out, 0, (const char *)x, sizeof(float), 0, n, 1);
    return out;
}

double ksum_flat_f64(const double *x, int64_t n)
{
    double out = 0;
    loop2d_f64((char *)&out, 0, (const char *)x, sizeof(double), 0, n, 1);
    return out;
}
