"""`nnfit sweep` and `nnfit claims`: many seeds, from the command line.

Two typer command functions, registered by nnfit.cli:

    app.command(name="sweep")(sweep_command)
    app.command(name="claims")(claims_command)

Both show a rich progress bar over every net of the grid on stderr, print a
summary table on stdout and write their results into an output folder. A
sweep stopped with Ctrl-C keeps every finished batch; the same command run
again continues where it stopped. Bad input raises NnfitError, which the
CLI's main() prints as one sentence with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from nnfit.errors import NnfitError

STOPPED = 130


# Options that `nnfit sweep` and `nnfit claims` share.
SuccessFraction = Annotated[
    float,
    typer.Option(
        help="Success: MSE inside the range below this share of the "
        "target's variance there."
    ),
]
Workers = Annotated[
    int | None, typer.Option(help="Local worker processes (default: cores).")
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://127.0.0.1:8786."),
]
Device = Annotated[str, typer.Option(help="cpu or gpu.")]


def sweep_command(
    target: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TARGET",
            help="Target, a built-in or a formula (default sin); repeat for more.",
        ),
    ] = None,
    activation: Annotated[
        str, typer.Option(help="Activations, comma-separated: sigmoid,relu,cos.")
    ] = "sigmoid",
    hidden: Annotated[
        str, typer.Option(help="Hidden widths: 1,2,3 or a range 1..12.")
    ] = "10",
    seeds: Annotated[int, typer.Option(help="Nets per cell, one per seed.")] = 100,
    seed: Annotated[int, typer.Option(help="The first seed.")] = 0,
    lr: Annotated[str, typer.Option(help="Learning rates, comma-separated.")] = "0.05",
    optimizer: Annotated[str, typer.Option(help="adam and/or sgd.")] = "adam",
    steps: Annotated[str, typer.Option(help="Training steps, comma-separated.")] = (
        "1000"
    ),
    noise: Annotated[str, typer.Option(help="Noise levels, comma-separated.")] = "0.1",
    samples: Annotated[
        str, typer.Option(help="Training sample counts, comma-separated.")
    ] = "50",
    init: Annotated[
        str, typer.Option(help="Inits: default, range, normal, spectrum, uniform.")
    ] = "default",
    dtype: Annotated[str, typer.Option(help="float32 or float64.")] = "float32",
    success_fraction: SuccessFraction = 0.05,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (resumes if it exists).")
    ] = Path("nnfit-sweep"),
    chunk: Annotated[
        int | None, typer.Option(help="Most nets per batch (default: measured).")
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    device: Device = "cpu",
    figures: Annotated[
        bool, typer.Option(help="Write success, error and frequency figures.")
    ] = True,
) -> None:
    """Train a grid of nets over many seeds; write one row per net."""
    from nnfit.spec import FitSpec
    from nnfit.sweep import Criterion, sweep

    axes = {
        "target": target or ["sin"],
        "activation": _words(activation, "--activation"),
        "hidden": _numbers(hidden, int, "--hidden"),
        "lr": _numbers(lr, float, "--lr"),
        "optimizer": _words(optimizer, "--optimizer"),
        "steps": _numbers(steps, int, "--steps"),
        "noise": _numbers(noise, float, "--noise"),
        "samples": _numbers(samples, int, "--samples"),
        "init": [
            None if name == "default" else name for name in _words(init, "--init")
        ],
    }
    base = FitSpec(dtype=dtype, record_curves=False)
    criterion = Criterion(success_fraction)
    with _stoppable(out_dir, "the same command") as report:
        result = sweep(
            out=out_dir,
            criterion=criterion,
            chunk=chunk,
            workers=workers,
            scheduler=scheduler,
            device=device,
            progress=report,
            base=base,
            seeds=seeds,
            seed=seed,
            **axes,
        )
    if figures:
        _sweep_figures(result)
    _print_sweep(result)


def claims_command(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (resumes if it exists).")
    ] = Path("nnfit-claims"),
    seeds: Annotated[int, typer.Option(help="Nets per cell, one per seed.")] = 300,
    steps: Annotated[int, typer.Option(help="Training steps of every net.")] = 1000,
    success_fraction: SuccessFraction = 0.05,
    workers: Workers = None,
    scheduler: Scheduler = None,
    device: Device = "cpu",
    demo: Annotated[
        Path | None,
        typer.Option(help="A demo folder: also place the claims in DEMO/claims."),
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="A tiny grid (4 seeds, 30 steps), for tests.")
    ] = False,
) -> None:
    """Measure each of the article's claims over many seeds; write a table."""
    from dataclasses import replace

    from nnfit.claims import FULL, QUICK, run_claims
    from nnfit.sweep import Criterion

    plan = QUICK if quick else replace(FULL, seeds=seeds, steps=steps)
    criterion = Criterion(success_fraction)
    with _stoppable(out_dir, "the same command") as report:
        result = run_claims(
            plan,
            out=out_dir,
            criterion=criterion,
            workers=workers,
            scheduler=scheduler,
            device=device,
            progress=report,
        )
    page = write_claims(result, out_dir)
    if demo is not None:
        write_claims(result, demo / "claims")
    _print_claims(result, page, demo)


