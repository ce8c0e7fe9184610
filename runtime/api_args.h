/* api_args.h: argument conversion shared by the binding files (tensor_api*.c):
 * Python values → tensors, operands, ints, dims, sizes and dtypes, with PyTorch's
 * TypeError texts. */
#ifndef TN_API_ARGS_H
#define TN_API_ARGS_H

#include "tensor_types.h"

static inline TnValue ret_t(TnTensor *t)
{
    return t ? tn_obj(t) : tn_undef();
}
static inline TnOperand opnd_t(TnTensor *t)
{
    TnOperand o = {t, tn_undef()};
    return o;
}

TnTensor *arg_tensor(TnState *st, TnValue v, const char *fn, const char *name);
TN_MUST_CHECK int arg_operand(TnState *st, TnValue v, TnOperand *o, const char *fn,
                              const char *name);
/* Optional operand: None/UNDEF → absent (t NULL, s UNDEF). */
TN_MUST_CHECK int arg_opt_operand(TnState *st, TnValue v, TnOperand *o, const char *fn,
                                  const char *name);
TN_MUST_CHECK int arg_int(TnState *st, TnValue v, int64_t *out, const char *what);
TN_MUST_CHECK int arg_bool(TnState *st, TnValue v, bool *out);
TN_MUST_CHECK int arg_double(TnState *st, TnValue v, double *out);
/* dtype=: -1 for None/absent; Python float/int/bool types accepted. */
TN_MUST_CHECK int arg_dtype(TnState *st, TnValue v, int *out);
/* An int or a sequence of ints (tuple, list, Size, tensor). */
TN_MUST_CHECK int arg_int_list(TnState *st, TnValue v, int *n, int64_t *out, int max);
/* Sizes from a *size tuple: ints, or a single sequence. */
TN_MUST_CHECK int arg_sizes(TnState *st, TnValue args, int *nd, int64_t *sizes);
/* A tuple, list or torch.Size of ints (or tensors, read as ints). */
bool arg_is_int_seq(TnValue v);
/* arg_sizes with PyTorch's TypeErrors for non-int sizes, naming fn(), the argument and its
 * kind ("SymInts" or "ints") */
TN_MUST_CHECK int arg_sizes_for(TnState *st, TnValue args, int *nd, int64_t *sizes,
                                const char *fn, const char *arg, const char *kind);
/* dim= as a mask over ndim dims (None/UNDEF: all). */
TN_MUST_CHECK int arg_dim_mask(TnState *st, TnValue dim, int ndim, uint32_t *mask);
/* A list/tuple of tensors as a new array (borrowed tensors). */
TnTensor **arg_tensor_list(TnState *st, TnValue v, int64_t *n, const char *fn);
/* Sets requires_grad from a kwarg value; checks the dtype. */
TN_MUST_CHECK int set_requires_grad(TnState *st, TnTensor *t, TnValue rg);
/* A freshly created tensor as a value, after requires_grad= (rg, UNDEF if absent) is applied.
 * Steals t; t NULL (an error already raised) gives UNDEF. */
TnValue api_finish_new(TnState *st, TnTensor *t, TnValue rg);
/* random_api.c: adds the random torch.* functions and Tensor methods (from tensor_api_init). */
TN_MUST_CHECK int random_api_init(TnState *st, TnValue torch_ns);
/* A tuple of n tensors (steals them and frees the array). */
TnValue tensors_to_tuple(TnState *st, TnTensor **ts, int64_t n);

#endif
