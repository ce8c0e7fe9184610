/* random.c - PyTorch 1.13 compatible CPU random numbers: mt19937 engine and distribution fills. */
#include "random.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bit-exactness depends on every float operation being rounded on its own
 * unless we ask for fma() explicitly, whatever -std / -march the build uses
 * (GCC in gnu11 mode with FMA hardware would fuse a*b+c even across
 * statements). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ======================================================================== */
/* mt19937 engine (at::mt19937)                                             */
/* ======================================================================== */

enum { MT_M = 397 };
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu

static uint32_t mt_twist(uint32_t u, uint32_t v)
{
    uint32_t mixed = (u & MT_UPPER) | (v & MT_LOWER);
    return (mixed >> 1) ^ ((v & 1u) ? MT_MATRIX_A : 0u);
}

/* Regenerates all 624 words (same recurrence as the reference mt19937). */
static void mt_next_state(TnRng *g)
{
    uint32_t *s = g->state;
    int j;
    for (j = 0; j < RNG_MT_N - MT_M; j++)
        s[j] = s[j + MT_M] ^ mt_twist(s[j], s[j + 1]);
    for (; j < RNG_MT_N - 1; j++)
        s[j] = s[j + MT_M - RNG_MT_N] ^ mt_twist(s[j], s[j + 1]);
    s[RNG_MT_N - 1] = s[MT_M - 1] ^ mt_twist(s[RNG_MT_N - 1], s[0]);
    g->left = RNG_MT_N;
    g->next = 0;
}

