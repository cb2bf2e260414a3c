"""``imusim bench mdm-finetune``: one fine-tuning step of a full-size MDM (``arch="mdm"``, 8 layers,
latent 512, 196-frame canvas), side by side in interleaved rounds:

* ``imusim``          — imusim's training step: caption embeddings looked up from the table the trainer
                         encodes once, L_simple + λ·L_acc (features, fused kernel), backward, gradient
                         clipping, AdamW, EMA update;
* ``imusim-no-acc``   — the same without L_acc (its cost alone);
* ``mdm-loop``        — the work of one step of MDM's own training loop re-created here: the batch's
                         captions through a CLIP ViT-B/32-sized text tower on every step (MDM's
                         ``encode_text`` runs inside each forward; a randomly initialised tower of the
                         real size: 12 layers, width 512, the 77-token context MDM pads to), L_simple,
                         backward, AdamW; no EMA, no clipping (MDM's defaults).

Reported: median and fastest ms per step, samples/s, and each provider's time relative to
``imusim``. The weights are random (the cost does not depend on them)."""

from __future__ import annotations

import time

import torch

NAME = "mdm-finetune"
COLS = ["provider", "batch", "latent", "layers", "ms", "min_ms", "samples_per_s", "vs_imusim", "device"]


def _model(latent, layers, device):
    from ..diffusion.model import MDM, MDMConfig

    cfg = MDMConfig(n_feats=263, latent=latent, layers=layers, heads=4, ff=1024, dropout=0.1, text_dim=512,
                    cond_drop_prob=0.1, max_len=5000, arch="mdm")
    return MDM(cfg).to(device).train()


def _clip_tower(device):
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    cfg = CLIPTextConfig(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                         num_attention_heads=8, max_position_embeddings=77, projection_dim=512,
                         hidden_act="quick_gelu", eos_token_id=2)
    return CLIPTextModelWithProjection(cfg).to(device).eval().requires_grad_(False)


def bench(batch=8, latent=512, layers=8, rounds=5, device="cpu", lambda_acc=1.0, progress=True):
    from ..diffusion.gaussian import GaussianDiffusion
    from ..diffusion.train import TrainConfig, _counts, diffusion_losses

    dev = torch.device(device)
    g = torch.Generator().manual_seed(0)
    T, F = 196, 263
    lengths = torch.randint(40, T + 1, (batch,), generator=g)
    mask = (torch.arange(T)[None] < lengths[:, None]).to(dev)
    x0 = (torch.randn(batch, T, F, generator=g) * mask.cpu()[..., None]).to(dev)
    emb = torch.randn(batch, 512, generator=g).to(dev)
    tokens = torch.randint(3, 49406, (batch, 77), generator=g)
    tokens[:, 0], tokens[:, 21], tokens[:, 22:] = 49406, 49407, 0  # start, 20 words, end, MDM's zero padding
    tokens = tokens.to(dev)
    diffusion = GaussianDiffusion(1000)
    mean, std = torch.zeros(F, device=dev), torch.ones(F, device=dev)
    clip = _clip_tower(dev)

    def make(kind):
        model = _model(latent, layers, dev)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        ema = _model(latent, layers, dev).eval().requires_grad_(False) if kind != "mdm-loop" else None
        cfg = TrainConfig(lambda_acc=lambda_acc if kind == "imusim" else 0.0)

        def step():
            t = torch.randint(0, 1000, (batch,), device=dev)
            noise = torch.randn_like(x0)
            uncond = torch.rand(batch, device=dev) < 0.1
            if kind == "mdm-loop":
                with torch.no_grad():
                    e = clip(input_ids=tokens).text_embeds.float()
                xt = diffusion.q_sample(x0, t, noise)
                pred = model(xt, t, e, mask, uncond=uncond)
                m = mask[..., None].to(pred.dtype)
                loss = ((pred - x0) ** 2 * m).sum() / (m.sum() * F)
            else:
                loss = diffusion_losses(model, diffusion, x0, mask, emb, t, noise, uncond, cfg, mean, std,
                                        _counts(mask, F))["total"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if kind != "mdm-loop":
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if ema is not None:
                with torch.no_grad():
                    for pe, pm in zip(ema.parameters(), model.parameters()):
                        pe.mul_(0.999).add_(pm.detach(), alpha=0.001)
            if dev.type == "cuda":
                torch.cuda.synchronize()
        return step

    kinds = ["imusim", "imusim-no-acc", "mdm-loop"]
    steps = {k: make(k) for k in kinds}
    for k in kinds:  # warm-up
        steps[k]()
    times = {k: [] for k in kinds}
    from tqdm.auto import tqdm
    for _ in tqdm(range(rounds), desc="mdm-finetune rounds", disable=not progress):
        for k in kinds:
            t0 = time.perf_counter()
            steps[k]()
            times[k].append(time.perf_counter() - t0)
    rows = []
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    for k in kinds:
        rows.append({"provider": k, "batch": batch, "latent": latent, "layers": layers,
                     "ms": round(1e3 * med[k], 1), "min_ms": round(1e3 * min(times[k]), 1),
                     "samples_per_s": round(batch / med[k], 2), "vs_imusim": round(med[k] / med["imusim"], 3),
                     "device": str(dev)})
    return rows


def add_arguments(p):
    p.add_argument("--batch", type=int, default=8, help="batch size (MDM trains with 64)")
    p.add_argument("--latent", type=int, default=512)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--rounds", type=int, default=5, help="timed steps per provider (median reported)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--json", help="also write the rows to this JSON file")


def run(args):
    from ._util import report

    rows = bench(args.batch, args.latent, args.layers, args.rounds, args.device)
    report(rows, COLS, args.json)
    return 0
