/* object.c: the protocols every value speaks, and the `object`, `type` and native-function types.
 *
 * Each protocol function (tn_repr, tn_binop, tn_getattr, tn_call, ...) handles
 * the unboxed scalars inline, then dispatches on the type's slot, then applies
 * Python's fallback rules (reflected operands, identity equality, iteration for
 * `in`, __getitem__ iteration) and Python's error text. Attribute lookup follows
 * CPython's generic algorithm: data descriptors of the type, the instance dict,
 * then other type attributes bound through descr_get.
 */
#include "exc.h"
#include "format.h"
#include "sig.h"
#include "types.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const tn_binop_names[OP_NBINARY] = {
    "+", "-", "*", "/", "//", "%", "** or pow()", "@", "<<", ">>", "&", "|", "^"};
static const char *const inplace_names[OP_NBINARY] = {
    "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "<<=", ">>=", "&=", "|=", "^="};
const char *const tn_binop_dunders[OP_NBINARY] = {
    "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
    "__matmul__", "__lshift__", "__rshift__", "__and__", "__or__", "__xor__"};
const char *const tn_binop_rdunders[OP_NBINARY] = {
    "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__",
    "__rmatmul__", "__rlshift__", "__rrshift__", "__rand__", "__ror__", "__rxor__"};
const char *const tn_binop_idunders[OP_NBINARY] = {
    "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
    "__imatmul__", "__ilshift__", "__irshift__", "__iand__", "__ior__", "__ixor__"};
const char *const tn_cmp_dunders[6] = {"__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"};
static const char *const cmp_names[6] = {"<", "<=", "==", "!=", ">", ">="};
static const int cmp_swapped[6] = {CMP_GT, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_LE};

/* Interned name cache: `NAME(init)` yields the interned "__init__" (NULL only on OOM). */
#define NAME(id)                                                                                   \
    ({                                                                                             \
        static TnStr *s_##id;                                                                      \
        if (!s_##id)                                                                               \
            s_##id = str_intern(#id);                                                              \
        s_##id;                                                                                    \
    })

/* ------------------------------------------------------------ lifetime, types */

static void free_now(TnObject *o)
{
    TnType *t = o->type;
    /* Static types without a dealloc hold no references (plain free). Classes made
     * at run time copied their base's dealloc when they were created. */
    void (*dealloc)(TnObject *) = t->dealloc;
    if (dealloc)
        dealloc(o);
    else
        tn_free(o);
    if (t->flags & TN_TYPE_HEAP)
        tn_obj_decref(t);
}

/* Freeing a long chain ([[[...]]] a million deep) would recurse once per level and
 * overflow the C stack, so past a depth the objects wait in a list (linked through
 * their dead refcnt field) and the outermost call frees them one by one. */
static _Thread_local int free_depth;
static _Thread_local TnObject *free_later;

void tn_object_free(TnObject *o)
{
    /* untracked first: a collection must never scan an object being torn down */
    if (tn_gc_is(o))
        tn_gc_untrack(o);
    if (free_depth > 200) {
        o->refcnt = (int64_t)(intptr_t)free_later;
        free_later = o;
        return;
    }
    free_depth++;
    free_now(o);
    free_depth--;
    while (free_depth == 0 && free_later) {
        TnObject *d = free_later;
        free_later = (TnObject *)(intptr_t)d->refcnt;
        d->refcnt = 0;
        free_depth++;
        free_now(d);
        free_depth--;
    }
}

TnType *tn_type_of(TnValue v)
{
    switch (v.tag) {
    case V_OBJ: return v.u.o->type;
    case V_INT: return &tn_int_type;
    case V_FLOAT: return &tn_float_type;
    case V_BOOL: return &tn_bool_type;
    default: return &tn_none_type;
    }
}

const char *tn_type_name(TnValue v)
{
    return tn_type_of(v)->name;
}

/* ------------------------------------------------------------ singletons */

static TnValue singleton_repr(TnState *st, TnValue self)
{
    return tn_str(st, AS_OBJ(self)->type == &tn_notimpl_type ? "NotImplemented" : "Ellipsis");
}

TnType tn_notimpl_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "NotImplementedType",
    .repr = singleton_repr,
};
TnType tn_ellipsis_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "ellipsis",
    .repr = singleton_repr,
};
static TnObject notimpl_obj = {TN_IMMORTAL, &tn_notimpl_type};
static TnObject ellipsis_obj = {TN_IMMORTAL, &tn_ellipsis_type};

TnValue tn_notimpl(void)
{
    return tn_obj(&notimpl_obj);
}

bool tn_is_notimpl(TnValue v)
{
    return v.tag == V_OBJ && v.u.o == &notimpl_obj;
}

TnValue tn_ellipsis(void)
{
    return tn_obj(&ellipsis_obj);
}

/* ------------------------------------------------------------ recursion guards */

static TnObject **repr_stack;
static int64_t repr_n, repr_cap;

static int limit_of(TnState *st)
{
    return st && st->recursion_limit > 0 ? st->recursion_limit : 1000;
}

int repr_enter(TnState *st, TnValue v)
{
    TnObject *o = AS_OBJ(v);
    for (int64_t i = 0; i < repr_n; i++)
        if (repr_stack[i] == o)
            return 1;
    if (repr_n + (st ? st->depth : 0) >= limit_of(st))
        return tn_raise_int(st, tn_RecursionError,
                            "maximum recursion depth exceeded while getting the repr of an object");
    if (repr_n == repr_cap) {
        int64_t ncap = repr_cap ? repr_cap * 2 : 16;
        TnObject **ns = tn_realloc(repr_stack, (size_t)ncap * sizeof(TnObject *));
        if (!ns) {
            (void)tn_no_memory(st);
            return -1;
        }
        repr_stack = ns;
        repr_cap = ncap;
    }
    repr_stack[repr_n++] = o;
    return 0;
}

void repr_leave(TnValue v)
{
    /* entries are strictly nested, but search anyway in case of an early exit */
    for (int64_t i = repr_n - 1; i >= 0; i--)
        if (repr_stack[i] == AS_OBJ(v)) {
            memmove(repr_stack + i, repr_stack + i + 1, (size_t)(repr_n - i - 1) * sizeof(TnObject *));
            repr_n--;
            return;
        }
}

int tn_recursion_enter(TnState *st, const char *where)
{
    if (++st->depth > limit_of(st)) {
        st->depth--;
        return tn_raise_int(st, tn_RecursionError, "maximum recursion depth exceeded%s", where);
    }
    return 0;
}

void tn_recursion_leave(TnState *st)
{
    st->depth--;
}

/* ------------------------------------------------------------ repr, str, hash, truth */

/* PyTorch's C types whose tp_name carries the module, as error messages print it:
 * "'torch.dtype' object has no attribute 'x'" (but 'Tensor' and 'Parameter' stay bare). */
static const char *c_name_prefix(TnType *t)
{
    if (t->module && strcmp(t->module, "torch") == 0 &&
        (strcmp(t->name, "dtype") == 0 || strcmp(t->name, "Size") == 0 ||
         strcmp(t->name, "device") == 0))
        return "torch.";
    return "";
}

const char *type_module(TnType *t)
{
    if (t->dict) {
        TnValue m = dict_get_str(t->dict, NAME(__module__));
        if (IS_STR(m))
            return AS_STR(m)->data;
    }
    if (t->module)
        return t->module;
    return (t->flags & TN_TYPE_HEAP) ? "__main__" : "builtins";
}

TnValue tn_default_repr(TnState *st, TnValue v)
{
    TnType *t = tn_type_of(v);
    const char *mod = type_module(t);
    if (strcmp(mod, "builtins") == 0)
        return tn_str_fmt(st, "<%s object at %p>", t->name, (void *)AS_OBJ(v));
    return tn_str_fmt(st, "<%s.%s object at %p>", mod, t->name, (void *)AS_OBJ(v));
}

TnValue tn_repr(TnState *st, TnValue v)
{
    char buf[40];
    switch (v.tag) {
    case V_INT:
        return tn_str_n(st, buf, snprintf(buf, sizeof buf, "%" PRId64, v.u.i));
    case V_FLOAT:
        float_repr_buf(v.u.f, buf);
        return tn_str(st, buf);
    case V_BOOL:
        return tn_str(st, v.u.i ? "True" : "False");
    case V_NONE:
        return tn_str(st, "None");
    case V_UNDEF:
        return tn_str(st, "<undefined>");
    default:
        break;
    }
    TnType *t = v.u.o->type;
    TnValue r = t->repr ? t->repr(st, v) : tn_default_repr(st, v);
    if (!IS_UNDEF(r) && !IS_STR(r)) {
        TnValue bad = r;
        r = tn_raise(st, tn_TypeError, "__repr__ returned non-string (type %s)", tn_type_name(bad));
        tn_decref(bad);
    }
    return r;
}

