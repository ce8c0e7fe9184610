/* exc.c: exception classes, raising, and the pending-exception state. */
#include "exc.h"
#include "object.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TnState *tn_state;
volatile sig_atomic_t tn_interrupted;

TnType *tn_BaseException, *tn_Exception, *tn_RuntimeError, *tn_ValueError, *tn_TypeError,
    *tn_IndexError, *tn_KeyError, *tn_AttributeError, *tn_NameError, *tn_ZeroDivisionError,
    *tn_AssertionError, *tn_StopIteration, *tn_NotImplementedError, *tn_KeyboardInterrupt,
    *tn_RecursionError, *tn_MemoryError, *tn_OverflowError, *tn_ImportError,
    *tn_ModuleNotFoundError, *tn_SyntaxError, *tn_UnboundLocalError, *tn_OSError,
    *tn_FileNotFoundError, *tn_PermissionError, *tn_UserWarning, *tn_Warning, *tn_LookupError,
    *tn_ArithmeticError, *tn_SystemExit, *tn_DeprecationWarning, *tn_FloatingPointError,
    *tn_GeneratorExit, *tn_IsADirectoryError, *tn_EOFError, *tn_IndentationError, *tn_TabError;

/* The hierarchy, parents before children. */
static const struct {
    TnType **slot;
    const char *name;
    TnType **base;
} exc_table[] = {
    {&tn_BaseException,       "BaseException",       NULL},
    {&tn_Exception,           "Exception",           &tn_BaseException},
    {&tn_KeyboardInterrupt,   "KeyboardInterrupt",   &tn_BaseException},
    {&tn_SystemExit,          "SystemExit",          &tn_BaseException},
    {&tn_GeneratorExit,       "GeneratorExit",       &tn_BaseException},
    {&tn_ArithmeticError,     "ArithmeticError",     &tn_Exception},
    {&tn_ZeroDivisionError,   "ZeroDivisionError",   &tn_ArithmeticError},
    {&tn_OverflowError,       "OverflowError",       &tn_ArithmeticError},
    {&tn_FloatingPointError,  "FloatingPointError",  &tn_ArithmeticError},
    {&tn_LookupError,         "LookupError",         &tn_Exception},
    {&tn_IndexError,          "IndexError",          &tn_LookupError},
    {&tn_KeyError,            "KeyError",            &tn_LookupError},
    {&tn_RuntimeError,        "RuntimeError",        &tn_Exception},
    {&tn_RecursionError,      "RecursionError",      &tn_RuntimeError},
    {&tn_NotImplementedError, "NotImplementedError", &tn_RuntimeError},
    {&tn_ValueError,          "ValueError",          &tn_Exception},
    {&tn_TypeError,           "TypeError",           &tn_Exception},
    {&tn_AttributeError,      "AttributeError",      &tn_Exception},
    {&tn_NameError,           "NameError",           &tn_Exception},
    {&tn_UnboundLocalError,   "UnboundLocalError",   &tn_NameError},
    {&tn_AssertionError,      "AssertionError",      &tn_Exception},
    {&tn_StopIteration,       "StopIteration",       &tn_Exception},
    {&tn_MemoryError,         "MemoryError",         &tn_Exception},
    {&tn_ImportError,         "ImportError",         &tn_Exception},
    {&tn_ModuleNotFoundError, "ModuleNotFoundError", &tn_ImportError},
    {&tn_SyntaxError,         "SyntaxError",         &tn_Exception},
    {&tn_IndentationError,    "IndentationError",    &tn_SyntaxError},
    {&tn_TabError,            "TabError",            &tn_IndentationError},
    {&tn_EOFError,            "EOFError",            &tn_Exception},
    {&tn_OSError,             "OSError",             &tn_Exception},
    {&tn_FileNotFoundError,   "FileNotFoundError",   &tn_OSError},
    {&tn_PermissionError,     "PermissionError",     &tn_OSError},
    {&tn_IsADirectoryError,   "IsADirectoryError",   &tn_OSError},
    {&tn_Warning,             "Warning",             &tn_Exception},
    {&tn_UserWarning,         "UserWarning",         &tn_Warning},
    {&tn_DeprecationWarning,  "DeprecationWarning",  &tn_Warning},
};

/* ------------------------------------------------------------ instances */

static void exception_dealloc(TnObject *o);

