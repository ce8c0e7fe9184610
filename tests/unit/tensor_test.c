/* tensor_test.c: the tensor kernels alone (iter.c, k_binary.c, k_unary.c, k_sum.c), without
 * the interpreter: iteration order and coalescing, broadcasting strides, the thread pool, the
 * kernel fast paths against their strided paths, integer division rules, and the exact-order
 * float sums. Run by tensor_run.sh; exits 1 on the first failed check. */
#include "kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
            failures++;                                                                       \
        }                                                                                     \
    } while (0)

/* ------------------------------------------------------------ iteration */
static void test_coalesce(void)
{
    int64_t sz[3] = {2, 3, 4}, st[3] = {12, 4, 1};
    TnIter it;
    iter_init(&it, 1, 3, sz);
    iter_operand(&it, 0, NULL, 3, sz, st, 4);
    iter_coalesce(&it);
    CHECK(it.ndim == 1 && it.sizes[0] == 24 && it.strides[0][0] == 4);

    int64_t tst[3] = {1, 2, 6}; /* a permuted view does not merge */
    iter_init(&it, 1, 3, sz);
    iter_operand(&it, 0, NULL, 3, sz, tst, 4);
    iter_coalesce(&it);
    CHECK(it.ndim == 3);

    int64_t one[3] = {2, 1, 4}, ost[3] = {4, 4, 1}; /* size-1 dims drop out */
    iter_init(&it, 1, 3, one);
    iter_operand(&it, 0, NULL, 3, one, ost, 8);
    iter_coalesce(&it);
    CHECK(it.ndim == 1 && it.sizes[0] == 8 && it.strides[0][0] == 8);
}

static void test_broadcast_strides(void)
{
    int64_t out[2] = {3, 4}, bsz[1] = {4}, bst[1] = {1}, csz[2] = {3, 1}, cst[2] = {1, 1};
    TnIter it;
    iter_init(&it, 3, 2, out);
    iter_operand(&it, 0, NULL, 2, out, (int64_t[]){4, 1}, 4);
    iter_operand(&it, 1, NULL, 1, bsz, bst, 4); /* right-aligned: a row repeated */
    iter_operand(&it, 2, NULL, 2, csz, cst, 4); /* a column repeated */
    CHECK(it.strides[1][0] == 0 && it.strides[1][1] == 4);
    CHECK(it.strides[2][0] == 4 && it.strides[2][1] == 0);
}

/* A loop that records the flat output index of every element it visits. */
static void record_loop(char **p, const int64_t *s, int64_t n, void *ctx)
{
    int *seen = ctx;
    for (int64_t i = 0; i < n; i++)
        seen[*(const int *)(p[1] + i * s[1])]++;
}

static void test_iter_visits_once(void)
{
    enum { N = 300000 }; /* large enough for the two-thread path */
    int *seen = calloc(N, sizeof(int)), *idx = malloc(sizeof(int) * N);
    for (int i = 0; i < N; i++)
        idx[i] = i;
    int64_t sz[2] = {600, 500}, tst[2] = {1, 600};
    TnIter it;
    iter_init(&it, 2, 2, sz);
    iter_operand(&it, 0, NULL, 2, sz, (int64_t[]){500, 1}, 4);
    iter_operand(&it, 1, (char *)idx, 2, sz, tst, 4); /* transposed reads */
    iter_coalesce(&it);
    iter_run(&it, record_loop, seen, false); /* serial: record_loop writes shared counters */
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += seen[i] != 1;
    CHECK(bad == 0);
    free(seen);
    free(idx);
}

typedef struct {
    char *hit;
    int nested_calls;
} RangeCtx;

static void mark_range(void *ctx, int64_t b, int64_t e)
{
    RangeCtx *c = ctx;
    for (int64_t i = b; i < e; i++)
        c->hit[i]++;
}

static void nested_range(void *ctx, int64_t b, int64_t e)
{
    RangeCtx *c = ctx;
    /* a parallel_for inside a job must still cover its range (serially) */
    RangeCtx inner = {c->hit + b, 0};
    parallel_for(e - b, 1, mark_range, &inner);
}

static void test_parallel_for(void)
{
    enum { N = 1 << 20 };
    char *hit = calloc(N, 1);
    RangeCtx c = {hit, 0};
    for (int round = 0; round < 50; round++) /* the pool is reused, never re-created */
        parallel_for(N, 1024, mark_range, &c);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += hit[i] != 50;
    CHECK(bad == 0);
    memset(hit, 0, N);
    parallel_for(N, 1024, nested_range, &c);
    bad = 0;
    for (int i = 0; i < N; i++)
        bad += hit[i] != 1;
    CHECK(bad == 0);
    parallel_for(0, 1, mark_range, &c); /* empty: no call */
    free(hit);
}

