/* tensor_types.c: the small torch objects around tensors: torch.dtype values,
 * torch.Size, torch.device, torch.layout, torch.return_types.* named tuples and
 * the tensor iterator. */
#include "tensor_types.h"
#include "types.h"
#include <string.h>

/* ------------------------------------------------------------------ dtype */
static TnValue dtype_repr(TnState *st, TnValue self)
{
    return tn_str_fmt(st, "torch.%s", tn_dtype_info[((TnDTypeObj *)AS_OBJ(self))->dt].name);
}

static TnValue dtype_is_float(TnState *st, TnValue self)
{
    return tn_bool(DT_IS_FLOAT(((TnDTypeObj *)AS_OBJ(self))->dt));
}
static TnValue dtype_false(TnState *st, TnValue self)
{
    return tn_bool(false);
}
static TnValue dtype_itemsize(TnState *st, TnValue self)
{
    return tn_int(DT_SIZE(((TnDTypeObj *)AS_OBJ(self))->dt));
}
static TnValue dtype_is_signed(TnState *st, TnValue self)
{
    return tn_bool(((TnDTypeObj *)AS_OBJ(self))->dt != DT_BOOL);
}

static const TnGetSetDef dtype_getset[] = {
    {"is_floating_point", dtype_is_float, NULL, NULL},
    {"is_complex", dtype_false, NULL, NULL},
    {"is_signed", dtype_is_signed, NULL, NULL},
    {"itemsize", dtype_itemsize, NULL, NULL},
    {NULL},
};

TnType tn_dtype_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "dtype",
    .module = "torch",
    .repr = dtype_repr,
    .getset = dtype_getset,
};

TnDTypeObj tn_dtype_objs[DT_NTYPES] = {
    {{TN_IMMORTAL, &tn_dtype_type}, DT_BOOL},
    {{TN_IMMORTAL, &tn_dtype_type}, DT_INT32},
    {{TN_IMMORTAL, &tn_dtype_type}, DT_INT64},
    {{TN_IMMORTAL, &tn_dtype_type}, DT_FLOAT32},
    {{TN_IMMORTAL, &tn_dtype_type}, DT_FLOAT64},
};

TnValue dtype_value(TnDType dt)
{
    return tn_obj(&tn_dtype_objs[dt]);
}

/* ----------------------------------------------------------------- device */
static TnValue device_repr(TnState *st, TnValue self)
{
    return tn_str(st, "device(type='cpu')");
}
static TnValue device_str(TnState *st, TnValue self)
{
    return tn_str(st, "cpu");
}
static TnValue device_type_get(TnState *st, TnValue self)
{
    return tn_str(st, "cpu");
}
static TnValue device_index_get(TnState *st, TnValue self)
{
    return tn_none();
}
static const TnGetSetDef device_getset[] = {
    {"type", device_type_get, NULL, NULL},
    {"index", device_index_get, NULL, NULL},
    {NULL},
};

static TnValue device_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                TnStr *const *kwnames, int nkw)
{
    TnValue a = nargs > 0 ? args[0] : nkw > 0 ? args[0] : tn_undef();
    if (IS_OBJ(a) && AS_OBJ(a)->type == &tn_device_type)
        return tn_ref(a);
    if (!IS_STR(a))
        return tn_raise(st, tn_TypeError, "device() received an invalid combination of arguments");
    const char *s = AS_STR(a)->data;
    /* PyTorch makes CUDA device objects even without CUDA; tn has only the CPU one */
    if (!strcmp(s, "cuda") || !strncmp(s, "cuda:", 5))
        return tn_raise(st, tn_RuntimeError, "tn runs on the CPU only: no device '%s'", s);
    if (strcmp(s, "cpu") != 0 && strncmp(s, "cpu:", 4) != 0)
        return tn_raise(st, tn_RuntimeError,
                        "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, ort, xla, lazy, vulkan, mps, meta, hpu, privateuseone device type at start of device string: %s", s);
    return tn_ref(tn_obj(&tn_cpu_device));
}

TnType tn_device_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "device",
    .module = "torch",
    .repr = device_repr,
    .str = device_str,
    .getset = device_getset,
    .construct = device_construct,
};
TnObject tn_cpu_device = {TN_IMMORTAL, &tn_device_type};

/* ----------------------------------------------------------------- layout */
typedef struct {
    TN_OBJECT_HEAD;
    const char *name;
} TnLayout;

