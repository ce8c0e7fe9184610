/* fuzz_safetensors.c: libFuzzer entry for safetensors' load_file reader. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TnState *st = fuzz_state();
    fuzz_consume(st, st_load_buffer(st, data, size));
    return 0;
}
