"""The training step stays on the device: no host reads of device values and no host→device tensor
creation in the hot loop of ``imusim train/finetune`` (``--acc-on features|positions|imu``) and of the
generator's rendering.

* CPU-side check (always): the step's device part (``_device_step``) runs with the GPU's backends
  (``IMUSIM_BACKEND=triton``: the Triton kernels through the interpreter) under a dispatch mode that
  records ``aten._local_scalar_dense`` (``.item()``, ``float(t)``, ``bool(t)``: on a GPU a device→host
  copy and a sync) and ``aten.lift_fresh`` (a tensor made from host data: on a GPU a host→device copy).
  After one warm-up step (constants are built once per device, imusim/_consts.py) a step must do neither.
* GPU check (where CUDA exists): the same step with ``torch.cuda.set_sync_debug_mode("error")``, which
  raises on every synchronising CUDA call PyTorch makes.
"""

from __future__ import annotations

import contextlib
import copy
import os
import traceback

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from imusim import _backend
from imusim.diffusion import GaussianDiffusion, MDM, MDMConfig
from imusim.diffusion.train import MotionTextData, TrainConfig, _device_step, _host_batch, _to_device

TINY = dict(latent=32, layers=1, ff=64, heads=4, n_feats=263, text_dim=8, dropout=0.0)


class HostTraffic(TorchDispatchMode):
    """Records the ops that read device values on the host or make tensors from host data."""

    WATCH = ("aten._local_scalar_dense.default", "aten.lift_fresh.default")

    def __init__(self):
        super().__init__()
        self.events = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func)
        if name in self.WATCH:
            stack = traceback.extract_stack()[:-1]
            # torch.optim keeps its step counters on the host on every device (no sync on a GPU): not ours
            if not any("torch/optim/" in f.filename for f in stack[-6:]):
                where = [f"{f.filename.split('imusim/')[-1]}:{f.lineno} {f.name}" for f in stack[-14:]
                         if "/imusim/" in f.filename and "/tests/" not in f.filename]
                self.events.append((name, where[-3:]))
        return func(*args, **(kwargs or {}))


def toy_data(n=4, T=24, seed=0):
    """Small, smooth 263-d feature clips (the IMU loss runs IK on their positions)."""
    g = torch.Generator().manual_seed(seed)
    clips = []
    for i in range(n):
        t = torch.linspace(0, 2, T)[:, None]
        f = 0.05 * torch.sin(3 * t + torch.rand(1, 263, generator=g) * 6) + 0.02 * torch.randn(T, 263, generator=g)
        f[:, 3] += 0.9  # root height
        clips.append({"features": f, "captions": [f"clip {i % 2}"], "activity": str(i % 2)})
    allf = torch.cat([c["features"] for c in clips])
    return MotionTextData(clips, allf.mean(0), allf.std(0).clamp_min(1e-3))


def make_step(acc_on: str, device: str):
    torch.manual_seed(0)
    data = toy_data()
    cfg = TrainConfig(batch_size=2, max_frames=12, min_frames=10, lambda_acc=0.5, acc_on=acc_on,
                      imu_sensors="wrist_r,thigh_l", diffusion_steps=100, log_every=1000, ckpt_every=1000)
    dev = torch.device(device)
    model = MDM(MDMConfig(**TINY)).to(dev)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(enabled=False)
    diffusion = GaussianDiffusion(cfg.diffusion_steps)
    emb_table = {c: torch.randn(8, generator=torch.Generator().manual_seed(k)) for k, c in
                 enumerate(sorted({c for cs in data.captions for c in cs}))}
    mean, std = data.mean.to(dev), data.std.to(dev)

    def step(k: int, guard=contextlib.nullcontext()):
        host, counts = _host_batch(data, cfg, k, model.cfg.cond_drop_prob, emb_table)  # host by design
        batch = _to_device(host, dev)
        with guard:
            return _device_step(model, model, ema, opt, scaler, diffusion, batch, cfg, mean, std, counts, 1, k,
                                torch.float32)
    return step


