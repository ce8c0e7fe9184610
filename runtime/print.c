/* print.c: PyTorch's tensor repr (torch/_tensor_str.py), character for character:
 * the formatter's int/fixed/scientific choice, widths, line wrapping, summaries
 * and suffixes. */
#include "tensor.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

TnPrintOptions tn_print_opts = {4, 3, 80, 1000, -1};

/* A borrowed strided view of the data being printed. */
typedef struct {
    const char *data; /* storage base */
    TnDType dt;
    int nd;
    const int64_t *sizes, *strides;
    int64_t off;
} PView;

static PView pview(const TnTensor *t)
{
    PView v = {t->storage->data, t->dtype, t->ndim, t->sizes, t->strides, t->offset};
    return v;
}

static PView sub(PView v, int64_t i)
{
    PView s = v;
    s.nd--;
    s.sizes++;
    s.strides++;
    s.off += i * v.strides[0];
    return s;
}

static const char *at(PView v)
{
    return v.data + v.off * DT_SIZE(v.dt);
}

/* --------------------------------------------------------------- formatter */
typedef struct {
    bool floating, int_mode, sci_mode;
    int max_width;
    /* scan state */
    bool any;
    double amin, amax;
} Fmt;

static int int_str(char *b, size_t n, PView v)
{
    if (v.dt == DT_BOOL)
        return snprintf(b, n, "%s", *(const uint8_t *)at(v) != 0 ? "True" : "False");
    return snprintf(b, n, "%lld", (long long)dtype_get_i(v.dt, at(v)));
}

/* Python's '{:.Nf}' / '{:.Ne}' of a double (nan is always "nan"). */
static int float_str(char *b, size_t n, double x, char mode, int prec, int width)
{
    if (x != x)
        return snprintf(b, n, "%*s", width, "nan");
    if (isinf(x))
        return snprintf(b, n, "%*s", width, x > 0 ? "inf" : "-inf");
    if (mode == 'e')
        return snprintf(b, n, "%*.*e", width, prec, x);
    return snprintf(b, n, "%*.*f", width, prec, x);
}

static bool edge_skip(int64_t size, bool summarize)
{
    return summarize && size > 2 * (int64_t)tn_print_opts.edgeitems;
}

/* Calls fn on every element that will be printed (edge items when summarising). */
typedef void (*VisitFn)(Fmt *f, PView v, int pass);
static void visit(PView v, bool summarize, Fmt *f, VisitFn fn, int pass)
{
    if (v.nd == 0) {
        fn(f, v, pass);
        return;
    }
    int64_t n = v.sizes[0], e = tn_print_opts.edgeitems;
    for (int64_t i = 0; i < n; i++) {
        if (edge_skip(n, summarize) && i >= e && i < n - e)
            continue;
        visit(sub(v, i), summarize, f, fn, pass);
    }
}

static void width_of(Fmt *f, int len)
{
    if (len > f->max_width)
        f->max_width = len;
}

/* pass 0: int widths / min-max-int_mode scan; pass 1: float widths. */
static void scan_elem(Fmt *f, PView v, int pass)
{
    char b[64];
    if (!f->floating) {
        width_of(f, int_str(b, sizeof b, v));
        return;
    }
    double x = dtype_get_f(v.dt, at(v));
    if (x != x || isinf(x) || x == 0)
        return;
    if (pass == 0) {
        double a = fabs(x);
        if (!f->any || a < f->amin)
            f->amin = a;
        if (!f->any || a > f->amax)
            f->amax = a;
        f->any = true;
        if (x != ceil(x))
            f->int_mode = false;
        return;
    }
    int p = tn_print_opts.precision;
    if (f->sci_mode)
        width_of(f, float_str(b, sizeof b, x, 'e', p, 0));
    else if (f->int_mode)
        width_of(f, float_str(b, sizeof b, x, 'f', 0, 0) + 1);
    else
        width_of(f, float_str(b, sizeof b, x, 'f', p, 0));
}

static void fmt_init(Fmt *f, PView v, bool summarize)
{
    memset(f, 0, sizeof *f);
    f->floating = DT_IS_FLOAT(v.dt);
    f->int_mode = true;
    f->max_width = 1;
    visit(v, summarize, f, scan_elem, 0);
    if (f->floating && f->any) {
        double ratio = f->amax / f->amin;
        if (f->int_mode)
            f->sci_mode = ratio > 1000. || f->amax > 1.e8;
        else
            f->sci_mode = ratio > 1000. || f->amax > 1.e8 || f->amin < 1.e-4;
        visit(v, summarize, f, scan_elem, 1);
    }
    /* PyTorch's formatter returns early when no element is finite and nonzero, before
     * the sci_mode option applies: zeros print as `0.` even with sci_mode=True */
    if (f->floating && f->any && tn_print_opts.sci_mode >= 0)
        f->sci_mode = tn_print_opts.sci_mode;
}

