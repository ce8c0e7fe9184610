#!/bin/sh
# tests/unit/gc_cycles_run.sh: reference cycles of every kind (tests/unit/gc_cycles.tn makes
# each 100000 times) are collected: the resident memory stays bounded, and few objects are
# still tracked by the collector at exit (TN_GC_STATS=1 prints the count).
cd "${1:-.}" || exit 2
TN=${TN:-./tn}
# ASan keeps freed blocks in quarantine (256 MB by default), which would look like growth
out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" TN_GC_STATS=1 \
    "$TN" tests/unit/gc_cycles.tn 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if echo "$out" | grep -q " grew "; then
    exit 1
fi
tracked=$(echo "$out" | sed -n 's/^tn: gc: .* \([0-9][0-9]*\) tracked$/\1/p')
if [ -z "$tracked" ] || [ "$tracked" -ge 50000 ]; then
    echo "gc_cycles_run.sh: ${tracked:-no count of} objects left tracked at exit"
    exit 1
fi
