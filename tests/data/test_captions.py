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


def test_paraphrased_captions_name_the_pace_and_keep_the_canonical():
    """paraphrase=True: the normal and active styles' other phrasings may name their pace; the canonical caption and
    every other style's captions are those of the default build, and the draw is deterministic for a seed."""
    from imusim.data.captions import _PACE

    normal = labels_from_path("dataset-2_walk_normal_001.bvh.gz")
    active = labels_from_path("dataset-2_walk_active_003.bvh.gz")
    angry = labels_from_path("dataset-1_walk_angry_001.bvh")
    for lab in (normal, active, angry):
        assert captions_for(lab, 3, paraphrase=True)[0] == captions_for(lab, 3)[0]
        assert captions_for(lab, 3, 5, paraphrase=True) == captions_for(lab, 3, 5, paraphrase=True)
    assert captions_for(angry, 40, paraphrase=True) == captions_for(angry, 40)
    pool_n = captions_for(normal, 1000, paraphrase=True)  # every phrasing there is
    assert len(pool_n) == 5 * 3 * len(_PACE["normal"])  # subjects x verbs x pace phrases
    for phrase in [p for p in _PACE["normal"] if p]:
        assert any(c.endswith(f" {phrase}.") for c in pool_n)
    assert not any("at a normal pace" in c for c in pool_n)  # the default prompt stays held out (docs §18)
    pool_a = captions_for(active, 1000, paraphrase=True)
    assert any("briskly" in c for c in pool_a) and all(any(p in c for p in _PACE["active"]) for c in pool_a)
    assert len(captions_for(normal, 1000)) == 5 * 3  # the default build: no pace phrases


def test_manner_paraphrases_pair_the_pace_words_and_hold_out_the_evaluation_phrases():
    """paraphrase="manner": every pace phrasing of the normal, active and tired styles appears in the pool, the
    canonical caption is the default build's, no phrasing contains a held-out word (the realism protocol's walking
    prompts), other styles are untouched, and an unknown set is an error naming the argument."""
    from imusim.data.captions import _MANNER, MANNER_HELD_OUT

    for style, content in (("normal", "walk"), ("active", "run"), ("tired", "walk-turn-left")):
        lab = labels_from_path(f"dataset-2_{content}_{style}_001.bvh.gz")
        assert captions_for(lab, 3, paraphrase="manner")[0] == captions_for(lab, 3)[0]
        pool = captions_for(lab, 10000, paraphrase="manner")
        verbs = len(_CONTENT[content][1])
        assert len(pool) == 5 * verbs * len(_MANNER[style])
        for phrase in [p for p in _MANNER[style] if p]:
            assert any(c.endswith(f" {phrase}.") for c in pool), phrase
        for c in pool:
            assert not any(w in c for w in MANNER_HELD_OUT), c
    # drawn per take: the takes of one content and style share the canonical caption, not the phrasings
    takes = [captions_for(labels_from_path(f"dataset-2_walk_normal_{k:03d}.bvh.gz"), 3, paraphrase="manner")
             for k in range(1, 21)]
    assert len({t[0] for t in takes}) == 1 and len({c for t in takes for c in t[1:]}) > 20
    assert all(len(t) == 3 and len(set(t)) == 3 for t in takes)
    angry = labels_from_path("dataset-1_walk_angry_001.bvh")
    assert captions_for(angry, 40, paraphrase="manner") == captions_for(angry, 40)
    assert captions_for(angry, 3, paraphrase="pace") == captions_for(angry, 3, paraphrase=True)
    with pytest.raises(ValueError, match="paraphrase"):
        captions_for(angry, 3, paraphrase="style")
