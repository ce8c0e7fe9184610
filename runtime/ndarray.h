/* ndarray.h: numpy.ndarray and numpy dtypes for tn's `import numpy as np`.
 *
 * An ndarray is a TnTensor view plus NumPy's behaviour: so torch.from_numpy and
 * Tensor.numpy() only make new headers over the same TnStorage and writes
 * through either side are visible in the other. Unlike a tensor, an ndarray
 * view may have negative strides (a[::-1]); whatever hands an ndarray to the
 * tensor runtime goes through ndarray_tensor(), which copies such views.
 *
 * A NumPy scalar (np.float32(0.1), what indexing a float32 array yields) is a
 * 0-d ndarray with `scalar` set: it prints like a Python float with float32
 * digits. Other dtypes index to Python int / float / bool, which print as
 * NumPy's int64 / float64 / bool_ scalars do.
 */
#ifndef TN_NDARRAY_H
#define TN_NDARRAY_H

#include "tensor.h"

typedef struct TnNdArray {
    TN_OBJECT_HEAD;
    TnTensor *t;
    bool readonly; /* np.load(mmap_mode='r') */
    bool scalar;
} TnNdArray;

/* numpy.dtype('float32') objects and the scalar types np.float32, ... */
typedef struct TnNpDType {
    TN_OBJECT_HEAD;
    TnDType dt;
    bool is_type; /* np.float32 (a class in NumPy) rather than dtype('float32') */
} TnNpDType;

extern TnType tn_ndarray_type, tn_npdtype_type;
#define IS_NDARRAY(v) IS_TYPEOF(v, &tn_ndarray_type)
#define AS_NDARRAY(v) ((TnNdArray *)AS_OBJ(v))

/* Wraps t (steals the reference) as an ndarray. */
TN_MUST_CHECK TnValue ndarray_new(TnState *st, TnTensor *t, bool readonly);
/* The ndarray's data as a tensor the runtime can use: an alias when its strides
 * are non-negative (shares memory), else a contiguous copy. New reference. */
TnTensor *ndarray_tensor(TnState *st, TnNdArray *a);
/* dtype('float32') (immortal) and the scalar type np.float32 (immortal). */
TnValue npdtype_value(TnDType dt);
TnValue npdtype_type_value(TnDType dt);
/* dtype= argument: np dtypes and types, torch dtypes, 'float32' / '<f4' strings,
 * Python float/int/bool; -1 for None / UNDEF. */
TN_MUST_CHECK int np_arg_dtype(TnState *st, TnValue v, int *out);
/* np.array(obj, dtype): NumPy's inference (floats -> float64). New ndarray. */
TN_MUST_CHECK TnValue ndarray_from_object(TnState *st, TnValue obj, int dtype, bool copy);
/* readies the types (startup) */
TN_MUST_CHECK int ndarray_init(TnState *st);

/* ---------------------------------------------------------- ndarray_print.c */
/* NumPy's repr (`array([1., 2.], dtype=float32)`) or str (`[1. 2.]`) of t. */
TN_MUST_CHECK TnValue ndarray_format(TnState *st, TnTensor *t, bool repr);
/* repr of one NumPy scalar of dtype dt at p ("0.1", "1e-05", "100.0"). */
TN_MUST_CHECK TnValue np_scalar_repr(TnState *st, TnDType dt, const void *p);

#endif
