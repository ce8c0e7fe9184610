/* range.c: range objects and their unboxed-int iterator, and slice objects with Python's index rules.
 *
 * A range iterator only counts down `left` and steps `cur`; the evaluator may
 * read TnRangeIter directly to run `for i in range(n)` without calls.
 */
#include "sig.h"
#include "types.h"
#include <inttypes.h>

/* Number of items of range(start, stop, step), computed without overflow. */
static int64_t range_length(int64_t start, int64_t stop, int64_t step)
{
    if (step > 0 && start < stop)
        return (int64_t)(((__uint128_t)((__int128)stop - start) - 1) / (uint64_t)step + 1);
    if (step < 0 && start > stop)
        return (int64_t)(((__uint128_t)((__int128)start - stop) - 1) / ((__uint128_t)0 - (__int128)step) + 1);
    return 0;
}

TnValue range_new(TnState *st, int64_t start, int64_t stop, int64_t step)
{
    TnRange *r = tn_alloc_object(st, &tn_range_type, sizeof(TnRange));
    if (!r)
        return tn_undef();
    r->start = start;
    r->stop = stop;
    r->step = step;
    r->len = range_length(start, stop, step);
    return tn_obj(r);
}

static TnValue range_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    if (nkw)
        return tn_raise(st, tn_TypeError, "range() takes no keyword arguments");
    if (nargs < 1)
        return tn_raise(st, tn_TypeError, "range expected at least 1 argument, got %d", nargs);
    if (nargs > 3)
        return tn_raise(st, tn_TypeError, "range expected at most 3 arguments, got %d", nargs);
    int64_t v[3] = {0, 0, 1};
    for (int i = 0; i < nargs; i++)
        if (tn_as_index(st, args[i], &v[i], NULL) < 0)
            return tn_undef();
    if (nargs == 1)
        return range_new(st, 0, v[0], 1);
    if (v[2] == 0)
        return tn_raise(st, tn_ValueError, "range() arg 3 must not be zero");
    return range_new(st, v[0], v[1], v[2]);
}

static TnValue range_repr(TnState *st, TnValue self)
{
    TnRange *r = AS_RANGE(self);
    if (r->step == 1)
        return tn_str_fmt(st, "range(%" PRId64 ", %" PRId64 ")", r->start, r->stop);
    return tn_str_fmt(st, "range(%" PRId64 ", %" PRId64 ", %" PRId64 ")", r->start, r->stop,
                      r->step);
}

static int64_t range_len(TnState *st, TnValue self)
{
    return AS_RANGE(self)->len;
}

static int range_truth(TnState *st, TnValue self)
{
    return AS_RANGE(self)->len != 0;
}

static TnValue range_getitem(TnState *st, TnValue self, TnValue key)
{
    TnRange *r = AS_RANGE(self);
    if (IS_SLICE(key)) {
        int64_t start, stop, step, n;
        if (slice_indices(st, key, r->len, &start, &stop, &step, &n) < 0)
            return tn_undef();
        int64_t nstart = r->start + start * r->step;
        int64_t nstep = r->step * step;
        int64_t nstop = nstart + n * nstep;
        return range_new(st, nstart, nstop, nstep);
    }
    int64_t i;
    if (tn_as_index(st, key, &i, "range indices must be integers or slices") < 0)
        return tn_undef();
    if (i < 0)
        i += r->len;
    if (i < 0 || i >= r->len)
        return tn_raise(st, tn_IndexError, "range object index out of range");
    return tn_int(r->start + i * r->step);
}

/* Position of int v in the range, or -1. */
static int64_t range_find(TnRange *r, int64_t v)
{
    if (r->len == 0)
        return -1;
    if (r->step > 0 ? (v < r->start || v >= r->stop) : (v > r->start || v <= r->stop))
        return -1;
    __int128 d = (__int128)v - r->start;
    if (d % r->step != 0)
        return -1;
    return (int64_t)(d / r->step);
}

