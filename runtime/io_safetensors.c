/* io_safetensors.c: the safetensors format — 8-byte header size, a JSON header checked entry by
 * entry (dtype, shape, data_offsets covering the data exactly), raw little-endian data. */
#include "io.h"
#include "types.h"
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER  100000000u
#define JSON_DEPTH  32

static const struct {
    const char *name;
    TnDType dt;
    int rank; /* safetensors' Dtype order, used to sort tensors on save */
} st_types[] = {{"BOOL", DT_BOOL, 0}, {"I32", DT_INT32, 9}, {"F32", DT_FLOAT32, 11},
                {"F64", DT_FLOAT64, 12}, {"I64", DT_INT64, 13}};

static int bad(TnState *st, const char *what)
{
    return tn_raise_int(st, tn_RuntimeError, "Error while deserializing header: %s", what);
}

/* ============================================================ JSON reading */
typedef struct {
    TnState *st;
    const char *p, *end;
} Json;

static void ws(Json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool lit(Json *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static int hex4(Json *j, uint32_t *cp)
{
    if (j->end - j->p < 4)
        return -1;
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        *cp = *cp << 4 | (uint32_t)v;
    }
    return 0;
}

static bool put_utf8(TnBuf *b, uint32_t cp)
{
    char u[4];
    int n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_putn(b, u, (size_t)n);
}

static int escape(Json *j, TnBuf *b)
{
    if (j->p >= j->end)
        return -1;
    char c = *j->p++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = strchr(from, c);
    if (c && k)
        return buf_putc(b, to[k - from]) ? 0 : -2;
    uint32_t cp, lo;
    if (c != 'u' || hex4(j, &cp) < 0)
        return -1;
    if (cp >= 0xD800 && cp < 0xDC00) {
        if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
            return -1;
        j->p += 2;
        if (hex4(j, &lo) < 0 || lo < 0xDC00 || lo >= 0xE000)
            return -1;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
        return -1; /* lone surrogates; NUL would cut names short */
    }
    return put_utf8(b, cp) ? 0 : -2;
}

/* A JSON string into b (NUL-terminated, UTF-8). */
static int jstring(Json *j, TnBuf *b)
{
    b->n = 0;
    if (!buf_putn(b, "", 0))
        return (void)tn_no_memory(j->st), -1;
    if (!lit(j, '"'))
        return bad(j->st, "expected a string");
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        int rc;
        if (c < 0x20) {
            rc = -1;
        } else if (c == '\\') {
            j->p++;
            rc = escape(j, b);
        } else {
            rc = buf_putc(b, *j->p++) ? 0 : -2;
        }
        if (rc == -2)
            return (void)tn_no_memory(j->st), -1;
        if (rc < 0)
            return bad(j->st, "invalid string escape");
    }
    if (!lit(j, '"'))
        return bad(j->st, "unterminated string");
    return 0;
}

static int juint(Json *j, int64_t *v)
{
    ws(j);
    const char *start = j->p;
    *v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        if (__builtin_mul_overflow(*v, 10, v) || __builtin_add_overflow(*v, *j->p++ - '0', v))
            return bad(j->st, "integer too large");
    return j->p > start ? 0 : bad(j->st, "expected a non-negative integer");
}

/* [int, int, ...] with at most max entries. */
static int juint_array(Json *j, int64_t *out, int max, int *n)
{
    *n = 0;
    if (!lit(j, '['))
        return bad(j->st, "expected an array");
    if (lit(j, ']'))
        return 0;
    do {
        if (*n == max)
            return bad(j->st, "array too long");
        if (juint(j, &out[(*n)++]) < 0)
            return -1;
    } while (lit(j, ','));
    return lit(j, ']') ? 0 : bad(j->st, "unterminated array");
}

/* ========================================================== tensor entries */
typedef struct {
    char *name; /* tn_malloc'ed */
    TnDType dt;
    int ndim;
    int64_t shape[TN_MAX_DIMS];
    int64_t begin, end;
} StEntry;

static int entry_dtype(TnState *st, const char *s, TnDType *dt)
{
    for (size_t i = 0; i < sizeof st_types / sizeof st_types[0]; i++)
        if (!strcmp(st_types[i].name, s)) {
            *dt = st_types[i].dt;
            return 0;
        }
    return tn_raise_int(st, tn_RuntimeError,
                        "safetensors dtype %.20s is not supported by tn (F32, F64, I64, I32, BOOL)", s);
}

