"""Training and L_acc fine-tuning of the MDM-style model.

Losses (x0 prediction, normalised features ``[B, T, F]``, mask ``[B, T]``):
* ``L_simple``: masked MSE between predicted and true x0 (MDM).
* ``L_acc`` (Häusler et al.): ``imusim.acc_loss`` between predicted and true x0, weight
  ``lambda_acc``; on the normalised 263-d features (``acc_on="features"``, as the paper), on joint
  positions recovered from the features (``"positions"``, m/s² with dt = 1/fps), or on the virtual
  IMU signals of the sensors ``imu_sensors`` (``"imu"``, our extension, :func:`imu_signal_loss`).
* Optional MDM geometric losses on recovered positions: ``lambda_pos``, ``lambda_vel`` and the foot contact
  loss ``lambda_fc`` (:func:`foot_contact_loss`: the predicted feet must not move where the ground truth's
  contact labels say they stand; ``fc_contact="pred"``: where the prediction's own contact channels say so, a
  self-consistency term that does not tie the feet to the ground truth's phase); ``fc_grad="root"``: the term's
  gradient reaches only the root channels (0:4), so the root trajectory must follow the standing foot and the body
  cannot meet the term by standing still (docs/realism.md §10).
* ``lambda_imu``: the IMU-space term (:func:`imu_signal_loss`) added beside whichever L_acc ``acc_on`` selects,
  so the paper's feature loss and the sensor-level term can be weighted independently.
* ``lambda_spec``: the sensor-level band-power term (:func:`imu_spectrum_loss`): how much the virtual sensors move
  in each frequency band, compared per sequence in log space and blind to phase.
* ``aux_t_max``: the imu, spec and foot contact terms only on the x0 predictions of the steps t < aux_t_max.
* ``train_t_max``: train on the steps t < train_t_max only (a low-noise expert for ``imusim experts``).
* ``anchor_feet`` = A > 0: the x0 predictions of the steps t < A pass through
  :func:`imusim.motion.quality.anchor_root_features` before every loss (differentiably), exactly as
  ``sample(anchor_feet=A)`` corrects them: a root-from-feet output parameterisation, in which the root's horizontal
  velocity in the frames the prediction's own contact channels mark as standing is the standing foot's motion
  relative to the body, so the losses on the root train the legs and the contact channels (docs/realism.md §13).
  The checkpoint records ``meta.sampling.anchor_feet`` = A so that its samples are drawn the way it was trained.

Reproducibility and DDP: every random draw of a step (batch indices, crops, t, noise, condition
dropout) comes from one generator seeded identically on every rank; each rank then takes its slice
of the global batch, so K processes see exactly the samples one process would (up to dropout inside
the network, which is per-rank).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch
import torch.nn.functional as Fnn

from .. import acc_loss
from ..ops.acc_loss import term_mask
from ..constants import GRAVITY, HUMANML3D_FPS
from .checkpoint import ANCHOR_CONTACTS, ANCHOR_SMOOTH_MAX, load_checkpoint, save_checkpoint
from .gaussian import GaussianDiffusion, is_timestep
from .model import MDM, MDMConfig, estimate_feature_psd
from .text import get_text_encoder
from ..motion.quality import crop_moves, joint_acc_per_joint  # noqa: F401  (the gates' statistic; re-exported)


@dataclass
class TrainConfig:
    steps: int = 10000
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 0.0
    warmup: int = 200
    ema_decay: float = 0.999
    grad_clip: float = 1.0
    lambda_acc: float = 0.0
    acc_on: str = "features"
    acc_t_max: int = 0
    loss_weight: str = "x0"
    imu_sensors: str = "wrist_l,wrist_r,thigh_l,thigh_r"
    lambda_pos: float = 0.0
    lambda_vel: float = 0.0
    lambda_fc: float = 0.0
    fc_contact: str = "truth"  # whose contact channels mark the standing frames of --lambda-fc: "truth" or "pred"
    fc_grad: str = "all"  # which predicted channels --lambda-fc moves: "all" or "root" (0:4, the body detached)
    lambda_imu: float = 0.0
    lambda_spec: float = 0.0
    aux_t_max: int = 0
    train_t_max: int = 0  # > 0: draw the training steps t from [0, train_t_max) only (a low-noise expert)
    train_t_min: int = 0  # > 0: draw them from [train_t_min, ...) only (a high-noise expert; imusim hightune's recipe)
    anchor_feet: int = 0  # > 0: the x0 predictions of the steps t < anchor_feet go through anchor_root_features
    lambda_root_raw: float = 0.0  # with anchor_feet: weight of the MSE of the raw (unanchored) root velocity output
    anchor_contact: str = "channels"  # joints the anchor may hold: "channels" (predicted labels), "height" (within 5 cm
    # of the floor) or "union" (either)
    anchor_smooth: float = 0.0  # the anchored root velocity smoothed in time by a Gaussian of this sigma (frames)
    lambda_root_speed: float = 0.0  # weight of the phase-blind root speed term (clip-mean horizontal speed, (m/s)^2)
    lambda_toe_swing: float = 0.0  # weight of the phase-blind toe swing term (clip-mean toe height and speed)
    toe_floor: str = "own"  # the toe swing term's floor: each clip's own lowest toe point, or the truth's for both
    lambda_kurtosis: float = 0.0  # weight of the phase-blind acceleration kurtosis term (every step, all joints)
    seed: int = 0
    amp: bool = False
    compile: bool = False
    max_frames: int = 196
    min_frames: int = 40
    fps: float = HUMANML3D_FPS
    log_every: int = 50
    ckpt_every: int = 1000
    snapshot_every: int = 0
    text_encoder: str = "minilm"
    diffusion_steps: int = 1000
    text_whiten: float = 0.0  # > 0: whiten the text embeddings by the training captions' covariance, eigenvalues
    # floored at this fraction of the largest (whiten_text; a loaded model keeps its function); 0: off


class MotionTextData:
    """In-memory training data: normalised features, captions (several per clip), activity labels.

    ``clips``: list of dicts with ``features`` ``[T, F]`` float32 (raw, not normalised), ``captions``
    (list of str), ``activity`` (str). ``mean``/``std`` ``[F]``. Memory-mapped features (data sets built
    from full HumanML3D) stay on disk and are normalised when a batch reads them.
    """

    def __init__(self, clips: List[Dict[str, Any]], mean: torch.Tensor, std: torch.Tensor):
        if not clips:
            raise ValueError("MotionTextData: no clips")
        self.mean, self.std = mean.float(), std.float()
        self.feats = _NormalisedClips([c["features"] for c in clips], self.mean, self.std)
        self.captions = [list(c["captions"]) for c in clips]
        self.activity = [c.get("activity", "") for c in clips]

    def caption_embeddings(self, encoder) -> Dict[str, torch.Tensor]:
        """Every distinct caption's embedding ``[text_dim]`` (float32) by ``encoder``, in sorted caption order,
        encoded once: the table the training steps look their batches' captions up in."""
        caps = sorted({c for cs in self.captions for c in cs})
        return dict(zip(caps, encoder.encode(caps).float()))

    def __len__(self):
        return len(self.feats)

    def batch(self, idx: List[int], gen: torch.Generator, max_frames: int, min_frames: int):
        """Random crops (length ∈ [min_frames, max_frames], bounded by the clip) padded to a batch."""
        F = self.feats[0].shape[1]
        out = torch.zeros(len(idx), max_frames, F)
        mask = torch.zeros(len(idx), max_frames, dtype=torch.bool)
        caps = []
        for k, i in enumerate(idx):
            x = self.feats[i]
            T = x.shape[0]
            hi = min(T, max_frames)
            lo = min(min_frames, hi)
            L = int(torch.randint(lo, hi + 1, (1,), generator=gen))
            s = int(torch.randint(0, T - L + 1, (1,), generator=gen))
            out[k, :L] = x[s:s + L]
            mask[k, :L] = True
            c = self.captions[i]
            caps.append(c[int(torch.randint(0, len(c), (1,), generator=gen))])
        return out, mask, caps


class _NormalisedClips:
    """``(x − mean) / std`` per clip: in-memory clips once up front, memory-mapped ones on each access."""

    def __init__(self, raw, mean, std):
        import numpy as np

        self.mean, self.std = mean, std
        self.items = [x if isinstance(x, np.memmap) else (torch.as_tensor(x).float() - mean) / std for x in raw]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        x = self.items[i]
        if isinstance(x, torch.Tensor):
            return x
        import numpy as np
        return (torch.from_numpy(np.array(x, dtype=np.float32)) - self.mean) / self.std


def _dist():
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    return cfg.lr


def _counts(mask: torch.Tensor, F: int):
    """(valid frames·F, valid second-difference terms·F) of a batch mask ``[B, T]``."""
    terms = term_mask(mask).sum()
    return float(mask.sum()) * F, float(terms) * F


