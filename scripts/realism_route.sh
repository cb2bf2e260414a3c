#!/bin/bash
# Issue 14, thirty-sixth round (docs/realism.md §40): one high expert, two low experts, routed per motion.
# §39 found that one low expert answers walkers and runners: st_kv3ts1px's gated excess term brings the walkers and
# standers into the band (0.75 / 1.08x the normal-style mocap) and damps the runners (0.45x), while the shipped
# refined's low expert keeps the runners (0.70 / 0.94x) and the walkers' excess (1.12 / 1.70x). Both were self-tuned
# from refined_v3 under its high expert, at the same sampling settings, so a routed pair (`imusim route`, new) can
# finish each motion with the one that suits it: the walkers and standers with st_kv3ts1px's low expert, the motions
# whose x0 prediction at the last high-noise step moves at >= 7 m/s^2 of mean joint acceleration (the runs) with
# another's. The threshold is read off scripts/route_probe.py on the protocol's prompts (the hand-over depends only on
# the high expert and the noise): walkers at most 6.7, runners from 6.6 (10 % at 7.35); its JSON is committed with the
# outputs. No training: the route is the whole change. scripts/route_store_check.py then checks that each window of
# the routed stores is one of the two pairs' own (the same seeds' stores, window for window).
#   route7_s0    moving = the low expert of refined_v4 (the refined shipped from §36.5 to §41)
#   route7s_s0   moving = st_kv3ts1pxs_s0's (§40.3: the runs asked for their crops' band powers; its own OUT):
#                CANDS=route7s_s0 OUT=docs/realism/route/selfgate bash scripts/realism_route.sh
#   route8s_s0   the same at a threshold of 8 m/s^2 (fewer of the pace prompt's walkers to the moving expert, more
#                runners to the damping one), a realism screen:
#                CANDS=route8s_s0 OUT=docs/realism/route/threshold8 PROTOCOL=realism [SCREEN_HAR=1] bash scripts/realism_route.sh
#                (SCREEN_HAR=1: and HAR with the random forests alone)
#   route27_s0   route7_s0 as a band (docs/realism.md §41): st_kv3ts1px's low expert finishes only the hand-overs
#                moving at 2 to 7 m/s^2 (the walkers: 2.24 and up in the route probe), the shipped refined's the rest,
#                the nearly still ones too (standers at most 1.91, three of the four badminton prompts 0.74-0.90): the
#                BasicMotions badminton class as the shipped model makes it, beside the walking expert's walkers:
#                CANDS=route27_s0 OUT=docs/realism/route/band bash scripts/realism_route.sh
#   route27_s1, route27_s2   the same with st_kv3ts1px's selftune seeds 1 and 2 as the band's low expert (the moving
#                one is the shipped model's either way), both in one run:
#                CANDS=st_kv3ts1px SEEDS="1 2" OUT=docs/realism/route/band/seeds STAGE=train bash scripts/realism_stoptune.sh
#                STORE_CHECK=0 CANDS="route27_s1 route27_s2" OUT=docs/realism/route/band/seeds bash scripts/realism_route.sh
#                (STORE_CHECK=0: without the source pairs' stores and the window-for-window check, shown for route27_s0)
#   route27s_s0  the band with st_kv3ts1pxs_s0 (§40.3: the runners' own swing) as the moving expert, a screen beside
#                the new refined (= route27_s0, §41.3):
#                CANDS=route27s_s0 OUT=docs/realism/route/band/selfgate PROTOCOL=realism SCREEN_HAR=1 bash scripts/realism_route.sh
# Then, beside the shipped `refined`, the protocol of §39 (versus_refined): 4 generation stores of the still-standers'
# prompts (guidance 1), realism by prompt against the like-for-like references, HAR on BasicMotions (RF and CNN; RF
# without badminton) and the WISDM watch (RF), 8 fits per store, each against the shipped fit for fit, and the motion
# evaluation on the test split paired with the continued control and the shipped model; then HAR fit for fit against
# `original` and the smoothing baseline of the thirty-second round's run of the same protocol (har_*_baselines.log).
#
#   bash scripts/realism_route.sh   # ~40 min on two cores (needs st_kv3ts1px_s0: STAGE=train bash scripts/realism_stoptune.sh)
OUT="${OUT:-docs/realism/route}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source "$(dirname "$0")/realism_common.sh"
declare -A LOWS=([route27_s1]=st_kv3ts1px_s1 [route27_s2]=st_kv3ts1px_s2)  # the pair's low expert, st_kv3ts1px_s0 unless given
# refined_v4: the refined shipped from §36.5 to §41, the `shipped` of §40-§41's committed runs; since §41.3 refined is
# route27_s0 and shipped_stores makes its stores, so a run after it compares against the new refined
declare -A MOVING=([route7_s0]=refined_v4 [route7s_s0]=st_kv3ts1pxs_s0 [route8s_s0]=st_kv3ts1pxs_s0
  [route27_s0]=refined_v4 [route27_s1]=refined_v4 [route27_s2]=refined_v4 [route27s_s0]=st_kv3ts1pxs_s0)
