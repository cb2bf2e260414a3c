"""Motion-quality metrics of ``imusim evaluate-motion`` against analytic values."""

import numpy as np
import pytest
import torch

from imusim.diffusion.evaluate import (diversity, fid_swap_attribution, fid_terms, foot_skating, frechet_distance,
                                       jerk, joint_acc, parse_spec, smooth_features)


def _body(T, fn):
    """[T, 22, 3] with every joint at fn(t) (t in s at 20 fps), feet raised unless fn puts them down."""
    t = torch.arange(T, dtype=torch.float64) / 20.0
    return fn(t)[:, None, :].expand(T, 22, 3).clone()


def test_jerk_and_acceleration_of_polynomials():
    P = _body(40, lambda t: torch.stack([t ** 3, torch.zeros_like(t), torch.zeros_like(t)], -1))
    assert jerk(P) == pytest.approx(6.0, rel=1e-9)  # d³(t³)/dt³ = 6 m/s³, exact for finite differences
    Q = _body(40, lambda t: torch.stack([0.5 * 3.0 * t ** 2, torch.zeros_like(t), torch.zeros_like(t)], -1))
    assert joint_acc(Q) == pytest.approx(3.0, rel=1e-9)
    assert jerk(Q) == pytest.approx(0.0, abs=1e-6)


def test_foot_skating_sliding_vs_planted():
    slide = _body(30, lambda t: torch.stack([1.0 * t, torch.zeros_like(t), torch.zeros_like(t)], -1))  # 1 m/s on floor
    assert foot_skating(slide) == 1.0
    slow = _body(30, lambda t: torch.stack([0.2 * t, torch.zeros_like(t), torch.zeros_like(t)], -1))  # 0.2 m/s
    assert foot_skating(slow) == 0.0
    # a foot that slides only while 20 cm above the floor is not skating
    def swing(t):
        y = torch.where(t < 0.5, torch.zeros_like(t), torch.full_like(t, 0.2))
        x = torch.where(t < 0.5, torch.zeros_like(t), 2.0 * t)
        return torch.stack([x, y, torch.zeros_like(t)], -1)
    assert foot_skating(_body(30, swing)) == 0.0


def test_skating_breakdown_separates_the_held_foot_from_the_other_in_double_stance():
    from imusim.motion.quality import FOOT_JOINTS, skating_breakdown
    T = 30
    t = torch.arange(T, dtype=torch.float64) / 20.0
    P = torch.zeros(T, 22, 3, dtype=torch.float64)
    P[:, :, 1] = 1.0  # everything 1 m up, except the feet below
    la, ra, lt, rt = FOOT_JOINTS
    P[:, [la, lt], 1] = 0.0  # left foot planted at the origin for the whole clip
    P[:, [ra, rt], 1] = 0.0  # right foot on the floor too, its toe sliding at 1 m/s, its ankle planted
    P[:, rt, 0] = 1.0 * t
    b = skating_breakdown(P)
    # every pair is double stance; 4 entries per pair, 1 sliding (the right toe), never the least-moving joint
    assert b["double_share"] == 1.0 and np.isnan(b["single"])
    assert b["double"] == pytest.approx(0.25) and b["double_held"] == 0.0 and b["double_other"] == pytest.approx(1 / 3)
    assert b["ankle"] == 0.0 and b["toe"] == pytest.approx(0.5)
    assert foot_skating(P) == pytest.approx(b["double"])  # the same entries, split
    # lift the right foot 20 cm: single stance on the left, nothing slides
    P[:, [ra, rt], 1] = 0.2
    b = skating_breakdown(P)
    assert b["single"] == 0.0 and b["double_share"] == 0.0 and np.isnan(b["double"])
    with pytest.raises(ValueError, match=r"P must be \[T, 22, 3\]"):
        skating_breakdown(P[:, :21])


def test_frechet_distance_and_diversity():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 4))
    b = rng.normal(size=(4000, 4)) + np.array([1.0, 0, 0, 0])
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b) == pytest.approx(1.0, abs=0.1)  # |Δμ|² with equal covariances
    # E|x − y| for x, y ~ N(0, I_4): 2·Γ(2.5)/Γ(2) = 2.659
    assert diversity(a, pairs=4000) == pytest.approx(2.659, rel=0.05)


