#!/bin/sh
# tests/unit/alloc_sweep_run.sh: the allocation-failure sweep (tests/errors/alloc_sweep.sh) as
# part of the suite, on the binary the suite runs ($TN from tests/run.sh, else ./tn).
cd "${1:-.}" || exit 2
SWEEP_MAX=${SWEEP_MAX:-300} exec sh tests/errors/alloc_sweep.sh "${TN:-./tn}"
