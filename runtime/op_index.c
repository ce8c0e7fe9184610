/* op_index.c: Python indexing (basic views + advanced gathers/scatters) and the
 * index ops gather, scatter, index_select, masked_fill/select, nonzero, take. */
#include "tensor.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

/* Storage offset (in elements) of flat row-major element i of a (sizes, strides). */
static int64_t flat_offset(int nd, const int64_t *sizes, const int64_t *strides, int64_t i)
{
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        off += (i % sizes[d]) * strides[d];
        i /= sizes[d];
    }
    return off;
}

static char *elem(TnTensor *t, int64_t off)
{
    return (char *)t->storage->data + off * DT_SIZE(t->dtype);
}

static void copy_rows(char **p, const int64_t *s, int64_t n, void *ctx)
{
    size_t es = (size_t)*(const int *)ctx;
    char *o = p[0], *a = p[1];
    for (int64_t i = 0; i < n; i++, o += s[0], a += s[1])
        memcpy(o, a, es);
}

/* Copies a strided block (nd, sizes) from src to dst, both given as element
 * pointers plus element strides, elements of es bytes. */
static void copy_block(char *dst, const int64_t *dstride, char *src, const int64_t *sstride, int nd,
                       const int64_t *sizes, int es)
{
    TnIter it;
    iter_init(&it, 2, nd, sizes);
    iter_operand(&it, 0, dst, nd, sizes, dstride, es);
    iter_operand(&it, 1, src, nd, sizes, sstride, es);
    iter_coalesce(&it);
    iter_run(&it, copy_rows, &es, false);
}

/* An int64 copy of an index tensor; IndexError for other dtypes. (NumPy's int32 arrays come
 * here too; op_torch_key turns int32 tensors away before, as PyTorch 1.13 does.) */
static TnTensor *as_index(TnState *st, TnTensor *t)
{
    if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
        return tn_raise_ptr(st, tn_IndexError,
                            "tensors used as indices must be long, byte or bool tensors");
    return tensor_to(st, t, DT_INT64);
}

/* ------------------------------------------------------- advanced indexing */
typedef struct {
    TnTensor *view;                     /* x after the basic (view) indices */
    int nadv;                           /* advanced indices */
    int dims[TN_MAX_DIMS];              /* their dims in view */
    TnTensor *idx[TN_MAX_DIMS];         /* int64 index tensors (owned) */
    int bnd;                            /* broadcast index shape */
    int64_t bshape[TN_MAX_DIMS];
    int nmasks, nints;                  /* advanced items: bool masks and integer indices */
} Indexing;

static void indexing_free(Indexing *ix)
{
    tn_obj_decref(ix->view);
    for (int k = 0; k < ix->nadv; k++)
        tn_obj_decref(ix->idx[k]);
}

static int add_adv(TnState *st, Indexing *ix, int dim, TnTensor *t)
{
    if (ix->nadv >= TN_MAX_DIMS) {
        tn_obj_decref(t);
        return tn_raise_int(st, tn_IndexError, "too many indices");
    }
    ix->dims[ix->nadv] = dim;
    ix->idx[ix->nadv++] = t;
    return 0;
}

/* How many dims an index item consumes (-1: Ellipsis, 0: None). */
static int consumed(TnValue item)
{
    if (IS_NONE(item))
        return 0;
    if (IS_OBJ(item) && AS_OBJ(item)->type == &tn_ellipsis_type)
        return -1;
    if (IS_TENSOR(item) && AS_TENSOR(item)->dtype == DT_BOOL)
        return AS_TENSOR(item)->ndim;
    if (IS_BOOL(item))
        return 0;
    return 1;
}

/* Bool mask over view dims [dim, dim+mask.ndim): one int64 index tensor per dim. */
static int add_mask(TnState *st, Indexing *ix, int dim, TnTensor *mask, int realdim)
{
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    TnTensor *v = ix->view;
    if (dim + mask->ndim > v->ndim)
        return tn_raise_int(st, tn_IndexError, "too many indices for tensor of dimension %d",
                            v->ndim);
    for (int k = 0; k < mask->ndim; k++)
        if (mask->sizes[k] != v->sizes[dim + k])
            return tn_raise_int(st, tn_IndexError,
                                "The shape of the mask %s at index %d does not match the shape of "
                                "the indexed tensor %s at index %d",
                                shape_str(b1, mask->ndim, mask->sizes), k,
                                shape_str(b2, v->ndim, v->sizes), realdim + k);
    TnTensor *nz = op_nonzero(st, mask);
    if (!nz)
        return -1;
    for (int k = 0; k < mask->ndim; k++) {
        TnTensor *col = op_select(st, nz, 1, k);
        if (!col || add_adv(st, ix, dim + k, col) < 0) {
            tn_obj_decref(nz);
            return -1;
        }
    }
    tn_obj_decref(nz);
    return 0;
}

static int replace_view(Indexing *ix, TnTensor *t)
{
    if (!t)
        return -1;
    tn_obj_decref(ix->view);
    ix->view = t;
    return 0;
}

