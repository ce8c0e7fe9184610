/* ast.h: the syntax tree the parser builds and the resolver annotates.
 *
 * All nodes, lists and strings of one parsed chunk live in one arena (TnArena),
 * together with a copy of the source text, so tracebacks can print source lines
 * for as long as any function defined in the chunk lives. The arena is
 * reference counted by the function objects that point into it.
 *
 * One node struct serves every kind; the table below says which fields a kind
 * uses. Unused fields are NULL/0. Lines and columns are 1-based; the column is
 * in code points... (bytes are fine for ASCII source; see parse.c).
 */
#ifndef TN_AST_H
#define TN_AST_H

#include "ops.h"
#include <stddef.h>
#include <stdint.h>

typedef struct TnAst TnAst;
typedef struct TnScope TnScope; /* resolve.c */

typedef struct TnNodeList {
    TnAst **items;
    int n, cap;
} TnNodeList;

/* A chunk's memory: bump allocation in blocks; freed all at once. */
typedef struct TnArena {
    int64_t refcnt;
    struct TnArenaBlock *blocks;
    char *source;   /* NUL-terminated copy of the source text */
    size_t source_len;
    char *filename; /* "<stdin>", "file.tn", "<string>" */
} TnArena;

TnArena *arena_new(const char *source, size_t len, const char *filename); /* NULL on OOM */
void *arena_alloc(TnArena *a, size_t n);      /* zeroed; NULL on OOM */
char *arena_strndup(TnArena *a, const char *s, size_t n);
void arena_incref(TnArena *a);
void arena_decref(TnArena *a);
int nodelist_push(TnArena *a, TnNodeList *l, TnAst *node); /* 0 ok, -1 OOM */
/* The text of source line `line` (1-based) without its newline; *len gets its length. */
const char *arena_source_line(TnArena *a, int line, int *len);

typedef enum {
    /* ---- expressions ---- */
    AST_INT,       /* ival */
    AST_FLOAT,     /* fval */
    AST_STR,       /* str, slen (decoded UTF-8; may contain NULs) */
    AST_FSTRING,   /* items: AST_STR and AST_FVALUE parts */
    AST_FVALUE,    /* a: expression; op: conversion 0/'r'/'s'/'a'; b: spec (AST_FSTRING) or NULL */
    AST_NONE,
    AST_TRUE,
    AST_FALSE,
    AST_ELLIPSIS,
    AST_NAME,      /* str: name; resolver sets scope + slot */
    AST_ATTR,      /* a: object; str: attribute name */
    AST_SUBSCRIPT, /* a: object; b: index (AST_SLICE, AST_TUPLE, any expression) */
    AST_SLICE,     /* a: lower, b: upper, c: step (each may be NULL) */
    AST_CALL,      /* a: callee; items: args (expr, AST_STARRED, AST_KEYWORD, AST_DSTAR) */
    AST_KEYWORD,   /* str: keyword name; a: value */
    AST_DSTAR,     /* a: mapping (**m in calls and dict displays) */
    AST_STARRED,   /* a: expression (*x in calls, displays, assignment targets) */
    AST_BINOP,     /* op: TnBinOp; a, b */
    AST_UNARY,     /* op: TnUnOp (UOP_NOT included); a */
    AST_AND,       /* a and b */
    AST_OR,        /* a or b */
    AST_COMPARE,   /* items: n+1 operands; cmpops: n TnCmpOp codes */
    AST_IFEXP,     /* a: condition; b: value if true; c: value if false */
    AST_LAMBDA,    /* params: AST_PARAM list; a: body expression */
    AST_TUPLE,     /* items */
    AST_LIST,      /* items */
    AST_SET,       /* items */
    AST_DICT,      /* items: key, value pairs in order; a `**m` entry is AST_DSTAR, NULL */
    AST_LISTCOMP,  /* a: element; items: AST_COMPFOR clauses */
    AST_SETCOMP,   /* a: element; items: AST_COMPFOR clauses */
    AST_GENEXP,    /* a: element; items: AST_COMPFOR clauses */
    AST_DICTCOMP,  /* a: key; b: value; items: AST_COMPFOR clauses */
    AST_COMPFOR,   /* a: target; b: iterable; items: conditions (the `if`s after it) */
    /* ---- statements ---- */
    AST_MODULE,    /* body */
    AST_EXPR,      /* a */
    AST_ASSIGN,    /* items: targets (a = b = value); a: value */
    AST_AUGASSIGN, /* op: TnBinOp; a: target; b: value */
    AST_PASS,
    AST_BREAK,
    AST_CONTINUE,
    AST_DEL,       /* items: targets */
    AST_RETURN,    /* a: value or NULL */
    AST_IF,        /* a: condition; body; orelse (elif is an AST_IF alone in orelse) */
    AST_WHILE,     /* a: condition; body; orelse */
    AST_FOR,       /* a: target; b: iterable; body; orelse */
    AST_DEF,       /* str: name; params; body; items: decorators (outermost first);
                      docstring is the first body statement as usual */
    AST_PARAM,     /* str: name; a: default or NULL; op: TnParamKind */
    AST_CLASS,     /* str: name; a: base expression or NULL; body; items: decorators */
    AST_WITH,      /* items: AST_WITHITEM; body */
    AST_WITHITEM,  /* a: context expression; b: target or NULL */
    AST_TRY,       /* body; items: AST_EXCEPT handlers; orelse; finalbody */
    AST_EXCEPT,    /* a: type expression or NULL; str: `as` name or NULL; body */
    AST_RAISE,     /* a: exception or NULL (bare raise); b: `from` cause or NULL */
    AST_ASSERT,    /* a: condition; b: message or NULL */
    AST_GLOBAL,    /* items: AST_NAME nodes */
    AST_NONLOCAL,  /* items: AST_NAME nodes */
    AST_IMPORT,    /* items: AST_ALIAS (import a.b as c) */
    AST_IMPORTFROM,/* str: module (dotted); items: AST_ALIAS; op 1 for `import *` */
    AST_ALIAS,     /* str: dotted name; str2: `as` name or NULL */
    AST_NKINDS
} TnAstKind;

