#!/bin/sh
# Builds and runs the object-model unit test (plain and with ASan/UBSan + LeakSanitizer).
set -e
cd "$(dirname "$0")/../.."
python3 tests/unit/gen_types_cases.py
SRCS="src/mem.c src/str.c src/sig.c src/dict.c src/object.c src/number.c src/tuple.c src/list.c
      src/range.c src/namespace.c src/format.c src/set.c src/exc.c src/gc.c tests/unit/types_test.c"
FLAGS="-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc -Itests/unit"
mkdir -p build
cc $FLAGS -O2 -g $SRCS -lm -o build/types_test
./build/types_test
cc $FLAGS -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
    $SRCS -lm -o build/types_test_asan
ASAN_OPTIONS=detect_leaks=1 ./build/types_test_asan
