#!/usr/bin/env bash
# Tab completion: a global name, an attribute of a live object, a keyword, a path in torch.load("
. "$(dirname "$0")/common.inc" "$1"
mkdir -p "$WORK/data"
: >"$WORK/data/weights_xyz.pt"
START_DIR=$WORK/data
start_tn
run 'zz_unique_name = 3' ''
mark
keys -l 'zz_uni'
keys Tab
expect '>>> zz_unique_name'
keys Enter
expect_line 3
wait_prompt
enter 'class A: pass'
wait_more
enter ''
wait_prompt
run 'a = A(); a.foo_bar = 1' ''
mark
keys -l 'a.foo'
keys Tab
expect '>>> a.foo_bar'
keys Enter
expect_line 1
wait_prompt
mark
keys -l 'whi'
keys Tab
expect '>>> while'
keys C-c
wait_prompt
mark
keys -l 'torch.load("weights_'
keys Tab
expect '>>> torch.load("weights_xyz.pt"'
keys C-c
wait_prompt
keys C-d
wait_exit 0