/* PyTorch's IndexError for index tensors that do not broadcast, listing every shape. */
static int broadcast_mismatch(TnState *st, const Indexing *ix)
{
    char msg[TN_MAX_DIMS * TN_SHAPE_STR], one[TN_SHAPE_STR];
    size_t len = 0;
    msg[0] = 0;
    for (int k = 0; k < ix->nadv && len < sizeof msg; k++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", k ? ", " : "",
                                shape_str(one, ix->idx[k]->ndim, ix->idx[k]->sizes));
    return tn_raise_int(st, tn_IndexError,
                        "shape mismatch: indexing tensors could not be broadcast together with "
                        "shapes %s",
                        msg);
}

/* A list used as an index becomes an index tensor element by element: a tensor among its
 * items (at any depth) must have exactly one element, as in PyTorch. */
static bool has_multi_element_tensor(TnValue seq)
{
    TnValue *items = IS_LIST(seq) ? AS_LIST(seq)->items : AS_TUPLE(seq)->items;
    int64_t n = IS_LIST(seq) ? AS_LIST(seq)->n : AS_TUPLE(seq)->n;
    for (int64_t i = 0; i < n; i++) {
        if (IS_TENSOR(items[i]) && tensor_numel(AS_TENSOR(items[i])) != 1)
            return true;
        if ((IS_LIST(items[i]) || IS_TUPLE(items[i])) && has_multi_element_tensor(items[i]))
            return true;
    }
    return false;
}

