"""Motion-quality evaluation of diffusion checkpoints on the held-out test split (``imusim evaluate-motion``).

For every test clip, each checkpoint generates one motion (or ``samples`` motions) from the clip's
canonical caption at the clip's length (capped at ``max_frames``), with a fixed per-clip seed, so that
all checkpoints see the same prompts, lengths and initial noise. Metrics:

* ``l_acc`` — the paper's acceleration loss: mean over valid terms of (Δ²gen − Δ²gt)² on the
  normalised 263-d features (the space the model is trained in), paired generated vs ground-truth
  clip; reported overall (mean over clips), per activity, and for high- vs low-dynamic activities
  (``imusim.data.captions.DYNAMIC_ACTIVITIES``).
* ``joint_acc`` — mean joint acceleration magnitude |Δ²p|/dt² (m/s²) of the recovered joint positions;
  its ratio to the real test set says whether motions are too smooth (< 1) or too jittery (> 1).
* ``fid`` — Fréchet distance between embeddings of generated and real test motions; the embedding is
  the penultimate layer of a 1D-CNN activity classifier trained on the train split
  (:class:`MotionEncoder`, cached in the data directory; trained on one thread so that it does not depend on the
  machine's thread count). Its scale is the encoder's own: FIDs are comparable only between evaluations whose
  ``fid_encoder`` fingerprints are equal (``scripts/motion_eval_stats.py`` refuses to pool them otherwise).
  ``fid_mean_term`` (|Δμ|², where the two sets sit) and ``fid_cov_term`` (how they spread) add up to it; the
  per-clip ``embedding`` rows are written (the real row's: the test clips') so that two evaluations can be compared
  clip by clip (``scripts/fid_attribution.py``).
* ``encoder_accuracy`` — the fraction of motions that the FID encoder's own classifier head assigns to their clip's
  activity (per clip: ``encoder_activity``); the real row's is the encoder's accuracy on the real test clips.
* ``diversity`` — mean embedding distance between random pairs of generated motions (Guo et al.).
* ``foot_skating`` — fraction of foot-contact frames (ankle or toe within 5 cm of the floor, where the
  floor is the clip's lowest foot height) in which that foot moves faster than 0.5 m/s horizontally
  (2.5 cm per frame at 20 fps).
* ``jerk`` — mean |Δ³p|/dt³ over joints and frames (m/s³).
* ``acc_power`` — mean (Δ²x)² of the normalised features (= L_acc against a motionless clip) and its ratio
  to the real clips'. L_acc of a sample against a ground truth it is not aligned with in time is
  ≈ acc_power(gen) + acc_power(gt) − 2·(their correlation), so a lower L_acc can mean less acceleration
  rather than better: read the two together.
* ``acc_power_groups`` — the acceleration power of each HumanML3D channel group (root, ``ric``, rotations, local
  velocities, foot contacts; :func:`acc_power_groups`): which channels the power, and so L_acc, sits in.
* ``acc_corr``, ``l_acc_matched_power`` — :func:`lacc_decomposition`: L_acc = P_gen + P_real − 2·C per clip, the
  mean cosine ρ between the generated and the real clip's acceleration sequences, and 2·P_real·(1 − ρ), the L_acc
  at the real clip's power (what alignment alone earns; it does not fall when a model damps its motion).
* ``l_acc_unaligned_real`` (real row) — L_acc of each test clip against another real test clip of the same
  activity (tiled to the length; mean over draws): what a generator of real motions scores when it is not
  aligned with the ground truth, the reference for the paired L_acc (docs/realism.md §7).

The ``real`` row computes the same statistics on the real test clips (FID: validation vs test split,
the floor a generator can reach with this many clips).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..constants import HUMANML3D_FPS
from ..motion.quality import foot_skating, jerk, joint_acc  # noqa: F401  (re-exported)


# ----------------------------------------------------------------------------- motion encoder
class MotionEncoder(nn.Module):
    """1D-CNN over normalised features ``[B, T, F]`` (+ mask ``[B, T]``) → embedding ``[B, D]``.

    Trained as an activity classifier; ``embed`` is the masked temporal mean of the last conv layer."""

    def __init__(self, n_feats: int = 263, n_classes: int = 2, dim: int = 32):
        super().__init__()
        self.n_feats, self.n_classes, self.dim = n_feats, n_classes, dim
        self.net = nn.Sequential(
            nn.Conv1d(n_feats, 256, 5, padding=2), nn.GELU(),
            nn.Conv1d(256, 256, 5, padding=2, dilation=1), nn.GELU(),
            nn.Conv1d(256, dim, 5, padding=4, dilation=2), nn.GELU())
        self.head = nn.Linear(dim, n_classes)

    def embed(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.net(x.transpose(1, 2))  # [B, D, T]
        if mask is None:
            return h.mean(-1)
        m = mask[:, None, :].to(h.dtype)
        return (h * m).sum(-1) / m.sum(-1).clamp_min(1)

    def forward(self, x, mask=None):
        return self.head(self.embed(x, mask))


def _pad(seqs: Sequence[torch.Tensor]):
    T = max(s.shape[0] for s in seqs)
    x = torch.zeros(len(seqs), T, seqs[0].shape[-1])
    m = torch.zeros(len(seqs), T, dtype=torch.bool)
    for i, s in enumerate(seqs):
        x[i, : s.shape[0]] = s
        m[i, : s.shape[0]] = True
    return x, m


def train_motion_encoder(clips, mean, std, *, steps: int = 400, batch: int = 64, seed: int = 0,
                         crop=(40, 120), progress: bool = True) -> MotionEncoder:
    """Train the FID encoder on ``clips`` (dicts with raw ``features`` [T, F] and ``activity``).

    Trained on one thread whatever the caller's setting: the float sums of a multi-threaded convolution depend on the
    thread count, 400 optimiser steps amplify that into a different encoder, and FID values are comparable only
    under one encoder (docs/realism.md §11.3)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_motion_encoder(clips, mean, std, steps=steps, batch=batch, seed=seed, crop=crop, progress=progress)
    finally:
        torch.set_num_threads(threads)


