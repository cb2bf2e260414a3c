#!/bin/bash
# Issue 14, §33: the true-speed term on the low expert plateaus at ~0.11 (m/s)^2 at guidance 1 and 2 alike (§31,
# §32.4), and the sampling chain says why: under the foot anchor the ground speed is the legs' stride, set in the high
# expert's steps (the shipped pair's walkers' legs 0.82 m/s at the hand-over, the data's 1.06), and guidance (which
# the data's style range needs, §32.1) slows it. `imusim hightune` (new) asks the high expert itself, at the guidance
# it is sampled with, for the crop's speed in the motion it hands over. From st_kv3ts1g2_s0 (§32.4: st_kv3ts1's low
# expert tuned at guidance 2; FROM=... for another pair), training seed 0; then the motion evaluation at the recorded
# guidance, the wrist parts by style (scripts/skating_probe.py) and the chains' speeds (the start's and the tuned
# pair's, scripts/chain_speed_probe.py --legs) into docs/realism/walkers/hightune; without STAGE the still-standers
# protocol beside the shipped refined and st_kv3ts1g2_s0.
#   STAGE=train bash scripts/realism_hightune.sh   # the training (~40 min on one core)
#   STAGE=motion bash scripts/realism_hightune.sh  # then the motion evaluation and the probes (~15 min on two)
#   bash scripts/realism_hightune.sh               # then the protocol, ~40 min more on two
# §33.2, the wrist term beside it (a fresh OUT: the protocol's HAR skips a directory that has results):
#   CANDS=ht1w05g2 OUT=docs/realism/walkers/hightune/wrist bash scripts/realism_hightune.sh
OUT="${OUT:-docs/realism/walkers/hightune}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT/training" "$RUNS/st"
START="${START:-st_kv3ts1g2_s0}"  # the pair whose high expert is tuned (a selftune output in $RUNS/st)
declare -A ARGS=([ht1g2]="--lambda-true-speed 1 --guidance 2"
                 [ht1w05g2]="--lambda-true-speed 1 --lambda-true-wrist 0.5 --guidance 2")
BASE="--lr 3e-5 --pool 256 --steps 100"
CANDS=(${CANDS:-ht1g2})
SEEDS=(${SEEDS:-0})
for r in $(cand_runs); do
  d="$RUNS/st/$r"
  # shellcheck disable=SC2086
  [ -f "$d/model.safetensors" ] || { mkdir -p "$d"; OMP_NUM_THREADS=1 imusim hightune --data "$DATA" --out "$d" \
    --checkpoint "$RUNS/st/$START/model.safetensors" --seed "${r##*_s}" $BASE ${ARGS[${r%_s*}]} > "$d.log" 2>&1; } &
done
wait
for r in $(cand_runs); do cp "$RUNS/st/$r/metrics.csv" "$OUT/training/metrics_$r.csv"; done
[ "$STAGE" = train ] && exit 0
chain() {  # chain RUN: the chain's speeds with the legs' at the run's recorded guidance into $OUT/chain_RUN.json
  [ -f "$OUT/chain_$1.json" ] || OMP_NUM_THREADS=1 python scripts/chain_speed_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/$1/model.safetensors" --chain --legs --json "$OUT/chain_$1.json" > "$OUT/chain_$1.log" \
    2> /dev/null
}
chain "$START" &
for r in $(cand_runs); do
  link_st "$r"
  EVAL_ARGS="--guidance 2.0" OMP_NUM_THREADS=1 motion_evals "$r" &  # at its recorded guidance, not motion_evals' 1
  wait
  [ -f "$OUT/skating_probe_$r.json" ] || OMP_NUM_THREADS=1 python scripts/skating_probe.py --data "$DATA" \
    --guidance 2 --activity walk,run --checkpoint "$RUNS/st/$r/model.safetensors" --json "$OUT/skating_probe_$r.json" \
    > "$OUT/skating_probe_$r.log" 2> /dev/null &
  chain "$r" &
  wait
done
[ "$STAGE" = motion ] && exit 0
for r in $(cand_runs); do GEN4_ARGS="--guidance 2.0" gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
# shellcheck disable=SC2046
versus_shipped $(cand_runs) "$START"