static TnValue layout_repr(TnState *st, TnValue self)
{
    return tn_str_fmt(st, "torch.%s", ((TnLayout *)AS_OBJ(self))->name);
}
TnType tn_layout_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "layout",
    .module = "torch",
    .repr = layout_repr,
};
static TnLayout layouts[2] = {
    {{TN_IMMORTAL, &tn_layout_type}, "strided"},
    {{TN_IMMORTAL, &tn_layout_type}, "sparse_coo"},
};
TnValue layout_value(bool sparse)
{
    return tn_obj(&layouts[sparse ? 1 : 0]);
}

/* ------------------------------------------------------------- torch.Size */
/* A tuple (TnTuple layout, base type tuple) of ints. */
TnValue size_new(TnState *st, int nd, const int64_t *sizes)
{
    TnValue t = tuple_new(st, nd);
    if (IS_UNDEF(t))
        return t;
    for (int d = 0; d < nd; d++)
        tuple_set(t, d, tn_int(sizes[d]));
    /* retype the fresh tuple: same layout, torch.Size behaviour */
    AS_OBJ(t)->type = &tn_size_type;
    tn_obj_incref(&tn_size_type);
    tn_obj_decref(&tn_tuple_type);
    return t;
}

static void size_dealloc(TnObject *o)
{
    o->type = &tn_tuple_type;
    tn_obj_incref(&tn_tuple_type);
    tn_tuple_type.dealloc(o);
}

static TnValue size_repr(TnState *st, TnValue self)
{
    TnTuple *t = AS_TUPLE(self);
    TnBuf b = {0};
    bool ok = buf_puts(&b, "torch.Size([");
    for (int64_t i = 0; i < t->n && ok; i++)
        ok = buf_printf(&b, i ? ", %lld" : "%lld", (long long)t->items[i].u.i);
    if (!ok || !buf_puts(&b, "])")) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
}

static bool tuple_like(TnValue v)
{
    return IS_OBJ(v) && (AS_OBJ(v)->type == &tn_tuple_type || AS_OBJ(v)->type == &tn_size_type);
}

static TnValue size_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    if (!tuple_like(a) || !tuple_like(b) || (op != CMP_EQ && op != CMP_NE))
        return tn_notimpl();
    TnTuple *x = AS_TUPLE(a), *y = AS_TUPLE(b);
    bool eq = x->n == y->n;
    for (int64_t i = 0; eq && i < x->n; i++) {
        int r = tn_equal(st, x->items[i], y->items[i]);
        if (r < 0)
            return tn_undef();
        eq = r;
    }
    return tn_bool(op == CMP_EQ ? eq : !eq);
}

static TnValue plain_tuple(TnState *st, TnValue self)
{
    return tuple_from_array(st, AS_TUPLE(self)->items, AS_TUPLE(self)->n);
}

static TnValue size_getitem(TnState *st, TnValue self, TnValue key)
{
    TnTuple *t = AS_TUPLE(self);
    if (IS_SLICE(key)) {
        int64_t start, stop, step, len;
        if (slice_indices(st, key, t->n, &start, &stop, &step, &len) < 0)
            return tn_undef();
        int64_t sz[TN_MAX_DIMS];
        for (int64_t i = 0; i < len && i < TN_MAX_DIMS; i++)
            sz[i] = t->items[start + i * step].u.i;
        return size_new(st, (int)len, sz);
    }
    int64_t i;
    if (tn_as_index(st, key, &i, "tuple indices") < 0)
        return tn_undef();
    if (i < 0)
        i += t->n;
    if (i < 0 || i >= t->n)
        return tn_raise(st, tn_IndexError, "tuple index out of range");
    return t->items[i];
}

static int64_t size_len(TnState *st, TnValue self)
{
    return AS_TUPLE(self)->n;
}

static TnValue size_iter(TnState *st, TnValue self)
{
    TnValue t = plain_tuple(st, self);
    if (IS_UNDEF(t))
        return t;
    TnValue it = tn_iter(st, t);
    tn_decref(t);
    return it;
}

static int size_hash(TnState *st, TnValue self, uint64_t *out)
{
    TnValue t = plain_tuple(st, self);
    if (IS_UNDEF(t))
        return -1;
    int r = tn_hash(st, t, out);
    tn_decref(t);
    return r;
}

static int size_contains(TnState *st, TnValue self, TnValue item)
{
    TnTuple *t = AS_TUPLE(self);
    for (int64_t i = 0; i < t->n; i++) {
        int r = tn_equal(st, t->items[i], item);
        if (r != 0)
            return r;
    }
    return 0;
}

