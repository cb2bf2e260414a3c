"""Checkpoints that never unpickle: safetensors tensors + JSON metadata.

A checkpoint file ``*.safetensors`` holds
* tensors: ``model.*`` (weights; EMA weights when trained with EMA), ``norm.mean``/``norm.std``
  ``[F]`` normalisation statistics, optionally ``optim.*``-free (optimizer state lives in a separate
  ``*.train.safetensors`` + JSON for resuming);
* metadata (strings): ``config`` (JSON of MDMConfig), ``text_encoder`` (name), ``meta`` (JSON:
  training step, lambda_acc, data set summary, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import torch

from .model import MDM, MDMConfig


def save_checkpoint(path, model: MDM, mean: torch.Tensor, std: torch.Tensor, text_encoder: str,
                    meta: Optional[Dict[str, Any]] = None, dtype: torch.dtype = torch.float32) -> Path:
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().to("cpu", dtype).contiguous() for k, v in model.state_dict().items()}
    tensors["norm.mean"] = mean.detach().cpu().float().contiguous()
    tensors["norm.std"] = std.detach().cpu().float().contiguous()
    md = {"config": json.dumps(model.cfg.to_dict()), "text_encoder": text_encoder,
          "meta": json.dumps(meta or {}), "format": "imusim-mdm-1"}
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata=md)
    tmp.replace(path)
    return path


def load_checkpoint(path, device="cpu") -> Tuple[MDM, torch.Tensor, torch.Tensor, str, Dict[str, Any]]:
    """Load ``(model (eval mode), mean, std, text_encoder_name, meta)``."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    with safe_open(str(path), framework="pt", device="cpu") as f:
        md = f.metadata() or {}
        if md.get("format") != "imusim-mdm-1":
            raise ValueError(f"{path}: not an imusim MDM checkpoint (metadata format={md.get('format')!r})")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    cfg = MDMConfig(**json.loads(md["config"]))
    model = MDM(cfg)
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(state)
    model.to(device).eval()
    return model, tensors["norm.mean"].to(device), tensors["norm.std"].to(device), md["text_encoder"], \
        json.loads(md.get("meta", "{}"))
