"""pytest configuration for the benchmarks (not part of the test suite: ``testpaths = tests``).

Run them explicitly, e.g.::

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \
        .venv/bin/python -m pytest benchmarks/bench_acc_loss.py --benchmark-group-by=param:case

Files named ``bench_*.py`` are collected as test modules here (pytest's default pattern is test_*.py).
"""

from __future__ import annotations

import os

import pytest
import torch

if not torch.cuda.is_available():  # the Triton interpreter is a test tool, never a benchmark provider
    os.environ.pop("TRITON_INTERPRET", None)


def pytest_collect_file(parent, file_path):
    # files named on the command line are collected by pytest itself
    if (file_path.suffix == ".py" and file_path.name.startswith("bench_")
            and not parent.session.isinitpath(file_path)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
