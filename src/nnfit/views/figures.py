"""Figures of a finished run: data, fit, nodes, extrapolation, waves, loss.

Each figure function takes a Run and a net index and returns a matplotlib
Figure drawn on an Agg canvas (no pyplot), in the user's units. Curves are
drawn on the run's sorted grid; samples are points. `save_figure` writes
PNG, SVG or PDF by the file's suffix.

Example:
    >>> run = nnfit.fit()
    >>> save_figure(nodes_figure(run), "nodes.png")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnfit import analysis
from nnfit.errors import NnfitError
from nnfit.run import Run
from nnfit.views import style
from nnfit.views.priors import spectrum_figure

# Past this many nodes the per-node legend is dropped for one summary entry.
LEGEND_NODES = 12
# Rows of the waves table; further nodes are summarised in one line.
TABLE_ROWS = 12
ROW_HEIGHT = 0.065
# Activations whose units bend the curve at a kink x = -b / w.
KINKED = ("relu", "leaky_relu")
PERIODIC = ("cos", "sin")
FORMATS = {".png": 110, ".svg": None, ".pdf": None}


def data_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = style.SIZE
) -> Figure:
    """The training data: the target on the training range and the samples.

    Args:
        run: a finished run.
        net: which net of the batch (each net has its own samples).
        size: figure size in inches.

    Returns:
        The figure; with user data (no true curve) only the points.

    Example:
        >>> figure = data_figure(nnfit.fit(steps=10))
        >>> save_figure(figure, "data.png")
    """
    net = style.check_net(run, net)
    figure = style.new_figure(size)
    ax = figure.add_subplot()

    style.draw_target(ax, run, label=f"target: {run.spec.target}")
    style.draw_samples(ax, run, net)
    count = run.samples.x.shape[1]
    noise = f" with noise {run.samples.noise:g}" if run.samples.noise > 0 else ""
    ax.set_title(f"{count} samples {style.data_label(run)}{noise}")
    ax.set_xlim(*style.x_margin(run.samples.x_range))
    style.label_axes(ax, run)
    ax.legend(loc="best", fontsize="small")
    return figure


def fit_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = style.SIZE
) -> Figure:
    """The final net output over the samples and the target, with MSE and R².

    Args:
        run: a finished run.
        net: which net of the batch.
        size: figure size in inches.

    Returns:
        The figure.

    Example:
        >>> save_figure(fit_figure(nnfit.fit()), "fit.png")
    """
    net = style.check_net(run, net)
    figure = style.new_figure(size)
    ax = figure.add_subplot()
    samples = run.samples
    x = samples.grid[samples.inside]
    curve = run.predict(x)[net]

    style.draw_target(ax, run)
    style.draw_samples(ax, run, net)
    ax.plot(x, curve, color=style.NET, lw=2.2, label="net output", zorder=4)
    ax.set_title(style.run_title(run, net))
    ax.set_xlim(*style.x_margin(samples.x_range))
    _leave_headroom(ax, [samples.y[net], curve], [])
    style.label_axes(ax, run)

    ax.legend(loc="upper left", ncols=3, fontsize="small", frameon=False)
    mse, r2 = run.metrics["train_mse"][net], run.metrics["r2"][net]
    _text_box(ax, f"train MSE {mse:.4g}\nR² {r2:.4f}")
    return figure


def nodes_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = style.SIZE
) -> Figure:
    """Each node's share v_i h_i(x), their sum plus c (the output) and c.

    Dead units (zero slope on every training sample) are grey, dashed and
    labelled "dead". Past LEGEND_NODES nodes the legend holds one entry for
    all contributions. Lines carry gids "node-<i>", "output" and "bias".

    Args:
        run: a finished run.
        net: which net of the batch.
        size: figure size in inches.

    Returns:
        The figure.

    Example:
        >>> save_figure(nodes_figure(nnfit.fit(hidden=10)), "nodes.png")
    """
    net = style.check_net(run, net)
    figure = style.new_figure(size)
    ax = figure.add_subplot()
    x = run.samples.grid[run.samples.inside]
    shares, offset = run.contributions(x)
    shares, c = shares[net], float(offset[net])
    dead = dead_mask(run, net)

    _draw_nodes(ax, x, shares, dead)
    output = shares.sum(axis=0) + c
    label = "net output (sum + c)"
    trend = run.trend(x)
    if trend is not None:
        output = output + trend[net]
        label = "net output (sum + trend + c)"
        ax.plot(
            x,
            trend[net] + c,
            color=style.BIAS,
            lw=1.2,
            ls=":",
            gid="trend",
            label="trend d x + c",
        )
    ax.plot(x, output, color=style.NET, lw=2.6, label=label, gid="output", zorder=3)
    if trend is None:
        ax.axhline(
            c, color=style.BIAS, ls="--", lw=1.2, gid="bias", label=f"c = {c:.3g}"
        )

    title = style.run_title(run, net)
    if dead.any():
        title += f", {int(dead.sum())} dead"
    ax.set_title(title + ": what each node adds")
    ax.set_xlim(*style.x_margin(run.samples.x_range))
    style.label_axes(ax, run)
    figure.legend(loc="outside right upper", fontsize="small")
    return figure


def dead_mask(run: Run, net: int = 0) -> np.ndarray:
    """Which of the net's units are dead: zero slope on every sample, (H,)."""
    slopes = analysis.unit_slopes(run.params, run.samples, run.activation)[net]
    return np.all(np.abs(slopes) < analysis.DEAD_SLOPE, axis=1)


