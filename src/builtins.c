/* builtins.c: builtin functions (print, len, sorted, isinstance, help, ...) and their iterators. */
#include "builtins.h"
#include "eval.h"
#include "exc.h"
#include "fileio.h"
#include "format.h"
#include "interp.h"
#include "sig.h"
#include "types.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int (*builtins_help_hook)(TnState *st, TnValue obj);
TnValue (*builtins_locals_hook)(TnState *st);

/* Interned dunder names used below (set once by builtins_init). */
static TnStr *s_abs, *s_round, *s_reversed, *s_len, *s_getitem, *s_write, *s_flush, *s_call,
    *s_dict, *s_divmod, *s_rdivmod, *s_init, *s_doc, *s_sys, *s_stdout, *s_name, *s_file;

static const struct {
    TnStr **slot;
    const char *name;
} interned_names[] = {
    {&s_abs,     "__abs__"},     {&s_round,   "__round__"},   {&s_reversed, "__reversed__"},
    {&s_len,     "__len__"},     {&s_getitem, "__getitem__"}, {&s_write,    "write"},
    {&s_flush,   "flush"},       {&s_call,    "__call__"},    {&s_dict,     "__dict__"},
    {&s_divmod,  "__divmod__"},  {&s_rdivmod,  "__rdivmod__"},
    {&s_init,    "__init__"},    {&s_doc,      "__doc__"},
    {&s_sys,     "sys"},         {&s_stdout,  "stdout"},      {&s_name,     "__name__"},
    {&s_file,    "__file__"},
};

/* ------------------------------------------------------------------ helpers */

static bool failed(TnState *st)
{
    return !IS_UNDEF(st->exc);
}

/* Iterates a value: lists and tuples by index (no iterator object, and a list
 * that changes size during the loop is read afresh each step), anything else
 * through tn_iter/tn_next. */
typedef struct Loop {
    TnValue seq; /* list or tuple (borrowed), or UNDEF */
    TnValue it;  /* iterator (owned), or UNDEF */
    int64_t i;
} Loop;

/* 0, or -1 with TypeError ("'int' object is not iterable") pending. */
static int loop_open(TnState *st, Loop *l, TnValue v)
{
    l->i = 0;
    l->it = tn_undef();
    if (IS_LIST(v) || IS_TUPLE(v)) {
        l->seq = v;
        return 0;
    }
    l->seq = tn_undef();
    l->it = tn_iter(st, v);
    return IS_UNDEF(l->it) ? -1 : 0;
}

/* The next item (new reference); UNDEF at the end or on error (see failed()). */
static TnValue loop_next(TnState *st, Loop *l)
{
    if (IS_UNDEF(l->seq))
        return tn_next(st, l->it);
    if (IS_LIST(l->seq)) {
        TnList *list = AS_LIST(l->seq);
        return l->i < list->n ? tn_ref(list->items[l->i++]) : tn_undef();
    }
    TnTuple *t = AS_TUPLE(l->seq);
    return l->i < t->n ? tn_ref(t->items[l->i++]) : tn_undef();
}

static void loop_close(Loop *l)
{
    tn_decref(l->it);
}

/* a OP b as a truth value for min/max: 1, 0 or -1. Numbers and strs compare
 * without allocating. */
static int compare_true(TnState *st, TnValue a, TnValue b, int op)
{
    if (IS_INTLIKE(a) && IS_INTLIKE(b))
        return op == CMP_LT ? AS_INT(a) < AS_INT(b) : AS_INT(a) > AS_INT(b);
    if (IS_FLOAT(a) && IS_FLOAT(b))
        return op == CMP_LT ? AS_FLOAT(a) < AS_FLOAT(b) : AS_FLOAT(a) > AS_FLOAT(b);
    if (IS_STR(a) && IS_STR(b)) {
        int c = str_cmp(AS_STR(a), AS_STR(b));
        return op == CMP_LT ? c < 0 : c > 0;
    }
    TnValue r = tn_compare(st, a, b, op);
    if (IS_UNDEF(r))
        return -1;
    int t = tn_truthy(st, r);
    tn_decref(r);
    return t;
}

/* An attribute name argument as an interned str; NULL with TypeError pending. */
static TnStr *attr_name(TnState *st, TnValue v)
{
    if (!IS_STR(v))
        return tn_raise_ptr(st, tn_TypeError, "attribute name must be string, not '%s'",
                            tn_type_name(v));
    TnStr *s = AS_STR(v);
    if (s->interned)
        return s;
    TnStr *r = str_intern_n(s->data, s->len);
    if (!r)
        tn_no_memory(st);
    return r;
}

/* True when the type (or a base) defines `name` in its dict. */
static bool type_has(TnType *t, TnStr *name)
{
    return !IS_UNDEF(type_lookup(t, name));
}

/* ------------------------------------------------------------------- print */

/* Writes one piece to the target: a stdio stream or any object with write(). */
static int put_piece(TnState *st, FILE *fp, TnValue file, const char *s, size_t n)
{
    if (fp)
        return file_write_bytes(st, fp, s, n);
    TnValue str = tn_str_n(st, s, (int64_t)n);
    if (IS_UNDEF(str))
        return -1;
    TnValue r = tn_call_method(st, file, s_write, &str, 1);
    tn_decref(str);
    if (IS_UNDEF(r))
        return -1;
    tn_decref(r);
    return 0;
}

/* str(v) written to the target; ints, floats, bools and None without allocating. */
static int put_value(TnState *st, FILE *fp, TnValue file, TnValue v)
{
    char buf[64];
    switch (v.tag) {
    case V_NONE: return put_piece(st, fp, file, "None", 4);
    case V_BOOL: return AS_BOOL(v) ? put_piece(st, fp, file, "True", 4)
                                   : put_piece(st, fp, file, "False", 5);
    case V_INT: {
        int n = snprintf(buf, sizeof buf, "%lld", (long long)AS_INT(v));
        return put_piece(st, fp, file, buf, (size_t)n);
    }
    case V_FLOAT:
        float_repr_buf(AS_FLOAT(v), buf);
        return put_piece(st, fp, file, buf, strlen(buf));
    default: break;
    }
    if (IS_STR(v))
        return put_piece(st, fp, file, AS_STR(v)->data, (size_t)AS_STR(v)->len);
    TnValue s = tn_to_str(st, v);
    if (IS_UNDEF(s))
        return -1;
    int rc = put_piece(st, fp, file, AS_STR(s)->data, (size_t)AS_STR(s)->len);
    tn_decref(s);
    return rc;
}

/* sys.stdout as it is now (scripts may replace it), borrowed; None when unset. */
static TnValue current_stdout(TnState *st)
{
    TnValue sys = dict_get_str(st->modules, s_sys);
    if (!IS_TYPEOF(sys, &tn_namespace_type))
        return tn_none();
    TnValue out = dict_get_str(ns_dict(sys), s_stdout);
    return IS_UNDEF(out) ? tn_none() : out;
}

static TnValue bi_print(TnState *st, TnValue *a)
{
    TnTuple *args = AS_TUPLE(a[0]);
    TnValue sep = a[1], end = a[2], file = a[3];
    if (!IS_NONE(sep) && !IS_STR(sep))
        return tn_raise(st, tn_TypeError, "sep must be None or a string, not %s",
                        tn_type_name(sep));
    if (!IS_NONE(end) && !IS_STR(end))
        return tn_raise(st, tn_TypeError, "end must be None or a string, not %s",
                        tn_type_name(end));
    if (IS_NONE(file))
        file = current_stdout(st);
    FILE *fp = stdout;
    if (IS_FILE(file)) {
        fp = file_writable_fp(st, file);
        if (!fp)
            return tn_undef();
    } else if (!IS_NONE(file)) {
        fp = NULL;
    }
    for (int64_t i = 0; i < args->n; i++) {
        if (i > 0) {
            int rc = IS_NONE(sep) ? put_piece(st, fp, file, " ", 1)
                                  : put_piece(st, fp, file, AS_STR(sep)->data,
                                              (size_t)AS_STR(sep)->len);
            if (rc < 0)
                return tn_undef();
        }
        if (put_value(st, fp, file, args->items[i]) < 0)
            return tn_undef();
    }
    int rc = IS_NONE(end) ? put_piece(st, fp, file, "\n", 1)
                          : put_piece(st, fp, file, AS_STR(end)->data, (size_t)AS_STR(end)->len);
    if (rc < 0)
        return tn_undef();
    int fl = tn_truthy(st, a[4]);
    if (fl < 0)
        return tn_undef();
    if (fl) {
        if (fp) {
            fflush(fp);
        } else {
            TnValue r = tn_call_method(st, file, s_flush, NULL, 0);
            if (IS_UNDEF(r))
                return r;
            tn_decref(r);
        }
    }
    return tn_none();
}

/* ---------------------------------------------------------- simple queries */

static TnValue bi_len(TnState *st, TnValue *a)
{
    TnValue v = a[0];
    if (IS_STR(v))
        return tn_int(AS_STR(v)->nchars);
    if (IS_LIST(v))
        return tn_int(AS_LIST(v)->n);
    if (IS_TUPLE(v))
        return tn_int(AS_TUPLE(v)->n);
    if (IS_DICT(v))
        return tn_int(AS_DICT(v)->n);
    int64_t n = tn_len(st, v);
    return n < 0 ? tn_undef() : tn_int(n);
}

static TnValue bi_repr(TnState *st, TnValue *a)
{
    return tn_repr(st, a[0]);
}

/* Python ids are addresses; unboxed values get stable made-up ones so that equal
 * small values have equal ids, as CPython's cached small ints do. */
static TnValue bi_id(TnState *st, TnValue *a)
{
    TnValue v = a[0];
    uint64_t base = (uint64_t)(uintptr_t)&tn_int_type;
    switch (v.tag) {
    case V_OBJ: return tn_int((int64_t)(uintptr_t)AS_OBJ(v));
    case V_NONE: return tn_int((int64_t)(uintptr_t)&tn_none_type);
    case V_BOOL: return tn_int((int64_t)((uintptr_t)&tn_bool_type + 32 * (uint64_t)AS_INT(v)));
    case V_INT: return tn_int((int64_t)((base + 32 * (uint64_t)AS_INT(v)) & INT64_MAX));
    default: {
        uint64_t bits;
        memcpy(&bits, &v.u.f, sizeof bits);
        return tn_int((int64_t)(bits >> 1));
    }
    }
}

