#!/bin/bash
# Issue 14, thirteenth round (docs/realism.md §17): the walkers' swing. The shipped refined (§16, afu1i5hs7) shuffles:
# its walkers' toes swing to 5.5 cm at 1.9 m/s p90 (real 8.0 cm, 3.6 m/s) and the body travels 0.64 m/s (real 1.08).
# Candidates, paired and sampled like the shipped refined:
#   afu1i5t   the shipped low expert's recipe + `--lambda-toe-swing 1` (new: each clip's mean toe height and speed
#             against the truth's, phase-blind; heights above each clip's own lowest toe point)
#   afu1i5tf  the same with `--toe-floor target` (both heights above the truth's lowest toe point)
#
#   bash scripts/realism_gait.sh                 # train (SEEDS, two at a time), pair, gait probe, motion evaluation
#   STAGE=train SEEDS="0 1" bash scripts/realism_gait.sh
OUT="${OUT:-docs/realism/gait}"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
SHIPPED="${AFIMU/--lambda-imu 0.03/--lambda-imu 0.05} --anchor-contact union --lambda-root-speed 1"
declare -A ARGS=([afu1i5t]="$SHIPPED --lambda-toe-swing 1" [afu1i5tf]="$SHIPPED --lambda-toe-swing 1 --toe-floor target")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-afu1i5t afu1i5tf})
train_stage anc
[ "$STAGE" = train ] && exit 0

link_shipped
PAIRS=()
for c in afu1i5t afu1i5tf; do
  for s in 0 1 2; do
    trained "$RUNS/anc_${c}_s$s" || continue
    mkdir -p "$OUT/training"
    cp "$RUNS/anc_${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"
    hpair "pair_${c}hs7_s$s" "anc_${c}_s$s" 0.7
  done
done
# the gait of the walking and running test clips, beside the shipped refined (= afu1i5hs7 seed 0)
for p in "${PAIRS[@]}"; do
  [ -f "$OUT/skating_probe_walk_run_${p#pair_}.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
    --activity walk,run --checkpoint "$RUNS/$p/model.safetensors" --json "$OUT/skating_probe_walk_run_${p#pair_}.json"
done
# motion quality on the test split at guidance 1, paired with the continued control's and the shipped recipe's seeds
motion_evals "${PAIRS[@]}"
python scripts/motion_eval_stats.py $(for p in "${PAIRS[@]}"; do echo "$OUT/motion_eval_${p#pair_}.json"; done) \
  docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json docs/realism/spec/motion_eval_g1.json \
  --pair wf_control:pair_afu1i5ths7 --pair wf_control:pair_afu1i5tfhs7 --pair wf_control:pair_afu1i5hs7 \
  --pair pair_afu1i5hs7:pair_afu1i5ths7 --pair pair_afu1i5hs7:pair_afu1i5tfhs7 \
  --out "$OUT/motion_eval_stats.json"
