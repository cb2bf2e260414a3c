"""``imusim route --pair PAIR --moving PAIR --min-acc M [--still-acc S] --out ROUTED.safetensors``: one high expert,
two low experts."""


def register(sub):
    p = sub.add_parser("route", help="route the low-noise steps of a two-expert checkpoint between two low experts "
                                     "by how much the motion moves",
                       description="Write a routed pair: --pair's high expert and its low expert, and --moving's low "
                                   "expert for the motions whose x0 prediction at the last high-noise step moves at "
                                   "--min-acc m/s^2 or more (mean over the 22 joints of each joint's mean "
                                   "|acceleration|: runs and jumps; walks move at 2-7, stands below 2), and with "
                                   "--still-acc also those below it (stands, gestures handed over nearly still: "
                                   "--pair's low expert then finishes a band, the walks). Both must be "
                                   "two-expert checkpoints with the same high expert, feature statistics, text "
                                   "encoder, hand-over step and sampling settings (e.g. two selftune outputs of one "
                                   "pair): each motion is then finished exactly as the pair it is routed to finishes "
                                   "it. Why: one low expert answers walkers and runners alike, and a term that makes "
                                   "one realistic moves the other the same way (docs/realism.md sections 39-40). The "
                                   "result loads wherever a checkpoint does (sample, generate, evaluate-motion, "
                                   "demo).")
    p.add_argument("--pair", required=True, help="two-expert checkpoint (zoo name or .safetensors): the high expert, "
                                                 "the sampling settings and the low expert of the motions below "
                                                 "--min-acc")
    p.add_argument("--moving", required=True, help="two-expert checkpoint whose low expert finishes the motions at "
                                                   "or above --min-acc")
    p.add_argument("--min-acc", type=float, required=True, metavar="M_S2",
                   help="the route's threshold on the hand-over prediction's mean joint acceleration (m/s^2; 7 "
                        "separates the protocol's runners from its walkers under refined_v3's high expert, "
                        "docs/realism.md section 40)")
    p.add_argument("--still-acc", type=float, default=None, metavar="M_S2",
                   help="also route the motions whose hand-over moves below this (m/s^2, > 0 and below --min-acc) "
                        "to --moving's low expert: --pair's finishes the band between (2 keeps the protocol's walkers "
                        "and leaves its standers and nearly still gestures to --moving, docs/realism.md section 41) "
                        "(default: no lower bound)")
    p.add_argument("--out", required=True, help="output .safetensors")
    p.set_defaults(func=_run)


def _run(a):
    from ..diffusion.checkpoint import save_routed_pair
    from ..diffusion.zoo import resolve_checkpoint

    out = save_routed_pair(a.out, resolve_checkpoint(a.pair), resolve_checkpoint(a.moving), a.min_acc, a.still_acc)
    still = "" if a.still_acc is None else f" or below {a.still_acc:g}"
    print(f"wrote {out} (low-noise steps: {a.moving}'s low expert where the hand-over moves at >= {a.min_acc:g} "
          f"m/s^2{still}, {a.pair}'s elsewhere)")
    return 0
