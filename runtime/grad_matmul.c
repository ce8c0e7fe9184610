/* grad_matmul.c: gradients of the matrix products (mm, bmm, matmul, mv, dot, outer,
 * addmm, @) and of einsum. Products' gradients are products again (op_matmul, so
 * BLIS): dA = dC @ B^T, dB = A^T @ dC, with 1-D operands lifted to matrices and
 * broadcast batch dims left for the engine to sum. */
#include "grad.h"
#include "linalg.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)

static TnTensor *mT(TnState *st, TnTensor *t)
{
    return t ? g_transpose(st, t, -2, -1) : NULL;
}

/* A 2-D matrix laid out by columns (strides 1, rows) and not also by rows. */
static bool column_major(const TnTensor *t)
{
    return t->ndim == 2 && t->sizes[0] > 1 && t->sizes[1] > 1 && t->strides[0] == 1 &&
           t->strides[1] == t->sizes[0];
}

static TnTensor *g_mv(TnState *st, TnTensor *m, TnTensor *v)
{
    if (!autograd_graph_flag || (!m->requires_grad && !v->requires_grad))
        return op_mv(st, m, v);
    TnValue arg = tn_obj(v);
    return g_method(st, m, "mv", &arg, 1);
}

/* Matrix @ vector under create_graph: recorded as PyTorch's formulas are, g outer b
 * and a^T mv g, so the gradients' nodes have its names. */
static int mv_graph_grads(TnState *st, TnGradFn *n, TnTensor *a, TnTensor *b, TnTensor *g,
                          int ia, int ib, TnTensor **gin)
{
    TnValue arg = tn_obj(b);
    if (NEEDS(n, ia) && !(gin[ia] = g_method(st, g, "outer", &arg, 1)))
        return -1;
    if (NEEDS(n, ib)) {
        TnTensor *at = g_t(st, a);
        arg = tn_obj(g);
        gin[ib] = at ? g_method(st, at, "mv", &arg, 1) : NULL;
        tn_obj_decref(at);
        if (!gin[ib])
            return -1;
    }
    return 0;
}

/* dA, dB of C = A @ B for any matmul-compatible A, B; alpha scales both. */
static int matmul_grads(TnState *st, TnGradFn *n, TnTensor *a, TnTensor *b, TnTensor *g,
                        int ia, int ib, double alpha, TnTensor **gin)
{
    if (autograd_graph_flag && a->ndim == 2 && b->ndim == 1 && alpha == 1)
        return mv_graph_grads(st, n, a, b, g, ia, ib, gin);
    bool a1 = a->ndim == 1, b1 = b->ndim == 1;
    TnTensor *A = a1 ? g_unsqueeze(st, a, 0) : g_ref(a);
    TnTensor *B = b1 ? g_unsqueeze(st, b, 1) : g_ref(b);
    TnTensor *G = g_ref(g);
    if (G && a1) {
        TnTensor *t = g_unsqueeze(st, G, G->ndim - (b1 ? 0 : 1));
        tn_obj_decref(G);
        G = t;
    }
    if (G && b1) {
        TnTensor *t = g_unsqueeze(st, G, G->ndim);
        tn_obj_decref(G);
        G = t;
    }
    int rc = A && B && G ? 0 : -1;
    if (rc == 0 && NEEDS(n, ia)) {
        TnTensor *bt = mT(st, B);
        TnTensor *r = bt ? g_matmul(st, G, bt) : NULL;
        tn_obj_decref(bt);
        if (r && a1) {
            TnTensor *s = g_squeeze(st, r, -2);
            tn_obj_decref(r);
            r = s;
        }
        if (r && alpha != 1)
            r = g_bins_s(st, BOP_MUL, r, alpha);
        gin[ia] = r;
        rc = r ? 0 : -1;
    }
    if (rc == 0 && NEEDS(n, ib)) {
        TnTensor *r;
        if (column_major(B) && A->ndim == 2 && G->ndim == 2) {
            /* B is a transposed contiguous matrix (a Linear's weight.t()): compute dB as
             * (G^T A)^T, as PyTorch does, so the weight's gradient arrives contiguous and its
             * accumulation and the optimiser's update run on plain rows */
            TnTensor *gt = mT(st, G);
            TnTensor *p = gt ? g_matmul(st, gt, A) : NULL;
            tn_obj_decref(gt);
            r = mT(st, p);
            tn_obj_decref(p);
        } else {
            TnTensor *at = mT(st, A);
            r = at ? g_matmul(st, at, G) : NULL;
            tn_obj_decref(at);
        }
        if (r && b1) {
            TnTensor *s = g_squeeze(st, r, -1);
            tn_obj_decref(r);
            r = s;
        }
        if (r && alpha != 1)
            r = g_bins_s(st, BOP_MUL, r, alpha);
        gin[ib] = r;
        rc = r ? 0 : -1;
    }
    tn_obj_decref(A);
    tn_obj_decref(B);
    tn_obj_decref(G);
    return rc;
}

