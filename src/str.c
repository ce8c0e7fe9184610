/* str.c: immutable UTF-8 strings: creation, interning, hashing, byte buffers, the str type.
 *
 * Strings are UTF-8 with a cached code point count; pure-ASCII strings (the
 * common case) index in O(1), others walk. Names are interned once, so an
 * attribute or global lookup compares a hash and then a pointer.
 */
#include "format.h"
#include "sig.h"
#include "types.h"
#include "unicode_tables.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ hashing */

static inline uint64_t mix64(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A multiply-fold hash over 8-byte words: fast, and good enough for open addressing. */
uint64_t str_hash_bytes(const char *s, int64_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                   k2 = 0x8ebc6af09c88c6e3ULL;
    uint64_t h = k0 ^ ((uint64_t)len * k1);
    const unsigned char *p = (const unsigned char *)s;
    int64_t n = len;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w, k1);
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (int64_t i = 0; i < n; i++)
        t |= (uint64_t)p[i] << (8 * i);
    h = mix64(h ^ t ^ k2, k1 ^ (uint64_t)n);
    h = mix64(h, k2);
    return h;
}

/* ------------------------------------------------------------------ creation */

static void str_dealloc(TnObject *o)
{
    tn_free(o);
}

/* A new, not interned string object (no sharing). `raw` bypasses fault injection
 * and aborts when memory is really exhausted (interned names: callers rely on
 * str_intern never failing). */
static TnStr *str_make_impl(TnState *st, const char *s, int64_t len, bool raw)
{
    TnStr *r;
    if (raw) {
        r = calloc(1, sizeof(TnStr) + (size_t)len + 1);
        if (!r) {
            fputs("tn: out of memory interning a name\n", stderr);
            abort();
        }
        r->head.refcnt = 1;
        r->head.type = &tn_str_type;
    } else {
        r = tn_alloc_object(st, &tn_str_type, sizeof(TnStr) + (size_t)len + 1);
        if (!r)
            return NULL;
    }
    r->len = len;
    if (len)
        memcpy(r->data, s, (size_t)len);
    r->data[len] = 0;
    int64_t nc = 0;
    for (int64_t i = 0; i < len; i++)
        nc += ((unsigned char)s[i] & 0xC0) != 0x80;
    r->nchars = nc;
    r->ascii = nc == len;
    r->hash = str_hash_bytes(s, len);
    return r;
}

static TnStr *str_make(TnState *st, const char *s, int64_t len)
{
    return str_make_impl(st, s, len, false);
}

/* Intern table: open addressing on the string hash; it owns one reference each. */
static TnStr **itab;
static int64_t itab_cap, itab_n;

static bool itab_grow(void)
{
    int64_t ncap = itab_cap ? itab_cap * 2 : 1024;
    TnStr **nt = calloc((size_t)ncap, sizeof(TnStr *));
    if (!nt) {
        fputs("tn: out of memory interning a name\n", stderr);
        abort();
    }
    for (int64_t i = 0; i < itab_cap; i++) {
        TnStr *s = itab[i];
        if (!s)
            continue;
        int64_t j = (int64_t)(s->hash & (uint64_t)(ncap - 1));
        while (nt[j])
            j = (j + 1) & (ncap - 1);
        nt[j] = s;
    }
    free(itab);
    itab = nt;
    itab_cap = ncap;
    return true;
}

TnStr *str_intern_n(const char *s, int64_t len)
{
    uint64_t h = str_hash_bytes(s, len);
    if (itab_cap) {
        int64_t j = (int64_t)(h & (uint64_t)(itab_cap - 1));
        for (TnStr *e; (e = itab[j]); j = (j + 1) & (itab_cap - 1))
            if (e->hash == h && e->len == len && memcmp(e->data, s, (size_t)len) == 0)
                return e;
    }
    if ((itab_n + 1) * 2 > itab_cap && !itab_grow())
        return NULL;
    TnStr *r = str_make_impl(NULL, s, len, true);
    r->interned = 1;
    int64_t j = (int64_t)(h & (uint64_t)(itab_cap - 1));
    while (itab[j])
        j = (j + 1) & (itab_cap - 1);
    itab[j] = r;
    itab_n++;
    return r;
}

TnStr *str_intern(const char *s)
{
    return str_intern_n(s, (int64_t)strlen(s));
}

/* Called from types_fini: drops the table's references. */
void str_intern_fini(void)
{
    for (int64_t i = 0; i < itab_cap; i++)
        if (itab[i])
            tn_obj_decref(itab[i]);
    free(itab);
    itab = NULL;
    itab_cap = itab_n = 0;
}

static TnStr *ascii_chars[128];
static TnStr *empty_str;

TnStr *str_ascii_char(int c)
{
    if (!ascii_chars[c]) {
        char ch = (char)c;
        ascii_chars[c] = str_intern_n(&ch, 1);
    }
    return ascii_chars[c];
}

/* Empty and one-character ASCII strings are shared interned objects. */
TnStr *str_new(TnState *st, const char *s, int64_t len)
{
    if (len <= 1) {
        TnStr *r;
        if (len == 0) {
            if (!empty_str)
                empty_str = str_intern_n("", 0);
            r = empty_str;
        } else if ((unsigned char)s[0] < 128) {
            r = str_ascii_char((unsigned char)s[0]);
        } else {
            return str_make(st, s, len);
        }
        if (!r)
            return st ? (TnStr *)tn_raise_ptr(st, tn_MemoryError, "out of memory") : NULL;
        tn_obj_incref(r);
        return r;
    }
    return str_make(st, s, len);
}

TnValue tn_str_n(TnState *st, const char *s, int64_t len)
{
    TnStr *r = str_new(st, s, len);
    return r ? tn_obj(r) : tn_undef();
}

TnValue tn_str(TnState *st, const char *s)
{
    return tn_str_n(st, s, (int64_t)strlen(s));
}

TnValue tn_str_fmt(TnState *st, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return tn_raise(st, tn_ValueError, "bad format");
    if ((size_t)n < sizeof small)
        return tn_str_n(st, small, n);
    char *big = tn_malloc((size_t)n + 1);
    if (!big)
        return tn_no_memory(st);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    TnValue r = tn_str_n(st, big, n);
    tn_free(big);
    return r;
}

bool str_eq(const TnStr *a, const TnStr *b)
{
    return a == b || (a->hash == b->hash && a->len == b->len &&
                      memcmp(a->data, b->data, (size_t)a->len) == 0);
}

int str_cmp(const TnStr *a, const TnStr *b)
{
    int64_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->data, b->data, (size_t)n);
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

TnValue str_concat(TnState *st, TnStr *a, TnStr *b)
{
    if (b->len == 0) {
        tn_obj_incref(a);
        return tn_obj(a);
    }
    if (a->len == 0) {
        tn_obj_incref(b);
        return tn_obj(b);
    }
    TnStr *r = tn_alloc_object(st, &tn_str_type, sizeof(TnStr) + (size_t)(a->len + b->len) + 1);
    if (!r)
        return tn_undef();
    memcpy(r->data, a->data, (size_t)a->len);
    memcpy(r->data + a->len, b->data, (size_t)b->len);
    r->len = a->len + b->len;
    r->data[r->len] = 0;
    r->nchars = a->nchars + b->nchars;
    r->ascii = a->ascii && b->ascii;
    r->hash = str_hash_bytes(r->data, r->len);
    return tn_obj(r);
}

/* ------------------------------------------------------------------ buffers */

static bool buf_reserve(TnBuf *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap * 2 : 64;
    while (ncap < b->n + extra + 1)
        ncap *= 2;
    char *p = tn_realloc(b->p, ncap);
    if (!p)
        return false;
    b->p = p;
    b->cap = ncap;
    return true;
}