def _train_motion_encoder(clips, mean, std, *, steps, batch, seed, crop, progress) -> MotionEncoder:
    from tqdm import tqdm

    acts = sorted({c["activity"] for c in clips})
    idx = {a: i for i, a in enumerate(acts)}
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    enc = MotionEncoder(clips[0]["features"].shape[-1], len(acts))
    enc.classes = acts
    X = [(torch.as_tensor(c["features"]).float() - mean) / std for c in clips]
    y = torch.tensor([idx[c["activity"]] for c in clips])
    # class-balanced sampling: the data are dominated by walking
    counts = torch.bincount(y, minlength=len(acts)).float()
    w = (1.0 / counts)[y]
    opt = torch.optim.AdamW(enc.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in tqdm(range(steps), desc="motion encoder", disable=not progress, unit="step"):
        bi = torch.multinomial(w, batch, replacement=True, generator=g)
        seqs = []
        for i in bi.tolist():
            T = X[i].shape[0]
            L = int(torch.randint(min(crop[0], T), min(crop[1], T) + 1, (1,), generator=g))
            s = int(torch.randint(0, T - L + 1, (1,), generator=g))
            seqs.append(X[i][s:s + L])
        x, m = _pad(seqs)
        loss = nn.functional.cross_entropy(enc(x, m), y[bi])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return enc.eval()


def encoder_for(data_dir, mean, std, *, steps: int = 400, seed: int = 0, progress: bool = True) -> MotionEncoder:
    """The data set's FID encoder, trained once and cached as ``DATA/motion_encoder.safetensors``."""
    from safetensors.torch import load_file, save_file

    from ..data.dataset import load_split

    path = Path(data_dir) / f"motion_encoder_s{seed}_n{steps}.safetensors"
    if path.exists():
        from safetensors import safe_open
        with safe_open(str(path), "pt") as f:
            md = f.metadata()
        classes = json.loads(md["classes"])
        enc = MotionEncoder(int(md["n_feats"]), len(classes))
        enc.load_state_dict(load_file(str(path)))
        enc.classes = classes
        return enc.eval()
    clips, _, _ = load_split(data_dir, "train")
    enc = train_motion_encoder(clips, mean, std, steps=steps, seed=seed, progress=progress)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in enc.state_dict().items()}, str(tmp),
              metadata={"classes": json.dumps(enc.classes), "n_feats": str(enc.n_feats)})
    tmp.replace(path)
    return enc


