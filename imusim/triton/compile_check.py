"""Ahead-of-time compilation of every imusim Triton kernel for an NVIDIA target, without a GPU.

The interpreter (``TRITON_INTERPRET=1``) checks what the kernels compute but is far more permissive
than the compiler (types, tuple control flow, constexpr rules). This module compiles each kernel, in
each specialisation the launchers use (float32/float64, constexpr flags), through Triton's full
pipeline down to a cubin for ``sm_90`` (H100/H200) and ``sm_80`` (A100), so a session with a GPU
starts from kernels that are known to build. Run it without ``TRITON_INTERPRET``::

    python -m imusim.triton.compile_check [--arch 90 80] [--json out.json]

It prints one line per kernel: PTX size, cubin size, shared memory and the compile time; ``--stats`` adds the
registers per thread and spill bytes (Triton's bundled ``ptxas -v``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _specs():
    """(name, kernel, signature, constexprs) for every kernel and specialisation the launchers use."""
    from . import acc_loss, fk, imu, render

    out = []
    for fp in ("fp32", "fp64"):
        p = f"*{fp}"
        for aa in (False, True):
            out.append((f"fk.fwd[{fp},aa={aa}]", fk._fk_fwd_kernel,
                        dict(L_ptr=p, root_ptr=p, par_ptr="*i32", off_ptr=p, G_ptr=p, P_ptr=p, N="i32", J="i32"),
                        dict(ROT_AA=aa, BLOCK=fk.BLOCK)))
            out.append((f"fk.bwd[{fp},aa={aa}]", fk._fk_bwd_kernel,
                        dict(L_ptr=p, G_ptr=p, aG_ptr=p, aP_ptr=p, par_ptr="*i32", off_ptr=p, gL_ptr=p, groot_ptr=p,
                             N="i32", J="i32"), dict(ROT_AA=aa, BLOCK=fk.BLOCK)))
            for ori in (False, True):
                out.append((f"imu.fwd[{fp},aa={aa},ori={ori}]", imu._imu_fwd_kernel,
                            dict(L_ptr=p, root_ptr=p, chain_ptr="*i32", depth_ptr="*i32", D="i32", off_ptr=p,
                                 soff_ptr=p, srot_ptr=p, prm_ptr="*fp64", acc_ptr=p, gyro_ptr=p, ori_ptr=p, T="i32",
                                 J="i32", S="i32"), dict(ROT_AA=aa, HAS_ORI=ori, BLOCK=imu.BLOCK)))
            out.append((f"imu.poses[{fp},aa={aa}]", imu._poses_kernel,
                        dict(L_ptr=p, root_ptr=p, chain_ptr="*i32", depth_ptr="*i32", D="i32", off_ptr=p, soff_ptr=p,
                             srot_ptr=p, pose_ptr=p, N="i32", J="i32", S="i32"), dict(ROT_AA=aa, BLOCK=imu.BLOCK)))
            for gori in (False, True):
                out.append((f"imu.bwd[{fp},aa={aa},gori={gori}]", imu._imu_bwd_kernel,
                            dict(L_ptr=p, root_ptr=p, par_ptr="*i32", chain_ptr="*i32", depth_ptr="*i32", D="i32",
                                 off_ptr=p, soff_ptr=p, srot_ptr=p, prm_ptr="*fp64", gacc_ptr=p, ggyro_ptr=p,
                                 gori_ptr=p, G_ptr=p, aG_ptr=p, aP_ptr=p, gL_ptr=p, groot_ptr=p, T="i32", K="i32",
                                 S="i32"), dict(ROT_AA=aa, HAS_GORI=gori, BLOCK=imu.BLOCK)))
            out.append((f"render.poses[{fp},aa={aa}]", render._render_poses_kernel,
                        dict(L_ptr=p, root_ptr=p, blk_ptr="*i32", item_ptr="*i64", jnt_ptr="*i32", mnt_ptr=p,
                             chain_ptr="*i32", depth_ptr="*i32", D="i32", off_ptr=p, pose_ptr=p, J="i32", S="i32"),
                        dict(ROT_AA=aa, BLOCK=render.BLOCK_POSE)))
        rows_sig = dict(pose_ptr=p, item_ptr="*i64", seed_ptr="*i64", step_ptr="*fp64", prm_ptr="*fp64", ax_ptr="*fp64",
                        mat_ptr=p, magf_ptr="*fp64", dti_ptr="*fp64", dtr_ptr="*fp64", out_ptr=p, ori_ptr=p,
                        err_ptr="*fp64", S="i32", KFL="i32", MS="i32", FLAGS="i32")
        for name, flags in render_variants():
            out.append((f"render.rows[{fp},{name}]", render._render_kernel, rows_sig,
                        dict(BLOCK=render.BLOCK_ROWS, NCP=16 if flags["MAG"] else 8, **flags)))
        for mask in (False, True):
            out.append((f"acc_loss.fwd[{fp},mask={mask}]", acc_loss._fwd_kernel,
                        dict(p_ptr=p, q_ptr=p, m_ptr="*i1", partial_ptr=p, T="i32", F="i32", sp_b="i32", sp_t="i32",
                             sp_f="i32", sq_b="i32", sq_t="i32", sq_f="i32", n_blocks="i32"),
                        dict(HAS_MASK=mask, TIME_FAST=False, BLOCK=1024)))
    return out


def render_variants():
    """(name, constexpr flags) of the render kernel: ideal sensors; an error model without recursive filters
    (the legacy terms, flicker, cross-axis, temperature: run-time switches); the BMI160 profile (low-pass on acc
    and gyro), with the magnetometer; every recursive term (low-pass and Gauss–Markov) with the magnetometer."""
    base = dict(HAS_ORI=False, NOISE=True, MAG=False, LP=False, GM=False)
    return [("ideal", {**base, "NOISE": False}), ("ideal,ori,mag", {**base, "NOISE": False, "HAS_ORI": True, "MAG": True}),
            ("noise", base), ("bmi160", {**base, "LP": True}), ("bmi160,mag", {**base, "LP": True, "MAG": True}),
            ("all,mag", {**base, "LP": True, "GM": True, "MAG": True})]


def ptxas_stats(ptx: str, arch: int) -> dict:
    """Registers per thread and spill bytes of a kernel, from Triton's bundled ``ptxas -v`` on its PTX (what a
    device would report as ``n_regs``/``n_spills``)."""
    import re
    import subprocess
    import tempfile

    from triton.backends.nvidia.compiler import get_ptxas

    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "k.ptx")
        with open(src, "w") as f:
            f.write(ptx)
        gpu = f"sm_{arch}a" if arch >= 90 else f"sm_{arch}"
        r = subprocess.run([get_ptxas(arch).path, "-v", "--gpu-name", gpu, src, "-o", os.path.join(d, "k.o")],
                           capture_output=True, text=True)
    txt = r.stdout + r.stderr
    regs = re.search(r"Used (\d+) registers", txt)
    spill = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", txt)
    return {"registers": int(regs.group(1)) if regs else None,
            "spill_store_bytes": int(spill.group(1)) if spill else None,
            "spill_load_bytes": int(spill.group(2)) if spill else None}


def _require_dot_k(k: int) -> None:
    """Make the NVIDIA backend refuse ``tl.dot`` with an inner dimension below ``k`` as Triton <= 3.6 does for
    fp32 (16; Triton 3.9 accepts 8). Seen on an H200 with Triton 3.6: the renderer's filter state (8 rows) failed
    there while it compiled here; this lets the CPU machine check against the older rule. The first call also
    points Triton at a fresh cache: a kernel compiled earlier under the looser rule would be reused unchecked."""
    import tempfile

    import triton
    import triton.backends.nvidia.compiler as nv
    if getattr(nv, "_imusim_min_k", None) == k:
        return
    if not hasattr(nv, "_imusim_min_k"):
        triton.knobs.cache.dir = tempfile.mkdtemp(prefix="imusim-compile-check-")
    orig = getattr(nv, "_imusim_orig_min_dot_size", nv.min_dot_size)

    def min_dot_size(target):
        check = orig(target)
        return lambda a, b: (lambda m, n, kk: (m, n, max(kk, k)))(*check(a, b))

    nv._imusim_orig_min_dot_size, nv._imusim_min_k, nv.min_dot_size = orig, k, min_dot_size


def compile_all(archs=(90,), only: str = "", verbose: bool = True, stats: bool = False, min_dot_k: int = 0) -> list:
    """Compile every spec for every arch; returns one record per (kernel, arch). Raises on the first error.
    ``stats``: also registers and spills per kernel (one more ``ptxas`` run each). ``min_dot_k``: refuse
    ``tl.dot`` with an inner dimension below it (16: the rule of Triton <= 3.6 for fp32)."""
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        raise RuntimeError("compile_check: unset TRITON_INTERPRET (the interpreter does not compile)")
    import triton
    if min_dot_k:
        _require_dot_k(min_dot_k)
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from . import render

    opts = {name: {"num_warps": render.rows_warps(render.BLOCK_ROWS)} for name, *_ in _specs()
            if name.startswith("render.rows")}  # the launch's num_warps
    recs = []
    for name, kern, sig, const in _specs():
        if only and only not in name:
            continue
        fn = getattr(kern, "fn", kern)
        names = [a for a in kern.arg_names]
        full = {a: (sig[a] if a in sig else "constexpr") for a in names}
        missing = [a for a in names if a not in sig and a not in const]
        if missing:
            raise RuntimeError(f"compile_check: {name}: no type for {missing}")
        for arch in archs:
            t0 = time.perf_counter()
            src = ASTSource(kern, full, constexprs=dict(const))
            k = triton.compile(src, target=GPUTarget("cuda", int(arch), 32), options=opts.get(name, {}))
            rec = {"kernel": name, "arch": f"sm_{arch}", "seconds": round(time.perf_counter() - t0, 2),
                   "ptx_lines": k.asm["ptx"].count("\n"), "shared": int(getattr(k.metadata, "shared", 0)),
                   "num_warps": int(k.metadata.num_warps), "cubin_bytes": len(k.asm.get("cubin", b""))}
            if stats:
                rec.update(ptxas_stats(k.asm["ptx"], int(arch)))
            recs.append(rec)
            if verbose:
                extra = f"  {rec['registers']} regs, spills {rec['spill_store_bytes']} B" if stats else ""
                print(f"  {name:40s} {rec['arch']}  {rec['seconds']:5.1f} s  ptx {rec['ptx_lines']:6d} lines  "
                      f"cubin {rec['cubin_bytes']:7d} B{extra}", flush=True)
        del fn
    return recs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", type=int, nargs="+", default=[90], help="compute capabilities (90: H100/H200, 80: A100)")
    ap.add_argument("--only", default="", help="compile only kernels whose name contains this")
    ap.add_argument("--json", default=None, help="write the records here")
    ap.add_argument("--stats", action="store_true", help="also registers and spill bytes per kernel (ptxas -v)")
    ap.add_argument("--min-dot-k", type=int, default=16,
                    help="refuse tl.dot with an inner dimension below this (default 16: Triton <= 3.6's fp32 rule, "
                         "so kernels that compile here also compile with the older Triton of a GPU machine; 0: "
                         "this Triton's own rule)")
    a = ap.parse_args(argv)
    recs = compile_all(a.arch, a.only, stats=a.stats, min_dot_k=a.min_dot_k)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(recs, f, indent=1)
    print(f"compiled {len(recs)} kernel specialisations for {', '.join(f'sm_{x}' for x in a.arch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
