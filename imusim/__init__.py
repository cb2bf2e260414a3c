"""imusim: text → motion → virtual IMU, with fused kernels and the acceleration loss L_acc.

Quick start::

    import imusim
    loss = imusim.acc_loss(pred, target, mask)          # L_acc, any training loop
    imusim.backends("cpu")                              # ['cpp', 'torch']
"""

from ._backend import backends
from .ops import acc_loss, second_difference
from . import losses

__version__ = "0.1.0"

__all__ = ["acc_loss", "second_difference", "backends", "losses", "__version__"]
