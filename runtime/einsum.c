/* einsum.c: torch.einsum — equation parsing, PyTorch 1.13's contraction plan, and one
 * batched gemm per pairwise contraction over permuted, reshaped views. */
#include "linalg.h"
#include "gemm.h"
#include "iter.h"
#include <blis.h>
#include <string.h>

/* Labels A-Z are subscripts 0-25, a-z 26-51; the ellipsis is its own code. */
#define NLABELS 52
#define ELL     NLABELS

static int label_index(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' : c - 'a' + 26;
}

static char label_char(int s)
{
    return (char)(s < 26 ? 'A' + s : 'a' + s - 26);
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The parsed equation and the layout every operand is permuted into: output dims
 * first (0..out_size), then the contracted dims (out_size..perm_index). */
typedef struct {
    int nops;
    uint8_t *lab; /* all operands' subscripts, ELL for "..." */
    int *start;   /* operand i's subscripts are lab[start[i] .. start[i + 1]) */
    int count[NLABELS];
    int perm[NLABELS]; /* label -> dim in the permuted layout, -1 unused */
    int ell_ndim, ell_index, out_size, perm_index;
} Spec;

static void spec_free(Spec *s)
{
    tn_free(s->lab);
    tn_free(s->start);
}

/* Reads the "..." at eq[*i] (the first '.'); false when it is not a full ellipsis. */
static bool take_ellipsis(const char *eq, size_t len, size_t *i)
{
    if (*i + 2 >= len || eq[*i + 1] != '.' || eq[*i + 2] != '.') return false;
    *i += 2;
    return true;
}

static int parse_lhs(TnState *st, Spec *s, const char *eq, size_t lhs_len)
{
    int op = 0, n = 0;
    bool found_ell = false;
    s->start[0] = 0;
    for (size_t i = 0; i < lhs_len; i++) {
        unsigned char c = (unsigned char)eq[i];
        if (c == ' ') continue;
        if (c == '.') {
            if (found_ell)
                return tn_raise_int(st, tn_RuntimeError,
                                    "einsum(): found '.' for operand %d for which an ellipsis "
                                    "was already found",
                                    op);
            if (!take_ellipsis(eq, lhs_len, &i))
                return tn_raise_int(st, tn_RuntimeError,
                                    "einsum(): found '.' for operand %d that is not part of any "
                                    "ellipsis",
                                    op);
            s->lab[n++] = ELL;
            found_ell = true;
        } else if (c == ',') {
            if (++op >= s->nops)
                return tn_raise_int(st, tn_RuntimeError,
                                    "einsum(): fewer operands were provided than specified in "
                                    "the equation");
            s->start[op] = n;
            found_ell = false;
        } else if (!is_alpha(c)) {
            return tn_raise_int(st, tn_RuntimeError,
                                "einsum(): invalid subscript given at index %zu in the equation "
                                "string, subscripts must be in [a-zA-Z]",
                                i);
        } else {
            s->lab[n++] = (uint8_t)label_index(c);
        }
    }
    if (op != s->nops - 1)
        return tn_raise_int(st, tn_RuntimeError,
                            "einsum(): more operands were provided than specified in the "
                            "equation");
    s->start[s->nops] = n;
    return 0;
}

/* Label counts, the dims the ellipsis covers, and the subscript-count check. */
static int count_labels(TnState *st, Spec *s, TnTensor **ops)
{
    for (int i = 0; i < s->nops; i++) {
        int nl = s->start[i + 1] - s->start[i];
        bool has_ell = false;
        for (int k = s->start[i]; k < s->start[i + 1]; k++) {
            if (s->lab[k] == ELL) {
                nl--;
                has_ell = true;
            } else {
                s->count[s->lab[k]]++;
            }
        }
        if (has_ell && ops[i]->ndim - nl > s->ell_ndim) s->ell_ndim = ops[i]->ndim - nl;
        if (has_ell ? nl > ops[i]->ndim : nl != ops[i]->ndim)
            return tn_raise_int(st, tn_RuntimeError,
                                "einsum(): the number of subscripts in the equation (%d) does not "
                                "match the number of dimensions (%d) for operand %d%s",
                                nl, ops[i]->ndim, i, has_ell ? "" : " and no ellipsis was given");
    }
    return 0;
}

static int parse_rhs(TnState *st, Spec *s, const char *rhs, size_t lhs_len, bool *found_ell)
{
    size_t len = strlen(rhs);
    int pi = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)rhs[i];
        if (c == ' ') continue;
        if (c == '.') {
            if (*found_ell)
                return tn_raise_int(st, tn_RuntimeError,
                                    "einsum(): found '.' for output but an ellipsis (...) was "
                                    "already found");
            if (!take_ellipsis(rhs, len, &i))
                return tn_raise_int(st, tn_RuntimeError,
                                    "einsum(): found '.' for output that is not part of any "
                                    "ellipsis (...)");
            s->ell_index = pi;
            pi += s->ell_ndim;
            *found_ell = true;
            continue;
        }
        if (!is_alpha(c))
            return tn_raise_int(st, tn_RuntimeError,
                                "einsum(): invalid subscript given at index %zu in the equation "
                                "string, subscripts must be in [a-zA-Z]",
                                lhs_len + 2 + i);
        int l = label_index(c);
        if (s->count[l] == 0 || s->perm[l] != -1)
            return tn_raise_int(st, tn_RuntimeError, "einsum(): output subscript %c%s", c,
                                s->perm[l] != -1 ? " appears more than once in the output"
                                                 : " does not appear in the equation for any "
                                                   "input operand");
        s->perm[l] = pi++;
    }
    s->perm_index = pi;
    return 0;
}

