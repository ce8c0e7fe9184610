#!/bin/sh
# run.sh: the parser's tests. Usage: tests/parse/run.sh PARSE_DUMP_BINARY
#
# Build the dumper without the Makefile (from the project root; add
# -fsanitize=address,undefined -g to check memory errors too):
#   mkdir -p build && lemon -dbuild -T/usr/share/lemon/lempar.c grammar/parser.y &&
#   re2c -W -Werror --no-generation-date -o build/lexer.c grammar/lexer.re &&
#   cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function \
#      -Wno-unused-variable -D_GNU_SOURCE -Isrc -Ibuild -o build/parse_dump \
#      tests/unit/parse_dump.c src/parse.c src/arena.c build/parser.c build/lexer.c
#   sh tests/parse/run.sh build/parse_dump      (or: make parse-test)
#
# Cases:
#   ok/NAME.tn   NAME.out  the AST dump (checked against CPython's AST with oracle.py)
#                NAME.pos  optional: the dump with positions (parse_dump -p)
#   err/NAME.tn  NAME.out  the error line, plus "(incomplete)" when a REPL would read on
#   robustness cases generated below: deep nesting, long inputs, garbage, OOM.
# Prints one line per failure and "N passed, N failed"; exits 1 on any failure.

BIN=$1
[ -x "$BIN" ] || { echo "usage: $0 PARSE_DUMP_BINARY" >&2; exit 2; }
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect NAME EXPECTED_FILE ARGS...: runs the dumper (in the case's folder, so
# file names in messages are bare) and compares its stdout with the file.
expect() {
    name=$1 want=$2
    shift 2
    (cd "$(dirname "$want")" && timeout 20 "$BIN" "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -gt 1 ]; then
        bad "$name: exit status $rc: $(head -c 300 "$TMP/err")"
    elif ! cmp -s "$TMP/out" "$want"; then
        bad "$name: output differs"
        diff "$want" "$TMP/out" | head -5
    else
        ok
    fi
}

for f in "$DIR"/ok/*.tn; do
    n=${f%.tn}
    expect "ok/$(basename "$n")" "$n.out" "$(basename "$f")"
    [ -f "$n.pos" ] && expect "ok/$(basename "$n") -p" "$n.pos" -p "$(basename "$f")"
done
for f in "$DIR"/err/*.tn; do
    n=${f%.tn}
    expect "err/$(basename "$n")" "$n.out" "$(basename "$f")"
done

# gen NAME EXPECTED_OUTPUT: the dumper, run with -q on $TMP/in.tn, must print exactly this.
gen() {
    name=$1 want=$2
    (cd "$TMP" && timeout 60 "$BIN" -q in.tn) >"$TMP/out" 2>"$TMP/err"
    rc=$?
    got=$(cat "$TMP/out")
    if [ $rc -gt 1 ]; then
        bad "$name: exit status $rc: $(head -c 300 "$TMP/err")"
    elif [ "$got" != "$want" ]; then
        bad "$name: got '$(printf '%s' "$got" | head -c 200)'"
    else
        ok
    fi
}

# repeat N STRING: STRING written N times (no newline).
repeat() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

repeat 100000 '(' >"$TMP/in.tn"
gen "100000 nested parentheses" "in.tn:1:201: SyntaxError: too many nested parentheses"
{ printf 'x = '; repeat 100000 '['; repeat 100000 ']'; echo; } >"$TMP/in.tn"
gen "100000 nested brackets, closed" "in.tn:1:205: SyntaxError: too many nested parentheses"
{ printf 'x = '; repeat 200 '('; printf 1; repeat 200 ')'; echo; } >"$TMP/in.tn"
gen "200 nested parentheses are allowed" "ok"
{ printf 'x = '; repeat 199999 '1+'; echo 1; } >"$TMP/in.tn"
gen "200000-term sum" "ok"
{ printf 'x = '; repeat 100000 '- '; echo 1; } >"$TMP/in.tn"
gen "100000 unary minus" "in.tn:1:20001: SyntaxError: expression too complex"
{ printf 'x = '; repeat 100000 '2**'; echo 2; } >"$TMP/in.tn"
gen "100000-term power tower" "in.tn:1:15002: SyntaxError: expression too complex"
{ printf 'x = '; repeat 100000 'not '; echo 1; } >"$TMP/in.tn"
gen "100000 nots" "in.tn:1:39997: SyntaxError: expression too complex"
awk 'BEGIN { for (i = 0; i < 150; i++) { for (j = 0; j < i; j++) printf " "; print "if x:" } }' >"$TMP/in.tn"
gen "150 indentation levels" "in.tn:102:102: SyntaxError: too many levels of indentation"
{ echo 'if a:'; echo '    pass'; repeat 100000 'elif b:
    pass
'; } >"$TMP/in.tn"
gen "100000 elifs" "ok"
{ printf 'f('; repeat 200000 'a, '; echo ')'; } >"$TMP/in.tn"
gen "200000 arguments (1.2 MB line)" "ok"
{ printf 'f('; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "a%d=1, ", i }'; echo 'a7=2)'; } >"$TMP/in.tn"
gen "100000 keyword arguments, one repeated" "in.tn:1:988893: SyntaxError: keyword argument repeated: a7"
{ printf 'def f('; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "a%d, ", i }'; echo '): pass'; } >"$TMP/in.tn"
gen "100000 parameters" "ok"
{ printf 'import a'; repeat 100000 '.b'; echo; } >"$TMP/in.tn"
gen "100000-part dotted import" "ok"
{ printf 'x = a'; repeat 200000 ' < a'; echo; } >"$TMP/in.tn"
gen "200000-operand comparison chain" "ok"
{ printf 'x = '; repeat 100000 '"ab" '; echo; } >"$TMP/in.tn"
gen "100000 adjacent strings" "ok"
{ printf 's = "'; repeat 1048576 'abcdefghij'; echo '"'; } >"$TMP/in.tn"
gen "10 MB string literal" "ok"
{ printf 's = f"'; repeat 100000 '{x}'; echo '"'; } >"$TMP/in.tn"
gen "f-string with 100000 fields" "ok"
{ printf 's = """'; repeat 200000 'line\n'; echo '"""'; } >"$TMP/in.tn"
gen "200000-line triple-quoted string" "ok"
repeat 200000 'x = 1
' >"$TMP/in.tn"
gen "200000 statements" "ok"
{ printf 'x = "'; repeat 100000 'abc'; } >"$TMP/in.tn"
gen "unterminated long string" "in.tn:1:5: SyntaxError: unterminated string literal (detected at line 1)"

# arena_source_line: the text of a line for tracebacks, whatever the line ends.
printf 'a = 1\r\nbb = 2\rccc = 3\n\nlast' >"$TMP/in.tn"
for spec in "1:[a = 1]" "2:[bb = 2]" "3:[ccc = 3]" "4:[]" "5:[last]" "6:[]"; do
    got=$("$BIN" -l "${spec%%:*}" "$TMP/in.tn")
    if [ "$got" = "${spec#*:}" ]; then ok; else bad "source line ${spec%%:*}: got $got"; fi
done

# Garbage must give an error or a tree, never a crash or a hang.
i=0
while [ $i -lt 40 ]; do
    head -c $((i * 97 + 1)) /dev/urandom >"$TMP/in.tn"
    (cd "$TMP" && timeout 10 "$BIN" in.tn) >/dev/null 2>"$TMP/err"
    rc=$?
    if [ $rc -gt 1 ]; then
        cp "$TMP/in.tn" "$DIR/garbage-failure-$i.tn"
        bad "random bytes $i: exit status $rc (input saved as garbage-failure-$i.tn)"
    else
        ok
    fi
    i=$((i + 1))
done

# Every allocation failure is reported as "out of memory".
for f in "$DIR"/ok/*.tn; do
    if (cd "$DIR/ok" && "$BIN" --oom "$(basename "$f")") >"$TMP/out" 2>&1; then
        ok
    else
        bad "oom $(basename "$f"): $(head -c 300 "$TMP/out")"
    fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
