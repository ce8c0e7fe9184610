#!/usr/bin/env bash
# REPL basics: prompts, echo and `_`, blocks ended by a blank line, errors keep state, Ctrl-D.
. "$(dirname "$0")/common.inc" "$1"
start_tn
run '1 + 2' 3
run '_ * 10' 30
run 'x = 5' ''
since | tail -n +2 | grep -qx '5' && fail "an assignment echoed"
run 'x' 5
run 'None' ''
enter 'for i in range(2):'
wait_more
enter '    i * 7'
wait_more
enter ''
expect_line 0
expect_line 7
wait_prompt
enter 'def f(n):'
wait_more
enter '    return n + 1'
wait_more
enter ''
wait_prompt
run 'f(41)' 42
enter 'y = [1,'
wait_more
enter '2]'
wait_prompt
run 'y' '[1, 2]'
enter '1 / 0'
expect 'ZeroDivisionError'
wait_prompt
run 'x + f(1)' 7
keys C-d
wait_exit 0
