/* api_args.c: argument conversion for the tensor bindings. */
#include "api_args.h"

TnTensor *arg_tensor(TnState *st, TnValue v, const char *fn, const char *name)
{
    if (IS_TENSOR(v))
        return AS_TENSOR(v);
    return tn_raise_ptr(st, tn_TypeError, "%s(): argument '%s' must be Tensor, not %s", fn, name,
                        tn_type_name(v));
}

int arg_operand(TnState *st, TnValue v, TnOperand *o, const char *fn, const char *name)
{
    o->t = NULL;
    o->s = tn_undef();
    if (IS_TENSOR(v)) {
        o->t = AS_TENSOR(v);
        return 0;
    }
    if (IS_NUMBER(v)) {
        o->s = v;
        return 0;
    }
    return tn_raise_int(st, tn_TypeError, "%s(): argument '%s' must be Tensor or Number, not %s",
                        fn, name, tn_type_name(v));
}

int arg_opt_operand(TnState *st, TnValue v, TnOperand *o, const char *fn, const char *name)
{
    if (IS_UNDEF(v) || IS_NONE(v)) {
        o->t = NULL;
        o->s = tn_undef();
        return 0;
    }
    return arg_operand(st, v, o, fn, name);
}

int arg_int(TnState *st, TnValue v, int64_t *out, const char *what)
{
    if (IS_INT(v) || IS_BOOL(v)) {
        *out = v.u.i;
        return 0;
    }
    return tn_as_index(st, v, out, what);
}

int arg_bool(TnState *st, TnValue v, bool *out)
{
    if (IS_UNDEF(v) || IS_NONE(v)) {
        *out = false;
        return 0;
    }
    int r = tn_truthy(st, v);
    if (r < 0)
        return -1;
    *out = r;
    return 0;
}

int arg_double(TnState *st, TnValue v, double *out)
{
    if (IS_NUMBER(v)) {
        *out = tn_num_as_double(v);
        return 0;
    }
    return tn_as_double(st, v, out, "argument");
}

int arg_dtype(TnState *st, TnValue v, int *out)
{
    if (IS_UNDEF(v) || IS_NONE(v)) {
        *out = -1;
        return 0;
    }
    if (IS_DTYPE(v)) {
        *out = AS_DTYPE(v);
        return 0;
    }
    if (IS_TYPE(v)) {
        TnType *t = AS_TYPE(v);
        if (t == &tn_float_type)
            *out = DT_FLOAT64;
        else if (t == &tn_int_type)
            *out = DT_INT64;
        else if (t == &tn_bool_type)
            *out = DT_BOOL;
        else
            goto bad;
        return 0;
    }
bad:
    return tn_raise_int(st, tn_TypeError, "argument 'dtype' must be torch.dtype, not %s",
                        tn_type_name(v));
}

int arg_int_list(TnState *st, TnValue v, int *n, int64_t *out, int max)
{
    if (IS_INTLIKE(v)) {
        *n = 1;
        out[0] = v.u.i;
        return 0;
    }
    if (IS_TENSOR(v)) {
        TnTensor *t = AS_TENSOR(v);
        int64_t k = tensor_numel(t);
        if (k > max)
            return tn_raise_int(st, tn_ValueError, "too many values");
        for (int64_t i = 0; i < k; i++) {
            TnValue e = tensor_get_flat(t, i);
            out[i] = IS_FLOAT(e) ? (int64_t)e.u.f : e.u.i;
        }
        *n = (int)k;
        return 0;
    }
    TnValue *items;
    int64_t k;
    TnValue tmp = tn_undef();
    if (IS_OBJ(v) && AS_OBJ(v)->type == &tn_size_type) {
        items = AS_TUPLE(v)->items;
        k = AS_TUPLE(v)->n;
    } else if (!tn_seq_items(v, &items, &k)) {
        return tn_raise_int(st, tn_TypeError,
                            "argument must be tuple of ints, not %s", tn_type_name(v));
    }
    if (k > max)
        return tn_raise_int(st, tn_ValueError, "too many values (%lld)", (long long)k);
    for (int64_t i = 0; i < k; i++)
        if (arg_int(st, items[i], &out[i], "tuple of ints") < 0) {
            tn_decref(tmp);
            return -1;
        }
    *n = (int)k;
    return 0;
}

