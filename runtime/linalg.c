/* linalg.c: vector and matrix norms, the deprecated torch.norm, and LAPACKE-backed
 * svdvals, det, inv and solve, batched over leading dims. */
#include "linalg.h"
#include <dlfcn.h>
#include <lapacke.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

TnType *tn_LinAlgError;

static TnOperand operand(TnTensor *t)
{
    TnOperand o = {t, tn_undef()};
    return o;
}

static TnOperand scalar(double v)
{
    TnOperand o = {NULL, tn_float(v)};
    return o;
}

/* ------------------------------------------------------------ argument checks */
static int check_float(TnState *st, TnTensor *t, const char *fn)
{
    if (!DT_IS_FLOAT(t->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: Expected a floating point or complex tensor as input. Got %s", fn,
                            tn_dtype_info[t->dtype].cname);
    return 0;
}

static int check_matrix(TnState *st, TnTensor *t, const char *fn)
{
    if (t->ndim < 2)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: The input tensor A must have at least 2 dimensions.", fn);
    return 0;
}

static int check_square(TnState *st, TnTensor *t, const char *fn)
{
    if (check_matrix(st, t, fn) < 0) return -1;
    int64_t m = t->sizes[t->ndim - 2], n = t->sizes[t->ndim - 1];
    if (m != n)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: A must be batches of square matrices, but they are %lld by %lld "
                            "matrices",
                            fn, (long long)m, (long long)n);
    return 0;
}

/* Wraps dims into a bit mask; ndims < 0 or 0 dims means every dim. */
static int dims_mask(TnState *st, TnTensor *x, int ndims, const int64_t *dims, uint32_t *mask)
{
    *mask = 0;
    if (ndims <= 0) {
        *mask = x->ndim >= 32 ? 0xffffffffu : (1u << x->ndim) - 1;
        return 0;
    }
    for (int i = 0; i < ndims; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], x->ndim, &d) < 0) return -1;
        if (*mask >> d & 1)
            return tn_raise_int(st, tn_RuntimeError,
                                "dim %d appears multiple times in the list of dims", d);
        *mask |= 1u << d;
    }
    return 0;
}

/* ----------------------------------------------------------------- vector norm */
/* Steals a, returns op(a) (NULL on error, a released either way). */
static TnTensor *then_unary(TnState *st, TnTensor *a, TnUnaryOp op)
{
    if (!a) return NULL;
    TnTensor *r = op_unary(st, op, a);
    tn_obj_decref(a);
    return r;
}

static TnTensor *then_reduce(TnState *st, TnTensor *a, TnReduceOp op, uint32_t mask, bool keep,
                             int dtype)
{
    if (!a) return NULL;
    TnTensor *r = op_reduce(st, op, a, mask, keep, dtype, 0);
    tn_obj_decref(a);
    return r;
}

static TnTensor *then_pow(TnState *st, TnTensor *a, double p)
{
    if (!a) return NULL;
    TnTensor *r = op_binary(st, BOP_POW, operand(a), scalar(p));
    tn_obj_decref(a);
    return r;
}

/* The p-norm of a floating tensor over mask: (sum |x|^p)^(1/p) and its limits. */
static TnTensor *vnorm(TnState *st, TnTensor *x, double p, uint32_t mask, bool keep)
{
    if (p == 2)
        return then_unary(st, then_reduce(st, op_mul(st, x, x), RED_SUM, mask, keep, -1), UN_SQRT);
    if (isinf(p))
        return then_reduce(st, op_unary(st, UN_ABS, x), p > 0 ? RED_AMAX : RED_AMIN, mask, keep,
                           -1);
    if (p == 0)
        return then_reduce(st, op_binary(st, BOP_NE, operand(x), scalar(0)), RED_SUM, mask, keep,
                           x->dtype);
    if (p == 1) return then_reduce(st, op_unary(st, UN_ABS, x), RED_SUM, mask, keep, -1);
    TnTensor *s =
        then_reduce(st, then_pow(st, op_unary(st, UN_ABS, x), p), RED_SUM, mask, keep, -1);
    return then_pow(st, s, 1.0 / p);
}

/* PyTorch refuses norms without an identity (negative and infinite orders) on
 * empty reductions. */
static int check_empty(TnState *st, TnTensor *x, double p, int ndims, const int64_t *dims)
{
    if (tensor_numel(x) != 0 || !(p < 0 || p == INFINITY)) return 0;
    if (ndims <= 0)
        return tn_raise_int(st, tn_RuntimeError,
                            "linalg.vector_norm cannot compute the %g norm on an empty tensor "
                            "because the operation does not have an identity",
                            p);
    for (int i = 0; i < ndims; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], x->ndim, &d) < 0) return -1;
        if (x->sizes[d] == 0)
            return tn_raise_int(st, tn_RuntimeError,
                                "linalg.vector_norm cannot compute the %g norm on the dimension "
                                "%dbecause this dimension is empty and the operation does not "
                                "have an identity",
                                p, d);
    }
    return 0;
}