static int range_contains(TnState *st, TnValue self, TnValue v)
{
    TnRange *r = AS_RANGE(self);
    if (IS_INTLIKE(v))
        return range_find(r, AS_INT(v)) >= 0;
    for (int64_t i = 0; i < r->len; i++) {
        int eq = tn_equal(st, tn_int(r->start + i * r->step), v);
        if (eq)
            return eq;
    }
    return 0;
}

/* Ranges are equal when they describe the same sequence. */
static bool range_same(TnRange *a, TnRange *b)
{
    if (a->len != b->len)
        return false;
    if (a->len == 0)
        return true;
    if (a->start != b->start)
        return false;
    return a->len == 1 || a->step == b->step;
}

static TnValue range_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !IS_RANGE(a) || !IS_RANGE(b))
        return tn_notimpl();
    bool eq = range_same(AS_RANGE(a), AS_RANGE(b));
    return tn_bool(op == CMP_EQ ? eq : !eq);
}

static int range_hash(TnState *st, TnValue self, uint64_t *out)
{
    TnRange *r = AS_RANGE(self);
    TnValue parts[3] = {tn_int(r->len), tn_none(), tn_none()};
    if (r->len) {
        parts[1] = tn_int(r->start);
        if (r->len > 1)
            parts[2] = tn_int(r->step);
    }
    TnValue t = tuple_from_array(st, parts, 3);
    if (IS_UNDEF(t))
        return -1;
    int rc = tn_hash(st, t, out);
    tn_decref(t);
    return rc;
}

/* ------------------------------------------------------------ iterator */

static TnValue rangeiter_next(TnState *st, TnValue self)
{
    TnRangeIter *it = (TnRangeIter *)AS_OBJ(self);
    if (it->left <= 0)
        return tn_undef();
    /* list(range(10**12)), sum(range(...)): natives drain ranges without the evaluator's
     * loop polls, so Ctrl-C is checked here */
    if (tn_poll_interrupt(st) < 0)
        return tn_undef();
    it->left--;
    int64_t v = it->cur;
    it->cur = (int64_t)((uint64_t)it->cur + (uint64_t)it->step);
    return tn_int(v);
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

static TnValue rangeiter_length_hint(TnState *st, TnValue *a)
{
    return tn_int(((TnRangeIter *)AS_OBJ(a[0]))->left);
}

static const TnMethodDef rangeiter_methods[] = {
    {"__length_hint__", rangeiter_length_hint, "__length_hint__(self, /)", NULL, "Private method returning an estimate of len(list(it))."},
    {NULL},
};

TnType tn_range_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "range_iterator",
    .iter = iter_self,
    .next = rangeiter_next,
    .methods = rangeiter_methods,
};

static TnValue range_iter(TnState *st, TnValue self)
{
    TnRange *r = AS_RANGE(self);
    TnRangeIter *it = tn_alloc_object(st, &tn_range_iter_type, sizeof(TnRangeIter));
    if (!it)
        return tn_undef();
    it->cur = r->start;
    it->step = r->step;
    it->left = r->len;
    return tn_obj(it);
}

/* ------------------------------------------------------------ methods */

static TnValue m_count(TnState *st, TnValue *a)
{
    TnRange *r = AS_RANGE(a[0]);
    if (IS_INTLIKE(a[1]))
        return tn_int(range_find(r, AS_INT(a[1])) >= 0);
    int64_t c = 0;
    for (int64_t i = 0; i < r->len; i++) {
        int eq = tn_equal(st, tn_int(r->start + i * r->step), a[1]);
        if (eq < 0)
            return tn_undef();
        c += eq;
    }
    return tn_int(c);
}

static TnValue m_index(TnState *st, TnValue *a)
{
    TnRange *r = AS_RANGE(a[0]);
    if (IS_INTLIKE(a[1])) {
        int64_t i = range_find(r, AS_INT(a[1]));
        if (i >= 0)
            return tn_int(i);
    }
    TnValue rp = tn_repr(st, a[1]);
    if (IS_UNDEF(rp))
        return rp;
    tn_raise(st, tn_ValueError, "%s is not in range", AS_STR(rp)->data);
    tn_decref(rp);
    return tn_undef();
}

