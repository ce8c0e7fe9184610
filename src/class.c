/* class.c: user classes — type objects made at run time whose slots call dunder methods.
 *
 * A class statement runs its body into a namespace dict, then class_new() makes
 * a TnType around it. For every slot the class (or a user-defined ancestor)
 * defines a dunder for, the slot is set to a dispatcher that looks the dunder up
 * and calls it; other slots are inherited from the base type, so a subclass of
 * Exception or nn.Module keeps its base's native behaviour.
 */
#include "interp.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

static TnStr *d_repr, *d_str, *d_hash, *d_eq, *d_ne, *d_lt, *d_le, *d_gt, *d_ge, *d_bool,
    *d_len, *d_call, *d_iter, *d_next, *d_getitem, *d_setitem, *d_delitem, *d_contains,
    *d_getattr, *d_setattr, *d_neg, *d_pos, *d_invert, *d_init;
static TnStr *d_binop[OP_NBINARY], *d_rbinop[OP_NBINARY], *d_ibinop[OP_NBINARY];

static const char *binop_names[OP_NBINARY] = {"add", "sub",    "mul",    "truediv", "floordiv",
                                              "mod", "pow",    "matmul", "lshift",  "rshift",
                                              "and", "or",     "xor"};

static void init_names(void)
{
    if (d_repr)
        return;
    d_repr = str_intern("__repr__");
    d_str = str_intern("__str__");
    d_hash = str_intern("__hash__");
    d_eq = str_intern("__eq__");
    d_ne = str_intern("__ne__");
    d_lt = str_intern("__lt__");
    d_le = str_intern("__le__");
    d_gt = str_intern("__gt__");
    d_ge = str_intern("__ge__");
    d_bool = str_intern("__bool__");
    d_len = str_intern("__len__");
    d_call = str_intern("__call__");
    d_iter = str_intern("__iter__");
    d_next = str_intern("__next__");
    d_getitem = str_intern("__getitem__");
    d_setitem = str_intern("__setitem__");
    d_delitem = str_intern("__delitem__");
    d_contains = str_intern("__contains__");
    d_getattr = str_intern("__getattr__");
    d_setattr = str_intern("__setattr__");
    d_neg = str_intern("__neg__");
    d_pos = str_intern("__pos__");
    d_invert = str_intern("__invert__");
    d_init = str_intern("__init__");
    for (int i = 0; i < OP_NBINARY; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "__%s__", binop_names[i]);
        d_binop[i] = str_intern(buf);
        snprintf(buf, sizeof buf, "__r%s__", binop_names[i]);
        d_rbinop[i] = str_intern(buf);
        snprintf(buf, sizeof buf, "__i%s__", binop_names[i]);
        d_ibinop[i] = str_intern(buf);
    }
}

/* Is `name` defined by a user class in t's chain (not by a built-in base)? */
static bool user_defines(TnType *t, TnStr *name)
{
    for (; t && (t->flags & TN_TYPE_HEAP); t = t->base)
        if (!IS_UNDEF(dict_get_str(t->dict, name)))
            return true;
    return false;
}

/* Calls self.<name>(args) through the class chain; UNDEF+no error if absent. */
static TnValue call_dunder(TnState *st, TnValue self, TnStr *name, const TnValue *args, int n)
{
    TnType *t = tn_type_of(self);
    TnValue m = type_lookup(t, name);
    if (IS_UNDEF(m))
        return tn_undef();
    if (IS_FUNCTION(m))
        return function_call(st, AS_FUNCTION(m), self, args, n, NULL, 0);
    return tn_call_descr(st, m, self, args, n, NULL, 0);
}

static TnType *first_builtin(TnType *t)
{
    while (t && (t->flags & TN_TYPE_HEAP))
        t = t->base;
    return t;
}

/* ---------------------------------------------------------- dispatchers */

