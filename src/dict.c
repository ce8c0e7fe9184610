/* dict.c: the insertion-ordered hash table behind dicts, sets, namespaces and type dicts.
 *
 * Layout as in CPython's compact dict: `entries` holds (key, value, hash) in
 * insertion order, `index` is an open-addressing table of entry numbers. Deleting
 * leaves a hole in entries and a dummy in the index; both are squeezed out on the
 * next resize. Interned-name lookups (dict_get_str) are a hash probe plus a
 * pointer compare. OrderedDict is the same structure with its own repr and
 * order-sensitive equality.
 */
#include "sig.h"
#include "types.h"
#include <string.h>

#define IX_EMPTY (-1)
#define IX_DUMMY (-2)

/* ------------------------------------------------------------ hashing, equality */

static inline int key_hash(TnState *st, TnValue k, uint64_t *h)
{
    if (IS_STR(k)) {
        *h = AS_STR(k)->hash;
        return 0;
    }
    if (IS_INTLIKE(k)) {
        *h = (uint64_t)num_hash_int(AS_INT(k));
        return 0;
    }
    return tn_hash(st, k, h);
}

/* 1 equal, 0 not, -1 error. Identity first, then the cheap exact cases. */
static inline int key_eq(TnState *st, TnValue a, TnValue b)
{
    if (a.tag == b.tag && a.u.i == b.u.i)
        return 1;
    if (IS_STR(a) && IS_STR(b))
        return str_eq(AS_STR(a), AS_STR(b));
    if (IS_NUMBER(a) && IS_NUMBER(b))
        return AS_BOOL(num_compare(a, b, CMP_EQ));
    if ((IS_STR(a) && IS_NUMBER(b)) || (IS_NUMBER(a) && IS_STR(b)))
        return 0;
    return tn_equal(st, a, b);
}

/* Finds the entry for key: returns its entry number, -1 if absent (then *slot is the
 * index slot to insert at), or -2 on error. */
uint64_t tn_dict_version_stamp;

