"""Two denoisers split by noise level (imusim.diffusion.experts, `imusim experts`): the pair answers each sampler
step with the expert its noise level names, saves and loads as one checkpoint, and refuses what cannot work."""

from __future__ import annotations

import pytest
import torch

from imusim.diffusion import MDM, MDMConfig
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint, save_expert_pair
from imusim.diffusion.experts import ExpertPair
from imusim.diffusion.gaussian import GaussianDiffusion
from imusim.errors import CorruptFileError

from tests.diffusion.test_diffusion import TINY


def _two(seed=0):
    torch.manual_seed(seed)
    return MDM(MDMConfig(**TINY)).eval(), MDM(MDMConfig(**TINY)).eval()


def test_pair_answers_each_step_with_its_expert():
    high, low = _two()
    pair = ExpertPair(high, low, 300).eval()
    x, emb = torch.randn(3, 16, 12), torch.randn(3, 64)
    with torch.no_grad():
        for t, ref in ((299, low), (0, low), (300, high), (999, high)):
            tt = torch.full((3,), t)
            torch.testing.assert_close(pair(x, tt, emb), ref(x, tt, emb), rtol=0, atol=0)
            torch.testing.assert_close(pair.guided(x, tt, emb, None, 2.5), ref.guided(x, tt, emb, None, 2.5),
                                       rtol=0, atol=0)
        with pytest.raises(ValueError, match="one side of below_t"):
            pair(x, torch.tensor([10, 500, 10]), emb)


def test_ddim_with_a_pair_equals_switching_by_hand():
    """The whole sampler: DDIM 20 steps with the pair equals DDIM whose x0 predictor switches networks at 300, and
    differs from either expert alone; below_t = 0 is the high expert, below_t = 1000 the low one."""
    high, low = _two()
    emb, diff = torch.randn(2, 64), GaussianDiffusion(1000)
    noise = torch.randn(2, 16, 12, generator=torch.Generator().manual_seed(3))

    def run(fn):
        return diff.ddim_sample(fn, (2, 16, 12), steps=20, noise=noise)

    def by(model):
        return lambda x, t: model.guided(x, t, emb, None, 1.5)

    ref = run(lambda x, t: (low if int(t[0]) < 300 else high).guided(x, t, emb, None, 1.5))
    torch.testing.assert_close(run(by(ExpertPair(high, low, 300))), ref, rtol=0, atol=0)
    for m in (high, low):
        assert (run(by(m)) - ref).abs().max() > 1e-3
    torch.testing.assert_close(run(by(ExpertPair(high, low, 0))), run(by(high)), rtol=0, atol=0)
    torch.testing.assert_close(run(by(ExpertPair(high, low, 1000))), run(by(low)), rtol=0, atol=0)


def test_pair_checkpoint_round_trip_and_refusals(tmp_path):
    high, low = _two()
    mean, std = torch.randn(12), torch.rand(12) + 0.5
    ph = save_checkpoint(tmp_path / "h.safetensors", high, mean, std, "hash", {"sampling": {"guidance": 1.0}, "step": 7})
    pl = save_checkpoint(tmp_path / "l.safetensors", low, mean, std, "hash", {})
    p = save_expert_pair(tmp_path / "pair.safetensors", ph, pl, 250)
    pair, m2, s2, enc, meta = load_checkpoint(p)
    assert isinstance(pair, ExpertPair) and pair.below_t == 250 and enc == "hash"
    torch.testing.assert_close(m2, mean) and torch.testing.assert_close(s2, std)
    for a, b in ((pair.high, high), (pair.low, low)):
        for k, v in b.state_dict().items():
            torch.testing.assert_close(a.state_dict()[k], v, rtol=0, atol=0)
    assert meta["experts"] == {"below_t": 250, "high": str(ph), "low": str(pl)} and meta["step"] == 7
    assert meta["sampling"]["guidance"] == 1.0
    # nested pairs, different statistics or encoders are refused by name
    with pytest.raises(ValueError, match="single-network"):
        save_expert_pair(tmp_path / "x.safetensors", p, pl, 250)
    po = save_checkpoint(tmp_path / "o.safetensors", low, mean + 1, std, "hash", {})
    with pytest.raises(ValueError, match="different feature normalisations"):
        save_expert_pair(tmp_path / "x.safetensors", ph, po, 250)
    pe = save_checkpoint(tmp_path / "e.safetensors", low, mean, std, "other", {})
    with pytest.raises(ValueError, match="different text encoders"):
        save_expert_pair(tmp_path / "x.safetensors", ph, pe, 250)
    with pytest.raises(ValueError, match="below_t must be an integer step"):
        save_expert_pair(tmp_path / "x.safetensors", ph, pl, 1001)
    # a damaged split step in the file is a CorruptFileError naming it (checked before the checksum)
    from safetensors import safe_open
    from safetensors.torch import save_file
    import json
    with safe_open(str(p), framework="pt") as f:
        md, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    md["meta"] = json.dumps({**json.loads(md["meta"]), "experts": {"below_t": "300"}})
    save_file(tensors, str(tmp_path / "bad.safetensors"), metadata=md)
    with pytest.raises(CorruptFileError, match="bad.safetensors.*below_t must be an integer"):
        load_checkpoint(tmp_path / "bad.safetensors")
    # low-noise tensors without their config are unexpected tensors, not silently ignored
    del md["low_config"]
    save_file(tensors, str(tmp_path / "bad2.safetensors"), metadata=md)
    with pytest.raises(CorruptFileError, match="bad2.safetensors.*unexpected"):
        load_checkpoint(tmp_path / "bad2.safetensors")


