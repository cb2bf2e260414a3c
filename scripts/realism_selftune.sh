#!/bin/bash
# Issue 14, fifteenth round (docs/realism.md §19): the low-noise expert fine-tuned on its own samples (imusim selftune:
# the pair's high expert samples training crops down to t = 300, the low expert finishes them with the sampler's own
# steps and anchor, and the finished motions' IMU band powers are matched to the crops', beside the shipped low
# expert's noised-truth recipe). Against the shipped `refined` (afu1i5hs7): 4 generation seeds x 192 motions, realism
# against the normal-style mocap, BasicMotions and the WISDM watch (by prompt), the impulsiveness probe, the motion
# evaluation on the test split.
#
#   bash scripts/realism_selftune.sh       # the fine-tunes at once, one core each (realism_common.sh's
#                                          # selftune_round), ~45 min per candidate (skips what exists; the realism
#                                          # reports compare every candidate: remove them when adding one)
OUT="${OUT:-docs/realism/selftune}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store  # the realism reports' like-for-like reference
link_shipped
# st_a: the IMU band-power term on the own samples; st_k: the impulsiveness (kurtosis) term on them instead;
# st_ak: both (the band powers hold the amplitude, the kurtosis asks for fewer peaks at it); st_k1: st_k at a third
# of its learning rate
declare -A ARGS=([st_a]="--lr 3e-5 --pool 512 --steps 300"
                 [st_k]="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1"
                 [st_ak]="--lr 3e-5 --pool 512 --steps 300 --lambda-self 1 --lambda-kurtosis 1"
                 [st_k1]="--lr 1e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1")
CANDS=(${CANDS:-st_a st_k st_ak st_k1})
SEEDS=(${SEEDS:-0})
BASE=""
selftune_round
[ "$STAGE" = train ] && exit 0
selftune_protocol