bool buf_putn(TnBuf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return false;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

bool buf_puts(TnBuf *b, const char *s)
{
    return buf_putn(b, s, strlen(s));
}

bool buf_putc(TnBuf *b, char c)
{
    if (!buf_reserve(b, 1))
        return false;
    b->p[b->n++] = c;
    b->p[b->n] = 0;
    return true;
}

bool buf_printf(TnBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
    return true;
}

TnValue buf_to_str(TnState *st, TnBuf *b)
{
    TnValue r = tn_str_n(st, b->p ? b->p : "", (int64_t)b->n);
    buf_free(b);
    return r;
}

void buf_free(TnBuf *b)
{
    tn_free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ------------------------------------------------------------------ UTF-8 */

/* Decodes the code point at s[*pos] and advances *pos (invalid bytes decode as themselves). */
static uint32_t utf8_next(const char *s, int64_t len, int64_t *pos)
{
    const unsigned char *p = (const unsigned char *)s + *pos;
    uint32_t c = p[0];
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (*pos + n > len)
        n = 1;
    if (n == 2)
        c = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    else if (n == 3)
        c = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    else if (n == 4)
        c = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    *pos += n;
    return c;
}

static int utf8_encode(uint32_t c, char *out)
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

int64_t str_offset(const TnStr *s, int64_t i)
{
    if (s->ascii)
        return i;
    int64_t pos = 0;
    while (i > 0 && pos < s->len) {
        pos++;
        while (pos < s->len && ((unsigned char)s->data[pos] & 0xC0) == 0x80)
            pos++;
        i--;
    }
    return pos;
}

/* Code point count of a byte range. */
static int64_t count_chars(const char *s, int64_t n)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* ------------------------------------------------------------------ repr */

/* True if c lies in one of the n sorted [first, last] ranges. */
static bool in_ranges(const uint32_t (*r)[2], size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}
#define IN_TABLE(t, c) in_ranges((t), sizeof(t) / sizeof((t)[0]), (c))

/* str.isprintable() of one code point (what repr leaves unescaped): Unicode's tables. */
static bool cp_printable(uint32_t c)
{
    if (c < 0x7F)
        return c >= 0x20;
    return !IN_TABLE(uc_nonprintable, c);
}

bool str_repr_buf(TnBuf *b, const char *s, int64_t len)
{
    bool sq = memchr(s, '\'', (size_t)len) != NULL, dq = memchr(s, '"', (size_t)len) != NULL;
    char q = (sq && !dq) ? '"' : '\'';
    if (!buf_putc(b, q))
        return false;
    int64_t pos = 0;
    while (pos < len) {
        int64_t start = pos;
        uint32_t c = utf8_next(s, len, &pos);
        bool ok;
        if (c == (uint32_t)q || c == '\\') {
            char e[2] = {'\\', (char)c};
            ok = buf_putn(b, e, 2);
        } else if (c == '\n') {
            ok = buf_putn(b, "\\n", 2);
        } else if (c == '\t') {
            ok = buf_putn(b, "\\t", 2);
        } else if (c == '\r') {
            ok = buf_putn(b, "\\r", 2);
        } else if (cp_printable(c)) {
            ok = buf_putn(b, s + start, (size_t)(pos - start));
        } else if (c < 0x100) {
            ok = buf_printf(b, "\\x%02x", c);
        } else if (c < 0x10000) {
            ok = buf_printf(b, "\\u%04x", c);
        } else {
            ok = buf_printf(b, "\\U%08x", c);
        }
        if (!ok)
            return false;
    }
    return buf_putc(b, q);
}

static TnValue str_repr(TnState *st, TnValue self)
{
    TnStr *s = AS_STR(self);
    TnBuf b = {0};
    if (!str_repr_buf(&b, s->data, s->len)) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

static TnValue str_str(TnState *st, TnValue self)
{
    return tn_ref(self);
}

static int str_hash(TnState *st, TnValue self, uint64_t *out)
{
    *out = AS_STR(self)->hash;
    return 0;
}

static TnValue str_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!IS_STR(a) || !IS_STR(b))
        return tn_notimpl();
    TnStr *x = AS_STR(a), *y = AS_STR(b);
    if (op == CMP_EQ)
        return tn_bool(str_eq(x, y));
    if (op == CMP_NE)
        return tn_bool(!str_eq(x, y));
    int c = str_cmp(x, y);
    switch (op) {
    case CMP_LT: return tn_bool(c < 0);
    case CMP_LE: return tn_bool(c <= 0);
    case CMP_GT: return tn_bool(c > 0);
    default: return tn_bool(c >= 0);
    }
}

static TnValue str_repeat(TnState *st, TnStr *s, int64_t n)
{
    if (n <= 0 || s->len == 0)
        return tn_str_n(st, "", 0);
    if (n == 1) {
        tn_obj_incref(s);
        return tn_obj(s);
    }
    if (s->len > INT64_MAX / n)
        return tn_raise(st, tn_OverflowError, "repeated string is too long");
    int64_t total = s->len * n;
    TnStr *r = tn_alloc_object(st, &tn_str_type, sizeof(TnStr) + (size_t)total + 1);
    if (!r)
        return tn_undef();
    for (int64_t i = 0; i < n; i++)
        memcpy(r->data + i * s->len, s->data, (size_t)s->len);
    r->len = total;
    r->data[total] = 0;
    r->nchars = s->nchars * n;
    r->ascii = s->ascii;
    r->hash = str_hash_bytes(r->data, total);
    return tn_obj(r);
}

static TnValue str_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op == OP_ADD && IS_STR(a) && IS_STR(b))
        return str_concat(st, AS_STR(a), AS_STR(b));
    if (op == OP_MUL) {
        if (IS_STR(a) && IS_INTLIKE(b))
            return str_repeat(st, AS_STR(a), AS_INT(b));
        if (IS_STR(b) && IS_INTLIKE(a))
            return str_repeat(st, AS_STR(b), AS_INT(a));
    }
    if (op == OP_MOD && IS_STR(a))
        return str_percent(st, AS_STR(a), b);
    return tn_notimpl();
}

static int64_t str_len(TnState *st, TnValue self)
{
    return AS_STR(self)->nchars;
}

static int str_contains(TnState *st, TnValue self, TnValue item)
{
    if (!IS_STR(item))
        return tn_raise_int(st, tn_TypeError, "'in <string>' requires string as left operand, not %s",
                            tn_type_name(item));
    TnStr *s = AS_STR(self), *sub = AS_STR(item);
    if (sub->len == 0)
        return 1;
    return memmem(s->data, (size_t)s->len, sub->data, (size_t)sub->len) != NULL;
}

/* Bytes spanned by n code points starting at byte offset b. */
static int64_t str_offset_from(const TnStr *s, int64_t b, int64_t n)
{
    int64_t pos = b;
    while (n > 0 && pos < s->len) {
        pos++;
        while (pos < s->len && ((unsigned char)s->data[pos] & 0xC0) == 0x80)
            pos++;
        n--;
    }
    return pos - b;
}

/* Substring of code points [i, j) (0 <= i <= j <= nchars). */
static TnValue substr(TnState *st, TnStr *s, int64_t i, int64_t j)
{
    if (i == 0 && j == s->nchars) {
        tn_obj_incref(s);
        return tn_obj(s);
    }
    int64_t bi = str_offset(s, i);
    int64_t bj = s->ascii ? j : bi + str_offset_from(s, bi, j - i);
    return tn_str_n(st, s->data + bi, bj - bi);
}

