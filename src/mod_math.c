/* mod_math.c: the math namespace: float functions with Python's errors, integer combinatorics. */
#include "modules.h"
#include "types.h"
#include <float.h>
#include <math.h>
#include <string.h>

static TnValue domain_error(TnState *st)
{
    return tn_raise(st, tn_ValueError, "math domain error");
}

static TnValue range_error(TnState *st)
{
    return tn_raise(st, tn_OverflowError, "math range error");
}

/* A real-number argument as a double: int, float, bool, or anything with
 * __float__ (0-d tensors). 0, or -1 with TypeError "must be real number, not str". */
static int real_arg(TnState *st, TnValue v, double *out)
{
    if (TN_LIKELY(IS_FLOAT(v))) {
        *out = AS_FLOAT(v);
        return 0;
    }
    if (IS_INTLIKE(v)) {
        *out = (double)AS_INT(v);
        return 0;
    }
    return tn_as_double(st, v, out, NULL);
}

/* Python's math_1: nan from a non-nan argument is a domain error; inf from a
 * finite one is a range error when the function can overflow, else a domain
 * error (log(0)). */
static TnValue math_1(TnState *st, TnValue arg, double (*f)(double), bool can_overflow)
{
    double x;
    if (real_arg(st, arg, &x) < 0)
        return tn_undef();
    double r = f(x);
    if (isnan(r) && !isnan(x))
        return domain_error(st);
    if (isinf(r) && isfinite(x))
        return can_overflow ? range_error(st) : domain_error(st);
    return tn_float(r);
}

static double degrees_f(double x)
{
    return x * (180.0 / M_PI);
}

static double radians_f(double x)
{
    return x * (M_PI / 180.0);
}

/* gamma and lgamma have poles at the non-positive integers: domain errors. */
static double gamma_f(double x)
{
    if (x <= 0 && x == floor(x))
        return NAN;
    return tgamma(x);
}

static double lgamma_f(double x)
{
    if (x <= 0 && x == floor(x))
        return NAN;
    return lgamma(x);
}

/* name, C function, can overflow, doc */
#define MATH_UNARY(X)                                                                              \
    X(sqrt, sqrt, false, "Return the square root of x.")                                          \
    X(exp, exp, true, "Return e raised to the power of x.")                                       \
    X(exp2, exp2, true, "Return 2 raised to the power of x.")                                     \
    X(expm1, expm1, true, "Return exp(x)-1.")                                                     \
    X(log2, log2, false, "Return the base 2 logarithm of x.")                                     \
    X(log10, log10, false, "Return the base 10 logarithm of x.")                                  \
    X(log1p, log1p, false, "Return the natural logarithm of 1+x (base e).")                       \
    X(sin, sin, false, "Return the sine of x (measured in radians).")                             \
    X(cos, cos, false, "Return the cosine of x (measured in radians).")                           \
    X(tan, tan, false, "Return the tangent of x (measured in radians).")                          \
    X(asin, asin, false, "Return the arc sine (measured in radians) of x.")                       \
    X(acos, acos, false, "Return the arc cosine (measured in radians) of x.")                     \
    X(atan, atan, false, "Return the arc tangent (measured in radians) of x.")                    \
    X(sinh, sinh, true, "Return the hyperbolic sine of x.")                                       \
    X(cosh, cosh, true, "Return the hyperbolic cosine of x.")                                     \
    X(tanh, tanh, false, "Return the hyperbolic tangent of x.")                                   \
    X(asinh, asinh, false, "Return the inverse hyperbolic sine of x.")                            \
    X(acosh, acosh, false, "Return the inverse hyperbolic cosine of x.")                          \
    X(atanh, atanh, false, "Return the inverse hyperbolic tangent of x.")                         \
    X(erf, erf, false, "Error function at x.")                                                    \
    X(erfc, erfc, false, "Complementary error function at x.")                                    \
    X(gamma, gamma_f, true, "Gamma function at x.")                                               \
    X(lgamma, lgamma_f, true, "Natural logarithm of absolute value of Gamma function at x.")      \
    X(fabs, fabs, false, "Return the absolute value of the float x.")                             \
    X(cbrt, cbrt, false, "Return the cube root of x.")                                            \
    X(degrees, degrees_f, false, "Convert angle x from radians to degrees.")                      \
    X(radians, radians_f, false, "Convert angle x from degrees to radians.")

