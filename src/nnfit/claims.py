"""The article's claims, measured: the grids behind them and a verdict table.

"What neural networks actually do?" (Tambet Matiisen, 2018) draws its
numbers from a handful of runs: about 7 sigmoid nodes are needed on its range
and 10 are used because random init misplaces some; ReLU needs 100 nodes to
fit reliably; cos fits reliably with 3 nodes and with 1 if lucky; only the
periodic prior extrapolates, because cos nodes learn sin's frequency and
phase. Each claim here is a sweep over many seeds and a rule that says
whether the measurement agrees. The verdicts are data (claim, what was
measured, the number, holds); the views draw them.

Every cell is run twice where the init matters: with the activation's own
init (nnfit's default: sigmoid and ReLU nodes start with their step or kink
inside the data, cos nodes at the samples' strongest frequencies) and with
a plain random init, U(-1, 1) in the user's units, like the article's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnfit.activations import ACTIVATIONS, get_activation
from nnfit.errors import NnfitError, SpecError
from nnfit.spec import FitSpec
from nnfit.sweep import Criterion, SweepProgress, summarise, sweep, wilson

# A net "fits reliably" when at least this share of seeds succeeds.
RELIABLE = 0.9
# Verdicts are judged again under a criterion this many times as lenient.
LOOSER = 2.0
PLAIN_INIT = "uniform"
# sin(x) = cos(x - pi / 2): what a cos net must learn.
FREQUENCY, PHASE = 1.0, -np.pi / 2
FREQUENCY_TOLERANCE = 0.02
PHASE_TOLERANCE = 0.1
# The article's widths; other activations are measured at the width of their
# kind (periodic: 3, else 10).
ARTICLE_WIDTHS = {"sigmoid": 10, "relu": 100, "cos": 3}


@dataclass(frozen=True)
class ClaimsPlan:
    """The grid behind the claims: sin(x), 50 samples, noise 0.1, Adam 0.05.

    Attributes:
        seeds: nets per cell.
        steps: training steps of every net (the article: 1000).
        sigmoid, relu, cos: the widths swept for each.
        inits: the inits of the width sweeps; None is the activation's own.
        others: further activations, measured at one width for the
            extrapolation comparison; None takes every registered one.
    """

    seeds: int = 300
    steps: int = 1000
    sigmoid: tuple[int, ...] = tuple(range(1, 13))
    relu: tuple[int, ...] = (10, 30, 100)
    cos: tuple[int, ...] = (1, 2, 3)
    inits: tuple[str | None, ...] = (None, PLAIN_INIT)
    others: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name, widths in self.width_sweeps().items():
            if not widths or not all(isinstance(w, int) and w > 0 for w in widths):
                raise SpecError(
                    f"the claims need {name} widths as whole numbers above 0, "
                    f"got {widths!r}."
                )
        if not self.inits:
            raise SpecError(
                "the claims need at least one init (None for each activation's "
                "own), got ()."
            )

    def cells(self) -> list[FitSpec]:
        """One FitSpec per cell, seeds 0 .. seeds - 1 each."""
        base = FitSpec(steps=self.steps, seeds=self.seeds, record_curves=False)
        cells = []
        for activation, widths in self.width_sweeps().items():
            for init in self.inits:
                for hidden in widths:
                    cells.append(
                        base.replace(activation=activation, hidden=hidden, init=init)
                    )
        for activation in self.extrapolation_activations():
            cells.append(
                base.replace(activation=activation, hidden=width_of(activation))
            )
        return cells

    def width_sweeps(self) -> dict[str, tuple[int, ...]]:
        return {"sigmoid": self.sigmoid, "relu": self.relu, "cos": self.cos}

    def extrapolation_activations(self) -> list[str]:
        names = self.others if self.others is not None else tuple(ACTIVATIONS)
        return list(dict.fromkeys(list(ARTICLE_WIDTHS) + list(names)))


FULL = ClaimsPlan()
# A tiny grid that still runs every step of the pipeline (for tests).
QUICK = ClaimsPlan(
    seeds=4,
    steps=30,
    sigmoid=(4, 10),
    relu=(10,),
    cos=(1, 3),
    inits=(None,),
    others=(),
)


@dataclass(frozen=True)
class Verdict:
    """One claim of the article against the measurement.

    Attributes:
        claim: what the article says, in words.
        measured: what was measured, and the rule for "holds".
        number: the measured number (a rate, a width, an error).
        shown: the number as text, with its interval where it has one.
        holds: whether the measurement agrees; None where the article
            makes no claim and the row only reports.
        holds_looser: the same under a criterion LOOSER times as lenient,
            because several verdicts turn on where the threshold sits.
    """

    claim: str
    measured: str
    number: float
    shown: str
    holds: bool | None
    holds_looser: bool | None = None


@dataclass
class ClaimsResult:
    """The measured claims.

    Attributes:
        verdicts: one row per claim.
        extrapolation: per activation at its width: success inside the
            range, median errors inside and outside, the share of nets that
            also fit outside the range.
        table: the sweep's rows, one per net.
        plan: the grid that was run.
        criterion: the success criterion.
        seconds: wall time of the sweep.
        folder: where the claims were saved or loaded from, else None.
    """

    verdicts: list[Verdict]
    extrapolation: pd.DataFrame
    table: pd.DataFrame
    plan: ClaimsPlan
    criterion: Criterion
    seconds: float = 0.0
    folder: Path | None = None

    def verdict_table(self) -> pd.DataFrame:
        """The verdicts as a DataFrame, one column per Verdict field."""
        return pd.DataFrame([asdict(verdict) for verdict in self.verdicts])


def width_of(activation: str) -> int:
    """The width an activation is compared at: the article's, else its kind's."""
    if activation in ARTICLE_WIDTHS:
        return ARTICLE_WIDTHS[activation]
    return 3 if get_activation(activation).periodic else 10


def run_claims(
    plan: ClaimsPlan = FULL,
    *,
    out: str | Path | None = None,
    criterion: Criterion | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    device: str = "cpu",
    progress: SweepProgress | None = None,
) -> ClaimsResult:
    """Run the grid behind every claim and judge each one.

    Args:
        plan: the grid; FULL is the article's setting with 300 seeds a cell.
        out: a folder for the sweep (out/sweep), so that an interrupted run
            resumes; None keeps it in memory.
        criterion: the success criterion; None takes Criterion() (5%).
        workers, scheduler, device: where the batches run (see `sweep`).
        progress: called with (nets done, nets in all).

    Returns:
        The verdicts, the extrapolation table and the sweep's rows.

    Example:
        >>> result = run_claims(QUICK)
        >>> result.verdict_table()[["claim", "shown", "holds"]]
    """
    criterion = criterion or Criterion()
    folder = None if out is None else Path(out) / "sweep"
    done = sweep(
        plan.cells(),
        out=folder,
        criterion=criterion,
        workers=workers,
        scheduler=scheduler,
        device=device,
        progress=progress,
    )
    return judge(done.table, plan, criterion, seconds=done.seconds)


def judge(
    table: pd.DataFrame,
    plan: ClaimsPlan,
    criterion: Criterion,
    seconds: float = 0.0,
) -> ClaimsResult:
    """Judge every claim from a sweep table.

    The verdicts read the table's success column as given; holds_looser
    reapplies `looser(criterion)` to its interp_mse, target_variance and r2.
    """
    verdicts = _verdicts(table, plan, criterion)
    lenient = looser(criterion)
    again = _verdicts(table.assign(success=lenient.apply(table)), plan, lenient)
    verdicts = [
        replace(verdict, holds_looser=other.holds)
        for verdict, other in zip(verdicts, again, strict=True)
    ]
    extrapolation = extrapolation_table(table, plan, criterion)
    return ClaimsResult(verdicts, extrapolation, table, plan, criterion, seconds)


def looser(criterion: Criterion) -> Criterion:
    """The criterion LOOSER times as lenient (at most 0.99)."""
    return Criterion(min(LOOSER * criterion.fraction, 0.99))


def _verdicts(table: pd.DataFrame, plan: ClaimsPlan, criterion: Criterion) -> list:
    rows = _Rows(table)
    return [
        *_sigmoid_verdicts(rows, plan),
        *_relu_verdicts(rows, plan),
        *_cos_verdicts(rows, plan),
        _extrapolation_verdict(rows, criterion),
        *_wave_verdicts(rows),
    ]


def extrapolation_table(
    table: pd.DataFrame, plan: ClaimsPlan, criterion: Criterion
) -> pd.DataFrame:
    """Per activation at its width (own init): inside and outside the range."""
    rows = _Rows(table)
    records = []
    for activation in plan.extrapolation_activations():
        nets = rows.cell(activation, width_of(activation))
        if nets.empty:
            continue
        outside = nets["extrap_mse"] < criterion.fraction * nets["target_variance"]
        records.append(
            {
                "activation": activation,
                "hidden": width_of(activation),
                "nets": len(nets),
                "success_rate": float(nets["success"].mean()),
                "median_interp_mse": float(nets["interp_mse"].median()),
                "median_extrap_mse": float(nets["extrap_mse"].median()),
                "extrapolates": float(outside.mean()),
            }
        )
    return pd.DataFrame(records)


def save_claims(result: ClaimsResult, folder: str | Path) -> dict[str, Path]:
    """Write claims.json, claims.csv, extrapolation.csv and nets.parquet
    (the sweep's rows) into a folder; `load_claims` reads them back."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "claims.json",
        "csv": folder / "claims.csv",
        "extrapolation": folder / "extrapolation.csv",
        "nets": folder / "nets.parquet",
    }
    about = {
        "verdicts": [_json_verdict(verdict) for verdict in result.verdicts],
        "extrapolation": result.extrapolation.to_dict(orient="records"),
        "plan": asdict(result.plan),
        "criterion": {
            "name": result.criterion.name,
            "fraction": result.criterion.fraction,
        },
        "looser": looser(result.criterion).fraction,
        "reliable": RELIABLE,
        "nets": len(result.table),
        "seconds": result.seconds,
    }
    paths["json"].write_text(json.dumps(about, indent=2) + "\n")
    result.verdict_table().to_csv(paths["csv"], index=False)
    result.extrapolation.to_csv(paths["extrapolation"], index=False)
    result.table.to_parquet(paths["nets"], index=False)
    result.folder = folder
    return paths


