/* resolve.c: maps every name to a frame slot, a closure cell or a global (Python's LEGB).
 *
 * Three steps over a parsed chunk:
 *  1. bind: build the scope tree and, per scope, the names it binds and declares
 *     global/nonlocal; remember every name occurrence;
 *  2. link: decide for each occurrence which scope's symbol it means; a name found
 *     in an enclosing function becomes a free variable of every scope between, and
 *     a cell in the scope that owns it;
 *  3. number: give each symbol its slot (parameters first) and write (scope kind,
 *     slot) into the AST_NAME nodes, so evaluation never looks a local up by name.
 * Comprehensions get a scope of their own (their variables do not leak) whose
 * slots live in the frame of the enclosing function or module.
 */
#include "resolve.h"
#include "interp.h"
#include <stdlib.h>
#include <string.h>

typedef struct TnSym {
    TnStr *name;
    uint8_t bound, global_decl, nonlocal_decl, cell, is_free, param;
    int slot;
    struct TnSym *outer; /* for free variables: the symbol in the enclosing scope */
} TnSym;

typedef struct {
    TnAst *node;
    TnScope *scope;
    TnSym *sym; /* NULL: global */
} Ref;

typedef struct {
    TnState *st;
    TnArena *arena;
    Ref *refs;
    int nrefs, caprefs;
    TnScope **scopes;
    int nscopes, capscopes;
    int depth;
    bool failed;
} Resolver;

#define MAX_TREE_DEPTH 20000

static int fail(Resolver *r, TnType *type, TnAst *at, const char *msg)
{
    if (!r->failed) {
        r->failed = true;
        if (at)
            tn_raise(r->st, type, "%s (line %d)", msg, at->line);
        else
            tn_raise(r->st, type, "%s", msg);
    }
    return -1;
}

static TnScope *scope_new(Resolver *r, TnScopeType type, TnScope *parent, TnAst *node)
{
    TnScope *s = arena_alloc(r->arena, sizeof(TnScope));
    if (!s)
        return NULL;
    s->type = type;
    s->parent = parent;
    s->node = node;
    s->varargs_slot = s->varkw_slot = -1;
    s->host = type == SK_COMPREHENSION ? (parent->type == SK_COMPREHENSION ? parent->host : parent)
                                       : s;
    if (r->nscopes == r->capscopes) {
        int cap = r->capscopes ? r->capscopes * 2 : 16;
        TnScope **p = realloc(r->scopes, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        r->scopes = p;
        r->capscopes = cap;
    }
    r->scopes[r->nscopes++] = s;
    return s;
}

static TnSym *sym_find(TnScope *s, TnStr *name)
{
    for (int i = 0; i < s->nsyms; i++)
        if (s->syms[i]->name == name)
            return s->syms[i];
    return NULL;
}

/* Symbols never move once made (other scopes keep pointers to them). */
static TnSym *sym_get(Resolver *r, TnScope *s, TnStr *name)
{
    TnSym *sym = sym_find(s, name);
    if (sym)
        return sym;
    if (s->nsyms == s->capsyms) {
        int cap = s->capsyms ? s->capsyms * 2 : 8;
        TnSym **p = arena_alloc(r->arena, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        if (s->nsyms)
            memcpy(p, s->syms, (size_t)s->nsyms * sizeof *p);
        s->syms = p;
        s->capsyms = cap;
    }
    sym = arena_alloc(r->arena, sizeof *sym);
    if (!sym)
        return NULL;
    s->syms[s->nsyms++] = sym;
    sym->name = name;
    sym->slot = -1;
    return sym;
}

static TnStr *intern_node(TnAst *n)
{
    if (!n->cache)
        n->cache = str_intern_n(n->str, (int64_t)strlen(n->str));
    return n->cache;
}

static int add_ref(Resolver *r, TnAst *node, TnScope *s)
{
    if (r->nrefs == r->caprefs) {
        int cap = r->caprefs ? r->caprefs * 2 : 256;
        Ref *p = realloc(r->refs, (size_t)cap * sizeof *p);
        if (!p)
            return fail(r, tn_MemoryError, NULL, "out of memory");
        r->refs = p;
        r->caprefs = cap;
    }
    r->refs[r->nrefs++] = (Ref){node, s, NULL};
    return 0;
}

static int bind_name(Resolver *r, TnScope *s, TnAst *at, TnStr *name)
{
    TnSym *sym = sym_get(r, s, name);
    if (!sym)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    sym->bound = 1;
    return 0;
}

/* ------------------------------------------------------------- step 1: bind */

static int walk(Resolver *r, TnScope *s, TnAst *n);

static int walk_list(Resolver *r, TnScope *s, TnNodeList *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i] && walk(r, s, l->items[i]) < 0)
            return -1;
    return 0;
}

