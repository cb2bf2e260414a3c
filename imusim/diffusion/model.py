"""MDM-style text-to-motion denoiser (Tevet et al., "Human Motion Diffusion Model", 2023).

Shapes: motion ``x`` is ``[B, T, F]`` (time-major, F = 263 HumanML3D features); ``t`` ``[B]``
diffusion steps; text embeddings ``[B, D_text]``; ``mask`` bool ``[B, T]`` (True = valid frame).
The network predicts x0 (the clean motion), as MDM does.

Architecture (MDM's trans_enc): Linear(F → latent) per frame, a timestep token (sinusoidal embedding
→ MLP) and a text token (Linear(D_text → latent)) prepended to the frame sequence, sinusoidal
positional encoding, a transformer encoder (defaults: 8 layers, latent 512, 4 heads, ff 1024,
dropout 0.1, GELU), Linear(latent → F) on the frame tokens. Classifier-free guidance: the text token
is replaced by zeros with probability ``cond_drop_prob`` in training (``force_uncond`` at sampling).

Two architectures, chosen by ``MDMConfig.arch`` (stored in every checkpoint's config):

* ``"imusim"`` (default; the shipped checkpoints): the layout above, with the timestep and the text as
  two separate tokens, the condition dropped *after* its projection, and a key-padding mask on the
  padded frames.
* ``"mdm"``: Tevet et al.'s ``trans_enc`` network exactly (:class:`MDMTransEnc`), so that MDM's own
  checkpoints (``imusim.diffusion.mdm_import``) run unchanged: one conditioning token = timestep
  embedding + ``embed_text(clip)``, where the CLIP embedding is zeroed *before* ``embed_text`` when the
  condition is dropped (so the unconditional token carries ``embed_text``'s bias); sinusoidal positional
  encoding of length ``max_len`` (MDM: 5000) on [token, frames]; post-norm ``nn.TransformerEncoderLayer``
  (GELU, dropout 0.1); no key-padding mask unless ``mask_frames`` (MDM's ``--mask_frames``). Parameter
  names are MDM's (``input_process.poseEmbedding``, ``embed_timestep.time_embed``, ``embed_text``,
  ``seqTransEncoder.layers.N``, ``output_process.poseFinal``). ``MDM(cfg)`` builds whichever
  ``cfg.arch`` names, so the trainer, sampler and checkpoint loader need no special case.
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
    arch: str = "imusim"      # "imusim" or "mdm" (MDM's trans_enc exactly, see the module docstring)
    mask_frames: bool = False  # arch "mdm" only: key-padding mask on padded frames (MDM's --mask_frames)
    output: str = "x0"  # arch "imusim": what the last layer predicts, "x0" (MDM) or "v" (see OUTPUTS)
    schedule_steps: int = 1000  # output "v" / input "wiener": length of the cosine schedule (trained and sampled on)
    input: str = "x_t"  # arch "imusim": what the network reads, "x_t" (MDM) or "wiener" (√ᾱ_t·x_t, see INPUTS)
    text_whiten: bool = False  # arch "imusim": the text embedding is whitened, (e − text_mu) @ text_W, before
    # text_proj (buffers set from the training captions by train.whiten_text; docs/realism.md §21)

    def to_dict(self):
        return asdict(self)


ARCHS = ("imusim", "mdm")
# What the last linear layer predicts (arch "imusim"); forward() always returns the x0 estimate, so the losses,
# CFG and the samplers are the same for both:
# * "x0": x̂0 = net(x_t) (MDM). At low noise the clean motion has to pass through the whole network, whose
#   per-frame output error (a few mm of joint position) becomes 10-20 m/s² of acceleration noise at 20 fps
#   (docs/realism.md: the denoiser's error floor).
# * "v": x̂0 = √ᾱ_t·x_t − √(1−ᾱ_t)·net(x_t) (Salimans & Ho's v-prediction; for unit-variance data it is the EDM
#   preconditioning of Karras et al. with c_skip = ᾱ_t, c_out = √(1−ᾱ_t)). At low noise x̂0 ≈ x_t and the
#   network's error is scaled by √(1−ᾱ_t) (0.006 at t = 0 of the cosine schedule); at high noise x̂0 ≈ −net.
# * "wskip": x̂0 = W_t(x_t) + √(1−ᾱ_t)·net, where W_t(x_t) is the spectral Wiener estimate of x0 (INPUTS,
#   "wiener_f", which the network also reads; required). The EDM preconditioning with the Wiener estimate as
#   the skip: at low noise W_t(x_t) ≈ x_t ≈ x0 and the network's error is scaled by √(1−ᾱ_t) (no error floor, the
#   last DDIM steps cannot add frame-to-frame jitter); at high noise the skip keeps only the bands where motion
#   has power, so unlike "v" it does not put the noise's high frequencies into x̂0.
OUTPUTS = ("x0", "v", "wskip")
# What the first linear layer reads (arch "imusim"):
# * "x_t": the noisy motion (MDM).
# * "wiener": √ᾱ_t·x_t, the optimal linear estimate of x0 from x_t for unit-variance data (ᾱ x0 + √(ᾱ(1−ᾱ)) ε).
#   Same information (the network knows t), but the noise reaches the network with gain √ᾱ_t: at high noise the
#   network sees almost nothing of it, so it cannot pass the noise's frame-to-frame pattern into its x0
#   prediction, which DDIM then freezes into the motion as jitter (docs/realism.md §4). At low noise it is x_t.
# * "wiener_f": the linear MMSE estimate of x0 from x_t for a stationary Gaussian motion prior with the training
#   data's temporal power spectrum S_j(f) per feature j: X_in(f) = √ᾱ S_j(f) / (ᾱ S_j(f) + 1 − ᾱ) · X_t(f). Motion
#   has little power at high frequencies, white noise has it everywhere: at high and middle noise the input keeps
#   the bands where the data carry signal and drops the others, so the network never sees (and cannot pass on)
#   the noise's frame-to-frame pattern; at low noise the gain is 1 at every frequency and the input is x_t. The
#   spectrum is a buffer of the model (``input_psd`` [F, PSD_BINS], cycles/frame 0..0.5), estimated from the
#   training set (:func:`estimate_feature_psd`). The estimate is an input only: the network predicts x0 freely.
INPUTS = ("x_t", "wiener", "wiener_f")
PSD_BINS = 33  # 64-frame segments


def estimate_feature_psd(feats, seg: int = 64) -> torch.Tensor:
    """Temporal power spectrum per feature ``[F, seg//2+1]`` of normalised feature sequences (list of ``[T, F]``):
    Hann-windowed ``seg``-frame segments (hop seg/2), |DFT|² / Σw², averaged, so that unit white noise has PSD 1."""
    longest = max(int(torch.as_tensor(x).shape[0]) for x in feats)
    while seg > 8 and seg > longest:  # short data (tests, toy sets): shorter segments, interpolated to the grid
        seg //= 2
    w = torch.hann_window(seg, periodic=False, dtype=torch.float64)
    acc, n = None, 0
    for x in feats:
        x = torch.as_tensor(x, dtype=torch.float64)
        for a in range(0, x.shape[0] - seg + 1, seg // 2):
            X = torch.fft.rfft(x[a:a + seg] * w[:, None], dim=0).abs().square().T  # [F, bins]
            acc = X if acc is None else acc + X
            n += 1
    if not n:
        raise ValueError(f"estimate_feature_psd: no sequence has {seg} frames")
    return _interp_psd((acc / (n * w.square().sum())).float(), PSD_BINS)


def _interp_psd(psd: torch.Tensor, bins: int) -> torch.Tensor:
    """``psd [F, PSD_BINS]`` on 0..0.5 cycles/frame → ``[F, bins]`` on the same range (linear)."""
    if bins == psd.shape[1]:
        return psd
    pos = torch.linspace(0, psd.shape[1] - 1, bins, device=psd.device, dtype=psd.dtype)
    lo = pos.floor().long().clamp(max=psd.shape[1] - 2)
    u = pos - lo
    return psd[:, lo] * (1 - u) + psd[:, lo + 1] * u


def wiener_input(x: torch.Tensor, t: torch.Tensor, mask, psd: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The spectral Wiener estimate of x0 (INPUTS, "wiener_f") for ``x [B, T, F]`` at steps ``t [B]``; ``ab`` [steps]
    ᾱ, ``psd`` [F, bins]. Each sequence is mirrored at both ends of its valid part (``mask`` [B, T]) before the
    filtering, so padding never enters its valid frames."""
    B, T, F = x.shape
    P = 2 * T  # reflection length on each side (the filter's response stays inside it)
    L = mask.sum(1).clamp_min(1) if mask is not None else torch.full((B,), T, device=x.device)
    k = torch.arange(-P, T + P, device=x.device)[None].expand(B, -1)
    Lm = (L - 1).clamp_min(1)[:, None]
    period = 2 * Lm
    r = torch.remainder(k, period)
    idx = torch.where(r <= Lm, r, period - r)
    idx = torch.minimum(idx, (L - 1)[:, None])
    xe = x.gather(1, idx[..., None].expand(B, T + 2 * P, F))
    n = T + 2 * P
    X = torch.fft.rfft(xe.double(), dim=1)  # [B, bins, F]
    S = _interp_psd(psd.double(), X.shape[1]).T[None]  # [1, bins, F]
    a = ab[t].double().view(B, 1, 1)
    H = a.sqrt() * S / (a * S + (1 - a))
    y = torch.fft.irfft(X * H, n=n, dim=1)[:, P:P + T]
    return y.to(x.dtype)


def _check_text(text_emb: torch.Tensor, B: int, cfg: MDMConfig):
    if text_emb.dim() != 2 or text_emb.shape[0] != B or text_emb.shape[1] != cfg.text_dim:
        raise ValueError(f"MDM: text_emb must be [B, {cfg.text_dim}] = [{B}, {cfg.text_dim}] (the text encoder this "
                         f"model was trained with), got {list(text_emb.shape)}")


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
    def __new__(cls, cfg: Optional[MDMConfig] = None, *args, **kwargs):
        # MDM(cfg) builds the architecture cfg.arch names (MDMTransEnc for "mdm")
        if cls is MDM and cfg is not None and getattr(cfg, "arch", "imusim") == "mdm":
            cls = MDMTransEnc
        return super().__new__(cls)

    def __init__(self, cfg: MDMConfig):
        super().__init__()
        if cfg.arch not in ARCHS:
            raise ValueError(f"MDMConfig.arch must be one of {list(ARCHS)}, got {cfg.arch!r}")
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
        if cfg.output not in OUTPUTS:
            raise ValueError(f"MDMConfig.output must be one of {list(OUTPUTS)}, got {cfg.output!r}")
        if cfg.input not in INPUTS:
            raise ValueError(f"MDMConfig.input must be one of {list(INPUTS)}, got {cfg.input!r}")
        if cfg.output == "wskip" and cfg.input != "wiener_f":
            raise ValueError(f"MDMConfig.output 'wskip' needs input 'wiener_f' (its skip is the Wiener estimate), "
                             f"got input {cfg.input!r}")
        if cfg.input == "wiener_f":
            self.register_buffer("input_psd", torch.ones(cfg.n_feats, PSD_BINS))  # set from the data (train)
        if cfg.text_whiten:  # set from the training captions (train.whiten_text); identity until then
            self.register_buffer("text_mu", torch.zeros(cfg.text_dim))
            self.register_buffer("text_W", torch.eye(cfg.text_dim))
        if cfg.output in ("v", "wskip") or cfg.input in ("wiener", "wiener_f"):
            from .gaussian import cosine_betas
            ab = torch.cumprod(1.0 - cosine_betas(cfg.schedule_steps), 0)  # float64: 1 − ᾱ_0 is 4e-5
            self.register_buffer("_sqrt_ab", ab.sqrt().float(), persistent=False)
            self.register_buffer("_sqrt_1mab", (1.0 - ab).sqrt().float(), persistent=False)
            self.register_buffer("_ab", ab, persistent=False)  # float64

    def forward(self, x: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
                mask: Optional[torch.Tensor] = None, uncond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Predict x0 ``[B, T, F]`` from noisy ``x`` ``[B, T, F]`` at steps ``t`` ``[B]``.

        ``uncond``: optional bool ``[B]``, True drops the text condition for that sample (CFG).
        In training mode the condition is also dropped at random with ``cond_drop_prob``.
        """
        B, T, _ = x.shape
        _check_text(text_emb, B, self.cfg)
        if self.cfg.text_whiten:
            text_emb = (text_emb - self.text_mu.to(text_emb.dtype)) @ self.text_W.to(text_emb.dtype)
        cond = self.text_proj(text_emb)
        drop = torch.zeros(B, dtype=torch.bool, device=x.device) if uncond is None else uncond
        if self.training and self.cfg.cond_drop_prob > 0:
            drop = drop | (torch.rand(B, device=x.device) < self.cfg.cond_drop_prob)
        cond = cond * (~drop).to(cond.dtype)[:, None]
        if self.cfg.input == "wiener":
            x_in = self._sqrt_ab[t].view(B, 1, 1).to(x.dtype) * x
        elif self.cfg.input == "wiener_f":
            x_in = wiener_input(x, t, mask, self.input_psd, self._ab)
        else:
            x_in = x
        tokens = torch.cat([self.t_embed(t)[:, None], cond[:, None], self.input_proj(x_in)], dim=1)
        tokens = self.pos(tokens)
        pad = None
        if mask is not None:
            pad = torch.cat([torch.zeros(B, 2, dtype=torch.bool, device=x.device), ~mask], dim=1)
        h = self.encoder(tokens, src_key_padding_mask=pad)
        out = self.output_proj(h[:, 2:])
        if self.cfg.output == "v":  # x̂0 = √ᾱ x_t − √(1−ᾱ) v̂  (OUTPUTS)
            out = self._sqrt_ab[t].view(B, 1, 1) * x - self._sqrt_1mab[t].view(B, 1, 1) * out.to(x.dtype)
        elif self.cfg.output == "wskip":  # x̂0 = W_t(x_t) + √(1−ᾱ) net  (OUTPUTS)
            out = x_in + self._sqrt_1mab[t].view(B, 1, 1) * out.to(x.dtype)
        return out

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


class _InputProcess(nn.Module):
    def __init__(self, n_feats: int, d: int):
        super().__init__()
        self.poseEmbedding = nn.Linear(n_feats, d)


class _OutputProcess(nn.Module):
    def __init__(self, d: int, n_feats: int):
        super().__init__()
        self.poseFinal = nn.Linear(d, n_feats)


class _TimestepEmbedder(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.time_embed = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))


class MDMTransEnc(MDM):
    """Tevet et al.'s ``trans_enc`` MDM (``arch="mdm"``), time-major.

    ``x`` ``[B, T, F]`` noisy motion, ``t`` ``[B]``, ``text_emb`` ``[B, text_dim]`` (CLIP ViT-B/32 text
    features for MDM's checkpoints), ``mask`` ``[B, T]`` (used only when ``cfg.mask_frames``), ``uncond``
    bool ``[B]``. Returns the x0 prediction ``[B, T, F]``. Equations (d = latent, PE = sinusoidal table
    ``[max_len, d]``)::

        c      = text_emb · (1 − drop)                          (drop: uncond, or Bernoulli(p) in training)
        tok    = W2 · SiLU(W1 · PE[t] + b1) + b2 + embed_text(c)
        h0     = dropout([tok, poseEmbedding(x_1..T)] + PE[0..T])
        h      = TransformerEncoder(h0)                         (post-norm layers, GELU)
        x0_hat = poseFinal(h[1..T])
    """

    def __init__(self, cfg: MDMConfig):
        nn.Module.__init__(self)
        if cfg.text_whiten:
            raise ValueError("MDMConfig.text_whiten applies to arch 'imusim'; arch 'mdm' keeps MDM's text input")
        self.cfg = cfg
        d = cfg.latent
        if d % 2 or d % cfg.heads:
            raise ValueError(f"MDMConfig: latent ({d}) must be even and divisible by heads ({cfg.heads})")
        self.input_process = _InputProcess(cfg.n_feats, d)
        self.sequence_pos_encoder = PositionalEncoding(d, cfg.dropout, cfg.max_len)
        self.embed_timestep = _TimestepEmbedder(d)
        self.embed_text = nn.Linear(cfg.text_dim, d)
        layer = nn.TransformerEncoderLayer(d, cfg.heads, cfg.ff, cfg.dropout, activation=cfg.activation,
                                           batch_first=True)
        self.seqTransEncoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.output_process = _OutputProcess(d, cfg.n_feats)

    def forward(self, x: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
                mask: Optional[torch.Tensor] = None, uncond: Optional[torch.Tensor] = None) -> torch.Tensor:
        B, T, _ = x.shape
        _check_text(text_emb, B, self.cfg)
        if T + 1 > self.cfg.max_len:
            raise ValueError(f"MDMTransEnc: x has {T} frames; the positional encoding holds max_len - 1 = "
                             f"{self.cfg.max_len - 1}")
        pe = self.sequence_pos_encoder.pe
        drop = torch.zeros(B, dtype=torch.bool, device=x.device) if uncond is None else uncond
        if self.training and self.cfg.cond_drop_prob > 0:
            drop = drop | (torch.rand(B, device=x.device) < self.cfg.cond_drop_prob)
        c = text_emb * (~drop).to(text_emb.dtype)[:, None]
        tok = self.embed_timestep.time_embed(pe[t]) + self.embed_text(c)
        h = torch.cat([tok[:, None], self.input_process.poseEmbedding(x)], dim=1)
        h = self.sequence_pos_encoder.dropout(h + pe[: T + 1].unsqueeze(0))
        pad = None
        if self.cfg.mask_frames and mask is not None:
            pad = torch.cat([torch.zeros(B, 1, dtype=torch.bool, device=x.device), ~mask], dim=1)
        h = self.seqTransEncoder(h, src_key_padding_mask=pad)
        return self.output_process.poseFinal(h[:, 1:])
