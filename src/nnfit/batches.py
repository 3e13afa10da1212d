"""One batch of a sweep: what a worker process runs, and all it imports.

A worker, spawned locally or on a Dask cluster, unpickles `train_batch`
and so imports this module: the core and JAX, not pandas and not the sweep's
planning, which the parent alone does. Every module a worker does not need
would add to its start-up, which a sweep of a few seconds pays in full.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import numpy as np

from nnfit import analysis
from nnfit.run import fit
from nnfit.spec import FitSpec

# Nodes of a periodic net whose frequency is within this fraction of the
# largest wave's are read as one wave (their phasors add).
SAME_FREQUENCY = 0.02
# Activations read as waves, and the parity analysis.waves reads them with:
# cos is even; sin and the saw ramp are odd.
WAVE_ACTIVATIONS = {"cos": "cos", "sin": "sin", "saw": "sin"}


def train_batch(spec: FitSpec) -> dict[str, np.ndarray]:
    """Train one batch and read every net: the work a sweep worker does.

    Args:
        spec: a cell's spec with this batch's seed and seeds.

    Returns:
        Columns of shape (B,): seed, the metrics, diverged_at,
        target_variance, frequency, phase, amplitude (NaN unless a wave).
    """
    run = fit(spec)
    nets = run.nets
    columns = {"seed": spec.seed + np.arange(nets), **run.metrics}
    columns["diverged_at"] = np.asarray(run.diverged_at)
    truth = run.samples.truth
    variance = np.nan if truth is None else np.var(truth[run.samples.inside])
    columns["target_variance"] = np.full(nets, variance)
    columns.update(main_waves(run.user_params, spec.activation))
    return columns


def main_waves(user_params: dict[str, np.ndarray], activation: str) -> dict:
    """Each net's main wave: frequency, phase and amplitude, arrays (B,).

    The frequency is that of the node with the largest amplitude; nodes
    within SAME_FREQUENCY of it are one wave, so their phasors add:
    A exp(i phase) = sum_k a_k exp(i phase_k). sin(x) read by cos nodes is
    cos(x - pi / 2): frequency 1, phase -pi / 2, amplitude 1. Activations
    other than WAVE_ACTIVATIONS (cos, sin, saw) give NaN.
    """
    nets = np.asarray(user_params["w"]).shape[0]
    found = np.full((3, nets), np.nan)
    if activation not in WAVE_ACTIVATIONS:
        return dict(zip(("frequency", "phase", "amplitude"), found, strict=True))
    parity = WAVE_ACTIVATIONS[activation]
    for net in range(nets):
        waves = analysis.waves(user_params, net, parity)
        main = waves[0].frequency
        near = [w for w in waves if abs(w.frequency - main) <= SAME_FREQUENCY * main]
        phasor = sum(w.amplitude * np.exp(1j * w.phase) for w in near or waves[:1])
        found[:, net] = main, np.angle(phasor), abs(phasor)
    return dict(zip(("frequency", "phase", "amplitude"), found, strict=True))


def start_worker(started: Any, cores: list[int]) -> None:
    """Set up a new worker: deaf to Ctrl-C, on a core of its own.

    Ctrl-C goes to the whole process group: the parent alone handles it,
    saving every finished batch; a worker stops when the pool shuts down.
    Unpinned, one JAX process spreads over every core for about 10% more
    speed, so two workers on two cores would fight; pinned, each has one.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with started.get_lock():
        index = started.value
        started.value += 1
    os.sched_setaffinity(0, {cores[index % len(cores)]})