uint32_t rng_u32(TnRng *g)
{
    /* PyTorch decrements `left` first and twists when it reaches zero, so a
     * freshly seeded engine (left = 1) twists on its very first draw. */
    if (--g->left == 0)
        mt_next_state(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t rng_u64(TnRng *g)
{
    uint64_t hi = rng_u32(g);
    uint64_t lo = rng_u32(g);
    return (hi << 32) | lo;
}

void rng_manual_seed(TnRng *g, uint64_t seed)
{
    g->seed = seed;
    g->state[0] = (uint32_t)(seed & 0xffffffffu);
    for (uint32_t j = 1; j < RNG_MT_N; j++) {
        uint32_t prev = g->state[j - 1];
        g->state[j] = 1812433253u * (prev ^ (prev >> 30)) + j;
    }
    g->left = 1;
    g->next = 0;
    g->has_normal_f64 = false;
    g->normal_f64 = 0.0;
    g->has_normal_f32 = false;
    g->normal_f32 = 0.0f;
}

uint64_t rng_initial_seed(const TnRng *g) { return g->seed; }

TnRng *rng_default(void)
{
    static TnRng def;
    static bool ready = false;
    if (!ready) {
        rng_manual_seed(&def, RNG_DEFAULT_SEED);
        ready = true;
    }
    return &def;
}

/* ---- torch.get_rng_state() byte layout (CPUGeneratorImplState) ----------
 *   0  u64 the_initial_seed      8  i32 left        12 i32 seeded
 *  16  u64 next                 24  u64 state[624]
 * 5016 f64 normal_x (0)       5024 f64 normal_y (cached double sample)
 * 5032 f64 normal_rho (0)     5040 i32 normal_is_valid  (+4 padding)
 * 5048 f32 next_float_normal  5052 u8 float valid       (+3 padding) */
enum {
    ST_SEED = 0, ST_LEFT = 8, ST_SEEDED = 12, ST_NEXT = 16, ST_WORDS = 24,
    ST_NORMAL_Y = 5024, ST_NORMAL_VALID = 5040, ST_FLOAT = 5048, ST_FLOAT_VALID = 5052
};

static void put_bytes(uint8_t *buf, size_t off, const void *src, size_t n) { memcpy(buf + off, src, n); }
static void get_bytes(const uint8_t *buf, size_t off, void *dst, size_t n) { memcpy(dst, buf + off, n); }

void rng_get_state(const TnRng *g, uint8_t out[RNG_STATE_BYTES])
{
    memset(out, 0, RNG_STATE_BYTES);
    int32_t left = g->left, seeded = 1, valid = g->has_normal_f64;
    uint64_t next = g->next;
    put_bytes(out, ST_SEED, &g->seed, 8);
    put_bytes(out, ST_LEFT, &left, 4);
    put_bytes(out, ST_SEEDED, &seeded, 4);
    put_bytes(out, ST_NEXT, &next, 8);
    for (int i = 0; i < RNG_MT_N; i++) {
        uint64_t w = g->state[i];
        put_bytes(out, ST_WORDS + 8 * (size_t)i, &w, 8);
    }
    if (g->has_normal_f64)
        put_bytes(out, ST_NORMAL_Y, &g->normal_f64, 8);
    put_bytes(out, ST_NORMAL_VALID, &valid, 4);
    if (g->has_normal_f32) {
        put_bytes(out, ST_FLOAT, &g->normal_f32, 4);
        out[ST_FLOAT_VALID] = 1;
    }
}

bool rng_set_state(TnRng *g, const uint8_t *bytes, size_t n)
{
    if (n != RNG_STATE_BYTES)
        return false;
    int32_t left, seeded, valid;
    uint64_t next;
    get_bytes(bytes, ST_LEFT, &left, 4);
    get_bytes(bytes, ST_SEEDED, &seeded, 4);
    get_bytes(bytes, ST_NEXT, &next, 8);
    /* at::mt19937::is_valid(); `next` is narrowed to 32 bits first, as in PyTorch. */
    if (!seeded || left <= 0 || left > RNG_MT_N || (uint32_t)next > RNG_MT_N)
        return false;
    TnRng t;
    get_bytes(bytes, ST_SEED, &t.seed, 8);
    t.left = left;
    t.next = (uint32_t)next;
    for (int i = 0; i < RNG_MT_N; i++) {
        uint64_t w;
        get_bytes(bytes, ST_WORDS + 8 * (size_t)i, &w, 8);
        t.state[i] = (uint32_t)w;
    }
    get_bytes(bytes, ST_NORMAL_VALID, &valid, 4);
    t.has_normal_f64 = valid != 0;
    t.normal_f64 = 0.0;
    if (t.has_normal_f64)
        get_bytes(bytes, ST_NORMAL_Y, &t.normal_f64, 8);
    t.has_normal_f32 = bytes[ST_FLOAT_VALID] != 0;
    t.normal_f32 = 0.0f;
    if (t.has_normal_f32)
        get_bytes(bytes, ST_FLOAT, &t.normal_f32, 4);
    *g = t;
    return true;
}

/* ======================================================================== */
/* CPU capability flavour                                                   */
/* ======================================================================== */

static RngCpuCapability cpu_cap = RNG_CPU_AVX2;

void rng_set_cpu_capability(RngCpuCapability cap) { cpu_cap = cap; }
RngCpuCapability rng_cpu_capability(void) { return cpu_cap; }

bool rng_parse_cpu_capability(const char *name, RngCpuCapability *out)
{
    static const struct { const char *name; RngCpuCapability cap; } table[] = {
        {"default", RNG_CPU_DEFAULT}, {"avx2", RNG_CPU_AVX2}, {"avx512", RNG_CPU_AVX512}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *a = name, *b = table[i].name;
        while (*a && *b && tolower((unsigned char)*a) == *b)
            a++, b++;
        if (*a == 0 && *b == 0) {
            *out = table[i].cap;
            return true;
        }
    }
    return false;
}

/* The AVX2/AVX-512 builds of PyTorch's kernels are compiled with -mfma, and
 * GCC fuses `x * y + z` there; the default build cannot. */
static bool kernels_fuse(void) { return cpu_cap != RNG_CPU_DEFAULT; }

static float madd_f32(float x, float y, float z, bool fused)
{
    if (fused)
        return fmaf(x, y, z);
    float p = x * y;
    return p + z;
}

static double madd_f64(double x, double y, double z, bool fused)
{
    if (fused)
        return fma(x, y, z);
    double p = x * y;
    return p + z;
}

/* ======================================================================== */
/* uniform                                                                  */
/* ======================================================================== */

/* at::uniform_real_distribution<float>(0, 1): low 24 bits of one u32. */
static float unit_f32(TnRng *g) { return (float)(rng_u32(g) & 0xffffffu) * 0x1p-24f; }

/* at::uniform_real_distribution<double>(0, 1): low 53 bits of one u64. */
static double unit_f64(TnRng *g)
{
    return (double)(rng_u64(g) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
}

void rng_uniform_f32(TnRng *g, float *out, int64_t n, double from, double to)
{
    float lo = (float)from, hi = (float)to;
    float span = hi - lo;
    bool fused = kernels_fuse();
    for (int64_t i = 0; i < n; i++)
        out[i] = madd_f32(unit_f32(g), span, lo, fused);
}

void rng_uniform_f64(TnRng *g, double *out, int64_t n, double from, double to)
{
    double span = to - from;
    bool fused = kernels_fuse();
    for (int64_t i = 0; i < n; i++)
        out[i] = madd_f64(unit_f64(g), span, from, fused);
}

/* ======================================================================== */
/* normal: scalar path (at::normal_distribution<double>)                    */
/* ======================================================================== */

/* One standard normal sample in double; Box-Muller yields two, the sine one is
 * cached in the generator and returned by the next call. */
static double std_normal_f64(TnRng *g)
{
    if (g->has_normal_f64) {
        g->has_normal_f64 = false;
        return g->normal_f64;
    }
    double u1 = unit_f64(g);
    double u2 = unit_f64(g);
    double r = sqrt(-2.0 * log(1.0 - u2));
    double theta = 2.0 * 3.14159265358979323846 * u1;
    g->normal_f64 = r * sin(theta);
    g->has_normal_f64 = true;
    return r * cos(theta);
}

void rng_normal_serial_f64(TnRng *g, double *out, int64_t n, double mean, double std)
{
    bool fused = kernels_fuse();
    for (int64_t i = 0; i < n; i++)
        out[i] = madd_f64(std_normal_f64(g), std, mean, fused);
}

void rng_normal_serial_f32(TnRng *g, float *out, int64_t n, double mean, double std)
{
    bool fused = kernels_fuse();
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)madd_f64(std_normal_f64(g), std, mean, fused);
}

/* ======================================================================== */
/* normal: vectorised path (normal_fill, blocks of 16)                      */
/* ======================================================================== */

/* Generic normal_fill_16<double>: pairs (j, j + 8) of uniforms become the
 * cosine and sine samples of one Box-Muller transform. */
static void box_muller_16_f64(double *d, double mean, double std, bool fused)
{
    for (int j = 0; j < 8; j++) {
        double u1 = 1.0 - d[j];
        double u2 = d[j + 8];
        double radius = sqrt(-2.0 * log(u1));
        double theta = 2.0 * 3.14159265358979323846 * u2;
        double c = radius * cos(theta);
        double s = radius * sin(theta);
        d[j] = madd_f64(c, std, mean, fused);
        d[j + 8] = madd_f64(s, std, mean, fused);
    }
}

/* Generic normal_fill_16<float> (non-AVX2 builds): float libm calls, with
 * theta computed in double from the float uniform then rounded to float. */
static void box_muller_16_f32_generic(float *d, float mean, float std, bool fused)
{
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j];
        float u2 = d[j + 8];
        float radius = sqrtf(-2.0f * logf(u1));
        float theta = (float)(2.0 * 3.14159265358979323846 * (double)u2);
        float c = radius * cosf(theta);
        float s = radius * sinf(theta);
        d[j] = madd_f32(c, std, mean, fused);
        d[j + 8] = madd_f32(s, std, mean, fused);
    }
}

