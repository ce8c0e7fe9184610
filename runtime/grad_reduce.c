/* grad_reduce.c: gradients of reductions (sum, mean, prod, max/min, amax/amin, std/var,
 * logsumexp), scans (cumsum, cumprod, softmax, log_softmax) and sort/topk. A reduced
 * gradient is reshaped to the keepdim form and expanded back to the input. */
#include "grad.h"
#include <string.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)

/* arg[0]: dim mask, arg[1]: keepdim — the common parameters of reductions. */
static int rec_dims(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    ARG_I(n, 0) = g_dim_mask(a[1], x->ndim);
    ARG_I(n, 1) = autograd_requires(a[0]) && !IS_UNDEF(a[2]) && tn_num_as_double(a[2]) != 0;
    return 0;
}

static int64_t reduced_count(const TnMeta *m, uint32_t mask)
{
    int64_t c = 1;
    for (int d = 0; d < m->ndim; d++)
        if ((mask >> d) & 1)
            c *= m->sizes[d];
    return c;
}

BW(sum_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    gin[0] = g_expand_reduced(st, gout[0], m, (uint32_t)ARG_I(n, 0), ARG_I(n, 1));
    return gin[0] ? 0 : -1;
}

BW(mean_backward)
{
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    TnTensor *e = g_expand_reduced(st, gout[0], m, mask, ARG_I(n, 1));
    gin[0] = g_bins_s(st, BOP_DIV, e, (double)reduced_count(m, mask));
    return gin[0] ? 0 : -1;
}

static TN_NODE_KIND(SumBackward0, "SumBackward0", sum_backward);
static TN_NODE_KIND(SumBackward1, "SumBackward1", sum_backward);
static TN_NODE_KIND(MeanBackward0, "MeanBackward0", mean_backward);
static TN_NODE_KIND(MeanBackward1, "MeanBackward1", mean_backward);

static bool dim_given(TnValue dim)
{
    return !IS_UNDEF(dim) && !IS_NONE(dim);
}

static int rec_sum(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (dim_given(a[1]) && autograd_node_set_kind(st, n, &SumBackward1) < 0)
        return -1;
    return rec_dims(st, n, a, r);
}

static int rec_mean(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (dim_given(a[1]) && autograd_node_set_kind(st, n, &MeanBackward1) < 0)
        return -1;
    return rec_dims(st, n, a, r);
}

/* prod: the product of all the other elements, as exclusive cumulative products
 * from both ends, which stays right when inputs are zero. */
static TnTensor *exclusive_cumprod(TnState *st, TnTensor *x, int d)
{
    TnTensor *c = op_scan(st, SCAN_CUMPROD, x, d, -1);
    if (!c)
        return NULL;
    int64_t len = x->sizes[d];
    TnTensor *head = op_narrow(st, c, d, 0, len - 1);
    tn_obj_decref(c);
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    shape[d] = 1;
    TnTensor *one = tensor_full(st, x->dtype, x->ndim, shape, tn_int(1));
    TnTensor *parts[2] = {one, head};
    TnTensor *r = one && head ? op_cat(st, parts, 2, d) : NULL;
    tn_obj_decref(one);
    tn_obj_decref(head);
    return r;
}

static TnTensor *prod_others(TnState *st, TnTensor *x, int d)
{
    int64_t dd = d;
    TnTensor *left = exclusive_cumprod(st, x, d);
    TnTensor *fx = op_flip(st, x, 1, &dd);
    TnTensor *rr = fx ? exclusive_cumprod(st, fx, d) : NULL;
    TnTensor *right = rr ? op_flip(st, rr, 1, &dd) : NULL;
    tn_obj_decref(fx);
    tn_obj_decref(rr);
    return g_bin_s(st, BOP_MUL, left, right);
}