static TnValue cls_repr(TnState *st, TnValue self)
{
    /* a list or dict subclass without a __repr__ of its own prints as its base does */
    TnType *b = first_builtin(tn_type_of(self));
    if (b && b != &tn_object_type && b->repr && !user_defines(tn_type_of(self), d_repr))
        return b->repr(st, self);
    TnValue r = call_dunder(st, self, d_repr, NULL, 0);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc))
        return tn_default_repr(st, self);
    if (!IS_UNDEF(r) && !IS_STR(r)) {
        tn_decref(r);
        return tn_raise(st, tn_TypeError, "__repr__ returned non-string (type %s)",
                        tn_type_name(r));
    }
    return r;
}

static TnValue cls_str(TnState *st, TnValue self)
{
    TnValue r = call_dunder(st, self, d_str, NULL, 0);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc))
        return tn_repr(st, self);
    if (!IS_UNDEF(r) && !IS_STR(r)) {
        tn_decref(r);
        return tn_raise(st, tn_TypeError, "__str__ returned non-string (type %s)",
                        tn_type_name(r));
    }
    return r;
}

static int cls_hash(TnState *st, TnValue self, uint64_t *out)
{
    TnValue m = type_lookup(tn_type_of(self), d_hash);
    if (IS_NONE(m))
        return tn_raise_int(st, tn_TypeError, "unhashable type: '%s'", tn_type_name(self));
    TnValue r = call_dunder(st, self, d_hash, NULL, 0);
    if (IS_UNDEF(r)) {
        if (!IS_UNDEF(st->exc))
            return -1;
        *out = (uint64_t)(uintptr_t)AS_OBJ(self) >> 4;
        return 0;
    }
    if (!IS_INTLIKE(r)) {
        tn_decref(r);
        return tn_raise_int(st, tn_TypeError, "__hash__ method should return an integer");
    }
    *out = (uint64_t)AS_INT(r);
    return 0;
}

static TnValue cls_richcmp(TnState *st, TnValue a, TnValue b, int op)
{
    static TnStr **names[] = {&d_lt, &d_le, &d_eq, &d_ne, &d_gt, &d_ge};
    TnValue r = call_dunder(st, a, *names[op], &b, 1);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc)) {
        if (op == CMP_NE) {
            /* default __ne__ inverts __eq__ */
            TnValue e = call_dunder(st, a, d_eq, &b, 1);
            if (IS_UNDEF(e))
                return IS_UNDEF(st->exc) ? tn_notimpl() : e;
            if (tn_is_notimpl(e))
                return e;
            int t = tn_truthy(st, e);
            tn_decref(e);
            return t < 0 ? tn_undef() : tn_bool(!t);
        }
        TnType *bt = first_builtin(tn_type_of(a));
        if (bt && bt->richcmp)
            return bt->richcmp(st, a, b, op);
        return tn_notimpl();
    }
    return r;
}

static TnValue cls_binop(TnState *st, int op, TnValue a, TnValue b, bool inplace)
{
    TnType *ta = tn_type_of(a);
    TnValue r;
    if (ta->binop == cls_binop) {
        if (inplace && user_defines(ta, d_ibinop[op])) {
            r = call_dunder(st, a, d_ibinop[op], &b, 1);
            if (IS_UNDEF(r) || !tn_is_notimpl(r))
                return r;
        }
        r = call_dunder(st, a, d_binop[op], &b, 1);
        if (IS_UNDEF(r) && IS_UNDEF(st->exc)) {
            TnType *bt = first_builtin(ta);
            r = bt && bt->binop ? bt->binop(st, op, a, b, inplace) : tn_notimpl();
        }
        if (IS_UNDEF(r) || !tn_is_notimpl(r))
            return r;
    }
    TnType *tb = tn_type_of(b);
    if (tb->binop == cls_binop && tb != ta) {
        r = call_dunder(st, b, d_rbinop[op], &a, 1);
        if (IS_UNDEF(r) && IS_UNDEF(st->exc))
            return tn_notimpl();
        return r;
    }
    if (tb->binop == cls_binop && ta == tb) {
        /* a's forward op declined; Python tries b's reflected op only for different types */
        return tn_notimpl();
    }
    return tn_notimpl();
}

