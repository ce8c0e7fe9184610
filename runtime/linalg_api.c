/* linalg_api.c: binds einsum, the norms, torch.linalg, torch.sparse and the sparse
 * Tensor methods, and routes sparse operands of mm, + and @ to sparse.c. */
#include "api_args.h"
#include "linalg.h"
#include "types.h"
#include <string.h>

#define NATIVE(name) static TnValue name(TnState *st, TnValue *a)

/* ---------------------------------------------------------------- arguments */
/* dim=: -1 for None/absent, else the count (an int is one dim). */
static int arg_dims(TnState *st, TnValue v, int64_t *dims, int *n)
{
    if (IS_UNDEF(v) || IS_NONE(v)) {
        *n = -1;
        return 0;
    }
    return arg_int_list(st, v, n, dims, TN_MAX_DIMS);
}

enum { ORD_VECTOR, ORD_MATRIX, ORD_TORCH_NORM };

/* ord= / p=: NULL for None; strings only 'fro' and 'nuc', with each caller's error. */
static int arg_ord(TnState *st, TnValue v, TnNormOrd *o, bool *given, int who)
{
    *given = !(IS_UNDEF(v) || IS_NONE(v));
    memset(o, 0, sizeof *o);
    if (!*given) return 0;
    if (IS_STR(v)) {
        const char *s = AS_STR(v)->data;
        if (who == ORD_VECTOR)
            return tn_raise_int(st, tn_TypeError,
                                "linalg_vector_norm(): argument 'ord' must be Number, not str");
        if (strcmp(s, "fro") && strcmp(s, "nuc"))
            return who == ORD_MATRIX
                       ? tn_raise_int(st, tn_RuntimeError,
                                      "linalg.matrix_norm: Order %s not supported.", s)
                       : tn_raise_int(st, tn_RuntimeError,
                                      "only valid string values are 'fro' and 'nuc', found %s", s);
        o->is_str = true;
        o->nuc = s[0] == 'n';
        return 0;
    }
    if (!IS_NUMBER(v))
        return tn_raise_int(st, tn_TypeError, "%s(): argument 'ord' must be Number, not %s",
                            who == ORD_VECTOR ? "linalg_vector_norm" : "linalg_norm",
                            tn_type_name(v));
    o->p = tn_num_as_double(v);
    return 0;
}

/* Every Tensor reaching these natives is dense except where sparse is handled:
 * sparse tensors have no strided data to read. */
static TnValue sparse_unsupported(TnState *st, const char *op)
{
    return tn_raise(st, tn_NotImplementedError,
                    "Could not run 'aten::%s' with arguments from the 'SparseCPU' backend. This "
                    "could be because the operator doesn't exist for this backend, or was omitted "
                    "during the selective/custom build process (if using custom build).",
                    op);
}

static TnTensor *dense_arg(TnState *st, TnValue v, const char *fn, const char *name)
{
    TnTensor *t = arg_tensor(st, v, fn, name);
    if (t && tensor_is_sparse(t)) {
        sparse_unsupported(st, fn);
        return NULL;
    }
    return t;
}

/* ----------------------------------------------------------------- einsum */
/* The sublist form einsum(op0, [0, 1], op1, [1, 2], [0, 2]) as an equation. */
static int sublist_equation(TnState *st, TnValue list, TnBuf *b)
{
    TnValue *items;
    int64_t n;
    if (!tn_seq_items(list, &items, &n))
        return tn_raise_int(st, tn_TypeError, "einsum(): expected List[int] in argument");
    for (int64_t i = 0; i < n; i++) {
        bool ok;
        if (IS_TYPEOF(items[i], &tn_ellipsis_type)) {
            ok = buf_puts(b, "...");
        } else {
            int64_t s;
            if (tn_as_index(st, items[i], &s, "subscript") < 0) return -1;
            if (s < 0 || s >= 52)
                return tn_raise_int(st, tn_ValueError,
                                    "einsum(): subscript in subscript list is not within the "
                                    "valid range [0, 52)");
            ok = buf_putc(b, (char)(s < 26 ? 'A' + s : 'a' + s - 26));
        }
        if (!ok) return (void)tn_no_memory(st), -1;
    }
    return 0;
}

