"""Escalation benchmark (issue: coach escalation). Prints figures, writes
results/bench_escalation.json.

  .venv/bin/python bench/escalation.py [--cases 50] [--coaches 10]

Runs the real system (tests.support.stack: Rasa with the trained model, action server, escalation
service, callback inbox as the user's device) and measures:
  - case visible: user's "ja" sent -> the case is in a coach's queue (WebSocket
    notification, then GET /api/queue), p50/p95;
  - relay user->coach: user message sent -> it arrives on the coach's case WebSocket
    (0.5 s after the previous coach message reached the user, as a person reads first);
  - relay coach->user: coach sends over the WebSocket -> it arrives on the user's channel;
  - `--cases` conversations escalated at once with `--coaches` coaches logged in,
    each coach claiming and answering its share: errors counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench.common import UNTHROTTLED, percentile, write_results
from bot.ops.training import train
from tests.support.stack import Stack

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


class Coach:
    """A logged-in coach: HTTP session, CSRF token, queue WebSocket."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base, self.username, self.password = base, username, password
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.queue_ws: aiohttp.ClientWebSocketResponse | None = None
        self.queue_events: asyncio.Queue[float] = asyncio.Queue()

    async def login(self) -> None:
        async with self.session.get(f"{self.base}/login") as resp:
            token = CSRF_INPUT.search(await resp.text())
        assert token
        async with self.session.post(f"{self.base}/login", data={
            "username": self.username, "password": self.password,
            "csrf_token": token.group(1), "next": "/queue"}) as resp:
            page = await resp.text()
        meta = CSRF_META.search(page)
        assert meta and meta.group(1), "login failed"
        self.csrf = meta.group(1)
        self.queue_ws = await self.session.ws_connect(
            f"{self.base.replace('http', 'ws')}/ws/queue?csrf={self.csrf}")
        asyncio.get_running_loop().create_task(self._listen_queue())

    async def _listen_queue(self) -> None:
        assert self.queue_ws is not None
        async for msg in self.queue_ws:
            if msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data).get("type") == \
                    "queue_changed":
                self.queue_events.put_nowait(time.monotonic())

    async def queue(self) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/api/queue") as resp:
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with self.session.post(f"{self.base}{path}", json=body or {},
                                     headers={"X-CSRF-Token": self.csrf}) as resp:
            return resp.status, await resp.json()

    async def close(self) -> None:
        if self.queue_ws is not None:
            await self.queue_ws.close()
        await self.session.close()


