/* object.h: types, the interpreter state, errors, and the protocols every value speaks.
 *
 * A type (TnType) is itself an object. Built-in types are static structs with
 * designated initializers; their `methods` and `getset` tables are turned into
 * entries of the type's dict by type_ready() at startup. User classes are
 * TnTypes made at run time whose slots look up dunder methods in their dict.
 *
 * Errors are status returns, never longjmp: a function that fails sets the
 * pending exception in the TnState and returns V_UNDEF / NULL / -1. Use
 * `return tn_raise(st, tn_TypeError, "...")`. Functions that own references keep
 * one cleanup label.
 *
 * Calls use one convention everywhere (vectorcall): `args` holds nargs
 * positional values followed by nkw keyword values whose names are kwnames[].
 * Native functions instead declare a Python-style signature string and receive
 * their arguments already bound to parameter slots (see TnMethodDef).
 */
#ifndef TN_OBJECT_H
#define TN_OBJECT_H

#include "ops.h"
#include "value.h"
#include <signal.h>
#include <stdarg.h>

typedef struct TnState TnState;
typedef struct TnStr TnStr;
typedef struct TnTuple TnTuple;
typedef struct TnList TnList;
typedef struct TnDict TnDict;
typedef struct TnSig TnSig;

/* The cycle collector's callback: called once for each object reference an object
 * owns (see TnType.traverse and gc.c). */
typedef void (*TnVisit)(TnObject *o, void *arg);

/* ---------------------------------------------------------------- strings */
/* Immutable UTF-8 string. `len` is bytes, `nchars` code points; data is
 * NUL-terminated. `hash` is computed on creation. Interned strings (all names
 * in source, all attribute names in tables) compare equal by pointer. */
struct TnStr {
    TN_OBJECT_HEAD;
    int64_t len;
    int64_t nchars;
    uint64_t hash;
    uint8_t interned;
    uint8_t ascii; /* nchars == len: indexing is O(1) */
    char data[];
};

/* ------------------------------------------------------------ containers */
struct TnTuple {
    TN_OBJECT_HEAD;
    int64_t n;
    uint64_t hash_cache; /* 0 = not computed */
    TnValue items[];
};

struct TnList {
    TN_OBJECT_HEAD;
    int64_t n, cap;
    TnValue *items;
};

/* Insertion-ordered hash table (compact dict: entries in order + index table). */
typedef struct TnDictEntry {
    TnValue key, value; /* key UNDEF = deleted slot */
    uint64_t hash;
} TnDictEntry;

struct TnDict {
    TN_OBJECT_HEAD;
    int64_t n;          /* live entries */
    int64_t nentries;   /* used entries including deleted */
    int64_t capentries; /* allocated entries */
    int64_t nindex;     /* power of two */
    int32_t *index;     /* -1 empty, -2 dummy, else entry number */
    TnDictEntry *entries;
    uint64_t version; /* a stamp unique to this dict's current contents (type_lookup's cache) */
    bool type_attrs;    /* a type's attribute dict: every change bumps tn_type_epoch */
};
/* Bumped into a dict's version at its creation and at every change (dict.c). */
extern uint64_t tn_dict_version_stamp;

/* Counts changes to any type's attributes (and types going away): attr_cache.c's inline
 * caches hold an answer only while the epoch it was found in is current. */
extern uint64_t tn_type_epoch;

/* Makes d the attribute dict of a type (see type_attrs). */
static inline void tn_dict_adopt_type_attrs(TnDict *d)
{
    d->type_attrs = true;
    tn_type_epoch++;
}

/* A set is a dict whose values are unused (None). */
typedef struct TnSet {
    TN_OBJECT_HEAD;
    TnDict *d;
} TnSet;

/* ---------------------------------------------------------------- natives */
/* A native receives its arguments bound to the parameters of its signature,
 * in order: a[0] is `self` for methods. Parameters that were not passed and have
 * no default are V_UNDEF (only possible for `name=?` optional-without-default
 * parameters, see sig.c). `*args` arrives as a tuple, `**kwargs` as a dict, both
 * borrowed. The result is a new reference, or V_UNDEF with an exception set. */
typedef TnValue (*TnNativeFn)(TnState *st, TnValue *a);
/* The raw form gets the call exactly as made (self first for methods). */
typedef TnValue (*TnRawFn)(TnState *st, const TnValue *args, int nargs, TnStr *const *kwnames,
                           int nkw);

