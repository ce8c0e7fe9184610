/* grad_shape.c: gradients of the movement ops (views, reshapes, transposes, expand,
 * slicing views, split/cat/stack, flip/roll/repeat, diag/tril, clone and casts).
 * Views and reshapes send the gradient back through the inverse movement; ops
 * that pick part of the input write the gradient into zeros through the same op. */
#include "grad.h"
#include <string.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
#define DONE0 (gin[0] ? 0 : -1)

static void set_base(TnTensor *out, TnTensor *in)
{
    if (out->storage != in->storage || !IS_UNDEF(out->base))
        return;
    while (IS_TENSOR(in->base))
        in = AS_TENSOR(in->base);
    tn_obj_incref(in);
    out->base = tn_obj(in);
}

/* ------------------------------------------------------- reshapes and views */

BW(reshape_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    gin[0] = g_reshape(st, gout[0], m->ndim, m->sizes);
    return DONE0;
}

BW(pass_backward)
{
    gin[0] = g_ref(gout[0]);
    return DONE0;
}

static TN_NODE_KIND(ViewBackward0, "ViewBackward0", reshape_backward);
static TN_NODE_KIND(ReshapeAliasBackward0, "ReshapeAliasBackward0", reshape_backward);
static TN_NODE_KIND(UnsafeViewBackward0, "UnsafeViewBackward0", reshape_backward);
static TN_NODE_KIND(SqueezeBackward0, "SqueezeBackward0", reshape_backward);
static TN_NODE_KIND(SqueezeBackward1, "SqueezeBackward1", reshape_backward);
static TN_NODE_KIND(UnsqueezeBackward0, "UnsqueezeBackward0", reshape_backward);
static TN_NODE_KIND(ExpandBackward0, "ExpandBackward0", pass_backward);
static TN_NODE_KIND(CloneBackward0, "CloneBackward0", pass_backward);
static TN_NODE_KIND(ToCopyBackward0, "ToCopyBackward0", pass_backward);

/* reshape/flatten: a view when the storage is shared, else a copy. */
static int rec_reshape(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]), *o = AS_TENSOR(r);
    if (o->storage == x->storage) {
        set_base(o, x);
        return 0;
    }
    return autograd_node_set_kind(st, n, &UnsafeViewBackward0);
}

static int rec_squeeze(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1]))
        return autograd_node_set_kind(st, n, &SqueezeBackward1);
    return 0;
}

/* transpose(d0, d1) / t(): the same swap. */
BW(transpose_backward)
{
    gin[0] = g_transpose(st, gout[0], ARG_I(n, 0), ARG_I(n, 1));
    return DONE0;
}
BW(t_backward)
{
    gin[0] = g_t(st, gout[0]);
    return DONE0;
}
static TN_NODE_KIND(TransposeBackward0, "TransposeBackward0", transpose_backward);
static TN_NODE_KIND(TBackward0, "TBackward0", t_backward);

static int rec_transpose(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_I(n, 0) = IS_INTLIKE(a[1]) ? a[1].u.i : -2;
    ARG_I(n, 1) = IS_INTLIKE(a[2]) ? a[2].u.i : -1;
    return 0;
}

