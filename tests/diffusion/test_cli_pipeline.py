"""data build → train → finetune (L_acc) → sample → synth → generate, through the CLI, tiny sizes."""

import json

import numpy as np

from imusim.cli import main


def test_cli_train_finetune_sample_generate(tmp_path, shared_data):
    ds, run, ft = tmp_path / "ds", tmp_path / "run", tmp_path / "ft"
    assert main(["data", "build", "--out", str(ds), "--root", str(shared_data), "--limit", "8", "--workers", "1"]) == 0
    tiny = ["--layers", "1", "--latent", "32", "--ff", "64", "--heads", "2", "--text-encoder", "hash"]
    assert main(["train", "--data", str(ds), "--out", str(run), "--steps", "4", "--batch-size", "4",
                 "--log-every", "2", "--ckpt-every", "4", *tiny]) == 0
    assert main(["finetune", "--from", str(run / "model.safetensors"), "--data", str(ds), "--out", str(ft),
                 "--steps", "2", "--batch-size", "4", "--lambda-acc", "1.0", "--log-every", "1"]) == 0
    rows = (ft / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("step,total,l_simple,l_acc") and len(rows) == 3
    out = tmp_path / "samples"
    assert main(["sample", "a person walks forward.", "--checkpoint", str(ft / "model.safetensors"), "--n", "2",
                 "--seconds", "2", "--steps", "5", "--out", str(out)]) == 0
    f = np.load(out / "features.npy")
    assert f.shape == (2, 40, 263) and np.isfinite(f).all()
    assert np.load(out / "joints.npy").shape == (2, 40, 22, 3)
    assert main(["synth", str(out / "sample_000.npz"), "--out", str(out / "imu.npz")]) == 0
    store = tmp_path / "store"
    assert main(["generate", "--checkpoint", str(ft / "model.safetensors"), "--per-activity", "1", "--steps", "3",
                 "--seconds", "3,3.5", "--out", str(store)]) == 0
    summary = json.loads((store / "summary.json").read_text())
    assert summary["windows"] > 0 and "badminton" in summary["per_activity"]
    # the quality filter re-samples implausible motions (a 6-step model makes many) and keeps the plan's windows
    store2 = tmp_path / "store_filtered"
    assert main(["generate", "--checkpoint", str(ft / "model.safetensors"), "--per-activity", "1", "--steps", "3",
                 "--seconds", "3,3.5", "--out", str(store2), "--quality-filter", "--smooth", "1"]) == 0
    s2 = json.loads((store2 / "summary.json").read_text())
    assert s2["windows"] == summary["windows"]
    qf = s2["quality_filter"]
    assert qf["rejected"] > 0 and qf["sampled"] > sum(summary["per_activity"].values()) // 1 - 1
    # evaluate-motion: two checkpoints (the second a smoothed variant), JSON + markdown
    ev = tmp_path / "ev.json"
    ck = str(ft / "model.safetensors")
    assert main(["evaluate-motion", "--checkpoint", ck, "--checkpoint", ck + "@smooth=2", "--data", str(ds),
                 "--split", "train", "--limit", "4", "--steps", "3", "--encoder-steps", "5", "--fid-encoders", "2",
                 "--json", str(ev), "--markdown", str(tmp_path / "ev.md")]) == 0
    res = json.loads(ev.read_text())
    # FID under two encoders (seeds 0, 1): the first is the reported one, the encoders differ (the real row is NaN
    # here: the 8-file data set has no validation clip to compare with)
    assert res["fid_encoders"][0] == res["fid_encoder"] != res["fid_encoders"][1]
    for c in [res["real"]] + res["checkpoints"]:
        assert len(c["fid_per_encoder"]) == 2 and np.isclose(c["fid_per_encoder"][0], c["fid"], equal_nan=True)
    assert "mean ± std over 2 encoders" in (tmp_path / "ev.md").read_text()
    names = [c["name"] for c in res["checkpoints"]]
    assert names == ["ft", "ft+smooth2"]  # named after the run directory
    for c in res["checkpoints"]:
        assert np.isfinite(c["l_acc"]) and c["l_acc"] >= 0 and np.isfinite(c["fid"]) and c["fid"] >= -1e-6
        assert 0 <= c["foot_skating"] <= 1 and c["jerk"] > 0
        # per-motion values (for paired bootstraps) agree with the reported means
        pc = c["per_clip"]
        assert len(pc["l_acc"]) == len(pc["jerk"]) == len(pc["activity"]) == 4
        assert np.isclose(np.nanmean(pc["l_acc"]), c["l_acc"]) and np.isclose(np.mean(pc["jerk"]), c["jerk"])
    assert np.isclose(np.mean(res["real"]["per_clip"]["jerk"]), res["real"]["jerk"])
    assert np.isclose(np.nanmean(res["real"]["per_clip"]["acc_power"]), res["real"]["acc_power"])
    # FID's two terms add up to it; the per-clip embeddings are the ones it was computed from; the encoder's
    # activity per clip agrees with its accuracy
    from imusim.diffusion.evaluate import frechet_distance
    r_emb = np.array(res["real"]["per_clip"]["embedding"])
    assert r_emb.shape == (4, 32) and res["captions"] and len(res["captions"]) == 4
    for c in res["checkpoints"]:
        assert np.isclose(c["fid_mean_term"] + c["fid_cov_term"], c["fid"]) and c["fid_mean_term"] >= 0
        emb = np.array(c["per_clip"]["embedding"])
        assert emb.shape == (4, 32) and np.isclose(frechet_distance(emb, r_emb), c["fid"], rtol=1e-3, atol=1e-3)
        pred, act = c["per_clip"]["encoder_activity"], c["per_clip"]["activity"]
        assert len(pred) == 4 and np.isclose(c["encoder_accuracy"], np.mean([p == a for p, a in zip(pred, act)]))
    assert "FID encoder's activity accuracy" in (tmp_path / "ev.md").read_text() and res["fid_features"] == "generated"
    # the encoder reading consistent features: the same motions (the physical metrics agree), other embeddings
    ev2 = tmp_path / "ev2.json"
    assert main(["evaluate-motion", "--checkpoint", ck, "--data", str(ds), "--split", "train", "--limit", "4",
                 "--steps", "3", "--encoder-steps", "5", "--fid-features", "consistent", "--json", str(ev2)]) == 0
    res2 = json.loads(ev2.read_text())
    c1, c2 = res["checkpoints"][0], res2["checkpoints"][0]
    assert res2["fid_features"] == "consistent" and np.isfinite(c2["fid"])
    assert c2["per_clip"]["jerk"] == c1["per_clip"]["jerk"] and c2["l_acc"] == c1["l_acc"]
    assert not np.allclose(c2["per_clip"]["embedding"], c1["per_clip"]["embedding"], atol=1e-3)
    # smoothing the same samples lowers their jerk and their feature acceleration power
    assert res["checkpoints"][1]["jerk"] < res["checkpoints"][0]["jerk"]
    assert 0 < res["checkpoints"][1]["acc_power"] < res["checkpoints"][0]["acc_power"]
    assert np.isclose(np.nanmean(res["checkpoints"][0]["per_clip"]["acc_power"]), res["checkpoints"][0]["acc_power"])
    assert res["real"]["acc_power"] > 0 and "l_acc_unaligned_real" in res["real"]
    # the L_acc decomposition: per clip L_acc = P_gen + P_real - 2 C, and the means agree with the per-clip values
    for c in res["checkpoints"]:
        pc = c["per_clip"]
        pr = np.asarray(res["real"]["per_clip"]["acc_power"])
        assert np.allclose(np.asarray(pc["acc_power"]) + pr - 2 * np.asarray(pc["acc_cross"]), pc["l_acc"], rtol=1e-5)
        assert np.isclose(np.nanmean(pc["l_acc_matched_power"]), c["l_acc_matched_power"])
        assert np.isclose(np.nanmean(pc["acc_corr"]), c["acc_corr"]) and -1 <= c["acc_corr"] <= 1
    assert "L_acc at the real clip's power" in (tmp_path / "ev.md").read_text()
    # the channel groups' powers, weighted by width, make up the whole feature acceleration power
    from imusim.motion.humanml import GROUPS
    for c in [res["real"]] + res["checkpoints"]:
        w = sum(c["acc_power_groups"][k] * (sl.stop - sl.start) for k, sl in GROUPS.items()) / 263
        assert np.isclose(w, c["acc_power"], rtol=1e-5)
    assert "L_acc per activity" in (tmp_path / "ev.md").read_text()
