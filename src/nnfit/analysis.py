"""Readings of trained nets, in the user's units: errors, dead units, waves.

Metrics are per net (arrays of shape (B,)):
- train_mse: mean squared error on the training samples;
- r2: 1 - SSE / SST on the training samples (1 is perfect; 0 is no better
  than a flat line at the mean; negative is worse);
- interp_mse: mean squared error against the true curve on the grid inside
  the training range (NaN without a true curve);
- extrap_mse: the same outside the training range, over the extrapolation
  grid;
- dead_units: units whose activation has zero slope on every training sample
  (|f'(w x + b)| < 1e-7): no gradient reaches them, so they never move again;
- heldout_mse: mean squared error on held-out data points (NaN without).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nnfit.activations import Activation
from nnfit.network import first_layer, forward, hidden_outputs, spectrum
from nnfit.samples import Samples
from nnfit.training import use_dtype

DEAD_SLOPE = 1e-7
METRICS = ("train_mse", "r2", "interp_mse", "extrap_mse", "dead_units", "heldout_mse")


def predict(
    params: dict[str, np.ndarray],
    samples: Samples,
    x: np.ndarray,
    activation: Activation,
) -> np.ndarray:
    """Each net's prediction at x (shape (N,) or (B, N)), in y units: (B, N)."""
    u = samples.scaling.x_to_unit(x)
    s = _forward(_as_jax(params), np.asarray(u, _dtype(params)), activation)
    return samples.scaling.y_from_unit(np.asarray(s, np.float64))


def node_contributions(
    params: dict[str, np.ndarray],
    samples: Samples,
    x: np.ndarray,
    activation: Activation,
) -> tuple[np.ndarray, np.ndarray]:
    """Each node's share v_i h_i(x) in y units, (B, H, N), and the offset c, (B,).

    Summed over nodes and plus c (and the trend d x, if the net has one: see
    `trend_line`), the shares give `predict` exactly (up to rounding):
    y = sum_i v_i h_i(x) + c + d x.
    """
    u = samples.scaling.x_to_unit(x)
    h = _hidden(_as_jax(params), np.asarray(u, _dtype(params)), activation)
    y_std = samples.scaling.y_std
    shares = np.asarray(params["v"], np.float64)[:, :, None] * np.asarray(h)
    offset = np.asarray(params["c"], np.float64) * y_std + samples.scaling.y_mean
    if "d" in params:
        # The trend d u = d (x - x_mean) / x_std moves its constant into c.
        scale = samples.scaling
        offset = offset - np.asarray(params["d"]) * y_std * scale.x_mean / scale.x_std
    return shares * y_std[:, None, None], offset


def trend_line(
    params: dict[str, np.ndarray], samples: Samples, x: np.ndarray
) -> np.ndarray | None:
    """The learned straight line d x in y units, (B, N), or None without one."""
    if "d" not in params:
        return None
    scale = samples.scaling
    slope = np.asarray(params["d"], np.float64) * scale.y_std / scale.x_std
    return slope[:, None] * np.broadcast_to(
        np.asarray(x, np.float64), (len(slope),) + np.shape(x)[-1:]
    )


def metrics(
    params: dict[str, np.ndarray], samples: Samples, activation: Activation
) -> dict[str, np.ndarray]:
    """Every metric of METRICS for each net, in the user's units, shape (B,).

    A diverged net keeps its last finite parameters, whose curve may still
    be too large to square: its errors are then inf, without a warning.
    """
    with np.errstate(over="ignore"):
        return _metrics(params, samples, activation)


