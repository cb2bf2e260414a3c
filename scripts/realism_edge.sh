#!/bin/bash
# Issue 14, twenty-third round, second part (docs/realism.md §27.2): the end of a generated motion. In the protocol's
# stores the last window of a generated walker is more intense than its middle windows (shipped `refined` 1.21x,
# `original` 1.81x; rendered mocap 0.99x), and scripts/edge_probe.py finds it per frame: at 120 frames (the training
# crop, which the generator samples for two motions in three) the last second moves the wrists at 1.6x (refined) and
# 2.9x (original) the middle, at 80 frames not at all. The fine-tunes draw crop lengths uniformly in [40, 120] frames
# from clips of median length 99, so the positions near 120 are the least trained. Here the shipped pair's two
# networks are trained again with every crop as long as its clip allows (--min-frames 120), nothing else changed:
#   lacc_long   : refined_lacc's recipe (the high-noise expert: `original` + L_acc, 1,000 steps) + --min-frames 120
#   afu1i5_long : the shipped low expert's recipe (realism_ship.sh's afu1i5) + --min-frames 120
#   control_long: the continued control (L_acc 0) + --min-frames 120 (for L_acc, recipe for recipe)
# paired like the shipped `refined` (pair_long: lacc_long above t = 300, afu1i5_long below, height rule, anchored root
# smoothed 0.7) and screened: edge_probe.py on every network and pair, then through §27's protocol (still standers:
# realism, HAR on BasicMotions and the WISDM watch) beside the shipped `refined`, and the motion evaluation (L_acc vs
# control_long and vs the shipped pair's control).
#   STAGE=train bash scripts/realism_edge.sh   # the fine-tunes only
#   bash scripts/realism_edge.sh               # everything (skips what exists)
OUT="${OUT:-docs/realism/edge}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR="${RUNS:-runs}/har_still"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.05 --aux-t-max 300 --train-t-max 300 --anchor-feet 300 --anchor-contact union --lambda-root-speed 1"
declare -A ARGS=([lacc_long]="--lambda-acc 1.0 --min-frames 120" [afu1i5_long]="$AFIMU --min-frames 120"
  [control_long]="--lambda-acc 0 --min-frames 120")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-lacc_long afu1i5_long})
train_stage edge
[ "$STAGE" = train ] && exit 0
