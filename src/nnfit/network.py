"""B independent one-hidden-layer nets held as one parameter pytree.

    h_i = f(w_i u + b_i)        s = sum_i v_i h_i + c

Parameters live in standardised units (u for x, s for y); `to_user_units`
rewrites them so the same formula holds in the person's own x and y.
Shapes: w, b, v: (B, H); c: (B,); inputs u: (B, N). An activation with
per-node parameters of its own (snake's a) adds them as (B, H) arrays.

Deeper nets (depth 2 or 3, for the article's closing remark) add layers of
equal width, h_l = f(W_l h_{l-1} + b_l) with W_l: (B, H, H) and b_l: (B, H),
named "W2", "b2", "W3", "b3". The output stays y = sum_i v_i h_i + c over the
last layer, so the node decomposition holds for the last layer's nodes.

With a trend, a learned straight line d u joins the output (d: (B,)): a
periodic prior plus a trend, for series such as CO2 that rise while they
oscillate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from nnfit.activations import Activation
from nnfit.errors import SpecError
from nnfit.samples import Samples

Params = dict[str, jnp.ndarray]


def forward(params: Params, u: jnp.ndarray, activation: Activation) -> jnp.ndarray:
    """The nets' outputs s, shape (B, N), for inputs u of shape (B, N).

    u may also be (B, ...): any sample axes after the first, as training's
    blocked layout (B, K, 32) uses; s then has u's shape.
    """
    # v_i h_i summed over i, without building (B, H, N) twice.
    h = hidden_outputs(params, u, activation)
    s = jnp.sum(_per_sample(params["v"], u) * h, axis=1) + _per_sample(params["c"], u)
    if "d" in params:
        s = s + _per_sample(params["d"], u) * u
    return s


def hidden_outputs(
    params: Params, u: jnp.ndarray, activation: Activation
) -> jnp.ndarray:
    """Each last-layer node's output h_i(u), shape (B, H, N)."""
    z, extra = first_layer(params, u, activation)
    h = activation(z, **extra)
    for layer in range(2, depth(params) + 1):
        # h_l = f(W_l h_{l-1} + b_l), W_l: (B, H, H).
        z = jnp.einsum("bij,bj...->bi...", params[f"W{layer}"], h)
        h = activation(z + _per_sample(params[f"b{layer}"], u), **extra)
    return h


def first_layer(
    params: Params, u: jnp.ndarray, activation: Activation
) -> tuple[jnp.ndarray, dict[str, jnp.ndarray]]:
    """z = w u + b, (B, H, N), and the activation's own parameters, (B, H, 1).

    For u of shape (B, ...), z is (B, H, ...) and each parameter (B, H, 1, ...).
    """
    w, b = _per_sample(params["w"], u), _per_sample(params["b"], u)
    z = w * u[:, None] + b
    extra = {name: _per_sample(params[name], u) for name in activation.extra}
    return z, extra


def _per_sample(value: jnp.ndarray, u: jnp.ndarray) -> jnp.ndarray:
    """A per-net (B,) or per-node (B, H) value, with a length-1 axis for each
    sample axis of u (B, ...), ready to broadcast against it."""
    return value.reshape(value.shape + (1,) * (u.ndim - 1))


def depth(params: Params) -> int:
    """Number of hidden layers of a parameter set."""
    return 1 + sum(1 for key in params if key.startswith("W"))


def contributions(
    params: Params, u: jnp.ndarray, activation: Activation
) -> jnp.ndarray:
    """Each node's share v_i h_i(u) of the output, shape (B, H, N).

    Summed over H and plus c it is exactly `forward`.
    """
    return _per_sample(params["v"], u) * hidden_outputs(params, u, activation)


