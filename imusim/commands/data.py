"""``imusim data build``: the text-motion training set from ../shared/data, or from full HumanML3D."""


def register(sub):
    p = sub.add_parser("data", help="build the text-motion training set",
                       description="Data set commands. 'imusim data build --out DIR' loads every Bandai Namco and "
                                   "DeepMimic clip, retargets it to the SMPL22 body at 20 fps, computes HumanML3D "
                                   "263-d features, captions and activity labels, and writes a by-file train/val/test "
                                   "split with normalisation statistics and a summary (cached: re-runs only redo "
                                   "changed files). With --humanml3d DIR it builds the set from the full HumanML3D "
                                   "corpus instead (MDM's text-motion pairs incl. sub-clips, its splits and Mean/Std), "
                                   "optionally mixed with our mocap (--add mocap:ROOT).")
    dsub = p.add_subparsers(dest="data_cmd", metavar="CMD")
    b = dsub.add_parser("build", help="build the training set (features, captions, splits, Mean/Std)")
    b.add_argument("--out", required=True, help="output directory")
    b.add_argument("--root", help="data root (default: ../shared/data beside the checkout, or $IMUSIM_DATA)")
    b.add_argument("--sources", default="bandai_namco_1,bandai_namco_2,deepmimic", help="sub-folders to read")
    b.add_argument("--seed", type=int, default=0, help="split seed")
    b.add_argument("--workers", type=int, default=2, help="processes")
    b.add_argument("--limit", type=int, help="use only this many files (quick runs)")
    b.add_argument("--split-by", choices=["file", "style"], default="file",
                   help="held-out splits by source file (takes never straddle splits) or by whole acting styles "
                        "of the Bandai sets (generalisation to unseen styles; 'normal' always trains)")
    b.add_argument("--facing", choices=["reference", "anatomical"], default="reference",
                   help="root-facing estimate of the features: HumanML3D's own, or the hips+shoulders one "
                        "the shipped checkpoints were trained with (reproduces them exactly)")
    b.add_argument("--caption-paraphrases", nargs="?", const="pace", choices=["pace", "manner"], default=False,
                   help="captions may also name a style's pace. 'pace' (the flag alone): 'normally', 'at a steady "
                        "pace', ... for the normal style, 'briskly', 'at a fast pace', ... for the active one; "
                        "'manner': ten or so phrasings per pace, the tired style's too, none with 'normal pace', "
                        "'regular', 'ordinary' or 'slow' (held out for evaluation). Without them a prompt that speaks "
                        "of pace lands wherever the text encoder puts it (docs/realism.md sections 18, 21). Off for "
                        "the shipped checkpoints' data set")
    h = b.add_argument_group("full HumanML3D (the paper's setting)")
    h.add_argument("--humanml3d", metavar="DIR",
                   help="HumanML3D directory (new_joint_vecs/, texts/, train/val/test.txt, Mean.npy, Std.npy): "
                        "build from it instead of --root; features are packed in one file and streamed "
                        "(memory: one motion); the statistics stay HumanML3D's, as a pretrained MDM needs")
    h.add_argument("--add", action="append", default=[], metavar="mocap:ROOT",
                   help="with --humanml3d: also add our mocap sets under ROOT (Bandai Namco, DeepMimic), "
                        "retargeted to SMPL22 with HumanML3D's features and root facing; repeatable")
    h.add_argument("--amass", metavar="ROOT",
                   help="with --humanml3d: compute the features of ids without a new_joint_vecs file from the "
                        "AMASS .npz files that DIR/index.csv names, through imusim's loaders (an alternative to "
                        "HumanML3D's own scripts; see imusim.data.humanml3d.features_from_amass)")
    h.add_argument("--min-frames", type=int, default=40, help="with --humanml3d: shortest motion or sub-clip kept")
    h.add_argument("--max-frames", type=int, default=200,
                   help="with --humanml3d: motions or sub-clips this long or longer are skipped (MDM's rule)")
    b.set_defaults(func=_build)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _build(a):
    from pathlib import Path

    if a.caption_paraphrases and a.humanml3d:
        raise ValueError("imusim data build: --caption-paraphrases applies to the mocap captions of the default "
                         "build; with --humanml3d the captions are HumanML3D's own texts")

    if a.humanml3d:
        from ..data.humanml3d import build_humanml3d

        meta = build_humanml3d(a.out, a.humanml3d, add=a.add, amass=a.amass, min_frames=a.min_frames,
                               max_frames=a.max_frames, seed=a.seed)
        print((Path(a.out) / "summary.md").read_text())
        n = {s: sum(c["split"] == s for c in meta["clips"]) for s in ("train", "val", "test")}
        print(f"wrote {a.out} ({len(meta['clips'])} text-motion clips: {n}; {meta['storage']['shape'][0]} frames; "
              f"{len(meta['errors'])} ids not used, see meta.json 'errors')")
        return 0
    if a.add or a.amass:
        raise SystemExit("imusim data build: --add and --amass go with --humanml3d DIR")
    from ..data.dataset import build

    meta = build(a.out, a.root, tuple(a.sources.split(",")), a.seed, workers=a.workers, limit=a.limit,
                 facing=a.facing, split_by=a.split_by,
                 caption_paraphrases=a.caption_paraphrases)
    from pathlib import Path

    print((Path(a.out) / "summary.md").read_text())
    print(f"wrote {a.out} ({len(meta['clips'])} clips, {len(meta['errors'])} files not used)")
    return 0
