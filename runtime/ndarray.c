/* ndarray.c: numpy.ndarray over a TnTensor view — construction with NumPy's dtype inference,
 * basic and advanced indexing, assignment, arithmetic with NumPy's promotion, and the dtypes. */
#include "ndarray.h"
#include "io.h"
#include "api_args.h"
#include "types.h"
#include <math.h>
#include <string.h>

#define NATIVE(name) static TnValue name(TnState *st, TnValue *a)
#define SELF         AS_NDARRAY(a[0])

/* ================================================================== dtypes */
static const char *const np_names[DT_NTYPES] = {
    [DT_BOOL] = "bool", [DT_INT32] = "int32", [DT_INT64] = "int64",
    [DT_FLOAT32] = "float32", [DT_FLOAT64] = "float64",
};
static const char *const np_descrs[DT_NTYPES] = {
    [DT_BOOL] = "|b1", [DT_INT32] = "<i4", [DT_INT64] = "<i8",
    [DT_FLOAT32] = "<f4", [DT_FLOAT64] = "<f8",
};

static TnNpDType np_dtypes[DT_NTYPES], np_types[DT_NTYPES];

TnValue npdtype_value(TnDType dt)
{
    return tn_obj(&np_dtypes[dt]);
}

TnValue npdtype_type_value(TnDType dt)
{
    return tn_obj(&np_types[dt]);
}

static TnValue npdtype_repr(TnState *st, TnValue self)
{
    TnNpDType *d = (TnNpDType *)AS_OBJ(self);
    if (d->is_type)
        return tn_str_fmt(st, "<class 'numpy.%s%s'>", np_names[d->dt], d->dt == DT_BOOL ? "_" : "");
    return tn_str_fmt(st, "dtype('%s')", np_names[d->dt]);
}

static TnValue npdtype_str(TnState *st, TnValue self)
{
    TnNpDType *d = (TnNpDType *)AS_OBJ(self);
    return d->is_type ? npdtype_repr(st, self) : tn_str(st, np_names[d->dt]);
}

int np_arg_dtype(TnState *st, TnValue v, int *out)
{
    *out = -1;
    if (IS_UNDEF(v) || IS_NONE(v))
        return 0;
    if (IS_TYPEOF(v, &tn_npdtype_type)) {
        *out = (int)((TnNpDType *)AS_OBJ(v))->dt;
        return 0;
    }
    if (IS_DTYPE(v)) {
        *out = (int)AS_DTYPE(v);
        return 0;
    }
    if (IS_TYPE(v) && (AS_TYPE(v) == &tn_float_type || AS_TYPE(v) == &tn_int_type ||
                       AS_TYPE(v) == &tn_bool_type)) {
        *out = AS_TYPE(v) == &tn_float_type ? DT_FLOAT64 : AS_TYPE(v) == &tn_int_type ? DT_INT64 : DT_BOOL;
        return 0;
    }
    if (IS_STR(v)) {
        const char *s = AS_STR(v)->data;
        for (int i = 0; i < DT_NTYPES; i++)
            if (!strcmp(s, np_names[i]) || !strcmp(s, np_descrs[i]) ||
                (s[0] == '=' && !strcmp(s + 1, np_descrs[i] + 1)))
                return *out = i, 0;
        if (!strcmp(s, "float") || !strcmp(s, "f8") || !strcmp(s, "double"))
            return *out = DT_FLOAT64, 0;
        if (!strcmp(s, "int") || !strcmp(s, "i8"))
            return *out = DT_INT64, 0;
        if (!strcmp(s, "f4"))
            return *out = DT_FLOAT32, 0;
        if (!strcmp(s, "?") || !strcmp(s, "bool_"))
            return *out = DT_BOOL, 0;
        return tn_raise_int(st, tn_TypeError, "data type '%s' not understood", s);
    }
    return tn_raise_int(st, tn_TypeError, "Cannot interpret '%s' as a data type", tn_type_name(v));
}

static TnValue npdtype_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (op != CMP_EQ && op != CMP_NE)
        return tn_notimpl();
    int x, y;
    if (np_arg_dtype(st, a, &x) < 0 || np_arg_dtype(st, b, &y) < 0) {
        tn_clear_error(st);
        return tn_bool(op == CMP_NE);
    }
    return tn_bool((x == y) == (op == CMP_EQ));
}

