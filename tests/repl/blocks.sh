#!/usr/bin/env bash
# How the REPL groups lines into statements, through `tn -i` on a pipe (the same loop without
# readline): blocks end at a blank line, brackets and triple quotes run on, errors do not stop.
. "$(dirname "$0")/common.inc" "$1"
cd "$WORK"
cat >in.txt <<'TN'
try:
    1/0
except ZeroDivisionError:
    "caught"
finally:
    "fin"

if 0:
    1
elif 1:
    2
else:
    3

def deco(f):
    return f

@deco
def g(): return 5

g()
for i in range(2):
    for j in range(2):
        i + j

s = """a

b"""
s
x = (1,

2)
x
y = 1 +
if y:
  1 +

"after errors"
%who
TN
"$TN" -i <in.txt >out 2>err
status=$?
[ $status -eq 0 ] || fail "exit status $status"
printf "'caught'\n'fin'\n2\n5\n0\n1\n1\n2\n'a\\\\n\\\\nb'\n(1, 2)\n'after errors'\ndeco g i j s x\n" >want
diff want out >diff.txt || fail "stdout differs: $(cat diff.txt)"
[ "$(grep -c 'SyntaxError' err)" = 2 ] || fail "want 2 SyntaxErrors: $(cat err)"
exit 0
