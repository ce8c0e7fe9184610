/* op_shape.c: movement ops. Views rewrite (sizes, strides, offset) and share
 * storage; cat/stack/flip/roll/repeat/diag/tril copy. */
#include "linalg.h"
#include "tensor.h"
#include <string.h>

#define SHP(b, t) shape_str(b, (t)->ndim, (t)->sizes)

static TnTensor *alias(TnState *st, TnTensor *t, int nd, const int64_t *sz, const int64_t *sd,
                       int64_t off)
{
    return tensor_alias(st, t, nd, sz, sd, off);
}

/* ------------------------------------------------------------ view/reshape */
/* Resolves one -1 and checks the element count. */
int op_infer_shape(TnState *st, int nd, int64_t *shape, int64_t numel)
{
    int infer = -1;
    int64_t prod = 1;
    char b[TN_SHAPE_STR];
    for (int d = 0; d < nd; d++) {
        if (shape[d] == -1) {
            if (infer >= 0)
                return tn_raise_int(st, tn_RuntimeError, "only one dimension can be inferred");
            infer = d;
        } else if (shape[d] < 0) {
            return tn_raise_int(st, tn_RuntimeError, "invalid shape dimension %lld",
                                (long long)shape[d]);
        } else if (__builtin_mul_overflow(prod, shape[d], &prod)) {
            /* reshape(2**62, 2**62): a product past int64 cannot match any tensor */
            return tn_raise_int(st, tn_RuntimeError, "shape '%s' is invalid for input of size %lld",
                                shape_str(b, nd, shape), (long long)numel);
        }
    }
    if (infer >= 0) {
        if (prod == 0 || numel % prod != 0) {
            if (prod == 0 && numel == 0)
                return tn_raise_int(st, tn_RuntimeError,
                                    "cannot reshape tensor of 0 elements into shape %s because "
                                    "the unspecified dimension size -1 can be any value and is "
                                    "ambiguous",
                                    shape_str(b, nd, shape));
            return tn_raise_int(st, tn_RuntimeError, "shape '%s' is invalid for input of size %lld",
                                shape_str(b, nd, shape), (long long)numel);
        }
        shape[infer] = numel / prod;
    } else if (prod != numel) {
        return tn_raise_int(st, tn_RuntimeError, "shape '%s' is invalid for input of size %lld",
                            shape_str(b, nd, shape), (long long)numel);
    }
    return 0;
}

/* ATen's computeStride: strides for viewing t as `shape`, or false if impossible. */
static bool view_strides(const TnTensor *t, int nd, const int64_t *shape, int64_t *out)
{
    if (t->ndim == 0) {
        for (int d = 0; d < nd; d++)
            out[d] = 1;
        return true;
    }
    int64_t numel = tensor_numel(t);
    if (numel == 0) {
        for (int d = nd - 1; d >= 0; d--)
            out[d] = d == nd - 1 ? 1 : (shape[d + 1] > 1 ? shape[d + 1] : 1) * out[d + 1];
        return true;
    }
    int view_d = nd - 1;
    int64_t chunk = t->strides[t->ndim - 1], tnum = 1, vnum = 1;
    for (int td = t->ndim - 1; td >= 0; td--) {
        tnum *= t->sizes[td];
        if (td == 0 || (t->sizes[td - 1] != 1 && t->strides[td - 1] != tnum * chunk)) {
            while (view_d >= 0 && (vnum < tnum || shape[view_d] == 1)) {
                out[view_d] = vnum * chunk;
                vnum *= shape[view_d];
                view_d--;
            }
            if (vnum != tnum)
                return false;
            if (td > 0) {
                chunk = t->strides[td - 1];
                tnum = 1;
                vnum = 1;
            }
        }
    }
    return view_d == -1;
}

