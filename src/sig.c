/* sig.c: signature parsing and argument binding with CPython's exact TypeError messages.
 *
 * The common call (positional arguments only, within the positional range) copies
 * the arguments and fills defaults without allocating; keyword and variadic calls
 * take the general path, which follows CPython's order of checks: keywords first
 * (unexpected / multiple values), then too many positional, then missing.
 */
#include "sig.h"
#include "types.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s, size_t n)
{
    char *r = tn_malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

void sig_free(TnSig *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nparams; i++)
        tn_decref(s->defaults[i]);
    tn_free(s->name);
    tn_free(s->text);
    tn_free(s->names);
    tn_free(s->defaults);
    tn_free(s->optional);
    tn_free(s);
}

/* Allocates a signature for n slots; NULL on OOM. */
static TnSig *sig_alloc(int n)
{
    TnSig *s = tn_calloc(1, sizeof(TnSig));
    if (!s)
        return NULL;
    s->names = tn_calloc((size_t)n + 1, sizeof(TnStr *));
    s->defaults = tn_calloc((size_t)n + 1, sizeof(TnValue));
    s->optional = tn_calloc((size_t)n + 1, 1);
    if (!s->names || !s->defaults || !s->optional) {
        sig_free(s);
        return NULL;
    }
    s->varargs = s->varkw = -1;
    return s;
}

/* Derives the summary fields from the per-slot kinds. */
static void sig_finish(TnSig *s, const uint8_t *kinds)
{
    s->npos = s->nposonly = s->nkwonly = 0;
    s->kwonly = -1;
    for (int i = 0; i < s->nparams; i++) {
        switch (kinds[i]) {
        case SIG_POSONLY: s->nposonly++; s->npos++; break;
        case SIG_POS: s->npos++; break;
        case SIG_VARARGS: s->varargs = i; break;
        case SIG_KWONLY:
            if (s->kwonly < 0)
                s->kwonly = i;
            s->nkwonly++;
            break;
        case SIG_VARKW: s->varkw = i; break;
        }
    }
    if (s->kwonly < 0)
        s->kwonly = s->npos + (s->varargs >= 0);
    s->nreqpos = 0;
    while (s->nreqpos < s->npos && !s->optional[s->nreqpos])
        s->nreqpos++;
    s->ndefpos = s->npos - s->nreqpos;
    s->simple = s->varargs < 0 && s->varkw < 0;
    for (int i = s->kwonly; i < s->kwonly + s->nkwonly; i++)
        s->simple &= s->optional[i] != 0;
    s->self_kind = 0;
    if (s->nparams > 0 && s->npos > 0) {
        if (strcmp(s->names[0]->data, "self") == 0)
            s->self_kind = 1;
        else if (strcmp(s->names[0]->data, "cls") == 0)
            s->self_kind = 2;
    }
}

TnSig *sig_make(const char *name, int nparams, TnStr *const *names, const uint8_t *kinds,
                const TnValue *defaults)
{
    TnSig *s = sig_alloc(nparams);
    if (!s)
        return NULL;
    s->name = dupstr(name, strlen(name));
    if (!s->name) {
        sig_free(s);
        return NULL;
    }
    s->nparams = nparams;
    for (int i = 0; i < nparams; i++) {
        s->names[i] = names[i];
        s->defaults[i] = tn_ref(defaults[i]);
        s->optional[i] = !IS_UNDEF(defaults[i]);
    }
    sig_finish(s, kinds);
    return s;
}

/* ------------------------------------------------------------ parsing */

typedef struct {
    const char *p;
    const char *text;
} Lex;

static void skip_ws(Lex *l)
{
    while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n')
        l->p++;
}

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
}

