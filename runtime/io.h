/* io.h: file interchange with PyTorch, NumPy and safetensors.
 *
 * Every loader works from a memory buffer (so the fuzz harnesses in
 * tests/fuzz/ call the same code the interpreter does) and checks every size
 * and offset against that buffer before touching it: a truncated, oversized or
 * hostile file raises a clear error (RuntimeError / ValueError) and never reads
 * out of bounds. Loaded tensors own fresh storages and never point into the
 * buffer, except np.load(mmap_mode=...) which maps the file on purpose.
 *
 * Every writer builds the whole file in memory and hands it to io_write_atomic
 * (temporary file in the same folder, fsync, rename), so a failed save leaves
 * the old file intact.
 *
 *   io_file.c         whole-file reads, atomic writes, mmap
 *   io_zip.c          stored-entry zip reader/writer (PyTorch's layout), CRC-32
 *   io_pickle.c       restricted unpickler and protocol-2 pickler
 *   io_pt.c           torch.save / torch.load on top of zip + pickle
 *   io_npy.c          .npy headers and data
 *   io_safetensors.c  safetensors header JSON and data
 *   ndarray.c         the numpy.ndarray object (a TnTensor view) and its printing
 *   io_api.c          the natives and the numpy / safetensors namespaces
 */
#ifndef TN_IO_H
#define TN_IO_H

#include "tensor.h"

/* ------------------------------------------------------------- io_file.c */
/* Reads the whole file into a tn_malloc'ed buffer (*data, *len; free with tn_free).
 * Raises FileNotFoundError / OSError naming the path. */
TN_MUST_CHECK int io_read_file(TnState *st, const char *path, uint8_t **data, size_t *len);
/* Writes len bytes to path atomically (temp file in the same folder, fsync, rename).
 * Raises OSError; the old file is untouched on failure. */
TN_MUST_CHECK int io_write_atomic(TnState *st, const char *path, const void *data, size_t len);
/* Maps the whole file; writable selects MAP_SHARED read-write ('r+'), else a
 * private copy-on-write mapping ('r', 'c'). Returns an owner object (new
 * reference) whose lifetime keeps the mapping; *base / *len describe it. */
TN_MUST_CHECK TnValue io_map_file(TnState *st, const char *path, bool shared_write, uint8_t **base,
                                  size_t *len);

/* -------------------------------------------------------------- io_zip.c */
uint32_t io_crc32(uint32_t crc, const void *data, size_t n);

typedef struct ZipEntry {
    const char *name; /* points into the buffer, not NUL-terminated */
    size_t name_len;
    const uint8_t *data; /* stored bytes, inside the buffer */
    uint64_t size;
} ZipEntry;

typedef struct ZipReader {
    ZipEntry *entries; /* tn_malloc'ed */
    int64_t n;
} ZipReader;

/* Indexes a zip archive held in buf (borrowed; must outlive the reader). Checks
 * every header, offset and CRC; refuses compressed entries. -1 with RuntimeError. */
TN_MUST_CHECK int zip_open(TnState *st, const uint8_t *buf, size_t len, ZipReader *z);
/* The entry named name (NUL-terminated), or NULL. */
const ZipEntry *zip_find(const ZipReader *z, const char *name);
void zip_close(ZipReader *z);

/* Builds an archive in memory with PyTorch's layout: stored entries whose data
 * start on 64-byte boundaries ("FB" padding extra field), data descriptors and
 * a zip64 end record. */
typedef struct ZipWriter {
    TnBuf out;
    TnBuf central;
    int64_t count;
} ZipWriter;
/* false when memory runs out or the archive would pass 4 GiB (caller raises). */
bool zip_add(ZipWriter *z, const char *name, const void *data, size_t n);
bool zip_finish(ZipWriter *z); /* appends the central directory and end records */
void zip_writer_free(ZipWriter *z);

/* ----------------------------------------------------------- io_pickle.c */
/* The few globals a torch.save pickle may name; everything else is refused. */
typedef enum {
    PG_ORDEREDDICT,
    PG_REBUILD_TENSOR_V2,
    PG_REBUILD_PARAMETER,
    PG_STORAGE, /* torch.FloatStorage etc.; dtype in the object */
} PickleGlobalKind;

