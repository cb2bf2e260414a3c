"""Import checkpoints of Tevet et al.'s MDM (github GuyTevet/motion-diffusion-model) as imusim checkpoints.

``imusim finetune --from mdm:DIR``, ``imusim sample --checkpoint mdm:DIR`` (and everything that takes a
checkpoint) accept a directory as MDM writes it: ``args.json`` (the training arguments) and one or more
``modelNNNNNNNNN.pt`` (the newest is used; name a file, ``mdm:DIR/model000475000.pt``, to choose). It is
converted once into an imusim safetensors checkpoint (arch ``"mdm"``, text encoder ``clip``) and the
converted file is reused while the source file is unchanged (size, mtime and SHA-256 recorded).

What is read, and how strictly:

* ``args.json`` → :class:`MDMConfig`: ``arch`` must be ``trans_enc``, ``dataset`` ``humanml`` (263
  features; KIT-ML's 21-joint features have no place in imusim's SMPL22 pipeline), text conditioning through CLIP (``text_encoder_type`` ``clip``), the
  ``add`` embedding policy, no prefix completion or target conditioning, the cosine schedule with 1000
  steps (what :class:`GaussianDiffusion` implements). ``latent_dim``, ``layers``, ``cond_mask_prob``,
  ``pos_embed_max_len`` (default 5000) and ``mask_frames`` (default false) come from the file; 4 heads,
  feed-forward 1024, dropout 0.1 and GELU are MDM's fixed values (``utils/model_util.get_model_args``).
* ``model*.pt`` is loaded with ``torch.load(weights_only=True)`` (no code runs). A plain state dict, or
  ``{"model": ..., "model_avg": ...}`` (MDM's ``--use_ema``; the EMA weights are taken when
  ``args.json`` says ``use_ema``). Every key must be consumed: MDM's parameter names map one to one onto
  :class:`~imusim.diffusion.model.MDMTransEnc`; ``clip_model.*`` (the frozen CLIP, which MDM's trainer
  normally strips) is dropped and counted; the two copies of the positional-encoding table
  (``sequence_pos_encoder.pe``, ``embed_timestep.sequence_pos_encoder.pe``) are checked against the
  sinusoidal formula and dropped. Anything missing, unexpected or of the wrong shape is an error naming
  the file and the keys.
* Normalisation statistics are not part of an MDM checkpoint: MDM reads HumanML3D's ``Mean.npy`` /
  ``Std.npy``. They are looked up in ``stats`` (argument), DIR, ``$IMUSIM_HUMANML3D`` and MDM's own
  layout ``DIR/../../dataset/HumanML3D``, in that order.

The converted checkpoint's ``meta["source"]`` records where it came from (paths, SHA-256 of the model
file and of the statistics, the args, which weights were taken, the dropped keys).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch

from ..constants import HUMANML3D_FPS
from .model import MDM, MDMConfig

PREFIX = "mdm:"
_MODEL_RE = re.compile(r"^model(\d+)\.pt$")


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(chunk), b""):
            h.update(b)
    return h.hexdigest()


def find_mdm_files(src) -> Tuple[Path, Path]:
    """``(args.json, model file)`` of an MDM checkpoint directory, or of a ``model*.pt`` path."""
    src = Path(src).expanduser()
    if src.is_file():
        model, d = src, src.parent
    elif src.is_dir():
        d = src
        cands = [(int(m.group(1)), p) for p in d.iterdir() if (m := _MODEL_RE.match(p.name))]
        if not cands:
            raise FileNotFoundError(f"{d}: no MDM weights (expected model<step>.pt, e.g. model000475000.pt); "
                                    f"found {sorted(p.name for p in d.iterdir())[:10]}")
        model = max(cands)[1]
    else:
        raise FileNotFoundError(f"MDM checkpoint {src}: no such directory or file")
    args = d / "args.json"
    if not args.is_file():
        raise FileNotFoundError(f"{args}: missing (MDM writes args.json next to model*.pt; it holds the "
                                f"architecture: arch, dataset, latent_dim, layers, cond_mask_prob, ...)")
    return args, model


def read_args(path) -> Dict[str, Any]:
    path = Path(path)
    try:
        a = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    if not isinstance(a, dict):
        raise ValueError(f"{path}: expected a JSON object of MDM's training arguments, got {type(a).__name__}")
    return a


def config_from_args(a: Dict[str, Any], path="args.json") -> MDMConfig:
    """The :class:`MDMConfig` (arch ``"mdm"``) that reproduces the network MDM builds from ``a``."""
    def bad(key, expected):
        return ValueError(f"{path}: {key} = {a.get(key)!r} is not supported; imusim imports {expected}")

    def need(key):
        if key not in a:
            raise ValueError(f"{path}: missing field {key!r} (needed to build MDM's network)")
        return a[key]

    if a.get("arch", "trans_enc") != "trans_enc":
        raise bad("arch", "MDM's 'trans_enc' network ('trans_dec' and 'gru' are not implemented)")
    dataset = need("dataset")
    feats = {"humanml": 263}
    if dataset not in feats:
        raise bad("dataset", "HumanML3D models ('humanml': 263 features on the 22-joint SMPL skeleton that "
                             "imusim's IMU synthesis uses); KIT-ML models (251 features, 21 KIT joints) and the "
                             "action-conditioned humanact12/uestc models are not")
    if a.get("unconstrained", False) or a.get("cond_mode") == "no_cond":
        raise bad("unconstrained", "text-conditioned models (unconstrained=false)")
    if a.get("text_encoder_type", "clip") != "clip":
        raise bad("text_encoder_type", "CLIP-conditioned models ('clip'; the DistilBERT models use trans_dec)")
    if a.get("emb_policy", "add") != "add":
        raise bad("emb_policy", "the 'add' policy (text embedding added to the timestep token)")
    if int(a.get("context_len", 0) or 0) > 0 or int(a.get("pred_len", 0) or 0) > 0:
        raise bad("context_len", "models without prefix completion (context_len = pred_len = 0)")
    if a.get("multi_target_cond", False) or float(a.get("lambda_target_loc", 0.0) or 0.0) > 0:
        raise bad("multi_target_cond", "models without joint-target conditioning")
    if a.get("noise_schedule", "cosine") != "cosine":
        raise bad("noise_schedule", "the cosine schedule (imusim.diffusion.GaussianDiffusion)")
    if int(a.get("diffusion_steps", 1000)) != 1000:
        raise bad("diffusion_steps", "models trained with 1000 diffusion steps")
    latent, layers = need("latent_dim"), need("layers")
    for k, v in (("latent_dim", latent), ("layers", layers)):
        if not isinstance(v, int) or v <= 0:
            raise ValueError(f"{path}: {k} must be a positive integer, got {v!r}")
    if latent % 4:
        raise ValueError(f"{path}: latent_dim must be divisible by MDM's 4 heads, got {latent}")
    return MDMConfig(n_feats=feats[dataset], latent=latent, layers=layers, heads=4, ff=1024, dropout=0.1,
                     activation="gelu", text_dim=512, cond_drop_prob=float(a.get("cond_mask_prob", 0.1)),
                     max_len=int(a.get("pos_embed_max_len", 5000) or 5000), arch="mdm",
                     mask_frames=bool(a.get("mask_frames", False)))


def _select_weights(obj, path, use_ema: Optional[bool]):
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state dict (or MDM's {{'model', 'model_avg'}}), got {type(obj).__name__}")
    if "model" in obj and isinstance(obj["model"], dict):
        if use_ema and isinstance(obj.get("model_avg"), dict):
            return obj["model_avg"], "model_avg"
        if use_ema:
            raise ValueError(f"{path}: use_ema requested but the file holds no 'model_avg' weights "
                             f"(keys: {sorted(obj)[:10]})")
        return obj["model"], "model"
    return obj, "state_dict"


def _check_pe(key, t: torch.Tensor, cfg: MDMConfig, path):
    from .model import PositionalEncoding

    ref = PositionalEncoding(cfg.latent, 0.0, cfg.max_len).pe
    v = t.reshape(t.shape[0], -1) if t.dim() == 3 else t
    if v.dim() != 2 or v.shape[1] != cfg.latent:
        raise ValueError(f"{path}: {key} has shape {list(t.shape)}, expected [L, 1, {cfg.latent}]")
    n = min(v.shape[0], ref.shape[0])
    err = float((v[:n].float() - ref[:n]).abs().max()) if n else 0.0
    if not err <= 1e-4:
        raise ValueError(f"{path}: {key} differs from the sinusoidal positional encoding (max |diff| {err:.3g}); "
                         f"not an MDM trans_enc checkpoint")


def convert_state_dict(sd: Dict[str, Any], cfg: MDMConfig, path="model.pt") -> Tuple[Dict[str, torch.Tensor], Dict]:
    """MDM's state dict → :class:`MDMTransEnc`'s, strictly. Returns ``(state, report)``."""
    target = MDM(cfg).state_dict()
    # MDM's parameter names are ours (MDMTransEnc is built with them); the map is explicit all the same
    key_map = {k: k for k in target}
    pe_keys = ("sequence_pos_encoder.pe", "embed_timestep.sequence_pos_encoder.pe")
    out, dropped_clip, checked_pe, unexpected = {}, 0, [], []
    for k, v in sd.items():
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"{path}: entry {k!r} is a {type(v).__name__}, expected a tensor")
        if k.startswith("clip_model."):
            dropped_clip += 1
        elif k in pe_keys:
            _check_pe(k, v, cfg, path)
            checked_pe.append(k)
        elif k in key_map:
            want = target[key_map[k]].shape
            if tuple(v.shape) != tuple(want):
                raise ValueError(f"{path}: {k} has shape {list(v.shape)}, expected {list(want)} for the network "
                                 f"described by args.json (latent_dim {cfg.latent}, {cfg.n_feats} features)")
            if not v.is_floating_point():
                raise ValueError(f"{path}: {k} has dtype {v.dtype}, expected a floating-point tensor")
            out[key_map[k]] = v.detach().to(torch.float32)
        else:
            unexpected.append(k)
    missing = sorted(set(key_map) - set(sd))
    if unexpected or missing:
        msg = [f"{path}: the weights do not match MDM's trans_enc network as args.json describes it "
               f"(layers {cfg.layers}, latent_dim {cfg.latent}):"]
        if missing:
            msg.append(f"{len(missing)} missing key(s): {missing[:8]}{' ...' if len(missing) > 8 else ''}")
        if unexpected:
            msg.append(f"{len(unexpected)} unexpected key(s): {sorted(unexpected)[:8]}"
                       f"{' ...' if len(unexpected) > 8 else ''}")
        raise ValueError(" ".join(msg))
    bad = [k for k, v in out.items() if not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"{path}: non-finite values in {bad[:5]}")
    return out, {"dropped_clip_keys": dropped_clip, "checked_pe_keys": checked_pe, "n_tensors": len(out)}


def find_stats(src_dir: Path, n_feats: int, stats=None) -> Tuple[Path, Path]:
    """``(Mean.npy, Std.npy)`` for an MDM checkpoint (see the module docstring for the search order)."""
    cands = [Path(stats).expanduser()] if stats else [src_dir]
    if not stats:
        if os.environ.get("IMUSIM_HUMANML3D"):
            cands.append(Path(os.environ["IMUSIM_HUMANML3D"]).expanduser())
        cands.append(src_dir.parent.parent / "dataset" / "HumanML3D")
    for d in cands:
        if (d / "Mean.npy").is_file() and (d / "Std.npy").is_file():
            return d / "Mean.npy", d / "Std.npy"
    raise FileNotFoundError("MDM checkpoints do not contain their normalisation statistics: need Mean.npy and "
                            "Std.npy of the data set it was trained on (HumanML3D's), looked in "
                            + ", ".join(str(c) for c in cands)
                            + " (pass stats=DIR, or set IMUSIM_HUMANML3D to the HumanML3D directory)")


def load_stats(mean_path: Path, std_path: Path, n_feats: int) -> Tuple[torch.Tensor, torch.Tensor]:
    out = []
    for p in (mean_path, std_path):
        try:
            a = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: cannot read as .npy ({e})") from None
        if a.shape != (n_feats,):
            raise ValueError(f"{p}: expected shape [{n_feats}], got {list(a.shape)}")
        if not np.isfinite(a).all():
            raise ValueError(f"{p}: non-finite values")
        out.append(torch.from_numpy(np.asarray(a, dtype=np.float32)))
    if (out[1] <= 0).any():
        raise ValueError(f"{std_path}: standard deviations must be > 0 (min {float(out[1].min()):.3g})")
    return out[0], out[1]


def default_output(model_path: Path) -> Path:
    """Next to the source when that directory is writable, else under ``$IMUSIM_CACHE`` (default
    ``~/.cache/imusim``)/mdm."""
    name = f"imusim_{model_path.stem}.safetensors"
    if os.access(model_path.parent, os.W_OK):
        return model_path.parent / name
    root = Path(os.environ.get("IMUSIM_CACHE", Path.home() / ".cache" / "imusim")) / "mdm"
    tag = hashlib.sha256(str(model_path.resolve()).encode()).hexdigest()[:12]
    return root / f"{tag}_{name}"


def _source_key(model_path: Path) -> Dict[str, Any]:
    st = model_path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def import_mdm(src, out=None, stats=None, use_ema: Optional[bool] = None, force: bool = False) -> Path:
    """Convert an MDM checkpoint (directory or ``model*.pt``) into an imusim checkpoint; returns its path.

    Reuses an earlier conversion at ``out`` (default :func:`default_output`) when it records the same
    source file (size and mtime) and statistics files. ``use_ema``: take ``model_avg`` (default: what
    ``args.json`` says). Concurrent calls (torchrun ranks) convert once: the output is locked."""
    args_path, model_path = find_mdm_files(src)
    args = read_args(args_path)
    cfg = config_from_args(args, args_path)
    mean_p, std_p = find_stats(model_path.parent, cfg.n_feats, stats)
    out = Path(out) if out else default_output(model_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    import fcntl

    # one conversion at a time per output (torchrun ranks resolve the same mdm:DIR concurrently)
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _convert_locked(out, args_path, model_path, args, cfg, mean_p, std_p, use_ema, force)


def _convert_locked(out, args_path, model_path, args, cfg, mean_p, std_p, use_ema, force) -> Path:
    from .checkpoint import save_checkpoint

    key = {**_source_key(model_path), "stats": [str(mean_p.resolve()), str(std_p.resolve())],
           "stats_mtime_ns": [mean_p.stat().st_mtime_ns, std_p.stat().st_mtime_ns],
           "args_sha256": hashlib.sha256(args_path.read_bytes()).hexdigest(), "use_ema": use_ema}
    if out.exists() and not force:
        try:
            from .checkpoint import read_meta
            prev = read_meta(out).get("source", {})
            if prev.get("key") == key:
                return out
        except Exception:  # unreadable or foreign file: convert again
            pass
    ema = bool(args.get("use_ema", False)) if use_ema is None else use_ema
    obj = torch.load(model_path, map_location="cpu", weights_only=True)
    sd, which = _select_weights(obj, model_path, ema)
    state, report = convert_state_dict(sd, cfg, model_path)
    model = MDM(cfg)
    model.load_state_dict(state, strict=True)
    mean, std = load_stats(mean_p, std_p, cfg.n_feats)
    m = _MODEL_RE.match(model_path.name)
    from .. import __version__ as version
    meta = {
        "step": int(m.group(1)) if m else None,
        "train_config": {"max_frames": 196, "fps": HUMANML3D_FPS, "text_encoder": "clip"},
        "source": {"kind": "mdm", "model_file": str(model_path.resolve()), "args_file": str(args_path.resolve()),
                   "sha256": sha256_file(model_path), "weights": which, "args": args,
                   "mean_file": str(mean_p.resolve()), "std_file": str(std_p.resolve()),
                   "stats_sha256": [sha256_file(mean_p), sha256_file(std_p)], **report,
                   "converted_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "converted_by": f"imusim {version}", "key": key},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out, model, mean, std, "clip", meta)
    return out


def resolve_mdm_spec(spec: str) -> Path:
    """``mdm:DIR`` (or ``mdm:DIR/modelN.pt``) → the converted imusim checkpoint's path."""
    src = spec[len(PREFIX):]
    if not src:
        raise ValueError("checkpoint 'mdm:' needs a directory: mdm:DIR with DIR/args.json and DIR/model*.pt")
    return import_mdm(src)
