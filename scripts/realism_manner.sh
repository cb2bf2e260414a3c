#!/bin/bash
# Issue 14, seventeenth round (docs/realism.md §21): pace captions from the start of training. §18.5 gave the
# high-noise expert pace phrasings for 1,000 fine-tuning steps ("pace": 7 new captions in all, every take of a
# content and style shares them) and the held-out pace phrases stayed brisk. Here `imusim data build
# --caption-paraphrases manner` (ten or so phrasings per pace for the normal, active and tired styles, drawn per take:
# 1,259 distinct training captions against 692; the same clips, splits and statistics; no caption with "normal pace",
# "regular", "ordinary" or "slow") trains `original`'s recipe from scratch (training seed 0: the same batches as the
# shipped `original`, only the captions differ), then `refined_lacc`'s recipe on it (the shipped high-noise expert's),
# paired above the shipped low expert like §18.5's screen; the pace screen against the shipped `refined` and §18.5's
# pair, and above §20's trust-region low expert (st_ks1, seed 0), and the same fine-tune with whitened text
# embeddings (--text-whiten 0.01, and 0.1); then, unless STAGE=screen, the §16 protocol (4 generation seeds x 192 motions; realism against the normal-style
# mocap, BasicMotions and WISDM by prompt; HAR on BasicMotions; the motion evaluation on the test split) for CANDS.
#
#   bash scripts/realism_manner.sh              # ~40 min training + ~12 min fine-tune + ~45 min protocol, 2 cores
#   STAGE=screen bash scripts/realism_manner.sh # up to the pace screen
OUT="${OUT:-docs/realism/manner}"
source "$(dirname "$0")/realism_common.sh"
export OMP_NUM_THREADS=2
MD="$RUNS/data_manner"
[ -f "$MD/meta.json" ] || imusim data build --out "$MD" --facing anatomical --caption-paraphrases manner
mkdir -p "$RUNS/pace" "$OUT/training" "$RUNS/screen"
O="$RUNS/pace/original_manner_s0"  # original's recipe (imusim/checkpoints/original.safetensors' meta), these captions
[ -f "$O/metrics.csv" ] && [ "$(tail -n1 "$O/metrics.csv" | cut -d, -f1)" = 4000 ] || imusim train --data "$MD" \
  --out "$O" --steps 4000 --layers 4 --latent 256 --ff 512 --batch-size 32 --max-frames 120 --lr 2e-4 --seed 0 \
  $([ -f "$O/train_state.pt" ] && echo --resume) > "$O.log" 2>&1
lacc() {  # lacc NAME [ARGS...]: refined_lacc's recipe (realism_common.sh's FT) from $O on these captions into
  # $RUNS/pace/NAME (its training log into $OUT/training), skipped when finished
  local d="$RUNS/pace/$1"; shift
  trained "$d" || imusim finetune --data "$MD" --steps 1000 --batch-size 32 --max-frames 120 --lr 2e-4 \
    --from "$O/model.safetensors" --input wiener_f --out "$d" --seed 0 --lambda-acc 1.0 "$@" > "$d.log" 2>&1
  cp "$d/metrics.csv" "$OUT/training/metrics_${d##*/}.csv"
}
L="$RUNS/pace/lacc_manner_s0"
lacc lacc_manner_s0
# the same recipe with the text embeddings whitened by the training captions' covariance (finetune --text-whiten:
# function-preserving at step 0), so that captions that differ only in the pace word reach the network apart; and
# a milder floor (0.1: the small directions amplified up to ~3x instead of ~10x)
lacc lacc_manner_w_s0 --text-whiten 0.01
below_shipped "$RUNS/pace/lacc_manner_w_s0/model.safetensors" "$RUNS/screen/manner_w_pair.safetensors"
lacc lacc_manner_w01_s0 --text-whiten 0.1
below_shipped "$RUNS/pace/lacc_manner_w01_s0/model.safetensors" "$RUNS/screen/manner_w01_pair.safetensors"
cp "$O/metrics.csv" "$OUT/training/metrics_original_manner_s0.csv"
below_shipped "$L/model.safetensors" "$RUNS/screen/manner_pair.safetensors"
# and above §20's trust-region low expert (st_ks1, training seed 0: the crest without moving the gait)
below_shipped "$L/model.safetensors" "$RUNS/screen/manner_st.safetensors" "$RUNS/st/st_ks1_s0/model.safetensors"
# the pace screen: §18.5's prompts and two more held-out pace phrases, two training captions of this build
PACE=(--prompt "a person walks forward." --prompt "a person walks forward at a normal pace."
      --prompt "a person walks at a regular pace." --prompt "a person walks at an ordinary speed."
      --prompt "a person walks at a normal speed." --prompt "a person walks at a typical pace."
      --prompt "a person walks slowly." --prompt "a person walks energetically." --prompt "a person walks briskly."
      --prompt "a person walks at a moderate pace." --prompt "a person walks at a fast pace."
      --prompt "a person runs forward.")