/* Splits einsum's arguments into an equation and operand values (borrowed). */
static int einsum_args(TnState *st, TnValue *args, int64_t nargs, TnBuf *eq, TnValue **ops,
                       int64_t *nops, TnValue *tmp)
{
    if (nargs < 2)
        return tn_raise_int(st, tn_ValueError,
                            "einsum(): must specify the equation string and at least one operand, "
                            "or at least one operand and its subscripts list");
    if (IS_TENSOR(args[0])) {
        TnValue list = list_new(st, 0);
        if (IS_UNDEF(list)) return -1;
        *tmp = list;
        for (int64_t i = 0; i + 1 < nargs; i += 2) {
            if ((i && !buf_putc(eq, ',')) || sublist_equation(st, args[i + 1], eq) < 0 ||
                list_append(st, AS_LIST(list), args[i]) < 0)
                return -1;
        }
        if (nargs % 2 && (!buf_puts(eq, "->") || sublist_equation(st, args[nargs - 1], eq) < 0))
            return -1;
        *ops = AS_LIST(list)->items;
        *nops = AS_LIST(list)->n;
        return 0;
    }
    if (!IS_STR(args[0]))
        return tn_raise_int(st, tn_TypeError,
                            "einsum(): argument 'equation' (position 1) must be str, not %s",
                            tn_type_name(args[0]));
    if (!buf_puts(eq, AS_STR(args[0])->data)) return (void)tn_no_memory(st), -1;
    *ops = args + 1;
    *nops = nargs - 1;
    if (*nops == 1 && (IS_LIST(args[1]) || IS_TUPLE(args[1]))) tn_seq_items(args[1], ops, nops);
    return 0;
}

NATIVE(api_einsum)
{
    TnTuple *rest = AS_TUPLE(a[1]);
    int64_t nargs = IS_UNDEF(a[0]) ? 0 : rest->n + 1;
    TnValue *args = tn_malloc(sizeof(TnValue) * (size_t)(rest->n + 1));
    TnBuf eq = {0};
    TnValue tmp = tn_undef(), *ops = NULL;
    TnTensor **ts = NULL;
    TnTensor *r = NULL;
    int64_t nops = 0;
    if (!args) return tn_no_memory(st);
    args[0] = a[0];
    memcpy(args + 1, rest->items, sizeof(TnValue) * (size_t)rest->n);
    if (einsum_args(st, args, nargs, &eq, &ops, &nops, &tmp) < 0 || !buf_putc(&eq, 0)) goto done;
    ts = tn_malloc(sizeof(TnTensor *) * (size_t)(nops + 1));
    if (!ts) {
        tn_no_memory(st);
        goto done;
    }
    for (int64_t i = 0; i < nops; i++) {
        if (!IS_TENSOR(ops[i])) {
            tn_raise(st, tn_TypeError, "expected Tensor as element %lld in argument 1, but got %s",
                     (long long)i, tn_type_name(ops[i]));
            goto done;
        }
        ts[i] = AS_TENSOR(ops[i]);
        if (tensor_is_sparse(ts[i])) {
            sparse_unsupported(st, "einsum");
            goto done;
        }
    }
    r = op_einsum(st, eq.p, ts, (int)nops);
done:
    tn_free(ts);
    tn_free(args);
    buf_free(&eq);
    tn_decref(tmp);
    return ret_t(r);
}

/* ------------------------------------------------------------------ norms */
NATIVE(api_vector_norm)
{
    TnTensor *x = dense_arg(st, a[0], "linalg_vector_norm", "input");
    TnNormOrd o;
    bool given, keep;
    int64_t dims[TN_MAX_DIMS];
    int nd, dt;
    if (!x || arg_ord(st, a[1], &o, &given, ORD_VECTOR) < 0 || arg_dims(st, a[2], dims, &nd) < 0 ||
        arg_bool(st, a[3], &keep) < 0 || arg_dtype(st, a[4], &dt) < 0)
        return tn_undef();
    return ret_t(
        linalg_vector_norm(st, x, given ? o.p : 2, nd, dims, keep, dt, "linalg.vector_norm"));
}