static TnValue get_start(TnState *st, TnValue self)
{
    return tn_int(AS_RANGE(self)->start);
}
static TnValue get_stop(TnState *st, TnValue self)
{
    return tn_int(AS_RANGE(self)->stop);
}
static TnValue get_step(TnState *st, TnValue self)
{
    return tn_int(AS_RANGE(self)->step);
}

static const TnMethodDef range_methods[] = {
    {"count", m_count, "count(self, value, /)", NULL, "rangeobject.count(value) -> integer -- return number of occurrences of value"},
    {"index", m_index, "index(self, value, /)", NULL, "rangeobject.index(value) -> integer -- return index of value."},
    {NULL},
};

static const TnGetSetDef range_getset[] = {
    {"start", get_start, NULL, NULL},
    {"stop", get_stop, NULL, NULL},
    {"step", get_step, NULL, NULL},
    {NULL},
};

TnType tn_range_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "range",
    .repr = range_repr,
    .hash = range_hash,
    .richcmp = range_richcmp,
    .truth = range_truth,
    .len = range_len,
    .getitem = range_getitem,
    .contains = range_contains,
    .iter = range_iter,
    .construct = range_construct,
    .methods = range_methods,
    .getset = range_getset,
};

/* ------------------------------------------------------------ slices */

TnValue slice_new(TnState *st, TnValue start, TnValue stop, TnValue step)
{
    TnSlice *s = tn_alloc_object(st, &tn_slice_type, sizeof(TnSlice));
    if (!s)
        return tn_undef();
    s->start = IS_UNDEF(start) ? tn_none() : tn_ref(start);
    s->stop = IS_UNDEF(stop) ? tn_none() : tn_ref(stop);
    s->step = IS_UNDEF(step) ? tn_none() : tn_ref(step);
    return tn_obj(s);
}

static void slice_dealloc(TnObject *o)
{
    TnSlice *s = (TnSlice *)o;
    tn_decref(s->start);
    tn_decref(s->stop);
    tn_decref(s->step);
    tn_free(o);
}

static int slice_part(TnState *st, TnValue v, int64_t *out)
{
    if (!tn_has_index(v)) /* Python names no type here */
        return tn_raise_int(st, tn_TypeError,
                            "slice indices must be integers or None or have an __index__ method");
    return tn_as_index(st, v, out, NULL);
}

int slice_indices(TnState *st, TnValue slice, int64_t len, int64_t *pstart, int64_t *pstop,
                  int64_t *pstep, int64_t *slicelen)
{
    TnSlice *s = AS_SLICE(slice);
    int64_t step = 1, start, stop;
    if (!IS_NONE(s->step)) {
        if (slice_part(st, s->step, &step) < 0)
            return -1;
        if (step == 0)
            return tn_raise_int(st, tn_ValueError, "slice step cannot be zero");
        if (step == INT64_MIN)
            step = -INT64_MAX;
    }
    int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? len - 1 : len;
    if (IS_NONE(s->start)) {
        start = step < 0 ? upper : lower;
    } else {
        if (slice_part(st, s->start, &start) < 0)
            return -1;
        if (start < 0) {
            start += len;
            if (start < lower)
                start = lower;
        } else if (start > upper) {
            start = upper;
        }
    }
    if (IS_NONE(s->stop)) {
        stop = step < 0 ? lower : upper;
    } else {
        if (slice_part(st, s->stop, &stop) < 0)
            return -1;
        if (stop < 0) {
            stop += len;
            if (stop < lower)
                stop = lower;
        } else if (stop > upper) {
            stop = upper;
        }
    }
    int64_t n = 0;
    if (step < 0) {
        if (stop < start)
            n = (start - stop - 1) / (-step) + 1;
    } else if (start < stop) {
        n = (stop - start - 1) / step + 1;
    }
    *pstart = start;
    *pstop = stop;
    *pstep = step;
    *slicelen = n;
    return 0;
}

