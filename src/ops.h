/* ops.h: operator codes shared by the parser, the evaluator and every type's binop slot. */
#ifndef TN_OPS_H
#define TN_OPS_H

/* Binary operators (also the op of augmented assignment). Order matters: it indexes
 * tn_binop_names[] and tn_binop_dunders[] in object.c. */
typedef enum {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_TRUEDIV,
    OP_FLOORDIV,
    OP_MOD,
    OP_POW,
    OP_MATMUL,
    OP_LSHIFT,
    OP_RSHIFT,
    OP_BITAND,
    OP_BITOR,
    OP_BITXOR,
    OP_NBINARY
} TnBinOp;

/* Unary operators. */
typedef enum { UOP_NEG, UOP_POS, UOP_INVERT, UOP_NOT } TnUnOp;

/* Comparison operators, in the order of tn_cmp_dunders[]. */
typedef enum {
    CMP_LT,
    CMP_LE,
    CMP_EQ,
    CMP_NE,
    CMP_GT,
    CMP_GE,
    CMP_IN,
    CMP_NOTIN,
    CMP_IS,
    CMP_ISNOT
} TnCmpOp;

#endif
