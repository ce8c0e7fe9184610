/* ndarray_print.c: NumPy's array printing (numpy/core/arrayprint.py, legacy=False defaults):
 * FloatingFormat's maxprec/unique digits, IntegerFormat, BoolFormat, _formatArray's wrapping
 * at 75 columns and summaries past 1000 elements. */
#include "ndarray.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINEWIDTH 75
#define THRESHOLD 1000
#define EDGEITEMS 3
#define PRECISION 8

/* ------------------------------------------------------------ float digits */
/* Shortest digits that read back as the same value of its dtype (NumPy's
 * Dragon4 unique mode): digits without sign or point, and the decimal exponent
 * of the first digit. x is finite and not negative. */
static void shortest(double x, bool f32, char *digits, int *exp10)
{
    char buf[40];
    for (int p = 0; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, x);
        double back = strtod(buf, NULL);
        if (f32 ? (float)back == (float)x : back == x)
            break;
    }
    char *e = strchr(buf, 'e');
    *exp10 = atoi(e + 1);
    int n = 0;
    for (char *q = buf; q < e; q++)
        if (*q >= '0' && *q <= '9')
            digits[n++] = *q;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
}

/* Digits rounded to `frac` places after the first digit ("%.Ne"), trailing zeros dropped. */
static void rounded_sci(double x, int frac, char *digits, int *exp10)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.*e", frac, x);
    char *e = strchr(buf, 'e');
    *exp10 = atoi(e + 1);
    int n = 0;
    for (char *q = buf; q < e; q++)
        if (*q >= '0' && *q <= '9')
            digits[n++] = *q;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
}

/* Positional form split in int and fraction parts ("-12", "5"), at most PRECISION
 * fraction digits: dragon4_positional(unique=True, precision=8, trim='.'). */
static void positional(double x, bool f32, char *ip, char *fp)
{
    char d[40];
    int e;
    const char *sign = signbit(x) ? "-" : "";
    x = fabs(x);
    shortest(x, f32, d, &e);
    int n = (int)strlen(d);
    if (n - 1 - e > PRECISION) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*f", PRECISION, x);
        char *dot = strchr(buf, '.');
        *dot = 0;
        sprintf(ip, "%s%s", sign, buf);
        size_t k = strlen(dot + 1);
        while (k > 0 && dot[k] == '0')
            k--;
        memcpy(fp, dot + 1, k);
        fp[k] = 0;
        return;
    }
    if (e >= 0) {
        int k = sprintf(ip, "%s", sign);
        for (int i = 0; i <= e; i++)
            ip[k++] = i < n ? d[i] : '0';
        ip[k] = 0;
        sprintf(fp, "%s", n > e + 1 ? d + e + 1 : "");
    } else {
        sprintf(ip, "%s0", sign);
        int k = 0;
        for (int i = 0; i < -e - 1; i++)
            fp[k++] = '0';
        sprintf(fp + k, "%s", d);
    }
}

/* Scientific form: int part, fraction digits, exponent ("-05"). */
static void scientific(double x, bool f32, char *ip, char *fp, char *ep)
{
    char d[40];
    int e;
    const char *sign = signbit(x) ? "-" : "";
    x = fabs(x);
    shortest(x, f32, d, &e);
    if ((int)strlen(d) - 1 > PRECISION)
        rounded_sci(x, PRECISION, d, &e);
    sprintf(ip, "%s%c", sign, d[0]);
    sprintf(fp, "%s", d + 1);
    sprintf(ep, "%c%02d", e < 0 ? '-' : '+', abs(e));
}

/* ------------------------------------------------------------- formatters */
typedef struct {
    TnDType dt;
    bool exp_format;
    int pad_left, pad_right, precision, exp_size;
    int int_width;
    bool bool_pad; /* " True" beside "False" */
    /* scan state */
    bool any_finite, any_nonzero, any_nonfinite, neg_inf;
    double max_abs, min_abs;
    int64_t imax, imin;
    bool any;
} Fmt;

static double get_f(TnDType dt, const char *p)
{
    return dtype_get_f(dt, p);
}

static void scan_value(Fmt *f, const char *p)
{
    if (!DT_IS_FLOAT(f->dt)) {
        int64_t v = dtype_get_i(f->dt, p);
        if (!f->any || v > f->imax)
            f->imax = v;
        if (!f->any || v < f->imin)
            f->imin = v;
        f->any = true;
        return;
    }
    double x = get_f(f->dt, p);
    if (!isfinite(x)) {
        f->any_nonfinite = true;
        f->neg_inf |= isinf(x) && x < 0;
        return;
    }
    f->any_finite = true;
    if (x == 0)
        return;
    double a = fabs(x);
    if (!f->any_nonzero || a > f->max_abs)
        f->max_abs = a;
    if (!f->any_nonzero || a < f->min_abs)
        f->min_abs = a;
    f->any_nonzero = true;
}

