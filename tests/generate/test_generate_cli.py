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


@pytest.mark.slow
def test_generate_variants_batches_and_torchrun_ranks_give_the_same_store(tmp_path, shared_data):
    import os
    import subprocess
    import sys

    common = ["--from-mocap", str(shared_data), "--per-activity", "3", "--seconds", "3,6", "--variants", "3",
              "--sensors", "wrist_l,thigh_r", "--activities", str(tmp_path / "acts.yaml")]
    (tmp_path / "acts.yaml").write_text("walking: [a person walks.]\nrunning: [a person runs.]\n")
    assert main(["generate", *common, "--out", str(tmp_path / "a"), "--batch", "2", "--shard-windows", "7"]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29541",
                    "-m", "imusim", "generate", *common, "--out", str(tmp_path / "b"), "--batch", "5"],
                   check=True, env=env, cwd=str(tmp_path))
    a, b = load(tmp_path / "a"), load(tmp_path / "b")
    assert len(a) > 0 and sorted(p.name for p in (tmp_path / "b").glob("manifest-r*.jsonl")) == [
        "manifest-r000.jsonl", "manifest-r001.jsonl"]
    oa, ob = np.argsort(a.window_ids), np.argsort(b.window_ids)
    np.testing.assert_array_equal(a.window_ids[oa], b.window_ids[ob])
    np.testing.assert_array_equal(a.array()[oa], b.array()[ob])  # same windows on 1 or 2 ranks, any batch size
    np.testing.assert_array_equal(a.sources[oa], b.sources[ob])
    assert set(a.variants.tolist()) == {0, 1, 2}  # 3 renderings of each motion
    # the renderings of one motion differ (their own augmentation and noise) but share the clip crop
    k = a.items == a.items[0]
    assert len({s.split(" ")[0] for s in a.sources[k]}) == 1
    first = [np.flatnonzero(k & (a.variants == v))[0] for v in range(3)]
    assert not np.allclose(a[int(first[0])], a[int(first[1])])
    assert ((a.mirrored == np.char.find(a.sources, "mirrored").__ge__(0))).all()
