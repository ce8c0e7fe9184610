/* io_pt.c: torch.save / torch.load in PyTorch's zip format — data.pkl with persistent ids for
 * storages, raw little-endian storages in data/<key>, and the version record. */
#include "io.h"
#include "types.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const storage_names[DT_NTYPES] = {
    [DT_BOOL] = "BoolStorage",     [DT_INT32] = "IntStorage",     [DT_INT64] = "LongStorage",
    [DT_FLOAT32] = "FloatStorage", [DT_FLOAT64] = "DoubleStorage",
};

/* ==================================================================== load */
/* A storage read from the archive, as a 1-D tensor over all of it. */
typedef struct {
    char key[64];
    TnTensor *whole;
} LoadedStorage;

typedef struct {
    ZipReader z;
    char prefix[256];
    LoadedStorage *storages;
    int64_t n, cap;
} PtLoad;

static TnValue bad(TnState *st, const char *what)
{
    return tn_raise(st, tn_RuntimeError, "torch.load: invalid file: %s", what);
}

/* Reads data/<key> into a fresh storage, checking its size against the record. */
static TnTensor *read_storage(TnState *st, PtLoad *L, const char *key, TnDType dt, int64_t numel)
{
    char name[400];
    snprintf(name, sizeof name, "%s/data/%s", L->prefix, key);
    const ZipEntry *e = zip_find(&L->z, name);
    if (!e)
        return tn_raise_ptr(st, tn_RuntimeError, "torch.load: storage record '%s' not found", name);
    if (numel < 0 || (uint64_t)numel > e->size / (uint64_t)DT_SIZE(dt))
        return tn_raise_ptr(st, tn_RuntimeError,
                            "torch.load: storage '%s' claims %lld elements but its record holds "
                            "%llu bytes",
                            key, (long long)numel, (unsigned long long)e->size);
    TnTensor *t = tensor_empty(st, dt, 1, &numel);
    if (!t)
        return NULL;
    size_t nbytes = (size_t)numel * (size_t)DT_SIZE(dt);
    if (nbytes)
        memcpy(t->storage->data, e->data, nbytes);
    if (dt == DT_BOOL)
        io_normalize_bools(t->storage->data, nbytes);
    return t;
}

static TnTensor *find_or_read(TnState *st, PtLoad *L, TnStr *key, TnDType dt, int64_t numel)
{
    for (int64_t i = 0; i < L->n; i++) {
        if (strcmp(L->storages[i].key, key->data))
            continue;
        TnTensor *w = L->storages[i].whole;
        if (w->dtype != dt || w->sizes[0] != numel)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "torch.load: storage '%s' is referenced with different types",
                                key->data);
        tn_obj_incref(w);
        return w;
    }
    if (L->n == L->cap) {
        int64_t cap = L->cap ? L->cap * 2 : 16;
        LoadedStorage *s = tn_realloc(L->storages, sizeof(LoadedStorage) * (size_t)cap);
        if (!s)
            return (void)tn_no_memory(st), NULL;
        L->storages = s;
        L->cap = cap;
    }
    TnTensor *w = read_storage(st, L, key->data, dt, numel);
    if (!w)
        return NULL;
    snprintf(L->storages[L->n].key, sizeof L->storages[L->n].key, "%s", key->data);
    L->storages[L->n++].whole = w;
    tn_obj_incref(w);
    return w;
}

static bool valid_key(TnStr *k)
{
    if (k->len == 0 || k->len >= 64)
        return false;
    for (int64_t i = 0; i < k->len; i++)
        if (k->data[i] == '/' || k->data[i] == '\\' || (unsigned char)k->data[i] < 32)
            return false;
    return true;
}

/* ('storage', torch.FloatStorage, key, location, numel) -> the whole-storage tensor. */
static TnValue persistent_load(TnState *st, void *ctx, TnValue pid)
{
    if (!IS_TUPLE(pid) || AS_TUPLE(pid)->n != 5)
        return bad(st, "persistent id is not a 5-tuple");
    TnValue *it = AS_TUPLE(pid)->items;
    if (!IS_STR(it[0]) || strcmp(AS_STR(it[0])->data, "storage"))
        return bad(st, "persistent id is not a storage");
    if (!IS_PICKLE_GLOBAL(it[1]) || ((PickleGlobal *)AS_OBJ(it[1]))->kind != PG_STORAGE)
        return bad(st, "persistent id without a storage type");
    if (!IS_STR(it[2]) || !valid_key(AS_STR(it[2])) || !IS_STR(it[3]) || !IS_INT(it[4]))
        return bad(st, "malformed storage persistent id");
    TnDType dt = ((PickleGlobal *)AS_OBJ(it[1]))->dtype;
    TnTensor *w = find_or_read(st, (PtLoad *)ctx, AS_STR(it[2]), dt, AS_INT(it[4]));
    return w ? tn_obj(w) : tn_undef();
}

