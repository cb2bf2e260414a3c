#!/bin/bash
# Issue 14, §29: st_kv3 (the keep-spread term, §28) with a hold on the root's ground speed (imusim selftune
# --lambda-stay-speed 1, new): §29 found that st_kv3's FID rise is its runners slowing from 2.7 to 2.0 m/s, which no
# accelerometer term sees. Trains st_kv3sp_s0, then its motion evaluation, the FID channel probe against the shipped
# refined and the spread probe into docs/realism/fid/speed; without STAGE=train also the still-standers protocol's
# 4 generation stores and HAR (BasicMotions, the WISDM watch) and the wrist checks.
#   STAGE=train bash scripts/realism_speedhold.sh   # ~35 min on one core
#   SEEDS="1 2" STAGE=train bash scripts/realism_speedhold.sh   # selftune seeds 1 and 2 (~40 min on two cores)
#   bash scripts/realism_speedhold.sh               # then ~35 min more on two
OUT=docs/realism/fid/speed
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
declare -A ARGS=([st_kv3sp]="--lambda-keep-spread 3 --lambda-stay-speed 1")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0"
CANDS=(st_kv3sp)
SEEDS=(${SEEDS:-0})
selftune_train
# the shipped refined evaluated under this data set's FID encoder (the base of the FID attributions: evaluations under
# different encoders cannot be paired; §29's docs/realism/fid/motion_eval_afu1i5hs7.json was under the encoder of its
# machine)
link_shipped_pair
OMP_NUM_THREADS=1 motion_evals pair_afu1i5hs7
P=(--prompt "a person walks forward." --prompt "a person walks slowly." --prompt "a person runs forward."
  --prompt "a person walks forward at a normal pace." --prompt "a person walks and turns left.")
for r in $(cand_runs); do
  link_st "$r"
  [ -f "$OUT/sampler_$r.json" ] || OMP_NUM_THREADS=1 python scripts/spread_probe.py --data "$DATA" \
    --sample "$r=$RUNS/st/$r/model.safetensors,rec,ddim" "${P[@]}" --json "$OUT/sampler_$r.json" \
    > "$OUT/sampler_$r.log" 2>&1 &
  OMP_NUM_THREADS=1 motion_evals "$r" &
  wait
  [ -f "$OUT/channels_$r.json" ] || OMP_NUM_THREADS=2 python scripts/fid_channels.py --data "$DATA" \
    --base "$RUNS/eval/pair_afu1i5hs7/model.safetensors" --cand "$RUNS/eval/$r/model.safetensors" \
    --json "$OUT/channels_$r.json" > "$OUT/channels_$r.log" 2> "$RUNS/fid_channels_$r.err"
  [ -f "$OUT/attribution_$r.json" ] || python scripts/fid_attribution.py \
    --base "$OUT/motion_eval_afu1i5hs7.json" --cand "$OUT/motion_eval_$r.json" \
    --json "$OUT/attribution_$r.json" > "$OUT/attribution_$r.log"
done
r=st_kv3sp_s0
[ -f "$OUT/lacc_vs_control.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
  docs/realism/ship/motion_eval_afu1i5hs7_s0.json docs/realism/keep/motion_eval_st_kv3_s0.json \
  "$OUT/motion_eval_$r.json" --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3 --pair wf_control:st_kv3sp \
  --pair pair_afu1i5hs7:st_kv3sp --pair st_kv3:st_kv3sp --out "$OUT/lacc_vs_control.json" \
  > "$OUT/lacc_vs_control.log" 2>&1
# with seeds 1 and 2 as well: L_acc over the three selftune seeds against the continued control, the shipped pair's
# three training seeds and st_kv3's three
if [ -f "$OUT/motion_eval_st_kv3sp_s1.json" ] && [ -f "$OUT/motion_eval_st_kv3sp_s2.json" ]; then
  [ -f "$OUT/lacc_seeds.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
    docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json docs/realism/keep/motion_eval_st_kv3_s{0,1,2}.json \
    "$OUT"/motion_eval_st_kv3sp_s{0,1,2}.json --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3 \
    --pair wf_control:st_kv3sp --pair pair_afu1i5hs7:st_kv3sp --pair st_kv3:st_kv3sp \
    --out "$OUT/lacc_seeds.json" > "$OUT/lacc_seeds.log" 2>&1
fi
[ "$STAGE" = train ] && exit 0
gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"
export OMP_NUM_THREADS=2
like_for_like "$OUT" "$(stores afu1i5hs7 0 1 2 3)" "$(stores st_kv3_s0 0 1 2 3)" "$(stores "$r" 0 1 2 3)"
har_evals "$(stores original 0 1 2 3)" "$(stores smooth2 0 1 2 3)" "$(stores afu1i5hs7 0 1 2 3)" \
  "$(stores st_kv3_s0 0 1 2 3)" "$(stores "$r" 0 1 2 3)"
har_versus --versus "$r:original" --versus "$r:smooth2" --versus "$r:afu1i5hs7" --versus "$r:st_kv3_s0"
