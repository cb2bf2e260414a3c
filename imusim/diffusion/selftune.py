"""Self-sampled fine-tune of a two-expert checkpoint's low-noise network (docs/realism.md §19).

Every training term of the earlier rounds sees the *noised ground truth*: the network's prediction from
``q(x_t | x0)``. The samples never pass there: at the low-noise steps the sampler feeds the network its own earlier
outputs, and the wrists of the shipped ``refined`` come out with 2–4× the real 3–10 Hz power and 1.3–1.6× the real
crest factor (§18.3) although the same terms were applied to its low expert. This fine-tune trains the low expert
on its **own sampled trajectories** (in the spirit of DRaFT, Clark et al. 2023, "Directly fine-tuning diffusion
models on differentiable rewards"):

1. A pool of hand-over states: ``pool`` random training crops (length, caption) are sampled by the pair's
   high-noise expert exactly as :func:`imusim.diffusion.train.sample` samples them (DDIM, the checkpoint's
   guidance and anchor) down to the first step below ``below_t``; the state there, the crop (ground truth), its
   mask and caption embedding are kept. The high expert is not trained, so the pool stays valid.
2. Each step: a batch of pool states is finished by the low expert with the sampler's own updates (its guidance,
   the foot anchor) — with gradients through the last ``grad_steps`` of them — and the finished motion's virtual
   IMU (wrists and thighs, 20 fps) is compared with the ground-truth crop's by
   :func:`imusim.diffusion.train.imu_spectrum_loss`: per sensor and band (0–1, 1–3, 3–6, 6–10 Hz) the squared log
   ratio of band powers. Blind to phase (a sample is a new performance of the caption, not the crop), and it
   penalises damping as much as excess, so it cannot reward a motion that stands still.
   Optionally (``lambda_kurtosis``) also the impulsiveness term :func:`~imusim.diffusion.train.acc_kurtosis_loss`
   (per joint, the log kurtosis of the acceleration magnitude, blind to phase and scale) on the same motions: as a
   noised-truth term it did not reach the samples (§18.3).
   Optionally (``lambda_excess``, docs/realism.md §22) the one-sided :func:`~imusim.diffusion.train.imu_excess_loss`:
   only the accelerometer power the finished motion puts into 3–6 and 6–10 Hz beyond the crop's counts, so it can
   take out the impulsive part of the wrists' acceleration without asking any sample to move more.
   Optionally (``lambda_texture``, docs/realism.md §23) :func:`~imusim.diffusion.train.texture_ratio_loss`: the
   wrists' acceleration power from 3 Hz up over that below 3 Hz, beyond the crop's ratio; blind to phase and to
   amplitude, so damping cannot lower it: a smoother shape does (or more swing under the same texture).
   Optionally (``lambda_bone``, docs/realism.md §23.2) :func:`~imusim.diffusion.train.bone_length_loss`: the finished
   motion's bone lengths against the crop's (cm²). The rendering rescales bones to the body model, so the sensor-level
   terms cannot see a bone's length; low experts trained with them stretch the forearm, which costs wrist swing.
   Optionally (``lambda_joint_acc``, docs/realism.md §25) :func:`~imusim.diffusion.train.joint_acc_loss`: per joint
   (``joint_acc_joints``: the lower body or all 22) the finished motion's mean acceleration magnitude against the
   crop's (squared log ratio), only on crops that move at ``joint_acc_min_crop`` m/s² or more (runs and jumps, not
   walks): the motion evaluation's joint acceleration, asked for where the wrists' checks have room; with
   ``lambda_stay_quiet`` the trust region below is also applied with that weight to the crops under the gate only, so
   that the walkers are held where the runners are asked to move (docs/realism.md §25). With ``joint_acc_gate``
   "gestures" the crops asked are the arm gestures instead (:func:`~imusim.diffusion.train.crop_gestures`: the
   elbows or wrists move at ``gesture_ratio`` times the pelvis or more), usually with ``joint_acc_joints`` "arms":
   the low experts trained with the IMU-space term damp a wave they are handed almost noise-free (docs/realism.md
   §26), and the quiet trust region holds the walks and runs.
   Optionally (``lambda_stay``, docs/realism.md §20) a trust region: the squared difference of the finished motion's
   pose and root motion from what the *untuned* low expert finishes from the same hand-over state (computed once
   per pool; the sampler is deterministic), on the features' first 67 channels (root angular and linear velocity
   per frame, root height, root-relative joint positions in the facing frame) in cm (rad/100), mean over channels
   and frames (:func:`stay_loss`). Removing a 1-cm spike costs almost nothing there, damping an arm swing or slowing
   a runner costs a lot, so the other terms can change the fine structure but not the gait. Global joint positions
   would not do: they integrate the root velocity, and the mm/frame changes of any update add up to over 100 cm²
   after one step of the recipe alone (root-relative: 0.3 cm²; scripts/stay_drift_probe.py).
   Optionally (``lambda_keep``, docs/realism.md §28) a per-motion hold on the intensity: the finished motion's IMU
   band powers against those of the *high* expert's own finish of the same hand-over state (the pair handed over at
   t = 0; computed once per pool), by :func:`~imusim.diffusion.train.imu_spectrum_loss` with the bands from
   ``keep_one_sided_above`` Hz up counting only an excess. The swing the high expert put into a motion is kept, both
   ways; the texture above may only fall. The shipped low expert damps some walkers it is handed nearly finished to
   near stillness (§27.4: the log variance of the walkers' wrist intensity 0.27 with the high expert alone, 0.38 with
   the pair, p10 6.9 → 3.2 m/s²); this term asks it not to, motion by motion.
   Optionally (``lambda_keep_spread``) only the unevenness of that damping: the variance over the batch of the log
   ratio of the finished motion's 0–3 Hz accelerometer power to the high expert's finish's, per sensor
   (:func:`~imusim.diffusion.train.imu_keep_spread_loss`): a damping common to every motion is free, one that takes
   some walkers to stillness and leaves others is not.
   Optionally (``lambda_stay_speed``, docs/realism.md §29) the root's mean ground speed of each finished motion
   against the untuned low expert's finish of the same state (:func:`speed_stay_loss`, (m/s)²): the accelerometer
   terms are blind to a constant speed, and ``lambda_keep_spread`` alone let the runners slow from 2.7 to 2.0 m/s.
   Optionally (``lambda_true_speed``, docs/realism.md §31) the same reading against the ground-truth crop's mean
   ground speed instead: under the sampler's foot anchor the finished root follows the standing foot, so the term
   asks the legs for the stride that carries the body as fast as the caption's data move. The shipped low expert's
   walkers step 0.64 m/s where the data walk 1.06 (their runners 2.69 against 2.79), and the hold above keeps that.
   Optionally (``lambda_true_wrist``, docs/realism.md §32) the wrists' RMS acceleration of each finished motion
   against its ground-truth crop's, as a squared log ratio (:func:`wrist_ratio_loss`): the crop stands for its
   caption, so the term asks for each caption's intensity on the model's own chain, where the plain captions'
   walkers come out as intense as the styled ones' (the normal style's test walkers 6.8 m/s², the others' 12.5;
   st_kv3ts1's 10.1 and 11.6). Measured (§32.3): it damps both styles alike, since the style is decided in the high
   expert's steps, and raises the rendered sensors' intensity; kept for probes.
   ``guidance`` (docs/realism.md §32): the sampler's classifier-free guidance scale while tuning (pool and finishes,
   both experts), recorded in the output as its sampling scale; default the pair's recorded one. The data's style
   range needs guidance (§32.1), which slows the walkers; tuned at the scale it is sampled with, the true-speed term
   can ask for the stride there.
   ``stop_t`` (docs/realism.md §39): every finish (the tuned one and the references of the stay and keep terms) ends
   as :func:`imusim.diffusion.train.sample` ends it with that ``stop_t``, at the x0 prediction of its last step at
   t ≥ ``stop_t``; default the pair's recorded one (``meta.sampling.stop_t``), so a pair sampled with an early end is
   tuned on the motions it ships. Given explicitly, the output records it as its own. ``excess_max_crop`` gates
   ``lambda_excess`` to the crops that move below that mean joint acceleration (walks and stands, not runs), and
   ``lambda_keep_moving`` holds the others (at or above it) where the untuned low expert finishes them: their IMU
   band powers (all bands, both ways) against that finish of the same hand-over state. Measured (§39): the gated
   excess term alone damps the runners too (the one network answers both), by a third at the wrist.
   ``self_min_crop`` (docs/realism.md §40) gates ``lambda_self`` (the ground-truth crop's band powers, both ways) to
   the crops that move at or above that mean joint acceleration: the runs asked for their own swing, beside the walks'
   gated excess term, instead of held where the untuned expert leaves them.
3. Beside it, the low expert's own training recipe on noised truth (``recipe``: a :class:`TrainConfig`, e.g. the
   shipped low expert's), so the network stays a denoiser at every low-noise step.

Writes ``out_dir/model.safetensors`` (the pair: the same high expert, the tuned low one, the same sampling metadata)
and ``out_dir/metrics.csv`` (each row: the means over the steps since the previous row). Shapes: features
``[B, T, 263]`` (HumanML3D), masks ``[B, T]`` bool prefixes.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Dict, Optional

import torch

from .checkpoint import load_checkpoint, save_checkpoint
from .experts import ExpertPair
from .gaussian import GaussianDiffusion, is_timestep
from ..constants import HUMANML3D_FPS
from ..motion.humanml import recover_from_ric
from .train import (MotionTextData, TrainConfig, _host_batch, acc_kurtosis_loss, diffusion_losses, imu_excess_loss,
                    imu_keep_spread_loss, imu_spectrum_loss, joint_acc_loss, crop_gestures, crop_moves, lr_at,
                    predict_x0, texture_ratio_loss, bone_length_loss, ARMS, LOWER_BODY)


@dataclass
class TuneConfig:
    """The fields of a self-sampled fine-tune's config that :class:`SelfTuneConfig` (the low expert) and
    :class:`~imusim.diffusion.hightune.HighTuneConfig` (the high expert) share; the terms compare each sampled motion
    with its ground-truth crop (true_*) or with the untuned expert's sample of the same start (stay)."""
    steps: int = 300
    batch_size: int = 16  # self-sampled motions per step
    lr: float = 2e-5
    grad_clip: float = 1.0
    pool: int = 256  # the starts (crops and their noise or hand-over states) drawn once
    ddim_steps: int = 50  # the sampler's (imusim generate's default)
    grad_steps: int = 3  # gradients through the tuned expert's last K sampler steps (DRaFT-K)
    guidance: Optional[float] = None  # the sampler's guidance while tuning, recorded in the output (None: the pair's)
    lambda_recipe: float = 1.0  # weight of the recipe's total on noised truth
    lambda_stay: float = 0.0  # weight of the difference (cm²) from the untuned expert's motion of the same start
    lambda_true_speed: float = 0.0  # weight of the mean root ground speed ((m/s)²) against the ground-truth crop's
    lambda_true_wrist: float = 0.0  # weight of the squared log ratio of the wrists' RMS acceleration to the crop's
    max_frames: int = 120
    min_frames: int = 40
    seed: int = 0
    log_every: int = 10
    warmup: int = 0