NATIVE(api_matrix_norm)
{
    TnTensor *x = dense_arg(st, a[0], "linalg_matrix_norm", "input");
    TnNormOrd o;
    bool given, keep;
    int64_t dims[TN_MAX_DIMS];
    int nd, dt;
    if (!x || arg_ord(st, a[1], &o, &given, ORD_MATRIX) < 0 || arg_dims(st, a[2], dims, &nd) < 0 ||
        arg_bool(st, a[3], &keep) < 0 || arg_dtype(st, a[4], &dt) < 0)
        return tn_undef();
    if (!given) o.is_str = true; /* 'fro' */
    return ret_t(linalg_matrix_norm(st, x, o, nd, dims, keep, dt));
}

NATIVE(api_linalg_norm)
{
    TnTensor *x = dense_arg(st, a[0], "linalg_norm", "input");
    TnNormOrd o;
    bool given, keep;
    int64_t dims[TN_MAX_DIMS];
    int nd, dt;
    if (!x || arg_ord(st, a[1], &o, &given, ORD_MATRIX) < 0 || arg_dims(st, a[2], dims, &nd) < 0 ||
        arg_bool(st, a[3], &keep) < 0 || arg_dtype(st, a[4], &dt) < 0)
        return tn_undef();
    return ret_t(linalg_norm(st, x, given ? &o : NULL, nd, dims, keep, dt));
}

/* torch.norm(input, p, dim, keepdim, out, dtype) and Tensor.norm(self, p, dim, keepdim, dtype) */
static TnValue torch_norm(TnState *st, TnValue *a, int dtype_slot)
{
    TnTensor *x = dense_arg(st, a[0], "norm", "input");
    TnNormOrd o;
    bool given, keep;
    int64_t dims[TN_MAX_DIMS];
    int nd, dt;
    if (!x || arg_ord(st, a[1], &o, &given, ORD_TORCH_NORM) < 0 ||
        arg_dims(st, a[2], dims, &nd) < 0 || arg_bool(st, a[3], &keep) < 0 ||
        arg_dtype(st, a[dtype_slot], &dt) < 0)
        return tn_undef();
    return ret_t(linalg_torch_norm(st, x, given ? &o : NULL, nd, dims, keep, dt));
}

NATIVE(api_norm)
{
    if (!IS_UNDEF(a[4]) && !IS_NONE(a[4]))
        return tn_raise(st, tn_NotImplementedError, "torch.norm(out=...)");
    return torch_norm(st, a, 5);
}

NATIVE(Tensor_norm)
{
    return torch_norm(st, a, 4);
}

/* ------------------------------------------------------------ linalg extras */
#define UNARY_LINALG(NAME, FN, OP)                                                                 \
    NATIVE(NAME)                                                                                   \
    {                                                                                              \
        TnTensor *x = dense_arg(st, a[0], FN, "input");                                            \
        return x ? ret_t(OP(st, x)) : tn_undef();                                                  \
    }
UNARY_LINALG(api_svdvals, "linalg_svdvals", linalg_svdvals)
UNARY_LINALG(api_det, "det", linalg_det)
UNARY_LINALG(api_inv, "inverse", linalg_inv)

NATIVE(api_solve)
{
    TnTensor *A = dense_arg(st, a[0], "linalg_solve", "A");
    TnTensor *B = A ? dense_arg(st, a[1], "linalg_solve", "B") : NULL;
    bool left;
    if (!B || arg_bool(st, a[2], &left) < 0) return tn_undef();
    if (!left) return tn_raise(st, tn_NotImplementedError, "linalg.solve(left=False)");
    return ret_t(linalg_solve(st, A, B));
}

/* ------------------------------------------------------------------ sparse */
static TnTensor *data_tensor(TnState *st, TnValue v, int dtype)
{
    if (!IS_TENSOR(v)) return tensor_from_data(st, v, dtype);
    return tensor_to(st, AS_TENSOR(v), dtype < 0 ? AS_TENSOR(v)->dtype : (TnDType)dtype);
}

