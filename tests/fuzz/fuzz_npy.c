/* fuzz_npy.c: libFuzzer entry for np.load's .npy reader, printing the array as NumPy does. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TnState *st = fuzz_state();
    TnTensor *t = npy_load_buffer(st, data, size);
    fuzz_consume(st, t ? ndarray_new(st, t, false) : tn_undef());
    return 0;
}