probe() {  # probe LABEL CKPT JSON [ARGS...]
  local label=$1 ck=$2 js=$3; shift 3
  [ -f "$js" ] || python scripts/impulsiveness_probe.py --data "$DATA" --checkpoint "$ck" --label "$label" \
    --per-prompt 16 "${PACE[@]}" "$@" --json "$js"
}
probe refined refined_v3 "$OUT/pace_screen_refined.json" --guidance 1.0
probe manner_pair "$RUNS/screen/manner_pair.safetensors" "$OUT/pace_screen_manner_pair.json" --guidance 1.0
probe manner_st "$RUNS/screen/manner_st.safetensors" "$OUT/pace_screen_manner_st.json" --guidance 1.0
probe manner_w_pair "$RUNS/screen/manner_w_pair.safetensors" "$OUT/pace_screen_manner_w_pair.json" --guidance 1.0
probe manner_w01_pair "$RUNS/screen/manner_w01_pair.safetensors" "$OUT/pace_screen_manner_w01_pair.json" --guidance 1.0
# the badminton prompts (no badminton clip in the data: out of vocabulary), the shipped refined and the whitened pairs
[ -f "$OUT/badminton_screen.json" ] || python scripts/impulsiveness_probe.py --data "$DATA" --checkpoint refined_v3 \
  --checkpoint "$RUNS/screen/manner_pair.safetensors" --checkpoint "$RUNS/screen/manner_w_pair.safetensors" \
  --checkpoint "$RUNS/screen/manner_w01_pair.safetensors" --label refined --label manner_pair --label manner_w_pair \
  --label manner_w01_pair --guidance 1.0 --per-prompt 16 --prompt "a person plays badminton, swinging a racket." \
  --prompt "a person swings an arm overhead as if hitting a shuttlecock." --json "$OUT/badminton_screen.json"
probe pace_pair "$RUNS/screen/pace_pair.safetensors" "$OUT/pace_screen_pace_pair.json" --guidance 1.0
# the two from-scratch networks alone at original's recorded guidance (2.5): does the base model tell the paces apart?
probe original original "$OUT/pace_screen_original.json" --guidance 2.5
probe original_manner "$O/model.safetensors" "$OUT/pace_screen_original_manner.json" --guidance 2.5
[ "$STAGE" = screen ] && exit 0

store_inputs
normal_mocap_store
GEN=(0 1 2 3)
# the §16 protocol for each of CANDS into $OUT/CAND/ (beside the shipped refined; manner_st made manner_pair's screen
# and was not carried further)
CANDS=(${CANDS:-manner_pair manner_w_pair})
export OMP_NUM_THREADS=1
GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined_v3.safetensors "${GEN[@]}"
for c in "${CANDS[@]}"; do
  mkdir -p "$RUNS/$c"; ln -sf "$(realpath "$RUNS/screen/$c.safetensors")" "$RUNS/$c/model.safetensors"
  gen4 "$c" "$RUNS/$c/model.safetensors" "$RUNS/pace/gen_$c"
done
export OMP_NUM_THREADS=2
for c in "${CANDS[@]}"; do
  P="$OUT/$c"; mkdir -p "$P"
  SETS=("$(stores afu1i5hs7 "${GEN[@]}")" "$(stores "$c" "${GEN[@]}")")
  like_for_like "$P" "${SETS[@]}"
  H=("$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "${SETS[@]}")
  [ -f "$P/har_basicmotions/results.json" ] || imusim evaluate --real basicmotions --repeats 8 \
    --reference original --out "$P/har_basicmotions" $(printf -- "--synthetic %s " "${H[@]}")
  OUT="$P" motion_evals "$c"
done
