/* eval.c: the tree-walking evaluator over resolved ASTs.
 *
 * Expressions return a TnValue (new reference, or UNDEF with the exception set);
 * statements return an ExecStatus that also carries break/continue/return.
 * Names were resolved to slots beforehand (resolve.c), so a local read is an
 * array index; ints and floats are unboxed. Each node runs through a handler
 * chosen on its first run (eval_choose, exec_choose; see quick.h): int arithmetic
 * and comparisons on locals and constants have their own (quick.c), and attribute
 * reads, writes and method calls on instances go through inline caches
 * (attr_cache.c). Ctrl-C is polled at loop back-edges and calls.
 */
#include "exc.h"
#include "format.h"
#include "attr_cache.h"
#include "interp.h"
#include "quick.h"
#include "types.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { EX_OK, EX_BREAK, EX_CONTINUE, EX_RETURN, EX_ERROR } ExecStatus;

/* Every expression runs through its node's handler (quick.h). */
static inline TnValue eval(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return eval_expr(st, f, n);
}
static inline __attribute__((always_inline)) ExecStatus exec_block(TnState *st, TnFrameInfo *f,
                                                                    TnNodeList *body);
static int assign(TnState *st, TnFrameInfo *f, TnAst *target, TnValue v);

/* Interned names the evaluator uses (filled by eval_names_init). */
static TnStr *s_enter, *s_exit, *s_underscore, *s_name, *s_doc, *s_module, *s_qualname,
    *s_super;

/* -------------------------------------------------------------- helpers */

char *tn_stack_base;
size_t tn_stack_limit;
#define stack_base tn_stack_base
#define stack_limit tn_stack_limit

/* Guards the C stack: deep recursion through natives (repr of nested lists,
 * sort keys, ...) must end in RecursionError, never a crash. */
int eval_check_stack(TnState *st)
{
    if (!eval_stack_ok()) {
        tn_raise(st, tn_RecursionError, "maximum recursion depth exceeded");
        return -1;
    }
    return 0;
}

static void stack_init(void)
{
    char here;
    stack_base = &here;
    pthread_attr_t attr;
    size_t size = 8u << 20;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr;
        size_t sz;
        if (pthread_attr_getstack(&attr, &addr, &sz) == 0)
            size = (size_t)(&here - (char *)addr);
        pthread_attr_destroy(&attr);
    }
    /* keep a margin for the natives that run between checks */
    stack_limit = size > (4u << 20) ? size - (2u << 20) : size / 2;
}

void eval_record(TnState *st, TnFrameInfo *f, TnAst *at)
{
    if (f->tb_recorded || !at)
        return;
    f->tb_recorded = true;
    int len = 0;
    const char *line = arena_source_line(f->arena, at->line, &len);
    exc_add_frame(st, f->arena->filename, at->line, at->col, f->name, line, len);
}

static TnValue interrupted(TnState *st)
{
    tn_interrupted = 0;
    return tn_raise(st, tn_KeyboardInterrupt, "%s", "");
}

#define POLL_INTERRUPT(st)                                                                         \
    (TN_UNLIKELY(tn_interrupted) ? (interrupted(st), true) : false)

static TnValue name_error(TnState *st, TnStr *name)
{
    return tn_raise(st, tn_NameError, "name '%s' is not defined", name->data);
}

static TnStr *node_str(TnAst *n)
{
    if (!n->cache)
        n->cache = str_intern_n(n->str, (int64_t)n->slen);
    return n->cache;
}

/* --------------------------------------------------------------- names */

/* Finds name in a globals dict, remembering the entry's position in the node:
 * entries never move while the key stays (only a resize compacts them), so a
 * matching key at the cached position means the value there is current. */
static inline TnValue global_cached(TnDict *d, TnAst *n)
{
    int64_t ix = n->ival - 1;
    if (ix >= 0 && ix < d->nentries) {
        TnDictEntry *e = &d->entries[ix];
        if (e->key.tag == V_OBJ && e->key.u.o == (TnObject *)n->cache)
            return e->value;
    }
    TnValue v = dict_get_str(d, n->cache);
    if (!IS_UNDEF(v)) {
        int64_t i = dict_index_of_str(d, n->cache);
        if (i >= 0 && d->entries[i].key.u.o == (TnObject *)n->cache)
            n->ival = i + 1;
    }
    return v;
}

/* stdlib_load.c: a builtin written in a stdlib file is a stub until first used
 * (so start-up does not parse the file); resolving loads the file and gives the
 * real value, a new reference. Weak: the parser's test tools link no stdlib. */
__attribute__((weak)) extern TnType tn_stdlib_stub_type;
__attribute__((weak)) TnValue stdlib_stub_resolve(TnState *st, TnValue stub);

static TnValue load_global(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnStr *name = n->cache;
    TnValue v;
    if (f->locals_dict && !(n->flags & 1)) {
        v = dict_get_str(f->locals_dict, name);
        if (!IS_UNDEF(v))
            return tn_ref(v);
    }
    v = global_cached(f->globals, n);
    if (!IS_UNDEF(v))
        return tn_ref(v);
    v = dict_get_str(st->builtins, name);
    if (TN_UNLIKELY(IS_TYPEOF(v, &tn_stdlib_stub_type)))
        return stdlib_stub_resolve(st, v);
    if (!IS_UNDEF(v))
        return tn_ref(v);
    return name_error(st, name);
}

static TnValue load_name(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue v;
    switch (n->scope) {
    case SCOPE_LOCAL:
        v = f->slots[n->slot];
        if (TN_UNLIKELY(IS_UNDEF(v)))
            return tn_raise(st, tn_UnboundLocalError,
                            "cannot access local variable '%s' where it is not associated with a value",
                            ((TnStr *)n->cache)->data);
        return tn_ref(v);
    case SCOPE_CELL:
        v = ((TnCell *)AS_OBJ(f->slots[n->slot]))->v;
        if (TN_UNLIKELY(IS_UNDEF(v)))
            return tn_raise(st, tn_NameError,
                            "cannot access free variable '%s' where it is not associated with a value in enclosing scope",
                            ((TnStr *)n->cache)->data);
        return tn_ref(v);
    default:
        return load_global(st, f, n);
    }
}

/* Stores v (stolen) into the name. */
static int store_name(TnState *st, TnFrameInfo *f, TnAst *n, TnValue v)
{
    TnValue old;
    switch (n->scope) {
    case SCOPE_LOCAL:
        old = f->slots[n->slot];
        f->slots[n->slot] = v;
        tn_decref(old);
        return 0;
    case SCOPE_CELL: {
        TnCell *c = (TnCell *)AS_OBJ(f->slots[n->slot]);
        old = c->v;
        c->v = v;
        tn_decref(old);
        return 0;
    }
    default: {
        TnDict *d = (f->locals_dict && !(n->flags & 1)) ? f->locals_dict : f->globals;
        int64_t ix = n->ival - 1;
        if (d == f->globals && ix >= 0 && ix < d->nentries &&
            d->entries[ix].key.tag == V_OBJ && d->entries[ix].key.u.o == (TnObject *)n->cache) {
            old = d->entries[ix].value; /* cached entry of this global: update in place */
            d->entries[ix].value = v;
            tn_decref(old);
            return 0;
        }
        int rc = dict_set_str(st, d, n->cache, v);
        tn_decref(v);
        return rc;
    }
    }
}

