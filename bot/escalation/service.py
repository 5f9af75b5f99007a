"""Case actions shared by the HTTP API and the WebSocket: they check, call Rasa, store, notify.

Rasa is called before the database changes where the user would otherwise be left in a
state the database does not describe (hand back, close, coach messages): if Rasa is down the
coach gets a clear error and can retry, and nothing is half done.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from aiohttp import web

from bot import content
from bot.db.models import COACH_OUTCOMES, Case, utcnow
from bot.escalation import keys, texts
from bot.escalation.common import ApiError, CoachInfo, case_for_coach, event_json, text_ok
from bot.escalation.rasa_client import RasaError, delivery_channel
from bot.escalation.store import Conflict, NotFound

log = logging.getLogger(__name__)

# a user message that is exactly one of these (trimmed, any case) leaves the coach chat
LEAVE_WORDS = frozenset({"avsluta", "stop", "stopp", "sluta chatta"})


def leave_word(text: str) -> str | None:
    """The leave word `text` is (normalised), else None."""
    normalised = " ".join(text.split()).casefold()
    return normalised if normalised in LEAVE_WORDS else None


async def user_text(name: str, language: str) -> str:
    """A user-facing text from the content file (data/content/content.yml).

    Read on each use, so an edited content file applies without a restart; parsing the YAML
    takes tens of milliseconds, so it runs in a worker thread, off the event loop.
    """
    return await asyncio.to_thread(content.text, name, language)


async def load_case(app: web.Application, case_id: str) -> Case:
    if not case_id or len(case_id) > 64 or not text_ok(case_id):
        raise ApiError(404, "not_found", "Okänt ärende")
    try:
        return await app[keys.STORE].run(app[keys.STORE].get_case, case_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", "Okänt ärende") from exc


def _ensure_open(case: Case) -> None:
    if case.status not in ("waiting", "claimed"):
        raise ApiError(409, "case_closed", "Ärendet är redan avslutat")


async def publish_case(app: web.Application, case: Case) -> None:
    """Push the case's new state to its chat sockets and make queue pages refetch."""
    store = app[keys.STORE]
    names = await store.run(store.coach_names)
    await app[keys.HUB].send_case(
        case.id, {"type": "case", "case": case_for_coach(case, utcnow(), names)}
    )
    await app[keys.HUB].queue_changed()


async def claim(app: web.Application, coach: CoachInfo, case_id: str) -> Case:
    case = await load_case(app, case_id)
    store = app[keys.STORE]
    try:
        case = await store.run(store.claim, case_id, coach.id)
    except Conflict as exc:
        if case.status in ("closed", "handed_back"):
            raise ApiError(409, "case_closed", "Ärendet är redan avslutat") from exc
        raise ApiError(
            409, "already_claimed", "Ärendet har redan tagits av en annan coach"
        ) from exc
    except NotFound as exc:
        raise ApiError(404, "not_found", "Okänt ärende") from exc
    await publish_case(app, case)
    await _pause_bot(app, case)
    return case


async def _pause_bot(app: web.Application, case: Case) -> bool:
    """Silence the bot while the coach talks; the claim stands even if Rasa is down.

    The case may have been opened while nobody could take it, when the Rasa action did not
    pause the conversation, so every claim pauses (pausing twice is harmless).
    """
    try:
        await app[keys.RASA].pause(case.conversation_id)
        return True
    except RasaError as exc:
        log.warning("claim of case %s: could not pause the bot: %s", case.id, exc)
    store = app[keys.STORE]
    ev = await store.run(
        store.add_event, case.id, "system", texts.PAUSE_FAILED, None, {"warning": "pause_failed"}
    )
    await app[keys.HUB].send_case(case.id, {"type": "event", "event": event_json(ev, {})})
    return False