/* saved: the operands that the other's gradient needs */
static int operands(TnState *st, TnGradFn *n, int i, int j, TnTensor **a, TnTensor **b)
{
    *a = SAVED(n, i);
    *b = *a ? SAVED(n, j) : NULL;
    return *b ? 0 : -1;
}

BW(matmul_backward)
{
    TnTensor *a, *b;
    if (operands(st, n, 0, 1, &a, &b) < 0)
        return -1;
    return matmul_grads(st, n, a, b, gout[0], 0, 1, 1.0, gin);
}

/* outer(a, b) = a[:, None] * b[None, :] */
BW(outer_backward)
{
    TnTensor *a, *b, *g = gout[0];
    if (operands(st, n, 0, 1, &a, &b) < 0)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = g_mv(st, g, b)))
        return -1;
    if (NEEDS(n, 1)) {
        TnTensor *gt = g_t(st, g);
        gin[1] = gt ? g_mv(st, gt, a) : NULL;
        tn_obj_decref(gt);
        if (!gin[1])
            return -1;
    }
    return 0;
}

/* addmm: beta * input + alpha * (m1 @ m2); arg[0] = beta, arg[1] = alpha */
BW(addmm_backward)
{
    if (NEEDS(n, 0)) {
        double beta = ARG_F(n, 0);
        gin[0] = beta == 1 ? g_ref(gout[0]) : g_bins(st, BOP_MUL, gout[0], beta);
        if (!gin[0])
            return -1;
    }
    if (!NEEDS(n, 1) && !NEEDS(n, 2))
        return 0;
    TnTensor *a, *b;
    if (operands(st, n, 1, 2, &a, &b) < 0)
        return -1;
    return matmul_grads(st, n, a, b, gout[0], 1, 2, ARG_F(n, 1), gin);
}

static TN_NODE_KIND(MmBackward0, "MmBackward0", matmul_backward);
static TN_NODE_KIND(BmmBackward0, "BmmBackward0", matmul_backward);
static TN_NODE_KIND(MvBackward0, "MvBackward0", matmul_backward);
static TN_NODE_KIND(DotBackward0, "DotBackward0", matmul_backward);
static TN_NODE_KIND(UnsafeViewBackward0, "UnsafeViewBackward0", matmul_backward);
/* 1-D @ 2-D: PyTorch 1.13 ends it with an in-place squeeze_ */
static TN_NODE_KIND(SqueezeBackward3, "SqueezeBackward3", matmul_backward);
static TN_NODE_KIND(OuterBackward, "MulBackward0", outer_backward);
static TN_NODE_KIND(AddmmBackward0, "AddmmBackward0", addmm_backward);

static int rec_mm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    autograd_save(n, 1, AS_TENSOR(a[1]));
    return 0;
}

static int rec_matmul(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    int da = AS_TENSOR(a[0])->ndim, db = AS_TENSOR(a[1])->ndim;
    TnNodeKind *k = da == 1 && db == 1   ? &DotBackward0
                    : da == 2 && db == 1 ? &MvBackward0
                    : da == 1 && db == 2 ? &SqueezeBackward3
                    : da == 2 && db == 2 ? &MmBackward0
                                         : &UnsafeViewBackward0;
    if (autograd_node_set_kind(st, n, k) < 0)
        return -1;
    return rec_mm(st, n, a, r);
}

