"""scripts/wrist_term_floor.py's pairing: items constant within their group pay nothing, independent draws of spread
sigma pay 2 sigma^2, singletons are left out, and every pair stays inside its group."""

import numpy as np
import pytest

from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def floor():
    return load_script("wrist_term_floor").floor_from_pairs


def test_constant_groups_have_no_floor(floor):
    v = np.array([1.0, 1.0, 1.0, 5.0, 5.0, 9.0])
    got = floor(v, ["a", "a", "a", "b", "b", "c"])
    assert got == {"floor": 0.0, "paired": 5, "groups": 2}  # the singleton c is left out


def test_independent_draws_pay_twice_the_variance(floor):
    rng = np.random.default_rng(1)
    sigma = 0.3
    groups = np.repeat(np.arange(200), 20)
    v = rng.normal(0, sigma, groups.size) + 10 * groups  # far-apart group means: a cross-group pair would show
    got = floor(v, groups.tolist())
    assert got["floor"] == pytest.approx(2 * sigma ** 2, rel=0.08)
    assert got["paired"] == groups.size and got["groups"] == 200
