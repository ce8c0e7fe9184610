/* types.h: the built-in types and helpers the object-model files export beyond object.h.
 *
 * object.h is the contract every file sees; this header adds what the evaluator,
 * builtins and runtime need from the built-in types themselves: slices, the
 * Ellipsis singleton, OrderedDict, iterator types, sorting, the generic attribute
 * algorithm (for types whose getattr slot wants to fall back to it), the repr
 * recursion guard, and startup/shutdown of the object model.
 */
#ifndef TN_TYPES_H
#define TN_TYPES_H

#include "object.h"

/* Reference count of static objects (types, singletons): never reaches zero. */
#define TN_IMMORTAL ((int64_t)1 << 60)

/* TnType flag (beyond object.h's): the type's descr_get binds obj as the first
 * argument (user functions), so a caller may call the descriptor with obj
 * prepended instead of making a bound method. Natives are recognised without it. */
#define TN_TYPE_METHOD_DESCR 8

/* Operator spellings and dunder names, indexed by TnBinOp / CMP_LT..CMP_GE. */
extern const char *const tn_binop_names[OP_NBINARY];   /* "+", ..., "** or pow()" */
extern const char *const tn_binop_dunders[OP_NBINARY]; /* "__add__" */
extern const char *const tn_binop_rdunders[OP_NBINARY]; /* "__radd__" */
extern const char *const tn_binop_idunders[OP_NBINARY]; /* "__iadd__" */
extern const char *const tn_cmp_dunders[6];             /* "__lt__" ... "__ge__" */


/* ------------------------------------------------------------ startup */
/* Readies every type of the object model (object, type, native, numbers, str,
 * containers, iterators, slice, namespace, ...). Call once after tn_state exists;
 * -1 with MemoryError on failure. */
TN_MUST_CHECK int types_init(TnState *st);
/* Releases type dicts, parsed signatures, cached singletons and the intern table
 * (so LeakSanitizer stays quiet). Nothing of the object model may be used after. */
void types_fini(void);

/* ------------------------------------------------------------- more types */
extern TnType tn_ordereddict_type, tn_slice_type, tn_getset_type, tn_frozenset_type,
    tn_list_iter_type, tn_tuple_iter_type, tn_str_iter_type, tn_range_iter_type,
    tn_seq_iter_type, tn_dict_keyiter_type, tn_dict_valueiter_type, tn_dict_itemiter_type,
    tn_dict_keys_type, tn_dict_values_type, tn_dict_items_type, tn_set_iter_type;

TnValue tn_ellipsis(void); /* the Ellipsis singleton (borrowed-safe, like tn_notimpl) */

/* The shared empty tuple (new reference). tuple_new(st, 0) instead makes a fresh
 * one, which its caller may retype (torch.Size does). */
TnValue tuple_empty(TnState *st);
/* Tuples: tuple_new() leaves None in every item; tuple_set stores a reference it
 * steals (only for filling a fresh tuple). */
static inline void tuple_set(TnValue t, int64_t i, TnValue v)
{
    AS_TUPLE(t)->items[i] = v;
}

/* The tuple's traverse slot, shared by types with the tuple layout (torch.Size). */
void tuple_traverse(TnObject *o, TnVisit visit, void *arg);

/* dict or a subclass of it (OrderedDict, user subclasses): IS_DICT is exact. */
bool tn_is_dict(TnValue v);
/* Helpers shared by list and tuple (items/n read through pointers because user
 * __eq__ may resize the list while they run). */
TnValue seq_compare(TnState *st, TnValue *const *pa, const int64_t *na, TnValue *const *pb,
                    const int64_t *nb, int op);
TnValue seq_repr(TnState *st, TnValue self, TnValue *const *items, const int64_t *n,
                 const char *open, const char *close, bool tuple);
int64_t seq_index(TnState *st, TnValue *const *items, const int64_t *n, TnValue v, int64_t start,
                  int64_t stop); /* index, -1 missing, -2 error */
int64_t seq_count(TnState *st, TnValue *const *items, const int64_t *n, TnValue v); /* -1 error */