static int npdtype_hash(TnState *st, TnValue self, uint64_t *out)
{
    *out = (uint64_t)((TnNpDType *)AS_OBJ(self))->dt * 1000003u + 17;
    return 0;
}

static TnValue npdtype_get_name(TnState *st, TnValue self)
{
    return tn_str(st, np_names[((TnNpDType *)AS_OBJ(self))->dt]);
}
static TnValue npdtype_get_itemsize(TnState *st, TnValue self)
{
    return tn_int(DT_SIZE(((TnNpDType *)AS_OBJ(self))->dt));
}
static TnValue npdtype_get_str(TnState *st, TnValue self)
{
    return tn_str(st, np_descrs[((TnNpDType *)AS_OBJ(self))->dt]);
}

static const TnGetSetDef npdtype_getset[] = {
    {"name", npdtype_get_name, NULL, NULL},
    {"itemsize", npdtype_get_itemsize, NULL, NULL},
    {"str", npdtype_get_str, NULL, NULL},
    {NULL},
};

/* np.dtype('float32') */
static TnValue npdtype_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    int dt;
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "dtype() takes exactly one argument");
    if (np_arg_dtype(st, args[0], &dt) < 0)
        return tn_undef();
    if (dt < 0)
        return npdtype_value(DT_FLOAT64);
    return npdtype_value((TnDType)dt);
}

TnType tn_npdtype_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dtype",
    .repr = npdtype_repr,
    .str = npdtype_str,
    .richcmp = npdtype_richcmp,
    .hash = npdtype_hash,
    .construct = npdtype_construct,
    .getset = npdtype_getset,
};

/* ============================================================ construction */
static void ndarray_dealloc(TnObject *o)
{
    tn_obj_decref(((TnNdArray *)o)->t);
    tn_free(o);
}

TnValue ndarray_new(TnState *st, TnTensor *t, bool readonly)
{
    if (!t)
        return tn_undef();
    TnNdArray *a = tn_alloc_object(st, &tn_ndarray_type, sizeof(TnNdArray));
    if (!a) {
        tn_obj_decref(t);
        return tn_undef();
    }
    a->t = t;
    a->readonly = readonly;
    return tn_obj(a);
}

static TnValue scalar_new(TnState *st, TnDType dt, const void *p)
{
    if (dt != DT_FLOAT32)
        return dtype_get_value(dt, p);
    TnTensor *t = tensor_scalar(st, dt, tn_float(dtype_get_f(dt, p)));
    TnValue v = ndarray_new(st, t, false);
    if (!IS_UNDEF(v))
        AS_NDARRAY(v)->scalar = true;
    return v;
}

static bool has_negative_stride(const TnTensor *t)
{
    for (int d = 0; d < t->ndim; d++)
        if (t->strides[d] < 0 && t->sizes[d] > 1)
            return true;
    return false;
}

TnTensor *ndarray_tensor(TnState *st, TnNdArray *a)
{
    TnTensor *t = a->t;
    if (!has_negative_stride(t))
        return tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset);
    TnTensor *c = tensor_empty(st, t->dtype, t->ndim, t->sizes);
    if (c)
        io_gather(t, c->storage->data);
    return c;
}

/* NumPy's inference over nested lists: any float makes float64, ints int64, bools bool. */
static int infer(TnState *st, TnValue v, int depth, int *kind)
{
    if (depth > TN_MAX_DIMS + 1)
        return tn_raise_int(st, tn_ValueError, "setting an array element with a sequence");
    if (IS_BOOL(v))
        *kind = *kind > DT_BOOL ? *kind : DT_BOOL;
    else if (IS_INT(v))
        *kind = *kind > DT_INT64 ? *kind : DT_INT64;
    else if (IS_FLOAT(v))
        *kind = DT_FLOAT64;
    else if (IS_NDARRAY(v) || IS_TENSOR(v)) {
        TnDType dt = IS_NDARRAY(v) ? AS_NDARRAY(v)->t->dtype : AS_TENSOR(v)->dtype;
        *kind = *kind > (int)dt ? *kind : (int)dt;
    } else if (IS_LIST(v) || IS_TUPLE(v)) {
        TnValue *items;
        int64_t n;
        tn_seq_items(v, &items, &n);
        for (int64_t i = 0; i < n; i++)
            if (infer(st, items[i], depth + 1, kind) < 0)
                return -1;
    }
    return 0;
}

