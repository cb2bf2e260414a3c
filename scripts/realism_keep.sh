#!/bin/bash
# Issue 14, twenty-fourth round (docs/realism.md §28): the walkers' intensity spread. §27.4 found it made by the shipped
# low expert: handed a nearly finished motion by the high expert, it damps some walkers to near stillness (log variance
# of the right wrist's RMS |a| over 32 motions of "a person walks forward." 0.267 with the high expert alone, 0.380 with
# the pair; p10 6.9 -> 3.2 m/s^2), and the HAR protocol's real standers are read as those walkers (144 of 480). Here:
#   - the sampler: the high expert at guidance 2.5 or 1.5 with the low expert at 1 (ExpertPair.low_guidance;
#     spread_probe.py --sample ...,LOW_GUIDANCE), beside the shipped pair on the protocol's walking prompts;
#   - st_kp1: `imusim selftune --lambda-keep 1` (new): the low expert finishes each pooled hand-over state keeping the
#     IMU band powers of the high expert's own finish of it, 0-3 Hz both ways, the texture from 3 Hz up allowed to fall;
#     the shipped low expert's noised-truth recipe beside it;
#   - st_kv3: `imusim selftune --lambda-keep-spread 3` (new): only the unevenness of the low expert's damping, the
#     variance over the batch of the log ratio of each finished motion's 0-3 Hz accelerometer power to the high
#     expert's finish of it (a damping common to every motion is free).
# Then its spread, its 4 generation stores with the still-standers protocol (docs/realism/still/activities.yaml),
# realism by prompt, HAR on BasicMotions and the WISDM watch against original / smoothing / shipped fit for fit, and
# L_acc against the continued control.
#   bash scripts/realism_keep.sh                    # ~100 min on 2 cores (skips what exists)
#   STAGE=train bash scripts/realism_keep.sh        # the fine-tunes and the spread probes only
#   PROTO="st_kv3_s0" bash scripts/realism_keep.sh   # the protocol for these runs only
#   CANDS=st_kv3 SEEDS="1 2" STAGE=train bash scripts/realism_keep.sh   # st_kv3's selftune seeds 1 and 2 (and their
#                                                    # spread probes); a full run then evaluates them (L_acc, 3 seeds)
OUT="${OUT:-docs/realism/keep}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR="${RUNS:-runs}/har_still"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
mkdir -p "$OUT"
P=(--prompt "a person walks forward." --prompt "a person walks slowly." --prompt "a person runs forward."
  --prompt "a person walks forward at a normal pace." --prompt "a person walks and turns left.")
# the sampler alone: the shipped pair, and its high expert at 2.5 / 1.5 with the low expert at 1
[ -f "$OUT/sampler_shipped.json" ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
  --sample shipped=refined,rec,ddim "${P[@]}" --json "$OUT/sampler_shipped.json" > "$OUT/sampler_shipped.log" 2>&1 &
[ -f "$OUT/sampler_lowg.json" ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
  --sample pair_h25_l1=refined,2.5,ddim,,1 --sample pair_h15_l1=refined,1.5,ddim,,1 "${P[@]}" \
  --json "$OUT/sampler_lowg.json" > "$OUT/sampler_lowg.log" 2>&1 &
declare -A ARGS=([st_kp1]="--lambda-keep 1" [st_kv3]="--lambda-keep-spread 3")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0"
CANDS=(${CANDS:-st_kp1 st_kv3})
SEEDS=(${SEEDS:-0})
selftune_train
for r in $(cand_runs); do
  [ -f "$OUT/sampler_$r.json" ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
    --sample "$r=$RUNS/st/$r/model.safetensors,rec,ddim" "${P[@]}" --json "$OUT/sampler_$r.json" > "$OUT/sampler_$r.log" 2>&1 &
done
wait
[ "$STAGE" = train ] && exit 0
# the protocol for PROTO's runs (default: every candidate)
PROTO=(${PROTO:-$(cand_runs)})
GEN=(0 1 2 3)
for r in "${PROTO[@]}"; do link_st "$r"; gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
NEW=(); for r in "${PROTO[@]}"; do NEW+=("$(stores "$r" "${GEN[@]}")"); done
export OMP_NUM_THREADS=2
like_for_like "$OUT" "$(stores afu1i5hs7 "${GEN[@]}")" "${NEW[@]}"
[ -f "$OUT/spread.json" ] || python scripts/spread_probe.py --set "$(stores afu1i5hs7 "${GEN[@]}")" \
  $(for s in "${NEW[@]}"; do echo "--set $s"; done) --json "$OUT/spread.json" > "$OUT/spread.log" 2>&1
har_evals "$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "$(stores afu1i5hs7 "${GEN[@]}")" "${NEW[@]}"
VS=$(for r in "${PROTO[@]}"; do echo "--versus $r:original --versus $r:smooth2 --versus $r:afu1i5hs7"; done)
# shellcheck disable=SC2086
har_versus $VS
for r in "${PROTO[@]}"; do motion_evals "$r"; done
[ -f "$OUT/lacc_vs_control.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
  docs/realism/ship/motion_eval_afu1i5hs7_s0.json $(for r in "${PROTO[@]}"; do echo "$OUT/motion_eval_$r.json"; done) \
  --pair wf_control:pair_afu1i5hs7 $(for r in "${PROTO[@]}"; do echo "--pair wf_control:${r%_s*} --pair pair_afu1i5hs7:${r%_s*}"; done) \
  --out "$OUT/lacc_vs_control.json" > "$OUT/lacc_vs_control.log" 2>&1
# with CANDS=st_kv3 SEEDS="1 2" STAGE=train done as well: the motion evaluation of st_kv3's seeds 1 and 2, and L_acc over
# its three selftune seeds against the continued control and the shipped pair's three training seeds
if [ -f "$RUNS/st/st_kv3_s1/model.safetensors" ] && [ -f "$RUNS/st/st_kv3_s2/model.safetensors" ]; then
  for s in 1 2; do link_st "st_kv3_s$s"; OMP_NUM_THREADS=1 motion_evals "st_kv3_s$s" & done
  wait
  [ -f "$OUT/lacc_seeds.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
    docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json "$OUT"/motion_eval_st_kv3_s{0,1,2}.json \
    --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3 --pair pair_afu1i5hs7:st_kv3 \
    --out "$OUT/lacc_seeds.json" > "$OUT/lacc_seeds.log" 2>&1
fi
