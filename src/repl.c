/* repl.c: the interactive loop: prompts, statement accumulation, history, Tab completion,
 * Ctrl-C at the prompt, and the %time / %who extras. */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#define HISTORY_FILE  ".tn_history"
#define HISTORY_LIMIT 10000

/* ------------------------------------------------------------------ Ctrl-C */

/* The handler wakes the prompt through this pipe: select() sees it whichever
 * thread the kernel picked to run the handler (kernel worker threads included). */
static int wake_fd[2] = {-1, -1};
static volatile sig_atomic_t unconsumed; /* presses since tn_interrupted was last clear */

static void on_sigint(int sig)
{
    int saved = errno;
    (void)sig;
    if (!tn_interrupted) unconsumed = 0;
    if (++unconsumed >= 3) {
        static const char msg[] = "\ntn: interrupted 3 times with no effect; exiting\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
        _exit(130);
    }
    tn_interrupted = 1;
    if (wake_fd[1] >= 0 && write(wake_fd[1], "i", 1) < 0) {
    }
    errno = saved;
}

void repl_init_signals(void)
{
    struct sigaction sa;
    if (pipe2(wake_fd, O_NONBLOCK | O_CLOEXEC) != 0) wake_fd[0] = wake_fd[1] = -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* stdio reads in scripts must not fail with EINTR */
    sigaction(SIGINT, &sa, NULL);
}

/* Forgets presses that happened while code ran or before the prompt. */
static void clear_interrupt(void)
{
    char b[64];
    if (wake_fd[0] >= 0)
        while (read(wake_fd[0], b, sizeof b) > 0) {
        }
    tn_interrupted = 0;
}

/* ------------------------------------------------------------ small helpers */

typedef struct Text {
    char *p;
    size_t n, cap;
} Text;

static void text_add(Text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + n + 1)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            fputs("tn: out of memory\n", stderr);
            exit(1);
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void text_puts(Text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static bool ident_start(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* What the end of some source is inside of, found with a lexer-lite that
 * knows strings, comments, brackets and backslash continuations. */
typedef struct Scan {
    bool open; /* inside brackets, a triple-quoted string, or after `\` */
    char last; /* last character of code (not comment, not space) */
} Scan;

static Scan scan(const char *s, size_t n)
{
    Scan sc = {false, 0};
    int depth = 0;
    char quote = 0;
    bool triple = false, cont = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quote) {
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                if (!triple) {
                    quote = 0;
                } else if (i + 2 < n && s[i + 1] == quote && s[i + 2] == quote) {
                    quote = 0;
                    i += 2;
                }
            } else if (c == '\n' && !triple) {
                quote = 0; /* unterminated: the parser reports it */
            }
            continue;
        }
        cont = false;
        switch (c) {
        case '#':
            while (i + 1 < n && s[i + 1] != '\n')
                i++;
            continue;
        case '\'':
        case '"':
            quote = c;
            triple = i + 2 < n && s[i + 1] == c && s[i + 2] == c;
            if (triple) i += 2;
            break;
        case '(':
        case '[':
        case '{': depth++; break;
        case ')':
        case ']':
        case '}':
            if (depth) depth--;
            break;
        case '\\':
            if (i + 1 < n && s[i + 1] == '\n') {
                cont = true;
                i++;
                continue;
            }
            break;
        case ' ':
        case '\t':
        case '\r':
        case '\n':
        case '\f': continue;
        default: break;
        }
        sc.last = c;
    }
    sc.open = depth > 0 || (quote && triple) || cont;
    return sc;
}

/* Compound statements: Python's REPL ends them only at a blank line. */
static bool starts_compound(const char *line)
{
    static const char *const kw[] = {"if", "while", "for", "def", "class", "with", "try", "async"};
    const char *p = line + strspn(line, " \t");
    if (*p == '@') return true;
    size_t n = 0;
    while (ident_char((unsigned char)p[n]))
        n++;
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], p, n) == 0) return true;
    Scan sc = scan(line, strlen(line));
    return !sc.open && sc.last == ':';
}

/* --------------------------------------------------------------- the loop */

