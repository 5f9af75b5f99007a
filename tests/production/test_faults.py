"""Fault injection on the production profile (issue 6): kill a part mid-conversation.

One profile for the module (nginx, 2 Rasa servers, 2 escalation instances, the action server)
on a private PostgreSQL and a private Redis started here, so killing them disturbs nothing
else on the machine. For each fault, fresh users talk on the callback channel through nginx
while it happens: plain users, one who writes a crisis message, users already talking to a
coach (whose console socket goes through nginx and reconnects, reloading the case, like the
real console), and one who asks for a coach during the fault. The part is SIGKILLed, users
and the coach keep writing, it is restarted the way a supervisor would, and everyone keeps
writing.

Every user message Rasa accepted must be in its conversation's stored transcript once (checked
for every fault, required for PostgreSQL: Rasa keeps the turns of the outage and stores them
when the database is back, bot/rasa_plugins/tracker_store.py).

Every user message must end in a real answer or an honest one: the bot's answer, the coach
receiving it, "saved, a coach will answer" (outbox), or an HTTP error that the web/SMS gateway
turns into "the chat is not answering, try again; in danger call 112". Silence is a loss.
Every coach message reaches the user (or the coach is told to try again, and it arrives when
retried). Every escalation ends in a case in the coach's queue. After the restart everything
answers without a manual step. The terminal summary prints one line per fault.

The gateway fault runs the same users on the web chat instead (WebScenario): pages whose
WebSocket goes through nginx to either gateway instance and reconnects like the real page;
Rasa's callbacks for them go on from the inbox to the gateways through nginx.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest

from bot import content
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.ops.production import Ports, ProductionProfile
from bot.ops.supervisor import Supervisor
from bot.protocol import CALLBACK_HEADER
from tests.production.support import (
    Coach,
    callback_credentials,
    create_coaches,
    gateway_headers,
    gateway_message,
    login,
    production_secrets,
    profile_env,
)
from tests.support.stack import Forward, Inbox, _start_inbox, free_port

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

COACH, PASSWORD = "fault-anna", "fault anna correct horse"
PLAIN_USERS = 3
ESCALATED_USERS = 2
SEND_TIMEOUT = 150  # nginx waits up to 120 s for Rasa (e.g. a lock held by a killed instance)
REPLY_WAIT = 15  # a reply sent after the HTTP answer (relay broker, outbox) may take this long
DOWN_SECONDS = 3  # how long a killed part stays down before the supervisor restarts it
CRISIS = "jag orkar inte mer, jag vill ta livet av mig"
CRISIS_MARK = "90101"  # Mind Självmordslinjen: in every crisis answer
ASK_COACH = "hej, ja vill prata me en riktig människa"
CONSENT_MARK = "Coachen ser den här konversationen"
# the bot's own honest answers when a part is missing (content file)
HONEST_MARKS = ("Jag når inte coacherna just nu", "Chatten svarar inte just nu",
                "Just nu kan ingen coach")
ESCALATION_MARKS = ("Din förfrågan har gått till en coach", "Jag når inte coacherna just nu",
                    "Just nu kan ingen coach")

RESULTS: list[FaultResult] = []  # printed by tests/production/conftest.py


# ---- private PostgreSQL and Redis ---------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _children(pid: int) -> list[int]:
    kids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(Path(stat).parent.name))
    return kids


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust auth, loopback, own port) run as `postgres`."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir, self.root = bindir, root
        self.data = root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}"

    def init(self) -> None:
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        done = subprocess.run(["runuser", "-u", "postgres", "--", str(self.bindir / "initdb"),
                               "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E",
                               "UTF8", "--no-sync"], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        self.start()

    def start(self) -> float:
        started = time.monotonic()
        log = (self.root / "postgres.log").open("ab")
        self.proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", str(self.bindir / "postgres"), "-D",
             str(self.data), "-p", str(self.port), "-k", str(self.root), "-c",
             "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 60
        while subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", "postgres"]).returncode != 0:
            assert time.monotonic() < deadline, "private PostgreSQL did not start"
            assert self.proc.poll() is None, (self.root / "postgres.log").read_text()[-2000:]
            time.sleep(0.2)
        return time.monotonic() - started

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend: the whole server crashes at once."""
        pid = self._postmaster()
        kids = _children(pid)
        os.kill(pid, signal.SIGKILL)
        for kid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                os.kill(self._postmaster(), signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class PrivateRedis:
    """A throwaway redis-server without persistence on its own port."""

    def __init__(self, binary: str, root: Path) -> None:
        self.binary, self.root = binary, root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        import redis

        started = time.monotonic()
        log = (self.root / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                assert time.monotonic() < deadline and self.proc.poll() is None, "redis failed"
                time.sleep(0.1)
        client.close()
        return time.monotonic() - started

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# ---- the running system -------------------------------------------------------------------


@dataclass
class System:
    profile: ProductionProfile
    inbox: Inbox
    secrets: dict[str, str]
    postgres: PrivatePostgres
    redis: PrivateRedis


def supervise(profile: ProductionProfile) -> float:
    """One round of the launchers' supervisor (bot.ops.supervisor, as `run-prod` runs it): it
    finds the killed process and starts it again. Returns the seconds that took."""
    started = time.monotonic()
    dead = profile.dead()
    assert dead, "nothing to restart: the killed process is still running?"
    assert Supervisor(profile.dead, profile.restart, retention=lambda: None).check() is None
    assert not profile.dead(), f"still down after the supervisor's round: {profile.dead()}"
    return time.monotonic() - started

def _to_gateways(gateway_url: str) -> Forward:
    """Rasa's callbacks for web chat conversations go on to the gateway instances through
    nginx, as in production, and the gateway's status goes back to Rasa; the callback users'
    messages stay in the inbox (their device)."""

    def forward(message: dict[str, Any], body: bytes, token: str) -> int | None:
        if not str(message.get("recipient_id", "")).startswith(WEB_PREFIX):
            return None
        request = urllib.request.Request(
            f"{gateway_url}/rasa/callback", data=body, method="POST",
            headers={"Content-Type": "application/json", CALLBACK_HEADER: token})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 502

    return forward


@pytest.fixture(scope="module")
def system(trained_model: Path) -> Iterator[System]:
    bindir, redis_bin = _pg_bin(), shutil.which("redis-server")
    if bindir is None or redis_bin is None:
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) or redis-server "
                    "missing: the fault tests need a private server of each to kill")
    root = Path(tempfile.mkdtemp(prefix="sluta-faults-"))
    root.chmod(0o755)  # the postgres user reaches its data directory through it
    postgres = PrivatePostgres(bindir, root / "pg")
    (root / "pg").mkdir()
    redis = PrivateRedis(redis_bin, root)
    ports = Ports(free_port(), free_port(), free_port(), (free_port(), free_port()),
                  (free_port(), free_port()), free_port(), (free_port(), free_port()))
    inbox_port = free_port()
    inbox, inbox_server = _start_inbox(inbox_port,
                                       _to_gateways(f"http://127.0.0.1:{ports.gateway}"))
    keys = production_secrets()
    # a coach message must not wait long for a Rasa that is being killed
    env = profile_env(keys, ESCALATION_RASA_TIMEOUT_SECONDS="15")
    profile = ProductionProfile(
        trained_model, workdir=root / "profile", ports=ports, server_url=postgres.url,
        database="faults", redis_url=redis.url, redis_prefix="faults",
        credentials=callback_credentials(root, inbox_port), env=env)
    try:
        postgres.init()
        redis.start()
        profile.start()
        create_coaches(profile, {COACH: PASSWORD})
        yield System(profile, inbox, keys, postgres, redis)
    finally:
        profile.stop()
        inbox_server.shutdown()
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


