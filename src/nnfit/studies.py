"""The demo's further studies: every prior, the saw answer, depth, real data.

Each study trains what it needs (batches of seeds, one compiled program per
shape), writes its figures into a folder and returns a report Section whose
every number was measured here. `nnfit demo` appends them to its page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnfit import analysis
from nnfit.activations import ACTIVATIONS
from nnfit.network import init_params, to_user_units
from nnfit.run import fit
from nnfit.spec import FitSpec
from nnfit.training import train
from nnfit.views import figures, priors
from nnfit.views.report import Section, Table

# The article's widths where it gives one; 10 nodes elsewhere.
WIDTHS = {"relu": 100, "cos": 3, "sin": 3, "saw": 3}


def priors_study(out: Path, steps: int, seeds: int) -> Section:
    """Every registered activation on the same samples of sin(x)."""
    names = [name for name in ACTIVATIONS if name in _BUILT_IN_NAMES]
    rows, detail = [], {}
    for name in names:
        spec = FitSpec(activation=name, hidden=WIDTHS.get(name, 10), steps=steps)
        # Seed 0 of the batch is the one drawn in the figure.
        detail[name] = fit(spec.replace(seeds=seeds, record_curves=False))
        rows.append(_prior_row(name, detail[name]))

    path = figures.save_figure(priors.compare_figure(detail), out / "compare.png")
    columns = ["activation", "nodes", "fit the range", "error inside"]
    columns += ["error outside", "dead units"]
    caption = f"Medians over {seeds} seeds, {steps} steps, the same samples per seed."
    text = (
        "Each prior bends the curve its own way. Inside the range most can fit "
        "sin(x); outside it only the periodic ones (sin, cos, snake, saw) keep "
        "going, and the rest fall back on what their shape does at infinity: "
        "flat for steps and bumps, straight lines for kinks."
    )
    return Section(
        "Every prior on the same samples",
        [text],
        tables=[Table(columns, rows, caption)],
        images=[path],
    )


_BUILT_IN_NAMES = (
    "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "gelu",
    "gaussian", "sin", "cos", "snake", "saw",
)  # fmt: skip


def _prior_row(name: str, study) -> list[str]:
    metrics = study.metrics
    success = analysis.succeeded(metrics, study.samples)
    return [
        name,
        str(study.spec.hidden),
        f"{np.mean(success):.0%}",
        f"{np.median(metrics['interp_mse']):.4f}",
        f"{np.median(metrics['extrap_mse']):.3g}",
        f"{np.mean(metrics['dead_units']):.1f}",
    ]


def saw_study(out: Path, steps: int, seeds: int) -> Section:
    """Does autodiff learn a periodic ramp's frequency? Measured from off starts."""
    rows = []
    for start in (0.9, 1.1):
        learned = saw_from(start, steps, seeds)
        closer = np.mean(np.abs(learned - 1) < abs(start - 1))
        rows.append(
            [
                f"{start:g}",
                f"{np.median(learned):.3f}",
                f"{closer:.0%}",
                f"{np.mean(np.abs(learned - 1) < 0.02):.0%}",
            ]
        )
    run = fit(activation="saw", hidden=3, steps=steps)
    path = figures.save_figure(
        figures.extrapolation_figure(run), out / "saw_extrapolation.png"
    )
    text = (
        "The article could not train a periodic ReLU's frequency. nnfit's saw "
        "is a ramp through a modulo. Autodiff treats the modulo as the "
        "identity, so a vertical jump would give no gradient at all to the "
        "phase and only a misleading one to the frequency; the saw here falls "
        "back over the last quarter of each period, and that slope carries "
        "the gradient. The table trains one saw node per seed, started off "
        "frequency 1 with random phases, on the noisy samples of sin(x); the "
        "figure shows a 3-node saw net after training from nnfit's usual start."
    )
    columns = ["start frequency", "median learned", "moved closer", "within 2% of 1"]
    return Section(
        "The saw: learning a periodic ramp's frequency",
        [text],
        tables=[Table(columns, rows, f"{seeds} seeds, {steps} steps, Adam 0.01.")],
        images=[path],
    )


def saw_from(start: float, steps: int, seeds: int) -> np.ndarray:
    """Learned |w| of one saw node per seed, started at frequency `start`.

    Seeds 0 to seeds - 1 draw the samples of sin(x); phases start uniform
    over a period; Adam with lr 0.01.
    """
    spec = FitSpec(activation="saw", hidden=1, seeds=seeds, record_curves=False)
    from nnfit.run import make_samples

    samples = make_samples(spec, None, None)
    numbers = spec.seed + np.arange(seeds)
    params = init_params("spectrum", 1, samples, numbers)
    params["w"][:] = start * samples.scaling.x_std[:, None]
    params["b"][:] = np.random.default_rng(0).uniform(-np.pi, np.pi, (seeds, 1))
    scale = samples.scaling
    outcome = train(
        params,
        scale.x_to_unit(samples.x),
        scale.y_to_unit(samples.y),
        None,
        ACTIVATIONS["saw"],
        lr=0.01,
        steps=steps,
    )
    return np.abs(to_user_units(outcome.params, samples)["w"][:, 0])


