/* tensor.c: tensor headers, creation, views over shared storage, copy and cast. */
#include "tensor.h"
#include "iter.h"
#include "kernels.h"
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

const char *(*tensor_grad_fn_name)(TnTensor *t);
void (*tensor_release_autograd)(TnTensor *t);

int64_t tensor_numel(const TnTensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= t->sizes[d];
    return n;
}

bool tensor_is_contiguous(const TnTensor *t)
{
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->sizes[d] == 0)
            return true;
        if (t->sizes[d] != 1 && t->strides[d] != expect)
            return false;
        expect *= t->sizes[d];
    }
    return true;
}

void tensor_bump_version(TnTensor *t)
{
    t->storage->version++;
}

char *shape_str(char *buf, int ndim, const int64_t *sizes)
{
    char *p = buf;
    *p++ = '[';
    for (int d = 0; d < ndim && d < TN_MAX_DIMS; d++)
        p += sprintf(p, d ? ", %lld" : "%lld", (long long)sizes[d]);
    strcpy(p, "]");
    return buf;
}

const char *tensor_expand_name(TnDType dt)
{
    /* what PyTorch 1.13's expand error calls the tensor: its legacy type, except for bool */
    static const char *const names[] = {[DT_BOOL] = "CPUBoolType", [DT_INT32] = "torch.IntTensor",
                                        [DT_INT64] = "torch.LongTensor",
                                        [DT_FLOAT32] = "torch.FloatTensor",
                                        [DT_FLOAT64] = "torch.DoubleTensor"};
    return names[dt];
}

int tensor_check_expand(TnState *st, TnDType dt, int nsrc, const int64_t *src, int ndst,
                        const int64_t *dst)
{
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    if (nsrc > ndst)
        return tn_raise_int(st, tn_RuntimeError,
                            "expand(%s{%s}, size=%s): the number of sizes provided "
                            "(%d) must be greater or equal to the number of dimensions in the "
                            "tensor (%d)",
                            tensor_expand_name(dt), shape_str(b1, nsrc, src), shape_str(b2, ndst, dst), ndst, nsrc);
    for (int d = 0; d < ndst; d++) {
        int j = d - (ndst - nsrc);
        if (j >= 0 && src[j] != dst[d] && src[j] != 1)
            return tn_raise_int(st, tn_RuntimeError,
                                "The expanded size of the tensor (%lld) must match the existing "
                                "size (%lld) at non-singleton dimension %d.  Target sizes: %s.  "
                                "Tensor sizes: %s",
                                (long long)dst[d], (long long)src[j], d,
                                shape_str(b1, ndst, dst), shape_str(b2, nsrc, src));
    }
    return 0;
}

int tensor_check_sizes(TnState *st, int ndim, const int64_t *sizes, int64_t *numel)
{
    int64_t n = 1;
    char b[TN_SHAPE_STR];
    for (int d = 0; d < ndim; d++) {
        if (sizes[d] < 0)
            return tn_raise_int(st, tn_RuntimeError,
                                "Trying to create tensor with negative dimension %lld: %s",
                                (long long)sizes[d], shape_str(b, ndim, sizes));
        if (sizes[d] && n > INT64_MAX / 16 / sizes[d])
            return tn_raise_int(st, tn_RuntimeError,
                                "numel: integer multiplication overflow");
        n *= sizes[d];
    }
    *numel = n;
    return 0;
}

/* Dead headers of plain tensors, linked through their storage field. A loop of small-tensor
 * ops allocates and frees one header per op, and calloc + free cost more than the op itself;
 * the pool makes that a push and a pop. Only the interpreter thread makes tensors (kernel
 * threads never do), so the pool needs no lock; it is a plain global so that LeakSanitizer
 * sees pooled headers as reachable when the interpreter thread has ended. */
#ifdef __SANITIZE_ADDRESS__
#define HEADER_POOL_MAX 0 /* let ASan see every free, so use-after-free is caught */
#else
#define HEADER_POOL_MAX 64
#endif
static TnTensor *header_pool;
static int header_pool_n;

