/* fileio.h: text file objects: open(), and sys.stdout / sys.stderr / sys.stdin.
 *
 * A file object wraps a C stdio FILE. Everything printed to the terminal goes
 * through stdio's `stdout` buffer (print, sys.stdout.write, REPL echo), which is
 * flushed at exit, before reading input and before anything is written to
 * stderr, so the two streams interleave as they were written. */
#ifndef TN_FILEIO_H
#define TN_FILEIO_H

#include "object.h"
#include <stdio.h>

extern TnType tn_file_type; /* _io.TextIOWrapper */
#define IS_FILE(v) IS_TYPEOF(v, &tn_file_type)

/* Readies tn_file_type (fills its dict). Returns 0, or -1 with an error set. */
TN_MUST_CHECK int file_type_init(TnState *st);

/* A file object over a standard stream that tn does not close (sys.stdout ...).
 * `name` is e.g. "<stdout>", `mode` "w" or "r". New reference, or V_UNDEF with
 * MemoryError pending. */
TN_MUST_CHECK TnValue file_std_new(TnState *st, FILE *fp, const char *name, const char *mode);

/* open(file, mode, encoding) as Python does: a new file object, or V_UNDEF with
 * ValueError (bad mode), TypeError (bad path type) or an OSError subclass
 * (FileNotFoundError, PermissionError, IsADirectoryError) pending. */
TN_MUST_CHECK TnValue file_open(TnState *st, TnValue path, TnValue mode, TnValue encoding);

/* The FILE a print(file=f) call writes to: the stream of an open writable
 * file object. Returns NULL with ValueError ("I/O operation on closed file.")
 * or an OSError ("not writable") pending. f must be a file object. */
FILE *file_writable_fp(TnState *st, TnValue f);

/* Writes n bytes to fp, first flushing stdout when fp is stderr (so the
 * streams stay ordered). Returns 0, or -1 with OSError pending. */
TN_MUST_CHECK int file_write_bytes(TnState *st, FILE *fp, const char *s, size_t n);

#endif
