"""Physical plausibility of a motion (joint positions ``[T, 22, 3]``, y up, metres, 20 fps by default).

Used by ``imusim evaluate-motion`` (foot skating, jerk, joint acceleration) and by the generator's
quality filter (``QualityFilter``), the paper's open question: reject generated motions that are
physically implausible before they become HAR training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import torch

FOOT_JOINTS = (7, 8, 10, 11)  # l_ankle, r_ankle, l_foot, r_foot (SMPL22)
CONTACT_HEIGHT = 0.05  # m
SKATE_SPEED = 0.5  # m/s


def foot_skating(P: torch.Tensor, fps: float = 20.0) -> float:
    """Skating ratio of one motion ``P`` [T, 22, 3] (y up, m): among frame pairs in which a foot joint
    (ankle or toe) stays within 5 cm of the floor (the clip's lowest foot height), the fraction in which
    it moves faster than 0.5 m/s horizontally (2.5 cm per frame at 20 fps)."""
    feet = P[:, FOOT_JOINTS]  # [T, 4, 3]
    floor = feet[..., 1].min()
    contact = (feet[..., 1] - floor) < CONTACT_HEIGHT  # [T, 4]
    v = (feet[1:, :, [0, 2]] - feet[:-1, :, [0, 2]]).norm(dim=-1) * fps  # [T-1, 4]
    c = contact[1:] & contact[:-1]
    n = int(c.sum())
    return float(((v > SKATE_SPEED) & c).sum()) / n if n else 0.0


def jerk(P: torch.Tensor, fps: float = 20.0) -> float:
    """Mean |Δ³p|·fps³ (m/s³) of ``P`` [T, J, 3]."""
    if P.shape[0] < 4:
        return float("nan")
    d3 = P[3:] - 3 * P[2:-1] + 3 * P[1:-2] - P[:-3]
    return float(d3.norm(dim=-1).mean()) * fps ** 3


def joint_acc(P: torch.Tensor, fps: float = 20.0) -> float:
    """Mean |Δ²p|·fps² (m/s²) of ``P`` [T, J, 3]."""
    d2 = P[2:] - 2 * P[1:-1] + P[:-2]
    return float(d2.norm(dim=-1).mean()) * fps ** 2


def acc_quantile(P: torch.Tensor, fps: float = 20.0, q: float = 0.99) -> float:
    """The ``q`` quantile of joint acceleration magnitudes |Δ²p|·fps² (m/s²) over joints and frames."""
    d2 = (P[2:] - 2 * P[1:-1] + P[:-2]).norm(dim=-1) * fps ** 2
    return float(d2.float().quantile(q))


def plausibility(P: torch.Tensor, fps: float = 20.0) -> Dict[str, float]:
    """``foot_skating`` (ratio), ``jerk`` (m/s³), ``acc_p99`` (m/s²) of one motion ``P`` [T, 22, 3]."""
    return {"foot_skating": foot_skating(P, fps), "jerk": jerk(P, fps), "acc_p99": acc_quantile(P, fps)}


@dataclass
class QualityFilter:
    """Accept a motion when every statistic is at or below its limit.

    The defaults are the 95th percentiles over the real training clips of the shipped data set
    (retargeted Bandai Namco + DeepMimic, ≤ 196 frames at 20 fps; measured with ``plausibility``):
    foot skating 0.25, jerk 360 m/s³, 99th-percentile joint acceleration 64 m/s². So about one real
    clip in ten would fail at least one test."""

    max_foot_skating: float = 0.25
    max_jerk: float = 360.0
    max_acc_p99: float = 64.0

    def check(self, P: torch.Tensor, fps: float = 20.0):
        """``(accepted, stats)`` for joint positions ``P`` [T, 22, 3]."""
        st = plausibility(P, fps)
        ok = (st["foot_skating"] <= self.max_foot_skating and st["jerk"] <= self.max_jerk
              and st["acc_p99"] <= self.max_acc_p99)
        return ok, st
