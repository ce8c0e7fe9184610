#!/bin/sh
# tensor_run.sh: builds and runs the tensor-kernel unit test (tests/unit/tensor_test.c), plain and
# with ASan/UBSan; exit status 1 on any failure. Run from anywhere; needs only cc.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
out=${TMPDIR:-/tmp}/tn_tensor_test.$$
trap 'rm -f "$out" "$out.asan"' EXIT
SRCS="runtime/iter.c runtime/k_binary.c runtime/k_unary.c runtime/k_sum.c runtime/k_vmath.c runtime/k_sleef.c tests/unit/tensor_test.c"
FLAGS="-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Iruntime"
# shellcheck disable=SC2086
${CC:-cc} $FLAGS -O2 -g $SRCS -lm -lpthread -o "$out" || { echo "tensor_run.sh: build failed" >&2; exit 1; }
"$out" || exit 1
# shellcheck disable=SC2086
${CC:-cc} $FLAGS -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
    -fno-sanitize-recover=undefined $SRCS -lm -lpthread -o "$out.asan" ||
    { echo "tensor_run.sh: sanitizer build failed" >&2; exit 1; }
"$out.asan" || exit 1
exit 0
