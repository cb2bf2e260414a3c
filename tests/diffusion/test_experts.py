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


@pytest.mark.parametrize("name", ["refined", "refined_v4", "refined_v3", "refined_v2"])
def test_shipped_refined_is_refined_lacc_above_step_300(name):
    """The shipped refined (docs/realism.md §41.3) and its predecessors refined_v4 (§36.5), refined_v3 (§16) and
    refined_v2 (§9) are pairs whose high-noise expert is exactly refined_lacc, with different low-noise experts."""
    from imusim.diffusion.zoo import resolve_checkpoint
    pair, mean, std, enc, meta = load_checkpoint(resolve_checkpoint(name))
    lacc, lmean, lstd, lenc, _ = load_checkpoint(resolve_checkpoint("refined_lacc"))
    assert isinstance(pair, ExpertPair) and pair.below_t == 300 == meta["experts"]["below_t"] and enc == lenc
    torch.testing.assert_close(mean, lmean, rtol=0, atol=0) and torch.testing.assert_close(std, lstd, rtol=0, atol=0)
    for k, v in lacc.state_dict().items():
        assert torch.equal(pair.high.state_dict()[k], v), k
    assert pair.low.cfg == lacc.cfg and any(not torch.equal(pair.low.state_dict()[k], v)
                                             for k, v in lacc.state_dict().items())


