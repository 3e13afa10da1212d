"""The activation registry: name -> function, whether it is periodic, its init.

The activation is the prior: it decides what shape each hidden node adds to
the curve. Each entry knows its formula (for `nnfit list activations`), whether
it is periodic (periodic units get frequency-aware inits and Fourier readings),
whether its units can die (an exactly flat region, as ReLU's), and any
per-node parameters of its own (snake's a), with their start and range.

Two entries answer questions the article leaves open:

- snake, z + sin^2(a z) / a (Liu Ziyin et al., 2020), is computed as
  z + z g(a z) with g(t) = sin^2(t) / t, taken from its Taylor series t - t^3/3
  where |t| < 1e-3: the same function written so that a = 0 is no special
  case. It is the identity there, and its value and gradients are finite for
  every a of either sign, however small. a is trained per node and kept in
  [0, 100] (standardised units) after every step.
- saw, a periodic ramp through a modulo: t = (z / (2 pi) + 1/2) mod 1 rises
  from -1 to 1 over the first 3/4 of each period 2 pi and falls back over the
  last 1/4. Autodiff differentiates mod as the identity (slope 1), so each
  parameter gets the gradient of the line it sits on. With a vertical jump
  (a pure sawtooth) that gradient never sees the jumps, which have zero
  width: the phase b then only moves the ramps up and down like the offset
  c, and nothing pulls the jumps into place. Measured on sin(x) over 20
  seeds started within 2% of frequency 1, the pure sawtooth drifted away
  in every seed. The quarter-period fall gives the drop a slope, and with it
  a gradient for phase and frequency: this is how autodiff learns a periodic
  ReLU's frequency, the question the article left open. How often it
  succeeds is measured in the demo, not promised here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import jax
import jax.numpy as jnp

from nnfit.errors import SpecError

ActivationFn = Callable[[jax.Array], jax.Array]


@dataclass(frozen=True)
class Activation:
    """One activation function f and what nnfit knows about it.

    Attributes:
        name: the registry key, as typed on the command line.
        fn: the elementwise function f(z), written with jax.numpy.
        formula: f(z) in plain text, for listings and docs.
        periodic: True for waves (cos, sin): their units learn a frequency.
        init: the init scheme used by default: "range" places each unit's
            transition inside the data; "spectrum" starts periodic units at
            the samples' strongest frequencies.
        can_die: True when f has a flat region where its gradient is exactly
            zero, so a unit can stop learning for good.
        extra: per-node parameters of f itself, name -> starting value.
        bounds: the range each extra parameter is kept in, name -> (low, high).
    """

    name: str
    fn: ActivationFn
    formula: str
    periodic: bool = False
    init: str = "range"
    can_die: bool = False
    extra: Mapping[str, float] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __call__(self, z: jax.Array, **extra: jax.Array) -> jax.Array:
        return self.fn(z, **extra)

    def __hash__(self) -> int:
        return hash((self.name, self.fn))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return (self.name, self.fn) == (other.name, other.fn)


def _relu(z: jax.Array) -> jax.Array:
    return jnp.maximum(z, 0.0)


def _leaky_relu(z: jax.Array) -> jax.Array:
    return jnp.where(z > 0, z, 0.01 * z)


def _gaussian(z: jax.Array) -> jax.Array:
    return jnp.exp(-(z**2))


# cos and sin from + and * alone. XLA:CPU computes jnp.cos and jnp.sin one
# element at a time, about 8 ns each, while the rest of a training step
# vectorises to well under 1 ns per element: cos nets trained ten times
# slower than sigmoid nets. Split z = q pi + r with integer q and |r| <= pi/2
# (pi in three parts, the first two short enough that q times them is exact),
# then cos z = (-1)^q cos r and sin z = (-1)^q sin r, each a Taylor
# polynomial in r long enough for the dtype's rounding. |z| beyond about
# 2e5 keeps r bounded but loses its digits, as float32 itself does there.
_PI_PARTS = (3.140625, 9.67502593994140625e-4, 1.509957990978376432e-7)


def _half_turns(z: jax.Array) -> tuple[jax.Array, jax.Array]:
    """r and (-1)^q for z = q pi + r, |r| <= pi / 2 (give or take rounding)."""
    q = jnp.round(z * (1 / jnp.pi))
    r = z
    for part in _PI_PARTS:
        r = r - q * part
    sign = 1 - 2 * (q - 2 * jnp.floor(q / 2))
    # Rounding z / pi may pick the neighbouring q, leaving r a little past
    # pi/2 (the polynomials hold there); the clip only bounds r, so that a
    # huge z gives a value in [-1, 1] rather than an overflowing polynomial.
    return jnp.clip(r, -2.0, 2.0), sign


def _taylor(r: jax.Array, first: int, last: int) -> jax.Array:
    """1 - r^2 / (first (first + 1)) (1 - ... (1 - r^2 / ((last - 1) last)))."""
    r2, p = r * r, 1.0
    for k in range(last, first, -2):
        p = 1 - r2 * (1 / (k * (k - 1))) * p
    return p


def _wide(z: jax.Array) -> bool:
    return jnp.finfo(z.dtype).bits > 32


def _float(z: jax.Array) -> jax.Array:
    """z as a float array, as jnp.cos takes integers and Python numbers."""
    z = jnp.asarray(z)
    return z if jnp.issubdtype(z.dtype, jnp.inexact) else z.astype(float)


def _cos(z: jax.Array) -> jax.Array:
    # Truncation error below (pi/2)^14 / 14! = 6e-9 in float32, 2e-17 in float64.
    z = _float(z)
    r, sign = _half_turns(z)
    return sign * _taylor(r, 0, 22 if _wide(z) else 12)


def _sin(z: jax.Array) -> jax.Array:
    # Truncation error below 7e-10 in float32, 1e-18 in float64.
    z = _float(z)
    r, sign = _half_turns(z)
    return sign * r * _taylor(r, 1, 21 if _wide(z) else 13)


def _snake(z: jax.Array, a: jax.Array) -> jax.Array:
    # sin^2(a z) / a = z g(a z) with g(t) = sin^2(t) / t, and g(t) ~ t - t^3 / 3
    # near 0. The branch not taken gets a safe argument, so that neither the
    # value nor any gradient meets 0 / 0, whatever a is.
    t = a * z
    small = jnp.abs(t) < 1e-3
    t_safe = jnp.where(small, 1.0, t)
    g = jnp.where(small, t - t**3 / 3, _sin(t_safe) ** 2 / t_safe)
    return z + z * g


SAW_FALL = 0.25


def _saw(z: jax.Array) -> jax.Array:
    # t runs from 0 to 1 over each period 2 pi, starting at z = -pi.
    t = jnp.mod(z / (2 * jnp.pi) + 0.5, 1.0)
    rise = 2 * t / (1 - SAW_FALL) - 1
    fall = 1 - 2 * (t - (1 - SAW_FALL)) / SAW_FALL
    return jnp.where(t < 1 - SAW_FALL, rise, fall)


SNAKE_A_RANGE = (0.0, 100.0)

_BUILT_IN = (
    Activation("sigmoid", jax.nn.sigmoid, "1 / (1 + exp(-z))"),
    Activation("tanh", jnp.tanh, "tanh(z)"),
    Activation("relu", _relu, "max(z, 0)", can_die=True),
    Activation("leaky_relu", _leaky_relu, "max(z, 0.01 z)"),
    Activation("softplus", jax.nn.softplus, "log(1 + exp(z))"),
    Activation("gelu", jax.nn.gelu, "z Phi(z) (tanh approximation)"),
    Activation("gaussian", _gaussian, "exp(-z^2)"),
    Activation("sin", _sin, "sin(z)", periodic=True, init="spectrum"),
    Activation("cos", _cos, "cos(z)", periodic=True, init="spectrum"),
    Activation(
        "snake",
        _snake,
        "z + sin^2(a z) / a, a per node",
        periodic=True,
        extra={"a": 1.0},
        bounds={"a": SNAKE_A_RANGE},
    ),
    Activation(
        "saw",
        _saw,
        "ramp up over 3/4 of each period 2pi, down over 1/4, via mod",
        periodic=True,
        init="spectrum",
    ),
)

_REGISTRY: dict[str, Activation] = {a.name: a for a in _BUILT_IN}
ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(_REGISTRY)


def register_activation(
    name: str,
    fn: ActivationFn,
    *,
    formula: str = "user function",
    periodic: bool = False,
    can_die: bool = False,
) -> Activation:
    """Add a user-supplied activation f(z), written with jax.numpy.

    Args:
        name: the registry key; must not shadow a built-in.
        fn: elementwise f(z) on JAX arrays, differentiable by jax.grad.
        formula: f(z) in words, for listings.
        periodic: True for waves: starts nodes at the data's frequencies.
        can_die: True if f has flat regions with zero slope.

    Returns:
        The registered Activation; pass its name as `activation=`.

    Example:
        >>> register_activation("square", lambda z: z**2).name
        'square'
    """
    if name in {a.name for a in _BUILT_IN}:
        raise SpecError(f"activation {name!r} is built in; pick another name.")
    if not callable(fn):
        raise SpecError(f"activation {name!r} needs a callable f(z), got {fn!r}.")
    init = "spectrum" if periodic else "range"
    activation = Activation(name, fn, formula, periodic, init, can_die)
    _REGISTRY[name] = activation
    return activation


def get_activation(name: str) -> Activation:
    """Look up an activation by name.

    Args:
        name: a registry key such as "sigmoid", "relu" or "cos".

    Returns:
        The registered Activation.

    Example:
        >>> get_activation("cos").periodic
        True
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        allowed = ", ".join(ACTIVATIONS)
        raise SpecError(
            f"activation {name!r} is not known; use one of: {allowed}."
        ) from None
