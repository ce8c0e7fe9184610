/* io_npy.c: the .npy format (numpy/lib/format.py) — header parsing with every size checked,
 * byte-swapping and Fortran order on load, and NumPy's exact bytes on save. */
#include "io.h"
#include <stdio.h>
#include <string.h>

static const struct {
    char code[3]; /* kind + size after the byte-order char */
    TnDType dt;
} npy_types[] = {{"f4", DT_FLOAT32}, {"f8", DT_FLOAT64}, {"i8", DT_INT64}, {"i4", DT_INT32},
                 {"b1", DT_BOOL}};

static int bad(TnState *st, const char *what)
{
    return tn_raise_int(st, tn_ValueError, "invalid .npy file: %s", what);
}

/* --------------------------------------------------- header dict literal */
typedef struct {
    const char *p, *end;
} Lex;

static void skip_ws(Lex *l)
{
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
        l->p++;
}

static bool eat(Lex *l, char c)
{
    skip_ws(l);
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return true;
    }
    return false;
}

/* A quoted string without escapes (all NumPy keys and descrs are plain). */
static bool lex_str(Lex *l, const char **s, size_t *n)
{
    skip_ws(l);
    if (l->p >= l->end || (*l->p != '\'' && *l->p != '"'))
        return false;
    char q = *l->p++;
    const char *start = l->p;
    while (l->p < l->end && *l->p != q && *l->p != '\\')
        l->p++;
    if (l->p >= l->end || *l->p != q)
        return false;
    *s = start;
    *n = (size_t)(l->p++ - start);
    return true;
}

static bool lex_word(Lex *l, const char *w)
{
    skip_ws(l);
    size_t n = strlen(w);
    if ((size_t)(l->end - l->p) < n || memcmp(l->p, w, n))
        return false;
    l->p += n;
    return true;
}

static bool lex_int(Lex *l, int64_t *v)
{
    skip_ws(l);
    const char *start = l->p;
    int64_t x = 0;
    while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, *l->p - '0', &x))
            return false;
        l->p++;
    }
    if (l->p < l->end && *l->p == 'L') /* Python 2 longs */
        l->p++;
    *v = x;
    return l->p > start;
}

static int parse_shape(TnState *st, Lex *l, NpyHeader *h)
{
    if (!eat(l, '('))
        return bad(st, "shape is not a tuple");
    h->ndim = 0;
    while (!eat(l, ')')) {
        if (h->ndim == TN_MAX_DIMS)
            return bad(st, "too many dimensions");
        if (!lex_int(l, &h->shape[h->ndim]))
            return bad(st, "shape entries must be non-negative ints");
        h->ndim++;
        if (!eat(l, ',')) {
            if (!eat(l, ')'))
                return bad(st, "malformed shape tuple");
            break;
        }
    }
    return 0;
}

static int parse_descr(TnState *st, const char *s, size_t n, NpyHeader *h)
{
    if (n == 3 && strchr("<>|=", s[0])) {
        for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
            if (memcmp(s + 1, npy_types[i].code, 2))
                continue;
            h->dtype = npy_types[i].dt;
            h->big_endian = s[0] == '>' && DT_SIZE(h->dtype) > 1;
            return 0;
        }
    }
    return tn_raise_int(st, tn_ValueError,
                        "tn reads .npy arrays of float32, float64, int64, int32 and bool, not "
                        "descr '%.*s'",
                        (int)(n > 20 ? 20 : n), s);
}

/* {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } in any key order. */
static int parse_dict(TnState *st, Lex *l, NpyHeader *h)
{
    int seen = 0;
    if (!eat(l, '{'))
        return bad(st, "header is not a dict");
    while (!eat(l, '}')) {
        const char *k, *s;
        size_t kn, sn;
        if (!lex_str(l, &k, &kn) || !eat(l, ':'))
            return bad(st, "malformed header dict");
        if (kn == 5 && !memcmp(k, "descr", 5)) {
            if (!lex_str(l, &s, &sn))
                return bad(st, "descr is not a string (structured arrays are not supported)");
            if (parse_descr(st, s, sn, h) < 0)
                return -1;
            seen |= 1;
        } else if (kn == 13 && !memcmp(k, "fortran_order", 13)) {
            if (lex_word(l, "True"))
                h->fortran = true;
            else if (!lex_word(l, "False"))
                return bad(st, "fortran_order is not a bool");
            seen |= 2;
        } else if (kn == 5 && !memcmp(k, "shape", 5)) {
            if (parse_shape(st, l, h) < 0)
                return -1;
            seen |= 4;
        } else {
            return bad(st, "header has an unknown key");
        }
        if (!eat(l, ',')) {
            if (!eat(l, '}'))
                return bad(st, "malformed header dict");
            break;
        }
    }
    return seen == 7 ? 0 : bad(st, "header lacks descr, fortran_order or shape");
}

