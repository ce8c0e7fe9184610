/* fileio.c: text file objects over C stdio: open(), sys.stdout/stderr/stdin, with-blocks. */
#include "fileio.h"
#include "interp.h"
#include "types.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct TnFile {
    TN_OBJECT_HEAD;
    FILE *fp;
    TnValue name;     /* str as given to open(), or "<stdout>" ... */
    TnValue encoding; /* str */
    char mode[8];     /* as given, without 't' */
    bool readable, writable;
    bool owned;  /* fclose on close/dealloc (false for the standard streams) */
    bool closed;
} TnFile;

#define AS_FILE(v) ((TnFile *)AS_OBJ(v))

/* io.UnsupportedOperation (an OSError here: tn classes have one base), raised by
 * reading a write-only file and the like. Made by file_type_init. */
static TnType *unsupported_operation;

/* Attribute names set on OSError instances (interned by file_type_init). */
static TnStr *s_errno, *s_strerror, *s_filename;

/* ------------------------------------------------------------------ errors */

/* Raises the OSError subclass Python uses for errno `err`, with Python's text
 * "[Errno 2] No such file or directory: 'x.txt'" and the errno/strerror/filename
 * attributes set. Always returns V_UNDEF. */
static TnValue raise_errno(TnState *st, int err, TnValue filename)
{
    static const struct {
        int err;
        TnType **type;
    } map[] = {
        {ENOENT, &tn_FileNotFoundError},
        {EACCES, &tn_PermissionError},
        {EPERM,  &tn_PermissionError},
        {EISDIR, &tn_IsADirectoryError},
    };
    TnType *type = tn_OSError;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].err == err)
            type = *map[i].type;
    if (IS_UNDEF(filename))
        return tn_raise(st, type, "[Errno %d] %s", err, strerror(err));
    TnValue r = tn_repr(st, filename);
    if (IS_UNDEF(r))
        return r;
    tn_raise(st, type, "[Errno %d] %s: %s", err, strerror(err), AS_STR(r)->data);
    tn_decref(r);
    TnValue exc = tn_fetch_error(st);
    TnValue msg = tn_str(st, strerror(err));
    if (IS_UNDEF(msg)) {
        tn_decref(exc);
        return msg;
    }
    if (tn_setattr(st, exc, s_errno, tn_int(err)) < 0 ||
        tn_setattr(st, exc, s_strerror, msg) < 0 ||
        tn_setattr(st, exc, s_filename, filename) < 0) {
        tn_decref(msg);
        tn_decref(exc);
        return tn_undef();
    }
    tn_decref(msg);
    return tn_raise_value(st, exc);
}

/* A failed stdio read or write: KeyboardInterrupt when Ctrl-C interrupted it,
 * else OSError. Returns V_UNDEF. */
static TnValue raise_io(TnState *st, FILE *fp)
{
    int err = errno;
    clearerr(fp);
    if (err == EINTR && tn_interrupted) {
        tn_interrupted = 0;
        return tn_raise_value(st, tn_ref(tn_obj(tn_KeyboardInterrupt)));
    }
    return raise_errno(st, err ? err : EIO, tn_undef());
}

static TnValue raise_closed(TnState *st)
{
    return tn_raise(st, tn_ValueError, "I/O operation on closed file.");
}

/* Checks that self can be read; returns its FILE or NULL with an error set. */
static FILE *readable_fp(TnState *st, TnValue self)
{
    TnFile *f = AS_FILE(self);
    if (f->closed)
        return raise_closed(st), NULL;
    if (!f->readable)
        return tn_raise_ptr(st, unsupported_operation, "not readable");
    return f->fp;
}

FILE *file_writable_fp(TnState *st, TnValue self)
{
    TnFile *f = AS_FILE(self);
    if (f->closed)
        return raise_closed(st), NULL;
    if (!f->writable)
        return tn_raise_ptr(st, unsupported_operation, "not writable");
    return f->fp;
}