static TnValue str_getitem(TnState *st, TnValue self, TnValue key)
{
    TnStr *s = AS_STR(self);
    if (IS_INTLIKE(key)) {
        int64_t i = AS_INT(key);
        if (i < 0)
            i += s->nchars;
        if (i < 0 || i >= s->nchars)
            return tn_raise(st, tn_IndexError, "string index out of range");
        if (s->ascii) {
            TnStr *c = str_ascii_char((unsigned char)s->data[i]);
            if (!c)
                return tn_no_memory(st);
            tn_obj_incref(c);
            return tn_obj(c);
        }
        int64_t b = str_offset(s, i), e = b;
        (void)utf8_next(s->data, s->len, &e);
        return tn_str_n(st, s->data + b, e - b);
    }
    if (IS_SLICE(key)) {
        int64_t start, stop, step, n;
        if (slice_indices(st, key, s->nchars, &start, &stop, &step, &n) < 0)
            return tn_undef();
        if (step == 1)
            return substr(st, s, start, start + n);
        TnBuf b = {0};
        for (int64_t k = 0, i = start; k < n; k++, i += step) {
            int64_t off = str_offset(s, i), e = off;
            (void)utf8_next(s->data, s->len, &e);
            if (!buf_putn(&b, s->data + off, (size_t)(e - off))) {
                buf_free(&b);
                return tn_no_memory(st);
            }
        }
        return buf_to_str(st, &b);
    }
    int64_t i;
    if (!tn_has_index(key)) /* Python 3.11 quotes the type name here */
        return tn_raise(st, tn_TypeError, "string indices must be integers, not '%s'",
                        tn_type_name(key));
    if (tn_as_index(st, key, &i, NULL) < 0)
        return tn_undef();
    return str_getitem(st, self, tn_int(i));
}

/* ------------------------------------------------------------ iteration */

typedef struct {
    TN_OBJECT_HEAD;
    TnStr *s;
    int64_t pos; /* byte offset */
} StrIter;

static void striter_dealloc(TnObject *o)
{
    tn_obj_decref(((StrIter *)o)->s);
    tn_free(o);
}

static TnValue str_iter(TnState *st, TnValue self)
{
    StrIter *it = tn_alloc_object(st, &tn_str_iter_type, sizeof(StrIter));
    if (!it)
        return tn_undef();
    it->s = AS_STR(self);
    tn_obj_incref(it->s);
    return tn_obj(it);
}

static TnValue striter_next(TnState *st, TnValue self)
{
    StrIter *it = (StrIter *)AS_OBJ(self);
    TnStr *s = it->s;
    if (it->pos >= s->len)
        return tn_undef();
    unsigned char c = (unsigned char)s->data[it->pos];
    if (c < 128) {
        it->pos++;
        TnStr *r = str_ascii_char(c);
        if (!r)
            return tn_no_memory(st);
        tn_obj_incref(r);
        return tn_obj(r);
    }
    int64_t b = it->pos;
    (void)utf8_next(s->data, s->len, &it->pos);
    return tn_str_n(st, s->data + b, it->pos - b);
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_str_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "str_ascii_iterator",
    .dealloc = striter_dealloc,
    .iter = iter_self,
    .next = striter_next,
};

/* ------------------------------------------------------------ construct */

static TnSig *str_new_sig;

static TnValue str_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                             TnStr *const *kwnames, int nkw)
{
    TnValue a[3];
    if (sig_bind_cached(st, &str_new_sig, "str(object='', encoding=?, errors=?)", tn_undef(), args,
                        nargs, kwnames, nkw, a) < 0)
        return tn_undef();
    return tn_to_str(st, a[0]);
}

/* ------------------------------------------------------------ methods */

#define SELF AS_STR(a[0])

/* Python's str.isspace set for ASCII plus the common non-ASCII spaces. */
static bool cp_isspace(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 ||
           c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
static bool cp_isdigit(uint32_t c)
{
    return c < 128 ? c >= '0' && c <= '9' : IN_TABLE(uc_digit, c);
}
static bool cp_isdecimal(uint32_t c)
{
    return c < 128 ? c >= '0' && c <= '9' : IN_TABLE(uc_decimal, c);
}
static bool cp_isnumeric(uint32_t c)
{
    return c < 128 ? c >= '0' && c <= '9' : IN_TABLE(uc_numeric, c);
}
static bool cp_isalpha(uint32_t c)
{
    if (c < 128)
        return (c | 32) >= 'a' && (c | 32) <= 'z';
    return IN_TABLE(uc_alpha, c);
}
/* Unicode's cased letters: upper, lower and titlecase (U+01C5 and friends). */
static bool cp_iscased(uint32_t c);
static bool cp_isupper(uint32_t c)
{
    return c < 128 ? c >= 'A' && c <= 'Z' : IN_TABLE(uc_upper, c);
}
static bool cp_islower(uint32_t c)
{
    return c < 128 ? c >= 'a' && c <= 'z' : IN_TABLE(uc_lower, c);
}
/* The code point a one-to-one case mapping table gives c, or c itself. */
static uint32_t map_lookup(const uint32_t (*m)[2], size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < m[mid][0])
            hi = mid;
        else if (c > m[mid][0])
            lo = mid + 1;
        else
            return m[mid][1];
    }
    return c;
}
static uint32_t cp_upper(uint32_t c)
{
    if (c < 128)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    return map_lookup(uc_to_upper, sizeof uc_to_upper / sizeof uc_to_upper[0], c);
}
static uint32_t cp_lower(uint32_t c)
{
    if (c < 128)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    return map_lookup(uc_to_lower, sizeof uc_to_lower / sizeof uc_to_lower[0], c);
}
static bool cp_iscased(uint32_t c)
{
    return cp_isupper(c) || cp_islower(c) || (c >= 128 && IN_TABLE(uc_titlecase, c));
}
/* str.title()'s mapping of the first letter of a word, when its title case differs from
 * its upper case (U+01C6 gives U+01C5, 'ß' gives 'Ss'): the UTF-8 in enc or a table, else
 * NULL. */
