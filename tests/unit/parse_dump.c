/* parse_dump.c: parses a tn file and prints its AST as an S-expression (parser tests).
 *
 * usage: parse_dump [-p] [-q] [--oom] [-l N] FILE|-     or     parse_dump [-p] -c CODE
 *   -p     print each node's position as Kind@line:col
 *   -q     print only "ok" (for inputs too deep to print recursively)
 *   --oom  fail the 1st, 2nd, ... arena allocation until the parse succeeds;
 *          each failing run must report "out of memory"
 *   -l N   print source line N as arena_source_line returns it, in brackets
 * A syntax error prints `file:line:col: SyntaxError: msg` (plus a line
 * "(incomplete)" when a REPL would read more) and exits 1.
 */
#include "ast.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern long tn_arena_fail_countdown; /* arena.c test hook */

static int show_pos;

static const char *kind_names[AST_NKINDS] = {
    "Int",      "Float",      "Str",   "FString",   "FValue",    "None",    "True",    "False",
    "Ellipsis", "Name",       "Attr",  "Subscript", "Slice",     "Call",    "Keyword", "DStar",
    "Starred",  "BinOp",      "Unary", "And",       "Or",        "Compare", "IfExp",   "Lambda",
    "Tuple",    "List",       "Set",   "Dict",      "ListComp",  "SetComp", "GenExp",  "DictComp",
    "CompFor",  "Module",     "Expr",  "Assign",    "AugAssign", "Pass",    "Break",   "Continue",
    "Del",      "Return",     "If",    "While",     "For",       "Def",     "Param",   "Class",
    "With",     "WithItem",   "Try",   "Except",    "Raise",     "Assert",  "Global",  "Nonlocal",
    "Import",   "ImportFrom", "Alias",
};
static const char *binops[] = {"+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^"};
static const char *unops[] = {"-", "+", "~", "not"};
static const char *cmpops[] = {"<", "<=", "==", "!=", ">", ">=", "in", "not-in", "is", "is-not"};

static void print_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c == '\t')
            printf("\\t");
        else if (c < 0x20 || c == 0x7F)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* Shortest %g form that reads back as the same double. */
static void print_float(double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    printf("%s", buf);
}

static void dump(const TnAst *n);

static void dump_list(const char *label, const TnNodeList *l)
{
    if (!l->n) return;
    if (label) printf(" (%s", label);
    for (int i = 0; i < l->n; i++) {
        putchar(' ');
        dump(l->items[i]);
    }
    if (label) putchar(')');
}

/* The kind's own data: operator, name, value. */
static void dump_head(const TnAst *n)
{
    switch (n->kind) {
    case AST_INT: printf(" %lld", (long long)n->ival); break;
    case AST_FLOAT:
        putchar(' ');
        print_float(n->fval);
        break;
    case AST_STR:
        putchar(' ');
        print_str(n->str, n->slen);
        break;
    case AST_BINOP:
    case AST_AUGASSIGN: printf(" %s", binops[n->op]); break;
    case AST_UNARY: printf(" %s", unops[n->op]); break;
    case AST_FVALUE:
        if (n->op) printf(" !%c", n->op);
        break;
    case AST_PARAM:
        printf(" %s%s",
               n->op == PARAM_VARARGS  ? "*"
               : n->op == PARAM_VARKW  ? "**"
               : n->op == PARAM_KWONLY ? "kw:"
                                       : "",
               n->str);
        break;
    case AST_IMPORTFROM: printf(" %s%s", n->str, n->op ? " *" : ""); break;
    case AST_ALIAS:
        printf(" %s", n->str);
        if (n->str2) printf(" as %s", n->str2);
        break;
    case AST_EXCEPT:
        if (n->str) printf(" as %s", n->str);
        break;
    case AST_NAME:
    case AST_KEYWORD:
    case AST_DEF:
    case AST_CLASS: printf(" %s", n->str); break;
    default: break;
    }
}

