"""The notebook surface: a Run that plots, animates and shows itself in Jupyter.

`nnfit.run.Run` is the core's result and knows nothing of figures; the `Run`
here is the same object with the views attached: `plot`, `animate`,
`summary` and a compact HTML card for Jupyter. `fit` and `load_run` return
it. Matplotlib and the views are imported inside the methods that draw, so
importing nnfit stays light.

Example:
    >>> run = fit(activation="cos", hidden=3)
    >>> figure = run.plot("waves")
    >>> run.summary()[["seed", "r2", "success"]]
"""

from __future__ import annotations

import base64
import html
import io
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfit import analysis
from nnfit import run as core
from nnfit.errors import NnfitError
from nnfit.spec import FitSpec

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

VIEWS = ("data", "fit", "nodes", "extrapolation", "waves", "spectrum", "loss")
# (the names of nnfit.views.figures.FIGURES, listed here so that importing
# this module does not import matplotlib)
# The inline animation shows at most this many frames (every k-th record).
MAX_FRAMES = 200
# Spec fields that tell one row of a summary from another.
SPEC_COLUMNS = (
    "target",
    "activation",
    "hidden",
    "depth",
    "steps",
    "lr",
    "optimizer",
    "samples",
    "noise",
    "init",
)
CARD_SPEC = ("target", "activation", "hidden", "steps", "optimizer", "lr")
CARD_DATA = ("samples", "noise", "x_range", "spacing", "seed", "seeds")
# Pixels per inch of the card's figure: about 640 by 350 pixels.
CARD_DPI = 80
FIGURE_DPI = 100


