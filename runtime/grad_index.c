/* grad_index.c: gradients of indexing — x[key] and x[key] = v, index_select, gather,
 * scatter, scatter_add, masked_fill, masked_select, take. Gradients flow back by
 * the adjoint op: a gather's is a scatter-add into zeros and the other way round. */
#include "grad.h"
#include "types.h"
#include <string.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)

/* ------------------------------------------------------------ x[key] */

/* Is one index item advanced (a list, a bool tensor, a tensor with dims)? */
static bool advanced_item(TnValue k)
{
    if (IS_LIST(k))
        return true;
    if (IS_TENSOR(k))
        return AS_TENSOR(k)->ndim > 0 || AS_TENSOR(k)->dtype == DT_BOOL;
    return IS_BOOL(k);
}

static bool advanced_key(TnValue key)
{
    if (!IS_TUPLE(key))
        return advanced_item(key);
    for (int64_t i = 0; i < AS_TUPLE(key)->n; i++)
        if (advanced_item(AS_TUPLE(key)->items[i]))
            return true;
    return false;
}

/* Flat positions (int64) of the elements x[key] picks, in the result's shape:
 * arange(numel).view(shape)[key]. */
static TnTensor *positions(TnState *st, const TnMeta *m, TnValue key)
{
    int64_t numel = 1;
    for (int d = 0; d < m->ndim; d++)
        numel *= m->sizes[d];
    TnTensor *ar = tensor_empty(st, DT_INT64, m->ndim, m->sizes);
    if (!ar)
        return NULL;
    int64_t *p = (int64_t *)tensor_ptr(ar);
    for (int64_t i = 0; i < numel; i++)
        p[i] = i;
    TnTensor *pos = op_getitem(st, ar, key);
    tn_obj_decref(ar);
    return pos;
}

/* zeros(shape) with g added at the flat positions pos (repeats accumulate). */
static TnTensor *scatter_flat(TnState *st, const TnMeta *m, TnTensor *pos, TnTensor *g)
{
    int64_t numel = 1, np = tensor_numel(pos);
    for (int d = 0; d < m->ndim; d++)
        numel *= m->sizes[d];
    TnTensor *z = tensor_zeros(st, g->dtype, 1, &numel);
    TnTensor *pf = z ? op_reshape(st, pos, 1, &np) : NULL;
    TnTensor *gf = pf ? op_reshape(st, g, 1, &np) : NULL;
    TnTensor *s = gf ? op_scatter(st, z, 0, pf, opt_(gf), true, true) : NULL;
    tn_obj_decref(pf);
    tn_obj_decref(gf);
    tn_obj_decref(s);
    TnTensor *r = s ? op_reshape(st, z, m->ndim, m->sizes) : NULL;
    tn_obj_decref(z);
    return r;
}

BW(getitem_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    TnTensor *g = gout[0];
    if (ARG_I(n, 0)) { /* advanced: repeated indices accumulate */
        TnTensor *pos = positions(st, m, n->aux);
        gin[0] = pos ? scatter_flat(st, m, pos, g) : NULL;
        tn_obj_decref(pos);
        return gin[0] ? 0 : -1;
    }
    TnTensor *z = g_zeros_meta(st, m, g->dtype);
    if (!z || g_setitem(st, z, n->aux, tn_obj(g)) < 0) {
        tn_obj_decref(z);
        return -1;
    }
    gin[0] = z;
    return 0;
}
static TN_NODE_KIND(IndexBackward0, "IndexBackward0", getitem_backward);
static TN_NODE_KIND(SelectBackward0, "SelectBackward0", getitem_backward);
static TN_NODE_KIND(SliceBackward0, "SliceBackward0", getitem_backward);
static TN_NODE_KIND(UnsqueezeBackward0, "UnsqueezeBackward0", getitem_backward);
static TN_NODE_KIND(AliasBackward0, "AliasBackward0", getitem_backward);