static TnValue bi_hash(TnState *st, TnValue *a)
{
    uint64_t h;
    if (tn_hash(st, a[0], &h) < 0)
        return tn_undef();
    return tn_int((int64_t)h);
}

static bool is_callable(TnValue v)
{
    if (!IS_OBJ(v))
        return false;
    TnType *t = AS_OBJ(v)->type;
    if (t == &tn_type_type)
        return true;
    if (t->flags & TN_TYPE_HEAP)
        return type_has(t, s_call);
    return t->call != NULL;
}

static TnValue bi_callable(TnState *st, TnValue *a)
{
    return tn_bool(is_callable(a[0]));
}

/* --------------------------------------------------------------- isinstance */

/* 1 if type t matches classinfo (a type or nested tuples of types), 0 if not,
 * -1 with TypeError `msg` when classinfo is neither. */
static int matches_classinfo(TnState *st, TnType *t, TnValue cls, const char *msg)
{
    if (IS_TYPE(cls))
        return tn_isinstance_type(t, AS_TYPE(cls));
    if (IS_TUPLE(cls)) {
        TnTuple *tup = AS_TUPLE(cls);
        if (tn_recursion_enter(st, " in __instancecheck__") < 0)
            return -1;
        int r = 0;
        for (int64_t i = 0; i < tup->n && r == 0; i++)
            r = matches_classinfo(st, t, tup->items[i], msg);
        tn_recursion_leave(st);
        return r;
    }
    return tn_raise_int(st, tn_TypeError, "%s", msg);
}

static TnValue bi_isinstance(TnState *st, TnValue *a)
{
    TnType *t = tn_type_of(a[0]);
    if (IS_TYPE(a[1]))
        return tn_bool(tn_isinstance_type(t, AS_TYPE(a[1])));
    int r = matches_classinfo(st, t, a[1],
                              "isinstance() arg 2 must be a type, a tuple of types, or a union");
    return r < 0 ? tn_undef() : tn_bool(r);
}

static TnValue bi_issubclass(TnState *st, TnValue *a)
{
    if (!IS_TYPE(a[0]))
        return tn_raise(st, tn_TypeError, "issubclass() arg 1 must be a class");
    int r = matches_classinfo(st, AS_TYPE(a[0]), a[1],
                              "issubclass() arg 2 must be a class, a tuple of classes, or a union");
    return r < 0 ? tn_undef() : tn_bool(r);
}

/* --------------------------------------------------------------- attributes */

static TnValue bi_getattr(TnState *st, TnValue *a)
{
    TnStr *name = attr_name(st, a[1]);
    if (!name)
        return tn_undef();
    if (IS_UNDEF(a[2]))
        return tn_getattr(st, a[0], name);
    TnValue r = tn_getattr_opt(st, a[0], name);
    if (!IS_UNDEF(r))
        return r;
    if (failed(st)) {
        if (!tn_error_matches(st, tn_AttributeError))
            return tn_undef();
        tn_clear_error(st);
    }
    return tn_ref(a[2]);
}

static TnValue bi_hasattr(TnState *st, TnValue *a)
{
    TnStr *name = attr_name(st, a[1]);
    if (!name)
        return tn_undef();
    TnValue r = tn_getattr_opt(st, a[0], name);
    if (!IS_UNDEF(r)) {
        tn_decref(r);
        return tn_bool(true);
    }
    if (failed(st)) {
        if (!tn_error_matches(st, tn_AttributeError))
            return tn_undef();
        tn_clear_error(st);
    }
    return tn_bool(false);
}

static TnValue bi_setattr(TnState *st, TnValue *a)
{
    TnStr *name = attr_name(st, a[1]);
    if (!name || tn_setattr(st, a[0], name, a[2]) < 0)
        return tn_undef();
    return tn_none();
}

static TnValue bi_delattr(TnState *st, TnValue *a)
{
    TnStr *name = attr_name(st, a[1]);
    if (!name || tn_setattr(st, a[0], name, tn_undef()) < 0)
        return tn_undef();
    return tn_none();
}

/* ------------------------------------------------------- iteration builtins */

static TnValue iter_self(TnState *st, TnValue self)
{
    return tn_ref(self);
}

static TnValue Iterator__iter__(TnState *st, TnValue *a)
{
    return tn_ref(a[0]);
}

static TnValue Iterator__next__(TnState *st, TnValue *a)
{
    TnValue r = tn_next(st, a[0]);
    if (IS_UNDEF(r) && !failed(st))
        return tn_raise_value(st, tn_ref(tn_obj(tn_StopIteration)));
    return r;
}

/* it.__iter__() and it.__next__() for the iterator types below. */
static const TnMethodDef iterator_methods[] = {
    {"__iter__", Iterator__iter__, "__iter__(self, /)", NULL, "Implement iter(self)."},
    {"__next__", Iterator__next__, "__next__(self, /)", NULL, "Implement next(self)."},
    {NULL},
};

/* enumerate(iterable, start=0) */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue it;
    int64_t i;
} Enumerate;

static void enumerate_dealloc(TnObject *o)
{
    tn_decref(((Enumerate *)o)->it);
    tn_free_object(o);
}

static void enumerate_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit(((Enumerate *)o)->it, visit, arg);
}

static TnValue enumerate_next(TnState *st, TnValue self)
{
    Enumerate *e = (Enumerate *)AS_OBJ(self);
    TnValue item = tn_next(st, e->it);
    if (IS_UNDEF(item))
        return item;
    TnValue t = tuple_new(st, 2);
    if (IS_UNDEF(t)) {
        tn_decref(item);
        return t;
    }
    tuple_set(t, 0, tn_int(e->i++));
    tuple_set(t, 1, item);
    return t;
}

static TnSig *enumerate_sig;

static TnValue enumerate_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                   TnStr *const *kwnames, int nkw)
{
    TnValue a[2];
    int64_t start;
    if (sig_bind_cached(st, &enumerate_sig, "enumerate(iterable, start=0)", tn_undef(), args,
                        nargs, kwnames, nkw, a) < 0)
        return tn_undef();
    if (tn_as_index(st, a[1], &start, NULL) < 0)
        return tn_undef();
    TnValue it = tn_iter(st, a[0]);
    if (IS_UNDEF(it))
        return it;
    Enumerate *e = tn_alloc_object(st, type, sizeof(Enumerate));
    if (!e) {
        tn_decref(it);
        return tn_undef();
    }
    e->it = it;
    e->i = start;
    return tn_obj(e);
}

/* zip(*iterables, strict=False) */
typedef struct {
    TN_OBJECT_HEAD;
    int n;
    bool strict;
    TnValue its[];
} Zip;

static void zip_dealloc(TnObject *o)
{
    Zip *z = (Zip *)o;
    for (int i = 0; i < z->n; i++)
        tn_decref(z->its[i]);
    tn_free_object(o);
}

static void zip_traverse(TnObject *o, TnVisit visit, void *arg)
{
    Zip *z = (Zip *)o;
    for (int i = 0; i < z->n; i++)
        tn_visit(z->its[i], visit, arg);
}

/* strict=True: iterator i ran out; say which argument is shorter or longer. */
static TnValue zip_strict_error(TnState *st, Zip *z, int i)
{
    if (i > 0)
        return tn_raise(st, tn_ValueError, "zip() argument %d is shorter than argument%s%d", i + 1,
                        i == 1 ? " " : "s 1-", i);
    for (i = 1; i < z->n; i++) {
        TnValue item = tn_next(st, z->its[i]);
        if (!IS_UNDEF(item)) {
            tn_decref(item);
            return tn_raise(st, tn_ValueError, "zip() argument %d is longer than argument%s%d",
                            i + 1, i == 1 ? " " : "s 1-", i);
        }
        if (failed(st))
            return tn_undef();
    }
    return tn_undef();
}

static TnValue zip_next(TnState *st, TnValue self)
{
    Zip *z = (Zip *)AS_OBJ(self);
    if (z->n == 0)
        return tn_undef();
    TnValue t = tuple_new(st, z->n);
    if (IS_UNDEF(t))
        return t;
    for (int i = 0; i < z->n; i++) {
        TnValue item = tn_next(st, z->its[i]);
        if (IS_UNDEF(item)) {
            tn_decref(t);
            if (z->strict && !failed(st))
                return zip_strict_error(st, z, i);
            return item;
        }
        tuple_set(t, i, item);
    }
    return t;
}

static TnSig *zip_sig;

static TnValue zip_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                             TnStr *const *kwnames, int nkw)
{
    TnValue a[2];
    if (sig_bind_cached(st, &zip_sig, "zip(*iterables, strict=False)", tn_undef(), args, nargs,
                        kwnames, nkw, a) < 0)
        return tn_undef();
    TnTuple *its = AS_TUPLE(a[0]);
    Zip *z = NULL;
    int strict = tn_truthy(st, a[1]);
    if (strict < 0)
        goto done;
    z = tn_alloc_object(st, type, sizeof(Zip) + (size_t)its->n * sizeof(TnValue));
    if (!z)
        goto done;
    z->strict = strict;
    for (int64_t i = 0; i < its->n; i++) {
        TnValue it = tn_iter(st, its->items[i]);
        if (IS_UNDEF(it)) {
            tn_obj_decref(z);
            z = NULL;
            goto done;
        }
        z->its[z->n++] = it;
    }
done:
    sig_release(zip_sig, a);
    return z ? tn_obj(z) : tn_undef();
}

/* map(func, iterable, *iterables) */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue func;
    int n;
    TnValue its[];
} Map;

static void map_dealloc(TnObject *o)
{
    Map *m = (Map *)o;
    tn_decref(m->func);
    for (int i = 0; i < m->n; i++)
        tn_decref(m->its[i]);
    tn_free_object(o);
}

static void map_traverse(TnObject *o, TnVisit visit, void *arg)
{
    Map *m = (Map *)o;
    tn_visit(m->func, visit, arg);
    for (int i = 0; i < m->n; i++)
        tn_visit(m->its[i], visit, arg);
}

