/* plot.c: REPL comforts beyond PyTorch — plot() draws a line chart in Unicode braille,
 * progress() wraps an iterable with a progress bar on stderr (only on a terminal). */
#include "plot.h"
#include "types.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Columns of the terminal on fd, else $COLUMNS, else 80. */
static int terminal_columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int n = env ? atoi(env) : 0;
    return n > 0 ? n : 80;
}

/* ------------------------------------------------------------------ plot */

/* Collects the values to draw as doubles (any iterable of numbers or 0-d tensors,
 * e.g. a list of losses or a 1-D tensor). */
static int collect(TnState *st, TnValue values, double **out, int64_t *n)
{
    TnValue list = list_from_iterable(st, values);
    if (IS_UNDEF(list))
        return -1;
    TnList *l = AS_LIST(list);
    double *v = tn_malloc((size_t)(l->n ? l->n : 1) * sizeof(double));
    if (!v) {
        tn_decref(list);
        tn_no_memory(st);
        return -1;
    }
    for (int64_t i = 0; i < l->n; i++)
        if (tn_as_double(st, l->items[i], &v[i], "plot() values must be numbers") < 0) {
            tn_free(v);
            tn_decref(list);
            return -1;
        }
    *out = v;
    *n = l->n;
    tn_decref(list);
    return 0;
}

/* Braille cells: 2 dot columns x 4 dot rows each; bit of dot (x, y), y from the top. */
static const uint8_t braille_bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

static void put_braille(TnBuf *b, uint8_t bits)
{
    unsigned cp = 0x2800u + bits; /* U+2800..U+28FF as UTF-8: 3 bytes */
    char u[3] = {(char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                 (char)(0x80 | (cp & 0x3F))};
    buf_putn(b, u, 3);
}

/* Value of sample column x when n values are squeezed or stretched into w columns. */
static double sample(const double *v, int64_t n, int x, int w)
{
    if (n <= w) {
        /* fewer values than columns: interpolate linearly between neighbours */
        if (n == 1 || w == 1)
            return v[0];
        double pos = (double)x * (double)(n - 1) / (double)(w - 1);
        int64_t i = (int64_t)pos;
        if (i >= n - 1)
            return v[n - 1];
        return v[i] + (v[i + 1] - v[i]) * (pos - (double)i);
    }
    int64_t lo = (int64_t)x * n / w, hi = (int64_t)(x + 1) * n / w;
    double s = 0;
    for (int64_t i = lo; i < hi; i++)
        s += v[i];
    return s / (double)(hi - lo);
}

static void draw(TnBuf *b, const double *v, int64_t n, int width, int height, const char *title)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
        }
    if (!isfinite(lo)) {
        buf_puts(b, "(nothing to plot: no finite values)\n");
        return;
    }
    if (hi == lo)
        hi = lo + 1;
    int dots_w = width * 2, dots_h = height * 4;
    int cols = dots_w; /* the chart always spans the width */
    uint8_t *cells = calloc((size_t)width * (size_t)height, 1);
    if (!cells)
        return;
    int prev = -1;
    for (int x = 0; x < cols; x++) {
        double y = sample(v, n, x, cols);
        int dy = isfinite(y) ? (int)llround((hi - y) / (hi - lo) * (dots_h - 1)) : -1;
        if (dy < 0) {
            prev = -1;
            continue;
        }
        /* join to the previous point so the curve reads as a line */
        int from = prev < 0 ? dy : (prev < dy ? prev + 1 : dy);
        int to = prev < 0 ? dy : (prev > dy ? prev - 1 : dy);
        if (from > to) {
            int t = from;
            from = to;
            to = t;
        }
        for (int yy = from; yy <= to; yy++)
            cells[(yy / 4) * width + x / 2] |= braille_bit[x % 2][yy % 4];
        prev = dy;
    }
    if (title)
        buf_printf(b, "%s\n", title);
    for (int r = 0; r < height; r++) {
        if (r == 0)
            buf_printf(b, "%10.4g ┤", hi);
        else if (r == height - 1)
            buf_printf(b, "%10.4g ┤", lo);
        else
            buf_puts(b, "           │");
        for (int c = 0; c < (cols + 1) / 2; c++)
            put_braille(b, cells[r * width + c]);
        buf_putc(b, '\n');
    }
    buf_printf(b, "           └ %lld values\n", (long long)n);
    free(cells);
}

static TnValue bi_plot(TnState *st, TnValue *a)
{
    double *v;
    int64_t n;
    if (collect(st, a[0], &v, &n) < 0)
        return tn_undef();
    int64_t height = 10, width = terminal_columns(STDOUT_FILENO) - 13;
    if (!IS_NONE(a[1]) && tn_as_index(st, a[1], &height, "plot() height must be an int") < 0)
        goto fail;
    if (!IS_NONE(a[2]) && tn_as_index(st, a[2], &width, "plot() width must be an int") < 0)
        goto fail;
    if (height < 2 || height > 200 || width < 4 || width > 1000) {
        tn_raise(st, tn_ValueError, "plot() needs 2 <= height <= 200 and 4 <= width <= 1000");
        goto fail;
    }
    if (n == 0) {
        tn_raise(st, tn_ValueError, "plot() needs at least one value");
        goto fail;
    }
    if (!IS_NONE(a[3]) && !IS_STR(a[3])) {
        tn_raise(st, tn_TypeError, "plot() title must be a str");
        goto fail;
    }
    TnBuf b = {0};
    draw(&b, v, n, (int)width, (int)height, IS_STR(a[3]) ? AS_STR(a[3])->data : NULL);
    tn_free(v);
    if (!b.p)
        return tn_no_memory(st);
    fwrite(b.p, 1, b.n, stdout);
    buf_free(&b);
    return tn_none();
fail:
    tn_free(v);
    return tn_undef();
}

