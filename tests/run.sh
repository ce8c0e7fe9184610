#!/bin/sh
# tests/run.sh: runs every test (scripts, piped sessions, REPL through a pty, unit scripts) in parallel.
#
#   sh tests/run.sh [TN [FILTER...]]      TN defaults to ./tn; FILTERs keep tests whose path has one
#
# tests/**/NAME.tn   run as `TN NAME.tn` in its folder; stdout must equal NAME.out. With NAME.err
#                    the run must exit 1 and stderr contain NAME.err's first line, else exit 0.
#                    A .tn without .out is a helper (a module to import) and is not run.
# tests/**/NAME.tni  piped to TN on stdin (a session that echoes values); same checks.
# tests/repl/*.sh    pty-driven REPL tests: `bash FILE TN`, must exit 0.
# tests/unit/*_run.sh  unit-test scripts of the other parts: `sh FILE ROOT` in ROOT with $TN set
#                    to the binary under test, must exit 0.
# Any sanitizer report on stderr fails the test, whatever the exit status.
set -u

# --one TN TMP ROOT N FILE: runs one test, writes its verdict to TMP/N.res (used through xargs).
if [ "${1:-}" = "--one" ]; then
    tn=$2 tmp=$3 root=$4 n=$5 file=$6
    res=$tmp/$n.res out=$tmp/$n.stdout err=$tmp/$n.stderr
    rel=${file#"$root"/}
    exec 2>>"$tmp/$n.sh-err" # the shell's own "Segmentation fault" notices
    fail() {
        {
            echo "FAIL $rel: $1"
            [ -n "${2:-}" ] && sed -n '1,8s/^/    /p' "$2"
        } >"$res"
        exit 0
    }
    # signame STATUS: " (SIGSEGV)" for a death by signal, else nothing.
    signame() { [ "$1" -gt 128 ] && [ "$1" -lt 160 ] && echo " (SIG$(kill -l $(($1 - 128))))"; }
    case $file in
    *.tn | *.tni)
        base=${file%.*}
        [ -f "$base.out" ] || exit 0 # a helper module, not a test
        dir=$(dirname "$file") name=$(basename "$file")
        if [ "${file##*.}" = tni ]; then
            (cd "$dir" && exec timeout -k 5 60 "$tn" <"$name" >"$out" 2>"$err")
        else
            (cd "$dir" && exec timeout -k 5 60 "$tn" "$name" </dev/null >"$out" 2>"$err")
        fi
        status=$?
        [ $status -eq 124 ] && fail "timed out after 60 s"
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$err"; then
            grep -E -m1 -A14 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$err" | grep -v '^$' |
                grep -v 'in __interceptor_\|in tn_[mc]alloc ' >"$tmp/$n.why"
            fail "sanitizer report (exit $status)" "$tmp/$n.why"
        fi
        if [ -f "$base.err" ]; then
            want=$(head -n 1 "$base.err")
            tail -n 6 "$err" >"$tmp/$n.why"
            [ $status -eq 1 ] || fail "must exit 1 with '$want', exited $status$(signame $status)" "$tmp/$n.why"
            grep -qF -- "$want" "$err" || fail "stderr lacks '$want'" "$tmp/$n.why"
        elif [ $status -ne 0 ]; then
            tail -n 6 "$err" >"$tmp/$n.why"
            fail "exit status $status$(signame $status)" "$tmp/$n.why"
        fi
        if ! cmp -s "$base.out" "$out"; then
            diff "$base.out" "$out" | grep '^[<>]' | sed 's/^</want/; s/^>/got /' >"$tmp/$n.why"
            fail "stdout differs" "$tmp/$n.why"
        fi
        ;;
    */repl/*.sh)
        timeout -k 5 60 bash "$file" "$tn" >"$out" 2>&1
        status=$?
        [ $status -eq 0 ] || fail "exit status $status" "$out"
        ;;
    *)
        # TN: the binary under test, for unit scripts that run it (alloc sweep, interrupts)
        (cd "$root" && TN=$tn exec timeout -k 5 600 sh "$file" "$root" >"$out" 2>&1)
        status=$?
        [ $status -eq 0 ] || { tail -n 8 "$out" >"$tmp/$n.why" && fail "exit status $status" "$tmp/$n.why"; }
        ;;
    esac
    echo PASS >"$res"
    exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
tn=${1:-./tn}
[ $# -gt 0 ] && shift
case $tn in /*) ;; *) tn=$(pwd)/$tn ;; esac
if [ ! -x "$tn" ]; then
    echo "tests/run.sh: no tn binary at $tn" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tn-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# A folder below tests/ with a run.sh of its own is another runner's suite (tests/parse needs
# a parser dump binary): the walk skips it; tests/unit/*_run.sh hooks such suites in.
find "$root/tests" -mindepth 2 -name run.sh -type f | sed 's|/run.sh$|/|' >"$tmp/suites"
{
    find "$root/tests" \( -name '*.tn' -o -name '*.tni' \) -type f | grep -vF -f "$tmp/suites"
    find "$root/tests/repl" -maxdepth 1 -name '*.sh' -type f 2>/dev/null
    find "$root/tests/unit" -maxdepth 1 -name '*_run.sh' -type f 2>/dev/null
} | sort >"$tmp/all"
if [ $# -gt 0 ]; then
    for f in "$@"; do grep -F -- "$f" "$tmp/all"; done | sort -u >"$tmp/list"
else
    cp "$tmp/all" "$tmp/list"
fi

jobs=${TN_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -ge 2 ] 2>/dev/null || jobs=2
awk '{ print NR, $0 }' "$tmp/list" | xargs -P "$jobs" -L 1 sh "$root/tests/run.sh" --one "$tn" "$tmp" "$root"

passed=0 failed=0 n=0
while read -r _; do
    n=$((n + 1))
    [ -f "$tmp/$n.res" ] || continue # a helper, not a test
    if [ "$(head -c 4 "$tmp/$n.res")" = PASS ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        cat "$tmp/$n.res"
    fi
done <"$tmp/list"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
