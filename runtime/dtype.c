/* dtype.c: the five dtypes, scalar access, and PyTorch's type promotion rules. */
#include "tensor.h"

const TnDTypeInfo tn_dtype_info[DT_NTYPES] = {
    [DT_BOOL] = {"bool", "Bool", 1},
    [DT_INT32] = {"int32", "Int", 4},
    [DT_INT64] = {"int64", "Long", 8},
    [DT_FLOAT32] = {"float32", "Float", 4},
    [DT_FLOAT64] = {"float64", "Double", 8},
};

/* The enum is ordered so that promotion within and across categories is max(). */
TnDType dtype_promote(TnDType a, TnDType b)
{
    return a > b ? a : b;
}

static int category(TnDType d)
{
    return d == DT_BOOL ? 0 : DT_IS_FLOAT(d) ? 2 : 1;
}

bool dtype_can_cast(TnDType from, TnDType to)
{
    return category(from) <= category(to);
}

TnDType dtype_of_scalar(TnValue s)
{
    return IS_BOOL(s) ? DT_BOOL : IS_INT(s) ? DT_INT64 : DT_DEFAULT;
}

enum { UNDEF = -1 };

static int promote_opt(int a, int b)
{
    if (a == UNDEF)
        return b;
    if (b == UNDEF)
        return a;
    return dtype_promote(a, b);
}

/* c10's combine_categories: the higher-priority class wins unless the lower one
 * is of a higher category (bool < int < float). */
static int combine(int higher, int lower)
{
    if (higher != UNDEF && DT_IS_FLOAT(higher))
        return higher;
    if (higher == DT_BOOL || (lower != UNDEF && DT_IS_FLOAT(lower)))
        return promote_opt(higher, lower);
    return higher != UNDEF ? higher : lower;
}

TnDType dtype_result_type(const TnOperand *ops, int n)
{
    int dim = UNDEF, zero = UNDEF, wrapped = UNDEF;
    for (int i = 0; i < n; i++) {
        if (!ops[i].t)
            wrapped = promote_opt(wrapped, dtype_of_scalar(ops[i].s));
        else if (ops[i].t->ndim == 0)
            zero = promote_opt(zero, ops[i].t->dtype);
        else
            dim = promote_opt(dim, ops[i].t->dtype);
    }
    int r = combine(dim, combine(zero, wrapped));
    return r == UNDEF ? DT_DEFAULT : (TnDType)r;
}

double dtype_get_f(TnDType dt, const void *p)
{
    switch (dt) {
    case DT_BOOL: return *(const uint8_t *)p != 0;
    case DT_INT32: return *(const int32_t *)p;
    case DT_INT64: return (double)*(const int64_t *)p;
    case DT_FLOAT32: return *(const float *)p;
    default: return *(const double *)p;
    }
}

/* Float to int conversion as PyTorch does it on x86 (truncation; out of range
 * values become INT64_MIN, like cvttsd2si), without undefined behaviour. */
static int64_t f2i(double v)
{
    if (v != v || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

int64_t dtype_get_i(TnDType dt, const void *p)
{
    switch (dt) {
    case DT_BOOL: return *(const uint8_t *)p != 0;
    case DT_INT32: return *(const int32_t *)p;
    case DT_INT64: return *(const int64_t *)p;
    case DT_FLOAT32: return f2i(*(const float *)p);
    default: return f2i(*(const double *)p);
    }
}

TnValue dtype_get_value(TnDType dt, const void *p)
{
    switch (dt) {
    case DT_BOOL: return tn_bool(*(const uint8_t *)p != 0);
    case DT_INT32: return tn_int(*(const int32_t *)p);
    case DT_INT64: return tn_int(*(const int64_t *)p);
    case DT_FLOAT32: return tn_float(*(const float *)p);
    default: return tn_float(*(const double *)p);
    }
}

void dtype_set(TnDType dt, void *p, TnValue v)
{
    bool isf = IS_FLOAT(v);
    double f = isf ? v.u.f : (double)v.u.i;
    switch (dt) {
    case DT_BOOL: *(bool *)p = isf ? f != 0 : v.u.i != 0; break;
    case DT_INT32: /* out of range: INT32_MIN, as the 32-bit cvttsd2si gives */
        *(int32_t *)p = isf ? (f > -2147483649.0 && f < 2147483648.0 ? (int32_t)f : INT32_MIN)
                            : (int32_t)v.u.i;
        break;
    case DT_INT64: *(int64_t *)p = isf ? f2i(f) : v.u.i; break;
    case DT_FLOAT32: *(float *)p = (float)f; break;
    default: *(double *)p = f; break;
    }
}
