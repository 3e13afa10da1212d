"""Load test: many playground pages training at once over loopback.

Starts `nnfit.web` in its own process on 127.0.0.1 (or uses --url), opens
--sessions websockets, gives each the default settings with its own seed,
presses play and reads frames for --seconds. Prints, per round:
- frames per second per session (min, median, max) and in all;
- p50 and p95 frame latency: from the server stamping a frame to this
  client reading it (one machine, one clock);
- p95 ping round trip while streaming;
- the server's resident memory before, at its peak, and after the round
  once every page has closed, and how many sessions it still holds.

Run: python benchmarks/web_load.py [--sessions 20] [--seconds 30] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

import numpy as np
from websockets.asyncio.client import connect

SERVER = """
import sys, uvicorn
from nnfit.web.app import create_app
from nnfit.web.protocol import Limits
from nnfit.web.app import UVICORN_OPTIONS
uvicorn.run(create_app(Limits(max_sessions=int(sys.argv[2]))), host="127.0.0.1",
            port=int(sys.argv[1]), log_level="warning", **UVICORN_OPTIONS)
"""


@dataclass
class Tally:
    """What one page saw."""

    frames: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_sessions(url: str) -> int:
    with urllib.request.urlopen(url + "api/info", timeout=10) as reply:
        return json.load(reply)["sessions"]


async def one_page(url: str, seed: int, seconds: float, ready: asyncio.Barrier):
    """Configure, play for `seconds`, pause and close; tally the frames."""
    tally = Tally()
    address = url.replace("http://", "ws://") + "ws"
    async with connect(address, max_size=None) as websocket:
        await websocket.recv()
        settings = {"seed": seed}
        await websocket.send(json.dumps({"type": "configure", "settings": settings}))
        while json.loads(await websocket.recv())["type"] != "frame":
            pass
        # Every page starts playing at once, after all have built their nets.
        await ready.wait()
        await websocket.send(json.dumps({"type": "play"}))

        began = time.perf_counter()
        next_ping = began + 1.0
        pinged = {}
        while time.perf_counter() - began < seconds:
            if time.perf_counter() >= next_ping:
                ident = len(pinged)
                pinged[ident] = time.perf_counter()
                await websocket.send(json.dumps({"type": "ping", "id": ident}))
                next_ping += 1.0
            message = json.loads(await websocket.recv())
            kind = message["type"]
            if kind == "frame":
                tally.frames += 1
                tally.latencies.append(time.time() * 1000 - message["time"])
            elif kind == "pong":
                tally.pings.append((time.perf_counter() - pinged[message["id"]]) * 1e3)
            elif kind == "error":
                tally.errors.append(message["message"])
        tally.seconds = time.perf_counter() - began
        await websocket.send(json.dumps({"type": "pause"}))
    return tally


async def memory_watch(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mib(pid))
        await asyncio.sleep(0.5)


async def one_round(url: str, pid: int | None, sessions: int, seconds: float):
    ready, stop = asyncio.Barrier(sessions), asyncio.Event()
    peak = [rss_mib(pid) if pid else float("nan")]
    watcher = asyncio.create_task(memory_watch(pid, peak, stop)) if pid else None
    pages = [one_page(url, seed, seconds, ready) for seed in range(sessions)]
    tallies = await asyncio.gather(*pages)
    stop.set()
    if watcher:
        await watcher
    return tallies, peak[0]


def report(tallies: list[Tally], peak: float, before: float, after: float, left: int):
    rates = [t.frames / t.seconds for t in tallies]
    latencies = np.concatenate([t.latencies for t in tallies])
    pings = np.concatenate([t.pings for t in tallies]) if tallies[0].pings else []
    errors = sum(len(t.errors) for t in tallies)
    print(
        f"  frames/s per session: min {min(rates):.1f}, median "
        f"{statistics.median(rates):.1f}, max {max(rates):.1f}; "
        f"all sessions {sum(rates):.0f}"
    )
    print(
        f"  frame latency: p50 {np.percentile(latencies, 50):.1f} ms, "
        f"p95 {np.percentile(latencies, 95):.1f} ms, max {latencies.max():.1f} ms"
    )
    if len(pings):
        print(
            f"  ping round trip while streaming: p95 {np.percentile(pings, 95):.1f} ms"
        )
    print(
        f"  server RSS: before {before:.0f} MiB, peak {peak:.0f} MiB, after "
        f"{after:.0f} MiB; sessions left open: {left}; error replies: {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000/")
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        port = free_port()
        limit = str(max(args.sessions, 32))
        command = [sys.executable, "-c", SERVER, str(port), limit]
        process = subprocess.Popen(command)
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
    pid = process.pid if process else None

    try:
        for round_ in range(1, args.rounds + 1):
            before = rss_mib(pid) if pid else float("nan")
            print(f"round {round_}: {args.sessions} sessions x {args.seconds:g} s")
            cpu = (cpu_seconds(pid) if pid else 0.0, own_cpu_seconds())
            began = time.perf_counter()
            tallies, peak = asyncio.run(
                one_round(url, pid, args.sessions, args.seconds)
            )
            wall = time.perf_counter() - began
            time.sleep(2.0)
            after = rss_mib(pid) if pid else float("nan")
            report(tallies, peak, before, after, open_sessions(url))
            server = (cpu_seconds(pid) - cpu[0]) / wall if pid else float("nan")
            client = (own_cpu_seconds() - cpu[1]) / wall
            print(
                f"  CPU cores busy: server {server:.2f}, this client {client:.2f} "
                f"(of {os.cpu_count()}; load average {os.getloadavg()[0]:.1f})"
            )
    finally:
        if process:
            process.terminate()
            process.wait(timeout=10)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_for(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            open_sessions(url)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not answer within {seconds:g} s")


if __name__ == "__main__":
    main()