@dataclass
class SelfTuneConfig(TuneConfig):
    """The low expert's fine-tune (:func:`selftune`): :class:`TuneConfig` and the terms only it has."""
    lambda_self: float = 1.0  # weight of the spectrum term on the self-sampled motions
    self_one_sided_above: Optional[float] = None  # Hz: the spectrum term's bands from there up count only an excess
    lambda_kurtosis: float = 0.0  # weight of the impulsiveness term (acc_kurtosis_loss) on the own samples
    lambda_excess: float = 0.0  # weight of the one-sided 3-10 Hz accelerometer term (imu_excess_loss) on the own samples
    lambda_texture: float = 0.0  # weight of the wrists' texture/swing ratio term (texture_ratio_loss) on the own samples
    lambda_bone: float = 0.0  # weight of the bone-length term (bone_length_loss, cm²) on the own samples
    lambda_joint_acc: float = 0.0  # weight of the joint-acceleration term (joint_acc_loss) on the own samples
    lambda_stay_quiet: float = 0.0  # the trust region again, on the crops the joint-acceleration gate leaves out only
    lambda_stay_speed: float = 0.0  # weight of the mean root ground speed ((m/s)²) against the untuned low expert's
    lambda_keep: float = 0.0  # weight of the band powers against the high expert's own finish of the same state
    keep_one_sided_above: Optional[float] = 3.0  # Hz: the keep term's bands from there up count only an excess
    lambda_keep_spread: float = 0.0  # weight of the batch variance of the log 0-3 Hz power ratio to that finish
    lambda_keep_moving: float = 0.0  # band powers of the crops at/above excess_max_crop vs the untuned expert's finish
    joint_acc_joints: str = "lower"  # its joints: "lower" (pelvis, hips, knees, ankles, feet), "all" (22), "arms"
    joint_acc_min_crop: float = 0.0  # m/s²: only crops whose mean joint acceleration reaches this count
    joint_acc_gate: str = "moves"  # which crops count: "moves" (joint_acc_min_crop) or "gestures" (crop_gestures)
    gesture_ratio: float = 6.0  # "gestures": the arms move at this multiple of the pelvis (crop_gestures)
    sensors: str = "wrist_l,wrist_r,thigh_l,thigh_r"
    excess_max_crop: Optional[float] = None  # m/s²: lambda_excess counts only crops moving below this (None: all)
    stop_t: Optional[int] = None  # every finish ends at the x0 of its last step at t >= stop_t (None: the pair's)
    self_min_crop: Optional[float] = None  # m/s²: lambda_self counts only crops moving at or above this (None: all)