int arg_sizes(TnState *st, TnValue args, int *nd, int64_t *sizes)
{
    TnValue *items;
    int64_t n;
    if (!tn_seq_items(args, &items, &n))
        return arg_int_list(st, args, nd, sizes, TN_MAX_DIMS);
    if (n == 1 && !IS_INTLIKE(items[0]))
        return arg_int_list(st, items[0], nd, sizes, TN_MAX_DIMS);
    if (n > TN_MAX_DIMS)
        return tn_raise_int(st, tn_RuntimeError, "too many dimensions (%lld)", (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (arg_int(st, items[i], &sizes[i], "size") < 0)
            return -1;
    *nd = (int)n;
    return 0;
}

/* Items of a size sequence (tuple, list, torch.Size); false for anything else. */
static bool size_items(TnValue v, TnValue **items, int64_t *n)
{
    if (IS_OBJ(v) && AS_OBJ(v)->type == &tn_size_type) {
        *items = AS_TUPLE(v)->items;
        *n = AS_TUPLE(v)->n;
        return true;
    }
    return (IS_LIST(v) || IS_TUPLE(v)) && tn_seq_items(v, items, n);
}

bool arg_is_int_seq(TnValue v)
{
    TnValue *items;
    int64_t n;
    if (!size_items(v, &items, &n))
        return false;
    for (int64_t j = 0; j < n; j++)
        if (!IS_INTLIKE(items[j]) && !IS_TENSOR(items[j]))
            return false;
    return true;
}

int arg_sizes_for(TnState *st, TnValue args, int *nd, int64_t *sizes, const char *fn,
                  const char *arg, const char *kind)
{
    TnValue *items, *its;
    int64_t n, k;
    if (tn_seq_items(args, &items, &n)) {
        its = items;
        k = n;
        if (n == 1 && !IS_INTLIKE(items[0]) && !IS_TENSOR(items[0]) &&
            !size_items(items[0], &its, &k))
            return tn_raise_int(st, tn_TypeError,
                                "%s(): argument '%s' (position 1) must be tuple of %s, not %s", fn,
                                arg, kind, tn_type_name(items[0]));
        for (int64_t j = 0; j < k; j++)
            if (!IS_INTLIKE(its[j]) && !IS_TENSOR(its[j]))
                return tn_raise_int(st, tn_TypeError,
                                    "%s(): argument '%s' must be tuple of %s, but found element of "
                                    "type %s at pos %lld",
                                    fn, arg, kind, tn_type_name(its[j]), (long long)j + 1);
    }
    return arg_sizes(st, args, nd, sizes);
}

int arg_dim_mask(TnState *st, TnValue dim, int ndim, uint32_t *mask)
{
    if (IS_UNDEF(dim) || IS_NONE(dim)) {
        *mask = 0xffffffffu;
        return 0;
    }
    int64_t dims[TN_MAX_DIMS];
    int n;
    if (arg_int_list(st, dim, &n, dims, TN_MAX_DIMS) < 0)
        return -1;
    if (n == 0 && !IS_INTLIKE(dim)) {
        *mask = 0xffffffffu;
        return 0;
    }
    uint32_t m = 0;
    for (int i = 0; i < n; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], ndim, &d) < 0)
            return -1;
        if (m >> d & 1)
            return tn_raise_int(st, tn_RuntimeError,
                                "dim %d appears multiple times in the list of dims", d);
        m |= 1u << d;
    }
    *mask = ndim == 0 ? 0xffffffffu : m;
    return 0;
}

TnTensor **arg_tensor_list(TnState *st, TnValue v, int64_t *n, const char *fn)
{
    TnValue *items;
    if (!tn_seq_items(v, &items, n))
        return tn_raise_ptr(st, tn_TypeError,
                            "%s(): argument 'tensors' (position 1) must be tuple of Tensors, not %s",
                            fn, tn_type_name(v));
    TnTensor **ts = tn_malloc(sizeof(TnTensor *) * (size_t)(*n ? *n : 1));
    if (!ts)
        return (void)tn_no_memory(st), NULL;
    for (int64_t i = 0; i < *n; i++) {
        if (!IS_TENSOR(items[i])) {
            tn_free(ts);
            return tn_raise_ptr(st, tn_TypeError,
                                "expected Tensor as element %lld in argument 0, but got %s",
                                (long long)i, tn_type_name(items[i]));
        }
        ts[i] = AS_TENSOR(items[i]);
    }
    return ts;
}

int set_requires_grad(TnState *st, TnTensor *t, TnValue rg)
{
    bool b;
    if (arg_bool(st, rg, &b) < 0)
        return -1;
    if (b && !DT_IS_FLOAT(t->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "Only Tensors of floating point and complex dtype can require "
                            "gradients");
    t->requires_grad = b;
    return 0;
}

TnValue api_finish_new(TnState *st, TnTensor *t, TnValue rg)
{
    if (!t)
        return tn_undef();
    if (!IS_UNDEF(rg) && set_requires_grad(st, t, rg) < 0) {
        tn_obj_decref(t);
        return tn_undef();
    }
    return tn_obj(t);
}

TnValue tensors_to_tuple(TnState *st, TnTensor **ts, int64_t n)
{
    if (!ts)
        return tn_undef();
    TnValue t = tuple_new(st, n);
    if (IS_UNDEF(t)) {
        op_free_list(ts, n);
        return t;
    }
    for (int64_t i = 0; i < n; i++)
        AS_TUPLE(t)->items[i] = tn_obj(ts[i]);
    tn_free(ts);
    return t;
}
