"""Loss modules for training loops."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .ops.acc_loss import REDUCTIONS, acc_loss
from .ops._validate import check_choice, check_positive


class AccelerationLoss(nn.Module):
    """``nn.Module`` wrapper of :func:`imusim.acc_loss` (L_acc).

    ``forward(pred, target, mask=None)``: pred/target ``[B, ..., T, ...]`` (time at ``time_dim``),
    mask bool ``[B, T]``. Returns a scalar, or ``[B]`` for ``reduction="none"``.
    """

    def __init__(self, *, time_dim: int = 1, reduction: str = "mean", dt: Optional[float] = None,
                 backend: Optional[str] = None):
        super().__init__()
        check_choice("reduction", reduction, REDUCTIONS, op="AccelerationLoss")
        check_positive("dt", dt, op="AccelerationLoss")
        self.time_dim, self.reduction, self.dt, self.backend = time_dim, reduction, dt, backend

    def forward(self, pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return acc_loss(pred, target, mask, time_dim=self.time_dim, reduction=self.reduction, dt=self.dt,
                        backend=self.backend)

    def extra_repr(self) -> str:
        return f"time_dim={self.time_dim}, reduction={self.reduction!r}, dt={self.dt}, backend={self.backend}"
