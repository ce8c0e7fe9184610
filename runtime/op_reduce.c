/* op_reduce.c: reductions (sum, mean, max, var, ...), scans (cumsum, softmax) and
 * sorting. Each moves the reduced dims last and works on contiguous rows. */
#include "tensor.h"
#include "iter.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const red_names[] = {
    [RED_SUM] = "sum",       [RED_MEAN] = "mean",     [RED_PROD] = "prod",
    [RED_AMAX] = "amax",     [RED_AMIN] = "amin",     [RED_ALL] = "all",
    [RED_ANY] = "any",       [RED_COUNT_NONZERO] = "count_nonzero",
    [RED_LOGSUMEXP] = "logsumexp", [RED_VAR] = "var", [RED_STD] = "std",
    [RED_ARGMAX] = "argmax", [RED_ARGMIN] = "argmin",
};

/* A contiguous tensor of dtype dt whose rows are the reduced elements: the kept
 * dims (in order) come first, the reduced dims last. */
static TnTensor *as_rows(TnState *st, TnTensor *x, uint32_t mask, TnDType dt, int64_t *outer,
                         int64_t *inner)
{
    int64_t perm[TN_MAX_DIMS];
    int n = 0;
    *outer = *inner = 1;
    for (int d = 0; d < x->ndim; d++)
        if (!(mask >> d & 1)) {
            perm[n++] = d;
            *outer *= x->sizes[d];
        }
    for (int d = 0; d < x->ndim; d++)
        if (mask >> d & 1) {
            perm[n++] = d;
            *inner *= x->sizes[d];
        }
    TnTensor *p = op_permute(st, x, x->ndim, perm);
    if (!p)
        return NULL;
    TnTensor *c = tensor_to(st, p, dt);
    tn_obj_decref(p);
    if (!c)
        return NULL;
    TnTensor *r = tensor_contiguous(st, c);
    tn_obj_decref(c);
    return r;
}

static int out_shape(const TnTensor *x, uint32_t mask, bool keepdim, int64_t *shape)
{
    int n = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!(mask >> d & 1))
            shape[n++] = x->sizes[d];
        else if (keepdim)
            shape[n++] = 1;
    }
    return n;
}

/* ------------------------------------------------------------ row kernels */
/* Sums with 8 independent accumulators so the loop vectorises without
 * reassociating a single chain. */
#define SUM_ROW(NAME, T, ACC)                                                                 \
    TN_KERNEL static ACC NAME(const T *x, int64_t n)                                                  \
    {                                                                                         \
        ACC a[8] = {0};                                                                       \
        int64_t i = 0;                                                                        \
        for (; i + 8 <= n; i += 8)                                                            \
            for (int j = 0; j < 8; j++)                                                       \
                a[j] += (ACC)x[i + j];                                                        \
        ACC s = 0;                                                                            \
        for (; i < n; i++)                                                                    \
            s += (ACC)x[i];                                                                   \
        return s + ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));         \
    }
SUM_ROW(sum_f64, double, double)

static int64_t sum_i64(const int64_t *x, int64_t n)
{
    uint64_t s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (uint64_t)x[i];
    return (int64_t)s;
}

/* Reduces one row of doubles (float inputs are widened row by row). */
static double reduce_row_d(TnReduceOp op, const double *x, int64_t n, double correction)
{
    double r;
    switch (op) {
    case RED_SUM: return sum_f64(x, n);
    case RED_MEAN: return sum_f64(x, n) / (double)n;
    case RED_PROD:
        r = 1;
        for (int64_t i = 0; i < n; i++)
            r *= x[i];
        return r;
    case RED_AMAX:
    case RED_AMIN:
        r = x[0];
        for (int64_t i = 1; i < n && r == r; i++)
            if (x[i] != x[i] || (op == RED_AMAX ? x[i] > r : x[i] < r))
                r = x[i];
        return r;
    case RED_LOGSUMEXP: {
        double m = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            if (x[i] > m || x[i] != x[i])
                m = x[i];
        if (n == 0)
            return -INFINITY;
        if (isinf(m) || m != m)
            return m == -INFINITY ? m : m;
        double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += exp(x[i] - m);
        return m + log(s);
    }
    case RED_VAR:
    case RED_STD: {
        double mean = sum_f64(x, n) / (double)n, s = 0;
        for (int64_t i = 0; i < n; i++)
            s += (x[i] - mean) * (x[i] - mean);
        double dof = (double)n - correction;
        double v = dof > 0 ? s / dof : NAN;
        if (n == 0)
            v = NAN;
        return op == RED_STD ? sqrt(v) : v;
    }
    default: return 0;
    }
}

