/* set.c: set and frozenset with CPython's table layout, so iteration order (and repr) matches Python.
 *
 * Python prints {3, 1, 2} as {1, 2, 3} because a set iterates in hash-table slot
 * order. To print the same, this file follows CPython's setobject.c algorithm:
 * 8-slot initial table, linear probes of 9 then perturbed jumps, the same resize
 * thresholds and growth factors, and the same merge/intersection/difference
 * strategies. The TnSet header's `d` field is unused (NULL): use the set_* API.
 */
#include "sig.h"
#include "types.h"
#include <string.h>

#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5
#define MINSIZE 8

/* key UNDEF + hash 0: empty; key UNDEF + hash -1: dummy (deleted). */
typedef struct {
    TnValue key;
    int64_t hash;
} SetEntry;

typedef struct {
    TnSet base;
    int64_t fill, used, mask, finger;
    SetEntry *table;
    SetEntry small[MINSIZE];
} SetObj;

#define SO(v) ((SetObj *)AS_OBJ(v))

static bool is_anyset(TnValue v)
{
    return IS_OBJ(v) && (AS_OBJ(v)->type == &tn_set_type || AS_OBJ(v)->type == &tn_frozenset_type ||
                         tn_isinstance_type(AS_OBJ(v)->type, &tn_set_type) ||
                         tn_isinstance_type(AS_OBJ(v)->type, &tn_frozenset_type));
}

static inline bool active(const SetEntry *e)
{
    return !IS_UNDEF(e->key);
}

static int hash_of(TnState *st, TnValue k, int64_t *h)
{
    uint64_t u;
    if (IS_STR(k))
        u = AS_STR(k)->hash;
    else if (IS_INTLIKE(k))
        u = (uint64_t)num_hash_int(AS_INT(k));
    else if (tn_hash(st, k, &u) < 0)
        return -1;
    *h = (int64_t)u == -1 ? -2 : (int64_t)u;
    return 0;
}

static int keys_equal(TnState *st, TnValue a, TnValue b)
{
    if (a.tag == b.tag && a.u.i == b.u.i)
        return 1;
    if (IS_STR(a) && IS_STR(b))
        return str_eq(AS_STR(a), AS_STR(b));
    if (IS_NUMBER(a) && IS_NUMBER(b))
        return AS_BOOL(num_compare(a, b, CMP_EQ));
    return tn_equal(st, a, b);
}

/* ------------------------------------------------------------ table */

