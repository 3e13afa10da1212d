"""The command line: `nnfit demo | fit | list | report | serve`.

The CLI owns all output: rich progress bars on stderr for anything slow, a
summary table on stdout, and for bad input one sentence on stderr with exit
code 2 (never a traceback). A diverged fit still writes its results, says
where it diverged and exits with code 1.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from nnfit.errors import NnfitError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="See what a neural network actually does: fit 1-D curves with tiny nets.",
)
out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

VIEWS = (
    "spectrum",
    "data",
    "fit",
    "nodes",
    "extrapolation",
    "loss",
    "waves",
    "gif",
    "mp4",
    "report",
)
DEFAULT_VIEWS = "fit,nodes,extrapolation"


class Failure(Exception):
    """Raised by a command to end with a message and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path(
        "nnfit-demo"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="A small, fast version (for tests).")
    ] = False,
    mp4: Annotated[bool, typer.Option(help="Also write MP4 videos.")] = True,
    claims: Annotated[
        bool, typer.Option(help="Also measure every claim over 300 seeds (~2 min).")
    ] = True,
) -> None:
    """Reproduce the article: sigmoid-10, ReLU-100 and cos-3 on sin(x)."""
    from nnfit.demo import run_demo

    _prepare_out(out_dir)
    with _progress() as bars:
        numbers = run_demo(
            out_dir, quick=quick, mp4=mp4, claims=claims, progress=_demo_bar(bars)
        )

    table = Table(title="What neural networks actually do: sin(x), measured")
    for column in ("net", "seeds", "fit the range", "error inside", "error outside"):
        table.add_column(column, justify="right")
    for key in ("sigmoid", "relu", "cos"):
        study = numbers[key]["study"]
        table.add_row(
            key,
            str(study["seeds"]),
            f"{study['success_rate']:.0%}",
            f"{study['median_interp_mse']:.4f}",
            f"{study['median_extrap_mse']:.3g}",
        )
    out.print(table)
    out.print(f"Wrote {out_dir / 'index.html'} with every figure and animation.")


@app.command(name="fit")
def fit_command(
    target: Annotated[
        str,
        typer.Argument(help="A built-in target, a formula in x, or a CSV file."),
    ] = "sin",
    activation: Annotated[
        str, typer.Option(help="Activation of the nodes.")
    ] = "sigmoid",
    hidden: Annotated[int, typer.Option(help="Hidden nodes.")] = 10,
    steps: Annotated[int, typer.Option(help="Training steps.")] = 1000,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.05,
    optimizer: Annotated[str, typer.Option(help="adam or sgd.")] = "adam",
    samples: Annotated[
        int | None, typer.Option(help="Training samples [default: 50].")
    ] = None,
    noise: Annotated[
        float | None, typer.Option(help="Noise standard deviation [default: 0.1].")
    ] = None,
    depth: Annotated[int, typer.Option(help="Hidden layers of equal width.")] = 1,
    init: Annotated[
        str | None,
        typer.Option(help="range, normal, uniform, spectrum or siren."),
    ] = None,
    x_range: Annotated[
        str | None,
        typer.Option(
            "--range", help="Training range LOW,HIGH (default: the target's)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the first net.")] = 0,
    seeds: Annotated[int, typer.Option(help="Nets to train, one per seed.")] = 1,
    trend: Annotated[
        bool, typer.Option("--trend", help="Add a learned straight line d x.")
    ] = False,
    x_column: Annotated[
        str | None, typer.Option("--x", help="CSV column for x (name or index).")
    ] = None,
    y_column: Annotated[
        str | None, typer.Option("--y", help="CSV column for y (name or index).")
    ] = None,
    train_until: Annotated[
        str | None,
        typer.Option(help="Data: train on x below this, judge on the rest."),
    ] = None,
    train_fraction: Annotated[
        float | None,
        typer.Option(help="Data: train on this first fraction of x, judge the rest."),
    ] = None,
    views: Annotated[
        str, typer.Option(help=f"Comma-separated views: {', '.join(VIEWS)}.")
    ] = DEFAULT_VIEWS,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path(
        "nnfit-out"
    ),
) -> None:
    """Fit a curve or your data and write the run, figures and a summary."""
    from nnfit.activations import get_activation
    from nnfit.spec import FitSpec

    chosen = _parse_views(views)
    if "waves" in chosen and activation not in ("cos", "sin"):
        raise NnfitError(
            f"the waves view reads cos or sin nodes, not {activation!r}; drop "
            "it from --views (the spectrum view covers snake and saw too)."
        )
    if "spectrum" in chosen and not get_activation(activation).periodic:
        raise NnfitError(
            f"the spectrum view needs a periodic activation, not {activation!r}; "
            "drop it from --views or use cos, sin, snake or saw."
        )
    data = _read_data(target, x_column, y_column, train_until, train_fraction)
    if data and (samples is not None or noise is not None or x_range is not None):
        raise NnfitError(
            "--samples, --noise and --range shape a target's samples; your data "
            "brings its own, so drop them (choose held-out data with "
            "--train-until or --train-fraction)."
        )
    spec = FitSpec(
        target="data" if data else target,
        activation=activation,
        hidden=hidden,
        steps=steps,
        lr=lr,
        optimizer=optimizer,
        samples=len(data.train) if data else (samples or 50),
        noise=0.0 if data else (0.1 if noise is None else noise),
        x_range=_parse_range(x_range),
        seed=seed,
        seeds=seeds,
        trend=trend,
        depth=depth,
        init=init,
        record_every=record_every_for(steps),
        record_curves=bool({"gif", "mp4", "report"} & set(chosen)),
    )
    _prepare_out(out_dir)
    run = _train(spec, data)
    _clear_views(out_dir)
    run.save(out_dir)
    _write_views(run, chosen, out_dir)
    _print_summary(run, out_dir)

    broken = [
        run.divergence(net) for net in range(run.nets) if run.diverged_at[net] >= 0
    ]
    if broken:
        raise Failure(broken[0][0].upper() + broken[0][1:], code=1)


