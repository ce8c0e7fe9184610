/* module.c: nn.Module's core — registries, PyTorch's attribute rules, hooks, __call__, repr. */
#include "module.h"
#include "autograd.h"
#include "builtins.h"
#include "tensor.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

static TnStr *s_forward, *s_discard, *s_extra_repr, *s_train, *s_detach, *s_setup_in, *s_setup_out,
    *s_bwhook, *s_module;
static TnValue nn_namespace; /* torch.nn, borrowed (namespaces live for the whole run) */
int (*module_lazy_hook)(TnState *st);

#define MOD(v) ((TnModule *)AS_OBJ(v))

bool module_check(TnValue v)
{
    return IS_OBJ(v) && tn_isinstance_type(AS_OBJ(v)->type, &tn_module_type);
}

static bool is_param(TnValue v)
{
    return IS_OBJ(v) && (AS_OBJ(v)->type == &tn_parameter_type ||
                         tn_isinstance_type(AS_OBJ(v)->type, &tn_parameter_type));
}

static int64_t dict_len(const TnDict *d)
{
    return d ? d->n : 0;
}

/* torch.typename(v): "torch.FloatTensor" for tensors, "__main__.Foo", "int", ... */
static void type_name_of(TnValue v, char *buf, size_t n)
{
    if (IS_TENSOR(v)) {
        snprintf(buf, n, "torch.%sTensor", tn_dtype_info[AS_TENSOR(v)->dtype].cname);
        return;
    }
    TnType *t = tn_type_of(v);
    const char *mod = type_module(t);
    if (strcmp(mod, "builtins") == 0)
        snprintf(buf, n, "%s", t->name);
    else
        snprintf(buf, n, "%s.%s", mod, t->name);
}

/* The module behind a native's self argument (natives are only bound to modules). */
static TnModule *self_module(TnState *st, TnValue v)
{
    if (!module_check(v))
        return tn_raise_ptr(st, tn_TypeError,
                            "descriptor requires a 'Module' object but received a '%s'",
                            tn_type_name(v));
    return MOD(v);
}

static TnModule *inited(TnState *st, TnValue v, const char *what)
{
    TnModule *m = self_module(st, v);
    if (m && !m->params)
        return tn_raise_ptr(st, tn_AttributeError, "cannot assign %s before Module.__init__() call",
                            what);
    return m;
}

/* set.discard(name) on the non-persistent buffer names. */
static int discard_name(TnState *st, TnSet *s, TnStr *name)
{
    if (!s) return 0;
    TnValue arg = tn_obj(name);
    TnValue r = tn_call_method(st, tn_obj(s), s_discard, &arg, 1);
    if (IS_UNDEF(r)) return -1;
    tn_decref(r);
    return 0;
}

static bool has_key(TnDict *d, TnStr *name)
{
    return d && !IS_UNDEF(dict_get_str(d, name));
}

static int del_key(TnState *st, TnDict *d, TnStr *name)
{
    if (!d) return 0;
    int r = dict_del(st, d, tn_obj(name));
    return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------- handles */

typedef struct TnHandle {
    TN_OBJECT_HEAD;
    TnDict *hooks;
    int64_t id;
} TnHandle;

static int64_t next_hook_id;

int64_t module_next_hook_id(void)
{
    return next_hook_id++;
}

TnValue module_handle_new(TnState *st, TnDict *hooks, int64_t id)
{
    TnHandle *h = tn_alloc_object(st, &tn_handle_type, sizeof(TnHandle));
    if (!h) return tn_undef();
    h->hooks = hooks;
    tn_obj_incref(hooks);
    h->id = id;
    return tn_obj(h);
}

static void handle_dealloc(TnObject *o)
{
    tn_obj_decref(((TnHandle *)o)->hooks);
    tn_free_object(o);
}

static void handle_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((TnHandle *)o)->hooks, visit, arg);
}

static TnValue handle_remove(TnState *st, TnValue *a)
{
    TnHandle *h = (TnHandle *)AS_OBJ(a[0]);
    if (h->hooks && dict_del(st, h->hooks, tn_int(h->id)) < 0) return tn_undef();
    return tn_none();
}

static TnValue handle_enter(TnState *st, TnValue *a)
{
    return tn_ref(a[0]);
}

static TnValue handle_exit(TnState *st, TnValue *a)
{
    return handle_remove(st, a);
}

static TnValue handle_get_id(TnState *st, TnValue self)
{
    return tn_int(((TnHandle *)AS_OBJ(self))->id);
}

static const TnMethodDef handle_methods[] = {
    {"remove",                                         handle_remove, "remove(self)", NULL,
     "Removes the hook this handle was returned for."},
    {"__enter__",                                  handle_enter, "__enter__(self)", NULL, NULL},
    {"__exit__", handle_exit, "__exit__(self, *args)", NULL, NULL},
    {NULL                                     },
};

static const TnGetSetDef handle_getset[] = {
    {"id",  handle_get_id, NULL, "The hook's key in its module's hook dict."},
    {NULL},
};

TnType tn_handle_type = {
    .head = {0, NULL},
    .name = "RemovableHandle",
    .dealloc = handle_dealloc,
    .traverse = handle_traverse,
    .methods = handle_methods,
    .getset = handle_getset,
};

/* ------------------------------------------------------------- lifetime */

static TnValue module_alloc(TnState *st, TnType *type)
{
    TnModule *m = tn_alloc_object(st, type, sizeof(TnModule));
    if (!m) return tn_undef();
    TnValue d = dict_new(st);
    if (IS_UNDEF(d)) {
        tn_obj_decref(m);
        return d;
    }
    m->dict = AS_DICT(d);
    m->full_bwd = -1;
    m->training = true;
    return tn_obj(m);
}

static void module_clear(TnModule *m)
{
    tn_obj_decref(m->params);
    tn_obj_decref(m->buffers);
    tn_obj_decref(m->modules);
    tn_obj_decref(m->nonpersist);
    tn_obj_decref(m->pre_hooks);
    tn_obj_decref(m->fwd_hooks);
    tn_obj_decref(m->bwd_hooks);
    m->params = m->buffers = m->modules = NULL;
    m->pre_hooks = m->fwd_hooks = m->bwd_hooks = NULL;
    m->nonpersist = NULL;
}

static void module_dealloc(TnObject *o)
{
    TnModule *m = (TnModule *)o;
    module_clear(m);
    tn_obj_decref(m->dict);
    tn_free_object(o);
}

/* No clear slot: every field is a dict or set, whose clear breaks the cycles (a hook
 * that captures its module, a module registered as its own child). */
static void module_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnModule *m = (TnModule *)o;
    tn_visit_obj(m->dict, visit, arg);
    tn_visit_obj(m->params, visit, arg);
    tn_visit_obj(m->buffers, visit, arg);
    tn_visit_obj(m->modules, visit, arg);
    tn_visit_obj(m->nonpersist, visit, arg);
    tn_visit_obj(m->pre_hooks, visit, arg);
    tn_visit_obj(m->fwd_hooks, visit, arg);
    tn_visit_obj(m->bwd_hooks, visit, arg);
}

static TnValue Module___init__(TnState *st, TnValue *a)
{
    TnModule *m = self_module(st, a[0]);
    if (!m) return tn_undef();
    TnValue p = ordereddict_new(st), b = ordereddict_new(st), c = ordereddict_new(st),
            s = set_new(st);
    if (IS_UNDEF(p) || IS_UNDEF(b) || IS_UNDEF(c) || IS_UNDEF(s)) {
        tn_decref(p);
        tn_decref(b);
        tn_decref(c);
        tn_decref(s);
        return tn_undef();
    }
    module_clear(m);
    m->params = AS_DICT(p);
    m->buffers = AS_DICT(b);
    m->modules = AS_DICT(c);
    m->nonpersist = AS_SET(s);
    m->full_bwd = -1;
    m->training = true;
    return tn_none();
}