/* Parses one default literal at l->p into *out (new reference). */
static bool parse_default(Lex *l, TnValue *out)
{
    skip_ws(l);
    const char *p = l->p;
    if (*p == '?') {
        l->p++;
        *out = tn_undef();
        return true;
    }
    if (*p == '\'' || *p == '"') {
        const char *e = strchr(p + 1, *p);
        if (!e)
            return false;
        TnStr *s = str_intern_n(p + 1, e - p - 1);
        if (!s)
            return false;
        tn_obj_incref(s);
        *out = tn_obj(s);
        l->p = e + 1;
        return true;
    }
    if (p[0] == '(' && p[1] == ')') {
        *out = tuple_empty(NULL);
        l->p += 2;
        return !IS_UNDEF(*out);
    }
    static const struct {
        const char *w;
        int kind;
    } words[] = {{"None", 0}, {"True", 1}, {"False", 2}, {"inf", 3}, {"-inf", 4}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].w);
        if (strncmp(p, words[i].w, n) == 0 && !is_ident(p[n])) {
            l->p += n;
            switch (words[i].kind) {
            case 0: *out = tn_none(); break;
            case 1: *out = tn_bool(true); break;
            case 2: *out = tn_bool(false); break;
            case 3: *out = tn_float(__builtin_inf()); break;
            default: *out = tn_float(-__builtin_inf()); break;
            }
            return true;
        }
    }
    char *end;
    long long iv = strtoll(p, &end, 0);
    if (end != p && *end != '.' && *end != 'e' && *end != 'E') {
        *out = tn_int(iv);
        l->p = end;
        return true;
    }
    double dv = strtod(p, &end);
    if (end == p)
        return false;
    *out = tn_float(dv);
    l->p = end;
    return true;
}

static TnSig *parse_fail(TnSig *s, const char *text, const char *why)
{
    fprintf(stderr, "tn: bad native signature \"%s\": %s\n", text, why);
    sig_free(s);
    return NULL;
}

TnSig *sig_parse(const char *text, const char *qualprefix)
{
    TnSig *s = sig_alloc(TN_SIG_MAX);
    if (!s)
        return NULL;
    uint8_t kinds[TN_SIG_MAX];
    Lex l = {text, text};
    skip_ws(&l);
    const char *n0 = l.p;
    while (is_ident(*l.p))
        l.p++;
    size_t nlen = (size_t)(l.p - n0);
    size_t qlen = qualprefix ? strlen(qualprefix) + 1 : 0;
    s->name = tn_malloc(qlen + nlen + 1);
    s->text = dupstr(text, strlen(text));
    if (!s->name || !s->text) {
        sig_free(s);
        return NULL;
    }
    if (qualprefix) {
        memcpy(s->name, qualprefix, qlen - 1);
        s->name[qlen - 1] = '.';
    }
    memcpy(s->name + qlen, n0, nlen);
    s->name[qlen + nlen] = 0;
    skip_ws(&l);
    if (*l.p++ != '(')
        return parse_fail(s, text, "expected '('");
    int kind = SIG_POS;
    bool seen_default = false;
    skip_ws(&l);
    while (*l.p != ')') {
        if (s->nparams >= TN_SIG_MAX)
            return parse_fail(s, text, "too many parameters");
        skip_ws(&l);
        if (*l.p == '/') {
            /* everything so far was positional-only */
            for (int i = 0; i < s->nparams; i++)
                if (kinds[i] == SIG_POS)
                    kinds[i] = SIG_POSONLY;
            l.p++;
        } else if (l.p[0] == '*' && l.p[1] == '*') {
            l.p += 2;
            const char *b = l.p;
            while (is_ident(*l.p))
                l.p++;
            if (!(s->names[s->nparams] = str_intern_n(b, l.p - b)))
                return parse_fail(s, text, "out of memory");
            kinds[s->nparams++] = SIG_VARKW;
        } else if (*l.p == '*') {
            l.p++;
            skip_ws(&l);
            const char *b = l.p;
            while (is_ident(*l.p))
                l.p++;
            if (l.p > b) {
                if (!(s->names[s->nparams] = str_intern_n(b, l.p - b)))
                    return parse_fail(s, text, "out of memory");
                kinds[s->nparams++] = SIG_VARARGS;
            }
            kind = SIG_KWONLY;
        } else {
            const char *b = l.p;
            while (is_ident(*l.p))
                l.p++;
            if (l.p == b)
                return parse_fail(s, text, "expected a parameter name");
            int i = s->nparams;
            if (!(s->names[i] = str_intern_n(b, l.p - b)))
                return parse_fail(s, text, "out of memory");
            kinds[i] = (uint8_t)kind;
            skip_ws(&l);
            if (*l.p == '=') {
                l.p++;
                if (!parse_default(&l, &s->defaults[i]))
                    return parse_fail(s, text, "bad default");
                s->optional[i] = 1;
                if (kind == SIG_POS)
                    seen_default = true;
            } else if (kind == SIG_POS && seen_default) {
                return parse_fail(s, text, "required parameter after a default");
            }
            s->nparams++;
        }
        skip_ws(&l);
        if (*l.p == ',')
            l.p++;
        else if (*l.p != ')')
            return parse_fail(s, text, "expected ',' or ')'");
        skip_ws(&l);
    }
    sig_finish(s, kinds);
    s->c_style = s->nposonly == s->npos && s->varargs < 0 && s->varkw < 0 && s->nkwonly == 0;
    /* the built-ins that take keywords and whose messages tn words as CPython's clinic does
     * (torch functions keep Python-function wording) */
    static const char *const clinic = " round pow int str float ";
    char word[40];
    snprintf(word, sizeof word, " %s ", s->name);
    bool builtin_type = qualprefix && (strcmp(qualprefix, "str") == 0 ||
                                       strcmp(qualprefix, "list") == 0 ||
                                       strcmp(qualprefix, "dict") == 0);
    s->clinic_kw = !s->c_style && s->varargs < 0 && s->varkw < 0 && s->nkwonly == 0 &&
                   (builtin_type || (!qualprefix && strstr(clinic, word)));
    return s;
}

