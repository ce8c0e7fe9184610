#!/usr/bin/env bash
# The REPL extras: %who lists the session's variables, %time times an expression or statement.
. "$(dirname "$0")/common.inc" "$1"
start_tn
enter '%who'
expect_line 'Interactive namespace is empty.'
wait_prompt
run 'bb = 2; aa = 1' ''
enter 'def ff(): return 3'
wait_more
enter ''
wait_prompt
enter '%who'
expect_line 'aa bb ff'
wait_prompt
enter '%time sum(range(1000))'
expect 'Wall time: '
expect_line 499500
wait_prompt
run '_ + 1' 499501
enter '%time cc = 4'
expect 'Wall time: '
wait_prompt
run 'cc' 4
enter '%nope'
expect 'UsageError'
wait_prompt
keys C-d
wait_exit 0
