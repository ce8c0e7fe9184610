/* number.c: None, bool, int (64-bit, overflow raises) and float, with Python's arithmetic rules.
 *
 * All four are unboxed in TnValue; these types only give them slots and methods.
 * Arithmetic follows Python exactly where 64 bits allow: floor division and
 * modulo take the sign of the divisor, int ** negative is a float, hashes agree
 * across int, float and bool, and float repr is the shortest round-trip form.
 * tn ints do not grow: leaving int64 raises OverflowError.
 */
#include "format.h"
#include "sig.h"
#include "types.h"
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_MODULUS (((uint64_t)1 << 61) - 1)
#define HASH_BITS 61
#define HASH_INF 314159

static TnValue overflow(TnState *st)
{
    return tn_raise(st, tn_OverflowError, "integer overflow (tn ints are 64-bit)");
}

/* ------------------------------------------------------------------ hashing */

int64_t num_hash_int(int64_t i)
{
    uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    int64_t h = (int64_t)(m % HASH_MODULUS);
    if (i < 0)
        h = -h;
    return h == -1 ? -2 : h;
}

/* CPython's _Py_HashDouble: the value of x modulo 2**61 - 1, so equal numbers hash equal. */
int64_t num_hash_double(double v)
{
    if (isinf(v))
        return v > 0 ? HASH_INF : -HASH_INF;
    if (isnan(v))
        return 0;
    int e;
    double m = frexp(v, &e);
    int sign = 1;
    if (m < 0) {
        sign = -1;
        m = -m;
    }
    uint64_t x = 0;
    while (m) {
        x = ((x << 28) & HASH_MODULUS) | x >> (HASH_BITS - 28);
        m *= 268435456.0; /* 2**28 */
        e -= 28;
        uint64_t y = (uint64_t)m;
        m -= (double)y;
        x += y;
        if (x >= HASH_MODULUS)
            x -= HASH_MODULUS;
    }
    e = e >= 0 ? e % HASH_BITS : HASH_BITS - 1 - ((-1 - e) % HASH_BITS);
    x = ((x << e) & HASH_MODULUS) | x >> (HASH_BITS - e);
    int64_t h = (int64_t)x * sign;
    return h == -1 ? -2 : h;
}

/* ------------------------------------------------------------------ float repr */

void float_repr_buf(double d, char *buf)
{
    if (isnan(d)) {
        strcpy(buf, "nan");
        return;
    }
    if (isinf(d)) {
        strcpy(buf, d > 0 ? "inf" : "-inf");
        return;
    }
    if (d == 0) {
        strcpy(buf, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* shortest %e precision that reads back exactly */
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    char digits[24];
    int nd = 0;
    const char *s = tmp;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    int x = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (x < -4 || x >= 16) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        sprintf(o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (x >= 0) {
        for (int i = 0; i <= x; i++)
            *o++ = i < nd ? digits[i] : '0';
        *o++ = '.';
        if (nd > x + 1) {
            memcpy(o, digits + x + 1, (size_t)(nd - x - 1));
            o += nd - x - 1;
        } else {
            *o++ = '0';
        }
        *o = 0;
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd);
        o[nd] = 0;
    }
}

/* ------------------------------------------------------------------ comparison */

/* Exact comparison of an int with a finite or infinite double: -1, 0, 1. */
static int cmp_int_double(int64_t i, double f)
{
    if (f >= 9223372036854775808.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)f;
    if (i != t)
        return i < t ? -1 : 1;
    double frac = f - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

TnValue num_compare(TnValue a, TnValue b, int op)
{
    int c;
    if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
        int64_t x = AS_INT(a), y = AS_INT(b);
        c = x < y ? -1 : x > y;
    } else if (IS_FLOAT(a) && IS_FLOAT(b)) {
        double x = AS_FLOAT(a), y = AS_FLOAT(b);
        switch (op) {
        case CMP_LT: return tn_bool(x < y);
        case CMP_LE: return tn_bool(x <= y);
        case CMP_EQ: return tn_bool(x == y);
        case CMP_NE: return tn_bool(x != y);
        case CMP_GT: return tn_bool(x > y);
        default: return tn_bool(x >= y);
        }
    } else {
        double f = IS_FLOAT(a) ? AS_FLOAT(a) : AS_FLOAT(b);
        if (isnan(f))
            return tn_bool(op == CMP_NE);
        if (IS_FLOAT(a))
            c = -cmp_int_double(AS_INT(b), f);
        else
            c = cmp_int_double(AS_INT(a), f);
    }
    switch (op) {
    case CMP_LT: return tn_bool(c < 0);
    case CMP_LE: return tn_bool(c <= 0);
    case CMP_EQ: return tn_bool(c == 0);
    case CMP_NE: return tn_bool(c != 0);
    case CMP_GT: return tn_bool(c > 0);
    default: return tn_bool(c >= 0);
    }
}

static TnValue num_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!IS_NUMBER(a) || !IS_NUMBER(b))
        return tn_notimpl();
    return num_compare(a, b, op);
}

