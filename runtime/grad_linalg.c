/* grad_linalg.c: gradients of torch.linalg's det, inv, solve and svdvals (the
 * formulas of derivatives.yaml for invertible matrices and distinct singular
 * values), and the singular-value step the spectral and nuclear norms share. */
#include "grad.h"
#include "linalg.h"

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)

static TnTensor *mT_s(TnState *st, TnTensor *t) /* steals t */
{
    TnTensor *r = t ? op_transpose(st, t, -2, -1) : NULL;
    tn_obj_decref(t);
    return r;
}

static TnTensor *matmul_s(TnState *st, TnTensor *a, TnTensor *b) /* steals both */
{
    TnTensor *r = a && b ? op_matmul(st, a, b) : NULL;
    tn_obj_decref(a);
    tn_obj_decref(b);
    return r;
}

static TnTensor *unsq_s(TnState *st, TnTensor *t, int64_t d) /* steals t */
{
    TnTensor *r = t ? op_unsqueeze(st, t, d) : NULL;
    tn_obj_decref(t);
    return r;
}

TnTensor *grad_svd_backward(TnState *st, TnTensor *a, TnTensor *gs)
{
    TnTensor *u, *s, *vh;
    if (linalg_svd(st, a, &u, &s, &vh) < 0) return NULL;
    tn_obj_decref(s);
    /* U diag(gS) Vh: scale U's columns, then multiply */
    TnTensor *scaled = g_bin_s(st, BOP_MUL, u, unsq_s(st, g_ref(gs), -2));
    return matmul_s(st, scaled, vh);
}

/* det: g * det(A) * A^-T (under create_graph from A^-1, invertible A only) */
BW(det_backward)
{
    TnTensor *a = SAVED(n, 0), *d = SAVED(n, 1);
    if (!a || !d) return -1;
    if (!autograd_graph_flag) {
        TnTensor *gd = g_bin(st, BOP_MUL, gout[0], d);
        gin[0] = gd ? linalg_det_backward(st, a, gd) : NULL;
        tn_obj_decref(gd);
        return gin[0] ? 0 : -1;
    }
    TnTensor *inv = linalg_inv(st, a);
    TnTensor *gd = unsq_s(st, unsq_s(st, g_bin(st, BOP_MUL, gout[0], d), -1), -1);
    gin[0] = g_bin_s(st, BOP_MUL, gd, mT_s(st, inv));
    return gin[0] ? 0 : -1;
}

/* inv: -A^-T g A^-T, with A^-1 the saved result */
BW(inv_backward)
{
    TnTensor *r = SAVED(n, 0);
    if (!r) return -1;
    TnTensor *rt = op_transpose(st, r, -2, -1);
    TnTensor *p = matmul_s(st, matmul_s(st, g_ref(rt), g_ref(gout[0])), rt);
    gin[0] = g_un_s(st, UN_NEG, p);
    return gin[0] ? 0 : -1;
}

/* X = solve(A, B): gB = solve(A^T, g), gA = -gB X^T (outer products for vector B) */
BW(solve_backward)
{
    TnTensor *a = SAVED(n, 0), *x = SAVED(n, 1);
    if (!a || !x) return -1;
    TnTensor *at = op_transpose(st, a, -2, -1);
    TnTensor *gb = at ? linalg_solve(st, at, gout[0]) : NULL;
    tn_obj_decref(at);
    if (!gb) return -1;
    if (NEEDS(n, 0)) {
        bool vec = x->ndim == a->ndim - 1;
        TnTensor *l = vec ? unsq_s(st, g_ref(gb), -1) : g_ref(gb);
        TnTensor *r = vec ? unsq_s(st, g_ref(x), -2) : mT_s(st, g_ref(x));
        gin[0] = g_un_s(st, UN_NEG, matmul_s(st, l, r));
        if (!gin[0]) {
            tn_obj_decref(gb);
            return -1;
        }
    }
    if (NEEDS(n, 1))
        gin[1] = gb;
    else
        tn_obj_decref(gb);
    return 0;
}

BW(svdvals_backward)
{
    TnTensor *a = SAVED(n, 0);
    if (!a) return -1;
    gin[0] = grad_svd_backward(st, a, gout[0]);
    return gin[0] ? 0 : -1;
}

static TN_NODE_KIND(LinalgDetBackward0, "LinalgDetBackward0", det_backward);
static TN_NODE_KIND(LinalgInvExBackward0, "LinalgInvExBackward0", inv_backward);
static TN_NODE_KIND(LinalgSolveExBackward0, "LinalgSolveExBackward0", solve_backward);
static TN_NODE_KIND(LinalgSvdBackward0, "LinalgSvdBackward0", svdvals_backward);

/* saves input 0, then the result */
static int rec_input_result(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    return n->nsaved > 1 ? autograd_save_output(st, n, 1, AS_TENSOR(r)) : 0;
}

static int rec_result(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return autograd_save_output(st, n, 0, AS_TENSOR(r));
}

#define TLM (GW_TORCH | GW_LINALG | GW_METHOD)
const TnGradRow grad_linalg_rows[] = {
    {"det",                TLM, "", 1, &LinalgDetBackward0, 2, 0, rec_input_result, 0},
    {"inv",                  GW_LINALG, "", 1, &LinalgInvExBackward0, 1, 0, rec_result, 0},
    {"inverse", GW_TORCH | GW_METHOD, "", 1, &LinalgInvExBackward0, 1, 0, rec_result, 0},
    {"solve",                   GW_LINALG, ",B", 2, &LinalgSolveExBackward0, 2, 0, rec_input_result, 0},
    {"svdvals",                   GW_LINALG, "", 1, &LinalgSvdBackward0, 1, 0, rec_input_result, 0},
    {NULL               },
};
