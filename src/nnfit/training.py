"""Training: full-batch optimiser steps for B nets as one compiled program.

One `lax.scan` runs every step of every net; the recorder is the scan's output
(the loss at every step, and every k-th step the parameters and the curve on
the grid), so no Python runs between steps. Nets are independent: the loss is
a sum of per-net means, so each net's gradient is its own, and Adam and SGD
act elementwise. A divergence guard freezes a net at its first non-finite
loss and keeps its last finite parameters.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from nnfit.activations import Activation
from nnfit.errors import ShapeError
from nnfit.network import Params, forward

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class History:
    """What the recorder kept, in standardised units.

    Attributes:
        loss: per-net mean squared error after t updates, shape (T + 1, B).
        steps: the step of each record, shape (R,).
        params: w, b, v of shape (R, B, H) and c of shape (R, B).
        curves: each net's output on the grid, shape (R, B, G), or None.
    """

    loss: np.ndarray
    steps: np.ndarray
    params: dict[str, np.ndarray]
    curves: np.ndarray | None


@dataclass(frozen=True)
class Outcome:
    """The end of training.

    Attributes:
        params: final parameters (the last finite ones for a diverged net).
        history: the records.
        diverged_at: per net, the step whose loss was first non-finite, or -1.
    """

    params: dict[str, np.ndarray]
    history: History
    diverged_at: np.ndarray


def mse(predictions: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean squared error over the last axis, after checking equal shapes.

    Args:
        predictions: shape (..., N).
        targets: the same shape as predictions.

    Returns:
        The mean over N, shape (...).

    Example:
        >>> float(mse(jnp.zeros(3), jnp.ones(3)))
        1.0
    """
    check_shapes(predictions.shape, targets.shape)
    return jnp.mean((predictions - targets) ** 2, axis=-1)


def check_shapes(predictions: tuple[int, ...], targets: tuple[int, ...]) -> None:
    """Refuse predictions and targets of different shapes, naming both."""
    if tuple(predictions) != tuple(targets):
        raise ShapeError(
            f"predictions have shape {tuple(predictions)} but targets have shape "
            f"{tuple(targets)}; they must match exactly (reshape one of them, "
            "e.g. with .ravel(), rather than relying on broadcasting)."
        )


def make_optimizer(name: str, lr: float | jax.Array) -> optax.GradientTransformation:
    """The optax optimiser for a name: "adam" or "sgd"."""
    if name == "adam":
        return optax.adam(lr)
    if name == "sgd":
        return optax.sgd(lr)
    raise NotImplementedError(f"optimizer {name!r} is not supported; use adam or sgd.")


