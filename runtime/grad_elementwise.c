/* grad_elementwise.c: gradients of the pointwise ops (arithmetic, unary math, clamp,
 * where, maximum/minimum, lerp) and the rows that record them. Formulas follow
 * PyTorch's tools/autograd/derivatives.yaml; the engine reduces broadcast
 * gradients to each input's shape, so none of them has to. */
#include "grad.h"
#include <math.h>

#define BW(name) static int name(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
#define DONE(i) ((gin[i]) ? 0 : -1)

static int rec_save_in(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    return 0;
}

static int rec_save_out(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return autograd_save_output(st, n, 0, AS_TENSOR(r));
}

/* ------------------------------------------------------------ arithmetic */

BW(add_backward)
{
    if (NEEDS(n, 0) && !(gin[0] = g_ref(gout[0])))
        return -1;
    if (NEEDS(n, 1)) {
        double alpha = ARG_F(n, 0);
        gin[1] = alpha == 1 ? g_ref(gout[0]) : g_bins(st, BOP_MUL, gout[0], alpha);
        return DONE(1);
    }
    return 0;
}

BW(sub_backward)
{
    if (NEEDS(n, 0) && !(gin[0] = g_ref(gout[0])))
        return -1;
    if (NEEDS(n, 1)) {
        gin[1] = g_bins(st, BOP_MUL, gout[0], -ARG_F(n, 0));
        return DONE(1);
    }
    return 0;
}

BW(rsub_backward)
{
    gin[1] = g_bins(st, BOP_MUL, gout[0], -ARG_F(n, 0));
    return DONE(1);
}

static TN_NODE_KIND(AddBackward0, "AddBackward0", add_backward);
static TN_NODE_KIND(SubBackward0, "SubBackward0", sub_backward);
static TN_NODE_KIND(RsubBackward1, "RsubBackward1", rsub_backward);

static int rec_alpha(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    ARG_F(n, 0) = g_scalar(a[2], 1.0);
    return 0;
}

/* mul/div keep a scalar operand in arg[i] and a tensor operand in saved[i], saved only
 * when some gradient reads it (bit i of `need`), as PyTorch saves: writing in place to
 * an operand no formula reads is no error. */
static int save_operands(TnGradFn *n, const TnValue *a, unsigned need)
{
    for (int i = 0; i < 2; i++) {
        if (!IS_TENSOR(a[i]))
            ARG_F(n, i) = g_scalar(a[i], 0);
        else if ((need >> i) & 1)
            autograd_save(n, i, AS_TENSOR(a[i]));
    }
    return 0;
}

static int rec_operands(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return save_operands(n, a, 3);
}

/* d/da = b and d/db = a */
static int rec_mul(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return save_operands(n, a, (autograd_requires(a[1]) ? 1u : 0) | (autograd_requires(a[0]) ? 2u : 0));
}

/* Operand i as a tensor (saved) or NULL when it was a scalar (in ARG_F(n, i)). */
static int operand(TnState *st, TnGradFn *n, int i, TnTensor **t)
{
    *t = NULL;
    if (!n->saved[i].t)
        return 0; /* a scalar (the engine refuses freed nodes before this) */
    *t = SAVED(n, i);
    return *t ? 0 : -1;
}

static TnTensor *mul_by(TnState *st, TnTensor *g, TnTensor *t, double s)
{
    return t ? g_bin(st, BOP_MUL, g, t) : g_bins(st, BOP_MUL, g, s);
}

BW(mul_backward)
{
    TnTensor *a, *b;
    if (operand(st, n, 0, &a) < 0 || operand(st, n, 1, &b) < 0)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = mul_by(st, gout[0], b, ARG_F(n, 1))))
        return -1;
    if (NEEDS(n, 1) && !(gin[1] = mul_by(st, gout[0], a, ARG_F(n, 0))))
        return -1;
    return 0;
}

BW(div_backward)
{
    TnTensor *a, *b, *g = gout[0];
    if (operand(st, n, 0, &a) < 0 || operand(st, n, 1, &b) < 0)
        return -1;
    if (NEEDS(n, 0)) {
        gin[0] = b ? g_bin(st, BOP_DIV, g, b) : g_bins(st, BOP_DIV, g, ARG_F(n, 1));
        if (!gin[0])
            return -1;
    }
    if (NEEDS(n, 1)) {
        /* -g * a / (b * b) */
        TnTensor *num = mul_by(st, g, a, ARG_F(n, 0));
        TnTensor *q = g_bin_sa(st, BOP_DIV, num, b);
        q = g_bin_sa(st, BOP_DIV, q, b);
        gin[1] = g_un_s(st, UN_NEG, q);
        return DONE(1);
    }
    return 0;
}

static TN_NODE_KIND(MulBackward0, "MulBackward0", mul_backward);
static TN_NODE_KIND(DivBackward0, "DivBackward0", div_backward);
/* scalar / tensor: PyTorch computes reciprocal() * scalar, whose node is a Mul. */
static TN_NODE_KIND(RdivBackward, "MulBackward0", div_backward);

BW(zero_backward)
{
    for (int i = 0; i < n->nin; i++)
        if (NEEDS(n, i)) {
            gin[i] = tensor_zeros(st, gout[0]->dtype, gout[0]->ndim, gout[0]->sizes);
            if (!gin[i])
                return -1;
        }
    return 0;
}

static TN_NODE_KIND(DivBackward2, "DivBackward2", zero_backward);
static TN_NODE_KIND(ZeroBackward0, "ZeroBackward0", zero_backward);