/* ------------------------------------------------------------- registration */

/* hasattr(self, name) without leaving an exception behind; -1 on other errors. */
static int has_attr(TnState *st, TnValue self, TnStr *name)
{
    TnValue v = tn_getattr_opt(st, self, name);
    if (IS_UNDEF(v)) return IS_UNDEF(st->exc) ? 0 : -1;
    tn_decref(v);
    return 1;
}

static int check_name(TnState *st, TnValue name, const char *kind)
{
    char tn[128];
    if (!IS_STR(name)) {
        type_name_of(name, tn, sizeof tn);
        return tn_raise_int(st, tn_TypeError, "%s name should be a string. Got %s", kind, tn);
    }
    return 0;
}

static int register_parameter(TnState *st, TnValue self, TnValue namev, TnValue param)
{
    TnModule *m = inited(st, self, "parameter");
    if (!m || check_name(st, namev, "parameter") < 0) return -1;
    TnStr *name = AS_STR(namev);
    char tn[128];
    if (strchr(name->data, '.'))
        return tn_raise_int(st, tn_KeyError, "parameter name can't contain \".\"");
    if (name->len == 0)
        return tn_raise_int(st, tn_KeyError, "parameter name can't be empty string \"\"");
    if (!has_key(m->params, name)) {
        int h = has_attr(st, self, name);
        if (h < 0) return -1;
        if (h) return tn_raise_int(st, tn_KeyError, "attribute '%s' already exists", name->data);
    }
    if (!IS_NONE(param)) {
        if (!is_param(param)) {
            type_name_of(param, tn, sizeof tn);
            return tn_raise_int(st, tn_TypeError,
                                "cannot assign '%s' object to parameter '%s' (torch.nn.Parameter "
                                "or None required)",
                                tn, name->data);
        }
        if (AS_TENSOR(param)->grad_fn)
            return tn_raise_int(st, tn_ValueError,
                                "Cannot assign non-leaf Tensor to parameter '%s'. Model parameters "
                                "must be created explicitly. To express '%s' as a function of "
                                "another Tensor, compute the value in the forward() method.",
                                name->data, name->data);
    }
    return dict_set_str(st, m->params, name, param);
}

static int add_module(TnState *st, TnValue self, TnValue namev, TnValue child)
{
    TnModule *m = inited(st, self, "module");
    if (!m) return -1;
    char tn[128];
    if (!IS_NONE(child) && !module_check(child)) {
        type_name_of(child, tn, sizeof tn);
        return tn_raise_int(st, tn_TypeError, "%s is not a Module subclass", tn);
    }
    if (check_name(st, namev, "module") < 0) return -1;
    TnStr *name = AS_STR(namev);
    if (!has_key(m->modules, name)) {
        int h = has_attr(st, self, name);
        if (h < 0) return -1;
        if (h) return tn_raise_int(st, tn_KeyError, "attribute '%s' already exists", name->data);
    }
    if (strchr(name->data, '.'))
        return tn_raise_int(st, tn_KeyError, "module name can't contain \".\", got: %s",
                            name->data);
    if (name->len == 0)
        return tn_raise_int(st, tn_KeyError, "module name can't be empty string \"\"");
    return dict_set_str(st, m->modules, name, child);
}

static int register_buffer(TnState *st, TnValue self, TnValue namev, TnValue tensor,
                           bool persistent)
{
    TnModule *m = inited(st, self, "buffer");
    if (!m || check_name(st, namev, "buffer") < 0) return -1;
    TnStr *name = AS_STR(namev);
    char tn[128];
    if (strchr(name->data, '.'))
        return tn_raise_int(st, tn_KeyError, "buffer name can't contain \".\"");
    if (name->len == 0)
        return tn_raise_int(st, tn_KeyError, "buffer name can't be empty string \"\"");
    if (!has_key(m->buffers, name)) {
        int h = has_attr(st, self, name);
        if (h < 0) return -1;
        if (h) return tn_raise_int(st, tn_KeyError, "attribute '%s' already exists", name->data);
    }
    if (!IS_NONE(tensor) && !IS_TENSOR(tensor)) {
        type_name_of(tensor, tn, sizeof tn);
        return tn_raise_int(st, tn_TypeError,
                            "cannot assign '%s' object to buffer '%s' (torch Tensor or None "
                            "required)",
                            tn, name->data);
    }
    if (dict_set_str(st, m->buffers, name, tensor) < 0) return -1;
    if (persistent) return discard_name(st, m->nonpersist, name);
    return set_add(st, m->nonpersist, tn_obj(name));
}

/* ------------------------------------------------------------- attributes */

static TnValue registry_lookup(TnModule *m, TnStr *name)
{
    TnValue v;
    if (m->params && !IS_UNDEF(v = dict_get_str(m->params, name))) return tn_ref(v);
    if (m->buffers && !IS_UNDEF(v = dict_get_str(m->buffers, name))) return tn_ref(v);
    if (m->modules && !IS_UNDEF(v = dict_get_str(m->modules, name))) return tn_ref(v);
    return tn_undef();
}

static TnValue no_attr(TnState *st, TnValue self, TnStr *name)
{
    return tn_raise(st, tn_AttributeError, "'%s' object has no attribute '%s'", tn_type_name(self),
                    name->data);
}

static TnValue module_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnValue v = tn_generic_getattr_opt(st, self, name);
    if (!IS_UNDEF(v) || !IS_UNDEF(st->exc)) return v;
    v = registry_lookup(MOD(self), name);
    if (!IS_UNDEF(v)) return v;
    if (module_lazy_hook) {
        int r = module_lazy_hook(st);
        if (r < 0) return tn_undef();
        if (r > 0) return module_getattr(st, self, name);
    }
    return no_attr(st, self, name);
}

static int module_delattr(TnState *st, TnValue self, TnStr *name)
{
    TnModule *m = MOD(self);
    if (has_key(m->params, name)) return del_key(st, m->params, name);
    if (has_key(m->buffers, name)) {
        if (del_key(st, m->buffers, name) < 0) return -1;
        return discard_name(st, m->nonpersist, name);
    }
    if (has_key(m->modules, name)) return del_key(st, m->modules, name);
    return tn_generic_setattr(st, self, name, tn_undef());
}

/* PyTorch's Module.__setattr__ (v UNDEF: __delattr__). */
static int module_setattr(TnState *st, TnValue self, TnStr *name, TnValue v)
{
    TnModule *m = MOD(self);
    char tn[128];
    if (IS_UNDEF(v)) return module_delattr(st, self, name);
    if (is_param(v)) {
        if (!m->params)
            return tn_raise_int(st, tn_AttributeError,
                                "cannot assign parameters before Module.__init__() call");
        if (del_key(st, m->dict, name) < 0 || del_key(st, m->buffers, name) < 0 ||
            del_key(st, m->modules, name) < 0 || discard_name(st, m->nonpersist, name) < 0)
            return -1;
        return register_parameter(st, self, tn_obj(name), v);
    }
    if (has_key(m->params, name)) {
        if (!IS_NONE(v)) {
            type_name_of(v, tn, sizeof tn);
            return tn_raise_int(st, tn_TypeError,
                                "cannot assign '%s' as parameter '%s' (torch.nn.Parameter or None "
                                "expected)",
                                tn, name->data);
        }
        return register_parameter(st, self, tn_obj(name), v);
    }
    if (module_check(v)) {
        if (!m->modules)
            return tn_raise_int(st, tn_AttributeError,
                                "cannot assign module before Module.__init__() call");
        if (del_key(st, m->dict, name) < 0 || del_key(st, m->params, name) < 0 ||
            del_key(st, m->buffers, name) < 0 || discard_name(st, m->nonpersist, name) < 0)
            return -1;
        return dict_set_str(st, m->modules, name, v);
    }
    if (has_key(m->modules, name)) {
        if (!IS_NONE(v)) {
            type_name_of(v, tn, sizeof tn);
            return tn_raise_int(st, tn_TypeError,
                                "cannot assign '%s' as child module '%s' (torch.nn.Module or None "
                                "expected)",
                                tn, name->data);
        }
        return dict_set_str(st, m->modules, name, v);
    }
    if (has_key(m->buffers, name)) {
        if (!IS_NONE(v) && !IS_TENSOR(v)) {
            type_name_of(v, tn, sizeof tn);
            return tn_raise_int(st, tn_TypeError,
                                "cannot assign '%s' as buffer '%s' (torch.Tensor or None expected)",
                                tn, name->data);
        }
        return dict_set_str(st, m->buffers, name, v);
    }
    return tn_generic_setattr(st, self, name, v);
}

