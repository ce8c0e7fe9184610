/* op_unary.c: elementwise unary ops: dtype rules, errors, kernel dispatch. */
#include "tensor.h"
#include "kernels.h"

static const char *const un_names[UN_COUNT] = {
#define X(N, n, k) [UN_##N] = #n,
    TN_UNARY_OPS(X)
#undef X
};

static int unary_dtypes(TnState *st, TnUnaryOp op, TnDType in, TnDType *compute, TnDType *out)
{
    TnDType c = in;
    if (k_unary_kind[op] == UK_F && !DT_IS_FLOAT(in))
        c = DT_DEFAULT;
    if (op == UN_NEG && in == DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError,
                            "Negation, the `-` operator, on a bool tensor is not supported. If "
                            "you are trying to invert a mask, use the `~` or `logical_not()` "
                            "operator instead.");
    if (op == UN_RELU && in == DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError, "Boolean inputs not supported for relu");
    if ((op == UN_FLOOR || op == UN_CEIL || op == UN_ROUND || op == UN_TRUNC) && in == DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError, "\"%s_vml_cpu\" not implemented for 'Bool'",
                            un_names[op]);
    if (op == UN_SQUARE && in == DT_BOOL)
        c = DT_INT64;
    if (!k_unary_loops[op][c] || (op == UN_ABS && in == DT_BOOL))
        return tn_raise_int(st, tn_RuntimeError, "\"%s_cpu\" not implemented for '%s'",
                            un_names[op], tn_dtype_info[c].cname);
    *compute = c;
    *out = k_unary_kind[op] == UK_B ? DT_BOOL : c;
    return 0;
}

/* Whether t's elements fill a block of memory in some order of its dims (a transpose or
 * permutation of a contiguous tensor), all strides positive. */
static bool dense_permuted(const TnTensor *t)
{
    int64_t expect = 1;
    int used = 0, live = 0;
    for (int d = 0; d < t->ndim; d++)
        live += t->sizes[d] != 1;
    while (used < live) { /* the dim whose stride is the next size of the block */
        int found = -1;
        for (int d = 0; d < t->ndim; d++)
            if (t->sizes[d] != 1 && t->strides[d] == expect)
                found = d;
        if (found < 0)
            return false;
        expect *= t->sizes[found];
        used++;
    }
    return true;
}

/* Runs op's kernel from in into out. Only a fresh `out` (to be dropped on failure)
 * may stop part-way, on Ctrl-C: false then. Operands with the same permuted dense layout
 * (x.t() and its result) are walked as one row in memory order, as PyTorch's TensorIterator
 * orders dims by stride: the kernels that treat a row's tail differently then see
 * PyTorch's rows. */
static bool run(TnUnaryOp op, TnDType compute, TnTensor *out, TnTensor *in, bool fresh)
{
    TnIter it;
    bool same = out->ndim == in->ndim;
    for (int d = 0; same && d < out->ndim; d++)
        same = out->sizes[d] == in->sizes[d] && out->strides[d] == in->strides[d];
    if (same && out->ndim > 1 && dense_permuted(out)) {
        int64_t n = tensor_numel(out), one = 1;
        iter_init(&it, 2, 1, &n);
        iter_operand(&it, 0, tensor_ptr(out), 1, &n, &one, DT_SIZE(out->dtype));
        iter_operand(&it, 1, tensor_ptr(in), 1, &n, &one, DT_SIZE(in->dtype));
    } else {
        iter_init(&it, 2, out->ndim, out->sizes);
        iter_operand(&it, 0, tensor_ptr(out), out->ndim, out->sizes, out->strides,
                     DT_SIZE(out->dtype));
        iter_operand(&it, 1, tensor_ptr(in), in->ndim, in->sizes, in->strides,
                     DT_SIZE(in->dtype));
    }
    iter_coalesce(&it);
    if (fresh)
        return iter_run_stoppable(&it, k_unary_loops[op][compute], NULL, true);
    iter_run(&it, k_unary_loops[op][compute], NULL, true);
    return true;
}

TnTensor *op_unary(TnState *st, TnUnaryOp op, TnTensor *x)
{
    TnDType compute, outdt;
    if (unary_dtypes(st, op, x->dtype, &compute, &outdt) < 0)
        return NULL;
    TnTensor *in = tensor_to(st, x, compute);
    if (!in)
        return NULL;
    TnTensor *out = tensor_empty_result(st, outdt, x->ndim, x->sizes, 1, &x);
    if (out && !run(op, compute, out, in, true)) {
        tn_obj_decref(out);
        out = NULL;
        (void)tn_raise_interrupt(st);
    }
    tn_obj_decref(in);
    return out;
}

TnTensor *op_unary_(TnState *st, TnUnaryOp op, TnTensor *self)
{
    TnDType compute, outdt;
    if (unary_dtypes(st, op, self->dtype, &compute, &outdt) < 0 ||
        op_check_inplace(st, self, outdt, self->ndim, self->sizes) < 0)
        return NULL;
    if (compute == self->dtype && outdt == self->dtype) {
        run(op, compute, self, self, false);
    } else {
        TnTensor *r = op_unary(st, op, self);
        int rc = r ? tensor_copy_(st, self, r) : -1;
        tn_obj_decref(r);
        if (rc < 0)
            return NULL;
    }
    tensor_bump_version(self);
    tn_obj_incref(self);
    return self;
}
