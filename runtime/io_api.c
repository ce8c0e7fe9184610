/* io_api.c: torch.save/load/from_numpy, Tensor.numpy, and the numpy, safetensors and
 * safetensors.torch namespaces, bound from signature tables. */
#include "api_args.h"
#include "io.h"
#include "ndarray.h"
#include "types.h"
#include <math.h>
#include <string.h>

#define NATIVE(name) static TnValue name(TnState *st, TnValue *a)

static int arg_path(TnState *st, TnValue v, const char *fn, const char **out)
{
    if (!IS_STR(v))
        return tn_raise_int(st, tn_TypeError, "%s: expected a file path (str), got %s", fn,
                            tn_type_name(v));
    *out = AS_STR(v)->data;
    return 0;
}

static TnValue load_file(TnState *st, TnValue path, const char *fn,
                         TnValue (*loader)(TnState *, const uint8_t *, size_t))
{
    const char *p = NULL;
    uint8_t *data;
    size_t len;
    if (arg_path(st, path, fn, &p) < 0 || io_read_file(st, p, &data, &len) < 0)
        return tn_undef();
    TnValue r = loader(st, data, len);
    tn_free(data);
    return r;
}

/* ================================================================== torch */
NATIVE(api_save)
{
    const char *p = NULL;
    if (arg_path(st, a[1], "torch.save", &p) < 0 || pt_save(st, a[0], p) < 0)
        return tn_undef();
    return tn_none();
}

NATIVE(api_load)
{
    return load_file(st, a[0], "torch.load", pt_load_buffer);
}

NATIVE(api_from_numpy)
{
    if (!IS_NDARRAY(a[0]) || AS_NDARRAY(a[0])->scalar)
        return tn_raise(st, tn_TypeError, "expected np.ndarray (got %s)",
                        IS_NDARRAY(a[0]) ? "numpy.float32" : tn_type_name(a[0]));
    TnTensor *t = AS_NDARRAY(a[0])->t;
    for (int d = 0; d < t->ndim; d++)
        if (t->strides[d] < 0)
            return tn_raise(st, tn_ValueError,
                            "At least one stride in the given numpy array is negative, and "
                            "tensors with negative strides are not currently supported. (You can "
                            "probably work around this by making a copy of your array  with "
                            "array.copy().) ");
    return ret_t(tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset));
}

NATIVE(Tensor_numpy)
{
    TnTensor *t = AS_TENSOR(a[0]);
    if (t->requires_grad)
        return tn_raise(st, tn_RuntimeError, "Can't call numpy() on Tensor that requires grad. "
                                             "Use tensor.detach().numpy() instead.");
    if (t->sp_indices)
        return tn_raise(st, tn_TypeError, "can't convert sparse tensor to numpy: use "
                                          "Tensor.to_dense() first.");
    return ndarray_new(st, tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset), false);
}

static const TnMethodDef torch_io_functions[] = {
    {"save", api_save,
     "save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True)",
     NULL, "Saves an object to a file in PyTorch's zip format."},
    {"load", api_load,
     "load(f, map_location=None, pickle_module=None, *, weights_only=False, mmap=None)", NULL,
     "Loads tensors and containers saved by torch.save; never runs code from the file."},
    {"from_numpy", api_from_numpy, "from_numpy(ndarray)", NULL,
     "A tensor sharing the ndarray's memory."},
    {NULL},
};

static const TnMethodDef tensor_io_methods[] = {
    {"numpy", Tensor_numpy, "numpy(self, *, force=False)", NULL,
     "An ndarray sharing the tensor's memory."},
    {NULL},
};

/* torch.tensor(ndarray) copies the array keeping its dtype: the original torch.tensor
 * reads tensors that way, so the array goes in as a tensor alias. */
static TnValue original_tensor_fn;

