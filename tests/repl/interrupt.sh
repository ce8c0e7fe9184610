#!/usr/bin/env bash
# Ctrl-C: at the prompt it drops the line; during a loop it raises KeyboardInterrupt and the
# REPL keeps its variables.
. "$(dirname "$0")/common.inc" "$1"
start_tn
run 'keep = 77' ''
mark
keys -l 'garbage that is never run'
keys C-c
expect 'KeyboardInterrupt'
wait_prompt
run 'keep + 1' 78
enter 'while True: pass'
wait_more
enter ''
sleep 0.3
keys C-c
expect 'KeyboardInterrupt'
wait_prompt
run 'keep' 77
enter 'n = 0'
wait_prompt
enter 'while True:'
wait_more
enter '    n += 1'
wait_more
enter ''
sleep 0.3
keys C-c
expect 'KeyboardInterrupt'
wait_prompt
run 'n > 0' True
keys C-d
wait_exit 0