static TnValue exception_alloc(TnState *st, TnType *type)
{
    TnException *e = tn_alloc_object(st, type, sizeof(TnException));
    if (!e)
        return tn_undef();
    e->args = tn_undef();
    e->traceback = tn_undef();
    e->context = tn_undef();
    e->cause = tn_undef();
    TnValue d = dict_new(st);
    TnValue args = IS_UNDEF(d) ? d : tuple_new(st, 0);
    if (IS_UNDEF(args)) {
        if (!IS_UNDEF(d))
            e->dict = AS_DICT(d);
        tn_obj_decref(e); /* the usual path, which also releases a user class's reference */
        return tn_undef();
    }
    e->dict = AS_DICT(d);
    e->args = args;
    return tn_obj(e);
}

static void exception_dealloc(TnObject *o)
{
    TnException *e = (TnException *)o;
    tn_obj_decref(e->dict);
    tn_decref(e->args);
    tn_decref(e->traceback);
    tn_decref(e->context);
    tn_decref(e->cause);
    tn_free_object(e);
}

static void exception_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnException *e = (TnException *)o;
    tn_visit_obj(e->dict, visit, arg);
    tn_visit(e->args, visit, arg);
    tn_visit(e->traceback, visit, arg);
    tn_visit(e->context, visit, arg);
    tn_visit(e->cause, visit, arg);
}

/* The dict's clear breaks attribute cycles; the chained exceptions and the traceback
 * can close a cycle too (e.__context__ = e). */
static void exception_clear(TnObject *o)
{
    TnException *e = (TnException *)o;
    TnValue tb = e->traceback, ctx = e->context, cause = e->cause;
    e->traceback = e->context = e->cause = tn_undef();
    tn_decref(tb);
    tn_decref(ctx);
    tn_decref(cause);
}

bool tn_isinstance_type(TnType *t, TnType *base)
{
    for (; t; t = t->base)
        if (t == base)
            return true;
    return false;
}

bool exc_is_exception_value(TnValue v)
{
    return IS_OBJ(v) && tn_isinstance_type(AS_OBJ(v)->type, tn_BaseException);
}

int exc_set_new_args(TnState *st, TnValue exc, const TnValue *args, int nargs)
{
    TnValue t = tuple_from_array(st, args, nargs);
    if (IS_UNDEF(t))
        return -1;
    TnException *e = (TnException *)AS_OBJ(exc);
    tn_decref(e->args);
    e->args = t;
    return 0;
}

static TnValue exception_str(TnState *st, TnValue self)
{
    TnException *e = (TnException *)AS_OBJ(self);
    TnTuple *args = AS_TUPLE(e->args);
    if (args->n == 0)
        return tn_str(st, "");
    if (args->n == 1) {
        /* KeyError shows the key's repr so that KeyError: 'x' reads as in Python. */
        if (tn_isinstance_type(e->head.type, tn_KeyError))
            return tn_repr(st, args->items[0]);
        return tn_to_str(st, args->items[0]);
    }
    return tn_to_str(st, e->args);
}

static TnValue exception_repr(TnState *st, TnValue self)
{
    TnException *e = (TnException *)AS_OBJ(self);
    TnTuple *args = AS_TUPLE(e->args);
    const char *name = e->head.type->name;
    if (args->n == 1) {
        TnValue r = tn_repr(st, args->items[0]);
        if (IS_UNDEF(r))
            return r;
        TnValue out = tn_str_fmt(st, "%s(%s)", name, AS_STR(r)->data);
        tn_decref(r);
        return out;
    }
    if (args->n == 0)
        return tn_str_fmt(st, "%s()", name);
    TnValue r = tn_repr(st, e->args);
    if (IS_UNDEF(r))
        return r;
    TnValue out = tn_str_fmt(st, "%s%s", name, AS_STR(r)->data);
    tn_decref(r);
    return out;
}

static TnValue BaseException_init(TnState *st, TnValue *a)
{
    TnException *e = (TnException *)AS_OBJ(a[0]);
    tn_incref(a[1]);
    tn_decref(e->args);
    e->args = a[1];
    return tn_none();
}

static TnValue BaseException_str(TnState *st, TnValue *a)
{
    return exception_str(st, a[0]);
}

static TnValue BaseException_repr(TnState *st, TnValue *a)
{
    return exception_repr(st, a[0]);
}

static TnValue exception_get_args(TnState *st, TnValue self)
{
    return tn_ref(((TnException *)AS_OBJ(self))->args);
}