/* ------------------------------------------------------------------ arithmetic */

static TnValue float_pow(TnState *st, double x, double y)
{
    if (y == 0)
        return tn_float(1.0);
    if (isnan(x))
        return tn_float(x);
    if (isnan(y))
        return tn_float(x == 1.0 ? 1.0 : y);
    if (x == 0 && y < 0)
        return tn_raise(st, tn_ZeroDivisionError, "0.0 cannot be raised to a negative power");
    if (x < 0 && isfinite(x) && isfinite(y) && y != floor(y))
        return tn_raise(st, tn_ValueError, "math domain error");
    double r = pow(x, y);
    if (isinf(r) && isfinite(x) && isfinite(y))
        return tn_raise(st, tn_OverflowError, "(34, 'Numerical result out of range')");
    return tn_float(r);
}

static TnValue int_pow(TnState *st, int64_t a, int64_t b)
{
    if (b < 0) {
        if (a == 0)
            return tn_raise(st, tn_ZeroDivisionError, "0.0 cannot be raised to a negative power");
        return tn_float(pow((double)a, (double)b));
    }
    int64_t r = 1, base = a;
    while (b) {
        if (b & 1) {
            if (__builtin_mul_overflow(r, base, &r))
                return overflow(st);
        }
        b >>= 1;
        if (b && __builtin_mul_overflow(base, base, &base))
            return overflow(st);
    }
    return tn_int(r);
}

/* Python's float divmod: modulo takes the divisor's sign; floor quotient. */
static void float_divmod(double vx, double wx, double *floordiv, double *modulo)
{
    double mod = fmod(vx, wx);
    double div = (vx - mod) / wx;
    if (mod) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, wx);
    }
    double fd;
    if (div) {
        fd = floor(div);
        if (div - fd > 0.5)
            fd += 1.0;
    } else {
        fd = copysign(0.0, vx / wx);
    }
    *floordiv = fd;
    *modulo = mod;
}

static TnValue int_binop(TnState *st, int op, int64_t a, int64_t b, bool both_bool)
{
    int64_t r;
    switch (op) {
    case OP_ADD:
        if (__builtin_add_overflow(a, b, &r))
            return overflow(st);
        return tn_int(r);
    case OP_SUB:
        if (__builtin_sub_overflow(a, b, &r))
            return overflow(st);
        return tn_int(r);
    case OP_MUL:
        if (__builtin_mul_overflow(a, b, &r))
            return overflow(st);
        return tn_int(r);
    case OP_TRUEDIV:
        if (b == 0)
            return tn_raise(st, tn_ZeroDivisionError, "division by zero");
        if ((a < 0 ? -(uint64_t)a : (uint64_t)a) <= ((uint64_t)1 << 53) &&
            (b < 0 ? -(uint64_t)b : (uint64_t)b) <= ((uint64_t)1 << 53))
            return tn_float((double)a / (double)b);
        return tn_float((double)((long double)a / (long double)b));
    case OP_FLOORDIV:
        if (b == 0)
            return tn_raise(st, tn_ZeroDivisionError, "integer division or modulo by zero");
        if (b == -1) {
            if (a == INT64_MIN)
                return overflow(st);
            return tn_int(-a);
        }
        r = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0)))
            r--;
        return tn_int(r);
    case OP_MOD:
        if (b == 0)
            return tn_raise(st, tn_ZeroDivisionError, "integer modulo by zero");
        if (b == -1)
            return tn_int(0);
        r = a % b;
        if (r != 0 && ((r < 0) != (b < 0)))
            r += b;
        return tn_int(r);
    case OP_POW: return int_pow(st, a, b);
    case OP_LSHIFT:
        if (b < 0)
            return tn_raise(st, tn_ValueError, "negative shift count");
        if (a == 0)
            return tn_int(0);
        if (b >= 63)
            return overflow(st);
        r = (int64_t)((uint64_t)a << b);
        if ((r >> b) != a)
            return overflow(st);
        return tn_int(r);
    case OP_RSHIFT:
        if (b < 0)
            return tn_raise(st, tn_ValueError, "negative shift count");
        if (b >= 64)
            return tn_int(a < 0 ? -1 : 0);
        return tn_int(a >> b);
    case OP_BITAND: return both_bool ? tn_bool(a & b) : tn_int(a & b);
    case OP_BITOR: return both_bool ? tn_bool(a | b) : tn_int(a | b);
    case OP_BITXOR: return both_bool ? tn_bool(a ^ b) : tn_int(a ^ b);
    default: return tn_notimpl();
    }
}

