/* sparse.c: COO sparse tensors — construction, to_dense/to_sparse, coalesce, sparse @ dense
 * and sparse + sparse. */
#include "linalg.h"
#include <stdlib.h>
#include <string.h>

static int64_t nnz_of(const TnTensor *s)
{
    return s->sp_values->sizes[0];
}

static int sparse_dim_of(const TnTensor *s)
{
    return s->sp_indices->ndim == 2 ? (int)s->sp_indices->sizes[0] : 0;
}

/* Elements per value slice (the product of the dense dims). */
static int64_t dense_numel(const TnTensor *s)
{
    int64_t n = 1;
    for (int d = 1; d < s->sp_values->ndim; d++)
        n *= s->sp_values->sizes[d];
    return n;
}

TnTensor *sparse_new(TnState *st, TnTensor *indices, TnTensor *values, int ndim,
                     const int64_t *sizes, bool coalesced)
{
    int64_t zero[TN_MAX_DIMS] = {0};
    TnTensor *base = tensor_zeros(st, values->dtype, 0, NULL);
    TnTensor *t = base ? tensor_alias(st, base, ndim, sizes, zero, 0) : NULL;
    tn_obj_decref(base);
    if (!t) return NULL;
    tn_obj_incref(indices);
    tn_obj_incref(values);
    t->sp_indices = indices;
    t->sp_values = values;
    /* PyTorch marks a tensor with at most one entry coalesced on construction */
    t->sp_coalesced = coalesced || values->sizes[0] <= 1;
    return t;
}

/* s.transpose(a, b) of two sparse dims (a != b, both wrapped): the index rows swap, the
 * values are shared, as PyTorch does it (the result is not marked coalesced). */
TnTensor *sparse_transpose(TnState *st, TnTensor *s, int a, int b)
{
    int sd = sparse_dim_of(s);
    if (a >= sd || b >= sd)
        return tn_raise_ptr(st, tn_NotImplementedError,
                            "transpose of the dense dims of a sparse tensor is not supported");
    TnTensor *ind = tensor_clone(st, s->sp_indices);
    if (!ind)
        return NULL;
    int64_t nnz = nnz_of(s), *p = (int64_t *)tensor_ptr(ind);
    for (int64_t k = 0; k < nnz; k++) {
        int64_t x = p[a * nnz + k];
        p[a * nnz + k] = p[b * nnz + k];
        p[b * nnz + k] = x;
    }
    int64_t sizes[TN_MAX_DIMS];
    memcpy(sizes, s->sizes, sizeof(int64_t) * (size_t)s->ndim);
    sizes[a] = s->sizes[b];
    sizes[b] = s->sizes[a];
    TnTensor *r = sparse_new(st, ind, s->sp_values, s->ndim, sizes, false);
    tn_obj_decref(ind);
    return r;
}

/* Index entry (d, k) of a contiguous int64 (sparse_dim, nnz) tensor. */
static int64_t idx_at(const TnTensor *ind, int64_t nnz, int d, int64_t k)
{
    return ((const int64_t *)tensor_ptr(ind))[d * nnz + k];
}

/* Row-major position of entry k over the sparse dims. */
static int64_t linear_index(const TnTensor *ind, int64_t nnz, int sd, const int64_t *sizes,
                            int64_t k)
{
    int64_t lin = 0;
    for (int d = 0; d < sd; d++)
        lin = lin * sizes[d] + idx_at(ind, nnz, d, k);
    return lin;
}

/* ------------------------------------------------------------ construction */
static int check_indices(TnState *st, const TnTensor *ind, int64_t nnz, int sd,
                         const int64_t *sizes)
{
    for (int d = 0; d < sd; d++)
        for (int64_t k = 0; k < nnz; k++) {
            int64_t v = idx_at(ind, nnz, d, k);
            if (v < 0)
                return tn_raise_int(st, tn_RuntimeError, "found negative index %lld for dim %d",
                                    (long long)v, d);
            if (sizes && v >= sizes[d])
                return tn_raise_int(st, tn_RuntimeError,
                                    "size is inconsistent with indices: for dim %d, size is %lld "
                                    "but found index %lld",
                                    d, (long long)sizes[d], (long long)v);
        }
    return 0;
}

/* The size of a sparse tensor whose size was not given: max index + 1, then the
 * values' dense dims. */
