/* op_matmul.c: matrix products (mm, bmm, matmul with its 1-D and batch rules,
 * mv, dot, outer, addmm) on the strided gemm kernels. */
#include "tensor.h"
#include "gemm.h"
#include <string.h>

static int same_dtype(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->dtype != b->dtype)
        return tn_raise_int(st, tn_RuntimeError, "expected scalar type %s but found %s",
                            tn_dtype_info[a->dtype].cname, tn_dtype_info[b->dtype].cname);
    if (a->dtype == DT_BOOL)
        return tn_raise_int(st, tn_RuntimeError, "\"addmm_impl_cpu_\" not implemented for 'Bool'");
    return 0;
}

/* Matrix i of a batch: the operands of bmm_into are all 3-D (B, r, c) or all 2-D (one matrix),
 * so mm and addmm need no batch views made for them. */
#define RS(t) ((t)->strides[(t)->ndim - 2])
#define CS(t) ((t)->strides[(t)->ndim - 1])
static char *mat_ptr(TnTensor *t, int64_t i)
{
    return tensor_ptr(t) + (t->ndim == 3 ? i * t->strides[0] * DT_SIZE(t->dtype) : 0);
}

/* out[i] = alpha * a[i] @ b[i] + beta * out[i] for 3-D a (B,m,k), b (B,k,n) and
 * out (B,m,n), or 2-D a (m,k), b (k,n), out (m,n). Operands whose strides BLIS cannot
 * take are copied first. */
static int bmm_into(TnState *st, TnTensor *a, TnTensor *b, TnTensor *out, double alpha,
                    double beta)
{
    int nd = a->ndim;
    int64_t B = nd == 3 ? a->sizes[0] : 1, m = a->sizes[nd - 2], k = a->sizes[nd - 1];
    int64_t n = b->sizes[nd - 1];
    if (B == 0 || m == 0 || n == 0)
        return 0;
    TnTensor *ca = a, *cb = b;
    bool float_ok = DT_IS_FLOAT(a->dtype);
    if (float_ok && !gemm_strides_ok(m, k, RS(a), CS(a)))
        ca = tensor_clone(st, a);
    else
        tn_obj_incref(a);
    if (ca && float_ok && !gemm_strides_ok(k, n, RS(b), CS(b)))
        cb = tensor_clone(st, b);
    else
        tn_obj_incref(b);
    if (!ca || !cb) {
        tn_obj_decref(ca);
        return -1;
    }
    /* integers compute in int64 */
    TnTensor *ia = ca, *ib = cb, *io = out;
    if (!float_ok) {
        ia = tensor_to(st, ca, DT_INT64);
        ib = ia ? tensor_to(st, cb, DT_INT64) : NULL;
        io = ib ? tensor_to(st, out, DT_INT64) : NULL;
    }
    int rc = -1;
    if (io) {
        for (int64_t i = 0; i < B; i++) {
            char *pa = mat_ptr(ia, i), *pb = mat_ptr(ib, i), *po = mat_ptr(io, i);
            if (k == 0 && beta == 0) {
                TnTensor *o = nd == 3 ? op_select(st, io, 0, i) : (tn_obj_incref(io), io);
                int r2 = o ? tensor_fill_(st, o, tn_int(0)) : -1;
                tn_obj_decref(o);
                if (r2 < 0)
                    goto done;
                continue;
            }
            switch (io->dtype) {
            case DT_FLOAT32:
                gemm_f32(m, n, k, (float)alpha, (float *)pa, RS(ia), CS(ia), (float *)pb, RS(ib),
                         CS(ib), (float)beta, (float *)po, RS(io), CS(io));
                break;
            case DT_FLOAT64:
                gemm_f64(m, n, k, alpha, (double *)pa, RS(ia), CS(ia), (double *)pb, RS(ib),
                         CS(ib), beta, (double *)po, RS(io), CS(io));
                break;
            default:
                gemm_i64(m, n, k, (int64_t)alpha, (int64_t *)pa, RS(ia), CS(ia), (int64_t *)pb,
                         RS(ib), CS(ib), (int64_t)beta, (int64_t *)po, RS(io), CS(io));
                break;
            }
        }
        /* a Ctrl-C stopped the gemm part-way (gemm.c): the result is incomplete */
        if (tn_poll_interrupt(st) < 0)
            goto done;
        rc = io != out ? tensor_copy_(st, out, io) : 0;
    }
done:
    if (!float_ok) {
        tn_obj_decref(ia);
        tn_obj_decref(ib);
        tn_obj_decref(io);
    }
    tn_obj_decref(ca);
    tn_obj_decref(cb);
    return rc;
}