typedef struct Repl {
    TnState *st;
    TnDict *g;
    Text src;      /* lines of the statement being entered */
    bool compound; /* a compound statement: only a blank line ends it */
    bool tty;      /* readline on a terminal, else plain lines */
    char *history; /* history file, NULL without HOME */
} Repl;

static Repl *cur; /* readline's callbacks carry no user data */

/* Runs source; returns -1 to go on, or the exit status exit() asked for. */
static int run_source(Repl *r, const char *s, size_t n, bool echo)
{
    fflush(stdout);
    clear_interrupt();
    TnRunResult res = tn_run_source(r->st, s, n, "<stdin>", r->g, echo, false);
    fflush(stdout);
    fflush(stderr);
    return res == TN_RUN_EXIT ? tn_exit_status : -1;
}

static int run_entered(Repl *r)
{
    int status = run_source(r, r->src.p, r->src.n, true);
    r->src.n = 0;
    r->compound = false;
    return status;
}

/* IPython's time format: three significant digits in s, ms, µs or ns. */
static void format_time(char *out, size_t size, double t)
{
    static const char *const units[] = {"s", "ms", "\xc2\xb5s", "ns"};
    static const double scale[] = {1, 1e3, 1e6, 1e9};
    if (t >= 60) {
        long s = (long)t;
        snprintf(out, size, "%ldmin %lds", s / 60, s % 60);
        return;
    }
    int order = 3;
    if (t > 0) {
        order = -(int)floor(floor(log10(t)) / 3);
        if (order > 3) order = 3;
        if (order < 0) order = 0;
    }
    snprintf(out, size, "%.3g %s", t * scale[order], units[order]);
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

/* %time CODE: runs CODE, prints CPU and wall time, then the value of an
 * expression as the REPL echoes it (so `_` is set too). */
static int magic_time(Repl *r, const char *code)
{
    static const char tmp[] = "__tn_time_value";
    if (!*code) {
        fputs("UsageError: %time needs an expression or a statement\n", stderr);
        return -1;
    }
    Text probe = {0}, src = {0};
    text_puts(&probe, "(\n");
    text_puts(&probe, code);
    text_puts(&probe, "\n)\n");
    bool expr = tn_check_source(r->st, probe.p, probe.n, "<stdin>", false) == TN_RUN_OK;
    if (expr) {
        text_puts(&src, tmp);
        text_puts(&src, " = ");
    }
    text_add(&src, probe.p + (expr ? 0 : 2), probe.n - (expr ? 0 : 5));
    if (!expr) text_puts(&src, "\n");
    free(probe.p);

    struct rusage u0, u1;
    struct timespec w0, w1;
    fflush(stdout);
    clear_interrupt();
    getrusage(RUSAGE_SELF, &u0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    TnRunResult res = tn_run_source(r->st, src.p, src.n, "<stdin>", r->g, false, false);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    getrusage(RUSAGE_SELF, &u1);
    free(src.p);
    if (res == TN_RUN_EXIT) return tn_exit_status;
    if (res != TN_RUN_OK) return -1;

    double user = seconds(u1.ru_utime) - seconds(u0.ru_utime);
    double sys = seconds(u1.ru_stime) - seconds(u0.ru_stime);
    double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
    char a[32], b[32], c[32];
    format_time(a, sizeof a, user);
    format_time(b, sizeof b, sys);
    format_time(c, sizeof c, user + sys);
    printf("CPU times: user %s, sys: %s, total: %s\n", a, b, c);
    format_time(a, sizeof a, wall);
    printf("Wall time: %s\n", a);
    if (!expr) return -1;
    src = (Text){0};
    text_puts(&src, tmp);
    text_puts(&src, "\n");
    int status = run_source(r, src.p, src.n, true);
    free(src.p);
    if (dict_del(r->st, r->g, tn_obj(str_intern(tmp))) < 0) tn_clear_error(r->st);
    return status;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* %who: the names this session bound that the prelude does not have. */
static int magic_who(Repl *r, const char *args)
{
    TnDict *prelude = tn_main_globals(r->st);
    if (!prelude) tn_clear_error(r->st);
    const char **names = NULL;
    size_t n = 0, cap = 0;
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(r->g, &pos, &k, &v)) {
        if (!IS_STR(k) || AS_STR(k)->data[0] == '_') continue;
        if (prelude && !IS_UNDEF(dict_get_str(prelude, AS_STR(k)))) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            const char **p = realloc(names, cap * sizeof *names);
            if (!p) break;
            names = p;
        }
        names[n++] = AS_STR(k)->data;
    }
    if (n == 0) {
        puts("Interactive namespace is empty.");
    } else {
        qsort(names, n, sizeof *names, cmp_names);
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? " " : "", names[i]);
        putchar('\n');
    }
    fflush(stdout);
    free(names);
    if (prelude) tn_obj_decref(prelude);
    return -1;
}

