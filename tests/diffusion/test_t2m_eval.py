"""Guo et al.'s evaluator (random weights in its own file layout) against its equations, the metrics
against brute-force references, and the protocol end to end on tiny sizes."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
import torch

from imusim.diffusion import t2m

SMALL = dict(text_hidden=16, motion_hidden=24, movement=20, coemb=12)


# ----------------------------------------------------------------------------- references
def gru_dir(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU direction over x [L, I] from h [H] (PyTorch's gate equations), returns the last state."""
    H = h.shape[0]
    for t in range(x.shape[0]):
        gi, gh = w_ih @ x[t] + b_ih, w_hh @ h + b_hh
        r = torch.sigmoid(gi[:H] + gh[:H])
        z = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = torch.tanh(gi[2 * H:] + r * gh[2 * H:])
        h = (1 - z) * n + z * h
    return h


def head_ref(sd, x, L):
    """input_emb → BiGRU over the first L steps from the learned state → output_net (float64)."""
    sd = {k: v.double() for k, v in sd.items()}
    e = x[:L] @ sd["input_emb.weight"].T + sd["input_emb.bias"]
    f = gru_dir(e, sd["hidden"][0, 0], sd["gru.weight_ih_l0"], sd["gru.weight_hh_l0"], sd["gru.bias_ih_l0"],
                sd["gru.bias_hh_l0"])
    b = gru_dir(e.flip(0), sd["hidden"][1, 0], sd["gru.weight_ih_l0_reverse"], sd["gru.weight_hh_l0_reverse"],
                sd["gru.bias_ih_l0_reverse"], sd["gru.bias_hh_l0_reverse"])
    y = torch.cat([f, b]) @ sd["output_net.0.weight"].T + sd["output_net.0.bias"]
    y = (y - y.mean()) / torch.sqrt(y.var(unbiased=False) + 1e-5) * sd["output_net.1.weight"] + sd["output_net.1.bias"]
    y = torch.where(y > 0, y, 0.2 * y)
    return y @ sd["output_net.3.weight"].T + sd["output_net.3.bias"]


def conv_ref(x, w, b):
    """Conv1d kernel 4, stride 2, padding 1 on x [T, C] by explicit windows → [T', C_out]."""
    z = torch.zeros(1, x.shape[1], dtype=x.dtype)
    xp = torch.cat([z, x, z])
    n = (xp.shape[0] - 4) // 2 + 1
    return torch.stack([(w * xp[2 * i:2 * i + 4].T[None]).sum((1, 2)) + b for i in range(n)])