static TnTensor *mm_raw(TnState *st, TnTensor *a, TnTensor *b)
{
    int64_t shape[2] = {a->sizes[0], b->sizes[1]};
    TnTensor *out = tensor_empty(st, a->dtype, 2, shape);
    if (out && bmm_into(st, a, b, out, 1, 0) < 0) {
        tn_obj_decref(out);
        return NULL;
    }
    return out;
}

static int mm_check(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->ndim != 2)
        return tn_raise_int(st, tn_RuntimeError, "self must be a matrix");
    if (b->ndim != 2)
        return tn_raise_int(st, tn_RuntimeError, "mat2 must be a matrix");
    if (a->sizes[1] != b->sizes[0])
        return tn_raise_int(st, tn_RuntimeError,
                            "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                            (long long)a->sizes[0], (long long)a->sizes[1],
                            (long long)b->sizes[0], (long long)b->sizes[1]);
    return same_dtype(st, a, b);
}

TnTensor *op_mm(TnState *st, TnTensor *a, TnTensor *b)
{
    if (mm_check(st, a, b) < 0)
        return NULL;
    return mm_raw(st, a, b);
}

TnTensor *op_bmm(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->ndim != 3)
        return tn_raise_ptr(st, tn_RuntimeError, "batch1 must be a 3D tensor");
    if (b->ndim != 3)
        return tn_raise_ptr(st, tn_RuntimeError, "batch2 must be a 3D tensor");
    if (b->sizes[0] != a->sizes[0] || b->sizes[1] != a->sizes[2])
        return tn_raise_ptr(st, tn_RuntimeError,
                            "Expected size for first two dimensions of batch2 tensor to be: "
                            "[%lld, %lld] but got: [%lld, %lld].",
                            (long long)a->sizes[0], (long long)a->sizes[2],
                            (long long)b->sizes[0], (long long)b->sizes[1]);
    if (same_dtype(st, a, b) < 0)
        return NULL;
    int64_t shape[3] = {a->sizes[0], a->sizes[1], b->sizes[2]};
    TnTensor *out = tensor_empty(st, a->dtype, 3, shape);
    if (out && bmm_into(st, a, b, out, 1, 0) < 0) {
        tn_obj_decref(out);
        return NULL;
    }
    return out;
}

TnTensor *op_mv(TnState *st, TnTensor *a, TnTensor *v)
{
    if (a->ndim != 2 || v->ndim != 1)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "vector + matrix @ vector expected, got %d, %d, %d", 1, a->ndim,
                            v->ndim);
    if (a->sizes[1] != v->sizes[0])
        return tn_raise_ptr(st, tn_RuntimeError, "size mismatch, got %lld, %lldx%lld,%lld",
                            (long long)a->sizes[0], (long long)a->sizes[0],
                            (long long)a->sizes[1], (long long)v->sizes[0]);
    if (same_dtype(st, a, v) < 0)
        return NULL;
    TnTensor *vc = op_unsqueeze(st, v, 1);
    TnTensor *r = vc ? mm_raw(st, a, vc) : NULL;
    tn_obj_decref(vc);
    if (!r)
        return NULL;
    TnTensor *s = op_squeeze(st, r, false, 1);
    tn_obj_decref(r);
    return s;
}

