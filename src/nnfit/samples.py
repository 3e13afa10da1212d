"""Samples: the training set, the dense grid and the scaling, per net.

Every net b in a batch has its own samples (seed + b draws them), so arrays
that differ between nets carry a leading axis of size B. The grid is shared:
it spans the extrapolation range, sorted, and holds the training range inside.
x and y are standardised for the engine with float64 statistics; everything a
person sees is mapped back to their units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnfit.errors import DataError, ShapeError
from nnfit.targets import Target

# Points of the grid inside the training range; the wide grid keeps that density.
GRID_INSIDE = 250


@dataclass(frozen=True)
class Scaling:
    """Per-net standardisation u = (x - x_mean) / x_std, s = (y - y_mean) / y_std.

    Attributes:
        x_mean, x_std, y_mean, y_std: arrays of shape (B,), float64.
    """

    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray

    def x_to_unit(self, x: np.ndarray) -> np.ndarray:
        """Map x, shape (B, N) or (N,) shared by all nets, to (B, N) units."""
        return (np.asarray(x) - self.x_mean[:, None]) / self.x_std[:, None]

    def y_to_unit(self, y: np.ndarray) -> np.ndarray:
        """Map y of shape (B, N) to standardised units."""
        return (np.asarray(y) - self.y_mean[:, None]) / self.y_std[:, None]

    def y_from_unit(self, s: np.ndarray) -> np.ndarray:
        """Map standardised outputs (..., B, N) back to the user's units."""
        return np.asarray(s) * self.y_std[:, None] + self.y_mean[:, None]


@dataclass(frozen=True)
class Samples:
    """Training samples for B nets and the grids on which curves are drawn.

    Attributes:
        x, y: training samples, shape (B, N), in the order drawn (unsorted).
        x_range: the training range (low, high).
        grid: sorted x over the extrapolation range, shape (G,).
        inside: boolean mask of grid points inside the training range, (G,).
        truth: the true curve on the grid, shape (G,), or None for data.
        scaling: the per-net standardisation.
        noise: the noise standard deviation added to the samples (0 for data).
        test_x, test_y: held-out points (M,) that the nets never see, used
            to judge extrapolation on real data; None when there are none.
    """

    x: np.ndarray
    y: np.ndarray
    x_range: tuple[float, float]
    grid: np.ndarray
    inside: np.ndarray
    truth: np.ndarray | None
    scaling: Scaling
    noise: float
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None

    @property
    def nets(self) -> int:
        return self.x.shape[0]


def draw_samples(
    target: Target,
    *,
    count: int,
    x_range: tuple[float, float],
    noise: float,
    seeds: np.ndarray,
    spacing: str = "random",
    extrapolation: float = 3.0,
) -> Samples:
    """Draw noisy samples of a target, one set per seed.

    Args:
        target: the true curve.
        count: samples per net, N.
        x_range: training range (low, high).
        noise: Gaussian noise standard deviation, in y units.
        seeds: one integer seed per net, shape (B,).
        spacing: "random" (uniform, unsorted) or "even".
        extrapolation: width of the grid in training ranges.

    Returns:
        Samples with x, y of shape (B, N).
    """
    low, high = x_range
    xs, ys = [], []
    for seed in np.asarray(seeds).ravel():
        rng = np.random.default_rng(int(seed))
        if spacing == "even":
            x = np.linspace(low, high, count)
        else:
            x = rng.uniform(low, high, count)
        y = target(x) + noise * rng.standard_normal(count)
        xs.append(x)
        ys.append(y)

    x, y = np.stack(xs), np.stack(ys)
    _check_finite_targets(target, x, y)
    _check_magnitude(y, f"target {target.name!r}")
    grid, inside = make_grid(x_range, extrapolation)
    truth = target(grid)
    return Samples(x, y, (low, high), grid, inside, truth, fit_scaling(x, y), noise)


