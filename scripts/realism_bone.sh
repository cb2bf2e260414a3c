#!/bin/bash
# Issue 14, nineteenth round, second part (docs/realism.md §23.2): the low experts trained with the IMU-space term
# stretch the forearm, which the sensors' decoding rescales away with a quarter of the wrist swing. `st_btx`: §23.1's
# st_tx1 (texture/swing ratio term at 1 inside the trust region) with the bone-length term on the own samples at 3
# (imusim selftune --lambda-bone 3), so that its difference from st_tx1 is the bone term. Screen as §23.1's: the
# fine-tune, the impulsiveness probe, texture_probe.py and bone_length_probe.py, one generation store (seed 0) against
# the like-for-like references by prompt beside the shipped `refined`'s and st_tx1's seed-0 stores (into $OUT/screen).
#   bash scripts/realism_bone.sh             # ~45 min on 2 cores after realism_texture.sh (skips what exists)
#   STAGE=all bash scripts/realism_bone.sh   # and §22's protocol beside st_tx1, ~30 min more
STAGE="${STAGE:-train}"
OUT="${OUT:-docs/realism/texture/bone}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
declare -A ARGS=([st_btx]="--lambda-texture 1 --lambda-bone 3")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-stay 1"
CANDS=(st_btx)
SEEDS=(0)
STAGE=train selftune_round
CK=runs/st/st_btx_s0/model.safetensors
[ -f "$OUT/texture.json" ] || OMP_NUM_THREADS=1 python scripts/texture_probe.py --data "$DATA" --guidance 1.0 \
  --checkpoint "$CK" --label st_btx_s0 "${SCREEN_PROMPTS[@]}" --json "$OUT/texture.json" &
[ -f "$OUT/bones.json" ] || OMP_NUM_THREADS=1 python scripts/bone_length_probe.py --data "$DATA" --checkpoint "$CK" \
  --label st_btx_s0 --json "$OUT/bones.json" &
wait
screen_stores "$OUT/screen" st_tx1_s0   # beside §23.1's st_tx1 where its store is on this machine
[ "$STAGE" = train ] && exit 0
gen4 st_btx_s0 "$RUNS/st_btx_s0/model.safetensors" "$RUNS/st/gen_st_btx_s0"
LACC=1 selftune_protocol st_tx1_s0