TnTensor *op_dot(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->ndim != 1 || b->ndim != 1)
        return tn_raise_ptr(st, tn_RuntimeError, "1D tensors expected, but got %dD and %dD tensors",
                            a->ndim, b->ndim);
    if (a->sizes[0] != b->sizes[0])
        return tn_raise_ptr(st, tn_RuntimeError,
                            "inconsistent tensor size, expected tensor [%lld] and src [%lld] to "
                            "have the same number of elements, but got %lld and %lld elements "
                            "respectively",
                            (long long)a->sizes[0], (long long)b->sizes[0],
                            (long long)a->sizes[0], (long long)b->sizes[0]);
    if (a->dtype != b->dtype)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "dot : expected both vectors to have same dtype, but found %s and %s",
                            tn_dtype_info[a->dtype].cname, tn_dtype_info[b->dtype].cname);
    if (same_dtype(st, a, b) < 0)
        return NULL;
    TnTensor *r1 = op_unsqueeze(st, a, 0), *c1 = r1 ? op_unsqueeze(st, b, 1) : NULL;
    TnTensor *m = c1 ? mm_raw(st, r1, c1) : NULL;
    tn_obj_decref(r1);
    tn_obj_decref(c1);
    if (!m)
        return NULL;
    TnTensor *s = op_view(st, m, 0, NULL);
    tn_obj_decref(m);
    return s;
}

TnTensor *op_outer(TnState *st, TnTensor *a, TnTensor *b)
{
    if (a->ndim != 1)
        return tn_raise_ptr(st, tn_RuntimeError, "outer: Expected 1-D argument self, but got %d-D",
                            a->ndim);
    if (b->ndim != 1)
        return tn_raise_ptr(st, tn_RuntimeError, "outer: Expected 1-D argument vec2, but got %d-D",
                            b->ndim);
    TnTensor *c = op_unsqueeze(st, a, 1);
    TnTensor *r = c ? op_mul(st, c, b) : NULL;
    tn_obj_decref(c);
    return r;
}

/* matmul for ndim >= 3 on either side: broadcast the batch dims and run bmm. */
static TnTensor *matmul_batched(TnState *st, TnTensor *a, TnTensor *b)
{
    bool a1 = a->ndim == 1, b1 = b->ndim == 1;
    TnTensor *A = a1 ? op_unsqueeze(st, a, 0) : (tn_obj_incref(a), a);
    TnTensor *Bt = !A ? NULL : b1 ? op_unsqueeze(st, b, 1) : (tn_obj_incref(b), b);
    TnTensor *out = NULL, *ea = NULL, *eb = NULL, *ra = NULL, *rb = NULL, *r3 = NULL;
    if (!Bt)
        goto done;
    int64_t m = A->sizes[A->ndim - 2], k = A->sizes[A->ndim - 1];
    int64_t k2 = Bt->sizes[Bt->ndim - 2], n = Bt->sizes[Bt->ndim - 1];
    int nb;
    int64_t batch[TN_MAX_DIMS];
    if (shape_broadcast(st, A->ndim - 2, A->sizes, Bt->ndim - 2, Bt->sizes, &nb, batch) < 0)
        goto done;
    int64_t B = 1;
    for (int i = 0; i < nb; i++)
        B *= batch[i];
    int64_t sa[TN_MAX_DIMS], sb[TN_MAX_DIMS];
    memcpy(sa, batch, sizeof(int64_t) * (size_t)nb);
    memcpy(sb, batch, sizeof(int64_t) * (size_t)nb);
    sa[nb] = m;
    sa[nb + 1] = k;
    sb[nb] = k2;
    sb[nb + 1] = n;
    if (!(ea = tensor_expand_to(st, A, nb + 2, sa)) || !(eb = tensor_expand_to(st, Bt, nb + 2, sb)))
        goto done;
    int64_t s3a[3] = {B, m, k}, s3b[3] = {B, k2, n};
    if (!(ra = op_reshape(st, ea, 3, s3a)) || !(rb = op_reshape(st, eb, 3, s3b)))
        goto done;
    if (!(r3 = op_bmm(st, ra, rb)))
        goto done;
    int64_t os[TN_MAX_DIMS];
    int nd = nb;
    memcpy(os, batch, sizeof(int64_t) * (size_t)nb);
    if (!a1)
        os[nd++] = m;
    if (!b1)
        os[nd++] = n;
    out = op_reshape(st, r3, nd, os);
done:
    tn_obj_decref(A);
    tn_obj_decref(Bt);
    tn_obj_decref(ea);
    tn_obj_decref(eb);
    tn_obj_decref(ra);
    tn_obj_decref(rb);
    tn_obj_decref(r3);
    return out;
}

