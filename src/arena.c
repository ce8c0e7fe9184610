/* arena.c: per-chunk bump allocator holding a parsed chunk's nodes, strings and source. */
#include "ast.h"
#include <stdlib.h>
#include <string.h>

/* Nodes are small and numerous, so blocks are large; a request bigger than a
 * block gets a block of its own (a 10 MB string literal must not fail). */
#define BLOCK_SIZE (64 * 1024)
#define ALIGN      16

struct TnArenaBlock {
    struct TnArenaBlock *next;
    size_t used, cap;
    _Alignas(ALIGN) unsigned char data[];
};

/* Test hook: when > 0, the Nth following arena_alloc fails (simulated OOM).
 * Only tests set it (parse_dump --oom); 0 means never fail. */
long tn_arena_fail_countdown;

static int should_fail(void)
{
    if (tn_arena_fail_countdown <= 0) return 0;
    return --tn_arena_fail_countdown == 0;
}

TnArena *arena_new(const char *source, size_t len, const char *filename)
{
    TnArena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->refcnt = 1;
    a->source = malloc(len + 1);
    a->filename = strdup(filename ? filename : "<string>");
    if (!a->source || !a->filename) {
        free(a->source);
        free(a->filename);
        free(a);
        return NULL;
    }
    if (len) memcpy(a->source, source, len);
    a->source[len] = '\0'; /* the lexer's sentinel */
    a->source_len = len;
    return a;
}

static struct TnArenaBlock *block_new(size_t cap)
{
    struct TnArenaBlock *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

void *arena_alloc(TnArena *a, size_t n)
{
    if (should_fail() || n > SIZE_MAX / 2) return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct TnArenaBlock *b = a->blocks;
    if (!b || b->cap - b->used < n) {
        if (n > BLOCK_SIZE / 4) {
            /* Big request: a private block, linked behind the current one so the
             * current block's free space stays usable. */
            struct TnArenaBlock *big = block_new(n);
            if (!big) return NULL;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                a->blocks = big;
            }
            big->used = n;
            memset(big->data, 0, n);
            return big->data;
        }
        b = block_new(BLOCK_SIZE);
        if (!b) return NULL;
        b->next = a->blocks;
        a->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(TnArena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void arena_incref(TnArena *a)
{
    a->refcnt++;
}

void arena_decref(TnArena *a)
{
    if (!a || --a->refcnt > 0) return;
    struct TnArenaBlock *b = a->blocks;
    while (b) {
        struct TnArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    free(a->source);
    free(a->filename);
    free(a);
}

int nodelist_push(TnArena *a, TnNodeList *l, TnAst *node)
{
    if (l->n == l->cap) {
        /* Grow by copying into the arena; the old array is simply abandoned
         * (doubling keeps the waste below the final size). */
        int cap = l->cap ? l->cap * 2 : 4;
        if (cap < l->cap) /* int overflow */
            return -1;
        TnAst **items = arena_alloc(a, (size_t)cap * sizeof *items);
        if (!items) return -1;
        if (l->n) memcpy(items, l->items, (size_t)l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = node;
    return 0;
}

/* Line ends are "\n", "\r\n" or a lone "\r", as for the lexer. */
static const char *line_end(const char *s, const char *end)
{
    while (s < end && *s != '\n' && *s != '\r')
        s++;
    return s;
}

const char *arena_source_line(TnArena *a, int line, int *len)
{
    const char *s = a->source, *end = a->source + a->source_len;
    for (int i = 1; i < line && s < end; i++) {
        s = line_end(s, end);
        if (s < end) s += (s[0] == '\r' && s + 1 < end && s[1] == '\n') ? 2 : 1;
    }
    if (line < 1 || s >= end) {
        *len = 0;
        return end;
    }
    *len = (int)(line_end(s, end) - s);
    return s;
}
