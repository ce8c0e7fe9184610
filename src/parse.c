/* parse.c: the front end's driver: raw tokens → logical lines (INDENT/DEDENT) → lemon → AST.
 *
 * tn_parse() validates the text as UTF-8, then one loop (tokenize) pulls raw
 * tokens from the re2c lexer and is the only place tokens meet the parser
 * (SQLite's sqlite3RunParser): it tracks brackets (newlines inside them are
 * dropped), measures indentation at the start of each logical line, joins
 * adjacent string literals into one STRING token (decoding escapes and
 * splitting f-strings, whose expressions are parsed by a nested parse of the
 * same grammar), and turns number literals into nodes. The grammar's actions
 * call the node builders in the second half of this file, which also check
 * what the grammar cannot: assignment targets, argument and parameter order.
 *
 * Errors: the first error is recorded in the TnParseError and everything
 * after it is skipped. Nodes live in the chunk's arena, so an abandoned parse
 * frees nothing by hand; an allocation failure yields a dummy node so actions
 * never see NULL, and the parse reports "out of memory".
 */
#include "parse_internal.h"
#include "parser.h"
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * Errors
 * ====================================================================== */

/* Python reports indentation mistakes as IndentationError (TabError for mixed tabs
 * and spaces), both subclasses of SyntaxError. */
static const char *error_type(const char *msg)
{
    static const char *const indentation[] = {"unexpected indent", "expected an indented block",
                                              "unindent does not match",
                                              "too many levels of indentation"};
    if (!strncmp(msg, "inconsistent use of tabs", 24))
        return "TabError";
    for (size_t i = 0; i < sizeof indentation / sizeof indentation[0]; i++)
        if (!strncmp(msg, indentation[i], strlen(indentation[i])))
            return "IndentationError";
    return "SyntaxError";
}

static void verror(TnParse *p, int incomplete, int line, int col, const char *fmt, va_list ap)
{
    if (p->failed) return;
    p->failed = 1;
    TnParseError *e = p->err;
    /* An f-string's expression is complete text: never ask for more input. */
    e->incomplete = p->nesting ? 0 : incomplete;
    e->line = line;
    e->col = col;
    int off = 0;
    if (p->nesting && strncmp(fmt, "f-string", 8) != 0 && strcmp(fmt, "out of memory") != 0)
        off = snprintf(e->msg, sizeof e->msg, "f-string: ");
    vsnprintf(e->msg + off, sizeof e->msg - (size_t)off, fmt, ap);
    e->type = error_type(e->msg);
}

void parse_error_at(TnParse *p, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(p, 0, line, col, fmt, ap);
    va_end(ap);
}

/* The input ended where more could follow: a REPL reads another line. */
static void incomplete_at(TnParse *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void incomplete_at(TnParse *p, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(p, 1, line, col, fmt, ap);
    va_end(ap);
}

static void error_node(TnParse *p, TnAst *n, const char *fmt, const char *arg)
{
    parse_error_at(p, n->line, n->col, fmt, arg);
}

static void oom(TnParse *p)
{
    parse_error_at(p, p->cur.line, p->cur.col, "out of memory");
}

/* lemon's stack is full: with brackets capped at 200 this takes an absurd
 * chain of prefix operators (`- - - ... x`) or of right-associative ones. */
void parse_stack_overflow(TnParse *p)
{
    parse_error_at(p, p->cur.line, p->cur.col, "%s",
                   p->depth > 0 ? "too many nested parentheses" : "expression too complex");
}

/* ======================================================================
 * Positions and small buffers
 * ====================================================================== */

/* Line and column of byte `s` of the text, which lies on the current line. */
static TnToken tok_at(TnParse *p, const char *s, int n)
{
    TnToken t = {0};
    t.z = s;
    t.n = n;
    t.line = p->line;
    t.col = (int)(s - p->line_start) + 1;
    if (p->line == p->line_base) t.col += p->col_base - 1;
    return t;
}

/* Moves the line count past the newlines in [s, e) (a multi-line string). */
static void advance_lines(TnParse *p, const char *s, const char *e)
{
    for (; s < e; s++) {
        if (*s == '\n' || (*s == '\r' && (s + 1 == e || s[1] != '\n'))) {
            p->line++;
            p->line_start = s + 1;
        }
    }
}

/* A growable malloc'd byte buffer (f-string literal text). */
typedef struct Buf {
    char *s;
    size_t n, cap;
} Buf;

/* Reserves room for `extra` more bytes; returns the write position or NULL. */
static char *buf_reserve(Buf *b, size_t extra)
{
    if (b->cap - b->n < extra) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->n < extra)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) return NULL;
        b->s = s;
        b->cap = cap;
    }
    return b->s + b->n;
}

