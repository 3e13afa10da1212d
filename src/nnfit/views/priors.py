"""Figures that put priors side by side: compare, spectrum, linear pieces.

- compare_figure: one row per activation, trained on the same samples and
  seed: the fit, each node's contribution, and the extrapolation.
- spectrum_figure: what periodic nodes learned (amplitude at each node's
  frequency) over the samples' own spectrum, in the user's units.
- pieces_figure: how many straight pieces ReLU nets of 1, 2 and 3 layers
  draw at equal parameter count.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from nnfit import analysis
from nnfit.errors import NnfitError
from nnfit.run import Run
from nnfit.views import style


def compare_figure(runs: Mapping[str, Run], net: int = 0) -> Figure:
    """A panel per activation: fit, node contributions, extrapolation.

    Args:
        runs: activation name -> its run, all on the same samples.
        net: which net (seed) of each run.

    Returns:
        The figure, one row per run.
    """
    if not runs:
        raise NnfitError("compare needs at least one run; give activations.")
    rows = len(runs)
    figure = style.new_figure((13.0, 2.9 * rows + 0.4))
    axes = figure.subplots(rows, 3, squeeze=False)
    for row, (name, run) in enumerate(runs.items()):
        _fit_panel(axes[row, 0], run, net)
        _nodes_panel(axes[row, 1], run, net)
        _extrapolation_panel(axes[row, 2], run, net)
        axes[row, 0].set_ylabel(f"{run.spec.hidden} {name}\ny", fontsize=11)
    for column, title in enumerate(("fit", "what each node adds", "extrapolation")):
        axes[0, column].set_title(title)
    return figure


def _fit_panel(ax, run: Run, net: int) -> None:
    samples = run.samples
    inside = samples.grid[samples.inside]
    style.draw_target(ax, run)
    style.draw_samples(ax, run, net, s=9)
    ax.plot(inside, run.predict(inside)[net], color=style.NET, lw=1.8)
    r2 = run.metrics["r2"][net]
    ax.text(0.02, 0.04, f"R² {r2:.3f}", transform=ax.transAxes, fontsize=9)
    ax.grid(True, color="#dddddd", lw=0.5)


def _nodes_panel(ax, run: Run, net: int) -> None:
    inside = run.samples.grid[run.samples.inside]
    shares, offset = run.contributions(inside)
    for node, share in enumerate(shares[net]):
        ax.plot(inside, share, color=style.node_colour(node), lw=0.9)
    output = shares[net].sum(axis=0) + offset[net]
    trend = run.trend(inside)
    if trend is not None:
        output = output + trend[net]
    ax.plot(inside, output, color=style.NET, lw=1.8)
    ax.set_ylim(*style.y_limits([run.samples.y[net]], [shares[net]]))
    ax.grid(True, color="#dddddd", lw=0.5)


def _extrapolation_panel(ax, run: Run, net: int) -> None:
    grid = run.samples.grid
    prediction = run.predict(grid)[net]
    style.shade_training_range(ax, run)
    style.draw_target(ax, run, inside=False, lw=1.4)
    ax.plot(grid, prediction, color=style.NET, lw=1.6)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(*style.y_limits([run.samples.y[net]], [prediction]))
    outside = run.metrics["extrap_mse"][net]
    ax.text(
        0.02, 0.04, f"MSE outside {outside:.3g}", transform=ax.transAxes, fontsize=9
    )
    ax.grid(True, color="#dddddd", lw=0.5)


def spectrum_figure(run: Run, net: int = 0) -> Figure:
    """Each periodic node's amplitude at its frequency, over the samples' spectrum.

    Args:
        run: a run of a periodic activation (cos, sin, snake, saw).
        net: which net.

    Returns:
        The figure.
    """
    if not run.activation.periodic:
        raise NnfitError(
            f"the spectrum figure needs a periodic activation, not "
            f"{run.spec.activation!r}; use cos, sin, snake or saw."
        )
    frequencies, amplitudes = analysis.sample_spectrum(run.samples, net)
    learned = node_frequencies(run, net)
    strength = np.abs(run.user_params["v"][net])

    figure = style.new_figure()
    ax = figure.subplots()
    ax.fill_between(
        frequencies,
        amplitudes,
        color=style.SAMPLES,
        alpha=0.5,
        label="samples' spectrum",
    )
    ax.plot(frequencies, amplitudes, color=style.SAMPLES_EDGE, lw=1)
    for node, (frequency, amplitude) in enumerate(zip(learned, strength, strict=True)):
        ax.vlines(frequency, 0, amplitude, color=style.node_colour(node), lw=2.5)
        ax.plot(frequency, amplitude, "o", color=style.node_colour(node))
    ax.plot([], [], "o-", color=style.NET, label="nodes: frequency, |v|")
    ax.set_xlim(0, max(frequencies[-1] / 2, 1.2 * np.max(learned, initial=0)))
    ax.set_xlabel("angular frequency (radians per unit of x)")
    ax.set_ylabel("amplitude")
    ax.set_title(f"{style.nodes_phrase(run)}: frequencies found vs the data's")
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.legend(loc="upper right")
    return figure


def node_frequencies(run: Run, net: int = 0) -> np.ndarray:
    """Each node's angular frequency in the user's units, shape (H,).

    cos, sin and saw repeat every 2 pi in z = w x + b, so the frequency is
    |w|; snake's wave sin^2(a z) / a repeats every pi / a, so it is 2 a |w|.
    """
    params = run.user_params
    w = np.abs(params["w"][net])
    if "a" in params:
        return 2 * np.abs(params["a"][net]) * w
    return w


def pieces_figure(counts: Mapping[int, list[int]], parameters: Mapping[int, int]):
    """Linear pieces of trained ReLU nets against depth, at equal parameters.

    Args:
        counts: depth -> the number of pieces, one per seed.
        parameters: depth -> the parameter count of that net.

    Returns:
        The figure: each seed a point, the median a bar.
    """
    figure = style.new_figure((6.4, 4.0))
    ax = figure.subplots()
    for depth, values in counts.items():
        jitter = np.linspace(-0.15, 0.15, len(values))
        ax.scatter(depth + jitter, values, color=style.NODES[1], s=14, zorder=3)
        ax.bar(depth, np.median(values), width=0.6, color=style.SHADE, zorder=1)
    ax.set_xticks(list(counts))
    ax.set_xticklabels(
        [
            f"{depth} layer{'s' if depth > 1 else ''}\n{parameters[depth]} params"
            for depth in counts
        ]
    )
    ax.set_ylabel("linear pieces on the training range")
    ax.set_title("ReLU nets: pieces drawn at equal parameter count")
    ax.grid(True, axis="y", color="#dddddd", lw=0.6)
    return figure