/* PyTorch applies the items left to right: the last one names the node. */
static TnNodeKind *basic_kind(TnValue key)
{
    TnValue *items = &key;
    int64_t cnt = 1;
    if (IS_TUPLE(key)) {
        items = AS_TUPLE(key)->items;
        cnt = AS_TUPLE(key)->n;
    }
    for (int64_t i = cnt - 1; i >= 0; i--) {
        TnValue k = items[i];
        if (IS_TYPEOF(k, &tn_ellipsis_type))
            continue;
        if (IS_NONE(k))
            return &UnsqueezeBackward0;
        if (IS_SLICE(k))
            return &SliceBackward0;
        return &SelectBackward0;
    }
    return &AliasBackward0;
}

static int rec_getitem(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnValue key = a[1];
    bool adv = advanced_key(key);
    if (autograd_node_set_kind(st, n, adv ? &IndexBackward0 : basic_kind(key)) < 0)
        return -1;
    ARG_I(n, 0) = adv;
    n->aux = tn_ref(key);
    TnTensor *o = AS_TENSOR(r), *x = AS_TENSOR(a[0]);
    if (!adv && o->storage == x->storage && IS_UNDEF(o->base)) {
        while (IS_TENSOR(x->base))
            x = AS_TENSOR(x->base);
        tn_obj_incref(x);
        o->base = tn_obj(x);
    }
    return 0;
}

const TnGradRow grad_getitem_row = {"__getitem__", 0, "", 1, &SliceBackward0, 0, 1,
                                    rec_getitem, 0};

/* ------------------------------------------------------- x[key] = v */

/* inputs: the old x and v; gx = g with the written part zeroed, gv = g[key]. */
BW(setitem_backward)
{
    TnTensor *g = gout[0];
    if (NEEDS(n, 0)) {
        TnTensor *c = g->requires_grad && autograd_graph_flag ? g_method(st, g, "clone", NULL, 0)
                                                              : tensor_clone(st, g);
        if (!c || g_setitem(st, c, n->aux, tn_int(0)) < 0) {
            tn_obj_decref(c);
            return -1;
        }
        gin[0] = c;
    }
    if (n->nin > 1 && NEEDS(n, 1) && !(gin[1] = g_getitem(st, g, n->aux)))
        return -1;
    return 0;
}
static TN_NODE_KIND(CopySlices, "CopySlices", setitem_backward);
static TN_NODE_KIND(IndexPutBackward0, "IndexPutBackward0", setitem_backward);

int grad_record_setitem(TnState *st, TnTensor *x, TnValue key, TnValue v, TnTensor *old)
{
    bool adv = advanced_key(key);
    TnGradFn *n = autograd_node_new(st, adv ? &IndexPutBackward0 : &CopySlices, 2, 1, 0, 0);
    if (!n)
        return -1;
    autograd_node_set_input(n, 0, old ? old : x);
    if (IS_TENSOR(v))
        autograd_node_set_input(n, 1, AS_TENSOR(v));
    n->aux = tn_ref(key);
    int rc = autograd_set_output(st, n, 0, x);
    tn_obj_decref(n);
    return rc;
}

/* ------------------------------------------ in-place writes through views */

/* An in-place op on a view v of a dense base b rewrites b's history as PyTorch's
 * CopySlices does: b's new node takes b's old history (gradient with v's region
 * zeroed) and v's new node (gradient of the region), and v becomes an as_strided
 * view of the new b. The region is v's geometry relative to b's storage, kept in the
 * args: arg[0] ndim, arg[1] offset, then sizes[ndim], strides[ndim], and b's
 * strides (b's rank is the gradient's), so gradients are laid out as b is. */
static TnTensor *view_region(TnState *st, TnGradFn *n, TnTensor *c)
{
    int nd = (int)ARG_I(n, 0);
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        sizes[d] = ARG_I(n, 2 + d);
        strides[d] = ARG_I(n, 2 + nd + d);
    }
    return tensor_alias(st, c, nd, sizes, strides, c->offset + ARG_I(n, 1));
}

/* A tensor of b's shape laid out with b's strides (so view_region applies to it),
 * holding g, or zeros when g is NULL. */
