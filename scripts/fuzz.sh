#!/bin/sh
# scripts/fuzz.sh: builds and runs every libFuzzer harness tests/fuzz/fuzz_NAME.c (`make fuzz`).
#
#   sh scripts/fuzz.sh [NAME...]        NAMEs default to every harness (pt, npy, eval, parse, ...)
#
# FUZZ_SECONDS  time per harness (default 60); FUZZ_JOBS  harnesses run at once (default nproc)
# FUZZ_ARGS     extra libFuzzer flags
#
# Each harness fuzzes into build/fuzz-corpus/NAME (new inputs land there, so the seeds in
# tests/fuzz/corpus_NAME stay as committed), with tests/fuzz/NAME.dict when present. Crashes,
# leaks and timeouts are written to build/fuzz-artifacts/NAME/; a log per harness is in
# build/fuzz-logs/NAME.log. Keep a fixed crash as a regression test in tests/fuzz/regress/NAME/
# (tests/unit/fuzz_regress_run.sh replays them). Exit status 1 when any harness found something.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)
fi
targets=""
for n in $names; do targets="$targets build/fuzz_$n"; done
# shellcheck disable=SC2086
make -s -j"$jobs" $targets || exit 2

mkdir -p build/fuzz-logs
root=$(pwd)
run_one() {
    n=$1
    mkdir -p "build/fuzz-corpus/$n" "build/fuzz-artifacts/$n"
    # absolute paths: the harnesses that run programs chdir to a private folder
    set -- "$root/build/fuzz_$n" "$root/build/fuzz-corpus/$n"
    [ -d "tests/fuzz/corpus_$n" ] && set -- "$@" "$root/tests/fuzz/corpus_$n"
    [ -f "tests/fuzz/$n.dict" ] && set -- "$@" "-dict=$root/tests/fuzz/$n.dict"
    # NAME.options: extra flags for one harness (e.g. eval's -detect_leaks=0, see the file)
    [ -f "tests/fuzz/$n.options" ] && set -- "$@" $(grep -v '^#' "tests/fuzz/$n.options")
    # -close_fd_mask=3: the programs' own output and tracebacks are noise; libFuzzer still
    # reports crashes. -timeout: an input Ctrl-C cannot stop within 10 s is a finding.
    # without LeakSanitizer's per-input check, its report at exit must go too
    leaks=1
    case " $* " in *" -detect_leaks=0 "*) leaks=0 ;; esac
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks} "$@" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$root/build/fuzz-artifacts/$n/" ${FUZZ_ARGS:-} \
        </dev/null >"build/fuzz-logs/$n.log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz-logs/$n.log" | tail -n 1)
    found=$(find "build/fuzz-artifacts/$n" -type f | wc -l)
    echo "fuzz_$n: ${secs}s, ${execs:-?} executions, status $status, $found artifact(s) in build/fuzz-artifacts/$n"
    [ $status -eq 0 ]
}

fail=0
running=0
for n in $names; do
    run_one "$n" >"build/fuzz-logs/$n.summary" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
for n in $names; do
    cat "build/fuzz-logs/$n.summary"
    grep -q 'status 0,' "build/fuzz-logs/$n.summary" || fail=1
done
exit $fail
