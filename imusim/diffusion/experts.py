"""Two denoisers split by noise level (eDiff-I's "ensemble of expert denoisers", Balaji et al. 2022).

:class:`ExpertPair` answers every call at diffusion step ``t >= below_t`` with ``high`` and every call at
``t < below_t`` with ``low``: the sampler's early, high-noise steps (which decide what the motion does, its gait
and amplitude) come from one fine-tune, the late low-noise steps (which decide the fine structure the sensors
see) from another. Both must read the same features with the same normalisation and the same text encoder
(:func:`~imusim.diffusion.checkpoint.save_expert_pair` checks it). Why: a sensor-level training term changes the
high-noise predictions it was never applied to (docs/realism.md §8.1); the shipped ``refined`` is such a pair
(§9, which also measures that the split step between 150 and 600 hardly matters).

Shapes as :class:`~imusim.diffusion.model.MDM`: ``x`` ``[B, T, F]``, ``t`` ``[B]``, text embeddings ``[B, D]``.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .model import MDM


class ExpertPair(nn.Module):
    """``high`` for steps ``t >= below_t``, ``low`` for ``t < below_t`` (sampling only: eval mode)."""

    def __init__(self, high: MDM, low: MDM, below_t: int):
        super().__init__()
        if high.cfg.n_feats != low.cfg.n_feats or high.cfg.text_dim != low.cfg.text_dim:
            raise ValueError(f"ExpertPair: the experts must read the same features and text embeddings; high has "
                             f"n_feats={high.cfg.n_feats}, text_dim={high.cfg.text_dim}, low has "
                             f"n_feats={low.cfg.n_feats}, text_dim={low.cfg.text_dim}")
        steps = high.cfg.schedule_steps
        if isinstance(below_t, bool) or not isinstance(below_t, int) or not 0 <= below_t <= steps:
            raise ValueError(f"ExpertPair: below_t must be an integer step in [0, {steps}], got {below_t!r}")
        self.high, self.low, self.below_t = high, low, int(below_t)
        self.cfg = high.cfg  # what the sampler reads (arch, canvas, n_feats): the same for both experts
        self.low_guidance = None  # the low expert's own guidance scale (None: the sampler's); docs/realism.md §28.1

    @property
    def low_guidance(self) -> Optional[float]:
        """The classifier-free guidance scale of the low expert's steps (None: the sampler's, as for the high expert).
        A probe's setting (scripts/spread_probe.py); no checkpoint records one."""
        return self._low_guidance

    @low_guidance.setter
    def low_guidance(self, g) -> None:
        if g is not None and (isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 <= g < float("inf")):
            raise ValueError(f"ExpertPair: low_guidance must be a finite number >= 0 or None, got {g!r}")
        self._low_guidance = None if g is None else float(g)

    def _split(self, fn_name, x, t, *args, **kwargs):
        lo = t < self.below_t
        if bool(lo.all()):
            return getattr(self.low, fn_name)(x, t, *args, **kwargs)
        if not bool(lo.any()):
            return getattr(self.high, fn_name)(x, t, *args, **kwargs)
        raise ValueError("ExpertPair: a batch must lie on one side of below_t (the samplers step every sample "
                         f"together); got t from {int(t.min())} to {int(t.max())} around below_t={self.below_t}")

    def forward(self, x: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
                mask: Optional[torch.Tensor] = None, uncond: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self._split("forward", x, t, text_emb, mask, uncond)

    def guided(self, x, t, text_emb, mask=None, guidance: float = 2.5):
        """Classifier-free guidance at ``guidance``; at the low expert's steps at :attr:`low_guidance` where set."""
        if self.low_guidance is not None and bool((t < self.below_t).all()):
            guidance = self.low_guidance
        return self._split("guided", x, t, text_emb, mask, guidance)