static TnValue Module___setattr__(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    return module_setattr(st, a[0], AS_STR(a[1]), a[2]) < 0 ? tn_undef() : tn_none();
}

static TnValue Module___delattr__(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    return module_delattr(st, a[0], AS_STR(a[1])) < 0 ? tn_undef() : tn_none();
}

static TnValue Module___getattr__(TnState *st, TnValue *a)
{
    TnModule *m = self_module(st, a[0]);
    if (!m) return tn_undef();
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "attribute name must be string, not '%s'",
                        tn_type_name(a[1]));
    TnValue v = registry_lookup(m, AS_STR(a[1]));
    return IS_UNDEF(v) ? no_attr(st, a[0], AS_STR(a[1])) : v;
}

static TnValue module_dir(TnState *st, TnValue self)
{
    TnModule *m = MOD(self);
    TnValue out = list_new(st, 0);
    TnDict *regs[3] = {m->params, m->modules, m->buffers};
    for (int i = 0; i < 3 && !IS_UNDEF(out); i++) {
        int64_t pos = 0;
        TnValue k, v;
        while (regs[i] && dict_next(regs[i], &pos, &k, &v)) {
            if (!IS_STR(k) || (AS_STR(k)->data[0] >= '0' && AS_STR(k)->data[0] <= '9')) continue;
            if (list_append(st, AS_LIST(out), k) < 0) {
                tn_decref(out);
                return tn_undef();
            }
        }
    }
    return out;
}

/* ------------------------------------------------------------- natives: registration */

static TnValue Module_register_parameter(TnState *st, TnValue *a)
{
    return register_parameter(st, a[0], a[1], a[2]) < 0 ? tn_undef() : tn_none();
}

static TnValue Module_add_module(TnState *st, TnValue *a)
{
    return add_module(st, a[0], a[1], a[2]) < 0 ? tn_undef() : tn_none();
}

static TnValue Module_register_buffer(TnState *st, TnValue *a)
{
    int p = tn_truthy(st, a[3]);
    if (p < 0) return tn_undef();
    return register_buffer(st, a[0], a[1], a[2], p) < 0 ? tn_undef() : tn_none();
}

static TnValue Module_forward(TnState *st, TnValue *a)
{
    return tn_raise(st, tn_NotImplementedError,
                    "Module [%s] is missing the required \"forward\" function", tn_type_name(a[0]));
}

static TnValue Module_extra_repr(TnState *st, TnValue *a)
{
    return tn_str(st, "");
}

static TnValue Module__get_name(TnState *st, TnValue *a)
{
    return tn_str(st, tn_type_name(a[0]));
}

/* self._become(cls): PyTorch's `self.__class__ = cls` (LazyLinear turning into Linear). */
static TnValue Module__become(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    if (!IS_TYPE(a[1]) || !tn_isinstance_type(AS_TYPE(a[1]), &tn_module_type) ||
        !(AS_TYPE(a[1])->flags & TN_TYPE_HEAP))
        return tn_raise(st, tn_TypeError, "__class__ must be set to a Module subclass");
    TnObject *o = AS_OBJ(a[0]);
    TnType *old = o->type;
    tn_obj_incref(AS_TYPE(a[1]));
    o->type = AS_TYPE(a[1]);
    if (old->flags & TN_TYPE_HEAP) tn_obj_decref(old);
    return tn_none();
}

/* ------------------------------------------------------------- traversal */

/* Identity memo: a dict keyed by object address. 1 if newly added, 0 if seen, -1. */
static int memo_add(TnState *st, TnDict *memo, TnValue v)
{
    TnValue key = tn_int((int64_t)(intptr_t)AS_OBJ(v));
    TnValue found;
    int r = dict_lookup(st, memo, key, &found);
    if (r != 0) return r < 0 ? -1 : 0;
    return dict_set(st, memo, key, tn_none()) < 0 ? -1 : 1;
}

/* prefix + "." + name (no dot when prefix is empty); new str or UNDEF. */
static TnValue join_name(TnState *st, TnValue prefix, TnValue name)
{
    if (!IS_STR(prefix) || AS_STR(prefix)->len == 0) return tn_ref(name);
    return tn_str_fmt(st, "%s.%s", AS_STR(prefix)->data, AS_STR(name)->data);
}

static int append_pair(TnState *st, TnList *out, TnValue a, TnValue b)
{
    TnValue t = tuple_pack(st, 2, a, b);
    if (IS_UNDEF(t)) return -1;
    int r = list_append(st, out, t);
    tn_decref(t);
    return r;
}

/* named_modules(memo, prefix): appends (name, module) pairs in PyTorch's order. */
static int walk_modules(TnState *st, TnValue self, TnDict *memo, TnValue prefix, TnList *out)
{
    if (memo) {
        int r = memo_add(st, memo, self);
        if (r <= 0) return r;
    }
    if (append_pair(st, out, prefix, self) < 0) return -1;
    TnModule *m = MOD(self);
    if (!m->modules) return 0;
    if (tn_recursion_enter(st, " while walking submodules") < 0) return -1;
    int64_t pos = 0;
    TnValue k, v;
    int rc = 0;
    while (rc == 0 && dict_next(m->modules, &pos, &k, &v)) {
        if (!module_check(v)) continue;
        TnValue sub = join_name(st, prefix, k);
        if (IS_UNDEF(sub)) {
            rc = -1;
            break;
        }
        rc = walk_modules(st, v, memo, sub, out);
        tn_decref(sub);
    }
    tn_recursion_leave(st);
    return rc;
}

static TnValue new_memo(TnState *st)
{
    return dict_new(st);
}

/* A list of (name, module) for named_modules(prefix); dedup unless remove_dup is false. */
static TnValue named_modules_list(TnState *st, TnValue self, TnValue prefix, bool remove_dup)
{
    TnValue out = list_new(st, 0), memo = remove_dup ? new_memo(st) : tn_none();
    if (IS_UNDEF(out) || IS_UNDEF(memo)) goto fail;
    if (walk_modules(st, self, remove_dup ? AS_DICT(memo) : NULL, prefix, AS_LIST(out)) < 0)
        goto fail;
    tn_decref(memo);
    return out;
fail:
    tn_decref(out);
    tn_decref(memo);
    return tn_undef();
}

enum { KIND_PARAMS, KIND_BUFFERS };