#define MATH_WRAPPER(name, cfn, ovf, doc)                                                          \
    static TnValue math_##name(TnState *st, TnValue *a)                                           \
    {                                                                                              \
        return math_1(st, a[0], cfn, ovf);                                                         \
    }
MATH_UNARY(MATH_WRAPPER)
#undef MATH_WRAPPER

/* ------------------------------------------------------- logs and powers */

/* Natural log with Python's errors (log(0), log(-1): domain error). */
static int log_of(TnState *st, TnValue v, double *out)
{
    double x;
    if (real_arg(st, v, &x) < 0)
        return -1;
    if (isnan(x)) {
        *out = x;
        return 0;
    }
    if (x <= 0)
        return domain_error(st), -1;
    *out = log(x);
    return 0;
}

static TnValue math_log(TnState *st, TnValue *a)
{
    double num, den;
    if (log_of(st, a[0], &num) < 0)
        return tn_undef();
    if (IS_UNDEF(a[1]))
        return tn_float(num);
    if (log_of(st, a[1], &den) < 0)
        return tn_undef();
    if (den == 0.0)
        return tn_raise(st, tn_ZeroDivisionError, "float division by zero");
    return tn_float(num / den);
}

static TnValue math_pow(TnState *st, TnValue *a)
{
    double x, y;
    if (real_arg(st, a[0], &x) < 0 || real_arg(st, a[1], &y) < 0)
        return tn_undef();
    double r = pow(x, y);
    if (isfinite(x) && isfinite(y) && !isfinite(r)) {
        if (isnan(r) || x == 0.0)
            return domain_error(st);
        return range_error(st);
    }
    return tn_float(r);
}

static TnValue math_fmod(TnState *st, TnValue *a)
{
    double x, y;
    if (real_arg(st, a[0], &x) < 0 || real_arg(st, a[1], &y) < 0)
        return tn_undef();
    if (isinf(y) && isfinite(x))
        return tn_float(x);
    double r = fmod(x, y);
    if (isnan(r) && !isnan(x) && !isnan(y))
        return domain_error(st);
    return tn_float(r);
}

static TnValue math_remainder(TnState *st, TnValue *a)
{
    double x, y;
    if (real_arg(st, a[0], &x) < 0 || real_arg(st, a[1], &y) < 0)
        return tn_undef();
    double r = remainder(x, y);
    if (isnan(r) && !isnan(x) && !isnan(y))
        return domain_error(st);
    return tn_float(r);
}

static TnValue math_atan2(TnState *st, TnValue *a)
{
    double y, x;
    if (real_arg(st, a[0], &y) < 0 || real_arg(st, a[1], &x) < 0)
        return tn_undef();
    return tn_float(atan2(y, x));
}

static TnValue math_copysign(TnState *st, TnValue *a)
{
    double x, y;
    if (real_arg(st, a[0], &x) < 0 || real_arg(st, a[1], &y) < 0)
        return tn_undef();
    return tn_float(copysign(x, y));
}

static TnValue math_ldexp(TnState *st, TnValue *a)
{
    double x;
    int64_t i;
    if (real_arg(st, a[0], &x) < 0)
        return tn_undef();
    if (IS_FLOAT(a[1]))
        return tn_raise(st, tn_TypeError, "Expected an int as second argument to ldexp.");
    if (tn_as_index(st, a[1], &i, NULL) < 0)
        return tn_undef();
    if (i > 100000)
        i = 100000;
    if (i < -100000)
        i = -100000;
    double r = ldexp(x, (int)i);
    if (isinf(r) && isfinite(x))
        return range_error(st);
    return tn_float(r);
}

