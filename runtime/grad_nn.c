/* grad_nn.c: gradients of the norms (torch.linalg.vector_norm / matrix_norm / norm and
 * the deprecated torch.norm): one vector-norm formula over a set of dims. */
#include "grad.h"
#include "linalg.h"
#include <math.h>
#include <string.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)

/* arg[0]: dim mask, arg[1]: keepdim, arg[2]: p (an order PyTorch's matrix norms
 * reduce to a vector norm for), arg[3]: 1 when the order has no formula here. */
BW(vector_norm_backward)
{
    TnTensor *x = SAVED(n, 0), *r = SAVED(n, 1);
    if (!x || !r)
        return -1;
    if (ARG_I(n, 3))
        return tn_raise_int(st, tn_NotImplementedError, "%s: gradient of this norm order",
                            NODE_NAME(n));
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    bool kd = ARG_I(n, 1);
    double p = ARG_F(n, 2);
    TnTensor *gk = g_keepdim(st, gout[0], &m, mask, kd);
    TnTensor *rk = g_keepdim(st, r, &m, mask, kd);
    TnTensor *res = NULL;
    if (p == 0) {
        /* PyTorch's formula gives no gradient at all: .grad stays None */
        tn_obj_decref(gk);
        tn_obj_decref(rk);
        return 0;
    } else if (p == 1) {
        res = g_bin_s(st, BOP_MUL, g_un(st, UN_SGN, x), g_ref(gk));
    } else if (isinf(p)) {
        /* shared by the elements whose |x| is the norm */
        TnTensor *ax = g_un(st, UN_ABS, x);
        TnTensor *hit = g_bin(st, BOP_EQ, ax, rk);
        tn_obj_decref(ax);
        TnTensor *hf = hit ? tensor_to(st, hit, x->dtype) : NULL;
        tn_obj_decref(hit);
        TnTensor *cnt = g_sum_keep(st, hf, mask);
        TnTensor *share = g_bin_s(st, BOP_DIV, g_ref(gk), cnt);
        res = g_bin_s(st, BOP_MUL, g_bin_s(st, BOP_MUL, hf, share), g_un(st, UN_SGN, x));
    } else if (p == 2) {
        /* x / norm, 0 where the norm is 0 */
        TnTensor *q = g_bin(st, BOP_DIV, x, rk);
        TnTensor *z = g_bins(st, BOP_EQ, rk, 0.0);
        TnTensor *q0 = z && q ? op_where(st, z, ops_(0.0), opt_(q)) : NULL;
        tn_obj_decref(z);
        tn_obj_decref(q);
        res = g_bin_s(st, BOP_MUL, q0, g_ref(gk));
    } else {
        /* x |x|^(p-2) / norm^(p-1) */
        TnTensor *ax = g_un(st, UN_ABS, x);
        TnTensor *num = g_bin_s(st, BOP_MUL, g_ref(x), g_bins_s(st, BOP_POW, ax, p - 2));
        TnTensor *den = g_bins(st, BOP_POW, rk, p - 1);
        res = g_bin_s(st, BOP_MUL, g_bin_s(st, BOP_DIV, num, den), g_ref(gk));
    }
    tn_obj_decref(gk);
    tn_obj_decref(rk);
    gin[0] = res;
    return res ? 0 : -1;
}

/* Spreads g over the entries of s equal to their max (min when lo) along the dims in
 * `over`, evenly among ties, as amax's gradient does. s and g broadcast. */
static TnTensor *extreme_grad(TnState *st, TnTensor *s, TnTensor *g, uint32_t over, bool lo)
{
    TnTensor *e = op_reduce(st, lo ? RED_AMIN : RED_AMAX, s, over, true, -1, 0.0);
    TnTensor *hit = g_bin_s(st, BOP_EQ, g_ref(s), e);
    TnTensor *hf = hit ? tensor_to(st, hit, s->dtype) : NULL;
    tn_obj_decref(hit);
    TnTensor *cnt = g_sum_keep(st, hf, over);
    return g_bin_s(st, BOP_MUL, hf, g_bin_s(st, BOP_DIV, g_ref(g), cnt));
}

/* The matrix norms that are not entrywise, over dims d0, d1 (PyTorch's compositions):
 * +-1 / +-inf are the max (min) of the absolute column (row) sums; +-2 the max (min)
 * singular value; 'nuc' (stored as ord 0) the sum of the singular values.
 * arg[0]: dim mask, arg[1]: keepdim, arg[2]: ord, arg[3]: d0 * TN_MAX_DIMS + d1. */
