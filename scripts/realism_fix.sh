#!/bin/bash
# Issue 14, part 3-4: the realism fix measured side by side (docs/realism.md §5). ~3 h on 2 CPU cores.
#
#   bash scripts/realism_fix.sh            # everything (skips what exists under $RUNS)
#   STAGE=eval bash scripts/realism_fix.sh # only the evaluations (stores and checkpoints exist)
#
# Models: the shipped `original` (x_t input, x0 output; the paper's pretrained baseline) converted to the spectral
# Wiener input and fine-tuned 1,000 steps without L_acc ("control", the continued training) and with the
# paper's L_acc on features, lambda 1 ("lacc"), each from training seeds 0, 1, 2; plus the Wiener-skip output.
OUT="${OUT:-docs/realism/fix}"
source "$(dirname "$0")/realism_common.sh"
FT=(--data "$DATA" --steps 1000 --batch-size 32 --max-frames 120 --lr 2e-4)

ft() {  # ft OUT ARGS...: one fine-tune, skipped when finished
  local out=$1; shift
  trained "$out" && return
  imusim finetune "${FT[@]}" --from original --input wiener_f --out "$out" "$@" > "$out.log" 2>&1
}
if [ "$STAGE" = all ]; then
  for s in 0 1 2; do
    ft "$RUNS/wf_control_s$s" --seed "$s" --lambda-acc 0
    ft "$RUNS/wf_lacc_s$s" --seed "$s" --lambda-acc 1.0
  done
  ft "$RUNS/wskip_lacc_s0" --seed 0 --lambda-acc 1.0 --output wskip --snapshot-every 500
  # L_acc in IMU space on top of the seed-0 control (300 steps)
  for lam in 1.0 0.1; do
    out="$RUNS/imu_lacc${lam}_s0"
    [ -f "$out/model.safetensors" ] || imusim finetune --data "$DATA" --from "$RUNS/wf_control_s0/model.safetensors" \
      --out "$out" --steps 300 --batch-size 32 --max-frames 120 --lr 2e-4 --seed 0 --lambda-acc "$lam" --acc-on imu \
      --log-every 25 > "$out.log" 2>&1
  done
fi

# quick probe on the test split's walking/running clips (vs WISDM; scripts/realism_probe.py --help)
for m in wf_control_s0 wf_lacc_s0 wskip_lacc_s0; do
  [ -f "$OUT/probe_$m.json" ] || python scripts/realism_probe.py --data "$DATA" --limit 16 --no-mocap \
      --checkpoint "$RUNS/$m/model.safetensors" --json "$OUT/probe_$m.json"
done

# stores: 4 activities x 48 motions, 4 generation seeds, wrist_l (BasicMotions), wrist_r (WISDM), thigh_r, 50 Hz
store_inputs
gen original imusim/checkpoints/original.safetensors 0 1 2 3
gen refined_v1 imusim/checkpoints/refined_v1.safetensors 0 1
gen wf_control "$RUNS/wf_control_s0/model.safetensors" 0 1 2 3
gen wf_lacc "$RUNS/wf_lacc_s0/model.safetensors" 0 1 2 3
gen imu_lacc1 "$RUNS/imu_lacc1.0_s0/model.safetensors" 0
gen imu_lacc01 "$RUNS/imu_lacc0.1_s0/model.safetensors" 0
imusim realism --synthetic "imu_lacc01=$RUNS/har/imu_lacc01_s0" "imu_lacc1=$RUNS/har/imu_lacc1_s0" \
  "wf_control=$RUNS/har/wf_control_s0" "wf_lacc=$RUNS/har/wf_lacc_s0" --reference store:out/realism/mocap_store \
  --sensor wrist_r --out "$OUT/imu_space_lacc_mocap"
imusim evaluate --real basicmotions --repeats 2 --upper-bound skip --out "$OUT/imu_space_lacc_har" \
  --synthetic "imu_lacc01=$RUNS/har/imu_lacc01_s0" --synthetic "wf_lacc=$RUNS/har/wf_lacc_s0"
SETS=("$(stores original 0 1 2 3)" "$(stores refined_v1 0 1)" "$(stores wf_control 0 1 2 3)" "$(stores wf_lacc 0 1 2 3)")

# realism (wrist intensity and spectra vs the real watches at native rates and vs rendered mocap) and HAR trained
# only on synthetic windows: BasicMotions (10 Hz, 4 classes) and WISDM (20 Hz, watch, 3 classes)
seeded_eval original "${SETS[@]}"

# motion quality on the test split, every training seed (paired L_acc, jerk, joint acceleration, foot skating)
mkdir -p "$RUNS/eval"
CK=()
for s in 0 1 2; do
  for c in wf_control wf_lacc; do
    mkdir -p "$RUNS/eval/${c}_s$s"; ln -sf "$(realpath "$RUNS/${c}_s$s/model.safetensors")" "$RUNS/eval/${c}_s$s/model.safetensors"
    CK+=(--checkpoint "$RUNS/eval/${c}_s$s/model.safetensors")
  done
done
imusim evaluate-motion --data "$DATA" --max-frames 120 --checkpoint original "${CK[@]}" --checkpoint refined_v1 \
  --json "$OUT/motion_eval.json" --markdown "$OUT/motion_eval.md"
python scripts/motion_eval_stats.py "$OUT/motion_eval.json" --pair wf_control:wf_lacc --out "$OUT/motion_eval_stats.json"