def load_claims(folder: str | Path) -> ClaimsResult:
    """Read claims saved by `save_claims`, with the sweep's rows."""
    folder = Path(folder)
    try:
        about = json.loads((folder / "claims.json").read_text())
        table = pd.read_parquet(folder / "nets.parquet")
    except (OSError, ValueError) as error:
        raise NnfitError(
            f"{folder} holds no claims ({error}); write them with `nnfit claims --out`."
        ) from None
    plan = _plan_from_json(about["plan"])
    verdicts = [
        Verdict(**{**v, "number": _number(v["number"])}) for v in about["verdicts"]
    ]
    criterion = Criterion(about["criterion"]["fraction"])
    extrapolation = pd.DataFrame(about["extrapolation"])
    return ClaimsResult(
        verdicts, extrapolation, table, plan, criterion, about["seconds"], folder
    )


class _Rows:
    """Select a cell's nets from a sweep table."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def cell(self, activation: str, hidden: int, init: str | None = None):
        init = init or get_activation(activation).init
        table = self.table
        chosen = (
            (table["activation"] == activation)
            & (table["hidden"] == hidden)
            & (table["init"] == init)
        )
        return table[chosen]

    def rate(self, activation: str, hidden: int, init: str | None = None):
        nets = self.cell(activation, hidden, init)
        return _Rate(int(nets["success"].sum()), len(nets))


@dataclass(frozen=True)
class _Rate:
    successes: int
    nets: int

    @property
    def value(self) -> float:
        return self.successes / self.nets if self.nets else float("nan")

    @property
    def shown(self) -> str:
        if not self.nets:
            return "not measured"
        low, high = wilson(self.successes, self.nets)
        return (
            f"{self.value:.0%} ({self.successes} of {self.nets}; 95% CI "
            f"{float(low):.0%}-{float(high):.0%})"
        )


def _init_words(init: str | None) -> str:
    return "plain U(-1, 1) init" if init == PLAIN_INIT else "nnfit's init"


def _sigmoid_verdicts(rows: _Rows, plan: ClaimsPlan) -> list[Verdict]:
    verdicts = []
    for init in plan.inits:
        rate = rows.rate("sigmoid", 10, init)
        verdicts.append(
            Verdict(
                f"10 sigmoid nodes fit sin(x) on the training range in "
                f"{plan.steps} steps ({_init_words(init)})",
                f"share of seeds that succeed; holds at {RELIABLE:.0%} or more",
                rate.value,
                rate.shown,
                _holds(rate.nets, rate.value >= RELIABLE),
            )
        )
    for init in plan.inits:
        verdicts.append(_smallest_width(rows, plan, init))
    return verdicts


def _smallest_width(rows: _Rows, plan: ClaimsPlan, init: str | None) -> Verdict:
    rates = {width: rows.rate("sigmoid", width, init) for width in plan.sigmoid}
    found = _first_width(rates, RELIABLE)
    swept = f"{min(plan.sigmoid)}-{max(plan.sigmoid)}"
    if np.isnan(found):
        best = max(rates, key=lambda width: rates[width].value)
        shown = (
            f"none of widths {swept} reaches {RELIABLE:.0%} (best "
            f"{rates[best].value:.0%} at {best})"
        )
    else:
        shown = f"{found:.0f} nodes ({rates[found].shown})"
    half, first = _first_width(rates, 0.5), _first_width(rates, 1e-9)
    shown += f"; half the seeds from {half:.0f}, a first success at {first:.0f}"
    measured = (
        f"smallest width (of {swept}) at which {RELIABLE:.0%} of seeds "
        "succeed; holds for 7 to 10"
    )
    return Verdict(
        f"About 7 sigmoid nodes are needed; 10 are used because random init "
        f"misplaces some ({_init_words(init)})",
        measured,
        found,
        shown,
        _holds(sum(r.nets for r in rates.values()), 7 <= found <= 10),
    )


def _first_width(rates: dict[int, _Rate], share: float) -> float:
    """The smallest width whose success rate reaches `share`, or NaN."""
    reached = [w for w, rate in rates.items() if rate.nets and rate.value >= share]
    return float(min(reached)) if reached else float("nan")


def _relu_verdicts(rows: _Rows, plan: ClaimsPlan) -> list[Verdict]:
    verdicts = []
    top = max(plan.relu)
    for init in plan.inits:
        for width in plan.relu:
            rate = rows.rate("relu", width, init)
            enough = width == top
            rule = "at least" if enough else "below"
            verdicts.append(
                Verdict(
                    f"ReLU needs about 100 nodes to fit reliably: {width} nodes "
                    f"{'do' if enough else 'do not'} ({_init_words(init)})",
                    f"share of {width}-node ReLU nets that succeed; holds "
                    f"{rule} {RELIABLE:.0%}",
                    rate.value,
                    rate.shown,
                    _holds(rate.nets, (rate.value >= RELIABLE) == enough),
                )
            )
    verdicts.append(_dead_units(rows, plan))
    return verdicts


def _dead_units(rows: _Rows, plan: ClaimsPlan) -> Verdict:
    nets = pd.concat([rows.cell("relu", width) for width in plan.relu])
    fraction = nets["dead_units"] / nets["hidden"]
    per_width = ", ".join(
        f"{width}: {(rows.cell('relu', width)['dead_units'] / width).mean():.1%}"
        for width in plan.relu
        if not rows.cell("relu", width).empty
    )
    value = float(fraction.mean()) if len(nets) else float("nan")
    return Verdict(
        "Some ReLU units die (inactive on every sample), which is why many are needed",
        "mean fraction of dead units per net (nnfit's init), by width; holds above 0",
        value,
        f"{value:.1%} ({per_width})" if len(nets) else "not measured",
        _holds(len(nets), value > 0),
    )


def _cos_verdicts(rows: _Rows, plan: ClaimsPlan) -> list[Verdict]:
    verdicts = []
    for init in plan.inits:
        for width in plan.cos:
            rate = rows.rate("cos", width, init)
            claim, rule, holds = _cos_claim(width, rate)
            verdicts.append(
                Verdict(
                    f"{claim} ({_init_words(init)})",
                    f"share of {width}-node cos nets that succeed; {rule}",
                    rate.value,
                    rate.shown,
                    _holds(rate.nets, holds),
                )
            )
    return verdicts


def _cos_claim(width: int, rate: _Rate) -> tuple[str, str, bool | None]:
    if width >= 3:
        return (
            f"{width} cos nodes fit sin(x) reliably",
            f"holds at {RELIABLE:.0%} or more",
            rate.value >= RELIABLE,
        )
    if width == 1:
        return (
            "1 cos node fits sin(x) only if lucky",
            f"holds above 0% and below {RELIABLE:.0%}",
            0 < rate.value < RELIABLE,
        )
    return (f"{width} cos nodes (the article makes no claim)", "reported only", None)


def _extrapolation_verdict(rows: _Rows, criterion: Criterion) -> Verdict:
    medians = {}
    limit = float("nan")
    for activation in ARTICLE_WIDTHS:
        nets = rows.cell(activation, width_of(activation))
        if not nets.empty:
            medians[activation] = float(nets["extrap_mse"].median())
            limit = criterion.fraction * float(nets["target_variance"].iloc[0])
    others = [value for name, value in medians.items() if name != "cos"]
    measured = len(medians) == len(ARTICLE_WIDTHS)
    ratio = min(others) / medians["cos"] if measured else float("nan")
    shown = ", ".join(f"{name} {value:.3g}" for name, value in medians.items())
    return Verdict(
        "Outside the training range only the periodic prior keeps following sin(x)",
        f"median MSE against sin(x) outside the range for sigmoid-10, "
        f"relu-100 and cos-3; holds when cos is below {limit:.3g} "
        f"({criterion.fraction:g} x variance) and the others above it; the "
        "number is how many times smaller cos's error is",
        ratio,
        f"{ratio:.0f}x smaller ({shown})" if measured else "not measured",
        _holds(measured, measured and medians["cos"] < limit < min(others)),
    )


def _wave_verdicts(rows: _Rows) -> list[Verdict]:
    nets = rows.cell("cos", ARTICLE_WIDTHS["cos"])
    frequency = np.abs(nets["frequency"] / FREQUENCY - 1) <= FREQUENCY_TOLERANCE
    phase_error = np.abs(np.angle(np.exp(1j * (nets["phase"] - PHASE))))
    both = frequency & (phase_error <= PHASE_TOLERANCE)
    learned = [
        (
            "3 cos nodes learn sin's frequency: 1",
            f"share of nets whose main wave has frequency 1 within "
            f"{FREQUENCY_TOLERANCE:.0%}; holds at {RELIABLE:.0%} or more",
            frequency,
        ),
        (
            "... and its phase: sin(x) = cos(x - pi/2)",
            f"share of nets with frequency 1 and phase -pi/2 within "
            f"{PHASE_TOLERANCE:g} rad (nodes at that frequency added as "
            f"phasors); holds at {RELIABLE:.0%} or more",
            both,
        ),
    ]
    median_frequency = float(nets["frequency"].median())
    median_phase_error = float(np.median(phase_error))
    details = (
        f"median frequency {median_frequency:.4f}",
        f"median phase error {median_phase_error:.3f} rad",
    )
    verdicts = []
    for (claim, measured, hits), detail in zip(learned, details, strict=True):
        rate = _Rate(int(hits.sum()), len(nets))
        verdicts.append(
            Verdict(
                claim,
                measured,
                rate.value,
                f"{rate.shown}; {detail}" if len(nets) else rate.shown,
                _holds(rate.nets, rate.value >= RELIABLE),
            )
        )
    return verdicts


def _holds(measured: Any, holds: Any) -> bool | None:
    """The rule's answer as a bool; None where nothing was measured or the
    article makes no claim."""
    return None if holds is None or not measured else bool(holds)


def _json_verdict(verdict: Verdict) -> dict[str, Any]:
    values = asdict(verdict)
    values["number"] = None if np.isnan(verdict.number) else verdict.number
    return values


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _plan_from_json(values: dict[str, Any]) -> ClaimsPlan:
    fields = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in values.items()
    }
    return ClaimsPlan(**fields)


def summary_by_width(result: ClaimsResult) -> pd.DataFrame:
    """Success rate with its Wilson interval per activation, init and width."""
    table = result.table
    swept = table["activation"].isin(list(result.plan.width_sweeps()))
    return summarise(table[swept], by=("activation", "init", "hidden"))