int file_write_bytes(TnState *st, FILE *fp, const char *s, size_t n)
{
    if (fp == stderr)
        fflush(stdout);
    if (n && fwrite(s, 1, n, fp) != n) {
        raise_io(st, fp);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- reading */

/* Universal newlines: "\r\n" and a lone "\r" become "\n" (in place). */
static size_t translate_newlines(char *p, size_t n)
{
    if (!memchr(p, '\r', n))
        return n;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r') {
            p[j++] = '\n';
            if (i + 1 < n && p[i + 1] == '\n')
                i++;
        } else {
            p[j++] = p[i];
        }
    }
    return j;
}

static TnValue finish_buf(TnState *st, TnBuf *b)
{
    if (b->n)
        b->n = translate_newlines(b->p, b->n);
    TnValue s = buf_to_str(st, b);
    return IS_UNDEF(s) ? tn_no_memory(st) : s;
}

static bool is_lead_byte(int c)
{
    return (c & 0xC0) != 0x80;
}

/* Reads up to `limit` code points (all when limit < 0), stopping after a newline
 * when `line` is set. */
static TnValue read_chars(TnState *st, FILE *fp, int64_t limit, bool line)
{
    TnBuf b = {0};
    int64_t count = 0;
    int c;
    while ((c = getc(fp)) != EOF) {
        if (is_lead_byte(c)) {
            if (limit >= 0 && count == limit) {
                ungetc(c, fp);
                break;
            }
            count++;
        }
        if (c == '\r') {
            int d = getc(fp);
            if (d != '\n' && d != EOF)
                ungetc(d, fp);
            c = '\n';
        }
        if (!buf_putc(&b, (char)c)) {
            buf_free(&b);
            return tn_no_memory(st);
        }
        if (line && c == '\n')
            break;
    }
    if (ferror(fp)) {
        buf_free(&b);
        return raise_io(st, fp);
    }
    return finish_buf(st, &b);
}

static TnValue read_all(TnState *st, FILE *fp)
{
    TnBuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (!buf_putn(&b, chunk, n)) {
            buf_free(&b);
            return tn_no_memory(st);
        }
    }
    if (ferror(fp)) {
        buf_free(&b);
        return raise_io(st, fp);
    }
    return finish_buf(st, &b);
}

/* One line including its "\n" ("" at end of file). */
static TnValue read_line(TnState *st, FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    ssize_t n = getline(&line, &cap, fp);
    if (n < 0) {
        free(line);
        if (ferror(fp))
            return raise_io(st, fp);
        return tn_str_n(st, "", 0);
    }
    if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
        line[n - 2] = '\n';
        n--;
    } else if (line[n - 1] == '\r') {
        line[n - 1] = '\n';
    }
    TnValue s = tn_str_n(st, line, n);
    free(line);
    return s;
}

static TnValue File_read(TnState *st, TnValue *a)
{
    FILE *fp = readable_fp(st, a[0]);
    int64_t size = -1;
    if (!fp)
        return tn_undef();
    if (!IS_NONE(a[1]) && tn_as_index(st, a[1], &size, NULL) < 0)
        return tn_undef();
    return size < 0 ? read_all(st, fp) : read_chars(st, fp, size, false);
}

static TnValue File_readline(TnState *st, TnValue *a)
{
    FILE *fp = readable_fp(st, a[0]);
    int64_t size = -1;
    if (!fp)
        return tn_undef();
    if (!IS_NONE(a[1]) && tn_as_index(st, a[1], &size, NULL) < 0)
        return tn_undef();
    return size < 0 ? read_line(st, fp) : read_chars(st, fp, size, true);
}

