/* state.c: interpreter start-up — builtins, predefined namespaces, the prelude — and dir(). */
#include "builtins.h"
#include "exc.h"
#include "interp.h"
#include "modules.h"
#include "plot.h"
#include "tensor.h"
#include "types.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eval_names_init(void);

/* Provided by runtime/ (tensor API) and the stdlib loader; weak while they are
 * being connected, so the core can start without them. */
__attribute__((weak)) int tensor_api_init(TnState *st, TnValue torch_ns);
__attribute__((weak)) int stdlib_init(TnState *st);
__attribute__((weak)) int autograd_init(TnState *st, TnValue torch_ns);
__attribute__((weak)) int linalg_api_init(TnState *st, TnValue torch_ns);
__attribute__((weak)) int io_api_init(TnState *st, TnValue torch_ns);

/* Names the prelude's `from builtins import ...` puts back over torch's. */
static const char *builtins_win[] = {"abs", "all", "any", "max", "min", "pow", "range", "round",
                                     "sum", NULL};

static int add_module(TnState *st, const char *name, TnValue ns)
{
    if (IS_UNDEF(ns))
        return -1;
    int rc = dict_set_str(st, st->modules, str_intern(name), ns);
    tn_decref(ns);
    return rc;
}

static TnValue module(TnState *st, const char *name)
{
    return dict_get_str(st->modules, str_intern(name));
}

/* Makes `parent.child` reachable both as a module and as an attribute. */
static int add_submodule(TnState *st, const char *parent, const char *attr, const char *dotted)
{
    TnValue ns = ns_new(st, dotted);
    if (IS_UNDEF(ns))
        return -1;
    TnValue p = module(st, parent);
    if (!IS_UNDEF(p) && dict_set_str(st, ns_dict(p), str_intern(attr), ns) < 0) {
        tn_decref(ns);
        return -1;
    }
    return add_module(st, dotted, ns);
}

/* A runtime part may have replaced a predefined sub-namespace of torch (torch.linalg,
 * torch.sparse, ...) by its own: `import torch.linalg` must find the one in use. */
static int sync_submodules(TnState *st)
{
    static const char *subs[] = {"linalg", "sparse", "nn", "optim", "autograd", NULL};
    TnDict *torch = ns_dict(module(st, "torch"));
    for (int i = 0; subs[i]; i++) {
        TnValue v = dict_get_str(torch, str_intern(subs[i]));
        char dotted[64];
        snprintf(dotted, sizeof dotted, "torch.%s", subs[i]);
        if (IS_TYPEOF(v, &tn_namespace_type) &&
            dict_set_str(st, st->modules, str_intern(dotted), v) < 0)
            return -1;
    }
    return 0;
}

static int init_modules(TnState *st, int argc, char **argv)
{
    if (add_module(st, "math", mod_math_new(st)) < 0 ||
        add_module(st, "time", mod_time_new(st)) < 0)
        return -1;
    TnValue sys = mod_sys_new(st);
    if (IS_UNDEF(sys) || mod_sys_set_argv(st, sys, argc, argv) < 0 ||
        add_module(st, "sys", sys) < 0)
        return -1;
    if (add_module(st, "torch", ns_new(st, "torch")) < 0 ||
        add_submodule(st, "torch", "nn", "torch.nn") < 0 ||
        add_submodule(st, "torch.nn", "functional", "torch.nn.functional") < 0 ||
        add_submodule(st, "torch.nn", "init", "torch.nn.init") < 0 ||
        add_submodule(st, "torch.nn", "utils", "torch.nn.utils") < 0 ||
        add_submodule(st, "torch", "optim", "torch.optim") < 0 ||
        add_submodule(st, "torch.optim", "lr_scheduler", "torch.optim.lr_scheduler") < 0 ||
        add_submodule(st, "torch", "linalg", "torch.linalg") < 0 ||
        add_submodule(st, "torch", "sparse", "torch.sparse") < 0 ||
        add_submodule(st, "torch", "autograd", "torch.autograd") < 0 ||
        add_submodule(st, "torch", "cuda", "torch.cuda") < 0)
        return -1;
    TnValue coll = ns_new(st, "collections");
    if (IS_UNDEF(coll) ||
        dict_set_str(st, ns_dict(coll), str_intern("OrderedDict"), tn_obj(&tn_ordereddict_type)) <
            0 ||
        add_module(st, "collections", coll) < 0)
        return -1;
    if (tensor_api_init && tensor_api_init(st, module(st, "torch")) < 0)
        return -1;
    if (linalg_api_init && linalg_api_init(st, module(st, "torch")) < 0)
        return -1;
    if (io_api_init && io_api_init(st, module(st, "torch")) < 0)
        return -1;
    if (autograd_init && autograd_init(st, module(st, "torch")) < 0)
        return -1;
    if (stdlib_init && stdlib_init(st) < 0)
        return -1;
    return sync_submodules(st);
}