static int64_t find(TnState *st, TnDict *d, TnValue key, uint64_t h, int64_t *slot)
{
restart:
    if (!d->index) {
        *slot = -1;
        return -1;
    }
    uint64_t mask = (uint64_t)d->nindex - 1, perturb = h;
    uint64_t i = h & mask;
    int64_t free_slot = -1;
    while (true) {
        int32_t ix = d->index[i];
        if (ix == IX_EMPTY) {
            *slot = free_slot >= 0 ? free_slot : (int64_t)i;
            return -1;
        }
        if (ix == IX_DUMMY) {
            if (free_slot < 0)
                free_slot = (int64_t)i;
        } else {
            TnDictEntry *e = &d->entries[ix];
            if (e->hash == h) {
                TnValue k = e->key;
                if (k.tag == key.tag && k.u.i == key.u.i)
                    return ix;
                TnDictEntry *old_entries = d->entries;
                tn_incref(k);
                int eq = key_eq(st, k, key);
                tn_decref(k);
                if (eq < 0)
                    return -2;
                /* a user __eq__ may have changed the dict under us: start over */
                if (d->entries != old_entries || d->entries[ix].key.u.i != k.u.i)
                    goto restart;
                if (eq)
                    return ix;
            }
        }
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
}

TnValue dict_get_str(TnDict *d, TnStr *key)
{
    if (!d->index)
        return tn_undef();
    uint64_t h = key->hash, mask = (uint64_t)d->nindex - 1, perturb = h, i = h & mask;
    while (true) {
        int32_t ix = d->index[i];
        if (ix == IX_EMPTY)
            return tn_undef();
        if (ix >= 0) {
            TnDictEntry *e = &d->entries[ix];
            if (e->key.tag == V_OBJ && e->key.u.o == (TnObject *)key)
                return e->value;
            if (e->hash == h && IS_STR(e->key) && str_eq(AS_STR(e->key), key))
                return e->value;
        }
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
}

int64_t dict_index_of_str(TnDict *d, TnStr *key)
{
    if (!d->index)
        return -1;
    uint64_t h = key->hash, mask = (uint64_t)d->nindex - 1, perturb = h, i = h & mask;
    while (true) {
        int32_t ix = d->index[i];
        if (ix == IX_EMPTY)
            return -1;
        if (ix >= 0) {
            TnDictEntry *e = &d->entries[ix];
            if ((e->key.tag == V_OBJ && e->key.u.o == (TnObject *)key) ||
                (e->hash == h && IS_STR(e->key) && str_eq(AS_STR(e->key), key)))
                return ix;
        }
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* Rebuilds the index for at least `minused` live entries, compacting the entries. */
static int resize(TnState *st, TnDict *d, int64_t minused)
{
    int64_t nindex = 8;
    while (nindex * 2 < minused * 3)
        nindex *= 2;
    if (nindex > ((int64_t)1 << 31))
        return tn_raise_int(st, tn_MemoryError, "dict is too large");
    int64_t cap = nindex * 2 / 3;
    /* one block: the entries, then the index (one allocation per resize) */
    TnDictEntry *entries =
        tn_malloc((size_t)cap * sizeof(TnDictEntry) + (size_t)nindex * sizeof(int32_t));
    if (!entries) {
        (void)tn_no_memory(st);
        return -1;
    }
    int32_t *index = (int32_t *)(entries + cap);
    memset(index, 0xff, (size_t)nindex * sizeof(int32_t));
    int64_t k = 0;
    uint64_t mask = (uint64_t)nindex - 1;
    for (int64_t j = 0; j < d->nentries; j++) {
        TnDictEntry *e = &d->entries[j];
        if (IS_UNDEF(e->key))
            continue;
        entries[k] = *e;
        uint64_t perturb = e->hash, i = e->hash & mask;
        while (index[i] != IX_EMPTY) {
            perturb >>= 5;
            i = (i * 5 + perturb + 1) & mask;
        }
        index[i] = (int32_t)k;
        k++;
    }
    tn_free(d->entries); /* the index lives in the same block */
    d->index = index;
    d->entries = entries;
    d->nindex = nindex;
    d->capentries = cap;
    d->nentries = k;
    return 0;
}

/* Appends a new entry for a key known to be absent (slot from find). Steals nothing. */
static int insert_new(TnState *st, TnDict *d, TnValue key, TnValue v, uint64_t h, int64_t slot)
{
    if (slot < 0 || d->nentries >= d->capentries) {
        if (resize(st, d, d->n + 1 + (d->n >> 1)) < 0)
            return -1;
        uint64_t mask = (uint64_t)d->nindex - 1, perturb = h, i = h & mask;
        while (d->index[i] != IX_EMPTY) {
            perturb >>= 5;
            i = (i * 5 + perturb + 1) & mask;
        }
        slot = (int64_t)i;
    }
    TnDictEntry *e = &d->entries[d->nentries];
    d->version = ++tn_dict_version_stamp;
    e->key = tn_ref(key);
    e->value = tn_ref(v);
    e->hash = h;
    d->index[slot] = (int32_t)d->nentries++;
    d->n++;
    return 0;
}

/* Sets with a precomputed hash. */
static int set_hashed(TnState *st, TnDict *d, TnValue key, TnValue v, uint64_t h)
{
    int64_t slot;
    int64_t ix = find(st, d, key, h, &slot);
    if (ix == -2)
        return -1;
    if (TN_UNLIKELY(d->type_attrs))
        tn_type_epoch++;
    if (ix >= 0) {
        TnValue old = d->entries[ix].value;
        d->version = ++tn_dict_version_stamp;
        d->entries[ix].value = tn_ref(v);
        tn_decref(old);
        return 0;
    }
    return insert_new(st, d, key, v, h, slot);
}

int dict_set(TnState *st, TnDict *d, TnValue key, TnValue v)
{
    uint64_t h;
    if (key_hash(st, key, &h) < 0)
        return -1;
    return set_hashed(st, d, key, v, h);
}

int dict_set_str(TnState *st, TnDict *d, TnStr *key, TnValue v)
{
    return set_hashed(st, d, tn_obj(key), v, key->hash);
}

int dict_lookup(TnState *st, TnDict *d, TnValue key, TnValue *out)
{
    uint64_t h;
    if (key_hash(st, key, &h) < 0)
        return -1;
    int64_t slot;
    int64_t ix = find(st, d, key, h, &slot);
    if (ix == -2)
        return -1;
    if (ix < 0)
        return 0;
    *out = d->entries[ix].value;
    return 1;
}

/* Removes entry ix found at index slot `slot`; hands back key and value references. */
static void remove_entry(TnDict *d, int64_t ix, TnValue *key, TnValue *value)
{
    uint64_t mask = (uint64_t)d->nindex - 1, h = d->entries[ix].hash, perturb = h, i = h & mask;
    while (d->index[i] != ix) {
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
    d->index[i] = IX_DUMMY;
    d->version = ++tn_dict_version_stamp;
    if (TN_UNLIKELY(d->type_attrs))
        tn_type_epoch++;
    *key = d->entries[ix].key;
    *value = d->entries[ix].value;
    d->entries[ix].key = tn_undef();
    d->entries[ix].value = tn_undef();
    d->n--;
    /* trailing holes can be reused at once */
    while (d->nentries > 0 && IS_UNDEF(d->entries[d->nentries - 1].key) &&
           d->nentries - 1 >= ix)
        d->nentries--;
}

/* Deletes key; 1 deleted (value handed to *out if not NULL), 0 missing, -1 error. */
static int pop_key(TnState *st, TnDict *d, TnValue key, TnValue *out)
{
    uint64_t h;
    if (key_hash(st, key, &h) < 0)
        return -1;
    int64_t slot;
    int64_t ix = find(st, d, key, h, &slot);
    if (ix == -2)
        return -1;
    if (ix < 0)
        return 0;
    TnValue k, v;
    remove_entry(d, ix, &k, &v);
    tn_decref(k);
    if (out)
        *out = v;
    else
        tn_decref(v);
    return 1;
}

int dict_del(TnState *st, TnDict *d, TnValue key)
{
    return pop_key(st, d, key, NULL);
}

bool dict_next(TnDict *d, int64_t *pos, TnValue *key, TnValue *value)
{
    while (*pos < d->nentries) {
        TnDictEntry *e = &d->entries[(*pos)++];
        if (!IS_UNDEF(e->key)) {
            if (key)
                *key = e->key;
            if (value)
                *value = e->value;
            return true;
        }
    }
    return false;
}

void dict_clear(TnDict *d)
{
    TnDictEntry *entries = d->entries;
    int64_t n = d->nentries;
    if (TN_UNLIKELY(d->type_attrs))
        tn_type_epoch++;
    d->entries = NULL;
    d->index = NULL;
    d->n = d->nentries = d->capentries = d->nindex = 0;
    d->version = ++tn_dict_version_stamp;
    /* decref after the dict is consistent: a value's destructor may look at it */
    for (int64_t i = 0; i < n; i++) {
        tn_decref(entries[i].key);
        tn_decref(entries[i].value);
    }
    tn_free(entries); /* the index lives in the same block */
}

/* ------------------------------------------------------------ objects */

static TnValue dict_alloc_type(TnState *st, TnType *type)
{
    TnDict *d = tn_alloc_object(st, type, sizeof(TnDict));
    if (!d)
        return tn_undef();
    d->version = ++tn_dict_version_stamp;
    return tn_obj(d);
}

TnValue dict_new(TnState *st)
{
    return dict_alloc_type(st, &tn_dict_type);
}

TnValue ordereddict_new(TnState *st)
{
    return dict_alloc_type(st, &tn_ordereddict_type);
}

static void dict_dealloc(TnObject *o)
{
    dict_clear((TnDict *)o);
    tn_free_object(o);
}

static void dict_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnDict *d = (TnDict *)o;
    for (int64_t i = 0; i < d->nentries; i++) {
        tn_visit(d->entries[i].key, visit, arg);
        tn_visit(d->entries[i].value, visit, arg);
    }
}

static void dict_gc_clear(TnObject *o)
{
    dict_clear((TnDict *)o);
}

bool tn_is_dict(TnValue v)
{
    if (!IS_OBJ(v))
        return false;
    TnType *t = AS_OBJ(v)->type;
    return t == &tn_dict_type || t == &tn_ordereddict_type || tn_isinstance_type(t, &tn_dict_type);
}

static bool is_odict(TnValue v)
{
    return IS_OBJ(v) && tn_isinstance_type(AS_OBJ(v)->type, &tn_ordereddict_type);
}

/* Raises KeyError(key) (the key itself is the argument, as in Python). */
static TnValue raise_key_error(TnState *st, TnValue key)
{
    TnValue exc = tn_call(st, tn_obj(tn_KeyError), &key, 1, NULL, 0);
    if (IS_UNDEF(exc))
        return exc;
    return tn_raise_value(st, exc);
}

TnValue dict_copy(TnState *st, TnDict *d)
{
    TnValue r = dict_new(st);
    if (IS_UNDEF(r))
        return r;
    TnDict *c = AS_DICT(r);
    if (d->n && resize(st, c, d->n) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(d, &pos, &k, &v)) {
        uint64_t h = d->entries[pos - 1].hash;
        if (set_hashed(st, c, k, v, h) < 0) {
            tn_decref(r);
            return tn_undef();
        }
    }
    return r;
}

int dict_update(TnState *st, TnDict *d, TnValue other)
{
    if (tn_is_dict(other)) {
        TnDict *o = AS_DICT(other);
        if (o == d)
            return 0;
        for (int64_t i = 0; i < o->nentries; i++) {
            TnDictEntry *e = &o->entries[i];
            if (IS_UNDEF(e->key))
                continue;
            if (set_hashed(st, d, e->key, e->value, e->hash) < 0)
                return -1;
        }
        return 0;
    }
    static TnStr *s_keys;
    if (!s_keys)
        s_keys = str_intern("keys");
    TnValue keys = tn_getattr_opt(st, other, s_keys);
    if (!IS_UNDEF(keys)) {
        /* a mapping: d[k] = other[k] for k in other.keys() */
        TnValue klist = tn_call(st, keys, NULL, 0, NULL, 0);
        tn_decref(keys);
        if (IS_UNDEF(klist))
            return -1;
        TnValue it = tn_iter(st, klist);
        tn_decref(klist);
        if (IS_UNDEF(it))
            return -1;
        int rc = 0;
        TnValue k;
        while (!IS_UNDEF(k = tn_next(st, it))) {
            TnValue v = tn_getitem(st, other, k);
            if (IS_UNDEF(v) || dict_set(st, d, k, v) < 0) {
                tn_decref(k);
                tn_decref(v);
                rc = -1;
                break;
            }
            tn_decref(k);
            tn_decref(v);
        }
        tn_decref(it);
        return rc < 0 || st->exc.tag != V_UNDEF ? -1 : 0;
    }
    if (!IS_UNDEF(st->exc))
        return -1;
    TnValue it = tn_iter(st, other);
    if (IS_UNDEF(it))
        return -1;
    int rc = 0;
    int64_t n = 0;
    TnValue item;
    while (!IS_UNDEF(item = tn_next(st, it))) {
        TnValue *kv, tmp = tn_undef();
        int64_t len;
        if (!tn_seq_items(item, &kv, &len)) {
            if (!tn_type_of(item)->iter && !tn_type_of(item)->getitem) {
                tn_raise(st, tn_TypeError,
                         "cannot convert dictionary update sequence element #%lld to a sequence",
                         (long long)n);
                tn_decref(item);
                rc = -1;
                break;
            }
            tmp = list_from_iterable(st, item);
            if (IS_UNDEF(tmp)) {
                tn_decref(item);
                rc = -1;
                break;
            }
            kv = AS_LIST(tmp)->items;
            len = AS_LIST(tmp)->n;
        }
        if (len != 2) {
            tn_raise(st, tn_ValueError,
                     "dictionary update sequence element #%lld has length %lld; 2 is required",
                     (long long)n, (long long)len);
            rc = -1;
        } else if (dict_set(st, d, kv[0], kv[1]) < 0) {
            rc = -1;
        }
        tn_decref(tmp);
        tn_decref(item);
        if (rc < 0)
            break;
        n++;
    }
    tn_decref(it);
    return rc < 0 || !IS_UNDEF(st->exc) ? -1 : 0;
}

/* ------------------------------------------------------------ slots */

static bool put_repr(TnState *st, TnBuf *b, TnValue v)
{
    TnValue r = tn_repr(st, v);
    if (IS_UNDEF(r))
        return false;
    bool ok = buf_putn(b, AS_STR(r)->data, (size_t)AS_STR(r)->len);
    tn_decref(r);
    if (!ok)
        (void)tn_no_memory(st);
    return ok;
}

static TnValue dict_repr(TnState *st, TnValue self)
{
    TnDict *d = AS_DICT(self);
    bool od = is_odict(self);
    int g = repr_enter(st, self);
    if (g < 0)
        return tn_undef();
    if (g > 0)
        return tn_str(st, od ? "..." : "{...}");
    TnBuf b = {0};
    bool ok;
    if (od)
        ok = buf_puts(&b, d->n ? "OrderedDict([" : "OrderedDict(");
    else
        ok = buf_putc(&b, '{');
    if (!ok) {
        (void)tn_no_memory(st);
        goto fail;
    }
    bool first = true;
    for (int64_t i = 0; i < d->nentries; i++) {
        TnDictEntry *e = &d->entries[i];
        if (IS_UNDEF(e->key))
            continue;
        TnValue k = tn_ref(e->key), v = tn_ref(e->value);
        ok = (first || buf_puts(&b, ", ")) && (!od || buf_putc(&b, '('));
        if (!ok)
            (void)tn_no_memory(st);
        ok = ok && put_repr(st, &b, k);
        if (ok && !buf_puts(&b, od ? ", " : ": ")) {
            (void)tn_no_memory(st);
            ok = false;
        }
        ok = ok && put_repr(st, &b, v);
        if (ok && od && !buf_putc(&b, ')')) {
            (void)tn_no_memory(st);
            ok = false;
        }
        tn_decref(k);
        tn_decref(v);
        if (!ok)
            goto fail;
        first = false;
    }
    if (!buf_puts(&b, od ? (d->n ? "])" : ")") : "}")) {
        (void)tn_no_memory(st);
        goto fail;
    }
    repr_leave(self);
    return buf_to_str(st, &b);
fail:
    repr_leave(self);
    buf_free(&b);
    return tn_undef();
}

static int dict_hash(TnState *st, TnValue self, uint64_t *out)
{
    return tn_raise_int(st, tn_TypeError, "unhashable type: '%s'", tn_type_name(self));
}

/* Equality; ordered compares order too (both OrderedDicts). */
static int dict_equal(TnState *st, TnDict *a, TnDict *b, bool ordered)
{
    if (a->n != b->n)
        return 0;
    if (ordered) {
        int64_t pa = 0, pb = 0;
        TnValue ka, va, kb, vb;
        while (dict_next(a, &pa, &ka, &va) && dict_next(b, &pb, &kb, &vb)) {
            int eq = key_eq(st, ka, kb);
            if (eq <= 0)
                return eq;
        }
    }
    for (int64_t i = 0; i < a->nentries; i++) {
        TnDictEntry *e = &a->entries[i];
        if (IS_UNDEF(e->key))
            continue;
        TnValue k = tn_ref(e->key), va = tn_ref(e->value);
        int64_t slot;
        int64_t ix = find(st, b, k, e->hash, &slot);
        int r;
        if (ix == -2) {
            r = -1;
        } else if (ix < 0) {
            r = 0;
        } else {
            TnValue vb = tn_ref(b->entries[ix].value);
            r = tn_equal(st, va, vb);
            tn_decref(vb);
        }
        tn_decref(k);
        tn_decref(va);
        if (r <= 0)
            return r;
    }
    return 1;
}

static TnValue dict_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !tn_is_dict(a) || !tn_is_dict(b))
        return tn_notimpl();
    if (tn_recursion_enter(st, " in comparison") < 0)
        return tn_undef();
    int r = dict_equal(st, AS_DICT(a), AS_DICT(b), is_odict(a) && is_odict(b));
    tn_recursion_leave(st);
    if (r < 0)
        return tn_undef();
    return tn_bool(op == CMP_EQ ? r : !r);
}

static TnValue dict_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op != OP_BITOR || !tn_is_dict(a))
        return tn_notimpl();
    if (inplace) {
        if (dict_update(st, AS_DICT(a), b) < 0)
            return tn_undef();
        return tn_ref(a);
    }
    if (!tn_is_dict(b))
        return tn_notimpl();
    TnValue r = is_odict(a) ? ordereddict_new(st) : dict_new(st);
    if (IS_UNDEF(r))
        return r;
    if (dict_update(st, AS_DICT(r), a) < 0 || dict_update(st, AS_DICT(r), b) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

static int64_t dict_len(TnState *st, TnValue self)
{
    return AS_DICT(self)->n;
}

/* d[key] for an absent key: a dict subclass may define __missing__, as in Python. */
static TnValue dict_missing(TnState *st, TnValue self, TnValue key)
{
    TnType *t = AS_OBJ(self)->type;
    if (t->flags & TN_TYPE_HEAP) {
        TnValue m = type_lookup(t, str_intern("__missing__"));
        if (!IS_UNDEF(m))
            return tn_call_descr(st, m, self, &key, 1, NULL, 0);
    }
    return raise_key_error(st, key);
}

static TnValue dict_getitem(TnState *st, TnValue self, TnValue key)
{
    TnValue v;
    int r = dict_lookup(st, AS_DICT(self), key, &v);
    if (r < 0)
        return tn_undef();
    if (r == 0)
        return dict_missing(st, self, key);
    return tn_ref(v);
}

static int dict_setitem(TnState *st, TnValue self, TnValue key, TnValue v)
{
    if (!IS_UNDEF(v))
        return dict_set(st, AS_DICT(self), key, v);
    int r = dict_del(st, AS_DICT(self), key);
    if (r == 0) {
        (void)raise_key_error(st, key);
        return -1;
    }
    return r < 0 ? -1 : 0;
}

static int dict_contains(TnState *st, TnValue self, TnValue key)
{
    TnValue v;
    return dict_lookup(st, AS_DICT(self), key, &v);
}

/* ------------------------------------------------------------ iterators */

typedef struct {
    TN_OBJECT_HEAD;
    TnDict *d;
    int64_t pos, len;
} DictIter;

static void dictiter_dealloc(TnObject *o)
{
    tn_obj_decref(((DictIter *)o)->d);
    tn_free_object(o);
}

static void dictiter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((DictIter *)o)->d, visit, arg);
}