TnTensor *op_matmul(TnState *st, TnTensor *a, TnTensor *b)
{
    int da = a->ndim, db = b->ndim;
    if (da == 0 || db == 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "both arguments to matmul need to be at least 1D, but they are %dD "
                            "and %dD",
                            da, db);
    if (da == 1 && db == 1)
        return op_dot(st, a, b);
    if (da == 2 && db == 1)
        return op_mv(st, a, b);
    if (da == 1 && db == 2) {
        TnTensor *r = op_unsqueeze(st, a, 0);
        TnTensor *m = r ? op_mm(st, r, b) : NULL;
        tn_obj_decref(r);
        if (!m)
            return NULL;
        TnTensor *s = op_squeeze(st, m, false, 0);
        tn_obj_decref(m);
        return s;
    }
    if (da == 2 && db == 2)
        return op_mm(st, a, b);
    if (da >= 3 && db <= 2) {
        /* fold the batch into the rows: (..., n, k) -> (N, k) */
        int64_t rows = 1;
        for (int d = 0; d < da - 1; d++)
            rows *= a->sizes[d];
        int64_t s2[2] = {rows, a->sizes[da - 1]};
        TnTensor *f = op_reshape(st, a, 2, s2);
        if (!f)
            return NULL;
        TnTensor *r = db == 1 ? op_mv(st, f, b) : op_mm(st, f, b);
        tn_obj_decref(f);
        if (!r)
            return NULL;
        int64_t os[TN_MAX_DIMS];
        memcpy(os, a->sizes, sizeof(int64_t) * (size_t)(da - 1));
        int nd = da - 1;
        if (db == 2)
            os[nd++] = b->sizes[1];
        TnTensor *v = op_reshape(st, r, nd, os);
        tn_obj_decref(r);
        return v;
    }
    if (same_dtype(st, a, b) < 0)
        return NULL;
    return matmul_batched(st, a, b);
}

/* out (a fresh contiguous m x n matrix) = input when input is a contiguous row of n
 * values of out's dtype (a Linear's bias, shaped (n) or (1, n)) or the whole matrix: the
 * plain copies nn.Linear needs, without the iterator over an expanded view (for a 1x16 row
 * that view and iterator cost 800 instructions, a tenth of a Linear(16, 16) call). */
static bool copy_input_rows(TnTensor *out, TnTensor *input)
{
    if (input->dtype != out->dtype || input->sp_indices || !tensor_is_contiguous(input))
        return false;
    int64_t m = out->sizes[0], n = out->sizes[1];
    size_t row = (size_t)n * (size_t)DT_SIZE(out->dtype);
    bool is_row = (input->ndim == 1 && input->sizes[0] == n) ||
                  (input->ndim == 2 && input->sizes[0] == 1 && input->sizes[1] == n);
    bool is_all = input->ndim == 2 && input->sizes[0] == m && input->sizes[1] == n;
    if (!is_row && !is_all)
        return false;
    char *dst = tensor_ptr(out), *src = tensor_ptr(input);
    if (is_all)
        memcpy(dst, src, row * (size_t)m);
    else
        for (int64_t i = 0; i < m; i++)
            memcpy(dst + (size_t)i * row, src, row);
    return true;
}

TnTensor *op_addmm(TnState *st, TnTensor *input, TnTensor *a, TnTensor *b, TnValue beta,
                   TnValue alpha)
{
    if (input->dtype != b->dtype) /* PyTorch checks this before the shapes */
        return tn_raise_ptr(st, tn_RuntimeError, "self and mat2 must have the same dtype");
    if (mm_check(st, a, b) < 0)
        return NULL;
    int64_t shape[2] = {a->sizes[0], b->sizes[1]};
    double bf = tn_num_as_double(beta), af = tn_num_as_double(alpha);
    /* beta != 0: every element is overwritten by input first */
    TnTensor *out = bf != 0 ? tensor_empty(st, a->dtype, 2, shape)
                            : tensor_zeros(st, a->dtype, 2, shape);
    if (!out)
        return NULL;
    if (bf != 0 && !copy_input_rows(out, input)) {
        TnTensor *e = tensor_expand_to(st, input, 2, shape);
        int rc = e ? tensor_copy_(st, out, e) : -1;
        tn_obj_decref(e);
        if (rc < 0) {
            tn_obj_decref(out);
            return NULL;
        }
    }
    if (bmm_into(st, a, b, out, af, bf) < 0) {
        tn_obj_decref(out);
        return NULL;
    }
    return out;
}
