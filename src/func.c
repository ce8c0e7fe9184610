/* func.c: user functions and their calls, cells, bound methods, property/staticmethod/classmethod, super. */
#include "interp.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- cells */

static void cell_dealloc(TnObject *o)
{
    tn_decref(((TnCell *)o)->v);
    tn_free_object(o);
}

static void cell_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit(((TnCell *)o)->v, visit, arg);
}

/* Leaves the cell unbound: this breaks every cycle through a closure. */
static void cell_clear(TnObject *o)
{
    TnCell *c = (TnCell *)o;
    TnValue v = c->v;
    c->v = tn_undef();
    tn_decref(v);
}

TnType tn_cell_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "cell",
    .dealloc = cell_dealloc,
    .traverse = cell_traverse,
    .clear = cell_clear,
};

TnValue cell_new(TnState *st, TnValue v)
{
    TnCell *c = tn_alloc_object(st, &tn_cell_type, sizeof(TnCell));
    if (!c)
        return tn_undef();
    tn_incref(v);
    c->v = v;
    return tn_obj(c);
}

/* ----------------------------------------------------- argument binding */

/* Argument errors name the function as Python does: by its qualified name. */
static const char *fn_name(TnFunction *fn)
{
    return fn->qualname->data;
}

static void missing_error(TnState *st, TnFunction *fn, TnValue *slots, int from, int to,
                          const char *kind)
{
    TnScope *sc = fn->scope;
    int missing[64], n = 0;
    for (int i = from; i < to && n < 64; i++)
        if (IS_UNDEF(slots[i]))
            missing[n++] = i;
    TnBuf b = {0};
    for (int k = 0; k < n; k++) {
        if (k > 0)
            buf_puts(&b, n == 2 ? " and " : (k == n - 1 ? ", and " : ", "));
        buf_printf(&b, "'%s'", sc->param_names[missing[k]]->data);
    }
    tn_raise(st, tn_TypeError, "%s() missing %d required %s argument%s: %s", fn_name(fn), n, kind,
             n == 1 ? "" : "s", b.p ? b.p : "");
    buf_free(&b);
}

/* Binds a call to parameter slots. args[0..nargs) positional (self first if
 * given), then nkw keyword values. Slot values are new references. */
