#!/usr/bin/env bash
# Reproduces the experiments of docs/results.md (the paper's protocol, issues 6 and 8) on this CPU.
# About 2 h on 2 cores: data 2 min, original 40 min, two fine-tunes 10 min each, evaluations ~30 min.
#   bash scripts/paper_experiments.sh            # everything, into runs/
#   STAGE=eval bash scripts/paper_experiments.sh # only the evaluations (checkpoints already trained)
#   STAGE=har  bash scripts/paper_experiments.sh # only the HAR experiments, on the shipped checkpoints
#                                                # (trains the no-L_acc control if runs/ lacks it)
# SEEDS="0 1 2 3" (generation seeds per synthetic set; FILTER_SEEDS="0 1" for the slower quality-filtered
# sets), PER_ACTIVITY=48, REPEATS=8 (classifier fits per set, cycling over its seeds' stores).
# Shipped checkpoints: imusim/checkpoints/{original,refined}.safetensors are copies of
# runs/original/model.safetensors and runs/refined/model.safetensors (EMA weights).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
RUNS="${RUNS:-runs}"
DATA="${DATA:-$RUNS/data}"
STAGE="${STAGE:-all}"
PER="${PER_ACTIVITY:-48}"
SEEDS="${SEEDS:-0 1 2 3}"
FILTER_SEEDS="${FILTER_SEEDS:-0 1}"
REPEATS="${REPEATS:-8}"
MODEL=(--layers 4 --latent 256 --ff 512)
COMMON=(--data "$DATA" --batch-size 32 --max-frames 120 --lr 2e-4 --log-every 50 --ckpt-every 250 --seed 0)

if [ "$STAGE" = all ]; then
  # the shipped checkpoints were trained on features with the earlier (hips+shoulders) root facing
  [ -f "$DATA/meta.json" ] || imusim data build --out "$DATA" --facing anatomical
  # original: MDM loss only, from scratch
  imusim train "${COMMON[@]}" "${MODEL[@]}" --out "$RUNS/original" --steps 4000
  # refined: the paper — continue training the original with L_acc added (features, lambda 1)
  imusim finetune "${COMMON[@]}" --from "$RUNS/original/model.safetensors" --out "$RUNS/refined" \
    --steps 1000 --lambda-acc 1.0
  # control: the same continued training without L_acc (isolates the loss from the extra steps)
  imusim finetune "${COMMON[@]}" --from "$RUNS/original/model.safetensors" --out "$RUNS/continued" \
    --steps 1000 --lambda-acc 0
fi

O="$RUNS/original/model.safetensors"
R="$RUNS/refined/model.safetensors"
C="$RUNS/continued/model.safetensors"
[ -f "$O" ] || O=imusim/checkpoints/original.safetensors
[ -f "$R" ] || R=imusim/checkpoints/refined.safetensors
if [ ! -f "$C" ]; then
  [ -f "$DATA/meta.json" ] || imusim data build --out "$DATA" --facing anatomical
  imusim finetune "${COMMON[@]}" --from "$O" --out "$RUNS/continued" --steps 1000 --lambda-acc 0
fi

if [ "$STAGE" != har ]; then
# motion quality on the held-out test split (paired L_acc, FID, diversity, skating, jerk)
imusim evaluate-motion --data "$DATA" --max-frames 120 \
  --checkpoint "$O" --checkpoint "$C" --checkpoint "$O@smooth=2" --checkpoint "$R" \
  --json "$RUNS/motion_eval.json" --markdown "$RUNS/motion_eval.md"
fi

# HAR: train on synthetic, test on real BasicMotions
python - "$RUNS/har_activities.yaml" <<'EOF'
import sys, yaml
from imusim.generate.plan import load_activities
acts = {k: v for k, v in load_activities(None).items() if k in ("standing", "walking", "running", "badminton")}
open(sys.argv[1], "w").write(yaml.safe_dump(acts))
EOF
G=(--activities "$RUNS/har_activities.yaml" --per-activity "$PER" --sensors wrist_l,thigh_r --rate 50 --batch 64)
gen() { local out="$1"; shift; [ -f "$out/summary.json" ] || imusim generate "${G[@]}" --out "$out" "$@"; }
declare -A SETS=([original]="--checkpoint $O" [refined]="--checkpoint $R" [continued]="--checkpoint $C"
  [original_smooth2]="--checkpoint $O --smooth 2" [original_filtered]="--checkpoint $O --quality-filter"
  [refined_filtered]="--checkpoint $R --quality-filter"
  [refined_filtered_activity]="--checkpoint $R --quality-filter activity" [mocap]="--from-mocap ../shared/data")
ORDER=(original refined continued original_smooth2 mocap original_filtered refined_filtered refined_filtered_activity)
ARGS=()
for name in "${ORDER[@]}"; do
  dirs=""
  seeds="$SEEDS"
  [[ "$name" == *_filtered* ]] && seeds="$FILTER_SEEDS"
  for s in $seeds; do
    # shellcheck disable=SC2086
    gen "$RUNS/har/${name}_s$s" ${SETS[$name]} --seed "$s"
    dirs="${dirs:+$dirs,}$RUNS/har/${name}_s$s"
  done
  ARGS+=(--synthetic "$name=$dirs")
done
imusim evaluate --real basicmotions --repeats "$REPEATS" --reference original --out "$RUNS/har/report" "${ARGS[@]}"
echo "motion metrics: $RUNS/motion_eval.md   HAR report: $RUNS/har/report/report.md"
