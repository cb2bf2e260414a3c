#!/bin/bash
# Issue 14, §33: the true-speed term on the low expert plateaus at ~0.11 (m/s)^2 at guidance 1 and 2 alike (§31,
# §32.4), and the sampling chain says why: under the foot anchor the ground speed is the legs' stride, set in the high
# expert's steps (the shipped pair's walkers' legs 0.82 m/s at the hand-over, the data's 1.06), and guidance (which
# the data's style range needs, §32.1) slows it. `imusim hightune` (new) asks the high expert itself, at the guidance
# it is sampled with, for the crop's speed in the motion it hands over. From st_kv3ts1g2_s0 (§32.4: st_kv3ts1's low
# expert tuned at guidance 2; FROM=... for another pair), training seed 0; then the motion evaluation at the recorded
# guidance, the wrist parts by style (scripts/skating_probe.py) and the chains' speeds (the start's and the tuned
# pair's, scripts/chain_speed_probe.py --legs) into docs/realism/walkers/hightune; without STAGE the still-standers
# protocol beside the shipped refined and st_kv3ts1g2_s0.
#   STAGE=train bash scripts/realism_hightune.sh   # the training (~40 min on one core)
#   STAGE=motion bash scripts/realism_hightune.sh  # then the motion evaluation and the probes (~15 min on two)
#   bash scripts/realism_hightune.sh               # then the protocol, ~40 min more on two
# §33.2, the wrist term beside it (a fresh OUT: the protocol's HAR skips a directory that has results):
#   CANDS=ht1w05g2 OUT=docs/realism/walkers/hightune/wrist bash scripts/realism_hightune.sh
# its training seeds 1 and 2 (§33.4): CANDS=ht1w05g2 SEEDS=N OUT=docs/realism/walkers/hightune/wrist/sN bash ...; then
# bash scripts/realism_hightune_parts.sh for the three seeds together. §34, the wrist term at weight 2 (motion only):
#   CANDS=ht1w2g2 OUT=docs/realism/walkers/hightune/wrist2 STAGE=motion bash scripts/realism_hightune.sh
# §34.1, the wrist term against the caption's mean (--wrist-target caption):
#   CANDS=ht1c2g2 OUT=docs/realism/walkers/hightune/caption STAGE=motion bash scripts/realism_hightune.sh
OUT="${OUT:-docs/realism/walkers/hightune}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
START="${START:-st_kv3ts1g2_s0}"  # the pair whose high expert is tuned (a selftune output in $RUNS/st)
declare -A ARGS=([ht1g2]="--lambda-true-speed 1 --guidance 2"
                 [ht1w05g2]="--lambda-true-speed 1 --lambda-true-wrist 0.5 --guidance 2"
                 [ht1w2g2]="--lambda-true-speed 1 --lambda-true-wrist 2 --guidance 2"
                 [ht1c2g2]="--lambda-true-speed 1 --lambda-true-wrist 2 --wrist-target caption --guidance 2")
BASE="--lr 3e-5 --pool 256 --steps 100"
CANDS=(${CANDS:-ht1g2})
SEEDS=(${SEEDS:-0})
TUNE=hightune TUNE_ARGS="--checkpoint $RUNS/st/$START/model.safetensors" selftune_train
[ "$STAGE" = train ] && exit 0
chain_probe "$START" &
for r in $(cand_runs); do
  EVAL_ARGS="--guidance 2.0" st_motion "$r"  # at its recorded guidance, not motion_evals' 1
  style_probe "$r" 2
done
wait
[ "$STAGE" = motion ] && exit 0
for r in $(cand_runs); do GEN4_ARGS="--guidance 2.0" gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
# shellcheck disable=SC2046
versus_shipped $(cand_runs) "$START"