# ---- what happened ------------------------------------------------------------------------


@dataclass
class Sent:
    """One message and what became of it: answered, honest (error told), lost, or pending."""

    sender: str
    text: str
    phase: str
    outcome: str = "pending"
    crisis: bool = False
    safety_answered: bool = False
    detail: str = ""
    accepted: bool = False  # Rasa answered HTTP 200: it handled the message


@dataclass
class FaultResult:
    fault: str
    injected: str
    sent: int = 0
    answered: int = 0
    honest: int = 0
    lost: int = 0
    crisis: str = ""
    cases: int = 0
    cases_lost: int = 0
    coach_messages: str = ""
    transcript_gaps: int = 0  # accepted user messages missing from the stored transcript
    transcript_extra: int = 0  # stored more often than sent
    shown_twice: int | None = None  # web chat pages: messages on the page more often than
    # in Rasa's tracker (None: the callback users' inbox, not measured)
    pages_reconnected: int = 0  # web chat pages whose socket was on the killed instance
    recovery_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Console:
    """The coach's case page: one socket through nginx that reconnects and reloads the case."""

    coach: Coach
    base: str
    case_id: str
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    reconnects: int = 0
    task: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        async with self.coach.http.get(f"{self.base}/api/cases/{self.case_id}") as resp:
            if resp.status == 200:
                for ev in (await resp.json())["events"]:
                    self.seen[ev["id"]] = ev

    async def run(self) -> None:
        url = (f"{self.base.replace('http://', 'ws://')}/ws/cases/{self.case_id}"
               f"?csrf={self.coach.csrf}")
        while True:
            try:
                async with self.coach.http.ws_connect(url, heartbeat=5) as ws:
                    await self.reload()
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            data = msg.json()
                            if data.get("type") == "event":
                                self.seen[data["event"]["id"]] = data["event"]
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                pass
            self.reconnects += 1
            await asyncio.sleep(1)  # the console waits 2 s; 1 s keeps the test short

    def texts(self, kind: str) -> list[str]:
        return [e["text"] for e in self.seen.values() if e.get("kind") == kind]


