"""The CLIP text encoder (MDM's) from local weights in transformers' format: loads offline, encodes as
OpenAI's encode_text with MDM's 20-token truncation, and names what is missing."""

from __future__ import annotations

import shutil
import socket

import pytest
import torch

from imusim.diffusion.text import ClipEncoder, get_text_encoder


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails (nothing may be downloaded)."""
    def refuse(*a, **k):
        raise OSError("network access attempted in a test that must run offline")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _reference(model, ids):
    """encode_text from the tower's hidden states: final-LN state at the first end token, projected."""
    out = model.text_model(input_ids=ids)
    h = out.last_hidden_state  # [N, L, W], final layer norm applied
    eos = model.config.eos_token_id
    idx = (ids == eos).int().argmax(-1)
    return h[torch.arange(ids.shape[0]), idx] @ model.text_projection.weight.T


def test_tiny_tower_loads_offline_and_encodes(tiny_clip_dir, no_network):
    enc = get_text_encoder("clip", path=tiny_clip_dir)
    assert isinstance(enc, ClipEncoder) and enc.dim == 512
    texts = ["a person walks.", "someone runs and jumps", "a person walks."]
    e = enc.encode(texts)
    assert e.shape == (3, 512) and e.dtype == torch.float32 and torch.isfinite(e).all()
    torch.testing.assert_close(e[0], e[2])
    assert not torch.allclose(e[0], e[1])
    ids = enc.tokenize(texts)["input_ids"]
    with torch.no_grad():
        ref = _reference(enc.model, ids)
    torch.testing.assert_close(e, ref, rtol=1e-5, atol=1e-5)


def test_padding_and_batch_do_not_change_an_embedding(tiny_clip_dir):
    enc = ClipEncoder(path=tiny_clip_dir)
    alone = enc.encode(["a person walks."])
    enc2 = ClipEncoder(path=tiny_clip_dir)  # fresh cache
    batch = enc2.encode(["a person walks.", "a person runs in a circle, then jumps over an obstacle"])
    torch.testing.assert_close(alone[0], batch[0], rtol=1e-5, atol=1e-5)


def test_truncates_to_twenty_tokens_like_mdm(tiny_clip_dir):
    enc = ClipEncoder(path=tiny_clip_dir)
    long = "a person walks forward then turns left and runs back to the start and jumps twice"
    t = enc.tokenize([long])["input_ids"][0]
    full = enc.tokenizer([long])["input_ids"][0]
    assert len(full) > 22 and len(t) == 22
    # clip.tokenize(context_length=22, truncate=True): start token, the first 20 tokens, end token last
    assert t.tolist() == full[:21] + [enc.tokenizer.eos_token_id]
    with torch.no_grad():
        ref = _reference(enc.model, t[None])
    torch.testing.assert_close(enc.encode([long]), ref, rtol=1e-5, atol=1e-5)


def test_full_clip_model_directory_and_environment_variable(tmp_path, assets, monkeypatch, no_network):
    from transformers import CLIPModel

    d = assets.write_tiny_clip(tmp_path / "clip-full", full=True)
    monkeypatch.setenv("IMUSIM_CLIP_WEIGHTS", str(d))
    enc = get_text_encoder("clip")  # from the environment variable
    texts = ["a person walks.", "jump"]
    full = CLIPModel.from_pretrained(str(d), local_files_only=True).eval()
    with torch.no_grad():
        ref = full.get_text_features(**enc.tokenize(texts))
    ref = ref if isinstance(ref, torch.Tensor) else ref.pooler_output
    torch.testing.assert_close(enc.encode(texts), ref, rtol=1e-5, atol=1e-5)


def test_missing_weights_named(tmp_path, tiny_clip_dir, monkeypatch):
    monkeypatch.delenv("IMUSIM_CLIP_WEIGHTS", raising=False)
    with pytest.raises(FileNotFoundError, match="IMUSIM_CLIP_WEIGHTS"):
        get_text_encoder("clip")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ClipEncoder(path=tmp_path / "nope")
    d = tmp_path / "no-weights"
    shutil.copytree(tiny_clip_dir, d)
    (d / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"no-weights has no weights \(model.safetensors"):
        ClipEncoder(path=d)
    d2 = tmp_path / "no-tokenizer"
    shutil.copytree(tiny_clip_dir, d2)
    for f in d2.glob("tokenizer*"):
        f.unlink()
    with pytest.raises(FileNotFoundError, match="has no tokenizer files"):
        ClipEncoder(path=d2)
    d3 = tmp_path / "no-config"
    shutil.copytree(tiny_clip_dir, d3)
    (d3 / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        ClipEncoder(path=d3)
