#!/bin/bash
# Issue 14, ninth round (docs/realism.md §13): the root follows the feet in the network. The sampler's
# --anchor-feet (§10.3) corrects a model that was never trained with it; here the low-noise expert is trained
# through the same correction (finetune --anchor-feet 300: its x0 predictions' root velocity, in the frames its own
# contact channels mark as standing, is the standing foot's motion relative to the body, and every loss sees
# that), a root-from-feet output parameterisation, and sampled with it, as its checkpoint records.
#
#   bash scripts/realism_anchor.sh              # train, pair, generate, evaluate (skips what exists under $RUNS)
#   SEEDS="0 1" STAGE=train bash scripts/realism_anchor.sh   # only the fine-tunes of those training seeds
#   STAGE=eval bash scripts/realism_anchor.sh   # only the evaluations
#
# Candidate (paired at t = 300 below the shipped refined_lacc, like `refined`):
#   afimu  imulo's recipe (lambda_imu 0.03, t < 300) + --anchor-feet 300
#   af     the same without the IMU-space term (lambda_imu 0): is it the anchor or the term that damps the walkers?
#          (CANDS=af SEEDS=0 bash scripts/realism_anchor.sh)
#   afimur afimu + --lambda-root-raw 1: the network's own root output trained in standing frames too, since it
#          decides which foot joint the anchor holds (CANDS=afimur SEEDS=0)
# ~27 min of training per seed on one CPU core (two side by side), ~15 min of evaluation per generation seed.
OUT="${OUT:-docs/realism/anchor}"
source "$(dirname "$0")/realism_common.sh"
declare -A ARGS=([afimu]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300"
                 [af]="--lambda-acc 1 --train-t-max 300 --anchor-feet 300"
                 [afimur]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --train-t-max 300 --anchor-feet 300 --lambda-root-raw 1")
SEEDS=(${SEEDS:-0 1 2})
CANDS=(${CANDS:-afimu})
train_stage anc
[ "$STAGE" = train ] && exit 0

mkdir -p "$OUT/training"
link_shipped
DONE=() AF=() OTHER=()  # trained seeds of afimu; of af; "CAND_sSEED" of the other candidates
for c in afimu af afimur; do
  for s in 0 1 2; do
    trained "$RUNS/anc_${c}_s$s" || continue
    cp "$RUNS/anc_${c}_s$s/metrics.csv" "$OUT/training/metrics_${c}_s$s.csv"
    pair "pair_${c}_s$s" refined_lacc "anc_${c}_s$s"  # records meta.sampling.anchor_feet 300 (the low expert's)
    case "$c" in afimu) DONE+=("$s") ;; af) AF+=("$s") ;; *) OTHER+=("${c}_s$s") ;; esac
  done
done

