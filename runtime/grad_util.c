/* grad_util.c: the op shorthands backward formulas are written with (see grad.h). */
#include "grad.h"

TnTensor *g_bin(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b)
{
    return a && b ? op_binary(st, op, opt_(a), opt_(b)) : NULL;
}

TnTensor *g_bins(TnState *st, TnBinaryOp op, TnTensor *a, double s)
{
    return a ? op_binary(st, op, opt_(a), ops_(s)) : NULL;
}

TnTensor *g_sbin(TnState *st, TnBinaryOp op, double s, TnTensor *a)
{
    return a ? op_binary(st, op, ops_(s), opt_(a)) : NULL;
}

TnTensor *g_un(TnState *st, TnUnaryOp op, TnTensor *a)
{
    return a ? op_unary(st, op, a) : NULL;
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
    TnTensor *r = mask && a ? op_where(st, mask, opt_(a), ops_(0.0)) : NULL;
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
    return op_reshape(st, g, in->ndim, shape);
}

TnTensor *g_expand_reduced(TnState *st, TnTensor *g, const TnMeta *in, uint32_t mask, bool keepdim)
{
    TnTensor *k = g_keepdim(st, g, in, mask, keepdim);
    if (!k)
        return NULL;
    TnTensor *e = op_expand(st, k, in->ndim, in->sizes);
    tn_obj_decref(k);
    return e;
}

TnTensor *g_sum_keep(TnState *st, TnTensor *a, uint32_t mask)
{
    return a ? op_reduce(st, RED_SUM, a, mask, true, -1, 0.0) : NULL;
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