static TnTensor *header_new(TnState *st, TnType *type)
{
    TnTensor *t = header_pool;
    if (t && type == &tn_tensor_type) {
        header_pool = (TnTensor *)t->storage;
        header_pool_n--;
        /* everything but the size/stride arrays, which creators fill up to ndim */
        memset(t, 0, offsetof(TnTensor, sizes));
        memset(&t->requires_grad, 0, sizeof(TnTensor) - offsetof(TnTensor, requires_grad));
        t->head.refcnt = 1;
        t->head.type = type;
        tn_gc_track(&t->head); /* a pooled header kept the collector's header in front */
    } else if (!(t = tn_alloc_object(st, type, sizeof(TnTensor)))) {
        return NULL;
    }
    t->hooks = tn_undef();
    t->base = tn_undef();
    return t;
}

void tensor_header_free(TnTensor *t)
{
    if (t->head.type != &tn_tensor_type || header_pool_n >= HEADER_POOL_MAX) {
        tn_free_object(t);
        return;
    }
    t->storage = (TnStorage *)header_pool;
    header_pool = t;
    header_pool_n++;
}

TnTensor *tensor_empty(TnState *st, TnDType dt, int ndim, const int64_t *sizes)
{
    return tensor_empty_ex(st, dt, ndim, sizes, false);
}

TnTensor *tensor_empty_ex(TnState *st, TnDType dt, int ndim, const int64_t *sizes, bool zero)
{
    int64_t numel;
    if (ndim > TN_MAX_DIMS)
        return tn_raise_ptr(st, tn_RuntimeError, "tn supports at most %d dimensions", TN_MAX_DIMS);
    if (tensor_check_sizes(st, ndim, sizes, &numel) < 0)
        return NULL;
    TnTensor *t = header_new(st, &tn_tensor_type);
    if (!t)
        return NULL;
    t->storage = storage_new_ex(st, numel * DT_SIZE(dt), zero);
    if (!t->storage) {
        tn_obj_decref(t);
        return NULL;
    }
    t->dtype = dt;
    t->ndim = ndim;
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        t->sizes[d] = sizes[d];
        t->strides[d] = s;
        s *= sizes[d] > 1 ? sizes[d] : 1;
    }
    return t;
}

TnTensor *tensor_zeros(TnState *st, TnDType dt, int ndim, const int64_t *sizes)
{
    TnTensor *t = tensor_empty_ex(st, dt, ndim, sizes, true);
    return t;
}

TnTensor *tensor_full(TnState *st, TnDType dt, int ndim, const int64_t *sizes, TnValue v)
{
    TnTensor *t = tensor_empty(st, dt, ndim, sizes);
    if (t && tensor_fill_(st, t, v) < 0) {
        tn_obj_decref(t);
        return NULL;
    }
    return t;
}

TnTensor *tensor_empty_like(TnState *st, const TnTensor *t, TnDType dt)
{
    return tensor_empty(st, dt, t->ndim, t->sizes);
}

/* ------------------------------------------------- elementwise result layout */
/* PyTorch's is_non_overlapping_and_dense: the elements tile one block of memory. */
static bool dense_layout(const TnTensor *t)
{
    int perm[TN_MAX_DIMS], n = 0;
    for (int d = 0; d < t->ndim; d++)
        if (t->sizes[d] >= 2)
            perm[n++] = d;
    for (int i = 1; i < n; i++) /* by stride, ascending */
        for (int j = i; j > 0 && t->strides[perm[j]] < t->strides[perm[j - 1]]; j--) {
            int x = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = x;
        }
    int64_t want = 1;
    for (int i = 0; i < n; i++) {
        if (t->strides[perm[i]] != want)
            return false;
        want *= t->sizes[perm[i]];
    }
    return true;
}

bool tensor_is_dense(const TnTensor *t)
{
    return dense_layout(t);
}

/* Operand k's stride along result dim d (0 where it broadcasts), as TensorIterator sees it. */
static int64_t op_stride(const TnTensor *t, int nd, const int64_t *sizes, int d)
{
    int j = d - (nd - t->ndim);
    if (j < 0 || (t->sizes[j] == 1 && sizes[d] != 1))
        return 0;
    return t->strides[j];
}

/* TensorIterator's should_swap: >0 if dim a should move inside dim b, <0 if not, 0 unknown. */
static int layout_cmp(int nops, TnTensor *const *ops, int nd, const int64_t *sizes, int a, int b)
{
    for (int k = 0; k < nops; k++) {
        if (!ops[k])
            continue;
        int64_t sa = op_stride(ops[k], nd, sizes, a), sb = op_stride(ops[k], nd, sizes, b);
        if (sa == 0 || sb == 0)
            continue;
        if (sa != sb)
            return sa < sb ? -1 : 1;
        if (sizes[a] > sizes[b])
            return 1;
    }
    return 0;
}