static int init_builtins(TnState *st)
{
    TnValue b = dict_new(st);
    if (IS_UNDEF(b))
        return -1;
    st->builtins = AS_DICT(b);
    if (builtins_init(st, st->builtins) < 0 || exc_add_builtins(st, st->builtins) < 0 ||
        plot_init(st, st->builtins) < 0)
        return -1;
    static const struct {
        const char *name;
        TnType *type;
    } types[] = {
        {"property", &tn_property_type},
        {"staticmethod", &tn_staticmethod_type},
        {"classmethod", &tn_classmethod_type},
        {"super", &tn_super_type},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (dict_set_str(st, st->builtins, str_intern(types[i].name), tn_obj(types[i].type)) < 0)
            return -1;
    return 0;
}

/* locals() inside a function (builtins.c asks through a hook) */
static TnValue frame_locals(TnState *st)
{
    TnFrameInfo *f = st->frame;
    return resolve_frame_locals(st, f->func->scope, f->slots);
}

TnState *tn_init(int argc, char **argv)
{
    TnState *st = calloc(1, sizeof(TnState));
    if (!st)
        return NULL;
    tn_state = st;
    tn_gc_init();
    st->recursion_limit = 1000;
    st->exc = st->handling = st->last_value = st->memory_error = tn_undef();
    if (types_init(st) < 0 || exc_init(st) < 0 || func_types_init(st) < 0)
        goto fail;
    eval_names_init();
    builtins_locals_hook = frame_locals;
    TnValue mods = dict_new(st);
    if (IS_UNDEF(mods))
        goto fail;
    st->modules = AS_DICT(mods);
    if (init_builtins(st) < 0 || init_modules(st, argc, argv) < 0)
        goto fail;
    return st;
fail:
    /* Without a pending exception the failure was an allocation made before the
     * preallocated MemoryError existed (see tn_no_memory). */
    if (!IS_UNDEF(st->exc))
        tn_report_error(st);
    else
        fputs("MemoryError: out of memory during start-up\n", stderr);
    fprintf(stderr, "tn: start-up failed\n");
    return NULL;
}

void tn_shutdown(TnState *st)
{
    fflush(stdout);
    fflush(stderr);
    (void)st; /* the process ends right after: the OS reclaims everything */
}

/* Names of torch that `from torch import *` does not export (float, int, bool, ...). */
static bool torch_private(const char *name)
{
    for (int i = 0; tensor_api_private_names[i]; i++)
        if (!strcmp(tensor_api_private_names[i], name))
            return true;
    return false;
}

TnDict *tn_main_globals(TnState *st)
{
    TnValue gv = dict_new(st);
    if (IS_UNDEF(gv))
        return NULL;
    TnDict *g = AS_DICT(gv);
    TnValue torch = module(st, "torch");
    /* from torch import * */
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(ns_dict(torch), &pos, &k, &v)) {
        if (!IS_STR(k) || AS_STR(k)->data[0] == '_')
            continue;
        if (IS_TYPEOF(v, &tn_namespace_type) || torch_private(AS_STR(k)->data))
            continue; /* submodules and dtype aliases are not part of torch.__all__ */
        if (dict_set(st, g, k, v) < 0)
            goto fail;
    }
    /* from builtins import abs, all, ... : builtins win over torch's names */
    for (int i = 0; builtins_win[i]; i++) {
        TnValue bv = dict_get_str(st->builtins, str_intern(builtins_win[i]));
        if (!IS_UNDEF(bv) && dict_set_str(st, g, str_intern(builtins_win[i]), bv) < 0)
            goto fail;
    }
    static const struct {
        const char *name, *module;
    } prelude[] = {
        {"math", "math"},    {"time", "time"},      {"sys", "sys"},
        {"torch", "torch"},  {"nn", "torch.nn"},    {"F", "torch.nn.functional"},
    };
    for (size_t i = 0; i < sizeof prelude / sizeof prelude[0]; i++)
        if (dict_set_str(st, g, str_intern(prelude[i].name), module(st, prelude[i].module)) < 0)
            goto fail;
    if (dict_set_str(st, g, str_intern("OrderedDict"), tn_obj(&tn_ordereddict_type)) < 0)
        goto fail;
    TnValue name = tn_str(st, "__main__");
    if (IS_UNDEF(name))
        goto fail;
    int rc = dict_set_str(st, g, str_intern("__name__"), name);
    tn_decref(name);
    if (rc < 0)
        goto fail;
    return g;
fail:
    tn_obj_decref(g);
    return NULL;
}