/* dtype= of the norms: floating, and no narrower than the input. */
static int check_norm_dtype(TnState *st, TnTensor *x, int dtype, const char *fn)
{
    if (dtype < 0) return 0;
    if (!DT_IS_FLOAT((TnDType)dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: dtype should be floating point or complex, but got %s", fn,
                            tn_dtype_info[dtype].cname);
    if (x->dtype == DT_FLOAT64 && dtype == DT_FLOAT32)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: the dtype of the input (%s) should be convertible without "
                            "narrowing to the specified dtype (%s)",
                            fn, tn_dtype_info[x->dtype].cname, tn_dtype_info[dtype].cname);
    return 0;
}

TnTensor *linalg_vector_norm(TnState *st, TnTensor *x, double ord, int ndims, const int64_t *dims,
                             bool keepdim, int dtype, const char *name)
{
    uint32_t mask;
    if (check_float(st, x, name) < 0 || check_norm_dtype(st, x, dtype, name) < 0 ||
        dims_mask(st, x, ndims, dims, &mask) < 0 || check_empty(st, x, ord, ndims, dims) < 0)
        return NULL;
    TnTensor *xc = tensor_to(st, x, dtype < 0 ? x->dtype : (TnDType)dtype);
    if (!xc) return NULL;
    TnTensor *r = vnorm(st, xc, ord, mask, keepdim);
    tn_obj_decref(xc);
    return r;
}

/* ----------------------------------------------------------------- matrix norm */
/* Dims d0, d1 moved to the end (the order PyTorch's backshift permutation gives). */
static void backshift(int nd, int d0, int d1, int64_t *perm)
{
    int k = 0;
    for (int d = 0; d < nd; d++)
        if (d != d0 && d != d1) perm[k++] = d;
    perm[k++] = d0;
    perm[k] = d1;
}

/* reduce(svdvals(A with d0, d1 last), -1), the two dims kept as 1s when keepdim. */
static TnTensor *svd_norm(TnState *st, TnTensor *a, int d0, int d1, TnReduceOp op, bool keepdim)
{
    int64_t perm[TN_MAX_DIMS];
    backshift(a->ndim, d0, d1, perm);
    TnTensor *p = op_permute(st, a, a->ndim, perm);
    TnTensor *sv = p ? linalg_svdvals(st, p) : NULL;
    tn_obj_decref(p);
    if (!sv) return NULL;
    TnTensor *r = then_reduce(st, sv, op, 1u << (sv->ndim - 1), false, -1);
    if (!r || !keepdim) return r;
    /* put size-1 dims back where d0 and d1 were */
    int lo = d0 < d1 ? d0 : d1, hi = d0 < d1 ? d1 : d0;
    TnTensor *u = op_unsqueeze(st, r, lo);
    tn_obj_decref(r);
    TnTensor *v = u ? op_unsqueeze(st, u, hi) : NULL;
    tn_obj_decref(u);
    return v;
}

static void dims_str(char *buf, size_t n, int ndims, const int64_t *dims, const char *sep,
                     bool brackets)
{
    size_t k = (size_t)snprintf(buf, n, "%s", brackets ? "[" : "");
    for (int i = 0; i < ndims && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? sep : "", (long long)dims[i]);
    if (brackets && k < n) snprintf(buf + k, n - k, "]");
}

/* matrix_norm's dim argument check ("dim must be a 2-tuple"). */
static int matrix_dims(TnState *st, int ndims, const int64_t *dims, int64_t *d0, int64_t *d1)
{
    if (ndims < 0) {
        *d0 = -2;
        *d1 = -1;
        return 0;
    }
    if (ndims != 2) {
        char b[TN_SHAPE_STR];
        dims_str(b, sizeof b, ndims, dims, " ", false);
        return tn_raise_int(st, tn_RuntimeError,
                            "linalg.matrix_norm: dim must be a 2-tuple. Got %s", b);
    }
    *d0 = dims[0];
    *d1 = dims[1];
    return 0;
}

static int matrix_norm_checks(TnState *st, TnTensor *a, int ndims, const int64_t *dims, int *w0,
                              int *w1, int dtype)
{
    const char *fn = "linalg.matrix_norm";
    int64_t d0, d1;
    if (check_matrix(st, a, fn) < 0 || check_float(st, a, fn) < 0 ||
        matrix_dims(st, ndims, dims, &d0, &d1) < 0 || tensor_wrap_dim(st, d0, a->ndim, w0) < 0 ||
        tensor_wrap_dim(st, d1, a->ndim, w1) < 0)
        return -1;
    if (*w0 == *w1)
        return tn_raise_int(st, tn_RuntimeError, "%s: dims must be different. Got (%d, %d)", fn,
                            *w0, *w1);
    return check_norm_dtype(st, a, dtype, fn);
}

static bool matrix_ord_ok(TnNormOrd ord)
{
    double q = fabs(ord.p);
    return ord.is_str || q == 1 || q == 2 || q == INFINITY;
}

