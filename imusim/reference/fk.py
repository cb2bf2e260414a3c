"""Reference forward kinematics (naive loop over joints; the truth in tests and the torch backend)."""

from __future__ import annotations

import torch


def forward_kinematics(local_rot: torch.Tensor, root_pos: torch.Tensor, parents, offsets: torch.Tensor):
    """Global rotations and joint positions.

    Args:
        local_rot: ``[..., J, 3, 3]`` joint rotations relative to the parent (root: relative to world).
        root_pos: ``[..., 3]`` root joint position (m).
        parents: ``J`` parent indices (-1 root), parents before children.
        offsets: ``[J, 3]`` rest offsets (m) in the parent frame.

    Returns:
        ``(global_rot [..., J, 3, 3], positions [..., J, 3])`` with
        ``R_g[j] = R_g[p] @ R_l[j]`` and ``x[j] = x[p] + R_g[p] @ offsets[j]``.
    """
    offsets = offsets.to(local_rot.dtype).to(local_rot.device)
    g_rot, g_pos = [], []
    for j, p in enumerate(parents):
        if p < 0:
            g_rot.append(local_rot[..., j, :, :])
            g_pos.append(root_pos)
        else:
            g_rot.append(g_rot[p] @ local_rot[..., j, :, :])
            g_pos.append(g_pos[p] + (g_rot[p] @ offsets[j].unsqueeze(-1)).squeeze(-1))
    return torch.stack(g_rot, dim=-3), torch.stack(g_pos, dim=-2)
