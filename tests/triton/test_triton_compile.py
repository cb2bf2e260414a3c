"""Every Triton kernel the GPU defaults use compiles for sm_90 (H100/H200) through Triton's full pipeline
(TTIR → TTGIR → LLVM → PTX → cubin with the bundled ptxas), without a GPU: the interpreter tests check what
the kernels compute, this checks that the compiler accepts them (types, tuple control flow, constexprs).
The full matrix of specialisations (float32/float64, flags, sm_80 and sm_90) is
``python -m imusim.triton.compile_check --arch 90 80`` (benchmarks/triton_compile.json)."""

import json
import os
import subprocess
import sys

import pytest

from imusim import _backend

pytestmark = pytest.mark.skipif(not _backend._triton_ok(), reason="triton not installed")

# the float32 specialisations of the GPU default paths (one per kernel; the renderer with the default BMI160
# profile: every term it has, low-pass included)
DEFAULT_PATHS = ["fk.fwd[fp32,aa=False]", "fk.bwd[fp32,aa=False]", "imu.fwd[fp32,aa=False,ori=True]",
                 "imu.poses[fp32,aa=False]", "imu.bwd[fp32,aa=True,gori=False]", "render.poses[fp32,aa=False]",
                 "render.rows[fp32,bmi160]"]


def test_default_kernels_compile_for_sm90(tmp_path):
    # min_dot_k=16: Triton <= 3.6 (an H200 machine's) refuses tl.dot with K < 16 in fp32, which 3.9 accepts
    code = ("import json, sys; from imusim.triton import compile_check as c; "
            "names = json.loads(sys.argv[1]); "
            "recs = [r for n in names for r in c.compile_all((90,), only=n, verbose=False, min_dot_k=16) "
            "if r['kernel'] == n]; "
            "json.dump(recs, open(sys.argv[2], 'w'))")
    out = tmp_path / "recs.json"
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    r = subprocess.run([sys.executable, "-c", code, json.dumps(DEFAULT_PATHS), str(out)], env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    recs = json.loads(out.read_text())
    assert sorted(x["kernel"] for x in recs) == sorted(DEFAULT_PATHS)
    assert all(x["arch"] == "sm_90" and x["cubin_bytes"] > 1000 for x in recs)
    # shared memory per program well inside the devices' limits (A100: 163 KiB, H100/H200: 227 KiB); the renderer's
    # block-matrix filters stage their tl.dot operands there (43 KiB for the BMI160 profile)
    assert all(x["shared"] <= 96 * 1024 for x in recs), [(x["kernel"], x["shared"]) for x in recs]