static int64_t reduce_row_i(TnReduceOp op, const int64_t *x, int64_t n)
{
    int64_t r;
    switch (op) {
    case RED_SUM: return sum_i64(x, n);
    case RED_PROD: {
        uint64_t p = 1;
        for (int64_t i = 0; i < n; i++)
            p *= (uint64_t)x[i];
        return (int64_t)p;
    }
    case RED_AMAX:
        r = x[0];
        for (int64_t i = 1; i < n; i++)
            r = x[i] > r ? x[i] : r;
        return r;
    case RED_AMIN:
        r = x[0];
        for (int64_t i = 1; i < n; i++)
            r = x[i] < r ? x[i] : r;
        return r;
    case RED_ALL:
        for (int64_t i = 0; i < n; i++)
            if (!x[i])
                return 0;
        return 1;
    case RED_ANY:
        for (int64_t i = 0; i < n; i++)
            if (x[i])
                return 1;
        return 0;
    case RED_COUNT_NONZERO:
        r = 0;
        for (int64_t i = 0; i < n; i++)
            r += x[i] != 0;
        return r;
    default: return 0;
    }
}

/* Index of the first max (or min); NaN counts as the extreme. */
static int64_t arg_row_d(const double *x, int64_t n, bool is_min)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++) {
        double b = x[best];
        if (b != b)
            break;
        if (x[i] != x[i] || (is_min ? x[i] < b : x[i] > b))
            best = i;
    }
    return best;
}

static int64_t arg_row_i(const int64_t *x, int64_t n, bool is_min)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (is_min ? x[i] < x[best] : x[i] > x[best])
            best = i;
    return best;
}

/* ------------------------------------------------------------- op_reduce */
static int result_dtypes(TnState *st, TnReduceOp op, TnDType in, int dtype, TnDType *compute,
                         TnDType *out)
{
    TnDType o = in;
    switch (op) {
    case RED_SUM:
    case RED_PROD: o = dtype >= 0 ? (TnDType)dtype : DT_IS_FLOAT(in) ? in : DT_INT64; break;
    case RED_MEAN:
        if (dtype >= 0)
            o = (TnDType)dtype;
        if (!DT_IS_FLOAT(o))
            return tn_raise_int(st, tn_RuntimeError,
                                "mean(): could not infer output dtype. %s dtype must be either a "
                                "floating point or complex dtype. Got: %s",
                                dtype >= 0 ? "Optional" : "Input", tn_dtype_info[o].cname);
        break;
    case RED_ALL:
    case RED_ANY: o = DT_BOOL; break;
    case RED_COUNT_NONZERO:
    case RED_ARGMAX:
    case RED_ARGMIN: o = DT_INT64; break;
    case RED_LOGSUMEXP: o = DT_IS_FLOAT(in) ? in : DT_DEFAULT; break;
    case RED_VAR:
    case RED_STD:
        if (!DT_IS_FLOAT(in))
            return tn_raise_int(st, tn_RuntimeError,
                                "std and var only support floating point and complex dtypes");
        break;
    default: break;
    }
    *out = o;
    /* integer work is done in int64, floating work in double rows */
    bool floatwork = op == RED_MEAN || op == RED_LOGSUMEXP || op == RED_VAR || op == RED_STD ||
                     DT_IS_FLOAT(o) || (DT_IS_FLOAT(in) && op != RED_ALL && op != RED_ANY &&
                                        op != RED_COUNT_NONZERO);
    if (op == RED_ALL || op == RED_ANY || op == RED_COUNT_NONZERO)
        floatwork = false;
    *compute = floatwork ? DT_FLOAT64 : DT_INT64;
    if (!floatwork && DT_IS_FLOAT(in))
        *compute = DT_BOOL; /* all/any/count on floats: test != 0 first */
    return 0;
}

typedef struct {
    TnReduceOp op;
    const char *in;
    char *out;
    TnDType cdt, odt;
    int64_t inner;
    double corr;
} RedJob;

static void red_rows(void *ctx, int64_t begin, int64_t end)
{
    RedJob *j = ctx;
    int osz = DT_SIZE(j->odt);
    for (int64_t r = begin; r < end; r++) {
        char *o = j->out + r * osz;
        if (j->cdt == DT_FLOAT64) {
            const double *x = (const double *)j->in + r * j->inner;
            if (j->op == RED_ARGMAX || j->op == RED_ARGMIN)
                *(int64_t *)o = arg_row_d(x, j->inner, j->op == RED_ARGMIN);
            else
                dtype_set(j->odt, o, tn_float(reduce_row_d(j->op, x, j->inner, j->corr)));
        } else {
            const int64_t *x = (const int64_t *)j->in + r * j->inner;
            if (j->op == RED_ARGMAX || j->op == RED_ARGMIN)
                *(int64_t *)o = arg_row_i(x, j->inner, j->op == RED_ARGMIN);
            else
                dtype_set(j->odt, o, tn_int(reduce_row_i(j->op, x, j->inner)));
        }
    }
}

/* sum or mean of x over the dims in mask, into a floating dtype odt: PyTorch's additions in
 * PyTorch's order (k_sum.c), then mean divides in odt as PyTorch's sum(...).div_(n) does. */