static TnValue dictiter_new(TnState *st, TnDict *d, TnType *type)
{
    DictIter *it = tn_alloc_object(st, type, sizeof(DictIter));
    if (!it)
        return tn_undef();
    it->d = d;
    tn_obj_incref(d);
    it->len = d->n;
    return tn_obj(it);
}

/* Advances to the next live entry; NULL when done or on error. */
static TnDictEntry *dictiter_step(TnState *st, TnValue self)
{
    DictIter *it = (DictIter *)AS_OBJ(self);
    TnDict *d = it->d;
    if (d->n != it->len) {
        it->len = -1;
        return tn_raise_ptr(st, tn_RuntimeError, "dictionary changed size during iteration");
    }
    while (it->pos < d->nentries) {
        TnDictEntry *e = &d->entries[it->pos++];
        if (!IS_UNDEF(e->key))
            return e;
    }
    return NULL;
}

static TnValue dictiter_next_key(TnState *st, TnValue self)
{
    TnDictEntry *e = dictiter_step(st, self);
    return e ? tn_ref(e->key) : tn_undef();
}

static TnValue dictiter_next_value(TnState *st, TnValue self)
{
    TnDictEntry *e = dictiter_step(st, self);
    return e ? tn_ref(e->value) : tn_undef();
}

static TnValue dictiter_next_item(TnState *st, TnValue self)
{
    TnDictEntry *e = dictiter_step(st, self);
    return e ? tuple_pack(st, 2, e->key, e->value) : tn_undef();
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_dict_keyiter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_keyiterator",
    .dealloc = dictiter_dealloc,
    .traverse = dictiter_traverse,
    .iter = iter_self,
    .next = dictiter_next_key,
};
TnType tn_dict_valueiter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_valueiterator",
    .dealloc = dictiter_dealloc,
    .traverse = dictiter_traverse,
    .iter = iter_self,
    .next = dictiter_next_value,
};
TnType tn_dict_itemiter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_itemiterator",
    .dealloc = dictiter_dealloc,
    .traverse = dictiter_traverse,
    .iter = iter_self,
    .next = dictiter_next_item,
};