/* Walks an assignment target: names are bound, everything else is evaluated. */
static int walk_target(Resolver *r, TnScope *s, TnAst *t)
{
    switch (t->kind) {
    case AST_NAME:
        if (bind_name(r, s, t, intern_node(t)) < 0)
            return -1;
        return add_ref(r, t, s);
    case AST_TUPLE:
    case AST_LIST:
        for (int i = 0; i < t->items.n; i++)
            if (walk_target(r, s, t->items.items[i]) < 0)
                return -1;
        return 0;
    case AST_STARRED:
        return walk_target(r, s, t->a);
    default:
        return walk(r, s, t);
    }
}

static int walk_params(Resolver *r, TnScope *fs, TnScope *outer, TnNodeList *params)
{
    /* defaults belong to the defining scope */
    for (int i = 0; i < params->n; i++)
        if (params->items[i]->a && walk(r, outer, params->items[i]->a) < 0)
            return -1;
    int np = params->n;
    fs->nparams = np;
    fs->nslots = np;
    fs->param_names = arena_alloc(r->arena, (size_t)(np ? np : 1) * sizeof(TnStr *));
    if (!fs->param_names)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    /* order: positional, keyword-only, *args, **kwargs */
    int order = 0;
    for (int pass = 0; pass < 4; pass++) {
        for (int i = 0; i < np; i++) {
            TnAst *p = params->items[i];
            int kind = p->op;
            int want = pass == 0 ? PARAM_NORMAL
                       : pass == 1 ? PARAM_KWONLY
                       : pass == 2 ? PARAM_VARARGS
                                   : PARAM_VARKW;
            if (kind != want)
                continue;
            TnStr *name = intern_node(p);
            if (sym_find(fs, name))
                return fail(r, tn_SyntaxError, p, "duplicate argument in function definition");
            TnSym *sym = sym_get(r, fs, name);
            if (!sym)
                return fail(r, tn_MemoryError, NULL, "out of memory");
            sym->bound = sym->param = 1;
            sym->slot = order;
            fs->param_names[order] = name;
            if (kind == PARAM_NORMAL)
                fs->npos++;
            else if (kind == PARAM_KWONLY)
                fs->nkwonly++;
            else if (kind == PARAM_VARARGS)
                fs->varargs_slot = order;
            else
                fs->varkw_slot = order;
            order++;
        }
    }
    return 0;
}

/* The qualified name of a scope named `name` inside `parent`, as Python 3.11 spells it:
 * functions add ".<locals>", classes and comprehensions only a dot. */
static TnStr *qualname_in(TnScope *parent, const char *name)
{
    if (!parent || parent->type == SK_MODULE || !parent->qualname)
        return str_intern(name);
    const char *sep = parent->type == SK_FUNCTION ? ".<locals>." : ".";
    size_t np = (size_t)parent->qualname->len, ns = strlen(sep), nn = strlen(name);
    char *buf = malloc(np + ns + nn + 1);
    if (!buf)
        return NULL;
    memcpy(buf, parent->qualname->data, np);
    memcpy(buf + np, sep, ns);
    memcpy(buf + np + ns, name, nn + 1);
    TnStr *q = str_intern(buf);
    free(buf);
    return q;
}

static const char *comprehension_name(TnAst *n)
{
    switch (n->kind) {
    case AST_LISTCOMP: return "<listcomp>";
    case AST_SETCOMP: return "<setcomp>";
    case AST_DICTCOMP: return "<dictcomp>";
    default: return "<genexpr>";
    }
}

