"""One page's training state: settings, samples, a Trainer and recent records.

A Session is plain synchronous Python: the app calls it from a worker thread,
one call at a time per page, and sends the message dicts it returns. Every
message that leaves here is JSON-ready: floats are finite or None, and curves
travel as base64 of little-endian float32.

The drawn samples fix the scaling for the whole session: points a person adds
or removes change the training set but not the units, so the net keeps its
parameters and carries on training from where it was.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nnfit import analysis
from nnfit.activations import get_activation
from nnfit.errors import DataError
from nnfit.network import contributions, init_params, to_user_units
from nnfit.run import Run
from nnfit.samples import Samples, draw_samples
from nnfit.spec import FitSpec
from nnfit.targets import Target, get_target
from nnfit.training import History, Trainer
from nnfit.web.protocol import LIVE_SETTINGS, Limits, ProtocolError, Settings

EXTRAPOLATION = 3.0
# Node shares streamed per frame are at most this many floats (H x columns).
MAX_SHARE_FLOATS = 40_000
# Activations whose nodes read as waves amplitude * f(frequency x + phase).
WAVES = ("cos", "sin")
# Dead units are counted every this many frames (it needs a gradient pass).
DEAD_EVERY = 10
# Past this many compiled shapes, JAX's in-memory caches are dropped.
MAX_PROGRAMS = 200
_programs: set[tuple] = set()
_programs_lock = threading.Lock()


@dataclass(frozen=True)
class Record:
    """One streamed frame, kept for GIF export; standardised units.

    Attributes:
        step: optimiser steps done.
        params: w, b, v of shape (H,) and c of shape ().
        curve: the net's output on the grid, (G,).
        loss: the loss before each step of the frame, (steps,); empty for
            a frame drawn without training.
    """

    step: int
    params: dict[str, np.ndarray]
    curve: np.ndarray
    loss: np.ndarray


class Session:
    """The training state behind one page.

    Args:
        limits: the server's limits.
        settings: the starting settings; None takes the defaults.

    Example:
        >>> session = Session(Limits())
        >>> replies = session.configure({"activation": "cos", "hidden": 3})
        >>> frame = session.advance()
    """

    def __init__(self, limits: Limits, settings: Settings | None = None) -> None:
        self.limits = limits
        self.settings = settings or Settings()
        self.contributions = True
        self.stopped: str | None = None
        self.trainer: Trainer | None = None
        self.records: deque[Record] = deque(maxlen=limits.max_gif_frames)
        self._frames = 0
        self._step = 0
        self._dead: list[int] | None = None

    @property
    def step(self) -> int:
        """Optimiser steps taken since the last reset."""
        return self._step

    def configure(self, changes: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply checked setting changes; rebuild unless only lr or speed changed.

        Values equal to the current ones change nothing, so a page may send
        all its settings at once.

        Returns the messages for the page: "config", then "data" and "frame"
        when the run was rebuilt.
        """
        old = self.settings
        settings = old.replace(**changes)
        changed = {name for name in changes if getattr(old, name) != changes[name]}
        if {"seed", "samples", "x_range"} & changed and "removed" not in changes:
            settings = settings.replace(removed=())
        if changed <= LIVE_SETTINGS and self.trainer is not None:
            self.settings = settings
            return [self.config_message()]
        return self._rebuild(settings)

    def reset(self) -> list[dict[str, Any]]:
        """Start training again from the init, on the same samples."""
        return self._rebuild(self.settings)

    def regenerate(self) -> list[dict[str, Any]]:
        """Draw new samples with the next seed; added points stay."""
        seed = (self.settings.seed + 1) % 2**31
        return self._rebuild(self.settings.replace(seed=seed, removed=()))

    def add_point(self, x: float, y: float) -> list[dict[str, Any]]:
        """Add a training point; the net keeps training from where it is."""
        if len(self.settings.added) >= self.limits.max_points:
            raise ProtocolError(
                f"this page already has {self.limits.max_points} added points, "
                "the most allowed; shift-click to remove some first.",
                "x",
            )
        added = (*self.settings.added, (float(x), float(y)))
        return self._rebuild(self.settings.replace(added=added), keep_params=True)

    def remove_point(self, index: int) -> list[dict[str, Any]]:
        """Remove training point `index` of the last "data" message."""
        self._ensure_built()
        kept = self._kept_drawn(self.settings)
        total = len(kept) + len(self.settings.added)
        if not 0 <= index < total:
            raise ProtocolError(
                f"index must point at one of the {total} training points "
                f"(0 to {total - 1}), got {index}.",
                "index",
            )
        if index < len(kept):
            removed = tuple(sorted({*self.settings.removed, int(kept[index])}))
            settings = self.settings.replace(removed=removed)
        else:
            added = list(self.settings.added)
            del added[index - len(kept)]
            settings = self.settings.replace(added=tuple(added))
        return self._rebuild(settings, keep_params=True)

    def advance(self, steps: int | None = None) -> dict[str, Any]:
        """Train one frame (steps_per_frame steps, or `steps`) and describe it."""
        self._ensure_built()
        assert self.trainer is not None
        if self.stopped:
            return self._frame_now()
        steps = min(
            steps or self.settings.steps_per_frame,
            self.limits.max_steps - self.step,
        )
        _note_program(("train", steps, *self._shape))
        history = self.trainer.advance(steps, record_every=steps, lr=self.settings.lr)
        self._step += steps

        params = {key: value[-1, 0] for key, value in history.params.items()}
        curve = history.curves[-1, 0]
        self.records.append(Record(self.step, params, curve, history.loss[:, 0]))
        self._check_stop()
        return self.frame_message(params, curve, float(history.loss[-1, 0]))

    def export(self, kind: str, frames: int) -> dict[str, Any]:
        """Render the current figure (PNG) or the last frames (GIF), CLI style.

        Args:
            kind: "png" for the fit (the node figure while node shares are
                shown), "gif" for the training animation.
            frames: how many of the last frames the GIF shows.

        Returns:
            An "export" message with the file as base64.
        """
        from nnfit.views.animation import write_gif
        from nnfit.views.figures import fit_figure, nodes_figure, save_figure

        self._ensure_built()
        run = self.to_run(frames if kind == "gif" else 1)
        name = (
            f"nnfit-{self.settings.activation}-{self.settings.hidden}-step{self.step}"
        )
        with tempfile.TemporaryDirectory(prefix="nnfit-export-") as folder:
            path = Path(folder) / f"{name}.{kind}"
            if kind == "gif":
                write_gif(run, path, nodes=self.contributions)
            else:
                figure = nodes_figure if self.contributions else fit_figure
                save_figure(figure(run), path)
            data = path.read_bytes()
        return {
            "type": "export",
            "format": kind,
            "filename": path.name,
            "mime": "image/gif" if kind == "gif" else "image/png",
            "data": base64.b64encode(data).decode("ascii"),
        }

    def to_run(self, frames: int) -> Run:
        """A Run of the last `frames` frames, as the CLI's views read it."""
        self._ensure_built()
        assert self.trainer is not None
        records = list(self.records)[-frames:]
        last, keys = records[-1].step, records[-1].params.keys()
        # Loss by step: run.loss(net)[step] is the loss after `step` updates.
        loss = np.full((last + 1, 1), np.nan)
        for record in self.records:
            loss[record.step - len(record.loss) : record.step, 0] = record.loss
        loss[last, 0] = self.trainer.final_loss()[0]

        history = History(
            loss,
            np.array([record.step for record in records]),
            {k: np.stack([r.params[k] for r in records])[:, None] for k in keys},
            np.stack([record.curve for record in records])[:, None],
        )
        params = {key: value[-1] for key, value in history.params.items()}
        spec = FitSpec(
            target=self.settings.target,
            activation=self.settings.activation,
            hidden=self.settings.hidden,
            steps=max(last, 1),
            lr=self.settings.lr,
            optimizer=self.settings.optimizer,
            samples=int(self.samples.x.shape[1]),
            noise=self.settings.noise,
            x_range=self.samples.x_range,
            seed=self.settings.seed,
        )
        run = Run(spec, self.samples, history, params, self.trainer.diverged_at)
        run.metrics = analysis.metrics(params, self.samples, self.activation)
        return run

    def config_message(self) -> dict[str, Any]:
        values = self.settings.to_dict()
        if self.trainer is not None:
            values["x_range"] = list(self.samples.x_range)
        return {"type": "config", "settings": values}

    def status_message(self, playing: bool) -> dict[str, Any]:
        return {
            "type": "status",
            "playing": playing,
            "step": self.step,
            "stopped": self.stopped,
        }

    def data_message(self) -> dict[str, Any]:
        """The samples, the grid, the true curve and where node shares lie."""
        samples = self.samples
        inside = np.flatnonzero(samples.inside)
        truth = None if samples.truth is None else _base64(samples.truth)
        return {
            "type": "data",
            "grid": _base64(samples.grid),
            "inside": [int(inside[0]), int(inside[-1]) + 1],
            "truth": truth,
            "x": _base64(samples.x[0]),
            "y": _base64(samples.y[0]),
            "added_from": int(samples.x.shape[1] - len(self.settings.added)),
            "x_range": list(samples.x_range),
            "shares": {
                "start": int(self._share_index[0]),
                "stride": int(self._share_stride),
                "count": int(len(self._share_index)),
            },
            "periodic": self.activation.periodic,
        }

    def frame_message(
        self, params: dict[str, np.ndarray], curve: np.ndarray, loss: float
    ) -> dict[str, Any]:
        """One frame: curve, node shares, loss, and the node table, user units."""
        samples, scale = self.samples, self.samples.scaling
        y_std, y_mean = float(scale.y_std[0]), float(scale.y_mean[0])
        curve_user = np.asarray(curve, np.float64) * y_std + y_mean
        train = loss * y_std**2
        user = to_user_units(
            {key: np.asarray(value)[None] for key, value in params.items()}, samples
        )

        message: dict[str, Any] = {
            "type": "frame",
            "step": self.step,
            "loss": _finite(train),
            "test": _finite(self._test_loss(curve_user)),
            "r2": _finite(1.0 - train / self._y_variance),
            "curve": _base64(curve_user),
            "nodes": {key: _base64(user[key][0]) for key in ("w", "b", "v")},
            "c": _finite(float(user["c"][0])),
            "shares": self._shares(params, y_std) if self.contributions else None,
            "waves": self._waves(user),
            "dead": self._dead_units(params),
            "stopped": self.stopped,
        }
        self._frames += 1
        return message

    def _rebuild(
        self, settings: Settings, keep_params: bool = False
    ) -> list[dict[str, Any]]:
        """Build samples, params and a Trainer for settings; commit on success."""
        target = _target(settings.target)
        x_range = settings.x_range or target.x_range
        samples = _edited(_draw(target, settings, x_range), settings)
        activation = get_activation(settings.activation)

        # Edited points keep the net; anything else starts from the init.
        if keep_params and self.trainer is not None:
            params = {k: np.asarray(v) for k, v in self.trainer.params.items()}
            base_step = self.step
        else:
            seeds = np.array([settings.seed])
            params = init_params(
                activation.init, settings.hidden, samples, seeds, activation
            )
            base_step = 0

        scale = samples.scaling
        trainer = Trainer(
            params,
            scale.x_to_unit(samples.x),
            scale.y_to_unit(samples.y),
            scale.x_to_unit(samples.grid),
            activation,
            settings.optimizer,
        )
        self._commit(settings, samples, activation, trainer, base_step)
        return [self.config_message(), self.data_message(), self._frame_now()]

    def _commit(self, settings, samples, activation, trainer, base_step) -> None:
        self.settings, self.samples, self.activation = settings, samples, activation
        self.trainer, self._base_step, self._step = trainer, base_step, base_step
        self.stopped, self._dead = None, None
        self.records.clear()
        self._y_variance = float(np.var(samples.y[0])) or 1.0

        # What a compiled program depends on, besides the chunk length.
        self._shape = (
            settings.activation,
            settings.optimizer,
            settings.hidden,
            samples.x.shape[1],
        )
        inside = np.flatnonzero(samples.inside)
        self._share_stride = max(
            1, math.ceil(settings.hidden * len(inside) / MAX_SHARE_FLOATS)
        )
        self._share_index = inside[:: self._share_stride]
        self._share_u = jnp.asarray(
            scale_x(samples, samples.grid[self._share_index]), jnp.float32
        )

    def _frame_now(self) -> dict[str, Any]:
        """The frame for the current parameters, without training."""
        assert self.trainer is not None
        params, curves = self.trainer.record()
        params = {key: value[0] for key, value in params.items()}
        loss = float(self.trainer.final_loss()[0])
        curve = curves[0]
        if not self.records:
            self.records.append(Record(self.step, params, curve, np.zeros(0)))
        return self.frame_message(params, curve, loss)

    def _ensure_built(self) -> None:
        if self.trainer is None:
            self._rebuild(self.settings)

    def _check_stop(self) -> None:
        assert self.trainer is not None
        diverged = int(self.trainer.diverged_at[0])
        if diverged >= 0:
            self.stopped = (
                f"training diverged at step {self._base_step + diverged} (the loss "
                "became non-finite); the net keeps its last finite parameters. "
                f"Try a smaller learning rate than {self.settings.lr:g}, then reset."
            )
        elif self.step >= self.limits.max_steps:
            self.stopped = (
                f"reached {self.limits.max_steps} steps, the most one page may "
                "train; press reset to train again."
            )

    def _kept_drawn(self, settings: Settings) -> np.ndarray:
        removed = set(settings.removed)
        return np.array([i for i in range(settings.samples) if i not in removed], int)

    def _test_loss(self, curve_user: np.ndarray) -> float | None:
        truth = self.samples.truth
        if truth is None:
            return None
        inside = self.samples.inside
        error = (curve_user[inside] - truth[inside]) ** 2
        return float(np.mean(error)) if np.all(np.isfinite(error)) else None

    def _shares(self, params: dict[str, np.ndarray], y_std: float) -> str:
        """v_i h_i on the share columns, (H, columns), in y units."""
        _note_program(("shares", *self._shape))
        batch = {key: jnp.asarray(value)[None] for key, value in params.items()}
        shares = _contributions(batch, self._share_u[None], self.activation)[0]
        return _base64(np.asarray(shares) * y_std)

    def _waves(self, user: dict[str, np.ndarray]) -> dict[str, str] | None:
        """Frequency, phase and amplitude of each cos or sin node, in node order."""
        if self.activation.name not in WAVES:
            return None
        in_order = analysis.waves(user, 0, self.activation.name, by_amplitude=False)
        return {
            key: _base64(np.array([getattr(wave, key) for wave in in_order]))
            for key in ("frequency", "phase", "amplitude")
        }

    def _dead_units(self, params: dict[str, np.ndarray]) -> list[int] | None:
        if not self.activation.can_die:
            return None
        if self._dead is None or self._frames % DEAD_EVERY == 0:
            batch = {key: np.asarray(value)[None] for key, value in params.items()}
            slopes = analysis.unit_slopes(batch, self.samples, self.activation)
            dead = np.all(np.abs(slopes[0]) < analysis.DEAD_SLOPE, axis=1)
            self._dead = [int(node) for node in np.flatnonzero(dead)]
        return self._dead