static TnValue dict_iter(TnState *st, TnValue self)
{
    return dictiter_new(st, AS_DICT(self), &tn_dict_keyiter_type);
}

/* ------------------------------------------------------------ views */

typedef struct {
    TN_OBJECT_HEAD;
    TnDict *d;
} DictView;

static void view_dealloc(TnObject *o)
{
    tn_obj_decref(((DictView *)o)->d);
    tn_free_object(o);
}

static void view_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((DictView *)o)->d, visit, arg);
}

static TnValue view_new(TnState *st, TnValue d, TnType *type)
{
    DictView *v = tn_alloc_object(st, type, sizeof(DictView));
    if (!v)
        return tn_undef();
    v->d = AS_DICT(d);
    tn_obj_incref(v->d);
    return tn_obj(v);
}

static int64_t view_len(TnState *st, TnValue self)
{
    return ((DictView *)AS_OBJ(self))->d->n;
}

static TnValue view_iter(TnState *st, TnValue self)
{
    TnType *t = AS_OBJ(self)->type;
    TnType *it = t == &tn_dict_keys_type     ? &tn_dict_keyiter_type
                 : t == &tn_dict_values_type ? &tn_dict_valueiter_type
                                             : &tn_dict_itemiter_type;
    return dictiter_new(st, ((DictView *)AS_OBJ(self))->d, it);
}

