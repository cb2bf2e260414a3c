#!/bin/bash
# Issue 14, §29: why st_kv3's FID rose (§28.4). The shipped refined and st_kv3 selftune seeds 0-2 through
# evaluate-motion again (the same sampler, clips and encoder as docs/realism/keep/, now writing the per-clip
# embeddings, FID's mean and covariance terms and the FID encoder's activity per clip), then
# scripts/fid_attribution.py of each seed against the shipped, into docs/realism/fid.
#   bash scripts/realism_fid.sh   # ~30 min on two cores
OUT=docs/realism/fid
source scripts/realism_common.sh
mkdir -p "$OUT"
link_shipped_pair
for s in 0 1 2; do link_st "st_kv3_s$s"; done
{ OMP_NUM_THREADS=1 motion_evals pair_afu1i5hs7 st_kv3_s1; } > "$RUNS/fid_eval_a.log" 2>&1 &
{ OMP_NUM_THREADS=1 motion_evals st_kv3_s0 st_kv3_s2; } > "$RUNS/fid_eval_b.log" 2>&1 &
wait
# the same four with the encoder reading consistent features (evaluate-motion --fid-features consistent)
export EVAL_TAG=consistent_ EVAL_ARGS="--fid-features consistent"
{ OMP_NUM_THREADS=1 motion_evals pair_afu1i5hs7 st_kv3_s1; } > "$RUNS/fid_eval_c.log" 2>&1 &
{ OMP_NUM_THREADS=1 motion_evals st_kv3_s0 st_kv3_s2; } > "$RUNS/fid_eval_d.log" 2>&1 &
wait
unset EVAL_TAG EVAL_ARGS
for s in 0 1 2; do
  for t in "" consistent_; do
    python scripts/fid_attribution.py --base "$OUT/motion_eval_${t}afu1i5hs7.json" \
      --cand "$OUT/motion_eval_${t}st_kv3_s$s.json" --json "$OUT/attribution_${t}s$s.json" \
      > "$OUT/attribution_${t}s$s.log"
  done
done
# which channels (scripts/fid_channels.py), seeds 0-2 against the shipped, two at a time
for s in 0 1 2; do
  [ -f "$OUT/channels_s$s.json" ] || OMP_NUM_THREADS=1 python scripts/fid_channels.py --data "$DATA" \
    --base "$RUNS/eval/pair_afu1i5hs7/model.safetensors" --cand "$RUNS/eval/st_kv3_s$s/model.safetensors" \
    --json "$OUT/channels_s$s.json" > "$OUT/channels_s$s.log" 2> "$RUNS/fid_channels_s$s.err" &
  [ "$s" = 1 ] && wait
done
wait
# the shipped `original` (the paper's baseline, at its recorded guidance) against the shipped refined: do all models
# walk slowly, or did the pair slow them?
[ -f "$OUT/channels_original.json" ] || OMP_NUM_THREADS=1 python scripts/fid_channels.py --data "$DATA" \
  --base "$RUNS/eval/pair_afu1i5hs7/model.safetensors" --cand original --guidance checkpoint \
  --json "$OUT/channels_original.json" > "$OUT/channels_original.log" 2> "$RUNS/fid_channels_original.err"