def motion_ref(st, mean, std, m):
    """Movement encoder + motion encoder for one raw motion [T, 263] zero-padded to 196 frames (float64)."""
    mv = {k: v.double() for k, v in st["movement_encoder"].items()}
    x = (torch.as_tensor(m, dtype=torch.float64) - mean.double()) / std.double()
    x = torch.cat([x, torch.zeros(max(0, 196 - x.shape[0]), x.shape[1], dtype=x.dtype)])  # MDM's 196-frame canvas
    x = x[:, :-4]
    lrelu = lambda z: torch.where(z > 0, z, 0.2 * z)  # noqa: E731
    h = lrelu(conv_ref(x, mv["main.0.weight"], mv["main.0.bias"]))
    h = lrelu(conv_ref(h, mv["main.3.weight"], mv["main.3.bias"]))
    h = h @ mv["out_net.weight"].T + mv["out_net.bias"]
    return head_ref(st["motion_encoder"], h, m.shape[0] // 4)


def text_ref(st, vec, tokens):
    we, po, n = vec.sentence(tokens)
    tx = {k: v.double() for k, v in st["text_encoder"].items()}
    x = torch.from_numpy(we).double() + torch.from_numpy(po).double() @ tx["pos_emb.weight"].T + tx["pos_emb.bias"]
    return head_ref(st["text_encoder"], x, n)


# ----------------------------------------------------------------------------- tests
def test_networks_match_their_equations(tmp_path, assets):
    d = assets.write_t2m_evaluator(tmp_path / "mdm", **SMALL)
    st = assets.t2m_evaluator_state(**SMALL)
    ev = t2m.T2MEvaluator(d)
    assert ev.epoch == 7 and ev.motion.gru.hidden_size == 24 and ev.text.gru.hidden_size == 16
    rng = np.random.default_rng(0)
    motions = [rng.normal(size=(T, 263)).astype(np.float32) for T in (40, 196, 67, 4)]
    got = ev.motion_embeddings(motions)
    for m, g in zip(motions, got):
        torch.testing.assert_close(g.double(), motion_ref(st, ev.mean, ev.std, m), rtol=1e-4, atol=1e-5)
    caps = [["a/DET", "person/NOUN", "walk/VERB", "forward/ADV"], ["jump/VERB"],
            ["the/DET"] * 25, ["someone/PRON", "wave/VERB", "the/DET", "left/ADJ", "hand/NOUN", "zzz/NOUN"]]
    got_t = ev.text_embeddings(caps)
    for c, g in zip(caps, got_t):
        torch.testing.assert_close(g.double(), text_ref(st, ev.words, c), rtol=1e-4, atol=1e-5)


def test_word_vectorizer_rules(tmp_path, assets):
    d = assets.write_t2m_evaluator(tmp_path / "e", **SMALL)
    ev = t2m.T2MEvaluator(d)
    v = ev.words
    vec, oh = v["left/ADJ"]  # a VIP word takes its VIP class
    assert oh.argmax() == t2m.POS["Loc_VIP"] and oh.sum() == 1
    assert v["person/NOUN"][1].argmax() == t2m.POS["NOUN"]
    assert v["walk/NOUN"][1].argmax() == t2m.POS["Act_VIP"]
    vec_u, oh_u = v["zzz/VERB"]  # unknown: 'unk' vector, OTHER
    np.testing.assert_array_equal(vec_u, v["unk/OTHER"][0])
    assert oh_u.argmax() == t2m.POS["OTHER"]
    assert v["person/XYZ"][1].argmax() == t2m.POS["OTHER"]
    we, po, n = v.sentence(["a/DET", "person/NOUN"])
    assert we.shape == (22, 300) and po.shape == (22, 15) and n == 4
    assert v.sentence(["a/DET"] * 30)[2] == 22


def test_metrics_against_brute_force():
    rng = np.random.default_rng(1)
    text = rng.normal(size=(70, 8))
    motion = text + 0.8 * rng.normal(size=(70, 8))
    rp, md = t2m.r_precision(text, motion, batch=32, top_k=3)
    hits, dist = np.zeros(3), 0.0
    for s in (0, 32):  # the last 6 pairs form no full batch
        for i in range(32):
            d = np.linalg.norm(text[s + i] - motion[s:s + 32], axis=1)
            rank = int((d < d[i]).sum())
            hits += rank < np.arange(1, 4)
            dist += d[i]
    np.testing.assert_allclose(rp, hits / 64)
    np.testing.assert_allclose(md, dist / 64)
    assert 0 < rp[0] <= rp[1] <= rp[2] <= 1
    rp1, md1 = t2m.r_precision(text, text, batch=32)
    np.testing.assert_allclose(rp1, 1.0)
    assert md1 < 1e-6
    # FID: identical sets -> 0; a pure shift -> |shift|^2
    a = rng.normal(size=(500, 4))
    assert abs(t2m.frechet_distance(a, a)) < 1e-8
    np.testing.assert_allclose(t2m.frechet_distance(a, a + np.array([1.0, 2.0, 0, 0])), 5.0, rtol=1e-8)
    # diversity / multimodality: the same draws, explicitly
    e = rng.normal(size=(50, 3))
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    i, j = r2.choice(50, 10, replace=False), r2.choice(50, 10, replace=False)
    np.testing.assert_allclose(t2m.diversity(e, 10, r1), np.linalg.norm(e[i] - e[j], axis=1).mean())
    mm = rng.normal(size=(6, 12, 3))
    r1, r2 = np.random.default_rng(6), np.random.default_rng(6)
    i, j = r2.choice(12, 4, replace=False), r2.choice(12, 4, replace=False)
    np.testing.assert_allclose(t2m.multimodality(mm, 4, r1), np.linalg.norm(mm[:, i] - mm[:, j], axis=2).mean())
    with pytest.raises(ValueError, match="more than 10"):
        t2m.diversity(e[:10], 10, r1)
    m = t2m.mean_ci([1.0, 2.0, 3.0])
    assert m["mean"] == 2.0 and math.isclose(m["ci95"], 1.96 * np.std([1, 2, 3]) / math.sqrt(3))


def test_crop_lengths_are_mdm_units():
    rng = np.random.default_rng(0)
    ns = [t2m.crop_length(83, rng) for _ in range(3000)]
    assert set(ns) == {80, 76}
    assert abs(ns.count(76) / 3000 - 1 / 3) < 0.03


def test_files_and_pickles_checked(tmp_path, assets):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        t2m.T2MEvaluator(tmp_path / "none")
    d = assets.write_t2m_evaluator(tmp_path / "e", **SMALL)
    (d / "dataset" / "t2m_std.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"t2m_std\.npy\) not found; looked for dataset/t2m_std\.npy"):
        t2m.T2MEvaluator(d)
    d = assets.write_t2m_evaluator(tmp_path / "e2", **SMALL)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    with open(d / "glove" / "our_vab_words.pkl", "wb") as f:
        pickle.dump([Evil()], f)
    with pytest.raises(ValueError, match=r"our_vab_words\.pkl: not a plain pickle .*refusing to load builtins\.print"):
        t2m.T2MEvaluator(d)
    d = assets.write_t2m_evaluator(tmp_path / "e3", **SMALL)
    st = torch.load(d / "t2m" / "text_mot_match" / "model" / "finest.tar", weights_only=True)
    del st["motion_encoder"]["gru.bias_hh_l0"]
    torch.save(st, d / "t2m" / "text_mot_match" / "model" / "finest.tar")
    with pytest.raises(ValueError, match=r"(?s)finest\.tar: motion_encoder does not match .*gru\.bias_hh_l0"):
        t2m.T2MEvaluator(d)


def test_protocol_end_to_end_and_cli(tmp_path, assets, humanml3d_dir, tiny_clip_dir, monkeypatch, capsys):
    from imusim.cli import main
    from imusim.data.humanml3d import build_humanml3d

    ds = tmp_path / "ds"
    build_humanml3d(ds, humanml3d_dir, progress=False)
    ev = assets.write_t2m_evaluator(tmp_path / "mdm_root", **SMALL)
    mdm = assets.write_mdm_dir(tmp_path / "save" / "m", stats=False)
    import shutil
    shutil.copy(ds / "Mean.npy", mdm / "Mean.npy")
    shutil.copy(ds / "Std.npy", mdm / "Std.npy")
    monkeypatch.setenv("IMUSIM_CLIP_WEIGHTS", str(tiny_clip_dir))
    spec = f"mdm:{mdm}"
    kw = dict(replications=2, n_samples=2, batch=2, mm_samples=1, mm_repeats=3, mm_times=2, diversity_times=2,
              sampler="ddim", steps=2, progress=False, split="train")
    res = t2m.evaluate_t2m([spec, spec], ds, ev, **kw)
    p = res["protocol"]
    assert p["n_samples"] == 4 and p["mm_samples"] == 2 and p["clips"] == 9  # 9 train clips carry tokens
    name = "mdm:m"  # rows are named as in evaluate-motion's tables
    assert res["checkpoints"] == {name: spec, f"{name} (2)": spec}
    gt, m = res["rows"]["ground truth"], res["rows"][name]
    for row in (gt, m):
        assert len(row["r_precision"]["runs"]) == 2 and len(row["r_precision"]["mean"]) == 3
        assert all(0 <= x <= 1 for x in row["r_precision"]["mean"])
        assert row["mm_dist"]["mean"] > 0 and row["diversity"]["mean"] > 0
    assert m["multimodality"]["mean"] > 0 and m["l_acc"]["mean"] > 0 and np.isfinite(m["fid"]["mean"])
    assert res["rows"][f"{name} (2)"]["fid"] == m["fid"]  # the same noise for every checkpoint
    # deterministic for a seed; the same checkpoint twice gets the same noise (paired comparison)
    res2 = t2m.evaluate_t2m([spec], ds, ev, **kw)
    assert res2["rows"][name]["fid"] == m["fid"] and res2["rows"][name]["l_acc"] == m["l_acc"]
    assert "| ground truth |" in t2m.markdown_t2m(res)
    # through the CLI
    out = tmp_path / "t2m.json"
    assert main(["evaluate-motion", "--checkpoint", spec, "--data", str(ds), "--split", "train",
                 "--t2m-evaluator", str(ev), "--t2m-replications", "1", "--t2m-samples", "2", "--t2m-batch", "2",
                 "--sampler", "ddim", "--steps", "2", "--json", str(out), "--markdown", str(tmp_path / "t.md")]) == 0
    r = json.loads(out.read_text())
    assert r["t2m"]["protocol"]["replications"] == 1 and name in r["t2m"]["rows"]
    assert "R-prec top-1" in (tmp_path / "t.md").read_text()
    assert main(["evaluate-motion", "--checkpoint", spec, "--data", str(ds), "--t2m-evaluator", str(ev),
                 "--anchor-feet", "1"]) == 2
    assert "--anchor-feet 1 is not used with --t2m-evaluator" in capsys.readouterr().err
    # a data set without HumanML3D tokens is refused with the reason
    with pytest.raises(ValueError, match="clips with HumanML3D tokens"):
        t2m.evaluate_t2m([spec], ds, ev, **{**kw, "batch": 32})