class Trainer:
    """Holds the training state of B nets and advances it in compiled chunks.

    Args:
        params: initial w, b, v (B, H) and c (B,), standardised units.
        u, s: standardised training inputs and targets, shape (B, N).
        grid: standardised grid for recorded curves, shape (B, G), or None.
        activation: the hidden nodes' activation.
        optimizer: "adam" or "sgd".
        dtype: "float32" or "float64".

    Example:
        >>> trainer = Trainer(params, u, s, grid, get_activation("tanh"), "adam")
        >>> history = trainer.advance(100, record_every=10, lr=0.01)
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        u: np.ndarray,
        s: np.ndarray,
        grid: np.ndarray | None,
        activation: Activation,
        optimizer: str = "adam",
        dtype: str = "float32",
        frozen: tuple[str, ...] = (),
    ) -> None:
        use_dtype(dtype)
        kind = np.float64 if dtype == "float64" else np.float32
        check_shapes(np.shape(u), np.shape(s))
        u, s, real = blocked(np.asarray(u, kind), np.asarray(s, kind))
        grid = None if grid is None else np.asarray(grid, kind)
        start = {key: np.asarray(value, kind) for key, value in params.items()}
        # One transfer for all: a jnp.asarray each would dispatch apart.
        self.u, self.s, self.real, self.grid, start = jax.device_put(
            (u, s, real, grid, start)
        )
        self.activation, self.optimizer = activation, optimizer
        self.frozen = tuple(frozen)
        self.state = _start(start, optimizer)

    @property
    def step(self) -> int:
        return int(self.state[5])

    @property
    def params(self) -> Params:
        """The current parameters; a diverged net's last finite ones."""
        return _current(self.state)

    @property
    def diverged_at(self) -> np.ndarray:
        return np.asarray(self.state[4])

    def record(self) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """The current parameters and curves, as the recorder stores them."""
        params, curves = _snapshot(self.state, self.grid, self.activation)
        return _numpy(params), None if curves is None else np.asarray(curves)

    def advance(self, steps: int, record_every: int, lr: float) -> History:
        """Train `steps` more steps; record every `record_every`-th one.

        Returns the loss after each step taken (steps, B) and the records
        made after each block of `record_every` steps.
        """
        program = _program(
            self.activation,
            self.optimizer,
            steps // record_every,
            record_every,
            self.frozen,
        )
        lr = np.asarray(lr, self.u.dtype)
        self.state, (loss, params, curves) = program(
            self.state, lr, self.u, self.s, self.real, self.grid
        )
        loss = np.asarray(loss).reshape(steps, -1)
        first = self.step - steps
        recorded = np.arange(first + record_every, first + steps + 1, record_every)
        curves = None if curves is None else np.asarray(curves)
        return History(loss, recorded, _numpy(params), curves)

    def final_loss(self) -> np.ndarray:
        """Per-net loss at the current parameters; marks fresh divergence."""
        self.state, loss = _finish(
            self.state, self.u, self.s, self.real, self.activation
        )
        return np.asarray(loss)


# The state's small steps, compiled: eager JAX would dispatch each operation
# apart, which costs more than a whole short fit.


@functools.partial(jax.jit, static_argnums=1)
def _start(params: Params, optimizer: str) -> tuple:
    nets = params["c"].shape[0]
    return (
        params,
        make_optimizer(optimizer, 0.0).init(params),
        params,
        jnp.ones(nets, bool),
        jnp.full(nets, -1, jnp.int32),
        jnp.zeros((), jnp.int32),
    )


@jax.jit
def _current(state: tuple) -> Params:
    params, _, good, alive, _, _ = state
    return _keep_alive(alive, params, good)


@functools.partial(jax.jit, static_argnums=2)
def _snapshot(state: tuple, grid: jax.Array | None, activation: Activation):
    params = _current(state)
    return params, _curves(params, grid, activation)


@functools.partial(jax.jit, static_argnums=4)
def _finish(state: tuple, u, s, real, activation: Activation):
    params, opt, good, alive, diverged, step = state
    loss = _losses(params, u, s, real, activation)
    broke = alive & ~jnp.isfinite(loss)
    diverged = jnp.where(broke, step, diverged)
    return (params, opt, good, alive & ~broke, diverged, step), loss


