/* list.c: the mutable sequence: growth, slicing and slice assignment, and a stable merge sort.
 *
 * Sorting takes the items out of the list while it runs (as CPython does) so a
 * key function or __lt__ that mutates the list cannot corrupt it; mutation is
 * then reported as "list modified during sort".
 */
#include "sig.h"
#include "types.h"
#include <string.h>

static bool grow(TnList *l, int64_t need)
{
    if (need <= l->cap)
        return true;
    int64_t ncap = l->cap < 4 ? 4 : l->cap + (l->cap >> 1);
    if (ncap < need)
        ncap = need;
    if ((uint64_t)ncap > SIZE_MAX / sizeof(TnValue))
        return false;
    TnValue *items = tn_realloc(l->items, (size_t)ncap * sizeof(TnValue));
    if (!items)
        return false;
    l->items = items;
    l->cap = ncap;
    return true;
}

/* Freed plain lists kept for reuse, each with its item array when that is small: a
 * loop that makes a short list per iteration then skips two callocs and two frees
 * (the tracked object's collector header made that churn measurably slower). */
#define LIST_FREE_MAX 64
#define LIST_KEEP_CAP 8
static TnList *free_lists[LIST_FREE_MAX];
static int nfree_lists;

static TnList *list_reuse(void)
{
    TnList *l = free_lists[--nfree_lists];
    l->head.refcnt = 1;
    l->head.type = &tn_list_type;
    l->n = 0; /* cap and items stay */
    tn_gc_track(&l->head);
    return l;
}

/* Keeps an emptied list's memory if there is room; false: free it as usual. */
static bool list_recycle(TnList *l)
{
    if (l->head.type != &tn_list_type || nfree_lists == LIST_FREE_MAX || !tn_recycling_ok())
        return false;
    if (l->cap > LIST_KEEP_CAP) {
        tn_free(l->items);
        l->items = NULL;
        l->cap = 0;
    }
    tn_gc_untrack(&l->head); /* error paths free lists that were never decref'd */
    free_lists[nfree_lists++] = l;
    return true;
}

static TnValue list_alloc_type(TnState *st, TnType *type)
{
    if (type == &tn_list_type && nfree_lists > 0)
        return tn_obj(list_reuse());
    TnList *l = tn_alloc_object(st, type, sizeof(TnList));
    return l ? tn_obj(l) : tn_undef();
}

TnValue list_new(TnState *st, int64_t n)
{
    TnValue v = list_alloc_type(st, &tn_list_type);
    if (IS_UNDEF(v) || n <= 0)
        return v;
    TnList *l = AS_LIST(v);
    if (!grow(l, n)) {
        tn_decref(v);
        return tn_no_memory(st);
    }
    for (int64_t i = 0; i < n; i++)
        l->items[i] = tn_none();
    l->n = n;
    return v;
}

TnValue list_from_array(TnState *st, const TnValue *items, int64_t n)
{
    TnValue v = list_new(st, n);
    if (IS_UNDEF(v))
        return v;
    for (int64_t i = 0; i < n; i++)
        AS_LIST(v)->items[i] = tn_ref(items[i]);
    return v;
}

int list_append(TnState *st, TnList *l, TnValue v)
{
    if (TN_UNLIKELY(l->n == l->cap) && !grow(l, l->n + 1)) {
        (void)tn_no_memory(st);
        return -1;
    }
    l->items[l->n++] = tn_ref(v);
    return 0;
}

