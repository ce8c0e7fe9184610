/* quick.h: node handlers, the evaluator's dispatch (eval.c) and its specialised
 * arithmetic (quick.c).
 *
 * Every AST node carries a handler (TnAst.run), chosen the first time the node runs
 * from its kind and its shape: an expression runs as one indirect call, and the hot
 * shapes get their own handler. `i * 7` with `i` a local gets a handler that reads
 * the slot, multiplies with an overflow check and returns; anything unusual (not an
 * int, an overflow, an unbound local) falls back to the general path, which gives
 * Python's result or error. Shapes are fixed once the resolver has run (a name's
 * scope never changes), so the choice never needs revisiting.
 */
#ifndef TN_QUICK_H
#define TN_QUICK_H

#include "interp.h"

/* eval.c: picks the handler for an expression node. */
TnEvalFn eval_choose(TnAst *n);

/* Evaluates an expression: a new reference, or UNDEF with the exception set. */
static inline TnValue eval_expr(TnState *st, TnFrameInfo *f, TnAst *n)
{
    if (TN_UNLIKELY(!n->run.ev))
        n->run.ev = eval_choose(n);
    return n->run.ev(st, f, n);
}

/* eval.c: the general paths the specialised handlers fall back to. The *_general
 * ones evaluate the operands themselves, so a handler may call them only before it
 * has evaluated anything with side effects (locals and constants are safe to read
 * twice); the *_values ones take operands already evaluated and consume them. */
TnValue eval_binop_general(TnState *st, TnFrameInfo *f, TnAst *n);
TnValue eval_binop_values(TnState *st, TnFrameInfo *f, TnAst *n, TnValue a, TnValue b);
TnValue eval_compare_general(TnState *st, TnFrameInfo *f, TnAst *n);
TnValue eval_compare_values(TnState *st, TnFrameInfo *f, TnAst *n, TnValue a, TnValue b);

/* quick.c: a specialised handler for an AST_BINOP / two-operand AST_COMPARE node,
 * or NULL when its operator or shape has none. */
TnEvalFn quick_binop(const TnAst *n);
TnEvalFn quick_compare(const TnAst *n);

#endif
