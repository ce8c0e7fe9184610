/* random.h - PyTorch 1.13 compatible CPU random numbers (mt19937 + distributions) on raw buffers. */
#ifndef TN_RANDOM_H
#define TN_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every fill function below draws its numbers in buffer order, element 0 first,
 * exactly as PyTorch's CPU kernels do for a contiguous output. A tensor layer
 * calls one function per PyTorch kernel invocation over the whole output, e.g.
 * torch.rand(2, 3) == one rng_uniform_f32(g, buf, 6, 0, 1).
 *
 * Draw accounting ("u32" = one mt19937 output, "u64" = two u32 outputs):
 *   uniform f32 .............. 1 u32 per element (24 random bits)
 *   uniform f64 .............. 1 u64 per element (53 random bits)
 *   normal, n >= 16 .......... n uniforms of the dtype, plus 16 more if n % 16 != 0
 *   normal, n < 16 ........... 2 u64 per pair of samples; the second of a pair is
 *                              cached in the generator and served to the next call
 *   randint, range < 2^32 .... 1 u32 per element; range >= 2^32: 1 u64
 *   randperm(n) .............. n - 1 u32
 *   bernoulli, scalar p ...... 1 u64 per element (any output dtype)
 *   bernoulli, f32 p tensor .. 1 u32 per element; f64 p tensor: 1 u64
 *   exponential / geometric .. 1 u64 per element
 *   multinomial .............. see rng_multinomial_*()
 *   poisson .................. data dependent (rejection sampling on u64 uniforms)
 */

enum { RNG_MT_N = 624 };
#define RNG_DEFAULT_SEED UINT64_C(67280421310721) /* at::default_rng_seed_val */
#define RNG_STATE_BYTES 5056 /* sizeof(torch.get_rng_state()) */

typedef struct TnRng {
    uint64_t seed;             /* seed as given to manual_seed, all 64 bits */
    int32_t left;              /* outputs left before the next twist, 1..624 */
    uint32_t next;             /* index of the next state word to temper */
    uint32_t state[RNG_MT_N];  /* mt19937 words; only seed's low 32 bits seed them */
    bool has_normal_f64;       /* second Box-Muller sample kept by the scalar path */
    double normal_f64;
    bool has_normal_f32;       /* PyTorch keeps a float cache too; CPU kernels never */
    float normal_f32;          /* fill it, but get/set_state round-trips it */
} TnRng;

/* ---- generator ---------------------------------------------------------- */

/* Process-wide default generator, seeded with RNG_DEFAULT_SEED on first use.
 * (Python's torch seeds its default generator randomly at import; a fresh
 * torch.Generator() starts at RNG_DEFAULT_SEED like this one.) */
TnRng *rng_default(void);
/* torch.manual_seed(s): a negative Python int s is passed as (uint64_t)s.
 * Also drops the cached normal samples. */
void rng_manual_seed(TnRng *g, uint64_t seed);
uint64_t rng_initial_seed(const TnRng *g);
uint32_t rng_u32(TnRng *g); /* CPUGeneratorImpl::random() */
uint64_t rng_u64(TnRng *g); /* CPUGeneratorImpl::random64(): first u32 is the high half */

/* Byte image identical to torch.get_rng_state() (little-endian hosts). */
void rng_get_state(const TnRng *g, uint8_t out[RNG_STATE_BYTES]);
/* Inverse of rng_get_state; returns false (g untouched) for a wrong size or an
 * invalid mt19937 state, like torch.set_rng_state's "Invalid mt19937 state". */
bool rng_set_state(TnRng *g, const uint8_t *bytes, size_t n);

/* ---- kernel flavour ----------------------------------------------------- */

/* PyTorch compiles its CPU distribution kernels once per CPU capability and
 * the results differ in the last bit (FMA contraction, and an AVX2-only
 * vectorised log/sincos for float normals). Pick the one to imitate; the
 * default is RNG_CPU_AVX2, what 1.13 selects on an AVX2 machine without AVX-512
 * (ATEN_CPU_CAPABILITY=avx2). RNG_CPU_DEFAULT mirrors ATEN_CPU_CAPABILITY=default.
 * RNG_CPU_AVX512 (generic code with FMA) is a best guess, untested. */
typedef enum { RNG_CPU_DEFAULT, RNG_CPU_AVX2, RNG_CPU_AVX512 } RngCpuCapability;
void rng_set_cpu_capability(RngCpuCapability cap);
RngCpuCapability rng_cpu_capability(void);
/* Parses "default" / "avx2" / "avx512" (case-insensitive); false if unknown. */
bool rng_parse_cpu_capability(const char *name, RngCpuCapability *out);

/* ---- continuous --------------------------------------------------------- */

/* uniform_(from, to): torch.rand = (0, 1). from/to are first rounded to the dtype. */
void rng_uniform_f32(TnRng *g, float *out, int64_t n, double from, double to);
void rng_uniform_f64(TnRng *g, double *out, int64_t n, double from, double to);

/* normal_(mean, std) over a CONTIGUOUS tensor of n elements (torch.randn,
 * randn_like, normal(mean, std, size), nn.init.normal_): n >= 16 takes the
 * vectorised Box-Muller path, smaller n the scalar path. */
