#!/bin/bash
# Issue 14, fourteenth round (docs/realism.md §18): which mocap is the like-for-like reference for the generated
# walking and running, and where the generated windows' excess intensity sits (prompt, acting style, spikes).
# The shipped `refined` (afu1i5hs7, training seed 0), `refined_v2`, `original` (guidance 2.5, its recorded scale) and
# the smoothing baseline (original + sigma 2 frames), 4 generation seeds x 192 motions each (the stores of §16's
# protocol, regenerated), against: the rendered mocap of every acting style (the reference of §5-§17), the rendered
# mocap of the 'normal' style only (generate --mocap-styles normal: the clips that prompts without a style word were
# trained on), BasicMotions and the WISDM watch, each broken down by prompt (realism --by prompt); the mocap broken
# down by acting style against the three references (realism --by style).
#
#   bash scripts/realism_reference.sh      # ~1.5 h on 2 cores (16 stores two at a time, one 1,000-step fine-tune, the
#                                          # probes), skips what exists
OUT="${OUT:-docs/realism/reference}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
link_shipped
MOCAP=(--from-mocap ../shared/data --activities docs/realism/mocap/activities.yaml --rate 50)
normal_mocap_store
[ -f out/realism/mocap_store_styles/meta.json ] || imusim generate "${MOCAP[@]}" --per-activity 1500 \
  --sensors wrist_l,wrist_r --out out/realism/mocap_store_styles
GEN=(0 1 2 3)
link_original
# the shipped refined is afu1i5hs7 (its stores keep §16's name); $RUNS/refined is refined_v2 (realism_common.sh)
{ GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined_v3.safetensors "${GEN[@]}"
  gen original "$RUNS/original_s0/model.safetensors" "${GEN[@]}"; } > "$RUNS/reference_gen_a.log" 2>&1 &
{ GEN_ARGS="--guidance 1.0" gen refined "$RUNS/refined/model.safetensors" "${GEN[@]}"
  GEN_ARGS="--smooth 2" gen smooth2 "$RUNS/original_s0/model.safetensors" "${GEN[@]}"; } > "$RUNS/reference_gen_b.log" 2>&1 &
wait
SETS=()
for n in afu1i5hs7 refined original smooth2; do SETS+=("$(stores "$n" "${GEN[@]}")"); done
R=(--by prompt --bootstrap 500)
[ -f "$OUT/realism_mocap_normal/realism.json" ] || imusim realism --synthetic "${SETS[@]}" \
  --reference store:out/realism/mocap_store_normal --sensor wrist_r "${R[@]}" --out "$OUT/realism_mocap_normal"
[ -f "$OUT/realism_mocap_all/realism.json" ] || imusim realism --synthetic "${SETS[@]}" \
  --reference store:out/realism/mocap_store --sensor wrist_r "${R[@]}" --out "$OUT/realism_mocap_all"
[ -f "$OUT/realism_basicmotions/realism.json" ] || imusim realism --synthetic "${SETS[@]}" \
  mocap_normal=out/realism/mocap_store_normal --reference basicmotions --sensor wrist_l "${R[@]}" \
  --out "$OUT/realism_basicmotions"
[ -f "$OUT/realism_wisdm/realism.json" ] || imusim realism --synthetic "${SETS[@]}" \
  mocap_normal=out/realism/mocap_store_normal --reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
  --labels docs/realism/mocap/wisdm_labels.yaml "${R[@]}" --out "$OUT/realism_wisdm"
# the mocap by acting style against the real watches and the normal-style mocap
for ref in basicmotions wisdm normal; do
  case $ref in
    basicmotions) A=(--reference basicmotions --sensor wrist_l);;
    wisdm) A=(--reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz --labels docs/realism/mocap/wisdm_labels.yaml);;
    normal) A=(--reference store:out/realism/mocap_store_normal --sensor wrist_r);;
  esac
  [ -f "$OUT/mocap_styles_$ref/realism.json" ] || imusim realism --synthetic mocap=out/realism/mocap_store_styles \
    "${A[@]}" --by style --bootstrap 200 --out "$OUT/mocap_styles_$ref"
