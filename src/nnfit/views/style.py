"""Colours and helpers shared by every nnfit view, so the figures match.

The target is blue, the samples light green points (never lines: their x is
unsorted), the net's output near-black and each hidden node takes a colour
of a qualitative palette (tab10 without its blue and grey, so a node never
reads as the target or as a dead unit). Everything draws with matplotlib's
object API on an Agg canvas: no pyplot, no global state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfit.errors import NnfitError
from nnfit.run import Run

TARGET = "#1f77b4"
SAMPLES = "#8fd68a"
SAMPLES_EDGE = "#4f9d4a"
NET = "#1a1a1a"
DEAD = "#9a9a9a"
BIAS = "#555555"
SHADE = "#ececec"
NOISE = "#b0413e"
KINK = "#c0392b"

# tab10 less blue (the target) and grey (dead units), plus two so that the
# article's 10 nodes all differ.
NODES = (
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#7b4173",
    "#e6ab02",
)

# Figure size in inches; at 110 dpi a PNG is about 880 by 480 pixels.
SIZE = (8.0, 4.4)


def node_colour(index: int) -> str:
    """The colour of hidden node `index` (0-based), cycling the palette."""
    return NODES[index % len(NODES)]


def new_figure(size: tuple[float, float] = SIZE, dpi: float = 100) -> Figure:
    """A figure with an Agg canvas attached and constrained layout."""
    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def check_net(run: Run, net: int) -> int:
    """The net index, checked against the run's batch."""
    if not 0 <= int(net) < run.nets:
        raise NnfitError(
            f"net {net} is out of range; this run holds {run.nets} net(s), "
            f"so use 0 to {run.nets - 1}."
        )
    return int(net)


def nodes_phrase(run: Run) -> str:
    """'10 sigmoid nodes', '1 cos node', '10 cos nodes + trend'."""
    spec = run.spec
    phrase = f"{spec.hidden} {spec.activation} node{'s' if spec.hidden != 1 else ''}"
    if spec.depth > 1:
        phrase += f" x {spec.depth} layers"
    return phrase + (" + trend" if spec.trend else "")


def run_title(run: Run, net: int) -> str:
    """A plain-words title: '10 sigmoid nodes after 1000 steps'."""
    title = f"{nodes_phrase(run)} after {run.spec.steps} steps"
    if run.diverged_at[net] >= 0:
        title += f" (diverged at step {int(run.diverged_at[net])})"
    return title


def data_label(run: Run) -> str:
    """'of sin' for a target, 'from data.csv' for user data."""
    if run.samples.truth is None:
        return f"from {fitted(run)}"
    return f"of {fitted(run)}"


def fitted(run: Run) -> str:
    """What the nets fit: the target's text or the data's label."""
    if run.samples.truth is None:
        return run.data or "your data"
    return str(run.spec.target)


def draw_samples(ax: Axes, run: Run, net: int, **style: object) -> None:
    """The net's training samples as light green points (x is unsorted)."""
    samples = run.samples
    style = {"s": 16, "zorder": 3, "label": "samples", **style}
    ax.scatter(
        samples.x[net],
        samples.y[net],
        color=SAMPLES,
        edgecolors=SAMPLES_EDGE,
        linewidths=0.6,
        **style,
    )


def draw_target(ax: Axes, run: Run, inside: bool = True, **style: object) -> None:
    """The true curve on the sorted grid, if the run has one."""
    samples = run.samples
    if samples.truth is None:
        return
    keep = samples.inside if inside else slice(None)
    style = {"lw": 2.0, "label": "target", "zorder": 2, **style}
    ax.plot(samples.grid[keep], samples.truth[keep], color=TARGET, **style)


HELD_OUT = "#e07b39"


def draw_heldout(ax: Axes, run: Run) -> list[np.ndarray]:
    """Held-out data points (never trained on) in orange; their y values."""
    samples = run.samples
    if samples.test_x is None:
        return []
    ax.scatter(
        samples.test_x, samples.test_y, s=10, color=HELD_OUT, zorder=3, label="held out"
    )
    return [samples.test_y]


def shade_training_range(ax: Axes, run: Run) -> None:
    """A light band over the training range."""
    low, high = run.samples.x_range
    ax.axvspan(low, high, color=SHADE, zorder=0, lw=0, label="training range")


def label_axes(ax: Axes, run: Run | None = None) -> None:
    """Axis labels (x in its unit, e.g. "year") and a light grid."""
    unit = run.x_unit if run is not None else None
    ax.set_xlabel("year" if unit == "decimal year" else (unit or "x"))
    ax.set_ylabel((run.y_unit if run is not None else None) or "y")
    ax.grid(True, color="#dddddd", lw=0.6, zorder=0)
    ax.set_axisbelow(True)


def y_limits(
    data: Sequence[np.ndarray], extra: Sequence[np.ndarray] = (), reach: float = 1.5
) -> tuple[float, float]:
    """y-limits that hold the data and, within `reach` spans of it, the extras.

    A prediction that runs off to large values (a ReLU tail, a diverging
    net) should not squash the data into a thin line: extras widen the view
    only up to `reach` data spans beyond the data on each side.
    """
    values = np.concatenate([np.ravel(a) for a in data])
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if values.size else (-1.0, 1.0)
    span = max(high - low, 1e-9)
    floor, ceiling = low - reach * span, high + reach * span

    for more in extra:
        more = np.ravel(more)
        more = more[np.isfinite(more)]
        if more.size:
            low = max(min(low, more.min()), floor)
            high = min(max(high, more.max()), ceiling)
    pad = 0.06 * (high - low)
    return float(low - pad), float(high + pad)


def x_margin(x_range: tuple[float, float], fraction: float = 0.02) -> tuple:
    """x-limits a little wider than a range."""
    low, high = x_range
    pad = fraction * (high - low)
    return low - pad, high + pad
