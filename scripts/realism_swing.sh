#!/bin/bash
# Issue 14, eighteenth round, second part (docs/realism.md §22.2): the generated walkers swing their arms too little
# (0-3 Hz) and too jerkily (3-10 Hz). §19's band-power term on the model's own samples, counted both ways below 3 Hz
# and only as an excess from 3 Hz up (imusim selftune --self-one-sided-above 3), so it asks for the crop's swing but
# never for its capture noise (§19's st_a made standing restless that way); without (st_sx) and with a trust region
# at weight 0.2 (st_sxs02). The same protocol as scripts/realism_excess.sh (4 generation seeds x 192 motions,
# realism by prompt against the normal-style mocap, BasicMotions and the WISDM watch, HAR on BasicMotions, the motion
# evaluation with L_acc paired with the continued control), against the shipped `refined` and §22's st_xs1.
#
# §22.3 took the candidates to the screen only (the fine-tunes and the impulsiveness probe; texture_probe.py on them):
#   bash scripts/realism_swing.sh                 # ~35 min on 2 cores (skips what exists)
#   STAGE=all bash scripts/realism_swing.sh       # and the protocol, ~40 min more
STAGE="${STAGE:-train}"
OUT="${OUT:-docs/realism/excess/swing}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
declare -A ARGS=([st_sx]="" [st_sxs02]="--lambda-stay 0.2")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 1 --self-one-sided-above 3"
CANDS=(${CANDS:-st_sx st_sxs02})
SEEDS=(${SEEDS:-0})
selftune_round
[ -f "$OUT/texture.json" ] || python scripts/texture_probe.py --data "$DATA" --guidance 1.0 \
  $(probe_checkpoints) \
  --json "$OUT/texture.json"
[ "$STAGE" = train ] && exit 0
LACC=1 selftune_protocol st_xs1_s0
