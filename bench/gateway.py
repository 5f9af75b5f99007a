"""Gateway latency: web message -> reply through the page's own transport (WebSocket) at 1
and 20 concurrent users, next to Rasa's plain REST channel in the same run, and SMS
webhook -> outbound provider API call (46elks-style post, simulated provider on loopback).

    .venv/bin/python bench/gateway.py [--turns 10]

Starts the real system (trained model, action server, gateway; no escalation service, so
the numbers are the gateway's own cost) on loopback ports and stops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import UNTHROTTLED  # noqa: E402
from tests.gateway.e2e_support import running_system  # noqa: E402
from tests.gateway.helpers import ELKS_SECRET, elks_post  # noqa: E402

MESSAGES = ["hej", "vad är sluta skjut?", "hur hoppar man av", "är jag anonym?",
            "vilken hjälp finns", "tack"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def web_user(http: aiohttp.ClientSession, base: str, turns: int) -> list[float]:
    times: list[float] = []
    async with http.ws_connect(base.replace("http", "ws") + "/ws") as ws:
        await ws.send_json({"type": "hello", "token": secrets.token_urlsafe(32), "fresh": True})
        await ws.receive_json()
        for i in range(turns):
            started = time.perf_counter()
            await ws.send_json({"type": "message", "text": MESSAGES[i % len(MESSAGES)]})
            first = None
            while True:  # first bot message = the reply the user sees
                msg = await ws.receive_json(timeout=60)
                if msg["type"] == "bot" and first is None:
                    first = time.perf_counter() - started
                    times.append(first)
                if msg["type"] == "typing" and not msg["on"]:
                    break
    return times


async def rest_user(http: aiohttp.ClientSession, rasa: str, turns: int) -> list[float]:
    times: list[float] = []
    sender = "bench-" + secrets.token_hex(8)
    for i in range(turns):
        started = time.perf_counter()
        async with http.post(f"{rasa}/webhooks/rest/webhook",
                             json={"sender": sender,
                                   "message": MESSAGES[i % len(MESSAGES)]}) as resp:
            await resp.read()
        times.append(time.perf_counter() - started)
    return times


async def run_level(users: int, turns: int, base: str, rasa: str) -> dict[str, list[float]]:
    async with aiohttp.ClientSession() as http:
        web = await asyncio.gather(*(web_user(http, base, turns) for _ in range(users)))
        rest = await asyncio.gather(*(rest_user(http, rasa, turns) for _ in range(users)))
    return {"web": [t for ts in web for t in ts], "rest": [t for ts in rest for t in ts]}


async def sms_latency(system: dict, count: int) -> list[float]:
    provider = system["provider"]
    out: list[float] = []
    async with aiohttp.ClientSession() as http:
        for i in range(count):
            number = f"+4670{9000000 + i}"
            data, headers = elks_post(number, MESSAGES[i % len(MESSAGES)])
            started = time.perf_counter()
            async with http.post(f"{system['gateway']}/sms/46elks/{ELKS_SECRET}", data=data,
                                 headers=headers) as resp:
                assert resp.status == 200
            while not provider.to(number):
                await asyncio.sleep(0.002)
            out.append(provider.to(number)[0]["at"] - started)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10, help="messages per user")
    parser.add_argument("--sms", type=int, default=40, help="SMS webhooks to time")
    args = parser.parse_args(argv)
    from bot.ops.training import train

    model = train(quiet=True)
    env = {"GATEWAY_RATE_CONVERSATION": "1000/60", "GATEWAY_RATE_ADDRESS": "100000/60",
           **UNTHROTTLED}
    with tempfile.TemporaryDirectory() as tmp, running_system(
            model, Path(tmp), gateway_env=env, escalation=False) as system:
        base, rasa = system["gateway"], system["rasa"]
        asyncio.run(run_level(2, 3, base, rasa))  # warm up
        print(f"{'path':<34} {'users':>5} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
        for users in (1, 20):
            res = asyncio.run(run_level(users, args.turns, base, rasa))
            for name, label in (("rest", "REST channel (Rasa alone)"),
                                ("web", "web chat (WebSocket, gateway)")):
                values = res[name]
                print(f"{label:<34} {users:>5} {len(values):>5} {pct(values, 50):>8.1f} "
                      f"{pct(values, 95):>8.1f}")
        sms = asyncio.run(sms_latency(system, args.sms))
        print(f"{'SMS webhook -> provider API call':<34} {1:>5} {len(sms):>5} "
              f"{pct(sms, 50):>8.1f} {pct(sms, 95):>8.1f}")
        print(f"(each user sends its messages one after another; SMS median "
              f"{statistics.median(sms) * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
