"""Case actions shared by the HTTP API and the WebSocket: they check, call Rasa, store, notify.

Rasa is called before the database changes where the user would otherwise be left in a
state the database does not describe (hand back, close, coach messages): if Rasa is down the
coach gets a clear error and can retry, and nothing is half done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from bot import content, protocol
from bot.clients.rasa import RasaClient, RasaError, delivery_channel
from bot.db.models import COACH_OUTCOMES, Case, utcnow
from bot.escalation import texts
from bot.escalation.common import (
    CaseConflict,
    CoachInfo,
    InvalidInput,
    NotAllowed,
    RasaDown,
    UnknownCase,
    case_for_coach,
    event_json,
    text_ok,
)
from bot.escalation.hub import Hub
from bot.escalation.settings import Settings
from bot.escalation.store import Conflict, NotFound, Store

log = logging.getLogger(__name__)


async def user_text(name: str, language: str) -> str:
    """A user-facing text from the content file (data/content/content.yml).

    An edited content file applies without a restart; when it changed, parsing it again takes
    tens of milliseconds, so the read runs in a worker thread, off the event loop.
    """
    return await asyncio.to_thread(content.text, name, language)


def _ensure_open(case: Case) -> None:
    if case.status not in ("waiting", "claimed"):
        raise CaseConflict("case_closed", "Ärendet är redan avslutat")


@dataclass
class CaseService:
    """The case actions shared by the HTTP API and the WebSocket: check, call Rasa, store,
    notify. Built from what it needs (no web application, no HTTP): it raises DomainError
    kinds, which the error middleware maps to HTTP statuses."""

    store: Store
    rasa: RasaClient
    hub: Hub
    settings: Settings

    async def load_case(self, case_id: str) -> Case:
        if not case_id or len(case_id) > 64 or not text_ok(case_id):
            raise UnknownCase("not_found", "Okänt ärende")
        try:
            return await self.store.run(self.store.get_case, case_id)
        except NotFound as exc:
            raise UnknownCase("not_found", "Okänt ärende") from exc

    async def publish_case(self, case: Case) -> None:
        """Push the case's new state to its chat sockets and make queue pages refetch."""
        names = await self.store.run(self.store.coach_names)
        await self.hub.send_case(
            case.id, {"type": "case", "case": case_for_coach(case, utcnow(), names)}
        )
        await self.hub.queue_changed()

    async def claim(self, coach: CoachInfo, case_id: str) -> Case:
        case = await self.load_case(case_id)
        store = self.store
        try:
            case = await store.run(store.claim, case_id, coach.id)
        except Conflict as exc:
            if case.status in ("closed", "handed_back"):
                raise CaseConflict("case_closed", "Ärendet är redan avslutat") from exc
            raise CaseConflict(
                "already_claimed", "Ärendet har redan tagits av en annan coach"
            ) from exc
        except NotFound as exc:
            raise UnknownCase("not_found", "Okänt ärende") from exc
        await self.publish_case(case)
        await self._pause_bot(case)
        return case

    async def _pause_bot(self, case: Case) -> bool:
        """Silence the bot while the coach talks; the claim stands even if Rasa is down.

        The case may have been opened while nobody could take it, when the Rasa action did not
        pause the conversation, so every claim pauses (pausing twice is harmless).
        """
        try:
            await self.rasa.pause(case.conversation_id)
            return True
        except RasaError as exc:
            log.warning("claim of case %s: could not pause the bot: %s", case.id, exc)
        await self._system_note(case.id, texts.PAUSE_FAILED, {"warning": "pause_failed"})
        return False

    async def _system_note(self, case_id: str, text: str, meta: dict[str, Any]) -> None:
        """A note for the coach in the case's history, shown at once on open consoles."""
        ev = await self.store.run(self.store.add_event, case_id, "system", text, None, meta)
        await self.hub.send_case(case_id, {"type": "event", "event": event_json(ev, {})})

    async def send_coach_message(self, coach: CoachInfo, case_id: str,
                                 text: Any) -> dict[str, Any]:
        """Deliver a coach message to the user through Rasa and show it on every open console."""
        settings = self.settings
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("invalid_field", "Meddelandet är tomt")
        if not text_ok(text):
            raise InvalidInput("invalid_field", "Meddelandet innehåller ogiltiga tecken")
        if len(text) > settings.max_message_chars:
            raise InvalidInput(
                "invalid_field", f"Meddelandet är längre än {settings.max_message_chars} tecken"
            )
        case = await self.load_case(case_id)
        _ensure_open(case)
        if case.status != "claimed" or case.claimed_by != coach.id:
            raise NotAllowed("forbidden", "Ta ärendet innan du skriver till användaren")
        channel = delivery_channel(case.channel)
        try:
            await self.rasa.send_coach_message(case.conversation_id, text.strip(), channel)
        except RasaError as exc:
            log.warning("coach message not delivered: %s", exc)
            raise RasaDown(
                "rasa_unavailable",
                "Meddelandet kunde inte levereras till användaren (chattboten eller webbchatten "
                "svarar inte). Det är inte skickat; försök igen.",
            ) from exc
        store = self.store
        ev = await store.run(store.add_event, case.id, "coach", text.strip(), coach.id,
                             {"delivered": channel is not None})
        payload = event_json(ev, {coach.id: coach.username})
        await self.hub.send_case(case.id, {"type": "event", "event": payload})
        if channel is None:  # stored, but this channel cannot push it: the coach must know
            await self._system_note(case.id, texts.NOT_DELIVERED.format(channel=case.channel),
                                    {"warning": "not_delivered"})
        return payload

    async def finish(self, coach: CoachInfo, case_id: str, *, close: bool,
                     outcome: Any = None) -> Case:
        """Hand back to the bot (close=False) or close with an outcome; both resume the bot."""
        if close and outcome not in COACH_OUTCOMES:
            raise InvalidInput("invalid_field", "Välj ett utfall: " + ", ".join(COACH_OUTCOMES))
        case = await self.load_case(case_id)
        _ensure_open(case)
        if not (coach.is_admin or case.claimed_by == coach.id):
            raise NotAllowed("forbidden", "Bara coachen som har ärendet kan avsluta det")
        name = "utter_coach_closed" if close else "utter_coach_handed_back"
        text = await user_text(name, case.language)
        try:
            await self.rasa.resume(case.conversation_id, text, delivery_channel(case.channel),
                                   protocol.CLOSED if close else protocol.HANDED_BACK)
        except RasaError as exc:
            log.warning("resume failed: %s", exc)
            raise RasaDown(
                "rasa_unavailable", "Chattboten svarar inte, ärendet är kvar öppet. Försök igen."
            ) from exc
        store = self.store
        try:
            case = await store.run(
                store.finish,
                case.id,
                "closed" if close else "handed_back",
                outcome if close else None,
                coach.id,
            )
        except Conflict as exc:
            raise CaseConflict("case_closed", "Ärendet är redan avslutat") from exc
        await self.publish_case(case)
        return case

    async def user_left(self, case: Case, word: str) -> Case | None:
        """The user typed a leave word: resume the bot with a goodbye, close the case.

        Rasa first (as for a coach's close): if it is down the case stays open, the coach is told,
        and None is returned; closing the case later resumes the bot.
        """
        store = self.store
        try:
            await self.rasa.resume(
                case.conversation_id, await user_text("utter_coach_user_left", case.language),
                delivery_channel(case.channel), protocol.USER_LEFT,
            )
        except RasaError as exc:
            log.warning("user left case %s but the bot could not be resumed: %s", case.id, exc)
            await self._system_note(case.id, texts.USER_LEFT_RESUME_FAILED.format(word=word),
                                    {"warning": "resume_failed", "user_left": True})
            return None
        try:
            case = await store.run(store.finish, case.id, "closed", "user_left", None)
        except (Conflict, NotFound):
            # a coach closed or handed it back at the same moment: it is closed either way
            log.info("user left case %s, already finished", case.id)
            return await store.run(store.get_case, case.id)
        await self._system_note(case.id, texts.USER_LEFT.format(word=word), {"user_left": True})
        await self.publish_case(case)
        return case
