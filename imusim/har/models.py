"""HAR classifiers: a 1D-CNN (PyTorch) and a random forest on statistical + ECDF features.

Input windows ``X`` float32 ``[N, T, C]`` (channels acc xyz, gyro xyz per sensor), labels as class
indices. Both classifiers standardise channels with statistics of their training set.

Augmentation for the CNN (training only): a random 3-D rotation of the sensor frame applied to every
acc/gyro triplet of a sensor (orientation of a worn device varies), Gaussian noise and a random
scale — as UniMTS/WIMUSim-style augmentation does for synthetic-to-real transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import nn


def random_rotations(n: int, gen: torch.Generator, max_angle: float = np.pi) -> torch.Tensor:
    """``[n, 3, 3]`` rotations with uniformly random axis and angle in [0, max_angle]."""
    axis = torch.nn.functional.normalize(torch.randn(n, 3, generator=gen), dim=-1)
    ang = torch.rand(n, generator=gen) * max_angle
    K = torch.zeros(n, 3, 3)
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    K = K - K.transpose(1, 2)
    s, c = ang.sin()[:, None, None], ang.cos()[:, None, None]
    return torch.eye(3) + s * K + (1 - c) * (K @ K)


class CNN1D(nn.Module):
    """Three conv blocks → global average pooling → embedding (``embed``) → linear classifier."""

    def __init__(self, in_ch: int, n_classes: int, width: int = 64, embed: int = 64, dropout: float = 0.2):
        super().__init__()

        def block(i, o, k):
            return nn.Sequential(nn.Conv1d(i, o, k, padding=k // 2), nn.BatchNorm1d(o), nn.ReLU())

        self.features = nn.Sequential(block(in_ch, width, 7), block(width, width, 5), block(width, width, 3))
        self.embed = nn.Sequential(nn.Linear(width, embed), nn.ReLU(), nn.Dropout(dropout))
        self.head = nn.Linear(embed, n_classes)

    def embedding(self, x):  # x [B, T, C]
        h = self.features(x.transpose(1, 2)).mean(-1)
        return self.embed(h)

    def forward(self, x):
        return self.head(self.embedding(x))


@dataclass
class CNNClassifier:
    epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    augment: bool = True
    rot_max: float = np.pi / 6
    noise: float = 0.05
    progress: bool = False
    name: str = "cnn"

    def fit(self, X: np.ndarray, y: np.ndarray, n_classes: int):
        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        X = torch.as_tensor(X, dtype=torch.float32)
        self.mu = X.mean(dim=(0, 1))
        self.sd = X.std(dim=(0, 1)).clamp_min(1e-6)
        self.model = CNN1D(X.shape[2], n_classes)
        opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=1e-3)
        y = torch.as_tensor(y, dtype=torch.long)
        n = len(X)
        it = range(self.epochs)
        if self.progress:
            from tqdm.auto import tqdm
            it = tqdm(it, desc="cnn", leave=False)
        self.model.train()
        for _ in it:
            perm = torch.randperm(n, generator=gen)
            for s in range(0, n, self.batch_size):
                idx = perm[s:s + self.batch_size]
                if len(idx) < 2:
                    continue
                xb = X[idx]
                if self.augment:
                    xb = self._augment(xb, gen)
                loss = nn.functional.cross_entropy(self.model((xb - self.mu) / self.sd), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.model.eval()
        return self

    def _augment(self, xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        B, T, C = xb.shape
        out = xb.clone()
        R = random_rotations(B, gen, self.rot_max)
        for s in range(0, C - C % 3, 3):  # each acc / gyro triplet of a sensor, same rotation per sensor
            out[..., s:s + 3] = out[..., s:s + 3] @ R.transpose(1, 2)
        scale = 1 + 0.1 * torch.randn(B, 1, 1, generator=gen)
        return out * scale + self.noise * self.sd * torch.randn(out.shape, generator=gen)

    @torch.no_grad()
    def predict_proba(self, X):
        X = torch.as_tensor(X, dtype=torch.float32)
        return torch.softmax(self.model((X - self.mu) / self.sd), -1).numpy()

    def predict(self, X):
        return self.predict_proba(X).argmax(1)

    @torch.no_grad()
    def embed(self, X):
        X = torch.as_tensor(X, dtype=torch.float32)
        return self.model.embedding((X - self.mu) / self.sd).numpy()


def window_features(X: np.ndarray, n_ecdf: int = 10) -> np.ndarray:
    """Statistical + ECDF features per channel (and of the acc/gyro magnitudes): mean, std, min, max,
    percentiles, energy, zero-crossing rate of the centred signal, and ``n_ecdf`` ECDF points
    (Hammerla et al. 2013). ``[N, T, C] -> [N, D]``."""
    X = np.asarray(X, dtype=np.float64)
    N, T, C = X.shape
    chans = [X[..., c] for c in range(C)]
    for s in range(0, C - C % 3, 3):
        chans.append(np.linalg.norm(X[..., s:s + 3], axis=-1))
    feats = []
    q = np.linspace(0, 100, n_ecdf)
    for x in chans:
        xc = x - x.mean(1, keepdims=True)
        feats += [x.mean(1), x.std(1), x.min(1), x.max(1), (x ** 2).mean(1),
                  (np.diff(np.sign(xc), axis=1) != 0).mean(1), np.abs(np.diff(x, axis=1)).mean(1)]
        feats += list(np.percentile(x, q, axis=1))
    return np.stack(feats, 1).astype(np.float32)


@dataclass
class RFClassifier:
    n_estimators: int = 300
    seed: int = 0
    name: str = "rf"

    def fit(self, X, y, n_classes: int):
        from sklearn.ensemble import RandomForestClassifier

        self.n_classes = n_classes
        self.model = RandomForestClassifier(self.n_estimators, random_state=self.seed, n_jobs=-1)
        self.model.fit(window_features(X), y)
        return self

    def predict_proba(self, X):
        p = self.model.predict_proba(window_features(X))
        out = np.zeros((len(X), self.n_classes))
        out[:, self.model.classes_] = p
        return out

    def predict(self, X):
        return self.predict_proba(X).argmax(1)

    def embed(self, X):
        return window_features(X)


def make_classifier(name: str, seed: int = 0, **kw):
    if name == "cnn":
        return CNNClassifier(seed=seed, **kw)
    if name == "rf":
        return RFClassifier(seed=seed, **kw)
    raise ValueError(f"classifier must be 'cnn' or 'rf', got {name!r}")