static TnValue view_repr(TnState *st, TnValue self)
{
    DictView *v = (DictView *)AS_OBJ(self);
    int g = repr_enter(st, self);
    if (g < 0)
        return tn_undef();
    if (g > 0)
        return tn_str(st, "...");
    TnValue items = list_from_iterable(st, self);
    TnValue r = tn_undef();
    if (!IS_UNDEF(items)) {
        TnValue lr = tn_repr(st, items);
        if (!IS_UNDEF(lr))
            r = tn_isinstance_type(v->d->head.type, &tn_ordereddict_type)
                    ? tn_str_fmt(st, "odict_%s(%s)", AS_OBJ(self)->type->name + 5, AS_STR(lr)->data)
                    : tn_str_fmt(st, "%s(%s)", AS_OBJ(self)->type->name, AS_STR(lr)->data);
        tn_decref(lr);
        tn_decref(items);
    }
    repr_leave(self);
    return r;
}

static int keys_contains(TnState *st, TnValue self, TnValue key)
{
    TnValue v;
    return dict_lookup(st, ((DictView *)AS_OBJ(self))->d, key, &v);
}

static int values_contains(TnState *st, TnValue self, TnValue item)
{
    TnDict *d = ((DictView *)AS_OBJ(self))->d;
    for (int64_t i = 0; i < d->nentries; i++) {
        if (IS_UNDEF(d->entries[i].key))
            continue;
        TnValue v = tn_ref(d->entries[i].value);
        int r = tn_equal(st, v, item);
        tn_decref(v);
        if (r)
            return r;
    }
    return 0;
}

