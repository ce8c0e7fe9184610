/* mem.c: the allocator every object goes through, with allocation-failure injection.
 *
 * TN_FAIL_ALLOC=N makes the N-th allocation (counting from 1, malloc/calloc/realloc
 * alike) fail; with TN_FAIL_ALLOC_ALL=1 every allocation from the N-th on fails.
 * tests/errors/ uses this to check that running out of memory raises MemoryError
 * instead of crashing (SQLite's fault simulator idea).
 */
#include "object.h"
#include <stdlib.h>

static int64_t fail_at = -2; /* -2: environment not read yet; -1: injection off */
static int fail_all;
static int64_t nalloc;

static void read_env(void)
{
    const char *s = getenv("TN_FAIL_ALLOC");
    fail_at = (s && *s) ? strtoll(s, NULL, 10) : -1;
    if (fail_at <= 0)
        fail_at = -1;
    const char *a = getenv("TN_FAIL_ALLOC_ALL");
    fail_all = a && *a && *a != '0';
}

/* True when this allocation must fail. */
static bool should_fail(void)
{
    if (TN_UNLIKELY(fail_at == -2))
        read_env();
    if (TN_LIKELY(fail_at < 0))
        return false;
    nalloc++;
    return nalloc == fail_at || (fail_all && nalloc > fail_at);
}

void *tn_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *tn_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *tn_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void tn_free(void *p)
{
    free(p);
}

/* Instances of heap types (user classes) keep their class alive: the matching
 * decref is in tn_object_free. */
void *tn_alloc_object(TnState *st, TnType *type, size_t size)
{
    TnObject *o = tn_calloc(1, size);
    if (!o) {
        if (st)
            (void)tn_no_memory(st);
        return NULL;
    }
    o->refcnt = 1;
    o->type = type;
    if (type->flags & TN_TYPE_HEAP)
        type->head.refcnt++;
    return o;
}