/* ---- scalar emulation of avx_mathfun.h's log256_ps / sincos256_ps -------
 * PyTorch's AVX2 kernel evaluates these Cephes polynomials lane by lane in
 * float, and GCC (-mfma) fuses each multiply whose only use is an add into
 * an FMA. Each step below is one vector instruction of that code. */

static float f32_from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint32_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

static float avx2_logf(float x)
{
    /* x is in (0, 1] here, so the <= 0 / denormal guards never fire. */
    uint32_t bits = f32_bits(x);
    int32_t expo = (int32_t)(bits >> 23) - 0x7f;
    x = f32_from_bits((bits & ~0x7f800000u) | f32_bits(0.5f)); /* mantissa in [0.5, 1) */
    float e = (float)expo + 1.0f;
    bool small = x < 0.707106781186547524f;
    float tmp = small ? x : 0.0f;
    x = x - 1.0f;
    e = e - (small ? 1.0f : 0.0f);
    x = x + tmp;
    float z = x * x;
    float y = 7.0376836292E-2f;
    y = fmaf(y, x, -1.1514610310E-1f);
    y = fmaf(y, x, 1.1676998740E-1f);
    y = fmaf(y, x, -1.2420140846E-1f);
    y = fmaf(y, x, +1.4249322787E-1f);
    y = fmaf(y, x, -1.6668057665E-1f);
    y = fmaf(y, x, +2.0000714765E-1f);
    y = fmaf(y, x, -2.4999993993E-1f);
    y = fmaf(y, x, +3.3333331174E-1f);
    y = y * x;
    y = fmaf(y, z, e * -2.12194440e-4f);
    y = fmaf(-z, 0.5f, y);
    x = x + y;
    return fmaf(e, 0.693359375f, x);
}

