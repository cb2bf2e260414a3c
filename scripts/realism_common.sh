# Shared by the scripts/realism_*.sh rounds (sourced, not run): the environment, the paths,
# the data set, and the HAR/realism store protocol (4 activities x 48 motions, wrist_l for BasicMotions, wrist_r for
# WISDM, thigh_r; 50 Hz) with its rendered-mocap reference. The caller sets OUT's default before sourcing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1
RUNS="${RUNS:-runs}"
DATA="${DATA:-$RUNS/data_anat}"
STAGE="${STAGE:-all}"
# the HAR/realism stores' prompts and where they go: the protocol of §9-§26 (protocol_activities.yaml: the default
# prompts of that time) unless a round names its own (§27's still standers: HAR_ACTS=docs/realism/still/activities.yaml)
HAR_ACTS="${HAR_ACTS:-$RUNS/har_activities.yaml}"
HAR_DIR="${HAR_DIR:-$RUNS/har}"
mkdir -p "$HAR_DIR"
mkdir -p "$OUT"
[ -f "$DATA/meta.json" ] || imusim data build --out "$DATA" --facing anatomical   # the shipped models' statistics

# the fine-tune of the realism rounds: the shipped `original` converted to the spectral Wiener input, 1,000 steps of
# the shipped recipe; a round adds its terms per candidate in ARGS[NAME] (declared by the caller)
FT=(--data "$DATA" --steps 1000 --batch-size 32 --max-frames 120 --lr 2e-4 --from original --input wiener_f)
ft() {  # ft PREFIX NAME SEED: fine-tune candidate NAME into $RUNS/PREFIX_NAME_sSEED, skipped when finished
  local out="$RUNS/$1_$2_s$3"
  trained "$out" && return
  # shellcheck disable=SC2086
  imusim finetune "${FT[@]}" --out "$out" --seed "$3" ${ARGS[$2]} > "$out.log" 2>&1
}

train_stage() {  # train_stage PREFIX: when STAGE is all or train, the fine-tunes of CANDS x SEEDS (all at once; set them
  # so that no more run than there are cores) into $RUNS/PREFIX_CAND_sSEED
  if [ "$STAGE" = all ] || [ "$STAGE" = train ]; then
    for c in "${CANDS[@]}"; do
      for s in "${SEEDS[@]}"; do ft "$1" "$c" "$s" & done
    done
    wait
  fi
}

link_shipped_pair() {  # $RUNS/pair_afu1i5hs7/model.safetensors: a link to `refined_v3`, the `refined` shipped from §16
  # to §36 (realism_ship.sh's pair_afu1i5hs7_s0), under the run name the motion evaluations and FID probes compare
  # against
  mkdir -p "$RUNS/pair_afu1i5hs7"
  ln -sf "$(realpath imusim/checkpoints/refined_v3.safetensors)" "$RUNS/pair_afu1i5hs7/model.safetensors"
}

link_shipped() {  # $RUNS/refined and $RUNS/refined_lacc: links to the shipped checkpoints (what pair and gen read).
  # $RUNS/refined is `refined_v2`, the pair every round from §9 to §16 calls `refined` and compares against (the
  # `refined` shipped since §16 is realism_ship.sh's afu1i5hs7, training seed 0)
  for n in refined refined_lacc; do
    local f=$n; [ "$n" = refined ] && f=refined_v2
    mkdir -p "$RUNS/$n"; ln -sf "$(realpath imusim/checkpoints/$f.safetensors)" "$RUNS/$n/model.safetensors"
  done
}

pair() {  # pair NAME HIGH_RUN LOW_RUN [SPLIT]: $RUNS/NAME/model.safetensors, HIGH_RUN's network for the sampler's
  # steps t >= SPLIT (default 300, the shipped `refined`'s), LOW_RUN's below (`imusim experts`); skipped when it exists
  mkdir -p "$RUNS/$1"
  [ -f "$RUNS/$1/model.safetensors" ] || imusim experts --high "$RUNS/$2/model.safetensors" --low "$RUNS/$3/model.safetensors" \
    --below-t "${4:-300}" --out "$RUNS/$1/model.safetensors"
}

