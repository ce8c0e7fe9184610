/* tensor.h: strided tensors over shared, refcounted storage.
 *
 * A TnTensor is a view: (storage, offset, ndim, sizes, strides, dtype). Strides
 * and offset count elements, not bytes. Any number of tensors may share one
 * TnStorage; view operations (view, transpose, select, slicing, expand, ...)
 * make new TnTensor headers and never copy data. In-place writes bump the
 * storage's version counter, which autograd uses to detect that a saved tensor
 * was modified.
 *
 * Autograd state lives on the tensor (requires_grad, grad, grad_fn) and is
 * managed by runtime/autograd.c; this header only reserves the fields.
 *
 * Ownership follows object.h: *_new functions return new references; functions
 * that fail raise through tn_raise and return NULL.
 */
#ifndef TN_TENSOR_H
#define TN_TENSOR_H

#include "object.h"

#define TN_MAX_DIMS 16

typedef enum { DT_BOOL, DT_INT32, DT_INT64, DT_FLOAT32, DT_FLOAT64, DT_NTYPES } TnDType;

typedef struct TnStorage {
    TN_OBJECT_HEAD;
    void *data;
    int64_t nbytes;
    int64_t version;  /* bumped by every in-place write */
    TnValue owner;    /* keeps external memory alive (ndarray, mmap), or UNDEF */
    bool owns_data;   /* free(block) on dealloc */
    void *block;      /* the allocation data lies in (data is rounded up to 64 bytes in it) */
} TnStorage;

typedef struct TnGradFn TnGradFn; /* autograd.c */

typedef struct TnTensor {
    TN_OBJECT_HEAD;
    TnStorage *storage;
    int64_t offset;
    int ndim;
    TnDType dtype;
    int64_t sizes[TN_MAX_DIMS];
    int64_t strides[TN_MAX_DIMS];
    /* autograd */
    bool requires_grad;
    bool retains_grad;
    bool is_param;          /* nn.Parameter */
    struct TnTensor *grad;  /* accumulated gradient of a leaf, or NULL */
    TnGradFn *grad_fn;      /* node that produced this tensor, or NULL for leaves */
    int output_nr;          /* which output of grad_fn this is */
    TnValue hooks;          /* list of hook callables, or UNDEF */
    TnValue base;           /* for views: the tensor viewed (autograd/version), or UNDEF */
    /* sparse COO: indices (int64, 2 x nnz) and values; NULL for dense */
    struct TnTensor *sp_indices, *sp_values;
    bool sp_coalesced;
    TnDict *dict;           /* user attributes (rare), or NULL */
} TnTensor;

extern TnType tn_tensor_type, tn_parameter_type;
#define IS_TENSOR(v) (IS_OBJ(v) && (AS_OBJ(v)->type == &tn_tensor_type || AS_OBJ(v)->type == &tn_parameter_type || tensor_type_check(AS_OBJ(v)->type)))
#define AS_TENSOR(v) ((TnTensor *)AS_OBJ(v))
bool tensor_type_check(TnType *t); /* subclasses of Tensor/Parameter */


/* ====================================================================== */
/* Everything below the structs is the runtime's API (tensor.c, dtype.c,   */
/* storage.c and the op_*.c files). Scalars are passed as TnValue holding   */
/* V_BOOL, V_INT or V_FLOAT. Every function returning a TnTensor* returns a */
/* new reference, or NULL with an exception set.                            */
/* ====================================================================== */

/* ------------------------------------------------------------------ dtype */
typedef struct TnDTypeInfo {
    const char *name;   /* "float32": torch.float32 */
    const char *cname;  /* "Float": PyTorch's ScalarType name in error messages */
    int size;           /* bytes per element */
} TnDTypeInfo;
extern const TnDTypeInfo tn_dtype_info[DT_NTYPES];
#define DT_SIZE(dt)     (tn_dtype_info[(dt)].size)
#define DT_IS_FLOAT(dt) ((dt) >= DT_FLOAT32)
#define DT_IS_INT(dt)   ((dt) == DT_INT32 || (dt) == DT_INT64)
#define DT_DEFAULT      DT_FLOAT32

/* Promotion of two dtypes (bool < int32 < int64 < float32 < float64). */
TnDType dtype_promote(TnDType a, TnDType b);
/* PyTorch's can_cast: may a value of `from` be written into `to` in place? */
bool dtype_can_cast(TnDType from, TnDType to);
/* dtype of a Python scalar when it is an operand: bool, int64, or default float. */
TnDType dtype_of_scalar(TnValue s);
/* PyTorch's result_type over tensors (dimensioned beat 0-d beat Python scalars
 * by category). Operands are tensors or, with t == NULL, Python scalars. */