/* Lists may hold ndarrays: swap them for tensors so tensor_from_data reads them. */
static TnValue unwrap_arrays(TnState *st, TnValue v, int depth)
{
    if (IS_NDARRAY(v)) {
        TnTensor *t = ndarray_tensor(st, AS_NDARRAY(v));
        return t ? tn_obj(t) : tn_undef();
    }
    if ((!IS_LIST(v) && !IS_TUPLE(v)) || depth > TN_MAX_DIMS + 1)
        return tn_ref(v);
    TnValue *items;
    int64_t n;
    tn_seq_items(v, &items, &n);
    TnValue out = list_new(st, n);
    for (int64_t i = 0; !IS_UNDEF(out) && i < n; i++) {
        TnValue x = unwrap_arrays(st, items[i], depth + 1);
        if (IS_UNDEF(x)) {
            tn_decref(out);
            return x;
        }
        tn_decref(AS_LIST(out)->items[i]);
        AS_LIST(out)->items[i] = x;
    }
    return out;
}

TnValue ndarray_from_object(TnState *st, TnValue obj, int dtype, bool copy)
{
    if (IS_NDARRAY(obj) || IS_TENSOR(obj)) {
        TnTensor *src = IS_NDARRAY(obj) ? ndarray_tensor(st, AS_NDARRAY(obj)) : (tn_obj_incref(AS_TENSOR(obj)), AS_TENSOR(obj));
        if (!src)
            return tn_undef();
        TnDType dt = dtype < 0 ? src->dtype : (TnDType)dtype;
        TnTensor *r;
        if (!copy && dt == src->dtype && IS_NDARRAY(obj))
            r = (tn_obj_incref(AS_NDARRAY(obj)->t), AS_NDARRAY(obj)->t);
        else if ((r = tensor_empty(st, dt, src->ndim, src->sizes)) && tensor_copy_(st, r, src) < 0) {
            tn_obj_decref(r);
            r = NULL;
        }
        tn_obj_decref(src);
        return ndarray_new(st, r, false);
    }
    if (IS_RANGE(obj)) { /* np.array(range(n)) holds the range's ints */
        TnValue items = list_from_iterable(st, obj);
        TnValue r = IS_UNDEF(items) ? items : ndarray_from_object(st, items, dtype, copy);
        tn_decref(items);
        return r;
    }
    int kind = -1;
    if (dtype < 0 && infer(st, obj, 0, &kind) < 0)
        return tn_undef();
    if (dtype < 0)
        dtype = kind < 0 ? DT_FLOAT64 : kind; /* np.array([]) is float64 */
    TnValue data = unwrap_arrays(st, obj, 0);
    if (IS_UNDEF(data))
        return data;
    TnTensor *t = tensor_from_data(st, data, dtype);
    tn_decref(data);
    return ndarray_new(st, t, false);
}

/* =============================================================== indexing */
static bool is_advanced(TnValue k)
{
    return IS_NDARRAY(k) || IS_TENSOR(k) || IS_LIST(k) || IS_BOOL(k);
}