low_expert() {  # low_expert PAIR OUT: the low-noise expert of the two-expert checkpoint PAIR (zoo name or file) as a
  # checkpoint of its own, OUT, carrying PAIR's sampling settings (what imusim experts --low reads)
  python - "$1" "$2" <<'PY'
import sys
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
from imusim.diffusion.zoo import resolve_checkpoint
pair, mean, std, enc, meta = load_checkpoint(resolve_checkpoint(sys.argv[1]))
save_checkpoint(sys.argv[2], pair.low, mean, std, enc, {"sampling": dict(meta["sampling"])})
PY
}

below_shipped() {  # below_shipped HIGH OUT [PAIR]: HIGH above t = 300, the low expert of PAIR (default: the shipped
  # refined) below, sampled as PAIR is (the shipped refined: anchor 300, height rule, smoothed 0.7); skipped when OUT
  # exists
  [ -f "$2" ] && return
  low_expert "${3:-refined}" "$2.low.safetensors"
  python -c 'import sys; from imusim.diffusion.checkpoint import save_expert_pair
save_expert_pair(sys.argv[2], sys.argv[1], sys.argv[3], 300)' "$1" "$2" "$2.low.safetensors"
}

steps_done() {  # steps_done RUNDIR N: the training run in RUNDIR reached its N-th step
  [ -f "$1/metrics.csv" ] && [ "$(tail -n1 "$1/metrics.csv" | cut -d, -f1)" = "$2" ]
}

trained() {  # trained RUNDIR: the fine-tune in RUNDIR reached its 1,000th step
  steps_done "$1" 1000
}

store_inputs() {  # the activity file of the stores and the rendered-mocap reference store (docs/realism/mocap)
  [ -f "$RUNS/har_activities.yaml" ] || cp docs/realism/protocol_activities.yaml "$RUNS/har_activities.yaml"
  [ -f out/realism/mocap_store/meta.json ] || imusim generate --from-mocap ../shared/data \
    --activities docs/realism/mocap/activities.yaml --per-activity 100 --sensors wrist_r --rate 50 --out out/realism/mocap_store
}

normal_mocap_store() {  # the like-for-like (normal acting style) rendered mocap reference, §18.1
  [ -f out/realism/mocap_store_normal/meta.json ] || imusim generate --from-mocap ../shared/data --rate 50 \
    --activities docs/realism/mocap/activities.yaml --per-activity 300 --mocap-styles normal --sensors wrist_l,wrist_r \
    --out out/realism/mocap_store_normal
}

gen() {  # [GEN_ARGS="--guidance 1.0"] gen NAME CKPT SEEDS...: one store per generation seed of $HAR_ACTS' prompts,
  # $HAR_DIR/NAME_sSEED
  local name=$1 ck=$2; shift 2
  for s in "$@"; do
    # shellcheck disable=SC2086
    [ -f "$HAR_DIR/${name}_s$s/summary.json" ] || imusim generate --checkpoint "$ck" --activities "$HAR_ACTS" \
      --per-activity 48 --sensors wrist_l,wrist_r,thigh_r --rate 50 --batch 64 --seed "$s" ${GEN_ARGS:-} --out "$HAR_DIR/${name}_s$s"
  done
}

link_original() {  # $RUNS/original_s0: a link to the shipped `original` (training seed 0 of its recipe; what gen and
  # evaluate-motion read)
  mkdir -p "$RUNS/original_s0"
  ln -sf "$(realpath imusim/checkpoints/original.safetensors)" "$RUNS/original_s0/model.safetensors"
}

cand_runs() {  # cand_runs: the run names CAND_sSEED of CANDS x SEEDS (arrays set by the caller), one per line
  local c s
  for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do echo "${c}_s$s"; done; done
}

probe_checkpoints() {  # probe_checkpoints: "--checkpoint $RUNS/st/RUN/model.safetensors --label RUN" per run of
  # cand_runs (the probes' arguments for the selftune outputs)
  local r
  for r in $(cand_runs); do echo "--checkpoint $RUNS/st/$r/model.safetensors --label $r"; done
}

