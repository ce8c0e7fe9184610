/* parse_internal.h: what the lexer (grammar/lexer.re), the grammar (grammar/parser.y)
 * and the driver (src/parse.c) share; nothing outside the front end includes it. */
#ifndef TN_PARSE_INTERNAL_H
#define TN_PARSE_INTERNAL_H

#include "ast.h"
#include <stddef.h>

/* Limits, as CPython's: they also bound the recursion of every later pass. */
#define TN_MAX_PAREN_DEPTH   200 /* "too many nested parentheses" */
#define TN_MAX_INDENT_DEPTH  100 /* "too many levels of indentation" */
#define TN_MAX_FSTRING_DEPTH 2   /* format specs nested in format specs */
#define TN_MAX_PARSE_NESTING 20  /* f-string expressions parsed inside f-strings */

/* A token: a span of the source (SQLite's Token), plus the literal's node for
 * NUMBER and STRING tokens (built by the driver, so the grammar sees values). */
typedef struct TnToken {
    const char *z;
    int n;
    int line, col;
    TnAst *node;
} TnToken;

/* Driver-only token codes the lexer returns besides the grammar's TK_* codes. */
enum {
    LX_EOF = 1000, /* the NUL sentinel (tn_parse rejects NUL bytes before lexing) */
    LX_NEWLINE,    /* a physical newline */
    LX_CONT,       /* backslash-newline */
    LX_BADCONT,    /* backslash followed by something else */
    LX_STRING,     /* a complete string literal, prefix included */
    LX_STR_OPEN,   /* a one-line string that hit the end of its line */
    LX_STR_OPEN3,  /* a triple-quoted string that hit the end of input */
    LX_BADNUM,     /* a number run into letters/underscores: 1abc, 1_, 0x */
    LX_ZERONUM,    /* 0123: leading zeros */
    LX_IMAG,       /* 5j */
    LX_BANG,       /* a lone '!' */
    LX_INVALID,    /* any other byte */
};

/* The lexer's state: a cursor over the NUL-terminated text. */
typedef struct TnLexer {
    const unsigned char *cur, *tok, *mark;
} TnLexer;

/* Scans the next raw token (skipping blanks and comments); the token is
 * [L->tok, L->cur). Returns a TK_* or LX_* code. (grammar/lexer.re) */
int lex_scan(TnLexer *L);

/* An open bracket: which one and where, for "'(' was never closed". */
typedef struct TnBracket {
    char ch;
    int line, col;
} TnBracket;

/* Where a parenthesized expression's outermost '(' was (see paren_note). */
typedef struct TnParenPos {
    TnAst *node;
    int line, col;
} TnParenPos;

/* The state of one parse: the driver's token loop, and the grammar's
 * %extra_context. A nested TnParse parses each f-string expression. */
typedef struct TnParse {
    TnArena *arena;
    TnParseError *err;
    int failed;    /* an error is recorded in *err: stop feeding */
    TnAst *result; /* AST_MODULE, or the expression in expression mode */
    TnAst dummy;   /* stands in for nodes that could not be allocated */
    TnAst *big_ints[8]; /* literals 2**63 seen (the first 8): each must end up negated */
    int nbig_ints;
    int nesting;   /* f-string parse depth: 0 for the file itself */

    /* lexing */
    TnLexer lx;
    const char *text, *end; /* the text being tokenized */
    int line;               /* the current physical line */
    const char *line_start;
    int line_base, col_base; /* position of text[0] in the real source (f-strings) */
    int expr_mode;           /* parsing an f-string's expression: no statements */

    /* brackets and indentation */
    TnBracket brackets[TN_MAX_PAREN_DEPTH];
    int depth;
    int indents[TN_MAX_INDENT_DEPTH + 1], alt_indents[TN_MAX_INDENT_DEPTH + 1];
    int nindent;

    /* the logical line being fed */
    int at_bol;                /* no token of this logical line yet */
    int bol_col, bol_alt;      /* its indentation (tabs to 8; tabs as 1 for TabError) */
    int first_tok, first_line; /* its first token (TK_IF ...) and line */
    const char *first_z;       /* and where that token is */
    int line_has_colon;        /* a ':' at bracket depth 0 was seen */
    int last_tok;              /* the previous token fed */
    TnToken last;              /* and its position */
    const char *last_end;      /* where the previous token ended */
    int block_kw, block_line;  /* the line ended with a block-opening ':' */
    int at_eof;                /* only end-of-input tokens are left */
    TnToken cur;               /* the token being fed (lookahead for error rules) */
    TnToken cont;              /* the last backslash-newline */

    /* adjacent string literals waiting to be joined */
    TnToken *strs;
    int nstrs, capstrs;

    TnParenPos *parens; /* hash table: parenthesized node → its '(' */
    size_t nparens, capparens;

    void *lemon;       /* the lemon parser */
    void *spare_lemon; /* a finished sub-parse's parser, kept for the next f-string field */
} TnParse;

/* lemon's entry points (%name TnLemon) */
void *TnLemonAlloc(void *(*malloc_fn)(size_t), TnParse *p);
void TnLemon(void *parser, int code, TnToken tok);
void TnLemonFree(void *parser, void (*free_fn)(void *));
void TnLemonInit(void *parser, TnParse *p);
void TnLemonFinalize(void *parser);