typedef struct PickleGlobal {
    TN_OBJECT_HEAD;
    PickleGlobalKind kind;
    TnDType dtype;
} PickleGlobal;
extern TnType io_pickle_global_type;
#define IS_PICKLE_GLOBAL(v) IS_TYPEOF(v, &io_pickle_global_type)

typedef struct PickleHooks {
    void *ctx;
    /* BINPERSID: the object for a persistent id (new reference or UNDEF + error). */
    TnValue (*persistent_load)(TnState *st, void *ctx, TnValue pid);
    /* REDUCE of an allowed global with an args tuple (new reference or UNDEF). */
    TnValue (*reduce)(TnState *st, void *ctx, PickleGlobal *g, TnValue args);
} PickleHooks;

/* Runs the restricted unpickler over buf. New reference, or UNDEF with
 * RuntimeError ("Weights only load failed: ..."). */
TN_MUST_CHECK TnValue pickle_load(TnState *st, const uint8_t *buf, size_t len,
                                  const PickleHooks *hooks);

/* The pickler: torch.save's data.pkl (protocol 2). The tensor callback writes a
 * tensor's reduce form; it gets the pickler to emit sub-objects. */
typedef struct Pickler Pickler;
typedef int (*PickleTensorFn)(TnState *st, Pickler *p, TnTensor *t);
struct Pickler {
    TnBuf out;
    TnDict *memo; /* id(object) -> memo index */
    TnList *keep; /* memoized objects, kept alive until the dump ends */
    int64_t nmemo;
    PickleTensorFn tensor;
    void *ctx;
};
TN_MUST_CHECK int pickle_dump(TnState *st, Pickler *p, TnValue v);
TN_MUST_CHECK int pickle_global(TnState *st, Pickler *p, const char *module, const char *name);
TN_MUST_CHECK int pickle_op(TnState *st, Pickler *p, uint8_t op);
TN_MUST_CHECK int pickle_empty_ordereddict(TnState *st, Pickler *p);
void pickler_free(Pickler *p);

/* --------------------------------------------------------------- io_pt.c */
/* torch.load of a buffer / torch.save to a path. */
TN_MUST_CHECK TnValue pt_load_buffer(TnState *st, const uint8_t *buf, size_t len);
TN_MUST_CHECK int pt_save(TnState *st, TnValue obj, const char *path);

/* -------------------------------------------------------------- io_npy.c */
typedef struct NpyHeader {
    TnDType dtype;
    bool big_endian, fortran;
    int ndim;
    int64_t shape[TN_MAX_DIMS];
    size_t data_offset; /* where the array data start */
    size_t nbytes;
} NpyHeader;
/* Parses and checks a .npy header against the buffer length. -1 with ValueError. */
TN_MUST_CHECK int npy_parse_header(TnState *st, const uint8_t *buf, size_t len, NpyHeader *h);
/* np.load of a buffer: a new tensor holding the array (copied, native order). */
TnTensor *npy_load_buffer(TnState *st, const uint8_t *buf, size_t len);
/* The .npy bytes of tensor t (any strides), NumPy's exact layout, into out. */
TN_MUST_CHECK int npy_encode(TnState *st, TnTensor *t, TnBuf *out);
/* The tensor over a mapped file's data (the storage keeps `owner` alive). */
TnTensor *npy_tensor_over(TnState *st, const NpyHeader *h, uint8_t *base, TnValue owner);

/* ------------------------------------------------------ io_safetensors.c */
/* load_file of a buffer: a new dict name -> tensor. */
TN_MUST_CHECK TnValue st_load_buffer(TnState *st, const uint8_t *buf, size_t len);
/* save_file(dict, path, metadata): metadata is a dict str->str, None or UNDEF. */
TN_MUST_CHECK int st_save(TnState *st, TnValue tensors, TnValue metadata, const char *path);

/* ------------------------------------------------------------ io shared */
/* Rewrites bool bytes to 0/1 so no other byte value ever reaches a C bool. */
void io_normalize_bools(uint8_t *p, size_t n);
/* Copies t's elements in row-major order into dst (numel * elem bytes). */
void io_gather(const TnTensor *t, void *dst);

#endif
