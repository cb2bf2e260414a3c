"""scripts/gpu_check.sh --dry-run: the plan prints on a CPU machine, every imusim command in it parses, every
test path exists, and the report is assembled from benchmark JSON of the expected shape."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dry_run_prints_a_plan_whose_commands_parse(tmp_path):
    r = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh"), "--dry-run", "--out", str(tmp_path),
                        "--python", sys.executable], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for step in ("[env]", "[build]", "[tests]", "[bench-acc-loss]", "[bench-fk-imu]", "[bench-generate]",
                 "[bench-render]", "[bench-end-to-end]", "[report]"):
        assert step in r.stdout, step
    assert "ERROR" not in r.stdout
    assert "IMUSIM_CUDA=ON" in r.stdout and "--device cuda" in r.stdout
    assert not any(tmp_path.iterdir())  # a dry run writes nothing


def test_report_from_benchmark_rows(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gpu_check
    finally:
        sys.path.pop(0)
    (tmp_path / "fk_imu.json").write_text(json.dumps({"machine": "m", "rows": [
        {"op": "fk+imu", "mode": "fwd", "provider": "imusim-triton", "Mframes/s": 71.5},
        {"op": "fk+imu", "mode": "fwd", "provider": "compile", "Mframes/s": 20.0}]}))
    (tmp_path / "acc_loss.json").write_text(json.dumps({"machine": "m", "rows": [
        {"shape": "1024x196x22x3", "mode": "fwd+bwd", "provider": "imusim-triton", "bw_share": "83%",
         "speedup_vs_compile": 1.4}]}))
    (tmp_path / "render.json").write_text(json.dumps({"machine": "m", "rows": [
        {"backend": "triton", "noise": "off", "block": 64, "windows/s": 3e6, "vs_off": 1.0, "vs_cpp": 20.0},
        {"backend": "triton", "noise": "BMI160", "block": 32, "windows/s": 1.2e6, "vs_off": 0.4, "vs_cpp": 15.0},
        {"backend": "triton", "noise": "BMI160", "block": 64, "windows/s": 1.5e6, "vs_off": 0.5, "vs_cpp": 18.0},
        {"backend": "cpp", "noise": "BMI160", "block": "", "windows/s": 8e4, "vs_off": 0.9, "vs_cpp": ""}]}))
    rep = gpu_check.summarise(tmp_path, [{"name": "tests", "status": "ok", "seconds": 1.0}])
    assert rep["headline"]["render_kernel_bmi160_windows_s"] == 1.5e6
    assert rep["headline"]["render_kernel_bmi160_block"] == 64 and rep["headline"]["render_kernel_bmi160_vs_cpp"] == 18.0
    assert rep["headline"]["fk_imu_fwd_Mframes_s"] == 71.5
    assert rep["headline"]["acc_loss_fwd_bwd_bw_fraction"] == 0.83
    md = gpu_check.markdown(rep)
    assert "| fk_imu_fwd_Mframes_s | 71.5 | 50.0 |" in md and "## fk_imu" in md


def test_unknown_skip_is_refused(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--dry-run", "--skip", "nope",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown steps ['nope']" in r.stderr


def test_text_embeddings_route_the_end_to_end_step_through_stored_embeddings(tmp_path):
    emb = tmp_path / "emb.pt"
    import torch
    torch.save({"encoder": "minilm", "prompts": {"a person walks forward.": torch.ones(384)}}, emb)
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--dry-run", "--python", sys.executable,
                        "--out", str(tmp_path / "o"), "--text-embeddings", str(emb)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    line = r.stdout.split("[bench-end-to-end]")[1].splitlines()[1]
    assert f"cached_text.py {emb} bench generate" in line
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--dry-run", "--python", sys.executable,
                        "--out", str(tmp_path / "o"), "--text-embeddings", str(tmp_path / "none.pt")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "--text-embeddings: no file" in r.stdout


def test_cached_text_replaces_the_encoder_and_refuses_unknown_prompts(tmp_path):
    import torch
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import cached_text
    finally:
        sys.path.pop(0)
    import imusim.diffusion.text as T
    saved = dict(T.ENCODERS)
    emb = tmp_path / "emb.pt"
    e = torch.arange(384, dtype=torch.float32)
    torch.save({"encoder": "minilm", "prompts": {"a person waves.": e}}, emb)
    try:
        cached_text.install(str(emb))
        enc = T.get_text_encoder("minilm")
        assert torch.equal(enc.encode(["a person waves.", "a person waves."]), torch.stack([e, e]))
        import pytest
        with pytest.raises(KeyError, match="prompts not stored"):
            enc.encode(["a person runs."])
    finally:
        T.ENCODERS.clear()
        T.ENCODERS.update(saved)