def init_params(
    scheme: str,
    hidden: int,
    samples: Samples,
    seeds: np.ndarray,
    activation: Activation | None = None,
    start: Mapping[str, float] | None = None,
    w0: float = 30.0,
    layers: int = 1,
    trend: bool = False,
) -> dict[str, np.ndarray]:
    """Initial parameters in standardised units, float64, one net per seed.

    Args:
        scheme: "range" puts each node's transition (step, kink) at a random
            training x; "normal" draws w, b from N(0, 1); "spectrum" starts
            periodic nodes at the samples' strongest frequencies; "uniform"
            draws w, b from U(-1, 1) in the user's units (the plain init);
            "siren" draws w from U(-w0, w0) and b from U(-pi, pi) (Sitzmann
            et al., 2020: first-layer weights scaled by w0).
        hidden: nodes per net, H.
        samples: the training samples, whose x the init looks at.
        seeds: one seed per net, shape (B,).
        activation: adds its own per-node parameters (snake's a).
        start: starting values for those, name -> value, clipped into the
            activation's bounds; None takes its defaults.
        w0: the SIREN scale.
        layers: hidden layers, 1 to 3; layers past the first start with
            W ~ N(0, 1 / H) (2 / H for ReLU) and b ~ N(0, 0.1^2).
        trend: add a learned straight line d u to the output, d = 0 at start.

    Returns:
        w, b, v of shape (B, H), c of shape (B,), and any extra (B, H).
    """
    maker = _SCHEMES.get(scheme)
    if maker is None:
        raise SpecError(
            f"init {scheme!r} is not known; use one of: {', '.join(_SCHEMES)}."
        )

    nets = []
    u_all = samples.scaling.x_to_unit(samples.x)
    s_all = samples.scaling.y_to_unit(samples.y)
    for index, seed in enumerate(np.asarray(seeds).ravel()):
        # A stream of its own, apart from the one that drew the samples.
        rng = np.random.default_rng([int(seed), 1])
        data = _NetData(
            u=u_all[index],
            s=s_all[index],
            x_mean=samples.scaling.x_mean[index],
            x_std=samples.scaling.x_std[index],
        )
        nets.append(maker(rng, hidden, data, w0))
    params = {key: np.stack([net[key] for net in nets]) for key in "wbvc"}
    params.update(_deep_layers(seeds, hidden, layers, activation))
    if trend:
        params["d"] = np.zeros(len(params["c"]))
    if activation is not None:
        params.update(_extra_params(activation, start or {}, params["w"].shape))
        if "a" in activation.extra and not (start and "a" in start):
            params["a"] = _snake_start(activation, params["w"], samples)
    return params


def _snake_start(activation: Activation, w: np.ndarray, samples: Samples):
    """snake's a per node: its wave sin^2(a z) / a, of frequency 2 a w in u,
    starts at the samples' strongest frequency."""
    low, high = activation.bounds["a"]
    u = samples.scaling.x_to_unit(samples.x)
    s = samples.scaling.y_to_unit(samples.y)
    peaks = np.array([_strongest(u[net], s[net]) for net in range(len(u))])
    safe_w = np.maximum(np.abs(w), 1e-6)
    return np.clip(peaks[:, None] / (2 * safe_w), low, high)


def _strongest(u: np.ndarray, s: np.ndarray) -> float:
    # The first peak start_frequencies picks is the strongest; no jitter.
    return float(_peaks(u, s)[0][0])


def _deep_layers(seeds, hidden: int, layers: int, activation) -> dict:
    if layers == 1:
        return {}
    gain = 2.0 if activation is not None and activation.can_die else 1.0
    deep: dict[str, list] = {}
    for seed in np.asarray(seeds).ravel():
        rng = np.random.default_rng([int(seed), 2])
        for layer in range(2, layers + 1):
            scale = np.sqrt(gain / hidden)
            deep.setdefault(f"W{layer}", []).append(
                rng.normal(0, scale, (hidden, hidden))
            )
            deep.setdefault(f"b{layer}", []).append(rng.normal(0, 0.1, hidden))
    return {key: np.stack(value) for key, value in deep.items()}


def _extra_params(activation: Activation, start, shape) -> dict[str, np.ndarray]:
    extra = {}
    for name, default in activation.extra.items():
        low, high = activation.bounds.get(name, (-np.inf, np.inf))
        value = float(np.clip(start.get(name, default), low, high))
        extra[name] = np.full(shape, value)
    return extra


@dataclass(frozen=True)
class _NetData:
    # One net's standardised samples u, s: (N,), and its x scaling.
    u: np.ndarray
    s: np.ndarray
    x_mean: float
    x_std: float


def _range_init(rng, hidden, data, w0):
    # Transition points t_i inside the data; slopes of either sign.
    t = rng.uniform(data.u.min(), data.u.max(), hidden)
    w = rng.choice([-1.0, 1.0], hidden) * rng.uniform(1.0, 3.0, hidden)
    return _with_output(rng, hidden, w, -w * t)


def _normal_init(rng, hidden, data, w0):
    return _with_output(rng, hidden, rng.normal(size=hidden), rng.normal(size=hidden))


def _uniform_user_init(rng, hidden, data, w0):
    # U(-1, 1) in the user's x: the plain init of a net fed raw inputs.
    w_user = rng.uniform(-1.0, 1.0, hidden)
    b_user = rng.uniform(-1.0, 1.0, hidden)
    w = w_user * data.x_std
    return _with_output(rng, hidden, w, b_user + w_user * data.x_mean)


def _spectrum_init(rng, hidden, data, w0):
    # Frequencies in units of u; phase uniform over a period.
    w = start_frequencies(rng, data.u, data.s, hidden)
    b = rng.uniform(-np.pi, np.pi, hidden)
    return _with_output(rng, hidden, w, b)