TnValue tn_to_str(TnState *st, TnValue v)
{
    if (IS_STR(v))
        return tn_ref(v);
    if (!IS_OBJ(v))
        return tn_repr(st, v);
    TnType *t = v.u.o->type;
    if (!t->str)
        return tn_repr(st, v);
    TnValue r = t->str(st, v);
    if (!IS_UNDEF(r) && !IS_STR(r)) {
        TnValue bad = r;
        r = tn_raise(st, tn_TypeError, "__str__ returned non-string (type %s)", tn_type_name(bad));
        tn_decref(bad);
    }
    return r;
}

static uint64_t identity_hash(const void *p)
{
    /* objects are 8-byte aligned: dropping the 3 zero bits keeps hashes distinct and, like
     * CPython's (16-byte aligned, rotated by 4), non-negative */
    return (uint64_t)(uintptr_t)p >> 3;
}

int tn_hash(TnState *st, TnValue v, uint64_t *out)
{
    switch (v.tag) {
    case V_INT:
    case V_BOOL: *out = (uint64_t)num_hash_int(v.u.i); return 0;
    case V_FLOAT: *out = (uint64_t)num_hash_double(v.u.f); return 0;
    case V_NONE: *out = 0xFCA86420u; return 0;
    case V_OBJ: break;
    default: *out = 0; return 0;
    }
    TnType *t = v.u.o->type;
    if (t == &tn_str_type) {
        *out = ((TnStr *)v.u.o)->hash;
        return 0;
    }
    if (t->hash)
        return t->hash(st, v, out);
    *out = identity_hash(v.u.o);
    return 0;
}

int tn_truthy(TnState *st, TnValue v)
{
    switch (v.tag) {
    case V_BOOL:
    case V_INT: return v.u.i != 0;
    case V_FLOAT: return v.u.f != 0.0;
    case V_OBJ: break;
    default: return 0;
    }
    TnType *t = v.u.o->type;
    if (t->truth)
        return t->truth(st, v);
    if (t->len) {
        int64_t n = t->len(st, v);
        return n < 0 ? -1 : n > 0;
    }
    return 1;
}

/* ------------------------------------------------------------ comparison */

static bool identical(TnValue a, TnValue b)
{
    if (a.tag != b.tag)
        return false;
    if (a.tag == V_NONE || a.tag == V_UNDEF)
        return true;
    return a.u.i == b.u.i;
}

static TnValue rich_compare(TnState *st, TnValue a, TnValue b, int op)
{
    TnType *ta = tn_type_of(a), *tb = tn_type_of(b);
    bool tried_b = false;
    TnValue r;
    if (ta != tb && tb->richcmp && tn_isinstance_type(tb, ta)) {
        tried_b = true;
        r = tb->richcmp(st, b, a, cmp_swapped[op]);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (ta->richcmp) {
        r = ta->richcmp(st, a, b, op);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (!tried_b && tb->richcmp) {
        r = tb->richcmp(st, b, a, cmp_swapped[op]);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (op == CMP_EQ)
        return tn_bool(identical(a, b));
    if (op == CMP_NE)
        return tn_bool(!identical(a, b));
    return tn_raise(st, tn_TypeError, "'%s' not supported between instances of '%s' and '%s'",
                    cmp_names[op], ta->name, tb->name);
}

TnValue tn_compare(TnState *st, TnValue a, TnValue b, int op)
{
    switch (op) {
    case CMP_IS: return tn_bool(identical(a, b));
    case CMP_ISNOT: return tn_bool(!identical(a, b));
    case CMP_IN:
    case CMP_NOTIN: {
        int r = tn_contains(st, b, a);
        if (r < 0)
            return tn_undef();
        return tn_bool(op == CMP_IN ? r : !r);
    }
    default: break;
    }
    if (IS_NUMBER(a) && IS_NUMBER(b))
        return num_compare(a, b, op);
    if (IS_STR(a) && IS_STR(b)) {
        int c;
        switch (op) {
        case CMP_EQ: return tn_bool(str_eq(AS_STR(a), AS_STR(b)));
        case CMP_NE: return tn_bool(!str_eq(AS_STR(a), AS_STR(b)));
        default: c = str_cmp(AS_STR(a), AS_STR(b)); break;
        }
        return tn_bool(op == CMP_LT ? c < 0 : op == CMP_LE ? c <= 0 : op == CMP_GT ? c > 0 : c >= 0);
    }
    return rich_compare(st, a, b, op);
}

int tn_equal(TnState *st, TnValue a, TnValue b)
{
    if (a.tag == V_OBJ && b.tag == V_OBJ && a.u.o == b.u.o)
        return 1;
    if (IS_NUMBER(a) && IS_NUMBER(b))
        return AS_BOOL(num_compare(a, b, CMP_EQ));
    if (IS_STR(a) && IS_STR(b))
        return str_eq(AS_STR(a), AS_STR(b));
    if (a.tag != V_OBJ && b.tag != V_OBJ)
        return identical(a, b);
    TnValue r = rich_compare(st, a, b, CMP_EQ);
    if (IS_UNDEF(r))
        return -1;
    if (IS_BOOL(r))
        return (int)r.u.i;
    int t = tn_truthy(st, r);
    tn_decref(r);
    return t;
}

/* ------------------------------------------------------------ operators */

static bool is_sequence(TnValue v)
{
    return IS_STR(v) || IS_LIST(v) || IS_TUPLE(v);
}

/* Python's TypeError for an operator neither operand supports. */
static TnValue binop_error(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op == OP_ADD && is_sequence(a) && !inplace)
        return tn_raise(st, tn_TypeError, "can only concatenate %s (not \"%s\") to %s",
                        tn_type_name(a), tn_type_name(b), tn_type_name(a));
    if (op == OP_MUL && (is_sequence(a) || is_sequence(b))) {
        TnValue other = is_sequence(a) ? b : a;
        if (!IS_INTLIKE(other))
            return tn_raise(st, tn_TypeError, "can't multiply sequence by non-int of type '%s'",
                            tn_type_name(other));
    }
    return tn_raise(st, tn_TypeError, "unsupported operand type(s) for %s: '%s' and '%s'",
                    inplace ? inplace_names[op] : tn_binop_names[op], tn_type_name(a),
                    tn_type_name(b));
}

static TnValue binop_slow(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    TnType *ta = tn_type_of(a), *tb = tn_type_of(b);
    bool tried_b = false;
    TnValue r;
    if (ta != tb && tb->binop && tn_isinstance_type(tb, ta)) {
        tried_b = true;
        r = tb->binop(st, op, a, b, false);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (ta->binop) {
        r = ta->binop(st, op, a, b, false);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (!tried_b && ta != tb && tb->binop) {
        r = tb->binop(st, op, a, b, false);
        if (!tn_is_notimpl(r))
            return r;
    }
    return binop_error(st, op, a, b, inplace);
}

TnValue tn_binop(TnState *st, int op, TnValue a, TnValue b)
{
    if (IS_NUMBER(a) && IS_NUMBER(b)) {
        TnValue r = num_binop(st, op, a, b);
        return TN_UNLIKELY(tn_is_notimpl(r)) ? binop_error(st, op, a, b, false) : r;
    }
    return binop_slow(st, op, a, b, false);
}

TnValue tn_inplace_binop(TnState *st, int op, TnValue a, TnValue b)
{
    if (IS_NUMBER(a) && IS_NUMBER(b)) {
        TnValue r = num_binop(st, op, a, b);
        return TN_UNLIKELY(tn_is_notimpl(r)) ? binop_error(st, op, a, b, true) : r;
    }
    TnType *ta = tn_type_of(a);
    if (ta->binop) {
        TnValue r = ta->binop(st, op, a, b, true);
        if (!tn_is_notimpl(r))
            return r;
    }
    return binop_slow(st, op, a, b, true);
}

TnValue tn_unop(TnState *st, int op, TnValue a)
{
    if (op == UOP_NOT) {
        int t = tn_truthy(st, a);
        return t < 0 ? tn_undef() : tn_bool(!t);
    }
    TnType *t = tn_type_of(a);
    if (t->unop) {
        TnValue r = t->unop(st, op, a);
        if (!tn_is_notimpl(r))
            return r;
    }
    static const char *const names[] = {"-", "+", "~"};
    return tn_raise(st, tn_TypeError, "bad operand type for unary %s: '%s'", names[op],
                    t->name);
}

/* ------------------------------------------------------------ attributes */

/* Counts changes to any type's attributes and types going away (attr_cache.c's
 * inline caches hold an answer only while it is unchanged). */
uint64_t tn_type_epoch = 1;

/* type_lookup's cache: what a lookup of an interned name on a type found (a value or UNDEF),
 * with the version of the dict of each class on the base chain at that time (0: no dict).
 * Versions are stamps unique over all dicts and all their changes (dict.c), so an entry
 * holds exactly while each class on the chain has the same dict, unchanged: a change to any
 * of them, a dict replaced, or a freed type whose address is reused, is a miss. Attribute reads on instances (module.weight walks Linear, Module and
 * object before reaching the parameter registry) and method calls look types up all the
 * time, and a hit checks a few words instead of hashing into each dict. */
#define LOOKUP_CACHE 1024 /* entries, a power of two */
#define LOOKUP_DEPTH 6    /* longer base chains are not cached */
typedef struct LookupEntry {
    TnType *type;
    TnStr *name;
    TnValue value; /* borrowed from the dict that holds it */
    int depth;
    uint64_t versions[LOOKUP_DEPTH];
} LookupEntry;
static LookupEntry lookup_cache[LOOKUP_CACHE];

static LookupEntry *lookup_slot(TnType *t, TnStr *name)
{
    uintptr_t h = ((uintptr_t)t >> 4) * 31u ^ ((uintptr_t)name >> 4);
    return &lookup_cache[h & (LOOKUP_CACHE - 1)];
}

static bool lookup_valid(const LookupEntry *e, TnType *t, TnStr *name)
{
    if (e->type != t || e->name != name)
        return false;
    int i = 0;
    for (; t; t = t->base, i++)
        if (i == e->depth || (t->dict ? t->dict->version : 0) != e->versions[i])
            return false;
    return i == e->depth;
}

static TnValue lookup_walk(TnType *t, TnStr *name)
{
    for (; t; t = t->base) {
        if (!t->dict)
            continue;
        TnValue v = dict_get_str(t->dict, name);
        if (!IS_UNDEF(v))
            return v;
    }
    return tn_undef();
}

TnValue type_lookup(TnType *t, TnStr *name)
{
    if (!name->interned) /* a string made at run time may be freed and its address reused */
        return lookup_walk(t, name);
    LookupEntry *e = lookup_slot(t, name);
    if (lookup_valid(e, t, name))
        return e->value;
    TnValue v = lookup_walk(t, name);
    int depth = 0;
    TnType *b = t;
    for (; b && depth < LOOKUP_DEPTH; b = b->base, depth++)
        e->versions[depth] = b->dict ? b->dict->version : 0;
    e->type = b ? NULL : t; /* NULL: the chain is too long to cache */
    e->name = name;
    e->value = v;
    e->depth = depth;
    return v;
}

static TnValue bind(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    TnType *dt = tn_type_of(descr);
    if (dt->descr_get)
        return dt->descr_get(st, descr, obj, type);
    return tn_ref(descr);
}

static TnDict *instance_dict(TnValue obj)
{
    if (!IS_OBJ(obj))
        return NULL;
    TnType *t = AS_OBJ(obj)->type;
    if (!(t->flags & TN_TYPE_HAS_DICT))
        return NULL;
    return ((TnInstance *)AS_OBJ(obj))->dict;
}

/* x.__next__ / x.__iter__ for any type with those slots (map, zip, list_iterator...):
 * bound raw natives that call the slot. */
static TnValue slot_next_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                            int nkw)
{
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "expected 0 arguments, got %d", nargs + nkw - 1);
    TnValue r = tn_next(st, args[0]);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc))
        return tn_raise_value(st, tn_ref(tn_obj(tn_StopIteration)));
    return r;
}