done
# is the BasicMotions excess the low-pass gravity removal? (a gyro-aided estimate instead)
[ -f "$OUT/gravity_removal_probe.json" ] || python scripts/gravity_removal_probe.py --synthetic mocap=out/realism/mocap_store \
  --sensor wrist_r --json "$OUT/gravity_removal_probe.json"
# how impulsive the samples are (crest factor of wrist and root acceleration), the data's clips, refined's trajectory
[ -f "$OUT/impulsiveness.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" --checkpoint refined_v3 \
  --checkpoint refined_v2 --checkpoint original --per-prompt 16 --trajectory refined --json "$OUT/impulsiveness.json"
[ -f "$OUT/anchor_spike_probe.log" ] || python scripts/anchor_spike_probe.py > "$OUT/anchor_spike_probe.log"
# the anchor holding only still feet (contact 'planted'), the shipped networks
[ -f "$OUT/impulsiveness_planted.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" --checkpoint refined_v3 \
  --label refined_planted --anchor-contact planted --per-prompt 16 --json "$OUT/impulsiveness_planted.json"
# a kurtosis term in the high-noise expert (refined_lacc's recipe + --lambda-kurtosis 1, training seed 0), paired above
# the shipped refined's low expert and sampled like refined (guidance 1)
K="$RUNS/lacc_kurt_s0"
trained "$K" || imusim finetune "${FT[@]}" --out "$K" --seed 0 --lambda-acc 1.0 --lambda-kurtosis 1.0 > "$K.log" 2>&1
mkdir -p "$OUT/training" "$RUNS/screen"
cp "$K/metrics.csv" "$OUT/training/metrics_lacc_kurt_s0.csv"
below_shipped "$K/model.safetensors" "$RUNS/screen/kurt_pair.safetensors"
[ -f "$OUT/impulsiveness_kurtosis_screen.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" \
  --checkpoint "$RUNS/screen/kurt_pair.safetensors" --label lacc_kurt_pair --guidance 1.0 --per-prompt 16 \
  --json "$OUT/impulsiveness_kurtosis_screen.json"
# captions that name the pace (data build --caption-paraphrases): refined_lacc's recipe on them (training seed 0) as the
# high-noise expert above the shipped low expert; the shipped refined and it on walking prompts that speak of pace
# (none of them a training caption) and on in-vocabulary ones
PACE=(--prompt "a person walks forward." --prompt "a person walks forward at a normal pace."
      --prompt "a person walks at a regular pace." --prompt "a person walks at an ordinary speed."
      --prompt "a person walks slowly." --prompt "a person walks energetically." --prompt "a person walks briskly."
      --prompt "a person runs forward.")
[ -f "$RUNS/data_pace/meta.json" ] || imusim data build --out "$RUNS/data_pace" --facing anatomical --caption-paraphrases
L="$RUNS/lacc_pace_s0"
trained "$L" || imusim finetune "${FT[@]/$DATA/$RUNS/data_pace}" --out "$L" --seed 0 --lambda-acc 1.0 > "$L.log" 2>&1
cp "$L/metrics.csv" "$OUT/training/metrics_lacc_pace_s0.csv"
below_shipped "$L/model.safetensors" "$RUNS/screen/pace_pair.safetensors"
[ -f "$OUT/pace_screen_refined.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" --checkpoint refined_v3 \
  --guidance 1.0 --per-prompt 16 "${PACE[@]}" --json "$OUT/pace_screen_refined.json"
[ -f "$OUT/pace_screen_lacc_pace.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" \
  --checkpoint "$RUNS/screen/pace_pair.safetensors" --label lacc_pace_pair --guidance 1.0 --per-prompt 16 "${PACE[@]}" \
  --json "$OUT/pace_screen_lacc_pace.json"
# the same model without text (guidance 0: every prompt is sampled alike)
[ -f "$OUT/pace_screen_refined_guidance0.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" \
  --checkpoint refined_v3 --label refined_guidance0 --guidance 0 --per-prompt 16 --prompt "a person walks forward." \
  --prompt "a person walks forward at a normal pace." --prompt "a person walks energetically." \
  --json "$OUT/pace_screen_refined_guidance0.json"