/* Applies the basic items of key to x and collects the advanced ones. */
static int parse_index(TnState *st, TnTensor *x, TnValue key, Indexing *ix)
{
    TnValue single[1] = {key}, *items = single;
    int64_t n = 1;
    memset(ix, 0, sizeof *ix);
    if (IS_TUPLE(key)) {
        items = AS_TUPLE(key)->items;
        n = AS_TUPLE(key)->n;
    }
    int64_t want = 0;
    for (int64_t i = 0; i < n; i++) {
        int c = consumed(items[i]);
        if (c >= 0)
            want += c;
    }
    if (want > x->ndim)
        return tn_raise_int(st, tn_IndexError, "too many indices for tensor of dimension %d",
                            x->ndim);
    tn_obj_incref(x);
    ix->view = x;
    int d = 0, real = 0;
    for (int64_t i = 0; i < n; i++) {
        TnValue it = items[i];
        TnTensor *v = ix->view;
        /* a list that became a many-dim mask, or items after a repeated `...` */
        if (d > v->ndim || (d + consumed(it) > v->ndim && v->ndim > 0))
            return tn_raise_int(st, tn_IndexError, "too many indices for tensor of dimension %d",
                                x->ndim);
        if (IS_INTLIKE(it) && !IS_BOOL(it)) {
            int64_t k = AS_INT(it), size = v->sizes[d];
            if (v->ndim == 0)
                return tn_raise_int(st, tn_IndexError, "invalid index of a 0-dim tensor. Use "
                                    "`tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                                    "convert a 0-dim tensor to a number");
            if (k < -size || k >= size)
                return tn_raise_int(st, tn_IndexError,
                                    "index %lld is out of bounds for dimension %d with size %lld",
                                    (long long)k, (int)i, (long long)size); /* PyTorch names the item's position */
            if (replace_view(ix, op_select(st, v, d, k)) < 0)
                return -1;
            real++;
        } else if (IS_SLICE(it)) {
            int64_t start, stop, step, len;
            if (slice_indices(st, it, v->sizes[d], &start, &stop, &step, &len) < 0)
                return -1;
            if (step <= 0)
                return tn_raise_int(st, tn_ValueError, "step must be greater than zero");
            if (replace_view(ix, op_slice(st, v, d, start, start + len * step, step)) < 0)
                return -1;
            /* op_slice clamps; with the resolved indices the size is exactly len */
            d++;
            real++;
        } else if (IS_NONE(it)) {
            if (replace_view(ix, op_unsqueeze(st, v, d)) < 0)
                return -1;
            d++;
        } else if (IS_OBJ(it) && AS_OBJ(it)->type == &tn_ellipsis_type) {
            /* every `...` skips the unspecified dims (PyTorch accepts several; later items past
             * the last dim then fail the check above) */
            int skip = (int)(x->ndim - want);
            d += skip;
            real += skip;
        } else if (IS_BOOL(it)) {
            /* x[True] adds a dim of size 1, x[False] one of size 0 */
            if (replace_view(ix, op_unsqueeze(st, v, d)) < 0)
                return -1;
            if (!AS_BOOL(it) && replace_view(ix, op_narrow(st, ix->view, d, 0, 0)) < 0)
                return -1;
            d++;
        } else if (IS_TENSOR(it) && AS_TENSOR(it)->dtype == DT_BOOL) {
            TnTensor *m = AS_TENSOR(it);
            if (m->ndim == 0) {
                if (replace_view(ix, op_unsqueeze(st, v, d)) < 0)
                    return -1;
                if (!*(bool *)tensor_ptr(m) &&
                    replace_view(ix, op_narrow(st, ix->view, d, 0, 0)) < 0)
                    return -1;
                d++;
                continue;
            }
            if (add_mask(st, ix, d, m, real) < 0)
                return -1;
            ix->nmasks++;
            d += m->ndim;
            real += m->ndim;
        } else {
            TnTensor *t;
            if (IS_TENSOR(it)) {
                t = as_index(st, AS_TENSOR(it));
            } else if (IS_LIST(it) || IS_TUPLE(it)) {
                if (has_multi_element_tensor(it))
                    return tn_raise_int(st, tn_TypeError, "only integer tensors of a single "
                                                          "element can be converted to an index");
                TnTensor *raw = tensor_from_data(st, it, -1);
                if (!raw)
                    return -1;
                if (raw->dtype == DT_BOOL) { /* a list of bools is a mask */
                    int rc = add_mask(st, ix, d, raw, real);
                    ix->nmasks++;
                    d += raw->ndim;
                    real += raw->ndim;
                    tn_obj_decref(raw);
                    if (rc < 0)
                        return -1;
                    continue;
                }
                /* PyTorch makes any other list a long tensor: [] is an empty index and
                 * floats truncate */
                t = tensor_to(st, raw, DT_INT64);
                tn_obj_decref(raw);
            } else {
                return tn_raise_int(st, tn_IndexError,
                                    "only integers, slices (`:`), ellipsis (`...`), None and long "
                                    "or byte Variables are valid indices (got %s)",
                                    tn_type_name(it));
            }
            if (!t || add_adv(st, ix, d, t) < 0)
                return -1;
            ix->nints++;
            d++;
            real++;
        }
    }
    if (ix->nadv == 0)
        return 0;
    /* broadcast the index tensors together and check their values */
    ix->bnd = 0;
    for (int k = 0; k < ix->nadv; k++) {
        int nd;
        int64_t sh[TN_MAX_DIMS];
        if (shape_broadcast(st, ix->bnd, ix->bshape, ix->idx[k]->ndim, ix->idx[k]->sizes, &nd,
                            sh) < 0) {
            tn_clear_error(st);
            return broadcast_mismatch(st, ix);
        }
        ix->bnd = nd;
        memcpy(ix->bshape, sh, sizeof sh);
    }
    for (int k = 0; k < ix->nadv; k++) {
        TnTensor *e = tensor_expand_to(st, ix->idx[k], ix->bnd, ix->bshape);
        TnTensor *c = e ? tensor_contiguous(st, e) : NULL;
        tn_obj_decref(e);
        if (!c)
            return -1;
        tn_obj_decref(ix->idx[k]);
        ix->idx[k] = c;
        int64_t size = ix->view->sizes[ix->dims[k]], n2 = tensor_numel(c);
        int64_t *p = (int64_t *)tensor_ptr(c);
        for (int64_t i = 0; i < n2; i++)
            if (p[i] < -size || p[i] >= size)
                return tn_raise_int(st, tn_IndexError,
                                    "index %lld is out of bounds for dimension %d with size %lld",
                                    (long long)p[i], k, (long long)size); /* PyTorch counts index tensors */
    }
    return 0;
}

/* Layout facts of an advanced index: the remaining dims of the view, and where
 * PyTorch puts the broadcast index dims (after `before` leading dims when the
 * advanced dims are adjacent, else first). */
typedef struct {
    int nrest, before;
    int64_t rsizes[TN_MAX_DIMS], rstrides[TN_MAX_DIMS];
} Layout;

static void layout(const Indexing *ix, Layout *L)
{
    bool adv[TN_MAX_DIMS] = {false};
    for (int k = 0; k < ix->nadv; k++)
        adv[ix->dims[k]] = true;
    int lo = ix->dims[0], hi = ix->dims[0];
    for (int k = 1; k < ix->nadv; k++) {
        lo = ix->dims[k] < lo ? ix->dims[k] : lo;
        hi = ix->dims[k] > hi ? ix->dims[k] : hi;
    }
    bool adjacent = true;
    for (int d = lo; d <= hi; d++)
        adjacent = adjacent && adv[d];
    L->nrest = 0;
    L->before = 0;
    for (int d = 0; d < ix->view->ndim; d++) {
        if (adv[d])
            continue;
        if (adjacent && d < lo)
            L->before++;
        L->rsizes[L->nrest] = ix->view->sizes[d];
        L->rstrides[L->nrest++] = ix->view->strides[d];
    }
}

/* Storage offset in the view for broadcast index position b. */
static int64_t adv_offset(const Indexing *ix, int64_t b)
{
    int64_t off = ix->view->offset;
    for (int k = 0; k < ix->nadv; k++) {
        int64_t i = ((const int64_t *)tensor_ptr(ix->idx[k]))[b];
        int64_t size = ix->view->sizes[ix->dims[k]];
        off += (i < 0 ? i + size : i) * ix->view->strides[ix->dims[k]];
    }
    return off;
}

/* Permutation from adv-first order (B..., rest...) to PyTorch's order. */
static void final_perm(const Indexing *ix, const Layout *L, int64_t *perm)
{
    int n = 0;
    for (int i = 0; i < L->before; i++)
        perm[n++] = ix->bnd + i;
    for (int i = 0; i < ix->bnd; i++)
        perm[n++] = i;
    for (int i = L->before; i < L->nrest; i++)
        perm[n++] = ix->bnd + i;
}

static TnTensor *gather_adv(TnState *st, Indexing *ix)
{
    Layout L;
    layout(ix, &L);
    int64_t shape[TN_MAX_DIMS];
    int nd = ix->bnd + L.nrest;
    if (nd > TN_MAX_DIMS)
        return tn_raise_ptr(st, tn_IndexError, "too many dimensions");
    memcpy(shape, ix->bshape, sizeof(int64_t) * (size_t)ix->bnd);
    memcpy(shape + ix->bnd, L.rsizes, sizeof(int64_t) * (size_t)L.nrest);
    TnTensor *out = tensor_empty(st, ix->view->dtype, nd, shape);
    if (!out)
        return NULL;
    int es = DT_SIZE(out->dtype);
    int64_t nb = 1, block = 1;
    for (int i = 0; i < ix->bnd; i++)
        nb *= ix->bshape[i];
    for (int i = 0; i < L.nrest; i++)
        block *= L.rsizes[i];
    int64_t *ostr = out->strides + ix->bnd;
    for (int64_t b = 0; b < nb && block; b++)
        copy_block((char *)tensor_ptr(out) + b * block * es, ostr, elem(ix->view, adv_offset(ix, b)),
                   L.rstrides, L.nrest, L.rsizes, es);
    if (L.before == 0)
        return out;
    int64_t perm[TN_MAX_DIMS];
    final_perm(ix, &L, perm);
    TnTensor *p = op_permute(st, out, nd, perm);
    tn_obj_decref(out);
    TnTensor *c = p ? tensor_contiguous(st, p) : NULL;
    tn_obj_decref(p);
    return c;
}

/* NumPy's rule, which PyTorch keeps: a short list holding a sequence, tensor, slice, `...` or
 * None is a tuple of indices, not one index. */
static bool list_is_tuple(TnValue key)
{
    if (!IS_LIST(key) || AS_LIST(key)->n >= 32)
        return false;
    for (int64_t i = 0; i < AS_LIST(key)->n; i++) {
        TnValue it = AS_LIST(key)->items[i];
        if (IS_TENSOR(it) || IS_LIST(it) || IS_TUPLE(it) || IS_RANGE(it) || IS_STR(it) ||
            IS_SLICE(it) || IS_NONE(it) || IS_TYPEOF(it, &tn_ellipsis_type))
            return true;
    }
    return false;
}

/* Checks PyTorch 1.13 makes on a Python-level key before indexing, which NumPy's indexing
 * (sharing op_getitem) does not make. */
static int check_torch_item(TnState *st, TnValue it)
{
    if (IS_STR(it))
        return tn_raise_int(st, tn_TypeError, "new(): invalid data type 'str'");
    if (IS_TENSOR(it) && AS_TENSOR(it)->dtype == DT_INT32)
        return tn_raise_int(st, tn_IndexError,
                            "tensors used as indices must be long, byte or bool tensors");
    return 0;
}

/* A tensor's key as PyTorch reads it (a new reference, or undef with an error set). */
TnValue op_torch_key(TnState *st, TnTensor *x, TnValue key)
{
    if (IS_INTLIKE(key) && !IS_BOOL(key) && x->ndim == 0) {
        (void)tn_raise(st, tn_IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in "
                       "Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        return tn_undef();
    }
    if (list_is_tuple(key)) {
        TnValue t = tuple_new(st, AS_LIST(key)->n);
        for (int64_t i = 0; !IS_UNDEF(t) && i < AS_LIST(key)->n; i++)
            tuple_set(t, i, tn_ref(AS_LIST(key)->items[i]));
        key = t;
    } else if (IS_RANGE(key)) {
        key = list_from_iterable(st, key); /* a range is a sequence of indices */
    } else {
        key = tn_ref(key);
    }
    if (IS_UNDEF(key))
        return key;
    TnValue *items = IS_TUPLE(key) ? AS_TUPLE(key)->items : &key;
    int64_t n = IS_TUPLE(key) ? AS_TUPLE(key)->n : 1;
    bool ranges = false;
    for (int64_t i = 0; i < n && IS_TUPLE(key); i++)
        ranges |= IS_RANGE(items[i]);
    if (ranges) { /* a copy with each range as a list of indices (the caller's tuple stays) */
        TnValue t = tuple_new(st, n);
        for (int64_t i = 0; !IS_UNDEF(t) && i < n; i++) {
            TnValue v = IS_RANGE(items[i]) ? list_from_iterable(st, items[i]) : tn_ref(items[i]);
            if (IS_UNDEF(v)) {
                tn_decref(t);
                t = v;
                break;
            }
            tuple_set(t, i, v);
        }
        tn_decref(key);
        if (IS_UNDEF(t))
            return t;
        key = t;
        items = AS_TUPLE(key)->items;
    }
    for (int64_t i = 0; i < n; i++) {
        if (check_torch_item(st, items[i]) < 0) {
            tn_decref(key);
            return tn_undef();
        }
    }
    return key;
}

TnTensor *op_getitem(TnState *st, TnTensor *x, TnValue key)
{
    Indexing ix;
    if (parse_index(st, x, key, &ix) < 0) {
        indexing_free(&ix);
        return NULL;
    }
    TnTensor *r;
    if (ix.nadv == 0) {
        r = ix.view;
        ix.view = NULL;
    } else {
        r = gather_adv(st, &ix);
    }
    indexing_free(&ix);
    return r;
}

/* The value to store, as a tensor of x's dtype. PyTorch takes only numbers and tensors;
 * NumPy's indexing (torch false) also takes nested lists. */
static TnTensor *value_tensor(TnState *st, TnTensor *x, TnValue value, bool torch)
{
    if (IS_TENSOR(value))
        return tensor_to(st, AS_TENSOR(value), x->dtype);
    if (IS_NUMBER(value))
        return tensor_check_scalar(st, x->dtype, value) < 0 ? NULL
                                                            : tensor_scalar(st, x->dtype, value);
    if (!torch && (IS_LIST(value) || IS_TUPLE(value)))
        return tensor_from_data(st, value, x->dtype);
    return tn_raise_ptr(st, tn_TypeError, "can't assign a %s to a torch.%sTensor",
                        tn_type_name(value), tn_dtype_info[x->dtype].cname);
}

/* PyTorch's index_put_ needs a tensor value of the destination's dtype (srcdt: the value's
 * dtype before conversion, -1 for a number), except that one bool mask with a one-element
 * value becomes masked_fill_, which converts. */
static int check_put_dtype(TnState *st, const Indexing *ix, TnTensor *val, int srcdt)
{
    if (srcdt < 0 || (TnDType)srcdt == ix->view->dtype)
        return 0;
    if (ix->nmasks == 1 && ix->nints == 0 && tensor_numel(val) == 1)
        return 0;
    return tn_raise_int(st, tn_RuntimeError,
                        "Index put requires the source and destination dtypes match, got %s for "
                        "the destination and %s for the source.",
                        tn_dtype_info[ix->view->dtype].cname, tn_dtype_info[srcdt].cname);
}

static int scatter_adv(TnState *st, Indexing *ix, TnTensor *val, int srcdt)
{
    Layout L;
    layout(ix, &L);
    int64_t shape[TN_MAX_DIMS], perm[TN_MAX_DIMS], inv[TN_MAX_DIMS];
    int nd = ix->bnd + L.nrest;
    final_perm(ix, &L, perm);
    for (int i = 0; i < nd; i++)
        shape[i] = i < ix->bnd ? ix->bshape[i] : L.rsizes[i - ix->bnd];
    int64_t fshape[TN_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        fshape[i] = shape[perm[i]];
    /* value broadcast to the result shape (PyTorch order), then viewed adv-first */
    TnTensor *e = tensor_expand_to(st, val, nd, fshape);
    if (!e) {
        char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
        tn_clear_error(st);
        return tn_raise_int(st, tn_RuntimeError,
                            "shape mismatch: value tensor of shape %s cannot be broadcast to "
                            "indexing result of shape %s",
                            shape_str(b1, val->ndim, val->sizes), shape_str(b2, nd, fshape));
    }
    if (check_put_dtype(st, ix, val, srcdt) < 0) {
        tn_obj_decref(e);
        return -1;
    }
    for (int i = 0; i < nd; i++)
        inv[perm[i]] = i;
    TnTensor *v = op_permute(st, e, nd, inv);
    tn_obj_decref(e);
    if (!v)
        return -1;
    int es = DT_SIZE(val->dtype);
    int64_t nb = 1, block = 1;
    for (int i = 0; i < ix->bnd; i++)
        nb *= ix->bshape[i];
    for (int i = 0; i < L.nrest; i++)
        block *= L.rsizes[i];
    for (int64_t b = 0; b < nb && block; b++) {
        int64_t voff = v->offset + flat_offset(ix->bnd, v->sizes, v->strides, b);
        copy_block(elem(ix->view, adv_offset(ix, b)), L.rstrides, elem(v, voff),
                   v->strides + ix->bnd, L.nrest, L.rsizes, es);
    }
    tn_obj_decref(v);
    tensor_bump_version(ix->view);
    return 0;
}

static int setitem(TnState *st, TnTensor *x, TnValue key, TnValue value, bool torch)
{
    Indexing ix;
    TnTensor *val = NULL;
    int rc = -1;
    if (parse_index(st, x, key, &ix) < 0)
        goto done;
    if (ix.nadv == 0 && IS_NUMBER(value)) {
        rc = tensor_fill_(st, ix.view, value);
        goto done;
    }
    if (!(val = value_tensor(st, x, value, torch)))
        goto done;
    if (val->ndim > 0 && val->sizes[0] == 1) {
        /* PyTorch drops the value's leading 1s first: x[0] = ones(1, 1, n) fits a row */
        int lead = 0;
        while (lead < val->ndim && val->sizes[lead] == 1)
            lead++;
        TnTensor *v = tensor_alias(st, val, val->ndim - lead, val->sizes + lead,
                                   val->strides + lead, val->offset);
        tn_obj_decref(val);
        if (!(val = v))
            goto done;
    }
    if (torch && ix.nadv == 0 && IS_TENSOR(value) &&
        tensor_check_overlap(st, ix.view, AS_TENSOR(value)) < 0) /* PyTorch's copy_ checks */
        goto done;
    int srcdt = torch && IS_TENSOR(value) ? (int)AS_TENSOR(value)->dtype : -1;
    rc = ix.nadv == 0 ? tensor_copy_(st, ix.view, val) : scatter_adv(st, &ix, val, srcdt);
done:
    tn_obj_decref(val);
    indexing_free(&ix);
    return rc;
}

int op_setitem(TnState *st, TnTensor *x, TnValue key, TnValue value)
{
    return setitem(st, x, key, value, false);
}

int op_setitem_torch(TnState *st, TnTensor *x, TnValue key, TnValue value)
{
    return setitem(st, x, key, value, true);
}

/* ----------------------------------------------------------- index ops */
TnTensor *op_index_select(TnState *st, TnTensor *x, int64_t dim, TnTensor *index)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return NULL;
    if (index->ndim > 1)
        return tn_raise_ptr(st, tn_IndexError, "index_select(): Index is supposed to be a vector");
    if (index->dtype != DT_INT64 && index->dtype != DT_INT32)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "index_select(): Expected dtype int32 or int64 for index");
    TnTensor *idx = tensor_to(st, index, DT_INT64);
    if (!idx)
        return NULL;
    int64_t n = tensor_numel(idx), size = x->ndim ? x->sizes[d] : 1;
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof shape);
    if (x->ndim)
        shape[d] = n;
    TnTensor *out = tensor_empty(st, x->dtype, x->ndim, shape);
    for (int64_t j = 0; out && j < n; j++) {
        int64_t i = ((int64_t *)idx->storage->data)[idx->offset +
                                                    j * (idx->ndim ? idx->strides[0] : 0)];
        if (i < 0 || i >= size) { /* index_select takes no negative indices */
            tn_obj_decref(out);
            /* PyTorch's kernels differ: dim 1 of a >= 2-D tensor has its own check */
            out = x->ndim > 1 && d == 1
                      ? tn_raise_ptr(st, tn_RuntimeError,
                                     "INDICES element is out of DATA bounds, id=%lld axis_dim=%lld",
                                     (long long)i, (long long)size)
                      : tn_raise_ptr(st, tn_IndexError, "index out of range in self");
            break;
        }
        if (x->ndim == 0) {
            memcpy(tensor_ptr(out), tensor_ptr(x), (size_t)DT_SIZE(x->dtype));
            continue;
        }
        TnTensor *src = op_select(st, x, d, i), *dst = src ? op_select(st, out, d, j) : NULL;
        int rc = dst ? tensor_copy_(st, dst, src) : -1;
        tn_obj_decref(src);
        tn_obj_decref(dst);
        if (rc < 0) {
            tn_obj_decref(out);
            out = NULL;
        }
    }
    tn_obj_decref(idx);
    return out;
}