class MetricLog:
    """A fine-tune's ``metrics.csv``: each row the means of ``names``' values over the steps since the previous
    row, written every ``every`` steps and at the last of ``steps``; columns ``step``, the first ``lr_at`` names,
    ``lr``, ``seconds`` (since the log was opened), the other names."""

    def __init__(self, path: Path, names, steps: int, every: int, lr_at: Optional[int] = None):
        self.names, self.steps, self.every = list(names), steps, every
        self.k = len(self.names) if lr_at is None else lr_at
        self.f = open(path, "w", newline="")
        self.w = csv.writer(self.f)
        self.w.writerow(["step", *self.names[:self.k], "lr", "seconds", *self.names[self.k:]])
        self.acc, self.since, self.t0 = torch.zeros(len(self.names), dtype=torch.float64), 0, time.time()

    def add(self, step: int, values, lr: float) -> None:
        """Step ``step``'s (0-based) ``values`` (numbers or 0-d tensors, in ``names``' order) at learning rate
        ``lr``."""
        if len(values) != len(self.names):
            raise ValueError(f"MetricLog.add: values must hold {len(self.names)} numbers ({self.names}), "
                             f"got {len(values)}")
        self.acc += torch.tensor([v.item() if torch.is_tensor(v) else float(v) for v in values], dtype=torch.float64)
        self.since += 1
        if (step + 1) % self.every == 0 or step + 1 == self.steps:
            m = (self.acc / self.since).tolist()
            self.w.writerow([step + 1, *m[:self.k], lr, round(time.time() - self.t0, 2), *m[self.k:]])
            self.f.flush()
            self.acc.zero_()
            self.since = 0

    def close(self) -> None:
        self.f.close()


# the noised-truth recipe of `refined_v3`'s low-noise expert (afu1i5, the `refined` shipped in docs/realism.md §16-§35):
# imusim finetune --lambda-acc 1 --lambda-imu 0.05 --aux-t-max 300 --train-t-max 300 --anchor-feet 300
#   --anchor-contact union --lambda-root-speed 1 --batch-size 32 --max-frames 120
SHIPPED_LOW_RECIPE = dict(lambda_acc=1.0, lambda_imu=0.05, aux_t_max=300, train_t_max=300, anchor_feet=300,
                          anchor_contact="union", lambda_root_speed=1.0, batch_size=32, max_frames=120, min_frames=40)


# the terms' weights (SelfTuneConfig), each >= 0
LAMBDAS = ("lambda_self", "lambda_recipe", "lambda_kurtosis", "lambda_stay", "lambda_excess", "lambda_texture",
           "lambda_bone", "lambda_joint_acc", "lambda_stay_quiet", "lambda_keep", "lambda_keep_spread",
           "lambda_stay_speed", "lambda_true_speed", "lambda_true_wrist", "lambda_keep_moving")
JOINT_ACC_JOINTS = {"lower": LOWER_BODY, "all": tuple(range(22)), "arms": ARMS}
JOINT_ACC_GATES = ("moves", "gestures")


