/* module.h: nn.Module in C — ordered registries, attribute rules, hooks, __call__, the tree repr.
 *
 * A TnModule extends TnInstance (its attribute dict stays second, so generic
 * instance code works on it) with PyTorch's per-module state: ordered dicts of
 * parameters, buffers and submodules (NULL until Module.__init__ ran, which is
 * how "cannot assign module before Module.__init__() call" is detected), the set
 * of non-persistent buffer names, the training flag and three hook dicts keyed
 * by handle id. User classes `class Net(nn.Module)` inherit the alloc, dealloc,
 * getattr, setattr, call, repr and dir slots of tn_module_type.
 *
 * Calling a module with no hooks costs one type lookup of `forward` and the call.
 * With hooks, pre-hooks run first (their non-None result replaces the input
 * tuple), then forward, then forward hooks (a non-None result replaces the
 * output); full backward hooks are wired through tensor hooks by the stdlib's
 * torch.nn._BackwardHook helper.
 *
 * The rarer Module methods (to, float, double, load_state_dict, get_submodule,
 * zero_grad, apply, ...) are written in tn (stdlib/nn_module.tn) and installed
 * into the type's dict by the stdlib loader.
 */
#ifndef TN_MODULE_H
#define TN_MODULE_H

#include "object.h"

typedef struct TnModule {
    TN_OBJECT_HEAD;
    TnDict *dict;      /* instance attributes (must stay second: TnInstance layout) */
    TnDict *params;    /* name -> Parameter or None; NULL before __init__ */
    TnDict *buffers;   /* name -> Tensor or None */
    TnDict *modules;   /* name -> Module or None */
    TnSet *nonpersist; /* names of buffers left out of state_dict */
    TnDict *pre_hooks; /* id -> hook(module, input); NULL while none was registered */
    TnDict *fwd_hooks; /* id -> hook(module, input, output) */
    TnDict *bwd_hooks; /* id -> hook(module, grad_input, grad_output) */
    int full_bwd;      /* -1 no backward hook registered yet, 0 register_backward_hook, 1 full */
    bool training;
} TnModule;

extern TnType tn_module_type, tn_handle_type;

/* Is v an nn.Module (or an instance of a subclass)? */
bool module_check(TnValue v);

/* Readies the Module and RemovableHandle types, puts `Module` and `Parameter` into
 * the torch.nn namespace `nn_ns` and installs the help() hook. 0, or -1 with an
 * exception set. */
TN_MUST_CHECK int module_init(TnState *st, TnValue nn_ns);

/* Puts the C functions of torch.nn.functional (functional.c: linear) into the namespace F.
 * 0, or -1 with an exception set. */
TN_MUST_CHECK int functional_init(TnState *st, TnValue F);

/* help(m) for a module instance: the class docstring, the module tree and the
 * parameter counts on stdout. 1 when printed, 0 when m is not a module, -1 with
 * an exception set. */
TN_MUST_CHECK int module_help(TnState *st, TnValue m);

/* Hook handles shared with tensor hooks: a new id (process-wide counter, as
 * RemovableHandle.next_id), and a handle whose remove() deletes `id` from `hooks`
 * (the handle keeps a reference to the dict). New reference or UNDEF. */
int64_t module_next_hook_id(void);

/* Set by the stdlib loader: loads Module methods written in tn when an attribute
 * lookup on a module misses. 1 if something was loaded (retry), 0, or -1. */
extern int (*module_lazy_hook)(TnState *st);
TN_MUST_CHECK TnValue module_handle_new(TnState *st, TnDict *hooks, int64_t id);

#endif
