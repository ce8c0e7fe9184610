/* grad_util.c: the op shorthands backward formulas are written with (see grad.h). */
#include "grad.h"
#include "ops.h"
#include "types.h"

/* --------------------------------------------------------- create_graph
 * With create_graph, a formula's result must itself be differentiable: when an
 * operand has history (an incoming gradient that does, or a saved input), the
 * helpers call the bound entry point (a Tensor method or an operator slot), which
 * records a node as any user call does. Otherwise they call the op directly. */

static bool cg(const TnTensor *a)
{
    return autograd_graph_flag && a && a->requires_grad;
}

/* A tensor result of a call (new reference), or NULL with the error set. */
static TnTensor *tensor_result(TnState *st, TnValue r, const char *name)
{
    if (IS_UNDEF(r))
        return NULL;
    if (!IS_TENSOR(r)) {
        tn_decref(r);
        return tn_raise_ptr(st, tn_TypeError, "create_graph: %s did not return a tensor", name);
    }
    return AS_TENSOR(r);
}

TnTensor *g_method(TnState *st, TnTensor *self, const char *name, const TnValue *args, int n)
{
    return tensor_result(st, tn_call_method(st, tn_obj(self), str_intern(name), args, n), name);
}

static const char *const bop_method[BOP_COUNT] = {
#define X(N, nm) #nm,
    TN_BINARY_OPS(X)
#undef X
};
static const char *const un_method[UN_COUNT] = {
#define X(N, nm, k) #nm,
    TN_UNARY_OPS(X)
#undef X
};

/* Ops with a derivative: arithmetic and maximum/minimum/atan2 (not comparisons, logic,
 * bit operations or rounding divisions, whose results carry no gradient). */
static bool bop_differentiable(TnBinaryOp op)
{
    return op <= BOP_ATAN2 && op != BOP_DIV_TRUNC && op != BOP_FLOORDIV;
}

/* The operator slot for s op t (a number on the left). */
static int bop_slot(TnBinaryOp op)
{
    switch (op) {
    case BOP_ADD: return OP_ADD;
    case BOP_SUB: return OP_SUB;
    case BOP_MUL: return OP_MUL;
    case BOP_DIV: return OP_TRUEDIV;
    case BOP_POW: return OP_POW;
    default: return -1;
    }
}

TnTensor *g_bin(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b)
{
    if (!a || !b)
        return NULL;
    if ((cg(a) || cg(b)) && bop_differentiable(op)) {
        TnValue arg = tn_obj(b);
        return g_method(st, a, bop_method[op], &arg, 1);
    }
    return op_binary(st, op, opt_(a), opt_(b));
}

TnTensor *g_bins(TnState *st, TnBinaryOp op, TnTensor *a, double s)
{
    if (!a)
        return NULL;
    if (cg(a) && bop_differentiable(op)) {
        TnValue arg = tn_float(s);
        return g_method(st, a, bop_method[op], &arg, 1);
    }
    return op_binary(st, op, opt_(a), ops_(s));
}

TnTensor *g_sbin(TnState *st, TnBinaryOp op, double s, TnTensor *a)
{
    if (!a)
        return NULL;
    int slot = bop_slot(op);
    if (cg(a) && slot >= 0)
        return tensor_result(st, tn_binop(st, slot, tn_float(s), tn_obj(a)), bop_method[op]);
    return op_binary(st, op, ops_(s), opt_(a));
}

TnTensor *g_un(TnState *st, TnUnaryOp op, TnTensor *a)
{
    if (!a)
        return NULL;
    if (cg(a) && k_unary_kind[op] != UK_B && op != UN_BITNOT)
        return g_method(st, a, un_method[op], NULL, 0);
    return op_unary(st, op, a);
}

