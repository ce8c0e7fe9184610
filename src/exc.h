/* exc.h: exception classes and traceback records (the raise API itself is in object.h). */
#ifndef TN_EXC_H
#define TN_EXC_H

#include "object.h"

/* Creates the built-in exception classes and the preallocated MemoryError. */
TN_MUST_CHECK int exc_init(TnState *st);
/* Adds every exception class to the builtins dict under its name. */
TN_MUST_CHECK int exc_add_builtins(TnState *st, TnDict *builtins);
/* A new exception instance of `type` with args (msg,) — or () if msg is UNDEF. */
TN_MUST_CHECK TnValue exc_new(TnState *st, TnType *type, TnValue msg);
bool exc_is_exception_value(TnValue v);
/* Sets a new exception's args to its constructor's positional arguments, as
 * BaseException.__new__ does, so an __init__ that never calls super() keeps them. */
TN_MUST_CHECK int exc_set_new_args(TnState *st, TnValue exc, const TnValue *args, int nargs);
/* Appends a traceback record to the pending exception (innermost first). */
void exc_add_frame(TnState *st, const char *file, int line, int col, const char *func,
                   const char *srcline, int srclen);
/* Prints a full report of `exc` (traceback, then "Type: message") on stderr. */
void exc_print(TnState *st, TnValue exc);

#endif