/* fill_(value): the old values get no gradient, a tensor value gets the sum of g */
BW(fill_backward)
{
    TnTensor *g = gout[0];
    if (NEEDS(n, 0) && !(gin[0] = tensor_zeros(st, g->dtype, g->ndim, g->sizes)))
        return -1;
    uint32_t all = g_dim_mask(tn_undef(), g->ndim);
    if (NEEDS(n, 1) && !(gin[1] = op_reduce(st, RED_SUM, g, all, false, -1, 0.0)))
        return -1;
    return 0;
}
static TN_NODE_KIND(FillBackward2, "FillBackward2", fill_backward);
static TN_NODE_KIND(FillBackward3, "FillBackward3", fill_backward);

/* copy_(src): the old values get no gradient, src gets g (reduced and cast by the engine) */
BW(copy_backward)
{
    TnTensor *g = gout[0];
    if (NEEDS(n, 0) && !(gin[0] = tensor_zeros(st, g->dtype, g->ndim, g->sizes)))
        return -1;
    if (NEEDS(n, 1))
        gin[1] = g_ref(g);
    return 0;
}
static TN_NODE_KIND(CopyBackwards, "CopyBackwards", copy_backward);

/* In-place writes whose values do not depend on the old ones (random fills, comparisons):
 * no gradient flows, and the second form's name is taken when the argument is a tensor. */