static const char *cp_title_special(uint32_t c, char enc[5])
{
    if (c < 128)
        return NULL;
    for (size_t i = 0; i < sizeof uc_to_title_multi / sizeof uc_to_title_multi[0]; i++)
        if (uc_to_title_multi[i].cp == c)
            return uc_to_title_multi[i].to;
    size_t lo = 0, hi = sizeof uc_to_title / sizeof uc_to_title[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (uc_to_title[mid][0] == c) {
            enc[utf8_encode(uc_to_title[mid][1], enc)] = 0;
            return enc;
        }
        if (c < uc_to_title[mid][0])
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* The UTF-8 of a mapping to several code points ('ß'.upper() is 'SS'), or NULL. */
static const char *cp_case_multi(uint32_t c, bool upper)
{
    if (c < 128)
        return NULL;
    if (upper) {
        for (size_t i = 0; i < sizeof uc_to_upper_multi / sizeof uc_to_upper_multi[0]; i++)
            if (uc_to_upper_multi[i].cp == c)
                return uc_to_upper_multi[i].to;
    } else {
        for (size_t i = 0; i < sizeof uc_to_lower_multi / sizeof uc_to_lower_multi[0]; i++)
            if (uc_to_lower_multi[i].cp == c)
                return uc_to_lower_multi[i].to;
    }
    return NULL;
}

/* Python's Final_Sigma condition for the capital sigma before byte `next` of s, after code
 * point prev: a cased letter before it and none after (neighbours only, no skipping of
 * case-ignorable marks). */
static bool final_sigma(const TnStr *s, int64_t next, uint32_t prev)
{
    if (!cp_iscased(prev))
        return false;
    if (next >= s->len)
        return true;
    return !cp_iscased(utf8_next(s->data, s->len, &next));
}

enum { CASE_UPPER, CASE_LOWER, CASE_SWAP, CASE_CAPITALIZE, CASE_TITLE };

static TnValue change_case(TnState *st, TnStr *s, int mode)
{
    TnBuf b = {0};
    if (!buf_reserve(&b, (size_t)s->len))
        return tn_no_memory(st);
    int64_t pos = 0;
    bool prev_cased = false, first = true;
    uint32_t prevc = 0;
    while (pos < s->len) {
        uint32_t c = utf8_next(s->data, s->len, &pos), r = c;
        bool up = false;
        switch (mode) {
        case CASE_UPPER: up = true; break;
        case CASE_LOWER: break;
        case CASE_SWAP: up = !cp_isupper(c); break;
        case CASE_CAPITALIZE: up = first; break;
        case CASE_TITLE:
            up = !prev_cased;
            prev_cased = cp_iscased(c);
            break;
        }
        char tenc[5];
        const char *title = up && (mode == CASE_TITLE || mode == CASE_CAPITALIZE)
                                ? cp_title_special(c, tenc)
                                : NULL;
        if (title) {
            first = false;
            if (!buf_putn(&b, title, strlen(title))) {
                buf_free(&b);
                return tn_no_memory(st);
            }
            continue;
        }
        /* swapcase leaves uncased letters (titlecase ones like U+01C5) alone */
        bool keep = mode == CASE_SWAP && !cp_isupper(c) && !cp_islower(c);
        r = keep ? c : up ? cp_upper(c) : cp_lower(c);
        if (r == 0x3C3 && c == 0x3A3 && final_sigma(s, pos, prevc))
            r = 0x3C2; /* a capital sigma ending a word lowers to the final form */
        prevc = c;
        first = false;
        const char *multi = r == c && !keep ? cp_case_multi(c, up) : NULL;
        char enc[4];
        int n = multi ? (int)strlen(multi) : utf8_encode(r, enc);
        if (!buf_putn(&b, multi ? multi : enc, (size_t)n)) {
            buf_free(&b);
            return tn_no_memory(st);
        }
    }
    return buf_to_str(st, &b);
}

static TnValue str_upper(TnState *st, TnValue *a)
{
    return change_case(st, SELF, CASE_UPPER);
}
static TnValue str_lower(TnState *st, TnValue *a)
{
    return change_case(st, SELF, CASE_LOWER);
}
static TnValue str_swapcase(TnState *st, TnValue *a)
{
    return change_case(st, SELF, CASE_SWAP);
}
static TnValue str_capitalize(TnState *st, TnValue *a)
{
    return change_case(st, SELF, CASE_CAPITALIZE);
}
static TnValue str_title(TnState *st, TnValue *a)
{
    return change_case(st, SELF, CASE_TITLE);
}

/* Raises the TypeError Python gives for a non-str argument of a str method. */
static int need_str(TnState *st, TnValue v, const char *what)
{
    if (IS_STR(v))
        return 0;
    return tn_raise_int(st, tn_TypeError, "%s, not %s", what, tn_type_name(v));
}

/* True if code point c is in the UTF-8 set `chars`. */
static bool in_chars(TnStr *chars, uint32_t c)
{
    if (chars->ascii)
        return c < 128 && memchr(chars->data, (int)c, (size_t)chars->len) != NULL;
    int64_t p = 0;
    while (p < chars->len)
        if (utf8_next(chars->data, chars->len, &p) == c)
            return true;
    return false;
}

/* Strips from the left (bit 1) and/or right (bit 2); chars None means whitespace. */
static TnValue do_strip(TnState *st, TnValue *a, int which, const char *name)
{
    TnStr *s = SELF, *chars = NULL;
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
        if (!IS_STR(a[1]))
            return tn_raise(st, tn_TypeError, "%s arg must be None or str", name);
        chars = AS_STR(a[1]);
    }
    int64_t i = 0, j = s->len;
    if (which & 1) {
        while (i < j) {
            int64_t p = i;
            uint32_t c = utf8_next(s->data, s->len, &p);
            if (!(chars ? in_chars(chars, c) : cp_isspace(c)))
                break;
            i = p;
        }
    }
    if (which & 2) {
        while (j > i) {
            int64_t p = j - 1;
            while (p > i && ((unsigned char)s->data[p] & 0xC0) == 0x80)
                p--;
            int64_t q = p;
            uint32_t c = utf8_next(s->data, s->len, &q);
            if (!(chars ? in_chars(chars, c) : cp_isspace(c)))
                break;
            j = p;
        }
    }
    if (i == 0 && j == s->len)
        return tn_ref(a[0]);
    return tn_str_n(st, s->data + i, j - i);
}
static TnValue str_strip(TnState *st, TnValue *a)
{
    return do_strip(st, a, 3, "strip");
}
static TnValue str_lstrip(TnState *st, TnValue *a)
{
    return do_strip(st, a, 1, "lstrip");
}
static TnValue str_rstrip(TnState *st, TnValue *a)
{
    return do_strip(st, a, 2, "rstrip");
}

static int get_maxsplit(TnState *st, TnValue v, int64_t *out)
{
    *out = -1;
    if (IS_UNDEF(v))
        return 0;
    return tn_as_index(st, v, out, NULL);
}

/* Appends s[i:j) (bytes) to the list. */
static int push_piece(TnState *st, TnList *l, const char *p, int64_t n)
{
    TnValue v = tn_str_n(st, p, n);
    if (IS_UNDEF(v))
        return -1;
    int r = list_append(st, l, v);
    tn_decref(v);
    return r;
}

static TnValue do_split(TnState *st, TnValue *a, bool right)
{
    TnStr *s = SELF;
    int64_t maxsplit;
    if (get_maxsplit(st, a[2], &maxsplit) < 0)
        return tn_undef();
    TnValue res = list_new(st, 0);
    if (IS_UNDEF(res))
        return res;
    TnList *l = AS_LIST(res);
    const char *d = s->data;
    int64_t n = s->len;
    if (IS_UNDEF(a[1]) || IS_NONE(a[1])) {
        /* whitespace split: runs of spaces separate, ends are dropped */
        if (!right) {
            int64_t i = 0;
            while (true) {
                while (i < n && (unsigned char)d[i] < 128 && cp_isspace((unsigned char)d[i]))
                    i++;
                if (i >= n)
                    break;
                if (maxsplit == 0) {
                    /* the remainder keeps its trailing whitespace, as Python's does */
                    if (push_piece(st, l, d + i, n - i) < 0)
                        goto fail;
                    break;
                }
                int64_t j = i;
                while (j < n && !((unsigned char)d[j] < 128 && cp_isspace((unsigned char)d[j])))
                    j++;
                if (push_piece(st, l, d + i, j - i) < 0)
                    goto fail;
                maxsplit--;
                i = j;
            }
        } else {
            int64_t j = n;
            while (true) {
                while (j > 0 && (unsigned char)d[j - 1] < 128 && cp_isspace((unsigned char)d[j - 1]))
                    j--;
                if (j <= 0)
                    break;
                if (maxsplit == 0) {
                    if (push_piece(st, l, d, j) < 0)
                        goto fail;
                    break;
                }
                int64_t i = j;
                while (i > 0 && !((unsigned char)d[i - 1] < 128 && cp_isspace((unsigned char)d[i - 1])))
                    i--;
                if (push_piece(st, l, d + i, j - i) < 0)
                    goto fail;
                maxsplit--;
                j = i;
            }
        }
    } else {
        if (need_str(st, a[1], "must be str or None") < 0)
            goto fail;
        TnStr *sep = AS_STR(a[1]);
        if (sep->len == 0) {
            tn_raise(st, tn_ValueError, "empty separator");
            goto fail;
        }
        if (!right) {
            int64_t i = 0;
            while (maxsplit != 0) {
                const char *f = memmem(d + i, (size_t)(n - i), sep->data, (size_t)sep->len);
                if (!f)
                    break;
                if (push_piece(st, l, d + i, f - (d + i)) < 0)
                    goto fail;
                i = (f - d) + sep->len;
                maxsplit--;
            }
            if (push_piece(st, l, d + i, n - i) < 0)
                goto fail;
        } else {
            int64_t j = n;
            while (maxsplit != 0) {
                int64_t k = j - sep->len;
                while (k >= 0 && memcmp(d + k, sep->data, (size_t)sep->len) != 0)
                    k--;
                if (k < 0)
                    break;
                if (push_piece(st, l, d + k + sep->len, j - k - sep->len) < 0)
                    goto fail;
                j = k;
                maxsplit--;
            }
            if (push_piece(st, l, d, j) < 0)
                goto fail;
        }
    }
    if (right) {
        for (int64_t i = 0, j = l->n - 1; i < j; i++, j--) {
            TnValue t = l->items[i];
            l->items[i] = l->items[j];
            l->items[j] = t;
        }
    }
    return res;
fail:
    tn_decref(res);
    return tn_undef();
}
static TnValue str_split(TnState *st, TnValue *a)
{
    return do_split(st, a, false);
}
static TnValue str_rsplit(TnState *st, TnValue *a)
{
    return do_split(st, a, true);
}

static TnValue str_splitlines(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    int keep = 0;
    if (!IS_UNDEF(a[1]) && (keep = tn_truthy(st, a[1])) < 0)
        return tn_undef();
    TnValue res = list_new(st, 0);
    if (IS_UNDEF(res))
        return res;
    const char *d = s->data;
    int64_t n = s->len, i = 0;
    while (i < n) {
        int64_t j = i;
        while (j < n && d[j] != '\n' && d[j] != '\r' && d[j] != '\v' && d[j] != '\f' &&
               !(d[j] >= 0x1c && d[j] <= 0x1e))
            j++;
        int64_t eol = j;
        if (j < n) {
            j += (d[j] == '\r' && j + 1 < n && d[j + 1] == '\n') ? 2 : 1;
        }
        if (push_piece(st, AS_LIST(res), d + i, (keep ? j : eol) - i) < 0) {
            tn_decref(res);
            return tn_undef();
        }
        i = j;
    }
    return res;
}

static TnValue str_join(TnState *st, TnValue *a)
{
    TnStr *sep = SELF;
    TnValue list = tn_undef();
    TnValue *items;
    int64_t n;
    if (!tn_seq_items(a[1], &items, &n)) {
        list = list_from_iterable(st, a[1]);
        if (IS_UNDEF(list))
            return list;
        items = AS_LIST(list)->items;
        n = AS_LIST(list)->n;
    }
    TnBuf b = {0};
    TnValue r = tn_undef();
    for (int64_t i = 0; i < n; i++) {
        if (!IS_STR(items[i])) {
            tn_raise(st, tn_TypeError, "sequence item %lld: expected str instance, %s found",
                     (long long)i, tn_type_name(items[i]));
            goto done;
        }
        TnStr *s = AS_STR(items[i]);
        if ((i && !buf_putn(&b, sep->data, (size_t)sep->len)) ||
            !buf_putn(&b, s->data, (size_t)s->len)) {
            tn_no_memory(st);
            goto done;
        }
    }
    r = buf_to_str(st, &b);
done:
    buf_free(&b);
    tn_decref(list);
    return r;
}

static TnValue str_replace(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    if (need_str(st, a[1], "replace() argument 1 must be str") < 0 ||
        need_str(st, a[2], "replace() argument 2 must be str") < 0)
        return tn_undef();
    TnStr *old = AS_STR(a[1]), *new = AS_STR(a[2]);
    int64_t count = -1;
    if (!IS_UNDEF(a[3]) && tn_as_index(st, a[3], &count, NULL) < 0)
        return tn_undef();
    TnBuf b = {0};
    int64_t i = 0;
    if (old->len == 0) {
        /* inserts `new` between code points and at both ends */
        int64_t k = 0;
        while (true) {
            if (count >= 0 && k >= count)
                break;
            if (!buf_putn(&b, new->data, (size_t)new->len))
                goto oom;
            k++;
            if (i >= s->len)
                break;
            int64_t p = i;
            (void)utf8_next(s->data, s->len, &p);
            if (!buf_putn(&b, s->data + i, (size_t)(p - i)))
                goto oom;
            i = p;
        }
    } else {
        while (count != 0) {
            const char *f = memmem(s->data + i, (size_t)(s->len - i), old->data, (size_t)old->len);
            if (!f)
                break;
            if (!buf_putn(&b, s->data + i, (size_t)(f - (s->data + i))) ||
                !buf_putn(&b, new->data, (size_t)new->len))
                goto oom;
            i = (f - s->data) + old->len;
            count--;
        }
    }
    if (!buf_putn(&b, s->data + i, (size_t)(s->len - i)))
        goto oom;
    return buf_to_str(st, &b);
oom:
    buf_free(&b);
    return tn_no_memory(st);
}

/* Converts optional start/end code point arguments to a byte range [*bs, *be). */
#define SLICE_INDEX_ERROR "slice indices must be integers or None or have an __index__ method"

static int byte_range(TnState *st, TnStr *s, TnValue start, TnValue end, int64_t *bs, int64_t *be,
                      int64_t *cs)
{
    int64_t i = 0, j = s->nchars;
    if (!IS_UNDEF(start) && !IS_NONE(start)) {
        if (!tn_has_index(start))
            return tn_raise_int(st, tn_TypeError, "%s", SLICE_INDEX_ERROR);
        if (tn_as_index(st, start, &i, NULL) < 0)
            return -1;
        if (i < 0 && (i += s->nchars) < 0)
            i = 0;
    }
    if (!IS_UNDEF(end) && !IS_NONE(end)) {
        if (!tn_has_index(end))
            return tn_raise_int(st, tn_TypeError, "%s", SLICE_INDEX_ERROR);
        if (tn_as_index(st, end, &j, NULL) < 0)
            return -1;
        if (j < 0 && (j += s->nchars) < 0)
            j = 0;
    }
    if (j > s->nchars)
        j = s->nchars;
    if (i > s->nchars) {
        *bs = *be = -1; /* empty, and even an empty needle is not found */
        *cs = i;
        return 0;
    }
    if (j < i)
        j = i;
    *bs = str_offset(s, i);
    *be = s->ascii ? j : *bs + str_offset_from(s, *bs, j - i);
    *cs = i;
    return 0;
}

/* Finds sub in s (code point index or -1); rev searches from the right. */
static int do_find(TnState *st, TnValue *a, bool rev, int64_t *out)
{
    TnStr *s = SELF;
    if (!IS_STR(a[1]))
        return tn_raise_int(st, tn_TypeError, "must be str, not %s", tn_type_name(a[1]));
    TnStr *sub = AS_STR(a[1]);
    int64_t bs, be, cs;
    if (byte_range(st, s, a[2], a[3], &bs, &be, &cs) < 0)
        return -1;
    *out = -1;
    if (bs < 0 || be - bs < sub->len)
        return 0;
    const char *hit = NULL;
    if (!rev) {
        hit = sub->len ? memmem(s->data + bs, (size_t)(be - bs), sub->data, (size_t)sub->len)
                       : s->data + bs;
    } else {
        for (int64_t k = be - sub->len; k >= bs; k--)
            if (memcmp(s->data + k, sub->data, (size_t)sub->len) == 0) {
                hit = s->data + k;
                break;
            }
    }
    if (hit)
        *out = cs + count_chars(s->data + bs, hit - (s->data + bs));
    return 0;
}
static TnValue str_find(TnState *st, TnValue *a)
{
    int64_t r;
    return do_find(st, a, false, &r) < 0 ? tn_undef() : tn_int(r);
}
static TnValue str_rfind(TnState *st, TnValue *a)
{
    int64_t r;
    return do_find(st, a, true, &r) < 0 ? tn_undef() : tn_int(r);
}
static TnValue str_index(TnState *st, TnValue *a)
{
    int64_t r;
    if (do_find(st, a, false, &r) < 0)
        return tn_undef();
    if (r < 0)
        return tn_raise(st, tn_ValueError, "substring not found");
    return tn_int(r);
}
static TnValue str_rindex(TnState *st, TnValue *a)
{
    int64_t r;
    if (do_find(st, a, true, &r) < 0)
        return tn_undef();
    if (r < 0)
        return tn_raise(st, tn_ValueError, "substring not found");
    return tn_int(r);
}

static TnValue str_count(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "must be str, not %s", tn_type_name(a[1]));
    TnStr *sub = AS_STR(a[1]);
    int64_t bs, be, cs;
    if (byte_range(st, s, a[2], a[3], &bs, &be, &cs) < 0)
        return tn_undef();
    if (bs < 0)
        return tn_int(0);
    if (sub->len == 0)
        return tn_int(count_chars(s->data + bs, be - bs) + 1);
    int64_t n = 0, i = bs;
    while (true) {
        const char *f = memmem(s->data + i, (size_t)(be - i), sub->data, (size_t)sub->len);
        if (!f)
            break;
        n++;
        i = (f - s->data) + sub->len;
    }
    return tn_int(n);
}