static TnValue File_readlines(TnState *st, TnValue *a)
{
    FILE *fp = readable_fp(st, a[0]);
    int64_t hint = -1, total = 0;
    if (!fp)
        return tn_undef();
    if (!IS_NONE(a[1]) && tn_as_index(st, a[1], &hint, NULL) < 0)
        return tn_undef();
    TnValue list = list_new(st, 0);
    if (IS_UNDEF(list))
        return list;
    for (;;) {
        TnValue line = read_line(st, fp);
        if (IS_UNDEF(line))
            goto fail;
        if (AS_STR(line)->len == 0) {
            tn_decref(line);
            break;
        }
        total += AS_STR(line)->nchars;
        int rc = list_append(st, AS_LIST(list), line);
        tn_decref(line);
        if (rc < 0)
            goto fail;
        if (hint > 0 && total >= hint)
            break;
    }
    return list;
fail:
    tn_decref(list);
    return tn_undef();
}

/* Iteration yields lines; an empty read ends it. */
static TnValue file_iter(TnState *st, TnValue self)
{
    if (AS_FILE(self)->closed)
        return raise_closed(st);
    return tn_ref(self);
}

static TnValue file_next(TnState *st, TnValue self)
{
    FILE *fp = readable_fp(st, self);
    if (!fp)
        return tn_undef();
    TnValue line = read_line(st, fp);
    if (!IS_UNDEF(line) && AS_STR(line)->len == 0) {
        tn_decref(line);
        return tn_undef();
    }
    return line;
}

static TnValue File__iter__(TnState *st, TnValue *a)
{
    return file_iter(st, a[0]);
}

static TnValue File__next__(TnState *st, TnValue *a)
{
    TnValue line = file_next(st, a[0]);
    if (IS_UNDEF(line) && IS_UNDEF(st->exc))
        return tn_raise_value(st, tn_ref(tn_obj(tn_StopIteration)));
    return line;
}

/* ----------------------------------------------------------------- writing */

static TnValue File_write(TnState *st, TnValue *a)
{
    FILE *fp = file_writable_fp(st, a[0]);
    if (!fp)
        return tn_undef();
    if (!IS_STR(a[1]))
        return tn_raise(st, tn_TypeError, "write() argument must be str, not %s",
                        tn_type_name(a[1]));
    TnStr *s = AS_STR(a[1]);
    if (file_write_bytes(st, fp, s->data, (size_t)s->len) < 0)
        return tn_undef();
    return tn_int(s->nchars);
}

static TnValue File_writelines(TnState *st, TnValue *a)
{
    FILE *fp = file_writable_fp(st, a[0]);
    if (!fp)
        return tn_undef();
    TnValue it = tn_iter(st, a[1]);
    if (IS_UNDEF(it))
        return it;
    TnValue item;
    while (!IS_UNDEF(item = tn_next(st, it))) {
        int rc;
        if (!IS_STR(item))
            rc = tn_raise_int(st, tn_TypeError, "write() argument must be str, not %s",
                              tn_type_name(item));
        else
            rc = file_write_bytes(st, fp, AS_STR(item)->data, (size_t)AS_STR(item)->len);
        tn_decref(item);
        if (rc < 0)
            break;
    }
    tn_decref(it);
    return IS_UNDEF(st->exc) ? tn_none() : tn_undef();
}

static TnValue File_flush(TnState *st, TnValue *a)
{
    TnFile *f = AS_FILE(a[0]);
    if (f->closed)
        return raise_closed(st);
    if (f->writable && fflush(f->fp) != 0)
        return raise_io(st, f->fp);
    return tn_none();
}

/* Closing twice is allowed; the standard streams are only flushed. */
static TnValue File_close(TnState *st, TnValue *a)
{
    TnFile *f = AS_FILE(a[0]);
    if (f->closed)
        return tn_none();
    f->closed = true;
    int rc = f->owned ? fclose(f->fp) : fflush(f->fp);
    if (f->owned)
        f->fp = NULL;
    if (rc != 0)
        return raise_errno(st, errno ? errno : EIO, tn_undef());
    return tn_none();
}

static TnValue File_enter(TnState *st, TnValue *a)
{
    if (AS_FILE(a[0])->closed)
        return raise_closed(st);
    return tn_ref(a[0]);
}