TnTensor *op_view(TnState *st, TnTensor *t, int nd, const int64_t *shape_in)
{
    int64_t shape[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    if (nd > 0) /* a 0-d view may come with no shape array at all */
        memcpy(shape, shape_in, sizeof(int64_t) * (size_t)nd);
    if (op_infer_shape(st, nd, shape, tensor_numel(t)) < 0)
        return NULL;
    if (!view_strides(t, nd, shape, strides))
        return tn_raise_ptr(st, tn_RuntimeError,
                            "view size is not compatible with input tensor's size and stride (at "
                            "least one dimension spans across two contiguous subspaces). Use "
                            ".reshape(...) instead.");
    return alias(st, t, nd, shape, strides, t->offset);
}

TnTensor *op_reshape(TnState *st, TnTensor *t, int nd, const int64_t *shape_in)
{
    int64_t shape[TN_MAX_DIMS], strides[TN_MAX_DIMS];
    if (nd > 0) /* a 0-d view may come with no shape array at all */
        memcpy(shape, shape_in, sizeof(int64_t) * (size_t)nd);
    if (op_infer_shape(st, nd, shape, tensor_numel(t)) < 0)
        return NULL;
    if (view_strides(t, nd, shape, strides))
        return alias(st, t, nd, shape, strides, t->offset);
    TnTensor *c = tensor_clone(st, t);
    if (!c)
        return NULL;
    TnTensor *r = op_view(st, c, nd, shape);
    tn_obj_decref(c);
    return r;
}

TnTensor *op_flatten(TnState *st, TnTensor *t, int64_t start, int64_t end)
{
    int s, e;
    if (tensor_wrap_dim(st, start, t->ndim, &s) < 0 || tensor_wrap_dim(st, end, t->ndim, &e) < 0)
        return NULL;
    if (s > e)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "flatten() has invalid args: start_dim cannot come after end_dim");
    if (t->ndim == 0) {
        int64_t one = 1;
        return op_reshape(st, t, 1, &one);
    }
    if (s == e) {
        tn_obj_incref(t);
        return t;
    }
    int64_t shape[TN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < s; d++)
        shape[nd++] = t->sizes[d];
    int64_t m = 1;
    for (int d = s; d <= e; d++)
        m *= t->sizes[d];
    shape[nd++] = m;
    for (int d = e + 1; d < t->ndim; d++)
        shape[nd++] = t->sizes[d];
    return op_reshape(st, t, nd, shape);
}

/* unflatten's own messages for sizes that cannot split dim d (PyTorch words them
 * differently from view's). */
static int unflatten_check(TnState *st, const TnTensor *t, int d, int n, const int64_t *sizes)
{
    char b[TN_SHAPE_STR];
    int64_t prod = 1, size = t->sizes[d];
    int inferred = 0;
    if (n == 0)
        return tn_raise_int(st, tn_RuntimeError, "unflatten: sizes must be non-empty");
    for (int i = 0; i < n; i++) {
        if (sizes[i] == -1)
            inferred++;
        else if (sizes[i] < 0 || __builtin_mul_overflow(prod, sizes[i], &prod))
            return 0; /* the generic shape checks word these */
    }
    if (inferred > 1)
        return tn_raise_int(st, tn_RuntimeError,
                            "unflatten got an unexpected error:\nonly one dimension can be "
                            "inferred");
    if (inferred ? prod == 0 || size % prod != 0 : prod != size)
        return tn_raise_int(st, tn_RuntimeError,
                            "unflatten: Provided sizes %s don't multiply up to the size of dim "
                            "%d (%lld) in the input tensor",
                            shape_str(b, n, sizes), d, (long long)size);
    return 0;
}

TnTensor *op_unflatten(TnState *st, TnTensor *t, int64_t dim, int n, const int64_t *sizes_in)
{
    int d0;
    if (tensor_wrap_dim(st, dim, t->ndim, &d0) < 0)
        return NULL;
    int64_t sizes[TN_MAX_DIMS], shape[TN_MAX_DIMS];
    memcpy(sizes, sizes_in, sizeof(int64_t) * (size_t)n);
    if (unflatten_check(st, t, d0, n, sizes) < 0 || op_infer_shape(st, n, sizes, t->sizes[d0]) < 0)
        return NULL;
    int nd = 0;
    for (int d = 0; d < d0; d++)
        shape[nd++] = t->sizes[d];
    for (int i = 0; i < n; i++)
        shape[nd++] = sizes[i];
    for (int d = d0 + 1; d < t->ndim; d++)
        shape[nd++] = t->sizes[d];
    return op_view(st, t, nd, shape);
}

