"""Run: one fit's spec, samples, history, final parameters and metrics.

`fit` is the whole core pipeline: target -> samples -> init -> training ->
metrics. A run is saved as a folder (spec.json, metrics.json, arrays.npz)
and loads back with every array equal, bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnfit import analysis
from nnfit.activations import Activation, get_activation
from nnfit.errors import DataError, NnfitError, SpecError
from nnfit.network import init_params, to_user_units
from nnfit.samples import Samples, Scaling, draw_samples, samples_from_data
from nnfit.spec import FitSpec, check_size
from nnfit.targets import get_target
from nnfit.training import History, Progress, train

FORMAT = 1


@dataclass
class Run:
    """A finished fit of B nets (one per seed) on the same kind of samples.

    Attributes:
        spec: what was fitted and how.
        samples: training samples (B, N), the grid and the scaling.
        history: loss at every step and the records, standardised units.
        params: final w, b, v (B, H) and c (B,), standardised units.
        diverged_at: per net, the step of the first non-finite loss, or -1.
        metrics: per-net metrics, arrays of shape (B,), in the user's units.
        data: where user data came from (a file name), or None for a target.
        notes: warnings about the data, one sentence each.
        x_unit: what x measures, e.g. "decimal year"; None for plain numbers.
        y_unit: what y measures, e.g. "ppm"; None for plain numbers.
    """

    spec: FitSpec
    samples: Samples
    history: History
    params: dict[str, np.ndarray]
    diverged_at: np.ndarray
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    data: str | None = None
    notes: list[str] = field(default_factory=list)
    x_unit: str | None = None
    y_unit: str | None = None

    @property
    def activation(self) -> Activation:
        return get_activation(self.spec.activation)

    @property
    def nets(self) -> int:
        return self.samples.nets

    @property
    def user_params(self) -> dict[str, np.ndarray]:
        """Final parameters in the user's units, y = sum v f(w x + b) + c."""
        return to_user_units(self.params, self.samples)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Every net's prediction at x, shape (B, N), in y units."""
        return analysis.predict(self.params, self.samples, x, self.activation)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node shares v_i h_i(x), (B, H, N), and the offset c, (B,), y units."""
        return analysis.node_contributions(
            self.params, self.samples, x, self.activation
        )

    def trend(self, x: np.ndarray) -> np.ndarray | None:
        """The learned straight line d x, (B, N) in y units, or None."""
        return analysis.trend_line(self.params, self.samples, x)

    def recorded_curves(self, net: int = 0) -> np.ndarray:
        """The net's curve on the grid at each record, (R, G), in y units."""
        if self.history.curves is None:
            raise NnfitError(
                "this run recorded no curves; fit again with record_curves=True."
            )
        scale = self.samples.scaling
        curves = self.history.curves[:, net, :].astype(np.float64)
        return curves * scale.y_std[net] + scale.y_mean[net]

    def loss(self, net: int = 0) -> np.ndarray:
        """Training MSE in y units after each step, shape (T + 1,)."""
        return self.history.loss[:, net] * self.samples.scaling.y_std[net] ** 2

    def divergence(self, net: int = 0) -> str | None:
        """One sentence on where the net diverged, or None if it did not."""
        step = int(self.diverged_at[net])
        if step < 0:
            return None
        return (
            f"training diverged at step {step} (the loss became non-finite); "
            f"kept the last finite parameters, from step {max(step - 1, 0)}; "
            f"try a smaller learning rate than {self.spec.lr:g}."
        )

    def save(self, folder: str | Path) -> Path:
        """Write spec.json, metrics.json and arrays.npz into a folder."""
        return save_run(self, folder)

    @classmethod
    def load(cls, folder: str | Path) -> Run:
        """Read a run folder written by `save`."""
        return load_run(folder)


