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
export OMP_NUM_THREADS=1
# st_ks1 / st_ks02: §19's st_k (kurtosis weight 1 on the own samples, lr 3e-5, 300 steps, pool 512) with the trust
# region at weight 1 / 0.2 per cm²
declare -A ARGS=([st_ks1]="--lambda-stay 1" [st_ks02]="--lambda-stay 0.2")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1"
CANDS=(${CANDS:-st_ks1 st_ks02})
SEEDS=(${SEEDS:-0})
mkdir -p "$RUNS/st" "$OUT/training"
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do  # two trainings at a time, one core each
  d="$RUNS/st/${c}_s$s"
  [ -f "$d/model.safetensors" ] || { mkdir -p "$d"; imusim selftune --data "$DATA" --out "$d" --seed "$s" $BASE \
    ${ARGS[$c]} > "$d.log" 2>&1; } &
done; done
wait
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do cp "$RUNS/st/${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"; done; done
[ "$STAGE" = train ] && exit 0
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do
  [ -f "$OUT/impulsiveness_${c}_s$s.json" ] || OMP_NUM_THREADS=2 python scripts/impulsiveness_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/${c}_s$s/model.safetensors" --label "${c}_s$s" --guidance 1.0 --per-prompt 16 \
    --json "$OUT/impulsiveness_${c}_s$s.json"
done; done
GEN=(0 1 2 3)
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do
  mkdir -p "$RUNS/${c}_s$s"; ln -sf "$(realpath "$RUNS/st/${c}_s$s/model.safetensors")" "$RUNS/${c}_s$s/model.safetensors"
  { GEN_ARGS="--guidance 1.0" gen "${c}_s$s" "$RUNS/${c}_s$s/model.safetensors" 0 1; } > "$RUNS/st/gen_${c}_s${s}_a.log" 2>&1 &
  { GEN_ARGS="--guidance 1.0" gen "${c}_s$s" "$RUNS/${c}_s$s/model.safetensors" 2 3; } > "$RUNS/st/gen_${c}_s${s}_b.log" 2>&1 &
  wait
done; done
GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined.safetensors "${GEN[@]}"
SETS=("$(stores afu1i5hs7 "${GEN[@]}")")
[ -f "$RUNS/har/st_k_s0_s3/summary.json" ] && SETS+=("$(stores st_k_s0 "${GEN[@]}")")  # §19's, when its stores exist
NEW=()
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do NEW+=("$(stores "${c}_s$s" "${GEN[@]}")"); done; done
like_for_like "$OUT" "${SETS[@]}" "${NEW[@]}"
# HAR on BasicMotions, the docs' protocol (4 generation seeds x 2 fits, RF and CNN), beside original and smoothing
H=("$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "$(stores afu1i5hs7 "${GEN[@]}")" "${NEW[@]}")
[ -f "$OUT/har_basicmotions/results.json" ] || OMP_NUM_THREADS=2 imusim evaluate --real basicmotions --repeats 8 \
  --reference original --out "$OUT/har_basicmotions" $(printf -- "--synthetic %s " "${H[@]}")
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do OMP_NUM_THREADS=2 motion_evals "${c}_s$s"; done; done