static TN_NODE_KIND(NormalBackward0, "NormalBackward0", zero_backward);
static TN_NODE_KIND(UniformBackward0, "UniformBackward0", zero_backward);
static TN_NODE_KIND(BernoulliBackward2, "BernoulliBackward2", zero_backward);
static TN_NODE_KIND(BernoulliBackward1, "BernoulliBackward1", zero_backward);
#define CMP_KINDS(X) X(Eq) X(Ne) X(Lt) X(Le) X(Gt) X(Ge)
#define X(C)                                                                                   \
    static TN_NODE_KIND(C##Backward0, #C "Backward0", zero_backward);                          \
    static TN_NODE_KIND(C##Backward1, #C "Backward1", zero_backward);                          \
    static int rec_##C(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)                  \
    {                                                                                          \
        return IS_TENSOR(a[1]) ? autograd_node_set_kind(st, n, &C##Backward1) : 0;             \
    }
CMP_KINDS(X)
#undef X

static int rec_bernoulli(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return IS_TENSOR(a[1]) ? autograd_node_set_kind(st, n, &BernoulliBackward1) : 0;
}

static int rec_fill(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return IS_TENSOR(a[1]) ? autograd_node_set_kind(st, n, &FillBackward3) : 0;
}

static int rec_div(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (IS_STR(a[2]))
        return autograd_node_set_kind(st, n, &DivBackward2);
    if (!IS_TENSOR(a[0]) && autograd_node_set_kind(st, n, &RdivBackward) < 0)
        return -1;
    /* d/da = 1/b, d/db = -a/b^2 */
    return save_operands(n, a, 2u | (autograd_requires(a[1]) ? 1u : 0));
}

/* pow: tensor ** scalar (PowBackward0) or with a tensor exponent (PowBackward1). */
BW(pow0_backward)
{
    TnTensor *x = SAVED(n, 0);
    double e = ARG_F(n, 0);
    if (!x)
        return -1;
    if (e == 0) {
        gin[0] = g_bins(st, BOP_MUL, gout[0], 0.0);
        return DONE(0);
    }
    TnTensor *p = g_bins(st, BOP_POW, x, e - 1);
    p = g_bins_s(st, BOP_MUL, p, e);
    gin[0] = g_bin_s(st, BOP_MUL, p, g_ref(gout[0]));
    return DONE(0);
}

BW(pow1_backward)
{
    TnTensor *a, *b, *r = SAVED(n, 2), *g = gout[0];
    if (!r || operand(st, n, 0, &a) < 0 || operand(st, n, 1, &b) < 0)
        return -1;
    if (NEEDS(n, 0)) {
        /* g * b * a^(b-1) */
        TnTensor *bm1 = g_bins(st, BOP_SUB, b, 1.0);
        TnTensor *p = g_bin_s(st, BOP_POW, g_ref(a), bm1);
        p = g_bin_sa(st, BOP_MUL, p, b);
        gin[0] = g_bin_s(st, BOP_MUL, p, g_ref(g));
        if (!gin[0])
            return -1;
    }
    if (NEEDS(n, 1)) {
        /* g * result * log(a), 0 where a == 0 and b >= 0 */
        TnTensor *lg = a ? g_un(st, UN_LOG, a) : g_ref(NULL);
        TnTensor *t = a ? g_bin_s(st, BOP_MUL, lg, g_ref(r))
                        : g_bins(st, BOP_MUL, r, log(ARG_F(n, 0)));
        t = g_bin_s(st, BOP_MUL, t, g_ref(g));
        if (a && t) {
            TnTensor *z = g_bins(st, BOP_EQ, a, 0.0), *nb = g_bins(st, BOP_GE, b, 0.0);
            TnTensor *m = g_bin_s(st, BOP_LAND, z, nb);
            TnTensor *keep = g_un_s(st, UN_LNOT, m);
            TnTensor *w = g_mask_s(st, keep, t);
            tn_obj_decref(t);
            t = w;
        }
        gin[1] = t;
        return DONE(1);
    }
    return 0;
}

static TN_NODE_KIND(PowBackward0, "PowBackward0", pow0_backward);
static TN_NODE_KIND(PowBackward1, "PowBackward1", pow1_backward);

static int rec_pow(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (IS_TENSOR(a[0]) && !IS_TENSOR(a[1])) {
        autograd_save(n, 0, AS_TENSOR(a[0]));
        ARG_F(n, 0) = g_scalar(a[1], 1);
        return 0;
    }
    if (autograd_node_set_kind(st, n, &PowBackward1) < 0 || rec_operands(st, n, a, r) < 0)
        return -1;
    return autograd_save_output(st, n, 2, AS_TENSOR(r));
}

/* remainder / fmod: d/da = 1, d/db = -floor(a/b) (trunc for fmod). */
static int modlike(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin, TnUnaryOp round)
{
    if (NEEDS(n, 0) && !(gin[0] = g_ref(gout[0])))
        return -1;
    if (NEEDS(n, 1)) {
        TnTensor *a, *b;
        if (operand(st, n, 0, &a) < 0 || operand(st, n, 1, &b) < 0)
            return -1;
        TnTensor *q = a ? g_bin(st, BOP_DIV, a, b) : g_sbin(st, BOP_DIV, ARG_F(n, 0), b);
        q = g_un_s(st, round, q);
        q = g_bin_s(st, BOP_MUL, q, g_ref(gout[0]));
        gin[1] = g_un_s(st, UN_NEG, q);
        return DONE(1);
    }
    return 0;
}
BW(remainder_backward)
{
    return modlike(st, n, gout, gin, UN_FLOOR);
}
BW(fmod_backward)
{
    return modlike(st, n, gout, gin, UN_TRUNC);
}

static TN_NODE_KIND(RemainderBackward0, "RemainderBackward0", remainder_backward);
static TN_NODE_KIND(RemainderBackward1, "RemainderBackward1", remainder_backward);
static TN_NODE_KIND(FmodBackward0, "FmodBackward0", fmod_backward);
static TN_NODE_KIND(FmodBackward1, "FmodBackward1", fmod_backward);

static int rec_rem(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (IS_TENSOR(a[1]) && autograd_node_set_kind(st, n, &RemainderBackward1) < 0)
        return -1;
    return save_operands(n, a, autograd_requires(a[1]) ? 3u : 0); /* only d/db reads them */
}
static int rec_fmod(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (IS_TENSOR(a[1]) && autograd_node_set_kind(st, n, &FmodBackward1) < 0)
        return -1;
    return save_operands(n, a, autograd_requires(a[1]) ? 3u : 0);
}

/* floor_divide has no derivative in PyTorch: the node exists, backward fails. */
BW(floor_divide_backward)
{
    return tn_raise_int(st, tn_RuntimeError, "derivative for aten::floor_divide is not implemented");
}
static TN_NODE_KIND(FloorDivideBackward, "NotImplemented", floor_divide_backward);

/* maximum/minimum: the gradient goes to the larger (smaller) input, split on ties. */
static int maxmin_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin, bool is_max)
{
    TnTensor *a = SAVED(n, 0), *b = SAVED(n, 1), *g = gout[0];
    if (!a || !b)
        return -1;
    TnTensor *half = g_bins(st, BOP_MUL, g, 0.5);
    TnTensor *eq = g_bin(st, BOP_EQ, a, b);
    TnTensor *gg = eq && half ? g_where(st, eq, opt_(half), opt_(g)) : NULL;
    tn_obj_decref(eq);
    tn_obj_decref(half);
    for (int i = 0; i < 2 && gg; i++) {
        if (!NEEDS(n, i))
            continue;
        /* input i loses where it is strictly smaller (larger for minimum) */
        TnTensor *lose = g_bin(st, is_max ? BOP_LT : BOP_GT, i ? b : a, i ? a : b);
        gin[i] = lose ? g_where(st, lose, ops_(0.0), opt_(gg)) : NULL;
        tn_obj_decref(lose);
        if (!gin[i]) {
            tn_obj_decref(gg);
            return -1;
        }
    }
    tn_obj_decref(gg);
    return gg ? 0 : -1;
}
BW(maximum_backward)
{
    return maxmin_backward(st, n, gout, gin, true);
}
BW(minimum_backward)
{
    return maxmin_backward(st, n, gout, gin, false);
}
TN_NODE_KIND(grad_MaximumBackward0, "MaximumBackward0", maximum_backward);
TN_NODE_KIND(grad_MinimumBackward0, "MinimumBackward0", minimum_backward);

/* maximum, minimum and atan2 take two tensors (PyTorch refuses a number) */
static int rec_both(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_TENSOR(a[1])) {
        const char *nm = NODE_KIND(n) == &grad_MaximumBackward0   ? "maximum"
                         : NODE_KIND(n) == &grad_MinimumBackward0 ? "minimum"
                                                                  : "atan2";
        return tn_raise_int(st, tn_TypeError,
                            "%s(): argument 'other' (position 2) must be Tensor, not %s", nm,
                            tn_type_name(a[1]));
    }
    autograd_save(n, 0, AS_TENSOR(a[0]));
    autograd_save(n, 1, AS_TENSOR(a[1]));
    return 0;
}

BW(atan2_backward)
{
    TnTensor *a = SAVED(n, 0), *b = SAVED(n, 1), *g = gout[0];
    if (!a || !b)
        return -1;
    TnTensor *den = g_bin_s(st, BOP_ADD, g_bin(st, BOP_MUL, a, a), g_bin(st, BOP_MUL, b, b));
    TnTensor *gd = g_bin(st, BOP_DIV, g, den);
    tn_obj_decref(den);
    if (!gd)
        return -1;
    if (NEEDS(n, 0))
        gin[0] = g_bin(st, BOP_MUL, gd, b);
    if (NEEDS(n, 1))
        gin[1] = g_un_s(st, UN_NEG, g_bin(st, BOP_MUL, gd, a));
    tn_obj_decref(gd);
    return (NEEDS(n, 0) && !gin[0]) || (NEEDS(n, 1) && !gin[1]) ? -1 : 0;
}
static TN_NODE_KIND(Atan2Backward0, "Atan2Backward0", atan2_backward);

/* --------------------------------------------------------- where, lerp, clamp */

BW(where_backward)
{
    TnTensor *c = SAVED(n, 0), *g = gout[0];
    if (!c)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = g_where(st, c, opt_(g), ops_(0.0))))
        return -1;
    if (NEEDS(n, 1) && !(gin[1] = g_where(st, c, ops_(0.0), opt_(g))))
        return -1;
    return 0;
}
static TN_NODE_KIND(WhereBackward0, "WhereBackward0", where_backward);

