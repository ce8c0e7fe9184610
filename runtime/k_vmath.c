/* k_vmath.c: float32 exp and log with the exact results of Sleef 3.5's expf_u10 and logf_u10,
 * the functions PyTorch 1.13's AVX2 kernels call, and the softmax rows built on them.
 *
 * PyTorch computes exp of a float tensor (every element, the tail of a row included),
 * softmax/log_softmax over the last dim, and the vectorised columns of softmax over other
 * dims with Sleef, while glibc's expf serves its scalar loops. Sleef's AVX2 build contracts
 * every multiply-add of its range reduction and polynomials into an FMA, so bit-identical
 * results need FMA here too. The AVX2+FMA path is chosen when the CPU has both, decided once;
 * the scalar versions do the same operations with fmaf() and give the same bits anywhere
 * (slowly where fmaf is emulated). The algorithm (ranges, constants, operation order) is
 * Sleef's; the code is ours. */
#include "kernels.h"
#include <float.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KV_X86 1
#endif

/* Sleef's split of ln 2 for the range reduction, and 1/ln 2. */
#define R_LN2F 1.442695040888963407359924681001892137426645954152985934135449406931f
#define L2UF   0.693145751953125f
#define L2LF   1.428606765330187045e-06f
/* exp's polynomial for e^s on [-ln2/2, ln2/2], highest degree first. */
#define EC5 0.000198527617612853646278381f
#define EC4 0.00139304355252534151077271f
#define EC3 0.00833336077630519866943359f
#define EC2 0.0416664853692054748535156f
#define EC1 0.166666671633720397949219f
#define EC0 0.5f

static inline float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* 2^q as a float for q in the normal exponent range. */
static inline float pow2i(int32_t q)
{
    return bits_float((uint32_t)(q + 0x7f) << 23);
}

float kv_expf(float d)
{
    if (d != d)
        return d + d; /* the same quiet NaN the vector code propagates */
    if (d < -104.0f)
        return 0.0f;
    if (d > 100.0f)
        return INFINITY;
    float qf = nearbyintf(d * R_LN2F); /* ties to even, as cvtps2dq */
    int32_t q = (int32_t)qf;
    float s = fmaf(qf, -L2UF, d);
    s = fmaf(qf, -L2LF, s);
    float u = EC5;
    u = fmaf(u, s, EC4);
    u = fmaf(u, s, EC3);
    u = fmaf(u, s, EC2);
    u = fmaf(u, s, EC1);
    u = fmaf(u, s, EC0);
    u = 1.0f + fmaf(s * s, u, s);
    /* ldexp in two halves, so that 2^q is never formed when it would overflow */
    int32_t h = q >> 1;
    return (u * pow2i(h)) * pow2i(q - h);
}

/* Sleef's float-float ("df") arithmetic used by logf_u10, FMA variants. */
typedef struct {
    float x, y;
} DF;

static inline DF df_add2_ff(float x, float y)
{
    float s = x + y, v = s - x;
    return (DF){s, (x - (s - v)) + (y - v)};
}

static inline DF df_add_dd(DF x, DF y) /* |x| >= |y| */
{
    float s = x.x + y.x;
    return (DF){s, (((x.x - s) + y.x) + x.y) + y.y};
}

static inline DF df_add_df(DF x, float y) /* |x| >= |y| */
{
    float s = x.x + y;
    return (DF){s, ((x.x - s) + y) + x.y};
}

static inline DF df_mul_df(DF x, float y)
{
    float s = x.x * y;
    return (DF){s, fmaf(x.y, y, fmaf(x.x, y, -s))};
}

static inline DF df_div(DF n, DF d)
{
    float t = 1.0f / d.x;
    float s = n.x * t;
    float u = fmaf(t, n.x, -s);
    float v = fmaf(-d.y, t, fmaf(-d.x, t, 1.0f));
    return (DF){s, fmaf(s, v, fmaf(n.y, t, u))};
}

