#!/bin/bash
# Issue 14, seventh round (docs/realism.md §11.3): `original` over 3 training seeds. The shipped `original` is
# training seed 0 of this recipe (its checkpoint meta holds it); seeds 1 and 2 are trained here on the same data
# set (split by take) and the three are evaluated on the test split at guidance 1 with the noise of every motion
# figure of §8-10, so that "refined vs original" has a training-seed spread like "refined vs control".
# ~1 h on 2 CPU cores (the two 4,000-step trainings side by side), then ~6 min of evaluation.
#
#   bash scripts/realism_original_seeds.sh            # train (resumes), evaluate (skips what exists)
#   STAGE=eval bash scripts/realism_original_seeds.sh # only the evaluations
OUT="${OUT:-docs/realism/style}"
source "$(dirname "$0")/realism_common.sh"
orig() {  # orig SEED: `original`'s recipe, training seed SEED, into $RUNS/original_sSEED
  local out="$RUNS/original_s$1"
  [ -f "$out/metrics.csv" ] && [ "$(tail -n1 "$out/metrics.csv" | cut -d, -f1)" = 4000 ] && return
  imusim train --data "$DATA" --out "$out" --steps 4000 --layers 4 --latent 256 --ff 512 --batch-size 32 \
    --max-frames 120 --lr 2e-4 --seed "$1" $([ -f "$out/train_state.pt" ] && echo --resume) > "$out.log" 2>&1
}
if [ "$STAGE" = all ]; then
  orig 1 & orig 2 & wait
fi
# the shipped original as training seed 0 (a link, so that evaluate-motion names it original_s0)
link_original
# shellcheck disable=SC2046
[ -f "$OUT/motion_eval_take_original.json" ] || OMP_NUM_THREADS=2 imusim evaluate-motion --data "$DATA" \
  --max-frames 120 --guidance 1.0 $(ck original_s0 original_s1 original_s2) \
  --json "$OUT/motion_eval_take_original.json" --markdown "$OUT/motion_eval_take_original.md"
# FID of seeds 1 and 2 under the five encoders of motion_eval_take_fid5.json (seed 0 = the shipped original is there)
# shellcheck disable=SC2046
[ -f "$OUT/motion_eval_take_original_fid5.json" ] || OMP_NUM_THREADS=2 imusim evaluate-motion --data "$DATA" \
  --max-frames 120 --guidance 1.0 --fid-encoders 5 $(ck original_s1 original_s2) \
  --json "$OUT/motion_eval_take_original_fid5.json" --markdown "$OUT/motion_eval_take_original_fid5.md"
mkdir -p "$OUT/original_seeds"  # the training logs next to the figures
for s in 1 2; do cp "$RUNS/original_s$s/metrics.csv" "$OUT/original_seeds/metrics_s$s.csv"; done
R=docs/realism
python scripts/motion_eval_stats.py "$OUT/motion_eval_take_original.json" $R/spec/motion_eval_g1.json \
  $R/experts/motion_eval.json $R/experts/motion_eval_pair_s12.json \
  --pair original:pair_imulo300 --pair original:wf_control --pair original:wf_lacc --pair wf_control:pair_imulo300 \
  --out "$OUT/motion_eval_take_stats.json"
