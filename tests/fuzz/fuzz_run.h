/* fuzz_run.h: runs tn source inside a fuzzing process (the eval, einsum and index harnesses).
 *
 * One interpreter serves every input; each input runs in a fresh __main__ namespace that is
 * cleared afterwards. The step budget is a wall-clock one: a timer sets tn_interrupted (what
 * Ctrl-C does) after FUZZ_BUDGET_MS and then every 20 ms, so a loop, a sleep or a polling kernel
 * ends in KeyboardInterrupt — even when the program catches the first one. An input that still
 * runs into libFuzzer's -timeout is an operation Ctrl-C cannot stop, which is a bug too.
 * The process works in a private temporary folder so that generated programs that write files
 * (torch.save, open(..., 'w')) leave nothing behind in the tree.
 */
#ifndef TN_FUZZ_RUN_H
#define TN_FUZZ_RUN_H

#include "eval.h"
#include "types.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FUZZ_BUDGET_MS
#define FUZZ_BUDGET_MS 300
#endif

static timer_t fuzz_timer;

/* SIGRTMIN, not SIGALRM: libFuzzer's own -timeout uses SIGALRM. */
static void fuzz_on_timer(int sig)
{
    (void)sig;
    tn_interrupted = 1;
}

static void fuzz_arm(long first_ms, long every_ms)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = first_ms / 1000;
    its.it_value.tv_nsec = (first_ms % 1000) * 1000000L;
    its.it_interval.tv_sec = every_ms / 1000;
    its.it_interval.tv_nsec = (every_ms % 1000) * 1000000L;
    timer_settime(fuzz_timer, 0, &its, NULL);
}

static char fuzz_dir[] = "/tmp/tn-fuzz.XXXXXX";

/* Removes the private folder and what the programs wrote there. */
static void fuzz_cleanup(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fuzz_dir);
    if (system(cmd) != 0) {
    }
}

static TnState *fuzz_run_state(void)
{
    static TnState *st;
    if (st)
        return st;
    static char name[] = "fuzz";
    char *argv[] = {name, NULL};
    if (!mkdtemp(fuzz_dir) || chdir(fuzz_dir) != 0)
        __builtin_trap();
    atexit(fuzz_cleanup);
    st = tn_init(1, argv);
    if (!st)
        __builtin_trap();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fuzz_on_timer;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGRTMIN, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    if (timer_create(CLOCK_MONOTONIC, &sev, &fuzz_timer) != 0)
        __builtin_trap();
    return st;
}

/* Runs src in a fresh namespace; every outcome but a crash, a sanitizer report or a hang is fine. */
static void fuzz_run_source(const char *src, size_t len)
{
    TnState *st = fuzz_run_state();
    TnDict *g = tn_main_globals(st);
    if (!g) {
        tn_clear_error(st);
        return;
    }
    fuzz_arm(FUZZ_BUDGET_MS, 20);
    (void)tn_run_source(st, src, len, "<fuzz>", g, false, false);
    fuzz_arm(0, 0);
    tn_interrupted = 0;
    tn_clear_error(st);
    /* Functions and classes refer back to their globals: clearing the dict breaks those
     * cycles (what the main program's exit does by keeping the dict alive to the end). */
    dict_clear(g);
    tn_decref(tn_obj(g));
    tn_clear_error(st);
    tn_interrupted = 0;
}

/* Appends to a growable string; the harnesses build programs with it. */
typedef struct FuzzBuf {
    char *p;
    size_t n, cap;
} FuzzBuf;

static void fb_add(FuzzBuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            __builtin_trap();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void fb_puts(FuzzBuf *b, const char *s)
{
    fb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void fb_printf(FuzzBuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        fb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A Python string literal holding the bytes s[0..n) (every byte escaped as \xNN unless plain). */
static void fb_strlit(FuzzBuf *b, const uint8_t *s, size_t n)
{
    fb_puts(b, "'");
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            fb_add(b, (const char *)&c, 1);
        else
            fb_printf(b, "\\x%02x", c);
    }
    fb_puts(b, "'");
}

/* A byte stream the generators draw their choices from; 0 once exhausted. */
typedef struct FuzzIn {
    const uint8_t *d;
    size_t n, i;
} FuzzIn;

static unsigned fz_byte(FuzzIn *in)
{
    return in->i < in->n ? in->d[in->i++] : 0;
}

static unsigned fz_pick(FuzzIn *in, unsigned k)
{
    return k ? fz_byte(in) % k : 0;
}

#endif