/* Basic indexing (ints, slices, None, ...) as a view; *all_int when the result is one element. */
static TnTensor *basic_view(TnState *st, TnTensor *t, const TnValue *keys, int64_t nk, bool *all_int)
{
    int consumed = 0, ell = -1;
    for (int64_t i = 0; i < nk; i++) {
        if (IS_TYPEOF(keys[i], &tn_ellipsis_type)) {
            if (ell >= 0)
                return tn_raise_ptr(st, tn_IndexError, "an index can only have a single ellipsis ('...')");
            ell = (int)i;
        } else if (!IS_NONE(keys[i])) {
            consumed++;
        }
    }
    if (consumed > t->ndim)
        return tn_raise_ptr(st, tn_IndexError,
                            "too many indices for array: array is %d-dimensional, but %d were indexed",
                            t->ndim, consumed);
    int nd = 0, d = 0;
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS], off = t->offset;
    *all_int = ell < 0 && consumed == t->ndim;
    for (int64_t i = 0; i < nk; i++) {
        TnValue k = keys[i];
        if (nd >= TN_MAX_DIMS)
            return tn_raise_ptr(st, tn_IndexError, "too many dimensions");
        if ((int)i == ell) {
            for (int n = t->ndim - consumed; n > 0; n--, d++, nd++) {
                sizes[nd] = t->sizes[d];
                strides[nd] = t->strides[d];
            }
        } else if (IS_NONE(k)) {
            *all_int = false;
            sizes[nd] = 1;
            strides[nd++] = 0;
        } else if (IS_SLICE(k)) {
            int64_t start, stop, step, len;
            if (slice_indices(st, k, t->sizes[d], &start, &stop, &step, &len) < 0)
                return NULL;
            *all_int = false;
            if (len > 0)
                off += start * t->strides[d];
            sizes[nd] = len;
            strides[nd++] = t->strides[d] * step;
            d++;
        } else {
            int64_t ix;
            if (tn_as_index(st, k, &ix, "only integers, slices (`:`), ellipsis (`...`), "
                                        "numpy.newaxis (`None`) and integer or boolean arrays are "
                                        "valid indices") < 0)
                return NULL;
            int64_t n = t->sizes[d];
            if (ix < -n || ix >= n)
                return tn_raise_ptr(st, tn_IndexError,
                                    "index %lld is out of bounds for axis %d with size %lld",
                                    (long long)ix, d, (long long)n);
            off += (ix < 0 ? ix + n : ix) * t->strides[d];
            d++;
        }
    }
    for (; d < t->ndim; d++, nd++) {
        sizes[nd] = t->sizes[d];
        strides[nd] = t->strides[d];
    }
    return tensor_alias(st, t, nd, sizes, strides, off);
}

/* The key as a tensor-runtime key: ndarrays inside become tensors. */
static TnValue tensor_key(TnState *st, TnValue key)
{
    if (IS_NDARRAY(key)) {
        TnTensor *t = ndarray_tensor(st, AS_NDARRAY(key));
        return t ? tn_obj(t) : tn_undef();
    }
    if (!IS_TUPLE(key))
        return tn_ref(key);
    TnValue out = tuple_new(st, AS_TUPLE(key)->n);
    for (int64_t i = 0; !IS_UNDEF(out) && i < AS_TUPLE(key)->n; i++) {
        TnValue k = tensor_key(st, AS_TUPLE(key)->items[i]);
        if (IS_UNDEF(k)) {
            tn_decref(out);
            return k;
        }
        tuple_set(out, i, k);
    }
    return out;
}

static bool key_items(TnValue *key, TnValue **items, int64_t *n)
{
    if (IS_TUPLE(*key)) {
        *items = AS_TUPLE(*key)->items;
        *n = AS_TUPLE(*key)->n;
    } else {
        *items = key;
        *n = 1;
    }
    for (int64_t i = 0; i < *n; i++)
        if (is_advanced((*items)[i]))
            return true;
    return false;
}

static TnValue advanced_get(TnState *st, TnNdArray *a, TnValue key)
{
    TnTensor *t = ndarray_tensor(st, a);
    TnValue k = t ? tensor_key(st, key) : tn_undef();
    TnTensor *r = IS_UNDEF(k) ? NULL : op_getitem(st, t, k);
    tn_decref(k);
    tn_obj_decref(t);
    if (r && r->storage == a->t->storage) { /* advanced indexing always copies in NumPy */
        TnTensor *c = tensor_clone(st, r);
        tn_obj_decref(r);
        r = c;
    }
    return ndarray_new(st, r, false);
}

static TnValue ndarray_getitem(TnState *st, TnValue self, TnValue key)
{
    TnNdArray *a = AS_NDARRAY(self);
    TnValue *items;
    int64_t n;
    if (key_items(&key, &items, &n))
        return advanced_get(st, a, key);
    bool all_int;
    TnTensor *v = basic_view(st, a->t, items, n, &all_int);
    if (!v)
        return tn_undef();
    if (all_int) {
        TnValue r = scalar_new(st, v->dtype, tensor_ptr(v));
        tn_obj_decref(v);
        return r;
    }
    return ndarray_new(st, v, a->readonly);
}