/* permute: arg[0] = ndim, arg[1..] = the inverse permutation. */
BW(permute_backward)
{
    int nd = (int)ARG_I(n, 0);
    int64_t inv[TN_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        inv[d] = ARG_I(n, 1 + d);
    gin[0] = g_permute(st, gout[0], nd, inv);
    return DONE0;
}
TN_NODE_KIND(grad_PermuteBackward0, "PermuteBackward0", permute_backward);

static void store_inverse(TnGradFn *n, int nd, const int64_t *perm)
{
    ARG_I(n, 0) = nd;
    for (int d = 0; d < nd; d++)
        ARG_I(n, 1 + g_wrap(perm[d], nd)) = d;
}

static int rec_permute(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int64_t perm[TN_MAX_DIMS];
    int nd = g_int_list(a[1], perm, TN_MAX_DIMS);
    store_inverse(n, nd < 0 ? 0 : nd, perm);
    return 0;
}

static int rec_movedim(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int nd = AS_TENSOR(a[0])->ndim;
    int64_t src[TN_MAX_DIMS], dst[TN_MAX_DIMS], perm[TN_MAX_DIMS];
    int ns = g_int_list(a[1], src, TN_MAX_DIMS);
    (void)g_int_list(a[2], dst, TN_MAX_DIMS);
    bool used[TN_MAX_DIMS] = {0}, filled[TN_MAX_DIMS] = {0};
    for (int i = 0; i < ns; i++) {
        int s = g_wrap(src[i], nd), d = g_wrap(dst[i], nd);
        perm[d] = s;
        used[s] = filled[d] = true;
    }
    int next = 0;
    for (int d = 0; d < nd; d++) {
        if (filled[d])
            continue;
        while (used[next])
            next++;
        perm[d] = next++;
    }
    store_inverse(n, nd, perm);
    return 0;
}

/* ---------------------------------------------- parts of the input (views) */

/* zeros of the input's shape with g written into the part the op selected. */
typedef TnTensor *(*PartFn)(TnState *st, TnTensor *t, const TnGradFn *n);

static int into_zeros(TnState *st, TnGradFn *n, TnTensor *g, PartFn part, TnTensor **out)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    TnTensor *z = g_zeros_meta(st, m, g->dtype);
    TnTensor *v = z ? part(st, z, n) : NULL;
    int rc = v ? tensor_copy_(st, v, g) : -1;
    tn_obj_decref(v);
    if (rc < 0) {
        tn_obj_decref(z);
        return -1;
    }
    *out = z;
    return 0;
}

static TnTensor *part_narrow(TnState *st, TnTensor *t, const TnGradFn *n)
{
    return op_narrow(st, t, n->arg[0].i, n->arg[1].i, n->arg[2].i);
}
static TnTensor *part_select(TnState *st, TnTensor *t, const TnGradFn *n)
{
    return op_select(st, t, n->arg[0].i, n->arg[1].i);
}
static TnTensor *part_diagonal(TnState *st, TnTensor *t, const TnGradFn *n)
{
    return op_diagonal(st, t, n->arg[0].i, n->arg[1].i, n->arg[2].i);
}
static TnTensor *part_diag(TnState *st, TnTensor *t, const TnGradFn *n)
{
    return op_diagonal(st, t, n->arg[0].i, 0, 1);
}

/* Under create_graph, g is written through the recorded x[key] = g instead. */
static bool graph_of(const TnTensor *g)
{
    return autograd_graph_flag && g->requires_grad;
}

BW(narrow_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    if (graph_of(gout[0])) {
        TnValue key = g_range_key(st, g_wrap(ARG_I(n, 0), m->ndim), ARG_I(n, 1), ARG_I(n, 2));
        gin[0] = g_into_zeros(st, m, key, gout[0]);
        return DONE0;
    }
    return into_zeros(st, n, gout[0], part_narrow, &gin[0]);
}
BW(select_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    if (graph_of(gout[0])) {
        TnValue key = g_dim_key(st, g_wrap(ARG_I(n, 0), m->ndim), tn_int(ARG_I(n, 1)));
        gin[0] = g_into_zeros(st, m, key, gout[0]);
        return DONE0;
    }
    return into_zeros(st, n, gout[0], part_select, &gin[0]);
}
BW(diagonal_backward)
{
    return into_zeros(st, n, gout[0], part_diagonal, &gin[0]);
}
/* diag: of a vector it builds a matrix (the gradient is its diagonal), of a
 * matrix it takes the diagonal (the gradient goes back onto it). */