/* FloatingFormat.fillFormat's second half: widths from every finite value's strings. */
static void measure_value(Fmt *f, const char *p)
{
    if (!DT_IS_FLOAT(f->dt))
        return;
    double x = get_f(f->dt, p);
    if (!isfinite(x))
        return;
    char ip[48], fp[48], ep[16];
    bool f32 = f->dt == DT_FLOAT32;
    if (f->exp_format) {
        scientific(x, f32, ip, fp, ep);
        int es = (int)strlen(ep) - 1;
        f->exp_size = es > f->exp_size ? es : f->exp_size;
    } else {
        positional(x, f32, ip, fp);
    }
    int il = (int)strlen(ip), fl = (int)strlen(fp);
    f->pad_left = il > f->pad_left ? il : f->pad_left;
    if (f->exp_format)
        f->precision = fl > f->precision ? fl : f->precision;
    else
        f->pad_right = fl > f->pad_right ? fl : f->pad_right;
}

static void decide_exp(Fmt *f)
{
    if (!f->any_nonzero)
        return;
    if (f->dt == DT_FLOAT32) { /* NumPy compares in the array's own precision */
        float mx = (float)f->max_abs, mn = (float)f->min_abs;
        f->exp_format = mx >= 1.e8f || mn < 0.0001f || mx / mn > 1000.f;
    } else {
        f->exp_format = f->max_abs >= 1.e8 || f->min_abs < 0.0001 || f->max_abs / f->min_abs > 1000.;
    }
}

static void finish_widths(Fmt *f)
{
    if (!DT_IS_FLOAT(f->dt)) {
        char a[32], b[32];
        int la = f->any ? snprintf(a, sizeof a, "%lld", (long long)f->imax) : 0;
        int lb = f->any ? snprintf(b, sizeof b, "%lld", (long long)f->imin) : 0;
        f->int_width = la > lb ? la : lb;
        return;
    }
    if (f->exp_format)
        f->pad_right = f->exp_size + 2 + f->precision;
    if (f->any_nonfinite) {
        int offset = f->pad_right + 1;
        int inflen = 3 + (f->neg_inf ? 1 : 0);
        if (3 - offset > f->pad_left)
            f->pad_left = 3 - offset;
        if (inflen - offset > f->pad_left)
            f->pad_left = inflen - offset;
    }
}

static bool pad(TnBuf *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!buf_putc(b, ' '))
            return false;
    return true;
}

static bool format_float(const Fmt *f, TnBuf *b, double x)
{
    if (!isfinite(x)) {
        const char *s = isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
        return pad(b, f->pad_left + f->pad_right + 1 - (int)strlen(s)) && buf_puts(b, s);
    }
    char ip[48], fp[48], ep[16];
    bool f32 = f->dt == DT_FLOAT32;
    if (f->exp_format) {
        scientific(x, f32, ip, fp, ep);
        bool ok = pad(b, f->pad_left - (int)strlen(ip)) && buf_puts(b, ip) && buf_putc(b, '.') &&
                  buf_puts(b, fp);
        for (int i = (int)strlen(fp); ok && i < f->precision; i++)
            ok = buf_putc(b, '0');
        int edigits = (int)strlen(ep + 1);
        ok = ok && buf_putc(b, 'e') && buf_putc(b, ep[0]);
        for (int i = edigits; ok && i < f->exp_size; i++)
            ok = buf_putc(b, '0');
        return ok && buf_puts(b, ep + 1);
    }
    positional(x, f32, ip, fp);
    return pad(b, f->pad_left - (int)strlen(ip)) && buf_puts(b, ip) && buf_putc(b, '.') &&
           buf_puts(b, fp) && pad(b, f->pad_right - (int)strlen(fp));
}

static bool format_value(const Fmt *f, TnBuf *b, const char *p)
{
    if (f->dt == DT_BOOL)
        return buf_puts(b, *p ? (f->bool_pad ? " True" : "True") : "False");
    if (DT_IS_INT(f->dt))
        return buf_printf(b, "%*lld", f->int_width, (long long)dtype_get_i(f->dt, p));
    return format_float(f, b, get_f(f->dt, p));
}

/* ------------------------------------------------------------------ walking */
typedef struct {
    const char *base; /* element [0,...,0] */
    int nd;
    const int64_t *sizes, *strides;
    int es;
    bool summary;
} Arr;

static bool summarized(const Arr *a, int d)
{
    return a->summary && a->sizes[d] > 2 * EDGEITEMS;
}

