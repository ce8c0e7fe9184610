/* tuple.c: the immutable sequence, its hash (CPython's xxHash-based one), and shared sequence helpers.
 *
 * The empty tuple is a shared object. seq_compare (lexicographic comparison of
 * two item arrays) and seq_repr are used by list.c as well.
 */
#include "sig.h"
#include "types.h"
#include <string.h>

static TnTuple *empty_tuple;

TnValue tuple_empty(TnState *st)
{
    if (!empty_tuple) {
        empty_tuple = tn_alloc_object(st, &tn_tuple_type, sizeof(TnTuple));
        if (!empty_tuple)
            return tn_undef();
    }
    tn_obj_incref(empty_tuple);
    return tn_obj(empty_tuple);
}

/* Always a fresh object, even for n == 0: callers may retype it (torch.Size). */
TnValue tuple_new(TnState *st, int64_t n)
{
    if (n < 0 || (uint64_t)n > (SIZE_MAX - sizeof(TnTuple)) / sizeof(TnValue))
        return tn_no_memory(st);
    TnTuple *t = tn_alloc_object(st, &tn_tuple_type, sizeof(TnTuple) + (size_t)n * sizeof(TnValue));
    if (!t)
        return tn_undef();
    t->n = n;
    for (int64_t i = 0; i < n; i++)
        t->items[i] = tn_none();
    return tn_obj(t);
}

void tuple_fini(void)
{
    tn_obj_decref(empty_tuple);
    empty_tuple = NULL;
}

TnValue tuple_from_array(TnState *st, const TnValue *items, int64_t n)
{
    TnValue t = tuple_new(st, n);
    if (IS_UNDEF(t))
        return t;
    for (int64_t i = 0; i < n; i++)
        AS_TUPLE(t)->items[i] = tn_ref(items[i]);
    return t;
}

TnValue tuple_pack(TnState *st, int n, ...)
{
    TnValue t = tuple_new(st, n);
    if (IS_UNDEF(t))
        return t;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        AS_TUPLE(t)->items[i] = tn_ref(va_arg(ap, TnValue));
    va_end(ap);
    return t;
}

TnValue tuple_from_iterable(TnState *st, TnValue iterable)
{
    if (IS_TUPLE(iterable))
        return tn_ref(iterable);
    if (IS_LIST(iterable))
        return tuple_from_array(st, AS_LIST(iterable)->items, AS_LIST(iterable)->n);
    TnValue l = list_from_iterable(st, iterable);
    if (IS_UNDEF(l))
        return l;
    TnValue t = tuple_from_array(st, AS_LIST(l)->items, AS_LIST(l)->n);
    tn_decref(l);
    return t;
}

bool tn_seq_items(TnValue v, TnValue **items, int64_t *n)
{
    if (IS_TUPLE(v)) {
        *items = AS_TUPLE(v)->items;
        *n = AS_TUPLE(v)->n;
        return true;
    }
    if (IS_LIST(v)) {
        *items = AS_LIST(v)->items;
        *n = AS_LIST(v)->n;
        return true;
    }
    return false;
}

static void tuple_dealloc(TnObject *o)
{
    TnTuple *t = (TnTuple *)o;
    for (int64_t i = 0; i < t->n; i++)
        tn_decref(t->items[i]);
    tn_free_object(o);
}

/* No clear slot: a tuple cannot be changed to refer to itself, so every cycle
 * through one also goes through a mutable object whose clear breaks it. */
void tuple_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnTuple *t = (TnTuple *)o;
    for (int64_t i = 0; i < t->n; i++)
        tn_visit(t->items[i], visit, arg);
}

/* ------------------------------------------------------------ shared sequence helpers */

/* Lexicographic comparison of two item arrays (items may change under user __eq__:
 * the lengths are re-read through the pointers). */
