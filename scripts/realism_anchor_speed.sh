#!/bin/bash
# Issue 14, §31: the shipped refined's sampler anchor (anchor_feet 300: the root follows the standing foot at the steps
# t < 300) is where its walkers lose their speed (scripts/chain_speed_probe.py). The shipped refined with the anchor off
# (--anchor-feet 0) and on the final motion only (--anchor-feet 1), beside the shipped setting: the motion evaluation
# on the test split, the sampling chain's speeds, and the still-standers protocol (4 generation stores x 2 fits;
# `original`, the smoothing baseline and the shipped refined's stores are realism_speedhold_seeds.sh's, regenerated
# when missing) into docs/realism/walkers/anchor.
#   bash scripts/realism_anchor_speed.sh     # ~40 min on two cores
OUT=docs/realism/walkers/anchor
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
link_shipped_pair
for a in 0 1; do
  EVAL_TAG="af${a}_" EVAL_ARGS="--anchor-feet $a" motion_evals pair_afu1i5hs7 > "$RUNS/anchor_eval_af$a.log" 2>&1 &
done
wait
for a in 0 1 300; do
  [ -f "$OUT/chain_refined_af$a.json" ] || python scripts/chain_speed_probe.py --data "$DATA" --checkpoint refined_v3 \
    --chain --anchor-feet "$a" --json "$OUT/chain_refined_af$a.json" > "$OUT/chain_refined_af$a.log" 2> /dev/null &
done
wait
baseline_stores 0 1 2 3
gen4 afu1i5hs7 imusim/checkpoints/refined_v3.safetensors runs/st/gen_afu1i5hs7
for a in 0 1; do
  GEN4_ARGS="--anchor-feet $a" gen4 "refined_af$a" imusim/checkpoints/refined_v3.safetensors "$RUNS/gen_refined_af$a"
done
versus_shipped refined_af0 refined_af1