static TnValue size_numel(TnState *st, TnValue *a)
{
    TnTuple *t = AS_TUPLE(a[0]);
    int64_t n = 1;
    for (int64_t i = 0; i < t->n; i++)
        n *= t->items[i].u.i;
    return tn_int(n);
}

static TnValue size_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (op != OP_ADD || !tuple_like(a) || !tuple_like(b))
        return tn_notimpl();
    TnValue ta = plain_tuple(st, a), tb = IS_UNDEF(ta) ? ta : plain_tuple(st, b);
    TnValue r = IS_UNDEF(tb) ? tb : tn_binop(st, OP_ADD, ta, tb);
    tn_decref(ta);
    tn_decref(tb);
    if (IS_UNDEF(r) || AS_OBJ(a)->type != &tn_size_type)
        return r;
    int64_t sz[TN_MAX_DIMS];
    TnTuple *t = AS_TUPLE(r);
    for (int64_t i = 0; i < t->n && i < TN_MAX_DIMS; i++)
        sz[i] = t->items[i].u.i;
    TnValue s = size_new(st, (int)(t->n < TN_MAX_DIMS ? t->n : TN_MAX_DIMS), sz);
    tn_decref(r);
    return s;
}

/* torch.Size(iterable=()): ints (or one-element integer tensors) only. */
static TnValue size_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw)
{
    TnValue t = tn_tuple_type.construct(st, &tn_tuple_type, args, nargs, kwnames, nkw);
    if (IS_UNDEF(t))
        return t;
    TnTuple *tu = AS_TUPLE(t);
    int64_t sz[TN_MAX_DIMS];
    TnValue r = tn_undef();
    if (tu->n > TN_MAX_DIMS) {
        r = tn_raise(st, tn_RuntimeError, "tn supports at most %d dimensions", TN_MAX_DIMS);
        goto done;
    }
    for (int64_t i = 0; i < tu->n; i++) {
        TnValue v = tu->items[i];
        if (IS_TENSOR(v) && !DT_IS_FLOAT(AS_TENSOR(v)->dtype) && tensor_numel(AS_TENSOR(v)) == 1)
            v = tensor_get_flat(AS_TENSOR(v), 0);
        if (!IS_INTLIKE(v)) {
            r = tn_raise(st, tn_TypeError,
                         "torch.Size() takes an iterable of 'int' (item %lld is '%s')",
                         (long long)i, tn_type_name(v));
            goto done;
        }
        sz[i] = v.u.i;
    }
    r = size_new(st, (int)tu->n, sz);
done:
    tn_decref(t);
    return r;
}

static const TnMethodDef size_methods[] = {
    {"numel", size_numel, "numel(self)", NULL, NULL},
    {NULL},
};

TnType tn_size_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "Size",
    .module = "torch",
    .base = &tn_tuple_type,
    .dealloc = size_dealloc,
    .traverse = tuple_traverse, /* a retyped tuple, tracked as one */
    .repr = size_repr,
    .hash = size_hash,
    .richcmp = size_richcmp,
    .binop = size_binop,
    .getitem = size_getitem,
    .len = size_len,
    .iter = size_iter,
    .contains = size_contains,
    .methods = size_methods,
    .construct = size_construct,
};

/* ---------------------------------------------------- return_types.* */
static void ret_dealloc(TnObject *o)
{
    TnRetTuple *r = (TnRetTuple *)o;
    tn_decref(r->values);
    tn_decref(r->indices);
    tn_free_object(o);
}

static void ret_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnRetTuple *r = (TnRetTuple *)o;
    tn_visit(r->values, visit, arg);
    tn_visit(r->indices, visit, arg);
}

static TnValue ret_repr(TnState *st, TnValue self)
{
    TnRetTuple *r = (TnRetTuple *)AS_OBJ(self);
    TnValue v = tn_repr(st, r->values);
    TnValue i = IS_UNDEF(v) ? v : tn_repr(st, r->indices);
    TnValue s = IS_UNDEF(i) ? i
                            : tn_str_fmt(st, "torch.return_types.%s(\nvalues=%s,\nindices=%s)",
                                         AS_OBJ(self)->type->name, AS_STR(v)->data,
                                         AS_STR(i)->data);
    tn_decref(v);
    tn_decref(i);
    return s;
}