def fit(
    spec: FitSpec | None = None,
    *,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    data: str | None = None,
    x_unit: str | None = None,
    y_unit: str | None = None,
    progress: Progress | None = None,
    **changes: Any,
) -> Run:
    """Fit B one-hidden-layer nets to a target or to data.

    Args:
        spec: the fit; None takes FitSpec() (the article's sigmoid run).
        x: optional user data, a 1-D array; give y with it. It replaces
            the target's samples for every net.
        y: the values at x, a 1-D array of the same length.
        test: optional held-out (x, y) of user data, judged as heldout_mse.
        data: a label for the data (a file name), saved with the run.
        x_unit: what the data's x measures; "decimal year" shows dates.
        y_unit: what the data's y measures, for axis labels.
        progress: called with (steps done, steps in all) during training.
        **changes: spec fields to change, e.g. activation="cos", hidden=3.

    Returns:
        The finished Run.

    Example:
        >>> run = fit(activation="cos", hidden=3)
        >>> float(run.metrics["extrap_mse"][0]) < 0.1
        True
    """
    if spec is not None and not isinstance(spec, FitSpec):
        raise SpecError(
            f"spec must be a FitSpec or None, got {spec!r}; pass fields by name, "
            "e.g. fit(target='sin', activation='cos')."
        )
    if progress is not None and not callable(progress):
        raise SpecError(
            f"progress must be a function of (done, total), got {progress!r}."
        )
    spec = (spec or FitSpec()).replace(**changes) if changes else spec or FitSpec()
    check_size(spec)
    samples = make_samples(spec, x, y, test)
    seeds = spec.seed + np.arange(spec.seeds)
    activation = get_activation(spec.activation)
    start = {} if spec.snake_a is None else {"a": spec.snake_a}
    scheme = spec.init or activation.init
    params = init_params(
        scheme,
        spec.hidden,
        samples,
        seeds,
        activation,
        start,
        w0=spec.w0,
        layers=spec.depth,
        trend=spec.trend,
    )

    scale = samples.scaling
    grid = scale.x_to_unit(samples.grid) if spec.record_curves else None
    outcome = train(
        params,
        scale.x_to_unit(samples.x),
        scale.y_to_unit(samples.y),
        grid,
        activation,
        optimizer=spec.optimizer,
        lr=spec.lr,
        steps=spec.steps,
        record_every=spec.record_every,
        dtype=spec.dtype,
        frozen=() if spec.train_snake_a else ("a",),
        progress=progress,
    )
    run = Run(spec, samples, outcome.history, outcome.params, outcome.diverged_at)
    run.metrics = analysis.metrics(run.params, samples, activation)
    run.data = data if x is not None else None
    run.x_unit = x_unit if x is not None else None
    run.y_unit = y_unit if x is not None else None
    run.notes = analysis.data_notes(samples, spec.hidden, activation.periodic)
    return run


def make_samples(
    spec: FitSpec,
    x: np.ndarray | None,
    y: np.ndarray | None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
) -> Samples:
    """The spec's samples: drawn from its target, or the user's x and y."""
    if (x is None) != (y is None):
        raise DataError("give both x and y, or neither to sample the target.")
    if test is not None and (x is None or len(test) != 2):
        raise DataError(
            "test must be a pair (x, y) of held-out data, given with x and y."
        )
    if x is not None:
        return samples_from_data(
            x,
            y,
            nets=spec.seeds,
            extrapolation=spec.extrapolation,
            x_range=spec.x_range,
            test=test,
        )

    target = get_target(spec.target)
    return draw_samples(
        target,
        count=spec.samples,
        x_range=spec.x_range or target.x_range,
        noise=spec.noise,
        seeds=spec.seed + np.arange(spec.seeds),
        spacing=spec.spacing,
        extrapolation=spec.extrapolation,
    )


