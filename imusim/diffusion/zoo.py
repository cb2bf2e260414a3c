"""Shipped checkpoints: ``original`` (trained from scratch) and ``refined`` (original + L_acc fine-tuning),
in ``imusim/checkpoints/``. ``resolve_checkpoint(name_or_path)`` accepts either."""

from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
NAMES = ("original", "refined")


def resolve_checkpoint(name_or_path) -> Path:
    p = Path(name_or_path)
    if p.exists():
        return p
    q = CHECKPOINT_DIR / f"{name_or_path}.safetensors"
    if q.exists():
        return q
    raise FileNotFoundError(f"checkpoint {name_or_path!r}: not a file and not a shipped checkpoint "
                            f"({', '.join(n for n in NAMES if (CHECKPOINT_DIR / f'{n}.safetensors').exists()) or 'none shipped yet'})")