static TnValue math_frexp(TnState *st, TnValue *a)
{
    double x;
    int e = 0;
    if (real_arg(st, a[0], &x) < 0)
        return tn_undef();
    double m = isfinite(x) ? frexp(x, &e) : x;
    return tuple_pack(st, 2, tn_float(m), tn_int(e));
}

static TnValue math_modf(TnState *st, TnValue *a)
{
    double x, ip;
    if (real_arg(st, a[0], &x) < 0)
        return tn_undef();
    if (isinf(x))
        return tuple_pack(st, 2, tn_float(copysign(0.0, x)), tn_float(x));
    double fp = modf(x, &ip);
    return tuple_pack(st, 2, tn_float(fp), tn_float(ip));
}

/* ------------------------------------------------ rounding to integers */

/* An integral double as an int: ValueError for nan, OverflowError for inf and
 * values beyond 64 bits. */
static TnValue integral_to_int(TnState *st, double d)
{
    if (isnan(d))
        return tn_raise(st, tn_ValueError, "cannot convert float NaN to integer");
    if (isinf(d))
        return tn_raise(st, tn_OverflowError, "cannot convert float infinity to integer");
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return tn_raise(st, tn_OverflowError, "int too large to convert");
    return tn_int((int64_t)d);
}

/* __floor__, __ceil__, __trunc__ (interned by mod_math_new). */
static TnStr *s_floor, *s_ceil, *s_trunc;

/* floor/ceil/trunc: ints pass through, objects with the dunder are asked, the
 * rest go through float. */
static TnValue to_integral(TnState *st, TnValue v, double (*f)(double), TnStr *dunder,
                           bool need_dunder)
{
    if (IS_INTLIKE(v))
        return tn_int(AS_INT(v));
    if (IS_FLOAT(v))
        return integral_to_int(st, f(AS_FLOAT(v)));
    if (!IS_UNDEF(type_lookup(tn_type_of(v), dunder)))
        return tn_call_method(st, v, dunder, NULL, 0);
    if (need_dunder)
        return tn_raise(st, tn_TypeError, "type %s doesn't define %s method", tn_type_name(v),
                        dunder->data);
    double x;
    if (real_arg(st, v, &x) < 0)
        return tn_undef();
    return integral_to_int(st, f(x));
}

static TnValue math_floor(TnState *st, TnValue *a)
{
    return to_integral(st, a[0], floor, s_floor, false);
}

static TnValue math_ceil(TnState *st, TnValue *a)
{
    return to_integral(st, a[0], ceil, s_ceil, false);
}

static TnValue math_trunc(TnState *st, TnValue *a)
{
    return to_integral(st, a[0], trunc, s_trunc, true);
}

/* ---------------------------------------------------------- predicates */

static TnValue math_isnan(TnState *st, TnValue *a)
{
    double x;
    return real_arg(st, a[0], &x) < 0 ? tn_undef() : tn_bool(isnan(x));
}

static TnValue math_isinf(TnState *st, TnValue *a)
{
    double x;
    return real_arg(st, a[0], &x) < 0 ? tn_undef() : tn_bool(isinf(x));
}

static TnValue math_isfinite(TnState *st, TnValue *a)
{
    double x;
    return real_arg(st, a[0], &x) < 0 ? tn_undef() : tn_bool(isfinite(x));
}

static TnValue math_isclose(TnState *st, TnValue *a)
{
    double x, y, rel, abs_tol;
    if (real_arg(st, a[0], &x) < 0 || real_arg(st, a[1], &y) < 0 ||
        real_arg(st, a[2], &rel) < 0 || real_arg(st, a[3], &abs_tol) < 0)
        return tn_undef();
    if (rel < 0.0 || abs_tol < 0.0)
        return tn_raise(st, tn_ValueError, "tolerances must be non-negative");
    if (x == y)
        return tn_bool(true);
    if (isinf(x) || isinf(y))
        return tn_bool(false);
    double diff = fabs(y - x);
    return tn_bool(diff <= fabs(rel * y) || diff <= fabs(rel * x) || diff <= abs_tol);
}

