"""Hand a conversation to a coach: the case request built from a tracker, the call to the
escalation API, and what the user is told. A library: the action server's `action_escalate`
runs it, and so does Rasa's relay broker when the action server is down (both through the
escalation API, never the service's database).

Service down: the user gets the 24/7 numbers at once and the request goes into the callers'
retry queue (bot.clients.escalation.PendingCases, a SQLite file beside the other data in
var/), which the action server posts again until the service takes it; nothing is lost and
no process writes into another's database.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType

from bot import content, metrics, protocol, safety_actions
from bot.clients.escalation import (
    CaseRefused,
    EscalationClient,
    EscalationUnavailable,
    PendingCases,
)
from bot.hours import current_hours_text
from bot.privacy import scrub
from bot.settings import load

log = logging.getLogger(__name__)

QUEUED_KEY = "queued"  # on a request posted again from the retry queue: the service notes it

TOPICS_SV = {
    "ask_how_to_leave": "vill hoppa av",
    "fear_retaliation": "rädd för hämnd/hot",
    "help_debt": "skulder",
    "help_housing": "boende/flytt",
    "help_school_work": "skola/jobb",
    "help_protected_identity": "skyddad identitet",
    "help_addiction": "droger/alkohol",
    "help_mental_health": "mår psykiskt dåligt",
    "worried_relative": "anhörig som oroar sig",
    "ask_call_in": "kallad till samtal",
    "ask_legal_consequences": "rädd för straff/vittna",
    "ask_anonymity": "frågar om anonymitet",
    "report_tip": "vill tipsa polisen",
    "crisis_suicidal": "SJÄLVMORDSTANKAR",
    "emergency_danger": "AKUT FARA",
}


def _dict(value: Any) -> dict[str, Any]:
    """A tracker field as sent by Rasa, or {} if a caller sent something else (the action
    server only checks the outer shape; a malformed call must not crash the action)."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def session_user_events(tracker: Tracker) -> list[dict[str, Any]]:
    """User events since the last session start."""
    events: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            events = []
        elif event.get("event") == "user":
            events.append(event)
    return events


def intents_seen(tracker: Tracker) -> list[str]:
    names = [_dict(_dict(e.get("parse_data")).get("intent")).get("name") for e in
             session_user_events(tracker)]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def trigger_for(tracker: Tracker) -> str:
    """The most urgent reason for this case: it sets the queue priority.

    A safety answer the dialogue gave counts as much as the intent: a "do you mean you're
    thinking of taking your life?" answered "ja" is a crisis whatever the classifier said.
    """
    seen = set(intents_seen(tracker))
    bot_actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    kinds = {safety_actions.kind_of(str(name)) for name in bot_actions}
    if safety_actions.DANGER in kinds:
        seen.add(protocol.DANGER_INTENT)
    if safety_actions.CRISIS in kinds:
        seen.add(protocol.CRISIS_INTENT)
    for trigger in (*protocol.SAFETY_INTENTS, protocol.THREAT_INTENT):
        if trigger in seen:
            return trigger
    if protocol.FALLBACK_HUMAN_ACTION in bot_actions[-6:]:
        return "fallback"
    return "request_human"


def summary_for(tracker: Tracker, seen: list[str]) -> str:
    """A few lines a coach reads before answering: topics and the last questions, scrubbed."""
    topics = [TOPICS_SV[i] for i in seen if i in TOPICS_SV]
    texts = [_text(e.get("text")) for e in session_user_events(tracker)]
    recent = [scrub(t.strip())[:200] for t in texts if t.strip() and not t.startswith("/")][-3:]
    parts = []
    if topics:
        parts.append("Ämnen: " + ", ".join(topics) + ".")
    if recent:
        parts.append("Senaste meddelanden: " + " | ".join(f"«{t}»" for t in recent))
    return " ".join(parts)[:1000] or "Ingen sammanfattning."


def client_of(tracker: Tracker) -> str | None:
    """The client key Rasa's channel put on the latest message
    (bot/rasa_plugins/channels/rest.py)."""
    metadata = _dict(_dict(tracker.latest_message).get("metadata"))
    client = metadata.get("client")
    return client if isinstance(client, str) and 0 < len(client) <= 64 else None


def case_request(tracker: Tracker) -> dict[str, Any]:
    seen = intents_seen(tracker)
    client = client_of(tracker)
    return {
        **({"client": client} if client else {}),
        "conversation_id": tracker.sender_id,
        "channel": _text(tracker.get_latest_input_channel()) or "unknown",
        "language": "en" if tracker.get_slot("language") == "en" else "sv",
        "trigger": trigger_for(tracker),
        "intents_seen": seen,
        "summary": summary_for(tracker, seen),
    }



@dataclass(frozen=True)
class Outcome:
    """What the user is told and the events the action returns."""

    texts: list[str]
    events: list[EventType]


async def drain(queue: PendingCases, client: EscalationClient) -> int:
    """Post every queued request again; returns how many the service took."""
    done = 0
    max_age = load().retention_days * 86400
    for entry_id, payload, created in queue.entries():
        if time.time() - created > max_age:
            queue.delete(entry_id)
            continue
        try:
            await client.open_case({**payload, QUEUED_KEY: True}, attempts=1)
        except CaseRefused as exc:  # over a limit: it would be refused forever
            log.warning("queued case request %s dropped: %s", entry_id, exc)
            queue.delete(entry_id)
            continue
        except EscalationUnavailable as exc:
            queue.failed(entry_id, str(exc))
            if "status 4" in str(exc):  # the request itself is invalid: it never will pass
                queue.delete(entry_id)
                continue
            break  # still down: try again on the next pass
        queue.delete(entry_id)
        done += 1
    return done


async def escalate(tracker: Tracker, client: EscalationClient | None = None,
                   queue: PendingCases | None = None) -> Outcome:
    """Open a coach case for the conversation and say honestly what happens next."""
    payload = case_request(tracker)
    lang = payload["language"]
    settings = load()
    own = client is None
    client = client or EscalationClient(settings.escalation_url,
                                        settings.escalation_internal_token,
                                        settings.escalation_timeout_seconds)
    try:
        result = await client.open_case(payload)
    except CaseRefused as exc:
        log.warning("case refused by the escalation service: %s", exc)
        metrics.CASE_REQUESTS.labels("refused").inc()
        return Outcome([content.text("utter_coach_unavailable", lang,
                                     hours=current_hours_text(lang))], [])
    except EscalationUnavailable as exc:
        log.warning("escalation service unavailable, request queued: %s", exc)
        metrics.CASE_REQUESTS.labels("queued").inc()
        try:
            (queue or PendingCases()).put(payload)
        except Exception:  # the user still gets the numbers below
            log.exception("could not queue the escalation request")
        return Outcome([content.text("utter_escalation_failed", lang)], [])
    finally:
        if own:
            await client.close()
    metrics.CASE_REQUESTS.labels("opened").inc()
    if result.get("accepting"):
        wait = result.get("estimated_wait_seconds") or 60
        minutes = max(1, round(wait / 60))
        return Outcome([content.text("utter_coach_coming", lang, minutes=minutes)],
                       [ConversationPaused()])
    return Outcome([content.text("utter_coach_unavailable", lang,
                                 hours=current_hours_text(lang))], [])
