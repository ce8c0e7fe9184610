/* builtins.h: the builtins namespace (print, len, sorted, isinstance, open, ...). */
#ifndef TN_BUILTINS_H
#define TN_BUILTINS_H

#include "object.h"

/* Fills `builtins` with every builtin function, the builtin type objects (int,
 * str, type, enumerate, zip, map, ...), the exception classes, NotImplemented and
 * Ellipsis. Readies the builtin iterator and file types. Returns 0, or -1 with
 * MemoryError pending. */
TN_MUST_CHECK int builtins_init(TnState *st, TnDict *builtins);

/* Optional hook for help(obj) on values the runtime knows better (nn.Module
 * instances: repr and submodules). Returns 1 when it printed the help, 0 to let
 * help() go on, -1 with an exception set. */
extern int (*builtins_help_hook)(TnState *st, TnValue obj);

/* Optional hook giving the local variables of the innermost *function* frame as a
 * new dict (for locals(), vars() and dir() with no argument inside a function).
 * Module and class bodies need no hook. NULL: those calls raise
 * NotImplementedError inside functions. */
extern TnValue (*builtins_locals_hook)(TnState *st);

#endif