@pytest.mark.parametrize("name", ["refined", "refined_v4", "refined_v3"])
def test_shipped_refined_samples_with_the_smoothed_height_anchor(name):
    """The shipped refined (§41.3), refined_v4 (§36.5) and refined_v3 (§16) record the anchor they were measured with: the root follows the
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


@pytest.mark.parametrize("name", ["refined", "refined_v4"])
def test_shipped_refined_ends_its_chain_at_t_102_and_refined_v3_runs_it_whole(name):
    """§36.5: refined_v4 (shipped as refined until §41.3) is st_kv3ts1 training seed 0 (its low expert self-tuned from
    refined_v3's) and records stop_t 100, which loading sets on the model the samplers read, as the routed refined
    does (§41.3, st_kv3ts1px_s0's low expert self-tuned likewise); refined_v3 (§16) records none."""
    from imusim.diffusion.zoo import resolve_checkpoint
    new, *_, meta = load_checkpoint(resolve_checkpoint(name))
    v3, *_, v3_meta = load_checkpoint(resolve_checkpoint("refined_v3"))
    assert meta["sampling"]["stop_t"] == 100 == new.sample_stop_t and meta["sampling"]["guidance"] == 1.0
    assert meta["shipped"]["run"] == {"refined": "route27_s0", "refined_v4": "st_kv3ts1_s0"}[name]
    assert "selftune" in meta["experts"]["low"]
    assert "stop_t" not in v3_meta["sampling"] and v3.sample_stop_t == 0
    assert v3_meta["experts"]["low"].endswith("anc_afu1i5_s0/model.safetensors")
    assert any(not torch.equal(new.low.state_dict()[k], v) for k, v in v3.low.state_dict().items())


def test_shipped_refined_is_the_band_routed_pair():
    """§41.3: the shipped refined is a band-routed pair: refined_v4's high expert, the walking expert (st_kv3ts1px_s0's
    low expert, self-tuned from refined_v3's) on the hand-overs at 2 to 7 m/s^2, and refined_v4's low expert, tensor
    for tensor, on the rest; the route's thresholds are what loading sets."""
    from imusim.diffusion.zoo import resolve_checkpoint
    new, *_, meta = load_checkpoint(resolve_checkpoint("refined"))
    v4 = load_checkpoint(resolve_checkpoint("refined_v4"))[0]
    v3 = load_checkpoint(resolve_checkpoint("refined_v3"))[0]
    assert new.routed and (new.route_still_acc, new.route_min_acc) == (2.0, 7.0)
    assert (meta["experts"]["route_still_acc"], meta["experts"]["route_min_acc"]) == (2.0, 7.0)
    for mine, theirs in ((new.moving, v4.low), (new.high, v4.high)):
        assert all(torch.equal(mine.state_dict()[k], v) for k, v in theirs.state_dict().items())
    for other in (v4.low, v3.low):
        assert any(not torch.equal(new.low.state_dict()[k], v) for k, v in other.state_dict().items())


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


# --- routed pairs (docs/realism.md §40): one high expert, two low experts chosen per motion -------------------------

TINY263 = {**TINY, "n_feats": 263}


def _three(seed=0):
    torch.manual_seed(seed)
    return tuple(MDM(MDMConfig(**TINY263)).eval() for _ in range(3))


def test_a_routed_pair_answers_each_motion_with_its_routed_expert():
    high, low, moving = _three()
    pair = ExpertPair(high, low, 300, moving, 7.0)
    assert pair.routed and not ExpertPair(high, low, 300).routed
    x, emb = torch.randn(3, 16, 263), torch.randn(3, 64)
    with torch.no_grad():
        with pytest.raises(ValueError, match="low-noise steps need the route"):
            pair(x, torch.full((3,), 10), emb)
        pair._route = torch.tensor([True, False, True])
        for t in (299, 0):
            tt = torch.full((3,), t)
            got = pair.guided(x, tt, emb, None, 2.5)
            for i, net in enumerate((moving, low, moving)):
                ref = net.guided(x[i:i + 1], tt[i:i + 1], emb[i:i + 1], None, 2.5)
                torch.testing.assert_close(got[i:i + 1], ref, rtol=1e-5, atol=1e-5)
        tt = torch.full((3,), 300)  # the high-noise steps are the high expert's for every motion
        torch.testing.assert_close(pair(x, tt, emb), high(x, tt, emb), rtol=0, atol=0)
        pair._route = torch.tensor([True, False])
        with pytest.raises(ValueError, match=r"the route holds \[2\] motions, the step 3"):
            pair(x, torch.full((3,), 10), emb)
    with pytest.raises(ValueError, match="needs both moving and route_min_acc, got moving set and route_min_acc None"):
        ExpertPair(high, low, 300, moving)
    with pytest.raises(ValueError, match="route_min_acc must be a finite acceleration > 0 m/s\\^2, got 0"):
        ExpertPair(high, low, 300, moving, 0)
    with pytest.raises(ValueError, match="moving has n_feats=12"):
        ExpertPair(high, low, 300, MDM(MDMConfig(**TINY)), 7.0)
    with pytest.raises(ValueError, match="has no moving expert"):
        ExpertPair(high, low, 300).set_route(torch.zeros(1, 4, 263), torch.ones(1, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="route_still_acc=1.0 needs a routed pair"):
        ExpertPair(high, low, 300, route_still_acc=1.0)
    for bad in (7.0, 9.0, 0.0, float("nan"), True):
        with pytest.raises(ValueError, match=r"route_still_acc must be an acceleration > 0 and below route_min_acc "
                                             r"\(7.0 m/s\^2\), got"):
            ExpertPair(high, low, 300, moving, 7.0, bad)


def _accelerating(shared_data, a, frames=40):
    """HumanML3D features of a still body (a walk clip's first pose) whose root is pushed forward at a constant
    acceleration ``a`` m/s² from rest: every joint accelerates at ``a``."""
    from imusim.data import load_motion
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.motion.humanml import features_from_positions
    from tests.conftest import require_data

    m = retarget_to_smpl22(load_motion(require_data("bandai_namco_1", "dataset-1_walk_active_001.bvh")))
    P0 = torch.as_tensor(m.joint_positions()[0], dtype=torch.float64)  # [22, 3]
    t = torch.arange(frames + 1, dtype=torch.float64) / 20.0
    P = P0[None].repeat(frames + 1, 1, 1)
    P[..., 2] += 0.5 * a * t[:, None] ** 2
    return features_from_positions(P, fps=20.0)


def test_set_route_reads_the_predictions_joint_acceleration(shared_data):
    """The route is physical: a body pushed at 8 m/s² is routed to the moving expert at a 7 m/s² threshold and not at
    9; a still one never; frames outside the mask do not count."""
    high, low, moving = _three()
    feats = torch.stack([_accelerating(shared_data, a) for a in (8.0, 0.0, 8.0)])  # [3, 40, 263]
    mask = torch.ones(3, 40, dtype=torch.bool)
    mask[2, 3:] = False  # 3 frames: one acceleration sample, of the start from rest
    from imusim.motion.humanml import recover_from_ric
    P = recover_from_ric(feats, 22).numpy()
    a0 = float(((P[0, 2:] - 2 * P[0, 1:-1] + P[0, :-2]) * 400).__pow__(2).sum(-1).__pow__(0.5).mean())
    assert a0 == pytest.approx(8.0, rel=0.05)  # the features hold the push
    for m, want in ((7.0, [True, False, True]), (9.0, [False, False, False])):
        assert ExpertPair(high, low, 300, moving, m).set_route(feats, mask).tolist() == want
    mask[2, 3:] = True
    mask[2, :] = torch.arange(40) < 2  # fewer than 3 frames: no acceleration, routed low
    assert ExpertPair(high, low, 300, moving, 7.0).set_route(feats, mask).tolist() == [True, False, False]
    # a band (route_still_acc): low finishes 1 <= a < 7 only; the still body and the one at 8 go to moving
    feats = torch.stack([_accelerating(shared_data, a) for a in (8.0, 0.0, 3.0, 0.5)])
    mask = torch.ones(4, 40, dtype=torch.bool)
    assert ExpertPair(high, low, 300, moving, 7.0, 1.0).set_route(feats, mask).tolist() == [True, True, False, True]
    assert ExpertPair(high, low, 300, moving, 7.0, 0.4).set_route(feats, mask).tolist() == [True, True, False, False]
    assert ExpertPair(high, low, 300, moving, 7.0).set_route(feats, mask).tolist() == [True, False, False, False]


def test_sample_routes_each_motion_by_its_last_high_step():
    """sample() with a routed pair: every motion equals the plain pair's sample of the expert it is routed to (the
    same per-motion noise), where the route is the last high-noise step's prediction read at the threshold."""
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import joint_acc_per_joint, sample
    from imusim.motion.humanml import recover_from_ric
    high, low, moving = _three(1)
    mean, std = torch.zeros(263), torch.full((263,), 0.05)
    enc = get_text_encoder("hash", dim=64)
    prompts, lengths = ["a", "b", "c", "d"], [20, 20, 16, 20]
    kw = dict(steps=10, guidance=1.0, seeds=[0, 1, 2, 3])
    seen = {}

    def observe(k, i, x0):
        if i >= 300:
            seen["x0"] = x0.clone()
    with torch.no_grad():
        plain = {name: sample(ExpertPair(high, net, 300), mean, std, enc, prompts, lengths, **kw)[0]
                 for name, net in (("low", low), ("moving", moving))}
        sample(ExpertPair(high, low, 300), mean, std, enc, prompts, lengths, observe=observe, **kw)
        m = (torch.arange(20)[None] < torch.tensor(lengths)[:, None])
        acc = joint_acc_per_joint(recover_from_ric((seen["x0"] * std + mean).double(), 22), m).mean(-1)
        thr = float(acc.median())  # half the motions each way
        pair = ExpertPair(high, low, 300, moving, thr)
        got, _ = sample(pair, mean, std, enc, prompts, lengths, **kw)
    want = (acc >= thr).tolist()
    assert pair.route.tolist() == want and 0 < sum(want) < 4
    for i, r in enumerate(want):
        torch.testing.assert_close(got[i], plain["moving" if r else "low"][i], rtol=1e-4, atol=1e-4)
        assert (got[i] - plain["low" if r else "moving"][i]).abs().max() > 1e-3


def test_routed_pair_checkpoint_round_trip_and_refusals(tmp_path, capsys):
    import json
    from imusim.cli import main
    from imusim.diffusion.checkpoint import save_routed_pair
    from imusim.diffusion.selftune import load_pair
    high, low, moving = _three()
    mean, std = torch.zeros(263), torch.ones(263)
    ph = save_checkpoint(tmp_path / "h.safetensors", high, mean, std, "hash", {"sampling": {"guidance": 1.0}})
    pl = save_checkpoint(tmp_path / "l.safetensors", low, mean, std, "hash", {})
    pm = save_checkpoint(tmp_path / "m.safetensors", moving, mean, std, "hash", {})
    a = save_expert_pair(tmp_path / "a.safetensors", ph, pl, 300, stop_t=100)
    b = save_expert_pair(tmp_path / "b.safetensors", ph, pm, 300, stop_t=100)
    out = tmp_path / "r.safetensors"
    assert main(["route", "--pair", str(a), "--moving", str(b), "--min-acc", "7", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    r, m2, s2, enc, meta = load_checkpoint(out)
    assert r.routed and r.route_min_acc == 7.0 and r.below_t == 300 and r.sample_stop_t == 100
    for got, ref in ((r.high, high), (r.low, low), (r.moving, moving)):
        for k, v in ref.state_dict().items():
            torch.testing.assert_close(got.state_dict()[k], v, rtol=0, atol=0)
    assert meta["experts"]["route_min_acc"] == 7.0 and str(b) in meta["experts"]["moving"]
    assert r.route_still_acc is None and "route_still_acc" not in meta["experts"]
    band = tmp_path / "band.safetensors"  # a band route (--still-acc) round trip
    assert main(["route", "--pair", str(a), "--moving", str(b), "--min-acc", "7", "--still-acc", "2",
                 "--out", str(band)]) == 0
    assert "or below 2" in capsys.readouterr().out
    rb, *_, bmeta = load_checkpoint(band)
    assert (rb.route_min_acc, rb.route_still_acc, bmeta["experts"]["route_still_acc"]) == (7.0, 2.0, 2.0)
    from imusim.commands.demo import diffusion_label  # the demo report names the route
    assert diffusion_label(band).endswith("two experts split at diffusion step 300, a second low expert on the "
                                          "hand-overs moving at >= 7 or below 2 m/s^2, the DDIM chain ended at its "
                                          "last step at t >= 100)")
    assert "hand-overs moving at >= 7 m/s^2," in diffusion_label(out)
    assert main(["route", "--pair", str(a), "--moving", str(b), "--min-acc", "7", "--still-acc", "7",
                 "--out", str(tmp_path / "q.safetensors")]) == 2
    assert "route_still_acc must be an acceleration > 0 and below route_min_acc" in capsys.readouterr().err
    # refused by name: another high expert, other sampling settings, a routed or single input, a bad threshold
    c = save_expert_pair(tmp_path / "c.safetensors", pm, pl, 300, stop_t=100)
    with pytest.raises(ValueError, match="different high-noise experts"):
        save_routed_pair(tmp_path / "x.safetensors", a, c, 7.0)
    d = save_expert_pair(tmp_path / "d.safetensors", ph, pm, 300)
    with pytest.raises(ValueError, match=r"sampling settings differ: stop_t 100 in .*a.safetensors, 0 in"):
        save_routed_pair(tmp_path / "x.safetensors", a, d, 7.0)
    with pytest.raises(ValueError, match="is routed already"):
        save_routed_pair(tmp_path / "x.safetensors", out, b, 7.0)
    with pytest.raises(ValueError, match="must be a two-expert checkpoint"):
        save_routed_pair(tmp_path / "x.safetensors", a, ph, 7.0)
    with pytest.raises(ValueError, match="route_min_acc must be a finite acceleration"):
        save_routed_pair(tmp_path / "x.safetensors", a, b, -1.0)
    assert main(["route", "--pair", str(a), "--moving", str(tmp_path / "missing.safetensors"), "--min-acc", "7",
                 "--out", str(tmp_path / "q.safetensors")]) == 2
    assert "missing.safetensors" in capsys.readouterr().err and not (tmp_path / "q.safetensors").exists()
    # the self-sampled fine-tunes train one low expert: a routed pair is refused by name
    with pytest.raises(ValueError, match="is a routed pair"):
        load_pair(out, None, "selftune", "low")
    # a damaged threshold in the file is a CorruptFileError naming it
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(out), framework="pt") as f:
        md, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    md["meta"] = json.dumps({**json.loads(md["meta"]), "experts": {"below_t": 300, "route_min_acc": "7"}})
    save_file(tensors, str(tmp_path / "bad.safetensors"), metadata=md)
    with pytest.raises(CorruptFileError, match="bad.safetensors.*route_min_acc must be an acceleration"):
        load_checkpoint(tmp_path / "bad.safetensors")
    md["meta"] = json.dumps({**json.loads(md["meta"]), "experts": {"below_t": 300, "route_min_acc": 7.0,
                                                                   "route_still_acc": 8.0}})
    save_file(tensors, str(tmp_path / "bad2.safetensors"), metadata=md)
    with pytest.raises(CorruptFileError, match=r"bad2.safetensors.*route_still_acc must be .* below route_min_acc"):
        load_checkpoint(tmp_path / "bad2.safetensors")