static int rec_where(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[2]));
    return 0;
}

/* lerp(a, b, w) = a + w (b - a) */
BW(lerp_backward)
{
    TnTensor *g = gout[0], *w = NULL;
    if (n->saved[2].t && !(w = SAVED(n, 2)))
        return -1;
    double ws = ARG_F(n, 0);
    if (NEEDS(n, 0)) {
        TnTensor *omw = w ? g_sbin(st, BOP_SUB, 1.0, w) : NULL;
        gin[0] = w ? g_bin_sa(st, BOP_MUL, omw, g) : g_bins(st, BOP_MUL, g, 1 - ws);
        if (!gin[0])
            return -1;
    }
    if (NEEDS(n, 1) && !(gin[1] = w ? g_bin(st, BOP_MUL, g, w) : g_bins(st, BOP_MUL, g, ws)))
        return -1;
    if (n->nin > 2 && NEEDS(n, 2)) {
        TnTensor *a = SAVED(n, 0), *b = SAVED(n, 1);
        if (!a || !b)
            return -1;
        gin[2] = g_bin_sa(st, BOP_MUL, g_bin(st, BOP_SUB, b, a), g);
        return DONE(2);
    }
    return 0;
}
static TN_NODE_KIND(LerpBackward0, "LerpBackward0", lerp_backward);
static TN_NODE_KIND(LerpBackward1, "LerpBackward1", lerp_backward);

static int rec_lerp(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    if (!IS_TENSOR(a[2])) {
        ARG_F(n, 0) = g_scalar(a[2], 0.5);
        return 0;
    }
    for (int i = 0; i < 3; i++)
        autograd_save(n, i, AS_TENSOR(a[i]));
    return autograd_node_set_kind(st, n, &LerpBackward1);
}

/* addcmul(x, t1, t2, value) = x + value t1 t2; addcdiv(x, t1, t2, value) = x + value t1 / t2 */
BW(addcmul_backward)
{
    TnTensor *g = gout[0], *t1 = NULL, *t2 = NULL;
    double v = ARG_F(n, 0);
    if ((NEEDS(n, 1) && !(t2 = SAVED(n, 1))) || (NEEDS(n, 2) && !(t1 = SAVED(n, 0))))
        return -1;
    if (NEEDS(n, 0)) {
        tn_obj_incref(g);
        gin[0] = g;
    }
    if (NEEDS(n, 1) && !(gin[1] = g_bin_sa(st, BOP_MUL, g_bins(st, BOP_MUL, t2, v), g)))
        return -1;
    if (NEEDS(n, 2) && !(gin[2] = g_bin_sa(st, BOP_MUL, g_bins(st, BOP_MUL, t1, v), g)))
        return -1;
    return 0;
}
static TN_NODE_KIND(AddcmulBackward0, "AddcmulBackward0", addcmul_backward);

BW(addcdiv_backward)
{
    TnTensor *g = gout[0], *t1 = NULL, *t2 = NULL;
    double v = ARG_F(n, 0);
    if ((NEEDS(n, 1) || NEEDS(n, 2)) && !(t2 = SAVED(n, 1)))
        return -1;
    if (NEEDS(n, 2) && !(t1 = SAVED(n, 0)))
        return -1;
    if (NEEDS(n, 0)) {
        tn_obj_incref(g);
        gin[0] = g;
    }
    if (NEEDS(n, 1) && !(gin[1] = g_bin_sa(st, BOP_MUL, g_sbin(st, BOP_DIV, v, t2), g)))
        return -1;
    if (NEEDS(n, 2)) {
        /* -g (v t1) / (t2 t2) */
        TnTensor *q = g_bin_s(st, BOP_DIV, g_bins(st, BOP_MUL, t1, v), g_bin(st, BOP_MUL, t2, t2));
        if (!(gin[2] = g_bins_s(st, BOP_MUL, g_bin_sa(st, BOP_MUL, q, g), -1.0)))
            return -1;
    }
    return 0;
}
static TN_NODE_KIND(AddcdivBackward0, "AddcdivBackward0", addcdiv_backward);

static int rec_addc(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[1]));
    autograd_save(n, 1, AS_TENSOR(a[2]));
    ARG_F(n, 0) = g_scalar(a[3], 1.0);
    return 0;
}

/* clamp with number bounds (ClampBackward1): g where min <= x <= max. With tensor
 * bounds (ClampBackward0) the bounds get the gradient where they were chosen. */
BW(clamp1_backward)
{
    TnTensor *x = SAVED(n, 0);
    if (!x)
        return -1;
    TnTensor *m = g_bin_s(st, BOP_LAND, g_bins(st, BOP_GE, x, ARG_F(n, 0)),
                          g_bins(st, BOP_LE, x, ARG_F(n, 1)));
    gin[0] = g_mask_s(st, m, gout[0]);
    return DONE(0);
}

