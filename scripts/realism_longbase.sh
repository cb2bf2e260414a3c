#!/bin/bash
# Issue 14, thirty-fourth round (docs/realism.md §38): the shipped `refined`'s whole chain rebuilt on the longer base.
# §37 found `original` under-trained (4,000 -> 7,000 steps: held-out loss -26 %, L_acc -36 %, sampled runners' wrists
# halved) and a high expert from the 7,000-step base under the shipped low expert lowered the pace prompt's and the
# runners' wrists by 10-15 %; but the shipped low expert was tuned under the shipped high expert. Here every network of
# the chain starts from the 7,000-step base (runs/scale/len_s0, realism_scale.sh), each with its shipped recipe:
#   high  `refined_lacc`'s recipe (Wiener input, L_acc 1, 1,000 steps, seed 0): runs/scale/lacc_7k_s0 (§37.4)
#   low   `anc_afu1i5`'s recipe (realism_ship.sh: L_acc 1, IMU-space term 0.05 below t = 300, trained on t < 300,
#         foot anchor (union rule), root-speed term 1; 1,000 steps, seed 0): runs/scale/anc7k_s0
#   pair  the two at hand-over 300, the height rule, the anchored root smoothed by 0.7 frames (as `refined_v3`):
#         runs/scale/pair_afu7k_s0.safetensors
#   tune  `st_kv3ts1`'s selftune of the pair's low expert (keep-spread 3, true speed 1, lr 3e-5, pool 512, 300 steps,
#         guidance 1; realism_truespeed.sh), selftune seeds SEEDS (as the shipped's three seeds: one pair, three tunes):
#         runs/st/st7k_sN
#   ship  its chain ended at the x0 of t = 102 (stop_t 100, as `refined`; realism_ship_stop.sh): runs/st7k_sN
# Then (without STAGE=train) beside the shipped `refined`: 4 generation stores each of the still-standers' prompts
# (docs/realism/still/activities.yaml, guidance 1), realism by prompt against the like-for-like references
# (normal-style mocap, BasicMotions, the WISDM watch), HAR on BasicMotions and the WISDM watch (8 fits per store) and
# each candidate against the shipped fit for fit, the motion evaluation on the test split paired with the continued
# control and the shipped `refined`.
#
#   STAGE=train bash scripts/realism_longbase.sh   # ~30 min (low expert) + ~70 min (the tunes, one core each)
#   bash scripts/realism_longbase.sh               # then ~20 min of stores and ~25 min of evaluations on two cores
#   SEEDS="1 2" bash scripts/realism_longbase.sh   # more selftune seeds of the same pair (default: 0)
OUT="${OUT:-docs/realism/longbase}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source "$(dirname "$0")/realism_common.sh"
SC="$RUNS/scale"
SEEDS=(${SEEDS:-0})
mkdir -p "$OUT/training" "$RUNS/st"
[ -f "$SC/len_s0/model_step003000.safetensors" ] && trained "$SC/lacc_7k_s0" \
  || { echo "needs the 7,000-step base and its high expert: bash scripts/realism_scale.sh" >&2; exit 1; }
BASE7K="$SC/len_s0/model_step003000.safetensors"
if [ "$STAGE" = all ] || [ "$STAGE" = train ]; then
  L="$SC/anc7k_s0"
  trained "$L" || OMP_NUM_THREADS=1 imusim finetune --data "$DATA" --steps 1000 --batch-size 32 --max-frames 120 \
    --lr 2e-4 --from "$BASE7K" --input wiener_f --out "$L" --seed 0 --lambda-acc 1 --lambda-imu 0.05 \
    --aux-t-max 300 --train-t-max 300 --anchor-feet 300 --anchor-contact union --lambda-root-speed 1 > "$L.log" 2>&1
  cp "$L/metrics.csv" "$OUT/training/metrics_anc7k_s0.csv"
  P="$SC/pair_afu7k_s0.safetensors"
  [ -f "$P" ] || imusim experts --high "$SC/lacc_7k_s0/model.safetensors" --low "$L/model.safetensors" --below-t 300 \
    --anchor-contact height --anchor-smooth 0.7 --out "$P"
  for s in "${SEEDS[@]}"; do
    d="$RUNS/st/st7k_s$s"
    [ -f "$d/model.safetensors" ] || { mkdir -p "$d"; OMP_NUM_THREADS=1 imusim selftune --data "$DATA" --out "$d" \
      --seed "$s" --checkpoint "$P" --guidance 1.0 --lr 3e-5 --pool 512 --steps 300 --lambda-self 0 \
      --lambda-keep-spread 3 --lambda-true-speed 1 > "$d.log" 2>&1; } &
  done
  wait
  for s in "${SEEDS[@]}"; do
    cp "$RUNS/st/st7k_s$s/metrics.csv" "$OUT/training/metrics_st7k_s$s.csv"
    mkdir -p "$RUNS/st7k_s$s"
    [ -f "$RUNS/st7k_s$s/model.safetensors" ] || python - "$RUNS/st/st7k_s$s/model.safetensors" "$RUNS/st7k_s$s/model.safetensors" <<'PY'
import sys
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
src, dst = sys.argv[1:]
pair, mean, std, enc, meta = load_checkpoint(src)
m = dict(meta)
m["sampling"] = {**meta["sampling"], "stop_t": 100}
save_checkpoint(dst, pair.high, mean, std, enc, m, extra={"low": pair.low})
print(f"wrote {dst}: {src} with stop_t {load_checkpoint(dst)[0].sample_stop_t}")
PY
  done
fi
[ "$STAGE" = train ] && exit 0
# the stores: the shipped refined's beside the candidates' (4 generation seeds each, two at a time)
shipped_stores
NAMES=()
for s in "${SEEDS[@]}"; do gen4 "st7k_s$s" "$RUNS/st7k_s$s/model.safetensors" "$RUNS/st/gen_st7k_s$s"; NAMES+=("st7k_s$s"); done
versus_refined "${NAMES[@]}"
