"""Importing MDM checkpoints: strict key map, args.json, and the network against MDM's equations."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch

from imusim.diffusion.checkpoint import load_checkpoint
from imusim.diffusion.mdm_import import config_from_args, convert_state_dict, import_mdm
from imusim.diffusion.model import MDM, MDMTransEnc
from imusim.diffusion.zoo import resolve_checkpoint



# ----------------------------------------------------------------------------- reference (MDM's equations)
def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def _gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0)))


def mdm_reference(sd, x, t, clip, force_uncond=False, heads=4):
    """MDM.forward (trans_enc, eval mode) from its documented equations, float64, MDM's layouts:
    ``x`` [bs, njoints, 1, nframes], ``clip`` [bs, 512] → [bs, njoints, 1, nframes]."""
    sd = {k: v.double() for k, v in sd.items()}
    bs, nj, nf, T = x.shape
    pe = sd["sequence_pos_encoder.pe"][:, 0]  # [L, d]
    d = pe.shape[1]
    # timestep token: MLP(PE[t]); text: embed_text(mask_cond(clip)) added to it
    h = pe[t] @ sd["embed_timestep.time_embed.0.weight"].T + sd["embed_timestep.time_embed.0.bias"]
    h = h * torch.sigmoid(h)
    emb = h @ sd["embed_timestep.time_embed.2.weight"].T + sd["embed_timestep.time_embed.2.bias"]
    c = torch.zeros_like(clip) if force_uncond else clip
    emb = emb + c.double() @ sd["embed_text.weight"].T + sd["embed_text.bias"]
    # frames: [nframes, bs, njoints*nfeats] -> poseEmbedding; sequence [1 + nframes, bs, d] + PE
    xf = x.double().permute(3, 0, 1, 2).reshape(T, bs, nj * nf)
    xf = xf @ sd["input_process.poseEmbedding.weight"].T + sd["input_process.poseEmbedding.bias"]
    seq = torch.cat([emb[None], xf], 0) + pe[: T + 1, None, :]
    n_layers = len({k.split(".")[2] for k in sd if k.startswith("seqTransEncoder.layers.")})
    dh = d // heads
    for i in range(n_layers):
        p = lambda n: sd[f"seqTransEncoder.layers.{i}.{n}"]  # noqa: E731
        qkv = seq @ p("self_attn.in_proj_weight").T + p("self_attn.in_proj_bias")  # [L, bs, 3d]
        q, k, v = qkv.split(d, -1)
        split = lambda z: z.reshape(z.shape[0], bs, heads, dh).permute(1, 2, 0, 3)  # noqa: E731  [bs, H, L, dh]
        a = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(dh), -1) @ split(v)
        a = a.permute(2, 0, 1, 3).reshape(-1, bs, d) @ p("self_attn.out_proj.weight").T + p("self_attn.out_proj.bias")
        seq = _layer_norm(seq + a, p("norm1.weight"), p("norm1.bias"))  # post-norm (norm_first=False)
        f = _gelu(seq @ p("linear1.weight").T + p("linear1.bias")) @ p("linear2.weight").T + p("linear2.bias")
        seq = _layer_norm(seq + f, p("norm2.weight"), p("norm2.bias"))
    out = seq[1:] @ sd["output_process.poseFinal.weight"].T + sd["output_process.poseFinal.bias"]  # [T, bs, nj]
    return out.reshape(T, bs, nj, nf).permute(1, 2, 3, 0)


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("T", [7, 40])
def test_imported_network_equals_mdm_equations(assets, tmp_path, T):
    d = assets.write_mdm_dir(tmp_path / "mdm")
    sd = assets.mdm_state_dict()
    path = import_mdm(d)
    model, mean, std, enc, meta = load_checkpoint(path)
    assert isinstance(model, MDMTransEnc) and enc == "clip" and model.cfg.arch == "mdm"
    model = model.double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 263, 1, T, generator=g)
    t = torch.tensor([0, 517, 999])
    clip = torch.randn(3, 512, generator=g)
    for unc in (False, True):
        ref = mdm_reference(sd, x, t, clip, force_uncond=unc)
        got = model(x[:, :, 0].transpose(1, 2).double(), t, clip.double(),
                    uncond=torch.full((3,), unc))  # ours is time-major [B, T, F]
        # float64 everywhere but the positional-encoding table, which MDM (and we) build in float32 (~1e-7)
        torch.testing.assert_close(got.transpose(1, 2)[:, :, None], ref, rtol=1e-6, atol=1e-6)
    # classifier-free guidance as MDM's ClassifierFreeSampleModel: uncond + s (cond - uncond)
    ref_g = mdm_reference(sd, x, t, clip, True) + 2.5 * (mdm_reference(sd, x, t, clip) - mdm_reference(sd, x, t, clip, True))
    got_g = model.guided(x[:, :, 0].transpose(1, 2).double(), t, clip.double(), guidance=2.5)
    torch.testing.assert_close(got_g.transpose(1, 2)[:, :, None], ref_g, rtol=1e-6, atol=1e-6)
    # MDM (mask_frames false) attends to every frame: a mask changes nothing
    mask = torch.ones(3, T, dtype=torch.bool)
    mask[0, T // 2:] = False
    xx = x[:, :, 0].transpose(1, 2).double()
    torch.testing.assert_close(model(xx, t, clip.double(), mask), model(xx, t, clip.double()))


def test_every_key_consumed_and_provenance(assets, tmp_path):
    d = assets.write_mdm_dir(tmp_path / "mdm")
    sd = assets.mdm_state_dict()
    path = import_mdm(d)
    _, mean, std, _, meta = load_checkpoint(path)
    src = meta["source"]
    n_clip = sum(k.startswith("clip_model.") for k in sd)
    assert src["dropped_clip_keys"] == n_clip == 2
    assert sorted(src["checked_pe_keys"]) == ["embed_timestep.sequence_pos_encoder.pe", "sequence_pos_encoder.pe"]
    assert src["n_tensors"] + n_clip + 2 == len(sd)
    assert src["weights"] == "state_dict" and src["args"]["latent_dim"] == 16 and meta["step"] == 475000
    from imusim.diffusion.mdm_import import sha256_file
    assert src["sha256"] == sha256_file(d / "model000475000.pt")
    import numpy as np
    np.testing.assert_array_equal(mean.numpy(), np.load(d / "Mean.npy"))
    np.testing.assert_array_equal(std.numpy(), np.load(d / "Std.npy"))
    # the weights themselves
    model = load_checkpoint(path)[0]
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, sd[k], rtol=0, atol=0)


def test_converted_once_and_resolved_by_spec(assets, tmp_path):
    d = assets.write_mdm_dir(tmp_path / "mdm")
    p1 = resolve_checkpoint(f"mdm:{d}")
    assert p1 == d / "imusim_model000475000.safetensors"
    t1 = p1.stat().st_mtime_ns
    p2 = resolve_checkpoint(f"mdm:{d}")
    assert p2 == p1 and p2.stat().st_mtime_ns == t1  # reused, not rewritten
    # a changed source file is converted again
    sd = assets.mdm_state_dict(seed=5)
    torch.save(sd, d / "model000475000.pt")
    os.utime(d / "model000475000.pt", ns=(t1 + 10**9, t1 + 10**9))
    p3 = resolve_checkpoint(f"mdm:{d}")
    torch.testing.assert_close(load_checkpoint(p3)[0].state_dict()["embed_text.weight"], sd["embed_text.weight"])
    # the newest model<step>.pt is taken; a file can be named
    torch.save(assets.mdm_state_dict(seed=9), d / "model000500000.pt")
    assert resolve_checkpoint(f"mdm:{d}").name == "imusim_model000500000.safetensors"
    assert resolve_checkpoint(f"mdm:{d / 'model000475000.pt'}").name == "imusim_model000475000.safetensors"


def test_ema_weights_when_args_say_use_ema(assets, tmp_path):
    a, b = assets.mdm_state_dict(seed=1), assets.mdm_state_dict(seed=2)
    d = assets.write_mdm_dir(tmp_path / "mdm", sd=a, args=assets.mdm_args(use_ema=True), wrap=lambda s: {"model": s, "model_avg": b})
    model, *_, meta = load_checkpoint(import_mdm(d))
    assert meta["source"]["weights"] == "model_avg"
    torch.testing.assert_close(model.state_dict()["embed_text.bias"], b["embed_text.bias"])
    d2 = assets.write_mdm_dir(tmp_path / "mdm2", sd=a, args=assets.mdm_args(), wrap=lambda s: {"model": s, "model_avg": b})
    m2 = load_checkpoint(import_mdm(d2))[0]
    torch.testing.assert_close(m2.state_dict()["embed_text.bias"], a["embed_text.bias"])


def test_config_from_args_reads_mdm_fields(assets):
    c = config_from_args(assets.mdm_args(latent=512, layers=8, mask_frames=True, pos_embed_max_len=300, cond_mask_prob=0.2))
    assert (c.arch, c.n_feats, c.latent, c.layers, c.heads, c.ff, c.text_dim, c.max_len, c.mask_frames,
            c.cond_drop_prob) == ("mdm", 263, 512, 8, 4, 1024, 512, 300, True, 0.2)
    with pytest.raises(ValueError, match="dataset = 'kit' is not supported"):
        config_from_args(assets.mdm_args(dataset="kit"))


def test_mask_frames_masks_padding(assets, tmp_path):
    d = assets.write_mdm_dir(tmp_path / "mdm", args=assets.mdm_args(mask_frames=True))
    model = load_checkpoint(import_mdm(d))[0]
    x, t, c = torch.randn(2, 12, 263), torch.tensor([3, 400]), torch.randn(2, 512)
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 8:] = False
    x2 = x.clone()
    x2[1, 8:] = 50.0
    torch.testing.assert_close(model(x, t, c, mask)[1, :8], model(x2, t, c, mask)[1, :8], rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("change,match", [
    (dict(arch="trans_dec"), "arch = 'trans_dec' is not supported"),
    (dict(arch="gru"), "arch = 'gru'"),
    (dict(dataset="humanact12"), "dataset = 'humanact12'"),
    (dict(unconstrained=True), "unconstrained"),
    (dict(text_encoder_type="bert"), "text_encoder_type = 'bert'"),
    (dict(noise_schedule="linear"), "noise_schedule = 'linear'"),
    (dict(context_len=20, pred_len=40), "context_len"),
])
def test_unsupported_architectures_named(assets, tmp_path, change, match):
    d = assets.write_mdm_dir(tmp_path / "mdm", args=assets.mdm_args(**change))
    with pytest.raises(ValueError, match=match) as e:
        import_mdm(d)
    assert "args.json" in str(e.value)


def test_missing_files_named(assets, tmp_path):
    d = assets.write_mdm_dir(tmp_path / "mdm")
    (d / "args.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"args\.json: missing"):
        import_mdm(d)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "args.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"no MDM weights \(expected model<step>\.pt"):
        import_mdm(empty)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        resolve_checkpoint(f"mdm:{tmp_path / 'nowhere'}")
    d2 = assets.write_mdm_dir(tmp_path / "nostats", stats=False)
    with pytest.raises(FileNotFoundError, match="Mean.npy and Std.npy") as e:
        import_mdm(d2)
    assert str(d2) in str(e.value) and "IMUSIM_HUMANML3D" in str(e.value)
    bad = assets.write_mdm_dir(tmp_path / "badjson")
    (bad / "args.json").write_text('{"arch": "trans_enc",\n oops}')
    with pytest.raises(ValueError, match=r"args\.json: not valid JSON \(line 2"):
        import_mdm(bad)
    nolat = assets.write_mdm_dir(tmp_path / "nolatent")
    a = assets.mdm_args()
    del a["latent_dim"]
    (nolat / "args.json").write_text(json.dumps(a))
    with pytest.raises(ValueError, match="missing field 'latent_dim'"):
        import_mdm(nolat)


def test_stats_found_in_env_and_mdm_layout(assets, tmp_path, monkeypatch):
    import numpy as np
    root = tmp_path / "motion-diffusion-model"
    d = assets.write_mdm_dir(root / "save" / "humanml_trans_enc_512", stats=False)
    hml = root / "dataset" / "HumanML3D"
    hml.mkdir(parents=True)
    np.save(hml / "Mean.npy", np.zeros(263, np.float32))
    np.save(hml / "Std.npy", np.ones(263, np.float32))
    meta = load_checkpoint(import_mdm(d))[4]
    assert meta["source"]["mean_file"] == str((hml / "Mean.npy").resolve())
    other = tmp_path / "other"
    other.mkdir()
    np.save(other / "Mean.npy", np.full(263, 2, np.float32))
    np.save(other / "Std.npy", np.full(263, 3, np.float32))
    monkeypatch.setenv("IMUSIM_HUMANML3D", str(other))
    _, mean, std, _, _ = load_checkpoint(import_mdm(d))
    assert float(mean[0]) == 2 and float(std[0]) == 3
    np.save(other / "Std.npy", np.zeros(263, np.float32))
    os.utime(other / "Std.npy", ns=(1, 10**18))
    with pytest.raises(ValueError, match=r"Std\.npy: standard deviations must be > 0"):
        import_mdm(d)
    np.save(other / "Std.npy", np.ones(100, np.float32))
    with pytest.raises(ValueError, match=r"Std\.npy: expected shape \[263\], got \[100\]"):
        import_mdm(d, force=True)


def test_weights_of_another_network_rejected_with_keys(assets, tmp_path):
    cfg = config_from_args(assets.mdm_args())
    sd = assets.mdm_state_dict()
    del sd["seqTransEncoder.layers.1.linear2.bias"]
    sd["seqTransEncoder.layers.2.linear2.bias"] = torch.zeros(16)
    with pytest.raises(ValueError, match=r"1 missing key\(s\): \['seqTransEncoder.layers.1.linear2.bias'\] "
                                         r"1 unexpected key\(s\): \['seqTransEncoder.layers.2.linear2.bias'\]"):
        convert_state_dict(sd, cfg, "x.pt")
    sd = assets.mdm_state_dict()
    sd["embed_text.weight"] = torch.zeros(16, 384)
    with pytest.raises(ValueError, match=r"embed_text.weight has shape \[16, 384\], expected \[16, 512\]"):
        convert_state_dict(sd, cfg, "x.pt")
    sd = assets.mdm_state_dict()
    sd["sequence_pos_encoder.pe"] = sd["sequence_pos_encoder.pe"] * 1.5
    with pytest.raises(ValueError, match="differs from the sinusoidal positional encoding"):
        convert_state_dict(sd, cfg, "x.pt")
    # an imusim checkpoint's weights (our own architecture) under MDM's file name
    from imusim.diffusion.model import MDMConfig
    ours = MDM(MDMConfig(latent=16, layers=2, ff=32, heads=4, n_feats=263, text_dim=512)).state_dict()
    d = assets.write_mdm_dir(tmp_path / "ours", sd=ours)
    with pytest.raises(ValueError, match=r"do not match MDM's trans_enc network .* missing key\(s\)"):
        import_mdm(d)
    # a pickled object that is not a state dict never runs (weights_only) and is reported
    d2 = assets.write_mdm_dir(tmp_path / "list", sd=[1, 2, 3])
    with pytest.raises(ValueError, match="expected a state dict"):
        import_mdm(d2)


def test_text_dim_mismatch_is_a_clear_error(assets, tmp_path):
    model = load_checkpoint(import_mdm(assets.write_mdm_dir(tmp_path / "mdm")))[0]
    with pytest.raises(ValueError, match=r"text_emb must be \[B, 512\].*got \[2, 384\]"):
        model(torch.randn(2, 5, 263), torch.tensor([1, 2]), torch.randn(2, 384))


def test_mdm_models_sample_on_the_whole_canvas(assets, tmp_path):
    """As MDM's sampler: 196 frames, no masking; a length only cuts the canvas (same seed → same frames)."""
    from imusim.diffusion.text import HashEncoder
    from imusim.diffusion.train import MDM_CANVAS, sample

    model, mean, std, _, _ = load_checkpoint(import_mdm(assets.write_mdm_dir(tmp_path / "mdm")))
    enc = HashEncoder(dim=512)
    f1, m1 = sample(model, mean, std, enc, ["a person walks", "a person jumps"], [30, 60], steps=3, seeds=[7, 8])
    f2, _ = sample(model, mean, std, enc, ["a person walks"], [120], steps=3, seeds=[7])
    assert f1.shape == (2, MDM_CANVAS, 263) and m1.shape == (2, MDM_CANVAS) and int(m1[0].sum()) == 30
    torch.testing.assert_close(f1[0], f2[0], rtol=1e-5, atol=1e-5)
    # the imusim architecture keeps masking the padding (unchanged)
    from imusim.diffusion.model import MDMConfig
    small = MDM(MDMConfig(latent=16, layers=1, ff=32, heads=4, n_feats=263, text_dim=512)).eval()
    f3, _ = sample(small, mean, std, enc, ["a", "b"], [30, 60], steps=2, seeds=[1, 2])
    assert f3.shape == (2, 60, 263)
    torch.testing.assert_close(f3[0, 30:], mean.expand(30, -1))


def test_concurrent_resolution_converts_once(assets, tmp_path):
    """Two processes (torchrun ranks) resolving the same mdm:DIR at once both get a valid checkpoint."""
    import subprocess
    import sys
    d = assets.write_mdm_dir(tmp_path / "mdm")
    code = ("import sys; from imusim.diffusion.zoo import resolve_checkpoint; "
            "from imusim.diffusion.checkpoint import load_checkpoint; "
            "p = resolve_checkpoint('mdm:' + sys.argv[1]); load_checkpoint(p); print(p)")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    assert {o[0].strip() for o in outs} == {str(d / "imusim_model000475000.safetensors")}
    torch.testing.assert_close(load_checkpoint(d / "imusim_model000475000.safetensors")[0].state_dict()["embed_text.bias"],
                               assets.mdm_state_dict()["embed_text.bias"])