/* startswith/endswith with a str or a tuple of strs. */
static TnValue do_affix(TnState *st, TnValue *a, bool end, const char *name)
{
    TnStr *s = SELF;
    int64_t bs, be, cs;
    if (byte_range(st, s, a[2], a[3], &bs, &be, &cs) < 0)
        return tn_undef();
    TnValue *cands = &a[1];
    int64_t nc = 1;
    if (IS_TUPLE(a[1])) {
        cands = AS_TUPLE(a[1])->items;
        nc = AS_TUPLE(a[1])->n;
    }
    for (int64_t k = 0; k < nc; k++) {
        if (!IS_STR(cands[k])) {
            if (IS_TUPLE(a[1]))
                return tn_raise(st, tn_TypeError,
                                "tuple for %s must only contain str, not %s", name,
                                tn_type_name(cands[k]));
            return tn_raise(st, tn_TypeError,
                            "%s first arg must be str or a tuple of str, not %s", name,
                            tn_type_name(cands[k]));
        }
        TnStr *p = AS_STR(cands[k]);
        if (bs < 0 || p->len > be - bs)
            continue;
        const char *at = end ? s->data + be - p->len : s->data + bs;
        if (memcmp(at, p->data, (size_t)p->len) == 0)
            return tn_bool(true);
    }
    return tn_bool(false);
}
static TnValue str_startswith(TnState *st, TnValue *a)
{
    return do_affix(st, a, false, "startswith");
}
static TnValue str_endswith(TnState *st, TnValue *a)
{
    return do_affix(st, a, true, "endswith");
}

