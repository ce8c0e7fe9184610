/* random_api.c: the random torch.* functions and Tensor methods (rand, randn, normal, poisson,
 * multinomial, bernoulli, randint, randperm, in-place fills) over the raw-buffer streams of
 * random.c. Each PyTorch kernel invocation is one random.c call over the whole output, in the
 * order PyTorch's TensorIterator visits the elements, so seeded runs match PyTorch draw for draw. */
#include "api_args.h"
#include "random.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NATIVE(name) static TnValue name(TnState *st, TnValue *a)
#define SELF AS_TENSOR(a[0])

/* --------------------------------------------------------------- helpers */
/* A view of t with its dims ordered by decreasing stride, so that its row-major order is t's
 * memory order: the order TensorIterator visits a non-contiguous output (t.T.uniform_()). */
static TnTensor *memory_order_view(TnState *st, TnTensor *t)
{
    int64_t sz[TN_MAX_DIMS], sd[TN_MAX_DIMS];
    int perm[TN_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++)
        perm[d] = d;
    /* insertion sort: stable, so equal strides (size-1 dims) keep their order */
    for (int i = 1; i < t->ndim; i++)
        for (int j = i; j > 0 && t->strides[perm[j - 1]] < t->strides[perm[j]]; j--) {
            int x = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = x;
        }
    for (int d = 0; d < t->ndim; d++) {
        sz[d] = t->sizes[perm[d]];
        sd[d] = t->strides[perm[d]];
    }
    return tensor_alias(st, t, t->ndim, sz, sd, t->offset);
}

typedef enum { FILL_UNIFORM, FILL_NORMAL } FillKind;

static void fill_buffer(TnDType dt, void *p, int64_t n, FillKind kind, bool serial, double x,
                        double y)
{
    TnRng *g = rng_default();
    bool f32 = dt == DT_FLOAT32;
    if (kind == FILL_UNIFORM && f32)
        rng_uniform_f32(g, p, n, x, y);
    else if (kind == FILL_UNIFORM)
        rng_uniform_f64(g, p, n, x, y);
    else if (serial && f32)
        rng_normal_serial_f32(g, p, n, x, y);
    else if (serial)
        rng_normal_serial_f64(g, p, n, x, y);
    else if (f32)
        rng_normal_f32(g, p, n, x, y);
    else
        rng_normal_f64(g, p, n, x, y);
}

/* uniform_(x, y) or normal_(x, y) over t in place, in PyTorch's draw order. A contiguous t is
 * filled directly; otherwise PyTorch takes the scalar normal path, and both kinds visit the
 * elements in memory order. */
static int rand_fill(TnState *st, TnTensor *t, FillKind kind, double x, double y)
{
    if (!DT_IS_FLOAT(t->dtype))
        return tn_raise_int(st, tn_RuntimeError, "\"%s\" not implemented for '%s'",
                            kind == FILL_NORMAL ? "normal_kernel_cpu" : "check_uniform_bounds",
                            tn_dtype_info[t->dtype].cname);
    if (tensor_is_contiguous(t)) {
        fill_buffer(t->dtype, tensor_ptr(t), tensor_numel(t), kind, false, x, y);
        tensor_bump_version(t);
        return 0;
    }
    TnTensor *view = memory_order_view(st, t);
    TnTensor *tmp = view ? tensor_empty(st, t->dtype, view->ndim, view->sizes) : NULL;
    int rc = -1;
    if (tmp) {
        fill_buffer(t->dtype, tensor_ptr(tmp), tensor_numel(tmp), kind, true, x, y);
        rc = tensor_copy_(st, view, tmp);
    }
    tn_obj_decref(tmp);
    tn_obj_decref(view);
    return rc;
}

static int check_std(TnState *st, double std)
{
    if (std < 0)
        return tn_raise_int(st, tn_RuntimeError, "normal expects std >= 0.0, but found std %g",
                            std);
    return 0;
}

/* dtype=: the given one, else the default float. */
static int float_dtype(TnState *st, TnValue v, TnDType *out)
{
    int dt;
    if (arg_dtype(st, v, &dt) < 0)
        return -1;
    *out = dt < 0 ? DT_DEFAULT : (TnDType)dt;
    return 0;
}

/* Replaces *t by its conversion to dt (no-op when dt < 0 or already dt). */
static int convert(TnState *st, TnTensor **t, int dt)
{
    if (dt < 0 || (*t)->dtype == (TnDType)dt)
        return 0;
    TnTensor *c = tensor_to(st, *t, (TnDType)dt);
    tn_obj_decref(*t);
    *t = c;
    return c ? 0 : -1;
}