static int walk_function(Resolver *r, TnScope *s, TnAst *n)
{
    if (n->kind == AST_DEF) {
        if (walk_list(r, s, &n->items) < 0) /* decorators */
            return -1;
        if (bind_name(r, s, n, intern_node(n)) < 0 || add_ref(r, n, s) < 0)
            return -1;
    }
    TnScope *fs = scope_new(r, SK_FUNCTION, s, n);
    if (!fs)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    fs->name = n->kind == AST_DEF ? n->str : "<lambda>";
    if (!(fs->qualname = qualname_in(s, fs->name)))
        return fail(r, tn_MemoryError, NULL, "out of memory");
    n->scope_info = fs;
    if (walk_params(r, fs, s, &n->params) < 0)
        return -1;
    if (n->kind == AST_DEF)
        return walk_list(r, fs, &n->body);
    return walk(r, fs, n->a);
}

static int walk_class(Resolver *r, TnScope *s, TnAst *n)
{
    if (walk_list(r, s, &n->items) < 0)
        return -1;
    if (n->a && walk(r, s, n->a) < 0)
        return -1;
    if (bind_name(r, s, n, intern_node(n)) < 0 || add_ref(r, n, s) < 0)
        return -1;
    TnScope *cs = scope_new(r, SK_CLASS, s, n);
    if (!cs)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    cs->name = n->str;
    if (!(cs->qualname = qualname_in(s, cs->name)))
        return fail(r, tn_MemoryError, NULL, "out of memory");
    n->scope_info = cs;
    return walk_list(r, cs, &n->body);
}

static int walk_comprehension(Resolver *r, TnScope *s, TnAst *n)
{
    /* The first iterable is evaluated in the enclosing scope, as in Python. */
    TnAst *first = n->items.items[0];
    if (walk(r, s, first->b) < 0)
        return -1;
    TnScope *cs = scope_new(r, SK_COMPREHENSION, s, n);
    if (!cs || !(cs->qualname = qualname_in(s, comprehension_name(n))))
        return fail(r, tn_MemoryError, NULL, "out of memory");
    n->scope_info = cs;
    for (int i = 0; i < n->items.n; i++) {
        TnAst *clause = n->items.items[i];
        if (i > 0 && walk(r, cs, clause->b) < 0)
            return -1;
        if (walk_target(r, cs, clause->a) < 0)
            return -1;
        if (walk_list(r, cs, &clause->items) < 0)
            return -1;
    }
    if (walk(r, cs, n->a) < 0)
        return -1;
    return n->b ? walk(r, cs, n->b) : 0;
}

static int declare(Resolver *r, TnScope *s, TnAst *n)
{
    bool global = n->kind == AST_GLOBAL;
    if (!global && s->type == SK_MODULE)
        return fail(r, tn_SyntaxError, n, "nonlocal declaration not allowed at module level");
    for (int i = 0; i < n->items.n; i++) {
        TnAst *name = n->items.items[i];
        TnStr *str = intern_node(name);
        TnSym *sym = sym_find(s, str);
        if (sym && sym->param)
            return fail(r, tn_SyntaxError, n,
                        global ? "name is parameter and global" : "name is parameter and nonlocal");
        sym = sym_get(r, s, str);
        if (!sym)
            return fail(r, tn_MemoryError, NULL, "out of memory");
        if (global)
            sym->global_decl = 1;
        else
            sym->nonlocal_decl = 1;
    }
    return 0;
}

static int walk_import(Resolver *r, TnScope *s, TnAst *n)
{
    for (int i = 0; i < n->items.n; i++) {
        TnAst *alias = n->items.items[i];
        const char *bound = alias->str2;
        char first[256];
        if (!bound) {
            /* `import a.b` binds `a` */
            const char *dot = strchr(alias->str, '.');
            size_t len = dot ? (size_t)(dot - alias->str) : strlen(alias->str);
            if (len >= sizeof first)
                len = sizeof first - 1;
            memcpy(first, alias->str, len);
            first[len] = 0;
            bound = first;
        }
        if (n->kind == AST_IMPORTFROM && n->op == 1)
            continue; /* from x import *: binds names at run time (globals) */
        TnStr *name = str_intern(bound);
        alias->cache = name;
        if (bind_name(r, s, alias, name) < 0 || add_ref(r, alias, s) < 0)
            return -1;
    }
    return 0;
}

