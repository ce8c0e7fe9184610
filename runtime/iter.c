/* iter.c: strided N-d iteration, broadcasting, coalescing and the two-thread split. */
#include "iter.h"
#include "kernels.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void iter_init(TnIter *it, int nops, int ndim, const int64_t *sizes)
{
    it->nops = nops;
    it->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        it->sizes[d] = sizes[d];
}

void iter_operand(TnIter *it, int k, char *base, int nd, const int64_t *sz, const int64_t *strides,
                  int elsize)
{
    it->base[k] = base;
    int lead = it->ndim - nd;
    for (int d = 0; d < it->ndim; d++) {
        int j = d - lead;
        if (j < 0 || sz[j] == 1)
            it->strides[k][d] = 0;
        else
            it->strides[k][d] = strides[j] * elsize;
    }
}

int64_t iter_numel(const TnIter *it)
{
    int64_t n = 1;
    for (int d = 0; d < it->ndim; d++)
        n *= it->sizes[d];
    return n;
}

void iter_coalesce(TnIter *it)
{
    if (iter_numel(it) == 0)
        return;
    /* drop size-1 dims */
    int nd = 0;
    for (int d = 0; d < it->ndim; d++) {
        if (it->sizes[d] == 1)
            continue;
        it->sizes[nd] = it->sizes[d];
        for (int k = 0; k < it->nops; k++)
            it->strides[k][nd] = it->strides[k][d];
        nd++;
    }
    it->ndim = nd;
    if (nd <= 1)
        return;
    /* merge dim d into the kept dim above it when the pair walks memory as one */
    int out = 0;
    for (int d = 1; d < nd; d++) {
        bool ok = true;
        for (int k = 0; k < it->nops && ok; k++)
            ok = it->strides[k][out] == it->strides[k][d] * it->sizes[d];
        if (ok) {
            it->sizes[out] *= it->sizes[d];
            for (int k = 0; k < it->nops; k++)
                it->strides[k][out] = it->strides[k][d];
        } else {
            out++;
            it->sizes[out] = it->sizes[d];
            for (int k = 0; k < it->nops; k++)
                it->strides[k][out] = it->strides[k][d];
        }
    }
    it->ndim = out + 1;
}