/* ------------------------------------------------------------- assignment */
static void copy_rec(TnTensor *dst, TnTensor *src, int d, char *pd, const char *ps)
{
    if (d == dst->ndim) {
        dtype_set(dst->dtype, pd, dtype_get_value(src->dtype, ps));
        return;
    }
    for (int64_t i = 0; i < dst->sizes[d]; i++)
        copy_rec(dst, src, d + 1, pd + i * dst->strides[d] * DT_SIZE(dst->dtype),
                 ps + i * src->strides[d] * DT_SIZE(src->dtype));
}

/* dst[...] = value with NumPy's casting and broadcasting; dst may have negative strides. */
static int assign(TnState *st, TnTensor *dst, TnValue value)
{
    TnTensor *src;
    if (IS_NDARRAY(value))
        src = ndarray_tensor(st, AS_NDARRAY(value));
    else if (IS_TENSOR(value))
        src = tensor_contiguous(st, AS_TENSOR(value));
    else
        src = tensor_from_data(st, value, dst->dtype);
    if (!src)
        return -1;
    if (src->storage == dst->storage) { /* overlapping views: read everything first */
        TnTensor *c = tensor_clone(st, src);
        tn_obj_decref(src);
        if (!(src = c))
            return -1;
    }
    TnTensor *e = tensor_expand_to(st, src, dst->ndim, dst->sizes);
    tn_obj_decref(src);
    if (!e)
        return -1;
    if (tensor_numel(dst) > 0)
        copy_rec(dst, e, 0, tensor_ptr(dst), tensor_ptr(e));
    tn_obj_decref(e);
    tensor_bump_version(dst);
    return 0;
}

static int ndarray_setitem(TnState *st, TnValue self, TnValue key, TnValue value)
{
    TnNdArray *a = AS_NDARRAY(self);
    if (IS_UNDEF(value))
        return tn_raise_int(st, tn_ValueError, "cannot delete array elements");
    if (a->readonly)
        return tn_raise_int(st, tn_ValueError, "assignment destination is read-only");
    TnValue *items;
    int64_t n;
    if (key_items(&key, &items, &n)) {
        if (has_negative_stride(a->t))
            return tn_raise_int(st, tn_NotImplementedError,
                                "tn: advanced assignment into a view with negative strides");
        TnTensor *t = ndarray_tensor(st, a);
        TnValue k = t ? tensor_key(st, key) : tn_undef();
        TnValue v = IS_NDARRAY(value) ? tn_obj(ndarray_tensor(st, AS_NDARRAY(value))) : tn_ref(value);
        int rc = IS_UNDEF(k) || !AS_OBJ(v) ? -1 : op_setitem(st, t, k, v);
        tn_decref(v);
        tn_decref(k);
        tn_obj_decref(t);
        return rc;
    }
    bool all_int;
    TnTensor *v = basic_view(st, a->t, items, n, &all_int);
    if (!v)
        return -1;
    int rc = assign(st, v, value);
    tn_obj_decref(v);
    return rc;
}

/* ============================================================= arithmetic */
static int kind_of(TnDType dt)
{
    return dt == DT_BOOL ? 0 : DT_IS_INT(dt) ? 1 : 2;
}

/* NumPy 1.x promotion between two array dtypes. */
static TnDType np_promote(TnDType a, TnDType b)
{
    int ka = kind_of(a), kb = kind_of(b);
    if (ka == kb)
        return DT_SIZE(a) >= DT_SIZE(b) ? a : b;
    if (ka == 0 || kb == 0)
        return ka ? a : b;
    return DT_FLOAT64; /* int with float32 or float64 */
}

/* Value-based casting: a Python scalar or 0-d array only lifts the kind. */
static TnDType with_scalar(TnDType arr, int kind)
{
    if (kind <= kind_of(arr))
        return arr;
    return kind == 1 ? DT_INT64 : DT_FLOAT64;
}

typedef struct {
    TnValue v;     /* tensor or Python number */
    bool is_array; /* came from an ndarray or a tensor */
    bool scalar;   /* Python number, NumPy scalar or 0-d array */
    TnDType dt;
} NpOperand;

static int operand(TnState *st, TnValue x, NpOperand *o)
{
    o->v = tn_undef();
    if (IS_NDARRAY(x)) {
        TnTensor *t = ndarray_tensor(st, AS_NDARRAY(x));
        if (!t)
            return -1;
        o->v = tn_obj(t);
        o->is_array = true;
        o->scalar = t->ndim == 0;
        o->dt = t->dtype;
        return 1;
    }
    if (!IS_NUMBER(x))
        return 0;
    o->v = x;
    o->is_array = false;
    o->scalar = true;
    o->dt = IS_BOOL(x) ? DT_BOOL : IS_INT(x) ? DT_INT64 : DT_FLOAT64;
    return 1;
}

