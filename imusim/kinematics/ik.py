"""Inverse kinematics from joint positions: local rotations whose FK reproduces the bone directions.

Given positions ``[..., T, J, 3]`` of a skeleton whose rest pose has identity local rotations and rest
offsets ``skeleton.offsets`` (so rest global frames are the world frame), solve top-down:

* a joint with ≥ 2 children (pelvis, spine3 of SMPL22): its global rotation is the Wahba/Kabsch
  solution that best maps the children's rest offsets onto the observed child directions (twist fully
  determined);
* a joint with 1 child: the minimal (swing-only) rotation that turns the direction its child would
  have under the parent's global rotation into the observed one — no twist is invented, as in
  HumanML3D's ``inverse_kinematics_np``;
* a leaf (wrists, feet, head of SMPL22): local rotation identity (it follows its parent).

Bone lengths are not changed by IK: positions rebuilt by FK from the result have the skeleton's bone
lengths and the observed bone directions. Twist about a single-child bone (e.g. forearm pronation) is
not observable from positions and is therefore 0 relative to the parent.
"""

from __future__ import annotations

import torch

from .._consts import bone_lengths, int_tensor, skeleton_consts
from .skeleton import Skeleton


def _normalize(v, eps=1e-9):
    return v / v.norm(dim=-1, keepdim=True).clamp_min(eps)


def rotation_between(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Minimal rotation ``[..., 3, 3]`` taking direction ``a`` to direction ``b`` (``[..., 3]``); stable for
    opposite vectors (180° about an axis perpendicular to ``a``)."""
    a, b = _normalize(a), _normalize(b)
    v = torch.cross(a, b, dim=-1)
    c = (a * b).sum(-1, keepdim=True)
    # opposite case: pick any axis perpendicular to a
    e = torch.eye(3, dtype=a.dtype, device=a.device)  # made on the device: no host→device copy
    ref = torch.where(a[..., :1].abs() < 0.9, e[0], e[1])
    perp = _normalize(torch.cross(a, ref, dim=-1))
    opposite = (c < -1 + 1e-7)
    K = torch.zeros(*a.shape[:-1], 3, 3, dtype=a.dtype, device=a.device)
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    K = K - K.transpose(-1, -2)
    eye = torch.eye(3, dtype=a.dtype, device=a.device).expand_as(K)
    R = eye + K + (K @ K) / (1 + c).clamp_min(1e-7)[..., None]
    R_opp = 2 * perp[..., :, None] * perp[..., None, :] - eye
    return torch.where(opposite[..., None], R_opp, R)


def kabsch(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Rotation ``[..., 3, 3]`` minimising Σ|R src_i − dst_i|² for point sets ``[..., N, 3]`` (no centring).

    CPU: SVD of the cross-covariance with the determinant correction. CUDA: the same optimum from Horn's
    quaternion form (:func:`kabsch_quaternion`), because ``torch.linalg.svd`` synchronises the device with
    the host on every call (its documented behaviour), which would stall a training step that runs IK."""
    if dst.is_cuda:
        return kabsch_quaternion(src, dst)
    H = src.transpose(-1, -2) @ dst  # [..., 3, 3] = Σ src_i dst_iᵀ
    U, _, Vh = torch.linalg.svd(H)
    d = torch.sign(torch.linalg.det(Vh.transpose(-1, -2) @ U.transpose(-1, -2)))
    D = torch.diag_embed(torch.stack([torch.ones_like(d), torch.ones_like(d), d], -1))
    return Vh.transpose(-1, -2) @ D @ U.transpose(-1, -2)


def kabsch_quaternion(src: torch.Tensor, dst: torch.Tensor, iters: int = 40) -> torch.Tensor:
    """:func:`kabsch` without SVD, eigen-solvers or host reads (device-friendly): Horn's symmetric 4×4 matrix
    ``N`` of ``H = Σ src_i dst_iᵀ`` has the optimal rotation's quaternion as the eigenvector of its largest
    eigenvalue λ (always a proper rotation: the determinant correction comes for free). λ is the largest root
    of ``det(N − λI) = λ⁴ − (p₂/2) λ² − (p₃/3) λ + det N`` (``p_k = tr N^k``, N is traceless), found by Newton's
    method from the upper bound √p₂ (monotone for a polynomial with real roots; a fixed number of steps, no
    data-dependent control flow) with one last differentiable step (the implicit-function gradient); the
    eigenvector is the largest column of ``adj(N − λI)``. Computed in float64 (the quartic's coefficients
    cancel badly in float32), returned in the inputs' dtype."""
    out_dtype = dst.dtype
    H = (src.transpose(-1, -2) @ dst).double()
    Sxx, Sxy, Sxz = H[..., 0, 0], H[..., 0, 1], H[..., 0, 2]
    Syx, Syy, Syz = H[..., 1, 0], H[..., 1, 1], H[..., 1, 2]
    Szx, Szy, Szz = H[..., 2, 0], H[..., 2, 1], H[..., 2, 2]
    N = torch.stack([
        torch.stack([Sxx + Syy + Szz, Syz - Szy, Szx - Sxz, Sxy - Syx], -1),
        torch.stack([Syz - Szy, Sxx - Syy - Szz, Sxy + Syx, Szx + Sxz], -1),
        torch.stack([Szx - Sxz, Sxy + Syx, -Sxx + Syy - Szz, Syz + Szy], -1),
        torch.stack([Sxy - Syx, Szx + Sxz, Syz + Szy, -Sxx - Syy + Szz], -1)], -2)
    N2 = N @ N
    p2 = N2.diagonal(dim1=-2, dim2=-1).sum(-1)
    p3 = (N2 * N.transpose(-1, -2)).sum((-1, -2))
    p4 = (N2 * N2.transpose(-1, -2)).sum((-1, -2))
    c2, c1, c0 = -p2 / 2, -p3 / 3, (p2 * p2 / 2 - p4) / 4

    def newton(lam):
        f = ((lam * lam + c2) * lam + c1) * lam + c0
        df = (4 * lam * lam + 2 * c2) * lam + c1
        return lam - f / torch.where(df.abs() > 1e-300, df, torch.ones_like(df))

    with torch.no_grad():
        lam = p2.clamp_min(0).sqrt()
        for _ in range(iters):
            lam = newton(lam)
    lam = newton(lam.detach())
    A = N - lam[..., None, None] * torch.eye(4, dtype=N.dtype, device=N.device)
    # adjugate columns: cofactors of A (4×4) by 3×3 minors; A symmetric, so column k = row k of adj(A)
    idx = [int_tensor(r, A.device, torch.long) for r in ([1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2])]  # cached
    cols = []
    for k in range(4):
        comp = []
        rows = A.index_select(-2, idx[k])
        for i in range(4):
            m = rows.index_select(-1, idx[i])
            comp.append((-1) ** (i + k) * _det3(m))
        cols.append(torch.stack(comp, -1))
    C = torch.stack(cols, -2)  # [..., 4 (column), 4]
    best = C.square().sum(-1).argmax(-1, keepdim=True)
    q = torch.gather(C, -2, best[..., None].expand(*best.shape, 4)).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], -2).to(out_dtype)