TnTensor *linalg_matrix_norm(TnState *st, TnTensor *a, TnNormOrd ord, int ndims,
                             const int64_t *dims, bool keepdim, int dtype)
{
    if (!matrix_ord_ok(ord))
        return tn_raise_ptr(st, tn_RuntimeError, "linalg.matrix_norm: Order %g not supported.",
                            ord.p);
    int w0, w1;
    if (matrix_norm_checks(st, a, ndims, dims, &w0, &w1, dtype) < 0) return NULL;
    if (ord.is_str && !ord.nuc) {
        int64_t dims[2] = {w0, w1};
        return linalg_vector_norm(st, a, 2, 2, dims, keepdim, dtype, "linalg.vector_norm");
    }
    TnTensor *ac = tensor_to(st, a, dtype < 0 ? a->dtype : (TnDType)dtype);
    if (!ac) return NULL;
    TnTensor *r;
    if (ord.is_str || fabs(ord.p) == 2) {
        TnReduceOp op = ord.is_str ? RED_SUM : ord.p > 0 ? RED_AMAX : RED_AMIN;
        r = svd_norm(st, ac, w0, w1, op, keepdim);
    } else {
        /* 1-norm: column sums (over d0), then max over d1; inf swaps the dims */
        if (isinf(ord.p)) {
            int t = w0;
            w0 = w1;
            w1 = t;
        }
        if (!keepdim && w0 < w1) w1--;
        TnTensor *s = vnorm(st, ac, 1, 1u << w0, keepdim);
        r = then_reduce(st, s, ord.p > 0 ? RED_AMAX : RED_AMIN, 1u << w1, keepdim, -1);
    }
    tn_obj_decref(ac);
    return r;
}

TnTensor *linalg_norm(TnState *st, TnTensor *a, const TnNormOrd *ord, int ndims,
                      const int64_t *dims, bool keepdim, int dtype)
{
    if (ndims >= 0 && ndims != 1 && ndims != 2) {
        char b[TN_SHAPE_STR];
        dims_str(b, sizeof b, ndims, dims, ", ", true);
        return tn_raise_ptr(st, tn_RuntimeError,
                            "linalg.norm: If dim is specified, it must be of length 1 or 2. Got %s",
                            b);
    }
    if (ndims < 0 && ord && a->ndim != 1 && a->ndim != 2)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "linalg.norm: If dim is not specified but ord is, the input must be "
                            "1D or 2D. Got %dD.",
                            a->ndim);
    if (ord && (ord->is_str || ndims == 2 || (ndims < 0 && a->ndim == 2))) {
        static const int64_t first_two[2] = {0, 1};
        return linalg_matrix_norm(st, a, *ord, ndims < 0 ? 2 : ndims, ndims < 0 ? first_two : dims,
                                  keepdim, dtype);
    }
    return linalg_vector_norm(st, a, ord ? ord->p : 2, ndims, dims, keepdim, dtype,
                              "linalg.vector_norm");
}

/* ------------------------------------------------------------ deprecated norm */
static int check_norm_input(TnState *st, TnTensor *a)
{
    if (!DT_IS_FLOAT(a->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "norm(): input dtype should be either floating point or complex. Got "
                            "%s instead.",
                            tn_dtype_info[a->dtype].cname);
    return 0;
}

/* torch.frobenius_norm: at most two dims; two means sqrt(sum(x * x)). */
static TnTensor *frobenius_norm(TnState *st, TnTensor *a, int ndims, const int64_t *dims,
                                bool keepdim)
{
    if (ndims > 2)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "Expected at most 2 dimensions, but got %d dimensions instead.", ndims);
    if (check_norm_input(st, a) < 0) return NULL;
    uint32_t mask;
    if (ndims == 2) {
        int w0, w1;
        if (tensor_wrap_dim(st, dims[0], a->ndim, &w0) < 0 ||
            tensor_wrap_dim(st, dims[1], a->ndim, &w1) < 0)
            return NULL;
        if (w0 == w1)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "Expected dims to be different, got [%lld, %lld] instead",
                                (long long)dims[0], (long long)dims[1]);
    }
    if (dims_mask(st, a, ndims, dims, &mask) < 0) return NULL;
    return vnorm(st, a, 2, mask, keepdim);
}

static TnTensor *nuclear_norm(TnState *st, TnTensor *a, int ndims, const int64_t *dims,
                              bool keepdim)
{
    if (ndims < 0 && a->ndim != 2)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "Expected a tensor with 2 dimensions, but got a tensor with %d "
                            "dimension%s instead.",
                            a->ndim, a->ndim == 1 ? "" : "s");
    if (ndims >= 0 && ndims != 2)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "nuclear norm requires a 'dim' argument of size 2");
    TnNormOrd nuc = {true, true, 0};
    return linalg_matrix_norm(st, a, nuc, ndims, dims, keepdim, -1);
}

/* The spec asks for one deprecation notice per session (PyTorch 1.13 prints none). */
static void warn_deprecated(void)
{
    static bool warned;
    if (warned) return;
    warned = true;
    fprintf(stderr, "UserWarning: torch.norm is deprecated and may be removed in a future PyTorch "
                    "release. Use torch.linalg.norm(), torch.linalg.vector_norm() or "
                    "torch.linalg.matrix_norm() instead.\n");
}

