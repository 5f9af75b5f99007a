"""What a conversation looks like to the user: bot, coach and user turns plus "a coach has
joined / left" notices, built the same way live (callback) and from Rasa's tracker (reload).

The coach state is derived from the messages' explicit fields, never from their wording
(which a maintainer edits): a message flagged `coach` after a non-coach one means a coach
joined; the escalation service's goodbye carries `handoff: coach_left` (Rasa metadata) and is
itself the one "the coach has left" line, so no second notice is added. Kept per
conversation in a bounded in-memory map.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from bot.escalation.rasa_client import COACH_LEFT, HANDOFF_KEY

MAX_TRACKED = 50_000
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
        if message.get("coach"):
            self._set(sender_id, True)
            return None if active else "coach_joined"
        if is_coach_left(message):
            self._set(sender_id, False)
        return None

    def _set(self, sender_id: str, active: bool) -> None:
        self._active[sender_id] = active
        self._active.move_to_end(sender_id)
        while len(self._active) > MAX_TRACKED:
            self._active.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._active.pop(sender_id, None)


def is_coach_left(message: dict[str, Any]) -> bool:
    """The escalation service's goodbye when a coach's part ends (a field, not a text)."""
    return message.get(HANDOFF_KEY) == COACH_LEFT


def history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Display items from tracker events, oldest first; buttons only on the last bot turn."""
    items: list[dict[str, Any]] = []
    active = False
    last_buttons: list[dict[str, Any]] = []
    for ev in events:
        kind = ev.get("event")
        text = ev.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        if kind == "user":
            if is_payload(text.strip()):
                title = next((b.get("title") for b in last_buttons
                              if b.get("payload") == text.strip()), None)
                if title is None:
                    continue  # language switch and other silent triggers
                text = str(title)
            items.append({"type": "user", "text": text})
            last_buttons = []
            continue
        metadata = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        coach = bool(metadata.get("coach"))
        buttons = [b for b in data.get("buttons") or [] if isinstance(b, dict)]
        if coach and not active:
            items.append({"type": "notice", "kind": "coach_joined"})
            active = True
        if not coach and is_coach_left(metadata):
            items.append({"type": "bot", "text": text.strip(), "coach": False,
                          "handoff": COACH_LEFT})
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
