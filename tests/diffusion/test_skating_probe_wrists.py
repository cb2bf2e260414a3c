"""scripts/skating_probe.py's wrist decomposition (docs/realism.md §32) against analytic motion, and its checkpoint
spec parser: where a wrist's acceleration comes from must be read right before the probe can blame the root or the
arms."""

import math

import pytest
import torch

from tests.scripts_loader import load_script

FPS = 20.0


def _probe():
    return load_script("skating_probe")


def _body(T=81, acc=(0.0, 0.0, 0.0), omega=0.0, radius=0.0):
    """[T, 22, 3]: every joint carried by a root under constant acceleration ``acc`` (m/s²); the two wrists (20, 21)
    circle the root at ``radius`` (m) and ``omega`` (rad/s) in the sagittal (y, z) plane, in antiphase."""
    t = torch.arange(T, dtype=torch.float64) / FPS
    a = torch.tensor(acc, dtype=torch.float64)
    root = 0.5 * a * t[:, None] ** 2 + torch.tensor([0.0, 0.9, 0.0], dtype=torch.float64)
    offsets = torch.randn(22, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.2
    P = root[:, None, :] + offsets
    P[:, 0] = root
    for j, ph in ((20, 0.0), (21, math.pi)):
        P[:, j] = root + torch.stack([torch.zeros_like(t), radius * torch.cos(omega * t + ph),
                                      radius * torch.sin(omega * t + ph)], -1)
    return P


def test_wrist_parts_root_travel_only():
    m = _probe()
    r = m.wrist_parts(_body(acc=(1.5, 0.0, -2.0)))
    assert r["root_acc"] == pytest.approx(2.5, rel=1e-9)  # |(1.5, 0, -2)|
    assert r["wrist_acc"] == pytest.approx(2.5, rel=1e-9)
    assert r["wrist_rel_acc"] == pytest.approx(0.0, abs=1e-9)


def test_wrist_parts_arm_circle_only():
    m = _probe()
    omega, radius = 2 * math.pi * 1.0, 0.3  # one turn per second, 0.3 m
    r = m.wrist_parts(_body(omega=omega, radius=radius))
    dt = 1 / FPS  # the second difference of a circle: 2 (1 - cos ω dt) / dt² · r, ω² r as dt -> 0
    expect = 2 * (1 - math.cos(omega * dt)) / dt ** 2 * radius
    assert r["wrist_rel_acc"] == pytest.approx(expect, rel=1e-9)
    assert expect == pytest.approx(omega ** 2 * radius, rel=0.01)
    assert r["wrist_acc"] == pytest.approx(expect, rel=1e-9)
    assert r["root_acc"] == pytest.approx(0.0, abs=1e-9)


def test_wrist_parts_both_add_in_quadrature():
    """A root accelerating sideways (x) and wrists circling in the (y, z) plane: orthogonal, so the squares add."""
    m = _probe()
    omega, radius = 2 * math.pi * 0.5, 0.4
    r = m.wrist_parts(_body(acc=(3.0, 0.0, 0.0), omega=omega, radius=radius))
    assert r["wrist_acc"] ** 2 == pytest.approx(r["root_acc"] ** 2 + r["wrist_rel_acc"] ** 2, rel=1e-9)
    assert r["root_acc"] == pytest.approx(3.0, rel=1e-9)


def test_rms_acc_short_clip_is_nan():
    m = _probe()
    assert math.isnan(m.rms_acc(torch.zeros(2, 3)))


@pytest.mark.parametrize("spec,expect", [
    ("refined", ("refined", None, "", None, None)),
    ("refined@anchor=300", ("refined", 300, "", None, None)),
    ("refined@anchor=300:height", ("refined", 300, "height", None, None)),
    ("runs/x/model.safetensors@smooth=2", ("runs/x/model.safetensors", None, "", 2.0, None)),
    ("refined@anchor=1:union@smooth=0.5", ("refined", 1, "union", 0.5, None)),
    ("refined@lowg=1", ("refined", None, "", None, 1.0)),
])
def test_checkpoint_spec(spec, expect):
    assert _probe().checkpoint_spec(spec, ("channels", "height", "union", "planted")) == expect


@pytest.mark.parametrize("spec,words", [
    ("refined@anchor=300:feet", ["refined@anchor=300:feet", "contact rule", "height"]),
    ("refined@smooth=-1", ["refined@smooth=-1", "smooth must be in [0, 30]", "-1"]),
    ("refined@smooth=40", ["smooth must be in [0, 30]", "40"]),
    ("refined@guidance=2", ["unknown option 'guidance'", "@smooth=S", "@lowg=G"]),
    ("refined@lowg=-1", ["lowg must be a guidance scale in [0, 20]", "-1"]),
    ("refined@anchor=many", ["refined@anchor=many", "many"]),
])
def test_checkpoint_spec_errors(spec, words):
    with pytest.raises(SystemExit) as e:
        _probe().checkpoint_spec(spec, ("channels", "height", "union", "planted"))
    for w in words:
        assert w in str(e.value)
