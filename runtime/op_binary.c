/* op_binary.c: broadcasting binary ops: promotion, checks, output, kernel dispatch. */
#include "tensor.h"
#include "kernels.h"
#include <string.h>

static const char *const bop_names[BOP_COUNT] = {
#define X(N, n) [BOP_##N] = #n,
    TN_BINARY_OPS(X)
#undef X
};

/* The dtype the kernel computes in, and the dtype of the result. */
static int binary_dtypes(TnState *st, TnBinaryOp op, TnOperand a, TnOperand b, TnDType *compute,
                         TnDType *out)
{
    TnOperand ops[2] = {a, b};
    TnDType c = dtype_result_type(ops, 2);
    if ((op == BOP_DIV || op == BOP_ATAN2) && !DT_IS_FLOAT(c))
        c = DT_DEFAULT;
    if (BOP_IS_LOGICAL(op))
        c = DT_BOOL;
    if (op == BOP_SUB) {
        bool ba = a.t ? a.t->dtype == DT_BOOL : IS_BOOL(a.s);
        bool bb = b.t ? b.t->dtype == DT_BOOL : IS_BOOL(b.s);
        if (ba && bb)
            return tn_raise_int(st, tn_RuntimeError,
                                "Subtraction, the `-` operator, with two bool tensors is not "
                                "supported. Use the `^` or `logical_xor()` operator instead.");
        if (ba || bb)
            return tn_raise_int(st, tn_RuntimeError,
                                "Subtraction, the `-` operator, with a bool tensor is not "
                                "supported. If you are trying to invert a mask, use the `~` or "
                                "`logical_not()` operator instead.");
    }
    if (op == BOP_POW && !DT_IS_FLOAT(c) && !b.t && IS_INT(b.s) && b.s.u.i < 0)
        return tn_raise_int(st, tn_RuntimeError,
                            "Integers to negative integer powers are not allowed.");
    if (c == DT_BOOL && (op == BOP_REM || op == BOP_FLOORDIV || op == BOP_DIV_TRUNC ||
                         op == BOP_FMOD || op == BOP_POW)) {
        /* PyTorch has no bool kernel for these (a number operand promotes to int64 first) */
        const char *name = op == BOP_REM        ? "remainder_cpu"
                           : op == BOP_FLOORDIV ? "div_floor_cpu"
                           : op == BOP_DIV_TRUNC ? "div_trunc_cpu"
                           : op == BOP_FMOD     ? "fmod_cpu"
                                                : "pow";
        return tn_raise_int(st, tn_RuntimeError, "\"%s\" not implemented for 'Bool'", name);
    }
    if (!k_binary_loops[op][c])
        return tn_raise_int(st, tn_RuntimeError, "\"%s_cpu\" not implemented for '%s'",
                            bop_names[op], tn_dtype_info[c].cname);
    *compute = c;
    *out = BOP_IS_CMP(op) || BOP_IS_LOGICAL(op) ? DT_BOOL : c;
    return 0;
}

/* An operand ready for the iterator: a tensor of the compute dtype (maybe a
 * converted copy we own) or a scalar stored in `buf`. */
typedef struct {
    TnTensor *t, *owned;
    uint64_t buf;
    double d; /* a scalar as a double */
} Prepared;

static int prepare(TnState *st, TnOperand o, TnDType dt, Prepared *p)
{
    p->owned = NULL;
    p->t = NULL;
    if (!o.t) {
        p->buf = 0;
        dtype_set(dt, &p->buf, o.s);
        dtype_set(DT_FLOAT64, &p->d, o.s);
        return 0;
    }
    if (o.t->dtype == dt) {
        p->t = o.t;
        return 0;
    }
    p->owned = p->t = tensor_to(st, o.t, dt);
    return p->t ? 0 : -1;
}