static TnDType result_dtype(const NpOperand *x, const NpOperand *y)
{
    if (x->scalar && !y->scalar)
        return with_scalar(y->dt, kind_of(x->dt));
    if (y->scalar && !x->scalar)
        return with_scalar(x->dt, kind_of(y->dt));
    return np_promote(x->dt, y->dt);
}

static int cast_to(TnState *st, NpOperand *o, TnDType dt)
{
    if (!o->is_array || AS_TENSOR(o->v)->dtype == dt)
        return 0;
    TnTensor *c = tensor_to(st, AS_TENSOR(o->v), dt);
    if (!c)
        return -1;
    tn_decref(o->v);
    o->v = tn_obj(c);
    return 0;
}

static void release(NpOperand *o)
{
    if (o->is_array)
        tn_decref(o->v);
}

/* Wraps a tensor result; two scalars give a scalar, as in NumPy. */
static TnValue wrap(TnState *st, TnValue r, bool scalar)
{
    if (IS_UNDEF(r) || !IS_TENSOR(r))
        return r;
    TnTensor *t = AS_TENSOR(r);
    if (scalar && t->ndim == 0) {
        TnValue s = scalar_new(st, t->dtype, tensor_ptr(t));
        tn_decref(r);
        return s;
    }
    return ndarray_new(st, t, false);
}

/* cmp >= 0: a comparison (CMP_*); else the binary operator op. */
static TnValue np_apply(TnState *st, TnValue a, TnValue b, int op, int cmp)
{
    if (IS_TENSOR(a) || IS_TENSOR(b))
        return tn_notimpl(); /* tensor op ndarray: let the tensor side answer */
    NpOperand x = {0}, y = {0};
    int rx = operand(st, a, &x), ry = rx > 0 ? operand(st, b, &y) : 0;
    if (rx <= 0 || ry <= 0) {
        release(&x);
        return rx < 0 || ry < 0 ? tn_undef() : tn_notimpl();
    }
    TnDType dt = result_dtype(&x, &y);
    if (cmp < 0 && op == OP_TRUEDIV && kind_of(dt) < 2)
        dt = DT_FLOAT64;
    TnValue r = tn_undef();
    if (cast_to(st, &x, dt) == 0 && cast_to(st, &y, dt) == 0) {
        if (!x.is_array && !y.is_array)
            r = tn_notimpl();
        else if (cmp >= 0)
            r = tn_compare(st, x.v, y.v, cmp);
        else
            r = tn_binop(st, op, x.v, y.v);
    }
    bool scalar = x.scalar && y.scalar;
    release(&x);
    release(&y);
    return wrap(st, r, scalar);
}

static int check_same_kind(TnState *st, TnValue r, TnDType to, int op)
{
    TnDType from = IS_NDARRAY(r) ? AS_NDARRAY(r)->t->dtype : IS_FLOAT(r) ? DT_FLOAT64 : DT_INT64;
    if (kind_of(from) <= kind_of(to))
        return 0;
    return tn_raise_int(st, tn_TypeError,
                        "Cannot cast ufunc '%s' output from dtype('%s') to dtype('%s') with "
                        "casting rule 'same_kind'",
                        tn_binop_dunders[op] + 2, np_names[from], np_names[to]);
}

static TnValue ndarray_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    TnValue r = np_apply(st, a, b, op, -1);
    if (!inplace || IS_UNDEF(r) || tn_is_notimpl(r) || !IS_NDARRAY(a))
        return r;
    /* a op= b writes into a's memory, casting 'same_kind' */
    TnNdArray *self = AS_NDARRAY(a);
    int rc = self->readonly ? tn_raise_int(st, tn_ValueError, "output array is read-only")
                            : check_same_kind(st, r, self->t->dtype, op);
    if (rc == 0)
        rc = assign(st, self->t, r);
    tn_decref(r);
    return rc < 0 ? tn_undef() : tn_ref(a);
}