float kv_logf(float d)
{
    bool tiny = d < FLT_MIN;
    if (tiny)
        d *= 18446744073709551616.0f; /* 2^64: subnormals become normal */
    int32_t e = (int32_t)((float_bits(d * (1.0f / 0.75f)) >> 23) & 0xff) - 0x7f;
    float m = bits_float(float_bits(d) + ((uint32_t)-e << 23)); /* d / 2^e, in [0.75, 1.5) */
    if (tiny)
        e -= 64;
    DF s = df_mul_df((DF){0.69314718246459960938f, -1.904654323148236017e-09f}, (float)e);
    DF x = df_div(df_add2_ff(-1.0f, m), df_add2_ff(1.0f, m));
    float x2 = x.x * x.x;
    float t = 0.3027294874e+0f;
    t = fmaf(t, x2, 0.3996108174e+0f);
    t = fmaf(t, x2, 0.6666694880e+0f);
    s = df_add_dd(s, (DF){x.x * 2.0f, x.y * 2.0f});
    s = df_add_df(s, (x2 * x.x) * t);
    float r = s.x + s.y;
    if (d == INFINITY)
        r = INFINITY;
    if (d < 0 || d != d)
        r = NAN;
    if (d == 0)
        r = -INFINITY;
    return r;
}

#ifdef KV_X86
#define KV_AVX2 __attribute__((target("avx2,fma")))

/* kv_expf on 8 lanes. */
KV_AVX2 static inline __m256 expf8(__m256 d)
{
    __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(d, _mm256_set1_ps(R_LN2F)));
    __m256 qf = _mm256_cvtepi32_ps(q);
    __m256 s = _mm256_fmadd_ps(qf, _mm256_set1_ps(-L2UF), d);
    s = _mm256_fmadd_ps(qf, _mm256_set1_ps(-L2LF), s);
    __m256 u = _mm256_set1_ps(EC5);
    u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(EC4));
    u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(EC3));
    u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(EC2));
    u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(EC1));
    u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(EC0));
    u = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_mul_ps(s, s), u, s));
    __m256i h = _mm256_srai_epi32(q, 1), bias = _mm256_set1_epi32(0x7f);
    __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, bias), 23));
    __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(q, h), bias), 23));
    u = _mm256_mul_ps(_mm256_mul_ps(u, p1), p2);
    u = _mm256_andnot_ps(_mm256_cmp_ps(d, _mm256_set1_ps(-104.0f), _CMP_LT_OQ), u);
    return _mm256_blendv_ps(u, _mm256_set1_ps(INFINITY),
                            _mm256_cmp_ps(_mm256_set1_ps(100.0f), d, _CMP_LT_OQ));
}