static int utf8_encode(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one UTF-8 sequence at s (already validated); *len gets its length. */
static uint32_t utf8_decode(const unsigned char *s, int *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if (s[0] < 0xE0) {
        *len = 2;
        return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (s[0] < 0xF0) {
        *len = 3;
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Returns the offset of the first invalid UTF-8 byte, or -1 if all is valid;
 * *what gets Python's reason. Overlong forms, surrogates and > U+10FFFF fail. */
static long utf8_check(const unsigned char *s, size_t n, const char **what)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len = c >= 0xC2 && c <= 0xDF   ? 2
                  : c >= 0xE0 && c <= 0xEF ? 3
                  : c >= 0xF0 && c <= 0xF4 ? 4
                                           : 0;
        *what = "invalid start byte";
        if (!len) return (long)i;
        *what = "invalid continuation byte";
        if (i + (size_t)len > n) return (long)i;
        unsigned lo = 0x80, hi = 0xBF; /* the second byte's range excludes overlongs etc. */
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (s[i + 1] < lo || s[i + 1] > hi) return (long)i;
        for (int k = 2; k < len; k++)
            if ((s[i + (size_t)k] & 0xC0) != 0x80) return (long)i;
        i += (size_t)len;
    }
    return -1;
}

/* ======================================================================
 * Identifiers: which non-ASCII characters may appear in names
 * ====================================================================== */

/* Python allows Unicode letters (XID_Start/XID_Continue). Without the full
 * tables, tn rejects the blocks of punctuation, symbols and spaces people
 * paste by accident (smart quotes, arrows, NBSP, emoji) and accepts the rest. */
static const struct {
    uint32_t lo, hi;
} not_in_names[] = {
    {0x0080,  0x00A9 },
    {0x00AB,  0x00B4 },
    {0x00B6,  0x00B9 },
    {0x00BB,  0x00BF },
    {0x00D7,  0x00D7 },
    {0x00F7,  0x00F7 },
    {0x2000,  0x203E },
    {0x2041,  0x206F },
    {0x20A0,  0x20CF },
    {0x2190,  0x2BFF },
    {0x3000,  0x3004 },
    {0x3008,  0x3020 },
    {0xD800,  0xF8FF },
    {0xFE30,  0xFE4F },
    {0xFEFF,  0xFEFF },
    {0xFF00,  0xFF0F },
    {0xFF1A,  0xFF20 },
    {0xFF3B,  0xFF3E },
    {0xFF40,  0xFF40 },
    {0xFF5B,  0xFF65 },
    {0xFFF0,  0xFFFF },
    {0x1F000, 0x1FAFF},
};

static int name_char_ok(uint32_t cp)
{
    for (size_t i = 0; i < sizeof not_in_names / sizeof not_in_names[0]; i++)
        if (cp >= not_in_names[i].lo && cp <= not_in_names[i].hi) return 0;
    return 1;
}

/* Invisible characters get Python's "non-printable" wording. */
static int invisible(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF;
}

static void invalid_char(TnParse *p, const char *s)
{
    int len;
    uint32_t cp = utf8_decode((const unsigned char *)s, &len);
    TnToken t = tok_at(p, s, len);
    if (invisible(cp))
        parse_error_at(p, t.line, t.col, "invalid non-printable character U+%04X", (unsigned)cp);
    else
        parse_error_at(p, t.line, t.col, "invalid character '%.*s' (U+%04X)", len, s, (unsigned)cp);
}

/* Rejects a name holding a non-ASCII character that cannot be in names. */
static void check_name(TnParse *p, TnToken t)
{
    for (int i = 0; i < t.n;) {
        int len = 1;
        if ((unsigned char)t.z[i] >= 0x80 &&
            !name_char_ok(utf8_decode((const unsigned char *)t.z + i, &len))) {
            invalid_char(p, t.z + i);
            return;
        }
        i += len;
    }
}

/* ======================================================================
 * Number literals
 * ====================================================================== */

static TnAst *int_literal(TnParse *p, TnToken t)
{
    const char *s = t.z, *e = t.z + t.n;
    int base = 10;
    if (t.n > 1 && s[0] == '0' && strchr("xXoObB", s[1])) {
        base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
        s += 2;
    }
    /* Digits up to 2**63 are read: that one value is fine after a unary minus (the
     * smallest int64); mk_unary folds it and the resolver rejects it anywhere else. */
    const uint64_t limit = (uint64_t)INT64_MAX + 1;
    uint64_t v = 0;
    for (; s < e; s++) {
        if (*s == '_') continue;
        unsigned d = *s <= '9' ? (unsigned)(*s - '0') : (unsigned)((*s | 0x20) - 'a' + 10);
        if (v > (limit - d) / (uint64_t)base) {
            parse_error_at(p, t.line, t.col, "integer literal too large");
            return &p->dummy;
        }
        v = v * (uint64_t)base + d;
    }
    TnAst *n = node_at(p, AST_INT, t);
    n->ival = (int64_t)v; /* 2**63 wraps to INT64_MIN, marked as still to be negated */
    if (v == limit) {
        n->op = AST_INT_NEEDS_MINUS;
        if (p->nbig_ints < (int)(sizeof p->big_ints / sizeof p->big_ints[0]))
            p->big_ints[p->nbig_ints++] = n;
    }
    return n;
}

/* strtod in the "C" locale: a REPL that called setlocale() must still read 1.5. */
static double c_strtod(const char *s)
{
    static locale_t c_locale;
    if (!c_locale) c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

static TnAst *float_literal(TnParse *p, TnToken t)
{
    char small[64], *buf = small;
    if ((size_t)t.n >= sizeof small && !(buf = malloc((size_t)t.n + 1))) {
        oom(p);
        return &p->dummy;
    }
    int k = 0;
    for (int i = 0; i < t.n; i++)
        if (t.z[i] != '_') buf[k++] = t.z[i];
    buf[k] = '\0';
    TnAst *n = node_at(p, AST_FLOAT, t);
    n->fval = c_strtod(buf);
    if (buf != small) free(buf);
    return n;
}

/* 1abc, 1_, 0x, 0b102: Python's wording names the base and the bad digit. */
static void bad_number(TnParse *p, TnToken t)
{
    const char *kind = "decimal";
    int i = 0;
    for (int k = 0; k < t.n; k++) {
        int len;
        if ((unsigned char)t.z[k] >= 0x80 &&
            !name_char_ok(utf8_decode((const unsigned char *)t.z + k, &len))) {
            invalid_char(p, t.z + k);
            return;
        }
    }
    if (t.n > 1 && t.z[0] == '0' && strchr("xXoObB", t.z[1])) {
        char b = (char)(t.z[1] | 0x20);
        kind = b == 'x' ? "hexadecimal" : b == 'o' ? "octal" : "binary";
        const char *digits = b == 'x' ? "0123456789abcdefABCDEF_" : b == 'o' ? "01234567_" : "01_";
        for (i = 2; i < t.n && strchr(digits, t.z[i]); i++)
            ;
        if (i < t.n && t.z[i] >= '0' && t.z[i] <= '9') {
            parse_error_at(p, t.line, t.col + i, "invalid digit '%c' in %s literal", t.z[i], kind);
            return;
        }
    }
    parse_error_at(p, t.line, t.col, "invalid %s literal", kind);
}

/* ======================================================================
 * String literals
 * ====================================================================== */

/* The parts of a string token: prefix flags and the text between the quotes. */
typedef struct StrLit {
    int raw, fmt, bytes;
    const char *body;
    size_t len;
    int line, col; /* position of body[0] */
    size_t known;  /* body_pos's cache: body[known] is at (kline, kcol) */
    int kline, kcol;
} StrLit;

static StrLit split_literal(TnToken t)
{
    StrLit s = {0};
    int i = 0;
    for (; t.z[i] != '\'' && t.z[i] != '"'; i++) {
        char c = (char)(t.z[i] | 0x20);
        s.raw |= c == 'r';
        s.fmt |= c == 'f';
        s.bytes |= c == 'b';
    }
    char q = t.z[i];
    int qlen = (t.n - i >= 6 && t.z[i + 1] == q && t.z[i + 2] == q) ? 3 : 1;
    s.body = t.z + i + qlen;
    s.len = (size_t)(t.n - i - 2 * qlen);
    s.line = s.kline = t.line;
    s.col = s.kcol = t.col + i + qlen;
    return s;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reads up to `max` hex digits at s[*i]; returns the count read. */
static int read_hex(const char *s, size_t n, size_t *i, int max, uint32_t *v)
{
    int k = 0;
    *v = 0;
    while (k < max && *i < n && hexval(s[*i]) >= 0) {
        *v = *v * 16 + (uint32_t)hexval(s[*i]);
        (*i)++;
        k++;
    }
    return k;
}

/* Decodes one backslash escape at s[*i] (just past the backslash) into out;
 * returns the bytes written, or -1 after reporting an error at `at`. */
static int decode_escape(TnParse *p, const char *s, size_t n, size_t *i, char *out, TnToken at)
{
    size_t start = *i - 1;
    char e = s[(*i)++];
    uint32_t cp;
    static const char simple_from[] = "\\'\"abfnrtv", simple_to[] = "\\'\"\a\b\f\n\r\t\v";
    const char *k = strchr(simple_from, e);
    if (e && k) {
        out[0] = simple_to[k - simple_from];
        return 1;
    }
    switch (e) {
    case '\n': return 0;
    case '\r':
        if (*i < n && s[*i] == '\n') (*i)++;
        return 0;
    case 'x':
    case 'u':
    case 'U': {
        int want = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (read_hex(s, n, i, want, &cp) < want) {
            parse_error_at(p, at.line, at.col,
                           "(unicode error) 'unicodeescape' codec can't decode bytes in "
                           "position %zu-%zu: truncated \\%s escape",
                           start, *i - 1,
                           e == 'x'   ? "xXX"
                           : e == 'u' ? "uXXXX"
                                      : "UXXXXXXXX");
            return -1;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            parse_error_at(p, at.line, at.col,
                           "(unicode error) 'unicodeescape' codec can't decode bytes in "
                           "position %zu-%zu: illegal Unicode character",
                           start, *i - 1);
            return -1;
        }
        return utf8_encode(out, cp);
    }
    case 'N': parse_error_at(p, at.line, at.col, "\\N{...} escapes are not supported"); return -1;
    default: break;
    }
    if (e >= '0' && e <= '7') {
        cp = (uint32_t)(e - '0');
        for (int d = 0; d < 2 && *i < n && s[*i] >= '0' && s[*i] <= '7'; d++)
            cp = cp * 8 + (uint32_t)(s[(*i)++] - '0');
        return utf8_encode(out, cp);
    }
    /* An unknown escape keeps its backslash, as in Python. */
    out[0] = '\\';
    out[1] = e;
    return 2;
}

/* Decodes string text into out (never longer than the text: every escape is
 * at least as long as what it stands for). Line ends become '\n'. Returns
 * the length, or -1 after an error. */
static long decode_text(TnParse *p, const char *s, size_t n, int raw, char *out, TnToken at)
{
    size_t i = 0, o = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\r') {
            out[o++] = '\n';
            i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
        } else if (c != '\\' || raw || i + 1 == n) {
            out[o++] = c; /* raw text, or a lone backslash before an f-string field */
            i++;
        } else {
            i++;
            int w = decode_escape(p, s, n, &i, out + o, at);
            if (w < 0) return -1;
            o += (size_t)w;
        }
    }
    return (long)o;
}

/* Appends decoded text to a Buf. */
static int buf_decode(TnParse *p, Buf *b, const char *s, size_t n, int raw, TnToken at)
{
    if (n == 0) return 0;
    char *w = buf_reserve(b, n);
    if (!w) {
        oom(p);
        return -1;
    }
    long len = decode_text(p, s, n, raw, w, at);
    if (len < 0) return -1;
    b->n += (size_t)len;
    return 0;
}

/* ---- f-strings ---- */

static TnAst *parse_fexpr(TnParse *p, const char *s, size_t n, int line, int col);

/* Position of body[k]. Fields are visited left to right, so counting goes
 * on from the last answer (a string with 100000 fields stays linear). */
static void body_pos(StrLit *lit, size_t k, int *line, int *col)
{
    if (k < lit->known) {
        lit->known = 0;
        lit->kline = lit->line;
        lit->kcol = lit->col;
    }
    for (; lit->known < k; lit->known++) {
        if (lit->body[lit->known] == '\n') {
            lit->kline++;
            lit->kcol = 1;
        } else {
            lit->kcol++;
        }
    }
    *line = lit->kline;
    *col = lit->kcol;
}

/* Skips a quoted string inside an f-string expression; returns the index after it. */
static size_t skip_quoted(const char *s, size_t i, size_t n)
{
    char q = s[i];
    int triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
    i += triple ? 3 : 1;
    while (i < n) {
        if (s[i] == '\\') {
            i += 2;
        } else if (s[i] == q && (!triple || (i + 2 < n && s[i + 1] == q && s[i + 2] == q))) {
            return i + (triple ? 3 : 1);
        } else {
            i++;
        }
    }
    return n;
}

/* Finds where a replacement field's expression ends: at a top-level '}',
 * '!' (not '!='), ':' or self-documenting '='. Returns n if it never does. */
static size_t fexpr_end(const char *s, size_t i, size_t n)
{
    int depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            i = skip_quoted(s, i, n);
            continue;
        }
        if (c == '#') return i; /* an error: a comment would swallow the rest */
        if (c == '(' || c == '[' || c == '{') {
            depth++;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            depth--;
        } else if (depth == 0) {
            if (c == '}' || c == ':') return i;
            if (c == '!' && (i + 1 >= n || s[i + 1] != '=')) return i;
            if (c == '=' && (i + 1 >= n || s[i + 1] != '=') &&
                (i == 0 || !strchr("=!<>", s[i - 1])))
                return i;
            if (c == '=' || c == '!' || c == '<' || c == '>') i += (i + 1 < n && s[i + 1] == '=');
        }
        i++;
    }
    return n;
}

/* Finds the '}' closing a format spec that starts at s[i] (specs may hold fields). */
static size_t spec_end(const char *s, size_t i, size_t n)
{
    int depth = 0;
    for (; i < n; i++) {
        if (s[i] == '{')
            depth++;
        else if (s[i] == '}' && depth-- == 0)
            return i;
    }
    return n;
}

