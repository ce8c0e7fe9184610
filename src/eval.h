/* eval.h: running tn source: the interpreter's entry points for main, the REPL and import. */
#ifndef TN_EVAL_H
#define TN_EVAL_H

#include "ast.h"
#include "object.h"

/* Creates the interpreter state: builtins, exception types, the predefined
 * namespaces (torch, nn, F, math, time, sys, ...) and the prelude globals.
 * argv becomes sys.argv. Returns NULL if start-up fails (message on stderr). */
TnState *tn_init(int argc, char **argv);
void tn_shutdown(TnState *st);

/* A fresh globals dict for a __main__ module, pre-filled with the prelude
 * (`from torch import *`, builtins win, OrderedDict, math, torch, nn, F ...). */
TnDict *tn_main_globals(TnState *st);

typedef enum {
    TN_RUN_OK = 0,
    TN_RUN_ERROR = 1,      /* an uncaught exception; already reported on stderr */
    TN_RUN_INCOMPLETE = 2, /* source ended inside a statement (REPL: read more) */
    TN_RUN_SYNTAX = 3,     /* syntax error; already reported on stderr */
    TN_RUN_EXIT = 4,       /* exit()/sys.exit() was called; see tn_exit_status */
} TnRunResult;

/* Parses and runs `src` (len bytes) in `globals`. With echo set, the value of
 * every top-level expression statement that is not None is printed with repr
 * and stored in `_` (REPL/piped mode). With report_incomplete set, input that
 * ends inside a statement returns TN_RUN_INCOMPLETE without reporting anything.
 * Uncaught errors are printed as a traceback on stderr. */
TnRunResult tn_run_source(TnState *st, const char *src, size_t len, const char *filename,
                          TnDict *globals, bool echo, bool report_incomplete);

/* Only parses: TN_RUN_OK, TN_RUN_INCOMPLETE or TN_RUN_SYNTAX (reported unless
 * report_errors is false). Used by the REPL to decide whether to read more lines. */
TnRunResult tn_check_source(TnState *st, const char *src, size_t len, const char *filename,
                            bool report_errors);

/* Status requested by exit()/sys.exit() after TN_RUN_EXIT. */
extern int tn_exit_status;

/* Prints the pending exception as a traceback on stderr and clears it. */
void tn_report_error(TnState *st);

/* Attribute names of a value for dir() and Tab completion: a new list of str. */
TN_MUST_CHECK TnValue tn_dir(TnState *st, TnValue obj);

#endif