typedef struct TnMethodDef {
    const char *name;
    TnNativeFn fn;  /* used when sig != NULL */
    const char *sig; /* "name(self, x, y=0, *args, z=None, **kw)"; NULL: use raw */
    TnRawFn raw;
    const char *doc;
} TnMethodDef;

typedef TnValue (*TnGetter)(TnState *st, TnValue self);
typedef int (*TnSetter)(TnState *st, TnValue self, TnValue v); /* v UNDEF: delete */

typedef struct TnGetSetDef {
    const char *name;
    TnGetter get;
    TnSetter set; /* NULL: read-only attribute */
    const char *doc;
} TnGetSetDef;

/* A native function or method object (the `builtin_function_or_method`). */
typedef struct TnNative {
    TN_OBJECT_HEAD;
    const TnMethodDef *def;
    TnSig *sig;     /* parsed on first call or binding, shared (tn_native_sig);
                     * NULL before that and for raw natives */
    TnValue self;   /* bound receiver, or V_UNDEF */
    TnValue owner;  /* namespace or type it belongs to (for repr), may be UNDEF */
} TnNative;

/* ------------------------------------------------------------------ types */
enum {
    TN_TYPE_HEAP = 1,       /* made by a class statement */
    TN_TYPE_BASETYPE = 2,   /* may be subclassed */
    TN_TYPE_HAS_DICT = 4,   /* instances carry an attribute dict (TnInstance layout) */
};

struct TnType {
    TN_OBJECT_HEAD;
    const char *name; /* for heap types points into name_str */
    TnType *base;
    TnDict *dict; /* attributes: methods, class variables, getsets */
    TnStr *name_str;
    TnValue doc;
    unsigned flags;
    /* Instance creation for `Type(...)`: returns a new instance (not yet __init__ed).
     * Heap types inherit it from their nearest built-in base. */
    TnValue (*alloc)(TnState *st, TnType *type);
    void (*dealloc)(TnObject *self);
    TnValue (*repr)(TnState *st, TnValue self);
    TnValue (*str)(TnState *st, TnValue self); /* NULL: use repr */
    int (*hash)(TnState *st, TnValue self, uint64_t *out); /* NULL: identity */
    /* Comparison; returns a value (bool for plain types), or tn_notimpl() to let
     * the other operand try. ops are CMP_LT..CMP_GE. */
    TnValue (*richcmp)(TnState *st, TnValue a, TnValue b, int op);
    /* Binary operator `op` (TnBinOp). Called with self on either side: first for
     * the left operand's type, then the right's. Returns tn_notimpl() if it does
     * not apply. `inplace` is set for augmented assignment. */
    TnValue (*binop)(TnState *st, int op, TnValue a, TnValue b, bool inplace);
    TnValue (*unop)(TnState *st, int op, TnValue a); /* UOP_NEG/POS/INVERT */
    int (*truth)(TnState *st, TnValue self);           /* NULL: len, else true */
    /* Attribute protocol: NULL = generic (instance dict, then type dict chain). */
    TnValue (*getattr)(TnState *st, TnValue self, TnStr *name);
    int (*setattr)(TnState *st, TnValue self, TnStr *name, TnValue v);
    TnValue (*call)(TnState *st, TnValue self, const TnValue *args, int nargs,
                    TnStr *const *kwnames, int nkw);
    TnValue (*iter)(TnState *st, TnValue self);
    /* Next item; V_UNDEF with no exception set means exhausted. */
    TnValue (*next)(TnState *st, TnValue self);
    int64_t (*len)(TnState *st, TnValue self); /* -1 on error */
    TnValue (*getitem)(TnState *st, TnValue self, TnValue key);
    int (*setitem)(TnState *st, TnValue self, TnValue key, TnValue v); /* v UNDEF: del */
    int (*contains)(TnState *st, TnValue self, TnValue item);          /* -1 error */
    /* Descriptor protocol: when an attribute found in a type's dict has a type with
     * descr_get, the lookup returns descr_get(descr, obj, type) instead (obj is
     * UNDEF when looked up on the class). Functions bind into methods this way,
     * natives into bound natives, property calls its getter, classmethod binds
     * the class. descr_set makes a data descriptor (property setters, getsets). */
    TnValue (*descr_get)(TnState *st, TnValue descr, TnValue obj, TnType *type);
    int (*descr_set)(TnState *st, TnValue descr, TnValue obj, TnValue v);
    /* Calling the type object: if set, `Type(args)` is construct(...) (int(), list(),
     * Tensor(), ...). Otherwise alloc() then __init__ is looked up and called. */
    TnValue (*construct)(TnState *st, TnType *type, const TnValue *args, int nargs,
                         TnStr *const *kwnames, int nkw);
    /* Attribute names for dir() and Tab completion beyond the dicts (may be NULL). */
    TnValue (*dir)(TnState *st, TnValue self);
    const TnMethodDef *methods; /* terminated by a {NULL} row */
    const TnGetSetDef *getset;  /* terminated by a {NULL} row */
    /* For built-in types that Python defines outside builtins (torch.Tensor,
     * numpy.ndarray, ...): the module their repr names. NULL: builtins. */
    const char *module;
    /* Cycle collection (gc.c). A type whose instances hold references to other objects
     * lists them with traverse: visit is called for every reference the instance owns
     * (and for no borrowed one); objects of such a type are tracked by the collector.
     * The reference to a class that every instance of a user class holds is visited by
     * the collector itself. clear drops the references that can close a cycle (the
     * contents of a list or dict, a cell's value), leaving a valid object; NULL when
     * other objects' clear always breaks cycles through this one (a tuple). */
    void (*traverse)(TnObject *self, TnVisit visit, void *arg);
    void (*clear)(TnObject *self);
};