/* {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]} */
static int parse_entry(Json *j, TnBuf *tmp, StEntry *e)
{
    int seen = 0, n;
    int64_t off[2];
    if (!lit(j, '{'))
        return bad(j->st, "tensor info is not an object");
    if (lit(j, '}'))
        return bad(j->st, "tensor info is empty");
    do {
        if (jstring(j, tmp) < 0 || !lit(j, ':'))
            return bad(j->st, "malformed tensor info");
        if (!strcmp(tmp->p, "dtype")) {
            if (jstring(j, tmp) < 0 || entry_dtype(j->st, tmp->p, &e->dt) < 0)
                return -1;
            seen |= 1;
        } else if (!strcmp(tmp->p, "shape")) {
            if (juint_array(j, e->shape, TN_MAX_DIMS, &e->ndim) < 0)
                return -1;
            seen |= 2;
        } else if (!strcmp(tmp->p, "data_offsets")) {
            if (juint_array(j, off, 2, &n) < 0)
                return -1;
            if (n != 2)
                return bad(j->st, "data_offsets needs two integers");
            e->begin = off[0];
            e->end = off[1];
            seen |= 4;
        } else {
            return bad(j->st, "unknown field in tensor info");
        }
    } while (lit(j, ','));
    if (!lit(j, '}') || seen != 7)
        return bad(j->st, "tensor info needs dtype, shape and data_offsets");
    return 0;
}

/* "__metadata__": {"key": "value", ...} is checked and dropped (load_file ignores it). */
static int skip_metadata(Json *j, TnBuf *tmp)
{
    if (!lit(j, '{'))
        return bad(j->st, "__metadata__ is not an object");
    if (lit(j, '}'))
        return 0;
    do {
        if (jstring(j, tmp) < 0 || !lit(j, ':') || jstring(j, tmp) < 0)
            return bad(j->st, "__metadata__ must map strings to strings");
    } while (lit(j, ','));
    return lit(j, '}') ? 0 : bad(j->st, "unterminated __metadata__");
}

typedef struct {
    StEntry *v;
    int64_t n, cap;
} Entries;

static void entries_free(Entries *es)
{
    for (int64_t i = 0; i < es->n; i++)
        tn_free(es->v[i].name);
    tn_free(es->v);
}

static int add_entry(Json *j, Entries *es, TnBuf *tmp)
{
    if (es->n == es->cap) {
        int64_t cap = es->cap ? es->cap * 2 : 16;
        StEntry *v = tn_realloc(es->v, sizeof(StEntry) * (size_t)cap);
        if (!v)
            return (void)tn_no_memory(j->st), -1;
        es->v = v;
        es->cap = cap;
    }
    StEntry *e = &es->v[es->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = tn_malloc(tmp->n + 1)))
        return (void)tn_no_memory(j->st), -1;
    memcpy(e->name, tmp->p, tmp->n + 1);
    es->n++;
    return parse_entry(j, tmp, e);
}

static int parse_header(Json *j, Entries *es)
{
    TnBuf tmp = {0};
    int rc = 0;
    if (!lit(j, '{'))
        rc = bad(j->st, "header is not a JSON object");
    else if (!lit(j, '}')) {
        do {
            if (jstring(j, &tmp) < 0 || !lit(j, ':'))
                rc = bad(j->st, "malformed header");
            else if (!strcmp(tmp.p, "__metadata__"))
                rc = skip_metadata(j, &tmp);
            else
                rc = add_entry(j, es, &tmp);
        } while (rc == 0 && lit(j, ','));
        if (rc == 0 && !lit(j, '}'))
            rc = bad(j->st, "unterminated header object");
    }
    ws(j);
    if (rc == 0 && j->p != j->end)
        rc = bad(j->st, "trailing characters after the header");
    buf_free(&tmp);
    return rc;
}

static int by_begin(const void *a, const void *b)
{
    const StEntry *x = a, *y = b;
    /* an empty tensor shares its begin with the next one: it must come first */
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const StEntry *)a)->name, ((const StEntry *)b)->name);
}