BW(diag_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    if (m->ndim == 1) {
        TnTensor *d = op_diagonal(st, gout[0], ARG_I(n, 0), 0, 1);
        gin[0] = d ? tensor_contiguous(st, d) : NULL;
        tn_obj_decref(d);
        return DONE0;
    }
    return into_zeros(st, n, gout[0], part_diag, &gin[0]);
}
TN_NODE_KIND(grad_SliceBackward0, "SliceBackward0", narrow_backward);
static TN_NODE_KIND(SelectBackward0, "SelectBackward0", select_backward);
static TN_NODE_KIND(DiagonalBackward0, "DiagonalBackward0", diagonal_backward);
static TN_NODE_KIND(DiagBackward0, "DiagBackward0", diag_backward);

static int rec_ints(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    for (int k = 0; k < n->narg; k++)
        ARG_I(n, k) = IS_INTLIKE(a[1 + k]) ? a[1 + k].u.i : 0;
    return 0;
}

/* ------------------------------------------------ split / cat / stack */

/* the output gradients joined along arg[0] (concatenated or stacked) */
static int join_graph_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin,
                               bool stack)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    int d = (int)ARG_I(n, 0);
    TnTensor *z = g_zeros_meta(st, m, gout[0]->dtype);
    int64_t off = 0;
    for (int i = 0; z && i < n->nout; i++) {
        int64_t len = stack ? 1 : gout[i]->sizes[d];
        TnValue key = stack ? g_dim_key(st, d, tn_int(i)) : g_range_key(st, d, off, len);
        int rc = IS_UNDEF(key) ? -1 : g_setitem(st, z, key, tn_obj(gout[i]));
        tn_decref(key);
        if (rc < 0) {
            tn_obj_decref(z);
            return -1;
        }
        off += len;
    }
    gin[0] = z;
    return DONE0;
}

static int join_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin, bool stack)
{
    for (int i = 0; i < n->nout; i++)
        if (graph_of(gout[i]))
            return join_graph_backward(st, n, gout, gin, stack);
    TnTensor *r = stack ? op_stack(st, gout, n->nout, ARG_I(n, 0))
                        : op_cat(st, gout, n->nout, ARG_I(n, 0));
    gin[0] = r;
    return DONE0;
}
BW(split_backward)
{
    return join_backward(st, n, gout, gin, false);
}
BW(unbind_backward)
{
    return join_backward(st, n, gout, gin, true);
}
static TN_NODE_KIND(SplitBackward0, "SplitBackward0", split_backward);
static TN_NODE_KIND(SplitWithSizesBackward0, "SplitWithSizesBackward0", split_backward);
static TN_NODE_KIND(UnbindBackward0, "UnbindBackward0", unbind_backward);

static int rec_split(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    ARG_I(n, 0) = g_wrap(IS_INTLIKE(a[2]) ? a[2].u.i : 0, x->ndim);
    if (!IS_INTLIKE(a[1]) && autograd_node_set_kind(st, n, &SplitWithSizesBackward0) < 0)
        return -1;
    TnValue *items;
    int64_t cnt;
    if (grad_result_items(&r, &items, &cnt))
        for (int64_t i = 0; i < cnt; i++)
            if (IS_TENSOR(items[i]))
                set_base(AS_TENSOR(items[i]), x);
    return 0;
}

static int rec_unbind(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_I(n, 0) = g_wrap(IS_INTLIKE(a[1]) ? a[1].u.i : 0, AS_TENSOR(a[0])->ndim);
    return 0;
}

/* cat: arg[0] = dim, arg[1 + i] = size of input i along it. */
BW(cat_backward)
{
    int64_t d = ARG_I(n, 0), off = 0;
    for (int i = 0; i < n->nin; i++) {
        int64_t len = ARG_I(n, 1 + i);
        if (NEEDS(n, i)) {
            TnValue args[3] = {tn_int(d), tn_int(off), tn_int(len)};
            TnTensor *p = graph_of(gout[0]) ? g_method(st, gout[0], "narrow", args, 3)
                                            : op_narrow(st, gout[0], d, off, len);
            if (!p)
                return -1;
            gin[i] = p;
        }
        off += len;
    }
    return 0;
}
BW(stack_backward)
{
    for (int i = 0; i < n->nin; i++)
        if (NEEDS(n, i)) {
            TnValue args[2] = {tn_int(ARG_I(n, 0)), tn_int(i)};
            gin[i] = graph_of(gout[0]) ? g_method(st, gout[0], "select", args, 2)
                                       : op_select(st, gout[0], ARG_I(n, 0), i);
            if (!gin[i])
                return -1;
        }
    return 0;
}
static TN_NODE_KIND(CatBackward0, "CatBackward0", cat_backward);
static TN_NODE_KIND(StackBackward0, "StackBackward0", stack_backward);