@contextlib.contextmanager
def backend(name):
    old = os.environ.get("IMUSIM_BACKEND")
    os.environ["IMUSIM_BACKEND"] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("IMUSIM_BACKEND")
        else:
            os.environ["IMUSIM_BACKEND"] = old


@pytest.mark.skipif(not (_backend._triton_ok() and _backend.triton_interpret()), reason="needs TRITON_INTERPRET=1")
@pytest.mark.parametrize("acc_on", ["features", "positions", "imu"])
def test_device_step_reads_nothing_back_and_copies_nothing_in(acc_on):
    with backend("triton"):
        step = make_step(acc_on, "cpu")
        step(0)  # warm-up: per-device constants are made here, once
        h = HostTraffic()
        losses = step(1, h)
    assert torch.isfinite(losses["total"]) and torch.isfinite(losses["l_acc"])
    assert not h.events, "host traffic in the device step:\n" + "\n".join(f"{n} at {w}" for n, w in h.events)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("acc_on", ["features", "positions", "imu"])
def test_cuda_step_never_synchronises(acc_on):
    step = make_step(acc_on, "cuda")
    step(0)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        losses = step(1)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert torch.isfinite(losses["total"]).item()


def test_device_kabsch_reads_nothing_back():
    """IK's branching joints on a GPU use kabsch_quaternion (torch.linalg.svd would synchronise)."""
    from imusim.kinematics.ik import kabsch_quaternion
    g = torch.Generator().manual_seed(0)
    src, dst = torch.randn(50, 3, 3, generator=g), torch.randn(50, 3, 3, generator=g)
    kabsch_quaternion(src, dst)
    h = HostTraffic()
    with h:
        R = kabsch_quaternion(src, dst)
    assert R.shape == (50, 3, 3) and not h.events, h.events


def _sample_models():
    from imusim.diffusion.experts import ExpertPair
    torch.manual_seed(0)
    mdm = MDM(MDMConfig(**{**TINY, "arch": "mdm"}))  # sampled on MDM's whole canvas (no step mask)
    own = MDM(MDMConfig(**TINY))
    return {"imusim": own, "mdm_canvas": mdm, "pair": ExpertPair(MDM(MDMConfig(**TINY)), own, 300)}


@pytest.mark.parametrize("sampler", ["ddim", "ddpm"])
def test_sample_draws_its_noise_on_the_models_device(monkeypatch, sampler):
    """sample() hands its device to the sampler loop, which draws the initial noise there (the first H200 run
    of the end-to-end benchmark found the noise on the host and the network on the GPU)."""
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample

    seen = []
    for name in ("ddim_sample", "ddpm_sample"):
        orig = getattr(GaussianDiffusion, name)

        def spy(self, *a, _orig=orig, **kw):
            seen.append(kw.get("device"))
            return _orig(self, *a, **kw)
        monkeypatch.setattr(GaussianDiffusion, name, spy)
    model = _sample_models()["imusim"].eval()
    enc = get_text_encoder("hash", dim=8)
    sample(model, torch.zeros(263), torch.ones(263), enc, ["a"], [12], steps=2, sampler=sampler,
           device=torch.device("cpu"))
    assert seen == [torch.device("cpu")]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")
@pytest.mark.parametrize("kind", ["imusim", "mdm_canvas", "pair"])
def test_cuda_sample_runs_on_the_gpu(kind):
    """A model (own architecture, MDM's canvas architecture, a two-expert pair) on the GPU samples there, with
    guidance and the foot anchor, and gives the CPU's motions within float32 noise."""
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample

    model = _sample_models()[kind].eval()
    enc = get_text_encoder("hash", dim=8)
    mean, std = torch.zeros(263), torch.ones(263)
    kw = dict(steps=4, guidance=2.5, seeds=[1, 2], anchor_feet=300)
    xc, mc = sample(model, mean, std, enc, ["a", "b"], [20, 30], **kw)
    xg, mg = sample(copy.deepcopy(model).cuda(), mean.cuda(), std.cuda(), enc, ["a", "b"], [20, 30], **kw)
    assert xg.is_cuda and mg.is_cuda
    torch.testing.assert_close(xg.cpu(), xc, rtol=1e-3, atol=1e-3)
