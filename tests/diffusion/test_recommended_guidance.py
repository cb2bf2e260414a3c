"""A checkpoint records the classifier-free guidance scale it was validated with (docs/realism.md §8); `imusim
sample`, `generate` and `evaluate-motion` use it unless --guidance says otherwise."""

from __future__ import annotations

import pytest
import torch

from imusim.diffusion import MDM, MDMConfig
from imusim.diffusion.checkpoint import (DEFAULT_GUIDANCE, load_checkpoint, read_meta, recommended_guidance,
                                         save_checkpoint)
from imusim.errors import CorruptFileError

from tests.diffusion.test_diffusion import TINY


def test_recommended_guidance_reads_the_metadata_and_rejects_nonsense():
    assert recommended_guidance({}) == DEFAULT_GUIDANCE == 2.5
    assert recommended_guidance({"sampling": {"steps": 20}}) == 2.5
    assert recommended_guidance({"sampling": {"guidance": 1}}) == 1.0
    for bad in (-1.0, float("inf"), float("nan"), "1", True, None):
        with pytest.raises(CorruptFileError, match="x.safetensors.*guidance must be a finite number"):
            recommended_guidance({"sampling": {"guidance": bad}}, "x.safetensors")
    with pytest.raises(CorruptFileError, match="sampling must be a JSON object"):
        recommended_guidance({"sampling": [1.0]}, "x.safetensors")


def test_shipped_checkpoints_record_their_scale():
    from imusim.diffusion.zoo import resolve_checkpoint
    for name, want in (("original", 2.5), ("refined_v1", 2.5), ("refined", 1.0), ("refined_v4", 1.0), ("refined_v3", 1.0), ("refined_v2", 1.0),
                       ("refined_lacc", 1.0)):
        *_, meta = load_checkpoint(resolve_checkpoint(name))
        assert read_meta(resolve_checkpoint(name)) == meta  # the metadata alone, without the tensors
        assert recommended_guidance(meta, name) == want, name


def test_read_meta_names_an_unreadable_file(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CorruptFileError, match="bad.safetensors.*no readable checkpoint metadata"):
        read_meta(bad)


class _Captured(Exception):
    pass


@pytest.mark.parametrize("recorded, given, used", [(1.25, None, 1.25), (1.25, 3.0, 3.0), (None, None, 2.5)])
def test_sample_and_generate_use_the_recorded_scale_unless_told(tmp_path, monkeypatch, recorded, given, used):
    import imusim.diffusion.train as train_mod
    from imusim.commands.sample import generate_motions
    from imusim.generate.sources import DiffusionSource

    torch.manual_seed(0)
    meta = {} if recorded is None else {"sampling": {"guidance": recorded}}
    p = save_checkpoint(tmp_path / "g.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash", meta)
    seen = {}

    def record(*a, guidance=None, **kw):
        seen["guidance"] = guidance
        raise _Captured
    monkeypatch.setattr(train_mod, "sample", record)
    with pytest.raises(_Captured):
        generate_motions(str(p), ["a person walks."], 1, 2.0, guidance=given, device="cpu", progress=False)
    assert seen.pop("guidance") == used
    src = DiffusionSource(str(p), "wrist_r", 50.0, guidance=given, device="cpu")
    assert src.guidance == used