static void add_operand(TnIter *it, int k, Prepared *p)
{
    if (p->t)
        iter_operand(it, k, tensor_ptr(p->t), p->t->ndim, p->t->sizes, p->t->strides,
                     DT_SIZE(p->t->dtype));
    else
        iter_operand(it, k, (char *)&p->buf, 0, NULL, NULL, 8);
}

/* Runs the kernel for op over prepared operands into `out` (of the right shape). A
 * fresh `out` may be left half-written by Ctrl-C (KeyboardInterrupt, -1); an in-place
 * one is always finished. */
static int run_kernel(TnState *st, TnBinaryOp op, TnDType compute, TnTensor *out, Prepared *pa,
                      Prepared *pb, bool fresh)
{
    TnIter it;
    iter_init(&it, 3, out->ndim, out->sizes);
    iter_operand(&it, 0, tensor_ptr(out), out->ndim, out->sizes, out->strides,
                 DT_SIZE(out->dtype));
    add_operand(&it, 1, pa);
    add_operand(&it, 2, pb);
    iter_coalesce(&it);
    TnKernelStatus ks = {0, pb->t ? NULL : &pb->d};
    if (!fresh)
        iter_run_elementwise(&it, k_binary_loops[op][compute], &ks, true);
    else if (!iter_run_stoppable(&it, k_binary_loops[op][compute], &ks, true))
        return tn_raise_interrupt(st);
    if (ks.zero_div)
        return tn_raise_int(st, tn_RuntimeError, "ZeroDivisionError");
    return 0;
}

static int operand_shape(TnOperand a, TnOperand b, TnState *st, int *nd, int64_t *shape)
{
    static const int64_t none[1] = {1};
    int na = a.t ? a.t->ndim : 0, nb = b.t ? b.t->ndim : 0;
    return shape_broadcast(st, na, a.t ? a.t->sizes : none, nb, b.t ? b.t->sizes : none, nd,
                           shape);
}

/* A kernel over flat, contiguous operands, split across threads when large. */
typedef struct {
    TnLoopFn fn;
    char *p[3];
    int64_t es[3];
} FlatJob;

static void flat_range(void *ctx, int64_t begin, int64_t end)
{
    FlatJob *j = ctx;
    char *p[3] = {j->p[0] + begin * j->es[0], j->p[1] + begin * j->es[1],
                  j->p[2] + begin * j->es[2]};
    TnKernelStatus ks = {0};
    j->fn(p, j->es, end - begin, &ks);
}

/* Same-dtype floating tensors of one shape, both contiguous: the result type is their dtype
 * (bool for comparisons), nothing broadcasts and no kernel can fail, so one flat loop does it
 * without the iterator. This is the whole cost of small-tensor loops, and the common case of
 * large ones. Returns NULL without an exception when the operands do not qualify. */
static TnTensor *binary_fast(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b, bool *failed)
{
    TnDType dt = a->dtype;
    if (b->dtype != dt || !DT_IS_FLOAT(dt) || BOP_IS_LOGICAL(op) || !k_binary_loops[op][dt] ||
        a->ndim != b->ndim || memcmp(a->sizes, b->sizes, sizeof(int64_t) * (size_t)a->ndim) != 0 ||
        !tensor_is_contiguous(a) || !tensor_is_contiguous(b))
        return NULL;
    TnDType outdt = BOP_IS_CMP(op) ? DT_BOOL : dt;
    TnTensor *out = tensor_empty(st, outdt, a->ndim, a->sizes);
    if (!out) {
        *failed = true;
        return NULL;
    }
    FlatJob j = {k_binary_loops[op][dt],
                 {tensor_ptr(out), tensor_ptr(a), tensor_ptr(b)},
                 {DT_SIZE(outdt), DT_SIZE(dt), DT_SIZE(dt)}};
    if (!parallel_for_stoppable(tensor_numel(out), ITER_PARALLEL_GRAIN, flat_range, &j)) {
        tn_obj_decref(out);
        (void)tn_raise_interrupt(st);
        *failed = true;
        return NULL;
    }
    return out;
}

