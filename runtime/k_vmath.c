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

/* Sleef's exp_u10 for double: the same reduction with a split ln 2 in double, and a degree-12
 * polynomial whose first ten terms are evaluated by Estrin's scheme. */
#define R_LN2 1.442695040888963407359924681001892137426645954152985934135449406931
#define L2U   .69314718055966295651160180568695068359375
#define L2L   .28235290563031577122588448175013436025525412068e-12
static const double EXP_C[10] = {
    +0.2081276378237164457e-8, +0.2511210703042288022e-7, +0.2755762628169491192e-6,
    +0.2755723402025388239e-5, +0.2480158687479686264e-4, +0.1984126989855865850e-3,
    +0.1388888888914497797e-2, +0.8333333333314938210e-2, +0.4166666666666602598e-1,
    +0.1666666666666669072e+0};

static inline double pow2i_d(int32_t q)
{
    uint64_t u = (uint64_t)(uint32_t)(q + 0x3ff) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

double kv_exp(double d)
{
    if (d != d)
        return d + d;
    if (d > 709.78271114955742909217217426)
        return INFINITY;
    if (d < -1000)
        return 0.0;
    double u = nearbyint(d * R_LN2);
    int32_t q = (int32_t)u;
    double s = fma(u, -L2U, d);
    s = fma(u, -L2L, s);
    double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
    const double *c = EXP_C;
    double hi = fma(s, c[0], c[1]);
    double p4a = fma(s2, fma(s, c[2], c[3]), fma(s, c[4], c[5]));
    double p4b = fma(s2, fma(s, c[6], c[7]), fma(s, c[8], c[9]));
    u = fma(s8, hi, fma(s4, p4a, p4b));
    u = fma(u, s, 0.5);
    u = fma(u, s, 1.0);
    u = fma(u, s, 1.0);
    int32_t h = q >> 1;
    return (u * pow2i_d(h)) * pow2i_d(q - h);
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

/* Sleef's log_u10 for double (scalar: PyTorch applies it to one sum per column): logf_u10's
 * scheme in double-double arithmetic with a degree-7 polynomial in x^2 (Estrin's scheme). */
typedef struct {
    double x, y;
} DD;

static inline DD dd_add2(double x, double y)
{
    double s = x + y, v = s - x;
    return (DD){s, (x - (s - v)) + (y - v)};
}

static inline DD dd_div(DD n, DD d)
{
    double t = 1.0 / d.x;
    double s = n.x * t;
    double u = fma(t, n.x, -s);
    double v = fma(-d.y, t, fma(-d.x, t, 1.0));
    return (DD){s, fma(s, v, fma(n.y, t, u))};
}

double kv_log(double d)
{
    bool tiny = d < DBL_MIN;
    if (tiny)
        d *= 18446744073709551616.0; /* 2^64 */
    double dq = d * (1.0 / 0.75);
    uint64_t b;
    memcpy(&b, &dq, sizeof b);
    int32_t e = (int32_t)((b >> 52) & 0x7ff) - 0x3ff;
    memcpy(&b, &d, sizeof b);
    b += (uint64_t)(int64_t)-e << 52;
    double m;
    memcpy(&m, &b, sizeof m);
    if (tiny)
        e -= 64;
    DD x = dd_div(dd_add2(-1.0, m), dd_add2(1.0, m));
    double x2 = x.x * x.x, x4 = x2 * x2, x8 = x4 * x4;
    double t = fma(x8, fma(x4, 0.1532076988502701353e+0, fma(x2, 0.1525629051003428716e+0, 0.1818605932937785996e+0)),
                   fma(x4, fma(x2, 0.2222214519839380009e+0, 0.2857142932794299317e+0),
                       fma(x2, 0.3999999999635251990e+0, 0.6666666666667333541e+0)));
    double ef = (double)e, l2h = 0.693147180559945286226764, l2l = 2.319046813846299558417771e-17;
    DD s = {l2h * ef, 0};
    s.y = fma(l2l, ef, fma(l2h, ef, -s.x));
    double sx = s.x + x.x * 2; /* s += 2x (|s| >= |2x|) */
    s.y = (((s.x - sx) + x.x * 2) + s.y) + x.y * 2;
    s.x = sx;
    double w = (x2 * x.x) * t; /* s += x^3 t */
    sx = s.x + w;
    s.y = ((s.x - sx) + w) + s.y;
    double r = sx + s.y;
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

/* kv_exp on 4 lanes. */
KV_AVX2 static inline __m256d exp4(__m256d d)
{
    __m256d u = _mm256_round_pd(_mm256_mul_pd(d, _mm256_set1_pd(R_LN2)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m128i q = _mm256_cvtpd_epi32(u);
    __m256d s = _mm256_fmadd_pd(u, _mm256_set1_pd(-L2U), d);
    s = _mm256_fmadd_pd(u, _mm256_set1_pd(-L2L), s);
    __m256d s2 = _mm256_mul_pd(s, s), s4 = _mm256_mul_pd(s2, s2), s8 = _mm256_mul_pd(s4, s4);
#define C(i) _mm256_set1_pd(EXP_C[i])
    __m256d hi = _mm256_fmadd_pd(s, C(0), C(1));
    __m256d p4a = _mm256_fmadd_pd(s2, _mm256_fmadd_pd(s, C(2), C(3)), _mm256_fmadd_pd(s, C(4), C(5)));
    __m256d p4b = _mm256_fmadd_pd(s2, _mm256_fmadd_pd(s, C(6), C(7)), _mm256_fmadd_pd(s, C(8), C(9)));
#undef C
    u = _mm256_fmadd_pd(s8, hi, _mm256_fmadd_pd(s4, p4a, p4b));
    u = _mm256_fmadd_pd(u, s, _mm256_set1_pd(0.5));
    u = _mm256_fmadd_pd(u, s, _mm256_set1_pd(1.0));
    u = _mm256_fmadd_pd(u, s, _mm256_set1_pd(1.0));
    __m128i h = _mm_srai_epi32(q, 1), bias = _mm_set1_epi32(0x3ff);
    __m256d p1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(h, bias)), 52));
    __m256d p2 = _mm256_castsi256_pd(
        _mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(_mm_sub_epi32(q, h), bias)), 52));
    u = _mm256_mul_pd(_mm256_mul_pd(u, p1), p2);
    u = _mm256_blendv_pd(u, _mm256_set1_pd(INFINITY),
                         _mm256_cmp_pd(d, _mm256_set1_pd(709.78271114955742909217217426), _CMP_GT_OQ));
    return _mm256_andnot_pd(_mm256_cmp_pd(d, _mm256_set1_pd(-1000), _CMP_LT_OQ), u);
}

KV_AVX2 static void exp_avx2(double *out, const double *in, int64_t n)
{
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, exp4(_mm256_loadu_pd(in + i)));
    for (; i < n; i++)
        out[i] = kv_exp(in[i]);
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

void kv_exp_n(double *out, const double *in, int64_t n)
{
#ifdef KV_X86
    if (have_avx2_fma()) {
        exp_avx2(out, in, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        out[i] = kv_exp(in[i]);
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

/* PyTorch's vectorised sigmoid: 1 / (1 + exp(0 - x)) with Sleef's exp. */
void kv_sigmoidf_n(float *out, const float *in, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = 0 - in[i];
    kv_expf_n(out, out, n);
    for (int64_t i = 0; i < n; i++)
        out[i] = 1 / (1 + out[i]);
}

void kv_sigmoid_n(double *out, const double *in, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = 0 - in[i];
    kv_exp_n(out, out, n);
    for (int64_t i = 0; i < n; i++)
        out[i] = 1 / (1 + out[i]);
}
