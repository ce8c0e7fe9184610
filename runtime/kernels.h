/* kernels.h: the elementwise kernel families, as loop tables indexed by op and
 * dtype. Kernels work on raw pointers and byte strides (see iter.h) and know
 * nothing of tensors or the interpreter. A NULL entry means the op is not
 * defined for that dtype (the op layer raises PyTorch's error first). */
#ifndef TN_KERNELS_H
#define TN_KERNELS_H

#include "iter.h"

/* Kernel loops are compiled at -O3, because -O2 vectorises only loops of known trip count, and
 * cloned for AVX2, chosen when the program loads. The clones have no FMA, so a * b + c still
 * rounds twice as in PyTorch. Sanitizer builds keep plain functions. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define TN_KERNEL __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define TN_KERNEL
#endif

/* dtype indices, as in TnDType */
enum { K_BOOL, K_I32, K_I64, K_F32, K_F64, K_NTYPES };

/* Binary ops: out = a op b, all three of the compute dtype, except comparisons
 * and logical ops whose output is bool. (name, torch name) */
#define TN_BINARY_OPS(X)                                                                       \
    X(ADD, add)                                                                                \
    X(SUB, sub)                                                                                \
    X(MUL, mul)                                                                                \
    X(DIV, div)                                                                                \
    X(DIV_TRUNC, div_trunc)                                                                    \
    X(FLOORDIV, floor_divide)                                                                  \
    X(REM, remainder)                                                                          \
    X(FMOD, fmod)                                                                              \
    X(POW, pow)                                                                                \
    X(MAXIMUM, maximum)                                                                        \
    X(MINIMUM, minimum)                                                                        \
    X(ATAN2, atan2)                                                                            \
    X(TANH_BW, tanh_backward)                                                                  \
    X(BITAND, bitwise_and)                                                                     \
    X(BITOR, bitwise_or)                                                                       \
    X(BITXOR, bitwise_xor)                                                                     \
    X(LSHIFT, bitwise_left_shift)                                                              \
    X(RSHIFT, bitwise_right_shift)                                                             \
    X(EQ, eq)                                                                                  \
    X(NE, ne)                                                                                  \
    X(LT, lt)                                                                                  \
    X(LE, le)                                                                                  \
    X(GT, gt)                                                                                  \
    X(GE, ge)                                                                                  \
    X(LAND, logical_and)                                                                       \
    X(LOR, logical_or)                                                                         \
    X(LXOR, logical_xor)

typedef enum {
#define X(N, n) BOP_##N,
    TN_BINARY_OPS(X)
#undef X
        BOP_COUNT
} TnBinaryOp;
#define BOP_IS_CMP(op)     ((op) >= BOP_EQ && (op) <= BOP_GE)
#define BOP_IS_LOGICAL(op) ((op) >= BOP_LAND)
#define BOP_IS_BITWISE(op) ((op) >= BOP_BITAND && (op) <= BOP_RSHIFT)

/* Set (to 1) by integer division kernels that met a zero divisor. */
typedef struct {
    int zero_div;
    /* b as the double it was when a Python number (NULL otherwise): PyTorch's scalar pow
     * raises float32 elements to the double exponent in its scalar loop */
    const double *scalar_b;
} TnKernelStatus;

extern const TnLoopFn k_binary_loops[BOP_COUNT][K_NTYPES];

/* Fused multiply-add over four operands: out = x * y + z rounded once, for the floating
 * dtypes only (NULL elsewhere). PyTorch's vectorised add/sub with alpha, lerp and addcmul
 * compute this way (vec::fmadd), so their last bits depend on it. */
extern const TnLoopFn k_fma_loops[K_NTYPES];

/* Unary ops. Kind F: floating only (integer inputs are converted to the default
 * float first). Kind S: same dtype in and out. Kind B: bool output. */