/* is*() predicates: every code point satisfies `pred`, and the string is non-empty. */
static TnValue all_chars(TnStr *s, bool (*pred)(uint32_t))
{
    if (s->len == 0)
        return tn_bool(false);
    int64_t p = 0;
    while (p < s->len)
        if (!pred(utf8_next(s->data, s->len, &p)))
            return tn_bool(false);
    return tn_bool(true);
}
static bool cp_isalnum(uint32_t c)
{
    return cp_isalpha(c) || cp_isnumeric(c); /* numeric covers decimal and digit */
}
static TnValue str_isdigit(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isdigit);
}
static TnValue str_isdecimal(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isdecimal);
}
static TnValue str_isnumeric(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isnumeric);
}
static TnValue str_isalpha(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isalpha);
}
static TnValue str_isalnum(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isalnum);
}
static TnValue str_isspace(TnState *st, TnValue *a)
{
    return all_chars(SELF, cp_isspace);
}
/* isupper/islower: at least one cased character and none of the other case. */
static TnValue cased(TnStr *s, bool upper)
{
    bool any = false;
    int64_t p = 0;
    while (p < s->len) {
        uint32_t c = utf8_next(s->data, s->len, &p);
        if ((upper ? cp_islower(c) : cp_isupper(c)) || (c >= 128 && IN_TABLE(uc_titlecase, c)))
            return tn_bool(false);
        any |= upper ? cp_isupper(c) : cp_islower(c);
    }
    return tn_bool(any);
}
static TnValue str_isupper(TnState *st, TnValue *a)
{
    return cased(SELF, true);
}
static TnValue str_islower(TnState *st, TnValue *a)
{
    return cased(SELF, false);
}
static TnValue str_istitle(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    bool prev = false, any = false;
    int64_t p = 0;
    while (p < s->len) {
        uint32_t c = utf8_next(s->data, s->len, &p);
        if (cp_isupper(c)) {
            if (prev)
                return tn_bool(false);
            prev = any = true;
        } else if (cp_islower(c)) {
            if (!prev)
                return tn_bool(false);
            prev = true;
        } else {
            prev = false;
        }
    }
    return tn_bool(any);
}
static TnValue str_isidentifier(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    if (s->len == 0)
        return tn_bool(false);
    int64_t p = 0;
    bool first = true;
    while (p < s->len) {
        uint32_t c = utf8_next(s->data, s->len, &p);
        if (!(c == '_' || cp_isalpha(c) || (!first && cp_isdigit(c))))
            return tn_bool(false);
        first = false;
    }
    return tn_bool(true);
}
static TnValue str_isascii(TnState *st, TnValue *a)
{
    return tn_bool(SELF->ascii);
}
static TnValue str_isprintable(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    int64_t p = 0;
    while (p < s->len)
        if (!cp_printable(utf8_next(s->data, s->len, &p)))
            return tn_bool(false);
    return tn_bool(true);
}

/* Pads s to `width` code points: left/right counts of fill characters. */
static TnValue pad(TnState *st, TnStr *s, int64_t left, int64_t right, uint32_t fill)
{
    if (left <= 0 && right <= 0) {
        tn_obj_incref(s);
        return tn_obj(s);
    }
    char enc[4];
    int fl = utf8_encode(fill, enc);
    TnBuf b = {0};
    for (int64_t i = 0; i < left; i++)
        if (!buf_putn(&b, enc, (size_t)fl))
            goto oom;
    if (!buf_putn(&b, s->data, (size_t)s->len))
        goto oom;
    for (int64_t i = 0; i < right; i++)
        if (!buf_putn(&b, enc, (size_t)fl))
            goto oom;
    return buf_to_str(st, &b);
oom:
    buf_free(&b);
    return tn_no_memory(st);
}

/* Reads width and the optional one-character fill argument. */
static int width_fill(TnState *st, TnValue *a, int64_t *width, uint32_t *fill)
{
    if (tn_as_index(st, a[1], width, NULL) < 0)
        return -1;
    *fill = ' ';
    if (!IS_UNDEF(a[2])) {
        if (!IS_STR(a[2]))
            return tn_raise_int(st, tn_TypeError,
                                "The fill character must be a unicode character, not %s",
                                tn_type_name(a[2]));
        TnStr *f = AS_STR(a[2]);
        if (f->nchars != 1)
            return tn_raise_int(st, tn_TypeError,
                                "The fill character must be exactly one character long");
        int64_t p = 0;
        *fill = utf8_next(f->data, f->len, &p);
    }
    return 0;
}
static TnValue str_center(TnState *st, TnValue *a)
{
    int64_t w;
    uint32_t f;
    if (width_fill(st, a, &w, &f) < 0)
        return tn_undef();
    int64_t extra = w - SELF->nchars;
    if (extra <= 0)
        return tn_ref(a[0]);
    /* CPython puts the odd extra character on the left when the width is odd */
    int64_t left = extra / 2 + (extra & w & 1);
    return pad(st, SELF, left, extra - left, f);
}
static TnValue str_ljust(TnState *st, TnValue *a)
{
    int64_t w;
    uint32_t f;
    if (width_fill(st, a, &w, &f) < 0)
        return tn_undef();
    return pad(st, SELF, 0, w - SELF->nchars, f);
}
static TnValue str_rjust(TnState *st, TnValue *a)
{
    int64_t w;
    uint32_t f;
    if (width_fill(st, a, &w, &f) < 0)
        return tn_undef();
    return pad(st, SELF, w - SELF->nchars, 0, f);
}
static TnValue str_zfill(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    int64_t w;
    if (tn_as_index(st, a[1], &w, NULL) < 0)
        return tn_undef();
    int64_t extra = w - s->nchars;
    if (extra <= 0)
        return tn_ref(a[0]);
    TnBuf b = {0};
    int64_t i = 0;
    if (s->len && (s->data[0] == '+' || s->data[0] == '-')) {
        if (!buf_putc(&b, s->data[0]))
            goto oom;
        i = 1;
    }
    for (int64_t k = 0; k < extra; k++)
        if (!buf_putc(&b, '0'))
            goto oom;
    if (!buf_putn(&b, s->data + i, (size_t)(s->len - i)))
        goto oom;
    return buf_to_str(st, &b);
oom:
    buf_free(&b);
    return tn_no_memory(st);
}