static void insert_clean(SetEntry *table, int64_t mask, TnValue key, int64_t hash)
{
    uint64_t perturb = (uint64_t)hash;
    uint64_t i = (uint64_t)hash & (uint64_t)mask;
    while (true) {
        SetEntry *e = &table[i];
        if (IS_UNDEF(e->key) && e->hash == 0)
            goto found;
        if (i + LINEAR_PROBES <= (uint64_t)mask) {
            for (int j = 0; j < LINEAR_PROBES; j++) {
                e++;
                if (IS_UNDEF(e->key) && e->hash == 0)
                    goto found;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & (uint64_t)mask;
        continue;
    found:
        e->key = key;
        e->hash = hash;
        return;
    }
}

static int table_resize(TnState *st, SetObj *so, int64_t minused)
{
    int64_t newsize = MINSIZE;
    while (newsize <= minused)
        newsize <<= 1;
    SetEntry *oldtable = so->table, tmp[MINSIZE];
    bool old_malloced = oldtable != so->small;
    SetEntry *newtable;
    if (newsize == MINSIZE) {
        newtable = so->small;
        if (newtable == oldtable) {
            if (so->fill == so->used)
                return 0;
            memcpy(tmp, oldtable, sizeof tmp);
            oldtable = tmp;
        }
    } else {
        newtable = tn_calloc((size_t)newsize, sizeof(SetEntry));
        if (!newtable) {
            (void)tn_no_memory(st);
            return -1;
        }
    }
    int64_t oldmask = so->mask;
    if (newtable == so->small)
        memset(so->small, 0, sizeof so->small);
    so->mask = newsize - 1;
    so->table = newtable;
    for (int64_t i = 0; i <= oldmask; i++)
        if (active(&oldtable[i]))
            insert_clean(newtable, so->mask, oldtable[i].key, oldtable[i].hash);
    so->fill = so->used;
    if (old_malloced)
        tn_free(oldtable);
    return 0;
}

/* Adds key (increfs) with its hash. 0 or -1. */
static int add_entry(TnState *st, SetObj *so, TnValue key, int64_t hash)
{
    tn_incref(key);
restart:;
    uint64_t mask = (uint64_t)so->mask;
    uint64_t i = (uint64_t)hash & mask, perturb = (uint64_t)hash;
    SetEntry *freeslot = NULL, *e;
    while (true) {
        e = &so->table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (IS_UNDEF(e->key) && e->hash == 0)
                goto found_unused_or_dummy;
            if (e->hash == hash && active(e)) {
                TnValue start = e->key;
                if (start.tag == key.tag && start.u.i == key.u.i)
                    goto found_active;
                SetEntry *table = so->table;
                tn_incref(start);
                int cmp = keys_equal(st, start, key);
                tn_decref(start);
                if (cmp > 0)
                    goto found_active;
                if (cmp < 0) {
                    tn_decref(key);
                    return -1;
                }
                if (table != so->table || e->key.u.i != start.u.i)
                    goto restart;
                mask = (uint64_t)so->mask;
            } else if (IS_UNDEF(e->key) && e->hash == -1) {
                if (!freeslot)
                    freeslot = e;
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
found_unused_or_dummy:
    if (freeslot) {
        so->used++;
        freeslot->key = key;
        freeslot->hash = hash;
        return 0;
    }
    so->fill++;
    so->used++;
    e->key = key;
    e->hash = hash;
    if (so->fill * 5 < so->mask * 3)
        return 0;
    return table_resize(st, so, so->used > 50000 ? so->used * 2 : so->used * 4);
found_active:
    tn_decref(key);
    return 0;
}

/* Finds the active entry for key: 1 (*out set), 0 missing, -1 error. */
static int lookkey(TnState *st, SetObj *so, TnValue key, int64_t hash, SetEntry **out)
{
restart:;
    uint64_t mask = (uint64_t)so->mask;
    uint64_t i = (uint64_t)hash & mask, perturb = (uint64_t)hash;
    while (true) {
        SetEntry *e = &so->table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (IS_UNDEF(e->key) && e->hash == 0)
                return 0;
            if (e->hash == hash && active(e)) {
                TnValue start = e->key;
                if (start.tag == key.tag && start.u.i == key.u.i) {
                    *out = e;
                    return 1;
                }
                SetEntry *table = so->table;
                tn_incref(start);
                int cmp = keys_equal(st, start, key);
                tn_decref(start);
                if (cmp < 0)
                    return -1;
                if (table != so->table || e->key.u.i != start.u.i)
                    goto restart;
                if (cmp > 0) {
                    *out = e;
                    return 1;
                }
                mask = (uint64_t)so->mask;
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

static int contains_hashed(TnState *st, SetObj *so, TnValue key, int64_t hash)
{
    SetEntry *e;
    return lookkey(st, so, key, hash, &e);
}

static int contains_key(TnState *st, SetObj *so, TnValue key)
{
    int64_t h;
    if (hash_of(st, key, &h) < 0)
        return -1;
    return contains_hashed(st, so, key, h);
}

/* 1 removed, 0 missing, -1 error. */
static int discard_key(TnState *st, SetObj *so, TnValue key)
{
    int64_t h;
    if (hash_of(st, key, &h) < 0)
        return -1;
    SetEntry *e;
    int r = lookkey(st, so, key, h, &e);
    if (r <= 0)
        return r;
    TnValue old = e->key;
    e->key = tn_undef();
    e->hash = -1;
    so->used--;
    tn_decref(old);
    return 1;
}

static int add_key(TnState *st, SetObj *so, TnValue key)
{
    int64_t h;
    if (hash_of(st, key, &h) < 0)
        return -1;
    return add_entry(st, so, key, h);
}

static void set_clear_internal(SetObj *so)
{
    SetEntry *table = so->table;
    int64_t mask = so->mask;
    bool malloced = table != so->small;
    SetEntry copy[MINSIZE];
    if (!malloced) {
        memcpy(copy, so->small, sizeof copy);
        table = copy;
    }
    memset(so->small, 0, sizeof so->small);
    so->table = so->small;
    so->mask = MINSIZE - 1;
    so->fill = so->used = so->finger = 0;
    for (int64_t i = 0; i <= mask; i++)
        tn_decref(table[i].key);
    if (malloced)
        tn_free(table);
}

/* Adds every element of another set (CPython's set_merge). */
static int merge(TnState *st, SetObj *so, SetObj *other)
{
    if (other == so || other->used == 0)
        return 0;
    if ((so->fill + other->used) * 5 >= so->mask * 3 &&
        table_resize(st, so, (so->used + other->used) * 2) < 0)
        return -1;
    if (so->fill == 0 && so->mask == other->mask && other->fill == other->used) {
        for (int64_t i = 0; i <= other->mask; i++) {
            if (active(&other->table[i])) {
                so->table[i].key = tn_ref(other->table[i].key);
                so->table[i].hash = other->table[i].hash;
            }
        }
        so->fill = other->fill;
        so->used = other->used;
        return 0;
    }
    if (so->fill == 0) {
        so->fill = so->used = other->used;
        for (int64_t i = 0; i <= other->mask; i++)
            if (active(&other->table[i]))
                insert_clean(so->table, so->mask, tn_ref(other->table[i].key),
                             other->table[i].hash);
        return 0;
    }
    for (int64_t i = 0; i <= other->mask; i++)
        if (active(&other->table[i]) &&
            add_entry(st, so, other->table[i].key, other->table[i].hash) < 0)
            return -1;
    return 0;
}

static int update_internal(TnState *st, SetObj *so, TnValue other)
{
    if (is_anyset(other))
        return merge(st, so, SO(other));
    if (tn_is_dict(other)) {
        TnDict *d = AS_DICT(other);
        if ((so->fill + d->n) * 5 >= so->mask * 3 && table_resize(st, so, (so->used + d->n) * 2) < 0)
            return -1;
        int64_t pos = 0;
        TnValue k;
        while (dict_next(d, &pos, &k, NULL)) {
            int64_t h = (int64_t)d->entries[pos - 1].hash;
            if (h == -1)
                h = -2;
            if (add_entry(st, so, k, h) < 0)
                return -1;
        }
        return 0;
    }
    TnValue *items;
    int64_t n;
    if (tn_seq_items(other, &items, &n)) {
        for (int64_t i = 0; i < n; i++) {
            TnValue x = tn_ref(items[i]);
            int rc = add_key(st, so, x);
            tn_decref(x);
            if (rc < 0)
                return -1;
            tn_seq_items(other, &items, &n);
        }
        return 0;
    }
    TnValue it = tn_iter(st, other);
    if (IS_UNDEF(it))
        return -1;
    TnValue x;
    while (!IS_UNDEF(x = tn_next(st, it))) {
        int rc = add_key(st, so, x);
        tn_decref(x);
        if (rc < 0) {
            tn_decref(it);
            return -1;
        }
    }
    tn_decref(it);
    return IS_UNDEF(st->exc) ? 0 : -1;
}

/* ------------------------------------------------------------ objects */

static TnValue set_alloc_type(TnState *st, TnType *type)
{
    SetObj *so = tn_alloc_object(st, type, sizeof(SetObj));
    if (!so)
        return tn_undef();
    so->mask = MINSIZE - 1;
    so->table = so->small;
    return tn_obj(so);
}

TnValue set_new(TnState *st)
{
    return set_alloc_type(st, &tn_set_type);
}

/* New set (of `type`) holding the elements of iterable (UNDEF: empty). */
static TnValue make_set(TnState *st, TnType *type, TnValue iterable)
{
    TnValue r = set_alloc_type(st, type);
    if (!IS_UNDEF(r) && !IS_UNDEF(iterable) && update_internal(st, SO(r), iterable) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

/* The plain type a set operation's result gets (set or frozenset). */
static TnType *base_type(TnValue v)
{
    return tn_isinstance_type(AS_OBJ(v)->type, &tn_frozenset_type) ? &tn_frozenset_type
                                                                     : &tn_set_type;
}

TnValue set_from_iterable(TnState *st, TnValue iterable)
{
    return make_set(st, &tn_set_type, iterable);
}

/* CPython compiles a display of more than two constants to a frozenset constant that it
 * builds twice (the second time from the first one's iteration order), then copies into a
 * new set: colliding elements can end up in another order than plain insertion gives. */
TnValue set_from_constants(TnState *st, TnValue items)
{
    TnValue first = set_from_iterable(st, items);
    if (IS_UNDEF(first))
        return first;
    TnValue order = list_from_iterable(st, first);
    tn_decref(first);
    if (IS_UNDEF(order))
        return order;
    TnValue constant = set_from_iterable(st, order);
    tn_decref(order);
    if (IS_UNDEF(constant))
        return constant;
    TnValue s = set_from_iterable(st, constant);
    tn_decref(constant);
    return s;
}

int set_add(TnState *st, TnSet *s, TnValue v)
{
    return add_key(st, (SetObj *)s, v);
}

int set_contains(TnState *st, TnSet *s, TnValue v)
{
    return contains_key(st, (SetObj *)s, v);
}

static void set_dealloc(TnObject *o)
{
    set_clear_internal((SetObj *)o);
    tn_free_object(o);
}

static void set_traverse(TnObject *o, TnVisit visit, void *arg)
{
    SetObj *so = (SetObj *)o;
    if (!so->table)
        return; /* not initialised yet */
    for (int64_t i = 0; i <= so->mask; i++)
        tn_visit(so->table[i].key, visit, arg);
}

static void set_gc_clear(TnObject *o)
{
    set_clear_internal((SetObj *)o);
}

static TnValue set_repr(TnState *st, TnValue self)
{
    SetObj *so = SO(self);
    bool frozen = base_type(self) == &tn_frozenset_type;
    const char *tname = AS_OBJ(self)->type->name;
    if (so->used == 0)
        return tn_str_fmt(st, "%s()", tname);
    int g = repr_enter(st, self);
    if (g < 0)
        return tn_undef();
    if (g > 0)
        return tn_str_fmt(st, "%s(...)", tname);
    TnValue items = list_new(st, 0);
    TnValue r = tn_undef();
    if (IS_UNDEF(items))
        goto done;
    for (int64_t i = 0; i <= so->mask; i++)
        if (active(&so->table[i]) && list_append(st, AS_LIST(items), so->table[i].key) < 0)
            goto done;
    TnValue lr = tn_repr(st, items);
    if (IS_UNDEF(lr))
        goto done;
    TnStr *ls = AS_STR(lr);
    /* the list repr's brackets become braces */
    if (frozen || AS_OBJ(self)->type != &tn_set_type)
        r = tn_str_fmt(st, "%s({%.*s})", tname, (int)(ls->len - 2), ls->data + 1);
    else
        r = tn_str_fmt(st, "{%.*s}", (int)(ls->len - 2), ls->data + 1);
    tn_decref(lr);
done:
    tn_decref(items);
    repr_leave(self);
    return r;
}

static int64_t set_len(TnState *st, TnValue self)
{
    return SO(self)->used;
}

static int set_contains_slot(TnState *st, TnValue self, TnValue v)
{
    int r = contains_key(st, SO(self), v);
    if (r < 0 && is_anyset(v) && tn_error_matches(st, tn_TypeError)) {
        /* a set is looked up as the frozenset with the same members */
        tn_clear_error(st);
        TnValue f = make_set(st, &tn_frozenset_type, v);
        if (IS_UNDEF(f))
            return -1;
        r = contains_key(st, SO(self), f);
        tn_decref(f);
    }
    return r;
}

static int set_hash(TnState *st, TnValue self, uint64_t *out)
{
    return tn_raise_int(st, tn_TypeError, "unhashable type: '%s'", tn_type_name(self));
}

static uint64_t shuffle_bits(uint64_t h)
{
    return ((h ^ 89869747UL) ^ (h << 16)) * 3644798167UL;
}

/* CPython's frozenset_hash: order-independent and matching Python's values. */
static int frozenset_hash(TnState *st, TnValue self, uint64_t *out)
{
    SetObj *so = SO(self);
    uint64_t hash = 0;
    for (int64_t i = 0; i <= so->mask; i++)
        hash ^= shuffle_bits((uint64_t)so->table[i].hash);
    if ((so->mask + 1 - so->fill) & 1)
        hash ^= shuffle_bits(0);
    if ((so->fill - so->used) & 1)
        hash ^= shuffle_bits((uint64_t)-1);
    hash ^= ((uint64_t)so->used + 1) * 1927868237UL;
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + 907133923UL;
    if (hash == (uint64_t)-1)
        hash = 590923713UL;
    *out = hash;
    return 0;
}

/* 1 if every element of a is in b. */
static int is_subset(TnState *st, SetObj *a, SetObj *b)
{
    if (a->used > b->used)
        return 0;
    for (int64_t i = 0; i <= a->mask; i++) {
        if (!active(&a->table[i]))
            continue;
        TnValue k = tn_ref(a->table[i].key);
        int r = contains_hashed(st, b, k, a->table[i].hash);
        tn_decref(k);
        if (r <= 0)
            return r;
    }
    return 1;
}

static TnValue set_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!is_anyset(a) || !is_anyset(b))
        return tn_notimpl();
    SetObj *x = SO(a), *y = SO(b);
    int r;
    switch (op) {
    case CMP_EQ:
    case CMP_NE:
        r = x->used == y->used ? is_subset(st, x, y) : 0;
        if (r < 0)
            return tn_undef();
        return tn_bool(op == CMP_EQ ? r : !r);
    case CMP_LE: r = is_subset(st, x, y); break;
    case CMP_GE: r = is_subset(st, y, x); break;
    case CMP_LT: r = x->used < y->used ? is_subset(st, x, y) : 0; break;
    default: r = x->used > y->used ? is_subset(st, y, x) : 0; break;
    }
    return r < 0 ? tn_undef() : tn_bool(r);
}

/* ------------------------------------------------------------ set algebra */

static TnValue copy_of(TnState *st, TnValue v, TnType *type)
{
    return make_set(st, type, v);
}

static TnValue do_intersection(TnState *st, TnValue self, TnValue other)
{
    TnValue result = set_alloc_type(st, base_type(self));
    if (IS_UNDEF(result))
        return result;
    SetObj *so = SO(self), *r = SO(result);
    if (is_anyset(other)) {
        SetObj *a = so, *b = SO(other);
        if (b->used > a->used) {
            SetObj *t = a;
            a = b;
            b = t;
        }
        /* iterate the smaller set, keep what the larger one has */
        for (int64_t i = 0; i <= b->mask; i++) {
            if (!active(&b->table[i]))
                continue;
            TnValue k = tn_ref(b->table[i].key);
            int64_t h = b->table[i].hash;
            int c = contains_hashed(st, a, k, h);
            if (c > 0)
                c = add_entry(st, r, k, h) < 0 ? -1 : 1;
            tn_decref(k);
            if (c < 0)
                goto fail;
        }
        return result;
    }
    TnValue it = tn_iter(st, other);
    if (IS_UNDEF(it))
        goto fail;
    TnValue k;
    while (!IS_UNDEF(k = tn_next(st, it))) {
        int64_t h;
        int c = hash_of(st, k, &h) < 0 ? -1 : contains_hashed(st, so, k, h);
        if (c > 0)
            c = add_entry(st, r, k, h) < 0 ? -1 : 1;
        tn_decref(k);
        if (c < 0)
            break;
    }
    tn_decref(it);
    if (!IS_UNDEF(st->exc))
        goto fail;
    return result;
fail:
    tn_decref(result);
    return tn_undef();
}

static int difference_update(TnState *st, SetObj *so, TnValue other)
{
    if (is_anyset(other) && SO(other) == so) {
        set_clear_internal(so);
        return 0;
    }
    if (is_anyset(other)) {
        SetObj *o = SO(other);
        for (int64_t i = 0; i <= o->mask; i++) {
            if (!active(&o->table[i]))
                continue;
            TnValue k = tn_ref(o->table[i].key);
            int r = discard_key(st, so, k);
            tn_decref(k);
            if (r < 0)
                return -1;
        }
        return 0;
    }
    TnValue it = tn_iter(st, other);
    if (IS_UNDEF(it))
        return -1;
    TnValue k;
    while (!IS_UNDEF(k = tn_next(st, it))) {
        int r = discard_key(st, so, k);
        tn_decref(k);
        if (r < 0)
            break;
    }
    tn_decref(it);
    return IS_UNDEF(st->exc) ? 0 : -1;
}

static TnValue do_difference(TnState *st, TnValue self, TnValue other)
{
    SetObj *so = SO(self);
    if (!is_anyset(other) && !tn_is_dict(other)) {
        TnValue r = copy_of(st, self, base_type(self));
        if (!IS_UNDEF(r) && difference_update(st, SO(r), other) < 0) {
            tn_decref(r);
            return tn_undef();
        }
        return r;
    }
    int64_t other_size = is_anyset(other) ? SO(other)->used : AS_DICT(other)->n;
    if ((so->used >> 2) > other_size) {
        TnValue r = copy_of(st, self, base_type(self));
        if (!IS_UNDEF(r) && difference_update(st, SO(r), other) < 0) {
            tn_decref(r);
            return tn_undef();
        }
        return r;
    }
    TnValue result = set_alloc_type(st, base_type(self));
    if (IS_UNDEF(result))
        return result;
    for (int64_t i = 0; i <= so->mask; i++) {
        if (!active(&so->table[i]))
            continue;
        TnValue k = tn_ref(so->table[i].key);
        int64_t h = so->table[i].hash;
        int c;
        if (is_anyset(other)) {
            c = contains_hashed(st, SO(other), k, h);
        } else {
            TnValue v;
            c = dict_lookup(st, AS_DICT(other), k, &v);
        }
        if (c == 0)
            c = add_entry(st, SO(result), k, h) < 0 ? -1 : 0;
        tn_decref(k);
        if (c < 0) {
            tn_decref(result);
            return tn_undef();
        }
    }
    return result;
}

static int symdiff_update(TnState *st, SetObj *so, TnValue other)
{
    if (is_anyset(other) && SO(other) == so) {
        set_clear_internal(so);
        return 0;
    }
    TnValue tmp = tn_undef();
    SetObj *o;
    if (is_anyset(other)) {
        o = SO(other);
    } else {
        tmp = make_set(st, &tn_set_type, other);
        if (IS_UNDEF(tmp))
            return -1;
        o = SO(tmp);
    }
    int rc = 0;
    for (int64_t i = 0; i <= o->mask && rc == 0; i++) {
        if (!active(&o->table[i]))
            continue;
        TnValue k = tn_ref(o->table[i].key);
        int64_t h = o->table[i].hash;
        SetEntry *e;
        int r = lookkey(st, so, k, h, &e);
        if (r < 0) {
            rc = -1;
        } else if (r) {
            TnValue old = e->key;
            e->key = tn_undef();
            e->hash = -1;
            so->used--;
            tn_decref(old);
        } else if (add_entry(st, so, k, h) < 0) {
            rc = -1;
        }
        tn_decref(k);
    }
    tn_decref(tmp);
    return rc;
}

static TnValue do_symdiff(TnState *st, TnValue self, TnValue other)
{
    TnValue r = make_set(st, base_type(self), other);
    if (!IS_UNDEF(r) && symdiff_update(st, SO(r), self) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

static TnValue do_union(TnState *st, TnValue self, TnValue other)
{
    TnValue r = copy_of(st, self, base_type(self));
    if (!IS_UNDEF(r) && update_internal(st, SO(r), other) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

/* Replaces so's contents with those of the set `with` (consumed). */
static void take_contents(SetObj *so, TnValue with)
{
    set_clear_internal(so);
    SetObj *w = SO(with);
    if (w->table == w->small) {
        memcpy(so->small, w->small, sizeof so->small);
        so->table = so->small;
    } else {
        so->table = w->table;
    }
    so->mask = w->mask;
    so->fill = w->fill;
    so->used = w->used;
    w->table = w->small;
    memset(w->small, 0, sizeof w->small);
    w->mask = MINSIZE - 1;
    w->fill = w->used = 0;
    tn_decref(with);
}

static TnValue set_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (!is_anyset(a) || !is_anyset(b))
        return tn_notimpl();
    bool mutable_a = inplace && base_type(a) == &tn_set_type;
    switch (op) {
    case OP_BITOR:
        if (mutable_a)
            return update_internal(st, SO(a), b) < 0 ? tn_undef() : tn_ref(a);
        return do_union(st, a, b);
    case OP_BITAND:
        if (mutable_a) {
            TnValue r = do_intersection(st, a, b);
            if (IS_UNDEF(r))
                return r;
            take_contents(SO(a), r);
            return tn_ref(a);
        }
        return do_intersection(st, a, b);
    case OP_SUB:
        if (mutable_a)
            return difference_update(st, SO(a), b) < 0 ? tn_undef() : tn_ref(a);
        return do_difference(st, a, b);
    case OP_BITXOR:
        if (mutable_a)
            return symdiff_update(st, SO(a), b) < 0 ? tn_undef() : tn_ref(a);
        return do_symdiff(st, a, b);
    default: return tn_notimpl();
    }
}

/* ------------------------------------------------------------ iterator */

typedef struct {
    TN_OBJECT_HEAD;
    SetObj *so;
    int64_t pos, used;
} SetIter;

static void setiter_dealloc(TnObject *o)
{
    tn_obj_decref(((SetIter *)o)->so);
    tn_free_object(o);
}

static void setiter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((SetIter *)o)->so, visit, arg);
}

static TnValue setiter_next(TnState *st, TnValue self)
{
    SetIter *it = (SetIter *)AS_OBJ(self);
    SetObj *so = it->so;
    if (!so)
        return tn_undef();
    if (so->used != it->used) {
        it->used = -1;
        return tn_raise(st, tn_RuntimeError, "Set changed size during iteration");
    }
    while (it->pos <= so->mask) {
        SetEntry *e = &so->table[it->pos++];
        if (active(e))
            return tn_ref(e->key);
    }
    it->so = NULL;
    tn_obj_decref(so);
    return tn_undef();
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_set_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "set_iterator",
    .dealloc = setiter_dealloc,
    .traverse = setiter_traverse,
    .iter = iter_self,
    .next = setiter_next,
};

static TnValue set_iter(TnState *st, TnValue self)
{
    SetIter *it = tn_alloc_object(st, &tn_set_iter_type, sizeof(SetIter));
    if (!it)
        return tn_undef();
    it->so = SO(self);
    tn_obj_incref(it->so);
    it->used = it->so->used;
    return tn_obj(it);
}

/* ------------------------------------------------------------ construct */

static TnSig *set_sig, *frozenset_sig;

static TnValue set_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                             TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &set_sig, "set(iterable=?, /)", tn_undef(), args, nargs, kwnames, nkw,
                        a) < 0)
        return tn_undef();
    return make_set(st, type, a[0]);
}

static TnValue frozenset_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                   TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &frozenset_sig, "frozenset(iterable=?, /)", tn_undef(), args, nargs,
                        kwnames, nkw, a) < 0)
        return tn_undef();
    if (IS_TYPEOF(a[0], &tn_frozenset_type) && type == &tn_frozenset_type)
        return tn_ref(a[0]);
    return make_set(st, type, a[0]);
}

/* ------------------------------------------------------------ methods */

#define SELFSET SO(a[0])

static TnValue raise_key_error(TnState *st, TnValue key)
{
    TnValue exc = tn_call(st, tn_obj(tn_KeyError), &key, 1, NULL, 0);
    if (IS_UNDEF(exc))
        return exc;
    return tn_raise_value(st, exc);
}

static TnValue m_add(TnState *st, TnValue *a)
{
    return add_key(st, SELFSET, a[1]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_discard(TnState *st, TnValue *a)
{
    return discard_key(st, SELFSET, a[1]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_remove(TnState *st, TnValue *a)
{
    int r = discard_key(st, SELFSET, a[1]);
    if (r < 0)
        return tn_undef();
    if (r == 0)
        return raise_key_error(st, a[1]);
    return tn_none();
}
static TnValue m_pop(TnState *st, TnValue *a)
{
    SetObj *so = SELFSET;
    if (so->used == 0) {
        TnValue msg = tn_str(st, "pop from an empty set");
        if (IS_UNDEF(msg))
            return msg;
        TnValue r = raise_key_error(st, msg);
        tn_decref(msg);
        return r;
    }
    SetEntry *e = so->table + (so->finger & so->mask), *limit = so->table + so->mask;
    while (!active(e)) {
        e++;
        if (e > limit)
            e = so->table;
    }
    TnValue key = e->key;
    e->key = tn_undef();
    e->hash = -1;
    so->used--;
    so->finger = e - so->table + 1;
    return key;
}
static TnValue m_clear(TnState *st, TnValue *a)
{
    set_clear_internal(SELFSET);
    return tn_none();
}
static TnValue m_copy(TnState *st, TnValue *a)
{
    if (AS_OBJ(a[0])->type == &tn_frozenset_type)
        return tn_ref(a[0]);
    return copy_of(st, a[0], base_type(a[0]));
}
static TnValue m_update(TnState *st, TnValue *a)
{
    TnTuple *others = AS_TUPLE(a[1]);
    for (int64_t i = 0; i < others->n; i++)
        if (update_internal(st, SELFSET, others->items[i]) < 0)
            return tn_undef();
    return tn_none();
}
static TnValue m_union(TnState *st, TnValue *a)
{
    TnValue r = copy_of(st, a[0], base_type(a[0]));
    TnTuple *others = AS_TUPLE(a[1]);
    for (int64_t i = 0; !IS_UNDEF(r) && i < others->n; i++) {
        if (update_internal(st, SO(r), others->items[i]) < 0) {
            tn_decref(r);
            return tn_undef();
        }
    }
    return r;
}
static TnValue m_intersection(TnState *st, TnValue *a)
{
    TnTuple *others = AS_TUPLE(a[1]);
    if (others->n == 0)
        return copy_of(st, a[0], base_type(a[0]));
    TnValue r = tn_ref(a[0]);
    for (int64_t i = 0; i < others->n; i++) {
        TnValue nr = do_intersection(st, r, others->items[i]);
        tn_decref(r);
        if (IS_UNDEF(nr))
            return nr;
        r = nr;
    }
    return r;
}
static TnValue m_intersection_update(TnState *st, TnValue *a)
{
    TnValue r = m_intersection(st, a);
    if (IS_UNDEF(r))
        return r;
    if (SO(r) == SELFSET) {
        tn_decref(r);
        return tn_none();
    }
    take_contents(SELFSET, r);
    return tn_none();
}
static TnValue m_difference(TnState *st, TnValue *a)
{
    TnTuple *others = AS_TUPLE(a[1]);
    if (others->n == 0)
        return copy_of(st, a[0], base_type(a[0]));
    TnValue r = do_difference(st, a[0], others->items[0]);
    for (int64_t i = 1; !IS_UNDEF(r) && i < others->n; i++) {
        if (difference_update(st, SO(r), others->items[i]) < 0) {
            tn_decref(r);
            return tn_undef();
        }
    }
    return r;
}
static TnValue m_difference_update(TnState *st, TnValue *a)
{
    TnTuple *others = AS_TUPLE(a[1]);
    for (int64_t i = 0; i < others->n; i++)
        if (difference_update(st, SELFSET, others->items[i]) < 0)
            return tn_undef();
    return tn_none();
}
static TnValue m_symmetric_difference(TnState *st, TnValue *a)
{
    if (is_anyset(a[1]))
        return do_symdiff(st, a[0], a[1]);
    TnValue o = make_set(st, &tn_set_type, a[1]);
    if (IS_UNDEF(o))
        return o;
    TnValue r = do_symdiff(st, a[0], o);
    tn_decref(o);
    return r;
}
static TnValue m_symmetric_difference_update(TnState *st, TnValue *a)
{
    return symdiff_update(st, SELFSET, a[1]) < 0 ? tn_undef() : tn_none();
}
/* Converts a non-set argument to a temporary set. */
static TnValue as_set(TnState *st, TnValue v)
{
    if (is_anyset(v))
        return tn_ref(v);
    return make_set(st, &tn_set_type, v);
}
static TnValue m_issubset(TnState *st, TnValue *a)
{
    TnValue o = as_set(st, a[1]);
    if (IS_UNDEF(o))
        return o;
    int r = is_subset(st, SELFSET, SO(o));
    tn_decref(o);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_issuperset(TnState *st, TnValue *a)
{
    TnValue o = as_set(st, a[1]);
    if (IS_UNDEF(o))
        return o;
    int r = is_subset(st, SO(o), SELFSET);
    tn_decref(o);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_isdisjoint(TnState *st, TnValue *a)
{
    TnValue o = as_set(st, a[1]);
    if (IS_UNDEF(o))
        return o;
    SetObj *x = SELFSET, *y = SO(o);
    if (x->used > y->used) {
        SetObj *t = x;
        x = y;
        y = t;
    }
    int r = 1;
    for (int64_t i = 0; r == 1 && i <= x->mask; i++) {
        if (!active(&x->table[i]))
            continue;
        TnValue k = tn_ref(x->table[i].key);
        int c = contains_hashed(st, y, k, x->table[i].hash);
        tn_decref(k);
        r = c < 0 ? -1 : !c;
    }
    tn_decref(o);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_contains(TnState *st, TnValue *a)
{
    int r = set_contains_slot(st, a[0], a[1]);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_len(TnState *st, TnValue *a)
{
    return tn_int(SELFSET->used);
}

static const TnMethodDef set_methods[] = {
    {"add", m_add, "add(self, object, /)", NULL, "Add an element to a set."},
    {"discard", m_discard, "discard(self, object, /)", NULL, "Remove an element from a set if it is a member."},
    {"remove", m_remove, "remove(self, object, /)", NULL, "Remove an element from a set; it must be a member."},
    {"pop", m_pop, "pop(self, /)", NULL, "Remove and return an arbitrary set element."},
    {"clear", m_clear, "clear(self, /)", NULL, "Remove all elements from this set."},
    {"copy", m_copy, "copy(self, /)", NULL, "Return a shallow copy of a set."},
    {"update", m_update, "update(self, /, *others)", NULL, "Update a set with the union of itself and others."},
    {"union", m_union, "union(self, /, *others)", NULL, "Return the union of sets as a new set."},
    {"intersection", m_intersection, "intersection(self, /, *others)", NULL, "Return the intersection of two sets as a new set."},
    {"intersection_update", m_intersection_update, "intersection_update(self, /, *others)", NULL, "Update a set with the intersection of itself and another."},
    {"difference", m_difference, "difference(self, /, *others)", NULL, "Return the difference of two or more sets as a new set."},
    {"difference_update", m_difference_update, "difference_update(self, /, *others)", NULL, "Remove all elements of another set from this set."},
    {"symmetric_difference", m_symmetric_difference, "symmetric_difference(self, other, /)", NULL, "Return the symmetric difference of two sets as a new set."},
    {"symmetric_difference_update", m_symmetric_difference_update, "symmetric_difference_update(self, other, /)", NULL, "Update a set with the symmetric difference of itself and another."},
    {"issubset", m_issubset, "issubset(self, other, /)", NULL, "Report whether another set contains this set."},
    {"issuperset", m_issuperset, "issuperset(self, other, /)", NULL, "Report whether this set contains another set."},
    {"isdisjoint", m_isdisjoint, "isdisjoint(self, other, /)", NULL, "Return True if two sets have a null intersection."},
    {"__contains__", m_contains, "__contains__(self, key, /)", NULL, "x.__contains__(y) <==> y in x."},
    {"__len__", m_len, "__len__(self, /)", NULL, "Return len(self)."},
    {NULL},
};

static const TnMethodDef frozenset_methods[] = {
    {"copy", m_copy, "copy(self, /)", NULL, "Return a shallow copy of a set."},
    {"union", m_union, "union(self, /, *others)", NULL, "Return the union of sets as a new set."},
    {"intersection", m_intersection, "intersection(self, /, *others)", NULL, "Return the intersection of two sets as a new set."},
    {"difference", m_difference, "difference(self, /, *others)", NULL, "Return the difference of two or more sets as a new set."},
    {"symmetric_difference", m_symmetric_difference, "symmetric_difference(self, other, /)", NULL, "Return the symmetric difference of two sets as a new set."},
    {"issubset", m_issubset, "issubset(self, other, /)", NULL, "Report whether another set contains this set."},
    {"issuperset", m_issuperset, "issuperset(self, other, /)", NULL, "Report whether this set contains another set."},
    {"isdisjoint", m_isdisjoint, "isdisjoint(self, other, /)", NULL, "Return True if two sets have a null intersection."},
    {"__contains__", m_contains, "__contains__(self, key, /)", NULL, "x.__contains__(y) <==> y in x."},
    {"__len__", m_len, "__len__(self, /)", NULL, "Return len(self)."},
    {NULL},
};

TnType tn_set_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "set",
    .flags = TN_TYPE_BASETYPE,
    .alloc = set_alloc_type,
    .dealloc = set_dealloc,
    .traverse = set_traverse,
    .clear = set_gc_clear,
    .repr = set_repr,
    .hash = set_hash,
    .richcmp = set_richcmp,
    .binop = set_binop,
    .len = set_len,
    .contains = set_contains_slot,
    .iter = set_iter,
    .construct = set_construct,
    .methods = set_methods,
};

TnType tn_frozenset_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "frozenset",
    .flags = TN_TYPE_BASETYPE,
    .alloc = set_alloc_type,
    .dealloc = set_dealloc,
    .traverse = set_traverse,
    .clear = set_gc_clear,
    .repr = set_repr,
    .hash = frozenset_hash,
    .richcmp = set_richcmp,
    .binop = set_binop,
    .len = set_len,
    .contains = set_contains_slot,
    .iter = set_iter,
    .construct = frozenset_construct,
    .methods = frozenset_methods,
};