declare -A MINACC=([route8s_s0]=8)  # the route's threshold (m/s^2), 7 unless given
declare -A STILL=([route27_s0]=2 [route27_s1]=2 [route27_s2]=2 [route27s_s0]=2)  # a band: below this, too, to the moving expert (imusim route --still-acc)
CANDS=(${CANDS:-route7_s0})
mkdir -p "$OUT"
shipped_stores
for c in "${CANDS[@]}"; do
  m="${MOVING[$c]}"
  LOW="${LOWS[$c]:-st_kv3ts1px_s0}"
  for p in "$LOW" "$m"; do
    [ "$p" = refined_v4 ] || [ -f "$RUNS/st/$p/model.safetensors" ] \
      || { echo "needs $RUNS/st/$p: STAGE=train bash scripts/realism_stoptune.sh (CANDS, OUT: its header)" >&2; exit 1; }
    if [ "$p" = refined_v4 ]; then link_zoo refined_v4; else link_st "$p"; fi
    # the source pairs' stores, for the store check (STORE_CHECK=0: neither)
    [ "${STORE_CHECK:-1}" = 0 ] || gen4 "$p" "$RUNS/$p/model.safetensors" "$RUNS/st/gen_$p"
  done
  mkdir -p "$RUNS/$c"
  R="$RUNS/$c/model.safetensors"
  [ -f "$R" ] || imusim route --pair "$RUNS/st/$LOW/model.safetensors" --moving "$RUNS/$m/model.safetensors" \
    --min-acc "${MINACC[$c]:-7}" ${STILL[$c]:+--still-acc "${STILL[$c]}"} --out "$R"
  [ -f "$OUT/route_probe.json" ] || OMP_NUM_THREADS=2 python scripts/route_probe.py --checkpoint "$R" --per-prompt 4 \
    --out "$OUT/route_probe.json" > "$OUT/route_probe.log" 2>&1
  gen4 "$c" "$R" "$RUNS/gen_$c"
  [ "${STORE_CHECK:-1}" = 0 ] && continue
  for s in 0 1 2 3; do  # every window is the one pair's or the other's, window for window
    [ -f "$OUT/store_check_${c}_s$s.json" ] || python scripts/route_store_check.py --routed "$HAR_DIR/${c}_s$s" \
      --low "$HAR_DIR/${LOW}_s$s" --moving "$HAR_DIR/${m}_s$s" --out "$OUT/store_check_${c}_s$s.json" \
      > "$OUT/store_check_${c}_s$s.log" 2>&1
  done
done
if [ "${PROTOCOL:-all}" = realism ]; then
  realism_screen "${CANDS[@]}"
  # and the forests alone (BasicMotions, without badminton, WISDM), against the shipped
  if [ "${SCREEN_HAR:-0}" = 1 ]; then OMP_NUM_THREADS=2 HAR_BM_ARGS="--classifiers rf" har_vs_shipped "${CANDS[@]}"; fi
else
  versus_refined "${CANDS[@]}"
  # and against the issue's HAR baselines, fit for fit: `original` and the smoothing baseline from the thirty-second
  # round's run of this protocol (the same prompts, generation seeds and fit seeds; docs/realism/stop/), and that run's
  # st_kv3ts1_s0_stop100 (refined_v4) against this run's `shipped`: while that was refined_v4 (§40-§41), a check that
  # the fits reproduce
  V=(--versus shipped:st_kv3ts1_s0_stop100)
  for c in "${CANDS[@]}"; do V+=(--versus "$c:original" --versus "$c:smooth2"); done
  for r in basicmotions wisdm; do
    [ -f "$OUT/har_${r}_baselines.json" ] || python scripts/training_seed_summary.py \
      --har "$r=$OUT/har_$r/results.json" --har "$r=docs/realism/stop/har_$r/results.json" "${V[@]}" \
      --out "$OUT/har_${r}_baselines.json" > "$OUT/har_${r}_baselines.log" 2>&1
  done
fi
