#!/bin/bash
# Issue 14, §36: the sampler's end. §35.3 found the walkers' wrist excess made in the low expert's last steps: the
# self-tuned pairs' plain walkers leave the hand-over at or under the real level and the low expert's own chain
# multiplies them by 1.5-1.7, +15-20 % in the very last step (t = 0) alone. `--stop-t T` (new: imusim generate,
# sample, evaluate-motion; `imusim experts --stop-t` records it in a pair) ends the DDIM chain at the x0 prediction of
# its last step at t >= T. Each run of RUNSET (selftune outputs in $RUNS/st, default st_kv3ts1_s0, the HAR
# candidate) at each T of STOPS (default 1: the x0 of t = 20, and 100: of t = 102) through the still-standers
# protocol beside the run itself at the whole chain and the shipped refined (4 generation stores each at guidance
# 1), then the motion evaluation of the run and its stopped variants (one evaluate-motion: the same clips and noise).
#   bash scripts/realism_stop.sh                                              # ~45 min on two cores
#   RUNSET="st_kv3ts1_s1 st_kv3ts1_s2" STOPS=1 OUT=docs/realism/stop/s12 bash scripts/realism_stop.sh
#   RUNSET="st_kv3ts1_s1 st_kv3ts1_s2" STOPS=100 OUT=docs/realism/stop/s12_100 bash scripts/realism_stop.sh
# then bash scripts/realism_stop_parts.sh (§36.3-§36.4) and bash scripts/realism_ship_stop.sh (§36.5)
OUT="${OUT:-docs/realism/stop}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source scripts/realism_common.sh
RUNSET=(${RUNSET:-st_kv3ts1_s0})
STOPS=(${STOPS:-1 100})
NAMES=()
for r in "${RUNSET[@]}"; do
  link_st "$r"
  for t in "${STOPS[@]}"; do
    GEN4_ARGS="--stop-t $t" gen4 "${r}_stop$t" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_${r}_stop$t"
    NAMES+=("${r}_stop$t")
  done
  GEN4_ARGS="" gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"  # the whole chain (exists from §32)
  NAMES+=("$r")
done
versus_shipped "${NAMES[@]}"
for r in "${RUNSET[@]}"; do
  f="$OUT/motion_eval_$r"
  specs=$(ck "$r")
  for t in "${STOPS[@]}"; do specs="$specs --checkpoint $RUNS/eval/$r/model.safetensors@stop=$t"; done
  # shellcheck disable=SC2086
  [ -f "$f.json" ] || OMP_NUM_THREADS=2 imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 $specs \
    --json "$f.json" --markdown "$f.md"
done