/* Offsets must tile the data exactly: no gaps, overlaps, or bytes left over. */
static int check_entries(TnState *st, Entries *es, uint64_t nbytes)
{
    if (es->n == 0)
        return nbytes == 0 ? 0 : bad(st, "MetadataIncompleteBuffer: the data does not match the header");
    qsort(es->v, (size_t)es->n, sizeof(StEntry), by_begin);
    int64_t at = 0;
    for (int64_t i = 0; i < es->n; i++) {
        StEntry *e = &es->v[i];
        int64_t numel = 1, size;
        for (int d = 0; d < e->ndim; d++)
            if (__builtin_mul_overflow(numel, e->shape[d], &numel))
                return bad(st, "shape overflows");
        if (__builtin_mul_overflow(numel, (int64_t)DT_SIZE(e->dt), &size) || e->end < e->begin ||
            e->end - e->begin != size)
            return tn_raise_int(st, tn_RuntimeError,
                                "Error while deserializing header: tensor '%.100s' has "
                                "data_offsets that do not match its dtype and shape",
                                e->name);
        if (e->begin != at)
            return bad(st, "data_offsets leave a gap or overlap");
        if (i > 0 && !strcmp(e->name, es->v[i - 1].name))
            return bad(st, "duplicate tensor name");
        at = e->end;
    }
    if ((uint64_t)at != nbytes)
        return bad(st, "MetadataIncompleteBuffer: the data does not match the header");
    qsort(es->v, (size_t)es->n, sizeof(StEntry), by_name);
    for (int64_t i = 1; i < es->n; i++)
        if (!strcmp(es->v[i].name, es->v[i - 1].name))
            return bad(st, "duplicate tensor name");
    return 0;
}

static TnTensor *entry_tensor(TnState *st, const StEntry *e, const uint8_t *data)
{
    TnTensor *t = tensor_empty(st, e->dt, e->ndim, e->shape);
    if (!t)
        return NULL;
    size_t n = (size_t)(e->end - e->begin);
    if (n)
        memcpy(t->storage->data, data + e->begin, n);
    if (e->dt == DT_BOOL)
        io_normalize_bools(t->storage->data, n);
    return t;
}

TnValue st_load_buffer(TnState *st, const uint8_t *buf, size_t len)
{
    if (len < 8)
        return tn_raise(st, tn_RuntimeError, "Error while deserializing header: HeaderTooSmall");
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    if (n > MAX_HEADER)
        return tn_raise(st, tn_RuntimeError, "Error while deserializing header: HeaderTooLarge");
    if (n > len - 8)
        return tn_raise(st, tn_RuntimeError,
                        "Error while deserializing header: InvalidHeaderLength");
    Json j = {st, (const char *)buf + 8, (const char *)buf + 8 + n};
    Entries es = {0};
    TnValue d = tn_undef();
    if (parse_header(&j, &es) == 0 && check_entries(st, &es, len - 8 - n) == 0 &&
        !IS_UNDEF(d = dict_new(st))) {
        for (int64_t i = 0; i < es.n; i++) {
            TnTensor *t = entry_tensor(st, &es.v[i], buf + 8 + n);
            TnValue key = t ? tn_str(st, es.v[i].name) : tn_undef();
            int rc = IS_UNDEF(key) ? -1 : dict_set(st, AS_DICT(d), key, tn_obj(t));
            tn_decref(key);
            tn_obj_decref(t);
            if (rc < 0) {
                tn_decref(d);
                d = tn_undef();
                break;
            }
        }
    }
    entries_free(&es);
    return d;
}

/* ================================================================== saving */
static bool json_str(TnBuf *b, const char *s, size_t n)
{
    bool ok = buf_putc(b, '"');
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            ok = buf_putc(b, '\\') && buf_putc(b, (char)c);
        else if (c == '\n')
            ok = buf_puts(b, "\\n");
        else if (c == '\t')
            ok = buf_puts(b, "\\t");
        else if (c == '\r')
            ok = buf_puts(b, "\\r");
        else if (c < 0x20)
            ok = buf_printf(b, "\\u%04x", c);
        else
            ok = buf_putc(b, (char)c);
    }
    return ok && buf_putc(b, '"');
}

typedef struct {
    TnStr *name;
    TnTensor *t;
} SaveItem;

static int type_rank(TnDType dt)
{
    for (size_t i = 0; i < sizeof st_types / sizeof st_types[0]; i++)
        if (st_types[i].dt == dt)
            return st_types[i].rank;
    return 0;
}

static const char *type_name(TnDType dt)
{
    for (size_t i = 0; i < sizeof st_types / sizeof st_types[0]; i++)
        if (st_types[i].dt == dt)
            return st_types[i].name;
    return "?";
}

/* safetensors sorts by dtype alignment (largest first), then by name. */
static int save_order(const void *a, const void *b)
{
    const SaveItem *x = a, *y = b;
    int rx = type_rank(x->t->dtype), ry = type_rank(y->t->dtype);
    if (rx != ry)
        return ry - rx;
    return str_cmp(x->name, y->name);
}

