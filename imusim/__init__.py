"""imusim: text → motion → virtual IMU, with fused kernels and the acceleration loss L_acc.

Quick start::

    import imusim
    loss = imusim.acc_loss(pred, target, mask)          # L_acc, any training loop
    imusim.backends("cpu")                              # ['cpp', 'torch']
"""

import importlib as _importlib

from ._backend import backends
from .ops import acc_loss, second_difference
from . import losses

__version__ = "0.1.0"

# Heavier parts are imported on first use: name -> (module, attribute)
_LAZY = {
    "forward_kinematics": ("imusim.ops.fk", "forward_kinematics"),
    "synthesize_imu": ("imusim.imu", "synthesize_imu"),
    "Skeleton": ("imusim.kinematics.skeleton", "Skeleton"),
    "Sensor": ("imusim.imu", "Sensor"),
    "Motion": ("imusim.motion.clip", "Motion"),
    "kinematics": ("imusim.kinematics", None),
    "imu": ("imusim.imu", None),
    "data": ("imusim.data", None),
    "motion": ("imusim.motion", None),
}


def __getattr__(name):
    if name in _LAZY:
        mod, attr = _LAZY[name]
        m = _importlib.import_module(mod)
        return m if attr is None else getattr(m, attr)
    raise AttributeError(f"module 'imusim' has no attribute {name!r}")


__all__ = ["acc_loss", "second_difference", "backends", "losses", "__version__", *_LAZY]
