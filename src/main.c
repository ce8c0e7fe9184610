/* main.c: the tn command: options, the run modes (script, -c, piped stdin, REPL, -i) and the
 * big-stack interpreter thread. */
#include "repl.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_line[] = "usage: tn [option] ... [-c cmd | file | -] [arg] ...\n";

static const char help_text[] =
    "Options:\n"
    "-c cmd : program passed in as string (terminates option list)\n"
    "-i     : inspect interactively after running script or command\n"
    "-q     : don't print the banner on interactive startup\n"
    "-h, --help    : print this help message and exit\n"
    "-V, --version : print the version and exit\n"
    "file   : program read from script file (nothing is echoed)\n"
    "-      : program read from stdin (default; the REPL if stdin is a terminal,\n"
    "         else one session that echoes expression values)\n"
    "arg ...: arguments passed to program in sys.argv[1:]\n"
    "\n"
    "Environment:\n"
    "TNPATH : folders searched by `import name` after the importing file's folder\n"
    "HOME   : the REPL keeps its history in $HOME/.tn_history\n";

typedef struct Options {
    const char *code; /* -c */
    const char *file; /* script path, "-", or NULL for stdin */
    bool inspect;     /* -i */
    bool quiet;       /* -q */
    int nrest;        /* arguments after the program: sys.argv[1:] */
    char **rest;
} Options;

/* Returns -1 when the program should run, else the status to exit with. */
static int parse_args(int argc, char **argv, Options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            o->file = a;
            i++;
            break;
        }
        if (strcmp(a, "--") == 0) {
            if (++i < argc) o->file = argv[i++];
            break;
        }
        if (strcmp(a, "--help") == 0) {
            fputs(usage_line, stdout);
            fputs(help_text, stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("tn %s\n", TN_VERSION);
            return 0;
        }
        if (a[1] == '-') goto unknown;
        for (const char *p = a + 1; *p; p++) {
            switch (*p) {
            case 'i': o->inspect = true; break;
            case 'q': o->quiet = true; break;
            case 'h':
                fputs(usage_line, stdout);
                fputs(help_text, stdout);
                return 0;
            case 'V': printf("tn %s\n", TN_VERSION); return 0;
            case 'c':
                if (p[1]) {
                    o->code = p + 1;
                } else if (i + 1 < argc) {
                    o->code = argv[++i];
                } else {
                    fprintf(stderr, "tn: argument expected for the -c option\n%s", usage_line);
                    fputs("Try 'tn --help' for more information.\n", stderr);
                    return 2;
                }
                i++;
                goto done;
            default: fprintf(stderr, "tn: unknown option -%c\n", *p); goto usage;
            }
        }
    }
done:
    o->nrest = argc - i;
    o->rest = argv + i;
    return -1;
unknown:
    fprintf(stderr, "tn: unknown option %s\n", argv[i]);
usage:
    fputs(usage_line, stderr);
    fputs("Try 'tn --help' for more information.\n", stderr);
    return 2;
}

/* Reads all of `f`; NUL-terminated. Returns 0 or an errno value. */
static int slurp(FILE *f, char **out, size_t *len)
{
    size_t n = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    if (!buf) return ENOMEM;
    for (;;) {
        if (n + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return ENOMEM;
            }
            buf = p;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        int err = errno ? errno : EIO;
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int read_script(const char *path, char **out, size_t *len)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (!f) return errno;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return EISDIR;
    }
    int err = slurp(f, out, len);
    fclose(f);
    return err;
}

static int status_of(TnRunResult res)
{
    switch (res) {
    case TN_RUN_OK: return 0;
    case TN_RUN_EXIT: return tn_exit_status;
    default: return 1;
    }
}

/* The folder `import name` searches first: the script's, else the current one. */
static char script_dir[4096] = ".";

static TnDict *volatile main_globals_root; /* read by LeakSanitizer, see run() */