static int walk(Resolver *r, TnScope *s, TnAst *n)
{
    if (!n)
        return 0;
    if (++r->depth > MAX_TREE_DEPTH) {
        r->depth--;
        return fail(r, tn_RecursionError, NULL,
                    "maximum recursion depth exceeded during compilation");
    }
    int rc = 0;
    switch (n->kind) {
    case AST_NAME:
        intern_node(n);
        rc = add_ref(r, n, s);
        break;
    case AST_ATTR:
        intern_node(n);
        rc = walk(r, s, n->a);
        break;
    case AST_KEYWORD:
        intern_node(n);
        rc = walk(r, s, n->a);
        break;
    case AST_LAMBDA:
    case AST_DEF:
        rc = walk_function(r, s, n);
        break;
    case AST_CLASS:
        rc = walk_class(r, s, n);
        break;
    case AST_LISTCOMP:
    case AST_SETCOMP:
    case AST_GENEXP:
    case AST_DICTCOMP:
        rc = walk_comprehension(r, s, n);
        break;
    case AST_ASSIGN:
        rc = walk(r, s, n->a);
        for (int i = 0; rc == 0 && i < n->items.n; i++)
            rc = walk_target(r, s, n->items.items[i]);
        break;
    case AST_AUGASSIGN:
        rc = walk(r, s, n->b);
        if (rc == 0)
            rc = walk_target(r, s, n->a);
        break;
    case AST_FOR:
        rc = walk(r, s, n->b);
        if (rc == 0)
            rc = walk_target(r, s, n->a);
        if (rc == 0)
            rc = walk_list(r, s, &n->body);
        if (rc == 0)
            rc = walk_list(r, s, &n->orelse);
        break;
    case AST_DEL:
        for (int i = 0; rc == 0 && i < n->items.n; i++)
            rc = walk_target(r, s, n->items.items[i]);
        break;
    case AST_WITHITEM:
        rc = walk(r, s, n->a);
        if (rc == 0 && n->b)
            rc = walk_target(r, s, n->b);
        break;
    case AST_EXCEPT:
        rc = walk(r, s, n->a);
        if (rc == 0 && n->str) {
            TnStr *name = intern_node(n);
            rc = bind_name(r, s, n, name);
            if (rc == 0)
                rc = add_ref(r, n, s);
        }
        if (rc == 0)
            rc = walk_list(r, s, &n->body);
        break;
    case AST_GLOBAL:
    case AST_NONLOCAL:
        rc = declare(r, s, n);
        break;
    case AST_IMPORT:
    case AST_IMPORTFROM:
        rc = walk_import(r, s, n);
        break;
    case AST_INT:
        if (n->op == AST_INT_NEEDS_MINUS) /* 2**63 without the minus that makes it fit */
            rc = fail(r, tn_SyntaxError, n, "integer literal too large");
        break;
    default:
        if (n->a)
            rc = walk(r, s, n->a);
        if (rc == 0 && n->b)
            rc = walk(r, s, n->b);
        if (rc == 0 && n->c)
            rc = walk(r, s, n->c);
        if (rc == 0)
            rc = walk_list(r, s, &n->items);
        if (rc == 0)
            rc = walk_list(r, s, &n->body);
        if (rc == 0)
            rc = walk_list(r, s, &n->orelse);
        if (rc == 0)
            rc = walk_list(r, s, &n->finalbody);
        break;
    }
    r->depth--;
    return rc;
}

/* --------------------------------------------------------- step 2: link */

/* The function scope enclosing s whose symbols a free variable may refer to
 * (class bodies are skipped, comprehensions are looked through). */
static TnScope *enclosing(TnScope *s)
{
    for (TnScope *p = s->parent; p; p = p->parent)
        if (p->type != SK_CLASS)
            return p;
    return NULL;
}

/* A method is defined while its class body runs, in the class body's frame: a free
 * variable it takes from the function around the class must reach it through every class
 * body in between, each passing the cell on as a free variable of its own (CPython does the
 * same). Returns the symbol s's free variable links to: the innermost class's, or found. */
static TnSym *through_classes(Resolver *r, TnScope *s, TnScope *outer, TnStr *name, TnSym *found)
{
    TnScope *chain[64];
    int n = 0;
    for (TnScope *p = s->parent; p && p != outer; p = p->parent)
        if (p->type == SK_CLASS && p != s->host) {
            if (n == 64) {
                fail(r, tn_SyntaxError, NULL, "too many nested classes");
                return NULL;
            }
            chain[n++] = p;
        }
    while (n-- > 0) { /* outermost class first */
        TnScope *c = chain[n];
        TnSym *sym = sym_find(c, name);
        if (sym && !sym->is_free && (sym->bound || sym->global_decl || sym->nonlocal_decl)) {
            fail(r, tn_SyntaxError, NULL,
                 "a method uses a variable of the function around its class that the class "
                 "body also binds: not supported");
            return NULL;
        }
        if (!sym && !(sym = sym_get(r, c, name))) {
            fail(r, tn_MemoryError, NULL, "out of memory");
            return NULL;
        }
        if (!sym->is_free) {
            sym->is_free = 1;
            sym->cell = 1;
            sym->outer = found;
        }
        found = sym;
    }
    return found;
}

