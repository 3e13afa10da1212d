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

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from nnfit.activations import Activation
from nnfit.network import forward, hidden_outputs
from nnfit.samples import Samples

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
    s = forward(_as_jax(params), jnp.asarray(u, _dtype(params)), activation)
    return samples.scaling.y_from_unit(np.asarray(s, np.float64))


def node_contributions(
    params: dict[str, np.ndarray],
    samples: Samples,
    x: np.ndarray,
    activation: Activation,
) -> tuple[np.ndarray, np.ndarray]:
    """Each node's share v_i h_i(x) in y units, (B, H, N), and the offset c, (B,).

    Summed over nodes and plus c, the shares give `predict` exactly (up to
    rounding): y = sum_i v_i h_i(x) + c.
    """
    u = samples.scaling.x_to_unit(x)
    h = hidden_outputs(_as_jax(params), jnp.asarray(u, _dtype(params)), activation)
    y_std = samples.scaling.y_std
    shares = np.asarray(params["v"], np.float64)[:, :, None] * np.asarray(h)
    offset = np.asarray(params["c"], np.float64) * y_std + samples.scaling.y_mean
    return shares * y_std[:, None, None], offset


def metrics(
    params: dict[str, np.ndarray], samples: Samples, activation: Activation
) -> dict[str, np.ndarray]:
    """Every metric of METRICS for each net, in the user's units, shape (B,)."""
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
    jparams = _as_jax(params)
    z = jparams["w"][:, :, None] * jnp.asarray(u, _dtype(params))[:, None, :]
    z = z + jparams["b"][:, :, None]
    extra = {name: jparams[name][:, :, None] for name in activation.extra}
    # f is elementwise, so a forward-mode derivative along ones is f'(z).
    _, slope = jax.jvp(
        lambda value: activation(value, **extra), (z,), (jnp.ones_like(z),)
    )
    return np.asarray(slope)


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


def waves(user_params: dict[str, np.ndarray], net: int, activation: str) -> list[Wave]:
    """Read each node of a cos or sin net as a wave, sorted by amplitude.

    cos is even, so (w, b) and (-w, -b) are the same wave; a negative
    amplitude is a half-period shift: v cos(t) = |v| cos(t + pi). sin is odd:
    sin(-t) = -sin(t), and -sin(t) = sin(t + pi).

    Args:
        user_params: parameters in the user's units (`to_user_units`).
        net: which net of the batch.
        activation: "cos" or "sin".

    Returns:
        One Wave per node, largest amplitude first.
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
    return sorted(found, key=lambda wave: -wave.amplitude)


def _dtype(params: dict[str, np.ndarray]) -> np.dtype:
    return np.asarray(params["w"]).dtype


def _as_jax(params: dict[str, np.ndarray]) -> dict[str, jax.Array]:
    return {key: jnp.asarray(value) for key, value in params.items()}


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