def _metrics(params, samples: Samples, activation: Activation) -> dict:
    fitted = predict(params, samples, samples.x, activation)
    residual = fitted - samples.y
    sse = np.sum(residual**2, axis=1)
    sst = np.sum((samples.y - samples.y.mean(axis=1, keepdims=True)) ** 2, axis=1)

    result = {
        "train_mse": sse / samples.x.shape[1],
        "r2": 1.0 - sse / np.where(sst > 0, sst, np.nan),
        "interp_mse": np.full(samples.nets, np.nan),
        "extrap_mse": np.full(samples.nets, np.nan),
        "dead_units": dead_units(params, samples, activation),
        "heldout_mse": np.full(samples.nets, np.nan),
    }
    if samples.test_x is not None:
        held = predict(params, samples, samples.test_x, activation)
        result["heldout_mse"] = np.mean((held - samples.test_y) ** 2, axis=1)
    if samples.truth is not None:
        curve = predict(params, samples, samples.grid, activation)
        error = (curve - samples.truth) ** 2
        result["interp_mse"] = error[:, samples.inside].mean(axis=1)
        if np.any(~samples.inside):
            result["extrap_mse"] = error[:, ~samples.inside].mean(axis=1)
    return result


def dead_units(
    params: dict[str, np.ndarray], samples: Samples, activation: Activation
) -> np.ndarray:
    """Count, per net, the units with zero slope on every training sample."""
    slopes = np.abs(np.asarray(unit_slopes(params, samples, activation)))
    return np.sum(np.all(slopes < DEAD_SLOPE, axis=2), axis=1)


def unit_slopes(
    params: dict[str, np.ndarray], samples: Samples, activation: Activation
) -> np.ndarray:
    """f'(w_i u + b_i) at every training sample, shape (B, H, N)."""
    u = samples.scaling.x_to_unit(samples.x)
    u = np.asarray(u, _dtype(params))
    return np.asarray(_slopes(_as_jax(params), u, activation))


@functools.partial(jax.jit, static_argnums=2)
def _slopes(params, u, activation):
    z, extra = first_layer(params, u, activation)
    # f is elementwise, so a forward-mode derivative along ones is f'(z).
    _, slope = jax.jvp(
        lambda value: activation(value, **extra), (z,), (jnp.ones_like(z),)
    )
    return slope


# Compiled once per shape: eager JAX would compile every operation apart.
_forward = jax.jit(forward, static_argnums=2)
_hidden = jax.jit(hidden_outputs, static_argnums=2)


@dataclass(frozen=True)
class Wave:
    """What one periodic node learned: amplitude * f(frequency * x + phase).

    In the user's units, with frequency >= 0, amplitude >= 0 and phase in
    (-pi, pi]; period = 2 pi / frequency.
    """

    frequency: float
    phase: float
    amplitude: float

    @property
    def period(self) -> float:
        return 2 * np.pi / self.frequency if self.frequency > 0 else np.inf


def waves(
    user_params: dict[str, np.ndarray],
    net: int,
    activation: str,
    by_amplitude: bool = True,
) -> list[Wave]:
    """Read each node of a cos or sin net as a wave, sorted by amplitude.

    cos is even, so (w, b) and (-w, -b) are the same wave; a negative
    amplitude is a half-period shift: v cos(t) = |v| cos(t + pi). sin is odd:
    sin(-t) = -sin(t), and -sin(t) = sin(t + pi).

    Args:
        user_params: parameters in the user's units (`to_user_units`).
        net: which net of the batch.
        activation: "cos" or "sin".
        by_amplitude: largest amplitude first (True) or in node order.

    Returns:
        One Wave per node.
    """
    w = np.asarray(user_params["w"][net], np.float64)
    b = np.asarray(user_params["b"][net], np.float64)
    v = np.asarray(user_params["v"][net], np.float64)

    flip = w < 0
    w, b = np.where(flip, -w, w), np.where(flip, -b, b)
    if activation == "sin":
        v = np.where(flip, -v, v)
    b = np.where(v < 0, b + np.pi, b)
    phase = np.pi - np.mod(np.pi - b, 2 * np.pi)

    found = [
        Wave(float(f), float(p), float(a))
        for f, p, a in zip(w, phase, abs(v), strict=False)
    ]
    if not by_amplitude:
        return found
    return sorted(found, key=lambda wave: -wave.amplitude)


def _dtype(params: dict[str, np.ndarray]) -> np.dtype:
    return np.asarray(params["w"]).dtype