static void avx2_sincosf(float x, float *s, float *c)
{
    uint32_t sign_sin = f32_bits(x) & 0x80000000u;
    x = fabsf(x);
    float scaled = x * 1.27323954473516f; /* 4 / pi */
    int32_t j = (int32_t)scaled;          /* cvttps: truncation */
    j = (j + 1) & ~1;
    float y = (float)j;
    uint32_t swap_sin = (uint32_t)(j & 4) << 29;
    bool poly_sin = (j & 2) == 0; /* sine polynomial for sin, cosine one for cos */
    x = fmaf(y, -0.78515625f, x);
    x = fmaf(y, -2.4187564849853515625e-4f, x);
    x = fmaf(y, -3.77489497744594108e-8f, x);
    uint32_t sign_cos = (uint32_t)(~(j - 2) & 4) << 29;
    sign_sin ^= swap_sin;

    float z = x * x;
    float yc = 2.443315711809948E-005f;
    yc = fmaf(yc, z, -1.388731625493765E-003f);
    yc = fmaf(yc, z, 4.166664568298827E-002f);
    yc = yc * z;
    yc = fmaf(yc, z, -(z * 0.5f));
    yc = yc + 1.0f;

    float ys = -1.9515295891E-4f;
    ys = fmaf(ys, z, 8.3321608736E-3f);
    ys = fmaf(ys, z, -1.6666654611E-1f);
    ys = ys * z;
    ys = fmaf(ys, x, x);

    /* The blend is written with subtractions and additions of zero; keep them,
     * they turn -0 into +0 exactly as the vector code does. */
    float sin_from_s = poly_sin ? ys : 0.0f, sin_from_c = poly_sin ? 0.0f : yc;
    float cos_s = ys - sin_from_s, cos_c = yc - sin_from_c;
    *s = f32_from_bits(f32_bits(sin_from_c + sin_from_s) ^ sign_sin);
    *c = f32_from_bits(f32_bits(cos_c + cos_s) ^ sign_cos);
}

/* normal_fill_16_AVX2 for one block, lane by lane. */
static void box_muller_16_f32_avx2(float *d, float mean, float std)
{
    const float two_pi = (float)(2.0 * 3.14159265358979323846);
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j];
        float u2 = d[j + 8];
        float radius = sqrtf(-2.0f * avx2_logf(u1));
        float theta = two_pi * u2;
        float sn, cs;
        avx2_sincosf(theta, &sn, &cs);
        float n1 = radius * cs;
        float n2 = radius * sn;
        d[j] = fmaf(n1, std, mean);
        d[j + 8] = fmaf(n2, std, mean);
    }
}

static void box_muller_16_f32(float *d, float mean, float std)
{
    if (cpu_cap == RNG_CPU_AVX2)
        box_muller_16_f32_avx2(d, mean, std);
    else
        box_muller_16_f32_generic(d, mean, std, kernels_fuse());
}

/* normal_fill: uniforms for the whole buffer first, then transform each full
 * block of 16; a ragged tail is handled by drawing 16 FRESH uniforms over the
 * last 16 slots (overwriting part of the previous block) and transforming
 * those. n >= 16 is required. */
static void normal_fill_f32(TnRng *g, float *out, int64_t n, float mean, float std)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f32(g);
    for (int64_t i = 0; i + 16 <= n; i += 16)
        box_muller_16_f32(out + i, mean, std);
    if (n % 16 != 0) {
        float *tail = out + n - 16;
        for (int i = 0; i < 16; i++)
            tail[i] = unit_f32(g);
        box_muller_16_f32(tail, mean, std);
    }
}

static void normal_fill_f64(TnRng *g, double *out, int64_t n, double mean, double std)
{
    bool fused = kernels_fuse();
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f64(g);
    for (int64_t i = 0; i + 16 <= n; i += 16)
        box_muller_16_f64(out + i, mean, std, fused);
    if (n % 16 != 0) {
        double *tail = out + n - 16;
        for (int i = 0; i < 16; i++)
            tail[i] = unit_f64(g);
        box_muller_16_f64(tail, mean, std, fused);
    }
}

void rng_normal_f32(TnRng *g, float *out, int64_t n, double mean, double std)
{
    if (n >= 16)
        normal_fill_f32(g, out, n, (float)mean, (float)std);
    else
        rng_normal_serial_f32(g, out, n, mean, std);
}

void rng_normal_f64(TnRng *g, double *out, int64_t n, double mean, double std)
{
    if (n >= 16)
        normal_fill_f64(g, out, n, mean, std);
    else
        rng_normal_serial_f64(g, out, n, mean, std);
}

/* ======================================================================== */
/* exponential, geometric (double distributions, cast to the dtype)         */
/* ======================================================================== */

