/* autograd_api.c: wiring autograd into the bound API — wrapped natives and slots, the
 * Tensor autograd attributes and methods, grad-mode context managers, torch.autograd.
 *
 * autograd_init runs once tensor_api_init has filled the torch namespace and the
 * Tensor type. For each TnGradRow of the grad_*.c tables it replaces the native
 * found under that name by a copy whose C function is a trampoline: a small
 * static function (one per wrapped entry point, from a fixed pool) that finds its
 * context by its own index, calls the original function with the same bound
 * slots, and records a node when grad mode is on and an input requires grad. The
 * parameters a row needs are resolved to slot numbers here, once, by name, so a
 * call never looks a name up.
 */
#include "autograd.h"
#include "api_args.h"
#include "grad.h"
#include "sig.h"
#include "types.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 8 /* parameters a row may ask for */

typedef struct Wrap {
    TnMethodDef def; /* the copy installed, fn = trampoline */
    TnNativeFn orig;
    const TnGradRow *row;
    int slot[MAXP];
    int nparams;
    bool inplace;
    int8_t resolved; /* slot[] against the signature: 0 not yet, 1 done, -1 failed */
} Wrap;

/* The pool of trampolines: tramp_A_B_C serves wraps[A*64 + B*8 + C]. */
#define NWRAPS 768
static Wrap wraps[NWRAPS];
static int nwraps;

static TnValue dispatch(TnState *st, Wrap *w, TnValue *a);

#define T1(A, B, C)                                                                            \
    static TnValue tramp_##A##_##B##_##C(TnState *st, TnValue *a)                              \
    {                                                                                          \
        return dispatch(st, &wraps[A * 64 + B * 8 + C], a);                                    \
    }
#define T8(A, B) T1(A, B, 0) T1(A, B, 1) T1(A, B, 2) T1(A, B, 3) T1(A, B, 4) T1(A, B, 5) T1(A, B, 6) T1(A, B, 7)
#define T64(A) T8(A, 0) T8(A, 1) T8(A, 2) T8(A, 3) T8(A, 4) T8(A, 5) T8(A, 6) T8(A, 7)
T64(0) T64(1) T64(2) T64(3) T64(4) T64(5) T64(6) T64(7) T64(8) T64(9) T64(10) T64(11)
#undef T1
#define T1(A, B, C) tramp_##A##_##B##_##C,
static const TnNativeFn tramps[NWRAPS] = {T64(0) T64(1) T64(2) T64(3) T64(4) T64(5)
                                              T64(6) T64(7) T64(8) T64(9) T64(10) T64(11)};
#undef T1
#undef T8
#undef T64

/* ---------------------------------------------------------------- recording */

static bool same_tensor(TnValue v, TnTensor *t)
{
    return IS_TENSOR(v) && AS_TENSOR(v) == t;
}

static bool is_ret_tuple(TnValue v)
{
#define X(n) || AS_OBJ(v)->type == &tn_ret_##n##_type
    return IS_OBJ(v) && (false TN_RETURN_TYPES(X));
#undef X
}

/* The tensors of a result: the tensor itself, the items of a tuple/list, or
 * (values, indices) of a torch.return_types tuple. */
bool grad_result_items(TnValue *r, TnValue **items, int64_t *n)
{
    if (IS_TENSOR(*r)) {
        *items = r;
        *n = 1;
        return true;
    }
    if (is_ret_tuple(*r)) {
        *items = &((TnRetTuple *)AS_OBJ(*r))->values; /* values and indices are adjacent */
        *n = 2;
        return true;
    }
    return tn_seq_items(*r, items, n);
}
#define result_items grad_result_items

/* Ops return fresh tensors; one that came back with requires_grad set but no
 * history (clone, casts) must not look like a leaf that requires grad. */
static void clear_fresh(const TnValue *a, int na, TnValue r)
{
    TnValue *items;
    int64_t n;
    if (!result_items(&r, &items, &n))
        return;
    for (int64_t k = 0; k < n; k++) {
        if (!IS_TENSOR(items[k]))
            continue;
        TnTensor *o = AS_TENSOR(items[k]);
        if (o->grad_fn || !o->requires_grad)
            continue;
        bool input = false;
        for (int i = 0; i < na && !input; i++)
            input = same_tensor(a[i], o);
        if (!input)
            o->requires_grad = false;
    }
}

static TnTensor *root_base(TnTensor *t)
{
    while (IS_TENSOR(t->base))
        t = AS_TENSOR(t->base);
    return t;
}

/* A view made from tensors that need no grad still remembers its base: an in-place
 * op through it with an input that needs grad must rewrite the base's history. */
static void note_view(TnValue r, TnValue in)
{
    if (!IS_TENSOR(r) || !IS_TENSOR(in))
        return;
    TnTensor *o = AS_TENSOR(r), *x = AS_TENSOR(in);
    if (o == x || o->storage != x->storage || !IS_UNDEF(o->base))
        return;
    x = root_base(x);
    tn_obj_incref(x);
    o->base = tn_obj(x);
}