static TnValue File_exit(TnState *st, TnValue *a)
{
    TnValue r = File_close(st, a);
    if (IS_UNDEF(r))
        return r;
    return tn_none(); /* falsy: exceptions propagate */
}

static TnValue File_readable(TnState *st, TnValue *a)
{
    if (AS_FILE(a[0])->closed)
        return raise_closed(st);
    return tn_bool(AS_FILE(a[0])->readable);
}

static TnValue File_writable(TnState *st, TnValue *a)
{
    if (AS_FILE(a[0])->closed)
        return raise_closed(st);
    return tn_bool(AS_FILE(a[0])->writable);
}

static TnValue File_isatty(TnState *st, TnValue *a)
{
    if (AS_FILE(a[0])->closed)
        return raise_closed(st);
    return tn_bool(isatty(fileno(AS_FILE(a[0])->fp)));
}

static TnValue File_fileno(TnState *st, TnValue *a)
{
    if (AS_FILE(a[0])->closed)
        return raise_closed(st);
    return tn_int(fileno(AS_FILE(a[0])->fp));
}

static TnValue File_tell(TnState *st, TnValue *a)
{
    TnFile *f = AS_FILE(a[0]);
    if (f->closed)
        return raise_closed(st);
    long pos = ftell(f->fp);
    if (pos < 0)
        return raise_errno(st, errno, tn_undef());
    return tn_int(pos);
}

static TnValue File_seek(TnState *st, TnValue *a)
{
    TnFile *f = AS_FILE(a[0]);
    int64_t off, whence;
    if (f->closed)
        return raise_closed(st);
    if (tn_as_index(st, a[1], &off, NULL) < 0 ||
        tn_as_index(st, a[2], &whence, NULL) < 0)
        return tn_undef();
    if (whence < 0 || whence > 2)
        return tn_raise(st, tn_ValueError, "invalid whence (%lld, should be 0, 1 or 2)",
                        (long long)whence);
    if (fseek(f->fp, (long)off, (int)whence) != 0)
        return raise_errno(st, errno, tn_undef());
    return tn_int(ftell(f->fp));
}

static TnValue file_get_closed(TnState *st, TnValue self)
{
    return tn_bool(AS_FILE(self)->closed);
}

static TnValue file_get_name(TnState *st, TnValue self)
{
    return tn_ref(AS_FILE(self)->name);
}

static TnValue file_get_mode(TnState *st, TnValue self)
{
    return tn_str(st, AS_FILE(self)->mode);
}

static TnValue file_get_encoding(TnState *st, TnValue self)
{
    return tn_ref(AS_FILE(self)->encoding);
}

/* <_io.TextIOWrapper name='x.txt' mode='r' encoding='UTF-8'> */
static TnValue file_repr(TnState *st, TnValue self)
{
    TnFile *f = AS_FILE(self);
    TnValue name = tn_repr(st, f->name);
    if (IS_UNDEF(name))
        return name;
    TnValue enc = tn_repr(st, f->encoding);
    if (IS_UNDEF(enc)) {
        tn_decref(name);
        return enc;
    }
    TnValue r = tn_str_fmt(st, "<_io.TextIOWrapper name=%s mode='%s' encoding=%s>",
                           AS_STR(name)->data, f->mode, AS_STR(enc)->data);
    tn_decref(name);
    tn_decref(enc);
    return r;
}

static void file_dealloc(TnObject *o)
{
    TnFile *f = (TnFile *)o;
    if (f->owned && !f->closed && f->fp)
        fclose(f->fp);
    tn_decref(f->name);
    tn_decref(f->encoding);
    tn_free(f);
}

