"""Benchmark: nnfit's engine and animation against plain baselines.

Prints, in one run:
- seconds for one warm 1000-step fit with recording (nnfit.fit, seed 0);
- fits per second for a batch of 1000 nets (H=10, N=50, 1000 steps);
- wall seconds for a cold `nnfit fit` (a new process; compile cache on disk);
- milliseconds per frame to write a 1000-frame GIF;
- the same for a plain per-net PyTorch loop (nn.Sequential + Adam, one net at
  a time) and a re-plotting matplotlib animation, and the ratios.

Run: python benchmarks/bench_core.py [--skip-torch]. Torch is the optional
`bench` extra (pip install torch==2.13.0, the CPU build).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nnfit
from nnfit.views import animation


def best_of(repeats: int, work) -> float:
    """The fastest of several timed calls, in seconds (least disturbed)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def nnfit_one_fit(record_every: int = 1) -> float:
    """One 1000-step fit recording loss, parameters and curve every k steps."""
    nnfit.fit(seed=0, record_every=record_every)
    return best_of(20, lambda: nnfit.fit(seed=0, record_every=record_every))


def nnfit_batch(nets: int = 1000) -> float:
    # A batch records the loss at every step and the final parameters, as a
    # sweep does; curves and per-step parameters of 1000 nets are not kept.
    spec = nnfit.FitSpec(seeds=nets, record_curves=False, record_every=1000)
    nnfit.fit(spec)
    return nets / best_of(3, lambda: nnfit.fit(spec))


def cold_cli(folder: Path) -> float:
    command = [sys.executable, "-m", "nnfit", "fit", "--out", str(folder)]
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def nnfit_gif(folder: Path) -> tuple[float, int]:
    run = nnfit.fit(steps=1000, record_every=1)
    frames = run.history.steps.size
    seconds = best_of(1, lambda: animation.write_gif(run, folder / "bench.gif"))
    return seconds / frames, frames


def torch_one_fit(steps: int = 1000) -> float:
    import torch

    torch.set_num_threads(1)
    run = nnfit.fit(steps=1)
    x = torch.tensor(run.samples.x[0], dtype=torch.float32)[:, None]
    y = torch.tensor(run.samples.y[0], dtype=torch.float32)[:, None]
    x = (x - x.mean()) / x.std()

    def one() -> None:
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Linear(1, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 1)
        )
        optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(steps):
            optimiser.zero_grad()
            loss = torch.mean((net(x) - y) ** 2)
            loss.backward()
            optimiser.step()
            # Recording, as nnfit does: the loss every step.
            loss.item()

    return best_of(3, one)


def replot_gif(folder: Path, frames: int = 100) -> float:
    """A naive animation: clear and re-plot the whole figure for every frame."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    run = nnfit.fit(steps=frames, record_every=1)
    curves = run.recorded_curves()
    grid, truth = run.samples.grid, run.samples.truth
    figure = Figure(figsize=(6.4, 3.6), dpi=100)
    canvas = FigureCanvasAgg(figure)
    images = []

    start = time.perf_counter()
    for curve in curves:
        figure.clear()
        ax = figure.add_subplot()
        ax.plot(grid, truth, color="tab:blue")
        ax.scatter(run.samples.x[0], run.samples.y[0], color="#8fd18f", s=12)
        ax.plot(grid, curve, color="#222222")
        canvas.draw()
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]))
    images[0].save(io.BytesIO(), format="GIF", save_all=True, append_images=images[1:])
    return (time.perf_counter() - start) / len(curves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nnfit-bench-"))

    one = nnfit_one_fit()
    one_fifth = nnfit_one_fit(record_every=5)
    batch = nnfit_batch()
    cold = cold_cli(folder / "cold")
    gif, frames = nnfit_gif(folder)
    replot = replot_gif(folder)
    print(f"nnfit one 1000-step fit, recorded (warm): {one * 1e3:8.2f} ms")
    print(f"  same, curve every 5th step (200 frames): {one_fifth * 1e3:8.2f} ms")
    print(f"nnfit batch of 1000 nets:                 {batch:8.0f} fits/s")
    print(f"nnfit cold `nnfit fit` (new process):     {cold:8.2f} s")
    print(f"nnfit GIF, {frames} frames:                  {gif * 1e3:8.2f} ms/frame")
    print(f"re-plotting matplotlib GIF:               {replot * 1e3:8.2f} ms/frame")
    print(f"  GIF speed-up over re-plotting:          {replot / gif:8.1f}x")

    if args.skip_torch:
        return
    plain = torch_one_fit()
    print(f"plain PyTorch loop, one 1000-step fit:    {plain * 1e3:8.2f} ms")
    print(f"plain PyTorch loop:                       {1 / plain:8.2f} fits/s")
    print(f"  one fit speed-up over the plain loop:   {plain / one:8.1f}x")
    print(f"  ... curve every 5th step:               {plain / one_fifth:8.1f}x")
    print(f"  batch speed-up over the plain loop:     {batch * plain:8.1f}x")


if __name__ == "__main__":
    main()