TnTensor *g_where(TnState *st, TnTensor *c, TnOperand a, TnOperand b)
{
    if (!c || (!a.t && IS_UNDEF(a.s)) || (!b.t && IS_UNDEF(b.s)))
        return NULL;
    if (cg(a.t) || cg(b.t)) {
        /* x.where(c, y) = where(c, x, y); a number first swaps the sides */
        if (a.t) {
            TnValue args[2] = {tn_obj(c), b.t ? tn_obj(b.t) : b.s};
            return g_method(st, a.t, "where", args, 2);
        }
        TnTensor *nc = op_unary(st, UN_LNOT, c);
        if (!nc)
            return NULL;
        TnValue args[2] = {tn_obj(nc), a.s};
        TnTensor *r = g_method(st, b.t, "where", args, 2);
        tn_obj_decref(nc);
        return r;
    }
    return op_where(st, c, a, b);
}

static TnValue shape_tuple(TnState *st, int nd, const int64_t *sizes)
{
    TnValue t = tuple_new(st, nd);
    for (int d = 0; !IS_UNDEF(t) && d < nd; d++)
        tuple_set(t, d, tn_int(sizes[d]));
    return t;
}

/* t.name(shape) for reshape and expand */
static TnTensor *shape_method(TnState *st, TnTensor *t, const char *name, int nd,
                              const int64_t *sizes)
{
    TnValue shp = shape_tuple(st, nd, sizes);
    if (IS_UNDEF(shp))
        return NULL;
    TnTensor *r = g_method(st, t, name, &shp, 1);
    tn_decref(shp);
    return r;
}

TnTensor *g_reshape(TnState *st, TnTensor *t, int nd, const int64_t *sizes)
{
    if (!t)
        return NULL;
    return cg(t) ? shape_method(st, t, "reshape", nd, sizes) : op_reshape(st, t, nd, sizes);
}

TnTensor *g_expand(TnState *st, TnTensor *t, int nd, const int64_t *sizes)
{
    if (!t)
        return NULL;
    return cg(t) ? shape_method(st, t, "expand", nd, sizes) : op_expand(st, t, nd, sizes);
}

TnTensor *g_transpose(TnState *st, TnTensor *t, int64_t d0, int64_t d1)
{
    if (!t)
        return NULL;
    TnValue args[2] = {tn_int(d0), tn_int(d1)};
    return cg(t) ? g_method(st, t, "transpose", args, 2) : op_transpose(st, t, d0, d1);
}

TnTensor *g_t(TnState *st, TnTensor *t)
{
    if (!t)
        return NULL;
    return cg(t) ? g_method(st, t, "t", NULL, 0) : op_t(st, t);
}

TnTensor *g_permute(TnState *st, TnTensor *t, int nd, const int64_t *dims)
{
    if (!t)
        return NULL;
    return cg(t) ? shape_method(st, t, "permute", nd, dims) : op_permute(st, t, nd, dims);
}

TnTensor *g_unsqueeze(TnState *st, TnTensor *t, int64_t d)
{
    if (!t)
        return NULL;
    TnValue arg = tn_int(d);
    return cg(t) ? g_method(st, t, "unsqueeze", &arg, 1) : op_unsqueeze(st, t, d);
}

TnTensor *g_squeeze(TnState *st, TnTensor *t, int64_t d)
{
    if (!t)
        return NULL;
    TnValue arg = tn_int(d);
    return cg(t) ? g_method(st, t, "squeeze", &arg, 1) : op_squeeze(st, t, false, d);
}

TnTensor *g_matmul(TnState *st, TnTensor *a, TnTensor *b)
{
    if (!a || !b)
        return NULL;
    if (cg(a) || cg(b)) {
        TnValue arg = tn_obj(b);
        return g_method(st, a, "matmul", &arg, 1);
    }
    return op_matmul(st, a, b);
}

TnTensor *g_scatter_add(TnState *st, TnTensor *z, int64_t d, TnTensor *idx, TnTensor *g)
{
    if (!z || !idx || !g)
        return NULL;
    if (!cg(g))
        return op_scatter(st, z, d, idx, opt_(g), true, false);
    TnValue args[3] = {tn_int(d), tn_obj(idx), tn_obj(g)};
    return g_method(st, z, "scatter_add", args, 3);
}