static TnValue api_tensor_np(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                             int nkw)
{
    if (nargs < 1 || !IS_NDARRAY(args[0]))
        return tn_call(st, original_tensor_fn, args, nargs, kwnames, nkw);
    TnValue local[16];
    if (nargs + nkw > 16)
        return tn_raise(st, tn_TypeError, "tensor(): too many arguments");
    memcpy(local, args, sizeof(TnValue) * (size_t)(nargs + nkw));
    TnTensor *t = ndarray_tensor(st, AS_NDARRAY(args[0]));
    if (!t)
        return tn_undef();
    local[0] = tn_obj(t);
    TnValue r = tn_call(st, original_tensor_fn, local, nargs, kwnames, nkw);
    tn_obj_decref(t);
    return r;
}

static const TnMethodDef tensor_fn_def = {"tensor", NULL, NULL, api_tensor_np,
                                          "torch.tensor(data, dtype=None, requires_grad=False)"};

static int wrap_torch_tensor(TnState *st, TnValue torch_ns)
{
    TnValue orig = dict_get_str(ns_dict(torch_ns), str_intern("tensor"));
    if (IS_UNDEF(orig))
        return 0;
    original_tensor_fn = tn_ref(orig);
    TnValue f = native_new(st, &tensor_fn_def, torch_ns);
    if (IS_UNDEF(f))
        return -1;
    int rc = dict_set_str(st, ns_dict(torch_ns), str_intern("tensor"), f);
    tn_decref(f);
    return rc;
}

/* ================================================================== numpy */
NATIVE(np_array)
{
    int dt;
    bool copy = true;
    if (np_arg_dtype(st, a[1], &dt) < 0 || (!IS_UNDEF(a[2]) && arg_bool(st, a[2], &copy) < 0))
        return tn_undef();
    return ndarray_from_object(st, a[0], dt, copy);
}

