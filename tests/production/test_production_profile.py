"""The production profile on real engines (issues 6 and 15): 50 concurrent conversations.

bot.ops.production starts what `python -m bot run-prod` starts, on free loopback ports: nginx in
front of 2 Rasa servers (SQL tracker store on the local PostgreSQL, Redis lock store), of 2
escalation-service instances (one PostgreSQL database, live fan-out through Redis) and of 2
web chat/SMS gateway instances (vault in PostgreSQL, fan-out, coach flags and SMS batching in
Redis), plus the action server; APP_ENV=production with generated secrets. Users come the
way young people do: the web chat's WebSocket through nginx (each socket on whichever gateway
instance nginx picks), and every tenth through the simulated Twilio API (signed webhooks
through nginx, answers sent to the fake provider). Rasa's callbacks reach either gateway
instance, so a bot or coach message often lands on the instance that does not hold the
user's socket and must cross Redis.

Every 5th conversation asks for a coach. Two coaches log in through nginx; each escalated
case is watched by three console sockets of its coach: one connected straight to escalation
instance 1, one to instance 2, one through nginx. User and coach then write to each other
at the same time, and the coach hands back.

Checked, per conversation: the bot and coach messages the user received are exactly the bot
events of the Rasa tracker (PostgreSQL), once each and in order; the coach's messages reached
the user once each, in order; each socket got every user and coach message of its case once,
the same order on every socket, and the user's and the coach's messages each in the order sent.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.ops.production import DEFAULT_SERVER_URL, Ports, ProductionProfile
from tests.production.support import (
    Coach,
    Devices,
    create_coaches,
    gateway_headers,
    login,
    production_secrets,
    profile_env,
    start_providers,
)
from tests.support.stack import free_port

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CONVERSATIONS = 50
ESCALATE_EVERY = 5  # 10 of the 50 talk to a coach (on the web chat)
SMS_EVERY = 10  # 5 of the plain users text by SMS
RAMP_UP_SECONDS = 5  # people arrive over a few seconds, not all in the same millisecond
ROUNDS = 4  # user and coach messages each, while the coach has the conversation
COACHES = {"prod-anna": "prod anna correct horse", "prod-bo": "prod bo correct horse"}
PLAIN_SCRIPT = ["hej", "vad är sluta skjut?", "hur gör ja för att hoppa av", "tack"]
SERVER_URL = os.environ.get("PROD_TEST_DATABASE_SERVER_URL", DEFAULT_SERVER_URL)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Running:
    profile: ProductionProfile
    inbox: Devices
    secrets: dict[str, str]
    start_seconds: float


@pytest.fixture(scope="module")
def running(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("production")
    tag = uuid.uuid4().hex[:8]
    providers, stop_providers = start_providers()
    keys = production_secrets()
    # 50 users on 2 cores saturate Rasa for a while: a coach message may wait its turn
    env = profile_env(keys, ESCALATION_RASA_TIMEOUT_SECONDS="30", **providers.env)
    ports = Ports(free_port(), free_port(), free_port(), (free_port(), free_port()),
                  (free_port(), free_port()), free_port(), (free_port(), free_port()))
    profile = ProductionProfile(
        trained_model, workdir=workdir, ports=ports, server_url=SERVER_URL,
        database=f"prodtest_{tag}", redis_url=REDIS_URL, redis_prefix=f"prodtest-{tag}",
        env=env)  # the project's channels: Rasa's callback goes to the gateways via nginx
    started = time.monotonic()
    try:
        profile.start()
        create_coaches(profile, COACHES)
        yield Running(profile, Devices(profile, keys, providers), keys,
                      time.monotonic() - started)
    finally:
        profile.stop()
        stop_providers()
        profile.discard_data()


# ---- the people ---------------------------------------------------------------------------------


@dataclass
class Watch:
    """One console socket and everything it received."""

    where: str
    ws: aiohttp.ClientWebSocketResponse
    got: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def items(self, kinds: tuple[str, ...] = ("user", "coach")) -> list[tuple[int, str, str]]:
        return [(m["event"]["id"], m["event"]["kind"], m["event"]["text"]) for m in self.got
                if m.get("type") == "event" and m["event"].get("kind") in kinds]


@dataclass
class Outcome:
    sender: str
    user_sent: list[str]
    coach_sent: list[str] = field(default_factory=list)
    case_id: str | None = None
    watches: list[Watch] = field(default_factory=list)
    coach: str = ""


class Driver:
    def __init__(self, run: Running, http: aiohttp.ClientSession) -> None:
        self.run, self.http = run, http
        self.profile = run.profile
        self.internal = {"Authorization": f"Bearer {run.secrets['ESCALATION_INTERNAL_TOKEN']}"}

    async def say(self, sender: str, text: str) -> None:
        """The young person writes on their device: the web chat or an SMS, via nginx."""
        status = await self.run.inbox.say(self.http, sender, text)
        assert status == 200, (sender, text, status)

    async def wait_inbox(self, sender: str, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(needle in t for t in self.run.inbox.texts(sender)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not received: {self.run.inbox.texts(sender)}")
            await asyncio.sleep(0.1)

    async def login(self, name: str) -> Coach:
        return await login(self.profile.escalation_url, name, COACHES[name])

    async def watch(self, coach: Coach, base: str, where: str, case_id: str) -> Watch:
        ws = await coach.http.ws_connect(
            f"{base.replace('http://', 'ws://')}/ws/cases/{case_id}?csrf={coach.csrf}")
        watch = Watch(where, ws)

        async def collect() -> None:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    watch.got.append(msg.json())

        watch.task = asyncio.create_task(collect())
        deadline = time.monotonic() + 30
        while not any(m.get("type") == "ready" for m in watch.got):
            assert time.monotonic() < deadline, f"socket {where} not ready"
            await asyncio.sleep(0.05)
        return watch

    async def plain(self, sender: str) -> Outcome:
        await asyncio.sleep(random.uniform(0, RAMP_UP_SECONDS))
        await self.run.inbox.open(self.http, sender)
        for text in PLAIN_SCRIPT:
            await self.say(sender, text)
            await asyncio.sleep(random.uniform(0.1, 0.5))
        return Outcome(sender, list(PLAIN_SCRIPT))

    async def escalated(self, sender: str, coach: Coach) -> Outcome:
        out = Outcome(sender, [], coach=coach.name)
        await asyncio.sleep(random.uniform(0, RAMP_UP_SECONDS))
        await self.run.inbox.open(self.http, sender)
        await self.say(sender, "hej, ja vill prata me en riktig människa")
        await self.wait_inbox(sender, "Coachen ser den här konversationen")
        await self.say(sender, "ja")
        await self.wait_inbox(sender, "Din förfrågan har gått till en coach")
        esc = self.profile.escalation_url
        async with self.http.get(f"{esc}/internal/conversations/{sender}/case",
                                 headers=self.internal) as resp:
            assert resp.status == 200, await resp.text()
            out.case_id = case_id = (await resp.json())["case_id"]
        instances = self.profile.ports.escalation_instances
        out.watches = [
            await self.watch(coach, f"http://127.0.0.1:{instances[0]}", "instance-1", case_id),
            await self.watch(coach, f"http://127.0.0.1:{instances[1]}", "instance-2", case_id),
            await self.watch(coach, esc, "nginx", case_id),
        ]
        headers = {"X-CSRF-Token": coach.csrf}
        async with coach.http.post(f"{esc}/api/cases/{case_id}/claim", headers=headers) as resp:
            assert resp.status == 200, await resp.text()

        async def user_side() -> None:
            for i in range(ROUNDS):
                await asyncio.sleep(random.uniform(0.3, 0.9))
                text = f"okej jag fattar, berätta mer ({sender[-6:]} u{i})"
                await self.say(sender, text)
                out.user_sent.append(text)

        async def coach_side() -> None:
            for i in range(ROUNDS):
                await asyncio.sleep(random.uniform(0.3, 0.9))
                text = f"Jag finns här. Hur känns det nu? ({sender[-6:]} c{i})"
                async with coach.http.post(f"{esc}/api/cases/{case_id}/messages",
                                           json={"text": text}, headers=headers) as resp:
                    assert resp.status == 201, await resp.text()
                out.coach_sent.append(text)

        await asyncio.gather(user_side(), coach_side())
        # wait until the last user message reached the case, then hand back to the bot
        deadline = time.monotonic() + 30
        while not all(sum(1 for _, k, _ in w.items() if k == "user") >= ROUNDS
                      for w in out.watches):
            assert time.monotonic() < deadline, "user messages did not reach the coach"
            await asyncio.sleep(0.1)
        async with coach.http.post(f"{esc}/api/cases/{case_id}/handback",
                                   headers=headers) as resp:
            assert resp.status == 200, await resp.text()
        await self.wait_inbox(sender, "chattboten igen")
        await self.say(sender, "vad är sluta skjut?")
        await self.wait_inbox(sender, "Group Violence Intervention")
        await asyncio.sleep(0.5)  # a duplicate would arrive now
        await self.run.inbox.close(sender)
        for w in out.watches:
            await w.ws.close()
            if w.task is not None:
                await w.task
        return out

    async def tracker_bot_texts(self, sender: str) -> list[str]:
        token = self.run.secrets["RASA_TOKEN"]
        async with self.http.get(f"{self.profile.rasa_url}/conversations/{sender}/tracker",
                                 params={"token": token}) as resp:
            assert resp.status == 200
            events = (await resp.json())["events"]
        return [e.get("text") or "" for e in events if e.get("event") == "bot"]


def _squash(texts: list[str]) -> str:
    """The callback channel splits a text at blank lines; compare without whitespace."""
    return re.sub(r"\s+", "", "".join(texts))


def _upstreams(profile: ProductionProfile, path_re: str) -> Counter[str]:
    log = (profile.workdir / "nginx" / "access.log").read_text(encoding="utf-8")
    counts: Counter[str] = Counter()
    for line in log.splitlines():
        parts = line.split()
        if len(parts) >= 5 and re.fullmatch(path_re, parts[2]):
            counts[parts[4].rsplit(":", 1)[-1]] += 1
    return counts


async def test_fifty_conversations_over_two_instances_each_message_once_in_order(
    running: Running,
) -> None:
    profile = running.profile
    random.seed(6)
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120),
                                     connector=aiohttp.TCPConnector(limit=200)) as http:
        driver = Driver(running, http)
        coaches = [await driver.login(name) for name in COACHES]
        try:
            jobs = []
            for i in range(CONVERSATIONS):
                if i % ESCALATE_EVERY == 0:
                    sender = running.inbox.web_user()
                    jobs.append(driver.escalated(sender, coaches[(i // ESCALATE_EVERY) % 2]))
                else:
                    sms = i % SMS_EVERY == 1
                    sender = running.inbox.sms_user() if sms else running.inbox.web_user()
                    jobs.append(driver.plain(sender))
            try:
                outcomes: list[Outcome] = await asyncio.gather(*jobs)
            finally:
                await running.inbox.close_all()
            talk_seconds = time.monotonic() - started
            trackers = await asyncio.gather(*(driver.tracker_bot_texts(o.sender)
                                              for o in outcomes))
        finally:
            for coach in coaches:
                await coach.http.close()

    from bot.db.engine import make_engine
    from bot.escalation.store import Store

    engine = make_engine(profile.app_db_url)
    store = Store(engine)
    bot_messages = coach_to_user = user_to_coach = socket_deliveries = 0
    sms_messages = 0
    for out, bot_texts in zip(outcomes, trackers, strict=True):
        received = running.inbox.texts(out.sender)
        assert len(bot_texts) >= len(PLAIN_SCRIPT), out.sender  # every message was answered
        if running.inbox.is_sms(out.sender):
            # one SMS batch (one or more SMS) per answer, none lost: every bot turn's
            # words are in the SMS, in order (SMS text is plain: compared without links)
            assert len(received) >= len(PLAIN_SCRIPT), (out.sender, received)
            sms_messages += len(received)
            continue
        # every bot and coach message in the tracker reached the user once, in order
        assert _squash(received) == _squash(bot_texts), out.sender
        bot_messages += len(received)
        if out.case_id is None:
            continue
        coach_received = [t for t in received if t in out.coach_sent]
        assert coach_received == out.coach_sent, out.sender  # coach → user: once, in order
        coach_to_user += len(coach_received)
        events = store.events(out.case_id)
        db_items = [(e.id, e.kind, e.text) for e in events if e.kind in ("user", "coach")]
        assert [t for _, k, t in db_items if k == "user" and t in out.user_sent] == out.user_sent
        assert [t for _, k, t in db_items if k == "coach"] == out.coach_sent
        for watch in out.watches:
            items = watch.items()
            assert len({i for i, _, _ in items}) == len(items), (watch.where, "duplicate")
            # from its oldest message on, the socket got every user and coach message of the
            # case that the database holds: none lost, none twice (a user and a coach message
            # written at the same moment on two instances may come in either order, the same
            # order on every socket: checked below)
            # (by id on both sides: the case lists a user message where it was said, which
            # can be before a coach message stored while its relay was on the way)
            first = min(i for i, _, _ in items) if items else 0
            assert items and sorted(items) == sorted(it for it in db_items if it[0] >= first), \
                (watch.where, "lost or duplicated")
            assert [t for _, k, t in items if k == "user" and t in out.user_sent] == \
                out.user_sent, (watch.where, "user messages")
            assert [t for _, k, t in items if k == "coach"] == out.coach_sent, watch.where
            socket_deliveries += len(items)
        common = max(w.items()[0][0] for w in out.watches)
        sequences = {tuple(it for it in w.items() if it[0] >= common) for w in out.watches}
        assert len(sequences) == 1, "sockets on different instances saw different orders"
        user_to_coach += len(out.user_sent)
    engine.dispose()

    rasa = _upstreams(profile, r"/webhooks/callback/webhook")
    escalation = _upstreams(profile, r"/internal/conversations/.+/messages")
    sockets = _upstreams(profile, r"/ws")
    callbacks = _upstreams(profile, r"/rasa/callback")
    webhooks = _upstreams(profile, r"/sms/twilio")
    escalated = sum(1 for o in outcomes if o.case_id)
    user_messages = sum(len(PLAIN_SCRIPT) if o.case_id is None else 4 + ROUNDS
                        for o in outcomes)
    print(
        f"\nproduction profile: started in {running.start_seconds:.0f} s; "
        f"{len(outcomes)} concurrent conversations in {talk_seconds:.0f} s, "
        f"{escalated} escalated to 2 coaches\n"
        f"  callback webhook requests per Rasa instance (port: count): {dict(rasa)}\n"
        f"  web chat sockets per gateway instance: {dict(sockets)}; Rasa's callbacks per "
        f"gateway instance: {dict(callbacks)}; SMS webhooks: {dict(webhooks)}\n"

        f"  user→coach relays per escalation instance: {dict(escalation)}\n"
        f"  user messages sent {user_messages}; bot+coach messages delivered to users "
        f"{bot_messages} on the web chat (= Rasa trackers, no loss, no duplicate, in order), "
        f"{sms_messages} SMS\n"
        f"  coach→user {coach_to_user}/{escalated * ROUNDS} once and in order; "
        f"user→coach {user_to_coach}/{escalated * ROUNDS} in order; "
        f"socket deliveries {socket_deliveries} on 3 sockets per case "
        f"(instance 1, instance 2, nginx), each exactly once"
    )
    assert len(rasa) == 2 and min(rasa.values()) >= 0.2 * sum(rasa.values()), rasa
    assert len(escalation) == 2, escalation
    assert len(sockets) == 2 and len(callbacks) == 2, (sockets, callbacks)
    assert coach_to_user == escalated * ROUNDS and user_to_coach == escalated * ROUNDS
    assert not profile.dead()


async def test_rasa_behind_nginx_takes_messages_only_from_the_gateway(running: Running) -> None:
    """The launcher's Rasa processes: callback and REST (RASA_REST_GATEWAY_ONLY=1 set by the
    launcher) refuse a post without the gateway's secret, through nginx as from outside."""
    url = running.profile.rasa_url
    sender = f"prod-wall-{uuid.uuid4().hex[:10]}"
    gateway = gateway_headers(running.secrets)
    tries = [("no header", {}, 403), ("wrong secret", {"X-Gateway-Callback-Token": "guessed"}, 403),
             ("the gateway's secret", gateway, 200)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for channel in ("callback", "rest"):
            for what, headers, expected in tries:
                async with http.post(f"{url}/webhooks/{channel}/webhook", headers=headers,
                                     json={"sender": sender, "message": "hej"}) as resp:
                    await resp.read()
                    print(f"  tried: {channel} through nginx, {what} -> {resp.status}")
                    assert resp.status == expected