static bool put_elem(TnBuf *b, const Fmt *f, PView v)
{
    char s[64];
    int n;
    if (!f->floating) {
        n = int_str(s, sizeof s, v);
    } else {
        double x = dtype_get_f(v.dt, at(v));
        int p = tn_print_opts.precision;
        if (f->sci_mode) {
            n = float_str(s, sizeof s, x, 'e', p, f->max_width);
        } else if (f->int_mode) {
            n = float_str(s, sizeof s, x, 'f', 0, 0);
            if (!(isinf(x) || x != x))
                s[n++] = '.', s[n] = 0;
        } else {
            n = float_str(s, sizeof s, x, 'f', p, 0);
        }
    }
    for (int i = n; i < f->max_width; i++)
        if (!buf_putc(b, ' '))
            return false;
    return buf_putn(b, s, (size_t)n);
}

static bool spaces(TnBuf *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!buf_putc(b, ' '))
            return false;
    return true;
}

static bool vector_str(TnBuf *b, const Fmt *f, PView v, int indent, bool summarize)
{
    int elen = f->max_width + 2;
    int per_line = (int)floor((double)(tn_print_opts.linewidth - indent) / elen);
    if (per_line < 1)
        per_line = 1;
    int64_t n = v.sizes[0], e = tn_print_opts.edgeitems;
    bool skip = edge_skip(n, summarize);
    bool ok = buf_putc(b, '[');
    int64_t k = 0; /* position in the printed data list */
    for (int64_t i = 0; i < n && ok; i++) {
        if (skip && i >= e && i < n - e) {
            if (i != e)
                continue;
        }
        if (k > 0) {
            if (k % per_line == 0)
                ok = buf_puts(b, ",\n") && spaces(b, indent + 1);
            else
                ok = buf_puts(b, ", ");
        }
        if (skip && i == e) {
            ok = ok && buf_puts(b, " ...");
            i = n - e - 1;
        } else {
            ok = ok && put_elem(b, f, sub(v, i));
        }
        k++;
    }
    return ok && buf_putc(b, ']');
}

static bool tensor_str_fmt(TnBuf *b, const Fmt *f, PView v, int indent, bool summarize)
{
    if (v.nd == 0)
        return put_elem(b, f, v);
    if (v.nd == 1)
        return vector_str(b, f, v, indent, summarize);
    int64_t n = v.sizes[0], e = tn_print_opts.edgeitems;
    bool skip = edge_skip(n, summarize);
    bool ok = buf_putc(b, '[');
    bool first = true;
    for (int64_t i = 0; i < n && ok; i++) {
        if (skip && i >= e && i < n - e && i != e)
            continue;
        if (!first) {
            ok = buf_putc(b, ',');
            for (int k = 0; k < v.nd - 1 && ok; k++)
                ok = buf_putc(b, '\n');
            ok = ok && spaces(b, indent + 1);
        }
        first = false;
        if (skip && i == e) {
            ok = ok && buf_puts(b, "...");
            i = n - e - 1;
        } else {
            ok = ok && tensor_str_fmt(b, f, sub(v, i), indent + 1, summarize);
        }
    }
    return ok && buf_putc(b, ']');
}

bool tensor_format_data(TnBuf *b, TnTensor *t, int indent)
{
    if (tensor_numel(t) == 0)
        return buf_puts(b, "[]");
    bool summarize = tensor_numel(t) > tn_print_opts.threshold;
    PView v = pview(t);
    Fmt f;
    fmt_init(&f, v, summarize);
    return tensor_str_fmt(b, &f, v, indent, summarize);
}

/* ---------------------------------------------------------------- suffixes */
static bool tuple_str(TnBuf *b, int nd, const int64_t *sizes)
{
    bool ok = buf_putc(b, '(');
    for (int d = 0; d < nd && ok; d++)
        ok = buf_printf(b, d ? ", %lld" : "%lld", (long long)sizes[d]);
    if (nd == 1)
        ok = ok && buf_putc(b, ',');
    return ok && buf_putc(b, ')');
}

typedef struct {
    char s[4][128];
    int n;
} Suffixes;

static void add_suffix(Suffixes *sx, const char *s)
{
    if (sx->n < 4)
        snprintf(sx->s[sx->n++], sizeof sx->s[0], "%s", s);
}

static bool add_suffixes(TnBuf *b, const Suffixes *sx, int indent, bool force_newline)
{
    /* last_line_len as _add_suffixes computes it (len - rfind('\n') + 1) */
    int64_t last_nl = -1;
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i] == '\n')
            last_nl = (int64_t)i;
    int64_t last = (int64_t)b->n - last_nl + 1;
    bool ok = true;
    for (int i = 0; i < sx->n && ok; i++) {
        int64_t len = (int64_t)strlen(sx->s[i]);
        if (force_newline || last + len + 2 > tn_print_opts.linewidth) {
            ok = buf_puts(b, ",\n") && spaces(b, indent) && buf_puts(b, sx->s[i]);
            last = indent + len;
            force_newline = false;
        } else {
            ok = buf_puts(b, ", ") && buf_puts(b, sx->s[i]);
            last += len + 2;
        }
    }
    return ok && buf_putc(b, ')');
}