void tensor_result_strides(int nd, const int64_t *sizes, int nops, TnTensor *const *ops,
                           int64_t *strides)
{
    /* default: row-major */
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
        strides[d] = s;
        s *= sizes[d] > 1 ? sizes[d] : 1;
    }
    if (nd < 2)
        return;
    /* fast setups: operands all of the result's shape, all contiguous or all one dense layout */
    bool same = true, contig = true, dense = true;
    for (int k = 0; k < nops && same; k++) {
        const TnTensor *t = ops[k];
        same = t && t->ndim == nd && memcmp(t->sizes, sizes, sizeof(int64_t) * (size_t)nd) == 0;
        contig = contig && same && tensor_is_contiguous(t);
    }
    if (same && contig)
        return;
    for (int k = 0; k < nops && same && dense; k++)
        dense = dense_layout(ops[k]) &&
                memcmp(ops[k]->strides, ops[0]->strides, sizeof(int64_t) * (size_t)nd) == 0;
    if (same && dense) {
        memcpy(strides, ops[0]->strides, sizeof(int64_t) * (size_t)nd);
        return;
    }
    /* general: order dims fastest-first by the operands' strides (an insertion sort that
     * stops at the first decided comparison, as TensorIterator's reorder_dimensions) */
    int perm[TN_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        perm[i] = nd - 1 - i;
    for (int i = 1; i < nd; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int c = layout_cmp(nops, ops, nd, sizes, perm[d0], perm[d1]);
            if (c > 0) {
                int x = perm[d0];
                perm[d0] = perm[d1];
                perm[d1] = x;
                d1 = d0;
            } else if (c < 0) {
                break;
            }
        }
    }
    bool inverted = true;
    for (int i = 0; i < nd && inverted; i++)
        inverted = perm[i] == nd - 1 - i;
    if (inverted)
        return;
    s = 1;
    for (int i = 0; i < nd; i++) {
        strides[perm[i]] = s;
        s *= sizes[perm[i]];
    }
}

TnTensor *tensor_empty_result(TnState *st, TnDType dt, int nd, const int64_t *sizes, int nops,
                              TnTensor *const *ops)
{
    TnTensor *t = tensor_empty(st, dt, nd, sizes);
    if (t)
        tensor_result_strides(nd, sizes, nops, ops, t->strides);
    return t;
}

TnTensor *tensor_clone_layout(TnState *st, TnTensor *t, TnDType dt)
{
    TnTensor *c = tensor_empty_result(st, dt, t->ndim, t->sizes, 1, &t);
    if (c && tensor_copy_(st, c, t) < 0) {
        tn_obj_decref(c);
        return NULL;
    }
    return c;
}

TnTensor *tensor_scalar(TnState *st, TnDType dt, TnValue v)
{
    TnTensor *t = tensor_empty(st, dt, 0, NULL);
    if (t)
        dtype_set(dt, t->storage->data, v);
    return t;
}

TnTensor *tensor_alias(TnState *st, TnTensor *src, int ndim, const int64_t *sizes,
                       const int64_t *strides, int64_t offset)
{
    /* a view's element count must fit too: expand(2**62, 2**62) of one element needs no
     * memory, but every numel() and loop bound computed from it would overflow */
    int64_t numel;
    if (tensor_check_sizes(st, ndim, sizes, &numel) < 0)
        return NULL;
    TnTensor *t = header_new(st, &tn_tensor_type);
    if (!t)
        return NULL;
    t->storage = src->storage;
    tn_obj_incref(src->storage);
    t->dtype = src->dtype;
    t->ndim = ndim;
    t->offset = offset;
    memcpy(t->sizes, sizes, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->strides, strides, sizeof(int64_t) * (size_t)ndim);
    return t;
}

TnTensor *tensor_contiguous(TnState *st, TnTensor *t)
{
    if (tensor_is_contiguous(t)) {
        tn_obj_incref(t);
        return t;
    }
    return tensor_clone(st, t);
}

TnTensor *tensor_clone(TnState *st, TnTensor *t)
{
    TnTensor *c = tensor_empty(st, t->dtype, t->ndim, t->sizes);
    if (c && tensor_copy_(st, c, t) < 0) {
        tn_obj_decref(c);
        return NULL;
    }
    return c;
}