BW(clamp0_backward)
{
    TnTensor *x = SAVED(n, 0), *lo = NULL, *hi = NULL, *g = gout[0];
    if (!x)
        return -1;
    if (n->saved[1].t && !(lo = SAVED(n, 1)))
        return -1;
    if (n->saved[2].t && !(hi = SAVED(n, 2)))
        return -1;
    TnTensor *in_lo = lo ? g_bin(st, BOP_GE, x, lo) : g_bins(st, BOP_GE, x, ARG_F(n, 0));
    TnTensor *in_hi = hi ? g_bin(st, BOP_LE, x, hi) : g_bins(st, BOP_LE, x, ARG_F(n, 1));
    if (NEEDS(n, 0))
        gin[0] = g_mask_s(st, g_bin(st, BOP_LAND, in_lo, in_hi), g);
    if (lo && NEEDS(n, 1))
        gin[1] = g_mask_s(st, g_un(st, UN_LNOT, in_lo), g);
    if (hi && NEEDS(n, 2))
        gin[2] = g_mask_s(st, g_un(st, UN_LNOT, in_hi), g);
    tn_obj_decref(in_lo);
    tn_obj_decref(in_hi);
    for (int i = 0; i < 3; i++)
        if (NEEDS(n, i) && !gin[i] && (i == 0 || (i == 1 ? lo : hi)))
            return -1;
    return 0;
}
static TN_NODE_KIND(ClampBackward1, "ClampBackward1", clamp1_backward);
static TN_NODE_KIND(ClampBackward0, "ClampBackward0", clamp0_backward);

static int rec_clamp(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    ARG_F(n, 0) = g_scalar(a[1], -INFINITY);
    ARG_F(n, 1) = g_scalar(a[2], INFINITY);
    if (!IS_TENSOR(a[1]) && !IS_TENSOR(a[2]))
        return 0;
    for (int i = 1; i < 3; i++)
        if (IS_TENSOR(a[i]))
            autograd_save(n, i, AS_TENSOR(a[i]));
    return autograd_node_set_kind(st, n, &ClampBackward0);
}

/* clamp_min / clamp_max: clamp's formulas under their own names (…Backward0 for a
 * number bound, …Backward1 for a tensor one). */
BW(clamp_bound_backward);
static TN_NODE_KIND(ClampMinBackward0, "ClampMinBackward0", clamp1_backward);
static TN_NODE_KIND(ClampMaxBackward0, "ClampMaxBackward0", clamp1_backward);
static TN_NODE_KIND(ClampMinBackward1, "ClampMinBackward1", clamp_bound_backward);
static TN_NODE_KIND(ClampMaxBackward1, "ClampMaxBackward1", clamp_bound_backward);

/* a tensor bound (saved[1]): x keeps g where it is within it, the bound takes the rest */
BW(clamp_bound_backward)
{
    TnTensor *x = SAVED(n, 0), *b = x ? SAVED(n, 1) : NULL;
    if (!b)
        return -1;
    bool upper = NODE_KIND(n) == &ClampMaxBackward1;
    TnTensor *in = g_bin(st, upper ? BOP_LE : BOP_GE, x, b);
    if (NEEDS(n, 0) && !(gin[0] = g_mask_s(st, g_ref(in), gout[0]))) {
        tn_obj_decref(in);
        return -1;
    }
    if (NEEDS(n, 1))
        gin[1] = g_mask_s(st, g_un(st, UN_LNOT, in), gout[0]);
    tn_obj_decref(in);
    return NEEDS(n, 1) && !gin[1] ? -1 : 0;
}

static int rec_clamp_one(TnState *st, TnGradFn *n, const TnValue *a, TnValue r, bool upper)
{
    autograd_save(n, 0, AS_TENSOR(a[0]));
    if (IS_TENSOR(a[1])) {
        autograd_save(n, 1, AS_TENSOR(a[1]));
        return autograd_node_set_kind(st, n, upper ? &ClampMaxBackward1 : &ClampMinBackward1);
    }
    ARG_F(n, 0) = upper ? -INFINITY : g_scalar(a[1], -INFINITY);
    ARG_F(n, 1) = upper ? g_scalar(a[1], INFINITY) : INFINITY;
    return upper ? autograd_node_set_kind(st, n, &ClampMaxBackward0) : 0;
}
static int rec_clamp_min(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_clamp_one(st, n, a, r, false);
}
static int rec_clamp_max(TnState *st, TnGradFn *n, const TnValue *a, TnValue r)
{
    return rec_clamp_one(st, n, a, r, true);
}

/* ------------------------------------------------------------------ unary */
/* v is the saved input or result (see the row), g the incoming gradient. */
#define UNARY_BW(fname, expr)                                                                  \
    BW(fname)                                                                                  \
    {                                                                                          \
        TnTensor *g = gout[0], *v = n->nsaved ? SAVED(n, 0) : NULL;                            \
        if (n->nsaved && !v)                                                                   \
            return -1;                                                                         \
        (void)v;                                                                               \
        gin[0] = (expr);                                                                       \
        return DONE(0);                                                                        \
    }

/* g * f(v) and g / f(v), f built from v (stolen temporaries) */
#define MULF(f) g_bin_s(st, BOP_MUL, g_ref(g), (f))
#define DIVF(f) g_bin_s(st, BOP_DIV, g_ref(g), (f))
#define ONE_MINUS_SQ(t) g_sbin_sq(st, 1.0, t, -1.0)

/* s + k * t^2 */
static TnTensor *g_sbin_sq(TnState *st, double s, TnTensor *t, double k)
{
    TnTensor *sq = g_bin(st, BOP_MUL, t, t);
    sq = g_bins_s(st, BOP_MUL, sq, k);
    return g_bins_s(st, BOP_ADD, sq, s);
}

