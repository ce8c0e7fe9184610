/* fuzz_pt.c: libFuzzer entry for torch.load's reader. An input starting with 'P' is a bare
 * data.pkl, wrapped here in a valid archive (with two storages) so mutations reach the
 * unpickler instead of failing the zip CRC check; anything else is a whole archive. */
#include "fuzz_common.h"

static TnValue load_pickle(TnState *st, const uint8_t *pkl, size_t n)
{
    static const uint8_t storage[64] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 128, 63};
    ZipWriter z = {0};
    TnValue v = tn_undef();
    if (zip_add(&z, "archive/data.pkl", pkl, n) && zip_add(&z, "archive/data/0", storage, 64) &&
        zip_add(&z, "archive/data/1", storage, 8) && zip_add(&z, "archive/version", "3\n", 2) &&
        zip_finish(&z))
        v = pt_load_buffer(st, (const uint8_t *)z.out.p, z.out.n);
    zip_writer_free(&z);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TnState *st = fuzz_state();
    if (size > 0 && data[0] == 'P')
        fuzz_consume(st, load_pickle(st, data + 1, size - 1));
    else
        fuzz_consume(st, pt_load_buffer(st, data, size));
    return 0;
}
