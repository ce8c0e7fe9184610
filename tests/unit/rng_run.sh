#!/bin/sh
# rng_run.sh - build and run the random-number unit test; exit status 1 on any failure.
# Usage: sh tests/unit/rng_run.sh        (from anywhere; SANITIZE=1 adds ASan/UBSan)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
out=${TMPDIR:-/tmp}/tn_rng_test.$$
extra=""
if [ "${SANITIZE:-0}" = 1 ]; then
    extra="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
fi
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror $extra -Iruntime runtime/random.c \
    tests/unit/rng_test.c -lm -o "$out"; then
    echo "rng_run.sh: build failed" >&2
    exit 1
fi
"$out"
status=$?
rm -f "$out"
[ "$status" -eq 0 ] || exit 1
exit 0