def _as_jax(params: dict[str, np.ndarray]) -> dict[str, jax.Array]:
    # A float64 run computes in float64, as it trained: x64 on, as fit does it.
    use_dtype(str(_dtype(params)))
    # One transfer for all: a jnp.asarray each would dispatch apart.
    return jax.device_put({key: np.asarray(value) for key, value in params.items()})


# A fit succeeds when its error against the true curve on the training range
# is below this fraction of the curve's own variance there (R^2 > 0.95).
SUCCESS_FRACTION = 0.05


def succeeded(
    run_metrics: dict[str, np.ndarray],
    samples: Samples,
    fraction: float = SUCCESS_FRACTION,
) -> np.ndarray:
    """Per net, whether interp_mse < fraction * variance of the true curve.

    The variance is taken over the grid inside the training range, so the
    criterion reads the same for any curve and any units. Without a true
    curve (user data) it falls back to R^2 on the samples > 1 - fraction.

    Returns:
        Booleans, shape (B,).
    """
    if samples.truth is None:
        return run_metrics["r2"] > 1 - fraction
    variance = np.var(samples.truth[samples.inside])
    return run_metrics["interp_mse"] < fraction * variance


def frequency_found(
    user_params: dict[str, np.ndarray],
    activation: str,
    frequency: float,
    tolerance: float = 0.02,
) -> np.ndarray:
    """Per net, whether its largest-amplitude wave has the given frequency.

    Args:
        user_params: parameters in the user's units, w of shape (B, H).
        activation: "cos" or "sin".
        frequency: the target's angular frequency, in radians per x unit.
        tolerance: allowed relative error.

    Returns:
        Booleans, shape (B,).
    """
    nets = np.asarray(user_params["w"]).shape[0]
    found = [waves(user_params, net, activation)[0].frequency for net in range(nets)]
    return np.abs(np.asarray(found) / frequency - 1) <= tolerance


def kinks(user_params: dict[str, np.ndarray], net: int) -> np.ndarray:
    """Where each ReLU node bends, x = -b_i / w_i in the user's units, sorted.

    A node with w_i = 0 never bends and is left out.
    """
    w = np.asarray(user_params["w"][net], np.float64)
    b = np.asarray(user_params["b"][net], np.float64)
    moving = w != 0
    return np.sort(-b[moving] / w[moving])


def negligible_units(
    shares: np.ndarray, samples: Samples, fraction: float = 0.01
) -> np.ndarray:
    """Per net and node, whether its contribution barely moves the output.

    A node is negligible when the spread (standard deviation) of its share
    v_i h_i(x) over the training range is below `fraction` of the spread of
    the training y: removing it would change the curve by less than that.

    Args:
        shares: node contributions on samples.grid, shape (B, H, G).
        samples: the samples, for the training range and y.
        fraction: the threshold, relative to std(y).

    Returns:
        Booleans, shape (B, H).
    """
    spread = shares[:, :, samples.inside].std(axis=2)
    return spread < fraction * samples.y.std(axis=1)[:, None]


