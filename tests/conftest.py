"""Shared fixtures: one trained model per test run, one loaded Agent, one running Rasa server.

The model is trained from the real config, domain and data (cached in models/ by a
fingerprint of its inputs), so tests that say they cover Rasa run the real assistant.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.settings import NO_TELEMETRY, process_env
from tests.support.runtime_split import item_needs_rasa, module_needs_rasa

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.update(NO_TELEMETRY)  # Rasa loaded in the test process reports nothing either


# which runtime runs which test (tests/support/runtime_split.py): scripts/test.sh runs pytest
# on the service runtime and on the Rasa runtime, each collects only its own tests;
# TEST_RUNTIME=any runs whatever this interpreter can (e.g. everything on the Rasa runtime)
ON_RASA_RUNTIME = importlib.util.find_spec("rasa") is not None
SPLIT = os.environ.get("TEST_RUNTIME", "split") != "any"


class OtherRuntime(pytest.File):
    """A test module that imports Rasa, seen from the service runtime: nothing to collect."""

    def collect(self) -> list[pytest.Item]:
        return []


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    """On the service runtime a module that imports Rasa at the top is not even imported
    (also when named on the command line)."""
    if not ON_RASA_RUNTIME and module_needs_rasa(module_path):
        return OtherRuntime.from_parent(parent, path=module_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests of this runtime: Rasa in-process on the Rasa runtime, the rest on the
    service runtime."""
    if not SPLIT:
        return
    keep = [item for item in items if item_needs_rasa(item) == ON_RASA_RUNTIME]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])



@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[Any]:
    """A new, empty database on TEST_DATABASE_URL's PostgreSQL server (the test skips without
    one), as a SQLAlchemy URL; dropped afterwards, even if a connection is still open."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bot.db.engine import make_engine

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        try:
            yield make_url(url).set(database=name)
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()

@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current inputs (trained once if missing).

    TEST_MODEL=path reuses a given model file instead (quick local iteration only).
    """
    from bot.ops.training import train

    if os.environ.get("TEST_MODEL"):
        return Path(os.environ["TEST_MODEL"])
    return train(quiet=True)


@pytest.fixture(scope="session")
def agent(trained_model: Path) -> Any:
    """A Rasa Agent with the trained model and an in-memory tracker store."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)  # Rasa's per-message debug lines drown test output
    return Agent.load(str(trained_model))


@pytest.fixture(scope="session")
def corpus_results(agent: Any) -> dict[str, Any]:
    """Every safety corpus replayed once through the trained model (about ten minutes on two
    cores), shared by the corpus floors and the ship gate's test."""
    from bot.ops.modelops import safety_corpus

    return safety_corpus.run_all(safety_corpus.AgentTalker(agent))


class Conversation:
    """Talks to a loaded Agent like a channel would; returns the bot's texts per turn."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.sender = f"test-{uuid.uuid4().hex}"

    def say(self, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One user message; `metadata` as a channel passes it (e.g. the page's language)."""
        if metadata is None:
            return asyncio.run(self.agent.handle_text(text, sender_id=self.sender)) or []
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        out = CollectingOutputChannel()
        asyncio.run(self.agent.handle_message(
            UserMessage(text, out, self.sender, metadata=metadata)))
        return out.messages

    def texts(self, text: str, metadata: dict[str, Any] | None = None) -> list[str]:
        return [m.get("text", "") for m in self.say(text, metadata)]

    def tracker(self) -> Any:
        return asyncio.run(self.agent.tracker_store.retrieve(self.sender))


@pytest.fixture
def conversation(agent: Any) -> Conversation:
    return Conversation(agent)


@pytest.fixture(scope="session")
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    import yaml

    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real `rasa run` (REST channel + HTTP API) on a free port with a SQLite tracker store."""
    workdir = tmp_path_factory.mktemp("rasa_server")
    db = workdir / "tracker.db"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'tracker_store:\n  type: bot.rasa_plugins.tracker_store.SQLTrackerStore\n'
        f'  dialect: "sqlite"\n  db: "{db}"\n'
        "lock_store:\n  type: in_memory\n",
        encoding="utf-8",
    )
    port = free_port()
    token = f"test-token-{uuid.uuid4().hex[:8]}"
    log = (workdir / "rasa.log").open("wb")
    from bot.runtimes import rasa_executable

    proc = subprocess.Popen(
        [rasa_executable(), "run", "--enable-api", f"--auth-token={token}", "--model",
         str(trained_model), "--endpoints", str(endpoints), "--credentials",
         str(ROOT / "credentials.yml"), "-i", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        # the default limit per conversation; every test talks from 127.0.0.1, so the
        # address limit is out of the way (tests/test_channel_limits.py covers it)
        env=process_env(os.environ, PYTHONWARNINGS="ignore", REST_RATE_PER_CONVERSATION="20/60",
                        REST_RATE_PER_ADDRESS="100000/60"),
    )
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while time.monotonic() - started < 180:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "rasa.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{url}/status?token={token}", timeout=2) as resp:
                if b"model_file" in resp.read():
                    break
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("rasa server did not become ready")
    yield {"url": url, "token": token, "db": db, "ready_seconds": time.monotonic() - started}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
