/* format.c: format specs ("{:>8.3f}"), format(), str.format, f-string fields and `%` formatting.
 *
 * One parsed Spec feeds three formatters (int, float, str) that produce sign,
 * prefix, integer digits and the rest; finish() applies grouping, sign-aware
 * zero padding and alignment, as CPython's formatter_unicode.c does.
 */
#include "format.h"
#include "sig.h"
#include "types.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t fill;
    char align; /* 0 when not given */
    char sign;  /* 0, '+', '-', ' ' */
    bool z, alt, zero;
    int64_t width, prec; /* -1 when not given */
    char group;          /* 0, ',', '_' */
    char type;           /* 0 when not given */
} Spec;

static uint32_t utf8_cp(const char *s, int *len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] < 0x80) {
        *len = 1;
        return p[0];
    }
    if (p[0] < 0xE0 && p[1]) {
        *len = 2;
        return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (p[0] < 0xF0 && p[1] && p[2]) {
        *len = 3;
        return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    if (p[1] && p[2] && p[3]) {
        *len = 4;
        return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
    *len = 1;
    return p[0];
}

static int utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int64_t nchars(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static bool is_align(uint32_t c)
{
    return c == '<' || c == '>' || c == '^' || c == '=';
}

/* Parses a format spec; `tname` names the object's type for error messages. */
static int parse_spec(TnState *st, TnStr *spec, Spec *s, const char *tname)
{
    *s = (Spec){.fill = ' ', .width = -1, .prec = -1};
    if (!spec || spec->len == 0)
        return 0;
    const char *p = spec->data, *end = p + spec->len;
    int l1, l2 = 0;
    uint32_t c1 = utf8_cp(p, &l1);
    uint32_t c2 = p + l1 < end ? utf8_cp(p + l1, &l2) : 0;
    bool fill_given = false;
    if (p + l1 < end && is_align(c2)) {
        s->fill = c1;
        s->align = (char)c2;
        fill_given = true;
        p += l1 + l2;
    } else if (is_align(c1)) {
        s->align = (char)c1;
        p += l1;
    }
    if (p < end && (*p == '+' || *p == '-' || *p == ' '))
        s->sign = *p++;
    if (p < end && *p == 'z') {
        s->z = true;
        p++;
    }
    if (p < end && *p == '#') {
        s->alt = true;
        p++;
    }
    if (p < end && *p == '0') {
        s->zero = true;
        if (!fill_given)
            s->fill = '0';
        if (!s->align)
            s->align = '=';
        p++;
    }
    if (p < end && *p >= '0' && *p <= '9') {
        s->width = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            s->width = s->width * 10 + (*p++ - '0');
            if (s->width > 1000000000)
                return tn_raise_int(st, tn_ValueError, "Too many decimal digits in format string");
        }
    }
    if (p < end && (*p == ',' || *p == '_')) {
        s->group = *p++;
        if (p < end && (*p == ',' || *p == '_') && *p != s->group)
            return tn_raise_int(st, tn_ValueError, "Cannot specify both ',' and '_'.");
        if (p < end && *p == s->group)
            return tn_raise_int(st, tn_ValueError, "Cannot specify '%c' with '%c'.", s->group,
                                s->group);
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return tn_raise_int(st, tn_ValueError, "Format specifier missing precision");
        s->prec = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            s->prec = s->prec * 10 + (*p++ - '0');
            if (s->prec > 1000000000)
                return tn_raise_int(st, tn_ValueError, "Too many decimal digits in format string");
        }
    }
    if (end - p > 1)
        return tn_raise_int(st, tn_ValueError, "Invalid format specifier '%s' for object of type '%s'",
                            spec->data, tname);
    if (p < end)
        s->type = *p;
    /* CPython validates the separator against the type before anything else */
    if (s->group && !(s->type && strchr("defgEFG%", s->type)) && s->type) {
        bool under_ok = s->group == '_' && strchr("boxX", s->type);
        if (!under_ok)
            return tn_raise_int(st, tn_ValueError, "Cannot specify '%c' with '%c'.", s->group,
                                s->type);
    }
    return 0;
}

/* Inserts separator `sep` every `every` digits of d[0..n) into b. */
static bool put_grouped(TnBuf *b, const char *d, size_t n, char sep, int every)
{
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % (size_t)every == 0 && !buf_putc(b, sep))
            return false;
        if (!buf_putc(b, d[i]))
            return false;
    }
    return true;
}

