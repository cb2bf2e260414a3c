#!/bin/bash
# Issue 14, §31: the shipped refined's walkers step 0.64 m/s where the data walk 1.06: its sampler's foot anchor makes the
# root follow the standing foot, and the low expert's legs sweep too short a stride (scripts/chain_speed_probe.py
# --legs). st_kv3 (the keep-spread term, §28) with the finished motion's mean ground speed asked of the ground-truth
# crop's (imusim selftune --lambda-true-speed W, new) instead of §29's hold on the untuned finish, at W = 1 and 3
# (training seed 0): the motion evaluation, the sampling chain's speeds with the legs' and, without STAGE=train, the
# still-standers protocol (4 generation stores x 2 fits) beside the shipped refined, into docs/realism/walkers/truespeed.
#   STAGE=train bash scripts/realism_truespeed.sh   # the two trainings (~35 min on two cores; CANDS=st_kv3ts1: one)
#   bash scripts/realism_truespeed.sh               # then ~40 min more on two
OUT=docs/realism/walkers/truespeed
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
mkdir -p "$OUT"
declare -A ARGS=([st_kv3ts1]="--lambda-keep-spread 3 --lambda-true-speed 1"
  [st_kv3ts3]="--lambda-keep-spread 3 --lambda-true-speed 3")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0"
CANDS=(${CANDS:-st_kv3ts1 st_kv3ts3})
SEEDS=(${SEEDS:-0})
selftune_train
[ "$STAGE" = train ] && exit 0
link_shipped_pair
for r in $(cand_runs); do st_motion "$r"; done
[ -f "$OUT/chain_afu1i5hs7.json" ] || OMP_NUM_THREADS=2 python scripts/chain_speed_probe.py --data "$DATA" \
  --checkpoint refined_v3 --chain --legs --json "$OUT/chain_afu1i5hs7.json" > "$OUT/chain_afu1i5hs7.log" 2> /dev/null
for r in $(cand_runs); do gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; done
# shellcheck disable=SC2046
versus_shipped $(cand_runs)