@app.command()
def compare(
    target: Annotated[str, typer.Argument(help="A built-in target or a formula.")] = (
        "sin"
    ),
    activations: Annotated[
        str,
        typer.Option(help="Comma-separated NAME or NAME:HIDDEN, e.g. relu:100,cos:3."),
    ] = "sigmoid,tanh,relu,cos,snake",
    hidden: Annotated[int, typer.Option(help="Hidden nodes, where not given.")] = 10,
    steps: Annotated[int, typer.Option(help="Training steps.")] = 1000,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.05,
    seed: Annotated[int, typer.Option(help="Seed: the same samples for all.")] = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path(
        "nnfit-compare"
    ),
) -> None:
    """Train several activations on the same samples and compare them."""
    from nnfit.run import fit
    from nnfit.spec import FitSpec
    from nnfit.views.figures import save_figure
    from nnfit.views.priors import compare_figure

    chosen = _parse_activations(activations, hidden)
    base = FitSpec(target=target, steps=steps, lr=lr, seed=seed, record_curves=False)
    _prepare_out(out_dir)
    specs = {name: base.replace(activation=name, hidden=h) for name, h in chosen}
    runs = {}
    with _progress() as bars:
        task = bars.add_task("training", total=len(specs))
        for name, spec in specs.items():
            runs[name] = fit(spec)
            bars.advance(task)

    out_dir.mkdir(parents=True, exist_ok=True)
    save_figure(compare_figure(runs), out_dir / "compare.png")
    _print_comparison(runs, out_dir)


def _parse_activations(text: str, hidden: int) -> list[tuple[str, int]]:
    chosen = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, width = item.partition(":")
        try:
            chosen.append((name, int(width) if width else hidden))
        except ValueError:
            raise NnfitError(
                f"--activations item {item!r} must be NAME or NAME:HIDDEN, "
                "such as relu:100."
            ) from None
    if not chosen:
        raise NnfitError("--activations is empty; name at least one activation.")
    return chosen