/* Checks gather/scatter index shape against x (and src) and returns an int64 copy. */
static TnTensor *check_gs_index(TnState *st, const char *name, TnTensor *x, int d, TnTensor *index,
                                TnTensor *src)
{
    if (index->dtype != DT_INT64)
        return tn_raise_ptr(st, tn_RuntimeError, "%s(): Expected dtype int64 for index", name);
    if (index->ndim != x->ndim && !(index->ndim <= 1 && x->ndim <= 1))
        return tn_raise_ptr(st, tn_RuntimeError,
                            "Index tensor must have the same number of dimensions as %s tensor",
                            src ? "self" : "input");
    bool gather = !strcmp(name, "gather");
    if (!gather && tensor_numel(index) > 0) {
        /* scatter's check (PyTorch's scatter_shape_check) has its own words */
        bool wrong = false;
        for (int k = 0; k < index->ndim && !wrong; k++)
            wrong = k != d && index->sizes[k] > x->sizes[k];
        for (int k = 0; src && k < index->ndim && !wrong; k++)
            wrong = index->sizes[k] > src->sizes[k];
        char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR], b3[TN_SHAPE_STR];
        if (wrong)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "Expected index %s to be smaller than self %s apart from dimension "
                                "%d%s%s",
                                shape_str(b1, index->ndim, index->sizes),
                                shape_str(b2, x->ndim, x->sizes), d,
                                src ? " and to be smaller size than src " : "",
                                src ? shape_str(b3, src->ndim, src->sizes) : "");
    }
    for (int k = 0; gather && k < index->ndim; k++) {
        if (k != d && index->sizes[k] > x->sizes[k]) {
            char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
            return tn_raise_ptr(st, tn_RuntimeError,
                                "Size does not match at dimension %d expected index %s to be "
                                "smaller than self %s apart from dimension %d",
                                k, shape_str(b1, index->ndim, index->sizes),
                                shape_str(b2, x->ndim, x->sizes), d);
        }
    }
    return tensor_contiguous(st, index);
}

