/* op_pointwise.c: pointwise ops built on the binary kernels or a small loop:
 * where, clamp, lerp, isclose, equal. */
#include "kernels.h"
#include "tensor.h"
#include <math.h>
#include <string.h>

static TnOperand T_(TnTensor *t)
{
    TnOperand o = {t, tn_undef()};
    return o;
}

/* ------------------------------------------------------------------ where */
/* The contiguous case (relu's backward, masks of a batch) is a loop the compiler vectorises. */
#define SELECT_LOOP(NAME, T)                                                                  \
    TN_KERNEL static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)              \
    {                                                                                         \
        (void)ctx;                                                                            \
        char *o = p[0], *c = p[1], *a = p[2], *b = p[3];                                      \
        if (s[0] == sizeof(T) && s[1] == 1 && s[2] == sizeof(T) && s[3] == sizeof(T)) {       \
            T *out = (T *)o;                                                                  \
            const bool *cond = (const bool *)c;                                               \
            const T *x = (const T *)a, *y = (const T *)b;                                     \
            for (int64_t i = 0; i < n; i++)                                                   \
                out[i] = cond[i] ? x[i] : y[i];                                               \
            return;                                                                           \
        }                                                                                     \
        for (int64_t i = 0; i < n; i++, o += s[0], c += s[1], a += s[2], b += s[3])           \
            *(T *)o = *(const bool *)c ? *(const T *)a : *(const T *)b;                       \
    }
SELECT_LOOP(select1, uint8_t)
SELECT_LOOP(select4, uint32_t)
SELECT_LOOP(select8, uint64_t)

/* Materialises an operand as a tensor of dtype dt (scalars become 0-d tensors). */
static TnTensor *operand_tensor(TnState *st, TnOperand o, TnDType dt)
{
    if (o.t)
        return tensor_to(st, o.t, dt);
    return tensor_scalar(st, dt, o.s);
}

TnTensor *op_where(TnState *st, TnTensor *cond, TnOperand a, TnOperand b)
{
    if (cond->dtype != DT_BOOL)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "where expected condition to be a boolean tensor, but got a tensor "
                            "with dtype %s",
                            tn_dtype_info[cond->dtype].cname);
    TnOperand ops[2] = {a, b};
    TnDType dt = dtype_result_type(ops, 2);
    TnTensor *ta = operand_tensor(st, a, dt), *tb = ta ? operand_tensor(st, b, dt) : NULL;
    TnTensor *out = NULL;
    int n1, n2;
    int64_t s1[TN_MAX_DIMS], s2[TN_MAX_DIMS];
    if (!tb || shape_broadcast(st, cond->ndim, cond->sizes, ta->ndim, ta->sizes, &n1, s1) < 0 ||
        shape_broadcast(st, n1, s1, tb->ndim, tb->sizes, &n2, s2) < 0)
        goto done;
    TnTensor *layout[3] = {cond, a.t, b.t};
    out = tensor_empty_result(st, dt, n2, s2, 3, layout);
    if (out) {
        TnIter it;
        int es = DT_SIZE(dt);
        iter_init(&it, 4, n2, s2);
        iter_operand(&it, 0, tensor_ptr(out), out->ndim, out->sizes, out->strides, es);
        iter_operand(&it, 1, tensor_ptr(cond), cond->ndim, cond->sizes, cond->strides, 1);
        iter_operand(&it, 2, tensor_ptr(ta), ta->ndim, ta->sizes, ta->strides, es);
        iter_operand(&it, 3, tensor_ptr(tb), tb->ndim, tb->sizes, tb->strides, es);
        iter_coalesce(&it);
        iter_run(&it, es == 1 ? select1 : es == 4 ? select4 : select8, NULL, true);
    }
done:
    tn_obj_decref(ta);
    tn_obj_decref(tb);
    return out;
}

/* ------------------------------------------------------------------ clamp */
static bool present(TnOperand o)
{
    return o.t || !IS_UNDEF(o.s);
}