static TnValue float_binop(TnState *st, int op, double x, double y)
{
    double q, m;
    switch (op) {
    case OP_ADD: return tn_float(x + y);
    case OP_SUB: return tn_float(x - y);
    case OP_MUL: return tn_float(x * y);
    case OP_TRUEDIV:
        if (y == 0)
            return tn_raise(st, tn_ZeroDivisionError, "float division by zero");
        return tn_float(x / y);
    case OP_FLOORDIV:
        if (y == 0)
            return tn_raise(st, tn_ZeroDivisionError, "float floor division by zero");
        float_divmod(x, y, &q, &m);
        return tn_float(q);
    case OP_MOD:
        if (y == 0)
            return tn_raise(st, tn_ZeroDivisionError, "float modulo");
        float_divmod(x, y, &q, &m);
        return tn_float(m);
    case OP_POW: return float_pow(st, x, y);
    default: return tn_notimpl();
    }
}

TnValue num_binop(TnState *st, int op, TnValue a, TnValue b)
{
    if (IS_INTLIKE(a) && IS_INTLIKE(b))
        return int_binop(st, op, AS_INT(a), AS_INT(b), IS_BOOL(a) && IS_BOOL(b));
    if (!IS_NUMBER(a) || !IS_NUMBER(b))
        return tn_notimpl();
    return float_binop(st, op, tn_num_as_double(a), tn_num_as_double(b));
}

TnValue num_pow(TnState *st, TnValue a, TnValue b)
{
    if (IS_INTLIKE(a) && IS_INTLIKE(b))
        return int_pow(st, AS_INT(a), AS_INT(b));
    return float_pow(st, tn_num_as_double(a), tn_num_as_double(b));
}

TnValue num_divmod(TnState *st, TnValue a, TnValue b)
{
    if (!IS_NUMBER(a) || !IS_NUMBER(b))
        return tn_raise(st, tn_TypeError, "unsupported operand type(s) for divmod(): '%s' and '%s'",
                        tn_type_name(a), tn_type_name(b));
    if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
        if (AS_INT(b) == 0)
            return tn_raise(st, tn_ZeroDivisionError, "integer division or modulo by zero");
        TnValue q = int_binop(st, OP_FLOORDIV, AS_INT(a), AS_INT(b), false);
        if (IS_UNDEF(q))
            return q;
        TnValue m = int_binop(st, OP_MOD, AS_INT(a), AS_INT(b), false);
        return tuple_pack(st, 2, q, m);
    }
    double y = tn_num_as_double(b), q, m;
    if (y == 0)
        return tn_raise(st, tn_ZeroDivisionError, "float divmod()");
    float_divmod(tn_num_as_double(a), y, &q, &m);
    return tuple_pack(st, 2, tn_float(q), tn_float(m));
}

static TnValue num_binop_slot(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    return num_binop(st, op, a, b);
}