static int items_contains(TnState *st, TnValue self, TnValue item)
{
    if (!IS_TUPLE(item) || AS_TUPLE(item)->n != 2)
        return 0;
    TnValue v;
    int r = dict_lookup(st, ((DictView *)AS_OBJ(self))->d, AS_TUPLE(item)->items[0], &v);
    if (r <= 0)
        return r;
    tn_incref(v);
    r = tn_equal(st, v, AS_TUPLE(item)->items[1]);
    tn_decref(v);
    return r;
}

/* keys()/items() views compare equal to sets and views with the same members. */
static TnValue view_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (op != CMP_EQ && op != CMP_NE)
        return tn_notimpl();
    TnType *t = AS_OBJ(a)->type;
    if (t == &tn_dict_values_type)
        return tn_notimpl();
    if (!IS_SET(b) && !(IS_OBJ(b) && AS_OBJ(b)->type == t))
        return tn_notimpl();
    int64_t n = tn_len(st, b);
    if (n < 0)
        return tn_undef();
    int eq = n == ((DictView *)AS_OBJ(a))->d->n;
    if (eq) {
        TnValue it = tn_iter(st, b);
        if (IS_UNDEF(it))
            return it;
        TnValue x;
        while (eq == 1 && !IS_UNDEF(x = tn_next(st, it))) {
            eq = t == &tn_dict_keys_type ? keys_contains(st, a, x) : items_contains(st, a, x);
            tn_decref(x);
        }
        tn_decref(it);
        if (eq < 0 || !IS_UNDEF(st->exc))
            return tn_undef();
    }
    return tn_bool(op == CMP_EQ ? eq : !eq);
}

/* keys()/items() views are set-like: `view & x`, `x | view`, `-`, `^` with any iterable
 * give a new set, as in Python. Both sides become sets and set's operator does the rest. */
static TnValue view_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op != OP_BITOR && op != OP_BITAND && op != OP_SUB && op != OP_BITXOR)
        return tn_notimpl();
    TnValue sa = IS_SET(a) ? tn_ref(a) : set_from_iterable(st, a);
    if (IS_UNDEF(sa))
        return sa;
    TnValue sb = IS_SET(b) ? tn_ref(b) : set_from_iterable(st, b);
    if (IS_UNDEF(sb)) {
        tn_decref(sa);
        return sb;
    }
    TnValue r = tn_binop(st, op, sa, sb);
    tn_decref(sa);
    tn_decref(sb);
    return r;
}

TnType tn_dict_keys_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_keys",
    .dealloc = view_dealloc,
    .traverse = view_traverse,
    .repr = view_repr,
    .richcmp = view_richcmp,
    .binop = view_binop,
    .len = view_len,
    .iter = view_iter,
    .contains = keys_contains,
};
TnType tn_dict_values_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_values",
    .dealloc = view_dealloc,
    .traverse = view_traverse,
    .repr = view_repr,
    .len = view_len,
    .iter = view_iter,
    .contains = values_contains,
};
TnType tn_dict_items_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict_items",
    .dealloc = view_dealloc,
    .traverse = view_traverse,
    .repr = view_repr,
    .richcmp = view_richcmp,
    .binop = view_binop,
    .len = view_len,
    .iter = view_iter,
    .contains = items_contains,
};

/* ------------------------------------------------------------ construct */

static TnSig *dict_sig;

