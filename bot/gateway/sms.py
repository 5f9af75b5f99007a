"""SMS, whatever the provider: inbound flow, reply formatting and ordered outbound sending.

Inbound (from a connector's webhook, after it verified the request): the number becomes a
pseudonymous Rasa sender id, is stored encrypted in the vault, and the text goes to Rasa's
callback channel. Replies that arrive at the callback while Rasa handles that SMS are
collected and sent together once Rasa is done, so one answer becomes as few SMS as possible,
split at paragraph, line, sentence or word boundaries. Anything arriving outside an inbound
request (a coach's message, a service notice) is sent at once. Buttons become numbered
choices ("Svara 1, 2 eller 3."), and an answer "2" sends the second button's payload.

With several gateway instances (REDIS_URL set) Rasa's callbacks for an SMS may reach another
instance than the one whose webhook is waiting for Rasa: "a reply is running" and the
collected messages then live in Redis (`SmsBatches`, each step one atomic script), and one
number's SMS are sent one batch at a time across instances (a Redis lock per number).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from bot import language, metrics, protocol
from bot.clients.escalation import EscalationUnavailable, GatewayCalls
from bot.clients.rasa import RasaClient, RasaUnavailable
from bot.gateway import texts
from bot.gateway.conversation import CoachTracker
from bot.gateway.presence import PresenceReporter
from bot.gateway.settings import GatewaySettings
from bot.gateway.vault import SMS_PREFIX, Vault, normalise_number, pseudonym
from bot.privacy import scrub
from bot.ratelimit import SharedRateLimiter, TokenBuckets

if TYPE_CHECKING:
    from bot.gateway.conversation import CoachFlags

log = logging.getLogger(__name__)

_CHOICE_RE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_URL_SCHEME_RE = re.compile(r"\bhttps?://(?:www\.)?(\S+?)/?(?=[.,!?)]*(?:\s|$))")
# characters outside the GSM-7 alphabet that the content uses: replacing them keeps an SMS
# at 160 characters per segment instead of 70 (UCS-2)
_GSM_FRIENDLY = str.maketrans({"•": "-", "–": "-", "—": "-", "“": '"', "”": '"', "„": '"',
                               "’": "'", "‘": "'", "…": "...", "\u00a0": " "})
_SEPARATORS = ("\n\n", "\n", ". ", " ")

# send(http, to, via, body) -> the provider's message id (None if it gave none)
Sender = Callable[[aiohttp.ClientSession, str, str, str], Awaitable[str | None]]
# what providers call an accepted SMS that then did not reach the phone
FAILED_STATUSES = frozenset({"failed", "undelivered"})


class SmsSendError(Exception):
    """The provider's API refused or could not be reached (the message is safe to log)."""


class DeliveryReportError(Exception):
    """A failed delivery could not be passed on to the escalation service."""


def coach_message_ids(batch: list[dict[str, Any]]) -> list[str]:
    """The ids the escalation service gave the coach messages of a batch (Rasa's callback
    channel forwards them, bot.rasa_plugins.channels.callback)."""
    return [str(m["message_id"]) for m in batch
            if m.get("coach") and isinstance(m.get("message_id"), str)
            and 0 < len(m["message_id"]) <= 64]


async def provider_message_id(resp: aiohttp.ClientResponse, field: str) -> str | None:
    """The id in a provider's JSON answer (Twilio `sid`, 46elks `id`), else None."""
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return None
    value = data.get(field) if isinstance(data, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


async def post_to_provider(http: aiohttp.ClientSession, provider: str, url: str,
                           data: dict[str, str], auth: aiohttp.BasicAuth,
                           accepted: tuple[int, ...], id_field: str) -> str | None:
    """POST one SMS to a provider's API and return its message id (None if the answer has
    none). A refusal or an unreachable provider raises SmsSendError with a scrubbed reason
    (`provider_failure`, off the event loop: the scrubber is CPU work)."""
    try:
        async with http.post(url, data=data, auth=auth) as resp:
            if resp.status not in accepted:
                body = await resp.text(errors="replace")
                raise SmsSendError(await asyncio.to_thread(
                    provider_failure, provider, resp.status, body))
            return await provider_message_id(resp, id_field)
    except aiohttp.ClientError as exc:
        reason = await asyncio.to_thread(provider_failure, provider, None, type(exc).__name__)
        raise SmsSendError(reason) from exc


# any run of 5+ digits, however grouped: a number the provider echoes back in its error
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s().-]*\d){4,}")
MAX_REASON = 120


