/* import.c: `import name` — the predefined namespaces, and other .tn files run once as modules. */
#include "interp.h"
#include "types.h"
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int eval_run_module_source(TnState *st, const char *src, size_t len, const char *filename,
                           TnDict *globals);

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL if unreadable. */
static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    struct stat sb;
    if (fstat(fileno(fp), &sb) < 0 || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        return NULL;
    }
    size_t size = (size_t)sb.st_size;
    char *buf = tn_malloc(size + 1);
    if (!buf) {
        fclose(fp);
        return NULL;
    }
    size_t got = fread(buf, 1, size, fp);
    fclose(fp);
    buf[got] = 0;
    *len = got;
    return buf;
}

/* Finds name.tn next to the importing file, then in the script's folder, then
 * in each folder of TNPATH. Writes the path into out. */
static bool find_module(TnState *st, const char *name, TnFrameInfo *f, char *out, size_t cap)
{
    const char *dirs[3] = {NULL, st->script_dir, NULL};
    char here[4096];
    if (f && f->arena && f->arena->filename && f->arena->filename[0] != '<') {
        snprintf(here, sizeof here, "%s", f->arena->filename);
        dirs[0] = dirname(here);
    }
    struct stat sb;
    for (int i = 0; i < 2; i++) {
        if (!dirs[i])
            continue;
        snprintf(out, cap, "%s/%s.tn", dirs[i], name);
        if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
            return true;
    }
    snprintf(out, cap, "%s.tn", name);
    if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
        return true;
    const char *path = getenv("TNPATH");
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, cap, "%.*s/%s.tn", (int)len, path, name);
        if (len > 0 && stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
            return true;
        path = colon ? colon + 1 : NULL;
    }
    return false;
}

static bool valid_module_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

TnValue import_module(TnState *st, const char *dotted, TnFrameInfo *f)
{
    TnStr *key = str_intern(dotted);
    TnValue mod = dict_get_str(st->modules, key);
    if (!IS_UNDEF(mod))
        return tn_ref(mod);
    char path[4096];
    if (!valid_module_name(dotted) || !find_module(st, dotted, f, path, sizeof path))
        return tn_raise(st, tn_ModuleNotFoundError, "No module named '%s'", dotted);
    size_t len = 0;
    char *src = read_file(path, &len);
    if (!src)
        return tn_raise(st, tn_ImportError, "cannot read module file '%s'", path);
    TnDict *globals = tn_main_globals(st);
    if (!globals) {
        tn_free(src);
        return tn_undef();
    }
    TnValue ns = ns_new(st, dotted);
    TnValue name = tn_str(st, dotted);
    int rc = -1;
    if (!IS_UNDEF(ns) && !IS_UNDEF(name) &&
        dict_set_str(st, globals, str_intern("__name__"), name) == 0 &&
        dict_set_str(st, st->modules, key, ns) == 0) {
        rc = eval_run_module_source(st, src, len, path, globals);
    }
    tn_decref(name);
    tn_free(src);
    if (rc == 0) {
        /* the module's namespace shows its globals (minus the prelude's names) */
        int64_t pos = 0;
        TnValue k, v;
        while (dict_next(globals, &pos, &k, &v))
            if (dict_set(st, ns_dict(ns), k, v) < 0) {
                rc = -1;
                break;
            }
    }
    if (rc < 0)
        dict_clear(globals); /* its functions point back at it: break the cycle */
    tn_obj_decref(globals);
    if (rc < 0) {
        TnValue pending = tn_fetch_error(st);
        if (dict_del(st, st->modules, tn_obj(key)) < 0)
            tn_clear_error(st);
        st->exc = pending;
        tn_decref(ns);
        return tn_undef();
    }
    return ns;
}
