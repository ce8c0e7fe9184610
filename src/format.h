/* format.h: Python's format-spec mini-language, format(), str.format and f-string fields.
 *
 * tn_format(v, spec) is format(v, spec): ints, bools, floats, strs and None are
 * formatted here; other objects through their type's __format__ (user classes,
 * tensors), falling back to object.__format__ (str(v) for an empty spec).
 */
#ifndef TN_FORMAT_H
#define TN_FORMAT_H

#include "object.h"

/* format(v, spec); spec NULL means "". New str or UNDEF (ValueError/TypeError). */
TN_MUST_CHECK TnValue tn_format(TnState *st, TnValue v, TnStr *spec);
/* One f-string replacement field: applies the conversion (0, 'r', 's' or 'a'), then
 * formats with spec (NULL = none). New str or UNDEF. */
TN_MUST_CHECK TnValue tn_format_field(TnState *st, TnValue v, int conversion, TnStr *spec);
/* ascii(v): repr with non-ASCII characters escaped. */
TN_MUST_CHECK TnValue tn_ascii(TnState *st, TnValue v);
/* The `format(value, format_spec='', /)` builtin, as a method-table row. */
extern const TnMethodDef tn_format_builtin_def;
/* str.format(self, /, *args, **kwargs) (a native bound in str's method table). */
TnValue str_format_method(TnState *st, TnValue *a);
/* str.format_map(self, mapping, /) */
TnValue str_format_map(TnState *st, TnValue *a);

#endif
