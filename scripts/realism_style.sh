#!/bin/bash
# Issue 14, seventh round (docs/realism.md §11): the test split by acting style. Every model of §1-10 was trained on
# the split by take (takes of one file never straddle splits, but every acting style is in training). Here the whole
# chain is retrained on `imusim data build --split-by style` (Bandai Namco styles held out whole: test = feminine,
# happy, not-confident; val = youthful): `original`'s recipe (4,000 steps, training seed 0), then from it the continued
# control, refined_lacc (L_acc λ 1) and imulo (+ the IMU-space term at t < 300) with the shipped recipes, training
# seeds 0-2, refined = the pair split at t = 300 like the shipped one; motion quality on the held-out styles at
# guidance 1. ~2 h on 2 CPU cores.
#
#   bash scripts/realism_style.sh            # build, train, evaluate (skips what exists under $RUNS)
#   STAGE=eval bash scripts/realism_style.sh # only the evaluations
OUT="${OUT:-docs/realism/style}"
source "$(dirname "$0")/realism_common.sh"
DATA="$RUNS/data_style_anat"
[ -f "$DATA/meta.json" ] || imusim data build --out "$DATA" --facing anatomical --split-by style > "$DATA.log" 2>&1
ORIG="$RUNS/style_original"
declare -A ARGS=([control]="--lambda-acc 0" [lacc]="--lambda-acc 1.0"
                 [imulo]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300")
# the fine-tunes of realism_common.sh, from the style split's own original
FT=(--data "$DATA" --steps 1000 --batch-size 32 --max-frames 120 --lr 2e-4 --from "$ORIG/model.safetensors" --input wiener_f)
motion_eval() {  # motion_eval NAME RUN...: evaluate-motion on the held-out styles, guidance 1, into $OUT/NAME.json
  # shellcheck disable=SC2046
  [ -f "$OUT/$1.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
    $(shift; ck "$@") --json "$OUT/$1.json" --markdown "$OUT/$1.md"
}
if [ "$STAGE" = all ]; then
  if [ ! -f "$ORIG/metrics.csv" ] || [ "$(tail -n1 "$ORIG/metrics.csv" | cut -d, -f1)" != 4000 ]; then
    OMP_NUM_THREADS=2 imusim train --data "$DATA" --out "$ORIG" --steps 4000 --layers 4 --latent 256 --ff 512 \
      --batch-size 32 --max-frames 120 --lr 2e-4 --seed 0 $([ -f "$ORIG/train_state.pt" ] && echo --resume) > "$ORIG.log" 2>&1
  fi
  ft style control 0 & ft style lacc 0 & wait
  ft style imulo 0 & ft style control 1 & wait
  ft style lacc 1 & ft style imulo 1 & wait
  ft style control 2 & ft style lacc 2 & wait
  pair style_pair_s0 style_lacc_s0 style_imulo_s0; pair style_pair_s1 style_lacc_s1 style_imulo_s1
  ft style imulo 2 & motion_eval motion_eval_s01 style_original style_control_s0 style_lacc_s0 style_pair_s0 \
    style_control_s1 style_lacc_s1 style_pair_s1 & wait
  pair style_pair_s2 style_lacc_s2 style_imulo_s2
fi
motion_eval motion_eval_s01 style_original style_control_s0 style_lacc_s0 style_pair_s0 style_control_s1 style_lacc_s1 style_pair_s1
motion_eval motion_eval_s2 style_control_s2 style_lacc_s2 style_pair_s2
python scripts/motion_eval_stats.py "$OUT/motion_eval_s01.json" "$OUT/motion_eval_s2.json" \
  --pair style_control:style_lacc --pair style_control:style_pair --pair style_original:style_pair \
  --out "$OUT/motion_eval_stats.json"