NATIVE(api_sparse_coo_tensor)
{
    int dt, nd = 0;
    int64_t sizes[TN_MAX_DIMS];
    bool has_size = !IS_UNDEF(a[2]) && !IS_NONE(a[2]);
    if (arg_dtype(st, a[3], &dt) < 0 ||
        (has_size && arg_int_list(st, a[2], &nd, sizes, TN_MAX_DIMS) < 0))
        return tn_undef();
    TnTensor *ind = data_tensor(st, a[0], -1);
    TnTensor *vals = ind ? data_tensor(st, a[1], dt) : NULL;
    TnTensor *r = vals ? sparse_coo_tensor(st, ind, vals, nd, has_size ? sizes : NULL) : NULL;
    tn_obj_decref(ind);
    tn_obj_decref(vals);
    if (r && !IS_UNDEF(a[5]) && set_requires_grad(st, r, a[5]) < 0) {
        tn_obj_decref(r);
        r = NULL;
    }
    return ret_t(r);
}

static TnTensor *need_sparse(TnState *st, TnValue v, const char *what)
{
    TnTensor *t = AS_TENSOR(v);
    if (!tensor_is_sparse(t))
        return tn_raise_ptr(st, tn_RuntimeError, "%s expected sparse tensor layout but got Strided",
                            what);
    return t;
}

static bool is_sparse_value(TnValue v)
{
    return IS_TENSOR(v) && tensor_is_sparse(AS_TENSOR(v));
}

/* An alias of a sparse part, as PyTorch hands out views of it. */
static TnValue part_alias(TnState *st, TnTensor *p)
{
    return ret_t(tensor_alias(st, p, p->ndim, p->sizes, p->strides, p->offset));
}

static TnValue coalesced_part(TnState *st, TnValue self, bool values)
{
    TnTensor *t = need_sparse(st, self, values ? "values" : "indices");
    if (!t) return tn_undef();
    if (!t->sp_coalesced)
        return tn_raise(st, tn_RuntimeError,
                        "Cannot get %s on an uncoalesced tensor, please call .coalesce() first",
                        values ? "values" : "indices");
    return part_alias(st, values ? t->sp_values : t->sp_indices);
}

NATIVE(Tensor_indices)
{
    return coalesced_part(st, a[0], false);
}
NATIVE(Tensor_values)
{
    return coalesced_part(st, a[0], true);
}
NATIVE(Tensor__indices)
{
    TnTensor *t = need_sparse(st, a[0], "_indices");
    return t ? part_alias(st, t->sp_indices) : tn_undef();
}
NATIVE(Tensor__values)
{
    TnTensor *t = need_sparse(st, a[0], "_values");
    return t ? part_alias(st, t->sp_values) : tn_undef();
}
NATIVE(Tensor__nnz)
{
    TnTensor *t = need_sparse(st, a[0], "_nnz");
    return t ? tn_int(t->sp_values->sizes[0]) : tn_undef();
}
NATIVE(Tensor_coalesce)
{
    TnTensor *t = need_sparse(st, a[0], "coalesce");
    return t ? ret_t(sparse_coalesce(st, t)) : tn_undef();
}
NATIVE(Tensor_is_coalesced)
{
    TnTensor *t = need_sparse(st, a[0], "is_coalesced");
    return t ? tn_bool(t->sp_coalesced) : tn_undef();
}
NATIVE(Tensor_sparse_dim)
{
    TnTensor *t = AS_TENSOR(a[0]);
    return tn_int(tensor_is_sparse(t) ? t->sp_indices->sizes[0] : 0);
}
NATIVE(Tensor_dense_dim)
{
    TnTensor *t = AS_TENSOR(a[0]);
    return tn_int(tensor_is_sparse(t) ? t->sp_values->ndim - 1 : t->ndim);
}

NATIVE(Tensor_to_sparse)
{
    TnTensor *t = AS_TENSOR(a[0]);
    int64_t sd = t->ndim;
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1]) && arg_int(st, a[1], &sd, "sparse_dim") < 0)
        return tn_undef();
    return ret_t(sparse_from_dense(st, t, sd));
}