def _hold_last_valid(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x [B, T, ...]`` with every padded frame replaced by the sequence's last valid frame."""
    B, T = mask.shape
    n = mask.sum(1).clamp_min(1)
    idx = torch.minimum(torch.arange(T, device=x.device).expand(B, T), (n - 1)[:, None])
    return x.gather(1, idx.view(B, T, *([1] * (x.dim() - 2))).expand_as(x))


def _check_feature_pair(name: str, pred_feats, true_feats, mask) -> None:
    if pred_feats.shape != true_feats.shape or pred_feats.dim() != 3:
        raise ValueError(f"{name}: pred_feats and true_feats must both be [B, T, 263], got "
                         f"{list(pred_feats.shape)} and {list(true_feats.shape)}")
    if mask.shape != pred_feats.shape[:2]:
        raise ValueError(f"{name}: mask must be [B, T] = {list(pred_feats.shape[:2])}, got {list(mask.shape)}")


def _imu_of_features(feats: torch.Tensor, mask: torch.Tensor, sensors, fps: float):
    """The virtual IMU of denormalised features ``[B, T, 263]`` the way ``imusim generate`` renders generated
    motion: ``recover_from_ric`` → bone lengths of SMPL22 → IK → :func:`imusim.synthesize_imu` at ``fps``
    (``acc``/``gyro`` ``[B, T-2, S, 3]``). Padded frames hold the last valid frame (no NaN gradients)."""
    from ..imu import synthesize_imu
    from ..kinematics.ik import positions_to_rotations, rescale_positions
    from ..kinematics.presets import SMPL22
    from ..motion.humanml import recover_from_ric
    from ..ops._validate import trusted_rotations

    P = _hold_last_valid(recover_from_ric(feats, 22), mask)
    local, root = positions_to_rotations(rescale_positions(P, SMPL22), SMPL22)
    with trusted_rotations():  # IK output is orthonormal by construction; no host read in the step
        return synthesize_imu(local, root, SMPL22, sensors, fps)


def imu_signal_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                    sensors="wrist_l,wrist_r,thigh_l,thigh_r", fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """L_acc on virtual IMU signals (our extension of the paper's loss).

    Both feature sequences ``[B, T, 263]`` (denormalised) go the way generated motions go in
    ``imusim generate``: ``recover_from_ric`` → bone lengths of SMPL22 → IK → :func:`imusim.synthesize_imu`
    at ``fps``; the loss is the masked mean of ``|acc_p − acc_t|² / g² + |gyro_p − gyro_t|²`` (acc in
    m/s², so 1 g of error weighs like 1 rad/s) over the valid output frames (those whose three
    neighbouring input frames are valid) and the sensors. Padded frames hold the last valid frame, so
    the padding cannot inject NaN gradients. Differentiable w.r.t. ``pred_feats``.
    """
    _check_feature_pair("imu_signal_loss", pred_feats, true_feats, mask)
    outs = [_imu_of_features(f, mask, sensors, fps) for f in (pred_feats, true_feats)]
    terms = term_mask(mask).to(pred_feats.dtype)  # [B, T-2]
    d = ((outs[0].acc - outs[1].acc).square().sum(-1) / GRAVITY ** 2
         + (outs[0].gyro - outs[1].gyro).square().sum(-1))  # [B, T-2, S]
    return (d * terms[..., None]).sum() / (terms.sum() * d.shape[-1]).clamp_min(1.0)


def masked_band_powers(x: torch.Tensor, n: torch.Tensor, rate: float, bands=None) -> torch.Tensor:
    """Differentiable band powers of variable-length signals, as ``imusim realism`` measures them.

    ``x`` ``[B, T, ..., C]``: the first ``n[b]`` samples of sequence ``b`` are valid (a prefix; the rest is
    ignored), ``C`` vector components whose powers add up (the three axes of an accelerometer). Per sequence:
    the mean of the valid samples removed, a periodic Hann taper over them, zero-padded to ``T``, the one-sided
    Welch density with one segment (:func:`imusim.har.realism.acc_psd`), summed over ``C`` and over the bins
    ``lo ≤ f < hi`` of each band (the band reaching the Nyquist frequency includes it) times the bin width.
    For ``n = T`` it equals :func:`imusim.har.realism.band_powers` of :func:`~imusim.har.realism.acc_psd`;
    the bands sum to the taper-weighted variance. ``bands``: ``[(lo, hi), ...]`` Hz, default the realism
    report's (those above the Nyquist frequency dropped). Returns ``[B, ..., n_bands]`` (unit of x, squared).
    """
    from ..imu.bands import BANDS_HZ, band_bins

    if x.dim() < 3:
        raise ValueError(f"masked_band_powers: x must be [B, T, ..., C], got shape {list(x.shape)}")
    B, T = x.shape[:2]
    if n.shape != (B,):
        raise ValueError(f"masked_band_powers: n must be [B] = [{B}], got {list(n.shape)}")
    if not rate > 0:
        raise ValueError(f"masked_band_powers: rate must be > 0 Hz, got {rate}")
    tt = torch.arange(T, device=x.device, dtype=x.dtype)
    nn_ = n.to(x.dtype).clamp_min(1)[:, None]
    valid = tt[None] < nn_  # [B, T]
    w = torch.where(valid, 0.5 - 0.5 * torch.cos(2 * math.pi * tt[None] / nn_), torch.zeros((), dtype=x.dtype,
                                                                                          device=x.device))
    shape = (B, T) + (1,) * (x.dim() - 2)
    vm = valid.to(x.dtype).view(shape)
    mean = (x * vm).sum(1, keepdim=True) / nn_.view((B, 1) + (1,) * (x.dim() - 2))
    X = torch.fft.rfft((x - mean) * w.view(shape), n=T, dim=1)
    p = X.real.square() + X.imag.square()  # [B, K, ..., C]
    K = p.shape[1]
    one_sided = torch.full((K,), 2.0, dtype=x.dtype, device=x.device)
    one_sided[0] = 1.0
    if T % 2 == 0:
        one_sided[-1] = 1.0
    # [B, K]: the density's scaling per sequence (a sequence of < 2 valid samples has a zero taper: power 0)
    scale = one_sided / (rate * w.square().sum(1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny))
    p = p.sum(-1) * scale.view((B, K) + (1,) * (x.dim() - 3)) * (rate / T)  # power per bin [B, K, ...]
    f = torch.arange(K, dtype=torch.float64) * (rate / T)
    sels = [b for b in band_bins(f, rate, BANDS_HZ if bands is None else bands) if b is not None]
    outs = [p[:, sel.to(x.device)].sum(1) for sel in sels]
    return torch.stack(outs, -1)


def _check_band_pair(name: str, pred: torch.Tensor, true: torch.Tensor, floor: float) -> None:
    """The band-power terms' shared argument checks; the error names the caller ``name``."""
    if pred.shape != true.shape:
        raise ValueError(f"{name}: pred and true must have the same shape, got {list(pred.shape)} "
                         f"and {list(true.shape)}")
    if not floor > 0:
        raise ValueError(f"{name}: floor must be > 0, got {floor}")


def band_log_distance(pred: torch.Tensor, true: torch.Tensor, n: torch.Tensor, rate: float,
                      floor: float, one_sided_above: Optional[float] = None, bands=None) -> torch.Tensor:
    """Per sequence ``[B]``: the mean over the middle dimensions and the bands of
    ``(log(P_pred + floor²) − log(P_true + floor²))²``, with ``P`` the band powers of :func:`masked_band_powers`
    of ``pred``/``true`` ``[B, T, ..., C]`` (first ``n[b]`` samples valid) and ``floor`` in the signals' unit.
    ``one_sided_above`` = f (Hz): the bands whose lower edge is at or above f count only where ``pred`` has more
    power than ``true`` (the log ratio clipped at 0 from below), the bands below f both ways. ``bands``:
    ``[(lo, hi), ...]`` Hz (default the realism report's, :data:`imusim.imu.bands.BANDS_HZ`)."""
    _check_band_pair("band_log_distance", pred, true, floor)
    f = one_sided_above
    if f is not None and (isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 <= f < math.inf):
        raise ValueError(f"band_log_distance: one_sided_above must be a frequency >= 0 Hz or None, got "
                         f"{one_sided_above!r}")
    from ..imu.bands import BANDS_HZ, band_edges
    bands = BANDS_HZ if bands is None else bands
    lp, lt = (torch.log(masked_band_powers(x, n, rate, bands) + floor ** 2) for x in (pred, true))
    d = lp - lt
    if one_sided_above is not None:
        lows = [e[0] for e in band_edges(rate, bands) if e is not None]
        up = torch.tensor([lo >= one_sided_above for lo in lows], device=d.device)
        d = torch.where(up, torch.relu(d), d)
    return d.square().flatten(1).mean(1)


# where generated wrists carry 2-4x the mocap's power (docs/realism.md §18.3)
EXCESS_BANDS_HZ = ((3.0, 6.0), (6.0, 10.0))


def band_log_excess(pred: torch.Tensor, true: torch.Tensor, n: torch.Tensor, rate: float, floor: float,
                    bands=EXCESS_BANDS_HZ) -> torch.Tensor:
    """Per sequence ``[B]``: the mean over the middle dimensions and ``bands`` of
    ``relu(log(P_pred + floor²) − log(P_true + floor²))²``: :func:`band_log_distance` counted one way, where ``pred``
    has *more* power than ``true`` (less costs nothing). ``pred``/``true`` ``[B, T, ..., C]`` (first ``n[b]``
    samples valid), ``floor`` in the signals' unit, ``bands`` ``[(lo, hi), ...]`` Hz below the Nyquist frequency."""
    if pred.shape != true.shape:
        raise ValueError(f"band_log_excess: pred and true must have the same shape, got {list(pred.shape)} "
                         f"and {list(true.shape)}")
    bands = [tuple(map(float, b)) for b in bands]
    if not bands or any(not (0 <= lo < hi <= rate / 2) for lo, hi in bands):
        raise ValueError(f"band_log_excess: bands must be (lo, hi) Hz with 0 <= lo < hi <= the Nyquist frequency "
                         f"{rate / 2:g}, got {bands}")
    return band_log_distance(pred, true, n, rate, floor, one_sided_above=0.0, bands=bands)


def _selected(who: str, sel: torch.Tensor, select: Optional[torch.Tensor]) -> torch.Tensor:
    """``sel`` (bool ``[B]``: the sequences a term can read) and, where given, ``select`` (bool ``[B]``: those the
    caller asks for); ValueError naming ``who`` for a ``select`` of another shape or dtype."""
    if select is None:
        return sel
    if select.shape != sel.shape or select.dtype != torch.bool:
        raise ValueError(f"{who}: select must be a bool tensor of shape {tuple(sel.shape)}, got "
                         f"{select.dtype} {tuple(select.shape)}")
    return sel & select.to(sel.device)


def imu_excess_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                    sensors="wrist_l,wrist_r,thigh_l,thigh_r", fps: float = HUMANML3D_FPS, acc_floor: float = 0.3,
                    bands=EXCESS_BANDS_HZ, min_samples: int = 8, select: Optional[torch.Tensor] = None
                    ) -> torch.Tensor:
    """A one-sided sensor-level term: the accelerometer power that ``pred_feats`` puts into ``bands`` (default
    3–6 and 6–10 Hz at 20 fps) *beyond* what ``true_feats`` has there (docs/realism.md §22).

    Both ``[B, T, 263]`` (denormalised) are rendered as :func:`imu_spectrum_loss` renders them; per sequence and
    sensor, :func:`band_log_excess` of the accelerometers (m/s², mean removed) with ``acc_floor`` m/s² RMS per band
    (a difference below it hardly counts, so a sample that stands is not asked to be stiller than a capture's
    noise); the mean over the sequences with at least ``min_samples`` valid output frames (0 with none). Blind to
    phase like :func:`imu_spectrum_loss`, and unlike it blind to a deficit: it can lower the impulsive part of a
    sample's acceleration but never asks for more motion. ``select`` (bool ``[B]``, optional): only those sequences
    count (e.g. the crops below a joint-acceleration gate, docs/realism.md §39). Differentiable w.r.t.
    ``pred_feats``."""
    _check_feature_pair("imu_excess_loss", pred_feats, true_feats, mask)
    outs = [_imu_of_features(f, mask, sensors, fps) for f in (pred_feats, true_feats)]
    n = term_mask(mask).sum(1)
    sel = _selected("imu_excess_loss", n >= min_samples, select)
    d = band_log_excess(outs[0].acc, outs[1].acc, n, fps, acc_floor, bands)
    d = torch.where(sel, d, torch.zeros((), dtype=d.dtype, device=d.device))
    return d.sum() / sel.sum().clamp_min(1).to(d.dtype)


