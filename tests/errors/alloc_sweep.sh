#!/bin/sh
# tests/errors/alloc_sweep.sh: fails every allocation in turn, as SQLite's fault simulator does.
#
#   sh tests/errors/alloc_sweep.sh [TN [PROGRAM]]     TN defaults to ./tn (tn-asan works too)
#
# Runs PROGRAM (default tests/errors/alloc_program.tn) once to count its allocations
# (TN_ALLOC_COUNT=1, see src/mem.c), then once per N with TN_FAIL_ALLOC=N: the N-th allocation
# fails. Every run must end with exit status 0 or 1 — 1 only with a MemoryError on stderr —
# within 30 s, with no sanitizer report; a run that exits 0 must still print the program's last
# line ("still alive ...": the interpreter went on after catching the MemoryError). A second,
# shorter sweep adds TN_FAIL_ALLOC_ALL=1 (every allocation from the N-th on fails: a real
# exhaustion, where only the preallocated MemoryError is left).
#
# SWEEP_MAX   at most this many N per sweep (default 400); when the program makes more
#             allocations, N walks the whole range with an even stride, starting at
#             SWEEP_SEED % stride (default 0), so different seeds cover different N.
# SWEEP_FULL=1  every N, however many.
set -u
tn=${1:-./tn}
prog=${2:-tests/errors/alloc_program.tn}
max=${SWEEP_MAX:-400}
seed=${SWEEP_SEED:-0}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tn-sweep.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# a private copy: a concurrent `make` relinking the binary must not disturb the sweep
cp "$tn" "$tmp/tn" || exit 1
tn=$tmp/tn
TN_ALLOC_COUNT=1 "$tn" -c pass >/dev/null 2>"$tmp/err0" </dev/null
start=$(sed -n 's/^tn: \([0-9]*\) allocations$/\1/p' "$tmp/err0" | tail -n 1)
TN_ALLOC_COUNT=1 "$tn" "$prog" >"$tmp/out" 2>"$tmp/err" </dev/null || {
    echo "alloc_sweep: $prog fails on its own"
    cat "$tmp/err"
    exit 1
}
total=$(sed -n 's/^tn: \([0-9]*\) allocations$/\1/p' "$tmp/err" | tail -n 1)
[ -n "$total" ] || { echo "alloc_sweep: no allocation count from $tn"; exit 1; }
last=$(tail -n 1 "$tmp/out" | cut -c1-11)

# one N: prints nothing when the run behaved, else one line saying why
check() {
    n=$1 all=$2
    TN_FAIL_ALLOC=$n TN_FAIL_ALLOC_ALL=$all timeout -k 5 30 "$tn" "$prog" \
        >"$tmp/o.$n.$all" 2>"$tmp/e.$n.$all" </dev/null
    st=$?
    why=""
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|AddressSanitizer' "$tmp/e.$n.$all"; then
        why="sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$tmp/e.$n.$all")"
    elif [ $st -eq 0 ]; then
        [ "$(tail -n 1 "$tmp/o.$n.$all" | cut -c1-11)" = "$last" ] || why="exit 0 without the last line"
    elif [ $st -eq 1 ]; then
        grep -q MemoryError "$tmp/e.$n.$all" || why="exit 1 without MemoryError: $(tail -n 1 "$tmp/e.$n.$all")"
    else
        why="exit status $st: $(tail -n 1 "$tmp/e.$n.$all")"
    fi
    rm -f "$tmp/o.$n.$all" "$tmp/e.$n.$all"
    [ -z "$why" ] || echo "TN_FAIL_ALLOC=$n TN_FAIL_ALLOC_ALL=$all: $why"
}

# the N of one sweep over lo..hi: all of them, or `count` of them evenly spread
series() {
    lo=$1 hi=$2 count=$3
    [ "$hi" -ge "$lo" ] || return 0
    if [ "${SWEEP_FULL:-0}" = 1 ] || [ $((hi - lo + 1)) -le "$count" ]; then
        seq "$lo" "$hi"
    else
        stride=$(((hi - lo + count) / count))
        seq $((lo + seed % stride)) "$stride" "$hi"
    fi
}

jobs=$(nproc 2>/dev/null || echo 2)
export tn prog tmp last
# The program's own allocations (after start-up's $start) get most of the runs; start-up,
# the same for every program, a sample.
{
    series 1 "$start" $((max / 4)) | sed 's/$/ 0/'
    series $((start + 1)) "$total" "$max" | sed 's/$/ 0/'
    series 1 "$start" $((max / 16)) | sed 's/$/ 1/'
    series $((start + 1)) "$total" $((max / 4)) | sed 's/$/ 1/'
} >"$tmp/list"
runs=$(wc -l <"$tmp/list")
# xargs runs the checks in parallel; each is a fresh sh that sources this file's check()
sed -n '/^check() {/,/^}/p' "$0" >"$tmp/check.sh"
xargs -P "$jobs" -L 1 sh -c '. "$tmp/check.sh"; check "$1" "$2"' sh <"$tmp/list" >"$tmp/bad"
bad=$(wc -l <"$tmp/bad")
echo "alloc_sweep: $prog makes $total allocations ($start in start-up); $runs runs, $bad bad"
sed -n '1,30p' "$tmp/bad"
[ "$bad" -eq 0 ]