NATIVE(Tensor_to_dense)
{
    int dt;
    if (arg_dtype(st, a[1], &dt) < 0) return tn_undef();
    TnTensor *d = sparse_to_dense(st, AS_TENSOR(a[0]));
    if (!d || dt < 0 || (TnDType)dt == d->dtype) return ret_t(d);
    TnTensor *c = tensor_to(st, d, (TnDType)dt);
    tn_obj_decref(d);
    return ret_t(c);
}

/* The bound natives that sparse first operands bypass (kept from tensor_api). */
static TnValue orig_torch_mm, orig_method_mm;

/* sparse.mm / smm / mm: a sparse first operand goes to sparse_mm. */
static TnValue sparse_or_dense_mm(TnState *st, TnValue *a, bool sparse_result, TnValue dense_fn,
                                  const char *fn)
{
    TnTensor *x = arg_tensor(st, a[0], fn, "input");
    TnTensor *y = x ? arg_tensor(st, a[1], fn, "mat2") : NULL;
    if (!y) return tn_undef();
    if (tensor_is_sparse(x)) return ret_t(sparse_mm(st, x, y, sparse_result));
    if (sparse_result)
        return tn_raise(st, tn_RuntimeError,
                        "tensor.sspaddmm(...) can only be called on sparse tensors");
    if (tensor_is_sparse(y)) /* PyTorch has no dense @ sparse either */
        return tn_raise(st, tn_NotImplementedError,
                        "Could not run 'aten::sparse_dim' with arguments from the 'CPU' backend. "
                        "This could be because the operator doesn't exist for this backend, or "
                        "was omitted during the selective/custom build process (if using custom "
                        "build).");
    return tn_call(st, dense_fn, a, 2, NULL, 0);
}

NATIVE(api_smm)
{
    return sparse_or_dense_mm(st, a, true, tn_undef(), "smm");
}
NATIVE(api_sparse_mm)
{
    return sparse_or_dense_mm(st, a, false, orig_torch_mm, "mm");
}
NATIVE(api_mm)
{
    return sparse_or_dense_mm(st, a, false, orig_torch_mm, "mm");
}
NATIVE(Tensor_mm)
{
    if (tensor_is_sparse(AS_TENSOR(a[0])) || is_sparse_value(a[1]))
        return sparse_or_dense_mm(st, a, false, orig_torch_mm, "mm");
    return tn_call_descr(st, orig_method_mm, a[0], a + 1, 1, NULL, 0);
}

/* ------------------------------------------------------ sparse operators */
static TnValue (*orig_binop)(TnState *st, int op, TnValue a, TnValue b, bool inplace);
static TnValue (*orig_unop)(TnState *st, int op, TnValue a);

/* Sparse values transformed by f, same indices. */
static TnValue map_values(TnState *st, TnTensor *s, TnTensor *vals)
{
    if (!vals) return tn_undef();
    TnTensor *r = sparse_new(st, s->sp_indices, vals, s->ndim, s->sizes, s->sp_coalesced);
    tn_obj_decref(vals);
    return ret_t(r);
}

static TnValue sparse_add_dense(TnState *st, TnTensor *dense, TnTensor *s)
{
    TnTensor *d = sparse_to_dense(st, s);
    TnTensor *r = d ? op_add(st, dense, d) : NULL;
    tn_obj_decref(d);
    return ret_t(r);
}

static TnValue linalg_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    bool sa = is_sparse_value(a), sb = is_sparse_value(b);
    if (!sa && !sb) return orig_binop(st, op, a, b, inplace);
    if (op == OP_ADD && !inplace && sa && sb)
        return ret_t(sparse_add(st, AS_TENSOR(a), AS_TENSOR(b)));
    if (op == OP_ADD && !inplace && sb && IS_TENSOR(a))
        return sparse_add_dense(st, AS_TENSOR(a), AS_TENSOR(b));
    if (op == OP_ADD && sa && IS_TENSOR(b))
        return tn_raise(st, tn_RuntimeError,
                        "add(sparse, dense) is not supported. Use add(dense, sparse) instead.");
    if (op == OP_MATMUL && sa && IS_TENSOR(b))
        return ret_t(sparse_mm(st, AS_TENSOR(a), AS_TENSOR(b), false));
    if (op == OP_MUL && !inplace && (sa != sb) && IS_NUMBER(sa ? b : a)) {
        TnTensor *s = AS_TENSOR(sa ? a : b);
        TnOperand v = {s->sp_values, tn_undef()}, k = {NULL, sa ? b : a};
        return map_values(st, s, op_binary(st, BOP_MUL, v, k));
    }
    return sparse_unsupported(st, op == OP_ADD ? "add" : op == OP_MUL ? "mul" : "binary op");
}

