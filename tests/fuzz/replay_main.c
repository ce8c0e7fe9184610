/* replay_main.c: runs a libFuzzer harness over files without libFuzzer (regression replay).
 *
 * Linked with one tests/fuzz/fuzz_*.c and the interpreter's objects (built by the ordinary
 * compiler, with or without sanitizers) it feeds every file named on the command line to
 * LLVMFuzzerTestOneInput, as libFuzzer does when given files instead of a corpus folder.
 * Exit status 0 means every input ran; a crash or a sanitizer report ends the process.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        size_t cap = 1 << 12, n = 0;
        uint8_t *buf = malloc(cap);
        for (;;) {
            if (!buf)
                return 2;
            n += fread(buf + n, 1, cap - n, f);
            if (n < cap)
                break;
            buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    return 0;
}
