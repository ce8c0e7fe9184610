#!/bin/sh
# tests/unit/interrupt_run.sh: Ctrl-C (SIGINT) during long operations returns to the prompt with
# KeyboardInterrupt, quickly, and the session's state survives.
#
# One `tn -q -i` session reads its statements from a FIFO (plain-line REPL, prompts on stderr).
# For each long operation: start it, send SIGINT after a moment, then ask for state that was
# set before; the answer must arrive within LIMIT seconds of the signal, and the variable the
# interrupted statement was assigning must keep its old value (None). Uses $TN (tests/run.sh), else ./tn.
set -u
cd "${1:-.}" || exit 2
tn=${TN:-./tn}
case $tn in /*) ;; *) tn=$(pwd)/$tn ;; esac
limit=${INTERRUPT_LIMIT:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tn-intr.XXXXXX")
pid=""
cleanup() {
    exec 3>&- 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/in"
(cd "$tmp" && exec "$tn" -q -i <in >out 2>err) &
pid=$!
exec 3>"$tmp/in"

# wait_for TEXT SECONDS: true once stdout has a line TEXT
wait_for() {
    i=0
    while [ $i -lt $(($2 * 20)) ]; do
        grep -qx -- "$1" "$tmp/out" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

fail=0
n=0
# case NAME SETUP STATEMENT: SETUP runs first (may be empty), then STATEMENT is interrupted.
# A one-line STATEMENT shares its line with the "go" marker, so the SIGINT cannot land in the
# gap before it starts (where the REPL would drop the pending line and then run it whole).
case_() {
    name=$1 setup=$2 stmt=$3
    n=$((n + 1))
    printf 'r = None\n' >&3
    [ -n "$setup" ] && printf '%s\n' "$setup" >&3
    case $stmt in
    *"
"*) printf 'print("go%d", flush=True)\n%s\n' $n "$stmt" >&3 ;;
    *) printf 'print("go%d", flush=True); %s\n' $n "$stmt" >&3 ;;
    esac
    if ! wait_for "go$n" 30; then
        echo "FAIL $name: the session did not start the statement"
        fail=1
        return
    fi
    sleep 0.5
    kill -INT $pid
    t0=$(date +%s.%N)
    printf 'print("ok%d", keep, r is None)\n' $n >&3
    if ! wait_for "ok$n 42 True" "$limit"; then
        echo "FAIL $name: no prompt with the state intact within ${limit}s after SIGINT"
        tail -n 3 "$tmp/out" | sed 's/^/    out: /'
        fail=1
        return
    fi
    t1=$(date +%s.%N)
    kis=$(grep -o 'KeyboardInterrupt' "$tmp/err" | wc -l)
    if [ "$kis" -ne $n ]; then
        echo "FAIL $name: $kis KeyboardInterrupt tracebacks after $n interrupts"
        fail=1
        return
    fi
    echo "ok $name ($(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")s)"
}

printf 'keep = 42\nimport time\n' >&3
case_ "loop" "c = 0" 'while True: c += 1
'
case_ "time.sleep" "" "r = time.sleep(1000)"
case_ "sum of a huge range" "" "r = sum(range(10**15))"
case_ "list comprehension" "" "r = [i for i in range(10**12)]"
case_ "big matmul" "a = torch.randn(5000, 5000)" "r = a @ a @ a @ a"
case_ "big einsum" "" "r = torch.einsum('ij,jk->ik', a, a)"
case_ "recursion" 'def f(n):
    return f(n + 1) if n < 900 else sum(range(10**13))
' "r = f(0)"
# Sorts poll between merges and while computing keys; each list is long enough (seconds even
# unloaded: key=str, as key=abs sorted 4M items in 0.6 s) and out of order that the SIGINT
# lands inside the sort; the list is left as it was.
case_ "sorting with a key" "" "r = sorted(range(10**7), key=lambda v: -v)"
case_ "sorting with a native key" "big = [(i * 7919) % 4000037 - 2000000 for i in range(4 * 10**6)]" \
    "r = sorted(big, key=str)"
case_ "list.sort in place" "" "big.sort(key=str); r = 1"
printf 'print("unchanged", big[:3] == [-2000000, -1992081, -1984162], len(big))\n' >&3
if ! wait_for "unchanged True 4000000" 10; then
    echo "FAIL: the interrupted list.sort changed the list"
    tail -n 2 "$tmp/out" | sed 's/^/    out: /'
    fail=1
fi

printf 'print("end", keep)\n' >&3
exec 3>&-
wait $pid
status=$?
pid=""
grep -qx "end 42" "$tmp/out" || { echo "FAIL: the session did not reach its end"; fail=1; }
[ $status -eq 0 ] || { echo "FAIL: tn exited $status"; fail=1; }
if grep -qE 'Sanitizer|runtime error:' "$tmp/err"; then
    grep -m1 -A5 -E 'Sanitizer|runtime error:' "$tmp/err"
    fail=1
fi
exit $fail