static int delete_name(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue *slot = NULL;
    if (n->scope == SCOPE_LOCAL)
        slot = &f->slots[n->slot];
    else if (n->scope == SCOPE_CELL)
        slot = &((TnCell *)AS_OBJ(f->slots[n->slot]))->v;
    if (slot) {
        if (IS_UNDEF(*slot)) {
            name_error(st, n->cache);
            return -1;
        }
        tn_decref(*slot);
        *slot = tn_undef();
        return 0;
    }
    TnDict *d = (f->locals_dict && !(n->flags & 1)) ? f->locals_dict : f->globals;
    int rc = dict_del(st, d, tn_obj(n->cache));
    if (rc == 0) {
        name_error(st, n->cache);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* A NAME node equivalent of a binding node (def, class, except-as, import alias),
 * which resolve.c annotated with the scope and slot of the name it binds. */
static TnAst binding_name(TnAst *n)
{
    TnAst tmp = {.kind = AST_NAME, .scope = n->scope, .slot = n->slot, .flags = n->flags};
    tmp.cache = n->cache;
    return tmp;
}

/* Globals read as call targets and operands skip the general dispatch. */
static __attribute__((noinline)) TnValue operand_slow(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (n->kind == AST_NAME && n->scope == SCOPE_GLOBAL && !f->locals_dict) {
        TnValue v = global_cached(f->globals, n);
        if (!IS_UNDEF(v))
            return tn_ref(v);
    }
    return eval(st, f, n);
}

/* Evaluates the leaves that need no call (constants, bound locals) in place; the
 * hot operands of arithmetic, comparisons and calls are almost always these. */
static inline __attribute__((always_inline)) TnValue operand(TnState *st, TnFrameInfo *f,
                                                              TnAst *n)
{
    switch (n->kind) {
    case AST_INT:
        return tn_int(n->ival);
    case AST_FLOAT:
        return tn_float(n->fval);
    case AST_NAME:
        if (n->scope == SCOPE_LOCAL && TN_LIKELY(!IS_UNDEF(f->slots[n->slot])))
            return tn_ref(f->slots[n->slot]);
        return operand_slow(st, f, n);
    default:
        return eval(st, f, n);
    }
}

/* ----------------------------------------------------------- arithmetic */

static inline __attribute__((always_inline)) TnValue int_binop_fast(int op, int64_t a, int64_t b,
                                                                     bool *done)
{
    int64_t r;
    *done = true;
    switch (op) {
    case OP_ADD:
        if (!__builtin_add_overflow(a, b, &r))
            return tn_int(r);
        break;
    case OP_SUB:
        if (!__builtin_sub_overflow(a, b, &r))
            return tn_int(r);
        break;
    case OP_MUL:
        if (!__builtin_mul_overflow(a, b, &r))
            return tn_int(r);
        break;
    case OP_FLOORDIV:
        if (b > 0 || (b < 0 && a != INT64_MIN)) {
            int64_t q = a / b;
            if ((a % b != 0) && ((a < 0) != (b < 0)))
                q--;
            return tn_int(q);
        }
        break;
    case OP_MOD:
        if (b > 0 || (b < 0 && a != INT64_MIN)) {
            int64_t m = a % b;
            if (m != 0 && ((m < 0) != (b < 0)))
                m += b;
            return tn_int(m);
        }
        break;
    case OP_TRUEDIV:
        if (b != 0)
            return tn_float((double)a / (double)b);
        break;
    case OP_BITAND:
        return tn_int(a & b);
    case OP_BITOR:
        return tn_int(a | b);
    case OP_BITXOR:
        return tn_int(a ^ b);
    default:
        break;
    }
    *done = false;
    return tn_undef();
}

static inline TnValue float_binop_fast(int op, double a, double b, bool *done)
{
    *done = true;
    switch (op) {
    case OP_ADD:
        return tn_float(a + b);
    case OP_SUB:
        return tn_float(a - b);
    case OP_MUL:
        return tn_float(a * b);
    case OP_TRUEDIV:
        if (b != 0.0)
            return tn_float(a / b);
        break;
    default:
        break;
    }
    *done = false;
    return tn_undef();
}

/* a op b with unboxed fast paths; steals nothing. */
static inline __attribute__((always_inline)) TnValue binop(TnState *st, int op, TnValue a, TnValue b,
                                                             bool inplace)
{
    bool done;
    if (a.tag == V_INT && b.tag == V_INT) {
        TnValue r = int_binop_fast(op, a.u.i, b.u.i, &done);
        if (done)
            return r;
    } else if (a.tag == V_FLOAT && b.tag == V_FLOAT) {
        TnValue r = float_binop_fast(op, a.u.f, b.u.f, &done);
        if (done)
            return r;
    } else if ((a.tag == V_FLOAT && b.tag == V_INT) || (a.tag == V_INT && b.tag == V_FLOAT)) {
        TnValue r = float_binop_fast(op, tn_num_as_double(a), tn_num_as_double(b), &done);
        if (done)
            return r;
    }
    return inplace ? tn_inplace_binop(st, op, a, b) : tn_binop(st, op, a, b);
}

/* Comparison with fast paths; returns a value (bool for numbers). */
static inline __attribute__((always_inline)) TnValue compare(TnState *st, int op, TnValue a,
                                                              TnValue b)
{
    if (a.tag == V_INT && b.tag == V_INT) {
        int64_t x = a.u.i, y = b.u.i;
        switch (op) {
        case CMP_LT: return tn_bool(x < y);
        case CMP_LE: return tn_bool(x <= y);
        case CMP_EQ: return tn_bool(x == y);
        case CMP_NE: return tn_bool(x != y);
        case CMP_GT: return tn_bool(x > y);
        case CMP_GE: return tn_bool(x >= y);
        default: break;
        }
    }
    switch (op) {
    case CMP_IS:
    case CMP_ISNOT: {
        bool same = a.tag == b.tag &&
                    (a.tag == V_OBJ ? a.u.o == b.u.o
                                    : (a.tag == V_FLOAT ? a.u.i == b.u.i : a.u.i == b.u.i));
        if (a.tag == V_NONE || a.tag == V_UNDEF)
            same = a.tag == b.tag;
        return tn_bool(op == CMP_IS ? same : !same);
    }
    case CMP_IN:
    case CMP_NOTIN: {
        int r = tn_contains(st, b, a);
        if (r < 0)
            return tn_undef();
        return tn_bool(op == CMP_IN ? r : !r);
    }
    default:
        return tn_compare(st, a, b, op);
    }
}

/* ---------------------------------------------------------------- calls */

typedef struct {
    TnValue *v;
    TnStr **kw;
    int nargs, nkw, cap, capkw;
    TnValue small[8];
    TnStr *smallkw[8];
} ArgBuf;

static void args_init(ArgBuf *a)
{
    a->v = a->small;
    a->kw = a->smallkw;
    a->nargs = a->nkw = 0;
    a->cap = 8;
    a->capkw = 8;
}

static void args_free(ArgBuf *a)
{
    for (int i = 0; i < a->nargs + a->nkw; i++)
        tn_decref(a->v[i]);
    if (a->v != a->small)
        tn_free(a->v);
    if (a->kw != a->smallkw)
        tn_free(a->kw);
}

static int args_push_slow(TnState *st, ArgBuf *a, TnValue v, TnStr *kw);

/* Appends v (stolen); positional values must all come before keywords. */
static inline int args_push(TnState *st, ArgBuf *a, TnValue v, TnStr *kw)
{
    if (!kw && a->nargs < a->cap && a->nkw == 0) {
        a->v[a->nargs++] = v;
        return 0;
    }
    return args_push_slow(st, a, v, kw);
}

static int args_push_slow(TnState *st, ArgBuf *a, TnValue v, TnStr *kw)
{
    int n = a->nargs + a->nkw;
    if (n == a->cap) {
        int cap = a->cap * 2;
        TnValue *p = tn_malloc((size_t)cap * sizeof *p);
        if (!p) {
            tn_decref(v);
            tn_no_memory(st);
            return -1;
        }
        memcpy(p, a->v, (size_t)n * sizeof *p);
        if (a->v != a->small)
            tn_free(a->v);
        a->v = p;
        a->cap = cap;
    }
    if (kw) {
        if (a->nkw == a->capkw) {
            int cap = a->capkw * 2;
            TnStr **p = tn_malloc((size_t)cap * sizeof *p);
            if (!p) {
                tn_decref(v);
                tn_no_memory(st);
                return -1;
            }
            memcpy(p, a->kw, (size_t)a->nkw * sizeof *p);
            if (a->kw != a->smallkw)
                tn_free(a->kw);
            a->kw = p;
            a->capkw = cap;
        }
        for (int i = 0; i < a->nkw; i++)
            if (a->kw[i] == kw || str_eq(a->kw[i], kw)) {
                tn_decref(v);
                tn_raise(st, tn_TypeError, "got multiple values for keyword argument '%s'",
                         kw->data);
                return -1;
            }
        a->kw[a->nkw++] = kw;
        a->v[n] = v;
    } else {
        a->v[a->nargs++] = v;
    }
    return 0;
}

/* The items of any iterable: lists and tuples are read in place; anything else is
 * collected into *tmp (a new list the caller releases). A TypeError from iterating
 * becomes `fmt` with the value's type name. 0 or -1. */
static int items_of(TnState *st, TnValue v, TnValue **items, int64_t *n, TnValue *tmp,
                    const char *fmt)
{
    *tmp = tn_undef();
    if (tn_seq_items(v, items, n))
        return 0;
    *tmp = list_from_iterable(st, v);
    if (IS_UNDEF(*tmp)) {
        if (tn_error_matches(st, tn_TypeError)) {
            tn_clear_error(st);
            tn_raise(st, tn_TypeError, fmt, tn_type_name(v));
        }
        return -1;
    }
    *items = AS_LIST(*tmp)->items;
    *n = AS_LIST(*tmp)->n;
    return 0;
}

static int args_star(TnState *st, ArgBuf *a, TnValue seq)
{
    TnValue *items, tmp;
    int64_t n;
    if (items_of(st, seq, &items, &n, &tmp, "argument after * must be an iterable, not %s") < 0)
        return -1;
    for (int64_t i = 0; i < n; i++)
        if (args_push(st, a, tn_ref(items[i]), NULL) < 0) {
            tn_decref(tmp);
            return -1;
        }
    tn_decref(tmp);
    return 0;
}

static int args_dstar(TnState *st, ArgBuf *a, TnValue map)
{
    if (!tn_is_dict(map)) {
        tn_raise(st, tn_TypeError, "argument after ** must be a mapping, not %s",
                 tn_type_name(map));
        return -1;
    }
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(AS_DICT(map), &pos, &k, &v)) {
        if (!IS_STR(k)) {
            tn_raise(st, tn_TypeError, "keywords must be strings");
            return -1;
        }
        TnStr *name = str_intern_n(AS_STR(k)->data, AS_STR(k)->len);
        if (args_push(st, a, tn_ref(v), name) < 0)
            return -1;
    }
    return 0;
}

static TnValue call_super0(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (!f->func || !f->func->owner || f->func->scope->nparams == 0)
        return tn_raise(st, tn_RuntimeError, "super(): no arguments");
    TnValue self = f->slots[0];
    if (IS_OBJ(self) && AS_OBJ(self)->type == &tn_cell_type)
        self = ((TnCell *)AS_OBJ(self))->v;
    if (IS_UNDEF(self))
        return tn_raise(st, tn_RuntimeError, "super(): arg[0] deleted");
    return super_new(st, f->func->owner, self);
}

/* Evaluates the arguments of a call into buf. */
static int eval_args(TnState *st, TnFrameInfo *f, TnAst *n, ArgBuf *buf)
{
    TnNodeList *l = &n->items;
    for (int i = 0; i < l->n; i++) {
        TnAst *arg = l->items[i];
        if (arg->kind == AST_KEYWORD) {
            TnValue v = eval(st, f, arg->a);
            if (IS_UNDEF(v) || args_push(st, buf, v, arg->cache) < 0)
                return -1;
        } else if (arg->kind == AST_STARRED) {
            TnValue v = eval(st, f, arg->a);
            if (IS_UNDEF(v))
                return -1;
            int rc = args_star(st, buf, v);
            tn_decref(v);
            if (rc < 0)
                return -1;
        } else if (arg->kind == AST_DSTAR) {
            TnValue v = eval(st, f, arg->a);
            if (IS_UNDEF(v))
                return -1;
            int rc = args_dstar(st, buf, v);
            tn_decref(v);
            if (rc < 0)
                return -1;
        } else {
            TnValue v = operand(st, f, arg);
            if (IS_UNDEF(v) || args_push(st, buf, v, NULL) < 0)
                return -1;
        }
    }
    return 0;
}

/* Calls a plain user function whose parameters are exactly the call's positional
 * arguments: the arguments are evaluated straight into the callee's frame slots. */
static bool direct_callable(TnFunction *fn, TnAst *n, bool has_self)
{
    TnScope *sc = fn->scope;
    if (!has_self && n->cache == sc) /* this call site already checked this code */
        return true;
    if (sc->nparams != sc->npos || sc->npos != n->items.n + (has_self ? 1 : 0))
        return false;
    for (int i = 0; i < n->items.n; i++) {
        int k = n->items.items[i]->kind;
        if (k == AST_KEYWORD || k == AST_STARRED || k == AST_DSTAR)
            return false;
    }
    if (!has_self)
        n->cache = sc;
    return true;
}

static inline __attribute__((always_inline)) TnValue frame_run(TnState *st, TnFunction *fn,
                                                                TnValue *slots);

static inline __attribute__((always_inline)) TnValue call_direct(TnState *st, TnFrameInfo *f, TnAst *n, TnFunction *fn, TnValue self)
{
    int nslots = fn->scope->nslots;
    TnValue small[16];
    TnValue *slots = nslots <= 16 ? small : tn_malloc((size_t)nslots * sizeof(TnValue));
    if (!slots)
        return tn_no_memory(st);
    int k = 0;
    if (!IS_UNDEF(self))
        slots[k++] = tn_ref(self);
    for (int i = 0; i < n->items.n; i++) {
        TnValue v = operand(st, f, n->items.items[i]);
        if (IS_UNDEF(v)) {
            while (k > 0)
                tn_decref(slots[--k]);
            if (slots != small)
                tn_free(slots);
            return v;
        }
        slots[k++] = v;
    }
    for (int i = k; i < nslots; i++)
        slots[i] = tn_undef();
    TnValue r = frame_run(st, fn, slots);
    if (slots != small)
        tn_free(slots);
    return r;
}

static __attribute__((noinline)) TnValue eval_call_general(TnState *st, TnFrameInfo *f,
                                                          TnAst *n);

/* A global function called with exactly its positional parameters, as fib(n - 1),
 * once the call site has been checked (direct_callable left the code in n->cache):
 * a small frame without the argument buffer. Everything else: eval_call_general. */
static __attribute__((noinline)) TnValue eval_call(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnAst *callee = n->a;
    if (callee->kind == AST_NAME && callee->scope == SCOPE_GLOBAL && !f->locals_dict) {
        int64_t ix = callee->ival - 1;
        TnDict *g = f->globals;
        if (ix >= 0 && ix < g->nentries && g->entries[ix].key.tag == V_OBJ &&
            g->entries[ix].key.u.o == (TnObject *)callee->cache) {
            TnValue fn = g->entries[ix].value;
            if (IS_FUNCTION(fn) && n->cache == AS_FUNCTION(fn)->scope) {
                /* (frame_run polls Ctrl-C) */
                tn_incref(fn); /* the call may rebind the global */
                TnValue r = call_direct(st, f, n, AS_FUNCTION(fn), tn_undef());
                tn_decref(fn);
                if (IS_UNDEF(r))
                    eval_record(st, f, n);
                return r;
            }
        }
    }
    return eval_call_general(st, f, n);
}

static __attribute__((noinline)) TnValue eval_call_general(TnState *st, TnFrameInfo *f,
                                                          TnAst *n)
{
    TnAst *callee = n->a;
    ArgBuf buf;
    TnValue result;
    /* super() with no arguments needs the frame */
    if (callee->kind == AST_NAME && callee->cache == s_super && n->items.n == 0 &&
        callee->scope == SCOPE_GLOBAL && IS_UNDEF(dict_get_str(f->globals, s_super)))
        return call_super0(st, f, n);
    if (POLL_INTERRUPT(st))
        return tn_undef();
    args_init(&buf);
    /* obj.method(...) calls the method without making a bound method */
    if (callee->kind == AST_ATTR) {
        TnValue obj = eval(st, f, callee->a);
        if (IS_UNDEF(obj))
            return obj;
        TnFunction *cached = attr_cache_method(n, obj);
        if (cached) {
            tn_obj_incref(cached); /* the call may rebind the class attribute */
            result = call_direct(st, f, n, cached, obj);
            tn_obj_decref(cached);
            tn_decref(obj);
            if (IS_UNDEF(result))
                eval_record(st, f, n);
            return result;
        }
        TnType *t = tn_type_of(obj);
        TnValue m = tn_undef();
        if (!t->getattr && t != &tn_type_type && t != &tn_super_type) {
            bool in_instance = false;
            if ((t->flags & TN_TYPE_HAS_DICT) && IS_OBJ(obj)) {
                TnDict *d = ((TnInstance *)AS_OBJ(obj))->dict;
                in_instance = d && !IS_UNDEF(dict_get_str(d, callee->cache));
            }
            if (!in_instance) {
                m = type_lookup(t, callee->cache);
                if (!IS_UNDEF(m) && !IS_FUNCTION(m) && !IS_NATIVE(m))
                    m = tn_undef();
            }
        }
        if (!IS_UNDEF(m) && IS_FUNCTION(m) && direct_callable(AS_FUNCTION(m), n, true)) {
            attr_cache_method_fill(n, obj, AS_FUNCTION(m));
            tn_incref(m);
            result = call_direct(st, f, n, AS_FUNCTION(m), obj);
            tn_decref(m);
            tn_decref(obj);
            if (IS_UNDEF(result))
                eval_record(st, f, n);
            return result;
        }
        if (!IS_UNDEF(m)) {
            tn_incref(m);
            if (eval_args(st, f, n, &buf) < 0) {
                result = tn_undef();
            } else if (IS_FUNCTION(m)) {
                result = function_call(st, AS_FUNCTION(m), obj, buf.v, buf.nargs, buf.kw,
                                       buf.nkw);
            } else {
                result = tn_call_descr(st, m, obj, buf.v, buf.nargs, buf.kw, buf.nkw);
            }
            tn_decref(m);
            tn_decref(obj);
            args_free(&buf);
            if (IS_UNDEF(result))
                eval_record(st, f, n);
            return result;
        }
        TnValue fn = tn_getattr(st, obj, callee->cache);
        tn_decref(obj);
        if (IS_UNDEF(fn)) {
            eval_record(st, f, n);
            return fn;
        }
        if (eval_args(st, f, n, &buf) < 0)
            result = tn_undef();
        else
            result = tn_call(st, fn, buf.v, buf.nargs, buf.kw, buf.nkw);
        tn_decref(fn);
        args_free(&buf);
        if (IS_UNDEF(result))
            eval_record(st, f, n);
        return result;
    }
    TnValue fn = tn_undef();
    if (callee->kind == AST_NAME && callee->scope == SCOPE_GLOBAL && !f->locals_dict) {
        /* calls of global functions: the cached dict entry, without a dispatch */
        int64_t ix = callee->ival - 1;
        TnDict *g = f->globals;
        if (ix >= 0 && ix < g->nentries && g->entries[ix].key.tag == V_OBJ &&
            g->entries[ix].key.u.o == (TnObject *)callee->cache)
            fn = tn_ref(g->entries[ix].value);
    }
    if (IS_UNDEF(fn))
        fn = operand(st, f, callee);
    if (IS_UNDEF(fn))
        return fn;
    if (IS_FUNCTION(fn) && direct_callable(AS_FUNCTION(fn), n, false)) {
        result = call_direct(st, f, n, AS_FUNCTION(fn), tn_undef());
        tn_decref(fn);
        if (IS_UNDEF(result))
            eval_record(st, f, n);
        return result;
    }
    if (eval_args(st, f, n, &buf) < 0) {
        result = tn_undef();
    } else if (IS_FUNCTION(fn)) {
        result = function_call(st, AS_FUNCTION(fn), tn_undef(), buf.v, buf.nargs, buf.kw,
                               buf.nkw);
    } else {
        result = tn_call(st, fn, buf.v, buf.nargs, buf.kw, buf.nkw);
    }
    tn_decref(fn);
    args_free(&buf);
    if (IS_UNDEF(result))
        eval_record(st, f, n);
    return result;
}

/* ------------------------------------------------------------- displays */

/* Appends the items of an element list (with *starred parts) to a list. */
static int fill_list(TnState *st, TnFrameInfo *f, TnNodeList *items, TnList *out)
{
    for (int i = 0; i < items->n; i++) {
        TnAst *e = items->items[i];
        if (e->kind == AST_STARRED) {
            TnValue v = eval(st, f, e->a);
            if (IS_UNDEF(v))
                return -1;
            int rc = list_extend(st, out, v);
            tn_decref(v);
            if (rc < 0)
                return -1;
            continue;
        }
        TnValue v = eval(st, f, e);
        if (IS_UNDEF(v))
            return -1;
        int rc = list_append(st, out, v);
        tn_decref(v);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static __attribute__((noinline)) TnValue eval_list(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue l = list_new(st, 0);
    if (IS_UNDEF(l))
        return l;
    if (fill_list(st, f, &n->items, AS_LIST(l)) < 0) {
        tn_decref(l);
        return tn_undef();
    }
    return l;
}

static __attribute__((noinline)) TnValue eval_tuple(TnState *st, TnFrameInfo *f, TnAst *n)
{
    bool starred = false;
    for (int i = 0; i < n->items.n; i++)
        starred |= n->items.items[i]->kind == AST_STARRED;
    if (!starred) {
        TnValue t = tuple_new(st, n->items.n);
        if (IS_UNDEF(t))
            return t;
        for (int i = 0; i < n->items.n; i++) {
            TnValue v = eval(st, f, n->items.items[i]);
            if (IS_UNDEF(v)) {
                tn_decref(t);
                return v;
            }
            tuple_set(t, i, v);
        }
        return t;
    }
    TnValue l = eval_list(st, f, n);
    if (IS_UNDEF(l))
        return l;
    TnValue t = tuple_from_array(st, AS_LIST(l)->items, AS_LIST(l)->n);
    tn_decref(l);
    return t;
}

/* An expression CPython's compiler folds to a constant (literals, operators on them,
 * tuples of them). */
static bool is_constant_expr(const TnAst *n)
{
    switch (n->kind) {
    case AST_INT: case AST_FLOAT: case AST_STR: case AST_NONE: case AST_TRUE: case AST_FALSE:
    case AST_ELLIPSIS:
        return true;
    case AST_UNARY: return is_constant_expr(n->a);
    case AST_BINOP: return is_constant_expr(n->a) && is_constant_expr(n->b);
    case AST_TUPLE:
        for (int i = 0; i < n->items.n; i++)
            if (!is_constant_expr(n->items.items[i]))
                return false;
        return true;
    default: return false;
    }
}

static __attribute__((noinline)) TnValue eval_set(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue l = eval_list(st, f, n);
    if (IS_UNDEF(l))
        return l;
    bool constant = n->items.n > 2;
    for (int i = 0; constant && i < n->items.n; i++)
        constant = is_constant_expr(n->items.items[i]);
    TnValue s = constant ? set_from_constants(st, l) : set_from_iterable(st, l);
    tn_decref(l);
    return s;
}

static __attribute__((noinline)) TnValue eval_dict(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue d = dict_new(st);
    if (IS_UNDEF(d))
        return d;
    for (int i = 0; i + 1 < n->items.n; i += 2) {
        TnAst *k = n->items.items[i];
        TnAst *vn = n->items.items[i + 1];
        if (k->kind == AST_DSTAR) {
            TnValue m = eval(st, f, k->a);
            if (IS_UNDEF(m))
                goto fail;
            int rc = dict_update(st, AS_DICT(d), m);
            tn_decref(m);
            if (rc < 0)
                goto fail;
            continue;
        }
        TnValue kv = eval(st, f, k);
        if (IS_UNDEF(kv))
            goto fail;
        TnValue vv = eval(st, f, vn);
        if (IS_UNDEF(vv)) {
            tn_decref(kv);
            goto fail;
        }
        int rc = dict_set(st, AS_DICT(d), kv, vv);
        tn_decref(kv);
        tn_decref(vv);
        if (rc < 0)
            goto fail;
    }
    return d;
fail:
    tn_decref(d);
    return tn_undef();
}

/* Comprehensions run inline in the current frame: their variables have slots of
 * their own (resolve.c), so nothing leaks and no function object is made. */
typedef struct {
    TnAst *node;
    TnValue out; /* list, set or dict */
} Comp;

static int comp_emit(TnState *st, TnFrameInfo *f, Comp *c)
{
    TnAst *n = c->node;
    if (n->kind == AST_DICTCOMP) {
        TnValue k = eval(st, f, n->a);
        if (IS_UNDEF(k))
            return -1;
        TnValue v = eval(st, f, n->b);
        if (IS_UNDEF(v)) {
            tn_decref(k);
            return -1;
        }
        int rc = dict_set(st, AS_DICT(c->out), k, v);
        tn_decref(k);
        tn_decref(v);
        return rc;
    }
    TnValue v = eval(st, f, n->a);
    if (IS_UNDEF(v))
        return -1;
    int rc = n->kind == AST_SETCOMP ? set_add(st, AS_SET(c->out), v)
                                    : list_append(st, AS_LIST(c->out), v);
    tn_decref(v);
    return rc;
}

static int comp_loop(TnState *st, TnFrameInfo *f, Comp *c, int level)
{
    TnAst *n = c->node;
    if (level == n->items.n)
        return comp_emit(st, f, c);
    TnAst *clause = n->items.items[level];
    TnValue iterable = eval(st, f, clause->b);
    if (IS_UNDEF(iterable))
        return -1;
    TnValue it = tn_iter(st, iterable);
    tn_decref(iterable);
    if (IS_UNDEF(it))
        return -1;
    int rc = 0;
    for (;;) {
        if (POLL_INTERRUPT(st)) {
            rc = -1;
            break;
        }
        TnValue item = tn_next(st, it);
        if (IS_UNDEF(item)) {
            rc = IS_UNDEF(st->exc) ? 0 : -1;
            break;
        }
        if (assign(st, f, clause->a, item) < 0) {
            rc = -1;
            break;
        }
        bool keep = true;
        for (int i = 0; i < clause->items.n && keep; i++) {
            TnValue cond = eval(st, f, clause->items.items[i]);
            if (IS_UNDEF(cond)) {
                rc = -1;
                break;
            }
            int t = tn_truthy(st, cond);
            tn_decref(cond);
            if (t < 0) {
                rc = -1;
                break;
            }
            keep = t;
        }
        if (rc < 0)
            break;
        if (keep && comp_loop(st, f, c, level + 1) < 0) {
            rc = -1;
            break;
        }
    }
    tn_decref(it);
    return rc;
}

static __attribute__((noinline)) TnValue eval_comprehension(TnState *st, TnFrameInfo *f, TnAst *n)
{
    Comp c = {.node = n};
    c.out = n->kind == AST_DICTCOMP  ? dict_new(st)
            : n->kind == AST_SETCOMP ? set_new(st)
                                     : list_new(st, 0);
    if (IS_UNDEF(c.out))
        return c.out;
    if (comp_loop(st, f, &c, 0) < 0) {
        tn_decref(c.out);
        return tn_undef();
    }
    if (n->kind == AST_GENEXP) {
        /* generator expressions are evaluated eagerly; the result iterates */
        TnValue it = tn_iter(st, c.out);
        tn_decref(c.out);
        return it;
    }
    return c.out;
}

/* ------------------------------------------------------------ functions */

static __attribute__((noinline)) TnValue make_function(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnScope *sc = n->scope_info;
    TnFunction *fn = tn_alloc_object(st, &tn_function_type, sizeof(TnFunction));
    if (!fn)
        return tn_undef();
    TnValue fv = tn_obj(fn);
    fn->node = n;
    fn->scope = sc;
    fn->arena = f->arena;
    arena_incref(f->arena);
    fn->globals = f->globals;
    tn_obj_incref(f->globals);
    fn->doc = tn_none();
    fn->name = n->kind == AST_DEF ? node_str(n) : str_intern("<lambda>");
    fn->qualname = sc->qualname ? sc->qualname : fn->name;
    int nd = sc->npos + sc->nkwonly;
    if (nd > 0) {
        fn->defaults = tn_calloc((size_t)nd, sizeof(TnValue));
        if (!fn->defaults)
            goto oom;
        for (int i = 0; i < n->params.n; i++) {
            TnAst *p = n->params.items[i];
            if (!p->a)
                continue;
            int slot = -1;
            for (int k = 0; k < nd; k++)
                if (sc->param_names[k] == p->cache)
                    slot = k;
            TnValue d = eval(st, f, p->a);
            if (IS_UNDEF(d))
                goto fail;
            if (slot >= 0)
                fn->defaults[slot] = d;
            else
                tn_decref(d);
        }
    }
    if (sc->nfree > 0) {
        fn->closure = tn_calloc((size_t)sc->nfree, sizeof(TnCell *));
        if (!fn->closure)
            goto oom;
        for (int i = 0; i < sc->nfree; i++) {
            TnValue cell = f->slots[sc->free_parent_slots[i]];
            tn_incref(cell);
            fn->closure[i] = (TnCell *)AS_OBJ(cell);
        }
    }
    if (n->kind == AST_DEF && n->body.n > 0) {
        TnAst *first = n->body.items[0];
        if (first->kind == AST_EXPR && first->a->kind == AST_STR) {
            tn_decref(fn->doc);
            fn->doc = tn_ref(tn_obj(node_str(first->a)));
        }
    }
    return fv;
oom:
    tn_no_memory(st);
fail:
    tn_decref(fv);
    return tn_undef();
}

static TnValue apply_decorators(TnState *st, TnFrameInfo *f, TnNodeList *decos, TnValue v)
{
    for (int i = decos->n - 1; i >= 0; i--) {
        TnValue d = eval(st, f, decos->items[i]);
        if (IS_UNDEF(d)) {
            tn_decref(v);
            return d;
        }
        TnValue r = tn_call(st, d, &v, 1, NULL, 0);
        tn_decref(d);
        tn_decref(v);
        if (IS_UNDEF(r))
            return r;
        v = r;
    }
    return v;
}

/* Runs a function body in a prepared frame: the return value or UNDEF. */
static inline __attribute__((always_inline)) TnValue eval_function_body(TnState *st, TnFrameInfo *f, TnFunction *fn)
{
    if (fn->node->kind == AST_LAMBDA) {
        TnValue v = eval(st, f, fn->node->a);
        return v;
    }
    TnNodeList *body = &fn->node->body;
    if (body->n == 1 && body->items[0]->kind == AST_RETURN && body->items[0]->a) {
        /* `def f(..): return expr` is common enough to skip the statement machinery */
        TnValue v = eval(st, f, body->items[0]->a);
        if (IS_UNDEF(v))
            eval_record(st, f, body->items[0]);
        return v;
    }
    ExecStatus s = exec_block(st, f, body);
    if (s == EX_ERROR)
        return tn_undef();
    if (s == EX_RETURN)
        return f->retval;
    return tn_none();
}

/* ---------------------------------------------------------------- frames */

/* Cells for the parameters and locals inner functions capture, and the closure's
 * free variables: -1 on error. */
static __attribute__((noinline)) int frame_cells(TnState *st, TnFunction *fn, TnValue *slots)
{
    TnScope *sc = fn->scope;
    for (int i = 0; i < sc->ncells; i++) {
        int s = sc->cell_slots[i];
        TnValue c = cell_new(st, slots[s]);
        if (IS_UNDEF(c))
            return -1;
        tn_decref(slots[s]);
        slots[s] = c;
    }
    for (int i = 0; i < sc->nfree; i++) {
        tn_obj_incref(fn->closure[i]);
        slots[sc->free_slots[i]] = tn_obj(fn->closure[i]);
    }
    return 0;
}

/* Runs fn over slots whose parameters are bound (the rest UNDEF); releases the
 * slots' references. Inlined into the call handlers, so a call of a user function
 * is one C call deep until its body runs. */
static inline __attribute__((always_inline)) TnValue frame_run(TnState *st, TnFunction *fn,
                                                                TnValue *slots)
{
    TnScope *sc = fn->scope;
    int nslots = sc->nslots;
    TnValue result = tn_undef();
    if (TN_UNLIKELY(++st->depth > st->recursion_limit || !eval_stack_ok())) {
        tn_raise(st, tn_RecursionError, "maximum recursion depth exceeded");
        goto done;
    }
    /* natives calling back (sorted's key, map, hooks) pass no evaluator poll: check here */
    if (tn_poll_interrupt(st) < 0)
        goto done;
    if (TN_UNLIKELY(sc->ncells || sc->nfree) && frame_cells(st, fn, slots) < 0)
        goto done;
    /* field by field: an initializer would zero the whole struct first */
    TnFrameInfo f;
    f.prev = st->frame;
    f.slots = slots;
    f.func = fn;
    f.globals = fn->globals;
    f.locals_dict = NULL;
    f.arena = fn->arena;
    f.name = fn->name->data;
    f.retval.tag = V_UNDEF;
    f.tb_recorded = false;
    f.echo = false;
    st->frame = &f;
    result = eval_function_body(st, &f, fn);
    st->frame = f.prev;
done:
    st->depth--;
    for (int i = 0; i < nslots; i++)
        tn_decref(slots[i]);
    return result;
}

TnValue function_run(TnState *st, TnFunction *fn, TnValue *slots)
{
    return frame_run(st, fn, slots);
}

/* --------------------------------------------------------------- classes */

static ExecStatus exec_class(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue base = tn_undef();
    TnType *bt = &tn_object_type;
    if (n->a) {
        base = eval(st, f, n->a);
        if (IS_UNDEF(base))
            return EX_ERROR;
        if (!IS_TYPE(base)) {
            tn_raise(st, tn_TypeError, "bases must be types");
            tn_decref(base);
            return EX_ERROR;
        }
        bt = AS_TYPE(base);
        if (!(bt->flags & TN_TYPE_BASETYPE)) {
            tn_raise(st, tn_TypeError, "type '%s' is not an acceptable base type", bt->name);
            tn_decref(base);
            return EX_ERROR;
        }
    }
    TnValue nsv = dict_new(st);
    if (IS_UNDEF(nsv)) {
        tn_decref(base);
        return EX_ERROR;
    }
    TnDict *ns = AS_DICT(nsv);
    TnScope *sc = n->scope_info;
    int nslots = sc->nslots;
    TnValue *slots = tn_calloc((size_t)(nslots ? nslots : 1), sizeof(TnValue));
    ExecStatus result = EX_ERROR;
    if (!slots) {
        tn_no_memory(st);
        goto done;
    }
    for (int i = 0; i < sc->ncells; i++) {
        TnValue c = cell_new(st, tn_undef());
        if (IS_UNDEF(c))
            goto done;
        slots[sc->cell_slots[i]] = c;
    }
    for (int i = 0; i < sc->nfree; i++)
        slots[sc->free_slots[i]] = tn_ref(f->slots[sc->free_parent_slots[i]]);
    TnValue modname = dict_get_str(f->globals, s_name);
    if (!IS_UNDEF(modname) && dict_set_str(st, ns, s_module, modname) < 0)
        goto done;
    TnValue qn = tn_obj(node_str(n));
    if (dict_set_str(st, ns, s_qualname, qn) < 0)
        goto done;
    if (n->body.n > 0 && n->body.items[0]->kind == AST_EXPR &&
        n->body.items[0]->a->kind == AST_STR) {
        if (dict_set_str(st, ns, s_doc, tn_obj(node_str(n->body.items[0]->a))) < 0)
            goto done;
    }
    TnFrameInfo cf = {.prev = f,
                      .slots = slots,
                      .globals = f->globals,
                      .locals_dict = ns,
                      .arena = f->arena,
                      .name = n->str,
                      .retval = tn_undef()};
    st->frame = &cf;
    ExecStatus s = exec_block(st, &cf, &n->body);
    st->frame = f;
    if (s == EX_ERROR)
        goto done;
    TnValue cls = class_new(st, node_str(n), bt, ns);
    if (IS_UNDEF(cls))
        goto done;
    cls = apply_decorators(st, f, &n->items, cls);
    if (IS_UNDEF(cls))
        goto done;
    TnAst target = binding_name(n);
    if (store_name(st, f, &target, cls) < 0)
        goto done;
    result = EX_OK;
done:
    if (slots) {
        for (int i = 0; i < nslots; i++)
            tn_decref(slots[i]);
        tn_free(slots);
    }
    tn_decref(nsv);
    tn_decref(base);
    return result;
}

/* ----------------------------------------------------------- expressions */

static __attribute__((noinline)) TnValue eval_fstring(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnBuf b = {0};
    for (int i = 0; i < n->items.n; i++) {
        TnAst *part = n->items.items[i];
        if (part->kind == AST_STR) {
            if (!buf_putn(&b, part->str, part->slen))
                goto oom;
            continue;
        }
        TnValue v = eval(st, f, part->a);
        if (IS_UNDEF(v))
            goto fail;
        TnValue spec = tn_undef();
        if (part->b) {
            spec = eval_fstring(st, f, part->b);
            if (IS_UNDEF(spec)) {
                tn_decref(v);
                goto fail;
            }
        }
        TnValue s = tn_format_field(st, v, part->op, IS_UNDEF(spec) ? NULL : AS_STR(spec));
        tn_decref(v);
        tn_decref(spec);
        if (IS_UNDEF(s))
            goto fail;
        bool ok = buf_putn(&b, AS_STR(s)->data, (size_t)AS_STR(s)->len);
        tn_decref(s);
        if (!ok)
            goto oom;
    }
    return buf_to_str(st, &b);
oom:
    tn_no_memory(st);
fail:
    buf_free(&b);
    return tn_undef();
}

static __attribute__((noinline)) TnValue eval_index(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (n->kind == AST_SLICE) {
        TnValue parts[3] = {tn_none(), tn_none(), tn_none()};
        TnAst *kids[3] = {n->a, n->b, n->c};
        for (int i = 0; i < 3; i++) {
            if (!kids[i])
                continue;
            parts[i] = eval(st, f, kids[i]);
            if (IS_UNDEF(parts[i])) {
                for (int k = 0; k < i; k++)
                    tn_decref(parts[k]);
                return tn_undef();
            }
        }
        TnValue s = slice_new(st, parts[0], parts[1], parts[2]);
        for (int i = 0; i < 3; i++)
            tn_decref(parts[i]);
        return s;
    }
    if (n->kind == AST_TUPLE) {
        TnValue t = tuple_new(st, n->items.n);
        if (IS_UNDEF(t))
            return t;
        for (int i = 0; i < n->items.n; i++) {
            TnValue v = eval_index(st, f, n->items.items[i]);
            if (IS_UNDEF(v)) {
                tn_decref(t);
                return v;
            }
            tuple_set(t, i, v);
        }
        return t;
    }
    return eval(st, f, n);
}

static __attribute__((noinline)) TnValue eval_compare(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return eval_compare_general(st, f, n);
}

TnValue eval_compare_values(TnState *st, TnFrameInfo *f, TnAst *n, TnValue a, TnValue b)
{
    TnValue r = compare(st, n->cmpops[0], a, b);
    tn_decref(a);
    tn_decref(b);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

TnValue eval_compare_general(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue left = operand(st, f, n->items.items[0]);
    if (IS_UNDEF(left))
        return left;
    if (n->items.n == 2) {
        TnValue right = operand(st, f, n->items.items[1]);
        if (IS_UNDEF(right)) {
            tn_decref(left);
            return right;
        }
        TnValue r = compare(st, n->cmpops[0], left, right);
        tn_decref(left);
        tn_decref(right);
        if (IS_UNDEF(r))
            eval_record(st, f, n);
        return r;
    }
    int nops = n->items.n - 1;
    for (int i = 0; i < nops; i++) {
        TnValue right = eval(st, f, n->items.items[i + 1]);
        if (IS_UNDEF(right)) {
            tn_decref(left);
            return right;
        }
        TnValue r = compare(st, n->cmpops[i], left, right);
        tn_decref(left);
        if (IS_UNDEF(r) || i == nops - 1) {
            tn_decref(right);
            if (IS_UNDEF(r))
                eval_record(st, f, n);
            return r;
        }
        int t = tn_truthy(st, r);
        if (t <= 0) {
            tn_decref(right);
            if (t < 0) {
                tn_decref(r);
                return tn_undef();
            }
            return r;
        }
        tn_decref(r);
        left = right;
    }
    return left;
}

/* One function per expression kind; eval() below only dispatches, and each case
 * is a tail call, so the dispatcher itself needs no stack frame. */
#define EVAL_FN static __attribute__((noinline)) TnValue

EVAL_FN eval_name(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue r = load_name(st, f, n);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

EVAL_FN eval_attr(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = eval(st, f, n->a);
    if (IS_UNDEF(a))
        return a;
    TnValue r;
    if (attr_cache_get(n, a, &r)) {
        tn_decref(a);
        return r;
    }
    r = tn_getattr(st, a, n->cache);
    tn_decref(a);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

EVAL_FN eval_subscript(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = eval(st, f, n->a);
    if (IS_UNDEF(a))
        return a;
    TnValue b = eval_index(st, f, n->b);
    if (IS_UNDEF(b)) {
        tn_decref(a);
        return b;
    }
    TnValue r;
    if (IS_LIST(a) && IS_INT(b)) {
        int64_t i = AS_INT(b), len = AS_LIST(a)->n;
        if (i < 0)
            i += len;
        if (i >= 0 && i < len) {
            r = tn_ref(AS_LIST(a)->items[i]);
            tn_decref(a);
            return r;
        }
    }
    r = tn_getitem(st, a, b);
    tn_decref(a);
    tn_decref(b);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

/* The value of an int constant or a bound local without a new reference (none is
 * needed for an int), or UNDEF for any other node: the leaves of hot arithmetic. */
static inline TnValue int_leaf(const TnFrameInfo *f, const TnAst *n)
{
    if (n->kind == AST_INT)
        return tn_int(n->ival);
    if (n->kind == AST_NAME && n->scope == SCOPE_LOCAL && f->slots[n->slot].tag == V_INT)
        return f->slots[n->slot];
    return tn_undef();
}

/* Two int leaves are finished here, in a small frame with no reference counting;
 * everything else goes to the general path. */
EVAL_FN eval_binop(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = int_leaf(f, n->a), b = int_leaf(f, n->b);
    if (a.tag == V_INT && b.tag == V_INT) {
        bool done;
        TnValue r = int_binop_fast(n->op, a.u.i, b.u.i, &done);
        if (done)
            return r;
    }
    return eval_binop_general(st, f, n);
}

TnValue eval_binop_values(TnState *st, TnFrameInfo *f, TnAst *n, TnValue a, TnValue b)
{
    TnValue r = binop(st, n->op, a, b, false);
    tn_decref(a);
    tn_decref(b);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

TnValue eval_binop_general(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = operand(st, f, n->a);
    if (IS_UNDEF(a))
        return a;
    TnValue b = operand(st, f, n->b);
    if (IS_UNDEF(b)) {
        tn_decref(a);
        return b;
    }
    TnValue r = binop(st, n->op, a, b, false);
    tn_decref(a);
    tn_decref(b);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

EVAL_FN eval_unary(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = operand(st, f, n->a);
    if (IS_UNDEF(a))
        return a;
    if (n->op == UOP_NOT) {
        int t = a.tag == V_BOOL ? (int)a.u.i : tn_truthy(st, a);
        tn_decref(a);
        return t < 0 ? tn_undef() : tn_bool(!t);
    }
    if (n->op == UOP_NEG && a.tag == V_INT && a.u.i != INT64_MIN)
        return tn_int(-a.u.i);
    if (n->op == UOP_NEG && a.tag == V_FLOAT)
        return tn_float(-a.u.f);
    TnValue r = tn_unop(st, n->op, a);
    tn_decref(a);
    if (IS_UNDEF(r))
        eval_record(st, f, n);
    return r;
}

EVAL_FN eval_andor(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue a = operand(st, f, n->a);
    if (IS_UNDEF(a))
        return a;
    int t = a.tag == V_BOOL ? (int)a.u.i : tn_truthy(st, a);
    if (t < 0) {
        tn_decref(a);
        return tn_undef();
    }
    if ((n->kind == AST_AND) ? !t : t)
        return a;
    tn_decref(a);
    return eval(st, f, n->b);
}

/* Truth of a condition: 1, 0 or -1 on error. Comparisons give bools, which need
 * neither a call nor a release. */
static inline int condition(TnState *st, TnFrameInfo *f, TnAst *c)
{
    TnValue v = eval(st, f, c);
    if (TN_LIKELY(v.tag == V_BOOL))
        return (int)v.u.i;
    if (IS_UNDEF(v))
        return -1;
    int t = tn_truthy(st, v);
    tn_decref(v);
    return t;
}

EVAL_FN eval_ifexp(TnState *st, TnFrameInfo *f, TnAst *n)
{
    int t = condition(st, f, n->a);
    if (t < 0)
        return tn_undef();
    return operand(st, f, t ? n->b : n->c);
}

EVAL_FN eval_const_str(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return tn_ref(tn_obj(node_str(n)));
}

EVAL_FN eval_bad(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (n->kind == AST_STARRED)
        return tn_raise(st, tn_SyntaxError, "can't use starred expression here");
    return tn_raise(st, tn_SystemExit, "internal error: cannot evaluate node kind %d", n->kind);
}

/* The handler of every kind without a more specific one below. */
static TnValue eval_kind(TnState *st, TnFrameInfo *f, TnAst *n)
{
    switch ((TnAstKind)n->kind) {
    case AST_INT:
        return tn_int(n->ival);
    case AST_FLOAT:
        return tn_float(n->fval);
    case AST_NONE:
        return tn_none();
    case AST_TRUE:
        return tn_bool(true);
    case AST_FALSE:
        return tn_bool(false);
    case AST_NAME:
        if (n->scope == SCOPE_LOCAL && TN_LIKELY(!IS_UNDEF(f->slots[n->slot])))
            return tn_ref(f->slots[n->slot]);
        return eval_name(st, f, n);
    case AST_STR:
        return eval_const_str(st, f, n);
    case AST_ELLIPSIS:
        return tn_ref(tn_ellipsis());
    case AST_FSTRING:
        return eval_fstring(st, f, n);
    case AST_ATTR:
        return eval_attr(st, f, n);
    case AST_SUBSCRIPT:
        return eval_subscript(st, f, n);
    case AST_CALL:
        return eval_call(st, f, n);
    case AST_BINOP:
        return eval_binop(st, f, n);
    case AST_UNARY:
        return eval_unary(st, f, n);
    case AST_AND:
    case AST_OR:
        return eval_andor(st, f, n);
    case AST_COMPARE:
        return eval_compare(st, f, n);
    case AST_IFEXP:
        return eval_ifexp(st, f, n);
    case AST_LAMBDA:
        return make_function(st, f, n);
    case AST_TUPLE:
        return eval_tuple(st, f, n);
    case AST_LIST:
        return eval_list(st, f, n);
    case AST_SET:
        return eval_set(st, f, n);
    case AST_DICT:
        return eval_dict(st, f, n);
    case AST_LISTCOMP:
    case AST_SETCOMP:
    case AST_GENEXP:
    case AST_DICTCOMP:
        return eval_comprehension(st, f, n);
    case AST_SLICE:
        return eval_index(st, f, n);
    default:
        return eval_bad(st, f, n);
    }
}

/* Handlers for the leaves, chosen by eval_choose. */
EVAL_FN eval_int(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return tn_int(n->ival);
}

EVAL_FN eval_float(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return tn_float(n->fval);
}

EVAL_FN eval_local(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue v = f->slots[n->slot];
    if (TN_UNLIKELY(IS_UNDEF(v)))
        return eval_name(st, f, n);
    tn_incref(v);
    return v;
}

TnEvalFn eval_choose(TnAst *n)
{
    TnEvalFn q = NULL;
    switch ((TnAstKind)n->kind) {
    case AST_INT:
        return eval_int;
    case AST_FLOAT:
        return eval_float;
    case AST_NAME:
        return n->scope == SCOPE_LOCAL ? eval_local : eval_name;
    case AST_ATTR:
        return eval_attr;
    case AST_SUBSCRIPT:
        return eval_subscript;
    case AST_CALL:
        return eval_call;
    case AST_BINOP:
        q = quick_binop(n);
        return q ? q : eval_binop;
    case AST_COMPARE:
        q = quick_compare(n);
        return q ? q : eval_compare;
    case AST_UNARY:
        return eval_unary;
    default:
        return eval_kind;
    }
}

/* ------------------------------------------------------------ assignment */

static int unpack(TnState *st, TnFrameInfo *f, TnAst *target, TnValue v)
{
    TnValue *items, tmp;
    int64_t n;
    if (items_of(st, v, &items, &n, &tmp, "cannot unpack non-iterable %s object") < 0)
        return -1;
    int nt = target->items.n, star = -1;
    for (int i = 0; i < nt; i++)
        if (target->items.items[i]->kind == AST_STARRED)
            star = i;
    int rc = 0;
    if (star < 0 && n != nt) {
        if (n > nt)
            tn_raise(st, tn_ValueError, "too many values to unpack (expected %d)", nt);
        else
            tn_raise(st, tn_ValueError, "not enough values to unpack (expected %d, got %lld)",
                     nt, (long long)n);
        rc = -1;
    } else if (star >= 0 && n < nt - 1) {
        tn_raise(st, tn_ValueError, "not enough values to unpack (expected at least %d, got %lld)",
                 nt - 1, (long long)n);
        rc = -1;
    } else {
        /* hold the items: assignments may drop the last reference to v */
        TnValue hold = tmp;
        if (IS_UNDEF(hold))
            hold = tn_ref(v);
        else
            tmp = tn_undef();
        int64_t after = nt - star - 1;
        for (int i = 0; i < nt && rc == 0; i++) {
            TnAst *t = target->items.items[i];
            if (i == star) {
                int64_t cnt = n - (nt - 1);
                TnValue l = list_from_array(st, items + i, cnt);
                rc = IS_UNDEF(l) ? -1 : assign(st, f, t->a, l);
            } else {
                int64_t idx = (star >= 0 && i > star) ? n - after + (i - star - 1) : i;
                rc = assign(st, f, t, tn_ref(items[idx]));
            }
        }
        tn_decref(hold);
    }
    tn_decref(tmp);
    return rc;
}

/* Assigns v (stolen) to target. */
static int assign(TnState *st, TnFrameInfo *f, TnAst *target, TnValue v)
{
    int rc;
    switch (target->kind) {
    case AST_NAME:
        return store_name(st, f, target, v);
    case AST_ATTR: {
        TnValue obj = eval(st, f, target->a);
        if (IS_UNDEF(obj)) {
            tn_decref(v);
            return -1;
        }
        rc = attr_cache_set(target, obj, v) ? 0 : tn_setattr(st, obj, target->cache, v);
        tn_decref(obj);
        tn_decref(v);
        if (rc < 0)
            eval_record(st, f, target);
        return rc;
    }
    case AST_SUBSCRIPT: {
        TnValue obj = eval(st, f, target->a);
        if (IS_UNDEF(obj)) {
            tn_decref(v);
            return -1;
        }
        TnValue key = eval_index(st, f, target->b);
        if (IS_UNDEF(key)) {
            tn_decref(obj);
            tn_decref(v);
            return -1;
        }
        rc = tn_setitem(st, obj, key, v);
        tn_decref(obj);
        tn_decref(key);
        tn_decref(v);
        if (rc < 0)
            eval_record(st, f, target);
        return rc;
    }
    case AST_TUPLE:
    case AST_LIST:
        rc = unpack(st, f, target, v);
        tn_decref(v);
        return rc;
    case AST_STARRED:
        tn_decref(v);
        tn_raise(st, tn_SyntaxError, "starred assignment target must be in a list or tuple");
        return -1;
    default:
        tn_decref(v);
        tn_raise(st, tn_SyntaxError, "cannot assign to expression");
        return -1;
    }
}

static int delete_target(TnState *st, TnFrameInfo *f, TnAst *t)
{
    switch (t->kind) {
    case AST_NAME:
        return delete_name(st, f, t);
    case AST_ATTR: {
        TnValue obj = eval(st, f, t->a);
        if (IS_UNDEF(obj))
            return -1;
        int rc = tn_setattr(st, obj, t->cache, tn_undef());
        tn_decref(obj);
        return rc;
    }
    case AST_SUBSCRIPT: {
        TnValue obj = eval(st, f, t->a);
        if (IS_UNDEF(obj))
            return -1;
        TnValue key = eval_index(st, f, t->b);
        if (IS_UNDEF(key)) {
            tn_decref(obj);
            return -1;
        }
        int rc = tn_delitem(st, obj, key);
        tn_decref(obj);
        tn_decref(key);
        return rc;
    }
    case AST_TUPLE:
    case AST_LIST:
        for (int i = 0; i < t->items.n; i++)
            if (delete_target(st, f, t->items.items[i]) < 0)
                return -1;
        return 0;
    default:
        tn_raise(st, tn_SyntaxError, "cannot delete expression");
        return -1;
    }
}

static ExecStatus exec_augassign(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnAst *t = n->a;
    if (t->kind == AST_NAME && t->scope == SCOPE_LOCAL && f->slots[t->slot].tag == V_INT) {
        /* `i += 1` on an int local: the old value needs no release */
        TnValue b = int_leaf(f, n->b);
        bool done = false;
        TnValue r = b.tag == V_INT ? int_binop_fast(n->op, f->slots[t->slot].u.i, b.u.i, &done)
                                   : b;
        if (done) {
            f->slots[t->slot] = r;
            return EX_OK;
        }
    }
    if (t->kind == AST_NAME) {
        TnValue cur = load_name(st, f, t);
        if (IS_UNDEF(cur))
            return EX_ERROR;
        TnValue rhs = eval(st, f, n->b);
        if (IS_UNDEF(rhs)) {
            tn_decref(cur);
            return EX_ERROR;
        }
        TnValue r = binop(st, n->op, cur, rhs, true);
        tn_decref(cur);
        tn_decref(rhs);
        if (IS_UNDEF(r))
            return EX_ERROR;
        return store_name(st, f, t, r) < 0 ? EX_ERROR : EX_OK;
    }
    TnValue obj = eval(st, f, t->a);
    if (IS_UNDEF(obj))
        return EX_ERROR;
    TnValue key = tn_undef(), cur;
    if (t->kind == AST_ATTR) {
        cur = tn_getattr(st, obj, t->cache);
    } else if (t->kind == AST_SUBSCRIPT) {
        key = eval_index(st, f, t->b);
        cur = IS_UNDEF(key) ? key : tn_getitem(st, obj, key);
    } else {
        tn_decref(obj);
        tn_raise(st, tn_SyntaxError, "illegal expression for augmented assignment");
        return EX_ERROR;
    }
    ExecStatus s = EX_ERROR;
    if (!IS_UNDEF(cur)) {
        TnValue rhs = eval(st, f, n->b);
        if (!IS_UNDEF(rhs)) {
            TnValue r = binop(st, n->op, cur, rhs, true);
            tn_decref(rhs);
            if (!IS_UNDEF(r)) {
                int rc = t->kind == AST_ATTR ? tn_setattr(st, obj, t->cache, r)
                                             : tn_setitem(st, obj, key, r);
                tn_decref(r);
                s = rc < 0 ? EX_ERROR : EX_OK;
            }
        }
        tn_decref(cur);
    }
    tn_decref(key);
    tn_decref(obj);
    return s;
}

/* ------------------------------------------------------------ statements */

static ExecStatus exec_stmt(TnState *st, TnFrameInfo *f, TnAst *n);
static TnExecFn exec_choose(TnAst *n);

/* Runs statements through their handlers, chosen on first run like expressions'.
 * Inlined: blocks are short, and a call per block was a tenth of a function call. */
static inline __attribute__((always_inline)) ExecStatus exec_block(TnState *st, TnFrameInfo *f, TnNodeList *body)
{
    for (int i = 0; i < body->n; i++) {
        TnAst *n = body->items[i];
        if (TN_UNLIKELY(!n->run.ex))
            n->run.ex = exec_choose(n);
        int s = n->run.ex(st, f, n);
        if (s != EX_OK)
            return s;
    }
    return EX_OK;
}

static ExecStatus echo_value(TnState *st, TnValue v)
{
    if (IS_NONE(v))
        return EX_OK;
    TnValue r = tn_repr(st, v);
    if (IS_UNDEF(r))
        return EX_ERROR;
    fwrite(AS_STR(r)->data, 1, (size_t)AS_STR(r)->len, stdout);
    fputc('\n', stdout);
    tn_decref(r);
    if (dict_set_str(st, st->builtins, s_underscore, v) < 0)
        return EX_ERROR;
    return EX_OK;
}

static ExecStatus exec_while(TnState *st, TnFrameInfo *f, TnAst *n)
{
    for (;;) {
        if (POLL_INTERRUPT(st))
            return EX_ERROR;
        int t = condition(st, f, n->a);
        if (t < 0)
            return EX_ERROR;
        if (!t)
            break;
        ExecStatus s = exec_block(st, f, &n->body);
        if (s == EX_BREAK)
            return EX_OK;
        if (s == EX_RETURN || s == EX_ERROR)
            return s;
    }
    return exec_block(st, f, &n->orelse);
}

static ExecStatus exec_for(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue iterable = eval(st, f, n->b);
    if (IS_UNDEF(iterable))
        return EX_ERROR;
    TnValue it = tn_iter(st, iterable);
    tn_decref(iterable);
    if (IS_UNDEF(it))
        return EX_ERROR;
    ExecStatus s = EX_OK;
    bool range_fast = IS_TYPEOF(it, &tn_range_iter_type) && n->a->kind == AST_NAME &&
                      n->a->scope == SCOPE_LOCAL;
    for (;;) {
        if (POLL_INTERRUPT(st)) {
            s = EX_ERROR;
            break;
        }
        TnValue item;
        if (range_fast) {
            TnRangeIter *ri = (TnRangeIter *)AS_OBJ(it);
            if (ri->left <= 0)
                break;
            item = tn_int(ri->cur);
            ri->cur += ri->step;
            ri->left--;
            TnValue old = f->slots[n->a->slot];
            f->slots[n->a->slot] = item;
            tn_decref(old);
        } else {
            item = tn_next(st, it);
            if (IS_UNDEF(item)) {
                if (!IS_UNDEF(st->exc))
                    s = EX_ERROR;
                break;
            }
            if (assign(st, f, n->a, item) < 0) {
                s = EX_ERROR;
                break;
            }
        }
        s = exec_block(st, f, &n->body);
        if (s == EX_BREAK || s == EX_RETURN || s == EX_ERROR)
            break;
        s = EX_OK;
    }
    tn_decref(it);
    if (s == EX_BREAK)
        return EX_OK;
    if (s != EX_OK)
        return s;
    return exec_block(st, f, &n->orelse);
}

static ExecStatus exec_if(TnState *st, TnFrameInfo *f, TnAst *n)
{
    int t = condition(st, f, n->a);
    if (t < 0)
        return EX_ERROR;
    return exec_block(st, f, t ? &n->body : &n->orelse);
}

/* Does the pending exception match the handler's type expression? -1 on error. */
static int handler_matches(TnState *st, TnFrameInfo *f, TnAst *h, TnValue exc)
{
    if (!h->a)
        return 1;
    TnValue t = eval(st, f, h->a);
    if (IS_UNDEF(t))
        return -1;
    int m = 0;
    TnType *et = AS_OBJ(exc)->type;
    if (IS_TYPE(t)) {
        m = tn_isinstance_type(et, AS_TYPE(t));
    } else if (IS_TUPLE(t)) {
        for (int64_t i = 0; i < AS_TUPLE(t)->n; i++) {
            TnValue e = AS_TUPLE(t)->items[i];
            if (IS_TYPE(e) && tn_isinstance_type(et, AS_TYPE(e)))
                m = 1;
        }
    } else {
        tn_decref(t);
        tn_raise(st, tn_TypeError,
                 "catching classes that do not inherit from BaseException is not allowed");
        return -1;
    }
    tn_decref(t);
    return m;
}

static ExecStatus run_handler(TnState *st, TnFrameInfo *f, TnAst *h, TnValue exc)
{
    TnValue saved = st->handling;
    st->handling = exc; /* owns the reference for the handler's duration */
    ExecStatus s = EX_OK;
    TnAst name = binding_name(h);
    if (h->str && store_name(st, f, &name, tn_ref(exc)) < 0)
        s = EX_ERROR;
    if (s == EX_OK)
        s = exec_block(st, f, &h->body);
    if (h->str) {
        /* Python unbinds the `as` name after the handler */
        TnValue pending = tn_fetch_error(st);
        if (delete_name(st, f, &name) < 0)
            tn_clear_error(st);
        st->exc = pending;
    }
    st->handling = saved;
    tn_decref(exc);
    return s;
}

static ExecStatus exec_try(TnState *st, TnFrameInfo *f, TnAst *n)
{
    ExecStatus s = exec_block(st, f, &n->body);
    if (s == EX_ERROR && n->items.n > 0) {
        TnValue exc = tn_fetch_error(st);
        bool handled = false;
        for (int i = 0; i < n->items.n; i++) {
            TnAst *h = n->items.items[i];
            int m = handler_matches(st, f, h, exc);
            if (m < 0) {
                tn_decref(exc);
                exc = tn_undef();
                s = EX_ERROR;
                handled = true;
                break;
            }
            if (m) {
                f->tb_recorded = false;
                s = run_handler(st, f, h, exc);
                exc = tn_undef();
                handled = true;
                break;
            }
        }
        if (!handled)
            st->exc = exc;
    } else if (s == EX_OK) {
        s = exec_block(st, f, &n->orelse);
    }
    if (n->finalbody.n > 0) {
        TnValue pending = tn_fetch_error(st);
        TnValue retval = s == EX_RETURN ? f->retval : tn_undef();
        bool recorded = f->tb_recorded;
        f->tb_recorded = false;
        /* a pending exception is the one being handled while finally runs: it becomes
         * the __context__ of what the finally block raises, as in Python */
        TnValue saved_handling = st->handling;
        if (!IS_UNDEF(pending))
            st->handling = pending;
        ExecStatus fs = exec_block(st, f, &n->finalbody);
        st->handling = saved_handling;
        if (fs != EX_OK) {
            /* break/continue/return/raise in finally wins over what was pending */
            tn_decref(pending);
            if (s == EX_RETURN && fs != EX_RETURN)
                tn_decref(retval);
            if (s == EX_RETURN && fs == EX_RETURN)
                tn_decref(retval);
            return fs;
        }
        f->tb_recorded = recorded;
        st->exc = pending;
        if (s == EX_RETURN)
            f->retval = retval;
    }
    return s;
}

/* The cause of `raise E from C`: None, an exception, or an exception class (which is
 * called). Consumes c; UNDEF with TypeError for anything else. */
static TnValue exception_instance(TnState *st, TnValue c)
{
    if (IS_TYPE(c) && tn_isinstance_type(AS_TYPE(c), tn_BaseException)) {
        TnValue inst = tn_call(st, c, NULL, 0, NULL, 0);
        tn_decref(c);
        c = inst;
        if (IS_UNDEF(c))
            return c;
    }
    if (IS_NONE(c) || exc_is_exception_value(c))
        return c;
    tn_decref(c);
    return tn_raise(st, tn_TypeError, "exception causes must derive from BaseException");
}

static ExecStatus exec_raise(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (!n->a) {
        if (IS_UNDEF(st->handling)) {
            tn_raise(st, tn_RuntimeError, "No active exception to reraise");
            return EX_ERROR;
        }
        tn_raise_value(st, tn_ref(st->handling));
        f->tb_recorded = true; /* keep the original traceback */
        return EX_ERROR;
    }
    TnValue e = eval(st, f, n->a);
    if (IS_UNDEF(e))
        return EX_ERROR;
    TnValue cause = tn_undef();
    if (n->b) {
        cause = eval(st, f, n->b);
        if (!IS_UNDEF(cause))
            cause = exception_instance(st, cause);
        if (IS_UNDEF(cause)) {
            tn_decref(e);
            return EX_ERROR;
        }
    }
    tn_raise_value(st, e);
    if (!IS_UNDEF(cause)) {
        if (exc_is_exception_value(st->exc)) {
            TnException *x = (TnException *)AS_OBJ(st->exc);
            tn_decref(x->cause);
            x->cause = cause;
            x->suppress_context = true;
        } else {
            tn_decref(cause);
        }
    }
    if (!IS_UNDEF(st->handling) && exc_is_exception_value(st->exc)) {
        TnException *x = (TnException *)AS_OBJ(st->exc);
        if (IS_UNDEF(x->context) && x != (TnException *)AS_OBJ(st->handling))
            x->context = tn_ref(st->handling);
    }
    return EX_ERROR;
}

static ExecStatus exec_with(TnState *st, TnFrameInfo *f, TnAst *n, int item)
{
    if (item == n->items.n)
        return exec_block(st, f, &n->body);
    TnAst *wi = n->items.items[item];
    TnValue mgr = eval(st, f, wi->a);
    if (IS_UNDEF(mgr))
        return EX_ERROR;
    /* Python 3.11 looks up __enter__ then __exit__ before calling either; only a missing
     * attribute becomes its TypeError, MemoryError and the rest pass */
    TnValue enterfn = tn_getattr(st, mgr, s_enter);
    TnValue exitfn = IS_UNDEF(enterfn) ? tn_undef() : tn_getattr(st, mgr, s_exit);
    if (IS_UNDEF(exitfn)) {
        if (tn_error_matches(st, tn_AttributeError)) {
            tn_clear_error(st);
            tn_raise(st, tn_TypeError, "'%s' object does not support the context manager protocol%s",
                     tn_type_name(mgr), IS_UNDEF(enterfn) ? "" : " (missed __exit__ method)");
        }
        tn_decref(enterfn);
        tn_decref(mgr);
        return EX_ERROR;
    }
    tn_decref(mgr);
    TnValue entered = tn_call(st, enterfn, NULL, 0, NULL, 0);
    tn_decref(enterfn);
    if (IS_UNDEF(entered)) {
        tn_decref(exitfn);
        return EX_ERROR;
    }
    ExecStatus s;
    if (wi->b) {
        s = assign(st, f, wi->b, entered) < 0 ? EX_ERROR : EX_OK;
    } else {
        tn_decref(entered);
        s = EX_OK;
    }
    if (s == EX_OK)
        s = exec_with(st, f, n, item + 1);
    TnValue args[3] = {tn_none(), tn_none(), tn_none()};
    TnValue exc = tn_undef();
    if (s == EX_ERROR) {
        exc = tn_fetch_error(st);
        args[0] = tn_obj(AS_OBJ(exc)->type);
        args[1] = exc;
    }
    TnValue r = tn_call(st, exitfn, args, 3, NULL, 0);
    tn_decref(exitfn);
    if (IS_UNDEF(r)) {
        tn_decref(exc);
        if (s == EX_RETURN) { /* __exit__ failed: the value being returned is dropped */
            tn_decref(f->retval);
            f->retval = tn_undef();
        }
        return EX_ERROR;
    }
    int suppress = IS_UNDEF(exc) ? 0 : tn_truthy(st, r);
    tn_decref(r);
    if (suppress < 0) {
        tn_decref(exc);
        return EX_ERROR;
    }
    if (!IS_UNDEF(exc)) {
        if (suppress) {
            tn_decref(exc);
            return EX_OK;
        }
        st->exc = exc;
        return EX_ERROR;
    }
    return s;
}

static ExecStatus exec_assert(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue c = eval(st, f, n->a);
    if (IS_UNDEF(c))
        return EX_ERROR;
    int t = tn_truthy(st, c);
    tn_decref(c);
    if (t < 0)
        return EX_ERROR;
    if (t)
        return EX_OK;
    TnValue msg = tn_undef();
    if (n->b) {
        msg = eval(st, f, n->b);
        if (IS_UNDEF(msg))
            return EX_ERROR;
    }
    TnValue e = exc_new(st, tn_AssertionError, msg);
    tn_decref(msg);
    if (IS_UNDEF(e))
        return EX_ERROR;
    tn_raise_value(st, e);
    return EX_ERROR;
}

static ExecStatus exec_import(TnState *st, TnFrameInfo *f, TnAst *n)
{
    for (int i = 0; i < n->items.n; i++) {
        TnAst *alias = n->items.items[i];
        TnValue mod;
        if (alias->str2) {
            mod = import_module(st, alias->str, f);
        } else {
            /* `import a.b` imports a.b but binds `a` */
            char first[256];
            const char *dot = strchr(alias->str, '.');
            size_t len = dot ? (size_t)(dot - alias->str) : strlen(alias->str);
            if (len >= sizeof first)
                len = sizeof first - 1;
            memcpy(first, alias->str, len);
            first[len] = 0;
            if (dot) {
                TnValue sub = import_module(st, alias->str, f);
                if (IS_UNDEF(sub))
                    return EX_ERROR;
                tn_decref(sub);
            }
            mod = import_module(st, first, f);
        }
        if (IS_UNDEF(mod))
            return EX_ERROR;
        TnAst target = binding_name(alias);
        int rc = store_name(st, f, &target, mod);
        if (rc < 0)
            return EX_ERROR;
    }
    return EX_OK;
}

static ExecStatus exec_importfrom(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue mod = import_module(st, n->str, f);
    if (IS_UNDEF(mod))
        return EX_ERROR;
    TnDict *d = f->locals_dict ? f->locals_dict : f->globals;
    ExecStatus s = EX_OK;
    if (n->op == 1) {
        TnDict *src = IS_TYPEOF(mod, &tn_namespace_type) ? ns_dict(mod) : NULL;
        int64_t pos = 0;
        TnValue k, v;
        while (src && dict_next(src, &pos, &k, &v)) {
            if (IS_STR(k) && AS_STR(k)->data[0] != '_' && dict_set(st, d, k, v) < 0) {
                s = EX_ERROR;
                break;
            }
        }
    } else {
        for (int i = 0; i < n->items.n && s == EX_OK; i++) {
            TnAst *alias = n->items.items[i];
            TnStr *name = str_intern(alias->str);
            TnValue v = tn_getattr_opt(st, mod, name);
            if (IS_UNDEF(v)) {
                if (IS_UNDEF(st->exc)) {
                    /* maybe a submodule: from torch import nn */
                    char dotted[512];
                    snprintf(dotted, sizeof dotted, "%s.%s", n->str, alias->str);
                    v = import_module(st, dotted, f);
                    if (IS_UNDEF(v) && tn_error_matches(st, tn_ImportError)) {
                        tn_clear_error(st);
                        tn_raise(st, tn_ImportError, "cannot import name '%s' from '%s'",
                                 alias->str, n->str);
                    }
                }
                if (IS_UNDEF(v)) {
                    s = EX_ERROR;
                    break;
                }
            }
            TnAst target = binding_name(alias);
            if (store_name(st, f, &target, v) < 0)
                s = EX_ERROR;
        }
    }
    tn_decref(mod);
    return s;
}

static ExecStatus exec_def(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue fn = make_function(st, f, n);
    if (IS_UNDEF(fn))
        return EX_ERROR;
    fn = apply_decorators(st, f, &n->items, fn);
    if (IS_UNDEF(fn))
        return EX_ERROR;
    TnAst target = binding_name(n);
    return store_name(st, f, &target, fn) < 0 ? EX_ERROR : EX_OK;
}

static ExecStatus exec_stmt(TnState *st, TnFrameInfo *f, TnAst *n)
{
    ExecStatus s;
    switch ((TnAstKind)n->kind) {
    case AST_EXPR: {
        TnValue v = eval(st, f, n->a);
        if (IS_UNDEF(v)) {
            s = EX_ERROR;
            break;
        }
        s = f->echo ? echo_value(st, v) : EX_OK;
        tn_decref(v);
        break;
    }
    case AST_ASSIGN: {
        TnValue v = eval(st, f, n->a);
        if (IS_UNDEF(v)) {
            s = EX_ERROR;
            break;
        }
        TnAst *t = n->items.items[0];
        if (n->items.n == 1 && t->kind == AST_NAME && t->scope == SCOPE_LOCAL) {
            /* `x = expr` into a local: the common case, without assign()'s dispatch */
            TnValue old = f->slots[t->slot];
            f->slots[t->slot] = v;
            tn_decref(old);
            return EX_OK;
        }
        s = EX_OK;
        for (int i = 0; i < n->items.n; i++) {
            tn_incref(v);
            if (assign(st, f, n->items.items[i], v) < 0) {
                s = EX_ERROR;
                break;
            }
        }
        tn_decref(v);
        break;
    }
    case AST_AUGASSIGN:
        s = exec_augassign(st, f, n);
        break;
    case AST_PASS:
    case AST_GLOBAL:
    case AST_NONLOCAL:
        return EX_OK;
    case AST_BREAK:
        return EX_BREAK;
    case AST_CONTINUE:
        return EX_CONTINUE;
    case AST_RETURN:
        if (n->a) {
            TnValue v = eval(st, f, n->a);
            if (IS_UNDEF(v)) {
                s = EX_ERROR;
                break;
            }
            f->retval = v;
        } else {
            f->retval = tn_none();
        }
        return EX_RETURN;
    case AST_DEL:
        s = EX_OK;
        for (int i = 0; i < n->items.n && s == EX_OK; i++)
            if (delete_target(st, f, n->items.items[i]) < 0)
                s = EX_ERROR;
        break;
    case AST_IF:
        return exec_if(st, f, n);
    case AST_WHILE:
        return exec_while(st, f, n);
    case AST_FOR:
        s = exec_for(st, f, n);
        break;
    case AST_DEF:
        s = exec_def(st, f, n);
        break;
    case AST_CLASS:
        s = exec_class(st, f, n);
        break;
    case AST_TRY:
        return exec_try(st, f, n);
    case AST_WITH:
        s = exec_with(st, f, n, 0);
        break;
    case AST_RAISE:
        s = exec_raise(st, f, n);
        break;
    case AST_ASSERT:
        s = exec_assert(st, f, n);
        break;
    case AST_IMPORT:
        s = exec_import(st, f, n);
        break;
    case AST_IMPORTFROM:
        s = exec_importfrom(st, f, n);
        break;
    default:
        tn_raise(st, tn_SyntaxError, "unsupported statement (node kind %d)", n->kind);
        s = EX_ERROR;
        break;
    }
    if (s == EX_ERROR)
        eval_record(st, f, n);
    return s;
}

/* ------------------------------------------------- statement handlers */

/* The common statements get handlers without exec_stmt's dispatch; each records
 * the traceback line on error where exec_stmt would. */

static int exec_assign_local(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue v = eval(st, f, n->a);
    if (IS_UNDEF(v)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    TnValue *slot = &f->slots[n->items.items[0]->slot];
    TnValue old = *slot;
    *slot = v;
    tn_decref(old);
    return EX_OK;
}

static int exec_augassign_stmt(TnState *st, TnFrameInfo *f, TnAst *n);

/* `o.x = expr`: the value first, then the object, as Python evaluates them. */
static int exec_assign_attr(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnAst *t = n->items.items[0];
    TnValue v = eval(st, f, n->a);
    if (IS_UNDEF(v)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    TnValue obj = eval(st, f, t->a);
    if (IS_UNDEF(obj)) {
        tn_decref(v);
        eval_record(st, f, n);
        return EX_ERROR;
    }
    int rc = attr_cache_set(t, obj, v) ? 0 : tn_setattr(st, obj, t->cache, v);
    tn_decref(obj);
    tn_decref(v);
    if (rc < 0) {
        eval_record(st, f, t);
        return EX_ERROR;
    }
    return EX_OK;
}

/* `x op= expr` on a local, the general case: the in-place operator. */
static __attribute__((noinline)) int exec_augassign_local_slow(TnState *st, TnFrameInfo *f,
                                                               TnAst *n)
{
    TnValue *slot = &f->slots[n->a->slot];
    TnValue cur = *slot;
    if (TN_UNLIKELY(IS_UNDEF(cur)))
        return exec_augassign_stmt(st, f, n); /* raises UnboundLocalError */
    /* the right side cannot rebind the local (a nested function's write would make it
     * a cell), so cur stays owned by the slot while it runs */
    TnValue rhs = eval(st, f, n->b);
    if (IS_UNDEF(rhs)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    TnValue r;
    if (cur.tag == V_INT && rhs.tag == V_INT) {
        bool done;
        r = int_binop_fast(n->op, cur.u.i, rhs.u.i, &done);
        if (done) {
            *slot = r;
            return EX_OK;
        }
    }
    r = binop(st, n->op, cur, rhs, true);
    tn_decref(rhs);
    if (IS_UNDEF(r)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    *slot = r;
    tn_decref(cur);
    return EX_OK;
}

/* `x op= expr` on a local: `i += 1` on an int in place, without a call for the 1 or a
 * stack frame; everything else in exec_augassign_local_slow. */
static int exec_augassign_local(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue *slot = &f->slots[n->a->slot];
    TnValue leaf = int_leaf(f, n->b);
    if (slot->tag == V_INT && leaf.tag == V_INT) {
        bool done;
        TnValue r = int_binop_fast(n->op, slot->u.i, leaf.u.i, &done);
        if (done) {
            *slot = r;
            return EX_OK;
        }
    }
    return exec_augassign_local_slow(st, f, n);
}

static int exec_expr(TnState *st, TnFrameInfo *f, TnAst *n)
{
    TnValue v = eval(st, f, n->a);
    if (IS_UNDEF(v)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    ExecStatus s = f->echo ? echo_value(st, v) : EX_OK;
    tn_decref(v);
    if (s == EX_ERROR)
        eval_record(st, f, n);
    return s;
}

static int exec_return(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (!n->a) {
        f->retval = tn_none();
        return EX_RETURN;
    }
    TnValue v = eval(st, f, n->a);
    if (IS_UNDEF(v)) {
        eval_record(st, f, n);
        return EX_ERROR;
    }
    f->retval = v;
    return EX_RETURN;
}

static int exec_augassign_stmt(TnState *st, TnFrameInfo *f, TnAst *n)
{
    ExecStatus s = exec_augassign(st, f, n);
    if (s == EX_ERROR)
        eval_record(st, f, n);
    return s;
}

static int exec_if_stmt(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return exec_if(st, f, n);
}

static int exec_while_stmt(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return exec_while(st, f, n);
}

static int exec_pass(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return EX_OK;
}

static int exec_any(TnState *st, TnFrameInfo *f, TnAst *n)
{
    return exec_stmt(st, f, n);
}

static TnExecFn exec_choose(TnAst *n)
{
    switch ((TnAstKind)n->kind) {
    case AST_ASSIGN: {
        TnAst *t = n->items.items[0];
        if (n->items.n == 1 && t->kind == AST_NAME && t->scope == SCOPE_LOCAL)
            return exec_assign_local;
        if (n->items.n == 1 && t->kind == AST_ATTR)
            return exec_assign_attr;
        return exec_any;
    }
    case AST_EXPR:
        return exec_expr;
    case AST_RETURN:
        return exec_return;
    case AST_AUGASSIGN:
        if (n->a->kind == AST_NAME && n->a->scope == SCOPE_LOCAL)
            return exec_augassign_local;
        return exec_augassign_stmt;
    case AST_IF:
        return exec_if_stmt;
    case AST_WHILE:
        return exec_while_stmt;
    case AST_PASS:
        return exec_pass;
    default:
        return exec_any;
    }
}

/* ---------------------------------------------------------- entry points */

int tn_exit_status;

static void report_syntax(TnArena *arena, TnParseError *err)
{
    fflush(stdout);
    int len = 0;
    const char *line = arena_source_line(arena, err->line, &len);
    fprintf(stderr, "  File \"%s\", line %d\n", arena->filename, err->line);
    if (line && len > 0) {
        int skip = 0;
        while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
            skip++;
        fprintf(stderr, "    %.*s\n", len - skip, line + skip);
        int col = err->col - 1 - skip;
        if (col >= 0)
            fprintf(stderr, "    %*s^\n", col, "");
    }
    fprintf(stderr, "%s: %s\n", err->type ? err->type : "SyntaxError", err->msg);
    fflush(stderr);
}

TnRunResult tn_check_source(TnState *st, const char *src, size_t len, const char *filename,
                            bool report_errors)
{
    TnArena *arena = arena_new(src, len, filename);
    if (!arena)
        return TN_RUN_SYNTAX;
    TnParseError err = {0};
    TnAst *mod = tn_parse(arena, &err);
    TnRunResult r = TN_RUN_OK;
    if (!mod) {
        r = err.incomplete ? TN_RUN_INCOMPLETE : TN_RUN_SYNTAX;
        if (r == TN_RUN_SYNTAX && report_errors)
            report_syntax(arena, &err);
    }
    arena_decref(arena);
    return r;
}

void tn_report_error(TnState *st)
{
    TnValue e = tn_fetch_error(st);
    if (IS_UNDEF(e))
        return;
    exc_print(st, e);
    tn_decref(e);
}

/* SystemExit ends the run with its code; anything else is reported. */
static TnRunResult finish_error(TnState *st)
{
    if (tn_error_matches(st, tn_SystemExit)) {
        TnValue e = tn_fetch_error(st);
        TnTuple *args = AS_TUPLE(((TnException *)AS_OBJ(e))->args);
        tn_exit_status = 0;
        if (args->n > 0) {
            TnValue code = args->items[0];
            if (IS_INTLIKE(code)) {
                tn_exit_status = (int)AS_INT(code);
            } else if (!IS_NONE(code)) {
                TnValue s = tn_to_str(st, code);
                if (!IS_UNDEF(s)) {
                    fflush(stdout);
                    fprintf(stderr, "%s\n", AS_STR(s)->data);
                    tn_decref(s);
                }
                tn_clear_error(st);
                tn_exit_status = 1;
            }
        }
        tn_decref(e);
        return TN_RUN_EXIT;
    }
    tn_report_error(st);
    return TN_RUN_ERROR;
}

/* Runs a parsed module body in a frame of its own slots over `globals`. */
static TnRunResult run_module(TnState *st, TnArena *arena, TnAst *mod, TnDict *globals,
                              bool echo)
{
    TnScope *sc = mod->scope_info;
    int nslots = sc->nslots;
    TnValue *slots = tn_calloc((size_t)(nslots ? nslots : 1), sizeof(TnValue));
    if (!slots) {
        tn_no_memory(st);
        return finish_error(st);
    }
    for (int i = 0; i < sc->ncells; i++) {
        TnValue c = cell_new(st, tn_undef());
        if (IS_UNDEF(c)) {
            tn_free(slots);
            return finish_error(st);
        }
        slots[sc->cell_slots[i]] = c;
    }
    TnFrameInfo f = {.prev = st->frame,
                     .slots = slots,
                     .globals = globals,
                     .arena = arena,
                     .name = "<module>",
                     .retval = tn_undef(),
                     .echo = echo};
    TnFrameInfo *saved = st->frame;
    st->frame = &f;
    TnRunResult r = TN_RUN_OK;
    for (int i = 0; i < mod->body.n; i++) {
        f.tb_recorded = false;
        ExecStatus s = exec_stmt(st, &f, mod->body.items[i]);
        if (s != EX_ERROR && POLL_INTERRUPT(st)) {
            /* a Ctrl-C that came while a C loop ran unpolled is raised here, not lost */
            eval_record(st, &f, mod->body.items[i]);
            s = EX_ERROR;
        }
        if (s == EX_ERROR) {
            r = finish_error(st);
            break;
        }
        if (s == EX_BREAK || s == EX_CONTINUE || s == EX_RETURN) {
            tn_decref(f.retval);
            f.retval = tn_undef();
        }
    }
    st->frame = saved;
    for (int i = 0; i < nslots; i++)
        tn_decref(slots[i]);
    tn_free(slots);
    return r;
}

TnRunResult tn_run_source(TnState *st, const char *src, size_t len, const char *filename,
                          TnDict *globals, bool echo, bool report_incomplete)
{
    TnArena *arena = arena_new(src, len, filename);
    if (!arena) {
        tn_no_memory(st);
        return finish_error(st);
    }
    TnParseError err = {0};
    TnAst *mod = tn_parse(arena, &err);
    if (!mod) {
        TnRunResult r = TN_RUN_SYNTAX;
        if (err.incomplete && report_incomplete)
            r = TN_RUN_INCOMPLETE;
        else
            report_syntax(arena, &err);
        arena_decref(arena);
        return r;
    }
    if (tn_resolve(st, arena, mod) < 0) {
        arena_decref(arena);
        return finish_error(st);
    }
    TnRunResult r = run_module(st, arena, mod, globals, echo);
    arena_decref(arena);
    fflush(stdout);
    return r;
}

/* Runs a module file's source for import: errors stay pending (not reported). */
int eval_run_module_source(TnState *st, const char *src, size_t len, const char *filename,
                           TnDict *globals)
{
    TnArena *arena = arena_new(src, len, filename);
    if (!arena) {
        tn_no_memory(st);
        return -1;
    }
    TnParseError err = {0};
    TnAst *mod = tn_parse(arena, &err);
    if (!mod) {
        TnType *type = !err.type || !strcmp(err.type, "SyntaxError") ? tn_SyntaxError
                       : !strcmp(err.type, "TabError")                 ? tn_TabError
                                                                       : tn_IndentationError;
        tn_raise(st, type, "%s (%s, line %d)", err.msg, filename, err.line);
        arena_decref(arena);
        return -1;
    }
    int rc = -1;
    if (tn_resolve(st, arena, mod) == 0) {
        TnScope *sc = mod->scope_info;
        TnValue *slots = tn_calloc((size_t)(sc->nslots ? sc->nslots : 1), sizeof(TnValue));
        if (!slots) {
            tn_no_memory(st);
        } else {
            TnFrameInfo f = {.prev = st->frame,
                             .slots = slots,
                             .globals = globals,
                             .arena = arena,
                             .name = "<module>",
                             .retval = tn_undef()};
            bool ok = true;
            for (int i = 0; i < sc->ncells && ok; i++) {
                slots[sc->cell_slots[i]] = cell_new(st, tn_undef());
                ok = !IS_UNDEF(slots[sc->cell_slots[i]]);
            }
            TnFrameInfo *saved = st->frame;
            st->frame = &f;
            rc = ok && exec_block(st, &f, &mod->body) != EX_ERROR ? 0 : -1;
            st->frame = saved;
            for (int i = 0; i < sc->nslots; i++)
                tn_decref(slots[i]);
            tn_free(slots);
        }
    }
    arena_decref(arena);
    return rc;
}

void eval_names_init(void)
{
    s_enter = str_intern("__enter__");
    s_exit = str_intern("__exit__");
    s_underscore = str_intern("_");
    s_name = str_intern("__name__");
    s_doc = str_intern("__doc__");
    s_module = str_intern("__module__");
    s_qualname = str_intern("__qualname__");
    s_super = str_intern("super");
    stack_init();
}