def sample_spectrum(
    samples: Samples, net: int = 0, count: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The samples' own spectrum: amplitude against angular frequency.

    A periodogram for unevenly spaced x after removing a straight line: the
    amplitude 2 |sum_j r_j exp(-i k x_j)| / N of the detrended samples r at
    each k, from one period per range up to the mean spacing's Nyquist
    frequency, in the user's units (radians per x unit). A pure A sin(k x)
    gives amplitude A at k.

    Args:
        samples: the samples.
        net: which net's samples.
        count: grid points; None steps a quarter of a peak's width.

    Returns:
        (frequencies (count,), amplitudes (count,)).
    """
    x = samples.x[net]
    frequencies, sums = spectrum(x, samples.y[net], count)
    return frequencies, 2 * np.abs(sums) / len(x)


def diagnose_flat_fit(run_like: Any, net: int = 0) -> list[str]:
    """Likely causes of a flat fit (R^2 near 0) that nnfit can check.

    Args:
        run_like: a Run (spec, samples, params, metrics, activation).
        net: which net.

    Returns:
        Sentences, one per likely cause found; empty when R^2 >= 0.1.
    """
    if not run_like.metrics["r2"][net] < 0.1:
        return []
    spec, samples = run_like.spec, run_like.samples
    causes = []
    dead = int(run_like.metrics["dead_units"][net])
    if dead:
        causes.append(f"{dead} of {spec.hidden} units are dead (never active).")

    slopes = np.abs(unit_slopes(run_like.params, samples, run_like.activation))
    saturated = int(np.sum(np.all(slopes[net] < 1e-3, axis=1))) - dead
    if saturated > 0:
        causes.append(f"{saturated} units are saturated (slope below 1e-3).")

    wiggles = count_wiggles(samples, net)
    if not run_like.activation.periodic and wiggles > 2 * spec.hidden:
        causes.append(
            f"the data turn {wiggles} times, more than {spec.hidden} nodes can follow."
        )
    if run_like.activation.periodic:
        causes.extend(_frequency_gap(run_like, net))
    if not causes:
        causes.append("no unit problem found: try more steps or a larger lr.")
    return causes


def count_wiggles(samples: Samples, net: int = 0) -> int:
    """How many times the curve turns (local extrema) in the training range.

    Uses the true curve where known, else the samples sorted by x and
    smoothed over five neighbours, so noise does not count as turns.
    """
    if samples.truth is not None:
        y = samples.truth[samples.inside]
    else:
        order = np.argsort(samples.x[net])
        y = np.convolve(samples.y[net][order], np.ones(5) / 5, mode="valid")
    steps = np.sign(np.diff(y))
    steps = steps[steps != 0]
    return int(np.sum(steps[1:] != steps[:-1]))


def _frequency_gap(run_like, net: int) -> list[str]:
    frequencies, amplitudes = sample_spectrum(run_like.samples, net)
    peak = frequencies[np.argmax(amplitudes)]
    learned = np.abs(run_like.user_params["w"][net])
    if np.min(np.abs(learned / peak - 1)) > 0.2:
        return [
            f"no node's frequency is within 20% of the data's strongest, "
            f"{peak:.3g} rad per x unit."
        ]
    return []


def data_notes(samples: Samples, hidden: int, periodic: bool) -> list[str]:
    """Warnings about the data that a person should read before the results.

    - far more turns in the range than nodes to make them (non-periodic);
    - x spacing near float32 resolution (the engine standardises x in
      float64 first, so the fit holds, but raw float32 x would not);
    - a constant y, which can only fit a flat line.
    """
    notes = []
    wiggles = count_wiggles(samples)
    if not periodic and wiggles > 2 * hidden:
        notes.append(
            f"the curve turns {wiggles} times in the training range but the net "
            f"has {hidden} nodes; expect a rough fit, or use more nodes."
        )
    x = np.unique(samples.x[0])
    if x.size > 1:
        spacing = np.min(np.diff(x))
        # Fewer than 16 float32 steps between neighbours.
        if spacing < 16 * np.finfo(np.float32).eps * np.max(np.abs(x)):
            notes.append(
                f"x values are as close as {spacing:.3g} at magnitude "
                f"{np.max(np.abs(x)):.3g}, near float32 resolution; nnfit "
                "standardises x in float64 first, so the fit is unaffected."
            )
    if np.all(samples.y == samples.y[:, :1]):
        notes.append("y is constant: the net can only fit a flat line.")
    return notes


def linear_pieces(x: np.ndarray, y: np.ndarray, tolerance: float = 1e-6) -> int:
    """Count the straight pieces of a piecewise-linear curve sampled on a grid.

    Slopes between neighbours change where a kink falls between two grid
    points; neighbouring changes belong to one kink, so each run of changes
    counts once. Pieces = kinks + 1.

    Args:
        x: sorted grid, shape (G,).
        y: the curve on it, shape (G,).
        tolerance: relative slope change that counts as a kink.

    Returns:
        The number of linear pieces seen on the grid.
    """
    slopes = np.diff(y) / np.diff(x)
    scale = max(np.max(np.abs(slopes)), 1e-300)
    bends = np.abs(np.diff(slopes)) > tolerance * scale
    starts = bends & ~np.concatenate([[False], bends[:-1]])
    return int(np.sum(starts)) + 1
