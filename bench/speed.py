"""Speed benchmark: this assistant side by side with a stock `rasa init` one.

  .venv/bin/python bench/speed.py --production       # the full run behind README's table
  .venv/bin/python bench/speed.py --production --skip-stock --levels 1,20,50   # REST and web
  .venv/bin/python bench/speed.py --profile          # also py-spy on our server at 20 users
  .venv/bin/python bench/speed.py --skip-stock --levels 1,20 --tag try \\
      --variant 'tf1=TF_INTRA_OP_PARALLELISM_THREADS=1,TF_INTER_OP_PARALLELISM_THREADS=1'
  git worktree add --detach /tmp/speed-before COMMIT   # + its .venv, models/ and .env linked
  .venv/bin/python bench/speed.py --skip-stock --compare-tree /tmp/speed-before --gateway \\
      --levels 1,20 --rounds 3 --tag runtimes   # before/after, side by side

Servers (subprocesses, loopback, free ports):
  - `ours`: one `rasa run --enable-api --auth-token ...` as `./dev run` starts it: the model
    from bot.ops.training.train(quiet=True), the project's credentials.yml (REST channel with
    validation and rate limits, callback channel), the project's tracker store
    (bot.rasa_plugins.tracker_store on SQLite), in-memory lock store. No action server and no
    relay event
    broker (separate processes; a request that needs action_escalate fails fast);
  - `ours-prod` (`--production`): the production profile of bot.ops.production, i.e. what
    `python -m bot run-prod` starts: nginx in front of two Rasa servers (tracker store on the
    local PostgreSQL, Redis lock store, the relay event broker), two escalation-service
    instances, two gateway instances and the action server; REST load goes through nginx's
    Rasa port;
  - `ours-prod-web` (`--production`, the same running profile): web chat users over the
    page's WebSocket through nginx's gateway port, which spreads the sockets over both
    gateway instances (least_conn); Rasa answers on its callback channel through nginx to
    whichever instance takes it, and Redis fans the answer out to the one holding the
    socket. Latency is message sent -> the turn's last answer bubble (what REST's one
    response holds); each level also counts the sockets each instance served (nginx's log);
  - `stock`: `rasa init --no-prompt` on the same Rasa version, created and trained once in a
    temporary folder and cached in models/bench_stock/ (removed if the Rasa version changes),
    served by plain `rasa run` (its defaults: in-memory tracker and lock stores);
  - `--variant NAME=K=V,K=V`: `ours` again with extra environment variables (e.g.
    SANIC_WORKERS, TF_*_PARALLELISM_THREADS, LOG_LEVEL); pseudo-keys: `model=PATH` serves
    another model, `lock=redis` (Redis lock store at 127.0.0.1:6379, db 15) and
    `tracker=sql|memory|wal|wal_normal|threaded` change endpoints.yml (`sql`: Rasa's own SQL
    tracker store; wal: Rasa's on SQLite in WAL mode, see WalSQLTrackerStore below;
    `threaded`, the default: bot.rasa_plugins.tracker_store).
  - `--compare-tree PATH` (`before` unless --compare-name): the Rasa server as `ours`, but
    from another checkout: its .venv/bin/rasa, its credentials.yml, its bot package first on
    the import path; the same model as `ours` unless --compare-model. The figures come side by
    side with `ours` (median of --rounds, before's range, a verdict; see compare());
  - `--gateway`: the web chat through the gateway (`ours-web`, and `before-web` with
    --compare-tree): each checkout's own tests/gateway/e2e_support.running_system starts its
    Rasa (callback channel), action server and gateway, each on the runtime that checkout
    gives it (before the two runtimes: all on .venv's Python 3.10; after: gateway and action
    server on .venv-svc's 3.12). Users talk over the page's WebSocket (the same client as
    `ours-prod-web`; latency to the first answer bubble, as measured before). SQLite files in a
    temporary folder only: no PostgreSQL database and no Redis db is used (only
    `lock=redis` variants use Redis db 15; --production its own PostgreSQL databases and
    --redis-url under its own prefix, both removed afterwards).

Load (this process, aiohttp, closed loop: each simulated user sends its next message when the
previous answer arrived; a new conversation every --conversation messages): 1, 20 and 50
concurrent users, bounded by a request count and a time limit per level. Levels are measured
server after server, alternating which one goes first. For each level the script also
records the CPU used by each server and by everything else on the machine (/proc/stat), since
this 2-core machine may be running other work. After the load: resident memory (RSS, and
PSS which counts shared pages once) of each server's process tree from /proc.

An error is a message not handled: REST, a status other than 200 or a body that is not a
list; web chat, a turn that brought neither an answer bubble nor the gateway's ack (Rasa has
it), or a socket that failed. A message handled without any answer text (REST's `[]`, a web
turn acknowledged only) is counted apart as `silent`, on both paths alike.

Figures go to stdout, results/bench_speed[_TAG].json and results/bench_speed[_TAG].md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # component_cost imports TensorFlow
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RASA, ROOT, UNTHROTTLED, free_port, percentile

STOCK_DIR = ROOT / "models" / "bench_stock"
STOCK_MESSAGES = [
    "hello", "hi there", "good morning", "hey", "I am sad", "I'm feeling great",
    "my day was horrible", "very good", "not really", "yes", "no", "are you a bot?",
    "good evening", "I am very unhappy", "perfect", "bye",
]
LEVELS = {1: 120, 20: 400, 50: 500}  # users -> requests (each level also capped in time)
TARGETS = {
    "throughput_20_vs_stock": 2.0,  # at least
    "p95_20_ms": 500.0,  # under
    "p50_1_ms": 60.0,  # under
    "rss_mb": 1500.0,  # under
}
# every simulated user comes from 127.0.0.1: no flood limits of the gateway (nor Rasa's)
GATEWAY_ENV = {"GATEWAY_RATE_CONVERSATION": "1000000/60", "GATEWAY_RATE_ADDRESS": "1000000/60",
               **UNTHROTTLED}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PY_SPY = str(Path(sys.executable).with_name("py-spy"))


# --- processes and /proc ------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (Sanic workers are children of `rasa run`)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in children.read_text().split()]
    return pids


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS (shared pages split between processes) of a process tree, in MB."""
    rss = pss = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return {"rss_mb": round(rss / 1024), "pss_mb": round(pss / 1024)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process tree."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by all cores since boot (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLK_TCK


def wait_or_kill(proc: subprocess.Popen, timeout: float) -> None:
    """Wait for a stopping process group; kill it when it does not stop in time."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Server:
    name: str
    model: Path
    cwd: Path
    credentials: Path
    messages: list[str]
    env: dict[str, str] = field(default_factory=dict)
    lock: str = "in_memory"
    tracker: str = "threaded"
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""
    ready_s: float = 0.0
    workdir: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent with every message
    rasa: str = RASA  # another checkout's server: that checkout's .venv/bin/rasa
    kind: str = "rest"

    def start(self, base: Path) -> None:
        self.workdir = base / self.name
        self.workdir.mkdir(parents=True)
        sql = f'  dialect: "sqlite"\n  db: "{self.workdir}/tracker.db"\n'
        tracker = {
            "sql": "tracker_store:\n  type: SQL\n" + sql,
            "memory": "tracker_store:\n  type: in_memory\n",
            "wal": "tracker_store:\n  type: bench.speed.WalSQLTrackerStore\n" + sql,
            "wal_normal": "tracker_store:\n  type: bench.speed.WalSQLTrackerStore\n" + sql
            + "  synchronous: NORMAL\n",
            "threaded": "tracker_store:\n  type: "
                        "bot.rasa_plugins.tracker_store.SQLTrackerStore\n" + sql,
        }[self.tracker]
        lock = (
            "lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: 15\n"
            f'  key_prefix: "bench{uuid.uuid4().hex[:8]}"\n'
            if self.lock == "redis" else "lock_store:\n  type: in_memory\n"
        )
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(tracker + lock, encoding="utf-8")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
               **UNTHROTTLED, **self.env}
        self._started = time.monotonic()
        if self.cwd != ROOT:  # another checkout: its bot package, not this one's
            env["PYTHONPATH"] = str(self.cwd)
        self.proc = subprocess.Popen(
            [self.rasa, "run", "--enable-api", f"--auth-token={uuid.uuid4().hex}",
             "--model", str(self.model), "--endpoints", str(endpoints),
             "--credentials", str(self.credentials), "-i", "127.0.0.1", "-p", str(port)],
            cwd=self.cwd, env=env, stdout=(self.workdir / "rasa.log").open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    async def wait_ready(self, timeout: float = 300) -> None:
        assert self.proc
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name}: rasa exited; see {self.workdir}/rasa.log")
                try:
                    async with session.post(f"{self.url}/webhooks/rest/webhook",
                                            json={"sender": "warmup", "message": "hej"}) as r:
                        if r.status == 200 and await r.json():
                            self.ready_s = time.monotonic() - self._started
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.3)
        raise RuntimeError(f"{self.name}: no answer after {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: workers too
            wait_or_kill(self.proc, 20)

    def pids(self) -> list[int]:
        """Processes whose CPU time counts as the server's."""
        assert self.proc
        return [self.proc.pid]

    def memory(self) -> dict[str, float]:
        assert self.proc
        return memory_mb(self.proc.pid)

    def gateway_pids(self) -> list[int]:
        """Gateway processes, whose CPU is also shown apart (none here)."""
        return []


@dataclass
class ProductionServer:
    """The production profile (bot.ops.production, `python -m bot run-prod`) on free ports.

    nginx in front of two Rasa servers (SQL tracker store on the local PostgreSQL, Redis lock
    store, the relay event broker), two escalation instances, two gateway instances and the
    action server, with APP_ENV=production, generated secrets and the project's channels
    (REST, and the callback channel posting to the gateway instances through nginx); its own
    databases and Redis prefix, removed afterwards. REST load goes to nginx's Rasa port
    (`ProductionWeb` drives the same profile's web chat). Its CPU is the Rasa servers' and
    nginx's; its memory is the largest Rasa server's (the target is per server).
    """

    name: str
    model: Path
    messages: list[str]
    env: dict[str, str] = field(default_factory=dict)
    lock: str = "redis"
    tracker: str = "postgresql"
    redis_url: str = ""  # "": the profile's default (bot.ops.production.DEFAULT_REDIS_URL)
    profile: Any = None
    url: str = ""
    ready_s: float = 0.0
    # its Rasa's REST channel takes messages only from the gateway (RASA_REST_GATEWAY_ONLY=1)
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "rest"

    def start(self, base: Path) -> None:
        from cryptography.fernet import Fernet

        from bot.ops.production import DEFAULT_REDIS_URL, Ports, ProductionProfile
        from bot.protocol import CALLBACK_HEADER
        from bot.settings import SERVICE_SECRETS

        tag = uuid.uuid4().hex[:8]
        workdir = base / self.name
        workdir.mkdir(parents=True)
        secrets = {k: uuid.uuid4().hex + uuid.uuid4().hex for k in (*SERVICE_SECRETS,
                                                                     "GATEWAY_SECRET")}
        secrets["GATEWAY_FERNET_KEY"] = Fernet.generate_key().decode()
        self.headers = {CALLBACK_HEADER: secrets["GATEWAY_CALLBACK_TOKEN"]}
        # 50 simulated users share one address: neither Rasa's nor the gateway's flood limits
        env = {**os.environ, **secrets, "APP_ENV": "production", **GATEWAY_ENV, **self.env}
        ports = Ports(free_port(), free_port(), free_port(), (free_port(), free_port()),
                      (free_port(), free_port()), free_port(), (free_port(), free_port()))
        # credentials=None: the project's channels, the callback to the gateways via nginx
        self.profile = ProductionProfile(
            self.model, workdir=workdir, ports=ports, database=f"benchspeed_{tag}",
            redis_url=self.redis_url or DEFAULT_REDIS_URL, redis_prefix=f"benchspeed-{tag}",
            credentials=None, env=env)
        started = time.monotonic()
        self.profile.start()
        self.url = self.profile.rasa_url
        self.ready_s = time.monotonic() - started

    async def wait_ready(self, timeout: float = 300) -> None:
        return None  # ProductionProfile.start waited for every process

    def procs(self, *prefixes: str) -> list[subprocess.Popen[bytes]]:
        """The profile's processes whose names start with one of `prefixes`."""
        return [p for name, p in self.profile.procs.items() if name.startswith(prefixes)]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs("rasa-", "nginx")]

    def gateway_pids(self) -> list[int]:
        return []

    def memory(self) -> dict[str, float]:
        per_server = [memory_mb(p.pid) for p in self.procs("rasa-")]
        return max(per_server, key=lambda m: m["rss_mb"])

    def stop(self) -> None:
        if self.profile is None:
            return
        self.profile.stop()
        self.profile.discard_data()

    def log_tail(self, chars: int = 1500) -> str:
        """The end of each of the profile's logs, for a failed run."""
        if self.profile is None or not self.profile.log_dir.exists():
            return ""
        return "\n".join(f"--- {log.name} ---\n" + log.read_text(errors="replace")[-chars:]
                         for log in sorted(self.profile.log_dir.glob("*.log")))