static double exponential_draw(TnRng *g, double lambd)
{
    double u = unit_f64(g);
    return -1.0 / lambd * log(1.0 - u);
}

static double geometric_draw(TnRng *g, double p)
{
    double u = unit_f64(g);
    return ceil(log(u) / log(1.0 - p));
}

void rng_exponential_f32(TnRng *g, float *out, int64_t n, double lambd)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)exponential_draw(g, lambd);
}

void rng_exponential_f64(TnRng *g, double *out, int64_t n, double lambd)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = exponential_draw(g, lambd);
}

void rng_geometric_f32(TnRng *g, float *out, int64_t n, double p)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)geometric_draw(g, p);
}

void rng_geometric_f64(TnRng *g, double *out, int64_t n, double p)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = geometric_draw(g, p);
}

/* ======================================================================== */
/* randint, randperm                                                        */
/* ======================================================================== */

void rng_randint_i64(TnRng *g, int64_t *out, int64_t n, int64_t low, int64_t high)
{
    uint64_t range = (uint64_t)high - (uint64_t)low;
    bool wide = range >= (UINT64_C(1) << 32);
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = wide || range == 0 ? rng_u64(g) : rng_u32(g);
        /* range == 0 only for a caller error (high == low); a whole 64-bit
         * draw avoids dividing by zero. */
        out[i] = (int64_t)((range ? v % range : v) + (uint64_t)low);
    }
}

void rng_randperm_i64(TnRng *g, int64_t *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = i;
    for (int64_t i = 0; i < n - 1; i++) {
        int64_t z = (int64_t)(rng_u32(g) % (uint64_t)(n - i));
        int64_t t = out[i];
        out[i] = out[z + i];
        out[z + i] = t;
    }
}

/* ======================================================================== */
/* bernoulli, dropout                                                       */
/* ======================================================================== */

void rng_bernoulli_scalar_f32(TnRng *g, float *out, int64_t n, double p)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f64(g) < p ? 1.0f : 0.0f;
}

void rng_bernoulli_scalar_f64(TnRng *g, double *out, int64_t n, double p)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f64(g) < p ? 1.0 : 0.0;
}

void rng_bernoulli_scalar_u8(TnRng *g, uint8_t *out, int64_t n, double p)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f64(g) < p;
}

void rng_bernoulli_f32(TnRng *g, float *out, const float *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f32(g) < p[i] ? 1.0f : 0.0f;
}

void rng_bernoulli_f64(TnRng *g, double *out, const double *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = unit_f64(g) < p[i] ? 1.0 : 0.0;
}

void rng_dropout_noise_f32(TnRng *g, float *noise, int64_t n, double p)
{
    double keep = 1.0 - p;
    rng_bernoulli_scalar_f32(g, noise, n, keep);
    /* noise.div_(1 - p) on a float tensor: the double scalar is rounded to
     * float first, so kept entries are 1.0f / (float)(1 - p). */
    float keep_f = (float)keep;
    for (int64_t i = 0; i < n; i++)
        noise[i] = noise[i] / keep_f;
}

void rng_dropout_noise_f64(TnRng *g, double *noise, int64_t n, double p)
{
    double keep = 1.0 - p;
    rng_bernoulli_scalar_f64(g, noise, n, keep);
    for (int64_t i = 0; i < n; i++)
        noise[i] = noise[i] / keep;
}

/* ======================================================================== */
/* poisson (sample_poisson in ATen/native/Distributions.cpp)                */
/* ======================================================================== */

/* Hoermann's transformed rejection (PTRS) for lambda >= 10. */
static int64_t poisson_ptrs(TnRng *g, double lambda)
{
    double slam = sqrt(lambda);
    double loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = unit_f64(g) - 0.5;
        double v = unit_f64(g);
        double us = 0.5 - fabs(u);
        int64_t k = (int64_t)floor((2 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
            -lambda + (double)k * loglam - lgamma((double)k + 1))
            return k;
    }
}

/* Knuth's product of uniforms for 0 < lambda < 10. */
static int64_t poisson_knuth(TnRng *g, double lambda)
{
    double enlam = exp(-lambda);
    double prod = 1.0;
    int64_t x = 0;
    for (;;) {
        prod *= unit_f64(g);
        if (prod <= enlam)
            return x;
        x++;
    }
}

static int64_t poisson_draw(TnRng *g, double lambda)
{
    if (lambda >= 10)
        return poisson_ptrs(g, lambda);
    if (lambda == 0)
        return 0;
    return poisson_knuth(g, lambda);
}

