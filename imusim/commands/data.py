"""``imusim data build``: the text-motion training set from ../shared/data."""


def register(sub):
    p = sub.add_parser("data", help="build the text-motion training set",
                       description="Data set commands. 'imusim data build --out DIR' loads every Bandai Namco and "
                                   "DeepMimic clip, retargets it to the SMPL22 body at 20 fps, computes HumanML3D "
                                   "263-d features, captions and activity labels, and writes a by-file train/val/test "
                                   "split with normalisation statistics and a summary (cached: re-runs only redo "
                                   "changed files).")
    dsub = p.add_subparsers(dest="data_cmd", metavar="CMD")
    b = dsub.add_parser("build", help="build the training set (features, captions, splits, Mean/Std)")
    b.add_argument("--out", required=True, help="output directory")
    b.add_argument("--root", help="data root (default: ../shared/data beside the checkout, or $IMUSIM_DATA)")
    b.add_argument("--sources", default="bandai_namco_1,bandai_namco_2,deepmimic", help="sub-folders to read")
    b.add_argument("--seed", type=int, default=0, help="split seed")
    b.add_argument("--workers", type=int, default=2, help="processes")
    b.add_argument("--limit", type=int, help="use only this many files (quick runs)")
    b.add_argument("--facing", choices=["reference", "anatomical"], default="reference",
                   help="root-facing estimate of the features: HumanML3D's own, or the hips+shoulders one "
                        "the shipped checkpoints were trained with (reproduces them exactly)")
    b.set_defaults(func=_build)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _build(a):
    from ..data.dataset import build

    meta = build(a.out, a.root, tuple(a.sources.split(",")), a.seed, workers=a.workers, limit=a.limit,
                 facing=a.facing)
    from pathlib import Path

    print((Path(a.out) / "summary.md").read_text())
    print(f"wrote {a.out} ({len(meta['clips'])} clips, {len(meta['errors'])} files not used)")
    return 0