TnTensor *g_flip(TnState *st, TnTensor *t, int nd, const int64_t *dims)
{
    if (!t)
        return NULL;
    return cg(t) ? shape_method(st, t, "flip", nd, dims) : op_flip(st, t, nd, dims);
}

TnTensor *g_getitem(TnState *st, TnTensor *t, TnValue key)
{
    if (!t)
        return NULL;
    if (!cg(t))
        return op_getitem(st, t, key);
    return tensor_result(st, tn_getitem(st, tn_obj(t), key), "__getitem__");
}

int g_setitem(TnState *st, TnTensor *t, TnValue key, TnValue v)
{
    if (autograd_graph_flag && (t->requires_grad || autograd_requires(v)))
        return tn_setitem(st, tn_obj(t), key, v);
    return op_setitem(st, t, key, v);
}

TnValue g_dim_key(TnState *st, int d, TnValue item)
{
    TnValue key = tuple_new(st, d + 1);
    for (int i = 0; !IS_UNDEF(key) && i < d; i++) {
        TnValue all = slice_new(st, tn_none(), tn_none(), tn_none());
        if (IS_UNDEF(all)) {
            tn_decref(key);
            return all;
        }
        tuple_set(key, i, all);
    }
    if (!IS_UNDEF(key))
        tuple_set(key, d, tn_ref(item));
    return key;
}

TnValue g_range_key(TnState *st, int d, int64_t start, int64_t len)
{
    TnValue sl = slice_new(st, tn_int(start), tn_int(start + len), tn_none());
    if (IS_UNDEF(sl))
        return sl;
    TnValue key = g_dim_key(st, d, sl);
    tn_decref(sl);
    return key;
}

TnTensor *g_into_zeros(TnState *st, const TnMeta *m, TnValue key, TnTensor *g)
{
    if (IS_UNDEF(key) || !g) {
        tn_decref(key);
        return NULL;
    }
    TnTensor *z = g_zeros_meta(st, m, g->dtype);
    if (z && g_setitem(st, z, key, tn_obj(g)) < 0) {
        tn_obj_decref(z);
        z = NULL;
    }
    tn_decref(key);
    return z;
}

bool g_graph_off(void)
{
    bool was = autograd_graph_flag;
    autograd_graph_flag = false;
    return was;
}

TnTensor *g_graph_on(TnState *st, bool was, TnTensor *r, TnNodeKind *kind, TnTensor *a,
                     TnTensor *b)
{
    autograd_graph_flag = was;
    if (!r || !was || (!a->requires_grad && !b->requires_grad))
        return r;
    TnGradFn *n = autograd_node_new(st, kind, 2, 1, 2, 0);
    if (!n || autograd_set_output(st, n, 0, r) < 0) {
        tn_obj_decref(n);
        tn_obj_decref(r);
        return NULL;
    }
    autograd_node_set_input(n, 0, a);
    autograd_node_set_input(n, 1, b);
    autograd_save(n, 0, a);
    autograd_save(n, 1, b);
    tn_obj_decref(n);
    return r;
}

/* Sum over the dims in mask, keeping them or not. */
TnTensor *g_sum(TnState *st, TnTensor *a, uint32_t mask, bool keepdim)
{
    if (!a)
        return NULL;
    if (!cg(a))
        return op_reduce(st, RED_SUM, a, mask, keepdim, -1, 0.0);
    int64_t dims[TN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < a->ndim; d++)
        if ((mask >> d) & 1)
            dims[nd++] = d;
    TnValue args[2] = {shape_tuple(st, nd, dims), tn_bool(keepdim)};
    if (IS_UNDEF(args[0]))
        return NULL;
    TnTensor *r = g_method(st, a, "sum", args, 2);
    tn_decref(args[0]);
    return r;
}

TnTensor *g_bin_s(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b)
{
    TnTensor *r = g_bin(st, op, a, b);
    tn_obj_decref(a);
    tn_obj_decref(b);
    return r;
}

TnTensor *g_bin_sa(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b)
{
    TnTensor *r = g_bin(st, op, a, b);
    tn_obj_decref(a);
    return r;
}