void rng_poisson_f32(TnRng *g, float *out, const float *rates, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)poisson_draw(g, (double)rates[i]);
}

void rng_poisson_f64(TnRng *g, double *out, const double *rates, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (double)poisson_draw(g, rates[i]);
}

/* ======================================================================== */
/* multinomial                                                              */
/* ======================================================================== */

const char *rng_status_message(RngStatus st)
{
    switch (st) {
    case RNG_OK: return "ok";
    case RNG_ERR_BAD_PROB: return "probability tensor contains either `inf`, `nan` or element < 0";
    case RNG_ERR_NEGATIVE:
        return "invalid multinomial distribution (encountering probability entry < 0)";
    case RNG_ERR_NONFINITE:
        return "invalid multinomial distribution (encountering probability entry = infinity or NaN)";
    case RNG_ERR_ZERO_SUM: return "invalid multinomial distribution (sum of probabilities <= 0)";
    case RNG_ERR_TOO_MANY:
        return "cannot sample n_sample > prob_dist.size(-1) samples without replacement";
    case RNG_ERR_NO_MEMORY: return "out of memory";
    }
    return "unknown error";
}

/* ---- topk ordering ------------------------------------------------------
 * Without replacement the winners are topk(p / q), and when zero weights must
 * be picked the order among equal keys is whatever libstdc++'s nth_element /
 * sort / partial_sort leave behind. These are re-implementations of those
 * algorithms (GCC 12) so that ties come out the same. */

typedef struct { double key; int64_t idx; } KeyIdx;

/* The comparator of at::native::topk_impl_loop for largest=True. */
static bool ki_before(const KeyIdx *x, const KeyIdx *y)
{
    return (isnan(x->key) && !isnan(y->key)) || x->key > y->key;
}

static void ki_swap(KeyIdx *a, KeyIdx *b) { KeyIdx t = *a; *a = *b; *b = t; }

static int64_t floor_log2(int64_t n)
{
    int64_t k = 0;
    while (n > 1)
        n >>= 1, k++;
    return k;
}

static void move_median_to_first(KeyIdx *result, KeyIdx *a, KeyIdx *b, KeyIdx *c)
{
    if (ki_before(a, b)) {
        if (ki_before(b, c)) ki_swap(result, b);
        else if (ki_before(a, c)) ki_swap(result, c);
        else ki_swap(result, a);
    } else if (ki_before(a, c)) ki_swap(result, a);
    else if (ki_before(b, c)) ki_swap(result, c);
    else ki_swap(result, b);
}

static KeyIdx *unguarded_partition(KeyIdx *first, KeyIdx *last, const KeyIdx *pivot)
{
    for (;;) {
        while (ki_before(first, pivot)) first++;
        last--;
        while (ki_before(pivot, last)) last--;
        if (!(first < last)) return first;
        ki_swap(first, last);
        first++;
    }
}

static KeyIdx *partition_pivot(KeyIdx *first, KeyIdx *last)
{
    KeyIdx *mid = first + (last - first) / 2;
    move_median_to_first(first, first + 1, mid, last - 1);
    return unguarded_partition(first + 1, last, first);
}

static void unguarded_linear_insert(KeyIdx *last)
{
    KeyIdx val = *last;
    KeyIdx *next = last - 1;
    while (ki_before(&val, next)) {
        *last = *next;
        last = next;
        next--;
    }
    *last = val;
}

static void insertion_sort(KeyIdx *first, KeyIdx *last)
{
    if (first == last) return;
    for (KeyIdx *i = first + 1; i != last; i++) {
        if (ki_before(i, first)) {
            KeyIdx val = *i;
            memmove(first + 1, first, (size_t)(i - first) * sizeof *first);
            *first = val;
        } else {
            unguarded_linear_insert(i);
        }
    }
}

