/* gc.c: the cycle collector, which frees groups of objects that refer to each other
 * but that nothing else refers to (a list containing itself, a hook closure that
 * captures its module). Reference counting frees everything else.
 *
 * Every object of a type with a traverse slot (lists, dicts, instances, functions,
 * cells, modules, tensors, ...) is allocated with a small header in front of it that
 * links it into one list of tracked objects. A collection is CPython's trial deletion:
 *   1. copy each tracked object's refcount into its header;
 *   2. traverse every tracked object and subtract one from each tracked object it
 *      refers to: what remains counts the references from outside the tracked
 *      objects (locals of running frames, C globals, strings, ...);
 *   3. every object with a count left is reachable, and so is everything it refers
 *      to, transitively; the others are garbage;
 *   4. hold a reference to each garbage object, clear them (each drops the
 *      references its clear slot breaks), then release the held references, which
 *      frees them.
 * A traverse slot must report exactly the references its object owns (counted in the
 * target's refcount); a reference it does not report only makes its target look
 * externally referenced, which is safe. tn has no __del__, so clearing never runs
 * user code.
 *
 * Collections run when a tracked object has just been allocated (it holds nothing
 * yet and survives) and the tracked allocations net of frees since the last
 * collection pass a threshold that grows with the number of survivors: a program
 * that makes no cycles frees what it allocates and never collects, and the work of a
 * collection is paid for by as many new allocations as there are objects to scan.
 */
#include "types.h"
#include <stdio.h>
#include <stdlib.h>

/* The header in front of every tracked object. prev == NULL: not (or no longer)
 * tracked. Objects hold nothing aligned beyond 8 bytes, so three words suffice. */
typedef struct GCHead {
    struct GCHead *next, *prev;
    int64_t refs; /* during a collection: references from outside the tracked set */
} GCHead;

_Static_assert(sizeof(GCHead) == TN_GC_HEAD_SIZE, "tn_alloc_object reserves TN_GC_HEAD_SIZE");

#define HEAD(o) ((GCHead *)(void *)(o) - 1)
#define OBJ(g)  ((TnObject *)(void *)((g) + 1))
/* refs of an object found unreachable so far (moved to the unreachable list) */
#define TENTATIVE INT64_MIN
/* Fewest net allocations between collections: small programs never collect. */
#define GC_MIN 10000

static GCHead tracked = {&tracked, &tracked, 0};
static int64_t ntracked;   /* objects in `tracked` */
static int64_t net;        /* tracked allocations minus untracks since the last collection */
static int64_t threshold = GC_MIN;
static bool collecting;
/* TN_GC_STRESS=N: collect after every N tracked allocations, freed or not (a test mode
 * that makes any traverse slot reporting a reference it does not own show up fast). */
static int64_t stress;
static int64_t stats_collections, stats_freed;

static void gc_list_remove(GCHead *g)
{
    g->prev->next = g->next;
    g->next->prev = g->prev;
}

static void gc_list_append(GCHead *g, GCHead *list)
{
    g->prev = list->prev;
    g->next = list;
    list->prev->next = g;
    list->prev = g;
}

static void gc_list_move(GCHead *g, GCHead *list)
{
    gc_list_remove(g);
    gc_list_append(g, list);
}

static bool is_tracked(const TnObject *o)
{
    return tn_gc_is(o) && HEAD(o)->prev;
}

void *tn_gc_calloc(size_t size)
{
    GCHead *g = tn_calloc(1, sizeof(GCHead) + size);
    return g ? OBJ(g) : NULL;
}

void tn_gc_track(TnObject *o)
{
    gc_list_append(HEAD(o), &tracked);
    ntracked++;
    if (TN_UNLIKELY(++net > threshold))
        (void)tn_gc_collect();
}

void tn_gc_untrack(TnObject *o)
{
    GCHead *g = HEAD(o);
    if (!g->prev)
        return;
    gc_list_remove(g);
    g->prev = g->next = NULL;
    ntracked--;
    if (!stress)
        net--;
}

