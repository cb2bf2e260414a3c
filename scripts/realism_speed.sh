#!/bin/bash
# Issue 14, tenth round (docs/realism.md §14): the anchored walkers of §13 plant their feet by shortening the
# stride (root speed 0.58 m/s vs 1.33 real). Here the low-noise expert keeps the anchor (finetune --anchor-feet 300)
# and adds a phase-blind root speed term (finetune --lambda-root-speed W): each clip's mean horizontal root speed
# against the truth's, whatever the phase of its steps, so the planted feet must travel as far as the truth's.
#
#   bash scripts/realism_speed.sh              # train, pair, generate, evaluate (skips what exists under $RUNS)
#   SEEDS="0" CANDS="afs1 afs3" STAGE=train bash scripts/realism_speed.sh   # only those fine-tunes
#   STAGE=eval bash scripts/realism_speed.sh   # only the evaluations
#
# Candidates (paired at t = 300 below the shipped refined_lacc, like `refined`):
#   afs1  afimu (§13: imulo's recipe + --anchor-feet 300) + --lambda-root-speed 1
#   afs3  the same with weight 3
# ~27 min of training per seed on one CPU core (two side by side).
OUT="${OUT:-docs/realism/speed}"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
declare -A ARGS=([afs1]="$AFIMU --lambda-root-speed 1" [afs3]="$AFIMU --lambda-root-speed 3")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-afs1 afs3})
if [ "$STAGE" = all ] || [ "$STAGE" = train ]; then
  for c in "${CANDS[@]}"; do
    for s in "${SEEDS[@]}"; do ft anc "$c" "$s" & done
  done
  wait
fi
[ "$STAGE" = train ] && exit 0