static TnValue ret_getitem(TnState *st, TnValue self, TnValue key)
{
    TnRetTuple *r = (TnRetTuple *)AS_OBJ(self);
    if (IS_SLICE(key)) {
        TnValue t = tuple_pack(st, 2, r->values, r->indices);
        TnValue s = IS_UNDEF(t) ? t : tn_getitem(st, t, key);
        tn_decref(t);
        return s;
    }
    int64_t i;
    if (tn_as_index(st, key, &i, "tuple indices") < 0)
        return tn_undef();
    if (i < 0)
        i += 2;
    if (i < 0 || i > 1)
        return tn_raise(st, tn_IndexError, "tuple index out of range");
    return tn_ref(i == 0 ? r->values : r->indices);
}

static int64_t ret_len(TnState *st, TnValue self)
{
    return 2;
}

static TnValue ret_iter(TnState *st, TnValue self)
{
    TnRetTuple *r = (TnRetTuple *)AS_OBJ(self);
    TnValue t = tuple_pack(st, 2, r->values, r->indices);
    if (IS_UNDEF(t))
        return t;
    TnValue it = tn_iter(st, t);
    tn_decref(t);
    return it;
}

static TnValue ret_values(TnState *st, TnValue self)
{
    return tn_ref(((TnRetTuple *)AS_OBJ(self))->values);
}
static TnValue ret_indices(TnState *st, TnValue self)
{
    return tn_ref(((TnRetTuple *)AS_OBJ(self))->indices);
}
static const TnGetSetDef ret_getset[] = {
    {"values", ret_values, NULL, NULL},
    {"indices", ret_indices, NULL, NULL},
    {NULL},
};

#define RET_TYPE(n)                                                                           \
    TnType tn_ret_##n##_type = {                                                              \
        .head = {TN_IMMORTAL, &tn_type_type},                                                 \
        .name = #n,                                                                           \
        .module = "torch.return_types",                                                       \
        .dealloc = ret_dealloc,                                                               \
        .traverse = ret_traverse,                                                             \
        .repr = ret_repr,                                                                     \
        .getitem = ret_getitem,                                                               \
        .len = ret_len,                                                                       \
        .iter = ret_iter,                                                                     \
        .getset = ret_getset,                                                                 \
    };
TN_RETURN_TYPES(RET_TYPE)

TnValue ret_tuple_new(TnState *st, TnType *type, TnTensor *values, TnTensor *indices)
{
    TnRetTuple *r = tn_alloc_object(st, type, sizeof(TnRetTuple));
    if (!r) {
        tn_obj_decref(values);
        tn_obj_decref(indices);
        return tn_undef();
    }
    r->values = tn_obj(values);
    r->indices = tn_obj(indices);
    return tn_obj(r);
}

/* ------------------------------------------------------------ iteration */
typedef struct {
    TN_OBJECT_HEAD;
    TnTensor *t;
    int64_t i;
} TnTensorIter;

static void titer_dealloc(TnObject *o)
{
    tn_obj_decref(((TnTensorIter *)o)->t);
    tn_free_object(o);
}

static void titer_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((TnTensorIter *)o)->t, visit, arg);
}

static TnValue titer_iter(TnState *st, TnValue self)
{
    return tn_ref(self);
}

static TnValue titer_next(TnState *st, TnValue self)
{
    TnTensorIter *it = (TnTensorIter *)AS_OBJ(self);
    if (it->i >= it->t->sizes[0])
        return tn_undef();
    TnTensor *r = op_select(st, it->t, 0, it->i++);
    return r ? tn_obj(r) : tn_undef();
}

TnType tn_tensor_iter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "tuple_iterator",
    .dealloc = titer_dealloc,
    .traverse = titer_traverse,
    .iter = titer_iter,
    .next = titer_next,
};

TnValue tensor_iter_new(TnState *st, TnTensor *t)
{
    if (t->ndim == 0)
        return tn_raise(st, tn_TypeError, "iteration over a 0-d tensor");
    TnTensorIter *it = tn_alloc_object(st, &tn_tensor_iter_type, sizeof(TnTensorIter));
    if (!it)
        return tn_undef();
    it->t = t;
    tn_obj_incref(t);
    return tn_obj(it);
}

int tensor_types_init(TnState *st)
{
    TnType *types[] = {&tn_dtype_type, &tn_device_type, &tn_layout_type, &tn_size_type,
                       &tn_tensor_iter_type,
#define X(n) &tn_ret_##n##_type,
                       TN_RETURN_TYPES(X)
#undef X
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (type_ready(st, types[i]) < 0)
            return -1;
    return 0;
}