class Received(Protocol):
    """What a user's device has received: the inbox (callback users) or the web chat pages."""

    def texts(self, sender: str) -> list[str]: ...


class Scenario:
    """Users, a coach and the checks for one fault."""

    def __init__(self, system: System, http: aiohttp.ClientSession, coach: Coach,
                 tag: str) -> None:
        self.system, self.http, self.coach, self.tag = system, http, coach, tag
        self.profile = system.profile
        self.inbox: Received = system.inbox
        self.sent: list[Sent] = []
        self.coach_sent: list[tuple[str, str, str]] = []  # (sender, text, outcome)
        self.cases: dict[str, str] = {}  # sender -> case id
        self.consoles: dict[str, Console] = {}
        self.asked_for_coach: list[str] = []
        self.internal = {"Authorization": f"Bearer {system.secrets['ESCALATION_INTERNAL_TOKEN']}"}

    def sender(self, kind: str) -> str:
        return f"fault-{self.tag}-{kind}-{uuid.uuid4().hex[:8]}"

    # ---- the user's side (the gateway's role) --------------------------------------------

    async def post(self, sender: str, text: str) -> int | None:
        try:
            async with self.http.post(
                    f"{self.profile.rasa_url}/webhooks/callback/webhook",
                    json=gateway_message(sender, text),
                    headers=gateway_headers(self.system.secrets),
                    timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT)) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None

    async def say(self, sender: str, text: str, phase: str, paused: bool = False) -> Sent:
        """Send like the gateway; decide what the user saw (paused: the coach decides later)."""
        sent = Sent(sender, text, phase, crisis=text == CRISIS)
        self.sent.append(sent)
        before = len(self.inbox.texts(sender))
        status = await self.post(sender, text)
        sent.accepted = status == 200
        if status != 200:
            sent.outcome, sent.detail = self.failed(status)
            return sent
        if paused and not sent.crisis:
            return sent  # the bot is silent while the coach talks: checked at the end
        deadline = time.monotonic() + (REPLY_WAIT if sent.crisis or phase != "before" else 5)
        while time.monotonic() < deadline:
            new = self.inbox.texts(sender)[before:]
            if sent.crisis and any(CRISIS_MARK in t for t in new):
                sent.safety_answered = True
                break
            if new and not sent.crisis:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # the rest of a multi-part answer
        new = self.inbox.texts(sender)[before:]
        sent.safety_answered = any(CRISIS_MARK in t for t in new)
        if paused:
            return sent  # reaching the coach is checked at the end
        if not new:
            sent.outcome = "lost"
        elif any(mark in t for t in new for mark in HONEST_MARKS):
            sent.outcome = "honest"
        else:
            sent.outcome = "answered"
        return sent

    def failed(self, status: int | None) -> tuple[str, str]:
        """Outcome of a message Rasa did not take: any HTTP error is honest, because the
        gateway answers it with utter_gateway_unavailable ("try again; in danger call 112")."""
        return "honest", f"HTTP {status}"

    async def ask_for_coach(self, sender: str, phase: str) -> bool:
        """Ask for a coach and say yes; True if the bot answered about the coach."""
        self.asked_for_coach.append(sender)
        first = await self.say(sender, ASK_COACH, phase)
        if first.outcome != "answered" or not any(CONSENT_MARK in t for t in
                                                  self.inbox.texts(sender)):
            return False
        await self.say(sender, "ja", phase)
        return any(mark in t for t in self.inbox.texts(sender) for mark in ESCALATION_MARKS)

    async def case_of(self, sender: str) -> str | None:
        async with self.http.get(
                f"{self.profile.escalation_url}/internal/conversations/{sender}/case",
                headers=self.internal) as resp:
            return (await resp.json())["case_id"] if resp.status == 200 else None

    # ---- the coach's side ------------------------------------------------------------------

    async def coach_api(self, method: str, path: str, **kwargs: Any) -> tuple[int | None, Any]:
        try:
            async with self.coach.http.request(
                    method, f"{self.profile.escalation_url}{path}",
                    headers={"X-CSRF-Token": self.coach.csrf}, **kwargs) as resp:
                body = await resp.json(content_type=None)
                return resp.status, body
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return None, None

    async def escalate_and_claim(self, sender: str) -> None:
        assert await self.ask_for_coach(sender, "before"), self.inbox.texts(sender)
        case_id = await self.case_of(sender)
        assert case_id, f"no case for {sender}"
        self.cases[sender] = case_id
        console = Console(self.coach, self.profile.escalation_url, case_id)
        console.task = asyncio.create_task(console.run())
        self.consoles[sender] = console
        status, body = await self.coach_api("POST", f"/api/cases/{case_id}/claim")
        assert status == 200, body

    async def coach_says(self, sender: str, text: str) -> None:
        status, _ = await self.coach_api("POST", f"/api/cases/{self.cases[sender]}/messages",
                                         json={"text": text})
        self.coach_sent.append((sender, text, "sent" if status == 201 else f"error {status}"))

    async def coach_retries(self) -> None:
        """The console said "try again": the coach sends the failed messages once more."""
        for i, (sender, text, outcome) in enumerate(self.coach_sent):
            for _ in range(20):
                if outcome == "sent":
                    break
                status, _ = await self.coach_api(
                    "POST", f"/api/cases/{self.cases[sender]}/messages", json={"text": text})
                outcome = "retried" if status == 201 else outcome
                if outcome != "retried":
                    await asyncio.sleep(1)
                else:
                    break
            self.coach_sent[i] = (sender, text, outcome)

    async def just_before_kill(self, senders: list[str]) -> dict[str, asyncio.Task[Sent]]:
        """Messages sent right before the kill, answered while it happens (the web chat's
        pages; the callback users' kill comes between their messages)."""
        return {}

    async def check_devices(self, result: FaultResult) -> None:
        """The callback users' devices are the inbox: what it got is counted by `_settle`."""

    async def close(self) -> None:
        for console in self.consoles.values():
            if console.task is not None:
                console.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await console.task