static TnValue cls_unop(TnState *st, int op, TnValue a)
{
    TnStr *name = op == UOP_NEG ? d_neg : op == UOP_POS ? d_pos : d_invert;
    TnValue r = call_dunder(st, a, name, NULL, 0);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc)) {
        TnType *bt = first_builtin(tn_type_of(a));
        if (bt && bt->unop)
            return bt->unop(st, op, a);
        static const char *sym[] = {"-", "+", "~"};
        return tn_raise(st, tn_TypeError, "bad operand type for unary %s: '%s'", sym[op],
                        tn_type_name(a));
    }
    return r;
}

static int cls_truth(TnState *st, TnValue self)
{
    TnValue r = call_dunder(st, self, d_bool, NULL, 0);
    if (IS_UNDEF(r)) {
        if (!IS_UNDEF(st->exc))
            return -1;
        r = call_dunder(st, self, d_len, NULL, 0);
        if (IS_UNDEF(r))
            return IS_UNDEF(st->exc) ? 1 : -1;
        int t = IS_INTLIKE(r) ? AS_INT(r) != 0 : 1;
        tn_decref(r);
        return t;
    }
    if (!IS_BOOL(r)) {
        tn_decref(r);
        return tn_raise_int(st, tn_TypeError, "__bool__ should return bool, returned %s",
                            tn_type_name(r));
    }
    return AS_BOOL(r);
}

static int64_t cls_len(TnState *st, TnValue self)
{
    TnValue r = call_dunder(st, self, d_len, NULL, 0);
    if (IS_UNDEF(r)) {
        if (IS_UNDEF(st->exc)) {
            TnType *bt = first_builtin(tn_type_of(self));
            if (bt && bt->len)
                return bt->len(st, self);
            tn_raise(st, tn_TypeError, "object of type '%s' has no len()", tn_type_name(self));
        }
        return -1;
    }
    if (!IS_INTLIKE(r)) {
        tn_decref(r);
        return tn_raise_int(st, tn_TypeError, "'%s' object cannot be interpreted as an integer",
                            tn_type_name(r));
    }
    if (AS_INT(r) < 0)
        return tn_raise_int(st, tn_ValueError, "__len__() should return >= 0");
    return AS_INT(r);
}

static TnValue cls_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                        TnStr *const *kwnames, int nkw)
{
    TnValue m = type_lookup(tn_type_of(self), d_call);
    if (IS_UNDEF(m)) {
        TnType *bt = first_builtin(tn_type_of(self));
        if (bt && bt->call)
            return bt->call(st, self, args, nargs, kwnames, nkw);
        return tn_raise(st, tn_TypeError, "'%s' object is not callable", tn_type_name(self));
    }
    if (IS_FUNCTION(m))
        return function_call(st, AS_FUNCTION(m), self, args, nargs, kwnames, nkw);
    return tn_call_descr(st, m, self, args, nargs, kwnames, nkw);
}

static TnValue cls_iter(TnState *st, TnValue self)
{
    TnValue r = call_dunder(st, self, d_iter, NULL, 0);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc)) {
        TnType *bt = first_builtin(tn_type_of(self));
        if (bt && bt->iter)
            return bt->iter(st, self);
        return tn_raise(st, tn_TypeError, "'%s' object is not iterable", tn_type_name(self));
    }
    return r;
}

static TnValue cls_next(TnState *st, TnValue self)
{
    TnValue r = call_dunder(st, self, d_next, NULL, 0);
    if (IS_UNDEF(r)) {
        if (tn_error_matches(st, tn_StopIteration))
            tn_clear_error(st);
        else if (IS_UNDEF(st->exc))
            return tn_raise(st, tn_TypeError, "'%s' object is not an iterator",
                            tn_type_name(self));
    }
    return r;
}

static TnValue cls_getitem(TnState *st, TnValue self, TnValue key)
{
    TnValue r = call_dunder(st, self, d_getitem, &key, 1);
    if (IS_UNDEF(r) && IS_UNDEF(st->exc)) {
        TnType *bt = first_builtin(tn_type_of(self));
        if (bt && bt->getitem)
            return bt->getitem(st, self, key);
        return tn_raise(st, tn_TypeError, "'%s' object is not subscriptable", tn_type_name(self));
    }
    return r;
}