static TnValue num_unop(TnState *st, int op, TnValue a)
{
    if (IS_FLOAT(a)) {
        if (op == UOP_NEG)
            return tn_float(-AS_FLOAT(a));
        if (op == UOP_POS)
            return a;
        return tn_notimpl();
    }
    if (!IS_INTLIKE(a))
        return tn_notimpl();
    int64_t i = AS_INT(a);
    switch (op) {
    case UOP_NEG:
        if (i == INT64_MIN)
            return overflow(st);
        return tn_int(-i);
    case UOP_POS: return tn_int(i);
    case UOP_INVERT: return tn_int(~i);
    default: return tn_notimpl();
    }
}

/* ------------------------------------------------------------------ repr, hash, truth */

static TnValue none_repr(TnState *st, TnValue self)
{
    return tn_str(st, "None");
}
static TnValue bool_repr(TnState *st, TnValue self)
{
    return tn_str(st, AS_BOOL(self) ? "True" : "False");
}
static TnValue int_repr(TnState *st, TnValue self)
{
    char buf[32];
    return tn_str_n(st, buf, snprintf(buf, sizeof buf, "%" PRId64, AS_INT(self)));
}
static TnValue float_repr(TnState *st, TnValue self)
{
    char buf[40];
    float_repr_buf(AS_FLOAT(self), buf);
    return tn_str(st, buf);
}

static int num_hash(TnState *st, TnValue self, uint64_t *out)
{
    if (IS_FLOAT(self))
        *out = (uint64_t)num_hash_double(AS_FLOAT(self));
    else if (IS_INTLIKE(self))
        *out = (uint64_t)num_hash_int(AS_INT(self));
    else
        *out = 0xFCA86420u;
    return 0;
}

static int num_truth(TnState *st, TnValue self)
{
    if (IS_FLOAT(self))
        return AS_FLOAT(self) != 0;
    return IS_INTLIKE(self) && AS_INT(self) != 0;
}

/* ------------------------------------------------------------------ parsing */

static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Raises ValueError quoting the original text with repr. */
static TnValue bad_literal(TnState *st, const char *fmt_head, const char *s, int64_t len)
{
    TnBuf b = {0};
    if (!str_repr_buf(&b, s, len)) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    tn_raise(st, tn_ValueError, "%s%s", fmt_head, b.p);
    buf_free(&b);
    return tn_undef();
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

TnValue int_from_string(TnState *st, const char *s, int64_t len, int base)
{
    char head[64];
    snprintf(head, sizeof head, "invalid literal for int() with base %d: ", base);
    if (base != 0 && (base < 2 || base > 36))
        return tn_raise(st, tn_ValueError, "int() base must be >= 2 and <= 36, or 0");
    int64_t i = 0, n = len;
    while (i < n && is_space(s[i]))
        i++;
    while (n > i && is_space(s[n - 1]))
        n--;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    int b = base;
    bool prefixed = false;
    if (i + 1 < n && s[i] == '0') {
        char p = (char)(s[i + 1] | 32);
        int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) {
            b = pb;
            i += 2;
            prefixed = true;
        }
    }
    if (b == 0)
        b = 10;
    if (i >= n)
        return bad_literal(st, head, s, len);
    /* base 0 without prefix: no leading zeros unless the value is zero */
    bool leading_zero = base == 0 && !prefixed && s[i] == '0';
    uint64_t acc = 0;
    bool any = false, nonzero = false;
    bool prev_us = prefixed; /* an underscore may follow the prefix */
    for (int64_t k = i; k < n; k++) {
        char c = s[k];
        if (c == '_') {
            if (!any && !prev_us)
                return bad_literal(st, head, s, len);
            if (prev_us && any)
                return bad_literal(st, head, s, len);
            if (!any && prefixed && k != i)
                return bad_literal(st, head, s, len);
            prev_us = true;
            continue;
        }
        int d = digit_value(c);
        if (d >= b)
            return bad_literal(st, head, s, len);
        if (d)
            nonzero = true;
        if (acc > (UINT64_MAX - (uint64_t)d) / (uint64_t)b)
            return overflow(st);
        acc = acc * (uint64_t)b + (uint64_t)d;
        any = true;
        prev_us = false;
    }
    if (!any || prev_us || (leading_zero && nonzero))
        return bad_literal(st, head, s, len);
    if (neg) {
        if (acc > (uint64_t)1 << 63)
            return overflow(st);
        return tn_int((int64_t)(0 - acc));
    }
    if (acc > (uint64_t)INT64_MAX)
        return overflow(st);
    return tn_int((int64_t)acc);
}