static TnValue ndarray_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    return np_apply(st, a, b, 0, op);
}

static TnValue ndarray_unop(TnState *st, int op, TnValue a)
{
    TnTensor *t = ndarray_tensor(st, AS_NDARRAY(a));
    if (!t)
        return tn_undef();
    TnValue r = op == UOP_POS ? tn_obj(tensor_clone(st, t)) : tn_unop(st, op, tn_obj(t));
    tn_obj_decref(t);
    return wrap(st, r, AS_NDARRAY(a)->scalar);
}

static int ndarray_truth(TnState *st, TnValue self)
{
    TnTensor *t = AS_NDARRAY(self)->t;
    if (tensor_numel(t) != 1)
        return tn_raise_int(st, tn_ValueError,
                            "The truth value of an array with more than one element is ambiguous. "
                            "Use a.any() or a.all()");
    return dtype_get_f(t->dtype, tensor_ptr(t)) != 0;
}

/* ================================================================ slots */
static TnValue ndarray_repr(TnState *st, TnValue self)
{
    TnNdArray *a = AS_NDARRAY(self);
    if (a->scalar)
        return np_scalar_repr(st, a->t->dtype, tensor_ptr(a->t));
    return ndarray_format(st, a->t, true);
}

static TnValue ndarray_str(TnState *st, TnValue self)
{
    return ndarray_format(st, AS_NDARRAY(self)->t, false);
}

static int64_t ndarray_len(TnState *st, TnValue self)
{
    TnTensor *t = AS_NDARRAY(self)->t;
    if (t->ndim == 0)
        return tn_raise_int(st, tn_TypeError, "len() of unsized object");
    return t->sizes[0];
}

static TnValue shape_tuple(TnState *st, int n, const int64_t *v, int64_t scale)
{
    TnValue t = tuple_new(st, n);
    for (int i = 0; !IS_UNDEF(t) && i < n; i++)
        tuple_set(t, i, tn_int(v[i] * scale));
    return t;
}

static TnValue get_shape(TnState *st, TnValue self)
{
    TnTensor *t = AS_NDARRAY(self)->t;
    return shape_tuple(st, t->ndim, t->sizes, 1);
}
static TnValue get_strides(TnState *st, TnValue self)
{
    TnTensor *t = AS_NDARRAY(self)->t;
    return shape_tuple(st, t->ndim, t->strides, DT_SIZE(t->dtype));
}
static TnValue get_dtype(TnState *st, TnValue self)
{
    return npdtype_value(AS_NDARRAY(self)->t->dtype);
}
static TnValue get_ndim(TnState *st, TnValue self)
{
    return tn_int(AS_NDARRAY(self)->t->ndim);
}
static TnValue get_size(TnState *st, TnValue self)
{
    return tn_int(tensor_numel(AS_NDARRAY(self)->t));
}
static TnValue get_itemsize(TnState *st, TnValue self)
{
    return tn_int(DT_SIZE(AS_NDARRAY(self)->t->dtype));
}
static TnValue get_nbytes(TnState *st, TnValue self)
{
    TnTensor *t = AS_NDARRAY(self)->t;
    return tn_int(tensor_numel(t) * DT_SIZE(t->dtype));
}

static TnValue transposed(TnState *st, TnNdArray *a)
{
    TnTensor *t = a->t;
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        sizes[d] = t->sizes[t->ndim - 1 - d];
        strides[d] = t->strides[t->ndim - 1 - d];
    }
    return ndarray_new(st, tensor_alias(st, t, t->ndim, sizes, strides, t->offset), a->readonly);
}

static TnValue get_T(TnState *st, TnValue self)
{
    return transposed(st, AS_NDARRAY(self));
}

static const TnGetSetDef ndarray_getset[] = {
    {"shape", get_shape, NULL, NULL},   {"dtype", get_dtype, NULL, NULL},
    {"ndim", get_ndim, NULL, NULL},     {"size", get_size, NULL, NULL},
    {"T", get_T, NULL, NULL},           {"itemsize", get_itemsize, NULL, NULL},
    {"nbytes", get_nbytes, NULL, NULL}, {"strides", get_strides, NULL, NULL},
    {NULL},
};

/* ================================================================ methods */
NATIVE(nd_tolist)
{
    return tensor_tolist(st, SELF->t);
}

