"""scripts/chain_speed_probe.py on a constructed data set (known forward speeds per activity) and a tiny checkpoint:
the chain's last step is the generated motion, the noised probe reads the clips' own speeds back through an identity
denoiser and half of them through one that halves the forward channel."""

import json
from argparse import Namespace

import numpy as np
import pytest
import torch

from imusim.constants import HUMANML3D_FPS
from imusim.diffusion import MDM, MDMConfig
from imusim.diffusion.checkpoint import save_checkpoint

from tests.scripts_loader import load_script

SPEED = {"walk": 1.2, "run": 3.0, "jump": 0.1}  # m/s


def _probe():
    return load_script("chain_speed_probe")


@pytest.fixture()
def assets(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    (data / "features").mkdir(parents=True)
    clips = []
    for split, n in (("train", 5), ("test", 3)):
        for act in SPEED:
            for j in range(n):
                cid = f"{split}_{act}_{j}"
                T = 30 + 7 * j
                f = rng.normal(0, 0.1, (T, 263)).astype(np.float32)
                f[:, 2] = SPEED[act] * (1 + 0.1 * j) / HUMANML3D_FPS + rng.normal(0, 0.005, T)
                np.save(data / "features" / f"{cid}.npy", f)
                clips.append({"id": cid, "split": split, "captions": [f"a person does {act} {j}"], "activity": act,
                              "style": "normal" if j == 0 else None, "frames": T})
    (data / "meta.json").write_text(json.dumps({"clips": clips}))
    mean = np.zeros(263, np.float32)
    mean[2] = 0.05
    np.save(data / "Mean.npy", mean)
    np.save(data / "Std.npy", np.full(263, 0.5, np.float32))
    torch.manual_seed(0)
    model = MDM(MDMConfig(latent=32, layers=1, ff=64, heads=4, n_feats=263, text_dim=64, dropout=0.0)).eval()
    ck = save_checkpoint(tmp_path / "tiny.safetensors", model, torch.from_numpy(mean), torch.full((263,), 0.5), "hash",
                         {"step": 0})
    return data, ck


def _args(data, ck, **kw):
    a = dict(data=str(data), checkpoint=str(ck), activities=["walk", "run"], levels=[999, 500, 0], train_clips=2,
             max_frames=40, guidance=None, anchor_feet=None, steps=4, legs=False, wrists=False)
    a.update(kw)
    return Namespace(**a)


def test_chain_last_step_is_the_generated_motion(assets):
    from imusim.data.dataset import load_split
    from imusim.diffusion.evaluate import generate_for_clips

    data, ck = assets
    mod = _probe()
    a = _args(data, ck)
    res = mod.chain(a, ["walk", "run"])
    assert len(res["timesteps"]) == 4 and res["timesteps"][0] == 999 and res["timesteps"][-1] == 0
    clips, dmean, dstd = load_split(data, "test")
    lengths = [min(len(c["features"]), 40) for c in clips]
    gen, jobs, _ = generate_for_clips(str(ck), [c["captions"][0] for c in clips], lengths, dmean, dstd, steps=4,
                                      progress=False)
    for act in ("walk", "run"):
        want = np.mean([float((g * dstd + dmean)[:, 2].double().mean()) * HUMANML3D_FPS
                        for g, (_, i) in zip(gen, jobs) if clips[i]["activity"] == act])
        assert res["speed"][act]["x0_m_s"][-1] == pytest.approx(want, rel=1e-5)
        real = np.mean([SPEED[act] * (1 + 0.1 * j) for j in range(3)])
        assert res["speed"][act]["real_m_s"] == pytest.approx(real, rel=0.01) and res["speed"][act]["n"] == 3
    assert "jump" not in res["speed"] and "legs_m_s" not in res["speed"]["walk"]


def test_chain_legs_is_the_anchored_root_speed(assets):
    """--legs: the last step's reading is the speed of the generated motion re-anchored on its standing feet, and
    the x0 column is unchanged by asking for it."""
    from imusim.data.dataset import load_split
    from imusim.diffusion.evaluate import generate_for_clips
    from imusim.motion.quality import anchor_root_features

    data, ck = assets
    mod = _probe()
    plain = mod.chain(_args(data, ck), ["walk"])
    res = mod.chain(_args(data, ck, legs=True), ["walk"])
    assert res["speed"]["walk"]["x0_m_s"] == plain["speed"]["walk"]["x0_m_s"]
    clips, dmean, dstd = load_split(data, "test")
    lengths = [min(len(c["features"]), 40) for c in clips]
    gen, jobs, _ = generate_for_clips(str(ck), [c["captions"][0] for c in clips], lengths, dmean, dstd, steps=4,
                                      progress=False)
    want = np.mean([float(anchor_root_features((g * dstd + dmean).double(), "height", smooth=0.7)[:, 2].mean())
                    * HUMANML3D_FPS for g, (_, i) in zip(gen, jobs) if clips[i]["activity"] == "walk"])
    assert res["speed"]["walk"]["legs_m_s"][-1] == pytest.approx(want, rel=1e-4)


def test_noised_reads_speeds_through_the_denoiser(assets, monkeypatch):
    import imusim.diffusion.train as train

    data, ck = assets
    mod = _probe()
    monkeypatch.setattr(train, "predict_x0", lambda model, x, *a, **k: x)  # identity: x_t itself
    res = mod.noised(_args(data, ck), ["walk", "run"])
    assert res["levels"] == [999, 500, 0] and res["guidance"] == 2.5 and res["anchor_feet"] == 0  # the defaults
    for split, n in (("test", 3), ("train", 2)):
        for act in ("walk", "run"):
            r = res["splits"][split][act]
            assert r["n"] == n
            # at t = 0 x_t is the clip (sqrt(alpha_bar_0) = 0.99998, noise 0.006 per frame): the ratio is 1
            assert r["pred_m_s"][2] / r["real_m_s"] == pytest.approx(1.0, abs=0.02)
    legs = mod.noised(_args(data, ck, legs=True), ["walk"])["splits"]["test"]["walk"]
    # the identity at t = 0 hands back the clips: the legs' reading of the predictions is the clips' own
    assert legs["legs_m_s"][2] == pytest.approx(legs["real_legs_m_s"], rel=0.02)
    assert legs["pred_m_s"] == pytest.approx(res["splits"]["test"]["walk"]["pred_m_s"])
    half = lambda model, x, *a, **k: x * torch.where(torch.arange(263) == 2, 0.5, 1.0) - (  # noqa: E731
        torch.arange(263) == 2).float() * 0.05  # halves the raw forward channel (mean 0.05, std 0.5)
    monkeypatch.setattr(train, "predict_x0", half)
    res = mod.noised(_args(data, ck), ["walk", "run"])
    for act in ("walk", "run"):
        r = res["splits"]["test"][act]
        assert r["pred_m_s"][2] / r["real_m_s"] == pytest.approx(0.5, abs=0.02)


def test_chain_wrists_by_style(assets):
    """--wrists: the last step's wrist intensity per style group is the generated motion's, decoded to joints and
    read as scripts/skating_probe.py reads it; the real one is the clips'; the plain (normal) clips apart."""
    from imusim.data.dataset import load_split
    from imusim.diffusion.evaluate import generate_for_clips
    from imusim.motion.humanml import recover_from_ric

    data, ck = assets
    mod = _probe()
    res = mod.chain(_args(data, ck, wrists=True), ["walk", "run"])
    parts = load_script("skating_probe").wrist_parts
    clips, dmean, dstd = load_split(data, "test")
    lengths = [min(len(c["features"]), 40) for c in clips]
    gen, jobs, _ = generate_for_clips(str(ck), [c["captions"][0] for c in clips], lengths, dmean, dstd, steps=4,
                                      progress=False)
    assert sorted(res["wrist"]) == ["run/normal", "run/other styles", "walk/normal", "walk/other styles"]
    for g in res["wrist"]:
        sel = [(gg, i) for gg, (_, i) in zip(gen, jobs) if mod.style_group(clips[i]) == g]
        want = np.mean([parts(recover_from_ric((gg * dstd + dmean)[:lengths[i]].double()))["wrist_acc"]
                        for gg, i in sel])
        assert res["wrist"][g]["x0_m_s2"][-1] == pytest.approx(want, rel=1e-4)
        real = np.mean([parts(recover_from_ric(torch.as_tensor(c["features"][:n]).double()))["wrist_acc"]
                        for c, n in zip(clips, lengths) if mod.style_group(c) == g])
        assert res["wrist"][g]["real_m_s2"] == pytest.approx(real, rel=1e-6)
        assert res["wrist"][g]["n"] == (1 if g.endswith("normal") else 2)
        assert len(res["wrist"][g]["x0_m_s2"]) == 4
    assert "wrist" not in mod.chain(_args(data, ck), ["walk"])


def test_noised_wrists_read_the_clips_at_level_zero(assets, monkeypatch):
    """--noised --wrists: the clips' own wrist intensity per style group, and the one-step predictions' (an identity
    denoiser at level 0 reads the clips back)."""
    import imusim.diffusion.train as train

    data, ck = assets
    mod = _probe()
    seen = []  # the guidance of every call, over both splits and all levels

    def identity(model, x, t, emb, mask, step_mask, guidance, *a, **k):  # x_t itself
        seen.append(guidance)
        return x

    monkeypatch.setattr(train, "predict_x0", identity)
    a = _args(data, ck, wrists=True, levels=[999, 0])
    out = mod.noised(a, ["walk", "run"])
    assert seen and all(g == out["guidance"] and isinstance(g, float) for g in seen)
    from imusim.data.dataset import load_split
    from imusim.motion.humanml import recover_from_ric
    parts = load_script("skating_probe").wrist_parts
    clips, _, _ = load_split(data, "test")
    for g in ("walk/normal", "walk/other styles"):
        real = np.mean([parts(recover_from_ric(torch.as_tensor(c["features"][:40]).double()))["wrist_acc"]
                        for c in clips if mod.style_group(c) == g])
        w = out["wrist"]["test"][g]
        assert w["real_m_s2"] == pytest.approx(real, rel=1e-5) and len(w["pred_m_s2"]) == 2
        assert w["pred_m_s2"][1] == pytest.approx(real, rel=0.05)  # level 0: x_t is the clip
        assert w["pred_m_s2"][0] > 3 * real  # level 999: x_t is noise
    assert "wrist" not in mod.noised(_args(data, ck, levels=[0]), ["walk"])


def test_a_stopped_chain_is_the_whole_chains_x0_at_its_last_kept_step(assets):
    """evaluate-motion's ``NAME@stop=T`` (docs/realism.md §36): the motions are the whole chain's x0 predictions at
    its last step at t >= T, on the same clips and noise (the probe's reading of that step)."""
    from imusim.data.dataset import load_split
    from imusim.diffusion.evaluate import generate_for_clips

    data, ck = assets
    res = _probe().chain(_args(data, ck), ["walk"])  # timesteps 999, 666, 333, 0
    x0 = res["speed"]["walk"]["x0_m_s"]
    assert len({round(v, 6) for v in x0[-3:]}) == 3  # the steps' readings differ, so the test can tell them apart
    clips, dmean, dstd = load_split(data, "test")
    lengths = [min(len(c["features"]), 40) for c in clips]
    for spec, kw, k in ((f"{ck}@stop=1", {}, -2), (str(ck), {"stop_t": 334}, -3)):
        gen, jobs, info = generate_for_clips(spec, [c["captions"][0] for c in clips], lengths, dmean, dstd, steps=4,
                                             progress=False, **kw)
        want = np.mean([float((g * dstd + dmean)[:, 2].double().mean()) * HUMANML3D_FPS
                        for g, (_, i) in zip(gen, jobs) if clips[i]["activity"] == "walk"])
        assert res["speed"]["walk"]["x0_m_s"][k] == pytest.approx(want, rel=1e-5)
        assert info["stop_t"] == kw.get("stop_t", 1)