static const TnMethodDef file_methods[] = {
    {"read",       File_read,       "read(self, size=-1, /)",     NULL,
     "Read at most size characters from the stream (all of it when size is negative)."},
    {"readline",   File_readline,   "readline(self, size=-1, /)", NULL,
     "Read until newline or end of file; returns '' at end of file."},
    {"readlines",  File_readlines,  "readlines(self, hint=-1, /)", NULL,
     "Return a list of lines from the stream."},
    {"write",      File_write,      "write(self, text, /)",       NULL,
     "Write the string to the stream; returns the number of characters written."},
    {"writelines", File_writelines, "writelines(self, lines, /)", NULL,
     "Write an iterable of strings to the stream."},
    {"flush",      File_flush,      "flush(self, /)",             NULL,
     "Flush the write buffer."},
    {"close",      File_close,      "close(self, /)",             NULL,
     "Flush and close the file."},
    {"readable",   File_readable,   "readable(self, /)",          NULL, NULL},
    {"writable",   File_writable,   "writable(self, /)",          NULL, NULL},
    {"isatty",     File_isatty,     "isatty(self, /)",            NULL, NULL},
    {"fileno",     File_fileno,     "fileno(self, /)",            NULL, NULL},
    {"tell",       File_tell,       "tell(self, /)",              NULL, NULL},
    {"seek",       File_seek,       "seek(self, cookie, whence=0, /)", NULL, NULL},
    {"__iter__",   File__iter__,    "__iter__(self, /)",          NULL, NULL},
    {"__next__",   File__next__,    "__next__(self, /)",          NULL, NULL},
    {"__enter__",  File_enter,      "__enter__(self, /)",         NULL, NULL},
    {"__exit__",   File_exit,       "__exit__(self, *args)",      NULL, NULL},
    {NULL},
};

static const TnGetSetDef file_getset[] = {
    {"closed",   file_get_closed,   NULL, "True if the file is closed."},
    {"name",     file_get_name,     NULL, NULL},
    {"mode",     file_get_mode,     NULL, NULL},
    {"encoding", file_get_encoding, NULL, NULL},
    {NULL},
};

TnType tn_file_type = {
    .head = {TN_IMMORTAL, &tn_type_type},
    .name = "TextIOWrapper",
    .base = &tn_object_type,
    .dealloc = file_dealloc,
    .repr = file_repr,
    .iter = file_iter,
    .next = file_next,
    .methods = file_methods,
    .getset = file_getset,
};

int file_type_init(TnState *st)
{
    TnStr *s_module = str_intern("__module__"), *name = str_intern("UnsupportedOperation");
    s_errno = str_intern("errno");
    s_strerror = str_intern("strerror");
    s_filename = str_intern("filename");
    if (!s_module || !name || !s_errno || !s_strerror || !s_filename)
        return tn_no_memory(st), -1;
    if (type_ready(st, &tn_file_type) < 0)
        return -1;
    TnValue mod = tn_str(st, "_io");
    if (IS_UNDEF(mod))
        return -1;
    int rc = dict_set_str(st, tn_file_type.dict, s_module, mod);
    tn_decref(mod);
    TnValue ns = rc < 0 ? tn_undef() : dict_new(st);
    if (IS_UNDEF(ns))
        return -1;
    mod = tn_str(st, "io");
    rc = IS_UNDEF(mod) ? -1 : dict_set_str(st, AS_DICT(ns), s_module, mod);
    tn_decref(mod);
    TnValue cls = rc < 0 ? tn_undef() : class_new(st, name, tn_OSError, AS_DICT(ns));
    tn_decref(ns);
    if (IS_UNDEF(cls))
        return -1;
    unsupported_operation = AS_TYPE(cls); /* kept for the whole run */
    return 0;
}

/* ---------------------------------------------------------------- creation */

static TnFile *file_alloc(TnState *st, FILE *fp, TnValue name, const char *mode,
                          const char *encoding)
{
    TnValue enc = tn_str(st, encoding);
    if (IS_UNDEF(enc))
        return NULL;
    TnFile *f = tn_alloc_object(st, &tn_file_type, sizeof(TnFile));
    if (!f) {
        tn_decref(enc);
        return NULL;
    }
    f->fp = fp;
    f->name = tn_ref(name);
    f->encoding = enc;
    snprintf(f->mode, sizeof f->mode, "%s", mode);
    return f;
}