/* PyTorch's _named_members: (name, tensor) pairs of params or buffers, each once. */
static TnValue named_members(TnState *st, TnValue self, int kind, TnValue prefix, bool recurse)
{
    TnValue mods = tn_undef(), memo = tn_undef(), out = list_new(st, 0);
    if (IS_UNDEF(out)) return out;
    if (recurse) {
        mods = named_modules_list(st, self, prefix, true);
    } else {
        mods = list_new(st, 0);
        if (!IS_UNDEF(mods) && append_pair(st, AS_LIST(mods), prefix, self) < 0) {
            tn_decref(mods);
            mods = tn_undef();
        }
    }
    memo = new_memo(st);
    if (IS_UNDEF(mods) || IS_UNDEF(memo)) goto fail;
    for (int64_t i = 0; i < AS_LIST(mods)->n; i++) {
        TnTuple *pair = AS_TUPLE(AS_LIST(mods)->items[i]);
        TnModule *m = MOD(pair->items[1]);
        TnDict *d = kind == KIND_PARAMS ? m->params : m->buffers;
        int64_t pos = 0;
        TnValue k, v;
        while (d && dict_next(d, &pos, &k, &v)) {
            if (IS_NONE(v) || !IS_OBJ(v)) continue;
            int r = memo_add(st, AS_DICT(memo), v);
            if (r < 0) goto fail;
            if (r == 0) continue;
            TnValue name = join_name(st, pair->items[0], k);
            if (IS_UNDEF(name)) goto fail;
            r = append_pair(st, AS_LIST(out), name, v);
            tn_decref(name);
            if (r < 0) goto fail;
        }
    }
    tn_decref(mods);
    tn_decref(memo);
    return out;
fail:
    tn_decref(mods);
    tn_decref(memo);
    tn_decref(out);
    return tn_undef();
}

/* Turns a list of pairs into an iterator over item `which` (0 name, 1 value, -1 pair). */
static TnValue iter_of(TnState *st, TnValue pairs, int which)
{
    if (IS_UNDEF(pairs)) return pairs;
    if (which >= 0) {
        TnList *l = AS_LIST(pairs);
        for (int64_t i = 0; i < l->n; i++) {
            TnValue item = tn_ref(AS_TUPLE(l->items[i])->items[which]);
            tn_decref(l->items[i]);
            l->items[i] = item;
        }
    }
    TnValue it = tn_iter(st, pairs);
    tn_decref(pairs);
    return it;
}

static TnValue empty_str(TnState *st)
{
    return tn_str(st, "");
}

static TnValue prefix_arg(TnState *st, TnValue v)
{
    if (IS_UNDEF(v) || IS_NONE(v)) return empty_str(st);
    if (!IS_STR(v))
        return tn_raise(st, tn_TypeError, "prefix must be a str, not %s", tn_type_name(v));
    return tn_ref(v);
}

static TnValue members(TnState *st, TnValue self, int kind, TnValue prefix, TnValue recurse,
                       int which)
{
    if (!self_module(st, self)) return tn_undef();
    int rec = tn_truthy(st, recurse);
    if (rec < 0) return tn_undef();
    TnValue p = prefix_arg(st, prefix);
    if (IS_UNDEF(p)) return p;
    TnValue r = iter_of(st, named_members(st, self, kind, p, rec), which);
    tn_decref(p);
    return r;
}

static TnValue Module_parameters(TnState *st, TnValue *a)
{
    return members(st, a[0], KIND_PARAMS, tn_undef(), a[1], 1);
}
static TnValue Module_named_parameters(TnState *st, TnValue *a)
{
    return members(st, a[0], KIND_PARAMS, a[1], a[2], -1);
}
static TnValue Module_buffers(TnState *st, TnValue *a)
{
    return members(st, a[0], KIND_BUFFERS, tn_undef(), a[1], 1);
}
static TnValue Module_named_buffers(TnState *st, TnValue *a)
{
    return members(st, a[0], KIND_BUFFERS, a[1], a[2], -1);
}

static TnValue named_children_list(TnState *st, TnValue self)
{
    TnModule *m = self_module(st, self);
    if (!m) return tn_undef();
    TnValue out = list_new(st, 0), memo = new_memo(st);
    if (IS_UNDEF(out) || IS_UNDEF(memo)) goto fail;
    int64_t pos = 0;
    TnValue k, v;
    while (m->modules && dict_next(m->modules, &pos, &k, &v)) {
        if (!module_check(v)) continue;
        int r = memo_add(st, AS_DICT(memo), v);
        if (r < 0 || (r == 1 && append_pair(st, AS_LIST(out), k, v) < 0)) goto fail;
    }
    tn_decref(memo);
    return out;
fail:
    tn_decref(out);
    tn_decref(memo);
    return tn_undef();
}

static TnValue Module_children(TnState *st, TnValue *a)
{
    return iter_of(st, named_children_list(st, a[0]), 1);
}
static TnValue Module_named_children(TnState *st, TnValue *a)
{
    return iter_of(st, named_children_list(st, a[0]), -1);
}

/* modules()/named_modules(): PyTorch's memo argument is accepted and ignored (each call
 * keeps its own identity memo). */
static TnValue modules_common(TnState *st, TnValue self, TnValue prefix, bool remove_dup, int which)
{
    if (!self_module(st, self)) return tn_undef();
    TnValue p = prefix_arg(st, prefix);
    if (IS_UNDEF(p)) return p;
    TnValue out = named_modules_list(st, self, p, remove_dup);
    tn_decref(p);
    return iter_of(st, out, which);
}

static TnValue Module_modules(TnState *st, TnValue *a)
{
    return modules_common(st, a[0], tn_undef(), true, 1);
}

static TnValue Module_named_modules(TnState *st, TnValue *a)
{
    int rd = tn_truthy(st, a[3]);
    if (rd < 0) return tn_undef();
    return modules_common(st, a[0], a[2], rd, -1);
}

/* ------------------------------------------------------------- train / eval */

static TnValue Module_train(TnState *st, TnValue *a)
{
    TnModule *m = self_module(st, a[0]);
    if (!m) return tn_undef();
    if (!IS_BOOL(a[1]))
        return tn_raise(st, tn_ValueError, "training mode is expected to be boolean");
    m->training = AS_BOOL(a[1]);
    TnValue kids = named_children_list(st, a[0]);
    if (IS_UNDEF(kids)) return kids;
    for (int64_t i = 0; i < AS_LIST(kids)->n; i++) {
        TnValue child = AS_TUPLE(AS_LIST(kids)->items[i])->items[1];
        TnValue r = tn_call_method(st, child, s_train, &a[1], 1);
        if (IS_UNDEF(r)) {
            tn_decref(kids);
            return r;
        }
        tn_decref(r);
    }
    tn_decref(kids);
    return tn_ref(a[0]);
}

static TnValue Module_eval(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    TnValue f = tn_bool(false);
    return tn_call_method(st, a[0], s_train, &f, 1);
}

/* ------------------------------------------------------------- state_dict */

