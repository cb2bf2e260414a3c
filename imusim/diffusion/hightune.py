"""Self-sampled fine-tune of a two-expert checkpoint's **high-noise** network (docs/realism.md §33).

:mod:`imusim.diffusion.selftune` trains the low-noise expert on its own samples; its true-speed term
(``lambda_true_speed``: each finished motion's mean ground speed against its ground-truth crop's) plateaus at
~0.11 (m/s)² whatever the guidance (§31, §32.4), and the sampling chain shows why: under the sampler's foot anchor the
ground speed is the legs' stride, and the stride is set in the high expert's steps (the shipped pair's walkers' legs
say 0.82 m/s at the hand-over where the data walk 1.06; the low expert moves it by a tenth). Guidance, which the data's
style range needs (§32.1), slows that stride further. This fine-tune asks the high expert itself:

1. A pool of ``pool`` training crops (length, caption) and their starting noise, drawn once.
2. Each step: a batch of them is sampled by the high expert from pure noise exactly as
   :func:`imusim.diffusion.train.sample` samples (DDIM, ``guidance``, the pair's steps ``t >= below_t``), with
   gradients through the last ``grad_steps`` of those steps. The **last high step's x0 prediction**, passed through
   the sampler's foot anchor (:func:`~imusim.diffusion.train.anchor_prediction`, the pair's contact rule and
   smoothing, as at the first low step) is the motion the high expert hands over: its root moves with its legs'
   stride. :func:`~imusim.diffusion.selftune.speed_stay_loss` compares that mean ground speed with the crop's
   (``lambda_true_speed``, (m/s)²).
   Optionally (``lambda_true_wrist``) :func:`~imusim.diffusion.selftune.wrist_ratio_loss` on the same motion: its
   wrists' RMS acceleration against the crop's, a squared log ratio; with ``wrist_target="caption"``
   (:func:`~imusim.diffusion.selftune.wrist_target_loss`) against the mean log intensity of the crops that share its
   caption instead (``wrist_ref_crops`` training crops and the pool), as the crops' spread within a caption is the
   per-crop term's floor (§34). The speed term alone gives the walkers the
   data's speed with the arm swing of the styled walkers for every caption (§33.1): the crop stands for its caption,
   so this asks a plain caption for the normal style's calm arms at that speed.
3. Optionally (``lambda_stay``) a trust region: :func:`~imusim.diffusion.selftune.stay_loss` (cm², the first 67
   channels) from the untuned high expert's anchored prediction of the same noise and crop (computed once; the
   sampler is deterministic), so the term can lengthen the stride without re-choosing the motion.
4. Beside it the noised-truth x0 MSE on the high expert's own steps (``t`` in [``below_t``, 1000); weight
   ``lambda_recipe``), so it stays a denoiser there.

The low expert is untouched. Writes ``out_dir/model.safetensors`` (the tuned high expert, the same low expert and
sampling metadata; with ``guidance`` that scale as the one to sample with), ``out_dir/metrics.csv`` (means per
``log_every`` steps: the terms, the batch's mean handed-over and crop speeds, m/s, and wrists' RMS acceleration,
m/s²) and ``out_dir/hightune.json``.
Shapes: features ``[B, T, 263]`` (HumanML3D), masks ``[B, T]`` bool prefixes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

import torch

from .gaussian import GaussianDiffusion
from .selftune import (STAY_CHANNELS, MetricLog, TuneConfig, _Sampler, caption_wrist_targets, check_tune, load_pair,
                       mean_speed, pool_crops, recipe_loss, save_tuned_pair, speed_stay_loss, stay_loss,
                       wrist_ratio_loss, wrist_rms, wrist_target_loss)
from .train import TrainConfig, anchor_prediction, lr_at


@dataclass
class HighTuneConfig(TuneConfig):
    """The high expert's fine-tune (:func:`hightune`): :class:`~imusim.diffusion.selftune.TuneConfig` with its own
    defaults (``pool``: training crops and their starting noise; ``lambda_stay``: the hand-over's first 67 channels
    against the untuned high expert's, cm²; ``lambda_recipe``: the noised-truth x0 MSE on the steps t >= below_t)."""
    steps: int = 100
    lambda_true_speed: float = 1.0  # the handed-over motion's mean ground speed against the crop's ((m/s)²)
    wrist_target: str = "crop"  # the wrist term's target: "crop" (its own crop) or "caption" (its caption's mean)
    wrist_ref_crops: int = 4096  # "caption": the training crops its caption means are taken over (with the pool)


WRIST_TARGETS = ("crop", "caption")


def _check(cfg: HighTuneConfig) -> None:
    check_tune(cfg, "hightune", ("steps", "batch_size", "pool", "ddim_steps", "grad_steps", "log_every"),
               ("lambda_true_speed", "lambda_true_wrist", "lambda_stay", "lambda_recipe"))
    if not cfg.lr > 0:
        raise ValueError(f"hightune: lr must be > 0, got {cfg.lr}")
    if cfg.wrist_target not in WRIST_TARGETS:
        raise ValueError(f"hightune: wrist_target must be one of {list(WRIST_TARGETS)}, got {cfg.wrist_target!r}")
    if isinstance(cfg.wrist_ref_crops, bool) or not isinstance(cfg.wrist_ref_crops, int) or cfg.wrist_ref_crops < 0:
        raise ValueError(f"hightune: wrist_ref_crops must be an integer >= 0, got {cfg.wrist_ref_crops!r}")
    if not 1 <= cfg.min_frames <= cfg.max_frames:
        raise ValueError(f"hightune: min_frames ({cfg.min_frames}) must be in [1, max_frames = {cfg.max_frames}]")


def handed_over(sampler: _Sampler, net, noise, emb, mask, grad_steps: int = 0) -> torch.Tensor:
    """What ``net`` (the high expert) hands over from ``noise`` ``[B, T, F]`` (normalised; padded frames are zeroed):
    its x0 prediction at the last sampler step ``t >= below_t``, through the sampler's foot anchor when the pair has
    one (as the first low step anchors), denormalised ``[B, T, F]`` (m, m/frame, rad/frame). Gradients through the
    last ``grad_steps`` steps."""
    x = noise * mask[..., None]
    _, x0 = sampler.run(net, x, emb, mask, sampler.high_ts, grad_steps, return_x0=True)
    if sampler.anchor:
        t = torch.full((x0.shape[0],), sampler.low_ts[0], dtype=torch.long)
        x0 = anchor_prediction(x0.double(), mask, t, sampler.anchor, sampler.mean.double(), sampler.std.double(),
                               sampler.contact, sampler.smooth).float()
    return x0 * sampler.std + sampler.mean


def hightune(checkpoint, data, out_dir, cfg: HighTuneConfig, recipe: Optional[TrainConfig] = None,
             progress: bool = True, meta_note: str = "") -> Path:
    """Fine-tune ``checkpoint``'s (a two-expert file) high-noise network on its own samples (module docstring).
    ``data``: the :class:`~imusim.diffusion.train.MotionTextData` the pair was trained on. ``recipe``: the noised-truth
    terms (``None``: the plain x0 MSE on t >= ``below_t``, batches of 32 crops of ``cfg``'s lengths; its
    ``train_t_min`` must be ``>= below_t``). Returns the written pair's path."""
    from .checkpoint import recommended_anchor_feet, recommended_guidance
    from .text import get_text_encoder

    _check(cfg)
    pair, mean, std, enc_name, meta = load_pair(checkpoint, data, "hightune", "high")
    recipe = recipe or TrainConfig(train_t_min=pair.below_t, batch_size=32, max_frames=cfg.max_frames,
                                   min_frames=cfg.min_frames)
    if recipe.train_t_min < pair.below_t or recipe.train_t_max:
        raise ValueError(f"hightune: the recipe must draw its steps from [below_t = {pair.below_t}, "
                         f"{recipe.diffusion_steps}) (the high expert answers only those): train_t_min >= "
                         f"{pair.below_t} and train_t_max 0, got {recipe.train_t_min} and {recipe.train_t_max}")
    guidance = recommended_guidance(meta, checkpoint) if cfg.guidance is None else float(cfg.guidance)
    sampler = _Sampler(pair, mean, std, cfg.ddim_steps, guidance, recommended_anchor_feet(meta, checkpoint),
                       "hightune")
    if not sampler.high_ts:
        raise ValueError(f"hightune: no sampler step of {cfg.ddim_steps} lies at or above the hand-over t = "
                         f"{pair.below_t}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    emb_table = data.caption_embeddings(get_text_encoder(enc_name, device="cpu"))
    torch.manual_seed(cfg.seed)
    x0, mask, caps, gen = pool_crops(data, cfg.pool, cfg.max_frames, cfg.min_frames, cfg.seed)
    pool = {"x0": x0, "mask": mask, "emb": torch.stack([emb_table[c] for c in caps]),
            "noise": torch.randn(x0.shape, generator=gen)}
    if cfg.wrist_target == "caption":  # each crop's caption's mean log wrist intensity (the pool's crops count too)
        pool["wrist_target"] = caption_wrist_targets(data, list(caps), cfg.wrist_ref_crops, cfg.max_frames,
                                                     cfg.min_frames, cfg.seed + 101, std, mean,
                                                     extra=(x0, mask, list(caps)))
    high = pair.high
    pair.low.requires_grad_(False)
    high.eval()  # sampled as the sampler samples (no dropout); gradients still flow
    if cfg.lambda_stay > 0:  # the untuned high expert's hand-over of every crop: the trust region's reference
        with torch.no_grad():
            pool["ref"] = torch.cat([handed_over(sampler, high, *(pool[k][s:s + 64] for k in ("noise", "emb", "mask")))
                                     [..., :STAY_CHANNELS] for s in range(0, cfg.pool, 64)])
    high.requires_grad_(True)
    opt = torch.optim.AdamW(high.parameters(), lr=cfg.lr, weight_decay=0.0)
    diffusion = GaussianDiffusion(recipe.diffusion_steps)
    lr_cfg = TrainConfig(steps=cfg.steps, lr=cfg.lr, warmup=cfg.warmup)
    rcfg = replace(recipe, seed=cfg.seed + 1)
    pick = torch.Generator().manual_seed(cfg.seed * 7919 + 23)
    log = MetricLog(out_dir / "metrics.csv", ["total", "l_true_speed", "l_stay", "l_recipe", "speed", "speed_crop",
                                              "l_true_wrist", "wrist", "wrist_crop"], cfg.steps, cfg.log_every)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.steps, desc="hightune", unit="step")
    for step in range(cfg.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, lr_cfg)
        idx = torch.randperm(cfg.pool, generator=pick)[:cfg.batch_size]
        mask = pool["mask"][idx]
        high.eval()
        final = handed_over(sampler, high, pool["noise"][idx], pool["emb"][idx], mask, cfg.grad_steps)
        truth = pool["x0"][idx] * std + mean
        l_speed = speed_stay_loss(final, truth, mask)
        with torch.set_grad_enabled(cfg.lambda_true_wrist > 0):  # logged either way
            l_wrist = (wrist_target_loss(final, mask, pool["wrist_target"][idx]) if cfg.wrist_target == "caption"
                       else wrist_ratio_loss(final, truth, mask))
        l_stay = stay_loss(final[..., :STAY_CHANNELS], pool["ref"][idx], mask) if cfg.lambda_stay > 0 \
            else torch.zeros(())
        l_recipe = recipe_loss(high, diffusion, data, rcfg, step, emb_table, mean, std) if cfg.lambda_recipe > 0 \
            else torch.zeros(())
        total = (cfg.lambda_true_speed * l_speed + cfg.lambda_true_wrist * l_wrist + cfg.lambda_stay * l_stay
                 + cfg.lambda_recipe * l_recipe)
        opt.zero_grad(set_to_none=True)
        total.backward()  # the speed term always carries the hand-over's graph (grad_steps >= 1)
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(high.parameters(), cfg.grad_clip)
        opt.step()
        with torch.no_grad():
            log.add(step, [total, l_speed, l_stay, l_recipe, mean_speed(final, mask).mean(),
                           mean_speed(truth, mask).mean(), l_wrist, wrist_rms(final, mask).mean(),
                           wrist_rms(truth, mask).mean()], lr_at(step, lr_cfg))
        if bar:
            bar.update(1)
            bar.set_postfix(speed=f"{l_speed.item():.3f}")
    log.close()
    if bar:
        bar.close()
    high.eval()
    return save_tuned_pair(out_dir, high, pair.low, mean, std, enc_name, meta, "hightune", "high",
                           {"from": str(checkpoint), "config": asdict(cfg), "recipe": asdict(recipe),
                            "pool_seed": cfg.seed, "note": meta_note}, cfg.guidance, checkpoint)
