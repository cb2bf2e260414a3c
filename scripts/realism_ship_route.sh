#!/bin/bash
# Issue 14, §41.3: ship the band-routed pair `route27_s0` as `refined`: refined_lacc above t = 300 (as every refined
# since §9), below it st_kv3ts1px_s0's low expert on the hand-overs moving at 2 to 7 m/s^2 (the walkers) and the
# low expert of the refined shipped since §36.5 on the rest (runs, stands, gestures), the same sampling settings
# (guidance 1, the height anchor smoothed 0.7, the chain ended at t = 102). The refined of §36.5 (st_kv3ts1_s0 ended
# at t = 102) stays, unchanged, as `refined_v4`, the band's moving expert; realism_route.sh reads it under that name.
# Run after CANDS=route27_s0 OUT=docs/realism/route/band bash scripts/realism_route.sh (runs/route27_s0 made).
# The 4 generation stores of the old refined (runs/har_still/shipped_s*) are renamed refined_v4_s* so that the next
# protocol run (shipped_stores) generates the new refined's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .venv/bin/activate
C=imusim/checkpoints
RUNS="${RUNS:-runs}"
HAR_DIR="${HAR_DIR:-$RUNS/har_still}"
[ -f "$RUNS/route27_s0/model.safetensors" ] || { echo "needs $RUNS/route27_s0: see the header" >&2; exit 1; }
[ -f "$C/refined_v4.safetensors" ] || cp "$C/refined.safetensors" "$C/refined_v4.safetensors"
python - "$RUNS/route27_s0/model.safetensors" "$C/refined.safetensors" "$C/refined_v4.safetensors" <<'PY'
import sys
import torch
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
src, dst, v4 = sys.argv[1:]
pair, mean, std, enc, meta = load_checkpoint(src)
old = load_checkpoint(v4)[0]
assert pair.routed and pair.route_still_acc == 2.0 and pair.route_min_acc == 7.0
for a, b in ((pair.moving, old.low), (pair.high, old.high)):  # the band's moving expert is refined_v4's low expert
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
m = dict(meta)
m["experts"] = {**meta["experts"], "moving": "the low expert of refined_v4 (st_kv3ts1_s0 ended at t = 102, "
                                              "docs/realism.md §36.5)"}
m["shipped"] = {"as": "refined", "run": "route27_s0", "section": "docs/realism.md §41.3",
                "low": "st_kv3ts1px_s0's low expert (hand-overs at 2 to 7 m/s^2)", "moving": "refined_v4's low expert"}
save_checkpoint(dst, pair.high, mean, std, enc, m, extra={"low": pair.low, "moving": pair.moving})
new = load_checkpoint(dst)[0]
print(f"wrote {dst}: {src}, routed at [{new.route_still_acc:g}, {new.route_min_acc:g}) m/s^2, stop_t {new.sample_stop_t}")
PY
chmod 644 "$C/refined.safetensors" "$C/refined_v4.safetensors"
for s in 0 1 2 3; do  # the old refined's stores under its new name
  if [ -d "$HAR_DIR/shipped_s$s" ] && [ ! -e "$HAR_DIR/refined_v4_s$s" ]; then
    mv "$HAR_DIR/shipped_s$s" "$HAR_DIR/refined_v4_s$s"
  fi
done
mkdir -p "$RUNS/refined_v4"
ln -sf "$(realpath "$C/refined_v4.safetensors")" "$RUNS/refined_v4/model.safetensors"
