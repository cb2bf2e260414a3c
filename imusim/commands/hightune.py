"""``imusim hightune --checkpoint PAIR --data DIR --out DIR``: fine-tune a pair's high-noise expert on its own samples."""

import argparse

from .selftune import add_crop_args, add_tune_args


def register(sub):
    p = sub.add_parser("hightune", help="fine-tune a two-expert checkpoint's high-noise network on its own samples",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Under the sampler's foot anchor a motion's ground speed is its legs' stride, and "
                                   "the stride is set in the high-noise expert's steps (selftune's true-speed term on "
                                   "the low expert plateaus). hightune samples training crops' captions and lengths "
                                   "from pure noise with the pair's high expert (the sampler's steps and guidance; "
                                   "gradients through the last --grad-steps) and trains it so that the motion it hands "
                                   "over (its last x0 prediction, through the foot anchor) moves at the ground-truth "
                                   "crop's mean ground speed, optionally swings its wrists as hard as the crop "
                                   "(--lambda-true-wrist), beside its noised-truth x0 MSE on its own steps and "
                                   "optionally a trust region around the untuned expert's hand-over "
                                   "(--lambda-stay). The low expert is untouched. Writes OUT/model.safetensors (the "
                                   "tuned high expert, the same low expert and sampling metadata), OUT/metrics.csv "
                                   "(means per 10 steps, with the handed-over and crop speeds in m/s and wrists' RMS "
                                   "acceleration in m/s^2) and OUT/hightune.json. docs/realism.md section 33.")
    add_tune_args(p, 100, "training crops (and their starting noise) drawn once", "high")
    p.add_argument("--guidance", type=float, default=None,
                   help="the sampler's classifier-free guidance scale while tuning, recorded in the output as the "
                        "scale to sample it with (default: the pair's recorded one); guidance keeps the data's style "
                        "range and slows the walkers (docs/realism.md section 32)")
    p.add_argument("--lambda-true-speed", type=float, default=1.0,
                   help="weight of the handed-over motion's mean ground speed against its crop's ((m/s)^2)")
    p.add_argument("--lambda-true-wrist", type=float, default=0.0,
                   help="weight of the handed-over motion's wrists' RMS acceleration against its crop's (squared log "
                        "ratio): the speed term alone gives every caption's walkers the styled walkers' arm swing "
                        "(docs/realism.md section 33)")
    p.add_argument("--wrist-target", choices=["crop", "caption"], default="crop",
                   help="the wrist term's target: the sample's own crop, or its caption's mean log intensity over "
                        "--wrist-ref-crops training crops (the crops' spread within a caption is the per-crop "
                        "term's floor, docs/realism.md section 34)")
    p.add_argument("--wrist-ref-crops", type=int, default=4096,
                   help="with --wrist-target caption: training crops the caption means are taken over (besides the "
                        "pool)")
    p.add_argument("--lambda-stay", type=float, default=0.0,
                   help="weight of a trust region: the squared difference (cm^2; root velocity, height and "
                        "root-relative joints) of the handed-over motion from the untuned high expert's hand-over of "
                        "the same noise and caption")
    p.add_argument("--lambda-recipe", type=float, default=1.0,
                   help="weight of the noised-truth x0 MSE on the high expert's steps (t >= the hand-over)")
    add_crop_args(p)
    p.set_defaults(func=_run)


def _run(a):
    from ..data.dataset import load_split
    from ..diffusion.hightune import HighTuneConfig, hightune
    from ..diffusion.train import MotionTextData
    from ..diffusion.zoo import resolve_checkpoint
    ck = resolve_checkpoint(a.checkpoint)
    clips, mean, std = load_split(a.data, "train")
    cfg = HighTuneConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, pool=a.pool, ddim_steps=a.ddim_steps,
                         grad_steps=a.grad_steps, guidance=a.guidance, lambda_true_speed=a.lambda_true_speed,
                         lambda_true_wrist=a.lambda_true_wrist, wrist_target=a.wrist_target,
                         wrist_ref_crops=a.wrist_ref_crops,
                         lambda_stay=a.lambda_stay, lambda_recipe=a.lambda_recipe, max_frames=a.max_frames,
                         min_frames=a.min_frames, seed=a.seed)
    p = hightune(ck, MotionTextData(clips, mean, std), a.out, cfg,
                 meta_note=f"imusim hightune --checkpoint {a.checkpoint}")
    print(f"checkpoint: {p}")
    return 0