/* Sizes/strides from tuples of ints, checked to stay inside the storage. */
static int view_shape(TnState *st, TnValue size, TnValue stride, int64_t off, int64_t numel,
                      int *nd, int64_t *sizes, int64_t *strides)
{
    if (!IS_TUPLE(size) || !IS_TUPLE(stride) || AS_TUPLE(size)->n != AS_TUPLE(stride)->n ||
        AS_TUPLE(size)->n > TN_MAX_DIMS)
        return (void)bad(st, "tensor size and stride do not match"), -1;
    *nd = (int)AS_TUPLE(size)->n;
    int64_t last = off, count = 1;
    for (int d = 0; d < *nd; d++) {
        TnValue sz = AS_TUPLE(size)->items[d], sd = AS_TUPLE(stride)->items[d];
        if (!IS_INT(sz) || !IS_INT(sd) || AS_INT(sz) < 0 || AS_INT(sd) < 0)
            return (void)bad(st, "tensor size or stride is not a non-negative int"), -1;
        sizes[d] = AS_INT(sz);
        strides[d] = AS_INT(sd);
        int64_t span;
        if (sizes[d] == 0)
            count = 0;
        else if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span) ||
                 __builtin_add_overflow(last, span, &last) ||
                 __builtin_mul_overflow(count, sizes[d], &count))
            return (void)bad(st, "tensor extent overflows"), -1;
    }
    if (off < 0 || (count > 0 && last >= numel) || off > numel)
        return (void)bad(st, "tensor view reaches outside its storage"), -1;
    return 0;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) */
static TnValue rebuild_tensor(TnState *st, TnValue args)
{
    TnTuple *a = AS_TUPLE(args);
    if (a->n < 6 || a->n > 7 || !IS_TENSOR(a->items[0]) || !IS_INT(a->items[1]) ||
        !IS_BOOL(a->items[4]))
        return bad(st, "malformed _rebuild_tensor_v2 arguments");
    TnTensor *w = AS_TENSOR(a->items[0]);
    int nd;
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    /* bounds come from the storage itself, whatever tensor the pickle passed */
    int64_t numel = w->storage->nbytes / DT_SIZE(w->dtype);
    if (view_shape(st, a->items[2], a->items[3], AS_INT(a->items[1]), numel, &nd, sizes,
                   strides) < 0)
        return tn_undef();
    TnTensor *t = tensor_alias(st, w, nd, sizes, strides, AS_INT(a->items[1]));
    if (!t)
        return tn_undef();
    if (AS_BOOL(a->items[4])) {
        if (!DT_IS_FLOAT(t->dtype)) {
            tn_obj_decref(t);
            return tn_raise(st, tn_RuntimeError,
                            "only Tensors of floating point dtype can require gradients");
        }
        t->requires_grad = true;
    }
    return tn_obj(t);
}

/* _rebuild_parameter(data, requires_grad, hooks) */
static TnValue rebuild_parameter(TnState *st, TnValue args)
{
    TnTuple *a = AS_TUPLE(args);
    if (a->n != 3 || !IS_TENSOR(a->items[0]) || !IS_BOOL(a->items[1]))
        return bad(st, "malformed _rebuild_parameter arguments");
    if (AS_BOOL(a->items[1]) && !DT_IS_FLOAT(AS_TENSOR(a->items[0])->dtype))
        return tn_raise(st, tn_RuntimeError,
                        "Only Tensors of floating point and complex dtype can require gradients");
    TnValue pargs[2] = {a->items[0], a->items[1]};
    return tn_call(st, tn_obj(&tn_parameter_type), pargs, 2, NULL, 0);
}

static TnValue reduce(TnState *st, void *ctx, PickleGlobal *g, TnValue args)
{
    if (g->kind == PG_REBUILD_TENSOR_V2)
        return rebuild_tensor(st, args);
    return rebuild_parameter(st, args);
}

