/* mem.c: the allocator every object goes through, with allocation-failure injection.
 *
 * TN_FAIL_ALLOC=N makes the N-th allocation (counting from 1, malloc/calloc/realloc
 * alike) fail; with TN_FAIL_ALLOC_ALL=1 every allocation from the N-th on fails.
 * tests/errors/ uses this to check that running out of memory raises MemoryError
 * instead of crashing (SQLite's fault simulator idea). TN_ALLOC_COUNT=1 prints the number
 * of allocations made to stderr at exit (tests/errors/alloc_sweep.sh sizes its sweep with it).
 *
 * Fuzzing builds (-DTN_FUZZ) fail any single allocation above TN_FUZZ_ALLOC_MAX bytes: a
 * generated program asking for terabytes then meets MemoryError, as on a small machine,
 * instead of tripping libFuzzer's malloc limit.
 */
#include "object.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TN_FUZZ
#define TN_FUZZ_ALLOC_MAX ((size_t)256 << 20)
#define TOO_BIG(n) ((n) > TN_FUZZ_ALLOC_MAX)
#else
#define TOO_BIG(n) false
#endif

/* Under AddressSanitizer a request beyond its maximum (zeros(2**40)) must fail like glibc's
 * malloc does, returning NULL (MemoryError), instead of aborting the process. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

static int64_t fail_at = -2; /* -2: environment not read yet; -1: injection off */
static int fail_all;
static int64_t nalloc;

static void print_count(void)
{
    fprintf(stderr, "tn: %lld allocations\n", (long long)nalloc);
}

static void read_env(void)
{
    const char *s = getenv("TN_FAIL_ALLOC");
    fail_at = (s && *s) ? strtoll(s, NULL, 10) : -1;
    if (fail_at <= 0)
        fail_at = -1;
    const char *c = getenv("TN_ALLOC_COUNT");
    if (c && *c && *c != '0') {
        if (fail_at < 0)
            fail_at = INT64_MAX; /* counts, never fails */
        atexit(print_count);
    }
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

bool tn_recycling_ok(void)
{
#ifdef __SANITIZE_ADDRESS__
    return false;
#else
    if (TN_UNLIKELY(fail_at == -2))
        read_env();
    return fail_at < 0;
#endif
}

void *tn_malloc(size_t n)
{
    if (should_fail() || TOO_BIG(n))
        return NULL;
    return malloc(n ? n : 1);
}

/* glibc's calloc skips its per-thread cache (tcache) and always goes through _int_malloc,
 * about 350 instructions, where a cached malloc plus memset is about 60. Objects, tensor
 * headers and autograd nodes are all small zeroed blocks made and freed at every op, so
 * small requests take the cached way; large ones keep calloc, which can hand out pages the
 * kernel already zeroed. */
#define SMALL_ZEROED 1024

void *tn_calloc(size_t n, size_t size)
{
    if (should_fail() || (size && n > SIZE_MAX / size) || TOO_BIG(n * size))
        return NULL;
    size_t total = (n ? n : 1) * (size ? size : 1);
    if (total > SMALL_ZEROED)
        return calloc(n ? n : 1, size ? size : 1);
    void *p = malloc(total);
    if (!p)
        return NULL;
    /* p escapes here, so the compiler cannot fold malloc + memset back into calloc */
    __asm__ volatile("" : : "r"(p) : "memory");
    return memset(p, 0, total);
}

void *tn_realloc(void *p, size_t n)
{
    if (should_fail() || TOO_BIG(n))
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
    /* tracked objects have the collector's header in front */
    size_t head = type && type->traverse ? TN_GC_HEAD_SIZE : 0;
    char *p = tn_calloc(1, head + size);
    if (!p) {
        if (st)
            (void)tn_no_memory(st);
        return NULL;
    }
    TnObject *o = (TnObject *)(p + head);
    o->refcnt = 1;
    o->type = type;
    if (type && (type->flags & TN_TYPE_HEAP))
        type->head.refcnt++;
    if (head)
        tn_gc_track(o); /* last: a collection it starts sees a complete, empty object */
    return o;
}