static int save_state(TnState *st, TnValue self, TnValue dest, TnValue prefix, bool keep_vars)
{
    TnModule *m = MOD(self);
    TnDict *regs[2] = {m->params, m->buffers};
    for (int i = 0; i < 2; i++) {
        int64_t pos = 0;
        TnValue k, v;
        while (regs[i] && dict_next(regs[i], &pos, &k, &v)) {
            if (IS_NONE(v)) continue;
            if (i == 1) {
                int np = set_contains(st, m->nonpersist, k);
                if (np < 0) return -1;
                if (np) continue;
            }
            TnValue key = tn_str_fmt(st, "%s%s", AS_STR(prefix)->data, AS_STR(k)->data);
            if (IS_UNDEF(key)) return -1;
            TnValue val =
                keep_vars || !IS_TENSOR(v) ? tn_ref(v) : tn_call_method(st, v, s_detach, NULL, 0);
            int rc = IS_UNDEF(val) ? -1 : tn_setitem(st, dest, key, val);
            tn_decref(key);
            tn_decref(val);
            if (rc < 0) return -1;
        }
    }
    int64_t pos = 0;
    TnValue k, v;
    if (tn_recursion_enter(st, " while saving state_dict") < 0) return -1;
    int rc = 0;
    while (rc == 0 && m->modules && dict_next(m->modules, &pos, &k, &v)) {
        if (!module_check(v)) continue;
        TnValue sub = tn_str_fmt(st, "%s%s.", AS_STR(prefix)->data, AS_STR(k)->data);
        if (IS_UNDEF(sub)) {
            rc = -1;
            break;
        }
        rc = save_state(st, v, dest, sub, keep_vars);
        tn_decref(sub);
    }
    tn_recursion_leave(st);
    return rc;
}

/* state_dict(*args, destination=None, prefix='', keep_vars=False); the positional form
 * (destination, prefix, keep_vars) is PyTorch's deprecated one. */
static TnValue Module_state_dict(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    TnValue dest = a[2], prefix = a[3], keep = a[4];
    TnTuple *args = AS_TUPLE(a[1]);
    if (args->n > 0) dest = args->items[0];
    if (args->n > 1) prefix = args->items[1];
    if (args->n > 2) keep = args->items[2];
    int kv = tn_truthy(st, keep);
    if (kv < 0) return tn_undef();
    TnValue p = prefix_arg(st, prefix);
    if (IS_UNDEF(p)) return p;
    TnValue d = IS_NONE(dest) ? ordereddict_new(st) : tn_ref(dest);
    if (IS_UNDEF(d) || save_state(st, a[0], d, p, kv) < 0) {
        tn_decref(d);
        tn_decref(p);
        return tn_undef();
    }
    tn_decref(p);
    return d;
}

/* ------------------------------------------------------------- hooks */

static TnValue add_hook(TnState *st, TnDict **slot, TnValue hook)
{
    if (!*slot) {
        TnValue d = ordereddict_new(st);
        if (IS_UNDEF(d)) return d;
        *slot = AS_DICT(d);
    }
    int64_t id = module_next_hook_id();
    if (dict_set(st, *slot, tn_int(id), hook) < 0) return tn_undef();
    return module_handle_new(st, *slot, id);
}

static TnValue Module_register_forward_pre_hook(TnState *st, TnValue *a)
{
    TnModule *m = self_module(st, a[0]);
    return m ? add_hook(st, &m->pre_hooks, a[1]) : tn_undef();
}

static TnValue Module_register_forward_hook(TnState *st, TnValue *a)
{
    TnModule *m = self_module(st, a[0]);
    return m ? add_hook(st, &m->fwd_hooks, a[1]) : tn_undef();
}

static TnValue backward_hook(TnState *st, TnValue self, TnValue hook, int full)
{
    TnModule *m = self_module(st, self);
    if (!m) return tn_undef();
    if (m->full_bwd == !full)
        return tn_raise(st, tn_RuntimeError,
                        "Cannot use both regular backward hooks and full backward hooks on a "
                        "single Module. Please use only one of them.");
    m->full_bwd = full;
    return add_hook(st, &m->bwd_hooks, hook);
}

static TnValue Module_register_full_backward_hook(TnState *st, TnValue *a)
{
    return backward_hook(st, a[0], a[1], 1);
}

static TnValue Module_register_backward_hook(TnState *st, TnValue *a)
{
    return backward_hook(st, a[0], a[1], 0);
}

/* ------------------------------------------------------------- __call__ */

static TnValue call_forward(TnState *st, TnValue self, const TnValue *args, int nargs,
                            TnStr *const *kwnames, int nkw)
{
    TnModule *m = MOD(self);
    TnValue f;
    if (m->dict->n && !IS_UNDEF(f = dict_get_str(m->dict, s_forward))) {
        tn_incref(f);
        TnValue r = tn_call(st, f, args, nargs, kwnames, nkw);
        tn_decref(f);
        return r;
    }
    f = type_lookup(AS_OBJ(self)->type, s_forward);
    tn_incref(f);
    TnValue r = tn_call_descr(st, f, self, args, nargs, kwnames, nkw);
    tn_decref(f);
    return r;
}

/* The hooks of a dict as a list (hooks may remove themselves while running). */
static TnValue hook_list(TnState *st, TnDict *d)
{
    TnValue l = list_new(st, 0);
    int64_t pos = 0;
    TnValue k, v;
    while (!IS_UNDEF(l) && d && dict_next(d, &pos, &k, &v))
        if (list_append(st, AS_LIST(l), v) < 0) {
            tn_decref(l);
            return tn_undef();
        }
    return l;
}

static TnValue call_hooked(TnState *st, TnValue self, const TnValue *args, int nargs,
                           TnStr *const *kwnames, int nkw)
{
    TnModule *m = MOD(self);
    TnValue input = tuple_from_array(st, args, nargs);
    TnValue hooks = tn_undef(), bw = tn_undef(), result = tn_undef();
    TnValue *argv = NULL;
    if (IS_UNDEF(input)) return input;
    if (dict_len(m->pre_hooks)) {
        hooks = hook_list(st, m->pre_hooks);
        if (IS_UNDEF(hooks)) goto fail;
        for (int64_t i = 0; i < AS_LIST(hooks)->n; i++) {
            TnValue hargs[2] = {self, input};
            TnValue r = tn_call(st, AS_LIST(hooks)->items[i], hargs, 2, NULL, 0);
            if (IS_UNDEF(r)) goto fail;
            if (IS_NONE(r)) continue;
            tn_decref(input);
            if (IS_TUPLE(r)) {
                input = r;
            } else {
                input = tuple_pack(st, 1, r);
                tn_decref(r);
                if (IS_UNDEF(input)) goto fail;
            }
        }
        tn_decref(hooks);
        hooks = tn_undef();
    }
    if (dict_len(m->bwd_hooks)) {
        TnValue cls = tn_getattr(st, nn_namespace, s_bwhook); /* stdlib/nn_hooks.tn */
        if (IS_UNDEF(cls)) goto fail;
        hooks = hook_list(st, m->bwd_hooks);
        if (IS_UNDEF(hooks)) {
            tn_decref(cls);
            goto fail;
        }
        TnValue cargs[3] = {self, hooks, tn_bool(m->full_bwd == 1)};
        bw = tn_call(st, cls, cargs, 3, NULL, 0);
        tn_decref(cls);
        tn_decref(hooks);
        hooks = tn_undef();
        if (IS_UNDEF(bw)) goto fail;
        TnValue ni = tn_call_method(st, bw, s_setup_in, &input, 1);
        if (IS_UNDEF(ni)) goto fail;
        tn_decref(input);
        input = ni;
        if (!IS_TUPLE(input)) {
            tn_raise(st, tn_TypeError, "_BackwardHook.setup_input_hook must return a tuple");
            goto fail;
        }
    }
    int64_t nin = AS_TUPLE(input)->n;
    argv = tn_malloc((size_t)(nin + nkw + 1) * sizeof(TnValue));
    if (!argv) {
        tn_no_memory(st);
        goto fail;
    }
    if (nin) memcpy(argv, AS_TUPLE(input)->items, (size_t)nin * sizeof(TnValue));
    if (nkw) memcpy(argv + nin, args + nargs, (size_t)nkw * sizeof(TnValue));
    result = call_forward(st, self, argv, (int)nin, kwnames, nkw);
    tn_free(argv);
    if (IS_UNDEF(result)) goto fail;
    if (dict_len(m->fwd_hooks)) {
        hooks = hook_list(st, m->fwd_hooks);
        if (IS_UNDEF(hooks)) goto fail;
        for (int64_t i = 0; i < AS_LIST(hooks)->n; i++) {
            TnValue hargs[3] = {self, input, result};
            TnValue r = tn_call(st, AS_LIST(hooks)->items[i], hargs, 3, NULL, 0);
            if (IS_UNDEF(r)) goto fail;
            if (IS_NONE(r)) continue;
            tn_decref(result);
            result = r;
        }
        tn_decref(hooks);
        hooks = tn_undef();
    }
    if (!IS_UNDEF(bw)) {
        TnValue r = tn_call_method(st, bw, s_setup_out, &result, 1);
        if (IS_UNDEF(r)) goto fail;
        tn_decref(result);
        result = r;
        tn_decref(bw);
    }
    tn_decref(input);
    return result;
fail:
    tn_decref(input);
    tn_decref(hooks);
    tn_decref(bw);
    tn_decref(result);
    return tn_undef();
}

