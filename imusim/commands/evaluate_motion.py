"""``imusim evaluate-motion --checkpoint original --checkpoint refined``: motion quality on the test split."""

import argparse

from .sample import ANCHOR_FEET_HELP, STOP_T_HELP


def register(sub):
    p = sub.add_parser("evaluate-motion", help="L_acc, FID, diversity, foot skating, jerk of diffusion checkpoints",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Generates one motion per held-out test clip from its caption (same lengths and "
                                   "seeds for every checkpoint) and measures the paper's L_acc against the ground "
                                   "truth (overall, per activity, high- vs low-dynamic), an FID-like distance with a "
                                   "motion encoder trained on the data (cached in --data), diversity, foot skating "
                                   "and jerk. A checkpoint given as NAME@smooth=SIGMA has its samples smoothed in time "
                                   "(Gaussian, SIGMA frames): the baseline that smooths instead of using L_acc. "
                                   "L_acc is split exactly into P_gen + P_real - 2C (acceleration powers and their "
                                   "product): a sample from fresh noise is not aligned with its ground truth, so a "
                                   "lower L_acc mostly means less acceleration; 'l_acc_matched_power' (the L_acc at "
                                   "the real clip's power) and 'acc_corr' read the alignment alone. "
                                   "Writes JSON (a 'checkpoints' list with name, l_acc, ...) and a markdown table.")
    p.add_argument("--checkpoint", action="append", required=True,
                   help="shipped name, .safetensors path, or NAME@smooth=SIGMA; repeat to compare (the table "
                        "reports the last relative to the first)")
    p.add_argument("--data", default=None, help="directory from 'imusim data build' (default: build it in "
                                                "out/data if missing)")
    p.add_argument("--split", default="test", choices=["test", "val", "train"])
    p.add_argument("--samples", type=int, default=1, help="generated motions per test clip")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--guidance", type=float, default=None,
                   help="classifier-free guidance scale (default: each checkpoint at the scale it records as validated: "
                        "1 for the shipped refined, 2.5 for the others; with --t2m-evaluator 2.5, MDM's protocol)")
    p.add_argument("--anchor-feet", type=int, default=None, metavar="A",
                   help=ANCHOR_FEET_HELP)
    p.add_argument("--stop-t", type=int, default=None, metavar="T",
                   help=STOP_T_HELP + "; for every checkpoint, where a spec's NAME@stop=T does it for one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-frames", type=int, default=196, help="clip lengths are capped at this (20 fps)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N test clips")
    p.add_argument("--encoder-steps", type=int, default=400, help="training steps of the FID motion encoder")
    p.add_argument("--fid-encoders", type=int, default=1, metavar="K",
                   help="also compute FID under the encoders of seeds 1..K-1 (each trained once, cached in --data) and "
                        "report mean ± std over the K: FID's scale is its encoder's own, so a gap between models "
                        "counts only when it holds under every encoder (docs/realism.md §11.3); default 1")
    p.add_argument("--fid-features", choices=("generated", "consistent"), default="generated",
                   help="what the FID encoder reads (FID, diversity, encoder accuracy): the features as generated "
                        "(default), or 'consistent': their rotation, local-velocity and foot-contact channels "
                        "re-derived from the joint positions they define (what features_to_motion and the IMUs read), "
                        "the real clips alike, so that FID compares motions, not channels no rendering reads "
                        "(docs/realism.md §29)")
    p.add_argument("--device", default=None)
    p.add_argument("--clip-weights", metavar="DIR", default=None,
                   help="local CLIP directory for checkpoints with the 'clip' text encoder (MDM's; default "
                        "$IMUSIM_CLIP_WEIGHTS)")
    t = p.add_argument_group(
        "standard text-to-motion metrics (Guo et al.'s evaluator; numbers comparable to MDM's tables)",
        "With --t2m-evaluator the checkpoints are evaluated with MDM's protocol instead of imusim's own encoder: "
        "FID, R-precision top-1/2/3, MM-Dist, Diversity, MultiModality (with --mm-samples) and the paired L_acc, "
        "mean and 95 % interval over replications. --data must be built with 'imusim data build --humanml3d' "
        "(the captions' POS tokens are needed). MDM's defaults take about 12 h on one GPU (20 x 1,024 motions, "
        "1,000 DDPM steps).")
    t.add_argument("--t2m-evaluator", metavar="DIR", default=None,
                   help="directory with t2m/text_mot_match/model/finest.tar, glove/our_vab_*, dataset/t2m_{mean,std}.npy "
                        "(MDM's checkout after prepare/download_t2m_evaluators.sh and download_glove.sh)")
    t.add_argument("--t2m-replications", type=int, default=20, help="replications (MDM: 20; 5 with --mm-samples)")
    t.add_argument("--t2m-samples", type=int, default=1000, help="generated motions per replication (MDM: 1000)")
    t.add_argument("--t2m-batch", type=int, default=32, help="R-precision batch (32 in every published table)")
    t.add_argument("--mm-samples", type=int, default=0, help="captions for MultiModality (MDM's mm_short: 100)")
    t.add_argument("--mm-repeats", type=int, default=30, help="motions per caption for MultiModality")
    t.add_argument("--sampler", choices=["ddpm", "ddim"], default="ddpm",
                   help="t2m protocol sampler: ddpm runs all 1,000 steps (MDM); ddim uses --steps")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--markdown", default=None, help="write the table here (it is printed in any case)")
    p.set_defaults(func=_run)