/* ------------------------------------------------------------- sums */

/* Iterates any iterable; calls f(st, item, ctx) for each (item borrowed).
 * 0, or -1 with an exception pending. */
static int each(TnState *st, TnValue iterable, int (*f)(TnState *, TnValue, void *), void *ctx)
{
    TnValue *items;
    int64_t n;
    if (IS_TUPLE(iterable) && tn_seq_items(iterable, &items, &n)) {
        for (int64_t i = 0; i < n; i++)
            if (f(st, items[i], ctx) < 0)
                return -1;
        return 0;
    }
    TnValue it = tn_iter(st, iterable);
    if (IS_UNDEF(it))
        return -1;
    TnValue item;
    int rc = 0;
    while (!IS_UNDEF(item = tn_next(st, it))) {
        rc = f(st, item, ctx);
        tn_decref(item);
        if (rc < 0)
            break;
    }
    tn_decref(it);
    return rc < 0 || !IS_UNDEF(st->exc) ? -1 : 0;
}

static int prod_step(TnState *st, TnValue item, void *ctx)
{
    TnValue *acc = ctx;
    int64_t r;
    if (IS_INTLIKE(*acc) && IS_INTLIKE(item) &&
        !__builtin_mul_overflow(AS_INT(*acc), AS_INT(item), &r)) {
        *acc = tn_int(r);
        return 0;
    }
    if (IS_FLOAT(*acc) && IS_NUMBER(item)) {
        *acc = tn_float(AS_FLOAT(*acc) * tn_num_as_double(item));
        return 0;
    }
    TnValue p = tn_binop(st, OP_MUL, *acc, item);
    if (IS_UNDEF(p))
        return -1;
    tn_decref(*acc);
    *acc = p;
    return 0;
}

static TnValue math_prod(TnState *st, TnValue *a)
{
    TnValue acc = tn_ref(a[1]);
    if (each(st, a[0], prod_step, &acc) < 0) {
        tn_decref(acc);
        return tn_undef();
    }
    return acc;
}

/* fsum: Shewchuk's exact partial sums, as CPython's math.fsum. */
typedef struct {
    double *p;
    int64_t n, cap;
    double special, inf_sum;
    bool overflow;
} FSum;

static int fsum_step(TnState *st, TnValue item, void *ctx)
{
    FSum *s = ctx;
    double x;
    if (real_arg(st, item, &x) < 0)
        return -1;
    double xsave = x;
    int64_t i = 0;
    for (int64_t j = 0; j < s->n; j++) {
        double y = s->p[j];
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y;
            y = t;
        }
        double hi = x + y, lo = y - (hi - x);
        if (lo != 0.0)
            s->p[i++] = lo;
        x = hi;
    }
    s->n = i;
    if (x == 0.0)
        return 0;
    if (!isfinite(x)) {
        if (isfinite(xsave))
            return tn_raise_int(st, tn_OverflowError, "intermediate overflow in fsum");
        if (isinf(xsave))
            s->inf_sum += xsave;
        s->special += xsave;
        s->n = 0;
        return 0;
    }
    if (s->n == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 32;
        double *p = tn_realloc(s->p, (size_t)cap * sizeof(double));
        if (!p)
            return tn_no_memory(st), -1;
        s->p = p;
        s->cap = cap;
    }
    s->p[s->n++] = x;
    return 0;
}

static TnValue math_fsum(TnState *st, TnValue *a)
{
    FSum s = {0};
    if (each(st, a[0], fsum_step, &s) < 0) {
        tn_free(s.p);
        return tn_undef();
    }
    if (s.special != 0.0) {
        tn_free(s.p);
        if (isnan(s.inf_sum))
            return tn_raise(st, tn_ValueError, "-inf + inf in fsum");
        return tn_float(s.special);
    }
    double hi = 0.0, lo = 0.0;
    int64_t n = s.n;
    if (n > 0) {
        hi = s.p[--n];
        while (n > 0) {
            double x = hi, y = s.p[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo != 0.0)
                break;
        }
        if (n > 0 && ((lo < 0.0 && s.p[n - 1] < 0.0) || (lo > 0.0 && s.p[n - 1] > 0.0))) {
            double y = lo * 2.0, x = hi + y;
            if (y == x - hi)
                hi = x;
        }
    }
    tn_free(s.p);
    return tn_float(hi);
}