/* ------------------------------------------------------------ messages */

int sig_error_too_many(TnState *st, const TnSig *sig, int given, int kwonly_given)
{
    char what[64], kw[96] = "";
    bool plural;
    if (sig->ndefpos) {
        snprintf(what, sizeof what, "from %d to %d", sig->nreqpos, sig->npos);
        plural = true;
    } else {
        snprintf(what, sizeof what, "%d", sig->npos);
        plural = sig->npos != 1;
    }
    if (kwonly_given)
        snprintf(kw, sizeof kw, " positional argument%s (and %d keyword-only argument%s)",
                 given != 1 ? "s" : "", kwonly_given, kwonly_given != 1 ? "s" : "");
    return tn_raise_int(st, tn_TypeError, "%s() takes %s positional argument%s but %d%s %s given",
                        sig->name, what, plural ? "s" : "", given, kw,
                        given == 1 && !kwonly_given ? "was" : "were");
}

/* The name without its class: "split" for "str.split". */
static const char *short_name(const TnSig *s)
{
    const char *dot = strrchr(s->name, '.');
    return dot ? dot + 1 : s->name;
}

/* A wrong call of a C-style native, worded as CPython words it for its built-in functions
 * and methods: METH_NOARGS, METH_O, then Argument Clinic's positional-only check (which
 * names the function without its class). `given` counts self. */
static int c_style_error(TnState *st, const TnSig *s, int given, int nkw)
{
    const char *dot = strrchr(s->name, '.');
    const char *shortname = dot ? dot + 1 : s->name;
    int self = dot && s->self_kind ? 1 : 0; /* issubclass(cls, ...) is no method */
    int lo = s->nreqpos - self, hi = s->npos - self, n = given - self;
    if (nkw)
        return tn_raise_int(st, tn_TypeError, "%s() takes no keyword arguments", s->name);
    static const char *const finds = " startswith endswith find rfind index rindex count ";
    char word[40];
    snprintf(word, sizeof word, " %s ", shortname);
    if (strncmp(s->name, "str.", 4) == 0 && strstr(finds, word)) /* the older argument parser */
        return tn_raise_int(st, tn_TypeError, "%s() takes at %s %d argument%s (%d given)", shortname,
                            n < lo ? "least" : "most", n < lo ? lo : hi,
                            (n < lo ? lo : hi) == 1 ? "" : "s", n);
    if (hi == 0)
        return tn_raise_int(st, tn_TypeError, "%s() takes no arguments (%d given)", s->name, n);
    if (lo == 1 && hi == 1 && strcmp(s->name, "reversed") != 0) /* reversed is a type */
        return tn_raise_int(st, tn_TypeError, "%s() takes exactly one argument (%d given)",
                            s->name, n);
    int k = lo == hi ? lo : n < lo ? lo : hi;
    return tn_raise_int(st, tn_TypeError, "%s expected %s%d argument%s, got %d", shortname,
                        lo == hi ? "" : n < lo ? "at least " : "at most ", k, k == 1 ? "" : "s", n);
}