async def user_says(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> None:
    async with session.post(f"{stack.rasa_url}/webhooks/callback/webhook",
                            json={"sender": sender, "message": text},
                            headers=stack.gateway_headers) as resp:
        resp.raise_for_status()


async def wait_inbox(stack: Stack, sender: str, needle: str) -> float:
    assert stack.inbox is not None
    at, _ = await asyncio.get_running_loop().run_in_executor(
        None, stack.inbox.wait_for, sender, needle, 60)
    return at


async def case_visible(stack: Stack, coach: Coach, user: aiohttp.ClientSession) -> float:
    """Seconds from the user's 'ja' to the case being in the coach's queue."""
    sender = uuid.uuid4().hex
    await user_says(user, stack, sender, "jag vill prata med en människa")
    await wait_inbox(stack, sender, "Coachen ser")
    started = time.monotonic()
    await user_says(user, stack, sender, "ja")
    while True:
        data = await coach.queue()
        if any(c["conversation_id"] == sender for c in data["waiting"]):
            return time.monotonic() - started
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(coach.queue_events.get(), timeout=10)


async def run(cases: int, coaches_n: int) -> dict[str, Any]:
    model = train(quiet=True)
    passwords = {f"coach{i}": f"bench password {i}" for i in range(coaches_n)}
    results: dict[str, Any] = {}
    os.environ.update(UNTHROTTLED)  # the Stack's processes inherit it
    with tempfile.TemporaryDirectory() as tmp, Stack(model, Path(tmp), coaches=passwords) as stack:
        coaches = [Coach(stack.console_url, u, p) for u, p in passwords.items()]
        await asyncio.gather(*(c.login() for c in coaches))
        async with aiohttp.ClientSession() as user:
            # 1. case visible, one at a time (20 samples)
            visible = [await case_visible(stack, coaches[0], user) for _ in range(20)]
            results["case_visible_ms"] = summary(visible)
            print(f"case visible after 'ja':      {results['case_visible_ms']}", flush=True)

            # 2. relay both ways on one claimed case (30 round trips)
            queue = await coaches[0].queue()
            case = queue["waiting"][0]
            status, _ = await coaches[0].post(f"/api/cases/{case['case_id']}/claim")
            assert status == 200
            ws = await coaches[0].session.ws_connect(
                f"{stack.console_url.replace('http', 'ws')}/ws/cases/{case['case_id']}"
                f"?csrf={coaches[0].csrf}")
            to_coach, to_user = [], []
            sender = case["conversation_id"]
            for i in range(30):
                # a person reads before answering; without this pause the message would
                # queue behind the coach message's conversation lock in Rasa (1 s lock poll)
                await asyncio.sleep(0.5)
                token = f"u{i}x{uuid.uuid4().hex[:6]}"
                t0 = time.monotonic()
                await user_says(user, stack, sender, f"meddelande {token}")
                while True:
                    msg = json.loads((await ws.receive(timeout=30)).data)
                    if msg.get("type") == "event" and token in (msg["event"].get("text") or ""):
                        to_coach.append(time.monotonic() - t0)
                        break
                token = f"c{i}x{uuid.uuid4().hex[:6]}"
                t0 = time.monotonic()
                await ws.send_json({"type": "message", "text": f"svar {token}"})
                to_user.append(await wait_inbox(stack, sender, token) - t0)
            await ws.close()
            results["relay_user_to_coach_ms"] = summary(to_coach)
            results["relay_coach_to_user_ms"] = summary(to_user)
            print(f"relay user -> coach:          {results['relay_user_to_coach_ms']}")
            print(f"relay coach -> user:          {results['relay_coach_to_user_ms']}", flush=True)

            # 3. many cases at once, all coaches working
            errors = 0
            senders = [uuid.uuid4().hex for _ in range(cases)]

            async def escalate(sender: str) -> None:
                nonlocal errors
                try:
                    await user_says(user, stack, sender, "jag vill prata med en människa")
                    await wait_inbox(stack, sender, "Coachen ser")
                    await user_says(user, stack, sender, "ja")
                    await wait_inbox(stack, sender, "En coach kommer strax")
                except Exception:
                    errors += 1

            started = time.monotonic()
            await asyncio.gather(*(escalate(s) for s in senders))
            waiting = [c for c in (await coaches[0].queue())["waiting"]
                       if c["conversation_id"] in set(senders)]
            missing = cases - len(waiting)

            async def work(coach: Coach, share: list[dict[str, Any]]) -> None:
                nonlocal errors
                for case in share:
                    status, _ = await coach.post(f"/api/cases/{case['case_id']}/claim")
                    status2, _ = await coach.post(f"/api/cases/{case['case_id']}/messages",
                                                  {"text": "Hej, jag är här."})
                    errors += (status != 200) + (status2 != 201)

            await asyncio.gather(*(work(c, waiting[i::coaches_n]) for i, c in enumerate(coaches)))
            delivered = 0
            for s in senders:
                try:
                    await asyncio.wait_for(wait_inbox(stack, s, "Hej, jag är här."), timeout=60)
                    delivered += 1
                except Exception:
                    errors += 1
            results["load"] = {"cases": cases, "coaches": coaches_n, "errors": errors,
                               "cases_missing_from_queue": missing,
                               "coach_messages_delivered": delivered,
                               "seconds": round(time.monotonic() - started, 1)}
            print(f"{cases} cases, {coaches_n} coaches:    {results['load']}")
        for c in coaches:
            await c.close()
    return results


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": round(statistics.median(ms), 1),
            "p95": round(percentile(ms, 95), 1), "max": round(max(ms), 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--coaches", type=int, default=10)
    args = parser.parse_args()
    results = asyncio.run(run(args.cases, args.coaches))
    write_results("bench_escalation", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
