"""``imusim bench fk-imu``: forward kinematics alone and FK + virtual IMU, providers side by side.

Providers (axis-angle local rotations ``[N, J, 3]`` in, so every provider does the same work):
* ``smplx``: ``smplx.lbs.batch_rodrigues`` + ``batch_rigid_transform`` (the common SMPL pipeline),
  then (FK+IMU) sensor poses, finite differences and rotation into the sensor frame in PyTorch;
* ``compile``: ``torch.compile`` of imusim's naive reference;
* ``imusim-<backend>``: ``imusim.forward_kinematics`` / ``imusim.synthesize_imu``, every backend available
  for ``--device`` (on a GPU: ``triton``, ``cuda`` and ``torch``, the eager reference).
N frames are laid out as N/256 sequences of 256 frames at 50 Hz. fwd+bwd: gradient of the sum of the
outputs with respect to the rotations and the root.
"""

from __future__ import annotations


import torch

from ..constants import gravity_vector

NAME = "fk-imu"
SEQ = 256


def _inputs(N, J, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    aa = 0.4 * torch.randn(N // SEQ, SEQ, J, 3, generator=g, dtype=dtype)
    root = torch.randn(N // SEQ, SEQ, 3, generator=g, dtype=dtype)
    return aa, root


def _skeleton(J):
    from ..kinematics import SMPL22, SMPL24

    return SMPL22 if J == 22 else SMPL24


def _sensors(S):
    return ["wrist_r", "thigh_r", "wrist_l", "thigh_l", "pelvis", "chest"][:S]


def smplx_fk(aa, root, sk):
    from smplx.lbs import batch_rigid_transform, batch_rodrigues

    B, T, J, _ = aa.shape
    R = batch_rodrigues(aa.reshape(-1, 3)).view(B * T, J, 3, 3)
    rest = torch.zeros(J, 3, dtype=aa.dtype)
    for j, p in enumerate(sk.parents):
        rest[j] = sk.offsets[j].to(aa.dtype) if p < 0 else rest[p] + sk.offsets[j].to(aa.dtype)
    rest = rest.to(aa.device)
    posed, rel = batch_rigid_transform(R, rest.expand(B * T, J, 3), torch.tensor(sk.parents), dtype=aa.dtype)
    P = posed - posed[:, :1] + root.reshape(-1, 1, 3)
    return rel[..., :3, :3].view(B, T, J, 3, 3), P.view(B, T, J, 3)


def smplx_imu(aa, root, sk, sensors, fps):
    from ..imu.sensors import sensors_from_names
    from ..reference.imu import imu_from_poses

    G, P = smplx_fk(aa, root, sk)
    sens = sensors_from_names(sensors)
    sj = [sk.index(s.joint) for s in sens]
    srot = torch.stack([s.rotation_tensor(aa.dtype) for s in sens]).to(aa.device)
    soff = torch.stack([s.offset_tensor(aa.dtype) for s in sens]).to(aa.device)
    Gs = G[:, :, sj]
    R = Gs @ srot
    p = P[:, :, sj] + (Gs @ soff[..., None]).squeeze(-1)
    return imu_from_poses(R, p, 1.0 / fps, torch.tensor(gravity_vector("y"), device=aa.device))


def _backends(device, supported):
    import imusim

    return [b for b in imusim.backends(device) if b in supported and not (b == "triton" and device == "cpu")]


def providers(kind, J, S, device="cpu"):
    import imusim
    from ..imu import synthesize_imu
    from ..kinematics.rotations import axis_angle_to_matrix
    from ..reference.fk import forward_kinematics as ref_fk
    from ..reference.imu import synthesize as ref_imu

    import importlib.util
    sk = _skeleton(J)
    sens = _sensors(S)
    out = {}
    has_smplx = importlib.util.find_spec("smplx") is not None  # the reference provider, when installed
    if kind == "fk":
        if has_smplx:
            out["smplx"] = lambda aa, r: smplx_fk(aa, r, sk)
        out["compile"] = torch.compile(lambda aa, r: ref_fk(axis_angle_to_matrix(aa), r, sk.parents,
                                                            sk.offsets.to(aa.dtype).to(aa.device)))
        for be in _backends(device, ("triton", "cuda", "cpp", "torch")):
            out[f"imusim-{be}"] = (lambda b: lambda aa, r: imusim.forward_kinematics(
                aa, r, sk, rot_format="axis_angle", backend=b))(be)
    else:
        if has_smplx:
            out["smplx"] = lambda aa, r: smplx_imu(aa, r, sk, sens, 50.0)
        from ..imu.sensors import sensors_from_names
        so = sensors_from_names(sens)
        sj = [sk.index(s.joint) for s in so]
        soff = torch.stack([s.offset_tensor(torch.float32) for s in so]).to(device)
        srot = torch.stack([s.rotation_tensor(torch.float32) for s in so]).to(device)
        g = torch.tensor(gravity_vector("y"), device=device)
        off = sk.offsets.to(torch.float32).to(device)
        out["compile"] = torch.compile(lambda aa, r: ref_imu(axis_angle_to_matrix(aa), r, sk.parents,
                                                             off.to(aa.dtype), sj, soff, srot, 0.02, g))
        for be in _backends(device, ("triton", "cuda", "cpp", "torch")):
            out[f"imusim-{be}"] = (lambda b: lambda aa, r: synthesize_imu(
                aa, r, sk, sens, 50.0, rot_format="axis_angle", backend=b))(be)
    return out


def _run_once(fn, aa, root, mode):
    if mode == "fwd":
        with torch.no_grad():
            return fn(aa, root)
    a, r = aa.detach().requires_grad_(), root.detach().requires_grad_()
    out = fn(a, r)
    outs = [out.acc, out.gyro] if hasattr(out, "acc") else list(out)[:2]
    loss = sum(o.sum() for o in outs)
    return torch.autograd.grad(loss, [a, r])


def peak_extra(kind: str, provider: str, N: int, J: int, S: int, mode: str, device: str = "cpu") -> int:
    from ._util import measure_peak_extra_cpu

    fn = providers(kind, J, S, device)[provider]
    aa, root = (x.to(device) for x in _inputs(N, J))
    _run_once(fn, aa[:1], root[:1], mode)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        _run_once(fn, aa, root, mode)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base
    return measure_peak_extra_cpu(lambda: (lambda: _run_once(fn, aa, root, mode)))


def bench(frames=(4096, 65536), joints=(22,), sensors=(2,), kinds=("fk", "fk+imu"), modes=("fwd", "fwd+bwd"),
          repeats=5, memory=False, skip_slow_above=300_000, progress=True, device="cpu", skip_providers=()):
    from ._util import peak_in_subprocess, timeit

    rows = []
    jobs = [(k, N, J, S, m) for k in kinds for N in frames for J in joints for S in (sensors if k != "fk" else (0,))
            for m in modes]
    if progress:
        from tqdm.auto import tqdm
        jobs = tqdm(jobs, desc="fk-imu", leave=False)
    for kind, N, J, S, mode in jobs:
        aa, root = (x.to(device) for x in _inputs(N, J))
        provs = providers(kind, J, max(S, 1), device)
        gpu = torch.device(device).type == "cuda"
        base = None
        for name, fn in provs.items():
            if name in skip_providers:
                continue
            if N > skip_slow_above and name in ("smplx", "compile", "imusim-torch") and not gpu:
                continue  # minutes per call and many GB at 1M frames on 2 cores: skipped, said in the table
            t = timeit(lambda: _run_once(fn, aa, root, mode), repeats if (N <= 65536 or gpu) else 2, 1, device)
            if name == "smplx":
                base = t
            row = {"device": device, "op": kind, "frames": N, "J": J, "S": S if kind != "fk" else "-", "mode": mode, "provider": name,
                   "ms": round(t * 1e3, 2), "Mframes/s": round(N / t / 1e6, 2),
                   "speedup_vs_smplx": round(base / t, 2) if base else ""}
            if memory and gpu:
                row["peak_extra_MiB"] = round(peak_extra(kind, name, N, J, max(S, 1), mode, device) / 2 ** 20, 1)
            elif memory:
                row["peak_extra_MiB"] = round(peak_in_subprocess("imusim.bench.fk_imu", "peak_extra", {
                    "kind": kind, "provider": name, "N": N, "J": J, "S": max(S, 1), "mode": mode}) / 2 ** 20, 1)
            rows.append(row)
    return rows


COLS = ["device", "op", "frames", "J", "S", "mode", "provider", "ms", "Mframes/s", "speedup_vs_smplx", "peak_extra_MiB"]


def add_arguments(p):
    p.add_argument("--frames", default="4096,65536,1048576", help="N frames (comma-separated)")
    p.add_argument("--joints", default="22,24")
    p.add_argument("--sensors", default="2,6")
    p.add_argument("--ops", default="fk,fk+imu")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--memory", action="store_true", help="fresh-process peak memory per provider (slow)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda: every GPU backend, torch.compile and smplx "
                                                    "on the device)")
    p.add_argument("--skip-providers", default="", metavar="NAMES",
                   help="comma-separated providers to leave out, e.g. compile (a cold torch.compile cache costs "
                        "about a minute per case on a fresh GPU machine)")
    p.add_argument("--json", help="also write the rows to this JSON file")


def run(args):
    from ._util import report

    torch.set_num_threads(torch.get_num_threads())
    try:
        frames, joints, sensors = (tuple(int(x) for x in v.split(",")) for v in (args.frames, args.joints, args.sensors))
    except ValueError:
        raise ValueError(f"--frames, --joints and --sensors must be comma-separated integers, got {args.frames!r}, "
                         f"{args.joints!r}, {args.sensors!r}") from None
    rows = bench(frames, joints, sensors, tuple(args.ops.split(",")), repeats=args.repeats,
                 memory=args.memory, device=args.device,
                 skip_providers=tuple(x for x in args.skip_providers.split(",") if x))
    report(rows, COLS, args.json)
    return 0
