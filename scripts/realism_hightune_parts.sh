#!/bin/bash
# Issue 14, §33.1: which expert makes the tuned pair's plain-caption walkers swing like the styled ones. The high
# experts alone (the untuned one of st_kv3ts1g2_s0 and the tuned one of ht1g2_s0, each a single network with its pair's
# sampling: anchor 300, height rule, 0.7, guidance 2), and `original` above t = 300 with st_kv3ts1g2_s0's low expert
# below (original's scale 2.5), through scripts/skating_probe.py's styles. After `STAGE=motion bash
# scripts/realism_hightune.sh` (~10 min on one core).
OUT=docs/realism/walkers/hightune
source scripts/realism_common.sh
python - "$RUNS" <<'PY'
import sys
from pathlib import Path
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
from imusim.diffusion.zoo import resolve_checkpoint
st = Path(sys.argv[1]) / "st"
for run in ("ht1g2_s0", "st_kv3ts1g2_s0"):  # the pair's high expert as one network, sampled as the pair is
    dst = st / run / "high.safetensors"
    if not dst.exists():
        pair, mean, std, enc, meta = load_checkpoint(st / run / "model.safetensors")
        save_checkpoint(dst, pair.high, mean, std, enc, {k: v for k, v in meta.items() if k != "experts"})
dst = st / "orig_ts1g2" / "model.safetensors"
if not dst.exists():  # `original`'s network above the hand-over (its statistics equal the data's to 1e-12, so
    # save_expert_pair's exact check would refuse them: the pair is written directly, with the low expert's)
    pair, mean, std, enc, meta = load_checkpoint(st / "st_kv3ts1g2_s0" / "model.safetensors")
    m = dict(meta)
    m["sampling"] = {**meta["sampling"], "guidance": 2.5,
                     "why": "original's recorded scale (its high-noise steps keep the data's style range at 2.5, §32.1)"}
    m["experts"] = {**meta.get("experts", {}), "high": "original", "low": "st_kv3ts1g2_s0's low expert"}
    save_checkpoint(dst, load_checkpoint(resolve_checkpoint("original"))[0], mean, std, enc, m, extra={"low": pair.low})
