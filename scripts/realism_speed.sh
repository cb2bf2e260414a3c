#!/bin/bash
# Issue 14, tenth round (docs/realism.md §14): the anchored walkers of §13 plant their feet by shortening the
# stride (root speed 0.58 m/s vs 1.33 real). Here the low-noise expert keeps the anchor (finetune --anchor-feet 300)
# and adds a phase-blind root speed term (finetune --lambda-root-speed W): each clip's mean horizontal root speed
# against the truth's, whatever the phase of its steps, so the planted feet must travel as far as the truth's.
#
#   bash scripts/realism_speed.sh              # train, pair, generate, evaluate (skips what exists under $RUNS)
#   SEEDS="0" CANDS="afs1 afs3" STAGE=train bash scripts/realism_speed.sh   # only those fine-tunes
#   STAGE=motion bash scripts/realism_speed.sh # pairs, skating/root-speed probes and motion evaluations only
#   STAGE=seeds bash scripts/realism_speed.sh  # everything but training, with afu1's training seeds 1-2 at the sensors
#
# Candidates (paired at t = 300 below the shipped refined_lacc, like `refined`):
#   afs1  afimu (§13: imulo's recipe + --anchor-feet 300) + --lambda-root-speed 1
#   afs3  the same with weight 3
#   afu   afimu + --anchor-contact union: the anchor holds every foot within 5 cm of the floor, whatever its contact
#         labels say (afs1/afs3 travel but their runners skate where the labels mark no stance; §14)
#   afu1  afu + --lambda-root-speed 1
#   afuf  afu1 + --lambda-fc 10 (MDM's foot contact term on the anchored prediction, the truth's labels, t < 300): every
#         labelled foot joint must stand, not only the one the anchor holds; the speed term keeps it from freezing (§7)
#   afu1a3  afu1 with the paper's L_acc at weight 3 instead of 1 (§15: afu1's L_acc gain, -11.4 %, misses -12.7 %)
#   afu1i5  afu1 with the IMU-space term at weight 0.05 instead of 0.03 (§12: the weight that moves the L_acc gain)
# ~27 min of training per seed on one CPU core (two side by side).
OUT="${OUT:-docs/realism/speed}"
source "$(dirname "$0")/realism_common.sh"
AFIMU="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
declare -A ARGS=([afs1]="$AFIMU --lambda-root-speed 1" [afs3]="$AFIMU --lambda-root-speed 3"
                 [afu]="$AFIMU --anchor-contact union" [afu1]="$AFIMU --anchor-contact union --lambda-root-speed 1"
                 [afuf]="$AFIMU --anchor-contact union --lambda-root-speed 1 --lambda-fc 10"
                 [afu1a3]="${AFIMU/--lambda-acc 1/--lambda-acc 3} --anchor-contact union --lambda-root-speed 1"
                 [afu1i5]="${AFIMU/--lambda-imu 0.03/--lambda-imu 0.05} --anchor-contact union --lambda-root-speed 1")
SEEDS=(${SEEDS:-0})
CANDS=(${CANDS:-afs1 afs3})
train_stage anc
[ "$STAGE" = train ] && exit 0

mkdir -p "$OUT/training"
link_shipped
DONE=()  # "CAND_sSEED" of the trained candidates
for c in afs1 afs3 afu afu1 afuf afu1a3 afu1i5; do
  for s in 0 1 2; do
    trained "$RUNS/anc_${c}_s$s" || continue
    cp "$RUNS/anc_${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"
    pair "pair_${c}_s$s" refined_lacc "anc_${c}_s$s"  # records meta.sampling.anchor_feet 300 (the low expert's)
    DONE+=("${c}_s$s")
  done
done