/* Stoppable runs: a set flag stops the work between chunks, never mid-chunk or twice. */
static volatile sig_atomic_t stop;

static void mark_then_stop(void *ctx, int64_t b, int64_t e)
{
    mark_range(ctx, b, e);
    stop = 1; /* as a Ctrl-C arriving during the first chunk */
}

static void count_then_stop(char **p, const int64_t *s, int64_t n, void *ctx)
{
    *(int64_t *)ctx += n;
    stop = 1;
}

static void test_stoppable(void)
{
    enum { N = 1 << 22 };
    char *hit = calloc(N, 1);
    RangeCtx c = {hit, 0};
    iter_stop_flag = &stop;
    CHECK(parallel_for_stoppable(N, 1024, mark_range, &c)); /* flag clear: all done */
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += hit[i] != 1;
    CHECK(bad == 0);
    memset(hit, 0, N);
    CHECK(!parallel_for_stoppable(N, 1024, mark_then_stop, &c) && stop);
    int64_t done = 0, twice = 0;
    for (int i = 0; i < N; i++) {
        done += hit[i] != 0;
        twice += hit[i] > 1;
    }
    CHECK(done > 0 && done < N && twice == 0);
    stop = 0;
    TnIter it;
    iter_init(&it, 1, 1, (int64_t[]){N});
    iter_operand(&it, 0, hit, 1, (int64_t[]){N}, (int64_t[]){1}, 1);
    int64_t seen = 0;
    CHECK(!iter_run_stoppable(&it, count_then_stop, &seen, false) && seen > 0 && seen < N);
    iter_stop_flag = NULL; /* no flag: runs to the end */
    seen = 0;
    CHECK(iter_run_stoppable(&it, count_then_stop, &seen, false) && seen == N);
    stop = 0;
    free(hit);
}

/* --------------------------------------------------------------- kernels */
static void run_binary(TnBinaryOp op, int dt, char *o, char *a, char *b, int64_t so, int64_t sa,
                       int64_t sb, int64_t n, TnKernelStatus *ks)
{
    char *p[3] = {o, a, b};
    int64_t s[3] = {so, sa, sb};
    k_binary_loops[op][dt](p, s, n, ks);
}

static void test_binary_paths_agree(void)
{
    enum { N = 37 };
    float a[N], b[N], fast[N], slow[N * 2], bc[N];
    for (int i = 0; i < N; i++) {
        a[i] = (float)i * 0.5f - 3;
        b[i] = (float)(N - i) * 0.25f;
    }
    TnKernelStatus ks = {0};
    /* not pow: as in PyTorch, a contiguous row's pow is Sleef's and a strided row's glibc's */
    static const TnBinaryOp ops[] = {BOP_ADD, BOP_SUB, BOP_MUL, BOP_DIV, BOP_MAXIMUM};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        run_binary(ops[k], K_F32, (char *)fast, (char *)a, (char *)b, 4, 4, 4, N, &ks);
        run_binary(ops[k], K_F32, (char *)slow, (char *)a, (char *)b, 8, 4, 4, N, &ks);
        int bad = 0;
        for (int i = 0; i < N; i++)
            bad += memcmp(&fast[i], &slow[2 * i], 4) != 0;
        CHECK(bad == 0);
    }
    float two = 2;
    run_binary(BOP_MUL, K_F32, (char *)bc, (char *)a, (char *)&two, 4, 4, 0, N, &ks);
    CHECK(bc[7] == a[7] * 2 && bc[N - 1] == a[N - 1] * 2);
    run_binary(BOP_SUB, K_F32, (char *)bc, (char *)&two, (char *)b, 4, 0, 4, N, &ks);
    CHECK(bc[3] == 2 - b[3]);
}

static void test_integer_division(void)
{
    int64_t a[4] = {7, -7, 7, INT64_MIN}, b[4] = {2, 2, -2, -1}, o[4];
    TnKernelStatus ks = {0};
    run_binary(BOP_FLOORDIV, K_I64, (char *)o, (char *)a, (char *)b, 8, 8, 8, 4, &ks);
    CHECK(o[0] == 3 && o[1] == -4 && o[2] == -4 && o[3] == INT64_MIN); /* wraps, no trap */
    run_binary(BOP_REM, K_I64, (char *)o, (char *)a, (char *)b, 8, 8, 8, 4, &ks);
    CHECK(o[0] == 1 && o[1] == 1 && o[2] == -1 && o[3] == 0);
    run_binary(BOP_DIV_TRUNC, K_I64, (char *)o, (char *)a, (char *)b, 8, 8, 8, 3, &ks);
    CHECK(o[0] == 3 && o[1] == -3 && o[2] == -3 && !ks.zero_div);
    int64_t zero = 0;
    run_binary(BOP_FLOORDIV, K_I64, (char *)o, (char *)a, (char *)&zero, 8, 8, 0, 1, &ks);
    CHECK(ks.zero_div);
}