/* Visits the elements the printout shows (edge items only when summarizing). */
static void visit(const Arr *a, int d, const char *p, Fmt *f, void (*fn)(Fmt *, const char *))
{
    if (d == a->nd) {
        fn(f, p);
        return;
    }
    int64_t n = a->sizes[d];
    for (int64_t i = 0; i < n; i++) {
        if (summarized(a, d) && i == EDGEITEMS)
            i = n - EDGEITEMS;
        visit(a, d + 1, p + i * a->strides[d] * a->es, f, fn);
    }
}

typedef struct {
    const Arr *a;
    const Fmt *f;
    const char *sep;
} Out;

/* _extendLine: wrap before `word` when the line would pass `width`. */
static bool extend(TnBuf *s, TnBuf *line, const char *word, size_t wlen, int width, size_t hang_len,
                   const char *hang)
{
    if (line->n + wlen > (size_t)width && line->n > hang_len) {
        size_t n = line->n;
        while (n > 0 && line->p[n - 1] == ' ')
            n--;
        if (!buf_putn(s, line->p, n) || !buf_putc(s, '\n'))
            return false;
        line->n = 0;
        if (!buf_puts(line, hang))
            return false;
    }
    return buf_putn(line, word, wlen);
}

static bool recurse(const Out *o, int d, const char *p, const char *hang, int width, TnBuf *res);

static bool last_axis(const Out *o, int d, const char *p, const char *hang, int width, TnBuf *s)
{
    int64_t n = o->a->sizes[d];
    bool sum = summarized(o->a, d);
    int elem_width = width - 1; /* max(len(separator.rstrip()), len(']')) */
    size_t hlen = strlen(hang);
    TnBuf line = {0}, w = {0};
    bool ok = buf_puts(&line, hang);
    for (int64_t i = 0; ok && i < n; i++) {
        if (sum && i == EDGEITEMS) {
            ok = extend(s, &line, "...", 3, elem_width, hlen, hang) && buf_puts(&line, o->sep);
            i = n - EDGEITEMS;
        }
        w.n = 0;
        ok = ok && format_value(o->f, &w, p + i * o->a->strides[d] * o->a->es) &&
             extend(s, &line, w.p, w.n, elem_width, hlen, hang) &&
             (i == n - 1 || buf_puts(&line, o->sep));
    }
    ok = ok && buf_putn(s, line.p, line.n);
    buf_free(&line);
    buf_free(&w);
    return ok;
}

static bool outer_axis(const Out *o, int d, const char *p, const char *hang, int width, TnBuf *s)
{
    int64_t n = o->a->sizes[d];
    bool sum = summarized(o->a, d);
    TnBuf sep = {0}, w = {0}, next = {0};
    bool ok = buf_puts(&sep, o->sep[0] == ',' ? "," : "") && buf_puts(&next, hang) &&
              buf_putc(&next, ' ');
    for (int k = 0; ok && k < o->a->nd - d - 1; k++)
        ok = buf_putc(&sep, '\n');
    for (int64_t i = 0; ok && i < n; i++) {
        if (sum && i == EDGEITEMS) {
            ok = buf_puts(s, hang) && buf_puts(s, "...") && buf_putn(s, sep.p, sep.n);
            i = n - EDGEITEMS;
        }
        w.n = 0;
        ok = ok && recurse(o, d + 1, p + i * o->a->strides[d] * o->a->es, next.p, width - 1, &w) &&
             buf_puts(s, hang) && buf_putn(s, w.p, w.n) && (i == n - 1 || buf_putn(s, sep.p, sep.n));
    }
    buf_free(&sep);
    buf_free(&w);
    buf_free(&next);
    return ok;
}

/* _formatArray's recurser for axis d: "[...]" without the leading hanging indent. */
static bool recurse(const Out *o, int d, const char *p, const char *hang, int width, TnBuf *res)
{
    TnBuf s = {0};
    bool ok = d + 1 == o->a->nd ? last_axis(o, d, p, hang, width, &s)
                                : outer_axis(o, d, p, hang, width, &s);
    size_t hlen = strlen(hang);
    ok = ok && s.n >= hlen && buf_putc(res, '[') && buf_putn(res, s.p + hlen, s.n - hlen) &&
         buf_putc(res, ']');
    buf_free(&s);
    return ok;
}

/* ------------------------------------------------------------------ entry */
static void fmt_prepare(Fmt *f, const Arr *a)
{
    visit(a, 0, a->base, f, scan_value);
    if (DT_IS_FLOAT(f->dt)) {
        decide_exp(f);
        visit(a, 0, a->base, f, measure_value);
    }
    finish_widths(f);
}

