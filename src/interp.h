/* interp.h: the evaluator's own objects — functions, cells, bound methods, frames, classes. */
#ifndef TN_INTERP_H
#define TN_INTERP_H

#include "ast.h"
#include "eval.h"
#include "object.h"
#include "resolve.h"

/* A closure cell: a variable shared between a frame and the functions defined in it. */
typedef struct TnCell {
    TN_OBJECT_HEAD;
    TnValue v; /* UNDEF while unbound */
} TnCell;

/* A user function (def or lambda). Code (AST + scope) is shared by all closures
 * created from the same definition; the arena stays alive while any exists. */
typedef struct TnFunction {
    TN_OBJECT_HEAD;
    TnAst *node;        /* AST_DEF or AST_LAMBDA */
    TnScope *scope;
    TnArena *arena;
    TnStr *name;
    TnStr *qualname;
    TnValue *defaults;  /* one per parameter slot (npos + nkwonly), UNDEF = required */
    TnCell **closure;   /* scope->nfree cells */
    TnDict *globals;
    TnValue doc;
    TnDict *dict;       /* function attributes, created on demand */
    TnType *owner;      /* class whose body defined it, for super(), or NULL */
} TnFunction;

typedef struct TnMethod {
    TN_OBJECT_HEAD;
    TnValue func, self;
} TnMethod;

/* property / staticmethod / classmethod */
typedef struct TnProperty {
    TN_OBJECT_HEAD;
    TnValue fget, fset, fdel, doc;
    TnStr *name; /* the class attribute it was defined as (interned), or NULL */
} TnProperty;

typedef struct TnWrapper {
    TN_OBJECT_HEAD;
    TnValue func;
} TnWrapper;

typedef struct TnSuper {
    TN_OBJECT_HEAD;
    TnType *cls;   /* lookups start after this class */
    TnValue self;
} TnSuper;

extern TnType tn_function_type, tn_method_type, tn_cell_type, tn_property_type,
    tn_staticmethod_type, tn_classmethod_type, tn_super_type;

#define IS_FUNCTION(v) IS_TYPEOF(v, &tn_function_type)
#define AS_FUNCTION(v) ((TnFunction *)AS_OBJ(v))

/* One active execution of a function, module or class body. */
struct TnFrameInfo {
    TnFrameInfo *prev;
    TnValue *slots;
    TnFunction *func;     /* NULL for module and class bodies */
    TnDict *globals;
    TnDict *locals_dict;  /* class body namespace, else NULL */
    TnArena *arena;
    const char *name;     /* "<module>", function name */
    TnValue retval;
    bool tb_recorded;     /* this frame already added its traceback record */
    bool echo;            /* echo expression statements (REPL top level) */
};

/* func.c */
TN_MUST_CHECK TnValue cell_new(TnState *st, TnValue v); /* increfs v */
TN_MUST_CHECK TnValue method_new(TnState *st, TnValue func, TnValue self);
TN_MUST_CHECK TnValue function_call(TnState *st, TnFunction *fn, TnValue self,
                                    const TnValue *args, int nargs, TnStr *const *kwnames,
                                    int nkw);
TN_MUST_CHECK int func_types_init(TnState *st);
/* Runs fn over a frame whose parameter slots are bound; consumes the slots' refs. */
TN_MUST_CHECK TnValue function_run(TnState *st, TnFunction *fn, TnValue *slots);

/* class.c */
/* Builds a class from its namespace (runs no code). New reference. */
TN_MUST_CHECK TnValue class_new(TnState *st, TnStr *name, TnType *base, TnDict *ns);
TN_MUST_CHECK TnValue super_new(TnState *st, TnType *cls, TnValue self);

/* eval.c */
/* Records a traceback entry for the node in the frame (once per frame). */
void eval_record(TnState *st, TnFrameInfo *f, TnAst *at);
TN_MUST_CHECK int eval_check_stack(TnState *st);
extern char *tn_stack_base;
extern size_t tn_stack_limit;
/* true while the C stack has room (the limit leaves a margin for natives) */
static inline bool eval_stack_ok(void)
{
    char here;
    return !tn_stack_base || (size_t)(tn_stack_base - &here) <= tn_stack_limit;
}

/* import.c */
TN_MUST_CHECK TnValue import_module(TnState *st, const char *dotted, TnFrameInfo *f);
TN_MUST_CHECK int import_init(TnState *st);

#endif
