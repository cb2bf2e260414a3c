#!/bin/bash
# Issue 14, sixth round (docs/realism.md §10): foot skating is a root-trajectory fault. Generated motions' velocity
# channels already plant the feet; the root's integrated velocity does not follow them. A foot contact term whose
# gradient reaches only the root channels (--fc-grad root) asks the root to follow the standing foot, without
# letting the body meet the term by standing still. ~1.5 h on 2 CPU cores (the two fine-tunes ~25 min side by side, then ~1 h of evaluation).
#
#   bash scripts/realism_root.sh            # diagnose, train, generate, evaluate (skips what exists under $RUNS)
#   STAGE=eval bash scripts/realism_root.sh # only the evaluations
#
# 1. Diagnosis (scripts/skating_probe.py): skating of generated test-split motions as decoded, with the root
#    re-anchored on the standing foot, and as the model's own velocity channels state it.
# 2. rfc: the shipped high expert's recipe (L_acc, λ 1) + --lambda-fc 10 --fc-contact pred --fc-grad root;
#    rfclo: the low expert's (imulo) + the same term; paired at t = 300 like the shipped refined; training seed 0.
# It uses the runs and stores of scripts/realism_fix.sh, realism_sweep.sh and realism_experts.sh: run those first.
OUT="${OUT:-docs/realism/root}"
source "$(dirname "$0")/realism_common.sh"
declare -A ARGS=([rfc]="--lambda-acc 1 --lambda-fc 10 --fc-contact pred --fc-grad root"
                 [rfclo]="--lambda-acc 1 --lambda-imu 0.03 --aux-t-max 300 --lambda-fc 10 --fc-contact pred --fc-grad root")
SEEDS="${SEEDS:-0}"
if [ "$STAGE" = all ]; then
  for s in $SEEDS; do ft rt rfc "$s" & ft rt rfclo "$s" & wait; done
fi
pair pair_rfc300 rt_rfc_s0 rt_rfclo_s0
# the shipped pair of each training seed under the name evaluate-motion gives it when sampled with --anchor-feet 1
for s in 0 1 2; do [ -e "$RUNS/anchored_s$s" ] || ln -s "pair_imulo300$([ $s = 0 ] || echo _s$s)" "$RUNS/anchored_s$s"; done

motion_lane() {
  # 1. where the skating is (132 test clips, guidance 1, generation seed 0): decoded, root re-anchored, velocity channels
  [ -f "$OUT/skating_probe.json" ] || python scripts/skating_probe.py --data "$DATA" --json "$OUT/skating_probe.json" \
    --checkpoint original --checkpoint "$RUNS/wf_control_s0/model.safetensors" --checkpoint refined_lacc \
    --checkpoint "$RUNS/pair_imulo300/model.safetensors" --checkpoint "$RUNS/pair_imulo300/model.safetensors@anchor=1" \
    --checkpoint "$RUNS/pair_imulo300/model.safetensors@anchor=300" --checkpoint "$RUNS/pair_imulo300/model.safetensors@anchor=1000" \
    --checkpoint "$RUNS/rt_rfc_s0/model.safetensors" --checkpoint "$RUNS/pair_rfc300/model.safetensors"

  # 2. motion quality on the test split at guidance 1 (the same noise as docs/realism/spec/motion_eval_g1.json): the
  #    root-only foot contact term (negative), and the shipped pair of each training seed sampled with --anchor-feet 1
  # shellcheck disable=SC2046
  [ -f "$OUT/motion_eval_rfc.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
    $(ck rt_rfc_s0 pair_rfc300) --json "$OUT/motion_eval_rfc.json" --markdown "$OUT/motion_eval_rfc.md"
  # shellcheck disable=SC2046
  [ -f "$OUT/motion_eval_anchor.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 --anchor-feet 1 \
    $(ck anchored_s0 anchored_s1 anchored_s2) --json "$OUT/motion_eval_anchor.json" --markdown "$OUT/motion_eval_anchor.md"
  python scripts/motion_eval_stats.py "$OUT/motion_eval_anchor.json" "$OUT/motion_eval_rfc.json" docs/realism/experts/motion_eval.json \
    docs/realism/experts/motion_eval_pair_s12.json docs/realism/spec/motion_eval_g1.json \
    --pair wf_control:anchored --pair pair_imulo300:anchored --pair wf_control:rt_rfc --pair wf_control:pair_rfc300 \
    --out "$OUT/motion_eval_stats.json"
}
sensor_stores() {
  # 3. the sensors: the pair of each training seed sampled with --anchor-feet 1 (4 generation seeds), realism against
  #    the three references and HAR on both real sets beside the same pair without it (docs/realism/experts/seeds_pair)
  GEN_ARGS="--guidance 1.0 --anchor-feet 1" gen pa1 "$RUNS/pair_imulo300/model.safetensors" 0 1 2 3
  GEN_ARGS="--guidance 1.0 --anchor-feet 1" gen pa1t1 "$RUNS/pair_imulo300_s1/model.safetensors" 0 1 2 3
  GEN_ARGS="--guidance 1.0 --anchor-feet 1" gen pa1t2 "$RUNS/pair_imulo300_s2/model.safetensors" 0 1 2 3
}
motion_lane & sensor_stores & wait  # one core each
ren() { stores "$1" 0 1 2 3 | sed "s/^$1=/$2=/"; }
OUT="$OUT/seeds" seeded_eval pair_t0 "$(ren pimulo300 pair_t0)" "$(ren pimulo300t1 pair_t1)" "$(ren pimulo300t2 pair_t2)" \
  "$(ren pa1 anchored_t0)" "$(ren pa1t1 anchored_t1)" "$(ren pa1t2 anchored_t2)"
python scripts/training_seed_summary.py $(for r in mocap basicmotions wisdm; do
  printf -- "--realism %s=%s " "$r" "$OUT/seeds/realism_$r/realism.json"; done) \
  --har "basicmotions=$OUT/seeds/har_basicmotions/results.json" --har "wisdm=$OUT/seeds/har_wisdm/results.json" \
  --out "$OUT/seeds/training_seeds.json"
