"""Bulk generation of labelled virtual-IMU windows (sharded HDF5 store)."""
from .store import WindowDataset, WindowStore, finalize, load

__all__ = ["load", "WindowStore", "WindowDataset", "finalize"]
