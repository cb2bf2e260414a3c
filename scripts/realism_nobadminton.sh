#!/bin/bash
# Issue 14, §35.2: the still-standers protocol's HAR on BasicMotions with and without its badminton class. §33.4 found
# the HAR spread between models running through badminton (rho +0.87 with its F1), a class the realism target does not
# measure and the data hold no source for; without it the score is the walkers', runners' and standers' (as the WISDM
# watch's already is). Every protocol configuration's four generation stores ($HAR_DIR, as the protocol runs left
# them), random forest only (8 fits per set, the protocol's seeds: each set's 4-class figures equal its protocol
# run's), in one run with badminton and one without (docs/realism/nobadminton/bm3_labels.yaml); then per configuration
# over its training seeds and fit for fit against `original`, the smoothing baseline and the shipped refined
# (scripts/training_seed_summary.py), and per set the per-class F1 and the confusion (scripts/har_class_spread.py,
# with the sets' wrist intensity ratios from §33.4's spread). ~15 min on two cores; ht1c2g2's seeds 1-2 (§35.1), once
# their stores exist, in a run of their own beside the three baselines (*_ht1c2g2).
#   bash scripts/realism_nobadminton.sh
OUT="${OUT:-docs/realism/nobadminton}"
HAR_DIR=runs/har_still
source scripts/realism_common.sh
export OMP_NUM_THREADS=2
SPREAD=docs/realism/walkers/hightune/wrist/s2/har_class_spread.json  # the sets' intensity ratios (§33.4)
GROUPS_=(--group st_kv3ts1=st_kv3ts1_s0,st_kv3ts1_s1,st_kv3ts1_s2 --group ht1w05g2=ht1w05g2_s0,ht1w05g2_s1,ht1w05g2_s2
         --group ht1c2g2=ht1c2g2_s0,ht1c2g2_s1,ht1c2g2_s2)

bm_runs() {  # bm_runs TAG SET...: RF HAR of the sets with (bm4) and without (bm3) badminton into $OUT/har_bm{4,3}TAG,
  # their summaries against the baselines into $OUT/har_bm{4,3}TAG_versus.{json,log} and the per-class spread into
  # $OUT/har_bm{4,3}TAG_class_spread.{json,log}; the evaluation skipped when it exists
  local tag=$1 k d n c b syn=() vs=() lab=()
  shift
  for n in "$@"; do syn+=(--synthetic "$(stores "$n" 0 1 2 3)"); done
  for c in st_kv3ts1 st_kv3ts1g2_s0 st_kv3ts3_s0 st_kv3tw1_s0 ht1g2_s0 ht1w05g2 ht1c2g2 afu1i5hs7; do
    for b in original smooth2 afu1i5hs7; do [ "$c" = "$b" ] || vs+=(--versus "$c:$b"); done
  done
  for k in 4 3; do
    d="$OUT/har_bm$k$tag"
    lab=()
    [ "$k" = 3 ] && lab=(--labels "$OUT/bm3_labels.yaml")
    [ -f "$d/results.json" ] || imusim evaluate --real basicmotions --classifiers rf --repeats 8 --reference original \
      --upper-bound skip "${lab[@]}" --out "$d" "${syn[@]}" > "$d.log" 2>&1
    python scripts/training_seed_summary.py --har "bm$k=$d/results.json" "${GROUPS_[@]}" "${vs[@]}" \
      --out "${d}_versus.json" > "${d}_versus.log" 2>&1
    python scripts/training_seed_summary.py --har "bm$k=$d/results.json" --out "${d}_sets.json" > /dev/null
    python scripts/har_class_spread.py "${d}_sets.json" --real "bm$k" --intensity-from "$SPREAD" \
      --out "${d}_class_spread.json" > "${d}_class_spread.log"
  done
}

bm_runs "" original smooth2 afu1i5hs7 st_kv3ts1_s0 st_kv3ts1_s1 st_kv3ts1_s2 st_kv3ts1g2_s0 st_kv3ts3_s0 st_kv3tw1_s0 \
  st_kv3sp_s1 st_kv3sp_s2 ht1g2_s0 ht1w05g2_s0 ht1w05g2_s1 ht1w05g2_s2 ht1c2g2_s0
done_=1
for f in "$HAR_DIR"/ht1c2g2_s{1,2}_s{0,1,2,3}/summary.json; do [ -f "$f" ] || done_=0; done
if [ "$done_" = 1 ]; then bm_runs _ht1c2g2 original smooth2 afu1i5hs7 ht1c2g2_s0 ht1c2g2_s1 ht1c2g2_s2
else echo "ht1c2g2 seeds 1-2: not all their stores are generated yet (the protocol of §35.1 first)"; fi
# the WISDM watch's HAR (walking, jogging, standing: no badminton class) per protocol configuration, from each protocol
# run's own evaluation and its own WISDM realism (the runs §33.4's spread reads, §34.1's and §35.1's): per-class F1,
# confusion, and the rank correlation of the macro-F1 with the right wrist's intensity ratios to the watch itself
R=docs/realism
V=()
for d in $R/still $R/keep $R/fid/speed $R/fid/speed/seeds $R/walkers/{anchor,guided,hightune,truewrist,truespeed} \
         $R/walkers/truespeed/seeds $R/walkers/truespeed/seeds/s2 $R/walkers/hightune/wrist \
         $R/walkers/hightune/wrist/s{1,2} \
         $R/walkers/hightune/caption $R/walkers/hightune/caption/s{1,2}; do
  [ -f "$d/har_wisdm/results.json" ] || continue  # a protocol run still owed
  v="$OUT/wisdm_runs/${d#"$R"/}/har_wisdm_versus.json"
  mkdir -p "$(dirname "$v")"
  [ -f "$v" ] || python scripts/training_seed_summary.py --realism wisdm="$d/realism_wisdm/realism.json" \
    --har wisdm="$d/har_wisdm/results.json" --out "$v" > /dev/null
  V+=("$v")
done
python scripts/har_class_spread.py "${V[@]}" --real wisdm --sensor wrist_r \
  --out "$OUT/wisdm_class_spread.json" > "$OUT/wisdm_class_spread.log"
