"""Deterministic work plan for the bulk generator.

A work item is one motion: (index, activity, prompt, seed, seconds). The plan depends only on the
activities file, ``per_activity``, the length range and the global seed — never on the number of
processes — and rank r of K takes the items with ``index % K == r``. Every random draw for an item
(its length, its diffusion noise, its augmentation) comes from a generator seeded by the item's own
seed, so the content of the store does not depend on K or on how items are batched.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import yaml

DEFAULT_ACTIVITIES = Path(__file__).with_name("activities.yaml")


@dataclass(frozen=True)
class WorkItem:
    index: int
    activity: str
    prompt: str
    seed: int
    seconds: float

    def to_dict(self):
        return asdict(self)


def load_activities(path=None) -> Dict[str, List[str]]:
    path = Path(path) if path else DEFAULT_ACTIVITIES
    if not path.is_file():
        raise FileNotFoundError(f"activities file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(errors="replace"))
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping 'activity: [prompts...]', got {type(data).__name__}")
    out = {}
    for k, v in data.items():
        if isinstance(v, str):
            prompts = [v]
        elif isinstance(v, list):
            prompts = v
        else:
            raise ValueError(f"{path}: activity {k!r} needs a prompt string or a list of them, "
                             f"got {type(v).__name__} {v!r}")
        if not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
            raise ValueError(f"{path}: activity {k!r} needs a non-empty list of prompt strings, got {prompts!r}")
        out[str(k)] = prompts
    return out


def item_seed(seed: int, index: int) -> int:
    h = hashlib.sha256(f"imusim:{seed}:{index}".encode()).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


def make_plan(activities: Dict[str, List[str]], per_activity: int, seed: int = 0,
              seconds: tuple = (4.0, 9.8)) -> List[WorkItem]:
    """``per_activity`` motions per activity; prompts taken in turn; lengths uniform in ``seconds``."""
    import math
    import numbers
    import random

    if isinstance(per_activity, bool) or not isinstance(per_activity, numbers.Integral) or per_activity < 1:
        raise ValueError(f"make_plan: per_activity must be an integer >= 1, got {per_activity!r}")
    lo, hi = seconds
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"make_plan: seconds must be (lo, hi) with 0 < lo <= hi, got {tuple(seconds)}")

    items = []
    for a, prompts in activities.items():
        for k in range(per_activity):
            idx = len(items)
            s = item_seed(seed, idx)
            L = random.Random(s).uniform(*seconds)
            items.append(WorkItem(idx, a, prompts[k % len(prompts)], s, round(L, 3)))
    return items


def rank_items(plan: List[WorkItem], rank: int, world: int) -> List[WorkItem]:
    return [it for it in plan if it.index % world == rank]


def window_id(item_index, k, variant=0):
    """Globally unique window id: ``item index << 20 | variant << 12 | k`` (k < 4096 windows per rendering,
    variant < 256 renderings per motion); works on ints and on int64 arrays."""
    return (item_index << 20) | (variant << 12) | k