def train(
    params: dict[str, np.ndarray],
    u: np.ndarray,
    s: np.ndarray,
    grid: np.ndarray | None,
    activation: Activation,
    *,
    optimizer: str = "adam",
    lr: float = 0.05,
    steps: int = 1000,
    record_every: int = 1,
    dtype: str = "float32",
    frozen: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> Outcome:
    """Train B nets for `steps` full-batch steps and record their history.

    Args:
        params: initial w, b, v (B, H) and c (B,), standardised units.
        u, s: standardised training inputs and targets, shape (B, N).
        grid: standardised grid for the recorded curves, (B, G), or None.
        activation: the hidden nodes' activation.
        optimizer: "adam" or "sgd".
        lr: learning rate.
        steps: number of steps; a multiple of record_every.
        record_every: record parameters and curves every k steps.
        dtype: "float32" or "float64".
        frozen: names of parameters held fixed (e.g. ("a",) for snake).
        progress: called with (steps done, steps in all) between chunks.

    Returns:
        The final parameters, the history and where each net diverged.
    """
    trainer = Trainer(params, u, s, grid, activation, optimizer, dtype, frozen)
    first_params, first_curves = trainer.record()
    records = steps // record_every
    parts = _chunks(records, 20 if progress else 1)

    histories = []
    for part in parts:
        histories.append(trainer.advance(part * record_every, record_every, lr))
        if progress:
            progress(trainer.step, steps)

    final = trainer.final_loss()
    history = _join(first_params, first_curves, histories, final)
    diverged_at = trainer.diverged_at
    return Outcome(_numpy(trainer.params), _mask(history, diverged_at), diverged_at)


def use_dtype(dtype: str) -> None:
    """Make JAX able to compute in the dtype; float64 needs x64 switched on."""
    if dtype == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    _use_compile_cache()


@functools.cache
def _use_compile_cache() -> None:
    # Compiled programs persist across processes, so a second run skips XLA.
    if jax.config.jax_compilation_cache_dir:
        return
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = Path(os.environ.get("NNFIT_CACHE_DIR", default / "nnfit" / "jax"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@functools.cache
def _program(
    activation: Activation,
    optimizer: str,
    records: int,
    record_every: int,
    frozen: tuple[str, ...],
) -> Callable:
    """The compiled chunk: `records` blocks of `record_every` steps each."""

    def per_net_loss(params, u, s, real):
        losses = _losses(params, u, s, real, activation)
        return jnp.sum(losses), losses

    def one_step(lr, u, s, real, carry, _):
        params, opt_state, good, alive, diverged, step = carry
        gradient = jax.value_and_grad(per_net_loss, has_aux=True)
        (_, loss), grads = gradient(params, u, s, real)
        finite = jnp.isfinite(loss)
        good = _keep_alive(alive & finite, params, good)
        diverged = jnp.where(alive & ~finite, step, diverged)
        alive = alive & finite

        grads = {k: jnp.zeros_like(g) if k in frozen else g for k, g in grads.items()}
        updates, opt_state = make_optimizer(optimizer, lr).update(
            grads, opt_state, params
        )
        stepped = _bounded(optax.apply_updates(params, updates), activation)
        params = _keep_alive(alive, stepped, params)
        return (params, opt_state, good, alive, diverged, step + 1), loss

    def one_block(lr, u, s, real, carry, _):
        step = functools.partial(one_step, lr, u, s, real)
        if record_every == 1:
            # No inner loop of one step: its loop overhead would double the cost.
            carry, loss = step(carry, None)
            loss = loss[None]
        else:
            carry, loss = jax.lax.scan(step, carry, length=record_every)
        params = _keep_alive(carry[3], carry[0], carry[2])
        return carry, (loss, params)

    def run(state, lr, u, s, real, grid):
        block = functools.partial(one_block, lr, u, s, real)
        state, (loss, params) = jax.lax.scan(block, state, length=records)
        # The curves of every record at once, (R, B, G): one wide operation
        # after the loop costs less than a narrow one inside each step.
        return state, (loss, params, _record_curves(params, grid, activation))

    return _compiled(run)


# XLA:CPU options for the training program. Measured on this project's 2-core
# AVX-512 machine, one core, 500 sigmoid nets (H=10, N=50, 1000 Adam steps):
# 0.68 s with XLA's defaults, 0.40 s with these. XLA's YNN reduction fusions
# cannot take in a broadcast, so every step wrote (B, H, N) copies of u, v and
# the output error before reducing them; without those fusions the reductions
# fuse with their elementwise producers. Wider vectors suit the N axis. Both
# are options of this program only, never of the caller's own JAX programs.
CPU_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": "",
    "xla_cpu_prefer_vector_width": 512,
}


def _compiled(program: Callable) -> Callable:
    """`program` jitted with CPU_OPTIONS, or plainly where this JAX rejects
    them (an older or newer XLA without these options, or other values)."""
    plain = jax.jit(program)
    try:
        tuned = jax.jit(program, compiler_options=CPU_OPTIONS)
    except TypeError:
        return plain

    def call(*args):
        if _OPTIONS_REJECTED:
            return plain(*args)
        try:
            return tuned(*args)
        except RuntimeError as error:
            # "No such compile option: ..." or "While setting option ...".
            if "option" not in str(error):
                raise
            _OPTIONS_REJECTED.append(str(error))
            return plain(*args)

    return call


_OPTIONS_REJECTED: list[str] = []


# Samples in blocks of 32. XLA:CPU splits every sum over more than 32 items
# into partial sums of 32 and then cannot fuse the arithmetic that feeds
# them: each step wrote its (B, H, N) intermediates out and read them back.
# Sums over a (K, 32) block fuse, so training lays N > 32 samples out as
# (B, K, 32), padded, and counts only the real ones. For 500 nets of
# H=10, N=50 (padded to 64) a step takes about 15% less time.
BLOCK = 32


def blocked(u: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
    """u, s (B, N) as (B, K, BLOCK) blocks and the mask of real samples
    (K, BLOCK); N <= BLOCK stays (B, N), with no mask (None).

    The padding repeats each net's last sample, so a padded output is one
    the net already gives: never a new overflow, whose gradient would be NaN
    even where the mask drops it.
    """
    nets, count = u.shape
    if count <= BLOCK:
        return u, s, None
    size = -(-count // BLOCK) * BLOCK
    real = (np.arange(size) < count).reshape(-1, BLOCK)
    pad = ((0, 0), (0, size - count))
    shape = (nets, -1, BLOCK)
    u, s = np.pad(u, pad, mode="edge"), np.pad(s, pad, mode="edge")
    return u.reshape(shape), s.reshape(shape), real


def _losses(params: Params, u, s, real, activation: Activation) -> jax.Array:
    """Each net's mean squared error over its real samples, shape (B,)."""
    errors = (forward(params, u, activation) - s) ** 2
    if real is None:
        return jnp.mean(errors, axis=-1)
    return jnp.sum(jnp.where(real, errors, 0.0), axis=(1, 2)) / jnp.sum(real)


def _bounded(params: Params, activation: Activation) -> Params:
    """Project the activation's own parameters back into their ranges."""
    kept = dict(params)
    for name, (low, high) in activation.bounds.items():
        kept[name] = jnp.clip(params[name], low, high)
    return kept


def _record_curves(params: Params, grid: jax.Array | None, activation: Activation):
    """Curves of recorded parameters (R, B, ...) on the grid, (R, B, G)."""
    if grid is None:
        return None
    records, nets = params["w"].shape[:2]
    flat = {
        key: value.reshape((records * nets,) + value.shape[2:])
        for key, value in params.items()
    }
    tiled = jnp.broadcast_to(grid, (records,) + grid.shape).reshape(records * nets, -1)
    return forward(flat, tiled, activation).reshape(records, nets, -1)


def _curves(params: Params, grid: jax.Array | None, activation: Activation):
    return None if grid is None else forward(params, grid, activation)


def _keep_alive(alive: jax.Array, new: Params, old: Params) -> Params:
    """Per net, the new parameters where alive, else the old ones."""
    kept = {}
    for key, value in new.items():
        per_net = alive.reshape((-1,) + (1,) * (value.ndim - 1))
        kept[key] = jnp.where(per_net, value, old[key])
    return kept


def _numpy(params: Params) -> dict[str, np.ndarray]:
    return {key: np.array(value) for key, value in params.items()}


def _chunks(records: int, pieces: int) -> list[int]:
    """Split `records` into at most `pieces` chunks of (nearly) equal size."""
    size = -(-records // min(pieces, records))
    parts = [size] * (records // size)
    if records % size:
        parts.append(records % size)
    return parts


def _join(first_params, first_curves, histories: list[History], final_loss):
    loss = np.concatenate([h.loss for h in histories] + [final_loss[None]])
    steps = np.concatenate([[0]] + [h.steps for h in histories])
    params = {
        key: np.concatenate(
            [first_params[key][None]] + [h.params[key] for h in histories]
        )
        for key in first_params
    }
    curves = None
    if first_curves is not None:
        curves = np.concatenate([first_curves[None]] + [h.curves for h in histories])
    return History(loss, steps, params, curves)


def _mask(history: History, diverged_at: np.ndarray) -> History:
    """Blank each diverged net's loss from its divergence step on."""
    loss = history.loss.copy()
    for net, step in enumerate(diverged_at):
        if step >= 0:
            loss[step:, net] = np.nan
    return History(loss, history.steps, history.params, history.curves)