def encoder_fingerprint(enc: nn.Module) -> str:
    """First 16 hex digits of the SHA-256 of ``enc``'s weights (names, shapes and float32 bytes, in state-dict
    order): FID values of two evaluations are comparable only when their fingerprints are equal."""
    import hashlib

    h = hashlib.sha256()
    for k, v in enc.state_dict().items():
        h.update(f"{k}{tuple(v.shape)}".encode())
        h.update(v.detach().to(torch.float32).contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------- metrics
def fid_terms(a: np.ndarray, b: np.ndarray) -> Dict[str, float]:
    """The Fréchet distance between Gaussians fitted to embeddings ``a`` [N, D] and ``b`` [M, D] in its two parts:
    ``mean`` = |μa − μb|² (where the two sets sit) and ``cov`` = tr Σa + tr Σb − 2 tr (Σa Σb)^½ (how they spread);
    ``fid`` = their sum. NaN for fewer than two rows in either set."""
    from scipy import linalg

    if a.shape[0] < 2 or b.shape[0] < 2:
        return {"fid": float("nan"), "mean": float("nan"), "cov": float("nan")}
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        eps = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    mean = float(((mu1 - mu2) ** 2).sum())
    cov = float(np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    return {"fid": mean + cov, "mean": mean, "cov": cov}


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to embeddings ``a`` [N, D] and ``b`` [M, D]."""
    return fid_terms(a, b)["fid"]


def fid_swap_attribution(gen: np.ndarray, base: np.ndarray, ref: np.ndarray, groups: Sequence) -> Dict:
    """Which rows of ``gen`` make its FID to ``ref`` differ from ``base``'s: ``gen`` and ``base`` [N, D] are paired
    row by row (the same prompt, length and noise through two models), ``ref`` [M, D] the real embeddings, ``groups``
    [N] a label per row (e.g. the clip's activity, or the row's index for each row on its own). Per group: FID to
    ``ref`` of ``gen`` with that group's rows replaced by ``base``'s, and ``swap_gain`` = FID(gen) − that (positive:
    the group's own rows raise gen's FID by that much), with the group's size and the mean paired embedding distance
    |gen − base| of its rows. The gains of several groups need not add up (FID is not additive); swapping every group
    gives FID(base)."""
    gen, base = np.asarray(gen, np.float64), np.asarray(base, np.float64)
    if gen.shape != base.shape or gen.ndim != 2:
        raise ValueError(f"gen and base must be paired [N, D] embeddings of one shape, got {gen.shape} and "
                         f"{base.shape}")
    if len(groups) != gen.shape[0]:
        raise ValueError(f"groups must have one label per row ({gen.shape[0]}), got {len(groups)}")
    full = frechet_distance(gen, ref)
    labels = np.asarray(list(groups), dtype=object)
    shift = np.linalg.norm(gen - base, axis=1)
    out = {}
    for g in sorted(set(labels.tolist())):
        m = labels == g
        swapped = gen.copy()
        swapped[m] = base[m]
        f = frechet_distance(swapped, ref)
        out[g] = {"n": int(m.sum()), "fid_swapped": f, "swap_gain": full - f, "paired_shift": float(shift[m].mean())}
    return out


def diversity(emb: np.ndarray, pairs: int = 300, seed: int = 0) -> float:
    """Mean L2 distance between ``pairs`` random pairs of rows of ``emb`` [N, D]."""
    rng = np.random.default_rng(seed)
    n = emb.shape[0]
    if n < 2:
        return float("nan")
    i = rng.integers(0, n, pairs)
    j = (i + rng.integers(1, n, pairs)) % n
    return float(np.linalg.norm(emb[i] - emb[j], axis=1).mean())


def smooth_features(f: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian temporal smoothing (σ in frames, reflect padding) of features ``[..., T, F]``: the
    post-hoc baseline that lowers acceleration without L_acc."""
    if sigma <= 0:
        return f
    r = max(1, int(math.ceil(3 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=f.dtype) / sigma) ** 2)
    k = (k / k.sum()).to(f.device)
    shp = f.shape
    x = f.reshape(-1, shp[-2], shp[-1]).transpose(1, 2).reshape(-1, 1, shp[-2])
    pad = min(r, shp[-2] - 1)
    x = nn.functional.pad(x, (pad, pad), mode="reflect") if pad > 0 else x
    if pad < r:  # very short clip: replicate beyond the reflectable range
        x = nn.functional.pad(x, (r - pad, r - pad), mode="replicate")
    y = nn.functional.conv1d(x, k.view(1, 1, -1))
    return y.reshape(-1, shp[-1], shp[-2]).transpose(1, 2).reshape(shp)


def _display_name(ck: str) -> str:
    """A checkpoint's name in tables: the shipped name, the file's stem, or for a run directory's
    ``model.safetensors`` the run directory's name (``runs/refined/model.safetensors`` → ``refined``); an
    imported MDM ``mdm:DIR`` is ``mdm:`` + the directory's name."""
    if ck.startswith("mdm:"):
        return "mdm:" + Path(ck[4:].rstrip("/")).name
    if not ck.endswith(".safetensors"):
        return ck
    p = Path(ck)
    return p.parent.name if p.stem == "model" and p.parent.name not in ("", ".") else p.stem


def spec_options(spec: str):
    """``NAME`` with options ``@smooth=SIGMA`` (the sampled features smoothed in time, frames) and ``@stop=T`` (the
    DDIM chain ended at its last step at t >= T, :func:`imusim.diffusion.train.sample`'s ``stop_t``), e.g.
    ``refined@stop=1`` → (checkpoint, {"smooth": sigma or 0.0, "stop": T or None}, display name)."""
    from .gaussian import is_timestep

    ck, *opts = spec.split("@")
    out, name = {"smooth": 0.0, "stop": None}, _display_name(ck)
    parse = {"smooth": float, "stop": int}
    for opt in opts:
        k, _, v = opt.partition("=")
        if k not in parse:
            raise ValueError(f"checkpoint spec {spec!r}: unknown option {k!r} (expected NAME@smooth=SIGMA or "
                             "NAME@stop=T)")
        try:
            val = parse[k](v)
        except ValueError:
            val = None
        if val is None or (k == "stop" and not is_timestep(val)):
            raise ValueError(f"checkpoint spec {spec!r}: option {k!r} needs a number (smooth: frames >= 0; stop: an "
                             f"integer step in [0, 999]), got {v!r}")
        out[k] = val
        name += f"+{k}{val:g}"
    return ck, out, name


def parse_spec(spec: str):
    """``NAME``, ``NAME@smooth=SIGMA`` (or with ``@stop=T``, :func:`spec_options`) → (checkpoint, sigma, display
    name)."""
    ck, opts, name = spec_options(spec)
    return ck, opts["smooth"], name


# ----------------------------------------------------------------------------- evaluation
def embed_motions(feats_norm: List[torch.Tensor], enc: MotionEncoder) -> np.ndarray:
    """Embeddings [N, D] of normalised feature sequences (each [T_i, F]); [0, D] for none."""
    with torch.no_grad():
        embs = [enc.embed(*_pad(feats_norm[i:i + 64])) for i in range(0, len(feats_norm), 64)]
    return torch.cat(embs).numpy() if embs else np.zeros((0, enc.dim), np.float32)


def _encoder_activity(emb: np.ndarray, enc: MotionEncoder) -> List[str]:
    """The FID encoder's activity for each embedding [N, D] (its classifier head's argmax, by class name)."""
    with torch.no_grad():
        k = enc.head(torch.as_tensor(emb, dtype=torch.float32)).argmax(-1).tolist() if len(emb) else []
    return [enc.classes[i] for i in k]


def _encoder_readout(emb: np.ndarray, acts: Sequence[str], enc: MotionEncoder) -> Dict:
    """The per-clip embedding [N, D] rows and the encoder's activity for each, and the fraction of clips whose
    encoder activity is their own (``encoder_accuracy``): how recognisable the motions are to the FID encoder."""
    pred = _encoder_activity(emb, enc)
    acc = float(np.mean([p == a for p, a in zip(pred, acts)])) if pred else float("nan")
    return {"encoder_accuracy": acc, "embedding": np.asarray(emb, np.float64).round(5).tolist(),
            "encoder_activity": pred}


def _physical(feats_norm: List[torch.Tensor], mean, std, fps: float):
    """Per-clip foot skating, jerk and joint acceleration [N] of normalised feature sequences."""
    from ..motion.humanml import recover_from_ric

    skate, jk, ja = [], [], []
    for f in feats_norm:
        P = recover_from_ric((f * std + mean).double(), 22)
        skate.append(foot_skating(P, fps))
        jk.append(jerk(P, fps))
        ja.append(joint_acc(P, fps))
    return np.array(skate), np.array(jk), np.array(ja)


FID_FEATURES = ("generated", "consistent")


def encoder_view(feats_norm: List[torch.Tensor], mean, std, fid_features: str = "generated") -> List[torch.Tensor]:
    """What the FID encoder reads of normalised feature sequences: as they are (``"generated"``), or with their
    redundant channels re-derived from the motion they define (``"consistent"``:
    :func:`~imusim.motion.humanml.consistent_features`, one frame shorter), so that FID compares the motions that
    ``features_to_motion`` and the IMUs see rather than channels no rendering reads."""
    if fid_features == "generated":
        return list(feats_norm)
    if fid_features != "consistent":
        raise ValueError(f"fid_features (--fid-features) must be one of {FID_FEATURES}, got {fid_features!r}")
    from ..motion.humanml import consistent_features

    return [((consistent_features((f * std + mean).double()).float() - mean) / std) for f in feats_norm]


def _group(values: np.ndarray, acts: List[str]):
    from ..data.captions import DYNAMIC_ACTIVITIES

    per = {}
    for a in sorted(set(acts)):
        sel = np.array([x == a for x in acts])
        per[a] = {"n": int(sel.sum()), "mean": float(values[sel].mean())}
    dyn = np.array([a in DYNAMIC_ACTIVITIES for a in acts])
    hi = float(values[dyn].mean()) if dyn.any() else float("nan")
    lo = float(values[~dyn].mean()) if (~dyn).any() else float("nan")
    return per, hi, lo


def acc_power(x: torch.Tensor) -> float:
    """Mean squared second difference of one clip ``x`` [T, F] (normalised features): L_acc against a
    motionless clip; nan when T < 3."""
    if x.shape[0] < 3:
        return float("nan")
    return float((x[2:] - 2 * x[1:-1] + x[:-2]).double().square().mean())


def acc_power_groups(xs: Sequence[torch.Tensor]) -> Optional[Dict[str, float]]:
    """Mean over clips of each HumanML3D channel group's acceleration power (:func:`acc_power` on the group's channels,
    :data:`imusim.motion.humanml.GROUPS`) for clips ``xs`` (each [T, 263], normalised features); a group's share of
    the whole power is its value × its width / 263. None when the features are not the 263-d ones."""
    from ..motion.humanml import GROUPS, N_FEATS

    xs = [x for x in xs if x.shape[0] >= 3]
    if not xs or xs[0].shape[-1] != N_FEATS:
        return None
    return {g: float(np.mean([acc_power(x[:, sl]) for x in xs])) for g, sl in GROUPS.items()}


def lacc_decomposition(l_acc, p_gen, p_real) -> Dict[str, np.ndarray]:
    """The paired L_acc of each clip split into what acceleration power and what alignment contribute.

    With a = Δ²gen and b = Δ²gt of one clip and means over the same (T − 2)·F terms, L_acc = mean (a − b)²
    = P_g + P_r − 2·C exactly, where P_g = mean a², P_r = mean b² (:func:`acc_power`) and C = mean a·b. Only C
    rewards a motion for matching its ground truth in time; P_g rewards it for having little acceleration. Inputs:
    per-clip arrays [N] (``l_acc``, the generated motions' ``acc_power`` and their real clips' ``acc_power``).
    Returns per-clip arrays [N]:

    * ``cross`` — C = (P_g + P_r − L_acc) / 2;
    * ``corr`` — ρ = C / √(P_g·P_r), the cosine between the two acceleration sequences (0 where either has no
      acceleration: nothing to align);
    * ``power_term`` — (√P_g − √P_r)², the L_acc of the motion rescaled to perfect alignment (ρ = 1);
    * ``shape_term`` — 2·√(P_g·P_r)·(1 − ρ); ``power_term + shape_term`` = L_acc;
    * ``matched`` — 2·P_r·(1 − ρ), the L_acc the clip would score with its acceleration rescaled to its real clip's
      power: a reading that does not fall when a model damps its motion (a motionless clip scores 2·P_r, as an
      unaligned real clip does on average, rather than P_r).
    """
    la, pg, pr = (np.asarray(v, float) for v in (l_acc, p_gen, p_real))
    if not (la.shape == pg.shape == pr.shape):
        raise ValueError(f"l_acc, p_gen, p_real: expected one shape, got {la.shape}, {pg.shape}, {pr.shape}")
    cross = (pg + pr - la) / 2
    norm = np.sqrt(pg * pr)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(norm > 0, cross / np.where(norm > 0, norm, 1.0), 0.0)
    corr = np.where(np.isfinite(la) & np.isfinite(pg) & np.isfinite(pr), corr, np.nan)
    return {"cross": cross, "corr": corr, "power_term": (np.sqrt(pg) - np.sqrt(pr)) ** 2,
            "shape_term": 2 * norm * (1 - corr), "matched": 2 * pr * (1 - corr)}


def unaligned_real_l_acc(real: Sequence[torch.Tensor], acts: Sequence[str], draws: int = 20,
                         seed: int = 0) -> Dict[str, float]:
    """L_acc of each clip ``real[i]`` [T_i, F] against another clip of the same activity (drawn uniformly,
    tiled or cut to T_i), mean over clips, then mean and std over ``draws`` draws. Clips whose activity has
    no other clip (or with T < 3) are left out. Returns ``{"mean", "std", "n_clips"}``."""
    from .. import acc_loss

    rng = np.random.default_rng(seed)
    by_act: Dict[str, List[int]] = {}
    for i, a in enumerate(acts):
        by_act.setdefault(a, []).append(i)
    use = [i for i in range(len(real)) if len(by_act[acts[i]]) > 1 and real[i].shape[0] >= 3]
    vals = []
    for _ in range(draws):
        v = []
        for i in use:
            others = [j for j in by_act[acts[i]] if j != i]
            o = real[others[int(rng.integers(len(others)))]]
            o = o.repeat(-(-real[i].shape[0] // o.shape[0]), 1)[: real[i].shape[0]]
            v.append(float(acc_loss(o[None], real[i][None], backend="torch")))
        vals.append(float(np.mean(v)) if v else float("nan"))
    return {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "n_clips": len(use)}


def generate_for_clips(spec: str, captions: Sequence[str], lengths: Sequence[int], dmean, dstd, *, samples: int = 1,
                       steps: int = 50, guidance: Optional[float] = None, seed: int = 0, device: str = "cpu",
                       anchor_feet: Optional[int] = None, progress: bool = True, observe=None,
                       stop_t: Optional[int] = None):
    """The motions that :func:`evaluate_motion` generates for checkpoint ``spec`` (name, path,
    ``NAME@smooth=SIGMA`` or ``NAME@stop=T``, :func:`spec_options`): for each sample r and clip i, caption i at
    length i with the seed
    ``seed·1000003 + r·100003 + i``, so that every checkpoint sees the same prompts, lengths and noise.
    Returns (features normalised by the data set's ``dmean``/``dstd``, each [length_i, F]; the (r, i) of each; a
    dict with the checkpoint, sigma, name, meta, guidance, anchor_feet, stop_t and model). ``guidance``/``anchor_feet``
    None: the checkpoint's recorded ones; ``stop_t`` None: the spec's ``@stop``, else the checkpoint's recorded one.
    ``observe(jobs, k, step, x0)``, where given, sees every DDIM step's x0
    prediction of each batch, de-normalised to raw features ``[B, T_max, F]``, with the batch's (r, i) ``jobs`` (the
    sampler's hook, :func:`imusim.diffusion.train.sample`)."""
    from tqdm import tqdm

    from .checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from .text import get_text_encoder
    from .train import sample
    from .zoo import resolve_checkpoint

    ck, opts, name = spec_options(spec)
    sigma = opts["smooth"]
    path = resolve_checkpoint(ck)
    model, mean, std, enc_name, meta = load_checkpoint(path, device)
    g = recommended_guidance(meta, path) if guidance is None else guidance
    af = recommended_anchor_feet(meta, path) if anchor_feet is None else anchor_feet
    stop = stop_t if stop_t is not None else opts["stop"] if opts["stop"] is not None else int(model.sample_stop_t)
    text = get_text_encoder(enc_name, device=device)
    gen_norm = []
    jobs = [(r, i) for r in range(samples) for i in range(len(captions))]
    bs = 32
    bar = tqdm(total=len(jobs), desc=f"sample {name}", disable=not progress, unit="motion")
    for b in range(0, len(jobs), bs):
        jb = jobs[b:b + bs]
        feats, _ = sample(model, mean, std, text, [captions[i] for _, i in jb], [lengths[i] for _, i in jb],
                          steps=steps, guidance=g, seeds=[seed * 1_000_003 + r * 100_003 + i for r, i in jb],
                          device=device, anchor_feet=af, stop_t=stop,
                          observe=None if observe is None else
                          (lambda k, step, x0, jb=jb: observe(jb, k, step, x0 * std.to(x0) + mean.to(x0))))
        for (r, i), f in zip(jb, feats.cpu()):
            f = smooth_features(f[: lengths[i]].float(), sigma)
            gen_norm.append((f - dmean) / dstd)  # the data set's normalisation, the same for every checkpoint
        bar.update(len(jb))
    bar.close()
    return gen_norm, jobs, {"checkpoint": ck, "sigma": sigma, "name": name, "meta": meta, "guidance": g,
                            "anchor_feet": af, "stop_t": stop, "model": model}


def evaluate_motion(checkpoints: Sequence[str], data_dir, *, split: str = "test", samples: int = 1,
                    steps: int = 50, guidance: Optional[float] = None, seed: int = 0, max_frames: int = 196,
                    limit: Optional[int] = None, device: Optional[str] = None, encoder_steps: int = 400,
                    progress: bool = True, anchor_feet: Optional[int] = None, fid_encoders: int = 1,
                    fid_features: str = "generated", stop_t: Optional[int] = None) -> Dict:
    """Evaluate each checkpoint spec (name, path, ``NAME@smooth=SIGMA`` or ``NAME@stop=T``); returns the JSON dict.
    ``stop_t`` (where every checkpoint's DDIM chain ends) None: each spec's ``@stop``, else its recorded value.
    ``fid_encoders`` K > 1: FID also under the encoders of seeds 1..K-1 (each trained once and cached),
    written as ``fid_per_encoder`` [K] with the encoders' fingerprints in ``fid_encoders``; ``fid`` stays seed 0's.
    ``fid_features``: what the encoder reads (FID, diversity, encoder accuracy, embeddings), :func:`encoder_view`.
    ``guidance`` None: each checkpoint at the scale it records (:func:`~imusim.diffusion.checkpoint.recommended_guidance`,
    written per checkpoint as ``guidance``; the sampler's ``guidance`` is then ``"checkpoint"``); ``anchor_feet``
    likewise (:func:`~imusim.diffusion.checkpoint.recommended_anchor_feet`)."""
    from .. import acc_loss
    from ..data.dataset import load_split

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    clips, dmean, dstd = load_split(data_dir, split)
    if not clips:
        raise ValueError(f"--data {data_dir}: split {split!r} is empty")
    clips = clips[:limit] if limit else clips
    fps = HUMANML3D_FPS
    if fid_encoders < 1:
        raise ValueError(f"fid_encoders (--fid-encoders) must be >= 1, got {fid_encoders}")
    if fid_features not in FID_FEATURES:
        raise ValueError(f"fid_features (--fid-features) must be one of {FID_FEATURES}, got {fid_features!r}")
    encs = [encoder_for(data_dir, dmean, dstd, steps=encoder_steps, seed=k, progress=progress) for k in range(fid_encoders)]
    enc_m = encs[0]
    gt = [torch.as_tensor(c["features"][:max_frames]).float() for c in clips]
    acts = [c["activity"] for c in clips]
    caps = [c["captions"][0] for c in clips]
    real_norm = [(g - dmean) / dstd for g in gt]
    real_enc = encoder_view(real_norm, dmean, dstd, fid_features)
    r_emb, (r_sk, r_jk, r_ja) = embed_motions(real_enc, enc_m), _physical(real_norm, dmean, dstd, fps)
    # FID floor: the validation split against the test split
    vclips, _, _ = load_split(data_dir, "val" if split != "val" else "train")
    v_norm = encoder_view([(torch.as_tensor(c["features"][:max_frames]).float() - dmean) / dstd for c in vclips],
                          dmean, dstd, fid_features)
    v_embs = [embed_motions(v_norm, e) for e in encs]
    r_embs = [r_emb] + [embed_motions(real_enc, e) for e in encs[1:]]
    v_emb = v_embs[0]
    r_pow = np.array([acc_power(x) for x in real_norm])
    r_view = _encoder_readout(r_emb, acts, enc_m)
    v_terms = fid_terms(v_emb, r_emb)
    real = {"name": "real", "n": len(clips), "l_acc": 0.0, "fid": v_terms["fid"], "fid_mean_term": v_terms["mean"],
            "fid_cov_term": v_terms["cov"],
            "encoder_accuracy": r_view["encoder_accuracy"],
            "acc_power": float(np.nanmean(r_pow)), "acc_power_groups": acc_power_groups(real_norm),
            "l_acc_unaligned_real": unaligned_real_l_acc(real_norm, acts, seed=seed),
            "diversity": diversity(r_emb, seed=seed), "foot_skating": float(r_sk.mean()),
            "jerk": float(r_jk.mean()), "joint_acc": float(r_ja.mean()),
            "per_clip": {"foot_skating": r_sk.tolist(), "jerk": r_jk.tolist(), "joint_acc": r_ja.tolist(),
                         "acc_power": r_pow.tolist(),
                         "activity": acts, "embedding": r_view["embedding"],
                         "encoder_activity": r_view["encoder_activity"]}}
    out = {"split": split, "data": str(data_dir), "n_clips": len(clips), "samples_per_clip": samples,
           "sampler": {"name": "ddim", "steps": steps, "guidance": "checkpoint" if guidance is None else guidance,
                       "seed": seed},
           "max_frames": max_frames, "fid_encoder": encoder_fingerprint(enc_m), "fid_features": fid_features,
           "captions": caps, "real": real,
           "checkpoints": []}
    if fid_encoders > 1:
        out["fid_encoders"] = [encoder_fingerprint(e) for e in encs]
        real["fid_per_encoder"] = [frechet_distance(v, r) for v, r in zip(v_embs, r_embs)]
    lengths = [g.shape[0] for g in gt]
    for spec in checkpoints:
        gen_norm, jobs, info = generate_for_clips(spec, caps, lengths, dmean, dstd, samples=samples, steps=steps,
                                                  guidance=guidance, seed=seed, device=device,
                                                  anchor_feet=anchor_feet, progress=progress, stop_t=stop_t)
        ck, sigma, name, meta, g, af, model = (info[k] for k in ("checkpoint", "sigma", "name", "meta", "guidance",
                                                                  "anchor_feet", "model"))
        rep_acts = [acts[i] for _, i in jobs]
        l_acc = [float(acc_loss(fn[None], real_norm[i][None], backend="torch")) if lengths[i] >= 3 else float("nan")
                 for fn, (_, i) in zip(gen_norm, jobs)]
        l_acc = np.array(l_acc)
        gen_enc = encoder_view(gen_norm, dmean, dstd, fid_features)
        emb, (sk, jk, ja) = embed_motions(gen_enc, enc_m), _physical(gen_norm, dmean, dstd, fps)
        g_pow = np.array([acc_power(x) for x in gen_norm])
        dec = lacc_decomposition(l_acc, g_pow, r_pow[[i for _, i in jobs]])
        per, hi, lo = _group(l_acc, rep_acts)
        ja_per, ja_hi, ja_lo = _group(ja, rep_acts)
        terms, view = fid_terms(emb, r_emb), _encoder_readout(emb, rep_acts, enc_m)
        out["checkpoints"].append({
            "name": name, "checkpoint": str(ck), "smooth_sigma": sigma, "step": meta.get("step"), "guidance": g,
            "anchor_feet": af, "anchor_contact": getattr(model, "anchor_contact", "channels") if af else None,
            "stop_t": info["stop_t"],
            "l_acc": float(np.nanmean(l_acc)), "l_acc_high_dynamic": hi, "l_acc_low_dynamic": lo,
            "l_acc_per_activity": per, "fid": terms["fid"], "fid_mean_term": terms["mean"],
            "fid_cov_term": terms["cov"], "encoder_accuracy": view["encoder_accuracy"],
            "diversity": diversity(emb, seed=seed),
            "foot_skating": float(sk.mean()), "jerk": float(jk.mean()), "joint_acc": float(ja.mean()),
            "joint_acc_ratio_to_real": float(ja.mean() / max(r_ja.mean(), 1e-12)),
            "joint_acc_per_activity": ja_per,
            "acc_power": float(np.nanmean(g_pow)), "acc_power_ratio_to_real": float(np.nanmean(g_pow) / np.nanmean(r_pow)),
            "acc_power_groups": acc_power_groups(gen_norm),
            "acc_cross": float(np.nanmean(dec["cross"])), "acc_corr": float(np.nanmean(dec["corr"])),
            "l_acc_matched_power": float(np.nanmean(dec["matched"])),
            # per generated motion, in the order (sample r, test clip i): paired comparisons and bootstraps
            "per_clip": {"l_acc": l_acc.tolist(), "foot_skating": sk.tolist(), "jerk": jk.tolist(),
                         "joint_acc": ja.tolist(), "acc_power": g_pow.tolist(), "acc_cross": dec["cross"].tolist(),
                         "acc_corr": dec["corr"].tolist(),
                         "l_acc_matched_power": dec["matched"].tolist(), "activity": rep_acts,
                         "embedding": view["embedding"], "encoder_activity": view["encoder_activity"]}})
        if fid_encoders > 1:
            out["checkpoints"][-1]["fid_per_encoder"] = [frechet_distance(emb, r_embs[0])] + [
                frechet_distance(embed_motions(gen_enc, e), r) for e, r in zip(encs[1:], r_embs[1:])]
    return out


def markdown_table(res: Dict) -> str:
    """Metrics × (real, each checkpoint, Δ of the last vs the first checkpoint)."""
    cks = res["checkpoints"]
    rows = [("L_acc (features, paired with GT) ↓", "l_acc"), ("L_acc high-dynamic ↓", "l_acc_high_dynamic"),
            ("L_acc low-dynamic ↓", "l_acc_low_dynamic"), ("FID (motion encoder) ↓", "fid"),
            ("FID's mean term ‖Δμ‖² ↓", "fid_mean_term"), ("FID's covariance term ↓", "fid_cov_term"),
            ("FID encoder's activity accuracy (→ real)", "encoder_accuracy"),
            ("diversity (→ real)", "diversity"), ("foot skating ratio ↓", "foot_skating"),
            ("jerk (m/s³, → real)", "jerk"), ("joint acceleration (m/s², → real)", "joint_acc"),
            ("feature acceleration power (→ real)", "acc_power"),
            ("acceleration cosine with the ground truth ↑", "acc_corr"),
            ("L_acc at the real clip's power, 2·P_r·(1 − cosine) ↓", "l_acc_matched_power")]
    head = ["metric", "real (test)"] + [c["name"] for c in cks]
    if len(cks) >= 2:
        head.append(f"{cks[-1]['name']} vs {cks[0]['name']}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, key in rows:
        r = res["real"].get(key)
        vals = [c.get(key, float("nan")) for c in cks]
        cells = [label, "—" if r is None or key.startswith("l_acc") else f"{r:.4g}"] + [f"{v:.4g}" for v in vals]
        if len(cks) >= 2:
            a, b = vals[0], vals[-1]
            cells.append(f"{100 * (b - a) / a:+.1f} %" if a and a == a and b == b else "—")
        lines.append("| " + " | ".join(cells) + " |")
        if key == "fid" and "fid_per_encoder" in res["real"]:
            k = len(res["real"]["fid_per_encoder"])
            per = [res["real"]["fid_per_encoder"]] + [c.get("fid_per_encoder", [float("nan")] * k) for c in cks]
            cells = [f"FID, mean ± std over {k} encoders ↓"] + [f"{np.mean(v):.4g} ± {np.std(v, ddof=1):.2g}" for v in per]
            lines.append("| " + " | ".join(cells + ["—"] * (len(head) - len(cells))) + " |")
    ua = res["real"].get("l_acc_unaligned_real")
    if ua:
        lines += ["", f"L_acc of real test clips against another real clip of the same activity (not aligned in time): "
                      f"{ua['mean']:.4g} ± {ua['std']:.2g} ({ua['n_clips']} clips); a lower paired L_acc than this "
                      f"needs less acceleration power than real motion, or alignment with the ground truth."]
    acts = sorted({a for c in cks for a in c["l_acc_per_activity"]})
    lines += ["", "L_acc per activity (test clips):", "",
              "| activity | n | " + " | ".join(c["name"] for c in cks) +
              (f" | {cks[-1]['name']} vs {cks[0]['name']}" if len(cks) >= 2 else "") + " |",
              "|" + "---|" * (2 + len(cks) + (len(cks) >= 2))]
    for a in acts:
        v = [c["l_acc_per_activity"].get(a, {}).get("mean", float("nan")) for c in cks]
        n = cks[0]["l_acc_per_activity"].get(a, {}).get("n", 0)
        cells = [a, str(n)] + [f"{x:.4g}" for x in v]
        if len(cks) >= 2:
            cells.append(f"{100 * (v[-1] - v[0]) / v[0]:+.1f} %" if v[0] else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