/* tanh and sigmoid's gradients are ops of their own in PyTorch (tanh_backward(g, y),
 * sigmoid_backward(g, y)), so under create_graph they record one node of those names
 * over (g, y) rather than the products they are made of. */
BW(tanh_backward_backward);
BW(sigmoid_backward_backward);
static TN_NODE_KIND(TanhBackwardBackward0, "TanhBackwardBackward0", tanh_backward_backward);
static TN_NODE_KIND(SigmoidBackwardBackward0, "SigmoidBackwardBackward0",
                    sigmoid_backward_backward);

/* g * (1 - y^2), with 1 - y^2 one FMA as GCC compiles PyTorch's kernel */
static TnTensor *tanh_grad(TnState *st, TnTensor *g, TnTensor *y)
{
    bool graph = g_graph_off();
    TnTensor *r = g_bin(st, BOP_TANH_BW, g, y);
    return g_graph_on(st, graph, r, &TanhBackwardBackward0, g, y);
}

/* (g * (1 - y)) * y, in the order of PyTorch's sigmoid_backward kernel */
static TnTensor *sigmoid_grad(TnState *st, TnTensor *g, TnTensor *y)
{
    bool graph = g_graph_off();
    TnTensor *r = g_bin_s(st, BOP_MUL, MULF(g_sbin(st, BOP_SUB, 1.0, y)), g_ref(y));
    return g_graph_on(st, graph, r, &SigmoidBackwardBackward0, g, y);
}

/* d/dg = gg (1 - y^2), d/dy = -2 gg g y */
BW(tanh_backward_backward)
{
    TnTensor *g = SAVED(n, 0), *y = g ? SAVED(n, 1) : NULL, *gg = gout[0];
    if (!y)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = tanh_grad(st, gg, y)))
        return -1;
    if (NEEDS(n, 1)) {
        TnTensor *p = g_bin_s(st, BOP_MUL, g_bin(st, BOP_MUL, gg, g), g_ref(y));
        gin[1] = g_bins_s(st, BOP_MUL, p, -2.0);
        return DONE(1);
    }
    return 0;
}

/* d/dg = gg y (1 - y), d/dy = gg g (1 - 2y) */
BW(sigmoid_backward_backward)
{
    TnTensor *g = SAVED(n, 0), *y = g ? SAVED(n, 1) : NULL, *gg = gout[0];
    if (!y)
        return -1;
    if (NEEDS(n, 0) && !(gin[0] = sigmoid_grad(st, gg, y)))
        return -1;
    if (NEEDS(n, 1)) {
        TnTensor *d = g_bins_s(st, BOP_ADD, g_bins(st, BOP_MUL, y, -2.0), 1.0);
        gin[1] = g_bin_s(st, BOP_MUL, g_bin(st, BOP_MUL, gg, g), d);
        return DONE(1);
    }
    return 0;
}

UNARY_BW(neg_backward, g_un(st, UN_NEG, g))
UNARY_BW(abs_backward, MULF(g_un(st, UN_SGN, v)))
UNARY_BW(zeros_backward, tensor_zeros(st, g->dtype, g->ndim, g->sizes))
UNARY_BW(pass_backward, g_ref(g))
UNARY_BW(square_backward, MULF(g_bins(st, BOP_MUL, v, 2.0)))
UNARY_BW(relu_backward, g_mask_s(st, g_bins(st, BOP_GT, v, 0.0), g))
UNARY_BW(reciprocal_backward, MULF(g_un_s(st, UN_NEG, g_bin(st, BOP_MUL, v, v))))
UNARY_BW(exp_backward, g_bin(st, BOP_MUL, g, v))
UNARY_BW(exp2_backward, MULF(g_bins(st, BOP_MUL, v, M_LN2)))
UNARY_BW(expm1_backward, MULF(g_bins(st, BOP_ADD, v, 1.0)))
UNARY_BW(log_backward, g_bin(st, BOP_DIV, g, v))
UNARY_BW(log2_backward, DIVF(g_bins(st, BOP_MUL, v, M_LN2)))
UNARY_BW(log10_backward, DIVF(g_bins(st, BOP_MUL, v, M_LN10)))
UNARY_BW(log1p_backward, DIVF(g_bins(st, BOP_ADD, v, 1.0)))
UNARY_BW(sqrt_backward, DIVF(g_bins(st, BOP_MUL, v, 2.0)))
UNARY_BW(rsqrt_backward,
         MULF(g_bins_s(st, BOP_MUL, g_bin_s(st, BOP_MUL, g_bin(st, BOP_MUL, v, v), g_ref(v)), -0.5)))
UNARY_BW(sin_backward, MULF(g_un(st, UN_COS, v)))
UNARY_BW(cos_backward, MULF(g_un_s(st, UN_NEG, g_un(st, UN_SIN, v))))
UNARY_BW(tan_backward, MULF(g_sbin_sq(st, 1.0, v, 1.0)))
UNARY_BW(asin_backward, DIVF(g_un_s(st, UN_SQRT, ONE_MINUS_SQ(v))))
UNARY_BW(acos_backward, g_un_s(st, UN_NEG, DIVF(g_un_s(st, UN_SQRT, ONE_MINUS_SQ(v)))))
UNARY_BW(atan_backward, DIVF(g_sbin_sq(st, 1.0, v, 1.0)))
UNARY_BW(sinh_backward, MULF(g_un(st, UN_COSH, v)))
UNARY_BW(cosh_backward, MULF(g_un(st, UN_SINH, v)))
UNARY_BW(tanh_backward, tanh_grad(st, g, v))
UNARY_BW(asinh_backward, DIVF(g_un_s(st, UN_SQRT, g_sbin_sq(st, 1.0, v, 1.0))))
UNARY_BW(acosh_backward, DIVF(g_un_s(st, UN_SQRT, g_sbin_sq(st, -1.0, v, 1.0))))
UNARY_BW(atanh_backward, DIVF(ONE_MINUS_SQ(v)))
UNARY_BW(sigmoid_backward, sigmoid_grad(st, g, v))
UNARY_BW(nan_to_num_backward, g_mask_s(st, g_un(st, UN_ISFINITE, v), g))
UNARY_BW(erf_backward,
         MULF(g_bins_s(st, BOP_MUL, g_un_s(st, UN_EXP, g_sbin_sq(st, 0.0, v, -1.0)), M_2_SQRTPI)))