TnValue seq_compare(TnState *st, TnValue *const *pa, const int64_t *na, TnValue *const *pb,
                    const int64_t *nb, int op)
{
    if ((op == CMP_EQ || op == CMP_NE) && *na != *nb)
        return tn_bool(op == CMP_NE);
    if (tn_recursion_enter(st, " in comparison") < 0)
        return tn_undef();
    int64_t i = 0;
    for (; i < *na && i < *nb; i++) {
        TnValue x = tn_ref((*pa)[i]), y = tn_ref((*pb)[i]);
        int eq = tn_equal(st, x, y);
        if (eq < 0 || !eq) {
            TnValue r = tn_undef();
            if (eq == 0)
                r = op == CMP_EQ ? tn_bool(false) : op == CMP_NE ? tn_bool(true)
                                                                 : tn_compare(st, x, y, op);
            tn_decref(x);
            tn_decref(y);
            tn_recursion_leave(st);
            return r;
        }
        tn_decref(x);
        tn_decref(y);
    }
    tn_recursion_leave(st);
    int64_t a = *na, b = *nb;
    switch (op) {
    case CMP_LT: return tn_bool(a < b);
    case CMP_LE: return tn_bool(a <= b);
    case CMP_EQ: return tn_bool(a == b);
    case CMP_NE: return tn_bool(a != b);
    case CMP_GT: return tn_bool(a > b);
    default: return tn_bool(a >= b);
    }
}

/* repr of items between open/close; one-element tuples get a trailing comma. */
TnValue seq_repr(TnState *st, TnValue self, TnValue *const *items, const int64_t *n,
                 const char *open, const char *close, bool tuple)
{
    if (*n == 0)
        return tn_str_fmt(st, "%s%s", open, close);
    int g = repr_enter(st, self);
    if (g < 0)
        return tn_undef();
    if (g > 0)
        return tn_str_fmt(st, "%s...%s", open, close);
    TnBuf b = {0};
    bool ok = buf_puts(&b, open);
    for (int64_t i = 0; ok && i < *n; i++) {
        if (i > 0 && !buf_puts(&b, ", ")) {
            ok = false;
            break;
        }
        TnValue x = tn_ref((*items)[i]);
        TnValue r = tn_repr(st, x);
        tn_decref(x);
        if (IS_UNDEF(r)) {
            repr_leave(self);
            buf_free(&b);
            return r;
        }
        ok = buf_putn(&b, AS_STR(r)->data, (size_t)AS_STR(r)->len);
        tn_decref(r);
    }
    ok = ok && (!tuple || *n != 1 || buf_putc(&b, ',')) && buf_puts(&b, close);
    repr_leave(self);
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

/* Index of value in items[start:stop] or -1 (-2 on error). */
int64_t seq_index(TnState *st, TnValue *const *items, const int64_t *n, TnValue v, int64_t start,
                  int64_t stop)
{
    if (start < 0 && (start += *n) < 0)
        start = 0;
    if (stop < 0 && (stop += *n) < 0)
        stop = 0;
    for (int64_t i = start; i < stop && i < *n; i++) {
        TnValue x = tn_ref((*items)[i]);
        int eq = tn_equal(st, x, v);
        tn_decref(x);
        if (eq < 0)
            return -2;
        if (eq)
            return i;
    }
    return -1;
}

int64_t seq_count(TnState *st, TnValue *const *items, const int64_t *n, TnValue v)
{
    int64_t c = 0;
    for (int64_t i = 0; i < *n; i++) {
        TnValue x = tn_ref((*items)[i]);
        int eq = tn_equal(st, x, v);
        tn_decref(x);
        if (eq < 0)
            return -1;
        c += eq;
    }
    return c;
}

/* ------------------------------------------------------------ slots */

static TnValue tuple_repr(TnState *st, TnValue self)
{
    TnTuple *t = AS_TUPLE(self);
    TnValue *items = t->items;
    return seq_repr(st, self, &items, &t->n, "(", ")", true);
}

/* CPython's tuplehash (xxHash64 lanes), so hash((1, 2)) matches Python. */
static int tuple_hash(TnState *st, TnValue self, uint64_t *out)
{
    TnTuple *t = AS_TUPLE(self);
    if (t->hash_cache) {
        *out = t->hash_cache;
        return 0;
    }
    const uint64_t P1 = 11400714785074694791ULL, P2 = 14029467366897019727ULL,
                   P5 = 2870177450012600261ULL;
    uint64_t acc = P5;
    if (tn_recursion_enter(st, " while hashing") < 0)
        return -1;
    for (int64_t i = 0; i < t->n; i++) {
        uint64_t lane;
        if (tn_hash(st, t->items[i], &lane) < 0) {
            tn_recursion_leave(st);
            return -1;
        }
        acc += lane * P2;
        acc = (acc << 31) | (acc >> 33);
        acc *= P1;
    }
    tn_recursion_leave(st);
    acc += (uint64_t)t->n ^ (P5 ^ 3527539UL);
    if (acc == (uint64_t)-1)
        acc = 1546275796;
    t->hash_cache = acc;
    *out = acc;
    return 0;
}

static TnValue tuple_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!IS_TUPLE(a) || !IS_TUPLE(b))
        return tn_notimpl();
    TnValue *ia = AS_TUPLE(a)->items, *ib = AS_TUPLE(b)->items;
    return seq_compare(st, &ia, &AS_TUPLE(a)->n, &ib, &AS_TUPLE(b)->n, op);
}