static TnValue linalg_unop(TnState *st, int op, TnValue a)
{
    if (!is_sparse_value(a)) return orig_unop(st, op, a);
    TnTensor *s = AS_TENSOR(a);
    if (op == UOP_NEG) return map_values(st, s, op_unary(st, UN_NEG, s->sp_values));
    return sparse_unsupported(st, "unary op");
}

/* ------------------------------------------------------------------ tables */
/* clang-format off */
#define DEF(name, fn, sig) {name, fn, sig, NULL, NULL}
#define END                {NULL, NULL, NULL, NULL, NULL}
/* clang-format on */

static const TnMethodDef torch_defs[] = {
    DEF("einsum", api_einsum, "einsum(equation=?, *operands)"),
    DEF("norm", api_norm, "norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None)"),
    DEF("det", api_det, "det(input)"),
    DEF("inverse", api_inv, "inverse(input)"),
    DEF("smm", api_smm, "smm(input, mat2)"),
    DEF("sparse_coo_tensor", api_sparse_coo_tensor,
        "sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, "
        "requires_grad=False)"),
    END,
};

static const TnMethodDef linalg_defs[] = {
    DEF("norm", api_linalg_norm, "norm(A, ord=None, dim=None, keepdim=False, *, dtype=None)"),
    DEF("vector_norm", api_vector_norm,
        "vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None)"),
    DEF("matrix_norm", api_matrix_norm,
        "matrix_norm(A, ord='fro', dim=?, keepdim=False, *, dtype=None)"),
    DEF("svdvals", api_svdvals, "svdvals(A, *, driver=None)"),
    DEF("det", api_det, "det(A)"),
    DEF("inv", api_inv, "inv(A)"),
    DEF("solve", api_solve, "solve(A, B, *, left=True)"),
    END,
};

static const TnMethodDef sparse_defs[] = {
    DEF("mm", api_sparse_mm, "mm(mat1, mat2)"),
    END,
};

static const TnMethodDef tensor_defs[] = {
    DEF("norm", Tensor_norm, "norm(self, p='fro', dim=None, keepdim=False, dtype=None)"),
    DEF("det", api_det, "det(self)"),
    DEF("inverse", api_inv, "inverse(self)"),
    DEF("smm", api_smm, "smm(self, mat2)"),
    DEF("to_sparse", Tensor_to_sparse, "to_sparse(self, sparse_dim=None)"),
    DEF("to_dense", Tensor_to_dense, "to_dense(self, dtype=None)"),
    DEF("indices", Tensor_indices, "indices(self)"),
    DEF("values", Tensor_values, "values(self)"),
    DEF("_indices", Tensor__indices, "_indices(self)"),
    DEF("_values", Tensor__values, "_values(self)"),
    DEF("_nnz", Tensor__nnz, "_nnz(self)"),
    DEF("coalesce", Tensor_coalesce, "coalesce(self)"),
    DEF("is_coalesced", Tensor_is_coalesced, "is_coalesced(self)"),
    DEF("sparse_dim", Tensor_sparse_dim, "sparse_dim(self)"),
    DEF("dense_dim", Tensor_dense_dim, "dense_dim(self)"),
    END,
};

static const TnMethodDef mm_torch_def = DEF("mm", api_mm, "mm(input, mat2)");
static const TnMethodDef mm_method_def = DEF("mm", Tensor_mm, "mm(self, mat2)");

