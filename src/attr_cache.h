/* attr_cache.h: inline caches for attribute access and method calls on instances.
 *
 * `o.x` on an instance of a class goes through the generic protocol: look the name up
 * along the class chain (a data descriptor there wins), then in the instance dict,
 * then bind a class attribute. A call site or attribute node remembers, for the type
 * it last saw, that the class has no data descriptor of that name (or, for a method
 * call, which plain function it has) and where the attribute sat in the instance
 * dict, so the common case is a few compares. tn_type_epoch (object.h) changes with
 * any class attribute, so an answer is never used after the classes changed.
 */
#ifndef TN_ATTR_CACHE_H
#define TN_ATTR_CACHE_H

#include "interp.h"
#include "types.h"

/* o.x: true with *out (new reference) when the cache answered; false: use tn_getattr. */
bool attr_cache_get(TnAst *n, TnValue obj, TnValue *out);
/* o.x = v for an attribute the instance already has: true when stored (v is not
 * consumed); false: use tn_setattr. */
bool attr_cache_set(TnAst *n, TnValue obj, TnValue v);
/* o.m(...) at call site n: the class's function to call directly with obj as self,
 * or NULL when the cache cannot tell (then look up as usual, and attr_cache_method_fill). */
TnFunction *attr_cache_method(TnAst *n, TnValue obj);
/* Records that o.m at call site n found the class's function fn, callable directly. */
void attr_cache_method_fill(TnAst *n, TnValue obj, TnFunction *fn);

#endif
