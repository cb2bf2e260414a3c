"""Physical plausibility of a motion (joint positions ``[T, 22, 3]``, y up, metres, 20 fps by default).

Used by ``imusim evaluate-motion`` (foot skating, jerk, joint acceleration) and by the generator's
quality filter (``QualityFilter``), the paper's open question: reject generated motions that are
physically implausible before they become HAR training data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Optional

import torch

from ..constants import HUMANML3D_FPS

LIMITS_FILE = Path(__file__).with_name("quality_limits.json")

FOOT_JOINTS = (7, 8, 10, 11)  # l_ankle, r_ankle, l_foot, r_foot (SMPL22)
CONTACT_HEIGHT = 0.05  # m
SKATE_SPEED = 0.5  # m/s
# which foot joints anchor_root_features may hold: the predicted contact labels, those within 5 cm of the floor, either
ANCHOR_CONTACTS = ("channels", "union", "height", "planted")
# "planted": on the floor (CONTACT_HEIGHT) and still, by the features' own contact test (HumanML3D: squared per-frame
# displacement below 0.002 m², 0.89 m/s at 20 fps), so a toe lifting off near the floor is not held
PLANTED_DISP2 = 0.002  # m² per frame


def floor_contact(P: torch.Tensor, joints=FOOT_JOINTS) -> torch.Tensor:
    """``[T-1, len(joints)]`` bool: the ``joints`` of ``P`` [T, 22, 3] (y up, m) that stay within 5 cm of the floor
    (the clip's lowest height among them) in both frames of each frame pair."""
    h = P[:, list(joints), 1]
    c = (h - h.min()) < CONTACT_HEIGHT  # [T, k]
    return c[1:] & c[:-1]


def skating_fraction(speed: torch.Tensor, contact: torch.Tensor) -> float:
    """Among the ``contact`` entries (bool), the fraction whose horizontal ``speed`` (m/s, same shape) exceeds
    0.5 m/s; 0 when there is no contact."""
    n = int(contact.sum())
    return float(((speed > SKATE_SPEED) & contact).sum()) / n if n else 0.0


def foot_speeds(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """``[T-1, 4]``: the horizontal speed (m/s) of each foot joint (:data:`FOOT_JOINTS`) of ``P`` [T, 22, 3] (y up,
    m) in each frame pair."""
    feet = P[:, FOOT_JOINTS]  # [T, 4, 3]
    return (feet[1:, :, [0, 2]] - feet[:-1, :, [0, 2]]).norm(dim=-1) * fps


def foot_skating(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> float:
    """Skating ratio of one motion ``P`` [T, 22, 3] (y up, m): among frame pairs in which a foot joint
    (ankle or toe) stays within 5 cm of the floor (the clip's lowest foot height), the fraction in which
    it moves faster than 0.5 m/s horizontally (2.5 cm per frame at 20 fps)."""
    return skating_fraction(foot_speeds(P, fps), floor_contact(P))


def skating_breakdown(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> Dict[str, float]:
    """Where the foot skating of one motion ``P`` [T, 22, 3] (y up, m) is: :func:`foot_skating`'s contact entries
    (a foot joint within 5 cm of the floor in both frames of a pair) split by stance and joint, each value the
    fraction of its entries that slide faster than 0.5 m/s (NaN where there are none):

    * ``single`` / ``double``: frame pairs with contact on one side only / on both sides (double stance);
    * ``double_held`` / ``double_other``: in double stance, the contact joint that moves least (the one
      :func:`anchor_root_on_feet` and the sampler's anchor hold) / every other contact joint;
    * ``ankle`` / ``toe``: by joint, whatever the stance;
    * ``double_share``: the share of all contact entries that lie in double stance (not a skating fraction).

    A diagnostic (docs/realism.md §15): the anchor can hold one joint per frame, so skating that stays in
    ``double_other`` is the legs disagreeing with each other, not the root with the legs."""
    if P.dim() != 3 or P.shape[1:] != (22, 3):
        raise ValueError(f"skating_breakdown: P must be [T, 22, 3], got {list(P.shape)}")
    v = foot_speeds(P, fps)  # [T-1, 4]: l_ankle, r_ankle, l_foot, r_foot
    c = floor_contact(P)
    slide = v > SKATE_SPEED
    left, right = c[:, [0, 2]].any(1), c[:, [1, 3]].any(1)
    double = (left & right)[:, None] & c
    held = torch.zeros_like(c)
    if len(c):
        j = v.masked_fill(~c, float("inf")).argmin(1)
        held[torch.arange(len(c)), j] = True
    held &= double

    def frac(m):
        n = int(m.sum())
        return float((slide & m).sum()) / n if n else float("nan")

    ankle = torch.tensor([True, True, False, False], device=c.device)
    n = int(c.sum())
    return {"single": frac(c & ~double), "double": frac(double), "double_held": frac(held),
            "double_other": frac(double & ~held), "ankle": frac(c & ankle), "toe": frac(c & ~ankle),
            "double_share": float(double.sum()) / n if n else float("nan")}


def stance_displacement(P: torch.Tensor, contact: Optional[torch.Tensor] = None, joints=FOOT_JOINTS) -> torch.Tensor:
    """The horizontal displacement ``[T-1, 2]`` (x, z; m) of the standing foot in each frame pair of ``P``
    [T, 22, 3]: among the ``joints`` in contact (``contact`` [T-1, len(joints)] bool; default: within 5 cm of the
    floor in both frames, as :func:`foot_skating` defines it), the one that moves least; zero where none is.
    Leading batch dimensions (``P`` [..., T, 22, 3] with ``contact`` [..., T-1, k]) are allowed when ``contact`` is
    given. Differentiable w.r.t. ``P`` (the choice of joint is not)."""
    feet = P[..., list(joints), :]
    if contact is None:
        if P.dim() != 3:
            raise ValueError(f"stance_displacement: without contact, P must be [T, 22, 3], got {list(P.shape)}")
        contact = floor_contact(P, joints)
    if contact.shape != (*P.shape[:-3], P.shape[-3] - 1, len(joints)):
        raise ValueError(f"stance_displacement: contact must be [..., T-1, {len(joints)}] = "
                         f"{[*P.shape[:-3], P.shape[-3] - 1, len(joints)]}, got {list(contact.shape)}")
    d = feet[..., 1:, :, :][..., [0, 2]] - feet[..., :-1, :, :][..., [0, 2]]  # [..., T-1, k, 2]
    j = d.detach().norm(dim=-1).masked_fill(~contact, float("inf")).argmin(-1)  # [..., T-1]
    dj = d.gather(-2, j[..., None, None].expand(*j.shape, 1, 2)).squeeze(-2)
    return torch.where(contact.any(-1)[..., None], dj, torch.zeros((), dtype=P.dtype, device=P.device))


def anchor_root_on_feet(P: torch.Tensor) -> torch.Tensor:
    """``P`` [T, 22, 3] (y up, m) with its horizontal trajectory re-anchored on the standing foot: in every frame
    pair in which a foot joint stays within 5 cm of the floor (as :func:`foot_skating` defines contact), the
    horizontal displacement of the slowest such joint is taken off the whole body from then on, so that joint
    stands still; the pose relative to the root is unchanged. A diagnostic (docs/realism.md §10): how much of a
    motion's skating is its root trajectory disagreeing with its legs. Both feet down and moving apart cannot
    both be fixed this way. :func:`anchor_root_features` does the same on features."""
    if P.dim() != 3 or P.shape[1:] != (22, 3):
        raise ValueError(f"anchor_root_on_feet: P must be [T, 22, 3], got {list(P.shape)}")
    off = torch.cat([torch.zeros(1, 2, dtype=P.dtype), torch.cumsum(stance_displacement(P), 0)])  # [T, 2]
    Q = P.clone()
    Q[..., 0] -= off[:, None, 0]
    Q[..., 2] -= off[:, None, 1]
    return Q


def smooth_in_time(x: torch.Tensor, sigma: float, valid: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``x`` ``[..., N, C]`` smoothed along N by a Gaussian of ``sigma`` samples (truncated at 3 sigma), normalised
    over the ``valid`` samples (``[..., N]`` bool; default all): the kernel is renormalised at the ends and around
    invalid samples, which neither contribute nor change (their output is their input). ``sigma`` 0: ``x``.
    Differentiable (linear in ``x``)."""
    if sigma <= 0 or x.shape[-2] < 2:
        return x
    k = max(1, int(3 * sigma))
    w = torch.exp(-0.5 * (torch.arange(-k, k + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    lead, n, ch = x.shape[:-2], x.shape[-2], x.shape[-1]
    m = torch.ones(x.shape[:-1], dtype=x.dtype, device=x.device) if valid is None else valid.to(x.dtype)
    xm = (x * m[..., None]).reshape(-1, n, ch).transpose(1, 2).reshape(-1, 1, n)  # [B·C, 1, N]
    num = torch.nn.functional.conv1d(xm, w[None, None], padding=k).reshape(-1, ch, n).transpose(1, 2)
    den = torch.nn.functional.conv1d(m.reshape(-1, 1, n), w[None, None], padding=k).reshape(-1, n, 1)
    y = (num / den.clamp_min(1e-12)).reshape(*lead, n, ch)
    return torch.where(m[..., None] > 0, y, x)


def anchor_root_features(data: torch.Tensor, contact: str = "channels", threshold: float = 0.5,
                         mask: Optional[torch.Tensor] = None, smooth: float = 0.0) -> torch.Tensor:
    """Features ``[T, 263]`` or ``[B, T, 263]`` (denormalised) whose root linear velocity (channels 1:3) is
    corrected so the root follows the standing foot: in each frame t, the horizontal displacement t → t+1 of the
    foot joint that stands and moves least (:func:`stance_displacement`) is taken off the root's. Every other
    channel is unchanged, so the pose, the joint velocity channels and the contact labels stay as they were;
    decoded, the standing foot no longer slides (the features become consistent with their own velocity
    channels, which already plant the feet: docs/realism.md §10).

    ``contact``: ``"channels"`` — the features' own contact labels (259:263 > ``threshold``: left ankle, left toe,
    right ankle, right toe); ``"height"`` — a foot joint within 5 cm of the floor in both frames (as
    ``foot_skating``; ``threshold`` unused); ``"union"`` — either, so a foot on the floor is held whatever the labels
    say (docs/realism.md §14); ``"planted"`` — within 5 cm of the floor in both frames *and* still by the features' own
    contact test (squared 3-D displacement from t to t+1 below ``PLANTED_DISP2`` = 0.002 m², HumanML3D's), so a toe
    that lifts off or lands fast near the floor is not held and cannot drag the root backwards (docs/realism.md §18).
    The floor is each motion's lowest foot height over its valid frames. Under
    ``"union"`` a labelled joint above the floor (an ankle while its toe stands) may be the one that moves least
    and so the one held, leaving the toe on the floor to slide; ``"height"`` holds only joints on the floor
    (docs/realism.md §15). ``smooth`` = sigma > 0 (frames): the anchored root velocity (every frame pair, held or
    not) is then smoothed in time by a Gaussian of that sigma over the valid frame pairs (:func:`smooth_in_time`),
    so the root follows the feet step by step without the surge that jittering legs and a switching held joint hand
    it (docs/realism.md §15); the held foot may then slide a little within a step. ``mask`` ``[B, T]`` (or ``[T]``)
    bool, a prefix of valid frames per sequence: a frame whose successor is padding is not corrected.
    Differentiable w.r.t. ``data`` (the root of a corrected frame then follows the standing foot's pose channels:
    ``finetune --anchor-feet``)."""
    from .humanml import FEET_L, FEET_R, FOOT_CONTACT, N_FEATS, qrot, recover_from_ric, recover_root_rot_pos
    if data.dim() not in (2, 3) or data.shape[-1] != N_FEATS:
        raise ValueError(f"anchor_root_features: data must be [T, {N_FEATS}] or [B, T, {N_FEATS}], "
                         f"got {list(data.shape)}")
    if mask is not None and (mask.shape != data.shape[:-1] or mask.dtype != torch.bool):
        raise ValueError(f"anchor_root_features: mask must be bool {list(data.shape[:-1])}, got "
                         f"{mask.dtype} {list(mask.shape)}")
    if smooth < 0:
        raise ValueError(f"anchor_root_features: smooth must be >= 0 frames, got {smooth}")
    if data.shape[-2] < 2:
        return data.clone()
    P = recover_from_ric(data, 22)
    if contact not in ANCHOR_CONTACTS:
        raise ValueError(f"anchor_root_features: contact must be one of {list(ANCHOR_CONTACTS)}, got {contact!r}")
    joints = (*FEET_L, *FEET_R)  # the order of the contact channels
    if contact in ("channels", "union"):
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"anchor_root_features: threshold must be in (0, 1), got {threshold}")
        c = data[..., :-1, FOOT_CONTACT] > threshold
    if contact != "channels":  # a foot joint within 5 cm of the motion's floor (its lowest over the valid frames)
        h = P[..., list(joints), 1].detach()  # [..., T, 4]
        hv = h if mask is None else h.masked_fill(~mask[..., None], float("inf"))
        low = (h - hv.amin((-2, -1), keepdim=True)) < CONTACT_HEIGHT
        low = low[..., 1:, :] & low[..., :-1, :]
        if contact == "planted":
            f = P[..., list(joints), :].detach()
            low = low & ((f[..., 1:, :, :] - f[..., :-1, :, :]).square().sum(-1) < PLANTED_DISP2)
        c = c | low if contact == "union" else low
    if mask is not None:
        c = c & (mask[..., 1:] & mask[..., :-1])[..., None]
    d = stance_displacement(P, c, joints=joints)
    q, _ = recover_root_rot_pos(data)
    d3 = torch.stack([d[..., 0], torch.zeros_like(d[..., 0]), d[..., 1]], -1)
    dv = qrot(q[..., 1:, :], d3)  # Δroot(t) = qinv(q[t+1]) · vel(t): the velocity channel of frame t carries t → t+1
    zero = torch.zeros_like(dv[..., :1, :])
    dv = torch.cat([dv, zero], -2)  # the last frame has no successor
    v = data[..., 1:3] - dv[..., [0, 2]]
    if smooth > 0:  # the anchored root velocity over the frame pairs (the last frame and padding untouched)
        pairs = torch.ones(v.shape[:-1], dtype=torch.bool, device=v.device)
        pairs[..., -1] = False
        if mask is not None:
            pairs = pairs & torch.cat([mask[..., 1:], torch.zeros_like(mask[..., :1])], -1)
        v = smooth_in_time(v, smooth, pairs)
    return torch.cat([data[..., :1], v, data[..., 3:]], -1)


def jerk(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> float:
    """Mean |Δ³p|·fps³ (m/s³) of ``P`` [T, J, 3]."""
    if P.shape[0] < 4:
        return float("nan")
    d3 = P[3:] - 3 * P[2:-1] + 3 * P[1:-2] - P[:-3]
    return float(d3.norm(dim=-1).mean()) * fps ** 3


def joint_acc(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> float:
    """Mean |Δ²p|·fps² (m/s²) of ``P`` [T, J, 3]."""
    d2 = P[2:] - 2 * P[1:-1] + P[:-2]
    return float(d2.norm(dim=-1).mean()) * fps ** 2


def joint_acc_per_joint(P: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """Mean joint acceleration magnitude per sequence and joint ``[B, J]`` (m/s²) of positions ``P`` ``[B, T, J, 3]``:
    |p[t+1] − 2 p[t] + p[t−1]|·fps² over the frames whose three samples are valid in the prefix mask ``mask``
    ``[B, T]`` (the motion evaluation's ``joint_acc``, per joint). A sequence with fewer than 3 valid frames gives 0."""
    d2 = (P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * fps ** 2  # [B, T-2, J, 3]
    a = (d2.square().sum(-1) + 1e-12).sqrt()  # [B, T-2, J]; the epsilon keeps the gradient finite at rest
    m = (mask[:, 2:] & mask[:, 1:-1] & mask[:, :-2]).to(a.dtype)[..., None]  # [B, T-2, 1]
    return (a * m).sum(1) / m.sum(1).clamp_min(1.0)


@torch.no_grad()
def crop_move_acc(true_feats: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """How much each sequence of ``true_feats`` ``[B, T, 263]`` (denormalised) moves: the mean over the 22 joints of
    :func:`joint_acc_per_joint` (global positions, frames in ``mask`` ``[B, T]``), m/s², ``[B]``; the statistic of
    :func:`crop_moves` and of a routed pair's route (:class:`imusim.diffusion.experts.ExpertPair`)."""
    from .humanml import recover_from_ric

    return joint_acc_per_joint(recover_from_ric(true_feats, 22), mask, fps).mean(-1)


def crop_moves(true_feats: torch.Tensor, mask: torch.Tensor, min_true: float, fps: float = HUMANML3D_FPS):
    """Which sequences of ``true_feats`` ``[B, T, 263]`` (denormalised) move at ``min_true`` m/s² or more
    (:func:`crop_move_acc`), bool ``[B]``; :func:`imusim.diffusion.train.joint_acc_loss`'s gate."""
    return crop_move_acc(true_feats, mask, fps) >= min_true


def acc_quantile(P: torch.Tensor, fps: float = HUMANML3D_FPS, q: float = 0.99) -> float:
    """The ``q`` quantile of joint acceleration magnitudes |Δ²p|·fps² (m/s²) over joints and frames."""
    d2 = (P[2:] - 2 * P[1:-1] + P[:-2]).norm(dim=-1) * fps ** 2
    return float(d2.float().quantile(q))


def plausibility(P: torch.Tensor, fps: float = HUMANML3D_FPS) -> Dict[str, float]:
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

    def check(self, P: torch.Tensor, fps: float = HUMANML3D_FPS):
        """``(accepted, stats)`` for joint positions ``P`` [T, 22, 3]."""
        st = plausibility(P, fps)
        ok = (st["foot_skating"] <= self.max_foot_skating and st["jerk"] <= self.max_jerk
              and st["acc_p99"] <= self.max_acc_p99)
        return ok, st


@dataclass
class ActivityQualityFilter:
    """Per-activity limits: a motion generated for activity ``a`` is tested against ``limits[a]``
    (the real clips of that activity), falling back to ``default`` for activities without real clips.
    Running is naturally jerkier than standing; one global limit rejects (and, by re-sampling,
    calms down) exactly the dynamic motions a HAR set needs."""

    limits: Dict[str, QualityFilter] = field(default_factory=dict)
    default: QualityFilter = field(default_factory=QualityFilter)

    def for_activity(self, activity: str) -> QualityFilter:
        return self.limits.get(activity, self.default)

    @staticmethod
    def load(path=None) -> "ActivityQualityFilter":
        """From a JSON written by :func:`calibrate` (default: the shipped ``quality_limits.json``)."""
        d = json.loads(Path(path or LIMITS_FILE).read_text())
        return ActivityQualityFilter({k: QualityFilter(**v) for k, v in d["activities"].items()},
                                     QualityFilter(**d["all"]))


def calibrate(root=None, q: float = 0.95, fps: float = HUMANML3D_FPS, crop: int = 120, out: Optional[Path] = None,
              progress: bool = True) -> dict:
    """Limits from real clips: the ``q`` quantile of each statistic over crops of ``crop`` frames
    (the generated motions' length) of the retargeted mocap under ``root``, per activity group
    (``imusim.data.captions.ACTIVITY_GROUP``) and over all clips. Returns (and writes to ``out``) a
    JSON-able dict ``{"q", "crop_frames", "fps", "all": {...}, "activities": {group: {...}}, "clips"}``."""
    import numpy as np

    from ..data import load_motion
    from ..data.captions import ACTIVITY_GROUP, labels_from_path
    from ..data.dataset import default_data_root, list_clips
    from ..data.retarget import retarget_to_smpl22

    root = Path(root) if root else default_data_root()
    files = list_clips(root)
    stats: Dict[str, list] = {}
    it = files
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(files, desc="quality limits", unit="clip")
    for f in it:
        grp = ACTIVITY_GROUP.get(labels_from_path(f)["activity"])
        try:
            P = retarget_to_smpl22(load_motion(f), fps=fps).joint_positions()
        except (ValueError, OSError):
            continue
        for a in range(0, max(1, P.shape[0] - crop + 1), crop):
            seg = P[a:a + crop]
            if seg.shape[0] >= 24:
                st = plausibility(seg, fps)
                stats.setdefault(grp or "other", []).append(st)
                stats.setdefault("all", []).append(st)

    def lim(rows):
        a = {k: np.array([r[k] for r in rows], dtype=np.float64) for k in rows[0]}
        return {"max_foot_skating": float(np.quantile(a["foot_skating"], q)),
                "max_jerk": float(np.nanquantile(a["jerk"], q)), "max_acc_p99": float(np.quantile(a["acc_p99"], q))}

    res = {"q": q, "crop_frames": crop, "fps": fps, "source": str(root.name), "all": lim(stats["all"]),
           "activities": {g: lim(r) for g, r in sorted(stats.items()) if g not in ("all", "other") and len(r) >= 10},
           "crops": {g: len(r) for g, r in sorted(stats.items())}}
    if out:
        Path(out).write_text(json.dumps(res, indent=1))
    return res