typedef struct TnOperand {
    TnTensor *t; /* NULL for a Python scalar */
    TnValue s;   /* the scalar when t is NULL */
} TnOperand;
TnDType dtype_result_type(const TnOperand *ops, int n);

/* ---------------------------------------------------------------- storage */
extern TnType tn_storage_type;
/* A storage of nbytes uninitialised bytes (small ones live inline). */
TnStorage *storage_new(TnState *st, int64_t nbytes);
/* Same, zero-filled when `zero` (large zeroed buffers come from calloc, untouched). */
TnStorage *storage_new_ex(TnState *st, int64_t nbytes, bool zero);

/* ----------------------------------------------------------------- tensor */
/* Hook set by autograd: the grad_fn's class name ("AddBackward0") for printing. */
extern const char *(*tensor_grad_fn_name)(TnTensor *t);
/* Hook set by autograd: releases what the autograd fields hold when a tensor dies
 * (grad_fn). NULL: grad_fn is treated as a refcounted TnObject. */
extern void (*tensor_release_autograd)(TnTensor *t);

/* Frees the memory of a dead tensor's header (its references already dropped): recycled for
 * the next tensor when it is a plain Tensor. For tensor_dealloc only. */
void tensor_header_free(TnTensor *t);

int64_t tensor_numel(const TnTensor *t);
bool tensor_is_contiguous(const TnTensor *t);
/* Address of element [0,...,0]. */
static inline char *tensor_ptr(const TnTensor *t)
{
    return (char *)t->storage->data + t->offset * DT_SIZE(t->dtype);
}
/* Checked product of sizes; raises RuntimeError on overflow or negative sizes. */
TN_MUST_CHECK int tensor_check_sizes(TnState *st, int ndim, const int64_t *sizes, int64_t *numel);
/* New contiguous tensor, uninitialised. */
TnTensor *tensor_empty(TnState *st, TnDType dt, int ndim, const int64_t *sizes);
TnTensor *tensor_empty_ex(TnState *st, TnDType dt, int ndim, const int64_t *sizes, bool zero);
TnTensor *tensor_zeros(TnState *st, TnDType dt, int ndim, const int64_t *sizes);
TnTensor *tensor_full(TnState *st, TnDType dt, int ndim, const int64_t *sizes, TnValue v);
TnTensor *tensor_empty_like(TnState *st, const TnTensor *t, TnDType dt);
/* Elementwise results laid out as PyTorch lays them out (TensorIterator): an op on
 * transposed or permuted inputs gives a like-permuted result, so stride(), is_contiguous()
 * and view() behave as in PyTorch. ops[k] NULL stands for a Python-number operand. */
void tensor_result_strides(int nd, const int64_t *sizes, int nops, TnTensor *const *ops,
                           int64_t *strides);
TnTensor *tensor_empty_result(TnState *st, TnDType dt, int nd, const int64_t *sizes, int nops,
                              TnTensor *const *ops);
/* clone()/to(dtype) of the user API: a copy keeping t's layout (memory_format=preserve). */
TnTensor *tensor_clone_layout(TnState *st, TnTensor *t, TnDType dt);
/* 0-d tensor holding a scalar. */
TnTensor *tensor_scalar(TnState *st, TnDType dt, TnValue v);
/* A new header over t's storage (a view); sizes/strides copied. */
TnTensor *tensor_alias(TnState *st, TnTensor *t, int ndim, const int64_t *sizes,
                       const int64_t *strides, int64_t offset);
/* Do t's elements tile one block of memory (contiguous up to a permutation)? */
bool tensor_is_dense(const TnTensor *t);
/* t itself (new reference) when contiguous, else a contiguous copy. */
TnTensor *tensor_contiguous(TnState *st, TnTensor *t);
TnTensor *tensor_clone(TnState *st, TnTensor *t);
/* t itself (new reference) when it already has dtype dt, else a converted copy. */
TnTensor *tensor_to(TnState *st, TnTensor *t, TnDType dt);
/* dst[...] = src broadcast to dst's shape, converting dtypes. Bumps the version. */
TN_MUST_CHECK int tensor_copy_(TnState *st, TnTensor *dst, TnTensor *src);
TN_MUST_CHECK int tensor_check_scalar(TnState *st, TnDType dt, TnValue v);
/* PyTorch's memory-overlap checks for an op writing `out` (in place) while reading `in` (may
 * be NULL): out must not repeat elements (a stride 0), nor partly overlap in. */
