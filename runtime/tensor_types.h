/* tensor_types.h: torch.dtype / Size / device / layout objects, the
 * torch.return_types named tuples and the tensor iterator (tensor_types.c). */
#ifndef TN_TENSOR_TYPES_H
#define TN_TENSOR_TYPES_H

#include "tensor.h"

typedef struct {
    TN_OBJECT_HEAD;
    TnDType dt;
} TnDTypeObj;

extern TnType tn_dtype_type, tn_device_type, tn_layout_type, tn_size_type, tn_tensor_iter_type;
extern TnDTypeObj tn_dtype_objs[DT_NTYPES];
extern TnObject tn_cpu_device;
#define IS_DTYPE(v) IS_TYPEOF(v, &tn_dtype_type)
#define AS_DTYPE(v) (((TnDTypeObj *)AS_OBJ(v))->dt)

/* torch.float32 etc. (immortal; no reference counting needed). */
TnValue dtype_value(TnDType dt);
TnValue layout_value(bool sparse);
/* torch.Size of the given sizes (new reference). */
TnValue size_new(TnState *st, int nd, const int64_t *sizes);

/* torch.return_types.X(values, indices): a 2-item named tuple. */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue values, indices;
} TnRetTuple;
#define TN_RETURN_TYPES(X) X(max) X(min) X(sort) X(topk) X(kthvalue) X(mode) X(median) X(cummax) X(cummin) X(aminmax)
#define X(n) extern TnType tn_ret_##n##_type;
TN_RETURN_TYPES(X)
#undef X
/* Steals both tensors. */
TnValue ret_tuple_new(TnState *st, TnType *type, TnTensor *values, TnTensor *indices);

TnValue tensor_iter_new(TnState *st, TnTensor *t);
TN_MUST_CHECK int tensor_types_init(TnState *st);

#endif