static void push_heap(KeyIdx *first, int64_t hole, int64_t top, KeyIdx val)
{
    int64_t parent = (hole - 1) / 2;
    while (hole > top && ki_before(first + parent, &val)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = val;
}

static void adjust_heap(KeyIdx *first, int64_t hole, int64_t len, KeyIdx val)
{
    int64_t top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (ki_before(first + child, first + (child - 1)))
            child--;
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    push_heap(first, hole, top, val);
}

static void make_heap(KeyIdx *first, KeyIdx *last)
{
    int64_t len = last - first;
    if (len < 2) return;
    for (int64_t parent = (len - 2) / 2;; parent--) {
        adjust_heap(first, parent, len, first[parent]);
        if (parent == 0) return;
    }
}

static void pop_heap(KeyIdx *first, KeyIdx *last, KeyIdx *result)
{
    KeyIdx val = *result;
    *result = *first;
    adjust_heap(first, 0, last - first, val);
}

static void heap_select(KeyIdx *first, KeyIdx *middle, KeyIdx *last)
{
    make_heap(first, middle);
    for (KeyIdx *i = middle; i < last; i++)
        if (ki_before(i, first))
            pop_heap(first, middle, i);
}

static void sort_heap(KeyIdx *first, KeyIdx *last)
{
    while (last - first > 1) {
        last--;
        pop_heap(first, last, last);
    }
}

static void partial_sort(KeyIdx *first, KeyIdx *middle, KeyIdx *last)
{
    heap_select(first, middle, last);
    sort_heap(first, middle);
}

static void introsort_loop(KeyIdx *first, KeyIdx *last, int64_t depth)
{
    while (last - first > 16) {
        if (depth == 0) {
            partial_sort(first, last, last);
            return;
        }
        depth--;
        KeyIdx *cut = partition_pivot(first, last);
        introsort_loop(cut, last, depth);
        last = cut;
    }
}

static void std_sort(KeyIdx *first, KeyIdx *last)
{
    if (first == last) return;
    introsort_loop(first, last, floor_log2(last - first) * 2);
    if (last - first > 16) {
        insertion_sort(first, first + 16);
        for (KeyIdx *i = first + 16; i != last; i++)
            unguarded_linear_insert(i);
    } else {
        insertion_sort(first, last);
    }
}

static void nth_element(KeyIdx *first, KeyIdx *nth, KeyIdx *last)
{
    if (first == last || nth == last) return;
    int64_t depth = floor_log2(last - first) * 2;
    while (last - first > 3) {
        if (depth == 0) {
            heap_select(first, nth + 1, last);
            ki_swap(first, nth);
            return;
        }
        depth--;
        KeyIdx *cut = partition_pivot(first, last);
        if (cut <= nth) first = cut;
        else last = cut;
    }
    insertion_sort(first, last);
}

/* torch.topk(keys, k, largest=True, sorted=True) indices, CPU algorithm. */
static void topk_indices(KeyIdx *q, int64_t n, int64_t k, int64_t *out)
{
    if (k * 64 <= n) {
        partial_sort(q, q + k, q + n);
    } else {
        nth_element(q, q + k - 1, q + n);
        std_sort(q, q + k - 1);
    }
    for (int64_t j = 0; j < k; j++)
        out[j] = q[j].idx;
}

/* torch.argmax over one row: the first index of the maximum. */
static int64_t argmax_first(const KeyIdx *q, int64_t n)
{
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        if (ki_before(&q[j], &q[best]))
            best = j;
    return best;
}

/* ---- the two multinomial algorithms, on a double copy of the weights ---- */

typedef struct {
    const float *f32;
    const double *f64;
} Weights;

static double weight_at(Weights w, int64_t i) { return w.f32 ? (double)w.f32[i] : w.f64[i]; }

static RngStatus check_rows_no_replacement(Weights w, int64_t rows, int64_t cols)
{
    for (int64_t i = 0; i < rows * cols; i++) {
        double v = weight_at(w, i);
        if (!(v >= 0) || isinf(v))
            return RNG_ERR_BAD_PROB;
    }
    for (int64_t r = 0; r < rows; r++) {
        /* any positive weight makes a nonzero sum; sums cannot cancel */
        bool positive = false;
        for (int64_t c = 0; c < cols && !positive; c++)
            positive = weight_at(w, r * cols + c) > 0;
        if (!positive)
            return RNG_ERR_ZERO_SUM;
    }
    return RNG_OK;
}

/* q = exponential_(1) in the weights' dtype, then keys = p / q (same dtype). */
static RngStatus multinomial_no_replacement(TnRng *g, int64_t *out, Weights w, int64_t rows,
                                            int64_t cols, int64_t n_sample)
{
    RngStatus st = check_rows_no_replacement(w, rows, cols);
    if (st != RNG_OK)
        return st;
    KeyIdx *q = malloc((size_t)(rows * cols) * sizeof *q);
    if (!q)
        return RNG_ERR_NO_MEMORY;
    for (int64_t i = 0; i < rows * cols; i++)
        q[i].key = exponential_draw(g, 1.0);
    for (int64_t i = 0; i < rows * cols; i++) {
        q[i].idx = i % cols;
        if (w.f32)
            q[i].key = (double)(w.f32[i] / (float)q[i].key);
        else
            q[i].key = w.f64[i] / q[i].key;
    }
    for (int64_t r = 0; r < rows; r++) {
        KeyIdx *row = q + r * cols;
        if (n_sample == 1)
            out[r] = argmax_first(row, cols);
        else
            topk_indices(row, cols, n_sample, out + r * n_sample);
    }
    free(q);
    return RNG_OK;
}

/* Inverse-CDF sampling by binary search over the normalised cumulative sums
 * (accumulated in the weights' dtype), one double uniform per sample. */
static int64_t search_cdf_f32(const float *cdf, int64_t cols, double u)
{
    int64_t left = 0, right = cols;
    while (right - left > 0) {
        int64_t mid = left + (right - left) / 2;
        if ((double)cdf[mid] < u) left = mid + 1;
        else right = mid;
    }
    return left;
}

static int64_t search_cdf_f64(const double *cdf, int64_t cols, double u)
{
    int64_t left = 0, right = cols;
    while (right - left > 0) {
        int64_t mid = left + (right - left) / 2;
        if (cdf[mid] < u) left = mid + 1;
        else right = mid;
    }
    return left;
}

static RngStatus cdf_row_f32(const float *p, float *cdf, int64_t cols)
{
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; j++) {
        if (!(p[j] >= 0)) return RNG_ERR_NEGATIVE; /* nan lands here too, as in PyTorch */
        if (isinf(p[j])) return RNG_ERR_NONFINITE;
        sum += p[j];
        cdf[j] = sum;
    }
    if (!(sum > 0)) return RNG_ERR_ZERO_SUM;
    for (int64_t j = 0; j < cols; j++)
        cdf[j] /= sum;
    cdf[cols - 1] = 1.0f;
    return RNG_OK;
}

