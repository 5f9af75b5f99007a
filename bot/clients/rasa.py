"""The one client of Rasa's HTTP API and callback channel, for every process that calls Rasa."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.language import LANGUAGES
from bot.protocol import (
    CALLBACK_HEADER,
    COACH_KEY,
    HANDED_BACK,
    HANDOFF_ENDED,
    HANDOFF_KEY,
    LISTEN_ACTION,
    MESSAGE_ID_KEY,
    WEB_MESSAGE_ID_KEY,
    ends_handoff,
    handoff_ended,
    is_coach,
    user_message_id,
    web_message_id,
)

log = logging.getLogger(__name__)


LISTEN = {"event": "action", "name": LISTEN_ACTION}
# channels that can push a message to the user at any time (the gateway behind "callback");
# "rest" only answers the user's own request, so a message sent later reaches nobody
PUSH_CHANNELS = frozenset({"callback"})


def delivery_channel(case_channel: str) -> str | None:
    """Where messages of a case go: the case's own channel if it can push, else nowhere
    (stored in the tracker only). Never "latest": a request on another channel with the same
    conversation id must not redirect the coach's messages."""
    return case_channel if case_channel in PUSH_CHANNELS else None


class RasaError(Exception):
    """Rasa could not be reached or answered with an error."""


class RasaUnreachable(RasaError):
    """No answer at all (refused, reset, timeout): Rasa's state is unknown."""


# the gateway's name for both: a message that did not reach Rasa
RasaUnavailable = RasaError


class RasaClient:
    """The one client of Rasa's HTTP interfaces; one aiohttp session for its life.

    Two credentials, two kinds of caller: `token` (RASA_TOKEN) for the HTTP API (trackers,
    events, actions, the model: the escalation service, the relay broker, modelops), and
    `callback_token` (GATEWAY_CALLBACK_TOKEN) for the callback channel, which is all the
    gateway may use (it holds no RASA_TOKEN).
    """

    def __init__(self, base_url: str, token: str = "", timeout_seconds: float = 10.0,
                 callback_token: str = "", connection_limit: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.callback_token = callback_token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._limit = connection_limit
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RasaClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _url(self, conversation_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{suffix}"

    async def _request(self, method: str, url: str, *, auth: str = "token",
                       **kwargs: Any) -> Any:
        """One request; `auth` "token" (HTTP API, ?token=) or "callback" (channel header)."""
        await self.start()
        assert self._session is not None
        if auth == "token":
            kwargs["params"] = {"token": self.token, **kwargs.pop("params", {})}
        else:
            headers = dict(kwargs.pop("headers", {}) or {})
            if self.callback_token:
                headers[CALLBACK_HEADER] = self.callback_token
            kwargs["headers"] = headers
        try:
            async with self._session.request(method, url, **kwargs) as resp:
                if resp.status >= 400:
                    body = (await resp.text())[:300]
                    raise RasaError(f"Rasa {method} {url.split('?')[0]} -> {resp.status}: {body}")
                if resp.content_type == "application/json":
                    return await resp.json()
                return await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnreachable(f"Rasa unreachable: {exc!r}") from exc

    # ---- HTTP API (RASA_TOKEN) ---------------------------------------------------------------

    async def tracker(self, conversation_id: str,
                      include_events: str | None = None) -> dict[str, Any]:
        params = {"include_events": include_events} if include_events else {}
        tracker = await self._request("GET", self._url(conversation_id, "tracker"),
                                      params=params)
        if not isinstance(tracker, dict):
            raise RasaError("Rasa tracker is not a JSON object")
        return tracker

    async def is_paused(self, conversation_id: str) -> bool:
        return bool((await self.tracker(conversation_id, "NONE")).get("paused"))

    async def execute(self, conversation_id: str, action: str,
                      channel: str = "latest") -> None:
        """Run one action now (POST /execute), its messages sent on `channel`."""
        await self._request("POST", self._url(conversation_id, "execute"),
                            params={"output_channel": channel}, json={"name": action})

    async def status(self) -> dict[str, Any]:
        status = await self._request("GET", f"{self.base_url}/status")
        return status if isinstance(status, dict) else {}

    async def replace_model(self, model_file: str) -> None:
        """PUT /model: Rasa loads the model while the old one keeps answering, then swaps."""
        await self._request("PUT", f"{self.base_url}/model", json={"model_file": model_file})

    # ---- callback channel (GATEWAY_CALLBACK_TOKEN) -------------------------------------------

    async def send_message(self, sender_id: str, text: str, client: str | None = None,
                           language: str | None = None,
                           message_id: str | None = None) -> None:
        """POST to Rasa's callback channel; returns once Rasa has handled the message (every
        reply has then been POSTed to the gateway's callback URL). `client` names the real
        client (a keyed hash: Rasa's channel stores only a daily pseudonym of it); `language`
        is the one chosen on the page: the assistant answers this very message in it;
        `message_id` is the page's id of it, kept with the message in the tracker, so a
        reloaded page and a repeated send can tell the message arrived."""
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        metadata: dict[str, str] = {}
        if client and self.callback_token:
            metadata["client"] = client
        if language in LANGUAGES:
            metadata["language"] = language
        if web_message_id(message_id):
            metadata[WEB_MESSAGE_ID_KEY] = str(message_id)
        if metadata:
            body["metadata"] = metadata
        await self._request("POST", f"{self.base_url}/webhooks/callback/webhook",
                            auth="callback", json=body)

    async def rest_message(self, sender_id: str, text: str) -> list[dict[str, Any]]:
        """POST to the REST channel (with the gateway's secret: a production Rasa's REST
        channel takes messages only with it); the bot's replies."""
        replies = await self._request("POST", f"{self.base_url}/webhooks/rest/webhook",
                                      auth="callback", json={"sender": sender_id,
                                                             "message": text})
        return replies if isinstance(replies, list) else []

    async def channel_events(self, sender_id: str) -> list[dict[str, Any]]:
        """A web conversation's user and bot events (the callback channel's /transcript)."""
        data = await self._request("GET", f"{self.base_url}/webhooks/callback/transcript",
                                   auth="callback", params={"sender": sender_id})
        events = data.get("events") if isinstance(data, dict) else None
        return [e for e in events or [] if isinstance(e, dict)]

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]],
                            channel: str | None = "latest") -> None:
        """Append events; Rasa delivers bot messages on `channel` (a registered input
        channel's name; None: stored in the tracker only, delivered nowhere)."""
        params = {"execute_side_effects": "true"}
        if channel:
            params["output_channel"] = channel
        await self._request(
            "POST", self._url(conversation_id, "tracker/events"), params=params, json=events,
        )

    async def send_coach_message(self, conversation_id: str, text: str,
                                 channel: str | None = "latest",
                                 message_id: str | None = None) -> None:
        """A coach's message; `message_id` travels with it to the gateway, which names it
        when the SMS provider reports that it did not arrive."""
        metadata: dict[str, Any] = {COACH_KEY: True}
        if message_id:
            metadata[MESSAGE_ID_KEY] = message_id
        await self.append_events(
            conversation_id, [{"event": "bot", "text": text, "metadata": metadata}], channel,
        )

    async def send_bot_message(self, conversation_id: str, text: str,
                               channel: str | None = "latest") -> None:
        """A service message (e.g. the claim timeout notice); not from a coach."""
        await self.append_events(conversation_id, [{"event": "bot", "text": text}], channel)

    async def pause(self, conversation_id: str) -> None:
        """Pause the bot (ConversationPaused) so it stays silent while a coach talks."""
        await self.append_events(conversation_id, [{"event": "pause"}])

    async def resume(self, conversation_id: str, text: str,
                     channel: str | None = "latest", reason: str = HANDED_BACK) -> None:
        """Hand the conversation back to the bot (hand back, close and the user leaving all
        end like this); `text` is marked as the end of the hand-off (bot.protocol).

        A paused Rasa never ran `action_listen` after the action that paused it; adding it
        puts the tracker back in the "waiting for the user" state that the rules expect.
        """
        await self.append_events(
            conversation_id,
            [{"event": "resume"}, LISTEN,
             {"event": "bot", "text": text, "metadata": handoff_ended(reason)}],
            channel,
        )

    async def transcript(self, conversation_id: str, until: float | None = None,
                         since: float | None = None) -> list[dict[str, Any]]:
        """User, bot and coach texts of the conversation, oldest first; with `since` /
        `until` (Unix times) only what was said after / up to then."""
        tracker = await self.tracker(conversation_id)
        return transcript_from_events(tracker.get("events") or [], until, since)