static TnValue do_partition(TnState *st, TnValue *a, bool right)
{
    TnStr *s = SELF;
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "must be str, not %s", tn_type_name(a[1]));
    TnStr *sep = AS_STR(a[1]);
    if (sep->len == 0)
        return tn_raise(st, tn_ValueError, "empty separator");
    const char *hit = NULL;
    if (!right) {
        hit = memmem(s->data, (size_t)s->len, sep->data, (size_t)sep->len);
    } else {
        for (int64_t k = s->len - sep->len; k >= 0; k--)
            if (memcmp(s->data + k, sep->data, (size_t)sep->len) == 0) {
                hit = s->data + k;
                break;
            }
    }
    TnValue parts[3];
    if (!hit) {
        TnValue e = tn_str_n(st, "", 0);
        if (IS_UNDEF(e))
            return e;
        parts[0] = right ? e : a[0];
        parts[1] = e;
        parts[2] = right ? a[0] : e;
        TnValue r = tuple_from_array(st, parts, 3);
        tn_decref(e);
        return r;
    }
    int64_t k = hit - s->data;
    TnValue l = tn_str_n(st, s->data, k);
    TnValue r = tn_str_n(st, hit + sep->len, s->len - k - sep->len);
    TnValue res = tn_undef();
    if (!IS_UNDEF(l) && !IS_UNDEF(r)) {
        parts[0] = l;
        parts[1] = a[1];
        parts[2] = r;
        res = tuple_from_array(st, parts, 3);
    }
    tn_decref(l);
    tn_decref(r);
    return res;
}
static TnValue str_partition(TnState *st, TnValue *a)
{
    return do_partition(st, a, false);
}
static TnValue str_rpartition(TnState *st, TnValue *a)
{
    return do_partition(st, a, true);
}

static TnValue str_removeprefix(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    if (need_str(st, a[1], "removeprefix() argument must be str") < 0)
        return tn_undef();
    TnStr *p = AS_STR(a[1]);
    if (p->len && p->len <= s->len && memcmp(s->data, p->data, (size_t)p->len) == 0)
        return tn_str_n(st, s->data + p->len, s->len - p->len);
    return tn_ref(a[0]);
}
static TnValue str_removesuffix(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    if (need_str(st, a[1], "removesuffix() argument must be str") < 0)
        return tn_undef();
    TnStr *p = AS_STR(a[1]);
    if (p->len && p->len <= s->len &&
        memcmp(s->data + s->len - p->len, p->data, (size_t)p->len) == 0)
        return tn_str_n(st, s->data, s->len - p->len);
    return tn_ref(a[0]);
}

static TnValue str_expandtabs(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    int64_t ts = 8;
    if (!IS_UNDEF(a[1]) && tn_as_index(st, a[1], &ts, NULL) < 0)
        return tn_undef();
    TnBuf b = {0};
    int64_t col = 0, p = 0;
    while (p < s->len) {
        int64_t q = p;
        uint32_t c = utf8_next(s->data, s->len, &q);
        if (c == '\t') {
            if (ts > 0) {
                int64_t n = ts - col % ts;
                for (int64_t k = 0; k < n; k++)
                    if (!buf_putc(&b, ' '))
                        goto oom;
                col += n;
            }
        } else {
            if (!buf_putn(&b, s->data + p, (size_t)(q - p)))
                goto oom;
            col = (c == '\n' || c == '\r') ? 0 : col + 1;
        }
        p = q;
    }
    return buf_to_str(st, &b);
oom:
    buf_free(&b);
    return tn_no_memory(st);
}

/* str.maketrans(x[, y[, z]]): a dict from code points to replacements. */
static TnValue str_maketrans(TnState *st, TnValue *a)
{
    TnValue d = dict_new(st);
    if (IS_UNDEF(d))
        return d;
    if (IS_UNDEF(a[1])) {
        if (!tn_is_dict(a[0])) {
            tn_decref(d);
            return tn_raise(st, tn_TypeError,
                            "if you give only one argument to maketrans it must be a dict");
        }
        int64_t pos = 0;
        TnValue k, v;
        while (dict_next(AS_DICT(a[0]), &pos, &k, &v)) {
            TnValue key = k;
            if (IS_STR(k)) {
                if (AS_STR(k)->nchars != 1) {
                    tn_decref(d);
                    return tn_raise(st, tn_ValueError,
                                    "string keys in translate table must be of length 1");
                }
                int64_t p = 0;
                key = tn_int(utf8_next(AS_STR(k)->data, AS_STR(k)->len, &p));
            } else if (!IS_INTLIKE(k)) {
                tn_decref(d);
                return tn_raise(st, tn_TypeError, "keys in translate table must be strings or integers");
            }
            if (dict_set(st, AS_DICT(d), key, v) < 0) {
                tn_decref(d);
                return tn_undef();
            }
        }
        return d;
    }
    if (!IS_STR(a[0]) || !IS_STR(a[1])) {
        tn_decref(d);
        return tn_raise(st, tn_TypeError, "maketrans() argument %d must be str, not %s",
                        IS_STR(a[0]) ? 2 : 1, tn_type_name(IS_STR(a[0]) ? a[1] : a[0]));
    }
    TnStr *x = AS_STR(a[0]), *y = AS_STR(a[1]);
    if (x->nchars != y->nchars) {
        tn_decref(d);
        return tn_raise(st, tn_ValueError, "the first two maketrans arguments must have equal length");
    }
    int64_t px = 0, py = 0;
    while (px < x->len) {
        uint32_t cx = utf8_next(x->data, x->len, &px), cy = utf8_next(y->data, y->len, &py);
        if (dict_set(st, AS_DICT(d), tn_int(cx), tn_int(cy)) < 0) {
            tn_decref(d);
            return tn_undef();
        }
    }
    if (!IS_UNDEF(a[2])) {
        if (!IS_STR(a[2])) {
            tn_decref(d);
            return tn_raise(st, tn_TypeError, "maketrans() argument 3 must be str, not %s",
                            tn_type_name(a[2]));
        }
        TnStr *z = AS_STR(a[2]);
        int64_t pz = 0;
        while (pz < z->len)
            if (dict_set(st, AS_DICT(d), tn_int(utf8_next(z->data, z->len, &pz)), tn_none()) < 0) {
                tn_decref(d);
                return tn_undef();
            }
    }
    return d;
}

/* str.translate(table): table[ord(c)] is a str, a code point, or None (delete). */
static TnValue str_translate(TnState *st, TnValue *a)
{
    TnStr *s = SELF;
    TnBuf b = {0};
    int64_t p = 0;
    while (p < s->len) {
        int64_t start = p;
        uint32_t c = utf8_next(s->data, s->len, &p);
        TnValue r = tn_getitem(st, a[1], tn_int(c));
        bool ok = true;
        if (IS_UNDEF(r)) {
            if (!tn_error_matches(st, tn_LookupError)) {
                buf_free(&b);
                return r;
            }
            tn_clear_error(st);
            ok = buf_putn(&b, s->data + start, (size_t)(p - start));
        } else if (IS_STR(r)) {
            ok = buf_putn(&b, AS_STR(r)->data, (size_t)AS_STR(r)->len);
        } else if (IS_INTLIKE(r)) {
            if (AS_INT(r) < 0 || AS_INT(r) > 0x10FFFF) {
                buf_free(&b);
                return tn_raise(st, tn_ValueError, "character mapping must be in range(0x110000)");
            }
            char enc[4];
            ok = buf_putn(&b, enc, (size_t)utf8_encode((uint32_t)AS_INT(r), enc));
        } else if (!IS_NONE(r)) {
            TnValue bad = r;
            buf_free(&b);
            tn_raise(st, tn_TypeError, "character mapping must return integer, None or str");
            tn_decref(bad);
            return tn_undef();
        }
        tn_decref(r);
        if (!ok) {
            buf_free(&b);
            return tn_no_memory(st);
        }
    }
    return buf_to_str(st, &b);
}