static int exception_set_args(TnState *st, TnValue self, TnValue v)
{
    TnException *e = (TnException *)AS_OBJ(self);
    TnValue t;
    if (IS_TUPLE(v)) {
        t = tn_ref(v);
    } else {
        TnValue l = list_from_iterable(st, v);
        if (IS_UNDEF(l))
            return -1;
        t = tuple_from_array(st, AS_LIST(l)->items, AS_LIST(l)->n);
        tn_decref(l);
        if (IS_UNDEF(t))
            return -1;
    }
    tn_decref(e->args);
    e->args = t;
    return 0;
}

/* __cause__ and __context__ read None when unset, as in Python. */
static TnValue exception_get_cause(TnState *st, TnValue self)
{
    TnValue c = ((TnException *)AS_OBJ(self))->cause;
    return IS_UNDEF(c) ? tn_none() : tn_ref(c);
}

static TnValue exception_get_context(TnState *st, TnValue self)
{
    TnValue c = ((TnException *)AS_OBJ(self))->context;
    return IS_UNDEF(c) ? tn_none() : tn_ref(c);
}

/* Stores an exception-or-None into *slot; `what` names the attribute for the error. */
static int exception_set_link(TnState *st, TnValue *slot, TnValue v, const char *what)
{
    if (IS_UNDEF(v))
        v = tn_none();
    if (!IS_NONE(v) && !exc_is_exception_value(v))
        return tn_raise_int(st, tn_TypeError, "exception %s must be None or derive from BaseException",
                            what);
    tn_incref(v);
    tn_decref(*slot);
    *slot = v;
    return 0;
}

static int exception_set_cause(TnState *st, TnValue self, TnValue v)
{
    TnException *e = (TnException *)AS_OBJ(self);
    e->suppress_context = true; /* as Python's setter does */
    return exception_set_link(st, &e->cause, v, "cause");
}

static int exception_set_context(TnState *st, TnValue self, TnValue v)
{
    return exception_set_link(st, &((TnException *)AS_OBJ(self))->context, v, "context");
}

static TnValue exception_get_suppress(TnState *st, TnValue self)
{
    return tn_bool(((TnException *)AS_OBJ(self))->suppress_context);
}

static int exception_set_suppress(TnState *st, TnValue self, TnValue v)
{
    int t = IS_UNDEF(v) ? 0 : tn_truthy(st, v);
    if (t < 0)
        return -1;
    ((TnException *)AS_OBJ(self))->suppress_context = t;
    return 0;
}

/* SystemExit.code and StopIteration.value: None, the only argument, or the args tuple. */
static TnValue exception_get_code(TnState *st, TnValue self)
{
    TnTuple *args = AS_TUPLE(((TnException *)AS_OBJ(self))->args);
    if (args->n == 0)
        return tn_none();
    return tn_ref(args->n == 1 ? args->items[0] : ((TnException *)AS_OBJ(self))->args);
}

static TnValue exception_get_value(TnState *st, TnValue self)
{
    TnTuple *args = AS_TUPLE(((TnException *)AS_OBJ(self))->args);
    return args->n == 0 ? tn_none() : tn_ref(args->items[0]);
}

