/* tensor_data.c: tensors from nested Python data (torch.tensor) and back (tolist). */
#include "tensor.h"
#include <string.h>

static bool is_seq(TnValue v)
{
    return IS_LIST(v) || IS_TUPLE(v);
}

/* Shape from the first element at every nesting level. */
static int infer_shape(TnState *st, TnValue v, int *nd, int64_t *shape, int torch)
{
    *nd = 0;
    while (is_seq(v)) {
        TnValue *items;
        int64_t n;
        tn_seq_items(v, &items, &n);
        if (*nd >= TN_MAX_DIMS)
            return tn_raise_int(st, tn_ValueError, "too many dimensions");
        shape[(*nd)++] = n;
        if (n == 0)
            break;
        v = items[0];
    }
    if (IS_TENSOR(v) && !torch) {
        TnTensor *t = AS_TENSOR(v);
        for (int d = 0; d < t->ndim; d++) {
            if (*nd >= TN_MAX_DIMS)
                return tn_raise_int(st, tn_ValueError, "too many dimensions");
            shape[(*nd)++] = t->sizes[d];
        }
    }
    return 0;
}

/* How nested data is read: NumPy's way (a tensor item's dims extend the shape), or PyTorch's
 * (a tensor item is one scalar), inferring the dtype or given it. */
enum { READ_NUMPY, READ_TORCH, READ_TORCH_INFER };

