"""``imusim train`` (from scratch) and ``imusim finetune --from CKPT --lambda-acc X`` (the paper)."""

import argparse

from ..diffusion.model import INPUTS, OUTPUTS


def _common(p):
    p.add_argument("--data", required=True, help="directory written by 'imusim data build'")
    p.add_argument("--out", required=True, help="run directory (model.safetensors, train_state.pt, metrics.csv)")
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lambda-acc", type=float, default=0.0, help="weight of L_acc (0 = original MDM loss)")
    p.add_argument("--acc-on", choices=["features", "positions", "imu"], default="features",
                   help="L_acc on the normalised 263-d features (paper), on recovered joint positions (m/s²), "
                        "or on the virtual IMU signals of --imu-sensors (our extension)")
    p.add_argument("--acc-t-max", type=int, default=0, metavar="T",
                   help="apply L_acc only to the x0 predictions of the low-noise diffusion steps t < T (of 1000; "
                        "0 = every step, as the paper). At high noise the best prediction of the clean motion's "
                        "accelerations is a damped average; matching it to the ground truth's pulls the model "
                        "towards motions that barely move (docs/realism.md)")
    p.add_argument("--loss-weight", choices=["x0", "v"], default=None,
                   help="weighting of the denoising loss over diffusion steps: x0 (MDM's plain MSE on x0) or v "
                        "(the MSE on v, i.e. |x̂0 − x0|²/(1−ᾱ_t): low-noise steps weigh as much as high-noise ones "
                        "in the network's own output space). Default: v for --output v models, else x0")
    p.add_argument("--imu-sensors", default="wrist_l,wrist_r,thigh_l,thigh_r",
                   help="sensor presets for --acc-on imu")
    p.add_argument("--lambda-pos", type=float, default=0.0, help="MDM geometric loss: joint positions")
    p.add_argument("--lambda-vel", type=float, default=0.0, help="MDM geometric loss: joint velocities")
    p.add_argument("--lambda-fc", type=float, default=0.0,
                   help="MDM foot contact loss: squared velocity (m²/s²) of the predicted feet where the ground truth's "
                        "contact labels say they stand")
    p.add_argument("--fc-contact", choices=("truth", "pred"), default="truth",
                   help="whose contact channels mark the standing frames of --lambda-fc: the ground truth's (MDM; ties "
                        "the feet to its phase, walkers freeze: docs/realism.md §7) or the prediction's own, detached "
                        "(self-consistency: a foot the model says stands must not slide; docs/realism.md §9)")
    p.add_argument("--fc-grad", choices=("all", "root"), default="all",
                   help="which predicted channels --lambda-fc moves: all (MDM) or only the root's (rotation and linear "
                        "velocity, height; the body detached): the root must follow the standing foot, and the body "
                        "cannot meet the term by standing still (docs/realism.md §10)")
    p.add_argument("--lambda-imu", type=float, default=0.0,
                   help="weight of the IMU-space L_acc on --imu-sensors added beside the L_acc of --acc-on (so the "
                        "paper's feature loss and the sensor-level term can be combined)")
    p.add_argument("--lambda-spec", type=float, default=0.0,
                   help="weight of the sensor-level band-power term on --imu-sensors: per clip, the log power of the "
                        "virtual accelerometer and gyroscope in the 0-1, 1-3, 3-6, 6-10 Hz bands against the ground "
                        "truth's; blind to phase, so it cannot reward motion that moves less (docs/realism.md §8)")
    p.add_argument("--aux-t-max", type=int, default=0, metavar="T",
                   help="apply --lambda-imu, --lambda-spec and --lambda-fc only to the x0 predictions of the low-noise steps t < T "
                        "(0 = every step); at every step both pull walkers towards standing still (docs/realism.md §7)")
    p.add_argument("--train-t-max", type=int, default=0, metavar="T",
                   help="train on the diffusion steps t < T only (0 = every step): a low-noise expert that "
                        "'imusim experts --low' pairs with a model for the steps above (docs/realism.md §9)")
    p.add_argument("--anchor-feet", type=int, default=0, metavar="A",
                   help="train the x0 predictions of the steps t < A through the sampler's --anchor-feet correction "
                        "(the root follows the foot the prediction's own contact channels say stands), so that "
                        "the losses on the root train the legs: a root-from-feet output parameterisation; the "
                        "checkpoint records A as its sampling anchor (docs/realism.md section 13). 0 = off")
    p.add_argument("--lambda-root-raw", type=float, default=0.0, metavar="W",
                   help="with --anchor-feet: also train the network's own root velocity output (before the anchor "
                        "replaces it) by its MSE to the ground truth's, weight W; in standing frames the anchored "
                        "root does not depend on it, but it decides which foot joint the anchor holds")
    from ..diffusion.checkpoint import ANCHOR_CONTACTS
    p.add_argument("--anchor-contact", choices=ANCHOR_CONTACTS, default="channels",
                   help="which frames --anchor-feet holds: channels = where the prediction's own contact labels say a "
                        "foot stands; union = those and every frame in which a foot joint is within 5 cm of the "
                        "motion's floor (the labels cannot let a low foot slide); height = only the foot joints "
                        "within 5 cm of the floor (a labelled ankle above its standing toe is never the one held); "
                        "planted = height and still by the features' own contact test (moving < 0.89 m/s: a toe lifting "
                        "off near the floor is not held); recorded for sampling")
    p.add_argument("--anchor-smooth", type=float, default=0.0, metavar="SIGMA",
                   help="with --anchor-feet: smooth the anchored root velocity in time by a Gaussian of SIGMA "
                        "frames (0: none), so the root follows the feet step by step without surging where the held "
                        "joint switches; recorded for sampling (docs/realism.md section 15)")
    p.add_argument("--lambda-root-speed", type=float, default=0.0, metavar="W",
                   help="weight of a phase-blind root speed term: each clip's mean horizontal root speed (m/s) "
                        "against the ground truth's, squared, on the samples at t < --anchor-feet (else "
                        "--aux-t-max, else all): the planted feet must travel as far as the truth's")
    p.add_argument("--lambda-toe-swing", type=float, default=0.0, metavar="W",
                   help="weight of a phase-blind toe swing term: each clip's mean toe height above its lowest toe "
                        "point (per 10 cm) and mean horizontal toe speed (m/s) against the ground truth's, squared, "
                        "on the samples of --lambda-root-speed (docs/realism.md section 17)")
    p.add_argument("--lambda-kurtosis", type=float, default=0.0, metavar="W",
                   help="weight of a phase- and scale-blind impulsiveness term on every step: per clip and joint, the "
                        "log kurtosis of the acceleration magnitude against the truth's (generated wrists are twice as "
                        "impulsive as real ones at the same RMS; docs/realism.md section 18)")
    p.add_argument("--text-whiten", type=float, default=0.0, metavar="EPS",
                   help="whiten the text embeddings by the covariance of the training captions' embeddings "
                        "(eigenvalues floored at EPS x the largest, e.g. 0.01), so that captions that differ only "
                        "in a pace word reach the network as far apart as those that differ in style; a model "
                        "loaded with --from keeps its function at step 0 (docs/realism.md section 21). 0: off")
    p.add_argument("--toe-floor", choices=["own", "target"], default="own",
                   help="with --lambda-toe-swing: the heights above each clip's own lowest toe point, or both above "
                        "the ground truth's (a floor the prediction's jitter cannot lower)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--amp", action="store_true", help="mixed precision (GPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--resume", action="store_true", help="continue from OUT/train_state.pt")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay of the saved weights")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--ckpt-every", type=int, default=500)
    p.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                   help="also keep OUT/model_stepNNNNNN.safetensors every N steps (training-length curves)")
    p.add_argument("--max-frames", type=int, default=196)
    p.add_argument("--min-frames", type=int, default=40,
                   help="shortest random crop; set it to --max-frames to train on whole clips as MDM does")
    p.add_argument("--clip-weights", metavar="DIR", default=None,
                   help="local CLIP ViT-B/32 directory (transformers format) for the 'clip' text encoder, e.g. "
                        "for --from mdm:DIR (default: $IMUSIM_CLIP_WEIGHTS); nothing is downloaded")