/* Does o carry the cycle collector's header (gc.c)? Objects of types with a traverse
 * slot do, except type objects, of which only classes made at run time do. */
extern TnType tn_type_type;
static inline bool tn_gc_is(const TnObject *o)
{
    const TnType *t = o->type;
    if (!t || !t->traverse)
        return false;
    return t != &tn_type_type || (((const TnType *)o)->flags & TN_TYPE_HEAP);
}

/* Instances of user classes (and of `object`): a type plus an attribute dict. */
typedef struct TnInstance {
    TN_OBJECT_HEAD;
    TnDict *dict;
} TnInstance;

/* Exception instances extend TnInstance. */
typedef struct TnException {
    TN_OBJECT_HEAD;
    TnDict *dict;
    TnValue args;      /* tuple */
    TnValue traceback; /* list of frame records, or UNDEF */
    TnValue context;   /* exception being handled when this was raised, or UNDEF */
    TnValue cause;     /* `raise ... from X`: X (an exception or None), or UNDEF */
    bool suppress_context; /* set by `raise ... from`: the report omits the context */
} TnException;

/* ---------------------------------------------------------- built-in types */
extern TnType tn_object_type, tn_type_type, tn_none_type, tn_bool_type, tn_int_type,
    tn_float_type, tn_str_type, tn_tuple_type, tn_list_type, tn_dict_type, tn_set_type,
    tn_range_type, tn_native_type, tn_notimpl_type, tn_ellipsis_type;

/* Exception classes (created at startup, see exc.c). */
extern TnType *tn_BaseException, *tn_Exception, *tn_RuntimeError, *tn_ValueError,
    *tn_TypeError, *tn_IndexError, *tn_KeyError, *tn_AttributeError, *tn_NameError,
    *tn_ZeroDivisionError, *tn_AssertionError, *tn_StopIteration, *tn_NotImplementedError,
    *tn_KeyboardInterrupt, *tn_RecursionError, *tn_MemoryError, *tn_OverflowError,
    *tn_ImportError, *tn_ModuleNotFoundError, *tn_SyntaxError, *tn_UnboundLocalError,
    *tn_OSError, *tn_FileNotFoundError, *tn_PermissionError, *tn_UserWarning, *tn_Warning,
    *tn_LookupError, *tn_ArithmeticError, *tn_SystemExit, *tn_DeprecationWarning,
    *tn_FloatingPointError, *tn_GeneratorExit, *tn_IsADirectoryError, *tn_EOFError, *tn_IndentationError, *tn_TabError;

