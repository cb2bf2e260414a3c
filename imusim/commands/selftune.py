"""``imusim selftune --checkpoint PAIR --data DIR --out DIR``: fine-tune a pair's low-noise expert on its own samples."""

import argparse


def register(sub):
    p = sub.add_parser("selftune", help="fine-tune a two-expert checkpoint's low-noise network on its own samples",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Every finetune term sees the noised ground truth; the samples do not pass there. "
                                   "selftune samples a pool of training crops with the pair's high-noise expert down "
                                   "to the hand-over step, then trains the low-noise expert so that the motions it "
                                   "finishes (with the sampler's own steps, guidance and foot anchor; gradients "
                                   "through the last --grad-steps) have the ground-truth crop's IMU band powers "
                                   "(wrists and thighs, 0-1/1-3/3-6/6-10 Hz, log ratio, blind to phase), beside the "
                                   "low expert's noised-truth recipe; optionally also their acceleration kurtosis "
                                   "(--lambda-kurtosis) or only their 3-10 Hz acceleration beyond the crop's "
                                   "(--lambda-excess) or the wrists' texture/swing ratio beyond the crop's "
                                   "(--lambda-texture) or their bone lengths (--lambda-bone) or joint acceleration "
                                   "(--lambda-joint-acc), inside a trust region around what the untuned expert "
                                   "finishes from the same states (--lambda-stay), or keeping each motion's band "
                                   "powers where the high expert's own finish of it has them (--lambda-keep), or "
                                   "only as evenly damped as one another (--lambda-keep-spread). Writes "
                                   "OUT/model.safetensors (the same high expert and sampling metadata, the tuned "
                                   "low expert) and OUT/metrics.csv (means per 10 steps). docs/realism.md sections "
                                   "19-28.")
    add_tune_args(p, 300, "hand-over states sampled once by the high expert", "low")
    p.add_argument("--lambda-self", type=float, default=1.0, help="weight of the spectrum term on the own samples")
    p.add_argument("--self-one-sided-above", type=float, default=None, metavar="HZ",
                   help="the spectrum term's bands from HZ up (e.g. 3: 3-6 and 6-10 Hz) count only where the sample "
                        "has more power than the crop; below it both ways (docs/realism.md section 22)")
    p.add_argument("--lambda-kurtosis", type=float, default=0.0,
                   help="weight of the impulsiveness term on the own samples (per joint, log kurtosis of the "
                        "acceleration magnitude against the crop's; blind to phase and scale)")
    p.add_argument("--lambda-stay", type=float, default=0.0,
                   help="weight of a trust region: the squared difference (cm^2, mean over channels and frames) of "
                        "the finished motion's root-relative joint positions, root height and root velocity from the "
                        "untuned low expert's finish of the same hand-over state (docs/realism.md section 20)")
    p.add_argument("--lambda-excess", type=float, default=0.0,
                   help="weight of a one-sided term on the own samples: the accelerometer power in 3-6 and 6-10 Hz "
                        "beyond the crop's (squared log ratio where above it, floor 0.3 m/s^2 per band; never asks "
                        "for more motion; docs/realism.md section 22)")
    p.add_argument("--lambda-texture", type=float, default=0.0,
                   help="weight of a one-sided term on the own samples: the wrists' acceleration power from 3 Hz up "
                        "over the power below 3 Hz (texture over swing; joint positions, 20 fps) beyond the crop's "
                        "ratio (squared log ratio where above it, floor 0.3 m/s^2; blind to phase and amplitude, so "
                        "damping cannot lower it; docs/realism.md section 23)")
    p.add_argument("--lambda-bone", type=float, default=0.0,
                   help="weight of a term on the own samples' bone lengths (squared difference from the crop's, cm^2, "
                        "mean over the 21 bones and the frames): the rendering rescales bones to the body model, so "
                        "the sensor-level terms cannot see a stretched forearm (docs/realism.md section 23)")
    p.add_argument("--lambda-joint-acc", type=float, default=0.0,
                   help="weight of a term on the own samples' joint acceleration: per joint the mean |acceleration| "
                        "(m/s^2, the motion evaluation's) against the crop's, squared log ratio, both ways "
                        "(docs/realism.md section 25)")
    p.add_argument("--joint-acc-joints", choices=["lower", "all", "arms"], default="lower",
                   help="its joints: lower = pelvis, hips, knees, ankles, feet; all = the 22 SMPL joints; arms = "
                        "elbows and wrists")
    p.add_argument("--joint-acc-gate", choices=["moves", "gestures"], default="moves",
                   help="which crops it asks (and --lambda-stay-quiet leaves out): moves = those at "
                        "--joint-acc-min-crop or more; gestures = those whose elbows or wrists move at --gesture-ratio "
                        "times the pelvis or more (waves, raised arms; docs/realism.md section 26)")
    p.add_argument("--gesture-ratio", type=float, default=6.0, metavar="R",
                   help="the gestures gate: the most active elbow or wrist's mean |acceleration| >= R x (the pelvis' "
                        "+ 0.5 m/s^2)")
    p.add_argument("--joint-acc-min-crop", type=float, default=0.0, metavar="M_S2",
                   help="it counts only crops whose mean joint acceleration reaches M_S2 (e.g. 10: runs and jumps, "
                        "not walks; the real test clips walk at 5.9, run at 16.2)")
    p.add_argument("--lambda-stay-quiet", type=float, default=0.0,
                   help="weight of the trust region (--lambda-stay's distance) on the crops the joint-acceleration "
                        "gate leaves out only (below --joint-acc-min-crop, or not gestures), beside --lambda-stay: "
                        "holds the walkers where the joint-acceleration term asks the runners to move "
                        "(docs/realism.md section 25)")
    p.add_argument("--lambda-keep", type=float, default=0.0,
                   help="weight of a per-motion hold on the intensity: the finished motion's IMU band powers against "
                        "those of the high expert's own finish of the same hand-over state (squared log ratio; the "
                        "bands from --keep-one-sided-above up count only an excess): the low expert keeps the swing "
                        "the high expert put into each motion and may only lower its texture (docs/realism.md "
                        "section 28)")
    p.add_argument("--keep-one-sided-above", type=float, default=3.0, metavar="HZ",
                   help="the keep term's bands from HZ up count only an excess (a negative value: every band both "
                        "ways)")
    p.add_argument("--lambda-keep-spread", type=float, default=0.0,
                   help="weight of a term on how unevenly the low expert damps: the variance over the batch of the "
                        "log ratio of each finished motion's 0-3 Hz accelerometer power to the high expert's own "
                        "finish of the same state, per sensor (motions that move, RMS >= 1 m/s^2, only); a damping "
                        "common to every motion is free (docs/realism.md section 28)")
    p.add_argument("--lambda-stay-speed", type=float, default=0.0,
                   help="weight of a hold on each finished motion's mean root ground speed ((m/s)^2) against the "
                        "untuned low expert's finish of the same hand-over state: no accelerometer sees a constant "
                        "speed, and the intensity terms alone let runners slow down (docs/realism.md section 29)")
    p.add_argument("--lambda-true-speed", type=float, default=0.0,
                   help="weight of each finished motion's mean root ground speed ((m/s)^2) against its ground-truth "
                        "crop's: under the sampler's foot anchor the root follows the standing foot, so this asks "
                        "the legs for a stride that carries the body at the data's speed (refined_v3's walkers step "
                        "0.64 m/s against the data's 1.06; docs/realism.md section 31); the shipped refined is "
                        "refined_v3 tuned with it at 1 (section 36.5)")
    p.add_argument("--lambda-true-wrist", type=float, default=0.0,
                   help="weight of each finished motion's wrists' RMS acceleration against its ground-truth crop's, "
                        "as a squared log ratio: asks for each caption's intensity on the model's own samples, "
                        "where plain captions' walkers swing as hard as the styled ones'; measured: it damps both "
                        "styles alike and raises the rendered intensity (docs/realism.md section 32.3)")
    p.add_argument("--guidance", type=float, default=None,
                   help="the sampler's classifier-free guidance scale while tuning (the hand-over pool and the "
                        "finishes), recorded in the output as the scale to sample it with (default: the pair's "
                        "recorded one, 1 for the shipped refined); the data's style range needs guidance, which "
                        "slows the walkers (docs/realism.md section 32)")
    p.add_argument("--stop-t", type=int, default=None, metavar="T",
                   help="every finish the terms read ends as the sampler ends it with stop_t T: at the x0 prediction "
                        "of its last DDIM step at t >= T, and the output records T as its stop_t (default: the pair's "
                        "recorded stop_t, 0 for refined_v3; the shipped refined is sampled with 100 and was tuned "
                        "on whole chains; docs/realism.md section 39)")
    p.add_argument("--excess-max-crop", type=float, default=None, metavar="M_S2",
                   help="--lambda-excess counts only crops whose mean joint acceleration is below M_S2 (e.g. 10: "
                        "walks and stands, not runs; the real test clips walk at 5.9, run at 16.2): the texture of "
                        "the walkers is taken out without damping the runners (docs/realism.md section 39)")
    p.add_argument("--lambda-keep-moving", type=float, default=0.0,
                   help="weight of a hold on the crops at or above --excess-max-crop (runs): each finished motion's "
                        "IMU band powers (all bands, both ways, squared log ratio) against the untuned low expert's "
                        "finish of the same hand-over state; the gated excess term alone damps the runners too "
                        "(docs/realism.md section 39)")
    p.add_argument("--self-min-crop", type=float, default=None, metavar="M_S2",
                   help="--lambda-self counts only crops whose mean joint acceleration is at or above M_S2 (e.g. "
                        "10: runs, whose wrists the gated excess term damps too): each such finish asked for its "
                        "ground-truth crop's band powers, both ways (docs/realism.md section 40)")
    p.add_argument("--lambda-recipe", type=float, default=1.0, help="weight of the noised-truth recipe")
    p.add_argument("--recipe", choices=["shipped", "plain"], default="shipped",
                   help="the noised-truth terms: shipped = refined_v3's low-expert recipe (L_acc, IMU-space "
                        "term 0.05, foot anchor with the union rule, root speed; docs/realism.md section 14); plain = "
                        "the x0 MSE on the steps below the hand-over")
    p.add_argument("--sensors", default="wrist_l,wrist_r,thigh_l,thigh_r", help="sensors of the spectrum term")
    add_crop_args(p)
    p.set_defaults(func=_run)