link_zoo() {  # link_zoo NAME: $RUNS/NAME/model.safetensors, a link to the shipped checkpoint NAME (what gen and ck read)
  mkdir -p "$RUNS/$1"; ln -sf "$(realpath "imusim/checkpoints/$1.safetensors")" "$RUNS/$1/model.safetensors"
}

link_st() {  # link_st RUN: $RUNS/RUN/model.safetensors, a link to the selftune output $RUNS/st/RUN (what gen and ck read)
  mkdir -p "$RUNS/$1"; ln -sf "$(realpath "$RUNS/st/$1/model.safetensors")" "$RUNS/$1/model.safetensors"
}

gen4() {  # [GEN4_ARGS=...] gen4 NAME CKPT LOG: NAME's 4 generation stores at guidance 1 (and GEN4_ARGS), seeds 0 1
  # and 2 3 side by side (one core each), logs LOG_a.log and LOG_b.log
  { GEN_ARGS="--guidance 1.0 ${GEN4_ARGS:-}" OMP_NUM_THREADS=1 gen "$1" "$2" 0 1; } > "$3_a.log" 2>&1 &
  { GEN_ARGS="--guidance 1.0 ${GEN4_ARGS:-}" OMP_NUM_THREADS=1 gen "$1" "$2" 2 3; } > "$3_b.log" 2>&1 &
  wait
}

st_motion() {  # [EVAL_ARGS=...] st_motion RUN: the selftune output $RUNS/st/RUN's motion evaluation (motion_evals)
  # and its sampling chain's speeds (chain_probe) into $OUT, side by side (one core each), each skipped when it exists
  link_st "$1"
  OMP_NUM_THREADS=1 motion_evals "$1" &
  chain_probe "$1" &
  wait
}

chain_probe() {  # chain_probe RUN: the sampling chain's speeds with the legs' (scripts/chain_speed_probe.py --legs; at
  # the run's recorded guidance) of $RUNS/st/RUN into $OUT/chain_RUN.{json,log}, one core, skipped when it exists
  [ -f "$OUT/chain_$1.json" ] || OMP_NUM_THREADS=1 python scripts/chain_speed_probe.py --data "$DATA" \
    --checkpoint "$RUNS/st/$1/model.safetensors" --chain --legs --json "$OUT/chain_$1.json" > "$OUT/chain_$1.log" \
    2> /dev/null
}

style_probe() {  # style_probe RUN GUIDANCE: the walkers' and runners' wrist parts and speeds by style
  # (scripts/skating_probe.py) of $RUNS/st/RUN sampled at GUIDANCE into $OUT/skating_probe_RUN.{json,log}, one core,
  # skipped when it exists
  [ -f "$OUT/skating_probe_$1.json" ] || OMP_NUM_THREADS=1 python scripts/skating_probe.py --data "$DATA" \
    --guidance "$2" --activity walk,run --checkpoint "$RUNS/st/$1/model.safetensors" \
    --json "$OUT/skating_probe_$1.json" > "$OUT/skating_probe_$1.log" 2> /dev/null
}

stores() {  # stores NAME SEEDS...: "NAME=store,store,..." for --synthetic
  local n=$1; shift; local d=""
  for s in "$@"; do d="${d:+$d,}$HAR_DIR/${n}_s$s"; done
  echo "$n=$d"
}

realism_refs() {  # realism_refs DIR SUFFIX SET...: the sets ("NAME=store,...") against the three realism references
  # (rendered mocap wrist_r, BasicMotions wrist_l, the WISDM watch) into DIR/realism_{mocap,basicmotions,wisdm}SUFFIX
  local dir=$1 sfx=$2; shift 2
  imusim realism --synthetic "$@" --reference store:out/realism/mocap_store --sensor wrist_r --out "$dir/realism_mocap$sfx"
  imusim realism --synthetic "$@" --reference basicmotions --sensor wrist_l --out "$dir/realism_basicmotions$sfx"
  imusim realism --synthetic "$@" --reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
    --labels docs/realism/mocap/wisdm_labels.yaml --out "$dir/realism_wisdm$sfx"
}