NATIVE(np_asarray)
{
    int dt;
    if (np_arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    if (IS_NDARRAY(a[0]) && !AS_NDARRAY(a[0])->scalar && (dt < 0 || dt == (int)AS_NDARRAY(a[0])->t->dtype))
        return tn_ref(a[0]);
    return ndarray_from_object(st, a[0], dt, false);
}

static TnValue np_filled(TnState *st, TnValue *a, int fill)
{
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (arg_int_list(st, a[0], &nd, sizes, TN_MAX_DIMS) < 0 || np_arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    TnDType d = dt < 0 ? DT_FLOAT64 : (TnDType)dt;
    return ndarray_new(st, tensor_full(st, d, nd, sizes, tn_int(fill)), false);
}

NATIVE(np_zeros)
{
    return np_filled(st, a, 0);
}
NATIVE(np_ones)
{
    return np_filled(st, a, 1);
}

NATIVE(np_arange)
{
    TnValue start = a[0], stop = a[1], step = a[2];
    if (IS_UNDEF(stop) || IS_NONE(stop)) {
        stop = start;
        start = tn_int(0);
    }
    if (IS_UNDEF(step) || IS_NONE(step))
        step = tn_int(1);
    if (!IS_NUMBER(start) || !IS_NUMBER(stop) || !IS_NUMBER(step))
        return tn_raise(st, tn_TypeError, "arange() arguments must be numbers");
    int dt;
    if (np_arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    bool fl = IS_FLOAT(start) || IS_FLOAT(stop) || IS_FLOAT(step);
    TnDType d = dt >= 0 ? (TnDType)dt : fl ? DT_FLOAT64 : DT_INT64;
    double s = tn_num_as_double(start), e = tn_num_as_double(stop), k = tn_num_as_double(step);
    if (k == 0)
        return tn_raise(st, tn_ZeroDivisionError, "division by zero");
    double cnt = ceil((e - s) / k);
    int64_t n = cnt > 0 ? (int64_t)cnt : 0;
    if (cnt > 1e12)
        return tn_raise(st, tn_ValueError, "Maximum allowed size exceeded");
    TnTensor *t = tensor_empty(st, d, 1, &n);
    for (int64_t i = 0; t && i < n; i++) {
        char *p = tensor_ptr(t) + i * DT_SIZE(d);
        if (fl || DT_IS_FLOAT(d))
            dtype_set(d, p, tn_float(s + (double)i * k));
        else
            dtype_set(d, p, tn_int(AS_INT(start) + i * AS_INT(step)));
    }
    return ndarray_new(st, t, false);
}

static TnValue npy_loader(TnState *st, const uint8_t *buf, size_t len)
{
    return ndarray_new(st, npy_load_buffer(st, buf, len), false);
}

/* mmap_mode: the array lives in the mapping; 'r' arrays are read-only. Files whose
 * data cannot be used in place (byte-swapped, unaligned, odd bools) are copied. */
static TnValue np_load_mmap(TnState *st, const char *path, const char *mode)
{
    bool shared = !strcmp(mode, "r+");
    if (strcmp(mode, "r") && strcmp(mode, "c") && !shared)
        return tn_raise(st, tn_ValueError, "mode must be one of ['r', 'c', 'r+'] for np.load, not '%s'",
                        mode);
    uint8_t *base;
    size_t len;
    TnValue owner = io_map_file(st, path, shared, &base, &len);
    if (IS_UNDEF(owner))
        return owner;
    NpyHeader h;
    TnValue r = tn_undef();
    if (npy_parse_header(st, base, len, &h) == 0) {
        bool in_place = !h.big_endian && h.data_offset % (size_t)DT_SIZE(h.dtype) == 0;
        for (size_t i = 0; in_place && h.dtype == DT_BOOL && i < h.nbytes; i++)
            in_place = base[h.data_offset + i] <= 1;
        if (in_place)
            r = ndarray_new(st, npy_tensor_over(st, &h, base, owner), !strcmp(mode, "r"));
        else
            r = npy_loader(st, base, len);
    }
    tn_decref(owner);
    return r;
}

NATIVE(np_load)
{
    const char *p = NULL;
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
        if (!IS_STR(a[1]))
            return tn_raise(st, tn_TypeError, "mmap_mode must be a str or None");
        if (arg_path(st, a[0], "np.load", &p) < 0)
            return tn_undef();
        return np_load_mmap(st, p, AS_STR(a[1])->data);
    }
    return load_file(st, a[0], "np.load", npy_loader);
}

NATIVE(np_save)
{
    const char *p = NULL;
    if (arg_path(st, a[0], "np.save", &p) < 0)
        return tn_undef();
    TnValue arr = IS_NDARRAY(a[1]) ? tn_ref(a[1]) : ndarray_from_object(st, a[1], -1, false);
    if (IS_UNDEF(arr))
        return arr;
    TnBuf out = {0}, path = {0};
    size_t n = strlen(p);
    bool ok = buf_puts(&path, p) && (n >= 4 && !strcmp(p + n - 4, ".npy") ? true : buf_puts(&path, ".npy"));
    int rc = ok ? npy_encode(st, AS_NDARRAY(arr)->t, &out) : (tn_no_memory(st), -1);
    if (rc == 0)
        rc = io_write_atomic(st, path.p, out.p, out.n);
    buf_free(&out);
    buf_free(&path);
    tn_decref(arr);
    return rc < 0 ? tn_undef() : tn_none();
}

static const TnMethodDef numpy_functions[] = {
    {"array", np_array, "array(object, dtype=None, *, copy=?)", NULL, "numpy.array"},
    {"asarray", np_asarray, "asarray(a, dtype=None)", NULL, "numpy.asarray"},
    {"zeros", np_zeros, "zeros(shape, dtype=None)", NULL, "numpy.zeros"},
    {"ones", np_ones, "ones(shape, dtype=None)", NULL, "numpy.ones"},
    {"empty", np_zeros, "empty(shape, dtype=None)", NULL, "numpy.empty (zero-filled in tn)"},
    {"arange", np_arange, "arange(start, stop=None, step=None, dtype=None)", NULL, "numpy.arange"},
    {"load", np_load, "load(file, mmap_mode=None, allow_pickle=False)", NULL,
     "Loads a .npy file (optionally memory-mapped)."},
    {"save", np_save, "save(file, arr, allow_pickle=True)", NULL,
     "Saves an array to a .npy file, byte-compatible with NumPy."},
    {NULL},
};

static int ns_set(TnState *st, TnValue ns, const char *name, TnValue v)
{
    return dict_set_str(st, ns_dict(ns), str_intern(name), v);
}

static TnValue numpy_namespace(TnState *st)
{
    TnValue np = ns_new(st, "numpy");
    if (IS_UNDEF(np) || ns_add_methods(st, np, numpy_functions) < 0)
        goto fail;
    static const struct {
        const char *name;
        TnDType dt;
    } types[] = {{"float32", DT_FLOAT32}, {"float64", DT_FLOAT64}, {"double", DT_FLOAT64},
                 {"int64", DT_INT64},     {"int32", DT_INT32},     {"bool_", DT_BOOL}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (ns_set(st, np, types[i].name, npdtype_type_value(types[i].dt)) < 0)
            goto fail;
    if (ns_set(st, np, "ndarray", tn_obj(&tn_ndarray_type)) < 0 ||
        ns_set(st, np, "dtype", tn_obj(&tn_npdtype_type)) < 0 ||
        ns_set(st, np, "pi", tn_float(3.141592653589793)) < 0 ||
        ns_set(st, np, "e", tn_float(2.718281828459045)) < 0 ||
        ns_set(st, np, "inf", tn_float(__builtin_inf())) < 0 ||
        ns_set(st, np, "nan", tn_float(__builtin_nan(""))) < 0)
        goto fail;
    return np;
fail:
    tn_decref(np);
    return tn_undef();
}

/* ============================================================ safetensors */
NATIVE(st_save_file)
{
    const char *p = NULL;
    if (arg_path(st, a[1], "save_file", &p) < 0 || st_save(st, a[0], a[2], p) < 0)
        return tn_undef();
    return tn_none();
}

NATIVE(st_load_file)
{
    return load_file(st, a[0], "load_file", st_load_buffer);
}

static const TnMethodDef safetensors_functions[] = {
    {"save_file", st_save_file, "save_file(tensors, filename, metadata=None)", NULL,
     "Saves a dict of tensors in the safetensors format."},
    {"load_file", st_load_file, "load_file(filename, device='cpu')", NULL,
     "Loads a safetensors file as a dict of tensors."},
    {NULL},
};

static int add_module(TnState *st, const char *name, TnValue ns)
{
    return dict_set_str(st, st->modules, str_intern(name), ns);
}

static int safetensors_modules(TnState *st)
{
    TnValue top = ns_new(st, "safetensors");
    TnValue sub = IS_UNDEF(top) ? tn_undef() : ns_new(st, "safetensors.torch");
    int rc = -1;
    if (!IS_UNDEF(sub) && ns_add_methods(st, sub, safetensors_functions) == 0 &&
        ns_set(st, top, "torch", sub) == 0 && add_module(st, "safetensors", top) == 0 &&
        add_module(st, "safetensors.torch", sub) == 0)
        rc = 0;
    tn_decref(sub);
    tn_decref(top);
    return rc;
}

int io_api_init(TnState *st, TnValue torch_ns)
{
    if (ndarray_init(st) < 0 || ns_add_methods(st, torch_ns, torch_io_functions) < 0 ||
        tensor_api_add_methods(st, tensor_io_methods) < 0 || wrap_torch_tensor(st, torch_ns) < 0)
        return -1;
    TnValue np = numpy_namespace(st);
    if (IS_UNDEF(np))
        return -1;
    int rc = add_module(st, "numpy", np);
    tn_decref(np);
    if (rc < 0)
        return -1;
    return safetensors_modules(st);
}