TnTensor *linalg_torch_norm(TnState *st, TnTensor *a, const TnNormOrd *p, int ndims,
                            const int64_t *dims, bool keepdim, int dtype)
{
    warn_deprecated();
    if (p && p->is_str) {
        if (dtype >= 0)
            return tn_raise_ptr(st, tn_ValueError, "dtype argument is not supported in %s norm",
                                p->nuc ? "nuclear" : "frobenius");
        if (p->nuc) return nuclear_norm(st, a, ndims, dims, keepdim);
        return frobenius_norm(st, a, ndims < 0 ? 0 : ndims, dims, keepdim);
    }
    if (check_norm_input(st, a) < 0) return NULL;
    uint32_t mask;
    if (dims_mask(st, a, ndims, dims, &mask) < 0 || check_norm_dtype(st, a, dtype, "norm") < 0)
        return NULL;
    double ord = p ? p->p : 2;
    TnTensor *ac = tensor_to(st, a, dtype < 0 ? a->dtype : (TnDType)dtype);
    TnTensor *r = ac ? vnorm(st, ac, ord, mask, keepdim) : NULL;
    tn_obj_decref(ac);
    return r;
}

/* ------------------------------------------------------------------- LAPACK */
/* Each matrix of a as column-major scratch: the contiguous (..., n, m) copy of
 * a's transpose, so LAPACK sees A itself (pivots and error indices as PyTorch's). */
static TnTensor *colmajor(TnState *st, TnTensor *a)
{
    TnTensor *t = op_transpose(st, a, -2, -1);
    TnTensor *c = t ? tensor_clone(st, t) : NULL;
    tn_obj_decref(t);
    return c;
}

static int64_t batch_count(const TnTensor *a)
{
    int64_t b = 1;
    for (int d = 0; d < a->ndim - 2; d++)
        b *= a->sizes[d];
    return b;
}

/* LAPACKE is opened on first use, not linked: it drags in liblapack, libgfortran
 * and thousands of symbol bindings that cost every start-up about a millisecond.
 * lapacke.h still gives the types, so each pointer has the exact prototype. */
static struct {
    __typeof__(LAPACKE_sgesdd) *sgesdd;
    __typeof__(LAPACKE_dgesdd) *dgesdd;
    __typeof__(LAPACKE_sgetrf_work) *sgetrf_work;
    __typeof__(LAPACKE_dgetrf_work) *dgetrf_work;
    __typeof__(LAPACKE_sgetrs_work) *sgetrs_work;
    __typeof__(LAPACKE_dgetrs_work) *dgetrs_work;
} lapacke;

static bool lapacke_open(TnState *st)
{
    if (lapacke.dgetrs_work) return true;
    void *h = dlopen("liblapacke.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("liblapacke.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        tn_raise(st, tn_RuntimeError,
                 "linalg: this operation needs LAPACKE, which could not be loaded (%s); "
                 "install it with scripts/install-deps (Debian package liblapacke)",
                 why ? why : "liblapacke.so.3 not found");
        return false;
    }
    /* dlsym's void * to a function pointer: POSIX guarantees the conversion */
    lapacke.sgesdd = (__typeof__(lapacke.sgesdd))dlsym(h, "LAPACKE_sgesdd");
    lapacke.dgesdd = (__typeof__(lapacke.dgesdd))dlsym(h, "LAPACKE_dgesdd");
    lapacke.sgetrf_work = (__typeof__(lapacke.sgetrf_work))dlsym(h, "LAPACKE_sgetrf_work");
    lapacke.dgetrf_work = (__typeof__(lapacke.dgetrf_work))dlsym(h, "LAPACKE_dgetrf_work");
    lapacke.sgetrs_work = (__typeof__(lapacke.sgetrs_work))dlsym(h, "LAPACKE_sgetrs_work");
    __typeof__(lapacke.dgetrs_work) last =
        (__typeof__(lapacke.dgetrs_work))dlsym(h, "LAPACKE_dgetrs_work");
    if (!lapacke.sgesdd || !lapacke.dgesdd || !lapacke.sgetrf_work || !lapacke.dgetrf_work ||
        !lapacke.sgetrs_work || !last) {
        tn_raise(st, tn_RuntimeError,
                 "linalg: the LAPACKE library found lacks gesdd, getrf or getrs");
        dlclose(h);
        return false;
    }
    lapacke.dgetrs_work = last; /* set last: it marks the table complete */
    return true;
}

/* The gate before any LAPACK call: sizes fit LAPACK's int, and LAPACKE is loaded. */
static bool lapack_ready(TnState *st, int64_t m, int64_t n)
{
    if (m > INT32_MAX / (n > 0 ? n : 1) || n > INT32_MAX) {
        tn_raise(st, tn_RuntimeError, "linalg: matrix too large for LAPACK (%lld x %lld)",
                 (long long)m, (long long)n);
        return false;
    }
    return lapacke_open(st);
}

/* "linalg.inv: (Batch element 1): " when the input is batched, else "linalg.inv: ". */
static void err_prefix(char *buf, size_t n, const char *fn, const TnTensor *a, int64_t batch)
{
    if (a->ndim > 2)
        snprintf(buf, n, "%s: (Batch element %lld): ", fn, (long long)batch);
    else
        snprintf(buf, n, "%s: ", fn);
}

