"""PNG/GIF plots a person would rather look at: stick figures over time, IMU signals."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .constants import HUMANML3D_FPS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_motion(motion, out, title: Optional[str] = None, n_frames: int = 8, gif: bool = False):
    """Stick figure of ``motion`` (a Motion or joint positions ``[T, J, 3]`` + parents) at ``n_frames``
    instants side by side (front view x–y and top view x–z trail of the root). ``gif=True`` also
    writes an animated GIF next to the PNG."""
    plt = _plt()
    if hasattr(motion, "joint_positions"):
        P = motion.joint_positions().detach().cpu().numpy()
        parents = motion.skeleton.parents
        fps = motion.fps
        title = title or motion.source
    else:
        P, parents = motion
        fps = HUMANML3D_FPS
    T = P.shape[0]
    idx = np.linspace(0, T - 1, n_frames).round().astype(int)
    fig = plt.figure(figsize=(2.0 * n_frames, 4.2))
    lo, hi = P[..., 1].min(), P[..., 1].max()
    for k, t in enumerate(idx):
        ax = fig.add_subplot(1, n_frames + 1, k + 1)
        x = P[t] - np.array([P[t, 0, 0], 0, P[t, 0, 2]])
        for j, p in enumerate(parents):
            if p >= 0:
                ax.plot([x[p, 0], x[j, 0]], [x[p, 1], x[j, 1]], "-", color="tab:blue", lw=2)
        ax.scatter(x[:, 0], x[:, 1], s=6, color="k", zorder=3)
        ax.set_xlim(-1, 1)
        ax.set_ylim(min(lo, 0) - 0.05, max(hi, 1.8) + 0.05)
        ax.set_aspect("equal")
        ax.set_title(f"{t / fps:.2f} s", fontsize=8)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_xticks([])
        ax.set_yticks([] if k else [0, 0.5, 1, 1.5])
    ax = fig.add_subplot(1, n_frames + 1, n_frames + 1)
    ax.plot(P[:, 0, 0], P[:, 0, 2], "k-")
    ax.plot(P[0, 0, 0], P[0, 0, 2], "go")
    ax.set_aspect("equal", "datalim")
    ax.set_title("root path (top)", fontsize=8)
    ax.tick_params(labelsize=6)
    fig.suptitle(title or "", fontsize=9)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    if gif:
        from matplotlib.animation import FuncAnimation, PillowWriter

        fig, ax = plt.subplots(figsize=(4, 4))
        lines = [ax.plot([], [], "-", color="tab:blue", lw=2)[0] for _ in parents]
        ax.set_xlim(-1, 1)
        ax.set_ylim(-0.05, max(hi, 1.8) + 0.05)
        ax.set_aspect("equal")

        def draw(t):
            x = P[t] - np.array([P[t, 0, 0], 0, P[t, 0, 2]])
            for ln, (j, p) in zip(lines, enumerate(parents)):
                ln.set_data(([x[p, 0], x[j, 0]], [x[p, 1], x[j, 1]]) if p >= 0 else ([], []))
            return lines

        FuncAnimation(fig, draw, frames=range(0, T, max(1, int(fps // 10)))).save(
            out.with_suffix(".gif"), writer=PillowWriter(fps=10))
        plt.close(fig)
    return out


def plot_imu(acc: np.ndarray, gyro: np.ndarray, rate: float, sensor_names: Sequence[str], out,
             title: Optional[str] = None):
    """acc/gyro ``[T, S, 3]`` (m/s², rad/s) → one row per sensor, acc left and gyro right."""
    plt = _plt()
    acc, gyro = np.asarray(acc), np.asarray(gyro)
    S = acc.shape[1]
    t = np.arange(acc.shape[0]) / rate
    fig, axes = plt.subplots(S, 2, figsize=(11, 2.2 * S), squeeze=False, sharex=True)
    for s in range(S):
        for j, (sig, unit) in enumerate(((acc, "m/s²"), (gyro, "rad/s"))):
            ax = axes[s, j]
            for c, col in zip(range(3), ("tab:red", "tab:green", "tab:blue")):
                ax.plot(t, sig[:, s, c], color=col, lw=0.9, label="xyz"[c])
            ax.set_ylabel(f"{sensor_names[s]}\n{'acc' if j == 0 else 'gyro'} ({unit})", fontsize=8)
            ax.grid(alpha=0.3)
            if s == 0:
                ax.legend(fontsize=7, ncol=3, loc="upper right")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.suptitle(title or "virtual IMU", fontsize=10)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
