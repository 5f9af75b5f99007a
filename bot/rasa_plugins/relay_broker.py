"""Rasa event broker that relays user messages to the escalation service.

Configured in endpoints.yml as `event_broker: type:
bot.rasa_plugins.relay_broker.EscalationRelayBroker`.
Rasa publishes every tracker event here after saving it. For user messages this broker:

- forwards the text to the escalation service (POST /internal/conversations/{id}/messages),
  which stores it on the conversation's open case and pushes it live to the coach (a 404
  simply means there is no open case);
- when the message is a crisis or an emergency and the conversation is paused (a coach is
  talking, or the bot waits for one), asks Rasa's own HTTP API to send the safety answer at
  once (POST /conversations/{id}/execute), because a paused Rasa predicts nothing.

When the action server is down, Rasa logs `action_escalate` without its events and carries on
in silence (rasa.core.processor: "the actions events are lost"): the user's "yes" to a coach
would get no answer and no case. The broker sees that (the action is followed by no bot
message) and runs the same hand-off (bot.case_request, the library the action runs; not the
action server's code) with the conversation's tracker from Rasa's HTTP API, then appends its
messages and events through that API. So the user hears "a coach is coming" (or the numbers,
with the request kept in the retry queue), as usual.

A user message the escalation service could not take (an instance dying in the middle of the
request, a refused connection, its database restarting) is posted again for about 15 s before
it is given up. Each post carries Rasa's message id, so the service stores the message once
however often it comes. This queue is the fast way, not the record: the tracker store has
the message before it is published here, and the escalation service reconciles each open
case with the tracker (bot/escalation/reconcile.py), so a relay lost with this process (killed
after answering, or given up) still reaches the coach live, once.

It also feeds the review inbox (POST /internal/review): a user message whose intent is
nlu_fallback or whose confidence is below REVIEW_CONFIDENCE_THRESHOLD, or that the bot answered
with a rephrase request, is sent without the sender id; the service scrubs it before storing.
When the rephrase request offered guesses ("Menade du ...?", bot/nlu/did_you_mean.py) and the
person taps one, the same message is sent again as `user_choice` with the chosen intent: a
label the maintainer sees preselected in the inbox.
Only messages of a conversation without an open coach case go there: what a young person
writes to a coach is read by the coach, never by maintainers. The relay of the same message
tells which it is (202: a case is open, 404: none), so a review post waits for that answer and
is dropped when a case is open or when the answer could not be had.

Posts run in one background worker per process, so messages reach the coach in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

import aiohttp
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot import metrics, protocol, safety_actions
from bot.clients.escalation import EscalationClient
from bot.clients.rasa import RasaClient, RasaError, RasaUnreachable
from bot.settings import load

log = logging.getLogger(__name__)

SAFETY_ANSWERS = {protocol.CRISIS_INTENT: safety_actions.UTTER_CRISIS,
                  protocol.DANGER_INTENT: safety_actions.UTTER_EMERGENCY}
REPHRASE_ACTIONS = frozenset({protocol.REPHRASE_ACTION})
FALLBACK_INTENT = protocol.FALLBACK_INTENT
CHOICE_PREFIX = "dym_intent_"  # entities holding the guesses a rephrase request offers
REVIEW_KEY = "_review"  # queue items with this key go to the review inbox, not to the coach
ESCALATE_ACTION = protocol.ESCALATE_ACTION
# then the escalation service's reconciliation with the tracker brings it to the coach
RELAY_RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
# no live instance behind the load balancer (502-504), or the service's database is down (500)
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_PENDING_REVIEW = 1000  # last user message per sender, kept until the bot's next action
# how long the gateway's callback channel holds its answer until this process has relayed
# the user's message (so the gateway's next message of the conversation, possibly on the
# other Rasa instance, is relayed after it); a relay still retrying goes on in the background
RELAYED_WAIT_SECONDS = 3.0
EVENT_KEY = "_event"  # a user event to relay, with the review post that depends on its answer
BUTTON_KEY = "_button"  # the title of the button whose payload the user event is
# what the last relay of a sender's message found
CASE_OPEN, NO_CASE, UNKNOWN = "open", "none", "unknown"


def review_reason(parse_data: dict[str, Any], threshold: float) -> str | None:
    """Why a parsed user message belongs in the review inbox, or None.

    A message the safety net decided is not a classifier miss: its rules are deterministic.
    """
    if parse_data.get("safety_rule"):
        return None
    intent = parse_data.get("intent") or {}
    if intent.get("name") == FALLBACK_INTENT:
        return "fallback"
    confidence = intent.get("confidence")
    if isinstance(confidence, (int, float)) and confidence < threshold:
        return "low_confidence"
    return None


def offered_choices(parse_data: dict[str, Any]) -> list[str]:
    """The intents a fallback message's "Menade du ...?" buttons offer, in order."""
    return [str(e.get("value")) for e in sorted(
        (e for e in parse_data.get("entities") or []
         if str(e.get("entity", "")).startswith(CHOICE_PREFIX)),
        key=lambda e: str(e.get("entity")))]


