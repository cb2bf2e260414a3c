#!/bin/bash
# Issue 14, §31.4: st_kv3ts1 (selftune --lambda-keep-spread 3 --lambda-true-speed 1) on further selftune seeds through
# the motion evaluation, the chain probe and the still-standers protocol (4 generation stores x 2 fits), beside
# `original`, the smoothing baseline and the shipped refined (their stores regenerated when missing), into
# docs/realism/walkers/truespeed/seeds. Seed 0 is realism_truespeed.sh's.
#   SEEDS="1 2" STAGE=train bash scripts/realism_truespeed.sh   # first: the trainings (~45 min each, one core each)
#   SEEDS="1 2" bash scripts/realism_truespeed_seeds.sh         # then ~30 min per seed on two cores
OUT=docs/realism/walkers/truespeed/seeds
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT/training"
SEEDS=(${SEEDS:-1 2})
baseline_stores 0 1 2 3
gen4 afu1i5hs7 imusim/checkpoints/refined.safetensors runs/st/gen_afu1i5hs7
for s in "${SEEDS[@]}"; do
  r="st_kv3ts1_s$s"
  cp "$RUNS/st/$r/metrics.csv" "$OUT/training/metrics_$r.csv"
  st_motion "$r"
  gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"
done
versus_shipped "${SEEDS[@]/#/st_kv3ts1_s}"