static void test_comparisons_and_unary(void)
{
    double a[3] = {1, NAN, 3}, b[3] = {1, 1, 2};
    bool o[3];
    TnKernelStatus ks = {0};
    run_binary(BOP_EQ, K_F64, (char *)o, (char *)a, (char *)b, 1, 8, 8, 3, &ks);
    CHECK(o[0] && !o[1] && !o[2]);
    run_binary(BOP_MAXIMUM, K_F64, (char *)a, (char *)a, (char *)b, 8, 8, 8, 3, &ks);
    CHECK(a[0] == 1 && isnan(a[1]) && a[2] == 3); /* NaN propagates */
    float x[3] = {-1.5f, 0.25f, 4}, y[3];
    char *p[2] = {(char *)y, (char *)x};
    int64_t s[2] = {4, 4};
    k_unary_loops[UN_ABS][K_F32](p, s, 3, NULL);
    CHECK(y[0] == 1.5f && y[2] == 4);
    CHECK(k_unary_kind[UN_SQRT] == UK_F && k_unary_kind[UN_NEG] == UK_S);
}

/* ------------------------------------------------------------------ sums */
static void sum_dims(int nd, const int64_t *sz, const int64_t *in_st, const int64_t *out_st,
                     char *out, const char *in, bool f64)
{
    KSumDims d = {.ndim = nd};
    for (int k = 0; k < nd; k++) {
        d.sizes[k] = sz[k];
        d.in_strides[k] = in_st[k];
        d.out_strides[k] = out_st[k];
    }
    ksum_run(&d, out, in, f64);
}

static void test_sums(void)
{
    enum { R = 37, C = 41 };
    static float x[R * C];
    double naive = 0;
    for (int i = 0; i < R * C; i++) {
        x[i] = (float)((i * 7919) % 1000) / 64.0f; /* exact in float: sums are exact too */
        naive += x[i];
    }
    float all = 0;
    sum_dims(2, (int64_t[]){R, C}, (int64_t[]){C * 4, 4}, (int64_t[]){0, 0}, (char *)&all,
             (const char *)x, false);
    CHECK(all == (float)naive);

    float rows[R] = {0}, cols[C] = {0};
    sum_dims(2, (int64_t[]){R, C}, (int64_t[]){C * 4, 4}, (int64_t[]){4, 0}, (char *)rows,
             (const char *)x, false); /* sum(1) */
    sum_dims(2, (int64_t[]){R, C}, (int64_t[]){C * 4, 4}, (int64_t[]){0, 4}, (char *)cols,
             (const char *)x, false); /* sum(0) */
    double r5 = 0, c7 = 0;
    for (int j = 0; j < C; j++)
        r5 += x[5 * C + j];
    for (int i = 0; i < R; i++)
        c7 += x[i * C + 7];
    CHECK(rows[5] == (float)r5 && cols[7] == (float)c7);

    /* the output accumulates: a second run doubles it */
    sum_dims(2, (int64_t[]){R, C}, (int64_t[]){C * 4, 4}, (int64_t[]){0, 0}, (char *)&all,
             (const char *)x, false);
    CHECK(all == (float)(2 * naive));

    /* rounding order: 2^24 followed by 4096 ones. A left-to-right float loop would lose every
     * 1; the cascade loses only those added into 2^24's lane before the first level flush.
     * PyTorch 1.13 gives 16781296 for torch.cat([tensor([2.**24]), ones(4096)]).sum(). */
    enum { N = 4097 };
    static float big[N];
    big[0] = 16777216.0f;
    for (int i = 1; i < N; i++)
        big[i] = 1;
    float s = 0;
    sum_dims(1, (int64_t[]){N}, (int64_t[]){4}, (int64_t[]){0}, (char *)&s, (const char *)big,
             false);
    CHECK(s == 16781296.0f);

    double d[5] = {1, 2, 3, 4, 5}, ds = 0;
    sum_dims(1, (int64_t[]){5}, (int64_t[]){8}, (int64_t[]){0}, (char *)&ds, (const char *)d,
             true);
    CHECK(ds == 15);
    float empty = 0;
    sum_dims(1, (int64_t[]){0}, (int64_t[]){4}, (int64_t[]){0}, (char *)&empty,
             (const char *)x, false);
    CHECK(empty == 0);
}

int main(void)
{
    test_coalesce();
    test_broadcast_strides();
    test_iter_visits_once();
    test_parallel_for();
    test_stoppable();
    test_binary_paths_agree();
    test_integer_division();
    test_comparisons_and_unary();
    test_sums();
    if (failures) {
        fprintf(stderr, "tensor_test: %d check(s) failed\n", failures);
        return 1;
    }
    printf("tensor_test: all checks passed\n");
    return 0;
}
