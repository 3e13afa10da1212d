"""Benchmark: sweep throughput for 10,000 nets beside the plain PyTorch loop.

For nets with H=10 hidden nodes, N=50 samples and 1000 Adam steps it prints:
- one batch of k nets in this process (warm), for each chunk size k: the
  engine's throughput on one core;
- a whole sweep of 10,000 nets (nnfit.sweep.sweep, in memory) for each
  worker count, at the default chunk (CHUNK) and at twice it: wall seconds
  and nets x steps per second, first with new worker processes (their
  start-up included, as one `nnfit sweep` pays it), then again with the
  workers a sweep keeps for the next one; each the best of two tries;
- the plain loop, one net at a time (torch_one_fit of bench_core.py);
- the ratios: the best sweep over the plain loop (target: 400x or more), and
  its time over the 1.9 s in which a hand-fused C kernel (forward, backward
  and Adam, two threads) trains the same 10,000 nets on this machine, the
  practical limit (target: within 3x).

Run: python benchmarks/bench_sweep.py [--nets 10000] [--skip-torch].
Torch is the optional `bench` extra (pip install torch==2.13.0, CPU build).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nnfit.spec import FitSpec
from nnfit.sweep import CHUNK, as_cell, close_workers, sweep, train_batch

# The shared timing helpers live beside this file, in bench_core.py.
sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_of, torch_one_fit  # noqa: E402

STEPS = 1000
# The hand-fused C kernel's time for 10,000 nets, quoted in the issue.
C_KERNEL_SECONDS_PER_10000 = 1.9


def batch_rate(chunk: int) -> float:
    """Nets per second for one warm batch of `chunk` nets in this process."""
    spec = as_cell(FitSpec(seeds=chunk, steps=STEPS))
    train_batch(spec)
    return chunk / best_of(2, lambda: train_batch(spec))


def sweep_seconds(nets: int, chunk: int, workers: int) -> tuple[float, float]:
    """Wall seconds of a whole sweep, the best of two tries each: with new
    workers (their start-up included, as `nnfit sweep` pays it), and again
    with the workers kept from the sweep before."""
    new, kept = [], []
    for _ in range(2):
        close_workers()
        for times in (new, kept):
            start = time.perf_counter()
            result = sweep(seeds=nets, steps=STEPS, chunk=chunk, workers=workers)
            times.append(time.perf_counter() - start)
            assert len(result.table) == nets
    close_workers()
    return min(new), min(kept)


def plain_loop_seconds() -> float:
    """Seconds for one 1000-step fit in the plain PyTorch loop."""
    return torch_one_fit(STEPS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", type=int, default=10_000)
    parser.add_argument("--chunks", default="125,250,500,1000,2000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--skip-torch", action="store_true")
    args = parser.parse_args()
    chunks = [int(c) for c in args.chunks.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]

    print(f"one batch in this process (H=10, N=50, {STEPS} steps):")
    rates = {chunk: batch_rate(chunk) for chunk in chunks}
    for chunk, rate in rates.items():
        print(
            f"  chunk {chunk:5d}: {rate:8.0f} nets/s  {rate * STEPS:12.3g} net-steps/s"
        )

    print(f"sweep of {args.nets} nets: new workers (start-up included), kept workers:")
    runs = {}
    for workers in worker_counts:
        for chunk in (CHUNK, 2 * CHUNK):
            cold, warm = sweep_seconds(args.nets, chunk, workers)
            runs[(workers, chunk)] = (cold, warm)
            print(
                f"  {workers} worker(s), chunk {chunk:5d}: {cold:6.2f} s "
                f"({args.nets * STEPS / cold:8.3g} net-steps/s), {warm:6.2f} s "
                f"({args.nets * STEPS / warm:8.3g} net-steps/s)"
            )
    (workers, chunk), (cold, warm) = min(runs.items(), key=lambda item: item[1][0])
    limit = C_KERNEL_SECONDS_PER_10000 * args.nets / 10_000
    print(f"best: {workers} worker(s), chunk {chunk}: {cold:.2f} s, kept: {warm:.2f} s")
    print(
        f"  over the hand-fused C kernel's {limit:.2f} s (practical limit): "
        f"{cold / limit:.1f}x, kept workers {warm / limit:.1f}x (target: 3x or less)"
    )

    if args.skip_torch:
        return
    plain = plain_loop_seconds()
    plain_rate = STEPS / plain
    print(
        f"plain PyTorch loop, one net at a time: {plain * 1e3:.0f} ms per net, "
        f"{plain_rate:.3g} net-steps/s ({plain * args.nets / 60:.0f} min for "
        f"{args.nets} nets)"
    )
    print(
        f"  sweep over the plain loop: {plain * args.nets / cold:.0f}x, kept "
        f"workers {plain * args.nets / warm:.0f}x (target: 400x or more)"
    )


if __name__ == "__main__":
    main()