static TnValue linalg_error(TnState *st, const char *prefix, const char *msg)
{
    return tn_raise(st, tn_LinAlgError ? tn_LinAlgError : tn_RuntimeError, "%s%s", prefix, msg);
}

static bool all_finite(const TnTensor *c)
{
    int64_t n = tensor_numel(c);
    if (c->dtype == DT_FLOAT32) {
        const float *p = (const float *)tensor_ptr(c);
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(p[i])) return false;
    } else {
        const double *p = (const double *)tensor_ptr(c);
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(p[i])) return false;
    }
    return true;
}

/* Shape of a with its last two dims replaced by k dims from tail. */
static int batch_shape(const TnTensor *a, int k, const int64_t *tail, int64_t *out)
{
    int nd = a->ndim - 2;
    memcpy(out, a->sizes, sizeof(int64_t) * (size_t)nd);
    for (int i = 0; i < k; i++)
        out[nd + i] = tail[i];
    return nd + k;
}

TnTensor *linalg_svdvals(TnState *st, TnTensor *a)
{
    const char *fn = "linalg.svd";
    if (check_matrix(st, a, fn) < 0 || check_float(st, a, fn) < 0) return NULL;
    int64_t m = a->sizes[a->ndim - 2], n = a->sizes[a->ndim - 1], k = m < n ? m : n;
    int64_t shape[TN_MAX_DIMS];
    int nd = batch_shape(a, 1, &k, shape);
    if (!lapack_ready(st, m, n)) return NULL;
    TnTensor *c = colmajor(st, a), *out = c ? tensor_empty(st, a->dtype, nd, shape) : NULL;
    if (!out || k == 0) goto done;
    if (!all_finite(c)) {
        tn_obj_decref(out);
        out = NULL;
        char pre[96];
        err_prefix(pre, sizeof pre, fn, a, 0);
        linalg_error(st, pre,
                     "The algorithm failed to converge because the input matrix contained "
                     "non-finite values.");
        goto done;
    }
    int64_t B = batch_count(a);
    for (int64_t b = 0; b < B; b++) {
        lapack_int info;
        if (a->dtype == DT_FLOAT32)
            info = lapacke.sgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)m, (lapack_int)n,
                                  (float *)tensor_ptr(c) + b * m * n, (lapack_int)m,
                                  (float *)tensor_ptr(out) + b * k, NULL, 1, NULL, 1);
        else
            info = lapacke.dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)m, (lapack_int)n,
                                  (double *)tensor_ptr(c) + b * m * n, (lapack_int)m,
                                  (double *)tensor_ptr(out) + b * k, NULL, 1, NULL, 1);
        if (info != 0) {
            tn_obj_decref(out);
            out = NULL;
            char pre[96];
            err_prefix(pre, sizeof pre, fn, a, b);
            linalg_error(st, pre, "The algorithm failed to converge.");
            break;
        }
    }
done:
    tn_obj_decref(c);
    return out;
}

/* One matrix's reduced SVD into the column-major scratch of ut (k x m per batch: U's
 * columns, i.e. U^T row-major) and v (k x n column-major: Vh, i.e. V row-major). */
static lapack_int svd_one(TnTensor *c, TnTensor *s, TnTensor *ut, TnTensor *v, int64_t b, int64_t m,
                          int64_t n, int64_t k)
{
    if (c->dtype == DT_FLOAT32)
        return lapacke.sgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)m, (lapack_int)n,
                              (float *)tensor_ptr(c) + b * m * n, (lapack_int)m,
                              (float *)tensor_ptr(s) + b * k, (float *)tensor_ptr(ut) + b * m * k,
                              (lapack_int)m, (float *)tensor_ptr(v) + b * k * n, (lapack_int)k);
    return lapacke.dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)m, (lapack_int)n,
                          (double *)tensor_ptr(c) + b * m * n, (lapack_int)m,
                          (double *)tensor_ptr(s) + b * k, (double *)tensor_ptr(ut) + b * m * k,
                          (lapack_int)m, (double *)tensor_ptr(v) + b * k * n, (lapack_int)k);
}

