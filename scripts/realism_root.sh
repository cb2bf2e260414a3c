#!/bin/bash
# Issue 14, sixth round (docs/realism.md §10): foot skating is a root-trajectory fault. Generated motions' velocity
# channels already plant the feet; the root's integrated velocity does not follow them. A foot contact term whose
# gradient reaches only the root channels (--fc-grad root) asks the root to follow the standing foot, without
# letting the body meet the term by standing still. ~1.5 h on 2 CPU cores.
#
#   bash scripts/realism_root.sh            # diagnose, train, generate, evaluate (skips what exists under $RUNS)
#   STAGE=eval bash scripts/realism_root.sh # only the evaluations
#
# 1. Diagnosis (scripts/skating_probe.py): skating of generated test-split motions as decoded, with the root
#    re-anchored on the standing foot, and as the model's own velocity channels state it.
# 2. rfc: the shipped high expert's recipe (L_acc, λ 1) + --lambda-fc 10 --fc-contact pred --fc-grad root;
#    rfclo: the low expert's (imulo) + the same term; paired at t = 300 like the shipped refined; training seed 0.
# It uses the runs and stores of scripts/realism_fix.sh, realism_sweep.sh and realism_experts.sh: run those first.
OUT="${OUT:-docs/realism/root}"
source "$(dirname "$0")/realism_common.sh"
declare -A ARGS=([rfc]="--lambda-acc 1 --lambda-fc 10 --fc-contact pred --fc-grad root"
                 [rfclo]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --lambda-fc 10 --fc-contact pred --fc-grad root")
SEEDS="${SEEDS:-0}"
if [ "$STAGE" = all ]; then
  for s in $SEEDS; do ft rt rfc "$s" & ft rt rfclo "$s" & wait; done
fi
