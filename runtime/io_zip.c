/* io_zip.c: the zip container of torch.save files — a checked reader of stored entries and a
 * writer that reproduces PyTorch's layout (64-byte aligned data, descriptors, zip64 end). */
#include "io.h"
#include <string.h>

/* ----------------------------------------------------------------- CRC-32 */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t io_crc32(uint32_t crc, const void *data, size_t n)
{
    if (!crc_table[1])
        crc_init();
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ------------------------------------------------------------ little endian */
static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ------------------------------------------------------------------ reader */
#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END     0x06054b50u
#define SIG_END64   0x06064b50u
#define SIG_LOC64   0x07064b50u

static int bad(TnState *st, const char *what)
{
    return tn_raise_int(st, tn_RuntimeError,
                        "PytorchStreamReader failed reading zip archive: %s", what);
}

/* Where the central directory is and how many entries it has. */
typedef struct {
    uint64_t cd_off, cd_size, count;
} ZipEnd;

static int find_end(TnState *st, const uint8_t *buf, size_t len, ZipEnd *e)
{
    if (len < 22)
        return bad(st, "failed finding central directory");
    size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
    size_t pos = len - 22;
    while (rd32(buf + pos) != SIG_END) {
        if (pos == lo)
            return bad(st, "failed finding central directory");
        pos--;
    }
    e->count = rd16(buf + pos + 10);
    e->cd_size = rd32(buf + pos + 12);
    e->cd_off = rd32(buf + pos + 16);
    if (pos >= 20 && rd32(buf + pos - 20) == SIG_LOC64) {
        uint64_t off64 = rd64(buf + pos - 20 + 8);
        if (off64 > len - 56 || len < 56 || rd32(buf + off64) != SIG_END64)
            return bad(st, "corrupt zip64 end of central directory");
        e->count = rd64(buf + off64 + 32);
        e->cd_size = rd64(buf + off64 + 40);
        e->cd_off = rd64(buf + off64 + 48);
    }
    if (e->cd_off > len || e->cd_size > len - e->cd_off)
        return bad(st, "central directory outside the file");
    /* each central record takes at least 46 bytes */
    if (e->count > e->cd_size / 46)
        return bad(st, "entry count does not fit the central directory");
    return 0;
}

/* Reads the zip64 extra field of a central record for the values stored as 0xFFFFFFFF. */
static int zip64_extra(TnState *st, const uint8_t *p, size_t n, uint64_t *usize, uint64_t *csize,
                       uint64_t *off)
{
    while (n >= 4) {
        uint16_t id = rd16(p), sz = rd16(p + 2);
        if ((size_t)sz > n - 4)
            return bad(st, "corrupt extra field");
        if (id == 1) {
            const uint8_t *q = p + 4;
            size_t left = sz;
            uint64_t *vals[3] = {usize, csize, off};
            for (int i = 0; i < 3; i++) {
                if (*vals[i] != 0xFFFFFFFFu)
                    continue;
                if (left < 8)
                    return bad(st, "corrupt zip64 extra field");
                *vals[i] = rd64(q);
                q += 8;
                left -= 8;
            }
            return 0;
        }
        p += 4 + sz;
        n -= 4 + (size_t)sz;
    }
    return 0;
}

/* Parses one central record at *pos and locates its data through the local header. */
static int read_entry(TnState *st, const uint8_t *buf, size_t len, const ZipEnd *e, uint64_t *pos,
                      ZipEntry *out)
{
    uint64_t end = e->cd_off + e->cd_size, p = *pos;
    if (end - p < 46 || rd32(buf + p) != SIG_CENTRAL)
        return bad(st, "corrupt central directory");
    const uint8_t *c = buf + p;
    uint16_t flags = rd16(c + 8), method = rd16(c + 10);
    uint32_t crc = rd32(c + 16);
    uint64_t csize = rd32(c + 20), usize = rd32(c + 24), off = rd32(c + 42);
    size_t nlen = rd16(c + 28), xlen = rd16(c + 30), clen = rd16(c + 32);
    if (end - p - 46 < (uint64_t)nlen + xlen + clen)
        return bad(st, "corrupt central directory");
    if (zip64_extra(st, c + 46 + nlen, xlen, &usize, &csize, &off) < 0)
        return -1;
    *pos = p + 46 + nlen + xlen + clen;
    out->name = (const char *)c + 46;
    out->name_len = nlen;
    if (flags & 1)
        return bad(st, "encrypted entries are not supported");
    if (method != 0)
        return tn_raise_int(st, tn_RuntimeError,
                            "zip entry '%.*s' is compressed (method %u); tn reads only stored "
                            "(uncompressed) entries, as torch.save writes them",
                            (int)nlen, out->name, (unsigned)method);
    if (csize != usize)
        return bad(st, "stored entry with differing sizes");
    if (off > len || len - off < 30 || rd32(buf + off) != SIG_LOCAL)
        return bad(st, "corrupt local header");
    uint64_t data = off + 30 + rd16(buf + off + 26) + rd16(buf + off + 28);
    if (data > len || usize > len - data)
        return bad(st, "entry data outside the file");
    out->data = buf + data;
    out->size = usize;
    if (io_crc32(0, out->data, (size_t)usize) != crc)
        return tn_raise_int(st, tn_RuntimeError,
                            "PytorchStreamReader failed reading file %.*s: invalid header or "
                            "archive is corrupted (CRC-32 mismatch)",
                            (int)nlen, out->name);
    return 0;
}

int zip_open(TnState *st, const uint8_t *buf, size_t len, ZipReader *z)
{
    z->entries = NULL;
    z->n = 0;
    ZipEnd e = {0};
    if (find_end(st, buf, len, &e) < 0)
        return -1;
    z->entries = tn_malloc(sizeof(ZipEntry) * (size_t)(e.count ? e.count : 1));
    if (!z->entries)
        return (void)tn_no_memory(st), -1;
    uint64_t pos = e.cd_off;
    for (uint64_t i = 0; i < e.count; i++) {
        if (read_entry(st, buf, len, &e, &pos, &z->entries[i]) < 0) {
            zip_close(z);
            return -1;
        }
        z->n++;
    }
    return 0;
}

const ZipEntry *zip_find(const ZipReader *z, const char *name)
{
    size_t n = strlen(name);
    for (int64_t i = 0; i < z->n; i++)
        if (z->entries[i].name_len == n && !memcmp(z->entries[i].name, name, n))
            return &z->entries[i];
    return NULL;
}

void zip_close(ZipReader *z)
{
    tn_free(z->entries);
    z->entries = NULL;
    z->n = 0;
}

/* ------------------------------------------------------------------ writer */
static bool put16(TnBuf *b, uint32_t v)
{
    char c[2] = {(char)(v & 0xFF), (char)(v >> 8 & 0xFF)};
    return buf_putn(b, c, 2);
}
static bool put32(TnBuf *b, uint32_t v)
{
    return put16(b, v & 0xFFFF) && put16(b, v >> 16);
}
static bool put64(TnBuf *b, uint64_t v)
{
    return put32(b, (uint32_t)v) && put32(b, (uint32_t)(v >> 32));
}

/* Like PyTorch (caffe2/serialize/inline_container.cc): an "FB" extra field of 'Z's
 * makes every entry's data start on a 64-byte boundary, so storages can be mapped. */
static size_t fb_padding(size_t cursor, size_t name_len)
{
    size_t start = cursor + 30 + name_len + 4;
    return (64 - start % 64) % 64;
}

bool zip_add(ZipWriter *z, const char *name, const void *data, size_t n)
{
    size_t nlen = strlen(name), off = z->out.n;
    size_t pad = fb_padding(off, nlen);
    if (off + n + 4096 > 0xFFFFFFFFu || nlen > 0xFFFF)
        return false;
    uint32_t crc = io_crc32(0, data, n);
    TnBuf *b = &z->out;
    bool ok = put32(b, SIG_LOCAL) && put16(b, 0) && put16(b, 0x0808) && put16(b, 0) &&
              put32(b, 0) && put32(b, 0) && put32(b, 0) && put32(b, 0) && put16(b, (uint32_t)nlen) &&
              put16(b, (uint32_t)(pad + 4)) && buf_putn(b, name, nlen) && buf_putn(b, "FB", 2) &&
              put16(b, (uint32_t)pad);
    for (size_t i = 0; ok && i < pad; i++)
        ok = buf_putc(b, 'Z');
    ok = ok && (n == 0 || buf_putn(b, data, n)) && put32(b, 0x08074b50u) && put32(b, crc) &&
         put32(b, (uint32_t)n) && put32(b, (uint32_t)n);
    TnBuf *c = &z->central;
    ok = ok && put32(c, SIG_CENTRAL) && put16(c, 0) && put16(c, 0) && put16(c, 0x0808) &&
         put16(c, 0) && put32(c, 0) && put32(c, crc) && put32(c, (uint32_t)n) &&
         put32(c, (uint32_t)n) && put16(c, (uint32_t)nlen) && put16(c, 0) && put16(c, 0) &&
         put16(c, 0) && put16(c, 0) && put32(c, 0) && put32(c, (uint32_t)off) &&
         buf_putn(c, name, nlen);
    z->count++;
    return ok;
}

bool zip_finish(ZipWriter *z)
{
    TnBuf *b = &z->out;
    uint64_t cd_off = b->n, cd_size = z->central.n, cnt = (uint64_t)z->count;
    if (cd_size && !buf_putn(b, z->central.p, cd_size))
        return false;
    uint64_t end64 = b->n;
    return put32(b, SIG_END64) && put64(b, 44) && put16(b, 0x031e) && put16(b, 45) &&
           put32(b, 0) && put32(b, 0) && put64(b, cnt) && put64(b, cnt) && put64(b, cd_size) &&
           put64(b, cd_off) && put32(b, SIG_LOC64) && put32(b, 0) && put64(b, end64) &&
           put32(b, 1) && put32(b, SIG_END) && put16(b, 0) && put16(b, 0) &&
           put16(b, (uint32_t)cnt) && put16(b, (uint32_t)cnt) && put32(b, (uint32_t)cd_size) &&
           put32(b, (uint32_t)cd_off) && put16(b, 0);
}

void zip_writer_free(ZipWriter *z)
{
    buf_free(&z->out);
    buf_free(&z->central);
}