static TnValue map_next(TnState *st, TnValue self)
{
    Map *m = (Map *)AS_OBJ(self);
    TnValue small[8], *argv = small, r = tn_undef();
    if (m->n > 8 && !(argv = tn_malloc((size_t)m->n * sizeof(TnValue))))
        return tn_no_memory(st);
    int got = 0;
    for (; got < m->n; got++) {
        argv[got] = tn_next(st, m->its[got]);
        if (IS_UNDEF(argv[got]))
            goto done;
    }
    r = tn_call(st, m->func, argv, m->n, NULL, 0);
done:
    for (int i = 0; i < got; i++)
        tn_decref(argv[i]);
    if (argv != small)
        tn_free(argv);
    return r;
}

static TnSig *map_sig;

static TnValue map_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                             TnStr *const *kwnames, int nkw)
{
    TnValue a[2];
    if (sig_bind_cached(st, &map_sig, "map(func, /, *iterables)", tn_undef(), args, nargs,
                        kwnames, nkw, a) < 0)
        return tn_undef();
    TnTuple *its = AS_TUPLE(a[1]);
    Map *m = NULL;
    if (its->n == 0) {
        tn_raise(st, tn_TypeError, "map() must have at least two arguments.");
        goto done;
    }
    m = tn_alloc_object(st, type, sizeof(Map) + (size_t)its->n * sizeof(TnValue));
    if (!m)
        goto done;
    m->func = tn_ref(a[0]);
    for (int64_t i = 0; i < its->n; i++) {
        TnValue it = tn_iter(st, its->items[i]);
        if (IS_UNDEF(it)) {
            tn_obj_decref(m);
            m = NULL;
            goto done;
        }
        m->its[m->n++] = it;
    }
done:
    sig_release(map_sig, a);
    return m ? tn_obj(m) : tn_undef();
}

/* filter(function or None, iterable) */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue func; /* None: keep truthy items */
    TnValue it;
} Filter;

static void filter_dealloc(TnObject *o)
{
    Filter *f = (Filter *)o;
    tn_decref(f->func);
    tn_decref(f->it);
    tn_free_object(o);
}

static void filter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    Filter *f = (Filter *)o;
    tn_visit(f->func, visit, arg);
    tn_visit(f->it, visit, arg);
}

static TnValue filter_next(TnState *st, TnValue self)
{
    Filter *f = (Filter *)AS_OBJ(self);
    TnValue item;
    while (!IS_UNDEF(item = tn_next(st, f->it))) {
        int keep;
        if (IS_NONE(f->func)) {
            keep = tn_truthy(st, item);
        } else {
            TnValue r = tn_call(st, f->func, &item, 1, NULL, 0);
            keep = IS_UNDEF(r) ? -1 : tn_truthy(st, r);
            tn_decref(r);
        }
        if (keep > 0)
            return item;
        tn_decref(item);
        if (keep < 0)
            return tn_undef();
    }
    return item;
}

static TnSig *filter_sig;

static TnValue filter_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                TnStr *const *kwnames, int nkw)
{
    TnValue a[2];
    if (sig_bind_cached(st, &filter_sig, "filter(function, iterable, /)", tn_undef(), args,
                        nargs, kwnames, nkw, a) < 0)
        return tn_undef();
    TnValue it = tn_iter(st, a[1]);
    if (IS_UNDEF(it))
        return it;
    Filter *f = tn_alloc_object(st, type, sizeof(Filter));
    if (!f) {
        tn_decref(it);
        return tn_undef();
    }
    f->func = tn_ref(a[0]);
    f->it = it;
    return tn_obj(f);
}

/* reversed(seq): lists by position, other sequences through __getitem__. */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue seq;
    int64_t i; /* next index to yield; -1 when done */
} RevIter;

static void reviter_dealloc(TnObject *o)
{
    tn_decref(((RevIter *)o)->seq);
    tn_free_object(o);
}

static void reviter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    tn_visit(((RevIter *)o)->seq, visit, arg);
}

static TnValue list_reviter_next(TnState *st, TnValue self)
{
    RevIter *r = (RevIter *)AS_OBJ(self);
    TnList *l = AS_LIST(r->seq);
    if (r->i >= 0 && r->i < l->n)
        return tn_ref(l->items[r->i--]);
    r->i = -1;
    return tn_undef();
}

static TnValue seq_reviter_next(TnState *st, TnValue self)
{
    RevIter *r = (RevIter *)AS_OBJ(self);
    if (r->i < 0)
        return tn_undef();
    if (IS_TUPLE(r->seq))
        return tn_ref(AS_TUPLE(r->seq)->items[r->i--]);
    TnValue item = tn_getitem(st, r->seq, tn_int(r->i--));
    if (IS_UNDEF(item) &&
        (tn_error_matches(st, tn_IndexError) || tn_error_matches(st, tn_StopIteration))) {
        tn_clear_error(st);
        r->i = -1;
    }
    return item;
}

static TnType tn_list_reviter_type;

/* Steals seq. */
static TnValue reviter_new(TnState *st, TnType *type, TnValue seq, int64_t last)
{
    RevIter *r = tn_alloc_object(st, type, sizeof(RevIter));
    if (!r) {
        tn_decref(seq);
        return tn_undef();
    }
    r->seq = seq;
    r->i = last;
    return tn_obj(r);
}

/* Sequences of the sequence protocol: len and getitem, but not mappings or sets. */
static bool is_sequence(TnValue v)
{
    TnType *t = tn_type_of(v);
    if (IS_DICT(v) || IS_SET(v) || tn_isinstance_type(t, &tn_dict_type))
        return false;
    if (t->flags & TN_TYPE_HEAP)
        return type_has(t, s_len) && type_has(t, s_getitem);
    return t->len && t->getitem;
}

static TnSig *reversed_sig;

static TnValue reversed_construct(TnState *st, TnType *type, const TnValue *args, int nargs,
                                  TnStr *const *kwnames, int nkw)
{
    TnValue a[1];
    if (sig_bind_cached(st, &reversed_sig, "reversed(sequence, /)", tn_undef(), args, nargs,
                        kwnames, nkw, a) < 0)
        return tn_undef();
    TnValue seq = a[0];
    if (IS_LIST(seq))
        return reviter_new(st, &tn_list_reviter_type, tn_ref(seq), AS_LIST(seq)->n - 1);
    if (IS_RANGE(seq)) { /* a range_iterator walking backwards */
        TnRange *r = AS_RANGE(seq);
        TnRangeIter *it = tn_alloc_object(st, &tn_range_iter_type, sizeof(TnRangeIter));
        if (!it)
            return tn_undef();
        it->left = r->len;
        it->step = (int64_t)((uint64_t)0 - (uint64_t)r->step);
        uint64_t span = r->len ? (uint64_t)(r->len - 1) * (uint64_t)r->step : 0;
        it->cur = (int64_t)((uint64_t)r->start + span);
        return tn_obj(it);
    }
    TnType *seqt = tn_type_of(seq);
    if (tn_is_dict(seq) || seqt == &tn_dict_keys_type || seqt == &tn_dict_values_type ||
        seqt == &tn_dict_items_type) { /* dicts and their views walk back in insertion order */
        TnValue keys = list_from_iterable(st, seq);
        if (IS_UNDEF(keys))
            return keys;
        return reviter_new(st, &tn_list_reviter_type, keys, AS_LIST(keys)->n - 1);
    }
    if (type_has(tn_type_of(seq), s_reversed))
        return tn_call_method(st, seq, s_reversed, NULL, 0);
    if (!is_sequence(seq))
        return tn_raise(st, tn_TypeError, "'%s' object is not reversible", tn_type_name(seq));
    int64_t n = tn_len(st, seq);
    if (n < 0)
        return tn_undef();
    return reviter_new(st, type, tn_ref(seq), n - 1);
}

/* iter(callable, sentinel) */
typedef struct {
    TN_OBJECT_HEAD;
    TnValue func; /* UNDEF once exhausted */
    TnValue sentinel;
} CallIter;

static void calliter_dealloc(TnObject *o)
{
    CallIter *c = (CallIter *)o;
    tn_decref(c->func);
    tn_decref(c->sentinel);
    tn_free_object(o);
}

static void calliter_traverse(TnObject *o, TnVisit visit, void *arg)
{
    CallIter *c = (CallIter *)o;
    tn_visit(c->func, visit, arg);
    tn_visit(c->sentinel, visit, arg);
}

static TnValue calliter_next(TnState *st, TnValue self)
{
    CallIter *c = (CallIter *)AS_OBJ(self);
    if (IS_UNDEF(c->func))
        return tn_undef();
    TnValue r = tn_call(st, c->func, NULL, 0, NULL, 0);
    if (IS_UNDEF(r)) {
        if (tn_error_matches(st, tn_StopIteration))
            tn_clear_error(st);
        else
            return r;
    } else {
        int eq = tn_equal(st, r, c->sentinel);
        if (eq == 0)
            return r;
        tn_decref(r);
        if (eq < 0)
            return tn_undef();
    }
    tn_decref(c->func);
    c->func = tn_undef();
    return tn_undef();
}

static TnType tn_enumerate_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "enumerate",
    .dealloc = enumerate_dealloc,
    .traverse = enumerate_traverse,
    .iter = iter_self,
    .next = enumerate_next,
    .methods = iterator_methods,
    .construct = enumerate_construct,
};

static TnType tn_zip_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "zip",
    .dealloc = zip_dealloc,
    .traverse = zip_traverse,
    .iter = iter_self,
    .next = zip_next,
    .methods = iterator_methods,
    .construct = zip_construct,
};

static TnType tn_map_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "map",
    .dealloc = map_dealloc,
    .traverse = map_traverse,
    .iter = iter_self,
    .next = map_next,
    .methods = iterator_methods,
    .construct = map_construct,
};

static TnType tn_filter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "filter",
    .dealloc = filter_dealloc,
    .traverse = filter_traverse,
    .iter = iter_self,
    .next = filter_next,
    .methods = iterator_methods,
    .construct = filter_construct,
};

static TnType tn_reversed_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "reversed",
    .dealloc = reviter_dealloc,
    .traverse = reviter_traverse,
    .iter = iter_self,
    .next = seq_reviter_next,
    .methods = iterator_methods,
    .construct = reversed_construct,
};

static TnType tn_list_reviter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "list_reverseiterator",
    .dealloc = reviter_dealloc,
    .traverse = reviter_traverse,
    .iter = iter_self,
    .next = list_reviter_next,
    .methods = iterator_methods,
};