def band_ratio_excess(pred: torch.Tensor, true: torch.Tensor, n: torch.Tensor, rate: float, split_hz: float,
                      floor: float) -> torch.Tensor:
    """Per sequence ``[B]``: the mean over the middle dimensions of ``relu(ρ_pred − ρ_true)²``, with
    ``ρ = log(P_hi + floor²) − log(P_lo + floor²)`` the log ratio of the power from ``split_hz`` to the Nyquist
    frequency (``P_hi``) to the power below it (``P_lo``), :func:`masked_band_powers` of ``pred``/``true``
    ``[B, T, ..., C]`` (first ``n[b]`` samples valid; ``floor`` in the signals' unit). Blind to phase and to
    amplitude: a signal scaled by k keeps its ratio, so damping cannot lower it; only a shape with less high-band
    power *relative to* its low band can, and a ratio below the truth's costs nothing (docs/realism.md §23)."""
    _check_band_pair("band_ratio_excess", pred, true, floor)
    if isinstance(split_hz, bool) or not isinstance(split_hz, (int, float)) or not 0 < split_hz < rate / 2:
        raise ValueError(f"band_ratio_excess: split_hz must be in (0, the Nyquist frequency {rate / 2:g}) Hz, got "
                         f"{split_hz!r}")
    bands = ((0.0, float(split_hz)), (float(split_hz), rate / 2))
    lp, lt = (torch.log(masked_band_powers(x, n, rate, bands) + floor ** 2) for x in (pred, true))
    d = torch.relu((lp[..., 1] - lp[..., 0]) - (lt[..., 1] - lt[..., 0]))  # [B, ...]
    return d.square().reshape(d.shape[0], -1).mean(1)


def band_log_ratio_spread(pred: torch.Tensor, ref: torch.Tensor, n: torch.Tensor, rate: float,
                          band=(0.0, 3.0), floor: float = 0.3, moving: float = 1.0) -> torch.Tensor:
    """How unevenly ``pred`` scales ``ref``, sequence by sequence (docs/realism.md §28): per middle index (sensor),
    the variance over the sequences of ``r_b = log(P_pred + floor²) − log(P_ref + floor²)``, ``P`` the power of
    ``band`` (Hz) by :func:`masked_band_powers` of ``pred``/``ref`` ``[B, T, ..., C]`` (first ``n[b]`` samples valid);
    only the sequences whose ``ref`` moves in the band (RMS ≥ ``moving``, the signals' unit) count, a middle index
    with fewer than two of them counts 0; the mean over the middle indices. Scaling every sequence by one factor
    costs nothing (so a common damping, or none, is free); damping one sequence more than the others costs the
    squared log of how much more, around the batch's mean ratio. Differentiable w.r.t. ``pred``."""
    _check_band_pair("band_log_ratio_spread", pred, ref, floor)
    if not (isinstance(band, (tuple, list)) and len(band) == 2 and 0 <= band[0] < band[1]):
        raise ValueError(f"band_log_ratio_spread: band must be (lo, hi) Hz with 0 <= lo < hi, got {band!r}")
    pp, pr = (masked_band_powers(x, n, rate, [tuple(band)])[..., 0] for x in (pred, ref))  # [B, ...]
    r = torch.log(pp + floor ** 2) - torch.log(pr + floor ** 2)
    w = (pr.detach() >= moving ** 2).to(r.dtype)
    cnt = w.sum(0)  # [...]
    mu = (r * w).sum(0) / cnt.clamp_min(1.0)
    var = ((r - mu).square() * w).sum(0) / cnt.clamp_min(1.0)
    var = torch.where(cnt >= 2, var, torch.zeros((), dtype=var.dtype, device=var.device))
    return var.mean()


def imu_keep_spread_loss(pred_feats: torch.Tensor, ref_feats: torch.Tensor, mask: torch.Tensor,
                         sensors="wrist_l,wrist_r,thigh_l,thigh_r", fps: float = HUMANML3D_FPS,
                         band=(0.0, 3.0), floor: float = 0.3, moving: float = 1.0) -> torch.Tensor:
    """:func:`band_log_ratio_spread` of the accelerometers (m/s², gravity included, mean removed) of ``pred_feats``
    against ``ref_feats`` (both ``[B, T, 263]`` denormalised, rendered as :func:`imu_spectrum_loss` renders them):
    how unevenly one motion's swing is scaled against another's, sensor by sensor. selftune's ``ref_feats`` is the
    high expert's own finish of the same hand-over state, so the term leaves a common damping alone and takes out a
    selective one (the near-still walkers of docs/realism.md §27.4). Differentiable w.r.t. ``pred_feats``."""
    _check_feature_pair("imu_keep_spread_loss", pred_feats, ref_feats, mask)
    outs = [_imu_of_features(f, mask, sensors, fps) for f in (pred_feats, ref_feats)]
    return band_log_ratio_spread(outs[0].acc, outs[1].acc, term_mask(mask).sum(1), fps, band, floor, moving)


# SMPL22's wrists (left, right): where the generated texture is measured (docs/realism.md §22.1)
WRIST_JOINTS = (20, 21)


def texture_ratio_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                       fps: float = HUMANML3D_FPS, split_hz: float = 3.0, floor: float = 0.3,
                       joints=WRIST_JOINTS, min_samples: int = 8) -> torch.Tensor:
    """A phase- and amplitude-blind term on the shape of the wrists' motion (docs/realism.md §23): the texture
    (acceleration power from ``split_hz`` up) over the swing (below it) of ``pred_feats`` beyond that ratio in
    ``true_feats``.

    Both ``[B, T, 263]`` (denormalised HumanML3D features) are decoded with ``recover_from_ric`` (padded frames hold
    the last valid one); per sequence and joint of ``joints`` (SMPL22 indices), the acceleration is the second
    difference of the joint's world position times ``fps``² (m/s², ``[B, T-2, J, 3]``, mean removed by
    :func:`masked_band_powers`), and the term is :func:`band_ratio_excess` with ``floor`` m/s² RMS per band; the mean
    over the sequences with at least ``min_samples`` valid acceleration frames (0 with none). A motion that moves its
    wrists as the truth does, but smaller, larger or later, scores 0; one whose swing carries a jerky texture scores
    (log of the excess ratio)². Differentiable w.r.t. ``pred_feats``."""
    from ..motion.humanml import recover_from_ric

    _check_feature_pair("texture_ratio_loss", pred_feats, true_feats, mask)
    J = list(joints)
    if not J or any(not 0 <= j < 22 for j in J):
        raise ValueError(f"texture_ratio_loss: joints must be SMPL22 indices in [0, 22), got {joints!r}")

    def acc(f):
        P = _hold_last_valid(recover_from_ric(f, 22), mask)[:, :, J]  # [B, T, J, 3]
        return (P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * fps ** 2

    n = term_mask(mask).sum(1)
    sel = n >= min_samples
    d = band_ratio_excess(acc(pred_feats), acc(true_feats), n, fps, split_hz, floor)
    d = torch.where(sel, d, torch.zeros((), dtype=d.dtype, device=d.device))
    return d.sum() / sel.sum().clamp_min(1).to(d.dtype)


def bone_length_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                     joints=None) -> torch.Tensor:
    """How far the bones of ``pred_feats`` are from those of ``true_feats`` (docs/realism.md §23.2), cm².

    Both ``[B, T, 263]`` (denormalised HumanML3D features) are decoded with ``recover_from_ric``; per frame, the
    length of the bone ending at each SMPL22 joint of ``joints`` (default: all 21 non-root joints) is the distance
    to its parent; the term is the mean over the valid frames of ``mask`` ``[B, T]``, the joints and the sequences
    of ``(L_pred − L_true)²`` ×10⁴. The rendering rescales every bone to the body model's length (``imusim
    generate``, :func:`imu_signal_loss`), so a sensor-level term cannot see a bone's length; this term does. A
    forearm 6 cm too long on every frame scores 36 / 21 with all joints, 36 with ``joints=(21,)``. Differentiable
    w.r.t. ``pred_feats``."""
    from ..kinematics.presets import SMPL22
    from ..motion.humanml import recover_from_ric

    _check_feature_pair("bone_length_loss", pred_feats, true_feats, mask)
    J = list(range(1, 22)) if joints is None else list(joints)
    if not J or any(isinstance(j, bool) or not 1 <= int(j) < 22 for j in J):
        raise ValueError(f"bone_length_loss: joints must be SMPL22 indices in [1, 22) (a bone ends at each), "
                         f"got {joints!r}")
    par = [SMPL22.parents[j] for j in J]

    def lengths(f):
        P = recover_from_ric(f, 22)
        return (P[:, :, J] - P[:, :, par]).norm(dim=-1)  # [B, T, J]

    d2 = (lengths(pred_feats) - lengths(true_feats)).square().mean(-1) * 1e4  # [B, T]
    m = mask.to(d2.dtype)
    return (d2 * m).sum() / m.sum().clamp_min(1.0)


