/* value.h: the tn value, unboxed scalars plus refcounted heap objects.
 *
 * A TnValue is 16 bytes passed by value: a tag and a union. None, bool, int
 * (full 64-bit) and float (double) live in the value itself and cost no
 * allocation, which is what makes arithmetic loops fast. Everything else is a
 * pointer to a heap object whose first two fields are the common header: a
 * reference count and a pointer to its type.
 *
 * V_UNDEF is "no value": it marks an error return (the exception is pending
 * in the TnState), an unbound local slot, or an argument that was not given.
 *
 * Ownership: a function returning TnValue returns a new reference unless it
 * says "borrowed". tn_incref/tn_decref are no-ops for unboxed values.
 */
#ifndef TN_VALUE_H
#define TN_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TN_LIKELY(x)   __builtin_expect(!!(x), 1)
#define TN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TN_MUST_CHECK  __attribute__((warn_unused_result))

typedef struct TnObject TnObject;
typedef struct TnType TnType;

typedef enum { V_UNDEF = 0, V_NONE, V_BOOL, V_INT, V_FLOAT, V_OBJ } TnTag;

typedef struct TnValue {
    uint8_t tag;
    union {
        int64_t i; /* V_INT, V_BOOL (0/1) */
        double f;  /* V_FLOAT */
        TnObject *o;
    } u;
} TnValue;

/* Every heap object starts with this header. */
struct TnObject {
    int64_t refcnt;
    TnType *type;
};
#define TN_OBJECT_HEAD TnObject head

#define IS_UNDEF(v) ((v).tag == V_UNDEF)
#define IS_NONE(v)  ((v).tag == V_NONE)
#define IS_BOOL(v)  ((v).tag == V_BOOL)
#define IS_INT(v)   ((v).tag == V_INT)
#define IS_FLOAT(v) ((v).tag == V_FLOAT)
#define IS_OBJ(v)   ((v).tag == V_OBJ)
/* true for int and bool: Python's bool is an int subclass */
#define IS_INTLIKE(v) ((v).tag == V_INT || (v).tag == V_BOOL)
#define IS_NUMBER(v)  ((v).tag == V_INT || (v).tag == V_BOOL || (v).tag == V_FLOAT)

#define AS_INT(v)   ((v).u.i)
#define AS_BOOL(v)  ((v).u.i != 0)
#define AS_FLOAT(v) ((v).u.f)
#define AS_OBJ(v)   ((v).u.o)

static inline TnValue tn_undef(void)
{
    TnValue v = {.tag = V_UNDEF};
    v.u.i = 0;
    return v;
}
static inline TnValue tn_none(void)
{
    TnValue v = {.tag = V_NONE};
    v.u.i = 0;
    return v;
}
static inline TnValue tn_bool(bool b)
{
    TnValue v = {.tag = V_BOOL};
    v.u.i = b ? 1 : 0;
    return v;
}
static inline TnValue tn_int(int64_t i)
{
    TnValue v = {.tag = V_INT};
    v.u.i = i;
    return v;
}
static inline TnValue tn_float(double f)
{
    TnValue v = {.tag = V_FLOAT};
    v.u.f = f;
    return v;
}
/* Wraps an object pointer; steals the reference the caller holds. */
static inline TnValue tn_obj(void *o)
{
    TnValue v = {.tag = V_OBJ};
    v.u.o = (TnObject *)o;
    return v;
}

/* Numeric value as a double (int, bool or float only). */
static inline double tn_num_as_double(TnValue v)
{
    return v.tag == V_FLOAT ? v.u.f : (double)v.u.i;
}

void tn_object_free(TnObject *o); /* calls the type's dealloc; in object.c */

static inline void tn_incref(TnValue v)
{
    if (v.tag == V_OBJ)
        v.u.o->refcnt++;
}
static inline void tn_decref(TnValue v)
{
    if (v.tag == V_OBJ && --v.u.o->refcnt == 0)
        tn_object_free(v.u.o);
}
static inline void tn_obj_incref(void *o)
{
    ((TnObject *)o)->refcnt++;
}
static inline void tn_obj_decref(void *o)
{
    if (o && --((TnObject *)o)->refcnt == 0)
        tn_object_free((TnObject *)o);
}
/* Returns v with one more reference (for "borrowed to new" conversions). */
static inline TnValue tn_ref(TnValue v)
{
    tn_incref(v);
    return v;
}

#endif