int npy_parse_header(TnState *st, const uint8_t *buf, size_t len, NpyHeader *h)
{
    memset(h, 0, sizeof *h);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return bad(st, "the magic string \\x93NUMPY is missing");
    int major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return bad(st, "truncated header");
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return tn_raise_int(st, tn_ValueError, "we only support format version (1,0), (2,0), and "
                                               "(3,0), not (%d, %d)",
                            major, buf[7]);
    }
    if (hlen > len - start)
        return bad(st, "truncated header");
    Lex l = {(const char *)buf + start, (const char *)buf + start + hlen};
    if (parse_dict(st, &l, h) < 0)
        return -1;
    int64_t numel = 1, nbytes;
    for (int d = 0; d < h->ndim; d++)
        if (__builtin_mul_overflow(numel, h->shape[d], &numel))
            return bad(st, "shape overflows");
    if (__builtin_mul_overflow(numel, (int64_t)DT_SIZE(h->dtype), &nbytes))
        return bad(st, "shape overflows");
    h->data_offset = start + hlen;
    h->nbytes = (size_t)nbytes;
    if ((uint64_t)nbytes > len - h->data_offset)
        return tn_raise_int(st, tn_ValueError,
                            "invalid .npy file: truncated data: the header promises %lld bytes, "
                            "the file holds %zu",
                            (long long)nbytes, len - h->data_offset);
    return 0;
}

/* --------------------------------------------------------------------- load */
static void byteswap(uint8_t *p, size_t nbytes, int es)
{
    for (size_t i = 0; i + (size_t)es <= nbytes; i += (size_t)es)
        for (int a = 0, b = es - 1; a < b; a++, b--) {
            uint8_t t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
}

/* Strides of the array as NumPy lays it out (C or Fortran order). */
static void layout(const NpyHeader *h, int64_t *strides)
{
    int64_t s = 1;
    for (int k = 0; k < h->ndim; k++) {
        int d = h->fortran ? k : h->ndim - 1 - k;
        strides[d] = s;
        s *= h->shape[d];
    }
}

static TnTensor *view_of(TnState *st, TnTensor *whole, const NpyHeader *h)
{
    int64_t strides[TN_MAX_DIMS];
    layout(h, strides);
    TnTensor *t = tensor_alias(st, whole, h->ndim, h->shape, strides, 0);
    tn_obj_decref(whole);
    return t;
}

TnTensor *npy_load_buffer(TnState *st, const uint8_t *buf, size_t len)
{
    NpyHeader h;
    if (npy_parse_header(st, buf, len, &h) < 0)
        return NULL;
    int64_t numel = (int64_t)(h.nbytes / (size_t)DT_SIZE(h.dtype));
    TnTensor *whole = tensor_empty(st, h.dtype, 1, &numel);
    if (!whole)
        return NULL;
    uint8_t *p = (uint8_t *)whole->storage->data;
    if (h.nbytes)
        memcpy(p, buf + h.data_offset, h.nbytes);
    if (h.big_endian)
        byteswap(p, h.nbytes, DT_SIZE(h.dtype));
    if (h.dtype == DT_BOOL)
        io_normalize_bools(p, h.nbytes);
    return view_of(st, whole, &h);
}

TnTensor *npy_tensor_over(TnState *st, const NpyHeader *h, uint8_t *base, TnValue owner)
{
    TnStorage *s = tn_malloc(sizeof(TnStorage));
    if (!s)
        return (void)tn_no_memory(st), NULL;
    s->head.refcnt = 1;
    s->head.type = &tn_storage_type;
    s->data = base + h->data_offset;
    s->nbytes = (int64_t)h->nbytes;
    s->version = 0;
    s->owner = tn_ref(owner);
    s->owns_data = false;
    /* a zero-element header gives the storage to a 1-element placeholder tensor */
    int64_t zero = 0;
    TnTensor *whole = tensor_empty(st, h->dtype, 1, &zero);
    if (!whole) {
        tn_obj_decref(s);
        return NULL;
    }
    tn_obj_decref(whole->storage);
    whole->storage = s;
    return view_of(st, whole, h);
}

/* --------------------------------------------------------------------- save */
static bool f_contiguous(const TnTensor *t)
{
    int64_t expect = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->sizes[d] == 0)
            return true;
        if (t->sizes[d] != 1 && t->strides[d] != expect)
            return false;
        expect *= t->sizes[d];
    }
    return true;
}