/* ---------------------------------------------------------- dim shuffles */
TnTensor *op_squeeze(TnState *st, TnTensor *t, bool all, int64_t dim)
{
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    int nd = 0, only = -1;
    if (!all && tensor_wrap_dim(st, dim, t->ndim, &only) < 0)
        return NULL;
    for (int d = 0; d < t->ndim; d++) {
        if (t->sizes[d] == 1 && (all || d == only))
            continue;
        sz[nd] = t->sizes[d];
        sd[nd++] = t->strides[d];
    }
    return alias(st, t, nd, sz, sd, t->offset);
}

TnTensor *op_unsqueeze(TnState *st, TnTensor *t, int64_t dim)
{
    int d0;
    if (tensor_wrap_dim(st, dim, t->ndim + 1, &d0) < 0)
        return NULL;
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d <= t->ndim; d++) {
        if (d == d0) {
            sz[nd] = 1;
            sd[nd++] = d < t->ndim ? t->sizes[d] * t->strides[d] : 1;
        }
        if (d < t->ndim) {
            sz[nd] = t->sizes[d];
            sd[nd++] = t->strides[d];
        }
    }
    return alias(st, t, nd, sz, sd, t->offset);
}

TnTensor *op_permute(TnState *st, TnTensor *t, int n, const int64_t *dims)
{
    if (n != t->ndim)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "permute(sparse_coo): number of dimensions in the tensor input does "
                            "not match the length of the desired ordering of dimensions i.e. "
                            "input.dim() = %d is not equal to len(dims) = %d",
                            t->ndim, n);
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    bool seen[TN_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], t->ndim, &d) < 0)
            return NULL;
        if (seen[d])
            return tn_raise_ptr(st, tn_RuntimeError, "permute(): duplicate dims are not allowed.");
        seen[d] = true;
        sz[i] = t->sizes[d];
        sd[i] = t->strides[d];
    }
    return alias(st, t, n, sz, sd, t->offset);
}

TnTensor *op_transpose(TnState *st, TnTensor *t, int64_t d0, int64_t d1)
{
    int a, b;
    if (tensor_wrap_dim(st, d0, t->ndim, &a) < 0 || tensor_wrap_dim(st, d1, t->ndim, &b) < 0)
        return NULL;
    if (t->sp_indices && a != b)
        return sparse_transpose(st, t, a, b);
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    memcpy(sz, t->sizes, sizeof sz);
    memcpy(sd, t->strides, sizeof sd);
    if (t->ndim > 0) {
        sz[a] = t->sizes[b];
        sz[b] = t->sizes[a];
        sd[a] = t->strides[b];
        sd[b] = t->strides[a];
    }
    return alias(st, t, t->ndim, sz, sd, t->offset);
}

TnTensor *op_t(TnState *st, TnTensor *t)
{
    if (t->ndim > 2)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "t() expects a tensor with <= 2 dimensions, but self is %dD", t->ndim);
    return op_transpose(st, t, 0, t->ndim == 2 ? 1 : 0);
}

/* Reverses all dims (Tensor.T). */
TnTensor *op_reverse_dims(TnState *st, TnTensor *t)
{
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        sz[d] = t->sizes[t->ndim - 1 - d];
        sd[d] = t->strides[t->ndim - 1 - d];
    }
    return alias(st, t, t->ndim, sz, sd, t->offset);
}

TnTensor *op_movedim(TnState *st, TnTensor *t, int n, const int64_t *src, const int64_t *dst)
{
    int nd = t->ndim;
    int64_t perm[TN_MAX_DIMS];
    bool used_src[TN_MAX_DIMS] = {false}, used_dst[TN_MAX_DIMS] = {false};
    for (int d = 0; d < nd; d++)
        perm[d] = -1;
    for (int i = 0; i < n; i++) {
        int s, d;
        if (tensor_wrap_dim(st, src[i], nd, &s) < 0 || tensor_wrap_dim(st, dst[i], nd, &d) < 0)
            return NULL;
        char b[TN_SHAPE_STR]; /* PyTorch 1.13 shows the whole list */
        if (used_src[s])
            return tn_raise_ptr(st, tn_RuntimeError, "movedim: repeated dim in `source` (%s)",
                                shape_str(b, n, src));
        if (used_dst[d])
            return tn_raise_ptr(st, tn_RuntimeError, "movedim: repeated dim in `destination` (%s)",
                                shape_str(b, n, dst));
        used_src[s] = used_dst[d] = true;
        perm[d] = s;
    }
    int next = 0;
    for (int d = 0; d < nd; d++) {
        if (perm[d] >= 0)
            continue;
        while (used_src[next])
            next++;
        perm[d] = next++;
    }
    return op_permute(st, t, nd, perm);
}