static int bind_args(TnState *st, TnFunction *fn, TnValue *slots, TnValue self,
                     const TnValue *args, int nargs, TnStr *const *kwnames, int nkw)
{
    TnScope *sc = fn->scope;
    int npos = sc->npos, given = nargs + (IS_UNDEF(self) ? 0 : 1);
    int ntake = given < npos ? given : npos;
    for (int i = 0; i < ntake; i++) {
        TnValue v = IS_UNDEF(self) ? args[i] : (i == 0 ? self : args[i - 1]);
        tn_incref(v);
        slots[i] = v;
    }
    if (given > npos) {
        if (sc->varargs_slot < 0) {
            int required = 0;
            for (int i = 0; i < npos; i++)
                required += IS_UNDEF(fn->defaults ? fn->defaults[i] : tn_undef());
            if (required == npos)
                tn_raise(st, tn_TypeError, "%s() takes %d positional argument%s but %d %s given",
                         fn_name(fn), npos, npos == 1 ? "" : "s", given,
                         given == 1 ? "was" : "were");
            else
                tn_raise(st, tn_TypeError,
                         "%s() takes from %d to %d positional arguments but %d were given",
                         fn_name(fn), required, npos, given);
            return -1;
        }
        int extra = given - npos;
        const TnValue *src = IS_UNDEF(self) ? args + npos : args + npos - 1;
        TnValue t = tuple_from_array(st, src, extra);
        if (IS_UNDEF(t))
            return -1;
        slots[sc->varargs_slot] = t;
    } else if (sc->varargs_slot >= 0) {
        TnValue t = tuple_new(st, 0);
        if (IS_UNDEF(t))
            return -1;
        slots[sc->varargs_slot] = t;
    }
    int nnamed = npos + sc->nkwonly;
    for (int k = 0; k < nkw; k++) {
        TnStr *kw = kwnames[k];
        TnValue v = args[nargs + k];
        int idx = -1;
        for (int i = 0; i < nnamed; i++)
            if (sc->param_names[i] == kw) {
                idx = i;
                break;
            }
        if (idx < 0)
            for (int i = 0; i < nnamed; i++)
                if (str_eq(sc->param_names[i], kw)) {
                    idx = i;
                    break;
                }
        if (idx >= 0) {
            if (!IS_UNDEF(slots[idx])) {
                tn_raise(st, tn_TypeError, "%s() got multiple values for argument '%s'",
                         fn_name(fn), kw->data);
                return -1;
            }
            tn_incref(v);
            slots[idx] = v;
            continue;
        }
        if (sc->varkw_slot < 0) {
            tn_raise(st, tn_TypeError, "%s() got an unexpected keyword argument '%s'",
                     fn_name(fn), kw->data);
            return -1;
        }
        if (IS_UNDEF(slots[sc->varkw_slot])) {
            TnValue d = dict_new(st);
            if (IS_UNDEF(d))
                return -1;
            slots[sc->varkw_slot] = d;
        }
        if (dict_set(st, AS_DICT(slots[sc->varkw_slot]), tn_obj(kw), v) < 0)
            return -1;
    }
    if (sc->varkw_slot >= 0 && IS_UNDEF(slots[sc->varkw_slot])) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return -1;
        slots[sc->varkw_slot] = d;
    }
    bool missing_pos = false, missing_kw = false;
    for (int i = 0; i < nnamed; i++) {
        if (!IS_UNDEF(slots[i]))
            continue;
        TnValue d = fn->defaults ? fn->defaults[i] : tn_undef();
        if (IS_UNDEF(d)) {
            if (i < npos)
                missing_pos = true;
            else
                missing_kw = true;
            continue;
        }
        tn_incref(d);
        slots[i] = d;
    }
    if (missing_pos) {
        missing_error(st, fn, slots, 0, npos, "positional");
        return -1;
    }
    if (missing_kw) {
        missing_error(st, fn, slots, npos, nnamed, "keyword-only");
        return -1;
    }
    return 0;
}

TnValue function_call(TnState *st, TnFunction *fn, TnValue self, const TnValue *args, int nargs,
                      TnStr *const *kwnames, int nkw)
{
    TnScope *sc = fn->scope;
    int nslots = sc->nslots;
    TnValue small[16];
    TnValue *slots = small;
    if (nslots > 16) {
        slots = tn_malloc((size_t)nslots * sizeof(TnValue));
        if (!slots)
            return tn_no_memory(st);
    }
    for (int i = 0; i < nslots; i++)
        slots[i] = tn_undef();
    TnValue result;
    /* fast path: exactly the positional parameters, nothing else */
    int given = nargs + (IS_UNDEF(self) ? 0 : 1);
    if (nkw == 0 && given == sc->npos && sc->nparams == sc->npos) {
        int k = 0;
        if (!IS_UNDEF(self)) {
            tn_incref(self);
            slots[k++] = self;
        }
        for (int i = 0; i < nargs; i++) {
            tn_incref(args[i]);
            slots[k++] = args[i];
        }
        result = function_run(st, fn, slots);
    } else if (bind_args(st, fn, slots, self, args, nargs, kwnames, nkw) < 0) {
        for (int i = 0; i < nslots; i++)
            tn_decref(slots[i]);
        result = tn_undef();
    } else {
        result = function_run(st, fn, slots);
    }
    if (slots != small)
        tn_free(slots);
    return result;
}

/* ------------------------------------------------------------ functions */

static void function_dealloc(TnObject *o)
{
    TnFunction *fn = (TnFunction *)o;
    if (fn->defaults) {
        for (int i = 0; i < fn->scope->npos + fn->scope->nkwonly; i++)
            tn_decref(fn->defaults[i]);
        tn_free(fn->defaults);
    }
    if (fn->closure) {
        for (int i = 0; i < fn->scope->nfree; i++)
            tn_obj_decref(fn->closure[i]);
        tn_free(fn->closure);
    }
    tn_obj_decref(fn->globals);
    tn_obj_decref(fn->dict);
    tn_decref(fn->doc);
    tn_obj_decref(fn->owner);
    arena_decref(fn->arena);
    tn_free_object(fn);
}

