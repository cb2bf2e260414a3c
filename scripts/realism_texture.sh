#!/bin/bash
# Issue 14, nineteenth round (docs/realism.md §23): the wrists' texture/swing ratio on the model's own samples
# (imusim selftune --lambda-texture: acceleration power from 3 Hz up over the power below, beyond the crop's ratio;
# blind to phase and amplitude) inside §20's trust region (--lambda-stay 1), at weight 1 (st_tx1) and 3 (st_tx3), the
# shipped low expert's noised-truth recipe beside it (§22's st_xs1/st_xs3 settings with the excess term swapped).
# Screen: the fine-tunes, the impulsiveness probe, texture_probe.py on the walks and the run, and one generation store
# per candidate (seed 0, 192 motions) against the three like-for-like references by prompt beside the shipped
# `refined`'s seed-0 store and §22's st_xs3 (into $OUT/screen). STAGE=all: §22's full protocol (4 generation seeds,
# realism, HAR on BasicMotions, the motion evaluation with L_acc paired with the continued control).
#   bash scripts/realism_texture.sh             # ~40 min on 2 cores (skips what exists)
#   STAGE=all bash scripts/realism_texture.sh   # and the protocol, ~45 min more per candidate
#   STAGE=all CANDS=st_tx1 bash scripts/realism_texture.sh   # the protocol for one candidate
STAGE="${STAGE:-train}"
OUT="${OUT:-docs/realism/texture}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
declare -A ARGS=([st_tx1]="--lambda-texture 1" [st_tx3]="--lambda-texture 3")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-stay 1"
CANDS=(${CANDS:-st_tx1 st_tx3})
SEEDS=(${SEEDS:-0})
STAGE=train selftune_round
[ -f "$OUT/texture.json" ] || OMP_NUM_THREADS=2 python scripts/texture_probe.py --data "$DATA" --guidance 1.0 \
  $(probe_checkpoints) \
  "${SCREEN_PROMPTS[@]}" --json "$OUT/texture.json"
# one store per candidate (generation seed 0), beside §22's st_xs3 where its store is on this machine (committed:
# docs/realism/excess)
screen_stores "$OUT/screen" st_xs3_s0
[ "$STAGE" = train ] && exit 0
selftune_round  # trained: each candidate's 4 generation stores
LACC=1 selftune_protocol st_xs1_s0
