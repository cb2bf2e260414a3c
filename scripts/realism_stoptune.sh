#!/bin/bash
# Issue 14, thirty-fifth round (docs/realism.md §39): the low expert tuned where the shipped chain ends.
# The shipped `refined` is st_kv3ts1 (refined_v3's low expert self-tuned with keep-spread 3 and true speed 1, §31) sampled
# with its chain ended at the x0 of t = 102 (stop_t 100, §36); but its self-tuning read whole-chain finishes (t = 0), so
# the motion it ships is one its terms never saw. `imusim selftune --stop-t 100` (new) tunes on finishes that end where
# the sampler ends them. Two candidates from refined_v3 (the shipped model's own start), selftune seed 0, one core each:
#   st_kv3ts1p   st_kv3ts1's terms at the stop (pure consistency)
#   st_kv3ts1px  the same and the one-sided 3-10 Hz excess term (§22.2) at weight 1 gated to the crops that move below
#                10 m/s^2 of mean joint acceleration (`--excess-max-crop 10`, new: walks and stands, not runs; §22.2's
#                ungated term took the walkers' texture and the runners' intensity alike)
#   st_kv3ts1pxk (after the first two: the gated term damped the runners too) the same and the crops at or above the
#                gate held at the untuned low expert's band powers (`--lambda-keep-moving 1`, new); its own OUT:
#                CANDS=st_kv3ts1pxk OUT=docs/realism/stoptune/keep [STAGE=train] bash scripts/realism_stoptune.sh
#   st_kv3ts1pxs, st_kv3ts1pxs3 (§40, after the hold gave back half the walkers' gain) st_kv3ts1px and the runs asked
#                for their ground-truth crop's band powers, both ways (`--lambda-self 1 --self-min-crop 10`, new; or weight 3)
#                instead of held; their own OUT:
#                CANDS=st_kv3ts1pxs OUT=docs/realism/stoptune/selfgate [STAGE=train] bash scripts/realism_stoptune.sh
#                (st_kv3ts1pxs3 was not trained: its core went to the routed pair, scripts/realism_route.sh); PROTOCOL=realism
#                runs the like-for-like wrist checks alone (a screen, no HAR or motion evaluation)
# Then (without STAGE=train) beside the shipped `refined`: 4 generation stores each of the still-standers' prompts
# (guidance 1), realism by prompt against the like-for-like references, HAR on BasicMotions (RF and CNN) and the WISDM
# watch (RF) with 8 fits per store, BasicMotions without badminton (RF), each candidate against the shipped fit for
# fit, and the motion evaluation on the test split paired with the continued control and the shipped `refined`.
#
#   STAGE=train bash scripts/realism_stoptune.sh   # ~50 min on two cores
#   bash scripts/realism_stoptune.sh               # then ~20 min of stores and ~30 min of evaluations on two
OUT="${OUT:-docs/realism/stoptune}"
HAR_ACTS=docs/realism/still/activities.yaml
HAR_DIR=runs/har_still
source "$(dirname "$0")/realism_common.sh"
mkdir -p "$OUT/training"
declare -A ARGS=([st_kv3ts1p]="--lambda-keep-spread 3 --lambda-true-speed 1"
  [st_kv3ts1px]="--lambda-keep-spread 3 --lambda-true-speed 1 --lambda-excess 1 --excess-max-crop 10"
  [st_kv3ts1pxk]="--lambda-keep-spread 3 --lambda-true-speed 1 --lambda-excess 1 --excess-max-crop 10 --lambda-keep-moving 1"
  [st_kv3ts1pxs]="--lambda-keep-spread 3 --lambda-true-speed 1 --lambda-excess 1 --excess-max-crop 10 --lambda-self 1 --self-min-crop 10"
  [st_kv3ts1pxs3]="--lambda-keep-spread 3 --lambda-true-speed 1 --lambda-excess 1 --excess-max-crop 10 --lambda-self 3 --self-min-crop 10")
BASE="--guidance 1.0 --stop-t 100 --lr 3e-5 --pool 512 --steps 300 --lambda-self 0"
CANDS=(${CANDS:-st_kv3ts1p st_kv3ts1px})
SEEDS=(${SEEDS:-0})
if [ "$STAGE" = all ] || [ "$STAGE" = train ]; then selftune_train; fi
[ "$STAGE" = train ] && exit 0
shipped_stores
NAMES=()
for r in $(cand_runs); do link_st "$r"; gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"; NAMES+=("$r"); done
if [ "${PROTOCOL:-all}" = realism ]; then realism_screen "${NAMES[@]}"; else versus_refined "${NAMES[@]}"; fi