static int cls_setitem(TnState *st, TnValue self, TnValue key, TnValue v)
{
    TnValue args[2] = {key, v};
    TnValue r = IS_UNDEF(v) ? call_dunder(st, self, d_delitem, args, 1)
                            : call_dunder(st, self, d_setitem, args, 2);
    if (IS_UNDEF(r)) {
        if (!IS_UNDEF(st->exc))
            return -1;
        TnType *bt = first_builtin(tn_type_of(self));
        if (bt && bt->setitem)
            return bt->setitem(st, self, key, v);
        return tn_raise_int(st, tn_TypeError,
                            IS_UNDEF(v) ? "'%s' object does not support item deletion"
                                        : "'%s' object does not support item assignment",
                            tn_type_name(self));
    }
    tn_decref(r);
    return 0;
}

static int cls_contains(TnState *st, TnValue self, TnValue item)
{
    TnValue r = call_dunder(st, self, d_contains, &item, 1);
    if (IS_UNDEF(r)) {
        if (!IS_UNDEF(st->exc))
            return -1;
        /* fall back to iteration */
        TnValue it = tn_iter(st, self);
        if (IS_UNDEF(it))
            return -1;
        for (;;) {
            TnValue x = tn_next(st, it);
            if (IS_UNDEF(x)) {
                tn_decref(it);
                return IS_UNDEF(st->exc) ? 0 : -1;
            }
            int eq = tn_equal(st, x, item);
            tn_decref(x);
            if (eq != 0) {
                tn_decref(it);
                return eq;
            }
        }
    }
    int t = tn_truthy(st, r);
    tn_decref(r);
    return t;
}

static TnValue cls_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnType *bt = first_builtin(tn_type_of(self));
    TnValue v = (bt && bt->getattr) ? bt->getattr(st, self, name)
                                    : tn_generic_getattr(st, self, name);
    if (!IS_UNDEF(v) || !tn_error_matches(st, tn_AttributeError))
        return v;
    TnValue m = type_lookup(tn_type_of(self), d_getattr);
    if (IS_UNDEF(m))
        return v;
    tn_clear_error(st);
    TnValue arg = tn_obj(name);
    return call_dunder(st, self, d_getattr, &arg, 1);
}

static int cls_setattr(TnState *st, TnValue self, TnStr *name, TnValue v)
{
    if (!IS_UNDEF(v) && user_defines(tn_type_of(self), d_setattr)) {
        TnValue args[2] = {tn_obj(name), v};
        TnValue r = call_dunder(st, self, d_setattr, args, 2);
        if (IS_UNDEF(r))
            return -1;
        tn_decref(r);
        return 0;
    }
    TnType *bt = first_builtin(tn_type_of(self));
    if (bt && bt->setattr)
        return bt->setattr(st, self, name, v);
    return tn_generic_setattr(st, self, name, v);
}

/* object.__setattr__(self, name, v) and friends go through the base; this is the
 * slot a user __setattr__ reaches when it calls super().__setattr__. */

/* --------------------------------------------------------------- classes */

static void class_dealloc(TnObject *o)
{
    TnType *t = (TnType *)o;
    tn_type_epoch++; /* a new type may get this address */
    tn_obj_decref(t->dict);
    tn_obj_decref(t->name_str);
    tn_decref(t->doc);
    if (t->base && (t->base->flags & TN_TYPE_HEAP))
        tn_obj_decref(t->base);
    tn_free_object(t);
}

/* A function defined in a class body keeps a reference to the class (the first one it
 * was defined in): class and methods form a cycle, which the collector frees. */
static void set_owner(TnValue fn, TnType *t)
{
    if (IS_FUNCTION(fn) && !AS_FUNCTION(fn)->owner) {
        AS_FUNCTION(fn)->owner = t;
        tn_obj_incref(t);
    }
}

