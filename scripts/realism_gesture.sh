#!/bin/bash
# Issue 14, twenty-second round (docs/realism.md §26): arm gestures. The shipped `refined` answers "a person waves the
# right hand." (a training caption; its clips move the wrist at 11.8 m/s^2 RMS) with 1.1 m/s^2, and the HAR
# protocol's standing and badminton prompts alike. scripts/gesture_probe.py measures it by prompt; the SDEdit probe
# (gesture_probe.py --sdedit) hands each low expert the real waving clips noised to t = 50..300: the IMU-space low experts
# return 0.2-0.45x of the wave, the L_acc high expert 0.6-1.2x. So the low expert is asked for the arms' motion on the
# gesture crops only, the rest held where it is:
#   st_gw10 / st_gw30 : --lambda-joint-acc 10 / 30 --joint-acc-joints arms --joint-acc-gate gestures (the crops whose
#                       elbows or wrists move at 6x the pelvis or more: 50 of the 512 crops of seed 0's pool, waves,
#                       raised arms, goodbyes) --lambda-stay-quiet 30 (the trust region again on every other crop)
# Screen: the fine-tunes, the gesture probe and its SDEdit form, the texture and bone probes, one generation store per
# candidate (seed 0) against the like-for-like references beside the shipped `refined`'s, the motion evaluations.
#   bash scripts/realism_gesture.sh                 # ~75 min on 2 cores (skips what exists)
#   STAGE=all CANDS=NAME bash scripts/realism_gesture.sh   # + §22's protocol (4 generation stores, HAR, L_acc)
STAGE="${STAGE:-train}"
OUT="${OUT:-docs/realism/gesture}"
source "$(dirname "$0")/realism_common.sh"
store_inputs
normal_mocap_store
G="--lambda-joint-acc 10 --joint-acc-joints arms --joint-acc-gate gestures --gesture-ratio 6 --lambda-stay-quiet 30"
declare -A ARGS=([st_gw10]="$G" [st_gw30]="${G/--lambda-joint-acc 10/--lambda-joint-acc 30}")
BASE="--lr 3e-5 --pool 512 --steps 300 --lambda-self 0 --lambda-stay 1"
CANDS=(${CANDS:-st_gw10 st_gw30})
SEEDS=(${SEEDS:-0})
# the continued control (realism_fix.sh's: `original` + 1,000 steps without L_acc), the gate on seed 0's pool, and the
# shipped models by prompt and by SDEdit (what the round starts from)
trained "$RUNS/wf_control_s0" || imusim finetune "${FT[@]}" --out "$RUNS/wf_control_s0" --seed 0 --lambda-acc 0 \
  > "$RUNS/wf_control_s0.log" 2>&1
[ -f "$OUT/pool_gate_gestures_s0.json" ] || python scripts/pool_gate_probe.py --data "$DATA" --pool 512 --seed 0 \
  --gate-kind gestures --gate 6 --json "$OUT/pool_gate_gestures_s0.json"
[ -f "$OUT/gesture_shipped.json" ] || OMP_NUM_THREADS=1 python scripts/gesture_probe.py --data "$DATA" --per-prompt 8 \
  --checkpoint refined_v3 --checkpoint refined_lacc --checkpoint original --checkpoint "$RUNS/wf_control_s0/model.safetensors" \
  --label refined --label refined_lacc --label original --label wf_control --json "$OUT/gesture_shipped.json" &
[ -f "$OUT/sdedit_shipped.json" ] || OMP_NUM_THREADS=1 python scripts/gesture_probe.py --data "$DATA" \
  --sdedit 50,100,200,300 --checkpoint refined_v3:low --checkpoint refined_v3:high --checkpoint refined_v2:low \
  --checkpoint original --checkpoint "$RUNS/wf_control_s0/model.safetensors" --label refined:low --label refined:high \
  --label refined_v2:low --label original --label wf_control --json "$OUT/sdedit_shipped.json" &
wait
for T in 0 100 200; do  # the shipped pair with its hand-over moved: which expert removes the wave
  [ -f "$OUT/gesture_refined_below_t$T.json" ] || OMP_NUM_THREADS=1 python scripts/gesture_probe.py --data "$DATA" \
    --checkpoint refined_v3 --label "refined_below_t$T" --below-t "$T" --per-prompt 8 --prompt "a person waves the right hand." \
    --prompt "a person waves both hands." --prompt "a person stands in place and waves a hand." \
    --json "$OUT/gesture_refined_below_t$T.json"
done
STAGE=train selftune_round
for r in $(cand_runs); do
  [ -f "$OUT/gesture_$r.json" ] || OMP_NUM_THREADS=1 python scripts/gesture_probe.py --data "$DATA" --per-prompt 8 \
    --checkpoint "$RUNS/st/$r/model.safetensors" --label "$r" --json "$OUT/gesture_$r.json" &
  [ -f "$OUT/sdedit_$r.json" ] || OMP_NUM_THREADS=1 python scripts/gesture_probe.py --data "$DATA" \
    --sdedit 50,100,200,300 --checkpoint "$RUNS/st/$r/model.safetensors:low" --label "$r:low" --json "$OUT/sdedit_$r.json" &
  wait
done
selftune_screen
# with SEEDS="1 2" done as well: L_acc of st_gw10 over its three selftune seeds against the control and the shipped pair
if [ -f "$OUT/motion_eval_st_gw10_s1.json" ] && [ -f "$OUT/motion_eval_st_gw10_s2.json" ]; then
  [ -f "$OUT/lacc_seeds.json" ] || python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json \
    docs/realism/ship/motion_eval_afu1i5hs7_s{0,1,2}.json "$OUT"/motion_eval_st_gw10_s{0,1,2}.json \
    --pair wf_control:pair_afu1i5hs7 --pair wf_control:st_gw10 --pair pair_afu1i5hs7:st_gw10 \
    --out "$OUT/lacc_seeds.json" > "$OUT/lacc_seeds.log" 2>&1
fi
[ "$STAGE" = train ] && exit 0
selftune_round  # trained: each candidate's 4 generation stores
LACC=1 selftune_protocol
# HAR on the WISDM watch at its native 20 Hz from the same stores, and both HAR results fit for fit
# (har_evals: selftune_protocol has written the BasicMotions one for the same sets)
# shellcheck disable=SC2046
har_evals $(for n in original smooth2 afu1i5hs7 $(cand_runs); do stores "$n" 0 1 2 3; done)
VS=$(for r in $(cand_runs); do echo "--versus $r:original --versus $r:smooth2 --versus $r:afu1i5hs7"; done)
# shellcheck disable=SC2086
har_versus $VS