def choice_payload(unclear: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any] | None:
    """The label a tapped guess gives the unclear message before it, or None.

    Only a button (a `/intent` payload) for one of the offered intents is a choice: a typed
    answer is a new message with its own classification.
    """
    text = str(choice.get("text") or "")
    intent = ((choice.get("parse_data") or {}).get("intent") or {}).get("name")
    offered = offered_choices(unclear.get("parse_data") or {})
    if not text.startswith("/") or intent not in offered:
        return None
    payload = review_payload(unclear, "user_choice")
    ranking = (unclear.get("parse_data") or {}).get("intent_ranking") or []
    payload["intent"] = intent
    payload["confidence"] = next((r.get("confidence") for r in ranking
                                  if r.get("name") == intent), None)
    return payload


def review_payload(event: dict[str, Any], reason: str) -> dict[str, Any]:
    """What the review inbox gets: the text (scrubbed there), never the sender id."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    best = intent if intent.get("name") != FALLBACK_INTENT or not ranking else ranking[0]
    language = next((e.get("value") for e in parse.get("entities") or []
                     if e.get("entity") == "language"), None)
    return {
        "text": event.get("text") or "",
        "intent": best.get("name"),
        "confidence": best.get("confidence"),
        "language": language if language in ("sv", "en") else None,
        "reason": reason,
        "timestamp": event.get("timestamp"),
    }


class EscalationRelayBroker(EventBroker):
    latest: EscalationRelayBroker | None = None  # this Rasa process's broker (the channel's)

    """Forwards user events to the escalation service; safety answers while paused."""

    def __init__(self, escalation_url: str, internal_token: str, rasa_url: str,
                 rasa_token: str, timeout: float = 5.0,
                 review_threshold: float = 0.6) -> None:
        self.escalation = EscalationClient(escalation_url, internal_token, timeout)
        self.rasa = RasaClient(rasa_url, rasa_token, timeout)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.review_threshold = review_threshold
        # sender -> last user event not yet sent for review (a rephrase request may follow)
        self._pending_review: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # sender -> the unclear message whose guesses were offered as buttons
        self._offered: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # senders whose action_escalate just ran: its bot message must follow
        self._escalating: set[str] = set()
        self._fallbacks: set[asyncio.Task[None]] = set()
        # sender -> what the relay of its last user message found (CASE_OPEN, NO_CASE, UNKNOWN)
        self._case_state: OrderedDict[str, str] = OrderedDict()
        # sender -> {payload: title} of the last bot message's buttons
        self._buttons: OrderedDict[str, dict[str, str]] = OrderedDict()
        # sender -> items queued and not yet handled, and an event set when none are left
        self._unrelayed: dict[str, int] = {}
        self._relayed: dict[str, asyncio.Event] = {}
        EscalationRelayBroker.latest = self

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> EscalationRelayBroker:
        kwargs = broker_config.kwargs if broker_config else {}
        s = load()
        return cls(
            escalation_url=(broker_config.url if broker_config and broker_config.url else None)
            or s.escalation_url,
            internal_token=s.escalation_internal_token,
            rasa_url=kwargs.get("rasa_url") or s.rasa_url,
            rasa_token=s.rasa_token,
            review_threshold=s.review_confidence_threshold,
        )

    def publish(self, event: dict[str, Any]) -> None:
        if event.get("event") == "action":  # every answer of the safety dialogue, counted
            kind = safety_actions.kind_of(str(event.get("name") or ""))
            if kind is not None:
                metrics.SAFETY_ANSWERS.labels(metrics.safety_kind(kind)).inc()
        review = self._note_for_review(event)
        self._note_escalation(event)
        sender = str(event.get("sender_id") or "")
        title = self._button_title(sender, event)
        if event.get("event") == "user" and sender:
            self._enqueue({EVENT_KEY: event, REVIEW_KEY: review, BUTTON_KEY: title})
        elif review is not None:  # a rephrase request: the message was relayed before
            self._enqueue({REVIEW_KEY: review, "sender": sender})

    def _enqueue(self, item: dict[str, Any]) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_event_loop().create_task(self._run())
        sender = self._item_sender(item)
        self._unrelayed[sender] = self._unrelayed.get(sender, 0) + 1
        self._relayed.setdefault(sender, asyncio.Event()).clear()
        self._queue.put_nowait(item)

    @staticmethod
    def _item_sender(item: dict[str, Any]) -> str:
        return str(item[EVENT_KEY].get("sender_id") if EVENT_KEY in item
                   else item.get("sender") or "")

    def _done(self, item: dict[str, Any]) -> None:
        sender = self._item_sender(item)
        left = self._unrelayed.get(sender, 1) - 1
        if left > 0:
            self._unrelayed[sender] = left
            return
        self._unrelayed.pop(sender, None)
        event = self._relayed.pop(sender, None)
        if event is not None:
            event.set()

    async def relayed(self, sender: str, timeout: float = RELAYED_WAIT_SECONDS) -> bool:
        """Wait until this process has handled every queued event of `sender` (the relay to
        the coach included); False after `timeout` (the relay keeps retrying meanwhile).

        Two Rasa instances relay from their own queues: without this, a user's message taken
        by one could reach the coach after the next message, taken by the other."""
        event = self._relayed.get(sender)
        if event is None:
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def _button_title(self, sender: str, event: dict[str, Any]) -> str | None:
        """Remember each sender's last buttons; for a user event that is one of their
        payloads ("/affirm"), the button's title, so the coach reads "tryckte: Ja"."""
        if not sender:
            return None
        if event.get("event") == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            buttons = {str(b.get("payload")): str(b.get("title"))
                       for b in data.get("buttons") or [] if isinstance(b, dict)}
            self._buttons[sender] = buttons
            self._buttons.move_to_end(sender)
            while len(self._buttons) > MAX_PENDING_REVIEW:
                self._buttons.popitem(last=False)
            return None
        if event.get("event") == "user":
            return self._buttons.get(sender, {}).get(str(event.get("text") or "").strip())
        return None

    def _note_for_review(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The review post a missed message calls for (None if none); remember other user
        messages until the bot acts, as a rephrase request makes them missed too."""
        sender = event.get("sender_id")
        if not sender:
            return None
        sender = str(sender)
        if event.get("event") == "user":
            self._pending_review.pop(sender, None)
            unclear = self._offered.pop(sender, None)
            if unclear is not None and (label := choice_payload(unclear, event)) is not None:
                return label
            reason = review_reason(event.get("parse_data") or {}, self.review_threshold)
            if reason is not None:
                if offered_choices(event.get("parse_data") or {}):
                    self._offered[sender] = event
                    while len(self._offered) > MAX_PENDING_REVIEW:
                        self._offered.popitem(last=False)
                return review_payload(event, reason)
            if (event.get("text") or "").strip() and not str(event.get("text")).startswith("/"):
                self._pending_review[sender] = event
                while len(self._pending_review) > MAX_PENDING_REVIEW:
                    self._pending_review.popitem(last=False)
        elif event.get("event") == "action":
            pending = self._pending_review.pop(sender, None)
            if pending is not None and event.get("name") in REPHRASE_ACTIONS:
                return review_payload(pending, "rephrase")
        return None

    def _note_escalation(self, event: dict[str, Any]) -> None:
        """action_escalate followed by anything but a bot message failed: run it here."""
        sender = str(event.get("sender_id") or "")
        if not sender:
            return
        kind = event.get("event")
        if sender in self._escalating:
            self._escalating.discard(sender)
            if kind != "bot":
                log.warning("action_escalate failed (action server down?); running it in the "
                            "Rasa process")
                task = asyncio.get_event_loop().create_task(self._escalate_here(sender))
                self._fallbacks.add(task)
                task.add_done_callback(self._fallbacks.discard)
        if kind == "action" and event.get("name") == ESCALATE_ACTION:
            self._escalating.add(sender)

    async def _escalate_here(self, sender: str) -> None:
        """The hand-off action_escalate runs, run in this process through Rasa's HTTP API."""
        from rasa_sdk import Tracker

        from bot.case_request import escalate

        try:
            state = await self.rasa.tracker(sender)
            outcome = await escalate(Tracker.from_dict(state), self.escalation)
            new = [{"event": "bot", "text": text} for text in outcome.texts] + \
                [dict(e) for e in outcome.events]
            await self.rasa.append_events(sender, new, "latest")
        except Exception:  # the user was already told nothing: log loudly
            log.exception("escalation fallback for a conversation failed")

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        for task in list(self._fallbacks):
            task.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.escalation.close()
        await self.rasa.close()

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            try:
                if EVENT_KEY in item:
                    sender = str(item[EVENT_KEY]["sender_id"])
                    self._remember_case_state(sender, UNKNOWN)
                    self._remember_case_state(sender, await self._relay(
                        item[EVENT_KEY], item.get(BUTTON_KEY)))
                else:
                    sender = str(item.get("sender") or "")
                # in queue order, so the state is that of the message this review is about
                if item.get(REVIEW_KEY) is not None and self._case_state.get(sender) == NO_CASE:
                    await self._post_review(item[REVIEW_KEY])
            except Exception:  # never let one failure stop the relay
                log.exception("relaying a user message failed")
            finally:
                self._done(item)

    def _remember_case_state(self, sender: str, state: str) -> None:
        self._case_state[sender] = state
        self._case_state.move_to_end(sender)
        while len(self._case_state) > MAX_PENDING_REVIEW:
            self._case_state.popitem(last=False)

    async def _relay(self, event: dict[str, Any], button_title: str | None = None) -> str:
        """Post the message to the conversation's case; what the service said about the case."""
        sender = str(event["sender_id"])
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in SAFETY_ANSWERS and await self._is_paused(sender):
            await self._execute(sender, SAFETY_ANSWERS[intent])
        for wait in (*RELAY_RETRY_SECONDS, None):
            try:
                status = await self.escalation.relay_message(
                    sender, event.get("text") or "", intent, event.get("timestamp"),
                    button_title, protocol.user_message_id(event))
                if status == 202:
                    return CASE_OPEN
                if status == 404:
                    return NO_CASE
                problem = f"escalation service answered {status} for a user message"
                if status not in RETRY_STATUSES:
                    log.warning(problem)
                    metrics.RELAY_FAILURES.labels("refused").inc()
                    return UNKNOWN
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                problem = f"escalation service unreachable: {exc!r}"
            if wait is None:
                # in the tracker: the service's reconciliation brings it to the coach
                log.warning("%s; given up", problem)
                metrics.RELAY_FAILURES.labels("unreachable").inc()
                return UNKNOWN
            await asyncio.sleep(wait)
        return UNKNOWN

    async def _post_review(self, payload: dict[str, Any]) -> None:
        try:
            status = await self.escalation.post_review(payload)
            if status != 202:
                log.warning("review inbox answered %s", status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("review inbox unreachable: %s", exc)  # a lost review item is no harm

    async def _is_paused(self, sender: str) -> bool:
        try:
            return await self.rasa.is_paused(sender)
        except RasaUnreachable:
            return True  # unsure: sending the safety answer once more is the safe mistake
        except RasaError:
            return False

    async def _execute(self, sender: str, action: str) -> None:
        try:
            await self.rasa.execute(sender, action)
        except RasaError as exc:
            log.error("safety answer %s not sent: %s", action, exc)
