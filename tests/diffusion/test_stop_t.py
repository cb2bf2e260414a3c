"""The sampler's end (``stop_t``, docs/realism.md §36): the DDIM chain stops at the x0 prediction of its last step at
t >= stop_t. Checked against the whole chain's own observed predictions (the probes' hook), through every layer that
passes it on (sample, the checkpoint's record, the generator, evaluate-motion's spec), and refused where it is wrong."""

from __future__ import annotations

import json

import pytest
import torch

from imusim.diffusion import GaussianDiffusion, MDM, MDMConfig
from imusim.diffusion.checkpoint import load_checkpoint, recommended_stop_t, save_checkpoint, save_expert_pair
from imusim.diffusion.evaluate import parse_spec, spec_options
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import sample
from imusim.errors import CorruptFileError

from tests.diffusion.test_diffusion import TINY


def _chain(d, pred, stop_t=0, steps=7):
    calls = []

    def counted(x, t):
        calls.append(int(t[0]))
        return pred(x, t)
    out = d.ddim_sample(counted, (2, 6, 3), steps=steps, generator=torch.Generator().manual_seed(4), stop_t=stop_t)
    return out, calls


@pytest.mark.parametrize("stop_t", [1, 100, 500, 998])
def test_ddim_stops_at_the_x0_of_its_last_step_at_or_above_stop_t(stop_t):
    d = GaussianDiffusion()
    pred = lambda x, t: 0.5 * x + 0.1 * torch.sin(t.float()[:, None, None] / 50.0)  # noqa: E731  (depends on t)
    seen = []
    full = d.ddim_sample(pred, (2, 6, 3), steps=7, generator=torch.Generator().manual_seed(4),
                         observe=lambda k, i, x0: seen.append((i, x0.clone())))
    out, calls = _chain(d, pred, stop_t)
    kept = [i for i in d.ddim_timesteps(7) if i >= stop_t]
    assert calls == kept  # the steps below stop_t are not taken: one network call fewer per dropped step
    # the output is the whole chain's own x0 prediction at the last kept step (the same noise, the same path)
    torch.testing.assert_close(out, dict(seen)[kept[-1]], rtol=0, atol=0)
    assert not torch.equal(out, full)
    # stop_t = 0 is the whole chain, bit for bit
    torch.testing.assert_close(_chain(d, pred, 0)[0], full, rtol=0, atol=0)


@pytest.mark.parametrize("bad", [-1, 1000, 2.0, True, "1"])
def test_ddim_refuses_a_bad_stop_t_by_name(bad):
    with pytest.raises(ValueError, match=r"stop_t must be an integer step in \[0, 999\], got"):
        GaussianDiffusion().ddim_sample(lambda x, t: x, (1, 4, 2), steps=3, stop_t=bad)


def _tiny(seed=0):
    torch.manual_seed(seed)
    return MDM(MDMConfig(**TINY)).eval()


def test_sample_takes_stop_t_from_the_model_unless_told_and_ddpm_refuses_it():
    model, enc = _tiny(), get_text_encoder("hash")
    mean, std = torch.arange(12.0), torch.full((12,), 2.0)
    kw = dict(steps=5, seeds=[1, 2])
    seen = []
    full, mask = sample(model, mean, std, enc, ["a", "b"], [12, 9], observe=lambda k, i, x0: seen.append(x0.clone()),
                        **kw)
    stopped, _ = sample(model, mean, std, enc, ["a", "b"], [12, 9], stop_t=1, **kw)
    # the fourth of five steps' prediction, de-normalised (padded frames are the sampler's zeros either way)
    torch.testing.assert_close(stopped[mask], (seen[-2] * std + mean)[mask])
    model.sample_stop_t = 1  # what load_checkpoint sets from the checkpoint's record
    torch.testing.assert_close(sample(model, mean, std, enc, ["a", "b"], [12, 9], **kw)[0], stopped, rtol=0, atol=0)
    torch.testing.assert_close(sample(model, mean, std, enc, ["a", "b"], [12, 9], stop_t=0, **kw)[0], full,
                               rtol=0, atol=0)
    with pytest.raises(ValueError, match="stop_t=1 ends the DDIM chain early; sampler='ddpm'"):
        sample(model, mean, std, enc, ["a"], [12], steps=2, sampler="ddpm")
    with pytest.raises(ValueError, match=r"sample: stop_t must be an integer step in \[0, 999\], got 1000"):
        sample(model, mean, std, enc, ["a"], [12], steps=2, stop_t=1000)