def scale_x(samples: Samples, x: np.ndarray) -> np.ndarray:
    """x in the user's units -> the first net's standardised inputs, (N,)."""
    return samples.scaling.x_to_unit(x)[0]


def _target(text: str) -> Target:
    try:
        return get_target(text)
    except RecursionError:
        raise ProtocolError(
            "target nests too deeply; type a simpler formula.", "target"
        ) from None


def _draw(target: Target, settings: Settings, x_range: tuple[float, float]) -> Samples:
    samples = draw_samples(
        target,
        count=settings.samples,
        x_range=x_range,
        noise=settings.noise,
        seeds=np.array([settings.seed]),
        extrapolation=EXTRAPOLATION,
    )
    y_std = samples.scaling.y_std[0]
    if not np.isfinite(y_std) or np.max(np.abs(samples.y)) > 1e12:
        raise DataError(
            f"target {target.name!r} reaches values beyond 1e12 on the training "
            "range; choose a smaller range or a tamer formula."
        )
    return samples


def _edited(drawn: Samples, settings: Settings) -> Samples:
    """The drawn samples minus removed ones plus added points; same scaling."""
    removed = set(settings.removed)
    keep = np.array([i for i in range(drawn.x.shape[1]) if i not in removed], int)
    added = np.array(settings.added, np.float64).reshape(-1, 2)
    x = np.concatenate([drawn.x[0, keep], added[:, 0]])
    y = np.concatenate([drawn.y[0, keep], added[:, 1]])
    if len(x) < 3:
        raise DataError(
            f"only {len(x)} training points would be left; a fit needs at least "
            "3, so add points before removing more."
        )
    return dataclasses.replace(drawn, x=x[None], y=y[None])


# v_i h_i on the share columns, compiled once per shape.
_contributions = jax.jit(contributions, static_argnums=2)


def _note_program(key: tuple) -> None:
    """Bound the memory of compiled programs: a page can ask for many shapes."""
    with _programs_lock:
        if key in _programs:
            return
        if len(_programs) >= MAX_PROGRAMS:
            _programs.clear()
            jax.clear_caches()
        _programs.add(key)


def _base64(values: np.ndarray) -> str:
    data = np.asarray(values, dtype="<f4")
    return base64.b64encode(data.tobytes()).decode("ascii")


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")