static TnValue slot_iter_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                            int nkw)
{
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "expected 0 arguments, got %d", nargs + nkw - 1);
    return tn_iter(st, args[0]);
}

static TnValue slot_len_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                           int nkw)
{
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "expected 0 arguments, got %d", nargs + nkw - 1);
    int64_t n = tn_len(st, args[0]);
    return n < 0 ? tn_undef() : tn_int(n);
}

static TnValue slot_getitem_fn(TnState *st, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    if (nargs != 2 || nkw)
        return tn_raise(st, tn_TypeError, "expected 1 argument, got %d", nargs + nkw - 1);
    return tn_getitem(st, args[0], args[1]);
}

static TnValue slot_contains_fn(TnState *st, const TnValue *args, int nargs,
                                TnStr *const *kwnames, int nkw)
{
    if (nargs != 2 || nkw)
        return tn_raise(st, tn_TypeError, "expected 1 argument, got %d", nargs + nkw - 1);
    int r = tn_contains(st, args[0], args[1]);
    return r < 0 ? tn_undef() : tn_bool(r);
}

static TnValue slot_bool_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                            int nkw)
{
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "expected 0 arguments, got %d", nargs + nkw - 1);
    int r = tn_truthy(st, args[0]);
    return r < 0 ? tn_undef() : tn_bool(r);
}

static TnValue slot_call_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                            int nkw)
{
    return tn_call(st, args[0], args + 1, nargs - 1, kwnames, nkw);
}

static const TnMethodDef slot_next_def = {"__next__", NULL, NULL, slot_next_fn, "Implement next(self)."};
static const TnMethodDef slot_iter_def = {"__iter__", NULL, NULL, slot_iter_fn, "Implement iter(self)."};
static const TnMethodDef slot_len_def = {"__len__", NULL, NULL, slot_len_fn, "Return len(self)."};
static const TnMethodDef slot_getitem_def = {"__getitem__", NULL, NULL, slot_getitem_fn, "Return self[key]."};
static const TnMethodDef slot_contains_def = {"__contains__", NULL, NULL, slot_contains_fn, "Return key in self."};
static const TnMethodDef slot_bool_def = {"__bool__", NULL, NULL, slot_bool_fn, "True if self else False."};
static const TnMethodDef slot_call_def = {"__call__", NULL, NULL, slot_call_fn, "Call self as a function."};

static TnNative *native_alloc(TnState *st, const TnMethodDef *def, TnSig *sig, TnValue self,
                              TnValue owner);

/* The bound slot wrapper for `name`, or UNDEF (no exception) if the type lacks it. */
static TnValue slot_attr(TnState *st, TnValue obj, TnType *t, TnStr *name)
{
    const TnMethodDef *def = NULL;
    if (t->next && strcmp(name->data, "__next__") == 0)
        def = &slot_next_def;
    else if (t->iter && strcmp(name->data, "__iter__") == 0)
        def = &slot_iter_def;
    else if (t->len && strcmp(name->data, "__len__") == 0)
        def = &slot_len_def;
    else if (t->getitem && strcmp(name->data, "__getitem__") == 0)
        def = &slot_getitem_def;
    else if (t->contains && strcmp(name->data, "__contains__") == 0)
        def = &slot_contains_def;
    else if (t->call && strcmp(name->data, "__call__") == 0)
        def = &slot_call_def;
    else if (t->truth && strcmp(name->data, "__bool__") == 0)
        def = &slot_bool_def;
    if (!def)
        return tn_undef();
    TnNative *n = native_alloc(st, def, NULL, obj, tn_undef());
    return n ? tn_obj(n) : tn_undef();
}

/* The generic lookup; raise selects whether a missing attribute raises. */
static TnValue generic_getattr(TnState *st, TnValue obj, TnStr *name, bool raise)
{
    if (IS_TYPE(obj)) {
        TnType *t = AS_TYPE(obj);
        TnValue meta = type_lookup(&tn_type_type, name);
        if (!IS_UNDEF(meta) && tn_type_of(meta)->descr_set)
            return bind(st, meta, obj, &tn_type_type);
        TnValue v = type_lookup(t, name);
        if (!IS_UNDEF(v))
            return bind(st, v, tn_undef(), t);
        if (!IS_UNDEF(meta))
            return bind(st, meta, obj, &tn_type_type);
        if (!raise)
            return tn_undef();
        return tn_raise(st, tn_AttributeError, "type object '%s' has no attribute '%s'", t->name,
                        name->data);
    }
    TnType *t = tn_type_of(obj);
    TnValue descr = type_lookup(t, name);
    if (!IS_UNDEF(descr) && tn_type_of(descr)->descr_set)
        return bind(st, descr, obj, t);
    TnDict *d = instance_dict(obj);
    if (d) {
        TnValue v = dict_get_str(d, name);
        if (!IS_UNDEF(v))
            return tn_ref(v);
    }
    if (!IS_UNDEF(descr))
        return bind(st, descr, obj, t);
    /* a built-in type's slots answer for their dunder methods: hasattr("s", "__len__") */
    if (name->data[0] == '_' &&
        (t->next || t->iter ||
         (!(t->flags & TN_TYPE_HEAP) &&
          (t->len || t->getitem || t->contains || t->call || t->truth)))) {
        TnValue w = slot_attr(st, obj, t, name);
        if (!IS_UNDEF(w) || !IS_UNDEF(st->exc))
            return w;
    }
    if (!raise)
        return tn_undef();
    return tn_raise(st, tn_AttributeError, "'%s%s' object has no attribute '%s'",
                    c_name_prefix(t), t->name, name->data);
}