static TnTensor *float_sum(TnState *st, TnTensor *x, TnReduceOp op, uint32_t mask, TnDType odt,
                           int nd, const int64_t *shape)
{
    uint32_t all = x->ndim >= 32 ? 0xffffffffu : (1u << x->ndim) - 1;
    if ((mask & all) == all && x->dtype == odt && tensor_is_contiguous(x)) {
        /* the whole of a contiguous tensor: no iteration order to work out */
        int64_t n = tensor_numel(x);
        TnTensor *out = tensor_empty(st, odt, nd, shape);
        if (out && odt == DT_FLOAT32)
            *(float *)tensor_ptr(out) = op == RED_MEAN
                                            ? ksum_flat_f32((float *)tensor_ptr(x), n) / (float)n
                                            : ksum_flat_f32((float *)tensor_ptr(x), n);
        else if (out)
            *(double *)tensor_ptr(out) =
                op == RED_MEAN ? ksum_flat_f64((double *)tensor_ptr(x), n) / (double)n
                               : ksum_flat_f64((double *)tensor_ptr(x), n);
        return out;
    }
    TnTensor *in = tensor_to(st, x, odt);
    TnTensor *out = in ? tensor_zeros(st, odt, nd, shape) : NULL;
    if (!out) {
        tn_obj_decref(in);
        return NULL;
    }
    KSumDims d = {.ndim = x->ndim};
    int64_t es = DT_SIZE(odt), out_stride = es, count = 1;
    for (int k = x->ndim - 1; k >= 0; k--) {
        d.sizes[k] = x->sizes[k];
        d.in_strides[k] = in->strides[k] * es;
        if (mask >> k & 1) {
            d.out_strides[k] = 0;
            count *= x->sizes[k];
        } else {
            d.out_strides[k] = out_stride;
            out_stride *= x->sizes[k];
        }
    }
    ksum_run(&d, tensor_ptr(out), tensor_ptr(in), odt == DT_FLOAT64);
    tn_obj_decref(in);
    if (op == RED_MEAN) {
        int64_t n = tensor_numel(out);
        if (odt == DT_FLOAT32)
            for (int64_t i = 0; i < n; i++)
                ((float *)tensor_ptr(out))[i] /= (float)count;
        else
            for (int64_t i = 0; i < n; i++)
                ((double *)tensor_ptr(out))[i] /= (double)count;
    }
    return out;
}

/* Floating logsumexp as PyTorch composes it, so that every rounding matches: m = amax (keepdim)
 * with infinite maxima set to 0, then log(sum(exp(x - m))) + m, the sum over the dims in
 * PyTorch's order. In float32 exp and log are the Sleef ones of the exp/log kernels. */
static TnTensor *logsumexp_float(TnState *st, TnTensor *x, uint32_t mask, int nd, const int64_t *shape)
{
    TnTensor *m = op_reduce(st, RED_AMAX, x, mask, true, -1, 0);
    if (m) { /* m is a new contiguous tensor of x's dtype */
        int64_t n = tensor_numel(m);
        for (int64_t i = 0; i < n; i++) {
            if (m->dtype == DT_FLOAT32 && isinf(((float *)tensor_ptr(m))[i]))
                ((float *)tensor_ptr(m))[i] = 0;
            else if (m->dtype == DT_FLOAT64 && isinf(((double *)tensor_ptr(m))[i]))
                ((double *)tensor_ptr(m))[i] = 0;
        }
    }
    TnTensor *d = m ? op_sub(st, x, m) : NULL;
    TnTensor *e = d ? op_unary(st, UN_EXP, d) : NULL;
    TnTensor *s = e ? float_sum(st, e, RED_SUM, mask, x->dtype, nd, shape) : NULL;
    TnTensor *l = s ? op_unary(st, UN_LOG, s) : NULL;
    /* l and m hold the same elements in the same order (m only has extra size-1 dims) */
    TnTensor *mv = l ? op_view(st, m, nd, shape) : NULL;
    TnTensor *r = mv ? op_add(st, l, mv) : NULL;
    tn_obj_decref(m);
    tn_obj_decref(d);
    tn_obj_decref(e);
    tn_obj_decref(s);
    tn_obj_decref(l);
    tn_obj_decref(mv);
    return r;
}