LOWER_BODY = (0, 1, 2, 4, 5, 7, 8, 10, 11)  # SMPL22 pelvis, hips, knees, ankles, feet
ARMS = (18, 19, 20, 21)  # SMPL22 elbows and wrists


GESTURE_FLOOR = 0.5  # m/s²: the floor under the pelvis in crop_gestures' ratio


def arms_over_pelvis(a: torch.Tensor, floor: float = GESTURE_FLOOR) -> torch.Tensor:
    """The ratio that :func:`crop_gestures` compares with ``min_ratio``, from per-joint mean accelerations ``a``
    ``[B, 22]`` (:func:`joint_acc_per_joint`, m/s²): the most active elbow or wrist over the pelvis plus ``floor``
    ``[B]`` (also for reports: how far each crop is from the gate)."""
    return a[:, list(ARMS)].amax(-1) / (a[:, 0] + floor)


@torch.no_grad()
def crop_gestures(true_feats: torch.Tensor, mask: torch.Tensor, min_ratio: float, floor: float = GESTURE_FLOOR,
                  fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """Which sequences of ``true_feats`` ``[B, T, 263]`` (denormalised) are arm gestures: the most active joint of
    :data:`ARMS` (elbows, wrists) moves at ``min_ratio`` times the pelvis or more, ``max_arm a ≥ min_ratio ·
    (a_pelvis + floor)`` with ``a`` the mean acceleration magnitude (:func:`joint_acc_per_joint`, m/s²); bool ``[B]``.
    The floor keeps a body at rest with a twitching hand out. Physical, not a caption pattern: in the shipped data
    set's training crops a ratio of 6 selects waves, raised arms and goodbyes, while walks (median ratio 2.1) and
    runs (2.7) stay out (docs/realism.md §26)."""
    from ..motion.humanml import recover_from_ric

    if not (min_ratio > 0 and floor > 0):
        raise ValueError(f"crop_gestures: min_ratio and floor must be > 0, got {min_ratio}, {floor}")
    return arms_over_pelvis(joint_acc_per_joint(recover_from_ric(true_feats, 22), mask, fps), floor) >= min_ratio


def joint_acc_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor, joints=LOWER_BODY,
                   min_true: float = 0.0, floor: float = 0.5, fps: float = HUMANML3D_FPS,
                   select: Optional[torch.Tensor] = None) -> torch.Tensor:
    """How far the joint acceleration of ``pred_feats`` is from that of ``true_feats`` (docs/realism.md §25).

    Both ``[B, T, 263]`` (denormalised HumanML3D features) are decoded with ``recover_from_ric`` (global positions,
    the motion evaluation's); per sequence and SMPL22 joint of ``joints`` (default :data:`LOWER_BODY`) the mean
    acceleration magnitude (:func:`joint_acc_per_joint`, m/s² at ``fps``) is compared in log space,
    ``(log(a_pred + floor) − log(a_true + floor))²``, mean over the joints and over the sequences whose crop moves
    at ``min_true`` m/s² or more (the mean over all 22 joints; e.g. 10 selects runs and jumps, not walks: the real
    test clips walk at 5.9 and run at 16.2). Blind to phase (a sample is a new performance of the caption); it
    penalises damping and excess alike. No sequence selected: 0 (with a graph). ``mask`` ``[B, T]`` bool prefixes.
    ``select`` (bool ``[B]``, e.g. :func:`crop_gestures`): the sequences to count instead of the ``min_true`` gate
    (which must then be 0). Differentiable w.r.t. ``pred_feats``."""
    from ..motion.humanml import recover_from_ric

    _check_feature_pair("joint_acc_loss", pred_feats, true_feats, mask)
    J = list(joints)
    if not J or any(isinstance(j, bool) or not 0 <= int(j) < 22 for j in J):
        raise ValueError(f"joint_acc_loss: joints must be SMPL22 indices in [0, 22), got {joints!r}")
    if not (min_true >= 0 and floor > 0):
        raise ValueError(f"joint_acc_loss: min_true must be >= 0 and floor > 0 (m/s^2), got {min_true}, {floor}")
    if select is not None:
        if min_true != 0:
            raise ValueError(f"joint_acc_loss: give select or min_true, not both (min_true {min_true})")
        if select.shape != pred_feats.shape[:1] or select.dtype != torch.bool:
            raise ValueError(f"joint_acc_loss: select must be bool [{pred_feats.shape[0]}], got "
                             f"{select.dtype} {list(select.shape)}")
    a_pred = joint_acc_per_joint(recover_from_ric(pred_feats, 22), mask, fps)  # [B, 22]
    with torch.no_grad():
        a_true = joint_acc_per_joint(recover_from_ric(true_feats, 22), mask, fps)
    sel = (a_true.mean(-1) >= min_true if select is None else select.to(a_true.device)).to(a_pred.dtype)  # [B]
    d = (torch.log(a_pred[:, J] + floor) - torch.log(a_true[:, J] + floor)).square().mean(-1)  # [B]
    return (d * sel).sum() / sel.sum().clamp_min(1.0)


def imu_spectrum_loss(pred_feats: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                      sensors="wrist_l,wrist_r,thigh_l,thigh_r", fps: float = HUMANML3D_FPS,
                      acc_floor: float = 0.1, gyro_floor: float = 0.05, min_samples: int = 8,
                      one_sided_above: Optional[float] = None, select: Optional[torch.Tensor] = None
                      ) -> torch.Tensor:
    """A sensor-level term that matches how much each band moves, not when (our extension; docs/realism.md §8).

    Both feature sequences ``[B, T, 263]`` (denormalised) are rendered as :func:`imu_signal_loss` renders them;
    per sequence and sensor, the band powers (:func:`masked_band_powers`, the realism report's 0–1, 1–3, 3–6,
    6–10 Hz at 20 fps) of the accelerometer (m/s², gravity included, its mean removed) and of the gyroscope
    (rad/s) are compared in log space: the mean over sequences, sensors, bands and the two signals of
    ``(log(P_pred + floor²) − log(P_true + floor²))²``, with ``acc_floor`` m/s² and ``gyro_floor`` rad/s (the RMS
    per band below which a difference stops counting, so still sensors are not fitted to their numerical noise).
    Unlike the per-frame L_acc it is blind to phase: a prediction that swings the arm as hard as the ground
    truth but half a step later scores 0, and one that halves the swing scores (log 4)², so it cannot reward
    damping. Sequences with fewer than ``min_samples`` valid output frames (``mask`` a prefix mask; all-False
    rows select nothing) are left out; with none left the loss is 0. Differentiable w.r.t. ``pred_feats``.
    ``one_sided_above`` (Hz; :func:`band_log_distance`): the bands from there up count only an excess, so a motion
    is asked to move as much as the truth below it and at most as much above it (docs/realism.md §22).
    ``select`` (bool ``[B]``, optional): only those sequences count (docs/realism.md §39).
    """
    _check_feature_pair("imu_spectrum_loss", pred_feats, true_feats, mask)
    outs = [_imu_of_features(f, mask, sensors, fps) for f in (pred_feats, true_feats)]
    n = term_mask(mask).sum(1)  # valid output frames [B]
    sel = _selected("imu_spectrum_loss", n >= min_samples, select)
    d = (band_log_distance(outs[0].acc, outs[1].acc, n, fps, acc_floor, one_sided_above)
         + band_log_distance(outs[0].gyro, outs[1].gyro, n, fps, gyro_floor, one_sided_above)) / 2
    d = torch.where(sel, d, torch.zeros((), dtype=d.dtype, device=d.device))  # no NaN from left-out rows
    return d.sum() / sel.sum().clamp_min(1).to(d.dtype)