TnValue tn_generic_getattr(TnState *st, TnValue obj, TnStr *name)
{
    return generic_getattr(st, obj, name, true);
}

TnValue tn_generic_getattr_opt(TnState *st, TnValue obj, TnStr *name)
{
    return generic_getattr(st, obj, name, false);
}

TnValue tn_getattr(TnState *st, TnValue obj, TnStr *name)
{
    TnType *t = tn_type_of(obj);
    if (t->getattr)
        return t->getattr(st, obj, name);
    return generic_getattr(st, obj, name, true);
}

TnValue tn_getattr_opt(TnState *st, TnValue obj, TnStr *name)
{
    TnType *t = tn_type_of(obj);
    if (!t->getattr)
        return generic_getattr(st, obj, name, false);
    TnValue r = t->getattr(st, obj, name);
    if (IS_UNDEF(r) && tn_error_matches(st, tn_AttributeError))
        tn_clear_error(st);
    return r;
}

int tn_generic_setattr(TnState *st, TnValue obj, TnStr *name, TnValue v)
{
    if (IS_TYPE(obj)) {
        TnType *t = AS_TYPE(obj);
        TnValue meta = type_lookup(&tn_type_type, name);
        if (!IS_UNDEF(meta) && tn_type_of(meta)->descr_set)
            return tn_type_of(meta)->descr_set(st, meta, obj, v);
        if (!(t->flags & TN_TYPE_HEAP))
            return tn_raise_int(st, tn_TypeError,
                                "cannot set '%s' attribute of immutable type '%s'", name->data,
                                t->name);
        if (!t->dict) {
            TnValue d = dict_new(st);
            if (IS_UNDEF(d))
                return -1;
            t->dict = AS_DICT(d);
            tn_dict_adopt_type_attrs(t->dict);
        }
        if (!IS_UNDEF(v))
            return dict_set_str(st, t->dict, name, v);
        int r = dict_del(st, t->dict, tn_obj(name));
        if (r == 0)
            return tn_raise_int(st, tn_AttributeError, "type object '%s' has no attribute '%s'",
                                t->name, name->data);
        return r < 0 ? -1 : 0;
    }
    TnType *t = tn_type_of(obj);
    TnValue descr = type_lookup(t, name);
    if (!IS_UNDEF(descr)) {
        TnType *dt = tn_type_of(descr);
        if (dt->descr_set)
            return dt->descr_set(st, descr, obj, v);
    }
    if (IS_OBJ(obj) && (t->flags & TN_TYPE_HAS_DICT)) {
        TnInstance *in = (TnInstance *)AS_OBJ(obj);
        if (!in->dict) {
            TnValue d = dict_new(st);
            if (IS_UNDEF(d))
                return -1;
            in->dict = AS_DICT(d);
        }
        if (!IS_UNDEF(v))
            return dict_set_str(st, in->dict, name, v);
        int r = dict_del(st, in->dict, tn_obj(name));
        if (r == 0)
            return tn_raise_int(st, tn_AttributeError, "'%s' object has no attribute '%s'",
                                t->name, name->data);
        return r < 0 ? -1 : 0;
    }
    return tn_raise_int(st, tn_AttributeError, "'%s' object has no attribute '%s'", t->name,
                        name->data);
}

int tn_setattr(TnState *st, TnValue obj, TnStr *name, TnValue v)
{
    TnType *t = tn_type_of(obj);
    if (t->setattr)
        return t->setattr(st, obj, name, v);
    return tn_generic_setattr(st, obj, name, v);
}

/* ------------------------------------------------------------ calls */

TnValue tn_call(TnState *st, TnValue f, const TnValue *args, int nargs, TnStr *const *kwnames,
                int nkw)
{
    TnType *t = tn_type_of(f);
    if (TN_LIKELY(t->call != NULL))
        return t->call(st, f, args, nargs, kwnames, nkw);
    return tn_raise(st, tn_TypeError, "'%s' object is not callable", t->name);
}

/* Calls f(self, *args, **kw) by building the argument vector on the stack when small. */
static TnValue call_prepended(TnState *st, TnValue f, TnValue self, const TnValue *args,
                              int nargs, TnStr *const *kwnames, int nkw)
{
    TnValue small[16];
    int n = nargs + nkw + 1;
    TnValue *v = n <= 16 ? small : tn_malloc((size_t)n * sizeof(TnValue));
    if (!v)
        return tn_no_memory(st);
    v[0] = self;
    if (n > 1)
        memcpy(v + 1, args, (size_t)(n - 1) * sizeof(TnValue));
    TnValue r = tn_call(st, f, v, nargs + 1, kwnames, nkw);
    if (v != small)
        tn_free(v);
    return r;
}

/* The self_kind of a native's signature (1 for raw natives), parsed or not. */
static int native_self_kind(const TnNative *n)
{
    if (n->sig)
        return n->sig->self_kind;
    return n->def->sig ? sig_text_self_kind(n->def->sig) : 1;
}

/* True if calling descr with self prepended equals calling its binding. */
static bool is_method_descr(TnValue descr)
{
    if (!IS_OBJ(descr))
        return false;
    TnType *dt = AS_OBJ(descr)->type;
    if (dt == &tn_native_type) {
        TnNative *n = (TnNative *)AS_OBJ(descr);
        return IS_UNDEF(n->self) && native_self_kind(n) == 1;
    }
    return (dt->flags & TN_TYPE_METHOD_DESCR) != 0;
}

TnValue tn_call_descr(TnState *st, TnValue descr, TnValue self, const TnValue *args, int nargs,
                      TnStr *const *kwnames, int nkw)
{
    if (is_method_descr(descr))
        return call_prepended(st, descr, self, args, nargs, kwnames, nkw);
    TnValue bound = bind(st, descr, self, tn_type_of(self));
    if (IS_UNDEF(bound))
        return bound;
    TnValue r = tn_call(st, bound, args, nargs, kwnames, nkw);
    tn_decref(bound);
    return r;
}

int tn_get_method(TnState *st, TnValue obj, TnStr *name, TnValue *out)
{
    TnType *t = tn_type_of(obj);
    if (!t->getattr && !IS_TYPE(obj)) {
        TnValue descr = type_lookup(t, name);
        if (is_method_descr(descr)) {
            TnDict *d = instance_dict(obj);
            if (!d || IS_UNDEF(dict_get_str(d, name))) {
                *out = tn_ref(descr);
                return 1;
            }
        }
    }
    *out = tn_getattr(st, obj, name);
    return IS_UNDEF(*out) ? -1 : 0;
}

TnValue tn_call_method(TnState *st, TnValue obj, TnStr *name, const TnValue *args, int nargs)
{
    TnValue m;
    int k = tn_get_method(st, obj, name, &m);
    if (k < 0)
        return tn_undef();
    TnValue r = k ? call_prepended(st, m, obj, args, nargs, NULL, 0)
                  : tn_call(st, m, args, nargs, NULL, 0);
    tn_decref(m);
    return r;
}

/* ------------------------------------------------------------ items, iteration */

TnValue tn_getitem(TnState *st, TnValue obj, TnValue key)
{
    if (IS_LIST(obj) && IS_INT(key)) {
        TnList *l = AS_LIST(obj);
        int64_t i = AS_INT(key);
        if (i < 0)
            i += l->n;
        if ((uint64_t)i < (uint64_t)l->n)
            return tn_ref(l->items[i]);
    }
    TnType *t = tn_type_of(obj);
    if (t->getitem)
        return t->getitem(st, obj, key);
    if (IS_TYPE(obj)) {
        /* list[int] and friends: generic aliases are not modelled; return the class */
        TnValue m = tn_getattr_opt(st, obj, NAME(__class_getitem__));
        if (!IS_UNDEF(m)) {
            TnValue r = tn_call(st, m, &key, 1, NULL, 0);
            tn_decref(m);
            return r;
        }
        if (!IS_UNDEF(st->exc))
            return tn_undef();
        return tn_raise(st, tn_TypeError, "type '%s' is not subscriptable", AS_TYPE(obj)->name);
    }
    return tn_raise(st, tn_TypeError, "'%s' object is not subscriptable", t->name);
}

int tn_setitem(TnState *st, TnValue obj, TnValue key, TnValue v)
{
    TnType *t = tn_type_of(obj);
    if (t->setitem)
        return t->setitem(st, obj, key, v);
    if (t->getitem || IS_STR(obj))
        return tn_raise_int(st, tn_TypeError, "'%s' object does not support item assignment",
                            t->name);
    return tn_raise_int(st, tn_TypeError, "'%s' object does not support item assignment",
                        t->name);
}