static int infer_size(const TnTensor *ind, const TnTensor *vals, int sd, int64_t *sizes)
{
    int64_t nnz = vals->sizes[0];
    for (int d = 0; d < sd; d++) {
        sizes[d] = 0;
        for (int64_t k = 0; k < nnz; k++)
            if (idx_at(ind, nnz, d, k) + 1 > sizes[d]) sizes[d] = idx_at(ind, nnz, d, k) + 1;
    }
    for (int d = 1; d < vals->ndim; d++)
        sizes[sd + d - 1] = vals->sizes[d];
    return sd + vals->ndim - 1;
}

static int check_coo_shapes(TnState *st, const TnTensor *ind, const TnTensor *vals, int ndim,
                            const int64_t *sizes)
{
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    if (ind->ndim != 2)
        return tn_raise_int(st, tn_RuntimeError, "indices must be sparse_dim x nnz, but got: %s",
                            shape_str(b1, ind->ndim, ind->sizes));
    if (vals->ndim < 1 || ind->sizes[1] != vals->sizes[0])
        return tn_raise_int(st, tn_RuntimeError,
                            "indices and values must have same nnz, but got nnz from indices: "
                            "%lld, nnz from values: %lld",
                            (long long)ind->sizes[1], (long long)(vals->ndim ? vals->sizes[0] : 1));
    int64_t sd = ind->sizes[0], dd = vals->ndim - 1;
    if (sd + dd > TN_MAX_DIMS)
        return tn_raise_int(st, tn_RuntimeError, "tn supports at most %d dimensions", TN_MAX_DIMS);
    if (sizes && ndim != sd + dd)
        return tn_raise_int(st, tn_RuntimeError,
                            "number of dimensions must be sparse_dim (%d) + dense_dim (%d), but "
                            "got %d",
                            (int)sd, (int)dd, ndim);
    if (sizes && dd > 0 && memcmp(sizes + sd, vals->sizes + 1, sizeof(int64_t) * (size_t)dd)) {
        int64_t want[TN_MAX_DIMS + 1];
        want[0] = vals->sizes[0];
        memcpy(want + 1, sizes + sd, sizeof(int64_t) * (size_t)dd);
        return tn_raise_int(st, tn_RuntimeError, "values has incorrect size, expected %s, got %s",
                            shape_str(b1, (int)dd + 1, want),
                            shape_str(b2, vals->ndim, vals->sizes));
    }
    return 0;
}

TnTensor *sparse_coo_tensor(TnState *st, TnTensor *indices, TnTensor *values, int ndim,
                            const int64_t *sizes)
{
    if (check_coo_shapes(st, indices, values, ndim, sizes) < 0) return NULL;
    TnTensor *ind = tensor_to(st, indices, DT_INT64);
    TnTensor *ic = ind ? tensor_clone(st, ind) : NULL;
    TnTensor *vc = ic ? tensor_clone(st, values) : NULL;
    tn_obj_decref(ind);
    TnTensor *r = NULL;
    int sd = ic ? (int)ic->sizes[0] : 0;
    int64_t inferred[TN_MAX_DIMS];
    int64_t numel;
    if (vc && check_indices(st, ic, vc->sizes[0], sd, sizes) == 0 &&
        (!sizes || tensor_check_sizes(st, ndim, sizes, &numel) == 0)) {
        if (!sizes) ndim = infer_size(ic, vc, sd, inferred);
        r = sparse_new(st, ic, vc, ndim, sizes ? sizes : inferred, false);
    }
    tn_obj_decref(ic);
    tn_obj_decref(vc);
    return r;
}

/* ---------------------------------------------------------- to_sparse / dense */
static bool slice_nonzero(TnDType dt, const char *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (dtype_get_f(dt, p + i * DT_SIZE(dt)) != 0) return true;
    return false;
}

/* Fills indices (sd, nnz) and values for the nonzero slices of contiguous c. */
static void gather_nonzero(const TnTensor *c, int sd, int64_t rows, int64_t slice, TnTensor *ind,
                           TnTensor *vals)
{
    int es = DT_SIZE(c->dtype);
    int64_t nnz = vals->sizes[0], k = 0;
    const char *src = tensor_ptr(c);
    for (int64_t r = 0; r < rows; r++) {
        const char *p = src + r * slice * es;
        if (!slice_nonzero(c->dtype, p, slice)) continue;
        int64_t rem = r;
        for (int d = sd - 1; d >= 0; d--) {
            ((int64_t *)tensor_ptr(ind))[d * nnz + k] = rem % c->sizes[d];
            rem /= c->sizes[d];
        }
        memcpy(tensor_ptr(vals) + k * slice * es, p, (size_t)(slice * es));
        k++;
    }
}