UNARY_BW(erfc_backward,
         MULF(g_bins_s(st, BOP_MUL, g_un_s(st, UN_EXP, g_sbin_sq(st, 0.0, v, -1.0)), -M_2_SQRTPI)))

/* Unary rows: (name, node name, formula, what it saves: IN input / OUT result / NO). */
#define UNARY_GRADS(X)                                                                         \
    X(neg, "NegBackward0", neg_backward, NO)                                                   \
    X(abs, "AbsBackward0", abs_backward, IN)                                                   \
    X(sign, "SignBackward0", zeros_backward, NO)                                               \
    X(sgn, "SgnBackward0", zeros_backward, NO)                                                 \
    X(floor, "FloorBackward0", zeros_backward, NO)                                             \
    X(ceil, "CeilBackward0", zeros_backward, NO)                                               \
    X(round, "RoundBackward0", zeros_backward, NO)                                             \
    X(trunc, "TruncBackward0", zeros_backward, NO)                                             \
    X(frac, "FracBackward0", pass_backward, NO)                                                \
    X(square, "PowBackward0", square_backward, IN)                                             \
    X(relu, "ReluBackward0", relu_backward, OUT)                                               \
    X(reciprocal, "ReciprocalBackward0", reciprocal_backward, OUT)                             \
    X(exp, "ExpBackward0", exp_backward, OUT)                                                  \
    X(exp2, "Exp2Backward0", exp2_backward, OUT)                                               \
    X(expm1, "Expm1Backward0", expm1_backward, OUT)                                            \
    X(log, "LogBackward0", log_backward, IN)                                                   \
    X(log2, "Log2Backward0", log2_backward, IN)                                                \
    X(log10, "Log10Backward0", log10_backward, IN)                                             \
    X(log1p, "Log1PBackward0", log1p_backward, IN)                                             \
    X(sqrt, "SqrtBackward0", sqrt_backward, OUT)                                               \
    X(rsqrt, "RsqrtBackward0", rsqrt_backward, OUT)                                            \
    X(sin, "SinBackward0", sin_backward, IN)                                                   \
    X(cos, "CosBackward0", cos_backward, IN)                                                   \
    X(tan, "TanBackward0", tan_backward, OUT)                                                  \
    X(asin, "AsinBackward0", asin_backward, IN)                                                \
    X(acos, "AcosBackward0", acos_backward, IN)                                                \
    X(atan, "AtanBackward0", atan_backward, IN)                                                \
    X(sinh, "SinhBackward0", sinh_backward, IN)                                                \
    X(cosh, "CoshBackward0", cosh_backward, IN)                                                \
    X(tanh, "TanhBackward0", tanh_backward, OUT)                                               \
    X(asinh, "AsinhBackward0", asinh_backward, IN)                                             \
    X(acosh, "AcoshBackward0", acosh_backward, IN)                                             \
    X(atanh, "AtanhBackward0", atanh_backward, IN)                                             \
    X(sigmoid, "SigmoidBackward0", sigmoid_backward, OUT)                                      \
    X(erf, "ErfBackward0", erf_backward, IN)                                                   \
    X(erfc, "ErfcBackward0", erfc_backward, IN)

#define SAVES_NO  0
#define SAVES_IN  1
#define SAVES_OUT 1
#define REC_NO    NULL
#define REC_IN    rec_save_in
#define REC_OUT   rec_save_out
#define FLAG_NO   0
#define FLAG_IN   GR_CLONE_SELF
#define FLAG_OUT  0

#define X(nm, pyname, fn, saves) static TN_NODE_KIND(K_##nm, pyname, fn);
UNARY_GRADS(X)
#undef X

static TN_NODE_KIND(NanToNumBackward0, "NanToNumBackward0", nan_to_num_backward);

static const TnGradRow neg_row = {"neg", 0, "", 1, &K_neg, 0, 0, NULL, 0};
static const TnGradRow add_row = {"add", 0, "", 2, &AddBackward0, 0, 1, rec_alpha, 0};
static const TnGradRow sub_row = {"sub", 0, "", 2, &SubBackward0, 0, 1, rec_alpha, 0};
static const TnGradRow rsub_row = {"rsub", 0, "", 2, &RsubBackward1, 0, 1, rec_alpha, 0};
static const TnGradRow mul_row = {"mul", 0, "", 2, &MulBackward0, 2, 2, rec_mul,
                                  GR_CLONE_SELF};
static const TnGradRow div_row = {"div", 0, "", 2, &DivBackward0, 2, 2, rec_div, GR_CLONE_SELF};
static const TnGradRow pow_row = {"pow", 0, "", 2, &PowBackward0, 3, 2, rec_pow, GR_CLONE_SELF};
static const TnGradRow rem_row = {"remainder", 0, "", 2, &RemainderBackward0, 2, 2, rec_rem,
                                  GR_CLONE_SELF};
static const TnGradRow floordiv_row = {"floor_divide", 0, "", 2, &FloorDivideBackward, 0, 0,
                                       NULL, 0};