int tn_delitem(TnState *st, TnValue obj, TnValue key)
{
    TnType *t = tn_type_of(obj);
    if (t->setitem)
        return t->setitem(st, obj, key, tn_undef());
    if (t->getitem)
        return tn_raise_int(st, tn_TypeError, "'%s' object doesn't support item deletion",
                            t->name);
    return tn_raise_int(st, tn_TypeError, "'%s' object does not support item deletion", t->name);
}

/* Iterator over anything with __getitem__: obj[0], obj[1], ... until IndexError. */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue obj;
    int64_t i;
} SeqIter;

static void seqiter_dealloc(TnObject *o)
{
    tn_decref(((SeqIter *)o)->obj);
    tn_free_object(o);
}

static void seqiter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit(((SeqIter *)o)->obj, visit, arg);
}

static TnValue seqiter_next(TnState *st, TnValue self)
{
    SeqIter *it = (SeqIter *)AS_OBJ(self);
    if (IS_UNDEF(it->obj))
        return tn_undef();
    TnValue r = tn_getitem(st, it->obj, tn_int(it->i));
    if (IS_UNDEF(r)) {
        if (tn_error_matches(st, tn_IndexError) || tn_error_matches(st, tn_StopIteration)) {
            tn_clear_error(st);
            tn_decref(it->obj);
            it->obj = tn_undef();
        }
        return r;
    }
    it->i++;
    return r;
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_seq_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "iterator",
    .dealloc = seqiter_dealloc,
    .traverse = seqiter_traverse,
    .iter = iter_self,
    .next = seqiter_next,
};

TnValue tn_iter(TnState *st, TnValue obj)
{
    TnType *t = tn_type_of(obj);
    if (t->iter) {
        TnValue r = t->iter(st, obj);
        if (!IS_UNDEF(r) && !tn_type_of(r)->next) {
            TnValue bad = r;
            r = tn_raise(st, tn_TypeError, "iter() returned non-iterator of type '%s'",
                         tn_type_name(bad));
            tn_decref(bad);
        }
        return r;
    }
    if (t->getitem && !IS_TYPE(obj)) {
        SeqIter *it = tn_alloc_object(st, &tn_seq_iter_type, sizeof(SeqIter));
        if (!it)
            return tn_undef();
        it->obj = tn_ref(obj);
        return tn_obj(it);
    }
    return tn_raise(st, tn_TypeError, "'%s' object is not iterable", t->name);
}

TnValue tn_next(TnState *st, TnValue it)
{
    TnType *t = tn_type_of(it);
    if (TN_LIKELY(t->next != NULL))
        return t->next(st, it);
    return tn_raise(st, tn_TypeError, "'%s' object is not an iterator", t->name);
}

int64_t tn_len(TnState *st, TnValue obj)
{
    TnType *t = tn_type_of(obj);
    if (t->len)
        return t->len(st, obj);
    return tn_raise_int(st, tn_TypeError, "object of type '%s' has no len()", t->name);
}

int tn_contains(TnState *st, TnValue container, TnValue item)
{
    TnType *t = tn_type_of(container);
    if (t->contains)
        return t->contains(st, container, item);
    if (!t->iter && !(t->getitem && !IS_TYPE(container)))
        return tn_raise_int(st, tn_TypeError, "argument of type '%s' is not iterable", t->name);
    TnValue it = tn_iter(st, container);
    if (IS_UNDEF(it))
        return -1;
    int found = 0;
    TnValue x;
    while (!found && !IS_UNDEF(x = tn_next(st, it))) {
        found = tn_equal(st, x, item);
        tn_decref(x);
        if (found < 0)
            break;
    }
    tn_decref(it);
    if (found < 0 || (!found && !IS_UNDEF(st->exc)))
        return -1;
    return found;
}

/* ------------------------------------------------------------ conversions */

bool tn_has_index(TnValue v)
{
    return IS_INTLIKE(v) || (IS_OBJ(v) && !IS_UNDEF(type_lookup(AS_OBJ(v)->type, NAME(__index__))));
}

int tn_as_index(TnState *st, TnValue v, int64_t *out, const char *what)
{
    if (TN_LIKELY(IS_INTLIKE(v))) {
        *out = AS_INT(v);
        return 0;
    }
    if (IS_OBJ(v)) {
        TnValue m = type_lookup(AS_OBJ(v)->type, NAME(__index__));
        if (!IS_UNDEF(m)) {
            TnValue r = tn_call_descr(st, m, v, NULL, 0, NULL, 0);
            if (IS_UNDEF(r))
                return -1;
            if (!IS_INTLIKE(r)) {
                int rc = tn_raise_int(st, tn_TypeError, "__index__ returned non-int (type %s)",
                                      tn_type_name(r));
                tn_decref(r);
                return rc;
            }
            *out = AS_INT(r);
            return 0;
        }
    }
    if (what)
        return tn_raise_int(st, tn_TypeError, "%s, not %s", what, tn_type_name(v));
    return tn_raise_int(st, tn_TypeError, "'%s' object cannot be interpreted as an integer",
                        tn_type_name(v));
}

int tn_as_double(TnState *st, TnValue v, double *out, const char *what)
{
    if (TN_LIKELY(IS_NUMBER(v))) {
        *out = tn_num_as_double(v);
        return 0;
    }
    if (IS_OBJ(v)) {
        TnType *t = AS_OBJ(v)->type;
        TnValue m = type_lookup(t, NAME(__float__));
        if (IS_UNDEF(m))
            m = type_lookup(t, NAME(__index__));
        if (!IS_UNDEF(m)) {
            TnValue r = tn_call_descr(st, m, v, NULL, 0, NULL, 0);
            if (IS_UNDEF(r))
                return -1;
            if (!IS_NUMBER(r)) {
                int rc = tn_raise_int(st, tn_TypeError, "__float__ returned non-float (type %s)",
                                      tn_type_name(r));
                tn_decref(r);
                return rc;
            }
            *out = tn_num_as_double(r);
            return 0;
        }
    }
    if (what)
        return tn_raise_int(st, tn_TypeError, "%s, not %s", what, tn_type_name(v));
    return tn_raise_int(st, tn_TypeError, "must be real number, not %s", tn_type_name(v));
}

/* ------------------------------------------------------------ native functions */

static TnNative *native_alloc(TnState *st, const TnMethodDef *def, TnSig *sig, TnValue self,
                              TnValue owner)
{
    TnNative *n = tn_alloc_object(st, &tn_native_type, sizeof(TnNative));
    if (!n)
        return NULL;
    n->def = def;
    n->sig = sig;
    n->self = tn_ref(self);
    n->owner = tn_ref(owner);
    return n;
}

/* The signature is parsed when the native is first called or bound, not here:
 * start-up makes over a thousand natives and most programs call few of them. */
TnValue native_new(TnState *st, const TnMethodDef *def, TnValue owner)
{
    /* Only static types are kept as owner: a namespace or heap class holding its
     * natives in its dict would otherwise form a reference cycle. */
    bool type_owner = IS_TYPE(owner) && !(AS_TYPE(owner)->flags & TN_TYPE_HEAP);
    TnNative *n = native_alloc(st, def, NULL, tn_undef(), type_owner ? owner : tn_undef());
    return n ? tn_obj(n) : tn_undef();
}

/* n's parsed signature, parsing (and caching in n) on first use; NULL with
 * MemoryError raised. Only for natives with a signature text. */
static TnSig *native_sig(TnState *st, TnNative *n)
{
    if (TN_LIKELY(n->sig))
        return n->sig;
    n->sig = sig_for_def(n->def, IS_TYPE(n->owner) ? AS_TYPE(n->owner)->name : NULL);
    if (!n->sig)
        tn_raise(st, tn_MemoryError, "cannot parse the signature of %s", n->def->name);
    return n->sig;
}

TnSig *tn_native_sig(TnState *st, TnNative *n)
{
    return n->def->sig ? native_sig(st, n) : NULL;
}

static void native_dealloc(TnObject *o)
{
    TnNative *n = (TnNative *)o;
    tn_decref(n->self);
    tn_decref(n->owner);
    tn_free_object(o);
}

static void native_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnNative *n = (TnNative *)o;
    tn_visit(n->self, visit, arg);
    tn_visit(n->owner, visit, arg);
}