# ---- web chat users -----------------------------------------------------------------------

PAGE_WAIT = 60  # a web chat message with neither answer nor error after this is silence
AT_KILL = "får polisen veta om jag skriver här?"  # sent just before the gateway is killed


@dataclass
class WebPage:
    """One young person's chat page as bot/gateway/static/chat.js behaves: its WebSocket goes
    through nginx to either gateway instance; when it closes the page reconnects after
    1, 2, 4 … at most 10 s and says hello again (the gateway answers with the transcript from
    Rasa's tracker, which replaces what the page shows). Each message has a random id and
    waits until the gateway acknowledges it, refuses it ("try again") or the reloaded
    transcript holds its id; once a hello is answered the waiting ones go again, same id, in
    order, then what was written meanwhile."""

    token: str
    url: str
    shown: list[tuple[str, str]] = field(default_factory=list)  # (user/bot/coach, text)
    pending: list[dict[str, Any]] = field(default_factory=list)  # not acknowledged yet
    sent_ids: set[str] = field(default_factory=set)  # pending ids sent on some socket
    outbox: list[dict[str, Any]] = field(default_factory=list)  # waiting for a socket
    acked: set[str] = field(default_factory=set)  # acknowledged, or in the transcript
    refused: dict[str, str] = field(default_factory=dict)  # id -> text given back
    ws: aiohttp.ClientWebSocketResponse | None = None
    ready: bool = False  # this socket's hello is answered
    connects: int = 0
    resent: int = 0  # messages sent again after a reconnect
    task: asyncio.Task[None] | None = None

    async def run(self, http: aiohttp.ClientSession) -> None:
        retry = 0
        while True:
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                async with http.ws_connect(self.url, heartbeat=20) as ws:
                    retry = 0
                    # the first hello starts a fresh conversation; later ones reload it
                    await ws.send_json({"type": "hello", "token": self.token,
                                        "fresh": not self.connects})
                    self.connects += 1
                    self.ws, self.ready = ws, False
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            await self.receive(msg.json())
            self.ws, self.ready = None, False
            await asyncio.sleep(min(2 ** retry, 10))
            retry += 1

    async def receive(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "history":
            if not data.get("fresh"):
                items = data.get("items") or []
                for item in items:
                    if item.get("type") == "user" and item.get("id"):
                        self._settle(item["id"])  # it arrived; its ack did not
                waiting = [("user", str(frame["text"])) for frame in self.pending]
                self.shown = [item for item in map(_shown, items) if item] + waiting
            self.ready = True
            await self._flush()
        elif kind == "ack":
            self._settle(data.get("id"))
        elif kind == "bot":
            self.shown.append(("coach" if data.get("coach") else "bot", data.get("text") or ""))
        elif kind == "notice_text" and data.get("id"):
            self.refused[data["id"]] = data.get("restore") or ""
            self._settle(data["id"], refused=True)

    def _settle(self, message_id: object, refused: bool = False) -> None:
        for frame in self.pending:
            if frame["id"] == message_id:
                self.pending.remove(frame)
                if not refused:
                    self.acked.add(frame["id"])
                return

    async def _flush(self) -> None:
        """After the hello: the messages sent before and not acknowledged, then the rest."""
        assert self.ws is not None
        for frame in list(self.pending):
            if frame["id"] in self.sent_ids:
                self.resent += 1
                with contextlib.suppress(ConnectionError):
                    await self.ws.send_json({**frame, "resend": True})
        frames, self.outbox = self.outbox, []
        for frame in frames:
            await self.send(frame)

    async def send(self, frame: dict[str, Any]) -> None:
        """On the open socket once its hello is answered, else kept until then."""
        if self.ws is not None and not self.ws.closed and self.ready:
            with contextlib.suppress(ConnectionError):
                await self.ws.send_json(frame)
                self.sent_ids.add(frame["id"])
                return
        self.outbox.append(frame)

    async def say(self, text: str) -> int | None:
        """Write one message: 200 once it is acknowledged (or the reloaded transcript holds
        it), 502 when the page was told "try again", None when neither came (silence)."""
        frame = {"type": "message", "id": uuid.uuid4().hex, "text": text, "lang": "sv"}
        self.pending.append(frame)
        self.shown.append(("user", text))
        await self.send(frame)
        deadline = time.monotonic() + PAGE_WAIT
        while time.monotonic() < deadline:
            if frame["id"] in self.acked:
                return 200
            if frame["id"] in self.refused:
                return 502
            await asyncio.sleep(0.05)
        return None

    def not_sent(self) -> list[str]:
        """The messages the page shows as not sent (refused, or never acknowledged)."""
        return [*self.refused.values(), *(str(frame["text"]) for frame in self.pending)]

    def texts(self) -> list[str]:
        return [text for who, text in self.shown if who != "user"]

    async def reload(self, http: aiohttp.ClientSession) -> list[tuple[str, str]]:
        """What the page shows after a reload: the transcript from Rasa's tracker."""
        async with http.ws_connect(self.url) as ws:
            await ws.send_json({"type": "hello", "token": self.token})
            async for msg in ws:
                data = msg.json() if msg.type == aiohttp.WSMsgType.TEXT else {}
                if data.get("type") == "history":
                    return [item for item in map(_shown, data.get("items") or []) if item]
        raise AssertionError("the reloaded page got no transcript")

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.ws is not None:
            await self.ws.close()


def _shown(item: dict[str, Any]) -> tuple[str, str] | None:
    """A transcript item as the page shows it; notices ("a coach joined") are not counted."""
    if item.get("type") == "user":
        return "user", item.get("text") or ""
    if item.get("type") == "bot":
        return "coach" if item.get("coach") else "bot", item.get("text") or ""
    return None


class Pages:
    """Every web chat user's page, by conversation id (the pseudonym the gateway makes)."""

    def __init__(self, gateway_url: str, secret: str, http: aiohttp.ClientSession) -> None:
        self.url = gateway_url.replace("http://", "ws://") + "/ws"
        self.secret, self.http = secret, http
        self.pages: dict[str, WebPage] = {}

    def open(self) -> str:
        """A page loads and connects; returns its conversation id."""
        token = uuid.uuid4().hex + uuid.uuid4().hex
        sender = pseudonym(self.secret, token, WEB_PREFIX)
        page = self.pages[sender] = WebPage(token, self.url)
        page.task = asyncio.create_task(page.run(self.http))
        return sender

    def texts(self, sender: str) -> list[str]:
        return self.pages[sender].texts()

    async def close(self) -> None:
        for page in self.pages.values():
            await page.close()


class WebScenario(Scenario):
    """The same users and coach on the web chat: each user a page (WebPage) whose socket sits
    on either gateway instance; Rasa's callbacks reach the gateways through nginx (the
    inbox's relay) and cross Redis to the instance that holds the page's socket."""

    def __init__(self, system: System, http: aiohttp.ClientSession, coach: Coach,
                 tag: str) -> None:
        super().__init__(system, http, coach, tag)
        self.pages = Pages(self.profile.gateway_url, system.secrets["GATEWAY_SECRET"], http)
        self.inbox = self.pages

    def sender(self, kind: str) -> str:
        return self.pages.open()

    async def post(self, sender: str, text: str) -> int | None:
        return await self.pages.pages[sender].say(text)

    def failed(self, status: int | None) -> tuple[str, str]:
        if status == 502:
            return "honest", "the page's 'try again, in danger call 112' notice"
        return "lost", "neither an answer nor an error on the page"

    async def just_before_kill(self, senders: list[str]) -> dict[str, asyncio.Task[Sent]]:
        """Every page sends a message and the kill follows at once, before any answer or
        ack: on the pages whose socket is on the killed instance the gateway may not have
        read it, may be forwarding it, or Rasa may have it with the ack lost."""
        early = {sender: asyncio.create_task(self.say(sender, AT_KILL, "at kill"))
                 for sender in senders}
        await asyncio.sleep(0.02)  # the frames are on their way
        return early

    async def check_devices(self, result: FaultResult) -> None:
        """Each page shows every message of its tracker once (the user's, the bot's and the
        coach's): what it shows now equals what a reload shows (the transcript from Rasa's
        tracker), beside the messages it shows as not sent."""
        result.shown_twice = 0
        users = {s.sender: self.pages.pages[s.sender] for s in self.sent}  # not the probes
        for sender, page in users.items():
            not_sent = Counter(("user", text) for text in page.not_sent())
            shown = Counter(page.shown) - not_sent
            stored = Counter(await page.reload(self.http))
            twice, missing = shown - stored, stored - shown
            result.shown_twice += sum(twice.values())
            result.lost += sum(missing.values())
            for what, items in (("shown more often than stored", twice),
                                ("stored, never shown", missing)):
                if items:
                    result.notes.append(f"{sender[:12]}: {what}: {sorted(items.elements())}")
            if page.pending:
                result.notes.append(f"{sender[:12]}: never acknowledged: {page.not_sent()}")
        result.pages_reconnected = sum(page.connects > 1 for page in users.values())
        result.notes.append(f"{result.pages_reconnected} of {len(users)} users' pages "
                            "reconnected")
        at_kill = [s for s in self.sent if s.phase == "at kill"]
        outcomes = Counter(s.outcome for s in at_kill)
        result.notes.append(
            f"{len(at_kill)} messages sent just before the kill: "
            + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            + f"; {sum(page.resent for page in users.values())} sent again after a reconnect")

    async def close(self) -> None:
        await super().close()
        await self.pages.close()


# ---- the scenario -------------------------------------------------------------------------


async def _plain_user(sc: Scenario, sender: str, phase: str, texts: list[str],
                      first: asyncio.Task[Sent] | None = None) -> None:
    if first is not None:  # a message sent before, still on its way
        await first
    for text in texts:
        await sc.say(sender, text, phase)
        await asyncio.sleep(0.5)


async def _escalated_user(sc: Scenario, sender: str, phase: str, n: int,
                          crisis: bool = False) -> None:
    for i in range(n):
        await sc.say(sender, f"hallå coachen, det är jag ({phase} {i} {sender[-4:]})", phase,
                     paused=True)
        await sc.coach_says(sender, f"Jag finns kvar här ({phase} {i} {sender[-4:]})")
        await asyncio.sleep(0.5)
    if crisis:
        await sc.say(sender, CRISIS, phase, paused=True)


async def _probe(sc: Scenario, since: float, timeout: float = 180) -> float:
    """Seconds from `since` until a fresh conversation gets a real answer again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sender = sc.sender("probe")
        if await sc.post(sender, "vad är sluta skjut?") == 200:
            end = time.monotonic() + 5
            while time.monotonic() < end:
                if sc.inbox.texts(sender):
                    return time.monotonic() - since
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    raise AssertionError("the system did not answer again after the restart")


async def run_fault(system: System, fault: str, injected: str, kill: Callable[[], None],
                    restart: Callable[[], float], crisis_must_be_answered: bool,
                    transcript_must_be_complete: bool = False,
                    scenario: type[Scenario] = Scenario) -> FaultResult:
    """Talk, kill, keep talking, restart, keep talking; then count what became of it all.
    The users talk on the callback channel (Scenario) or on the web chat (WebScenario)."""
    result = FaultResult(fault, injected)
    tag = fault.split()[0].lower()[:8]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT),
                                     connector=aiohttp.TCPConnector(limit=100)) as http:
        coach = await login(system.profile.escalation_url, COACH, PASSWORD)
        sc = scenario(system, http, coach, tag)
        try:
            plain = [sc.sender("plain") for _ in range(PLAIN_USERS)]
            crisis_user, late = sc.sender("crisis"), sc.sender("late")
            escalated = [sc.sender("coach") for _ in range(ESCALATED_USERS)]
            # before: everyone talks, two users are with the coach
            await asyncio.gather(*(_plain_user(sc, s, "before", ["hej"]) for s in plain),
                                 _plain_user(sc, crisis_user, "before", ["hej"]),
                                 *(sc.escalate_and_claim(s) for s in escalated))
            await asyncio.gather(*(_escalated_user(sc, s, "before", 1) for s in escalated))
            # during: kill, keep talking, restart after DOWN_SECONDS (in a thread)
            early = await sc.just_before_kill([*plain, crisis_user])
            killed_at = time.monotonic()
            await asyncio.to_thread(kill)
            during = asyncio.gather(
                *(_plain_user(sc, s, "during", ["vad är sluta skjut?",
                                                "hur gör ja för att hoppa av"],
                              first=early.get(s)) for s in plain),
                _plain_user(sc, crisis_user, "during", [CRISIS], first=early.get(crisis_user)),
                sc.ask_for_coach(late, "during"),
                *(_escalated_user(sc, s, "during", 2, crisis=i == 0)
                  for i, s in enumerate(escalated)))
            await asyncio.sleep(DOWN_SECONDS)
            restart_started = time.monotonic()
            restart_seconds = await asyncio.to_thread(restart)
            probe = asyncio.create_task(_probe(sc, restart_started))
            await during
            result.recovery_seconds = await probe
            result.notes.append(f"down {restart_started - killed_at:.0f} s, "
                                f"restart {restart_seconds:.1f} s")
            # after: everyone keeps talking; whoever was told "try again" tries again
            await sc.coach_retries()
            if await sc.case_of(late) is None:
                await sc.ask_for_coach(late, "after")
            await asyncio.gather(*(_plain_user(sc, s, "after", ["tack", "vad är sluta skjut?"])
                                   for s in [*plain, crisis_user]),
                                 *(_escalated_user(sc, s, "after", 1) for s in escalated))
            await _settle(sc, result)
            await _check_transcripts(sc, result)
            await sc.check_devices(result)
        finally:
            await sc.close()
            await coach.http.close()
    assert not system.profile.dead(), f"not running after the restart: {system.profile.dead()}"
    RESULTS.append(result)
    during_crisis = [s for s in sc.sent if s.crisis and s.phase == "during"]
    assert result.lost == 0, [(s.sender, s.text, s.phase, s.outcome) for s in sc.sent
                              if s.outcome == "lost"]
    assert result.cases_lost == 0, result.notes
    assert all(s.outcome == "answered" for s in sc.sent if s.phase == "after"), \
        [(s.sender, s.text, s.detail) for s in sc.sent if s.phase == "after"
         and s.outcome != "answered"]
    if crisis_must_be_answered:
        assert all(s.safety_answered for s in during_crisis), \
            [(s.sender, s.outcome, s.detail) for s in during_crisis]
    if transcript_must_be_complete:
        assert result.transcript_gaps == result.transcript_extra == 0, result.notes
    assert not result.shown_twice, result.notes
    return result


def _stored_user_texts(url: str, senders: list[str]) -> dict[str, list[str]]:
    """User messages in Rasa's tracker database, per conversation, in stored order."""
    import sqlalchemy as sa

    from bot.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT sender_id, data FROM events WHERE type_name = 'user' "
                "AND sender_id IN :senders ORDER BY id").bindparams(
                    sa.bindparam("senders", expanding=True)), {"senders": senders}).all()
    finally:
        engine.dispose()
    stored: dict[str, list[str]] = {s: [] for s in senders}
    for sender, data in rows:
        stored[sender].append(json.loads(data).get("text"))
    return stored