int sig_error_missing(TnState *st, const char *fname, const char *kind, TnStr *const *names, int n)
{
    TnBuf b = {0};
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (i > 0)
            ok = buf_puts(&b, n == 2 ? " and " : i == n - 1 ? ", and " : ", ");
        ok = ok && buf_printf(&b, "'%s'", names[i]->data);
    }
    if (!ok) {
        buf_free(&b);
        (void)tn_no_memory(st);
        return -1;
    }
    tn_raise(st, tn_TypeError, "%s() missing %d required %s argument%s: %s", fname, n, kind,
             n == 1 ? "" : "s", b.p);
    buf_free(&b);
    return -1;
}

int sig_error_unexpected_kw(TnState *st, const char *fname, TnStr *kw)
{
    return tn_raise_int(st, tn_TypeError, "%s() got an unexpected keyword argument '%s'", fname,
                        kw->data);
}

int sig_error_multiple(TnState *st, const char *fname, TnStr *param)
{
    return tn_raise_int(st, tn_TypeError, "%s() got multiple values for argument '%s'", fname,
                        param->data);
}

/* ------------------------------------------------------------ binding */

/* Slot of keyword `kw` among the keyword-assignable parameters, or -1; *posonly is
 * set when it names a positional-only parameter. */
static int find_kw(const TnSig *s, TnStr *kw, bool *posonly)
{
    *posonly = false;
    int kwend = s->kwonly + s->nkwonly;
    for (int i = s->nposonly; i < s->npos; i++)
        if (s->names[i] == kw)
            return i;
    for (int i = s->kwonly; i < kwend; i++)
        if (s->names[i] == kw)
            return i;
    /* names not interned by the caller: compare contents */
    for (int i = 0; i < kwend; i++) {
        if (i >= s->npos && i < s->kwonly)
            continue;
        if (str_eq(s->names[i], kw)) {
            if (i < s->nposonly) {
                *posonly = true;
                return -1;
            }
            return i;
        }
    }
    return -1;
}

void sig_release(const TnSig *sig, TnValue *slots)
{
    if (sig->varargs >= 0) {
        tn_decref(slots[sig->varargs]);
        slots[sig->varargs] = tn_undef();
    }
    if (sig->varkw >= 0) {
        tn_decref(slots[sig->varkw]);
        slots[sig->varkw] = tn_undef();
    }
}

