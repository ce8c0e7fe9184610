/* rng_test.c - replays seeded PyTorch 1.13 sequences through runtime/random.c and demands equal bits. */
#include "random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    OP_UNIFORM_F32, OP_UNIFORM_F64, OP_NORMAL_F32, OP_NORMAL_F64,
    OP_NORMAL_SERIAL_F32, OP_NORMAL_SERIAL_F64, OP_RANDINT, OP_RANDPERM,
    OP_BERN_SCALAR_F32, OP_BERN_SCALAR_F64, OP_BERN_F32, OP_BERN_F64,
    OP_DROPOUT_F32, OP_DROPOUT_F64, OP_EXPONENTIAL_F32, OP_GEOMETRIC_F64,
    OP_POISSON_F32, OP_POISSON_F64, OP_MULTINOMIAL_F32, OP_MULTINOMIAL_F64,
    OP_LINEAR, OP_STATE_HASH
} OpKind;

/* One PyTorch call: n outputs, scalar args a/b, integer args i0..i3, an
 * optional input array (float inputs are stored as exact doubles) and the
 * expected output bits (f32 -> u32, f64 -> u64, int64 -> u64). */
typedef struct {
    OpKind op;
    int64_t n;
    double a, b;
    int64_t i0, i1, i2, i3;
    const double *inp;
    const uint64_t *want;
    int64_t want_n;
} RngOp;

typedef struct {
    const char *name;
    uint64_t seed;
    RngCpuCapability cap;
    const RngOp *ops;
    int nops;
} RngCase;

#include "rng_expected.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t f64_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

static float *to_f32(const double *in, int64_t n)
{
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)in[i];
    return f;
}

