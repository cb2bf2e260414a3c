#!/bin/bash
# Issue 14, twenty-third round, second part (docs/realism.md §27.2): the end of a generated motion. In the protocol's
# stores the last window of a generated walker is more intense than its middle windows (shipped `refined` 1.21x,
# `original` 1.81x; rendered mocap 0.99x), and scripts/edge_probe.py finds it per frame: at 120 frames (the training
# crop, which the generator samples for two motions in three) the last second moves the wrists at 1.6x (refined) and
# 2.9x (original) the middle, at 80 frames not at all. The fine-tunes draw crop lengths uniformly in [40, 120] frames
# from clips of median length 99, so the positions near 120 are the least trained. Here the shipped pair's two
# networks are trained again with every crop as long as its clip allows (--min-frames 120), nothing else changed:
#   lacc_long   : refined_lacc's recipe (the high-noise expert: `original` + L_acc, 1,000 steps) + --min-frames 120
#   afu1i5_long : the shipped low expert's recipe (realism_ship.sh's afu1i5) + --min-frames 120
#   control_long: the continued control (L_acc 0) + --min-frames 120 (for L_acc, recipe for recipe)
# paired like the shipped `refined` (pair_long: lacc_long above t = 300, afu1i5_long below, height rule, anchored root
# smoothed 0.7) and screened: edge_probe.py on every network and pair, then through §27's protocol (still standers:
# realism, HAR on BasicMotions and the WISDM watch) beside the shipped `refined`, and the motion evaluation (L_acc vs
# control_long and vs the shipped pair's control).
#   STAGE=train bash scripts/realism_edge.sh   # the fine-tunes only (~45 min on 2 cores)
#   bash scripts/realism_edge.sh               # everything after scripts/realism_still.sh (skips what exists)
OUT="${OUT:-docs/realism/edge}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR="${RUNS:-runs}/har_still"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.05 --aux-t-max 300 --train-t-max 300 --anchor-feet 300 --anchor-contact union --lambda-root-speed 1"
declare -A ARGS=([lacc_long]="--lambda-acc 1.0 --min-frames 120" [afu1i5_long]="$AFIMU --min-frames 120"
  [control_long]="--lambda-acc 0 --min-frames 120")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-lacc_long afu1i5_long})
train_stage edge
[ "$STAGE" = train ] && exit 0
[ -f "$HAR_DIR/smooth2_s3/summary.json" ] || { echo "run scripts/realism_still.sh first: its stores of original, smoothing, the shipped refined and st_gw10_s0 are this round's baselines" >&2; exit 1; }

# the pairs: both long networks (pair_long), and the long high expert above the shipped low expert (pair_highlong),
# each sampled as the shipped `refined` is (height rule, anchored root smoothed 0.7)
for s in "${SEEDS[@]}"; do
  HIGH="edge_lacc_long_s$s" hpair "pair_long_s$s" "edge_afu1i5_long_s$s" 0.7
  mkdir -p "$RUNS/pair_highlong_s$s"
  below_shipped "$RUNS/edge_lacc_long_s$s/model.safetensors" "$RUNS/pair_highlong_s$s/model.safetensors"
done
mkdir -p "$OUT/training"
for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do
  cp "$RUNS/edge_${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"; done; done
# the ends, per frame: the shipped networks and their long-crop counterparts (16 motions per prompt and length)
link_original
trained "$RUNS/wf_control_s0" || imusim finetune "${FT[@]}" --out "$RUNS/wf_control_s0" --seed 0 --lambda-acc 0 \
  > "$RUNS/wf_control_s0.log" 2>&1
[ -f "$OUT/edge_shipped.json" ] || OMP_NUM_THREADS=1 python scripts/edge_probe.py --data "$DATA" --checkpoint refined_v3 \
  --checkpoint original --checkpoint refined_lacc --checkpoint "$RUNS/wf_control_s0/model.safetensors" --label refined \
  --label original --label refined_lacc --label wf_control --json "$OUT/edge_shipped.json" > "$OUT/edge_shipped.log" 2>&1 &
[ -f "$OUT/edge_long_s0.json" ] || OMP_NUM_THREADS=1 python scripts/edge_probe.py --data "$DATA" \
  --checkpoint "$RUNS/edge_lacc_long_s0/model.safetensors" --checkpoint "$RUNS/pair_highlong_s0/model.safetensors" \
  --checkpoint "$RUNS/pair_long_s0/model.safetensors" --label lacc_long --label pair_highlong --label pair_long \
  --json "$OUT/edge_long_s0.json" > "$OUT/edge_long_s0.log" 2>&1 &
