"""Case actions shared by the HTTP API and the WebSocket: they check, call Rasa, store, notify.

Rasa is called before the database changes where the user would otherwise be left in a
state the database does not describe (hand back, close, coach messages): if Rasa is down the
coach gets a clear error and can retry, and nothing is half done.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from bot import content
from bot.db.models import COACH_OUTCOMES, Case, utcnow
from bot.escalation import keys, labels, texts
from bot.escalation.common import (
    ApiError,
    CoachInfo,
    case_for_coach,
    event_json,
    holds,
    iso,
    text_ok,
)
from bot.escalation.rasa_client import RasaError, delivery_channel
from bot.escalation.store import Conflict, NotFound

log = logging.getLogger(__name__)

# a user message that is exactly one of these (trimmed, any case) leaves the coach chat
LEAVE_WORDS = frozenset({"avsluta", "stop", "stopp", "sluta chatta"})
# what the gateway may report about the young person (POST /internal/.../presence): the
# reason decides the state; "left" for good, "offline" for now, "online" back again
PRESENCE_REASONS = {"page_open": "online", "no_page": "offline", "quick_exit": "left",
                    "sms_stop": "left"}
# the user's leaving that closes the case at once (the bot gets the conversation back)
CLOSING_REASONS = frozenset({"sms_stop", "leave_word"})
NOTE_MAX_CHARS = 4000


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
    text = _checked_text(text, app[keys.SETTINGS].max_message_chars, "Meddelandet")
    case = await load_case(app, case_id)
    _ensure_open(case)
    if case.status != "claimed" or case.claimed_by != coach.id:
        raise ApiError(403, "forbidden", "Ta ärendet innan du skriver till användaren")
    channel = delivery_channel(case.channel)
    message_id = uuid.uuid4().hex  # names the message in a later delivery report
    try:
        await app[keys.RASA].send_coach_message(case.conversation_id, text, channel,
                                                message_id)
    except RasaError as exc:
        log.warning("coach message not delivered: %s", exc)
        raise ApiError(
            502,
            "rasa_unavailable",
            "Meddelandet kunde inte levereras till användaren (chattboten eller webbchatten "
            "svarar inte). Det är inte skickat; försök igen.",
        ) from exc
    payload = await _push_event(app, case.id, "coach", text, coach,
                                {"delivered": channel is not None, "message_id": message_id})
    if channel is None:  # stored, but this channel cannot push it: the coach must know
        await _push_event(app, case.id, "system",
                          texts.NOT_DELIVERED.format(channel=case.channel), None,
                          {"warning": "not_delivered"})
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
    if close and case.status == "handed_back":
        return await _close_handed_back(app, coach, case, str(outcome))
    _ensure_open(case)
    if not holds(coach, case):
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


async def _close_handed_back(app: web.Application, coach: CoachInfo, case: Case,
                             outcome: str) -> Case:
    """The outcome of a case the coach already handed back: nothing goes to the user (the
    coach's goodbye was sent at hand back), the case is closed for the statistics."""
    if not holds(coach, case):
        raise ApiError(403, "forbidden", "Bara coachen som har ärendet kan avsluta det")
    store = app[keys.STORE]
    try:
        case = await store.run(store.close_handed_back, case.id, outcome, coach.id)
    except Conflict as exc:
        raise ApiError(409, "case_closed", "Ärendet är redan avslutat") from exc
    await publish_case(app, case)
    return case


async def _push_event(app: web.Application, case_id: str, kind: str, text: str,
                      coach: CoachInfo | None = None,
                      data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store a case event and show it on every console open on the case."""
    store = app[keys.STORE]
    ev = await store.run(store.add_event, case_id, kind, text,
                         coach.id if coach else None, data or {})
    payload = event_json(ev, {coach.id: coach.username} if coach else {})
    await app[keys.HUB].send_case(case_id, {"type": "event", "event": payload})
    return payload


def _checked_text(value: Any, max_chars: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "invalid_field", f"{what} är tomt")
    if not text_ok(value):
        raise ApiError(400, "invalid_field", f"{what} innehåller ogiltiga tecken")
    if len(value) > max_chars:
        raise ApiError(400, "invalid_field", f"{what} är längre än {max_chars} tecken")
    return value.strip()


async def _held_case(app: web.Application, coach: CoachInfo, case_id: str) -> Case:
    case = await load_case(app, case_id)
    if not holds(coach, case):
        raise ApiError(403, "forbidden", "Bara coachen som har ärendet kan göra det")
    return case


async def add_note(app: web.Application, coach: CoachInfo, case_id: str,
                   text: Any) -> dict[str, Any]:
    """A private note on the case: scrubbed, stored with its events (so retention and `forget`
    delete it with the case), shown on the holder's consoles, never sent to Rasa or the user."""
    from bot.privacy import scrub

    note = _checked_text(text, NOTE_MAX_CHARS, "Anteckningen")
    case = await _held_case(app, coach, case_id)
    # nothing identifying in clear on disk: the coach's own words go through the scrubber
    return await _push_event(app, case.id, "note", await asyncio.to_thread(scrub, note), coach)


async def transfer(app: web.Application, coach: CoachInfo, case_id: str, to: Any) -> Case:
    """Move a claimed case to another coach who is online now; only the holder (or an admin)
    may. From then on only the new holder reads and writes it (can_read): the old holder's
    sockets are ended by their access check."""
    if not isinstance(to, str) or not to or len(to) > 64 or not text_ok(to):
        raise ApiError(400, "invalid_field", "Välj en kollega")
    case = await _held_case(app, coach, case_id)
    if case.status != "claimed":
        raise ApiError(409, "not_claimed", "Bara ett pågående ärende kan lämnas över")
    store, settings = app[keys.STORE], app[keys.SETTINGS]
    available = await store.run(store.coaches_available, settings.presence_ttl_seconds)
    target = next((c for c in available if c.username == to), None)
    if target is None:
        raise ApiError(400, "invalid_field", "Kollegan är inte inloggad och tillgänglig just nu")
    if target.id == case.claimed_by:
        raise ApiError(400, "invalid_field", "Ärendet är redan hos den kollegan")
    try:
        case = await store.run(store.transfer, case.id,
                               None if coach.is_admin else coach.id, target.id, coach.id)
    except Conflict as exc:
        raise ApiError(409, "conflict", "Ärendet har ändrats; ladda om sidan") from exc
    log.info("case %s transferred by coach %s to coach %s", case.id, coach.id, target.id)
    await _push_event(app, case.id, "system",
                      texts.TRANSFERRED.format(by=coach.username, to=target.username), None,
                      {"transferred_to": target.username})
    await publish_case(app, case)
    return case


async def presence(app: web.Application, case: Case, reason: str) -> Case:
    """What the gateway knows about the young person (page open, none open, quick exit, SMS
    STOP), shown to the coach once per change; SMS STOP also closes the case."""
    if reason in CLOSING_REASONS:
        return await user_left(app, case, reason=reason) or case
    store = app[keys.STORE]
    events = await store.run(store.events, case.id)
    last = next((e.data.get("reason") for e in reversed(events)
                 if e.kind == "system" and isinstance(e.data, dict) and e.data.get("presence")),
                None)
    if last == reason or (last is None and reason == "page_open"):
        return case  # nothing new for the coach
    await _push_event(app, case.id, "system", labels.PRESENCE_LABELS[reason], None,
                      {"presence": PRESENCE_REASONS[reason], "reason": reason})
    await app[keys.HUB].queue_changed()
    return case


async def case_transcript(app: web.Application, case: Case) -> list[dict[str, Any]]:
    """The conversation from Rasa's tracker within the case's time window: from the end of
    the conversation's previous case (else its start: what the bot said before the case,
    which the user agreed to show) to the moment this case was closed or handed back."""
    until = since = None
    if case.closed_at is not None:
        until = case.closed_at.replace(tzinfo=timezone.utc).timestamp()
    store = app[keys.STORE]
    previous = await store.run(store.previous_case_end, case)
    if previous is not None:
        since = previous.replace(tzinfo=timezone.utc).timestamp()
    try:
        return await app[keys.RASA].transcript(case.conversation_id, until, since)
    except RasaError as exc:
        log.warning("transcript unavailable: %s", exc)
        raise ApiError(502, "rasa_unavailable", "Samtalshistoriken kunde inte hämtas") from exc


async def export_text(app: web.Application, coach: CoachInfo, case_id: str) -> tuple[str, str]:
    """One case as plain text for the case file, every line through the project's scrubber
    (phone numbers, personnummer, e-mail, names ... become [telefon], [e-post] ...). The
    export itself is recorded on the case (who, when)."""
    from bot.privacy import scrub

    case = await _held_case(app, coach, case_id)
    transcript = await case_transcript(app, case)
    store = app[keys.STORE]
    names = await store.run(store.coach_names)
    events = await store.run(store.events, case.id)
    info = case_for_coach(case, utcnow(), names)
    who = {"user": "Ungdomen", "bot": "Chattboten", "coach": "Coach"}
    lines = [
        "Sluta skjut Norrköping – utdrag ur ett chattärende (maskerat)",
        f"Ärende: {case.id}",
        f"Prioritet: {info['priority_label']}",
        f"Orsak: {info['trigger_label']}",
        f"Kanal: {info['channel_label']} · Språk: {info['language_label']}",
        f"Öppnat: {iso(case.created_at)} (UTC)",
        f"Coach: {info['claimed_by'] or '–'}",
        f"Status: {case.status}" + (f" · Utfall: {case.outcome}" if case.outcome else ""),
        "",
        "Samtalet",
        "--------",
    ]
    for item in transcript:
        stamp = item.get("timestamp")
        when = (datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M")
                if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) else "")
        lines.append(f"[{when}] {who.get(item['who'], item['who'])}: {item['text']}")
    notes = [e for e in events if e.kind == "note"]
    if notes:
        lines += ["", "Coachens anteckningar (visades aldrig för ungdomen)", "--------"]
        lines += [f"[{iso(e.created_at)}] {names.get(e.coach_id or 0, '')}: {e.text}"
                  for e in notes]
    body = await asyncio.to_thread(lambda: "\n".join(scrub(line) for line in lines) + "\n")
    await _push_event(app, case.id, "status", "exported", coach)
    return f"arende-{case.id[:8]}.txt", body


async def user_left(app: web.Application, case: Case, word: str = "",
                    reason: str = "leave_word") -> Case | None:
    """The user left (a leave word, or SMS STOP): resume the bot with a goodbye, close the case.

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
            texts.USER_LEFT_RESUME_FAILED.format(word=word or "STOPP"),
            None,
            {"warning": "resume_failed", "user_left": True, "presence": "left",
             "reason": reason},
        )
        await hub.send_case(case.id, {"type": "event", "event": event_json(ev, {})})
        return None
    try:
        case = await store.run(store.finish, case.id, "closed", "user_left", None)
    except (Conflict, NotFound):
        # a coach closed or handed it back at the same moment: it is closed either way
        log.info("user left case %s, already finished", case.id)
        return await store.run(store.get_case, case.id)
    text = (texts.USER_LEFT.format(word=word) if reason == "leave_word"
            else labels.PRESENCE_LABELS[reason])
    await _push_event(app, case.id, "system", text, None,
                      {"user_left": True, "presence": "left", "reason": reason})
    await publish_case(app, case)
    return case