@dataclass
class ProductionWeb:
    """Web chat users of a running ProductionServer's profile (`ours-prod-web`): they talk
    over the page's WebSocket to nginx's gateway port, as browsers do, so nginx spreads the
    sockets over both gateway instances; Rasa's callback reaches either instance through
    nginx and Redis fans each answer out to the instance holding the socket. Same client as
    GatewaySystem (run_level's web users); the latency is the one REST's single response has:
    message sent -> the turn's last answer bubble. Its CPU is the Rasa servers', nginx's and
    both gateway instances'; `gateway_cpu_ms_per_request` is the two gateways' alone. It
    neither starts nor stops anything: `rest` owns the profile."""

    name: str
    rest: ProductionServer
    messages: list[str]
    kind: str = "web"
    latency_to: str = "last"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return self.rest.env

    @property
    def lock(self) -> str:
        return self.rest.lock

    @property
    def tracker(self) -> str:
        return self.rest.tracker

    @property
    def url(self) -> str:
        return self.rest.profile.gateway_url

    @property
    def ready_s(self) -> float:
        return self.rest.ready_s

    def start(self, base: Path) -> None:
        """Started with `rest`."""

    async def wait_ready(self, timeout: float = 300) -> None:
        return None

    def stop(self) -> None:
        """Stopped with `rest`."""

    def pids(self) -> list[int]:
        return [*self.rest.pids(), *self.gateway_pids()]

    def gateway_pids(self) -> list[int]:
        return [p.pid for p in self.rest.procs("gateway-")]

    def memory(self) -> dict[str, float]:
        gateways = [memory_mb(pid) for pid in self.gateway_pids()]
        gateway = max(gateways, key=lambda m: m["rss_mb"])
        return {**self.rest.memory(), "gateway_rss_mb": gateway["rss_mb"],
                "gateway_pss_mb": gateway["pss_mb"]}

    def access_log(self) -> Path:
        return self.rest.profile.workdir / "nginx" / "access.log"

    def log_size(self) -> int:
        """Where nginx's access log ends now: a level counts the lines written after it."""
        log = self.access_log()
        return log.stat().st_size if log.exists() else 0

    def sockets_per_instance(self, since: int) -> dict[str, int]:
        """WebSockets each gateway instance served since `since` (nginx logs a socket's
        upgrade, status 101, with the instance it went to when the socket closes)."""
        counts = {f"127.0.0.1:{port}": 0 for port in self.rest.profile.ports.gateway_instances}
        with self.access_log().open("rb") as log:
            log.seek(since)
            for line in log.read().decode(errors="replace").splitlines():
                fields = line.split()
                if len(fields) > 4 and fields[2] == "/ws" and fields[3] == "101":
                    counts[fields[4]] = counts.get(fields[4], 0) + 1
        return counts