/* kind: 0 cat/stack (dim given), 1 hstack, 2 vstack */
static int rec_join(TnState *st, TnGradFn *n, const TnValue *a, TnValue r, int kind)
{
    TnValue *items;
    int64_t cnt;
    if (!tn_seq_items(a[0], &items, &cnt))
        return 0;
    TnTensor *o = AS_TENSOR(r);
    int64_t d = 0;
    if (kind == 0)
        d = g_wrap(IS_INTLIKE(a[1]) ? a[1].u.i : 0, o->ndim);
    else if (kind == 1)
        d = o->ndim == 1 ? 0 : 1;
    ARG_I(n, 0) = d;
    for (int64_t i = 0; i < cnt; i++) {
        TnTensor *t = AS_TENSOR(items[i]);
        int64_t len;
        if (kind == 2)
            len = t->ndim <= 1 ? 1 : t->sizes[0];
        else if (kind == 1)
            len = t->ndim == 0 ? 1 : t->ndim == 1 ? t->sizes[0] : t->sizes[1];
        else
            len = t->ndim ? t->sizes[d] : 1;
        ARG_I(n, 1 + i) = len;
    }
    return 0;
}
static int rec_cat(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_join(st, n, a, r, 0);
}
static int rec_hstack(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_join(st, n, a, r, 1);
}
static int rec_vstack(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_join(st, n, a, r, 2);
}
static int rec_stack(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_I(n, 0) = g_wrap(IS_INTLIKE(a[1]) ? a[1].u.i : 0, AS_TENSOR(r)->ndim);
    return 0;
}

/* ------------------------------------------------ flip, roll, repeat, tri */

/* arg[0] = count, arg[1..] = dims (flip) */
BW(flip_backward)
{
    int64_t dims[TN_MAX_DIMS];
    int nd = (int)ARG_I(n, 0);
    for (int i = 0; i < nd; i++)
        dims[i] = ARG_I(n, 1 + i);
    gin[0] = g_flip(st, gout[0], nd, dims);
    return DONE0;
}
static TN_NODE_KIND(FlipBackward0, "FlipBackward0", flip_backward);

static int rec_list(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int64_t v[TN_MAX_DIMS];
    int k = g_int_list(a[1], v, TN_MAX_DIMS);
    ARG_I(n, 0) = k < 0 ? 0 : k;
    for (int i = 0; i < k; i++)
        ARG_I(n, 1 + i) = v[i];
    return 0;
}

/* roll: arg[0] = count, arg[1..16] shifts, arg[17] = ndims, arg[18..] dims */
BW(roll_backward)
{
    int64_t sh[TN_MAX_DIMS], dims[TN_MAX_DIMS];
    int ns = (int)ARG_I(n, 0), nd = (int)ARG_I(n, 17);
    for (int i = 0; i < ns; i++)
        sh[i] = -ARG_I(n, 1 + i);
    for (int i = 0; i < nd; i++)
        dims[i] = ARG_I(n, 18 + i);
    gin[0] = op_roll(st, gout[0], ns, sh, nd, dims);
    return DONE0;
}
static TN_NODE_KIND(RollBackward0, "RollBackward0", roll_backward);