static TnValue tuple_repeat(TnState *st, TnValue self, int64_t k)
{
    TnTuple *t = AS_TUPLE(self);
    if (k <= 0 || t->n == 0)
        return tuple_new(st, 0);
    if (k == 1)
        return tn_ref(self);
    if (t->n > INT64_MAX / k)
        return tn_no_memory(st);
    TnValue r = tuple_new(st, t->n * k);
    if (IS_UNDEF(r))
        return r;
    for (int64_t j = 0; j < k; j++)
        for (int64_t i = 0; i < t->n; i++)
            AS_TUPLE(r)->items[j * t->n + i] = tn_ref(t->items[i]);
    return r;
}

static TnValue tuple_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op == OP_ADD && IS_TUPLE(a) && IS_TUPLE(b)) {
        TnTuple *x = AS_TUPLE(a), *y = AS_TUPLE(b);
        if (y->n == 0)
            return tn_ref(a);
        if (x->n == 0)
            return tn_ref(b);
        TnValue r = tuple_new(st, x->n + y->n);
        if (IS_UNDEF(r))
            return r;
        for (int64_t i = 0; i < x->n; i++)
            AS_TUPLE(r)->items[i] = tn_ref(x->items[i]);
        for (int64_t i = 0; i < y->n; i++)
            AS_TUPLE(r)->items[x->n + i] = tn_ref(y->items[i]);
        return r;
    }
    if (op == OP_MUL) {
        if (IS_TUPLE(a) && IS_INTLIKE(b))
            return tuple_repeat(st, a, AS_INT(b));
        if (IS_TUPLE(b) && IS_INTLIKE(a))
            return tuple_repeat(st, b, AS_INT(a));
    }
    return tn_notimpl();
}

static int64_t tuple_len(TnState *st, TnValue self)
{
    return AS_TUPLE(self)->n;
}

static TnValue tuple_getitem(TnState *st, TnValue self, TnValue key)
{
    TnTuple *t = AS_TUPLE(self);
    int64_t i;
    if (IS_SLICE(key)) {
        int64_t start, stop, step, n;
        if (slice_indices(st, key, t->n, &start, &stop, &step, &n) < 0)
            return tn_undef();
        if (step == 1 && n == t->n)
            return tn_ref(self);
        TnValue r = tuple_new(st, n);
        if (IS_UNDEF(r))
            return r;
        for (int64_t k = 0, j = start; k < n; k++, j += step)
            AS_TUPLE(r)->items[k] = tn_ref(t->items[j]);
        return r;
    }
    if (tn_as_index(st, key, &i, "tuple indices must be integers or slices") < 0)
        return tn_undef();
    if (i < 0)
        i += t->n;
    if (i < 0 || i >= t->n)
        return tn_raise(st, tn_IndexError, "tuple index out of range");
    return tn_ref(t->items[i]);
}