TnValue float_from_string(TnState *st, const char *s, int64_t len)
{
    const char *head = "could not convert string to float: ";
    int64_t i = 0, n = len;
    while (i < n && is_space(s[i]))
        i++;
    while (n > i && is_space(s[n - 1]))
        n--;
    char buf[128];
    if (n - i >= (int64_t)sizeof buf || n <= i)
        return bad_literal(st, head, s, len);
    /* copy without underscores, checking each sits between two digits */
    int64_t m = 0;
    for (int64_t k = i; k < n; k++) {
        if (s[k] == '_') {
            if (k == i || k + 1 >= n || !isdigit((unsigned char)s[k - 1]) ||
                !isdigit((unsigned char)s[k + 1]))
                return bad_literal(st, head, s, len);
            continue;
        }
        buf[m++] = s[k];
    }
    buf[m] = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0)
        return tn_float(neg ? -INFINITY : INFINITY);
    if (strcasecmp(p, "nan") == 0)
        return tn_float(neg ? -NAN : NAN);
    /* digits [. digits] [e [sign] digits], at least one mantissa digit */
    const char *q = p;
    int nd = 0;
    while (isdigit((unsigned char)*q))
        q++, nd++;
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q))
            q++, nd++;
    }
    if (nd == 0)
        return bad_literal(st, head, s, len);
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (!isdigit((unsigned char)*q))
            return bad_literal(st, head, s, len);
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q)
        return bad_literal(st, head, s, len);
    return tn_float(strtod(buf, NULL));
}

/* ------------------------------------------------------------------ construct */

/* Looks up and calls a conversion dunder (__int__, __float__, ...); UNDEF if absent. */
static TnValue call_dunder(TnState *st, TnValue v, const char *name, bool *found)
{
    *found = false;
    if (!IS_OBJ(v))
        return tn_undef();
    TnStr *n = str_intern(name);
    if (!n)
        return tn_no_memory(st);
    TnValue m = type_lookup(AS_OBJ(v)->type, n);
    if (IS_UNDEF(m))
        return m;
    *found = true;
    return tn_call_descr(st, m, v, NULL, 0, NULL, 0);
}

static TnValue float_to_int(TnState *st, double f)
{
    if (isnan(f))
        return tn_raise(st, tn_ValueError, "cannot convert float NaN to integer");
    if (isinf(f))
        return tn_raise(st, tn_OverflowError, "cannot convert float infinity to integer");
    double t = trunc(f);
    if (t >= 9223372036854775808.0 || t < -9223372036854775808.0)
        return overflow(st);
    return tn_int((int64_t)t);
}

static TnSig *int_sig, *float_sig, *bool_sig;

static TnValue int_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                             TnStr *const *kwnames, int nkw)
{
    TnValue a[2];
    if (sig_bind_cached(st, &int_sig, "int(x=?, /, base=?)", tn_undef(), args, nargs, kwnames,
                        nkw, a) < 0)
        return tn_undef();
    TnValue x = a[0];
    if (IS_UNDEF(x)) {
        if (!IS_UNDEF(a[1]))
            return tn_raise(st, tn_TypeError, "int() missing string argument");
        return tn_int(0);
    }
    if (!IS_UNDEF(a[1])) {
        int64_t base;
        if (tn_as_index(st, a[1], &base, NULL) < 0)
            return tn_undef();
        if (!IS_STR(x))
            return tn_raise(st, tn_TypeError, "int() can't convert non-string with explicit base");
        if (base != 0 && (base < 2 || base > 36))
            return tn_raise(st, tn_ValueError, "int() base must be >= 2 and <= 36, or 0");
        return int_from_string(st, AS_STR(x)->data, AS_STR(x)->len, (int)base);
    }
    if (IS_INTLIKE(x))
        return tn_int(AS_INT(x));
    if (IS_FLOAT(x))
        return float_to_int(st, AS_FLOAT(x));
    if (IS_STR(x))
        return int_from_string(st, AS_STR(x)->data, AS_STR(x)->len, 10);
    static const char *const dunders[] = {"__int__", "__index__", "__trunc__"};
    for (int i = 0; i < 3; i++) {
        bool found;
        TnValue r = call_dunder(st, x, dunders[i], &found);
        if (!found)
            continue;
        if (IS_UNDEF(r) || IS_INTLIKE(r))
            return IS_UNDEF(r) ? r : tn_int(AS_INT(r));
        TnValue bad = r;
        r = tn_raise(st, tn_TypeError, "%s returned non-int (type %s)", dunders[i],
                     tn_type_name(bad));
        tn_decref(bad);
        return r;
    }
    return tn_raise(st, tn_TypeError,
                    "int() argument must be a string, a bytes-like object or a real number, not '%s'",
                    tn_type_name(x));
}