static int record(TnState *st, const TnGradRow *row, const TnValue *a, TnValue r, bool inplace)
{
    TnValue *in = (TnValue *)a, *items;
    int64_t nin = row->ninputs, nout;
    if (row->flags & GR_LIST) {
        if (!tn_seq_items(a[0], &in, &nin))
            return 0;
        if (nin == 1 && !IS_TENSOR(in[0]) && !tn_seq_items(in[0], &in, &nin))
            return 0; /* einsum(eq, [a, b]) */
    }
    bool any = false;
    for (int64_t i = 0; i < nin && !any; i++)
        any = autograd_requires(in[i]);
    if (!any) {
        if (!inplace)
            clear_fresh(in, (int)nin, r);
        if (row->flags & GR_VIEW)
            note_view(r, in[0]);
        return 0;
    }
    if (!result_items(&r, &items, &nout) || nout == 0)
        return 0;
    bool anyf = false;
    for (int64_t k = 0; k < nout; k++) {
        if (!IS_TENSOR(items[k]))
            continue;
        TnTensor *o = AS_TENSOR(items[k]);
        anyf |= DT_IS_FLOAT(o->dtype);
        for (int64_t i = 0; i < nin && !inplace; i++)
            if (same_tensor(in[i], o))
                return 0; /* the op returned its input (x.float() of a float) */
    }
    if (!anyf)
        return 0;
    int narg = row->narg < 0 ? (int)nin - row->narg : row->narg; /* < 0: per input, + k */
    int nsaved = row->nsaved < 0 ? (int)nin : row->nsaved;
    TnGradFn *n = autograd_node_new(st, row->kind, (int)nin, (int)nout, nsaved, narg);
    if (!n)
        return -1;
    for (int64_t i = 0; i < nin; i++)
        if (IS_TENSOR(in[i]))
            autograd_node_set_input(n, (int)i, AS_TENSOR(in[i]));
    int rc = 0;
    for (int64_t k = 0; k < nout && rc == 0; k++) {
        if (!IS_TENSOR(items[k]) || !DT_IS_FLOAT(AS_TENSOR(items[k])->dtype))
            continue;
        TnTensor *o = AS_TENSOR(items[k]);
        rc = autograd_set_output(st, n, (int)k, o);
        if ((row->flags & GR_VIEW) && IS_UNDEF(o->base) && IS_TENSOR(in[0])) {
            TnTensor *b = root_base(AS_TENSOR(in[0]));
            tn_obj_incref(b);
            o->base = tn_obj(b);
        }
    }
    if (rc == 0 && row->record)
        rc = row->record(st, n, a, r);
    tn_obj_decref(n);
    return rc;
}

int autograd_record(TnState *st, const TnGradRow *row, const TnValue *a, TnValue r)
{
    return record(st, row, a, r, false);
}

/* Records an in-place op on self, whose storage was at `version` before the write. */
static int record_inplace(TnState *st, const TnGradRow *row, const TnValue *a, TnValue r,
                          TnTensor *self, int64_t version)
{
    if (record(st, row, a, r, true) < 0)
        return -1;
    if (self->grad_fn)
        autograd_saved_before(self->grad_fn, self, version);
    return 0;
}

/* A copy of self's values carrying self's history, for formulas of in-place ops
 * that need the old value. */
static TnTensor *old_self(TnState *st, TnTensor *self)
{
    TnTensor *old = tensor_clone(st, self);
    if (!old)
        return NULL;
    old->requires_grad = self->requires_grad;
    old->grad_fn = self->grad_fn;
    old->output_nr = self->output_nr;
    if (old->grad_fn)
        tn_obj_incref(old->grad_fn);
    return old;
}

/* An in-place op through a view of a tensor rewrites the base's history
 * (grad_record_view_inplace), which needs the region of the base the view covers:
 * tn does this for bases whose elements tile one block (contiguous or permuted). */
static int check_view_inplace(TnState *st, TnTensor *self)
{
    if (!IS_TENSOR(self->base))
        return 0;
    TnTensor *b = root_base(self);
    if (b != self && b->requires_grad && !tensor_is_dense(b))
        return tn_raise_int(st, tn_NotImplementedError,
                            "in-place operation on a view of a tensor with gaps or overlaps "
                            "that requires grad");
    return 0;
}

/* After an in-place op on self was recorded: a view's base gets the new history. */
static int view_inplace_done(TnState *st, TnTensor *self)
{
    if (!IS_TENSOR(self->base) || !self->requires_grad)
        return 0;
    TnTensor *b = root_base(self);
    if (b == self || !tensor_is_dense(b))
        return 0;
    return grad_record_view_inplace(st, self, b);
}

static TnValue dispatch_inplace(TnState *st, const Wrap *w, TnValue *a, const TnValue *v)
{
    const TnGradRow *row = w->row;
    bool any = false;
    for (int i = 0; i < row->ninputs && !any; i++)
        any = autograd_requires(v[i]);
    if (!any || !IS_TENSOR(v[0]))
        return w->orig(st, a);
    TnTensor *self = AS_TENSOR(v[0]);
    if (autograd_check_inplace(st, self) < 0 || check_view_inplace(st, self) < 0)
        return tn_undef();
    TnTensor *old = NULL;
    TnValue args[MAXP];
    memcpy(args, v, sizeof args);
    if (row->flags & GR_CLONE_SELF) {
        if (!(old = old_self(st, self)))
            return tn_undef();
        args[0] = tn_obj(old);
    }
    int64_t version = self->storage->version;
    TnValue r = w->orig(st, a);
    if (!IS_UNDEF(r) && (record_inplace(st, row, args, r, self, version) < 0 ||
                         view_inplace_done(st, self) < 0)) {
        tn_decref(r);
        r = tn_undef();
    }
    tn_obj_decref(old);
    return r;
}

static bool resolve_wrap(Wrap *w);

/* Does some tensor the row reads require grad? Tensor lists (GR_LIST) are not looked into:
 * such rows take the general path. */
static bool slots_require(const Wrap *w, const TnValue *a)
{
    if (w->row->flags & GR_LIST)
        return true;
    for (int i = 0; i < w->row->ninputs && i < w->nparams; i++)
        if (w->slot[i] >= 0 && autograd_requires(a[w->slot[i]]))
            return true;
    return false;
}

/* The result of an op none of whose inputs requires grad: nothing to record, and a fresh
 * tensor that came back with requires_grad set (clone, casts) is cleared. */
