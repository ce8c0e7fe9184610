/* storage.c: refcounted data buffers shared by tensor views. */
#include "tensor.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Buffers up to this size live in the same allocation as the storage header, so
 * a small tensor costs two allocations (header + storage) in all. */
#define INLINE_BYTES 128

typedef struct {
    TnStorage s;
    _Alignas(64) char data[];
} InlineStorage;

/* Dead inline storages, linked through their data field, for the same reason as tensor.c's
 * header pool: small ops make and drop one per op. */
#ifdef __SANITIZE_ADDRESS__
#define INLINE_POOL_MAX 0 /* let ASan see every free, so use-after-free is caught */
#else
#define INLINE_POOL_MAX 64
#endif
#define STORAGE_ALIGN 64
static TnStorage *inline_pool;
static int inline_pool_n;

/* Made by storage_new_ex with the data inline. Storages made elsewhere (io_npy.c) either own
 * their data or have an owner, so the address test alone is never what decides. */
static bool is_inline(TnStorage *s)
{
    return !s->owns_data && IS_UNDEF(s->owner) &&
           (char *)s->data == (char *)s + offsetof(InlineStorage, data);
}

static void storage_dealloc(TnObject *o)
{
    TnStorage *s = (TnStorage *)o;
    if (is_inline(s) && inline_pool_n < INLINE_POOL_MAX) {
        s->data = inline_pool;
        inline_pool = s;
        inline_pool_n++;
        return;
    }
    if (s->owns_data)
        tn_free(s->block);
    tn_decref(s->owner);
    tn_free(s);
}

TnType tn_storage_type = {
    .head = {1 << 30, &tn_type_type},
    .name = "UntypedStorage",
    .dealloc = storage_dealloc,
};

TnStorage *storage_new(TnState *st, int64_t nbytes)
{
    return storage_new_ex(st, nbytes, false);
}

TnStorage *storage_new_ex(TnState *st, int64_t nbytes, bool zero)
{
    if (nbytes <= INLINE_BYTES) {
        TnStorage *s = inline_pool;
        if (s) {
            inline_pool = s->data;
            inline_pool_n--;
        } else if (!(s = tn_malloc(sizeof(InlineStorage) + INLINE_BYTES))) {
            (void)tn_no_memory(st);
            return NULL;
        }
        InlineStorage *is = (InlineStorage *)s;
        s->head.refcnt = 1;
        s->head.type = &tn_storage_type;
        s->data = is->data;
        s->nbytes = nbytes;
        s->version = 0;
        s->owner = tn_undef();
        s->owns_data = false;
        if (zero)
            memset(s->data, 0, INLINE_BYTES);
        return s;
    }
    TnStorage *s = tn_malloc(sizeof(TnStorage));
    if (!s) {
        (void)tn_no_memory(st);
        return NULL;
    }
    /* Data starts on a 64-byte boundary, as PyTorch's allocator gives: glibc returns large
     * blocks 16 bytes into a page, and 32-byte vector loads then straddle cache lines (a 4M
     * sum ran 20% slower). The block is over-allocated by hand rather than with
     * posix_memalign, whose blocks glibc stopped reusing (a page fault storm per op). */
    size_t want = (size_t)nbytes + STORAGE_ALIGN - 1;
    void *block = zero ? tn_calloc(want, 1) : tn_malloc(want);
    void *data = block ? (void *)(((uintptr_t)block + STORAGE_ALIGN - 1) &
                                  ~(uintptr_t)(STORAGE_ALIGN - 1))
                       : NULL;
    if (!data) {
        /* PyTorch's allocator reports a failed data allocation as a RuntimeError */
        tn_free(s);
        return tn_raise_ptr(st, tn_RuntimeError,
                            "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: "
                            "can't allocate memory: you tried to allocate %lld bytes. Error code "
                            "12 (Cannot allocate memory)",
                            (long long)nbytes);
    }
    s->head.refcnt = 1;
    s->head.type = &tn_storage_type;
    s->data = data;
    s->block = block;
    s->nbytes = nbytes;
    s->version = 0;
    s->owner = tn_undef();
    s->owns_data = true;
    return s;
}
