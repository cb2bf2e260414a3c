"""render_imu's kernels (imusim/ops/render.py) on every backend of the harness (tests/harness.py: cpp, triton on CUDA
tensors or under the interpreter) against the per-item PyTorch reference (backend ``torch``): a frame pool with
items too short for a row, resampled, odd-rate and same-rate items, jittered and mirrored mounts, a magnetic
field per item, orientations, matrix and axis-angle input, float32 and float64. The op is forward-only (no
gradcheck) and takes host-side per-item metadata (no torch.compile: the output size depends on the items' lengths
and rates). Tolerances: float64 1e-9 absolute and relative (the reference and the kernels evaluate the same
formulas in another order: the kernels' log map goes through asin, the slerp through φ / sin φ), float32 2e-3
relative to the largest value of the batch (Cephes polynomials, acc = Δ²p · rate²). Noise statistics and the
kernels' own streams: tests/imu/test_render.py, tests/imu/test_error_model.py, tests/triton/."""

import numpy as np
import pytest
import torch

from imusim.imu.render import Mounts, mirror_mounts, render_imu
from imusim.imu.sensors import sensors_from_names
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
from imusim.ops.render import output_samples, resolve
from tests.harness import motions, op_params, small, starts_of

RENDER_BACKENDS = op_params("render")
SENS = "wrist_r,thigh_l,head"


def _mounts(B, seed=0):
    m = Mounts.from_sensors(sensors_from_names(SENS), SMPL22, B)
    m.offsets = m.offsets + np.random.default_rng(seed).normal(0, 0.02, m.offsets.shape)
    return mirror_mounts(m, np.arange(B) % 2 == 1, SMPL22)


@pytest.mark.parametrize("device,backend", RENDER_BACKENDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("rot_format", ["matrix", "axis_angle"])
def test_matches_reference(device, backend, dtype, rot_format):
    lengths = [2, 2, 37, 61, 45] + ([] if small(backend) else [130, 300])
    fps = [50.0, 20.0, 24.0, 50.0, 33.3] + ([] if small(backend) else [20.0, 60.0])
    aa, root = motions(lengths, seed=11, dtype=dtype)
    L = aa if rot_format == "axis_angle" else axis_angle_to_matrix(aa).contiguous()
    field = np.random.default_rng(3).normal(0, 30.0, (len(lengths), 3))  # µT, one world field per item
    kw = dict(start=starts_of(lengths), length=lengths, fps=fps, rate=50.0, sensors=_mounts(len(lengths)),
              orientation=True, rot_format=rot_format, mag_field=field)
    got = render_imu(L.to(device), root.to(device), SMPL22, backend=backend, **kw)
    ref = render_imu(L.double(), root.double(), SMPL22, backend="torch", **kw)
    np.testing.assert_array_equal(got.offsets, ref.offsets)
    np.testing.assert_array_equal(np.diff(got.offsets), output_samples(lengths, fps, 50.0))
    assert got.data.dtype == dtype and got.data.device.type == device and got.data.shape == ref.data.shape
    assert got.channels == ref.channels and got.data.shape[-1] == 9
    if dtype == torch.float64:
        torch.testing.assert_close(got.data.cpu(), ref.data, rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(got.orientation.cpu(), ref.orientation, rtol=1e-9, atol=1e-9)
    else:
        scale = ref.data.abs().max().item()
        torch.testing.assert_close(got.data.cpu().double(), ref.data, rtol=2e-3, atol=2e-3 * scale)
        torch.testing.assert_close(got.orientation.cpu().double(), ref.orientation, rtol=0, atol=2e-3)
    det = torch.linalg.det(got.orientation.cpu().double())
    torch.testing.assert_close(det, torch.ones_like(det), rtol=0, atol=1e-5)  # mirrored sensors: proper rotations


def test_backend_resolution_goes_through_the_registry(monkeypatch):
    """CPU tensors default to cpp (never the interpreter), IMUSIM_BACKEND overrides, unknown or unavailable
    backends are refused by name."""
    assert resolve(None, "cpu") == "cpp"
    monkeypatch.setenv("IMUSIM_BACKEND", "torch")
    assert resolve(None, "cpu") == "torch"
    monkeypatch.delenv("IMUSIM_BACKEND")
    with pytest.raises(ValueError, match=r"render_imu: backend must be one of \['triton', 'cpp', 'torch'\], got 'cuda'"):
        resolve("cuda", "cpu")
    monkeypatch.setenv("TRITON_INTERPRET", "0")  # triton on CPU tensors only under the interpreter
    with pytest.raises(ValueError, match="render_imu: backend='triton' is not available for tensors on device 'cpu'"):
        resolve("triton", "cpu")