int list_extend(TnState *st, TnList *l, TnValue iterable)
{
    TnValue *items;
    int64_t n;
    if (tn_seq_items(iterable, &items, &n)) {
        if (!grow(l, l->n + n)) {
            (void)tn_no_memory(st);
            return -1;
        }
        /* items may alias l->items (l.extend(l)): n was read before growing */
        tn_seq_items(iterable, &items, &n);
        for (int64_t i = 0; i < n; i++)
            l->items[l->n + i] = tn_ref(items[i]);
        l->n += n;
        return 0;
    }
    /* a range says its length: list(range(2**62)) fails at once instead of filling memory */
    if (IS_RANGE(iterable) && !grow(l, l->n + AS_RANGE(iterable)->len)) {
        (void)tn_no_memory(st);
        return -1;
    }
    TnValue it = tn_iter(st, iterable);
    if (IS_UNDEF(it))
        return -1;
    TnType *t = tn_type_of(it);
    TnValue x;
    while (!IS_UNDEF(x = t->next(st, it))) {
        if (TN_UNLIKELY(l->n == l->cap) && !grow(l, l->n + 1)) {
            tn_decref(x);
            tn_decref(it);
            (void)tn_no_memory(st);
            return -1;
        }
        l->items[l->n++] = x;
    }
    tn_decref(it);
    return IS_UNDEF(st->exc) ? 0 : -1;
}

TnValue list_from_iterable(TnState *st, TnValue iterable)
{
    TnValue v = list_new(st, 0);
    if (IS_UNDEF(v))
        return v;
    int64_t hint = 0;
    if (IS_RANGE(iterable))
        hint = AS_RANGE(iterable)->len;
    else if (tn_is_dict(iterable))
        hint = AS_DICT(iterable)->n;
    if (hint > 0 && !grow(AS_LIST(v), hint)) {
        tn_decref(v);
        return tn_no_memory(st);
    }
    if (list_extend(st, AS_LIST(v), iterable) < 0) {
        tn_decref(v);
        return tn_undef();
    }
    return v;
}

static void list_dealloc(TnObject *o)
{
    TnList *l = (TnList *)o;
    for (int64_t i = 0; i < l->n; i++)
        tn_decref(l->items[i]);
    if (list_recycle(l))
        return;
    tn_free(l->items);
    tn_free_object(o);
}

static void list_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnList *l = (TnList *)o;
    for (int64_t i = 0; i < l->n; i++)
        tn_visit(l->items[i], visit, arg);
}

/* Empties the list before dropping the items, so no decref sees it half cleared. */
static void list_gc_clear(TnObject *o)
{
    TnList *l = (TnList *)o;
    TnValue *items = l->items;
    int64_t n = l->n;
    l->items = NULL;
    l->n = l->cap = 0;
    for (int64_t i = 0; i < n; i++)
        tn_decref(items[i]);
    tn_free(items);
}

/* ------------------------------------------------------------ slots */

static TnValue list_repr(TnState *st, TnValue self)
{
    TnList *l = AS_LIST(self);
    return seq_repr(st, self, &l->items, &l->n, "[", "]", false);
}

static int list_hash(TnState *st, TnValue self, uint64_t *out)
{
    return tn_raise_int(st, tn_TypeError, "unhashable type: '%s'", tn_type_name(self));
}

/* A list or an instance of a class derived from list (operators accept both). */
static bool is_list(TnValue v)
{
    return IS_LIST(v) || (IS_OBJ(v) && tn_isinstance_type(AS_OBJ(v)->type, &tn_list_type));
}

static TnValue list_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!is_list(a) || !is_list(b))
        return tn_notimpl();
    return seq_compare(st, &AS_LIST(a)->items, &AS_LIST(a)->n, &AS_LIST(b)->items,
                       &AS_LIST(b)->n, op);
}

static TnValue list_repeat(TnState *st, TnList *l, int64_t k)
{
    if (k <= 0 || l->n == 0)
        return list_new(st, 0);
    if (l->n > INT64_MAX / k)
        return tn_no_memory(st);
    int64_t n = l->n;
    TnValue r = list_new(st, n * k);
    if (IS_UNDEF(r))
        return r;
    for (int64_t j = 0; j < k; j++)
        for (int64_t i = 0; i < n; i++)
            AS_LIST(r)->items[j * n + i] = tn_ref(l->items[i]);
    return r;
}