static TnValue float_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &float_sig, "float(x=?, /)", tn_undef(), args, nargs, kwnames, nkw,
                        a) < 0)
        return tn_undef();
    TnValue x = a[0];
    if (IS_UNDEF(x))
        return tn_float(0.0);
    if (IS_NUMBER(x))
        return tn_float(tn_num_as_double(x));
    if (IS_STR(x))
        return float_from_string(st, AS_STR(x)->data, AS_STR(x)->len);
    bool found;
    TnValue r = call_dunder(st, x, "__float__", &found);
    if (!found)
        r = call_dunder(st, x, "__index__", &found);
    if (found) {
        if (IS_UNDEF(r) || IS_NUMBER(r))
            return IS_UNDEF(r) ? r : tn_float(tn_num_as_double(r));
        TnValue bad = r;
        r = tn_raise(st, tn_TypeError, "__float__ returned non-float (type %s)", tn_type_name(bad));
        tn_decref(bad);
        return r;
    }
    if (!IS_UNDEF(st->exc))
        return tn_undef();
    return tn_raise(st, tn_TypeError, "float() argument must be a string or a real number, not '%s'",
                    tn_type_name(x));
}

static TnValue bool_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &bool_sig, "bool(x=False, /)", tn_undef(), args, nargs, kwnames, nkw,
                        a) < 0)
        return tn_undef();
    int t = tn_truthy(st, a[0]);
    return t < 0 ? tn_undef() : tn_bool(t);
}

static TnValue none_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw)
{
    if (nargs || nkw)
        return tn_raise(st, tn_TypeError, "NoneType takes no arguments");
    return tn_none();
}

/* ------------------------------------------------------------------ methods */

static TnValue int_bit_length(TnState *st, TnValue *a)
{
    int64_t i = AS_INT(a[0]);
    uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    return tn_int(m ? 64 - __builtin_clzll(m) : 0);
}

static TnValue int_bit_count(TnState *st, TnValue *a)
{
    int64_t i = AS_INT(a[0]);
    uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    return tn_int(__builtin_popcountll(m));
}

static TnValue int_self(TnState *st, TnValue *a)
{
    return tn_int(AS_INT(a[0]));
}

static TnValue int_to_float(TnState *st, TnValue *a)
{
    return tn_float(tn_num_as_double(a[0]));
}

static TnValue int_ratio(TnState *st, TnValue *a)
{
    return tuple_pack(st, 2, tn_int(AS_INT(a[0])), tn_int(1));
}

static TnValue num_format_method(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "format() argument 2 must be str, not %s",
                        tn_type_name(a[1]));
    return tn_format(st, a[0], AS_STR(a[1]));
}

/* Rounds an int to 10**-n (n < 0) with ties to even. */
static TnValue int_round(TnState *st, TnValue *a)
{
    int64_t x = AS_INT(a[0]), n = 0;
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1]) && tn_as_index(st, a[1], &n, NULL) < 0)
        return tn_undef();
    if (n >= 0)
        return tn_int(x);
    if (n < -18)
        return tn_int(0);
    int64_t p = 1;
    for (int64_t k = 0; k < -n; k++)
        p *= 10;
    int64_t q = x / p, r = x % p;
    if (r < 0) {
        r += p;
        q--;
    }
    if (2 * r > p || (2 * r == p && (q & 1)))
        q++;
    int64_t res;
    if (__builtin_mul_overflow(q, p, &res))
        return overflow(st);
    return tn_int(res);
}

