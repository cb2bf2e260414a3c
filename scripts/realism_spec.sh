#!/bin/bash
# Issue 14, fourth round (docs/realism.md §8): a sensor-level term that matches how much the virtual sensors move
# per frequency band (--lambda-spec, blind to phase) instead of per-frame differences. ~3 h on 2 CPU cores.
#
#   bash scripts/realism_spec.sh            # train, generate, evaluate (skips what exists under $RUNS)
#   STAGE=eval bash scripts/realism_spec.sh # only the evaluations
#
# Every candidate starts from the shipped `original` converted to the spectral Wiener input and is fine-tuned
# 1,000 steps with the shipped recipe (feature L_acc, lambda 1) plus:
#   speclo   --lambda-spec 0.3 on the low-noise predictions (--aux-t-max 300)
#   specall  --lambda-spec 0.3 at every step
#   imuspec  imulo (--lambda-imu 0.03) + --lambda-spec 0.3, both at t < 300
# Screened on training seed 0 and generation seed 0; the chosen one gets 3 training seeds and 4 generation seeds.
# It compares against the control, refined and imulo runs of scripts/realism_fix.sh and scripts/realism_sweep.sh.
OUT="${OUT:-docs/realism/spec}"
source "$(dirname "$0")/realism_common.sh"
CHOSEN="${CHOSEN:-imuspec}"
declare -A ARGS=([speclo]="--lambda-acc 1 --lambda-spec 0.3 --aux-t-max 300"
                 [specall]="--lambda-acc 1 --lambda-spec 0.3"
                 [imuspec]="--lambda-acc 1 --lambda-imu 0.03 --lambda-spec 0.3 --aux-t-max 300")
if [ "$STAGE" = all ]; then
  ft sp speclo 0 & ft sp specall 0 & ft sp imuspec 0 & ft sp imuspec 1 & wait
  for s in ${SEEDS:-0 1 2}; do ft sp "$CHOSEN" "$s" & done; wait
fi

store_inputs
for c in speclo specall imuspec; do gen "sp_$c" "$RUNS/sp_${c}_s0/model.safetensors" 0; done
gen "sp_$CHOSEN" "$RUNS/sp_${CHOSEN}_s0/model.safetensors" 0 1 2 3
SETS=("$(stores wf_lacc 0 1 2 3)" "$(stores sw_imulo 0 1 2 3)" "$(stores "sp_$CHOSEN" 0 1 2 3)")
ONE=("wf_lacc=$RUNS/har/wf_lacc_s0" "sw_imulo=$RUNS/har/sw_imulo_s0" "sp_speclo=$RUNS/har/sp_speclo_s0"
     "sp_specall=$RUNS/har/sp_specall_s0" "sp_imuspec=$RUNS/har/sp_imuspec_s0")

# where the predictions move too much or too little, per band and noise level (test clips)
python scripts/denoiser_band_probe.py --checkpoint "$RUNS/wf_control_s0/model.safetensors" --checkpoint refined \
  --checkpoint "$RUNS/sw_imulo_s0/model.safetensors" $(for c in speclo specall imuspec; do printf -- "--checkpoint %s " "$RUNS/sp_${c}_s0/model.safetensors"; done) \
  --json "$OUT/band_probe.json"

# realism: the screen (generation seed 0) against rendered mocap and the WISDM watch; the chosen one on 4 seeds
# against all three references
imusim realism --synthetic "${ONE[@]}" --reference store:out/realism/mocap_store --sensor wrist_r --out "$OUT/realism_mocap_screen"
imusim realism --synthetic "${ONE[@]}" --reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
  --labels docs/realism/mocap/wisdm_labels.yaml --out "$OUT/realism_wisdm_screen"
seeded_eval wf_lacc "${SETS[@]}"

# motion quality on the test split: the candidates' seed 0 and the chosen one's seeds, with the control and refined
# (the same noise as docs/realism/fix/motion_eval_*.json, merged with them for the control's and refined's seeds 1-2)
# shellcheck disable=SC2046
imusim evaluate-motion --data "$DATA" --max-frames 120 $(ck sp_speclo_s0 sp_specall_s0) \
  $(for s in ${SEEDS:-0 1 2}; do ck "sp_${CHOSEN}_s$s"; done) --json "$OUT/motion_eval.json" --markdown "$OUT/motion_eval.md"
python scripts/motion_eval_stats.py "$OUT/motion_eval.json" docs/realism/sweep/motion_eval_screen.json \
  docs/realism/sweep/motion_eval_imulo.json docs/realism/sweep/motion_eval_imulo_s2.json docs/realism/fix/motion_eval_{a,b,c}.json \
  --pair wf_control:wf_lacc --pair wf_control:sw_imulo --pair wf_control:sp_speclo --pair wf_control:sp_specall \
  --pair "wf_control:sp_$CHOSEN" --pair "wf_lacc:sp_$CHOSEN" --out "$OUT/motion_eval_stats.json"