BW(prod_backward)
{
    TnTensor *x = SAVED(n, 0);
    if (!x)
        return -1;
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    TnTensor *others;
    if (x->ndim == 0) {
        others = tensor_full(st, x->dtype, 0, NULL, tn_int(1));
    } else if (__builtin_popcount(mask) == 1) {
        others = prod_others(st, x, __builtin_ctz(mask));
    } else {
        int64_t numel = tensor_numel(x);
        TnTensor *flat = op_reshape(st, x, 1, &numel);
        TnTensor *po = flat ? prod_others(st, flat, 0) : NULL;
        others = po ? op_reshape(st, po, x->ndim, x->sizes) : NULL;
        tn_obj_decref(flat);
        tn_obj_decref(po);
    }
    TnTensor *e = g_expand_reduced(st, gout[0], &m, mask, ARG_I(n, 1));
    gin[0] = g_bin_s(st, BOP_MUL, e, others);
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(ProdBackward0, "ProdBackward0", prod_backward);
static TN_NODE_KIND(ProdBackward1, "ProdBackward1", prod_backward);

static int rec_prod(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (dim_given(a[1]) && autograd_node_set_kind(st, n, &ProdBackward1) < 0)
        return -1;
    autograd_save(n, 0, AS_TENSOR(a[0]));
    return rec_dims(st, n, a, r);
}

/* amax/amin and full max/min: the gradient is shared evenly by the extremal elements. */
BW(amax_backward)
{
    TnTensor *x = SAVED(n, 0), *r = SAVED(n, 1);
    if (!x || !r)
        return -1;
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    bool kd = ARG_I(n, 1);
    TnTensor *rk = g_keepdim(st, r, &m, mask, kd);
    TnTensor *hit = g_bin_s(st, BOP_EQ, g_ref(x), rk);
    TnTensor *hitf = hit ? tensor_to(st, hit, x->dtype) : NULL;
    tn_obj_decref(hit);
    TnTensor *cnt = g_sum_keep(st, hitf, mask);
    TnTensor *gk = g_keepdim(st, gout[0], &m, mask, kd);
    TnTensor *share = g_bin_s(st, BOP_DIV, gk, cnt);
    gin[0] = g_bin_s(st, BOP_MUL, hitf, share);
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(AmaxBackward0, "AmaxBackward0", amax_backward);
static TN_NODE_KIND(AminBackward0, "AminBackward0", amax_backward);
static TN_NODE_KIND(MaxBackward1, "MaxBackward1", amax_backward);
static TN_NODE_KIND(MinBackward1, "MinBackward1", amax_backward);

static int rec_amax(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    if (autograd_save_output(st, n, 1, AS_TENSOR(r)) < 0)
        return -1;
    return rec_dims(st, n, a, r);
}

/* max/min along a dim, sort, topk: the gradient goes back to where the values came
 * from (indices along the dim). */
BW(select_values_backward)
{
    TnTensor *idx = SAVED(n, 0);
    if (!idx)
        return -1;
    TnMeta tmp;
    const TnMeta *m = IN_META(n, 0, &tmp);
    int d = (int)ARG_I(n, 0);
    bool kd = ARG_I(n, 1);
    TnTensor *g = g_ref(gout[0]), *i = g_ref(idx);
    if (!kd && m->ndim > 0) {
        TnTensor *g2 = op_unsqueeze(st, g, d), *i2 = op_unsqueeze(st, i, d);
        tn_obj_decref(g);
        tn_obj_decref(i);
        g = g2;
        i = i2;
    }
    TnTensor *z = g && i ? g_zeros_meta(st, m, g->dtype) : NULL;
    gin[0] = z && m->ndim ? op_scatter(st, z, d, i, opt_(g), true, false) : g_ref(g);
    tn_obj_decref(z);
    tn_obj_decref(g);
    tn_obj_decref(i);
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(MaxBackward0, "MaxBackward0", select_values_backward);
static TN_NODE_KIND(MinBackward0, "MinBackward0", select_values_backward);
static TN_NODE_KIND(SortBackward0, "SortBackward0", select_values_backward);
static TN_NODE_KIND(TopkBackward0, "TopkBackward0", select_values_backward);

static int save_indices(TnState *st, TnGradFn *n, TnValue r, int64_t dim, bool keepdim, int ndim)
{
    TnValue *items;
    int64_t cnt;
    if (!grad_result_items(&r, &items, &cnt) || cnt < 2 || !IS_TENSOR(items[1]))
        return tn_raise_int(st, tn_RuntimeError, "%s: expected (values, indices)", NODE_NAME(n));
    autograd_save(n, 0, AS_TENSOR(items[1]));
    ARG_I(n, 0) = g_wrap(dim, ndim);
    ARG_I(n, 1) = keepdim;
    return 0;
}

/* max(input) / max(input, dim) / max(input, other) share one binding. */
static int rec_maxmin(TnState *st, TnGradFn *n, const TnValue *a, TnValue r, bool is_min)
{
    TnTensor *x = AS_TENSOR(a[0]);
    if (IS_TENSOR(a[1])) {
        if (autograd_node_set_kind(st, n, is_min ? &grad_MinimumBackward0
                                                 : &grad_MaximumBackward0) < 0)
            return -1;
        autograd_save(n, 0, x);
        autograd_save(n, 1, AS_TENSOR(a[1]));
        return 0;
    }
    if (!dim_given(a[1])) {
        if (autograd_node_set_kind(st, n, is_min ? &MinBackward1 : &MaxBackward1) < 0)
            return -1;
        autograd_save(n, 0, x);
        ARG_I(n, 0) = g_dim_mask(tn_none(), x->ndim);
        ARG_I(n, 1) = 0;
        return autograd_save_output(st, n, 1, AS_TENSOR(r));
    }
    return save_indices(st, n, r, a[1].u.i, !IS_UNDEF(a[2]) && tn_num_as_double(a[2]) != 0,
                        x->ndim);
}
static int rec_max(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_maxmin(st, n, a, r, false);
}
static int rec_min(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_maxmin(st, n, a, r, true);
}

static int rec_sort(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int64_t dim = IS_INTLIKE(a[1]) ? a[1].u.i : -1;
    return save_indices(st, n, r, dim, true, AS_TENSOR(a[0])->ndim);
}

/* var/std: (x - mean) scaled by 2/(N - correction), divided by 2 std for std. */
static int var_like(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin, bool is_std)
{
    TnTensor *x = SAVED(n, 0), *r = is_std ? SAVED(n, 1) : NULL;
    if (!x || (is_std && !r))
        return -1;
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    bool kd = ARG_I(n, 1);
    double denom = (double)reduced_count(&m, mask) - ARG_F(n, 2);
    TnTensor *mean = op_reduce(st, RED_MEAN, x, mask, true, -1, 0.0);
    TnTensor *dx = g_bin_sa(st, BOP_SUB, g_ref(x), mean);
    tn_obj_decref(mean);
    TnTensor *gk = g_keepdim(st, gout[0], &m, mask, kd);
    if (is_std) {
        TnTensor *rk = g_keepdim(st, r, &m, mask, kd);
        gk = g_bin_s(st, BOP_DIV, gk, rk);
        gin[0] = g_bins_s(st, BOP_MUL, g_bin_s(st, BOP_MUL, dx, gk), 1.0 / denom);
    } else {
        gin[0] = g_bins_s(st, BOP_MUL, g_bin_s(st, BOP_MUL, dx, gk), 2.0 / denom);
    }
    return gin[0] ? 0 : -1;
}
BW(var_backward)
{
    return var_like(st, n, gout, gin, false);
}
BW(std_backward)
{
    return var_like(st, n, gout, gin, true);
}
static TN_NODE_KIND(VarBackward0, "VarBackward0", var_backward);
static TN_NODE_KIND(StdBackward0, "StdBackward0", std_backward);

/* params: input, dim, unbiased, keepdim, correction (dim may be the unbiased bool) */
static int rec_var(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    TnValue dim = a[1], unb = a[2];
    if (IS_BOOL(dim)) {
        unb = dim;
        dim = tn_none();
    }
    double corr = 1;
    if (!IS_UNDEF(a[4]) && !IS_NONE(a[4]))
        corr = g_scalar(a[4], 1);
    else if (IS_BOOL(unb))
        corr = unb.u.i ? 1 : 0;
    autograd_save(n, 0, x);
    ARG_I(n, 0) = g_dim_mask(dim, x->ndim);
    ARG_I(n, 1) = !IS_UNDEF(a[3]) && tn_num_as_double(a[3]) != 0;
    ARG_F(n, 2) = corr;
    return NODE_KIND(n)->backward == std_backward ? autograd_save_output(st, n, 1, AS_TENSOR(r))
                                                  : 0;
}

BW(logsumexp_backward)
{
    TnTensor *x = SAVED(n, 0), *r = SAVED(n, 1);
    if (!x || !r)
        return -1;
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    bool kd = ARG_I(n, 1);
    TnTensor *rk = g_keepdim(st, r, &m, mask, kd);
    TnTensor *p = g_un_s(st, UN_EXP, g_bin_s(st, BOP_SUB, g_ref(x), rk));
    gin[0] = g_bin_s(st, BOP_MUL, p, g_keepdim(st, gout[0], &m, mask, kd));
    return gin[0] ? 0 : -1;
}
static TN_NODE_KIND(LogsumexpBackward0, "LogsumexpBackward0", logsumexp_backward);

static int rec_logsumexp(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    if (autograd_save_output(st, n, 1, AS_TENSOR(r)) < 0)
        return -1;
    return rec_dims(st, n, a, r);
}

/* ------------------------------------------------------------------ scans */

static int rec_scan(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_I(n, 0) = g_wrap(IS_INTLIKE(a[1]) ? a[1].u.i : 0, AS_TENSOR(a[0])->ndim);
    if (n->nsaved > 0 && autograd_save_output(st, n, 0, AS_TENSOR(r)) < 0)
        return -1;
    if (n->nsaved > 1)
        autograd_save(n, 1, AS_TENSOR(a[0]));
    return 0;
}

/* reverse cumulative sum along d */
static TnTensor *rev_cumsum(TnState *st, TnTensor *g, int d)
{
    if (!g)
        return NULL;
    if (g->ndim == 0)
        return g_ref(g);
    int64_t dd = d;
    TnTensor *f = op_flip(st, g, 1, &dd);
    TnTensor *c = f ? op_scan(st, SCAN_CUMSUM, f, d, -1) : NULL;
    TnTensor *r = c ? op_flip(st, c, 1, &dd) : NULL;
    tn_obj_decref(f);
    tn_obj_decref(c);
    return r;
}

BW(cumsum_backward)
{
    gin[0] = rev_cumsum(st, gout[0], (int)ARG_I(n, 0));
    return gin[0] ? 0 : -1;
}

/* Where x has zeros, sum_{j>=i} g_j r_j / x_i only holds before the first zero of
 * each slice. At the first zero z the gradient is sum_{j>=z} g_j prod_{k<=j,k!=z} x_k,
 * which is the reverse cumsum of g * cumprod(x with x_z = 1); after it, every
 * product has the zero in it and the gradient is 0. */
static TnTensor *cumprod_zero_fix(TnState *st, TnTensor *g, TnTensor *x, TnTensor *formula,
                                  int d)
{
    TnTensor *iz = g_bins(st, BOP_EQ, x, 0.0);
    TnTensor *cnt = iz ? op_scan(st, SCAN_CUMSUM, iz, d, -1) : NULL;
    TnTensor *before = g_bins(st, BOP_EQ, cnt, 0.0);
    TnTensor *one = g_bins_s(st, BOP_EQ, cnt, 1.0);
    TnTensor *first = g_bin_s(st, BOP_LAND, iz, one);
    TnTensor *y = first ? op_where(st, first, ops_(1.0), opt_(x)) : NULL;
    TnTensor *cy = y ? op_scan(st, SCAN_CUMPROD, y, d, -1) : NULL;
    tn_obj_decref(y);
    TnTensor *gcy = g_bin_s(st, BOP_MUL, g_ref(g), cy);
    TnTensor *at = rev_cumsum(st, gcy, d);
    tn_obj_decref(gcy);
    TnTensor *z = at ? op_where(st, first, opt_(at), ops_(0.0)) : NULL;
    TnTensor *res = z ? op_where(st, before, opt_(formula), opt_(z)) : NULL;
    tn_obj_decref(at);
    tn_obj_decref(z);
    tn_obj_decref(first);
    tn_obj_decref(before);
    return res;
}

/* d/dx_i of cumprod: sum_{j>=i} g_j r_j / x_i, fixed up where x has zeros */
BW(cumprod_backward)
{
    TnTensor *r = SAVED(n, 0), *x = SAVED(n, 1);
    if (!r || !x)
        return -1;
    int d = (int)ARG_I(n, 0);
    TnTensor *gr = g_bin(st, BOP_MUL, gout[0], r);
    TnTensor *s = rev_cumsum(st, gr, d);
    tn_obj_decref(gr);
    TnTensor *f = s ? g_bin(st, BOP_DIV, s, x) : NULL;
    tn_obj_decref(s);
    if (!f)
        return -1;
    /* the common case (no zeros) needs no fix-up */
    TnTensor *zero = g_bins(st, BOP_EQ, x, 0.0);
    TnTensor *anyz = zero ? op_reduce(st, RED_ANY, zero, g_dim_mask(tn_undef(), zero->ndim), false,
                                      -1, 0.0)
                          : NULL;
    tn_obj_decref(zero);
    int has_zero = anyz ? tn_truthy(st, tensor_get_flat(anyz, 0)) : -1;
    tn_obj_decref(anyz);
    if (has_zero <= 0) {
        if (has_zero < 0)
            tn_obj_decref(f);
        gin[0] = has_zero < 0 ? NULL : f;
        return gin[0] ? 0 : -1;
    }
    gin[0] = cumprod_zero_fix(st, gout[0], x, f, d);
    tn_obj_decref(f);
    return gin[0] ? 0 : -1;
}

BW(softmax_backward)
{
    TnTensor *y = SAVED(n, 0);
    if (!y)
        return -1;
    int d = (int)ARG_I(n, 0);
    uint32_t mask = y->ndim ? 1u << d : 0;
    TnTensor *gy = g_bin(st, BOP_MUL, gout[0], y);
    TnTensor *s = g_sum_keep(st, gy, mask);
    tn_obj_decref(gy);
    TnTensor *diff = g_bin_sa(st, BOP_SUB, g_ref(gout[0]), s);
    tn_obj_decref(s);
    gin[0] = g_bin_sa(st, BOP_MUL, diff, y);
    return gin[0] ? 0 : -1;
}

BW(log_softmax_backward)
{
    TnTensor *y = SAVED(n, 0);
    if (!y)
        return -1;
    int d = (int)ARG_I(n, 0);
    uint32_t mask = y->ndim ? 1u << d : 0;
    TnTensor *s = g_sum_keep(st, gout[0], mask);
    TnTensor *p = g_un(st, UN_EXP, y);
    TnTensor *ps = g_bin_s(st, BOP_MUL, p, s);
    gin[0] = g_bin_s(st, BOP_SUB, g_ref(gout[0]), ps);
    return gin[0] ? 0 : -1;
}

static TN_NODE_KIND(CumsumBackward0, "CumsumBackward0", cumsum_backward);
static TN_NODE_KIND(CumprodBackward0, "CumprodBackward0", cumprod_backward);
TN_NODE_KIND(grad_SoftmaxBackward0, "SoftmaxBackward0", softmax_backward);
TN_NODE_KIND(grad_LogSoftmaxBackward0, "LogSoftmaxBackward0", log_softmax_backward);

#define RED (GW_TORCH | GW_METHOD)
const TnGradRow grad_reduce_rows[] = {
    {"sum", RED, ",dim,keepdim", 1, &SumBackward0, 0, 2, rec_sum, 0},
    {"mean", RED, ",dim,keepdim", 1, &MeanBackward0, 0, 2, rec_mean, 0},
    {"prod", RED, ",dim,keepdim", 1, &ProdBackward0, 1, 2, rec_prod, 0},
    {"amax", RED, ",dim,keepdim", 1, &AmaxBackward0, 2, 2, rec_amax, 0},
    {"amin", RED, ",dim,keepdim", 1, &AminBackward0, 2, 2, rec_amax, 0},
    {"max", RED, ",dim,keepdim", 2, &MaxBackward0, 2, 2, rec_max, 0},
    {"min", RED, ",dim,keepdim", 2, &MinBackward0, 2, 2, rec_min, 0},
    {"sort", RED, ",dim", 1, &SortBackward0, 1, 2, rec_sort, 0},
    {"topk", RED, ",dim", 1, &TopkBackward0, 1, 2, rec_sort, 0},
    {"var", RED, ",dim,unbiased,keepdim,correction", 1, &VarBackward0, 1, 3, rec_var, 0},
    {"std", RED, ",dim,unbiased,keepdim,correction", 1, &StdBackward0, 2, 3, rec_var, 0},
    {"logsumexp", RED, ",dim,keepdim", 1, &LogsumexpBackward0, 2, 2, rec_logsumexp, 0},
    {"cumsum", RED, ",dim", 1, &CumsumBackward0, 0, 1, rec_scan, 0},
    {"cumprod", RED, ",dim", 1, &CumprodBackward0, 2, 1, rec_scan, 0},
    {"softmax", RED | GW_F, ",dim", 1, &grad_SoftmaxBackward0, 1, 1, rec_scan, 0},
    {"log_softmax", RED | GW_F, ",dim", 1, &grad_LogSoftmaxBackward0, 1, 1, rec_scan, 0},
    {NULL},
};