TnTensor *op_clamp(TnState *st, TnTensor *x, TnOperand lo, TnOperand hi, TnTensor *inplace)
{
    if (!present(lo) && !present(hi))
        return tn_raise_ptr(st, tn_RuntimeError,
                            "torch.clamp: At least one of 'min' or 'max' must not be None");
    TnOperand ops[3];
    int n = 0;
    ops[n++] = T_(x);
    if (present(lo))
        ops[n++] = lo;
    if (present(hi))
        ops[n++] = hi;
    TnDType dt = dtype_result_type(ops, n);
    for (int k = 1; k < n; k++) /* PyTorch's kernel converts number bounds with a range check */
        if (!ops[k].t && tensor_check_scalar(st, dt, ops[k].s) < 0)
            return NULL;
    /* compute in the common dtype: max(x, lo) then min(., hi) */
    TnTensor *cur = tensor_to(st, x, dt);
    TnOperand bounds[2] = {lo, hi};
    for (int k = 0; k < 2 && cur; k++) {
        if (!present(bounds[k]))
            continue;
        TnTensor *next = op_binary(st, k == 0 ? BOP_MAXIMUM : BOP_MINIMUM, T_(cur), bounds[k]);
        tn_obj_decref(cur);
        cur = next;
    }
    if (!cur || !inplace)
        return cur;
    /* clamp_'s check names the output by its C type (PyTorch 1.13's TypeMeta) */
    static const char *const ctype[] = {[DT_FLOAT32] = "float", [DT_FLOAT64] = "double",
                                        [DT_INT64] = "long int", [DT_INT32] = "int",
                                        [DT_BOOL] = "bool"};
    int rc = dtype_can_cast(cur->dtype, inplace->dtype)
                 ? op_check_inplace(st, inplace, cur->dtype, cur->ndim, cur->sizes)
                 : tn_raise_int(st, tn_RuntimeError,
                                "result type %s can't be cast to the desired output type %s",
                                tn_dtype_info[cur->dtype].cname, ctype[inplace->dtype]);
    if (rc == 0)
        rc = tensor_copy_(st, inplace, cur);
    tn_obj_decref(cur);
    if (rc < 0)
        return NULL;
    tn_obj_incref(inplace);
    return inplace;
}

/* ------------------------------------------------------------------- lerp */
TnTensor *op_lerp(TnState *st, TnTensor *a, TnTensor *b, TnOperand w)
{
    /* dtypes must agree (no promotion), then shapes broadcast in PyTorch's operand order */
    static const char *const ctype[] = {[DT_FLOAT32] = "float", [DT_FLOAT64] = "double",
                                        [DT_INT64] = "long int", [DT_INT32] = "int",
                                        [DT_BOOL] = "bool"};
    if (b->dtype != a->dtype || (w.t && w.t->dtype != a->dtype))
        return tn_raise_ptr(st, tn_RuntimeError, "expected dtype %s for `%s` but got dtype %s",
                            ctype[a->dtype], b->dtype != a->dtype ? "end" : "weight",
                            ctype[b->dtype != a->dtype ? b->dtype : w.t->dtype]);
    int nd, nd2;
    int64_t shape[TN_MAX_DIMS], shape2[TN_MAX_DIMS];
    if (shape_broadcast(st, a->ndim, a->sizes, b->ndim, b->sizes, &nd, shape) < 0 ||
        (w.t && shape_broadcast(st, nd, shape, w.t->ndim, w.t->sizes, &nd2, shape2) < 0))
        return NULL;
    if (!DT_IS_FLOAT(a->dtype))
        return tn_raise_ptr(st, tn_RuntimeError, "\"lerp_kernel_%s\" not implemented for '%s'",
                            w.t ? "tensor" : "scalar", tn_dtype_info[a->dtype].cname);
    /* PyTorch's lerp_vec: a small weight (|w| < 0.5) gives fma(w, b - a, a), a large one
     * fma(w - 1, b - a, b), each rounded once */
    TnTensor *diff = op_sub(st, b, a);
    if (!diff)
        return NULL;
    TnTensor *r = NULL;
    if (!w.t) {
        double wf = (float)tn_num_as_double(w.s);
        if (a->dtype == DT_FLOAT64)
            wf = tn_num_as_double(w.s);
        bool small = fabs(wf) < 0.5;
        TnOperand coeff = {NULL, tn_float(small ? wf : wf - 1.0)};
        r = op_fma(st, coeff, T_(diff), T_(small ? a : b), NULL);
    } else {
        TnTensor *aw = op_unary(st, UN_ABS, w.t);
        TnOperand half = {NULL, tn_float(0.5)}, one = {NULL, tn_float(1.0)};
        TnTensor *small = aw ? op_binary(st, BOP_LT, T_(aw), half) : NULL;
        TnTensor *wm1 = small ? op_binary(st, BOP_SUB, w, one) : NULL;
        TnTensor *coeff = wm1 ? op_where(st, small, w, T_(wm1)) : NULL;
        TnTensor *base = coeff ? op_where(st, small, T_(a), T_(b)) : NULL;
        r = base ? op_fma(st, T_(coeff), T_(diff), T_(base), NULL) : NULL;
        tn_obj_decref(aw);
        tn_obj_decref(small);
        tn_obj_decref(wm1);
        tn_obj_decref(coeff);
        tn_obj_decref(base);
    }
    tn_obj_decref(diff);
    return r;
}