static TnValue dict_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw)
{
    if (nargs > 1)
        return tn_raise(st, tn_TypeError, "%s expected at most 1 argument, got %d", type->name,
                        nargs);
    TnValue a[2];
    if (sig_bind_cached(st, &dict_sig, "dict(iterable=?, /, **kwargs)", tn_undef(), args, nargs,
                        kwnames, nkw, a) < 0)
        return tn_undef();
    TnValue r = dict_alloc_type(st, type);
    if (!IS_UNDEF(r) && ((!IS_UNDEF(a[0]) && dict_update(st, AS_DICT(r), a[0]) < 0) ||
                         dict_update(st, AS_DICT(r), a[1]) < 0)) {
        tn_decref(r);
        r = tn_undef();
    }
    sig_release(dict_sig, a);
    return r;
}

/* ------------------------------------------------------------ methods */

#define SELF AS_DICT(a[0])

static TnValue m_keys(TnState *st, TnValue *a)
{
    return view_new(st, a[0], &tn_dict_keys_type);
}
static TnValue m_values(TnState *st, TnValue *a)
{
    return view_new(st, a[0], &tn_dict_values_type);
}
static TnValue m_items(TnState *st, TnValue *a)
{
    return view_new(st, a[0], &tn_dict_items_type);
}
static TnValue m_get(TnState *st, TnValue *a)
{
    TnValue v;
    int r = dict_lookup(st, SELF, a[1], &v);
    if (r < 0)
        return tn_undef();
    return tn_ref(r ? v : a[2]);
}
static TnValue m_setdefault(TnState *st, TnValue *a)
{
    TnValue v;
    int r = dict_lookup(st, SELF, a[1], &v);
    if (r < 0)
        return tn_undef();
    if (r)
        return tn_ref(v);
    if (dict_set(st, SELF, a[1], a[2]) < 0)
        return tn_undef();
    return tn_ref(a[2]);
}
static TnValue m_pop(TnState *st, TnValue *a)
{
    TnValue v;
    int r = pop_key(st, SELF, a[1], &v);
    if (r < 0)
        return tn_undef();
    if (r)
        return v;
    if (!IS_UNDEF(a[2]))
        return tn_ref(a[2]);
    return raise_key_error(st, a[1]);
}
/* Removes the last (or first) entry and returns it as a (key, value) tuple. */
static TnValue popitem(TnState *st, TnDict *d, bool last)
{
    if (d->n == 0) {
        TnValue msg = tn_str(st, "popitem(): dictionary is empty");
        if (IS_UNDEF(msg))
            return msg;
        TnValue r = raise_key_error(st, msg);
        tn_decref(msg);
        return r;
    }
    int64_t ix = -1;
    if (last) {
        for (ix = d->nentries - 1; IS_UNDEF(d->entries[ix].key); ix--)
            ;
    } else {
        for (ix = 0; IS_UNDEF(d->entries[ix].key); ix++)
            ;
    }
    TnValue k, v;
    remove_entry(d, ix, &k, &v);
    TnValue r = tuple_pack(st, 2, k, v);
    tn_decref(k);
    tn_decref(v);
    return r;
}
static TnValue m_popitem(TnState *st, TnValue *a)
{
    return popitem(st, SELF, true);
}
static TnValue m_odict_popitem(TnState *st, TnValue *a)
{
    int last = tn_truthy(st, a[1]);
    return last < 0 ? tn_undef() : popitem(st, SELF, last);
}
static TnValue m_update(TnState *st, TnValue *a)
{
    if ((!IS_UNDEF(a[1]) && dict_update(st, SELF, a[1]) < 0) || dict_update(st, SELF, a[2]) < 0)
        return tn_undef();
    return tn_none();
}
static TnValue m_clear(TnState *st, TnValue *a)
{
    dict_clear(SELF);
    return tn_none();
}
static TnValue m_copy(TnState *st, TnValue *a)
{
    if (is_odict(a[0])) {
        TnValue r = ordereddict_new(st);
        if (!IS_UNDEF(r) && dict_update(st, AS_DICT(r), a[0]) < 0) {
            tn_decref(r);
            return tn_undef();
        }
        return r;
    }
    return dict_copy(st, SELF);
}
static TnValue m_fromkeys(TnState *st, TnValue *a)
{
    TnType *t = IS_TYPE(a[0]) ? AS_TYPE(a[0]) : &tn_dict_type;
    TnValue r = tn_call(st, tn_obj(t), NULL, 0, NULL, 0);
    if (IS_UNDEF(r))
        return r;
    if (!tn_is_dict(r)) {
        tn_decref(r);
        return tn_raise(st, tn_TypeError, "fromkeys: %s() did not make a dict", t->name);
    }
    TnValue it = tn_iter(st, a[1]);
    if (IS_UNDEF(it)) {
        tn_decref(r);
        return it;
    }
    TnValue k;
    while (!IS_UNDEF(k = tn_next(st, it))) {
        int rc = dict_set(st, AS_DICT(r), k, a[2]);
        tn_decref(k);
        if (rc < 0)
            break;
    }
    tn_decref(it);
    if (!IS_UNDEF(st->exc)) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}
