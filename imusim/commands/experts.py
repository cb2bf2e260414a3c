"""``imusim experts --high CKPT --low CKPT --below-t T --out PAIR.safetensors``: two denoisers split by noise level."""


def register(sub):
    p = sub.add_parser("experts", help="combine two checkpoints into one two-expert checkpoint split by noise level",
                       description="Write one checkpoint whose sampler steps t >= --below-t are answered by --high and "
                                   "the low-noise steps t < --below-t by --low (eDiff-I's expert denoisers): the "
                                   "early steps decide what the body does, the late ones the fine structure the "
                                   "sensors see. Both must be fine-tunes on the same data set (the same feature "
                                   "normalisation and text encoder). The result loads wherever a checkpoint does "
                                   "(imusim sample, generate, evaluate-motion, demo), and records where its experts "
                                   "came from in meta.experts. docs/realism.md section 9 measures it.")
    p.add_argument("--high", required=True, help="checkpoint (zoo name or .safetensors) for the high-noise steps")
    p.add_argument("--low", required=True, help="checkpoint for the low-noise steps")
    p.add_argument("--below-t", type=int, required=True, metavar="T",
                   help="diffusion step (of the 1,000-step schedule) below which --low answers")
    p.add_argument("--out", required=True, help="output .safetensors")
    from ..diffusion.checkpoint import ANCHOR_CONTACTS
    p.add_argument("--anchor-contact", choices=ANCHOR_CONTACTS, default=None,
                   help="for experts trained with the foot anchor (finetune --anchor-feet): the anchor's contact rule "
                        "for sampling the pair instead of the one the expert recorded (default: the expert's); "
                        "height holds only foot joints within 5 cm of the floor (docs/realism.md section 15); planted only "
                        "those that are also still (< 0.89 m/s, the features' contact test; section 18)")
    p.add_argument("--anchor-smooth", type=float, default=None, metavar="SIGMA",
                   help="likewise, the anchored root velocity smoothed in time by a Gaussian of SIGMA frames "
                        "instead of the expert's recorded value (0: none)")
    p.add_argument("--stop-t", type=int, default=None, metavar="T",
                   help="record that the pair's DDIM chain ends at the x0 prediction of its last step at t >= T "
                        "(meta.sampling.stop_t; every sampler of the pair then uses it unless told otherwise; "
                        "docs/realism.md section 36)")
    p.set_defaults(func=_run)


def _run(a):
    from ..diffusion.checkpoint import save_expert_pair
    from ..diffusion.zoo import resolve_checkpoint

    out = save_expert_pair(a.out, resolve_checkpoint(a.high), resolve_checkpoint(a.low), a.below_t,
                           anchor_contact=a.anchor_contact, anchor_smooth=a.anchor_smooth,
                           stop_t=a.stop_t)
    print(f"wrote {out} (t >= {a.below_t}: {a.high}; t < {a.below_t}: {a.low})")
    return 0
