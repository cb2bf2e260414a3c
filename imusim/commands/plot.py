"""``imusim plot MOTION --out motion.png [--gif]``: look at what a motion file contains."""


def register(sub):
    p = sub.add_parser("plot", help="draw a motion file as a stick figure over time (PNG, optional GIF)",
                       description="Draw a motion (BVH, .bvh.gz, DeepMimic .txt, AMASS-style or imusim .npz, "
                                   "HumanML3D new_joints .npy) as stick figures at evenly spaced instants plus the "
                                   "root path seen from above. --retarget first maps it onto the SMPL22 body.")
    p.add_argument("motion", help="motion file")
    p.add_argument("--out", required=True, help="PNG path")
    p.add_argument("--gif", action="store_true", help="also write an animated GIF next to the PNG")
    p.add_argument("--frames", type=int, default=8, help="number of instants drawn")
    p.add_argument("--retarget", action="store_true", help="retarget to SMPL22 (20 fps) before drawing")
    p.set_defaults(func=_run)


def _run(a):
    from ..data import load_motion
    from ..viz import plot_motion

    m = load_motion(a.motion)
    if a.retarget:
        from ..data.retarget import retarget_to_smpl22
        m = retarget_to_smpl22(m)
    out = plot_motion(m, a.out, n_frames=a.frames, gif=a.gif)
    print(f"wrote {out}" + (f" and {out.with_suffix('.gif')}" if a.gif else ""))
    return 0