class Run(core.Run):
    """A finished fit of B nets that draws itself: figures, animation, table.

    The same fields and methods as `nnfit.run.Run` (spec, samples, history,
    params, metrics, predict, contributions, save, ...), plus the views. In
    Jupyter a run shows itself as a card: the spec, the key metrics and the
    fit figure of net 0.

    Example:
        >>> run = nnfit.fit(activation="relu", hidden=100)
        >>> run.plot("extrapolation")
    """

    @classmethod
    def from_core(cls, run: core.Run) -> Run:
        """Wrap a core run; the arrays are shared, not copied.

        Args:
            run: a run from `nnfit.run.fit` or `nnfit.run.load_run`.

        Returns:
            The same run as this class.

        Example:
            >>> run = Run.from_core(nnfit.run.fit(steps=100))
            >>> run.summary().shape[0]
            1
        """
        return cls(**{field.name: getattr(run, field.name) for field in fields(run)})

    @classmethod
    def load(cls, folder: str | Path) -> Run:
        """Read a run folder written by `save`.

        Args:
            folder: the folder holding spec.json, metrics.json and arrays.npz.

        Returns:
            The run, every array equal to the saved one.

        Example:
            >>> folder = nnfit.fit(steps=100).save("runs/short")
            >>> nnfit.Run.load(folder).spec.steps
            100
        """
        return cls.from_core(core.load_run(folder))

    def plot(self, view: str = "fit", net: int = 0) -> Figure:
        """One figure of the run, in the user's units.

        Views: "data" (target and samples), "fit" (the final curve with MSE
        and R²), "nodes" (each node's share v_i f(w_i x + b_i)), "waves" (the
        frequency, phase and amplitude of each cos or sin node), "spectrum"
        (periodic nodes over the samples' spectrum), "extrapolation" (the
        curve past the training range) and "loss" (training MSE per step).

        Args:
            view: one of VIEWS.
            net: which net of the batch, 0 to B - 1.

        Returns:
            A matplotlib Figure (no pyplot); Jupyter shows it as a PNG.

        Raises:
            NnfitError: an unknown view, a net out of range, or "waves" or
                "spectrum" for a non-periodic activation.

        Example:
            >>> figure = nnfit.fit(hidden=3).plot("nodes")
            >>> figure.savefig("nodes.png")
        """
        from nnfit.views import style

        if view not in VIEWS:
            raise NnfitError(
                f"view {view!r} is not a view of a run; use one of {', '.join(VIEWS)}."
            )
        from nnfit.views.figures import FIGURES

        net = style.check_net(self, net)
        figure = FIGURES[view](self, net)
        _show_figures_inline()
        return figure

    def animate(
        self,
        path: str | Path | None = None,
        net: int = 0,
        every: int | None = None,
        *,
        fps: float = 25,
        nodes: bool = False,
        wide: bool = False,
        video: bool = False,
    ) -> Path | Animation:
        """The training as an animation: the net's curve at each record.

        Args:
            path: a .gif or .mp4 file to write; None returns an Animation
                that Jupyter shows inline.
            net: which net of the batch.
            every: show every `every`-th record (and always the last); None
                picks the smallest that keeps it to MAX_FRAMES frames.
            fps: frames per second.
            nodes: also draw each node's contribution as a thin line.
            wide: show the whole extrapolation range, training range shaded.
            video: inline only: an MP4 <video> (small; needs ffmpeg) instead
                of a GIF <img> (shown everywhere, larger).

        Returns:
            The path written, or the inline Animation when path is None.

        Raises:
            NnfitError: a path that is not .gif or .mp4, or a run fitted
                with record_curves=False.

        Example:
            >>> run = nnfit.fit(steps=300)
            >>> run.animate("training.gif", nodes=True)
        """
        from nnfit.views import animation

        every = self._every() if every is None else every
        options = {"net": net, "every": every, "fps": fps, "nodes": nodes}
        options["wide"] = wide
        if path is not None:
            writer = _writer(Path(path))
            return writer(self, path, **options)

        suffix, mime = (".mp4", "video/mp4") if video else (".gif", "image/gif")
        writer = animation.write_mp4 if video else animation.write_gif
        with tempfile.TemporaryDirectory() as folder:
            file = writer(self, Path(folder) / f"training{suffix}", **options)
            data = file.read_bytes()
        return Animation(data, mime, animation.frame_count(self, every))

    def _every(self) -> int:
        """The smallest step between shown records that gives MAX_FRAMES."""
        from nnfit.views.animation import every_for

        return every_for(self, MAX_FRAMES)

    def summary(self) -> pd.DataFrame:
        """One row per net: its seed, the spec, every metric and success.

        Columns: seed, target (the data's label for user data), activation,
        hidden, depth, steps, lr, optimizer, samples, noise, init (the
        scheme used), train_mse, r2, interp_mse, extrap_mse, dead_units,
        heldout_mse (NaN where not applicable), diverged_at (-1: never) and
        success (`nnfit.analysis.succeeded`: interp_mse below 5% of the
        target's variance, or R² above 0.95 on user data).

        Returns:
            A pandas DataFrame with B rows.

        Example:
            >>> table = nnfit.fit(activation="cos", hidden=3, seeds=20).summary()
            >>> table["success"].mean()
        """
        import pandas as pd

        spec = self.spec
        described = {name: getattr(spec, name) for name in SPEC_COLUMNS}
        described["target"] = self._fitted()
        described["init"] = spec.init or self.activation.init
        columns: dict[str, Any] = {"seed": spec.seed + np.arange(self.nets)}
        columns.update({name: [value] * self.nets for name, value in described.items()})

        columns.update({name: np.asarray(v) for name, v in self.metrics.items()})
        columns["diverged_at"] = np.asarray(self.diverged_at)
        columns["success"] = analysis.succeeded(self.metrics, self.samples)
        return pd.DataFrame(columns)

    def _fitted(self) -> str:
        """The target's text, or the data's label for a run on user data."""
        if self.samples.truth is None:
            return self.data or "data"
        return str(self.spec.target)

    def __repr__(self) -> str:
        metrics = ", ".join(
            f"{name} {_number(self.metrics[name][0])}"
            for name in ("train_mse", "r2")
            if name in self.metrics
        )
        return (
            f"<nnfit Run: {self._nodes()} fitting {self._fitted()!r}, "
            f"{self.spec.steps} steps, {self.nets} net(s); net 0: {metrics}>"
        )

    def _nodes(self) -> str:
        hidden = self.spec.hidden
        return f"{hidden} {self.spec.activation} node{'s' if hidden != 1 else ''}"

    def _repr_html_(self) -> str:
        """The Jupyter card: spec, key metrics and the fit figure of net 0."""
        from nnfit.views.figures import fit_figure

        image = _png(fit_figure(self, 0, size=(8.0, 4.4)), CARD_DPI)
        source = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
        title = f"{self._nodes()} fitting {self._fitted()}"
        notes = [self.divergence(net) for net in range(self.nets)]
        notes = [note for note in notes if note] + list(self.notes)
        notes_html = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
        return (
            '<div class="nnfit-run" style="display:flex;flex-wrap:wrap;gap:1em;'
            "align-items:flex-start;border:1px solid #ccc;border-radius:6px;"
            'padding:0.6em;max-width:60em">'
            f'<div style="min-width:16em"><b>nnfit Run</b>: {html.escape(title)}'
            f"{_table(self._spec_rows(), ('spec', ''))}"
            f"{_table(self._metric_rows(), self._metric_header())}"
            f'<ul style="font-size:smaller">{notes_html}</ul></div>'
            f'<img src="{source}" alt="{html.escape(title)}: the fit"'
            ' style="max-width:40em;width:100%">'
            "</div>"
        )

    def _spec_rows(self) -> list[list[str]]:
        spec = self.spec
        rows = [[name, str(getattr(spec, name))] for name in CARD_SPEC]
        rows[0][1] = self._fitted()
        x_low, x_high = self.samples.x_range
        shown = {
            "samples": str(self.samples.x.shape[1]),
            "noise": f"{self.samples.noise:g}",
            "x_range": f"{x_low:.4g} to {x_high:.4g}",
            "spacing": spec.spacing,
            "seed": str(spec.seed),
            "seeds": str(self.nets),
        }
        return rows + [[name, shown[name]] for name in CARD_DATA]

    def _metric_header(self) -> tuple[str, ...]:
        if self.nets == 1:
            return ("metric", "net 0")
        return ("metric", "net 0", f"median of {self.nets}")

    def _metric_rows(self) -> list[list[str]]:
        rows = []
        for name in analysis.METRICS:
            values = np.asarray(self.metrics.get(name, [np.nan]), np.float64)
            if np.all(np.isnan(values)):
                continue
            row = [name, _number(values[0])]
            if self.nets > 1:
                row.append(_number(np.nanmedian(values)))
            rows.append(row)

        success = analysis.succeeded(self.metrics, self.samples)
        row = ["success", "yes" if success[0] else "no"]
        if self.nets > 1:
            row.append(f"{int(success.sum())} of {self.nets}")
        return rows + [row]