/* PyTorch's pow of a floating tensor by these scalar exponents is not std::pow but the
 * products and roots below (pow_tensor_scalar_optimized_kernel), whose last bits differ:
 * x ** 3 is x * x * x. NULL without an exception when exp is not one of them. */
static TnTensor *pow_special(TnState *st, TnTensor *x, double e, bool *failed)
{
    TnTensor *r = NULL, *sq = NULL;
    if (e == 0.5)
        r = op_unary(st, UN_SQRT, x);
    else if (e == -0.5)
        r = op_unary(st, UN_RSQRT, x);
    else if (e == -1.0)
        r = op_unary(st, UN_RECIPROCAL, x);
    else if (e == 2.0 || e == 3.0 || e == -2.0) {
        sq = op_mul(st, x, x);
        if (sq && e == 2.0)
            return sq;
        if (sq)
            r = e == 3.0 ? op_mul(st, sq, x) : op_unary(st, UN_RECIPROCAL, sq);
        tn_obj_decref(sq);
    } else
        return NULL;
    *failed = r == NULL;
    return r;
}

TnTensor *op_binary(TnState *st, TnBinaryOp op, TnOperand a, TnOperand b)
{
    if (op == BOP_POW && a.t && DT_IS_FLOAT(a.t->dtype) && !b.t &&
        (IS_FLOAT(b.s) || IS_INT(b.s))) {
        bool failed = false;
        TnTensor *r = pow_special(st, a.t, IS_FLOAT(b.s) ? b.s.u.f : (double)b.s.u.i, &failed);
        if (r || failed)
            return r;
    }
    if (a.t && b.t) {
        bool failed = false;
        TnTensor *r = binary_fast(st, op, a.t, b.t, &failed);
        if (r || failed)
            return r;
    }
    TnDType compute, outdt;
    int nd;
    int64_t shape[TN_MAX_DIMS];
    /* shapes first: PyTorch's TensorIterator broadcasts before it looks for a kernel */
    if (operand_shape(a, b, st, &nd, shape) < 0 ||
        binary_dtypes(st, op, a, b, &compute, &outdt) < 0)
        return NULL;
    Prepared pa, pb;
    pb.owned = NULL;
    TnTensor *out = NULL;
    if (prepare(st, a, compute, &pa) < 0 || prepare(st, b, compute, &pb) < 0)
        goto done;
    TnTensor *ops[2] = {a.t, b.t};
    out = tensor_empty_result(st, outdt, nd, shape, 2, ops);
    if (out && run_kernel(st, op, compute, out, &pa, &pb, true) < 0) {
        tn_obj_decref(out);
        out = NULL;
    }
done:
    tn_obj_decref(pa.owned);
    tn_obj_decref(pb.owned);
    return out;
}