def _draw_nodes(ax: Axes, x: np.ndarray, shares: np.ndarray, dead: np.ndarray):
    hidden = len(shares)
    for i, share in enumerate(shares):
        if dead[i]:
            look = {"color": style.DEAD, "ls": "--", "lw": 1.2, "zorder": 2.5}
        else:
            width = 1.4 if hidden <= LEGEND_NODES else 0.8
            look = {"color": style.node_colour(i), "lw": width}
        label = _node_label(i, dead)
        ax.plot(x, share, label=label, gid=f"node-{i}", **look)


def _node_label(i: int, dead: np.ndarray) -> str | None:
    hidden = len(dead)
    if hidden <= LEGEND_NODES:
        return f"node {i + 1}" + (" (dead)" if dead[i] else "")
    # One entry for all live nodes and one for all dead ones, at the first of each.
    if dead[i] and i == np.argmax(dead):
        return f"dead units ({int(dead.sum())})"
    if not dead[i] and i == np.argmin(dead):
        return f"node contributions ({hidden})"
    return None


def extrapolation_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = style.SIZE
) -> Figure:
    """The prediction over the whole wide grid, with the training range shaded.

    For ReLU nets, small ticks at the bottom mark each unit's kink
    x = -b_i / w_i (user units) inside the plotted range.

    Args:
        run: a finished run.
        net: which net of the batch.
        size: figure size in inches.

    Returns:
        The figure.

    Example:
        >>> save_figure(extrapolation_figure(nnfit.fit()), "extrapolation.png")
    """
    net = style.check_net(run, net)
    figure = style.new_figure(size)
    ax = figure.add_subplot()
    grid = run.samples.grid
    curve = run.predict(grid)[net]

    style.shade_training_range(ax, run)
    style.draw_target(ax, run, inside=False)
    style.draw_samples(ax, run, net)
    held = style.draw_heldout(ax, run)
    ax.plot(grid, curve, color=style.NET, lw=2.0, label="net output", zorder=4)
    if run.spec.activation in KINKED:
        _mark_kinks(ax, run, net)

    ax.set_xlim(grid[0], grid[-1])
    known = [run.samples.y[net]] + _truth(run) + held
    ax.set_ylim(*style.y_limits(known, [curve]))
    ax.set_title(style.run_title(run, net) + ": inside and outside the data")
    style.label_axes(ax, run)
    figure.legend(loc="outside lower center", ncols=6, fontsize="small")
    return figure


def _mark_kinks(ax: Axes, run: Run, net: int) -> None:
    w, b = run.user_params["w"][net], run.user_params["b"][net]
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = np.where(w != 0, -b / w, np.nan)
    low, high = run.samples.grid[0], run.samples.grid[-1]
    kinks = kinks[np.isfinite(kinks) & (kinks >= low) & (kinks <= high)]
    transform = ax.get_xaxis_transform()
    ax.vlines(
        kinks,
        0,
        0.05,
        transform=transform,
        color=style.KINK,
        lw=1.4,
        label=f"kinks ({kinks.size})",
        gid="kinks",
        zorder=5,
    )


def waves_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = (9.0, 4.4)
) -> Figure:
    """What each periodic node learned: frequency, period, phase, amplitude.

    Each node is read as amplitude * f(frequency * x + phase) in the user's
    units (see `analysis.waves`): a stem plot of amplitude against frequency
    beside a table, largest amplitude first, and the offset c.

    Args:
        run: a finished run with activation "cos" or "sin".
        net: which net of the batch.
        size: figure size in inches.

    Returns:
        The figure.

    Raises:
        NnfitError: the run's activation is not periodic.

    Example:
        >>> save_figure(waves_figure(nnfit.fit(activation="cos", hidden=3)), "w.png")
    """
    net = style.check_net(run, net)
    activation = run.spec.activation
    if activation not in PERIODIC:
        raise NnfitError(
            f"waves_figure reads frequencies from periodic nodes, but this run's "
            f"activation is {activation!r}; fit with activation 'cos' or 'sin'."
        )

    params = run.user_params
    waves = analysis.waves(params, net, activation)
    order = np.argsort(-np.abs(params["v"][net]), kind="stable")
    c = float(params["c"][net])

    figure = style.new_figure(size)
    stems, table = figure.subplots(1, 2, width_ratios=(1.0, 1.15))
    _draw_stems(stems, waves, order)
    _draw_wave_table(table, waves, order, c, activation)
    figure.suptitle(style.run_title(run, net) + ": the waves it found")
    return figure