/* Assigns every label and the ellipsis its dim in the permuted layout. */
static int layout(TnState *st, Spec *s, const char *eq, const char *arrow, size_t lhs_len)
{
    bool found_ell = false;
    for (int l = 0; l < NLABELS; l++)
        s->perm[l] = -1;
    if (!arrow) {
        /* implicit output: the ellipsis, then labels seen once, alphabetically */
        int pi = s->ell_ndim;
        found_ell = true;
        s->ell_index = 0;
        for (int l = 0; l < NLABELS; l++)
            if (s->count[l] == 1) s->perm[l] = pi++;
        s->perm_index = pi;
    } else if (parse_rhs(st, s, arrow + 2, lhs_len, &found_ell) < 0) {
        return -1;
    }
    s->out_size = s->perm_index;
    if (!found_ell) {
        s->ell_index = s->perm_index;
        s->perm_index += s->ell_ndim;
    }
    for (int l = 0; l < NLABELS; l++)
        if (s->count[l] > 0 && s->perm[l] == -1) s->perm[l] = s->perm_index++;
    if (s->perm_index > TN_MAX_DIMS)
        return tn_raise_int(st, tn_RuntimeError,
                            "einsum(): the equation needs %d dimensions; tn supports at most %d",
                            s->perm_index, TN_MAX_DIMS);
    return 0;
}

static int spec_parse(TnState *st, Spec *s, const char *eq, TnTensor **ops, int nops)
{
    memset(s, 0, sizeof *s);
    s->nops = nops;
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
    s->lab = tn_malloc(lhs_len + 1);
    s->start = tn_malloc(sizeof(int) * (size_t)(nops + 1));
    if (!s->lab || !s->start) {
        tn_no_memory(st);
        return -1;
    }
    if (parse_lhs(st, s, eq, lhs_len) < 0 || count_labels(st, s, ops) < 0) return -1;
    return layout(st, s, eq, arrow, lhs_len);
}

/* ------------------------------------------------------- operand views */
/* Sizes seen so far per label and per ellipsis dim (broadcasting checks), and how
 * many operands have a non-1 size in each permuted dim. */
typedef struct {
    int64_t label_size[NLABELS];
    int64_t ell_size[TN_MAX_DIMS];
    int dim_counts[TN_MAX_DIMS];
} Sizes;

static int see_ell(TnState *st, Spec *s, Sizes *z, int i, int j, int dim, int64_t size)
{
    if (size == 1) return 0;
    if (z->ell_size[j] != 1 && z->ell_size[j] != size)
        return tn_raise_int(st, tn_RuntimeError,
                            "einsum(): dimension %d covered by ellipsis in operand %dhas size "
                            "%lld which does not broadcast with previously seen ellipsis with "
                            "size %lld for the respective dimension",
                            dim, i, (long long)size, (long long)z->ell_size[j]);
    z->ell_size[j] = size;
    z->dim_counts[s->ell_index + j]++;
    return 0;
}

