import json

import numpy as np
import pytest

from imusim.cli import main
from imusim.generate import load


def test_generate_from_mocap_and_resume(tmp_path, shared_data):
    out = tmp_path / "store"
    args = ["generate", "--from-mocap", str(shared_data), "--per-activity", "4", "--out", str(out),
            "--shard-windows", "20", "--seconds", "3,5"]
    assert main(args) == 0
    s = load(out)
    assert len(s) > 0 and s.shape[1:] == (128, 2, 6)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["rate"] == 50.0 and meta["skipped_activities"] == ["badminton"]
    assert set(s.labels.tolist()) <= {"standing", "walking", "running", "jumping", "dancing"}
    assert len(set(s.window_ids.tolist())) == len(s)  # unique ids
    # windows are physical: the mean world-frame specific force of a window is a few m/s² at most
    # away from 1 g on average (sensor frame norms)
    assert 5 < np.linalg.norm(s.array()[..., :3], axis=-1).mean() < 20
    summary = json.loads((out / "summary.json").read_text())
    assert summary["windows"] == len(s)
    assert main(args) == 2  # refuses to overwrite without --resume
    assert main(args + ["--resume"]) == 0  # nothing left to do: same content
    s2 = load(out)
    assert sorted(s2.window_ids.tolist()) == sorted(s.window_ids.tolist())