/* PyTorch names every record "<archive>/..." after the first record's folder. */
static int find_prefix(TnState *st, PtLoad *L)
{
    if (L->z.n == 0)
        return (void)bad(st, "empty archive"), -1;
    const ZipEntry *e = &L->z.entries[0];
    const char *slash = memchr(e->name, '/', e->name_len);
    size_t n = slash ? (size_t)(slash - e->name) : 0;
    if (!slash || n == 0 || n >= sizeof L->prefix || memchr(e->name, 0, n))
        return (void)bad(st, "records are not in an archive folder"), -1;
    memcpy(L->prefix, e->name, n);
    L->prefix[n] = 0;
    return 0;
}

static void pt_load_free(PtLoad *L)
{
    for (int64_t i = 0; i < L->n; i++)
        tn_obj_decref(L->storages[i].whole);
    tn_free(L->storages);
    zip_close(&L->z);
}

TnValue pt_load_buffer(TnState *st, const uint8_t *buf, size_t len)
{
    if (len >= 2 && buf[0] == 0x80 && buf[1] == 0x02)
        return tn_raise(st, tn_RuntimeError,
                        "torch.load: this is PyTorch's legacy (pre-1.6, non-zip) format, which tn "
                        "does not read; re-save it with a current torch.save");
    if (len < 4 || memcmp(buf, "PK\x03\x04", 4))
        return bad(st, "not a zip archive (torch.save files start with PK)");
    PtLoad L = {0};
    if (zip_open(st, buf, len, &L.z) < 0)
        return tn_undef();
    TnValue result = tn_undef();
    if (find_prefix(st, &L) == 0) {
        char name[300];
        snprintf(name, sizeof name, "%s/data.pkl", L.prefix);
        const ZipEntry *pkl = zip_find(&L.z, name);
        PickleHooks h = {&L, persistent_load, reduce};
        if (!pkl)
            bad(st, "data.pkl record missing");
        else
            result = pickle_load(st, pkl->data, (size_t)pkl->size, &h);
    }
    pt_load_free(&L);
    return result;
}

/* ==================================================================== save */
typedef struct {
    TnStorage *s;
    TnDType dt;
    TnValue key; /* str, reused so repeated references memoize like PyTorch's */
} SavedStorage;

typedef struct {
    SavedStorage *v;
    int64_t n, cap;
} PtSave;

static int storage_key(TnState *st, PtSave *S, TnTensor *t, TnValue *key)
{
    for (int64_t i = 0; i < S->n; i++) {
        if (S->v[i].s != t->storage)
            continue;
        if (S->v[i].dt != t->dtype)
            return tn_raise_int(st, tn_RuntimeError,
                                "Cannot save multiple tensors or storages that view the same data "
                                "as different types");
        *key = S->v[i].key;
        return 0;
    }
    if (S->n == S->cap) {
        int64_t cap = S->cap ? S->cap * 2 : 16;
        SavedStorage *v = tn_realloc(S->v, sizeof(SavedStorage) * (size_t)cap);
        if (!v)
            return (void)tn_no_memory(st), -1;
        S->v = v;
        S->cap = cap;
    }
    TnValue k = tn_str_fmt(st, "%lld", (long long)S->n);
    if (IS_UNDEF(k))
        return -1;
    S->v[S->n++] = (SavedStorage){t->storage, t->dtype, k};
    *key = k;
    return 0;
}

static int dump_int_tuple(TnState *st, Pickler *p, int n, const int64_t *v)
{
    TnValue t = tuple_new(st, n);
    if (IS_UNDEF(t))
        return -1;
    for (int i = 0; i < n; i++)
        tuple_set(t, i, tn_int(v[i]));
    int rc = pickle_dump(st, p, t);
    tn_decref(t);
    return rc;
}