static TnValue slice_repr(TnState *st, TnValue self)
{
    TnSlice *s = AS_SLICE(self);
    TnValue parts[3] = {tn_repr(st, s->start), tn_undef(), tn_undef()};
    TnValue r = tn_undef();
    if (IS_UNDEF(parts[0]))
        return r;
    parts[1] = tn_repr(st, s->stop);
    if (!IS_UNDEF(parts[1]))
        parts[2] = tn_repr(st, s->step);
    if (!IS_UNDEF(parts[2]))
        r = tn_str_fmt(st, "slice(%s, %s, %s)", AS_STR(parts[0])->data, AS_STR(parts[1])->data,
                       AS_STR(parts[2])->data);
    for (int i = 0; i < 3; i++)
        tn_decref(parts[i]);
    return r;
}

static int slice_hash(TnState *st, TnValue self, uint64_t *out)
{
    return tn_raise_int(st, tn_TypeError, "unhashable type: 'slice'");
}

static TnValue slice_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!IS_SLICE(a) || !IS_SLICE(b))
        return tn_notimpl();
    TnSlice *x = AS_SLICE(a), *y = AS_SLICE(b);
    TnValue ta = tuple_pack(st, 3, x->start, x->stop, x->step);
    if (IS_UNDEF(ta))
        return ta;
    TnValue tb = tuple_pack(st, 3, y->start, y->stop, y->step);
    if (IS_UNDEF(tb)) {
        tn_decref(ta);
        return tb;
    }
    TnValue r = tn_compare(st, ta, tb, op);
    tn_decref(ta);
    tn_decref(tb);
    return r;
}

static TnValue slice_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    if (nkw)
        return tn_raise(st, tn_TypeError, "slice() takes no keyword arguments");
    if (nargs < 1)
        return tn_raise(st, tn_TypeError, "slice expected at least 1 argument, got %d", nargs);
    if (nargs > 3)
        return tn_raise(st, tn_TypeError, "slice expected at most 3 arguments, got %d", nargs);
    if (nargs == 1)
        return slice_new(st, tn_none(), args[0], tn_none());
    return slice_new(st, args[0], args[1], nargs == 3 ? args[2] : tn_none());
}

static TnValue m_indices(TnState *st, TnValue *a)
{
    int64_t len;
    if (tn_as_index(st, a[1], &len, NULL) < 0)
        return tn_undef();
    if (len < 0)
        return tn_raise(st, tn_ValueError, "length should not be negative");
    int64_t start, stop, step, n;
    if (slice_indices(st, a[0], len, &start, &stop, &step, &n) < 0)
        return tn_undef();
    return tuple_pack(st, 3, tn_int(start), tn_int(stop), tn_int(step));
}

static TnValue slice_get_start(TnState *st, TnValue self)
{
    return tn_ref(AS_SLICE(self)->start);
}
static TnValue slice_get_stop(TnState *st, TnValue self)
{
    return tn_ref(AS_SLICE(self)->stop);
}
static TnValue slice_get_step(TnState *st, TnValue self)
{
    return tn_ref(AS_SLICE(self)->step);
}

static const TnMethodDef slice_methods[] = {
    {"indices", m_indices, "indices(self, length, /)", NULL, "Calculate start, stop and step indices for a sequence of the given length."},
    {NULL},
};

static const TnGetSetDef slice_getset[] = {
    {"start", slice_get_start, NULL, NULL},
    {"stop", slice_get_stop, NULL, NULL},
    {"step", slice_get_step, NULL, NULL},
    {NULL},
};

TnType tn_slice_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "slice",
    .dealloc = slice_dealloc,
    .repr = slice_repr,
    .hash = slice_hash,
    .richcmp = slice_richcmp,
    .construct = slice_construct,
    .methods = slice_methods,
    .getset = slice_getset,
};
