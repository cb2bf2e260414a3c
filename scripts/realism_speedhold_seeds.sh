#!/bin/bash
# Issue 14, §30: st_kv3sp (selftune --lambda-keep-spread 3 --lambda-stay-speed 1, §29.4) selftune seeds 1 and 2 through
# the still-standers protocol (4 generation stores x 2 fits each): realism by prompt against the like-for-like references
# (the wrist checks) beside the shipped refined, and HAR on BasicMotions and the WISDM watch beside `original`, the
# smoothing baseline and the shipped refined, into docs/realism/fid/speed/seeds. Seed 0 is realism_speedhold.sh's.
#   SEEDS="1 2" STAGE=train bash scripts/realism_speedhold.sh   # first: the two trainings (~40 min on two cores)
#   bash scripts/realism_speedhold_seeds.sh                     # then ~60 min on two cores
OUT=docs/realism/fid/speed/seeds
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
baseline_stores 0 1 2 3
gen4 afu1i5hs7 imusim/checkpoints/refined_v3.safetensors runs/st/gen_afu1i5hs7
for s in 1 2; do
  link_st "st_kv3sp_s$s"
  gen4 "st_kv3sp_s$s" "runs/st_kv3sp_s$s/model.safetensors" "runs/st/gen_st_kv3sp_s$s"
done
versus_shipped st_kv3sp_s1 st_kv3sp_s2