def foot_contact_loss(pred_joints: torch.Tensor, true_feats: torch.Tensor, mask: torch.Tensor,
                      fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """MDM's foot contact loss: the squared velocity (m²/s²) of the predicted foot joints in the frames where
    the HumanML3D contact channels (259:263: left ankle, left toe, right ankle, right toe) of ``true_feats`` say
    the foot stands, averaged over the valid frame pairs and the four feet (so a model whose feet never skate
    scores 0, and one whose standing feet slide at 0.5 m/s everywhere scores 0.25).

    ``pred_joints`` ``[B, T, 22, 3]`` (m, from ``recover_from_ric``), ``true_feats`` ``[B, T, 263]``
    (denormalised): the ground truth (MDM) or the prediction's own features, detached (``fc_contact="pred"``);
    ``mask`` ``[B, T]`` bool. Contact at frame t is about the displacement t → t+1 (as
    ``features_from_positions`` labels it), so it weighs ``pred_joints[:, t+1] − pred_joints[:, t]``.
    """
    from ..motion.humanml import FEET_L, FEET_R, FOOT_CONTACT
    if pred_joints.dim() != 4 or pred_joints.shape[2:] != (22, 3):
        raise ValueError(f"foot_contact_loss: pred_joints must be [B, T, 22, 3], got {list(pred_joints.shape)}")
    if true_feats.shape[:2] != pred_joints.shape[:2] or true_feats.shape[-1] != 263:
        raise ValueError(f"foot_contact_loss: true_feats must be [B, T, 263] = {list(pred_joints.shape[:2]) + [263]}, "
                         f"got {list(true_feats.shape)}")
    if mask.shape != pred_joints.shape[:2]:
        raise ValueError(f"foot_contact_loss: mask must be [B, T] = {list(pred_joints.shape[:2])}, "
                         f"got {list(mask.shape)}")
    feet = pred_joints[:, :, [*FEET_L, *FEET_R]]  # the order of the contact channels
    v = (feet[:, 1:] - feet[:, :-1]) * fps  # [B, T-1, 4, 3]
    pair = (mask[:, 1:] & mask[:, :-1])[..., None]  # [B, T-1, 1]
    contact = (true_feats[:, :-1, FOOT_CONTACT] > 0.5) & pair  # [B, T-1, 4]
    v2 = torch.where(contact, v.square().sum(-1), torch.zeros((), dtype=v.dtype, device=v.device))
    return v2.sum() / (pair.sum() * 4).clamp_min(1)


def anchor_prediction(pred: torch.Tensor, mask: torch.Tensor, t: torch.Tensor, below_t: int, mean, std,
                      contact: str = "channels", smooth: float = 0.0) -> torch.Tensor:
    """Normalised x0 predictions ``pred`` ``[B, T, 263]`` whose samples at steps ``t < below_t`` have their root
    velocity channels (1:3) in the valid frames replaced by those of :func:`imusim.motion.quality.anchor_root_features`
    (``contact="channels"``: the prediction's own contact channels > 0.5; ``"union"``: those or a foot joint within
    5 cm of the motion's floor; ``"height"``: only the latter; ``smooth``: the anchored root velocity's Gaussian
    sigma in time, frames; ``mask`` ``[B, T]`` bool prefix); every other value is ``pred``'s own. Used by training
    (``anchor_feet``) and by :func:`sample`; differentiable, no host synchronisation."""
    from ..motion.quality import anchor_root_features
    if mean is None or std is None:
        raise ValueError("anchor_prediction: anchor_feet needs the feature mean and std")
    if pred.shape[-1] != 263:
        raise ValueError(f"anchor_prediction: anchor_feet needs HumanML3D's 263 features, got {pred.shape[-1]}")
    mean, std = mean.to(pred), std.to(pred)
    root = (anchor_root_features(pred * std + mean, contact=contact, mask=mask, smooth=smooth)[..., 1:3]
            - mean[1:3]) / std[1:3]
    sel = ((t < below_t)[:, None] & mask)[..., None]
    return torch.cat([pred[..., :1], torch.where(sel, root, pred[..., 1:3]), pred[..., 3:]], -1)


def diffusion_losses(model, diffusion: GaussianDiffusion, x0, mask, emb, t, noise, uncond, cfg: TrainConfig,
                     mean=None, std=None, counts=None, scale: float = 1.0) -> Dict[str, torch.Tensor]:
    """All loss terms of one batch; ``total`` is the weighted sum.

    ``counts`` = (frames·F, terms·F) of the GLOBAL batch (``_counts``) and ``scale`` = world size, so
    that the DDP average of the per-rank losses equals the single-process mean exactly. Defaults:
    this batch's own counts, scale 1.
    """
    xt = diffusion.q_sample(x0, t, noise)
    pred = model(xt, t, emb, mask, uncond=uncond).to(x0.dtype)  # autocast (--amp) returns bf16/fp16
    raw = pred
    if cfg.anchor_feet > 0:  # the root follows the predicted standing foot, as sample(anchor_feet=A) makes it
        pred = anchor_prediction(pred, mask, t, cfg.anchor_feet, mean, std, cfg.anchor_contact, cfg.anchor_smooth)
    m = mask[..., None].to(pred.dtype)
    F = x0.shape[-1]
    n_frames, n_terms = counts if counts is not None else _counts(mask, F)
    if cfg.loss_weight == "x0":  # MDM: plain MSE on x0
        l_simple = ((pred - x0) ** 2 * m).sum() * (scale / max(n_frames, 1.0))
    elif cfg.loss_weight == "v":  # the MSE on v = √ᾱ ε − √(1−ᾱ) x0: |x̂0 − x0|² / (1 − ᾱ_t) (SNR + 1 weighting)
        w = 1.0 / diffusion._take("one_minus_ab", t, pred)  # 1 − ᾱ in float64 (4e-5 at t = 0)
        l_simple = ((pred - x0) ** 2 * m * w).sum() * (scale / max(n_frames, 1.0))
    else:
        raise ValueError(f"loss_weight must be 'x0' or 'v', got {cfg.loss_weight!r}")
    out = {"l_simple": l_simple}
    total = l_simple
    need_pos = (cfg.lambda_pos > 0 or cfg.lambda_vel > 0 or cfg.lambda_fc > 0 or cfg.lambda_toe_swing > 0
                or cfg.lambda_kurtosis > 0 or cfg.acc_on == "positions")
    if need_pos:
        from ..motion.humanml import recover_from_ric
        pj = recover_from_ric(pred * std + mean, 22)
        tj = recover_from_ric(x0 * std + mean, 22)
    # L_acc is always computed (logged); it only enters the total when lambda_acc > 0.
    # acc_t_max > 0: only the x0 predictions of the low-noise steps t < acc_t_max enter L_acc (the others are
    # masked out and the mean is over the selected samples' terms); see TrainConfig / docs/realism.md
    amask, a_terms, a_scale = mask, n_terms, scale
    if cfg.acc_t_max > 0:
        amask = mask & (t < cfg.acc_t_max)[:, None]
        a_terms, a_scale = _counts(amask, F)[1], 1.0  # this rank's selection (DDP: a per-rank mean)
    with torch.enable_grad() if cfg.lambda_acc > 0 else torch.no_grad():
        if cfg.acc_on == "features":
            l_acc = acc_loss(pred, x0, amask, reduction="sum") * (a_scale / max(a_terms, 1.0))
        elif cfg.acc_on == "positions":
            l_acc = acc_loss(pj, tj, amask, dt=1.0 / cfg.fps, reduction="sum") * (a_scale * F / 66 / max(a_terms, 1.0))
        elif cfg.acc_on == "imu":
            l_acc = imu_signal_loss(pred * std + mean, x0 * std + mean, amask, cfg.imu_sensors, fps=cfg.fps)
        else:
            raise ValueError(f"acc_on must be 'features', 'positions' or 'imu', got {cfg.acc_on!r}")
    out["l_acc"] = l_acc
    if cfg.lambda_acc > 0:
        total = total + cfg.lambda_acc * l_acc
    # the sensor-level and foot contact terms, optionally only on the low-noise predictions t < aux_t_max (mean
    # over the selected samples): at high noise the best x0 prediction is an average motion, and pulling its feet
    # or sensors towards the ground truth's pulls the model towards motions that stand still (docs/realism.md §7)
    xmask = mask & (t < cfg.aux_t_max)[:, None] if cfg.aux_t_max > 0 else mask
    if cfg.lambda_imu > 0:
        out["l_imu"] = imu_signal_loss(pred * std + mean, x0 * std + mean, xmask, cfg.imu_sensors, fps=cfg.fps)
        total = total + cfg.lambda_imu * out["l_imu"]
    if cfg.lambda_spec > 0:
        out["l_spec"] = imu_spectrum_loss(pred * std + mean, x0 * std + mean, xmask, cfg.imu_sensors, fps=cfg.fps)
        total = total + cfg.lambda_spec * out["l_spec"]
    if cfg.lambda_fc > 0:
        if cfg.fc_contact not in ("truth", "pred"):
            raise ValueError(f"fc_contact must be 'truth' or 'pred', got {cfg.fc_contact!r}")
        # "pred": the prediction's own contact channels, detached (the term moves the feet, not the labels)
        cf = x0 * std + mean if cfg.fc_contact == "truth" else (pred * std + mean).detach()
        if cfg.fc_grad == "all":
            fj = pj
        elif cfg.fc_grad == "root":  # the body's channels detached: only the root trajectory may follow the feet
            from ..motion.humanml import recover_from_ric
            pd = pred * std + mean
            fj = recover_from_ric(torch.cat([pd[..., :4], pd[..., 4:].detach()], -1), 22)
        else:
            raise ValueError(f"fc_grad must be 'all' or 'root', got {cfg.fc_grad!r}")
        out["l_fc"] = foot_contact_loss(fj, cf, xmask, cfg.fps)
        total = total + cfg.lambda_fc * out["l_fc"]
    if cfg.lambda_pos > 0:
        mj = mask[..., None, None].to(pj.dtype)
        out["l_pos"] = ((pj - tj) ** 2 * mj).sum() / (mj.sum() * 66).clamp_min(1)
        total = total + cfg.lambda_pos * out["l_pos"]
    if cfg.lambda_vel > 0:
        mv = (mask[:, 1:] & mask[:, :-1])[..., None, None].to(pj.dtype)
        dv = (pj[:, 1:] - pj[:, :-1]) - (tj[:, 1:] - tj[:, :-1])
        out["l_vel"] = (dv ** 2 * mv).sum() / (mv.sum() * 66).clamp_min(1)
        total = total + cfg.lambda_vel * out["l_vel"]
    if cfg.lambda_root_raw > 0:
        # the raw root velocity output (channels 1:3) before the anchor replaced it: in standing frames the anchored
        # value does not depend on it, yet it decides which foot joint the anchor holds (docs/realism.md §13)
        if cfg.anchor_feet <= 0:
            raise ValueError("lambda_root_raw needs anchor_feet > 0 (without the anchor L_simple trains the root)")
        mr = (mask & (t < cfg.anchor_feet)[:, None])[..., None].to(raw.dtype)
        out["l_root_raw"] = ((raw[..., 1:3] - x0[..., 1:3]) ** 2 * mr).sum() / (mr.sum() * 2).clamp_min(1)
        total = total + cfg.lambda_root_raw * out["l_root_raw"]
    # the phase-blind gait terms' samples: t < anchor_feet (else aux_t_max, else all)
    t_sel = cfg.anchor_feet if cfg.anchor_feet > 0 else cfg.aux_t_max
    gmask = mask & (t < t_sel)[:, None] if t_sel > 0 else mask
    if cfg.lambda_root_speed > 0:
        # phase-blind: each clip's mean horizontal root speed (m/s, from the root velocity channels 1:3 in m/frame, the
        # anchored ones with anchor_feet) against the truth's. Whatever the phase of the steps, a walker whose root
        # travels too little is penalised: the anchor plants the feet, this term asks the planted feet to travel as
        # far as the truth's (docs/realism.md section 14)
        out["l_root_speed"] = root_speed_loss(pred * std + mean, x0 * std + mean, gmask, cfg.fps)
        total = total + cfg.lambda_root_speed * out["l_root_speed"]
    if cfg.lambda_toe_swing > 0:
        # phase-blind like the root speed term, on the same samples: how high and how fast the toes swing over the
        # clip, against the truth's (the anchored walkers shuffle: toes 5.5 cm high at 1.9 m/s p90 against 8.0 cm and
        # 3.6 m/s real, docs/realism.md §15.1)
        out["l_toe_swing"] = toe_swing_loss(pj, tj, gmask, cfg.fps, floor=cfg.toe_floor)
        total = total + cfg.lambda_toe_swing * out["l_toe_swing"]
    if cfg.lambda_kurtosis > 0:
        # phase- and scale-blind: how impulsive each joint's acceleration is over the clip (generated wrists are
        # twice as impulsive as real ones at the same RMS, docs/realism.md §18), on every step's prediction
        out["l_kurtosis"] = acc_kurtosis_loss(pj, tj, mask, cfg.fps)
        total = total + cfg.lambda_kurtosis * out["l_kurtosis"]
    out["total"] = total
    return out


KURTOSIS_FLOOR = 1.0  # m/s²: accelerations well below it (a still joint) read kurtosis ~1 whatever their shape


def acc_kurtosis_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, fps: float) -> torch.Tensor:
    """Phase- and scale-blind impulsiveness term: mean over the clips with three valid frames or more and the 22
    joints of (log κ_pred − log κ_true)², with κ = (m4 + A⁴) / (m2 + A²)² of the joint's acceleration magnitude
    a_t = |x[t+1] − 2x[t] + x[t−1]|·fps² over the clip's valid frame triples (m2, m4: the means of a², a⁴;
    A = ``KURTOSIS_FLOOR``). κ is 1 for a constant |a| (a circle), 1.5 for a sine, T for one spike in T samples:
    it reads the shape of the acceleration, not its amplitude (much above A) or when it happens.

    pred, target: joint positions ``[B, T, 22, 3]`` (m); mask: bool ``[B, T]``. Returns a scalar."""
    if pred.shape != target.shape or pred.dim() != 4 or pred.shape[-1] != 3:
        raise ValueError(f"acc_kurtosis_loss: pred and target must be joint positions [B, T, J, 3] of one shape, "
                         f"got {tuple(pred.shape)} and {tuple(target.shape)}")
    if mask.shape != pred.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(f"acc_kurtosis_loss: mask must be bool [B, T] = {tuple(pred.shape[:2])}, got "
                         f"{mask.dtype} {tuple(mask.shape)}")
    m3 = (mask[:, 2:] & mask[:, 1:-1] & mask[:, :-2]).to(pred.dtype)[..., None]  # [B, T-2, 1]
    n = m3.sum(1)  # [B, 1]
    sel = n[:, 0] > 0
    A2 = KURTOSIS_FLOOR ** 2

    def logk(P):  # [B, J]
        a2 = ((P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * fps ** 2).square().sum(-1)  # [B, T-2, J] = |a|²
        m2 = (a2 * m3).sum(1) / n.clamp_min(1)
        m4 = (a2.square() * m3).sum(1) / n.clamp_min(1)
        return torch.log(m4 + A2 * A2) - 2 * torch.log(m2 + A2)

    d = (logk(pred) - logk(target)).square().mean(-1)  # [B]
    return (d * sel.to(d.dtype)).sum() / sel.sum().clamp_min(1).to(d.dtype)


TOE_JOINTS = (10, 11)  # SMPL22 left_foot, right_foot: the toes of the skating and gait measures
TOE_HEIGHT_SCALE = 0.1  # m: a toe height difference of this size weighs as much as 1 m/s of toe speed


def toe_swing_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, fps: float,
                   floor: str = "own") -> torch.Tensor:
    """Phase-blind toe swing term: mean over the clips with two valid frames or more of
    (s_pred − s_true)² + ((h_pred − h_true) / TOE_HEIGHT_SCALE)², where s is a clip's mean horizontal toe speed (m/s,
    over its valid frame pairs and both toes) and h its mean toe height above the clip's lowest toe point (m, over
    its valid frames). Blind to when the steps happen: a gait that lifts and swings its feet as much as the truth's
    meets it at any phase. ``floor="target"`` measures both heights above the truth's lowest toe point instead, a
    floor the prediction's jitter cannot lower (with its own floor, a jittery prediction reads higher than it is).

    pred, target: joint positions ``[B, T, 22, 3]`` (m, y up); mask: bool ``[B, T]``. Returns a scalar.
    """
    if pred.shape != target.shape or pred.dim() != 4 or pred.shape[-2:] != (22, 3):
        raise ValueError(f"toe_swing_loss: pred and target must be joint positions [B, T, 22, 3] of one shape, got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    if floor not in ("own", "target"):
        raise ValueError(f"toe_swing_loss: floor must be 'own' or 'target', got {floor!r}")
    if mask.shape != pred.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(f"toe_swing_loss: mask must be bool [B, T] = {tuple(pred.shape[:2])}, got "
                         f"{mask.dtype} {tuple(mask.shape)}")
    m = mask.to(pred.dtype)
    mv = (mask[:, 1:] & mask[:, :-1]).to(pred.dtype)
    sel = mv.sum(1) > 0

    def lowest(P):  # [B]: the clip's lowest toe point over its valid frames (0 for an empty clip)
        y = P[:, :, list(TOE_JOINTS), 1]
        f = torch.where(mask[..., None], y, torch.full_like(y, float("inf"))).amin((1, 2))
        return torch.where(torch.isfinite(f), f, torch.zeros_like(f))

    def stats(P, ground):  # ([B] m/s, [B] m)
        toes = P[:, :, list(TOE_JOINTS)]  # [B, T, 2, 3]
        d = toes[:, 1:, :, [0, 2]] - toes[:, :-1, :, [0, 2]]
        v = torch.sqrt((d ** 2).sum(-1) + 1e-12).mean(-1) * fps  # [B, T-1]; the floor keeps the gradient finite
        s = (v * mv).sum(1) / mv.sum(1).clamp_min(1)
        h = ((toes[..., 1].mean(-1) - ground[:, None]) * m).sum(1) / m.sum(1).clamp_min(1)
        return s, h

    ground_t = lowest(target)
    sp, hp = stats(pred, ground_t if floor == "target" else lowest(pred))
    st, ht = stats(target, ground_t)
    d = (sp - st) ** 2 + ((hp - ht) / TOE_HEIGHT_SCALE) ** 2
    return (d * sel.to(d.dtype)).sum() / sel.sum().clamp_min(1).to(d.dtype)


def root_speed_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, fps: float) -> torch.Tensor:
    """Phase-blind root speed term: mean over the clips with a valid frame of (s_pred − s_true)², where s is a
    clip's mean horizontal root speed in m/s over its valid frames, from HumanML3D's root linear velocity channels
    1:3 (m per frame, unnormalised features).

    pred, target: ``[B, T, F]`` (F ≥ 3) unnormalised features; mask: bool ``[B, T]``. Returns a scalar in (m/s)².
    """
    if pred.shape != target.shape or pred.dim() != 3 or pred.shape[-1] < 3:
        raise ValueError(f"root_speed_loss: pred and target must be [B, T, F>=3] of one shape, got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    if mask.shape != pred.shape[:2]:
        raise ValueError(f"root_speed_loss: mask must be [B, T] = {tuple(pred.shape[:2])}, got {tuple(mask.shape)}")
    m = mask.to(pred.dtype)
    n = m.sum(1)
    sel = n > 0

    def speed(x):  # [B] m/s; the tiny floor keeps the norm's gradient finite at zero velocity
        v = torch.sqrt((x[..., 1:3] ** 2).sum(-1) + 1e-12) * fps
        return (v * m).sum(1) / n.clamp_min(1)

    d = (speed(pred) - speed(target)) ** 2
    return (d * sel.to(d.dtype)).sum() / sel.sum().clamp_min(1).to(d.dtype)



def _host_batch(data: "MotionTextData", cfg: TrainConfig, step: int, cond_drop_prob: float, emb_table: dict):
    """Every random draw of step ``step`` (crops, t, noise, condition dropout) from one host generator seeded
    by the step, the same on every rank, and the global loss normalisers: ``((x0, mask, t, noise, uncond,
    emb), counts)``, CPU tensors of the global batch."""
    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    idx = torch.randint(0, len(data), (cfg.batch_size,), generator=gen).tolist()
    x0, mask, caps = data.batch(idx, gen, cfg.max_frames, cfg.min_frames)
    if not 0 <= cfg.train_t_max <= cfg.diffusion_steps:
        raise ValueError(f"train_t_max must be in [0, {cfg.diffusion_steps}] (0: every step), got {cfg.train_t_max}")
    hi = cfg.train_t_max or cfg.diffusion_steps
    if not 0 <= cfg.train_t_min < hi:
        raise ValueError(f"train_t_min must be in [0, {hi}) (below train_t_max, or the diffusion steps when that is 0), "
                         f"got {cfg.train_t_min}")
    t = torch.randint(cfg.train_t_min, hi, (cfg.batch_size,), generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    uncond = torch.rand(cfg.batch_size, generator=gen) < cond_drop_prob
    counts = _counts(mask, x0.shape[-1])  # global normalisers (see diffusion_losses)
    emb = torch.stack([emb_table[c] for c in caps])
    return (x0, mask, t, noise, uncond, emb), counts


def _to_device(tensors, dev: torch.device) -> list:
    """Host tensors onto ``dev``: through pinned memory and ``non_blocking`` on CUDA, so the copy does not wait
    for the work already queued on the stream (a pageable copy would)."""
    if dev.type != "cuda":
        return [v.to(dev) for v in tensors]
    return [v.contiguous().pin_memory().to(dev, non_blocking=True) for v in tensors]


def _device_step(fwd_model, model, ema, opt, scaler, diffusion, batch, cfg: TrainConfig, mean, std, counts, world: int,
                 step: int, amp_dtype) -> Dict[str, torch.Tensor]:
    """One optimisation step on the device (losses, backward, clipping, optimiser, EMA). Reads nothing back
    to the host (tests/diffusion/test_device_residency.py); returns the detached losses (device tensors)."""
    x0, mask, t, noise, uncond, emb = batch
    dev = x0.device
    # the model's own random condition dropout is replaced by the global draw in _host_batch
    saved_p = model.cfg.cond_drop_prob
    model.cfg.cond_drop_prob = 0.0
    for g in opt.param_groups:
        g["lr"] = lr_at(step, cfg)
    with torch.autocast(dev.type, dtype=amp_dtype, enabled=cfg.amp):
        losses = diffusion_losses(fwd_model, diffusion, x0, mask, emb, t, noise, uncond, cfg, mean, std, counts,
                                  float(world))
    model.cfg.cond_drop_prob = saved_p
    opt.zero_grad(set_to_none=True)
    scaler.scale(losses["total"]).backward()
    scaler.unscale_(opt)
    if cfg.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    scaler.step(opt)
    scaler.update()
    with torch.no_grad():
        d = min(cfg.ema_decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(list(ema.parameters()), [p.detach() for p in model.parameters()], 1 - d)
    return {k: v.detach() for k, v in losses.items()}


def reparameterise(model: MDM, feats, input: Optional[str] = None, output: Optional[str] = None) -> MDM:
    """A copy of ``model`` that reads ``input`` and/or predicts through ``output`` (MDMConfig.input/output), with
    the same weights; a new ``wiener_f`` input gets its prior spectrum from ``feats`` (normalised ``[T, F]``
    sequences). The network's function changes: fine-tune it afterwards."""
    new, missing = _rebuilt("reparameterise", model, {"input_psd"},
                            **{k: v for k, v in (("input", input), ("output", output)) if v})
    if "input_psd" in missing:
        _set_wiener_prior(new, feats)
    return new


def _rebuilt(caller: str, model: MDM, new_buffers: set, **changes):
    """``(MDM(model.cfg with changes) holding model's weights, the names it has that model had not)``; any other
    difference is an error naming ``caller`` (the weights must carry over)."""
    import dataclasses

    new = MDM(dataclasses.replace(model.cfg, **changes))
    missing, unexpected = new.load_state_dict(model.state_dict(), strict=False)
    if unexpected or set(missing) - new_buffers:
        raise ValueError(f"{caller}: weights do not carry over (missing {missing}, unexpected {unexpected})")
    return new, set(missing)


def whiten_text(model: MDM, emb: torch.Tensor, eps: float = 1e-2, preserve: bool = True) -> MDM:
    """A copy of ``model`` (arch "imusim") that whitens its text embedding before ``text_proj``:
    ``z = (e − μ) @ W`` with μ the mean and ``W = V diag((λ + eps·λ_max)^-½) Vᵀ`` the inverse square root of the
    covariance of ``emb`` ``[N, text_dim]`` (the training captions' embeddings), so that the directions in which
    captions differ only slightly (a pace word: cosine 0.95 where a style adverb is 0.84) reach the network at the
    same scale as the large ones. ``preserve``: ``text_proj`` is changed to ``L W⁻¹``, ``b + L μ``, so the
    network's function is unchanged (for fine-tuning a trained model); else the weights are kept as they are (a new
    model). The unconditional token (the condition zeroed after ``text_proj``) is unaffected either way."""
    if model.cfg.arch != "imusim":
        raise ValueError(f"whiten_text: arch must be 'imusim', got {model.cfg.arch!r}")
    if emb.dim() != 2 or emb.shape[1] != model.cfg.text_dim or emb.shape[0] < 2:
        raise ValueError(f"whiten_text: emb must be [N >= 2, {model.cfg.text_dim}], got {list(emb.shape)}")
    if not eps > 0:
        raise ValueError(f"whiten_text: eps must be > 0 (the eigenvalue floor, relative), got {eps}")
    if model.cfg.text_whiten:
        raise ValueError("whiten_text: the model already whitens its text embedding")
    e = emb.detach().double().cpu()
    mu = e.mean(0)
    lam, V = torch.linalg.eigh(torch.cov((e - mu).T))
    lam = lam.clamp_min(0) + eps * float(lam[-1])
    W = V @ torch.diag(lam.rsqrt()) @ V.T
    W_inv = V @ torch.diag(lam.sqrt()) @ V.T
    new, _ = _rebuilt("whiten_text", model, {"text_mu", "text_W"}, text_whiten=True)
    with torch.no_grad():
        new.text_mu.copy_(mu.float())
        new.text_W.copy_(W.float())
        if preserve:
            L = model.text_proj.weight.detach().double().cpu()
            b = model.text_proj.bias.detach().double().cpu()
            new.text_proj.weight.copy_((L @ W_inv).float())
            new.text_proj.bias.copy_((b + L @ mu).float())
    return new.to(next(model.parameters()).device)


def _set_wiener_prior(model: MDM, feats) -> None:
    """The prior spectrum of a ``wiener_f`` model's input (``input_psd``), estimated from the training features."""
    model.input_psd.copy_(estimate_feature_psd(feats))


def train(data: MotionTextData, out_dir, cfg: TrainConfig, model_cfg: Optional[MDMConfig] = None,
          init_from: Optional[str] = None, resume: bool = False, device: str = "cpu",
          progress: bool = True, text_encoder=None, meta: Optional[Dict[str, Any]] = None,
          reparam: Optional[Dict[str, str]] = None) -> Path:
    """Train (or fine-tune from ``init_from``) and write ``out_dir/model.safetensors`` (EMA weights),
    ``out_dir/train_state.pt`` (for ``resume``) and ``out_dir/metrics.csv``. Returns the checkpoint path.

    ``reparam``: with ``init_from``, convert the loaded model's ``input`` and/or ``output`` parameterisation
    (MDMConfig fields) before training, keeping its weights (:func:`reparameterise`)."""
    rank, world = _dist()
    if cfg.anchor_contact not in ANCHOR_CONTACTS:
        raise ValueError(f"anchor_contact must be one of {list(ANCHOR_CONTACTS)}, got {cfg.anchor_contact!r}")
    if not 0 <= cfg.anchor_smooth <= ANCHOR_SMOOTH_MAX:
        raise ValueError(f"anchor_smooth must be in [0, {ANCHOR_SMOOTH_MAX:g}] frames, got {cfg.anchor_smooth}")
    if not cfg.text_whiten >= 0:
        raise ValueError(f"text_whiten must be >= 0 (the eigenvalue floor, relative; 0: off), got {cfg.text_whiten}")
    if not 0 <= cfg.anchor_feet <= cfg.diffusion_steps:
        raise ValueError(f"anchor_feet must be in [0, {cfg.diffusion_steps}] (0: off), got {cfg.anchor_feet}")
    out_dir = Path(out_dir)
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device)
    enc = text_encoder or get_text_encoder(cfg.text_encoder, device="cpu")
    if init_from:
        model, _, _, enc_name, _ = load_checkpoint(init_from, device="cpu")
        if not isinstance(model, MDM):
            raise ValueError(f"init_from {init_from}: a two-expert checkpoint cannot be fine-tuned; fine-tune one of "
                             f"its experts (meta.experts names them)")
        if enc_name != enc.name:
            raise ValueError(f"init_from checkpoint uses text encoder {enc_name!r}, training uses {enc.name!r}")
        if reparam:
            model = reparameterise(model, data.feats, **reparam)
        model.train()
    else:
        mc = model_cfg or MDMConfig()
        mc.n_feats = data.feats[0].shape[1]
        mc.text_dim = enc.dim
        model = MDM(mc)
        if mc.input == "wiener_f":
            _set_wiener_prior(model, data.feats)
    # caption embeddings once
    emb_table = data.caption_embeddings(enc)
    if cfg.text_whiten > 0 and not model.cfg.text_whiten:
        model = whiten_text(model, torch.stack(list(emb_table.values())), cfg.text_whiten,
                            preserve=bool(init_from))  # a new module: in training mode
    model.to(dev)
    ema = MDM(model.cfg).to(dev)
    ema.load_state_dict(model.state_dict())
    ema.eval().requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    diffusion = GaussianDiffusion(cfg.diffusion_steps)
    step = 0
    state_path = out_dir / "train_state.pt"
    if resume and state_path.exists():
        st = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(st["model"])
        ema.load_state_dict(st["ema"])
        opt.load_state_dict(st["optim"])
        step = int(st["step"])
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)
    fwd_model = torch.compile(net) if cfg.compile else net

    mean, std = data.mean.to(dev), data.std.to(dev)
    local = cfg.batch_size // world
    if local * world != cfg.batch_size:
        raise ValueError(f"batch_size {cfg.batch_size} must be divisible by the world size {world}")

    metrics_f = None
    writer = None
    if rank == 0:
        new = not (out_dir / "metrics.csv").exists() or not resume
        metrics_f = open(out_dir / "metrics.csv", "w" if new else "a", newline="")
        mw = csv.writer(metrics_f)
        if new:
            mw.writerow(["step", "total", "l_simple", "l_acc", "lr", "seconds", "l_imu", "l_fc", "l_spec", "l_root_raw", "l_root_speed",
                         "l_toe_swing", "l_kurtosis"])
        try:
            from torch.utils.tensorboard import SummaryWriter  # optional
            writer = SummaryWriter(str(out_dir / "tb"))
        except Exception:
            writer = None
    bar = None
    if progress and rank == 0:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.steps, initial=step, desc="train", unit="step")
    t0 = time.time()
    # bf16 autocast where the device has it (no loss scaling, so no GradScaler host sync per step); fp16 + scaler
    # on older GPUs
    bf16 = dev.type == "cpu" or (dev.type == "cuda" and torch.cuda.is_bf16_supported())
    amp_dtype = torch.bfloat16 if bf16 else torch.float16
    scaler = torch.amp.GradScaler(enabled=cfg.amp and not bf16)
    model.train()
    while step < cfg.steps:
        host, counts = _host_batch(data, cfg, step, model.cfg.cond_drop_prob, emb_table)
        sl = slice(rank * local, (rank + 1) * local)
        x0, mask, t, noise, uncond, emb = _to_device([v[sl] for v in host], dev)
        losses = _device_step(fwd_model, model, ema, opt, scaler, diffusion, (x0, mask, t, noise, uncond, emb), cfg,
                              mean, std, counts, world, step, amp_dtype)
        step += 1
        if bar:
            bar.update(1)
        # losses are read back to the host only here (every log_every steps): a read is a device sync
        log_now = step % cfg.log_every == 0 or step == cfg.steps
        if log_now and world > 1:  # the global values: mean over ranks of the (world-scaled) local shares
            import torch.distributed as dist
            keys = sorted(losses)
            buf = torch.stack([losses[k].detach().float() for k in keys]).to(dev)
            dist.all_reduce(buf)
            losses = {k: v / world for k, v in zip(keys, buf)}
        if rank == 0:
            if log_now:
                vals = {k: float(v.detach()) for k, v in losses.items()}
                if bar:
                    bar.set_postfix(loss=f"{vals['total']:.4f}", acc=f"{vals.get('l_acc', 0):.4f}")
                mw.writerow([step, vals["total"], vals["l_simple"], vals.get("l_acc", ""), lr_at(step, cfg),
                             round(time.time() - t0, 2), vals.get("l_imu", ""), vals.get("l_fc", ""),
                             vals.get("l_spec", ""), vals.get("l_root_raw", ""),
                             vals.get("l_root_speed", ""), vals.get("l_toe_swing", ""), vals.get("l_kurtosis", "")])
                metrics_f.flush()
                if writer:
                    for k, v in vals.items():
                        writer.add_scalar(k, v, step)
            if (step % cfg.ckpt_every == 0 or step == cfg.steps
                    or (cfg.snapshot_every and step % cfg.snapshot_every == 0)):
                _save(out_dir, model, ema, opt, step, data, enc, cfg, meta)
    if bar:
        bar.close()
    if metrics_f:
        metrics_f.close()
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
    return out_dir / "model.safetensors"


