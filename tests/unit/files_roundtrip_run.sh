#!/bin/sh
# Runs the PyTorch/NumPy round trip of saved files (skips itself without torch and numpy).
cd "$(dirname "$0")/../.." && exec sh tests/files/roundtrip_run.sh
