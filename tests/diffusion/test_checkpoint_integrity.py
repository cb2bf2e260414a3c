"""Checkpoint integrity (issue 16): checksums written by save_checkpoint and verified on load, truncated /
foreign / altered files named, configs bounded before any allocation, old checkpoints still load."""

import json

import pytest
import torch

from imusim.diffusion.checkpoint import content_sha256, load_checkpoint, save_checkpoint
from imusim.diffusion.model import MDM, MDMConfig
from imusim.errors import CorruptFileError

SMALL = MDMConfig(n_feats=8, latent=16, layers=1, heads=2, ff=32, text_dim=8, max_len=50)


def _save(tmp_path, name="m.safetensors", cfg=SMALL):
    torch.manual_seed(0)
    model = MDM(cfg)
    p = save_checkpoint(tmp_path / name, model, torch.zeros(cfg.n_feats), torch.ones(cfg.n_feats), "minilm",
                        {"step": 3})
    return p, model


def _rewrite(p, out, tensors=None, md=None):
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(p), framework="pt") as f:
        t = {k: f.get_tensor(k) for k in f.keys()}
        m = dict(f.metadata())
    if tensors:
        tensors(t)
    if md:
        md(m)
    save_file(t, str(out), metadata=m)
    return out


def test_roundtrip_records_and_checks_the_sha256(tmp_path):
    p, model = _save(tmp_path)
    m2, mean, std, enc, meta = load_checkpoint(p)
    assert enc == "minilm" and meta == {"step": 3} and torch.equal(std, torch.ones(8))
    for (k, a), b in zip(model.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(a, b), k
    from safetensors import safe_open
    with safe_open(str(p), framework="pt") as f:
        md = f.metadata()
        assert md["sha256"] == content_sha256({k: f.get_tensor(k) for k in f.keys()}, md)


def test_flipped_byte_in_the_weights_is_detected(tmp_path):
    p, _ = _save(tmp_path)
    b = bytearray(p.read_bytes())
    b[-7] ^= 0x10  # inside the last tensor's data: still a valid safetensors file
    bad = tmp_path / "flipped.safetensors"
    bad.write_bytes(bytes(b))
    with pytest.raises(CorruptFileError, match=r"flipped\.safetensors: content SHA-256 .* differs"):
        load_checkpoint(bad)
    load_checkpoint(bad, verify=False)  # opt-out: loads


def test_altered_metadata_is_detected(tmp_path):
    p, _ = _save(tmp_path)
    out = _rewrite(p, tmp_path / "meta.safetensors", md=lambda m: m.update(meta=json.dumps({"step": 4})))
    with pytest.raises(CorruptFileError, match=r"meta\.safetensors: content SHA-256"):
        load_checkpoint(out)


@pytest.mark.parametrize("how", ["truncate_data", "truncate_header", "garbage", "empty"])
def test_truncated_or_foreign_file_is_named(tmp_path, how):
    p, _ = _save(tmp_path)
    raw = p.read_bytes()
    bad = tmp_path / f"{how}.safetensors"
    bad.write_bytes({"truncate_data": raw[: len(raw) - 100], "truncate_header": raw[:20],
                     "garbage": b"\x00" * 64 + b"hello", "empty": b""}[how])
    with pytest.raises(CorruptFileError, match=rf"{how}\.safetensors: not a readable safetensors checkpoint"):
        load_checkpoint(bad)


@pytest.mark.parametrize("field,value,pattern", [
    ("latent", 10 ** 9, r"latent must be an integer in \[1, 8192\], got 1000000000"),
    ("max_len", 10 ** 12, r"max_len must be an integer in \[1, 100000\]"),
    ("layers", -1, r"layers must be an integer in \[1, 128\]"),
    ("heads", 3, r"latent \(16\) must be divisible by heads \(3\)"),
    ("dropout", 2.0, r"dropout must be in \[0, 1\]"),
    ("bogus", 1, r"unknown field\(s\) \['bogus'\]"),
    ("arch", "gpt", r"arch must be one of"),
])
def test_absurd_config_is_refused_before_allocation(tmp_path, field, value, pattern):
    """No sha256 in the file (as an old or hand-made checkpoint): the bounds alone must stop it."""
    p, _ = _save(tmp_path)

    def md(m):
        c = json.loads(m["config"])
        c[field] = value
        m["config"] = json.dumps(c)
        del m["sha256"]
    out = _rewrite(p, tmp_path / "absurd.safetensors", md=md)
    with pytest.raises(CorruptFileError, match=rf"absurd\.safetensors: .*{pattern}"):
        load_checkpoint(out)


def test_config_that_does_not_match_the_tensors(tmp_path):
    p, _ = _save(tmp_path)

    def md(m):
        c = json.loads(m["config"])
        c["ff"] = 64  # plausible, but the file's feed-forward weights are 32 wide
        m["config"] = json.dumps(c)
        del m["sha256"]
    out = _rewrite(p, tmp_path / "mismatch.safetensors", md=md)
    with pytest.raises(CorruptFileError, match=r"tensors do not match the config: shape of .*linear1.* is \[32\], "
                                               r"the config needs \[64\]"):
        load_checkpoint(out)
    out = _rewrite(p, tmp_path / "nonorm.safetensors", tensors=lambda t: t.pop("norm.std"),
                   md=lambda m: m.pop("sha256"))
    with pytest.raises(CorruptFileError, match="no norm.mean/norm.std"):
        load_checkpoint(out)


def test_checkpoint_without_checksum_still_loads(tmp_path):
    """Backward compatible: files written before checksums (like the shipped ones) load unverified."""
    p, model = _save(tmp_path)
    out = _rewrite(p, tmp_path / "old.safetensors", md=lambda m: m.pop("sha256"))
    m2 = load_checkpoint(out)[0]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), m2.state_dict().values()))
    from imusim.diffusion.zoo import CHECKPOINT_DIR
    from imusim.diffusion.zoo import NAMES
    for name in NAMES:
        ck = CHECKPOINT_DIR / f"{name}.safetensors"
        if ck.exists():
            assert load_checkpoint(ck)[3]  # shipped checkpoints load (refined: with its checksum verified)


def test_cli_names_a_truncated_checkpoint(tmp_path, capsys):
    from imusim.cli import main

    p, _ = _save(tmp_path)
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(p.read_bytes()[:500])
    assert main(["sample", "a person walks", "--checkpoint", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cut.safetensors: not a readable safetensors checkpoint" in err