TnTensor *op_reduce(TnState *st, TnReduceOp op, TnTensor *x, uint32_t mask, bool keepdim,
                    int dtype, double correction)
{
    TnDType cdt = DT_FLOAT64, odt = DT_FLOAT32;
    if (result_dtypes(st, op, x->dtype, dtype, &cdt, &odt) < 0)
        return NULL;
    uint32_t all = x->ndim >= 32 ? 0xffffffffu : (1u << x->ndim) - 1;
    mask &= all;
    int64_t shape[TN_MAX_DIMS];
    int nd = out_shape(x, mask, keepdim, shape);
    bool full = mask == all;
    if ((op == RED_SUM || op == RED_MEAN) && DT_IS_FLOAT(odt))
        return float_sum(st, x, op, mask, odt, nd, shape);
    if (op == RED_LOGSUMEXP && DT_IS_FLOAT(x->dtype) && odt == x->dtype && tensor_numel(x))
        return logsumexp_float(st, x, mask, nd, shape);
    int64_t outer, inner;
    /* empty-reduction rules */
    int64_t red = 1;
    for (int d = 0; d < x->ndim; d++)
        if (mask >> d & 1)
            red *= x->sizes[d];
    if (red == 0 && (op == RED_AMAX || op == RED_AMIN || op == RED_ARGMAX || op == RED_ARGMIN)) {
        if (full && (op == RED_ARGMAX || op == RED_ARGMIN))
            return tn_raise_ptr(st, tn_IndexError,
                                "%s(): Expected reduction dim to be specified for "
                                "input.numel() == 0.",
                                red_names[op]);
        for (int d = 0; d < x->ndim && !full; d++)
            if ((mask >> d & 1) && x->sizes[d] == 0)
                return tn_raise_ptr(st, tn_IndexError,
                                    "%s(): Expected reduction dim %d to have non-zero size.",
                                    red_names[op], d);
        return tn_raise_ptr(st, tn_RuntimeError,
                            "%s(): Expected reduction dim to be specified for input.numel() == "
                            "0. Specify the reduction dim with the 'dim' argument.",
                            red_names[op]);
    }
    TnTensor *rows = as_rows(st, x, mask, cdt == DT_BOOL ? DT_BOOL : cdt, &outer, &inner);
    if (!rows)
        return NULL;
    if (cdt == DT_BOOL) { /* all/any/count over floats: widen the bool rows to int64 */
        TnTensor *w = tensor_to(st, rows, DT_INT64);
        tn_obj_decref(rows);
        if (!(rows = w))
            return NULL;
        cdt = DT_INT64;
    }
    TnTensor *out = tensor_empty(st, odt, nd, shape);
    if (out) {
        RedJob j = {op, tensor_ptr(rows), tensor_ptr(out), cdt, odt, inner, correction};
        int64_t grain = inner > 0 ? (1 << 15) / inner + 1 : 1 << 15;
        if (!parallel_for_stoppable(outer, grain, red_rows, &j)) {
            tn_obj_decref(out);
            out = NULL;
            (void)tn_raise_interrupt(st);
        }
    }
    tn_obj_decref(rows);
    return out;
}