static int rec_roll(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int64_t v[TN_MAX_DIMS];
    int k = g_int_list(a[1], v, TN_MAX_DIMS);
    ARG_I(n, 0) = k < 0 ? 0 : k;
    for (int i = 0; i < k; i++)
        ARG_I(n, 1 + i) = v[i];
    k = IS_UNDEF(a[2]) || IS_NONE(a[2]) ? 0 : g_int_list(a[2], v, TN_MAX_DIMS);
    ARG_I(n, 17) = k < 0 ? 0 : k;
    for (int i = 0; i < k; i++)
        ARG_I(n, 18 + i) = v[i];
    return 0;
}

/* repeat/tile: arg[0] = count, arg[1..] = repeats (padded to the input's ndim for
 * tile). The gradient, viewed as (r0, s0, r1, s1, ...), summed over the r's. */
BW(repeat_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    int k = (int)ARG_I(n, 0);
    if (2 * k > TN_MAX_DIMS)
        return tn_raise_int(st, tn_NotImplementedError, "repeat backward with more than %d dims",
                            TN_MAX_DIMS / 2);
    int64_t shape[TN_MAX_DIMS], insz[TN_MAX_DIMS];
    uint32_t mask = 0;
    for (int i = 0; i < k; i++) {
        int j = i - (k - m->ndim);
        insz[i] = j >= 0 ? m->sizes[j] : 1;
        shape[2 * i] = ARG_I(n, 1 + i);
        shape[2 * i + 1] = insz[i];
        mask |= 1u << (2 * i);
    }
    TnTensor *v = g_reshape(st, gout[0], 2 * k, shape);
    TnTensor *s = g_sum(st, v, mask, false);
    tn_obj_decref(v);
    gin[0] = g_reshape(st, s, m->ndim, m->sizes);
    tn_obj_decref(s);
    return DONE0;
}
static TN_NODE_KIND(RepeatBackward0, "RepeatBackward0", repeat_backward);

static int rec_repeat(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int64_t v[TN_MAX_DIMS];
    int k = g_int_list(a[1], v, TN_MAX_DIMS);
    int nd = AS_TENSOR(a[0])->ndim, pad = k < nd ? nd - k : 0;
    ARG_I(n, 0) = k + pad;
    for (int i = 0; i < pad; i++)
        ARG_I(n, 1 + i) = 1;
    for (int i = 0; i < k; i++)
        ARG_I(n, 1 + pad + i) = v[i];
    return 0;
}

static int tri_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin, bool upper)
{
    TnValue k = tn_int(ARG_I(n, 0));
    gin[0] = graph_of(gout[0]) ? g_method(st, gout[0], upper ? "triu" : "tril", &k, 1)
                               : op_tri(st, gout[0], ARG_I(n, 0), upper);
    return DONE0;
}
BW(tril_backward)
{
    return tri_backward(st, n, gout, gin, false);
}
BW(triu_backward)
{
    return tri_backward(st, n, gout, gin, true);
}
static TN_NODE_KIND(TrilBackward0, "TrilBackward0", tril_backward);
static TN_NODE_KIND(TriuBackward0, "TriuBackward0", triu_backward);

static int rec_view(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    set_base(AS_TENSOR(r), AS_TENSOR(a[0]));
    return 0;
}