/* Errors: the first one wins; the rest of the parse is abandoned. */
void parse_error_at(TnParse *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void parse_syntax_error(TnParse *p, int code, TnToken tok);
void parse_stack_overflow(TnParse *p);

/* ---- node builders called by the grammar's actions (parse.c) ---- */
TnAst *node_new(TnParse *p, int kind, int line, int col);
TnAst *node_at(TnParse *p, int kind, TnToken t);
TnAst *node_a(TnParse *p, int kind, TnToken t, TnAst *a);
TnAst *node_ab(TnParse *p, int kind, TnToken t, TnAst *a, TnAst *b);
TnAst *name_node(TnParse *p, TnToken t);
TnNodeList list1(TnParse *p, TnAst *n);
TnNodeList list_push(TnParse *p, TnNodeList l, TnAst *n);
TnNodeList list_cat(TnParse *p, TnNodeList l, TnNodeList m);
TnNodeList list_empty(void);

/* expressions */
TnAst *mk_binop(TnParse *p, int op, TnAst *a, TnAst *b);
TnAst *mk_unary(TnParse *p, int op, TnToken t, TnAst *a);
TnAst *mk_boolop(TnParse *p, int kind, TnAst *a, TnAst *b);
TnAst *mk_compare(TnParse *p, TnAst *chain, TnAst *left, int op, TnAst *right); /* chain or NULL */
TnAst *mk_ifexp(TnParse *p, TnAst *body, TnAst *cond, TnAst *orelse);
TnAst *mk_attr(TnParse *p, TnAst *obj, TnToken name);
TnAst *mk_subscript(TnParse *p, TnAst *obj, TnNodeList idx, int trailing_comma);
TnAst *mk_slice(TnParse *p, TnToken colon, TnAst *lo, TnAst *hi, TnAst *step);
TnAst *mk_call(TnParse *p, TnAst *callee, TnToken lp, TnNodeList args);
TnAst *bare_genexp(TnParse *p, TnAst *elt, TnNodeList fors);
TnAst *mk_keyword(TnParse *p, TnToken name, TnAst *value);
TnAst *mk_tuple(TnParse *p, TnNodeList items, int trailing_comma); /* single item: itself */
TnAst *mk_paren(TnParse *p, TnToken lp, TnNodeList items, int trailing_comma);
TnAst *mk_display(TnParse *p, int kind, TnToken t, TnNodeList items);
TnAst *mk_comp(TnParse *p, int kind, TnToken t, TnAst *elt, TnAst *val, TnNodeList fors);
TnAst *mk_compfor(TnParse *p, TnToken t, TnAst *target, TnAst *iter);
TnNodeList comp_add_if(TnParse *p, TnNodeList fors, TnAst *cond);
TnAst *mk_lambda(TnParse *p, TnToken t, TnNodeList params, TnAst *body);
TnAst *mk_param(TnParse *p, TnToken name, TnAst *dflt, int kind);
TnAst *mk_param_marker(TnParse *p, TnToken t, int star); /* bare '*' or '/' */
TnAst *expect_else(TnParse *p, TnAst *body);             /* `a if b` with no else */
TnAst *no_star(TnParse *p, TnAst *e);                    /* rejects a lone *x where not allowed */

/* statements */
TnAst *mk_exprstmt(TnParse *p, TnAst *e);
TnAst *mk_assign(TnParse *p, TnNodeList targets, TnAst *value);
TnAst *mk_annassign(TnParse *p, TnAst *target, TnAst *value);
TnAst *mk_augassign(TnParse *p, TnAst *target, int op, TnAst *value);
TnAst *mk_del(TnParse *p, TnToken t, TnNodeList targets);
TnAst *mk_names(TnParse *p, int kind, TnToken t, TnNodeList names);
TnAst *mk_alias(TnParse *p, TnToken dotted, TnToken as);
TnToken dotted_join(TnParse *p, TnToken a, TnToken b);
TnAst *mk_importfrom(TnParse *p, TnToken t, TnToken module, TnNodeList names, int star);
TnAst *mk_if(TnParse *p, TnToken t, TnAst *cond, TnNodeList body);
TnAst *if_add_elif(TnParse *p, TnAst *chain, TnAst *elif);
TnAst *if_add_else(TnParse *p, TnAst *chain, TnNodeList orelse); /* ends the chain */
TnAst *mk_loop(TnParse *p, int kind, TnToken t, TnAst *a, TnAst *b, TnNodeList body,
               TnNodeList orelse);
TnAst *mk_for(TnParse *p, TnToken t, TnAst *target, TnAst *iter, TnNodeList body,
              TnNodeList orelse);
TnAst *mk_with(TnParse *p, TnToken t, TnNodeList items, TnNodeList body);
TnAst *mk_withitem(TnParse *p, TnAst *ctx, TnAst *target);
TnAst *mk_try(TnParse *p, TnToken t, TnNodeList body, TnNodeList handlers, TnNodeList orelse,
              TnNodeList finalbody);
TnAst *mk_try_incomplete(TnParse *p);
TnAst *mk_except(TnParse *p, TnToken t, TnAst *type, TnToken *as, TnNodeList body);
TnAst *mk_def(TnParse *p, TnToken t, TnToken name, TnNodeList params, TnNodeList body);
TnAst *mk_class(TnParse *p, TnToken t, TnToken name, TnNodeList bases, TnNodeList body);
TnAst *decorate(TnParse *p, TnNodeList decorators, TnAst *def);
void set_module(TnParse *p, TnNodeList body);
void set_expr_result(TnParse *p, TnAst *e);

#endif