# A checkout's whole web chat path, started by that checkout's own test launcher
# (tests/gateway/e2e_support.running_system: Rasa with the callback channel, action server,
# gateway; no escalation service), run by the given interpreter with the checkout first on
# sys.path. It prints the URLs and pids as one JSON line and stops everything when its stdin
# closes.
GATEWAY_HELPER = """
import json, sys
from pathlib import Path
from tests.gateway.e2e_support import running_system
model, work, env = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
with running_system(model, work, gateway_env=env, escalation=False) as system:
    print(json.dumps({"gateway": system["gateway"], "rasa": system["rasa"],
                      "pids": {name: p.pid for name, p in system["procs"].items()}}),
          flush=True)
    sys.stdin.read()
"""


@dataclass
class GatewaySystem:
    """Web chat through a checkout's gateway (`--gateway`): each simulated user talks over the
    page's WebSocket (hello with a fresh token, then message after message); a message's
    latency is the time to the first bot message (what the person sees), `turn_p95_ms` the
    time until the typing indicator goes off (every bot message of the turn). CPU is the whole
    system's (Rasa, action server, gateway, the launcher); `gateway_cpu_ms_per_request` the
    gateway process's alone. Memory: the gateway process (`gateway_rss_mb`) and the system.
    The latency stays the first bubble's, as in the figures measured before; the last
    bubble's is kept beside it (`last_bubble_p95_ms`)."""

    name: str
    model: Path
    tree: Path
    python: str  # the interpreter that runs the checkout's launcher
    messages: list[str]
    env: dict[str, str] = field(default_factory=dict)
    lock: str = "in_memory"
    tracker: str = "threaded"
    kind: str = "web"
    latency_to: str = "first"  # the latency figures: the turn's "first" or "last" bubble
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""
    ready_s: float = 0.0
    part_pids: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def start(self, base: Path) -> None:
        workdir = base / self.name
        workdir.mkdir(parents=True)
        self._log = workdir / "launcher.log"
        env = {**os.environ, "PYTHONPATH": str(self.tree), "PYTHONWARNINGS": "ignore"}
        self._started = time.monotonic()
        self.proc = subprocess.Popen(
            [self.python, "-c", GATEWAY_HELPER, str(self.model), str(workdir),
             json.dumps({**GATEWAY_ENV, **self.env})],
            cwd=self.tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log.open("wb"), start_new_session=True)

    async def wait_ready(self, timeout: float = 400) -> None:
        assert self.proc and self.proc.stdout
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), timeout)
        if not line:
            raise RuntimeError(f"{self.name}: launcher exited; "
                               + self._log.read_text(errors="replace")[-3000:])
        info = json.loads(line)
        self.url, self.part_pids = info["gateway"], info["pids"]
        self.ready_s = time.monotonic() - self._started

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin
                self.proc.stdin.close()  # the launcher stops its processes
            wait_or_kill(self.proc, 60)

    pids = Server.pids

    def gateway_pids(self) -> list[int]:
        return [self.part_pids["gateway"]]

    def memory(self) -> dict[str, float]:
        assert self.proc
        gateway = memory_mb(self.part_pids["gateway"])
        return {**memory_mb(self.proc.pid), "gateway_rss_mb": gateway["rss_mb"],
                "gateway_pss_mb": gateway["pss_mb"]}