# 1. does the root travel? skating, joint acceleration and root speed (per activity) of the 132 test clips, guidance 1,
# beside the real clips (the probe's "real") and afimu (docs/realism/anchor/skating_probe.json)
for cs in "${DONE[@]}"; do
  [ -f "$OUT/skating_probe_$cs.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1.0 \
    --checkpoint "$RUNS/pair_$cs/model.safetensors@anchor=300" --json "$OUT/skating_probe_$cs.json"
done
# 2. motion quality on the test split at guidance 1, paired with the continued control's and afimu's seed 0
motion_evals $(printf "pair_%s " "${DONE[@]}")
python scripts/motion_eval_stats.py $(for cs in "${DONE[@]}"; do echo "$OUT/motion_eval_$cs.json"; done) \
  docs/realism/spec/motion_eval_g1.json docs/realism/anchor/motion_eval_s0.json \
  $(for cs in "${DONE[@]}"; do c=${cs%_s*}; echo "--pair wf_control:pair_$c --pair pair_afimu:pair_$c"
    [[ $c == afu1?* ]] && echo "--pair pair_afu1:pair_$c"; done | sort -u) \
  --out "$OUT/motion_eval_stats.json"
[ "$STAGE" = motion ] && exit 0

# 3. the sensors, generation seed 0 of training seed 0: refined, afimu and each candidate side by side against the
# three realism references and HAR on BasicMotions and the WISDM watch
store_inputs
GEN=(${GEN:-0})
GEN_ARGS="--guidance 1.0" gen refined "$RUNS/refined/model.safetensors" "${GEN[@]}"
GEN_ARGS="--guidance 1.0" gen afimu "$RUNS/pair_afimu_s0/model.safetensors" "${GEN[@]}"
SETS=()
SCREEN=(${SCREEN:-afs1 afu1})  # afs3, afu left out: their motion figures are afs1's, afimu's within noise
for cs in "${DONE[@]}"; do
  [ "${cs##*_s}" = 0 ] || continue
  c=${cs%_s*}
  [[ " ${SCREEN[*]} " == *" $c "* ]] || continue
  GEN_ARGS="--guidance 1.0" gen "$c" "$RUNS/pair_$cs/model.safetensors" "${GEN[@]}"
  SETS+=("$(stores "$c" "${GEN[@]}")")
done
[ -f "$OUT/screen/har_wisdm/results.json" ] || OUT="$OUT/screen" seeded_eval refined "$(stores refined "${GEN[@]}")" \
  "$(stores afimu "${GEN[@]}")" "${SETS[@]}"
# afuf (trained after the first screen): beside refined and afu1 (the same stores and fits: their figures repeat)
if trained "$RUNS/anc_afuf_s0"; then
  GEN_ARGS="--guidance 1.0" gen afuf "$RUNS/pair_afuf_s0/model.safetensors" "${GEN[@]}"
  [ -f "$OUT/screen_afuf/har_wisdm/results.json" ] || OUT="$OUT/screen_afuf" seeded_eval refined \
    "$(stores refined "${GEN[@]}")" "$(stores afu1 "${GEN[@]}")" "$(stores afuf "${GEN[@]}")"
fi

# afu1's training seeds 1-2 at the sensors (STAGE=seeds, after `SEEDS="1 2" CANDS=afu1 STAGE=train`): generation seed 0
# of each (paired above, with the other trained runs) beside refined and training seed 0 in one run
if [ "$STAGE" = seeds ] || [ "$STAGE" = all ]; then
  for t in 1 2; do GEN_ARGS="--guidance 1.0" gen "afu1t$t" "$RUNS/pair_afu1_s$t/model.safetensors" "${GEN[@]}"; done
  [ -f "$OUT/screen_afu1_seeds/har_wisdm/results.json" ] || OUT="$OUT/screen_afu1_seeds" seeded_eval refined \
    "$(stores refined "${GEN[@]}")" "$(stores afu1 "${GEN[@]}")" "$(stores afu1t1 "${GEN[@]}")" "$(stores afu1t2 "${GEN[@]}")"
fi
