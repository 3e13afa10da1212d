"""FitSpec: everything that decides a fit, checked once at the boundary.

A spec plus a seed fixes the samples, the init and so every number of a run.
It is saved as JSON beside the arrays of a run folder.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from nnfit.errors import SpecError

OPTIMIZERS = ("adam", "sgd")
SPACINGS = ("random", "even")
DTYPES = ("float32", "float64")
INITS = ("range", "normal", "spectrum", "uniform", "siren")

MAX_HIDDEN = 4096
MAX_SAMPLES = 1_000_000
MAX_STEPS = 10_000_000
MAX_SEEDS = 1_000_000
# Widest |x| or |y| nnfit standardises; squares must stay finite in float64.
MAX_MAGNITUDE = 1e100
# One batch's (nets, hidden, samples) tensor, in elements: about 1 GB in
# float32 at the limit. Larger grids go through nnfit.sweep, in chunks.
MAX_BATCH_ELEMENTS = 250_000_000
# Recorded curves, records x nets x grid points: about 1 GB in float32.
MAX_CURVE_ELEMENTS = 250_000_000


@dataclass(frozen=True)
class FitSpec:
    """What to fit and how; the defaults reproduce the article's sigmoid run.

    Attributes:
        target: a built-in curve name or a formula in x; "data" for user data.
        activation: the hidden nodes' activation, a registry name.
        hidden: number of hidden nodes H.
        steps: full-batch optimiser steps.
        lr: learning rate.
        optimizer: "adam" or "sgd".
        samples: number of training samples N.
        noise: standard deviation of the Gaussian noise added to y.
        x_range: training range (low, high); None takes the target's own.
        spacing: "random" (uniform draws, unsorted) or "even".
        extrapolation: width of the extrapolation range, in training ranges.
        seed: the first seed; net b uses seed + b for its samples and init.
        seeds: number of nets B trained together, one per seed.
        init: init scheme; None takes the activation's default.
        record_every: record the curve and parameters every k steps.
        record_curves: record each net's curve (off for large sweeps).
        dtype: "float32" (fast) or "float64" (for reference checks).
        snake_a: snake's starting a, the same for every node; None starts
            each node's wave at the samples' strongest frequency. Kept in
            [0, 100].
        train_snake_a: train snake's a (True) or hold it fixed.
        w0: the scale of the "siren" init, w ~ U(-w0, w0).
        depth: hidden layers of width `hidden`, 1 (the article's) to 3.
        trend: add a learned straight line d x to the output (a periodic
            prior plus trend, for rising series).
    """

    target: str = "sin"
    activation: str = "sigmoid"
    hidden: int = 10
    steps: int = 1000
    lr: float = 0.05
    optimizer: str = "adam"
    samples: int = 50
    noise: float = 0.1
    x_range: tuple[float, float] | None = None
    spacing: str = "random"
    extrapolation: float = 3.0
    seed: int = 0
    seeds: int = 1
    init: str | None = None
    record_every: int = 1
    record_curves: bool = True
    dtype: str = "float32"
    snake_a: float | None = None
    train_snake_a: bool = True
    w0: float = 30.0
    depth: int = 1
    trend: bool = False

    def __post_init__(self) -> None:
        if self.x_range is not None:
            object.__setattr__(self, "x_range", tuple(self.x_range))
        _check(self)

    def replace(self, **changes: Any) -> FitSpec:
        """A copy with some fields changed, checked again."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-ready values."""
        values = asdict(self)
        if self.x_range is not None:
            values["x_range"] = list(self.x_range)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FitSpec:
        """Build a spec from `to_dict` output, naming any unknown field."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SpecError(
                f"unknown spec field(s) {', '.join(unknown)}; "
                f"known fields are: {', '.join(sorted(known))}."
            )
        return cls(**values)


def _check(spec: FitSpec) -> None:
    if not isinstance(spec.target, str):
        raise SpecError(
            f"target must be text (a built-in name or a formula), got {spec.target!r}."
        )
    _check_int(spec.hidden, "hidden", 1, MAX_HIDDEN)
    _check_int(spec.steps, "steps", 1, MAX_STEPS)
    _check_int(spec.samples, "samples", 3, MAX_SAMPLES)
    _check_int(spec.seeds, "seeds", 1, MAX_SEEDS)
    _check_int(spec.seed, "seed", 0, 2**31 - 1)
    _check_int(spec.depth, "depth", 1, 3)
    _check_int(spec.record_every, "record_every", 1, spec.steps)
    if spec.steps % spec.record_every:
        raise SpecError(
            f"record_every={spec.record_every} does not divide steps={spec.steps}; "
            "pick a divisor of steps, such as 1, 10 or 100."
        )

    _check_float(spec.lr, "lr", low=0.0, low_open=True, high=100.0)
    _check_float(spec.noise, "noise", low=0.0, high=1e6)
    _check_float(spec.extrapolation, "extrapolation", low=1.0, high=100.0)
    _check_choice(spec.optimizer, "optimizer", OPTIMIZERS)
    _check_choice(spec.spacing, "spacing", SPACINGS)
    _check_choice(spec.dtype, "dtype", DTYPES)
    _check_float(spec.w0, "w0", low=0.0, low_open=True, high=1e4)
    if spec.snake_a is not None:
        _check_float(spec.snake_a, "snake_a", low=-1e6, high=1e6)
    if spec.init is not None:
        _check_choice(spec.init, "init", INITS)
    if spec.x_range is not None:
        _check_range(spec.x_range)

    # Imported here: the registry imports errors only, never the spec.
    from nnfit.activations import get_activation

    get_activation(spec.activation)


def check_size(spec: FitSpec) -> None:
    """Refuse a fit that would not fit in memory, with the way round.

    Checked when a fit starts, not when a spec is made: a sweep builds large
    specs and turns their curve recording off before it trains them.
    """
    batch = spec.seeds * spec.hidden * spec.samples * spec.depth
    if batch > MAX_BATCH_ELEMENTS:
        raise SpecError(
            f"{spec.seeds} nets x {spec.hidden} nodes x {spec.samples} samples "
            "is too large for one batch; use nnfit.sweep (nnfit sweep), which "
            "trains a grid in chunks, or fewer seeds."
        )
    records = spec.steps // spec.record_every + 1
    # About 400 grid points per training range, times the extrapolation.
    curves = records * spec.seeds * (400 * spec.extrapolation + 1)
    if spec.record_curves and curves > MAX_CURVE_ELEMENTS:
        raise SpecError(
            f"recording curves of {spec.seeds} nets at {records} steps would "
            f"take about {4 * curves / 2**30:.1f} GB; pass record_curves=False, "
            "fewer seeds, or a larger record_every."
        )


def _check_int(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SpecError(f"{name} must be a whole number, got {value!r}.")
    if not low <= value <= high:
        raise SpecError(
            f"{name} must be between {low} and {high}, got {value}; "
            f"pick a value in that range."
        )


def _check_float(
    value: Any, name: str, *, low: float, high: float, low_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(f"{name} must be a number, got {value!r}.")
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        bound = "above" if low_open else "at least"
        raise SpecError(
            f"{name} must be {bound} {low:g} and at most {high:g}, got {value!r}."
        )


def _check_choice(value: Any, name: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SpecError(f"{name} must be one of {', '.join(allowed)}, got {value!r}.")


def _check_range(x_range: tuple[float, ...]) -> None:
    if len(x_range) != 2:
        raise SpecError(
            f"x_range must be two numbers (low, high), got {list(x_range)!r}."
        )
    low, high = x_range
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SpecError(f"x_range must hold numbers, got {value!r}.")
        if not math.isfinite(value):
            raise SpecError(f"x_range must be finite, got {list(x_range)!r}.")
    if not low < high:
        raise SpecError(
            f"x_range must go from low to high, got ({low:g}, {high:g}); "
            "swap the two ends."
        )
    if max(abs(low), abs(high)) > MAX_MAGNITUDE:
        raise SpecError(
            f"x_range ({low:g}, {high:g}) reaches past {MAX_MAGNITUDE:g}; "
            "rescale x, e.g. to thousands or millions."
        )
