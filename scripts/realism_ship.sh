#!/bin/bash
# Issue 14, twelfth round (docs/realism.md §16): the ship decision. Candidates against the shipped `refined`, with
# `original` over its three training seeds and the smoothing baseline (the shipped `original` + Gaussian smoothing,
# sigma 2 frames) generated and evaluated in the same run: 4 generation seeds x 192 motions per training seed, realism
# against the three references, HAR 8 fits on BasicMotions and the WISDM watch, every set's change relative to
# `original` (one run per candidate; the shared sets' figures repeat exactly between runs).
#
#   bash scripts/realism_ship.sh            # everything below (skips what exists under $RUNS and $OUT)
#   STAGE=train bash scripts/realism_ship.sh  # only the fine-tunes
#   STAGE=motion bash scripts/realism_ship.sh # + pairs and motion evaluations
#
# Candidates (each paired at t = 300 below the shipped refined_lacc, sampled with the height rule and the anchored root
# smoothed by 0.7 frames, like §15's afu1hs7):
#   afu1hs7   §14's afu1 networks (training seeds 0-2, scripts/realism_speed.sh); its stores come from
#             scripts/realism_stance.sh (BASE="" SENS=afu1hs7 GEN="0 1 2 3" STAGE=sensors)
#   afu1i5hs7 §14's afu1i5 (afu1 with the IMU-space term at weight 0.05): seed 0 from realism_speed.sh, seeds 1-2 here
# Needs runs/original_s1, _s2 (scripts/realism_original_seeds.sh). Shipped from here: pair_afu1i5hs7_s0 as
# imusim/checkpoints/refined.safetensors (the previous refined as refined_v2, which $RUNS/refined links to).
OUT="${OUT:-docs/realism/ship}"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
declare -A ARGS=([afu1i5]="${AFIMU/--lambda-imu 0.03/--lambda-imu 0.05} --anchor-contact union --lambda-root-speed 1")
SEEDS=(${SEEDS:-0 1 2})
CANDS=(${CANDS:-afu1i5})
train_stage anc
[ "$STAGE" = train ] && exit 0

link_shipped
PAIRS=()
for c in afu1 afu1i5; do
  for s in 0 1 2; do hpair "pair_${c}hs7_s$s" "anc_${c}_s$s" 0.7; done
done
mkdir -p "$OUT/training"  # the training logs next to the figures
for s in 0 1 2; do cp "$RUNS/anc_afu1i5_s$s/metrics.csv" "$OUT/training/metrics_afu1i5_s$s.csv"; done
# the gait of the walking and running test clips (root speed and surge, skating by stance, toe swing), training seed 0
[ -f "$OUT/skating_probe_walk_run_afu1i5hs7_s0.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint "$RUNS/pair_afu1i5hs7_s0/model.safetensors" \
  --json "$OUT/skating_probe_walk_run_afu1i5hs7_s0.json"
# one-frame rotation flips through the sensors' IK path: the real clips, the shipped refined and refined_v2
[ -f "$OUT/flip_probe_walk_run.json" ] || python scripts/flip_probe.py --data "$DATA" --activity walk,run \
  --checkpoint refined --checkpoint refined_v2 --json "$OUT/flip_probe_walk_run.json"
# motion quality on the test split at guidance 1 (afu1hs7's are realism_stance.sh's), paired with the continued
# control's and afu1hs7's seeds
motion_evals pair_afu1i5hs7_s{0,1,2}
python scripts/motion_eval_stats.py "$OUT"/motion_eval_afu1i5hs7_s{0,1,2}.json docs/realism/stance/motion_eval_afu1hs7_s{0,1,2}.json \
  docs/realism/spec/motion_eval_g1.json docs/realism/experts/motion_eval.json docs/realism/experts/motion_eval_pair_s12.json \
  --pair wf_control:pair_afu1i5hs7 --pair wf_control:pair_afu1hs7 --pair wf_control:pair_imulo300 \
  --pair pair_afu1hs7:pair_afu1i5hs7 --out "$OUT/motion_eval_stats.json"
[ "$STAGE" = motion ] && exit 0

store_inputs
GEN=(0 1 2 3)
link_original
# original at the guidance it records (2.5, MDM's); the smoothing baseline on the shipped original; two at a time
{ gen original "$RUNS/original_s0/model.safetensors" "${GEN[@]}"
  gen originalt1 "$RUNS/original_s1/model.safetensors" "${GEN[@]}"
  GEN_ARGS="--guidance 1.0" gen afu1i5hs7 "$RUNS/pair_afu1i5hs7_s0/model.safetensors" "${GEN[@]}"
  GEN_ARGS="--guidance 1.0" gen afu1i5hs7t2 "$RUNS/pair_afu1i5hs7_s2/model.safetensors" "${GEN[@]}"; } > "$RUNS/ship_gen_a.log" 2>&1 &
{ gen originalt2 "$RUNS/original_s2/model.safetensors" "${GEN[@]}"
  GEN_ARGS="--smooth 2" gen smooth2 "$RUNS/original_s0/model.safetensors" "${GEN[@]}"
  GEN_ARGS="--guidance 1.0" gen afu1i5hs7t1 "$RUNS/pair_afu1i5hs7_s1/model.safetensors" "${GEN[@]}"; } > "$RUNS/ship_gen_b.log" 2>&1 &
wait
GEN_ARGS="--guidance 1.0" gen refined "$RUNS/refined/model.safetensors" "${GEN[@]}"
for n in afu1hs7 afu1hs7t1 afu1hs7t2; do
  [ -f "$RUNS/har/${n}_s3/summary.json" ] || { echo "missing the stores of $n (realism_stance.sh)" >&2; exit 1; }
done
BASE_SETS=()
for n in original originalt1 originalt2 smooth2 refined; do BASE_SETS+=("$(stores "$n" "${GEN[@]}")"); done
for c in afu1hs7 afu1i5hs7; do
  [ -f "$OUT/$c/har_wisdm/results.json" ] || OUT="$OUT/$c" seeded_eval original "${BASE_SETS[@]}" \
    "$(stores "$c" "${GEN[@]}")" "$(stores "${c}t1" "${GEN[@]}")" "$(stores "${c}t2" "${GEN[@]}")"
  R="$OUT/$c"
  python scripts/training_seed_summary.py $(for r in mocap basicmotions wisdm; do
    echo "--realism $r=$R/realism_$r/realism.json"; done) --har basicmotions="$R/har_basicmotions/results.json" \
    --har wisdm="$R/har_wisdm/results.json" --group original=original,originalt1,originalt2 \
    --group "$c=$c,${c}t1,${c}t2" --versus "$c:original" --versus "$c:smooth2" --versus "$c:refined" \
    --versus refined:original --versus refined:smooth2 --out "$R/training_seeds.json"
done
