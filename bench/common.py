"""Helpers shared by the benchmark scripts: start a Rasa server, measure latencies."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bot.runtimes import rasa_executable
from bot.settings import process_env

ROOT = Path(__file__).resolve().parent.parent
RASA = rasa_executable()
# The benchmarks drive up to 50 simulated users from 127.0.0.1, each sending again as soon as
# it is answered: Rasa's channel flood limits (bot/rasa_plugins/channels/rest.py, set for
# people) would
# throttle them, so every Rasa a benchmark starts gets these instead.
UNTHROTTLED = {"REST_RATE_PER_CONVERSATION": "1000000/60",
               "REST_RATE_PER_ADDRESS": "1000000/60"}


def write_results(name: str, results: object) -> Path:
    """Write results/<name>.json, the figures a benchmark prints, and say where."""
    out = ROOT / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def start_rasa(model: Path, workdir: Path, extra_endpoints: str = "") -> tuple[subprocess.Popen,
                                                                              str, float]:
    """Start `rasa run` with a SQLite tracker store; return (process, url, seconds to answer)."""
    workdir.mkdir(parents=True, exist_ok=True)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'tracker_store:\n  type: bot.rasa_plugins.tracker_store.SQLTrackerStore\n'
        f'  dialect: "sqlite"\n  db: "{workdir}/tracker.db"\n'
        "lock_store:\n  type: in_memory\n" + extra_endpoints,
        encoding="utf-8",
    )
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [RASA, "run", "--model", str(model), "--endpoints", str(endpoints), "--credentials",
         str(ROOT / "credentials.yml"), "-i", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, stdout=(workdir / "rasa.log").open("wb"), stderr=subprocess.STDOUT,
        env=process_env(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="2",
                        **UNTHROTTLED),
    )
    url = f"http://127.0.0.1:{port}"
    ready = asyncio.run(_wait_answer(url, proc))
    return proc, url, ready - started


async def _wait_answer(url: str, proc: subprocess.Popen) -> float:
    async with aiohttp.ClientSession() as session:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("rasa exited during start")
            try:
                async with session.post(f"{url}/webhooks/rest/webhook",
                                        json={"sender": "warmup", "message": "hej"}) as resp:
                    if resp.status == 200 and await resp.json():
                        return time.monotonic()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def load(url: str, messages: list[str], users: int, per_user: int,
               path: str = "/webhooks/rest/webhook") -> dict[str, Any]:
    """`users` concurrent conversations, each sending `per_user` messages in turn."""
    latencies: list[float] = []
    errors = 0

    async def one_user(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal errors
        sender = f"bench-{uuid.uuid4().hex}"
        for i in range(per_user):
            text = messages[(index * per_user + i) % len(messages)]
            t0 = time.perf_counter()
            try:
                async with session.post(f"{url}{path}",
                                        json={"sender": sender, "message": text}) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)

    connector = aiohttp.TCPConnector(limit=users)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one_user(session, i) for i in range(users)))
    elapsed = time.perf_counter() - started
    return {
        "users": users,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
    }