static TnValue float_round(TnState *st, TnValue *a)
{
    double x = AS_FLOAT(a[0]);
    if (IS_UNDEF(a[1]) || IS_NONE(a[1])) {
        double r = nearbyint(x); /* the default rounding mode is ties-to-even */
        return float_to_int(st, r);
    }
    int64_t n;
    if (tn_as_index(st, a[1], &n, NULL) < 0)
        return tn_undef();
    if (!isfinite(x) || x == 0)
        return tn_float(x);
    if (n > 323)
        return tn_float(x);
    if (n < -308)
        return tn_float(copysign(0.0, x));
    if (n >= 0) {
        /* printf rounds the exact binary value correctly, as Python's dtoa does */
        char buf[400];
        snprintf(buf, sizeof buf, "%.*f", (int)n, x);
        return tn_float(strtod(buf, NULL));
    }
    double p = pow(10.0, (double)-n);
    double y = nearbyint(x / p) * p;
    if (isinf(y))
        return tn_raise(st, tn_OverflowError, "rounded value too large to represent");
    return tn_float(y);
}

static TnValue float_is_integer(TnState *st, TnValue *a)
{
    double x = AS_FLOAT(a[0]);
    return tn_bool(isfinite(x) && x == floor(x));
}

static TnValue float_as_integer_ratio(TnState *st, TnValue *a)
{
    double x = AS_FLOAT(a[0]);
    if (isinf(x))
        return tn_raise(st, tn_OverflowError, "cannot convert Infinity to integer ratio");
    if (isnan(x))
        return tn_raise(st, tn_ValueError, "cannot convert NaN to integer ratio");
    int e;
    double m = frexp(x, &e);
    for (int i = 0; i < 300 && m != floor(m); i++) {
        m *= 2.0;
        e--;
    }
    if (fabs(m) >= 9223372036854775808.0)
        return overflow(st);
    int64_t num = (int64_t)m, den = 1;
    if (e > 0) {
        for (int i = 0; i < e; i++)
            if (__builtin_mul_overflow(num, 2, &num))
                return overflow(st);
    } else {
        for (int i = 0; i < -e; i++)
            if (__builtin_mul_overflow(den, 2, &den))
                return overflow(st);
    }
    return tuple_pack(st, 2, tn_int(num), tn_int(den));
}

static TnValue float_to_int_method(TnState *st, TnValue *a)
{
    return float_to_int(st, AS_FLOAT(a[0]));
}

static TnValue float_self(TnState *st, TnValue *a)
{
    return a[0];
}