/* kv_logf on 8 lanes. */
KV_AVX2 static inline __m256 logf8(__m256 d)
{
    __m256 tiny = _mm256_cmp_ps(d, _mm256_set1_ps(FLT_MIN), _CMP_LT_OQ);
    d = _mm256_blendv_ps(d, _mm256_mul_ps(d, _mm256_set1_ps(18446744073709551616.0f)), tiny);
    __m256i bits = _mm256_castps_si256(_mm256_mul_ps(d, _mm256_set1_ps(1.0f / 0.75f)));
    __m256i e = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(0xff)),
                                 _mm256_set1_epi32(0x7f));
    __m256 m = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(d), _mm256_slli_epi32(e, 23)));
    e = _mm256_blendv_epi8(e, _mm256_sub_epi32(e, _mm256_set1_epi32(64)), _mm256_castps_si256(tiny));
    /* s = ln2 (as a float pair) * e */
    __m256 ef = _mm256_cvtepi32_ps(e), l2h = _mm256_set1_ps(0.69314718246459960938f);
    __m256 sx = _mm256_mul_ps(l2h, ef);
    __m256 sy = _mm256_fmadd_ps(_mm256_set1_ps(-1.904654323148236017e-09f), ef, _mm256_fmsub_ps(l2h, ef, sx));
    /* x = (m - 1) / (m + 1) as a float pair */
    __m256 one = _mm256_set1_ps(1.0f), mone = _mm256_set1_ps(-1.0f);
    __m256 nx = _mm256_add_ps(mone, m), v = _mm256_sub_ps(nx, mone);
    __m256 ny = _mm256_add_ps(_mm256_sub_ps(mone, _mm256_sub_ps(nx, v)), _mm256_sub_ps(m, v));
    __m256 dx = _mm256_add_ps(one, m);
    v = _mm256_sub_ps(dx, one);
    __m256 dy = _mm256_add_ps(_mm256_sub_ps(one, _mm256_sub_ps(dx, v)), _mm256_sub_ps(m, v));
    __m256 t = _mm256_div_ps(one, dx);
    __m256 qx = _mm256_mul_ps(nx, t);
    __m256 u = _mm256_fmsub_ps(t, nx, qx);
    v = _mm256_fnmadd_ps(dy, t, _mm256_fnmadd_ps(dx, t, one));
    __m256 qy = _mm256_fmadd_ps(qx, v, _mm256_fmadd_ps(ny, t, u));
    __m256 x2 = _mm256_mul_ps(qx, qx);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(0.3027294874e+0f), x2, _mm256_set1_ps(0.3996108174e+0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(0.6666694880e+0f));
    /* s += 2x, then s += x^3 p */
    __m256 qx2 = _mm256_mul_ps(qx, _mm256_set1_ps(2.0f)), qy2 = _mm256_mul_ps(qy, _mm256_set1_ps(2.0f));
    __m256 a = _mm256_add_ps(sx, qx2);
    sy = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(sx, a), qx2), sy), qy2);
    sx = a;
    __m256 w = _mm256_mul_ps(_mm256_mul_ps(x2, qx), p);
    a = _mm256_add_ps(sx, w);
    sy = _mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(sx, a), w), sy);
    __m256 r = _mm256_add_ps(a, sy);
    r = _mm256_blendv_ps(r, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(d, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ));
    __m256 bad = _mm256_or_ps(_mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_LT_OQ), _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
    r = _mm256_blendv_ps(r, _mm256_set1_ps(NAN), bad);
    return _mm256_blendv_ps(r, _mm256_set1_ps(-INFINITY), _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

KV_AVX2 static void logf_avx2(float *out, const float *in, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, logf8(_mm256_loadu_ps(in + i)));
    for (; i < n; i++)
        out[i] = kv_logf(in[i]);
}

KV_AVX2 static void expf_avx2(float *out, const float *in, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, expf8(_mm256_loadu_ps(in + i)));
    for (; i < n; i++)
        out[i] = kv_expf(in[i]);
}

static bool have_avx2_fma(void)
{
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return known;
}
#endif

void kv_expf_n(float *out, const float *in, int64_t n)
{
#ifdef KV_X86
    if (have_avx2_fma()) {
        expf_avx2(out, in, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        out[i] = kv_expf(in[i]);
}

void kv_logf_n(float *out, const float *in, int64_t n)
{
#ifdef KV_X86
    if (have_avx2_fma()) {
        logf_avx2(out, in, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        out[i] = kv_logf(in[i]);
}

/* ------------------------------------------------------------- softmax rows */
/* The sum of n >= 8 values as PyTorch's vec::reduce_all: eight lanes accumulated in order, the
 * tail added into the first lanes, then a fixed tree over the lanes. */
static float lane_tree(const float *a)
{
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* vec::maximum's NaN rule: a NaN anywhere makes the max NaN. */
static inline float max_nan(float m, float v)
{
    return v > m || v != v ? v : m;
}

/* Writes exp(x - m) (Sleef) for a row and returns its sum in reduce_all's order. */
static float exp_sum_row(const float *x, float *out, int64_t n, float m)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = kv_expf(x[i] - m);
    if (n < 8) {
        float s = out[0];
        for (int64_t i = 1; i < n; i++)
            s += out[i];
        return s;
    }
    float acc[8];
    memcpy(acc, out, sizeof acc);
    int64_t i = 8;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += out[i + j];
    for (int j = 0; i + j < n; j++)
        acc[j] += out[i + j];
    return lane_tree(acc);
}

#ifdef KV_X86
KV_AVX2 static float row_max_avx2(const float *x, int64_t n)
{
    if (n < 8) {
        float m = x[0];
        for (int64_t i = 1; i < n; i++)
            m = max_nan(m, x[i]);
        return m;
    }
    __m256 vm = _mm256_loadu_ps(x);
    int64_t i = 8;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        vm = _mm256_or_ps(_mm256_max_ps(vm, v), _mm256_cmp_ps(vm, v, _CMP_UNORD_Q));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vm);
    float m = lanes[0];
    for (int j = 1; j < 8; j++)
        m = max_nan(m, lanes[j]);
    for (; i < n; i++)
        m = max_nan(m, x[i]);
    return m;
}

KV_AVX2 static float exp_sum_row_avx2(const float *x, float *out, int64_t n, float m)
{
    if (n < 8)
        return exp_sum_row(x, out, n, m);
    __m256 vm = _mm256_set1_ps(m);
    __m256 acc = expf8(_mm256_sub_ps(_mm256_loadu_ps(x), vm));
    _mm256_storeu_ps(out, acc);
    int64_t i = 8;
    for (; i + 8 <= n; i += 8) {
        __m256 e = expf8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(out + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float a[8];
    _mm256_storeu_ps(a, acc);
    for (int j = 0; i + j < n; j++) {
        out[i + j] = kv_expf(x[i + j] - m);
        a[j] += out[i + j];
    }
    return lane_tree(a);
}

KV_AVX2 static void scale_row_avx2(float *out, int64_t n, float inv)
{
    __m256 v = _mm256_set1_ps(inv);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), v));
    for (; i < n; i++)
        out[i] *= inv;
}

KV_AVX2 static void log_row_avx2(const float *x, float *out, int64_t n, float m, float ls)
{
    __m256 vm = _mm256_set1_ps(m), vl = _mm256_set1_ps(ls);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vl));
    for (; i < n; i++)
        out[i] = (x[i] - m) - ls;
}
#endif