/* An unbound method descriptor called as list.append(x, ...): checks x's type. */
static int check_unbound_self(TnState *st, TnNative *n, const TnValue *args, int nargs)
{
    if (!IS_TYPE(n->owner))
        return 0;
    TnType *owner = AS_TYPE(n->owner);
    if (nargs < 1)
        return tn_raise_int(st, tn_TypeError, "unbound method %s.%s() needs an argument",
                            owner->name, n->def->name);
    if (!tn_isinstance_type(tn_type_of(args[0]), owner))
        return tn_raise_int(st, tn_TypeError,
                            "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                            n->def->name, owner->name, tn_type_name(args[0]));
    return 0;
}

static TnValue native_call(TnState *st, TnValue f, const TnValue *args, int nargs,
                           TnStr *const *kwnames, int nkw)
{
    TnNative *n = (TnNative *)AS_OBJ(f);
    if (!n->def->sig) {
        if (IS_UNDEF(n->self)) {
            if (IS_TYPE(n->owner) && check_unbound_self(st, n, args, nargs) < 0)
                return tn_undef();
            return n->def->raw(st, args, nargs, kwnames, nkw);
        }
        TnValue small[16];
        int total = nargs + nkw + 1;
        TnValue *v = total <= 16 ? small : tn_malloc((size_t)total * sizeof(TnValue));
        if (!v)
            return tn_no_memory(st);
        v[0] = n->self;
        if (total > 1)
            memcpy(v + 1, args, (size_t)(total - 1) * sizeof(TnValue));
        TnValue r = n->def->raw(st, v, nargs + 1, kwnames, nkw);
        if (v != small)
            tn_free(v);
        return r;
    }
    TnSig *sig = native_sig(st, n);
    if (!sig)
        return tn_undef();
    if (IS_UNDEF(n->self) && sig->self_kind == 1 && check_unbound_self(st, n, args, nargs) < 0)
        return tn_undef();
    TnValue slots[TN_SIG_MAX];
    if (sig_bind(st, sig, n->self, args, nargs, kwnames, nkw, slots) < 0)
        return tn_undef();
    TnValue r = n->def->fn(st, slots);
    if (!sig->simple)
        sig_release(sig, slots);
    return r;
}

static TnValue native_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    TnNative *n = (TnNative *)AS_OBJ(descr);
    if (!IS_UNDEF(n->self))
        return tn_ref(descr);
    /* parsed now so the bound copies made per access share it */
    if (n->def->sig && !native_sig(st, n))
        return tn_undef();
    int kind = n->sig ? n->sig->self_kind : 1;
    if (kind == 0 || (kind == 1 && IS_UNDEF(obj)))
        return tn_ref(descr);
    TnValue self = obj;
    if (kind == 2)
        self = tn_obj(type ? type : tn_type_of(obj));
    TnNative *b = native_alloc(st, n->def, n->sig, self, n->owner);
    return b ? tn_obj(b) : tn_undef();
}

static TnValue native_repr(TnState *st, TnValue self)
{
    TnNative *n = (TnNative *)AS_OBJ(self);
    if (!IS_UNDEF(n->self)) {
        TnValue s = n->self;
        if (IS_OBJ(s))
            return tn_str_fmt(st, "<built-in method %s of %s object at %p>", n->def->name,
                              tn_type_name(s), (void *)AS_OBJ(s));
        return tn_str_fmt(st, "<built-in method %s of %s object>", n->def->name,
                          tn_type_name(s));
    }
    if (IS_TYPE(n->owner) && native_self_kind(n) == 1)
        return tn_str_fmt(st, "<method '%s' of '%s' objects>", n->def->name,
                          AS_TYPE(n->owner)->name);
    return tn_str_fmt(st, "<built-in function %s>", n->def->name);
}

static TnValue native_get_name(TnState *st, TnValue self)
{
    return tn_str(st, ((TnNative *)AS_OBJ(self))->def->name);
}

static TnValue native_get_qualname(TnState *st, TnValue self)
{
    TnNative *n = (TnNative *)AS_OBJ(self);
    if (IS_TYPE(n->owner))
        return tn_str_fmt(st, "%s.%s", AS_TYPE(n->owner)->name, n->def->name);
    return tn_str(st, n->def->name);
}

static TnValue native_get_doc(TnState *st, TnValue self)
{
    TnNative *n = (TnNative *)AS_OBJ(self);
    return n->def->doc ? tn_str(st, n->def->doc) : tn_none();
}

static TnValue native_get_self(TnState *st, TnValue self)
{
    TnNative *n = (TnNative *)AS_OBJ(self);
    return IS_UNDEF(n->self) ? tn_none() : tn_ref(n->self);
}

static TnValue native_get_sig(TnState *st, TnValue self)
{
    TnNative *n = (TnNative *)AS_OBJ(self);
    return n->def->sig ? tn_str(st, n->def->sig) : tn_none();
}

static const TnGetSetDef native_getset[] = {
    {"__name__", native_get_name, NULL, NULL},
    {"__qualname__", native_get_qualname, NULL, NULL},
    {"__doc__", native_get_doc, NULL, NULL},
    {"__self__", native_get_self, NULL, NULL},
    {"__text_signature__", native_get_sig, NULL, NULL},
    {NULL},
};

TnType tn_native_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "builtin_function_or_method",
    .dealloc = native_dealloc,
    .traverse = native_traverse,
    .repr = native_repr,
    .call = native_call,
    .descr_get = native_descr_get,
    .getset = native_getset,
};

/* ------------------------------------------------------------ getset descriptors */

typedef struct {
    TN_OBJECT_HEAD;
    const TnGetSetDef *def;
    TnType *owner;
} GetSetDescr;

static TnValue getset_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    GetSetDescr *g = (GetSetDescr *)AS_OBJ(descr);
    if (IS_UNDEF(obj))
        return tn_ref(descr);
    if (!tn_isinstance_type(tn_type_of(obj), g->owner))
        return tn_raise(st, tn_TypeError,
                        "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                        g->def->name, g->owner->name, tn_type_name(obj));
    return g->def->get(st, obj);
}

static int getset_set(TnState *st, TnValue descr, TnValue obj, TnValue v)
{
    GetSetDescr *g = (GetSetDescr *)AS_OBJ(descr);
    if (!g->def->set) {
        if (IS_UNDEF(v))
            return tn_raise_int(st, tn_AttributeError,
                                "attribute '%s' of '%s' objects is not writable", g->def->name,
                                g->owner->name);
        return tn_raise_int(st, tn_AttributeError, "attribute '%s' of '%s' objects is not writable",
                            g->def->name, g->owner->name);
    }
    return g->def->set(st, obj, v);
}

static TnValue getset_repr(TnState *st, TnValue self)
{
    GetSetDescr *g = (GetSetDescr *)AS_OBJ(self);
    return tn_str_fmt(st, "<attribute '%s' of '%s' objects>", g->def->name, g->owner->name);
}

TnType tn_getset_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "getset_descriptor",
    .repr = getset_repr,
    .descr_get = getset_get,
    .descr_set = getset_set,
};

/* ------------------------------------------------------------ type readiness */

/* Static types readied so far, whose dicts types_fini releases. */
static TnType **ready_types;
static int64_t nready, capready;

int type_ready(TnState *st, TnType *t)
{
    if (t->head.type == NULL)
        t->head.type = &tn_type_type;
    if (t->head.refcnt == 0)
        t->head.refcnt = TN_IMMORTAL;
    if (!t->base && t != &tn_object_type)
        t->base = &tn_object_type;
    if (!t->name_str) {
        t->name_str = str_intern(t->name);
        if (!t->name_str) {
            (void)tn_no_memory(st);
            return -1;
        }
        if (t->flags & TN_TYPE_HEAP)
            tn_obj_incref(t->name_str);
    }
    if (!t->dict) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return -1;
        t->dict = AS_DICT(d);
    }
    tn_dict_adopt_type_attrs(t->dict);
    for (const TnMethodDef *m = t->methods; m && m->name; m++) {
        TnValue f = native_new(st, m, tn_obj(t));
        if (IS_UNDEF(f))
            return -1;
        TnStr *name = str_intern(m->name);
        int rc = name ? dict_set_str(st, t->dict, name, f) : -1;
        tn_decref(f);
        if (rc < 0)
            return name ? -1 : (tn_no_memory(st), -1);
    }
    for (const TnGetSetDef *g = t->getset; g && g->name; g++) {
        GetSetDescr *d = tn_alloc_object(st, &tn_getset_type, sizeof(GetSetDescr));
        if (!d)
            return -1;
        d->def = g;
        d->owner = t;
        TnStr *name = str_intern(g->name);
        int rc = name ? dict_set_str(st, t->dict, name, tn_obj(d)) : -1;
        tn_obj_decref(d);
        if (rc < 0)
            return name ? -1 : (tn_no_memory(st), -1);
    }
    if (!(t->flags & TN_TYPE_HEAP)) {
        if (nready == capready) {
            int64_t ncap = capready ? capready * 2 : 64;
            TnType **nt = tn_realloc(ready_types, (size_t)ncap * sizeof(TnType *));
            if (!nt) {
                (void)tn_no_memory(st);
                return -1;
            }
            ready_types = nt;
            capready = ncap;
        }
        ready_types[nready++] = t;
    }
    return 0;
}

/* ------------------------------------------------------------ the `type` type */