TnTensor *sparse_from_dense(TnState *st, TnTensor *t, int64_t sparse_dim)
{
    if (tensor_is_sparse(t))
        return tn_raise_ptr(st, tn_NotImplementedError,
                            "Could not run 'aten::to_sparse' with arguments from the 'SparseCPU' "
                            "backend. This could be because the operator doesn't exist for this "
                            "backend, or was omitted during the selective/custom build process "
                            "(if using custom build).");
    if (sparse_dim > t->ndim)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "sparse_dim must be less than or equal to self.dim()");
    if (sparse_dim <= 0 && t->ndim > 0)
        return tn_raise_ptr(st, tn_RuntimeError, "sparse_dim must be >0 if dimensionality > 0");
    int sd = (int)sparse_dim;
    int64_t rows = 1, slice = 1, nnz = 0;
    for (int d = 0; d < t->ndim; d++)
        *(d < sd ? &rows : &slice) *= t->sizes[d];
    TnTensor *c = tensor_contiguous(st, t);
    if (!c) return NULL;
    for (int64_t r = 0; r < rows; r++)
        nnz += slice_nonzero(c->dtype, tensor_ptr(c) + r * slice * DT_SIZE(c->dtype), slice);
    int64_t isz[2] = {sd, nnz}, vsz[TN_MAX_DIMS];
    vsz[0] = nnz;
    memcpy(vsz + 1, t->sizes + sd, sizeof(int64_t) * (size_t)(t->ndim - sd));
    TnTensor *ind = tensor_empty(st, DT_INT64, 2, isz);
    TnTensor *vals = ind ? tensor_empty(st, t->dtype, 1 + t->ndim - sd, vsz) : NULL;
    TnTensor *r = NULL;
    if (vals) {
        gather_nonzero(c, sd, rows, slice, ind, vals);
        r = sparse_new(st, ind, vals, t->ndim, t->sizes, true);
    }
    tn_obj_decref(c);
    tn_obj_decref(ind);
    tn_obj_decref(vals);
    return r;
}

/* dst[i] += src[i] for n elements of dtype dt (bool: or). */
static void add_slice(TnDType dt, char *dst, const char *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        switch (dt) {
        case DT_BOOL: ((bool *)dst)[i] |= ((const bool *)src)[i]; break;
        case DT_INT32: ((int32_t *)dst)[i] += ((const int32_t *)src)[i]; break;
        case DT_INT64: ((int64_t *)dst)[i] += ((const int64_t *)src)[i]; break;
        case DT_FLOAT32: ((float *)dst)[i] += ((const float *)src)[i]; break;
        default: ((double *)dst)[i] += ((const double *)src)[i]; break;
        }
}

TnTensor *sparse_to_dense(TnState *st, TnTensor *s)
{
    if (!tensor_is_sparse(s)) return (tn_obj_incref(s), s);
    TnTensor *out = tensor_zeros(st, s->dtype, s->ndim, s->sizes);
    TnTensor *vals = out ? tensor_contiguous(st, s->sp_values) : NULL;
    if (!vals) {
        tn_obj_decref(out);
        return NULL;
    }
    int64_t nnz = nnz_of(s), slice = dense_numel(s);
    int sd = sparse_dim_of(s), es = DT_SIZE(s->dtype);
    for (int64_t k = 0; k < nnz && slice > 0; k++) {
        int64_t lin = linear_index(s->sp_indices, nnz, sd, s->sizes, k);
        add_slice(s->dtype, tensor_ptr(out) + lin * slice * es, tensor_ptr(vals) + k * slice * es,
                  slice);
    }
    tn_obj_decref(vals);
    return out;
}

/* ------------------------------------------------------------------- coalesce */
typedef struct {
    int64_t key, pos;
} KeyPos;