TnTensor *op_gather(TnState *st, TnTensor *x, int64_t dim, TnTensor *index)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return NULL;
    TnTensor *idx = check_gs_index(st, "gather", x, d, index, NULL);
    if (!idx)
        return NULL;
    TnTensor *out = tensor_empty(st, x->dtype, idx->ndim, idx->sizes);
    int64_t n = tensor_numel(idx), size = x->ndim ? x->sizes[d] : 1;
    const int64_t *ip = (const int64_t *)tensor_ptr(idx);
    int es = DT_SIZE(x->dtype);
    for (int64_t i = 0; out && i < n; i++) {
        int64_t k = ip[i];
        if (k < -size || k >= size) {
            tn_obj_decref(out);
            out = tn_raise_ptr(st, tn_RuntimeError,
                               "index %lld is out of bounds for dimension %d with size %lld",
                               (long long)k, d, (long long)size);
            break;
        }
        if (k < 0)
            k += size;
        /* source position: the index position with dim d replaced by k */
        int64_t off = x->offset, rem = i;
        for (int q = idx->ndim - 1; q >= 0; q--) {
            int64_t c = rem % idx->sizes[q];
            rem /= idx->sizes[q];
            off += (q == d ? k : c) * x->strides[q];
        }
        memcpy((char *)tensor_ptr(out) + i * es, elem(x, off), (size_t)es);
    }
    tn_obj_decref(idx);
    return out;
}