static TnTensor *like_base(TnState *st, TnGradFn *n, const TnMeta *m, TnTensor *g)
{
    int64_t numel = 1;
    for (int d = 0; d < m->ndim; d++)
        numel *= m->sizes[d];
    TnTensor *flat = tensor_empty_ex(st, m->dtype, 1, &numel, g == NULL);
    TnTensor *c = flat ? tensor_alias(st, flat, m->ndim, m->sizes,
                                      &n->arg[2 + 2 * ARG_I(n, 0)].i, 0) : NULL;
    tn_obj_decref(flat);
    if (c && g && tensor_copy_(st, c, g) < 0) {
        tn_obj_decref(c);
        return NULL;
    }
    return c;
}

BW(copy_slices_view_backward)
{
    TnMeta m = n->meta[0];
    m.dtype = gout[0]->dtype;
    TnTensor *c = like_base(st, n, &m, gout[0]);
    TnTensor *r = c ? view_region(st, n, c) : NULL;
    int rc = r ? 0 : -1;
    if (rc == 0 && NEEDS(n, 1))
        rc = (gin[1] = tensor_clone(st, r)) ? 0 : -1;
    if (rc == 0 && NEEDS(n, 0) && (rc = tensor_fill_(st, r, tn_int(0))) == 0)
        gin[0] = g_ref(c);
    tn_obj_decref(r);
    tn_obj_decref(c);
    return rc;
}

BW(as_strided_backward)
{
    TnMeta tmp, m = *IN_META(n, 0, &tmp);
    m.dtype = gout[0]->dtype;
    TnTensor *z = like_base(st, n, &m, NULL);
    TnTensor *r = z ? view_region(st, n, z) : NULL;
    int rc = r ? tensor_copy_(st, r, gout[0]) : -1;
    tn_obj_decref(r);
    if (rc == 0)
        gin[0] = z;
    else
        tn_obj_decref(z);
    return rc;
}
static TN_NODE_KIND(CopySlicesView, "CopySlices", copy_slices_view_backward);
static TN_NODE_KIND(AsStridedBackward0, "AsStridedBackward0", as_strided_backward);

static TnGradFn *region_node(TnState *st, TnNodeKind *kind, int nin, TnTensor *v, TnTensor *b)
{
    TnGradFn *n = autograd_node_new(st, kind, nin, 1, 0, 2 + 2 * v->ndim + b->ndim);
    if (!n)
        return NULL;
    ARG_I(n, 0) = v->ndim;
    ARG_I(n, 1) = v->offset - b->offset;
    for (int d = 0; d < v->ndim; d++) {
        ARG_I(n, 2 + d) = v->sizes[d];
        ARG_I(n, 2 + v->ndim + d) = v->strides[d];
    }
    for (int d = 0; d < b->ndim; d++)
        ARG_I(n, 2 + 2 * v->ndim + d) = b->strides[d];
    return n;
}

int grad_record_view_inplace(TnState *st, TnTensor *v, TnTensor *b)
{
    TnGradFn *c = region_node(st, &CopySlicesView, 2, v, b);
    if (!c)
        return -1;
    autograd_node_set_input(c, 0, b);
    autograd_node_set_input(c, 1, v);
    int rc = autograd_set_output(st, c, 0, b);
    tn_obj_decref(c);
    TnGradFn *a = rc == 0 ? region_node(st, &AsStridedBackward0, 1, v, b) : NULL;
    if (!a)
        return -1;
    autograd_node_set_input(a, 0, b);
    rc = autograd_set_output(st, a, 0, v);
    tn_obj_decref(a);
    return rc;
}

/* ------------------------------------------------------- index ops */