int op_max_dim(TnState *st, TnTensor *x, int64_t dim, bool keepdim, bool is_min,
               TnTensor **values, TnTensor **indices)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return -1;
    uint32_t mask = x->ndim ? 1u << d : 0;
    if (x->ndim && x->sizes[d] == 0)
        return tn_raise_int(st, tn_IndexError,
                            "%s(): Expected reduction dim %d to have non-zero size.",
                            is_min ? "min" : "max", d);
    *indices = op_reduce(st, is_min ? RED_ARGMIN : RED_ARGMAX, x, mask, keepdim, -1, 0);
    *values = *indices ? op_reduce(st, is_min ? RED_AMIN : RED_AMAX, x, mask, keepdim, -1, 0)
                       : NULL;
    if (!*values) {
        tn_obj_decref(*indices);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ scans */
/* A contiguous copy of x (dtype dt) with `dim` moved last, and its inverse perm. */
static TnTensor *dim_last(TnState *st, TnTensor *x, int d, TnDType dt)
{
    int64_t src = d, dst = -1;
    TnTensor *m = x->ndim ? op_movedim(st, x, 1, &src, &dst) : (tn_obj_incref(x), x);
    if (!m)
        return NULL;
    TnTensor *c = tensor_to(st, m, dt);
    tn_obj_decref(m);
    if (!c)
        return NULL;
    TnTensor *r = c->ndim && !tensor_is_contiguous(c) ? tensor_clone(st, c) : (tn_obj_incref(c), c);
    tn_obj_decref(c);
    return r;
}

/* Moves the last dim of a dim_last() result back to d, as a contiguous tensor. */
static TnTensor *dim_back(TnState *st, TnTensor *r, int d)
{
    if (r->ndim == 0 || d == r->ndim - 1)
        return r;
    int64_t src = -1, dst = d;
    TnTensor *m = op_movedim(st, r, 1, &src, &dst);
    tn_obj_decref(r);
    if (!m)
        return NULL;
    TnTensor *c = tensor_contiguous(st, m);
    tn_obj_decref(m);
    return c;
}

/* ---------------------------------------------------------- scan kernels */
/* Sum of n > 0 values as PyTorch's vec::reduce_all adds them: L lanes (one AVX2 vector: 8
 * floats, 4 doubles) accumulated in order, the tail added into the first lanes, then a fixed
 * tree over the lanes; rows shorter than a vector are added left to right. */
#define LANE_SUM(NAME, T, L)                                                                  \
    TN_KERNEL static T NAME(const T *x, int64_t n)                                            \
    {                                                                                         \
        if (n < L) {                                                                          \
            T s = x[0];                                                                       \
            for (int64_t i = 1; i < n; i++)                                                   \
                s += x[i];                                                                    \
            return s;                                                                         \
        }                                                                                     \
        T acc[L];                                                                             \
        for (int j = 0; j < L; j++)                                                           \
            acc[j] = x[j];                                                                    \
        int64_t d = L;                                                                        \
        for (; d < n - n % L; d += L)                                                         \
            for (int j = 0; j < L; j++)                                                       \
                acc[j] += x[d + j];                                                           \
        for (int j = 0; d + j < n; j++)                                                       \
            acc[j] += x[d + j];                                                               \
        return LANE_TREE_##L(acc);                                                            \
    }
#define LANE_TREE_4(a) (((a[0] + a[1]) + a[2]) + a[3]) /* AVX2 has no shuffle tree for double */
LANE_SUM(lane_sum_f64, double, 4)

/* One float64 row of softmax or log_softmax, as PyTorch's AVX2 kernels (4 doubles a vector).
 * Over the last dim: the max (NaN wins), Sleef's exp(x - max), reduce_all's lane-order sum, then
 * out * (1 / sum) or (x - max) - log(sum). Over another dim (the row is a column of the input):
 * a column below inner - inner % 4 is vectorised (Sleef's exp, NaN-keeping max), the others are
 * scalar (glibc's exp, std::max); the sum runs from 0 in order; softmax starts its max at x[0]
 * and divides, log_softmax starts at -inf (the scalar max then skips NaN). log_softmax takes
 * Sleef's log of every sum. */
static void softmax_f64(bool logsm, bool lastdim, bool sleef, const double *x, double *out, int64_t n)
{
    double m = lastdim || !logsm ? x[0] : -INFINITY;
    for (int64_t i = lastdim || !logsm ? 1 : 0; i < n; i++) {
        double v = x[i];
        if (lastdim || sleef)
            m = v > m || v != v ? v : m;
        else
            m = logsm ? (v > m ? v : m) : (m < v ? v : m);
    }
    for (int64_t i = 0; i < n; i++)
        out[i] = lastdim || sleef ? kv_exp(x[i] - m) : exp(x[i] - m);
    double s = 0;
    if (lastdim) {
        s = lane_sum_f64(out, n);
    } else {
        for (int64_t i = 0; i < n; i++)
            s += out[i];
    }
    if (logsm) {
        double ls = kv_log(s);
        for (int64_t i = 0; i < n; i++)
            out[i] = (x[i] - m) - ls;
    } else if (lastdim) {
        double inv = 1 / s;
        for (int64_t i = 0; i < n; i++)
            out[i] *= inv;
    } else {
        for (int64_t i = 0; i < n; i++)
            out[i] /= s;
    }
}

/* Running sums and products; floats accumulate in double (PyTorch's CPU acc_type), integers
 * in wrapping int64. */
#define CUM_ROW(NAME, T, ACC, ADD, MUL)                                                       \
    static void NAME(bool prod, const T *x, T *out, int64_t n)                                \
    {                                                                                         \
        ACC a = prod ? (ACC)1 : (ACC)0;                                                       \
        for (int64_t i = 0; i < n; i++) {                                                     \
            a = prod ? MUL(a, (ACC)x[i]) : ADD(a, (ACC)x[i]);                                 \
            out[i] = (T)a;                                                                    \
        }                                                                                     \
    }
#define F_ADD(a, b) ((a) + (b))
#define F_MUL(a, b) ((a) * (b))
#define U_ADD(a, b) ((a) + (b))
#define U_MUL(a, b) ((a) * (b))
CUM_ROW(cum_f32, float, double, F_ADD, F_MUL)
CUM_ROW(cum_f64, double, double, F_ADD, F_MUL)
CUM_ROW(cum_i64, int64_t, uint64_t, U_ADD, U_MUL)

typedef struct {
    TnScanOp op;
    TnDType dt;
    bool lastdim;
    const char *in;
    char *out;
    int64_t n, inner; /* inner: product of the sizes after the dim (softmax's column count) */
} ScanJob;

static void scan_rows(void *ctx, int64_t begin, int64_t end)
{
    const ScanJob *j = ctx;
    int64_t off = begin * j->n * DT_SIZE(j->dt);
    const char *in = j->in + off;
    char *out = j->out + off;
    bool soft = j->op == SCAN_SOFTMAX || j->op == SCAN_LOG_SOFTMAX;
    bool logsm = j->op == SCAN_LOG_SOFTMAX, prod = j->op == SCAN_CUMPROD;
    int64_t bytes = j->n * DT_SIZE(j->dt);
    for (int64_t r = begin; r < end; r++, in += bytes, out += bytes) {
        if (soft) /* float64: float32 has softmax_f32() */
            softmax_f64(logsm, j->lastdim, r % j->inner < j->inner - j->inner % 4, (const double *)in,
                        (double *)out, j->n);
        else if (j->dt == DT_FLOAT32)
            cum_f32(prod, (const float *)in, (float *)out, j->n);
        else if (j->dt == DT_FLOAT64)
            cum_f64(prod, (const double *)in, (double *)out, j->n);
        else
            cum_i64(prod, (const int64_t *)in, (int64_t *)out, j->n);
    }
}

/* float32 softmax and log_softmax (k_vmath.c) on a contiguous (outer, dim, inner) layout, in
 * place of the dim, so that a dim other than the last needs no transposing copies. Work is
 * split into (outer index, run of columns) tasks; a row of the last dim is a task of its own. */
typedef struct {
    bool logsm, lastdim;
    const float *in;
    float *out;
    int64_t dim, inner, col_tasks;
} SoftJob;

/* Columns per task: a multiple of 8, so the split never changes which columns are vectorised. */
#define SOFT_COLS KV_COLS

static void soft_rows(void *ctx, int64_t begin, int64_t end)
{
    const SoftJob *j = ctx;
    for (int64_t t = begin; t < end; t++) {
        if (j->lastdim) {
            kv_softmax_row(j->logsm, j->in + t * j->dim, j->out + t * j->dim, j->dim);
            continue;
        }
        int64_t o = t / j->col_tasks, c0 = t % j->col_tasks * SOFT_COLS;
        int64_t c1 = c0 + SOFT_COLS < j->inner ? c0 + SOFT_COLS : j->inner;
        const float *in = j->in + o * j->dim * j->inner;
        float *out = j->out + o * j->dim * j->inner;
        kv_softmax_cols(j->logsm, in, out, j->dim, j->inner, c0, c1);
    }
}

static TnTensor *softmax_f32(TnState *st, bool logsm, TnTensor *x, int d)
{
    TnTensor *in = tensor_to(st, x, DT_FLOAT32);
    TnTensor *c = in ? tensor_contiguous(st, in) : NULL;
    tn_obj_decref(in);
    TnTensor *r = c ? tensor_empty(st, DT_FLOAT32, c->ndim, c->sizes) : NULL;
    if (!r) {
        tn_obj_decref(c);
        return NULL;
    }
    int64_t numel = tensor_numel(r);
    SoftJob j = {logsm, c->ndim == 0 || d == c->ndim - 1, (const float *)tensor_ptr(c),
                 (float *)tensor_ptr(r), c->ndim ? c->sizes[d] : 1, 1, 1};
    for (int i = d + 1; i < c->ndim; i++)
        j.inner *= c->sizes[i];
    if (numel) {
        int64_t outer = numel / (j.dim * j.inner), tasks = outer;
        if (!j.lastdim) {
            j.col_tasks = (j.inner + SOFT_COLS - 1) / SOFT_COLS;
            tasks = outer * j.col_tasks;
        }
        int64_t per_task = j.dim * (j.inner < SOFT_COLS ? j.inner : SOFT_COLS);
        if (!parallel_for_stoppable(tasks, ITER_PARALLEL_GRAIN / per_task + 1, soft_rows, &j)) {
            tn_obj_decref(c);
            tn_obj_decref(r);
            (void)tn_raise_interrupt(st);
            return NULL;
        }
    }
    tn_obj_decref(c);
    return r;
}

TnTensor *op_scan(TnState *st, TnScanOp op, TnTensor *x, int64_t dim, int dtype)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return NULL;
    TnDType dt = dtype >= 0 ? (TnDType)dtype : x->dtype;
    if (op == SCAN_CUMSUM || op == SCAN_CUMPROD) {
        if (dtype < 0 && !DT_IS_FLOAT(dt))
            dt = DT_INT64;
        else if (dt == DT_BOOL || dt == DT_INT32)
            dt = DT_INT64; /* computed in int64, cast back below */
    } else if (!DT_IS_FLOAT(dt)) {
        /* PyTorch 1.13 names its kernel: a last-dim one per op, else the shared softmax one */
        bool last = x->ndim == 0 || d == x->ndim - 1;
        return tn_raise_ptr(st, tn_RuntimeError, "\"%s_kernel_impl\" not implemented for '%s'",
                            !last ? "softmax"
                            : op == SCAN_SOFTMAX ? "softmax_lastdim"
                                                 : "log_softmax_lastdim",
                            tn_dtype_info[dt].cname);
    }
    if (dt == DT_FLOAT32 && (op == SCAN_SOFTMAX || op == SCAN_LOG_SOFTMAX))
        return softmax_f32(st, op == SCAN_LOG_SOFTMAX, x, d);
    TnTensor *in = dim_last(st, x, d, dt);
    TnTensor *r = in ? tensor_empty(st, dt, in->ndim, in->sizes) : NULL;
    if (!r) {
        tn_obj_decref(in);
        return NULL;
    }
    int64_t n = r->ndim ? r->sizes[r->ndim - 1] : 1;
    int64_t rows = n ? tensor_numel(r) / n : 0;
    ScanJob j = {op, dt, x->ndim == 0 || d == x->ndim - 1, tensor_ptr(in), tensor_ptr(r), n, 1};
    for (int k = d + 1; k < x->ndim; k++)
        j.inner *= x->sizes[k];
    bool done = parallel_for_stoppable(rows, ITER_PARALLEL_GRAIN / (n ? n : 1) + 1, scan_rows, &j);
    tn_obj_decref(in);
    if (!done) {
        tn_obj_decref(r);
        (void)tn_raise_interrupt(st);
        return NULL;
    }
    r = dim_back(st, r, d);
    if (r && dtype >= 0 && r->dtype != (TnDType)dtype) {
        TnTensor *c = tensor_to(st, r, (TnDType)dtype);
        tn_obj_decref(r);
        r = c;
    }
    return r;
}