TnTensor *op_expand(TnState *st, TnTensor *t, int n, const int64_t *sizes_in)
{
    int64_t sizes[TN_MAX_DIMS];
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    if (n < t->ndim)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "expand(%s{%s}, size=%s): the number of sizes "
                            "provided (%d) must be greater or equal to the number of dimensions "
                            "in the tensor (%d)",
                            tensor_expand_name(t->dtype), SHP(b1, t), shape_str(b2, n, sizes_in),
                            n, t->ndim);
    for (int d = 0; d < n; d++) {
        int j = d - (n - t->ndim);
        sizes[d] = sizes_in[d];
        if (sizes[d] == -1) {
            if (j < 0)
                return tn_raise_ptr(st, tn_RuntimeError,
                                    "The expanded size of the tensor (-1) isn't allowed in a "
                                    "leading, non-existing dimension %d",
                                    d);
            sizes[d] = t->sizes[j];
        }
    }
    return tensor_expand_to(st, t, n, sizes);
}

/* --------------------------------------------------------- sub-ranges */
TnTensor *op_narrow(TnState *st, TnTensor *t, int64_t dim, int64_t start, int64_t length)
{
    int d;
    if (t->ndim == 0)
        return tn_raise_ptr(st, tn_RuntimeError, "narrow() cannot be applied to a 0-dim tensor.");
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    int64_t size = t->sizes[d];
    if (start < -size || start > size) /* PyTorch 1.13 wraps start as a dim, with that error */
        return tn_raise_ptr(st, tn_IndexError,
                            "Dimension out of range (expected to be in range of [%lld, %lld], but "
                            "got %lld)",
                            (long long)-size, (long long)size - 1, (long long)start);
    if (start < 0)
        start += size;
    if (length < 0 || start > size - length)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "start (%lld) + length (%lld) exceeds dimension size (%lld).",
                            (long long)start, (long long)length, (long long)size);
    int64_t sz[TN_MAX_DIMS];
    memcpy(sz, t->sizes, sizeof sz);
    sz[d] = length;
    return alias(st, t, t->ndim, sz, t->strides, t->offset + start * t->strides[d]);
}

TnTensor *op_select(TnState *st, TnTensor *t, int64_t dim, int64_t index)
{
    int d;
    char b[TN_SHAPE_STR];
    if (t->ndim == 0)
        return tn_raise_ptr(st, tn_IndexError, "select() cannot be applied to a 0-dim tensor.");
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    int64_t size = t->sizes[d];
    if (index < -size || index >= size)
        return tn_raise_ptr(st, tn_IndexError,
                            "select(): index %lld out of range for tensor of size %s at "
                            "dimension %d",
                            (long long)index, SHP(b, t), d);
    if (index < 0)
        index += size;
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == d)
            continue;
        sz[nd] = t->sizes[i];
        sd[nd++] = t->strides[i];
    }
    return alias(st, t, nd, sz, sd, t->offset + index * t->strides[d]);
}

/* Python slice semantics: start/stop clamp to [0, size], step > 0. */
TnTensor *op_slice(TnState *st, TnTensor *t, int d, int64_t start, int64_t stop, int64_t step)
{
    int64_t size = t->sizes[d];
    if (step <= 0)
        return tn_raise_ptr(st, tn_ValueError, "step must be greater than zero");
    if (start < 0)
        start += size;
    if (stop < 0)
        stop += size;
    start = start < 0 ? 0 : start > size ? size : start;
    stop = stop < start ? start : stop > size ? size : stop;
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    memcpy(sz, t->sizes, sizeof sz);
    memcpy(sd, t->strides, sizeof sd);
    sz[d] = (stop - start + step - 1) / step;
    sd[d] = t->strides[d] * step;
    return alias(st, t, t->ndim, sz, sd, t->offset + (start < size ? start * t->strides[d] : 0));
}