def add_tune_args(p, steps: int, pool_help: str, expert: str) -> None:
    """The arguments `imusim selftune` and `imusim hightune` open with: the pair, the data, the output, and the
    self-sampled loop's size (``steps``: --steps' default; ``pool_help``: what --pool holds; ``expert``: the trained
    expert, "low" or "high", whose sampler steps --grad-steps backpropagates through)."""
    p.add_argument("--checkpoint", default="refined_v4",
                   help="two-expert checkpoint (zoo name or .safetensors), not a routed one: each low expert is tuned "
                        "in its own pair and the results routed (imusim route); the shipped refined is routed "
                        "(docs/realism.md section 41.3), refined_v4 the unrouted pair shipped before it (itself a "
                        "selftune output, section 36.5); the rounds of sections 19-41 started from refined_v3")
    p.add_argument("--data", required=True, help="the data set the checkpoint was trained on (imusim data build)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--batch-size", type=int, default=16, help="self-sampled motions per step")
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--pool", type=int, default=256, help=pool_help)
    p.add_argument("--ddim-steps", type=int, default=50, help="the sampler's steps (imusim generate's default)")
    p.add_argument("--grad-steps", type=int, default=3, metavar="K",
                   help=f"backpropagate through the last K {expert}-expert sampler steps")


