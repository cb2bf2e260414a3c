#!/bin/bash
# One fine-tune of a realism round without running the round's script (so that the script can be edited meanwhile):
#   bash scripts/ft_one.sh PREFIX NAME SEED ARGS...   # -> $RUNS/PREFIX_NAME_sSEED, the shared recipe (realism_common.sh)
# e.g. bash scripts/ft_one.sh anc afh1 0 --lambda-acc 1 ... (the round script's ARGS[NAME], as it documents)
OUT="${OUT:-docs/realism}"
source "$(dirname "$0")/realism_common.sh"
declare -A ARGS=([$2]="${*:4}")
ft "$1" "$2" "$3"
