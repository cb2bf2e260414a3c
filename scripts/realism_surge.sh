#!/bin/bash
# Issue 14, §32.1: where the walkers' wrist acceleration comes from (scripts/skating_probe.py's wrist_parts: the
# wrists' RMS acceleration, the root's, the wrists' relative to it; by_style: the normal style's plain captions apart
# from the styled ones), for the test split's walk and run clips: the shipped refined and st_kv3ts1_s0 (§31.3) with
# its recorded anchor smoothing (0.7 frames) and with 2 and 4 frames; then its walkers at guidance 1.5 and 2.5.
# Into docs/realism/walkers/surge (~30 min on one core).
#   bash scripts/realism_surge.sh
OUT=docs/realism/walkers/surge
source scripts/realism_common.sh
mkdir -p "$OUT"
C=$RUNS/st/st_kv3ts1_s0/model.safetensors
export OMP_NUM_THREADS=1
[ -f "$OUT/skating_probe_smooth.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk,run --checkpoint refined_v3 --checkpoint "$C" --checkpoint "$C@smooth=2" --checkpoint "$C@smooth=4" \
  --json "$OUT/skating_probe_smooth.json" > "$OUT/skating_probe_smooth.log" 2> /dev/null
for g in 1.5 2.5; do
  [ -f "$OUT/skating_probe_walk_g$g.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance "$g" \
    --activity walk --checkpoint "$C" --json "$OUT/skating_probe_walk_g$g.json" > "$OUT/skating_probe_walk_g$g.log" \
    2> /dev/null
done
# where the style range is made: the high expert `refined_lacc` alone and `original` at guidance 1, `original` at its
# recorded 2.5; then st_kv3ts1_s0 and the shipped pair with the high expert guided at 1.5 / 2.5 and the low one at 1
[ -f "$OUT/skating_probe_walk_experts_g1.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 1 \
  --activity walk --checkpoint refined_lacc --checkpoint original --json "$OUT/skating_probe_walk_experts_g1.json" \
  > "$OUT/skating_probe_walk_experts_g1.log" 2> /dev/null
[ -f "$OUT/skating_probe_walk_original_g2.5.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 2.5 \
  --activity walk --checkpoint original --json "$OUT/skating_probe_walk_original_g2.5.json" \
  > "$OUT/skating_probe_walk_original_g2.5.log" 2> /dev/null
for g in 1.5 2.5; do
  [ -f "$OUT/skating_probe_walk_high_g$g.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance "$g" \
    --activity walk --checkpoint "$C@lowg=1" --checkpoint refined_v3@lowg=1 --json "$OUT/skating_probe_walk_high_g$g.json" \
    > "$OUT/skating_probe_walk_high_g$g.log" 2> /dev/null
done