def test_fid_terms_split_location_from_spread():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6000, 3))
    # shifted by (2, 0, 0): the mean term is 4, the covariance term ~0
    t = fid_terms(a, rng.normal(size=(6000, 3)) + np.array([2.0, 0, 0]))
    assert t["mean"] == pytest.approx(4.0, abs=0.15) and t["cov"] == pytest.approx(0.0, abs=0.05)
    # scaled by 3 about the same mean: the covariance term is 3·(1 + 9 − 2·3) = 12 (per dimension (σa − σb)²)
    t = fid_terms(a, 3 * rng.normal(size=(6000, 3)))
    assert t["mean"] == pytest.approx(0.0, abs=0.1) and t["cov"] == pytest.approx(12.0, rel=0.05)
    assert t["fid"] == pytest.approx(t["mean"] + t["cov"]) == pytest.approx(frechet_distance(a, 3 * rng.normal(
        size=(6000, 3))), rel=0.05)
    assert np.isnan(fid_terms(a[:1], a)["mean"])


def test_fid_swap_attribution_finds_the_group_that_moved():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(3000, 4))
    base = rng.normal(size=(3000, 4))
    groups = ["walk"] * 1000 + ["run"] * 1000 + ["stand"] * 1000
    gen = base.copy()
    gen[1000:2000] += np.array([3.0, 0, 0, 0])  # only the runners moved, the same draws otherwise
    att = fid_swap_attribution(gen, base, ref, groups)
    full, fbase = frechet_distance(gen, ref), frechet_distance(base, ref)
    assert full > fbase + 1.0
    assert att["run"]["fid_swapped"] == pytest.approx(fbase, abs=1e-9)  # swapping the runners back is the base
    assert att["run"]["swap_gain"] == pytest.approx(full - fbase, abs=1e-9)
    assert att["run"]["paired_shift"] == pytest.approx(3.0) and att["walk"]["paired_shift"] == 0.0
    assert att["walk"]["swap_gain"] == pytest.approx(0.0, abs=1e-9) == att["stand"]["swap_gain"]
    assert att["run"]["n"] == 1000
    with pytest.raises(ValueError, match=r"paired \[N, D\] embeddings of one shape, got \(3000, 4\) and \(2, 4\)"):
        fid_swap_attribution(gen, base[:2], ref, groups)
    with pytest.raises(ValueError, match=r"one label per row \(3000\), got 2"):
        fid_swap_attribution(gen, base, ref, groups[:2])


def test_smooth_features_keeps_linear_signals_and_damps_noise():
    T = 60
    lin = torch.linspace(0, 1, T)[:, None].expand(T, 263).clone()
    s = smooth_features(lin, 2.0)
    assert torch.allclose(s[8:-8], lin[8:-8], atol=1e-6)  # a Gaussian kernel is exact on lines
    noise = torch.randn(2, T, 263, generator=torch.Generator().manual_seed(0))
    sn = smooth_features(noise, 2.0)
    assert sn.shape == noise.shape and sn.std() < 0.5 * noise.std()
    assert smooth_features(noise[:, :3], 2.0).shape == (2, 3, 263)  # shorter than the kernel


def test_parse_spec():
    assert parse_spec("refined") == ("refined", 0.0, "refined")
    assert parse_spec("runs/a/model.safetensors@smooth=1.5") == ("runs/a/model.safetensors", 1.5, "a+smooth1.5")
    assert parse_spec("ckpts/big.safetensors") == ("ckpts/big.safetensors", 0.0, "big")
    with pytest.raises(ValueError, match="unknown option"):
        parse_spec("refined@blur=2")


def test_quality_filter_accepts_still_body_rejects_jitter():
    from imusim.motion.quality import QualityFilter

    still = _body(60, lambda t: torch.zeros(t.shape[0], 3, dtype=t.dtype))
    still[:, :, 1] += torch.linspace(0, 1.6, 22, dtype=still.dtype)  # joints at different heights
    ok, st = QualityFilter().check(still)
    assert ok and st["jerk"] < 1e-9 and st["foot_skating"] == 0
    noisy = still + 0.02 * torch.randn(still.shape, generator=torch.Generator().manual_seed(0), dtype=still.dtype)
    ok, st = QualityFilter().check(noisy)
    assert not ok and st["jerk"] > QualityFilter().max_jerk


def test_activity_quality_filter_limits_are_per_activity():
    from imusim.motion.quality import ActivityQualityFilter, QualityFilter

    f = ActivityQualityFilter.load()  # shipped limits, calibrated on ../shared/data
    run, stand = f.for_activity("running"), f.for_activity("standing")
    assert run.max_jerk > 2 * stand.max_jerk  # running is naturally jerkier
    assert f.for_activity("badminton") == f.default  # no real clips: the global limits
    assert isinstance(f.default, QualityFilter) and 300 < f.default.max_jerk < 420