def _siren_init(rng, hidden, data, w0):
    w = rng.uniform(-w0, w0, hidden)
    return _with_output(rng, hidden, w, rng.uniform(-np.pi, np.pi, hidden))


def _with_output(rng, hidden, w, b):
    v = rng.normal(size=hidden) / np.sqrt(hidden)
    return {"w": w, "b": b, "v": v, "c": np.zeros(())}


def start_frequencies(
    rng: np.random.Generator, u: np.ndarray, s: np.ndarray, hidden: int
) -> np.ndarray:
    """Starting frequencies for periodic nodes: the samples' strongest peaks.

    The periodogram P(k) = |sum_j (s_j - mean s) exp(-i k u_j)|^2 is scanned
    from half a period over the range up to the samples' Nyquist frequency.
    Node i starts at the i-th highest peak, jittered by 2%; nodes beyond the
    peaks found start at random frequencies in the same band.

    Args:
        rng: the net's random stream.
        u: standardised training x, shape (N,).
        s: standardised training y, shape (N,).
        hidden: nodes, H.

    Returns:
        Frequencies in units of u, shape (H,).
    """
    peaks, (low, high) = _peaks(u, s)
    chosen = peaks[:hidden]
    extra = rng.uniform(low, high / 2, hidden - len(chosen))
    frequencies = np.concatenate([chosen, extra])
    return frequencies * (1 + 0.02 * rng.standard_normal(hidden))


def _peaks(u: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Periodogram peaks of (u, s), strongest first, and the band scanned."""
    k, sums = spectrum(u, s)
    power = np.abs(sums) ** 2
    low, high = k[0], k[-1]

    is_peak = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    peaks = k[1:-1][is_peak][np.argsort(-power[1:-1][is_peak])]
    if peaks.size == 0:
        peaks = k[[np.argmax(power)]]
    return peaks, (low, high)


def spectrum(
    x: np.ndarray, y: np.ndarray, count: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Angular frequencies k and sums_j r_j exp(-i k x_j) of the detrended y.

    A straight line is removed first, so a trend does not pose as the lowest
    frequency. k runs from half a period per range up to the mean spacing's
    Nyquist frequency, stepping a quarter of a peak's width, pi / (4 span),
    unless `count` fixes the number of points.
    """
    span = x.max() - x.min()
    low, high = np.pi / span, np.pi * len(x) / span
    if count is None:
        count = int(min(max(512, 4 * span * (high - low) / np.pi), 20_000))
    k = np.linspace(low, high, count)
    return k, periodogram(x, detrend(x, y), k)


def detrend(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y less its least-squares straight line in x."""
    slope, intercept = np.polyfit(x, y, 1)
    return y - (slope * x + intercept)


def periodogram(x: np.ndarray, y: np.ndarray, k: np.ndarray) -> np.ndarray:
    """sum_j y_j exp(-i k x_j) for each k, in blocks to bound memory."""
    sums = np.empty(k.shape, complex)
    block = max(1, 2_000_000 // max(len(x), 1))
    for start in range(0, len(k), block):
        part = k[start : start + block]
        sums[start : start + block] = np.exp(-1j * part[:, None] * x[None, :]) @ y
    return sums


_SCHEMES = {
    "range": _range_init,
    "normal": _normal_init,
    "uniform": _uniform_user_init,
    "spectrum": _spectrum_init,
    "siren": _siren_init,
}


def to_user_units(
    params: dict[str, np.ndarray], samples: Samples
) -> dict[str, np.ndarray]:
    """Rewrite parameters so y = sum_i v_i f(w_i x + b_i) + c in the user's units.

    With u = (x - x_mean) / x_std and y = y_std s + y_mean:
    w' = w / x_std, b' = b - w x_mean / x_std, v' = y_std v, c' = y_std c + y_mean;
    a trend d u becomes d' x with d' = y_std d / x_std, and c' loses d' x_mean.

    Args:
        params: w, b, v of shape (..., B, H) and c of shape (..., B), in
            standardised units (a leading history axis is allowed).
        samples: the samples whose scaling the net was trained with.

    Returns:
        The same keys, float64, in the user's units.
    """
    scale = samples.scaling
    x_mean, x_std = scale.x_mean[:, None], scale.x_std[:, None]
    w = np.asarray(params["w"], np.float64)
    user = {key: np.asarray(value, np.float64) for key, value in params.items()}
    # Parameters of f itself (snake's a) act on z = w x + b: they stay as they are.
    user.update(
        w=w / x_std,
        b=user["b"] - w * x_mean / x_std,
        v=user["v"] * scale.y_std[:, None],
        c=user["c"] * scale.y_std + scale.y_mean,
    )
    if "d" in user:
        user["d"] = user["d"] * scale.y_std / scale.x_std
        user["c"] = user["c"] - user["d"] * scale.x_mean
    return user