static TnValue module_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                           TnStr *const *kwnames, int nkw)
{
    TnModule *m = MOD(self);
    if (TN_LIKELY(!dict_len(m->pre_hooks) && !dict_len(m->fwd_hooks) && !dict_len(m->bwd_hooks)))
        return call_forward(st, self, args, nargs, kwnames, nkw);
    return call_hooked(st, self, args, nargs, kwnames, nkw);
}

static TnValue Module___call__(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                               int nkw)
{
    if (nargs < 1 || !module_check(args[0]))
        return tn_raise(st, tn_TypeError, "Module.__call__ needs a Module as first argument");
    return module_call(st, args[0], args + 1, nargs - 1, kwnames, nkw);
}

/* ------------------------------------------------------------- repr */

static bool put_indented(TnBuf *b, const char *s, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (!buf_putc(b, s[i])) return false;
        if (s[i] == '\n' && !buf_puts(b, "  ")) return false;
    }
    return true;
}

static TnValue module_repr(TnState *st, TnValue self)
{
    TnModule *m = MOD(self);
    TnValue extra = tn_call_method(st, self, s_extra_repr, NULL, 0);
    if (IS_UNDEF(extra)) return extra;
    if (!IS_STR(extra)) {
        tn_decref(extra);
        return tn_raise(st, tn_TypeError, "extra_repr() must return a str");
    }
    if (tn_recursion_enter(st, " while getting the repr of an object") < 0) {
        tn_decref(extra);
        return tn_undef();
    }
    TnBuf kids = {0}, b = {0};
    bool ok = true;
    int64_t nkids = 0;
    int64_t pos = 0;
    TnValue k, v;
    while (ok && m->modules && dict_next(m->modules, &pos, &k, &v)) {
        TnValue r = tn_repr(st, v);
        if (IS_UNDEF(r)) goto fail;
        ok = buf_puts(&kids, "\n  (") && buf_puts(&kids, AS_STR(k)->data) &&
             buf_puts(&kids, "): ") && put_indented(&kids, AS_STR(r)->data, AS_STR(r)->len);
        tn_decref(r);
        nkids++;
    }
    TnStr *ex = AS_STR(extra);
    bool one_line = ex->len > 0 && !memchr(ex->data, '\n', (size_t)ex->len) && nkids == 0;
    ok = ok && buf_puts(&b, tn_type_name(self)) && buf_putc(&b, '(');
    if (one_line) {
        ok = ok && buf_putn(&b, ex->data, (size_t)ex->len);
    } else if (ex->len > 0 || nkids > 0) {
        if (ex->len > 0) {
            ok = ok && buf_puts(&b, "\n  ");
            for (int64_t i = 0; ok && i < ex->len; i++)
                ok = ex->data[i] == '\n' ? buf_puts(&b, "\n  ") : buf_putc(&b, ex->data[i]);
        }
        ok = ok && (kids.n == 0 || buf_putn(&b, kids.p, kids.n)) && buf_putc(&b, '\n');
    }
    ok = ok && buf_putc(&b, ')');
    buf_free(&kids);
    tn_decref(extra);
    tn_recursion_leave(st);
    if (!ok) {
        buf_free(&b);
        return tn_no_memory(st);
    }
    return buf_to_str(st, &b);
fail:
    buf_free(&kids);
    buf_free(&b);
    tn_decref(extra);
    tn_recursion_leave(st);
    return tn_undef();
}

static TnValue Module___repr__(TnState *st, TnValue *a)
{
    if (!self_module(st, a[0])) return tn_undef();
    return module_repr(st, a[0]);
}

/* ------------------------------------------------------------- help */

/* Prints a docstring as inspect.cleandoc leaves it, then a blank line. */
static void put_cleandoc(const char *doc)
{
    const char *lines[512];
    int lens[512], n = 0;
    for (const char *p = doc; n < 512;) {
        const char *e = strchr(p, '\n');
        lines[n] = p;
        lens[n++] = e ? (int)(e - p) : (int)strlen(p);
        if (!e) break;
        p = e + 1;
    }
    int indent = 1 << 30;
    for (int i = 1; i < n; i++) {
        int k = 0;
        while (k < lens[i] && lines[i][k] == ' ')
            k++;
        if (k < lens[i] && k < indent) indent = k;
    }
    while (lens[0] && *lines[0] == ' ')
        lines[0]++, lens[0]--;
    for (int i = 1; i < n; i++) {
        int cut = indent < lens[i] ? indent : lens[i];
        lines[i] += cut;
        lens[i] -= cut;
    }
    int first = 0, last = n - 1;
    while (first <= last && lens[first] == 0)
        first++;
    while (last >= first && lens[last] == 0)
        last--;
    for (int i = first; i <= last; i++)
        printf("%.*s\n", lens[i], lines[i]);
    if (first <= last) putchar('\n');
}

int module_help(TnState *st, TnValue v)
{
    if (!module_check(v)) return 0;
    TnType *t = tn_type_of(v);
    TnValue r = tn_repr(st, v);
    if (IS_UNDEF(r)) return -1;
    TnValue params = named_members(st, v, KIND_PARAMS, tn_obj(str_intern("")), true);
    if (IS_UNDEF(params)) {
        tn_decref(r);
        return -1;
    }
    int64_t total = 0, trainable = 0, nmods = 0;
    for (int64_t i = 0; i < AS_LIST(params)->n; i++) {
        TnValue p = AS_TUPLE(AS_LIST(params)->items[i])->items[1];
        if (!IS_TENSOR(p)) continue;
        int64_t n = tensor_numel(AS_TENSOR(p));
        total += n;
        if (AS_TENSOR(p)->requires_grad) trainable += n;
    }
    tn_decref(params);
    TnValue mods = named_modules_list(st, v, tn_obj(str_intern("")), true);
    if (IS_UNDEF(mods)) {
        tn_decref(r);
        return -1;
    }
    nmods = AS_LIST(mods)->n - 1;
    tn_decref(mods);
    printf("Help on %s object (nn.Module):\n\n", t->name);
    /* the docstring of the nearest class that has one */
    for (TnType *c = t; c; c = c->base) {
        TnValue doc = c->dict ? dict_get_str(c->dict, str_intern("__doc__")) : tn_undef();
        if (IS_STR(doc)) {
            put_cleandoc(AS_STR(doc)->data);
            break;
        }
    }
    printf("%s\n\n", AS_STR(r)->data);
    printf("Submodules: %lld\nParameters: %lld (trainable: %lld)\n", (long long)nmods,
           (long long)total, (long long)trainable);
    tn_decref(r);
    return 1;
}

/* ------------------------------------------------------------- node names */

