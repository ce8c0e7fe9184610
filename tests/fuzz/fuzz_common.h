/* fuzz_common.h: one interpreter per fuzzing process, and the check every harness runs on a result. */
#ifndef TN_FUZZ_COMMON_H
#define TN_FUZZ_COMMON_H

#include "io.h"
#include "ndarray.h"

TnState *tn_init(int argc, char **argv);

static TnState *fuzz_state(void)
{
    static TnState *st;
    if (!st) {
        static char name[] = "fuzz";
        char *argv[] = {name, NULL};
        st = tn_init(1, argv);
        if (!st)
            __builtin_trap();
    }
    return st;
}

/* Prints the loaded value (walks every tensor's data), then drops it and any error. */
static void fuzz_consume(TnState *st, TnValue v)
{
    if (IS_UNDEF(v)) {
        tn_clear_error(st);
        return;
    }
    TnValue r = tn_repr(st, v);
    if (IS_UNDEF(r))
        tn_clear_error(st);
    tn_decref(r);
    tn_decref(v);
}

#endif
