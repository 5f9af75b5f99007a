"""action_escalate: hand the conversation to a human coach (bot/case_request.py).

Calls the escalation service's internal API to open a case (pseudonymous conversation id,
channel, language, priority trigger, scrubbed summary). A coach coming: tell the user the
wait and pause the bot (ConversationPaused), so the coach talks alone. Nobody can answer now:
say so honestly with the 24/7 numbers; the case stays open for a coach to answer later.
Service down: give the numbers at once and keep the request in the action server's retry
queue, posted again until the service takes it, so no request is lost.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import content, protocol
from bot.case_request import case_request, escalate, trigger_for
from bot.hours import current_hours_text

__all__ = ["ActionEscalate", "ActionOpeningHours", "case_request", "trigger_for"]


class ActionEscalate(Action):
    """Open a coach case and tell the user honestly what happens next."""

    def name(self) -> str:
        return protocol.ESCALATE_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        outcome = await escalate(tracker)
        for text in outcome.texts:
            dispatcher.utter_message(text=text)
        return outcome.events


class ActionOpeningHours(Action):
    """When coaches answer, from COACH_HOURS (the hours the escalation service keeps), plus the
    numbers that answer day and night."""

    def name(self) -> str:
        return "action_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = "en" if tracker.get_slot("language") == "en" else "sv"
        dispatcher.utter_message(text=content.text("utter_opening_hours", lang,
                                                   hours=current_hours_text(lang)))
        return []