/* x.T reverses the dims; x.mT swaps the last two (properties, recorded by autograd_api.c). */
static int rec_T(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int nd = AS_TENSOR(a[0])->ndim;
    int64_t perm[TN_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        perm[d] = nd - 1 - d;
    store_inverse(n, nd, perm);
    set_base(AS_TENSOR(r), AS_TENSOR(a[0]));
    return 0;
}
static int rec_mT(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_I(n, 0) = -2;
    ARG_I(n, 1) = -1;
    set_base(AS_TENSOR(r), AS_TENSOR(a[0]));
    return 0;
}
const TnGradRow grad_T_row = {"T", 0, "", 1, &grad_PermuteBackward0, 0, 1 + TN_MAX_DIMS, rec_T, 0};
const TnGradRow grad_mT_row = {"mT", 0, "", 1, &TransposeBackward0, 0, 2, rec_mT, 0};

#define FM (GW_TORCH | GW_METHOD)
const TnGradRow grad_shape_rows[] = {
    {"view|view_as", GW_METHOD, "", 1, &ViewBackward0, 0, 0, rec_view, 0},
    {"unflatten", FM, "", 1, &ViewBackward0, 0, 0, rec_view, 0},
    {"reshape|reshape_as|flatten", FM, "", 1, &ReshapeAliasBackward0, 0, 0, rec_reshape, 0},
    {"squeeze", FM, ",dim", 1, &SqueezeBackward0, 0, 0, rec_squeeze, GR_VIEW},
    {"unsqueeze", FM, "", 1, &UnsqueezeBackward0, 0, 0, NULL, GR_VIEW},
    {"transpose|swapdims", FM, ",dim0,dim1", 1, &TransposeBackward0, 0, 2, rec_transpose, GR_VIEW},
    {"swapaxes", FM, ",axis0,axis1", 1, &TransposeBackward0, 0, 2, rec_transpose, GR_VIEW},
    {"t", FM, "", 1, &TBackward0, 0, 0, NULL, GR_VIEW},
    {"permute", FM, ",dims", 1, &grad_PermuteBackward0, 0, 1 + TN_MAX_DIMS, rec_permute, GR_VIEW},
    {"movedim|moveaxis", FM, ",source,destination", 1, &grad_PermuteBackward0, 0,
     1 + TN_MAX_DIMS, rec_movedim, GR_VIEW},
    {"expand|expand_as|broadcast_to", FM, "", 1, &ExpandBackward0, 0, 0, NULL, GR_VIEW},
    {"narrow", FM, ",dim,start,length", 1, &grad_SliceBackward0, 0, 3, rec_ints, GR_VIEW},
    {"select", FM, ",dim,index", 1, &SelectBackward0, 0, 2, rec_ints, GR_VIEW},
    {"diagonal", FM, ",offset,dim1,dim2", 1, &DiagonalBackward0, 0, 3, rec_ints, GR_VIEW},
    {"diag", FM, ",diagonal", 1, &DiagBackward0, 0, 1, rec_ints, 0},
    {"unbind", FM, ",dim", 1, &UnbindBackward0, 0, 1, rec_unbind, GR_VIEW},
    {"split|chunk", FM, ",split_size_or_sections|chunks,dim", 1, &SplitBackward0, 0, 1,
     rec_split, 0},
    {"cat|concat", GW_TORCH, "tensors,dim", 1, &CatBackward0, 0, -1, rec_cat, GR_LIST},
    {"hstack", GW_TORCH, "tensors", 1, &CatBackward0, 0, -1, rec_hstack, GR_LIST},
    {"vstack", GW_TORCH, "tensors", 1, &CatBackward0, 0, -1, rec_vstack, GR_LIST},
    {"stack", GW_TORCH, "tensors,dim", 1, &StackBackward0, 0, 1, rec_stack, GR_LIST},
    {"flip", FM, ",dims", 1, &FlipBackward0, 0, 1 + TN_MAX_DIMS, rec_list, 0},
    {"roll", FM, ",shifts,dims", 1, &RollBackward0, 0, 2 + 2 * TN_MAX_DIMS, rec_roll, 0},
    {"repeat|tile", FM, ",sizes|dims", 1, &RepeatBackward0, 0, 1 + TN_MAX_DIMS, rec_repeat, 0},
    {"tril", FM | GW_INPLACE, ",diagonal", 1, &TrilBackward0, 0, 1, rec_ints, 0},
    {"triu", FM | GW_INPLACE, ",diagonal", 1, &TriuBackward0, 0, 1, rec_ints, 0},
    {"clone|contiguous", FM, "", 1, &CloneBackward0, 0, 0, NULL, 0},
    {"float|double|to|type|type_as", GW_METHOD, "", 1, &ToCopyBackward0, 0, 0, NULL, 0},
    {NULL},
};
