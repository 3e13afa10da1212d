"""The activation registry: name -> function, whether it is periodic, its init.

The activation is the prior: it decides what shape each hidden node adds to
the curve. Each entry knows its formula (for `nnfit list activations`), whether
it is periodic (periodic units get frequency-aware inits and Fourier readings),
and whether its units can die (an exactly flat region, as ReLU's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    """

    name: str
    fn: ActivationFn
    formula: str
    periodic: bool = False
    init: str = "range"
    can_die: bool = False

    def __call__(self, z: jax.Array) -> jax.Array:
        return self.fn(z)


def _relu(z: jax.Array) -> jax.Array:
    return jnp.maximum(z, 0.0)


_BUILT_IN = (
    Activation("sigmoid", jax.nn.sigmoid, "1 / (1 + exp(-z))"),
    Activation("tanh", jnp.tanh, "tanh(z)"),
    Activation("relu", _relu, "max(z, 0)", can_die=True),
    Activation("cos", jnp.cos, "cos(z)", periodic=True, init="spectrum"),
)

ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {activation.name: activation for activation in _BUILT_IN}
)


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