TnTensor *op_diagonal(TnState *st, TnTensor *t, int64_t offset, int64_t dim1, int64_t dim2)
{
    int a, b;
    if (tensor_wrap_dim(st, dim1, t->ndim, &a) < 0 || tensor_wrap_dim(st, dim2, t->ndim, &b) < 0)
        return NULL;
    if (a == b)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "diagonal dimensions cannot be identical %lld, %lld", (long long)dim1,
                            (long long)dim2);
    int64_t off = t->offset, len;
    if (offset >= 0) {
        len = t->sizes[a] < t->sizes[b] - offset ? t->sizes[a] : t->sizes[b] - offset;
        off += offset * t->strides[b];
    } else {
        len = t->sizes[a] + offset < t->sizes[b] ? t->sizes[a] + offset : t->sizes[b];
        off -= offset * t->strides[a];
    }
    if (len <= 0) {
        len = 0;
        off = t->offset;
    }
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (d == a || d == b)
            continue;
        sz[nd] = t->sizes[d];
        sd[nd++] = t->strides[d];
    }
    sz[nd] = len;
    sd[nd++] = t->strides[a] + t->strides[b];
    return alias(st, t, nd, sz, sd, off);
}

/* ----------------------------------------------------------- splitting */
/* Pieces of t along dim with the given sizes: a new array of n new tensors. */
TnTensor **op_split_sizes(TnState *st, TnTensor *t, int64_t dim, int64_t n, const int64_t *sizes)
{
    int d;
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += sizes[i];
    if (total != t->sizes[d]) {
        char b[TN_SHAPE_STR];
        return tn_raise_ptr(st, tn_RuntimeError,
                            "split_with_sizes expects split_sizes to sum exactly to %lld (input "
                            "tensor's size at dimension %d), but got split_sizes=%s",
                            (long long)t->sizes[d], d, shape_str(b, (int)(n < 16 ? n : 16), sizes));
    }
    TnTensor **out = tn_calloc((size_t)(n ? n : 1), sizeof(TnTensor *));
    if (!out)
        return (void)tn_no_memory(st), NULL;
    int64_t start = 0;
    for (int64_t i = 0; i < n; i++) {
        out[i] = op_narrow(st, t, d, start, sizes[i]);
        if (!out[i]) {
            for (int64_t j = 0; j < i; j++)
                tn_obj_decref(out[j]);
            tn_free(out);
            return NULL;
        }
        start += sizes[i];
    }
    return out;
}

TnTensor **op_split(TnState *st, TnTensor *t, int64_t size, int64_t dim, int64_t *n)
{
    int d;
    if (t->ndim == 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "split expects at least a 1-dimensional tensor");
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    if (size < 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "split expects split_size be non-negative, but got split_size=%lld",
                            (long long)size);
    int64_t len = t->sizes[d];
    int64_t cnt = size == 0 ? (len == 0 ? 1 : 0) : (len + size - 1) / size;
    if (cnt == 0 && size == 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "split_size can only be 0 if dimension size is 0, but got dimension "
                            "size of %lld",
                            (long long)len);
    if (cnt == 0)
        cnt = 1;
    int64_t *sizes = tn_malloc(sizeof(int64_t) * (size_t)cnt);
    if (!sizes)
        return (void)tn_no_memory(st), NULL;
    for (int64_t i = 0; i < cnt; i++)
        sizes[i] = i < cnt - 1 ? size : len - size * (cnt - 1);
    TnTensor **r = op_split_sizes(st, t, d, cnt, sizes);
    tn_free(sizes);
    *n = cnt;
    return r;
}

TnTensor **op_chunk(TnState *st, TnTensor *t, int64_t chunks, int64_t dim, int64_t *n)
{
    int d;
    if (t->ndim == 0)
        return tn_raise_ptr(st, tn_RuntimeError, "chunk expects at least a 1-dimensional tensor");
    if (chunks <= 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "chunk expects `chunks` to be greater than 0, got: %lld",
                            (long long)chunks);
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    int64_t len = t->sizes[d];
    int64_t size = (len + chunks - 1) / chunks;
    if (size == 0 && len == 0) {
        /* every chunk is empty: PyTorch returns `chunks` empty pieces */
        int64_t *sizes = tn_calloc((size_t)chunks, sizeof(int64_t));
        if (!sizes)
            return (void)tn_no_memory(st), NULL;
        TnTensor **r = op_split_sizes(st, t, d, chunks, sizes);
        tn_free(sizes);
        *n = chunks;
        return r;
    }
    return op_split(st, t, size, d, n);
}