/* ------------------------------------------------------------- slices */
typedef struct TnSlice {
    TN_OBJECT_HEAD;
    TnValue start, stop, step; /* None when omitted */
} TnSlice;
#define IS_SLICE(v) IS_TYPEOF(v, &tn_slice_type)
#define AS_SLICE(v) ((TnSlice *)AS_OBJ(v))
/* New slice object; increfs its parts; UNDEF parts become None. */
TnValue slice_new(TnState *st, TnValue start, TnValue stop, TnValue step);
/* Python's slice.indices(len) plus the resulting length; -1 with TypeError/ValueError
 * ("slice step cannot be zero"). */
TN_MUST_CHECK int slice_indices(TnState *st, TnValue slice, int64_t len, int64_t *start,
                                int64_t *stop, int64_t *step, int64_t *slicelen);

/* ------------------------------------------------------- attributes, calls */
/* The generic algorithm behind tn_getattr for types whose getattr slot is NULL:
 * data descriptors of the type, the instance dict (TN_TYPE_HAS_DICT), then
 * non-data attributes of the type bound by descr_get. On a type object it searches
 * the type's dict chain. New reference, or UNDEF + AttributeError. */
TN_MUST_CHECK TnValue tn_generic_getattr(TnState *st, TnValue obj, TnStr *name);
/* Same, returning UNDEF without an exception when the attribute is missing. */
TN_MUST_CHECK TnValue tn_generic_getattr_opt(TnState *st, TnValue obj, TnStr *name);
/* Generic setattr (v UNDEF deletes); 0 or -1. */
TN_MUST_CHECK int tn_generic_setattr(TnState *st, TnValue obj, TnStr *name, TnValue v);
/* Calls `descr` (found in a type dict) as a method of self: natives and anything
 * else with descr_get; self is passed without making a bound-method object when
 * possible. New reference or UNDEF. */
TN_MUST_CHECK TnValue tn_call_descr(TnState *st, TnValue descr, TnValue self,
                                    const TnValue *args, int nargs, TnStr *const *kwnames,
                                    int nkw);
/* Looks up obj.name for a call: 1 with *out an unbound method descriptor to call
 * with obj prepended (no bound-method object is made), 0 with *out the attribute
 * to call as is, -1 on error. *out is a new reference. */
TN_MUST_CHECK int tn_get_method(TnState *st, TnValue obj, TnStr *name, TnValue *out);
/* Default repr `<__main__.A object at 0x...>` of any object (new str or UNDEF). */
TN_MUST_CHECK TnValue tn_default_repr(TnState *st, TnValue v);
/* "__main__" for heap types without __module__, else the __module__ str (borrowed C string). */
const char *type_module(TnType *t);
/* The native that implements object.__init__ (class.c can compare against it). */
TnValue tn_object_init_native(void);

/* ----------------------------------------------------------- recursion */
/* Guards repr of self-containing containers: 1 if v is already being printed
 * (print `[...]`), 0 if entered (call repr_leave after), -1 on RecursionError. */
TN_MUST_CHECK int repr_enter(TnState *st, TnValue v);
void repr_leave(TnValue v);
/* Depth guard for C recursion through nested containers (==, hash, repr):
 * -1 with RecursionError "maximum recursion depth exceeded<where>". */
TN_MUST_CHECK int tn_recursion_enter(TnState *st, const char *where);
void tn_recursion_leave(TnState *st);

/* ------------------------------------------------------------- strings */
/* The one-character string for code point c < 128 (borrowed, interned). */
TnStr *str_ascii_char(int c);
/* Python repr of the bytes s..s+len into b (quotes included); false on OOM. */
bool str_repr_buf(TnBuf *b, const char *s, int64_t len);
/* Concatenation; new reference. */
TnValue str_concat(TnState *st, TnStr *a, TnStr *b);
/* Comparison of two strs by code point order (= byte order of UTF-8): <0, 0, >0. */
int str_cmp(const TnStr *a, const TnStr *b);
/* Byte offset of code point index i (0 <= i <= nchars). */
int64_t str_offset(const TnStr *s, int64_t i);
/* Python's `%` operator on a format string and its argument(s). */
TN_MUST_CHECK TnValue str_percent(TnState *st, TnStr *fmt, TnValue args);