static int see_label(TnState *st, Spec *s, Sizes *z, int i, int l, int64_t size)
{
    if (size == 1) return 0;
    if (z->label_size[l] != 1 && z->label_size[l] != size)
        return tn_raise_int(st, tn_RuntimeError,
                            "einsum(): subscript %c has size %lld for operand %d which does not "
                            "broadcast with previously seen size %lld",
                            label_char(l), (long long)size, i, (long long)z->label_size[l]);
    z->label_size[l] = size;
    z->dim_counts[s->perm[l]]++;
    return 0;
}

/* Operand i as a view in the permuted layout: repeated subscripts become a
 * diagonal (their strides add up), missing ones size-1 dims. No data moves. */
static TnTensor *operand_view(TnState *st, Spec *s, Sizes *z, TnTensor *op, int i)
{
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    int src[TN_MAX_DIMS]; /* operand dim that filled each permuted dim, -1 none */
    for (int d = 0; d < s->perm_index; d++) {
        sizes[d] = 1;
        strides[d] = 0;
        src[d] = -1;
    }
    int dim = 0, nlab = s->start[i + 1] - s->start[i];
    for (int k = s->start[i]; k < s->start[i + 1]; k++) {
        int l = s->lab[k];
        if (l == ELL) {
            int nd = op->ndim - (nlab - 1);
            for (int j = s->ell_ndim - nd; j < s->ell_ndim; j++, dim++) {
                if (see_ell(st, s, z, i, j, dim, op->sizes[dim]) < 0) return NULL;
                int t = s->ell_index + j;
                sizes[t] = op->sizes[dim];
                strides[t] = op->strides[dim];
                src[t] = dim;
            }
            continue;
        }
        int t = s->perm[l];
        if (src[t] < 0) {
            if (see_label(st, s, z, i, l, op->sizes[dim]) < 0) return NULL;
            sizes[t] = op->sizes[dim];
            strides[t] = op->strides[dim];
            src[t] = dim;
        } else if (op->sizes[dim] != sizes[t]) {
            return tn_raise_ptr(st, tn_RuntimeError,
                                "einsum(): subscript %c is repeated for operand %d but the sizes "
                                "don't match, %lld != %lld",
                                label_char(l), i, (long long)op->sizes[dim], (long long)sizes[t]);
        } else {
            strides[t] += op->strides[dim];
        }
        dim++;
    }
    return tensor_alias(st, op, s->perm_index, sizes, strides, op->offset);
}

/* --------------------------------------------------------- batched gemm */
/* C[b] = A[b] @ B[b] for 3-D operands whose matrices BLIS accepts as strided. */
typedef struct {
    TnDType dt;
    int64_t m, n, k, split;
    const TnTensor *a, *b, *c;
} BGemm;

/* y = A x for float matrices with a vector side (n == 1): BLIS's gemm packs both
 * operands even then, and the batched matrix-vector products of einsum's last
 * contraction ("bm,bam->ba") would spend most of their time packing. */
static bool try_gemv(TnDType dt, int64_t m, int64_t k, const char *pa, int64_t rsa, int64_t csa,
                     const char *px, int64_t incx, char *py, int64_t incy)
{
    if (m < 2 || k < 2 || !gemm_strides_ok(m, k, rsa, csa) || incx <= 0 || incy <= 0) return false;
    if (dt == DT_FLOAT32) {
        float one = 1, zero = 0;
        bli_sgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, m, k, &one, (float *)pa, rsa, csa,
                  (float *)px, incx, &zero, (float *)py, incy);
    } else {
        double one = 1, zero = 0;
        bli_dgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, m, k, &one, (double *)pa, rsa, csa,
                  (double *)px, incx, &zero, (double *)py, incy);
    }
    return true;
}