def _save(out_dir: Path, model, ema, opt, step, data, enc, cfg, meta):
    m = dict(meta or {})
    m.update({"step": step, "train_config": asdict(cfg)})
    if cfg.anchor_feet:  # sampled the way it was trained (recommended_anchor_feet)
        m["sampling"] = {**m.get("sampling", {}), "anchor_feet": int(cfg.anchor_feet)}
        if cfg.anchor_contact != "channels":
            m["sampling"]["anchor_contact"] = cfg.anchor_contact
        if cfg.anchor_smooth:
            m["sampling"]["anchor_smooth"] = float(cfg.anchor_smooth)
    save_checkpoint(out_dir / "model.safetensors", ema, data.mean, data.std, enc.name, m)
    if cfg.snapshot_every and step % cfg.snapshot_every == 0:  # kept copies for training-length curves
        save_checkpoint(out_dir / f"model_step{step:06d}.safetensors", ema, data.mean, data.std, enc.name, m)
    tmp = out_dir / "train_state.pt.tmp"
    torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "optim": opt.state_dict(),
                "step": torch.tensor(step)}, tmp)
    tmp.replace(out_dir / "train_state.pt")


def predict_x0(model, x, t, emb, mask, step_mask, guidance: float, anchor_feet: int = 0, mean=None, std=None,
               contact: str = "channels", smooth: float = 0.0, precision: str = "fp32") -> torch.Tensor:
    """The sampler's x0 prediction at ``x`` ``[B, T, F]`` (normalised), steps ``t`` ``[B]`` (all on one side of
    ``anchor_feet``): classifier-free guidance at ``guidance`` (the network sees ``step_mask``), then, at steps
    t < ``anchor_feet``, the root anchored on the standing foot in each motion's own frames ``mask`` (float64, as
    in training). What :func:`sample` runs at every step; differentiable (the self-sampled fine-tune backpropagates
    through it)."""
    with torch.autocast(torch.device(x.device).type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        x0 = model.guided(x, t, emb, step_mask, guidance).float()
    if anchor_feet and int(t[0]) < anchor_feet:
        x0 = anchor_prediction(x0.double(), mask, t, anchor_feet, mean.double(), std.double(), contact,
                               smooth).float()
    return x0


MDM_CANVAS = 196  # HumanML3D's max_motion_length: the canvas MDM trains and samples on


@torch.no_grad()
def sample(model: MDM, mean, std, text_encoder, prompts: List[str], lengths: List[int], *,
           steps: int = 50, guidance: float = 2.5, seed: int = 0, sampler: str = "ddim",
           progress: bool = False, device=None, seeds=None, precision: str = "fp32", anchor_feet: int = 0,
           observe=None, stop_t: Optional[int] = None):
    """Generate motions: returns raw (de-normalised) features ``[B, T_max, F]`` and mask ``[B, T_max]``.

    ``seeds`` (one per prompt, DDIM only): each sample's initial noise comes from its own seed, so a
    sample does not depend on what else is in the batch (the bulk generator relies on this).
    ``precision="bf16"`` runs the network under bfloat16 autocast (matmuls in bf16 with fp32
    accumulation; the sampler's arithmetic stays fp32): ~1.6x faster on CPUs with AVX512-BF16, features
    within ~0.2 % of fp32.

    Models of MDM's architecture (``arch="mdm"`` without ``mask_frames``) attend to every frame and were
    trained on zero-padded canvases of ``MDM_CANVAS`` frames; as MDM's own sampler does, they are sampled
    on the whole canvas without masking (``T_max`` is then at least 196) and each motion is its first
    ``lengths[i]`` frames.

    ``anchor_feet`` = A > 0: at the steps t < A, each x0 prediction's root linear velocity is corrected so the root
    follows the foot that its own contact channels say stands (:func:`imusim.motion.quality.anchor_root_features`)
    before the sampler continues from it: A = 1 corrects only the final motion, A = 1000 every step (a projection
    inside the sampler; docs/realism.md §10).

    ``observe(k, i, x0)`` (DDIM only): called with each step's index k, timestep i and x0 prediction (normalised by
    the model's ``mean``/``std``, ``[B, T_max, F]``), for probes of the sampling chain
    (scripts/chain_speed_probe.py).

    ``stop_t`` (DDIM only): the chain ends at the x0 prediction of its last step at t >= ``stop_t``
    (:meth:`GaussianDiffusion.ddim_sample`); None: the checkpoint's recorded value (``model.sample_stop_t``, set by
    :func:`~imusim.diffusion.checkpoint.load_checkpoint` from ``meta.sampling.stop_t``), else 0 (the whole chain).

    A routed pair (:class:`~imusim.diffusion.experts.ExpertPair` with a ``moving`` expert) is routed per motion from
    its last high-noise step's x0 prediction (docs/realism.md §40)."""
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"sample: precision must be 'fp32' or 'bf16', got {precision!r}")
    device = device or next(model.parameters()).device
    B, T = len(prompts), max(lengths)
    canvas = getattr(model.cfg, "arch", "imusim") == "mdm" and not model.cfg.mask_frames
    if canvas:
        T = max(T, MDM_CANVAS)
    mask = (torch.arange(T)[None] < torch.tensor(lengths)[:, None]).to(device)
    step_mask = None if canvas else mask
    emb = text_encoder.encode(list(prompts)).to(device)
    diffusion = GaussianDiffusion(1000)
    gen = torch.Generator(device="cpu").manual_seed(seed)

    if not 0 <= int(anchor_feet) <= diffusion.steps:
        raise ValueError(f"sample: anchor_feet must be in [0, {diffusion.steps}], got {anchor_feet}")
    if anchor_feet and model.cfg.n_feats != 263:
        raise ValueError(f"sample: anchor_feet needs HumanML3D's 263 features, the model has {model.cfg.n_feats}")
    contact = getattr(model, "anchor_contact", "channels")  # set by load_checkpoint from the checkpoint's metadata
    smooth = getattr(model, "anchor_smooth", 0.0)

    routed = bool(getattr(model, "routed", False))  # a routed pair (ExpertPair): routed at the hand-over
    hand_over = {}  # the latest high-noise x0 prediction (a routed pair's only)
    if routed:
        model.clear_route()

    def fn(x, t):
        high = int(t[0]) >= getattr(model, "below_t", 0)
        if routed and not high and model.route is None and "x0" in hand_over:  # the first low-noise step
            model.set_route(hand_over.pop("x0") * std.to(x) + mean.to(x), mask)
        x0 = predict_x0(model, x, t, emb, mask, step_mask, guidance, anchor_feet, mean, std, contact, smooth,
                        precision)
        if routed and high:  # the last high-noise step's prediction decides
            hand_over["x0"] = x0
        return x0
    shape = (B, T, model.cfg.n_feats)
    stop_t = int(getattr(model, "sample_stop_t", 0)) if stop_t is None else stop_t
    if not is_timestep(stop_t, diffusion.steps):
        raise ValueError(f"sample: stop_t must be an integer step in [0, {diffusion.steps - 1}], got {stop_t!r}")
    if sampler == "ddpm":
        if observe is not None:
            raise ValueError("sample: observe is a DDIM hook; sampler='ddpm' does not call it")
        if stop_t:
            raise ValueError(f"sample: stop_t={stop_t} ends the DDIM chain early; sampler='ddpm' has no such option "
                             "(pass stop_t=0, or sampler='ddim')")
        x = diffusion.ddpm_sample(fn, shape, mask=step_mask, generator=gen, progress=progress, device=device)
    else:
        noise = None
        if seeds is not None:
            noise = torch.stack([torch.randn(shape[1:], generator=torch.Generator().manual_seed(int(s) % 2 ** 63))
                                 for s in seeds])
        x = diffusion.ddim_sample(fn, shape, steps=steps, mask=step_mask, generator=gen, progress=progress, noise=noise,
                                  device=device, observe=observe, stop_t=stop_t)
    return x * std.to(x) + mean.to(x), mask
