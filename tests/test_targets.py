"""Built-in targets: finite where they are shown, equal to their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnfit.errors import SpecError
from nnfit.samples import make_grid
from nnfit.targets import ARTICLE_RANGE, TARGETS, Target, get_target

NAMES = (
    "sin",
    "cos",
    "square",
    "sawtooth",
    "triangle",
    "abs",
    "step",
    "sinc",
    "gaussian",
    "cubic",
    "xsin",
    "sin_trend",
    "damped",
    "two_freq",
)

# Hand-written values g(x) at a few points, worked out with the math module.
POINTS = {
    "sin": [(0.0, 0.0), (math.pi / 2, 1.0), (-math.pi / 6, -0.5)],
    "cos": [(0.0, 1.0), (math.pi, -1.0), (math.pi / 3, 0.5)],
    "square": [(1.0, 1.0), (-1.0, -1.0), (4.0, -1.0), (7.0, 1.0)],
    "sawtooth": [
        (0.0, 0.0),
        (math.pi / 2, 0.5),
        (-math.pi / 2, -0.5),
        (4.0, -0.726760),
    ],
    "triangle": [(0.0, 0.0), (math.pi / 2, 1.0), (math.pi / 4, 0.5), (math.pi, 0.0)],
    "abs": [(-1.5, 1.5), (0.0, 0.0), (2.0, 2.0)],
    "step": [(-0.5, 0.0), (0.0, 1.0), (2.0, 1.0)],
    "sinc": [(0.0, 1.0), (math.pi, 0.0), (math.pi / 2, 2 / math.pi)],
    "gaussian": [(0.0, 1.0), (1.0, math.exp(-0.5)), (-2.0, math.exp(-2.0))],
    "cubic": [(0.0, 0.0), (1.0, 0.0), (-1.5, -1.875), (0.5, -0.375)],
    "xsin": [(0.0, 0.0), (math.pi / 2, math.pi / 2), (-math.pi / 2, math.pi / 2)],
    "sin_trend": [(0.0, 0.0), (math.pi / 2, 1 + 0.15 * math.pi), (-1.0, -1.141471)],
    "damped": [(0.0, 0.0), (math.pi / 4, math.exp(-0.15 * math.pi / 4))],
    "two_freq": [(0.0, 0.0), (math.pi / 2, 0.5), (math.pi / 6, 1.0)],
}


def test_registry_lists_the_built_ins_in_order():
    assert tuple(TARGETS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_names_are_lower_case_identifiers(name):
    assert name.isidentifier() and name == name.lower()


@pytest.mark.parametrize("name", NAMES)
def test_description_is_one_line(name):
    description = TARGETS[name].description
    assert description and "\n" not in description and len(description) < 70


@pytest.mark.parametrize("name", NAMES)
def test_range_is_increasing_and_finite(name):
    low, high = TARGETS[name].x_range
    assert math.isfinite(low) and math.isfinite(high) and low < high


@pytest.mark.parametrize("name", NAMES)
def test_finite_with_the_right_shape_on_the_extrapolation_grid(name):
    target = TARGETS[name]
    # The grid spans three training ranges and holds both ends of the range.
    grid, _ = make_grid(target.x_range, 3.0)
    y = target(grid)
    assert y.shape == grid.shape and y.dtype == np.float64
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", NAMES)
def test_keeps_a_two_dimensional_shape(name):
    x = np.linspace(*TARGETS[name].x_range, 12).reshape(3, 4)
    assert TARGETS[name](x).shape == (3, 4)


@pytest.mark.parametrize("name", NAMES)
def test_varies_on_its_range(name):
    target = TARGETS[name]
    y = target(np.linspace(*target.x_range, 201))
    assert y.max() - y.min() > 0.5


@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [(name, x, y) for name, points in POINTS.items() for x, y in points],
)
def test_matches_its_formula(name, x, expected):
    assert TARGETS[name](np.array([x]))[0] == pytest.approx(expected, abs=1e-6)


def test_every_built_in_has_hand_written_points():
    assert set(POINTS) == set(NAMES)


def test_sawtooth_rises_linearly_within_a_period():
    x = np.linspace(-3.0, 3.0, 7)
    np.testing.assert_allclose(TARGETS["sawtooth"](x), x / math.pi, atol=1e-12)


def test_periodic_targets_repeat_every_two_pi():
    x = np.linspace(-2.9, 2.9, 30)
    for name in ("sin", "cos", "square", "sawtooth", "triangle", "two_freq"):
        np.testing.assert_allclose(
            TARGETS[name](x + 2 * np.pi), TARGETS[name](x), atol=1e-9, err_msg=name
        )


def test_sin_keeps_the_article_range():
    assert TARGETS["sin"].x_range == ARTICLE_RANGE


def test_get_target_returns_the_built_in():
    assert get_target("damped") is TARGETS["damped"]


def test_get_target_parses_a_formula():
    target = get_target("sin(x) + 0.3*x")
    x = np.array([0.0, 1.0, -2.0])
    np.testing.assert_allclose(target(x), np.sin(x) + 0.3 * x)
    assert target.x_range == ARTICLE_RANGE


def test_get_target_refuses_an_empty_text():
    with pytest.raises(SpecError, match="sawtooth"):
        get_target("  ")


def test_target_broadcasts_a_constant():
    target = Target("one", lambda x: 1.0)
    assert target(np.zeros(4)).tolist() == [1.0] * 4