TnTensor *op_scatter(TnState *st, TnTensor *x, int64_t dim, TnTensor *index, TnOperand src,
                     int mode, bool inplace)
{
    bool add = mode == SCATTER_ADD;
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return NULL;
    if (src.t && src.t->dtype != x->dtype)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "scatter(): Expected self.dtype to be equal to src.dtype");
    TnTensor *idx = check_gs_index(st, add ? "scatter_add" : "scatter", x, d, index, src.t);
    if (!idx)
        return NULL;
    TnTensor *out = inplace ? (tn_obj_incref(x), x) : tensor_clone(st, x);
    int64_t n = tensor_numel(idx), size = x->ndim ? x->sizes[d] : 1;
    const int64_t *ip = (const int64_t *)tensor_ptr(idx);
    int es = DT_SIZE(x->dtype);
    char sbuf[8] = {0};
    if (!src.t)
        dtype_set(x->dtype, sbuf, src.s);
    for (int64_t i = 0; out && i < n; i++) {
        int64_t k = ip[i];
        if (k < -size || k >= size) {
            tn_obj_decref(out);
            out = tn_raise_ptr(st, tn_RuntimeError,
                               "index %lld is out of bounds for dimension %d with size %lld",
                               (long long)k, d, (long long)size);
            break;
        }
        if (k < 0)
            k += size;
        int64_t off = out->offset, soff = src.t ? src.t->offset : 0, rem = i;
        for (int q = idx->ndim - 1; q >= 0; q--) {
            int64_t c = rem % idx->sizes[q];
            rem /= idx->sizes[q];
            off += (q == d ? k : c) * out->strides[q];
            if (src.t)
                soff += c * src.t->strides[q];
        }
        char *o = elem(out, off);
        const char *s = src.t ? elem(src.t, soff) : sbuf;
        bool mul = mode == SCATTER_MUL;
        if (mode == SCATTER_SET)
            memcpy(o, s, (size_t)es);
        else if (DT_IS_FLOAT(x->dtype))
            dtype_set(x->dtype, o,
                      tn_float(mul ? dtype_get_f(x->dtype, o) * dtype_get_f(x->dtype, s)
                                   : dtype_get_f(x->dtype, o) + dtype_get_f(x->dtype, s)));
        else if (x->dtype == DT_BOOL)
            *(bool *)o = mul ? (*(bool *)o && *(const bool *)s) : (*(bool *)o || *(const bool *)s);
        else /* wrap around as the int kernels do */
            dtype_set(x->dtype, o,
                      tn_int(mul ? (int64_t)((uint64_t)dtype_get_i(x->dtype, o) *
                                             (uint64_t)dtype_get_i(x->dtype, s))
                                 : (int64_t)((uint64_t)dtype_get_i(x->dtype, o) +
                                             (uint64_t)dtype_get_i(x->dtype, s))));
    }
    if (out)
        tensor_bump_version(out);
    tn_obj_decref(idx);
    return out;
}

