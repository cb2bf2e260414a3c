"""Naive pure-PyTorch reference implementations of every imusim op.

They are the truth in tests and the ``torch`` backend. Kept short and readable on purpose.
"""
from .acc_loss import acc_loss, second_difference

__all__ = ["acc_loss", "second_difference"]