int linalg_svd(TnState *st, TnTensor *a, TnTensor **u, TnTensor **s, TnTensor **vh)
{
    const char *fn = "linalg.svd";
    *u = *s = *vh = NULL;
    if (check_matrix(st, a, fn) < 0 || check_float(st, a, fn) < 0) return -1;
    int64_t m = a->sizes[a->ndim - 2], n = a->sizes[a->ndim - 1], k = m < n ? m : n;
    if (!lapack_ready(st, m, n)) return -1;
    int64_t shape[TN_MAX_DIMS], tail[2];
    int nd = batch_shape(a, 1, &k, shape);
    TnTensor *c = colmajor(st, a), *sv = c ? tensor_empty(st, a->dtype, nd, shape) : NULL;
    tail[0] = k, tail[1] = m;
    TnTensor *ut = sv ? tensor_empty(st, a->dtype, batch_shape(a, 2, tail, shape), shape) : NULL;
    tail[0] = n, tail[1] = k;
    TnTensor *v = ut ? tensor_empty(st, a->dtype, batch_shape(a, 2, tail, shape), shape) : NULL;
    int rc = v ? 0 : -1;
    if (rc == 0 && k > 0 && !all_finite(c)) {
        linalg_error(st, "linalg.svd: ", "The algorithm failed to converge because the input "
                                         "matrix contained non-finite values.");
        rc = -1;
    }
    int64_t B = rc == 0 && k > 0 ? batch_count(a) : 0;
    for (int64_t b = 0; b < B && rc == 0; b++)
        if (svd_one(c, sv, ut, v, b, m, n, k) != 0) {
            linalg_error(st, "linalg.svd: ", "The algorithm failed to converge.");
            rc = -1;
        }
    tn_obj_decref(c);
    if (rc == 0) {
        *u = op_transpose(st, ut, -2, -1);
        *vh = *u ? op_transpose(st, v, -2, -1) : NULL;
        rc = *vh ? 0 : -1;
    }
    tn_obj_decref(ut);
    tn_obj_decref(v);
    if (rc < 0) {
        tn_obj_decref(*u);
        tn_obj_decref(sv);
        *u = *vh = NULL;
        return -1;
    }
    *s = sv;
    return 0;
}

/* LU-factors matrix b of c (column-major n x n) in place; LAPACK's info. The
 * _work entry points skip LAPACKE's NaN scan: NaN input gives NaN output, as in PyTorch. */
static lapack_int lu(TnTensor *c, int64_t b, int64_t n, lapack_int *ipiv)
{
    if (c->dtype == DT_FLOAT32)
        return lapacke.sgetrf_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n,
                                   (float *)tensor_ptr(c) + b * n * n, (lapack_int)n, ipiv);
    return lapacke.dgetrf_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n,
                               (double *)tensor_ptr(c) + b * n * n, (lapack_int)n, ipiv);
}

/* The matrices LAPACK factors: like PyTorch, a C-contiguous A is factored as A^T
 * (its data read column-major, the transposed system solved after), any other A
 * from a column-major copy. The pivots, so the singular element reported and the
 * rounding of det, are those of the matrix factored. */
static TnTensor *lu_operand(TnState *st, TnTensor *a, bool *transposed)
{
    bool as_t = tensor_is_contiguous(a);
    if (transposed) *transposed = as_t;
    return as_t ? tensor_clone(st, a) : colmajor(st, a);
}

static double lu_det(const TnTensor *c, int64_t b, int64_t n, const lapack_int *ipiv)
{
    double det = 1;
    for (int64_t i = 0; i < n; i++) {
        double d = c->dtype == DT_FLOAT32 ? ((const float *)tensor_ptr(c))[b * n * n + i * n + i]
                                          : ((const double *)tensor_ptr(c))[b * n * n + i * n + i];
        det *= ipiv[i] != i + 1 ? -d : d;
    }
    return det;
}

TnTensor *linalg_det(TnState *st, TnTensor *a)
{
    const char *fn = "linalg.det";
    if (check_matrix(st, a, fn) < 0 || check_float(st, a, fn) < 0 || check_square(st, a, fn) < 0)
        return NULL;
    int64_t n = a->sizes[a->ndim - 1], shape[TN_MAX_DIMS];
    int nd = batch_shape(a, 0, NULL, shape);
    if (!lapack_ready(st, n, n)) return NULL;
    TnTensor *c = lu_operand(st, a, NULL);
    TnTensor *out = c ? tensor_empty(st, a->dtype, nd, shape) : NULL;
    lapack_int *ipiv = out ? tn_malloc(sizeof(lapack_int) * (size_t)(n + 1)) : NULL;
    if (out && !ipiv) {
        tn_obj_decref(out);
        out = NULL;
        tn_no_memory(st);
    }
    int64_t B = out ? batch_count(a) : 0;
    for (int64_t b = 0; b < B; b++) {
        double det = n > 0 ? (lu(c, b, n, ipiv) < 0 ? NAN : lu_det(c, b, n, ipiv)) : 1;
        if (a->dtype == DT_FLOAT32)
            ((float *)tensor_ptr(out))[b] = (float)det;
        else
            ((double *)tensor_ptr(out))[b] = det;
    }
    tn_free(ipiv);
    tn_obj_decref(c);
    return out;
}

/* X = A^-1 B for column-major matrix b of lu (factored) and x (n x k, overwritten). */
static lapack_int lu_solve(TnTensor *lu_t, TnTensor *x, int64_t b, int64_t n, int64_t k, char trans,
                           const lapack_int *ipiv)
{
    if (lu_t->dtype == DT_FLOAT32)
        return lapacke.sgetrs_work(LAPACK_COL_MAJOR, trans, (lapack_int)n, (lapack_int)k,
                                   (float *)tensor_ptr(lu_t) + b * n * n, (lapack_int)n, ipiv,
                                   (float *)tensor_ptr(x) + b * n * k, (lapack_int)n);
    return lapacke.dgetrs_work(LAPACK_COL_MAJOR, trans, (lapack_int)n, (lapack_int)k,
                               (double *)tensor_ptr(lu_t) + b * n * n, (lapack_int)n, ipiv,
                               (double *)tensor_ptr(x) + b * n * k, (lapack_int)n);
}

