"""MDM-style text-to-motion denoiser (Tevet et al., "Human Motion Diffusion Model", 2023).

Shapes: motion ``x`` is ``[B, T, F]`` (time-major, F = 263 HumanML3D features); ``t`` ``[B]``
diffusion steps; text embeddings ``[B, D_text]``; ``mask`` bool ``[B, T]`` (True = valid frame).
The network predicts x0 (the clean motion), as MDM does.

Architecture (MDM's trans_enc): Linear(F → latent) per frame, a timestep token (sinusoidal embedding
→ MLP) and a text token (Linear(D_text → latent)) prepended to the frame sequence, sinusoidal
positional encoding, a transformer encoder (defaults: 8 layers, latent 512, 4 heads, ff 1024,
dropout 0.1, GELU), Linear(latent → F) on the frame tokens. Classifier-free guidance: the text token
is replaced by zeros with probability ``cond_drop_prob`` in training (``force_uncond`` at sampling).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
from torch import nn


@dataclass
class MDMConfig:
    n_feats: int = 263
    latent: int = 512
    layers: int = 8
    heads: int = 4
    ff: int = 1024
    dropout: float = 0.1
    activation: str = "gelu"
    text_dim: int = 384
    cond_drop_prob: float = 0.1
    max_len: int = 1000

    def to_dict(self):
        return asdict(self)


class PositionalEncoding(nn.Module):
    def __init__(self, d: int, dropout: float, max_len: int):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(max_len, d)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):  # x [B, L, d]
        return self.dropout(x + self.pe[: x.shape[1]].unsqueeze(0))


class TimestepEmbedder(nn.Module):
    def __init__(self, d: int, pe: PositionalEncoding):
        super().__init__()
        self.pe = pe
        self.mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))

    def forward(self, t):  # [B] -> [B, d]
        return self.mlp(self.pe.pe[t])


class MDM(nn.Module):
    def __init__(self, cfg: MDMConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.latent
        self.input_proj = nn.Linear(cfg.n_feats, d)
        self.pos = PositionalEncoding(d, cfg.dropout, cfg.max_len + 2)
        self.t_embed = TimestepEmbedder(d, self.pos)
        self.text_proj = nn.Linear(cfg.text_dim, d)
        layer = nn.TransformerEncoderLayer(d, cfg.heads, cfg.ff, cfg.dropout, activation=cfg.activation,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.output_proj = nn.Linear(d, cfg.n_feats)

    def forward(self, x: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
                mask: Optional[torch.Tensor] = None, uncond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Predict x0 ``[B, T, F]`` from noisy ``x`` ``[B, T, F]`` at steps ``t`` ``[B]``.

        ``uncond``: optional bool ``[B]``, True drops the text condition for that sample (CFG).
        In training mode the condition is also dropped at random with ``cond_drop_prob``.
        """
        B, T, _ = x.shape
        cond = self.text_proj(text_emb)
        drop = torch.zeros(B, dtype=torch.bool, device=x.device) if uncond is None else uncond
        if self.training and self.cfg.cond_drop_prob > 0:
            drop = drop | (torch.rand(B, device=x.device) < self.cfg.cond_drop_prob)
        cond = cond * (~drop).to(cond.dtype)[:, None]
        tokens = torch.cat([self.t_embed(t)[:, None], cond[:, None], self.input_proj(x)], dim=1)
        tokens = self.pos(tokens)
        pad = None
        if mask is not None:
            pad = torch.cat([torch.zeros(B, 2, dtype=torch.bool, device=x.device), ~mask], dim=1)
        h = self.encoder(tokens, src_key_padding_mask=pad)
        return self.output_proj(h[:, 2:])

    def guided(self, x, t, text_emb, mask=None, guidance: float = 2.5):
        """Classifier-free guidance ``uncond + s·(cond − uncond)`` in one batched pass of 2B."""
        if guidance == 1.0:
            return self(x, t, text_emb, mask)
        B = x.shape[0]
        flags = torch.cat([torch.zeros(B, dtype=torch.bool), torch.ones(B, dtype=torch.bool)]).to(x.device)
        out = self(torch.cat([x, x]), torch.cat([t, t]), torch.cat([text_emb, text_emb]),
                   None if mask is None else torch.cat([mask, mask]), uncond=flags)
        cond, unc = out[:B], out[B:]
        return unc + guidance * (cond - unc)