def _print_comparison(runs, out_dir: Path) -> None:
    table = Table(title="Same samples, different priors")
    columns = ["activation", "hidden", "train MSE", "R²", "error inside"]
    columns += ["error outside", "dead units"]
    for column in columns:
        table.add_column(column, justify="right")
    lines = [",".join(columns)]
    for name, run in runs.items():
        metrics = run.metrics
        cells = [
            name,
            str(run.spec.hidden),
            _number(metrics["train_mse"][0]),
            _number(metrics["r2"][0], "{:.3g}"),
            _number(metrics["interp_mse"][0]),
            _number(metrics["extrap_mse"][0]),
            str(int(metrics["dead_units"][0])),
        ]
        table.add_row(*cells)
        lines.append(",".join(cells))
    (out_dir / "compare.csv").write_text("\n".join(lines) + "\n")
    out.print(table)
    out.print(f"Wrote {out_dir / 'compare.png'} and {out_dir / 'compare.csv'}.")


@app.command(name="list")
def list_command(
    what: Annotated[
        str, typer.Argument(help="activations, targets or datasets.")
    ] = "activations",
) -> None:
    """List the activations, the built-in targets or the shipped datasets."""
    from nnfit.activations import ACTIVATIONS
    from nnfit.datasets import SERIES
    from nnfit.targets import TARGETS

    if what == "activations":
        table = Table("name", "f(z)", "periodic", "init")
        for a in ACTIVATIONS.values():
            table.add_row(a.name, a.formula, "yes" if a.periodic else "", a.init)
    elif what == "targets":
        table = Table("name", "range", "description")
        for t in TARGETS.values():
            low, high = t.x_range
            table.add_row(t.name, f"[{low:.4g}, {high:.4g}]", t.description)
    elif what == "datasets":
        table = Table("name", "x", "y", "train until", "description")
        for series in SERIES.values():
            table.add_row(
                series.name,
                series.x_unit,
                series.y_unit,
                f"{series.train_until:g}",
                series.description,
            )
    else:
        raise NnfitError(f"cannot list {what!r}; use activations, targets or datasets.")
    out.print(table)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (local only by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in a browser.")
    ] = False,
) -> None:
    """Serve the live playground: watch a net fit, node by node, in the browser."""
    from nnfit.web.app import serve as run_server

    if not 0 < port < 65536:
        raise NnfitError(f"--port must be between 1 and 65535, got {port}.")
    err.print(f"nnfit playground on http://{host}:{port}/ (Ctrl-C stops it)")
    run_server(host, port, open_browser)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder from `nnfit fit`.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: RUN/index.html).")
    ] = None,
) -> None:
    """Write one HTML page from a saved run."""
    from nnfit.run import Run
    from nnfit.views.report import write_run_page

    run = Run.load(run_dir)
    out_file = out_file or run_dir / "index.html"
    if out_file.is_dir():
        raise NnfitError(f"--out {out_file} is a folder; give an HTML file name.")
    _prepare_out(out_file.parent)
    path = write_run_page(run, out_file)
    out.print(f"Wrote {path}.")


def _train(spec, data):
    from nnfit.run import fit

    with _progress() as bars:
        task = bars.add_task("training", total=spec.steps)
        progress = _step_bar(bars, task) if spec.steps >= 5000 else None
        if data:
            test = None if data.heldout is None else (data.heldout.x, data.heldout.y)
            x, y = data.train.x, data.train.y
            run = fit(
                spec,
                x=x,
                y=y,
                test=test,
                data=data.label,
                x_unit=data.x_unit,
                y_unit=data.y_unit,
                progress=progress,
            )
        else:
            run = fit(spec, progress=progress)
        bars.update(task, completed=spec.steps)
    return run


def _is_file(text: str) -> bool:
    # A formula such as "sin(x)/x" is no path; a 100 KB one is no file name.
    try:
        return len(text) < 4096 and Path(text).is_file()
    except OSError:
        return False


@dataclass(frozen=True)
class _Data:
    train: Any
    heldout: Any
    label: str
    x_unit: str | None
    y_unit: str | None


