/* namespace.c: module-like objects (torch, nn, math, imported .tn files) whose attributes are a dict.
 *
 * A namespace owns its dict; natives added to it do not point back at it, so a
 * namespace and its functions form no reference cycle.
 */
#include "types.h"
#include <string.h>

typedef struct {
    TN_OBJECT_HEAD;
    TnDict *dict;
    TnStr *name;
} TnNamespace;

#define AS_NS(v) ((TnNamespace *)AS_OBJ(v))

TnValue ns_new(TnState *st, const char *name)
{
    TnNamespace *ns = tn_alloc_object(st, &tn_namespace_type, sizeof(TnNamespace));
    if (!ns)
        return tn_undef();
    TnValue v = tn_obj(ns);
    TnValue d = dict_new(st);
    TnValue n = tn_str(st, name);
    if (IS_UNDEF(d) || IS_UNDEF(n)) {
        tn_decref(d);
        tn_decref(n);
        tn_decref(v);
        return tn_undef();
    }
    ns->dict = AS_DICT(d);
    ns->name = AS_STR(n);
    TnStr *key = str_intern("__name__");
    if (!key || dict_set_str(st, ns->dict, key, n) < 0) {
        if (!key)
            (void)tn_no_memory(st);
        tn_decref(v);
        return tn_undef();
    }
    return v;
}

TnDict *ns_dict(TnValue ns)
{
    return AS_NS(ns)->dict;
}

int ns_add_methods(TnState *st, TnValue ns, const TnMethodDef *defs)
{
    for (const TnMethodDef *d = defs; d->name; d++) {
        TnValue f = native_new(st, d, ns);
        if (IS_UNDEF(f))
            return -1;
        TnStr *name = str_intern(d->name);
        int rc = name ? dict_set_str(st, AS_NS(ns)->dict, name, f) : -1;
        tn_decref(f);
        if (!name) {
            (void)tn_no_memory(st);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void ns_dealloc(TnObject *o)
{
    TnNamespace *ns = (TnNamespace *)o;
    TnDict *d = ns->dict;
    ns->dict = NULL;
    tn_obj_decref(d);
    tn_obj_decref(ns->name);
    tn_free_object(o);
}

/* A module that imports itself refers to itself through its dict, whose clear breaks it. */
static void ns_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit_obj(((TnNamespace *)o)->dict, visit, arg);
}

/* CPython compiles math, sys and time into the interpreter, and says so in their repr. */
static TnValue ns_repr(TnState *st, TnValue self)
{
    static const char *const builtin[] = {"math", "sys", "time"};
    const char *name = AS_NS(self)->name->data;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (!strcmp(name, builtin[i]))
            return tn_str_fmt(st, "<module '%s' (built-in)>", name);
    return tn_str_fmt(st, "<module '%s'>", name);
}

static TnValue ns_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnNamespace *ns = AS_NS(self);
    TnValue v = dict_get_str(ns->dict, name);
    if (!IS_UNDEF(v))
        return tn_ref(v);
    /* type attributes such as __class__ and __dict__ */
    v = tn_generic_getattr_opt(st, self, name);
    if (!IS_UNDEF(v) || !IS_UNDEF(st->exc))
        return v;
    return tn_raise(st, tn_AttributeError, "module '%s' has no attribute '%s'", ns->name->data,
                    name->data);
}

static int ns_setattr(TnState *st, TnValue self, TnStr *name, TnValue v)
{
    TnNamespace *ns = AS_NS(self);
    if (!IS_UNDEF(v))
        return dict_set_str(st, ns->dict, name, v);
    int r = dict_del(st, ns->dict, tn_obj(name));
    if (r == 0)
        return tn_raise_int(st, tn_AttributeError, "module '%s' has no attribute '%s'",
                            ns->name->data, name->data);
    return r < 0 ? -1 : 0;
}

static TnValue ns_dir(TnState *st, TnValue self)
{
    TnDict *d = AS_NS(self)->dict;
    TnValue l = list_new(st, 0);
    if (IS_UNDEF(l))
        return l;
    int64_t pos = 0;
    TnValue k;
    while (dict_next(d, &pos, &k, NULL)) {
        if (list_append(st, AS_LIST(l), k) < 0) {
            tn_decref(l);
            return tn_undef();
        }
    }
    return l;
}

static TnValue ns_get_dict(TnState *st, TnValue self)
{
    tn_obj_incref(AS_NS(self)->dict);
    return tn_obj(AS_NS(self)->dict);
}

static const TnGetSetDef ns_getset[] = {
    {"__dict__", ns_get_dict, NULL, NULL},
    {NULL},
};

TnType tn_namespace_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "module",
    .dealloc = ns_dealloc,
    .traverse = ns_traverse,
    .repr = ns_repr,
    .getattr = ns_getattr,
    .setattr = ns_setattr,
    .dir = ns_dir,
    .getset = ns_getset,
};
