"""``imusim evaluate-motion --checkpoint original --checkpoint refined``: motion quality on the test split."""

import argparse


def register(sub):
    p = sub.add_parser("evaluate-motion", help="L_acc, FID, diversity, foot skating, jerk of diffusion checkpoints",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Generates one motion per held-out test clip from its caption (same lengths and "
                                   "seeds for every checkpoint) and measures the paper's L_acc against the ground "
                                   "truth (overall, per activity, high- vs low-dynamic), an FID-like distance with a "
                                   "motion encoder trained on the data (cached in --data), diversity, foot skating "
                                   "and jerk. A checkpoint given as NAME@smooth=SIGMA has its samples smoothed in time "
                                   "(Gaussian, SIGMA frames): the baseline that smooths instead of using L_acc. "
                                   "Writes JSON (a 'checkpoints' list with name, l_acc, ...) and a markdown table.")
    p.add_argument("--checkpoint", action="append", required=True,
                   help="shipped name, .safetensors path, or NAME@smooth=SIGMA; repeat to compare (the table "
                        "reports the last relative to the first)")
    p.add_argument("--data", default=None, help="directory from 'imusim data build' (default: build it in "
                                                "out/data if missing)")
    p.add_argument("--split", default="test", choices=["test", "val", "train"])
    p.add_argument("--samples", type=int, default=1, help="generated motions per test clip")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--guidance", type=float, default=2.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-frames", type=int, default=196, help="clip lengths are capped at this (20 fps)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N test clips")
    p.add_argument("--encoder-steps", type=int, default=400, help="training steps of the FID motion encoder")
    p.add_argument("--device", default=None)
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--markdown", default=None, help="write the table here (it is printed in any case)")
    p.set_defaults(func=_run)


def _run(a):
    import json
    from pathlib import Path

    from ..diffusion.evaluate import evaluate_motion, markdown_table

    data = a.data
    if data is None:
        data = Path("out/data")
        if not (data / "meta.json").exists():
            from ..data.dataset import build
            build(data)
    elif not (Path(data) / "meta.json").exists():
        raise FileNotFoundError(f"--data {data}: no meta.json (build it with 'imusim data build --out {data}')")
    res = evaluate_motion(a.checkpoint, data, split=a.split, samples=a.samples, steps=a.steps, guidance=a.guidance,
                          seed=a.seed, max_frames=a.max_frames, limit=a.limit, device=a.device,
                          encoder_steps=a.encoder_steps)
    md = markdown_table(res)
    print(md)
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(res, indent=1))
        print(f"json: {a.json}")
    if a.markdown:
        Path(a.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(a.markdown).write_text(md)
    return 0