static RngStatus cdf_row_f64(const double *p, double *cdf, int64_t cols)
{
    double sum = 0.0;
    for (int64_t j = 0; j < cols; j++) {
        if (!(p[j] >= 0)) return RNG_ERR_NEGATIVE; /* nan lands here too, as in PyTorch */
        if (isinf(p[j])) return RNG_ERR_NONFINITE;
        sum += p[j];
        cdf[j] = sum;
    }
    if (!(sum > 0)) return RNG_ERR_ZERO_SUM;
    for (int64_t j = 0; j < cols; j++)
        cdf[j] /= sum;
    cdf[cols - 1] = 1.0;
    return RNG_OK;
}

static RngStatus multinomial_replacement(TnRng *g, int64_t *out, Weights w, int64_t rows,
                                         int64_t cols, int64_t n_sample)
{
    size_t elem = w.f32 ? sizeof(float) : sizeof(double);
    void *cdf = malloc((size_t)cols * elem);
    if (!cdf)
        return RNG_ERR_NO_MEMORY;
    RngStatus st = RNG_OK;
    for (int64_t r = 0; r < rows && st == RNG_OK; r++) {
        st = w.f32 ? cdf_row_f32(w.f32 + r * cols, cdf, cols)
                   : cdf_row_f64(w.f64 + r * cols, cdf, cols);
        for (int64_t s = 0; s < n_sample && st == RNG_OK; s++) {
            double u = unit_f64(g);
            out[r * n_sample + s] = w.f32 ? search_cdf_f32(cdf, cols, u)
                                          : search_cdf_f64(cdf, cols, u);
        }
    }
    free(cdf);
    return st;
}

static RngStatus multinomial(TnRng *g, int64_t *out, Weights w, int64_t rows, int64_t cols,
                             int64_t n_sample, bool replacement)
{
    if (!replacement && n_sample > cols)
        return RNG_ERR_TOO_MANY;
    if (rows <= 0 || n_sample <= 0)
        return RNG_OK; /* nothing to draw */
    if (cols <= 0)
        return RNG_ERR_ZERO_SUM;
    /* 1.13 takes the exponential race only without replacement; with
     * replacement even n_sample == 1 goes through the CDF search. */
    if (!replacement)
        return multinomial_no_replacement(g, out, w, rows, cols, n_sample);
    return multinomial_replacement(g, out, w, rows, cols, n_sample);
}

RngStatus rng_multinomial_f32(TnRng *g, int64_t *out, const float *probs, int64_t rows,
                              int64_t cols, int64_t n_sample, bool replacement)
{
    Weights w = {probs, NULL};
    return multinomial(g, out, w, rows, cols, n_sample, replacement);
}

RngStatus rng_multinomial_f64(TnRng *g, int64_t *out, const double *probs, int64_t rows,
                              int64_t cols, int64_t n_sample, bool replacement)
{
    Weights w = {NULL, probs};
    return multinomial(g, out, w, rows, cols, n_sample, replacement);
}
