#!/bin/bash
# Issue 14, §28.4/§29: st_kv3 selftune seed SEED (1 or 2) through the still-standers protocol's HAR (4 generation
# stores x 2 fits, BasicMotions and the WISDM watch) beside seed 0, the shipped refined, original and smoothing, into
# docs/realism/keep/seedSEED.
#   SEED=1 bash scripts/realism_keep_seed.sh   # ~25 min each, after
#   CANDS=st_kv3 SEEDS="1 2" STAGE=train bash scripts/realism_keep.sh
SEED=${SEED:-1}
case "$SEED" in 1|2) ;; *) echo "SEED must be 1 or 2 (seed 0 is realism_keep.sh's), got '$SEED'" >&2; exit 2 ;; esac
OUT=docs/realism/keep/seed$SEED
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
link_st "st_kv3_s$SEED"
gen4 "st_kv3_s$SEED" "runs/st_kv3_s$SEED/model.safetensors" "runs/st/gen_st_kv3_s$SEED"
export OMP_NUM_THREADS=2
har_evals "$(stores original 0 1 2 3)" "$(stores smooth2 0 1 2 3)" "$(stores afu1i5hs7 0 1 2 3)" \
  "$(stores st_kv3_s0 0 1 2 3)" "$(stores "st_kv3_s$SEED" 0 1 2 3)"
har_versus --versus "st_kv3_s$SEED:original" --versus "st_kv3_s$SEED:smooth2" --versus "st_kv3_s$SEED:afu1i5hs7" \
  --versus st_kv3_s0:afu1i5hs7