const TnGradRow grad_elementwise_rows[] = {
#define X(nm, pyname, fn, saves)                                                               \
    {#nm, GW_TORCH | GW_METHOD | GW_INPLACE, "", 1, &K_##nm, SAVES_##saves, 0, REC_##saves,   \
     FLAG_##saves},
    UNARY_GRADS(X)
#undef X
    {"negative", GW_TORCH | GW_METHOD, "", 1, &K_neg, 0, 0, NULL, 0},
    {"absolute", GW_TORCH | GW_METHOD, "", 1, &K_abs, 1, 0, rec_save_in, 0},
    /* the builtin abs(t) calls Tensor.__abs__ */
    {"__abs__", GW_METHOD, "", 1, &K_abs, 1, 0, rec_save_in, 0},
    {"add", GW_TORCH | GW_METHOD | GW_INPLACE, ",other,alpha", 2, &AddBackward0, 0, 1, rec_alpha,
     0},
    {"sub|subtract", GW_TORCH | GW_METHOD | GW_INPLACE, ",other,alpha", 2, &SubBackward0, 0, 1,
     rec_alpha, 0},
    {"mul|multiply", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &MulBackward0, 2, 2,
     rec_mul, GR_CLONE_SELF},
    {"div|divide|true_divide", GW_TORCH | GW_METHOD | GW_INPLACE, ",other,rounding_mode", 2,
     &DivBackward0, 2, 2, rec_div, GR_CLONE_SELF},
    {"pow", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &PowBackward0, 3, 2, rec_pow,
     GR_CLONE_SELF},
    {"remainder", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &RemainderBackward0, 2, 2,
     rec_rem, GR_CLONE_SELF},
    {"fmod", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &FmodBackward0, 2, 2, rec_fmod,
     GR_CLONE_SELF},
    {"floor_divide", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &FloorDivideBackward, 0, 0,
     NULL, 0},
    {"maximum", GW_TORCH | GW_METHOD, ",other", 2, &grad_MaximumBackward0, 2, 0, rec_both, 0},
    {"minimum", GW_TORCH | GW_METHOD, ",other", 2, &grad_MinimumBackward0, 2, 0, rec_both, 0},
    {"atan2", GW_TORCH | GW_METHOD | GW_INPLACE, ",other", 2, &Atan2Backward0, 2, 0, rec_both,
     GR_CLONE_SELF},
    {"where", GW_TORCH | GW_METHOD, "input|self,other,condition", 2, &WhereBackward0, 1, 0,
     rec_where, 0},
    {"lerp", GW_TORCH | GW_METHOD | GW_INPLACE, ",end,weight", 3, &LerpBackward0, 3, 1, rec_lerp,
     GR_CLONE_SELF},
    {"addcmul", GW_TORCH | GW_METHOD | GW_INPLACE, ",tensor1,tensor2,value", 3,
     &AddcmulBackward0, 2, 1, rec_addc, GR_CLONE_SELF},
    {"addcdiv", GW_TORCH | GW_METHOD | GW_INPLACE, ",tensor1,tensor2,value", 3,
     &AddcdivBackward0, 2, 1, rec_addc, GR_CLONE_SELF},
    {"clamp|clip", GW_TORCH | GW_METHOD | GW_INPLACE, ",min,max", 3, &ClampBackward1, 3, 2,
     rec_clamp, GR_CLONE_SELF},
    {"clamp_min", GW_TORCH | GW_METHOD | GW_INPLACE, ",min", 2, &ClampMinBackward0, 2, 2,
     rec_clamp_min, GR_CLONE_SELF},
    {"clamp_max", GW_TORCH | GW_METHOD | GW_INPLACE, ",max", 2, &ClampMaxBackward0, 2, 2,
     rec_clamp_max, GR_CLONE_SELF},
    {"nan_to_num", GW_TORCH | GW_METHOD | GW_INPLACE, "", 1, &NanToNumBackward0, 1, 0,
     rec_save_in, GR_CLONE_SELF},
    {"zero", GW_INPLACE, "", 1, &ZeroBackward0, 0, 0, NULL, 0},
    {"fill", GW_INPLACE, ",value", 2, &FillBackward2, 0, 0, rec_fill, 0},
    {"copy", GW_INPLACE, ",src", 2, &CopyBackwards, 0, 0, NULL, 0},
    {"normal", GW_INPLACE, "", 1, &NormalBackward0, 0, 0, NULL, 0},
    {"uniform", GW_INPLACE, "", 1, &UniformBackward0, 0, 0, NULL, 0},
    {"bernoulli", GW_INPLACE, ",p?", 2, &BernoulliBackward2, 0, 0, rec_bernoulli, 0},
#define X(c, C) {#c, GW_INPLACE, ",other?", 2, &C##Backward0, 0, 0, rec_##C, 0},
    X(eq, Eq) X(ne, Ne) X(lt, Lt) X(le, Le) X(gt, Gt) X(ge, Ge)
#undef X
    {NULL},
};

const TnGradRow *grad_binop_row(int op, TnValue a, TnValue b)
{
    switch (op) {
    case OP_ADD: return &add_row;
    case OP_SUB: return IS_TENSOR(a) ? &sub_row : &rsub_row;
    case OP_MUL: return &mul_row;
    case OP_TRUEDIV: return &div_row;
    case OP_POW: return &pow_row;
    case OP_MOD: return &rem_row;
    case OP_FLOORDIV: return &floordiv_row;
    case OP_MATMUL: return &grad_matmul_row;
    default: return NULL;
    }
}

const TnGradRow *grad_unop_row(int op)
{
    return op == UOP_NEG ? &neg_row : NULL;
}