def samples_from_data(
    x: np.ndarray,
    y: np.ndarray,
    *,
    nets: int = 1,
    extrapolation: float = 3.0,
    x_range: tuple[float, float] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
) -> Samples:
    """Use a person's own measurements as the training set of every net.

    Args:
        x, y: 1-D arrays of equal length N, finite.
        nets: how many nets (seeds) share these samples.
        extrapolation: width of the grid in training ranges.
        x_range: training range; None takes the data's min and max.
        test: held-out (x, y), 1-D arrays, judged but never trained on; the
            grid is widened to cover them.

    Returns:
        Samples with x, y tiled to shape (nets, N) and no true curve.
    """
    x, y = check_pair(x, y)
    low, high = x_range or (float(x.min()), float(x.max()))
    if not low < high:
        raise DataError(
            f"all x values are equal ({low:g}); a curve needs at least two "
            "distinct x values."
        )

    x_b, y_b = np.tile(x, (nets, 1)), np.tile(y, (nets, 1))
    test_x, test_y = (None, None) if test is None else _check_test(*test)
    grid, inside = make_grid((low, high), extrapolation, test_x)
    scaling = fit_scaling(x_b, y_b)
    return Samples(
        x_b, y_b, (low, high), grid, inside, None, scaling, 0.0, test_x, test_y
    )


def _check_test(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if np.iscomplexobj(x) or np.iscomplexobj(y):
        raise DataError("x and y must be real numbers, not complex ones.")
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ShapeError(
            f"held-out x has shape {x.shape} and y has shape {y.shape}; give "
            "both as non-empty 1-D arrays of the same length."
        )
    return x.astype(np.float64), y.astype(np.float64)


def check_pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check user arrays x, y: 1-D, equal length, at least 3, finite.

    A column (N, 1) beside a row (N,) is refused rather than broadcast to N by
    N, which would silently fit every x to every y.
    """
    x, y = np.asarray(x), np.asarray(y)
    if np.iscomplexobj(x) or np.iscomplexobj(y):
        raise DataError("x and y must be real numbers, not complex ones.")
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ShapeError(
            f"x has shape {x.shape} and y has shape {y.shape}; give both as 1-D "
            "arrays of the same length (for a column use .ravel())."
        )
    if x.shape[0] < 3:
        raise DataError(f"got {x.shape[0]} samples; a fit needs at least 3.")
    try:
        x, y = x.astype(np.float64), y.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError("x and y must hold numbers.") from None

    for name, values in (("x", x), ("y", y)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise DataError(
                f"{name} holds a non-finite value ({values[bad[0]]}) at index "
                f"{bad[0]}; drop or fix such rows before fitting."
            )
        _check_magnitude(values, name)
    return x, y


def _check_magnitude(values: np.ndarray, name: str) -> None:
    """Refuse values whose squares would overflow while standardising."""
    from nnfit.spec import MAX_MAGNITUDE

    largest = float(np.max(np.abs(values)))
    if largest > MAX_MAGNITUDE:
        raise DataError(
            f"{name} reaches {largest:.3g}, past the {MAX_MAGNITUDE:g} nnfit can "
            f"standardise; rescale {name} (divide by a power of ten) first."
        )


def make_grid(
    x_range: tuple[float, float],
    extrapolation: float,
    also: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A sorted grid over the extrapolation range and its inside-range mask.

    The grid keeps GRID_INSIDE points across the training range and the same
    density outside; `also` widens it to cover those x values too.
    """
    low, high = x_range
    centre, half = (low + high) / 2, (high - low) / 2
    start, stop = centre - half * extrapolation, centre + half * extrapolation
    if also is not None:
        start, stop = min(start, float(also.min())), max(stop, float(also.max()))
    count = int(np.ceil(GRID_INSIDE * (stop - start) / (high - low))) + 1
    grid = np.linspace(start, stop, count)
    # The training range's own ends are always on the grid.
    grid = np.unique(np.concatenate([grid, [low, high]]))
    inside = (grid >= low) & (grid <= high)
    return grid, inside


def fit_scaling(x: np.ndarray, y: np.ndarray) -> Scaling:
    """Per-net mean and standard deviation of x and y, shape (B,) each."""
    x_std = x.std(axis=1)
    if np.any(x_std == 0):
        raise DataError(
            "all training x values are equal; a curve needs distinct x values."
        )
    y_std = y.std(axis=1)
    # A constant y still fits (to a flat line); scale by 1 rather than 0.
    y_std = np.where(y_std > 0, y_std, 1.0)
    return Scaling(x.mean(axis=1), x_std, y.mean(axis=1), y_std)


def _check_finite_targets(target: Target, x: np.ndarray, y: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(y.ravel()))
    if bad.size:
        at = x.ravel()[bad[0]]
        raise DataError(
            f"target {target.name!r} is not finite at x = {at:g}; choose a "
            "training range where it is defined."
        )