TnTensor *g_bins_s(TnState *st, TnBinaryOp op, TnTensor *a, double s)
{
    TnTensor *r = g_bins(st, op, a, s);
    tn_obj_decref(a);
    return r;
}

TnTensor *g_un_s(TnState *st, TnUnaryOp op, TnTensor *a)
{
    TnTensor *r = g_un(st, op, a);
    tn_obj_decref(a);
    return r;
}

TnTensor *g_mask_s(TnState *st, TnTensor *mask, TnTensor *a)
{
    TnTensor *r = mask && a ? g_where(st, mask, opt_(a), ops_(0.0)) : NULL;
    tn_obj_decref(mask);
    return r;
}

TnTensor *g_zeros_meta(TnState *st, const TnMeta *m, TnDType dt)
{
    return tensor_zeros(st, dt, m->ndim, m->sizes);
}

TnTensor *g_keepdim(TnState *st, TnTensor *g, const TnMeta *in, uint32_t mask, bool keepdim)
{
    if (!g)
        return NULL;
    if (keepdim || in->ndim == 0) {
        tn_obj_incref(g);
        return g;
    }
    int64_t shape[TN_MAX_DIMS];
    for (int d = 0; d < in->ndim; d++)
        shape[d] = (mask >> d) & 1 ? 1 : in->sizes[d];
    return g_reshape(st, g, in->ndim, shape);
}

TnTensor *g_expand_reduced(TnState *st, TnTensor *g, const TnMeta *in, uint32_t mask, bool keepdim)
{
    TnTensor *k = g_keepdim(st, g, in, mask, keepdim);
    if (!k)
        return NULL;
    TnTensor *e = g_expand(st, k, in->ndim, in->sizes);
    tn_obj_decref(k);
    return e;
}

TnTensor *g_sum_keep(TnState *st, TnTensor *a, uint32_t mask)
{
    return g_sum(st, a, mask, true);
}

uint32_t g_dim_mask(TnValue dim, int ndim)
{
    uint32_t all = ndim ? (uint32_t)((1ull << ndim) - 1) : 0;
    if (IS_UNDEF(dim) || IS_NONE(dim))
        return all;
    int64_t dims[TN_MAX_DIMS];
    int n = g_int_list(dim, dims, TN_MAX_DIMS);
    if (n == 0 && !IS_INTLIKE(dim))
        return all; /* dim=() reduces everything, as PyTorch 1.13 does */
    uint32_t m = 0;
    for (int i = 0; i < n; i++)
        m |= 1u << g_wrap(dims[i], ndim);
    return ndim ? m : 0;
}

int g_int_list(TnValue v, int64_t *out, int max)
{
    if (IS_INTLIKE(v)) {
        out[0] = v.u.i;
        return 1;
    }
    if (IS_TENSOR(v)) {
        TnTensor *t = AS_TENSOR(v);
        int64_t n = tensor_numel(t);
        for (int64_t i = 0; i < n && i < max; i++)
            out[i] = dtype_get_i(t->dtype, tensor_ptr(t) + i * t->strides[0] * DT_SIZE(t->dtype));
        return (int)(n < max ? n : max);
    }
    TnValue *items;
    int64_t n;
    if (!tn_seq_items(v, &items, &n))
        return -1;
    if (n == 1 && !IS_INTLIKE(items[0]))
        return g_int_list(items[0], out, max);
    int k = 0;
    for (int64_t i = 0; i < n && k < max; i++) {
        if (IS_INTLIKE(items[i]))
            out[k++] = items[i].u.i;
        else if (IS_TENSOR(items[i]))
            out[k++] = tensor_get_flat(AS_TENSOR(items[i]), 0).u.i;
    }
    return k;
}

double g_scalar(TnValue v, double dflt)
{
    if (IS_NUMBER(v))
        return tn_num_as_double(v);
    if (IS_TENSOR(v) && tensor_numel(AS_TENSOR(v)) == 1)
        return tn_num_as_double(tensor_get_flat(AS_TENSOR(v), 0));
    return dflt;
}