def register(sub):
    t = sub.add_parser("train", help="train the text-to-motion diffusion model from scratch",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Train an MDM-style model (x0 prediction, cosine schedule, CFG dropout 0.1) on a "
                                   "data set from 'imusim data build'. Under torchrun it trains with DDP.")
    _common(t)
    t.add_argument("--layers", type=int, default=8)
    t.add_argument("--latent", type=int, default=512)
    t.add_argument("--heads", type=int, default=4)
    t.add_argument("--ff", type=int, default=1024)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--input", choices=INPUTS, default="x_t",
                   help="what the network reads: x_t (MDM) or wiener (√ᾱ_t·x_t, the linear x0 estimate: the "
                        "noise reaches the network with gain √ᾱ_t, so at high noise it cannot leak into the x0 "
                        "prediction as frame-to-frame jitter) or wiener_f (the spectral version: the linear MMSE estimate of x0 "
                        "under the training data's temporal spectrum per feature; docs/realism.md)")
    t.add_argument("--output", choices=OUTPUTS, default="x0",
                   help="what the network's last layer predicts: x0 (MDM) or v (x̂0 = √ᾱ·x_t − √(1−ᾱ)·net, "
                        "v-prediction: at low noise the network's error is scaled down, which removes the "
                        "frame-to-frame jitter of x0 models; docs/realism.md) or wskip (x̂0 = W_t(x_t) + √(1−ᾱ)·net with the "
                        "spectral Wiener estimate W_t as the skip; needs --input wiener_f). The loss is on x0 either way")
    t.add_argument("--text-encoder", default="minilm", choices=["minilm", "clip", "hash"])
    t.set_defaults(func=_train, init=None)
    f = sub.add_parser("finetune", help="fine-tune a checkpoint with L_acc added (the paper's refinement)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Continue training CKPT with the acceleration loss L_acc added to L_simple.")
    _common(f)
    f.add_argument("--from", dest="init", required=True,
                   help="checkpoint to start from: .safetensors, a shipped name, or mdm:DIR (a pretrained MDM: "
                        "DIR/args.json + DIR/model*.pt, converted once; its HumanML3D Mean/Std must equal --data's)")
    f.add_argument("--input", choices=INPUTS, default=None,
                   help="convert the checkpoint to read this input before training (weights kept; for wiener_f the "
                        "prior spectrum is estimated from --data), e.g. the shipped x_t models to wiener_f "
                        "(docs/realism.md §5). Default: the checkpoint's")
    f.add_argument("--output", choices=OUTPUTS, default=None,
                   help="convert the checkpoint's output parameterisation before training (weights kept). "
                        "Default: the checkpoint's")
    f.add_argument("--allow-new-stats", action="store_true",
                   help="fine-tune even if --data's Mean/Std differ from the checkpoint's (the network then sees "
                        "differently normalised inputs than it was trained on)")
    f.set_defaults(func=_train)


