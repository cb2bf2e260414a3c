#!/bin/bash
# Issue 14, eleventh round (docs/realism.md §15): which foot joint the sampler's anchor holds. §14's afu1 anchors the
# root with contact "union" (the predicted contact labels or a foot joint within 5 cm of the floor) and picks, among
# those, the joint that moves least: often a labelled ankle above the floor while its toe, on the floor, slides
# (skating_probe --activity walk,run: afu1's runners slide 0.161 of their single-stance toe frames, real 0.050).
# Contact "height" (new) holds only joints on the floor.
#
#   bash scripts/realism_stance.sh                  # everything below (skips what exists under $RUNS and $OUT)
#   STAGE=train CANDS="afh1" SEEDS="0" bash scripts/realism_stance.sh   # only those fine-tunes
#   STAGE=motion bash scripts/realism_stance.sh     # pairs, skating probes and motion evaluations only
#   SENS="afu1h" GEN="0" bash scripts/realism_stance.sh  # + the sensors (realism, HAR) of those models' training seeds
#                                                   # 0-2 at those generation seeds, beside refined and afu1
#   BASE="" SENS=afu1hs7 GEN="0 1 2 3" STAGE=sensors bash scripts/realism_stance.sh  # 4 generation seeds, beside refined
#
# Models (each paired at t = 300 below the shipped refined_lacc, like `refined`):
#   afu1h  §14's afu1 networks (training seeds 0-2), sampled with contact "height" (imusim experts --anchor-contact)
#   afh1   afu1's recipe trained with --anchor-contact height (the network learns under the rule it is sampled with)
#   afu1hs afu1h with the anchored root velocity smoothed by a Gaussian of sigma 1 frame (experts --anchor-smooth 1):
#          the exact height anchor hands the root the jitter of the legs (root surge 1.8x real, §15)
#   afu1hs7 the same with sigma 0.7 frames
#   afu1a3h, afu1i5h  §14's afu1a3 / afu1i5 (realism_speed.sh: L_acc weight 3, IMU-space weight 0.05), sampled with
#          contact height (towards the L_acc target)
OUT="${OUT:-docs/realism/stance}"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
declare -A ARGS=([afh1]="$AFIMU --anchor-contact height --lambda-root-speed 1")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-afh1})
train_stage anc
[ "$STAGE" = train ] && exit 0

link_shipped
PAIRS=()  # pair runs "pair_NAME_sSEED" to evaluate
for c in afu1 afu1a3 afu1i5; do
  for s in 0 1 2; do
    trained "$RUNS/anc_${c}_s$s" || continue
    [ "$c" = afu1 ] || [ "$s" = 0 ] || continue  # afu1a3, afu1i5: training seed 0 here (afu1i5's seeds: realism_ship.sh)
    hpair "pair_${c}h_s$s" "anc_${c}_s$s"
    if [ "$c" = afu1 ]; then
      hpair "pair_afu1hs_s$s" "anc_afu1_s$s" 1
      hpair "pair_afu1hs7_s$s" "anc_afu1_s$s" 0.7
    fi
  done
done
for c in afh1; do
  for s in 0 1 2; do
    trained "$RUNS/anc_${c}_s$s" || continue
    mkdir -p "$OUT/training"; cp "$RUNS/anc_${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"
    pair "pair_${c}_s$s" refined_lacc "anc_${c}_s$s"  # records the low expert's anchor (300, height)
    PAIRS+=("pair_${c}_s$s")
  done
done

# 1. where the skating is: walking and running test clips, the real ones, `refined` and afu1 (its own rule, union)
[ -f "$OUT/skating_probe_walk_run.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint "$RUNS/pair_afu1_s0/model.safetensors@anchor=300" \
  --checkpoint "$RUNS/refined/model.safetensors" --json "$OUT/skating_probe_walk_run.json"
[ -f "$OUT/skating_probe_walk_run_height.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint "$RUNS/pair_afu1_s0/model.safetensors@anchor=300:height" \
  --json "$OUT/skating_probe_walk_run_height.json"  # the same network, sampled with the height rule
[ -f "$OUT/skating_probe_walk_run_gait.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint "$RUNS/pair_afu1_s0/model.safetensors@anchor=300" \
  --checkpoint "$RUNS/pair_afu1hs7_s0/model.safetensors" --checkpoint "$RUNS/refined/model.safetensors" \
  --json "$OUT/skating_probe_walk_run_gait.json"  # the toes' gait (height, time near the floor, swing speed)
# 2. every test clip, each model as its checkpoint says (§14's probe, with the stance breakdown)
for p in "${PAIRS[@]}"; do
  [ -f "$OUT/skating_probe_${p#pair_}.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
    --checkpoint "$RUNS/$p/model.safetensors" --json "$OUT/skating_probe_${p#pair_}.json"  # its recorded anchor and rule
done
# 3. motion quality on the test split at guidance 1, paired with the continued control's and afu1's seeds
motion_evals "${PAIRS[@]}"
CFGS=$(for p in "${PAIRS[@]}"; do echo "${p%_s*}"; done | sort -u)
python scripts/motion_eval_stats.py $(for p in "${PAIRS[@]}"; do echo "$OUT/motion_eval_${p#pair_}.json"; done) \
  docs/realism/spec/motion_eval_g1.json docs/realism/speed/motion_eval_afu1_s{0,1,2}.json \
  $(for c in $CFGS; do echo "--pair wf_control:$c --pair pair_afu1:$c"; done) --out "$OUT/motion_eval_stats.json"
[ "$STAGE" = motion ] && exit 0

# 4. the sensors: generation seeds $GEN of each model's training seeds 0-2 beside `refined` and afu1 (training seeds
# 0-2, §14's stores) in one run; training seed t > 0 of NAME is the store NAMEtT
store_inputs
GEN=(${GEN:-0})
SENS=(${SENS:-afu1h})
BASE=(${BASE-afu1})  # shown beside refined in the same run (BASE="": none)
GEN_ARGS="--guidance 1.0" gen refined "$RUNS/refined/model.safetensors" "${GEN[@]}"
SETS=()
for c in "${BASE[@]}" "${SENS[@]}"; do
  for t in 0 1 2; do
    [ -f "$RUNS/pair_${c}_s$t/model.safetensors" ] || continue
    n=$c; [ "$t" = 0 ] || n="${c}t$t"
    GEN_ARGS="--guidance 1.0" gen "$n" "$RUNS/pair_${c}_s$t/model.safetensors" "${GEN[@]}"
    SETS+=("$(stores "$n" "${GEN[@]}")")
  done
done
TAG="screen_$(IFS=_; echo "${SENS[*]}")_g$(IFS=; echo "${GEN[*]}")"
[ -f "$OUT/$TAG/har_wisdm/results.json" ] || OUT="$OUT/$TAG" seeded_eval refined "$(stores refined "${GEN[@]}")" \
  "${SETS[@]}"