typedef struct Magic {
    const char *name;
    int (*fn)(Repl *r, const char *args);
} Magic;

static const Magic magics[] = {
    {"time", magic_time},
    {"who",  magic_who },
};

static int magic(Repl *r, const char *line)
{
    const char *name = line + 1;
    size_t n = 0;
    while (ident_char((unsigned char)name[n]))
        n++;
    const char *args = name + n + strspn(name + n, " \t");
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (strlen(magics[i].name) == n && memcmp(magics[i].name, name, n) == 0)
            return magics[i].fn(r, args);
    fprintf(stderr, "UsageError: Line magic function `%%%.*s` not found.\n", (int)n, name);
    return -1;
}

/* Takes one entered line. Returns -1 to keep reading, else the exit status. */
static int feed(Repl *r, const char *line)
{
    const char *p = line + strspn(line, " \t\r\f\v");
    if (r->src.n == 0) {
        if (*p == '\0' || *p == '#') return -1;
        if (*p == '%' && p == line) return magic(r, p);
        r->compound = starts_compound(line);
    } else if (*p == '\0' && r->compound && !scan(r->src.p, r->src.n).open) {
        return run_entered(r);
    }
    text_puts(&r->src, line);
    text_puts(&r->src, "\n");
    /* A block is only judged at its blank line: until then `try:` without its
     * `except` is as unfinished as `if x:` without a body. */
    if (r->compound) return -1;
    TnRunResult c = tn_check_source(r->st, r->src.p, r->src.n, "<stdin>", false);
    if (c == TN_RUN_INCOMPLETE && scan(r->src.p, r->src.n).open) return -1;
    return run_entered(r);
}

/* ----------------------------------------------------------- completion */

typedef struct Cands {
    char **v;
    size_t n, cap, next;
} Cands;

static Cands cands;

static void cand_add(const char *prefix, size_t plen, const char *name, size_t nlen)
{
    if (cands.n == cands.cap) {
        size_t cap = cands.cap ? cands.cap * 2 : 64;
        char **v = realloc(cands.v, cap * sizeof *v);
        if (!v) return;
        cands.v = v;
        cands.cap = cap;
    }
    char *s = malloc(plen + nlen + 1);
    if (!s) return;
    memcpy(s, prefix, plen);
    memcpy(s + plen, name, nlen);
    s[plen + nlen] = '\0';
    cands.v[cands.n++] = s;
}

/* Hands the candidates to readline, which frees them. */
static char *cand_next(const char *text, int state)
{
    (void)text;
    if (state == 0) cands.next = 0;
    return cands.next < cands.n ? cands.v[cands.next++] : NULL;
}

/* rlcompleter's rule: `_` names show only once the user typed `_`, `__` names
 * only after `__`. */
static bool wanted(const char *name, size_t nlen, const char *want, size_t wlen)
{
    if (nlen < wlen || memcmp(name, want, wlen) != 0) return false;
    if (name[0] == '_' && (wlen == 0 || want[0] != '_')) return false;
    if (name[0] == '_' && name[1] == '_' && (wlen < 2 || want[1] != '_')) return false;
    return true;
}

