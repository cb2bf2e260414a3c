# Shared by scripts/realism_fix.sh and scripts/realism_sweep.sh (sourced, not run): the environment, the paths,
# the data set, and the HAR/realism store protocol (4 activities x 48 motions, wrist_l for BasicMotions, wrist_r for
# WISDM, thigh_r; 50 Hz) with its rendered-mocap reference. The caller sets OUT's default before sourcing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1
RUNS="${RUNS:-runs}"
DATA="${DATA:-$RUNS/data_anat}"
STAGE="${STAGE:-all}"
mkdir -p "$OUT"
[ -f "$DATA/meta.json" ] || imusim data build --out "$DATA" --facing anatomical   # the shipped models' statistics

trained() {  # trained RUNDIR: the fine-tune in RUNDIR reached its 1,000th step
  [ -f "$1/metrics.csv" ] && [ "$(tail -n1 "$1/metrics.csv" | cut -d, -f1)" = 1000 ]
}

store_inputs() {  # the activity file of the stores and the rendered-mocap reference store (docs/realism/mocap)
  [ -f "$RUNS/har_activities.yaml" ] || python - "$RUNS/har_activities.yaml" <<'PY'
import sys, yaml
from imusim.generate.plan import load_activities
acts = {k: v for k, v in load_activities(None).items() if k in ("standing", "walking", "running", "badminton")}
open(sys.argv[1], "w").write(yaml.safe_dump(acts))
PY
  [ -f out/realism/mocap_store/meta.json ] || imusim generate --from-mocap ../shared/data \
    --activities docs/realism/mocap/activities.yaml --per-activity 100 --sensors wrist_r --rate 50 --out out/realism/mocap_store
}

gen() {  # gen NAME CKPT SEEDS...: one store per generation seed, $RUNS/har/NAME_sSEED
  local name=$1 ck=$2; shift 2
  for s in "$@"; do
    [ -f "$RUNS/har/${name}_s$s/summary.json" ] || imusim generate --checkpoint "$ck" --activities "$RUNS/har_activities.yaml" \
      --per-activity 48 --sensors wrist_l,wrist_r,thigh_r --rate 50 --batch 64 --seed "$s" --out "$RUNS/har/${name}_s$s"
  done
}

stores() {  # stores NAME SEEDS...: "NAME=store,store,..." for --synthetic
  local n=$1; shift; local d=""
  for s in "$@"; do d="${d:+$d,}$RUNS/har/${n}_s$s"; done
  echo "$n=$d"
}