int sig_bind(TnState *st, const TnSig *s, TnValue self, const TnValue *args, int nargs,
             TnStr *const *kwnames, int nkw, TnValue *slots)
{
    int off = IS_UNDEF(self) ? 0 : 1;
    int given = nargs + off;
    if (TN_LIKELY(nkw == 0 && s->simple && given <= s->npos && given >= s->nreqpos)) {
        if (off)
            slots[0] = self;
        for (int i = 0; i < nargs; i++)
            slots[off + i] = args[i];
        for (int i = given; i < s->nparams; i++) /* the keyword-only ones are all optional */
            slots[i] = s->defaults[i];
        return 0;
    }
    if (s->c_style && (nkw || given < s->nreqpos || given > s->npos))
        return c_style_error(st, s, given, nkw);
    for (int i = 0; i < s->nparams; i++)
        slots[i] = tn_undef();
    if (off)
        slots[0] = self;
    int ncopy = given < s->npos ? given : s->npos;
    for (int i = off; i < ncopy; i++)
        slots[i] = args[i - off];
    if (s->varargs >= 0) {
        int extra = given - ncopy;
        slots[s->varargs] = extra > 0 ? tuple_from_array(st, args + (ncopy - off), extra)
                                      : tuple_empty(st);
        if (IS_UNDEF(slots[s->varargs]))
            return -1;
    }
    if (s->varkw >= 0) {
        slots[s->varkw] = dict_new(st);
        if (IS_UNDEF(slots[s->varkw]))
            goto fail;
    }
    TnStr *posonly_kw[TN_SIG_MAX];
    int nposonly_kw = 0;
    for (int k = 0; k < nkw; k++) {
        TnStr *kw = kwnames[k];
        TnValue v = args[nargs + k];
        bool po;
        int i = find_kw(s, kw, &po);
        if (i >= 0) {
            if (!IS_UNDEF(slots[i])) {
                sig_error_multiple(st, s->name, kw);
                goto fail;
            }
            slots[i] = v;
        } else if (s->varkw >= 0) {
            if (dict_set(st, AS_DICT(slots[s->varkw]), tn_obj(kw), v) < 0)
                goto fail;
        } else if (po) {
            if (nposonly_kw < TN_SIG_MAX)
                posonly_kw[nposonly_kw++] = kw;
        } else {
            if (s->clinic_kw)
                tn_raise(st, tn_TypeError, "'%s' is an invalid keyword argument for %s()",
                         kw->data, short_name(s));
            else
                sig_error_unexpected_kw(st, s->name, kw);
            goto fail;
        }
    }
    if (nposonly_kw) {
        TnBuf b = {0};
        bool ok = true;
        for (int i = 0; i < nposonly_kw && ok; i++)
            ok = (i == 0 || buf_puts(&b, ", ")) && buf_puts(&b, posonly_kw[i]->data);
        if (ok)
            tn_raise(st, tn_TypeError,
                     "%s() got some positional-only arguments passed as keyword arguments: '%s'",
                     s->name, b.p);
        else
            (void)tn_no_memory(st);
        buf_free(&b);
        goto fail;
    }
    if (given > s->npos && s->varargs < 0) {
        int kwonly_given = 0;
        for (int i = s->kwonly; i < s->kwonly + s->nkwonly; i++)
            kwonly_given += !IS_UNDEF(slots[i]);
        if (s->clinic_kw) {
            int self = strchr(s->name, '.') && s->self_kind ? 1 : 0;
            tn_raise(st, tn_TypeError, "%s() takes at most %d argument%s (%d given)",
                     short_name(s), s->npos - self, s->npos - self == 1 ? "" : "s",
                     given - self + nkw);
        } else {
            sig_error_too_many(st, s, given, kwonly_given);
        }
        goto fail;
    }
    TnStr *missing[TN_SIG_MAX];
    int nmissing = 0;
    for (int i = 0; i < s->npos; i++) {
        if (!IS_UNDEF(slots[i]))
            continue;
        if (s->optional[i])
            slots[i] = s->defaults[i];
        else
            missing[nmissing++] = s->names[i];
    }
    if (nmissing) {
        if (s->clinic_kw) {
            int pos = 0;
            while (s->names[pos] != missing[0])
                pos++;
            pos += !(strchr(s->name, '.') && s->self_kind); /* 1-based, self not counted */
            tn_raise(st, tn_TypeError, "%s() missing required argument '%s' (pos %d)",
                     short_name(s), missing[0]->data, pos);
        } else {
            sig_error_missing(st, s->name, "positional", missing, nmissing);
        }
        goto fail;
    }
    for (int i = s->kwonly; i < s->kwonly + s->nkwonly; i++) {
        if (!IS_UNDEF(slots[i]))
            continue;
        if (s->optional[i])
            slots[i] = s->defaults[i];
        else
            missing[nmissing++] = s->names[i];
    }
    if (nmissing) {
        sig_error_missing(st, s->name, "keyword-only", missing, nmissing);
        goto fail;
    }
    return 0;
fail:
    sig_release(s, slots);
    return -1;
}