/* array2string: the bracketed body, wrapped at `width`, continuation lines
 * indented by len(prefix) + 1. */
static bool body(TnBuf *b, TnTensor *t, const char *sep, int prefix_len, int width)
{
    Arr a = {tensor_ptr(t), t->ndim, t->sizes, t->strides, DT_SIZE(t->dtype),
             tensor_numel(t) > THRESHOLD};
    Fmt f = {.dt = t->dtype, .bool_pad = t->ndim > 0};
    fmt_prepare(&f, &a);
    if (t->ndim == 0)
        return format_value(&f, b, a.base);
    char hang[64];
    int n = prefix_len + 1 < 63 ? prefix_len + 1 : 63;
    memset(hang, ' ', (size_t)n);
    hang[n] = 0;
    Out o = {&a, &f, sep};
    return recurse(&o, 0, a.base, hang, width, b);
}

static bool dtype_implied(TnDType dt)
{
    return dt == DT_FLOAT64 || dt == DT_INT64 || dt == DT_BOOL;
}

static bool shape_repr(TnBuf *b, TnTensor *t)
{
    bool ok = buf_putc(b, '(');
    for (int d = 0; ok && d < t->ndim; d++)
        ok = buf_printf(b, d ? ", %lld" : "%lld", (long long)t->sizes[d]);
    return ok && buf_puts(b, t->ndim == 1 ? ",)" : ")");
}

/* _array_repr_implementation */
static bool array_repr(TnBuf *b, TnTensor *t)
{
    int64_t numel = tensor_numel(t);
    bool skip = dtype_implied(t->dtype) && numel > 0;
    const char *suffix = skip ? ")" : ",";
    bool ok = buf_puts(b, "array(");
    if (numel > 0)
        ok = ok && body(b, t, ", ", 6, LINEWIDTH - 1);
    else if (t->ndim == 1)
        ok = ok && buf_puts(b, "[]");
    else
        ok = ok && buf_puts(b, "[], shape=") && shape_repr(b, t);
    ok = ok && buf_puts(b, suffix);
    if (!ok || skip)
        return ok;
    char dstr[40];
    snprintf(dstr, sizeof dstr, "dtype=%s)", tn_dtype_info[t->dtype].name);
    const char *nl = ok ? strrchr(b->p, '\n') : NULL;
    size_t last = nl ? b->n - (size_t)(nl + 1 - b->p) : b->n;
    if (last + strlen(dstr) + 1 > LINEWIDTH)
        return buf_puts(b, "\n      ") && buf_puts(b, dstr);
    return buf_putc(b, ' ') && buf_puts(b, dstr);
}

TnValue ndarray_format(TnState *st, TnTensor *t, bool repr)
{
    TnBuf b = {0};
    bool ok;
    if (repr)
        ok = array_repr(&b, t);
    else if (t->ndim == 0)
        return np_scalar_repr(st, t->dtype, tensor_ptr(t));
    else
        ok = tensor_numel(t) == 0 ? buf_puts(&b, "[]") : body(&b, t, " ", 0, LINEWIDTH);
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

/* Python's float repr rule (scientific below 1e-4 and from 1e16) with the dtype's digits. */
static void py_float_repr(double x, bool f32, char *out)
{
    if (!isfinite(x)) {
        strcpy(out, isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    char d[40];
    int e, k = 0;
    if (signbit(x))
        out[k++] = '-';
    shortest(fabs(x), f32, d, &e);
    int n = (int)strlen(d);
    if (x != 0 && (e < -4 || e >= 16)) {
        k += sprintf(out + k, "%c", d[0]);
        if (n > 1)
            k += sprintf(out + k, ".%s", d + 1);
        sprintf(out + k, "e%c%02d", e < 0 ? '-' : '+', abs(e));
    } else if (e < 0) {
        k += sprintf(out + k, "0.");
        for (int i = 0; i < -e - 1; i++)
            out[k++] = '0';
        sprintf(out + k, "%s", d);
    } else {
        for (int i = 0; i <= e; i++)
            out[k++] = i < n ? d[i] : '0';
        sprintf(out + k, ".%s", n > e + 1 ? d + e + 1 : "0");
    }
}

TnValue np_scalar_repr(TnState *st, TnDType dt, const void *p)
{
    char buf[64];
    if (dt == DT_BOOL)
        return tn_str(st, *(const uint8_t *)p ? "True" : "False");
    if (DT_IS_INT(dt))
        return tn_str_fmt(st, "%lld", (long long)dtype_get_i(dt, p));
    py_float_repr(dtype_get_f(dt, p), dt == DT_FLOAT32, buf);
    return tn_str(st, buf);
}