static TnValue float_hex(TnState *st, TnValue *a)
{
    double x = AS_FLOAT(a[0]);
    if (!isfinite(x)) {
        char buf[8];
        float_repr_buf(x, buf);
        return tn_str(st, buf);
    }
    if (x == 0)
        return tn_str(st, signbit(x) ? "-0x0.0p+0" : "0x0.0p+0");
    int e;
    double m = frexp(fabs(x), &e); /* m in [0.5, 1) */
    m *= 2;
    e--;
    TnBuf b = {0};
    bool ok = buf_printf(&b, "%s0x1.", x < 0 ? "-" : "");
    m -= 1;
    char digits[16];
    int nd = 0;
    for (int i = 0; i < 13; i++) {
        m *= 16;
        int d = (int)m;
        m -= d;
        digits[nd++] = "0123456789abcdef"[d];
    }
    ok = ok && buf_putn(&b, digits, (size_t)nd) && buf_printf(&b, "p%+d", e);
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

static TnValue int_get_real(TnState *st, TnValue self)
{
    return tn_int(AS_INT(self));
}
static TnValue int_get_zero(TnState *st, TnValue self)
{
    return tn_int(0);
}
static TnValue int_get_one(TnState *st, TnValue self)
{
    return tn_int(1);
}
static TnValue float_get_real(TnState *st, TnValue self)
{
    return self;
}
static TnValue float_get_imag(TnState *st, TnValue self)
{
    return tn_float(0.0);
}

static const TnMethodDef int_methods[] = {
    {"bit_length", int_bit_length, "bit_length(self, /)", NULL, "Number of bits necessary to represent self in binary."},
    {"bit_count", int_bit_count, "bit_count(self, /)", NULL, "Number of ones in the binary representation of the absolute value of self."},
    {"conjugate", int_self, "conjugate(self, /)", NULL, "Returns self, the complex conjugate of any int."},
    {"as_integer_ratio", int_ratio, "as_integer_ratio(self, /)", NULL, "Return integer ratio."},
    {"__index__", int_self, "__index__(self, /)", NULL, "Return self converted to an integer, if self is suitable for use as an index into a list."},
    {"__int__", int_self, "__int__(self, /)", NULL, "int(self)"},
    {"__float__", int_to_float, "__float__(self, /)", NULL, "float(self)"},
    {"__trunc__", int_self, "__trunc__(self, /)", NULL, "Truncating an Integral returns itself."},
    {"__round__", int_round, "__round__(self, ndigits=?, /)", NULL, "Rounding an Integral returns itself."},
    {"__format__", num_format_method, "__format__(self, format_spec, /)", NULL, "Convert to a string according to format_spec."},
    {NULL},
};

static const TnGetSetDef int_getset[] = {
    {"real", int_get_real, NULL, "the real part of a complex number"},
    {"imag", int_get_zero, NULL, "the imaginary part of a complex number"},
    {"numerator", int_get_real, NULL, "the numerator of a rational number in lowest terms"},
    {"denominator", int_get_one, NULL, "the denominator of a rational number in lowest terms"},
    {NULL},
};

static const TnMethodDef float_methods[] = {
    {"is_integer", float_is_integer, "is_integer(self, /)", NULL, "Return True if the float is an integer."},
    {"as_integer_ratio", float_as_integer_ratio, "as_integer_ratio(self, /)", NULL, "Return integer ratio."},
    {"hex", float_hex, "hex(self, /)", NULL, "Return a hexadecimal representation of a floating-point number."},
    {"conjugate", float_self, "conjugate(self, /)", NULL, "Return self, the complex conjugate of any float."},
    {"__int__", float_to_int_method, "__int__(self, /)", NULL, "int(self)"},
    {"__trunc__", float_to_int_method, "__trunc__(self, /)", NULL, "Return the Integral closest to x between 0 and x."},
    {"__float__", float_self, "__float__(self, /)", NULL, "float(self)"},
    {"__round__", float_round, "__round__(self, ndigits=None, /)", NULL, "Return the Integral closest to x, rounding half toward even."},
    {"__format__", num_format_method, "__format__(self, format_spec, /)", NULL, "Formats the float according to format_spec."},
    {NULL},
};

static const TnGetSetDef float_getset[] = {
    {"real", float_get_real, NULL, "the real part of a complex number"},
    {"imag", float_get_imag, NULL, "the imaginary part of a complex number"},
    {NULL},
};

static const TnMethodDef none_methods[] = {
    {"__format__", num_format_method, "__format__(self, format_spec, /)", NULL, NULL},
    {NULL},
};

TnType tn_none_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "NoneType",
    .repr = none_repr,
    .hash = num_hash,
    .truth = num_truth,
    .construct = none_construct,
    .methods = none_methods,
};

TnType tn_int_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "int",
    .flags = TN_TYPE_BASETYPE,
    .repr = int_repr,
    .hash = num_hash,
    .richcmp = num_richcmp,
    .binop = num_binop_slot,
    .unop = num_unop,
    .truth = num_truth,
    .construct = int_construct,
    .methods = int_methods,
    .getset = int_getset,
};

TnType tn_bool_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "bool",
    .base = &tn_int_type,
    .repr = bool_repr,
    .hash = num_hash,
    .richcmp = num_richcmp,
    .binop = num_binop_slot,
    .unop = num_unop,
    .truth = num_truth,
    .construct = bool_construct,
};

TnType tn_float_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "float",
    .flags = TN_TYPE_BASETYPE,
    .repr = float_repr,
    .hash = num_hash,
    .richcmp = num_richcmp,
    .binop = num_binop_slot,
    .unop = num_unop,
    .truth = num_truth,
    .construct = float_construct,
    .methods = float_methods,
    .getset = float_getset,
};