/* -------------------------------------------------------------- progress */

typedef struct {
    TN_OBJECT_HEAD;
    TnValue it;
    int64_t done, total; /* total -1: unknown */
    double start, last_draw;
    bool show;
    TnStr *desc;
} TnProgress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void clock_text(char *out, size_t n, double s)
{
    long t = (long)(s + 0.5);
    snprintf(out, n, "%02ld:%02ld", t / 60, t % 60);
}

static void draw_bar(TnProgress *p, bool final)
{
    double t = now(), el = t - p->start, rate = el > 0 ? (double)p->done / el : 0;
    char elapsed[32], eta[32] = "?";
    clock_text(elapsed, sizeof elapsed, el);
    const char *desc = p->desc ? p->desc->data : "";
    const char *sep = p->desc && p->desc->len ? ": " : "";
    if (p->total > 0) {
        if (rate > 0)
            clock_text(eta, sizeof eta, (double)(p->total - p->done) / rate);
        int cols = terminal_columns(STDERR_FILENO);
        int barw = cols - 50 - (int)strlen(desc);
        if (barw < 10)
            barw = 10;
        double frac = (double)p->done / (double)p->total;
        int full = (int)(frac * barw);
        fprintf(stderr, "\r%s%s%3d%%|", desc, sep, (int)(frac * 100));
        for (int i = 0; i < barw; i++)
            fputs(i < full ? "█" : " ", stderr);
        fprintf(stderr, "| %lld/%lld [%s<%s, %.1fit/s]", (long long)p->done,
                (long long)p->total, elapsed, eta, rate);
    } else {
        fprintf(stderr, "\r%s%s%lld it [%s, %.1fit/s]", desc, sep, (long long)p->done, elapsed,
                rate);
    }
    fputs("\033[K", stderr); /* clear what a longer previous line left */
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
    p->last_draw = t;
}

static TnValue progress_next(TnState *st, TnValue self)
{
    TnProgress *p = (TnProgress *)AS_OBJ(self);
    if (IS_UNDEF(p->it))
        return tn_undef();
    TnValue v = tn_next(st, p->it);
    if (IS_UNDEF(v)) {
        if (p->show && IS_UNDEF(st->exc))
            draw_bar(p, true);
        tn_decref(p->it);
        p->it = tn_undef();
        return v;
    }
    p->done++;
    if (p->show && now() - p->last_draw >= 0.1)
        draw_bar(p, false);
    return v;
}

static TnValue progress_iter(TnState *st, TnValue self)
{
    return tn_ref(self);
}

static void progress_dealloc(TnObject *o)
{
    TnProgress *p = (TnProgress *)o;
    tn_decref(p->it);
    tn_obj_decref(p->desc);
    tn_free(o);
}

static TnType tn_progress_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "progress",
    .dealloc = progress_dealloc,
    .iter = progress_iter,
    .next = progress_next,
};

static TnValue bi_progress(TnState *st, TnValue *a)
{
    int64_t total = -1;
    if (!IS_NONE(a[1])) {
        if (tn_as_index(st, a[1], &total, "progress() total must be an int") < 0)
            return tn_undef();
    } else {
        int64_t n = tn_len(st, a[0]);
        if (n < 0)
            tn_clear_error(st); /* no len(): the count is shown without a bar */
        total = n;
    }
    if (!IS_STR(a[2]))
        return tn_raise(st, tn_TypeError, "progress() desc must be a str");
    TnValue it = tn_iter(st, a[0]);
    if (IS_UNDEF(it))
        return it;
    TnProgress *p = tn_alloc_object(st, &tn_progress_type, sizeof(TnProgress));
    if (!p) {
        tn_decref(it);
        return tn_undef();
    }
    p->it = it;
    p->total = total;
    p->start = now();
    p->show = isatty(STDERR_FILENO); /* logs and pipes stay clean */
    p->desc = AS_STR(a[2]);
    tn_obj_incref(p->desc);
    if (p->show)
        draw_bar(p, false);
    return tn_obj(p);
}

static const TnMethodDef plot_builtins[] = {
    {"plot", bi_plot, "plot(values, height=None, width=None, title=None)", NULL,
     "Draws values (a list of numbers or a 1-D tensor, e.g. a loss curve) as a line "
     "chart in the terminal."},
    {"progress", bi_progress, "progress(iterable, total=None, desc='')", NULL,
     "Iterates over iterable while showing a progress bar with rate and ETA on stderr "
     "(only when stderr is a terminal)."},
    {NULL, NULL, NULL, NULL, NULL},
};

int plot_init(TnState *st, TnDict *builtins)
{
    if (type_ready(st, &tn_progress_type) < 0)
        return -1;
    for (const TnMethodDef *d = plot_builtins; d->name; d++) {
        TnValue f = native_new(st, d, tn_undef());
        if (IS_UNDEF(f))
            return -1;
        int rc = dict_set_str(st, builtins, str_intern(d->name), f);
        tn_decref(f);
        if (rc < 0)
            return -1;
    }
    return 0;
}