/* No clear slot: the cells, dicts and lists a function refers to break its cycles. */
static void function_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnFunction *fn = (TnFunction *)o;
    if (fn->defaults)
        for (int i = 0; i < fn->scope->npos + fn->scope->nkwonly; i++)
            tn_visit(fn->defaults[i], visit, arg);
    if (fn->closure)
        for (int i = 0; i < fn->scope->nfree; i++)
            tn_visit_obj(fn->closure[i], visit, arg);
    tn_visit_obj(fn->globals, visit, arg);
    tn_visit_obj(fn->dict, visit, arg);
    tn_visit(fn->doc, visit, arg);
    tn_visit_obj(fn->owner, visit, arg);
}

static TnValue function_call_slot(TnState *st, TnValue self, const TnValue *args, int nargs,
                                  TnStr *const *kwnames, int nkw)
{
    return function_call(st, AS_FUNCTION(self), tn_undef(), args, nargs, kwnames, nkw);
}

static TnValue function_repr(TnState *st, TnValue self)
{
    TnFunction *fn = AS_FUNCTION(self);
    return tn_str_fmt(st, "<function %s at %p>", fn->qualname->data, (void *)fn);
}

static TnValue function_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    if (IS_UNDEF(obj) || IS_NONE(obj))
        return tn_ref(descr);
    return method_new(st, descr, obj);
}

static TnValue function_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnFunction *fn = AS_FUNCTION(self);
    if (!strcmp(name->data, "__name__"))
        return tn_ref(tn_obj(fn->name));
    if (!strcmp(name->data, "__qualname__"))
        return tn_ref(tn_obj(fn->qualname));
    if (!strcmp(name->data, "__doc__"))
        return tn_ref(fn->doc);
    if (!strcmp(name->data, "__module__")) {
        TnValue m = dict_get_str(fn->globals, str_intern("__name__"));
        return IS_UNDEF(m) ? tn_none() : tn_ref(m);
    }
    if (fn->dict) {
        TnValue v = dict_get_str(fn->dict, name);
        if (!IS_UNDEF(v))
            return tn_ref(v);
    }
    return tn_generic_getattr(st, self, name);
}

static int function_setattr(TnState *st, TnValue self, TnStr *name, TnValue v)
{
    TnFunction *fn = AS_FUNCTION(self);
    if (!strcmp(name->data, "__doc__") && !IS_UNDEF(v)) {
        tn_incref(v);
        tn_decref(fn->doc);
        fn->doc = v;
        return 0;
    }
    if (!strcmp(name->data, "__name__") && IS_STR(v)) {
        fn->name = str_intern(AS_STR(v)->data); /* __qualname__ stays, as in Python */
        return 0;
    }
    if (!fn->dict) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return -1;
        fn->dict = AS_DICT(d);
    }
    if (IS_UNDEF(v)) {
        int rc = dict_del(st, fn->dict, tn_obj(name));
        if (rc == 0)
            return tn_raise_int(st, tn_AttributeError, "'function' object has no attribute '%s'",
                                name->data);
        return rc < 0 ? -1 : 0;
    }
    return dict_set_str(st, fn->dict, name, v);
}

TnType tn_function_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "function",
    .flags = TN_TYPE_METHOD_DESCR, /* called with self prepended, no bound method made */
    .dealloc = function_dealloc,
    .traverse = function_traverse,
    .repr = function_repr,
    .call = function_call_slot,
    .descr_get = function_descr_get,
    .getattr = function_getattr,
    .setattr = function_setattr,
};

/* -------------------------------------------------------- bound methods */

TnValue method_new(TnState *st, TnValue func, TnValue self)
{
    TnMethod *m = tn_alloc_object(st, &tn_method_type, sizeof(TnMethod));
    if (!m)
        return tn_undef();
    m->func = tn_ref(func);
    m->self = tn_ref(self);
    return tn_obj(m);
}