def _read_data(target, x_column, y_column, train_until, train_fraction):
    """A CSV file or a shipped series as training (and held-out) tables."""
    from nnfit.datasets import SERIES, load_series, read_csv, split

    # Dataset names are case-blind: "CO2" is co2.
    target = target.lower() if target.lower() in SERIES else target
    is_file = target.lower().endswith((".csv", ".tsv", ".txt")) or _is_file(target)
    if target in SERIES:
        table = load_series(target)
        if train_until is None and train_fraction is None:
            train_until = SERIES[target].train_until
    elif is_file:
        table = read_csv(target, x=x_column, y=y_column)
    else:
        if x_column or y_column or train_until or train_fraction:
            raise NnfitError(
                "--x, --y, --train-until and --train-fraction apply to data; "
                "give a CSV file or a dataset name (nnfit list datasets)."
            )
        return None

    if target in SERIES and (x_column or y_column):
        raise NnfitError(
            f"--x and --y choose CSV columns; {target!r} is a shipped series "
            "with its own x and y, so drop them."
        )
    label = target if target in SERIES else Path(target).name
    if target in SERIES:
        x_unit, y_unit = SERIES[target].x_unit, SERIES[target].y_unit
    elif table.named:
        # A CSV header says what its columns measure: the axes take its names.
        x_unit, y_unit = table.x_name, table.y_name
    else:
        x_unit = y_unit = None
    x_unit = "decimal year" if table.dates else x_unit
    if train_until is None and train_fraction is None:
        return _Data(table, None, label, x_unit, y_unit)
    train, heldout = split(
        table,
        train_until=train_until,
        fraction=train_fraction,
        names=("--train-until", "--train-fraction"),
    )
    return _Data(train, heldout, label, x_unit, y_unit)


def _write_views(run, chosen: list[str], out_dir: Path) -> None:
    from nnfit.views import animation, figures

    for name in chosen:
        if name in figures.FIGURES:
            figure = figures.FIGURES[name](run)
            figures.save_figure(figure, out_dir / f"{name}.png")
    every = animation.every_for(run, animation.FRAMES)
    with _progress() as bars:
        if "gif" in chosen:
            path = out_dir / "training.gif"
            bar = _frame_bar(bars, "GIF")
            animation.write_gif(run, path, every=every, progress=bar)
        if "mp4" in chosen:
            path = out_dir / "training.mp4"
            bar = _frame_bar(bars, "MP4")
            animation.write_mp4(run, path, every=every, progress=bar)
    if "report" in chosen:
        from nnfit.views.report import write_run_page

        write_run_page(run, out_dir / "index.html")


def record_every_for(steps: int, records: int = 1000) -> int:
    """The smallest k dividing steps that keeps at most `records` records."""
    if steps < 1:
        return 1
    return next(
        k for k in range(1, steps + 1) if steps % k == 0 and steps // k <= records
    )