typedef struct FParts {
    Buf lit;          /* literal text not yet made a part */
    TnNodeList parts; /* AST_STR and AST_FVALUE nodes */
    int line, col;    /* where the pending literal text started */
} FParts;

/* Turns the pending literal text into an AST_STR part. */
static void flush_literal(TnParse *p, FParts *f)
{
    if (f->lit.n == 0) return;
    TnAst *s = node_new(p, AST_STR, f->line, f->col);
    s->str = arena_strndup(p->arena, f->lit.s ? f->lit.s : "", f->lit.n);
    s->slen = f->lit.n;
    if (!s->str) oom(p);
    f->parts = list_push(p, f->parts, s);
    f->lit.n = 0;
}

static void fstring_body(TnParse *p, FParts *f, StrLit *lit, size_t from, size_t to, int depth);

/* Parses the replacement field whose '{' is at lit->body[*i]; moves *i past its '}'. */
static void fstring_field(TnParse *p, FParts *f, StrLit *lit, size_t *i, size_t to, int depth)
{
    const char *s = lit->body;
    int line, col;
    size_t open = *i, start = open + 1;
    body_pos(lit, open, &line, &col);
    if (depth >= TN_MAX_FSTRING_DEPTH) {
        parse_error_at(p, line, col, "f-string: expressions nested too deeply");
        return;
    }
    size_t j = fexpr_end(s, start, to);
    size_t k = start;
    while (k < j && strchr(" \t\r\n\f", s[k]))
        k++;
    if (k == j && j < to) {
        body_pos(lit, j, &line, &col);
        parse_error_at(p, line, col, "f-string: empty expression not allowed");
        return;
    }
    if (j >= to) {
        parse_error_at(p, line, col, "f-string: expecting '}'");
        return;
    }
    if (s[j] == '#') {
        body_pos(lit, j, &line, &col);
        parse_error_at(p, line, col, "f-string expression part cannot include '#'");
        return;
    }
    int eline, ecol;
    body_pos(lit, start, &eline, &ecol);
    TnAst *fv = node_new(p, AST_FVALUE, line, col);
    fv->a = parse_fexpr(p, s + start, j - start, eline, ecol);
    int selfdoc = s[j] == '=';
    if (selfdoc) { /* f"{x=}" is "x=" then repr(x), or format(x, spec) with a spec */
        j++;
        while (j < to && strchr(" \t\r\n\f", s[j]))
            j++;
        if (buf_decode(p, &f->lit, s + start, j - start, 1, (TnToken){0})) return;
    }
    if (j < to && s[j] == '!') {
        if (j + 1 >= to || !strchr("rsa", s[j + 1])) {
            body_pos(lit, j + 1, &line, &col);
            parse_error_at(p, line, col,
                           "f-string: invalid conversion character: expected 's', 'r', or 'a'");
            return;
        }
        fv->op = (uint8_t)s[j + 1];
        j += 2;
    } else if (selfdoc && !(j < to && s[j] == ':')) {
        fv->op = 'r';
    }
    if (j < to && s[j] == ':') {
        size_t e = spec_end(s, j + 1, to);
        FParts spec = {0};
        body_pos(lit, j + 1, &spec.line, &spec.col);
        fstring_body(p, &spec, lit, j + 1, e, depth + 1);
        flush_literal(p, &spec);
        free(spec.lit.s);
        TnAst *sn = node_new(p, AST_FSTRING, spec.line, spec.col);
        sn->items = spec.parts;
        fv->b = sn;
        j = e;
    }
    if (j >= to || s[j] != '}') {
        body_pos(lit, j < to ? j : to, &line, &col);
        parse_error_at(p, line, col, "f-string: expecting '}'");
        return;
    }
    flush_literal(p, f);
    f->parts = list_push(p, f->parts, fv);
    *i = j + 1;
    body_pos(lit, *i, &f->line, &f->col);
}

/* Splits lit->body[from, to) into literal text and replacement fields. */
static void fstring_body(TnParse *p, FParts *f, StrLit *lit, size_t from, size_t to, int depth)
{
    const char *s = lit->body;
    size_t run = from, i = from;
    TnToken at = {.line = lit->line, .col = lit->col};
    while (i < to && !p->failed) {
        if (s[i] != '{' && s[i] != '}') {
            i++;
            continue;
        }
        int doubled = i + 1 < to && s[i + 1] == s[i];
        if (f->lit.n == 0 && run == i && !doubled) body_pos(lit, i, &f->line, &f->col);
        if (buf_decode(p, &f->lit, s + run, i - run + (size_t)doubled, lit->raw, at)) return;
        if (doubled) {
            i += 2;
        } else if (s[i] == '}') {
            int line, col;
            body_pos(lit, i, &line, &col);
            parse_error_at(p, line, col, "f-string: single '}' is not allowed");
            return;
        } else {
            fstring_field(p, f, lit, &i, to, depth);
        }
        run = i;
    }
    if (!p->failed) buf_decode(p, &f->lit, s + run, to - run, lit->raw, at);
}

/* ---- joining adjacent literals ---- */

static void push_string(TnParse *p, TnToken t)
{
    if (p->nstrs == p->capstrs) {
        int cap = p->capstrs ? p->capstrs * 2 : 8;
        TnToken *s = realloc(p->strs, (size_t)cap * sizeof *s);
        if (!s) {
            oom(p);
            return;
        }
        p->strs = s;
        p->capstrs = cap;
    }
    p->strs[p->nstrs++] = t;
}

/* "a" 'b' → AST_STR "ab": decoded straight into one arena buffer. */
static TnAst *join_plain(TnParse *p)
{
    size_t total = 0;
    for (int i = 0; i < p->nstrs; i++)
        total += (size_t)p->strs[i].n;
    char *buf = arena_alloc(p->arena, total + 1);
    if (!buf) {
        oom(p);
        return &p->dummy;
    }
    size_t len = 0;
    for (int i = 0; i < p->nstrs; i++) {
        StrLit lit = split_literal(p->strs[i]);
        long w = decode_text(p, lit.body, lit.len, lit.raw, buf + len, p->strs[i]);
        if (w < 0) return &p->dummy;
        len += (size_t)w;
    }
    buf[len] = '\0';
    TnAst *n = node_at(p, AST_STR, p->strs[0]);
    n->str = buf;
    n->slen = len;
    return n;
}

/* Literals including an f-string → AST_FSTRING of AST_STR and AST_FVALUE parts. */
static TnAst *join_fstring(TnParse *p)
{
    FParts f = {0};
    f.line = p->strs[0].line;
    f.col = p->strs[0].col;
    for (int i = 0; i < p->nstrs && !p->failed; i++) {
        StrLit lit = split_literal(p->strs[i]);
        if (lit.fmt)
            fstring_body(p, &f, &lit, 0, lit.len, 0);
        else
            buf_decode(p, &f.lit, lit.body, lit.len, lit.raw, p->strs[i]);
    }
    flush_literal(p, &f);
    free(f.lit.s);
    TnAst *n = node_at(p, AST_FSTRING, p->strs[0]);
    n->items = f.parts;
    return n;
}

static void feed(TnParse *p, int code, TnToken t);

/* Feeds the pending adjacent string literals as one STRING token. */
static void flush_strings(TnParse *p)
{
    if (p->nstrs == 0 || p->failed) return;
    int any_f = 0;
    for (int i = 0; i < p->nstrs; i++) {
        StrLit lit = split_literal(p->strs[i]);
        if (lit.bytes) {
            parse_error_at(p, p->strs[i].line, p->strs[i].col, "bytes literals are not supported");
            return;
        }
        any_f |= lit.fmt;
    }
    TnToken t = p->strs[0];
    TnToken last = p->strs[p->nstrs - 1];
    t.node = any_f ? join_fstring(p) : join_plain(p);
    t.n = (int)(last.z + last.n - t.z);
    p->nstrs = 0;
    feed(p, TK_STRING, t);
}

/* ======================================================================
 * The driver: raw tokens → logical lines → the parser
 * ====================================================================== */

static void feed(TnParse *p, int code, TnToken t)
{
    if (p->failed) return;
    p->cur = t;
    TnLemon(p->lemon, code, t);
    p->last_tok = code;
    p->last = t;
}

static int is_block_keyword(int tok)
{
    switch (tok) {
    case TK_IF:
    case TK_ELIF:
    case TK_ELSE:
    case TK_FOR:
    case TK_WHILE:
    case TK_DEF:
    case TK_CLASS:
    case TK_TRY:
    case TK_EXCEPT:
    case TK_FINALLY:
    case TK_WITH: return 1;
    default: return 0;
    }
}

/* "expected an indented block after 'if' statement on line 3" */
static const char *block_name(int tok)
{
    switch (tok) {
    case TK_IF: return "'if' statement";
    case TK_ELIF: return "'elif' statement";
    case TK_ELSE: return "'else' statement";
    case TK_FOR: return "'for' statement";
    case TK_WHILE: return "'while' statement";
    case TK_DEF: return "function definition";
    case TK_CLASS: return "class definition";
    case TK_TRY: return "'try' statement";
    case TK_EXCEPT: return "'except' statement";
    case TK_FINALLY: return "'finally' statement";
    case TK_WITH: return "'with' statement";
    default: return "statement";
    }
}

/* Measures the indentation of a new physical line: tabs advance to the next
 * multiple of 8, and (for TabError) also as 1 column; a form feed resets. */
