"""Shipped checkpoints in ``imusim/checkpoints/``: ``original`` (trained from scratch, MDM's x_t input),
``refined`` (a band-routed pair, docs/realism.md §41.3: ``refined_lacc`` answers the sampler's high-noise steps; below
t = 300 each motion is finished by one of two low experts chosen by how its hand-over moves: the walking expert
``st_kv3ts1px`` (§39.1) on the hand-overs at 2 to 7 m/s² of mean joint acceleration, ``refined_v4``'s low expert on
the rest), ``refined_v4`` (the pair shipped as ``refined`` from §36.5 to §41: ``refined_lacc`` above t = 300, below it
``refined_v3``'s low expert fine-tuned on its own sampled trajectories with the wrists' low-band damping held even over
the batch and the crop's ground speed asked (§31.3); both sampled with the root anchored on the foot on the floor and
the DDIM chain ended at the x0 prediction of t = 102), ``refined_v3`` (the pair shipped
as ``refined`` from §16 to §35: the same split, a low expert fine-tuned with the paper's L_acc and an L_acc on
virtual IMU signals, trained and sampled with the root anchored on the foot on the floor, smoothed over 0.7 frames,
the whole chain), ``refined_v2`` (the pair shipped as ``refined`` from §9 to §15: the same split, its low expert
without the anchor), ``refined_lacc`` (original + the
paper's L_acc fine-tuning, reading the spectral Wiener input: §5; shipped as ``refined`` until §9) and ``refined_v1``
(the first refinement, L_acc without the input change: docs/results.md's earlier tables).
``resolve_checkpoint(name_or_path)`` accepts these names, paths, and ``mdm:DIR`` (an MDM checkpoint directory:
``args.json`` + ``model*.pt``), which is converted once (:mod:`imusim.diffusion.mdm_import`) and resolves to the
converted file."""

from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
NAMES = ("original", "refined", "refined_v4", "refined_v3", "refined_v2", "refined_lacc", "refined_v1")


def resolve_checkpoint(name_or_path) -> Path:
    if isinstance(name_or_path, str) and name_or_path.startswith("mdm:"):
        from .mdm_import import resolve_mdm_spec
        return resolve_mdm_spec(name_or_path)
    p = Path(name_or_path)
    if p.exists():
        return p
    q = CHECKPOINT_DIR / f"{name_or_path}.safetensors"
    if q.exists():
        return q
    raise FileNotFoundError(f"checkpoint {name_or_path!r}: not a file and not a shipped checkpoint "
                            f"({', '.join(n for n in NAMES if (CHECKPOINT_DIR / f'{n}.safetensors').exists()) or 'none shipped yet'}), "
                            f"nor mdm:DIR")