TnValue class_new(TnState *st, TnStr *name, TnType *base, TnDict *ns)
{
    init_names();
    TnType *t = tn_gc_calloc(sizeof(TnType)); /* a class is tracked: it can be in a cycle */
    if (!t)
        return tn_no_memory(st);
    *t = *base; /* inherit every slot, then override */
    t->head.refcnt = 1;
    t->head.type = &tn_type_type;
    t->name = name->data;
    t->name_str = name;
    tn_obj_incref(name);
    t->base = base;
    if (base->flags & TN_TYPE_HEAP)
        tn_obj_incref(base);
    t->dict = ns;
    tn_obj_incref(ns);
    tn_dict_adopt_type_attrs(ns);
    t->flags = TN_TYPE_HEAP | TN_TYPE_BASETYPE | (base->flags & TN_TYPE_HAS_DICT);
    if (!(base->flags & TN_TYPE_HAS_DICT) && base == &tn_object_type)
        t->flags |= TN_TYPE_HAS_DICT;
    t->methods = NULL;
    t->getset = NULL;
    t->construct = NULL;
    TnValue doc = dict_get_str(ns, str_intern("__doc__"));
    t->doc = IS_UNDEF(doc) ? tn_none() : tn_ref(doc);
    /* a class that defines __eq__ but not __hash__ is unhashable, as in Python */
    if (!IS_UNDEF(dict_get_str(ns, d_eq)) && IS_UNDEF(dict_get_str(ns, d_hash)))
        if (dict_set_str(st, ns, d_hash, tn_none()) < 0)
            goto fail;
    t->repr = cls_repr;
    t->str = cls_str;
    if (user_defines(t, d_hash) || user_defines(t, d_eq))
        t->hash = cls_hash;
    bool cmp = false;
    TnStr *cmps[] = {d_eq, d_ne, d_lt, d_le, d_gt, d_ge};
    for (int i = 0; i < 6; i++)
        cmp |= user_defines(t, cmps[i]);
    if (cmp)
        t->richcmp = cls_richcmp;
    bool arith = false;
    for (int i = 0; i < OP_NBINARY; i++)
        arith |= user_defines(t, d_binop[i]) || user_defines(t, d_rbinop[i]) ||
                 user_defines(t, d_ibinop[i]);
    if (arith)
        t->binop = cls_binop;
    if (user_defines(t, d_neg) || user_defines(t, d_pos) || user_defines(t, d_invert))
        t->unop = cls_unop;
    if (user_defines(t, d_bool) || user_defines(t, d_len))
        t->truth = cls_truth;
    if (user_defines(t, d_len))
        t->len = cls_len;
    if (user_defines(t, d_call))
        t->call = cls_call;
    if (user_defines(t, d_iter))
        t->iter = cls_iter;
    if (user_defines(t, d_next))
        t->next = cls_next;
    if (user_defines(t, d_getitem))
        t->getitem = cls_getitem;
    if (user_defines(t, d_setitem) || user_defines(t, d_delitem))
        t->setitem = cls_setitem;
    if (user_defines(t, d_contains))
        t->contains = cls_contains;
    if (user_defines(t, d_getattr))
        t->getattr = cls_getattr;
    if (user_defines(t, d_setattr))
        t->setattr = cls_setattr;
    /* methods remember their class for super() and their qualified name */
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(ns, &pos, &k, &v)) {
        TnValue fn = v;
        if (IS_TYPEOF(v, &tn_staticmethod_type) || IS_TYPEOF(v, &tn_classmethod_type))
            fn = ((TnWrapper *)AS_OBJ(v))->func;
        if (IS_TYPEOF(v, &tn_property_type)) {
            TnProperty *p = (TnProperty *)AS_OBJ(v);
            if (IS_STR(k) && !p->name)
                p->name = str_intern(AS_STR(k)->data); /* Python's __set_name__ */
            TnValue parts[3] = {p->fget, p->fset, p->fdel};
            for (int i = 0; i < 3; i++)
                set_owner(parts[i], t);
        }
        set_owner(fn, t);
    }
    tn_gc_track(&t->head);
    return tn_obj(t);
fail:
    class_dealloc(&t->head);
    return tn_undef();
}