static int run(const Options *o)
{
    char *src = NULL;
    size_t len = 0;
    const char *filename = NULL;
    bool from_stdin = !o->code && (!o->file || strcmp(o->file, "-") == 0);

    if (o->code) {
        filename = "<string>";
        len = strlen(o->code);
    } else if (!from_stdin) {
        int err = read_script(o->file, &src, &len);
        if (err) {
            fprintf(stderr, "tn: can't open file '%s': [Errno %d] %s\n", o->file, err,
                    strerror(err));
            return 2;
        }
        filename = o->file;
        const char *slash = strrchr(o->file, '/');
        if (slash && (size_t)(slash - o->file) < sizeof script_dir)
            snprintf(script_dir, sizeof script_dir, "%.*s",
                     (int)(slash - o->file + (slash == o->file)), o->file);
    }

    /* sys.argv as Python builds it: [file, args...], ['-c', args...], or [''] */
    char **argv = malloc(((size_t)o->nrest + 2) * sizeof *argv);
    if (!argv) return 1;
    argv[0] = o->code ? "-c" : o->file ? (char *)o->file : "";
    memcpy(argv + 1, o->rest, (size_t)o->nrest * sizeof *argv);
    argv[o->nrest + 1] = NULL;

    int status = 1;
    TnState *st = tn_init(o->nrest + 1, argv);
    if (!st) goto out;
    st->script_dir = script_dir;
    TnDict *g = tn_main_globals(st);
    if (!g) {
        tn_report_error(st);
        tn_shutdown(st);
        goto out;
    }

    if (filename) {
        TnRunResult res =
            tn_run_source(st, o->code ? o->code : src, len, filename, g, false, false);
        status = status_of(res);
        if (o->inspect && res != TN_RUN_EXIT) status = repl_run(st, g, false);
    } else if (o->inspect || isatty(0)) {
        status = repl_run(st, g, !o->quiet && isatty(0));
    } else {
        int err = slurp(stdin, &src, &len);
        if (err) {
            fprintf(stderr, "tn: can't read stdin: %s\n", strerror(err));
        } else {
            status = status_of(tn_run_source(st, src, len, "<stdin>", g, true, false));
        }
    }
    fflush(stdout);
    /* The main namespace lives until exit: objects in reference cycles through it
     * (a function kept in a global list refers back to the globals) stay reachable
     * instead of being reported as leaks; the OS reclaims everything at exit. */
    main_globals_root = g;
    tn_shutdown(st);
out:
    free(argv);
    free(src);
    return status;
}

typedef struct Job {
    const Options *o;
    int status;
} Job;

static void *interpreter_thread(void *arg)
{
    Job *job = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    job->status = run(job->o);
    return NULL;
}

int main(int argc, char **argv)
{
    /* tn recursion is C recursion in the evaluator; a big stack lets the
     * RecursionError limit, not the C stack, end deep programs. */
    static const size_t stacks[] = {(size_t)512 << 20, (size_t)128 << 20, (size_t)32 << 20};
    Options o;
    Job job = {&o, 1};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) return rc;

    /* One malloc arena: the interpreter thread would otherwise get its own,
     * grown by an mprotect call per page (about fifty at start-up). */
    mallopt(M_ARENA_MAX, 1);
    repl_init_signals();
    /* Only the interpreter thread takes SIGINT, so the main thread's join is
     * never disturbed. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_attr_t attr;
    pthread_t thread;
    bool started = false;
    pthread_attr_init(&attr);
    for (size_t i = 0; i < sizeof stacks / sizeof stacks[0] && !started; i++)
        started = pthread_attr_setstacksize(&attr, stacks[i]) == 0 &&
                  pthread_create(&thread, &attr, interpreter_thread, &job) == 0;
    pthread_attr_destroy(&attr);
    if (started) {
        pthread_join(thread, NULL);
    } else {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        job.status = run(&o);
    }
    if (fflush(stdout) != 0 && job.status == 0) {
        fprintf(stderr, "tn: error writing stdout: %s\n", strerror(errno));
        job.status = 1;
    }
    return job.status;
}
