"""Sweeps: a grid of fits over many seeds, trained in batches, as one table.

A grid of spec fields (activation, hidden, lr, ...) expands into cells, one
FitSpec per combination, each over a range of seeds. The nets of a cell
differ only in their seed, so a chunk of seeds [s, s + k) trains as one batch
of the engine: one compiled program with B = k. Net b's numbers depend only
on its own seed, so chunking changes no number.

Batches run in this process, on a pool of local worker processes (spawned:
JAX is not fork-safe) or on a Dask cluster. Each finished batch is written to
the output folder at once, as batches/<cell>-<first seed>-<count>.parquet, so
a sweep that stops (Ctrl-C, a crash) and runs again with the same folder
trains only the seeds that are missing. The result is a tidy table, one row
per net: the spec columns, the metrics and whether the fit succeeded under an
explicit, named criterion.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnfit import analysis
from nnfit.activations import ACTIVATIONS, get_activation
from nnfit.batches import start_worker, train_batch
from nnfit.errors import NnfitError, SpecError
from nnfit.spec import FitSpec
from nnfit.targets import get_target

# Spec fields a grid may vary; seeds are a count and a first seed instead.
AXES = tuple(
    field.name
    for field in fields(FitSpec)
    if field.name not in ("seed", "seeds", "record_every", "record_curves")
)
# Seeds per batch on the CPU. For H=10, N=50, 1000 steps on the 2-core
# machine (benchmarks/bench_sweep.py), one batch's speed per net rises up to
# about 500 nets and then flattens; a whole sweep of 10,000 nets on two
# workers was as fast with 500 as with 1000, and smaller batches share the
# work out more evenly and lose less to an interruption.
CHUNK = 500
# On a GPU a batch should fill the device; not measured on this machine.
GPU_CHUNK = 20_000
DEVICES = ("cpu", "gpu")
# What a fresh worker process knows: activations registered later by the
# caller (register_activation) exist only in this process.
SPAWNED_ACTIVATIONS = frozenset(ACTIVATIONS)

# (nets done, nets in all), called after each finished batch.
SweepProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Criterion:
    """When a fit counts as a success; its name is written into every table.

    A fit succeeds when its MSE against the true curve on the training range
    (interp_mse) is below `fraction` times the variance of the true curve
    there; for sin(x) on [-3 pi, 3 pi] with 0.05 that is MSE < 0.025, R^2
    against the truth above 0.95. Without a true curve it falls back to
    R^2 on the samples above 1 - fraction (as `analysis.succeeded`).

    Example:
        >>> Criterion(0.01).name
        'interp_mse < 0.01 x variance of the target on the training range'
    """

    fraction: float = analysis.SUCCESS_FRACTION

    def __post_init__(self) -> None:
        bad = isinstance(self.fraction, bool) or not isinstance(
            self.fraction, int | float
        )
        if bad or not 0 < self.fraction < 1:
            raise SpecError(
                f"success fraction must be a number between 0 and 1 (such as "
                f"0.05), got {self.fraction!r}."
            )

    @property
    def name(self) -> str:
        return (
            f"interp_mse < {self.fraction:g} x variance of the target on the "
            "training range"
        )

    def apply(self, table: pd.DataFrame) -> pd.Series:
        """Per row, whether the net succeeded; needs interp_mse,
        target_variance and r2 columns."""
        has_truth = table["target_variance"].notna()
        by_truth = table["interp_mse"] < self.fraction * table["target_variance"]
        by_r2 = table["r2"] > 1 - self.fraction
        return by_truth.where(has_truth, by_r2).astype(bool)


@dataclass(frozen=True)
class Batch:
    """Nets of one cell trained together: seeds spec.seed .. + spec.seeds - 1.

    Attributes:
        cell: the cell's key (`cell_key`), shared by all its batches.
        spec: the cell's spec with this batch's seed and seeds.
    """

    cell: str
    spec: FitSpec

    @property
    def file_name(self) -> str:
        return f"{self.cell}-{self.spec.seed}-{self.spec.seeds}.parquet"

    @property
    def cost(self) -> int:
        spec = self.spec
        return spec.seeds * spec.hidden * spec.samples * spec.steps


@dataclass
class Sweep:
    """A finished sweep.

    Attributes:
        table: one row per net, sorted by cell (grid order) then seed.
        criterion: the success criterion applied to the table.
        folder: the output folder, or None for a sweep kept in memory.
        trained: nets trained by this call.
        loaded: nets read back from batches finished by an earlier call.
        seconds: wall time of this call.
    """

    table: pd.DataFrame
    criterion: Criterion
    folder: Path | None
    trained: int
    loaded: int
    seconds: float


def grid(
    base: FitSpec | None = None, *, seeds: int = 100, seed: int = 0, **axes: Any
) -> list[FitSpec]:
    """Expand spec fields into cells: one FitSpec per combination of values.

    Args:
        base: the spec the cells start from; None takes FitSpec().
        seeds: nets per cell, seeds seed .. seed + seeds - 1.
        seed: the first seed.
        **axes: a value or a list of values per spec field (AXES), e.g.
            activation=["sigmoid", "relu"], hidden=range(1, 13).

    Returns:
        The cells, in the order itertools.product gives, without repeats;
        each records no curves and only its last step.

    Example:
        >>> cells = grid(activation=["sigmoid", "cos"], hidden=[1, 3], seeds=10)
        >>> len(cells), cells[0].seeds
        (4, 10)
    """
    unknown = sorted(set(axes) - set(AXES))
    if unknown:
        raise SpecError(
            f"cannot sweep over {', '.join(unknown)}; a grid may vary: "
            f"{', '.join(AXES)} (and seeds, a count)."
        )
    start = (base or FitSpec()).replace(seed=seed, seeds=seeds)
    names = list(axes)
    choices = [_axis_values(name, axes[name]) for name in names]
    cells = [
        start.replace(**dict(zip(names, values, strict=True)))
        for values in itertools.product(*choices)
    ]
    return _distinct([as_cell(cell) for cell in cells])


def as_cell(spec: FitSpec) -> FitSpec:
    """The spec as a sweep trains it: no curves, one record at the end."""
    return spec.replace(record_curves=False, record_every=spec.steps)


def cell_key(spec: FitSpec) -> str:
    """A short stable name for a cell: a hash of its spec without the seeds."""
    values = spec.to_dict()
    for name in ("seed", "seeds", "record_every", "record_curves"):
        values.pop(name)
    text = json.dumps(values, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def sweep(
    specs: Sequence[FitSpec] | None = None,
    *,
    out: str | Path | None = None,
    criterion: Criterion | None = None,
    chunk: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    device: str = "cpu",
    progress: SweepProgress | None = None,
    **axes: Any,
) -> Sweep:
    """Train every net of a grid, in batches, and return one tidy table.

    Args:
        specs: the cells (FitSpec with seed and seeds); None builds them with
            `grid(**axes)`.
        out: a folder for finished batches, table.parquet, table.csv and
            sweep.json; run again with the same folder to resume. None keeps
            everything in memory.
        criterion: the success criterion; None takes Criterion() (5%).
        chunk: most seeds per batch; None takes CHUNK (GPU_CHUNK on a GPU).
        workers: local worker processes; None takes one per CPU core, 1
            trains in this process (as do activations registered with
            register_activation, which a new process does not know).
        scheduler: a Dask scheduler address ("tcp://host:8786") or a
            distributed.Client; batches then run on that cluster.
        device: "cpu", or "gpu" to train in this process on JAX's GPU.
        progress: called with (nets done, nets in all) after each batch.
        **axes: grid axes, seeds and seed, when specs is None.

    Returns:
        The Sweep: its table has one row per net with the spec columns,
        train_mse, r2, interp_mse, extrap_mse, dead_units, diverged_at,
        target_variance, frequency, phase, amplitude (cos, sin, saw nets),
        success and criterion.

    Example:
        >>> result = sweep(activation=["sigmoid", "cos"], hidden=[3], seeds=8)
        >>> result.table.groupby("activation")["success"].mean()
    """
    start = time.perf_counter()
    cells = _cells(specs, axes)
    if device not in DEVICES:
        raise SpecError(f"device must be one of {', '.join(DEVICES)}, got {device!r}.")
    criterion = criterion or Criterion()
    chunk = _check_positive(chunk or (GPU_CHUNK if device == "gpu" else CHUNK), "chunk")
    folder = None if out is None else Path(out)

    done = _finished(folder, cells)
    batches = plan(cells, done, chunk)
    total = sum(cell.seeds for cell in cells)
    loaded = total - sum(batch.spec.seeds for batch in batches)
    frames: list[pd.DataFrame] = []
    report = progress or (lambda done, total: None)
    report(loaded, total)

    count = loaded
    for batch, columns in _execute(batches, workers, scheduler, device):
        frame = batch_frame(batch, columns)
        _keep(frame, batch, folder, frames)
        count += batch.spec.seeds
        report(count, total)

    table = _assemble(cells, folder, frames, criterion)
    result = Sweep(
        table, criterion, folder, total - loaded, loaded, time.perf_counter() - start
    )
    if folder is not None:
        save_table(result, cells)
    return result


def plan(cells: Sequence[FitSpec], done: dict[str, set[int]], chunk: int) -> list:
    """The batches still to train: each cell's missing seeds, in chunks.

    Args:
        cells: the grid's cells.
        done: per cell key, the seeds already finished.
        chunk: most seeds per batch; a run of n missing seeds is cut into
            ceil(n / chunk) batches of nearly equal size (fewer shapes to
            compile).

    Returns:
        Batches, the most expensive first (so a pool ends evenly).
    """
    batches = []
    for cell in cells:
        key = cell_key(cell)
        finished = done.get(key, set())
        wanted = range(cell.seed, cell.seed + cell.seeds)
        missing = [seed for seed in wanted if seed not in finished]
        for first, count in _pieces(missing, chunk):
            spec = cell.replace(seed=first, seeds=count)
            batches.append(Batch(key, spec))
    return sorted(batches, key=lambda batch: -batch.cost)


def batch_frame(batch: Batch, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A batch's rows: the spec columns beside the trained nets' columns."""
    spec = batch.spec
    low, high = spec.x_range or get_target(spec.target).x_range
    described = {
        "cell": batch.cell,
        "target": spec.target,
        "activation": spec.activation,
        "hidden": spec.hidden,
        "steps": spec.steps,
        "lr": float(spec.lr),
        "optimizer": spec.optimizer,
        "samples": spec.samples,
        "noise": float(spec.noise),
        "x_low": float(low),
        "x_high": float(high),
        "spacing": spec.spacing,
        "extrapolation": float(spec.extrapolation),
        "init": spec.init or get_activation(spec.activation).init,
        "dtype": spec.dtype,
    }
    frame = pd.DataFrame(
        {name: [value] * spec.seeds for name, value in described.items()}
    )
    for name, values in columns.items():
        frame[name] = np.asarray(values)
    return frame