#define IS_TYPEOF(v, t) (IS_OBJ(v) && AS_OBJ(v)->type == (t))
#define IS_STR(v)       IS_TYPEOF(v, &tn_str_type)
#define IS_TUPLE(v)     IS_TYPEOF(v, &tn_tuple_type)
#define IS_LIST(v)      IS_TYPEOF(v, &tn_list_type)
#define IS_DICT(v)      IS_TYPEOF(v, &tn_dict_type)
#define IS_SET(v)       IS_TYPEOF(v, &tn_set_type)
#define IS_TYPE(v)      IS_TYPEOF(v, &tn_type_type)
#define IS_NATIVE(v)    IS_TYPEOF(v, &tn_native_type)
#define AS_STR(v)       ((TnStr *)AS_OBJ(v))
#define AS_TUPLE(v)     ((TnTuple *)AS_OBJ(v))
#define AS_LIST(v)      ((TnList *)AS_OBJ(v))
#define AS_DICT(v)      ((TnDict *)AS_OBJ(v))
#define AS_SET(v)       ((TnSet *)AS_OBJ(v))
#define AS_TYPE(v)      ((TnType *)AS_OBJ(v))

/* ------------------------------------------------------------------ state */
typedef struct TnFrameInfo TnFrameInfo; /* eval.c: one active call, for tracebacks */

struct TnState {
    TnValue exc;           /* pending exception instance, UNDEF if none */
    TnValue handling;      /* exception being handled in an except block (for bare raise) */
    int depth;             /* current call depth */
    int recursion_limit;   /* RecursionError beyond this */
    TnFrameInfo *frame;    /* innermost active frame */
    TnDict *builtins;      /* builtin namespace */
    TnDict *modules;       /* imported .tn modules by name */
    TnValue memory_error;  /* preallocated MemoryError instance */
    TnValue last_value;    /* REPL `_` */
    int echo;              /* echo expression statements at top level (REPL, piped) */
    const char *script_dir;/* folder of the main script, for import */
};

/* The one interpreter state; tn is single-threaded at the interpreter level. */
extern TnState *tn_state;
/* Set by the SIGINT handler; polled at safe points (loop back-edges, calls, kernels). */
extern volatile sig_atomic_t tn_interrupted;
/* For natives and kernels that loop without the evaluator: when Ctrl-C was pressed, clears
 * the flag, raises KeyboardInterrupt and returns -1; else 0. Inline so a hot loop pays one load. */
int tn_raise_interrupt(TnState *st);
static inline int tn_poll_interrupt(TnState *st)
{
    return __builtin_expect(tn_interrupted != 0, 0) ? tn_raise_interrupt(st) : 0;
}

/* ----------------------------------------------------------------- errors */
/* Raise an exception of `type` with a printf-formatted message. Return V_UNDEF /
 * -1 / NULL so callers can `return tn_raise(...)`. */