static void method_dealloc(TnObject *o)
{
    TnMethod *m = (TnMethod *)o;
    tn_decref(m->func);
    tn_decref(m->self);
    tn_free_object(m);
}

static void method_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnMethod *m = (TnMethod *)o;
    tn_visit(m->func, visit, arg);
    tn_visit(m->self, visit, arg);
}

static TnValue method_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                           TnStr *const *kwnames, int nkw)
{
    TnMethod *m = (TnMethod *)AS_OBJ(self);
    if (IS_FUNCTION(m->func))
        return function_call(st, AS_FUNCTION(m->func), m->self, args, nargs, kwnames, nkw);
    /* prepend self */
    int n = nargs + nkw;
    TnValue small[9];
    TnValue *all = n + 1 <= 9 ? small : tn_malloc((size_t)(n + 1) * sizeof(TnValue));
    if (!all)
        return tn_no_memory(st);
    all[0] = m->self;
    memcpy(all + 1, args, (size_t)n * sizeof(TnValue));
    TnValue r = tn_call(st, m->func, all, nargs + 1, kwnames, nkw);
    if (all != small)
        tn_free(all);
    return r;
}

static TnValue method_repr(TnState *st, TnValue self)
{
    TnMethod *m = (TnMethod *)AS_OBJ(self);
    TnValue r = tn_repr(st, m->self);
    if (IS_UNDEF(r))
        return r;
    /* Python names the method by its function's __qualname__ ("A.m") */
    TnValue out = IS_FUNCTION(m->func)
                      ? tn_str_fmt(st, "<bound method %s of %s>",
                                   AS_FUNCTION(m->func)->qualname->data, AS_STR(r)->data)
                      : tn_str_fmt(st, "<bound method %s.? of %s>", tn_type_name(m->self),
                                   AS_STR(r)->data);
    tn_decref(r);
    return out;
}

static TnValue method_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnMethod *m = (TnMethod *)AS_OBJ(self);
    if (!strcmp(name->data, "__self__"))
        return tn_ref(m->self);
    if (!strcmp(name->data, "__func__"))
        return tn_ref(m->func);
    return tn_getattr(st, m->func, name);
}

TnType tn_method_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "method",
    .dealloc = method_dealloc,
    .traverse = method_traverse,
    .repr = method_repr,
    .call = method_call,
    .getattr = method_getattr,
};

/* ------------------------------------------------ property and friends */

static void property_dealloc(TnObject *o)
{
    TnProperty *p = (TnProperty *)o;
    tn_decref(p->fget);
    tn_decref(p->fset);
    tn_decref(p->fdel);
    tn_decref(p->doc);
    tn_free_object(p);
}

static void property_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnProperty *p = (TnProperty *)o;
    tn_visit(p->fget, visit, arg);
    tn_visit(p->fset, visit, arg);
    tn_visit(p->fdel, visit, arg);
    tn_visit(p->doc, visit, arg);
}

static TnValue property_make(TnState *st, TnValue fget, TnValue fset, TnValue fdel, TnValue doc)
{
    TnProperty *p = tn_alloc_object(st, &tn_property_type, sizeof(TnProperty));
    if (!p)
        return tn_undef();
    p->fget = IS_UNDEF(fget) ? tn_none() : tn_ref(fget);
    p->fset = IS_UNDEF(fset) ? tn_none() : tn_ref(fset);
    p->fdel = IS_UNDEF(fdel) ? tn_none() : tn_ref(fdel);
    if ((IS_UNDEF(doc) || IS_NONE(doc)) && IS_FUNCTION(p->fget))
        doc = AS_FUNCTION(p->fget)->doc;
    p->doc = IS_UNDEF(doc) ? tn_none() : tn_ref(doc);
    return tn_obj(p);
}

static TnValue property_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                  TnStr *const *kwnames, int nkw)
{
    TnValue a[4] = {tn_undef(), tn_undef(), tn_undef(), tn_undef()};
    static const char *names[4] = {"fget", "fset", "fdel", "doc"};
    if (nargs > 4)
        return tn_raise(st, tn_TypeError, "property() takes at most 4 arguments (%d given)",
                        nargs);
    for (int i = 0; i < nargs; i++)
        a[i] = args[i];
    for (int k = 0; k < nkw; k++) {
        int idx = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(kwnames[k]->data, names[i]))
                idx = i;
        if (idx < 0)
            return tn_raise(st, tn_TypeError, "property() got an unexpected keyword argument '%s'",
                            kwnames[k]->data);
        a[idx] = args[nargs + k];
    }
    return property_make(st, a[0], a[1], a[2], a[3]);
}

