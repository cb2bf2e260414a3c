#!/bin/bash
# Issue 14, §28.4: st_kv3 selftune seed 1 through the still-standers protocol's HAR (4 generation stores x 2 fits,
# BasicMotions and the WISDM watch) beside seed 0, the shipped refined, original and smoothing, into
# docs/realism/keep/seed1.
#   bash scripts/realism_keep_seed1.sh   # ~25 min, after CANDS=st_kv3 SEEDS="1 2" STAGE=train bash scripts/realism_keep.sh
OUT=docs/realism/keep/seed1
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
link_st st_kv3_s1
gen4 st_kv3_s1 runs/st_kv3_s1/model.safetensors runs/st/gen_st_kv3_s1
export OMP_NUM_THREADS=2
har_evals "$(stores original 0 1 2 3)" "$(stores smooth2 0 1 2 3)" "$(stores afu1i5hs7 0 1 2 3)" \
  "$(stores st_kv3_s0 0 1 2 3)" "$(stores st_kv3_s1 0 1 2 3)"
har_versus --versus st_kv3_s1:original --versus st_kv3_s1:smooth2 --versus st_kv3_s1:afu1i5hs7 \
  --versus st_kv3_s0:afu1i5hs7