static TnValue m_contains(TnState *st, TnValue *a)
{
    int r = dict_contains(st, a[0], a[1]);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_getitem(TnState *st, TnValue *a)
{
    return dict_getitem(st, a[0], a[1]);
}
static TnValue m_setitem(TnState *st, TnValue *a)
{
    return dict_set(st, SELF, a[1], a[2]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_delitem(TnState *st, TnValue *a)
{
    return dict_setitem(st, a[0], a[1], tn_undef()) < 0 ? tn_undef() : tn_none();
}
static TnValue m_len(TnState *st, TnValue *a)
{
    return tn_int(SELF->n);
}
static TnValue m_iter(TnState *st, TnValue *a)
{
    return dict_iter(st, a[0]);
}

/* OrderedDict.move_to_end: re-appends the entry (last) or rebuilds with it first. */
static TnValue m_move_to_end(TnState *st, TnValue *a)
{
    TnDict *d = SELF;
    int last = tn_truthy(st, a[2]);
    if (last < 0)
        return tn_undef();
    TnValue v;
    int r = pop_key(st, d, a[1], &v);
    if (r < 0)
        return tn_undef();
    if (r == 0)
        return raise_key_error(st, a[1]);
    TnValue k = tn_ref(a[1]);
    int rc;
    if (last) {
        rc = dict_set(st, d, k, v);
    } else {
        TnValue rest = dict_copy(st, d);
        rc = IS_UNDEF(rest) ? -1 : 0;
        if (rc == 0) {
            dict_clear(d);
            rc = dict_set(st, d, k, v);
            if (rc == 0)
                rc = dict_update(st, d, rest);
            tn_decref(rest);
        }
    }
    tn_decref(k);
    tn_decref(v);
    return rc < 0 ? tn_undef() : tn_none();
}

static const TnMethodDef dict_methods[] = {
    {"keys", m_keys, "keys(self, /)", NULL, "D.keys() -> a set-like object providing a view on D's keys"},
    {"values", m_values, "values(self, /)", NULL, "D.values() -> an object providing a view on D's values"},
    {"items", m_items, "items(self, /)", NULL, "D.items() -> a set-like object providing a view on D's items"},
    {"get", m_get, "get(self, key, default=None, /)", NULL, "Return the value for key if key is in the dictionary, else default."},
    {"setdefault", m_setdefault, "setdefault(self, key, default=None, /)", NULL, "Insert key with a value of default if key is not in the dictionary."},
    {"pop", m_pop, "pop(self, key, default=?, /)", NULL, "D.pop(k[,d]) -> v, remove specified key and return the corresponding value."},
    {"popitem", m_popitem, "popitem(self, /)", NULL, "Remove and return a (key, value) pair as a 2-tuple."},
    {"update", m_update, "update(self, other=?, /, **kwargs)", NULL, "D.update([E, ]**F) -> None.  Update D from dict/iterable E and F."},
    {"clear", m_clear, "clear(self, /)", NULL, "D.clear() -> None.  Remove all items from D."},
    {"copy", m_copy, "copy(self, /)", NULL, "D.copy() -> a shallow copy of D"},
    {"fromkeys", m_fromkeys, "fromkeys(cls, iterable, value=None, /)", NULL, "Create a new dictionary with keys from iterable and values set to value."},
    {"__contains__", m_contains, "__contains__(self, key, /)", NULL, "True if the dictionary has the specified key, else False."},
    {"__getitem__", m_getitem, "__getitem__(self, key, /)", NULL, "x.__getitem__(y) <==> x[y]"},
    {"__setitem__", m_setitem, "__setitem__(self, key, value, /)", NULL, "Set self[key] to value."},
    {"__delitem__", m_delitem, "__delitem__(self, key, /)", NULL, "Delete self[key]."},
    {"__len__", m_len, "__len__(self, /)", NULL, "Return len(self)."},
    {"__iter__", m_iter, "__iter__(self, /)", NULL, "Implement iter(self)."},
    {NULL},
};

static const TnMethodDef odict_methods[] = {
    {"move_to_end", m_move_to_end, "move_to_end(self, key, last=True)", NULL, "Move an existing element to the end (or beginning if last is false)."},
    {"popitem", m_odict_popitem, "popitem(self, last=True)", NULL, "Remove and return a (key, value) pair from the dictionary."},
    {NULL},
};

TnType tn_dict_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dict",
    .flags = TN_TYPE_BASETYPE,
    .alloc = dict_alloc_type,
    .dealloc = dict_dealloc,
    .traverse = dict_traverse,
    .clear = dict_gc_clear,
    .repr = dict_repr,
    .hash = dict_hash,
    .richcmp = dict_richcmp,
    .binop = dict_binop,
    .len = dict_len,
    .getitem = dict_getitem,
    .setitem = dict_setitem,
    .contains = dict_contains,
    .iter = dict_iter,
    .construct = dict_construct,
    .methods = dict_methods,
};

TnType tn_ordereddict_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "OrderedDict",
    .base = &tn_dict_type,
    .flags = TN_TYPE_BASETYPE,
    .alloc = dict_alloc_type,
    .dealloc = dict_dealloc,
    .traverse = dict_traverse,
    .clear = dict_gc_clear,
    .repr = dict_repr,
    .hash = dict_hash,
    .richcmp = dict_richcmp,
    .binop = dict_binop,
    .len = dict_len,
    .getitem = dict_getitem,
    .setitem = dict_setitem,
    .contains = dict_contains,
    .iter = dict_iter,
    .construct = dict_construct,
    .methods = odict_methods,
};