seeded_eval() {  # seeded_eval REFERENCE SET...: the seeded sets ("NAME=store,...") against the three realism references
  # (rendered mocap wrist_r, BasicMotions wrist_l, the WISDM watch) and HAR trained on them (4 generation seeds x 2
  # fits) on BasicMotions and the WISDM watch, the differences relative to REFERENCE; into $OUT
  local ref=$1; shift
  realism_refs "$OUT" "" "$@"
  imusim evaluate --real basicmotions --repeats 8 --reference "$ref" --out "$OUT/har_basicmotions" \
    $(printf -- "--synthetic %s " "$@")
  imusim evaluate --real ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
    --labels docs/realism/fix/wisdm_har_labels.yaml --repeats 8 --reference "$ref" --bound-max-windows 900 \
    --out "$OUT/har_wisdm" $(printf -- "--synthetic %s " "$@")
}

har_evals() {  # [HAR_REF=original HAR_BM_ARGS=... HAR_BM3_ARGS=... HAR_WISDM_ARGS=...] har_evals SET...: HAR
  # trained on the sets ("NAME=store,...", 8 fits per store), tested on BasicMotions (its four classes, and without
  # badminton: §35.2), and on the WISDM watch at its native 20 Hz, relative to HAR_REF (a set's NAME), into
  # $OUT/har_basicmotions, $OUT/har_basicmotions3 and $OUT/har_wisdm; each skipped when it exists
  local ref="${HAR_REF:-original}"
  # shellcheck disable=SC2046,SC2086
  [ -f "$OUT/har_basicmotions/results.json" ] || imusim evaluate --real basicmotions --repeats 8 --reference "$ref" \
    ${HAR_BM_ARGS:-} --out "$OUT/har_basicmotions" $(printf -- "--synthetic %s " "$@")
  # shellcheck disable=SC2046,SC2086
  [ -f "$OUT/har_basicmotions3/results.json" ] || imusim evaluate --real basicmotions --repeats 8 --reference "$ref" \
    --labels docs/realism/nobadminton/bm3_labels.yaml --upper-bound skip ${HAR_BM3_ARGS:-} \
    --out "$OUT/har_basicmotions3" $(printf -- "--synthetic %s " "$@")
  # shellcheck disable=SC2046,SC2086
  [ -f "$OUT/har_wisdm/results.json" ] || imusim evaluate --real ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
    --labels docs/realism/fix/wisdm_har_labels.yaml --repeats 8 --reference "$ref" --bound-max-windows 900 \
    ${HAR_WISDM_ARGS:-} --out "$OUT/har_wisdm" $(printf -- "--synthetic %s " "$@")
}

har_versus() {  # har_versus --versus A:B ...: the wrist checks of like_for_like's realism (where it ran) and
  # har_evals' HAR results, config against config fit for fit (scripts/training_seed_summary.py) into
  # $OUT/har_versus.{json,log}, $OUT/har_wisdm_versus.{json,log} and (where it ran) $OUT/har_bm3_versus.{json,log}
  local real=()
  [ -f "$OUT/realism_mocap_normal/realism.json" ] && real+=(--realism mocap="$OUT/realism_mocap_normal/realism.json")
  [ -f "$OUT/realism_basicmotions/realism.json" ] && real+=(--realism basicmotions="$OUT/realism_basicmotions/realism.json")
  python scripts/training_seed_summary.py "${real[@]}" --har basicmotions="$OUT/har_basicmotions/results.json" \
    "$@" --out "$OUT/har_versus.json" > "$OUT/har_versus.log" 2>&1
  python scripts/training_seed_summary.py --har wisdm="$OUT/har_wisdm/results.json" "$@" --out "$OUT/har_wisdm_versus.json" \
    > "$OUT/har_wisdm_versus.log" 2>&1
  if [ -f "$OUT/har_basicmotions3/results.json" ]; then
    python scripts/training_seed_summary.py --har bm3="$OUT/har_basicmotions3/results.json" "$@" \
      --out "$OUT/har_bm3_versus.json" > "$OUT/har_bm3_versus.log" 2>&1
  fi
}