def said(events: list[Any]) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
    """The user and bot events that say something: (event, its text, its metadata or {}).
    One reading of a tracker for the coach's transcript and the web chat's history."""
    for ev in events:
        if not isinstance(ev, dict) or ev.get("event") not in {"user", "bot"}:
            continue
        text = ev.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        metadata = ev.get("metadata")
        yield ev, text, metadata if isinstance(metadata, dict) else {}


def transcript_from_events(events: list[Any], until: float | None = None,
                           since: float | None = None) -> list[dict[str, Any]]:
    """Reduce tracker events to what a coach needs to read, within the case's time window:
    an event after `until` (the case ended) or before `since` (an earlier case of the same
    conversation ended), or without a time when a window applies, is left out.

    A user entry that is a payload of the last bot turn's buttons carries that button's
    `button_title`, and Rasa's `user_message_id` and `intent` when known (the relay's names);
    the bot message that ended a coach's part carries `handoff`."""
    out: list[dict[str, Any]] = []
    buttons: dict[str, str] = {}  # payload -> title of the last bot turn's buttons
    for ev, text, metadata in said(events):
        if ev["event"] == "bot":  # before the window check: a button may predate the window
            data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
            buttons = {str(b.get("payload")): str(b.get("title"))
                       for b in data.get("buttons") or []
                       if isinstance(b, dict) and b.get("payload") and b.get("title")}
        if until is not None or since is not None:
            ts = ev.get("timestamp")
            if isinstance(ts, bool) or not isinstance(ts, (int, float)):
                continue
            if (until is not None and ts > until) or (since is not None and ts <= since):
                continue
        who = "user" if ev["event"] == "user" else ("coach" if is_coach(metadata) else "bot")
        entry = {"who": who, "text": text, "timestamp": ev.get("timestamp")}
        if who == "user":
            if text.strip() in buttons:
                entry["button_title"] = buttons[text.strip()]
            entry.update(_user_fields(ev))
        if who == "coach" and isinstance(metadata.get(MESSAGE_ID_KEY), str):
            entry[MESSAGE_ID_KEY] = metadata[MESSAGE_ID_KEY]
        if who == "bot" and ends_handoff(metadata):
            entry[HANDOFF_KEY] = HANDOFF_ENDED
        out.append(entry)
    return out


def _user_fields(event: dict[str, Any]) -> dict[str, str]:
    """A user event's Rasa message id and intent, as the relay broker sends them."""
    out: dict[str, str] = {}
    if (message_id := user_message_id(event)) is not None:
        out["user_message_id"] = message_id
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    if isinstance(intent.get("name"), str) and intent["name"]:
        out["intent"] = intent["name"]
    return out
