import subprocess
import sys

from imusim.cli import build_parser, main


def test_help_lists_commands():
    text = build_parser().format_help()
    for cmd in ("demo", "synth", "bench", "data", "train", "finetune", "sample", "plot"):
        assert cmd in text


def test_demo_runs_end_to_end(tmp_path, shared_data):
    assert main(["demo", "a person walks forward.", "a person jumps up.", "--out", str(tmp_path), "--retrieval",
                 "--per-activity", "3", "--repeats", "1"]) == 0
    rep = (tmp_path / "report.md").read_text()
    assert "retrieval" in rep and "walk" in rep and "jump" in rep
    # HAR stage: synthetic (mocap here) → real BasicMotions, with its own report and plots
    assert "## HAR" in rep and "| synthetic | rf |" in rep
    for f in ("report.md", "results.json", "confusion.png", "tsne.png"):
        assert (tmp_path / "har" / f).stat().st_size > 100
    for f in ("00_imu.png", "00_motion.png", "01_imu.npz", "01_motion.npz"):
        assert (tmp_path / f).stat().st_size > 1000


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "imusim", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "synth" in out.stdout
