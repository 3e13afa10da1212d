"""Targets: the true curves y = g(x) that the nets learn from noisy samples.

A target is a built-in curve (with a range that shows it well) or a formula
typed by the user, parsed by `nnfit.expression` and never passed to eval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from nnfit.errors import SpecError

# sin(x) on [-3 pi, 3 pi] has 7 monotone stretches between its 6 extrema; a
# sigmoid node makes one smooth step, so about 7 nodes are needed: the article's
# count. The same range holds 3 whole periods for the periodic priors.
ARTICLE_RANGE = (-3 * np.pi, 3 * np.pi)


@dataclass(frozen=True)
class Target:
    """A true curve y = g(x), evaluated in float64 on NumPy arrays.

    Attributes:
        name: the built-in name or the formula's text.
        fn: g, elementwise on float64 arrays.
        x_range: the training range that shows the curve well.
        description: one line for `nnfit list targets`.
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    x_range: tuple[float, float] = ARTICLE_RANGE
    description: str = ""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = np.asarray(self.fn(x), dtype=np.float64)
        return np.broadcast_to(y, x.shape).copy()


# Periodic targets share sin's period 2 pi and the article's range, so each
# shows three whole periods and a periodic prior can continue them.
_BUILT_IN = (
    Target("sin", np.sin, description="sin(x), the article's target"),
    Target("cos", np.cos, description="cos(x)"),
    Target(
        "square",
        lambda x: np.sign(np.sin(x)),
        description="square wave sign(sin(x)), period 2 pi",
    ),
    Target(
        "sawtooth",
        # A ramp from -1 up to 1 over each period, dropping back at x = pi + 2 pi k.
        lambda x: np.mod(x + np.pi, 2 * np.pi) / np.pi - 1,
        description="sawtooth wave rising from -1 to 1, period 2 pi",
    ),
    Target(
        "triangle",
        # Straight lines through sin's zeros and extrema: (2 / pi) arcsin(sin x).
        lambda x: 2 / np.pi * np.arcsin(np.sin(x)),
        description="triangle wave with sin's peaks and zeros, period 2 pi",
    ),
    Target("abs", np.abs, (-2.0, 2.0), "|x|, one kink"),
    Target(
        "step",
        lambda x: np.where(x >= 0, 1.0, 0.0),
        (-3.0, 3.0),
        "unit step: 0 for x < 0, 1 for x >= 0",
    ),
    Target(
        "sinc",
        # NumPy's sinc is sin(pi t) / (pi t), so t = x / pi gives sin(x) / x.
        lambda x: np.sinc(x / np.pi),
        (-10.0, 10.0),
        "sin(x) / x, 1 at x = 0",
    ),
    Target(
        "gaussian",
        lambda x: np.exp(-(x**2) / 2),
        (-4.0, 4.0),
        "Gaussian bump exp(-x^2 / 2)",
    ),
    Target("cubic", lambda x: x**3 - x, (-1.5, 1.5), "x^3 - x"),
    Target(
        "xsin",
        lambda x: x * np.sin(x),
        description="x sin(x), a wave whose amplitude grows with |x|",
    ),
    Target(
        "sin_trend",
        lambda x: np.sin(x) + 0.3 * x,
        description="sin(x) + 0.3 x, a wave on a linear trend",
    ),
    Target(
        "damped",
        # The envelope falls from 1 to 0.15 over the range and stays below
        # 6.6 on the extrapolation grid, so plots of the truth stay readable.
        lambda x: np.exp(-0.15 * x) * np.sin(2 * x),
        (0.0, 4 * np.pi),
        "damped sine exp(-0.15 x) sin(2 x)",
    ),
    Target(
        "two_freq",
        lambda x: np.sin(x) + 0.5 * np.sin(3 * x),
        description="sin(x) + 0.5 sin(3 x), two frequencies",
    ),
)

TARGETS: Mapping[str, Target] = MappingProxyType({t.name: t for t in _BUILT_IN})


def get_target(text: str) -> Target:
    """Resolve a built-in target name or a formula in x.

    Args:
        text: a built-in name such as "sin", or a formula such as
            "sin(x) + 0.3*x" in nnfit's safe expression language.

    Returns:
        The Target; a formula gets the article's range by default.

    Example:
        >>> get_target("sin(2*x)")(np.array([0.0]))
        array([0.])
    """
    if text in TARGETS:
        return TARGETS[text]
    if not text.strip():
        names = ", ".join(TARGETS)
        raise SpecError(
            f"target is empty; give a built-in name ({names}) or a formula in x."
        )

    from nnfit.expression import parse

    expression = parse(text)
    return Target(text, expression, description="user formula")