static void bgemm_range(void *ctx, int64_t lo, int64_t hi)
{
    const BGemm *g = ctx;
    const TnTensor *a = g->a, *b = g->b, *c = g->c;
    int es = DT_SIZE(g->dt);
    for (int64_t t = lo; t < hi; t++) {
        /* task t: batch t / split, rows [r0, r1) of it */
        int64_t bi = t / g->split, part = t % g->split;
        int64_t r0 = g->m * part / g->split, r1 = g->m * (part + 1) / g->split;
        char *pa = tensor_ptr(a) + (bi * a->strides[0] + r0 * a->strides[1]) * es;
        char *pb = tensor_ptr(b) + bi * b->strides[0] * es;
        char *pc = tensor_ptr(c) + (bi * c->strides[0] + r0 * c->strides[1]) * es;
        int64_t m = r1 - r0;
        if (m == 0) continue;
        if (g->n == 1 && g->dt != DT_INT64 &&
            try_gemv(g->dt, m, g->k, pa, a->strides[1], a->strides[2], pb, b->strides[1], pc,
                     c->strides[1]))
            continue;
        if (g->dt == DT_FLOAT32)
            gemm_f32(m, g->n, g->k, 1.0f, (float *)pa, a->strides[1], a->strides[2], (float *)pb,
                     b->strides[1], b->strides[2], 0.0f, (float *)pc, c->strides[1], c->strides[2]);
        else if (g->dt == DT_FLOAT64)
            gemm_f64(m, g->n, g->k, 1.0, (double *)pa, a->strides[1], a->strides[2], (double *)pb,
                     b->strides[1], b->strides[2], 0.0, (double *)pc, c->strides[1], c->strides[2]);
        else
            gemm_i64(m, g->n, g->k, 1, (int64_t *)pa, a->strides[1], a->strides[2], (int64_t *)pb,
                     b->strides[1], b->strides[2], 0, (int64_t *)pc, c->strides[1], c->strides[2]);
    }
}

/* Work (multiply-adds) above which the batch, or a single matrix's rows, is
 * shared between two threads. */
#define BGEMM_PARALLEL_WORK (1 << 20)

static void bgemm_run(TnDType dt, const TnTensor *a, const TnTensor *b, const TnTensor *c)
{
    int64_t B = a->sizes[0], m = a->sizes[1], k = a->sizes[2], n = b->sizes[2];
    BGemm g = {dt, m, n, k, 1, a, b, c};
    bool big = (double)B * (double)m * (double)n * (double)k >= BGEMM_PARALLEL_WORK;
    if (big && B == 1 && m >= 16) g.split = 2;
    parallel_for(B * g.split, big ? 2 : INT64_MAX, bgemm_range, &g);
}

/* A contiguous copy unless the gemm can read the matrices of t as they are (the
 * integer loop takes any strides; BLIS needs a valid matrix layout). */
static TnTensor *gemm_ready(TnState *st, TnTensor *t)
{
    bool ok = !DT_IS_FLOAT(t->dtype) ||
              gemm_strides_ok(t->sizes[1], t->sizes[2], t->strides[1], t->strides[2]);
    if (!ok) return tensor_contiguous(st, t);
    tn_obj_incref(t);
    return t;
}

/* bmm of (B, m, k) and (B, k, n) with PyTorch's dtype rules for bmm. */
static TnTensor *einsum_bmm(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->dtype != b->dtype)
        return tn_raise_ptr(st, tn_RuntimeError, "expected scalar type %s but found %s",
                            tn_dtype_info[a->dtype].cname, tn_dtype_info[b->dtype].cname);
    if (a->dtype == DT_BOOL)
        return tn_raise_ptr(st, tn_RuntimeError, "\"bmm\" not implemented for 'Bool'");
    TnDType wt = DT_IS_FLOAT(a->dtype) ? a->dtype : DT_INT64; /* int32 computes in int64 */
    int64_t shape[3] = {a->sizes[0], a->sizes[1], b->sizes[2]};
    TnTensor *wa = tensor_to(st, a, wt), *wb = wa ? tensor_to(st, b, wt) : NULL;
    TnTensor *ga = wb ? gemm_ready(st, wa) : NULL, *gb = ga ? gemm_ready(st, wb) : NULL;
    TnTensor *out = gb ? tensor_empty_ex(st, wt, 3, shape, a->sizes[2] == 0) : NULL;
    if (out && a->sizes[2] > 0 && tensor_numel(out) > 0) bgemm_run(wt, ga, gb, out);
    /* a Ctrl-C stopped the gemm part-way (gemm.c): the result is incomplete */
    if (out && tn_poll_interrupt(st) < 0) {
        tn_obj_decref(out);
        out = NULL;
    }
    tn_obj_decref(wa);
    tn_obj_decref(wb);
    tn_obj_decref(ga);
    tn_obj_decref(gb);
    if (out && wt != a->dtype) {
        TnTensor *r = tensor_to(st, out, a->dtype);
        tn_obj_decref(out);
        out = r;
    }
    return out;
}

