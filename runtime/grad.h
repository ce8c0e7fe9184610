/* grad.h: shorthands the backward formulas of the grad_*.c files share.
 *
 * Formulas are op expressions (tinygrad's rule): every helper here is one op_*
 * call on tensors or a tensor and a scalar, returning a new reference or NULL
 * with an exception set, and NULL arguments propagate (so a chain of helpers
 * needs one check at the end). Gradients need not be reduced to the input's
 * shape nor cast to its dtype: the engine does both. Under create_graph the
 * helpers record (see grad_util.c), so formulas written with them can be
 * differentiated again; a direct op_* call cannot.
 */
#ifndef TN_GRAD_H
#define TN_GRAD_H

#include "autograd.h"

/* Node parameters and saved tensors. */
#define ARG_I(n, k) ((n)->arg[k].i)
#define ARG_F(n, k) ((n)->arg[k].f)
#define NEEDS(n, i) autograd_needs_input(n, i)
#define SAVED(n, k) autograd_saved(st, n, k)

static inline TnOperand opt_(TnTensor *t)
{
    TnOperand o = {t, tn_undef()};
    return o;
}
static inline TnOperand ops_(double s)
{
    TnOperand o = {NULL, tn_float(s)};
    return o;
}

/* Binary ops (a and b may be NULL when an earlier step failed: result NULL). */
TnTensor *g_bin(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b);
TnTensor *g_bins(TnState *st, TnBinaryOp op, TnTensor *a, double s); /* a op s */
TnTensor *g_sbin(TnState *st, TnBinaryOp op, double s, TnTensor *a); /* s op a */
TnTensor *g_un(TnState *st, TnUnaryOp op, TnTensor *a);
/* The differentiable forms of the other ops formulas use (create_graph, see
 * grad_util.c): the op itself, or its recorded entry point when an operand has
 * history. NULL arguments propagate. */
TnTensor *g_where(TnState *st, TnTensor *c, TnOperand a, TnOperand b);
TnTensor *g_reshape(TnState *st, TnTensor *t, int nd, const int64_t *sizes);
TnTensor *g_expand(TnState *st, TnTensor *t, int nd, const int64_t *sizes);
TnTensor *g_transpose(TnState *st, TnTensor *t, int64_t d0, int64_t d1);
TnTensor *g_t(TnState *st, TnTensor *t);
TnTensor *g_permute(TnState *st, TnTensor *t, int nd, const int64_t *dims);
TnTensor *g_unsqueeze(TnState *st, TnTensor *t, int64_t d);
TnTensor *g_squeeze(TnState *st, TnTensor *t, int64_t d);
TnTensor *g_matmul(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *g_sum(TnState *st, TnTensor *a, uint32_t mask, bool keepdim);
/* z.scatter_add(d, idx, g) (a copy of z), and t.flip(dims). */
TnTensor *g_scatter_add(TnState *st, TnTensor *z, int64_t d, TnTensor *idx, TnTensor *g);
TnTensor *g_flip(TnState *st, TnTensor *t, int nd, const int64_t *dims);
/* t[key], and t[key] = v (0 or -1), recorded under create_graph. */
TnTensor *g_getitem(TnState *st, TnTensor *t, TnValue key);
TN_MUST_CHECK int g_setitem(TnState *st, TnTensor *t, TnValue key, TnValue v);
/* The key (:, ..., :, item) with d full slices (new reference or UNDEF), and the one
 * whose item is start:start+len. */
TnValue g_dim_key(TnState *st, int d, TnValue item);
TnValue g_range_key(TnState *st, int d, int64_t start, int64_t len);
/* Zeros of m's shape with z[key] = g (steals key). */
TnTensor *g_into_zeros(TnState *st, const TnMeta *m, TnValue key, TnTensor *g);
/* A formula that is one op of PyTorch's with a derivative of its own (tanh_backward)
 * computes its value between g_graph_off() and g_graph_on(), which under create_graph
 * records the value r as a node of `kind` over inputs a and b, both saved. */
bool g_graph_off(void);
TnTensor *g_graph_on(TnState *st, bool was, TnTensor *r, TnNodeKind *kind, TnTensor *a,
                     TnTensor *b);
/* self.name(args) through the bound (recording) method; new reference or NULL. */
TnTensor *g_method(TnState *st, TnTensor *self, const char *name, const TnValue *args, int n);
/* Same, releasing their tensor arguments (for chains): "steal" variants. */
TnTensor *g_bin_s(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b); /* steals a and b */
TnTensor *g_bin_sa(TnState *st, TnBinaryOp op, TnTensor *a, TnTensor *b); /* steals a only */
TnTensor *g_bins_s(TnState *st, TnBinaryOp op, TnTensor *a, double s);    /* steals a */
TnTensor *g_un_s(TnState *st, TnUnaryOp op, TnTensor *a);                  /* steals a */
/* A new reference to t (NULL stays NULL). */
static inline TnTensor *g_ref(TnTensor *t)
{
    if (t)
        tn_obj_incref(t);
    return t;
}
/* where(mask, a, 0) with a bool mask, stealing mask. */
TnTensor *g_mask_s(TnState *st, TnTensor *mask, TnTensor *a);
/* Zeros of a node input's or output's shape and the given dtype. */
TnTensor *g_zeros_meta(TnState *st, const TnMeta *m, TnDType dt);
/* The gradient of a reduction over `mask` (bit per input dim), reshaped so it
 * broadcasts against the input (keepdim form) and expanded to its shape. */
TnTensor *g_expand_reduced(TnState *st, TnTensor *g, const TnMeta *in, uint32_t mask, bool keepdim);
/* g reshaped to the keepdim form only (for multiplying with saved inputs). */
TnTensor *g_keepdim(TnState *st, TnTensor *g, const TnMeta *in, uint32_t mask, bool keepdim);
/* Sum over the dims in mask, keeping them. */
TnTensor *g_sum_keep(TnState *st, TnTensor *a, uint32_t mask);
/* Parses a dim= value (None/absent = all) into a mask; the op already checked it. */
uint32_t g_dim_mask(TnValue dim, int ndim);
/* An int or a sequence of ints (one level of nesting for *args); count or -1. */
int g_int_list(TnValue v, int64_t *out, int max);
/* Wraps a possibly negative dim (already checked by the op). */
static inline int g_wrap(int64_t d, int ndim)
{
    int nd = ndim ? ndim : 1;
    return (int)(d < 0 ? d + nd : d);
}
/* The value of a scalar argument as a double (UNDEF/None: dflt). */
double g_scalar(TnValue v, double dflt);
/* The tensors of an op's result: a tensor, a tuple/list, or a return_types pair
 * (borrowed items). */
bool grad_result_items(TnValue *r, TnValue **items, int64_t *n);

/* Node kinds shared between files (torch.max(a, b) is maximum). */
extern TnNodeKind grad_MaximumBackward0, grad_MinimumBackward0;

/* U diag(gs) Vh for the SVD of a (a batch of matrices, gs of its singular values'
 * shape): the gradient through svdvals (grad_linalg.c). New reference or NULL. */
TnTensor *grad_svd_backward(TnState *st, TnTensor *a, TnTensor *gs);

/* Input meta through the edge, or NULL when input i needs no gradient. */
#define IN_META(n, i, tmp) autograd_input_meta(n, i, tmp)

#endif
