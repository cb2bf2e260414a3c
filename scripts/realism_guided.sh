#!/bin/bash
# Issue 14, §32.4: §32.1 found the data's style range (the plain captions' walkers calmer than the styled ones) made
# by classifier-free guidance (`original` at its 2.5 keeps the data's normal/other ratio of the walkers' wrists, 0.54;
# the shipped pair samples at 1: 0.79-0.88), and guidance slowing the walkers. st_kv3ts1's terms (selftune
# --lambda-keep-spread 3 --lambda-true-speed 1) tuned at the guidance it is then sampled with (selftune --guidance 2,
# new): the true-speed term asks for the stride there. Shorter than §31's (150 steps, pool 256: guided sampling costs
# twice). Training seed 0; the motion evaluation at the recorded guidance, the chain's speeds and the wrist parts by
# style (scripts/skating_probe.py) into docs/realism/walkers/guided; without STAGE=train also the still-standers
# protocol beside the shipped refined and st_kv3ts1_s0.
#   STAGE=train bash scripts/realism_guided.sh   # the training (~40 min on one core)
#   STAGE=motion bash scripts/realism_guided.sh  # the motion evaluation and the probe only (~10 min on two)
#   bash scripts/realism_guided.sh               # then the protocol, ~40 min more on two
OUT=docs/realism/walkers/guided
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
declare -A ARGS=([st_kv3ts1g2]="--lambda-keep-spread 3 --lambda-true-speed 1 --guidance 2")
BASE="--lr 3e-5 --pool 256 --steps 150 --lambda-self 0"
CANDS=(${CANDS:-st_kv3ts1g2})
SEEDS=(${SEEDS:-0})
selftune_train
[ "$STAGE" = train ] && exit 0
link_shipped_pair
for r in $(cand_runs); do
  link_st "$r"
  EVAL_ARGS="--guidance 2.0" OMP_NUM_THREADS=1 motion_evals "$r" &  # at its recorded guidance, not motion_evals' 1
  style_probe "$r" 2 &
  wait
done
[ "$STAGE" = motion ] && exit 0
for r in $(cand_runs); do GEN4_ARGS="--guidance 2.0" gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
# shellcheck disable=SC2046
versus_shipped $(cand_runs) st_kv3ts1_s0