static bool put_fill(TnBuf *b, uint32_t fill, int64_t n)
{
    char enc[4];
    int l = utf8_put(fill, enc);
    for (int64_t i = 0; i < n; i++)
        if (!buf_putn(b, enc, (size_t)l))
            return false;
    return true;
}

/* Assembles sign + prefix + grouped integer digits + rest, padded per the spec.
 * `every` is the grouping interval (3 or 4). */
static TnValue finish(TnState *st, const Spec *s, const char *sign, const char *prefix,
                      const char *digits, size_t nd, const char *rest, size_t nrest, int every,
                      char default_align)
{
    TnBuf body = {0}, out = {0};
    char align = s->align ? s->align : default_align;
    int64_t fixed = (int64_t)(strlen(sign) + strlen(prefix)) + nchars(rest, nrest);
    bool ok = true;
    if (align == '=' && s->fill == '0' && s->group && s->width > 0) {
        /* zero padding is part of the grouped number: 00,001,234 */
        char *zd = tn_malloc((size_t)s->width + nd + 1);
        if (!zd)
            return tn_no_memory(st);
        memcpy(zd, digits, nd);
        size_t n = nd;
        while (true) {
            int64_t glen = (int64_t)n + ((int64_t)n - 1) / every;
            if (fixed + glen >= s->width)
                break;
            memmove(zd + 1, zd, n);
            zd[0] = '0';
            n++;
        }
        ok = put_grouped(&body, zd, n, s->group, every);
        tn_free(zd);
    } else if (s->group) {
        ok = put_grouped(&body, digits, nd, s->group, every);
    } else {
        ok = buf_putn(&body, digits, nd);
    }
    ok = ok && buf_putn(&body, rest, nrest);
    if (!ok)
        goto oom;
    int64_t len = fixed - nchars(rest, nrest) + nchars(body.p ? body.p : "", body.n);
    int64_t pad = s->width > len ? s->width - len : 0;
    int64_t left = 0, right = 0, mid = 0;
    switch (align) {
    case '<': right = pad; break;
    case '^': left = pad / 2; right = pad - left; break;
    case '=': mid = pad; break;
    default: left = pad; break;
    }
    ok = put_fill(&out, s->fill, left) && buf_puts(&out, sign) && buf_puts(&out, prefix) &&
         put_fill(&out, s->fill, mid) && buf_putn(&out, body.p ? body.p : "", body.n) &&
         put_fill(&out, s->fill, right);
    buf_free(&body);
    if (!ok)
        goto oom;
    return buf_to_str(st, &out);
oom:
    buf_free(&body);
    buf_free(&out);
    return tn_no_memory(st);
}

static const char *sign_of(const Spec *s, bool neg)
{
    if (neg)
        return "-";
    return s->sign == '+' ? "+" : s->sign == ' ' ? " " : "";
}

static TnValue format_float(TnState *st, double x, const Spec *s, const char *tname);

static TnValue format_int(TnState *st, int64_t v, const Spec *s, const char *tname)
{
    char type = s->type ? s->type : 'd';
    if (strchr("eEfFgG%", type))
        return format_float(st, (double)v, s, tname);
    if (!strchr("bcdoxXn", type))
        return tn_raise(st, tn_ValueError, "Unknown format code '%c' for object of type '%s'",
                        type, tname);
    if (s->prec >= 0)
        return tn_raise(st, tn_ValueError, "Precision not allowed in integer format specifier");
    if (type == 'c') {
        if (s->sign)
            return tn_raise(st, tn_ValueError, "Sign not allowed with integer format specifier 'c'");
        if (s->alt)
            return tn_raise(st, tn_ValueError,
                            "Alternate form (#) not allowed with integer format specifier 'c'");
        if (v < 0 || v > 0x10FFFF)
            return tn_raise(st, tn_OverflowError, "%%c arg not in range(0x110000)");
        char enc[4];
        int n = utf8_put((uint32_t)v, enc);
        return finish(st, s, "", "", "", 0, enc, (size_t)n, 3, '>');
    }
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
    const char *dig = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[72];
    int n = 0;
    do {
        buf[sizeof buf - 1 - n++] = dig[m % (uint64_t)base];
        m /= (uint64_t)base;
    } while (m);
    const char *prefix = "";
    if (s->alt)
        prefix = base == 2 ? "0b" : base == 8 ? "0o" : type == 'x' ? "0x" : type == 'X' ? "0X" : "";
    return finish(st, s, sign_of(s, v < 0), prefix, buf + sizeof buf - n, (size_t)n, "", 0,
                  base == 10 ? 3 : 4, '>');
}