def write_claims(result: Any, folder: Path) -> Path:
    """Write the claims' files, figures and claims.html into a folder."""
    from nnfit.claims import save_claims
    from nnfit.views.sweep_figures import write_claims_page

    save_claims(result, folder)
    return write_claims_page(result, folder)


@contextmanager
def _stoppable(out_dir: Path, again: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar over nets; Ctrl-C ends with what was kept and exit 130."""
    from nnfit.cli import Failure, _progress

    state = {"done": 0}
    with _progress() as bars:
        task = bars.add_task("training nets", total=None)

        def report(done: int, total: int) -> None:
            state["done"] = done
            bars.update(task, completed=done, total=total)

        try:
            yield report
        except KeyboardInterrupt:
            raise Failure(
                f"stopped by Ctrl-C; the {state['done']} nets finished so far are "
                f"kept in {out_dir}; run {again} again to continue.",
                STOPPED,
            ) from None


def _sweep_figures(result: Any) -> None:
    import numpy as np

    from nnfit.views.figures import save_figure
    from nnfit.views.sweep_figures import (
        errors_figure,
        frequency_figure,
        success_figure,
    )

    table, folder = result.table, result.folder
    save_figure(success_figure(table), folder / "success.png")
    save_figure(errors_figure(table, criterion=result.criterion), folder / "errors.png")
    if np.isfinite(table["frequency"]).any():
        save_figure(frequency_figure(table), folder / "frequencies.png")


def _print_sweep(result: Any) -> None:
    from rich.table import Table

    from nnfit.cli import out
    from nnfit.sweep import summarise
    from nnfit.views.sweep_figures import SPEC_COLUMNS

    table = result.table
    varied = [c for c in SPEC_COLUMNS if c in table and table[c].nunique() > 1]
    by = list(dict.fromkeys(["activation", *varied, "hidden"]))
    summary = summarise(table, by=by)
    shown = Table(title=f"Success: {result.criterion.name}")
    for column in (*by, "nets", "success (95% CI)", "error inside", "error outside"):
        shown.add_column(column, justify="right")
    for row in summary.to_dict(orient="records"):
        shown.add_row(
            *(_cell(row[c]) for c in by),
            str(row["nets"]),
            f"{row['success_rate']:.0%} ({row['low']:.0%}-{row['high']:.0%})",
            f"{row['median_interp_mse']:.3g}",
            f"{row['median_extrap_mse']:.3g}",
        )
    out.print(shown)
    out.print(
        f"Trained {result.trained} nets, reused {result.loaded} already in "
        f"{result.folder}, in {result.seconds:.1f} s. Wrote table.parquet and "
        f"table.csv ({len(table)} rows) to {result.folder}/."
    )


def _print_claims(result: Any, page: Path, demo: Path | None) -> None:
    from rich.table import Table

    from nnfit.claims import looser
    from nnfit.cli import out

    lenient = looser(result.criterion).fraction
    shown = Table(title=f"The article's claims, measured ({result.criterion.name})")
    for column in ("claim", "number", "holds", f"at {lenient:g}"):
        shown.add_column(column, justify="left" if column == "claim" else "right")
    words = {True: "yes", False: "no", None: "—"}
    for verdict in result.verdicts:
        shown.add_row(
            verdict.claim,
            verdict.shown,
            words[verdict.holds],
            words[verdict.holds_looser],
        )
    out.print(shown)
    out.print(
        f"{len(result.table)} nets in {result.seconds:.0f} s. Wrote {page}, "
        "claims.json, claims.csv and the figures."
    )
    if demo is not None:
        out.print(
            f"Placed the claims in {demo / 'claims'}; the demo page shows them "
            f"when `nnfit demo --out {demo}` writes it."
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "default" if value is None else str(value)


def _words(text: str, option: str) -> list[str]:
    words = [word.strip() for word in text.split(",") if word.strip()]
    if not words:
        raise NnfitError(f"{option} needs at least one value, got {text!r}.")
    return words


def _numbers(text: str, kind: type, option: str) -> list:
    """Comma-separated numbers; for whole numbers also LOW..HIGH ranges."""
    values: list = []
    for word in _words(text, option):
        try:
            if kind is int and ".." in word:
                low, high = (int(part) for part in word.split(".."))
                values.extend(range(low, high + 1))
            else:
                values.append(kind(word))
        except ValueError:
            example = "1,2,3 or 1..12" if kind is int else "0.01,0.05"
            raise NnfitError(
                f"{option} must be {'whole ' if kind is int else ''}numbers such "
                f"as {example}, got {word!r}."
            ) from None
    return values