#define TN_UNARY_OPS(X)                                                                        \
    X(NEG, neg, S)                                                                             \
    X(ABS, abs, S)                                                                             \
    X(SIGN, sign, S)                                                                           \
    X(SGN, sgn, S)                                                                             \
    X(FLOOR, floor, S)                                                                         \
    X(CEIL, ceil, S)                                                                           \
    X(ROUND, round, S)                                                                         \
    X(TRUNC, trunc, S)                                                                         \
    X(FRAC, frac, S)                                                                           \
    X(SQUARE, square, S)                                                                       \
    X(RELU, relu, S)                                                                           \
    X(BITNOT, bitwise_not, S)                                                                  \
    X(RECIPROCAL, reciprocal, F)                                                               \
    X(EXP, exp, F)                                                                             \
    X(EXP2, exp2, F)                                                                           \
    X(EXPM1, expm1, F)                                                                         \
    X(LOG, log, F)                                                                             \
    X(LOG2, log2, F)                                                                           \
    X(LOG10, log10, F)                                                                         \
    X(LOG1P, log1p, F)                                                                         \
    X(SQRT, sqrt, F)                                                                           \
    X(RSQRT, rsqrt, F)                                                                         \
    X(SIN, sin, F)                                                                             \
    X(COS, cos, F)                                                                             \
    X(TAN, tan, F)                                                                             \
    X(ASIN, asin, F)                                                                           \
    X(ACOS, acos, F)                                                                           \
    X(ATAN, atan, F)                                                                           \
    X(SINH, sinh, F)                                                                           \
    X(COSH, cosh, F)                                                                           \
    X(TANH, tanh, F)                                                                           \
    X(ASINH, asinh, F)                                                                         \
    X(ACOSH, acosh, F)                                                                         \
    X(ATANH, atanh, F)                                                                         \
    X(SIGMOID, sigmoid, F)                                                                     \
    X(ERF, erf, F)                                                                             \
    X(ERFC, erfc, F)                                                                           \
    X(LGAMMA, lgamma, F)                                                                       \
    X(ISNAN, isnan, B)                                                                         \
    X(ISINF, isinf, B)                                                                         \
    X(ISFINITE, isfinite, B)                                                                   \
    X(ISPOSINF, isposinf, B)                                                                   \
    X(ISNEGINF, isneginf, B)                                                                   \
    X(SIGNBIT, signbit, B)                                                                     \
    X(LNOT, logical_not, B)

typedef enum {
#define X(N, n, k) UN_##N,
    TN_UNARY_OPS(X)
#undef X
        UN_COUNT
} TnUnaryOp;

enum { UK_S, UK_F, UK_B };
extern const int k_unary_kind[UN_COUNT];
extern const TnLoopFn k_unary_loops[UN_COUNT][K_NTYPES];

/* k_sum.c: floating sums in PyTorch's exact order of additions. The reduction is described
 * by the input's shape and two byte-stride lists: the input's, and the output's with 0 for
 * every reduced dim. The output (float32, or float64 when f64) must be zero-filled; sums are
 * added into it. */
#define KSUM_MAX_DIMS 16
typedef struct {
    int ndim;
    int64_t sizes[KSUM_MAX_DIMS], in_strides[KSUM_MAX_DIMS], out_strides[KSUM_MAX_DIMS];
} KSumDims;
void ksum_run(const KSumDims *d, char *out, const char *in, bool f64);
/* The sum of n contiguous elements (a whole contiguous tensor), as 0 + ksum_run's. */
float ksum_flat_f32(const float *x, int64_t n);
double ksum_flat_f64(const double *x, int64_t n);

/* k_vmath.c: float32 exp and log with the bits of Sleef's expf_u10 and logf_u10, which
 * PyTorch's vectorised kernels use: one value, or n contiguous values (out may be in). */
float kv_expf(float x);
float kv_logf(float x);
void kv_expf_n(float *out, const float *in, int64_t n);
void kv_logf_n(float *out, const float *in, int64_t n);
void kv_sigmoidf_n(float *out, const float *in, int64_t n); /* vectorised sigmoid */
void kv_sigmoid_n(double *out, const double *in, int64_t n);
/* float64 exp with the bits of Sleef's exp_u10 (PyTorch's double exp kernel). */
double kv_exp(double x);
double kv_log(double x); /* Sleef's log_u10 */
void kv_exp_n(double *out, const double *in, int64_t n);
/* k_sleef.c: float32 functions with the bits of the Sleef functions PyTorch's AVX2 kernels
 * call: one value, or n contiguous values (out may be in). */
#define KS_FUNCS(X) X(tanh) X(sinh) X(cosh) X(expm1) X(log1p) X(log10) X(log2) X(erf) X(erfc) \
    X(asin) X(acos) X(atan) X(sin) X(cos)
#define X(F)                                                                                  \
    float ks_##F##f(float x);                                                                 \
    void ks_##F##f_n(float *out, const float *in, int64_t n);
KS_FUNCS(X)
#undef X
/* Sleef's powf_u10; ks_powf_n takes element strides 0 (a repeated scalar) or 1 */
float ks_powf(float x, float y);
void ks_powf_n(float *out, const float *x, int64_t xs, const float *y, int64_t ys, int64_t n);
/* float32 softmax/log_softmax bit for bit as PyTorch: a contiguous last-dim row of n > 0, or
 * columns [c0, c1) of one contiguous (dim, inner) block when the dim is not the last (c0 a
 * multiple of 8). */
void kv_softmax_row(bool logsm, const float *x, float *out, int64_t n);
#define KV_COLS 512 /* columns handled together; a multiple of 8 */
void kv_softmax_cols(bool logsm, const float *x, float *out, int64_t dim, int64_t inner, int64_t c0,
                     int64_t c1);

#endif
