import json

import numpy as np
import pytest

from imusim.generate.store import ShardWriter, WindowDataset, finalize, load


def _write(w, item, n=3, W=8, S=2):
    x = np.full((n, W, S, 6), float(item), dtype=np.float32)
    return w.write(x, [f"a{item}"] * n, ["p"] * n, ["src"] * n, [item] * n,
                   [item * 100 + k for k in range(n)], [item] * n)


def test_write_read_roundtrip(tmp_path):
    w = ShardWriter(tmp_path, rank=0, meta={"rate": 50})
    for it in range(3):
        _write(w, it)
    m = finalize(tmp_path)
    assert m["windows"] == 9 and len(m["shards"]) == 3
    s = load(tmp_path)
    assert s.shape == (9, 8, 2, 6) and s.meta["rate"] == 50
    assert s.labels.tolist() == ["a0"] * 3 + ["a1"] * 3 + ["a2"] * 3
    assert s.window_ids.tolist() == [0, 1, 2, 100, 101, 102, 200, 201, 202]
    assert float(s[4][0, 0, 0]) == 1.0 and s.array().shape == (9, 8, 2, 6)
    ds = WindowDataset(tmp_path)
    x, y = ds[8]
    assert tuple(x.shape) == (8, 12) and ds.classes[y] == "a2"


def test_resume_discards_uncommitted_and_torn(tmp_path):
    w = ShardWriter(tmp_path)
    _write(w, 0)
    _write(w, 1)
    # simulate: a .tmp of a shard in progress, a renamed-but-uncommitted shard, a torn manifest line
    (tmp_path / "shards" / "shard-r000-000002.h5.tmp").write_bytes(b"partial")
    (tmp_path / "shards" / "shard-r000-000003.h5").write_bytes(b"not committed")
    with open(tmp_path / "manifest-r000.jsonl", "a") as f:
        f.write('{"shard": "shards/shard-r000-0000')
    w.close()  # one writer per rank at a time
    w2 = ShardWriter(tmp_path)
    assert w2.done_items() == {0, 1}
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == ["shard-r000-000000.h5", "shard-r000-000001.h5"]
    _write(w2, 2)
    lines = (tmp_path / "manifest-r000.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(l) for l in lines)
    assert load(tmp_path).window_ids.tolist()[-3:] == [200, 201, 202]


def test_bad_lengths_named(tmp_path):
    w = ShardWriter(tmp_path)
    with pytest.raises(ValueError, match="label must have 2 entries"):
        w.write(np.zeros((2, 4, 1, 6)), ["a"], ["p", "p"], ["s", "s"], [0, 0], [0, 1], [0, 0])


def test_memmap_and_format2_metadata(tmp_path):
    w = ShardWriter(tmp_path, rank=0, meta={"rate": 50})
    x = np.arange(4 * 8 * 2 * 6, dtype=np.float32).reshape(4, 8, 2, 6)
    w.write_arrays(x, np.array([1, 0, 1, 1]), ["running", "walking"], np.array([0, 0, 1, 1]),
                   np.array([10, 11, 20, 21]), np.array([1, 1, 2, 2]), np.array([7, 7, 9, 9]),
                   {"prompt": ["p1", "p2"], "source": ["s1", "s2 mirrored"], "item": [1, 2], "variant": [0, 3],
                    "seed": [2 ** 64 - 1, 5], "mirrored": [False, True], "speed": [1.0, 0.9]}, record_items=[1, 2, 3])
    s = load(tmp_path)
    assert s.labels.tolist() == ["walking", "running", "walking", "walking"]
    assert s.prompts.tolist() == ["p1", "p1", "p2", "p2"] and s.mirrored.tolist() == [False, False, True, True]
    assert s.variants.tolist() == [0, 0, 3, 3] and np.allclose(s.speeds, [1, 1, 0.9, 0.9])
    mm = s.memmap(0)
    assert isinstance(mm, np.memmap) and not mm.flags.writeable
    np.testing.assert_array_equal(mm, x)
    w.close()
    assert ShardWriter(tmp_path).done_items() == {1, 2, 3}  # an item without windows is recorded done
