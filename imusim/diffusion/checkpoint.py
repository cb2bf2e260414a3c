"""Checkpoints that never unpickle: safetensors tensors + JSON metadata.

A checkpoint file ``*.safetensors`` holds
* tensors: ``model.*`` (weights; EMA weights when trained with EMA), ``norm.mean``/``norm.std``
  ``[F]`` normalisation statistics, optionally ``optim.*``-free (optimizer state lives in a separate
  ``*.train.safetensors`` + JSON for resuming);
* metadata (strings): ``config`` (JSON of MDMConfig), ``text_encoder`` (name), ``meta`` (JSON:
  training step, lambda_acc, data set summary, ...), ``format`` and ``sha256``.
* a two-expert checkpoint (:func:`save_expert_pair`) adds the low-noise network's tensors ``low.model.*``, its
  config ``low_config`` and ``meta["experts"]["below_t"]``; it loads as one
  :class:`~imusim.diffusion.experts.ExpertPair`; a routed pair (:func:`save_routed_pair`) also the second low-noise
  network's ``moving.model.*``, ``moving_config`` and ``meta["experts"]["route_min_acc"]`` (and ``route_still_acc``, a band).

Integrity: ``sha256`` (written by :func:`save_checkpoint`) is the SHA-256 of the content — every tensor's
name, dtype, shape and bytes in name order, then the other metadata fields — so a flipped byte anywhere
in the weights or the metadata fails the load with :class:`~imusim.errors.CorruptFileError` naming the
file; so does a truncated or foreign file. Checkpoints written before checksums (no ``sha256``) still
load, unverified. Before anything is allocated, the config is checked against sane bounds and the
model's parameter shapes (built on the ``meta`` device) against the file's tensors, so a damaged or
hostile config cannot request absurd amounts of memory.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import torch

from ..errors import CorruptFileError
from ..motion.quality import ANCHOR_CONTACTS  # re-exported: the trainer's and the CLI's choices
from .gaussian import is_timestep
from .model import ARCHS, INPUTS, MDM, MDMConfig, OUTPUTS

FORMAT = "imusim-mdm-1"
DEFAULT_GUIDANCE = 2.5  # MDM's classifier-free guidance scale, for checkpoints that do not record their own


def read_meta(path) -> Dict[str, Any]:
    """The ``meta`` JSON of a checkpoint without reading its tensors (what the sampler settings and provenance
    need). An unreadable file or metadata that is not JSON raises CorruptFileError naming ``path``."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = json.loads((f.metadata() or {}).get("meta", "{}"))
    except Exception as e:
        raise CorruptFileError(path, f"no readable checkpoint metadata ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict):
        raise CorruptFileError(path, f"metadata meta must be a JSON object, got {type(meta).__name__}")
    return meta


def _sampling(meta: Dict[str, Any], path) -> Dict[str, Any]:
    """A checkpoint's recorded sampler settings ``meta["sampling"]`` ({} when absent)."""
    samp = meta.get("sampling") or {}
    if not isinstance(samp, dict):
        raise CorruptFileError(path, f"metadata meta.sampling must be a JSON object, got {type(samp).__name__}")
    return samp


def recommended_guidance(meta: Dict[str, Any], path="checkpoint") -> float:
    """The classifier-free guidance scale a checkpoint was validated with: its metadata's
    ``meta["sampling"]["guidance"]`` (the shipped ``refined`` records the one its realism and HAR figures were
    measured at, docs/realism.md §8), else :data:`DEFAULT_GUIDANCE`. A recorded value that is not a finite number
    >= 0 raises CorruptFileError naming ``path``."""
    g = _sampling(meta, path).get("guidance", DEFAULT_GUIDANCE)
    if isinstance(g, bool) or not isinstance(g, (int, float)) or not (g >= 0 and g != float("inf")):
        raise CorruptFileError(path, f"metadata meta.sampling.guidance must be a finite number >= 0, got {g!r}")
    return float(g)


def recommended_anchor_feet(meta: Dict[str, Any], path="checkpoint") -> int:
    """The ``anchor_feet`` a checkpoint's samples were validated with (:func:`imusim.diffusion.train.sample`: the
    root follows the foot its contact channels say stands, at the steps t < anchor_feet): its metadata's
    ``meta["sampling"]["anchor_feet"]``, else 0 (off). A recorded value that is not an integer in [0, 1000] raises
    CorruptFileError naming ``path``."""
    a = _sampling(meta, path).get("anchor_feet", 0)
    if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= 1000:
        raise CorruptFileError(path, f"metadata meta.sampling.anchor_feet must be an integer in [0, 1000], got {a!r}")
    return a


ANCHOR_SMOOTH_MAX = 30.0  # frames: the widest smoothing of the anchored root a checkpoint or a run may ask for


def recommended_anchor_contact(meta: Dict[str, Any], path="checkpoint") -> str:
    """Which frames the foot anchor holds for a checkpoint (:func:`imusim.motion.quality.anchor_root_features`'s
    ``contact``): its metadata's ``meta["sampling"]["anchor_contact"]`` (``finetune --anchor-contact``), else
    ``"channels"`` (the prediction's own contact labels). Anything else raises CorruptFileError naming ``path``.
    :func:`load_checkpoint` sets it on the model it returns (``model.anchor_contact``), which
    :func:`imusim.diffusion.train.sample` reads."""
    c = _sampling(meta, path).get("anchor_contact", "channels")
    if c not in ANCHOR_CONTACTS:
        raise CorruptFileError(path, f"metadata meta.sampling.anchor_contact must be one of {list(ANCHOR_CONTACTS)}, "
                                     f"got {c!r}")
    return c


def recommended_anchor_smooth(meta: Dict[str, Any], path="checkpoint") -> float:
    """The sigma (frames) by which the foot anchor smooths the anchored root velocity in time for a checkpoint
    (:func:`imusim.motion.quality.anchor_root_features`'s ``smooth``): ``meta["sampling"]["anchor_smooth"]``
    (``finetune --anchor-smooth``, ``imusim experts --anchor-smooth``), else 0 (none). A value that is not a finite
    number in [0, :data:`ANCHOR_SMOOTH_MAX`] raises CorruptFileError naming ``path``. :func:`load_checkpoint` sets
    it on the model (``model.anchor_smooth``), which :func:`imusim.diffusion.train.sample` reads."""
    v = _sampling(meta, path).get("anchor_smooth", 0.0)
    number = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not number or not 0 <= v <= ANCHOR_SMOOTH_MAX:
        raise CorruptFileError(path, "metadata meta.sampling.anchor_smooth must be a number of frames in "
                                     f"[0, {ANCHOR_SMOOTH_MAX:g}], got {v!r}")
    return float(v)


def recommended_stop_t(meta: Dict[str, Any], path="checkpoint", schedule_steps: int = 1000) -> int:
    """Where the DDIM chain of a checkpoint's validated samples ends (:func:`imusim.diffusion.train.sample`'s
    ``stop_t``: the output is the x0 prediction of the last step at t >= stop_t): ``meta["sampling"]["stop_t"]``
    (``imusim experts --stop-t``), else 0 (the whole chain). A value that is not an integer in
    [0, ``schedule_steps`` − 1] raises CorruptFileError naming ``path``. :func:`load_checkpoint` sets it on the
    model (``model.sample_stop_t``)."""
    v = _sampling(meta, path).get("stop_t", 0)
    if not is_timestep(v, schedule_steps):
        raise CorruptFileError(path, f"metadata meta.sampling.stop_t must be an integer step in "
                                     f"[0, {schedule_steps - 1}], got {v!r}")
    return v


# (low, high) for the integer sizes of MDMConfig: far beyond any model this project trains or imports
BOUNDS = {"n_feats": (1, 4096), "latent": (1, 8192), "layers": (1, 128), "heads": (1, 256), "ff": (1, 65536),
          "text_dim": (1, 8192), "max_len": (1, 100_000),
          "schedule_steps": (1, 100_000)}


def content_sha256(tensors: Dict[str, torch.Tensor], metadata: Dict[str, str]) -> str:
    """SHA-256 of a checkpoint's content (see the module docstring); ``metadata`` without ``sha256``."""
    h = hashlib.sha256()
    for k in sorted(tensors):
        t = tensors[k].detach().to("cpu").contiguous()
        h.update(f"{k}\0{str(t.dtype)}\0{list(t.shape)}\0".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    for k in sorted(metadata):
        if k != "sha256":
            h.update(f"{k}\0{metadata[k]}\0".encode())
    return h.hexdigest()


def save_checkpoint(path, model: MDM, mean: torch.Tensor, std: torch.Tensor, text_encoder: str,
                    meta: Optional[Dict[str, Any]] = None, dtype: torch.dtype = torch.float32,
                    extra: Optional[Dict[str, MDM]] = None) -> Path:
    """Write ``model`` (and, for a two-expert checkpoint, ``extra={"low": network}``: tensors ``low.model.*``
    and its config in the metadata ``low_config``; use :func:`save_expert_pair`; a routed pair adds
    ``"moving"``: ``moving.model.*``, ``moving_config``; use :func:`save_routed_pair`)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().to("cpu", dtype).contiguous() for k, v in model.state_dict().items()}
    tensors["norm.mean"] = mean.detach().cpu().float().contiguous()
    tensors["norm.std"] = std.detach().cpu().float().contiguous()
    md = {"config": json.dumps(model.cfg.to_dict()), "text_encoder": text_encoder,
          "meta": json.dumps(meta or {}), "format": FORMAT}
    extra = extra or {}
    for name, net in extra.items():
        if name not in ("low", "moving"):
            raise ValueError(f"save_checkpoint: extra networks must be named 'low' or 'moving', got {name!r}")
        if name == "moving" and "low" not in extra:
            raise ValueError("save_checkpoint: a 'moving' network is the second low-noise expert of a routed pair; "
                             "give the 'low' one too")
        tensors.update({f"{name}.model.{k}": v.detach().to("cpu", dtype).contiguous()
                        for k, v in net.state_dict().items()})
        md[f"{name}_config"] = json.dumps(net.cfg.to_dict())
    md["sha256"] = content_sha256(tensors, md)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata=md)
    tmp.replace(path)
    return path


def check_config(path, d) -> MDMConfig:
    """An MDMConfig from the checkpoint's JSON ``d``, every field of the right type and within BOUNDS."""
    if not isinstance(d, dict):
        raise CorruptFileError(path, f"metadata config must be a JSON object, got {type(d).__name__}")
    known = set(MDMConfig.__dataclass_fields__)
    unknown = sorted(set(d) - known)
    if unknown:
        raise CorruptFileError(path, f"metadata config has unknown field(s) {unknown} (a newer imusim?)")
    for k, (lo, hi) in BOUNDS.items():
        if k in d:
            v = d[k]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise CorruptFileError(path, f"metadata config {k} must be an integer in [{lo}, {hi}], got {v!r}")
    for k in ("dropout", "cond_drop_prob"):
        if k in d and (isinstance(d[k], bool) or not isinstance(d[k], (int, float)) or not 0 <= d[k] <= 1):
            raise CorruptFileError(path, f"metadata config {k} must be in [0, 1], got {d[k]!r}")
    if d.get("activation", "gelu") not in ("gelu", "relu"):
        raise CorruptFileError(path, f"metadata config activation must be 'gelu' or 'relu', got {d['activation']!r}")
    if d.get("arch", "imusim") not in ARCHS:
        raise CorruptFileError(path, f"metadata config arch must be one of {list(ARCHS)}, got {d['arch']!r}")
    if d.get("output", "x0") not in OUTPUTS:
        raise CorruptFileError(path, f"metadata config output must be one of {list(OUTPUTS)}, got {d['output']!r}")
    if d.get("input", "x_t") not in INPUTS:
        raise CorruptFileError(path, f"metadata config input must be one of {list(INPUTS)}, got {d['input']!r}")
    cfg = MDMConfig(**d)
    if cfg.latent % cfg.heads:
        raise CorruptFileError(path, f"metadata config latent ({cfg.latent}) must be divisible by heads ({cfg.heads})")
    return cfg


def _network_config(path, md, key) -> MDMConfig:
    """The MDMConfig of an extra network from the metadata field ``key`` (JSON), CorruptFileError naming it."""
    try:
        return check_config(path, json.loads(md[key]))
    except ValueError as e:
        if isinstance(e, CorruptFileError):
            raise
        raise CorruptFileError(path, f"metadata {key} is not valid JSON ({e})") from None


def _low_expert(path, md, meta):
    """``(MDMConfig, below_t)`` of a two-expert checkpoint's low-noise network, or None for a plain one."""
    if "low_config" not in md:
        return None
    cfg = _network_config(path, md, "low_config")
    below = (meta.get("experts") or {}).get("below_t") if isinstance(meta, dict) else None
    if isinstance(below, bool) or not isinstance(below, int) or not 0 <= below <= cfg.schedule_steps:
        raise CorruptFileError(path, f"metadata meta.experts.below_t must be an integer step in "
                                     f"[0, {cfg.schedule_steps}] for a two-expert checkpoint, got {below!r}")
    return cfg, below


def _moving_expert(path, md, meta, low):
    """``(MDMConfig, route_min_acc, route_still_acc)`` of a routed pair's second low-noise network, or None."""
    if "moving_config" not in md:
        return None
    if low is None:
        raise CorruptFileError(path, "metadata has moving_config but no low_config: a routed pair has both")
    cfg = _network_config(path, md, "moving_config")
    m = (meta.get("experts") or {}).get("route_min_acc")
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 < m < math.inf:
        raise CorruptFileError(path, f"metadata meta.experts.route_min_acc must be an acceleration > 0 m/s^2 for a "
                                     f"routed pair, got {m!r}")
    s = (meta.get("experts") or {}).get("route_still_acc")
    if s is not None and (isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s < m):
        raise CorruptFileError(path, f"metadata meta.experts.route_still_acc must be an acceleration > 0 and below "
                                     f"route_min_acc ({m!r} m/s^2), got {s!r}")
    return cfg, float(m), None if s is None else float(s)


def save_expert_pair(path, high, low, below_t: int, meta: Optional[Dict[str, Any]] = None,
                     anchor_contact: Optional[str] = None, anchor_smooth: Optional[float] = None,
                     stop_t: Optional[int] = None) -> Path:
    """A two-expert checkpoint (:class:`~imusim.diffusion.experts.ExpertPair`): the checkpoint file ``high`` answers
    the sampler's steps t >= ``below_t``, ``low`` the steps below. Both must carry the same normalisation and
    text encoder (ValueError naming the difference otherwise). ``meta`` (default: ``high``'s, with
    ``experts`` = {below_t, high, low} recording where the two came from; an expert trained with ``anchor_feet``
    passes it on, the low one's capped at ``below_t``) goes into the file; it loads with
    :func:`load_checkpoint` as one model that every sampler, the generator and ``evaluate-motion`` accept.
    ``anchor_contact`` (one of :data:`ANCHOR_CONTACTS`): the anchor's contact rule for the pair instead of the
    expert's recorded one (docs/realism.md §15); ``anchor_smooth`` (frames, >= 0) likewise its smoothing of the root
    correction; both only for a pair that is sampled with an anchor. ``stop_t`` (a step in [0, 999]): where the
    pair's DDIM chain ends (``meta.sampling.stop_t``, :func:`recommended_stop_t`; None or 0: the whole chain)."""
    from .experts import ExpertPair

    if stop_t is not None and not is_timestep(stop_t):
        raise ValueError(f"save_expert_pair: stop_t must be an integer step in [0, 999] (the 1,000-step schedule), "
                         f"got {stop_t!r}")
    if anchor_contact is not None and anchor_contact not in ANCHOR_CONTACTS:
        raise ValueError(f"save_expert_pair: anchor_contact must be one of {list(ANCHOR_CONTACTS)}, "
                         f"got {anchor_contact!r}")
    if anchor_smooth is not None and not 0 <= anchor_smooth <= ANCHOR_SMOOTH_MAX:
        raise ValueError(f"save_expert_pair: anchor_smooth must be in [0, {ANCHOR_SMOOTH_MAX:g}] frames, "
                         f"got {anchor_smooth}")

    hm, hmean, hstd, henc, hmeta = load_checkpoint(high)
    lm, lmean, lstd, lenc, lmeta = load_checkpoint(low)
    if isinstance(hm, ExpertPair) or isinstance(lm, ExpertPair):
        raise ValueError("save_expert_pair: high and low must be single-network checkpoints")
    if henc != lenc:
        raise ValueError(f"save_expert_pair: the experts use different text encoders: high {henc!r}, low {lenc!r}")
    if not (torch.equal(hmean, lmean) and torch.equal(hstd, lstd)):  # False for different shapes too
        raise ValueError("save_expert_pair: the experts were trained with different feature normalisations "
                         f"(high {high}, low {low}); both must read the same data set's statistics")
    pair = ExpertPair(hm, lm, below_t)  # checks features, text width and below_t
    m = dict(hmeta if meta is None else meta)
    if meta is None and "sampling" in m:  # the high expert's scale; its reasons were about it alone
        m["sampling"] = {"guidance": recommended_guidance(hmeta, high), "why": f"the high-noise expert's ({high})"}
    # an expert trained through the sampler's foot anchor (finetune --anchor-feet) is sampled with it at its steps
    la = recommended_anchor_feet(lmeta, low)
    a = max(min(la, int(below_t)), recommended_anchor_feet(hmeta, high))
    if meta is None and a:
        m["sampling"] = {**m.get("sampling", {}), "anchor_feet": a}
        # the anchor's rule and smoothing come with the expert whose anchor is used (the low one's when it has one),
        # unless given
        src_meta, src = (lmeta, low) if la else (hmeta, high)
        c = anchor_contact or recommended_anchor_contact(src_meta, src)
        if c != "channels":
            m["sampling"]["anchor_contact"] = c
        sm = recommended_anchor_smooth(src_meta, src) if anchor_smooth is None else float(anchor_smooth)
        if sm:
            m["sampling"]["anchor_smooth"] = sm
    elif anchor_contact is not None or anchor_smooth is not None:
        raise ValueError(f"save_expert_pair: anchor_contact={anchor_contact!r}, anchor_smooth={anchor_smooth!r}, but "
                         "neither expert is sampled with the foot anchor (finetune --anchor-feet) and meta was not "
                         "derived from them")
    if stop_t:
        m["sampling"] = {**m.get("sampling", {}), "stop_t": int(stop_t)}
    m["experts"] = {"below_t": int(below_t), "high": str(high), "low": str(low)}
    return save_checkpoint(path, pair.high, hmean, hstd, henc, m, extra={"low": pair.low})


def save_routed_pair(path, pair, moving, route_min_acc: float, route_still_acc: Optional[float] = None) -> Path:
    """A routed pair (:class:`~imusim.diffusion.experts.ExpertPair` with ``moving``; docs/realism.md §40): the
    two-expert checkpoint ``pair`` (its high expert, its low expert, its sampling settings and metadata), and the low
    expert of the two-expert checkpoint ``moving`` for the motions whose last high-noise x0 prediction moves at
    ``route_min_acc`` m/s² or more (and, with ``route_still_acc``, below it: a band for ``pair``'s low expert,
    docs/realism.md §41). ``moving`` must be a pair with the same high expert (tensor for tensor), the same
    feature statistics, text encoder, hand-over step and sampling settings (guidance, foot anchor, stop_t): its low
    expert is then finished exactly as in ``moving``. ValueError naming the difference otherwise."""
    from .experts import ExpertPair

    pm, mean, std, enc, meta = load_checkpoint(pair)
    mm, mmean, mstd, menc, mmeta = load_checkpoint(moving)
    for name, src, m in (("pair", pair, pm), ("moving", moving, mm)):
        if not isinstance(m, ExpertPair):
            raise ValueError(f"save_routed_pair: {name} ({src}) must be a two-expert checkpoint (imusim experts, "
                             f"selftune), got a single network")
        if m.routed:
            raise ValueError(f"save_routed_pair: {name} ({src}) is routed already")
    if enc != menc or not (torch.equal(mean, mmean) and torch.equal(std, mstd)):
        raise ValueError(f"save_routed_pair: {pair} and {moving} differ in text encoder or feature normalisation")
    if pm.below_t != mm.below_t:
        raise ValueError(f"save_routed_pair: the hand-over steps differ: {pair} below_t {pm.below_t}, {moving} "
                         f"below_t {mm.below_t}")
    hs, ms = pm.high.state_dict(), mm.high.state_dict()
    if hs.keys() != ms.keys() or not all(torch.equal(hs[k], ms[k]) for k in hs):
        raise ValueError(f"save_routed_pair: {pair} and {moving} have different high-noise experts; the route is "
                         f"decided by the one high expert both low experts were tuned under")
    for what, fn in (("guidance", recommended_guidance), ("anchor_feet", recommended_anchor_feet),
                     ("anchor_contact", recommended_anchor_contact), ("anchor_smooth", recommended_anchor_smooth),
                     ("stop_t", recommended_stop_t)):
        a, b = fn(meta, pair), fn(mmeta, moving)
        if a != b:
            raise ValueError(f"save_routed_pair: the sampling settings differ: {what} {a!r} in {pair}, {b!r} in "
                             f"{moving}; the routed pair samples both low experts with {pair}'s")
    routed = ExpertPair(pm.high, pm.low, pm.below_t, mm.low, route_min_acc, route_still_acc)  # checks both
    m = dict(meta)
    m["experts"] = {**m.get("experts", {}), "moving": f"the low expert of {moving}",
                    "route_min_acc": routed.route_min_acc}
    if routed.route_still_acc is not None:
        m["experts"]["route_still_acc"] = routed.route_still_acc
    return save_checkpoint(path, routed.high, mean, std, enc, m, extra={"low": routed.low, "moving": routed.moving})


def load_checkpoint(path, device="cpu", verify: bool = True
                    ) -> Tuple[MDM, torch.Tensor, torch.Tensor, str, Dict[str, Any]]:
    """Load ``(model (eval mode), mean, std, text_encoder_name, meta)``.

    Raises FileNotFoundError for a missing file and CorruptFileError (naming the file) for a truncated,
    foreign or altered one (``verify``: check the recorded SHA-256 when there is one)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if not path.is_file():
        raise CorruptFileError(path, "is not a file (a checkpoint is one .safetensors file)")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            md = f.metadata() or {}
            if md.get("format") != FORMAT:
                raise CorruptFileError(path, f"not an imusim MDM checkpoint (metadata format={md.get('format')!r})")
            try:
                cfg = check_config(path, json.loads(md["config"]))
                meta = json.loads(md.get("meta", "{}"))
                text_encoder = md["text_encoder"]
            except KeyError as e:
                raise CorruptFileError(path, f"metadata lacks {e}") from None
            except ValueError as e:  # json
                if isinstance(e, CorruptFileError):
                    raise
                raise CorruptFileError(path, f"metadata is not valid JSON ({e})") from None
            shapes = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
            low = _low_expert(path, md, meta)
            moving = _moving_expert(path, md, meta, low)
            with torch.device("meta"):  # parameter shapes without allocating anything
                expect = {f"model.{k}": list(v.shape) for k, v in MDM(cfg).state_dict().items()}
                for name, sub in (("low", low), ("moving", moving)):
                    if sub is not None:
                        expect.update({f"{name}.model.{k}": list(v.shape) for k, v in MDM(sub[0]).state_dict().items()})
            missing = sorted(set(expect) - set(shapes))
            extra = sorted(k for k in set(shapes) - set(expect) if k not in ("norm.mean", "norm.std"))
            wrong = [(k, shapes[k], expect[k]) for k in sorted(set(expect) & set(shapes)) if shapes[k] != expect[k]]
            if missing or extra or wrong or "norm.mean" not in shapes or "norm.std" not in shapes:
                raise CorruptFileError(path, "tensors do not match the config: "
                                       + "; ".join(x for x in (f"missing {missing[:4]}" if missing else "",
                                                               f"unexpected {extra[:4]}" if extra else "",
                                                               f"shape of {wrong[0][0]} is {wrong[0][1]}, the config "
                                                               f"needs {wrong[0][2]}" if wrong else "",
                                                               "no norm.mean/norm.std" if "norm.mean" not in shapes
                                                               or "norm.std" not in shapes else "") if x))
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except CorruptFileError:
        raise
    except Exception as e:  # safetensors' own errors (truncated header/data, bad JSON header) and I/O errors
        raise CorruptFileError(path, f"not a readable safetensors checkpoint ({type(e).__name__}: {e})") from None
    if verify and "sha256" in md:
        got = content_sha256(tensors, md)
        if got != md["sha256"]:
            raise CorruptFileError(path, f"content SHA-256 {got[:16]}… differs from the recorded {md['sha256'][:16]}…: "
                                         f"the weights or metadata were altered or corrupted")
    model = MDM(cfg)
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(state)
    if low is not None:  # a two-expert checkpoint (save_expert_pair), routed (save_routed_pair) with moving
        from .experts import ExpertPair
        nets = {}
        for name, sub in (("low", low), ("moving", moving)):
            if sub is not None:
                nets[name] = MDM(sub[0])
                nets[name].load_state_dict({k[len(name) + 7:]: v for k, v in tensors.items()
                                            if k.startswith(f"{name}.model.")})
        model = ExpertPair(model, nets["low"], low[1], nets.get("moving"), *(moving[1:] if moving else ()))
    model.to(device).eval()
    model.anchor_contact = recommended_anchor_contact(meta, path)  # what sample() anchors on (train.sample)
    model.anchor_smooth = recommended_anchor_smooth(meta, path)
    model.sample_stop_t = recommended_stop_t(meta, path, cfg.schedule_steps)  # where sample()'s DDIM chain ends
    return model, tensors["norm.mean"].to(device), tensors["norm.std"].to(device), text_encoder, meta