/* index_select(dim, index): scatter-add g back along dim at index. */
BW(index_select_backward)
{
    TnTensor *idx = SAVED(n, 0), *g = gout[0];
    if (!idx)
        return -1;
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    int d = (int)ARG_I(n, 0);
    if (m->ndim == 0) {
        gin[0] = g_ref(g);
        return 0;
    }
    int64_t shape[TN_MAX_DIMS];
    for (int k = 0; k < g->ndim; k++)
        shape[k] = k == d ? tensor_numel(idx) : 1;
    TnTensor *iv = op_reshape(st, idx, g->ndim, shape);
    TnTensor *ie = iv ? op_expand(st, iv, g->ndim, g->sizes) : NULL;
    TnTensor *z = ie ? g_zeros_meta(st, m, g->dtype) : NULL;
    gin[0] = z ? g_scatter_add(st, z, d, ie, g) : NULL;
    tn_obj_decref(iv);
    tn_obj_decref(ie);
    tn_obj_decref(z);
    return gin[0] ? 0 : -1;
}

BW(gather_backward)
{
    TnTensor *idx = SAVED(n, 0);
    if (!idx)
        return -1;
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    TnTensor *z = g_zeros_meta(st, m, gout[0]->dtype);
    gin[0] = z ? g_scatter_add(st, z, ARG_I(n, 0), idx, gout[0]) : NULL;
    tn_obj_decref(z);
    return gin[0] ? 0 : -1;
}

/* scatter(dim, index, src): x loses the gradient where it was overwritten; src
 * gets what was at its places. */
BW(scatter_backward)
{
    TnTensor *idx = SAVED(n, 0), *g = gout[0];
    if (!idx)
        return -1;
    int64_t d = ARG_I(n, 0);
    if (NEEDS(n, 0) && !(gin[0] = op_scatter(st, g, d, idx, ops_(0.0), false, false)))
        return -1;
    if (n->nin > 1 && NEEDS(n, 1) && !(gin[1] = op_gather(st, g, d, idx)))
        return -1;
    return 0;
}

BW(scatter_add_backward)
{
    TnTensor *idx = SAVED(n, 0), *g = gout[0];
    if (!idx)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = g_ref(g)))
        return -1;
    if (n->nin > 1 && NEEDS(n, 1) && !(gin[1] = op_gather(st, g, ARG_I(n, 0), idx)))
        return -1;
    return 0;
}

static TN_NODE_KIND(IndexSelectBackward0, "IndexSelectBackward0", index_select_backward);
static TN_NODE_KIND(GatherBackward0, "GatherBackward0", gather_backward);
static TN_NODE_KIND(ScatterBackward0, "ScatterBackward0", scatter_backward);
static TN_NODE_KIND(ScatterBackward1, "ScatterBackward1", scatter_backward);
static TN_NODE_KIND(ScatterAddBackward0, "ScatterAddBackward0", scatter_add_backward);

/* params: input, dim, index[, src] */
static int rec_dim_index(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    ARG_I(n, 0) = g_wrap(IS_INTLIKE(a[1]) ? a[1].u.i : 0, x->ndim);
    if (!IS_TENSOR(a[2]))
        return tn_raise_int(st, tn_RuntimeError, "%s: index must be a tensor", NODE_NAME(n));
    autograd_save(n, 0, AS_TENSOR(a[2]));
    return 0;
}

/* params: input, src, dim, index (src UNDEF or a number: scatter of a value) */
static int rec_scatter(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_TENSOR(a[1]) && NODE_KIND(n) == &ScatterBackward0 &&
        autograd_node_set_kind(st, n, &ScatterBackward1) < 0)
        return -1;
    TnValue b[3] = {a[0], a[2], a[3]};
    return rec_dim_index(st, n, b, r);
}

/* masked_fill(mask, value): gx = g where not mask; a tensor value gets the sum of g
 * where mask. */
BW(masked_fill_backward)
{
    TnTensor *mask = SAVED(n, 0), *g = gout[0];
    if (!mask)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = g_where(st, mask, ops_(0.0), opt_(g))))
        return -1;
    if (n->nin > 2 && NEEDS(n, 2)) {
        TnTensor *w = g_where(st, mask, opt_(g), ops_(0.0));
        gin[2] = w ? g_sum(st, w, 0xffffffffu, false) : NULL;
        tn_obj_decref(w);
        if (!gin[2])
            return -1;
    }
    return 0;
}
static TN_NODE_KIND(MaskedFillBackward0, "MaskedFillBackward0", masked_fill_backward);
static TN_NODE_KIND(MaskedFillBackward1, "MaskedFillBackward1", masked_fill_backward);

