/* iter.h: strided N-d iteration over up to four operands, with broadcasting,
 * dimension coalescing, a contiguous fast path and two threads for big work.
 *
 * A loop function receives one row at a time: the address of the row's first
 * element for every operand, each operand's byte stride along the row, and the
 * row length. Operand 0 is conventionally the output. Kernels test the strides
 * (all equal to the element size: contiguous; 0: a broadcast scalar) and run a
 * plain loop the compiler can vectorise. This header includes nothing from src/.
 */
#ifndef TN_ITER_H
#define TN_ITER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define ITER_MAX_OPS  4
#define ITER_MAX_DIMS 16

typedef void (*TnLoopFn)(char **p, const int64_t *s, int64_t n, void *ctx);

typedef struct TnIter {
    int nops, ndim;
    int64_t sizes[ITER_MAX_DIMS];
    int64_t strides[ITER_MAX_OPS][ITER_MAX_DIMS]; /* bytes */
    char *base[ITER_MAX_OPS];
} TnIter;

/* Starts an iteration over the shape (ndim, sizes). */
void iter_init(TnIter *it, int nops, int ndim, const int64_t *sizes);
/* Sets operand k: its data, element strides and element size. Its shape is
 * (nd, sz), right-aligned against the iteration shape; size-1 dims broadcast. */
void iter_operand(TnIter *it, int k, char *base, int nd, const int64_t *sz, const int64_t *strides,
                  int elsize);
/* Merges dims that are contiguous for every operand and drops size-1 dims. */
void iter_coalesce(TnIter *it);
int64_t iter_numel(const TnIter *it);
/* Runs fn over every element; uses a second thread when the work is large and
 * `parallel` is set (the loop must then be free of shared writes). */
void iter_run(TnIter *it, TnLoopFn fn, void *ctx, bool parallel);

/* iter_run for loops whose elements are independent (no ctx state that depends on order):
 * a 2-D iteration where an input walks memory across the output's rows (y += x.t(), as
 * gradients of transposed weights arrive) runs in square blocks, so each cache line of that
 * input is used whole instead of once per output row. Operands overlapping the output keep
 * the plain row order, whose result can depend on it. */
void iter_run_elementwise(TnIter *it, TnLoopFn fn, void *ctx, bool parallel);

/* Runs fn(ctx, begin, end) over [0, n), split across two threads when n >= grain. */
typedef void (*TnRangeFn)(void *ctx, int64_t begin, int64_t end);
void parallel_for(int64_t n, int64_t grain, TnRangeFn fn, void *ctx);

/* Stoppable runs, for work whose output is fresh (a half-written result is dropped):
 * the work is cut into chunks of ITER_STOP_CHUNK grains (about a millisecond), and
 * *iter_stop_flag is checked between them. False when the flag was set, so the
 * work may be unfinished; the flag is left for the caller to act on. The
 * interpreter points iter_stop_flag at its Ctrl-C flag; NULL never stops. */
extern volatile sig_atomic_t *iter_stop_flag;
#define ITER_STOP_CHUNK 16
bool iter_run_stoppable(TnIter *it, TnLoopFn fn, void *ctx, bool parallel);
bool parallel_for_stoppable(int64_t n, int64_t grain, TnRangeFn fn, void *ctx);

/* Elements above which an elementwise loop is split across threads. */
#define ITER_PARALLEL_GRAIN 65536

#endif
