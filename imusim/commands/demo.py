"""``imusim demo``: the main job on built-in defaults — text prompts → motion → virtual IMU → plots + report."""

import argparse

DEFAULT_PROMPTS = ["a person walks forward.", "a person runs forward.", "a person waves the right hand.",
                   "a person jumps up."]


def register(sub):
    p = sub.add_parser("demo", help="prompts → motion → virtual IMU → plots and a short report (built-in defaults)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Turns text prompts into motions, motions into virtual wrist and thigh IMU "
                                   "signals, and writes PNG plots and report.md. Motions come from the shipped "
                                   "diffusion checkpoint when one is available (imusim/checkpoints/); otherwise "
                                   "each prompt retrieves the closest mocap clip of ../shared/data by MiniLM "
                                   "caption similarity (the report says which path ran). Then the HAR stage: "
                                   "labelled windows for BasicMotions' activities (standing, walking, running, "
                                   "badminton) from the same checkpoint, classifiers trained only on them and "
                                   "tested on the real BasicMotions recordings, with report, t-SNE and confusion "
                                   "matrices in OUT/har/.")
    p.add_argument("prompts", nargs="*", help="text prompts (default: four built-in ones)")
    p.add_argument("--out", default="out/demo", help="output directory")
    p.add_argument("--checkpoint", default="refined", help="diffusion checkpoint (name or path) if available")
    p.add_argument("--retrieval", action="store_true", help="use mocap retrieval even if a checkpoint exists")
    p.add_argument("--sensors", default="wrist_r,thigh_r")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", default="bmi160",
                   help="sensor error model of the plotted signals and of the HAR stage's windows: a datasheet "
                        "profile (imusim/imu/profiles.py: bmi160, bmi270, lsm6dso, icm42688p, mpu6050, mti630, "
                        "ideal) or 'none'")
    p.add_argument("--no-har", action="store_true", help="skip the HAR stage (synthetic → BasicMotions)")
    p.add_argument("--per-activity", type=int, default=24,
                   help="HAR stage: generated motions per BasicMotions activity")
    p.add_argument("--har-steps", type=int, default=20, help="HAR stage: DDIM steps per motion")
    p.add_argument("--repeats", type=int, default=2, help="HAR stage: classifier seeds")
    p.set_defaults(func=_run)


def retrieve(prompts, k_files=None):
    """(prompt, Motion on SMPL22 at 20 fps, matched caption, similarity) by MiniLM caption retrieval."""
    from ..data import load_motion
    from ..data.captions import captions_for, labels_from_path
    from ..data.dataset import default_data_root, list_clips
    from ..constants import HUMANML3D_FPS
    from ..data.retarget import retarget_to_smpl22
    from ..diffusion.text import get_text_encoder

    files = list_clips(default_data_root(), ("bandai_namco_1", "deepmimic"))
    if not files:
        raise FileNotFoundError("no mocap found for retrieval (../shared/data) and no diffusion checkpoint")
    caps = [captions_for(labels_from_path(f), 1)[0] for f in files]
    enc = get_text_encoder("minilm")
    E = enc.encode(caps)
    Q = enc.encode(list(prompts))
    sim = Q @ E.T
    out = []
    for i, pr in enumerate(prompts):
        j = int(sim[i].argmax())
        m = retarget_to_smpl22(load_motion(files[j]), fps=HUMANML3D_FPS)
        out.append((pr, m, f"{caps[j]} ({files[j].name})", float(sim[i, j])))
    return out


def diffusion_label(ckpt) -> str:
    """How the demo report names a checkpoint's sampling: file name, the guidance scale, the expert split, the
    foot anchoring and the chain's end it records (what ``generate_motions`` will use)."""
    from ..diffusion.checkpoint import (read_meta, recommended_anchor_contact, recommended_anchor_feet,
                                        recommended_anchor_smooth, recommended_guidance, recommended_stop_t)

    meta = read_meta(ckpt)
    parts = [ckpt.name, f"guidance {recommended_guidance(meta, ckpt):g}"]
    split = (meta.get("experts") or {}).get("below_t")
    if split is not None:
        parts.append(f"two experts split at diffusion step {split}")
    route, still = ((meta.get("experts") or {}).get(k) for k in ("route_min_acc", "route_still_acc"))
    if route is not None:  # a routed pair (docs/realism.md §40-§41)
        parts.append(f"a second low expert on the hand-overs moving at >= {route:g}"
                     + (f" or below {still:g}" if still is not None else "") + " m/s^2")
    anchor = recommended_anchor_feet(meta, ckpt)
    if anchor:
        contact = recommended_anchor_contact(meta, ckpt)
        smooth = recommended_anchor_smooth(meta, ckpt)
        how = ([] if contact == "channels" else [f"contact: {contact}"]) + (
            [f"smoothed over {smooth:g} frames"] if smooth else [])
        parts.append("the root anchored on the standing foot" + (
            "" if anchor == 1 else " at every step" if anchor >= 1000 else f" at steps < {anchor}")
            + (f" ({'; '.join(how)})" if how else ""))
    stop = recommended_stop_t(meta, ckpt)
    if stop:
        parts.append(f"the DDIM chain ended at its last step at t >= {stop}")
    return f"diffusion ({', '.join(parts)})"