like_for_like() {  # like_for_like DIR SET...: the sets ("NAME=store,...") by prompt against the normal-style
  # mocap (wrist_r), BasicMotions (wrist_l) and the WISDM watch into DIR/realism_{mocap_normal,basicmotions,wisdm}
  # (§18's like-for-like references, 500 bootstrap draws), each skipped when it exists
  local dir=$1; shift
  local r=(--by prompt --bootstrap 500)
  [ -f "$dir/realism_mocap_normal/realism.json" ] || imusim realism --synthetic "$@" \
    --reference store:out/realism/mocap_store_normal --sensor wrist_r "${r[@]}" --out "$dir/realism_mocap_normal"
  [ -f "$dir/realism_basicmotions/realism.json" ] || imusim realism --synthetic "$@" \
    --reference basicmotions --sensor wrist_l "${r[@]}" --out "$dir/realism_basicmotions"
  [ -f "$dir/realism_wisdm/realism.json" ] || imusim realism --synthetic "$@" \
    --reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz \
    --labels docs/realism/mocap/wisdm_labels.yaml "${r[@]}" --out "$dir/realism_wisdm"
}

versus_shipped() {  # versus_shipped NAME...: the still-standers protocol's evaluation of the candidates NAME (their
  # stores NAME_s0..s3) beside the shipped refined's: the like-for-like wrist checks into $OUT (with afu1i5hs7), HAR
  # (with `original`, the smoothing baseline and afu1i5hs7) and each candidate against those three, fit for fit
  local n S=() V=()
  export OMP_NUM_THREADS=2
  normal_mocap_store
  for n in "$@"; do
    S+=("$(stores "$n" 0 1 2 3)")
    for b in original smooth2 afu1i5hs7; do V+=(--versus "$n:$b"); done
  done
  like_for_like "$OUT" "$(stores afu1i5hs7 0 1 2 3)" "${S[@]}"
  har_evals "$(stores original 0 1 2 3)" "$(stores smooth2 0 1 2 3)" "$(stores afu1i5hs7 0 1 2 3)" "${S[@]}"
  har_versus "${V[@]}"
}

ck() {  # ck RUN...: "--checkpoint $RUNS/eval/RUN/model.safetensors ..." (a link per run, so evaluate-motion names it RUN)
  for n in "$@"; do
    mkdir -p "$RUNS/eval/$n"
    ln -sf "$(realpath "$RUNS/$n/model.safetensors")" "$RUNS/eval/$n/model.safetensors"
    printf -- "--checkpoint %s " "$RUNS/eval/$n/model.safetensors"
  done
}

hpair() {  # [HIGH=RUN] hpair NAME LOW_RUN [SIGMA]: $RUNS/NAME, refined_lacc (or $RUNS/HIGH) above t = 300 and LOW_RUN
  # below, sampled with the height rule (and the anchored root smoothed by SIGMA frames; §15), appended to the caller's
  # PAIRS; skipped when it exists
  mkdir -p "$RUNS/$1"
  [ -f "$RUNS/$1/model.safetensors" ] || imusim experts --high "$RUNS/${HIGH:-refined_lacc}/model.safetensors" \
    --low "$RUNS/$2/model.safetensors" --below-t 300 --anchor-contact height ${3:+--anchor-smooth $3} \
    --out "$RUNS/$1/model.safetensors"
  PAIRS+=("$1")
}

motion_evals() {  # [EVAL_TAG=T EVAL_ARGS=...] motion_evals PAIR...: evaluate-motion of each pair run on the test split
  # at guidance 1 (and EVAL_ARGS) into $OUT/motion_eval_TNAME.{json,md} (NAME: the run without "pair_"), skipped when
  # it exists
  local p f
  for p in "$@"; do
    f="$OUT/motion_eval_${EVAL_TAG:-}${p#pair_}"
    # shellcheck disable=SC2046,SC2086
    [ -f "$f.json" ] || imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 ${EVAL_ARGS:-} \
      $(ck "$p") --json "$f.json" --markdown "$f.md"
  done
}