/* softmax or log_softmax of a contiguous row of n > 0 floats, as PyTorch's last-dim kernels:
 * the max (NaN wins), exp(x - max) with Sleef and its reduce_all sum, then out * (1 / sum),
 * or (x - max) - log(sum) with Sleef's log. log_softmax's exp values are written to out first
 * only as scratch. */
void kv_softmax_row(bool logsm, const float *x, float *out, int64_t n)
{
#ifdef KV_X86
    if (have_avx2_fma()) {
        float m = row_max_avx2(x, n);
        float s = exp_sum_row_avx2(x, out, n, m);
        if (logsm)
            log_row_avx2(x, out, n, m, kv_logf(s));
        else
            scale_row_avx2(out, n, 1 / s);
        return;
    }
#endif
    float m = x[0];
    for (int64_t i = 1; i < n; i++)
        m = max_nan(m, x[i]);
    float s = exp_sum_row(x, out, n, m);
    if (logsm) {
        float ls = kv_logf(s);
        for (int64_t i = 0; i < n; i++)
            out[i] = (x[i] - m) - ls;
    } else {
        float inv = 1 / s;
        for (int64_t i = 0; i < n; i++)
            out[i] *= inv;
    }
}

/* ---------------------------------------------------------- softmax columns */
/* softmax and log_softmax over a dim that is not the last, on columns [c0, c1) of one
 * contiguous (dim, inner) block. PyTorch 1.13 (_vec_softmax, _vec_logsoftmax), run on one thread
 * as it runs on this machine's single physical core, takes eight columns at a time with Sleef's
 * exp while eight remain in the row, and the last inner % 8 columns one by one with glibc's
 * expf. The rules per column:
 *   softmax, vector columns: max from x[0] keeping NaN; sum of exp(x - max) from 0; out = e / sum.
 *   softmax, scalar columns: the same with std::max (a NaN survives only as x[0]) and expf.
 *   log_softmax: max from -inf (vector columns keep NaN, scalar ones skip it), the float sum of
 *   exp(x - max) as above, Sleef's log of it for every column, out = (x - max) - log(sum).
 * A block walks the rows once per pass, so that each pass reads whole cache lines. */