/* ------------------------------------------------------------- numbers */
/* Python's numeric hashes (hash(1) == hash(1.0) == hash(True)). */
int64_t num_hash_int(int64_t i);
int64_t num_hash_double(double d);
/* Python's repr of a float (shortest round trip): "0.1", "1e-05", "inf"; buf >= 32. */
void float_repr_buf(double d, char *buf);
/* Python int() of a string in base 2..36 or 0: ValueError "invalid literal ...". */
TN_MUST_CHECK TnValue int_from_string(TnState *st, const char *s, int64_t len, int base);
/* Python float() of a string: ValueError "could not convert string to float: ...". */
TN_MUST_CHECK TnValue float_from_string(TnState *st, const char *s, int64_t len);
/* Number arithmetic entry points (also used by the evaluator's slow paths). */
TN_MUST_CHECK TnValue num_binop(TnState *st, int op, TnValue a, TnValue b);
TnValue num_compare(TnValue a, TnValue b, int op); /* both numbers; returns bool */
/* a ** b for int/float with Python semantics (pow builtin shares it). */
TN_MUST_CHECK TnValue num_pow(TnState *st, TnValue a, TnValue b);
/* divmod(a, b) of numbers -> tuple */
TN_MUST_CHECK TnValue num_divmod(TnState *st, TnValue a, TnValue b);

/* ------------------------------------------------------------ containers */
/* Stable sort of the list in place by `key` (UNDEF or None: the items) and
 * `reverse`; TypeError when items do not compare. 0 or -1. */
TN_MUST_CHECK int list_sort(TnState *st, TnList *l, TnValue key, bool reverse);
/* Appends every item of `iterable`. 0 or -1. */
TN_MUST_CHECK int list_extend(TnState *st, TnList *l, TnValue iterable);
/* Collects any iterable into a new tuple (tuples are returned increfed). */
TN_MUST_CHECK TnValue tuple_from_iterable(TnState *st, TnValue iterable);
/* dict.update(other) for a mapping (dict or anything with keys()) or pairs. */
TN_MUST_CHECK int dict_update(TnState *st, TnDict *d, TnValue other);
/* Entry number of a str key in d->entries (-1 if absent). Entries do not move
 * while their key stays, so callers may cache the position (never raises). */
int64_t dict_index_of_str(TnDict *d, TnStr *key);
/* New shallow copy of a dict (plain dict type). */
TnValue dict_copy(TnState *st, TnDict *d);
void dict_clear(TnDict *d);
/* OrderedDict: a dict subclass; the same TnDict layout. */
TnValue ordereddict_new(TnState *st);
/* Set operations used by builtins (set(iterable)). */
TN_MUST_CHECK TnValue set_from_iterable(TnState *st, TnValue iterable);
/* The set CPython makes for a display of more than two constants, {c1, c2, ...}. */
TN_MUST_CHECK TnValue set_from_constants(TnState *st, TnValue items);
TN_MUST_CHECK int set_contains(TnState *st, TnSet *s, TnValue v);

/* ------------------------------------------------------------- ranges */
typedef struct TnRange {
    TN_OBJECT_HEAD;
    int64_t start, stop, step, len;
} TnRange;
#define IS_RANGE(v) IS_TYPEOF(v, &tn_range_type)
#define AS_RANGE(v) ((TnRange *)AS_OBJ(v))
TnValue range_new(TnState *st, int64_t start, int64_t stop, int64_t step);

/* Iterator over a range: the evaluator may read/advance it directly in for loops. */
typedef struct TnRangeIter {
    TN_OBJECT_HEAD;
    int64_t cur, step, left;
} TnRangeIter;

/* The format(value, spec='') builtin and the f-string helper live in format.h. */

#endif