TnTensor *op_masked_fill(TnState *st, TnTensor *x, TnTensor *mask, TnOperand value, bool inplace)
{
    if (mask->dtype != DT_BOOL)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "masked_fill_ only supports boolean masks, but got mask with dtype %s",
                            tn_dtype_info[mask->dtype].name);
    if (value.t && value.t->ndim != 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "masked_fill_ only supports a 0-dimensional value tensor, but got "
                            "tensor with %d dimension(s).",
                            value.t->ndim);
    TnValue v = value.t ? tensor_get_flat(value.t, 0) : value.s;
    if (!value.t && tensor_check_scalar(st, x->dtype, v) < 0)
        return NULL;
    int nd;
    int64_t shape[TN_MAX_DIMS];
    /* mask first: PyTorch's broadcast error names the mask as tensor a */
    if (shape_broadcast(st, mask->ndim, mask->sizes, x->ndim, x->sizes, &nd, shape) < 0)
        return NULL;
    TnTensor *out;
    if (inplace) {
        if (op_check_inplace(st, x, x->dtype, nd, shape) < 0)
            return NULL;
        out = x;
        tn_obj_incref(x);
    } else {
        TnTensor *e = tensor_expand_to(st, x, nd, shape);
        out = e ? tensor_clone(st, e) : NULL;
        tn_obj_decref(e);
        if (!out)
            return NULL;
    }
    TnTensor *m = tensor_expand_to(st, mask, nd, shape);
    if (!m) {
        tn_obj_decref(out);
        return NULL;
    }
    char buf[8] = {0};
    dtype_set(out->dtype, buf, v);
    int64_t n = tensor_numel(out);
    int es = DT_SIZE(out->dtype);
    for (int64_t i = 0; i < n; i++)
        if (*(bool *)elem(m, m->offset + flat_offset(nd, m->sizes, m->strides, i)))
            memcpy(elem(out, out->offset + flat_offset(nd, out->sizes, out->strides, i)), buf,
                   (size_t)es);
    tn_obj_decref(m);
    tensor_bump_version(out);
    return out;
}

