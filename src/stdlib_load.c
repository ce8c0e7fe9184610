/* stdlib_load.c: the embedded stdlib/NAME.tn files, published into their namespaces on first use.
 *
 * Each stdlib file names its target in a leading comment line
 *     # namespace: torch.nn          (a namespace of st->modules, "builtins", or "Module")
 * and optionally the module name its classes report (`__name__` while it runs):
 *     # module: torch.nn.modules.linear
 * A file runs in a fresh prelude globals dict (so it sees torch, nn, F, math, ...);
 * every name it bound itself (not a prelude name, not a dunder; no `_private` name
 * into the builtins) is then copied into the target: a namespace's dict, the
 * builtins, or the dict of the C nn.Module type (how Module methods written in tn,
 * such as to() and load_state_dict(), join it).
 *
 * Parsing all of the stdlib costs several milliseconds, more than tn's whole
 * start-up budget, so files load lazily. At start-up only their top-level names
 * are scanned (`def NAME`, `class NAME`, `NAME =` at column 0), and each name
 * is entered into its namespace as a stub. The namespace type's getattr slot is
 * wrapped so that reaching a stub (nn.Linear, F.relu, ...) loads the file that
 * defines it, which replaces the file's stubs with the real values; a stub that
 * is called directly (after `from torch.nn import *`) loads and forwards the call.
 * Module methods load when an attribute lookup on a module misses (module.h's
 * module_lazy_hook). Stubs in the builtins (summary) are resolved by eval.c's
 * global lookup, through stdlib_stub_resolve.
 */
#include "eval.h"
#include "module.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *source;
} TnStdlibFile;
extern const TnStdlibFile tn_stdlib_files[];

/* eval.c: runs a module's source in `globals`; errors stay pending. */
int eval_run_module_source(TnState *st, const char *src, size_t len, const char *filename,
                           TnDict *globals);

enum { FILE_LAZY, FILE_LOADING, FILE_LOADED };
static unsigned char *file_state;

/* ------------------------------------------------------------- stubs */

typedef struct LazyStub {
    TN_OBJECT_HEAD;
    int file;
    TnStr *name;
    TnDict *target; /* borrowed: namespace dicts live for the whole run */
} LazyStub;

static TnValue stub_repr(TnState *st, TnValue self)
{
    LazyStub *s = (LazyStub *)AS_OBJ(self);
    return tn_str_fmt(st, "<not yet loaded: %s from stdlib/%s.tn>", s->name->data,
                      tn_stdlib_files[s->file].name);
}

static void stub_dealloc(TnObject *o)
{
    tn_obj_decref(((LazyStub *)o)->name);
    tn_free(o);
}

static int load_file(TnState *st, int i);
extern TnType tn_stdlib_stub_type; /* defined below; eval.c checks for it */

/* The real value behind a stub (new reference), loading its file first. */
static TnValue resolve_stub(TnState *st, LazyStub *s)
{
    if (load_file(st, s->file) < 0) return tn_undef();
    TnValue v = dict_get_str(s->target, s->name);
    if (IS_UNDEF(v) || IS_TYPEOF(v, &tn_stdlib_stub_type))
        return tn_raise(st, tn_AttributeError, "stdlib/%s.tn does not define '%s'",
                        tn_stdlib_files[s->file].name, s->name->data);
    return tn_ref(v);
}

TnValue stdlib_stub_resolve(TnState *st, TnValue stub)
{
    tn_incref(stub); /* loading the file replaces (and would free) this stub */
    TnValue v = resolve_stub(st, (LazyStub *)AS_OBJ(stub));
    tn_decref(stub);
    return v;
}

static TnValue stub_call(TnState *st, TnValue self, const TnValue *args, int nargs,
                         TnStr *const *kwnames, int nkw)
{
    TnValue f = stdlib_stub_resolve(st, self);
    if (IS_UNDEF(f)) return f;
    TnValue r = tn_call(st, f, args, nargs, kwnames, nkw);
    tn_decref(f);
    return r;
}

TnType tn_stdlib_stub_type = {
    .head = {0, NULL},
    .name = "stdlib_stub",
    .dealloc = stub_dealloc,
    .repr = stub_repr,
    .call = stub_call,
};

static TnValue (*ns_getattr_next)(TnState *st, TnValue self, TnStr *name);

static TnValue lazy_ns_getattr(TnState *st, TnValue self, TnStr *name)
{
    TnValue v = ns_getattr_next(st, self, name);
    if (!IS_TYPEOF(v, &tn_stdlib_stub_type)) return v;
    TnValue real = resolve_stub(st, (LazyStub *)AS_OBJ(v));
    tn_decref(v);
    return real;
}

/* ------------------------------------------------------------- loading */

/* Copies the value of a leading "# key: value" comment line into buf ("" if absent). */
static void marker(const char *src, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    buf[0] = 0;
    for (const char *p = src; *p == '#';) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > klen + 2 && strncmp(p + 2, key, klen) == 0 && p[2 + klen] == ':') {
            const char *v = p + 3 + klen;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(p + len - v);
            if (vl >= n) vl = n - 1;
            memcpy(buf, v, vl);
            buf[vl] = 0;
            return;
        }
        if (!e) break;
        p = e + 1;
    }
}

static TnDict *target_dict(TnState *st, const char *ns)
{
    if (strcmp(ns, "builtins") == 0) return st->builtins;
    if (strcmp(ns, "Module") == 0) return tn_module_type.dict;
    TnValue v = dict_get_str(st->modules, str_intern(ns));
    return IS_TYPEOF(v, &tn_namespace_type) ? ns_dict(v) : NULL;
}