async def send_coach_message(
    app: web.Application, coach: CoachInfo, case_id: str, text: Any
) -> dict[str, Any]:
    """Deliver a coach message to the user through Rasa and show it on every open console."""
    settings = app[keys.SETTINGS]
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "invalid_field", "Meddelandet är tomt")
    if not text_ok(text):
        raise ApiError(400, "invalid_field", "Meddelandet innehåller ogiltiga tecken")
    if len(text) > settings.max_message_chars:
        raise ApiError(
            400, "invalid_field", f"Meddelandet är längre än {settings.max_message_chars} tecken"
        )
    case = await load_case(app, case_id)
    _ensure_open(case)
    if case.status != "claimed" or case.claimed_by != coach.id:
        raise ApiError(403, "forbidden", "Ta ärendet innan du skriver till användaren")
    channel = delivery_channel(case.channel)
    message_id = uuid.uuid4().hex  # names the message in a later delivery report
    try:
        await app[keys.RASA].send_coach_message(case.conversation_id, text.strip(), channel,
                                                message_id)
    except RasaError as exc:
        log.warning("coach message not delivered: %s", exc)
        raise ApiError(
            502,
            "rasa_unavailable",
            "Meddelandet kunde inte levereras till användaren (chattboten eller webbchatten "
            "svarar inte). Det är inte skickat; försök igen.",
        ) from exc
    store = app[keys.STORE]
    ev = await store.run(store.add_event, case.id, "coach", text.strip(), coach.id,
                         {"delivered": channel is not None, "message_id": message_id})
    payload = event_json(ev, {coach.id: coach.username})
    await app[keys.HUB].send_case(case.id, {"type": "event", "event": payload})
    if channel is None:  # stored, but this channel cannot push it: the coach must know
        warning = await store.run(
            store.add_event, case.id, "system",
            texts.NOT_DELIVERED.format(channel=case.channel), None,
            {"warning": "not_delivered"})
        await app[keys.HUB].send_case(case.id, {"type": "event",
                                                "event": event_json(warning, {})})
    return payload


async def coach_typing(app: web.Application, coach: CoachInfo, case_id: str, on: bool) -> None:
    """Show the young person's web chat that their coach is typing (best effort, web only)."""
    case = await load_case(app, case_id)
    if case.status == "claimed" and case.claimed_by == coach.id \
            and case.conversation_id.startswith("web-"):
        await app[keys.GATEWAY].typing(case.conversation_id, on)


async def finish(
    app: web.Application, coach: CoachInfo, case_id: str, *, close: bool, outcome: Any = None
) -> Case:
    """Hand back to the bot (close=False) or close with an outcome; both resume the bot."""
    if close and outcome not in COACH_OUTCOMES:
        raise ApiError(400, "invalid_field", "Välj ett utfall: " + ", ".join(COACH_OUTCOMES))
    case = await load_case(app, case_id)
    _ensure_open(case)
    if not (coach.is_admin or case.claimed_by == coach.id):
        raise ApiError(403, "forbidden", "Bara coachen som har ärendet kan avsluta det")
    name = "utter_coach_closed" if close else "utter_coach_handed_back"
    text = await user_text(name, case.language)
    try:
        await app[keys.RASA].resume(case.conversation_id, text, delivery_channel(case.channel))
    except RasaError as exc:
        log.warning("resume failed: %s", exc)
        raise ApiError(
            502, "rasa_unavailable", "Chattboten svarar inte, ärendet är kvar öppet. Försök igen."
        ) from exc
    store = app[keys.STORE]
    try:
        case = await store.run(
            store.finish,
            case.id,
            "closed" if close else "handed_back",
            outcome if close else None,
            coach.id,
        )
    except Conflict as exc:
        raise ApiError(409, "case_closed", "Ärendet är redan avslutat") from exc
    await publish_case(app, case)
    return case


async def user_left(app: web.Application, case: Case, word: str) -> Case | None:
    """The user typed a leave word: resume the bot with a goodbye, close the case.

    Rasa first (as for a coach's close): if it is down the case stays open, the coach is told,
    and None is returned; closing the case later resumes the bot.
    """
    store, hub = app[keys.STORE], app[keys.HUB]
    try:
        await app[keys.RASA].resume(
            case.conversation_id, await user_text("utter_coach_user_left", case.language),
            delivery_channel(case.channel),
        )
    except RasaError as exc:
        log.warning("user left case %s but the bot could not be resumed: %s", case.id, exc)
        ev = await store.run(
            store.add_event,
            case.id,
            "system",
            texts.USER_LEFT_RESUME_FAILED.format(word=word),
            None,
            {"warning": "resume_failed", "user_left": True},
        )
        await hub.send_case(case.id, {"type": "event", "event": event_json(ev, {})})
        return None
    try:
        case = await store.run(store.finish, case.id, "closed", "user_left", None)
    except (Conflict, NotFound):
        # a coach closed or handed it back at the same moment: it is closed either way
        log.info("user left case %s, already finished", case.id)
        return await store.run(store.get_case, case.id)
    ev = await store.run(
        store.add_event,
        case.id,
        "system",
        texts.USER_LEFT.format(word=word),
        None,
        {"user_left": True},
    )
    await hub.send_case(case.id, {"type": "event", "event": event_json(ev, {})})
    await publish_case(app, case)
    return case
