/* modules.h: the predefined namespaces math, time and sys (mod_math.c, mod_time.c, mod_sys.c). */
#ifndef TN_MODULES_H
#define TN_MODULES_H

#include "object.h"

/* Each returns a new namespace object (new reference), or V_UNDEF with
 * MemoryError pending. Called once at start-up. */
TN_MUST_CHECK TnValue mod_math_new(TnState *st);
TN_MUST_CHECK TnValue mod_time_new(TnState *st);
TN_MUST_CHECK TnValue mod_sys_new(TnState *st);

/* Sets sys.argv to the list of argv[0..argc) as str. Returns 0, or -1 with
 * MemoryError pending. */
TN_MUST_CHECK int mod_sys_set_argv(TnState *st, TnValue sys_ns, int argc, char **argv);

/* Sets ns.name to a new str made from text (the namespaces' __doc__ and the
 * like). 0, or -1 with MemoryError pending. */
static inline int mod_set_str(TnState *st, TnValue ns, const char *name, const char *text)
{
    TnValue v = tn_str(st, text);
    if (IS_UNDEF(v))
        return -1;
    TnStr *key = str_intern(name);
    int rc = key ? dict_set_str(st, ns_dict(ns), key, v) : (tn_no_memory(st), -1);
    tn_decref(v);
    return rc;
}

#endif