def summarise(
    table: pd.DataFrame,
    by: Sequence[str] = ("activation", "hidden"),
    level: float = 0.95,
) -> pd.DataFrame:
    """Per group: nets, successes, success rate with its Wilson interval,
    median errors and the mean fraction of dead units.

    Args:
        table: a sweep table.
        by: the columns that define a group.
        level: the confidence level of the interval.

    Returns:
        One row per group, in the table's order.
    """
    rows = table.assign(dead_fraction=table["dead_units"] / table["hidden"])
    summary = (
        rows.groupby(list(by), sort=False)
        .agg(
            nets=("success", "size"),
            successes=("success", "sum"),
            median_interp_mse=("interp_mse", "median"),
            median_extrap_mse=("extrap_mse", "median"),
            dead_fraction=("dead_fraction", "mean"),
        )
        .reset_index()
    )
    summary["success_rate"] = summary["successes"] / summary["nets"]
    low, high = wilson(summary["successes"], summary["nets"], level)
    summary["low"], summary["high"] = low, high
    return summary


def wilson(
    successes: Any, trials: Any, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval for a binomial proportion.

    Args:
        successes: counts k, array-like.
        trials: counts n >= 1, the same shape.
        level: confidence level, e.g. 0.95.

    Returns:
        (low, high), arrays of the same shape, within [0, 1].

    Reference:
        E. B. Wilson, "Probable inference, the law of succession, and
        statistical inference", JASA 22 (1927).
    """
    k = np.asarray(successes, np.float64)
    n = np.asarray(trials, np.float64)
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    # centre and half-width of the interval, both shrunk by 1 + z^2 / n
    shrink = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / shrink
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / shrink
    # At k = 0 and k = n the ends are exactly 0 and 1; say so without rounding.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return low, high


def save_table(result: Sweep, cells: Sequence[FitSpec]) -> None:
    """Write table.parquet, table.csv and sweep.json into the sweep folder."""
    folder = result.folder
    assert folder is not None
    result.table.to_parquet(folder / "table.parquet", index=False)
    result.table.to_csv(folder / "table.csv", index=False)
    about = {
        "criterion": {
            "name": result.criterion.name,
            "fraction": result.criterion.fraction,
        },
        "cells": [cell.to_dict() for cell in cells],
        "nets": len(result.table),
        "trained": result.trained,
        "loaded": result.loaded,
        "seconds": result.seconds,
    }
    (folder / "sweep.json").write_text(json.dumps(about, indent=2) + "\n")


def load_sweep(folder: str | Path) -> Sweep:
    """Read a finished sweep folder (table.parquet and sweep.json)."""
    folder = Path(folder)
    try:
        table = pd.read_parquet(folder / "table.parquet")
        about = json.loads((folder / "sweep.json").read_text())
    except (OSError, ValueError) as error:
        raise NnfitError(
            f"{folder} holds no finished sweep ({error}); point at a folder "
            "written by `nnfit sweep --out`."
        ) from None
    criterion = Criterion(about["criterion"]["fraction"])
    return Sweep(
        table, criterion, folder, about["trained"], about["loaded"], about["seconds"]
    )


def _cells(specs: Sequence[FitSpec] | None, axes: dict[str, Any]) -> list[FitSpec]:
    if specs is None:
        cells = grid(**axes)
    elif axes:
        raise SpecError(
            f"give either specs or grid axes ({', '.join(axes)}), not both."
        )
    else:
        cells = _distinct([as_cell(_check_spec(spec)) for spec in specs])
    for cell in cells:
        get_target(cell.target)
    if not cells:
        raise SpecError("the sweep has no cells; give at least one spec.")
    return cells


def _check_spec(spec: Any) -> FitSpec:
    if not isinstance(spec, FitSpec):
        raise SpecError(f"specs must hold FitSpec objects, got {spec!r}.")
    return spec


def _check_positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{name} must be a whole number of at least 1, got {value!r}.")
    return value


def _axis_values(name: str, value: Any) -> list:
    # One x_range is a pair of numbers; a list of pairs is several.
    single = isinstance(value, str | int | float | type(None))
    if name == "x_range" and isinstance(value, tuple | list):
        single = len(value) == 2 and all(isinstance(v, int | float) for v in value)
    values = [value] if single else list(value)
    if not values:
        raise SpecError(f"axis {name} has no values; give at least one.")
    return values


def _distinct(cells: list[FitSpec]) -> list[FitSpec]:
    """The cells without repeats; one cell with two seed ranges is refused."""
    seen: dict[str, FitSpec] = {}
    for cell in cells:
        first = seen.setdefault(cell_key(cell), cell)
        if (first.seed, first.seeds) != (cell.seed, cell.seeds):
            raise SpecError(
                f"the sweep holds the same cell twice with different seeds "
                f"({first.seed}+{first.seeds} and {cell.seed}+{cell.seeds}); "
                "give each cell once, with all its seeds."
            )
    return list(seen.values())


def _pieces(seeds: list[int], chunk: int) -> Iterator[tuple[int, int]]:
    """Contiguous runs of seeds, cut into nearly equal (first, count) pieces."""
    for _, run in itertools.groupby(enumerate(seeds), lambda item: item[1] - item[0]):
        run_seeds = [seed for _, seed in run]
        parts = math.ceil(len(run_seeds) / chunk)
        for part in np.array_split(np.asarray(run_seeds), parts):
            yield int(part[0]), len(part)


def _finished(folder: Path | None, cells: Sequence[FitSpec]) -> dict[str, set[int]]:
    """Per cell key, the seeds of the batch files already in the folder."""
    if folder is None:
        return {}
    keys = {cell_key(cell) for cell in cells}
    done: dict[str, set[int]] = {}
    for path in _batch_files(folder):
        key, first, count = _parse_name(path.name)
        if key in keys:
            done.setdefault(key, set()).update(range(first, first + count))
    return done


def _parse_name(name: str) -> tuple[str, int, int]:
    key, first, count = name.removesuffix(".parquet").split("-")
    return key, int(first), int(count)


def _keep(frame: pd.DataFrame, batch: Batch, folder: Path | None, frames) -> None:
    """Write a finished batch at once (atomically), or keep it in memory."""
    if folder is None:
        frames.append(frame)
        return
    batches = folder / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    partial = batches / f".{batch.file_name}.partial"
    frame.to_parquet(partial, index=False)
    os.replace(partial, batches / batch.file_name)


def _assemble(cells, folder: Path | None, frames, criterion: Criterion) -> pd.DataFrame:
    """The grid's rows from memory or the folder, in grid order, judged."""
    if folder is not None:
        frames = [pd.read_parquet(path) for path in _batch_files(folder)]
    table = pd.concat(frames, ignore_index=True)

    # Only this grid's cells and seeds: the folder may hold more.
    first = {cell_key(cell): cell.seed for cell in cells}
    last = {cell_key(cell): cell.seed + cell.seeds for cell in cells}
    order = {cell_key(cell): position for position, cell in enumerate(cells)}
    seed, cell = table["seed"], table["cell"]
    wanted = cell.isin(order) & seed.ge(cell.map(first)) & seed.lt(cell.map(last))
    table = table[wanted].assign(_order=cell[wanted].map(order))

    table = table.drop_duplicates(["cell", "seed"]).sort_values(["_order", "seed"])
    table = table.drop(columns="_order").reset_index(drop=True)
    table["success"] = criterion.apply(table)
    table["criterion"] = criterion.name
    return table


def _batch_files(folder: Path) -> list[Path]:
    return sorted((folder / "batches").glob("*.parquet"))


def _execute(
    batches: list[Batch], workers: int | None, scheduler: Any, device: str
) -> Iterator[tuple[Batch, dict[str, np.ndarray]]]:
    """Train the batches where asked; yield each as it finishes."""
    workers = _check_positive(workers or len(os.sched_getaffinity(0)), "workers")
    if device == "gpu" and scheduler is not None:
        raise NnfitError(
            "device 'gpu' trains in this process and cannot be combined with a "
            "Dask scheduler; drop one of the two."
        )
    if not batches:
        return iter(())
    local = sorted({b.spec.activation for b in batches} - SPAWNED_ACTIVATIONS)
    if scheduler is not None and local:
        raise NnfitError(
            f"activation {local[0]!r} was registered in this process only, so "
            "Dask workers do not know it; sweep it without a scheduler."
        )
    if scheduler is not None:
        return _on_dask(batches, scheduler)
    if device == "gpu" or workers == 1 or len(batches) == 1 or local:
        return _in_process(batches, device)
    return _on_pool(batches, min(workers, len(batches)))


def _in_process(batches: list[Batch], device: str) -> Iterator:
    import jax

    place = jax.default_device(_gpu()) if device == "gpu" else nullcontext()
    with place:
        for batch in batches:
            yield batch, train_batch(batch.spec)


def _gpu():
    import jax

    try:
        devices = jax.devices("gpu")
    except RuntimeError:
        devices = []
    if not devices:
        found = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise NnfitError(
            f"device 'gpu' was asked for but JAX finds no GPU (only {found}); "
            "install JAX with CUDA support on a machine with an NVIDIA GPU, or use cpu."
        )
    return devices[0]


def _on_pool(batches: list[Batch], workers: int) -> Iterator:
    pool = _pool(workers)
    with _main_hidden():
        futures = {pool.submit(train_batch, b.spec): b for b in batches}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BrokenProcessPool:
        # A worker died (killed, out of memory): the next sweep starts anew.
        close_workers()
        raise
    finally:
        # Batches not started never start; running ones finish in the pool.
        for future in futures:
            future.cancel()


def _pool(workers: int) -> ProcessPoolExecutor:
    """The pool of `workers` processes, started once and kept for later
    sweeps, so that a second sweep skips starting Python and JAX."""
    if workers not in _POOLS:
        context = get_context("spawn")
        started = context.Value("i", 0)
        cores = sorted(os.sched_getaffinity(0))
        _POOLS[workers] = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(started, cores),
        )
    return _POOLS[workers]


