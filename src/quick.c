/* quick.c: specialised handlers for int arithmetic and comparisons on locals and
 * constants, the inner loop of most scalar code (see quick.h).
 *
 * A handler exists per operator and operand shape:
 *   lc  local op int-constant      i * 7, n - 1, i < n... with a constant
 *   ll  local op local             s + i, i < n
 *   xc  expression op int-constant (s + i * 7) % 1000003
 *   lx  local op expression        s + i * 7
 *   xx  expression op expression
 * Each finishes two ints in place (with an overflow check: an int that leaves 64
 * bits goes to the general path, which makes a big int) and hands anything else to
 * eval.c's general path, so every result and error is the general one.
 */
#include "quick.h"

/* ------------------------------------------------------ int operations */

/* Each computes a op b into *r, false when the result needs the general path. */
static inline bool int_add(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}
static inline bool int_sub(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_sub_overflow(a, b, r);
}
static inline bool int_mul(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}
/* Python's floor division and modulo round toward minus infinity; b == 0 raises and
 * INT64_MIN // -1 overflows, both left to the general path. */
static inline bool int_floordiv(int64_t a, int64_t b, int64_t *r)
{
    if (b == 0 || (b == -1 && a == INT64_MIN))
        return false;
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    *r = q;
    return true;
}
static inline bool int_mod(int64_t a, int64_t b, int64_t *r)
{
    if (b == 0 || (b == -1 && a == INT64_MIN))
        return false;
    int64_t m = a % b;
    if (m != 0 && ((m < 0) != (b < 0)))
        m += b;
    *r = m;
    return true;
}

/* Comparisons never fail on two ints; *r is 0 or 1. */
#define INT_CMP(NAME, OP)                                                                          \
    static inline bool NAME(int64_t a, int64_t b, int64_t *r)                                      \
    {                                                                                              \
        *r = a OP b;                                                                               \
        return true;                                                                               \
    }
INT_CMP(int_lt, <)
INT_CMP(int_le, <=)
INT_CMP(int_eq, ==)
INT_CMP(int_ne, !=)
INT_CMP(int_gt, >)
INT_CMP(int_ge, >=)

/* --------------------------------------------------------------- handlers */

/* The five shapes for one operation, whose operands are L(n) and R(n). MAKE turns the int result into a value
 * (tn_int or tn_bool); GENERAL and VALUES are eval.c's fallbacks. The lx and xx
 * handlers read or evaluate the left operand before the right one, as Python does. */
#define SHAPES(NAME, L, R, OPFN, MAKE, GENERAL, VALUES)                                                \
    static TnValue NAME##_lc(TnState *st, TnFrameInfo *f, TnAst *n)                                \
    {                                                                                              \
        TnValue a = f->slots[L(n)->slot];                                                          \
        int64_t r;                                                                                 \
        if (TN_LIKELY(a.tag == V_INT) && OPFN(a.u.i, R(n)->ival, &r))                              \
            return MAKE(r);                                                                        \
        return GENERAL(st, f, n);                                                                  \
    }                                                                                              \
    static TnValue NAME##_ll(TnState *st, TnFrameInfo *f, TnAst *n)                                \
    {                                                                                              \
        TnValue a = f->slots[L(n)->slot], b = f->slots[R(n)->slot];                                \
        int64_t r;                                                                                 \
        if (TN_LIKELY(a.tag == V_INT && b.tag == V_INT) && OPFN(a.u.i, b.u.i, &r))                 \
            return MAKE(r);                                                                        \
        return GENERAL(st, f, n);                                                                  \
    }                                                                                              \
    static TnValue NAME##_xc(TnState *st, TnFrameInfo *f, TnAst *n)                                \
    {                                                                                              \
        TnValue a = eval_expr(st, f, L(n));                                                        \
        int64_t r;                                                                                 \
        if (TN_LIKELY(a.tag == V_INT) && OPFN(a.u.i, R(n)->ival, &r))                              \
            return MAKE(r);                                                                        \
        if (IS_UNDEF(a))                                                                           \
            return a;                                                                              \
        return VALUES(st, f, n, a, tn_int(R(n)->ival));                                            \
    }                                                                                              \
    static TnValue NAME##_lx(TnState *st, TnFrameInfo *f, TnAst *n)                                \
    {                                                                                              \
        TnValue a = f->slots[L(n)->slot];                                                          \
        if (TN_UNLIKELY(a.tag != V_INT))                                                           \
            return GENERAL(st, f, n);                                                              \
        TnValue b = eval_expr(st, f, R(n));                                                        \
        int64_t r;                                                                                 \
        if (TN_LIKELY(b.tag == V_INT) && OPFN(a.u.i, b.u.i, &r))                                   \
            return MAKE(r);                                                                        \
        if (IS_UNDEF(b))                                                                           \
            return b;                                                                              \
        return VALUES(st, f, n, a, b);                                                             \
    }                                                                                              \
    static TnValue NAME##_xx(TnState *st, TnFrameInfo *f, TnAst *n)                                \
    {                                                                                              \
        TnValue a = eval_expr(st, f, L(n));                                                        \
        if (IS_UNDEF(a))                                                                           \
            return a;                                                                              \
        TnValue b = eval_expr(st, f, R(n));                                                        \
        if (IS_UNDEF(b)) {                                                                         \
            tn_decref(a);                                                                          \
            return b;                                                                              \
        }                                                                                          \
        int64_t r;                                                                                 \
        if (a.tag == V_INT && b.tag == V_INT && OPFN(a.u.i, b.u.i, &r))                            \
            return MAKE(r);                                                                        \
        return VALUES(st, f, n, a, b);                                                             \
    }

