"""Public fast ops: validate → dispatch → autograd."""
from .acc_loss import acc_loss, second_difference

__all__ = ["acc_loss", "second_difference"]
