"""The service's only way to reach Rasa: its HTTP API (contract: /work/briefs/escalation.md)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.escalation import labels

log = logging.getLogger(__name__)


LISTEN = {"event": "action", "name": "action_listen"}
# metadata of the bot message that ends a coach's part: the web chat shows it as the one
# "the coach has left" line (decided by this field, never by the message's wording)
HANDOFF_KEY = "handoff"
COACH_LEFT = "coach_left"
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


class RasaClient:
    """Thin async client; one aiohttp session for the life of the service."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, conversation_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{suffix}"

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        if self._session is None:
            await self.start()
        assert self._session is not None
        params = {"token": self.token, **kwargs.pop("params", {})}
        try:
            async with self._session.request(method, url, params=params, **kwargs) as resp:
                if resp.status >= 400:
                    body = (await resp.text())[:300]
                    raise RasaError(f"Rasa {method} {url.split('?')[0]} -> {resp.status}: {body}")
                if resp.content_type == "application/json":
                    return await resp.json()
                return await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaError(f"Rasa unreachable: {exc!r}") from exc

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
        metadata: dict[str, Any] = {"coach": True}
        if message_id:
            metadata["message_id"] = message_id
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
                     channel: str | None = "latest") -> None:
        """Hand the conversation back to the bot (hand back and close both end like this).

        A paused Rasa never ran `action_listen` after the action that paused it; adding it
        puts the tracker back in the "waiting for the user" state that the rules expect.
        """
        await self.append_events(
            conversation_id,
            [{"event": "resume"}, LISTEN,
             {"event": "bot", "text": text, "metadata": {HANDOFF_KEY: COACH_LEFT}}],
            channel,
        )

    async def transcript(self, conversation_id: str, until: float | None = None,
                         since: float | None = None) -> list[dict[str, Any]]:
        """User, bot and coach texts of the conversation, oldest first; with `since` /
        `until` (Unix times) only what was said after / up to then."""
        tracker = await self._request("GET", self._url(conversation_id, "tracker"))
        if not isinstance(tracker, dict):
            raise RasaError("Rasa tracker is not a JSON object")
        return transcript_from_events(tracker.get("events") or [], until, since)


def transcript_from_events(events: list[Any], until: float | None = None,
                           since: float | None = None) -> list[dict[str, Any]]:
    """Reduce tracker events to what a coach needs to read, within the case's time window:
    an event after `until` (the case ended) or before `since` (an earlier case of the same
    conversation ended), or without a time when a window applies, is left out."""
    out: list[dict[str, Any]] = []
    buttons: dict[str, str] = {}  # payload -> title of the last bot turn's buttons
    for ev in events:
        if not isinstance(ev, dict) or ev.get("event") not in {"user", "bot"}:
            continue
        if until is not None or since is not None:
            ts = ev.get("timestamp")
            if isinstance(ts, bool) or not isinstance(ts, (int, float)):
                continue
            if (until is not None and ts > until) or (since is not None and ts <= since):
                continue
        text = ev.get("text")
        if not isinstance(text, str) or not text:
            continue
        metadata = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
        if ev["event"] == "user":
            out.append({"who": "user", "text": labels.user_text_label(
                text, buttons.get(text.strip())), "timestamp": ev.get("timestamp")})
            continue
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        buttons = {str(b.get("payload")): str(b.get("title")) for b in data.get("buttons") or []
                   if isinstance(b, dict) and b.get("payload") and b.get("title")}
        who = "coach" if metadata.get("coach") else "bot"
        entry = {"who": who, "text": text, "timestamp": ev.get("timestamp")}
        if who == "coach" and isinstance(metadata.get("message_id"), str):
            entry["message_id"] = metadata["message_id"]
        if metadata.get(HANDOFF_KEY):
            entry["handoff"] = metadata[HANDOFF_KEY]
        out.append(entry)
    return out