/* Euclidean norm of n values, scaled to avoid overflow. */
static double vector_norm(const double *v, int64_t n)
{
    double max = 0.0;
    bool nan = false;
    for (int64_t i = 0; i < n; i++) {
        double x = fabs(v[i]);
        if (isinf(x))
            return INFINITY;
        nan |= isnan(x);
        if (x > max)
            max = x;
    }
    if (nan)
        return NAN;
    if (max == 0.0 || n <= 1)
        return max;
    if (n == 2)
        return hypot(v[0], v[1]);
    double sum = 0.0, comp = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double x = v[i] / max, y = x * x - comp, t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    return max * sqrt(sum);
}

static TnValue norm_of(TnState *st, TnValue *items, int64_t n, TnValue *other)
{
    double small[16], *v = small;
    if (n > 16 && !(v = tn_malloc((size_t)n * sizeof(double))))
        return tn_no_memory(st);
    TnValue r = tn_undef();
    for (int64_t i = 0; i < n; i++) {
        double x, y = 0.0;
        if (real_arg(st, items[i], &x) < 0 || (other && real_arg(st, other[i], &y) < 0))
            goto done;
        v[i] = x - y;
    }
    r = tn_float(vector_norm(v, n));
done:
    if (v != small)
        tn_free(v);
    return r;
}

static TnValue math_hypot(TnState *st, TnValue *a)
{
    return norm_of(st, AS_TUPLE(a[0])->items, AS_TUPLE(a[0])->n, NULL);
}

static TnValue math_dist(TnState *st, TnValue *a)
{
    TnValue p = tuple_from_iterable(st, a[0]);
    if (IS_UNDEF(p))
        return p;
    TnValue q = tuple_from_iterable(st, a[1]);
    if (IS_UNDEF(q)) {
        tn_decref(p);
        return q;
    }
    TnValue r;
    if (AS_TUPLE(p)->n != AS_TUPLE(q)->n)
        r = tn_raise(st, tn_ValueError, "both points must have the same number of dimensions");
    else
        r = norm_of(st, AS_TUPLE(p)->items, AS_TUPLE(p)->n, AS_TUPLE(q)->items);
    tn_decref(p);
    tn_decref(q);
    return r;
}

/* ------------------------------------------------------------ integers */

static TnValue int_overflow(TnState *st, const char *fn)
{
    return tn_raise(st, tn_OverflowError, "%s() result does not fit in a 64-bit int", fn);
}

static uint64_t gcd_u(uint64_t x, uint64_t y)
{
    while (y) {
        uint64_t t = x % y;
        x = y;
        y = t;
    }
    return x;
}

