#!/bin/bash
# Issue 14, §31.4: st_kv3ts1 (selftune --lambda-keep-spread 3 --lambda-true-speed 1) on further selftune seeds through
# the motion evaluation, the chain probe and the still-standers protocol (4 generation stores x 2 fits), beside
# `original`, the smoothing baseline and the shipped refined (their stores regenerated when missing), into
# docs/realism/walkers/truespeed/seeds. Seed 0 is realism_truespeed.sh's.
#   SEEDS="1 2" STAGE=train bash scripts/realism_truespeed.sh   # first: the trainings (~45 min each, one core each)
#   SEEDS="1 2" bash scripts/realism_truespeed_seeds.sh         # then ~30 min per seed on two cores
# (seed 1 was run alone into seeds/, seed 2 alone into seeds/s2: SEEDS=2 OUT=docs/realism/walkers/truespeed/seeds/s2)
OUT=${OUT:-docs/realism/walkers/truespeed/seeds}  # seed 2's run: OUT=docs/realism/walkers/truespeed/seeds/s2
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
TRAINING=docs/realism/walkers/truespeed/seeds/training  # every seed's training log
mkdir -p "$OUT" "$TRAINING"
SEEDS=(${SEEDS:-1 2})
baseline_stores 0 1 2 3
gen4 afu1i5hs7 imusim/checkpoints/refined_v3.safetensors runs/st/gen_afu1i5hs7
for s in "${SEEDS[@]}"; do
  r="st_kv3ts1_s$s"
  cp "$RUNS/st/$r/metrics.csv" "$TRAINING/metrics_$r.csv"
  st_motion "$r"
  gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"
done
versus_shipped "${SEEDS[@]/#/st_kv3ts1_s}"
# with seed 2's motion evaluation: L_acc, jerk, joint acceleration and skating over the three training seeds against
# the continued control and the shipped pair's three training seeds
T=docs/realism/walkers/truespeed
if [ -f "$T/seeds/s2/motion_eval_st_kv3ts1_s2.json" ] && [ ! -f "$T/seeds/s2/lacc_seeds3.json" ]; then
  python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json \
    "$T/motion_eval_st_kv3ts1_s0.json" "$T/seeds/motion_eval_st_kv3ts1_s1.json" "$T/seeds/s2/motion_eval_st_kv3ts1_s2.json" \
    --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3ts1 --pair pair_afu1i5hs7:st_kv3ts1 \
    --out "$T/seeds/s2/lacc_seeds3.json" > "$T/seeds/s2/lacc_seeds3.log" 2>&1
fi