/* ------------------------------------------------------------------ dir */

static int add_keys(TnState *st, TnDict *seen, TnDict *src)
{
    int64_t pos = 0;
    TnValue k, v;
    while (src && dict_next(src, &pos, &k, &v))
        if (IS_STR(k) && dict_set(st, seen, k, tn_none()) < 0)
            return -1;
    return 0;
}

TnValue tn_dir(TnState *st, TnValue obj)
{
    TnValue seenv = dict_new(st);
    if (IS_UNDEF(seenv))
        return seenv;
    TnDict *seen = AS_DICT(seenv);
    int rc = 0;
    if (IS_TYPEOF(obj, &tn_namespace_type)) {
        rc = add_keys(st, seen, ns_dict(obj));
    } else {
        TnType *t = IS_TYPE(obj) ? AS_TYPE(obj) : tn_type_of(obj);
        if (!IS_TYPE(obj) && (t->flags & TN_TYPE_HAS_DICT) && IS_OBJ(obj))
            rc = add_keys(st, seen, ((TnInstance *)AS_OBJ(obj))->dict);
        for (; rc == 0 && t; t = t->base)
            rc = add_keys(st, seen, t->dict);
        TnType *ot = tn_type_of(obj);
        if (rc == 0 && ot->dir) {
            TnValue extra = ot->dir(st, obj);
            if (IS_UNDEF(extra)) {
                rc = -1;
            } else {
                TnValue l = list_from_iterable(st, extra);
                tn_decref(extra);
                if (IS_UNDEF(l))
                    rc = -1;
                for (int64_t i = 0; rc == 0 && i < AS_LIST(l)->n; i++)
                    rc = dict_set(st, seen, AS_LIST(l)->items[i], tn_none());
                tn_decref(l);
            }
        }
    }
    TnValue out = tn_undef();
    if (rc == 0) {
        out = list_new(st, 0);
        int64_t pos = 0;
        TnValue k, v;
        while (!IS_UNDEF(out) && dict_next(seen, &pos, &k, &v))
            if (list_append(st, AS_LIST(out), k) < 0) {
                tn_decref(out);
                out = tn_undef();
            }
        if (!IS_UNDEF(out) && list_sort(st, AS_LIST(out), tn_undef(), false) < 0) {
            tn_decref(out);
            out = tn_undef();
        }
    }
    tn_decref(seenv);
    return out;
}