TnTensor *op_masked_select(TnState *st, TnTensor *x, TnTensor *mask)
{
    if (mask->dtype != DT_BOOL)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "masked_select: expected BoolTensor for mask");
    int nd;
    int64_t shape[TN_MAX_DIMS];
    if (shape_broadcast(st, x->ndim, x->sizes, mask->ndim, mask->sizes, &nd, shape) < 0)
        return NULL;
    TnTensor *xe = tensor_expand_to(st, x, nd, shape);
    TnTensor *me = xe ? tensor_expand_to(st, mask, nd, shape) : NULL;
    TnTensor *out = NULL;
    if (me) {
        int64_t n = 1, cnt = 0;
        for (int d = 0; d < nd; d++)
            n *= shape[d];
        for (int64_t i = 0; i < n; i++)
            cnt += *(bool *)elem(me, me->offset + flat_offset(nd, me->sizes, me->strides, i));
        out = tensor_empty(st, x->dtype, 1, &cnt);
        int es = DT_SIZE(x->dtype);
        int64_t j = 0;
        for (int64_t i = 0; out && i < n; i++)
            if (*(bool *)elem(me, me->offset + flat_offset(nd, me->sizes, me->strides, i)))
                memcpy((char *)tensor_ptr(out) + (j++) * es,
                       elem(xe, xe->offset + flat_offset(nd, xe->sizes, xe->strides, i)),
                       (size_t)es);
    }
    tn_obj_decref(xe);
    tn_obj_decref(me);
    return out;
}

TnTensor *op_nonzero(TnState *st, TnTensor *x)
{
    TnTensor *b = tensor_to(st, x, DT_BOOL);
    if (!b)
        return NULL;
    TnTensor *c = tensor_contiguous(st, b);
    tn_obj_decref(b);
    if (!c)
        return NULL;
    int64_t n = tensor_numel(c), cnt = 0;
    const bool *p = (const bool *)tensor_ptr(c);
    for (int64_t i = 0; i < n; i++)
        cnt += p[i];
    int64_t shape[2] = {cnt, x->ndim};
    TnTensor *out = tensor_empty(st, DT_INT64, 2, shape);
    if (out) {
        int64_t *o = (int64_t *)tensor_ptr(out);
        for (int64_t i = 0; i < n; i++) {
            if (!p[i])
                continue;
            int64_t rem = i;
            for (int d = x->ndim - 1; d >= 0; d--) {
                o[d] = rem % x->sizes[d];
                rem /= x->sizes[d];
            }
            o += x->ndim;
        }
    }
    tn_obj_decref(c);
    return out;
}

TnTensor *op_take(TnState *st, TnTensor *x, TnTensor *index)
{
    if (index->dtype != DT_INT64)
        return tn_raise_ptr(st, tn_RuntimeError, "take(): Expected a long tensor for index, but got %s",
                            tn_dtype_info[index->dtype].cname);
    TnTensor *idx = tensor_contiguous(st, index);
    if (!idx)
        return NULL;
    TnTensor *out = tensor_empty(st, x->dtype, idx->ndim, idx->sizes);
    int64_t n = tensor_numel(idx), size = tensor_numel(x);
    const int64_t *ip = (const int64_t *)tensor_ptr(idx);
    int es = DT_SIZE(x->dtype);
    for (int64_t i = 0; out && i < n; i++) {
        int64_t k = ip[i];
        if (k < -size || k >= size) {
            tn_obj_decref(out);
            out = tn_raise_ptr(st, tn_IndexError,
                               "out of range: tried to access index %lld on a tensor of %lld "
                               "elements.",
                               (long long)k, (long long)size);
            break;
        }
        if (k < 0)
            k += size;
        memcpy((char *)tensor_ptr(out) + i * es,
               elem(x, x->offset + flat_offset(x->ndim, x->sizes, x->strides, k)), (size_t)es);
    }
    tn_obj_decref(idx);
    return out;
}

void op_free_list(TnTensor **ts, int64_t n)
{
    if (!ts)
        return;
    for (int64_t i = 0; i < n; i++)
        tn_obj_decref(ts[i]);
    tn_free(ts);
}
