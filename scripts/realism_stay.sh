#!/bin/bash
# Issue 14, sixteenth round (docs/realism.md §20): the self-sampled kurtosis term of §19 inside a trust region
# (imusim selftune --lambda-stay: the squared difference of the finished motion's pose channels (root velocity and
# height, root-relative joint positions) from the untuned low expert's finish of the same hand-over state). Against
# the shipped `refined` (afu1i5hs7) and §19's st_k (the same kurtosis term without the trust region; its stores from
# scripts/realism_selftune.sh): 4 generation seeds x 192
# motions, realism against the normal-style mocap, BasicMotions and the WISDM watch (by prompt), the impulsiveness
# probe, the motion evaluation on the test split, HAR on BasicMotions.
#
#   bash scripts/realism_stay.sh       # ~60 min on 2 cores for the two candidates (skips what exists; the realism
#                                      # and HAR reports compare every candidate: remove them when adding one)
#   OUT=docs/realism/stay/seeds CANDS=st_ks02 SEEDS="0 1 2" bash scripts/realism_stay.sh   # §20's three seeds
OUT="${OUT:-docs/realism/stay}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
# st_ks1 / st_ks02: §19's st_k (kurtosis weight 1 on the own samples, lr 3e-5, 300 steps, pool 512) with the trust
# region at weight 1 / 0.2 per cm²
declare -A ARGS=([st_ks1]="--lambda-stay 1" [st_ks02]="--lambda-stay 0.2")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1"
CANDS=(${CANDS:-st_ks1 st_ks02})
SEEDS=(${SEEDS:-0})
selftune_round
[ "$STAGE" = train ] && exit 0
selftune_protocol st_k_s0