TnTensor **op_unbind(TnState *st, TnTensor *t, int64_t dim, int64_t *n)
{
    int d;
    if (t->ndim == 0)
        return tn_raise_ptr(st, tn_IndexError,
                            "Dimension specified as 0 but tensor has no dimensions");
    if (tensor_wrap_dim(st, dim, t->ndim, &d) < 0)
        return NULL;
    int64_t len = t->sizes[d];
    TnTensor **out = tn_calloc((size_t)(len ? len : 1), sizeof(TnTensor *));
    if (!out)
        return (void)tn_no_memory(st), NULL;
    for (int64_t i = 0; i < len; i++) {
        out[i] = op_select(st, t, d, i);
        if (!out[i]) {
            for (int64_t j = 0; j < i; j++)
                tn_obj_decref(out[j]);
            tn_free(out);
            return NULL;
        }
    }
    *n = len;
    return out;
}

/* --------------------------------------------------------- joining */
TnTensor *op_cat(TnState *st, TnTensor **ts, int64_t n, int64_t dim)
{
    if (n == 0)
        return tn_raise_ptr(st, tn_RuntimeError, "torch.cat(): expected a non-empty list of Tensors");
    /* PyTorch skips 1-D empty tensors (legacy behaviour) when picking the shape */
    TnTensor *ref = NULL;
    TnDType dt = ts[0]->dtype;
    for (int64_t i = 0; i < n; i++) {
        dt = dtype_promote(dt, ts[i]->dtype);
        if (!ref && !(ts[i]->ndim == 1 && ts[i]->sizes[0] == 0))
            ref = ts[i];
    }
    if (!ref) {
        int64_t zero = 0;
        return tensor_empty(st, dt, 1, &zero);
    }
    if (ref->ndim == 0)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "zero-dimensional tensor (at position %d) cannot be concatenated",
                            (int)(ref - ts[0]) * 0);
    int d;
    if (tensor_wrap_dim(st, dim, ref->ndim, &d) < 0)
        return NULL;
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        TnTensor *t = ts[i];
        if (t->ndim == 1 && t->sizes[0] == 0)
            continue;
        if (t->ndim == 0)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "zero-dimensional tensor (at position %lld) cannot be "
                                "concatenated",
                                (long long)i);
        if (t->ndim != ref->ndim)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "Tensors must have same number of dimensions: got %d and %d",
                                ref->ndim, t->ndim);
        for (int k = 0; k < ref->ndim; k++)
            if (k != d && t->sizes[k] != ref->sizes[k])
                return tn_raise_ptr(st, tn_RuntimeError,
                                    "Sizes of tensors must match except in dimension %d. Expected "
                                    "size %lld but got size %lld for tensor number %lld in the "
                                    "list.",
                                    d, (long long)ref->sizes[k], (long long)t->sizes[k],
                                    (long long)i);
        total += t->sizes[d];
    }
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, ref->sizes, sizeof shape);
    shape[d] = total;
    TnTensor *out = tensor_empty(st, dt, ref->ndim, shape);
    if (!out)
        return NULL;
    int64_t start = 0;
    for (int64_t i = 0; i < n; i++) {
        TnTensor *t = ts[i];
        if (t->ndim == 1 && t->sizes[0] == 0)
            continue;
        TnTensor *dst = op_narrow(st, out, d, start, t->sizes[d]);
        int rc = dst ? tensor_copy_(st, dst, t) : -1;
        tn_obj_decref(dst);
        if (rc < 0) {
            tn_obj_decref(out);
            return NULL;
        }
        start += t->sizes[d];
    }
    return out;
}