/* Inverts matrix b: factor, then solve against the identity (as PyTorch does, so
 * zeros stay +0). -1 with PyTorch's singular-matrix error. */
static int invert_one(TnState *st, TnTensor *c, TnTensor *x, TnTensor *a, int64_t b, int64_t n,
                      char trans, lapack_int *ipiv)
{
    lapack_int info = lu(c, b, n, ipiv);
    if (info == 0) {
        for (int64_t i = 0; i < n; i++)
            dtype_set(x->dtype, tensor_ptr(x) + (b * n * n + i * n + i) * DT_SIZE(x->dtype),
                      tn_int(1));
        info = lu_solve(c, x, b, n, n, trans, ipiv);
    }
    if (info == 0) return 0;
    char pre[96], msg[200];
    err_prefix(pre, sizeof pre, "linalg.inv", a, b);
    snprintf(msg, sizeof msg,
             "The diagonal element %d is zero, the inversion could not be completed because the "
             "input matrix is singular.",
             (int)info);
    linalg_error(st, pre, msg);
    return -1;
}

TnTensor *linalg_inv(TnState *st, TnTensor *a)
{
    const char *fn = "linalg.inv";
    if (check_matrix(st, a, fn) < 0 || check_float(st, a, fn) < 0 || check_square(st, a, fn) < 0)
        return NULL;
    int64_t n = a->sizes[a->ndim - 1];
    if (!lapack_ready(st, n, n)) return NULL;
    bool as_t;
    TnTensor *c = lu_operand(st, a, &as_t);
    TnTensor *x = c ? tensor_zeros(st, a->dtype, a->ndim, a->sizes) : NULL;
    lapack_int *ipiv = x ? tn_malloc(sizeof(lapack_int) * (size_t)(n + 1)) : NULL;
    int rc = ipiv ? 0 : -1;
    if (x && !ipiv) tn_no_memory(st);
    int64_t B = rc == 0 && n > 0 ? batch_count(a) : 0;
    for (int64_t b = 0; b < B && rc == 0; b++)
        rc = invert_one(st, c, x, a, b, n, as_t ? 'T' : 'N', ipiv);
    tn_free(ipiv);
    tn_obj_decref(c);
    /* x holds each inverse column-major: its transpose is the answer, with the
     * column-major strides PyTorch returns */
    TnTensor *r = rc == 0 ? op_transpose(st, x, -2, -1) : NULL;
    tn_obj_decref(x);
    return r;
}

/* The LU factors of matrix b with every zero on U's diagonal replaced by the dtype's
 * epsilon: PyTorch's non-singular stand-in for a singular A in det's gradient (det is
 * smooth, and the gradient is scaled by det = 0 anyway). */
static void perturb_zero_pivots(TnTensor *c, int64_t b, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        char *p = tensor_ptr(c) + (b * n * n + i * n + i) * DT_SIZE(c->dtype);
        if (c->dtype == DT_FLOAT32 && *(float *)p == 0)
            *(float *)p = FLT_EPSILON;
        else if (c->dtype == DT_FLOAT64 && *(double *)p == 0)
            *(double *)p = DBL_EPSILON;
    }
}

TnTensor *linalg_det_backward(TnState *st, TnTensor *a, TnTensor *gd)
{
    int64_t n = a->sizes[a->ndim - 1];
    if (!lapack_ready(st, n, n)) return NULL;
    bool as_t;
    TnTensor *c = lu_operand(st, a, &as_t);
    TnTensor *x = c ? tensor_zeros(st, a->dtype, a->ndim, a->sizes) : NULL;
    TnTensor *g = x ? tensor_to(st, gd, a->dtype) : NULL;
    TnTensor *gc = g ? tensor_contiguous(st, g) : NULL;
    lapack_int *ipiv = gc ? tn_malloc(sizeof(lapack_int) * (size_t)(n + 1)) : NULL;
    int rc = ipiv ? 0 : -1;
    if (gc && !ipiv) tn_no_memory(st);
    int64_t B = rc == 0 && n > 0 ? batch_count(a) : 0;
    for (int64_t b = 0; b < B && rc == 0; b++) {
        if (lu(c, b, n, ipiv) < 0) {
            rc = -1;
            linalg_error(st, "linalg.det: ", "the LU factorisation failed");
            break;
        }
        perturb_zero_pivots(c, b, n);
        /* solve A^T X = diag(g det) (A^T's factors are c's when c factors A^T) */
        TnValue gb = dtype_get_value(gc->dtype, tensor_ptr(gc) + b * DT_SIZE(gc->dtype));
        for (int64_t i = 0; i < n; i++)
            dtype_set(x->dtype, tensor_ptr(x) + (b * n * n + i * n + i) * DT_SIZE(x->dtype), gb);
        if (lu_solve(c, x, b, n, n, as_t ? 'N' : 'T', ipiv) != 0) {
            rc = -1;
            linalg_error(st, "linalg.det: ", "the triangular solve failed");
        }
    }
    tn_free(ipiv);
    tn_obj_decref(c);
    tn_obj_decref(g);
    tn_obj_decref(gc);
    /* x holds each solution column-major: its transpose is the gradient */
    TnTensor *r = rc == 0 && x ? op_transpose(st, x, -2, -1) : NULL;
    tn_obj_decref(x);
    return r;
}