static TnValue list_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op == OP_ADD && is_list(a)) {
        if (inplace) {
            if (list_extend(st, AS_LIST(a), b) < 0)
                return tn_undef();
            return tn_ref(a);
        }
        if (!is_list(b))
            return tn_notimpl();
        TnList *x = AS_LIST(a), *y = AS_LIST(b);
        TnValue r = list_new(st, x->n + y->n);
        if (IS_UNDEF(r))
            return r;
        for (int64_t i = 0; i < x->n; i++)
            AS_LIST(r)->items[i] = tn_ref(x->items[i]);
        for (int64_t i = 0; i < y->n; i++)
            AS_LIST(r)->items[x->n + i] = tn_ref(y->items[i]);
        return r;
    }
    if (op == OP_MUL) {
        if (is_list(a) && IS_INTLIKE(b)) {
            if (!inplace)
                return list_repeat(st, AS_LIST(a), AS_INT(b));
            TnList *l = AS_LIST(a);
            int64_t k = AS_INT(b), n = l->n;
            if (k <= 0) {
                for (int64_t i = 0; i < n; i++)
                    tn_decref(l->items[i]);
                l->n = 0;
                return tn_ref(a);
            }
            if (n > INT64_MAX / k || !grow(l, n * k))
                return tn_no_memory(st);
            for (int64_t j = 1; j < k; j++)
                for (int64_t i = 0; i < n; i++)
                    l->items[j * n + i] = tn_ref(l->items[i]);
            l->n = n * k;
            return tn_ref(a);
        }
        if (is_list(b) && IS_INTLIKE(a))
            return list_repeat(st, AS_LIST(b), AS_INT(a));
    }
    return tn_notimpl();
}

static int64_t list_len(TnState *st, TnValue self)
{
    return AS_LIST(self)->n;
}

static TnValue list_getitem(TnState *st, TnValue self, TnValue key)
{
    TnList *l = AS_LIST(self);
    int64_t i;
    if (IS_SLICE(key)) {
        int64_t start, stop, step, n;
        if (slice_indices(st, key, l->n, &start, &stop, &step, &n) < 0)
            return tn_undef();
        TnValue r = list_new(st, n);
        if (IS_UNDEF(r))
            return r;
        for (int64_t k = 0, j = start; k < n; k++, j += step)
            AS_LIST(r)->items[k] = tn_ref(l->items[j]);
        return r;
    }
    if (tn_as_index(st, key, &i, "list indices must be integers or slices") < 0)
        return tn_undef();
    if (i < 0)
        i += l->n;
    if (i < 0 || i >= l->n)
        return tn_raise(st, tn_IndexError, "list index out of range");
    return tn_ref(l->items[i]);
}

/* Deletes the slice described by (start, step, n) from the list. */
static void delete_slice(TnList *l, int64_t start, int64_t step, int64_t n)
{
    if (n <= 0)
        return;
    if (step < 0) {
        start = start + step * (n - 1);
        step = -step;
    }
    int64_t w = start, r = start;
    int64_t k = 0;
    TnValue *doomed = tn_malloc((size_t)n * sizeof(TnValue));
    for (; r < l->n; r++) {
        if (k < n && r == start + k * step) {
            if (doomed)
                doomed[k] = l->items[r];
            else
                tn_decref(l->items[r]);
            k++;
            continue;
        }
        l->items[w++] = l->items[r];
    }
    l->n = w;
    /* release after the list is consistent: a destructor may look at it */
    if (doomed) {
        for (int64_t i = 0; i < n; i++)
            tn_decref(doomed[i]);
        tn_free(doomed);
    }
}