TnValue file_std_new(TnState *st, FILE *fp, const char *name, const char *mode)
{
    TnValue nm = tn_str(st, name);
    if (IS_UNDEF(nm))
        return nm;
    TnFile *f = file_alloc(st, fp, nm, mode, "utf-8");
    tn_decref(nm);
    if (!f)
        return tn_undef();
    f->readable = mode[0] == 'r';
    f->writable = mode[0] != 'r';
    return tn_obj(f);
}

/* Parses a Python open() mode into a stdio mode. Returns 0, or -1 with
 * ValueError (or NotImplementedError for binary mode) pending. */
static int parse_mode(TnState *st, const char *mode, bool has_encoding, char *cmode, bool *rd,
                      bool *wr)
{
    int seen[128] = {0};
    for (const char *p = mode; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 128 || !strchr("rwaxbt+U", c) || seen[c]++)
            return tn_raise_int(st, tn_ValueError, "invalid mode: '%s'", mode);
    }
    int kinds = seen['r'] + seen['w'] + seen['a'] + seen['x'];
    if (seen['U'] && (seen['w'] || seen['a'] || seen['x'] || seen['+']))
        return tn_raise_int(st, tn_ValueError,
                            "mode U cannot be combined with 'x', 'w', 'a', or '+'");
    if (seen['t'] && seen['b'])
        return tn_raise_int(st, tn_ValueError, "can't have text and binary mode at once");
    if (kinds > 1)
        return tn_raise_int(st, tn_ValueError,
                            "must have exactly one of create/read/write/append mode");
    if (kinds == 0 && !seen['U'])
        return tn_raise_int(st, tn_ValueError, "Must have exactly one of create/read/write/"
                                               "append mode and at most one plus");
    if (seen['b'] && has_encoding)
        return tn_raise_int(st, tn_ValueError, "binary mode doesn't take an encoding argument");
    if (seen['b'])
        return tn_raise_int(st, tn_NotImplementedError, "open() in binary mode");
    bool plus = seen['+'];
    const char *base = seen['w'] || seen['x'] ? "w" : seen['a'] ? "a" : "r";
    snprintf(cmode, 8, "%s%s%s", base, plus ? "+" : "", seen['x'] ? "x" : "");
    *rd = base[0] == 'r' || plus;
    *wr = base[0] != 'r' || plus;
    return 0;
}

TnValue file_open(TnState *st, TnValue path, TnValue mode, TnValue encoding)
{
    if (!IS_STR(path))
        return tn_raise(st, tn_TypeError, "expected str, bytes or os.PathLike object, not %s",
                        tn_type_name(path));
    if (!IS_STR(mode))
        return tn_raise(st, tn_TypeError, "open() argument 'mode' must be str, not %s",
                        tn_type_name(mode));
    if (!IS_NONE(encoding) && !IS_STR(encoding))
        return tn_raise(st, tn_TypeError, "open() argument 'encoding' must be str or None, not %s",
                        tn_type_name(encoding));
    char cmode[8];
    bool rd = false, wr = false;
    if (parse_mode(st, AS_STR(mode)->data, !IS_NONE(encoding), cmode, &rd, &wr) < 0)
        return tn_undef();
    const char *fname = AS_STR(path)->data;
    if (strlen(fname) != (size_t)AS_STR(path)->len)
        return tn_raise(st, tn_ValueError, "embedded null byte");
    errno = 0;
    FILE *fp = fopen(fname, cmode);
    if (!fp)
        return raise_errno(st, errno, path);
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(fp);
        return raise_errno(st, EISDIR, path);
    }
    TnFile *f = file_alloc(st, fp, path, AS_STR(mode)->data,
                           IS_NONE(encoding) ? "UTF-8" : AS_STR(encoding)->data);
    if (!f) {
        fclose(fp);
        return tn_undef();
    }
    f->owned = true;
    f->readable = rd;
    f->writable = wr;
    return tn_obj(f);
}