static void dump(const TnAst *n)
{
    if (!n) {
        putchar('_');
        return;
    }
    printf("(%s", n->kind < AST_NKINDS ? kind_names[n->kind] : "?");
    if (show_pos) printf("@%d:%d", n->line, n->col);
    dump_head(n);
    if (n->kind == AST_COMPARE) {
        for (int i = 0; i < n->items.n; i++) {
            if (i) printf(" %s", cmpops[n->cmpops[i - 1]]);
            putchar(' ');
            dump(n->items.items[i]);
        }
        putchar(')');
        return;
    }
    if (n->kind == AST_ASSIGN) /* targets first: (Assign x y value) for x = y = value */
        dump_list(NULL, &n->items);
    const TnAst *kids[3] = {n->a, n->b, n->c};
    int nk = n->kind == AST_SLICE ? 3 : 0;
    for (int i = 0; i < 3; i++)
        if (kids[i] && i + 1 > nk) nk = i + 1;
    for (int i = 0; i < nk; i++) {
        putchar(' ');
        dump(kids[i]);
    }
    if (n->kind == AST_ATTR) printf(" .%s", n->str);
    dump_list("params", &n->params);
    if (n->kind != AST_ASSIGN)
        dump_list(n->kind == AST_DEF || n->kind == AST_CLASS ? "decorators" : NULL, &n->items);
    dump_list(n->kind == AST_MODULE ? NULL : "body", &n->body);
    dump_list("else", &n->orelse);
    dump_list("finally", &n->finalbody);
    putchar(')');
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

/* Parses once; prints the tree or the error. Returns 0 on success. */
static int run(const char *src, size_t len, const char *name, int quiet)
{
    TnArena *a = arena_new(src, len, name);
    if (!a) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    TnParseError err;
    TnAst *m = tn_parse(a, &err);
    if (!m) {
        printf("%s:%d:%d: SyntaxError: %s\n", name, err.line, err.col, err.msg);
        if (err.incomplete) printf("(incomplete)\n");
    } else if (quiet) {
        printf("ok\n");
    } else {
        dump(m);
        putchar('\n');
    }
    arena_decref(a);
    return m ? 0 : 1;
}

/* Fails each arena allocation in turn; every failure must be reported cleanly. */
static int run_oom(const char *src, size_t len, const char *name)
{
    for (long n = 1;; n++) {
        TnArena *a = arena_new(src, len, name);
        if (!a) return 2;
        TnParseError err;
        tn_arena_fail_countdown = n;
        TnAst *m = tn_parse(a, &err);
        tn_arena_fail_countdown = 0;
        arena_decref(a);
        if (m) {
            printf("oom ok: %ld failing runs reported out of memory\n", n - 1);
            return 0;
        }
        if (strcmp(err.msg, "out of memory") != 0) {
            printf("oom run %ld: unexpected error: %s\n", n, err.msg);
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    int quiet = 0, oom = 0, line = 0;
    const char *code = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0)
            show_pos = 1;
        else if (strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "--oom") == 0)
            oom = 1;
        else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
            line = atoi(argv[++i]);
        else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            code = argv[++i];
        else
            path = argv[i];
    }
    if (!code && !path) {
        fprintf(stderr,
                "usage: parse_dump [-p] [-q] [--oom] [-l N] FILE|-  or  parse_dump -c CODE\n");
        return 2;
    }
    size_t len;
    char *src = code ? strdup(code) : read_all(path, &len);
    if (!src) {
        perror(path ? path : "parse_dump");
        return 2;
    }
    if (code) len = strlen(code);
    const char *name = code ? "<string>" : strcmp(path, "-") == 0 ? "<stdin>" : path;
    int rc;
    if (line) {
        TnArena *a = arena_new(src, len, name);
        int n = 0;
        const char *s = a ? arena_source_line(a, line, &n) : "";
        printf("[%.*s]\n", n, s);
        arena_decref(a);
        rc = a ? 0 : 2;
    } else {
        rc = oom ? run_oom(src, len, name) : run(src, len, name, quiet);
    }
    free(src);
    return rc;
}