static TnValue type_repr(TnState *st, TnValue self)
{
    TnType *t = AS_TYPE(self);
    const char *mod = type_module(t);
    if (strcmp(mod, "builtins") == 0)
        return tn_str_fmt(st, "<class '%s'>", t->name);
    return tn_str_fmt(st, "<class '%s.%s'>", mod, t->name);
}

static TnValue object_init_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                              int nkw);

static bool is_object_init(TnValue v)
{
    return IS_NATIVE(v) && ((TnNative *)AS_OBJ(v))->def->raw == object_init_fn;
}

/* Builds an instance of class t through its built-in base b's constructor. Only some
 * constructors (list, dict) make instances of a subclass; for the others (str, int,
 * tuple, ...) the result would silently lose the class, so that is an error. */
static TnValue construct_subclass(TnState *st, TnType *t, TnType *b, const TnValue *args,
                                  int nargs, TnStr *const *kwnames, int nkw)
{
    TnValue r = b->construct(st, t, args, nargs, kwnames, nkw);
    if (IS_UNDEF(r) || (IS_OBJ(r) && AS_OBJ(r)->type == t))
        return r;
    tn_decref(r);
    return tn_raise(st, tn_TypeError, "cannot create '%s' instances: tn cannot subclass '%s'",
                    t->name, b->name);
}

static TnValue type_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                         TnStr *const *kwnames, int nkw)
{
    TnType *t = AS_TYPE(self);
    if (t == &tn_type_type) {
        if (nargs == 1 && nkw == 0)
            return tn_ref(tn_obj(tn_type_of(args[0])));
        return tn_raise(st, tn_TypeError, "type() takes 1 or 3 arguments");
    }
    if (t->construct)
        return t->construct(st, t, args, nargs, kwnames, nkw);
    TnValue (*alloc)(TnState *, TnType *) = NULL;
    for (TnType *b = t; b && !alloc; b = b->base)
        alloc = b->alloc;
    if (!alloc)
        return tn_raise(st, tn_TypeError, "cannot create '%s' instances", t->name);
    TnValue init = type_lookup(t, NAME(__init__));
    if (IS_UNDEF(init) || is_object_init(init)) {
        /* a class over list, dict, ... without an __init__ of its own is built by the
         * built-in base's constructor, as `class Stack(list)` then `Stack([1, 2])` is */
        for (TnType *b = t->base; b; b = b->base)
            if (b->construct && !(b->flags & TN_TYPE_HEAP))
                return construct_subclass(st, t, b, args, nargs, kwnames, nkw);
        if (nargs || nkw)
            return tn_raise(st, tn_TypeError, "%s() takes no arguments", t->name);
    }
    TnValue obj = alloc(st, t);
    if (IS_UNDEF(obj) || IS_UNDEF(init) || is_object_init(init))
        return obj;
    if (nargs && exc_is_exception_value(obj) && exc_set_new_args(st, obj, args, nargs) < 0) {
        tn_decref(obj);
        return tn_undef();
    }
    tn_incref(init); /* the call may rebind __init__ in the class dict */
    TnValue r = tn_call_descr(st, init, obj, args, nargs, kwnames, nkw);
    tn_decref(init);
    if (IS_UNDEF(r)) {
        tn_decref(obj);
        return r;
    }
    if (!IS_NONE(r)) {
        tn_raise(st, tn_TypeError, "__init__() should return None, not '%s'", tn_type_name(r));
        tn_decref(r);
        tn_decref(obj);
        return tn_undef();
    }
    return obj;
}

static void type_dealloc(TnObject *o)
{
    TnType *t = (TnType *)o;
    tn_type_epoch++; /* a new type may get this address */
    if (t->flags & TN_TYPE_HEAP) {
        tn_obj_decref(t->dict);
        tn_obj_decref(t->name_str);
        tn_decref(t->doc);
        if (t->base)
            tn_obj_decref(t->base);
        tn_free_object(o);
    }
}

/* Only classes made at run time are tracked (tn_gc_is); their clear is their dict's. */
static void type_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnType *t = (TnType *)o;
    tn_visit_obj(t->dict, visit, arg);
    tn_visit(t->doc, visit, arg);
    tn_visit_obj(t->base, visit, arg);
}

static TnValue type_get_name(TnState *st, TnValue self)
{
    TnType *t = AS_TYPE(self);
    if (t->name_str) {
        tn_obj_incref(t->name_str);
        return tn_obj(t->name_str);
    }
    return tn_str(st, t->name);
}

static int type_set_name(TnState *st, TnValue self, TnValue v)
{
    TnType *t = AS_TYPE(self);
    if (!(t->flags & TN_TYPE_HEAP))
        return tn_raise_int(st, tn_TypeError, "cannot set '__name__' attribute of immutable type '%s'",
                            t->name);
    if (!IS_STR(v))
        return tn_raise_int(st, tn_TypeError, "can only assign string to %s.__name__, not '%s'",
                            t->name, tn_type_name(v));
    tn_incref(v);
    tn_obj_decref(t->name_str);
    t->name_str = AS_STR(v);
    t->name = t->name_str->data;
    return 0;
}

static TnValue type_get_module(TnState *st, TnValue self)
{
    return tn_str(st, type_module(AS_TYPE(self)));
}

static TnValue type_get_base(TnState *st, TnValue self)
{
    TnType *b = AS_TYPE(self)->base;
    return b ? tn_ref(tn_obj(b)) : tn_none();
}

static TnValue type_get_bases(TnState *st, TnValue self)
{
    TnType *b = AS_TYPE(self)->base;
    if (!b)
        return tuple_new(st, 0);
    return tuple_pack(st, 1, tn_obj(b));
}

static TnValue type_get_mro(TnState *st, TnValue self)
{
    int64_t n = 0;
    for (TnType *t = AS_TYPE(self); t; t = t->base)
        n++;
    TnValue r = tuple_new(st, n);
    if (IS_UNDEF(r))
        return r;
    int64_t i = 0;
    for (TnType *t = AS_TYPE(self); t; t = t->base)
        tuple_set(r, i++, tn_ref(tn_obj(t)));
    return r;
}

static TnValue type_get_doc(TnState *st, TnValue self)
{
    TnType *t = AS_TYPE(self);
    if (!IS_UNDEF(t->doc))
        return tn_ref(t->doc);
    return tn_none();
}

static int type_set_doc(TnState *st, TnValue self, TnValue v)
{
    TnType *t = AS_TYPE(self);
    if (!(t->flags & TN_TYPE_HEAP))
        return tn_raise_int(st, tn_TypeError, "cannot set '__doc__' attribute of immutable type '%s'",
                            t->name);
    tn_incref(v);
    tn_decref(t->doc);
    t->doc = v;
    return 0;
}

static TnValue type_get_dict(TnState *st, TnValue self)
{
    TnType *t = AS_TYPE(self);
    if (!t->dict)
        return dict_new(st);
    return dict_copy(st, t->dict);
}

static TnValue type_mro(TnState *st, TnValue *a)
{
    TnValue t = type_get_mro(st, a[0]);
    if (IS_UNDEF(t))
        return t;
    TnValue l = list_from_array(st, AS_TUPLE(t)->items, AS_TUPLE(t)->n);
    tn_decref(t);
    return l;
}

static TnValue type_subclasscheck(TnState *st, TnValue *a)
{
    if (!IS_TYPE(a[1]))
        return tn_raise(st, tn_TypeError, "issubclass() arg 1 must be a class");
    return tn_bool(tn_isinstance_type(AS_TYPE(a[1]), AS_TYPE(a[0])));
}

static TnValue type_instancecheck(TnState *st, TnValue *a)
{
    return tn_bool(tn_isinstance_type(tn_type_of(a[1]), AS_TYPE(a[0])));
}

static const TnGetSetDef type_getset[] = {
    {"__name__", type_get_name, type_set_name, NULL},
    {"__qualname__", type_get_name, type_set_name, NULL},
    {"__module__", type_get_module, NULL, NULL},
    {"__base__", type_get_base, NULL, NULL},
    {"__bases__", type_get_bases, NULL, NULL},
    {"__mro__", type_get_mro, NULL, NULL},
    {"__doc__", type_get_doc, type_set_doc, NULL},
    {"__dict__", type_get_dict, NULL, NULL},
    {NULL},
};

static const TnMethodDef type_methods[] = {
    {"mro", type_mro, "mro(self, /)", NULL, "Return a type's method resolution order."},
    {"__subclasscheck__", type_subclasscheck, "__subclasscheck__(self, subclass, /)", NULL, "Check if a class is a subclass (including for virtual subclasses)."},
    {"__instancecheck__", type_instancecheck, "__instancecheck__(self, instance, /)", NULL, "Check if an object is an instance."},
    {NULL},
};