static int add_rows(TnState *st, TnDict *d, TnValue owner, const TnMethodDef *defs)
{
    for (const TnMethodDef *m = defs; m->name; m++) {
        TnValue f = native_new(st, m, owner);
        if (IS_UNDEF(f)) return -1;
        int rc = dict_set_str(st, d, str_intern(m->name), f);
        tn_decref(f);
        if (rc < 0) return -1;
    }
    return 0;
}

static TnValue sub_namespace(TnState *st, TnValue torch_ns, const char *name)
{
    TnValue ns = dict_get_str(ns_dict(torch_ns), str_intern(name));
    if (!IS_TYPEOF(ns, &tn_namespace_type))
        return tn_raise(st, tn_RuntimeError, "linalg_api_init: torch.%s is missing", name);
    return ns;
}

/* torch.mm and Tensor.mm learn sparse first operands; the dense natives they
 * replace are kept and called for everything else. */
static int route_mm(TnState *st, TnValue torch_ns)
{
    TnDict *td = tn_tensor_type.dict;
    orig_torch_mm = dict_get_str(ns_dict(torch_ns), str_intern("mm"));
    orig_method_mm = dict_get_str(td, str_intern("mm"));
    if (IS_UNDEF(orig_torch_mm) || IS_UNDEF(orig_method_mm)) return 0;
    tn_incref(orig_torch_mm);
    tn_incref(orig_method_mm);
    TnValue ft = native_new(st, &mm_torch_def, torch_ns);
    TnValue fm = IS_UNDEF(ft) ? ft : native_new(st, &mm_method_def, tn_obj(&tn_tensor_type));
    int rc = IS_UNDEF(fm) ? -1 : 0;
    if (rc == 0) rc = dict_set_str(st, ns_dict(torch_ns), str_intern("mm"), ft);
    if (rc == 0) rc = dict_set_str(st, td, str_intern("mm"), fm);
    tn_decref(ft);
    tn_decref(fm);
    return rc;
}

/* torch._C._LinAlgError: a RuntimeError subclass, as PyTorch raises for singular input. */
static TnType linalg_error_type;

static int make_linalg_error(TnState *st, TnValue linalg_ns)
{
    linalg_error_type = *tn_RuntimeError;
    linalg_error_type.head.refcnt = TN_IMMORTAL;
    linalg_error_type.name = "_LinAlgError";
    linalg_error_type.name_str = str_intern("_LinAlgError");
    linalg_error_type.base = tn_RuntimeError;
    linalg_error_type.dict = NULL;
    linalg_error_type.methods = NULL;
    linalg_error_type.getset = NULL;
    linalg_error_type.flags &= ~(unsigned)TN_TYPE_HEAP;
    if (type_ready(st, &linalg_error_type) < 0) return -1;
    tn_LinAlgError = &linalg_error_type;
    return dict_set_str(st, ns_dict(linalg_ns), str_intern("LinAlgError"),
                        tn_obj(&linalg_error_type));
}

int linalg_api_init(TnState *st, TnValue torch_ns)
{
    TnValue linalg = sub_namespace(st, torch_ns, "linalg");
    TnValue sparse = IS_UNDEF(linalg) ? linalg : sub_namespace(st, torch_ns, "sparse");
    if (IS_UNDEF(sparse)) return -1;
    TnValue tt = tn_obj(&tn_tensor_type);
    if (route_mm(st, torch_ns) < 0 || add_rows(st, ns_dict(torch_ns), torch_ns, torch_defs) < 0 ||
        add_rows(st, ns_dict(linalg), linalg, linalg_defs) < 0 ||
        add_rows(st, ns_dict(sparse), sparse, sparse_defs) < 0 ||
        add_rows(st, tn_tensor_type.dict, tt, tensor_defs) < 0 || make_linalg_error(st, linalg) < 0)
        return -1;
    if (tn_tensor_type.binop) {
        orig_binop = tn_tensor_type.binop;
        tn_tensor_type.binop = tn_parameter_type.binop = linalg_binop;
    }
    if (tn_tensor_type.unop) {
        orig_unop = tn_tensor_type.unop;
        tn_tensor_type.unop = tn_parameter_type.unop = linalg_unop;
    }
    return 0;
}