@dataclass(frozen=True)
class Animation:
    """An encoded training animation that Jupyter shows inline.

    Attributes:
        data: the encoded file's bytes.
        mime: "image/gif" (shown as an <img>) or "video/mp4" (a <video>).
        frames: how many frames it holds.

    Example:
        >>> animation = nnfit.fit(steps=200).animate()
        >>> animation.save("training.gif")
    """

    data: bytes
    mime: str
    frames: int

    @property
    def suffix(self) -> str:
        return ".mp4" if self.mime == "video/mp4" else ".gif"

    def save(self, path: str | Path) -> Path:
        """Write the bytes to a file with the matching suffix.

        Args:
            path: a .gif file for a GIF, a .mp4 file for a video.

        Returns:
            The path written.

        Example:
            >>> nnfit.fit(steps=200).animate().save("training.gif")
        """
        path = Path(path)
        if path.suffix.lower() != self.suffix:
            raise NnfitError(
                f"cannot save this {self.mime} animation as {str(path)!r}; "
                f"give a path ending in {self.suffix}."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path

    def _repr_html_(self) -> str:
        source = f"data:{self.mime};base64," + base64.b64encode(self.data).decode()
        if self.mime == "video/mp4":
            return f'<video controls autoplay loop muted src="{source}"></video>'
        return f'<img src="{source}" alt="training animation">'

    def __repr__(self) -> str:
        kilobytes = len(self.data) / 1024
        return (
            f"<nnfit Animation: {self.frames} frames, {self.mime}, {kilobytes:.0f} kB>"
        )


def fit(spec: FitSpec | None = None, **options: Any) -> Run:
    """Fit B one-hidden-layer nets to a target or to data.

    y = sum_i v_i f(w_i x + b_i) + c, trained full-batch; B nets (one per
    seed: spec.seed to spec.seed + spec.seeds - 1) train together. The
    options are those of `nnfit.run.fit`: user data (x, y, test, data,
    x_unit, y_unit), a progress callback, and any spec field to change.

    Args:
        spec: the fit; None takes FitSpec() (the article's sigmoid run:
            10 nodes, 1000 Adam steps, 50 noisy samples of sin(x)).
        **options: data, progress and spec fields, e.g. activation="cos",
            hidden=3, or x=..., y=... for your own measurements.

    Returns:
        The finished Run, with plot, animate and summary.

    Raises:
        SpecError: a spec field out of range (the message names it).
        DataError: x without y, or data that cannot be fitted.

    Example:
        >>> run = nnfit.fit(activation="cos", hidden=3)
        >>> run.plot("extrapolation")
    """
    return Run.from_core(core.fit(spec, **options))


def load_run(folder: str | Path) -> Run:
    """Read a run folder written by `Run.save` or `nnfit fit --out`.

    Args:
        folder: the folder holding spec.json, metrics.json and arrays.npz.

    Returns:
        The run, every array equal to the saved one.

    Raises:
        DataError: the folder is not a readable run folder.

    Example:
        >>> run = nnfit.load_run("runs/sigmoid")
        >>> run.summary()
    """
    return Run.load(folder)


def _writer(path: Path):
    """write_gif or write_mp4, chosen by the path's suffix."""
    from nnfit.views import animation

    writers = {".gif": animation.write_gif, ".mp4": animation.write_mp4}
    suffix = path.suffix.lower()
    if suffix not in writers:
        raise NnfitError(
            f"cannot write an animation to {str(path)!r}: suffix "
            f"{suffix or '(none)'!r} is not supported; use .gif or .mp4, or "
            "path=None to show it inline."
        )
    return writers[suffix]


def _show_figures_inline() -> None:
    """Let IPython show matplotlib Figures as PNG, as `%matplotlib inline` does.

    nnfit draws on Agg canvases without pyplot, and IPython learns to show a
    Figure only when pyplot sets up its backend; until then a figure would
    show as its text repr. A formatter already there (pyplot's) is kept.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, _png)


def _png(figure: Figure, dpi: float = FIGURE_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _number(value: float) -> str:
    """A metric for people: 4 significant digits; NaN is "n/a"."""
    value = float(value)
    if np.isnan(value):
        return "n/a"
    return (
        f"{value:.0f}" if value == int(value) and abs(value) < 1e6 else f"{value:.4g}"
    )


def _table(rows: list[list[str]], header: tuple[str, ...]) -> str:
    """A small HTML table; every cell is escaped."""
    cell = 'style="text-align:left;padding:0 0.6em 0 0"'
    head = "".join(f"<th {cell}>{html.escape(text)}</th>" for text in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td {cell}>{html.escape(text)}</td>" for text in row)
        + "</tr>"
        for row in rows
    )
    return f'<table style="font-size:smaller;margin-top:0.4em">{head}{body}</table>'


def sweep(specs: Any = None, **options: Any) -> Any:
    """Train a grid of nets in batches and return the tidy table.

    One row per net: the spec columns, every metric, and whether the fit
    succeeded under the named criterion. Same arguments as
    `nnfit.sweep.sweep` (axes such as activation=["sigmoid", "cos"],
    hidden=[1, 3, 10], seeds=100; out= a folder to resume from).

    Args:
        specs: FitSpec cells, or None to build them from the axes.
        **options: the grid's axes and the sweep's options.

    Returns:
        A pandas DataFrame.

    Example:
        >>> table = sweep(activation=["cos"], hidden=[1, 3], seeds=20)
        >>> table.groupby("hidden")["success"].mean()
    """
    from nnfit import sweep as sweeps

    return sweeps.sweep(specs, **options).table