BW(matrix_norm_backward)
{
    TnTensor *x = SAVED(n, 0);
    if (!x)
        return -1;
    TnMeta m;
    m.dtype = x->dtype;
    m.ndim = x->ndim;
    memcpy(m.sizes, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    uint32_t mask = (uint32_t)ARG_I(n, 0);
    double p = ARG_F(n, 2);
    int d0 = (int)(ARG_I(n, 3) / TN_MAX_DIMS), d1 = (int)(ARG_I(n, 3) % TN_MAX_DIMS);
    TnTensor *gk = g_keepdim(st, gout[0], &m, mask, ARG_I(n, 1));
    TnTensor *res = NULL;
    if (fabs(p) == 1 || isinf(p)) {
        int sd = fabs(p) == 1 ? d0 : d1; /* 1: column sums, inf: row sums */
        TnTensor *ax = g_un(st, UN_ABS, x);
        TnTensor *sums = g_sum_keep(st, ax, 1u << sd);
        tn_obj_decref(ax);
        TnTensor *gs = sums ? extreme_grad(st, sums, gk, mask, p < 0) : NULL;
        tn_obj_decref(sums);
        res = g_bin_s(st, BOP_MUL, g_un(st, UN_SGN, x), gs);
    } else {
        int64_t perm[TN_MAX_DIMS], inv[TN_MAX_DIMS];
        int k = 0;
        for (int d = 0; d < x->ndim; d++)
            if (d != d0 && d != d1) perm[k++] = d;
        perm[k++] = d0;
        perm[k] = d1;
        for (int d = 0; d < x->ndim; d++)
            inv[perm[d]] = d;
        TnTensor *xp = op_permute(st, x, x->ndim, perm);
        TnTensor *gp = gk ? op_permute(st, gk, x->ndim, perm) : NULL;
        TnTensor *g1 = gp ? op_squeeze(st, gp, false, -1) : NULL; /* (..., 1) */
        tn_obj_decref(gp);
        TnTensor *gs = NULL;
        if (p == 0) {
            gs = g_ref(g1);
        } else if (xp && g1) {
            TnTensor *sv = linalg_svdvals(st, xp);
            gs = sv ? extreme_grad(st, sv, g1, 1u << (sv->ndim - 1), p < 0) : NULL;
            tn_obj_decref(sv);
        }
        tn_obj_decref(g1);
        TnTensor *gxp = xp && gs ? grad_svd_backward(st, xp, gs) : NULL;
        tn_obj_decref(gs);
        tn_obj_decref(xp);
        res = gxp ? op_permute(st, gxp, x->ndim, inv) : NULL;
        tn_obj_decref(gxp);
    }
    tn_obj_decref(gk);
    gin[0] = res;
    return res ? 0 : -1;
}

static TN_NODE_KIND(LinalgVectorNormBackward0, "LinalgVectorNormBackward0", vector_norm_backward);
static TN_NODE_KIND(NormBackward1, "NormBackward1", vector_norm_backward);
static TN_NODE_KIND(AmaxNormBackward, "AmaxBackward0", matrix_norm_backward);
static TN_NODE_KIND(AminNormBackward, "AminBackward0", matrix_norm_backward);
static TN_NODE_KIND(SumNormBackward, "SumBackward1", matrix_norm_backward);
/* the singular-value norms with keepdim end with a permute back */
static TN_NODE_KIND(PermuteNormBackward, "PermuteBackward0", matrix_norm_backward);

/* An order: a number, 'fro', 'nuc', or None (dflt). Sets *matrix for orders only
 * matrix norms have. */
static double order(TnValue v, double dflt, bool *unsupported, bool *nuc)
{
    *nuc = false;
    if (IS_UNDEF(v) || IS_NONE(v))
        return dflt;
    if (IS_STR(v)) {
        if (!strcmp(AS_STR(v)->data, "fro"))
            return 2;
        *nuc = true;
        *unsupported = true;
        return 2;
    }
    return g_scalar(v, dflt);
}

static int save_norm(TnState *st, TnGradFn *n, TnTensor *x, TnValue r, uint32_t mask, bool kd,
                     double p, bool unsupported)
{
    autograd_save(n, 0, x);
    ARG_I(n, 0) = mask;
    ARG_I(n, 1) = kd;
    ARG_F(n, 2) = p;
    ARG_I(n, 3) = unsupported;
    return autograd_save_output(st, n, 1, AS_TENSOR(r));
}

static bool truthy(TnValue v)
{
    return !IS_UNDEF(v) && !IS_NONE(v) && tn_num_as_double(v) != 0;
}

/* params: x, ord, dim, keepdim */
static int rec_vector_norm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    bool uns = false, nuc;
    double p = order(a[1], 2, &uns, &nuc);
    return save_norm(st, n, x, r, g_dim_mask(a[2], x->ndim), truthy(a[3]), p, uns);
}