/* The functional layers and losses are tn compositions of torch ops, so their
 * results would print the last op's node (MeanBackward0). F._named(t, name) puts
 * one pass-through node of PyTorch's name on top, so `loss` prints
 * grad_fn=<MseLossBackward0> as in PyTorch while the gradient flows through the
 * composition unchanged. */
static int named_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
{
    gin[0] = gout[0];
    tn_obj_incref(gin[0]);
    return 0;
}

#define NAMED_KIND(var, name) static TN_NODE_KIND(var, name, named_backward);
NAMED_KIND(k_mse, "MseLossBackward0")
NAMED_KIND(k_nll, "NllLossBackward0")
NAMED_KIND(k_nll2d, "NllLoss2DBackward0")
NAMED_KIND(k_bce, "BinaryCrossEntropyBackward0")
NAMED_KIND(k_bcel, "BinaryCrossEntropyWithLogitsBackward0")
NAMED_KIND(k_sl1, "SmoothL1LossBackward0")
NAMED_KIND(k_huber, "HuberLossBackward0")
NAMED_KIND(k_gelu, "GeluBackward0")
NAMED_KIND(k_silu, "SiluBackward0")
NAMED_KIND(k_lrelu, "LeakyReluBackward0")
NAMED_KIND(k_elu, "EluBackward0")
NAMED_KIND(k_softplus, "SoftplusBackward0")
NAMED_KIND(k_logsigmoid, "LogSigmoidBackward0")
NAMED_KIND(k_hardtanh, "HardtanhBackward0")
NAMED_KIND(k_mish, "MishBackward0")
NAMED_KIND(k_ln, "NativeLayerNormBackward0")
NAMED_KIND(k_bn, "NativeBatchNormBackward0")
NAMED_KIND(k_emb, "EmbeddingBackward0")
NAMED_KIND(k_conv, "ConvolutionBackward0")
NAMED_KIND(k_maxpool, "MaxPool2DWithIndicesBackward0")
NAMED_KIND(k_avgpool, "AvgPool2DBackward0")
NAMED_KIND(k_adaptive_avg, "AdaptiveAvgPool2DBackward0")
NAMED_KIND(k_pad, "ConstantPadNdBackward0")
NAMED_KIND(k_div1, "DivBackward1")
NAMED_KIND(k_reflect1, "ReflectionPad1DBackward0")
NAMED_KIND(k_reflect2, "ReflectionPad2DBackward0")
NAMED_KIND(k_reflect3, "ReflectionPad3DBackward0")
NAMED_KIND(k_replicate1, "ReplicationPad1DBackward0")
NAMED_KIND(k_replicate2, "ReplicationPad2DBackward0")
NAMED_KIND(k_replicate3, "ReplicationPad3DBackward0")
NAMED_KIND(k_copyslices, "CopySlices")
NAMED_KIND(k_bwhook, "BackwardHookFunctionBackward")
NAMED_KIND(k_reshape_alias, "ReshapeAliasBackward0")

static TnNodeKind *const named_kinds[] = {
    &k_mse,  &k_nll,   &k_nll2d,   &k_bce,      &k_bcel,     &k_sl1,  &k_huber, &k_gelu,
    &k_silu, &k_lrelu, &k_elu,     &k_softplus, &k_hardtanh, &k_mish, &k_ln,    &k_bn,
    &k_emb,  &k_conv,  &k_maxpool, &k_avgpool,  &k_pad,      &k_div1, &k_reflect1,
    &k_reflect2, &k_reflect3, &k_replicate1, &k_replicate2, &k_replicate3, &k_copyslices,
    &k_bwhook, &k_reshape_alias, &k_logsigmoid, &k_adaptive_avg,
};

static TnValue F__named(TnState *st, TnValue *a)
{
    if (!IS_TENSOR(a[0]) || !AS_TENSOR(a[0])->requires_grad || !autograd_is_enabled())
        return tn_ref(a[0]);
    if (!IS_STR(a[1])) return tn_raise(st, tn_TypeError, "_named() needs a node name");
    TnNodeKind *kind = NULL;
    for (size_t i = 0; i < sizeof named_kinds / sizeof named_kinds[0] && !kind; i++)
        if (strcmp(named_kinds[i]->type.name, AS_STR(a[1])->data) == 0) kind = named_kinds[i];
    if (!kind) return tn_raise(st, tn_ValueError, "unknown node name '%s'", AS_STR(a[1])->data);
    TnTensor *x = AS_TENSOR(a[0]);
    TnTensor *out = tensor_alias(st, x, x->ndim, x->sizes, x->strides, x->offset);
    if (!out) return tn_undef();
    TnGradFn *n = autograd_node_new(st, kind, 1, 1, 0, 0);
    if (!n) {
        tn_obj_decref(out);
        return tn_undef();
    }
    autograd_node_set_input(n, 0, x);
    int rc = autograd_set_output(st, n, 0, out);
    tn_obj_decref(n);
    if (rc < 0) {
        tn_obj_decref(out);
        return tn_undef();
    }
    return tn_obj(out);
}

static const TnMethodDef functional_defs[] = {
    {"_named",               F__named, "_named(input, name)", NULL,
     "input under a pass-through autograd node named like PyTorch's fused op."},
    {NULL},
};

/* ------------------------------------------------------------- getsets */

static TnValue get_training(TnState *st, TnValue self)
{
    return tn_bool(MOD(self)->training);
}

static int set_training(TnState *st, TnValue self, TnValue v)
{
    if (IS_UNDEF(v))
        return tn_raise_int(st, tn_AttributeError, "cannot delete attribute 'training'");
    int t = tn_truthy(st, v);
    if (t < 0) return -1;
    MOD(self)->training = t;
    return 0;
}

static TnValue get_registry(TnState *st, TnValue self, TnDict *d, const char *name)
{
    if (!d)
        return tn_raise(st, tn_AttributeError, "'%s' object has no attribute '%s'",
                        tn_type_name(self), name);
    tn_obj_incref(d);
    return tn_obj(d);
}

static TnValue get_params(TnState *st, TnValue self)
{
    return get_registry(st, self, MOD(self)->params, "_parameters");
}
static TnValue get_buffers(TnState *st, TnValue self)
{
    return get_registry(st, self, MOD(self)->buffers, "_buffers");
}
static TnValue get_modules(TnState *st, TnValue self)
{
    return get_registry(st, self, MOD(self)->modules, "_modules");
}
static TnValue get_nonpersist(TnState *st, TnValue self)
{
    TnSet *s = MOD(self)->nonpersist;
    if (!s)
        return tn_raise(st, tn_AttributeError,
                        "'%s' object has no attribute "
                        "'_non_persistent_buffers_set'",
                        tn_type_name(self));
    tn_obj_incref(s);
    return tn_obj(s);
}

static int set_registry(TnState *st, TnDict **slot, TnValue v, const char *name)
{
    if (!tn_is_dict(v)) return tn_raise_int(st, tn_TypeError, "%s must be a dict", name);
    tn_obj_incref(AS_DICT(v));
    tn_obj_decref(*slot);
    *slot = AS_DICT(v);
    return 0;
}

static int set_params(TnState *st, TnValue self, TnValue v)
{
    return set_registry(st, &MOD(self)->params, v, "_parameters");
}
static int set_buffers(TnState *st, TnValue self, TnValue v)
{
    return set_registry(st, &MOD(self)->buffers, v, "_buffers");
}
static int set_modules(TnState *st, TnValue self, TnValue v)
{
    return set_registry(st, &MOD(self)->modules, v, "_modules");
}

