/* mod_sys.c: the sys namespace: argv, standard streams, exit, recursion limit, version facts. */
#include "exc.h"
#include "fileio.h"
#include "modules.h"
#include <limits.h>
#include <stdio.h>

/* sys.exit(status=None): raise SystemExit(status); SystemExit() without one. */
static TnValue sys_exit(TnState *st, TnValue *a)
{
    TnValue e = exc_new(st, tn_SystemExit, a[0]);
    if (IS_UNDEF(e))
        return e;
    return tn_raise_value(st, e);
}

static TnValue sys_getrecursionlimit(TnState *st, TnValue *a)
{
    return tn_int(st->recursion_limit);
}

static TnValue sys_setrecursionlimit(TnState *st, TnValue *a)
{
    int64_t n;
    if (IS_FLOAT(a[0]))
        return tn_raise(st, tn_TypeError, "'float' object cannot be interpreted as an integer");
    if (tn_as_index(st, a[0], &n, NULL) < 0)
        return tn_undef();
    if (n < 1)
        return tn_raise(st, tn_ValueError, "recursion limit must be greater or equal than 1");
    if (n > INT_MAX)
        return tn_raise(st, tn_OverflowError, "Python int too large to convert to C int");
    if (n <= st->depth)
        return tn_raise(st, tn_RecursionError,
                        "cannot set the recursion limit to %lld at the recursion depth %d: the "
                        "limit is too low",
                        (long long)n, st->depth);
    st->recursion_limit = (int)n;
    return tn_none();
}

static const TnMethodDef sys_defs[] = {
    {"exit",              sys_exit,              "exit(status=?, /)", NULL,
     "Exit the interpreter by raising SystemExit(status)."},
    {"getrecursionlimit", sys_getrecursionlimit, "getrecursionlimit()", NULL,
     "Return the current value of the recursion limit."},
    {"setrecursionlimit", sys_setrecursionlimit, "setrecursionlimit(limit, /)", NULL,
     "Set the maximum depth of the tn call stack to n."},
    {NULL},
};

/* Sets ns.name = v (v is stolen). 0, or -1 with an error pending. */
static int set_attr(TnState *st, TnValue ns, const char *name, TnValue v)
{
    if (IS_UNDEF(v))
        return -1;
    TnStr *key = str_intern(name);
    int rc = key ? dict_set_str(st, ns_dict(ns), key, v) : (tn_no_memory(st), -1);
    tn_decref(v);
    return rc;
}

/* (3, 11, 0, 'final', 0): a plain tuple standing in for Python's named tuple. */
static TnValue version_info(TnState *st)
{
    TnValue level = tn_str(st, "final");
    if (IS_UNDEF(level))
        return level;
    TnValue t = tuple_pack(st, 5, tn_int(3), tn_int(11), tn_int(0), level, tn_int(0));
    tn_decref(level);
    return t;
}


TnValue mod_sys_new(TnState *st)
{
    TnValue ns = ns_new(st, "sys");
    if (IS_UNDEF(ns))
        return ns;
    if (mod_set_str(st, ns, "__doc__",
                    "This module provides access to some objects used or maintained by the\n"
                    "interpreter and to functions that interact strongly with the interpreter.") <
            0 ||
        ns_add_methods(st, ns, sys_defs) < 0 ||
        set_attr(st, ns, "stdout", file_std_new(st, stdout, "<stdout>", "w")) < 0 ||
        set_attr(st, ns, "stderr", file_std_new(st, stderr, "<stderr>", "w")) < 0 ||
        set_attr(st, ns, "stdin", file_std_new(st, stdin, "<stdin>", "r")) < 0 ||
        set_attr(st, ns, "argv", list_new(st, 0)) < 0 ||
        set_attr(st, ns, "path", list_new(st, 0)) < 0 ||
        set_attr(st, ns, "version", tn_str(st, "3.11.0 (tn)")) < 0 ||
        set_attr(st, ns, "version_info", version_info(st)) < 0 ||
        set_attr(st, ns, "platform", tn_str(st, "linux")) < 0 ||
        set_attr(st, ns, "byteorder", tn_str(st, "little")) < 0 ||
        set_attr(st, ns, "executable", tn_str(st, "tn")) < 0 ||
        set_attr(st, ns, "maxsize", tn_int(INT64_MAX)) < 0)
        goto fail;
    return ns;
fail:
    tn_decref(ns);
    return tn_undef();
}

int mod_sys_set_argv(TnState *st, TnValue sys_ns, int argc, char **argv)
{
    TnValue list = list_new(st, 0);
    if (IS_UNDEF(list))
        return -1;
    for (int i = 0; i < argc; i++) {
        TnValue s = tn_str(st, argv[i]);
        if (IS_UNDEF(s) || list_append(st, AS_LIST(list), s) < 0) {
            tn_decref(s);
            tn_decref(list);
            return -1;
        }
        tn_decref(s);
    }
    return set_attr(st, sys_ns, "argv", list);
}