void rng_normal_f32(TnRng *g, float *out, int64_t n, double mean, double std);
void rng_normal_f64(TnRng *g, double *out, int64_t n, double mean, double std);
/* The scalar path alone: what PyTorch uses for NON-contiguous outputs of any
 * size. The caller then stores sample k at the k-th element in TensorIterator
 * order (memory order for a permuted view, e.g. t.T.normal_()). */
void rng_normal_serial_f32(TnRng *g, float *out, int64_t n, double mean, double std);
void rng_normal_serial_f64(TnRng *g, double *out, int64_t n, double mean, double std);

/* exponential_(lambd) and geometric_(p) (results are whole numbers >= 1). */
void rng_exponential_f32(TnRng *g, float *out, int64_t n, double lambd);
void rng_exponential_f64(TnRng *g, double *out, int64_t n, double lambd);
void rng_geometric_f32(TnRng *g, float *out, int64_t n, double p);
void rng_geometric_f64(TnRng *g, double *out, int64_t n, double p);

/* ---- discrete ----------------------------------------------------------- */

/* randint(low, high) / random_(low, high): values in [low, high), high > low.
 * Every output dtype consumes the generator the same way; cast the int64s. */
void rng_randint_i64(TnRng *g, int64_t *out, int64_t n, int64_t low, int64_t high);

/* randperm(n): one algorithm for every n on CPU (swap i with i + u32 % (n-i)). */
void rng_randperm_i64(TnRng *g, int64_t *out, int64_t n);

/* bernoulli_(p) with a scalar p in [0, 1], output 0/1 (also the dropout draw). */
void rng_bernoulli_scalar_f32(TnRng *g, float *out, int64_t n, double p);
void rng_bernoulli_scalar_f64(TnRng *g, double *out, int64_t n, double p);
void rng_bernoulli_scalar_u8(TnRng *g, uint8_t *out, int64_t n, double p);
/* torch.bernoulli(p) / t.bernoulli_(p_tensor) with a probability tensor
 * (already broadcast to n, in the output's iteration order). The draw depends
 * on p's dtype only: float32 p uses 24-bit uniforms (u32), float64 p 53-bit
 * (u64); cast the 0/1 results if the output dtype differs. */
void rng_bernoulli_f32(TnRng *g, float *out, const float *p, int64_t n);
void rng_bernoulli_f64(TnRng *g, double *out, const double *p, int64_t n);

/* Dropout noise for F.dropout / nn.Dropout in training mode with 0 < p < 1:
 * noise = bernoulli_(1 - p) then noise /= (1 - p); the output is x * noise
 * (float: kept entries are 1.0f / (float)(1 - p)). The noise is a fresh
 * contiguous tensor, so it is in x's logical row-major order even for a
 * non-contiguous x. PyTorch draws nothing when p == 0, p == 1, not training,
 * or n == 0 (p == 1 returns x * 0). */
void rng_dropout_noise_f32(TnRng *g, float *noise, int64_t n, double p);
void rng_dropout_noise_f64(TnRng *g, double *noise, int64_t n, double p);

/* torch.poisson(rates): rates >= 0 (checked by the caller). */
void rng_poisson_f32(TnRng *g, float *out, const float *rates, int64_t n);
void rng_poisson_f64(TnRng *g, double *out, const double *rates, int64_t n);

typedef enum {
    RNG_OK = 0,
    RNG_ERR_BAD_PROB,     /* inf, nan or negative entry (checked up front, no replacement) */
    RNG_ERR_NEGATIVE,     /* negative or nan entry met while sampling with replacement */
    RNG_ERR_NONFINITE,    /* infinite entry met while sampling with replacement */
    RNG_ERR_ZERO_SUM,     /* a row sums to zero */
    RNG_ERR_TOO_MANY,     /* n_sample > categories without replacement */
    RNG_ERR_NO_MEMORY
} RngStatus;
/* PyTorch's message for a status (for the interpreter's RuntimeError). */
const char *rng_status_message(RngStatus st);

/* torch.multinomial over `rows` distributions of `cols` weights (row-major,
 * rows = 1 for a 1-D input); out is rows x n_sample int64.
 * Without replacement: rows * cols exponential draws (one u64 each) up front,
 * then per row argmax (n_sample == 1) or topk(p / q, n_sample), ties ordered
 * as PyTorch's libstdc++-based topk leaves them (matters when zero weights are
 * picked). With replacement (any n_sample, 1 included): one u64 uniform per
 * sample, searched in the row's normalised cumulative sums.
 * Validation happens before any draw, except that with replacement a bad row
 * is found only when reached (earlier rows have consumed their draws, as in
 * PyTorch). The caller checks dim (1 or 2) and n_sample > 0 as PyTorch does. */
RngStatus rng_multinomial_f32(TnRng *g, int64_t *out, const float *probs, int64_t rows,
                              int64_t cols, int64_t n_sample, bool replacement);
RngStatus rng_multinomial_f64(TnRng *g, int64_t *out, const double *probs, int64_t rows,
                              int64_t cols, int64_t n_sample, bool replacement);

#endif