static TnValue get_hooks(TnState *st, TnDict **slot)
{
    if (!*slot) {
        TnValue d = ordereddict_new(st);
        if (IS_UNDEF(d)) return d;
        *slot = AS_DICT(d);
    }
    tn_obj_incref(*slot);
    return tn_obj(*slot);
}

static TnValue get_pre_hooks(TnState *st, TnValue self)
{
    return get_hooks(st, &MOD(self)->pre_hooks);
}
static TnValue get_fwd_hooks(TnState *st, TnValue self)
{
    return get_hooks(st, &MOD(self)->fwd_hooks);
}
static TnValue get_bwd_hooks(TnState *st, TnValue self)
{
    return get_hooks(st, &MOD(self)->bwd_hooks);
}

/* ------------------------------------------------------------- tables */

static const TnMethodDef module_methods[] = {
    {"__init__",                                                                                 Module___init__, "__init__(self)", NULL, "Initializes internal Module state."},
    {"__call__",                                                                          NULL, NULL, Module___call__, "Runs forward with the registered hooks."},
    {"__repr__",                                                      Module___repr__, "__repr__(self)", NULL, NULL},
    {"__setattr__",                                                                                 Module___setattr__, "__setattr__(self, name, value, /)", NULL, NULL},
    {"__delattr__",                                                                                      Module___delattr__, "__delattr__(self, name, /)", NULL, NULL},
    {"__getattr__",                                                 Module___getattr__, "__getattr__(self, name, /)", NULL, NULL},
    {"forward",                                                                                 Module_forward, "forward(self, *input, **kwargs)", NULL,
     "Defines the computation performed at every call. Should be overridden by all subclasses."},
    {"extra_repr",                                                                          Module_extra_repr, "extra_repr(self)", NULL,
     "Set the extra representation of the module."},
    {"_get_name",                                                                                      Module__get_name, "_get_name(self)", NULL, NULL},
    {"_become",                                                                              Module__become, "_become(self, cls)", NULL, NULL},
    {"register_parameter",                                                       Module_register_parameter, "register_parameter(self, name, param)", NULL,
     "Adds a parameter to the module."},
    {"register_buffer",                                                                                      Module_register_buffer,
     "register_buffer(self, name, tensor, persistent=True)", NULL, "Adds a buffer to the module."},
    {"add_module",                                                                              Module_add_module, "add_module(self, name, module)", NULL,
     "Adds a child module to the current module."},
    {"register_module",                                                              Module_add_module, "register_module(self, name, module)", NULL,
     "Alias for add_module."},
    {"train",                                                                                      Module_train, "train(self, mode=True)", NULL, "Sets the module in training mode."},
    {"eval",                                                                              Module_eval, "eval(self)", NULL, "Sets the module in evaluation mode."},
    {"parameters",                                                              Module_parameters, "parameters(self, recurse=True)", NULL,
     "Returns an iterator over module parameters."},
    {"named_parameters",                                                                                      Module_named_parameters, "named_parameters(self, prefix='', recurse=True)",
     NULL, "Returns an iterator over module parameters, yielding both the name and the parameter."},
    {"buffers",                                                                                  Module_buffers, "buffers(self, recurse=True)", NULL,
     "Returns an iterator over module buffers."},
    {"named_buffers",                                                         Module_named_buffers, "named_buffers(self, prefix='', recurse=True)", NULL,
     "Returns an iterator over module buffers, yielding both the name and the buffer."},
    {"children", Module_children, "children(self)", NULL,
     "Returns an iterator over immediate children modules."},
    {"named_children",                                                                               Module_named_children, "named_children(self)", NULL,
     "Returns an iterator over immediate children modules, yielding name and module."},
    {"modules",                                                                        Module_modules, "modules(self)", NULL,
     "Returns an iterator over all modules in the network."},
    {"named_modules",                                              Module_named_modules,
     "named_modules(self, memo=None, prefix='', remove_duplicate=True)", NULL,
     "Returns an iterator over all modules in the network, yielding name and module."},
    {"state_dict",                                                                                Module_state_dict,
     "state_dict(self, *args, destination=None, prefix='', keep_vars=False)", NULL,
     "Returns a dictionary containing a whole state of the module."},
    {"register_forward_pre_hook",                                                                         Module_register_forward_pre_hook,
     "register_forward_pre_hook(self, hook)", NULL, "Registers a forward pre-hook on the module."},
    {"register_forward_hook",                                                                                      Module_register_forward_hook, "register_forward_hook(self, hook)",
     NULL, "Registers a forward hook on the module."},
    {"register_full_backward_hook",                                                                                  Module_register_full_backward_hook,
     "register_full_backward_hook(self, hook)", NULL, "Registers a backward hook on the module."},
    {"register_backward_hook",                                                                      Module_register_backward_hook, "register_backward_hook(self, hook)",
     NULL, "Registers a backward hook on the module."},
    {NULL                                                                                     },
};

static const TnGetSetDef module_getset[] = {
    {"training",    get_training, set_training, NULL},
    {"_parameters", get_params, set_params, NULL},
    {"_buffers",             get_buffers, set_buffers, NULL},
    {"_modules",   get_modules, set_modules, NULL},
    {"_non_persistent_buffers_set",         get_nonpersist, NULL, NULL},
    {"_forward_pre_hooks",    get_pre_hooks, NULL, NULL},
    {"_forward_hooks",  get_fwd_hooks, NULL, NULL},
    {"_backward_hooks",             get_bwd_hooks, NULL, NULL},
    {NULL},
};

TnType tn_module_type = {
    .head = {0, NULL},
    .name = "Module",
    .flags = TN_TYPE_BASETYPE | TN_TYPE_HAS_DICT,
    .alloc = module_alloc,
    .dealloc = module_dealloc,
    .traverse = module_traverse,
    .repr = module_repr,
    .getattr = module_getattr,
    .setattr = module_setattr,
    .call = module_call,
    .dir = module_dir,
    .methods = module_methods,
    .getset = module_getset,
};

static int set_module_name(TnState *st, TnType *t, const char *mod)
{
    TnValue s = tn_str(st, mod);
    if (IS_UNDEF(s)) return -1;
    int rc = dict_set_str(st, t->dict, s_module, s);
    tn_decref(s);
    return rc;
}

int module_init(TnState *st, TnValue nn_ns)
{
    s_forward = str_intern("forward");
    s_discard = str_intern("discard");
    s_extra_repr = str_intern("extra_repr");
    s_train = str_intern("train");
    s_detach = str_intern("detach");
    s_setup_in = str_intern("setup_input_hook");
    s_setup_out = str_intern("setup_output_hook");
    s_bwhook = str_intern("_BackwardHook");
    s_module = str_intern("__module__");
    nn_namespace = nn_ns;
    if (type_ready(st, &tn_module_type) < 0 || type_ready(st, &tn_handle_type) < 0 ||
        set_module_name(st, &tn_module_type, "torch.nn.modules.module") < 0 ||
        set_module_name(st, &tn_handle_type, "torch.utils.hooks") < 0)
        return -1;
    TnValue doc = tn_str(st, "Base class for all neural network modules.");
    if (IS_UNDEF(doc)) return -1;
    tn_module_type.doc = doc;
    TnDict *d = ns_dict(nn_ns);
    if (dict_set_str(st, d, str_intern("Module"), tn_obj(&tn_module_type)) < 0 ||
        dict_set_str(st, d, str_intern("Parameter"), tn_obj(&tn_parameter_type)) < 0)
        return -1;
    TnValue F = dict_get_str(d, str_intern("functional"));
    if (IS_TYPEOF(F, &tn_namespace_type) &&
        (ns_add_methods(st, F, functional_defs) < 0 || functional_init(st, F) < 0))
        return -1;
    builtins_help_hook = module_help;
    return 0;
}