def test_calibrate_quality_limits_from_clips(tmp_path, shared_data):
    import json

    from imusim.motion.quality import calibrate

    sub = tmp_path / "data" / "bandai_namco_1"
    sub.mkdir(parents=True)
    src = sorted((shared_data / "bandai_namco_1").glob("dataset-1_*_normal_001.bvh"))
    for p in [p for p in src if "_walk_" in p.name or "_run_" in p.name or "_bow_" in p.name]:
        (sub / p.name).symlink_to(p)
    res = calibrate(tmp_path / "data", q=1.0, out=tmp_path / "lim.json", progress=False)
    assert json.loads((tmp_path / "lim.json").read_text())["all"] == res["all"]
    assert res["crops"]["all"] >= 2 and res["all"]["max_jerk"] > 0  # run_normal_001 is too short (15 frames)


def test_acc_power_and_unaligned_real_l_acc():
    """acc_power is L_acc against a motionless clip; the unaligned floor pairs clips of the same activity only:
    x against −x scores 4·P, identical clips 0, and a lone activity is left out."""
    from imusim import acc_loss
    from imusim.diffusion.evaluate import acc_power, unaligned_real_l_acc

    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 5, generator=g)
    p = acc_power(x)
    assert abs(p - float(acc_loss(torch.zeros(1, 30, 5), x[None], backend="torch"))) < 1e-6
    assert acc_power(x[:2]) != acc_power(x[:2])  # nan below 3 frames
    # two clips of one activity (x, −x) and a lone clip of another: each of the pair is drawn against the other
    lone = torch.randn(12, 5, generator=g)
    r = unaligned_real_l_acc([x, -x, lone], ["walk", "walk", "jump"], draws=3)
    assert r["n_clips"] == 2 and abs(r["mean"] - 4 * p) < 1e-5 * p and r["std"] < 1e-6
    r = unaligned_real_l_acc([x, x.clone()], ["walk", "walk"], draws=2)
    assert r["mean"] == 0.0
    # a shorter partner is tiled to the length
    r = unaligned_real_l_acc([x, x[:10]], ["run", "run"], draws=1)
    tiled = torch.cat([x[:10]] * 3)
    ref = (float(acc_loss(tiled[None], x[None], backend="torch")) + float(acc_loss(x[None, :10], x[None, :10], backend="torch"))) / 2
    assert abs(r["mean"] - ref) < 1e-6


def test_lacc_decomposition_against_direct_products():
    """L_acc = P_gen + P_real − 2·C against the acceleration sequences' own products; a scaled copy of the real clip
    is perfectly aligned (cosine 1, matched L_acc 0, L_acc the power term (c − 1)²·P_real); a motionless clip scores
    L_acc = P_real but matched 2·P_real, as an unrelated clip of the same power does on average."""
    from imusim import acc_loss
    from imusim.diffusion.evaluate import acc_power, lacc_decomposition

    g = torch.Generator().manual_seed(1)
    real = [torch.randn(40, 6, generator=g, dtype=torch.float64) for _ in range(3)]
    gen = [0.5 * real[0], torch.zeros(40, 6, dtype=torch.float64), torch.randn(40, 6, generator=g, dtype=torch.float64)
           + 0.3 * real[2]]

    def d2(x):
        return x[2:] - 2 * x[1:-1] + x[:-2]

    la = [float(acc_loss(a[None], b[None], backend="torch")) for a, b in zip(gen, real)]
    pg, pr = [acc_power(x) for x in gen], [acc_power(x) for x in real]
    d = lacc_decomposition(la, pg, pr)
    for i, (a, b) in enumerate(zip(gen, real)):
        assert d["cross"][i] == pytest.approx(float((d2(a) * d2(b)).mean()), rel=1e-6, abs=1e-9)
        assert d["power_term"][i] + d["shape_term"][i] == pytest.approx(la[i], rel=1e-6)
    cos = float((d2(gen[2]) * d2(real[2])).sum() / (d2(gen[2]).norm() * d2(real[2]).norm()))
    assert d["corr"][2] == pytest.approx(cos, rel=1e-6) and 0.1 < cos < 0.6
    assert d["corr"][0] == pytest.approx(1.0) and d["matched"][0] == pytest.approx(0.0, abs=1e-9)
    assert la[0] == pytest.approx(0.25 * pr[0]) and d["power_term"][0] == pytest.approx(la[0])
    assert la[1] == pytest.approx(pr[1]) and d["corr"][1] == 0.0 and d["matched"][1] == pytest.approx(2 * pr[1])
    assert np.isnan(lacc_decomposition([np.nan], [1.0], [1.0])["corr"][0])
    with pytest.raises(ValueError, match="p_real"):
        lacc_decomposition([1.0, 2.0], [1.0, 2.0], [1.0])


