#!/bin/bash
# Issue 14, ninth round (docs/realism.md §13): the root follows the feet in the network. The sampler's
# --anchor-feet (§10.3) corrects a model that was never trained with it; here the low-noise expert is trained
# through the same correction (finetune --anchor-feet 300: its x0 predictions' root velocity, in the frames its own
# contact channels mark as standing, is the standing foot's motion relative to the body, and every loss sees
# that), a root-from-feet output parameterisation, and sampled with it, as its checkpoint records.
#
#   bash scripts/realism_anchor.sh              # train, pair, generate, evaluate (skips what exists under $RUNS)
#   SEEDS="0 1" STAGE=train bash scripts/realism_anchor.sh   # only the fine-tunes of those training seeds
#   STAGE=eval bash scripts/realism_anchor.sh   # only the evaluations
#
# Candidate (paired at t = 300 below the shipped refined_lacc, like `refined`):
#   afimu  imulo's recipe (lambda_imu 0.03, t < 300) + --anchor-feet 300
# ~27 min of training per seed on one CPU core (two side by side), ~15 min of evaluation per generation seed.
OUT="${OUT:-docs/realism/anchor}"
source "$(dirname "$0")/realism_common.sh"
declare -A ARGS=([afimu]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300")
SEEDS=(${SEEDS:-0 1 2})
if [ "$STAGE" = all ] || [ "$STAGE" = train ]; then
  for s in "${SEEDS[@]}"; do ft anc afimu "$s" & done
  wait
fi
[ "$STAGE" = train ] && exit 0

mkdir -p "$OUT/training"
for n in refined refined_lacc; do
  mkdir -p "$RUNS/$n"; ln -sf "$(realpath imusim/checkpoints/$n.safetensors)" "$RUNS/$n/model.safetensors"
done
DONE=()
for s in 0 1 2; do
  trained "$RUNS/anc_afimu_s$s" || continue
  cp "$RUNS/anc_afimu_s$s/metrics.csv" "$OUT/training/metrics_afimu_s$s.csv"
  pair "pair_afimu_s$s" refined_lacc "anc_afimu_s$s"  # records meta.sampling.anchor_feet 300 (the low expert's)
  DONE+=("$s")
done

# motion quality on the test split at guidance 1, the noise of every motion figure since §8; paired with the
# continued control's and the shipped pair's training seeds (same seed k with seed k)
for s in "${DONE[@]}"; do
  [ -f "$OUT/motion_eval_s$s.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
    $(ck "pair_afimu_s$s") --json "$OUT/motion_eval_s$s.json" --markdown "$OUT/motion_eval_s$s.md"
done
