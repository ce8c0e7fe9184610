/* tensor_api.c: the Tensor type (slots, properties, methods) and the torch.*
 * functions, bound from signature tables. Arguments are checked here; the op_*
 * functions trust them. */
#include "api_args.h"
#include "types.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NATIVE(name) static TnValue name(TnState *st, TnValue *a)
#define SELF AS_TENSOR(a[0])

TnValue tensor_api_torch_ns, tensor_api_linalg_ns, tensor_api_sparse_ns;
TnValue (*tensor_grad_fn_value)(TnState *st, TnTensor *t);

/* ================================================================ creation */
NATIVE(api_tensor)
{
    int dt;
    if (arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    return api_finish_new(st, tensor_from_py(st, a[0], dt), a[3]);
}

static TnValue filled(TnState *st, TnValue *a, TnValue fill, const char *fn)
{
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_sizes_for(st, a[0], &nd, sizes, fn, "size", "SymInts") < 0 ||
        arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    TnDType d = dt < 0 ? DT_DEFAULT : (TnDType)dt;
    TnTensor *t = IS_UNDEF(fill) ? tensor_empty(st, d, nd, sizes)
                                 : IS_INT(fill) && fill.u.i == 0 ? tensor_zeros(st, d, nd, sizes)
                                                                 : tensor_full(st, d, nd, sizes, fill);
    return api_finish_new(st, t, a[3]);
}

NATIVE(api_zeros)
{
    return filled(st, a, tn_int(0), "zeros");
}
NATIVE(api_ones)
{
    return filled(st, a, tn_int(1), "ones");
}
NATIVE(api_empty)
{
    /* uninitialised in PyTorch; zeros here keep runs repeatable */
    return filled(st, a, tn_int(0), "empty");
}

NATIVE(api_full)
{
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (!arg_is_int_seq(a[0])) /* PyTorch's overloads fail as a whole: it names the argument's type */
        return tn_raise(st, tn_TypeError,
                        "full(): argument 'size' (position 1) must be tuple of SymInts, not %s",
                        tn_type_name(a[0]));
    if (arg_int_list(st, a[0], &nd, sizes, TN_MAX_DIMS) < 0 || arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    if (!IS_NUMBER(a[1]))
        return tn_raise(st, tn_TypeError, "full(): argument 'fill_value' must be Number, not %s",
                        tn_type_name(a[1]));
    TnDType d = dt >= 0 ? (TnDType)dt : dtype_of_scalar(a[1]);
    return api_finish_new(st, tensor_full(st, d, nd, sizes, a[1]), a[4]);
}

static TnValue like(TnState *st, TnValue *a, int dtype_slot, TnValue fill)
{
    TnTensor *x = arg_tensor(st, a[0], "zeros_like", "input");
    int dt;
    if (!x || arg_dtype(st, a[dtype_slot], &dt) < 0)
        return tn_undef();
    TnDType d = dt < 0 ? x->dtype : (TnDType)dt;
    TnTensor *t = tensor_empty_result(st, d, x->ndim, x->sizes, 1, &x); /* keeps x's layout */
    if (t && tensor_fill_(st, t, fill) < 0) {
        tn_obj_decref(t);
        t = NULL;
    }
    return api_finish_new(st, t, a[dtype_slot + 2]);
}

NATIVE(api_zeros_like)
{
    return like(st, a, 1, tn_int(0));
}
NATIVE(api_ones_like)
{
    return like(st, a, 1, tn_int(1));
}
NATIVE(api_empty_like)
{
    return like(st, a, 1, tn_int(0));
}
NATIVE(api_full_like)
{
    if (!IS_NUMBER(a[1]))
        return tn_raise(st, tn_TypeError, "full_like(): argument 'fill_value' must be Number");
    return like(st, a, 2, a[1]);
}

NATIVE(api_arange)
{
    TnValue s = a[0], e = a[1], step = a[2];
    if (IS_UNDEF(e) || IS_NONE(e)) {
        e = s;
        s = tn_int(0);
    }
    int dt;
    if (arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    TnValue vals[3] = {s, e, step};
    bool anyf = false;
    double f[3];
    for (int i = 0; i < 3; i++) {
        if (IS_TENSOR(vals[i]))
            vals[i] = tensor_get_flat(AS_TENSOR(vals[i]), 0);
        if (!IS_NUMBER(vals[i]))
            return tn_raise(st, tn_TypeError, "arange(): argument 'end' must be Number, not %s",
                            tn_type_name(vals[i]));
        anyf |= IS_FLOAT(vals[i]);
        f[i] = tn_num_as_double(vals[i]);
    }
    TnDType d = dt >= 0 ? (TnDType)dt : anyf ? DT_DEFAULT : DT_INT64;
    if (!isfinite(f[0]) || !isfinite(f[1])) {
        char b0[32], b1[32]; /* as C++ streams print the two Scalars */
        for (int i = 0; i < 2; i++)
            snprintf(i ? b1 : b0, sizeof b0, IS_FLOAT(vals[i]) ? "%g" : "%.0f", f[i]);
        return tn_raise(st, tn_RuntimeError, "unsupported range: %s -> %s", b0, b1);
    }
    if (f[2] == 0)
        return tn_raise(st, tn_RuntimeError, "step must be nonzero");
    if ((f[2] > 0 && f[1] < f[0]) || (f[2] < 0 && f[1] > f[0]))
        return tn_raise(st, tn_RuntimeError,
                        "upper bound and larger bound inconsistent with step sign");
    double len = ceil((f[1] - f[0]) / f[2]);
    if (!(len < 9.2e18))
        return tn_raise(st, tn_RuntimeError, "invalid size, possible overflow?");
    int64_t n = (int64_t)len;
    TnTensor *t = tensor_empty(st, d, 1, &n);
    if (!t)
        return tn_undef();
    char *p = tensor_ptr(t);
    bool ints = !anyf && !DT_IS_FLOAT(d);
    if (d == DT_FLOAT64) {
        /* PyTorch's double arange fuses its multiply-adds: start + step*c per 4-element chunk
         * of its vector path (blocks of 8), then base + k*step; the tail start + step*i
         * (matched against 1.13 on 400 random ranges; float32 rounds these differences away) */
        double *o = (double *)p;
        int64_t nvec = n / 8 * 8;
        for (int64_t c = 0; c < nvec; c += 4) {
            double base = fma(f[2], (double)c, f[0]);
            for (int k = 0; k < 4; k++)
                o[c + k] = fma((double)k, f[2], base);
        }
        for (int64_t i = nvec; i < n; i++)
            o[i] = fma(f[2], (double)i, f[0]);
        return api_finish_new(st, t, a[5]);
    }
    if (d == DT_FLOAT32) {
        /* float arange computes in double, but its vector path (8-element chunks in blocks
         * of 16) rounds each chunk's base start + step*c to float before adding k*step */
        float *o = (float *)p;
        int64_t nvec = n / 16 * 16;
        for (int64_t c = 0; c < nvec; c += 8) {
            float base = (float)(f[0] + f[2] * (double)c);
            for (int k = 0; k < 8; k++)
                o[c + k] = (float)((double)base + (double)k * f[2]);
        }
        for (int64_t i = nvec; i < n; i++)
            o[i] = (float)(f[0] + f[2] * (double)i);
        return api_finish_new(st, t, a[5]);
    }
    for (int64_t i = 0; i < n; i++)
        dtype_set(d, p + i * DT_SIZE(d),
                  ints ? tn_int(vals[0].u.i + i * vals[2].u.i) : tn_float(f[0] + (double)i * f[2]));
    return api_finish_new(st, t, a[5]);
}

/* PyTorch's CPU linspace, value for value (checked against 1.13 on 600 random cases): in the
 * element type, the first half counted up from start and the second down from end, with the
 * multiply-adds fused (its scalar kernels are built with FMA contraction). Blocks of 2*W
 * elements go through its vector path, which computes a fused base per W-element chunk (the
 * half chosen by the chunk's first index) and then adds a rounded k*step (not fused: this
 * file is built for baseline x86-64, which has no FMA to contract into). The tail is
 * element by element. One step gives start. */
#define LINSPACE(NAME, T, FMA, W)                                                             \
    static void NAME(T *p, T start, T end, int64_t n)                                         \
    {                                                                                         \
        T step = n > 1 ? (end - start) / (T)(n - 1) : 0;                                     \
        int64_t half = n / 2, nvec = n / (2 * W) * (2 * W);                                  \
        for (int64_t c = 0; c < nvec; c += W) {                                              \
            T base = c < half ? FMA(step, (T)c, start) : FMA(-step, (T)(n - c - 1), end);    \
            for (int k = 0; k < W; k++)                                                       \
                p[c + k] = base + (T)k * step;                                                \
        }                                                                                     \
        for (int64_t i = nvec; i < n; i++)                                                    \
            p[i] = i < half ? FMA(step, (T)i, start) : FMA(-step, (T)(n - i - 1), end);      \
        if (n == 1)                                                                           \
            p[0] = start;                                                                     \
    }
LINSPACE(linspace_f32, float, fmaf, 8)
LINSPACE(linspace_f64, double, fma, 4)
#undef LINSPACE

NATIVE(api_linspace)
{
    double s, e;
    int64_t n;
    int dt;
    if (arg_double(st, a[0], &s) < 0 || arg_double(st, a[1], &e) < 0 ||
        arg_int(st, a[2], &n, "steps") < 0 || arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    if (n < 0)
        return tn_raise(st, tn_RuntimeError, "number of steps must be non-negative");
    TnDType d = dt < 0 ? DT_DEFAULT : (TnDType)dt;
    TnTensor *t = tensor_empty(st, d, 1, &n);
    if (!t)
        return tn_undef();
    char *p = tensor_ptr(t);
    if (d == DT_FLOAT32)
        linspace_f32((float *)p, (float)s, (float)e, n);
    else if (d == DT_FLOAT64)
        linspace_f64((double *)p, s, e, n);
    if (DT_IS_FLOAT(d))
        return api_finish_new(st, t, a[5]);
    double step = n > 1 ? (e - s) / (double)(n - 1) : 0;
    int64_t half = n / 2;
    for (int64_t i = 0; i < n; i++) {
        /* one step gives start, as PyTorch fills it */
        double v = n == 1 || i < half ? s + step * (double)i : e - step * (double)(n - i - 1);
        dtype_set(d, p + i * DT_SIZE(d), DT_IS_FLOAT(d) ? tn_float(v) : tn_float(v));
    }
    return api_finish_new(st, t, a[5]);
}

NATIVE(api_eye)
{
    int64_t n, m;
    int dt;
    if (arg_int(st, a[0], &n, "n") < 0 || arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    m = n;
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1]) && arg_int(st, a[1], &m, "m") < 0)
        return tn_undef();
    if (n < 0 || m < 0)
        return tn_raise(st, tn_RuntimeError, "n must be greater or equal to 0, got %lld",
                        (long long)(n < 0 ? n : m));
    int64_t shape[2] = {n, m};
    TnDType d = dt < 0 ? DT_DEFAULT : (TnDType)dt;
    TnTensor *t = tensor_zeros(st, d, 2, shape);
    if (!t)
        return tn_undef();
    for (int64_t i = 0; i < n && i < m; i++)
        dtype_set(d, tensor_ptr(t) + (i * m + i) * DT_SIZE(d), tn_int(1));
    return api_finish_new(st, t, a[4]);
}

/* Tensor(...) and nn.Parameter(...) */
static TnValue tensor_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                TnStr *const *kwnames, int nkw)
{
    if (nkw)
        return tn_raise(st, tn_TypeError, "Tensor(): keyword arguments are not supported");
    if (nargs == 1 && IS_TENSOR(args[0])) {
        TnTensor *t = AS_TENSOR(args[0]);
        return ret_t(tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset));
    }
    if (nargs == 1 && (IS_FLOAT(args[0]) || IS_NONE(args[0])))
        return tn_raise(st, tn_TypeError, "new(): data must be a sequence (got %s)",
                        tn_type_name(args[0]));
    if (nargs == 1 && !IS_INTLIKE(args[0]))
        return ret_t(tensor_from_py(st, args[0], DT_FLOAT32));
    int64_t sizes[TN_MAX_DIMS];
    if (nargs > TN_MAX_DIMS)
        return tn_raise(st, tn_RuntimeError, "too many dimensions");
    for (int i = 0; i < nargs; i++)
        if (arg_int(st, args[i], &sizes[i], "size") < 0)
            return tn_undef();
    if (nargs == 0) {
        sizes[0] = 0;
        return ret_t(tensor_zeros(st, DT_FLOAT32, 1, sizes));
    }
    return ret_t(tensor_zeros(st, DT_FLOAT32, nargs, sizes));
}

static TnValue parameter_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                   TnStr *const *kwnames, int nkw)
{
    TnValue data = nargs > 0 ? args[0] : tn_undef(), rg = tn_bool(true);
    for (int i = 0; i < nkw; i++) {
        if (!strcmp(kwnames[i]->data, "data"))
            data = args[nargs + i];
        else if (!strcmp(kwnames[i]->data, "requires_grad"))
            rg = args[nargs + i];
        else
            return tn_raise(st, tn_TypeError, "Parameter() got an unexpected keyword argument '%s'",
                            kwnames[i]->data);
    }
    if (nargs > 1)
        rg = args[1];
    TnTensor *src;
    TnTensor *own = NULL;
    if (IS_UNDEF(data) || IS_NONE(data)) {
        int64_t z = 0;
        src = own = tensor_empty(st, DT_FLOAT32, 1, &z);
        if (!src)
            return tn_undef();
    } else if (!(src = arg_tensor(st, data, "Parameter", "data"))) {
        return tn_undef();
    }
    TnTensor *p = tn_alloc_object(st, type, sizeof(TnTensor));
    if (!p) {
        tn_obj_decref(own);
        return tn_undef();
    }
    p->storage = src->storage;
    tn_obj_incref(src->storage);
    p->offset = src->offset;
    p->ndim = src->ndim;
    p->dtype = src->dtype;
    memcpy(p->sizes, src->sizes, sizeof p->sizes);
    memcpy(p->strides, src->strides, sizeof p->strides);
    p->hooks = tn_undef();
    p->base = tn_undef();
    p->is_param = true;
    tn_obj_decref(own);
    bool b;
    if (arg_bool(st, rg, &b) < 0) {
        tn_obj_decref(p);
        return tn_undef();
    }
    if (b && !DT_IS_FLOAT(p->dtype)) {
        tn_obj_decref(p);
        return tn_raise(st, tn_RuntimeError,
                        "Only Tensors of floating point and complex dtype can require gradients");
    }
    p->requires_grad = b;
    return tn_obj(p);
}