selftune_train() {  # [TUNE=hightune TUNE_ARGS=...] selftune_train: the self-sampled fine-tunes of CANDS x SEEDS
  # (arrays; imusim $TUNE (default selftune) $TUNE_ARGS $BASE ${ARGS[CAND]}, ARGS an associative array; TUNE_ARGS
  # default: from refined_v3, the pair every selftune round of §19-§36 started from, the `refined` of its time), all at once,
  # one core each, into $RUNS/st/CAND_sSEED (each skipped when trained); their training logs into $OUT/training
  local c s d r
  mkdir -p "$RUNS/st" "$OUT/training"
  for c in "${CANDS[@]}"; do for s in "${SEEDS[@]}"; do
    d="$RUNS/st/${c}_s$s"
    # shellcheck disable=SC2086
    [ -f "$d/model.safetensors" ] || { mkdir -p "$d"; OMP_NUM_THREADS=1 imusim "${TUNE:-selftune}" --data "$DATA" \
      --out "$d" --seed "$s" ${TUNE_ARGS:---checkpoint refined_v3} $BASE ${ARGS[$c]} > "$d.log" 2>&1; } &
  done; done
  wait
  for r in $(cand_runs); do cp "$RUNS/st/$r/metrics.csv" "$OUT/training/metrics_$r.csv"; done
}

selftune_round() {  # selftune_round: selftune_train, then the impulsiveness screen of each run into
  # $OUT/impulsiveness_CAND_sSEED.json; with STAGE=train the caller stops there, else each candidate's 4 generation
  # stores ($HAR_DIR/CAND_sSEED_sGEN) follow. Skips what exists.
  local r
  selftune_train
  for r in $(cand_runs); do
    [ -f "$OUT/impulsiveness_$r.json" ] || OMP_NUM_THREADS=1 python scripts/impulsiveness_probe.py --data "$DATA" \
      --checkpoint "$RUNS/st/$r/model.safetensors" --label "$r" --guidance 1.0 --per-prompt 16 \
      --json "$OUT/impulsiveness_$r.json" > "$RUNS/st/impulse_$r.log" 2>&1 &
  done
  wait
  [ "$STAGE" = train ] && return 0
  for r in $(cand_runs); do
    link_st "$r"
    gen4 "$r" "$RUNS/$r/model.safetensors" "$RUNS/st/gen_$r"
  done
}

baseline_stores() {  # baseline_stores SEEDS...: the HAR baselines' stores, the shipped `original` ($HAR_DIR/original_sS)
  # and its smoothing (--smooth 2, $HAR_DIR/smooth2_sS) at their recorded guidance, the two side by side (one core
  # each; what realism_reference.sh writes), each skipped when it exists
  link_original
  { OMP_NUM_THREADS=1 gen original "$RUNS/original_s0/model.safetensors" "$@"; } > "$RUNS/baseline_gen_a.log" 2>&1 &
  { GEN_ARGS="--smooth 2" OMP_NUM_THREADS=1 gen smooth2 "$RUNS/original_s0/model.safetensors" "$@"; } \
    > "$RUNS/baseline_gen_b.log" 2>&1 &
  wait
}

# the screens' texture_probe.py prompts (docs/realism.md §22-23): the plain walker, the held-out pace phrase, the runner
SCREEN_PROMPTS=(--prompt "a person walks forward." --prompt "a person walks forward at a normal pace."
  --prompt "a person runs forward.")

