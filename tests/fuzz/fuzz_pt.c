/* fuzz_pt.c: libFuzzer entry for torch.load's reader (zip + restricted unpickler). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TnState *st = fuzz_state();
    fuzz_consume(st, pt_load_buffer(st, data, size));
    return 0;
}