static int assign_slice(TnState *st, TnList *l, TnValue key, TnValue v)
{
    int64_t start, stop, step, n;
    if (slice_indices(st, key, l->n, &start, &stop, &step, &n) < 0)
        return -1;
    if (IS_UNDEF(v)) {
        delete_slice(l, start, step, n);
        return 0;
    }
    /* copy the source first: it may be the list itself */
    TnValue src;
    if (IS_LIST(v) || IS_TUPLE(v)) {
        TnValue *items;
        int64_t m;
        tn_seq_items(v, &items, &m);
        src = tuple_from_array(st, items, m);
    } else {
        if (!tn_type_of(v)->iter && !tn_type_of(v)->getitem)
            return tn_raise_int(st, tn_TypeError, step == 1 ? "can only assign an iterable"
                                                            : "must assign iterable to extended slice");
        src = tuple_from_iterable(st, v);
    }
    if (IS_UNDEF(src))
        return -1;
    TnTuple *s = AS_TUPLE(src);
    if (step != 1) {
        if (s->n != n) {
            int64_t got = s->n;
            tn_decref(src);
            return tn_raise_int(st, tn_ValueError,
                                "attempt to assign sequence of size %lld to extended slice of size %lld",
                                (long long)got, (long long)n);
        }
        for (int64_t k = 0, j = start; k < n; k++, j += step) {
            TnValue old = l->items[j];
            l->items[j] = tn_ref(s->items[k]);
            tn_decref(old);
        }
        tn_decref(src);
        return 0;
    }
    /* step 1: replace items [start, start+n) by s */
    if (stop < start)
        stop = start;
    int64_t removed = n, added = s->n;
    TnValue *old = removed ? tn_malloc((size_t)removed * sizeof(TnValue)) : NULL;
    if ((removed && !old) || !grow(l, l->n - removed + added)) {
        tn_free(old);
        tn_decref(src);
        (void)tn_no_memory(st);
        return -1;
    }
    if (removed)
        memcpy(old, l->items + start, (size_t)removed * sizeof(TnValue));
    memmove(l->items + start + added, l->items + start + removed,
            (size_t)(l->n - start - removed) * sizeof(TnValue));
    for (int64_t k = 0; k < added; k++)
        l->items[start + k] = tn_ref(s->items[k]);
    l->n += added - removed;
    for (int64_t k = 0; k < removed; k++)
        tn_decref(old[k]);
    tn_free(old);
    tn_decref(src);
    return 0;
}

static int list_setitem(TnState *st, TnValue self, TnValue key, TnValue v)
{
    TnList *l = AS_LIST(self);
    if (IS_SLICE(key))
        return assign_slice(st, l, key, v);
    int64_t i;
    if (tn_as_index(st, key, &i, "list indices must be integers or slices") < 0)
        return -1;
    if (i < 0)
        i += l->n;
    if (i < 0 || i >= l->n)
        return tn_raise_int(st, tn_IndexError, "list assignment index out of range");
    TnValue old = l->items[i];
    if (IS_UNDEF(v)) {
        memmove(l->items + i, l->items + i + 1, (size_t)(l->n - i - 1) * sizeof(TnValue));
        l->n--;
    } else {
        l->items[i] = tn_ref(v);
    }
    tn_decref(old);
    return 0;
}

static int list_contains(TnState *st, TnValue self, TnValue v)
{
    int64_t r = seq_index(st, &AS_LIST(self)->items, &AS_LIST(self)->n, v, 0, INT64_MAX);
    return r == -2 ? -1 : r >= 0;
}

/* ------------------------------------------------------------ iterator */

typedef struct {
    TN_OBJECT_HEAD;
    TnList *l;
    int64_t i;
} ListIter;

static void listiter_dealloc(TnObject *o)
{
    tn_obj_decref(((ListIter *)o)->l);
    tn_free_object(o);
}

static void listiter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((ListIter *)o)->l, visit, arg);
}

static TnValue listiter_next(TnState *st, TnValue self)
{
    ListIter *it = (ListIter *)AS_OBJ(self);
    if (it->i >= it->l->n)
        return tn_undef();
    return tn_ref(it->l->items[it->i++]);
}

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

TnType tn_list_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "list_iterator",
    .dealloc = listiter_dealloc,
    .traverse = listiter_traverse,
    .iter = iter_self,
    .next = listiter_next,
};

static TnValue list_iter(TnState *st, TnValue self)
{
    ListIter *it = tn_alloc_object(st, &tn_list_iter_type, sizeof(ListIter));
    if (!it)
        return tn_undef();
    it->l = AS_LIST(self);
    tn_obj_incref(it->l);
    return tn_obj(it);
}

/* ------------------------------------------------------------ sorting */