static TnType tn_calliter_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "callable_iterator",
    .dealloc = calliter_dealloc,
    .traverse = calliter_traverse,
    .iter = iter_self,
    .next = calliter_next,
    .methods = iterator_methods,
};

static TnValue bi_iter(TnState *st, TnValue *a)
{
    if (IS_UNDEF(a[1]))
        return tn_iter(st, a[0]);
    if (!is_callable(a[0]))
        return tn_raise(st, tn_TypeError, "iter(v, w): v must be callable");
    CallIter *c = tn_alloc_object(st, &tn_calliter_type, sizeof(CallIter));
    if (!c)
        return tn_undef();
    c->func = tn_ref(a[0]);
    c->sentinel = tn_ref(a[1]);
    return tn_obj(c);
}

static TnValue bi_next(TnState *st, TnValue *a)
{
    TnType *t = tn_type_of(a[0]);
    if (!t->next && !(t->flags & TN_TYPE_HEAP))
        return tn_raise(st, tn_TypeError, "'%s' object is not an iterator", tn_type_name(a[0]));
    TnValue r = tn_next(st, a[0]);
    if (!IS_UNDEF(r) || failed(st))
        return r;
    if (!IS_UNDEF(a[1]))
        return tn_ref(a[1]);
    return tn_raise_value(st, tn_ref(tn_obj(tn_StopIteration)));
}

/* -------------------------------------------------------------- reductions */