static const TnMethodDef exception_methods[] = {
    {"__init__", BaseException_init, "__init__(self, *args)", NULL, NULL},
    {"__str__", BaseException_str, "__str__(self)", NULL, NULL},
    {"__repr__", BaseException_repr, "__repr__(self)", NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static const TnGetSetDef exception_getset[] = {
    {"args", exception_get_args, exception_set_args, NULL},
    {"__cause__", exception_get_cause, exception_set_cause, NULL},
    {"__context__", exception_get_context, exception_set_context, NULL},
    {"__suppress_context__", exception_get_suppress, exception_set_suppress, NULL},
    {NULL, NULL, NULL, NULL},
};

static const TnGetSetDef system_exit_getset[] = {
    {"code", exception_get_code, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

static const TnGetSetDef stop_iteration_getset[] = {
    {"value", exception_get_value, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* A built-in exception class: static slots, runtime-allocated type object so that
 * user classes can subclass it like any other. */
static TnType *make_exception_type(TnState *st, const char *name, TnType *base)
{
    TnType *t = tn_calloc(1, sizeof(TnType));
    if (!t)
        return NULL;
    t->head.refcnt = 1;
    t->head.type = &tn_type_type;
    t->name = name;
    t->base = base;
    t->flags = TN_TYPE_BASETYPE | TN_TYPE_HAS_DICT;
    t->alloc = exception_alloc;
    t->dealloc = exception_dealloc;
    t->traverse = exception_traverse;
    t->clear = exception_clear;
    t->repr = exception_repr;
    t->str = exception_str;
    t->doc = tn_none();
    if (!base) {
        t->methods = exception_methods;
        t->getset = exception_getset;
    } else if (!strcmp(name, "SystemExit")) {
        t->getset = system_exit_getset;
    } else if (!strcmp(name, "StopIteration")) {
        t->getset = stop_iteration_getset;
    }
    t->name_str = str_intern(name);
    if (type_ready(st, t) < 0) {
        /* the dict's natives hold t as their owner: release them, then t */
        tn_obj_decref(t->dict);
        tn_free(t);
        return NULL;
    }
    return t;
}

int exc_init(TnState *st)
{
    for (size_t i = 0; i < sizeof exc_table / sizeof exc_table[0]; i++) {
        TnType *base = exc_table[i].base ? *exc_table[i].base : NULL;
        TnType *t = make_exception_type(st, exc_table[i].name, base);
        if (!t) {
            fprintf(stderr, "tn: cannot create exception types\n");
            return -1;
        }
        *exc_table[i].slot = t;
    }
    TnValue me = exception_alloc(st, tn_MemoryError);
    if (IS_UNDEF(me))
        return -1;
    st->memory_error = me;
    return 0;
}

int exc_add_builtins(TnState *st, TnDict *builtins)
{
    for (size_t i = 0; i < sizeof exc_table / sizeof exc_table[0]; i++) {
        TnType *t = *exc_table[i].slot;
        if (dict_set_str(st, builtins, t->name_str, tn_obj(t)) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- raising */

TnValue exc_new(TnState *st, TnType *type, TnValue msg)
{
    TnValue e = exception_alloc(st, type);
    if (IS_UNDEF(e))
        return e;
    if (!IS_UNDEF(msg)) {
        TnValue args = tuple_pack(st, 1, msg);
        if (IS_UNDEF(args)) {
            tn_decref(e);
            return args;
        }
        TnException *x = (TnException *)AS_OBJ(e);
        tn_decref(x->args);
        x->args = args;
    }
    return e;
}

static void set_pending(TnState *st, TnValue exc)
{
    TnValue old = st->exc;
    st->exc = exc;
    tn_decref(old);
}

static void raise_v(TnState *st, TnType *type, const char *fmt, va_list ap)
{
    /* Start-up failures (only allocation failures can happen there) may raise before
     * exc_init made the classes: report them as the out-of-memory they are. */
    if (!type) {
        tn_no_memory(st);
        return;
    }
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    TnValue msg;
    if (n < (int)sizeof small) {
        msg = tn_str_n(st, small, n < 0 ? 0 : n);
    } else {
        char *big = tn_malloc((size_t)n + 1);
        if (!big) {
            va_end(ap2);
            tn_no_memory(st);
            return;
        }
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        msg = tn_str_n(st, big, n);
        tn_free(big);
    }
    va_end(ap2);
    if (IS_UNDEF(msg)) {
        tn_no_memory(st);
        return;
    }
    TnValue e = exc_new(st, type, msg);
    tn_decref(msg);
    if (IS_UNDEF(e)) {
        tn_no_memory(st);
        return;
    }
    set_pending(st, e);
}

TnValue tn_raise(TnState *st, TnType *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(st, type, fmt, ap);
    va_end(ap);
    return tn_undef();
}

int tn_raise_int(TnState *st, TnType *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(st, type, fmt, ap);
    va_end(ap);
    return -1;
}

void *tn_raise_ptr(TnState *st, TnType *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(st, type, fmt, ap);
    va_end(ap);
    return NULL;
}

TnValue tn_raise_value(TnState *st, TnValue exc)
{
    if (IS_TYPE(exc) && tn_isinstance_type(AS_TYPE(exc), tn_BaseException)) {
        TnValue inst = tn_call(st, exc, NULL, 0, NULL, 0);
        tn_decref(exc);
        if (IS_UNDEF(inst))
            return inst;
        exc = inst;
    }
    if (!exc_is_exception_value(exc)) {
        tn_decref(exc);
        return tn_raise(st, tn_TypeError, "exceptions must derive from BaseException");
    }
    set_pending(st, exc);
    return tn_undef();
}

int tn_raise_interrupt(TnState *st)
{
    tn_interrupted = 0;
    tn_raise(st, tn_KeyboardInterrupt, "%s", "");
    return -1;
}

TnValue tn_no_memory(TnState *st)
{
    /* Early in start-up the instance does not exist yet: tn_init reports the failure. */
    if (IS_UNDEF(st->memory_error))
        return tn_undef();
    TnException *e = (TnException *)AS_OBJ(st->memory_error);
    /* The preallocated instance may carry an old traceback: reset it. */
    tn_decref(e->traceback);
    e->traceback = tn_undef();
    set_pending(st, tn_ref(st->memory_error));
    return tn_undef();
}

bool tn_error_matches(TnState *st, TnType *type)
{
    return !IS_UNDEF(st->exc) && tn_isinstance_type(AS_OBJ(st->exc)->type, type);
}

void tn_clear_error(TnState *st)
{
    set_pending(st, tn_undef());
}

TnValue tn_fetch_error(TnState *st)
{
    TnValue e = st->exc;
    st->exc = tn_undef();
    return e;
}

/* Appends one traceback record (file, line, col, function, source line) to the
 * pending exception. Records go innermost first; the report prints them reversed. */
void exc_add_frame(TnState *st, const char *file, int line, int col, const char *func,
                   const char *srcline, int srclen)
{
    if (!exc_is_exception_value(st->exc))
        return;
    TnException *e = (TnException *)AS_OBJ(st->exc);
    if (IS_UNDEF(e->traceback)) {
        TnValue l = list_new(st, 0);
        if (IS_UNDEF(l))
            return;
        e->traceback = l;
    }
    TnValue f = tn_str(st, file), fn = tn_str(st, func);
    TnValue src = tn_str_n(st, srcline ? srcline : "", srcline ? srclen : 0);
    if (!IS_UNDEF(f) && !IS_UNDEF(fn) && !IS_UNDEF(src)) {
        TnValue rec = tuple_pack(st, 5, f, tn_int(line), tn_int(col), fn, src);
        if (!IS_UNDEF(rec)) {
            if (list_append(st, AS_LIST(e->traceback), rec) < 0) {
                /* out of memory while recording: the report will just be shorter */
            }
            tn_decref(rec);
        }
    }
    tn_decref(f);
    tn_decref(fn);
    tn_decref(src);
}

/* Prints "Traceback ...", the records with their source lines and a caret, then
 * "Type: message", to stderr. Leaves the exception pending. */
void exc_print(TnState *st, TnValue exc)
{
    fflush(stdout);
    if (!exc_is_exception_value(exc))
        return;
    TnException *e = (TnException *)AS_OBJ(exc);
    if (IS_LIST(e->traceback) && AS_LIST(e->traceback)->n > 0) {
        TnList *tb = AS_LIST(e->traceback);
        fprintf(stderr, "Traceback (most recent call last):\n");
        for (int64_t i = tb->n - 1; i >= 0; i--) {
            TnTuple *r = AS_TUPLE(tb->items[i]);
            fprintf(stderr, "  File \"%s\", line %lld, in %s\n", AS_STR(r->items[0])->data,
                    (long long)AS_INT(r->items[1]), AS_STR(r->items[3])->data);
            TnStr *src = AS_STR(r->items[4]);
            if (src->len == 0)
                continue;
            const char *p = src->data;
            int skipped = 0;
            while (*p == ' ' || *p == '\t')
                p++, skipped++;
            fprintf(stderr, "    %s\n", p);
            int64_t col = AS_INT(r->items[2]) - 1 - skipped;
            if (col >= 0)
                fprintf(stderr, "    %*s^\n", (int)col, "");
        }
    }
    const char *name = e->head.type->name;
    TnValue saved = tn_fetch_error(st);
    TnValue msg = tn_to_str(st, exc);
    if (IS_UNDEF(msg)) {
        tn_clear_error(st);
        fprintf(stderr, "%s: <exception str() failed>\n", name);
    } else if (AS_STR(msg)->len == 0) {
        fprintf(stderr, "%s\n", name);
    } else {
        fprintf(stderr, "%s: %s\n", name, AS_STR(msg)->data);
    }
    tn_decref(msg);
    st->exc = saved;
    fflush(stderr);
}