static int rec_masked_fill(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_TENSOR(a[1]))
        return tn_raise_int(st, tn_RuntimeError, "masked_fill: mask must be a tensor");
    autograd_save(n, 0, AS_TENSOR(a[1]));
    return IS_TENSOR(a[2]) ? autograd_node_set_kind(st, n, &MaskedFillBackward1) : 0;
}

/* masked_select: the gradient goes back to the selected places of the broadcast
 * input (the engine sums a broadcast one down). */
BW(masked_select_backward)
{
    TnTensor *mask = SAVED(n, 0), *g = gout[0];
    if (!mask)
        return -1;
    TnMeta tmp, b;
    const TnMeta *m = IN_META(n, 0, &tmp);
    b.dtype = g->dtype;
    if (shape_broadcast(st, m->ndim, m->sizes, mask->ndim, mask->sizes, &b.ndim, b.sizes) < 0)
        return -1;
    TnTensor *me = op_expand(st, mask, b.ndim, b.sizes);
    TnTensor *pos = me ? positions(st, &b, tn_obj(me)) : NULL;
    gin[0] = pos ? scatter_flat(st, &b, pos, g) : NULL;
    tn_obj_decref(me);
    tn_obj_decref(pos);
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(MaskedSelectBackward0, "MaskedSelectBackward0", masked_select_backward);

static int rec_save_arg1(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_TENSOR(a[1]))
        return tn_raise_int(st, tn_RuntimeError, "%s: expected a tensor argument", NODE_NAME(n));
    autograd_save(n, 0, AS_TENSOR(a[1]));
    return 0;
}

BW(take_backward)
{
    TnTensor *idx = SAVED(n, 0);
    if (!idx)
        return -1;
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    int64_t numel = 1;
    for (int d = 0; d < m->ndim; d++)
        numel *= m->sizes[d];
    /* negative indices count from the end */
    TnTensor *neg = g_bins(st, BOP_LT, idx, 0.0);
    TnTensor *up = g_bins(st, BOP_ADD, idx, (double)numel);
    TnTensor *wrapped = neg && up ? op_where(st, neg, opt_(up), opt_(idx)) : NULL;
    tn_obj_decref(neg);
    tn_obj_decref(up);
    TnTensor *w64 = wrapped ? tensor_to(st, wrapped, DT_INT64) : NULL;
    tn_obj_decref(wrapped);
    gin[0] = w64 ? scatter_flat(st, m, w64, gout[0]) : NULL;
    tn_obj_decref(w64);
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(TakeBackward0, "TakeBackward0", take_backward);

#define FM (GW_TORCH | GW_METHOD)
const TnGradRow grad_index_rows[] = {
    {"index_select", FM, ",dim,index", 1, &IndexSelectBackward0, 1, 1, rec_dim_index, 0},
    {"gather", FM, ",dim,index", 1, &GatherBackward0, 1, 1, rec_dim_index, 0},
    {"scatter", FM | GW_INPLACE, ",src?,dim,index", 2, &ScatterBackward0, 1, 1, rec_scatter, 0},
    {"scatter_add", FM | GW_INPLACE, ",src,dim,index", 2, &ScatterAddBackward0, 1, 1,
     rec_scatter, 0},
    {"masked_fill", FM | GW_INPLACE, ",mask,value", 3, &MaskedFillBackward0, 1, 0,
     rec_masked_fill, 0},
    {"masked_select", FM, ",mask", 1, &MaskedSelectBackward0, 1, 0, rec_save_arg1, 0},
    {"take", FM, ",index", 1, &TakeBackward0, 1, 0, rec_save_arg1, 0},
    {NULL},
};