static int tuple_contains(TnState *st, TnValue self, TnValue v)
{
    TnValue *items = AS_TUPLE(self)->items;
    int64_t r = seq_index(st, &items, &AS_TUPLE(self)->n, v, 0, INT64_MAX);
    return r == -2 ? -1 : r >= 0;
}

/* ------------------------------------------------------------ iterator */

typedef struct {
    TN_OBJECT_HEAD;
    TnTuple *t;
    int64_t i;
} TupleIter;

static void tupleiter_dealloc(TnObject *o)
{
    tn_obj_decref(((TupleIter *)o)->t);
    tn_free_object(o);
}

static void tupleiter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((TupleIter *)o)->t, visit, arg);
}

static TnValue tupleiter_next(TnState *st, TnValue self)
{
    TupleIter *it = (TupleIter *)AS_OBJ(self);
    if (it->i >= it->t->n)
        return tn_undef();
    return tn_ref(it->t->items[it->i++]);
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_tuple_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "tuple_iterator",
    .dealloc = tupleiter_dealloc,
    .traverse = tupleiter_traverse,
    .iter = iter_self,
    .next = tupleiter_next,
};

static TnValue tuple_iter(TnState *st, TnValue self)
{
    TupleIter *it = tn_alloc_object(st, &tn_tuple_iter_type, sizeof(TupleIter));
    if (!it)
        return tn_undef();
    it->t = AS_TUPLE(self);
    tn_obj_incref(it->t);
    return tn_obj(it);
}

/* ------------------------------------------------------------ construct, methods */

static TnSig *tuple_sig;

static TnValue tuple_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &tuple_sig, "tuple(iterable=?, /)", tn_undef(), args, nargs, kwnames,
                        nkw, a) < 0)
        return tn_undef();
    if (IS_UNDEF(a[0]))
        return tuple_new(st, 0);
    return tuple_from_iterable(st, a[0]);
}

static TnValue m_count(TnState *st, TnValue *a)
{
    TnValue *items = AS_TUPLE(a[0])->items;
    int64_t c = seq_count(st, &items, &AS_TUPLE(a[0])->n, a[1]);
    return c < 0 ? tn_undef() : tn_int(c);
}

static TnValue m_index(TnState *st, TnValue *a)
{
    int64_t start = 0, stop = INT64_MAX;
    if ((!IS_UNDEF(a[2]) && tn_as_index(st, a[2], &start, NULL) < 0) ||
        (!IS_UNDEF(a[3]) && tn_as_index(st, a[3], &stop, NULL) < 0))
        return tn_undef();
    TnValue *items = AS_TUPLE(a[0])->items;
    int64_t r = seq_index(st, &items, &AS_TUPLE(a[0])->n, a[1], start, stop);
    if (r == -2)
        return tn_undef();
    if (r < 0)
        return tn_raise(st, tn_ValueError, "tuple.index(x): x not in tuple");
    return tn_int(r);
}

static TnValue m_getitem(TnState *st, TnValue *a)
{
    return tuple_getitem(st, a[0], a[1]);
}

static TnValue m_len(TnState *st, TnValue *a)
{
    return tn_int(AS_TUPLE(a[0])->n);
}

static const TnMethodDef tuple_methods[] = {
    {"count", m_count, "count(self, value, /)", NULL, "Return number of occurrences of value."},
    {"index", m_index, "index(self, value, start=?, stop=?, /)", NULL, "Return first index of value."},
    {"__getitem__", m_getitem, "__getitem__(self, key, /)", NULL, "Return self[key]."},
    {"__len__", m_len, "__len__(self, /)", NULL, "Return len(self)."},
    {NULL},
};

TnType tn_tuple_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "tuple",
    .flags = TN_TYPE_BASETYPE,
    .dealloc = tuple_dealloc,
    .traverse = tuple_traverse,
    .repr = tuple_repr,
    .hash = tuple_hash,
    .richcmp = tuple_richcmp,
    .binop = tuple_binop,
    .len = tuple_len,
    .getitem = tuple_getitem,
    .contains = tuple_contains,
    .iter = tuple_iter,
    .construct = tuple_construct,
    .methods = tuple_methods,
};
