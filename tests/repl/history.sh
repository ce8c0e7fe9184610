#!/usr/bin/env bash
# History: every entered line is appended to $HOME/.tn_history and recalled with Up next run.
. "$(dirname "$0")/common.inc" "$1"
start_tn
run 'hist_marker = 12345' ''
keys C-d
wait_exit 0
grep -qxF 'hist_marker = 12345' "$HOME/.tn_history" || fail "line not in $HOME/.tn_history"
t kill-server
start_tn
mark
keys Up
expect '>>> hist_marker = 12345'
keys Enter
wait_prompt
run 'hist_marker + 1' 12346
keys C-d
wait_exit 0
[ "$(grep -c 'hist_marker' "$HOME/.tn_history")" -ge 3 ] || fail "second run's lines not appended"
