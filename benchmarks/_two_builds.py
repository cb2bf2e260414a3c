"""Load a checkout's ``imusim`` with its own compiled ``_C`` (issue 17's side-by-side scripts): the editable
install's finder is removed, the tree goes first on ``sys.path``, and ``imusim._C`` is loaded from ``so`` before
``imusim`` is imported. Call before importing torch-dependent parts of imusim."""

import importlib.machinery
import importlib.util
import sys


def use_build(tree: str, so: str):
    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__name__.startswith("ScikitBuild")]
    sys.path.insert(0, tree)
    loader = importlib.machinery.ExtensionFileLoader("imusim._C", so)
    spec = importlib.util.spec_from_file_location("imusim._C", so, loader=loader)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules["imusim._C"] = mod
    import imusim

    assert imusim.__file__.startswith(tree), imusim.__file__
    return imusim