NATIVE(nd_item)
{
    TnTensor *t = SELF->t;
    if (tensor_numel(t) != 1)
        return tn_raise(st, tn_ValueError, "can only convert an array of size 1 to a Python scalar");
    int64_t zeros[TN_MAX_DIMS] = {0};
    TnTensor *v = tensor_alias(st, t, 0, zeros, zeros, t->offset);
    if (!v)
        return tn_undef();
    TnValue r = dtype_get_value(v->dtype, tensor_ptr(v));
    tn_obj_decref(v);
    return r;
}

NATIVE(nd_copy)
{
    return ndarray_from_object(st, a[0], -1, true);
}

NATIVE(nd_astype)
{
    int dt;
    if (np_arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    return ndarray_from_object(st, a[0], dt, true);
}

NATIVE(nd_transpose)
{
    return transposed(st, SELF);
}

/* reshape / flatten go through a C-ordered copy when the view is not contiguous. */
static TnValue reshaped(TnState *st, TnNdArray *self, int nd, int64_t *sizes, bool always_copy)
{
    TnTensor *t = ndarray_tensor(st, self);
    if (!t)
        return tn_undef();
    TnTensor *c = always_copy ? tensor_clone(st, t) : tensor_contiguous(st, t);
    tn_obj_decref(t);
    if (!c || op_infer_shape(st, nd, sizes, tensor_numel(c)) < 0) {
        tn_obj_decref(c);
        return tn_undef();
    }
    TnTensor *r = op_view(st, c, nd, sizes);
    tn_obj_decref(c);
    return ndarray_new(st, r, self->readonly && !always_copy);
}

NATIVE(nd_reshape)
{
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    TnValue shape = a[1];
    if (IS_TUPLE(shape) && AS_TUPLE(shape)->n == 1)
        shape = AS_TUPLE(shape)->items[0];
    if (arg_int_list(st, shape, &nd, sizes, TN_MAX_DIMS) < 0)
        return tn_undef();
    return reshaped(st, SELF, nd, sizes, false);
}

NATIVE(nd_flatten)
{
    int64_t n = -1;
    return reshaped(st, SELF, 1, &n, true);
}

NATIVE(nd_fill)
{
    if (SELF->readonly)
        return tn_raise(st, tn_ValueError, "assignment destination is read-only");
    return assign(st, SELF->t, a[1]) < 0 ? tn_undef() : tn_none();
}

static const TnMethodDef ndarray_methods[] = {
    {"tolist", nd_tolist, "tolist(self)", NULL, NULL},
    {"item", nd_item, "item(self)", NULL, NULL},
    {"copy", nd_copy, "copy(self)", NULL, NULL},
    {"astype", nd_astype, "astype(self, dtype)", NULL, NULL},
    {"transpose", nd_transpose, "transpose(self)", NULL, NULL},
    {"reshape", nd_reshape, "reshape(self, *shape)", NULL, NULL},
    {"flatten", nd_flatten, "flatten(self)", NULL, NULL},
    {"fill", nd_fill, "fill(self, value)", NULL, NULL},
    {NULL},
};

static TnValue ndarray_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    return tn_raise(st, tn_TypeError, "tn: create arrays with np.array, np.zeros or np.load");
}

TnType tn_ndarray_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "ndarray",
    .module = "numpy",
    .dealloc = ndarray_dealloc,
    .repr = ndarray_repr,
    .str = ndarray_str,
    .richcmp = ndarray_richcmp,
    .binop = ndarray_binop,
    .unop = ndarray_unop,
    .truth = ndarray_truth,
    .len = ndarray_len,
    .getitem = ndarray_getitem,
    .setitem = ndarray_setitem,
    .construct = ndarray_construct,
    .methods = ndarray_methods,
    .getset = ndarray_getset,
};

int ndarray_init(TnState *st)
{
    for (int i = 0; i < DT_NTYPES; i++) {
        np_dtypes[i] = (TnNpDType){{TN_IMMORTAL, &tn_npdtype_type}, (TnDType)i, false};
        np_types[i] = (TnNpDType){{TN_IMMORTAL, &tn_npdtype_type}, (TnDType)i, true};
    }
    if (type_ready(st, &tn_npdtype_type) < 0 || type_ready(st, &tn_ndarray_type) < 0)
        return -1;
    return 0;
}