def _train(a):
    import os

    import torch

    from ..data.dataset import load_split
    from ..diffusion.model import MDMConfig
    from ..diffusion.train import MotionTextData, TrainConfig, train
    from ..diffusion.zoo import resolve_checkpoint

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if a.clip_weights:
        os.environ["IMUSIM_CLIP_WEIGHTS"] = a.clip_weights
    clips, mean, std = load_split(a.data, "train")
    data = MotionTextData(clips, mean, std)
    enc_name = getattr(a, "text_encoder", None)
    init = resolve_checkpoint(a.init) if a.init else None
    output = getattr(a, "output", "x0")
    if init:
        from ..diffusion.checkpoint import load_checkpoint
        cmodel, cmean, cstd, enc_name, _ = load_checkpoint(init)
        output = getattr(a, "output", None) or getattr(cmodel.cfg, "output", "x0")
        if not getattr(a, "allow_new_stats", False) and (
                cmean.shape != mean.shape or not (torch.allclose(cmean, mean.float(), rtol=1e-5, atol=1e-6)
                                                  and torch.allclose(cstd, std.float(), rtol=1e-5, atol=1e-6))):
            raise SystemExit(f"imusim finetune: {a.data}/Mean.npy, Std.npy differ from the normalisation statistics "
                             f"{a.init} was trained with; build the data with the same statistics (for a pretrained "
                             f"MDM: 'imusim data build --humanml3d DIR', which keeps HumanML3D's) or pass "
                             f"--allow-new-stats")
    cfg = TrainConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, lambda_acc=a.lambda_acc, acc_on=a.acc_on,
                      imu_sensors=a.imu_sensors, acc_t_max=a.acc_t_max,
                      loss_weight=a.loss_weight or ("v" if output == "v" else "x0"), snapshot_every=a.snapshot_every,
                      lambda_pos=a.lambda_pos, lambda_vel=a.lambda_vel,
                      lambda_fc=a.lambda_fc, fc_contact=a.fc_contact, fc_grad=a.fc_grad, lambda_imu=a.lambda_imu, lambda_spec=a.lambda_spec, aux_t_max=a.aux_t_max, train_t_max=a.train_t_max, anchor_feet=a.anchor_feet, lambda_root_raw=a.lambda_root_raw, lambda_root_speed=a.lambda_root_speed, lambda_toe_swing=a.lambda_toe_swing, toe_floor=a.toe_floor, lambda_kurtosis=a.lambda_kurtosis, text_whiten=a.text_whiten, anchor_contact=a.anchor_contact, anchor_smooth=a.anchor_smooth, seed=a.seed, amp=a.amp, compile=a.compile,
                      ema_decay=a.ema, log_every=a.log_every, ckpt_every=a.ckpt_every, max_frames=a.max_frames,
                      min_frames=a.min_frames,
                      text_encoder=enc_name or "minilm", warmup=0 if init else 200)
    mc = None if init else MDMConfig(layers=a.layers, latent=a.latent, heads=a.heads, ff=a.ff, dropout=a.dropout,
                                      output=a.output, input=a.input)
    meta = {"data": str(a.data), "clips": len(clips), "init_from": str(init) if init else None}
    reparam = {k: getattr(a, k) for k in ("input", "output") if init and getattr(a, k, None)}
    if reparam:
        meta["reparam"] = reparam
    p = train(data, a.out, cfg, mc, init_from=str(init) if init else None, resume=a.resume, device=device, meta=meta,
              reparam=reparam or None)
    print(f"checkpoint: {p}")
    return 0