/* a matrix norm over dims d0, d1: Frobenius is the 2-norm of the entries; the others
 * get matrix_norm_backward's node, named after PyTorch's last op of the composition */
static int rec_matrix(TnState *st, TnGradFn *n, TnTensor *x, TnValue ord, TnValue dim, TnValue kd,
                      TnValue r)
{
    int64_t dims[2] = {-2, -1};
    if (!IS_UNDEF(dim) && !IS_NONE(dim))
        (void)g_int_list(dim, dims, 2);
    int d0 = g_wrap(dims[0], x->ndim), d1 = g_wrap(dims[1], x->ndim);
    uint32_t mask = (1u << d0) | (1u << d1);
    bool uns = false, nuc;
    double p = order(ord, 2, &uns, &nuc);
    bool numeric = !IS_STR(ord) && !IS_UNDEF(ord) && !IS_NONE(ord);
    if (!numeric && !nuc)
        return save_norm(st, n, x, r, mask, truthy(kd), p, false);
    TnNodeKind *kind = nuc ? &SumNormBackward : p < 0 ? &AminNormBackward : &AmaxNormBackward;
    if (truthy(kd) && (nuc || fabs(p) == 2))
        kind = &PermuteNormBackward;
    if (autograd_node_set_kind(st, n, kind) < 0 ||
        save_norm(st, n, x, r, mask, truthy(kd), nuc ? 0 : p, false) < 0)
        return -1;
    ARG_I(n, 3) = (int64_t)d0 * TN_MAX_DIMS + d1;
    return 0;
}

/* params: A, ord, dim, keepdim */
static int rec_matrix_norm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnValue ord = IS_UNDEF(a[1]) ? tn_undef() : a[1];
    return rec_matrix(st, n, AS_TENSOR(a[0]), ord, a[2], a[3], r);
}

/* linalg.norm: a vector norm unless dim has two entries or ord is a matrix order on
 * a 2-D input. */
static int rec_norm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    int64_t dims[TN_MAX_DIMS];
    int nd = IS_UNDEF(a[2]) || IS_NONE(a[2]) ? -1 : g_int_list(a[2], dims, TN_MAX_DIMS);
    bool given = !IS_UNDEF(a[1]) && !IS_NONE(a[1]);
    if (nd == 2 || (given && nd < 0 && x->ndim == 2))
        return rec_matrix(st, n, x, a[1], a[2], a[3], r);
    bool uns = false, nuc;
    double p = order(a[1], 2, &uns, &nuc);
    return save_norm(st, n, x, r, g_dim_mask(a[2], x->ndim), truthy(a[3]), p, uns);
}

/* torch.norm(input, p='fro', dim=None, keepdim=False): entrywise for 'fro', a matrix
 * norm for 'nuc' */
static int rec_torch_norm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnTensor *x = AS_TENSOR(a[0]);
    bool uns = false, nuc;
    double p = order(a[1], 2, &uns, &nuc);
    if (nuc)
        return rec_matrix(st, n, x, a[1], a[2], a[3], r);
    return save_norm(st, n, x, r, g_dim_mask(a[2], x->ndim), truthy(a[3]), p, uns);
}

const TnGradRow grad_nn_rows[] = {
    {"vector_norm", GW_LINALG, ",ord?,dim?,keepdim?", 1, &LinalgVectorNormBackward0, 2, 4,
     rec_vector_norm, 0},
    {"matrix_norm", GW_LINALG, ",ord?,dim?,keepdim?", 1, &LinalgVectorNormBackward0, 2, 4,
     rec_matrix_norm, 0},
    {"norm", GW_LINALG, ",ord?,dim?,keepdim?", 1, &LinalgVectorNormBackward0, 2, 4, rec_norm, 0},
    {"norm", GW_TORCH | GW_METHOD, ",p?,dim?,keepdim?", 1, &NormBackward1, 2, 4, rec_torch_norm,
     0},
    {NULL},
};
