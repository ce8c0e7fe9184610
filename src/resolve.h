/* resolve.h: name resolution — every name in a chunk mapped to a frame slot, a cell or a global. */
#ifndef TN_RESOLVE_H
#define TN_RESOLVE_H

#include "ast.h"
#include "object.h"

typedef enum { SK_MODULE, SK_FUNCTION, SK_CLASS, SK_COMPREHENSION } TnScopeType;

/* What a function/module/class body needs to set up its frame. Lives in the arena. */
struct TnScope {
    TnScopeType type;
    TnScope *parent;
    TnAst *node;    /* AST_DEF / AST_LAMBDA / AST_CLASS / AST_MODULE / comprehension */
    int nslots;     /* frame size (includes slots of inline comprehensions) */
    /* parameters (functions only): slots 0..nparams-1 in the order
     * [positional..., keyword-only..., *args, **kwargs] */
    int npos;       /* positional-or-keyword parameters */
    int nkwonly;
    int varargs_slot; /* -1 if none */
    int varkw_slot;   /* -1 if none */
    TnStr **param_names; /* nparams entries (interned) */
    int nparams;
    /* slots that hold cells: created fresh at frame entry (ncellinit: after binding
     * parameters, their values move into the cell) */
    int *cell_slots;
    int ncells;
    /* free variables: slot in this frame <- closure[i]; closure built at definition
     * time from the defining frame's slot free_parent_slots[i] */
    int *free_slots;
    int *free_parent_slots;
    int nfree;
    /* internal symbol table */
    struct TnSym **syms;
    int nsyms, capsyms;
    TnScope *host; /* comprehensions: the scope whose frame holds their slots */
    int nglobals_decl;
    const char *name;
    TnStr *qualname; /* Python's __qualname__ (3.11): "f.<locals>.g", "C.m", "<listcomp>.<lambda>" */
};

/* Annotates every AST_NAME under `module` and builds the TnScope of each scope
 * (module->scope_info for the module itself). Interns all names and attribute
 * names into node->cache. Raises SyntaxError (nonlocal at module level, name
 * assigned before global declaration, ...) or RecursionError for absurdly deep
 * trees; returns -1 then. */
TN_MUST_CHECK int tn_resolve(TnState *st, TnArena *arena, TnAst *module);

/* locals() of a function frame: a new dict of its bound names (or UNDEF + error). */
TN_MUST_CHECK TnValue resolve_frame_locals(TnState *st, TnScope *sc, const TnValue *slots);

#endif