/* ---------------------------------------------------- pairwise contraction */
/* permute(t, perm) viewed as (d0, d1, d2): a copy only when strides forbid a view. */
static TnTensor *as_3d(TnState *st, TnTensor *t, const int64_t *perm, int nd, const int64_t *shape3)
{
    TnTensor *p = op_permute(st, t, nd, perm);
    if (!p) return NULL;
    TnTensor *r = op_reshape(st, p, 3, shape3);
    tn_obj_decref(p);
    return r;
}

/* Dims of a pair, grouped as PyTorch's sumproduct_pair does. */
typedef struct {
    int64_t lro[TN_MAX_DIMS], lo[TN_MAX_DIMS], ro[TN_MAX_DIMS], sum[TN_MAX_DIMS];
    int nlro, nlo, nro, nsum;
    int64_t lro_size, lo_size, ro_size, sum_size;
} Groups;

static void group_dims(TnTensor *l, TnTensor *r, const bool *is_sum, Groups *g)
{
    memset(g, 0, sizeof *g);
    g->lro_size = g->lo_size = g->ro_size = g->sum_size = 1;
    for (int i = 0; i < l->ndim; i++) {
        bool sl = l->sizes[i] != 1, sr = r->sizes[i] != 1;
        if (is_sum[i]) {
            g->sum[g->nsum++] = i;
            g->sum_size *= l->sizes[i];
        } else if (sl && sr) {
            g->lro[g->nlro++] = i;
            g->lro_size *= l->sizes[i];
        } else if (sl) {
            g->lo[g->nlo++] = i;
            g->lo_size *= l->sizes[i];
        } else {
            g->ro[g->nro++] = i;
            g->ro_size *= r->sizes[i];
        }
    }
}

static int cat_dims(int64_t *dst, int n, const int64_t *src, int m)
{
    memcpy(dst + n, src, sizeof(int64_t) * (size_t)m);
    return n + m;
}

/* The (lro, lo, ro) product viewed back in the pair's dim order, summed dims as 1s. */
static TnTensor *unpermute(TnState *st, TnTensor *prod, TnTensor *l, TnTensor *r, const Groups *g)
{
    int64_t sizes[TN_MAX_DIMS], strides[TN_MAX_DIMS], order[TN_MAX_DIMS];
    int n = cat_dims(order, 0, g->lro, g->nlro);
    n = cat_dims(order, n, g->lo, g->nlo);
    n = cat_dims(order, n, g->ro, g->nro);
    int64_t stride = 1;
    for (int k = n - 1; k >= 0; k--) {
        int d = (int)order[k];
        int64_t sz = k >= g->nlro + g->nlo ? r->sizes[d] : l->sizes[d];
        sizes[d] = sz;
        strides[d] = stride;
        stride *= sz;
    }
    for (int k = 0; k < g->nsum; k++) {
        sizes[g->sum[k]] = 1;
        strides[g->sum[k]] = stride;
    }
    return tensor_alias(st, prod, l->ndim, sizes, strides, prod->offset);
}

/* sum over is_sum dims of l * r (both in the permuted layout), keeping every dim. */
static TnTensor *sumproduct_pair(TnState *st, TnTensor *l, TnTensor *r, const bool *is_sum,
                                 int nsum)
{
    if (nsum == 0) return op_mul(st, l, r);
    Groups g;
    group_dims(l, r, is_sum, &g);
    int64_t lp[TN_MAX_DIMS], rp[TN_MAX_DIMS];
    int n = cat_dims(lp, 0, g.lro, g.nlro);
    n = cat_dims(lp, n, g.lo, g.nlo);
    n = cat_dims(lp, n, g.sum, g.nsum);
    n = cat_dims(lp, n, g.ro, g.nro);
    int m = cat_dims(rp, 0, g.lro, g.nlro);
    m = cat_dims(rp, m, g.sum, g.nsum);
    m = cat_dims(rp, m, g.ro, g.nro);
    m = cat_dims(rp, m, g.lo, g.nlo);
    int64_t ls[3] = {g.lro_size, g.lo_size, g.sum_size},
            rs[3] = {g.lro_size, g.sum_size, g.ro_size};
    TnTensor *l3 = as_3d(st, l, lp, n, ls), *r3 = l3 ? as_3d(st, r, rp, m, rs) : NULL;
    TnTensor *prod = r3 ? einsum_bmm(st, l3, r3) : NULL;
    TnTensor *out = prod ? unpermute(st, prod, l, r, &g) : NULL;
    tn_obj_decref(l3);
    tn_obj_decref(r3);
    tn_obj_decref(prod);
    return out;
}