static bool c_contiguous(const TnTensor *t)
{
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->sizes[d] == 0)
            return true;
        if (t->sizes[d] != 1 && t->strides[d] != expect)
            return false;
        expect *= t->sizes[d];
    }
    return true;
}

static const char *descr_of(TnDType dt)
{
    switch (dt) {
    case DT_FLOAT32: return "<f4";
    case DT_FLOAT64: return "<f8";
    case DT_INT64: return "<i8";
    case DT_INT32: return "<i4";
    default: return "|b1";
    }
}

/* format.py's _write_array_header: sorted keys, 21-digit growth room, 64-byte alignment. */
static bool header(TnBuf *b, const TnTensor *t, bool fortran)
{
    TnBuf d = {0};
    bool ok = buf_printf(&d, "{'descr': '%s', 'fortran_order': %s, 'shape': (", descr_of(t->dtype),
                         fortran ? "True" : "False");
    for (int i = 0; ok && i < t->ndim; i++)
        ok = buf_printf(&d, i ? ", %lld" : "%lld", (long long)t->sizes[i]);
    ok = ok && buf_puts(&d, t->ndim == 1 ? ",), }" : "), }");
    if (ok && t->ndim > 0) {
        char digits[32];
        int n = snprintf(digits, sizeof digits, "%lld",
                         (long long)t->sizes[fortran ? t->ndim - 1 : 0]);
        for (int i = n; ok && i < 21; i++)
            ok = buf_putc(&d, ' ');
    }
    size_t hlen = d.n + 1;
    bool v2 = 10 + hlen + 64 > 65535;
    size_t prefix = v2 ? 12 : 10;
    size_t pad = (64 - (prefix + hlen) % 64) % 64;
    size_t total = hlen + pad;
    ok = ok && buf_putn(b, "\x93NUMPY", 6) && buf_putc(b, v2 ? 2 : 1) && buf_putc(b, 0);
    for (size_t i = 0; ok && i < (v2 ? 4u : 2u); i++)
        ok = buf_putc(b, (char)(total >> (8 * i) & 0xFF));
    ok = ok && buf_putn(b, d.p, d.n);
    for (size_t i = 0; ok && i < pad; i++)
        ok = buf_putc(b, ' ');
    ok = ok && buf_putc(b, '\n');
    buf_free(&d);
    return ok;
}

int npy_encode(TnState *st, TnTensor *t, TnBuf *out)
{
    bool fortran = t->ndim > 1 && f_contiguous(t) && !c_contiguous(t);
    size_t nbytes = (size_t)tensor_numel(t) * (size_t)DT_SIZE(t->dtype);
    if (!header(out, t, fortran))
        return (void)tn_no_memory(st), -1;
    if (out->n + nbytes + 1 > out->cap) {
        char *p = tn_realloc(out->p, out->n + nbytes + 1);
        if (!p)
            return (void)tn_no_memory(st), -1;
        out->p = p;
        out->cap = out->n + nbytes + 1;
    }
    if (fortran)
        memcpy(out->p + out->n, tensor_ptr(t), nbytes); /* F order is its memory order */
    else
        io_gather(t, out->p + out->n);
    out->n += nbytes;
    return 0;
}
