"""The package's import structure (scripts/check_structure.py): no import circle, no import that points
up the layers of docs/design.md, every package placed in a layer."""

from pathlib import Path

from tests.scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    return load_script("check_structure")


def test_no_import_circle_and_no_upward_import():
    r = _tool().check(ROOT / "imusim")
    assert r["modules"] > 50
    assert r["cycles"] == [], r["cycles"]
    assert r["upward"] == [], r["upward"]
    assert r["unlayered"] == [], r["unlayered"]


def test_the_checker_finds_a_circle_and_an_upward_import(tmp_path):
    """The tool itself on a constructed package: a -> b -> a is a circle, ops importing generate points up."""
    pkg = tmp_path / "imusim"
    for d in ("ops", "generate", "kinematics"):
        (pkg / d).mkdir(parents=True)
        (pkg / d / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "kinematics" / "a.py").write_text("from . import b\n")
    (pkg / "kinematics" / "b.py").write_text("def f():\n    from .a import x\n")
    (pkg / "ops" / "o.py").write_text("from ..generate import g\n")
    (pkg / "generate" / "g.py").write_text("import imusim.ops.o\n")
    r = _tool().check(pkg)
    assert [c["modules"] for c in r["cycles"]] == [["imusim.generate.g", "imusim.ops.o"],
                                                   ["imusim.kinematics.a", "imusim.kinematics.b"]]
    assert r["upward"] == ["imusim.ops.o [2] -> imusim.generate.g [4]"]