/* Sums t over the dims in mask, keeping them (t stolen). */
static TnTensor *sum_keep(TnState *st, TnTensor *t, uint32_t mask)
{
    if (!mask) return t;
    TnTensor *r = op_reduce(st, RED_SUM, t, mask, true, -1, 0);
    tn_obj_decref(t);
    return r;
}

/* One step of the plan: contracts a with b (both stolen). Dims that only one of
 * them still has are summed first, dims both have and no later operand needs go
 * into the gemm. */
static TnTensor *contract(TnState *st, const Spec *s, Sizes *z, TnTensor *a, TnTensor *b)
{
    bool is_sum[TN_MAX_DIMS] = {false};
    int nsum = 0;
    uint32_t amask = 0, bmask = 0;
    for (int d = s->out_size; d < s->perm_index; d++) {
        bool na = a->sizes[d] != 1, nb = b->sizes[d] != 1;
        if (na && nb) {
            if (--z->dim_counts[d] == 1) {
                is_sum[d] = true;
                nsum++;
                z->dim_counts[d] = 0;
            }
        } else if (z->dim_counts[d] == 1) {
            if (na) {
                amask |= 1u << d;
                z->dim_counts[d] = 0;
            } else if (nb) {
                bmask |= 1u << d;
                z->dim_counts[d] = 0;
            }
        }
    }
    a = sum_keep(st, a, amask);
    b = a ? sum_keep(st, b, bmask) : (tn_obj_decref(b), NULL);
    if (!a || !b) {
        tn_obj_decref(a);
        return NULL;
    }
    TnTensor *r = sumproduct_pair(st, a, b, is_sum, nsum);
    tn_obj_decref(a);
    tn_obj_decref(b);
    return r;
}

/* The last operand with the contracted dims dropped (all size 1 now) or summed. */
static TnTensor *finish(TnState *st, const Spec *s, TnTensor *t)
{
    if (s->perm_index == s->out_size) return t;
    TnTensor *r;
    if (s->nops > 1) {
        r = tensor_alias(st, t, s->out_size, t->sizes, t->strides, t->offset);
    } else {
        uint32_t mask = 0;
        for (int d = s->out_size; d < s->perm_index; d++)
            mask |= 1u << d;
        r = op_reduce(st, RED_SUM, t, mask, false, -1, 0);
    }
    tn_obj_decref(t);
    return r;
}

TnTensor *op_einsum(TnState *st, const char *equation, TnTensor **ops, int nops)
{
    if (nops < 1)
        return tn_raise_ptr(st, tn_RuntimeError, "einsum(): must provide at least one operand");
    Spec s;
    TnTensor **views = tn_calloc((size_t)nops, sizeof(TnTensor *));
    TnTensor *cur = NULL;
    if (!views) {
        tn_no_memory(st);
        return NULL;
    }
    if (spec_parse(st, &s, equation, ops, nops) < 0) goto done;
    Sizes z;
    for (int l = 0; l < NLABELS; l++)
        z.label_size[l] = 1;
    for (int d = 0; d < TN_MAX_DIMS; d++) {
        z.ell_size[d] = 1;
        z.dim_counts[d] = 0;
    }
    for (int i = 0; i < nops; i++)
        if (!(views[i] = operand_view(st, &s, &z, ops[i], i))) goto done;
    cur = views[0];
    views[0] = NULL;
    for (int i = 1; i < nops && cur; i++) {
        cur = contract(st, &s, &z, cur, views[i]);
        views[i] = NULL;
    }
    if (cur) cur = finish(st, &s, cur);
done:
    for (int i = 0; i < nops; i++)
        tn_obj_decref(views[i]);
    tn_free(views);
    spec_free(&s);
    return cur;
}