typedef enum {
    PARAM_NORMAL,  /* positional-or-keyword */
    PARAM_VARARGS, /* *args */
    PARAM_KWONLY,  /* after * or *args */
    PARAM_VARKW,   /* **kwargs */
} TnParamKind;

/* Where a resolved name lives (set by resolve.c on AST_NAME). */
typedef enum {
    SCOPE_UNRESOLVED = 0,
    SCOPE_LOCAL,   /* slot in the frame's value array */
    SCOPE_CELL,    /* slot holds a cell (captured by an inner function, or a free var) */
    SCOPE_GLOBAL,  /* module globals dict, then builtins */
} TnScopeKind;

/* AST_INT's op: the literal 9223372036854775808, valid only as the operand of a unary
 * minus (which folds it into INT64_MIN); resolve.c rejects it anywhere else. */
#define AST_INT_NEEDS_MINUS 1

/* The evaluator's handler for a node (eval.c, quick.c): chosen on the node's first run
 * from its kind and shape, so running a node is one indirect call and the hot shapes
 * (int arithmetic on locals and constants, local stores, calls of global functions)
 * get handlers that skip the general dispatch. NULL until then. */
struct TnState;
struct TnFrameInfo;
struct TnValue;
typedef struct TnValue (*TnEvalFn)(struct TnState *, struct TnFrameInfo *, TnAst *);
typedef int (*TnExecFn)(struct TnState *, struct TnFrameInfo *, TnAst *);

struct TnAst {
    union {
        TnEvalFn ev; /* expressions */
        TnExecFn ex; /* statements: returns an ExecStatus (eval.c) */
    } run;
    uint8_t kind;  /* TnAstKind */
    uint8_t op;    /* operator / param kind / conversion */
    uint8_t scope; /* TnScopeKind for AST_NAME */
    uint8_t flags; /* resolve.c bits */
    int line, col;
    int slot;      /* resolved slot for AST_NAME */
    TnAst *a, *b, *c;
    TnNodeList items, body, orelse, finalbody, params;
    uint8_t *cmpops; /* AST_COMPARE */
    const char *str; /* names, string data, attribute names */
    size_t slen;
    const char *str2;
    int64_t ival;
    double fval;
    void *cache;       /* interned TnStr* of str (names/attrs), filled by the resolver */
    TnScope *scope_info; /* AST_DEF/AST_LAMBDA/AST_CLASS/comprehensions/AST_MODULE */
    /* attr_cache.c's inline cache for AST_ATTR and method-call AST_CALL nodes: what the
     * last lookup found for instances of `type` while tn_type_epoch was `epoch`. */
    struct {
        const void *type;
        uint64_t epoch;
        void *method;  /* method calls: the class's function, called directly */
        int64_t index; /* attribute reads/writes: the entry in the instance dict, + 1 */
    } ic;
};

/* Result of parsing: either a module, "incomplete" (the input ended inside a
 * statement, so a REPL should read another line), or a syntax error. */
typedef struct TnParseError {
    int incomplete;
    int line, col;
    char msg[256];
    const char *type; /* "SyntaxError", "IndentationError" or "TabError" */
} TnParseError;

/* Parses `arena->source` as a module. Returns the AST_MODULE node, or NULL with
 * *err filled in (msg is e.g. "invalid syntax", "unexpected indent",
 * "unterminated string literal (detected at line 3)", "expected ':'"). */
TnAst *tn_parse(TnArena *arena, TnParseError *err);

#endif