typedef struct {
    TnValue key, value;
} SortItem;

/* x < y with fast paths for the common homogeneous cases: 1, 0, -1 on error. */
static int lt(TnState *st, TnValue x, TnValue y)
{
    if (IS_INT(x) && IS_INT(y))
        return AS_INT(x) < AS_INT(y);
    if (IS_FLOAT(x) && IS_FLOAT(y))
        return AS_FLOAT(x) < AS_FLOAT(y);
    if (IS_STR(x) && IS_STR(y))
        return str_cmp(AS_STR(x), AS_STR(y)) < 0;
    TnValue r = tn_compare(st, x, y, CMP_LT);
    if (IS_UNDEF(r))
        return -1;
    if (IS_BOOL(r))
        return (int)AS_INT(r);
    int t = tn_truthy(st, r);
    tn_decref(r);
    return t;
}

enum { SORT_POLL_RUN = 4096 }; /* runs at least this long poll for Ctrl-C before merging */

/* Stable merge sort of a[0..n) using tmp; insertion sort for short runs. 0 or -1
 * (an error or Ctrl-C: a holds every item once, so list_sort can drop it). */
static int merge_sort(TnState *st, SortItem *a, SortItem *tmp, int64_t n)
{
    if (n <= 12) {
        for (int64_t i = 1; i < n; i++) {
            SortItem x = a[i];
            int64_t j = i;
            while (j > 0) {
                int c = lt(st, x.key, a[j - 1].key);
                if (c < 0)
                    return -1;
                if (!c)
                    break;
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return 0;
    }
    int64_t h = n / 2;
    if (merge_sort(st, a, tmp, h) < 0 || merge_sort(st, a + h, tmp, n - h) < 0)
        return -1;
    /* Ctrl-C between merges of big runs: a few thousand polls for 10^7 items */
    if (n >= SORT_POLL_RUN && tn_poll_interrupt(st) < 0)
        return -1;
    int c = lt(st, a[h].key, a[h - 1].key);
    if (c <= 0)
        return c; /* already in order (or error) */
    memcpy(tmp, a, (size_t)h * sizeof(SortItem));
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        c = lt(st, a[j].key, tmp[i].key);
        if (c < 0) {
            /* keep every item exactly once before failing */
            while (i < h)
                a[k++] = tmp[i++];
            return -1;
        }
        a[k++] = c ? a[j++] : tmp[i++];
    }
    while (i < h)
        a[k++] = tmp[i++];
    return 0;
}

int list_sort(TnState *st, TnList *l, TnValue key, bool reverse)
{
    int64_t n = l->n, cap = l->cap;
    TnValue *items = l->items;
    l->items = NULL;
    l->n = l->cap = 0;
    int rc = -1;
    SortItem *a = tn_malloc((size_t)(n ? n : 1) * sizeof(SortItem));
    SortItem *tmp = tn_malloc((size_t)(n / 2 + 1) * sizeof(SortItem));
    int64_t nkeys = 0;
    bool has_key = !IS_UNDEF(key) && !IS_NONE(key);
    if (!a || !tmp) {
        (void)tn_no_memory(st);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        /* a native key (abs, len) does not poll for Ctrl-C itself */
        if ((i & (SORT_POLL_RUN - 1)) == SORT_POLL_RUN - 1 && tn_poll_interrupt(st) < 0)
            goto done;
        a[i].value = items[i];
        if (has_key) {
            a[i].key = tn_call(st, key, &items[i], 1, NULL, 0);
            if (IS_UNDEF(a[i].key))
                goto done;
            nkeys++;
        } else {
            a[i].key = items[i];
        }
    }
    /* reverse, sort stably, reverse: equal items keep their original order */
    if (reverse)
        for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
            SortItem t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    if (merge_sort(st, a, tmp, n) < 0)
        goto done;
    if (reverse)
        for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
            SortItem t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    for (int64_t i = 0; i < n; i++)
        items[i] = a[i].value;
    rc = 0;
done:
    for (int64_t i = 0; i < nkeys; i++)
        tn_decref(a[i].key);
    tn_free(a);
    tn_free(tmp);
    if (l->items || l->n) {
        /* the key function or a comparison modified the list: keep the original items */
        for (int64_t i = 0; i < l->n; i++)
            tn_decref(l->items[i]);
        tn_free(l->items);
        if (rc == 0)
            rc = tn_raise_int(st, tn_ValueError, "list modified during sort");
    }
    l->items = items;
    l->n = n;
    l->cap = cap;
    return rc;
}

/* ------------------------------------------------------------ construct, methods */

static TnSig *list_sig;

static TnValue list_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &list_sig, "list(iterable=?, /)", tn_undef(), args, nargs, kwnames,
                        nkw, a) < 0)
        return tn_undef();
    TnValue r = list_alloc_type(st, type);
    if (!IS_UNDEF(r) && !IS_UNDEF(a[0]) && list_extend(st, AS_LIST(r), a[0]) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

#define SELF AS_LIST(a[0])

static TnValue m_append(TnState *st, TnValue *a)
{
    return list_append(st, SELF, a[1]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_extend(TnState *st, TnValue *a)
{
    return list_extend(st, SELF, a[1]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_insert(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    int64_t i;
    if (tn_as_index(st, a[1], &i, NULL) < 0)
        return tn_undef();
    if (i < 0 && (i += l->n) < 0)
        i = 0;
    if (i > l->n)
        i = l->n;
    if (!grow(l, l->n + 1))
        return tn_no_memory(st);
    memmove(l->items + i + 1, l->items + i, (size_t)(l->n - i) * sizeof(TnValue));
    l->items[i] = tn_ref(a[2]);
    l->n++;
    return tn_none();
}
static TnValue m_pop(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    int64_t i = -1;
    if (!IS_UNDEF(a[1]) && tn_as_index(st, a[1], &i, NULL) < 0)
        return tn_undef();
    if (l->n == 0)
        return tn_raise(st, tn_IndexError, "pop from empty list");
    if (i < 0)
        i += l->n;
    if (i < 0 || i >= l->n)
        return tn_raise(st, tn_IndexError, "pop index out of range");
    TnValue v = l->items[i];
    memmove(l->items + i, l->items + i + 1, (size_t)(l->n - i - 1) * sizeof(TnValue));
    l->n--;
    return v;
}
static TnValue m_remove(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    int64_t i = seq_index(st, &l->items, &l->n, a[1], 0, INT64_MAX);
    if (i == -2)
        return tn_undef();
    if (i < 0)
        return tn_raise(st, tn_ValueError, "list.remove(x): x not in list");
    TnValue v = l->items[i];
    memmove(l->items + i, l->items + i + 1, (size_t)(l->n - i - 1) * sizeof(TnValue));
    l->n--;
    tn_decref(v);
    return tn_none();
}
static TnValue m_index(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    int64_t start = 0, stop = INT64_MAX;
    if ((!IS_UNDEF(a[2]) && tn_as_index(st, a[2], &start, NULL) < 0) ||
        (!IS_UNDEF(a[3]) && tn_as_index(st, a[3], &stop, NULL) < 0))
        return tn_undef();
    int64_t i = seq_index(st, &l->items, &l->n, a[1], start, stop);
    if (i == -2)
        return tn_undef();
    if (i < 0) {
        TnValue r = tn_repr(st, a[1]);
        if (IS_UNDEF(r))
            return r;
        tn_raise(st, tn_ValueError, "%s is not in list", AS_STR(r)->data);
        tn_decref(r);
        return tn_undef();
    }
    return tn_int(i);
}
static TnValue m_count(TnState *st, TnValue *a)
{
    int64_t c = seq_count(st, &SELF->items, &SELF->n, a[1]);
    return c < 0 ? tn_undef() : tn_int(c);
}
static TnValue m_reverse(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    for (int64_t i = 0, j = l->n - 1; i < j; i++, j--) {
        TnValue t = l->items[i];
        l->items[i] = l->items[j];
        l->items[j] = t;
    }
    return tn_none();
}
static TnValue m_sort(TnState *st, TnValue *a)
{
    int rev = tn_truthy(st, a[2]);
    if (rev < 0 || list_sort(st, SELF, a[1], rev) < 0)
        return tn_undef();
    return tn_none();
}
static TnValue m_copy(TnState *st, TnValue *a)
{
    return list_from_array(st, SELF->items, SELF->n);
}
static TnValue m_clear(TnState *st, TnValue *a)
{
    TnList *l = SELF;
    TnValue *items = l->items;
    int64_t n = l->n;
    l->items = NULL;
    l->n = l->cap = 0;
    for (int64_t i = 0; i < n; i++)
        tn_decref(items[i]);
    tn_free(items);
    return tn_none();
}
static TnValue m_getitem(TnState *st, TnValue *a)
{
    return list_getitem(st, a[0], a[1]);
}
static TnValue m_setitem(TnState *st, TnValue *a)
{
    return list_setitem(st, a[0], a[1], a[2]) < 0 ? tn_undef() : tn_none();
}
static TnValue m_delitem(TnState *st, TnValue *a)
{
    return list_setitem(st, a[0], a[1], tn_undef()) < 0 ? tn_undef() : tn_none();
}
static TnValue m_len(TnState *st, TnValue *a)
{
    return tn_int(SELF->n);
}
static TnValue m_contains(TnState *st, TnValue *a)
{
    int r = list_contains(st, a[0], a[1]);
    return r < 0 ? tn_undef() : tn_bool(r);
}
static TnValue m_iter(TnState *st, TnValue *a)
{
    return list_iter(st, a[0]);
}

static const TnMethodDef list_methods[] = {
    {"append", m_append, "append(self, object, /)", NULL, "Append object to the end of the list."},
    {"extend", m_extend, "extend(self, iterable, /)", NULL, "Extend list by appending elements from the iterable."},
    {"insert", m_insert, "insert(self, index, object, /)", NULL, "Insert object before index."},
    {"pop", m_pop, "pop(self, index=?, /)", NULL, "Remove and return item at index (default last)."},
    {"remove", m_remove, "remove(self, value, /)", NULL, "Remove first occurrence of value."},
    {"index", m_index, "index(self, value, start=?, stop=?, /)", NULL, "Return first index of value."},
    {"count", m_count, "count(self, value, /)", NULL, "Return number of occurrences of value."},
    {"reverse", m_reverse, "reverse(self, /)", NULL, "Reverse *IN PLACE*."},
    {"sort", m_sort, "sort(self, *, key=None, reverse=False)", NULL, "Sort the list in ascending order and return None."},
    {"copy", m_copy, "copy(self, /)", NULL, "Return a shallow copy of the list."},
    {"clear", m_clear, "clear(self, /)", NULL, "Remove all items from list."},
    {"__getitem__", m_getitem, "__getitem__(self, key, /)", NULL, "Return self[key]."},
    {"__setitem__", m_setitem, "__setitem__(self, key, value, /)", NULL, "Set self[key] to value."},
    {"__delitem__", m_delitem, "__delitem__(self, key, /)", NULL, "Delete self[key]."},
    {"__len__", m_len, "__len__(self, /)", NULL, "Return len(self)."},
    {"__contains__", m_contains, "__contains__(self, key, /)", NULL, "Return key in self."},
    {"__iter__", m_iter, "__iter__(self, /)", NULL, "Implement iter(self)."},
    {NULL},
};

TnType tn_list_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "list",
    .flags = TN_TYPE_BASETYPE,
    .alloc = list_alloc_type,
    .dealloc = list_dealloc,
    .traverse = list_traverse,
    .clear = list_gc_clear,
    .repr = list_repr,
    .hash = list_hash,
    .richcmp = list_richcmp,
    .binop = list_binop,
    .len = list_len,
    .getitem = list_getitem,
    .setitem = list_setitem,
    .contains = list_contains,
    .iter = list_iter,
    .construct = list_construct,
    .methods = list_methods,
};