static void add_dict_names(TnDict *d, const char *want, size_t wlen)
{
    int64_t pos = 0;
    TnValue k, v;
    if (!d) return;
    while (dict_next(d, &pos, &k, &v))
        if (IS_STR(k) && wanted(AS_STR(k)->data, (size_t)AS_STR(k)->len, want, wlen))
            cand_add("", 0, AS_STR(k)->data, (size_t)AS_STR(k)->len);
}

/* Attribute lookup for completion, which must run no tn code: a @property
 * getter is skipped, and for a class with a __getattr__ written in tn only
 * what is stored (instance dict, plain class attributes) is looked at.
 * nn.Module's __getattr__ is native, so `m.fc1.we<Tab>` works. */
static TnValue safe_getattr(TnState *st, TnValue obj, TnStr *name)
{
    TnType *t = tn_type_of(obj);
    TnValue d = type_lookup(t, name);
    if (IS_OBJ(d) && strcmp(tn_type_name(d), "property") == 0) return tn_undef();
    TnValue hook = type_lookup(t, str_intern("__getattr__"));
    if (!IS_UNDEF(hook) && !IS_NATIVE(hook)) {
        if ((t->flags & TN_TYPE_HAS_DICT) && IS_OBJ(obj) && ((TnInstance *)AS_OBJ(obj))->dict) {
            TnValue v = dict_get_str(((TnInstance *)AS_OBJ(obj))->dict, name);
            if (!IS_UNDEF(v)) return tn_ref(v);
        }
        return IS_UNDEF(d) || tn_type_of(d)->descr_get ? tn_undef() : tn_ref(d);
    }
    TnValue v = tn_getattr_opt(st, obj, name);
    if (IS_UNDEF(v)) tn_clear_error(st);
    return v;
}

/* Subscript for completion: built-in containers and native types only, since
 * a class's __getitem__ is arbitrary code. */
static TnValue safe_getitem(TnState *st, TnValue obj, const char *k, size_t n)
{
    TnValue key, v;
    if (tn_type_of(obj)->flags & TN_TYPE_HEAP) return tn_undef();
    if (n >= 2 && (k[0] == '"' || k[0] == '\'') && k[n - 1] == k[0]) {
        if (memchr(k, '\\', n)) return tn_undef();
        key = tn_str_n(st, k + 1, (int64_t)n - 2);
        if (IS_UNDEF(key)) {
            tn_clear_error(st);
            return key;
        }
    } else {
        char digits[24];
        char *end;
        if (n == 0 || n >= sizeof digits) return tn_undef();
        memcpy(digits, k, n);
        digits[n] = '\0';
        long long i = strtoll(digits, &end, 10);
        if (*end) return tn_undef();
        key = tn_int(i);
    }
    v = tn_getitem(st, obj, key);
    tn_decref(key);
    if (IS_UNDEF(v)) tn_clear_error(st);
    return v;
}

/* Evaluates `name(.attr | [int] | ["str"])*` without calling anything; UNDEF if
 * the text is anything else or a step fails. Returns a new reference. */
static TnValue safe_eval(Repl *r, const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !ident_start((unsigned char)s[0])) return tn_undef();
    while (i < n && ident_char((unsigned char)s[i]))
        i++;
    TnStr *name = str_intern_n(s, (int64_t)i);
    if (!name) return tn_undef();
    TnValue v = dict_get_str(r->g, name);
    if (IS_UNDEF(v) && r->st->builtins) v = dict_get_str(r->st->builtins, name);
    if (IS_UNDEF(v)) return v;
    tn_incref(v);
    while (i < n) {
        TnValue next;
        size_t j = i + 1;
        if (s[i] == '.') {
            i = j;
            while (i < n && ident_char((unsigned char)s[i]))
                i++;
            if (i == j || !ident_start((unsigned char)s[j]) ||
                !(name = str_intern_n(s + j, (int64_t)(i - j))))
                goto fail;
            next = safe_getattr(r->st, v, name);
        } else if (s[i] == '[') {
            const char *close = memchr(s + j, ']', n - j);
            if (!close) goto fail;
            i = (size_t)(close - s) + 1;
            next = safe_getitem(r->st, v, s + j, (size_t)(close - s) - j);
        } else {
            goto fail;
        }
        tn_decref(v);
        v = next;
        if (IS_UNDEF(v)) return v;
    }
    return v;