TN_MUST_CHECK int tensor_check_overlap(TnState *st, TnTensor *out, TnTensor *in);
TN_MUST_CHECK int tensor_fill_(TnState *st, TnTensor *t, TnValue v);
/* Element i of a contiguous buffer of dtype dt as double / int64 / scalar value. */
double dtype_get_f(TnDType dt, const void *p);
int64_t dtype_get_i(TnDType dt, const void *p);
void dtype_set(TnDType dt, void *p, TnValue v);
TnValue dtype_get_value(TnDType dt, const void *p); /* V_BOOL, V_INT or V_FLOAT */
/* The element at a flat row-major index of t (any strides). */
TnValue tensor_get_flat(const TnTensor *t, int64_t i);
void tensor_bump_version(TnTensor *t);

/* Broadcast shapes a and b into out (ndim returned in *nout); raises RuntimeError
 * "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1". */
TN_MUST_CHECK int shape_broadcast(TnState *st, int na, const int64_t *a, int nb, const int64_t *b,
                                  int *nout, int64_t *out);
/* A view of t expanded to (ndim, sizes) with zero strides; raises on mismatch. */
TnTensor *tensor_expand_to(TnState *st, TnTensor *t, int ndim, const int64_t *sizes);
/* "[2, 3]" into buf (at least TN_SHAPE_STR bytes); returns buf. */
#define TN_SHAPE_STR (TN_MAX_DIMS * 22 + 4)
char *shape_str(char *buf, int ndim, const int64_t *sizes);
const char *tensor_expand_name(TnDType dt);
/* Raises PyTorch's expand error unless shape src broadcasts to shape dst. */
TN_MUST_CHECK int tensor_check_expand(TnState *st, TnDType dt, int nsrc, const int64_t *src,
                                      int ndst, const int64_t *dst);
/* Wraps a negative dim into [0, ndim); raises IndexError "Dimension out of range ...". */
TN_MUST_CHECK int tensor_wrap_dim(TnState *st, int64_t dim, int ndim, int *out);

/* ---------------------------------------------------------- tensor_data.c */
/* torch.tensor(data): nested lists/tuples of bools/ints/floats/tensors; dtype -1
 * infers (bool < int64 < default float). Always copies. */
TnTensor *tensor_from_data(TnState *st, TnValue data, int dtype);
/* torch.tensor's reading: tensor items are scalars, integer overflow is an error */
TnTensor *tensor_from_py(TnState *st, TnValue data, int dtype);
/* t.tolist() / t.item() as Python values (new reference). */
TN_MUST_CHECK TnValue tensor_tolist(TnState *st, TnTensor *t);

/* ---------------------------------------------------------------- print.c */
typedef struct TnPrintOptions {
    int precision, edgeitems, linewidth;
    int64_t threshold;
    int sci_mode; /* -1 None, 0 False, 1 True */
} TnPrintOptions;
extern TnPrintOptions tn_print_opts;
/* repr(t) as a str value (new reference). */
TN_MUST_CHECK TnValue tensor_repr(TnState *st, TnTensor *t);
/* Appends PyTorch's rendering of t's data ("[1., 2.]") to b; false on no memory. */
bool tensor_format_data(TnBuf *b, TnTensor *t, int indent);

/* ----------------------------------------------------------- tensor_api.c */
/* Fills the torch namespace and readies the Tensor/Parameter types (startup). */
TN_MUST_CHECK int tensor_api_init(TnState *st, TnValue torch_ns);
/* Adds more Tensor methods (autograd: backward, register_hook, ...). */
TN_MUST_CHECK int tensor_api_add_methods(TnState *st, const TnMethodDef *defs);
/* Borrowed namespaces: torch, torch.linalg, torch.sparse (ns_add_methods into them). */
extern TnValue tensor_api_torch_ns, tensor_api_linalg_ns, tensor_api_sparse_ns;
/* NULL-terminated: torch names that `from torch import *` must skip (not in torch.__all__). */
extern const char *const tensor_api_private_names[];
/* Hook set by autograd: the grad_fn object of a tensor with grad_fn != NULL. */
extern TnValue (*tensor_grad_fn_value)(TnState *st, TnTensor *t);

#include "tensor_ops.h"

#endif