TnType tn_type_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "type",
    .flags = TN_TYPE_BASETYPE,
    .dealloc = type_dealloc,
    .traverse = type_traverse,
    .repr = type_repr,
    .call = type_call,
    .getset = type_getset,
    .methods = type_methods,
};

/* ------------------------------------------------------------ the `object` type */

static TnValue object_alloc(TnState *st, TnType *type)
{
    TnInstance *o = tn_alloc_object(st, type, sizeof(TnInstance));
    if (!o)
        return tn_undef();
    if (type->flags & TN_TYPE_HAS_DICT) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d)) {
            tn_obj_decref(o);
            return d;
        }
        o->dict = AS_DICT(d);
    }
    return tn_obj(o);
}

static void object_dealloc(TnObject *o)
{
    TnInstance *in = (TnInstance *)o;
    tn_obj_decref(in->dict);
    tn_free_object(o);
}

/* No clear slot: cycles through an instance go through its dict, whose clear breaks them. */
static void object_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((TnInstance *)o)->dict, visit, arg);
}

static TnValue object_init_fn(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                              int nkw)
{
    if (nargs > 1 || nkw > 0)
        return tn_raise(st, tn_TypeError,
                        "%s.__init__() takes exactly one argument (the instance to initialize)",
                        tn_type_name(args[0]));
    return tn_none();
}

static TnValue object_m_repr(TnState *st, TnValue *a)
{
    return tn_default_repr(st, a[0]);
}
static TnValue object_m_str(TnState *st, TnValue *a)
{
    return tn_repr(st, a[0]);
}
static TnValue object_m_eq(TnState *st, TnValue *a)
{
    return identical(a[0], a[1]) ? tn_bool(true) : tn_notimpl();
}
static TnValue object_m_ne(TnState *st, TnValue *a)
{
    TnType *t = tn_type_of(a[0]);
    if (!t->richcmp)
        return identical(a[0], a[1]) ? tn_bool(false) : tn_notimpl();
    TnValue r = t->richcmp(st, a[0], a[1], CMP_EQ);
    if (IS_UNDEF(r) || tn_is_notimpl(r))
        return r;
    int tr = tn_truthy(st, r);
    tn_decref(r);
    return tr < 0 ? tn_undef() : tn_bool(!tr);
}
static TnValue object_m_cmp(TnState *st, TnValue *a)
{
    return tn_notimpl();
}
static TnValue object_m_hash(TnState *st, TnValue *a)
{
    uint64_t h;
    if (IS_OBJ(a[0]))
        h = identity_hash(AS_OBJ(a[0]));
    else if (tn_hash(st, a[0], &h) < 0)
        return tn_undef();
    return tn_int((int64_t)h);
}
static TnValue object_m_format(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "__format__() argument must be str, not %s",
                        tn_type_name(a[1]));
    if (AS_STR(a[1])->len)
        return tn_raise(st, tn_TypeError, "unsupported format string passed to %s.__format__",
                        tn_type_name(a[0]));
    return tn_to_str(st, a[0]);
}
static TnValue object_m_getattribute(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    return tn_generic_getattr(st, a[0], AS_STR(a[1]));
}
static TnValue object_m_setattr(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    return tn_generic_setattr(st, a[0], AS_STR(a[1]), a[2]) < 0 ? tn_undef() : tn_none();
}
static TnValue object_m_delattr(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    return tn_generic_setattr(st, a[0], AS_STR(a[1]), tn_undef()) < 0 ? tn_undef() : tn_none();
}
static TnValue object_m_init_subclass(TnState *st, TnValue *a)
{
    return tn_none();
}

static TnValue object_get_class(TnState *st, TnValue self)
{
    return tn_ref(tn_obj(tn_type_of(self)));
}
static TnValue object_get_dict(TnState *st, TnValue self)
{
    if (IS_TYPE(self))
        return type_get_dict(st, self);
    TnType *t = tn_type_of(self);
    if (!IS_OBJ(self) || !(t->flags & TN_TYPE_HAS_DICT))
        return tn_raise(st, tn_AttributeError, "'%s' object has no attribute '__dict__'", t->name);
    TnInstance *in = (TnInstance *)AS_OBJ(self);
    if (!in->dict) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return d;
        in->dict = AS_DICT(d);
    }
    tn_obj_incref(in->dict);
    return tn_obj(in->dict);
}
static TnValue object_get_doc(TnState *st, TnValue self)
{
    TnType *t = tn_type_of(self);
    return IS_UNDEF(t->doc) ? tn_none() : tn_ref(t->doc);
}

static const TnMethodDef object_methods[] = {
    {"__init__", NULL, NULL, object_init_fn, "Initialize self.  See help(type(self)) for accurate signature."},
    {"__repr__", object_m_repr, "__repr__(self, /)", NULL, "Return repr(self)."},
    {"__str__", object_m_str, "__str__(self, /)", NULL, "Return str(self)."},
    {"__eq__", object_m_eq, "__eq__(self, value, /)", NULL, "Return self==value."},
    {"__ne__", object_m_ne, "__ne__(self, value, /)", NULL, "Return self!=value."},
    {"__lt__", object_m_cmp, "__lt__(self, value, /)", NULL, "Return self<value."},
    {"__le__", object_m_cmp, "__le__(self, value, /)", NULL, "Return self<=value."},
    {"__gt__", object_m_cmp, "__gt__(self, value, /)", NULL, "Return self>value."},
    {"__ge__", object_m_cmp, "__ge__(self, value, /)", NULL, "Return self>=value."},
    {"__hash__", object_m_hash, "__hash__(self, /)", NULL, "Return hash(self)."},
    {"__format__", object_m_format, "__format__(self, format_spec, /)", NULL, "Default object formatter."},
    {"__getattribute__", object_m_getattribute, "__getattribute__(self, name, /)", NULL, "Return getattr(self, name)."},
    {"__setattr__", object_m_setattr, "__setattr__(self, name, value, /)", NULL, "Implement setattr(self, name, value)."},
    {"__delattr__", object_m_delattr, "__delattr__(self, name, /)", NULL, "Implement delattr(self, name)."},
    {"__init_subclass__", object_m_init_subclass, "__init_subclass__(cls, /)", NULL, "This method is called when a class is subclassed."},
    {NULL},
};

static const TnGetSetDef object_getset[] = {
    {"__class__", object_get_class, NULL, NULL},
    {"__dict__", object_get_dict, NULL, NULL},
    {"__doc__", object_get_doc, NULL, NULL},
    {NULL},
};

TnType tn_object_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "object",
    .flags = TN_TYPE_BASETYPE,
    .alloc = object_alloc,
    .dealloc = object_dealloc,
    .traverse = object_traverse,
    .methods = object_methods,
    .getset = object_getset,
};

TnValue tn_object_init_native(void)
{
    return type_lookup(&tn_object_type, NAME(__init__));
}

/* ------------------------------------------------------------ startup, shutdown */

/* Every static type of the object model, readied in this order. */
static TnType *const model_types[] = {
    &tn_object_type, &tn_type_type, &tn_native_type, &tn_getset_type, &tn_notimpl_type,
    &tn_ellipsis_type, &tn_none_type, &tn_bool_type, &tn_int_type, &tn_float_type, &tn_str_type,
    &tn_str_iter_type, &tn_tuple_type, &tn_tuple_iter_type, &tn_list_type, &tn_list_iter_type,
    &tn_dict_type, &tn_ordereddict_type, &tn_dict_keyiter_type, &tn_dict_valueiter_type,
    &tn_dict_itemiter_type, &tn_dict_keys_type, &tn_dict_values_type, &tn_dict_items_type,
    &tn_set_type, &tn_frozenset_type, &tn_set_iter_type, &tn_range_type, &tn_range_iter_type,
    &tn_slice_type, &tn_seq_iter_type, &tn_namespace_type,
};

extern void str_intern_fini(void);
extern void tuple_fini(void);

int types_init(TnState *st)
{
    for (size_t i = 0; i < sizeof model_types / sizeof model_types[0]; i++)
        if (type_ready(st, model_types[i]) < 0)
            return -1;
    TnValue m = tn_str(st, "collections");
    if (IS_UNDEF(m))
        return -1;
    int rc = dict_set_str(st, tn_ordereddict_type.dict, NAME(__module__), m);
    tn_decref(m);
    return rc;
}

void types_fini(void)
{
    for (int64_t i = nready - 1; i >= 0; i--) {
        TnDict *d = ready_types[i]->dict;
        ready_types[i]->dict = NULL;
        tn_obj_decref(d);
    }
    tn_free(ready_types);
    ready_types = NULL;
    nready = capready = 0;
    tuple_fini();
    sig_fini();
    tn_free(repr_stack);
    repr_stack = NULL;
    repr_n = repr_cap = 0;
    str_intern_fini();
}
