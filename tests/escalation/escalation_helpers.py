"""Helpers shared by the escalation tests: FakeRasa, Env, login, wait_for, settings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.escalation import keys, security
from bot.escalation.settings import Settings
from bot.hours import parse_coach_hours

INTERNAL_TOKEN = "test-internal-token"
RASA_TOKEN = "test-rasa-token"
ALWAYS_OPEN = ",".join(
    f"{d}=00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


@dataclass
class FakeRasa:
    """Stand-in for Rasa's HTTP API: records calls, keeps a tracker per conversation."""

    token: str = RASA_TOKEN
    calls: list[dict[str, Any]] = field(default_factory=list)
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail: bool = False

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/conversations/{cid}/tracker/events", self._append)
        app.router.add_get("/conversations/{cid}/tracker", self._tracker)
        return app

    def _check(self, request: web.Request) -> web.Response | None:
        if self.fail:
            return web.json_response({"error": "boom"}, status=500)
        if request.query.get("token") != self.token:
            return web.json_response({"error": "unauthorized"}, status=401)
        return None

    async def _append(self, request: web.Request) -> web.Response:
        body = await request.json()
        cid = request.match_info["cid"]
        self.calls.append(
            {"method": "POST", "conversation_id": cid, "query": dict(request.query), "json": body}
        )
        if (bad := self._check(request)) is not None:
            return bad
        self.trackers.setdefault(cid, []).extend(body)
        return web.json_response({"sender_id": cid, "events": self.trackers[cid]})

    async def _tracker(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        self.calls.append({"method": "GET", "conversation_id": cid, "query": dict(request.query)})
        if (bad := self._check(request)) is not None:
            return bad
        return web.json_response({"sender_id": cid, "events": self.trackers.get(cid, [])})

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event POSTed for one conversation, flattened, in order (accepted or not)."""
        return [ev for body in self.posted(conversation_id) for ev in body]

    def posted(self, conversation_id: str | None = None) -> list[list[dict[str, Any]]]:
        """Bodies of successful-or-not event POSTs, optionally for one conversation."""
        return [
            c["json"]
            for c in self.calls
            if c["method"] == "POST"
            and (conversation_id is None or c["conversation_id"] == conversation_id)
        ]


@dataclass
class Env:
    """Everything a test needs: the running service, FakeRasa and helpers."""

    app: web.Application
    server: TestServer
    rasa: FakeRasa
    make_client: Callable[[], Awaitable[TestClient]]
    clock: dict[str, datetime | None]

    @property
    def store(self) -> Any:
        return self.app[keys.STORE]

    async def create_coach(
        self, username: str, role: str = "coach", password: str = "correct horse battery"
    ) -> int:
        coach = await self.store.run(
            self.store.create_coach, username, security.hash_password(password), role
        )
        return coach.id

    async def internal(
        self,
        client: TestClient,
        method: str,
        path: str,
        json: Any = None,
        token: str | None = INTERNAL_TOKEN,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await client.request(method, path, json=json, headers=headers)

    async def open_case(
        self,
        client: TestClient,
        conversation_id: str,
        trigger: str = "request_human",
        language: str = "sv",
        summary: str = "Vill prata med någon",
        channel: str = "callback",  # the web/SMS gateway's channel: coach messages are pushed
    ) -> dict[str, Any]:
        resp = await self.internal(
            client,
            "POST",
            "/internal/cases",
            {
                "conversation_id": conversation_id,
                "channel": channel,
                "language": language,
                "trigger": trigger,
                "intents_seen": ["greet", trigger],
                "summary": summary,
            },
        )
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


CASE_PAYLOAD: dict[str, Any] = {
    "channel": "rest",
    "language": "sv",
    "trigger": "request_human",
    "intents_seen": ["greet", "request_human"],
    "summary": "Vill prata med någon",
}


def case_payload(conversation_id: str, **overrides: Any) -> dict[str, Any]:
    """A POST /internal/cases body."""
    return {**CASE_PAYLOAD, "conversation_id": conversation_id, **overrides}


def make_settings(db_url: str, rasa_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=db_url,
        rasa_url=rasa_url,
        rasa_token=RASA_TOKEN,
        internal_token=INTERNAL_TOKEN,
        session_secret="test-session-secret",
        coach_hours=parse_coach_hours(ALWAYS_OPEN),
        close_on_holidays=False,
        sweep_interval_seconds=3600,  # tests call sweep_once; the loop only runs when woken
        reconcile_interval_seconds=3600,  # tests run a pass themselves
        rasa_timeout_seconds=2,
    )
    values.update(overrides)
    return Settings(**values)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


async def login(
    client: TestClient,
    username: str,
    password: str = "correct horse battery",
) -> str:
    """Log in through the real form; return the session's CSRF token."""
    page = await client.get("/login")
    token = CSRF_INPUT.search(await page.text())
    assert token, "login form has a CSRF field"
    resp = await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token.group(1),
            "next": "/queue",
        },
        allow_redirects=False,
    )
    assert resp.status == 302, await resp.text()
    queue = await client.get("/queue")
    meta = CSRF_META.search(await queue.text())
    assert meta and meta.group(1)
    return meta.group(1)


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll until predicate() is true (for things that happen in background tasks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def coach_client(env: Env, username: str, role: str = "coach") -> tuple[TestClient, str]:
    """A new account, logged in through the form: its client and CSRF token."""
    await env.create_coach(username, role)
    client = await env.make_client()
    return client, await login(client, username)


async def post_json(client: TestClient, path: str, csrf: str | None, json: Any = None) -> Any:
    """POST JSON with the session's CSRF header (none: without it)."""
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return await client.post(path, json=json, headers=headers)
