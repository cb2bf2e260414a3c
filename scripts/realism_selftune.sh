#!/bin/bash
# Issue 14, fifteenth round (docs/realism.md §19): the low-noise expert fine-tuned on its own samples (imusim selftune:
# the pair's high expert samples training crops down to t = 300, the low expert finishes them with the sampler's own
# steps and anchor, and the finished motions' IMU band powers are matched to the crops', beside the shipped low
# expert's noised-truth recipe). Against the shipped `refined` (afu1i5hs7): 4 generation seeds x 192 motions, realism
# against the normal-style mocap, BasicMotions and the WISDM watch (by prompt), the impulsiveness probe, the motion
# evaluation on the test split.
#
#   bash scripts/realism_selftune.sh       # ~45 min on 2 cores per candidate (skips what exists; the realism
#                                          # reports compare every candidate: remove them when adding one)
OUT="${OUT:-docs/realism/selftune}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store  # the realism reports' like-for-like reference
link_shipped
export OMP_NUM_THREADS=2
# st_a: the IMU band-power term on the own samples; st_k: the impulsiveness (kurtosis) term on them instead;
# st_ak: both (the band powers hold the amplitude, the kurtosis asks for fewer peaks at it); st_k1: st_k at a third
# of its learning rate
declare -A ARGS=([st_a]="--lr 3e-5 --pool 512 --steps 300"
                 [st_k]="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1"
                 [st_ak]="--lr 3e-5 --pool 512 --steps 300 --lambda-self 1 --lambda-kurtosis 1"
                 [st_k1]="--lr 1e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-kurtosis 1")
CANDS=(${CANDS:-st_a st_k st_ak st_k1})
SEEDS=(${SEEDS:-0})
mkdir -p "$RUNS/st" "$OUT/training"
for c in "${CANDS[@]}"; do
  for s in "${SEEDS[@]}"; do
    d="$RUNS/st/${c}_s$s"
    [ -f "$d/model.safetensors" ] || imusim selftune --data "$DATA" --out "$d" --seed "$s" ${ARGS[$c]} > "$d.log" 2>&1
    cp "$d/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"
  done
done
[ "$STAGE" = train ] && exit 0
# how impulsive (crest factor) and how intense the wrists are per prompt, quickly
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do
  [ -f "$OUT/impulsiveness_${c}_s$s.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/${c}_s$s/model.safetensors" --label "${c}_s$s" --guidance 1.0 --per-prompt 16 \
    --json "$OUT/impulsiveness_${c}_s$s.json"
done; done
export OMP_NUM_THREADS=1
GEN=(0 1 2 3)
for c in "${CANDS[@]}"; do
  for s in "${SEEDS[@]}"; do
    mkdir -p "$RUNS/${c}_s$s"; ln -sf "$(realpath "$RUNS/st/${c}_s$s/model.safetensors")" "$RUNS/${c}_s$s/model.safetensors"
    { GEN_ARGS="--guidance 1.0" gen "${c}_s$s" "$RUNS/${c}_s$s/model.safetensors" 0 1; } > "$RUNS/st/gen_${c}_s${s}_a.log" 2>&1 &
    { GEN_ARGS="--guidance 1.0" gen "${c}_s$s" "$RUNS/${c}_s$s/model.safetensors" 2 3; } > "$RUNS/st/gen_${c}_s${s}_b.log" 2>&1 &
    wait
  done
done
# the shipped refined's stores (scripts/realism_reference.sh) beside them
GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined.safetensors "${GEN[@]}"
SETS=("$(stores afu1i5hs7 "${GEN[@]}")")
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do SETS+=("$(stores "${c}_s$s" "${GEN[@]}")"); done; done
like_for_like "$OUT" "${SETS[@]}"
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do motion_evals "${c}_s$s"; done; done
# HAR on BasicMotions, the docs' protocol (4 generation seeds x 2 fits, RF and CNN), beside original and smoothing
H=("$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "${SETS[@]}")
[ -f "$OUT/har_basicmotions/results.json" ] || imusim evaluate --real basicmotions --repeats 8 --reference original \
  --out "$OUT/har_basicmotions" $(printf -- "--synthetic %s " "${H[@]}")