/* Copies the names `g` gained over `before` into `dst`. */
static int publish(TnState *st, TnDict *g, TnDict *before, TnDict *dst)
{
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(g, &pos, &k, &v)) {
        if (!IS_STR(k) || strncmp(AS_STR(k)->data, "__", 2) == 0 ||
            (dst == st->builtins && AS_STR(k)->data[0] == '_'))
            continue;
        TnValue old = dict_get_str(before, AS_STR(k));
        if (!IS_UNDEF(old) && old.tag == v.tag && old.u.i == v.u.i) continue;
        if (dict_set(st, dst, k, v) < 0) return -1;
    }
    return 0;
}

/* Removes the stubs of file i that its run did not replace. */
static int drop_stubs(TnState *st, TnDict *d, int i)
{
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(d, &pos, &k, &v))
        if (IS_TYPEOF(v, &tn_stdlib_stub_type) && ((LazyStub *)AS_OBJ(v))->file == i) {
            if (dict_del(st, d, k) < 0) return -1;
            pos = 0;
        }
    return 0;
}

static int load_file(TnState *st, int i)
{
    if (file_state[i] != FILE_LAZY)
        return 0; /* loaded, or loading: a name it defines later is not there yet */
    const TnStdlibFile *f = &tn_stdlib_files[i];
    char ns[64], modname[96], fname[96];
    marker(f->source, "namespace", ns, sizeof ns);
    marker(f->source, "module", modname, sizeof modname);
    TnDict *dst = target_dict(st, ns);
    if (!dst)
        return tn_raise_int(st, tn_ImportError, "stdlib/%s.tn: unknown namespace '%s'", f->name,
                            ns);
    file_state[i] = FILE_LOADING;
    TnDict *g = tn_main_globals(st);
    if (!g) return -1;
    TnValue before = dict_copy(st, g);
    TnValue name = tn_str(st, modname[0] ? modname : ns);
    int rc = -1;
    if (IS_UNDEF(before) || IS_UNDEF(name) || dict_set_str(st, g, str_intern("__name__"), name) < 0)
        goto done;
    snprintf(fname, sizeof fname, "stdlib/%s.tn", f->name);
    if (eval_run_module_source(st, f->source, strlen(f->source), fname, g) < 0) goto done;
    rc = publish(st, g, AS_DICT(before), dst);
    if (rc == 0) rc = drop_stubs(st, dst, i);
done:
    file_state[i] = rc == 0 ? FILE_LOADED : FILE_LAZY;
    tn_decref(name);
    tn_decref(before);
    if (rc < 0)
        dict_clear(g); /* a half-run file's functions point back at g: break the cycle */
    tn_obj_decref(g);
    return rc;
}

/* module.h's hook: loads the files that add methods to nn.Module; 1 if any loaded. */
static int load_module_methods(TnState *st)
{
    int loaded = 0;
    char ns[64];
    for (int i = 0; tn_stdlib_files[i].name; i++) {
        if (file_state[i] != FILE_LAZY) continue;
        marker(tn_stdlib_files[i].source, "namespace", ns, sizeof ns);
        if (strcmp(ns, "Module") != 0) continue;
        if (load_file(st, i) < 0) return -1;
        loaded = 1;
    }
    return loaded;
}

/* Enters a stub into `d` for every top-level name of file i's source (never over
 * an existing entry, such as the C Module and Parameter in torch.nn). */
static int add_stubs(TnState *st, TnDict *d, int i)
{
    for (const char *p = tn_stdlib_files[i].source; p && *p;
         p = strchr(p, '\n'), p = p ? p + 1 : p) {
        const char *s = p;
        if (strncmp(s, "def ", 4) == 0)
            s += 4;
        else if (strncmp(s, "class ", 6) == 0)
            s += 6;
        const char *e = s;
        while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '_' ||
               (e > s && *e >= '0' && *e <= '9'))
            e++;
        if (e == s || (s == p && !(e[0] == ' ' && e[1] == '=' && e[2] != '='))) continue;
        if (s[0] == '_' && (s[1] == '_' || d == st->builtins)) continue; /* as publish() */
        TnStr *name = str_intern_n(s, e - s);
        if (!name) return (void)tn_no_memory(st), -1;
        if (!IS_UNDEF(dict_get_str(d, name))) continue;
        LazyStub *stub = tn_alloc_object(st, &tn_stdlib_stub_type, sizeof(LazyStub));
        if (!stub) return -1;
        stub->file = i;
        stub->name = name;
        tn_obj_incref(name);
        stub->target = d;
        int rc = dict_set_str(st, d, name, tn_obj(stub));
        tn_obj_decref(stub);
        if (rc < 0) return -1;
    }
    return 0;
}

int stdlib_init(TnState *st)
{
    TnValue nn = dict_get_str(st->modules, str_intern("torch.nn"));
    if (IS_UNDEF(nn) || module_init(st, nn) < 0 || type_ready(st, &tn_stdlib_stub_type) < 0) return -1;
    int n = 0;
    while (tn_stdlib_files[n].name)
        n++;
    file_state = tn_calloc((size_t)n + 1, 1);
    if (!file_state) return (void)tn_no_memory(st), -1;
    if (!ns_getattr_next) {
        ns_getattr_next = tn_namespace_type.getattr;
        tn_namespace_type.getattr = lazy_ns_getattr;
    }
    module_lazy_hook = load_module_methods;
    char ns[64];
    for (int i = 0; i < n; i++) {
        marker(tn_stdlib_files[i].source, "namespace", ns, sizeof ns);
        TnDict *d = target_dict(st, ns);
        if (!d) {
            fprintf(stderr, "tn: stdlib/%s.tn: unknown namespace '%s'\n", tn_stdlib_files[i].name,
                    ns);
            return -1;
        }
        if (strcmp(ns, "Module") == 0) continue;
        if (add_stubs(st, d, i) < 0) return -1;
    }
    return 0;
}