TnValue tn_raise(TnState *st, TnType *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tn_raise_int(TnState *st, TnType *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *tn_raise_ptr(TnState *st, TnType *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
TnValue tn_raise_value(TnState *st, TnValue exc); /* steals exc (an instance or a class) */
TnValue tn_no_memory(TnState *st);                /* raises the preallocated MemoryError */
bool tn_error_matches(TnState *st, TnType *type); /* pending exception is a `type`? */
void tn_clear_error(TnState *st);
/* Takes the pending exception out of the state (new reference, UNDEF if none). */
TnValue tn_fetch_error(TnState *st);
bool tn_isinstance_type(TnType *t, TnType *base); /* t is base or a subclass */

/* ---------------------------------------------------------------- memory */
/* malloc family with fault injection; return NULL on failure (caller raises
 * MemoryError, usually via tn_no_memory). */
void *tn_malloc(size_t n);
void *tn_calloc(size_t n, size_t size);
void *tn_realloc(void *p, size_t n);
void tn_free(void *p);
/* Whether freed objects may be kept for reuse (free lists): not under AddressSanitizer,
 * which must see every use after free, nor while allocations are being counted or
 * made to fail (TN_FAIL_ALLOC, TN_ALLOC_COUNT), whose counts must not depend on it. */
bool tn_recycling_ok(void);
/* Allocates a zeroed object of `size` bytes with refcnt 1 and the given type;
 * raises MemoryError and returns NULL on failure. */
void *tn_alloc_object(TnState *st, TnType *type, size_t size);
/* Frees the memory of an object (a dealloc's last step): objects of types with a
 * traverse slot carry the collector's header in front. */
void tn_free_object(void *o);

/* --------------------------------------------------------- cycle collector */
/* Helpers for traverse slots. */
static inline void tn_visit(TnValue v, TnVisit visit, void *arg)
{
    if (v.tag == V_OBJ)
        visit(v.u.o, arg);
}
static inline void tn_visit_obj(const void *o, TnVisit visit, void *arg)
{
    if (o)
        visit((TnObject *)o, arg);
}
#define TN_GC_HEAD_SIZE 24
/* Zeroed memory for an object with the header, not yet tracked (NULL when out of
 * memory; no exception is raised). tn_alloc_object allocates the same way. */
void *tn_gc_calloc(size_t size);
/* Starts tracking o, whose fields must all be valid (zeroed is valid); may collect,
 * so o must already hold its references. */
void tn_gc_track(TnObject *o);
void tn_gc_untrack(TnObject *o); /* before a tracked object dies; no-op if untracked */
/* A full collection now; returns the number of objects freed. */
int64_t tn_gc_collect(void);
/* Reads TN_GC_STATS=1 (print collection counts at exit) and TN_GC_STRESS=N (collect
 * after every N tracked allocations, for tests). */
void tn_gc_init(void);

/* ------------------------------------------------------------- protocols */
TnType *tn_type_of(TnValue v);        /* borrowed; never NULL for a defined value */
const char *tn_type_name(TnValue v);  /* "int", "Tensor", ... */
TnValue tn_notimpl(void);             /* the NotImplemented singleton (borrowed-safe) */
bool tn_is_notimpl(TnValue v);

TN_MUST_CHECK TnValue tn_repr(TnState *st, TnValue v); /* -> str */
TN_MUST_CHECK TnValue tn_to_str(TnState *st, TnValue v); /* str(v) -> str */
TN_MUST_CHECK int tn_hash(TnState *st, TnValue v, uint64_t *out);
TN_MUST_CHECK int tn_truthy(TnState *st, TnValue v); /* 1, 0, or -1 on error */
TN_MUST_CHECK int tn_equal(TnState *st, TnValue a, TnValue b); /* 1, 0, -1 */
TN_MUST_CHECK TnValue tn_compare(TnState *st, TnValue a, TnValue b, int op); /* CMP_* */
TN_MUST_CHECK TnValue tn_binop(TnState *st, int op, TnValue a, TnValue b);
TN_MUST_CHECK TnValue tn_inplace_binop(TnState *st, int op, TnValue a, TnValue b);
TN_MUST_CHECK TnValue tn_unop(TnState *st, int op, TnValue a);
TN_MUST_CHECK TnValue tn_getattr(TnState *st, TnValue obj, TnStr *name);
/* Like tn_getattr but returns UNDEF without raising when the attribute is missing. */
TN_MUST_CHECK TnValue tn_getattr_opt(TnState *st, TnValue obj, TnStr *name);
TN_MUST_CHECK int tn_setattr(TnState *st, TnValue obj, TnStr *name, TnValue v);
TN_MUST_CHECK TnValue tn_call(TnState *st, TnValue f, const TnValue *args, int nargs,
                              TnStr *const *kwnames, int nkw);
/* Calls obj.name(args...) without creating a bound method. */
TN_MUST_CHECK TnValue tn_call_method(TnState *st, TnValue obj, TnStr *name, const TnValue *args,
                                     int nargs);
TN_MUST_CHECK TnValue tn_getitem(TnState *st, TnValue obj, TnValue key);
TN_MUST_CHECK int tn_setitem(TnState *st, TnValue obj, TnValue key, TnValue v);
TN_MUST_CHECK int tn_delitem(TnState *st, TnValue obj, TnValue key);
TN_MUST_CHECK TnValue tn_iter(TnState *st, TnValue obj);
TN_MUST_CHECK TnValue tn_next(TnState *st, TnValue it); /* UNDEF + no error = done */
TN_MUST_CHECK int64_t tn_len(TnState *st, TnValue obj);
TN_MUST_CHECK int tn_contains(TnState *st, TnValue container, TnValue item);
/* Converts an int-like value (int, bool, or an object with __index__, e.g. a 0-d
 * integer tensor) to int64_t; raises TypeError naming `what` otherwise. */
TN_MUST_CHECK int tn_as_index(TnState *st, TnValue v, int64_t *out, const char *what);
/* Whether tn_as_index can convert v (an int, bool or object with __index__): for callers
 * whose TypeError Python words differently. */
bool tn_has_index(TnValue v);
TN_MUST_CHECK int tn_as_double(TnState *st, TnValue v, double *out, const char *what);

/* Looks `name` up in the type and its bases (borrowed, UNDEF if absent). */
TnValue type_lookup(TnType *t, TnStr *name);
/* Fills the type's dict from its methods/getset tables; called once at startup. */
TN_MUST_CHECK int type_ready(TnState *st, TnType *t);
/* Makes a native function object for a method table row (new reference). */
TN_MUST_CHECK TnValue native_new(TnState *st, const TnMethodDef *def, TnValue owner);
/* A native's signature, parsed on first use; NULL for raw natives, or with
 * MemoryError raised when parsing ran out of memory. */
TnSig *tn_native_sig(TnState *st, TnNative *n);

/* --------------------------------------------------------------- strings */
TnStr *str_new(TnState *st, const char *s, int64_t len); /* NULL + MemoryError */
TnValue tn_str(TnState *st, const char *s);              /* from a C string */
TnValue tn_str_n(TnState *st, const char *s, int64_t len);
TnValue tn_str_fmt(TnState *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Interned string for a C string; lives for the whole run (borrowed). */
TnStr *str_intern(const char *s);
TnStr *str_intern_n(const char *s, int64_t len);
bool str_eq(const TnStr *a, const TnStr *b);
uint64_t str_hash_bytes(const char *s, int64_t len);

/* A growable byte buffer for building strings. Functions return false only
 * when memory runs out (the caller raises MemoryError). */
typedef struct TnBuf {
    char *p;
    size_t n, cap;
} TnBuf;
bool buf_putn(TnBuf *b, const char *s, size_t n);
bool buf_puts(TnBuf *b, const char *s);
bool buf_putc(TnBuf *b, char c);
bool buf_printf(TnBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
TnValue buf_to_str(TnState *st, TnBuf *b); /* makes a str and frees the buffer */
void buf_free(TnBuf *b);

/* ------------------------------------------------------------- containers */
TnValue tuple_new(TnState *st, int64_t n); /* items set to None; fill with tuple_set */
TnValue tuple_pack(TnState *st, int n, ...); /* n TnValue args, borrowed (increfed) */
TnValue tuple_from_array(TnState *st, const TnValue *items, int64_t n); /* increfs */
TnValue list_new(TnState *st, int64_t n);  /* n None items */
TnValue list_from_array(TnState *st, const TnValue *items, int64_t n); /* increfs */
TN_MUST_CHECK int list_append(TnState *st, TnList *l, TnValue v); /* increfs v */
TnValue dict_new(TnState *st);
/* 1 found (value borrowed in *out), 0 missing, -1 error (unhashable key). */
TN_MUST_CHECK int dict_lookup(TnState *st, TnDict *d, TnValue key, TnValue *out);
TnValue dict_get_str(TnDict *d, TnStr *key); /* borrowed, UNDEF if missing; never raises */
TN_MUST_CHECK int dict_set(TnState *st, TnDict *d, TnValue key, TnValue v); /* increfs both */
TN_MUST_CHECK int dict_set_str(TnState *st, TnDict *d, TnStr *key, TnValue v);
TN_MUST_CHECK int dict_del(TnState *st, TnDict *d, TnValue key); /* 1 deleted, 0 missing, -1 */
/* Iterates in insertion order: start *pos at 0; key/value borrowed. */
bool dict_next(TnDict *d, int64_t *pos, TnValue *key, TnValue *value);
TnValue set_new(TnState *st);
TN_MUST_CHECK int set_add(TnState *st, TnSet *s, TnValue v);
/* Collects any iterable into a new list. */
TN_MUST_CHECK TnValue list_from_iterable(TnState *st, TnValue iterable);
/* Borrowed view of a sequence's items: tuples and lists directly; for others the
 * caller uses list_from_iterable. Returns false if v is not a list or tuple. */
bool tn_seq_items(TnValue v, TnValue **items, int64_t *n);

/* ------------------------------------------------------------ namespaces */
/* Namespaces (torch, nn, F, math, sys, imported .tn modules): an object whose
 * attributes are the entries of its dict. repr: <module 'torch'>. */
extern TnType tn_namespace_type;
TnValue ns_new(TnState *st, const char *name);
TnDict *ns_dict(TnValue ns); /* borrowed */
/* Adds a native function object for every row of `defs` to the namespace. */
TN_MUST_CHECK int ns_add_methods(TnState *st, TnValue ns, const TnMethodDef *defs);

#endif