def _det3(m: torch.Tensor) -> torch.Tensor:
    return (m[..., 0, 0] * (m[..., 1, 1] * m[..., 2, 2] - m[..., 1, 2] * m[..., 2, 1])
            - m[..., 0, 1] * (m[..., 1, 0] * m[..., 2, 2] - m[..., 1, 2] * m[..., 2, 0])
            + m[..., 0, 2] * (m[..., 1, 0] * m[..., 2, 1] - m[..., 1, 1] * m[..., 2, 0]))


def positions_to_rotations(positions: torch.Tensor, skeleton: Skeleton):
    """Local rotations ``[..., T, J, 3, 3]`` and root positions ``[..., T, 3]`` from joint positions
    ``[..., T, J, 3]`` (m). See the module docstring for the twist convention."""
    J = skeleton.num_joints
    if positions.shape[-2:] != (J, 3):
        raise ValueError(f"positions_to_rotations: positions must be [..., T, {J}, 3] for skeleton "
                         f"{skeleton.name!r}, got {list(positions.shape)}")
    P = positions
    _, off = skeleton_consts(skeleton, P.dtype, P.device)
    lead = P.shape[:-2]
    eye = torch.eye(3, dtype=P.dtype, device=P.device).expand(*lead, 3, 3)
    G = [None] * J
    local = [None] * J
    children = [skeleton.children(j) for j in range(J)]
    for j in range(J):
        p = skeleton.parents[j]
        Gp = eye if p < 0 else G[p]
        ch = children[j]
        if len(ch) >= 2:
            idx = int_tensor(ch, P.device, torch.long)  # cached: a Python list index would be copied in per call
            src = off[idx].expand(*lead, len(ch), 3)
            dst = P[..., idx, :] - P[..., j:j + 1, :]
            G[j] = kabsch(src, dst)
        elif len(ch) == 1:
            c = ch[0]
            pred = (Gp @ off[c].view(3, 1)).squeeze(-1).expand(*lead, 3)
            G[j] = rotation_between(pred, P[..., c, :] - P[..., j, :]) @ Gp
        else:
            G[j] = Gp
        local[j] = Gp.transpose(-1, -2) @ G[j]
    return torch.stack(local, dim=-3), P[..., 0, :]


def rescale_positions(positions: torch.Tensor, skeleton: Skeleton) -> torch.Tensor:
    """Same bone directions, ``skeleton``'s bone lengths (top-down from the root)."""
    L = bone_lengths(skeleton, positions.dtype, positions.device)
    out = [positions[..., 0, :]]
    for j in range(1, skeleton.num_joints):
        p = skeleton.parents[j]
        d = _normalize(positions[..., j, :] - positions[..., p, :])
        out.append(out[p] + L[j] * d)
    return torch.stack(out, dim=-2)