/* ---------------------------------------------------------------- sorting */
typedef struct {
    double v;
    int64_t i;
} Pair;

/* NaN sorts above everything (PyTorch puts NaNs last ascending, first descending). */
static bool pair_before(const Pair *a, const Pair *b, bool desc)
{
    bool an = a->v != a->v, bn = b->v != b->v;
    if (an || bn)
        return desc ? an && !bn : !an && bn;
    return desc ? a->v > b->v : a->v < b->v;
}

/* How a row is ordered: stable (merge sort), std::sort, or topk's selection. */
typedef enum { SORT_STABLE, SORT_STD, SORT_TOPK, SORT_TOPK_SORTED } SortHow;

/* Stable merge sort of n pairs using tmp. */
static void merge_sort(Pair *p, Pair *tmp, int64_t n, bool desc)
{
    if (n < 2)
        return;
    int64_t h = n / 2;
    merge_sort(p, tmp, h, desc);
    merge_sort(p + h, tmp, n - h, desc);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = pair_before(&p[j], &p[i], desc) ? p[j++] : p[i++];
    while (i < h)
        tmp[k++] = p[i++];
    while (j < n)
        tmp[k++] = p[j++];
    memcpy(p, tmp, sizeof(Pair) * (size_t)n);
}

/* The tie order of PyTorch's CPU sort and topk is that of the C++ standard library it
 * calls (std::sort, std::nth_element, std::partial_sort from libstdc++), so equal keys
 * come out in the same order only if the same algorithms run. What follows mirrors
 * libstdc++'s introsort/introselect/heap-select step for step. */