def save_run(run: Run, folder: str | Path) -> Path:
    """Write a run folder: spec.json, metrics.json and arrays.npz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT,
        "spec": run.spec.to_dict(),
        "data": run.data,
        "x_range": list(run.samples.x_range),
        "noise": run.samples.noise,
        "notes": run.notes,
        "x_unit": run.x_unit,
        "y_unit": run.y_unit,
    }
    (folder / "spec.json").write_text(json.dumps(meta, indent=2) + "\n")
    (folder / "metrics.json").write_text(json.dumps(metrics_json(run), indent=2) + "\n")
    np.savez(folder / "arrays.npz", **_arrays(run))
    return folder


def load_run(folder: str | Path) -> Run:
    """Read a run folder written by `save_run`."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "spec.json").read_text())
        arrays = dict(np.load(folder / "arrays.npz"))
    except (OSError, ValueError, KeyError):
        raise DataError(
            f"{folder} is not a readable nnfit run folder (spec.json or "
            "arrays.npz is missing or damaged); point at a folder written by "
            "`nnfit fit --out`."
        ) from None
    if meta.get("format") != FORMAT:
        raise DataError(
            f"{folder} holds a run of format {meta.get('format')!r}; this nnfit "
            f"reads format {FORMAT}."
        )

    samples = Samples(
        arrays["samples.x"],
        arrays["samples.y"],
        tuple(meta["x_range"]),
        arrays["samples.grid"],
        arrays["samples.inside"],
        arrays.get("samples.truth"),
        Scaling(
            *(arrays[f"scaling.{k}"] for k in ("x_mean", "x_std", "y_mean", "y_std"))
        ),
        meta["noise"],
        arrays.get("samples.test_x"),
        arrays.get("samples.test_y"),
    )
    history = History(
        arrays["history.loss"],
        arrays["history.steps"],
        _prefixed(arrays, "history.params."),
        arrays.get("history.curves"),
    )
    params = _prefixed(arrays, "params.")
    spec = FitSpec.from_dict(meta["spec"])
    metrics = _prefixed(arrays, "metrics.")
    run = Run(spec, samples, history, params, arrays["diverged_at"], metrics)
    run.data, run.notes, run.x_unit = meta["data"], meta["notes"], meta["x_unit"]
    run.y_unit = meta.get("y_unit")
    return run


def metrics_json(run: Run) -> dict[str, Any]:
    """Per-net metrics as JSON values; NaN (not applicable) becomes null."""
    nets = []
    for net in range(run.nets):
        row: dict[str, Any] = {"seed": run.spec.seed + net}
        for name, values in run.metrics.items():
            value = values[net].item()
            row[name] = None if isinstance(value, float) and np.isnan(value) else value
        row["diverged_at"] = (
            int(run.diverged_at[net]) if run.diverged_at[net] >= 0 else None
        )
        nets.append(row)
    return {"activation": run.spec.activation, "hidden": run.spec.hidden, "nets": nets}


def _arrays(run: Run) -> dict[str, np.ndarray]:
    s, h = run.samples, run.history
    arrays = {
        "samples.x": s.x,
        "samples.y": s.y,
        "samples.grid": s.grid,
        "samples.inside": s.inside,
        "scaling.x_mean": s.scaling.x_mean,
        "scaling.x_std": s.scaling.x_std,
        "scaling.y_mean": s.scaling.y_mean,
        "scaling.y_std": s.scaling.y_std,
        "history.loss": h.loss,
        "history.steps": h.steps,
        "diverged_at": run.diverged_at,
    }
    if s.truth is not None:
        arrays["samples.truth"] = s.truth
    if s.test_x is not None:
        arrays["samples.test_x"], arrays["samples.test_y"] = s.test_x, s.test_y
    if h.curves is not None:
        arrays["history.curves"] = h.curves
    for key in run.params:
        arrays[f"history.params.{key}"] = h.params[key]
        arrays[f"params.{key}"] = run.params[key]
    for name, values in run.metrics.items():
        arrays[f"metrics.{name}"] = values
    return arrays


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