static void measure_indent(TnParse *p)
{
    const unsigned char *s = p->lx.cur;
    int col = 0, alt = 0;
    for (;; s++) {
        if (*s == ' ') {
            col++;
            alt++;
        } else if (*s == '\t') {
            col = (col / 8 + 1) * 8;
            alt++;
        } else if (*s == '\f') {
            col = alt = 0;
        } else {
            break;
        }
    }
    p->lx.cur = s;
    p->bol_col = col;
    p->bol_alt = alt;
}

/* The first token of a logical line: compare its indentation with the
 * enclosing blocks and feed INDENT or DEDENTs. */
static void start_line(TnParse *p, int code, TnToken t)
{
    int col = p->bol_col, alt = p->bol_alt, top = p->indents[p->nindent];
    p->at_bol = 0;
    p->first_tok = code;
    p->first_line = t.line;
    p->first_z = t.z;
    p->line_has_colon = 0;
    if (col > top) {
        if (!p->block_kw) {
            parse_error_at(p, t.line, t.col, "unexpected indent");
            return;
        }
        if (p->nindent == TN_MAX_INDENT_DEPTH) {
            parse_error_at(p, t.line, t.col, "too many levels of indentation");
            return;
        }
        if (alt <= p->alt_indents[p->nindent]) {
            parse_error_at(p, t.line, t.col, "inconsistent use of tabs and spaces in indentation");
            return;
        }
        p->nindent++;
        p->indents[p->nindent] = col;
        p->alt_indents[p->nindent] = alt;
        p->block_kw = 0;
        feed(p, TK_INDENT, t);
        return;
    }
    if (p->block_kw) {
        parse_error_at(p, t.line, t.col, "expected an indented block after %s on line %d",
                       block_name(p->block_kw), p->block_line);
        return;
    }
    while (p->nindent > 0 && p->indents[p->nindent] > col) {
        p->nindent--;
        feed(p, TK_DEDENT, t);
    }
    if (p->indents[p->nindent] != col)
        parse_error_at(p, t.line, t.col, "unindent does not match any outer indentation level");
    else if (p->alt_indents[p->nindent] != alt)
        parse_error_at(p, t.line, t.col, "inconsistent use of tabs and spaces in indentation");
}

static char closer_of(char open)
{
    return open == '(' ? ')' : open == '[' ? ']' : '}';
}

/* Tracks bracket nesting: lines are joined inside brackets. */
static void bracket(TnParse *p, char c, TnToken t)
{
    if (c == '(' || c == '[' || c == '{') {
        if (p->depth == TN_MAX_PAREN_DEPTH) {
            parse_error_at(p, t.line, t.col, "too many nested parentheses");
            return;
        }
        p->brackets[p->depth++] = (TnBracket){c, t.line, t.col};
        return;
    }
    if (p->depth == 0) {
        parse_error_at(p, t.line, t.col, "unmatched '%c'", c);
        return;
    }
    TnBracket *b = &p->brackets[p->depth - 1];
    if (closer_of(b->ch) != c) {
        if (b->line != t.line)
            parse_error_at(
                p, t.line, t.col,
                "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d", c,
                b->ch, b->line);
        else
            parse_error_at(p, t.line, t.col,
                           "closing parenthesis '%c' does not match opening parenthesis '%c'", c,
                           b->ch);
        return;
    }
    p->depth--;
}

/* A grammar token (or a string piece): indentation first, then the token. */
static void token(TnParse *p, int code, TnToken t)
{
    if (p->at_bol && !p->expr_mode) start_line(p, code, t);
    p->at_bol = 0;
    if (code == LX_STRING) {
        push_string(p, t);
        return;
    }
    flush_strings(p);
    if (p->failed) return;
    switch (code) {
    case TK_NAME: check_name(p, t); break;
    case TK_INT: t.node = int_literal(p, t); break;
    case TK_FLOAT: t.node = float_literal(p, t); break;
    case TK_COLON: p->line_has_colon |= p->depth == 0; break;
    case TK_LPAREN:
    case TK_LBRACKET:
    case TK_LBRACE:
    case TK_RPAREN:
    case TK_RBRACKET:
    case TK_RBRACE: bracket(p, t.z[0], t); break;
    default: break;
    }
    feed(p, code, t);
    p->last_end = t.z + t.n;
}

/* NEWLINE sits right after the last token, where "expected ':'" points
 * (unless a backslash continuation put that token on an earlier line). */
static TnToken newline_tok(TnParse *p, TnToken fallback)
{
    if (!p->last_end || p->last_end < p->line_start) return fallback;
    return tok_at(p, p->last_end, 0);
}

/* A physical newline: ends the logical line unless inside brackets or blank. */
static void newline(TnParse *p, TnToken t)
{
    int ends_line = p->depth == 0 && !p->expr_mode && !p->at_bol;
    if (ends_line) {
        flush_strings(p);
        if (p->last_tok == TK_COLON) {
            p->block_kw = p->first_tok;
            p->block_line = p->first_line;
        }
        feed(p, TK_NEWLINE, newline_tok(p, t));
        p->at_bol = 1;
    }
    p->line++;
    p->line_start = (const char *)p->lx.cur;
    if (p->at_bol && p->depth == 0 && !p->expr_mode) measure_indent(p);
}

/* End of input: close the logical line and the open blocks, then end the parse. */
static void finish(TnParse *p, TnToken t)
{
    if (p->cont.z && p->cont.z + p->cont.n == t.z) {
        incomplete_at(p, p->cont.line, p->cont.col + 1, "unexpected EOF while parsing");
        return;
    }
    if (p->depth > 0) {
        TnBracket *b = &p->brackets[p->depth - 1];
        incomplete_at(p, b->line, b->col, "'%c' was never closed", b->ch);
        return;
    }
    flush_strings(p);
    if (!p->at_bol || p->expr_mode) {
        if (p->last_tok == TK_COLON && !p->expr_mode) {
            p->block_kw = p->first_tok;
            p->block_line = p->first_line;
        }
        feed(p, TK_NEWLINE, newline_tok(p, t));
    }
    if (p->block_kw && !p->failed) {
        incomplete_at(p, p->block_line, p->last.col,
                      "expected an indented block after %s on line %d", block_name(p->block_kw),
                      p->block_line);
        return;
    }
    p->at_eof = 1;
    for (; p->nindent > 0; p->nindent--)
        feed(p, TK_DEDENT, t);
    feed(p, 0, t);
}

/* Raw tokens that are errors by themselves. */
static void lex_error(TnParse *p, int code, TnToken t)
{
    switch (code) {
    case LX_BADCONT:
        if ((const char *)p->lx.cur >= p->end)
            incomplete_at(p, t.line, t.col + 1, "unexpected EOF while parsing");
        else
            parse_error_at(p, t.line, t.col + 1,
                           "unexpected character after line continuation character");
        break;
    case LX_STR_OPEN: {
        int start_line = t.line;
        advance_lines(p, t.z, t.z + t.n - 1); /* Python: the line of its last character */
        /* 'abc\<newline> at the very end: the string may go on in the next line */
        if (t.z + t.n >= p->end && t.n >= 2 && (t.z[t.n - 1] == '\n' || t.z[t.n - 1] == '\r'))
            incomplete_at(p, start_line, t.col, "unterminated string literal (detected at line %d)",
                          p->line);
        else
            parse_error_at(p, start_line, t.col,
                           "unterminated string literal (detected at line %d)", p->line);
        break;
    }
    case LX_STR_OPEN3: {
        int start_line = t.line;
        advance_lines(p, t.z, p->end > t.z ? p->end - 1 : p->end);
        incomplete_at(p, start_line, t.col,
                      "unterminated triple-quoted string literal (detected at line %d)", p->line);
        break;
    }
    case LX_BADNUM: bad_number(p, t); break;
    case LX_ZERONUM:
        parse_error_at(p, t.line, t.col,
                       "leading zeros in decimal integer literals are not permitted; "
                       "use an 0o prefix for octal integers");
        break;
    case LX_IMAG: parse_error_at(p, t.line, t.col, "imaginary numbers are not supported"); break;
    case LX_BANG: parse_error_at(p, t.line, t.col, "invalid syntax"); break;
    default: /* LX_INVALID: one byte no rule takes */
        if ((unsigned char)t.z[0] < 0x20 || t.z[0] == 0x7F)
            invalid_char(p, t.z);
        else
            parse_error_at(p, t.line, t.col, "invalid syntax");
        break;
    }
}

/* The token loop. */
static void tokenize(TnParse *p)
{
    if (p->expr_mode)
        feed(p, TK_EXPRMODE, tok_at(p, p->text, 0));
    else
        measure_indent(p);
    while (!p->failed) {
        int code = lex_scan(&p->lx);
        const char *z = (const char *)p->lx.tok;
        TnToken t = tok_at(p, z, (int)((const char *)p->lx.cur - z));
        switch (code) {
        case LX_EOF: finish(p, t); return;
        case LX_NEWLINE: newline(p, t); break;
        case LX_CONT:
            p->cont = t;
            p->line++;
            p->line_start = (const char *)p->lx.cur;
            break;
        case LX_STRING:
            token(p, code, t);
            advance_lines(p, z, z + t.n);
            p->last_end = z + t.n;
            break;
        default:
            if (code >= LX_EOF)
                lex_error(p, code, t);
            else
                token(p, code, t);
            break;
        }
    }
}

