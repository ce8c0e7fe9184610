#!/usr/bin/env bash
# exit(N) in the REPL leaves with status N; state before it does not matter.
. "$(dirname "$0")/common.inc" "$1"
start_tn
run 'z = 1' ''
enter 'exit(3)'
wait_exit 3
