#!/bin/bash
# Issue 14, §36.5: ship `st_kv3ts1` training seed 0 (§31.3's self-tuned low expert below the shipped high expert,
# `bash scripts/realism_truespeed.sh`) with its DDIM chain ended at the x0 prediction of t = 102 (stop_t 100,
# §36.3) as `refined`. The refined shipped since §16 (afu1i5hs7) stays, unchanged, as `refined_v3`, which the
# protocol's comparisons (realism_common.sh link_shipped_pair) keep reading.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .venv/bin/activate
C=imusim/checkpoints
[ -f "$C/refined_v3.safetensors" ] || cp "$C/refined.safetensors" "$C/refined_v3.safetensors"
python - "${RUNS:-runs}/st/st_kv3ts1_s0/model.safetensors" "$C/refined.safetensors" <<'PY'
import sys
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
src, dst = sys.argv[1:]
pair, mean, std, enc, meta = load_checkpoint(src)
m = dict(meta)
m["sampling"] = {**meta["sampling"], "stop_t": 100,
                 "why_stop_t": "the self-tuned low expert's last five steps multiply the walkers' wrist acceleration "
                               "(docs/realism.md §35.3, §36): the chain ends at the x0 of t = 102"}
m["shipped"] = {"as": "refined", "run": "st_kv3ts1_s0", "section": "docs/realism.md §36.5"}
save_checkpoint(dst, pair.high, mean, std, enc, m, extra={"low": pair.low})
new = load_checkpoint(dst)[0]
print(f"wrote {dst}: {src} with stop_t {new.sample_stop_t}")
PY
chmod 644 "$C/refined.safetensors"