static uint64_t uabs(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static TnValue math_gcd(TnState *st, TnValue *a)
{
    TnTuple *args = AS_TUPLE(a[0]);
    uint64_t g = 0;
    for (int64_t i = 0; i < args->n; i++) {
        int64_t v;
        if (tn_as_index(st, args->items[i], &v, NULL) < 0)
            return tn_undef();
        g = gcd_u(g, uabs(v));
    }
    if (g > INT64_MAX)
        return int_overflow(st, "gcd");
    return tn_int((int64_t)g);
}

static TnValue math_lcm(TnState *st, TnValue *a)
{
    TnTuple *args = AS_TUPLE(a[0]);
    uint64_t l = 1;
    for (int64_t i = 0; i < args->n; i++) {
        int64_t v;
        if (tn_as_index(st, args->items[i], &v, NULL) < 0)
            return tn_undef();
        uint64_t u = uabs(v);
        if (u == 0 || l == 0) {
            l = 0;
            continue;
        }
        uint64_t m;
        if (__builtin_mul_overflow(l / gcd_u(l, u), u, &m) || m > INT64_MAX)
            return int_overflow(st, "lcm");
        l = m;
    }
    return tn_int((int64_t)l);
}

/* n*(n-1)*...*(n-k+1) into *out; false on overflow. */
static bool falling(int64_t n, int64_t k, int64_t *out)
{
    int64_t r = 1;
    for (int64_t i = 0; i < k; i++)
        if (__builtin_mul_overflow(r, n - i, &r))
            return false;
    *out = r;
    return true;
}

static int int_arg(TnState *st, TnValue v, int64_t *out)
{
    return tn_as_index(st, v, out, NULL);
}

static TnValue math_factorial(TnState *st, TnValue *a)
{
    int64_t n, r;
    if (int_arg(st, a[0], &n) < 0)
        return tn_undef();
    if (n < 0)
        return tn_raise(st, tn_ValueError, "factorial() not defined for negative values");
    if (!falling(n, n, &r))
        return int_overflow(st, "factorial");
    return tn_int(r);
}

static TnValue math_perm(TnState *st, TnValue *a)
{
    int64_t n, k, r;
    if (int_arg(st, a[0], &n) < 0)
        return tn_undef();
    if (IS_NONE(a[1])) {
        if (n < 0)
            return tn_raise(st, tn_ValueError, "factorial() not defined for negative values");
        k = n;
    } else if (int_arg(st, a[1], &k) < 0) {
        return tn_undef();
    }
    if (n < 0)
        return tn_raise(st, tn_ValueError, "n must be a non-negative integer");
    if (k < 0)
        return tn_raise(st, tn_ValueError, "k must be a non-negative integer");
    if (k > n)
        return tn_int(0);
    if (!falling(n, k, &r))
        return int_overflow(st, "perm");
    return tn_int(r);
}

static TnValue math_comb(TnState *st, TnValue *a)
{
    int64_t n, k;
    if (int_arg(st, a[0], &n) < 0 || int_arg(st, a[1], &k) < 0)
        return tn_undef();
    if (n < 0)
        return tn_raise(st, tn_ValueError, "n must be a non-negative integer");
    if (k < 0)
        return tn_raise(st, tn_ValueError, "k must be a non-negative integer");
    if (k > n)
        return tn_int(0);
    if (k > n - k)
        k = n - k;
    unsigned __int128 r = 1;
    for (int64_t i = 0; i < k; i++) {
        r = r * (unsigned __int128)(n - i) / (unsigned __int128)(i + 1);
        if (r > INT64_MAX)
            return int_overflow(st, "comb");
    }
    return tn_int((int64_t)r);
}

static TnValue math_isqrt(TnState *st, TnValue *a)
{
    int64_t n;
    if (int_arg(st, a[0], &n) < 0)
        return tn_undef();
    if (n < 0)
        return tn_raise(st, tn_ValueError, "isqrt() argument must be nonnegative");
    uint64_t r = (uint64_t)sqrt((double)n);
    while (r * r > (uint64_t)n)
        r--;
    while ((r + 1) * (r + 1) <= (uint64_t)n)
        r++;
    return tn_int((int64_t)r);
}

/* --------------------------------------------------------------- table */

#define MATH_ROW(name, cfn, ovf, doc) {#name, math_##name, #name "(x, /)", NULL, doc},

static const TnMethodDef math_defs[] = {
    MATH_UNARY(MATH_ROW)
    {"log",       math_log,       "log(x, base=?, /)", NULL,
     "Return the logarithm of x to the given base (natural logarithm by default)."},
    {"pow",       math_pow,       "pow(x, y, /)", NULL, "Return x**y (x to the power of y)."},
    {"fmod",      math_fmod,      "fmod(x, y, /)", NULL,
     "Return fmod(x, y), according to platform C."},
    {"remainder", math_remainder, "remainder(x, y, /)", NULL,
     "Difference between x and the closest integer multiple of y."},
    {"atan2",     math_atan2,     "atan2(y, x, /)", NULL,
     "Return the arc tangent (measured in radians) of y/x."},
    {"copysign",  math_copysign,  "copysign(x, y, /)", NULL,
     "Return a float with the magnitude (absolute value) of x but the sign of y."},
    {"ldexp",     math_ldexp,     "ldexp(x, i, /)", NULL, "Return x * (2**i)."},
    {"frexp",     math_frexp,     "frexp(x, /)", NULL,
     "Return the mantissa and exponent of x, as pair (m, e)."},
    {"modf",      math_modf,      "modf(x, /)", NULL,
     "Return the fractional and integer parts of x."},
    {"floor",     math_floor,     "floor(x, /)", NULL,
     "Return the floor of x as an Integral."},
    {"ceil",      math_ceil,      "ceil(x, /)", NULL,
     "Return the ceiling of x as an Integral."},
    {"trunc",     math_trunc,     "trunc(x, /)", NULL,
     "Truncates the Real x to the nearest Integral toward 0."},
    {"isnan",     math_isnan,     "isnan(x, /)", NULL,
     "Return True if x is a NaN (not a number), and False otherwise."},
    {"isinf",     math_isinf,     "isinf(x, /)", NULL,
     "Return True if x is a positive or negative infinity, and False otherwise."},
    {"isfinite",  math_isfinite,  "isfinite(x, /)", NULL,
     "Return True if x is neither an infinity nor a NaN, and False otherwise."},
    {"isclose",   math_isclose,   "isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)", NULL,
     "Determine whether two floating point numbers are close in value."},
    {"prod",      math_prod,      "prod(iterable, /, *, start=1)", NULL,
     "Calculate the product of all the elements in the input iterable."},
    {"fsum",      math_fsum,      "fsum(seq, /)", NULL,
     "Return an accurate floating point sum of values in the iterable seq."},
    {"hypot",     math_hypot,     "hypot(*coordinates)", NULL,
     "Multidimensional Euclidean distance from the origin to a point."},
    {"dist",      math_dist,      "dist(p, q, /)", NULL,
     "Return the Euclidean distance between two points p and q."},
    {"gcd",       math_gcd,       "gcd(*integers)", NULL, "Greatest Common Divisor."},
    {"lcm",       math_lcm,       "lcm(*integers)", NULL, "Least Common Multiple."},
    {"factorial", math_factorial, "factorial(n, /)", NULL, "Find n!."},
    {"perm",      math_perm,      "perm(n, k=None, /)", NULL,
     "Number of ways to choose k items from n items without repetition and with order."},
    {"comb",      math_comb,      "comb(n, k, /)", NULL,
     "Number of ways to choose k items from n items without repetition and without order."},
    {"isqrt",     math_isqrt,     "isqrt(n, /)", NULL,
     "Return the integer part of the square root of the input."},
    {NULL},
};


TnValue mod_math_new(TnState *st)
{
    static const struct {
        const char *name;
        double value;
    } constants[] = {
        {"pi", M_PI}, {"e", M_E}, {"tau", 2 * M_PI}, {"inf", INFINITY}, {"nan", NAN},
    };
    if (!(s_floor = str_intern("__floor__")) || !(s_ceil = str_intern("__ceil__")) ||
        !(s_trunc = str_intern("__trunc__")))
        return tn_no_memory(st);
    TnValue ns = ns_new(st, "math");
    if (IS_UNDEF(ns))
        return ns;
    if (mod_set_str(st, ns, "__doc__",
                    "This module provides access to the mathematical functions\n"
                    "defined by the C standard.") < 0 ||
        ns_add_methods(st, ns, math_defs) < 0)
        goto fail;
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        TnStr *name = str_intern(constants[i].name);
        if (!name) {
            tn_no_memory(st);
            goto fail;
        }
        if (dict_set_str(st, ns_dict(ns), name, tn_float(constants[i].value)) < 0)
            goto fail;
    }
    return ns;
fail:
    tn_decref(ns);
    return tn_undef();
}