typedef struct {
    bool desc;
} PairCmp;

#define LESS(a, b) pair_before((a), (b), c->desc)
#define SORT_THRESHOLD 16

static void pair_swap(Pair *a, Pair *b)
{
    Pair t = *a;
    *a = *b;
    *b = t;
}

static void push_heap(Pair *f, int64_t hole, int64_t top, Pair v, const PairCmp *c)
{
    int64_t parent = (hole - 1) / 2;
    while (hole > top && LESS(&f[parent], &v)) {
        f[hole] = f[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    f[hole] = v;
}

static void adjust_heap(Pair *f, int64_t hole, int64_t len, Pair v, const PairCmp *c)
{
    int64_t top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (LESS(&f[child], &f[child - 1]))
            child--;
        f[hole] = f[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        f[hole] = f[child - 1];
        hole = child - 1;
    }
    push_heap(f, hole, top, v, c);
}

static void make_heap(Pair *f, int64_t len, const PairCmp *c)
{
    if (len < 2)
        return;
    for (int64_t parent = (len - 2) / 2;; parent--) {
        adjust_heap(f, parent, len, f[parent], c);
        if (parent == 0)
            return;
    }
}

static void pop_heap(Pair *f, int64_t len, Pair *result, const PairCmp *c)
{
    Pair v = *result;
    *result = f[0];
    adjust_heap(f, 0, len, v, c);
}

/* Heap-select the smallest `mid` of [0, n) into [0, mid) (std::__heap_select). */
static void heap_select(Pair *f, int64_t mid, int64_t n, const PairCmp *c)
{
    make_heap(f, mid, c);
    for (int64_t i = mid; i < n; i++)
        if (LESS(&f[i], &f[0]))
            pop_heap(f, mid, &f[i], c);
}

static void sort_heap(Pair *f, int64_t n, const PairCmp *c)
{
    while (n > 1) {
        n--;
        pop_heap(f, n, &f[n], c);
    }
}

static void move_median_to_first(Pair *r, Pair *a, Pair *b, Pair *m, const PairCmp *c)
{
    if (LESS(a, b)) {
        if (LESS(b, m))
            pair_swap(r, b);
        else if (LESS(a, m))
            pair_swap(r, m);
        else
            pair_swap(r, a);
    } else if (LESS(a, m)) {
        pair_swap(r, a);
    } else if (LESS(b, m)) {
        pair_swap(r, m);
    } else {
        pair_swap(r, b);
    }
}

/* Median-of-three pivot moved to f[0], then Hoare partition of [1, n); returns the cut. */
static int64_t partition_pivot(Pair *f, int64_t n, const PairCmp *c)
{
    move_median_to_first(&f[0], &f[1], &f[n / 2], &f[n - 1], c);
    int64_t lo = 1, hi = n;
    for (;;) {
        while (LESS(&f[lo], &f[0]))
            lo++;
        hi--;
        while (LESS(&f[0], &f[hi]))
            hi--;
        if (!(lo < hi))
            return lo;
        pair_swap(&f[lo], &f[hi]);
        lo++;
    }
}

static void linear_insert(Pair *f, int64_t i, const PairCmp *c)
{
    Pair v = f[i];
    while (LESS(&v, &f[i - 1])) {
        f[i] = f[i - 1];
        i--;
    }
    f[i] = v;
}

static void insertion_sort(Pair *f, int64_t n, const PairCmp *c)
{
    for (int64_t i = 1; i < n; i++) {
        if (LESS(&f[i], &f[0])) {
            Pair v = f[i];
            memmove(f + 1, f, sizeof(Pair) * (size_t)i);
            f[0] = v;
        } else {
            linear_insert(f, i, c);
        }
    }
}

static int64_t floor_log2(int64_t n)
{
    int64_t k = 0;
    while (n > 1) {
        n >>= 1;
        k++;
    }
    return k;
}

static void introsort_loop(Pair *f, int64_t n, int64_t depth, const PairCmp *c)
{
    while (n > SORT_THRESHOLD) {
        if (depth == 0) {
            heap_select(f, n, n, c);
            sort_heap(f, n, c);
            return;
        }
        depth--;
        int64_t cut = partition_pivot(f, n, c);
        introsort_loop(f + cut, n - cut, depth, c);
        n = cut;
    }
}

/* std::sort */
static void std_sort(Pair *f, int64_t n, const PairCmp *c)
{
    if (n < 2)
        return;
    introsort_loop(f, n, 2 * floor_log2(n), c);
    if (n > SORT_THRESHOLD) {
        insertion_sort(f, SORT_THRESHOLD, c);
        for (int64_t i = SORT_THRESHOLD; i < n; i++)
            linear_insert(f, i, c);
    } else {
        insertion_sort(f, n, c);
    }
}

/* std::nth_element(f, f + nth, f + n) */
static void std_nth_element(Pair *f, int64_t nth, int64_t n, const PairCmp *c)
{
    if (n == 0 || nth == n)
        return;
    int64_t depth = 2 * floor_log2(n);
    while (n > 3) {
        if (depth == 0) {
            heap_select(f, nth + 1, n, c);
            pair_swap(&f[0], &f[nth]);
            return;
        }
        depth--;
        int64_t cut = partition_pivot(f, n, c);
        if (cut <= nth) {
            f += cut;
            nth -= cut;
            n -= cut;
        } else {
            n = cut;
        }
    }
    insertion_sort(f, n, c);
}

/* PyTorch's topk row: partial_sort when k is small against n, else nth_element and
 * (if sorted) std::sort of the first k - 1. */
static void topk_row(Pair *f, int64_t n, int64_t k, bool sorted, const PairCmp *c)
{
    if (k == 0)
        return;
    if (k * 64 <= n) {
        heap_select(f, k, n, c);
        sort_heap(f, k, c);
    } else {
        std_nth_element(f, k - 1, n, c);
        if (sorted)
            std_sort(f, k - 1, c);
    }
}

#undef LESS

/* Sorts every row along dim and keeps the first k of each: values, indices. */
static int sort_k(TnState *st, TnTensor *x, int64_t dim, bool desc, int64_t k, SortHow how,
                  TnTensor **values, TnTensor **indices)
{
    PairCmp cmp = {desc};
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return -1;
    TnTensor *r = dim_last(st, x, d, DT_FLOAT64);
    if (!r)
        return -1;
    int64_t n = r->ndim ? r->sizes[r->ndim - 1] : 1;
    int64_t rows = n ? tensor_numel(r) / n : 0;
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, r->sizes, sizeof shape);
    if (r->ndim)
        shape[r->ndim - 1] = k;
    TnTensor *vals = tensor_empty(st, DT_FLOAT64, r->ndim, shape);
    TnTensor *idx = tensor_empty(st, DT_INT64, r->ndim, shape);
    Pair *p = tn_malloc(sizeof(Pair) * (size_t)(2 * n + 1));
    if (!vals || !idx || !p) {
        if (vals && idx)
            (void)tn_no_memory(st);
        tn_free(p);
        tn_obj_decref(vals);
        tn_obj_decref(idx);
        tn_obj_decref(r);
        return -1;
    }
    const double *in = (const double *)tensor_ptr(r);
    double *vo = (double *)tensor_ptr(vals);
    int64_t *io = (int64_t *)tensor_ptr(idx);
    for (int64_t row = 0; row < rows; row++) {
        for (int64_t i = 0; i < n; i++) {
            p[i].v = in[row * n + i];
            p[i].i = i;
        }
        if (how == SORT_STABLE)
            merge_sort(p, p + n, n, desc);
        else if (how == SORT_STD)
            std_sort(p, n, &cmp);
        else
            topk_row(p, n, k, how == SORT_TOPK_SORTED, &cmp);
        for (int64_t i = 0; i < k; i++) {
            vo[row * k + i] = p[i].v;
            io[row * k + i] = p[i].i;
        }
    }
    tn_free(p);
    tn_obj_decref(r);
    TnTensor *v2 = tensor_to(st, vals, x->dtype);
    tn_obj_decref(vals);
    v2 = v2 ? dim_back(st, v2, d) : NULL;
    idx = dim_back(st, idx, d);
    if (!v2 || !idx) {
        tn_obj_decref(v2);
        tn_obj_decref(idx);
        return -1;
    }
    *values = v2;
    *indices = idx;
    return 0;
}

int op_sort(TnState *st, TnTensor *x, int64_t dim, bool descending, bool stable,
            TnTensor **values, TnTensor **indices)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return -1;
    return sort_k(st, x, d, descending, x->ndim ? x->sizes[d] : 1,
                  stable ? SORT_STABLE : SORT_STD, values, indices);
}

int op_topk(TnState *st, TnTensor *x, int64_t k, int64_t dim, bool largest, bool sorted,
            TnTensor **values, TnTensor **indices)
{
    int d;
    if (tensor_wrap_dim(st, dim, x->ndim, &d) < 0)
        return -1;
    int64_t n = x->ndim ? x->sizes[d] : 1;
    if (k < 0 || k > n)
        return tn_raise_int(st, tn_RuntimeError, "selected index k out of range");
    return sort_k(st, x, d, largest, k, sorted ? SORT_TOPK_SORTED : SORT_TOPK, values, indices);
}