TnTensor *op_stack(TnState *st, TnTensor **ts, int64_t n, int64_t dim)
{
    if (n == 0)
        return tn_raise_ptr(st, tn_RuntimeError, "stack expects a non-empty TensorList");
    char b1[TN_SHAPE_STR], b2[TN_SHAPE_STR];
    for (int64_t i = 1; i < n; i++)
        if (ts[i]->ndim != ts[0]->ndim ||
            memcmp(ts[i]->sizes, ts[0]->sizes, sizeof(int64_t) * (size_t)ts[0]->ndim) != 0)
            return tn_raise_ptr(st, tn_RuntimeError,
                                "stack expects each tensor to be equal size, but got %s at entry "
                                "0 and %s at entry %lld",
                                SHP(b1, ts[0]), SHP(b2, ts[i]), (long long)i);
    int d;
    if (tensor_wrap_dim(st, dim, ts[0]->ndim + 1, &d) < 0)
        return NULL;
    TnTensor **us = tn_calloc((size_t)n, sizeof(TnTensor *));
    if (!us)
        return (void)tn_no_memory(st), NULL;
    TnTensor *out = NULL;
    int64_t i;
    for (i = 0; i < n; i++)
        if (!(us[i] = op_unsqueeze(st, ts[i], d)))
            goto done;
    out = op_cat(st, us, n, d);
done:
    for (int64_t j = 0; j < n; j++)
        tn_obj_decref(us[j]);
    tn_free(us);
    return out;
}

/* ------------------------------------------------------- copying movement */
TnTensor *op_flip(TnState *st, TnTensor *t, int n, const int64_t *dims)
{
    int64_t sd[TN_MAX_DIMS];
    int64_t off = t->offset;
    memcpy(sd, t->strides, sizeof sd);
    bool seen[TN_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], t->ndim, &d) < 0)
            return NULL;
        if (seen[d])
            return tn_raise_ptr(st, tn_RuntimeError,
                                "dim %d appears multiple times in the list of dims", d);
        seen[d] = true;
        if (t->sizes[d] > 0)
            off += (t->sizes[d] - 1) * t->strides[d];
        sd[d] = -t->strides[d];
    }
    TnTensor *v = alias(st, t, t->ndim, t->sizes, sd, off);
    if (!v)
        return NULL;
    TnTensor *c = tensor_empty(st, t->dtype, t->ndim, t->sizes);
    if (c && tensor_copy_(st, c, v) < 0) {
        tn_obj_decref(c);
        c = NULL;
    }
    tn_obj_decref(v);
    return c;
}

/* roll along one dim: out = cat(t[-s:], t[:-s]). */
static TnTensor *roll1(TnState *st, TnTensor *t, int64_t shift, int d)
{
    int64_t len = t->sizes[d];
    TnTensor *out = tensor_empty(st, t->dtype, t->ndim, t->sizes);
    if (!out || len == 0)
        return out;
    shift = ((shift % len) + len) % len;
    TnTensor *a = op_narrow(st, t, d, len - shift, shift), *b = op_narrow(st, t, d, 0, len - shift);
    TnTensor *oa = op_narrow(st, out, d, 0, shift), *ob = op_narrow(st, out, d, shift, len - shift);
    int rc = a && b && oa && ob ? 0 : -1;
    if (rc == 0)
        rc = tensor_copy_(st, oa, a);
    if (rc == 0)
        rc = tensor_copy_(st, ob, b);
    tn_obj_decref(a);
    tn_obj_decref(b);
    tn_obj_decref(oa);
    tn_obj_decref(ob);
    if (rc < 0) {
        tn_obj_decref(out);
        return NULL;
    }
    return out;
}

TnTensor *op_roll(TnState *st, TnTensor *t, int n, const int64_t *shifts, int nd,
                  const int64_t *dims)
{
    if (nd == 0) {
        int64_t numel = tensor_numel(t);
        TnTensor *f = op_reshape(st, t, 1, &numel);
        if (!f)
            return NULL;
        TnTensor *r = roll1(st, f, shifts[0], 0);
        tn_obj_decref(f);
        if (!r)
            return NULL;
        TnTensor *v = op_view(st, r, t->ndim, t->sizes);
        tn_obj_decref(r);
        return v;
    }
    if (n != nd)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "shifts and dimensions must align. shifts: %d, dims:%d", n, nd);
    tn_obj_incref(t);
    TnTensor *cur = t;
    for (int i = 0; i < n; i++) {
        int d;
        if (tensor_wrap_dim(st, dims[i], t->ndim, &d) < 0) {
            tn_obj_decref(cur);
            return NULL;
        }
        TnTensor *next = roll1(st, cur, shifts[i], d);
        tn_obj_decref(cur);
        if (!next)
            return NULL;
        cur = next;
    }
    return cur;
}