/* ------------------------------------------------------------------- solve */
typedef struct {
    int64_t n, k; /* A is n x n, B is n x k */
    bool vector;  /* B was a (batch of) vector(s) */
    int nb;       /* broadcast batch dims */
    int64_t batch[TN_MAX_DIMS];
} SolveShape;

static int solve_shapes(TnState *st, TnTensor *a, TnTensor *b, SolveShape *s)
{
    const char *fn = "linalg.solve";
    if (check_float(st, a, fn) < 0 || check_matrix(st, a, fn) < 0 || check_square(st, a, fn) < 0)
        return -1;
    if (a->dtype != b->dtype)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: Expected A and B to have the same dtype, but found A of type %s "
                            "and B of type %s instead",
                            fn, tn_dtype_info[a->dtype].cname, tn_dtype_info[b->dtype].cname);
    s->n = a->sizes[a->ndim - 1];
    s->vector =
        b->ndim == 1 || (b->ndim == a->ndim - 1 &&
                         memcmp(b->sizes, a->sizes, sizeof(int64_t) * (size_t)b->ndim) == 0);
    int64_t bn = s->vector ? b->sizes[b->ndim - 1] : b->ndim >= 2 ? b->sizes[b->ndim - 2] : 0;
    s->k = s->vector ? 1 : b->sizes[b->ndim - 1];
    if (b->ndim < 1 || bn != s->n)
        return tn_raise_int(st, tn_RuntimeError,
                            "%s: Incompatible shapes of A and B for the equation AX = B (%lldx%lld "
                            "and %lldx%lld)",
                            fn, (long long)s->n, (long long)s->n, (long long)bn, (long long)s->k);
    int bnd = b->ndim - (s->vector ? 1 : 2);
    return shape_broadcast(st, bnd, b->sizes, a->ndim - 2, a->sizes, &s->nb, s->batch);
}

/* x expanded to batch + tail; for A the LU operand (see lu_operand), for B a
 * column-major copy that LAPACK overwrites with X. */
static TnTensor *solve_operand(TnState *st, TnTensor *x, const SolveShape *s, int64_t cols,
                               bool *transposed)
{
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, s->batch, sizeof(int64_t) * (size_t)s->nb);
    shape[s->nb] = s->n;
    shape[s->nb + 1] = cols;
    TnTensor *e = tensor_expand_to(st, x, s->nb + 2, shape);
    TnTensor *c = !e ? NULL : transposed ? lu_operand(st, e, transposed) : colmajor(st, e);
    tn_obj_decref(e);
    return c;
}

static int solve_all(TnState *st, TnTensor *ca, TnTensor *cb, const SolveShape *s, char trans)
{
    int64_t B = 1;
    for (int i = 0; i < s->nb; i++)
        B *= s->batch[i];
    if (s->n == 0 || s->k == 0) return 0;
    lapack_int *ipiv = tn_malloc(sizeof(lapack_int) * (size_t)s->n);
    if (!ipiv) {
        tn_no_memory(st);
        return -1;
    }
    int rc = 0;
    for (int64_t b = 0; b < B && rc == 0; b++) {
        lapack_int info = lu(ca, b, s->n, ipiv);
        if (info == 0) info = lu_solve(ca, cb, b, s->n, s->k, trans, ipiv);
        if (info != 0) {
            char pre[96];
            if (s->nb > 0)
                snprintf(pre, sizeof pre,
                         "torch.linalg.solve: (Batch element %lld): ", (long long)b);
            else
                snprintf(pre, sizeof pre, "torch.linalg.solve: ");
            linalg_error(st, pre, "The solver failed because the input matrix is singular.");
            rc = -1;
        }
    }
    tn_free(ipiv);
    return rc;
}

TnTensor *linalg_solve(TnState *st, TnTensor *a, TnTensor *b)
{
    SolveShape s;
    if (solve_shapes(st, a, b, &s) < 0 || !lapack_ready(st, s.n, s.n > s.k ? s.n : s.k))
        return NULL;
    bool as_t = false;
    TnTensor *bm = s.vector ? op_unsqueeze(st, b, -1) : (tn_obj_incref(b), b);
    TnTensor *ca = bm ? solve_operand(st, a, &s, s.n, &as_t) : NULL;
    TnTensor *cb = ca ? solve_operand(st, bm, &s, s.k, NULL) : NULL;
    TnTensor *r = NULL;
    if (cb && solve_all(st, ca, cb, &s, as_t ? 'T' : 'N') == 0) {
        /* cb holds X column-major: its transpose, as in inv */
        r = op_transpose(st, cb, -2, -1);
        if (r && s.vector) {
            TnTensor *v = op_squeeze(st, r, false, -1);
            tn_obj_decref(r);
            r = v;
        }
    }
    tn_obj_decref(bm);
    tn_obj_decref(ca);
    tn_obj_decref(cb);
    return r;
}
