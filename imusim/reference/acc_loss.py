"""Reference L_acc: second differences by slicing, masked mean of squared differences."""

from __future__ import annotations

from typing import Optional

import torch


def second_difference(x: torch.Tensor, time_dim: int = 1, dt: Optional[float] = None) -> torch.Tensor:
    """Δ²x[t] = x[t+1] − 2x[t] + x[t−1] for t = 1..T−2 along ``time_dim`` (length T−2), / dt² if given."""
    T = x.shape[time_dim]
    d = x.narrow(time_dim, 2, T - 2) - 2 * x.narrow(time_dim, 1, T - 2) + x.narrow(time_dim, 0, T - 2)
    if dt is not None:
        d = d / (dt * dt)
    return d


def acc_loss(pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor] = None, *,
             time_dim: int = 1, reduction: str = "mean", dt: Optional[float] = None) -> torch.Tensor:
    """Naive L_acc. Shapes: pred/target [B, ..., T (at time_dim), ...], mask bool [B, T].

    Frames where ``mask`` is False never reach the loss or the gradients, whatever they hold (NaN/inf).
    An empty batch (B = 0) or F = 0 gives 0 (``mean``/``sum``) or an empty ``[B]`` (``none``)."""
    work = torch.float32 if pred.dtype in (torch.float16, torch.bfloat16) else pred.dtype
    pred, target = pred.to(work), target.to(work)
    if mask is not None:
        # Zero the invalid frames before differencing: padding may hold NaN/inf, and a product with a
        # 0 weight (or the gradient of a where() after the difference) would carry it into the loss.
        # Valid terms never touch an invalid frame, so their values are unchanged.
        shape = [mask.shape[0]] + [mask.shape[1] if d == time_dim % pred.dim() else 1 for d in range(1, pred.dim())]
        keep = mask.to(torch.bool).reshape(shape)
        pred = torch.where(keep, pred, torch.zeros((), dtype=work, device=pred.device))
        target = torch.where(keep, target, torch.zeros((), dtype=work, device=pred.device))
    p = second_difference(pred, time_dim, dt)
    q = second_difference(target, time_dim, dt)
    sq = (p - q) ** 2
    # move time next to batch: [B, T-2, F] (F explicit: B or F may be 0)
    sq = sq.movedim(time_dim, 1)
    B, Tm2 = sq.shape[0], sq.shape[1]
    F = 1
    for s in sq.shape[2:]:
        F *= s
    sq = sq.reshape(B, Tm2, F)
    if mask is None:
        w = torch.ones(B, Tm2, dtype=work, device=pred.device)
    else:
        m = mask.to(torch.bool)
        w = (m[:, :-2] & m[:, 1:-1] & m[:, 2:]).to(work)
    per_sample = (sq * w[:, :, None]).sum(dim=(1, 2))
    count = w.sum(dim=1) * F
    if reduction == "sum":
        return per_sample.sum()
    if reduction == "mean":
        return per_sample.sum() / count.sum().clamp_min(1)
    return torch.where(count > 0, per_sample / count.clamp_min(1), torch.zeros_like(per_sample))