fail:
    tn_decref(v);
    return tn_undef();
}

static void complete_attr(Repl *r, const char *text, const char *dot)
{
    TnValue obj = safe_eval(r, text, (size_t)(dot - text));
    if (IS_UNDEF(obj)) return;
    TnValue names = tn_dir(r->st, obj);
    tn_decref(obj);
    if (IS_UNDEF(names)) {
        tn_clear_error(r->st);
        return;
    }
    TnValue *items;
    int64_t n;
    const char *want = dot + 1;
    size_t wlen = strlen(want), plen = (size_t)(want - text);
    if (tn_seq_items(names, &items, &n))
        for (int64_t i = 0; i < n; i++)
            if (IS_STR(items[i]) &&
                wanted(AS_STR(items[i])->data, (size_t)AS_STR(items[i])->len, want, wlen))
                cand_add(text, plen, AS_STR(items[i])->data, (size_t)AS_STR(items[i])->len);
    tn_decref(names);
}

static void complete_names(Repl *r, const char *text)
{
    static const char *const keywords[] = {
        "False",    "None",   "True", "and",    "as",     "assert", "break",   "class",
        "continue", "def",    "del",  "elif",   "else",   "except", "finally", "for",
        "from",     "global", "if",   "import", "in",     "is",     "lambda",  "nonlocal",
        "not",      "or",     "pass", "raise",  "return", "try",    "while",   "with",
    };
    size_t wlen = strlen(text);
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strncmp(keywords[i], text, wlen) == 0)
            cand_add("", 0, keywords[i], strlen(keywords[i]));
    add_dict_names(r->g, text, wlen);
    add_dict_names(r->st->builtins, text, wlen);
}

/* Is the open string at `quote` the first argument of a call that takes a path
 * (torch.load(", np.load(", open(", load_file(")? */
static bool path_argument(int quote)
{
    static const char *const takers[] = {"load", "open", "load_file"};
    const char *b = rl_line_buffer;
    int i = quote - 1;
    while (i >= 0 && b[i] == ' ')
        i--;
    if (i < 0 || b[i] != '(') return false;
    i--;
    while (i >= 0 && b[i] == ' ')
        i--;
    int end = i + 1;
    while (i >= 0 && ident_char((unsigned char)b[i]))
        i--;
    size_t n = (size_t)(end - (i + 1));
    for (size_t t = 0; t < sizeof takers / sizeof takers[0]; t++)
        if (strlen(takers[t]) == n && memcmp(takers[t], b + i + 1, n) == 0) return true;
    return false;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    char **matches = NULL;
    rl_attempted_completion_over = 1; /* never fall back to readline's file names */
    rl_completion_append_character = '\0';
    if (rl_completion_quote_character) {
        if (start > 0 && path_argument(start - 1))
            return rl_completion_matches(text, rl_filename_completion_function);
        return NULL;
    }
    if (!cur) return NULL;
    if (!*text && rl_line_buffer[strspn(rl_line_buffer, " \t")] == '\0') {
        cand_add("", 0, "    ", 4); /* Tab on an empty line indents, as in Python */
    } else {
        const char *dot = strrchr(text, '.');
        if (dot)
            complete_attr(cur, text, dot);
        else
            complete_names(cur, text);
    }
    if (cands.n) matches = rl_completion_matches(text, cand_next);
    for (size_t i = cands.next; i < cands.n; i++)
        free(cands.v[i]);
    cands.n = cands.next = 0;
    return matches;
}

/* ---------------------------------------------------------------- input */

typedef enum { IN_LINE, IN_EOF, IN_INTR } InStatus;

static char *rl_line;
static bool rl_got;

static void on_line(char *line)
{
    rl_line = line;
    rl_got = true;
    /* Removing the handler here stops readline redrawing the prompt before
     * the code runs. */
    rl_callback_handler_remove();
}

/* readline through its callback interface so that select() can also watch
 * the Ctrl-C pipe (how CPython's readline module does it). */
