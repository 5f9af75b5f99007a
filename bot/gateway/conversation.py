"""What a conversation looks like to the user: bot, coach and user turns plus "a coach has
joined / left" notices, built the same way live (callback) and from Rasa's tracker (reload).

The coach state is derived from the messages' metadata (bot.protocol), never from their
wording (which a maintainer edits): a message flagged `coach` after a non-coach one means a
coach joined; the escalation service's goodbye when a coach's part ends (hand back, close,
the user leaving) carries `{"handoff": "ended", "reason": ...}` and is itself the one "the
coach has left" line, so no second notice is added. Kept per conversation in a bounded
in-memory map (one process) or in Redis (several gateway instances, `CoachFlags`: Rasa's
callbacks of one conversation reach whichever instance nginx picks).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import Any

from bot.clients.rasa import said
from bot.protocol import (
    HANDOFF_ENDED,
    HANDOFF_KEY,
    WEB_MESSAGE_ID_KEY,
    ends_handoff,
    is_coach,
    web_message_id,
)

log = logging.getLogger(__name__)
MAX_TRACKED = 50_000
# a coach's part rarely lasts a day; a flag left by a lost "ended" message expires
FLAG_TTL_SECONDS = 7 * 24 * 3600
_PAYLOAD_RE = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*$")


def is_payload(text: str) -> bool:
    """An intent trigger like "/affirm" (what a button sends)."""
    return bool(_PAYLOAD_RE.match(text or ""))


class CoachTracker:
    """Per conversation: is a coach talking right now?"""

    def __init__(self) -> None:
        self._active: OrderedDict[str, bool] = OrderedDict()

    def notice(self, sender_id: str, message: dict[str, Any]) -> str | None:
        """The notice to show before one outgoing message ("coach_joined"), if any."""
        active = self._active.get(sender_id, False)
        if is_coach(message):
            self._set(sender_id, True)
            return None if active else "coach_joined"
        if ends_handoff(message):
            self._set(sender_id, False)
        return None

    def _set(self, sender_id: str, active: bool) -> None:
        self._active[sender_id] = active
        self._active.move_to_end(sender_id)
        while len(self._active) > MAX_TRACKED:
            self._active.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._active.pop(sender_id, None)


class CoachFlags:
    """"A coach holds this conversation", shared by every gateway instance through Redis
    (`redis` set) or kept by this process's CoachTracker (the embedded default, and while
    Redis does not answer)."""

    def __init__(self, local: CoachTracker | None = None, redis: object = None,
                 prefix: str = "sluta-skjut") -> None:
        self.local = local or CoachTracker()
        self.redis: object = redis
        self.prefix = prefix

    def _key(self, sender_id: str) -> str:
        return f"{self.prefix}:gateway:coach:{sender_id}"

    async def notice(self, sender_id: str, message: dict[str, Any]) -> str | None:
        """The notice to show before one outgoing message ("coach_joined"), if any."""
        redis = self.redis
        if redis is None:
            return self.local.notice(sender_id, message)
        try:
            if is_coach(message):
                # SET ... GET: one atomic step, so two instances never both announce the coach
                before = await redis.set(self._key(sender_id), "1",  # type: ignore[attr-defined]
                                         ex=FLAG_TTL_SECONDS, get=True)
                self.local.notice(sender_id, message)
                return None if before else "coach_joined"
            if ends_handoff(message):
                await redis.delete(self._key(sender_id))  # type: ignore[attr-defined]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis down: this instance's own memory
            log.warning("coach flag not in Redis (%r); this instance decides", exc)
        return self.local.notice(sender_id, message)

    async def forget(self, sender_id: str) -> None:
        self.local.forget(sender_id)
        if self.redis is not None:
            try:
                await self.redis.delete(self._key(sender_id))  # type: ignore[attr-defined]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("coach flag not removed from Redis (%r); it expires", exc)


def history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Display items from tracker events, oldest first; buttons only on the last bot turn.
    A user item carries the page's id of the message (`id`) when it had one."""
    items: list[dict[str, Any]] = []
    active = False
    last_buttons: list[dict[str, Any]] = []
    for ev, text, metadata in said(events):
        if ev["event"] == "user":
            if is_payload(text.strip()):
                title = next((b.get("title") for b in last_buttons
                              if b.get("payload") == text.strip()), None)
                if title is None:
                    continue  # language switch and other silent triggers
                text = str(title)
            item: dict[str, Any] = {"type": "user", "text": text}
            message_id = web_message_id(metadata.get(WEB_MESSAGE_ID_KEY))
            if message_id:  # the page's id: its copy still waiting for an ack is this one
                item["id"] = message_id
            items.append(item)
            last_buttons = []
            continue
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        coach = is_coach(metadata)
        buttons = [b for b in data.get("buttons") or [] if isinstance(b, dict)]
        if coach and not active:
            items.append({"type": "notice", "kind": "coach_joined"})
            active = True
        if not coach and ends_handoff(metadata):
            items.append({"type": "bot", "text": text.strip(), "coach": False,
                          HANDOFF_KEY: HANDOFF_ENDED})
            active, last_buttons = False, []
            continue
        parts = [text] if buttons else [p for p in text.strip().split("\n\n") if p.strip()]
        for part in parts:
            items.append({"type": "bot", "text": part, "coach": coach})
        if buttons:
            items[-1]["buttons"] = [{"title": str(b.get("title", "")),
                                     "payload": str(b.get("payload", ""))} for b in buttons]
        last_buttons = buttons
    # quick replies are only offered for the newest bot turn
    for item in items[:-1]:
        item.pop("buttons", None)
    return items
