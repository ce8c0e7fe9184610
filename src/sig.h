/* sig.h: parsed call signatures and the one argument binder with Python's TypeError texts.
 *
 * A signature is either parsed from a native's text, e.g.
 *     "split(self, sep=None, maxsplit=-1)"   "zeros(*size, dtype=None, requires_grad=False)"
 * (markers `/` and `*`, `*args`, `**kwargs`; defaults are literals: ints, floats,
 * 'str' or "str", None, True, False, () and `?` = optional without default, left
 * V_UNDEF), or made by sig_make() from a user function's parameters (defaults are
 * run-time values). sig_bind() maps a call (args, nargs, kwnames, nkw) onto the
 * parameter slots in declaration order:
 *     positional (incl. positional-only) | *args | keyword-only | **kwargs
 * Positional slots and defaults are borrowed; the *args tuple and **kwargs dict are
 * made by the binder and released by sig_release().
 */
#ifndef TN_SIG_H
#define TN_SIG_H

#include "object.h"

#define TN_SIG_MAX 64 /* most parameters a signature may have (slot arrays on the stack) */

enum { SIG_POSONLY, SIG_POS, SIG_VARARGS, SIG_KWONLY, SIG_VARKW };

struct TnSig {
    char *name;       /* for messages: "f", "list.append", "A.forward" */
    char *text;       /* the signature text (for help()), may be NULL */
    int nparams;      /* number of slots */
    int npos;         /* positional parameters (positional-only included) */
    int nposonly;
    int nreqpos;      /* positional parameters before the first with a default */
    int ndefpos;      /* positional parameters with a default or `?` */
    int varargs;      /* slot of *args or -1 */
    int kwonly;       /* first keyword-only slot */
    int nkwonly;
    int varkw;        /* slot of **kwargs or -1 */
    int self_kind;    /* first parameter named self: 1, cls: 2, else 0 */
    bool simple;      /* no varargs or varkw, no required keyword-only: binding allocates nothing */
    bool c_style;     /* a native taking only positional-only parameters: CPython's C-function
                       * argument-count messages ("len() takes exactly one argument (2 given)") */
    bool clinic_kw;   /* a Python built-in taking keywords: Argument Clinic's messages
                       * ("round() takes at most 2 arguments (3 given)") */
    TnStr **names;    /* interned, per slot */
    TnValue *defaults; /* per slot; UNDEF = none */
    uint8_t *optional; /* per slot: 1 = may be omitted (default or `?`) */
};

/* Parses a signature text; NULL if the text is malformed (a programming error,
 * reported on stderr) or memory ran out. `qualprefix` (e.g. "list") qualifies the
 * name used in messages, may be NULL. Free with sig_free. */
TnSig *sig_parse(const char *text, const char *qualprefix);
/* Builds a signature from parameters in slot order (kinds SIG_*, canonical order);
 * defaults[i] UNDEF means required. Increfs the defaults. NULL on OOM. */
TnSig *sig_make(const char *name, int nparams, TnStr *const *names, const uint8_t *kinds,
                const TnValue *defaults);
void sig_free(TnSig *s);

/* Binds a call: `self` (UNDEF if none) fills the first slot, then args. 0, or -1
 * with TypeError. slots must have room for sig->nparams values. */
TN_MUST_CHECK int sig_bind(TnState *st, const TnSig *sig, TnValue self, const TnValue *args,
                           int nargs, TnStr *const *kwnames, int nkw, TnValue *slots);
/* Releases what sig_bind made (the *args tuple and **kwargs dict). */
void sig_release(const TnSig *sig, TnValue *slots);

/* Binds against a signature parsed on first use and kept in *cache until sig_fini
 * (for construct slots and raw natives). */
TN_MUST_CHECK int sig_bind_cached(TnState *st, TnSig **cache, const char *text, TnValue self,
                                  const TnValue *args, int nargs, TnStr *const *kwnames, int nkw,
                                  TnValue *slots);
/* TnSig.self_kind of a signature text without parsing it (natives parse on first use). */
int sig_text_self_kind(const char *text);
/* The shared parsed signature of a method-table row (parsed once, kept until sig_fini). */
TnSig *sig_for_def(const TnMethodDef *def, const char *qualprefix);
/* Frees every cached and per-def signature. */
void sig_fini(void);

/* The Python messages, for callers that check arguments themselves:
 * "f() takes 2 positional arguments but 3 were given" etc. Each raises TypeError
 * and returns -1. */
int sig_error_too_many(TnState *st, const TnSig *sig, int given, int kwonly_given);
int sig_error_missing(TnState *st, const char *fname, const char *kind, TnStr *const *names,
                      int n);
int sig_error_unexpected_kw(TnState *st, const char *fname, TnStr *kw);
int sig_error_multiple(TnState *st, const char *fname, TnStr *param);

#endif