screen_stores() {  # screen_stores DIR [NAME...]: one generation store (seed 0, guidance 1) per candidate of
  # selftune_round's CANDS x SEEDS (one core each, at once) beside the shipped `refined`'s seed-0 store and the
  # earlier candidates NAME's where they are on this machine, by prompt against the like-for-like references into DIR
  local dir=$1 r n; shift
  GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined_v3.safetensors 0
  local SCREEN=("$(stores afu1i5hs7 0)")
  for n in "$@"; do [ -f "$HAR_DIR/${n}_s0/summary.json" ] && SCREEN+=("$(stores "$n" 0)"); done
  for r in $(cand_runs); do
    link_st "$r"
    { GEN_ARGS="--guidance 1.0" OMP_NUM_THREADS=1 gen "$r" "$RUNS/$r/model.safetensors" 0; } > "$RUNS/st/gen_${r}_a.log" 2>&1 &
    SCREEN+=("$(stores "$r" 0)")
  done
  wait
  OMP_NUM_THREADS=2 like_for_like "$dir" "${SCREEN[@]}"
}

selftune_screen() {  # selftune_screen [NAME...]: the screen of selftune_round's CANDS x SEEDS (after it has trained
  # them): texture_probe.py on SCREEN_PROMPTS into $OUT/texture_TAG.json (TAG: the candidates, and their seeds where
  # not only 0), bone_length_probe.py per run into $OUT/bones_RUN.json, one generation store each by prompt against
  # the like-for-like references beside the shipped `refined`'s and the earlier runs NAME's that are not screened now
  # (screen_stores, into $OUT/screen_TAG), the motion evaluation of each run. Skips what exists.
  local tag="${CANDS[*]}" r n
  [ "${SEEDS[*]}" = 0 ] || tag="$tag s${SEEDS[*]}"
  tag="${tag// /_}"
  # shellcheck disable=SC2046
  [ -f "$OUT/texture_$tag.json" ] || OMP_NUM_THREADS=1 python scripts/texture_probe.py --data "$DATA" --guidance 1.0 \
    $(probe_checkpoints) "${SCREEN_PROMPTS[@]}" --json "$OUT/texture_$tag.json" &
  for r in $(cand_runs); do
    [ -f "$OUT/bones_$r.json" ] || OMP_NUM_THREADS=1 python scripts/bone_length_probe.py --data "$DATA" \
      --checkpoint "$RUNS/st/$r/model.safetensors" --label "$r" --json "$OUT/bones_$r.json"
  done &
  wait
  local new=" $(cand_runs | tr '\n' ' ')" earlier=()
  for n in "$@"; do [[ "$new" == *" $n "* ]] || earlier+=("$n"); done
  screen_stores "$OUT/screen_$tag" "${earlier[@]}"
  for r in $(cand_runs); do OMP_NUM_THREADS=1 motion_evals "$r" & done
  wait
}

selftune_protocol() {  # selftune_protocol [NAME...]: the candidates of selftune_round beside the shipped `refined`
  # (afu1i5hs7) and the earlier rounds' candidates NAME (each when its 4 stores exist): realism by prompt against the
  # three like-for-like references, HAR on BasicMotions (beside original and smoothing), the motion evaluation of each
  # candidate on the test split; with LACC=1 also L_acc paired with the continued control into $OUT/lacc_vs_control.json
  local GEN=(0 1 2 3) c r n
  GEN_ARGS="--guidance 1.0" gen afu1i5hs7 imusim/checkpoints/refined_v3.safetensors "${GEN[@]}"
  local SETS=("$(stores afu1i5hs7 "${GEN[@]}")") NEW=()
  for n in "$@"; do [ -f "$HAR_DIR/${n}_s3/summary.json" ] && SETS+=("$(stores "$n" "${GEN[@]}")"); done
  for r in $(cand_runs); do NEW+=("$(stores "$r" "${GEN[@]}")"); done
  export OMP_NUM_THREADS=2
  like_for_like "$OUT" "${SETS[@]}" "${NEW[@]}"
  baseline_stores "${GEN[@]}"
  local H=("$(stores original "${GEN[@]}")" "$(stores smooth2 "${GEN[@]}")" "$(stores afu1i5hs7 "${GEN[@]}")" "${NEW[@]}")
  [ -f "$OUT/har_basicmotions/results.json" ] || imusim evaluate --real basicmotions --repeats 8 \
    --reference original --out "$OUT/har_basicmotions" $(printf -- "--synthetic %s " "${H[@]}")
  for r in $(cand_runs); do motion_evals "$r"; done
  [ "${LACC:-0}" = 1 ] || return 0
  python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json docs/realism/ship/motion_eval_afu1i5hs7_s0.json \
    $(for r in $(cand_runs); do echo "$OUT/motion_eval_$r.json"; done) \
    --pair wf_control:pair_afu1i5hs7 $(for c in "${CANDS[@]}"; do echo "--pair wf_control:$c --pair pair_afu1i5hs7:$c"; done) \
    --out "$OUT/lacc_vs_control.json"
}

