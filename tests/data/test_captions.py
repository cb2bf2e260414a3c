from pathlib import Path

import pytest

from imusim.data.captions import ACTIVITY_GROUP, _CONTENT, captions_for, labels_from_path
from tests.conftest import SHARED_DATA


def test_bandai_name_parsed():
    lab = labels_from_path("/x/dataset-1_walk_angry_001.bvh")
    assert lab == {"dataset": "bandai_namco_1", "content": "walk", "style": "angry", "take": "001",
                   "activity": "walk"}
    assert labels_from_path("dataset-2_walk-turn-left_elderly_012.bvh.gz")["content"] == "walk-turn-left"


def test_caption_canonical_and_distinct():
    caps = captions_for(labels_from_path("dataset-1_walk_angry_001.bvh"), n=4)
    assert caps[0] == "a person walks angrily."
    assert len(set(caps)) == 4 and all("angrily" in c for c in caps)
    assert captions_for(labels_from_path("humanoid3d_backflip.txt"))[0] == "a person does a backflip."


def test_every_shared_clip_has_known_content_and_group():
    files = [p for d in ("bandai_namco_1", "bandai_namco_2", "deepmimic") for p in (SHARED_DATA / d).glob("*")
             if p.name.endswith((".bvh", ".bvh.gz")) or p.name.startswith("humanoid3d_")]
    if not files:
        pytest.skip("shared data not available")
    for p in files:
        lab = labels_from_path(p)
        assert lab["content"] in _CONTENT, p.name
        assert lab["activity"] in ACTIVITY_GROUP, p.name
