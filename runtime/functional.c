/* functional.c: the calls on every small nn forward, in C: torch.nn.functional.linear,
 * nn.Linear's forward and nn.Sequential's forward.
 *
 * Written in tn (stdlib/functional.tn's _linear), F.linear cost a frame, a dim() call and
 * three attribute lookups on top of the two ops it runs: about a fifth of a Linear(16, 16)
 * on one row. Here the common cases call the recording entry points of Tensor.t,
 * torch.addmm and torch.matmul directly (the natives autograd_init installed, so the graph
 * is the one PyTorch 1.13 records: AddmmBackward0 over TBackward0, or MmBackward0 without
 * a bias), and a 1-D or N-D input with a bias goes to _linear, whose results and errors
 * are those of the tn version. Linear.forward (F._linear_forward, installed as the method by
 * stdlib/nn_linear.tn) reads self.weight and self.bias as any attribute read would and calls
 * F.linear, as PyTorch's does, without a tn frame: together a third of the cost of a
 * Linear(16, 16) on one row was the interpreter's. Sequential.forward (F._sequential_forward)
 * calls each child of self._modules in turn, as the tn loop did.
 */
#include "api_args.h"
#include "module.h"
#include "tensor.h"
#include "types.h"

static TnValue functional_ns; /* torch.nn.functional, borrowed (namespaces live for the run) */
static TnStr *s_weight, *s_bias, *s_linear, *s_modules;
static TnNativeFn t_fn, addmm_fn, matmul_fn;

/* The C entry point of the native `name` in dict d (with autograd's recording), or NULL. */
static TnNativeFn native_entry(TnDict *d, const char *name)
{
    TnValue f = dict_get_str(d, str_intern(name));
    if (!IS_NATIVE(f) || !((TnNative *)AS_OBJ(f))->def->sig) return NULL;
    return ((TnNative *)AS_OBJ(f))->def->fn;
}

/* Looked up on the first call, after autograd_init wrapped the natives. */
static bool entries_ready(void)
{
    if (TN_LIKELY(addmm_fn != NULL)) return true;
    t_fn = native_entry(tn_tensor_type.dict, "t");
    matmul_fn = native_entry(tn_tensor_type.dict, "matmul");
    TnNativeFn addmm = native_entry(ns_dict(tensor_api_torch_ns), "addmm");
    if (!t_fn || !matmul_fn || !addmm) return false;
    addmm_fn = addmm;
    return true;
}

/* F._linear(input, weight, bias): the tn version, for the cases not handled here. */
static TnValue linear_in_tn(TnState *st, TnValue *a)
{
    TnValue f = tn_getattr(st, functional_ns, str_intern("_linear"));
    if (IS_UNDEF(f)) return f;
    TnValue r = tn_call(st, f, a, 3, NULL, 0);
    tn_decref(f);
    return r;
}

/* linear(input, weight, bias=None): input @ weight.t() + bias, as PyTorch 1.13 computes it
 * (addmm for a 2-D input with a bias, matmul without one). */
static TnValue F_linear(TnState *st, TnValue *a)
{
    TnValue input = a[0], weight = a[1], bias = a[2];
    if (!arg_tensor(st, input, "linear", "input") || !arg_tensor(st, weight, "linear", "weight") ||
        (!IS_NONE(bias) && !arg_tensor(st, bias, "linear", "bias")))
        return tn_undef();
    bool fast = IS_NONE(bias) || AS_TENSOR(input)->ndim == 2;
    if (!fast || !entries_ready()) return linear_in_tn(st, a);
    TnValue wt = t_fn(st, &weight);
    if (IS_UNDEF(wt)) return wt;
    TnValue r;
    if (IS_NONE(bias)) {
        TnValue args[2] = {input, wt};
        r = matmul_fn(st, args);
    } else {
        TnValue args[5] = {bias, input, wt, tn_int(1), tn_int(1)};
        r = addmm_fn(st, args);
    }
    tn_decref(wt);
    return r;
}

/* Linear.forward(self, input): F.linear(input, self.weight, self.bias). F.linear is looked up
 * at each call, so a replaced one is the one called, as in PyTorch. */
static TnValue Linear_forward(TnState *st, TnValue *a)
{
    TnValue args[3] = {a[1], tn_getattr(st, a[0], s_weight), tn_undef()};
    if (IS_UNDEF(args[1])) return tn_undef();
    args[2] = tn_getattr(st, a[0], s_bias);
    TnValue r = tn_undef();
    if (!IS_UNDEF(args[2])) {
        TnValue f = dict_get_str(ns_dict(functional_ns), s_linear);
        if (IS_NATIVE(f) && ((TnNative *)AS_OBJ(f))->def->fn == F_linear) {
            r = F_linear(st, args);
        } else if (!IS_UNDEF(f = tn_getattr(st, functional_ns, s_linear))) {
            r = tn_call(st, f, args, 3, NULL, 0);
            tn_decref(f);
        }
    }
    tn_decref(args[1]);
    tn_decref(args[2]);
    return r;
}

/* Sequential.forward(self, input): input = module(input) for each module of self._modules,
 * which (as an OrderedDict iterator) must not change size meanwhile. */
static TnValue Sequential_forward(TnState *st, TnValue *a)
{
    TnValue mods = tn_getattr(st, a[0], s_modules);
    if (IS_UNDEF(mods)) return mods;
    if (!tn_is_dict(mods)) {
        tn_decref(mods);
        return tn_raise(st, tn_TypeError, "_modules must be a dict");
    }
    TnDict *d = AS_DICT(mods);
    int64_t size = d->n, pos = 0;
    TnValue x = tn_ref(a[1]), m;
    while (!IS_UNDEF(x)) {
        if (d->n != size) {
            tn_decref(x);
            x = tn_raise(st, tn_RuntimeError, "OrderedDict mutated during iteration");
            break;
        }
        if (!dict_next(d, &pos, NULL, &m)) break;
        tn_incref(m); /* a hook may drop it from the dict while it runs */
        TnValue y = tn_call(st, m, &x, 1, NULL, 0);
        tn_decref(m);
        tn_decref(x);
        x = y;
    }
    tn_decref(mods);
    return x;
}

static const TnMethodDef functional_defs[] = {
    {"linear", F_linear, "linear(input, weight, bias=None)", NULL,
     "Applies a linear transformation to the incoming data: y = xA^T + b."},
    {"_linear_forward", Linear_forward, "Linear.forward(self, input)", NULL,
     "nn.Linear's forward: F.linear(input, self.weight, self.bias)."},
    {"_sequential_forward", Sequential_forward, "Sequential.forward(self, input)", NULL,
     "nn.Sequential's forward: each module in turn."},
    {NULL},
};

int functional_init(TnState *st, TnValue F)
{
    functional_ns = F;
    s_weight = str_intern("weight");
    s_bias = str_intern("bias");
    s_linear = str_intern("linear");
    s_modules = str_intern("_modules");
    return ns_add_methods(st, F, functional_defs);
}
