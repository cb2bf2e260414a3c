"""Triton kernels (GPU; CPU tensors only under ``TRITON_INTERPRET=1`` for testing)."""