def _draw_stems(ax: Axes, waves: list[analysis.Wave], order: np.ndarray) -> None:
    for wave, node in zip(waves, order, strict=True):
        colour = style.node_colour(int(node))
        ax.vlines(wave.frequency, 0, wave.amplitude, color=colour, lw=2.0)
        ax.plot(wave.frequency, wave.amplitude, "o", color=colour, ms=6)
    ax.set_xlim(left=0, right=1.15 * max(w.frequency for w in waves) + 1e-9)
    ax.set_ylim(bottom=0, top=1.15 * max(w.amplitude for w in waves) + 1e-9)
    ax.set_xlabel("frequency (radians per unit of x)")
    ax.set_ylabel("amplitude (y units)")
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)


def _draw_wave_table(
    ax: Axes,
    waves: list[analysis.Wave],
    order: np.ndarray,
    c: float,
    activation: str,
) -> None:
    ax.axis("off")
    rows = [
        [
            f"{int(node) + 1}",
            f"{wave.frequency:.3f}",
            f"{wave.period:.3f}",
            f"{wave.phase:+.3f}",
            f"{wave.amplitude:.3f}",
        ]
        for wave, node in zip(waves[:TABLE_ROWS], order[:TABLE_ROWS], strict=True)
    ]
    # Rows from the top of the axes, the notes just below the last one.
    height = ROW_HEIGHT * (len(rows) + 1)
    table = ax.table(
        cellText=rows,
        colLabels=["node", "frequency", "period", "phase", "amplitude"],
        cellLoc="right",
        bbox=(0.0, 1.0 - height, 1.0, height),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for row, node in enumerate(order[:TABLE_ROWS], start=1):
        table[row, 0].get_text().set_color(style.node_colour(int(node)))

    notes = [f"y = Σ amplitude · {activation}(frequency · x + phase) + c"]
    notes.append(f"offset c = {c:.4g}; phase in radians, in (-π, π]")
    if len(waves) > TABLE_ROWS:
        notes.append(f"{len(waves) - TABLE_ROWS} smaller nodes not listed")
    ax.text(0.0, 0.96 - height, "\n".join(notes), va="top", fontsize=9)


def loss_figure(
    run: Run, net: int = 0, *, size: tuple[float, float] = style.SIZE
) -> Figure:
    """Training MSE against step (log scale), with the noise variance.

    The loss of a perfect fit to noisy samples is about noise², drawn as a
    dashed line when the run's samples are noisy. A diverged net's curve
    stops at its last finite loss.

    Args:
        run: a finished run.
        net: which net of the batch.
        size: figure size in inches.

    Returns:
        The figure.

    Example:
        >>> save_figure(loss_figure(nnfit.fit()), "loss.png")
    """
    net = style.check_net(run, net)
    figure = style.new_figure(size)
    ax = figure.add_subplot()
    loss = run.loss(net)
    if run.diverged_at[net] >= 0:
        loss = loss[: int(run.diverged_at[net])]
    finite = np.isfinite(loss)
    steps = np.arange(loss.size)

    # log scale: an exact zero loss is drawn at the smallest positive float.
    shown = np.maximum(loss[finite], np.finfo(np.float64).tiny)
    ax.plot(steps[finite], shown, color=style.NET, lw=1.6, label="train MSE")
    noise = run.samples.noise
    if noise > 0:
        ax.axhline(
            noise**2,
            color=style.NOISE,
            ls="--",
            lw=1.2,
            label=f"noise variance {noise:g}² = {noise**2:.3g}",
        )

    if shown.size:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error (y units²)")
    ax.set_title(style.run_title(run, net) + ": training loss")
    ax.grid(True, which="both", color="#e4e4e4", lw=0.5)
    ax.legend(loc="upper right", fontsize="small")
    return figure


FIGURES: dict[str, Callable[..., Figure]] = {
    "data": data_figure,
    "fit": fit_figure,
    "nodes": nodes_figure,
    "extrapolation": extrapolation_figure,
    "waves": waves_figure,
    "spectrum": spectrum_figure,
    "loss": loss_figure,
}


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write a figure as PNG (110 dpi), SVG or PDF, chosen by the suffix.

    Args:
        figure: a figure from this module.
        path: the file to write; missing folders are created.

    Returns:
        The path written.

    Example:
        >>> save_figure(fit_figure(run), "out/fit.svg")
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise NnfitError(
            f"cannot save a figure as {str(path)!r}: suffix {suffix or '(none)'!r} "
            f"is not supported; use one of {', '.join(FORMATS)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    dpi = FORMATS[suffix] or "figure"
    # A light PNG compression: a third of the time of the default, 20% larger.
    options = {"pil_kwargs": {"compress_level": 3}} if suffix == ".png" else {}
    figure.savefig(path, dpi=dpi, format=suffix[1:], **options)
    return path


def _truth(run: Run) -> list[np.ndarray]:
    return [] if run.samples.truth is None else [run.samples.truth]


def _leave_headroom(ax: Axes, data: list, extra: list) -> None:
    """y-limits from the data, with a band on top for the legend and notes."""
    low, high = style.y_limits(data, extra)
    ax.set_ylim(low, high + 0.28 * (high - low))


def _text_box(ax: Axes, text: str) -> None:
    ax.text(
        0.985,
        0.97,
        text,
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize="small",
        zorder=6,
        bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#bbbbbb"},
    )
