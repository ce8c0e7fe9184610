/* k_unary.c: elementwise unary kernels per dtype (math functions, rounding, tests). */
#include "kernels.h"
#include <stddef.h>
#include <tgmath.h> /* exp(x) is expf for float x: one expression serves both float types */

#define ULOOP(NAME, TI, TO, EXPR)                                                             \
    TN_KERNEL static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)              \
    {                                                                                         \
        (void)ctx;                                                                            \
        if (s[0] == sizeof(TO) && s[1] == sizeof(TI)) {                                       \
            TO *o = (TO *)p[0];                                                               \
            const TI *in = (const TI *)p[1];                                                  \
            for (int64_t i = 0; i < n; i++) {                                                 \
                TI x = in[i];(void)x;                                                               \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else {                                                                              \
            char *o = p[0], *in = p[1];                                                       \
            for (int64_t i = 0; i < n; i++, o += s[0], in += s[1]) {                          \
                TI x = *(const TI *)in;(void)x;                                                     \
                *(TO *)o = (EXPR);                                                            \
            }                                                                                 \
        }                                                                                     \
    }

/* Ops defined for every numeric type: (name, int expression, float expression). */
#define SAME_OPS(X)                                                                           \
    X(neg, (T)(0 - (U)x), -x)                                                                 \
    X(abs, x < 0 ? (T)(0 - (U)x) : x, fabs(x))                                                \
    X(sign, (T)((x > 0) - (x < 0)), (T)((x > 0) - (x < 0)))                                   \
    X(floor, x, floor(x))                                                                     \
    X(ceil, x, ceil(x))                                                                       \
    X(round, x, nearbyint(x))                                                                 \
    X(trunc, x, trunc(x))                                                                     \
    X(frac, (T)(x - x), x - trunc(x))                                                               \
    X(square, (T)((U)x * (U)x), x * x)                                                        \
    X(relu, x < 0 ? 0 : x, x < 0 ? 0 : x)

#define FLOAT_OPS(X)                                                                          \
    X(reciprocal, 1 / x)                                                                      \
    X(exp2, exp2(x))                                                                          \
    X(sqrt, sqrt(x))                                                                          \
    X(rsqrt, 1 / sqrt(x))                                                                     \
    X(tan, tan(x))                                                                            \
    X(asinh, asinh(x))                                                                        \
    X(acosh, acosh(x))                                                                        \
    X(atanh, atanh(x))                                                                        \
    X(lgamma, lgamma(x))

/* Ops whose float32 kernel is Sleef's (below); float64 still uses libm. */
#define F64_ONLY_OPS(X)                                                                       \
    X(sin, sin(x))                                                                            \
    X(cos, cos(x))                                                                            \
    X(expm1, expm1(x))                                                                        \
    X(log2, log2(x))                                                                          \
    X(log10, log10(x))                                                                        \
    X(log1p, log1p(x))                                                                        \
    X(asin, asin(x))                                                                          \
    X(acos, acos(x))                                                                          \
    X(atan, atan(x))                                                                          \
    X(sinh, sinh(x))                                                                          \
    X(cosh, cosh(x))                                                                          \
    X(tanh, tanh(x))                                                                          \
    X(erf, erf(x))                                                                            \
    X(erfc, erfc(x))

/* Tests with a bool result: (name, int expression, float expression). */
#define BOOL_OPS(X)                                                                           \
    X(isnan, false, x != x)                                                                   \
    X(isinf, false, isinf(x))                                                                 \
    X(isfinite, true, isfinite(x))                                                            \
    X(isposinf, false, x == INFINITY)                                                         \
    X(isneginf, false, x == -INFINITY)                                                        \
    X(signbit, (int64_t)x < 0, signbit(x))                                                    \
    X(lnot, x == 0, x == 0)

/* T/U name the element type inside an integer expression. */
#define T int32_t
#define U uint32_t
#define DEF_I32(name, iexpr, fexpr) ULOOP(name##_i32, int32_t, int32_t, iexpr)
SAME_OPS(DEF_I32)
#undef T
#undef U
#define T int64_t
#define U uint64_t
#define DEF_I64(name, iexpr, fexpr) ULOOP(name##_i64, int64_t, int64_t, iexpr)
SAME_OPS(DEF_I64)
#undef T
#undef U
#define T float
#define DEF_F32(name, iexpr, fexpr) ULOOP(name##_f32, float, float, fexpr)
SAME_OPS(DEF_F32)
#undef T
#define T double
#define DEF_F64(name, iexpr, fexpr) ULOOP(name##_f64, double, double, fexpr)
SAME_OPS(DEF_F64)
#undef T

#define DEF_FLOAT(name, expr)                                                                 \
    ULOOP(name##_f32, float, float, expr)                                                     \
    ULOOP(name##_f64, double, double, expr)
FLOAT_OPS(DEF_FLOAT)
#define DEF_F64_ONLY(name, expr) ULOOP(name##_f64, double, double, expr)
F64_ONLY_OPS(DEF_F64_ONLY)

#define DEF_BOOL(name, iexpr, fexpr)                                                          \
    ULOOP(name##_b, bool, bool, iexpr)                                                        \
    ULOOP(name##_i32, int32_t, bool, iexpr)                                                   \
    ULOOP(name##_i64, int64_t, bool, iexpr)                                                   \
    ULOOP(name##_f32, float, bool, fexpr)                                                     \
    ULOOP(name##_f64, double, bool, fexpr)
BOOL_OPS(DEF_BOOL)

/* exp and float32 log are Sleef's, as PyTorch's (k_vmath.c); a strided run goes through a
 * buffer so that it is still computed eight at a time. */
#define SLEEF_LOOP(NAME, T, VEC)                                                              \
    static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)                        \
    {                                                                                         \
        (void)ctx;                                                                            \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                         \
            VEC((T *)p[0], (const T *)p[1], n);                                               \
            return;                                                                           \
        }                                                                                     \
        T buf[256];                                                                           \
        char *o = p[0];                                                                       \
        const char *in = p[1];                                                                \
        for (int64_t done = 0; done < n;) {                                                   \
            int64_t m = n - done < 256 ? n - done : 256;                                      \
            for (int64_t i = 0; i < m; i++, in += s[1])                                       \
                buf[i] = *(const T *)in;                                                      \
            VEC(buf, buf, m);                                                                 \
            for (int64_t i = 0; i < m; i++, o += s[0])                                        \
                *(T *)o = buf[i];                                                             \
            done += m;                                                                        \
        }                                                                                     \
    }
SLEEF_LOOP(exp_f32, float, kv_expf_n)
SLEEF_LOOP(exp_f64, double, kv_exp_n)
SLEEF_LOOP(log_f32, float, kv_logf_n)
ULOOP(log_f64, double, double, log(x))
/* PyTorch runs these through its vml wrappers: Sleef for every element. */
SLEEF_LOOP(tanh_f32, float, ks_tanhf_n)
SLEEF_LOOP(expm1_f32, float, ks_expm1f_n)
SLEEF_LOOP(log1p_f32, float, ks_log1pf_n)
SLEEF_LOOP(log10_f32, float, ks_log10f_n)
SLEEF_LOOP(log2_f32, float, ks_log2f_n)
SLEEF_LOOP(erf_f32, float, ks_erff_n)
SLEEF_LOOP(erfc_f32, float, ks_erfcf_n)
SLEEF_LOOP(asin_f32, float, ks_asinf_n)
SLEEF_LOOP(acos_f32, float, ks_acosf_n)
SLEEF_LOOP(atan_f32, float, ks_atanf_n)
SLEEF_LOOP(sin_f32, float, ks_sinf_n)
SLEEF_LOOP(cos_f32, float, ks_cosf_n)

/* PyTorch runs these through cpu_kernel_vec: a contiguous row two 8-lane vectors at a time with
 * Sleef, its last n % 16 elements with the scalar formula (glibc), and a strided row wholly
 * with the scalar formula. */
#define VEC16_LOOP(NAME, VEC, SCALAR) VECN_LOOP(NAME, float, 16, VEC, SCALAR)
#define VECN_LOOP(NAME, T, W, VEC, SCALAR)                                                    \
    static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)                        \
    {                                                                                         \
        (void)ctx;                                                                            \
        int64_t m = 0;                                                                        \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                         \
            m = n - n % W;                                                                    \
            VEC((T *)p[0], (const T *)p[1], m);                                               \
        }                                                                                     \
        for (int64_t i = m; i < n; i++) {                                                     \
            T x = *(const T *)(p[1] + i * s[1]);                                              \
            *(T *)(p[0] + i * s[0]) = SCALAR;                                                 \
        }                                                                                     \
    }
VEC16_LOOP(sinh_f32, ks_sinhf_n, sinhf(x))
VEC16_LOOP(cosh_f32, ks_coshf_n, coshf(x))
VEC16_LOOP(sigmoid_f32, kv_sigmoidf_n, 1 / (1 + expf(-x)))
VECN_LOOP(sigmoid_f64, double, 8, kv_sigmoid_n, 1 / (1 + exp(-x)))

ULOOP(copy_b, bool, bool, x)
ULOOP(bitnot_b, bool, bool, !x)
ULOOP(bitnot_i32, int32_t, int32_t, ~x)
ULOOP(bitnot_i64, int64_t, int64_t, ~x)

#define NUM4(F) {NULL, F##_i32, F##_i64, F##_f32, F##_f64}
#define BNUM(F) {copy_b, F##_i32, F##_i64, F##_f32, F##_f64}
#define FLT(F)  {NULL, NULL, NULL, F##_f32, F##_f64}
#define ALL(F)  {F##_b, F##_i32, F##_i64, F##_f32, F##_f64}

const int k_unary_kind[UN_COUNT] = {
#define X(N, n, k) [UN_##N] = UK_##k,
    TN_UNARY_OPS(X)
#undef X
};

const TnLoopFn k_unary_loops[UN_COUNT][K_NTYPES] = {
    [UN_NEG] = NUM4(neg),
    [UN_ABS] = BNUM(abs),
    [UN_SIGN] = BNUM(sign),
    [UN_SGN] = BNUM(sign),
    [UN_FLOOR] = BNUM(floor),
    [UN_CEIL] = BNUM(ceil),
    [UN_ROUND] = BNUM(round),
    [UN_TRUNC] = BNUM(trunc),
    [UN_FRAC] = {NULL, frac_i32, frac_i64, frac_f32, frac_f64},
    [UN_SQUARE] = NUM4(square),
    [UN_RELU] = NUM4(relu),
    [UN_BITNOT] = {bitnot_b, bitnot_i32, bitnot_i64, NULL, NULL},
    [UN_RECIPROCAL] = FLT(reciprocal),
    [UN_EXP] = FLT(exp),
    [UN_EXP2] = FLT(exp2),
    [UN_EXPM1] = FLT(expm1),
    [UN_LOG] = FLT(log),
    [UN_LOG2] = FLT(log2),
    [UN_LOG10] = FLT(log10),
    [UN_LOG1P] = FLT(log1p),
    [UN_SQRT] = FLT(sqrt),
    [UN_RSQRT] = FLT(rsqrt),
    [UN_SIN] = FLT(sin),
    [UN_COS] = FLT(cos),
    [UN_TAN] = FLT(tan),
    [UN_ASIN] = FLT(asin),
    [UN_ACOS] = FLT(acos),
    [UN_ATAN] = FLT(atan),
    [UN_SINH] = FLT(sinh),
    [UN_COSH] = FLT(cosh),
    [UN_TANH] = FLT(tanh),
    [UN_ASINH] = FLT(asinh),
    [UN_ACOSH] = FLT(acosh),
    [UN_ATANH] = FLT(atanh),
    [UN_SIGMOID] = FLT(sigmoid),
    [UN_ERF] = FLT(erf),
    [UN_ERFC] = FLT(erfc),
    [UN_LGAMMA] = FLT(lgamma),
    [UN_ISNAN] = ALL(isnan),
    [UN_ISINF] = ALL(isinf),
    [UN_ISFINITE] = ALL(isfinite),
    [UN_ISPOSINF] = ALL(isposinf),
    [UN_ISNEGINF] = ALL(isneginf),
    [UN_SIGNBIT] = ALL(signbit),
    [UN_LNOT] = ALL(lnot),
};