TnTensor *op_repeat(TnState *st, TnTensor *t, int n, const int64_t *reps)
{
    if (n < t->ndim)
        return tn_raise_ptr(st, tn_RuntimeError,
                            "Number of dimensions of repeat dims can not be smaller than number "
                            "of dimensions of tensor");
    /* view the source as (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...) */
    int64_t xs[2 * TN_MAX_DIMS], xd[2 * TN_MAX_DIMS], out[TN_MAX_DIMS];
    int lead = n - t->ndim;
    if (2 * n > TN_MAX_DIMS)
        return tn_raise_ptr(st, tn_RuntimeError, "repeat: too many dimensions");
    for (int d = 0; d < n; d++) {
        int j = d - lead;
        int64_t s = j >= 0 ? t->sizes[j] : 1;
        xs[2 * d] = reps[d];
        xd[2 * d] = 0;
        xs[2 * d + 1] = s;
        xd[2 * d + 1] = j >= 0 ? t->strides[j] : 0;
        if (__builtin_mul_overflow(reps[d], s, &out[d]))
            return tn_raise_ptr(st, tn_RuntimeError, "numel: integer multiplication overflow");
    }
    int64_t numel;
    if (tensor_check_sizes(st, n, out, &numel) < 0) /* negative repeats, named by result shape */
        return NULL;
    TnTensor *v = alias(st, t, 2 * n, xs, xd, t->offset);
    if (!v)
        return NULL;
    TnTensor *c = tensor_empty(st, t->dtype, 2 * n, xs);
    if (c && tensor_copy_(st, c, v) < 0) {
        tn_obj_decref(c);
        c = NULL;
    }
    tn_obj_decref(v);
    if (!c)
        return NULL;
    TnTensor *r = op_view(st, c, n, out);
    tn_obj_decref(c);
    return r;
}

TnTensor *op_tile(TnState *st, TnTensor *t, int n, const int64_t *reps)
{
    int64_t r[TN_MAX_DIMS];
    int m = n > t->ndim ? n : t->ndim;
    for (int d = 0; d < m; d++)
        r[d] = d < m - n ? 1 : reps[d - (m - n)];
    return op_repeat(st, t, m, r);
}

TnTensor *op_diag(TnState *st, TnTensor *t, int64_t k)
{
    if (t->ndim == 2)
        return op_diagonal(st, t, k, 0, 1); /* caller clones: diag() copies */
    if (t->ndim != 1)
        return tn_raise_ptr(st, tn_RuntimeError, "matrix or a vector expected");
    int64_t n = t->sizes[0] + (k < 0 ? -k : k);
    int64_t shape[2] = {n, n};
    TnTensor *out = tensor_zeros(st, t->dtype, 2, shape);
    if (!out)
        return NULL;
    TnTensor *dg = op_diagonal(st, out, k, 0, 1);
    int rc = dg ? tensor_copy_(st, dg, t) : -1;
    tn_obj_decref(dg);
    if (rc < 0) {
        tn_obj_decref(out);
        return NULL;
    }
    return out;
}

/* tril (upper=false) or triu: zero the other triangle of the last two dims. */
TnTensor *op_tri(TnState *st, TnTensor *t, int64_t k, bool upper)
{
    int rows_dim;
    if (t->ndim == 0) /* PyTorch's own complaint is about wrapping dim -2 */
        return tn_raise_ptr(st, tn_IndexError,
                            "Dimension specified as -2 but tensor has no dimensions");
    if (tensor_wrap_dim(st, -2, t->ndim, &rows_dim) < 0)
        return NULL;
    TnTensor *out = tensor_clone(st, t);
    if (!out)
        return NULL;
    int64_t rows = t->sizes[t->ndim - 2], cols = t->sizes[t->ndim - 1];
    int64_t area = rows * cols;
    int64_t batch = area > 0 ? tensor_numel(t) / area : 0;
    int es = DT_SIZE(t->dtype);
    char *p = tensor_ptr(out);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                bool keep = upper ? j - i >= k : j - i <= k;
                if (!keep)
                    memset(p + ((b * rows + i) * cols + j) * es, 0, (size_t)es);
            }
    return out;
}