static uint64_t state_fnv1a(const TnRng *g)
{
    uint8_t buf[RNG_STATE_BYTES];
    rng_get_state(g, buf);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < sizeof buf; i++)
        h = (h ^ buf[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* nn.Linear.reset_parameters(): kaiming_uniform_(a=sqrt(5)) then the bias
 * bound, computed in double exactly as torch/nn/init.py does. */
static void linear_init(TnRng *g, float *w, int64_t n_in, int64_t n_out)
{
    double a = sqrt(5.0);
    double gain = sqrt(2.0 / (1 + pow(a, 2)));
    double std = gain / sqrt((double)n_in);
    double bound = sqrt(3.0) * std;
    rng_uniform_f32(g, w, n_in * n_out, -bound, bound);
    double bias_bound = n_in > 0 ? 1 / sqrt((double)n_in) : 0;
    rng_uniform_f32(g, w + n_in * n_out, n_out, -bias_bound, bias_bound);
}

/* ---- replay --------------------------------------------------------------- */

/* Runs one op and writes its output bits to got[0..want_n). */
static void run_op(TnRng *g, const RngOp *o, uint64_t *got)
{
    int64_t n = o->n, m = o->want_n;
    float *f = malloc((size_t)(m ? m : 1) * sizeof *f);
    double *d = malloc((size_t)(m ? m : 1) * sizeof *d);
    int64_t *iv = malloc((size_t)(m ? m : 1) * sizeof *iv);
    bool float_input = o->op == OP_BERN_F32 || o->op == OP_POISSON_F32;
    float *in32 = float_input ? to_f32(o->inp, n) : NULL;
    enum { F32, F64, I64, RAW } kind = F32;
    switch (o->op) {
    case OP_UNIFORM_F32: rng_uniform_f32(g, f, n, o->a, o->b); break;
    case OP_UNIFORM_F64: rng_uniform_f64(g, d, n, o->a, o->b); kind = F64; break;
    case OP_NORMAL_F32: rng_normal_f32(g, f, n, o->a, o->b); break;
    case OP_NORMAL_F64: rng_normal_f64(g, d, n, o->a, o->b); kind = F64; break;
    case OP_NORMAL_SERIAL_F32: rng_normal_serial_f32(g, f, n, o->a, o->b); break;
    case OP_NORMAL_SERIAL_F64: rng_normal_serial_f64(g, d, n, o->a, o->b); kind = F64; break;
    case OP_RANDINT: rng_randint_i64(g, iv, n, o->i0, o->i1); kind = I64; break;
    case OP_RANDPERM: rng_randperm_i64(g, iv, n); kind = I64; break;
    case OP_BERN_SCALAR_F32: rng_bernoulli_scalar_f32(g, f, n, o->a); break;
    case OP_BERN_SCALAR_F64: rng_bernoulli_scalar_f64(g, d, n, o->a); kind = F64; break;
    case OP_BERN_F32: rng_bernoulli_f32(g, f, in32, n); break;
    case OP_BERN_F64: rng_bernoulli_f64(g, d, o->inp, n); kind = F64; break;
    case OP_DROPOUT_F32: rng_dropout_noise_f32(g, f, n, o->a); break;
    case OP_DROPOUT_F64: rng_dropout_noise_f64(g, d, n, o->a); kind = F64; break;
    case OP_EXPONENTIAL_F32: rng_exponential_f32(g, f, n, o->a); break;
    case OP_GEOMETRIC_F64: rng_geometric_f64(g, d, n, o->a); kind = F64; break;
    case OP_POISSON_F32: rng_poisson_f32(g, f, in32, n); break;
    case OP_POISSON_F64: rng_poisson_f64(g, d, o->inp, n); kind = F64; break;
    case OP_MULTINOMIAL_F32:
    case OP_MULTINOMIAL_F64: {
        int64_t rows = o->i0, cols = o->i1;
        float *w32 = to_f32(o->inp, rows * cols);
        RngStatus st = o->op == OP_MULTINOMIAL_F32
                           ? rng_multinomial_f32(g, iv, w32, rows, cols, o->i2, o->i3 != 0)
                           : rng_multinomial_f64(g, iv, o->inp, rows, cols, o->i2, o->i3 != 0);
        if (st != RNG_OK)
            memset(iv, 0xff, (size_t)m * sizeof *iv);
        free(w32);
        kind = I64;
        break;
    }
    case OP_LINEAR: linear_init(g, f, o->i0, o->i1); break;
    case OP_STATE_HASH: got[0] = state_fnv1a(g); kind = RAW; break;
    }
    for (int64_t i = 0; i < m && kind != RAW; i++)
        got[i] = kind == F32 ? f32_bits(f[i]) : kind == F64 ? f64_bits(d[i]) : (uint64_t)iv[i];
    free(f), free(d), free(iv), free(in32);
}

static bool run_case(const RngCase *c)
{
    TnRng g;
    rng_set_cpu_capability(c->cap);
    rng_manual_seed(&g, c->seed);
    bool ok = true;
    for (int k = 0; k < c->nops; k++) {
        const RngOp *o = &c->ops[k];
        uint64_t *got = calloc((size_t)(o->want_n ? o->want_n : 1), sizeof *got);
        run_op(&g, o, got);
        for (int64_t i = 0; i < o->want_n; i++) {
            if (got[i] != o->want[i]) {
                printf("FAIL %s op %d element %lld: got 0x%llx want 0x%llx\n", c->name, k,
                       (long long)i, (unsigned long long)got[i], (unsigned long long)o->want[i]);
                ok = false;
                break;
            }
        }
        free(got);
    }
    rng_set_cpu_capability(RNG_CPU_AVX2);
    return ok;
}

/* ---- properties that need no PyTorch numbers ------------------------------ */

static int failures;
#define CHECK(cond, what)                                   \
    do {                                                    \
        if (!(cond)) {                                      \
            printf("FAIL %s (%s:%d)\n", what, __FILE__, __LINE__); \
            failures++;                                     \
        }                                                   \
    } while (0)

static void test_state_round_trip(void)
{
    TnRng g, h;
    rng_manual_seed(&g, 5);
    float first[3];
    rng_normal_f32(&g, first, 3, 0, 1); /* leaves a cached sample behind */
    uint8_t snap[RNG_STATE_BYTES];
    rng_get_state(&g, snap);
    float a[40], b[40];
    rng_normal_f32(&g, a, 1, 0, 1);
    rng_uniform_f32(&g, a + 1, 39, 0, 1);
    rng_manual_seed(&h, 999);
    CHECK(rng_set_state(&h, snap, sizeof snap), "set_state accepts get_state bytes");
    rng_normal_f32(&h, b, 1, 0, 1);
    rng_uniform_f32(&h, b + 1, 39, 0, 1);
    CHECK(memcmp(a, b, sizeof a) == 0, "set_state replays draws and the normal cache");
    CHECK(rng_initial_seed(&h) == 5, "set_state restores the initial seed");

    uint8_t bad[RNG_STATE_BYTES];
    memcpy(bad, snap, sizeof bad);
    int32_t left = 0;
    memcpy(bad + 8, &left, 4);
    CHECK(!rng_set_state(&h, bad, sizeof bad), "set_state rejects left == 0");
    CHECK(!rng_set_state(&h, snap, sizeof snap - 1), "set_state rejects a wrong size");
}

static void test_defaults(void)
{
    CHECK(rng_initial_seed(rng_default()) == RNG_DEFAULT_SEED, "default generator seed");
    TnRng g;
    rng_manual_seed(&g, RNG_DEFAULT_SEED);
    /* torch.Generator().random_() style check: first u32 of the default seed,
     * from torch.empty(1, dtype=torch.float32).uniform_(generator=torch.Generator()) = 0.2673 */
    float u;
    rng_uniform_f32(&g, &u, 1, 0, 1);
    CHECK(fabsf(u - 0.2673f) < 5e-5f, "fresh torch.Generator() first rand");
    RngCpuCapability cap;
    CHECK(rng_parse_cpu_capability("AVX2", &cap) && cap == RNG_CPU_AVX2, "parse AVX2");
    CHECK(rng_parse_cpu_capability("default", &cap) && cap == RNG_CPU_DEFAULT, "parse default");
    CHECK(!rng_parse_cpu_capability("avx", &cap), "reject avx");
}

static void test_multinomial_errors(void)
{
    TnRng g, ref;
    int64_t out[8];
    float rows[4] = {1, 1, -1, 1};
    rng_manual_seed(&g, 0);
    rng_manual_seed(&ref, 0);
    CHECK(rng_multinomial_f32(&g, out, rows, 2, 2, 2, true) == RNG_ERR_NEGATIVE,
          "with replacement: negative entry in row 1");
    rng_u64(&ref), rng_u64(&ref); /* row 0 drew its two samples first, as PyTorch */
    CHECK(rng_u32(&g) == rng_u32(&ref), "row 0 draws consumed before the error");

    float inf_row[2] = {1, INFINITY}, zeros[2] = {0, 0};
    rng_manual_seed(&g, 0);
    CHECK(rng_multinomial_f32(&g, out, inf_row, 1, 2, 2, true) == RNG_ERR_NONFINITE, "inf entry");
    CHECK(rng_multinomial_f32(&g, out, inf_row, 1, 2, 1, false) == RNG_ERR_BAD_PROB, "inf, no replacement");
    CHECK(rng_multinomial_f32(&g, out, zeros, 1, 2, 1, false) == RNG_ERR_ZERO_SUM, "zero row");
    CHECK(rng_multinomial_f32(&g, out, zeros, 1, 2, 3, false) == RNG_ERR_TOO_MANY, "too many");
    rng_manual_seed(&ref, 0);
    CHECK(rng_u32(&g) == rng_u32(&ref), "up-front errors draw nothing");
}

static void test_randperm_is_permutation(void)
{
    enum { N = 1000 };
    static int64_t p[N];
    static bool seen[N];
    TnRng g;
    rng_manual_seed(&g, 31337);
    rng_randperm_i64(&g, p, N);
    bool ok = true;
    for (int i = 0; i < N; i++) {
        if (p[i] < 0 || p[i] >= N || seen[p[i]])
            ok = false;
        else
            seen[p[i]] = true;
    }
    CHECK(ok, "randperm(1000) is a permutation");
}

int main(void)
{
    int n_cases = (int)(sizeof rng_cases / sizeof rng_cases[0]);
    int passed = 0;
    for (int i = 0; i < n_cases; i++)
        passed += run_case(&rng_cases[i]);
    test_state_round_trip();
    test_defaults();
    test_multinomial_errors();
    test_randperm_is_permutation();
    printf("rng_test: %d/%d PyTorch sequences match bit for bit; %d property failures\n", passed,
           n_cases, failures);
    return passed == n_cases && failures == 0 ? 0 : 1;
}