/* Sets up p to tokenize [text, end) (NUL at *end) starting at (line, col). */
static int parse_init(TnParse *p, TnArena *arena, TnParseError *err, const char *text,
                      const char *end, int line, int col)
{
    p->arena = arena;
    p->err = err;
    p->text = text;
    p->end = end;
    p->lx.cur = (const unsigned char *)text;
    p->line = p->line_base = line;
    p->col_base = col;
    p->line_start = text;
    p->at_bol = 1;
    if (p->lemon)
        TnLemonInit(p->lemon, p); /* a parser handed down by parse_fexpr */
    else
        p->lemon = TnLemonAlloc(malloc, p);
    if (!p->lemon) {
        parse_error_at(p, line, col, "out of memory");
        return -1;
    }
    return 0;
}

static void parse_done(TnParse *p)
{
    if (p->lemon) TnLemonFree(p->lemon, free);
    if (p->spare_lemon) TnLemonFree(p->spare_lemon, free);
    free(p->strs);
    free(p->parens);
}

/* Parses an f-string replacement expression s[0, n), found at (line, col) of
 * the source, with a nested parse in expression mode (as if in brackets). */
static TnAst *parse_fexpr(TnParse *p, const char *s, size_t n, int line, int col)
{
    if (p->failed) return &p->dummy;
    if (p->nesting >= TN_MAX_PARSE_NESTING) {
        parse_error_at(p, line, col, "f-string: expressions nested too deeply");
        return &p->dummy;
    }
    char *text = malloc(n + 1);
    TnParse *sub = calloc(1, sizeof *sub);
    if (!text || !sub) {
        free(text);
        free(sub);
        oom(p);
        return &p->dummy;
    }
    memcpy(text, s, n);
    text[n] = '\0';
    sub->nesting = p->nesting + 1;
    sub->expr_mode = 1;
    /* lemon's parser carries its whole stack: one per field would be allocated and cleared
     * 100000 times for a long f-string, so a finished sub-parse hands it back */
    sub->lemon = p->spare_lemon;
    p->spare_lemon = NULL;
    if (parse_init(sub, p->arena, p->err, text, text + n, line, col) == 0) tokenize(sub);
    TnAst *r = sub->failed || !sub->result ? &p->dummy : sub->result;
    if (sub->failed) p->failed = 1;
    if (sub->lemon) {
        TnLemonFinalize(sub->lemon);
        p->spare_lemon = sub->lemon;
        sub->lemon = NULL;
    }
    parse_done(sub);
    free(sub);
    free(text);
    return r;
}

/* Statements that only make sense inside a function or loop (CPython finds
 * these in its compiler). Recursion follows block nesting, which the
 * indentation cap bounds; elif chains (nested in orelse, however long) are
 * walked in a loop. */
static void check_context(TnParse *p, const TnNodeList *body, int in_def, int in_loop)
{
    for (int i = 0; i < body->n && !p->failed; i++) {
        TnAst *s = body->items[i];
        switch (s->kind) {
        case AST_RETURN:
            if (!in_def) error_node(p, s, "%s", "'return' outside function");
            break;
        case AST_BREAK:
            if (!in_loop) error_node(p, s, "%s", "'break' outside loop");
            break;
        case AST_CONTINUE:
            if (!in_loop) error_node(p, s, "%s", "'continue' not properly in loop");
            break;
        case AST_NONLOCAL:
            if (!in_def) error_node(p, s, "%s", "nonlocal declaration not allowed at module level");
            break;
        case AST_DEF: check_context(p, &s->body, 1, 0); break;
        case AST_CLASS: check_context(p, &s->body, 0, 0); break;
        case AST_WHILE:
        case AST_FOR: /* a loop's else clause belongs to the enclosing context */
            check_context(p, &s->body, in_def, 1);
            check_context(p, &s->orelse, in_def, in_loop);
            break;
        case AST_TRY:
            for (int h = 0; h < s->items.n; h++)
                check_context(p, &s->items.items[h]->body, in_def, in_loop);
            check_context(p, &s->finalbody, in_def, in_loop);
            check_context(p, &s->body, in_def, in_loop);
            check_context(p, &s->orelse, in_def, in_loop);
            break;
        case AST_WITH: check_context(p, &s->body, in_def, in_loop); break;
        case AST_IF:
            for (; s->orelse.n == 1 && s->orelse.items[0]->kind == AST_IF; s = s->orelse.items[0])
                check_context(p, &s->body, in_def, in_loop);
            check_context(p, &s->body, in_def, in_loop);
            check_context(p, &s->orelse, in_def, in_loop);
            break;
        default: break;
        }
    }
}

TnAst *tn_parse(TnArena *arena, TnParseError *err)
{
    memset(err, 0, sizeof *err);
    TnParse *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        err->line = err->col = 1;
        return NULL;
    }
    const char *text = arena->source, *end = arena->source + arena->source_len;
    if (arena->source_len > INT_MAX / 2) { /* token lengths and columns are ints */
        snprintf(err->msg, sizeof err->msg, "source code too large");
        err->line = err->col = 1;
        free(p);
        return NULL;
    }
    const char *what = "";
    long bad = utf8_check((const unsigned char *)text, arena->source_len, &what);
    if (bad >= 0) {
        p->err = err;
        p->line_start = text;
        p->line = p->line_base = p->col_base = 1;
        advance_lines(p, text, text + bad);
        TnToken t = tok_at(p, text + bad, 1);
        parse_error_at(p, t.line, t.col,
                       "(unicode error) 'utf-8' codec can't decode byte 0x%02x in position %ld: %s",
                       (unsigned char)text[bad], bad, what);
        free(p);
        return NULL;
    }
    const char *nul = memchr(text, '\0', arena->source_len);
    if (nul) {
        p->err = err;
        p->line_start = text;
        p->line = p->line_base = p->col_base = 1;
        advance_lines(p, text, nul);
        TnToken t = tok_at(p, nul, 1);
        parse_error_at(p, t.line, t.col, "source code cannot contain null bytes");
        free(p);
        return NULL;
    }
    if (end - text >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3; /* a UTF-8 byte order mark */
    if (parse_init(p, arena, err, text, end, 1, 1) == 0) tokenize(p);
    if (!p->failed && p->result) check_context(p, &p->result->body, 0, 0);
    for (int i = 0; i < p->nbig_ints && !p->failed; i++)
        if (p->big_ints[i]->op == AST_INT_NEEDS_MINUS)
            error_node(p, p->big_ints[i], "%s", "integer literal too large");
    TnAst *result = p->failed ? NULL : p->result;
    if (!p->failed && !result) {
        snprintf(err->msg, sizeof err->msg, "invalid syntax");
        err->line = err->col = 1;
    }
    parse_done(p);
    free(p);
    return result;
}

/* ======================================================================
 * Syntax errors reported by the grammar
 * ====================================================================== */

static int ends_operand(int tok)
{
    switch (tok) {
    case TK_NAME:
    case TK_INT:
    case TK_FLOAT:
    case TK_STRING:
    case TK_NONE:
    case TK_TRUE:
    case TK_FALSE:
    case TK_ELLIPSIS:
    case TK_RPAREN:
    case TK_RBRACKET:
    case TK_RBRACE: return 1;
    default: return 0;
    }
}

static int starts_operand(int tok)
{
    switch (tok) {
    case TK_NAME:
    case TK_INT:
    case TK_FLOAT:
    case TK_STRING:
    case TK_NONE:
    case TK_TRUE:
    case TK_FALSE:
    case TK_ELLIPSIS:
    case TK_LPAREN:
    case TK_LBRACKET:
    case TK_LBRACE:
    case TK_LAMBDA:
    case TK_TILDE: return 1;
    default: return 0;
    }
}

void parse_syntax_error(TnParse *p, int code, TnToken tok)
{
    if (p->failed) return;
    if (code == 0 || p->at_eof) {
        incomplete_at(p, tok.line, tok.col, "unexpected EOF while parsing");
        return;
    }
    const char *msg = "invalid syntax";
    if (code == TK_INDENT)
        msg = "unexpected indent";
    else if (code == TK_YIELD || code == TK_ASYNC || code == TK_AWAIT)
        msg = code == TK_YIELD ? "'yield' is not supported" : "async and await are not supported";
    else if (code == TK_WALRUS)
        msg = "assignment expressions (:=) are not supported";
    else if (code == TK_NEWLINE && is_block_keyword(p->first_tok) && !p->line_has_colon)
        msg = "expected ':'";
    else if (p->last_tok == TK_NAME && p->last.z == p->first_z && p->last.n == 5 &&
             memcmp(p->last.z, "print", 5) == 0 && p->depth == 0 && starts_operand(code)) {
        parse_error_at(p, p->last.line, p->last.col,
                       "Missing parentheses in call to 'print'. Did you mean print(...)?");
        return;
    } else if ((p->depth > 0 || p->expr_mode) && ends_operand(p->last_tok) &&
               starts_operand(code)) {
        TnBracket *b = &p->brackets[p->depth > 0 ? p->depth - 1 : 0];
        if (p->depth > 0 && tok.line > b->line && p->last.line < tok.line) {
            parse_error_at(p, b->line, b->col, "'%c' was never closed", b->ch);
            return;
        }
        msg = "invalid syntax. Perhaps you forgot a comma?";
        tok = p->last;
    }
    parse_error_at(p, tok.line, tok.col, "%s", msg);
}

/* ======================================================================
 * Node builders (called by the grammar's actions)
 * ====================================================================== */

/* A parenthesized expression is its inner node (Python's AST has no paren
 * node), but a node that starts with it starts at the '(' (Python's col_offset
 * of `(a + b) * c`). This open-addressing table maps such inner nodes to the
 * position of their outermost '('. */
