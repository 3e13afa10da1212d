"""Figures of a sweep, and the claims as a page section.

- success_figure: the share of seeds that fit, against width, one line per
  activation (and per any other field the sweep varies), with a Wilson band;
- errors_figure: the distribution of the error against the true curve
  inside and outside the training range, per activation and width;
- frequency_figure: what periodic nets learned, a histogram of each net's
  main frequency per activation and width.

They read a sweep table (`nnfit.sweep`); they never train.

Example:
    >>> result = nnfit.sweep.sweep(activation=["sigmoid", "cos"], hidden=[1, 3])
    >>> save_figure(success_figure(result.table), "success.png")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnfit.claims import LOOSER, looser, width_of
from nnfit.errors import NnfitError
from nnfit.sweep import AXES, Criterion, summarise
from nnfit.views import style
from nnfit.views.figures import save_figure
from nnfit.views.report import Section, Table, write_page

# Spec columns of a table that may tell one line from another.
SPEC_COLUMNS = tuple(name for name in AXES if name != "x_range") + (
    "x_low",
    "x_high",
)
DASHES = ("-", "--", ":", "-.")
BINS = 40


def success_figure(
    table: pd.DataFrame,
    *,
    level: float = 0.95,
    size: tuple[float, float] = style.SIZE,
) -> Figure:
    """Share of seeds that succeed against hidden width, with Wilson bands.

    Args:
        table: a sweep table (one row per net, with a success column).
        level: confidence level of the bands.
        size: figure size in inches.

    Returns:
        One line per activation (colour) and per value of any other spec
        column the table varies (dash), over hidden widths.
    """
    _check_table(table, ("hidden", "success"))
    series = _series_columns(table, exclude=("hidden",))
    figure = style.new_figure(size)
    ax = figure.add_subplot()

    for index, (key, rows) in enumerate(_groups(table, series)):
        summary = summarise(rows, by=("hidden",), level=level).sort_values("hidden")
        colour, dash = _look(table, series, key, index)
        hidden = summary["hidden"].to_numpy()
        ax.fill_between(
            hidden, summary["low"], summary["high"], color=colour, alpha=0.15, lw=0
        )
        ax.plot(
            hidden,
            summary["success_rate"],
            dash,
            marker="o",
            ms=4,
            color=colour,
            label=_label(series, key),
        )

    _log_x_if_wide(ax, table["hidden"])
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_xlabel("hidden nodes")
    ax.set_ylabel("seeds that fit the training range")
    ax.set_title(_success_title(table, level), fontsize="medium")
    _grid(ax)
    ax.legend(fontsize="small", loc="best")
    return figure


def errors_figure(
    table: pd.DataFrame,
    *,
    criterion: Criterion | None = None,
    size: tuple[float, float] = (9.0, 4.6),
) -> Figure:
    """The error against the true curve inside and outside the training range.

    Args:
        table: a sweep table; one box per activation and width (and per any
            other spec column the table varies).
        criterion: draws its threshold on the inside panel; None takes the
            default criterion.
        size: figure size in inches.

    Returns:
        Two panels of box plots on a log scale, with every net as a point.
    """
    _check_table(table, ("interp_mse", "extrap_mse"))
    criterion = criterion or Criterion()
    series = _width_series(table)
    groups = list(_groups(table, series))
    labels = [_label(series, key, short=True) for key, _ in groups]

    figure = style.new_figure(size)
    inside, outside = figure.subplots(1, 2, sharey=True)
    for ax, column, title in (
        (inside, "interp_mse", "inside the training range"),
        (outside, "extrap_mse", "outside the training range"),
    ):
        values = [_positive(rows[column]) for _, rows in groups]
        _draw_boxes(ax, values, labels)
        ax.set_title(title, fontsize="medium")
        _grid(ax)
    inside.set_yscale("log")
    inside.set_ylabel("MSE against the true curve")

    variance = table["target_variance"].dropna()
    if not variance.empty:
        limit = criterion.fraction * float(variance.median())
        inside.axhline(
            limit, color=style.KINK, lw=1.2, ls="--", label=f"success below {limit:.3g}"
        )
        inside.legend(fontsize="small", loc="upper left")
    return figure


def frequency_figure(
    table: pd.DataFrame,
    *,
    expected: float | None = 1.0,
    size: tuple[float, float] | None = None,
) -> Figure:
    """Histograms of the main frequency each periodic net learned.

    Args:
        table: a sweep table; rows without a frequency (non-periodic nets)
            are left out.
        expected: the target's frequency, drawn as a line; None for none.
        size: figure size in inches; None sizes it to the panels.

    Returns:
        One panel per activation and width (and any other varied column).
    """
    _check_table(table, ("frequency",))
    rows = table[np.isfinite(table["frequency"])]
    if rows.empty:
        raise NnfitError(
            "the table has no learned frequencies; the frequency figure needs "
            "nets with a periodic activation (cos, sin, saw)."
        )
    series = _width_series(rows)
    groups = list(_groups(rows, series))
    columns = min(3, len(groups))
    lines = -(-len(groups) // columns)
    size = size or (3.2 * columns + 0.6, 2.5 * lines + 0.5)

    figure = style.new_figure(size)
    axes = np.atleast_1d(
        figure.subplots(lines, columns, sharex=True, squeeze=False)
    ).ravel()
    bins = _frequency_bins(rows["frequency"], expected)
    activations = list(dict.fromkeys(rows["activation"]))
    for ax, (key, group) in zip(axes, groups, strict=False):
        colour = style.node_colour(activations.index(group["activation"].iloc[0]))
        _draw_histogram(ax, group["frequency"].to_numpy(), bins, colour, expected)
        ax.set_title(_label(series, key, short=True), fontsize="small")
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    figure.supxlabel("main frequency learned (radians per unit of x)", fontsize="small")
    figure.supylabel("nets", fontsize="small")
    return figure


def claims_section(result, folder: str | Path | None = None) -> Section:
    """The claims as one page section: verdicts, extrapolation, figures.

    Args:
        result: a ClaimsResult (`nnfit.claims.run_claims` or `load_claims`).
        folder: where the section's figures are written (PNG); None takes
            the folder the claims were saved to or loaded from.

    Returns:
        A report Section, for `write_page` (the demo page or claims.html).

    Example:
        >>> section = claims_section(load_claims("demo/claims"))
        >>> write_page("claims.html", "Claims", [], [section])
    """
    folder = folder or result.folder
    if folder is None:
        raise NnfitError(
            "claims_section needs a folder for its figures; pass one, or "
            "save the claims first (save_claims)."
        )
    images = write_claims_figures(result, folder)
    plan, criterion = result.plan, result.criterion
    limit = criterion.fraction * float(result.table["target_variance"].median())
    paragraphs = [
        f"Each claim of the article, measured over {plan.seeds} seeds per cell "
        f"({len(result.table)} nets): sin(x) on [-3π, 3π], 50 noisy samples, "
        f"Adam, {plan.steps} steps. A fit succeeds when "
        f"{criterion.name} (for sin(x): MSE below {limit:.3g}); a net fits "
        "reliably when 90% of seeds succeed. 'Plain init' is U(-1, 1) in x's "
        "units, a plain random init like the article's; 'nnfit's init' places "
        "sigmoid steps and "
        "ReLU kinks inside the data and starts cos nodes at the samples' "
        "strongest frequencies.",
        _disagreements(result),
    ]
    lenient = looser(criterion)
    verdicts = Table(
        ["claim", "measured", "number", "holds", f"holds at {lenient.fraction:g}"],
        [
            [v.claim, v.measured, v.shown, _yes_no(v.holds), _yes_no(v.holds_looser)]
            for v in result.verdicts
        ],
        "Claims against measurements (95% Wilson intervals). The last column "
        f"judges again with a criterion {LOOSER:g} times as lenient "
        f"({lenient.name}).",
    )

    extrapolation = Table(
        [
            "activation",
            "nodes",
            "fit inside",
            "median MSE inside",
            "median MSE outside",
            "fit outside too",
        ],
        [
            [
                row.activation,
                str(row.hidden),
                f"{row.success_rate:.0%}",
                f"{row.median_interp_mse:.3g}",
                f"{row.median_extrap_mse:.3g}",
                f"{row.extrapolates:.0%}",
            ]
            for row in result.extrapolation.itertuples()
        ],
        "Every activation on sin(x), each with its own init; 'fit outside "
        "too' uses the same criterion on the extrapolation range.",
    )
    return Section(
        "The article's claims, measured",
        paragraphs,
        tables=[verdicts, extrapolation],
        images=images,
        anchor="claims",
    )


def write_claims_figures(result, folder: str | Path) -> list[Path]:
    """Write success.png, errors.png and frequencies.png for the claims."""
    folder = Path(folder)
    table, plan = result.table, result.plan
    swept = table[table["activation"].isin(list(plan.width_sweeps()))]
    compared = _own_width_rows(result)
    periodic = table[(table["activation"] == "cos") & table["hidden"].isin(plan.cos)]
    return [
        save_figure(success_figure(swept), folder / "success.png"),
        save_figure(
            errors_figure(compared, criterion=result.criterion), folder / "errors.png"
        ),
        save_figure(frequency_figure(periodic), folder / "frequencies.png"),
    ]


def write_claims_page(result, folder: str | Path) -> Path:
    """Write folder/claims.html: the claims section on a page of its own."""
    folder = Path(folder)
    section = claims_section(result, folder)
    intro = [
        "The article 'What neural networks actually do?' (Tambet Matiisen, "
        "2018) draws its numbers from a handful of runs. nnfit repeats each "
        "over many seeds and says whether the measurement agrees."
    ]
    return write_page(folder / "claims.html", "The claims, measured", intro, [section])


def _own_width_rows(result) -> pd.DataFrame:
    from nnfit.activations import get_activation

    table = result.table
    keep = np.zeros(len(table), bool)
    for activation in result.plan.extrapolation_activations():
        keep |= (
            (table["activation"] == activation)
            & (table["hidden"] == width_of(activation))
            & (table["init"] == get_activation(activation).init)
        ).to_numpy()
    return table[keep]


def _disagreements(result) -> str:
    judged = [v for v in result.verdicts if v.holds is not None]
    wrong = [v for v in judged if not v.holds]
    if not wrong:
        return f"All {len(judged)} claims hold in this measurement."
    return (
        f"The measurement disagrees with the article on {len(wrong)} of "
        f"{len(judged)} claims, marked 'no' below; rows marked '—' only report."
    )


def _yes_no(holds: bool | None) -> str:
    return "—" if holds is None else ("yes" if holds else "no")


def _check_table(table: pd.DataFrame, needed: Sequence[str]) -> None:
    missing = [name for name in needed if name not in table]
    if missing:
        raise NnfitError(
            f"the table lacks column(s) {', '.join(missing)}; pass a sweep table "
            "(nnfit.sweep.sweep(...).table)."
        )
    if table.empty:
        raise NnfitError("the table has no rows; sweep at least one net first.")


def _series_columns(table: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    """activation, then every other spec column that varies within one."""
    per_activation = table.groupby("activation", sort=False)
    varied = [
        name
        for name in SPEC_COLUMNS
        if name in table
        and name not in ("activation", *exclude)
        and per_activation[name].nunique().max() > 1
    ]
    return ["activation", *varied]


def _width_series(table: pd.DataFrame) -> list[str]:
    """activation and hidden, then any other column varied within them."""
    return ["activation", "hidden", *_series_columns(table, ("hidden",))[1:]]


def _groups(table: pd.DataFrame, columns: list[str]):
    return table.groupby(columns, sort=False)


def _look(table, series, key, index) -> tuple[str, str]:
    """A colour per activation; a dash per variant within the activation."""
    key = key if isinstance(key, tuple) else (key,)
    activations = list(dict.fromkeys(table["activation"]))
    colour = style.node_colour(activations.index(key[0]))
    variants = [k[1:] for k in _keys(table, series) if k[0] == key[0]]
    return colour, DASHES[variants.index(key[1:]) % len(DASHES)]


def _keys(table, series) -> list[tuple]:
    return [k if isinstance(k, tuple) else (k,) for k, _ in _groups(table, series)]


def _label(series: list[str], key, short: bool = False) -> str:
    key = key if isinstance(key, tuple) else (key,)
    parts = [str(key[0])]
    for name, value in zip(series[1:], key[1:], strict=True):
        if name == "hidden":
            parts[0] += f" {value}"
        elif name == "init":
            parts.append(f"{value} init")
        else:
            parts.append(
                f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
            )
    if len(parts) == 1:
        return parts[0]
    return (
        f"{parts[0]}\n{', '.join(parts[1:])}"
        if short
        else f"{parts[0]} ({', '.join(parts[1:])})"
    )


def _success_title(table: pd.DataFrame, level: float) -> str:
    nets = table.groupby(["cell"]).size()
    seeds = (
        f"{nets.min()}" if nets.min() == nets.max() else f"{nets.min()}-{nets.max()}"
    )
    name = str(table["criterion"].iloc[0]) if "criterion" in table else "success"
    return f"Success: {name}\n{seeds} seeds per point, {level:.0%} Wilson band"


def _log_x_if_wide(ax: Axes, hidden: pd.Series) -> None:
    """A log axis when widths span a decade, ticked at round widths."""
    widths = sorted(int(value) for value in set(hidden))
    ticks = widths
    if widths[-1] >= 10 * widths[0]:
        ax.set_xscale("log")
        round_widths = {m * 10**k for m in (1, 2, 3, 5) for k in range(7)}
        ends = {widths[0], widths[-1]}
        ticks = [w for w in widths if w in round_widths or w in ends]
    if len(ticks) <= 16:
        ax.set_xticks(ticks, [str(tick) for tick in ticks])
        ax.minorticks_off()


def _grid(ax: Axes) -> None:
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)


def _positive(values: pd.Series) -> np.ndarray:
    """Finite values, with exact zeros lifted so a log axis can show them."""
    values = values.to_numpy(np.float64)
    values = values[np.isfinite(values)]
    return np.maximum(values, 1e-12)


def _draw_boxes(ax: Axes, values: list[np.ndarray], labels: list[str]) -> None:
    positions = np.arange(1, len(values) + 1)
    ax.boxplot(
        values,
        positions=positions,
        widths=0.55,
        showfliers=False,
        medianprops={"color": style.NET, "lw": 1.6},
    )
    rng = np.random.default_rng(0)
    for position, points, index in zip(
        positions, values, range(len(values)), strict=True
    ):
        jitter = rng.uniform(-0.18, 0.18, points.size)
        ax.scatter(
            position + jitter,
            points,
            s=5,
            alpha=0.35,
            color=style.node_colour(index),
            lw=0,
            zorder=3,
        )
    ax.set_xticks(
        positions,
        labels,
        rotation=45 if len(labels) > 5 else 0,
        ha="right" if len(labels) > 5 else "center",
        fontsize="small",
    )


def _frequency_bins(frequency: pd.Series, expected: float | None) -> np.ndarray:
    """BINS equal bins from 0 over most frequencies, one centred on expected."""
    high = float(np.quantile(frequency, 0.98))
    if expected is None:
        return np.linspace(0, 1.05 * high, BINS + 1)
    width = 1.05 * max(high, 2 * expected) / BINS
    below = np.floor(expected / width + 0.5)
    return expected + width * (np.arange(BINS + 1) - below - 0.5)


def _draw_histogram(
    ax: Axes,
    frequency: np.ndarray,
    bins: np.ndarray,
    colour: str,
    expected: float | None,
) -> None:
    beyond = int(np.sum(frequency > bins[-1]))
    ax.hist(np.minimum(frequency, bins[-1]), bins=bins, color=colour, alpha=0.85)
    if expected is not None:
        ax.axvline(expected, color=style.TARGET, lw=1.4, ls="--")
        near = np.mean(np.abs(frequency / expected - 1) <= 0.02)
        note = f"{near:.0%} within 2% of {expected:g}"
        if beyond:
            note += f"\n{beyond} beyond the axis (last bar)"
        ax.text(
            0.97,
            0.95,
            note,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="x-small",
        )
    _grid(ax)
