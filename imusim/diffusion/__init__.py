"""Text-to-motion diffusion (MDM-style) and L_acc fine-tuning."""
from .gaussian import GaussianDiffusion, cosine_betas
from .model import MDM, MDMConfig
from .text import TextEncoder, get_text_encoder

__all__ = ["GaussianDiffusion", "cosine_betas", "MDM", "MDMConfig", "TextEncoder", "get_text_encoder"]