static TnValue format_float(TnState *st, double x, const Spec *s, const char *tname)
{
    char type = s->type;
    if (type && !strchr("eEfFgGn%", type))
        return tn_raise(st, tn_ValueError, "Unknown format code '%c' for object of type '%s'",
                        type, tname);
    bool neg = signbit(x) && !isnan(x);
    double a = fabs(x);
    char *body = NULL;
    int64_t prec = s->prec;
    bool upper = type == 'E' || type == 'F' || type == 'G';
    char small[128];
    const char *txt = small;
    size_t cap = sizeof small;
    if (isnan(a) || isinf(a)) {
        snprintf(small, cap, "%s", isnan(a) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"));
        if (type == '%')
            strcat(small, "%");
    } else {
        int p = (int)(prec < 0 ? 6 : prec);
        /* 'f' of a huge number needs more than the small buffer */
        if (a >= 1e50 && (type == 'f' || type == 'F' || type == '%')) {
            cap = (size_t)p + 400;
            body = tn_malloc(cap);
            if (!body)
                return tn_no_memory(st);
            txt = body;
        }
        char *o = body ? body : small;
        switch (type) {
        case 'f':
        case 'F': snprintf(o, cap, s->alt ? "%#.*f" : "%.*f", p, a); break;
        case '%': snprintf(o, cap, s->alt ? "%#.*f%%" : "%.*f%%", p, a * 100); break;
        case 'e':
        case 'E': snprintf(o, cap, s->alt ? "%#.*e" : "%.*e", p, a); break;
        case 'g':
        case 'G':
        case 'n': snprintf(o, cap, s->alt ? "%#.*g" : "%.*g", p ? p : 1, a); break;
        default:
            if (prec < 0) {
                float_repr_buf(a, o);
            } else {
                /* 'g'-like, but the fixed form keeps a ".0" and switches to the
                 * exponent one digit earlier (CPython's ADD_DOT_0 rule) */
                int pp = p ? p : 1;
                char e[64];
                snprintf(e, sizeof e, "%.*e", pp - 1, a);
                int decpt = atoi(strchr(e, 'e') + 1) + 1;
                if (decpt <= -4 || decpt > pp - 1) {
                    char *ep = strchr(e, 'e');
                    char *q = ep;
                    if (!s->alt && strchr(e, '.')) {
                        while (q[-1] == '0')
                            q--;
                        if (q[-1] == '.')
                            q--;
                    }
                    snprintf(o, cap, "%.*s%s", (int)(q - e), e, ep);
                } else {
                    snprintf(o, cap, "%.*f", pp - decpt > 0 ? pp - decpt : 0, a);
                    if (!s->alt && strchr(o, '.')) {
                        char *q = o + strlen(o);
                        while (q[-1] == '0')
                            q--;
                        if (q[-1] == '.')
                            q--;
                        *q = 0;
                    }
                    if (!strchr(o, '.'))
                        strcat(o, ".0");
                }
            }
            break;
        }
        if (upper)
            for (char *q = o; *q; q++)
                if (*q == 'e')
                    *q = 'E';
        if (s->z && neg) {
            bool allzero = true;
            for (const char *q = o; *q && *q != 'e' && *q != 'E'; q++)
                if (*q >= '1' && *q <= '9')
                    allzero = false;
            if (allzero)
                neg = false;
        }
    }
    size_t nint = strspn(txt, "0123456789");
    Spec t = *s;
    if (!isfinite(a))
        t.group = 0; /* nothing to group, and zero padding stays plain */
    TnValue r = finish(st, &t, sign_of(s, neg), "", txt, nint, txt + nint, strlen(txt + nint), 3,
                       '>');
    tn_free(body);
    return r;
}

static TnValue format_str(TnState *st, TnStr *str, const Spec *s)
{
    if (s->type && s->type != 's')
        return tn_raise(st, tn_ValueError, "Unknown format code '%c' for object of type 'str'",
                        s->type);
    if (s->sign)
        return tn_raise(st, tn_ValueError, "Sign not allowed in string format specifier");
    if (s->alt)
        return tn_raise(st, tn_ValueError, "Alternate form (#) not allowed in string format specifier");
    if (s->group)
        return tn_raise(st, tn_ValueError, "Cannot specify '%c' with 's'.", s->group);
    Spec t = *s;
    if (t.align == '=') {
        if (!s->zero || s->fill != '0')
            return tn_raise(st, tn_ValueError, "'=' alignment not allowed in string format specifier");
        t.align = '<';
    }
    int64_t n = str->len;
    if (s->prec >= 0 && s->prec < str->nchars)
        n = str_offset(str, s->prec);
    if (n == str->len && (s->width < 0 || s->width <= str->nchars)) {
        tn_obj_incref(str);
        return tn_obj(str);
    }
    return finish(st, &t, "", "", "", 0, str->data, (size_t)n, 3, '<');
}

TnValue tn_format(TnState *st, TnValue v, TnStr *spec)
{
    bool empty = !spec || spec->len == 0;
    Spec s;
    switch (v.tag) {
    case V_INT:
        if (parse_spec(st, spec, &s, "int") < 0)
            return tn_undef();
        return format_int(st, v.u.i, &s, "int");
    case V_BOOL:
        if (empty)
            return tn_str(st, v.u.i ? "True" : "False");
        if (parse_spec(st, spec, &s, "bool") < 0)
            return tn_undef();
        return format_int(st, v.u.i, &s, "bool");
    case V_FLOAT:
        if (parse_spec(st, spec, &s, "float") < 0)
            return tn_undef();
        return format_float(st, v.u.f, &s, "float");
    case V_NONE:
        if (empty)
            return tn_str(st, "None");
        return tn_raise(st, tn_TypeError, "unsupported format string passed to NoneType.__format__");
    case V_OBJ: break;
    default: return tn_raise(st, tn_TypeError, "cannot format an undefined value");
    }
    if (IS_STR(v)) {
        if (empty)
            return tn_ref(v);
        if (parse_spec(st, spec, &s, "str") < 0)
            return tn_undef();
        return format_str(st, AS_STR(v), &s);
    }
    static TnStr *s_format;
    if (!s_format && !(s_format = str_intern("__format__")))
        return tn_no_memory(st);
    TnValue m = type_lookup(AS_OBJ(v)->type, s_format);
    if (IS_UNDEF(m)) {
        if (empty)
            return tn_to_str(st, v);
        return tn_raise(st, tn_TypeError, "unsupported format string passed to %s.__format__",
                        tn_type_name(v));
    }
    TnValue sv = spec ? tn_ref(tn_obj(spec)) : tn_str_n(st, "", 0);
    if (IS_UNDEF(sv))
        return sv;
    tn_incref(m);
    TnValue r = tn_call_descr(st, m, v, &sv, 1, NULL, 0);
    tn_decref(m);
    tn_decref(sv);
    if (!IS_UNDEF(r) && !IS_STR(r)) {
        TnValue bad = r;
        r = tn_raise(st, tn_TypeError, "__format__ must return a str, not %s", tn_type_name(bad));
        tn_decref(bad);
    }
    return r;
}

TnValue tn_ascii(TnState *st, TnValue v)
{
    TnValue r = tn_repr(st, v);
    if (IS_UNDEF(r) || AS_STR(r)->ascii)
        return r;
    TnStr *s = AS_STR(r);
    TnBuf b = {0};
    bool ok = true;
    for (int64_t i = 0; i < s->len && ok;) {
        int l;
        uint32_t c = utf8_cp(s->data + i, &l);
        if (c < 0x80)
            ok = buf_putc(&b, (char)c);
        else if (c < 0x100)
            ok = buf_printf(&b, "\\x%02x", c);
        else if (c < 0x10000)
            ok = buf_printf(&b, "\\u%04x", c);
        else
            ok = buf_printf(&b, "\\U%08x", c);
        i += l;
    }
    tn_decref(r);
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

TnValue tn_format_field(TnState *st, TnValue v, int conversion, TnStr *spec)
{
    TnValue conv;
    switch (conversion) {
    case 0: return tn_format(st, v, spec);
    case 'r': conv = tn_repr(st, v); break;
    case 's': conv = tn_to_str(st, v); break;
    case 'a': conv = tn_ascii(st, v); break;
    default:
        return tn_raise(st, tn_ValueError, "Unknown conversion specifier %c", (char)conversion);
    }
    if (IS_UNDEF(conv))
        return conv;
    TnValue r = tn_format(st, conv, spec);
    tn_decref(conv);
    return r;
}

/* ------------------------------------------------------------ format() builtin */

static TnValue builtin_format(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "format() argument 2 must be str, not %s",
                        tn_type_name(a[1]));
    return tn_format(st, a[0], AS_STR(a[1]));
}

const TnMethodDef tn_format_builtin_def = {
    "format", builtin_format, "format(value, format_spec='', /)", NULL,
    "Return value.__format__(format_spec)."};

/* ------------------------------------------------------------ str.format */

/* Resolves a field name ("0", "name", "0.attr[2]") against args/kwargs. */
static TnValue get_field(TnState *st, const char *p, const char *end, TnTuple *args, TnDict *kw,
                         int64_t *autoidx, int *mode)
{
    const char *q = p;
    while (q < end && *q != '.' && *q != '[')
        q++;
    TnValue obj;
    if (q == p || (*p >= '0' && *p <= '9')) {
        int64_t idx;
        if (q == p) {
            if (*mode == 2)
                return tn_raise(st, tn_ValueError,
                                "cannot switch from manual field specification to automatic field numbering");
            *mode = 1;
            idx = (*autoidx)++;
        } else {
            if (*mode == 1)
                return tn_raise(st, tn_ValueError,
                                "cannot switch from automatic field numbering to manual field specification");
            *mode = 2;
            idx = 0;
            for (const char *d = p; d < q; d++) {
                if (*d < '0' || *d > '9')
                    return tn_raise(st, tn_ValueError, "invalid field name");
                idx = idx * 10 + (*d - '0');
            }
        }
        if (idx >= args->n)
            return tn_raise(st, tn_IndexError,
                            "Replacement index %lld out of range for positional args tuple",
                            (long long)idx);
        obj = tn_ref(args->items[idx]);
    } else {
        TnValue key = tn_str_n(st, p, q - p);
        if (IS_UNDEF(key))
            return key;
        TnValue v;
        int r = kw ? dict_lookup(st, kw, key, &v) : 0;
        if (r <= 0) {
            if (r == 0) {
                TnValue exc = tn_call(st, tn_obj(tn_KeyError), &key, 1, NULL, 0);
                if (!IS_UNDEF(exc))
                    tn_raise_value(st, exc);
            }
            tn_decref(key);
            return tn_undef();
        }
        tn_decref(key);
        obj = tn_ref(v);
    }
    while (q < end) {
        if (*q == '.') {
            const char *b = ++q;
            while (q < end && *q != '.' && *q != '[')
                q++;
            TnStr *name = str_intern_n(b, q - b);
            TnValue nv = name ? tn_getattr(st, obj, name) : tn_no_memory(st);
            tn_decref(obj);
            if (IS_UNDEF(nv))
                return nv;
            obj = nv;
        } else if (*q == '[') {
            const char *b = ++q;
            while (q < end && *q != ']')
                q++;
            if (q >= end) {
                tn_decref(obj);
                return tn_raise(st, tn_ValueError, "Missing ']' in format string");
            }
            TnValue key;
            bool digits = q > b;
            for (const char *d = b; d < q; d++)
                digits = digits && *d >= '0' && *d <= '9';
            key = digits ? tn_int(strtoll(b, NULL, 10)) : tn_str_n(st, b, q - b);
            q++;
            TnValue nv = IS_UNDEF(key) ? key : tn_getitem(st, obj, key);
            tn_decref(key);
            tn_decref(obj);
            if (IS_UNDEF(nv))
                return nv;
            obj = nv;
        } else {
            tn_decref(obj);
            return tn_raise(st, tn_ValueError, "Only '.' or '[' may follow ']' in format field specifier");
        }
    }
    return obj;
}

static TnValue do_format(TnState *st, TnStr *fmt, TnTuple *args, TnDict *kw, int depth,
                         int64_t *autoidx, int *mode);

/* Formats one replacement field body (between the braces). */
static bool format_field(TnState *st, TnBuf *out, const char *p, const char *end, TnTuple *args,
                         TnDict *kw, int depth, int64_t *autoidx, int *mode)
{
    /* the field name ends at '!' or ':' outside brackets */
    const char *q = p;
    int br = 0;
    while (q < end && (br || (*q != '!' && *q != ':'))) {
        if (*q == '[')
            br++;
        else if (*q == ']')
            br--;
        q++;
    }
    int conv = 0;
    const char *specp = NULL;
    if (q < end && *q == '!') {
        if (q + 1 >= end)
            return tn_raise(st, tn_ValueError, "end of string while looking for conversion specifier"),
                   false;
        conv = (unsigned char)q[1];
        if (q + 2 < end && q[2] != ':')
            return tn_raise(st, tn_ValueError, "expected ':' after conversion specifier"), false;
        if (conv != 'r' && conv != 's' && conv != 'a')
            return tn_raise(st, tn_ValueError, "Unknown conversion specifier %c", conv), false;
        if (q + 2 < end)
            specp = q + 3;
    } else if (q < end) {
        specp = q + 1;
    }
    TnValue obj = get_field(st, p, q, args, kw, autoidx, mode);
    if (IS_UNDEF(obj))
        return false;
    TnValue spec = tn_undef();
    if (specp) {
        TnValue raw = tn_str_n(st, specp, end - specp);
        if (IS_UNDEF(raw)) {
            tn_decref(obj);
            return false;
        }
        if (memchr(specp, '{', (size_t)(end - specp))) {
            if (depth >= 2) {
                tn_decref(raw);
                tn_decref(obj);
                return tn_raise(st, tn_ValueError, "Max string recursion exceeded"), false;
            }
            spec = do_format(st, AS_STR(raw), args, kw, depth + 1, autoidx, mode);
            tn_decref(raw);
        } else {
            spec = raw;
        }
        if (IS_UNDEF(spec)) {
            tn_decref(obj);
            return false;
        }
    }
    TnValue r = tn_format_field(st, obj, conv, IS_UNDEF(spec) ? NULL : AS_STR(spec));
    tn_decref(obj);
    tn_decref(spec);
    if (IS_UNDEF(r))
        return false;
    bool ok = buf_putn(out, AS_STR(r)->data, (size_t)AS_STR(r)->len);
    tn_decref(r);
    if (!ok)
        (void)tn_no_memory(st);
    return ok;
}

static TnValue do_format(TnState *st, TnStr *fmt, TnTuple *args, TnDict *kw, int depth,
                         int64_t *autoidx, int *mode)
{
    TnBuf out = {0};
    const char *p = fmt->data, *end = p + fmt->len;
    while (p < end) {
        const char *lit = p;
        while (p < end && *p != '{' && *p != '}')
            p++;
        if (p > lit && !buf_putn(&out, lit, (size_t)(p - lit)))
            goto oom;
        if (p >= end)
            break;
        if (*p == '}') {
            if (p + 1 < end && p[1] == '}') {
                if (!buf_putc(&out, '}'))
                    goto oom;
                p += 2;
                continue;
            }
            tn_raise(st, tn_ValueError, "Single '}' encountered in format string");
            goto fail;
        }
        if (p + 1 < end && p[1] == '{') {
            if (!buf_putc(&out, '{'))
                goto oom;
            p += 2;
            continue;
        }
        /* find the matching '}' allowing one level of nested braces in the spec */
        const char *b = ++p;
        int level = 1;
        while (p < end) {
            if (*p == '{')
                level++;
            else if (*p == '}' && --level == 0)
                break;
            p++;
        }
        if (p >= end) {
            tn_raise(st, tn_ValueError, "%s",
                     level > 1 ? "unmatched '{' in format spec" : "Single '{' encountered in format string");
            goto fail;
        }
        if (!format_field(st, &out, b, p, args, kw, depth, autoidx, mode))
            goto fail;
        p++;
    }
    return buf_to_str(st, &out);
oom:
    (void)tn_no_memory(st);
fail:
    buf_free(&out);
    return tn_undef();
}

TnValue str_format_method(TnState *st, TnValue *a)
{
    int64_t autoidx = 0;
    int mode = 0;
    return do_format(st, AS_STR(a[0]), AS_TUPLE(a[1]), AS_DICT(a[2]), 0, &autoidx, &mode);
}

TnValue str_format_map(TnState *st, TnValue *a)
{
    if (!tn_is_dict(a[1]))
        return tn_raise(st, tn_TypeError, "format_map() argument must be a dict, not %s",
                        tn_type_name(a[1]));
    int64_t autoidx = 0;
    int mode = 0;
    TnValue empty = tuple_empty(st);
    if (IS_UNDEF(empty))
        return empty;
    TnValue r = do_format(st, AS_STR(a[0]), AS_TUPLE(empty), AS_DICT(a[1]), 0, &autoidx, &mode);
    tn_decref(empty);
    return r;
}

/* ------------------------------------------------------------ printf-style % */

/* Converts a %-argument for the integer conversions. */
static int pct_int(TnState *st, TnValue v, char type, int64_t *out)
{
    if (IS_INTLIKE(v)) {
        *out = AS_INT(v);
        return 0;
    }
    if (type == 'd' || type == 'i' || type == 'u') {
        if (IS_FLOAT(v)) {
            double f = AS_FLOAT(v);
            if (isnan(f))
                return tn_raise_int(st, tn_ValueError, "cannot convert float NaN to integer");
            if (isinf(f))
                return tn_raise_int(st, tn_OverflowError, "cannot convert float infinity to integer");
            if (f >= 9223372036854775808.0 || f < -9223372036854775808.0)
                return tn_raise_int(st, tn_OverflowError, "integer overflow (tn ints are 64-bit)");
            *out = (int64_t)f;
            return 0;
        }
        if (IS_OBJ(v) && !IS_STR(v)) {
            TnValue r = tn_call(st, tn_obj(&tn_int_type), &v, 1, NULL, 0);
            if (!IS_UNDEF(r)) {
                *out = AS_INT(r);
                return 0;
            }
            tn_clear_error(st);
        }
        return tn_raise_int(st, tn_TypeError, "%%%c format: a real number is required, not %s",
                            type, tn_type_name(v));
    }
    if (IS_OBJ(v) && !IS_STR(v)) {
        if (tn_as_index(st, v, out, NULL) == 0)
            return 0;
        tn_clear_error(st);
    }
    return tn_raise_int(st, tn_TypeError, "%%%c format: an integer is required, not %s", type,
                        tn_type_name(v));
}

TnValue str_percent(TnState *st, TnStr *fmt, TnValue args)
{
    TnValue *items = &args;
    int64_t nitems = 1, idx = 0;
    TnDict *mapping = NULL;
    if (IS_TUPLE(args)) {
        items = AS_TUPLE(args)->items;
        nitems = AS_TUPLE(args)->n;
    } else if (tn_is_dict(args)) {
        mapping = AS_DICT(args);
    }
    TnBuf out = {0};
    const char *p = fmt->data, *end = p + fmt->len;
    while (p < end) {
        const char *lit = p;
        while (p < end && *p != '%')
            p++;
        if (p > lit && !buf_putn(&out, lit, (size_t)(p - lit)))
            goto oom;
        if (p >= end)
            break;
        p++;
        TnValue arg = tn_undef();
        bool from_map = false;
        if (p < end && *p == '(') {
            if (!mapping) {
                tn_raise(st, tn_TypeError, "format requires a mapping");
                goto fail;
            }
            const char *k = ++p;
            int depth = 1;
            while (p < end && depth) {
                if (*p == '(')
                    depth++;
                else if (*p == ')')
                    depth--;
                p++;
            }
            if (depth) {
                tn_raise(st, tn_ValueError, "incomplete format key");
                goto fail;
            }
            TnValue key = tn_str_n(st, k, p - 1 - k);
            if (IS_UNDEF(key))
                goto fail;
            int r = dict_lookup(st, mapping, key, &arg);
            if (r == 0) {
                TnValue exc = tn_call(st, tn_obj(tn_KeyError), &key, 1, NULL, 0);
                if (!IS_UNDEF(exc))
                    tn_raise_value(st, exc);
            }
            tn_decref(key);
            if (r <= 0)
                goto fail;
            from_map = true;
        }
        Spec s = {.fill = ' ', .width = -1, .prec = -1};
        bool left = false, zero = false;
        for (; p < end && strchr("-+ #0", *p); p++) {
            switch (*p) {
            case '-': left = true; break;
            case '+': s.sign = '+'; break;
            case ' ':
                if (s.sign != '+')
                    s.sign = ' ';
                break;
            case '#': s.alt = true; break;
            default: zero = true; break;
            }
        }
        if (p < end && *p == '*') {
            p++;
            if (idx >= nitems || !IS_INTLIKE(items[idx])) {
                tn_raise(st, tn_TypeError, idx >= nitems ? "not enough arguments for format string"
                                                         : "* wants int");
                goto fail;
            }
            s.width = AS_INT(items[idx++]);
            if (s.width < 0) {
                left = true;
                s.width = -s.width;
            }
        } else {
            while (p < end && *p >= '0' && *p <= '9') {
                s.width = (s.width < 0 ? 0 : s.width * 10) + (*p++ - '0');
            }
        }
        if (p < end && *p == '.') {
            p++;
            s.prec = 0;
            if (p < end && *p == '*') {
                p++;
                if (idx >= nitems || !IS_INTLIKE(items[idx])) {
                    tn_raise(st, tn_TypeError, idx >= nitems ? "not enough arguments for format string"
                                                             : "* wants int");
                    goto fail;
                }
                s.prec = AS_INT(items[idx++]);
            } else {
                while (p < end && *p >= '0' && *p <= '9')
                    s.prec = s.prec * 10 + (*p++ - '0');
            }
        }
        while (p < end && (*p == 'h' || *p == 'l' || *p == 'L'))
            p++;
        if (p >= end) {
            tn_raise(st, tn_ValueError, "incomplete format");
            goto fail;
        }
        char type = *p++;
        if (type == '%') {
            if (!buf_putc(&out, '%'))
                goto oom;
            continue;
        }
        if (!from_map) {
            if (mapping) {
                arg = args;
            } else {
                if (idx >= nitems) {
                    tn_raise(st, tn_TypeError, "not enough arguments for format string");
                    goto fail;
                }
                arg = items[idx++];
            }
        }
        s.align = left ? '<' : '>';
        TnValue piece = tn_undef();
        if (strchr("diuoxX", type)) {
            int64_t v;
            if (pct_int(st, arg, type, &v) < 0)
                goto fail;
            uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            char dbuf[96];
            int base = type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
            const char *dig = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            int n = 0;
            do {
                dbuf[sizeof dbuf - 1 - n++] = dig[m % (uint64_t)base];
                m /= (uint64_t)base;
            } while (m);
            while (n < s.prec && n < 90)
                dbuf[sizeof dbuf - 1 - n++] = '0';
            const char *prefix = !s.alt ? "" : base == 8 ? "0o" : type == 'x' ? "0x" : type == 'X' ? "0X" : "";
            if (zero && !left) {
                s.fill = '0';
                s.align = '=';
            }
            s.prec = -1;
            piece = finish(st, &s, sign_of(&s, v < 0), prefix, dbuf + sizeof dbuf - n, (size_t)n,
                           "", 0, 3, '>');
        } else if (strchr("eEfFgG", type)) {
            double f;
            if (tn_as_double(st, arg, &f, NULL) < 0)
                goto fail;
            if (zero && !left) {
                s.fill = '0';
                s.align = '=';
            }
            s.type = type;
            if (s.prec < 0)
                s.prec = 6;
            piece = format_float(st, f, &s, "float");
        } else if (type == 'c') {
            char enc[4];
            int n;
            if (IS_INTLIKE(arg)) {
                if (AS_INT(arg) < 0 || AS_INT(arg) > 0x10FFFF) {
                    tn_raise(st, tn_OverflowError, "%%c arg not in range(0x110000)");
                    goto fail;
                }
                n = utf8_put((uint32_t)AS_INT(arg), enc);
            } else if (IS_STR(arg) && AS_STR(arg)->nchars == 1) {
                n = (int)AS_STR(arg)->len;
                memcpy(enc, AS_STR(arg)->data, (size_t)n);
            } else {
                tn_raise(st, tn_TypeError, "%%c requires int or char");
                goto fail;
            }
            s.prec = -1;
            piece = finish(st, &s, "", "", "", 0, enc, (size_t)n, 3, '>');
        } else if (type == 's' || type == 'r' || type == 'a') {
            TnValue str = type == 's' ? tn_to_str(st, arg) : type == 'r' ? tn_repr(st, arg)
                                                                         : tn_ascii(st, arg);
            if (IS_UNDEF(str))
                goto fail;
            piece = format_str(st, AS_STR(str), &s);
            tn_decref(str);
        } else {
            tn_raise(st, tn_ValueError, "unsupported format character '%c' (0x%x) at index %lld",
                     type, (unsigned char)type, (long long)(p - 1 - fmt->data));
            goto fail;
        }
        if (IS_UNDEF(piece))
            goto fail;
        bool ok = buf_putn(&out, AS_STR(piece)->data, (size_t)AS_STR(piece)->len);
        tn_decref(piece);
        if (!ok)
            goto oom;
    }
    if (!mapping && idx < nitems) {
        tn_raise(st, tn_TypeError, "not all arguments converted during string formatting");
        goto fail;
    }
    return buf_to_str(st, &out);
oom:
    (void)tn_no_memory(st);
fail:
    buf_free(&out);
    return tn_undef();
}