def add_crop_args(p) -> None:
    """The arguments `imusim selftune` and `imusim hightune` close with: the training crops' lengths and the seed."""
    p.add_argument("--max-frames", type=int, default=120)
    p.add_argument("--min-frames", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)


def _run(a):
    from ..data.dataset import load_split
    from ..diffusion.selftune import SHIPPED_LOW_RECIPE, SelfTuneConfig, selftune
    from ..diffusion.train import MotionTextData, TrainConfig
    from ..diffusion.zoo import resolve_checkpoint

    ck = resolve_checkpoint(a.checkpoint)
    clips, mean, std = load_split(a.data, "train")
    # plain: selftune's default recipe (the x0 MSE below the checkpoint's hand-over step)
    recipe = TrainConfig(**SHIPPED_LOW_RECIPE) if a.recipe == "shipped" else None
    cfg = SelfTuneConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, pool=a.pool, ddim_steps=a.ddim_steps,
                         grad_steps=a.grad_steps, lambda_self=a.lambda_self, lambda_recipe=a.lambda_recipe,
                         lambda_kurtosis=a.lambda_kurtosis, lambda_stay=a.lambda_stay,
                         lambda_excess=a.lambda_excess, lambda_texture=a.lambda_texture, lambda_bone=a.lambda_bone,
                         lambda_joint_acc=a.lambda_joint_acc, joint_acc_joints=a.joint_acc_joints,
                         joint_acc_min_crop=a.joint_acc_min_crop, lambda_stay_quiet=a.lambda_stay_quiet,
                         joint_acc_gate=a.joint_acc_gate, gesture_ratio=a.gesture_ratio,
                         self_one_sided_above=a.self_one_sided_above, lambda_keep=a.lambda_keep,
                         lambda_keep_spread=a.lambda_keep_spread, lambda_stay_speed=a.lambda_stay_speed,
                         lambda_true_speed=a.lambda_true_speed, lambda_true_wrist=a.lambda_true_wrist,
                         guidance=a.guidance, stop_t=a.stop_t, excess_max_crop=a.excess_max_crop,
                         lambda_keep_moving=a.lambda_keep_moving, self_min_crop=a.self_min_crop,
                         keep_one_sided_above=None if a.keep_one_sided_above < 0 else a.keep_one_sided_above,
                         sensors=a.sensors, max_frames=a.max_frames, min_frames=a.min_frames, seed=a.seed)
    p = selftune(ck, MotionTextData(clips, mean, std), a.out, cfg, recipe,
                 meta_note=f"imusim selftune --checkpoint {a.checkpoint} --recipe {a.recipe}")
    print(f"checkpoint: {p}")
    return 0