void tn_free_object(void *o)
{
    if (!tn_gc_is(o)) {
        tn_free(o);
        return;
    }
    tn_gc_untrack(o); /* error paths free objects that never went through a decref */
    tn_free(HEAD(o));
}

/* Every reference o holds: its class (instances of classes own one), then its slot. */
static void traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnType *t = o->type;
    if (t->flags & TN_TYPE_HEAP)
        visit(&t->head, arg);
    t->traverse(o, visit, arg);
}

static void visit_decref(TnObject *o, void *arg)
{
    (void)arg;
    if (is_tracked(o))
        HEAD(o)->refs--;
}

/* o is referred to by a reachable object: it is reachable too. One still to be
 * scanned is marked; one already moved to the unreachable list comes back to the
 * end of the tracked list, where the scan in collect() will reach it. */
static void visit_reachable(TnObject *o, void *arg)
{
    (void)arg;
    if (!is_tracked(o))
        return;
    GCHead *g = HEAD(o);
    if (g->refs == TENTATIVE) {
        gc_list_move(g, &tracked);
        g->refs = 1;
    } else if (g->refs == 0) {
        g->refs = 1;
    }
}

/* Moves the garbage to `unreachable`; what stays in `tracked` is reachable. */
static void find_unreachable(GCHead *unreachable)
{
    for (GCHead *g = tracked.next; g != &tracked; g = g->next)
        g->refs = OBJ(g)->refcnt;
    for (GCHead *g = tracked.next; g != &tracked; g = g->next)
        traverse(OBJ(g), visit_decref, NULL);
    GCHead *g = tracked.next;
    while (g != &tracked) {
        GCHead *next;
        /* a negative count would mean a traverse slot reported a reference it does
         * not own: keep such an object, which is always safe */
        if (g->refs != 0) {
            traverse(OBJ(g), visit_reachable, NULL);
            next = g->next; /* read after: the scan may have appended objects */
        } else {
            next = g->next;
            gc_list_move(g, unreachable);
            g->refs = TENTATIVE;
        }
        g = next;
    }
}

/* Breaks the cycles among the garbage and frees it. The references held during
 * clearing keep every garbage object alive (and the list intact) until all of them
 * have dropped their references. */
static int64_t free_garbage(GCHead *unreachable)
{
    int64_t n = 0;
    for (GCHead *g = unreachable->next; g != unreachable; g = g->next) {
        tn_obj_incref(OBJ(g));
        n++;
    }
    for (GCHead *g = unreachable->next; g != unreachable; g = g->next) {
        TnObject *o = OBJ(g);
        if (o->type->clear)
            o->type->clear(o);
    }
    while (unreachable->next != unreachable) {
        GCHead *g = unreachable->next;
        gc_list_move(g, &tracked); /* an object that survives stays tracked */
        tn_obj_decref(OBJ(g));
    }
    return n;
}

int64_t tn_gc_collect(void)
{
    if (collecting)
        return 0;
    collecting = true;
    GCHead unreachable = {&unreachable, &unreachable, 0};
    find_unreachable(&unreachable);
    int64_t n = free_garbage(&unreachable);
    stats_collections++;
    stats_freed += n;
    threshold = stress ? stress : ntracked > GC_MIN ? ntracked : GC_MIN;
    net = 0;
    collecting = false;
    return n;
}

static void print_stats(void)
{
    fprintf(stderr, "tn: gc: %lld collections, %lld objects freed, %lld tracked\n",
            (long long)stats_collections, (long long)stats_freed, (long long)ntracked);
}

/* Called once at start-up, before any object is made. */
void tn_gc_init(void)
{
    const char *s = getenv("TN_GC_STATS");
    if (s && *s && *s != '0')
        atexit(print_stats);
    s = getenv("TN_GC_STRESS");
    if (s && *s && atoll(s) > 0)
        threshold = stress = atoll(s);
}