/* Scalar columns of a block, with Sleef (vector semantics) or glibc (scalar semantics). */
static void cols_scalar(bool logsm, bool sleef, const float *x, float *out, int64_t dim, int64_t inner,
                        int64_t w)
{
    float m[KV_COLS], s[KV_COLS];
    for (int64_t c = 0; c < w; c++) {
        m[c] = logsm ? -INFINITY : x[c];
        s[c] = 0;
    }
    for (int64_t d = logsm ? 0 : 1; d < dim; d++) {
        const float *row = x + d * inner;
        for (int64_t c = 0; c < w; c++) {
            float v = row[c];
            m[c] = sleef ? max_nan(m[c], v) : logsm ? (v > m[c] ? v : m[c]) : (m[c] < v ? v : m[c]);
        }
    }
    for (int64_t d = 0; d < dim; d++) {
        const float *row = x + d * inner;
        for (int64_t c = 0; c < w; c++) {
            float e = sleef ? kv_expf(row[c] - m[c]) : expf(row[c] - m[c]);
            if (!logsm)
                out[d * inner + c] = e;
            s[c] += e;
        }
    }
    if (logsm)
        for (int64_t c = 0; c < w; c++)
            s[c] = kv_logf(s[c]);
    for (int64_t d = 0; d < dim; d++) {
        const float *row = x + d * inner;
        float *orow = out + d * inner;
        for (int64_t c = 0; c < w; c++)
            orow[c] = logsm ? (row[c] - m[c]) - s[c] : orow[c] / s[c];
    }
}

#ifdef KV_X86
/* The vector columns of a block (w a multiple of 8). */
KV_AVX2 static void cols_avx2(bool logsm, const float *x, float *out, int64_t dim, int64_t inner, int64_t w)
{
    float m[KV_COLS], s[KV_COLS];
    for (int64_t c = 0; c < w; c += 8) {
        _mm256_storeu_ps(m + c, logsm ? _mm256_set1_ps(-INFINITY) : _mm256_loadu_ps(x + c));
        _mm256_storeu_ps(s + c, _mm256_setzero_ps());
    }
    for (int64_t d = logsm ? 0 : 1; d < dim; d++) {
        const float *row = x + d * inner;
        for (int64_t c = 0; c < w; c += 8) {
            __m256 v = _mm256_loadu_ps(row + c), vm = _mm256_loadu_ps(m + c);
            vm = _mm256_or_ps(_mm256_max_ps(vm, v), _mm256_cmp_ps(vm, v, _CMP_UNORD_Q));
            _mm256_storeu_ps(m + c, vm);
        }
    }
    for (int64_t d = 0; d < dim; d++) {
        const float *row = x + d * inner;
        for (int64_t c = 0; c < w; c += 8) {
            __m256 e = expf8(_mm256_sub_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(m + c)));
            if (!logsm)
                _mm256_storeu_ps(out + d * inner + c, e);
            _mm256_storeu_ps(s + c, _mm256_add_ps(_mm256_loadu_ps(s + c), e));
        }
    }
    if (logsm)
        for (int64_t c = 0; c < w; c++)
            s[c] = kv_logf(s[c]);
    for (int64_t d = 0; d < dim; d++) {
        const float *row = x + d * inner;
        float *orow = out + d * inner;
        for (int64_t c = 0; c < w; c += 8) {
            __m256 vs = _mm256_loadu_ps(s + c), r;
            if (logsm)
                r = _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(m + c)), vs);
            else
                r = _mm256_div_ps(_mm256_loadu_ps(orow + c), vs);
            _mm256_storeu_ps(orow + c, r);
        }
    }
}
#endif

void kv_softmax_cols(bool logsm, const float *x, float *out, int64_t dim, int64_t inner, int64_t c0,
                     int64_t c1)
{
    int64_t vec_end = inner - inner % 8;
    while (c0 < c1) {
        int64_t w = c1 - c0 < KV_COLS ? c1 - c0 : KV_COLS;
        bool sleef = c0 < vec_end;
        if (sleef && c0 + w > vec_end)
            w = vec_end - c0; /* a multiple of 8: c0 and vec_end both are */
#ifdef KV_X86
        if (sleef && w % 8 == 0 && have_avx2_fma())
            cols_avx2(logsm, x + c0, out + c0, dim, inner, w);
        else
#endif
            cols_scalar(logsm, sleef, x + c0, out + c0, dim, inner, w);
        c0 += w;
    }
}