/* Checks the nesting against shape and finds the widest scalar kind. */
static int scan(TnState *st, TnValue v, int d, int nd, const int64_t *shape, int *kind, int torch)
{
    bool other = !IS_NUMBER(v) && !IS_TENSOR(v) && !is_seq(v) && !IS_STR(v);
    if (torch == READ_TORCH_INFER && d == nd && other)
        return tn_raise_int(st, tn_RuntimeError, "Could not infer dtype of %s", tn_type_name(v));
    if (torch && d == nd && (is_seq(v) || other))
        return 0; /* PyTorch fails on these only when storing them (see store_torch) */
    if (d == nd) {
        if (IS_BOOL(v)) {
            *kind = *kind > DT_BOOL ? *kind : DT_BOOL;
        } else if (IS_INT(v)) {
            *kind = *kind > DT_INT64 ? *kind : DT_INT64;
        } else if (IS_FLOAT(v)) {
            *kind = *kind > DT_DEFAULT ? *kind : DT_DEFAULT;
        } else if (IS_TENSOR(v)) {
            TnTensor *t = AS_TENSOR(v);
            if (t->ndim != 0 && !torch)
                return tn_raise_int(st, tn_ValueError,
                                    "only one element tensors can be converted to Python scalars");
            *kind = *kind > (int)t->dtype ? *kind : (int)t->dtype;
        } else if (is_seq(v)) {
            return tn_raise_int(st, tn_ValueError, "expected sequence of length %lld at dim %d (got %lld)",
                                (long long)0, d, (long long)1);
        } else {
            return tn_raise_int(st, tn_TypeError, "new(): invalid data type '%s'",
                                tn_type_name(v));
        }
        return 0;
    }
    if (IS_TENSOR(v)) {
        TnTensor *t = AS_TENSOR(v);
        if (t->ndim != nd - d)
            return tn_raise_int(st, tn_ValueError,
                                "only one element tensors can be converted to Python scalars");
        *kind = *kind > (int)t->dtype ? *kind : (int)t->dtype;
        return 0;
    }
    if (!is_seq(v) && torch)
        return tn_raise_int(st, tn_TypeError, "not a sequence");
    if (!is_seq(v))
        return tn_raise_int(st, tn_ValueError, "expected sequence of length %lld at dim %d (got %s)",
                            (long long)shape[d], d, tn_type_name(v));
    TnValue *items;
    int64_t n;
    tn_seq_items(v, &items, &n);
    if (n != shape[d])
        return tn_raise_int(st, tn_ValueError, "expected sequence of length %lld at dim %d (got %lld)",
                            (long long)shape[d], d, (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (scan(st, items[i], d + 1, nd, shape, kind, torch) < 0)
            return -1;
    return 0;
}

/* One item stored as PyTorch's torch.tensor stores it: an int target reads it with __index__
 * (so only one-element integer tensors), a float target with __float__, and an integer
 * target refuses values out of its range. */
static int store_torch(TnState *st, TnValue v, TnDType dt, char *p)
{
    bool to_int = dt == DT_INT32 || dt == DT_INT64 || dt == DT_BOOL;
    if (IS_TENSOR(v)) {
        TnTensor *t = AS_TENSOR(v);
        if (to_int && (tensor_numel(t) != 1 || DT_IS_FLOAT(t->dtype)))
            return tn_raise_int(st, tn_TypeError,
                                "only integer tensors of a single element can be converted to an "
                                "index");
        if (tensor_numel(t) != 1)
            return tn_raise_int(st, tn_ValueError,
                                "only one element tensors can be converted to Python scalars");
        v = tensor_get_flat(t, 0);
    } else if (!IS_NUMBER(v)) {
        return to_int ? tn_raise_int(st, tn_TypeError,
                                     "'%s' object cannot be interpreted as an integer",
                                     tn_type_name(v))
                      : tn_raise_int(st, tn_TypeError, "must be real number, not %s",
                                     tn_type_name(v));
    }
    if (dt == DT_INT32 || dt == DT_INT64) {
        double lo = dt == DT_INT32 ? -2147483648.0 : -9223372036854775808.0;
        double hi = dt == DT_INT32 ? 2147483647.0 : 9223372036854775807.0;
        bool bad = IS_FLOAT(v) ? !(v.u.f >= lo && v.u.f <= hi)
                               : dt == DT_INT32 && (v.u.i < INT32_MIN || v.u.i > INT32_MAX);
        if (bad)
            return tn_raise_int(st, tn_RuntimeError,
                                "value cannot be converted to type %s without overflow",
                                dt == DT_INT32 ? "int32" : "int64");
    }
    dtype_set(dt, p, v);
    return 0;
}

static int fill(TnState *st, TnValue v, int d, int nd, TnTensor *out, char **p, int torch)
{
    int es = DT_SIZE(out->dtype);
    if (torch && d == nd) {
        if (store_torch(st, v, out->dtype, *p) < 0)
            return -1;
        *p += es;
        return 0;
    }
    if (IS_TENSOR(v)) {
        TnTensor *t = AS_TENSOR(v);
        int64_t n = tensor_numel(t);
        for (int64_t i = 0; i < n; i++, *p += es)
            dtype_set(out->dtype, *p, tensor_get_flat(t, i));
        return 0;
    }
    if (d == nd) {
        dtype_set(out->dtype, *p, v);
        *p += es;
        return 0;
    }
    TnValue *items;
    int64_t n;
    tn_seq_items(v, &items, &n);
    for (int64_t i = 0; i < n; i++)
        if (fill(st, items[i], d + 1, nd, out, p, torch) < 0)
            return -1;
    return 0;
}

static TnTensor *from_data(TnState *st, TnValue data, int dtype, int torch)
{
    if (IS_TENSOR(data)) {
        TnTensor *t = AS_TENSOR(data);
        return dtype >= 0 && (TnDType)dtype != t->dtype ? tensor_to(st, t, (TnDType)dtype)
                                                        : tensor_clone(st, t);
    }
    TnValue seq = data;
    bool made = false;
    if (torch && (IS_DICT(data) || IS_SET(data) || !strcmp(tn_type_name(data), "generator") ||
                  IS_NONE(data)))
        return tn_raise_ptr(st, tn_RuntimeError, "Could not infer dtype of %s",
                            tn_type_name(data));
    if (IS_OBJ(data) && !is_seq(data) && !IS_STR(data) && tn_type_of(data)->iter) {
        seq = list_from_iterable(st, data);
        if (IS_UNDEF(seq))
            return NULL;
        made = true;
    }
    int nd;
    int64_t shape[TN_MAX_DIMS];
    int kind = -1;
    TnTensor *out = NULL;
    if (infer_shape(st, seq, &nd, shape, torch) < 0 ||
        scan(st, seq, 0, nd, shape, &kind, torch) < 0)
        goto done;
    TnDType dt = dtype >= 0 ? (TnDType)dtype : kind < 0 ? DT_DEFAULT : (TnDType)kind;
    out = tensor_empty(st, dt, nd, shape);
    char *p = out ? tensor_ptr(out) : NULL;
    if (out && fill(st, seq, 0, nd, out, &p, torch) < 0) {
        tn_obj_decref(out);
        out = NULL;
    }
done:
    if (made)
        tn_decref(seq);
    return out;
}

TnTensor *tensor_from_data(TnState *st, TnValue data, int dtype)
{
    return from_data(st, data, dtype, READ_NUMPY);
}

TnTensor *tensor_from_py(TnState *st, TnValue data, int dtype)
{
    return from_data(st, data, dtype, dtype < 0 ? READ_TORCH_INFER : READ_TORCH);
}

static TnValue tolist_rec(TnState *st, const TnTensor *t, int d, int64_t off)
{
    if (d == t->ndim)
        return dtype_get_value(t->dtype, (char *)t->storage->data + off * DT_SIZE(t->dtype));
    int64_t n = t->sizes[d];
    TnValue l = list_new(st, n);
    if (IS_UNDEF(l))
        return l;
    for (int64_t i = 0; i < n; i++) {
        TnValue item = tolist_rec(st, t, d + 1, off + i * t->strides[d]);
        if (IS_UNDEF(item)) {
            tn_decref(l);
            return item;
        }
        AS_LIST(l)->items[i] = item; /* list_new filled None: nothing to release */
    }
    return l;
}

TnValue tensor_tolist(TnState *st, TnTensor *t)
{
    return tolist_rec(st, t, 0, t->offset);
}