static int rec_addmm(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 1, AS_TENSOR(a[1]));
    autograd_save(n, 2, AS_TENSOR(a[2]));
    ARG_F(n, 0) = g_scalar(a[3], 1.0);
    ARG_F(n, 1) = g_scalar(a[4], 1.0);
    return 0;
}

const TnGradRow grad_matmul_row = {"matmul", 0, "", 2, &MmBackward0, 2, 0, rec_matmul, 0};

/* ------------------------------------------------------------------ einsum */

#define EQ_MAX 64

/* An equation with each '...' spelled out as letters the equation does not use: the
 * specs of the operands and of the output. */
typedef struct Eq {
    char in[8][EQ_MAX];
    char out[EQ_MAX];
    int nin;
    char ell[EQ_MAX]; /* the letters standing for the ellipsis dimensions, left to right */
} Eq;

static bool is_label(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The letters free for the ellipsis: those the user's equation does not use, in PyTorch's
 * label order (capitals first), so spelled-out dimensions never alias a user label. */
static int free_letters(const char *eq, char *ell)
{
    bool used[128] = {false};
    for (const char *q = eq; *q; q++)
        if (is_label(*q))
            used[(int)*q] = true;
    int k = 0;
    for (int c = 'A'; c <= 'z' && k < EQ_MAX - 1; c++)
        if (is_label((char)c) && !used[c])
            ell[k++] = (char)c;
    ell[k] = 0;
    return k;
}

static int spell_ellipsis(const char *src, int len, int ndim, int nell_max, const char *ell,
                          char *dst, int *nell)
{
    int letters = 0, k = 0;
    for (int i = 0; i < len; i++)
        if (is_label(src[i]))
            letters++;
    int ne = ndim >= 0 ? ndim - letters : nell_max;
    if (nell)
        *nell = ne;
    for (int i = 0; i < len && k < EQ_MAX - 1; i++) {
        if (src[i] == '.') {
            for (int e = 0; e < ne && k < EQ_MAX - 1; e++)
                dst[k++] = ell[(nell_max - ne) + e];
            i += 2;
        } else if (src[i] != ' ') {
            dst[k++] = src[i];
        }
    }
    dst[k] = 0;
    return k;
}

static int parse_eq(TnState *st, const char *eq, TnTensor **ops, int nops, Eq *e)
{
    if (nops > 8)
        return tn_raise_int(st, tn_NotImplementedError, "einsum backward with more than 8 operands");
    int nfree = free_letters(eq, e->ell);
    const char *arrow = strstr(eq, "->");
    int lhs_len = arrow ? (int)(arrow - eq) : (int)strlen(eq);
    const char *p = eq;
    int nell_max = 0, nells[8] = {0};
    e->nin = 0;
    for (int i = 0; i < nops; i++) {
        const char *c = memchr(p, ',', (size_t)(eq + lhs_len - p));
        int len = c ? (int)(c - p) : (int)(eq + lhs_len - p);
        spell_ellipsis(p, len, ops[i]->ndim, 0, e->ell, e->in[i], &nells[i]);
        if (nells[i] > nell_max)
            nell_max = nells[i];
        p = c ? c + 1 : eq + lhs_len;
    }
    if (nell_max > nfree)
        return tn_raise_int(st, tn_NotImplementedError,
                            "einsum backward: too many labels and ellipsis dimensions");
    /* re-spell so ellipsis letters line up from the right across operands */
    p = eq;
    for (int i = 0; i < nops; i++) {
        const char *c = memchr(p, ',', (size_t)(eq + lhs_len - p));
        int len = c ? (int)(c - p) : (int)(eq + lhs_len - p);
        int ne;
        char tmp[EQ_MAX];
        spell_ellipsis(p, len, ops[i]->ndim, nell_max, e->ell, tmp, &ne);
        memcpy(e->in[i], tmp, sizeof tmp);
        p = c ? c + 1 : eq + lhs_len;
    }
    e->nin = nops;
    if (arrow) {
        spell_ellipsis(arrow + 2, (int)strlen(arrow + 2), -1, nell_max, e->ell, e->out, NULL);
        return 0;
    }
    /* implicit output: ellipsis letters, then letters seen once in PyTorch's label order
     * (capitals first) */
    int counts[128] = {0}, k = 0;
    for (int i = 0; i < nops; i++)
        for (const char *q = e->in[i]; *q; q++)
            counts[(int)*q]++;
    for (int j = 0; j < nell_max; j++)
        if (counts[(int)e->ell[j]])
            e->out[k++] = e->ell[j];
    for (int c = 'A'; c <= 'z'; c++)
        if (is_label((char)c) && counts[c] == 1 && !memchr(e->ell, c, (size_t)nell_max))
            e->out[k++] = (char)c;
    e->out[k] = 0;
    return 0;
}

/* arg: none; aux: the equation; saved: the operands. */
BW(einsum_backward)
{
    int nops = n->nin;
    TnTensor *ops[8];
    for (int i = 0; i < nops && i < 8; i++)
        if (!(ops[i] = SAVED(n, i)))
            return -1;
    Eq e;
    if (parse_eq(st, AS_STR(n->aux)->data, ops, nops, &e) < 0)
        return -1;
    for (int i = 0; i < nops; i++) {
        if (!NEEDS(n, i))
            continue;
        TnTensor *x = ops[i];
        const char *spec = e.in[i];
        int nd = (int)strlen(spec);
        /* unique letters of spec, their sizes, and which the product can produce */
        char T[EQ_MAX], R[EQ_MAX];
        int64_t tsz[EQ_MAX];
        int nt = 0, nr = 0;
        bool repeated = false;
        for (int d = 0; d < nd; d++) {
            char *at = memchr(T, spec[d], (size_t)nt);
            if (at) {
                repeated = true;
                continue;
            }
            T[nt] = spec[d];
            tsz[nt++] = x->sizes[d];
        }
        for (int t = 0; t < nt; t++) {
            bool avail = strchr(e.out, T[t]) != NULL;
            for (int j = 0; j < nops && !avail; j++)
                avail = j != i && strchr(e.in[j], T[t]);
            if (avail)
                R[nr++] = T[t];
        }
        R[nr] = 0;
        char eq2[EQ_MAX * 10];
        int len = snprintf(eq2, sizeof eq2, "%s", e.out);
        TnTensor *args[8];
        int na = 0;
        args[na++] = gout[0];
        for (int j = 0; j < nops; j++)
            if (j != i) {
                len += snprintf(eq2 + len, sizeof eq2 - (size_t)len, ",%s", e.in[j]);
                args[na++] = ops[j];
            }
        snprintf(eq2 + len, sizeof eq2 - (size_t)len, "->%s", R);
        TnTensor *r = op_einsum(st, eq2, args, na);
        if (!r)
            return -1;
        if (nr < nt) { /* letters only this operand had: broadcast the gradient over them */
            int64_t shape[EQ_MAX];
            for (int t = 0; t < nt; t++)
                shape[t] = strchr(R, T[t]) ? tsz[t] : 1;
            TnTensor *v = op_reshape(st, r, nt, shape);
            TnTensor *x2 = v ? op_expand(st, v, nt, tsz) : NULL;
            tn_obj_decref(v);
            tn_obj_decref(r);
            if (!(r = x2))
                return -1;
        }
        if (repeated) { /* the gradient lives on the diagonal the spec walks */
            TnTensor *z = tensor_zeros(st, r->dtype, x->ndim, x->sizes);
            int64_t cs[TN_MAX_DIMS], strides[EQ_MAX] = {0}, s = 1;
            for (int d = nd - 1; d >= 0; d--) {
                cs[d] = s;
                s *= x->sizes[d];
            }
            for (int d = 0; d < nd; d++)
                strides[(char *)memchr(T, spec[d], (size_t)nt) - T] += cs[d];
            TnTensor *view = z ? tensor_alias(st, z, nt, tsz, strides, z->offset) : NULL;
            int rc = view ? tensor_copy_(st, view, r) : -1;
            tn_obj_decref(view);
            tn_obj_decref(r);
            if (rc < 0) {
                tn_obj_decref(z);
                return -1;
            }
            r = z;
        }
        gin[i] = r;
    }
    return 0;
}
static TN_NODE_KIND(EinsumViewBackward, "ViewBackward0", einsum_backward);
static TN_NODE_KIND(EinsumSumBackward, "SumBackward1", einsum_backward);
static TN_NODE_KIND(EinsumPermuteBackward, "PermuteBackward0", einsum_backward);

/* einsum(a, b) with nothing to sum is PyTorch 1.13's a * b */
static TN_NODE_KIND(EinsumMulBackward, "MulBackward0", einsum_backward);

/* Does the last operand of the (already checked) equation have an index the output
 * lacks? PyTorch's einsum then ends with a sum (one operand) or a bmm and a view;
 * otherwise with a permute (one operand) or a product (several). */
static bool einsum_last_sums(const char *eq)
{
    const char *arrow = strstr(eq, "->");
    const char *end = arrow ? arrow : eq + strlen(eq);
    const char *last = end;
    while (last > eq && last[-1] != ',')
        last--;
    for (const char *c = last; c < end; c++) {
        if (!isalpha((unsigned char)*c))
            continue;
        bool in_out;
        if (arrow) {
            in_out = strchr(arrow + 2, *c) != NULL;
        } else { /* implicit output: the indices used once */
            int uses = 0;
            for (const char *d = eq; d < end; d++)
                uses += *d == *c;
            in_out = uses == 1;
        }
        if (!in_out)
            return true;
    }
    return false;
}

/* params: operands (a sequence), equation */
static int rec_einsum(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    TnValue *items;
    int64_t cnt;
    if (!IS_STR(a[1]) || !tn_seq_items(a[0], &items, &cnt))
        return tn_raise_int(st, tn_RuntimeError, "einsum: unexpected arguments");
    if (cnt == 1 && !IS_TENSOR(items[0]) && !tn_seq_items(items[0], &items, &cnt))
        return tn_raise_int(st, tn_RuntimeError, "einsum: unexpected arguments");
    for (int64_t i = 0; i < cnt && i < n->nsaved; i++)
        autograd_save(n, (int)i, AS_TENSOR(items[i]));
    n->aux = tn_ref(a[1]);
    bool summed = einsum_last_sums(AS_STR(a[1])->data);
    if (cnt == 1)
        return autograd_node_set_kind(st, n, summed ? &EinsumSumBackward : &EinsumPermuteBackward);
    return summed ? 0 : autograd_node_set_kind(st, n, &EinsumMulBackward);
}

#define FM (GW_TORCH | GW_METHOD)
const TnGradRow grad_matmul_rows[] = {
    {"mm", FM, ",mat2", 2, &MmBackward0, 2, 0, rec_mm, 0},
    {"bmm", FM, ",mat2", 2, &BmmBackward0, 2, 0, rec_mm, 0},
    {"mv", FM, ",vec", 2, &MvBackward0, 2, 0, rec_mm, 0},
    {"dot|inner", FM, ",other|tensor", 2, &DotBackward0, 2, 0, rec_mm, 0},
    {"matmul", FM, ",other", 2, &MmBackward0, 2, 0, rec_matmul, 0},
    {"outer|ger", FM, ",vec2", 2, &OuterBackward, 2, 0, rec_mm, 0},
    {"addmm", FM, ",mat1,mat2,beta,alpha", 3, &AddmmBackward0, 3, 2, rec_addmm, 0},
    {"einsum", GW_TORCH, "operands,equation", 1, &EinsumViewBackward, -1, 0, rec_einsum,
     GR_LIST},
    {NULL},
};