def test_a_pair_records_its_stop_t_and_loads_with_it(tmp_path):
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", _tiny(0), mean, std, "hash", {"sampling": {"guidance": 1.0}})
    pl = save_checkpoint(tmp_path / "l.safetensors", _tiny(1), mean, std, "hash", {})
    p = save_expert_pair(tmp_path / "p.safetensors", ph, pl, 300, stop_t=1)
    model, *_, meta = load_checkpoint(p)
    assert meta["sampling"]["stop_t"] == 1 and model.sample_stop_t == 1 and meta["sampling"]["guidance"] == 1.0
    assert load_checkpoint(save_expert_pair(tmp_path / "q.safetensors", ph, pl, 300))[0].sample_stop_t == 0
    assert load_checkpoint(ph)[0].sample_stop_t == 0  # nothing recorded: the whole chain
    with pytest.raises(ValueError, match=r"save_expert_pair: stop_t must be an integer step in \[0, 999\].*got 1000"):
        save_expert_pair(tmp_path / "x.safetensors", ph, pl, 300, stop_t=1000)
    for bad in (-3, 1000, 2.5, "20", True):
        with pytest.raises(CorruptFileError, match=r"ck.safetensors.*meta.sampling.stop_t must be an integer step"):
            recommended_stop_t({"sampling": {"stop_t": bad}}, "ck.safetensors")
    assert recommended_stop_t({"sampling": {"stop_t": 20}}) == 20 and recommended_stop_t({}) == 0


def test_experts_command_records_stop_t(tmp_path):
    from imusim.cli import main
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", _tiny(0), mean, std, "hash", {})
    out = tmp_path / "p.safetensors"
    assert main(["experts", "--high", str(ph), "--low", str(ph), "--below-t", "300", "--stop-t", "100",
                 "--out", str(out)]) == 0
    assert load_checkpoint(out)[0].sample_stop_t == 100


def test_the_generator_passes_stop_t_on_and_records_it(tmp_path):
    from imusim.generate.pipeline import GenerateConfig
    from imusim.generate.sources import DiffusionSource
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", _tiny(0), mean, std, "hash", {})
    p = save_expert_pair(tmp_path / "p.safetensors", ph, ph, 300, stop_t=1)
    assert DiffusionSource(p, ["wrist_r"], 20.0, steps=4, device="cpu").stop_t == 1  # the recorded value
    src = DiffusionSource(p, ["wrist_r"], 20.0, steps=4, device="cpu", stop_t=0)  # the caller's
    assert src.stop_t == 0 and json.dumps(src.name)
    assert DiffusionSource(ph, ["wrist_r"], 20.0, steps=4, device="cpu", stop_t=5).name.endswith("+stop5")
    for bad in (-1, 1000, 1.5, True):
        with pytest.raises(ValueError, match=r"stop_t must be an integer step in \[0, 999\], got"):
            GenerateConfig(checkpoint=str(p), out=str(tmp_path / "o"), stop_t=bad).validate()


def test_evaluate_motion_spec_takes_a_stop():
    assert spec_options("runs/x/model.safetensors@stop=1")[1] == {"smooth": 0.0, "stop": 1}
    ck, opts, name = spec_options("refined@stop=100@smooth=2")
    assert (ck, opts, name) == ("refined", {"smooth": 2.0, "stop": 100}, "refined+stop100+smooth2")
    assert parse_spec("refined@smooth=1.5") == ("refined", 1.5, "refined+smooth1.5")
    for bad, msg in (("refined@stop=1000", "needs a number"), ("refined@stop=x", "needs a number"),
                     ("refined@steps=3", "unknown option 'steps'")):
        with pytest.raises(ValueError, match=msg):
            spec_options(bad)