PY
[ -f "$OUT/skating_probe_high_g2.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 2 --activity walk \
  --checkpoint "$RUNS/st/ht1g2_s0/high.safetensors" --checkpoint "$RUNS/st/st_kv3ts1g2_s0/high.safetensors" \
  --json "$OUT/skating_probe_high_g2.json" > "$OUT/skating_probe_high_g2.log" 2> /dev/null
[ -f "$OUT/skating_probe_orig_ts1g2_g2.5.json" ] || python scripts/skating_probe.py --data "$DATA" --guidance 2.5 \
  --activity walk,run --checkpoint "$RUNS/st/orig_ts1g2/model.safetensors" \
  --json "$OUT/skating_probe_orig_ts1g2_g2.5.json" > "$OUT/skating_probe_orig_ts1g2_g2.5.log" 2> /dev/null
# §33.3: L_acc of the tuned pairs (training seed 0, sampled at 2) against the continued control (seed 0, paired over
# the test clips), beside the shipped pair's seed 0 and st_kv3ts1_s0 (both sampled at 1)
H=docs/realism/walkers/hightune
[ -f "$H/lacc_s0.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
  docs/realism/ship/motion_eval_afu1i5hs7_s0.json docs/realism/walkers/truespeed/motion_eval_st_kv3ts1_s0.json \
  docs/realism/walkers/guided/motion_eval_st_kv3ts1g2_s0.json "$H/motion_eval_ht1g2_s0.json" \
  "$H/wrist/motion_eval_ht1w05g2_s0.json" --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3ts1 \
  --pair wf_control:st_kv3ts1g2 --pair wf_control:ht1g2 --pair wf_control:ht1w05g2 --out "$H/lacc_s0.json" \
  > "$H/lacc_s0.log" 2>&1
# §33.4: ht1w05g2 over its three training seeds (each through `CANDS=ht1w05g2 SEEDS=N OUT=$W/sN bash
# scripts/realism_hightune.sh`): L_acc, jerk, joint acceleration and skating against the continued control's three
# seeds and the shipped pair's, paired over the test clips
W=docs/realism/walkers/hightune/wrist
if [ -f "$W/s2/motion_eval_ht1w05g2_s2.json" ] && [ ! -f "$W/s2/lacc_seeds3.json" ]; then
  python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json \
    "$W/motion_eval_ht1w05g2_s0.json" "$W/s1/motion_eval_ht1w05g2_s1.json" "$W/s2/motion_eval_ht1w05g2_s2.json" \
    --pair wf_control:pair_afu1i5hs7 --pair wf_control:ht1w05g2 --pair pair_afu1i5hs7:ht1w05g2 \
    --out "$W/s2/lacc_seeds3.json" > "$W/s2/lacc_seeds3.log" 2>&1
fi
# §33.4: which classes the HAR spread between models runs through, over every still-standers protocol run (§27.1 on)
if [ -f "$W/s2/har_versus.json" ] && [ ! -f "$W/s2/har_class_spread.json" ]; then
  python scripts/har_class_spread.py docs/realism/still/har_versus.json docs/realism/keep/har_versus.json \
    docs/realism/fid/speed/har_versus.json docs/realism/fid/speed/seeds/har_versus.json \
    docs/realism/walkers/{anchor,guided,hightune,truewrist,truespeed}/har_versus.json \
    docs/realism/walkers/truespeed/seeds/har_versus.json docs/realism/walkers/truespeed/seeds/s2/har_versus.json \
    "$W"/har_versus.json "$W"/s{1,2}/har_versus.json --out "$W/s2/har_class_spread.json" > "$W/s2/har_class_spread.log"
fi
# §33.4: the HAR, the wrist checks and the standers per training seed and over the three (each seed's own protocol run)
[ -f "$W/s2/har_wisdm_versus.json" ] && [ ! -f "$W/s2/seeds3.json" ] && python scripts/protocol_seeds.py \
  --cand ht1w05g2 --run 0="$W" --run 1="$W/s1" --run 2="$W/s2" --out "$W/s2/seeds3.json" > "$W/s2/seeds3.log"
# §34: the per-crop wrist term's floor (two crops of one caption; scripts/wrist_term_floor.py), beside ht1w2g2's log
W2=docs/realism/walkers/hightune/wrist2
[ -f "$W2/wrist_term_floor.json" ] || python scripts/wrist_term_floor.py --data "$DATA" --crops 4096 \
  --json "$W2/wrist_term_floor.json" > "$W2/wrist_term_floor.log"
# §35.1: ht1c2g2 (the wrist term against the caption's mean) over its three training seeds (each through
# `CANDS=ht1c2g2 SEEDS=N OUT=$C/sN bash scripts/realism_hightune.sh`, seed 0 into $C): the protocol per seed and
# over the three, and L_acc, jerk, joint acceleration and skating against the continued control's three seeds and the
# shipped pair's, paired over the test clips
C=docs/realism/walkers/hightune/caption
[ -f "$C/s2/har_wisdm_versus.json" ] && [ -f "$C/s1/har_wisdm_versus.json" ] && [ ! -f "$C/s2/seeds3.json" ] && \
  python scripts/protocol_seeds.py --cand ht1c2g2 --run 0="$C" --run 1="$C/s1" --run 2="$C/s2" \
  --out "$C/s2/seeds3.json" > "$C/s2/seeds3.log"
if [ -f "$C/s2/motion_eval_ht1c2g2_s2.json" ] && [ -f "$C/s1/motion_eval_ht1c2g2_s1.json" ] && \
   [ ! -f "$C/s2/lacc_seeds3.json" ]; then
  python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json \
    "$C/motion_eval_ht1c2g2_s0.json" "$C/s1/motion_eval_ht1c2g2_s1.json" "$C/s2/motion_eval_ht1c2g2_s2.json" \
    --pair wf_control:pair_afu1i5hs7 --pair wf_control:ht1c2g2 --pair pair_afu1i5hs7:ht1c2g2 \
    --out "$C/s2/lacc_seeds3.json" > "$C/s2/lacc_seeds3.log" 2>&1
fi
# §35.3: where along the sampling chain the plain walkers' wrists get their excess (chain_speed_probe --wrists: the
# x0 prediction at every DDIM step by style; --noised --wrists: what real walkers read as at each level), the tuned
# pair ht1c2g2_s0 and its start st_kv3ts1g2_s0, at guidance 2 (~10 min each on one core)
CW=docs/realism/walkers/hightune/caption/chainwrist
mkdir -p "$CW"
for r in ht1c2g2_s0 st_kv3ts1g2_s0; do
  [ -f "$CW/chain_wrists_$r.json" ] || python scripts/chain_speed_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/$r/model.safetensors" --chain --wrists --guidance 2 --activities walk \
    --json "$CW/chain_wrists_$r.json" > "$CW/chain_wrists_$r.log" 2> /dev/null
  [ -f "$CW/noised_wrists_$r.json" ] || python scripts/chain_speed_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/$r/model.safetensors" --noised --wrists --guidance 2 --activities walk \
    --levels 999,600,400,300,200,100,50,20,0 --json "$CW/noised_wrists_$r.json" > "$CW/noised_wrists_$r.log" 2> /dev/null
done
# and the shipped refined's chain at its recorded guidance (1)
[ -f "$CW/chain_wrists_refined.json" ] || python scripts/chain_speed_probe.py --data "$DATA" --checkpoint refined_v3 \
  --chain --wrists --activities walk --json "$CW/chain_wrists_refined.json" > "$CW/chain_wrists_refined.log" 2> /dev/null
# and st_kv3ts1_s0's (the shipped pair's high expert, the self-tuned low expert; its recorded guidance 1)
[ -f "$CW/chain_wrists_st_kv3ts1_s0.json" ] || python scripts/chain_speed_probe.py --data "$DATA" --checkpoint \
  "$RUNS/st/st_kv3ts1_s0/model.safetensors" --chain --wrists --activities walk \
  --json "$CW/chain_wrists_st_kv3ts1_s0.json" > "$CW/chain_wrists_st_kv3ts1_s0.log" 2> /dev/null
