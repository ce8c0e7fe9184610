#!/bin/sh
# Runs bench/*.tn with ./tn and python3 (and bench/*.lua with lua5.4 if installed); prints a table
# of the seconds each program reports for itself (startup excluded), best of 3 runs.
set -eu
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}

# best CMD...: the smallest "in X s" figure over $runs runs, or "-" if the program failed.
best() {
    b=-
    i=0
    while [ $i -lt "$runs" ]; do
        t=$("$@" 2>/dev/null | sed -n 's/.* in \([0-9.]*\) s$/\1/p' | tail -n 1) || t=
        if [ -n "$t" ]; then
            b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (a == "-" || t + 0 < a + 0) ? t : a }')
        fi
        i=$((i + 1))
    done
    echo "$b"
}

lua=
command -v lua5.4 >/dev/null 2>&1 && lua=lua5.4
printf '%-10s %10s %10s %10s\n' bench tn python3 "${lua:-lua5.4}"
for f in bench/*.tn; do
    name=$(basename "$f" .tn)
    tn=- py=- lu=-
    [ -x ./tn ] && tn=$(best ./tn "$f")
    command -v python3 >/dev/null 2>&1 && py=$(best python3 "$f")
    [ -n "$lua" ] && [ -f "bench/$name.lua" ] && lu=$(best "$lua" "bench/$name.lua")
    printf '%-10s %10s %10s %10s\n' "$name" "$tn" "$py" "$lu"
done