static InStatus read_tty(const char *prompt, char **out)
{
    rl_line = NULL;
    rl_got = false;
    rl_callback_handler_install(prompt, on_line);
    while (!rl_got) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(0, &fds);
        if (wake_fd[0] >= 0) FD_SET(wake_fd[0], &fds);
        int k = select((wake_fd[0] > 0 ? wake_fd[0] : 0) + 1, &fds, NULL, NULL, NULL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            rl_callback_handler_remove();
            return IN_EOF;
        }
        if (wake_fd[0] >= 0 && FD_ISSET(wake_fd[0], &fds)) {
            clear_interrupt();
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_cleanup_after_signal();
            rl_callback_handler_remove();
            return IN_INTR;
        }
        if (FD_ISSET(0, &fds)) rl_callback_read_char();
    }
    *out = rl_line;
    return rl_line ? IN_LINE : IN_EOF;
}

/* Plain lines from a pipe or file, prompts on stderr (python -i does the same). */
static InStatus read_plain(const char *prompt, char **out)
{
    char *line = NULL;
    size_t cap = 0;
    fputs(prompt, stderr);
    fflush(stderr);
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return IN_EOF;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *out = line;
    return IN_LINE;
}

static void setup_readline(Repl *r)
{
    rl_readline_name = "tn";
    rl_catch_signals = 0; /* our handler owns SIGINT */
    rl_attempted_completion_function = complete;
    /* No `.`, `[`, `]` or quotes: `m.layers[0].we` is one word to complete. */
    rl_completer_word_break_characters = " \t\n`@$><=;|&{(,)+-*/%~^!:#";
    rl_completer_quote_characters = "\"'";
    using_history();
    const char *home = getenv("HOME");
    if (!home || !*home) return;
    size_t n = strlen(home) + sizeof HISTORY_FILE + 1;
    r->history = malloc(n);
    if (!r->history) return;
    snprintf(r->history, n, "%s/%s", home, HISTORY_FILE);
    /* append_history needs the file to exist */
    int fd = open(r->history, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(r->history);
        r->history = NULL;
        return;
    }
    close(fd);
    history_truncate_file(r->history, HISTORY_LIMIT);
    read_history(r->history);
}

/* Every line goes to the file as it is entered, so a crash loses nothing. */
static void remember(Repl *r, const char *line)
{
    if (!r->tty || line[strspn(line, " \t")] == '\0') return;
    add_history(line);
    if (r->history) append_history(1, r->history);
}

int repl_run(TnState *st, TnDict *globals, bool banner)
{
    Repl r = {.st = st, .g = globals};
    r.tty = isatty(0) && isatty(1);
    cur = &r;
    if (banner)
        fprintf(stderr,
                "tn %s (tensor language, PyTorch 1.13 semantics) \xe2\x80\x94 type help(), "
                "exit() to leave\n",
                TN_VERSION);
    if (r.tty) setup_readline(&r);
    int status = -1;
    while (status < 0) {
        char *line = NULL;
        fflush(stdout);
        fflush(stderr);
        clear_interrupt();
        const char *prompt = r.src.n ? "... " : ">>> ";
        InStatus in = r.tty ? read_tty(prompt, &line) : read_plain(prompt, &line);
        if (in == IN_EOF) {
            if (r.tty) putchar('\n');
            /* Piped input may end without the blank line that closes a block. */
            status = !r.tty && r.src.n ? run_entered(&r) : -1;
            if (status < 0) status = 0;
            break;
        }
        if (in == IN_INTR) {
            fputs("\nKeyboardInterrupt\n", stderr);
            r.src.n = 0;
            r.compound = false;
            continue;
        }
        remember(&r, line);
        /* A bracketed paste arrives as one line holding newlines: feed each
         * as if typed. */
        for (char *p = line;;) {
            char *nl = strchr(p, '\n');
            if (nl) *nl = '\0';
            status = feed(&r, p);
            if (status >= 0 || !nl) break;
            p = nl + 1;
        }
        free(line);
    }
    fflush(stdout);
    free(r.src.p);
    free(r.history);
    cur = NULL;
    return status;
}