/* ============================================================ elementwise */
#define X(N, n, k)                                                                            \
    NATIVE(api_##n)                                                                           \
    {                                                                                         \
        TnTensor *x = arg_tensor(st, a[0], #n, "input");                                      \
        return x ? ret_t(op_unary(st, UN_##N, x)) : tn_undef();                               \
    }                                                                                         \
    NATIVE(api_##n##_)                                                                        \
    {                                                                                         \
        return tensor_check_overlap(st, SELF, NULL) < 0 ? tn_undef()                         \
                                                        : ret_t(op_unary_(st, UN_##N, SELF)); \
    }
TN_UNARY_OPS(X)
#undef X

/* PyTorch has no number overload for these: `other` must be a tensor. */
static bool tensor_other_only(TnBinaryOp op)
{
    return op == BOP_MAXIMUM || op == BOP_MINIMUM || op == BOP_ATAN2 || op == BOP_LAND ||
           op == BOP_LOR || op == BOP_LXOR;
}

/* pos: where `other` sits in the call (2 for torch.f(x, y), 1 for x.f(y)) */
static int check_other(TnState *st, TnValue *a, TnBinaryOp op, const char *name, int pos)
{
    if (!tensor_other_only(op) || IS_TENSOR(a[1]))
        return 0;
    return tn_raise_int(st, tn_TypeError, "%s(): argument 'other' (position %d) must be Tensor, not %s",
                        name, pos, tn_type_name(a[1]));
}

/* round(x, decimals=d): PyTorch scales by 10^|d| in the element type and rounds half to even,
 * dividing first for negative d. */
NATIVE(api_round_decimals)
{
    TnTensor *x = arg_tensor(st, a[0], "round", "input");
    int64_t dec;
    if (!x || arg_int(st, a[1], &dec, "decimals") < 0)
        return tn_undef();
    if (dec == 0)
        return ret_t(op_unary(st, UN_ROUND, x));
    if (!DT_IS_FLOAT(x->dtype))
        return tn_raise(st, tn_RuntimeError, "\"round_cpu\" not implemented for '%s'",
                        tn_dtype_info[x->dtype].cname);
    TnTensor *r = tensor_clone(st, x); /* contiguous */
    if (!r)
        return tn_undef();
    int64_t n = tensor_numel(r);
    bool neg = dec < 0;
    int e = (int)(neg ? (dec < -400 ? 400 : -dec) : (dec > 400 ? 400 : dec));
    if (r->dtype == DT_FLOAT32) {
        float ten = (float)pow(10.0, e), *p = (float *)tensor_ptr(r);
        for (int64_t i = 0; i < n; i++)
            p[i] = neg ? nearbyintf(p[i] / ten) * ten : nearbyintf(p[i] * ten) / ten;
    } else {
        double ten = pow(10.0, e), *p = (double *)tensor_ptr(r);
        for (int64_t i = 0; i < n; i++)
            p[i] = neg ? nearbyint(p[i] / ten) * ten : nearbyint(p[i] * ten) / ten;
    }
    return ret_t(r);
}

static TnValue binary_at(TnState *st, TnValue *a, TnBinaryOp op, const char *name, int pos)
{
    TnOperand x, y;
    if (arg_operand(st, a[0], &x, name, "input") < 0 || arg_operand(st, a[1], &y, name, "other") < 0 ||
        check_other(st, a, op, name, pos) < 0)
        return tn_undef();
    if (!x.t && !y.t)
        return tn_raise(st, tn_TypeError, "%s(): argument 'input' must be Tensor, not %s", name,
                        tn_type_name(a[0]));
    return ret_t(op_binary(st, op, x, y));
}

static TnValue binary(TnState *st, TnValue *a, TnBinaryOp op, const char *name)
{
    return binary_at(st, a, op, name, 2);
}

static TnValue binary_(TnState *st, TnValue *a, TnBinaryOp op, const char *name)
{
    TnOperand y;
    if (arg_operand(st, a[1], &y, name, "other") < 0 || check_other(st, a, op, name, 1) < 0)
        return tn_undef();
    if (tensor_check_overlap(st, SELF, y.t) < 0)
        return tn_undef();
    return ret_t(op_binary_(st, op, SELF, y));
}

#define BINARY_API(X)                                                                         \
    X(MUL, mul)                                                                               \
    X(FLOORDIV, floor_divide)                                                                 \
    X(REM, remainder)                                                                         \
    X(FMOD, fmod)                                                                             \
    X(POW, pow)                                                                               \
    X(MAXIMUM, maximum)                                                                       \
    X(MINIMUM, minimum)                                                                       \
    X(ATAN2, atan2)                                                                           \
    X(BITAND, bitwise_and)                                                                    \
    X(BITOR, bitwise_or)                                                                      \
    X(BITXOR, bitwise_xor)                                                                    \
    X(LSHIFT, bitwise_left_shift)                                                             \
    X(RSHIFT, bitwise_right_shift)                                                            \
    X(EQ, eq)                                                                                 \
    X(NE, ne)                                                                                 \
    X(LT, lt)                                                                                 \
    X(LE, le)                                                                                 \
    X(GT, gt)                                                                                 \
    X(GE, ge)                                                                                 \
    X(LAND, logical_and)                                                                      \
    X(LOR, logical_or)                                                                        \
    X(LXOR, logical_xor)

#define X(N, n)                                                                               \
    NATIVE(api_##n)                                                                           \
    {                                                                                         \
        return binary(st, a, BOP_##N, #n);                                                    \
    }                                                                                         \
    NATIVE(api_##n##_m)                                                                       \
    {                                                                                         \
        return binary_at(st, a, BOP_##N, #n, 1);                                              \
    }                                                                                         \
    NATIVE(api_##n##_)                                                                        \
    {                                                                                         \
        return binary_(st, a, BOP_##N, #n "_");                                               \
    }
BINARY_API(X)
#undef X

static TnValue addsub(TnState *st, TnValue *a, TnBinaryOp op, bool inplace)
{
    const char *name = op == BOP_ADD ? "add" : "sub";
    TnOperand x, y;
    if (arg_operand(st, a[0], &x, name, "input") < 0 || arg_operand(st, a[1], &y, name, "other") < 0)
        return tn_undef();
    if (!IS_NUMBER(a[2]))
        return tn_raise(st, tn_TypeError, "%s(): argument 'alpha' must be Number, not %s", name,
                        tn_type_name(a[2]));
    if (inplace && tensor_check_overlap(st, SELF, y.t) < 0)
        return tn_undef();
    return ret_t(op_add_alpha(st, op, x, y, a[2], inplace ? SELF : NULL));
}
NATIVE(api_add)
{
    return addsub(st, a, BOP_ADD, false);
}
NATIVE(api_add_)
{
    return addsub(st, a, BOP_ADD, true);
}
NATIVE(api_sub)
{
    return addsub(st, a, BOP_SUB, false);
}
NATIVE(api_sub_)
{
    return addsub(st, a, BOP_SUB, true);
}

static TnValue divide(TnState *st, TnValue *a, bool inplace)
{
    TnBinaryOp op = BOP_DIV;
    if (IS_STR(a[2])) {
        const char *m = AS_STR(a[2])->data;
        if (!strcmp(m, "trunc"))
            op = BOP_DIV_TRUNC;
        else if (!strcmp(m, "floor"))
            op = BOP_FLOORDIV;
        else
            return tn_raise(st, tn_RuntimeError,
                            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                            "found '%s'",
                            m);
    }
    return inplace ? binary_(st, a, op, "div_") : binary(st, a, op, "div");
}
NATIVE(api_div)
{
    return divide(st, a, false);
}
NATIVE(api_div_)
{
    return divide(st, a, true);
}

NATIVE(api_clamp)
{
    TnTensor *x = arg_tensor(st, a[0], "clamp", "input");
    TnOperand lo, hi;
    if (!x || arg_opt_operand(st, a[1], &lo, "clamp", "min") < 0 ||
        arg_opt_operand(st, a[2], &hi, "clamp", "max") < 0)
        return tn_undef();
    return ret_t(op_clamp(st, x, lo, hi, NULL));
}
NATIVE(api_clamp_)
{
    TnOperand lo, hi;
    if (arg_opt_operand(st, a[1], &lo, "clamp_", "min") < 0 ||
        arg_opt_operand(st, a[2], &hi, "clamp_", "max") < 0)
        return tn_undef();
    if (tensor_check_overlap(st, SELF, NULL) < 0)
        return tn_undef();
    return ret_t(op_clamp(st, SELF, lo, hi, SELF));
}

/* clamp_min(x, min) / clamp_max(x, max): clamp with one bound; which one is `upper` */
static TnValue clamp_one(TnState *st, TnValue *a, bool upper, bool inplace, const char *fn)
{
    TnTensor *x = inplace ? SELF : arg_tensor(st, a[0], fn, "input");
    TnOperand bound, none = {NULL, tn_undef()};
    if (!x || arg_opt_operand(st, a[1], &bound, fn, upper ? "max" : "min") < 0)
        return tn_undef();
    return ret_t(op_clamp(st, x, upper ? none : bound, upper ? bound : none, inplace ? x : NULL));
}
NATIVE(api_clamp_min)
{
    return clamp_one(st, a, false, false, "clamp_min");
}
NATIVE(api_clamp_max)
{
    return clamp_one(st, a, true, false, "clamp_max");
}
NATIVE(api_clamp_min_)
{
    return clamp_one(st, a, false, true, "clamp_min_");
}
NATIVE(api_clamp_max_)
{
    return clamp_one(st, a, true, true, "clamp_max_");
}

/* nan_to_num(input, nan=0.0, posinf=None, neginf=None): NaN and infinities replaced,
 * infinities by the dtype's largest/lowest finite value unless given */
static TnTensor *nan_to_num(TnState *st, TnValue *a, TnTensor *x)
{
    if (!x)
        return NULL;
    if (!DT_IS_FLOAT(x->dtype))
        return tensor_clone(st, x);
    double big = x->dtype == DT_FLOAT32 ? FLT_MAX : DBL_MAX, v[3] = {0.0, big, -big};
    for (int i = 0; i < 3; i++)
        if (!IS_UNDEF(a[1 + i]) && !IS_NONE(a[1 + i]) && arg_double(st, a[1 + i], &v[i]) < 0)
            return NULL;
    static const TnUnaryOp test[3] = {UN_ISNAN, UN_ISPOSINF, UN_ISNEGINF};
    TnTensor *r = x;
    tn_obj_incref(r);
    for (int i = 0; i < 3 && r; i++) {
        TnTensor *m = op_unary(st, test[i], x);
        TnTensor *w = m ? op_where(st, m, (TnOperand){NULL, tn_float(v[i])},
                                   (TnOperand){r, tn_undef()}) : NULL;
        tn_obj_decref(m);
        tn_obj_decref(r);
        r = w;
    }
    return r;
}
NATIVE(api_nan_to_num)
{
    return ret_t(nan_to_num(st, a, arg_tensor(st, a[0], "nan_to_num", "input")));
}
NATIVE(api_nan_to_num_)
{
    TnTensor *r = nan_to_num(st, a, SELF);
    int rc = r ? tensor_copy_(st, SELF, r) : -1;
    tn_obj_decref(r);
    return rc < 0 ? tn_undef() : tn_ref(a[0]);
}

NATIVE(api_where)
{
    TnTensor *c = arg_tensor(st, a[0], "where", "condition");
    if (!c)
        return tn_undef();
    if (IS_UNDEF(a[1]) && IS_UNDEF(a[2])) {
        TnTensor *nz = op_nonzero(st, c);
        if (!nz)
            return tn_undef();
        int64_t n;
        TnTensor **cols = op_unbind(st, nz, 1, &n);
        tn_obj_decref(nz);
        return tensors_to_tuple(st, cols, n);
    }
    TnOperand x, y;
    if (arg_operand(st, a[1], &x, "where", "input") < 0 ||
        arg_operand(st, a[2], &y, "where", "other") < 0)
        return tn_undef();
    return ret_t(op_where(st, c, x, y));
}
NATIVE(api_where_method)
{
    TnTensor *c = arg_tensor(st, a[1], "where", "condition");
    TnOperand y;
    if (!c || arg_operand(st, a[2], &y, "where", "other") < 0)
        return tn_undef();
    return ret_t(op_where(st, c, opnd_t(SELF), y));
}

NATIVE(api_lerp)
{
    TnTensor *x = arg_tensor(st, a[0], "lerp", "input"), *e = x ? arg_tensor(st, a[1], "lerp", "end") : NULL;
    TnOperand w;
    if (!e || arg_operand(st, a[2], &w, "lerp", "weight") < 0)
        return tn_undef();
    return ret_t(op_lerp(st, x, e, w));
}
NATIVE(api_lerp_)
{
    TnValue r = api_lerp(st, a);
    if (IS_UNDEF(r))
        return r;
    int rc = tensor_copy_(st, SELF, AS_TENSOR(r));
    tn_decref(r);
    return rc < 0 ? tn_undef() : tn_ref(a[0]);
}

/* addcmul / addcdiv: input + value * t1 * t2 (the last product and the sum fused, as
 * PyTorch's vectorised kernel computes it) and input + value * t1 / t2. */
static TnValue addc(TnState *st, TnValue *a, bool div, const char *name)
{
    TnTensor *x = arg_tensor(st, a[0], name, "input");
    TnTensor *t1 = x ? arg_tensor(st, a[1], name, "tensor1") : NULL;
    TnTensor *t2 = t1 ? arg_tensor(st, a[2], name, "tensor2") : NULL;
    if (!t2)
        return tn_undef();
    TnOperand v = {NULL, IS_UNDEF(a[3]) ? tn_int(1) : a[3]};
    if (!IS_INT(v.s) && !IS_FLOAT(v.s) && !IS_BOOL(v.s))
        return tn_raise(st, tn_TypeError, "%s(): argument 'value' must be Number, not %s", name,
                        tn_type_name(v.s));
    if (div && !DT_IS_FLOAT(t1->dtype) && !DT_IS_FLOAT(t2->dtype))
        return tn_raise(st, tn_RuntimeError,
                        "Integer division with addcdiv is no longer supported, and in a future  "
                        "release addcdiv will perform a true division of tensor1 and tensor2. "
                        "The historic addcdiv behavior can be implemented as (input + value * "
                        "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and "
                        "as (input + value * tensor1 / tensor2) for float inputs. The future "
                        "addcdiv behavior is just the latter implementation: (input + value * "
                        "tensor1 / tensor2), for all dtypes.");
    int nd, nd2;
    int64_t shape[TN_MAX_DIMS], shape2[TN_MAX_DIMS];
    /* broadcast in PyTorch's operand order first, for its error message */
    if (shape_broadcast(st, x->ndim, x->sizes, t1->ndim, t1->sizes, &nd, shape) < 0 ||
        shape_broadcast(st, nd, shape, t2->ndim, t2->sizes, &nd2, shape2) < 0)
        return tn_undef();
    TnOperand o1 = {t1, tn_undef()}, o2 = {t2, tn_undef()}, ox = {x, tn_undef()};
    TnTensor *vt1 = op_binary(st, BOP_MUL, o1, v);
    TnOperand ov = {vt1, tn_undef()};
    TnTensor *r = NULL;
    if (vt1 && div) {
        TnTensor *q = op_binary(st, BOP_DIV, ov, o2);
        r = q ? op_add(st, x, q) : NULL;
        tn_obj_decref(q);
    } else if (vt1) {
        TnOperand ops[3] = {ox, o1, o2};
        if (DT_IS_FLOAT(dtype_result_type(ops, 3)))
            r = op_fma(st, ov, o2, ox, NULL);
        else {
            TnTensor *p = op_binary(st, BOP_MUL, ov, o2);
            r = p ? op_add(st, x, p) : NULL;
            tn_obj_decref(p);
        }
    }
    tn_obj_decref(vt1);
    return ret_t(r);
}
NATIVE(api_addcmul) { return addc(st, a, false, "addcmul"); }
NATIVE(api_addcdiv) { return addc(st, a, true, "addcdiv"); }
static TnValue addc_(TnState *st, TnValue *a, bool div)
{
    TnValue r = addc(st, a, div, div ? "addcdiv_" : "addcmul_");
    if (IS_UNDEF(r))
        return r;
    TnTensor *t = AS_TENSOR(r);
    int rc = op_check_inplace(st, SELF, t->dtype, t->ndim, t->sizes);
    if (rc == 0)
        rc = tensor_copy_(st, SELF, t);
    tn_decref(r);
    return rc < 0 ? tn_undef() : tn_ref(a[0]);
}
NATIVE(api_addcmul_) { return addc_(st, a, false); }
NATIVE(api_addcdiv_) { return addc_(st, a, true); }

static int close_args(TnState *st, TnValue *a, TnTensor **x, TnTensor **y, double *rtol,
                      double *atol, bool *en, const char *name)
{
    *x = arg_tensor(st, a[0], name, "input");
    *y = *x ? arg_tensor(st, a[1], name, "other") : NULL;
    if (!*y || arg_double(st, a[2], rtol) < 0 || arg_double(st, a[3], atol) < 0 ||
        arg_bool(st, a[4], en) < 0)
        return -1;
    return 0;
}
NATIVE(api_isclose)
{
    TnTensor *x, *y;
    double r, t;
    bool en;
    if (close_args(st, a, &x, &y, &r, &t, &en, "isclose") < 0)
        return tn_undef();
    return ret_t(op_isclose(st, x, y, r, t, en));
}
NATIVE(api_allclose)
{
    TnTensor *x, *y;
    double r, t;
    bool en;
    if (close_args(st, a, &x, &y, &r, &t, &en, "allclose") < 0)
        return tn_undef();
    TnTensor *c = op_isclose(st, x, y, r, t, en);
    if (!c)
        return tn_undef();
    TnTensor *all = op_reduce(st, RED_ALL, c, 0xffffffffu, false, -1, 0);
    tn_obj_decref(c);
    if (!all)
        return tn_undef();
    bool b = *(bool *)tensor_ptr(all);
    tn_obj_decref(all);
    return tn_bool(b);
}
NATIVE(api_equal)
{
    TnTensor *x = arg_tensor(st, a[0], "equal", "input"), *y = x ? arg_tensor(st, a[1], "equal", "other") : NULL;
    if (!y)
        return tn_undef();
    int r = op_equal(st, x, y);
    return r < 0 ? tn_undef() : tn_bool(r);
}

/* ============================================================ reductions */
static TnValue reduce(TnState *st, TnValue *a, TnReduceOp op, const char *name, TnValue dim,
                      TnValue keepdim, TnValue dtype, double corr)
{
    TnTensor *x = arg_tensor(st, a[0], name, "input");
    uint32_t mask;
    bool kd;
    int dt = -1;
    if (!x || arg_dim_mask(st, dim, x->ndim, &mask) < 0 || arg_bool(st, keepdim, &kd) < 0 ||
        (!IS_UNDEF(dtype) && arg_dtype(st, dtype, &dt) < 0))
        return tn_undef();
    if (op == RED_AMAX || op == RED_AMIN) {
        /* an explicit dim of size 0 is an IndexError naming it (no dim: the generic error) */
        bool given = !IS_UNDEF(dim) && !IS_NONE(dim) && !(IS_TUPLE(dim) && !AS_TUPLE(dim)->n);
        for (int d = 0; given && d < x->ndim; d++)
            if ((mask >> d & 1) && x->sizes[d] == 0)
                return tn_raise(st, tn_IndexError,
                                "%s(): Expected reduction dim %d to have non-zero size.", name, d);
    }
    if (dt >= 0 && (TnDType)dt != x->dtype && (op == RED_SUM || op == RED_PROD)) {
        /* sum/prod(dtype=) read the input as that dtype first: [1.7, 2.6].sum(dtype=long) is 3 */
        TnTensor *c = tensor_to(st, x, (TnDType)dt);
        TnTensor *r = c ? op_reduce(st, op, c, mask, kd, dt, corr) : NULL;
        tn_obj_decref(c);
        return ret_t(r);
    }
    return ret_t(op_reduce(st, op, x, mask, kd, dt, corr));
}
NATIVE(api_sum)
{
    return reduce(st, a, RED_SUM, "sum", a[1], a[2], a[3], 0);
}
NATIVE(api_mean)
{
    return reduce(st, a, RED_MEAN, "mean", a[1], a[2], a[3], 0);
}
NATIVE(api_prod)
{
    return reduce(st, a, RED_PROD, "prod", a[1], a[2], a[3], 0);
}
NATIVE(api_amax)
{
    return reduce(st, a, RED_AMAX, "amax", a[1], a[2], tn_undef(), 0);
}
NATIVE(api_amin)
{
    return reduce(st, a, RED_AMIN, "amin", a[1], a[2], tn_undef(), 0);
}
NATIVE(api_all)
{
    return reduce(st, a, RED_ALL, "all", a[1], a[2], tn_undef(), 0);
}
NATIVE(api_any)
{
    return reduce(st, a, RED_ANY, "any", a[1], a[2], tn_undef(), 0);
}
NATIVE(api_count_nonzero)
{
    return reduce(st, a, RED_COUNT_NONZERO, "count_nonzero", a[1], tn_bool(false), tn_undef(), 0);
}
NATIVE(api_logsumexp)
{
    return reduce(st, a, RED_LOGSUMEXP, "logsumexp", a[1], a[2], tn_undef(), 0);
}
static TnValue argreduce(TnState *st, TnValue *a, bool is_min)
{
    TnTensor *x = arg_tensor(st, a[0], is_min ? "argmin" : "argmax", "input");
    if (!x)
        return tn_undef();
    bool kd;
    if (arg_bool(st, a[2], &kd) < 0)
        return tn_undef();
    if (x->dtype == DT_BOOL) /* max(dim) of bools has indices, argmax has no bool kernel */
        return tn_raise(st, tn_RuntimeError, "\"%s_cpu\" not implemented for 'Bool'",
                        is_min ? "argmin" : "argmax");
    TnReduceOp op = is_min ? RED_ARGMIN : RED_ARGMAX;
    if (IS_UNDEF(a[1]) || IS_NONE(a[1])) {
        int64_t n = tensor_numel(x);
        TnTensor *f = op_reshape(st, x, 1, &n);
        TnTensor *r = f ? op_reduce(st, op, f, 1, false, -1, 0) : NULL;
        tn_obj_decref(f);
        if (r && kd && x->ndim) {
            int64_t ones[TN_MAX_DIMS];
            for (int d = 0; d < x->ndim; d++)
                ones[d] = 1;
            TnTensor *v = op_view(st, r, x->ndim, ones);
            tn_obj_decref(r);
            r = v;
        }
        return ret_t(r);
    }
    int64_t dim;
    int d;
    if (arg_int(st, a[1], &dim, "dim") < 0 || tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return tn_undef();
    return ret_t(op_reduce(st, op, x, x->ndim ? 1u << d : 0, kd, -1, 0));
}
NATIVE(api_argmax)
{
    return argreduce(st, a, false);
}
NATIVE(api_argmin)
{
    return argreduce(st, a, true);
}

static TnValue varstd(TnState *st, TnValue *a, TnReduceOp op)
{
    TnValue dim = a[1], unb = a[2];
    if (IS_BOOL(dim)) { /* std(input, unbiased) */
        unb = dim;
        dim = tn_none();
    }
    double corr = 1;
    if (!IS_UNDEF(a[4]) && !IS_NONE(a[4])) {
        if (arg_double(st, a[4], &corr) < 0)
            return tn_undef();
    } else if (!IS_UNDEF(unb) && !IS_NONE(unb)) {
        bool u;
        if (arg_bool(st, unb, &u) < 0)
            return tn_undef();
        corr = u ? 1 : 0;
    }
    return reduce(st, a, op, op == RED_STD ? "std" : "var", dim, a[3], tn_undef(), corr);
}
NATIVE(api_std)
{
    return varstd(st, a, RED_STD);
}
NATIVE(api_var)
{
    return varstd(st, a, RED_VAR);
}

static TnValue maxmin(TnState *st, TnValue *a, bool is_min)
{
    const char *name = is_min ? "min" : "max";
    TnTensor *x = arg_tensor(st, a[0], name, "input");
    if (!x)
        return tn_undef();
    if (IS_TENSOR(a[1])) /* torch.max(input, other) */
        return ret_t(op_binary(st, is_min ? BOP_MINIMUM : BOP_MAXIMUM, opnd_t(x),
                               opnd_t(AS_TENSOR(a[1]))));
    if (IS_UNDEF(a[1]) || IS_NONE(a[1])) {
        if (tensor_numel(x) == 0)
            return tn_raise(st, tn_RuntimeError,
                            "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                            "Specify the reduction dim with the 'dim' argument.",
                            name);
        return ret_t(op_reduce(st, is_min ? RED_AMIN : RED_AMAX, x, 0xffffffffu, false, -1, 0));
    }
    int64_t dim;
    bool kd;
    if (arg_int(st, a[1], &dim, "dim") < 0 || arg_bool(st, a[2], &kd) < 0)
        return tn_undef();
    TnTensor *v, *i;
    if (op_max_dim(st, x, dim, kd, is_min, &v, &i) < 0)
        return tn_undef();
    return ret_tuple_new(st, is_min ? &tn_ret_min_type : &tn_ret_max_type, v, i);
}
NATIVE(api_max)
{
    return maxmin(st, a, false);
}
NATIVE(api_min)
{
    return maxmin(st, a, true);
}

static TnValue scan(TnState *st, TnValue *a, TnScanOp op, const char *name)
{
    TnTensor *x = arg_tensor(st, a[0], name, "input");
    int64_t dim;
    int dt;
    if (!x || arg_int(st, a[1], &dim, "dim") < 0 || arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    return ret_t(op_scan(st, op, x, dim, dt));
}
NATIVE(api_cumsum)
{
    return scan(st, a, SCAN_CUMSUM, "cumsum");
}
NATIVE(api_cumprod)
{
    return scan(st, a, SCAN_CUMPROD, "cumprod");
}
NATIVE(api_softmax)
{
    return scan(st, a, SCAN_SOFTMAX, "softmax");
}
NATIVE(api_log_softmax)
{
    return scan(st, a, SCAN_LOG_SOFTMAX, "log_softmax");
}

NATIVE(api_sort)
{
    TnTensor *x = arg_tensor(st, a[0], "sort", "input");
    int64_t dim;
    bool desc, stable;
    if (!x || arg_int(st, a[1], &dim, "dim") < 0 || arg_bool(st, a[2], &desc) < 0 ||
        arg_bool(st, a[3], &stable) < 0)
        return tn_undef();
    TnTensor *v, *i;
    if (op_sort(st, x, dim, desc, stable, &v, &i) < 0)
        return tn_undef();
    return ret_tuple_new(st, &tn_ret_sort_type, v, i);
}
NATIVE(api_argsort)
{
    TnTensor *x = arg_tensor(st, a[0], "argsort", "input");
    int64_t dim;
    bool desc, stable;
    if (!x || arg_int(st, a[1], &dim, "dim") < 0 || arg_bool(st, a[2], &desc) < 0 ||
        arg_bool(st, a[3], &stable) < 0)
        return tn_undef();
    TnTensor *v, *i;
    if (op_sort(st, x, dim, desc, stable, &v, &i) < 0)
        return tn_undef();
    tn_obj_decref(v);
    return tn_obj(i);
}
NATIVE(api_topk)
{
    TnTensor *x = arg_tensor(st, a[0], "topk", "input");
    int64_t k, dim;
    bool largest, sorted;
    if (!x || arg_int(st, a[1], &k, "k") < 0 || arg_int(st, a[2], &dim, "dim") < 0 ||
        arg_bool(st, a[3], &largest) < 0 || arg_bool(st, a[4], &sorted) < 0)
        return tn_undef();
    TnTensor *v, *i;
    if (op_topk(st, x, k, dim, largest, sorted, &v, &i) < 0)
        return tn_undef();
    return ret_tuple_new(st, &tn_ret_topk_type, v, i);
}

/* ================================================================ shape */
static TnValue view_like(TnState *st, TnValue *a, bool reshape)
{
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_sizes_for(st, a[1], &nd, sizes, reshape ? "reshape" : "view",
                      reshape ? "shape" : "size", "SymInts") < 0)
        return tn_undef();
    return ret_t(reshape ? op_reshape(st, SELF, nd, sizes) : op_view(st, SELF, nd, sizes));
}
/* t.view(dtype): the same bytes read as another dtype. With a different element size
 * the last dim (stride 1) is rescaled, as PyTorch does. */
static TnTensor *view_dtype(TnState *st, TnTensor *t, TnDType dt)
{
    int64_t os = DT_SIZE(t->dtype), ns = DT_SIZE(dt);
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    memcpy(sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(strides, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    int64_t offset = t->offset;
    if (os != ns) {
        const char *from = tn_dtype_info[t->dtype].cname, *to = tn_dtype_info[dt].cname;
        if (t->ndim == 0)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "self.dim() cannot be 0 to view %s as %s (different element "
                                "sizes)",
                                from, to);
        int last = t->ndim - 1;
        if ((sizes[last] * os) % ns)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "self.size(-1) must be divisible by %lld to view %s as %s "
                                "(different element sizes), but got %lld",
                                (long long)(ns / os), from, to, (long long)sizes[last]);
        if (strides[last] != 1)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "self.stride(-1) must be 1 to view %s as %s (different element "
                                "sizes), but got %lld",
                                from, to, (long long)strides[last]);
        if ((offset * os) % ns)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "self.storage_offset() must be divisible by %lld to view %s as "
                                "%s (different element sizes), but got %lld",
                                (long long)(ns / os), from, to, (long long)offset);
        for (int d = 0; d < last; d++) {
            if ((strides[d] * os) % ns)
                return tn_raise_ptr(st, tn_RuntimeError,
                                    "self.stride(%d) must be divisible by %lld to view %s as %s "
                                    "(different element sizes), but got %lld",
                                    d, (long long)(ns / os), from, to, (long long)strides[d]);
            strides[d] = strides[d] * os / ns;
        }
        sizes[last] = sizes[last] * os / ns;
        offset = offset * os / ns;
    }
    TnTensor *r = tensor_alias(st, t, t->ndim, sizes, strides, offset);
    if (r)
        r->dtype = dt;
    return r;
}

NATIVE(api_view)
{
    TnValue *items;
    int64_t n;
    if (tn_seq_items(a[1], &items, &n) && n == 1 && IS_DTYPE(items[0]))
        return ret_t(view_dtype(st, SELF, AS_DTYPE(items[0])));
    return view_like(st, a, false);
}
NATIVE(api_reshape_m)
{
    return view_like(st, a, true);
}
NATIVE(api_reshape)
{
    TnTensor *x = arg_tensor(st, a[0], "reshape", "input");
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    if (!x || arg_int_list(st, a[1], &nd, sizes, TN_MAX_DIMS) < 0)
        return tn_undef();
    return ret_t(op_reshape(st, x, nd, sizes));
}
NATIVE(api_view_as)
{
    TnTensor *o = arg_tensor(st, a[1], "view_as", "other");
    return o ? ret_t(op_view(st, SELF, o->ndim, o->sizes)) : tn_undef();
}
NATIVE(api_reshape_as)
{
    TnTensor *o = arg_tensor(st, a[1], "reshape_as", "other");
    return o ? ret_t(op_reshape(st, SELF, o->ndim, o->sizes)) : tn_undef();
}
NATIVE(api_flatten)
{
    TnTensor *x = arg_tensor(st, a[0], "flatten", "input");
    int64_t s, e;
    if (!x || arg_int(st, a[1], &s, "start_dim") < 0 || arg_int(st, a[2], &e, "end_dim") < 0)
        return tn_undef();
    return ret_t(op_flatten(st, x, s, e));
}
NATIVE(api_unflatten)
{
    TnTensor *x = arg_tensor(st, a[0], "unflatten", "input");
    int64_t d, sizes[TN_MAX_DIMS];
    int n;
    if (!x || arg_int(st, a[1], &d, "dim") < 0 || arg_int_list(st, a[2], &n, sizes, TN_MAX_DIMS) < 0)
        return tn_undef();
    return ret_t(op_unflatten(st, x, d, n, sizes));
}
NATIVE(api_squeeze)
{
    TnTensor *x = arg_tensor(st, a[0], "squeeze", "input");
    int64_t d = 0;
    if (!x)
        return tn_undef();
    bool all = IS_UNDEF(a[1]) || IS_NONE(a[1]);
    if (!all && arg_int(st, a[1], &d, "dim") < 0)
        return tn_undef();
    return ret_t(op_squeeze(st, x, all, d));
}
NATIVE(api_unsqueeze)
{
    TnTensor *x = arg_tensor(st, a[0], "unsqueeze", "input");
    int64_t d;
    if (!x || arg_int(st, a[1], &d, "dim") < 0)
        return tn_undef();
    return ret_t(op_unsqueeze(st, x, d));
}
NATIVE(api_transpose)
{
    TnTensor *x = arg_tensor(st, a[0], "transpose", "input");
    int64_t d0, d1;
    if (!x || arg_int(st, a[1], &d0, "dim0") < 0 || arg_int(st, a[2], &d1, "dim1") < 0)
        return tn_undef();
    return ret_t(op_transpose(st, x, d0, d1));
}
NATIVE(api_t)
{
    TnTensor *x = arg_tensor(st, a[0], "t", "input");
    return x ? ret_t(op_t(st, x)) : tn_undef();
}
NATIVE(api_permute)
{
    TnTensor *x = arg_tensor(st, a[0], "permute", "input");
    int n;
    int64_t dims[TN_MAX_DIMS];
    if (!x || arg_sizes_for(st, a[1], &n, dims, "permute", "dims", "ints") < 0)
        return tn_undef();
    return ret_t(op_permute(st, x, n, dims));
}
NATIVE(api_movedim)
{
    TnTensor *x = arg_tensor(st, a[0], "movedim", "input");
    int n1, n2;
    int64_t s[TN_MAX_DIMS], d[TN_MAX_DIMS];
    if (!x || arg_int_list(st, a[1], &n1, s, TN_MAX_DIMS) < 0 ||
        arg_int_list(st, a[2], &n2, d, TN_MAX_DIMS) < 0)
        return tn_undef();
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    if (n1 != n2)
        return tn_raise(st, tn_RuntimeError,
                        "movedim: Invalid source or destination dims: source (%s dims) should "
                        "contain the same number of dims as destination (%s dims)",
                        shape_str(b1, n1, s), shape_str(b2, n2, d));
    return ret_t(op_movedim(st, x, n1, s, d));
}
NATIVE(api_expand)
{
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_sizes_for(st, a[1], &nd, sizes, "expand", "size", "SymInts") < 0)
        return tn_undef();
    return ret_t(op_expand(st, SELF, nd, sizes));
}
NATIVE(api_expand_as)
{
    TnTensor *o = arg_tensor(st, a[1], "expand_as", "other");
    return o ? ret_t(op_expand(st, SELF, o->ndim, o->sizes)) : tn_undef();
}
NATIVE(api_broadcast_to)
{
    TnTensor *x = arg_tensor(st, a[0], "broadcast_to", "input");
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    if (!x || arg_int_list(st, a[1], &nd, sizes, TN_MAX_DIMS) < 0)
        return tn_undef();
    return ret_t(op_expand(st, x, nd, sizes));
}
NATIVE(api_narrow)
{
    TnTensor *x = arg_tensor(st, a[0], "narrow", "input");
    int64_t d, s, l;
    if (!x || arg_int(st, a[1], &d, "dim") < 0 || arg_int(st, a[2], &s, "start") < 0 ||
        arg_int(st, a[3], &l, "length") < 0)
        return tn_undef();
    return ret_t(op_narrow(st, x, d, s, l));
}
NATIVE(api_select)
{
    TnTensor *x = arg_tensor(st, a[0], "select", "input");
    int64_t d, i;
    if (!x || arg_int(st, a[1], &d, "dim") < 0 || arg_int(st, a[2], &i, "index") < 0)
        return tn_undef();
    return ret_t(op_select(st, x, d, i));
}
NATIVE(api_diagonal)
{
    TnTensor *x = arg_tensor(st, a[0], "diagonal", "input");
    int64_t o, d1, d2;
    if (!x || arg_int(st, a[1], &o, "offset") < 0 || arg_int(st, a[2], &d1, "dim1") < 0 ||
        arg_int(st, a[3], &d2, "dim2") < 0)
        return tn_undef();
    return ret_t(op_diagonal(st, x, o, d1, d2));
}
NATIVE(api_unbind)
{
    TnTensor *x = arg_tensor(st, a[0], "unbind", "input");
    int64_t d, n;
    if (!x || arg_int(st, a[1], &d, "dim") < 0)
        return tn_undef();
    TnTensor **ts = op_unbind(st, x, d, &n);
    return tensors_to_tuple(st, ts, n);
}
NATIVE(api_chunk)
{
    TnTensor *x = arg_tensor(st, a[0], "chunk", "input");
    int64_t c, d, n;
    if (!x || arg_int(st, a[1], &c, "chunks") < 0 || arg_int(st, a[2], &d, "dim") < 0)
        return tn_undef();
    TnTensor **ts = op_chunk(st, x, c, d, &n);
    return tensors_to_tuple(st, ts, n);
}
NATIVE(api_split)
{
    TnTensor *x = arg_tensor(st, a[0], "split", "input");
    int64_t d, n, size;
    if (!x || arg_int(st, a[2], &d, "dim") < 0)
        return tn_undef();
    TnTensor **ts;
    if (IS_INTLIKE(a[1])) {
        if (arg_int(st, a[1], &size, "split_size") < 0)
            return tn_undef();
        ts = op_split(st, x, size, d, &n);
    } else {
        TnValue *items;
        if (!tn_seq_items(a[1], &items, &n))
            return tn_raise(st, tn_TypeError, "split(): argument 'split_size' must be int or list");
        int64_t *sizes = tn_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        if (!sizes)
            return tn_no_memory(st);
        for (int64_t i = 0; i < n; i++)
            if (arg_int(st, items[i], &sizes[i], "split_size") < 0) {
                tn_free(sizes);
                return tn_undef();
            }
        ts = op_split_sizes(st, x, d, n, sizes);
        tn_free(sizes);
    }
    return tensors_to_tuple(st, ts, n);
}
static TnValue joiner(TnState *st, TnValue *a, int kind)
{
    static const char *const names[] = {"cat", "stack", "hstack", "vstack"};
    int64_t n, d = 0;
    TnTensor **ts = arg_tensor_list(st, a[0], &n, names[kind]);
    if (!ts)
        return tn_undef();
    if (kind < 2 && arg_int(st, a[1], &d, "dim") < 0) {
        tn_free(ts);
        return tn_undef();
    }
    TnTensor *r = NULL;
    if (kind == 0) {
        r = op_cat(st, ts, n, d);
    } else if (kind == 1) {
        r = op_stack(st, ts, n, d);
    } else {
        /* hstack: cat along 1 (0 for 1-D); vstack: atleast_2d then cat along 0 */
        TnTensor **us = tn_calloc((size_t)(n ? n : 1), sizeof(TnTensor *));
        bool ok = us != NULL;
        for (int64_t i = 0; ok && i < n; i++) {
            TnTensor *t = ts[i];
            int64_t one = 1, row[2] = {1, t->ndim ? t->sizes[0] : 1};
            if (kind == 2)
                us[i] = t->ndim == 0 ? op_reshape(st, t, 1, &one) : (tn_obj_incref(t), t);
            else
                us[i] = t->ndim == 0 ? op_reshape(st, t, 2, row)
                        : t->ndim == 1 ? op_reshape(st, t, 2, row) : (tn_obj_incref(t), t);
            ok = us[i] != NULL;
        }
        if (ok)
            r = op_cat(st, us, n, kind == 2 && n && us[0]->ndim == 1 ? 0 : kind == 2 ? 1 : 0);
        if (!us)
            (void)tn_no_memory(st);
        else
            op_free_list(us, n);
    }
    tn_free(ts);
    return ret_t(r);
}
NATIVE(api_cat)
{
    return joiner(st, a, 0);
}
NATIVE(api_stack)
{
    return joiner(st, a, 1);
}
NATIVE(api_hstack)
{
    return joiner(st, a, 2);
}
NATIVE(api_vstack)
{
    return joiner(st, a, 3);
}
NATIVE(api_flip)
{
    TnTensor *x = arg_tensor(st, a[0], "flip", "input");
    int n;
    int64_t dims[TN_MAX_DIMS];
    if (!x || arg_sizes(st, a[1], &n, dims) < 0)
        return tn_undef();
    return ret_t(op_flip(st, x, n, dims));
}
NATIVE(api_roll)
{
    TnTensor *x = arg_tensor(st, a[0], "roll", "input");
    int n, nd = 0;
    int64_t sh[TN_MAX_DIMS], dims[TN_MAX_DIMS];
    if (!x || arg_int_list(st, a[1], &n, sh, TN_MAX_DIMS) < 0)
        return tn_undef();
    if (!IS_UNDEF(a[2]) && !IS_NONE(a[2]) && arg_int_list(st, a[2], &nd, dims, TN_MAX_DIMS) < 0)
        return tn_undef();
    return ret_t(op_roll(st, x, n, sh, nd, dims));
}
NATIVE(api_repeat)
{
    int n;
    int64_t r[TN_MAX_DIMS];
    if (arg_sizes_for(st, a[1], &n, r, "repeat", "repeats", "SymInts") < 0)
        return tn_undef();
    return ret_t(op_repeat(st, SELF, n, r));
}
NATIVE(api_tile)
{
    TnTensor *x = arg_tensor(st, a[0], "tile", "input");
    int n;
    int64_t r[TN_MAX_DIMS];
    if (!x || arg_sizes(st, a[1], &n, r) < 0)
        return tn_undef();
    return ret_t(op_tile(st, x, n, r));
}
NATIVE(api_diag)
{
    TnTensor *x = arg_tensor(st, a[0], "diag", "input");
    int64_t k;
    if (!x || arg_int(st, a[1], &k, "diagonal") < 0)
        return tn_undef();
    TnTensor *r = op_diag(st, x, k);
    if (r && x->ndim == 2) { /* diag of a matrix copies */
        TnTensor *c = tensor_clone(st, r);
        tn_obj_decref(r);
        r = c;
    }
    return ret_t(r);
}
static TnValue tri(TnState *st, TnValue *a, bool upper, bool inplace)
{
    TnTensor *x = arg_tensor(st, a[0], upper ? "triu" : "tril", "input");
    int64_t k;
    if (!x || arg_int(st, a[1], &k, "diagonal") < 0)
        return tn_undef();
    TnTensor *r = op_tri(st, x, k, upper);
    if (!r || !inplace)
        return ret_t(r);
    int rc = tensor_copy_(st, x, r);
    tn_obj_decref(r);
    return rc < 0 ? tn_undef() : tn_ref(a[0]);
}
NATIVE(api_tril)
{
    return tri(st, a, false, false);
}
NATIVE(api_triu)
{
    return tri(st, a, true, false);
}
NATIVE(api_tril_)
{
    return tri(st, a, false, true);
}
NATIVE(api_triu_)
{
    return tri(st, a, true, true);
}

/* ================================================================ index */
NATIVE(api_index_select)
{
    TnTensor *x = arg_tensor(st, a[0], "index_select", "input");
    TnTensor *i = x ? arg_tensor(st, a[2], "index_select", "index") : NULL;
    int64_t d;
    if (!i || arg_int(st, a[1], &d, "dim") < 0)
        return tn_undef();
    return ret_t(op_index_select(st, x, d, i));
}
NATIVE(api_gather)
{
    TnTensor *x = arg_tensor(st, a[0], "gather", "input");
    TnTensor *i = x ? arg_tensor(st, a[2], "gather", "index") : NULL;
    int64_t d;
    if (!i || arg_int(st, a[1], &d, "dim") < 0)
        return tn_undef();
    return ret_t(op_gather(st, x, d, i));
}
static TnValue scatter(TnState *st, TnValue *a, bool add, bool inplace)
{
    TnTensor *x = arg_tensor(st, a[0], "scatter", "input");
    TnTensor *i = x ? arg_tensor(st, a[2], "scatter", "index") : NULL;
    int64_t d;
    TnOperand src;
    TnValue s = IS_UNDEF(a[3]) ? a[4] : a[3];
    if (!i || arg_int(st, a[1], &d, "dim") < 0 || arg_operand(st, s, &src, "scatter", "src") < 0)
        return tn_undef();
    int mode = add ? SCATTER_ADD : SCATTER_SET;
    if (!add && !IS_NONE(a[5]) && !IS_UNDEF(a[5])) {
        const char *r = IS_STR(a[5]) ? AS_STR(a[5])->data : "";
        if (strcmp(r, "add") && strcmp(r, "multiply"))
            return tn_raise(st, tn_RuntimeError, "reduce argument must be either add or multiply.");
        mode = strcmp(r, "add") ? SCATTER_MUL : SCATTER_ADD;
    }
    return ret_t(op_scatter(st, x, d, i, src, mode, inplace));
}
NATIVE(api_scatter)
{
    return scatter(st, a, false, false);
}
NATIVE(api_scatter_)
{
    return scatter(st, a, false, true);
}
NATIVE(api_scatter_add)
{
    return scatter(st, a, true, false);
}
NATIVE(api_scatter_add_)
{
    return scatter(st, a, true, true);
}
static TnValue masked_fill(TnState *st, TnValue *a, bool inplace)
{
    TnTensor *x = arg_tensor(st, a[0], "masked_fill", "input");
    TnTensor *m = x ? arg_tensor(st, a[1], "masked_fill", "mask") : NULL;
    TnOperand v;
    if (!m || arg_operand(st, a[2], &v, "masked_fill", "value") < 0)
        return tn_undef();
    return ret_t(op_masked_fill(st, x, m, v, inplace));
}
NATIVE(api_masked_fill)
{
    return masked_fill(st, a, false);
}
NATIVE(api_masked_fill_)
{
    return masked_fill(st, a, true);
}
NATIVE(api_masked_select)
{
    TnTensor *x = arg_tensor(st, a[0], "masked_select", "input");
    TnTensor *m = x ? arg_tensor(st, a[1], "masked_select", "mask") : NULL;
    return m ? ret_t(op_masked_select(st, x, m)) : tn_undef();
}
NATIVE(api_nonzero)
{
    TnTensor *x = arg_tensor(st, a[0], "nonzero", "input");
    bool tup;
    if (!x || arg_bool(st, a[1], &tup) < 0)
        return tn_undef();
    TnTensor *x1 = NULL; /* as_tuple reads a 0-dim tensor as 1-D, as PyTorch does */
    if (tup && x->ndim == 0 && !(x = x1 = op_unsqueeze(st, x, 0)))
        return tn_undef();
    TnTensor *nz = op_nonzero(st, x);
    tn_obj_decref(x1);
    if (!nz || !tup)
        return ret_t(nz);
    int64_t n;
    TnTensor **cols = op_unbind(st, nz, 1, &n);
    tn_obj_decref(nz);
    return tensors_to_tuple(st, cols, n);
}
NATIVE(api_take)
{
    TnTensor *x = arg_tensor(st, a[0], "take", "input");
    TnTensor *i = x ? arg_tensor(st, a[1], "take", "index") : NULL;
    return i ? ret_t(op_take(st, x, i)) : tn_undef();
}

/* ============================================================== matmul */
#define MATMUL_API(X) X(mm) X(bmm) X(matmul) X(mv) X(dot) X(outer)
#define X(n)                                                                                  \
    NATIVE(api_##n)                                                                           \
    {                                                                                         \
        TnTensor *x = arg_tensor(st, a[0], #n, "input");                                      \
        TnTensor *y = x ? arg_tensor(st, a[1], #n, "other") : NULL;                           \
        return y ? ret_t(op_##n(st, x, y)) : tn_undef();                                      \
    }
MATMUL_API(X)
#undef X
NATIVE(api_addmm)
{
    TnTensor *i = arg_tensor(st, a[0], "addmm", "input");
    TnTensor *x = i ? arg_tensor(st, a[1], "addmm", "mat1") : NULL;
    TnTensor *y = x ? arg_tensor(st, a[2], "addmm", "mat2") : NULL;
    if (!y || !IS_NUMBER(a[3]) || !IS_NUMBER(a[4]))
        return y ? tn_raise(st, tn_TypeError, "addmm(): beta and alpha must be numbers")
                 : tn_undef();
    return ret_t(op_addmm(st, i, x, y, a[3], a[4]));
}

/* ============================================================ tensor info */
NATIVE(api_item)
{
    TnTensor *t = SELF;
    if (tensor_numel(t) != 1)
        return tn_raise(st, tn_ValueError, "only one element tensors can be converted to Python scalars");
    return tensor_get_flat(t, 0);
}
NATIVE(api_float_dunder)
{
    TnValue v = api_item(st, a);
    return IS_UNDEF(v) ? v : tn_float(tn_num_as_double(v));
}
NATIVE(api_int_dunder)
{
    TnValue v = api_item(st, a);
    if (IS_FLOAT(v)) {
        double f = v.u.f;
        if (f != f)
            return tn_raise(st, tn_ValueError, "cannot convert float NaN to integer");
        if (isinf(f))
            return tn_raise(st, tn_OverflowError, "cannot convert float infinity to integer");
        return tn_int((int64_t)f);
    }
    return IS_BOOL(v) ? tn_int(v.u.i) : v;
}
NATIVE(api_index_dunder)
{
    TnTensor *t = SELF;
    if (DT_IS_FLOAT(t->dtype) || tensor_numel(t) != 1)
        return tn_raise(st, tn_TypeError,
                        "only integer tensors of a single element can be converted to an index");
    return tn_int(tensor_get_flat(t, 0).u.i);
}
NATIVE(api_format)
{
    TnTensor *t = SELF;
    if (t->ndim == 0) {
        TnValue v = tensor_get_flat(t, 0);
        TnValue args[2] = {v, a[1]};
        TnValue fmt = dict_get_str(st->builtins, str_intern("format"));
        return IS_UNDEF(fmt) ? tn_raise(st, tn_NameError, "format") : tn_call(st, fmt, args, 2, NULL, 0);
    }
    if (IS_STR(a[1]) && AS_STR(a[1])->len == 0)
        return tensor_repr(st, t);
    return tn_raise(st, tn_TypeError, "unsupported format string passed to Tensor.__format__");
}
NATIVE(api_tolist)
{
    return tensor_tolist(st, SELF);
}
NATIVE(api_numel)
{
    TnTensor *x = arg_tensor(st, a[0], "numel", "input");
    return x ? tn_int(tensor_numel(x)) : tn_undef();
}
NATIVE(api_dim)
{
    return tn_int(SELF->ndim);
}
NATIVE(api_size)
{
    TnTensor *t = SELF;
    if (IS_UNDEF(a[1]) || IS_NONE(a[1]))
        return size_new(st, t->ndim, t->sizes);
    int64_t dim;
    int d;
    if (arg_int(st, a[1], &dim, "dim") < 0 || tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return tn_undef();
    return tn_int(t->ndim ? t->sizes[d] : 1);
}
NATIVE(api_stride)
{
    TnTensor *t = SELF;
    if (IS_UNDEF(a[1]) || IS_NONE(a[1])) {
        TnValue r = tuple_new(st, t->ndim);
        for (int d = 0; !IS_UNDEF(r) && d < t->ndim; d++)
            tuple_set(r, d, tn_int(t->strides[d]));
        return r;
    }
    int64_t dim;
    int d;
    if (arg_int(st, a[1], &dim, "dim") < 0 || tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return tn_undef();
    return tn_int(t->ndim ? t->strides[d] : 1);
}
NATIVE(api_storage_offset)
{
    return tn_int(SELF->offset);
}
NATIVE(api_data_ptr)
{
    return tn_int((int64_t)(intptr_t)tensor_ptr(SELF));
}
NATIVE(api_element_size)
{
    return tn_int(DT_SIZE(SELF->dtype));
}
NATIVE(api_is_contiguous)
{
    return tn_bool(tensor_is_contiguous(SELF));
}
NATIVE(api_is_floating_point)
{
    TnTensor *x = arg_tensor(st, a[0], "is_floating_point", "input");
    return x ? tn_bool(DT_IS_FLOAT(x->dtype)) : tn_undef();
}
NATIVE(api_is_tensor)
{
    return tn_bool(IS_TENSOR(a[0]));
}
NATIVE(api_contiguous)
{
    return ret_t(tensor_contiguous(st, SELF));
}
NATIVE(api_clone)
{
    TnTensor *x = arg_tensor(st, a[0], "clone", "input");
    TnTensor *c = x ? tensor_clone_layout(st, x, x->dtype) : NULL;
    if (c)
        c->requires_grad = x->requires_grad;
    return ret_t(c);
}
NATIVE(api_detach)
{
    TnTensor *t = SELF;
    return ret_t(tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset));
}
NATIVE(api_detach_)
{
    SELF->requires_grad = false;
    return tn_ref(a[0]);
}
NATIVE(api_requires_grad_)
{
    if (set_requires_grad(st, SELF, a[1]) < 0)
        return tn_undef();
    return tn_ref(a[0]);
}
static TnValue cast(TnState *st, TnValue *a, TnDType dt)
{
    TnTensor *r = SELF->dtype == dt ? tensor_to(st, SELF, dt) : tensor_clone_layout(st, SELF, dt);
    if (r && r != SELF)
        r->requires_grad = SELF->requires_grad && DT_IS_FLOAT(dt);
    return ret_t(r);
}
NATIVE(api_float)
{
    return cast(st, a, DT_FLOAT32);
}
NATIVE(api_double)
{
    return cast(st, a, DT_FLOAT64);
}
NATIVE(api_long)
{
    return cast(st, a, DT_INT64);
}
NATIVE(api_int)
{
    return cast(st, a, DT_INT32);
}
NATIVE(api_bool)
{
    return cast(st, a, DT_BOOL);
}
NATIVE(api_cpu)
{
    return tn_ref(a[0]);
}
/* tn is a CPU-only build of PyTorch: CUDA requests fail as they do there. */
static TnValue no_cuda(TnState *st)
{
    return tn_raise(st, tn_AssertionError, "Torch not compiled with CUDA enabled");
}
NATIVE(api_cuda)
{
    return no_cuda(st);
}
NATIVE(api_to)
{
    /* to(dtype) / to(device) / to(tensor) / to(device, dtype), dtype= keyword */
    TnValue *items;
    int64_t n;
    int dt = -1;
    tn_seq_items(a[1], &items, &n);
    for (int64_t i = 0; i < n; i++) {
        if (IS_DTYPE(items[i]))
            dt = AS_DTYPE(items[i]);
        else if (IS_TENSOR(items[i]))
            dt = AS_TENSOR(items[i])->dtype;
        else if (IS_STR(items[i]) && (!strcmp(AS_STR(items[i])->data, "cuda") ||
                                      !strncmp(AS_STR(items[i])->data, "cuda:", 5)))
            return no_cuda(st);
        else if (IS_STR(items[i]) && strncmp(AS_STR(items[i])->data, "cpu", 3) != 0)
            return tn_raise(st, tn_RuntimeError, "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, ort, xla, lazy, vulkan, mps, meta, hpu, privateuseone device type at start of device string: %s",
                            AS_STR(items[i])->data);
    }
    if (!IS_UNDEF(a[2]) && !IS_NONE(a[2]) && arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    if (dt < 0)
        return tn_ref(a[0]);
    return cast(st, a, (TnDType)dt);
}
NATIVE(api_type)
{
    static const char *const names[] = {"torch.BoolTensor", "torch.IntTensor", "torch.LongTensor",
                                        "torch.FloatTensor", "torch.DoubleTensor"};
    int dt;
    if (IS_UNDEF(a[1]) || IS_NONE(a[1]))
        return tn_str(st, names[SELF->dtype]);
    if (IS_STR(a[1])) {
        for (int i = 0; i < DT_NTYPES; i++)
            if (!strcmp(AS_STR(a[1])->data, names[i]))
                return cast(st, a, (TnDType)i);
        return tn_raise(st, tn_ValueError, "invalid type: '%s'", AS_STR(a[1])->data);
    }
    if (arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    return cast(st, a, (TnDType)dt);
}
NATIVE(api_type_as)
{
    TnTensor *o = arg_tensor(st, a[1], "type_as", "other");
    return o ? cast(st, a, o->dtype) : tn_undef();
}
NATIVE(api_fill_)
{
    TnValue v = a[1];
    if (IS_TENSOR(v) && AS_TENSOR(v)->ndim != 0)
        return tn_raise(st, tn_RuntimeError, "fill_ only supports 0-dimension value tensor but got "
                        "tensor with %d dimensions.", AS_TENSOR(v)->ndim);
    if (IS_TENSOR(v))
        v = tensor_get_flat(AS_TENSOR(v), 0);
    if (!IS_NUMBER(v))
        return tn_raise(st, tn_TypeError, "fill_(): argument 'value' must be Number");
    return tensor_fill_(st, SELF, v) < 0 ? tn_undef() : tn_ref(a[0]);
}
NATIVE(api_zero_)
{
    return tensor_fill_(st, SELF, tn_int(0)) < 0 ? tn_undef() : tn_ref(a[0]);
}
NATIVE(api_copy_)
{
    if (!IS_TENSOR(a[1]))
        return tn_raise(st, tn_TypeError,
                        "copy_(): argument 'other' (position 1) must be Tensor, not %s",
                        tn_type_name(a[1]));
    TnTensor *s = AS_TENSOR(a[1]);
    if (tensor_check_overlap(st, SELF, s) < 0)
        return tn_undef();
    /* copy_ broadcasts as TensorIterator does, with its errors */
    int nd;
    int64_t shape[TN_MAX_DIMS];
    if (shape_broadcast(st, SELF->ndim, SELF->sizes, s->ndim, s->sizes, &nd, shape) < 0 ||
        op_check_inplace(st, SELF, SELF->dtype, nd, shape) < 0)
        return tn_undef();
    return tensor_copy_(st, SELF, s) < 0 ? tn_undef() : tn_ref(a[0]);
}
static TnValue new_filled(TnState *st, TnValue *a, TnValue fill, const char *fn)
{
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_sizes_for(st, a[1], &nd, sizes, fn, "size", "SymInts") < 0 ||
        arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    TnDType d = dt < 0 ? SELF->dtype : (TnDType)dt;
    return api_finish_new(st, tensor_full(st, d, nd, sizes, fill), a[4]);
}
NATIVE(api_new_zeros)
{
    return new_filled(st, a, tn_int(0), "new_zeros");
}
NATIVE(api_new_ones)
{
    return new_filled(st, a, tn_int(1), "new_ones");
}
NATIVE(api_new_empty)
{
    return new_filled(st, a, tn_int(0), "new_empty");
}
NATIVE(api_new_full)
{
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_int_list(st, a[1], &nd, sizes, TN_MAX_DIMS) < 0 || arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    if (!IS_NUMBER(a[2]))
        return tn_raise(st, tn_TypeError, "new_full(): fill_value must be a number");
    return api_finish_new(st, tensor_full(st, dt < 0 ? SELF->dtype : (TnDType)dt, nd, sizes, a[2]), a[5]);
}
NATIVE(api_new_tensor)
{
    int dt;
    if (arg_dtype(st, a[2], &dt) < 0)
        return tn_undef();
    return api_finish_new(st, tensor_from_py(st, a[1], dt < 0 ? (int)SELF->dtype : dt), a[4]);
}

NATIVE(api_set_printoptions)
{
    int64_t v;
    if (!IS_NONE(a[0]) && !IS_UNDEF(a[0])) {
        if (arg_int(st, a[0], &v, "precision") < 0)
            return tn_undef();
        tn_print_opts.precision = (int)v;
    }
    if (!IS_NONE(a[1]) && !IS_UNDEF(a[1])) {
        double f;
        if (arg_double(st, a[1], &f) < 0)
            return tn_undef();
        tn_print_opts.threshold = f > 9e18 ? INT64_MAX : (int64_t)f;
    }
    if (!IS_NONE(a[2]) && !IS_UNDEF(a[2])) {
        if (arg_int(st, a[2], &v, "edgeitems") < 0)
            return tn_undef();
        tn_print_opts.edgeitems = (int)v;
    }
    if (!IS_NONE(a[3]) && !IS_UNDEF(a[3])) {
        if (arg_int(st, a[3], &v, "linewidth") < 0)
            return tn_undef();
        tn_print_opts.linewidth = (int)v;
    }
    if (IS_STR(a[4])) {
        const char *p = AS_STR(a[4])->data;
        bool shortp = !strcmp(p, "short"), full = !strcmp(p, "full");
        tn_print_opts.precision = shortp ? 2 : 4;
        tn_print_opts.threshold = full ? INT64_MAX : 1000;
        tn_print_opts.edgeitems = shortp ? 2 : 3;
        tn_print_opts.linewidth = 80;
    }
    tn_print_opts.sci_mode = IS_NONE(a[5]) || IS_UNDEF(a[5]) ? -1 : AS_BOOL(a[5]) ? 1 : 0;
    return tn_none();
}
NATIVE(api_get_default_dtype)
{
    return dtype_value(DT_DEFAULT);
}

/* ============================================================ properties */
static TnValue get_shape(TnState *st, TnValue self)
{
    return size_new(st, AS_TENSOR(self)->ndim, AS_TENSOR(self)->sizes);
}
static TnValue get_dtype(TnState *st, TnValue self)
{
    return dtype_value(AS_TENSOR(self)->dtype);
}
static TnValue get_device(TnState *st, TnValue self)
{
    return tn_obj(&tn_cpu_device);
}
static TnValue get_ndim(TnState *st, TnValue self)
{
    return tn_int(AS_TENSOR(self)->ndim);
}
static TnValue get_T(TnState *st, TnValue self)
{
    return ret_t(op_reverse_dims(st, AS_TENSOR(self)));
}
static TnValue get_mT(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    if (t->ndim < 2)
        return tn_raise(st, tn_RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got %d-D tensor.", t->ndim);
    return ret_t(op_transpose(st, t, -2, -1));
}
static TnValue get_data(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    return ret_t(tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset));
}
static int set_data(TnState *st, TnValue self, TnValue v)
{
    if (!IS_TENSOR(v))
        return tn_raise_int(st, tn_TypeError, "Variable data has to be a tensor, but got %s",
                            tn_type_name(v));
    TnTensor *t = AS_TENSOR(self), *s = AS_TENSOR(v);
    tn_obj_incref(s->storage);
    tn_obj_decref(t->storage);
    t->storage = s->storage;
    t->offset = s->offset;
    t->ndim = s->ndim;
    t->dtype = s->dtype;
    memcpy(t->sizes, s->sizes, sizeof t->sizes);
    memcpy(t->strides, s->strides, sizeof t->strides);
    return 0;
}
static TnValue get_grad(TnState *st, TnValue self)
{
    TnTensor *g = AS_TENSOR(self)->grad;
    if (!g)
        return tn_none();
    tn_obj_incref(g);
    return tn_obj(g);
}
static int set_grad(TnState *st, TnValue self, TnValue v)
{
    TnTensor *t = AS_TENSOR(self);
    TnTensor *g = NULL;
    if (!IS_UNDEF(v) && !IS_NONE(v) && !(g = arg_tensor(st, v, "grad", "value")))
        return -1;
    if (g)
        tn_obj_incref(g);
    tn_obj_decref(t->grad);
    t->grad = g;
    return 0;
}
static TnValue get_requires_grad(TnState *st, TnValue self)
{
    return tn_bool(AS_TENSOR(self)->requires_grad);
}
static int set_requires_grad_attr(TnState *st, TnValue self, TnValue v)
{
    return set_requires_grad(st, AS_TENSOR(self), v);
}
static TnValue get_is_leaf(TnState *st, TnValue self)
{
    return tn_bool(AS_TENSOR(self)->grad_fn == NULL);
}
static TnValue get_grad_fn(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    if (t->grad_fn && tensor_grad_fn_value)
        return tensor_grad_fn_value(st, t);
    return tn_none();
}
static TnValue get_layout(TnState *st, TnValue self)
{
    return layout_value(AS_TENSOR(self)->sp_indices != NULL);
}
static TnValue get_is_sparse(TnState *st, TnValue self)
{
    return tn_bool(AS_TENSOR(self)->sp_indices != NULL);
}
static TnValue get_false(TnState *st, TnValue self)
{
    return tn_bool(false);
}

static const TnGetSetDef tensor_getset[] = {
    {"shape", get_shape, NULL, NULL},
    {"dtype", get_dtype, NULL, NULL},
    {"device", get_device, NULL, NULL},
    {"ndim", get_ndim, NULL, NULL},
    {"T", get_T, NULL, NULL},
    {"mT", get_mT, NULL, NULL},
    {"data", get_data, set_data, NULL},
    {"grad", get_grad, set_grad, NULL},
    {"requires_grad", get_requires_grad, set_requires_grad_attr, NULL},
    {"is_leaf", get_is_leaf, NULL, NULL},
    {"grad_fn", get_grad_fn, NULL, NULL},
    {"layout", get_layout, NULL, NULL},
    {"is_sparse", get_is_sparse, NULL, NULL},
    {"is_cuda", get_false, NULL, NULL},
    {"is_quantized", get_false, NULL, NULL},
    {"is_meta", get_false, NULL, NULL},
    {NULL},
};

/* ================================================================ slots */
static void tensor_dealloc(TnObject *o)
{
    TnTensor *t = (TnTensor *)o;
    if (tensor_release_autograd)
        tensor_release_autograd(t);
    else
        tn_obj_decref(t->grad_fn);
    tn_obj_decref(t->storage);
    tn_obj_decref(t->grad);
    tn_decref(t->hooks);
    tn_decref(t->base);
    tn_obj_decref(t->sp_indices);
    tn_obj_decref(t->sp_values);
    tn_obj_decref(t->dict);
    tensor_header_free(t);
}

static void tensor_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnTensor *t = (TnTensor *)o;
    tn_visit_obj(t->grad_fn, visit, arg);
    tn_visit_obj(t->grad, visit, arg);
    tn_visit(t->hooks, visit, arg);
    tn_visit(t->base, visit, arg);
    tn_visit_obj(t->sp_indices, visit, arg);
    tn_visit_obj(t->sp_values, visit, arg);
    tn_visit_obj(t->dict, visit, arg);
}

/* What user code can point back through: hooks, attributes and .grad (a graph's
 * nodes never point at their outputs). */
static void tensor_clear(TnObject *o)
{
    TnTensor *t = (TnTensor *)o;
    TnValue hooks = t->hooks;
    TnDict *d = t->dict;
    TnTensor *g = t->grad;
    t->hooks = tn_undef();
    t->dict = NULL;
    t->grad = NULL;
    tn_decref(hooks);
    tn_obj_decref(d);
    tn_obj_decref(g);
}

/* User attributes (x.note = 1) live in t->dict. Reading them needs a getattr slot, which
 * would take tensors off the evaluator's direct method-call path (it skips types with one), so
 * the slot is installed only once some tensor has been given an attribute. */
static TnValue tensor_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnDict *d = AS_TENSOR(self)->dict;
    if (d) {
        TnValue descr = type_lookup(tn_type_of(self), name);
        TnValue v = dict_get_str(d, name);
        if (!IS_UNDEF(v) && (IS_UNDEF(descr) || !tn_type_of(descr)->descr_set))
            return tn_ref(v);
    }
    return tn_generic_getattr(st, self, name);
}

static int tensor_setattr(TnState *st, TnValue self, TnStr *name, TnValue v)
{
    TnValue descr = type_lookup(tn_type_of(self), name);
    if (!IS_UNDEF(descr) && tn_type_of(descr)->descr_set)
        return tn_generic_setattr(st, self, name, v);
    TnTensor *t = AS_TENSOR(self);
    if (IS_UNDEF(v)) {
        int r = t->dict ? dict_del(st, t->dict, tn_obj(name)) : 0;
        if (r == 0)
            return tn_raise_int(st, tn_AttributeError, "'%s' object has no attribute '%s'",
                                tn_type_name(self), name->data);
        return r < 0 ? -1 : 0;
    }
    if (!t->dict) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return -1;
        t->dict = AS_DICT(d);
    }
    tn_tensor_type.getattr = tn_parameter_type.getattr = tensor_getattr;
    return dict_set_str(st, t->dict, name, v);
}

static TnValue tensor_repr_slot(TnState *st, TnValue self)
{
    return tensor_repr(st, AS_TENSOR(self));
}

static const TnBinaryOp binop_map[OP_NBINARY] = {
    [OP_ADD] = BOP_ADD,       [OP_SUB] = BOP_SUB,       [OP_MUL] = BOP_MUL,
    [OP_TRUEDIV] = BOP_DIV,   [OP_FLOORDIV] = BOP_FLOORDIV, [OP_MOD] = BOP_REM,
    [OP_POW] = BOP_POW,       [OP_MATMUL] = BOP_COUNT,  [OP_LSHIFT] = BOP_LSHIFT,
    [OP_RSHIFT] = BOP_RSHIFT, [OP_BITAND] = BOP_BITAND, [OP_BITOR] = BOP_BITOR,
    [OP_BITXOR] = BOP_BITXOR,
};

static TnValue tensor_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    bool ta = IS_TENSOR(a), tb = IS_TENSOR(b);
    if ((!ta && !IS_NUMBER(a)) || (!tb && !IS_NUMBER(b)))
        return tn_notimpl();
    if (op == OP_MATMUL) {
        if (!ta || !tb)
            return tn_notimpl();
        TnTensor *r = op_matmul(st, AS_TENSOR(a), AS_TENSOR(b));
        if (!r || !inplace)
            return ret_t(r);
        /* PyTorch has no __imatmul__: x @= y rebinds x to a new tensor */
        return tn_obj(r);
    }
    TnOperand x = {ta ? AS_TENSOR(a) : NULL, ta ? tn_undef() : a};
    TnOperand y = {tb ? AS_TENSOR(b) : NULL, tb ? tn_undef() : b};
    TnBinaryOp bop = binop_map[op];
    if (inplace && ta)
        return tensor_check_overlap(st, x.t, y.t) < 0 ? tn_undef()
                                                       : ret_t(op_binary_(st, bop, x.t, y));
    return ret_t(op_binary(st, bop, x, y));
}

static TnValue tensor_unop(TnState *st, int op, TnValue a)
{
    TnTensor *t = AS_TENSOR(a);
    switch (op) {
    case UOP_NEG: return ret_t(op_unary(st, UN_NEG, t));
    case UOP_POS: return tn_ref(a);
    case UOP_INVERT:
        if (DT_IS_FLOAT(t->dtype)) /* Tensor.__invert__ checks before the kernel */
            return tn_raise(st, tn_TypeError, "~ (operator.invert) is only implemented on integer "
                                              "and Boolean-type tensors");
        return ret_t(op_unary(st, UN_BITNOT, t));
    default: return tn_notimpl();
    }
}

static TnValue tensor_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    static const TnBinaryOp map[] = {[CMP_LT] = BOP_LT, [CMP_LE] = BOP_LE, [CMP_EQ] = BOP_EQ,
                                     [CMP_NE] = BOP_NE, [CMP_GT] = BOP_GT, [CMP_GE] = BOP_GE};
    if (op > CMP_GE)
        return tn_notimpl();
    bool ta = IS_TENSOR(a), tb = IS_TENSOR(b);
    if ((!ta && !IS_NUMBER(a)) || (!tb && !IS_NUMBER(b))) {
        if (op == CMP_EQ || op == CMP_NE)
            return tn_bool(op == CMP_NE);
        return tn_notimpl();
    }
    TnOperand x = {ta ? AS_TENSOR(a) : NULL, ta ? tn_undef() : a};
    TnOperand y = {tb ? AS_TENSOR(b) : NULL, tb ? tn_undef() : b};
    return ret_t(op_binary(st, map[op], x, y));
}

static int tensor_truth(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    int64_t n = tensor_numel(t);
    if (n == 0)
        return tn_raise_int(st, tn_RuntimeError,
                            "Boolean value of Tensor with no values is ambiguous");
    if (n > 1)
        return tn_raise_int(st, tn_RuntimeError,
                            "Boolean value of Tensor with more than one value is ambiguous");
    TnValue v = tensor_get_flat(t, 0);
    return IS_FLOAT(v) ? v.u.f != 0 : v.u.i != 0;
}

static int64_t tensor_len(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    if (t->ndim == 0)
        return tn_raise_int(st, tn_TypeError, "len() of a 0-d tensor");
    return t->sizes[0];
}

static TnValue tensor_iter_slot(TnState *st, TnValue self)
{
    return tensor_iter_new(st, AS_TENSOR(self));
}

static TnValue tensor_getitem(TnState *st, TnValue self, TnValue key)
{
    key = op_torch_key(st, AS_TENSOR(self), key);
    if (IS_UNDEF(key))
        return key;
    TnTensor *r = op_getitem(st, AS_TENSOR(self), key);
    tn_decref(key);
    return ret_t(r);
}

static int tensor_setitem(TnState *st, TnValue self, TnValue key, TnValue v)
{
    if (IS_UNDEF(v))
        return tn_raise_int(st, tn_TypeError, "'Tensor' object does not support item deletion");
    key = op_torch_key(st, AS_TENSOR(self), key);
    if (IS_UNDEF(key))
        return -1;
    int rc = op_setitem_torch(st, AS_TENSOR(self), key, v);
    tn_decref(key);
    return rc;
}

static int tensor_contains(TnState *st, TnValue self, TnValue item)
{
    if (!IS_TENSOR(item) && !IS_NUMBER(item))
        return tn_raise_int(st, tn_RuntimeError,
                            "Tensor.__contains__ only supports Tensor or scalar, but you passed in "
                            "a <class '%s'>.",
                            tn_type_name(item));
    TnValue eq = tensor_richcmp(st, self, item, CMP_EQ);
    if (IS_UNDEF(eq))
        return -1;
    if (!IS_TENSOR(eq)) {
        tn_decref(eq);
        return 0;
    }
    TnTensor *any = op_reduce(st, RED_ANY, AS_TENSOR(eq), 0xffffffffu, false, -1, 0);
    tn_decref(eq);
    if (!any)
        return -1;
    int r = *(bool *)tensor_ptr(any);
    tn_obj_decref(any);
    return r;
}

/* ================================================================ tables */
/* (flags, name, C function, signature). F: torch.X only; M: Tensor method only;
 * FM: both (the first parameter is `self` for the method). */
#define DIMSIG "dim=None, keepdim=False"
#define API_TABLE(X)                                                                          \
    X(F, "tensor", api_tensor, "tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False)") \
    X(F, "zeros", api_zeros, "zeros(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None)") \
    X(F, "ones", api_ones, "ones(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None)") \
    X(F, "empty", api_empty, "empty(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None)") \
    X(F, "full", api_full, "full(size, fill_value, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "zeros_like", api_zeros_like, "zeros_like(input, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "ones_like", api_ones_like, "ones_like(input, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "empty_like", api_empty_like, "empty_like(input, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "full_like", api_full_like, "full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "arange", api_arange, "arange(start, end=?, step=1, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "linspace", api_linspace, "linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "eye", api_eye, "eye(n, m=None, *, dtype=None, device=None, requires_grad=False)") \
    X(FM, "add", api_add, "add(input, other, *, alpha=1)") \
    X(FM, "sub", api_sub, "sub(input, other, *, alpha=1)") \
    X(FM, "subtract", api_sub, "subtract(input, other, *, alpha=1)") \
    X(M, "add_", api_add_, "add_(self, other, *, alpha=1)") \
    X(M, "sub_", api_sub_, "sub_(self, other, *, alpha=1)") \
    X(FM, "div", api_div, "div(input, other, *, rounding_mode=None)") \
    X(FM, "divide", api_div, "divide(input, other, *, rounding_mode=None)") \
    X(FM, "true_divide", api_div, "true_divide(input, other, *, rounding_mode=None)") \
    X(M, "div_", api_div_, "div_(self, other, *, rounding_mode=None)") \
    X(FM, "multiply", api_mul, "multiply(input, other)") \
    X(FM, "clamp", api_clamp, "clamp(input, min=None, max=None)") \
    X(FM, "clip", api_clamp, "clip(input, min=None, max=None)") \
    X(M, "clamp_", api_clamp_, "clamp_(self, min=None, max=None)") \
    X(M, "clip_", api_clamp_, "clip_(self, min=None, max=None)") \
    X(FM, "clamp_min", api_clamp_min, "clamp_min(input, min)") \
    X(FM, "nan_to_num", api_nan_to_num, "nan_to_num(input, nan=0.0, posinf=None, neginf=None)") \
    X(M, "nan_to_num_", api_nan_to_num_, "nan_to_num_(self, nan=0.0, posinf=None, neginf=None)") \
    X(FM, "clamp_max", api_clamp_max, "clamp_max(input, max)") \
    X(M, "clamp_min_", api_clamp_min_, "clamp_min_(self, min)") \
    X(M, "clamp_max_", api_clamp_max_, "clamp_max_(self, max)") \
    X(F, "where", api_where, "where(condition, input=?, other=?)") \
    X(M, "where", api_where_method, "where(self, condition, other)") \
    X(FM, "lerp", api_lerp, "lerp(input, end, weight)") \
    X(FM, "addcmul", api_addcmul, "addcmul(input, tensor1, tensor2, *, value=?)") \
    X(M, "addcmul_", api_addcmul_, "addcmul_(self, tensor1, tensor2, *, value=?)") \
    X(FM, "addcdiv", api_addcdiv, "addcdiv(input, tensor1, tensor2, *, value=?)") \
    X(M, "addcdiv_", api_addcdiv_, "addcdiv_(self, tensor1, tensor2, *, value=?)") \
    X(M, "lerp_", api_lerp_, "lerp_(self, end, weight)") \
    X(FM, "isclose", api_isclose, "isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)") \
    X(FM, "allclose", api_allclose, "allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)") \
    X(FM, "equal", api_equal, "equal(input, other)") \
    X(FM, "sum", api_sum, "sum(input, " DIMSIG ", *, dtype=None)") \
    X(FM, "mean", api_mean, "mean(input, " DIMSIG ", *, dtype=None)") \
    X(FM, "prod", api_prod, "prod(input, " DIMSIG ", *, dtype=None)") \
    X(FM, "amax", api_amax, "amax(input, dim=(), keepdim=False)") \
    X(FM, "amin", api_amin, "amin(input, dim=(), keepdim=False)") \
    X(FM, "all", api_all, "all(input, " DIMSIG ")") \
    X(FM, "any", api_any, "any(input, " DIMSIG ")") \
    X(FM, "count_nonzero", api_count_nonzero, "count_nonzero(input, dim=None)") \
    X(FM, "logsumexp", api_logsumexp, "logsumexp(input, dim, keepdim=False)") \
    X(FM, "argmax", api_argmax, "argmax(input, " DIMSIG ")") \
    X(FM, "argmin", api_argmin, "argmin(input, " DIMSIG ")") \
    X(FM, "std", api_std, "std(input, dim=None, unbiased=None, keepdim=False, *, correction=None)") \
    X(FM, "var", api_var, "var(input, dim=None, unbiased=None, keepdim=False, *, correction=None)") \
    X(FM, "max", api_max, "max(input, dim=?, keepdim=False)") \
    X(FM, "min", api_min, "min(input, dim=?, keepdim=False)") \
    X(FM, "cumsum", api_cumsum, "cumsum(input, dim, *, dtype=None)") \
    X(FM, "cumprod", api_cumprod, "cumprod(input, dim, *, dtype=None)") \
    X(FM, "softmax", api_softmax, "softmax(input, dim, dtype=None)") \
    X(FM, "log_softmax", api_log_softmax, "log_softmax(input, dim, dtype=None)") \
    X(FM, "sort", api_sort, "sort(input, dim=-1, descending=False, stable=False)") \
    X(FM, "argsort", api_argsort, "argsort(input, dim=-1, descending=False, stable=False)") \
    X(FM, "topk", api_topk, "topk(input, k, dim=-1, largest=True, sorted=True)") \
    X(M, "view", api_view, "view(self, *shape)") \
    X(M, "reshape", api_reshape_m, "reshape(self, *shape)") \
    X(F, "reshape", api_reshape, "reshape(input, shape)") \
    X(M, "view_as", api_view_as, "view_as(self, other)") \
    X(M, "reshape_as", api_reshape_as, "reshape_as(self, other)") \
    X(FM, "flatten", api_flatten, "flatten(input, start_dim=0, end_dim=-1)") \
    X(FM, "unflatten", api_unflatten, "unflatten(input, dim, sizes)") \
    X(FM, "squeeze", api_squeeze, "squeeze(input, dim=None)") \
    X(FM, "unsqueeze", api_unsqueeze, "unsqueeze(input, dim)") \
    X(FM, "transpose", api_transpose, "transpose(input, dim0, dim1)") \
    X(FM, "swapdims", api_transpose, "swapdims(input, dim0, dim1)") \
    X(FM, "swapaxes", api_transpose, "swapaxes(input, axis0, axis1)") \
    X(FM, "t", api_t, "t(input)") \
    X(M, "permute", api_permute, "permute(self, *dims)") \
    X(F, "permute", api_permute, "permute(input, dims)") \
    X(FM, "movedim", api_movedim, "movedim(input, source, destination)") \
    X(FM, "moveaxis", api_movedim, "moveaxis(input, source, destination)") \
    X(M, "expand", api_expand, "expand(self, *sizes)") \
    X(M, "expand_as", api_expand_as, "expand_as(self, other)") \
    X(FM, "broadcast_to", api_broadcast_to, "broadcast_to(input, size)") \
    X(FM, "narrow", api_narrow, "narrow(input, dim, start, length)") \
    X(FM, "select", api_select, "select(input, dim, index)") \
    X(FM, "diagonal", api_diagonal, "diagonal(input, offset=0, dim1=0, dim2=1)") \
    X(FM, "unbind", api_unbind, "unbind(input, dim=0)") \
    X(FM, "chunk", api_chunk, "chunk(input, chunks, dim=0)") \
    X(FM, "split", api_split, "split(input, split_size_or_sections, dim=0)") \
    X(F, "cat", api_cat, "cat(tensors, dim=0)") \
    X(F, "concat", api_cat, "concat(tensors, dim=0)") \
    X(F, "stack", api_stack, "stack(tensors, dim=0)") \
    X(F, "hstack", api_hstack, "hstack(tensors)") \
    X(F, "vstack", api_vstack, "vstack(tensors)") \
    X(M, "flip", api_flip, "flip(self, *dims)") \
    X(F, "flip", api_flip, "flip(input, dims)") \
    X(FM, "roll", api_roll, "roll(input, shifts, dims=None)") \
    X(M, "repeat", api_repeat, "repeat(self, *sizes)") \
    X(M, "tile", api_tile, "tile(self, *dims)") \
    X(F, "tile", api_tile, "tile(input, dims)") \
    X(FM, "diag", api_diag, "diag(input, diagonal=0)") \
    X(FM, "tril", api_tril, "tril(input, diagonal=0)") \
    X(FM, "triu", api_triu, "triu(input, diagonal=0)") \
    X(M, "tril_", api_tril_, "tril_(self, diagonal=0)") \
    X(M, "triu_", api_triu_, "triu_(self, diagonal=0)") \
    X(FM, "index_select", api_index_select, "index_select(input, dim, index)") \
    X(FM, "gather", api_gather, "gather(input, dim, index)") \
    X(FM, "scatter", api_scatter, "scatter(input, dim, index, src=?, value=?, *, reduce=None)") \
    X(M, "scatter_", api_scatter_, "scatter_(self, dim, index, src=?, value=?, *, reduce=None)") \
    X(FM, "scatter_add", api_scatter_add, "scatter_add(input, dim, index, src, value=?)") \
    X(M, "scatter_add_", api_scatter_add_, "scatter_add_(self, dim, index, src, value=?)") \
    X(FM, "masked_fill", api_masked_fill, "masked_fill(input, mask, value)") \
    X(M, "masked_fill_", api_masked_fill_, "masked_fill_(self, mask, value)") \
    X(FM, "masked_select", api_masked_select, "masked_select(input, mask)") \
    X(FM, "nonzero", api_nonzero, "nonzero(input, *, as_tuple=False)") \
    X(FM, "take", api_take, "take(input, index)") \
    X(FM, "mm", api_mm, "mm(input, mat2)") \
    X(FM, "bmm", api_bmm, "bmm(input, mat2)") \
    X(FM, "matmul", api_matmul, "matmul(input, other)") \
    X(FM, "mv", api_mv, "mv(input, vec)") \
    X(FM, "dot", api_dot, "dot(input, other)") \
    X(FM, "outer", api_outer, "outer(input, vec2)") \
    X(FM, "ger", api_outer, "ger(input, vec2)") \
    X(FM, "addmm", api_addmm, "addmm(input, mat1, mat2, *, beta=1, alpha=1)") \
    X(M, "item", api_item, "item(self)") \
    X(M, "__float__", api_float_dunder, "__float__(self)") \
    X(M, "__int__", api_int_dunder, "__int__(self)") \
    X(M, "__index__", api_index_dunder, "__index__(self)") \
    X(M, "__format__", api_format, "__format__(self, format_spec)") \
    X(M, "tolist", api_tolist, "tolist(self)") \
    X(FM, "numel", api_numel, "numel(input)") \
    X(M, "nelement", api_numel, "nelement(self)") \
    X(M, "dim", api_dim, "dim(self)") \
    X(M, "ndimension", api_dim, "ndimension(self)") \
    X(M, "size", api_size, "size(self, dim=None)") \
    X(M, "stride", api_stride, "stride(self, dim=None)") \
    X(M, "storage_offset", api_storage_offset, "storage_offset(self)") \
    X(M, "data_ptr", api_data_ptr, "data_ptr(self)") \
    X(M, "element_size", api_element_size, "element_size(self)") \
    X(M, "is_contiguous", api_is_contiguous, "is_contiguous(self, memory_format=None)") \
    X(FM, "is_floating_point", api_is_floating_point, "is_floating_point(input)") \
    X(F, "is_tensor", api_is_tensor, "is_tensor(obj)") \
    X(M, "contiguous", api_contiguous, "contiguous(self, memory_format=None)") \
    X(FM, "clone", api_clone, "clone(input, *, memory_format=None)") \
    X(FM, "detach", api_detach, "detach(input)") \
    X(M, "detach_", api_detach_, "detach_(self)") \
    X(M, "requires_grad_", api_requires_grad_, "requires_grad_(self, requires_grad=True)") \
    X(M, "float", api_float, "float(self, memory_format=None)") \
    X(M, "double", api_double, "double(self, memory_format=None)") \
    X(M, "long", api_long, "long(self, memory_format=None)") \
    X(M, "int", api_int, "int(self, memory_format=None)") \
    X(M, "bool", api_bool, "bool(self, memory_format=None)") \
    X(M, "cpu", api_cpu, "cpu(self)") \
    X(M, "cuda", api_cuda, "cuda(self, device=?, non_blocking=?)") \
    X(M, "to", api_to, "to(self, *args, dtype=None, device=None, non_blocking=False, copy=False)") \
    X(M, "type", api_type, "type(self, dtype=None, non_blocking=False)") \
    X(M, "type_as", api_type_as, "type_as(self, other)") \
    X(M, "fill_", api_fill_, "fill_(self, value)") \
    X(M, "zero_", api_zero_, "zero_(self)") \
    X(M, "copy_", api_copy_, "copy_(self, src, non_blocking=False)") \
    X(M, "new_zeros", api_new_zeros, "new_zeros(self, *size, dtype=None, device=None, requires_grad=False)") \
    X(M, "new_ones", api_new_ones, "new_ones(self, *size, dtype=None, device=None, requires_grad=False)") \
    X(M, "new_empty", api_new_empty, "new_empty(self, *size, dtype=None, device=None, requires_grad=False)") \
    X(M, "new_full", api_new_full, "new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False)") \
    X(M, "new_tensor", api_new_tensor, "new_tensor(self, data, *, dtype=None, device=None, requires_grad=False)") \
    X(F, "set_printoptions", api_set_printoptions, "set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None)") \
    X(F, "get_default_dtype", api_get_default_dtype, "get_default_dtype()")

#define ROW(n, f, s) {n, f, s, NULL, NULL},
#define FN_F(n, f, s)  ROW(n, f, s)
#define FN_FM(n, f, s) ROW(n, f, s)
#define FN_M(n, f, s)
#define ME_F(n, f, s)
#define ME_FM(n, f, s) ROW(n, f, s)
#define ME_M(n, f, s)  ROW(n, f, s)
#define AS_FN(flag, n, f, s)   FN_##flag(n, f, s)
#define AS_METH(flag, n, f, s) ME_##flag(n, f, s)

#define UNARY_FN(N, n, k)   {#n, api_##n, #n "(input)", NULL, NULL},
#define UNARY_METH(N, n, k) {#n, api_##n, #n "(self)", NULL, NULL}, {#n "_", api_##n##_, #n "_(self)", NULL, NULL},
#define BINARY_FN(N, n)     {#n, api_##n, #n "(input, other)", NULL, NULL},
#define BINARY_METH(N, n)   {#n, api_##n##_m, #n "(self, other)", NULL, NULL}, {#n "_", api_##n##_, #n "_(self, other)", NULL, NULL},

static const TnMethodDef torch_functions[] = {
    API_TABLE(AS_FN) TN_UNARY_OPS(UNARY_FN) BINARY_API(BINARY_FN)
    {"round", api_round_decimals, "round(input, *, decimals=0)", NULL, NULL}, /* after UNARY_FN's */
    {"absolute", api_abs, "absolute(input)", NULL, NULL},
    {"negative", api_neg, "negative(input)", NULL, NULL},
    {"greater", api_gt, "greater(input, other)", NULL, NULL},
    {"less", api_lt, "less(input, other)", NULL, NULL},
    {"greater_equal", api_ge, "greater_equal(input, other)", NULL, NULL},
    {"less_equal", api_le, "less_equal(input, other)", NULL, NULL},
    {"not_equal", api_ne, "not_equal(input, other)", NULL, NULL},
    {NULL},
};

/* ------------------------------------------------------- operator dunders
 * t.__add__(x), t.__radd__(x), t.__iadd__(x), t.__neg__(), t.__eq__(x), t.__getitem__(k)...
 * call the Tensor type's slots, as Python's dunders do, so they record and refuse
 * (NotImplemented) exactly as the operators. They go through tn_tensor_type, not the
 * object's type: a subclass's __add__ calling super().__add__ reaches the tensor's own. */
#define DUNDER_BINOP(OPC, nm)                                                                  \
    static TnValue dunder_##nm(TnState *st, TnValue *a)                                        \
    {                                                                                          \
        return tn_tensor_type.binop(st, OPC, a[0], a[1], false);                               \
    }                                                                                          \
    static TnValue dunder_r##nm(TnState *st, TnValue *a)                                       \
    {                                                                                          \
        return tn_tensor_type.binop(st, OPC, a[1], a[0], false);                               \
    }
#define DUNDER_IBINOP(OPC, nm)                                                                 \
    static TnValue dunder_i##nm(TnState *st, TnValue *a)                                       \
    {                                                                                          \
        return tn_tensor_type.binop(st, OPC, a[0], a[1], true);                                \
    }
/* the operators with an in-place form (x @= y rebinds x: PyTorch has no __imatmul__) */
#define DUNDER_IBINOPS(X)                                                                      \
    X(OP_ADD, add) X(OP_SUB, sub) X(OP_MUL, mul) X(OP_TRUEDIV, truediv)                        \
    X(OP_FLOORDIV, floordiv) X(OP_MOD, mod) X(OP_POW, pow) X(OP_BITAND, and)                   \
    X(OP_BITOR, or) X(OP_BITXOR, xor) X(OP_LSHIFT, lshift) X(OP_RSHIFT, rshift)
#define DUNDER_BINOPS(X) DUNDER_IBINOPS(X) X(OP_MATMUL, matmul)
DUNDER_BINOPS(DUNDER_BINOP)
DUNDER_IBINOPS(DUNDER_IBINOP)
#undef DUNDER_BINOP
#undef DUNDER_IBINOP

#define DUNDER_CMP(OPC, nm)                                                                    \
    static TnValue dunder_##nm(TnState *st, TnValue *a)                                        \
    {                                                                                          \
        if (!IS_TENSOR(a[1]) && !IS_NUMBER(a[1]))                                              \
            return tn_notimpl(); /* == then falls back to identity */                          \
        return tn_tensor_type.richcmp(st, a[0], a[1], OPC);                                    \
    }
#define DUNDER_CMPS(X)                                                                         \
    X(CMP_EQ, eq) X(CMP_NE, ne) X(CMP_LT, lt) X(CMP_LE, le) X(CMP_GT, gt) X(CMP_GE, ge)
DUNDER_CMPS(DUNDER_CMP)
#undef DUNDER_CMP

#define DUNDER_UNOP(OPC, nm)                                                                   \
    static TnValue dunder_##nm(TnState *st, TnValue *a)                                        \
    {                                                                                          \
        return tn_tensor_type.unop(st, OPC, a[0]);                                             \
    }
#define DUNDER_UNOPS(X) X(UOP_NEG, neg) X(UOP_POS, pos) X(UOP_INVERT, invert)
DUNDER_UNOPS(DUNDER_UNOP)
#undef DUNDER_UNOP

/* reversed(t) flips the first dim (PyTorch's Tensor.__reversed__) */
static TnValue dunder_reversed(TnState *st, TnValue *a)
{
    TnValue dims = tuple_pack(st, 1, tn_int(0));
    if (IS_UNDEF(dims))
        return dims;
    TnValue r = tn_call_method(st, a[0], str_intern("flip"), &dims, 1);
    tn_decref(dims);
    return r;
}

static TnValue dunder_getitem(TnState *st, TnValue *a)
{
    return tn_tensor_type.getitem(st, a[0], a[1]);
}

static TnValue dunder_setitem(TnState *st, TnValue *a)
{
    return tn_tensor_type.setitem(st, a[0], a[1], a[2]) < 0 ? tn_undef() : tn_none();
}

static TnValue dunder_len(TnState *st, TnValue *a)
{
    int64_t n = tn_tensor_type.len(st, a[0]);
    return n < 0 ? tn_undef() : tn_int(n);
}

static TnValue dunder_bool(TnState *st, TnValue *a)
{
    int t = tn_tensor_type.truth(st, a[0]);
    return t < 0 ? tn_undef() : tn_bool(t);
}

static TnValue dunder_iter(TnState *st, TnValue *a)
{
    return tn_tensor_type.iter(st, a[0]);
}

static TnValue dunder_contains(TnState *st, TnValue *a)
{
    int t = tn_tensor_type.contains(st, a[0], a[1]);
    return t < 0 ? tn_undef() : tn_bool(t);
}

#define BIN_DEFS(OPC, nm)                                                                      \
    {"__" #nm "__", dunder_##nm, "__" #nm "__(self, other)", NULL, NULL},                      \
    {"__r" #nm "__", dunder_r##nm, "__r" #nm "__(self, other)", NULL, NULL},
#define IBIN_DEFS(OPC, nm) {"__i" #nm "__", dunder_i##nm, "__i" #nm "__(self, other)", NULL, NULL},
#define CMP_DEFS(OPC, nm) {"__" #nm "__", dunder_##nm, "__" #nm "__(self, other)", NULL, NULL},
#define UN_DEFS(OPC, nm) {"__" #nm "__", dunder_##nm, "__" #nm "__(self)", NULL, NULL},
/* rows of tensor_methods */
#define TENSOR_DUNDER_ROWS                                                                     \
    DUNDER_BINOPS(BIN_DEFS) DUNDER_IBINOPS(IBIN_DEFS) DUNDER_CMPS(CMP_DEFS)                    \
    DUNDER_UNOPS(UN_DEFS)                                                                      \
    /* Python 2 names PyTorch still has */                                                     \
    {"__div__", dunder_truediv, "__div__(self, other)", NULL, NULL},                           \
    {"__rdiv__", dunder_rtruediv, "__rdiv__(self, other)", NULL, NULL},                        \
    {"__idiv__", dunder_itruediv, "__idiv__(self, other)", NULL, NULL},                        \
    {"__nonzero__", dunder_bool, "__nonzero__(self)", NULL, NULL},                             \
    {"__long__", api_int_dunder, "__long__(self)", NULL, NULL},                                \
    {"__reversed__", dunder_reversed, "__reversed__(self)", NULL, NULL},                       \
    {"__getitem__", dunder_getitem, "__getitem__(self, indices)", NULL, NULL},                 \
    {"__setitem__", dunder_setitem, "__setitem__(self, indices, val)", NULL, NULL},            \
    {"__len__", dunder_len, "__len__(self)", NULL, NULL},                                      \
    {"__bool__", dunder_bool, "__bool__(self)", NULL, NULL},                                   \
    {"__iter__", dunder_iter, "__iter__(self)", NULL, NULL},                                   \
    {"__contains__", dunder_contains, "__contains__(self, element)", NULL, NULL},


static const TnMethodDef tensor_methods[] = {
    API_TABLE(AS_METH) TN_UNARY_OPS(UNARY_METH) BINARY_METH(MUL, mul)
    BINARY_METH(FLOORDIV, floor_divide) BINARY_METH(REM, remainder) BINARY_METH(FMOD, fmod)
    BINARY_METH(POW, pow) BINARY_METH(MAXIMUM, maximum) BINARY_METH(MINIMUM, minimum)
    BINARY_METH(ATAN2, atan2) BINARY_METH(BITAND, bitwise_and) BINARY_METH(BITOR, bitwise_or)
    BINARY_METH(BITXOR, bitwise_xor) BINARY_METH(LSHIFT, bitwise_left_shift)
    BINARY_METH(RSHIFT, bitwise_right_shift) BINARY_METH(EQ, eq) BINARY_METH(NE, ne)
    BINARY_METH(LT, lt) BINARY_METH(LE, le) BINARY_METH(GT, gt) BINARY_METH(GE, ge)
    BINARY_METH(LAND, logical_and) BINARY_METH(LOR, logical_or) BINARY_METH(LXOR, logical_xor)
    {"absolute", api_abs, "absolute(self)", NULL, NULL},
    {"negative", api_neg, "negative(self)", NULL, NULL},
    {"__abs__", api_abs, "__abs__(self)", NULL, NULL},
    TENSOR_DUNDER_ROWS
    {"round", api_round_decimals, "round(self, *, decimals=0)", NULL, NULL},
    {NULL},
};

TnType tn_tensor_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "Tensor",
    .module = "torch",
    .flags = TN_TYPE_BASETYPE,
    .dealloc = tensor_dealloc,
    .traverse = tensor_traverse,
    .clear = tensor_clear,
    .repr = tensor_repr_slot,
    .richcmp = tensor_richcmp,
    .binop = tensor_binop,
    .unop = tensor_unop,
    .setattr = tensor_setattr,
    .truth = tensor_truth,
    .iter = tensor_iter_slot,
    .len = tensor_len,
    .getitem = tensor_getitem,
    .setitem = tensor_setitem,
    .contains = tensor_contains,
    .construct = tensor_construct,
    .methods = tensor_methods,
    .getset = tensor_getset,
};

TnType tn_parameter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "Parameter",
    .module = "torch.nn.parameter",
    .base = &tn_tensor_type,
    .flags = TN_TYPE_BASETYPE,
    .dealloc = tensor_dealloc,
    .traverse = tensor_traverse,
    .clear = tensor_clear,
    .repr = tensor_repr_slot,
    .richcmp = tensor_richcmp,
    .binop = tensor_binop,
    .unop = tensor_unop,
    .setattr = tensor_setattr,
    .truth = tensor_truth,
    .iter = tensor_iter_slot,
    .len = tensor_len,
    .getitem = tensor_getitem,
    .setitem = tensor_setitem,
    .contains = tensor_contains,
    .construct = parameter_construct,
};

bool tensor_type_check(TnType *t)
{
    for (; t; t = t->base)
        if (t == &tn_tensor_type)
            return true;
    return false;
}

int tensor_api_add_methods(TnState *st, const TnMethodDef *defs)
{
    for (const TnMethodDef *d = defs; d->name; d++) {
        TnValue f = native_new(st, d, tn_obj(&tn_tensor_type));
        if (IS_UNDEF(f))
            return -1;
        int rc = dict_set_str(st, tn_tensor_type.dict, str_intern(d->name), f);
        tn_decref(f);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Method rows share the function rows' signatures; the binder passes the receiver
 * only to a first parameter named `self`, so rename it ("add(input, ..." ->
 * "add(self, ..."). Builds the Tensor method table once at startup. */
static TnMethodDef *method_table(TnState *st)
{
    size_t n = sizeof tensor_methods / sizeof tensor_methods[0];
    TnMethodDef *defs = tn_malloc(sizeof(TnMethodDef) * n);
    if (!defs)
        return (void)tn_no_memory(st), NULL;
    for (size_t i = 0; i < n; i++) {
        defs[i] = tensor_methods[i];
        const char *sig = defs[i].sig;
        const char *open = sig ? strchr(sig, '(') : NULL;
        if (!open || !strncmp(open + 1, "self", 4))
            continue;
        size_t skip = strcspn(open + 1, ",)");
        size_t len = strlen(sig) + 8;
        char *t = tn_malloc(len);
        if (!t) {
            /* give back the signatures renamed so far (rows before i) */
            for (size_t k = 0; k < i; k++)
                if (defs[k].sig != tensor_methods[k].sig)
                    tn_free((char *)defs[k].sig);
            tn_free(defs);
            return (void)tn_no_memory(st), NULL;
        }
        snprintf(t, len, "%.*sself%s", (int)(open + 1 - sig), sig, open + 1 + skip);
        defs[i].sig = t;
    }
    return defs;
}

/* Names in the torch namespace that are not in torch.__all__, so that
 * `from torch import *` must skip them (else float/int/bool shadow the builtins). */
const char *const tensor_api_private_names[] = {
    "float32", "float", "float64", "double", "int64", "long", "int32", "int", "bool",
    "strided", "sparse_coo", NULL,
};

static int ns_set(TnState *st, TnValue ns, const char *name, TnValue v)
{
    return dict_set_str(st, ns_dict(ns), str_intern(name), v);
}

int tensor_api_init(TnState *st, TnValue torch_ns)
{
    iter_stop_flag = &tn_interrupted; /* long kernels stop on Ctrl-C (iter.h) */
    static TnMethodDef *methods;
    if (!methods && !(methods = method_table(st)))
        return -1;
    tn_tensor_type.methods = methods;
    if (tensor_types_init(st) < 0 || type_ready(st, &tn_tensor_type) < 0 ||
        type_ready(st, &tn_parameter_type) < 0 || ns_add_methods(st, torch_ns, torch_functions) < 0 ||
        random_api_init(st, torch_ns) < 0)
        return -1;
    tensor_api_torch_ns = torch_ns;
    static const struct {
        const char *name;
        TnDType dt;
    } dtypes[] = {{"float32", DT_FLOAT32}, {"float", DT_FLOAT32}, {"float64", DT_FLOAT64},
                  {"double", DT_FLOAT64},  {"int64", DT_INT64},   {"long", DT_INT64},
                  {"int32", DT_INT32},     {"int", DT_INT32},     {"bool", DT_BOOL}};
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (ns_set(st, torch_ns, dtypes[i].name, dtype_value(dtypes[i].dt)) < 0)
            return -1;
    if (ns_set(st, torch_ns, "Tensor", tn_obj(&tn_tensor_type)) < 0 ||
        ns_set(st, torch_ns, "Size", tn_obj(&tn_size_type)) < 0 ||
        ns_set(st, torch_ns, "dtype", tn_obj(&tn_dtype_type)) < 0 ||
        ns_set(st, torch_ns, "device", tn_obj(&tn_device_type)) < 0 ||
        ns_set(st, torch_ns, "strided", layout_value(false)) < 0 ||
        ns_set(st, torch_ns, "sparse_coo", layout_value(true)) < 0 ||
        ns_set(st, torch_ns, "inf", tn_float(INFINITY)) < 0 ||
        ns_set(st, torch_ns, "nan", tn_float(NAN)) < 0)
        return -1;
    tensor_api_linalg_ns = ns_new(st, "torch.linalg");
    tensor_api_sparse_ns = ns_new(st, "torch.sparse");
    if (IS_UNDEF(tensor_api_linalg_ns) || IS_UNDEF(tensor_api_sparse_ns) ||
        ns_set(st, torch_ns, "linalg", tensor_api_linalg_ns) < 0 ||
        ns_set(st, torch_ns, "sparse", tensor_api_sparse_ns) < 0)
        return -1;
    /* the namespace dict holds them; keep borrowed handles for other engineers */
    tn_decref(tensor_api_linalg_ns);
    tn_decref(tensor_api_sparse_ns);
    return 0;
}
