#!/bin/bash
# Issue 14, §36: after scripts/realism_stop.sh (seed 0 into docs/realism/stop, seeds 1 and 2 into
# docs/realism/stop/s12 for stop1 and docs/realism/stop/s12_100 for stop100): st_kv3ts1 ended at the x0 of t = 20
# (stop1) and of t = 102 (stop100) over its three training seeds beside the whole chain (the protocol per seed and over the three: scripts/protocol_seeds.py; L_acc, jerk, joint acceleration and
# skating against the continued control's three seeds and the shipped pair's, paired over the test clips), and where
# the self-tuned low experts' gain comes from: the chain of wrists (scripts/chain_speed_probe.py --wrists) of the
# self-tuned low experts tuned with other terms behind the same high expert (each ~5-10 min on one core).
OUT=docs/realism/stop
source scripts/realism_common.sh
S=docs/realism/stop
# (stop100, the x0 of t = 102: seeds 1 and 2 into docs/realism/stop/s12_100)
for v in stop1 stop100 ""; do
  d="$S/s12"; [ "$v" = stop100 ] && d="$S/s12_100"
  f="$S/s12/seeds3${v:+_$v}"
  [ -f "$f.json" ] || python scripts/protocol_seeds.py --cand st_kv3ts1 ${v:+--variant $v} --run 0="$S" \
    --run 1="$d" --run 2="$d" --out "$f.json" > "$f.log"
done
[ -f "$S/s12/lacc_seeds3.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
  docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json "$S/motion_eval_st_kv3ts1_s0.json" \
  "$S"/s12/motion_eval_st_kv3ts1_s{1,2}.json "$S"/s12_100/motion_eval_st_kv3ts1_s{1,2}.json \
  --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_kv3ts1 --pair wf_control:st_kv3ts1+stop1 \
  --pair wf_control:st_kv3ts1+stop100 --pair st_kv3ts1:st_kv3ts1+stop1 --pair st_kv3ts1:st_kv3ts1+stop100 \
  --pair pair_afu1i5hs7:st_kv3ts1+stop1 --pair pair_afu1i5hs7:st_kv3ts1+stop100 \
  --out "$S/s12/lacc_seeds3.json" > "$S/s12/lacc_seeds3.log" 2>&1
# the gain's source: the low experts tuned with the speed held (st_kv3sp: --lambda-stay-speed), asked at weight 3
# (st_kv3ts3), and with the wrist term beside it (st_kv3tw1), each behind the shipped pair's high expert, guidance 1
CW="$S/chain"
mkdir -p "$CW"
for r in st_kv3sp_s1 st_kv3ts3_s0 st_kv3tw1_s0; do
  [ -f "$CW/chain_wrists_$r.json" ] || OMP_NUM_THREADS=1 python scripts/chain_speed_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/$r/model.safetensors" --chain --wrists --activities walk \
    --json "$CW/chain_wrists_$r.json" > "$CW/chain_wrists_$r.log" 2> /dev/null &
done
wait
# §36.2: where along the chain to end, on the motion side: seed 0 ended at t = 41, 82, 163 and 265 on the test clips
# and noise of motion_eval_st_kv3ts1_s0.json (~5 min on two cores)
C="$RUNS/eval/st_kv3ts1_s0/model.safetensors"
[ -f "$S/motion_eval_st_kv3ts1_s0_sweep.json" ] || OMP_NUM_THREADS=2 imusim evaluate-motion --data "$DATA" \
  --max-frames 120 --guidance 1.0 --checkpoint "$C@stop=40" --checkpoint "$C@stop=80" --checkpoint "$C@stop=150" \
  --checkpoint "$C@stop=250" --json "$S/motion_eval_st_kv3ts1_s0_sweep.json" \
  --markdown "$S/motion_eval_st_kv3ts1_s0_sweep.md"