static inline TnValue make_bool(int64_t r)
{
    return tn_bool(r != 0);
}

/* where the operands are: a binop's a and b, a comparison's first two items */
#define BIN_L(n) ((n)->a)
#define BIN_R(n) ((n)->b)
#define CMP_L(n) ((n)->items.items[0])
#define CMP_R(n) ((n)->items.items[1])

#define ARITH(NAME, OPFN)                                                                          \
    SHAPES(NAME, BIN_L, BIN_R, OPFN, tn_int, eval_binop_general, eval_binop_values)
#define CMP(NAME, OPFN)                                                                            \
    SHAPES(NAME, CMP_L, CMP_R, OPFN, make_bool, eval_compare_general, eval_compare_values)

ARITH(add, int_add)
ARITH(sub, int_sub)
ARITH(mul, int_mul)
ARITH(floordiv, int_floordiv)
ARITH(mod, int_mod)
CMP(lt, int_lt)
CMP(le, int_le)
CMP(eq, int_eq)
CMP(ne, int_ne)
CMP(gt, int_gt)
CMP(ge, int_ge)

/* ------------------------------------------------------------ selection */

enum { SHAPE_LC, SHAPE_LL, SHAPE_XC, SHAPE_LX, SHAPE_XX, NSHAPES };

#define ROW(NAME) {NAME##_lc, NAME##_ll, NAME##_xc, NAME##_lx, NAME##_xx}

static const TnEvalFn binop_handlers[OP_NBINARY][NSHAPES] = {
    [OP_ADD] = ROW(add),           [OP_SUB] = ROW(sub), [OP_MUL] = ROW(mul),
    [OP_FLOORDIV] = ROW(floordiv), [OP_MOD] = ROW(mod),
};

static const TnEvalFn compare_handlers[CMP_GE + 1][NSHAPES] = {
    [CMP_LT] = ROW(lt), [CMP_LE] = ROW(le), [CMP_EQ] = ROW(eq),
    [CMP_NE] = ROW(ne), [CMP_GT] = ROW(gt), [CMP_GE] = ROW(ge),
};

static bool is_local(const TnAst *n)
{
    return n->kind == AST_NAME && n->scope == SCOPE_LOCAL;
}

static int shape_of(const TnAst *a, const TnAst *b)
{
    bool bconst = b->kind == AST_INT;
    if (is_local(a))
        return bconst ? SHAPE_LC : is_local(b) ? SHAPE_LL : SHAPE_LX;
    return bconst ? SHAPE_XC : SHAPE_XX;
}

TnEvalFn quick_binop(const TnAst *n)
{
    if (n->op >= OP_NBINARY)
        return NULL;
    return binop_handlers[n->op][shape_of(n->a, n->b)];
}

TnEvalFn quick_compare(const TnAst *n)
{
    if (n->items.n != 2 || n->cmpops[0] > CMP_GE)
        return NULL;
    return compare_handlers[n->cmpops[0]][shape_of(n->items.items[0], n->items.items[1])];
}
