"""Case actions shared by the HTTP API and the WebSocket: they check, call Rasa, store, notify.

Rasa is called before the database changes where the user would otherwise be left in a
state the database does not describe (hand back, close, coach messages): if Rasa is down the
coach gets a clear error and can retry, and nothing is half done.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot import content, protocol
from bot.client_window import ClientCaseWindow, Reservation
from bot.clients.gateway import GatewayLink
from bot.clients.rasa import RasaClient, RasaError, delivery_channel
from bot.db.models import COACH_OUTCOMES, Case, epoch, utcnow
from bot.escalation import labels, texts
from bot.escalation.common import (
    CaseConflict,
    CoachInfo,
    InvalidInput,
    NotAllowed,
    RasaDown,
    TooManyCases,
    UnknownCase,
    case_for_coach,
    event_json,
    holds,
    iso,
    text_ok,
)
from bot.escalation.hub import Hub
from bot.escalation.settings import Settings
from bot.escalation.store import Conflict, NotFound, OpenResult, Store
from bot.hours import in_hours
from bot.privacy import scrub

log = logging.getLogger(__name__)

# what the gateway may report about the young person (bot.protocol's presence reasons): the
# reason decides the state; "left" for good, "offline" for now, "online" back again
PRESENCE_STATES = {protocol.PAGE_OPEN: "online", protocol.NO_PAGE: "offline",
                   protocol.QUICK_EXIT: "left", protocol.SMS_STOP: "left"}
LEAVE_WORD_REASON = "leave_word"  # the young person typed a leave word in the chat
# the user's leaving that closes the case at once (the bot gets the conversation back)
CLOSING_REASONS = frozenset({protocol.SMS_STOP, LEAVE_WORD_REASON})
NOTE_MAX_CHARS = 4000


def _checked_text(value: Any, max_chars: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("invalid_field", f"{what} är tomt")
    if not text_ok(value):
        raise InvalidInput("invalid_field", f"{what} innehåller ogiltiga tecken")
    if len(value) > max_chars:
        raise InvalidInput("invalid_field", f"{what} är längre än {max_chars} tecken")
    return value.strip()


async def user_text(name: str, language: str) -> str:
    """A user-facing text from the content file (data/content/content.yml).

    An edited content file applies without a restart; when it changed, parsing it again takes
    tens of milliseconds, so the read runs in a worker thread, off the event loop.
    """
    return await asyncio.to_thread(content.text, name, language)


def _ensure_open(case: Case) -> None:
    if case.status not in ("waiting", "claimed"):
        raise CaseConflict("case_closed", "Ärendet är redan avslutat")


@dataclass(frozen=True)
class CaseRequest:
    """A validated POST /internal/cases body."""

    conversation_id: str
    channel: str
    language: str
    trigger: str
    intents_seen: list[str]
    summary: str
    client: str | None = None  # pseudonym of the client (Rasa's channel), for the limits


@dataclass(frozen=True)
class CaseOpened:
    result: OpenResult
    coaches_online: int
    in_hours: bool
    accepting: bool
    estimated_wait_seconds: int | None

    def body(self) -> dict[str, Any]:
        return {
            "case_id": self.result.case.id,
            "status": self.result.case.status,
            "priority": self.result.case.priority,
            "coaches_online": self.coaches_online,
            "in_hours": self.in_hours,
            "estimated_wait_seconds": self.estimated_wait_seconds,
            "accepting": self.accepting,
        }


@dataclass(frozen=True)
class UserMessage:
    """What a user message for the coach did: the case as it is now; `duplicate`: it was
    stored before, nothing happened again; `left`: it was a leave word and closed the case."""

    case: Case
    duplicate: bool = False
    left: bool = False


@dataclass
class CaseService:
    """The case actions shared by the HTTP API and the WebSocket: check, call Rasa, store,
    notify. Built from what it needs (no web application, no HTTP): it raises DomainError
    kinds, which the error middleware maps to HTTP statuses."""

    store: Store
    rasa: RasaClient
    hub: Hub
    settings: Settings
    clock: Callable[[], datetime]
    gateway: GatewayLink | None = None  # the web gateway (typing notices)
    case_window: ClientCaseWindow | None = None  # cases per client over a rolling 24 h

    async def _release(self, reserved: Reservation | None) -> None:
        if self.case_window is not None:
            await self.case_window.release(reserved)

    def open_now(self) -> bool:
        """Within the coaches' opening hours (and not a holiday) now."""
        settings = self.settings
        return in_hours(settings.coach_hours, self.clock(), settings.timezone,
                        settings.close_on_holidays)

    async def availability(self) -> tuple[int, bool]:
        """(coaches online, within opening hours) now."""
        online = await self.store.run(self.store.coaches_online,
                                      self.settings.presence_ttl_seconds)
        return online, self.open_now()

    async def open_case(self, req: CaseRequest, *, queued: bool = False) -> CaseOpened:
        """Open (or return) the conversation's case, as POST /internal/cases does;
        `queued`: the request waited in the caller's retry queue while the service was down
        (the coach is told).

        Not accepting (out of hours or no coach online): the Rasa action tells the user at once
        (utter_coach_unavailable), so a new case is marked notified and the sweeper stays quiet.
        Accepting: the sweeper sends one timeout notice if nobody claims the case in time.
        """
        store, settings = self.store, self.settings
        existing = await store.run(store.open_case_for, req.conversation_id)
        reserved: Reservation | None = None
        if existing is None:  # a new case: within the limits per conversation and per client
            recent = await store.run(store.cases_since, req.conversation_id,
                                     utcnow() - timedelta(hours=24))
            if recent >= settings.max_cases_per_conversation:
                raise TooManyCases("too_many_cases",
                                   "This conversation has opened too many cases in 24 hours")
            if req.client and await store.run(store.open_cases_of_client, req.client) \
                    >= settings.max_open_cases_per_client:
                raise TooManyCases("too_many_cases", "Too many open cases from this client")
            # the rolling 24 hours across the day change: only while Redis knows the client
            if self.case_window is not None:
                reserved = await self.case_window.reserve(
                    req.client, settings.max_cases_per_client, self.clock().timestamp())
            if reserved is not None and not reserved.allowed:
                raise TooManyCases("too_many_cases",
                                   "This client has opened too many cases in 24 hours")
        try:
            online, open_now = await self.availability()
            accepting = online > 0 and open_now
            result = await store.run(
                store.open_case,
                req.conversation_id,
                req.channel,
                req.language,
                req.trigger,
                req.intents_seen,
                req.summary,
                notified=not accepting,
                client=req.client,
            )
        except Exception:
            await self._release(reserved)
            raise
        if not result.created:  # a concurrent request opened this conversation's case first
            await self._release(reserved)
        estimate: int | None = None
        if accepting:
            ahead = await store.run(store.queue_position, result.case)
            estimate = math.ceil((ahead + 1) * settings.average_handling_seconds / online)
        if result.created:
            notes = ([texts.FROM_RETRY_QUEUE] if queued else []) + (
                [] if accepting else [texts.USER_TOLD_UNAVAILABLE]
            )
            for note in notes:
                await store.run(
                    store.add_event, result.case.id, "system", note, None, {"notice": "opened"}
                )
        if result.created or result.priority_raised:
            await self.publish_case(result.case)
        return CaseOpened(result, online, open_now, accepting, estimate)

    async def user_message(self, conversation_id: str, text: str, intent: str | None,
                           timestamp: float | None, button_title: str | None = None,
                           message_id: str | None = None,
                           late: bool = False) -> UserMessage | None:
        """A user message for the coach of the conversation's open case (None: no open
        case), from Rasa's relay broker or, `late`, from the reconciliation with Rasa's
        tracker: stored once, shown live, a leave word closes the case. A message stored
        before does nothing again, whichever way it came."""
        store = self.store
        result = await store.run(store.add_user_message, conversation_id, text, intent,
                                 timestamp, button_title, message_id,
                                 {"late": True} if late else None)
        if result is None:
            return None
        if result.duplicate:
            return UserMessage(result.case, duplicate=True)
        await self.hub.send_case(result.case.id,
                                 {"type": "event", "event": event_json(result.event, {})})
        await self.hub.queue_changed()  # other pages of the holder: unread counts
        word = protocol.leave_word(text)
        if word is not None:
            closed = await self.user_left(result.case, word)
            if closed is None:
                raise RasaDown("rasa_unavailable",
                               "Rasa is unreachable; the case stays open for a coach")
            return UserMessage(closed, left=True)
        if result.priority_raised:
            await self.publish_case(result.case)
        return UserMessage(result.case)

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
        await self.system_note(case.id, texts.PAUSE_FAILED, {"warning": "pause_failed"})
        return False

    async def system_note(self, case_id: str, text: str, meta: dict[str, Any]) -> None:
        """A note for the coach in the case's history, shown at once on open consoles."""
        await self._push_event(case_id, "system", text, None, meta)

    async def send_coach_message(self, coach: CoachInfo, case_id: str,
                                 text: Any) -> dict[str, Any]:
        """Deliver a coach message to the user through Rasa and show it on every open console."""
        text = _checked_text(text, self.settings.max_message_chars, "Meddelandet")
        case = await self.load_case(case_id)
        _ensure_open(case)
        if case.status != "claimed" or case.claimed_by != coach.id:
            raise NotAllowed("forbidden", "Ta ärendet innan du skriver till användaren")
        channel = delivery_channel(case.channel)
        message_id = uuid.uuid4().hex  # names the message in a later delivery report
        try:
            await self.rasa.send_coach_message(case.conversation_id, text, channel,
                                               message_id)
        except RasaError as exc:
            log.warning("coach message not delivered: %s", exc)
            raise RasaDown(
                "rasa_unavailable",
                "Meddelandet kunde inte levereras till användaren (chattboten eller webbchatten "
                "svarar inte). Det är inte skickat; försök igen.",
            ) from exc
        payload = await self._push_event(case.id, "coach", text, coach,
                                         {"delivered": channel is not None,
                                          "message_id": message_id})
        if channel is None:  # stored, but this channel cannot push it: the coach must know
            await self.system_note(case.id, texts.NOT_DELIVERED.format(channel=case.channel),
                                    {"warning": "not_delivered"})
        return payload

    async def coach_typing(self, coach: CoachInfo, case_id: str, on: bool) -> None:
        """Show the young person's web chat that their coach is typing (best effort, web
        only)."""
        case = await self.load_case(case_id)
        if self.gateway is not None and case.status == "claimed" and \
                case.claimed_by == coach.id and case.conversation_id.startswith("web-"):
            await self.gateway.typing(case.conversation_id, on)

    async def finish(self, coach: CoachInfo, case_id: str, *, close: bool,
                     outcome: Any = None) -> Case:
        """Hand back to the bot (close=False) or close with an outcome; both resume the bot.
        Closing a case already handed back only records the outcome."""
        if close and outcome not in COACH_OUTCOMES:
            raise InvalidInput("invalid_field", "Välj ett utfall: " + ", ".join(COACH_OUTCOMES))
        case = await self.load_case(case_id)
        if close and case.status == "handed_back":
            return await self._close_handed_back(coach, case, str(outcome))
        _ensure_open(case)
        if not holds(coach, case):
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

    async def _close_handed_back(self, coach: CoachInfo, case: Case, outcome: str) -> Case:
        """The outcome of a case the coach already handed back: nothing goes to the user (the
        coach's goodbye was sent at hand back), the case is closed for the statistics."""
        if not holds(coach, case):
            raise NotAllowed("forbidden", "Bara coachen som har ärendet kan avsluta det")
        store = self.store
        try:
            case = await store.run(store.close_handed_back, case.id, outcome, coach.id)
        except Conflict as exc:
            raise CaseConflict("case_closed", "Ärendet är redan avslutat") from exc
        await self.publish_case(case)
        return case

    async def _push_event(self, case_id: str, kind: str, text: str,
                          coach: CoachInfo | None = None,
                          data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Store a case event and show it on every console open on the case."""
        store = self.store
        ev = await store.run(store.add_event, case_id, kind, text,
                             coach.id if coach else None, data or {})
        payload = event_json(ev, {coach.id: coach.username} if coach else {})
        await self.hub.send_case(case_id, {"type": "event", "event": payload})
        return payload

    async def _held_case(self, coach: CoachInfo, case_id: str) -> Case:
        case = await self.load_case(case_id)
        if not holds(coach, case):
            raise NotAllowed("forbidden", "Bara coachen som har ärendet kan göra det")
        return case

    async def add_note(self, coach: CoachInfo, case_id: str, text: Any) -> dict[str, Any]:
        """A private note on the case: scrubbed, stored with its events (so retention and
        `forget` delete it with the case), shown on the holder's consoles, never sent to Rasa
        or the user."""
        note = _checked_text(text, NOTE_MAX_CHARS, "Anteckningen")
        case = await self._held_case(coach, case_id)
        # nothing identifying in clear on disk: the coach's own words go through the scrubber
        return await self._push_event(case.id, "note", await asyncio.to_thread(scrub, note),
                                      coach)

    async def transfer(self, coach: CoachInfo, case_id: str, to: Any) -> Case:
        """Move a claimed case to another coach who is online now; only the holder (or an
        admin) may. From then on only the new holder reads and writes it (can_read): the old
        holder's sockets are ended by their access check."""
        if not isinstance(to, str) or not to or len(to) > 64 or not text_ok(to):
            raise InvalidInput("invalid_field", "Välj en kollega")
        case = await self._held_case(coach, case_id)
        if case.status != "claimed":
            raise CaseConflict("not_claimed", "Bara ett pågående ärende kan lämnas över")
        store = self.store
        available = await store.run(store.coaches_available,
                                    self.settings.presence_ttl_seconds)
        target = next((c for c in available if c.username == to), None)
        if target is None:
            raise InvalidInput("invalid_field",
                               "Kollegan är inte inloggad och tillgänglig just nu")
        if target.id == case.claimed_by:
            raise InvalidInput("invalid_field", "Ärendet är redan hos den kollegan")
        try:
            case = await store.run(store.transfer, case.id,
                                   None if coach.is_admin else coach.id, target.id, coach.id)
        except Conflict as exc:
            raise CaseConflict("conflict", "Ärendet har ändrats; ladda om sidan") from exc
        log.info("case %s transferred by coach %s to coach %s", case.id, coach.id, target.id)
        await self._push_event(case.id, "system",
                               texts.TRANSFERRED.format(by=coach.username, to=target.username),
                               None, {"transferred_to": target.username})
        await self.publish_case(case)
        return case

    async def presence(self, case: Case, reason: str) -> Case:
        """What the gateway knows about the young person (page open, none open, quick exit,
        SMS STOP), shown to the coach once per change; SMS STOP also closes the case."""
        if reason in CLOSING_REASONS:
            return await self.user_left(case, reason=reason) or case
        store = self.store
        events = await store.run(store.events, case.id)
        last = next((e.data.get("reason") for e in reversed(events)
                     if e.kind == "system" and isinstance(e.data, dict)
                     and e.data.get("presence")), None)
        if last == reason or (last is None and reason == protocol.PAGE_OPEN):
            return case  # nothing new for the coach
        await self._push_event(case.id, "system", labels.PRESENCE_LABELS[reason], None,
                               {"presence": PRESENCE_STATES[reason], "reason": reason})
        await self.hub.queue_changed()
        return case

    async def case_transcript(self, case: Case) -> list[dict[str, Any]]:
        """The conversation from Rasa's tracker within the case's time window: from the end of
        the conversation's previous case (else its start: what the bot said before the case,
        which the user agreed to show) to the moment this case was closed or handed back."""
        until = since = None
        if case.closed_at is not None:
            until = epoch(case.closed_at)
        store = self.store
        previous = await store.run(store.previous_case_end, case)
        if previous is not None:
            since = epoch(previous)
        try:
            transcript = await self.rasa.transcript(case.conversation_id, until, since)
        except RasaError as exc:
            log.warning("transcript unavailable: %s", exc)
            raise RasaDown("rasa_unavailable", "Samtalshistoriken kunde inte hämtas") from exc
        for entry in transcript:  # a button press as words: "tryckte: Ja"
            if entry["who"] == "user":
                entry["text"] = labels.user_text_label(entry["text"],
                                                       entry.pop("button_title", None))
        return transcript

    async def export_text(self, coach: CoachInfo, case_id: str) -> tuple[str, str]:
        """One case as plain text for the case file, every line through the project's
        scrubber (phone numbers, personnummer, e-mail, names ... become [telefon], [e-post]
        ...). The export itself is recorded on the case (who, when)."""
        case = await self._held_case(coach, case_id)
        transcript = await self.case_transcript(case)
        store = self.store
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
        await self._push_event(case.id, "status", "exported", coach)
        return f"arende-{case.id[:8]}.txt", body

    async def user_left(self, case: Case, word: str = "",
                        reason: str = LEAVE_WORD_REASON) -> Case | None:
        """The user left (a leave word, or SMS STOP): resume the bot with a goodbye, close
        the case.

        Rasa first (as for a coach's close): if it is down the case stays open, the coach is
        told, and None is returned; closing the case later resumes the bot.
        """
        store = self.store
        try:
            await self.rasa.resume(
                case.conversation_id, await user_text("utter_coach_user_left", case.language),
                delivery_channel(case.channel), protocol.USER_LEFT,
            )
        except RasaError as exc:
            log.warning("user left case %s but the bot could not be resumed: %s", case.id, exc)
            await self.system_note(
                case.id, texts.USER_LEFT_RESUME_FAILED.format(word=word or "STOPP"),
                {"warning": "resume_failed", "user_left": True, "presence": "left",
                 "reason": reason})
            return None
        try:
            case = await store.run(store.finish, case.id, "closed", "user_left", None)
        except (Conflict, NotFound):
            # a coach closed or handed it back at the same moment: it is closed either way
            log.info("user left case %s, already finished", case.id)
            return await store.run(store.get_case, case.id)
        text = (texts.USER_LEFT.format(word=word) if reason == LEAVE_WORD_REASON
                else labels.PRESENCE_LABELS[reason])
        await self.system_note(case.id, text,
                               {"user_left": True, "presence": "left", "reason": reason})
        await self.publish_case(case)
        return case