static TnValue property_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    TnProperty *p = (TnProperty *)AS_OBJ(descr);
    if (IS_UNDEF(obj))
        return tn_ref(descr);
    if (IS_NONE(p->fget))
        return tn_raise(st, tn_AttributeError, "property of '%s' object has no getter",
                        tn_type_name(obj));
    return tn_call(st, p->fget, &obj, 1, NULL, 0);
}

static int property_descr_set(TnState *st, TnValue descr, TnValue obj, TnValue v)
{
    TnProperty *p = (TnProperty *)AS_OBJ(descr);
    TnValue fn = IS_UNDEF(v) ? p->fdel : p->fset;
    if (IS_NONE(fn)) {
        /* Python 3.11's wording; a property without a named getter has no name to quote */
        const char *what = IS_UNDEF(v) ? "deleter" : "setter";
        const char *pname = p->name                ? p->name->data
                            : IS_FUNCTION(p->fget) ? AS_FUNCTION(p->fget)->name->data
                                                   : NULL;
        if (pname)
            return tn_raise_int(st, tn_AttributeError, "property '%s' of '%s' object has no %s",
                                pname, tn_type_name(obj), what);
        return tn_raise_int(st, tn_AttributeError, "property of '%s' object has no %s",
                            tn_type_name(obj), what);
    }
    TnValue args[2] = {obj, v};
    TnValue r = tn_call(st, fn, args, IS_UNDEF(v) ? 1 : 2, NULL, 0);
    if (IS_UNDEF(r))
        return -1;
    tn_decref(r);
    return 0;
}

static TnValue property_setter(TnState *st, TnValue *a)
{
    TnProperty *p = (TnProperty *)AS_OBJ(a[0]);
    return property_make(st, p->fget, a[1], p->fdel, p->doc);
}

static TnValue property_deleter(TnState *st, TnValue *a)
{
    TnProperty *p = (TnProperty *)AS_OBJ(a[0]);
    return property_make(st, p->fget, p->fset, a[1], p->doc);
}

static TnValue property_getter(TnState *st, TnValue *a)
{
    TnProperty *p = (TnProperty *)AS_OBJ(a[0]);
    return property_make(st, a[1], p->fset, p->fdel, p->doc);
}

static TnValue property_get_doc(TnState *st, TnValue self)
{
    return tn_ref(((TnProperty *)AS_OBJ(self))->doc);
}

static TnValue property_get_fget(TnState *st, TnValue self)
{
    return tn_ref(((TnProperty *)AS_OBJ(self))->fget);
}

static const TnMethodDef property_methods[] = {
    {"setter", property_setter, "setter(self, fset)", NULL, NULL},
    {"deleter", property_deleter, "deleter(self, fdel)", NULL, NULL},
    {"getter", property_getter, "getter(self, fget)", NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static const TnGetSetDef property_getset[] = {
    {"__doc__", property_get_doc, NULL, NULL},
    {"fget", property_get_fget, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

TnType tn_property_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "property",
    .dealloc = property_dealloc,
    .traverse = property_traverse,
    .construct = property_construct,
    .descr_get = property_descr_get,
    .descr_set = property_descr_set,
    .methods = property_methods,
    .getset = property_getset,
};

static void wrapper_dealloc(TnObject *o)
{
    tn_decref(((TnWrapper *)o)->func);
    tn_free_object(o);
}

static void wrapper_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit(((TnWrapper *)o)->func, visit, arg);
}

static TnValue wrapper_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    if (nargs != 1 || nkw != 0)
        return tn_raise(st, tn_TypeError, "%s expected 1 argument, got %d", type->name, nargs);
    TnWrapper *w = tn_alloc_object(st, type, sizeof(TnWrapper));
    if (!w)
        return tn_undef();
    w->func = tn_ref(args[0]);
    return tn_obj(w);
}

static TnValue staticmethod_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    return tn_ref(((TnWrapper *)AS_OBJ(descr))->func);
}