async def _check_transcripts(sc: Scenario, result: FaultResult) -> None:
    """Each user message Rasa accepted is stored once in its conversation, in order.

    Missing: accepted and not stored. Extra: stored more often than sent at all (a message
    that got an HTTP error may still have been stored). Waits up to 10 s for Rasa instances
    to write the turns they kept during a database outage.
    """
    senders = sorted({s.sender for s in sc.sent})
    accepted = {x: Counter(s.text for s in sc.sent if s.sender == x and s.accepted)
                for x in senders}
    sent = {x: Counter(s.text for s in sc.sent if s.sender == x) for x in senders}
    deadline = time.monotonic() + 10
    while True:
        stored = await asyncio.to_thread(_stored_user_texts, sc.profile.tracker_db_url,
                                         senders)
        gaps = {x: accepted[x] - Counter(stored[x]) for x in senders}
        if not any(gaps.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    extra = {x: Counter(stored[x]) - sent[x] for x in senders}
    result.transcript_gaps = sum(sum(c.values()) for c in gaps.values())
    result.transcript_extra = sum(sum(c.values()) for c in extra.values())
    for kind, found in (("missing from", gaps), ("extra in", extra)):
        for sender, texts in found.items():
            if texts:
                result.notes.append(f"{kind} the stored transcript of {sender}: "
                                    f"{sorted(texts.elements())}")
    # order is only clear where the stored messages are exactly the accepted ones
    order = [x for x in senders if not gaps[x] and not extra[x]
             and Counter(stored[x]) == accepted[x]
             and stored[x] != [s.text for s in sc.sent if s.sender == x and s.accepted]]
    if order:
        result.notes.append(f"stored out of order: {len(order)} conversations ({order})")


async def _settle(sc: Scenario, result: FaultResult) -> None:
    """Wait for late deliveries, then resolve and count every message and case."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # coach ↔ user messages in flight
        missing = _undelivered_coach(sc) + _unrelayed(sc)
        if not missing:
            break
        await asyncio.sleep(0.5)
    relayed = {(s, t) for s, console in sc.consoles.items() for t in console.texts("user")}
    for sent in sc.sent:
        if sent.outcome != "pending":  # a paused conversation: did the coach get it?
            continue
        if (sent.sender, sent.text) in relayed:
            sent.outcome = "answered"
            continue
        # a relay still queued in a killed Rasa process never reaches the case live; the
        # coach's case page also shows Rasa's transcript, where the message is stored
        _, body = await sc.coach_api("GET", f"/api/cases/{sc.cases[sent.sender]}/transcript")
        transcript = [m["text"] for m in (body or {}).get("transcript", [])
                      if m.get("who") == "user"]
        if sent.text in transcript:
            sent.outcome, sent.detail = "answered", "in the transcript only, not live"
            result.notes.append(f"user→coach {sent.text!r} ({sent.phase}): in the coach's "
                                "transcript, not relayed live")
        else:
            sent.outcome, sent.detail = "lost", "not on the coach's console nor transcript"
    result.sent = len(sc.sent)
    result.answered = sum(s.outcome == "answered" for s in sc.sent)
    result.honest = sum(s.outcome == "honest" for s in sc.sent)
    result.lost = sum(s.outcome == "lost" for s in sc.sent)
    crisis = [s for s in sc.sent if s.crisis]
    result.crisis = f"{sum(s.safety_answered for s in crisis)}/{len(crisis)}"
    lost_coach = _undelivered_coach(sc)
    retried = sum(o == "retried" for _, _, o in sc.coach_sent)
    result.coach_messages = (f"{len(sc.coach_sent) - len(lost_coach)}/{len(sc.coach_sent)}"
                             + (f" ({retried} retried)" if retried else ""))
    result.lost += len(lost_coach)
    if lost_coach:
        result.notes.append(f"coach messages not delivered: {lost_coach}")
    status, queue = await sc.coach_api("GET", "/api/queue")
    assert status == 200, queue
    in_queue = {c["case_id"] for c in [*queue["waiting"], *queue["claimed"]]}
    wanted = set(sc.asked_for_coach)
    result.cases = len(wanted)
    for sender in wanted:
        case_id = sc.cases.get(sender) or await sc.case_of(sender)
        if case_id is None or case_id not in in_queue:
            result.cases_lost += 1
            result.notes.append(f"case lost: {sender} ({case_id})")


def _undelivered_coach(sc: Scenario) -> list[str]:
    return [t for s, t, o in sc.coach_sent if o in ("sent", "retried")
            and t not in sc.inbox.texts(s)] + [t for _, t, o in sc.coach_sent
                                               if o not in ("sent", "retried")]


def _unrelayed(sc: Scenario) -> list[str]:
    return [s.text for s in sc.sent if s.outcome == "pending"
            and s.text not in sc.consoles[s.sender].texts("user")]


# ---- the faults ---------------------------------------------------------------------------


async def test_action_server_killed(system: System) -> None:
    profile = system.profile
    await run_fault(system, "action server", "SIGKILL the action server",
                    lambda: profile.kill("actions"), lambda: supervise(profile),
                    crisis_must_be_answered=True)


async def test_escalation_instance_killed(system: System) -> None:
    profile = system.profile
    await run_fault(system, "escalation-1", "SIGKILL one of 2 escalation instances",
                    lambda: profile.kill("escalation-1"),
                    lambda: supervise(profile), crisis_must_be_answered=True)


async def test_rasa_instance_killed(system: System) -> None:
    profile = system.profile
    await run_fault(system, "rasa-1", "SIGKILL one of 2 Rasa servers",
                    lambda: profile.kill("rasa-1"), lambda: supervise(profile),
                    crisis_must_be_answered=True)


async def test_redis_killed(system: System) -> None:
    await run_fault(system, "Redis", "SIGKILL redis-server (locks, fan-out)",
                    system.redis.kill, system.redis.start, crisis_must_be_answered=True)


async def test_postgres_killed(system: System) -> None:
    await run_fault(system, "PostgreSQL", "SIGKILL postmaster + backends",
                    system.postgres.kill, system.postgres.start, crisis_must_be_answered=True,
                    transcript_must_be_complete=True)


async def test_gateway_instance_killed(system: System) -> None:
    """Users on the web chat, half their sockets on the killed instance: the pages reconnect
    to the other one and reload; Rasa's and the coach's messages reach them through it."""
    profile = system.profile
    result = await run_fault(system, "gateway-1", "SIGKILL one of 2 gateway instances",
                             lambda: profile.kill("gateway-1"), lambda: supervise(profile),
                             crisis_must_be_answered=True, scenario=WebScenario)
    assert result.pages_reconnected, "no page's socket was on the killed instance"
    # the messages sent just before the kill: none lost (above), none answered twice
    assert result.transcript_extra == 0, result.notes


def test_gateway_error_text_is_honest() -> None:
    """What a user sees when Rasa answers with an error: try again, and 112 in danger."""
    text = content.text("utter_gateway_unavailable", "sv")
    assert "Försök igen" in text and "112" in text