wait
[ "$STAGE" = probe ] && exit 0
# §27's protocol (still standers) for pair_long: 4 generation stores, realism by prompt and by position, HAR
for s in "${SEEDS[@]}"; do gen4 "pair_long_s$s" "$RUNS/pair_long_s$s/model.safetensors" "$HAR_DIR/gen_pair_long_s$s"; done
GEN=(0 1 2 3)
NEW=(); for s in "${SEEDS[@]}"; do NEW+=("$(stores "pair_long_s$s" "${GEN[@]}")"); done
SHIP="$(stores afu1i5hs7 "${GEN[@]}")"
export OMP_NUM_THREADS=2
like_for_like "$OUT" "$SHIP" "${NEW[@]}"
[ -f "$OUT/position_still/realism.json" ] || imusim realism --synthetic "$SHIP" "${NEW[@]}" --reference basicmotions \
  --sensor wrist_l --by position --bootstrap 0 --out "$OUT/position_still"
H=("$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "$SHIP" "${NEW[@]}")
har_evals "${H[@]}"
VS=$(for s in "${SEEDS[@]}"; do r=pair_long_s$s; echo "--versus $r:original --versus $r:smooth2 --versus $r:afu1i5hs7"; done)
# shellcheck disable=SC2086
har_versus $VS
# the motion figures on the test split (L_acc, jerk, joint acceleration, skating) against the continued control and the
# shipped pair, paired by test clip
for s in "${SEEDS[@]}"; do motion_evals "pair_long_s$s"; done
python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json docs/realism/ship/motion_eval_afu1i5hs7_s0.json \
  $(for s in "${SEEDS[@]}"; do echo "$OUT/motion_eval_long_s$s.json"; done) \
  --pair wf_control:pair_afu1i5hs7 --pair wf_control:pair_long --pair pair_afu1i5hs7:pair_long \
  --out "$OUT/lacc_vs_control.json" > "$OUT/lacc_vs_control.log" 2>&1
# the stores window by window: pooled by position (the §26 protocol's stores and the still protocol's), inside each
# motion (position_pairs.py), and the intensity spread between motions against the real sets' (spread_probe.py); the
# §26 protocol's stores under $RUNS/har are realism_gesture.sh's
old() { HAR_DIR="$RUNS/har" stores "$1" "${GEN[@]}"; }
new() { stores "$1" "${GEN[@]}"; }
[ -f "$OUT/position_basicmotions/realism.json" ] || imusim realism --synthetic "$(old afu1i5hs7)" \
  "$(old original)" "$(old smooth2)" "mocap_normal=out/realism/mocap_store_normal" \
  --reference basicmotions --sensor wrist_l --by position --bootstrap 0 --out "$OUT/position_basicmotions"
[ -f "$OUT/position_pairs.json" ] || python scripts/position_pairs.py --set "$(old afu1i5hs7)" \
  --set "$(old original)" --set "$(old smooth2)" --set "$(new pair_long_s0)" \
  --set mocap_normal=out/realism/mocap_store_normal --sensor wrist_r --json "$OUT/position_pairs.json"
[ -f "$OUT/spread.json" ] || python scripts/spread_probe.py --set "$(new afu1i5hs7)" \
  --set "$(new original)" --set "$(new smooth2)" --set "$(new st_gw10_s0)" \
  --set "$(new pair_long_s0)" --set mocap_normal=out/realism/mocap_store_normal --json "$OUT/spread.json"
# the spread at the motion level under the sampler's settings (§27.4): the control, the L_acc high expert and the
# shipped pair at guidance 1 and 2.5, `original` at its own (32 motions per prompt, two runs side by side)
mkdir -p docs/realism/spread
[ -f docs/realism/spread/sampler_a.json ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
  --sample refined=refined_v3,rec,ddim --sample refined_g2.5=refined_v3,2.5,ddim --sample original=original,rec,ddim \
  --json docs/realism/spread/sampler_a.json > docs/realism/spread/sampler_a.log 2>&1 &
[ -f docs/realism/spread/sampler_b.json ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
  --sample refined_lacc=refined_lacc,rec,ddim --sample "wf_control=$RUNS/wf_control_s0/model.safetensors,rec,ddim" \
  --sample refined_lacc_g2.5=refined_lacc,2.5,ddim --json docs/realism/spread/sampler_b.json \
  > docs/realism/spread/sampler_b.log 2>&1 &
wait
[ -f docs/realism/spread/sampler_c.json ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
  --sample "wf_control_g1=$RUNS/wf_control_s0/model.safetensors,1.0,ddim" --json docs/realism/spread/sampler_c.json \
  > docs/realism/spread/sampler_c.log 2>&1  # the control at the shipped pair's guidance (its recorded one is 2.5)
for T in 0 100; do  # the shipped pair with its hand-over moved: where in the sampling the near-still tail is made
  [ -f "docs/realism/spread/handover_t$T.json" ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
    --sample "refined_below_t$T=refined_v3,rec,ddim,$T" --json "docs/realism/spread/handover_t$T.json" \
    > "docs/realism/spread/handover_t$T.log" 2>&1 &
done
wait