static TnValue classmethod_descr_get(TnState *st, TnValue descr, TnValue obj, TnType *type)
{
    TnValue cls = IS_UNDEF(obj) ? tn_obj(type) : tn_obj(tn_type_of(obj));
    if (IS_TYPE(obj))
        cls = obj;
    return method_new(st, ((TnWrapper *)AS_OBJ(descr))->func, cls);
}

static TnValue staticmethod_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                                 TnStr *const *kwnames, int nkw)
{
    return tn_call(st, ((TnWrapper *)AS_OBJ(self))->func, args, nargs, kwnames, nkw);
}

TnType tn_staticmethod_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "staticmethod",
    .dealloc = wrapper_dealloc,
    .traverse = wrapper_traverse,
    .construct = wrapper_construct,
    .descr_get = staticmethod_descr_get,
    .call = staticmethod_call,
};

TnType tn_classmethod_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "classmethod",
    .dealloc = wrapper_dealloc,
    .traverse = wrapper_traverse,
    .construct = wrapper_construct,
    .descr_get = classmethod_descr_get,
};

/* ------------------------------------------------------------------ super */

TnValue super_new(TnState *st, TnType *cls, TnValue self)
{
    TnSuper *s = tn_alloc_object(st, &tn_super_type, sizeof(TnSuper));
    if (!s)
        return tn_undef();
    s->cls = cls;
    tn_obj_incref(cls);
    s->self = tn_ref(self);
    return tn_obj(s);
}

static void super_dealloc(TnObject *o)
{
    TnSuper *s = (TnSuper *)o;
    tn_obj_decref(s->cls);
    tn_decref(s->self);
    tn_free_object(s);
}

static void super_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnSuper *s = (TnSuper *)o;
    tn_visit_obj(s->cls, visit, arg);
    tn_visit(s->self, visit, arg);
}

static TnValue super_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnSuper *s = (TnSuper *)AS_OBJ(self);
    TnType *start = s->cls->base;
    TnValue v = start ? type_lookup(start, name) : tn_undef();
    if (IS_UNDEF(v))
        return tn_raise(st, tn_AttributeError, "'super' object has no attribute '%s'", name->data);
    TnType *vt = tn_type_of(v);
    if (vt->descr_get) {
        TnValue obj = IS_TYPE(s->self) ? tn_undef() : s->self;
        TnType *owner = IS_TYPE(s->self) ? AS_TYPE(s->self) : tn_type_of(s->self);
        if (vt == &tn_classmethod_type)
            return method_new(st, ((TnWrapper *)AS_OBJ(v))->func, tn_obj(owner));
        return vt->descr_get(st, v, obj, owner);
    }
    return tn_ref(v);
}

static TnValue super_repr(TnState *st, TnValue self)
{
    TnSuper *s = (TnSuper *)AS_OBJ(self);
    return tn_str_fmt(st, "<super: <class '%s'>, <%s object>>", s->cls->name,
                      tn_type_name(s->self));
}

TnType tn_super_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "super",
    .dealloc = super_dealloc,
    .traverse = super_traverse,
    .repr = super_repr,
    .getattr = super_getattr,
};

/* super(cls, obj) with explicit arguments; super() with none is handled in eval.c. */
static TnValue super_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                               TnStr *const *kwnames, int nkw)
{
    if (nargs != 2 || !IS_TYPE(args[0]))
        return tn_raise(st, tn_RuntimeError, "super(): no arguments");
    return super_new(st, AS_TYPE(args[0]), args[1]);
}

int func_types_init(TnState *st)
{
    tn_super_type.construct = super_construct;
    TnType *types[] = {&tn_cell_type,         &tn_function_type,     &tn_method_type,
                       &tn_property_type,     &tn_staticmethod_type, &tn_classmethod_type,
                       &tn_super_type};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (type_ready(st, types[i]) < 0)
            return -1;
    return 0;
}