static TnValue str_encode(TnState *st, TnValue *a)
{
    return tn_raise(st, tn_NotImplementedError, "str.encode: tn has no bytes type");
}

static TnValue str_getnewargs(TnState *st, TnValue *a)
{
    return tuple_pack(st, 1, a[0]);
}

static TnValue str_format_spec(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "format() argument 2 must be str, not %s",
                        tn_type_name(a[1]));
    return tn_format(st, a[0], AS_STR(a[1]));
}

static const TnMethodDef str_methods[] = {
    {"upper", str_upper, "upper(self, /)", NULL, "Return a copy of the string converted to uppercase."},
    {"lower", str_lower, "lower(self, /)", NULL, "Return a copy of the string converted to lowercase."},
    {"casefold", str_lower, "casefold(self, /)", NULL, "Return a version of the string suitable for caseless comparisons."},
    {"capitalize", str_capitalize, "capitalize(self, /)", NULL, "Return a capitalized version of the string."},
    {"title", str_title, "title(self, /)", NULL, "Return a version of the string where each word is titlecased."},
    {"swapcase", str_swapcase, "swapcase(self, /)", NULL, "Convert uppercase characters to lowercase and lowercase characters to uppercase."},
    {"strip", str_strip, "strip(self, chars=None, /)", NULL, "Return a copy of the string with leading and trailing whitespace removed."},
    {"lstrip", str_lstrip, "lstrip(self, chars=None, /)", NULL, "Return a copy of the string with leading whitespace removed."},
    {"rstrip", str_rstrip, "rstrip(self, chars=None, /)", NULL, "Return a copy of the string with trailing whitespace removed."},
    {"split", str_split, "split(self, sep=None, maxsplit=?)", NULL, "Return a list of the substrings in the string, using sep as the separator string."},
    {"rsplit", str_rsplit, "rsplit(self, sep=None, maxsplit=?)", NULL, "Return a list of the substrings in the string, using sep as the separator string."},
    {"splitlines", str_splitlines, "splitlines(self, keepends=False)", NULL, "Return a list of the lines in the string, breaking at line boundaries."},
    {"join", str_join, "join(self, iterable, /)", NULL, "Concatenate any number of strings."},
    {"replace", str_replace, "replace(self, old, new, count=?, /)", NULL, "Return a copy with all occurrences of substring old replaced by new."},
    {"find", str_find, "find(self, sub, start=None, end=None, /)", NULL, "Return the lowest index in S where substring sub is found."},
    {"rfind", str_rfind, "rfind(self, sub, start=None, end=None, /)", NULL, "Return the highest index in S where substring sub is found."},
    {"index", str_index, "index(self, sub, start=None, end=None, /)", NULL, "Like find() but raise ValueError when the substring is not found."},
    {"rindex", str_rindex, "rindex(self, sub, start=None, end=None, /)", NULL, "Like rfind() but raise ValueError when the substring is not found."},
    {"count", str_count, "count(self, sub, start=None, end=None, /)", NULL, "Return the number of non-overlapping occurrences of substring sub."},
    {"startswith", str_startswith, "startswith(self, prefix, start=None, end=None, /)", NULL, "Return True if S starts with the specified prefix, False otherwise."},
    {"endswith", str_endswith, "endswith(self, suffix, start=None, end=None, /)", NULL, "Return True if S ends with the specified suffix, False otherwise."},
    {"isdigit", str_isdigit, "isdigit(self, /)", NULL, "Return True if the string is a digit string, False otherwise."},
    {"isdecimal", str_isdecimal, "isdecimal(self, /)", NULL, "Return True if the string is a decimal string, False otherwise."},
    {"isnumeric", str_isnumeric, "isnumeric(self, /)", NULL, "Return True if the string is a numeric string, False otherwise."},
    {"isalpha", str_isalpha, "isalpha(self, /)", NULL, "Return True if the string is an alphabetic string, False otherwise."},
    {"isalnum", str_isalnum, "isalnum(self, /)", NULL, "Return True if the string is an alpha-numeric string, False otherwise."},
    {"isspace", str_isspace, "isspace(self, /)", NULL, "Return True if the string is a whitespace string, False otherwise."},
    {"isupper", str_isupper, "isupper(self, /)", NULL, "Return True if the string is an uppercase string, False otherwise."},
    {"islower", str_islower, "islower(self, /)", NULL, "Return True if the string is a lowercase string, False otherwise."},
    {"istitle", str_istitle, "istitle(self, /)", NULL, "Return True if the string is a title-cased string, False otherwise."},
    {"isidentifier", str_isidentifier, "isidentifier(self, /)", NULL, "Return True if the string is a valid Python identifier, False otherwise."},
    {"isascii", str_isascii, "isascii(self, /)", NULL, "Return True if all characters in the string are ASCII, False otherwise."},
    {"isprintable", str_isprintable, "isprintable(self, /)", NULL, "Return True if the string is printable, False otherwise."},
    {"zfill", str_zfill, "zfill(self, width, /)", NULL, "Pad a numeric string with zeros on the left, to fill a field of the given width."},
    {"center", str_center, "center(self, width, fillchar=?, /)", NULL, "Return a centered string of length width."},
    {"ljust", str_ljust, "ljust(self, width, fillchar=?, /)", NULL, "Return a left-justified string of length width."},
    {"rjust", str_rjust, "rjust(self, width, fillchar=?, /)", NULL, "Return a right-justified string of length width."},
    {"partition", str_partition, "partition(self, sep, /)", NULL, "Partition the string into three parts using the given separator."},
    {"rpartition", str_rpartition, "rpartition(self, sep, /)", NULL, "Partition the string into three parts using the given separator, from the right."},
    {"removeprefix", str_removeprefix, "removeprefix(self, prefix, /)", NULL, "Return a str with the given prefix string removed if present."},
    {"removesuffix", str_removesuffix, "removesuffix(self, suffix, /)", NULL, "Return a str with the given suffix string removed if present."},
    {"expandtabs", str_expandtabs, "expandtabs(self, tabsize=8)", NULL, "Return a copy where all tab characters are expanded using spaces."},
    {"format", str_format_method, "format(self, /, *args, **kwargs)", NULL, "Return a formatted version of S, using substitutions from args and kwargs."},
    {"maketrans", str_maketrans, "maketrans(x, y=?, z=?, /)", NULL, "Return a translation table usable for str.translate()."},
    {"translate", str_translate, "translate(self, table, /)", NULL, "Replace each character in the string using the given translation table."},
    {"format_map", str_format_map, "format_map(self, mapping, /)", NULL, "Return a formatted version of S, using substitutions from mapping."},
    {"encode", str_encode, "encode(self, encoding='utf-8', errors='strict')", NULL, "Encode the string (not supported: tn has no bytes)."},
    {"__format__", str_format_spec, "__format__(self, format_spec, /)", NULL, "Return a formatted version of the string as described by format_spec."},
    {"__getnewargs__", str_getnewargs, "__getnewargs__(self, /)", NULL, NULL},
    {NULL},
};

TnType tn_str_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "str",
    .flags = TN_TYPE_BASETYPE,
    .doc = {.tag = V_UNDEF},
    .dealloc = str_dealloc,
    .repr = str_repr,
    .str = str_str,
    .hash = str_hash,
    .richcmp = str_richcmp,
    .binop = str_binop,
    .len = str_len,
    .getitem = str_getitem,
    .contains = str_contains,
    .iter = str_iter,
    .construct = str_construct,
    .methods = str_methods,
};