static TnValue bi_sum(TnState *st, TnValue *a)
{
    TnValue acc = a[1];
    if (IS_STR(acc))
        return tn_raise(st, tn_TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    Loop l;
    if (loop_open(st, &l, a[0]) < 0)
        return tn_undef();
    tn_incref(acc);
    TnValue item;
    while (!IS_UNDEF(item = loop_next(st, &l))) {
        int64_t r;
        if (IS_INTLIKE(acc) && IS_INTLIKE(item) &&
            !__builtin_add_overflow(AS_INT(acc), AS_INT(item), &r)) {
            acc = tn_int(r);
            continue;
        }
        if (IS_FLOAT(acc) && IS_NUMBER(item)) {
            acc = tn_float(AS_FLOAT(acc) + tn_num_as_double(item));
            continue;
        }
        if (IS_INTLIKE(acc) && IS_FLOAT(item)) {
            acc = tn_float((double)AS_INT(acc) + AS_FLOAT(item));
            continue;
        }
        TnValue s = tn_binop(st, OP_ADD, acc, item);
        tn_decref(acc);
        tn_decref(item);
        acc = s;
        if (IS_UNDEF(s))
            break;
    }
    loop_close(&l);
    if (failed(st)) {
        tn_decref(acc);
        return tn_undef();
    }
    return acc;
}

/* min/max share one loop; op is CMP_LT for min, CMP_GT for max. */
static TnValue minmax(TnState *st, TnValue *a, int op, const char *name)
{
    TnTuple *args = AS_TUPLE(a[0]);
    TnValue key = IS_NONE(a[1]) ? tn_undef() : a[1], dflt = a[2];
    TnValue src = a[0];
    if (args->n == 0)
        return tn_raise(st, tn_TypeError, "%s expected at least 1 argument, got 0", name);
    if (args->n == 1)
        src = args->items[0];
    else if (!IS_UNDEF(dflt))
        return tn_raise(st, tn_TypeError,
                        "Cannot specify a default for %s() with multiple positional arguments",
                        name);
    Loop l;
    if (loop_open(st, &l, src) < 0)
        return tn_undef();
    TnValue best = tn_undef(), bestk = tn_undef(), item;
    while (!IS_UNDEF(item = loop_next(st, &l))) {
        TnValue k = IS_UNDEF(key) ? tn_ref(item) : tn_call(st, key, &item, 1, NULL, 0);
        if (IS_UNDEF(k)) {
            tn_decref(item);
            break;
        }
        if (IS_UNDEF(best)) {
            best = item;
            bestk = k;
            continue;
        }
        int c = compare_true(st, k, bestk, op);
        if (c > 0) {
            tn_decref(best);
            tn_decref(bestk);
            best = item;
            bestk = k;
            continue;
        }
        tn_decref(item);
        tn_decref(k);
        if (c < 0)
            break;
    }
    loop_close(&l);
    tn_decref(bestk);
    if (failed(st)) {
        tn_decref(best);
        return tn_undef();
    }
    if (!IS_UNDEF(best))
        return best;
    if (!IS_UNDEF(dflt))
        return tn_ref(dflt);
    return tn_raise(st, tn_ValueError, "%s() arg is an empty sequence", name);
}

static TnValue bi_min(TnState *st, TnValue *a)
{
    return minmax(st, a, CMP_LT, "min");
}

static TnValue bi_max(TnState *st, TnValue *a)
{
    return minmax(st, a, CMP_GT, "max");
}

/* any/all: stop at the first item whose truth is `stop_on`. */
static TnValue any_all(TnState *st, TnValue iterable, int stop_on)
{
    Loop l;
    if (loop_open(st, &l, iterable) < 0)
        return tn_undef();
    TnValue item;
    int t = -2;
    while (!IS_UNDEF(item = loop_next(st, &l))) {
        t = tn_truthy(st, item);
        tn_decref(item);
        if (t < 0 || t == stop_on)
            break;
    }
    loop_close(&l);
    if (failed(st))
        return tn_undef();
    return tn_bool(t == stop_on ? stop_on : !stop_on);
}

static TnValue bi_any(TnState *st, TnValue *a)
{
    return any_all(st, a[0], 1);
}

static TnValue bi_all(TnState *st, TnValue *a)
{
    return any_all(st, a[0], 0);
}

static TnValue bi_sorted(TnState *st, TnValue *a)
{
    int reverse = tn_truthy(st, a[2]);
    if (reverse < 0)
        return tn_undef();
    TnValue list = list_from_iterable(st, a[0]);
    if (IS_UNDEF(list))
        return list;
    if (list_sort(st, AS_LIST(list), a[1], reverse) < 0) {
        tn_decref(list);
        return tn_undef();
    }
    return list;
}

/* ------------------------------------------------------------------ numbers */

static TnValue bi_abs(TnState *st, TnValue *a)
{
    TnValue v = a[0];
    switch (v.tag) {
    case V_BOOL: return tn_int(AS_INT(v));
    case V_INT:
        if (AS_INT(v) >= 0)
            return v;
        return tn_unop(st, UOP_NEG, v); /* raises OverflowError for the minimum int */
    case V_FLOAT: return tn_float(fabs(AS_FLOAT(v)));
    default: break;
    }
    if (type_has(tn_type_of(v), s_abs))
        return tn_call_method(st, v, s_abs, NULL, 0);
    return tn_raise(st, tn_TypeError, "bad operand type for abs(): '%s'", tn_type_name(v));
}

/* A float that is integral converted to int, with Python's errors for nan/inf. */
static TnValue float_to_int(TnState *st, double d)
{
    if (isnan(d))
        return tn_raise(st, tn_ValueError, "cannot convert float NaN to integer");
    if (isinf(d))
        return tn_raise(st, tn_OverflowError, "cannot convert float infinity to integer");
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return tn_raise(st, tn_OverflowError, "int too large to convert");
    return tn_int((int64_t)d);
}

/* round(int, n) for n < 0: to a multiple of 10**-n, ties to even. */
static TnValue round_int(TnState *st, int64_t x, int64_t ndigits)
{
    if (ndigits >= 0)
        return tn_int(x);
    if (ndigits < -18)
        return tn_int(0);
    int64_t p = 1;
    for (int64_t i = 0; i < -ndigits; i++)
        p *= 10;
    int64_t q = x / p, r = x % p;
    if (r < 0) {
        r += p;
        q -= 1;
    }
    /* compare 2r with p without overflow: r vs p - r */
    if (r > p - r || (r == p - r && (q & 1)))
        q += 1;
    int64_t out;
    if (__builtin_mul_overflow(q, p, &out))
        return tn_raise(st, tn_OverflowError, "int too large to convert");
    return tn_int(out);
}

/* round(float, n): correctly rounded like CPython (decimal string, then back). */
static double round_double(double x, int64_t ndigits)
{
    if (!isfinite(x) || x == 0.0)
        return x;
    if (ndigits > 323)
        return x;
    if (ndigits < -308)
        return 0.0 * x;
    if (ndigits >= 0) {
        char buf[700]; /* 309 integer digits + '.' + 323 decimals + sign */
        snprintf(buf, sizeof buf, "%.*f", (int)ndigits, x);
        return strtod(buf, NULL);
    }
    double p = pow(10.0, (double)-ndigits);
    double y = x / p;
    double z = nearbyint(y) * p; /* ties to even in the default rounding mode */
    if (isinf(z))
        return x > 0 ? INFINITY : -INFINITY;
    return z;
}

static TnValue bi_round(TnState *st, TnValue *a)
{
    TnValue x = a[0], nd = a[1];
    int64_t n = 0;
    bool has_n = !IS_NONE(nd);
    if (IS_NUMBER(x) && has_n && tn_as_index(st, nd, &n, NULL) < 0)
        return tn_undef();
    switch (x.tag) {
    case V_BOOL:
    case V_INT: return has_n ? round_int(st, AS_INT(x), n) : tn_int(AS_INT(x));
    case V_FLOAT:
        if (!has_n)
            return float_to_int(st, nearbyint(AS_FLOAT(x)));
        return tn_float(round_double(AS_FLOAT(x), n));
    default: break;
    }
    if (!type_has(tn_type_of(x), s_round))
        return tn_raise(st, tn_TypeError, "type %s doesn't define __round__ method",
                        tn_type_name(x));
    return tn_call_method(st, x, s_round, &nd, has_n ? 1 : 0);
}

/* x * y mod m for 0 <= x, y < m. */
static uint64_t mulmod(uint64_t x, uint64_t y, uint64_t m)
{
    return (uint64_t)((unsigned __int128)x * y % m);
}

/* Modular inverse of b mod m (m > 1), or false if none. */
static bool modinv(uint64_t b, uint64_t m, uint64_t *out)
{
    __int128 r0 = m, r1 = b, t0 = 0, t1 = 1;
    while (r1 != 0) {
        __int128 q = r0 / r1, tmp;
        tmp = r0 - q * r1;
        r0 = r1;
        r1 = tmp;
        tmp = t0 - q * t1;
        t0 = t1;
        t1 = tmp;
    }
    if (r0 != 1)
        return false;
    if (t0 < 0)
        t0 += m;
    *out = (uint64_t)t0;
    return true;
}

/* pow(base, exp, mod) for ints, with Python's sign rules and negative exponents. */
static TnValue pow_mod(TnState *st, int64_t base, int64_t exp, int64_t mod)
{
    if (mod == 0)
        return tn_raise(st, tn_ValueError, "pow() 3rd argument cannot be 0");
    bool neg = mod < 0;
    uint64_t m = neg ? (uint64_t)0 - (uint64_t)mod : (uint64_t)mod;
    if (m == 1)
        return tn_int(0);
    uint64_t b;
    if (m > INT64_MAX) { /* m == 2**63: only possible for mod == INT64_MIN */
        b = (uint64_t)base & (m - 1);
    } else {
        int64_t bm = base % (int64_t)m;
        b = (uint64_t)(bm < 0 ? bm + (int64_t)m : bm);
    }
    uint64_t e = exp < 0 ? (uint64_t)0 - (uint64_t)exp : (uint64_t)exp;
    if (exp < 0 && !modinv(b, m, &b))
        return tn_raise(st, tn_ValueError, "base is not invertible for the given modulus");
    uint64_t r = 1 % m;
    while (e) {
        if (e & 1)
            r = mulmod(r, b, m);
        b = mulmod(b, b, m);
        e >>= 1;
    }
    if (neg && r != 0)
        return tn_int((int64_t)(r - m));
    return tn_int((int64_t)r);
}

static TnValue bi_pow(TnState *st, TnValue *a)
{
    if (IS_NONE(a[2]))
        return tn_binop(st, OP_POW, a[0], a[1]);
    if (!IS_INTLIKE(a[0]) || !IS_INTLIKE(a[1]) || !IS_INTLIKE(a[2]))
        return tn_raise(st, tn_TypeError,
                        "pow() 3rd argument not allowed unless all arguments are integers");
    return pow_mod(st, AS_INT(a[0]), AS_INT(a[1]), AS_INT(a[2]));
}

static TnValue bi_divmod(TnState *st, TnValue *a)
{
    if (IS_NUMBER(a[0]) && IS_NUMBER(a[1]))
        return num_divmod(st, a[0], a[1]);
    if (type_has(tn_type_of(a[0]), s_divmod)) {
        TnValue r = tn_call_method(st, a[0], s_divmod, &a[1], 1);
        if (!tn_is_notimpl(r))
            return r;
    }
    if (type_has(tn_type_of(a[1]), s_rdivmod)) {
        TnValue r = tn_call_method(st, a[1], s_rdivmod, &a[0], 1);
        if (!tn_is_notimpl(r))
            return r;
    }
    return tn_raise(st, tn_TypeError, "unsupported operand type(s) for divmod(): '%s' and '%s'",
                    tn_type_name(a[0]), tn_type_name(a[1]));
}

/* -------------------------------------------------------------- characters */

/* hex()/oct()/bin(): the integer in base 16/8/2 with Python's prefix, sign first. */
static TnValue int_in_base(TnState *st, TnValue v, int shift, const char *prefix)
{
    int64_t i;
    if (tn_as_index(st, v, &i, NULL) < 0)
        return tn_undef();
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    char digits[72], *p = digits + sizeof digits;
    *--p = '\0';
    do {
        *--p = "0123456789abcdef"[u & ((1u << shift) - 1)];
        u >>= shift;
    } while (u);
    return tn_str_fmt(st, "%s%s%s", i < 0 ? "-" : "", prefix, p);
}

static TnValue bi_hex(TnState *st, TnValue *a)
{
    return int_in_base(st, a[0], 4, "0x");
}

static TnValue bi_oct(TnState *st, TnValue *a)
{
    return int_in_base(st, a[0], 3, "0o");
}

static TnValue bi_bin(TnState *st, TnValue *a)
{
    return int_in_base(st, a[0], 1, "0b");
}

static TnValue bi_chr(TnState *st, TnValue *a)
{
    int64_t c;
    if (tn_as_index(st, a[0], &c, NULL) < 0)
        return tn_undef();
    if (c < 0 || c >= 0x110000)
        return tn_raise(st, tn_ValueError, "chr() arg not in range(0x110000)");
    if (c < 128) {
        TnStr *s = str_ascii_char((int)c);
        if (!s)
            return tn_no_memory(st);
        tn_obj_incref(s);
        return tn_obj(s);
    }
    char buf[4];
    int n;
    if (c < 0x800) {
        buf[0] = (char)(0xC0 | (c >> 6));
        buf[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        buf[0] = (char)(0xE0 | (c >> 12));
        buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        buf[0] = (char)(0xF0 | (c >> 18));
        buf[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return tn_str_n(st, buf, n);
}

static TnValue bi_ord(TnState *st, TnValue *a)
{
    if (!IS_STR(a[0]))
        return tn_raise(st, tn_TypeError, "ord() expected string of length 1, but %s found",
                        tn_type_name(a[0]));
    TnStr *s = AS_STR(a[0]);
    if (s->nchars != 1)
        return tn_raise(st, tn_TypeError,
                        "ord() expected a character, but string of length %lld found",
                        (long long)s->nchars);
    const unsigned char *p = (const unsigned char *)s->data;
    int64_t c = p[0];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    c &= extra == 3 ? 0x07 : extra == 2 ? 0x0F : extra == 1 ? 0x1F : 0x7F;
    for (int i = 1; i <= extra && i < s->len; i++)
        c = (c << 6) | (p[i] & 0x3F);
    return tn_int(c);
}

/* format(value, format_spec=''): numbers and strs directly, others via __format__. */
static TnValue bi_format(TnState *st, TnValue *a)
{
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "format() argument 2 must be str, not %s",
                        tn_type_name(a[1]));
    return tn_format(st, a[0], AS_STR(a[1]));
}

static TnValue bi_ascii(TnState *st, TnValue *a)
{
    return tn_ascii(st, a[0]);
}

/* ------------------------------------------------------------- namespaces */

/* The current frame's namespace for globals()/locals()/vars()/dir() without
 * arguments: a new reference to a dict. */
static TnValue current_namespace(TnState *st, bool locals)
{
    TnFrameInfo *f = st->frame;
    if (!f)
        return tn_raise(st, tn_RuntimeError, "no current frame");
    if (locals && f->locals_dict)
        return tn_ref(tn_obj(f->locals_dict));
    if (!locals || !f->func)
        return tn_ref(tn_obj(f->globals));
    if (!builtins_locals_hook)
        return tn_raise(st, tn_NotImplementedError, "locals() inside a function");
    return builtins_locals_hook(st);
}

static TnValue bi_globals(TnState *st, TnValue *a)
{
    return current_namespace(st, false);
}

static TnValue bi_locals(TnState *st, TnValue *a)
{
    return current_namespace(st, true);
}

static TnValue bi_vars(TnState *st, TnValue *a)
{
    TnValue v = a[0];
    if (IS_UNDEF(v))
        return current_namespace(st, true);
    if (IS_TYPE(v))
        return tn_ref(tn_obj(AS_TYPE(v)->dict));
    if (IS_TYPEOF(v, &tn_namespace_type))
        return tn_ref(tn_obj(ns_dict(v)));
    TnType *t = tn_type_of(v);
    if ((t->flags & TN_TYPE_HAS_DICT) && ((TnInstance *)AS_OBJ(v))->dict)
        return tn_ref(tn_obj(((TnInstance *)AS_OBJ(v))->dict));
    TnValue d = IS_OBJ(v) ? tn_getattr_opt(st, v, s_dict) : tn_undef();
    if (!IS_UNDEF(d) || failed(st))
        return d;
    return tn_raise(st, tn_TypeError, "vars() argument must have __dict__ attribute");
}

static TnValue bi_dir(TnState *st, TnValue *a)
{
    if (!IS_UNDEF(a[0]))
        return tn_dir(st, a[0]);
    TnValue ns = current_namespace(st, true);
    if (IS_UNDEF(ns))
        return ns;
    TnValue keys = list_from_iterable(st, ns);
    tn_decref(ns);
    if (IS_UNDEF(keys))
        return keys;
    if (list_sort(st, AS_LIST(keys), tn_none(), false) < 0) {
        tn_decref(keys);
        return tn_undef();
    }
    return keys;
}

/* ---------------------------------------------------------------------- help */

/* Appends a docstring cleaned like inspect.cleandoc, each line prefixed. */
static bool put_doc(TnBuf *b, const char *doc, const char *prefix)
{
    const char *lines[256];
    size_t lens[256];
    int n = 0;
    for (const char *p = doc; n < 256;) {
        const char *e = strchr(p, '\n');
        lines[n] = p;
        lens[n++] = e ? (size_t)(e - p) : strlen(p);
        if (!e)
            break;
        p = e + 1;
    }
    size_t indent = (size_t)-1;
    for (int i = 1; i < n; i++) {
        size_t k = 0;
        while (k < lens[i] && lines[i][k] == ' ')
            k++;
        if (k < lens[i] && k < indent)
            indent = k;
    }
    while (lens[0] && *lines[0] == ' ') {
        lines[0]++;
        lens[0]--;
    }
    for (int i = 1; i < n; i++) {
        size_t cut = indent == (size_t)-1 ? lens[i] : indent < lens[i] ? indent : lens[i];
        lines[i] += cut;
        lens[i] -= cut;
    }
    int first = 0, last = n - 1;
    while (first <= last && lens[first] == 0)
        first++;
    while (last >= first && lens[last] == 0)
        last--;
    bool ok = true;
    for (int i = first; i <= last; i++) {
        ok = ok && buf_puts(b, prefix) && buf_putn(b, lines[i], lens[i]);
        ok = ok && buf_putc(b, '\n');
    }
    return ok;
}

/* A user function's signature "f(a, b=1, *args, c, **kw)"; skip_self drops the
 * first parameter (bound methods). */
static bool put_func_sig(TnState *st, TnBuf *b, TnFunction *fn, bool skip_self, bool with_name)
{
    TnScope *sc = fn->scope;
    bool ok = !with_name || buf_puts(b, fn->name->data);
    ok = ok && buf_putc(b, '(');
    bool first = true;
    int nparams = sc->npos + sc->nkwonly;
    for (int i = 0; i < nparams && ok; i++) {
        if (i == 0 && skip_self)
            continue;
        if (i == sc->npos) {
            if (!first)
                ok = ok && buf_puts(b, ", ");
            if (sc->varargs_slot >= 0) {
                ok = ok && buf_putc(b, '*') &&
                     buf_puts(b, sc->param_names[sc->varargs_slot]->data);
            } else {
                ok = ok && buf_putc(b, '*');
            }
            first = false;
        }
        if (!first)
            ok = ok && buf_puts(b, ", ");
        first = false;
        ok = ok && buf_puts(b, sc->param_names[i]->data);
        if (fn->defaults && !IS_UNDEF(fn->defaults[i])) {
            TnValue r = tn_repr(st, fn->defaults[i]);
            if (IS_UNDEF(r))
                return false;
            ok = ok && buf_putc(b, '=') && buf_putn(b, AS_STR(r)->data, (size_t)AS_STR(r)->len);
            tn_decref(r);
        }
    }
    if (sc->nkwonly == 0 && sc->varargs_slot >= 0 && ok) {
        if (!first)
            ok = ok && buf_puts(b, ", ");
        ok = ok && buf_putc(b, '*') && buf_puts(b, sc->param_names[sc->varargs_slot]->data);
        first = false;
    }
    if (sc->varkw_slot >= 0 && ok) {
        if (!first)
            ok = ok && buf_puts(b, ", ");
        ok = ok && buf_puts(b, "**") && buf_puts(b, sc->param_names[sc->varkw_slot]->data);
    }
    return ok && buf_putc(b, ')');
}

/* Appends s with newlines shown as \n (print's default end='\n'). */
static bool put_escaped(TnBuf *b, const char *s)
{
    bool ok = true;
    for (; *s && ok; s++)
        ok = *s == '\n' ? buf_puts(b, "\\n") : buf_putc(b, *s);
    return ok;
}

/* The module a native function lives in: "builtins", a predefined namespace's
 * name, or NULL (a method). Found by identity, since natives keep no owner
 * namespace (that would be a reference cycle). */
static const char *native_module(TnState *st, TnValue f)
{
    TnNative *n = (TnNative *)AS_OBJ(f);
    TnStr *name = str_intern(n->def->name);
    if (!name || !IS_UNDEF(n->self))
        return NULL;
    if (AS_OBJ(dict_get_str(st->builtins, name)) == AS_OBJ(f))
        return "builtins";
    int64_t pos = 0;
    TnValue k, ns;
    while (st->modules && dict_next(st->modules, &pos, &k, &ns)) {
        if (!IS_TYPEOF(ns, &tn_namespace_type))
            continue;
        TnValue v = dict_get_str(ns_dict(ns), name);
        TnValue mod = dict_get_str(ns_dict(ns), s_name);
        if (IS_OBJ(v) && AS_OBJ(v) == AS_OBJ(f) && IS_STR(mod))
            return AS_STR(mod)->data;
    }
    return NULL;
}

/* A native's signature text, without `self` when bound. */
static bool put_native_sig(TnBuf *b, const TnNative *n)
{
    const char *sig = n->def->sig;
    if (!sig)
        return buf_puts(b, n->def->name) && buf_puts(b, "(...)");
    const char *paren = strchr(sig, '(');
    if (!IS_UNDEF(n->self) && paren && strncmp(paren + 1, "self", 4) == 0) {
        const char *rest = paren + 5;
        while (*rest == ',' || *rest == ' ')
            rest++;
        return buf_putn(b, sig, (size_t)(paren + 1 - sig)) && put_escaped(b, rest);
    }
    return put_escaped(b, sig);
}

static bool put_value_doc(TnBuf *b, TnValue doc, const char *prefix)
{
    if (!IS_STR(doc))
        return true;
    return put_doc(b, AS_STR(doc)->data, prefix);
}

/* Sections of a class listing, in pydoc's order. */
enum {
    SEC_METHOD,
    SEC_CLASSMETHOD,
    SEC_STATICMETHOD,
    SEC_READONLY,
    SEC_DESCRIPTOR,
    SEC_DATA,
    NSEC
};

static const char *const section_names[NSEC] = {
    "Methods", "Class methods", "Static methods", "Readonly properties", "Data descriptors",
    "Data and other attributes",
};

typedef struct {
    const char *name;
    TnValue v; /* borrowed; UNDEF for the __dict__/__weakref__ pseudo-entries */
    int sec;
} HelpEntry;

static int section_of(TnValue v)
{
    if (IS_TYPEOF(v, &tn_property_type)) {
        TnValue fset = ((TnProperty *)AS_OBJ(v))->fset;
        return IS_UNDEF(fset) || IS_NONE(fset) ? SEC_READONLY : SEC_DESCRIPTOR;
    }
    if (IS_TYPEOF(v, &tn_classmethod_type))
        return SEC_CLASSMETHOD;
    if (IS_TYPEOF(v, &tn_staticmethod_type))
        return SEC_STATICMETHOD;
    if (IS_FUNCTION(v) || IS_NATIVE(v))
        return SEC_METHOD;
    return SEC_DATA;
}

/* pydoc's visiblename: dunders are shown (but not bookkeeping ones), _private not. */
static bool visible_name(const char *nm)
{
    static const char *const hidden[] = {"__doc__", "__module__", "__name__", "__qualname__",
                                         "__dict__", "__weakref__", "__slots__"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (strcmp(nm, hidden[i]) == 0)
            return false;
    size_t n = strlen(nm);
    if (n > 4 && nm[0] == '_' && nm[1] == '_' && nm[n - 1] == '_' && nm[n - 2] == '_')
        return true;
    return nm[0] != '_';
}

static int entry_cmp(const void *x, const void *y)
{
    return strcmp(((const HelpEntry *)x)->name, ((const HelpEntry *)y)->name);
}

/* One entry of a class listing with the " |  " bar: signature or name, then doc. */
static bool put_entry(TnState *st, TnBuf *b, const HelpEntry *e)
{
    static const char *const pseudo_docs[] = {"dictionary for instance variables (if defined)",
                                              "list of weak references to the object (if defined)"};
    if (IS_UNDEF(e->v))
        return buf_printf(b, " |  %s\n |      %s\n |  \n", e->name,
                          pseudo_docs[strcmp(e->name, "__dict__") != 0]);
    TnValue v = e->v, doc = tn_undef();
    bool ok = buf_puts(b, " |  ");
    switch (e->sec) {
    case SEC_CLASSMETHOD:
    case SEC_STATICMETHOD:
    case SEC_METHOD: {
        TnValue f = e->sec == SEC_METHOD ? v : ((TnWrapper *)AS_OBJ(v))->func;
        if (IS_FUNCTION(f)) {
            ok = ok && buf_puts(b, e->name) &&
                 put_func_sig(st, b, AS_FUNCTION(f), e->sec == SEC_CLASSMETHOD, false);
            doc = AS_FUNCTION(f)->doc;
        } else if (IS_NATIVE(f)) {
            ok = ok && put_native_sig(b, (TnNative *)AS_OBJ(f));
            if (((TnNative *)AS_OBJ(f))->def->doc)
                doc = tn_str(st, ((TnNative *)AS_OBJ(f))->def->doc);
            else
                doc = tn_none();
            if (IS_UNDEF(doc))
                return false;
            ok = ok && (e->sec != SEC_CLASSMETHOD || buf_puts(b, " from builtins.type")) &&
                 buf_putc(b, '\n') && put_value_doc(b, doc, " |      ");
            tn_decref(doc);
            return ok && buf_puts(b, " |  \n");
        } else {
            ok = ok && buf_puts(b, e->name);
        }
        if (e->sec == SEC_CLASSMETHOD)
            ok = ok && buf_puts(b, " from builtins.type");
        break;
    }
    case SEC_READONLY:
    case SEC_DESCRIPTOR: {
        TnProperty *p = (TnProperty *)AS_OBJ(v);
        doc = IS_STR(p->doc) ? p->doc : IS_FUNCTION(p->fget) ? AS_FUNCTION(p->fget)->doc : doc;
        ok = ok && buf_puts(b, e->name);
        break;
    }
    default: {
        TnValue r = tn_repr(st, v);
        if (IS_UNDEF(r))
            return false;
        ok = ok && buf_printf(b, "%s = %s", e->name, AS_STR(r)->data);
        tn_decref(r);
    }
    }
    return ok && buf_putc(b, '\n') && put_value_doc(b, doc, " |      ") && buf_puts(b, " |  \n");
}

/* The visible entries that class c contributes to help(t): those not overridden
 * by a class before it in t's MRO. Returns a tn_malloc'ed array (count in *n),
 * or NULL on OOM (*n = -1) or when empty. */
static HelpEntry *class_entries(TnType *t, TnType *c, int64_t *n)
{
    HelpEntry *es = tn_malloc(((size_t)c->dict->n + 2) * sizeof(HelpEntry));
    *n = 0;
    if (!es) {
        *n = -1;
        return NULL;
    }
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(c->dict, &pos, &k, &v)) {
        if (!IS_STR(k) || !visible_name(AS_STR(k)->data))
            continue;
        bool overridden = false;
        for (TnType *d = t; d != c && !overridden; d = d->base)
            overridden = !IS_UNDEF(dict_get_str(d->dict, AS_STR(k)));
        if (!overridden)
            es[(*n)++] = (HelpEntry){AS_STR(k)->data, v, section_of(v)};
    }
    /* instances of classes rooted at object get __dict__ and __weakref__ */
    if (c->base == &tn_object_type) {
        es[(*n)++] = (HelpEntry){"__dict__", tn_undef(), SEC_DESCRIPTOR};
        es[(*n)++] = (HelpEntry){"__weakref__", tn_undef(), SEC_DESCRIPTOR};
    }
    qsort(es, (size_t)*n, sizeof(HelpEntry), entry_cmp);
    return es;
}

/* help() on a user class, laid out as pydoc does: header, constructor, doc,
 * method resolution order, then per class of the MRO its sections. */
static bool put_class_help(TnState *st, TnBuf *b, TnType *t, bool instance)
{
    const char *mod = type_module(t);
    /* pydoc titles help on an instance "Help on C in module M object:" */
    bool ok = instance ? buf_printf(b, "Help on %s in module %s object:\n\n", t->name, mod)
                       : buf_printf(b, "Help on class %s in module %s:\n\n", t->name, mod);
    ok = ok && buf_printf(b, "class %s(", t->name);
    if (t->base && (t->base->flags & TN_TYPE_HEAP))
        ok = ok && buf_puts(b, t->base->name);
    else
        ok = ok && buf_printf(b, "builtins.%s", t->base ? t->base->name : "object");
    ok = ok && buf_puts(b, ")\n");
    TnValue init = type_lookup(t, s_init);
    if (IS_FUNCTION(init)) {
        ok = ok && buf_puts(b, " |  ") && buf_puts(b, t->name) &&
             put_func_sig(st, b, AS_FUNCTION(init), true, false) && buf_puts(b, "\n |  \n");
    }
    if (IS_STR(t->doc))
        ok = ok && put_doc(b, AS_STR(t->doc)->data, " |  ") && buf_puts(b, " |  \n");
    if (t->base && (t->base->flags & TN_TYPE_HEAP)) {
        ok = ok && buf_puts(b, " |  Method resolution order:\n");
        for (TnType *c = t; c && ok; c = c->base)
            ok = (c->flags & TN_TYPE_HEAP) ? buf_printf(b, " |      %s\n", c->name)
                                           : buf_printf(b, " |      builtins.%s\n", c->name);
        ok = ok && buf_puts(b, " |  \n");
    }
    bool first = true;
    for (TnType *c = t; c && (c->flags & TN_TYPE_HEAP) && ok; c = c->base) {
        int64_t n;
        HelpEntry *es = class_entries(t, c, &n);
        if (n < 0)
            return false;
        for (int sec = 0; sec < NSEC && ok; sec++) {
            bool header = false;
            for (int64_t i = 0; i < n && ok; i++) {
                if (es[i].sec != sec)
                    continue;
                if (!header) {
                    if (!first)
                        ok = buf_puts(b, " |  ------------------------------------------------"
                                         "----------------------\n");
                    ok = ok && (c == t ? buf_printf(b, " |  %s defined here:\n |  \n",
                                                    section_names[sec])
                                       : buf_printf(b, " |  %s inherited from %s:\n |  \n",
                                                    section_names[sec], c->name));
                    header = true;
                    first = false;
                }
                ok = ok && put_entry(st, b, &es[i]);
            }
        }
        tn_free(es);
    }
    /* drop the trailing " |  \n" */
    if (ok && b->n >= 5 && memcmp(b->p + b->n - 5, " |  \n", 5) == 0)
        b->n -= 5;
    return ok && buf_putc(b, '\n');
}

/* help() on a namespace, laid out as pydoc does for a module: NAME, DESCRIPTION,
 * FUNCTIONS, DATA, FILE (classes and submodules are left out). */
static bool put_module_help(TnState *st, TnBuf *b, TnValue ns)
{
    TnDict *d = ns_dict(ns);
    TnValue name = dict_get_str(d, s_name);
    TnValue file = dict_get_str(d, s_file);
    TnValue doc = dict_get_str(d, s_doc);
    const char *nm = IS_STR(name) ? AS_STR(name)->data : "?";
    bool ok = buf_printf(b, "Help on %smodule %s:\n\nNAME\n    %s", IS_STR(file) ? "" : "built-in ",
                         nm, nm);
    if (IS_STR(doc)) {
        const char *text = AS_STR(doc)->data, *nl = strchr(text, '\n');
        size_t first = nl ? (size_t)(nl - text) : strlen(text);
        ok = ok && buf_puts(b, " - ") && buf_putn(b, text, first) && buf_putc(b, '\n');
        if (nl && nl[1])
            ok = ok && buf_puts(b, "\nDESCRIPTION\n") && put_doc(b, nl + 1, "    ");
    } else {
        ok = ok && buf_putc(b, '\n');
    }
    HelpEntry *es = tn_malloc(((size_t)d->n + 1) * sizeof(HelpEntry));
    if (!es)
        return false;
    for (int pass = 0; pass < 2 && ok; pass++) {
        int64_t n = 0, pos = 0;
        TnValue k, v;
        while (dict_next(d, &pos, &k, &v)) {
            if (!IS_STR(k) || !visible_name(AS_STR(k)->data) || IS_TYPE(v) ||
                IS_TYPEOF(v, &tn_namespace_type))
                continue;
            bool fn = IS_FUNCTION(v) || IS_NATIVE(v);
            if (fn == (pass == 0))
                es[n++] = (HelpEntry){AS_STR(k)->data, v, fn ? SEC_METHOD : SEC_DATA};
        }
        if (n == 0)
            continue;
        qsort(es, (size_t)n, sizeof(HelpEntry), entry_cmp);
        ok = ok && buf_puts(b, pass == 0 ? "\nFUNCTIONS\n" : "\nDATA\n");
        for (int64_t i = 0; i < n && ok; i++) {
            TnValue v = es[i].v;
            if (pass == 1) {
                TnValue r = tn_repr(st, v);
                if (IS_UNDEF(r)) {
                    tn_free(es);
                    return false;
                }
                ok = buf_printf(b, "    %s = %s\n", es[i].name, AS_STR(r)->data);
                tn_decref(r);
                continue;
            }
            if (i > 0)
                ok = ok && buf_puts(b, "    \n");
            ok = ok && buf_puts(b, "    ");
            if (IS_NATIVE(v)) {
                const TnMethodDef *def = ((TnNative *)AS_OBJ(v))->def;
                ok = ok && put_native_sig(b, (TnNative *)AS_OBJ(v)) && buf_putc(b, '\n') &&
                     (!def->doc || put_doc(b, def->doc, "        "));
            } else {
                ok = ok && buf_puts(b, es[i].name) &&
                     put_func_sig(st, b, AS_FUNCTION(v), false, false) && buf_putc(b, '\n') &&
                     put_value_doc(b, AS_FUNCTION(v)->doc, "        ");
            }
        }
    }
    tn_free(es);
    if (!ok)
        return false;
    if (IS_STR(file))
        return buf_printf(b, "\nFILE\n    %s\n\n", AS_STR(file)->data);
    return buf_puts(b, "\nFILE\n    (built-in)\n\n");
}

/* Builds the help text of v into b; false on error (exception pending) or OOM. */
static bool help_text(TnState *st, TnBuf *b, TnValue v)
{
    if (IS_FUNCTION(v)) {
        TnFunction *fn = AS_FUNCTION(v);
        bool lambda = strcmp(fn->name->data, "<lambda>") == 0;
        if (!buf_printf(b, "Help on function %s in module %s:\n\n", fn->name->data, "__main__") ||
            (lambda && !buf_puts(b, "<lambda> lambda ")))
            return false;
        size_t at = b->n;
        if (!put_func_sig(st, b, fn, false, !lambda))
            return false;
        if (lambda) { /* "lambda x, y" has no parentheses */
            memmove(b->p + at, b->p + at + 1, b->n - at - 1);
            b->n -= 2;
        }
        return buf_putc(b, '\n') && put_value_doc(b, fn->doc, "    ") && buf_putc(b, '\n');
    }
    if (IS_TYPEOF(v, &tn_method_type)) {
        TnMethod *m = (TnMethod *)AS_OBJ(v);
        if (IS_FUNCTION(m->func)) {
            TnFunction *fn = AS_FUNCTION(m->func);
            TnType *ct = IS_TYPE(m->self) ? AS_TYPE(m->self) : tn_type_of(m->self);
            return buf_printf(b, "Help on method %s in module __main__:\n\n", fn->name->data) &&
                   put_func_sig(st, b, fn, true, true) &&
                   buf_printf(b, " method of %s.%s instance\n", type_module(ct), ct->name) &&
                   put_value_doc(b, fn->doc, "    ") && buf_putc(b, '\n');
        }
        return help_text(st, b, m->func);
    }
    if (IS_NATIVE(v)) {
        TnNative *n = (TnNative *)AS_OBJ(v);
        bool ok = buf_printf(b, "Help on built-in function %s", n->def->name);
        const char *mod = native_module(st, v);
        if (mod)
            ok = ok && buf_printf(b, " in module %s", mod);
        ok = ok && buf_puts(b, ":\n\n") && put_native_sig(b, n);
        if (!IS_UNDEF(n->self))
            ok = ok && buf_printf(b, " method of builtins.%s instance", tn_type_name(n->self));
        ok = ok && buf_putc(b, '\n');
        if (n->def->doc)
            ok = ok && put_doc(b, n->def->doc, "    ");
        return ok && buf_putc(b, '\n');
    }
    if (IS_TYPE(v)) {
        TnType *t = AS_TYPE(v);
        if (t->flags & TN_TYPE_HEAP)
            return put_class_help(st, b, t, false);
        bool ok = buf_printf(b, "Help on class %s in module builtins:\n\nclass %s(%s)\n", t->name,
                             t->name, t->base ? t->base->name : "object");
        if (IS_STR(t->doc))
            ok = ok && put_doc(b, AS_STR(t->doc)->data, " |  ");
        return ok && buf_putc(b, '\n');
    }
    if (IS_TYPEOF(v, &tn_namespace_type))
        return put_module_help(st, b, v);
    TnType *t = tn_type_of(v);
    if (t->flags & TN_TYPE_HEAP) {
        return put_class_help(st, b, t, true);
    }
    bool ok = buf_printf(b, "Help on %s object:\n\nclass %s(%s)\n", t->name, t->name,
                         t->base ? t->base->name : "object");
    if (IS_STR(t->doc))
        ok = ok && put_doc(b, AS_STR(t->doc)->data, " |  ");
    return ok && buf_putc(b, '\n');
}

static TnValue bi_help(TnState *st, TnValue *a)
{
    TnValue v = a[0];
    if (IS_UNDEF(v)) {
        fputs("Type help(object) for help about object.\n", stdout);
        return tn_none();
    }
    if (builtins_help_hook) {
        int r = builtins_help_hook(st, v);
        if (r < 0)
            return tn_undef();
        if (r > 0)
            return tn_none();
    }
    if (IS_STR(v)) {
        TnStr *key = str_intern_n(AS_STR(v)->data, AS_STR(v)->len);
        if (!key)
            return tn_no_memory(st);
        TnValue found = dict_get_str(st->builtins, key);
        if (IS_UNDEF(found)) {
            printf("No Python documentation found for '%s'.\n"
                   "Use help() to get the interactive help utility.\n"
                   "Use help(str) for help on the str class.\n\n",
                   AS_STR(v)->data);
            return tn_none();
        }
        v = found;
    }
    TnBuf b = {0};
    if (!help_text(st, &b, v)) {
        buf_free(&b);
        return failed(st) ? tn_undef() : tn_no_memory(st);
    }
    fwrite(b.p, 1, b.n, stdout);
    buf_free(&b);
    return tn_none();
}

/* ------------------------------------------------------------ input/output */

static TnValue bi_input(TnState *st, TnValue *a)
{
    TnValue prompt = a[0];
    if (!IS_STR(prompt)) {
        prompt = tn_to_str(st, prompt);
        if (IS_UNDEF(prompt))
            return prompt;
    } else {
        tn_incref(prompt);
    }
    fwrite(AS_STR(prompt)->data, 1, (size_t)AS_STR(prompt)->len, stdout);
    tn_decref(prompt);
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        int err = errno;
        free(line);
        clearerr(stdin);
        if (tn_interrupted || err == EINTR) {
            tn_interrupted = 0;
            return tn_raise_value(st, tn_ref(tn_obj(tn_KeyboardInterrupt)));
        }
        return tn_raise(st, tn_EOFError, "EOF when reading a line");
    }
    if (n > 0 && line[n - 1] == '\n')
        n--;
    TnValue s = tn_str_n(st, line, n);
    free(line);
    return s;
}

static TnValue bi_open(TnState *st, TnValue *a)
{
    return file_open(st, a[0], a[1], a[3]);
}

/* exit()/quit(): raise SystemExit(code); e.code reads the code back from args. */
static TnValue bi_exit(TnState *st, TnValue *a)
{
    TnValue e = exc_new(st, tn_SystemExit, a[0]);
    if (IS_UNDEF(e))
        return e;
    return tn_raise_value(st, e);
}

/* ------------------------------------------------------------------ tables */

static const TnMethodDef builtin_defs[] = {
    {"print",      bi_print,      "print(*args, sep=' ', end='\n', file=None, flush=False)", NULL,
     "Prints the values to a stream, or to sys.stdout by default.\n\n"
     "sep\n  string inserted between values, default a space.\n"
     "end\n  string appended after the last value, default a newline.\n"
     "file\n  a file-like object (stream); defaults to the current sys.stdout.\n"
     "flush\n  whether to forcibly flush the stream."},
    {"len",        bi_len,        "len(obj, /)", NULL,
     "Return the number of items in a container."},
    {"repr",       bi_repr,       "repr(obj, /)", NULL,
     "Return the canonical string representation of the object."},
    {"id",         bi_id,         "id(obj, /)", NULL, "Return the identity of an object."},
    {"hash",       bi_hash,       "hash(obj, /)", NULL,
     "Return the hash value for the given object."},
    {"callable",   bi_callable,   "callable(obj, /)", NULL,
     "Return whether the object is callable (i.e., some kind of function)."},
    {"isinstance", bi_isinstance, "isinstance(obj, class_or_tuple, /)", NULL,
     "Return whether an object is an instance of a class or of a subclass thereof."},
    {"issubclass", bi_issubclass, "issubclass(cls, class_or_tuple, /)", NULL,
     "Return whether 'cls' is derived from another class or is the same class."},
    {"getattr",    bi_getattr,    "getattr(object, name, default=?, /)", NULL,
     "Get a named attribute from an object; getattr(x, 'y') is equivalent to x.y."},
    {"hasattr",    bi_hasattr,    "hasattr(obj, name, /)", NULL,
     "Return whether the object has an attribute with the given name."},
    {"setattr",    bi_setattr,    "setattr(obj, name, value, /)", NULL,
     "Sets the named attribute on the given object to the specified value."},
    {"delattr",    bi_delattr,    "delattr(obj, name, /)", NULL,
     "Deletes the named attribute from the given object."},
    {"iter",       bi_iter,       "iter(object, sentinel=?, /)", NULL,
     "Get an iterator from an object; with a sentinel, call it until it returns the sentinel."},
    {"next",       bi_next,       "next(iterator, default=?, /)", NULL,
     "Return the next item from the iterator."},
    {"sum",        bi_sum,        "sum(iterable, /, start=0)", NULL,
     "Return the sum of a 'start' value (default: 0) plus an iterable of numbers."},
    {"min",        bi_min,        "min(*args, key=None, default=?)", NULL,
     "With a single iterable argument, return its smallest item."},
    {"max",        bi_max,        "max(*args, key=None, default=?)", NULL,
     "With a single iterable argument, return its biggest item."},
    {"any",        bi_any,        "any(iterable, /)", NULL,
     "Return True if bool(x) is True for any x in the iterable."},
    {"all",        bi_all,        "all(iterable, /)", NULL,
     "Return True if bool(x) is True for all values x in the iterable."},
    {"sorted",     bi_sorted,     "sorted(iterable, /, *, key=None, reverse=False)", NULL,
     "Return a new list containing all items from the iterable in ascending order."},
    {"abs",        bi_abs,        "abs(x, /)", NULL, "Return the absolute value of the argument."},
    {"round",      bi_round,      "round(number, ndigits=None)", NULL,
     "Round a number to a given precision in decimal digits."},
    {"pow",        bi_pow,        "pow(base, exp, mod=None)", NULL,
     "Equivalent to base**exp with 2 arguments or base**exp % mod with 3 arguments"},
    {"divmod",     bi_divmod,     "divmod(x, y, /)", NULL,
     "Return the tuple (x//y, x%y).  Invariant: div*y + mod == x."},
    {"chr",        bi_chr,        "chr(i, /)", NULL,
     "Return a Unicode string of one character with ordinal i; 0 <= i <= 0x10ffff."},
    {"ord",        bi_ord,        "ord(c, /)", NULL,
     "Return the Unicode code point for a one-character string."},
    {"hex",        bi_hex,        "hex(number, /)", NULL,
     "Return the hexadecimal representation of an integer."},
    {"oct",        bi_oct,        "oct(number, /)", NULL,
     "Return the octal representation of an integer."},
    {"bin",        bi_bin,        "bin(number, /)", NULL,
     "Return the binary representation of an integer."},
    {"format",     bi_format,     "format(value, format_spec='', /)", NULL,
     "Return value.__format__(format_spec)"},
    {"ascii",      bi_ascii,      "ascii(obj, /)", NULL,
     "Return an ASCII-only representation of an object."},
    {"globals",    bi_globals,    "globals()", NULL,
     "Return the dictionary containing the current scope's global variables."},
    {"locals",     bi_locals,     "locals()", NULL,
     "Return a dictionary containing the current scope's local variables."},
    {"vars",       bi_vars,       "vars(object=?, /)", NULL,
     "Show vars: without arguments, equivalent to locals(); else object.__dict__."},
    {"dir",        bi_dir,        "dir(object=?, /)", NULL,
     "Show attributes of an object, or the names in the current scope."},
    {"help",       bi_help,       "help(request=?)", NULL,
     "Show the documentation of an object."},
    {"input",      bi_input,      "input(prompt='', /)", NULL,
     "Read a string from standard input.  The trailing newline is stripped."},
    {"open",       bi_open,
     "open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None)", NULL,
     "Open file and return a stream.  Raise OSError upon failure."},
    {"exit",       bi_exit,       "exit(code=None)", NULL, "Exit the interpreter."},
    {"quit",       bi_exit,       "quit(code=None)", NULL, "Exit the interpreter."},
    {NULL},
};

/* Types that are builtins by name (state.c adds the exception classes and
 * property, staticmethod, classmethod, super). */
static const struct {
    const char *name;
    TnType *type;
} builtin_types[] = {
    {"object",       &tn_object_type},       {"type",        &tn_type_type},
    {"int",          &tn_int_type},          {"float",       &tn_float_type},
    {"bool",         &tn_bool_type},         {"str",         &tn_str_type},
    {"list",         &tn_list_type},         {"tuple",       &tn_tuple_type},
    {"dict",         &tn_dict_type},         {"set",         &tn_set_type},
    {"frozenset",    &tn_frozenset_type},    {"range",       &tn_range_type},
    {"slice",        &tn_slice_type},        {"enumerate",   &tn_enumerate_type},
    {"zip",          &tn_zip_type},          {"map",         &tn_map_type},
    {"filter",       &tn_filter_type},       {"reversed",    &tn_reversed_type},
};

/* Iterator types of this file that need type_ready. */
static TnType *const own_types[] = {
    &tn_enumerate_type, &tn_zip_type,          &tn_map_type,     &tn_filter_type,
    &tn_reversed_type,  &tn_list_reviter_type, &tn_calliter_type,
};

/* builtins[name] = v (increfed); 0 or -1 with MemoryError. */
static int add_builtin(TnState *st, TnDict *builtins, const char *name, TnValue v)
{
    TnStr *key = str_intern(name);
    if (!key)
        return tn_no_memory(st), -1;
    return dict_set_str(st, builtins, key, v);
}

int builtins_init(TnState *st, TnDict *builtins)
{
    for (size_t i = 0; i < sizeof interned_names / sizeof interned_names[0]; i++)
        if (!(*interned_names[i].slot = str_intern(interned_names[i].name)))
            return tn_no_memory(st), -1;
    for (size_t i = 0; i < sizeof own_types / sizeof own_types[0]; i++)
        if (type_ready(st, own_types[i]) < 0)
            return -1;
    if (file_type_init(st) < 0)
        return -1;
    for (const TnMethodDef *d = builtin_defs; d->name; d++) {
        TnValue f = native_new(st, d, tn_undef());
        if (IS_UNDEF(f))
            return -1;
        int rc = add_builtin(st, builtins, d->name, f);
        tn_decref(f);
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof builtin_types / sizeof builtin_types[0]; i++)
        if (add_builtin(st, builtins, builtin_types[i].name, tn_obj(builtin_types[i].type)) < 0)
            return -1;
    if (add_builtin(st, builtins, "NotImplemented", tn_notimpl()) < 0 ||
        add_builtin(st, builtins, "Ellipsis", tn_ellipsis()) < 0)
        return -1;
    return 0;
}