# ReLU widths that give about 100 parameters at each depth:
# 1 layer 3H + 1, 2 layers H^2 + 4H + 1, 3 layers 2H^2 + 5H + 1.
DEPTH_WIDTHS = {1: 33, 2: 8, 3: 6}


def depth_study(out: Path, steps: int, seeds: int) -> Section:
    """Linear pieces of trained ReLU nets at equal parameter count."""
    counts, sizes, rows = {}, {}, []
    for depth, width in DEPTH_WIDTHS.items():
        spec = FitSpec(
            activation="relu", hidden=width, depth=depth, steps=steps, lr=0.01
        )
        run = fit(spec.replace(seeds=seeds, record_curves=False))
        inside = run.samples.grid[run.samples.inside]
        curves = run.predict(inside)
        counts[depth] = [analysis.linear_pieces(inside, c) for c in curves]
        sizes[depth] = sum(value[0].size for value in run.params.values())
        rows.append(
            [
                str(depth),
                str(width),
                str(sizes[depth]),
                f"{np.median(counts[depth]):.0f}",
                f"{np.median(run.metrics['interp_mse']):.4f}",
            ]
        )
    path = figures.save_figure(priors.pieces_figure(counts, sizes), out / "depth.png")
    medians = [np.median(counts[depth]) for depth in DEPTH_WIDTHS]
    text = (
        "The article closes by noting that more layers add expressive power: "
        "a deep ReLU net can fold the line into exponentially many pieces. "
        "Whether training uses that is a measurement, not a given. Measured "
        f"at about 100 parameters, the median count goes {medians[0]:.0f}, "
        f"{medians[1]:.0f}, {medians[2]:.0f} for 1, 2, 3 layers, far below "
        "what depth could reach."
    )
    columns = ["layers", "width", "parameters", "median pieces", "error inside"]
    return Section(
        "Depth: linear pieces at equal parameter count",
        [text],
        tables=[Table(columns, rows, f"ReLU, {seeds} seeds, {steps} steps.")],
        images=[path],
    )


# The real-data priors: a step prior, a kink prior, and two periodic ones.
CO2_PRIORS = (
    ("sigmoid", 10, False),
    ("relu", 30, False),
    ("snake", 10, False),
    ("cos", 10, True),
)


def co2_study(out: Path, steps: int, seeds: int) -> Section:
    """Mauna Loa CO2 fitted up to 1990 and judged on the held-out years."""
    from nnfit.datasets import SERIES, load_series, split

    series = SERIES["co2"]
    train_part, held = split(load_series("co2"), train_until=series.train_until)
    rows, images, held_out = [], [], {}
    for name, hidden, trend in CO2_PRIORS:
        spec = FitSpec(
            target="data",
            activation=name,
            hidden=hidden,
            steps=steps,
            trend=trend,
            samples=len(train_part),
            noise=0.0,
        )
        data = {"x": train_part.x, "y": train_part.y, "test": (held.x, held.y)}
        run = fit(
            spec.replace(seeds=seeds, record_curves=False),
            data="co2",
            x_unit="decimal year",
            y_unit=series.y_unit,
            **data,
        )
        label = f"{hidden} {name}" + (" + trend" if trend else "")
        held_out[label] = float(np.median(run.metrics["heldout_mse"]))
        rows.append(
            [
                label,
                f"{np.median(run.metrics['train_mse']):.2f}",
                f"{np.median(run.metrics['heldout_mse']):.3g}",
                f"{np.min(run.metrics['heldout_mse']):.3g}",
            ]
        )
        images.append(
            figures.save_figure(
                figures.extrapolation_figure(run), out / f"co2_{name}.png"
            )
        )
    best = min(held_out, key=held_out.get)
    runner_up = sorted(held_out.values())[1]
    text = (
        f"Weekly CO2 at Mauna Loa (ppm), fitted on the years before "
        f"{series.train_until:g} and judged on the {len(held)} weeks after "
        "(orange), which the nets never see. Steps go flat and kinks go "
        f"straight. Measured: {best} follows the held-out years best, with a "
        f"median held-out MSE of {held_out[best]:.3g} ppm² against "
        f"{runner_up:.3g} for the next prior."
    )
    columns = ["prior", "train MSE (ppm²)", "held-out MSE (median)", "best seed"]
    return Section(
        "Real data: the CO2 cycle into unseen years",
        [text],
        tables=[Table(columns, rows, f"{seeds} seeds, {steps} steps.")],
        images=images,
    )