def _prepare_out(folder: Path) -> Path:
    """Make the output folder now, before any training, or say why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".nnfit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise NnfitError(
            f"--out {folder} cannot be used as an output folder ({reason}); "
            "choose a folder you can write to."
        ) from None
    return folder


# Files a fit writes besides the run itself; cleared so no stale view remains.
VIEW_FILES = tuple(f"{name}.png" for name in VIEWS) + (
    "training.gif",
    "training.mp4",
    "index.html",
)


def _clear_views(folder: Path) -> None:
    for name in VIEW_FILES:
        (folder / name).unlink(missing_ok=True)


def _print_summary(run, out_dir: Path) -> None:
    spec = run.spec
    title = (
        f"{spec.hidden} {spec.activation} nodes, {spec.steps} steps on {spec.target}"
    )
    if run.data:
        title = (
            f"{spec.hidden} {spec.activation} nodes, {spec.steps} steps on {run.data}"
        )
    table = Table(title=title)
    columns = ["seed", "train MSE", "R²", "error inside", "error outside"]
    columns.append("dead units")
    held = run.samples.test_x is not None
    if held:
        columns[3:5] = ["held-out MSE"]
    for column in columns:
        table.add_column(column, justify="right")

    metrics = run.metrics
    for net in range(min(run.nets, 20)):
        errors = [metrics["interp_mse"][net], metrics["extrap_mse"][net]]
        if held:
            errors = [metrics["heldout_mse"][net]]
        table.add_row(
            str(spec.seed + net),
            _number(metrics["train_mse"][net]),
            _number(metrics["r2"][net], "{:.3g}"),
            *(_number(value) for value in errors),
            f"{int(metrics['dead_units'][net])} of {spec.hidden}",
        )
    out.print(table)
    if run.nets > 20:
        out.print(
            f"(first 20 of {run.nets} nets; all are in {out_dir / 'metrics.json'})"
        )
    _print_flat_fits(run)
    for note in run.notes:
        out.print(f"Note: {note}")
    out.print(f"Wrote the run and its views to {out_dir}/.")


def _register_sweeps() -> None:
    from nnfit.cli_sweep import claims_command, sweep_command

    app.command(name="sweep")(sweep_command)
    app.command(name="claims")(claims_command)


_register_sweeps()


def _print_flat_fits(run) -> None:
    from nnfit.analysis import diagnose_flat_fit

    flat = [net for net in range(run.nets) if run.metrics["r2"][net] < 0.1]
    if flat:
        causes = " ".join(diagnose_flat_fit(run, flat[0]))
        out.print(
            f"Flat fit: R² below 0.1 for {len(flat)} net(s), no better than a "
            f"horizontal line. For seed {run.spec.seed + flat[0]}: {causes}"
        )


def _number(value, form: str = "{:.4g}") -> str:
    return "—" if value != value else form.format(float(value))


def _parse_views(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in VIEWS]
    if unknown:
        raise NnfitError(
            f"--views got unknown view(s) {', '.join(unknown)}; choose from "
            f"{', '.join(VIEWS)}."
        )
    return chosen


def _parse_range(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts)
    except ValueError:
        raise NnfitError(
            f"--range must be two numbers LOW,HIGH such as -3.14,3.14, got {text!r}."
        ) from None
    return low, high


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _step_bar(bars: Progress, task):
    return lambda done, total: bars.update(task, completed=done)


def _frame_bar(bars: Progress, label: str):
    task = bars.add_task(f"writing {label}", total=None)
    return lambda done, total: bars.update(task, completed=done, total=total)


def _demo_bar(bars: Progress):
    tasks: dict[str, int] = {}

    def update(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = bars.add_task(label, total=total)
            if not err.is_terminal:
                # No bars without a terminal: one line per stage instead.
                err.print(f"{label} ...")
        bars.update(tasks[label], completed=done, total=total)

    return update


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of a traceback on bad input."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        # With standalone_mode off, typer.Exit(n) comes back as the result.
        code = app(args=argv or ["--help"], standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        err.print("Stopped.")
        return 130
    except typer.TyperException as error:
        # Typer's own usage errors: unknown option, a value of the wrong type.
        message = error.format_message()
        err.print(f"Error: {_sentence(message + _minus_hint(message, argv))}")
        return 2
    except NnfitError as error:
        err.print(f"Error: {_sentence(str(error))}")
        return 2
    except Failure as failure:
        err.print(f"Error: {failure}")
        return failure.code
    except Exception as error:
        if os.environ.get("NNFIT_DEBUG"):
            raise
        err.print(
            f"Error: nnfit failed unexpectedly ({type(error).__name__}: {error}); "
            "run again with NNFIT_DEBUG=1 to see the traceback, and please report it."
        )
        return 1
    return code if isinstance(code, int) else 0


def _minus_hint(message: str, argv: list[str]) -> str:
    """For a formula that starts with a minus, read as an option: where it goes."""
    before = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    formulas = [a for a in before if re.fullmatch(r"-(x|[^-].*[\d().*/^+ x].*)", a)]
    if not message.startswith("No such option") or not formulas:
        return ""
    return (
        " (a formula that starts with a minus goes last, after --, as in: "
        f"nnfit {argv[0]} --steps 500 -- '{formulas[0]}')"
    )


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
