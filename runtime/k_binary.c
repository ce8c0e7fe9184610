/* k_binary.c: elementwise binary kernels (arithmetic, comparison, logic) per dtype. */
#include "kernels.h"
#include <math.h>
#include <stddef.h>

/* One loop: out[i] = EXPR(a, b). Four fast paths the compiler vectorises (in place, all
 * contiguous, b broadcast, a broadcast) and a general strided path. In place (out is a, as in
 * x += y and gradient accumulation) has its own loop because the vectoriser's overlap test
 * between out and a fails when they are the same array, which left x += y scalar. */
#define BLOOP(NAME, TI, TO, EXPR)                                                             \
    TN_KERNEL static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)                        \
    {                                                                                         \
        TnKernelStatus *ks = ctx;                                                             \
        (void)ks;                                                                             \
        const int64_t si = sizeof(TI), so = sizeof(TO);                                       \
        if (si == so && p[0] == p[1] && s[0] == so && s[1] == si && s[2] == si) {             \
            TI *o = (TI *)p[0];                                                               \
            const TI *y = (const TI *)p[2];                                                   \
            for (int64_t i = 0; i < n; i++) {                                                 \
                TI a = o[i], b = y[i];                                                        \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else if (s[0] == so && s[1] == si && s[2] == si) {                                  \
            TO *o = (TO *)p[0];                                                               \
            const TI *x = (const TI *)p[1], *y = (const TI *)p[2];                            \
            for (int64_t i = 0; i < n; i++) {                                                 \
                TI a = x[i], b = y[i];                                                        \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else if (s[0] == so && s[1] == si && s[2] == 0) {                                   \
            TO *o = (TO *)p[0];                                                               \
            const TI *x = (const TI *)p[1];                                                   \
            const TI b = *(const TI *)p[2];                                                   \
            for (int64_t i = 0; i < n; i++) {                                                 \
                TI a = x[i];                                                                  \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else if (s[0] == so && s[1] == 0 && s[2] == si) {                                   \
            TO *o = (TO *)p[0];                                                               \
            const TI a = *(const TI *)p[1];                                                   \
            const TI *y = (const TI *)p[2];                                                   \
            for (int64_t i = 0; i < n; i++) {                                                 \
                TI b = y[i];                                                                  \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else {                                                                              \
            char *o = p[0], *x = p[1], *y = p[2];                                             \
            for (int64_t i = 0; i < n; i++, o += s[0], x += s[1], y += s[2]) {                \
                TI a = *(const TI *)x, b = *(const TI *)y;                                    \
                *(TO *)o = (EXPR);                                                            \
            }                                                                                 \
        }                                                                                     \
    }

/* ------------------------------------------------------------- helpers */
/* PyTorch's div_floor for floating types (ATen BinaryOps.cpp). */
#define FLOORDIV_FLOAT(T, SFX)                                                                \
    static inline T floordiv_##SFX(T a, T b)                                                  \
    {                                                                                         \
        if (b == 0)                                                                           \
            return a / b;                                                                     \
        T mod = fmod##SFX##_(a, b);                                                           \
        T div = (a - mod) / b;                                                                \
        if (mod != 0 && (b < 0) != (mod < 0))                                                 \
            div -= 1;                                                                         \
        T fl;                                                                                 \
        if (div != 0) {                                                                       \
            fl = floor##SFX##_(div);                                                          \
            if (div - fl > (T)0.5)                                                            \
                fl += 1;                                                                      \
        } else {                                                                              \
            fl = copysign##SFX##_((T)0, a / b);                                               \
        }                                                                                     \
        return fl;                                                                            \
    }                                                                                         \
    static inline T rem_##SFX(T a, T b)                                                       \
    {                                                                                         \
        T m = fmod##SFX##_(a, b);                                                             \
        if (m != 0 && (b < 0) != (m < 0))                                                     \
            m += b;                                                                           \
        return m;                                                                             \
    }                                                                                         \
    static inline T max_##SFX(T a, T b)                                                       \
    {                                                                                         \
        return a != a ? a : b != b ? b : a > b ? a : b;                                       \
    }                                                                                         \
    static inline T min_##SFX(T a, T b)                                                       \
    {                                                                                         \
        return a != a ? a : b != b ? b : a < b ? a : b;                                       \
    }
#define fmodf_     fmodf
#define floorf_    floorf
#define copysignf_ copysignf
#define fmod_      fmod
#define floor_     floor
#define copysign_  copysign
FLOORDIV_FLOAT(float, f)
FLOORDIV_FLOAT(double, )

/* Integer helpers work in int64 with unsigned wrap-around (no UB on overflow). */
static inline int64_t i_floordiv(int64_t a, int64_t b, TnKernelStatus *ks)
{
    if (b == 0) {
        ks->zero_div = 1;
        return 0;
    }
    if (b == -1)
        return (int64_t)(0 - (uint64_t)a);
    int64_t q = a / b, r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        q--;
    return q;
}
static inline int64_t i_truncdiv(int64_t a, int64_t b, TnKernelStatus *ks)
{
    if (b == 0) {
        ks->zero_div = 1;
        return 0;
    }
    return b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
}
static inline int64_t i_rem(int64_t a, int64_t b, TnKernelStatus *ks)
{
    if (b == 0) {
        ks->zero_div = 1;
        return 0;
    }
    if (b == -1)
        return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}
static inline int64_t i_fmod(int64_t a, int64_t b, TnKernelStatus *ks)
{
    if (b == 0) {
        ks->zero_div = 1;
        return 0;
    }
    return b == -1 ? 0 : a % b;
}
static inline int64_t i_pow(int64_t a, int64_t b)
{
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    uint64_t r = 1, base = (uint64_t)a;
    while (b) {
        if (b & 1)
            r *= base;
        base *= base;
        b >>= 1;
    }
    return (int64_t)r;
}
static inline int64_t i_shl(int64_t a, int64_t b, int bits)
{
    return b < 0 || b >= bits ? 0 : (int64_t)((uint64_t)a << b);
}
static inline int64_t i_shr(int64_t a, int64_t b, int bits)
{
    return b < 0 || b >= bits ? (a < 0 ? -1 : 0) : a >> b;
}

/* ------------------------------------------------------ arithmetic loops */
/* Integer arithmetic goes through the unsigned type U so overflow wraps. */
#define INT_LOOPS(T, U, SFX, BITS)                                                            \
    BLOOP(add_##SFX, T, T, (T)((U)a + (U)b))                                                  \
    BLOOP(sub_##SFX, T, T, (T)((U)a - (U)b))                                                  \
    BLOOP(mul_##SFX, T, T, (T)((U)a * (U)b))                                                  \
    BLOOP(divt_##SFX, T, T, (T)i_truncdiv(a, b, ks))                                          \
    BLOOP(floordiv_##SFX, T, T, (T)i_floordiv(a, b, ks))                                      \
    BLOOP(rem_##SFX, T, T, (T)i_rem(a, b, ks))                                                \
    BLOOP(fmod_##SFX, T, T, (T)i_fmod(a, b, ks))                                              \
    BLOOP(pow_##SFX, T, T, (T)i_pow(a, b))                                                    \
    BLOOP(max_##SFX, T, T, a > b ? a : b)                                                     \
    BLOOP(min_##SFX, T, T, a < b ? a : b)                                                     \
    BLOOP(and_##SFX, T, T, a & b)                                                             \
    BLOOP(or_##SFX, T, T, a | b)                                                              \
    BLOOP(xor_##SFX, T, T, a ^ b)                                                             \
    BLOOP(shl_##SFX, T, T, (T)i_shl(a, b, BITS))                                              \
    BLOOP(shr_##SFX, T, T, (T)i_shr(a, b, BITS))

#define FLOAT_LOOPS(T, SFX, FS)                                                               \
    BLOOP(add_##SFX, T, T, a + b)                                                             \
    BLOOP(sub_##SFX, T, T, a - b)                                                             \
    BLOOP(mul_##SFX, T, T, a * b)                                                             \
    BLOOP(div_##SFX, T, T, a / b)                                                             \
    BLOOP(divt_##SFX, T, T, trunc##FS(a / b))                                                 \
    BLOOP(floordiv_##SFX, T, T, floordiv_##FS(a, b))                                          \
    BLOOP(rem_##SFX, T, T, rem_##FS(a, b))                                                    \
    BLOOP(fmod_##SFX, T, T, fmod##FS(a, b))                                                   \
    BLOOP(pow_##SFX, T, T, pow##FS(a, b))                                                     \
    BLOOP(max_##SFX, T, T, max_##FS(a, b))                                                    \
    BLOOP(min_##SFX, T, T, min_##FS(a, b))                                                    \
    BLOOP(atan2_##SFX, T, T, atan2##FS(a, b))                                                 \
    BLOOP(tanhbw_##SFX, T, T, a * fma##FS(-b, b, 1))

#define CMP_LOOPS(T, SFX)                                                                     \
    BLOOP(eq_##SFX, T, bool, a == b)                                                          \
    BLOOP(ne_##SFX, T, bool, a != b)                                                          \
    BLOOP(lt_##SFX, T, bool, a < b)                                                           \
    BLOOP(le_##SFX, T, bool, a <= b)                                                          \
    BLOOP(gt_##SFX, T, bool, a > b)                                                           \
    BLOOP(ge_##SFX, T, bool, a >= b)

INT_LOOPS(int32_t, uint32_t, i32, 32)
INT_LOOPS(int64_t, uint64_t, i64, 64)
FLOAT_LOOPS(float, f32, f)
FLOAT_LOOPS(double, f64, )
CMP_LOOPS(bool, b)
CMP_LOOPS(int32_t, i32)
CMP_LOOPS(int64_t, i64)
CMP_LOOPS(float, f32)
CMP_LOOPS(double, f64)
BLOOP(or_b, bool, bool, a | b)
BLOOP(and_b, bool, bool, a & b)
BLOOP(xor_b, bool, bool, a ^ b)

/* pow with a tensor exponent (or a scalar base): float32 as PyTorch's cpu_kernel_vec, Sleef's
 * powf on the 16-element chunks of a contiguous row (a scalar operand may repeat) and powf on
 * the rest; float64 uses pow. */
static void pow_tensor_f32(char **p, const int64_t *s, int64_t n, void *ctx)
{
    const int64_t f = sizeof(float);
    int64_t m = 0;
    if (s[0] == f && (s[1] == f || s[1] == 0) && (s[2] == f || s[2] == 0) && (s[1] | s[2])) {
        m = n - n % 16;
        ks_powf_n((float *)p[0], (const float *)p[1], s[1] / f, (const float *)p[2], s[2] / f, m);
    }
    char *rest[3] = {p[0] + m * s[0], p[1] + m * s[1], p[2] + m * s[2]};
    pow_f32(rest, s, n - m, ctx);
}
#define POW_TENSOR_f32 pow_tensor_f32
#define POW_TENSOR_f64 pow_f64

/* x ** e for a scalar e, as PyTorch's pow_tensor_scalar kernel: sqrt, rsqrt and reciprocal
 * for 0.5, -0.5 and -1, products for 2, 3 and -2, and pow otherwise. In its -2 case the
 * scalar tail of a contiguous row (n % VEC elements) and a strided row divide in double. */
#define POW_SCALAR_LOOP(SFX, T, SQRT, VEC, GENERAL, VEC_GENERAL)                                                \
    static inline T powsc_##SFX##_one(T a, double e, bool tail)                                  \
    {                                                                                         \
        if (e == 0.5)                                                                         \
            return SQRT(a);                                                                   \
        if (e == -0.5)                                                                        \
            return 1 / SQRT(a);                                                            \
        if (e == -1)                                                                          \
            return 1 / a;                                                                     \
        if (e == 2)                                                                           \
            return a * a;                                                                     \
        if (e == 3)                                                                           \
            return a * a * a;                                                                 \
        if (e == -2)                                                                          \
            return tail ? (T)(1.0 / (double)(a * a)) : 1 / (a * a);                          \
        return GENERAL;                                                                       \
    }                                                                                         \
    /* the vectorised part of a contiguous row, one loop per case */                      \
    TN_KERNEL static void powsc_##SFX##_vec(T *o, const T *x, int64_t n, double e)           \
    {                                                                                         \
        if (e == 2)                                                                           \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = x[i] * x[i];                                                           \
        else if (e == 3)                                                                      \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = x[i] * x[i] * x[i];                                                    \
        else if (e == 0.5)                                                                    \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = SQRT(x[i]);                                                            \
        else if (e == -0.5 || e == -1 || e == -2)                                             \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = powsc_##SFX##_one(x[i], e, false);                                     \
        else                                                                                  \
            VEC_GENERAL;                                                                      \
    }                                                                                         \
    static void powsc_##SFX(char **p, const int64_t *s, int64_t n, void *ctx)                 \
    {                                                                                         \
        if (s[2] != 0) {                                                                      \
            POW_TENSOR_##SFX(p, s, n, ctx);                                                   \
            return;                                                                           \
        }                                                                                     \
        const TnKernelStatus *ks = ctx;                                                       \
        double e = ks && ks->scalar_b ? *ks->scalar_b : *(const T *)p[2];                     \
        int64_t m = 0;                                                                        \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                         \
            m = n - n % VEC;                                                                  \
            powsc_##SFX##_vec((T *)p[0], (const T *)p[1], m, e);                              \
        }                                                                                     \
        for (int64_t i = m; i < n; i++) {                                                     \
            T a = *(const T *)(p[1] + i * s[1]);                                              \
            *(T *)(p[0] + i * s[0]) = powsc_##SFX##_one(a, e, true);                          \
        }                                                                                     \
    }
static void powf_vec(float *o, const float *x, int64_t n, float e)
{
    ks_powf_n(o, x, 1, &e, 0, n);
}
POW_SCALAR_LOOP(f32, float, sqrtf, 16, (float)pow((double)a, e), powf_vec(o, x, n, (float)e))
POW_SCALAR_LOOP(f64, double, sqrt, 8, pow(a, e), for (int64_t i = 0; i < n; i++) o[i] = pow(x[i], e))

#define ALL5(F) {F##_b, F##_i32, F##_i64, F##_f32, F##_f64}
#define INTS(F) {NULL, F##_i32, F##_i64, NULL, NULL}
#define NUMS(F) {NULL, F##_i32, F##_i64, F##_f32, F##_f64}
#define FLTS(F) {NULL, NULL, NULL, F##_f32, F##_f64}

const TnLoopFn k_binary_loops[BOP_COUNT][K_NTYPES] = {
    [BOP_ADD] = {or_b, add_i32, add_i64, add_f32, add_f64},
    [BOP_SUB] = NUMS(sub),
    [BOP_MUL] = {and_b, mul_i32, mul_i64, mul_f32, mul_f64},
    [BOP_DIV] = FLTS(div),
    [BOP_DIV_TRUNC] = NUMS(divt),
    [BOP_FLOORDIV] = NUMS(floordiv),
    [BOP_REM] = NUMS(rem),
    [BOP_FMOD] = NUMS(fmod),
    [BOP_POW] = {NULL, pow_i32, pow_i64, powsc_f32, powsc_f64},
    [BOP_MAXIMUM] = {or_b, max_i32, max_i64, max_f32, max_f64},
    [BOP_MINIMUM] = {and_b, min_i32, min_i64, min_f32, min_f64},
    [BOP_ATAN2] = FLTS(atan2),
    /* g * (1 - y^2) for tanh's gradient: GCC contracts PyTorch's 1 - y * y into one FMA */
    [BOP_TANH_BW] = FLTS(tanhbw),
    [BOP_BITAND] = {and_b, and_i32, and_i64, NULL, NULL},
    [BOP_BITOR] = {or_b, or_i32, or_i64, NULL, NULL},
    [BOP_BITXOR] = {xor_b, xor_i32, xor_i64, NULL, NULL},
    [BOP_LSHIFT] = INTS(shl),
    [BOP_RSHIFT] = INTS(shr),
    [BOP_EQ] = ALL5(eq),
    [BOP_NE] = ALL5(ne),
    [BOP_LT] = ALL5(lt),
    [BOP_LE] = ALL5(le),
    [BOP_GT] = ALL5(gt),
    [BOP_GE] = ALL5(ge),
    [BOP_LAND] = {and_b, NULL, NULL, NULL, NULL},
    [BOP_LOR] = {or_b, NULL, NULL, NULL, NULL},
    [BOP_LXOR] = {xor_b, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------ fused multiply-add */
/* Its own clones: the x86-64 default clone has no FMA instruction and calls libm's fma,
 * which is exact too, only slower. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define TN_FMA_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3")))
#else
#define TN_FMA_KERNEL
#endif

#define FMA_LOOP(T, SFX, FS)                                                                  \
    TN_FMA_KERNEL static void fma_##SFX(char **p, const int64_t *s, int64_t n, void *ctx)     \
    {                                                                                         \
        (void)ctx;                                                                            \
        const int64_t e = sizeof(T);                                                          \
        if (s[0] == e && s[1] == e && s[2] == 0 && s[3] == e) {                               \
            T *o = (T *)p[0];                                                                 \
            const T *x = (const T *)p[1], *z = (const T *)p[3];                               \
            const T y = *(const T *)p[2];                                                     \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = fma##FS(x[i], y, z[i]);                                                \
        } else if (s[0] == e && s[1] == 0 && s[2] == e && s[3] == e) {                        \
            T *o = (T *)p[0];                                                                 \
            const T *y = (const T *)p[2], *z = (const T *)p[3];                               \
            const T x = *(const T *)p[1];                                                     \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = fma##FS(x, y[i], z[i]);                                                \
        } else {                                                                              \
            char *o = p[0], *x = p[1], *y = p[2], *z = p[3];                                  \
            for (int64_t i = 0; i < n; i++, o += s[0], x += s[1], y += s[2], z += s[3])       \
                *(T *)o = fma##FS(*(const T *)x, *(const T *)y, *(const T *)z);               \
        }                                                                                     \
    }

FMA_LOOP(float, f32, f)
FMA_LOOP(double, f64, )

const TnLoopFn k_fma_loops[K_NTYPES] = {NULL, NULL, NULL, fma_f32, fma_f64};