static size_t paren_slot(const TnParse *p, const TnAst *n)
{
    return ((uintptr_t)n >> 4) * 0x9E3779B97F4A7C15u & (p->capparens - 1);
}

static void paren_note(TnParse *p, TnAst *n, TnToken lp)
{
    if (2 * (p->nparens + 1) > p->capparens) {
        size_t cap = p->capparens ? 2 * p->capparens : 64;
        TnParenPos *old = p->parens;
        size_t oldcap = p->capparens;
        p->parens = calloc(cap, sizeof *p->parens);
        if (!p->parens) {
            p->parens = old;
            oom(p);
            return;
        }
        p->capparens = cap;
        p->nparens = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].node)
                paren_note(p, old[i].node, (TnToken){.line = old[i].line, .col = old[i].col});
        free(old);
    }
    size_t i = paren_slot(p, n);
    while (p->parens[i].node && p->parens[i].node != n)
        i = (i + 1) & (p->capparens - 1);
    p->nparens += !p->parens[i].node;
    p->parens[i] = (TnParenPos){n, lp.line, lp.col};
}

/* Where the expression n starts, counting parentheses around it. */
static TnToken start_of(TnParse *p, const TnAst *n)
{
    TnToken t = {.line = n->line, .col = n->col};
    if (!p->capparens) return t;
    for (size_t i = paren_slot(p, n); p->parens[i].node; i = (i + 1) & (p->capparens - 1)) {
        if (p->parens[i].node == n) {
            t.line = p->parens[i].line;
            t.col = p->parens[i].col;
            break;
        }
    }
    return t;
}

TnAst *node_new(TnParse *p, int kind, int line, int col)
{
    TnAst *n = arena_alloc(p->arena, sizeof *n);
    if (!n) {
        oom(p);
        memset(&p->dummy, 0, sizeof p->dummy);
        return &p->dummy;
    }
    n->kind = (uint8_t)kind;
    n->line = line;
    n->col = col;
    return n;
}

TnAst *node_at(TnParse *p, int kind, TnToken t)
{
    return node_new(p, kind, t.line, t.col);
}

TnAst *node_a(TnParse *p, int kind, TnToken t, TnAst *a)
{
    TnAst *n = node_at(p, kind, t);
    n->a = a;
    return n;
}

TnAst *node_ab(TnParse *p, int kind, TnToken t, TnAst *a, TnAst *b)
{
    TnAst *n = node_a(p, kind, t, a);
    n->b = b;
    return n;
}

static const char *copy_tok(TnParse *p, TnToken t)
{
    char *s = arena_strndup(p->arena, t.z, (size_t)t.n);
    if (!s) oom(p);
    return s ? s : "";
}

TnAst *name_node(TnParse *p, TnToken t)
{
    TnAst *n = node_at(p, AST_NAME, t);
    n->str = copy_tok(p, t);
    n->slen = (size_t)t.n;
    return n;
}

TnNodeList list_empty(void)
{
    return (TnNodeList){0};
}

TnNodeList list_push(TnParse *p, TnNodeList l, TnAst *n)
{
    if (nodelist_push(p->arena, &l, n)) oom(p);
    return l;
}

TnNodeList list1(TnParse *p, TnAst *n)
{
    return list_push(p, list_empty(), n);
}

TnNodeList list_cat(TnParse *p, TnNodeList l, TnNodeList m)
{
    for (int i = 0; i < m.n; i++)
        l = list_push(p, l, m.items[i]);
    return l;
}

/* ---- expressions ---- */

TnAst *mk_binop(TnParse *p, int op, TnAst *a, TnAst *b)
{
    TnAst *n = node_at(p, AST_BINOP, start_of(p, a));
    n->op = (uint8_t)op;
    n->a = a;
    n->b = b;
    return n;
}

TnAst *mk_unary(TnParse *p, int op, TnToken t, TnAst *a)
{
    if (op == UOP_NEG && a->kind == AST_INT && a->op == AST_INT_NEEDS_MINUS) {
        a->op = 0; /* -9223372036854775808: ival already holds INT64_MIN */
        a->line = t.line;
        a->col = t.col;
        return a;
    }
    TnAst *n = node_a(p, AST_UNARY, t, a);
    n->op = (uint8_t)op;
    return n;
}

TnAst *mk_boolop(TnParse *p, int kind, TnAst *a, TnAst *b)
{
    TnAst *n = node_at(p, kind, start_of(p, a));
    n->a = a;
    n->b = b;
    return n;
}

/* Appends `op right` to a comparison chain; cmpops grows by doubling. */
TnAst *mk_compare(TnParse *p, TnAst *chain, TnAst *left, int op, TnAst *right)
{
    TnAst *n = chain;
    if (!n) {
        n = node_at(p, AST_COMPARE, start_of(p, left));
        n->items = list1(p, left);
    }
    int k = n->items.n - 1; /* operators so far */
    if (k >= 0 && (k == 0 || (k & (k - 1)) == 0)) {
        uint8_t *ops = arena_alloc(p->arena, (size_t)(k ? 2 * k : 1));
        if (!ops) {
            oom(p);
            return n;
        }
        if (k) memcpy(ops, n->cmpops, (size_t)k);
        n->cmpops = ops;
    }
    n->items = list_push(p, n->items, right);
    if (n->cmpops && k >= 0) n->cmpops[k] = (uint8_t)op;
    return n;
}

TnAst *mk_ifexp(TnParse *p, TnAst *body, TnAst *cond, TnAst *orelse)
{
    TnAst *n = node_at(p, AST_IFEXP, start_of(p, body));
    n->a = cond;
    n->b = body;
    n->c = orelse;
    return n;
}

TnAst *expect_else(TnParse *p, TnAst *body)
{
    error_node(p, body, "%s", "expected 'else' after 'if' expression");
    return body;
}

TnAst *no_star(TnParse *p, TnAst *e)
{
    if (e->kind == AST_STARRED) error_node(p, e, "%s", "can't use starred expression here");
    return e;
}

TnAst *mk_attr(TnParse *p, TnAst *obj, TnToken name)
{
    TnAst *n = node_at(p, AST_ATTR, start_of(p, obj));
    n->a = obj;
    n->str = copy_tok(p, name);
    n->slen = (size_t)name.n;
    return n;
}

TnAst *mk_subscript(TnParse *p, TnAst *obj, TnNodeList idx, int trailing_comma)
{
    TnAst *n = node_at(p, AST_SUBSCRIPT, start_of(p, obj));
    n->a = obj;
    n->b = mk_tuple(p, idx, trailing_comma);
    return n;
}

TnAst *mk_slice(TnParse *p, TnToken colon, TnAst *lo, TnAst *hi, TnAst *step)
{
    TnAst *n = node_at(p, AST_SLICE, lo ? start_of(p, lo) : colon);
    n->a = lo;
    n->b = hi;
    n->c = step;
    return n;
}

/* A name and where it was written, for finding repeats in O(n log n). */
typedef struct Named {
    const char *name;
    int index;
} Named;