/* ---------------------------------------------------------------- isclose */
typedef struct {
    double rtol, atol;
    bool equal_nan;
} CloseCtx;

static void close_loop(char **p, const int64_t *s, int64_t n, void *ctx)
{
    CloseCtx *c = ctx;
    char *o = p[0], *a = p[1], *b = p[2];
    for (int64_t i = 0; i < n; i++, o += s[0], a += s[1], b += s[2]) {
        double x = *(const double *)a, y = *(const double *)b;
        bool r;
        if (x == y)
            r = true;
        else if (x != x || y != y)
            r = c->equal_nan && x != x && y != y;
        else if (isinf(x) || isinf(y))
            r = false;
        else
            r = fabs(x - y) <= c->atol + c->rtol * fabs(y);
        *(bool *)o = r;
    }
}

TnTensor *op_isclose(TnState *st, TnTensor *a, TnTensor *b, double rtol, double atol,
                     bool equal_nan)
{
    if (a->dtype != b->dtype)
        return tn_raise_ptr(st, tn_RuntimeError, "%s did not match %s", /* PyTorch 1.13's words */
                            tn_dtype_info[a->dtype].cname, tn_dtype_info[b->dtype].cname);
    int nd;
    int64_t shape[TN_MAX_DIMS];
    if (shape_broadcast(st, a->ndim, a->sizes, b->ndim, b->sizes, &nd, shape) < 0)
        return NULL;
    TnTensor *da = tensor_to(st, a, DT_FLOAT64), *db = da ? tensor_to(st, b, DT_FLOAT64) : NULL;
    TnTensor *out = db ? tensor_empty(st, DT_BOOL, nd, shape) : NULL;
    if (out) {
        CloseCtx c = {rtol, atol, equal_nan};
        TnIter it;
        iter_init(&it, 3, nd, shape);
        iter_operand(&it, 0, tensor_ptr(out), nd, out->sizes, out->strides, 1);
        iter_operand(&it, 1, tensor_ptr(da), da->ndim, da->sizes, da->strides, 8);
        iter_operand(&it, 2, tensor_ptr(db), db->ndim, db->sizes, db->strides, 8);
        iter_coalesce(&it);
        iter_run(&it, close_loop, &c, false);
    }
    tn_obj_decref(da);
    tn_obj_decref(db);
    return out;
}

int op_equal(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->ndim != b->ndim || memcmp(a->sizes, b->sizes, sizeof(int64_t) * (size_t)a->ndim) != 0)
        return 0;
    TnTensor *eq = op_binary(st, BOP_EQ, T_(a), T_(b));
    if (!eq)
        return -1;
    TnTensor *all = op_reduce(st, RED_ALL, eq, 0xffffffffu, false, -1, 0);
    tn_obj_decref(eq);
    if (!all)
        return -1;
    int r = *(bool *)tensor_ptr(all);
    tn_obj_decref(all);
    return r;
}
