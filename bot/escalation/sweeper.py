"""Background tasks: tell waiting users once when nobody claimed their case in time; and
the reconciliation of user messages with Rasa's tracker (bot/escalation/reconcile.py).

A case opened while the service was accepting (coaches online, within hours) and not claimed
within the claim timeout gets ONE notice (utter_coach_timeout from the content file: 24/7
numbers, "your request stays in the queue"). A case opened while not accepting is marked
notified at creation: the Rasa action told the user synchronously (utter_coach_unavailable).
The case stays open either way, so a coach answers it when back: no case is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.clients.rasa import RasaError, delivery_channel
from bot.db.models import utcnow
from bot.escalation import keys, texts
from bot.escalation.common import event_json
from bot.escalation.reconcile import Reconciler
from bot.escalation.service import user_text

log = logging.getLogger(__name__)


async def sweep_once(app: web.Application) -> int:
    """One pass over unclaimed cases; returns how many users were sent the timeout notice."""
    store, settings, rasa = app[keys.STORE], app[keys.SETTINGS], app[keys.RASA]
    candidates = await store.run(store.cases_without_notice)
    if not candidates:
        return 0
    deadline = utcnow() - timedelta(seconds=settings.claim_timeout_seconds)
    sent = 0
    for case in candidates:
        if case.created_at > deadline:
            continue
        if not await store.run(store.mark_notified, case.id):
            continue  # another pass already took it
        try:
            text = await user_text("utter_coach_timeout", case.language)
            await rasa.send_bot_message(case.conversation_id, text,
                                        delivery_channel(case.channel))
        except RasaError as exc:
            log.warning("could not notify case %s, will retry: %s", case.id, exc)
            await store.run(store.unmark_notified, case.id)
            continue
        except Exception:
            await store.run(store.unmark_notified, case.id)
            raise
        ev = await store.run(
            store.add_event,
            case.id,
            "system",
            texts.USER_TOLD_TIMEOUT,
            None,
            {"notice": "timeout"},
        )
        await app[keys.HUB].send_case(case.id, {"type": "event", "event": event_json(ev, {})})
        sent += 1
    if sent:
        await app[keys.HUB].queue_changed()
    return sent


async def _every(interval: float, work: Callable[[], Awaitable[object]], what: str,
                 wake: asyncio.Event | None = None, at_once: bool = True) -> None:
    """Run `work` every `interval` seconds (and when `wake` is set), whatever it raises:
    a dead sweeper or reconciliation loses users."""
    while True:
        if at_once:
            try:
                await work()
            except Exception:
                log.exception("%s failed", what)
        at_once = True
        if wake is None:
            await asyncio.sleep(interval)
            continue
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=interval)
        wake.clear()


async def sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: for the life of the app, the sweeper (its first pass at once: cases that
    waited while the service was down) and the reconciliation of relays with Rasa's tracker
    (bot/escalation/reconcile.py), each on its own interval."""
    settings = app[keys.SETTINGS]
    tasks = [
        asyncio.create_task(_every(settings.sweep_interval_seconds, lambda: sweep_once(app),
                                   "sweep", app[keys.SWEEP_WAKE])),
        asyncio.create_task(_every(settings.reconcile_interval_seconds,
                                   Reconciler(app).run_once, "relay reconciliation",
                                   at_once=False)),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