static int keypos_cmp(const void *a, const void *b)
{
    const KeyPos *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Entries sorted by position, and how many distinct positions there are. */
static KeyPos *sorted_entries(TnState *st, const TnTensor *s, int64_t *ndistinct)
{
    int64_t nnz = nnz_of(s);
    KeyPos *kp = tn_malloc(sizeof(KeyPos) * (size_t)(nnz > 0 ? nnz : 1));
    if (!kp) {
        tn_no_memory(st);
        return NULL;
    }
    for (int64_t k = 0; k < nnz; k++) {
        kp[k].key = linear_index(s->sp_indices, nnz, sparse_dim_of(s), s->sizes, k);
        kp[k].pos = k;
    }
    qsort(kp, (size_t)nnz, sizeof(KeyPos), keypos_cmp);
    *ndistinct = 0;
    for (int64_t k = 0; k < nnz; k++)
        *ndistinct += k == 0 || kp[k].key != kp[k - 1].key;
    return kp;
}

/* Writes the merged entries of s into ind/vals (already sized). */
static void merge_entries(const TnTensor *s, const KeyPos *kp, const TnTensor *vals_in,
                          TnTensor *ind, TnTensor *vals)
{
    int64_t nnz = nnz_of(s), out_n = vals->sizes[0], slice = dense_numel(s), j = -1;
    int sd = sparse_dim_of(s), es = DT_SIZE(s->dtype);
    for (int64_t k = 0; k < nnz; k++) {
        const char *src = tensor_ptr(vals_in) + kp[k].pos * slice * es;
        char *dst;
        if (k == 0 || kp[k].key != kp[k - 1].key) {
            j++;
            for (int d = 0; d < sd; d++)
                ((int64_t *)tensor_ptr(ind))[d * out_n + j] =
                    idx_at(s->sp_indices, nnz, d, kp[k].pos);
            dst = tensor_ptr(vals) + j * slice * es;
            memcpy(dst, src, (size_t)(slice * es));
        } else {
            dst = tensor_ptr(vals) + j * slice * es;
            add_slice(s->dtype, dst, src, slice);
        }
    }
}

TnTensor *sparse_coalesce(TnState *st, TnTensor *s)
{
    if (s->sp_coalesced) return (tn_obj_incref(s), s);
    int64_t n;
    KeyPos *kp = sorted_entries(st, s, &n);
    if (!kp) return NULL;
    int64_t isz[2] = {sparse_dim_of(s), n}, vsz[TN_MAX_DIMS];
    memcpy(vsz, s->sp_values->sizes, sizeof(int64_t) * (size_t)s->sp_values->ndim);
    vsz[0] = n;
    TnTensor *vin = tensor_contiguous(st, s->sp_values);
    TnTensor *ind = vin ? tensor_empty(st, DT_INT64, 2, isz) : NULL;
    TnTensor *vals = ind ? tensor_empty(st, s->dtype, s->sp_values->ndim, vsz) : NULL;
    TnTensor *r = NULL;
    if (vals) {
        merge_entries(s, kp, vin, ind, vals);
        r = sparse_new(st, ind, vals, s->ndim, s->sizes, true);
    }
    tn_free(kp);
    tn_obj_decref(vin);
    tn_obj_decref(ind);
    tn_obj_decref(vals);
    return r;
}

/* ---------------------------------------------------------------- products */
static int mm_checks(TnState *st, TnTensor *s, TnTensor *d, bool sparse_result)
{
    const char *fn = sparse_result ? "sspaddmm" : "addmm";
    if (!sparse_result && (s->ndim < 2 || d->ndim < 2)) {
        /* PyTorch's sparse.mm reads size(-2) of the sparse and size(1) of the dense operand */
        TnTensor *t = s->ndim < 2 ? s : d;
        int n = t->ndim > 0 ? t->ndim : 1;
        return tn_raise_int(st, tn_IndexError,
                            "Dimension out of range (expected to be in range of [%d, %d], but got "
                            "%d)",
                            -n, n - 1, s->ndim < 2 ? -2 : 1);
    }
    if (s->ndim != 2 || sparse_dim_of(s) != 2)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: Argument #2: matrices expected, got %dD tensor", fn, s->ndim);
    if (d->ndim != 2)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: Argument #3: matrices expected, got %dD tensor", fn, d->ndim);
    if (d->sizes[0] != s->sizes[1])
        return tn_raise_int(
            st, tn_RuntimeError, "%s: Argument #3%s: Expected dim 0 size %lld, got %lld", fn,
            sparse_result ? "" : " (dense)", (long long)s->sizes[1], (long long)d->sizes[0]);
    if (s->dtype != d->dtype)
        return tn_raise_int(st, tn_RuntimeError, "expected scalar type %s but found %s",
                            tn_dtype_info[s->dtype].cname, tn_dtype_info[d->dtype].cname);
    if (s->dtype == DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError,
                            "\"addmm_sparse_dense\" not implemented for 'Bool'");
    return 0;
}

/* out[i, :] += v * d[k, :] over every entry (i, k, v): duplicates add up. */
#define SPMM_LOOP(T)                                                                               \
    for (int64_t e = 0; e < nnz; e++) {                                                            \
        int64_t i = idx_at(ind, nnz, 0, e), kk = idx_at(ind, nnz, 1, e);                           \
        T v = ((const T *)tensor_ptr(vals))[e];                                                    \
        T *o = (T *)tensor_ptr(out) + i * n;                                                       \
        const T *row = (const T *)tensor_ptr(dc) + kk * n;                                         \
        for (int64_t j = 0; j < n; j++)                                                            \
            o[j] += v * row[j];                                                                    \
    }

static void spmm(const TnTensor *ind, const TnTensor *vals, const TnTensor *dc, TnTensor *out)
{
    int64_t nnz = vals->sizes[0], n = out->sizes[1];
    switch (out->dtype) {
    case DT_FLOAT32: SPMM_LOOP(float) break;
    case DT_FLOAT64: SPMM_LOOP(double) break;
    case DT_INT32: SPMM_LOOP(int32_t) break;
    default: SPMM_LOOP(int64_t) break;
    }
}

/* smm's result: every column of each row that has an entry, in row order. */
static TnTensor *rows_to_sparse(TnState *st, TnTensor *s, TnTensor *dense)
{
    int64_t m = dense->sizes[0], n = dense->sizes[1], nnz = nnz_of(s), nrows = 0;
    bool *has = tn_calloc((size_t)(m > 0 ? m : 1), 1);
    if (!has) return tn_no_memory(st), NULL;
    for (int64_t e = 0; e < nnz; e++)
        has[idx_at(s->sp_indices, nnz, 0, e)] = true;
    for (int64_t i = 0; i < m; i++)
        nrows += has[i];
    int64_t isz[2] = {2, nrows * n}, vsz[1] = {nrows * n};
    TnTensor *ind = tensor_empty(st, DT_INT64, 2, isz);
    TnTensor *vals = ind ? tensor_empty(st, dense->dtype, 1, vsz) : NULL;
    TnTensor *r = NULL;
    if (vals) {
        int64_t k = 0, es = DT_SIZE(dense->dtype), tot = nrows * n;
        for (int64_t i = 0; i < m; i++) {
            if (!has[i]) continue;
            memcpy(tensor_ptr(vals) + k * es, tensor_ptr(dense) + i * n * es, (size_t)(n * es));
            for (int64_t j = 0; j < n; j++, k++) {
                ((int64_t *)tensor_ptr(ind))[k] = i;
                ((int64_t *)tensor_ptr(ind))[tot + k] = j;
            }
        }
        r = sparse_new(st, ind, vals, 2, dense->sizes, false);
    }
    tn_free(has);
    tn_obj_decref(ind);
    tn_obj_decref(vals);
    return r;
}

TnTensor *sparse_mm(TnState *st, TnTensor *s, TnTensor *d, bool sparse_result)
{
    if (tensor_is_sparse(d)) {
        /* sparse @ sparse: through dense, the result sparse again */
        TnTensor *dd = sparse_to_dense(st, d);
        TnTensor *p = dd ? sparse_mm(st, s, dd, false) : NULL;
        tn_obj_decref(dd);
        TnTensor *r = p ? sparse_from_dense(st, p, 2) : NULL;
        tn_obj_decref(p);
        return r;
    }
    if (mm_checks(st, s, d, sparse_result) < 0) return NULL;
    int64_t shape[2] = {s->sizes[0], d->sizes[1]};
    TnTensor *dc = tensor_contiguous(st, d);
    TnTensor *vals = dc ? tensor_contiguous(st, s->sp_values) : NULL;
    TnTensor *out = vals ? tensor_zeros(st, s->dtype, 2, shape) : NULL;
    if (out) spmm(s->sp_indices, vals, dc, out);
    tn_obj_decref(dc);
    tn_obj_decref(vals);
    if (!out || !sparse_result) return out;
    TnTensor *r = rows_to_sparse(st, s, out);
    tn_obj_decref(out);
    return r;
}

/* ---------------------------------------------------------------- addition */
/* Lexicographic order of entry i of a against entry j of b: 1 if a's comes first. */
static int entry_cmp(const TnTensor *a, int64_t i, const TnTensor *b, int64_t j, int sd)
{
    int64_t na = nnz_of(a), nb = nnz_of(b);
    for (int d = 0; d < sd; d++) {
        int64_t x = idx_at(a->sp_indices, na, d, i), y = idx_at(b->sp_indices, nb, d, j);
        if (x != y) return x < y ? 1 : -1;
    }
    return 0;
}

/* Walks both entry lists as PyTorch's merge does, assuming each is sorted (it does
 * not check): returns the merged count, and fills ind/vals when they are given. */
static int64_t merge_add(const TnTensor *a, const TnTensor *va, const TnTensor *b,
                         const TnTensor *vb, TnTensor *ind, TnTensor *vals)
{
    int64_t na = nnz_of(a), nb = nnz_of(b), i = 0, j = 0, k = 0;
    int64_t slice = dense_numel(a), out_n = vals ? vals->sizes[0] : 0;
    int sd = sparse_dim_of(a), es = vals ? DT_SIZE(vals->dtype) : 0;
    while (i < na || j < nb) {
        int cmp = i >= na ? -1 : j >= nb ? 1 : entry_cmp(a, i, b, j, sd);
        if (vals) {
            char *dst = tensor_ptr(vals) + k * slice * es;
            memset(dst, 0, (size_t)(slice * es));
            const TnTensor *src = cmp >= 0 ? a : b;
            int64_t e = cmp >= 0 ? i : j;
            for (int d = 0; d < sd; d++)
                ((int64_t *)tensor_ptr(ind))[d * out_n + k] =
                    idx_at(src->sp_indices, nnz_of(src), d, e);
            if (cmp >= 0) add_slice(vals->dtype, dst, tensor_ptr(va) + i * slice * es, slice);
            if (cmp <= 0) add_slice(vals->dtype, dst, tensor_ptr(vb) + j * slice * es, slice);
        }
        i += cmp >= 0;
        j += cmp <= 0;
        k++;
    }
    return k;
}

TnTensor *sparse_add(TnState *st, TnTensor *a, TnTensor *b)
{
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    if (a->ndim != b->ndim || memcmp(a->sizes, b->sizes, sizeof(int64_t) * (size_t)a->ndim))
        return tn_raise_ptr(st, tn_RuntimeError,
                            "add: expected sizes of 'self' and 'other' to match, but %s != %s",
                            shape_str(b1, a->ndim, a->sizes), shape_str(b2, b->ndim, b->sizes));
    TnDType dt = dtype_promote(a->dtype, b->dtype);
    TnTensor *va = tensor_to(st, a->sp_values, dt),
             *vb = va ? tensor_to(st, b->sp_values, dt) : NULL;
    TnTensor *ca = vb ? tensor_contiguous(st, va) : NULL,
             *cb = ca ? tensor_contiguous(st, vb) : NULL;
    TnTensor *ind = NULL, *vals = NULL, *r = NULL;
    if (cb) {
        int64_t n = merge_add(a, NULL, b, NULL, NULL, NULL);
        int64_t isz[2] = {sparse_dim_of(a), n}, vsz[TN_MAX_DIMS];
        memcpy(vsz, a->sp_values->sizes, sizeof(int64_t) * (size_t)a->sp_values->ndim);
        vsz[0] = n;
        ind = tensor_empty(st, DT_INT64, 2, isz);
        vals = ind ? tensor_empty(st, dt, a->sp_values->ndim, vsz) : NULL;
    }
    if (vals) {
        merge_add(a, ca, b, cb, ind, vals);
        r = sparse_new(st, ind, vals, a->ndim, a->sizes, a->sp_coalesced && b->sp_coalesced);
    }
    tn_obj_decref(va);
    tn_obj_decref(vb);
    tn_obj_decref(ca);
    tn_obj_decref(cb);
    tn_obj_decref(ind);
    tn_obj_decref(vals);
    return r;
}
