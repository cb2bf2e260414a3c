"""Gaussian diffusion with a cosine schedule, x0 prediction, masks, DDPM and DDIM (respaced) samplers.

Shapes: ``x0``/``x_t`` ``[B, T, F]``, ``t`` int64 ``[B]``, ``mask`` bool ``[B, T]``.
Schedule: Nichol & Dhariwal's cosine schedule with 1000 steps (as MDM), betas clipped at 0.999.
The model predicts x0 (MDM); ε is derived from it when the sampler needs it.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import torch


def is_timestep(v, steps: int = 1000) -> bool:
    """True for an integer step (not a bool) of a ``steps``-step schedule, in [0, ``steps`` − 1]: what ``stop_t``
    must be wherever it is given or recorded."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < steps


def cosine_betas(steps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(steps)], dtype=torch.float64)


class GaussianDiffusion:
    def __init__(self, steps: int = 1000):
        self.steps = steps
        self.betas = cosine_betas(steps)
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, 0)
        self.alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])
        ab, abp = self.alphas_cumprod, self.alphas_cumprod_prev
        # posterior q(x_{t-1} | x_t, x0)
        self.post_var = self.betas * (1 - abp) / (1 - ab)
        self.post_logvar = torch.log(torch.cat([self.post_var[1:2], self.post_var[1:]]))
        self.post_c0 = self.betas * abp.sqrt() / (1 - ab)
        self.post_ct = (1 - abp) * (1 - self.betas).sqrt() / (1 - ab)
        # square roots in float64 before any cast: in float32, 1 − ᾱ_0 (4e-5) is 0.3 % off
        self.sqrt_ab, self.sqrt_1mab, self.one_minus_ab = ab.sqrt(), (1 - ab).sqrt(), 1 - ab

    def _take(self, name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """The schedule ``self.<name>`` (float64 [steps]) at steps ``t`` [B], as ``like``'s dtype, shaped [B, 1, ...].

        Each schedule is copied to a device once and kept under its name: a copy per call would wait for the device
        every step. The cache was keyed by the id of the tensor passed in, and q_sample passed fresh temporaries: the
        device residency test on an H200 found a host-to-device copy in every training step, and a freed temporary's
        id, reused by a later one, could have returned the wrong schedule (on the CPU the cache kept each temporary
        alive instead, so the CPU runs were right, but the cache grew every step)."""
        cache = self.__dict__.setdefault("_on_device", {})
        key = (name, str(like.device))
        if key not in cache:
            cache[key] = getattr(self, name).to(like.device)
        return cache[key][t].to(like.dtype).view(-1, *([1] * (like.dim() - 1)))

    def q_sample(self, x0, t, noise=None):
        noise = torch.randn_like(x0) if noise is None else noise
        a, s = self._take("sqrt_ab", t, x0), self._take("sqrt_1mab", t, x0)
        return a * x0 + s * noise

    def sample_t(self, B: int, device, generator=None) -> torch.Tensor:
        return torch.randint(0, self.steps, (B,), device=device, generator=generator)

    # ------------------------------------------------------------------------------------ samplers
    @torch.no_grad()
    def ddpm_sample(self, predict_x0: Callable, shape, mask=None, generator=None, device="cpu",
                    progress: bool = False):
        """Ancestral sampling over all steps. ``predict_x0(x_t, t) -> x0``."""
        x = torch.randn(shape, generator=generator).to(device)
        it = range(self.steps - 1, -1, -1)
        if progress:
            from tqdm.auto import tqdm
            it = tqdm(it, desc="ddpm", leave=False)
        for i in it:
            t = torch.full((shape[0],), i, dtype=torch.long, device=device)
            x0 = predict_x0(x, t)
            mean = self._take("post_c0", t, x) * x0 + self._take("post_ct", t, x) * x
            if i > 0:
                noise = torch.randn(shape, generator=generator).to(device)
                x = mean + (0.5 * self._take("post_logvar", t, x)).exp() * noise
            else:
                x = mean
            if mask is not None:
                x = x * mask[..., None]
        return x

    def ddim_timesteps(self, steps: int) -> list:
        """The ``steps`` evenly respaced timesteps of DDIM, from ``self.steps − 1`` down to 0 (duplicates dropped)."""
        if not 1 <= steps <= self.steps:
            raise ValueError(f"ddim_sample: steps must be in [1, {self.steps}], got {steps}")
        return list(dict.fromkeys(torch.linspace(self.steps - 1, 0, steps).round().long().tolist()))

    def ddim_step(self, x, x0, i: int, i_next: Optional[int], eta: float = 0.0, generator=None):
        """One DDIM update from ``x`` at step ``i`` with the prediction ``x0`` to step ``i_next`` (None: the end,
        which returns ``x0``). Differentiable in ``x`` and ``x0`` (the sampler runs it without gradients; the
        self-sampled fine-tune, :mod:`imusim.diffusion.selftune`, through its last steps)."""
        ab = float(self.alphas_cumprod[i])
        ab_next = float(self.alphas_cumprod[i_next]) if i_next is not None else 1.0
        eps = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
        sigma = eta * math.sqrt((1 - ab_next) / (1 - ab) * (1 - ab / ab_next)) if i_next is not None else 0.0
        x = math.sqrt(ab_next) * x0 + math.sqrt(max(1 - ab_next - sigma ** 2, 0.0)) * eps
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator).to(x.device)
        return x

    @torch.no_grad()
    def ddim_sample(self, predict_x0: Callable, shape, steps: int = 50, eta: float = 0.0, mask=None,
                    generator=None, device="cpu", progress: bool = False, noise=None,
                    observe: Optional[Callable] = None, stop_t: int = 0):
        """DDIM on ``steps`` evenly respaced timesteps (eta=0: deterministic given the initial noise
        ``noise`` ``[*shape]``, drawn from ``generator`` when not given). ``observe(k, i, x0)``, where given, sees
        the k-th step's timestep i and x0 prediction ``[*shape]`` (a probe's hook; the last one is the output).

        ``stop_t`` (an integer step in [0, ``self.steps`` − 1]): the chain's steps at timesteps below it are not
        taken, and the output is the x0 prediction of the last step at or above it (0: every step, the output is
        the t = 0 step's prediction). With 50 steps, ``stop_t=1`` returns the x0 predicted at t = 20, one network
        call fewer (docs/realism.md §36)."""
        if not is_timestep(stop_t, self.steps):
            raise ValueError(f"ddim_sample: stop_t must be an integer step in [0, {self.steps - 1}], got {stop_t!r}")
        ts = [i for i in self.ddim_timesteps(steps) if i >= stop_t]  # never empty: the first step is steps - 1
        x = noise.to(device) if noise is not None else torch.randn(shape, generator=generator).to(device)
        it = range(len(ts))
        if progress:
            from tqdm.auto import tqdm
            it = tqdm(it, desc="ddim", leave=False)
        for k in it:
            i = ts[k]
            t = torch.full((shape[0],), i, dtype=torch.long, device=device)
            x0 = predict_x0(x, t)
            if observe is not None:
                observe(k, i, x0)
            x = self.ddim_step(x, x0, i, ts[k + 1] if k + 1 < len(ts) else None, eta, generator)
            if mask is not None:
                x = x * mask[..., None]
        return x