/* Runs rows covering the flat element range [begin, end). */
static void run_range(const TnIter *it, TnLoopFn fn, void *ctx, int64_t begin, int64_t end)
{
    int nd = it->ndim, last = nd - 1;
    int64_t idx[ITER_MAX_DIMS];
    int64_t rem = begin;
    for (int d = last; d >= 0; d--) {
        idx[d] = rem % it->sizes[d];
        rem /= it->sizes[d];
    }
    int64_t s[ITER_MAX_OPS];
    for (int k = 0; k < it->nops; k++)
        s[k] = it->strides[k][last];
    while (begin < end) {
        int64_t n = it->sizes[last] - idx[last];
        if (n > end - begin)
            n = end - begin;
        char *p[ITER_MAX_OPS];
        for (int k = 0; k < it->nops; k++) {
            char *q = it->base[k];
            for (int d = 0; d < nd; d++)
                q += idx[d] * it->strides[k][d];
            p[k] = q;
        }
        fn(p, s, n, ctx);
        begin += n;
        idx[last] += n;
        for (int d = last; d > 0 && idx[d] >= it->sizes[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
        }
    }
}

typedef struct {
    const TnIter *it;
    TnLoopFn fn;
    void *ctx;
} IterJob;

static void iter_range(void *ctx, int64_t begin, int64_t end)
{
    IterJob *j = ctx;
    run_range(j->it, j->fn, j->ctx, begin, end);
}

void iter_run(TnIter *it, TnLoopFn fn, void *ctx, bool parallel)
{
    int64_t n = iter_numel(it);
    if (n == 0)
        return;
    if (it->ndim == 0) {
        int64_t s[ITER_MAX_OPS] = {0};
        fn(it->base, s, 1, ctx);
        return;
    }
    if (!parallel || n < ITER_PARALLEL_GRAIN) {
        run_range(it, fn, ctx, 0, n);
        return;
    }
    IterJob job = {it, fn, ctx};
    parallel_for(n, ITER_PARALLEL_GRAIN, iter_range, &job);
}

/* ------------------------------------------------------------ stoppable runs */
volatile sig_atomic_t *iter_stop_flag;

typedef struct {
    TnRangeFn fn;
    void *ctx;
    int64_t chunk;
} Stoppable;

/* fn over [begin, end) a chunk at a time, until the stop flag is seen; each thread of a
 * parallel run checks it itself, so both halves stop. */
static void stoppable_range(void *ctx, int64_t begin, int64_t end)
{
    const Stoppable *s = ctx;
    while (begin < end && !*iter_stop_flag) {
        int64_t e = end - begin > s->chunk ? begin + s->chunk : end;
        s->fn(s->ctx, begin, e);
        begin = e;
    }
}

/* Runs fn over [0, n) in chunks of `chunk`; threads as parallel_for with `grain`. */
static bool run_stoppable(int64_t n, int64_t grain, int64_t chunk, TnRangeFn fn, void *ctx)
{
    if (!iter_stop_flag || n <= chunk) {
        if (grain < INT64_MAX)
            parallel_for(n, grain, fn, ctx);
        else if (n > 0)
            fn(ctx, 0, n);
        return true;
    }
    Stoppable s = {fn, ctx, chunk};
    if (grain < INT64_MAX)
        parallel_for(n, grain, stoppable_range, &s);
    else
        stoppable_range(&s, 0, n);
    return !*iter_stop_flag;
}

static int64_t chunk_of(int64_t grain)
{
    return grain > INT64_MAX / ITER_STOP_CHUNK ? INT64_MAX : grain * ITER_STOP_CHUNK;
}

bool parallel_for_stoppable(int64_t n, int64_t grain, TnRangeFn fn, void *ctx)
{
    return run_stoppable(n, grain, chunk_of(grain), fn, ctx);
}

bool iter_run_stoppable(TnIter *it, TnLoopFn fn, void *ctx, bool parallel)
{
    int64_t n = iter_numel(it), chunk = chunk_of(ITER_PARALLEL_GRAIN);
    if (it->ndim == 0 || n <= chunk) {
        iter_run(it, fn, ctx, parallel);
        return true;
    }
    IterJob job = {it, fn, ctx};
    return run_stoppable(n, parallel ? ITER_PARALLEL_GRAIN : INT64_MAX, chunk, iter_range, &job);
}

/* ------------------------------------------------------ blocked 2-D order */
#define BLOCK 32 /* 32 x 32 floats: a block of each operand fits in L1 */

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Byte range [lo, hi) operand k may touch (hi padded by an element of up to 16 bytes). */
static void operand_span(const TnIter *it, int k, uintptr_t *lo, uintptr_t *hi)
{
    intptr_t a = 0, b = 0;
    for (int d = 0; d < it->ndim; d++) {
        intptr_t e = (intptr_t)((it->sizes[d] - 1) * it->strides[k][d]);
        if (e < 0)
            a += e;
        else
            b += e;
    }
    *lo = (uintptr_t)(it->base[k] + a);
    *hi = (uintptr_t)(it->base[k] + b) + 16;
}

/* Worth blocking: 2-D, output rows contiguous-ish, no input overlapping the output other than
 * the output itself, and some input stepping further along the output's rows than down its
 * columns. */
static bool wants_blocks(const TnIter *it)
{
    if (it->ndim != 2 || it->sizes[0] < BLOCK || it->sizes[1] < BLOCK ||
        abs64(it->strides[0][1]) > abs64(it->strides[0][0]))
        return false;
    uintptr_t olo, ohi;
    operand_span(it, 0, &olo, &ohi);
    bool across = false;
    for (int k = 1; k < it->nops; k++) {
        uintptr_t lo, hi;
        operand_span(it, k, &lo, &hi);
        bool same = it->base[k] == it->base[0] && it->strides[k][0] == it->strides[0][0] &&
                    it->strides[k][1] == it->strides[0][1]; /* in place: reads what it writes */
        if (!same && lo < ohi && olo < hi)
            return false;
        across |= abs64(it->strides[k][1]) > abs64(it->strides[k][0]) && it->strides[k][0] != 0;
    }
    return across;
}

typedef struct {
    const TnIter *it;
    TnLoopFn fn;
    void *ctx;
} BlockJob;

/* An input that walks across the output's rows, with elements of 4 or 8 bytes adjacent down
 * the output's columns (a transposed contiguous tensor): its block is copied into rows first,
 * so the kernel gets contiguous rows and vectorises. Returns the element size, or 0. */
static int64_t packable(const TnIter *it, int k)
{
    int64_t s0 = it->strides[k][0], s1 = it->strides[k][1];
    return k > 0 && (s0 == 4 || s0 == 8) && abs64(s1) > s0 ? s0 : 0;
}

/* Copies the (h x w) block at src (strides s0 = element size down, s1 across) into buf as rows
 * of w: each source column is read in order and spread down a column of buf. */
#define PACK(NAME, T)                                                                          \
    TN_KERNEL static void NAME(char *buf, const char *src, int64_t s1, int64_t h, int64_t w)    \
    {                                                                                          \
        for (int64_t c = 0; c < w; c++) {                                                      \
            const T *sp = (const T *)(src + c * s1);                                           \
            T *dp = (T *)buf + c;                                                              \
            for (int64_t r = 0; r < h; r++, dp += w)                                           \
                *dp = sp[r];                                                                   \
        }                                                                                      \
    }
PACK(pack_4, uint32_t)
PACK(pack_8, uint64_t)

/* Row blocks [begin, end) (of BLOCK rows each), every column block of each. */
static void block_rows(void *ctx, int64_t begin, int64_t end)
{
    BlockJob *j = ctx;
    const TnIter *it = j->it;
    int64_t rows = it->sizes[0], cols = it->sizes[1], s[ITER_MAX_OPS], es[ITER_MAX_OPS];
    _Alignas(32) char buf[ITER_MAX_OPS][BLOCK * BLOCK * 8];
    for (int k = 0; k < it->nops; k++)
        es[k] = packable(it, k);
    for (int64_t i0 = begin * BLOCK; i0 < end * BLOCK && i0 < rows; i0 += BLOCK) {
        int64_t h = rows - i0 < BLOCK ? rows - i0 : BLOCK;
        for (int64_t j0 = 0; j0 < cols; j0 += BLOCK) {
            int64_t w = cols - j0 < BLOCK ? cols - j0 : BLOCK;
            for (int k = 0; k < it->nops; k++) {
                s[k] = es[k] ? es[k] : it->strides[k][1];
                if (es[k])
                    (es[k] == 4 ? pack_4 : pack_8)(
                        buf[k], it->base[k] + i0 * it->strides[k][0] + j0 * it->strides[k][1],
                        it->strides[k][1], h, w);
            }
            for (int64_t i = 0; i < h; i++) {
                char *p[ITER_MAX_OPS];
                for (int k = 0; k < it->nops; k++)
                    p[k] = es[k] ? buf[k] + i * w * es[k]
                                 : it->base[k] + (i0 + i) * it->strides[k][0] + j0 * s[k];
                j->fn(p, s, w, j->ctx);
            }
        }
    }
}

void iter_run_elementwise(TnIter *it, TnLoopFn fn, void *ctx, bool parallel)
{
    if (!wants_blocks(it)) {
        iter_run(it, fn, ctx, parallel);
        return;
    }
    BlockJob job = {it, fn, ctx};
    int64_t nblocks = (it->sizes[0] + BLOCK - 1) / BLOCK;
    int64_t grain = parallel ? ITER_PARALLEL_GRAIN / (BLOCK * it->sizes[1]) + 1 : INT64_MAX;
    parallel_for(nblocks, grain, block_rows, &job);
}

/* ------------------------------------------------------------ thread pool */
/* The machine has two cores, so the pool is one persistent worker; creating a thread per op
 * would cost tens of microseconds, as much as the work it splits. A parallel_for cuts its range
 * into up to 8 chunks that the caller and the worker claim from a shared counter. On a busy
 * machine the worker may wait a whole scheduler tick to run; the caller then claims every chunk
 * itself rather than sit idle waiting for half the work (with fixed halves, a 65536-element add
 * took ~270 us instead of ~10 us under load). The caller closes the job under the mutex and waits
 * only for a chunk the worker is running, so a worker that wakes late never touches a finished
 * job's context. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    bool started, broken;
    bool open;             /* a job is posted and not yet closed by its caller */
    _Atomic bool joined;   /* the worker is running chunks of the open job */
    uint64_t seq;          /* jobs posted so far: the worker joins each one once */
    TnRangeFn fn;
    void *ctx;
    int64_t n, chunk;
    _Atomic int64_t next;  /* the next chunk to claim */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Held by the thread using the pool; a parallel_for nested in a job runs serially. */
static pthread_mutex_t pool_owner = PTHREAD_MUTEX_INITIALIZER;

/* Runs chunks of the posted job until none is left. */
static void run_chunks(void)
{
    int64_t nchunks = (pool.n + pool.chunk - 1) / pool.chunk;
    for (int64_t c; (c = atomic_fetch_add(&pool.next, 1)) < nchunks;) {
        int64_t b = c * pool.chunk;
        pool.fn(pool.ctx, b, b + pool.chunk < pool.n ? b + pool.chunk : pool.n);
    }
}

static void *pool_worker(void *arg)
{
    (void)arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (!pool.open || pool.seq == seen)
            pthread_cond_wait(&pool.wake, &pool.mu);
        seen = pool.seq;
        atomic_store(&pool.joined, true);
        pthread_mutex_unlock(&pool.mu);
        run_chunks();
        pthread_mutex_lock(&pool.mu);
        atomic_store(&pool.joined, false);
        pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/* Starts the worker with every signal blocked (Ctrl-C belongs to the interpreter thread). */
static bool pool_start(void)
{
    if (pool.started || pool.broken)
        return pool.started;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    pool.started = pthread_create(&th, NULL, pool_worker, NULL) == 0;
    pool.broken = !pool.started;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pool.started)
        pthread_detach(th);
    return pool.started;
}

/* Threads for elementwise work: TN_NUM_THREADS=1 turns the pool off; else two when the
 * machine has two CPUs or more. */
static int ncpu(void)
{
    static int n;
    if (!n) {
        const char *e = getenv("TN_NUM_THREADS");
        long c = e && atoi(e) > 0 ? atoi(e) : sysconf(_SC_NPROCESSORS_ONLN);
        n = c < 1 ? 1 : c > 2 ? 2 : (int)c;
    }
    return n;
}

void parallel_for(int64_t n, int64_t grain, TnRangeFn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (n < grain || ncpu() < 2 || pthread_mutex_trylock(&pool_owner) != 0) {
        fn(ctx, 0, n);
        return;
    }
    if (!pool_start()) {
        pthread_mutex_unlock(&pool_owner);
        fn(ctx, 0, n);
        return;
    }
    int64_t chunk = (n + 7) / 8, least = (grain + 1) / 2;
    pthread_mutex_lock(&pool.mu);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = chunk > least ? chunk : least;
    atomic_store(&pool.next, 0);
    pool.seq++;
    pool.open = true;
    pthread_cond_signal(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
    run_chunks();
    for (int spin = 0; spin < 20000 && atomic_load(&pool.joined); spin++)
        cpu_relax();
    pthread_mutex_lock(&pool.mu);
    pool.open = false;
    while (atomic_load(&pool.joined))
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool_owner);
}