def provider_failure(provider: str, status: int | None, body: str) -> str:
    """A loggable line for a provider's refusal: status, error code, scrubbed short reason.

    Providers echo the recipient's number (and sometimes the text) in their error bodies, so
    the body is never logged as it is: only Twilio's numeric `code` and a reason with
    personal data scrubbed and every long digit run masked.
    """
    code: object = None
    reason = body or ""
    try:
        data = json.loads(reason)
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = data.get("code") if isinstance(data.get("code"), int) else None
        reason = str(data.get("message") or data.get("error") or "")
    reason = " ".join(reason.split())[:400]
    reason = _DIGIT_RUN.sub("[nummer]", scrub(reason))[:MAX_REASON]
    head = f"{provider} answered {status}" if status is not None else f"{provider} unreachable"
    return head + (f" (code {code})" if code is not None else "") + (
        f": {reason}" if reason else "")


@dataclass(frozen=True)
class InboundSms:
    provider: str
    number: str  # the user's number, normalised; never stored in clear
    via: str  # our number that the user texted
    text: str


# ---- formatting -----------------------------------------------------------------------------

def plain(text: str) -> str:
    """SMS-friendly text: links as plain text without scheme, GSM-7 friendly punctuation."""
    text = _MD_LINK_RE.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = _URL_SCHEME_RE.sub(lambda m: m.group(1), text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return texts.sms_friendly(text.translate(_GSM_FRIENDLY).strip())


def choices_text(titles: list[str], lang: str) -> str:
    """Numbered lines and "Svara 1, 2 eller 3." (content text utter_sms_choose)."""
    lines = [f"{i}. {plain(t)}" for i, t in enumerate(titles, 1)]
    numbers = [str(i) for i in range(1, len(titles) + 1)]
    if len(numbers) == 1:
        prompt = texts.text("utter_sms_choose", lang, first="1", last="1").replace(
            "1 eller 1", "1").replace("1 or 1", "1")
    else:
        prompt = texts.text("utter_sms_choose", lang, first=", ".join(numbers[:-1]),
                            last=numbers[-1])
    return "\n".join([*lines, prompt])


def split_sms(text: str, limit: int) -> list[str]:
    """Split at the largest natural boundary that fits; parts are numbered "(1/3)"."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    parts = _pack(text, max(limit - 8, 20), 0)
    return [f"{p} ({i}/{len(parts)})" for i, p in enumerate(parts, 1)]


def _pack(text: str, budget: int, level: int) -> list[str]:
    if len(text) <= budget:
        return [text]
    if level == len(_SEPARATORS):
        return [text[i:i + budget] for i in range(0, len(text), budget)]
    sep = _SEPARATORS[level]
    pieces = text.split(sep)
    joiner = " " if sep == ". " else sep
    out: list[str] = []
    current = ""
    for i, piece in enumerate(pieces):
        if sep == ". " and i < len(pieces) - 1:
            piece += "."
        if len(piece) > budget:
            if current:
                out.append(current)
                current = ""
            out.extend(_pack(piece, budget, level + 1))
            continue
        candidate = f"{current}{joiner}{piece}" if current else piece
        if len(candidate) <= budget:
            current = candidate
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return [p.strip() for p in out if p.strip()]


def compose(messages: list[dict[str, Any]], limit: int) -> tuple[list[str], list[str] | None]:
    """SMS bodies for a batch of callback messages, and the payloads of its choices (None if
    the batch offers none)."""
    texts_out: list[str] = []
    payloads: list[str] | None = None
    joined = " ".join(str(m.get("text") or "") for m in messages)
    lang = language.detect(joined) or "sv"
    for message in messages:
        body = plain(str(message.get("text") or ""))
        if message.get("coach") and body:
            body = f"{texts.text('utter_web_coach_label', lang)}: {body}"
        buttons = [b for b in message.get("buttons") or [] if isinstance(b, dict)]
        if buttons:
            payloads = [str(b.get("payload", "")) for b in buttons]
            body = f"{body}\n\n{choices_text([str(b.get('title', '')) for b in buttons], lang)}"
        if body.strip():
            texts_out.append(body.strip())
    if not texts_out:
        return [], payloads
    return split_sms("\n\n".join(texts_out), limit), payloads


def pick_choice(text: str, payloads: list[str]) -> str | None:
    """The payload a reply like "2" picks, or None if it is not a valid choice."""
    match = _CHOICE_RE.match(text)
    if not match or not payloads:
        return None
    index = int(match.group(1))
    return payloads[index - 1] if 1 <= index <= len(payloads) else None


# ---- inbound request parsing (shared by the connectors) --------------------------------------

async def once(vault: Vault, key: str, work: Awaitable[Any]) -> None:
    """Run `work` for a provider's request the first time `key` is seen; a replay or retry
    of a request already handled is answered and not processed twice. If `work` fails the
    key is forgotten, so the provider's retry gets through (the failure answers 502)."""
    if not await asyncio.to_thread(vault.first_sight, key):
        close = getattr(work, "close", None)
        if close is not None:
            close()  # the coroutine is not needed
        return
    try:
        await work
    except DeliveryReportError as exc:
        await asyncio.shield(asyncio.to_thread(vault.unsee, key))
        log.warning("delivery report not passed on: %s", exc)
        raise web.HTTPBadGateway(text="could not pass the report on; send it again") from exc
    except BaseException:
        await asyncio.shield(asyncio.to_thread(vault.unsee, key))  # let the retry through
        raise


async def read_form(request: web.Request, max_bytes: int) -> dict[str, str]:
    """The form body as a dict; 413 if too big, 415 if not a form, 400 if not UTF-8."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes,
                                            actual_size=request.content_length)
    if request.content_type not in ("application/x-www-form-urlencoded", ""):
        raise web.HTTPUnsupportedMediaType(text="form posts only")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=len(raw))
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                          errors="strict")
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(text="body is not valid UTF-8") from exc
    return dict(pairs)


def inbound_from_form(provider: str, number: str | None, via: str | None,
                      text: str | None) -> InboundSms:
    """Validate the fields every provider sends; 400 with a clear reason otherwise."""
    if number is None or text is None:
        raise web.HTTPBadRequest(text="missing sender or message field")
    normalised = normalise_number(number)
    if normalised is None:
        raise web.HTTPBadRequest(text="sender is not a phone number")
    return InboundSms(provider, normalised, normalise_number(via or "") or "", text)


# ---- batching across instances ----------------------------------------------------------------

# begin: one more inbound SMS of this number is with Rasa
_BEGIN = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
"""
# offer: keep a message for the running reply (1), or 0 if none is running (send it now)
_OFFER = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
"""
# end: one inbound SMS is done; the last one takes every kept message
_END = """
local n = redis.call('DECR', KEYS[1])
if n > 0 then return false end
redis.call('DEL', KEYS[1])
local kept = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return kept
"""


class SmsBatches:
    """Which numbers have an inbound SMS with Rasa, and the replies kept for it.

    In this process's memory (one gateway) or in Redis (several: the webhook that waits for
    Rasa and the callback that carries the answer may be on different instances). While
    Redis does not answer, each instance batches what it sees itself. A Redis entry expires
    after `ttl` seconds, so an instance killed during a reply does not hold a number's
    replies back for longer than that (the replies it kept are in Rasa's tracker).
    """

    def __init__(self, redis: Any = None, prefix: str = "sluta-skjut", ttl: int = 120) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._inflight: dict[str, int] = {}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._remote: set[str] = set()  # numbers whose running reply is counted in Redis

    def _keys(self, sender: str) -> list[str]:
        return [f"{self.prefix}:gateway:sms:inflight:{sender}",
                f"{self.prefix}:gateway:sms:kept:{sender}"]

    async def begin(self, sender: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.eval(_BEGIN, 2, *self._keys(sender), self.ttl)
                self._remote.add(sender)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("SMS batching in this instance only (Redis: %r)", exc)
        self._inflight[sender] = self._inflight.get(sender, 0) + 1
        self._buffers.setdefault(sender, [])

    async def offer(self, sender: str, message: dict[str, Any]) -> bool:
        """True if the message joins a running reply's batch; False: send it now."""
        if sender in self._inflight:
            self._buffers.setdefault(sender, []).append(message)
            return True
        if self.redis is not None:
            try:
                return bool(await self.redis.eval(_OFFER, 2, *self._keys(sender),
                                                  json.dumps(message), self.ttl))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("SMS reply sent unbatched (Redis: %r)", exc)
        return False

    async def end(self, sender: str) -> list[dict[str, Any]]:
        """One inbound SMS is done: the batch to send now (empty while others still run)."""
        batch: list[dict[str, Any]] = []
        if sender in self._inflight:
            self._inflight[sender] -= 1
            if self._inflight[sender] == 0:
                del self._inflight[sender]
                batch = self._buffers.pop(sender, [])
        if sender in self._remote:
            self._remote.discard(sender)
            try:
                kept = await self.redis.eval(_END, 2, *self._keys(sender))
                batch += [json.loads(m) for m in kept or []]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("SMS replies kept in Redis not collected (%r); they expire", exc)
        return batch


# ---- outbound ---------------------------------------------------------------------------------

class SmsOutbox:
    """Sends replies per number in order; batches replies to one inbound SMS."""

    def __init__(self, settings: GatewaySettings, vault: Vault, rasa: RasaClient,
                 limiter: SharedRateLimiter, coach: CoachTracker | CoachFlags,
                 senders: dict[str, Sender],
                 presence: PresenceReporter | None = None,
                 batches: SmsBatches | None = None,
                 escalation: GatewayCalls | None = None) -> None:
        self.settings = settings
        self.vault = vault
        self.rasa = rasa
        self.limiter = limiter
        self.coach = coach
        self.senders = senders  # provider name -> send(http, to, from_, body)
        self.presence = presence
        self.escalation = escalation  # the escalation service's gateway API (delivery failures)
        self.http: aiohttp.ClientSession | None = None
        self.batches = batches or SmsBatches()
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._notices = TokenBuckets(1, 60)  # at most one "slow down" SMS per minute
        self.dropped = 0  # replies for numbers already deleted (STOP or expired)

    def sender_id(self, number: str) -> str:
        return pseudonym(self.settings.secret, number, SMS_PREFIX)

    async def handle_inbound(self, sms: InboundSms) -> None:
        """The whole life of one inbound SMS; the webhook answers when this returns."""
        sender = self.sender_id(sms.number)
        text = sms.text.strip()
        if not text:
            return
        if protocol.leave_word(text.strip(".! ")):
            await self._stop(sender, sms)
            return
        if not await self.limiter.allow_conversation(sender):
            metrics.REFUSED.labels("sms").inc()
            if self._notices.allow(sender):
                await self._send_direct(sms, texts.text("utter_gateway_rate_limited",
                                                        language.detect(text) or "sv"))
            return
        if len(text) > self.settings.max_message_chars:
            await self._send_direct(sms, texts.text("utter_gateway_too_long",
                                                    language.detect(text) or "sv"))
            return
        contact = await asyncio.to_thread(self.vault.lookup, sender)
        await asyncio.to_thread(self.vault.remember, sender, sms.provider, sms.number, sms.via)
        if contact is not None and contact.buttons:
            picked = pick_choice(text, contact.buttons)
            if picked is not None:  # a choice is used once
                text = picked
                await asyncio.to_thread(self.vault.set_buttons, sender, [])
        await self.batches.begin(sender)
        failed: list[dict[str, Any]] = []
        metrics.MESSAGES.labels("sms").inc()
        started = time.perf_counter()
        try:
            await self.rasa.send_message(sender, text, client=sender[:40])  # one phone, one client
            metrics.LATENCY.labels("sms").observe(time.perf_counter() - started)
        except RasaUnavailable as exc:
            log.warning("SMS not delivered to Rasa: %s", exc)
            metrics.DELIVERY_FAILURES.labels("sms", "rasa_unavailable").inc()
            failed.append(
                {"text": texts.text("utter_gateway_unavailable", language.detect(text) or "sv")})
        finally:
            batch = await asyncio.shield(self.batches.end(sender)) + failed
            if batch:
                self._spawn(self._send_batch(sender, batch))

    async def deliver(self, sender_id: str, message: dict[str, Any]) -> None:
        """A message from the callback: batch it with the running reply (on whichever
        instance it runs), or send now."""
        if not await self.batches.offer(sender_id, message):
            self._spawn(self._send_batch(sender_id, [message]))

    async def _stop(self, sender: str, sms: InboundSms) -> None:
        """STOP/SLUTA: delete the number, confirm, and let an open coach case close."""
        await asyncio.to_thread(self.vault.forget, sender)
        forgotten = self.coach.forget(sender)
        if forgotten is not None:  # CoachFlags: a coroutine
            await forgotten
        word = protocol.leave_word(sms.text.strip(".! "))
        await self._send_direct(
            sms, texts.text("utter_sms_stopped", "en" if word == "unsubscribe" else "sv"))
        # an explicit report: the service closes an open coach case and tells the coach
        if self.presence is not None and await self.presence.left(sender, protocol.SMS_STOP):
            return
        try:  # the report did not go through: the leave word closes an open case too
            await self.rasa.send_message(sender, protocol.LEAVE_WORD)
        except RasaUnavailable as exc:
            log.warning("STOP not forwarded to Rasa: %s", exc)

    async def _send_direct(self, sms: InboundSms, body: str) -> None:
        """Answer the number in hand (not from the vault): used when nothing is stored."""
        try:
            await self._provider_send(sms.provider, sms.number, sms.via, plain(body))
        except SmsSendError as exc:
            log.warning("direct SMS failed: %s", exc)

    async def _send_batch(self, sender: str, batch: list[dict[str, Any]]) -> None:
        lock = self._locks.setdefault(sender, asyncio.Lock())
        self._lock_users[sender] = self._lock_users.get(sender, 0) + 1
        try:
            async with lock, self._number_lock(sender):
                contact = await asyncio.to_thread(self.vault.lookup, sender)
                if contact is None:
                    self.dropped += len(batch)
                    return
                bodies, payloads = compose(batch, self.settings.sms_max_chars)
                await asyncio.to_thread(self.vault.set_buttons, sender, payloads or [])
                provider = contact.provider
                for body in bodies:
                    sent_id = await self._provider_send(provider, contact.number, contact.via,
                                                        body)
                    if sent_id:  # its delivery report may come later
                        await asyncio.to_thread(self.vault.record_sent,
                                                self.sent_key(provider, sent_id), sender,
                                                coach_message_ids(batch))
        except SmsSendError as exc:
            log.warning("SMS reply not sent: %s", exc)
            metrics.DELIVERY_FAILURES.labels("sms", "not_sent").inc()
            try:
                await self.report_failure(sender, coach_message_ids(batch), "not_sent", None)
            except DeliveryReportError as report:
                log.warning("failed SMS not reported: %s", report)
        finally:
            self._lock_users[sender] -= 1
            if self._lock_users[sender] == 0:  # nobody else waits: drop the lock
                del self._lock_users[sender]
                self._locks.pop(sender, None)

    @contextlib.asynccontextmanager
    async def _number_lock(self, sender: str) -> AsyncIterator[None]:
        """One number's batches one after another across instances (Redis lock); without
        Redis, or while it does not answer, the in-process lock alone orders them."""
        redis = self.batches.redis
        lock = None
        if redis is not None:
            lock = redis.lock(f"{self.batches.prefix}:gateway:sms:sending:{sender}",
                              timeout=60, blocking_timeout=30)
            try:
                if not await lock.acquire():
                    lock = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("SMS sent without the cross-instance lock (Redis: %r)", exc)
                lock = None
        try:
            yield
        finally:
            if lock is not None:
                with contextlib.suppress(Exception):
                    await lock.release()

    def sent_key(self, provider: str, provider_id: str) -> str:
        """The vault's key for a provider's message id (a keyed hash, not the id)."""
        return pseudonym(self.settings.secret, f"{provider}:{provider_id}", "sent-")

    async def delivery_failed(self, provider: str, provider_id: str, status: str,
                              error_code: str | None) -> bool:
        """A provider's report that an SMS it accepted did not arrive: tell the coach.
        False if the SMS is unknown (not sent by this gateway, or past SENT_TTL)."""
        sent = await asyncio.to_thread(self.vault.sent, self.sent_key(provider, provider_id))
        if sent is None:
            return False
        metrics.DELIVERY_FAILURES.labels("sms", "provider_report").inc()
        await self.report_failure(sent.sender_id, sent.message_ids, status, error_code)
        return True

    async def report_failure(self, sender: str, message_ids: list[str], status: str,
                             error_code: str | None) -> None:
        """POST the failure to the escalation service, which marks the coach's messages and
        warns on the conversation's case. Raises DeliveryReportError if it could not be
        told (a provider's report is then answered with an error, so it is sent again)."""
        if self.escalation is None or not self.escalation.started:
            raise DeliveryReportError("gateway not started")
        try:
            answer = await self.escalation.delivery_failures(sender, message_ids, status,
                                                             error_code)
            if answer == 404:  # no case shows this conversation: nobody to tell
                log.info("SMS not delivered (%s); the conversation has no case", status)
            elif answer >= 300:
                raise DeliveryReportError(f"escalation service answered {answer}")
        except (aiohttp.ClientError, asyncio.TimeoutError, EscalationUnavailable) as exc:
            raise DeliveryReportError(f"escalation service unreachable: {exc!r}") from exc

    async def _provider_send(self, provider: str, to: str, via: str, body: str) -> str | None:
        send = self.senders.get(provider)
        if send is None or self.http is None:
            raise SmsSendError(f"provider {provider!r} is not configured")
        last: Exception | None = None
        for attempt in range(2):
            try:
                return await send(self.http, to, via, body)
            except SmsSendError as exc:
                last = exc
                await asyncio.sleep(0.5 * (attempt + 1))
        raise SmsSendError(str(last))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for queued sends (shutdown and tests). Loops on the tasks not yet done, not on
        the set: a finished task leaves the set by a done callback that only runs once the
        event loop turns, and gather() of finished tasks returns without turning it (Python
        3.12 completes it eagerly), so waiting on the set alone can spin for ever."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)
