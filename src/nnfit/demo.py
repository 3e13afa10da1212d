"""The article, reproduced: three priors on sin(x), figures, numbers, one page.

"What neural networks actually do?" fits sin(x) from 50 noisy samples with
one hidden layer: 10 sigmoid nodes fit it on the training range but not
outside; ReLU needs about 100 nodes and is piecewise linear; 3 cosine nodes
fit it and extrapolate. `run_demo` trains each one in detail (one seed, every
step recorded), measures each claim over many seeds at once (one batch), and
writes the figures, animations, metrics.json and index.html.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnfit import analysis
from nnfit.run import Run, fit
from nnfit.spec import FitSpec
from nnfit.views import animation, figures
from nnfit.views.report import Section, Table, write_page

# (what is happening, done, total)
DemoProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Experiment:
    """One of the article's three nets and the claim it makes about it."""

    activation: str
    hidden: int
    claim: str


ARTICLE = (
    Experiment(
        "sigmoid",
        10,
        "Each sigmoid node makes one smooth step; about 7 steps draw sin(x) on "
        "the training range, and 10 nodes leave room for badly placed ones. "
        "Outside the range every step has finished, so the net goes flat.",
    ),
    Experiment(
        "relu",
        100,
        "ReLU nodes bend the line at one kink each, so the fit is piecewise "
        "linear; it needs many more nodes, some of which die (never active), "
        "and beyond the outermost kink it runs off in a straight line.",
    ),
    Experiment(
        "cos",
        3,
        "Cosine nodes are waves: gradient descent tunes their frequency, phase "
        "and amplitude, which is Fourier analysis. One wave of frequency 1 is "
        "sin(x) itself, so the net extrapolates.",
    ),
)


@dataclass(frozen=True)
class DemoSize:
    steps: int
    seeds: int
    gif_every: int
    study_seeds: int


FULL = DemoSize(steps=1000, seeds=100, gif_every=5, study_seeds=20)
QUICK = DemoSize(steps=100, seeds=8, gif_every=10, study_seeds=2)