/* _rebuild_tensor_v2((pid), offset, size, stride, requires_grad, OrderedDict()) */
static int dump_plain_tensor(TnState *st, Pickler *p, TnTensor *t, bool requires_grad)
{
    PtSave *S = p->ctx;
    TnValue key;
    if (storage_key(st, S, t, &key) < 0)
        return -1;
    int64_t numel = t->storage->nbytes / DT_SIZE(t->dtype);
    if (pickle_global(st, p, "torch._utils", "_rebuild_tensor_v2") < 0 || pickle_op(st, p, '(') < 0 ||
        pickle_op(st, p, '(') < 0 || pickle_dump(st, p, tn_obj(str_intern("storage"))) < 0 ||
        pickle_global(st, p, "torch", storage_names[t->dtype]) < 0 || pickle_dump(st, p, key) < 0 ||
        pickle_dump(st, p, tn_obj(str_intern("cpu"))) < 0 || pickle_dump(st, p, tn_int(numel)) < 0 ||
        pickle_op(st, p, 't') < 0 || pickle_op(st, p, 'Q') < 0 ||
        pickle_dump(st, p, tn_int(t->offset)) < 0 || dump_int_tuple(st, p, t->ndim, t->sizes) < 0 ||
        dump_int_tuple(st, p, t->ndim, t->strides) < 0 ||
        pickle_dump(st, p, tn_bool(requires_grad)) < 0 || pickle_empty_ordereddict(st, p) < 0 ||
        pickle_op(st, p, 't') < 0)
        return -1;
    return pickle_op(st, p, 'R');
}

static int dump_tensor(TnState *st, Pickler *p, TnTensor *t)
{
    if (t->sp_indices || t->sp_values)
        return tn_raise_int(st, tn_NotImplementedError,
                            "torch.save of sparse tensors is not supported by tn");
    bool param = t->is_param || tn_isinstance_type(t->head.type, &tn_parameter_type);
    if (!param)
        return dump_plain_tensor(st, p, t, t->requires_grad);
    if (pickle_global(st, p, "torch._utils", "_rebuild_parameter") < 0 ||
        dump_plain_tensor(st, p, t, false) < 0 || pickle_dump(st, p, tn_bool(t->requires_grad)) < 0 ||
        pickle_empty_ordereddict(st, p) < 0 || pickle_op(st, p, 0x87) < 0)
        return -1;
    return pickle_op(st, p, 'R');
}

/* "dir/model.pt" -> "model", as PyTorch names the archive folder. */
static void archive_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0 || n >= cap) {
        snprintf(out, cap, "archive");
        return;
    }
    memcpy(out, base, n);
    out[n] = 0;
}

/* torch.save checks the target's folder before writing, with its own RuntimeError. */
static int check_parent_dir(TnState *st, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    size_t n = (size_t)(slash - path);
    char *dir = tn_malloc(n + 1);
    if (!dir)
        return tn_no_memory(st), -1;
    memcpy(dir, path, n);
    dir[n] = 0;
    struct stat sb;
    int rc = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)
                 ? 0
                 : tn_raise_int(st, tn_RuntimeError, "Parent directory %s does not exist.", dir);
    tn_free(dir);
    return rc;
}

static int write_archive(TnState *st, PtSave *S, Pickler *p, const char *path)
{
    char prefix[256], name[400];
    archive_name(path, prefix, sizeof prefix);
    ZipWriter z = {0};
    snprintf(name, sizeof name, "%s/data.pkl", prefix);
    bool ok = zip_add(&z, name, p->out.p, p->out.n);
    for (int64_t i = 0; ok && i < S->n; i++) {
        snprintf(name, sizeof name, "%s/data/%lld", prefix, (long long)i);
        ok = zip_add(&z, name, S->v[i].s->data, (size_t)S->v[i].s->nbytes);
    }
    snprintf(name, sizeof name, "%s/version", prefix);
    ok = ok && zip_add(&z, name, "3\n", 2) && zip_finish(&z);
    int rc = ok ? (check_parent_dir(st, path) < 0 ? -1 : io_write_atomic(st, path, z.out.p, z.out.n))
                : tn_raise_int(st, tn_RuntimeError, "torch.save: out of memory or archive over 4 GiB");
    zip_writer_free(&z);
    return rc;
}

int pt_save(TnState *st, TnValue obj, const char *path)
{
    PtSave S = {0};
    Pickler p = {.tensor = dump_tensor, .ctx = &S};
    int rc = -1;
    if (pickle_op(st, &p, 0x80) == 0 && pickle_op(st, &p, 2) == 0 && pickle_dump(st, &p, obj) == 0 &&
        pickle_op(st, &p, '.') == 0)
        rc = write_archive(st, &S, &p, path);
    for (int64_t i = 0; i < S.n; i++)
        tn_decref(S.v[i].key);
    tn_free(S.v);
    pickler_free(&p);
    return rc;
}