def close_workers() -> None:
    """Stop the worker processes kept between sweeps (also done at exit)."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


_POOLS: dict[int, ProcessPoolExecutor] = {}
atexit.register(close_workers)


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Spawn workers that import nnfit only, not the caller's script.

    A spawned child re-runs the parent's main module unless it cannot find
    it; a script without an `if __name__ == "__main__"` guard would then
    start the sweep again in every worker. The workers need nothing from it
    (they receive specs and nnfit's own function), so the pool starts them
    while __main__ names no file and no module.
    """
    main = sys.modules["__main__"]
    spec, path = getattr(main, "__spec__", None), getattr(main, "__file__", None)
    main.__spec__ = None
    if path is not None:
        del main.__file__
    try:
        yield
    finally:
        main.__spec__ = spec
        if path is not None:
            main.__file__ = path


def _on_dask(batches: list[Batch], scheduler: Any) -> Iterator:
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else _connect(scheduler)
    futures = client.map(train_batch, [batch.spec for batch in batches], pure=False)
    owner = {future.key: batch for future, batch in zip(futures, batches, strict=True)}
    try:
        for future, columns in dask_completed(futures, with_results=True):
            yield owner[future.key], columns
    finally:
        client.cancel(futures)
        if client is not scheduler:
            client.close()


def _connect(address: str):
    from distributed import Client

    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise NnfitError(
            f"cannot reach the Dask scheduler at {address!r} ({error}); start one "
            "(dask scheduler) and pass its address, or drop --scheduler."
        ) from None