def check_tune(cfg, who: str, counts, lambdas) -> None:
    """The checks a self-sampled fine-tune's config shares (``who``: selftune, hightune): the fields ``counts`` are
    integers >= 1, the batch fits in the pool, the guidance is a finite scale >= 0 or None, the weights ``lambdas``
    are >= 0; ValueError naming the field otherwise."""
    for name in counts:
        v = getattr(cfg, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{who}: {name} must be an integer >= 1, got {v!r}")
    if cfg.batch_size > cfg.pool:
        raise ValueError(f"{who}: batch_size ({cfg.batch_size}) must not exceed pool ({cfg.pool})")
    g = cfg.guidance
    if g is not None and (isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 <= g < float("inf")):
        raise ValueError(f"{who}: guidance must be a finite scale >= 0 or None (the pair's recorded one), got {g!r}")
    for name in lambdas:  # every term's weight
        if getattr(cfg, name) < 0:
            raise ValueError(f"{who}: {name} must be >= 0, got {getattr(cfg, name)}")


def _check(cfg: SelfTuneConfig) -> None:
    check_tune(cfg, "selftune", ("steps", "batch_size", "pool", "ddim_steps", "grad_steps"), LAMBDAS)
    if cfg.joint_acc_joints not in JOINT_ACC_JOINTS:
        raise ValueError(f"selftune: joint_acc_joints must be one of {sorted(JOINT_ACC_JOINTS)}, "
                         f"got {cfg.joint_acc_joints!r}")
    m = cfg.joint_acc_min_crop
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 <= m < float("inf"):
        raise ValueError(f"selftune: joint_acc_min_crop must be an acceleration >= 0 m/s^2, got {m!r}")
    if cfg.joint_acc_gate not in JOINT_ACC_GATES:
        raise ValueError(f"selftune: joint_acc_gate must be one of {list(JOINT_ACC_GATES)}, got {cfg.joint_acc_gate!r}")
    r = cfg.gesture_ratio
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r < float("inf"):
        raise ValueError(f"selftune: gesture_ratio must be a ratio > 0, got {r!r}")
    if cfg.joint_acc_gate == "gestures" and m > 0:
        raise ValueError(f"selftune: joint_acc_gate 'gestures' selects the crops by gesture_ratio; "
                         f"joint_acc_min_crop must then be 0, got {m!r}")
    for gate, weight, term in (("excess_max_crop", "lambda_excess", "excess"), ("self_min_crop", "lambda_self",
                                                                                 "spectrum")):
        g = getattr(cfg, gate)
        if g is not None and (isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 < g < float("inf")):
            raise ValueError(f"selftune: {gate} must be an acceleration > 0 m/s^2 or None, got {g!r}")
        if g is not None and not getattr(cfg, weight) > 0:
            raise ValueError(f"selftune: {gate} ({g!r}) gates the {term} term, whose weight {weight} must then be "
                             f"> 0, got {getattr(cfg, weight)!r}")
    if cfg.lambda_keep_moving > 0 and cfg.excess_max_crop is None:
        raise ValueError(f"selftune: lambda_keep_moving ({cfg.lambda_keep_moving}) holds the crops at or above "
                         f"excess_max_crop, which must then be set, got None")
    if cfg.stop_t is not None and not is_timestep(cfg.stop_t, 1000):
        raise ValueError(f"selftune: stop_t must be an integer step in [0, 999] or None, got {cfg.stop_t!r}")
    if cfg.lambda_stay_quiet > 0 and cfg.joint_acc_gate == "moves" and not m > 0:
        raise ValueError(f"selftune: lambda_stay_quiet ({cfg.lambda_stay_quiet}) holds the crops below "
                         f"joint_acc_min_crop, which must then be > 0 m/s^2, got {m!r}")
    for name in ("self_one_sided_above", "keep_one_sided_above"):
        a = getattr(cfg, name)
        if a is not None and (isinstance(a, bool) or not isinstance(a, (int, float)) or not 0 <= a < float("inf")):
            raise ValueError(f"selftune: {name} must be a frequency >= 0 Hz or None, got {a!r}")
    if not cfg.min_frames <= cfg.max_frames:
        raise ValueError(f"selftune: min_frames ({cfg.min_frames}) must be <= max_frames ({cfg.max_frames})")


class _Sampler:
    """The pair's sampler split at the hand-over: its steps, guidance and anchor as ``sample`` runs them."""

    def __init__(self, pair: ExpertPair, mean, std, ddim_steps: int, guidance: float, anchor_feet: int,
                 who: str = "selftune", stop_t: int = 0):
        self.pair, self.mean, self.std = pair, mean, std
        self.diffusion = GaussianDiffusion(pair.cfg.schedule_steps)
        # the chain ends as sample(..., stop_t) ends it: at the x0 of its last step at t >= stop_t (its update to
        # "no next step" returns that x0)
        self.ts = [i for i in self.diffusion.ddim_timesteps(ddim_steps) if i >= stop_t]
        self.stop_t = stop_t
        self.high_ts = [i for i in self.ts if i >= pair.below_t]
        self.low_ts = [i for i in self.ts if i < pair.below_t]
        if not self.low_ts:
            raise ValueError(f"{who}: no sampler step of {ddim_steps} lies below the hand-over t = {pair.below_t}"
                             + (f" and at or above stop_t = {stop_t}" if stop_t else ""))
        self.guidance, self.anchor = guidance, anchor_feet
        self.contact = getattr(pair, "anchor_contact", "channels")
        self.smooth = getattr(pair, "anchor_smooth", 0.0)

    def _next(self, i):
        k = self.ts.index(i)
        return self.ts[k + 1] if k + 1 < len(self.ts) else None

    def run(self, net, x, emb, mask, ts, grad_last: int = 0, return_x0: bool = False):
        """``x`` at ``ts[0]`` through every step of ``ts`` with ``net``; gradients through the last ``grad_last``.
        With ``return_x0`` also the last step's x0 prediction (normalised, ``[B, T, F]``): ``(x, x0)``."""
        x0 = None
        for n, i in enumerate(ts):
            with torch.set_grad_enabled(n >= len(ts) - grad_last):
                t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
                x0 = predict_x0(net, x, t, emb, mask, mask, self.guidance, self.anchor, self.mean, self.std,
                                self.contact, self.smooth)
                x = self.diffusion.ddim_step(x, x0, i, self._next(i)) * mask[..., None]
        return (x, x0) if return_x0 else x


def pool_index(data: MotionTextData, n: int, seed: int):
    """The clip indices of a pool of seed ``seed`` (``n`` draws over ``data``'s clips, with replacement) and the
    generator after the draw, from which :func:`pool_crops` draws the crops' lengths and offsets."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, len(data), (n,), generator=gen).tolist(), gen


def pool_crops(data: MotionTextData, n: int, max_frames: int, min_frames: int, seed: int):
    """The ``n`` training crops of a pool of seed ``seed``: ``x0`` ``[n, T, F]`` (normalised), ``mask`` ``[n, T]``,
    their captions and the generator, which :func:`handover_pool` then draws the starting noise from."""
    idx, gen = pool_index(data, n, seed)
    x0, mask, caps = data.batch(idx, gen, max_frames, min_frames)
    return x0, mask, caps, gen


@torch.no_grad()
def handover_pool(sampler: _Sampler, data: MotionTextData, emb_table: Dict[str, torch.Tensor], n: int,
                  max_frames: int, min_frames: int, seed: int, batch: int = 64, progress: bool = True):
    """``n`` training crops sampled by the high expert down to the hand-over: dict of ``x`` ``[n, T, F]`` (the state
    at the first step below ``below_t``), ``x0`` (the crops, normalised), ``mask``, ``emb``."""
    x0, mask, caps, gen = pool_crops(data, n, max_frames, min_frames, seed)
    emb = torch.stack([emb_table[c] for c in caps])
    noise = torch.randn(x0.shape, generator=gen)
    sampler.pair.eval()
    out = []
    it = range(0, n, batch)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="hand-over pool", unit="batch")
    for s in it:
        sl = slice(s, s + batch)
        out.append(sampler.run(sampler.pair.high, noise[sl] * mask[sl, :, None], emb[sl], mask[sl], sampler.high_ts))
    return {"x": torch.cat(out), "x0": x0, "mask": mask, "emb": emb, "captions": caps}


STAY_CHANNELS = 67  # HumanML3D: root angular velocity, root linear velocity (x, z), root height, 21 joints' ric positions


@torch.no_grad()
def finished_pose(sampler: _Sampler, net, pool, batch: int = 64, channels: Optional[int] = STAY_CHANNELS
                  ) -> torch.Tensor:
    """The first ``channels`` feature channels (default :data:`STAY_CHANNELS`, the trust region's reference; None:
    all) ``[n, T, C]`` (denormalised: m, m/frame, rad/frame) of the motions that ``net`` finishes from every hand-over
    state of ``pool`` with the sampler's low-noise steps (its guidance and foot anchor)."""
    out = []
    for s in range(0, pool["x"].shape[0], batch):
        sl = slice(s, s + batch)
        x = sampler.run(net, pool["x"][sl], pool["emb"][sl], pool["mask"][sl], sampler.low_ts)
        out.append((x * sampler.std + sampler.mean)[..., :channels])
    return torch.cat(out)


def stay_loss(feats: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor,
              select: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean squared difference ×10⁴ (cm², or (rad/100)² for the angular velocity) between the pose channels ``feats``
    and ``ref`` ``[B, T, C]`` (denormalised HumanML3D features, the first C channels) over the channels and the valid
    frames of ``mask`` ``[B, T]``; with ``select`` (bool ``[B]``) only over the selected sequences (none: 0)."""
    d2 = (feats - ref).square().mean(-1) * 1e4  # [B, T]
    m = mask if select is None else mask & select[:, None]
    m = m.to(d2.dtype)
    return (d2 * m).sum() / m.sum().clamp_min(1.0)


def speed_stay_loss(feats: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS
                    ) -> torch.Tensor:
    """Mean over the sequences of the squared difference ((m/s)²) between the mean root ground speed of ``feats`` and
    of ``ref`` (denormalised HumanML3D features ``[B, T, C >= 3]``: channels 1-2 are the root's velocity in the
    ground plane, m/frame) over the valid frames of ``mask`` ``[B, T]``. No accelerometer sees a constant ground
    speed; this holds it (docs/realism.md §29)."""
    return (mean_speed(feats, mask, fps) - mean_speed(ref, mask, fps)).square().mean()


def mean_speed(feats: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """Each sequence's mean root ground speed (m/s) ``[B]`` of denormalised HumanML3D features ``[B, T, C >= 3]``
    (channels 1-2: the root's velocity in the ground plane, m/frame) over the valid frames of ``mask`` ``[B, T]``: what
    :func:`speed_stay_loss` compares."""
    m = mask.to(feats.dtype)
    return (feats[..., 1:3].square().sum(-1).add(1e-12).sqrt() * m).sum(1) / m.sum(1).clamp_min(1.0) * fps


WRIST_JOINTS = (20, 21)  # SMPL's left and right wrist
WRIST_FLOOR = 0.5  # m/s²: added to both RMS accelerations before the log ratio, so still crops do not dominate it


def wrist_ratio_loss(feats: torch.Tensor, ref: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS
                     ) -> torch.Tensor:
    """Mean over the sequences of the squared log ratio of the wrists' RMS acceleration (|Δ²p|·fps², m/s², world
    frame, both wrists, over the valid frame triples of ``mask`` ``[B, T]``) of ``feats`` to that of ``ref``
    (denormalised HumanML3D features ``[B, T, 263]``), each plus ``WRIST_FLOOR``. Scale-free: a walker twice as
    intense as its crop costs what one half as intense does (docs/realism.md §32: the plain captions' walkers swing
    their wrists 1.5× the normal style's)."""
    return (torch.log(wrist_rms(feats, mask, fps) + WRIST_FLOOR)
            - torch.log(wrist_rms(ref, mask, fps) + WRIST_FLOOR)).square().mean()


def wrist_target_loss(feats: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, fps: float = HUMANML3D_FPS
                      ) -> torch.Tensor:
    """Mean over the sequences of (log(wrist RMS + ``WRIST_FLOOR``) − ``target``)², ``target`` ``[B]`` a log
    intensity per sequence (e.g. :func:`caption_wrist_targets`' mean over the crops of its caption): the wrist term
    against a caption's mean instead of one crop, so the crops' own spread within a caption (docs/realism.md §34:
    0.044 of the per-crop term) does not bury a caption's bias."""
    if target.shape != feats.shape[:1]:
        raise ValueError(f"wrist_target_loss: target must have shape [{feats.shape[0]}] (one per sequence), "
                         f"got {list(target.shape)}")
    return (torch.log(wrist_rms(feats, mask, fps) + WRIST_FLOOR) - target).square().mean()


@torch.no_grad()
def caption_wrist_targets(data: MotionTextData, caps, n_ref: int, max_frames: int, min_frames: int, seed: int,
                          std: torch.Tensor, mean: torch.Tensor, extra=None) -> torch.Tensor:
    """Per caption of ``caps`` (a list of B strings) the mean log(wrist RMS + ``WRIST_FLOOR``) over ``n_ref``
    training crops drawn as the pools draw them (:func:`pool_crops`, seed ``seed``) plus ``extra`` (normalised
    ``(x0, mask, captions)`` crops counted too, e.g. the pool itself, so every caption of ``caps`` that is among
    them has a mean). ``[B]`` float32; ValueError naming a caption that no crop carries."""
    parts = [] if extra is None else [extra]
    if n_ref > 0:
        x0, mask, ref_caps, _ = pool_crops(data, n_ref, max_frames, min_frames, seed)
        parts.append((x0, mask, list(ref_caps)))
    sums: Dict[str, list] = {}
    for x, m, c in parts:
        for cap, v in zip(c, crop_log_wrists(x, m, std, mean).tolist()):
            sums.setdefault(cap, []).append(v)
    missing = [c for c in caps if c not in sums]
    if missing:
        raise ValueError(f"caption_wrist_targets: no reference crop carries the caption {missing[0]!r}")
    return torch.tensor([sum(sums[c]) / len(sums[c]) for c in caps], dtype=torch.float32)


@torch.no_grad()
def crop_log_wrists(x0: torch.Tensor, mask: torch.Tensor, std: torch.Tensor, mean: torch.Tensor,
                    chunk: int = 256) -> torch.Tensor:
    """log(wrist RMS + ``WRIST_FLOOR``) ``[N]`` of normalised crops ``x0`` ``[N, T, F]`` (masks ``[N, T]``),
    :func:`wrist_rms` of the denormalised features in chunks of ``chunk``: what the wrist terms compare."""
    return torch.cat([torch.log(wrist_rms(x0[s:s + chunk] * std + mean, mask[s:s + chunk]) + WRIST_FLOOR)
                      for s in range(0, x0.shape[0], chunk)])


def wrist_rms(feats: torch.Tensor, mask: torch.Tensor, fps: float = HUMANML3D_FPS) -> torch.Tensor:
    """Each sequence's wrists' RMS acceleration ``[B]`` (|Δ²p|·fps², m/s², world frame, both wrists, over the valid
    frame triples of ``mask`` ``[B, T]``) of denormalised HumanML3D features ``[B, T, 263]``: what
    :func:`wrist_ratio_loss` compares."""
    m3 = (mask[:, 2:] & mask[:, 1:-1] & mask[:, :-2]).to(feats.dtype)  # [B, T-2]
    P = recover_from_ric(feats, 22)[..., list(WRIST_JOINTS), :]  # [B, T, 2, 3]
    d2 = (P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]).square().sum(-1).mean(-1)  # [B, T-2]
    return ((d2 * m3).sum(1) / m3.sum(1).clamp_min(1.0)).add(1e-12).sqrt() * fps ** 2


def recipe_loss(net, diffusion: GaussianDiffusion, data: MotionTextData, rcfg: TrainConfig, step: int,
                emb_table: Dict[str, torch.Tensor], mean, std) -> torch.Tensor:
    """The noised-truth recipe's total on step ``step``'s batch, drawn as ``train`` draws it (one host generator per
    step; that draw, not the network, decides the condition dropout). Leaves ``net`` in training mode."""
    net.train()
    (x0, mask, t, noise, uncond, emb), counts = _host_batch(data, rcfg, step, net.cfg.cond_drop_prob, emb_table)
    saved, net.cfg.cond_drop_prob = net.cfg.cond_drop_prob, 0.0
    try:
        return diffusion_losses(net, diffusion, x0, mask, emb, t, noise, uncond, rcfg, mean, std, counts)["total"]
    finally:
        net.cfg.cond_drop_prob = saved


def selftune(checkpoint, data: MotionTextData, out_dir, cfg: SelfTuneConfig, recipe: Optional[TrainConfig] = None,
             progress: bool = True, meta_note: str = "") -> Path:
    """Fine-tune ``checkpoint``'s (a two-expert file) low-noise network on its own samples (module docstring).
    ``recipe``: the noised-truth training terms kept beside the self-sampled one (``None``: the plain x0 MSE
    on the steps below the hand-over, batches of 32 crops of ``cfg``'s lengths). Returns the written pair's path."""
    from .checkpoint import recommended_anchor_feet, recommended_guidance, recommended_stop_t
    from .text import get_text_encoder

    _check(cfg)
    pair, mean, std, enc_name, meta = load_pair(checkpoint, data, "selftune", "low")
    # the default: the plain x0 MSE on the steps the low expert answers, on crops like the self-sampled ones
    recipe = recipe or TrainConfig(train_t_max=pair.below_t, batch_size=32, max_frames=cfg.max_frames,
                                   min_frames=cfg.min_frames)
    if not 0 < recipe.train_t_max <= pair.below_t:
        raise ValueError(f"selftune: the recipe's train_t_max must be in (0, below_t = {pair.below_t}] (the low expert "
                         f"answers only those steps), got {recipe.train_t_max}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    guidance = recommended_guidance(meta, checkpoint) if cfg.guidance is None else float(cfg.guidance)
    anchor = recommended_anchor_feet(meta, checkpoint)
    stop_t = recommended_stop_t(meta, checkpoint) if cfg.stop_t is None else cfg.stop_t
    if stop_t >= pair.below_t:
        raise ValueError(f"selftune: stop_t ({stop_t}) must lie below the hand-over t = {pair.below_t}: the low "
                         f"expert would take no step")
    sampler = _Sampler(pair, mean, std, cfg.ddim_steps, guidance, anchor, stop_t=stop_t)
    enc = get_text_encoder(enc_name, device="cpu")
    emb_table = data.caption_embeddings(enc)
    torch.manual_seed(cfg.seed)
    pool = handover_pool(sampler, data, emb_table, cfg.pool, cfg.max_frames, cfg.min_frames, cfg.seed,
                         progress=progress)
    if cfg.lambda_stay > 0 or cfg.lambda_stay_quiet > 0 or cfg.lambda_stay_speed > 0:  # the untuned low expert's
        # finish of every state: the trust region's and the speed hold's reference
        pair.low.eval()
        pool["ref"] = finished_pose(sampler, pair.low, pool)
    if cfg.lambda_keep > 0 or cfg.lambda_keep_spread > 0:  # the keep terms' reference: the high expert's own finish
        # of every state (the pair handed over at t = 0)
        pair.high.eval()
        pool["keep"] = finished_pose(sampler, pair.high, pool, channels=None)
    if cfg.lambda_keep_moving > 0:  # the moving crops' hold: the untuned low expert's whole finish of every state
        pair.low.eval()
        pool["ref_full"] = finished_pose(sampler, pair.low, pool, channels=None)

    low = pair.low
    low.requires_grad_(True)
    pair.high.requires_grad_(False)
    opt = torch.optim.AdamW(low.parameters(), lr=cfg.lr, weight_decay=0.0)
    diffusion = GaussianDiffusion(recipe.diffusion_steps)
    lr_cfg = TrainConfig(steps=cfg.steps, lr=cfg.lr, warmup=cfg.warmup)
    rcfg = replace(recipe, seed=cfg.seed + 1)
    gen = torch.Generator().manual_seed(cfg.seed * 7919 + 17)
    log = MetricLog(out_dir / "metrics.csv", ["total", "l_self", "l_recipe", "l_kurtosis", "l_stay", "l_excess",
                                              "l_texture", "l_bone", "l_joint_acc", "l_stay_quiet", "l_keep",
                                              "l_keep_spread", "l_stay_speed", "l_true_speed", "l_true_wrist",
                                              "l_keep_moving"],
                    cfg.steps, cfg.log_every, lr_at=3)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.steps, desc="selftune", unit="step")
    for step in range(cfg.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, lr_cfg)
        idx = torch.randperm(cfg.pool, generator=gen)[:cfg.batch_size]
        x, x0, mask, emb = (pool[k][idx] for k in ("x", "x0", "mask", "emb"))
        low.eval()  # sampled as the sampler samples (no dropout); gradients still flow
        final = sampler.run(low, x, emb, mask, sampler.low_ts, cfg.grad_steps) * std + mean  # denormalised
        truth = x0 * std + mean
        # the crops at or above excess_max_crop (runs): left out of the excess term, held by the keep-moving one
        moving = None if cfg.excess_max_crop is None else crop_moves(truth, mask, cfg.excess_max_crop)
        self_sel = None  # the crops the spectrum term asks (None: all)
        if cfg.self_min_crop is not None:
            self_sel = (moving if cfg.self_min_crop == cfg.excess_max_crop
                        else crop_moves(truth, mask, cfg.self_min_crop))
        with torch.set_grad_enabled(cfg.lambda_self > 0):  # logged either way; no backward through it at weight 0
            l_self = imu_spectrum_loss(final, truth, mask, cfg.sensors, one_sided_above=cfg.self_one_sided_above,
                                       select=self_sel)
        l_kurt, l_stay, l_excess, l_tex, l_bone, l_ja, l_quiet, l_keep, l_ks, l_speed = (torch.zeros(())
                                                                                          for _ in range(10))
        with torch.set_grad_enabled(cfg.lambda_true_speed > 0):  # logged either way: how far the speeds are
            l_true_speed = speed_stay_loss(final, truth, mask)
        with torch.set_grad_enabled(cfg.lambda_true_wrist > 0):  # likewise how far the wrists' intensities are
            l_true_wrist = wrist_ratio_loss(final, truth, mask)
        if cfg.lambda_kurtosis > 0:
            l_kurt = acc_kurtosis_loss(recover_from_ric(final, 22), recover_from_ric(truth, 22), mask, HUMANML3D_FPS)
        if cfg.lambda_excess > 0:
            l_excess = imu_excess_loss(final, truth, mask, cfg.sensors, select=None if moving is None else ~moving)
        if cfg.lambda_texture > 0:
            l_tex = texture_ratio_loss(final, truth, mask)
        if cfg.lambda_bone > 0:
            l_bone = bone_length_loss(final, truth, mask)
        gate = None  # the crops the joint-acceleration term asks (bool [B]); the quiet trust region holds the others
        if cfg.lambda_joint_acc > 0 or cfg.lambda_stay_quiet > 0:
            gate = (crop_gestures(truth, mask, cfg.gesture_ratio) if cfg.joint_acc_gate == "gestures"
                    else crop_moves(truth, mask, cfg.joint_acc_min_crop))
        if cfg.lambda_joint_acc > 0:
            l_ja = joint_acc_loss(final, truth, mask, JOINT_ACC_JOINTS[cfg.joint_acc_joints], select=gate)
        if cfg.lambda_stay > 0:
            l_stay = stay_loss(final[..., :STAY_CHANNELS], pool["ref"][idx], mask)
        if cfg.lambda_stay_quiet > 0:
            l_quiet = stay_loss(final[..., :STAY_CHANNELS], pool["ref"][idx], mask, select=~gate)
        if cfg.lambda_stay_speed > 0:
            l_speed = speed_stay_loss(final, pool["ref"][idx], mask)
        if cfg.lambda_keep > 0:
            l_keep = imu_spectrum_loss(final, pool["keep"][idx], mask, cfg.sensors,
                                       one_sided_above=cfg.keep_one_sided_above)
        if cfg.lambda_keep_spread > 0:
            l_ks = imu_keep_spread_loss(final, pool["keep"][idx], mask, cfg.sensors)
        l_km = torch.zeros(())
        if cfg.lambda_keep_moving > 0:
            l_km = imu_spectrum_loss(final, pool["ref_full"][idx], mask, cfg.sensors, select=moving)
        l_recipe = torch.zeros(())
        if cfg.lambda_recipe > 0:
            l_recipe = recipe_loss(low, diffusion, data, rcfg, step, emb_table, mean, std)
        total = (cfg.lambda_recipe * l_recipe + cfg.lambda_kurtosis * l_kurt + cfg.lambda_stay * l_stay
                 + cfg.lambda_excess * l_excess + cfg.lambda_texture * l_tex + cfg.lambda_bone * l_bone
                 + cfg.lambda_joint_acc * l_ja + cfg.lambda_stay_quiet * l_quiet + cfg.lambda_keep * l_keep
                 + cfg.lambda_keep_spread * l_ks + cfg.lambda_stay_speed * l_speed
                 + cfg.lambda_true_speed * l_true_speed + cfg.lambda_true_wrist * l_true_wrist
                 + cfg.lambda_keep_moving * l_km)
        if cfg.lambda_self > 0:
            total = total + cfg.lambda_self * l_self
        opt.zero_grad(set_to_none=True)
        total.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(low.parameters(), cfg.grad_clip)
        opt.step()
        log.add(step, [total, l_self, l_recipe, l_kurt, l_stay, l_excess, l_tex, l_bone, l_ja, l_quiet, l_keep, l_ks,
                       l_speed, l_true_speed, l_true_wrist, l_km], lr_at(step, lr_cfg))
        if bar:
            bar.update(1)
            bar.set_postfix(spec=f"{l_self.item():.3f}", recipe=f"{l_recipe.item():.4f}")
    log.close()
    if bar:
        bar.close()
    low.eval()
    if cfg.stop_t is not None:  # sampled where it was tuned to end
        meta = {**meta, "sampling": {**meta.get("sampling", {}), "stop_t": int(stop_t)}}
    return save_tuned_pair(out_dir, pair.high, low, mean, std, enc_name, meta, "selftune", "low",
                           {"from": str(checkpoint), "config": asdict(cfg), "recipe": asdict(recipe),
                            "pool_seed": cfg.seed, "note": meta_note, "stop_t": int(stop_t)}, cfg.guidance,
                           checkpoint)


def load_pair(checkpoint, data: MotionTextData, who: str, expert: str):
    """``load_checkpoint(checkpoint)`` of a two-expert file whose feature statistics are ``data``'s, for ``who``
    (selftune, hightune), which trains its ``expert`` ("low" or "high") network; ValueError naming the file
    otherwise."""
    pair, mean, std, enc_name, meta = load_checkpoint(checkpoint)
    if not isinstance(pair, ExpertPair):
        raise ValueError(f"{who}: {checkpoint} is a single network; {who} trains the {expert}-noise expert of a "
                         f"two-expert checkpoint (imusim experts)")
    if pair.routed:
        raise ValueError(f"{who}: {checkpoint} is a routed pair (imusim route); tune the two-expert checkpoints it "
                         f"was routed from, one low expert each, and route the results")
    if not (torch.allclose(mean, data.mean) and torch.allclose(std, data.std)):
        raise ValueError(f"{who}: the data's feature statistics differ from {checkpoint}'s; use the data set the "
                         f"checkpoint was trained on")
    return pair, mean, std, enc_name, meta


def save_tuned_pair(out_dir: Path, high, low, mean, std, enc_name: str, meta: dict, who: str, expert: str,
                    record: dict, guidance: Optional[float], checkpoint) -> Path:
    """``out_dir/model.safetensors``: the pair ``high`` / ``low`` with ``checkpoint``'s metadata ``meta``, ``record``
    (the run: config, recipe, …) under ``who`` and in ``out_dir/WHO.json``, the tuned ``expert`` named in
    ``experts``, and a ``guidance`` the run was tuned at (None: the pair's kept) as the scale to sample it with."""
    m = dict(meta)
    m[who] = record
    m["experts"] = {**m.get("experts", {}), expert: f"{who} of {checkpoint}'s {expert} expert ({out_dir})"}
    if guidance is not None:  # sampled as it was tuned
        m["sampling"] = {**m.get("sampling", {}), "guidance": float(guidance),
                         "why": f"{who} --guidance {guidance:g}: the {expert} expert was tuned on samples drawn at "
                                f"this scale"}
    path = save_checkpoint(out_dir / "model.safetensors", high, mean, std, enc_name, m, extra={"low": low})
    (out_dir / f"{who}.json").write_text(json.dumps(record, indent=1))
    return path
