"""action_escalate: hand the conversation to a human coach.

Calls the escalation service's internal API to open a case (pseudonymous conversation id,
channel, language, priority trigger, scrubbed summary). A coach coming: tell the user the
wait and pause the bot (ConversationPaused), so the coach talks alone. Nobody can answer now:
say so honestly with the 24/7 numbers; the case stays open for a coach to answer later.
Service down: give the numbers at once and put the request in the outbox, which the service
drains when it is back, so no request is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import content, safety_actions
from bot.escalation.settings import Settings
from bot.privacy import scrub

log = logging.getLogger(__name__)

SAFETY_TRIGGERS = ("emergency_danger", "crisis_suicidal")
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
        seen.add("emergency_danger")
    if safety_actions.CRISIS in kinds:
        seen.add("crisis_suicidal")
    for trigger in (*SAFETY_TRIGGERS, "fear_retaliation"):
        if trigger in seen:
            return trigger
    if "utter_fallback_human" in bot_actions[-6:]:
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
    """The client key Rasa's channel put on the latest message (bot/channels/rest.py)."""
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


class EscalationUnavailable(Exception):
    """The escalation service did not accept the request."""


class CaseRefused(Exception):
    """The service refused the case on purpose (limit of open cases per client or
    conversation): queueing it for later would only fill the queue later."""


async def open_case(payload: dict[str, Any], attempts: int = 2) -> dict[str, Any]:
    """POST /internal/cases, retrying once quickly; raises EscalationUnavailable."""
    url = os.environ.get("ESCALATION_URL", "http://127.0.0.1:8080").rstrip("/")
    token = os.environ.get("ESCALATION_INTERNAL_TOKEN", "change-me-internal-token")
    timeout = aiohttp.ClientTimeout(total=float(os.environ.get("ESCALATION_TIMEOUT", "5")))
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
                f"{url}/internal/cases", json=payload,
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                if resp.status in (200, 201):
                    return await resp.json()
                if resp.status == 429:  # too many cases from this client: not for the outbox
                    raise CaseRefused(f"status 429: {(await resp.text())[:200]}")
                last = EscalationUnavailable(f"status {resp.status}: {(await resp.text())[:200]}")
                if resp.status < 500:
                    break  # our request is wrong; retrying will not help
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            last = exc
        await asyncio.sleep(0.3 * (attempt + 1))
    raise EscalationUnavailable(str(last))


def save_for_later(payload: dict[str, Any]) -> None:
    """Put the request in the outbox that the escalation service drains when it is back."""
    from bot.escalation.outbox import enqueue

    enqueue(os.environ.get("DATABASE_URL", "sqlite:///var/app.db"), payload)


class ActionEscalate(Action):
    """Open a coach case and tell the user honestly what happens next."""

    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        payload = case_request(tracker)
        lang = payload["language"]
        try:
            result = await open_case(payload)
        except CaseRefused as exc:
            log.warning("case refused by the escalation service: %s", exc)
            dispatcher.utter_message(text=content.text("utter_coach_unavailable", lang,
                                                       hours=Settings.from_env().hours_text(lang)))
            return []
        except EscalationUnavailable as exc:
            log.warning("escalation service unavailable, request queued: %s", exc)
            try:
                save_for_later(payload)
            except Exception:  # the user still gets the numbers below
                log.exception("could not queue the escalation request")
            dispatcher.utter_message(text=content.text("utter_escalation_failed", lang))
            return []
        if result.get("accepting"):
            wait = result.get("estimated_wait_seconds") or 60
            minutes = max(1, round(wait / 60))
            dispatcher.utter_message(text=content.text("utter_coach_coming", lang,
                                                       minutes=minutes))
            return [ConversationPaused()]
        dispatcher.utter_message(text=content.text("utter_coach_unavailable", lang,
                                                       hours=Settings.from_env().hours_text(lang)))
        return []


class ActionOpeningHours(Action):
    """When coaches answer, from COACH_HOURS (the hours the escalation service keeps), plus the
    numbers that answer day and night."""

    def name(self) -> str:
        return "action_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = "en" if tracker.get_slot("language") == "en" else "sv"
        hours = Settings.from_env().hours_text(lang)
        dispatcher.utter_message(text=content.text("utter_opening_hours", lang, hours=hours))
        return []