shipped_stores() {  # shipped_stores: $RUNS/shipped/model.safetensors, a link to the shipped `refined`, and its 4
  # generation stores (gen4; what versus_refined compares against)
  mkdir -p "$RUNS/shipped"
  ln -sf "$(realpath imusim/checkpoints/refined.safetensors)" "$RUNS/shipped/model.safetensors"
  gen4 shipped "$RUNS/shipped/model.safetensors" "$RUNS/gen_shipped"
}
realism_screen() {  # realism_screen NAME...: a screen of the candidates NAME (their 4 generation stores made)
  # beside the shipped `refined`: the like-for-like wrist checks alone (no HAR, no motion evaluation) into $OUT
  local n S=()
  for n in "$@"; do S+=("$(stores "$n" 0 1 2 3)"); done
  OMP_NUM_THREADS=2 normal_mocap_store
  OMP_NUM_THREADS=2 like_for_like "$OUT" "$(stores shipped 0 1 2 3)" "${S[@]}"
}
versus_refined() {  # versus_refined NAME...: the candidates NAME ($RUNS/NAME/model.safetensors, their 4 generation
  # stores $HAR_DIR/NAME_s0..s3 made) beside the shipped `refined` ($RUNS/shipped, its stores made likewise): the
  # motion evaluation on the test split (one evaluate-motion: the same clips and noise, guidance 1) on one core, paired
  # with the continued control (docs/realism/spec/motion_eval_g1.json: wf_control) and the shipped model; beside it on
  # the other core the like-for-like wrist checks, HAR on BasicMotions (RF and CNN; RF without badminton) and the WISDM
  # watch (RF), 8 fits per store, relative to the shipped model and each candidate against it fit for fit (§38, §39);
  # into $OUT, each skipped when it exists
  local n F="$OUT/motion_eval" S=()
  # shellcheck disable=SC2046
  { [ -f "$F.json" ] || OMP_NUM_THREADS=1 imusim evaluate-motion --data "$DATA" --max-frames 120 --guidance 1.0 \
      $(ck shipped "$@") --json "$F.json" --markdown "$F.md" > "$F.log" 2>&1
    python scripts/motion_eval_stats.py docs/realism/spec/motion_eval_g1.json "$F.json" --pair wf_control:shipped \
      $(for n in "$@"; do echo "--pair wf_control:${n%_s*} --pair shipped:${n%_s*}"; done) \
      --out "$OUT/lacc_vs_control.json" > "$OUT/lacc_vs_control.log" 2>&1; } &
  export OMP_NUM_THREADS=1
  normal_mocap_store
  for n in "$@"; do S+=("$(stores "$n" 0 1 2 3)"); done
  like_for_like "$OUT" "$(stores shipped 0 1 2 3)" "${S[@]}"
  har_vs_shipped "$@"
  wait
}
har_vs_shipped() {  # [HAR_BM_ARGS=...] har_vs_shipped NAME...: HAR of the candidates' stores beside the shipped
  # refined's (har_evals relative to it: BasicMotions with HAR_BM_ARGS' classifiers, default RF and CNN; without
  # badminton and on the WISDM watch RF), each candidate against it fit for fit (har_versus)
  local n S=() V=()
  for n in "$@"; do S+=("$(stores "$n" 0 1 2 3)"); V+=(--versus "$n:shipped"); done
  HAR_REF=shipped HAR_BM3_ARGS="--classifiers rf" HAR_WISDM_ARGS="--classifiers rf" \
    har_evals "$(stores shipped 0 1 2 3)" "${S[@]}"
  har_versus "${V[@]}"
}