def test_acc_power_groups_split_the_power_by_channel_width():
    """Each group's power is acc_power of its channels; weighted by width the groups add up to the whole power; a
    clip that accelerates only in the contact channels has power there alone; other widths give None."""
    from imusim.diffusion.evaluate import acc_power, acc_power_groups
    from imusim.motion.humanml import FOOT_CONTACT, GROUPS

    g = torch.Generator().manual_seed(2)
    xs = [torch.randn(n, 263, generator=g, dtype=torch.float64) for n in (30, 25)]
    pg = acc_power_groups(xs)
    assert set(pg) == set(GROUPS)
    assert pg["ric"] == pytest.approx(np.mean([acc_power(x[:, 4:67]) for x in xs]))
    whole = np.mean([acc_power(x) for x in xs])
    assert sum(pg[k] * (sl.stop - sl.start) for k, sl in GROUPS.items()) / 263 == pytest.approx(whole)
    x = torch.zeros(20, 263, dtype=torch.float64)
    x[::2, FOOT_CONTACT] = 1.0
    pc = acc_power_groups([x])
    assert pc["foot_contact"] == pytest.approx(4.0) and all(v == 0 for k, v in pc.items() if k != "foot_contact")
    assert acc_power_groups([torch.randn(10, 12)]) is None


def test_anchor_root_on_feet_removes_root_drift_and_keeps_planted_walkers():
    from imusim.motion.quality import FOOT_JOINTS, anchor_root_on_feet

    T, fps = 40, 20.0
    t = torch.arange(T, dtype=torch.float64) / fps
    base = torch.zeros(T, 22, 3, dtype=torch.float64)
    base[..., 1] = 1.0  # the body 1 m up; the feet on the floor
    base[:, list(FOOT_JOINTS), 1] = 0.0
    # a body whose root slides at 1 m/s with its feet down: skating 1.0; anchored, it stands where it started
    slide = base.clone()
    slide[..., 0] += 1.0 * t[:, None]
    assert foot_skating(slide) == 1.0
    a = anchor_root_on_feet(slide)
    assert foot_skating(a) == 0.0
    torch.testing.assert_close(a, base)  # no drift left, the pose relative to the root untouched
    # a walker: the left foot (ankle 7, toe 10) planted in frames 0-19 while the body and the right foot move at
    # 1 m/s; then the right foot (8, 11) plants and the left one swings above the floor. Nothing slides: unchanged
    walk = base.clone()
    walk[:, [0, 1, 2, 3, 4, 5, 6, 9] + list(range(12, 22)), 0] += 1.0 * t[:, None]
    lf, rf = [7, 10], [8, 11]
    half = T // 2
    walk[:half, rf, 0] += 2.0 * t[:half, None]
    walk[:half, rf, 1] = 0.2
    walk[half:, rf, 0] = walk[half - 1, rf, 0][None] + 0.05
    walk[half:, lf, 0] = 2.0 * (t[half:, None] - t[half - 1])
    walk[half:, lf, 1] = 0.2
    torch.testing.assert_close(anchor_root_on_feet(walk), walk)
    # both feet down and sliding at different speeds: the slower one is planted
    two = base.clone()
    two[..., 0] += 1.0 * t[:, None]
    two[:, rf, 0] += 0.5 * t[:, None]
    a = anchor_root_on_feet(two)
    torch.testing.assert_close(a[:, lf, 0], torch.zeros(T, 2, dtype=torch.float64))
    torch.testing.assert_close(a[:, rf, 0], (0.5 * t[:, None]).expand(T, 2))
    with pytest.raises(ValueError, match=r"P must be \[T, 22, 3\]"):
        anchor_root_on_feet(torch.zeros(5, 21, 3))


def test_fid_encoder_does_not_depend_on_thread_count():
    """The FID encoder is trained on one thread: the caller's thread count changes neither its weights (the
    fingerprint that evaluate-motion records) nor stays changed afterwards; other weights, another fingerprint."""
    from imusim.diffusion.evaluate import encoder_fingerprint, train_motion_encoder

    g = torch.Generator().manual_seed(0)
    # big enough that a 2-thread convolution sums in another order (at 24 features x batch 16 it does not)
    clips = [{"features": torch.randn(int(n), 64, generator=g).numpy(), "activity": a}
             for n, a in zip(torch.randint(40, 130, (20,), generator=g), ["walk", "run", "wave", "bow"] * 5)]
    mean, std = torch.zeros(64), torch.ones(64)
    before = torch.get_num_threads()
    prints = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        prints.append(encoder_fingerprint(train_motion_encoder(clips, mean, std, steps=6, batch=64, progress=False)))
        assert torch.get_num_threads() == threads
    torch.set_num_threads(before)
    assert prints[0] == prints[1] and len(prints[0]) == 16
    other = train_motion_encoder(clips, mean, std, steps=6, batch=64, seed=1, progress=False)
    assert encoder_fingerprint(other) != prints[0]
