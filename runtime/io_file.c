/* io_file.c: whole-file reads, atomic writes (temp + fsync + rename) and read-only/shared mmaps. */
#include "io.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Python's "[Errno 2] No such file or directory: 'x.pt'" with the matching OSError subclass. */
static int raise_errno(TnState *st, int err, const char *path)
{
    TnType *type = tn_OSError;
    if (err == ENOENT)
        type = tn_FileNotFoundError;
    else if (err == EACCES || err == EPERM)
        type = tn_PermissionError;
    else if (err == EISDIR)
        type = tn_IsADirectoryError;
    return tn_raise_int(st, type, "[Errno %d] %s: '%s'", err, strerror(err), path);
}

/* Opens path for reading and checks it is a regular file; fd or -1 with an error. */
static int open_regular(TnState *st, const char *path, int flags, size_t *len)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return raise_errno(st, errno, path);
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        int err = S_ISDIR(sb.st_mode) ? EISDIR : errno ? errno : EINVAL;
        close(fd);
        return raise_errno(st, err, path);
    }
    *len = (size_t)sb.st_size;
    return fd;
}

int io_read_file(TnState *st, const char *path, uint8_t **data, size_t *len)
{
    int fd = open_regular(st, path, O_RDONLY, len);
    if (fd < 0)
        return -1;
    uint8_t *buf = tn_malloc(*len ? *len : 1);
    if (!buf) {
        close(fd);
        return (void)tn_no_memory(st), -1;
    }
    size_t got = 0;
    while (got < *len) {
        ssize_t r = read(fd, buf + got, *len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    int err = errno;
    close(fd);
    if (got != *len) {
        tn_free(buf);
        return raise_errno(st, err ? err : EIO, path);
    }
    *data = buf;
    return 0;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The temp file lives next to the target so rename() stays within one file system. */
int io_write_atomic(TnState *st, const char *path, const void *data, size_t len)
{
    size_t n = strlen(path);
    char *tmp = tn_malloc(n + 16);
    if (!tmp)
        return (void)tn_no_memory(st), -1;
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int err = errno;
        tn_free(tmp);
        return raise_errno(st, err, path);
    }
    int err = 0;
    if (!write_all(fd, data, len) || fsync(fd) < 0)
        err = errno ? errno : EIO;
    if (close(fd) < 0 && !err)
        err = errno;
    /* mkstemp makes 0600; give the file the usual 0666 & ~umask */
    mode_t mask = umask(0);
    umask(mask);
    if (!err && chmod(tmp, 0666 & ~mask) < 0)
        err = errno;
    if (!err && rename(tmp, path) < 0)
        err = errno;
    if (err) {
        unlink(tmp);
        tn_free(tmp);
        return raise_errno(st, err, path);
    }
    tn_free(tmp);
    return 0;
}

/* ------------------------------------------------------------------ mmap */
typedef struct {
    TN_OBJECT_HEAD;
    void *base;
    size_t len;
} MapOwner;

static void map_dealloc(TnObject *o)
{
    MapOwner *m = (MapOwner *)o;
    if (m->base)
        munmap(m->base, m->len);
    tn_free(m);
}

static TnType map_owner_type = {
    .head = {1 << 30, &tn_type_type},
    .name = "mmap",
    .dealloc = map_dealloc,
};

TnValue io_map_file(TnState *st, const char *path, bool shared_write, uint8_t **base, size_t *len)
{
    int fd = open_regular(st, path, shared_write ? O_RDWR : O_RDONLY, len);
    if (fd < 0)
        return tn_undef();
    if (*len == 0) {
        close(fd);
        return tn_raise(st, tn_ValueError, "cannot mmap an empty file");
    }
    /* 'r' and 'c' map privately: writes never reach the file and never fault */
    void *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, shared_write ? MAP_SHARED : MAP_PRIVATE, fd,
                   0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) {
        raise_errno(st, err, path);
        return tn_undef();
    }
    MapOwner *m = tn_alloc_object(st, &map_owner_type, sizeof(MapOwner));
    if (!m) {
        munmap(p, *len);
        return tn_undef();
    }
    m->base = p;
    m->len = *len;
    *base = p;
    return tn_obj(m);
}

/* ---------------------------------------------------------------- shared */
void io_normalize_bools(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = p[i] != 0;
}

static void gather_dim(const TnTensor *t, int d, const char *src, char **dst, size_t es)
{
    if (d == t->ndim) {
        memcpy(*dst, src, es);
        *dst += es;
        return;
    }
    for (int64_t i = 0; i < t->sizes[d]; i++)
        gather_dim(t, d + 1, src + i * t->strides[d] * (int64_t)es, dst, es);
}

void io_gather(const TnTensor *t, void *dst)
{
    size_t es = (size_t)DT_SIZE(t->dtype);
    if (tensor_numel(t) == 0)
        return;
    if (tensor_is_contiguous(t)) {
        memcpy(dst, tensor_ptr(t), (size_t)tensor_numel(t) * es);
        return;
    }
    char *out = dst;
    gather_dim(t, 0, tensor_ptr(t), &out, es);
}