def test_a_pair_is_not_fine_tuned(tmp_path):
    from imusim.diffusion.train import TrainConfig, train
    from tests.diffusion.test_diffusion import toy_clips
    high, low = _two()
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", high, mean, std, "hash", {})
    p = save_expert_pair(tmp_path / "pair.safetensors", ph, ph, 300)
    data = toy_clips()
    with pytest.raises(ValueError, match="two-expert checkpoint cannot be fine-tuned"):
        train(data, tmp_path / "ft", TrainConfig(steps=1, batch_size=2, text_encoder="hash"), None, init_from=str(p),
              progress=False)


def test_generate_samples_a_pair(tmp_path):
    """The generator takes a pair like any checkpoint (the windows come out; the store records the file)."""
    import json
    from imusim.generate.sources import DiffusionSource
    high, low = _two()
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", high, mean, std, "hash", {})
    p = save_expert_pair(tmp_path / "pair.safetensors", ph, ph, 300)
    src = DiffusionSource(p, ["wrist_r"], 20.0, steps=4, device="cpu")
    assert isinstance(src.model, ExpertPair) and json.dumps(src.name)


def test_experts_command_writes_a_pair_and_names_errors(tmp_path, capsys):
    from imusim.cli import main
    high, low = _two()
    mean, std = torch.zeros(12), torch.ones(12)
    ph = save_checkpoint(tmp_path / "h.safetensors", high, mean, std, "hash", {})
    pl = save_checkpoint(tmp_path / "l.safetensors", low, mean, std, "hash", {})
    out = tmp_path / "p.safetensors"
    assert main(["experts", "--high", str(ph), "--low", str(pl), "--below-t", "300", "--out", str(out)]) == 0
    assert isinstance(load_checkpoint(out)[0], ExpertPair) and "wrote" in capsys.readouterr().out
    assert main(["experts", "--high", str(ph), "--low", str(tmp_path / "missing.safetensors"), "--below-t", "300",
                 "--out", str(tmp_path / "q.safetensors")]) == 2
    assert "missing.safetensors" in capsys.readouterr().err and not (tmp_path / "q.safetensors").exists()


@pytest.mark.parametrize("name", ["refined", "refined_v3", "refined_v2"])
def test_shipped_refined_is_refined_lacc_above_step_300(name):
    """The shipped refined (docs/realism.md §36.5) and its predecessors refined_v3 (§16) and refined_v2 (§9) are pairs
    whose high-noise expert is exactly refined_lacc, with different low-noise experts."""
    from imusim.diffusion.zoo import resolve_checkpoint
    pair, mean, std, enc, meta = load_checkpoint(resolve_checkpoint(name))
    lacc, lmean, lstd, lenc, _ = load_checkpoint(resolve_checkpoint("refined_lacc"))
    assert isinstance(pair, ExpertPair) and pair.below_t == 300 == meta["experts"]["below_t"] and enc == lenc
    torch.testing.assert_close(mean, lmean, rtol=0, atol=0) and torch.testing.assert_close(std, lstd, rtol=0, atol=0)
    for k, v in lacc.state_dict().items():
        assert torch.equal(pair.high.state_dict()[k], v), k
    assert pair.low.cfg == lacc.cfg and any(not torch.equal(pair.low.state_dict()[k], v)
                                             for k, v in lacc.state_dict().items())