def __getattr__(name: str) -> Any:
    """`bench.speed.WalSQLTrackerStore` for a server's endpoints.yml (built lazily, so this
    script does not import Rasa before it needs to)."""
    if name != "WalSQLTrackerStore":
        raise AttributeError(name)
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event

    class WalSQLTrackerStore(SQLTrackerStore):
        """Rasa's SQL tracker store on SQLite in WAL mode (`synchronous`: FULL or NORMAL).

        WAL: one fsync per commit instead of the rollback journal's several, and readers do
        not block the writer. NORMAL: no fsync per commit (an OS crash or power loss may
        lose the last commits; a process crash loses nothing).
        """

        def __init__(self, *args: Any, synchronous: str = "FULL", **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            mode = {"FULL": "FULL", "NORMAL": "NORMAL"}[str(synchronous).upper()]

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA synchronous={mode}")
                cursor.close()

    return WalSQLTrackerStore


# --- the stock assistant ------------------------------------------------------------------


def rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def stock_assistant() -> tuple[Path, Path]:
    """(project folder, model) of `rasa init --no-prompt`, trained once and cached."""
    stamp = STOCK_DIR / "rasa_version"
    models = sorted((STOCK_DIR / "project" / "models").glob("*.tar.gz"))
    if stamp.exists() and stamp.read_text() == rasa_version() and models:
        return STOCK_DIR / "project", models[-1]
    print(f"creating and training the stock `rasa init` assistant (Rasa {rasa_version()}) ...",
          flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()  # `rasa init` wants an existing folder
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
               "RASA_CACHE_DIRECTORY": f"{tmp}/cache"}
        subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(project)], cwd=tmp,
                       env=env, check=True, capture_output=True)
        shutil.rmtree(STOCK_DIR, ignore_errors=True)
        STOCK_DIR.mkdir(parents=True)
        shutil.copytree(project, STOCK_DIR / "project",
                        ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
    stamp.write_text(rasa_version())
    print(f"  stock assistant ready after {time.monotonic() - started:.0f} s", flush=True)
    models = sorted((STOCK_DIR / "project" / "models").glob("*.tar.gz"))
    return STOCK_DIR / "project", models[-1]


# --- load ---------------------------------------------------------------------------------


AnyServer = Server | ProductionServer | GatewaySystem | ProductionWeb


@dataclass
class WebTurn:
    """One web chat message's turn as the page sees it, in seconds from the send."""

    first: float | None = None  # the first answer bubble
    last: float | None = None  # the last answer bubble
    done: float = 0.0  # the typing indicator off: the gateway is done with the turn
    acked: bool = False  # the gateway said Rasa has the message


async def web_turn(ws: aiohttp.ClientWebSocketResponse, text: str) -> WebTurn:
    """Send one message as the page (bot/gateway/static/chat.js) does, with an id, and read
    until the gateway is done with it. Every frame of a turn comes in order: the gateway
    switches typing on, forwards to Rasa, whose callback posts each bubble (to this
    instance or, behind nginx, the other one, which fans it out through Redis) before it
    answers; then the ack, then typing off. A refusal without a turn (flood limit, a bad
    frame) names the message's id and ends it at once."""
    message_id = uuid.uuid4().hex
    turn = WebTurn()
    typing = False
    t0 = time.perf_counter()
    await ws.send_json({"type": "message", "id": message_id, "text": text, "lang": "sv"})
    while True:
        msg = await ws.receive_json(timeout=60)
        kind, at = msg.get("type"), time.perf_counter() - t0
        if kind == "bot":
            turn.first = at if turn.first is None else turn.first
            turn.last = at
        elif kind == "ack" and msg.get("id") == message_id:
            turn.acked = True
        elif kind == "typing" and msg.get("who") != "coach":
            if msg.get("on"):
                typing = True
            else:
                break
        elif kind in ("error", "notice_text") and msg.get("id") == message_id and not typing:
            break
    turn.done = time.perf_counter() - t0
    return turn


async def run_level(server: AnyServer, users: int, total: int, max_s: float,
                    conversation: int) -> dict[str, Any]:
    """`users` closed-loop users share `total` requests; stop early after `max_s` seconds."""
    latencies: list[float] = []
    firsts: list[float] = []  # web chat: until the first answer bubble
    lasts: list[float] = []  # ... until the last one
    turns: list[float] = []  # ... until the typing indicator goes off
    errors = 0
    silent = 0  # handled without an answer bubble: REST's empty list, a web turn acked only
    issued = 0
    messages = server.messages
    deadline = time.perf_counter() + max_s
    to_last = getattr(server, "latency_to", "first") == "last"

    async def web_user(session: aiohttp.ClientSession) -> None:
        """A page: a fresh conversation (hello with a new token), then message after
        message on its socket; a new page every `conversation` messages."""
        nonlocal errors, issued, silent
        while issued < total and time.perf_counter() < deadline:
            try:
                async with session.ws_connect(server.url.replace("http", "ws", 1) + "/ws") as ws:
                    await ws.send_json({"type": "hello", "token": uuid.uuid4().hex * 2,
                                        "fresh": True})
                    await ws.receive_json(timeout=60)  # the history (empty: fresh)
                    for _ in range(conversation):
                        if issued >= total or time.perf_counter() >= deadline:
                            return
                        index = issued
                        issued += 1
                        turn = await web_turn(ws, messages[index % len(messages)])
                        # an error: neither acknowledged (Rasa has it) nor answered
                        if turn.first is None:
                            errors += not turn.acked
                            silent += turn.acked
                        first = turn.first if turn.first is not None else turn.done
                        last = turn.last if turn.last is not None else turn.done
                        firsts.append(first * 1000)
                        lasts.append(last * 1000)
                        latencies.append((last if to_last else first) * 1000)
                        turns.append(turn.done * 1000)
            except (aiohttp.ClientError, asyncio.TimeoutError, TypeError, ValueError):
                errors += 1

    async def user(session: aiohttp.ClientSession) -> None:
        nonlocal errors, issued, silent
        sent = 0
        sender = ""
        while issued < total and time.perf_counter() < deadline:
            index = issued
            issued += 1
            if sent % conversation == 0:
                sender = f"bench-{uuid.uuid4().hex}"
            sent += 1
            t0 = time.perf_counter()
            try:
                async with session.post(f"{server.url}/webhooks/rest/webhook",
                                        headers=server.headers,
                                        json={"sender": sender,
                                              "message": messages[index % len(messages)]}) as r:
                    body = await r.read()
                    if r.status != 200 or not body.startswith(b"["):
                        errors += 1
                    elif body.replace(b" ", b"") == b"[]":
                        silent += 1
            except (aiohttp.ClientError, asyncio.TimeoutError):
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)

    pids, gateway_pids = server.pids(), server.gateway_pids()
    gateway0 = sum(map(cpu_seconds, gateway_pids))
    log_mark = server.log_size() if isinstance(server, ProductionWeb) else 0
    busy0, cpu0, own0 = machine_busy_seconds(), sum(map(cpu_seconds, pids)), time.process_time()
    started = time.perf_counter()
    web = server.kind == "web"
    timeout = aiohttp.ClientTimeout(total=None if web else 60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=users),
                                     timeout=timeout) as session:
        await asyncio.gather(*((web_user if web else user)(session) for _ in range(users)))
    elapsed = time.perf_counter() - started
    server_cpu = sum(map(cpu_seconds, pids)) - cpu0
    client_cpu = time.process_time() - own0
    other_cpu = max(0.0, machine_busy_seconds() - busy0 - server_cpu - client_cpu)
    extra: dict[str, Any] = {}
    if turns:
        extra["first_bubble_p95_ms"] = round(percentile(firsts, 95), 1)
        extra["last_bubble_p95_ms"] = round(percentile(lasts, 95), 1)
        # the gateway done (ack, typing off): after Rasa saved the turn, as REST's response,
        # and relayed the message to the escalation service, which REST does not wait for
        for pct in (50, 95, 99):
            extra[f"turn_p{pct}_ms"] = round(percentile(turns, pct), 1)
    if gateway_pids:
        extra["gateway_cpu_ms_per_request"] = round(
            1000 * (sum(map(cpu_seconds, gateway_pids)) - gateway0) / max(len(latencies), 1), 1)
    if isinstance(server, ProductionWeb):
        await asyncio.sleep(0.5)  # nginx logs a socket once it has closed
        extra["sockets_per_gateway"] = server.sockets_per_instance(log_mark)
    return {**extra,
        "users": users,
        "requests": len(latencies),
        "errors": errors,
        "silent": silent,
        "seconds": round(elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "server_cpu_cores": round(server_cpu / elapsed, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(len(latencies), 1), 1),
        "client_cpu_cores": round(client_cpu / elapsed, 2),
        "other_cpu_cores": round(other_cpu / elapsed, 2),
    }


# --- profile ------------------------------------------------------------------------------


def start_profile(pid: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """py-spy on a process tree: a flame graph (SVG) and raw stacks to summarise."""
    results = ROOT / "results"
    common = ["--pid", str(pid), "--rate", "100", "--subprocesses", "--nonblocking", "--gil",
              "--duration", str(int(seconds) + 5)]
    return [
        subprocess.Popen([PY_SPY, "record", *common, "-o", str(results / "profile.svg")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([PY_SPY, "record", *common, "--format", "raw",
                          "-o", str(results / "profile.txt")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]


def stop_profile(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


PROFILE_BUCKETS = [  # (label, substring of a frame); a sample counts once per bucket
    ("HTTP request -> answer (Sanic handler, whole turn)", "handle_message (rasa/core/agent.py"),
    ("NLU: parse message (whole pipeline)", "parse_message (rasa/core/processor.py"),
    ("NLU: DIETClassifier", "rasa/nlu/classifiers/diet_classifier.py"),
    ("NLU: featurizers (count vectors, lexical, regex)", "rasa/nlu/featurizers/"),
    ("NLU: project components (InputGuard, LanguageDetector, SafetyNet)",
     "bot/rasa_plugins/nlu/components.py"),
    ("dialogue: predict next action (all policies)", "predict_next_with_tracker_if_should"),
    ("dialogue: TEDPolicy", "rasa/core/policies/ted_policy.py"),
    ("dialogue: RulePolicy / Memoization", "rasa/core/policies/rule_policy.py"),
    ("dialogue: featurise tracker states", "rasa/shared/core/trackers.py"),
    ("graph runner (dask scheduling)", "rasa/engine/runner/dask.py"),
    ("TensorFlow (any call)", "tensorflow/"),
    ("tracker store: retrieve", "retrieve (rasa/core/tracker_store.py"),
    ("tracker store: save", "save (rasa/core/tracker_store.py"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("logging", "logging/__init__.py"),
    ("event deserialisation (Event.from_parameters)", "rasa/shared/core/events.py"),
]


def summarise_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Share of samples per bucket and the functions with most own (self) time."""
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    total = sum(c for _, c in stacks) or 1
    buckets = {label: 0 for label, _ in PROFILE_BUCKETS}
    own: dict[str, int] = {}
    for frames, count in stacks:
        joined = ";".join(frames)
        for label, marker in PROFILE_BUCKETS:
            if marker in joined:
                buckets[label] += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    return {
        "samples": total,
        "buckets_pct": {k: round(100 * v / total, 1) for k, v in buckets.items()},
        "self_top_pct": {k: round(100 * v / total, 1)
                         for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:top]},
    }


# --- custom NLU component cost -------------------------------------------------------------


def component_cost(messages: list[str]) -> dict[str, float]:
    """Microseconds per message of the project's own NLU components (in this process)."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_plugins.nlu.components import InputGuard, LanguageDetector, SafetyNet

    guard = InputGuard({"max_chars": 1000, "fold_diacritics": True})
    rounds = 3
    fresh = [Message(data={"text": t}) for _ in range(rounds) for t in messages]
    started = time.perf_counter()
    guard.process(fresh)
    out = {"InputGuard_us": round((time.perf_counter() - started) / len(fresh) * 1e6, 1)}
    guarded = fresh[: len(messages)]  # what the later components see
    for name, component in (("LanguageDetector", LanguageDetector({})),
                            ("SafetyNet", SafetyNet({"candidate_threshold": 0.25}))):
        started = time.perf_counter()
        for _ in range(rounds):
            component.process(guarded)
        out[f"{name}_us"] = round((time.perf_counter() - started) / rounds / len(guarded) * 1e6,
                                  1)
    return out


# --- report -------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Rasa {results['rasa_version']}, {results['cpus']} CPUs, {results['when']}; "
        f"load average at start {results['loadavg_start']}, at end {results['loadavg_end']}. "
        "`other CPU` = cores busy with work outside the benchmark during the level; "
        "`server CPU ms/req` is the server's CPU time per request (less sensitive to that).",
        "",
        "| assistant | users | requests | errors | p50 ms | p95 ms | p99 ms | req/s "
        "| server CPU cores | server CPU ms/req | other CPU cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, server in results["servers"].items():
        for level in server["levels"]:
            lines.append(
                f"| {name} | {level['users']} | {level['requests']} | {level['errors']} "
                f"| {level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} "
                f"| {level['throughput_rps']} | {level['server_cpu_cores']} "
                f"| {level['server_cpu_ms_per_request']} | {level['other_cpu_cores']} |"
            )
    lines += ["", "| assistant | ready to answer s | RSS MB after load | PSS MB | env |",
              "|---|---|---|---|---|"]
    for name, server in results["servers"].items():
        settings = {**server["env"]}
        if server["lock_store"] != "in_memory":
            settings["lock_store"] = server["lock_store"]
        if server["tracker_store"] != "threaded":
            settings["tracker_store"] = server["tracker_store"]
        env = " ".join(f"{k}={v}" for k, v in settings.items()) or "–"
        lines.append(f"| {name} | {server['ready_s']} | {server['memory']['rss_mb']} "
                     f"| {server['memory']['pss_mb']} | {env} |")
    rows = results.get("targets", []) + [
        row for variant in results.get("variant_targets", {}).values() for row in variant]
    if rows:
        lines += ["", "| target | measured | target | met |", "|---|---|---|---|"]
        for row in rows:
            lines.append(f"| {row['what']} | {row['value']} | {row['target']} "
                         f"| {'yes' if row['met'] else 'no'} |")
    if results.get("component_cost_us"):
        cost = ", ".join(f"{k.removesuffix('_us')} {v} µs"
                         for k, v in results["component_cost_us"].items())
        lines += ["", f"Project NLU components per message (in process): {cost}."]
    return "\n".join(lines) + "\n"


def paths_markdown(results: dict[str, Any], rest: str = "ours-prod",
                   web: str = "ours-prod-web") -> str:
    """The production profile's two ways in, level by level: REST and web chat rows next to
    each other (both through nginx on the same running processes)."""
    servers = results["servers"]
    if rest not in servers or web not in servers:
        return ""
    lines = ["", f"Production profile, the two ways in side by side ({rest}: REST via nginx, "
             f"answer = the response; {web}: web chat users over the WebSocket via nginx to "
             "both gateway instances, answer = the turn's last bubble; silent = handled "
             "without any answer text, not an error; turn end = the gateway's ack and "
             "typing off, once Rasa saved the turn (REST's response waits for that too) and "
             "relayed the message to the escalation service (only the callback channel waits "
             "for that); server CPU = the Rasa servers and nginx, on the web path also both "
             "gateways, whose part is gateway CPU):", "",
             "| users | path | requests | errors | silent | p50 ms | p95 ms | p99 ms "
             "| req/s | server CPU ms/req | gateway CPU ms/req | first bubble p95 ms "
             "| turn end p50 / p95 / p99 ms | sockets per gateway |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    levels = sorted({lv["users"] for name in (rest, web) for lv in servers[name]["levels"]})
    for users in levels:
        for name, path in ((rest, "REST"), (web, "web chat")):
            for lv in (lv for lv in servers[name]["levels"] if lv["users"] == users):
                spread = " / ".join(map(str, lv.get("sockets_per_gateway", {}).values()))
                turn = " / ".join(str(lv[f"turn_p{pct}_ms"]) for pct in (50, 95, 99)
                                  if f"turn_p{pct}_ms" in lv)
                lines.append(
                    f"| {users} | {path} | {lv['requests']} | {lv['errors']} "
                    f"| {lv.get('silent', '–')} | {lv['p50_ms']} "
                    f"| {lv['p95_ms']} | {lv['p99_ms']} | {lv['throughput_rps']} "
                    f"| {lv['server_cpu_ms_per_request']} "
                    f"| {lv.get('gateway_cpu_ms_per_request', '–')} "
                    f"| {lv.get('first_bubble_p95_ms', '–')} | {turn or '–'} "
                    f"| {spread or '–'} |")
    return "\n".join(lines) + "\n"


def targets(results: dict[str, Any], ours: str) -> list[dict[str, Any]]:
    servers = results["servers"]

    def level(name: str, users: int) -> dict[str, Any] | None:
        return next((lv for lv in servers.get(name, {}).get("levels", [])
                     if lv["users"] == users), None)

    rows = []
    ours20, stock20, ours1 = level(ours, 20), level("stock", 20), level(ours, 1)
    if ours20 and stock20:
        ratio = ours20["throughput_rps"] / max(stock20["throughput_rps"], 1e-9)
        rows.append({"what": f"{ours} throughput at 20 users / stock's", "value":
                     f"{ratio:.2f}x", "target": ">= 2x",
                     "met": ratio >= TARGETS["throughput_20_vs_stock"]})
    if ours20:
        rows.append({"what": f"{ours} p95 at 20 users", "value": f"{ours20['p95_ms']} ms",
                     "target": "< 500 ms", "met": ours20["p95_ms"] < TARGETS["p95_20_ms"]})
    if ours1:
        rows.append({"what": f"{ours} p50 at 1 user", "value": f"{ours1['p50_ms']} ms",
                     "target": "< 60 ms", "met": ours1["p50_ms"] < TARGETS["p50_1_ms"]})
    rss = servers[ours]["memory"]["rss_mb"]
    rows.append({"what": f"{ours} resident memory (RSS)", "value": f"{rss} MB",
                 "target": "< 1500 MB", "met": rss < TARGETS["rss_mb"]})
    return rows


# --- before/after -------------------------------------------------------------------------

COMPARED = ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "server_cpu_ms_per_request",
            "gateway_cpu_ms_per_request", "turn_p95_ms", "other_cpu_cores")


def compare(results: dict[str, Any], before: str, after: str) -> list[dict[str, Any]]:
    """Per level: each figure's median over the rounds for both servers, before's range, and
    the verdict. No regression at a level: after's median p95 and CPU ms per request (the
    server's; through the gateway also the gateway process's) are no higher than the highest
    of before's rounds (within before's run-to-run spread, or better), and its median req/s
    no lower than before's lowest round. With no real difference a figure still fails this
    one time in five at 3 rounds (the two highest of six values both after's), so a flag
    counts only when the other figures of its level agree."""
    rows = []

    def rounds(name: str, users: int) -> list[dict[str, Any]]:
        return [lv for lv in results["servers"][name]["levels"] if lv["users"] == users]

    levels = sorted({lv["users"] for lv in results["servers"][before]["levels"]})
    for users in levels:
        b, a = rounds(before, users), rounds(after, users)
        if not b or not a:
            continue
        row: dict[str, Any] = {"users": users, "rounds": len(b), "before": {}, "after": {},
                               "before_range": {}}
        for key in COMPARED:
            if key in b[0] and key in a[0]:
                row["before"][key] = round(statistics.median(lv[key] for lv in b), 1)
                row["after"][key] = round(statistics.median(lv[key] for lv in a), 1)
                row["before_range"][key] = (min(lv[key] for lv in b), max(lv[key] for lv in b))
        checks = {
            "p95": row["after"]["p95_ms"] <= row["before_range"]["p95_ms"][1],
            "cpu": row["after"]["server_cpu_ms_per_request"]
            <= row["before_range"]["server_cpu_ms_per_request"][1],
            "req/s": row["after"]["throughput_rps"] >= row["before_range"]["throughput_rps"][0],
        }
        if "gateway_cpu_ms_per_request" in row["after"]:
            checks["gateway cpu"] = (row["after"]["gateway_cpu_ms_per_request"]
                                     <= row["before_range"]["gateway_cpu_ms_per_request"][1])
        row["errors"] = (sum(lv["errors"] for lv in b), sum(lv["errors"] for lv in a))
        row["worse"] = [k for k, ok in checks.items() if not ok]
        rows.append(row)
    return rows


def comparison_markdown(results: dict[str, Any]) -> str:
    if not results.get("comparison"):
        return ""
    labels = {"p50_ms": "p50 ms", "p95_ms": "p95 ms", "p99_ms": "p99 ms",
              "throughput_rps": "req/s", "server_cpu_ms_per_request": "server CPU ms/req",
              "gateway_cpu_ms_per_request": "gateway CPU ms/req",
              "turn_p95_ms": "whole turn p95 ms", "other_cpu_cores": "other work, cores"}
    lines = ["", "Before/after (median of the rounds; before's range over the rounds in "
             "brackets; no regression = after's p95 and CPU ms/req (server; gateway) no "
             "higher than before's highest round and req/s no lower than before's lowest):"]
    for pair in results.get("comparison", []):
        before, after = pair["before"], pair["after"]
        lines += ["", f"| {before} vs {after} | users | " + " | ".join(
            labels[k] for k in COMPARED
            if any(k in row["after"] for row in pair["rows"])) + " | errors | verdict |"]
        keys = [k for k in COMPARED if any(k in row["after"] for row in pair["rows"])]
        lines.append("|---|---|" + "---|" * len(keys) + "---|---|")
        for row in pair["rows"]:
            cells = []
            for k in keys:
                lo, hi = row["before_range"][k]
                cells.append(f"{row['before'][k]} [{lo}–{hi}] → **{row['after'][k]}**")
            verdict = ("no regression" if not row["worse"]
                       else "worse: " + ", ".join(row["worse"]))
            lines.append(f"| | {row['users']} ({row['rounds']} rounds) | " + " | ".join(cells)
                         + f" | {row['errors'][0]} → {row['errors'][1]} | {verdict} |")
        mb, ma = results["servers"][before]["memory"], results["servers"][after]["memory"]
        memory = (f"memory after load, RSS/PSS MB: {before} {mb['rss_mb']}/{mb['pss_mb']}, "
                  f"{after} {ma['rss_mb']}/{ma['pss_mb']}")
        if "gateway_rss_mb" in mb and "gateway_rss_mb" in ma:
            memory += (f"; gateway process alone: {before} {mb['gateway_rss_mb']}/"
                       f"{mb['gateway_pss_mb']}, {after} {ma['gateway_rss_mb']}/"
                       f"{ma['gateway_pss_mb']}")
        lines += ["", memory + "."]
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------


def parse_variant(spec: str) -> tuple[str, dict[str, str]]:
    name, _, rest = spec.partition("=")
    settings = dict(item.split("=", 1) for item in rest.split(",") if item)
    return name, settings


async def measure(servers: list[AnyServer], levels: list[int],
                  args: argparse.Namespace, results: dict[str, Any]) -> None:
    await asyncio.gather(*(s.wait_ready() for s in servers))
    for s in servers:  # warm up: TF graphs, caches, SQLite file
        await run_level(s, 1, 20, 30, args.conversation)
        results["servers"][s.name]["ready_s"] = round(s.ready_s, 1)
        print(f"  {s.name:<10} ready to answer after {s.ready_s:.1f} s", flush=True)
    # every round measures each level on every server; which server goes first alternates
    # from level to level and from round to round (a level's turn flips each round)
    schedule = [(r, i, users) for r in range(args.rounds) for i, users in enumerate(levels)]
    for r, i, users in schedule:
        order = servers if (i + r) % 2 == 0 else servers[::-1]
        for s in order:
            total = max(users, int(LEVELS.get(users, 10 * users) * args.scale))
            profile = (args.profile and s.name == args.profile_server and users == 20)
            spies = start_profile(s.pids()[0], args.max_seconds) if profile else []
            if spies:
                await asyncio.sleep(1.0)  # py-spy attaches before the load starts
            try:
                figures = await run_level(s, users, total, args.max_seconds, args.conversation)
            finally:
                stop_profile(spies)
            figures["round"] = r + 1
            results["servers"][s.name]["levels"].append(figures)
            print(f"  {s.name:<10} {users:>2} users: p50 {figures['p50_ms']:>7} ms  "
                  f"p95 {figures['p95_ms']:>7} ms  p99 {figures['p99_ms']:>7} ms  "
                  f"max {figures['max_ms']:>7} ms  "
                  f"{figures['throughput_rps']:>5} req/s  errors {figures['errors']}  "
                  f"silent {figures['silent']}  "
                  f"(server {figures['server_cpu_cores']} cores, "
                  f"{figures['server_cpu_ms_per_request']} CPU ms/req, other work "
                  f"{figures['other_cpu_cores']} cores"
                  + (f", gateway {figures['gateway_cpu_ms_per_request']} CPU ms/req"
                     if "gateway_cpu_ms_per_request" in figures else "") + ")"
                  + (f"; last bubble p95 {figures['last_bubble_p95_ms']} ms, first "
                     f"{figures['first_bubble_p95_ms']} ms"
                     if "last_bubble_p95_ms" in figures else "")
                  + (f"; sockets per gateway {figures['sockets_per_gateway']}"
                     if "sockets_per_gateway" in figures else ""), flush=True)
    for s in servers:
        memory = s.memory()
        results["servers"][s.name]["memory"] = memory
        gateway = (f" (gateway process RSS {memory['gateway_rss_mb']} MB, "
                   f"PSS {memory['gateway_pss_mb']} MB)" if "gateway_rss_mb" in memory else "")
        print(f"  {s.name:<10} memory after load: RSS {memory['rss_mb']} MB, "
              f"PSS {memory['pss_mb']} MB{gateway}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,20,50", help="concurrent users, comma-separated")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the request counts")
    parser.add_argument("--max-seconds", type=float, default=45, help="time limit per level")
    parser.add_argument("--conversation", type=int, default=10, help="messages per sender")
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument("--skip-ours", action="store_true", help="only the --variant servers")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=K=V,K=V: our model again with these settings")
    parser.add_argument("--production", action="store_true",
                        help="also the production profile (nginx, 2 Rasa servers, 2 gateways, "
                             "PostgreSQL, Redis): REST as `ours-prod`, and web chat users over "
                             "the WebSocket through nginx as `ours-prod-web`")
    parser.add_argument("--redis-url", default="",
                        help="--production's Redis (default: the profile's, "
                             "redis://127.0.0.1:6379/0); its keys under a prefix of its own")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy on --profile-server during the 20-user level")
    parser.add_argument("--profile-server", default="ours")
    parser.add_argument("--model", type=Path,
                        help="serve this model (default: bot.ops.training.train(quiet=True))")
    parser.add_argument("--tag", default="", help="write results/bench_speed_TAG.*")
    parser.add_argument("--compare-tree", type=Path,
                        help="another checkout (e.g. `git worktree add --detach /tmp/x COMMIT`, "
                             "with its .venv and models/ linked): its Rasa server is served as "
                             "--compare-name from that checkout (its own bot package, "
                             "credentials.yml and .venv/bin/rasa), same model unless "
                             "--compare-model; shown side by side with `ours`")
    parser.add_argument("--compare-name", default="before")
    parser.add_argument("--compare-model", type=Path,
                        help="the model --compare-tree serves (default: the same as ours)")
    parser.add_argument("--gateway", action="store_true",
                        help="also the web chat through the gateway (WebSocket) as `ours-web` "
                             "and, with --compare-tree, `NAME-web`: each started by its "
                             "checkout's tests/gateway/e2e_support.running_system (Rasa, "
                             "action server, gateway; SQLite files in a temporary folder; no "
                             "PostgreSQL, no Redis), which picks each process's runtime")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every level this many times (the before/after verdict "
                             "uses before's spread over the rounds)")
    args = parser.parse_args()
    levels = [int(u) for u in args.levels.split(",")]
    bench_started = time.monotonic()

    from bot.ops.evaluation import load_examples
    from bot.ops.training import train

    model = args.model.resolve() if args.model else train(quiet=True)
    ours_messages = [text for text, _ in load_examples()]
    random.Random(6).shuffle(ours_messages)
    servers: list[AnyServer] = []
    if not args.skip_ours:
        servers.append(Server("ours", model, ROOT, ROOT / "credentials.yml", ours_messages))
    for spec in args.variant:
        name, settings = parse_variant(spec)
        lock = settings.pop("lock", "in_memory")
        tracker = settings.pop("tracker", "threaded")
        variant_model = Path(settings.pop("model")).resolve() if "model" in settings else model
        servers.append(Server(name, variant_model, ROOT, ROOT / "credentials.yml", ours_messages,
                              env=settings, lock=lock, tracker=tracker))
    tree = args.compare_tree.resolve() if args.compare_tree else None
    compare_model = args.compare_model.resolve() if args.compare_model else model
    if tree:
        servers.append(Server(args.compare_name, compare_model, tree, tree / "credentials.yml",
                              ours_messages, rasa=str(tree / ".venv" / "bin" / "rasa")))
    if args.gateway:
        # the launcher runs on the Rasa runtime in both checkouts (tests/gateway/ on this
        # one's runtime split); it starts the gateway and action server on the runtime its
        # checkout chose for them
        servers.append(GatewaySystem("ours-web", model, ROOT, sys.executable, ours_messages))
        if tree:
            servers.append(GatewaySystem(f"{args.compare_name}-web", compare_model, tree,
                                         str(tree / ".venv" / "bin" / "python"),
                                         ours_messages))
    if args.production:
        production = ProductionServer("ours-prod", model, ours_messages,
                                      redis_url=args.redis_url)
        servers += [production, ProductionWeb("ours-prod-web", production, ours_messages)]
    if not args.skip_stock:
        project, stock_model = stock_assistant()
        servers.append(Server("stock", stock_model, project, project / "credentials.yml",
                              STOCK_MESSAGES))

    results: dict[str, Any] = {
        "rasa_version": rasa_version(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "loadavg_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "model": model.name,
        "settings": {"levels": {u: max(u, int(LEVELS.get(u, 10 * u) * args.scale))
                                for u in levels},
                     "max_seconds_per_level": args.max_seconds,
                     "messages_per_conversation": args.conversation},
        "servers": {s.name: {"env": s.env, "lock_store": s.lock, "tracker_store": s.tracker,
                             "levels": []} for s in servers},
    }
    print(f"model {model.name}; servers: {', '.join(s.name for s in servers)}; "
          f"load average {results['loadavg_start']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_speed_") as tmp:
        try:
            for s in servers:
                s.start(Path(tmp))
            asyncio.run(measure(servers, levels, args, results))
        except BaseException:
            for s in servers:
                if isinstance(s, Server) and s.workdir and (s.workdir / "rasa.log").exists():
                    tail = (s.workdir / "rasa.log").read_text(errors="replace")[-1500:]
                    print(f"--- {s.name} rasa.log (tail) ---\n{tail}", file=sys.stderr)
                if isinstance(s, GatewaySystem) and s.proc:
                    tail = s._log.read_text(errors="replace")[-1500:]
                    print(f"--- {s.name} launcher (tail) ---\n{tail}", file=sys.stderr)
                if isinstance(s, ProductionServer):
                    print(f"--- {s.name} logs (tails) ---\n{s.log_tail()}", file=sys.stderr)
            raise
        finally:
            for s in servers:
                s.stop()

    if any(s.name == "ours" for s in servers):
        results["component_cost_us"] = component_cost(ours_messages)
        results["targets"] = targets(results, "ours")
    for s in servers:
        if s.name not in ("ours", "stock") and "stock" in results["servers"]:
            results.setdefault("variant_targets", {})[s.name] = targets(results, s.name)
    pairs = [(args.compare_name, "ours"), (f"{args.compare_name}-web", "ours-web")]
    results["comparison"] = [{"before": b, "after": a, "rows": compare(results, b, a)}
                             for b, a in pairs if tree and b in results["servers"]
                             and a in results["servers"]]
    if tree:
        results["compare_tree"] = {"path": str(tree), "commit": subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True).stdout.strip(), "model": compare_model.name}
    if args.profile and (ROOT / "results" / "profile.txt").exists():
        results["profile"] = summarise_profile(ROOT / "results" / "profile.txt")
    results["loadavg_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    results["runtime_s"] = round(time.monotonic() - bench_started)

    stem = "bench_speed" + (f"_{args.tag}" if args.tag else "")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    table = markdown(results) + paths_markdown(results) + comparison_markdown(results)
    (out / f"{stem}.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    if "profile" in results:
        print(f"profile ({results['profile']['samples']} samples, results/profile.svg):")
        for label, pct in results["profile"]["buckets_pct"].items():
            print(f"  {pct:5.1f} %  {label}")
        print("  own time, top functions:")
        for frame, pct in results["profile"]["self_top_pct"].items():
            print(f"  {pct:5.1f} %  {frame}")
    print(f"wrote results/{stem}.json and results/{stem}.md ({results['runtime_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