def _run(a):
    import time
    from pathlib import Path

    import numpy as np

    from ..diffusion.zoo import resolve_checkpoint
    from ..imu import synthesize_imu
    from ..viz import plot_imu, plot_motion

    t0 = time.time()
    from ..imu.profiles import get_noise_model

    try:
        noise = get_noise_model(a.noise)
    except ValueError as e:
        raise ValueError(f"--noise: {e}") from None
    prompts = a.prompts or DEFAULT_PROMPTS
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    mode = "retrieval"
    if not a.retrieval:
        try:
            mode = diffusion_label(resolve_checkpoint(a.checkpoint))
        except FileNotFoundError:
            pass
    if mode.startswith("diffusion"):
        from .sample import generate_motions

        res = [(pr, m, "generated", float("nan")) for pr, _, m in
               generate_motions(a.checkpoint, prompts, 1, a.seconds, seed=a.seed)]
    else:
        res = retrieve(prompts)
    lines = ["# imusim demo", "", f"Motion source: **{mode}**" + (
        " — no diffusion checkpoint is shipped yet, so each prompt retrieved the closest mocap clip "
        "(MiniLM caption similarity) and it was retargeted to SMPL22." if mode == "retrieval" else ""), "",
        f"Sensors: {a.sensors} at {a.rate:g} Hz (specific force m/s², angular rate rad/s, sensor frames); "
        f"sensor error model: {noise.name + ' (' + noise.source + ')' if noise is not None else 'none (ideal)'}.", "",
        "| # | prompt | motion | s | wrist |acc| mean ± std (m/s²) | wrist |gyro| max (rad/s) | files |",
        "|---|---|---|---|---|---|---|"]
    for i, (pr, m, what, sim) in enumerate(res):
        r = synthesize_imu(m.local_rot, m.root_pos, m.skeleton, a.sensors, m.fps, rate=a.rate, noise=noise,
                           seed=a.seed + i)
        stem = f"{i:02d}"
        np.savez(out / f"{stem}_imu.npz", acc=r.acc.float().numpy(), gyro=r.gyro.float().numpy(), rate=r.rate,
                 sensor_names=np.array(r.sensor_names), prompt=pr)
        m.save_npz(out / f"{stem}_motion.npz")
        plot_motion(m, out / f"{stem}_motion.png", title=pr)
        plot_imu(r.acc.numpy(), r.gyro.numpy(), r.rate, r.sensor_names, out / f"{stem}_imu.png", title=pr)
        an = r.acc[:, 0].norm(dim=-1)
        lines.append(f"| {i} | {pr} | {what}" + (f" (sim {sim:.2f})" if sim == sim else "") +
                     f" | {m.duration:.1f} | {an.mean():.1f} ± {an.std():.1f} | {r.gyro[:, 0].norm(dim=-1).max():.1f} | "
                     f"[motion]({stem}_motion.png), [imu]({stem}_imu.png) |")
    if not a.no_har:
        lines += har_stage(a, out, mode)
    lines += ["", f"Done in {time.time() - t0:.1f} s.", ""]
    (out / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"report: {out / 'report.md'}\nplots:  {out}/*_motion.png, {out}/*_imu.png")
    if not a.no_har:
        print(f"HAR:    {out / 'har' / 'report.md'} (tsne.png, confusion.png, per_class_f1.png)")
    return 0


def har_stage(a, out, mode):
    """Generate labelled windows for BasicMotions' classes, train on them, test on the real recordings
    (library calls: :func:`imusim.generate.generate`, :func:`imusim.har.evaluate`)."""
    import shutil

    from ..generate import GenerateConfig, generate
    from ..har import evaluate, load_basicmotions, write_report
    from ..har.evaluate import default_bound_cache
    from ..har.synthetic import from_store
    from .evaluate import DEFAULT_BASICMOTIONS_MAP

    store, rep = out / "har_synthetic", out / "har"
    if store.exists():
        shutil.rmtree(store)
    cfg = GenerateConfig(out=store, activities=_basicmotions_activities(out), per_activity=a.per_activity,
                         sensors="wrist_l,thigh_r", rate=50.0, seconds=(6.0, 10.0), seed=a.seed, noise=a.noise)
    if mode.startswith("diffusion"):
        cfg.checkpoint, cfg.steps = a.checkpoint, a.har_steps
        src = f"the `{a.checkpoint}` checkpoint ({a.har_steps} DDIM steps)"
    else:
        from ..data.dataset import default_data_root
        cfg.from_mocap = default_data_root()
        src = "retargeted mocap (no checkpoint)"
    generate(cfg)
    real = load_basicmotions()
    ev = evaluate(real, {"synthetic": [from_store(store, real.placement, "synthetic")]}, repeats=a.repeats,
                  label_map=DEFAULT_BASICMOTIONS_MAP, cnn_epochs=30, bound_cache=default_bound_cache())
    write_report(ev, rep)
    lines = ["", "## HAR: trained on synthetic windows only, tested on real BasicMotions (wrist)", "",
             f"{a.per_activity} motions per activity from {src}, left wrist at 50 Hz → 2.56 s windows, "
             f"harmonised to BasicMotions (10 Hz). Full report: [har/report.md](har/report.md).", "",
             "| training data | classifier | macro-F1 | accuracy |", "|---|---|---|---|"]
    for s in ev.get("summary", []):
        lines.append(f"| {s['synthetic']} | {s['classifier']} | {s['macro_f1']:.3f} ± {s['macro_f1_std']:.3f} | "
                     f"{s['accuracy']:.3f} |")
    return lines


def _basicmotions_activities(out):
    """The default activities restricted to BasicMotions' four classes (also written to OUT/har_activities.yaml,
    the record of what was generated)."""
    import yaml

    from ..generate.plan import load_activities

    acts = {k: v for k, v in load_activities(None).items() if k in ("standing", "walking", "running", "badminton")}
    (out / "har_activities.yaml").write_text(yaml.safe_dump(acts))
    return acts
