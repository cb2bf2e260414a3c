#!/bin/bash
# Issue 14, §32.2: §32.1 found the walkers' wrist excess at the joints already, in the plain captions: the normal
# style's test walkers swing their wrists at 6.8 m/s², st_kv3ts1_s0's walkers of the same captions at 10.1 (the styled
# captions' 12.5 and 11.6): on its own chain the model answers a plain caption as intensely as a styled one. st_kv3ts1
# (selftune --lambda-keep-spread 3 --lambda-true-speed 1, §31.3) with each finished motion's wrists' RMS acceleration
# asked of its ground-truth crop's (imusim selftune --lambda-true-wrist 1, new), training seed 0: the motion
# evaluation, the chain's speeds, the wrist parts by style (scripts/skating_probe.py) beside the shipped refined and
# st_kv3ts1_s0 and, without STAGE=train, the still-standers protocol (4 generation stores x 2 fits) beside the shipped
# refined and st_kv3ts1_s0, into docs/realism/walkers/truewrist.
#   STAGE=train bash scripts/realism_truewrist.sh   # the training (~45 min on one core)
#   bash scripts/realism_truewrist.sh               # then ~45 min more on two
OUT=docs/realism/walkers/truewrist
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
declare -A ARGS=([st_kv3tw1]="--lambda-keep-spread 3 --lambda-true-speed 1 --lambda-true-wrist 1")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0"
CANDS=(${CANDS:-st_kv3tw1})
SEEDS=(${SEEDS:-0})
selftune_train
[ "$STAGE" = train ] && exit 0
link_shipped_pair
for r in $(cand_runs); do st_motion "$r"; done
# shellcheck disable=SC2046
[ -f "$OUT/skating_probe.json" ] || OMP_NUM_THREADS=2 python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint refined_v3 --checkpoint "$RUNS/st/st_kv3ts1_s0/model.safetensors" \
  $(for r in $(cand_runs); do echo "--checkpoint $RUNS/st/$r/model.safetensors"; done) \
  --json "$OUT/skating_probe.json" > "$OUT/skating_probe.log" 2> /dev/null
for r in $(cand_runs); do gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
# shellcheck disable=SC2046
versus_shipped $(cand_runs) st_kv3ts1_s0
