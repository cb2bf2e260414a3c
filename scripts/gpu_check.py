"""One-shot GPU check (run by scripts/gpu_check.sh): build with CUDA, run every cuda/triton test, run the GPU
benchmarks side by side (imusim backends vs eager PyTorch and torch.compile), write one JSON and one
markdown table. Made for a session that is lent a GPU: one command, about 9 minutes on an H100/H200 (cold
caches; the benchmarks first, the tests take what is left).

    bash scripts/gpu_check.sh                 # everything, results in out/gpu_check/
    bash scripts/gpu_check.sh --dry-run       # print the plan and check that every command parses (CPU ok)
    bash scripts/gpu_check.sh --skip build    # e.g. when the CUDA module is already built

Each step has its own time limit; a failing step is recorded (exit status, log tail) and the next step
runs, so one broken piece does not hide the others. Nothing is downloaded: the machine needs a Python
with a CUDA build of torch and triton already installed (``PYTHON=...`` to choose it). Afterwards commit
out/gpu_check/gpu_check.{json,md} and the figures into benchmarks/RESULTS.md (command, machine, date).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = ["tests/triton", "tests/ops", "tests/imu/test_imu.py", "tests/imu/test_render.py",
              "tests/diffusion/test_device_residency.py"]
# the targets (benchmarks/RESULTS.md reports the measured figures against them)
TARGETS = {
    "acc_loss_fwd_bwd_bw_fraction": 0.80,     # L_acc fwd+bwd [1024,196,22,3] fp32: ≥ 80 % of copy bandwidth
    "fk_imu_fwd_Mframes_s": 50.0,             # FK+IMU forward, 22 joints, 2 sensors
    "render_windows_s": 1_000_000,            # render_imu, 2.56 s windows, 2 sensors, 50 Hz, BMI160
    "render_kernel_bmi160_windows_s": 1_000_000,  # the same, render_imu alone (imusim bench render)
    "end_to_end_windows_s": 20_000,           # text → windows, 10 DDIM steps
}


def plan(out: Path, py: str, cuda_arch: str, text_embeddings: str = "") -> list:
    """(name, argv, env overrides, timeout s, json outputs) of every step. ``text_embeddings``: run the end-to-end
    step through scripts/cached_text.py with that file of stored MiniLM embeddings (for a machine without the
    encoder's weights)."""
    o = str(out)
    im = [py, "-m", "imusim"]
    e2e = [py, str(ROOT / "scripts" / "cached_text.py"), text_embeddings] if text_embeddings else im
    return [
        ("env", [py, "-c", "import json, torch, triton; print(json.dumps({'torch': torch.__version__, 'cuda': "
                 "torch.version.cuda, 'available': torch.cuda.is_available(), 'device': torch.cuda.get_device_name(0) "
                 "if torch.cuda.is_available() else None, 'triton': triton.__version__}))"], {}, 30, []),
        ("build", [py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", "."],
         {"IMUSIM_CUDA": "ON", "CMAKE_ARGS": f"-DCMAKE_CUDA_ARCHITECTURES={cuda_arch}"}, 150, []),
        # the CUDA kernels' tests first (seconds; no Triton compile): the fused L_acc path is new on the device
        ("tests-cuda", [py, "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", *TEST_FILES[1:], "-k",
                        "cuda and not triton"], {}, 90, []),
        # where L_acc's time goes: the kernels alone, the eager call (fused one-pass and two-kernel), a CUDA graph of
        # the eager call, torch.compile; JSON written after every shape
        ("probe-acc-loss", [py, str(ROOT / "benchmarks" / "gpu_acc_loss_probe.py"), "--sizes", "1024,8192",
                            "--compile", "--json", f"{o}/acc_probe.json"], {}, 120, ["acc_probe.json"]),
        # torch.compile left out: on a cold cache it took the whole step's 90 s in the second H200 run
        ("bench-fk-imu", [*im, "bench", "fk-imu", "--device", "cuda", "--frames", "1048576", "--joints", "22",
                          "--sensors", "2", "--ops", "fk,fk+imu", "--repeats", "10", "--skip-providers", "compile",
                          "--json", f"{o}/fk_imu.json"], {}, 90, ["fk_imu.json"]),
        # the whole IMU stage; on: the full BMI160 profile (every term, on the Triton renderer), bmi160-legacy: the
        # first model's terms (the earlier rows of benchmarks/RESULTS.md)
        ("bench-generate", [*im, "bench", "generate", "--device", "cuda", "--motions", "16384", "--batch", "4096",
                            "--fps", "20,50", "--noise", "bmi160-legacy,on", "--repeats", "2", "--json",
                            f"{o}/generate.json"], {},
         120, ["generate.json"]),
        # render_imu alone: ideal vs the full BMI160 profile, Triton rows per program 32 and 64, the CPU kernel on
        # the host side by side
        ("bench-render", [*im, "bench", "render", "--device", "cuda", "--motions", "16384", "--batch", "4096",
                          "--fps", "20", "--noise", "off,on", "--block", "32,64", "--repeats", "3", "--json",
                          f"{o}/render.json"], {}, 120, ["render.json"]),
        # 8192: 424 MB per input, large enough that per-call overhead (Python, autograd, launches) no longer hides
        # the kernels' traffic (the first H200 run measured only 1024: 7-12 % of copy bandwidth for every provider)
        ("bench-acc-loss", [*im, "bench", "acc-loss", "--device", "cuda", "--sizes", "1024,8192", "--layouts", "btj3,mdm",
                            "--no-memory", "--repeats", "10", "--json", f"{o}/acc_loss.json"], {}, 75,
         ["acc_loss.json"]),
        ("bench-end-to-end", [*e2e, "bench", "generate", "--device", "cuda", "--motions", "1024", "--batch", "1024",
                              "--fps", "20", "--noise", "on", "--repeats", "1", "--checkpoint", "refined",
                              "--e2e-motions", "1024", "--e2e-batch", "512", "--e2e-steps", "10", "--e2e-variants",
                              "1,4", "--e2e-precision", "fp32,bf16", "--json", f"{o}/end_to_end.json"], {}, 120,
         ["end_to_end.json", "end_to_end_e2e.json"]),
        # last, with what is left: a fresh machine compiles every Triton specialisation the tests use (the render
        # kernel with the full error model takes the longest); -v, so that a run cut short still names each result
        ("tests", [py, "-m", "pytest", "-v", "--tb=short", "-p", "no:cacheprovider", "--junitxml", f"{o}/tests.xml",
                   *TEST_FILES, "-k", "cuda or triton"], {}, 240, []),
    ]


def _check_parses(argv: list) -> str:
    """'' when an ``imusim``/pytest command line parses here (dry run), else the error."""
    if argv[1:3] == ["-m", "imusim"] or argv[1].endswith("cached_text.py"):
        from imusim.cli import build_parser
        if argv[1].endswith("cached_text.py") and not Path(argv[2]).is_file():
            return f"--text-embeddings: no file {argv[2]} (python scripts/cached_text.py --write FILE)"
        try:
            build_parser().parse_args(argv[3:])
        except SystemExit as e:
            return f"imusim arguments do not parse (exit {e.code})"
    if argv[1:3] == ["-m", "pytest"]:
        missing = [f for f in TEST_FILES if not (ROOT / f).exists()]
        if missing:
            return f"missing test paths {missing}"
    return ""


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def summarise(out: Path, results: list) -> dict:
    """One JSON of every step (status, seconds, log tail) and every benchmark's rows, and the headline
    figures against the targets."""
    bench = {}
    for _, _, _, _, files in plan(out, "python", "90"):
        for f in files:
            p = out / f
            if p.exists():
                bench[f.replace(".json", "")] = json.loads(p.read_text())
    head = {}
    acc = bench.get("acc_loss", {}).get("rows", [])
    r = [x for x in acc if str(x.get("provider", "")).startswith("imusim") and x.get("shape") == "1024x196x22x3"
         and "bwd" in str(x.get("mode"))]
    if r:
        best = max(r, key=lambda x: float(str(x.get("bw_share", "0")).rstrip("%") or 0))
        head["acc_loss_fwd_bwd_bw_fraction"] = round(float(str(best["bw_share"]).rstrip("%")) / 100, 3)
        head["acc_loss_fwd_bwd_provider"] = best["provider"]
        head["acc_loss_fwd_bwd_speedup_vs_compile"] = best.get("speedup_vs_compile")
    pr = bench.get("acc_probe", {}).get("rows", [])
    for shape in ("1024x196x22x3", "8192x196x22x3"):
        for call in ("eager_fused", "graph_fused", "k_fused", "compile"):
            r = [x for x in pr if x.get("shape") == shape and x.get("call") == call]
            if r:
                head[f"acc_probe_{shape.split('x')[0]}_{call}_bw_fraction"] = r[0]["bw_share"]
    fk = bench.get("fk_imu", {}).get("rows", [])
    r = [x for x in fk if x.get("op") == "fk+imu" and x.get("mode") == "fwd" and str(x.get("provider")).startswith("imusim")]
    if r:
        head["fk_imu_fwd_Mframes_s"] = max(x["Mframes/s"] for x in r)
    g = bench.get("generate", {}).get("rows", [])
    if g:
        head["render_windows_s"] = max(x.get("render_only_windows/s", 0) for x in g)
        head["stage_windows_s"] = max(x.get("windows/s", 0) for x in g)
    rr = [x for x in bench.get("render", {}).get("rows", []) if x.get("backend") == "triton" and x.get("vs_off") != ""
          and "BMI160" in str(x.get("noise"))]
    if rr:
        best = max(rr, key=lambda x: x.get("windows/s", 0))
        head["render_kernel_bmi160_windows_s"] = best["windows/s"]
        head["render_kernel_bmi160_block"] = best.get("block")
        head["render_kernel_bmi160_vs_ideal"] = best.get("vs_off")
        head["render_kernel_bmi160_vs_cpp"] = best.get("vs_cpp")
    e = bench.get("end_to_end_e2e", {}).get("rows", [])
    if e:
        head["end_to_end_windows_s"] = max(x.get("windows/s", 0) for x in e)
    return {"date": _dt.datetime.now().isoformat(timespec="seconds"), "host": platform.node(),
            "steps": results, "headline": head, "targets": TARGETS, "bench": bench}


def markdown(rep: dict) -> str:
    lines = [f"# GPU check {rep['date']} on {rep['host']}", "", "| step | status | seconds |", "|---|---|---|"]
    for s in rep["steps"]:
        lines.append(f"| {s['name']} | {s['status']} | {s['seconds']} |")
    lines += ["", "| figure | measured | target |", "|---|---|---|"]
    for k, v in rep["headline"].items():
        lines.append(f"| {k} | {v} | {rep['targets'].get(k, '')} |")
    for name, b in rep["bench"].items():
        rows = b.get("rows", [])
        if not rows:
            continue
        cols = list(rows[0])
        lines += ["", f"## {name}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="print the plan and check the commands parse; run nothing")
    ap.add_argument("--out", default=str(ROOT / "out" / "gpu_check"), help="directory for logs, JSON and markdown")
    ap.add_argument("--skip", default="", help="comma-separated steps to skip (env, build, tests, bench-...)")
    ap.add_argument("--cuda-arch", default="90", help="CMAKE_CUDA_ARCHITECTURES for the build (90: H100/H200)")
    ap.add_argument("--python", default=sys.executable, help="interpreter with CUDA torch and triton")
    ap.add_argument("--deadline", type=float, default=540.0,
                    help="seconds for the whole run: each step gets at most what is left, later steps are recorded "
                         "as not run (default 540: 9 minutes; the first H200 run spent 90 s on cold torch.compile and "
                         "Triton caches in one benchmark, so the benchmarks come first and the tests take what is left)")
    ap.add_argument("--text-embeddings", default="", metavar="FILE",
                    help="the end-to-end step's prompts as stored MiniLM embeddings (scripts/cached_text.py --write "
                         "FILE), for a machine that does not hold the encoder's weights")
    a = ap.parse_args(argv)
    out = Path(a.out)
    steps = plan(out, a.python, a.cuda_arch, a.text_embeddings)
    skip = {s for s in a.skip.split(",") if s}
    unknown = skip - {s[0] for s in steps}
    if unknown:
        print(f"gpu_check: --skip: unknown steps {sorted(unknown)}; steps: {[s[0] for s in steps]}", file=sys.stderr)
        return 2
    budget = sum(s[3] for s in steps if s[0] not in skip)
    print(f"gpu_check: {len(steps) - len(skip)} steps, limits add up to {budget} s, the whole run stops at "
          f"{a.deadline:.0f} s ({'dry run' if a.dry_run else 'running'}), output in {out}")
    if a.dry_run:
        bad = 0
        for name, argv_, env, tmo, files in steps:
            err = _check_parses(argv_)
            bad += bool(err)
            envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            print(f"  [{name}]{' (skipped)' if name in skip else ''} limit {tmo} s -> {', '.join(files) or '-'}\n"
                  f"      {envs + ' ' if envs else ''}{shlex.join(argv_)}" + (f"\n      ERROR: {err}" if err else ""))
        print("  [report] gpu_check.json + gpu_check.md (headline figures vs targets: "
              + ", ".join(f"{k} {v}" for k, v in TARGETS.items()) + ")")
        return 1 if bad else 0
    out.mkdir(parents=True, exist_ok=True)
    results = []
    t_start = time.perf_counter()
    for name, argv_, env, tmo, files in steps:
        if name in skip:
            results.append({"name": name, "status": "skipped", "seconds": 0})
            continue
        left = a.deadline - (time.perf_counter() - t_start)
        if left < 10:
            results.append({"name": name, "status": "not run (deadline)", "seconds": 0})
            continue
        tmo = int(min(tmo, left))
        log = out / f"{name}.log"
        t0 = time.perf_counter()
        print(f"gpu_check: [{name}] {shlex.join(argv_)}", flush=True)
        with open(log, "w") as f:
            try:
                rc = subprocess.run(argv_, cwd=ROOT, env={**os.environ, **env}, stdout=f, stderr=subprocess.STDOUT,
                                    timeout=tmo).returncode
                status = "ok" if rc == 0 else f"failed (exit {rc})"
            except subprocess.TimeoutExpired:
                status = f"timed out after {tmo} s"
        dt = round(time.perf_counter() - t0, 1)
        results.append({"name": name, "status": status, "seconds": dt, "log_tail": _tail(log)})
        print(f"gpu_check: [{name}] {status} in {dt} s (log {log})", flush=True)
        if name == "env" and status == "ok" and '"available": false' in _tail(log):
            print("gpu_check: torch sees no CUDA device: stopping (use --dry-run on a CPU machine)", file=sys.stderr)
            break
    rep = summarise(out, results)
    (out / "gpu_check.json").write_text(json.dumps(rep, indent=1))
    (out / "gpu_check.md").write_text(markdown(rep))
    print(markdown(rep))
    return 0 if all(r["status"] in ("ok", "skipped") for r in results) else 1  # noqa: E501


if __name__ == "__main__":
    sys.exit(main())