@pytest.mark.parametrize("name", ["refined", "refined_v3"])
def test_shipped_refined_samples_with_the_smoothed_height_anchor(name):
    """The shipped refined (§36.5) and refined_v3 (§16) record the anchor they were measured with: the root follows the
    foot joint on the floor at the steps t < 300, its velocity smoothed over 0.7 frames; loading sets the rule and
    the smoothing on the model the samplers read.
    refined_v2 (§9) records none; their low experts differ."""
    from imusim.diffusion.checkpoint import recommended_anchor_feet
    from imusim.diffusion.zoo import resolve_checkpoint
    new, *_, meta = load_checkpoint(resolve_checkpoint(name))
    old, *_, old_meta = load_checkpoint(resolve_checkpoint("refined_v2"))
    assert meta["sampling"]["anchor_feet"] == 300 and meta["sampling"]["anchor_contact"] == "height"
    assert meta["sampling"]["anchor_smooth"] == 0.7
    assert (new.anchor_contact, new.anchor_smooth) == ("height", 0.7)
    assert recommended_anchor_feet(meta) == 300 and recommended_anchor_feet(old_meta) == 0
    assert any(not torch.equal(new.low.state_dict()[k], v) for k, v in old.low.state_dict().items())


def test_shipped_refined_ends_its_chain_at_t_102_and_refined_v3_runs_it_whole():
    """§36.5: the shipped refined is st_kv3ts1 training seed 0 (its low expert self-tuned from refined_v3's) and
    records stop_t 100, which loading sets on the model the samplers read; refined_v3 (§16) records none."""
    from imusim.diffusion.zoo import resolve_checkpoint
    new, *_, meta = load_checkpoint(resolve_checkpoint("refined"))
    v3, *_, v3_meta = load_checkpoint(resolve_checkpoint("refined_v3"))
    assert meta["sampling"]["stop_t"] == 100 == new.sample_stop_t and meta["sampling"]["guidance"] == 1.0
    assert meta["shipped"]["run"] == "st_kv3ts1_s0" and "selftune" in meta["experts"]["low"]
    assert "stop_t" not in v3_meta["sampling"] and v3.sample_stop_t == 0
    assert v3_meta["experts"]["low"].endswith("anc_afu1i5_s0/model.safetensors")
    assert any(not torch.equal(new.low.state_dict()[k], v) for k, v in v3.low.state_dict().items())


def test_train_t_max_draws_only_low_noise_steps():
    """--train-t-max T: every training step t of every batch lies in [0, T) (a low-noise expert); 0 keeps the whole
    schedule; a value outside [0, steps] is refused by name. train_t_min likewise bounds them from below."""
    from imusim.diffusion.train import TrainConfig, _host_batch
    from tests.diffusion.test_diffusion import toy_clips
    data = toy_clips()
    table = {c: torch.zeros(8) for cs in data.captions for c in cs}

    def ts(**kw):
        cfg = TrainConfig(batch_size=64, max_frames=24, min_frames=20, **kw)
        return torch.cat([_host_batch(data, cfg, k, 0.1, table)[0][2] for k in range(8)])
    lo = ts(train_t_max=300)
    assert int(lo.max()) < 300 and int(lo.min()) >= 0 and len(lo.unique()) > 100
    assert int(ts().max()) >= 300  # the default draws from the whole schedule
    with pytest.raises(ValueError, match="train_t_max must be in"):
        ts(train_t_max=1001)
    # train_t_min (imusim hightune's recipe): the high-noise expert's steps [T, 1000) only; a value at or above the
    # top of the range is refused by name
    hi = ts(train_t_min=300)
    assert int(hi.min()) >= 300 and int(hi.max()) < 1000 and len(hi.unique()) > 100
    mid = ts(train_t_min=300, train_t_max=500)
    assert int(mid.min()) >= 300 and int(mid.max()) < 500
    with pytest.raises(ValueError, match=r"train_t_min must be in \[0, 500\) .*got 500"):
        ts(train_t_min=500, train_t_max=500)
    with pytest.raises(ValueError, match=r"train_t_min must be in \[0, 1000\) .*got -1"):
        ts(train_t_min=-1)