/* ---------------------------------------------------- rand, randn, *_like */
static TnValue rand_new(TnState *st, TnValue *a, FillKind kind)
{
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    TnDType dt;
    if (arg_sizes_for(st, a[0], &nd, sizes, kind == FILL_NORMAL ? "randn" : "rand", "size",
                      "ints") < 0 ||
        float_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    TnTensor *t = tensor_empty(st, dt, nd, sizes);
    if (t && rand_fill(st, t, kind, 0, 1) < 0) {
        tn_obj_decref(t);
        return tn_undef();
    }
    return api_finish_new(st, t, a[3]);
}
NATIVE(api_rand)
{
    return rand_new(st, a, FILL_UNIFORM);
}
NATIVE(api_randn)
{
    return rand_new(st, a, FILL_NORMAL);
}

static TnValue rand_like(TnState *st, TnValue *a, FillKind kind, const char *fn)
{
    TnTensor *x = arg_tensor(st, a[0], fn, "input");
    int dt;
    if (!x || arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    TnTensor *t = tensor_empty_result(st, dt < 0 ? x->dtype : (TnDType)dt, x->ndim, x->sizes, 1,
                                      &x); /* x's layout; filled in memory order */
    if (t && rand_fill(st, t, kind, 0, 1) < 0) {
        tn_obj_decref(t);
        return tn_undef();
    }
    return api_finish_new(st, t, a[3]);
}
NATIVE(api_rand_like)
{
    return rand_like(st, a, FILL_UNIFORM, "rand_like");
}
NATIVE(api_randn_like)
{
    return rand_like(st, a, FILL_NORMAL, "randn_like");
}

NATIVE(api_normal_)
{
    double m, s;
    if (arg_double(st, a[1], &m) < 0 || arg_double(st, a[2], &s) < 0 || check_std(st, s) < 0 ||
        rand_fill(st, SELF, FILL_NORMAL, m, s) < 0)
        return tn_undef();
    return tn_ref(a[0]);
}

NATIVE(api_uniform_)
{
    double lo, hi;
    if (arg_double(st, a[1], &lo) < 0 || arg_double(st, a[2], &hi) < 0)
        return tn_undef();
    if (lo > hi)
        return tn_raise(st, tn_RuntimeError,
                        "uniform_ expects to return a [from, to) range, but found from=%g > to=%g",
                        lo, hi);
    if (rand_fill(st, SELF, FILL_UNIFORM, lo, hi) < 0)
        return tn_undef();
    return tn_ref(a[0]);
}

/* ------------------------------------------------------------ torch.normal */
static TnValue normal_bad_args(TnState *st, TnValue *a)
{
    return tn_raise(st, tn_TypeError,
                    "normal() received an invalid combination of arguments - got (%s, %s), but "
                    "expected one of:\n"
                    " * (Tensor mean, Tensor std, *, torch.Generator generator, Tensor out)\n"
                    " * (Tensor mean, float std, *, torch.Generator generator, Tensor out)\n"
                    " * (float mean, Tensor std, *, torch.Generator generator, Tensor out)\n"
                    " * (float mean, float std, tuple of ints size, *, torch.Generator "
                    "generator, Tensor out, torch.dtype dtype, torch.layout layout, "
                    "torch.device device, bool pin_memory, bool requires_grad)\n",
                    tn_type_name(a[0]), tn_type_name(a[1]));
}

/* normal(mean, std) with a tensor among them: standard normals of the broadcast shape, then
 * out.mul_(std).add_(mean) as PyTorch's normal_out_impl does (two float roundings). */
static TnValue normal_tensors(TnState *st, TnOperand mean, TnOperand std)
{
    if (std.t) {
        TnTensor *lo = op_reduce(st, RED_AMIN, std.t, 0xffffffffu, false, -1, 0);
        if (!lo)
            return tn_undef();
        bool bad = tensor_numel(std.t) > 0 && tn_num_as_double(tensor_get_flat(lo, 0)) < 0;
        tn_obj_decref(lo);
        if (bad)
            return tn_raise(st, tn_RuntimeError, "normal expects all elements of std >= 0.0");
    } else if (check_std(st, tn_num_as_double(std.s)) < 0) {
        return tn_undef();
    }
    TnTensor *like = mean.t ? mean.t : std.t;
    int nd = like->ndim;
    int64_t shape[TN_MAX_DIMS];
    memcpy(shape, like->sizes, sizeof(int64_t) * (size_t)nd);
    if (mean.t && std.t &&
        shape_broadcast(st, mean.t->ndim, mean.t->sizes, std.t->ndim, std.t->sizes, &nd, shape) < 0)
        return tn_undef();
    TnTensor *out = tensor_empty(st, like->dtype, nd, shape);
    if (!out || rand_fill(st, out, FILL_NORMAL, 0, 1) < 0) {
        tn_obj_decref(out);
        return tn_undef();
    }
    TnTensor *r1 = op_binary_(st, BOP_MUL, out, std);
    TnTensor *r2 = r1 ? op_binary_(st, BOP_ADD, out, mean) : NULL;
    tn_obj_decref(r1);
    tn_obj_decref(r2);
    if (!r2) {
        tn_obj_decref(out);
        return tn_undef();
    }
    return tn_obj(out);
}

NATIVE(api_normal)
{
    /* normal(mean, std=1.0, size=?, *, generator, dtype, device, requires_grad) */
    TnOperand mean, std;
    if (arg_operand(st, a[0], &mean, "normal", "mean") < 0 ||
        arg_operand(st, a[1], &std, "normal", "std") < 0)
        return tn_undef();
    if (mean.t || std.t) {
        if (!IS_UNDEF(a[2]))
            return normal_bad_args(st, a);
        return normal_tensors(st, mean, std);
    }
    if (IS_UNDEF(a[2]))
        return normal_bad_args(st, a);
    int nd;
    int64_t sizes[TN_MAX_DIMS];
    TnDType dt;
    double m = tn_num_as_double(mean.s), s = tn_num_as_double(std.s);
    if (arg_int_list(st, a[2], &nd, sizes, TN_MAX_DIMS) < 0 || float_dtype(st, a[4], &dt) < 0 ||
        check_std(st, s) < 0)
        return tn_undef();
    TnTensor *t = tensor_empty(st, dt, nd, sizes);
    if (t && rand_fill(st, t, FILL_NORMAL, m, s) < 0) {
        tn_obj_decref(t);
        return tn_undef();
    }
    return api_finish_new(st, t, a[6]);
}

/* ----------------------------------------------------------- torch.poisson */
NATIVE(api_poisson)
{
    TnTensor *x = arg_tensor(st, a[0], "poisson", "input");
    if (!x)
        return tn_undef();
    if (!DT_IS_FLOAT(x->dtype))
        return tn_raise(st, tn_RuntimeError, "\"poisson_cpu\" not implemented for '%s'",
                        tn_dtype_info[x->dtype].cname);
    TnTensor *rates = tensor_contiguous(st, x);
    TnTensor *out = rates ? tensor_empty(st, x->dtype, x->ndim, x->sizes) : NULL;
    if (!out) {
        tn_obj_decref(rates);
        return tn_undef();
    }
    int64_t n = tensor_numel(rates);
    bool bad = false;
    for (int64_t i = 0; i < n; i++)
        bad |= !(tn_num_as_double(tensor_get_flat(rates, i)) >= 0);
    if (bad) {
        tn_obj_decref(rates);
        tn_obj_decref(out);
        return tn_raise(st, tn_RuntimeError,
                        "invalid Poisson rate, expected rate to be non-negative");
    }
    if (x->dtype == DT_FLOAT32)
        rng_poisson_f32(rng_default(), (float *)tensor_ptr(out), (float *)tensor_ptr(rates), n);
    else
        rng_poisson_f64(rng_default(), (double *)tensor_ptr(out), (double *)tensor_ptr(rates), n);
    tn_obj_decref(rates);
    return tn_obj(out);
}

/* ------------------------------------------------------- torch.multinomial */
static int multinomial_check(TnState *st, TnTensor *x, int64_t n, bool replacement)
{
    if (!DT_IS_FLOAT(x->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            "multinomial only supports floating-point dtypes for input, got: %s",
                            tn_dtype_info[x->dtype].cname);
    if (x->ndim != 1 && x->ndim != 2)
        return tn_raise_int(st, tn_RuntimeError, "prob_dist must be 1 or 2 dim");
    if (n <= 0)
        return tn_raise_int(st, tn_RuntimeError, "cannot sample n_sample <= 0 samples");
    if (!replacement && n > x->sizes[x->ndim - 1])
        return tn_raise_int(st, tn_RuntimeError, "%s", rng_status_message(RNG_ERR_TOO_MANY));
    return 0;
}

NATIVE(api_multinomial)
{
    TnTensor *x = arg_tensor(st, a[0], "multinomial", "input");
    int64_t n;
    bool repl;
    if (!x || arg_int(st, a[1], &n, "num_samples") < 0 || arg_bool(st, a[2], &repl) < 0 ||
        multinomial_check(st, x, n, repl) < 0)
        return tn_undef();
    int64_t rows = x->ndim == 2 ? x->sizes[0] : 1, cols = x->sizes[x->ndim - 1];
    int64_t shape[2] = {rows, n};
    TnTensor *p = tensor_contiguous(st, x);
    TnTensor *out = p ? tensor_empty(st, DT_INT64, x->ndim, x->ndim == 2 ? shape : &n) : NULL;
    if (!out) {
        tn_obj_decref(p);
        return tn_undef();
    }
    int64_t *o = (int64_t *)tensor_ptr(out);
    RngStatus rc = x->dtype == DT_FLOAT32
                       ? rng_multinomial_f32(rng_default(), o, (float *)tensor_ptr(p), rows, cols,
                                             n, repl)
                       : rng_multinomial_f64(rng_default(), o, (double *)tensor_ptr(p), rows,
                                             cols, n, repl);
    tn_obj_decref(p);
    if (rc != RNG_OK) {
        tn_obj_decref(out);
        if (rc == RNG_ERR_NO_MEMORY)
            return tn_no_memory(st);
        return tn_raise(st, tn_RuntimeError, "%s", rng_status_message(rc));
    }
    return tn_obj(out);
}

/* ------------------------------------------------------------- bernoulli */
/* Fills t with 0/1 drawn with the scalar probability p: one u64 per element whatever
 * t's dtype (the values are drawn as float64, then cast). */
static int bernoulli_scalar_fill(TnState *st, TnTensor *t, double p)
{
    if (!(p >= 0 && p <= 1))
        return tn_raise_int(st, tn_RuntimeError,
                            "bernoulli_ expects p to be in [0, 1], but got p=%g", p);
    TnTensor *c = tensor_empty(st, DT_FLOAT64, t->ndim, t->sizes);
    if (!c)
        return -1;
    rng_bernoulli_scalar_f64(rng_default(), (double *)tensor_ptr(c), tensor_numel(c), p);
    int rc = tensor_copy_(st, t, c);
    tn_obj_decref(c);
    return rc;
}

/* A fresh tensor of p's dtype and the given shape, each element 1 with probability p
 * (p broadcast to the shape): one draw per element in p's precision, as PyTorch's
 * bernoulli_tensor kernel does. */
static TnTensor *bernoulli_draw(TnState *st, TnTensor *p, int nd, const int64_t *sizes)
{
    if (!DT_IS_FLOAT(p->dtype))
        return tn_raise_ptr(st, tn_RuntimeError,
                             "\"bernoulli_tensor_cpu_p_\" not implemented for '%s'",
                             tn_dtype_info[p->dtype].cname);
    TnTensor *e = tensor_expand_to(st, p, nd, sizes);
    TnTensor *pc = e ? tensor_contiguous(st, e) : NULL;
    tn_obj_decref(e);
    if (!pc)
        return NULL;
    int64_t n = tensor_numel(pc), bad = n;
    if (p->dtype == DT_FLOAT32) {
        const float *pv = (const float *)tensor_ptr(pc);
        for (int64_t i = 0; i < n && bad == n; i++)
            bad = pv[i] >= 0 && pv[i] <= 1 ? n : i;
    } else {
        const double *pv = (const double *)tensor_ptr(pc);
        for (int64_t i = 0; i < n && bad == n; i++)
            bad = pv[i] >= 0 && pv[i] <= 1 ? n : i;
    }
    bool ok = bad == n;
    /* PyTorch checks each p as it reaches it: the elements before a bad one have drawn */
    TnTensor *out = tensor_empty(st, p->dtype, nd, sizes);
    if (!ok && out && p->dtype == DT_FLOAT32)
        rng_bernoulli_f32(rng_default(), (float *)tensor_ptr(out), (float *)tensor_ptr(pc), bad);
    else if (!ok && out)
        rng_bernoulli_f64(rng_default(), (double *)tensor_ptr(out), (double *)tensor_ptr(pc), bad);
    if (!ok && out) {
        tn_obj_decref(out);
        out = NULL;
        tn_raise(st, tn_RuntimeError,
                 "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                 "message be improved?  If so, please report an enhancement request to "
                 "PyTorch.)");
    } else if (out && p->dtype == DT_FLOAT32)
        rng_bernoulli_f32(rng_default(), (float *)tensor_ptr(out), (float *)tensor_ptr(pc), n);
    else if (out)
        rng_bernoulli_f64(rng_default(), (double *)tensor_ptr(out), (double *)tensor_ptr(pc), n);
    tn_obj_decref(pc);
    return out;
}

/* t.bernoulli_(p): p a number or a tensor of probabilities broadcastable to t. */
NATIVE(api_bernoulli_)
{
    TnTensor *t = SELF;
    if (IS_TENSOR(a[1])) {
        TnTensor *r = bernoulli_draw(st, AS_TENSOR(a[1]), t->ndim, t->sizes);
        int rc = r ? tensor_copy_(st, t, r) : -1;
        tn_obj_decref(r);
        return rc < 0 ? tn_undef() : tn_ref(a[0]);
    }
    double p;
    if (arg_double(st, a[1], &p) < 0 || bernoulli_scalar_fill(st, t, p) < 0)
        return tn_undef();
    return tn_ref(a[0]);
}

/* torch.bernoulli(input): input holds the probabilities; torch.bernoulli(input, p): a
 * tensor like input filled with probability p. */
NATIVE(api_bernoulli)
{
    TnTensor *x = arg_tensor(st, a[0], "bernoulli", "input");
    if (!x)
        return tn_undef();
    if (IS_UNDEF(a[1]))
        return ret_t(bernoulli_draw(st, x, x->ndim, x->sizes));
    double p;
    if (arg_double(st, a[1], &p) < 0)
        return tn_undef();
    TnTensor *out = tensor_empty(st, x->dtype, x->ndim, x->sizes);
    if (out && bernoulli_scalar_fill(st, out, p) < 0) {
        tn_obj_decref(out);
        out = NULL;
    }
    return ret_t(out);
}

/* ------------------------------------------------------ randint, randperm */
static int check_range(TnState *st, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return tn_raise_int(st, tn_RuntimeError,
                            "random_ expects 'from' to be less than 'to', but got from=%lld >= "
                            "to=%lld",
                            (long long)lo, (long long)hi);
    return 0;
}

/* A tensor of the given shape filled with randint(lo, hi) (drawn as int64, then converted). */
static TnTensor *randint_tensor(TnState *st, int nd, const int64_t *sizes, int64_t lo,
                                int64_t hi, int dt)
{
    if (check_range(st, lo, hi) < 0)
        return NULL;
    TnTensor *t = tensor_empty(st, DT_INT64, nd, sizes);
    if (!t)
        return NULL;
    rng_randint_i64(rng_default(), (int64_t *)tensor_ptr(t), tensor_numel(t), lo, hi);
    return convert(st, &t, dt) < 0 ? NULL : t;
}

NATIVE(api_randint)
{
    /* randint(high, size) or randint(low, high, size), any of them by keyword */
    TnValue lo = a[0], hi = a[1], size = a[2];
    if (IS_UNDEF(size)) {
        size = hi;
        hi = lo;
        lo = tn_int(0);
    } else if (IS_UNDEF(hi)) {
        hi = lo;
        lo = tn_int(0);
    } else if (IS_UNDEF(lo)) {
        lo = tn_int(0);
    }
    if (IS_UNDEF(hi) || IS_UNDEF(size))
        return tn_raise(st, tn_TypeError,
                        "randint() missing required arguments: expected (high, size) or "
                        "(low, high, size)");
    int64_t l, h;
    int nd, dt;
    int64_t sizes[TN_MAX_DIMS];
    if (!arg_is_int_seq(size)) /* no overload matches: PyTorch names the size argument's type */
        return tn_raise(st, tn_TypeError,
                        "randint(): argument 'size' (position %d) must be tuple of ints, not %s",
                        IS_UNDEF(a[2]) ? 2 : 3, tn_type_name(size));
    if (arg_int(st, lo, &l, "low") < 0 || arg_int(st, hi, &h, "high") < 0 ||
        arg_int_list(st, size, &nd, sizes, TN_MAX_DIMS) < 0 || arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    return api_finish_new(st, randint_tensor(st, nd, sizes, l, h, dt), a[5]);
}

NATIVE(api_randint_like)
{
    /* randint_like(input, high) or randint_like(input, low, high) */
    TnTensor *x = arg_tensor(st, a[0], "randint_like", "input");
    TnValue lo = a[1], hi = a[2];
    if (IS_UNDEF(hi)) {
        hi = lo;
        lo = tn_int(0);
    }
    int64_t l, h;
    int dt;
    if (!x || arg_int(st, lo, &l, "low") < 0 || arg_int(st, hi, &h, "high") < 0 ||
        arg_dtype(st, a[3], &dt) < 0)
        return tn_undef();
    return api_finish_new(st, randint_tensor(st, x->ndim, x->sizes, l, h, dt < 0 ? (int)x->dtype : dt),
                          a[5]);
}

NATIVE(api_randperm)
{
    int64_t n;
    int dt;
    if (arg_int(st, a[0], &n, "n") < 0 || arg_dtype(st, a[1], &dt) < 0)
        return tn_undef();
    TnTensor *t = tensor_empty(st, DT_INT64, 1, &n); /* raises for n < 0 as PyTorch does */
    if (!t)
        return tn_undef();
    rng_randperm_i64(rng_default(), (int64_t *)tensor_ptr(t), n);
    if (convert(st, &t, dt) < 0)
        return tn_undef();
    return api_finish_new(st, t, a[3]);
}

/* ------------------------------------------------------------------ seeds */
NATIVE(api_manual_seed)
{
    int64_t s;
    TnValue v = a[0];
    if (IS_FLOAT(v) && isfinite(v.u.f) && fabs(v.u.f) < 9.2e18)
        v = tn_int((int64_t)v.u.f); /* torch.manual_seed takes int(seed) */
    if (arg_int(st, v, &s, "seed") < 0)
        return tn_undef();
    rng_manual_seed(rng_default(), (uint64_t)s);
    return tn_none();
}
NATIVE(api_initial_seed)
{
    return tn_int((int64_t)rng_initial_seed(rng_default()));
}

/* ================================================================ tables */
#define LIKE_KW "*, dtype=None, device=None, requires_grad=False"
static const TnMethodDef random_functions[] = {
    {"rand", api_rand, "rand(*size, dtype=None, device=None, requires_grad=False, generator=None)", NULL, NULL},
    {"randn", api_randn, "randn(*size, dtype=None, device=None, requires_grad=False, generator=None)", NULL, NULL},
    {"rand_like", api_rand_like, "rand_like(input, " LIKE_KW ")", NULL, NULL},
    {"randn_like", api_randn_like, "randn_like(input, " LIKE_KW ")", NULL, NULL},
    {"randint", api_randint, "randint(low=?, high=?, size=?, *, dtype=None, device=None, requires_grad=False)", NULL, NULL},
    {"randint_like", api_randint_like, "randint_like(input, low, high=?, " LIKE_KW ")", NULL, NULL},
    {"randperm", api_randperm, "randperm(n, " LIKE_KW ")", NULL, NULL},
    {"normal", api_normal, "normal(mean, std=1.0, size=?, *, generator=None, dtype=None, device=None, requires_grad=False)", NULL, NULL},
    {"poisson", api_poisson, "poisson(input, generator=None)", NULL, NULL},
    {"multinomial", api_multinomial, "multinomial(input, num_samples, replacement=False, *, generator=None)", NULL, NULL},
    {"bernoulli", api_bernoulli, "bernoulli(input, p=?, *, generator=None)", NULL, NULL},
    {"manual_seed", api_manual_seed, "manual_seed(seed)", NULL, NULL},
    {"initial_seed", api_initial_seed, "initial_seed()", NULL, NULL},
    {NULL},
};

static const TnMethodDef random_methods[] = {
    {"normal_", api_normal_, "normal_(self, mean=0.0, std=1.0, *, generator=None)", NULL, NULL},
    {"uniform_", api_uniform_, "uniform_(self, a=0.0, b=1.0, *, generator=None)", NULL, NULL},
    {"bernoulli_", api_bernoulli_, "bernoulli_(self, p=0.5, *, generator=None)", NULL, NULL},
    {"bernoulli", api_bernoulli, "bernoulli(self, p=?, *, generator=None)", NULL, NULL},
    {"multinomial", api_multinomial, "multinomial(self, num_samples, replacement=False, *, generator=None)", NULL, NULL},
    {NULL},
};

int random_api_init(TnState *st, TnValue torch_ns)
{
    if (ns_add_methods(st, torch_ns, random_functions) < 0)
        return -1;
    return tensor_api_add_methods(st, random_methods);
}
