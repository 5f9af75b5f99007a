"""Tells the escalation service what the gateway knows about a young person that no message
says: their chat page is open again, no page is open, they left with the quick exit, or they
sent SMS STOP. Through the service's gateway API (POST
/internal/gateway/conversations/{id}/presence with GATEWAY_CALLBACK_TOKEN, like the typing
dots and delivery reports: the gateway never holds the internal token) with an explicit
`reason`: the coach's console decides nothing from message texts.

Only conversations with an open case matter; the service answers 404 for the others, and a
failed post is logged and dropped (the coach then simply is not told).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

import aiohttp

from bot.clients.escalation import EscalationUnavailable, GatewayCalls
from bot.protocol import NO_PAGE, PAGE_OPEN

log = logging.getLogger(__name__)

# a reload or a short network drop reopens the socket within seconds: only a page that
# stays closed this long is reported as "no page open"
NO_PAGE_GRACE_SECONDS = 15.0
MAX_TRACKED = 50_000


class PresenceReporter:
    def __init__(self, escalation: GatewayCalls,
                 grace_seconds: float = NO_PAGE_GRACE_SECONDS) -> None:
        self.escalation = escalation
        self.grace = grace_seconds
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._away: OrderedDict[str, None] = OrderedDict()  # reported "no page" (or left)
        self.sent: list[tuple[str, str]] = []  # (sender, reason) the service accepted

    @property
    def enabled(self) -> bool:
        return self.escalation.enabled

    async def report(self, sender: str, reason: str) -> bool:
        """True when the service took the report (or said the conversation has no case)."""
        if not self.enabled or not self.escalation.started:
            return False
        try:
            status = await self.escalation.presence(sender, reason)
            if status == 202:
                self.sent.append((sender, reason))
                del self.sent[:-100]
            elif status != 404:  # 404: no open case, nothing to tell
                log.warning("escalation service answered %s to a presence report", status)
                return False
            return True
        except (aiohttp.ClientError, asyncio.TimeoutError, EscalationUnavailable) as exc:
            log.warning("presence not reported: %r", exc)
            return False

    def page_open(self, sender: str) -> None:
        """A socket said hello: cancel a pending "no page"; if one was reported, say so."""
        task = self._pending.pop(sender, None)
        if task is not None:
            task.cancel()
        if sender in self._away:
            del self._away[sender]
            self._track(asyncio.ensure_future(self.report(sender, PAGE_OPEN)))

    def page_closed(self, sender: str, still_open: int) -> None:
        """The last socket of a conversation closed: report it if none opens in time."""
        if still_open or sender in self._pending:
            return

        async def later() -> None:
            await asyncio.sleep(self.grace)
            self._pending.pop(sender, None)
            self._mark_away(sender)
            await self.report(sender, NO_PAGE)

        self._pending[sender] = asyncio.ensure_future(later())

    async def left(self, sender: str, reason: str) -> bool:
        """Quick exit or SMS STOP: at once, and no later "no page" for it."""
        task = self._pending.pop(sender, None)
        if task is not None:
            task.cancel()
        self._mark_away(sender)
        return await self.report(sender, reason)

    def left_soon(self, sender: str, reason: str) -> None:
        """`left` in a task of the reporter's own (the caller's may be cancelled)."""
        self._track(asyncio.ensure_future(self.left(sender, reason)))

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _mark_away(self, sender: str) -> None:
        self._away[sender] = None
        self._away.move_to_end(sender)
        while len(self._away) > MAX_TRACKED:
            self._away.popitem(last=False)

    async def close(self) -> None:
        for task in [*self._pending.values(), *self._tasks]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pending.clear()
