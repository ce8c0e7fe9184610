/* attr_cache.c: inline caches for attribute access and method calls on instances
 * (see attr_cache.h). */
#include "attr_cache.h"

/* obj's type when it is an object whose type uses the generic attribute protocol
 * (only those can be cached), else NULL. */
static inline TnType *plain_type(TnValue obj)
{
    if (!IS_OBJ(obj))
        return NULL;
    TnType *t = AS_OBJ(obj)->type;
    if (t->getattr || t->setattr || t == &tn_type_type || t == &tn_super_type)
        return NULL;
    return t;
}

static inline TnDict *instance_dict(TnType *t, TnValue obj)
{
    return (t->flags & TN_TYPE_HAS_DICT) ? ((TnInstance *)AS_OBJ(obj))->dict : NULL;
}

static inline bool cache_valid(const TnAst *n, const TnType *t)
{
    return n->ic.type == t && n->ic.epoch == tn_type_epoch;
}

/* Points the cache at obj's type when the type uses the generic protocol and its
 * class chain has no data descriptor called name, which is what lets the instance
 * dict answer; false otherwise. (A type's getattr/setattr slots change only with
 * its attributes, which moves the epoch.) */
static __attribute__((noinline)) bool cache_fill(TnAst *n, TnValue obj, TnStr *name)
{
    TnType *t = plain_type(obj);
    n->ic.type = NULL;
    if (!t)
        return false;
    TnValue descr = type_lookup(t, name);
    if (!IS_UNDEF(descr) && tn_type_of(descr)->descr_set)
        return false;
    n->ic.type = t;
    n->ic.epoch = tn_type_epoch;
    n->ic.method = NULL;
    return true;
}

/* obj's instance dict when the node's cache applies to obj's type, else NULL. */
static inline TnDict *cached_dict(TnAst *n, TnValue obj)
{
    if (!IS_OBJ(obj))
        return NULL;
    TnType *t = AS_OBJ(obj)->type;
    if (TN_UNLIKELY(!cache_valid(n, t)) && !cache_fill(n, obj, n->cache))
        return NULL;
    return instance_dict(t, obj);
}

/* The entry of the interned name in d, using and refreshing the node's remembered
 * position (entries do not move while their key stays), or NULL. */
static inline TnDictEntry *entry_of(TnAst *n, TnDict *d, TnStr *name)
{
    int64_t ix = n->ic.index - 1;
    if (ix >= 0 && ix < d->nentries) {
        TnDictEntry *e = &d->entries[ix];
        if (e->key.tag == V_OBJ && e->key.u.o == (TnObject *)name)
            return e;
    }
    ix = dict_index_of_str(d, name);
    if (ix < 0 || d->entries[ix].key.u.o != (TnObject *)name)
        return NULL;
    n->ic.index = ix + 1;
    return &d->entries[ix];
}

bool attr_cache_get(TnAst *n, TnValue obj, TnValue *out)
{
    TnDict *d = cached_dict(n, obj);
    if (!d)
        return false;
    TnDictEntry *e = entry_of(n, d, n->cache);
    if (!e)
        return false;
    *out = tn_ref(e->value);
    return true;
}

bool attr_cache_set(TnAst *n, TnValue obj, TnValue v)
{
    TnDict *d = cached_dict(n, obj);
    if (!d)
        return false;
    TnDictEntry *e = entry_of(n, d, n->cache);
    if (!e)
        return false;
    TnValue old = e->value;
    e->value = tn_ref(v);
    tn_decref(old); /* last: a destructor may run code */
    return true;
}

TnFunction *attr_cache_method(TnAst *n, TnValue obj)
{
    if (!IS_OBJ(obj))
        return NULL;
    TnType *t = AS_OBJ(obj)->type;
    if (!cache_valid(n, t) || !n->ic.method)
        return NULL;
    /* an instance attribute of that name would shadow the method */
    TnDict *d = instance_dict(t, obj);
    if (d && !IS_UNDEF(dict_get_str(d, n->a->cache)))
        return NULL;
    return n->ic.method;
}

void attr_cache_method_fill(TnAst *n, TnValue obj, TnFunction *fn)
{
    TnType *t = plain_type(obj);
    if (!t)
        return;
    n->ic.type = t;
    n->ic.epoch = tn_type_epoch;
    n->ic.method = fn;
}
