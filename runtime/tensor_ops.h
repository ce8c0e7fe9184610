/* tensor_ops.h: the tensor operations (op_*.c). Each takes already-checked
 * Python-level arguments (the binding layer, tensor_api.c, converts them),
 * raises PyTorch's error for bad shapes/dtypes/values, and returns a new
 * reference (NULL on error). Autograd wraps these functions; backward formulas
 * call them too. Included by tensor.h. */
#ifndef TN_TENSOR_OPS_H
#define TN_TENSOR_OPS_H

#include "kernels.h"

/* ------------------------------------------------------------ op_binary.c */
TnTensor *op_binary(TnState *st, TnBinaryOp op, TnOperand a, TnOperand b);
/* In place: self = self op b (returns self). */
TnTensor *op_binary_(TnState *st, TnBinaryOp op, TnTensor *self, TnOperand b);
/* a op (alpha * b) for add/sub; into `inplace` when not NULL. */
TnTensor *op_add_alpha(TnState *st, TnBinaryOp op, TnOperand a, TnOperand b, TnValue alpha,
                       TnTensor *inplace);
/* x * y + z rounded once, broadcasting, in the operands' result dtype (floating only); into
 * `inplace` when not NULL. */
TnTensor *op_fma(TnState *st, TnOperand x, TnOperand y, TnOperand z, TnTensor *inplace);
TnTensor *op_add(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_sub(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_mul(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_div(TnState *st, TnTensor *a, TnTensor *b);
/* Checks that a result of dtype `result` and shape (nd, shape) can be written into self. */
TN_MUST_CHECK int op_check_inplace(TnState *st, TnTensor *self, TnDType result, int nd,
                                   const int64_t *shape);

/* ------------------------------------------------------------- op_unary.c */
TnTensor *op_unary(TnState *st, TnUnaryOp op, TnTensor *x);
TnTensor *op_unary_(TnState *st, TnUnaryOp op, TnTensor *self);

/* --------------------------------------------------------- op_pointwise.c */
TnTensor *op_where(TnState *st, TnTensor *cond, TnOperand a, TnOperand b);
/* clamp with optional bounds (t == NULL and s UNDEF: absent); into inplace if set. */
TnTensor *op_clamp(TnState *st, TnTensor *x, TnOperand lo, TnOperand hi, TnTensor *inplace);
TnTensor *op_lerp(TnState *st, TnTensor *a, TnTensor *b, TnOperand w);
TnTensor *op_isclose(TnState *st, TnTensor *a, TnTensor *b, double rtol, double atol,
                     bool equal_nan);
/* 1/0 (or -1 on error): same shape and values. */
TN_MUST_CHECK int op_equal(TnState *st, TnTensor *a, TnTensor *b);

/* -------------------------------------------------------------- op_shape.c */
TN_MUST_CHECK int op_infer_shape(TnState *st, int nd, int64_t *shape, int64_t numel);
TnTensor *op_view(TnState *st, TnTensor *t, int nd, const int64_t *shape);
TnTensor *op_reshape(TnState *st, TnTensor *t, int nd, const int64_t *shape);
TnTensor *op_flatten(TnState *st, TnTensor *t, int64_t start, int64_t end);
TnTensor *op_unflatten(TnState *st, TnTensor *t, int64_t dim, int n, const int64_t *sizes);
TnTensor *op_squeeze(TnState *st, TnTensor *t, bool all, int64_t dim);
TnTensor *op_unsqueeze(TnState *st, TnTensor *t, int64_t dim);
TnTensor *op_permute(TnState *st, TnTensor *t, int n, const int64_t *dims);
TnTensor *op_transpose(TnState *st, TnTensor *t, int64_t d0, int64_t d1);
TnTensor *op_t(TnState *st, TnTensor *t);
TnTensor *op_reverse_dims(TnState *st, TnTensor *t);
TnTensor *op_movedim(TnState *st, TnTensor *t, int n, const int64_t *src, const int64_t *dst);
TnTensor *op_expand(TnState *st, TnTensor *t, int n, const int64_t *sizes);
TnTensor *op_narrow(TnState *st, TnTensor *t, int64_t dim, int64_t start, int64_t length);
TnTensor *op_select(TnState *st, TnTensor *t, int64_t dim, int64_t index);
TnTensor *op_slice(TnState *st, TnTensor *t, int dim, int64_t start, int64_t stop, int64_t step);
TnTensor *op_diagonal(TnState *st, TnTensor *t, int64_t offset, int64_t dim1, int64_t dim2);
/* Splitting: a tn_malloc'ed array of *n new tensors (free with op_free_list). */
TnTensor **op_split_sizes(TnState *st, TnTensor *t, int64_t dim, int64_t n, const int64_t *sizes);
TnTensor **op_split(TnState *st, TnTensor *t, int64_t size, int64_t dim, int64_t *n);
TnTensor **op_chunk(TnState *st, TnTensor *t, int64_t chunks, int64_t dim, int64_t *n);
TnTensor **op_unbind(TnState *st, TnTensor *t, int64_t dim, int64_t *n);
TnTensor *op_cat(TnState *st, TnTensor **ts, int64_t n, int64_t dim);
TnTensor *op_stack(TnState *st, TnTensor **ts, int64_t n, int64_t dim);
TnTensor *op_flip(TnState *st, TnTensor *t, int n, const int64_t *dims);
TnTensor *op_roll(TnState *st, TnTensor *t, int n, const int64_t *shifts, int nd,
                  const int64_t *dims);
TnTensor *op_repeat(TnState *st, TnTensor *t, int n, const int64_t *reps);
TnTensor *op_tile(TnState *st, TnTensor *t, int n, const int64_t *reps);
TnTensor *op_diag(TnState *st, TnTensor *t, int64_t k);
TnTensor *op_tri(TnState *st, TnTensor *t, int64_t k, bool upper);

/* ------------------------------------------------------------- op_reduce.c */
typedef enum {
    RED_SUM,
    RED_MEAN,
    RED_PROD,
    RED_AMAX,
    RED_AMIN,
    RED_ALL,
    RED_ANY,
    RED_COUNT_NONZERO,
    RED_LOGSUMEXP,
    RED_VAR,
    RED_STD,
    RED_ARGMAX,
    RED_ARGMIN,
} TnReduceOp;
/* Reduces over the dims set in `mask` (bit d; all dims when mask covers them).
 * dtype: -1 for the default result dtype. correction: for var/std. */
TnTensor *op_reduce(TnState *st, TnReduceOp op, TnTensor *x, uint32_t mask, bool keepdim,
                    int dtype, double correction);
/* max/min along a dim: values and int64 indices. */
TN_MUST_CHECK int op_max_dim(TnState *st, TnTensor *x, int64_t dim, bool keepdim, bool is_min,
                             TnTensor **values, TnTensor **indices);
typedef enum { SCAN_CUMSUM, SCAN_CUMPROD, SCAN_SOFTMAX, SCAN_LOG_SOFTMAX } TnScanOp;
TnTensor *op_scan(TnState *st, TnScanOp op, TnTensor *x, int64_t dim, int dtype);
/* Ties come out as PyTorch's CPU kernels leave them: stable keeps input order, else the
 * order of std::sort; topk's that of std::nth_element/partial_sort. */
TN_MUST_CHECK int op_sort(TnState *st, TnTensor *x, int64_t dim, bool descending, bool stable,
                          TnTensor **values, TnTensor **indices);
TN_MUST_CHECK int op_topk(TnState *st, TnTensor *x, int64_t k, int64_t dim, bool largest,
                          bool sorted, TnTensor **values, TnTensor **indices);

/* -------------------------------------------------------------- op_index.c */
TnTensor *op_index_select(TnState *st, TnTensor *x, int64_t dim, TnTensor *index);
TnTensor *op_gather(TnState *st, TnTensor *x, int64_t dim, TnTensor *index);
/* scatter into a copy of x (or into x when inplace); src tensor or scalar value. */
enum { SCATTER_SET, SCATTER_ADD, SCATTER_MUL }; /* op_scatter's mode */
TnTensor *op_scatter(TnState *st, TnTensor *x, int64_t dim, TnTensor *index, TnOperand src,
                     int mode, bool inplace);
TnTensor *op_masked_fill(TnState *st, TnTensor *x, TnTensor *mask, TnOperand value, bool inplace);
TnTensor *op_masked_select(TnState *st, TnTensor *x, TnTensor *mask);
TnTensor *op_nonzero(TnState *st, TnTensor *x);
TnTensor *op_take(TnState *st, TnTensor *x, TnTensor *index);
/* Python indexing: key is an int, slice, None, Ellipsis, tensor, list, or tuple of those. */
TnValue op_torch_key(TnState *st, TnTensor *x, TnValue key);
TnTensor *op_getitem(TnState *st, TnTensor *x, TnValue key);
TN_MUST_CHECK int op_setitem(TnState *st, TnTensor *x, TnValue key, TnValue value);
/* t[key] = value with PyTorch's checks on the value (op_setitem also serves NumPy) */
TN_MUST_CHECK int op_setitem_torch(TnState *st, TnTensor *x, TnValue key, TnValue value);

/* ------------------------------------------------------------ op_matmul.c */
TnTensor *op_mm(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_bmm(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_matmul(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_mv(TnState *st, TnTensor *a, TnTensor *v);
TnTensor *op_dot(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_outer(TnState *st, TnTensor *a, TnTensor *b);
TnTensor *op_addmm(TnState *st, TnTensor *input, TnTensor *a, TnTensor *b, TnValue beta,
                   TnValue alpha);

void op_free_list(TnTensor **ts, int64_t n);

#endif
