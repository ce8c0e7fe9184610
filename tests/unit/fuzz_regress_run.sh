#!/bin/sh
# tests/unit/fuzz_regress_run.sh: replays the inputs fuzzing found (tests/fuzz/regress/NAME/*)
# through the harness tests/fuzz/fuzz_NAME.c without libFuzzer (tests/fuzz/replay_main.c).
#
# With $TN an ASan build (tests/run.sh ./tn-asan) the replay binaries link the ASan objects
# (make fuzz-replay-asan), else the ordinary ones (make fuzz-replay). Each input runs in its own
# process so that one crash names its file; every run must exit 0 with no sanitizer report.
set -u
cd "${1:-.}" || exit 2
case ${TN:-./tn} in
*asan*) flavour=replay-asan ;;
*) flavour=replay ;;
esac
ls tests/fuzz/regress/*/* >/dev/null 2>&1 || { echo "no regression inputs"; exit 0; }
names=$(for d in tests/fuzz/regress/*/; do basename "$d"; done)
targets=""
for n in $names; do
    [ -f "tests/fuzz/fuzz_$n.c" ] && targets="$targets build/$flavour/fuzz_$n"
done
# shellcheck disable=SC2086
make -s $targets >build-replay.log 2>&1 || { cat build-replay.log; rm -f build-replay.log; exit 1; }
rm -f build-replay.log
fail=0 count=0
for n in $names; do
    bin=build/$flavour/fuzz_$n
    [ -x "$bin" ] || { echo "FAIL: no harness for tests/fuzz/regress/$n"; fail=1; continue; }
    for f in tests/fuzz/regress/"$n"/*; do
        [ -f "$f" ] || continue
        count=$((count + 1))
        out=$(ASAN_OPTIONS=detect_leaks=${FUZZ_LEAKS:-1} timeout -k 5 60 "$bin" "$f" 2>&1 </dev/null)
        status=$?
        if [ $status -ne 0 ] || printf '%s' "$out" | grep -qE 'Sanitizer|runtime error:'; then
            echo "FAIL $f: exit $status"
            printf '%s\n' "$out" | grep -m1 -A8 -E 'ERROR|runtime error:|Sanitizer' | sed 's/^/    /'
            fail=1
        fi
    done
done
echo "$count fuzz regression inputs replayed through build/$flavour"
exit $fail
