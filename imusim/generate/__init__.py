"""Bulk generation of labelled virtual-IMU windows (sharded HDF5 store).

``generate(GenerateConfig(...))`` runs the whole pipeline (imusim/generate/pipeline.py); ``load(DIR)`` reads a
store back."""
from .pipeline import GenerateConfig, GenerateSummary, generate
from .store import WindowDataset, WindowStore, finalize, load

__all__ = ["generate", "GenerateConfig", "GenerateSummary", "load", "WindowStore", "WindowDataset", "finalize"]
