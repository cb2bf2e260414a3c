#!/bin/bash
# Stores of a realism round without running the round's script (so that the script can be edited meanwhile):
#   bash scripts/gen_one.sh NAME CHECKPOINT SEED...   # -> $RUNS/har/NAME_sSEED, the shared store protocol
# (realism_common.sh's gen: 4 activities x 48 motions, wrist_l, wrist_r, thigh_r, 50 Hz, guidance 1); skips existing
OUT="${OUT:-docs/realism}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
GEN_ARGS="--guidance 1.0" gen "$@"