/* Finds the symbol `name` means in scope s, creating free-variable entries on the
 * way; *owner gets the scope the symbol belongs to. NULL means global/builtin. */
static TnSym *lookup(Resolver *r, TnScope *s, TnStr *name, bool from_inner, TnScope **owner)
{
    *owner = s;
    TnSym *sym = sym_find(s, name);
    if (sym && sym->global_decl)
        return NULL;
    if (sym && sym->bound && !sym->nonlocal_decl) {
        if (s->type == SK_MODULE)
            return NULL;
        return sym;
    }
    if (sym && sym->is_free)
        return sym;
    if (s->type == SK_MODULE)
        return NULL;
    TnScope *outer = enclosing(s);
    if (!outer)
        return NULL;
    TnScope *where;
    TnSym *found = lookup(r, outer, name, true, &where);
    if (!found)
        return NULL;
    if (where->host == s->host) {
        /* comprehensions share their host's frame: use the symbol directly */
        *owner = where;
        return found;
    }
    found->cell = 1;
    if (!(found = through_classes(r, s, outer, name, found)))
        return NULL;
    sym = sym_get(r, s, name); /* may move s's array, never outer's */
    if (!sym) {
        fail(r, tn_MemoryError, NULL, "out of memory");
        return NULL;
    }
    sym->is_free = 1;
    sym->cell = 1;
    sym->outer = found;
    return sym;
}

static int link_refs(Resolver *r)
{
    for (int i = 0; i < r->nrefs; i++) {
        Ref *ref = &r->refs[i];
        TnScope *s = ref->scope;
        TnStr *name = ref->node->cache;
        TnSym *sym = sym_find(s, name);
        if (sym && sym->nonlocal_decl && !sym->is_free) {
            TnScope *outer = enclosing(s), *where;
            TnSym *found = outer ? lookup(r, outer, name, true, &where) : NULL;
            if (!found)
                return fail(r, tn_SyntaxError, ref->node, "no binding for nonlocal found");
            found->cell = 1;
            if (!(found = through_classes(r, s, outer, name, found)))
                return -1;
            sym = sym_find(s, name);
            sym->is_free = 1;
            sym->cell = 1;
            sym->outer = found;
        }
    }
    /* Symbol arrays may move while linking, so refs store names and re-find below. */
    for (int i = 0; i < r->nrefs; i++) {
        Ref *ref = &r->refs[i];
        TnScope *where;
        lookup(r, ref->scope, ref->node->cache, false, &where);
        if (r->failed)
            return -1;
    }
    return 0;
}

/* -------------------------------------------------------- step 3: number */

static int push_int(Resolver *r, int **arr, int *n, int v)
{
    int *p = arena_alloc(r->arena, (size_t)(*n + 1) * sizeof(int));
    if (!p)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    if (*n)
        memcpy(p, *arr, (size_t)*n * sizeof(int));
    p[(*n)++] = v;
    *arr = p;
    return 0;
}

static bool needs_slot(TnScope *s, TnSym *sym)
{
    if (sym->global_decl)
        return false;
    if (s->type == SK_MODULE)
        return false;
    if (s->type == SK_CLASS)
        return sym->is_free; /* class-bound names live in the class dict */
    return sym->bound || sym->is_free || sym->nonlocal_decl;
}

static int number_scope(Resolver *r, TnScope *s)
{
    TnScope *host = s->host;
    for (int i = 0; i < s->nsyms; i++) {
        TnSym *sym = s->syms[i];
        if (!needs_slot(s, sym) || sym->slot >= 0)
            continue;
        sym->slot = host->nslots++;
        if (sym->is_free) {
            if (push_int(r, &host->free_slots, &host->nfree, sym->slot) < 0)
                return -1;
        } else if (sym->cell) {
            if (push_int(r, &host->cell_slots, &host->ncells, sym->slot) < 0)
                return -1;
        }
    }
    /* parameters that are cells get wrapped after binding */
    for (int i = 0; i < s->nsyms; i++) {
        TnSym *sym = s->syms[i];
        if (sym->param && sym->cell && !sym->is_free)
            if (push_int(r, &host->cell_slots, &host->ncells, sym->slot) < 0)
                return -1;
    }
    return 0;
}

