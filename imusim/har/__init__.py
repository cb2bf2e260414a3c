"""Human activity recognition: train on synthetic IMU windows, test on real recordings."""
from .evaluate import evaluate, write_report
from .real import IMUSet, harmonise, load_basicmotions, load_csv, load_npz

__all__ = ["evaluate", "write_report", "IMUSet", "harmonise", "load_basicmotions", "load_npz", "load_csv"]
