"""Background task: every user message of an open case reaches the coach, once.

Rasa's relay broker posts each user message to the case from a queue in the Rasa process:
fast, but gone if that process is killed right after answering, or if it gives up after its
retries. The tracker store wrote the message before Rasa published it and before Rasa
answered, so the tracker is the durable record. This pass reads, for each open case with
recent activity, the conversation's tracker through the one Rasa client (any Rasa instance
serves any tracker: the store is shared) and stores each user message of the case that the
case does not hold, shown live to the coach like a relay (CaseService.user_message). A
message is named by Rasa's message id (else its time), so one that both ways bring, or two
service instances at once, is stored once, and its leave word or priority raise acts once.

Which messages belong to the case: those said after it opened, and the one just before
(the message that led to it, which the broker relays after the turn that opened the case),
never one said before the conversation's previous case ended. Rasa stores a turn when it
ends, after the case opened: until the tracker holds an event from then on, the message that
led to it is not known (the previous one would look like it), so the case waits a pass. A
message younger than `GRACE_SECONDS` is left to the broker for the next pass.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot import metrics
from bot.clients.rasa import RasaError, transcript_from_events
from bot.db.models import Case, CaseEvent, epoch
from bot.escalation import keys
from bot.escalation.common import DomainError
from bot.escalation.store import relay_key

log = logging.getLogger(__name__)

GRACE_SECONDS = 2.0  # the broker relays within milliseconds; younger messages wait a pass
RECENT_SECONDS = 600.0  # a case with an event this recent is compared every pass
QUIET_RECHECK_SECONDS = 60.0  # a quieter open case (the user may write again) this often


def case_messages(events: list[Any], case: Case, previous_end: datetime | None,
                  until: float) -> list[dict[str, Any]]:
    """The user messages of a tracker that belong to `case` (see the module docstring),
    said up to `until`, as transcript entries (text, timestamp, intent, ids)."""
    opened = epoch(case.created_at)
    if not any(isinstance(e, dict) and isinstance(e.get("timestamp"), (int, float))
               and e["timestamp"] >= opened for e in events):
        return []  # the turn that opened the case is not stored yet: its message unknown
    since = epoch(previous_end) if previous_end is not None else None
    # every message first: a young one left to the broker still marks where the case starts
    users = [e for e in transcript_from_events(events, math.inf, since) if e["who"] == "user"]
    before = [i for i, e in enumerate(users) if e["timestamp"] <= opened]
    return [e for e in users[before[-1] if before else 0:] if e["timestamp"] <= until]


def _stored(events: list[CaseEvent]) -> tuple[set[str], set[float]]:
    """What the case holds: relay keys, and the times of user messages stored without one
    (relayed before keys existed)."""
    names = {ev.relay_key for ev in events if ev.relay_key}
    stamps = {float(ev.data["timestamp"]) for ev in events
              if ev.kind == "user" and not ev.relay_key and isinstance(ev.data, dict)
              and isinstance(ev.data.get("timestamp"), (int, float))}
    return names, stamps


async def reconcile_case(app: web.Application, case: Case, now: float) -> int:
    """Store the case's user messages that the tracker has and the case lacks; how many.
    RasaError if Rasa did not answer."""
    store, service = app[keys.STORE], app[keys.CASES]
    tracker = await app[keys.RASA].tracker(case.conversation_id)
    previous_end = await store.run(store.previous_case_end, case)
    wanted = case_messages(tracker.get("events") or [], case, previous_end,
                           now - GRACE_SECONDS)
    if not wanted:
        return 0
    names, stamps = _stored(await store.run(store.events, case.id))
    filled = 0
    for message in wanted:
        message_id = message.get("user_message_id")
        if relay_key(message_id, message["timestamp"]) in names or \
                message["timestamp"] in stamps:
            continue
        try:
            done = await service.user_message(
                case.conversation_id, message["text"], message.get("intent"),
                float(message["timestamp"]), message.get("button_title"), message_id,
                late=True)
        except DomainError as exc:  # stored; a leave word's resume failed (the coach is told)
            log.warning("case %s: a late user message: %s", case.id, exc.code)
            break
        if done is None:  # the case closed meanwhile
            break
        if not done.duplicate:
            filled += 1
            metrics.RELAYS_RECONCILED.inc()
        if done.left:
            break
    if filled:
        log.warning("case %s: %d user message(s) its relay did not bring, stored from the "
                    "tracker", case.id, filled)
    return filled


@dataclass
class Reconciler:
    """The passes of one service instance: when it last compared each open case (quiet
    ones are spared between passes), and whether Rasa answered (logged once per outage)."""

    app: web.Application
    checked: dict[str, float] = field(default_factory=dict)  # case id -> time.monotonic()
    rasa_down: bool = False

    async def run_once(self, now: float | None = None) -> int:
        """One pass over the open cases; how many user messages were filled in."""
        now = time.time() if now is None else now
        store = self.app[keys.STORE]
        cases = await store.run(store.open_cases_with_activity)
        tick = time.monotonic()
        for gone in set(self.checked) - {case.id for case, _ in cases}:
            del self.checked[gone]
        filled = 0
        for case, last_activity in cases:
            if epoch(last_activity) < now - RECENT_SECONDS and \
                    tick - self.checked.get(case.id, float("-inf")) < QUIET_RECHECK_SECONDS:
                continue
            try:
                filled += await reconcile_case(self.app, case, now)
            except RasaError as exc:  # next pass; the broker's relays still arrive meanwhile
                if not self.rasa_down:
                    log.warning("reconciliation waits: Rasa did not answer: %s", exc)
                self.rasa_down = True
                return filled
            self.checked[case.id] = tick
        self.rasa_down = False
        return filled