# motion quality on the test split at guidance 1, the noise of every motion figure since §8; paired with the
# continued control's and the shipped pair's training seeds (same seed k with seed k)
for s in "${DONE[@]}"; do
  [ -f "$OUT/motion_eval_s$s.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
    $(ck "pair_afimu_s$s") --json "$OUT/motion_eval_s$s.json" --markdown "$OUT/motion_eval_s$s.md"
done
for cs in "${AF[@]/#/af_s}" "${OTHER[@]}"; do
  [ -f "$OUT/motion_eval_$cs.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
    $(ck "pair_$cs") --json "$OUT/motion_eval_$cs.json" --markdown "$OUT/motion_eval_$cs.md"
done
# pooled with the continued control's seeds (spec/motion_eval_g1.json), the shipped pair's (experts/) and the
# shipped pair sampled with --anchor-feet 1 (root/motion_eval_anchor.json, `anchored`), seed k with seed k
python scripts/motion_eval_stats.py $(for s in "${DONE[@]}"; do echo "$OUT/motion_eval_s$s.json"; done) \
  $(for cs in "${AF[@]/#/af_s}" "${OTHER[@]}"; do echo "$OUT/motion_eval_$cs.json"; done) \
  docs/realism/spec/motion_eval_g1.json docs/realism/experts/motion_eval.json \
  docs/realism/experts/motion_eval_pair_s12.json docs/realism/root/motion_eval_anchor.json \
  --pair wf_control:pair_afimu --pair pair_imulo300:pair_afimu --pair anchored:pair_afimu \
  --pair wf_control:anchored $([ ${#AF[@]} -gt 0 ] && echo --pair wf_control:pair_af --pair pair_afimu:pair_af) \
  $(for cs in "${OTHER[@]}"; do echo "--pair wf_control:pair_${cs%_s*} --pair pair_afimu:pair_${cs%_s*}"; done) \
  --out "$OUT/motion_eval_stats.json"

# the sensors, generation seed 0 of training seed 0 (GEN="0 1 2 3" for more): the candidate (its recorded anchor
# 300), the shipped refined and the shipped refined sampled with --anchor-feet 1, side by side; realism against the
# three references and HAR (8 fits) on BasicMotions and the WISDM watch
store_inputs
GEN=(${GEN:-0})
GEN_ARGS="--guidance 1.0" gen refined "$RUNS/refined/model.safetensors" "${GEN[@]}"
GEN_ARGS="--guidance 1.0 --anchor-feet 1" gen refanc "$RUNS/refined/model.safetensors" "${GEN[@]}"
GEN_ARGS="--guidance 1.0" gen afimu "$RUNS/pair_afimu_s0/model.safetensors" "${GEN[@]}"
[ -f "$OUT/screen/har_wisdm/results.json" ] || OUT="$OUT/screen" seeded_eval refined "$(stores refined "${GEN[@]}")" \
  "$(stores refanc "${GEN[@]}")" "$(stores afimu "${GEN[@]}")"
if [ ${#AF[@]} -gt 0 ]; then  # the ablation beside the candidate and refined, generation seed 0 of training seed 0
  GEN_ARGS="--guidance 1.0" gen af "$RUNS/pair_af_s0/model.safetensors" "${GEN[@]}"
  [ -f "$OUT/screen_af/har_wisdm/results.json" ] || OUT="$OUT/screen_af" seeded_eval refined \
    "$(stores refined "${GEN[@]}")" "$(stores afimu "${GEN[@]}")" "$(stores af "${GEN[@]}")"
fi

# training seeds 0-2, 4 generation seeds each (STAGE=seeds; after the fine-tunes of all three seeds): sets named
# afimu_tSEED against the three realism references and HAR, summarised like the shipped pair's
# (docs/realism/experts/seeds_pair/training_seeds.json) and the sampler-anchored pair's (docs/realism/root/seeds/)
if [ "$STAGE" = seeds ] || [ "$STAGE" = all ]; then
  GEN_ARGS="--guidance 1.0" gen afimu "$RUNS/pair_afimu_s0/model.safetensors" 0 1 2 3
  for t in 1 2; do GEN_ARGS="--guidance 1.0" gen "afimut$t" "$RUNS/pair_afimu_s$t/model.safetensors" 0 1 2 3; done
  ren() { stores "$1" 0 1 2 3 | sed "s/^$1=/$2=/"; }
  [ -f "$OUT/seeds/har_wisdm/results.json" ] || OUT="$OUT/seeds" seeded_eval afimu_t0 "$(ren afimu afimu_t0)" \
    "$(ren afimut1 afimu_t1)" "$(ren afimut2 afimu_t2)"
  python scripts/training_seed_summary.py $(for r in mocap basicmotions wisdm; do
    printf -- "--realism %s=%s " "$r" "$OUT/seeds/realism_$r/realism.json"; done) \
    --har "basicmotions=$OUT/seeds/har_basicmotions/results.json" --har "wisdm=$OUT/seeds/har_wisdm/results.json" \
    --out "$OUT/seeds/training_seeds.json"
fi