int op_check_inplace(TnState *st, TnTensor *self, TnDType result, int nd, const int64_t *shape)
{
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    /* the shape first, as PyTorch's TensorIterator checks it before the dtypes */
    if (nd != self->ndim || memcmp(shape, self->sizes, sizeof(int64_t) * (size_t)nd) != 0)
        return tn_raise_int(st, tn_RuntimeError,
                            "output with shape %s doesn't match the broadcast shape %s",
                            shape_str(b1, self->ndim, self->sizes), shape_str(b2, nd, shape));
    if (!dtype_can_cast(result, self->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "result type %s can't be cast to the desired output type %s",
                            tn_dtype_info[result].cname, tn_dtype_info[self->dtype].cname);
    return 0;
}

TnTensor *op_binary_(TnState *st, TnBinaryOp op, TnTensor *self, TnOperand b)
{
    TnOperand a = {self, tn_undef()};
    TnDType compute, outdt;
    int nd;
    int64_t shape[TN_MAX_DIMS];
    if (operand_shape(a, b, st, &nd, shape) < 0 ||
        op_check_inplace(st, self, self->dtype, nd, shape) < 0 || /* the shape alone */
        binary_dtypes(st, op, a, b, &compute, &outdt) < 0 ||
        op_check_inplace(st, self, outdt, nd, shape) < 0)
        return NULL;
    Prepared pa, pb;
    pb.owned = NULL;
    TnTensor *res = NULL, *tmp = NULL;
    if (prepare(st, a, compute, &pa) < 0 || prepare(st, b, compute, &pb) < 0)
        goto done;
    if (outdt == self->dtype) {
        if (run_kernel(st, op, compute, self, &pa, &pb, false) < 0)
            goto done;
        tensor_bump_version(self);
    } else {
        tmp = tensor_empty(st, outdt, nd, shape);
        if (!tmp || run_kernel(st, op, compute, tmp, &pa, &pb, true) < 0 ||
            tensor_copy_(st, self, tmp) < 0)
            goto done;
    }
    res = self;
    tn_obj_incref(self);
done:
    tn_obj_decref(tmp);
    tn_obj_decref(pa.owned);
    tn_obj_decref(pb.owned);
    return res;
}

static TnOperand T_(TnTensor *t)
{
    TnOperand o = {t, tn_undef()};
    return o;
}

TnTensor *op_add(TnState *st, TnTensor *a, TnTensor *b)
{
    return op_binary(st, BOP_ADD, T_(a), T_(b));
}
TnTensor *op_sub(TnState *st, TnTensor *a, TnTensor *b)
{
    return op_binary(st, BOP_SUB, T_(a), T_(b));
}
TnTensor *op_mul(TnState *st, TnTensor *a, TnTensor *b)
{
    return op_binary(st, BOP_MUL, T_(a), T_(b));
}
TnTensor *op_div(TnState *st, TnTensor *a, TnTensor *b)
{
    return op_binary(st, BOP_DIV, T_(a), T_(b));
}

/* alpha * b, checking alpha against the result category as PyTorch does. */
static int alpha_check(TnState *st, TnOperand a, TnOperand b, TnValue alpha)
{
    TnOperand ops[2] = {a, b};
    TnDType c = dtype_result_type(ops, 2);
    if (IS_FLOAT(alpha) && !DT_IS_FLOAT(c))
        return tn_raise_int(st, tn_RuntimeError,
                            "For integral input tensors, argument alpha must not be a floating "
                            "point number.");
    if (IS_BOOL(alpha) && c != DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError,
                            "Boolean alpha only supported for Boolean results.");
    return 0;
}

static bool alpha_is_one(TnValue alpha)
{
    return IS_UNDEF(alpha) || (IS_FLOAT(alpha) ? alpha.u.f == 1.0 : alpha.u.i == 1);
}

/* b * alpha as an operand (a scalar stays a scalar). *owned gets a new tensor. */
static int scaled(TnState *st, TnOperand b, TnValue alpha, TnOperand *out, TnTensor **owned)
{
    *owned = NULL;
    if (!b.t) {
        double f = IS_FLOAT(b.s) ? b.s.u.f : (double)b.s.u.i;
        double g = IS_FLOAT(alpha) ? alpha.u.f : (double)alpha.u.i;
        out->t = NULL;
        out->s = IS_FLOAT(b.s) || IS_FLOAT(alpha) ? tn_float(f * g) : tn_int(b.s.u.i * alpha.u.i);
        return 0;
    }
    TnOperand al = {NULL, alpha};
    *owned = op_binary(st, BOP_MUL, b, al);
    out->t = *owned;
    return *owned ? 0 : -1;
}

/* Runs the fused kernel over prepared operands into out (fresh: may stop at Ctrl-C). */
static int run_fma(TnState *st, TnDType dt, TnTensor *out, Prepared *p, bool fresh)
{
    TnIter it;
    iter_init(&it, 4, out->ndim, out->sizes);
    iter_operand(&it, 0, tensor_ptr(out), out->ndim, out->sizes, out->strides, DT_SIZE(dt));
    for (int k = 0; k < 3; k++)
        add_operand(&it, k + 1, &p[k]);
    iter_coalesce(&it);
    if (!fresh)
        iter_run_elementwise(&it, k_fma_loops[dt], NULL, true);
    else if (!iter_run_stoppable(&it, k_fma_loops[dt], NULL, true))
        return tn_raise_interrupt(st);
    return 0;
}

TnTensor *op_fma(TnState *st, TnOperand x, TnOperand y, TnOperand z, TnTensor *inplace)
{
    TnOperand ops[3] = {x, y, z};
    TnDType dt = dtype_result_type(ops, 3);
    static const int64_t none[1] = {1};
    int nd = 0;
    int64_t shape[TN_MAX_DIMS];
    for (int k = 0; k < 3; k++) {
        int64_t prev[TN_MAX_DIMS];
        memcpy(prev, shape, sizeof(int64_t) * (size_t)nd);
        const TnTensor *t = ops[k].t;
        if (shape_broadcast(st, nd, nd ? prev : none, t ? t->ndim : 0, t ? t->sizes : none, &nd,
                            shape) < 0)
            return NULL;
    }
    if (!k_fma_loops[dt])
        return tn_raise_ptr(st, tn_RuntimeError, "\"fma\" not implemented for '%s'",
                            tn_dtype_info[dt].cname);
    if (inplace && op_check_inplace(st, inplace, dt, nd, shape) < 0)
        return NULL;
    Prepared p[3] = {{0}};
    TnTensor *out = NULL;
    for (int k = 0; k < 3; k++)
        if (prepare(st, ops[k], dt, &p[k]) < 0)
            goto done;
    if (inplace && inplace->dtype == dt) {
        if (run_fma(st, dt, inplace, p, false) < 0)
            goto done;
        tensor_bump_version(inplace);
        tn_obj_incref(inplace);
        out = inplace;
    } else {
        TnTensor *in[3] = {x.t, y.t, z.t};
        out = inplace ? tensor_empty(st, dt, nd, shape)
                      : tensor_empty_result(st, dt, nd, shape, 3, in);
        if (out && run_fma(st, dt, out, p, true) < 0) {
            tn_obj_decref(out);
            out = NULL;
        }
        if (out && inplace) {
            int rc = tensor_copy_(st, inplace, out);
            tn_obj_decref(out);
            out = NULL;
            if (rc == 0) {
                tn_obj_incref(inplace);
                out = inplace;
            }
        }
    }
done:
    for (int k = 0; k < 3; k++)
        tn_obj_decref(p[k].owned);
    return out;
}

TnTensor *op_add_alpha(TnState *st, TnBinaryOp op, TnOperand a, TnOperand b, TnValue alpha,
                       TnTensor *inplace)
{
    if (alpha_is_one(alpha))
        return inplace ? op_binary_(st, op, inplace, b) : op_binary(st, op, a, b);
    if (alpha_check(st, a, b, alpha) < 0)
        return NULL;
    TnDType compute, outdt;
    if (binary_dtypes(st, op, a, b, &compute, &outdt) < 0)
        return NULL;
    if (DT_IS_FLOAT(compute)) {
        /* PyTorch computes a + alpha * b as one fused multiply-add (sub negates alpha) */
        double g = IS_FLOAT(alpha) ? alpha.u.f : (double)alpha.u.i;
        TnOperand al = {NULL, tn_float(op == BOP_SUB ? -g : g)};
        return op_fma(st, b, al, a, inplace);
    }
    TnOperand bs;
    TnTensor *owned;
    if (scaled(st, b, alpha, &bs, &owned) < 0)
        return NULL;
    TnTensor *r = inplace ? op_binary_(st, op, inplace, bs) : op_binary(st, op, a, bs);
    tn_obj_decref(owned);
    return r;
}