/* Free slot i of host h gets its cell from the defining frame's slot of the
 * outer symbol; computed after every scope is numbered. */
static int fill_free_parents(Resolver *r, TnScope *h)
{
    if (!h->nfree)
        return 0;
    int *parents = arena_alloc(r->arena, (size_t)h->nfree * sizeof(int));
    if (!parents)
        return fail(r, tn_MemoryError, NULL, "out of memory");
    for (int si = 0; si < r->nscopes; si++) {
        TnScope *s = r->scopes[si];
        if (s->host != h)
            continue;
        for (int i = 0; i < s->nsyms; i++) {
            TnSym *sym = s->syms[i];
            if (!sym->is_free || sym->slot < 0)
                continue;
            for (int j = 0; j < h->nfree; j++)
                if (h->free_slots[j] == sym->slot) {
                    parents[j] = sym->outer->slot;
                }
        }
    }
    h->free_parent_slots = parents;
    return 0;
}

static void annotate(Resolver *r)
{
    for (int i = 0; i < r->nrefs; i++) {
        Ref *ref = &r->refs[i];
        TnAst *n = ref->node;
        TnScope *where;
        TnSym *sym = lookup(r, ref->scope, n->cache, false, &where);
        if (!sym || sym->slot < 0) {
            n->scope = SCOPE_GLOBAL;
            TnSym *own = sym_find(ref->scope, n->cache);
            /* skip the class dict for an explicit global, and in a comprehension run inside
             * a class body: Python's comprehension scope does not see class names */
            bool in_class_comp = ref->scope->type == SK_COMPREHENSION &&
                                 ref->scope->host->type == SK_CLASS;
            n->flags = ((own && own->global_decl) || in_class_comp) ? 1 : 0;
        } else {
            n->scope = sym->cell ? SCOPE_CELL : SCOPE_LOCAL;
            n->slot = sym->slot;
        }
    }
}

int tn_resolve(TnState *st, TnArena *arena, TnAst *module)
{
    Resolver r = {.st = st, .arena = arena};
    int rc = -1;
    TnScope *ms = scope_new(&r, SK_MODULE, NULL, module);
    if (!ms) {
        tn_no_memory(st);
        goto done;
    }
    ms->name = "<module>";
    module->scope_info = ms;
    if (walk_list(&r, ms, &module->body) < 0 || link_refs(&r) < 0)
        goto done;
    for (int i = 0; i < r.nscopes; i++)
        if (r.scopes[i]->type != SK_COMPREHENSION && number_scope(&r, r.scopes[i]) < 0)
            goto done;
    for (int i = 0; i < r.nscopes; i++)
        if (r.scopes[i]->type == SK_COMPREHENSION && number_scope(&r, r.scopes[i]) < 0)
            goto done;
    for (int i = 0; i < r.nscopes; i++)
        if (r.scopes[i]->host == r.scopes[i] && fill_free_parents(&r, r.scopes[i]) < 0)
            goto done;
    annotate(&r);
    rc = r.failed ? -1 : 0;
done:
    free(r.refs);
    free(r.scopes);
    return rc;
}

/* locals() of a function frame: a new dict of every bound local and cell, by name. */
TnValue resolve_frame_locals(TnState *st, TnScope *sc, const TnValue *slots)
{
    TnValue d = dict_new(st);
    if (IS_UNDEF(d))
        return d;
    for (int i = 0; i < sc->nsyms; i++) {
        TnSym *sym = sc->syms[i];
        if (sym->slot < 0 || sym->global_decl)
            continue;
        TnValue v = slots[sym->slot];
        if (sym->cell && IS_OBJ(v))
            v = ((TnCell *)AS_OBJ(v))->v;
        if (IS_UNDEF(v))
            continue;
        if (dict_set_str(st, AS_DICT(d), sym->name, v) < 0) {
            tn_decref(d);
            return tn_undef();
        }
    }
    return d;
}