def run_demo(
    out: str | Path,
    *,
    quick: bool = False,
    mp4: bool = True,
    claims: bool = True,
    progress: DemoProgress | None = None,
) -> dict[str, Any]:
    """Run the article's three experiments and write everything into `out`.

    Args:
        out: the output folder (created).
        quick: a small version (100 steps, 8 seeds) for tests.
        mp4: also write MP4 animations (needs imageio-ffmpeg's ffmpeg).
        claims: also measure every claim over many seeds (`nnfit claims`;
            300 seeds per cell, about two minutes; a tiny grid when quick).
        progress: told what is happening, as (label, done, total).

    Returns:
        The measured numbers, as written to metrics.json.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    size = QUICK if quick else FULL
    report = progress or (lambda label, done, total: None)

    results = {}
    for experiment in ARTICLE:
        results[experiment.activation] = _experiment(experiment, size, out, mp4, report)

    numbers = {key: value["numbers"] for key, value in results.items()}
    numbers["settings"] = _settings(size)
    (out / "metrics.json").write_text(json.dumps(numbers, indent=2) + "\n")
    if claims:
        _run_claims(out / "claims", quick, report)
    extra = _studies(out, size, report)
    _write_index(out, results, size, extra)
    return numbers


def _studies(out: Path, size: DemoSize, report) -> list:
    """The further studies (every prior, saw, depth, CO2) and saved claims."""
    from nnfit import studies

    steps, seeds = size.steps, size.study_seeds
    jobs = [
        ("every prior", lambda: studies.priors_study(out, steps, seeds)),
        ("the saw", lambda: studies.saw_study(out, 2 * steps, seeds)),
        ("depth", lambda: studies.depth_study(out, 2 * steps, seeds)),
        ("CO2", lambda: studies.co2_study(out, steps, max(seeds // 4, 1))),
    ]
    sections = []
    for done, (label, job) in enumerate(jobs):
        report("studies: " + label, done, len(jobs))
        sections.append(job())
    report("studies", len(jobs), len(jobs))
    claims = claims_section(out)
    return sections + ([claims] if claims else [])


def _run_claims(folder: Path, quick: bool, report) -> None:
    from nnfit.claims import FULL, QUICK, run_claims, save_claims
    from nnfit.views.sweep_figures import write_claims_page

    progress = lambda done, total: report("claims", done, total)  # noqa: E731
    result = run_claims(QUICK if quick else FULL, out=folder, progress=progress)
    save_claims(result, folder)
    write_claims_page(result, folder)


def claims_section(out: Path):
    """The claims table of `nnfit claims --demo OUT`, if it was run."""
    if not (out / "claims" / "claims.json").is_file():
        return None
    from nnfit.claims import load_claims
    from nnfit.views.sweep_figures import claims_section as section

    return section(load_claims(out / "claims"))


def _experiment(experiment, size, out, mp4, report) -> dict[str, Any]:
    label = f"{experiment.hidden} {experiment.activation}"
    spec = FitSpec(
        activation=experiment.activation, hidden=experiment.hidden, steps=size.steps
    )
    folder = out / experiment.activation

    report(f"training {label} (1 seed, recorded)", 0, 1)
    run = fit(spec)
    run.save(folder / "run")
    report(f"training {label} ({size.seeds} seeds)", 0, 1)
    study = fit(spec.replace(seeds=size.seeds, record_curves=False))
    report(f"training {label} ({size.seeds} seeds)", 1, 1)

    paths = _figures(run, folder, out, experiment.activation == "sigmoid")
    paths["gif"] = animation.write_gif(
        run,
        folder / "training.gif",
        every=size.gif_every,
        progress=lambda done, total: report(f"animating {label}", done, total),
    )
    if mp4:
        paths["mp4"] = _try_mp4(run, folder / "training.mp4", size, label, report)
    return {"run": run, "paths": paths, "numbers": _numbers(run, study)}


def _figures(run: Run, folder: Path, out: Path, with_data: bool) -> dict[str, Path]:
    names = ["fit", "nodes", "extrapolation", "loss"]
    if run.spec.activation in ("cos", "sin"):
        names.append("waves")

    paths = {}
    for name in names:
        figure = figures.FIGURES[name](run)
        paths[name] = figures.save_figure(figure, folder / f"{name}.png")
    if with_data:
        paths["data"] = figures.save_figure(figures.data_figure(run), out / "data.png")
    return paths


def _try_mp4(run, path, size, label, report) -> Path | None:
    from nnfit.errors import NnfitError

    try:
        return animation.write_mp4(
            run,
            path,
            every=size.gif_every,
            progress=lambda done, total: report(f"video {label}", done, total),
        )
    except NnfitError:
        # No ffmpeg on this machine: the GIF carries the animation alone.
        return None


def _numbers(run: Run, study: Run) -> dict[str, Any]:
    """The detailed run's metrics and the many-seed study's summary."""
    detail = {name: _value(values[0]) for name, values in run.metrics.items()}
    metrics = study.metrics
    success = analysis.succeeded(metrics, study.samples)
    summary = {
        "seeds": study.nets,
        "success_rate": float(np.mean(success)),
        "median_train_mse": float(np.median(metrics["train_mse"])),
        "median_interp_mse": float(np.median(metrics["interp_mse"])),
        "median_extrap_mse": float(np.median(metrics["extrap_mse"])),
        "mean_dead_units": float(np.mean(metrics["dead_units"])),
        "diverged": int(np.sum(study.diverged_at >= 0)),
    }
    if study.activation.periodic:
        found = analysis.frequency_found(
            study.user_params, study.spec.activation, frequency=1.0
        )
        summary["frequency_1_found"] = float(np.mean(found))
    return {"seed_0": detail, "study": summary}


def _value(value: np.generic) -> float | int | None:
    value = value.item()
    return None if isinstance(value, float) and np.isnan(value) else value


def _settings(size: DemoSize) -> dict[str, Any]:
    spec = FitSpec(steps=size.steps)
    return {
        "target": spec.target,
        "samples": spec.samples,
        "noise": spec.noise,
        "x_range": [-3 * np.pi, 3 * np.pi],
        "optimizer": spec.optimizer,
        "lr": spec.lr,
        "steps": size.steps,
        "seeds": size.seeds,
        "success": (
            f"MSE against sin(x) on the training range below "
            f"{analysis.SUCCESS_FRACTION:.0%} of its variance"
        ),
    }


def _write_index(
    out: Path, results: dict[str, Any], size: DemoSize, extra: list
) -> Path:
    sigmoid = results["sigmoid"]["run"]
    intro = [
        "A neural network with one hidden layer computes y = sum_i v_i f(w_i x + "
        "b_i) + c: a weighted sum of bent copies of one function f. Training it "
        "is curve fitting. This page repeats the article 'What neural networks "
        "actually do?' (Tambet Matiisen, 2018) and measures each of its claims.",
        f"The task: {sigmoid.spec.samples} samples of sin(x) on [-3π, 3π] with "
        f"Gaussian noise of standard deviation {sigmoid.spec.noise:g}, Adam "
        f"with learning rate {sigmoid.spec.lr:g}, {size.steps} full-batch steps. "
        f"Each net is shown for seed 0, and each claim is measured over "
        f"{size.seeds} seeds trained together as one batch.",
    ]
    sections = [_data_section(results)]
    sections += [_experiment_section(e, results[e.activation]) for e in ARTICLE]
    sections.append(_comparison_section(results, size))
    sections += extra
    return write_page(
        out / "index.html", "What neural networks actually do", intro, sections
    )


def _data_section(results) -> Section:
    return Section(
        "The data",
        ["The target sin(x) (blue) and the noisy training samples (green)."],
        images=[results["sigmoid"]["paths"]["data"]],
    )


def _experiment_section(experiment: Experiment, result: dict[str, Any]) -> Section:
    run, paths, numbers = result["run"], result["paths"], result["numbers"]
    study, detail = numbers["study"], numbers["seed_0"]
    measured = (
        f"Measured: seed 0 reaches a training MSE of {detail['train_mse']:.4f} "
        f"(R² {detail['r2']:.3f}); its error against sin(x) is "
        f"{detail['interp_mse']:.4f} inside the training range and "
        f"{detail['extrap_mse']:.3g} outside it. Over {study['seeds']} seeds, "
        f"{study['success_rate']:.0%} fit the training range (median error "
        f"{study['median_interp_mse']:.4f}); the median error outside is "
        f"{study['median_extrap_mse']:.3g}."
    )
    paragraphs = [experiment.claim, measured]
    if run.activation.can_die:
        paragraphs.append(
            f"Dead units (inactive on every sample): {detail['dead_units']} of "
            f"{run.spec.hidden} for seed 0, {study['mean_dead_units']:.1f} on "
            "average over the seeds."
        )
    if "frequency_1_found" in study:
        paragraphs.append(_waves_sentence(run, study))

    images = [paths["gif"], paths["nodes"], paths["extrapolation"]]
    images += [paths["waves"]] if "waves" in paths else []
    images.append(paths["loss"])
    links = [("run folder", f"{experiment.activation}/run/")]
    if paths.get("mp4"):
        links.append(("MP4 video", f"{experiment.activation}/training.mp4"))
    title = f"{experiment.hidden} {experiment.activation} nodes"
    return Section(title, paragraphs, images=images, links=links)


def _waves_sentence(run: Run, study: dict[str, Any]) -> str:
    wave = analysis.waves(run.user_params, 0, run.spec.activation)[0]
    return (
        f"What seed 0 learned: its largest wave has frequency {wave.frequency:.4f} "
        f"(sin(x) has 1), amplitude {wave.amplitude:.3f} (1) and phase "
        f"{wave.phase:.3f} (sin(x) = cos(x - π/2), so -1.571). Over the seeds, "
        f"{study['frequency_1_found']:.0%} find frequency 1 within 2%."
    )


def _comparison_section(results: dict[str, Any], size: DemoSize) -> Section:
    rows = []
    for experiment in ARTICLE:
        study = results[experiment.activation]["numbers"]["study"]
        rows.append(
            [
                f"{experiment.hidden} {experiment.activation}",
                f"{study['success_rate']:.0%}",
                f"{study['median_train_mse']:.4f}",
                f"{study['median_interp_mse']:.4f}",
                f"{study['median_extrap_mse']:.3g}",
                f"{study['mean_dead_units']:.1f}",
            ]
        )
    columns = [
        "net",
        "fits the range",
        "train MSE",
        "error inside",
        "error outside",
        "dead units",
    ]
    caption = (
        f"Medians over {size.seeds} seeds. A fit succeeds when its MSE against "
        f"sin(x) inside the range is below {analysis.SUCCESS_FRACTION:.0%} of "
        "the curve's variance."
    )
    return Section(
        "The three priors side by side",
        [_verdict(results)],
        tables=[Table(columns, rows, caption)],
    )


def _verdict(results: dict[str, Any]) -> str:
    outside = {
        key: results[key]["numbers"]["study"]["median_extrap_mse"]
        for key in ("sigmoid", "relu", "cos")
    }
    ratio = min(outside["sigmoid"], outside["relu"]) / outside["cos"]
    return (
        "The activation is the prior. Inside the training range all three can "
        "fit the samples; outside it only the periodic prior keeps following "
        f"sin(x): its median error there is {ratio:.0f} times smaller than the "
        "better of sigmoid and ReLU."
    )
