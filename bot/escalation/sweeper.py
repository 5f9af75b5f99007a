"""Background task: tell waiting users honestly when no coach can take them.

A waiting case gets ONE message (24/7 alternatives, "leave a message here") when it has waited
past the claim timeout, or when nobody can take it now (out of hours or no coach online).
The case stays open, so a coach answers it when back: no case is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from bot.db.models import utcnow
from bot.escalation import keys, texts
from bot.escalation.common import event_json, in_hours_now
from bot.escalation.rasa_client import RasaError

log = logging.getLogger(__name__)


async def sweep_once(app: web.Application) -> int:
    """One pass; returns how many users were notified."""
    store, settings, rasa = app[keys.STORE], app[keys.SETTINGS], app[keys.RASA]
    candidates = await store.run(store.cases_without_notice)
    if not candidates:
        return 0
    online = await store.run(store.coaches_online, settings.presence_ttl_seconds)
    open_now = in_hours_now(app)
    accepting = online > 0 and open_now
    deadline = utcnow() - timedelta(seconds=settings.claim_timeout_seconds)
    sent = 0
    for case in candidates:
        overdue = case.created_at <= deadline
        if accepting and not overdue:
            continue
        if not await store.run(store.mark_notified, case.id):
            continue  # another pass already took it
        reason = "timeout" if accepting else "closed"
        try:
            await rasa.send_bot_message(
                case.conversation_id, texts.unavailable_message(case.language, reason)
            )
        except RasaError as exc:
            log.warning("could not notify case %s, will retry: %s", case.id, exc)
            await store.run(store.unmark_notified, case.id)
            continue
        ev = await store.run(
            store.add_event,
            case.id,
            "system",
            "Användaren har fått besked om att ingen coach kan svara just nu, med "
            "stödnummer dygnet runt. Ärendet är kvar i kön.",
            None,
            {"notice": reason},
        )
        await app[keys.HUB].send_case(case.id, {"type": "event", "event": event_json(ev, {})})
        sent += 1
    if sent:
        await app[keys.HUB].queue_changed()
    return sent


async def _loop(app: web.Application) -> None:
    wake = app[keys.SWEEP_WAKE]
    interval = app[keys.SETTINGS].sweep_interval_seconds
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=interval)
        wake.clear()
        try:
            await sweep_once(app)
        except Exception:  # keep sweeping whatever happens: a dead sweeper loses users
            log.exception("sweep failed")


async def sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run the sweeper for the life of the app."""
    task = asyncio.create_task(_loop(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