static int cmp_named(const void *x, const void *y)
{
    const Named *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Returns the index of a repeated name (str) among the items for which
 * `want` holds, or -1: the earliest repetition, or with by_first the second
 * occurrence of the earliest name that repeats (CPython's choice for call
 * keywords). A def or call may have 100000 names, so this sorts. */
static int first_repeat(TnParse *p, const TnNodeList *l, int (*want)(const TnAst *), int by_first)
{
    Named *v = malloc((size_t)(l->n ? l->n : 1) * sizeof *v);
    if (!v) {
        oom(p);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < l->n; i++)
        if (want(l->items[i])) v[n++] = (Named){l->items[i]->str, i};
    qsort(v, (size_t)n, sizeof *v, cmp_named);
    int best = -1, best_key = 0;
    for (int i = 1; i < n; i++) {
        if (strcmp(v[i - 1].name, v[i].name) != 0 ||
            (i > 1 && strcmp(v[i - 2].name, v[i - 1].name) == 0))
            continue;
        int key = by_first ? v[i - 1].index : v[i].index;
        if (best < 0 || key < best_key) {
            best = v[i].index;
            best_key = key;
        }
    }
    free(v);
    return best;
}

static int is_keyword_arg(const TnAst *a)
{
    return a->kind == AST_KEYWORD;
}

static int is_named_param(const TnAst *a)
{
    return a->str != NULL;
}

#define BARE_GENEXP 1

/* An unparenthesized generator expression argument (bare_genexp) is only
 * allowed alone, `f(x for x in y)`, and then starts at the call's '('.
 * Otherwise Python's order: positional and *x, then keywords and *x, then
 * **m; a keyword may not repeat. */
TnAst *mk_call(TnParse *p, TnAst *callee, TnToken lp, TnNodeList args)
{
    int seen_kw = 0, seen_dstar = 0;
    for (int i = 0; i < args.n && !p->failed; i++) {
        TnAst *a = args.items[i];
        if (a->kind == AST_GENEXP && a->op == BARE_GENEXP) {
            if (args.n > 1) error_node(p, a, "%s", "Generator expression must be parenthesized");
            a->op = 0;
            a->line = lp.line;
            a->col = lp.col;
        } else if (a->kind == AST_KEYWORD) {
            seen_kw = 1;
        } else if (a->kind == AST_DSTAR) {
            seen_dstar = 1;
        } else if (a->kind == AST_STARRED) {
            if (seen_dstar)
                error_node(p, a, "%s",
                           "iterable argument unpacking follows keyword argument unpacking");
        } else if (seen_dstar) {
            error_node(p, a, "%s", "positional argument follows keyword argument unpacking");
        } else if (seen_kw) {
            error_node(p, a, "%s", "positional argument follows keyword argument");
        }
    }
    int rep = p->failed ? -1 : first_repeat(p, &args, is_keyword_arg, 1);
    if (rep >= 0)
        error_node(p, args.items[rep], "keyword argument repeated: %s", args.items[rep]->str);
    TnAst *n = node_at(p, AST_CALL, start_of(p, callee));
    n->a = callee;
    n->items = args;
    return n;
}

/* A generator expression argument without its own parentheses; op marks it
 * until mk_call has checked it (op is otherwise unused by AST_GENEXP). */
TnAst *bare_genexp(TnParse *p, TnAst *elt, TnNodeList fors)
{
    TnAst *n = mk_comp(p, AST_GENEXP, start_of(p, elt), elt, NULL, fors);
    n->op = BARE_GENEXP;
    return n;
}

TnAst *mk_keyword(TnParse *p, TnToken name, TnAst *value)
{
    TnAst *n = node_a(p, AST_KEYWORD, name, value);
    n->str = copy_tok(p, name);
    n->slen = (size_t)name.n;
    return n;
}

TnAst *mk_tuple(TnParse *p, TnNodeList items, int trailing_comma)
{
    if (items.n == 1 && !trailing_comma) return items.items[0];
    TnAst *first = items.n ? items.items[0] : &p->dummy;
    TnAst *n = node_at(p, AST_TUPLE, start_of(p, first));
    n->items = items;
    return n;
}

TnAst *mk_paren(TnParse *p, TnToken lp, TnNodeList items, int trailing_comma)
{
    if (items.n == 1 && !trailing_comma) {
        if (items.items[0]->kind == AST_STARRED)
            error_node(p, items.items[0], "%s", "cannot use starred expression here");
        paren_note(p, items.items[0], lp);
        return items.items[0];
    }
    TnAst *n = node_at(p, AST_TUPLE, lp);
    n->items = items;
    return n;
}

TnAst *mk_display(TnParse *p, int kind, TnToken t, TnNodeList items)
{
    TnAst *n = node_at(p, kind, t);
    n->items = items;
    return n;
}

TnAst *mk_comp(TnParse *p, int kind, TnToken t, TnAst *elt, TnAst *val, TnNodeList fors)
{
    TnAst *n = node_at(p, kind, t);
    n->a = elt;
    n->b = val;
    n->items = fors;
    return n;
}

static void check_store(TnParse *p, TnAst *target);

TnAst *mk_compfor(TnParse *p, TnToken t, TnAst *target, TnAst *iter)
{
    check_store(p, target);
    return node_ab(p, AST_COMPFOR, t, target, iter);
}

TnNodeList comp_add_if(TnParse *p, TnNodeList fors, TnAst *cond)
{
    TnAst *last = fors.n ? fors.items[fors.n - 1] : &p->dummy;
    last->items = list_push(p, last->items, cond);
    return fors;
}

/* ---- parameters ---- */

TnAst *mk_param(TnParse *p, TnToken name, TnAst *dflt, int kind)
{
    TnAst *n = node_a(p, AST_PARAM, name, dflt);
    n->str = copy_tok(p, name);
    n->slen = (size_t)name.n;
    n->op = (uint8_t)kind;
    return n;
}

/* A bare '*' (VARARGS without a name) or '/' (NORMAL without a name). */
TnAst *mk_param_marker(TnParse *p, TnToken t, int star)
{
    TnAst *n = node_at(p, AST_PARAM, t);
    n->op = star ? PARAM_VARARGS : PARAM_NORMAL;
    return n;
}

/* Checks parameter order like CPython, drops the markers and marks the
 * parameters after '*' or '*args' keyword-only. */
static TnNodeList finish_params(TnParse *p, TnNodeList in)
{
    TnNodeList out = list_empty();
    int seen_default = 0, seen_star = 0, seen_varkw = 0, named_after_bare = 0;
    TnAst *bare = NULL;
    for (int i = 0; i < in.n && !p->failed; i++) {
        TnAst *a = in.items[i];
        if (seen_varkw) {
            error_node(p, a, "%s", "arguments cannot follow var-keyword argument");
            break;
        }
        if (!a->str) { /* marker */
            if (a->op == PARAM_VARARGS) {
                if (seen_star) error_node(p, a, "%s", "* argument may appear only once");
                seen_star = 1;
                bare = a;
            } else if (seen_star) {
                error_node(p, a, "%s", "/ must be ahead of *");
            } else if (out.n == 0) {
                error_node(p, a, "%s", "at least one argument must precede /");
            }
            continue;
        }
        if (a->op == PARAM_VARARGS) {
            if (seen_star) error_node(p, a, "%s", "* argument may appear only once");
            seen_star = 1;
        } else if (a->op == PARAM_VARKW) {
            if (bare && !named_after_bare)
                error_node(p, bare, "%s", "named arguments must follow bare *");
            seen_varkw = 1;
        } else if (seen_star) {
            a->op = PARAM_KWONLY;
            named_after_bare = 1;
        } else if (a->a) {
            seen_default = 1;
        } else if (seen_default) {
            error_node(p, a, "%s", "non-default argument follows default argument");
        }
        out = list_push(p, out, a);
    }
    if (bare && !named_after_bare && !seen_varkw)
        error_node(p, bare, "%s", "named arguments must follow bare *");
    int rep = p->failed ? -1 : first_repeat(p, &in, is_named_param, 0);
    if (rep >= 0)
        error_node(p, in.items[rep], "duplicate argument '%s' in function definition",
                   in.items[rep]->str);
    return out;
}

TnAst *mk_lambda(TnParse *p, TnToken t, TnNodeList params, TnAst *body)
{
    TnAst *n = node_a(p, AST_LAMBDA, t, body);
    n->params = finish_params(p, params);
    return n;
}

/* ---- assignment targets ---- */

/* What Python calls an expression in "cannot assign to %s". */
static const char *expr_name(TnAst *e)
{
    switch (e->kind) {
    case AST_CALL: return "function call";
    case AST_INT:
    case AST_FLOAT:
    case AST_STR: return "literal";
    case AST_FSTRING: return "f-string expression";
    case AST_NONE: return "None";
    case AST_TRUE: return "True";
    case AST_FALSE: return "False";
    case AST_ELLIPSIS: return "ellipsis";
    case AST_COMPARE: return "comparison";
    case AST_IFEXP: return "conditional expression";
    case AST_LAMBDA: return "lambda";
    case AST_LISTCOMP: return "list comprehension";
    case AST_SETCOMP: return "set comprehension";
    case AST_DICTCOMP: return "dict comprehension";
    case AST_GENEXP: return "generator expression";
    case AST_DICT: return "dict literal";
    case AST_SET: return "set display";
    case AST_STARRED: return "starred";
    case AST_ATTR: return "attribute";
    case AST_SUBSCRIPT: return "subscript";
    case AST_NAME: return "name";
    case AST_LIST: return "list";
    case AST_TUPLE: return "tuple";
    default: return "expression";
    }
}

/* Finds the first part of a target that cannot be assigned (or deleted);
 * *why gets a full message for the starred cases, else stays NULL. */
static TnAst *bad_target(TnAst *t, int del, int in_seq, const char **why)
{
    switch (t->kind) {
    case AST_NAME:
    case AST_ATTR:
    case AST_SUBSCRIPT: return NULL;
    case AST_TUPLE:
    case AST_LIST: {
        int stars = 0;
        for (int i = 0; i < t->items.n; i++) {
            TnAst *bad = bad_target(t->items.items[i], del, 1, why);
            if (bad) return bad;
            stars += t->items.items[i]->kind == AST_STARRED;
        }
        if (stars > 1) {
            *why = "multiple starred expressions in assignment";
            return t;
        }
        return NULL;
    }
    case AST_STARRED:
        if (del) return t;
        if (!in_seq) {
            *why = "starred assignment target must be in a list or tuple";
            return t;
        }
        return bad_target(t->a, del, 0, why);
    default: return t;
    }
}

/* Python adds "here. Maybe you meant '==' instead of '='?" when `x = y` could
 * have been meant as a comparison: a lone target that is an operand-level
 * expression (not a tuple, list, comparison, not/and/or, lambda or if-else). */
static int maybe_comparison(TnAst *bad)
{
    switch (bad->kind) {
    case AST_NONE:
    case AST_TRUE:
    case AST_FALSE:
    case AST_TUPLE:
    case AST_LIST:
    case AST_GENEXP:
    case AST_COMPARE:
    case AST_AND:
    case AST_OR:
    case AST_LAMBDA:
    case AST_IFEXP: return 0;
    case AST_UNARY: return bad->op != UOP_NOT;
    default: return 1;
    }
}

/* Reports a bad target: `here` asks for the "Maybe you meant '=='" hint. */
static void report_target(TnParse *p, TnAst *bad, const char *why, const char *verb, int here)
{
    if (why)
        error_node(p, bad, "%s", why);
    else if (here && maybe_comparison(bad))
        parse_error_at(p, bad->line, bad->col,
                       "cannot %s %s here. Maybe you meant '==' instead of '='?", verb,
                       expr_name(bad));
    else
        parse_error_at(p, bad->line, bad->col, "cannot %s %s", verb, expr_name(bad));
}

static void check_store(TnParse *p, TnAst *target)
{
    const char *why = NULL;
    TnAst *bad = bad_target(target, 0, 0, &why);
    if (bad) report_target(p, bad, why, "assign to", 0);
}

/* ---- statements ---- */

TnAst *mk_exprstmt(TnParse *p, TnAst *e)
{
    TnAst *n = node_at(p, AST_EXPR, start_of(p, e));
    n->a = no_star(p, e);
    return n;
}

/* `t1 = t2 = value`. The hint applies to a lone target, or to the last item
 * of an unparenthesized tuple target (`a, f() = 1`), as CPython does. */
TnAst *mk_assign(TnParse *p, TnNodeList targets, TnAst *value)
{
    for (int i = 0; i < targets.n && !p->failed; i++) {
        TnAst *t = targets.items[i];
        const char *why = NULL;
        TnAst *bad = bad_target(t, 0, 0, &why);
        if (!bad) continue;
        int bare_tuple = t->kind == AST_TUPLE && t->items.n && t->items.items[0]->line == t->line &&
                         t->items.items[0]->col == t->col;
        int here =
            targets.n == 1 && (bad == t || (bare_tuple && bad == t->items.items[t->items.n - 1]));
        report_target(p, bad, why, "assign to", here);
    }
    TnAst *n = node_at(p, AST_ASSIGN, start_of(p, targets.n ? targets.items[0] : &p->dummy));
    n->items = targets;
    n->a = no_star(p, value);
    return n;
}

/* `x: T = v` is `x = v`; `x: T` alone does nothing at run time. */
TnAst *mk_annassign(TnParse *p, TnAst *target, TnAst *value)
{
    if (target->kind == AST_TUPLE || target->kind == AST_LIST)
        error_node(p, target, "only single target (not %s) can be annotated",
                   target->kind == AST_TUPLE ? "tuple" : "list");
    else if (target->kind != AST_NAME && target->kind != AST_ATTR && target->kind != AST_SUBSCRIPT)
        error_node(p, target, "%s", "illegal target for annotation");
    if (!value) return node_new(p, AST_PASS, target->line, target->col);
    return mk_assign(p, list1(p, target), value);
}

TnAst *mk_augassign(TnParse *p, TnAst *target, int op, TnAst *value)
{
    if (target->kind != AST_NAME && target->kind != AST_ATTR && target->kind != AST_SUBSCRIPT)
        parse_error_at(p, target->line, target->col,
                       "'%s' is an illegal expression for augmented assignment", expr_name(target));
    TnAst *n = node_at(p, AST_AUGASSIGN, start_of(p, target));
    n->op = (uint8_t)op;
    n->a = target;
    n->b = no_star(p, value);
    return n;
}

/* `del a, (b, c)` deletes a, b, c: tuples and lists are flattened here. */
static void del_targets(TnParse *p, TnNodeList *out, TnAst *t)
{
    if (t->kind == AST_TUPLE || t->kind == AST_LIST) {
        for (int i = 0; i < t->items.n; i++)
            del_targets(p, out, t->items.items[i]);
        return;
    }
    if (t->kind != AST_NAME && t->kind != AST_ATTR && t->kind != AST_SUBSCRIPT) {
        if (!p->failed) parse_error_at(p, t->line, t->col, "cannot delete %s", expr_name(t));
        return;
    }
    *out = list_push(p, *out, t);
}

TnAst *mk_del(TnParse *p, TnToken t, TnNodeList targets)
{
    TnAst *n = node_at(p, AST_DEL, t);
    for (int i = 0; i < targets.n; i++)
        del_targets(p, &n->items, targets.items[i]);
    return n;
}

TnAst *mk_names(TnParse *p, int kind, TnToken t, TnNodeList names)
{
    TnAst *n = node_at(p, kind, t);
    n->items = names;
    return n;
}

/* `a . b .c` spans from its first name to its last; only blanks and
 * backslash continuations can sit between the parts (no brackets here). */
TnToken dotted_join(TnParse *p, TnToken a, TnToken b)
{
    a.n = (int)(b.z + b.n - a.z);
    return a;
}

/* The dotted name's text without what separates its parts. */
static const char *copy_dotted(TnParse *p, TnToken t, size_t *len)
{
    char *s = arena_alloc(p->arena, (size_t)t.n + 1);
    size_t n = 0;
    if (!s) {
        oom(p);
        *len = 0;
        return "";
    }
    for (int i = 0; i < t.n; i++)
        if (!strchr(" \t\f\\\r\n", t.z[i])) s[n++] = t.z[i];
    s[n] = '\0';
    *len = n;
    return s;
}

TnAst *mk_alias(TnParse *p, TnToken dotted, TnToken as)
{
    TnAst *n = node_at(p, AST_ALIAS, dotted);
    n->str = copy_dotted(p, dotted, &n->slen);
    if (as.z) n->str2 = copy_tok(p, as);
    return n;
}

TnAst *mk_importfrom(TnParse *p, TnToken t, TnToken module, TnNodeList names, int star)
{
    TnAst *n = node_at(p, AST_IMPORTFROM, t);
    n->str = copy_dotted(p, module, &n->slen);
    n->items = names;
    n->op = (uint8_t)star;
    return n;
}

TnAst *mk_if(TnParse *p, TnToken t, TnAst *cond, TnNodeList body)
{
    TnAst *n = node_a(p, AST_IF, t, cond);
    n->body = body;
    return n;
}

/* While a chain is being built, its head's `c` (unused by AST_IF) points to
 * its last `if`, so each elif is added in constant time. */
TnAst *if_add_elif(TnParse *p, TnAst *head, TnAst *elif)
{
    TnAst *tail = head->c ? head->c : head;
    tail->orelse = list1(p, elif);
    head->c = elif;
    return head;
}

TnAst *if_add_else(TnParse *p, TnAst *head, TnNodeList orelse)
{
    TnAst *tail = head->c ? head->c : head;
    if (orelse.n) tail->orelse = orelse;
    head->c = NULL;
    return head;
}

TnAst *mk_loop(TnParse *p, int kind, TnToken t, TnAst *a, TnAst *b, TnNodeList body,
               TnNodeList orelse)
{
    TnAst *n = node_ab(p, kind, t, a, b);
    n->body = body;
    n->orelse = orelse;
    return n;
}

TnAst *mk_for(TnParse *p, TnToken t, TnAst *target, TnAst *iter, TnNodeList body, TnNodeList orelse)
{
    check_store(p, target);
    return mk_loop(p, AST_FOR, t, target, no_star(p, iter), body, orelse);
}

TnAst *mk_with(TnParse *p, TnToken t, TnNodeList items, TnNodeList body)
{
    TnAst *n = node_at(p, AST_WITH, t);
    n->items = items;
    n->body = body;
    return n;
}

TnAst *mk_withitem(TnParse *p, TnAst *ctx, TnAst *target)
{
    if (target) check_store(p, target);
    TnAst *n = node_at(p, AST_WITHITEM, start_of(p, ctx));
    n->a = ctx;
    n->b = target;
    return n;
}

TnAst *mk_try(TnParse *p, TnToken t, TnNodeList body, TnNodeList handlers, TnNodeList orelse,
              TnNodeList finalbody)
{
    for (int i = 0; i + 1 < handlers.n; i++)
        if (!handlers.items[i]->a)
            error_node(p, handlers.items[i], "%s", "default 'except:' must be last");
    TnAst *n = node_at(p, AST_TRY, t);
    n->body = body;
    n->items = handlers;
    n->orelse = orelse;
    n->finalbody = finalbody;
    return n;
}

/* `try:` and its block, then neither except nor finally (p->cur is the token
 * that came instead). */
TnAst *mk_try_incomplete(TnParse *p)
{
    parse_error_at(p, p->cur.line, p->cur.col, "expected 'except' or 'finally' block");
    return &p->dummy;
}

TnAst *mk_except(TnParse *p, TnToken t, TnAst *type, TnToken *as, TnNodeList body)
{
    TnAst *n = node_a(p, AST_EXCEPT, t, type);
    if (as) n->str = copy_tok(p, *as);
    n->body = body;
    return n;
}

TnAst *mk_def(TnParse *p, TnToken t, TnToken name, TnNodeList params, TnNodeList body)
{
    TnAst *n = node_at(p, AST_DEF, t);
    n->str = copy_tok(p, name);
    n->slen = (size_t)name.n;
    n->params = finish_params(p, params);
    n->body = body;
    return n;
}

/* tn classes have one base; the argument list must be just that. */
TnAst *mk_class(TnParse *p, TnToken t, TnToken name, TnNodeList bases, TnNodeList body)
{
    for (int i = 0; i < bases.n; i++) {
        TnAst *b = bases.items[i];
        if (b->kind == AST_KEYWORD || b->kind == AST_DSTAR || b->kind == AST_STARRED)
            error_node(p, b, "%s", "class arguments other than one base class are not supported");
        else if (i > 0)
            error_node(p, b, "%s", "multiple inheritance is not supported");
    }
    TnAst *n = node_at(p, AST_CLASS, t);
    n->str = copy_tok(p, name);
    n->slen = (size_t)name.n;
    n->a = bases.n ? bases.items[0] : NULL;
    n->body = body;
    return n;
}

TnAst *decorate(TnParse *p, TnNodeList decorators, TnAst *def)
{
    def->items = decorators;
    return def;
}

void set_module(TnParse *p, TnNodeList body)
{
    TnAst *m = node_new(p, AST_MODULE, 1, 1);
    m->body = body;
    p->result = m;
}

void set_expr_result(TnParse *p, TnAst *e)
{
    p->result = no_star(p, e);
}