TnTensor *tensor_to(TnState *st, TnTensor *t, TnDType dt)
{
    if (t->dtype == dt) {
        tn_obj_incref(t);
        return t;
    }
    TnTensor *c = tensor_empty(st, dt, t->ndim, t->sizes);
    if (c && tensor_copy_(st, c, t) < 0) {
        tn_obj_decref(c);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------ cast loops */
/* One loop per (destination, source) dtype pair. Float to integer truncates;
 * anything to bool tests != 0. */
#define CONV(TO, FROM, v) conv_##TO((FROM)(v))
static inline bool conv_bool_d(double v)
{
    return v != 0;
}
static inline int64_t sat_i64(double v)
{
    if (v != v || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

/* float to int32 as x86's 32-bit cvttss2si/cvttsd2si (PyTorch's static_cast): values out of
 * int32's range, inf and nan become INT32_MIN */
static inline int32_t sat_i32(double v)
{
    if (!(v > -2147483649.0 && v < 2147483648.0))
        return INT32_MIN;
    return (int32_t)v;
}

#define CAST_LOOP(NAME, TO, FROM, EXPR)                                                       \
    static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)                        \
    {                                                                                         \
        (void)ctx;                                                                            \
        if (s[0] == sizeof(TO) && s[1] == sizeof(FROM)) {                                     \
            TO *o = (TO *)p[0];                                                               \
            const FROM *a = (const FROM *)p[1];                                               \
            for (int64_t i = 0; i < n; i++) {                                                 \
                FROM x = a[i];                                                                \
                o[i] = (EXPR);                                                                \
            }                                                                                 \
        } else {                                                                              \
            char *o = p[0], *a = p[1];                                                        \
            for (int64_t i = 0; i < n; i++, o += s[0], a += s[1]) {                           \
                FROM x = *(const FROM *)a;                                                    \
                *(TO *)o = (EXPR);                                                            \
            }                                                                                 \
        }                                                                                     \
    }

/* Source types in the order of TnDType. */
#define CAST_ROW(TOT, TON, FLOAT_EXPR)                                                        \
    CAST_LOOP(cast_##TON##_b, TOT, bool, (TOT)x)                                              \
    CAST_LOOP(cast_##TON##_i32, TOT, int32_t, (TOT)x)                                         \
    CAST_LOOP(cast_##TON##_i64, TOT, int64_t, (TOT)x)                                         \
    CAST_LOOP(cast_##TON##_f32, TOT, float, FLOAT_EXPR)                                       \
    CAST_LOOP(cast_##TON##_f64, TOT, double, FLOAT_EXPR)

CAST_LOOP(cast_b_b, bool, bool, x)
CAST_LOOP(cast_b_i32, bool, int32_t, x != 0)
CAST_LOOP(cast_b_i64, bool, int64_t, x != 0)
CAST_LOOP(cast_b_f32, bool, float, x != 0)
CAST_LOOP(cast_b_f64, bool, double, x != 0)
CAST_ROW(int32_t, i32, sat_i32(x))
CAST_ROW(int64_t, i64, sat_i64(x))
CAST_ROW(float, f32, (float)x)
CAST_ROW(double, f64, (double)x)

static const TnLoopFn cast_loops[DT_NTYPES][DT_NTYPES] = {
    [DT_BOOL] = {cast_b_b, cast_b_i32, cast_b_i64, cast_b_f32, cast_b_f64},
    [DT_INT32] = {cast_i32_b, cast_i32_i32, cast_i32_i64, cast_i32_f32, cast_i32_f64},
    [DT_INT64] = {cast_i64_b, cast_i64_i32, cast_i64_i64, cast_i64_f32, cast_i64_f64},
    [DT_FLOAT32] = {cast_f32_b, cast_f32_i32, cast_f32_i64, cast_f32_f32, cast_f32_f64},
    [DT_FLOAT64] = {cast_f64_b, cast_f64_i32, cast_f64_i64, cast_f64_f32, cast_f64_f64},
};

static void copy_bytes(char **p, const int64_t *s, int64_t n, void *ctx)
{
    size_t es = *(const int *)ctx;
    if (s[0] == (int64_t)es && s[1] == (int64_t)es) {
        memmove(p[0], p[1], (size_t)n * es);
        return;
    }
    char *o = p[0], *a = p[1];
    for (int64_t i = 0; i < n; i++, o += s[0], a += s[1])
        memcpy(o, a, es);
}

/* ------------------------------------------------------- transposed copy */
/* dst[i][j] = src[i][j] where dst walks rows and src walks columns (x.t().contiguous()): an
 * element-by-element copy touches a new cache line of src per element, so copy 64x64 tiles
 * (measured faster than 32x32 on 2000x2000), and give each thread a band of rows. */
#define TILE 64
typedef struct {
    char *dst, *src;
    int64_t rows, cols, dst_rs, src_cs; /* bytes; dst column and src row strides are es */
    int es;
} TransposeJob;

#define TILE_COPY(NAME, T)                                                                    \
    static void NAME(const TransposeJob *j, int64_t r0, int64_t r1, int64_t c0, int64_t c1)   \
    {                                                                                         \
        for (int64_t r = r0; r < r1; r++) {                                                   \
            T *d = (T *)(j->dst + r * j->dst_rs);                                             \
            const char *s = j->src + r * (int64_t)sizeof(T);                                  \
            for (int64_t c = c0; c < c1; c++)                                                 \
                d[c] = *(const T *)(s + c * j->src_cs);                                       \
        }                                                                                     \
    }
TILE_COPY(tile_copy_1, uint8_t)
TILE_COPY(tile_copy_8, uint64_t)

#ifdef __SSE__
/* 4-byte elements: transpose 4x4 blocks in registers, so each load and store moves 16 bytes
 * instead of 4 (2000x2000 floats: about twice as fast as the scalar tile). movups copies the
 * bits as they are (NaN payloads, int32), so the result is the scalar copy's. */
static void tile_copy_4(const TransposeJob *j, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    int64_t ds = j->dst_rs, ss = j->src_cs, r = r0;
    for (; r + 4 <= r1; r += 4) {
        int64_t c = c0;
        for (; c + 4 <= c1; c += 4) {
            const char *s = j->src + r * 4 + c * ss;
            char *d = j->dst + r * ds + c * 4;
            __m128 a = _mm_loadu_ps((const float *)s), b = _mm_loadu_ps((const float *)(s + ss));
            __m128 e = _mm_loadu_ps((const float *)(s + 2 * ss));
            __m128 f = _mm_loadu_ps((const float *)(s + 3 * ss));
            _MM_TRANSPOSE4_PS(a, b, e, f);
            _mm_storeu_ps((float *)d, a);
            _mm_storeu_ps((float *)(d + ds), b);
            _mm_storeu_ps((float *)(d + 2 * ds), e);
            _mm_storeu_ps((float *)(d + 3 * ds), f);
        }
        for (int64_t k = 0; k < 4 && c < c1; k++)
            for (int64_t cc = c; cc < c1; cc++)
                memcpy(j->dst + (r + k) * ds + cc * 4, j->src + (r + k) * 4 + cc * ss, 4);
    }
    for (; r < r1; r++)
        for (int64_t c = c0; c < c1; c++)
            memcpy(j->dst + r * ds + c * 4, j->src + r * 4 + c * ss, 4);
}
#else
TILE_COPY(tile_copy_4, uint32_t)
#endif

static void transpose_band(void *ctx, int64_t begin, int64_t end)
{
    const TransposeJob *j = ctx;
    void (*tile)(const TransposeJob *, int64_t, int64_t, int64_t, int64_t) =
        j->es == 1 ? tile_copy_1 : j->es == 4 ? tile_copy_4 : tile_copy_8;
    for (int64_t rb = begin; rb < end; rb++) {
        int64_t r0 = rb * TILE, r1 = r0 + TILE < j->rows ? r0 + TILE : j->rows;
        for (int64_t c0 = 0; c0 < j->cols; c0 += TILE)
            tile(j, r0, r1, c0, c0 + TILE < j->cols ? c0 + TILE : j->cols);
    }
}

/* Runs the copy of a coalesced 2-d iteration as tiles when it is a transpose; false if not. */
static bool copy_transposed(const TnIter *it, int es)
{
    if (it->ndim != 2 || (es != 1 && es != 4 && es != 8) || it->strides[0][1] != es ||
        it->strides[1][0] != es || it->sizes[0] < TILE || it->sizes[1] < TILE)
        return false;
    TransposeJob j = {it->base[0], it->base[1], it->sizes[0], it->sizes[1],
                      it->strides[0][0], it->strides[1][1], es};
    int64_t bands = (j.rows + TILE - 1) / TILE;
    parallel_for(bands, ITER_PARALLEL_GRAIN / (TILE * j.cols) + 1, transpose_band, &j);
    return true;
}

int tensor_copy_(TnState *st, TnTensor *dst, TnTensor *src)
{
    if (tensor_check_expand(st, src->dtype, src->ndim, src->sizes, dst->ndim, dst->sizes) < 0)
        return -1;
    TnIter it;
    iter_init(&it, 2, dst->ndim, dst->sizes);
    iter_operand(&it, 0, tensor_ptr(dst), dst->ndim, dst->sizes, dst->strides, DT_SIZE(dst->dtype));
    iter_operand(&it, 1, tensor_ptr(src), src->ndim, src->sizes, src->strides, DT_SIZE(src->dtype));
    iter_coalesce(&it);
    int es = DT_SIZE(dst->dtype);
    if (src->dtype == dst->dtype) {
        if (!copy_transposed(&it, es))
            iter_run(&it, copy_bytes, &es, true);
    }
    else
        iter_run(&it, cast_loops[dst->dtype][src->dtype], NULL, true);
    tensor_bump_version(dst);
    return 0;
}

/* TN_KERNEL: at -O2 the contiguous loop stayed scalar, and zero_grad fills every gradient. */
#define FILL_LOOP(NAME, T)                                                                    \
    TN_KERNEL static void NAME(char **p, const int64_t *s, int64_t n, void *ctx)                        \
    {                                                                                         \
        T v = *(const T *)ctx;                                                                \
        if (s[0] == sizeof(T)) {                                                              \
            T *o = (T *)p[0];                                                                 \
            for (int64_t i = 0; i < n; i++)                                                   \
                o[i] = v;                                                                     \
        } else {                                                                              \
            char *o = p[0];                                                                   \
            for (int64_t i = 0; i < n; i++, o += s[0])                                        \
                *(T *)o = v;                                                                  \
        }                                                                                     \
    }
FILL_LOOP(fill_1, uint8_t)
FILL_LOOP(fill_4, uint32_t)
FILL_LOOP(fill_8, uint64_t)

/* PyTorch converts a Python number to a tensor's element type with a range check
 * (c10::checked_convert): ints and floats must fit an integer type, a finite float must fit
 * float32 (inf and nan pass), and bool takes anything. */
int tensor_check_scalar(TnState *st, TnDType dt, TnValue v)
{
    bool bad = false;
    if (dt == DT_INT32 || dt == DT_INT64) {
        double lo = dt == DT_INT32 ? -2147483648.0 : -9223372036854775808.0;
        double hi = dt == DT_INT32 ? 2147483647.0 : 9223372036854775807.0;
        bad = IS_FLOAT(v) ? !(v.u.f >= lo && v.u.f <= hi)
                          : dt == DT_INT32 && !IS_BOOL(v) && (v.u.i < INT32_MIN || v.u.i > INT32_MAX);
    } else if (dt == DT_FLOAT32 && IS_FLOAT(v)) {
        bad = isfinite(v.u.f) && fabs(v.u.f) > FLT_MAX;
    }
    if (!bad)
        return 0;
    static const char *const cname[] = {[DT_INT32] = "int", [DT_INT64] = "int64_t",
                                        [DT_FLOAT32] = "float"};
    return tn_raise_int(st, tn_RuntimeError, "value cannot be converted to type %s without overflow",
                        cname[dt]);
}

/* PyTorch's is_non_overlapping_and_dense: some order of the dims (size-1 dims aside) makes
 * the strides exactly those of a contiguous tensor. */
static bool non_overlapping_dense(const TnTensor *t)
{
    int order[TN_MAX_DIMS], n = 0;
    for (int d = 0; d < t->ndim; d++)
        if (t->sizes[d] != 1)
            order[n++] = d;
    for (int i = 1; i < n; i++) /* insertion sort by stride */
        for (int j = i; j > 0 && t->strides[order[j]] < t->strides[order[j - 1]]; j--) {
            int k = order[j];
            order[j] = order[j - 1];
            order[j - 1] = k;
        }
    int64_t expect = 1;
    for (int i = 0; i < n; i++) {
        if (t->strides[order[i]] != expect)
            return false;
        expect *= t->sizes[order[i]];
    }
    return true;
}

int tensor_check_overlap(TnState *st, TnTensor *out, TnTensor *in)
{
    for (int d = 0; d < out->ndim; d++)
        if (out->sizes[d] > 1 && out->strides[d] == 0)
            return tn_raise_int(st, tn_RuntimeError,
                                "unsupported operation: more than one element of the written-to "
                                "tensor refers to a single memory location. Please clone() the "
                                "tensor before performing the operation.");
    if (!in || in == out || in->storage != out->storage || !tensor_numel(in) ||
        !tensor_numel(out) || !non_overlapping_dense(in) || !non_overlapping_dense(out))
        return 0;
    int64_t ob = out->offset * DT_SIZE(out->dtype), ib = in->offset * DT_SIZE(in->dtype);
    int64_t oe = ob + tensor_numel(out) * DT_SIZE(out->dtype);
    int64_t ie = ib + tensor_numel(in) * DT_SIZE(in->dtype);
    bool same = ob == ib && oe == ie && out->ndim == in->ndim &&
                !memcmp(out->strides, in->strides, sizeof(int64_t) * (size_t)out->ndim);
    if (same || !(ob < ie && ib < oe))
        return 0;
    return tn_raise_int(st, tn_RuntimeError,
                        "unsupported operation: some elements of the input tensor and the "
                        "written-to tensor refer to a single memory location. Please clone() the "
                        "tensor before performing the operation.");
}

int tensor_fill_(TnState *st, TnTensor *t, TnValue v)
{
    if (tensor_check_scalar(st, t->dtype, v) < 0)
        return -1;
    uint64_t buf = 0;
    dtype_set(t->dtype, &buf, v);
    TnIter it;
    iter_init(&it, 1, t->ndim, t->sizes);
    iter_operand(&it, 0, tensor_ptr(t), t->ndim, t->sizes, t->strides, DT_SIZE(t->dtype));
    iter_coalesce(&it);
    int es = DT_SIZE(t->dtype);
    iter_run(&it, es == 1 ? fill_1 : es == 4 ? fill_4 : fill_8, &buf, true);
    tensor_bump_version(t);
    return 0;
}

TnValue tensor_get_flat(const TnTensor *t, int64_t i)
{
    int64_t off = t->offset;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (i % t->sizes[d]) * t->strides[d];
        i /= t->sizes[d];
    }
    return dtype_get_value(t->dtype, (char *)t->storage->data + off * DT_SIZE(t->dtype));
}

/* --------------------------------------------------------- broadcasting */
int shape_broadcast(TnState *st, int na, const int64_t *a, int nb, const int64_t *b, int *nout,
                    int64_t *out)
{
    int n = na > nb ? na : nb;
    /* from the last dim, so that the first mismatch reported is PyTorch's */
    for (int i = n - 1; i >= 0; i--) {
        int ia = na - n + i, ib = nb - n + i;
        int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        if (sa == sb || sb == 1)
            out[i] = sa;
        else if (sa == 1)
            out[i] = sb;
        else
            return tn_raise_int(st, tn_RuntimeError,
                                "The size of tensor a (%lld) must match the size of tensor b "
                                "(%lld) at non-singleton dimension %d",
                                (long long)sa, (long long)sb, i);
    }
    *nout = n;
    return 0;
}

TnTensor *tensor_expand_to(TnState *st, TnTensor *t, int ndim, const int64_t *sizes)
{
    int64_t strides[TN_MAX_DIMS];
    int lead = ndim - t->ndim;
    if (tensor_check_expand(st, t->dtype, t->ndim, t->sizes, ndim, sizes) < 0)
        return NULL;
    for (int d = 0; d < ndim; d++) {
        int j = d - lead;
        strides[d] = j < 0 || t->sizes[j] != sizes[d] ? 0 : t->strides[j];
    }
    return tensor_alias(st, t, ndim, sizes, strides, t->offset);
}

int tensor_wrap_dim(TnState *st, int64_t dim, int ndim, int *out)
{
    int n = ndim > 0 ? ndim : 1;
    if (dim < -n || dim >= n)
        return tn_raise_int(st, tn_IndexError,
                            "Dimension out of range (expected to be in range of [%d, %d], but "
                            "got %lld)",
                            -n, n - 1, (long long)dim);
    *out = (int)(dim < 0 ? dim + n : dim);
    return 0;
}
