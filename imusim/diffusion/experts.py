"""Two denoisers split by noise level (eDiff-I's "ensemble of expert denoisers", Balaji et al. 2022).

:class:`ExpertPair` answers every call at diffusion step ``t >= below_t`` with ``high`` and every call at
``t < below_t`` with ``low``: the sampler's early, high-noise steps (which decide what the motion does, its gait
and amplitude) come from one fine-tune, the late low-noise steps (which decide the fine structure the sensors
see) from another. Both must read the same features with the same normalisation and the same text encoder
(:func:`~imusim.diffusion.checkpoint.save_expert_pair` checks it). Why: a sensor-level training term changes the
high-noise predictions it was never applied to (docs/realism.md §8.1); the shipped ``refined`` is such a pair
(§9, which also measures that the split step between 150 and 600 hardly matters).

A routed pair (``moving`` and ``route_min_acc``; docs/realism.md §40) has a second low-noise network: each motion's
low-noise steps are answered by ``moving`` when the x0 prediction of the last high-noise step moves at
``route_min_acc`` m/s² or more (the mean over the 22 joints of each joint's mean |acceleration|,
:func:`~imusim.motion.quality.crop_moves`: runs and jumps), by ``low`` otherwise. Why: one low expert answers walkers
and runners, and every self-tuning term that took the walkers' excess texture out damped the runners with them
(§39); the high expert has decided by its last step whether the body runs. The route is a physical test on the
motion, not on the caption, so it holds for any prompt. :func:`~imusim.diffusion.train.sample` sets it
(:meth:`ExpertPair.set_route`) from the last high-noise step's prediction when the first low-noise step comes.
With ``route_still_acc`` the route is a band (docs/realism.md §41): ``low`` finishes the motions that move at
``route_still_acc`` m/s² or more and below ``route_min_acc`` (the walks), ``moving`` the others, the nearly still
ones too (stands and the arm gestures the high expert hands over barely moving), so that a low expert tuned on the
walkers' excess leaves the stands and gestures as the other pair makes them.

Shapes as :class:`~imusim.diffusion.model.MDM`: ``x`` ``[B, T, F]``, ``t`` ``[B]``, text embeddings ``[B, D]``.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..constants import HUMANML3D_FPS
from ..motion.quality import crop_move_acc
from .model import MDM


def moving_route(acc: torch.Tensor, min_acc: float, still_acc: Optional[float] = None) -> torch.Tensor:
    """Which motions a routed pair's ``moving`` expert finishes, from their hand-over's statistic ``acc`` ``[B]`` (m/s²,
    :func:`~imusim.motion.quality.crop_move_acc`): those at ``min_acc`` or more, and below ``still_acc`` where set
    (a band route); bool ``[B]``."""
    route = acc >= min_acc
    if still_acc is not None:
        route |= acc < still_acc
    return route


class ExpertPair(nn.Module):
    """``high`` for steps ``t >= below_t``, ``low`` for ``t < below_t`` (sampling only: eval mode); with ``moving``
    and ``route_min_acc`` (and ``route_still_acc``), ``moving`` for ``t < below_t`` of the motions :meth:`set_route`
    routes to it."""

    def __init__(self, high: MDM, low: MDM, below_t: int, moving: Optional[MDM] = None,
                 route_min_acc: Optional[float] = None, route_still_acc: Optional[float] = None):
        super().__init__()
        for name, net in (("low", low), ("moving", moving)):
            if net is not None and (high.cfg.n_feats != net.cfg.n_feats or high.cfg.text_dim != net.cfg.text_dim):
                raise ValueError(f"ExpertPair: the experts must read the same features and text embeddings; high has "
                                 f"n_feats={high.cfg.n_feats}, text_dim={high.cfg.text_dim}, {name} has "
                                 f"n_feats={net.cfg.n_feats}, text_dim={net.cfg.text_dim}")
        steps = high.cfg.schedule_steps
        if isinstance(below_t, bool) or not isinstance(below_t, int) or not 0 <= below_t <= steps:
            raise ValueError(f"ExpertPair: below_t must be an integer step in [0, {steps}], got {below_t!r}")
        if (moving is None) != (route_min_acc is None):
            raise ValueError(f"ExpertPair: a routed pair needs both moving and route_min_acc, got moving "
                             f"{'set' if moving is not None else 'None'} and route_min_acc {route_min_acc!r}")
        m = route_min_acc
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 < m < float("inf")):
            raise ValueError(f"ExpertPair: route_min_acc must be a finite acceleration > 0 m/s^2, got {m!r}")
        s = route_still_acc
        if s is not None and m is None:
            raise ValueError(f"ExpertPair: route_still_acc={s!r} needs a routed pair (moving and route_min_acc)")
        if s is not None and (isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s < m):
            raise ValueError(f"ExpertPair: route_still_acc must be an acceleration > 0 and below route_min_acc "
                             f"({m!r} m/s^2), got {s!r}")
        self.high, self.low, self.below_t = high, low, int(below_t)
        self.moving = moving
        self.route_min_acc = None if m is None else float(m)
        self.route_still_acc = None if s is None else float(s)
        self._route: Optional[torch.Tensor] = None
        self.cfg = high.cfg  # what the sampler reads (arch, canvas, n_feats): the same for both experts
        self.low_guidance = None  # the low expert's own guidance scale (None: the sampler's); docs/realism.md §28.1

    @property
    def routed(self) -> bool:
        """Whether the low-noise steps are routed between ``low`` and ``moving``."""
        return self.moving is not None

    @property
    def route(self) -> Optional[torch.Tensor]:
        """bool ``[B]``: which motions ``moving`` finishes (None: no route set since :meth:`clear_route`)."""
        return self._route

    def clear_route(self) -> None:
        self._route = None

    @torch.no_grad()
    def set_route(self, x0: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
        """Route each motion from a high-noise step's x0 prediction ``x0`` ``[B, T, 263]`` (denormalised) in its
        frames ``mask`` ``[B, T]`` (bool prefixes): to ``moving`` where it moves at ``route_min_acc`` m/s² or more
        (or below ``route_still_acc`` where set). Returns (and keeps, for the low-noise steps) the route, bool
        ``[B]``."""
        if not self.routed:
            raise ValueError("ExpertPair.set_route: this pair has no moving expert to route to")
        if x0.dim() != 3 or x0.shape[-1] != 263 or mask.shape != x0.shape[:2]:
            raise ValueError(f"ExpertPair.set_route: x0 must be [B, T, 263] (denormalised HumanML3D features) and "
                             f"mask [B, T], got {list(x0.shape)} and {list(mask.shape)}")
        acc = crop_move_acc(x0.double(), mask, fps)
        self._route = moving_route(acc, self.route_min_acc, self.route_still_acc).to(x0.device)
        return self._route

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
            if self.routed:
                return self._routed(fn_name, x, t, *args, **kwargs)
            return getattr(self.low, fn_name)(x, t, *args, **kwargs)
        if not bool(lo.any()):
            return getattr(self.high, fn_name)(x, t, *args, **kwargs)
        raise ValueError("ExpertPair: a batch must lie on one side of below_t (the samplers step every sample "
                         f"together); got t from {int(t.min())} to {int(t.max())} around below_t={self.below_t}")

    def _routed(self, fn_name, x, t, *args, **kwargs):
        """The low-noise step of a routed pair: ``low`` on the motions the route leaves, ``moving`` on the others."""
        route, B = self._route, x.shape[0]
        if route is None:
            raise ValueError("ExpertPair: a routed pair's low-noise steps need the route, set from the hand-over's x0 "
                             "prediction (set_route; imusim.diffusion.train.sample sets it at the hand-over)")
        if route.shape != (B,):
            raise ValueError(f"ExpertPair: the route holds {list(route.shape)} motions, the step {B}; set it from "
                             f"this batch's hand-over (set_route)")

        def rows(a, idx):  # the batch's tensors (x, t, embeddings, mask, uncond flags) at the rows idx
            return a[idx] if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == B else a

        out = None
        for net, sel in ((self.low, ~route), (self.moving, route)):
            if bool(sel.any()):
                idx = sel.nonzero().squeeze(1)
                y = getattr(net, fn_name)(rows(x, idx), rows(t, idx), *(rows(a, idx) for a in args), **kwargs)
                if out is None:
                    out = y.new_empty((B, *y.shape[1:]))
                out[idx] = y
        return out

    def forward(self, x: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
                mask: Optional[torch.Tensor] = None, uncond: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self._split("forward", x, t, text_emb, mask, uncond)

    def guided(self, x, t, text_emb, mask=None, guidance: float = 2.5):
        """Classifier-free guidance at ``guidance``; at the low expert's steps at :attr:`low_guidance` where set."""
        if self.low_guidance is not None and bool((t < self.below_t).all()):
            guidance = self.low_guidance
        return self._split("guided", x, t, text_emb, mask, guidance)