def _run(a):
    import json
    from pathlib import Path

    from ..diffusion.evaluate import evaluate_motion, markdown_table

    import os

    if a.clip_weights:
        os.environ["IMUSIM_CLIP_WEIGHTS"] = a.clip_weights
    if a.fid_encoders < 1:
        raise ValueError(f"--fid-encoders must be >= 1, got {a.fid_encoders}")
    # every checkpoint must exist before the (long) data build and encoder training start
    from ..diffusion.evaluate import parse_spec
    from ..diffusion.zoo import resolve_checkpoint
    for spec in a.checkpoint:
        ck = parse_spec(spec)[0]
        if not ck.startswith("mdm:"):  # mdm:DIR is converted (and checked) when it is loaded
            resolve_checkpoint(ck)
    if a.t2m_evaluator:
        if a.stop_t:
            raise ValueError(f"--stop-t {a.stop_t} is not used with --t2m-evaluator (MDM's protocol); leave it out")
        if a.anchor_feet:  # the HumanML3D evaluator protocol samples as MDM does
            raise ValueError(f"--anchor-feet {a.anchor_feet} is not used with --t2m-evaluator (MDM's protocol); "
                             "leave it out")
        return _run_t2m(a)
    data = a.data
    if data is None:
        data = Path("out/data")
        if not (data / "meta.json").exists():
            from ..data.dataset import build
            build(data)
    elif not (Path(data) / "meta.json").exists():
        raise FileNotFoundError(f"--data {data}: no meta.json (build it with 'imusim data build --out {data}')")
    res = evaluate_motion(a.checkpoint, data, split=a.split, samples=a.samples, steps=a.steps, guidance=a.guidance,
                          anchor_feet=a.anchor_feet, stop_t=a.stop_t, seed=a.seed, max_frames=a.max_frames,
                          limit=a.limit, device=a.device,
                          encoder_steps=a.encoder_steps, fid_encoders=a.fid_encoders, fid_features=a.fid_features)
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


def _run_t2m(a):
    import json
    from pathlib import Path

    from ..diffusion.checkpoint import DEFAULT_GUIDANCE
    from ..diffusion.t2m import evaluate_t2m, markdown_t2m

    if a.data is None or not (Path(a.data) / "meta.json").exists():
        raise FileNotFoundError(f"--t2m-evaluator needs --data built from HumanML3D ('imusim data build --humanml3d DIR "
                                f"--out DATA'); got {a.data}")
    res = evaluate_t2m(a.checkpoint, a.data, a.t2m_evaluator, replications=a.t2m_replications,
                       n_samples=a.t2m_samples, batch=a.t2m_batch, mm_samples=a.mm_samples, mm_repeats=a.mm_repeats,
                       sampler=a.sampler, steps=a.steps, seed=a.seed, device=a.device,
                       guidance=DEFAULT_GUIDANCE if a.guidance is None else a.guidance,  # MDM's protocol
                       split=a.split, limit=a.limit)
    md = markdown_t2m(res)
    print(md)
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"t2m": res}, indent=1))
        print(f"json: {a.json}")
    if a.markdown:
        Path(a.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(a.markdown).write_text(md)
    return 0