/* ------------------------------------------------------------ caches */

/* Every signature parsed for a table row or a cache slot, freed by sig_fini. */
typedef struct {
    const void *key;
    TnSig *sig;
    bool is_cache; /* key is a `TnSig **` cache slot to reset at sig_fini */
} SigEntry;
static SigEntry *stab;
static int64_t stab_cap, stab_n;

static uint64_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static TnSig *stab_get(const void *key)
{
    if (!stab_cap)
        return NULL;
    for (int64_t j = (int64_t)(ptr_hash(key) & (uint64_t)(stab_cap - 1)); stab[j].key;
         j = (j + 1) & (stab_cap - 1))
        if (stab[j].key == key)
            return stab[j].sig;
    return NULL;
}

static bool stab_put(const void *key, TnSig *sig, bool is_cache)
{
    if ((stab_n + 1) * 2 > stab_cap) {
        int64_t ncap = stab_cap ? stab_cap * 2 : 256;
        SigEntry *nt = tn_calloc((size_t)ncap, sizeof(SigEntry));
        if (!nt)
            return false;
        for (int64_t i = 0; i < stab_cap; i++) {
            if (!stab[i].key)
                continue;
            int64_t j = (int64_t)(ptr_hash(stab[i].key) & (uint64_t)(ncap - 1));
            while (nt[j].key)
                j = (j + 1) & (ncap - 1);
            nt[j] = stab[i];
        }
        tn_free(stab);
        stab = nt;
        stab_cap = ncap;
    }
    int64_t j = (int64_t)(ptr_hash(key) & (uint64_t)(stab_cap - 1));
    while (stab[j].key)
        j = (j + 1) & (stab_cap - 1);
    stab[j].key = key;
    stab[j].sig = sig;
    stab[j].is_cache = is_cache;
    stab_n++;
    return true;
}

int sig_text_self_kind(const char *text)
{
    Lex l = {text, text};
    skip_ws(&l);
    while (is_ident(*l.p))
        l.p++;
    skip_ws(&l);
    if (*l.p++ != '(')
        return 0;
    skip_ws(&l);
    const char *b = l.p;
    while (is_ident(*l.p))
        l.p++;
    size_t n = (size_t)(l.p - b);
    if (n == 4 && !memcmp(b, "self", 4))
        return 1;
    return n == 3 && !memcmp(b, "cls", 3) ? 2 : 0;
}

TnSig *sig_for_def(const TnMethodDef *def, const char *qualprefix)
{
    TnSig *s = stab_get(def);
    if (s)
        return s;
    s = sig_parse(def->sig, qualprefix);
    if (!s)
        return NULL;
    if (!stab_put(def, s, false)) {
        sig_free(s);
        return NULL;
    }
    return s;
}

int sig_bind_cached(TnState *st, TnSig **cache, const char *text, TnValue self,
                    const TnValue *args, int nargs, TnStr *const *kwnames, int nkw,
                    TnValue *slots)
{
    if (TN_UNLIKELY(!*cache)) {
        TnSig *s = sig_parse(text, NULL);
        if (!s)
            return tn_raise_int(st, tn_MemoryError, "cannot parse signature %s", text);
        if (!stab_put(cache, s, true)) {
            sig_free(s);
            (void)tn_no_memory(st);
            return -1;
        }
        *cache = s;
    }
    return sig_bind(st, *cache, self, args, nargs, kwnames, nkw, slots);
}

void sig_fini(void)
{
    for (int64_t i = 0; i < stab_cap; i++) {
        if (!stab[i].key)
            continue;
        sig_free(stab[i].sig);
        if (stab[i].is_cache)
            *(TnSig **)stab[i].key = NULL;
    }
    tn_free(stab);
    stab = NULL;
    stab_cap = stab_n = 0;
}
