"""The one client of the escalation service's internal API.

`EscalationClient` (Bearer ESCALATION_INTERNAL_TOKEN) is used by the action server (open a case)
and by Rasa's relay broker (user messages to an open case, missed messages to the review inbox).
`GatewayCalls` (the X-Gateway-Callback-Token header) is the gateway's part: the coach status,
the young person's presence and typing, SMS delivery failures. Retries are the callers' choice:
each knows what a lost request costs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.clients.http import HttpClient
from bot.protocol import CALLBACK_HEADER
from bot.settings import ROOT, load

log = logging.getLogger(__name__)


class EscalationUnavailable(Exception):
    """The escalation service did not accept the request."""


class CaseRefused(Exception):
    """The service refused the case on purpose (limit of open cases per client or
    conversation): queueing it for later would only fill the queue later."""


class EscalationClient(HttpClient):
    """POSTs to /internal/...; one aiohttp session, opened on first use."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float = 5.0) -> None:
        super().__init__(timeout_seconds)
        self.base_url = base_url.rstrip("/")
        self.token = token

    async def __aenter__(self) -> EscalationClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _post(self, path: str, payload: dict[str, Any]) -> tuple[int, str, Any]:
        """(status, body text, JSON body or None); network errors raise aiohttp's."""
        async with self.session().post(f"{self.base_url}{path}", json=payload, headers={
                "Authorization": f"Bearer {self.token}"}) as resp:
            text = await resp.text()
            data = await resp.json(content_type=None) if resp.status in (200, 201) else None
            return resp.status, text, data

    async def open_case(self, payload: dict[str, Any], attempts: int = 2) -> dict[str, Any]:
        """POST /internal/cases, retrying quickly; raises CaseRefused or EscalationUnavailable."""
        last: Exception | None = None
        for attempt in range(attempts):
            try:
                status, text, data = await self._post("/internal/cases", payload)
                if status in (200, 201):
                    return data if isinstance(data, dict) else {}
                if status == 429:  # too many cases from this client: not for a retry queue
                    raise CaseRefused(f"status 429: {text[:200]}")
                last = EscalationUnavailable(f"status {status}: {text[:200]}")
                if status < 500:
                    break  # our request is wrong; retrying will not help
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                last = exc
            await asyncio.sleep(0.3 * (attempt + 1))
        raise EscalationUnavailable(str(last))

    async def relay_message(self, conversation_id: str, text: str, intent: str | None,
                            timestamp: float | None, button_title: str | None = None,
                            message_id: str | None = None) -> int:
        """A user message for the conversation's open case: 202 taken (also when it was
        taken before: `message_id`, Rasa's, names it), 404 no open case; `button_title`: the
        message is a button's payload, so the coach reads its title."""
        path = f"/internal/conversations/{quote(conversation_id, safe='')}/messages"
        status, _, _ = await self._post(path, {
            "text": text, "intent": intent, "timestamp": timestamp,
            **({"button_title": button_title[:200]} if button_title else {}),
            **({"message_id": message_id} if message_id else {})})
        return status

    async def post_review(self, payload: dict[str, Any]) -> int:
        """A missed message for the review inbox (the service scrubs it): 202 taken."""
        status, _, _ = await self._post("/internal/review", payload)
        return status


class GatewayCalls:
    """The gateway's calls to /internal/gateway/*: paths and header in one place. The gateway
    lends its own aiohttp session (`http`, set when it starts); network errors raise aiohttp's
    or asyncio's, and each caller decides what a lost call costs."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.token)

    @property
    def started(self) -> bool:
        return self.http is not None

    def _conversation(self, sender: str, what: str) -> str:
        return f"{self.base_url}/internal/gateway/conversations/{quote(sender, safe='')}/{what}"

    async def _post(self, url: str, body: dict[str, Any], timeout: float | None = None) -> int:
        if self.http is None:
            raise EscalationUnavailable("gateway not started")
        limit = aiohttp.ClientTimeout(total=timeout) if timeout else None
        async with self.http.post(url, json=body, headers={CALLBACK_HEADER: self.token},
                                  **({"timeout": limit} if limit else {})) as resp:
            await resp.read()
            return resp.status

    async def availability(self, timeout: float = 3) -> dict[str, Any] | None:
        """GET /internal/gateway/availability: the coach status, or None unless 200."""
        if self.http is None:
            raise EscalationUnavailable("gateway not started")
        async with self.http.get(f"{self.base_url}/internal/gateway/availability",
                                 headers={CALLBACK_HEADER: self.token},
                                 timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            if resp.status != 200:
                return None
            data = await resp.json()
            return data if isinstance(data, dict) else None

    async def presence(self, sender: str, reason: str) -> int:
        """The young person left, has no page open, or is back: 202 taken, 404 no open case."""
        return await self._post(self._conversation(sender, "presence"), {"reason": reason})

    async def typing(self, sender: str, on: bool, timeout: float = 3) -> int:
        """The young person is (not) typing: shown to their coach only."""
        return await self._post(self._conversation(sender, "typing"), {"on": on}, timeout)

    async def delivery_failures(self, sender: str, message_ids: list[str], status: str,
                                error_code: str | None) -> int:
        """A coach's SMS did not arrive: 2xx marked, 404 no case shows the conversation."""
        return await self._post(self._conversation(sender, "delivery-failures"), {
            "message_ids": message_ids, "status": status, "error_code": error_code})


def pending_path() -> Path:
    path = Path(load().action_queue_path)
    return path if path.is_absolute() else ROOT / path


class PendingCases:
    """Case requests the escalation service could not take yet, kept on disk until it can.

    One SQLite file (var/pending_cases.db by default); written by whoever could not reach the
    service (the action server, or Rasa's relay broker standing in for it), drained by the
    action server (`drain`). Holds scrubbed summaries and pseudonymous ids, as the service does;
    an entry older than RETENTION_DAYS is dropped without being sent.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or pending_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, "
                     "payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER "
                     "NOT NULL DEFAULT 0, last_error TEXT)")
        return conn

    def put(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload)  # not JSON-serialisable: fail here, in the caller
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO pending (payload, created) VALUES (?, ?)",
                         (data, time.time()))
        self.path.chmod(0o600)
        log.info("case request for conversation %r queued for a retry",
                 str(payload.get("conversation_id"))[:80])

    def entries(self, limit: int = 100) -> list[tuple[int, dict[str, Any], float]]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT id, payload, created FROM pending ORDER BY id LIMIT ?",
                                (limit,)).fetchall()
        return [(row[0], json.loads(row[1]), row[2]) for row in rows]

    def delete(self, entry_id: int) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM pending WHERE id = ?", (entry_id,))

    def failed(self, entry_id: int, error: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE pending SET attempts = attempts + 1, last_error = ? "
                         "WHERE id = ?", (error[:500], entry_id))

    def purge(self, before: float, dry_run: bool = False) -> int:
        """Delete requests queued before `before` (a Unix time); how many."""
        old = [i for i, _, created in self.entries(10_000) if created < before]
        for entry_id in [] if dry_run else old:
            self.delete(entry_id)
        return len(old)

    def forget(self, conversation_id: str) -> int:
        """Delete a conversation's queued requests (`python -m bot forget`)."""
        if not self.path.exists():
            return 0
        gone = [i for i, payload, _ in self.entries(10_000)
                if payload.get("conversation_id") == conversation_id]
        for entry_id in gone:
            self.delete(entry_id)
        return len(gone)