static bool has_default_dtype(TnDType dt)
{
    return dt == DT_FLOAT32 || dt == DT_INT64 || dt == DT_BOOL;
}

static void grad_suffix(Suffixes *sx, TnTensor *t)
{
    char s[128];
    const char *name = t->grad_fn && tensor_grad_fn_name ? tensor_grad_fn_name(t) : NULL;
    if (name) {
        snprintf(s, sizeof s, "grad_fn=<%s>", name);
        add_suffix(sx, s);
    } else if (t->requires_grad) {
        add_suffix(sx, "requires_grad=True");
    }
}

static bool sparse_repr(TnBuf *b, TnTensor *t, Suffixes *sx)
{
    const int indent = 7;
    char s[128];
    TnBuf tb = {0};
    bool ok = tuple_str(&tb, t->ndim, t->sizes) && buf_putc(&tb, 0);
    if (!ok) {
        buf_free(&tb);
        return false;
    }
    snprintf(s, sizeof s, "size=%s", tb.p);
    buf_free(&tb);
    add_suffix(sx, s);
    snprintf(s, sizeof s, "nnz=%lld", (long long)(t->sp_values->ndim ? t->sp_values->sizes[0] : 0));
    add_suffix(sx, s);
    if (!has_default_dtype(t->dtype)) {
        snprintf(s, sizeof s, "dtype=torch.%s", tn_dtype_info[t->dtype].name);
        add_suffix(sx, s);
    }
    add_suffix(sx, "layout=torch.sparse_coo");
    grad_suffix(sx, t);
    ok = buf_puts(b, "tensor(indices=tensor(") &&
         tensor_format_data(b, t->sp_indices, indent + 15);
    if (ok && tensor_numel(t->sp_indices) == 0)
        ok = buf_puts(b, ", size=") &&
             tuple_str(b, t->sp_indices->ndim, t->sp_indices->sizes);
    ok = ok && buf_puts(b, "),\n") && spaces(b, indent) && buf_puts(b, "values=tensor(") &&
         tensor_format_data(b, t->sp_values, indent + 14);
    if (ok && tensor_numel(t->sp_values) == 0)
        ok = buf_puts(b, ", size=") && tuple_str(b, t->sp_values->ndim, t->sp_values->sizes);
    return ok && buf_putc(b, ')') && add_suffixes(b, sx, indent, true);
}

TnValue tensor_repr(TnState *st, TnTensor *t)
{
    TnBuf b = {0};
    Suffixes sx = {.n = 0};
    char s[128];
    const int indent = 7;
    bool ok = true;
    if (t->is_param || t->head.type == &tn_parameter_type)
        ok = buf_puts(&b, "Parameter containing:\n");
    size_t start = b.n;
    if (t->sp_indices && t->sp_values) {
        TnBuf body = {0};
        ok = ok && sparse_repr(&body, t, &sx) && buf_putn(&b, body.p, body.n);
        buf_free(&body);
    } else {
        ok = ok && buf_puts(&b, "tensor(");
        if (tensor_numel(t) == 0) {
            if (t->ndim != 1) {
                TnBuf tb = {0};
                if (tuple_str(&tb, t->ndim, t->sizes) && buf_putc(&tb, 0)) {
                    snprintf(s, sizeof s, "size=%s", tb.p);
                    add_suffix(&sx, s);
                }
                buf_free(&tb);
            }
            if (t->dtype != DT_FLOAT32) {
                snprintf(s, sizeof s, "dtype=torch.%s", tn_dtype_info[t->dtype].name);
                add_suffix(&sx, s);
            }
            ok = ok && buf_puts(&b, "[]");
        } else {
            if (!has_default_dtype(t->dtype)) {
                snprintf(s, sizeof s, "dtype=torch.%s", tn_dtype_info[t->dtype].name);
                add_suffix(&sx, s);
            }
            ok = ok && tensor_format_data(&b, t, indent);
        }
        grad_suffix(&sx, t);
        if (ok) {
            /* suffix placement measures the tensor( ... text only */
            TnBuf tail = {b.p + start, b.n - start, b.cap - start};
            size_t before = tail.n;
            TnBuf tmp = {0};
            ok = buf_putn(&tmp, tail.p, tail.n) && add_suffixes(&tmp, &sx, indent, false);
            if (ok) {
                b.n = start;
                ok = buf_putn(&b, tmp.p + 0, before) && buf_putn(&b, tmp.p + before, tmp.n - before);
            }
            buf_free(&tmp);
        }
    }
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}