static TnValue untracked(TnState *st, const Wrap *w, TnValue *a)
{
    TnValue r = w->orig(st, a);
    if (w->inplace || IS_UNDEF(r) || (IS_TENSOR(r) && !AS_TENSOR(r)->requires_grad))
        return r;
    if (!autograd_enabled_flag) {
        clear_fresh(a, 1, r);
        return r;
    }
    TnValue v[MAXP]; /* an input the op returned keeps its flag */
    int nin = 0;
    for (; nin < w->row->ninputs && nin < w->nparams; nin++)
        v[nin] = w->slot[nin] >= 0 ? a[w->slot[nin]] : tn_undef();
    clear_fresh(v, nin, r);
    return r;
}

static TnValue dispatch(TnState *st, Wrap *w, TnValue *a)
{
    if (TN_UNLIKELY(w->resolved <= 0) && !resolve_wrap(w))
        return w->orig(st, a); /* the row names a missing parameter: not recorded */
    /* the common case, no grad needed, decided before anything is built */
    if (!autograd_enabled_flag || !slots_require(w, a))
        return untracked(st, w, a);
    TnValue v[MAXP];
    for (int i = 0; i < w->nparams; i++)
        v[i] = w->slot[i] >= 0 ? a[w->slot[i]] : tn_undef();
    if (w->inplace)
        return dispatch_inplace(st, w, a, v);
    TnValue r = w->orig(st, a);
    if (IS_UNDEF(r))
        return r;
    if (record(st, w->row, v, r, false) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

/* ---------------------------------------------------------------- wrapping */

static bool debug_init(void)
{
    static int on = -1;
    if (on < 0)
        on = getenv("TN_AUTOGRAD_DEBUG") != NULL;
    return on;
}

/* Resolves the row's parameter list against a signature; false if one is missing. */
static bool resolve_params(Wrap *w, const TnSig *sig)
{
    const char *p = w->row->params ? w->row->params : "";
    w->nparams = 0;
    while (p && w->nparams < MAXP) { /* "" is one item: the first parameter */
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len >= sizeof item)
            return false;
        memcpy(item, p, len);
        item[len] = 0;
        bool optional = len && item[len - 1] == '?';
        if (optional)
            item[--len] = 0;
        int slot = -1;
        if (!len) {
            slot = 0;
        } else {
            for (char *alt = strtok(item, "|"); alt && slot < 0; alt = strtok(NULL, "|"))
                for (int s = 0; s < sig->nparams; s++)
                    if (!strcmp(sig->names[s]->data, alt))
                        slot = s;
        }
        if (slot < 0 && !optional)
            return false;
        w->slot[w->nparams++] = slot;
        p = end ? end + 1 : NULL;
    }
    return true;
}

/* Resolves w's parameters on its first call: the signature is parsed by then
 * (the call bound it), and resolving all wraps at start-up would parse them all. */
static bool resolve_wrap(Wrap *w)
{
    if (w->resolved == 0) {
        TnSig *sig = sig_for_def(&w->def, NULL);
        w->resolved = sig && resolve_params(w, sig) ? 1 : -1;
    }
    return w->resolved > 0;
}

/* Replaces dict[name] (a native) by a recording copy. */
static int wrap_one(TnState *st, TnDict *d, TnValue owner, const char *name, const TnGradRow *row,
                    bool inplace, const char *qual)
{
    TnValue f = dict_get_str(d, str_intern(name));
    if (!IS_NATIVE(f) || !((TnNative *)AS_OBJ(f))->def->sig) {
        if (debug_init())
            fprintf(stderr, "autograd: no native %s%s\n", qual, name);
        return 0;
    }
    TnNative *nat = (TnNative *)AS_OBJ(f);
    uintptr_t at = (uintptr_t)nat->def;
    if (at >= (uintptr_t)wraps && at < (uintptr_t)(wraps + NWRAPS))
        return 0; /* already wrapped (an alias listed twice) */
    if (nwraps == NWRAPS) {
        fprintf(stderr, "autograd: too many wrapped functions (%s%s)\n", qual, name);
        return 0;
    }
    Wrap *w = &wraps[nwraps];
    w->row = row;
    w->inplace = inplace;
    w->resolved = 0;
    /* Resolved on first call (resolve_wrap); the debug mode checks every row now. */
    TnSig *sig;
    if (debug_init() && (!(sig = tn_native_sig(st, nat)) || !resolve_params(w, sig))) {
        fprintf(stderr, "autograd: %s%s: parameters '%s' not in '%s'\n", qual, name,
                row->params, nat->def->sig);
        return 0;
    }
    w->def = *nat->def;
    w->orig = nat->def->fn;
    w->def.fn = tramps[nwraps];
    nwraps++;
    TnValue nf = native_new(st, &w->def, owner);
    if (IS_UNDEF(nf))
        return -1;
    int rc = dict_set_str(st, d, str_intern(name), nf);
    tn_decref(nf);
    return rc;
}

static TnValue sub_ns(TnValue ns, const char *name)
{
    TnValue v = dict_get_str(ns_dict(ns), str_intern(name));
    return IS_TYPEOF(v, &tn_namespace_type) ? v : tn_undef();
}

static int wrap_rows(TnState *st, TnValue torch, const TnGradRow *rows)
{
    TnValue linalg = sub_ns(torch, "linalg"), nn = sub_ns(torch, "nn"), sparse = sub_ns(torch, "sparse");
    TnValue F = IS_UNDEF(nn) ? nn : sub_ns(nn, "functional");
    for (const TnGradRow *r = rows; r->name; r++) {
        char names[128];
        snprintf(names, sizeof names, "%s", r->name);
        char *save = NULL;
        for (char *nm = strtok_r(names, "|", &save); nm; nm = strtok_r(NULL, "|", &save)) {
            char inpl[80];
            snprintf(inpl, sizeof inpl, "%s_", nm);
            TnValue tt = tn_obj(&tn_tensor_type);
            if (((r->where & GW_TORCH) &&
                 wrap_one(st, ns_dict(torch), torch, nm, r, false, "torch.") < 0) ||
                ((r->where & GW_METHOD) &&
                 wrap_one(st, tn_tensor_type.dict, tt, nm, r, false, "Tensor.") < 0) ||
                ((r->where & GW_INPLACE) &&
                 wrap_one(st, tn_tensor_type.dict, tt, inpl, r, true, "Tensor.") < 0) ||
                ((r->where & GW_LINALG) && !IS_UNDEF(linalg) &&
                 wrap_one(st, ns_dict(linalg), linalg, nm, r, false, "torch.linalg.") < 0) ||
                ((r->where & GW_SPARSE) && !IS_UNDEF(sparse) &&
                 wrap_one(st, ns_dict(sparse), sparse, nm, r, false, "torch.sparse.") < 0) ||
                ((r->where & GW_F) && !IS_UNDEF(F) &&
                 wrap_one(st, ns_dict(F), F, nm, r, false, "F.") < 0))
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------- slots */

static TnValue (*orig_binop)(TnState *st, int op, TnValue a, TnValue b, bool inplace);
static TnValue (*orig_unop)(TnState *st, int op, TnValue a);
static TnValue (*orig_getitem)(TnState *st, TnValue self, TnValue key);
static int (*orig_setitem)(TnState *st, TnValue self, TnValue key, TnValue v);

static TnValue ag_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    if (!autograd_enabled_flag || (!autograd_requires(a) && !autograd_requires(b)))
        return orig_binop(st, op, a, b, inplace);
    const TnGradRow *row = grad_binop_row(op, a, b);
    if (!row)
        return orig_binop(st, op, a, b, inplace);
    TnValue v[MAXP] = {a, b, tn_int(1)};
    TnTensor *old = NULL;
    bool inpl = inplace && IS_TENSOR(a) && op != OP_MATMUL;
    if (inpl) {
        TnTensor *self = AS_TENSOR(a);
        if (autograd_check_inplace(st, self) < 0 || check_view_inplace(st, self) < 0)
            return tn_undef();
        if (row->flags & GR_CLONE_SELF) {
            if (!(old = old_self(st, self)))
                return tn_undef();
            v[0] = tn_obj(old);
        }
    }
    int64_t version = IS_TENSOR(a) ? AS_TENSOR(a)->storage->version : 0;
    TnValue r = orig_binop(st, op, a, b, inplace);
    if (!IS_UNDEF(r) && !tn_is_notimpl(r) &&
        (inpl ? record_inplace(st, row, v, r, AS_TENSOR(a), version) < 0 ||
                    view_inplace_done(st, AS_TENSOR(a)) < 0
              : record(st, row, v, r, false) < 0)) {
        tn_decref(r);
        r = tn_undef();
    }
    tn_obj_decref(old);
    return r;
}

static TnValue ag_unop(TnState *st, int op, TnValue a)
{
    TnValue r = orig_unop(st, op, a);
    const TnGradRow *row;
    if (IS_UNDEF(r) || !autograd_enabled_flag || !autograd_requires(a) || !(row = grad_unop_row(op)))
        return r;
    if (record(st, row, &a, r, false) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

static TnValue ag_getitem(TnState *st, TnValue self, TnValue key)
{
    TnValue r = orig_getitem(st, self, key);
    if (IS_UNDEF(r) || !autograd_enabled_flag)
        return r;
    if (!AS_TENSOR(self)->requires_grad) {
        note_view(r, self);
        return r;
    }
    TnValue v[2] = {self, key};
    if (record(st, &grad_getitem_row, v, r, false) < 0) {
        tn_decref(r);
        return tn_undef();
    }
    return r;
}

static int ag_setitem(TnState *st, TnValue self, TnValue key, TnValue v)
{
    TnTensor *x = AS_TENSOR(self);
    if (IS_UNDEF(v) || !autograd_enabled_flag || (!x->requires_grad && !autograd_requires(v)))
        return orig_setitem(st, self, key, v);
    if (x->requires_grad && !x->grad_fn)
        return tn_raise_int(st, tn_RuntimeError,
                            "a view of a leaf Variable that requires grad is being used in an "
                            "in-place operation.");
    if (autograd_check_inplace(st, x) < 0 || check_view_inplace(st, x) < 0)
        return -1;
    if (orig_setitem(st, self, key, v) < 0 || grad_record_setitem(st, x, key, v, NULL) < 0)
        return -1;
    return view_inplace_done(st, x);
}

/* ------------------------------------------------------ Tensor attributes */

static TnValue t_get_grad(TnState *st, TnValue self)
{
    TnTensor *g = AS_TENSOR(self)->grad;
    return g ? (tn_obj_incref(g), tn_obj(g)) : tn_none();
}

static int t_set_grad(TnState *st, TnValue self, TnValue v)
{
    TnTensor *t = AS_TENSOR(self), *g = NULL;
    if (!IS_UNDEF(v) && !IS_NONE(v)) {
        if (!IS_TENSOR(v)) /* PyTorch's message has no space before the type name */
            return tn_raise_int(st, tn_TypeError,
                                "assigned grad expected to be a Tensor or None but got grad of "
                                "type%s",
                                tn_type_name(v));
        g = AS_TENSOR(v);
        if (g->dtype != t->dtype)
            return tn_raise_int(st, tn_RuntimeError,
                                "assigned grad has data of a different type");
        if (g->ndim != t->ndim || memcmp(g->sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim))
            return tn_raise_int(st, tn_RuntimeError,
                                "assigned grad has data of a different size");
        tn_obj_incref(g);
    }
    tn_obj_decref(t->grad);
    t->grad = g;
    return 0;
}

/* The attribute setter and requires_grad_() word the integer-dtype error differently in PyTorch. */
static int set_rg(TnState *st, TnTensor *t, bool b, bool from_method)
{
    if (t->grad_fn) {
        if (b)
            return tn_raise_int(st, tn_RuntimeError,
                                "you can only change requires_grad flags of leaf variables.");
        return tn_raise_int(st, tn_RuntimeError,
                            "you can only change requires_grad flags of leaf variables. If you "
                            "want to use a computed variable in a subgraph that doesn't require "
                            "differentiation use var_no_grad = var.detach().");
    }
    if (b && !DT_IS_FLOAT(t->dtype))
        return tn_raise_int(st, tn_RuntimeError,
                            from_method
                                ? "only Tensors of floating point dtype can require gradients"
                                : "only Tensors of floating point and complex dtype can require "
                                  "gradients");
    t->requires_grad = b;
    return 0;
}

static int t_set_requires_grad(TnState *st, TnValue self, TnValue v)
{
    int b = tn_truthy(st, v);
    return b < 0 ? -1 : set_rg(st, AS_TENSOR(self), b, false);
}

static TnValue t_get_requires_grad(TnState *st, TnValue self)
{
    return tn_bool(AS_TENSOR(self)->requires_grad);
}

static TnValue t_get_retains_grad(TnState *st, TnValue self)
{
    return tn_bool(AS_TENSOR(self)->retains_grad);
}

static TnValue t_get_version(TnState *st, TnValue self)
{
    return tn_int(AS_TENSOR(self)->storage->version);
}

/* x.T and x.mT are properties: recorded here, as the natives are by dispatch. */
static TnValue recorded_view(TnState *st, TnValue self, TnTensor *r, const TnGradRow *row)
{
    if (!r)
        return tn_undef();
    TnValue v = tn_obj(r);
    if (autograd_enabled_flag && AS_TENSOR(self)->requires_grad &&
        record(st, row, &self, v, false) < 0) {
        tn_decref(v);
        return tn_undef();
    }
    return v;
}

static TnValue t_get_T(TnState *st, TnValue self)
{
    return recorded_view(st, self, op_reverse_dims(st, AS_TENSOR(self)), &grad_T_row);
}

static TnValue t_get_mT(TnState *st, TnValue self)
{
    TnTensor *t = AS_TENSOR(self);
    if (t->ndim < 2)
        return tn_raise(st, tn_RuntimeError,
                        "tensor.mT is only supported on matrices or batches of matrices. Got "
                        "%d-D tensor.",
                        t->ndim);
    return recorded_view(st, self, op_transpose(st, t, -2, -1), &grad_mT_row);
}

static TnValue grad_fn_value(TnState *st, TnTensor *t)
{
    tn_obj_incref(t->grad_fn);
    return tn_obj(t->grad_fn);
}

static TnValue Tensor_requires_grad_(TnState *st, TnValue *a)
{
    int b = tn_truthy(st, a[1]);
    /* requires_grad_(True) on a computed tensor is a no-op in PyTorch (only the
     * attribute assignment refuses it) */
    bool noop = b == 1 && AS_TENSOR(a[0])->grad_fn;
    if (b < 0 || (!noop && set_rg(st, AS_TENSOR(a[0]), b, true) < 0))
        return tn_undef();
    return tn_ref(a[0]);
}

static TnValue Tensor_retain_grad(TnState *st, TnValue *a)
{
    return autograd_retain_grad(st, AS_TENSOR(a[0])) < 0 ? tn_undef() : tn_none();
}

static TnValue Tensor_register_hook(TnState *st, TnValue *a)
{
    return autograd_register_hook(st, AS_TENSOR(a[0]), a[1]);
}

static TnValue Tensor_detach_(TnState *st, TnValue *a)
{
    TnTensor *t = AS_TENSOR(a[0]);
    if (IS_TENSOR(t->base) && t->grad_fn)
        return tn_raise(st, tn_RuntimeError,
                        "Can't detach views in-place. Use detach() instead. If you are using "
                        "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view "
                        "is set as True, gradients are views of DDP buckets, and hence detach_() "
                        "cannot be called on these gradients. To fix this error, please refer to "
                        "the Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                        "solution.");
    autograd_detach_(t);
    return tn_ref(a[0]);
}

static int opt_bool(TnState *st, TnValue v, bool dflt, bool *out)
{
    if (IS_UNDEF(v) || IS_NONE(v)) {
        *out = dflt;
        return 0;
    }
    int b = tn_truthy(st, v);
    if (b < 0)
        return -1;
    *out = b;
    return 0;
}

static int backward_into(TnState *st, int n, TnTensor **outs, TnTensor **gs, TnValue inputs,
                         bool retain, bool create_graph);

static TnValue Tensor_backward(TnState *st, TnValue *a)
{
    TnTensor *t = AS_TENSOR(a[0]), *g = NULL;
    bool cg, retain;
    if (opt_bool(st, a[3], false, &cg) < 0 || opt_bool(st, a[2], cg, &retain) < 0)
        return tn_undef();
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
        if (!IS_TENSOR(a[1]))
            return tn_raise(st, tn_TypeError,
                            "gradient must be a Tensor or None, not %s", tn_type_name(a[1]));
        g = AS_TENSOR(a[1]);
    }
    return backward_into(st, 1, &t, &g, a[4], retain, cg) < 0 ? tn_undef() : tn_none();
}

static const TnMethodDef tensor_methods[] = {
    {"backward", Tensor_backward,
     "backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None)", NULL,
     "Computes the gradient of this tensor w.r.t. the graph leaves."},
    {"requires_grad_", Tensor_requires_grad_, "requires_grad_(self, requires_grad=True)", NULL,
     NULL},
    {"retain_grad", Tensor_retain_grad, "retain_grad(self)", NULL, NULL},
    {"register_hook", Tensor_register_hook, "register_hook(self, hook)", NULL, NULL},
    {"detach_", Tensor_detach_, "detach_(self)", NULL, NULL},
    {NULL},
};

static const TnGetSetDef tensor_getset[] = {
    {"grad", t_get_grad, t_set_grad, NULL},
    {"requires_grad", t_get_requires_grad, t_set_requires_grad, NULL},
    {"retains_grad", t_get_retains_grad, NULL, NULL},
    {"_version", t_get_version, NULL, NULL},
    {"T", t_get_T, NULL, NULL},
    {"mT", t_get_mT, NULL, NULL},
    {NULL},
};

/* -------------------------------------------------------------- grad modes */

/* no_grad(), enable_grad(), set_grad_enabled(b): context managers that also work
 * as decorators (no_grad()(f) runs f with grad mode off). */
typedef struct GradMode {
    TN_OBJECT_HEAD;
    bool mode;
    bool prev[32]; /* saved modes of nested `with` on the same object */
    int depth;
} GradMode;

typedef struct GradModeFn {
    TN_OBJECT_HEAD;
    TnValue fn;
    bool mode;
} GradModeFn;

static TnType no_grad_type, enable_grad_type, set_grad_enabled_type, grad_mode_fn_type;

static TnValue grad_mode_new(TnState *st, TnType *type, bool mode)
{
    GradMode *g = tn_alloc_object(st, type, sizeof(GradMode));
    if (!g)
        return tn_undef();
    g->mode = mode;
    return tn_obj(g);
}

static TnSig *no_grad_sig, *set_grad_sig;

static TnValue no_grad_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    TnValue slots[1];
    if (sig_bind_cached(st, &no_grad_sig, "no_grad()", tn_undef(), args, nargs, kwnames, nkw,
                        slots) < 0)
        return tn_undef();
    return grad_mode_new(st, type, type == &enable_grad_type);
}

static TnValue set_grad_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                  TnStr *const *kwnames, int nkw)
{
    TnValue slots[1];
    if (sig_bind_cached(st, &set_grad_sig, "set_grad_enabled(mode)", tn_undef(), args, nargs,
                        kwnames, nkw, slots) < 0)
        return tn_undef();
    int b = tn_truthy(st, slots[0]);
    if (b < 0)
        return tn_undef();
    TnValue g = grad_mode_new(st, type, b);
    if (IS_UNDEF(g))
        return g;
    /* Takes effect at once (it is also a plain function); __exit__ restores. */
    GradMode *m = (GradMode *)AS_OBJ(g);
    m->prev[0] = autograd_enabled_flag;
    m->depth = -1;
    autograd_set_enabled(b);
    return g;
}

static TnValue GradMode___enter__(TnState *st, TnValue *a)
{
    GradMode *m = (GradMode *)AS_OBJ(a[0]);
    if (m->depth < 0)
        return tn_none(); /* set_grad_enabled: already applied */
    if (m->depth < 32)
        m->prev[m->depth] = autograd_enabled_flag;
    m->depth++;
    autograd_set_enabled(m->mode);
    return tn_none();
}

static TnValue GradMode___exit__(TnState *st, TnValue *a)
{
    GradMode *m = (GradMode *)AS_OBJ(a[0]);
    if (m->depth < 0) {
        autograd_set_enabled(m->prev[0]);
        m->depth = 0;
        m->prev[0] = m->mode;
        return tn_bool(false);
    }
    if (m->depth > 0 && --m->depth < 32)
        autograd_set_enabled(m->prev[m->depth]);
    return tn_bool(false);
}

static TnValue GradMode___call__(TnState *st, TnValue *a)
{
    GradModeFn *f = tn_alloc_object(st, &grad_mode_fn_type, sizeof(GradModeFn));
    if (!f)
        return tn_undef();
    f->fn = tn_ref(a[1]);
    f->mode = ((GradMode *)AS_OBJ(a[0]))->mode;
    return tn_obj(f);
}

static TnValue grad_mode_repr(TnState *st, TnValue self)
{
    return tn_str_fmt(st, "<torch.autograd.grad_mode.%s object at %p>", AS_OBJ(self)->type->name,
                      (void *)AS_OBJ(self));
}

static void grad_mode_fn_dealloc(TnObject *o)
{
    tn_decref(((GradModeFn *)o)->fn);
    tn_free(o);
}

static TnValue grad_mode_fn_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    GradModeFn *f = (GradModeFn *)AS_OBJ(self);
    bool prev = autograd_enabled_flag;
    autograd_set_enabled(f->mode);
    TnValue r = tn_call(st, f->fn, args, nargs, kwnames, nkw);
    autograd_set_enabled(prev);
    return r;
}

static TnValue grad_mode_fn_getattr(TnState *st, TnValue self, TnStr *name)
{
    return tn_getattr(st, ((GradModeFn *)AS_OBJ(self))->fn, name);
}

/* A decorated method binds like the function it wraps (@torch.no_grad() on def f(self)):
 * the result wraps the bound method in the same grad mode. */
static TnValue grad_mode_fn_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    GradModeFn *f = (GradModeFn *)AS_OBJ(descr);
    TnType *ft = tn_type_of(f->fn);
    if (IS_UNDEF(obj) || IS_NONE(obj) || !ft->descr_get)
        return tn_ref(descr);
    TnValue bound = ft->descr_get(st, f->fn, obj, type);
    if (IS_UNDEF(bound))
        return bound;
    GradModeFn *g = tn_alloc_object(st, &grad_mode_fn_type, sizeof(GradModeFn));
    if (!g) {
        tn_decref(bound);
        return tn_undef();
    }
    g->fn = bound;
    g->mode = f->mode;
    return tn_obj(g);
}

static const TnMethodDef grad_mode_methods[] = {
    {"__enter__", GradMode___enter__, "__enter__(self)", NULL, NULL},
    {"__exit__", GradMode___exit__, "__exit__(self, *args)", NULL, NULL},
    {"__call__", GradMode___call__, "__call__(self, func)", NULL, NULL},
    {NULL},
};

static TnValue grad_mode_call_slot(TnState *st, TnValue self, const TnValue *args, int nargs,
                                   TnStr *const *kwnames, int nkw)
{
    if (nargs != 1 || nkw)
        return tn_raise(st, tn_TypeError, "__call__() takes 1 positional argument");
    TnValue a[2] = {self, args[0]};
    return GradMode___call__(st, a);
}

static void grad_mode_dealloc(TnObject *o)
{
    tn_free(o);
}

#define GRAD_MODE_TYPE(var, nm, ctor)                                                          \
    static TnType var = {.name = nm,                                                           \
                         .module = "torch.autograd.grad_mode",                                 \
                         .dealloc = grad_mode_dealloc,                                         \
                         .repr = grad_mode_repr,                                               \
                         .call = grad_mode_call_slot,                                          \
                         .construct = ctor,                                                    \
                         .methods = grad_mode_methods};
GRAD_MODE_TYPE(no_grad_type, "no_grad", no_grad_construct)
GRAD_MODE_TYPE(enable_grad_type, "enable_grad", no_grad_construct)
GRAD_MODE_TYPE(set_grad_enabled_type, "set_grad_enabled", set_grad_construct)

static TnType grad_mode_fn_type = {
    .name = "function",
    .dealloc = grad_mode_fn_dealloc,
    .call = grad_mode_fn_call,
    .getattr = grad_mode_fn_getattr,
    .descr_get = grad_mode_fn_descr_get,
};

/* --------------------------------------------------------- torch functions */

static TnValue torch_is_grad_enabled(TnState *st, TnValue *a)
{
    return tn_bool(autograd_enabled_flag);
}

/* A tensor or a sequence of tensors (or None items when allow_none) as an array. */
static TnTensor **tensor_seq(TnState *st, TnValue v, int *n, const char *what, bool allow_none)
{
    TnValue *items = &v;
    int64_t cnt = 1;
    if (!IS_TENSOR(v) && !tn_seq_items(v, &items, &cnt))
        return tn_raise_ptr(st, tn_TypeError, "%s must be a Tensor or a sequence of Tensors, not %s",
                            what, tn_type_name(v));
    TnTensor **ts = tn_calloc((size_t)(cnt ? cnt : 1), sizeof(TnTensor *));
    if (!ts)
        return (void)tn_no_memory(st), NULL;
    for (int64_t i = 0; i < cnt; i++) {
        if (IS_TENSOR(items[i]))
            ts[i] = AS_TENSOR(items[i]);
        else if (!(allow_none && IS_NONE(items[i]))) {
            tn_free(ts);
            return tn_raise_ptr(st, tn_TypeError, "%s must contain Tensors, not %s", what,
                                tn_type_name(items[i]));
        }
    }
    *n = (int)cnt;
    return ts;
}

/* backward(inputs=...): only those tensors' .grad accumulate, PyTorch's way of
 * running autograd.grad and adding the results in. */
static int backward_into(TnState *st, int n, TnTensor **outs, TnTensor **gs, TnValue inputs,
                         bool retain, bool create_graph)
{
    if (IS_UNDEF(inputs) || IS_NONE(inputs))
        return autograd_backward(st, n, outs, gs, retain, create_graph);
    int ni;
    TnTensor **ins = tensor_seq(st, inputs, &ni, "inputs", false);
    if (!ins)
        return -1;
    TnTensor **res = ni ? tn_calloc((size_t)ni, sizeof *res) : NULL;
    int rc = ni ? 0
                : tn_raise_int(st, tn_RuntimeError,
                               "'inputs' argument to backward() cannot be empty.");
    if (rc == 0 && !res) {
        tn_no_memory(st);
        rc = -1;
    }
    if (rc == 0)
        rc = autograd_grad(st, n, outs, gs, ni, ins, retain, create_graph, true, res);
    for (int i = 0; res && i < ni; i++) {
        TnTensor *t = ins[i], *g = res[i];
        if (rc == 0 && g && !t->grad) {
            rc = (t->grad = tensor_clone(st, g)) ? 0 : -1;
        } else if (rc == 0 && g) {
            TnTensor *r = op_binary_(st, BOP_ADD, t->grad, (TnOperand){g, tn_undef()});
            rc = r ? 0 : -1;
            tn_obj_decref(r);
        }
        tn_obj_decref(g);
    }
    tn_free(res);
    tn_free(ins);
    return rc;
}

static TnValue autograd_backward_fn(TnState *st, TnValue *a)
{
    int n, ng = 0;
    bool cg, retain;
    if (opt_bool(st, a[3], false, &cg) < 0 || opt_bool(st, a[2], cg, &retain) < 0)
        return tn_undef();
    TnTensor **outs = tensor_seq(st, a[0], &n, "tensors", false), **gs = NULL;
    if (!outs)
        return tn_undef();
    if (!IS_UNDEF(a[1]) && !IS_NONE(a[1])) {
        gs = tensor_seq(st, a[1], &ng, "grad_tensors", true);
        if (ng > n) /* PyTorch zips outputs with gradients: extra gradients are dropped */
            ng = n;
        if (!gs || ng != n) {
            tn_free(outs);
            tn_free(gs);
            return gs ? tn_raise(st, tn_RuntimeError,
                                 "got %d tensors and %d gradients", n, ng)
                      : tn_undef();
        }
    }
    int rc = backward_into(st, n, outs, gs, a[4], retain, cg);
    tn_free(outs);
    tn_free(gs);
    return rc < 0 ? tn_undef() : tn_none();
}

static TnValue autograd_grad_fn(TnState *st, TnValue *a)
{
    int n, ni, ng = 0;
    bool cg, retain, unused;
    if (opt_bool(st, a[4], false, &cg) < 0 || opt_bool(st, a[3], cg, &retain) < 0 ||
        opt_bool(st, a[6], false, &unused) < 0)
        return tn_undef();
    TnTensor **outs = tensor_seq(st, a[0], &n, "outputs", false);
    TnTensor **ins = outs ? tensor_seq(st, a[1], &ni, "inputs", false) : NULL;
    TnTensor **gs = NULL, **res = NULL;
    TnValue r = tn_undef();
    if (!ins)
        goto done;
    if (!IS_UNDEF(a[2]) && !IS_NONE(a[2])) {
        if (!(gs = tensor_seq(st, a[2], &ng, "grad_outputs", true)))
            goto done;
        if (ng > n) /* PyTorch zips outputs with grad_outputs: extra ones are dropped */
            ng = n;
        if (ng != n) {
            tn_raise(st, tn_RuntimeError, "got %d tensors and %d gradients", n, ng);
            goto done;
        }
    }
    res = tn_calloc((size_t)(ni ? ni : 1), sizeof(TnTensor *));
    if (!res) {
        tn_no_memory(st);
        goto done;
    }
    if (autograd_grad(st, n, outs, gs, ni, ins, retain, cg, unused, res) < 0)
        goto done;
    r = tuple_new(st, ni);
    for (int i = 0; i < ni; i++) {
        if (IS_UNDEF(r))
            tn_obj_decref(res[i]);
        else
            tuple_set(r, i, res[i] ? tn_obj(res[i]) : tn_none());
    }
done:
    tn_free(outs);
    tn_free(ins);
    tn_free(gs);
    tn_free(res);
    return r;
}

static const TnMethodDef torch_functions[] = {
    {"is_grad_enabled", torch_is_grad_enabled, "is_grad_enabled()", NULL, NULL},
    {NULL},
};

static const TnMethodDef autograd_functions[] = {
    {"backward", autograd_backward_fn,
     "backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, "
     "inputs=None)",
     NULL, "Computes the sum of gradients of given tensors w.r.t. graph leaves."},
    {"grad", autograd_grad_fn,
     "grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, "
     "only_inputs=True, allow_unused=False)",
     NULL, "Computes and returns the sum of gradients of outputs w.r.t. the inputs."},
    {NULL},
};

/* ------------------------------------------------------------------- init */

/* Adds methods/getsets to the Tensor type's dict through type_ready, which owns
 * the descriptor types. */
static int add_to_tensor_type(TnState *st)
{
    const TnMethodDef *m = tn_tensor_type.methods;
    const TnGetSetDef *g = tn_tensor_type.getset;
    tn_tensor_type.methods = tensor_methods;
    tn_tensor_type.getset = tensor_getset;
    int rc = type_ready(st, &tn_tensor_type);
    tn_tensor_type.methods = m;
    tn_tensor_type.getset = g;
    return rc;
}

static int set_attr(TnState *st, TnValue ns, const char *name, TnValue v)
{
    return dict_set_str(st, ns_dict(ns), str_intern(name), v);
}

int autograd_init(TnState *st, TnValue torch_ns)
{
    static const TnGradRow *const tables[] = {grad_elementwise_rows, grad_reduce_rows,
                                              grad_shape_rows,       grad_index_rows,
                                              grad_matmul_rows,      grad_nn_rows,
                                              grad_linalg_rows};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (wrap_rows(st, torch_ns, tables[i]) < 0)
            return -1;
    orig_binop = tn_tensor_type.binop;
    orig_unop = tn_tensor_type.unop;
    orig_getitem = tn_tensor_type.getitem;
    orig_setitem = tn_tensor_type.setitem;
    tn_tensor_type.binop = tn_parameter_type.binop = ag_binop;
    tn_tensor_type.unop = tn_parameter_type.unop = ag_unop;
    tn_tensor_type.getitem = tn_parameter_type.getitem = ag_getitem;
    tn_tensor_type.setitem = tn_parameter_type.setitem = ag_setitem;
    tensor_grad_fn_name = autograd_node_name;
    tensor_grad_fn_value = grad_fn_value;
    tensor_release_autograd = autograd_release;
    if (add_to_tensor_type(st) < 0)
        return -1;
    TnType *types[] = {&no_grad_type, &enable_grad_type, &set_grad_enabled_type,
                       &grad_mode_fn_type};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (type_ready(st, types[i]) < 0)
            return -1;
    if (set_attr(st, torch_ns, "no_grad", tn_obj(&no_grad_type)) < 0 ||
        set_attr(st, torch_ns, "enable_grad", tn_obj(&enable_grad_type)) < 0 ||
        set_attr(st, torch_ns, "set_grad_enabled", tn_obj(&set_grad_enabled_type)) < 0 ||
        ns_add_methods(st, torch_ns, torch_functions) < 0)
        return -1;
    TnValue ag = sub_ns(torch_ns, "autograd");
    if (!IS_UNDEF(ag) && (ns_add_methods(st, ag, autograd_functions) < 0 ||
                          set_attr(st, ag, "no_grad", tn_obj(&no_grad_type)) < 0 ||
                          set_attr(st, ag, "enable_grad", tn_obj(&enable_grad_type)) < 0 ||
                          set_attr(st, ag, "set_grad_enabled", tn_obj(&set_grad_enabled_type)) < 0))
        return -1;
    return 0;
}