static int collect(TnState *st, TnValue tensors, SaveItem **items, int64_t *n)
{
    if (!tn_is_dict(tensors))
        return tn_raise_int(st, tn_TypeError, "save_file() expects a dict of tensors, not %s",
                            tn_type_name(tensors));
    TnDict *d = AS_DICT(tensors);
    *items = tn_malloc(sizeof(SaveItem) * (size_t)(d->n ? d->n : 1));
    if (!*items)
        return (void)tn_no_memory(st), -1;
    int64_t pos = 0;
    TnValue k, v;
    *n = 0;
    while (dict_next(d, &pos, &k, &v)) {
        if (!IS_STR(k) || !IS_TENSOR(v) || AS_TENSOR(v)->sp_indices)
            return tn_raise_int(st, tn_TypeError,
                                "save_file() expects a dict of str to dense tensors");
        if (!tensor_is_contiguous(AS_TENSOR(v)))
            return tn_raise_int(st, tn_ValueError,
                                "You are trying to save a non contiguous tensor: `%s` which is not "
                                "allowed. It either means you are trying to save tensors which are "
                                "reference of each other in which case it's recommended to save "
                                "only the full tensors, and reslice at load time, or simply call "
                                "`.contiguous()` on your tensor to pack it before saving.",
                                AS_STR(k)->data);
        (*items)[(*n)++] = (SaveItem){AS_STR(k), AS_TENSOR(v)};
    }
    if (*n > 1)
        qsort(*items, (size_t)*n, sizeof(SaveItem), save_order);
    return 0;
}

static bool write_metadata(TnState *st, TnBuf *h, TnValue md, int *err)
{
    if (IS_UNDEF(md) || IS_NONE(md))
        return true;
    if (!tn_is_dict(md)) {
        *err = tn_raise_int(st, tn_TypeError, "metadata must be a dict of str to str");
        return false;
    }
    bool ok = buf_puts(h, "\"__metadata__\":{");
    int64_t pos = 0, i = 0;
    TnValue k, v;
    while (ok && dict_next(AS_DICT(md), &pos, &k, &v)) {
        if (!IS_STR(k) || !IS_STR(v)) {
            *err = tn_raise_int(st, tn_TypeError, "metadata must be a dict of str to str");
            return false;
        }
        ok = (i++ == 0 || buf_putc(h, ',')) && json_str(h, AS_STR(k)->data, (size_t)AS_STR(k)->len) &&
             buf_putc(h, ':') && json_str(h, AS_STR(v)->data, (size_t)AS_STR(v)->len);
    }
    return ok && buf_puts(h, "},");
}

static bool write_header(TnBuf *h, SaveItem *items, int64_t n)
{
    int64_t off = 0;
    bool ok = true;
    for (int64_t i = 0; ok && i < n; i++) {
        TnTensor *t = items[i].t;
        int64_t size = tensor_numel(t) * DT_SIZE(t->dtype);
        ok = (i == 0 || buf_putc(h, ',')) && json_str(h, items[i].name->data, (size_t)items[i].name->len) &&
             buf_printf(h, ":{\"dtype\":\"%s\",\"shape\":[", type_name(t->dtype));
        for (int d = 0; ok && d < t->ndim; d++)
            ok = buf_printf(h, d ? ",%lld" : "%lld", (long long)t->sizes[d]);
        ok = ok && buf_printf(h, "],\"data_offsets\":[%lld,%lld]}", (long long)off, (long long)(off + size));
        off += size;
    }
    if (ok && h->n > 0 && h->p[h->n - 1] == ',')
        h->n--; /* metadata with no tensors */
    ok = ok && buf_putc(h, '}');
    while (ok && h->n % 8)
        ok = buf_putc(h, ' ');
    return ok;
}

int st_save(TnState *st, TnValue tensors, TnValue metadata, const char *path)
{
    SaveItem *items = NULL;
    int64_t n = 0;
    TnBuf h = {0}, out = {0};
    int rc = -1;
    if (collect(st, tensors, &items, &n) < 0)
        goto done;
    int err = 0;
    bool ok = buf_putc(&h, '{');
    if (ok && !write_metadata(st, &h, metadata, &err)) {
        if (err)
            goto done;
        ok = false;
    }
    ok = ok && write_header(&h, items, n);
    for (int i = 0; ok && i < 8; i++)
        ok = buf_putc(&out, (char)((uint64_t)h.n >> (8 * i) & 0xFF));
    ok = ok && buf_putn(&out, h.p, h.n);
    for (int64_t i = 0; ok && i < n; i++) {
        size_t size = (size_t)(tensor_numel(items[i].t) * DT_SIZE(items[i].t->dtype));
        ok = size == 0 || buf_putn(&out, tensor_ptr(items[i].t), size);
    }
    rc = ok ? io_write_atomic(st, path, out.p, out.n) : (tn_no_memory(st), -1);
done:
    tn_free(items);
    buf_free(&h);
    buf_free(&out);
    return rc;
}
