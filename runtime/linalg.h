/* linalg.h: einsum, norms, LAPACK-backed linear algebra and sparse COO tensors.
 *
 * Like tensor_ops.h these take already-bound Python-level arguments, raise
 * PyTorch's errors and return new references (NULL on error). They are plain
 * forward functions that record no graph: autograd wraps the bound natives
 * (einsum and the norms have gradient rows) from outside. Sparse tensors are
 * TnTensors whose sp_indices (int64, sparse_dim x nnz) and sp_values (nnz x dense
 * dims) are set; their own storage is a single zero element with zero strides, so
 * dense code that forgets tensor_is_sparse() reads zeros, never out of bounds.
 */
#ifndef TN_LINALG_H
#define TN_LINALG_H

#include "tensor.h"

/* ---------------------------------------------------------------- einsum.c */
/* torch.einsum(equation, operands): PyTorch 1.13's plan (operands contracted
 * left to right, each pair by one batched gemm). May return a view of an operand. */
TnTensor *op_einsum(TnState *st, const char *equation, TnTensor **ops, int nops);

/* ---------------------------------------------------------------- linalg.c */
/* A vector-norm order: a number, or one of the matrix-norm names. */
typedef struct TnNormOrd {
    bool is_str; /* 'fro' / 'nuc' */
    bool nuc;    /* with is_str: nuclear, else Frobenius */
    double p;    /* numeric order (may be +-inf) */
} TnNormOrd;

/* linalg.vector_norm over the dims in dims[0..ndims) (ndims < 0: all dims);
 * dtype -1: input dtype. `name` prefixes errors ("linalg.vector_norm"). */
TnTensor *linalg_vector_norm(TnState *st, TnTensor *x, double ord, int ndims, const int64_t *dims,
                             bool keepdim, int dtype, const char *name);
/* linalg.matrix_norm over dims[0..ndims), which must be two (ndims < 0: the last two). */
TnTensor *linalg_matrix_norm(TnState *st, TnTensor *a, TnNormOrd ord, int ndims,
                             const int64_t *dims, bool keepdim, int dtype);
/* linalg.norm: ord NULL means None; ndims < 0 means dim=None. */
TnTensor *linalg_norm(TnState *st, TnTensor *a, const TnNormOrd *ord, int ndims,
                      const int64_t *dims, bool keepdim, int dtype);
/* The deprecated torch.norm / Tensor.norm (p NULL means None). */
TnTensor *linalg_torch_norm(TnState *st, TnTensor *a, const TnNormOrd *p, int ndims,
                            const int64_t *dims, bool keepdim, int dtype);
TnTensor *linalg_svdvals(TnState *st, TnTensor *a);
/* The reduced SVD A = U diag(S) Vh of (a batch of) matrices, for gradients: new
 * references in *u (..., m, k), *s (..., k), *vh (..., k, n). 0, or -1 with an error. */
TN_MUST_CHECK int linalg_svd(TnState *st, TnTensor *a, TnTensor **u, TnTensor **s, TnTensor **vh);
TnTensor *linalg_det(TnState *st, TnTensor *a);
TnTensor *linalg_inv(TnState *st, TnTensor *a);
/* det's gradient A^-T diag(gd) for gd = g * det(A) (batch-shaped), solved from A's LU
 * factors as PyTorch does, which also gives it for singular A (zero pivots perturbed). */
TnTensor *linalg_det_backward(TnState *st, TnTensor *a, TnTensor *gd);
TnTensor *linalg_solve(TnState *st, TnTensor *a, TnTensor *b);
/* Raised for singular matrices and failed factorisations (a RuntimeError). */
extern TnType *tn_LinAlgError;

/* ---------------------------------------------------------------- sparse.c */
static inline bool tensor_is_sparse(const TnTensor *t)
{
    return t->sp_indices != NULL;
}
/* A sparse tensor of `ndim`/`sizes` taking references to indices and values. */
TnTensor *sparse_new(TnState *st, TnTensor *indices, TnTensor *values, int ndim,
                     const int64_t *sizes, bool coalesced);
/* torch.sparse_coo_tensor from tensors (indices any integer dtype); size NULL infers. */
TnTensor *sparse_coo_tensor(TnState *st, TnTensor *indices, TnTensor *values, int ndim,
                            const int64_t *sizes);
TnTensor *sparse_from_dense(TnState *st, TnTensor *t, int64_t sparse_dim);
TnTensor *sparse_to_dense(TnState *st, TnTensor *s);
/* transpose(a, b) of two sparse dims (wrapped, a != b). */
TnTensor *sparse_transpose(TnState *st, TnTensor *s, int a, int b);
TnTensor *sparse_coalesce(TnState *st, TnTensor *s);
/* sparse @ dense: dense (torch.sparse.mm, torch.mm) or sparse (torch.smm). */
TnTensor *sparse_mm(TnState *st, TnTensor *s, TnTensor *d, bool sparse_result);
/* sparse + sparse (alpha * b), uncoalesced concatenation as PyTorch returns it. */
TnTensor *sparse_add(TnState *st, TnTensor *a, TnTensor *b);

#endif
