"""What the processes agree on: intent and action names, leave words, hand-off events.

Every process that makes a decision from another process's message asks this module, so no
decision depends on a text a maintainer can change in data/content/content.yml. The safety
dialogue's own answers (names and kinds) are in bot/safety_actions.py.

Hand-off: the escalation service marks the bot message that ends a coach's part of a
conversation with metadata `{"handoff": "ended", "reason": ...}`; a message from the coach
carries `{"coach": true}`. Rasa's callback channel forwards both keys to the gateway, which
shows "a coach joined / left" from them (live and when rebuilding a page from the tracker).
"""

from __future__ import annotations

import re

# intents
CRISIS_INTENT = "crisis_suicidal"
DANGER_INTENT = "emergency_danger"
THREAT_INTENT = "fear_retaliation"
# the safety intents, most urgent first: they open priority-1 cases and get the safety answer
# even while a coach holds the conversation
SAFETY_INTENTS = (DANGER_INTENT, CRISIS_INTENT)
FALLBACK_INTENT = "nlu_fallback"
# actions
ESCALATE_ACTION = "action_escalate"
REPHRASE_ACTION = "utter_ask_rephrase"
DEFAULT_FALLBACK_ACTION = "action_default_fallback"
FALLBACK_HUMAN_ACTION = "utter_fallback_human"
LISTEN_ACTION = "action_listen"

# a message that is exactly one of these (any case and spacing) leaves the coach chat; by SMS
# (where a trailing "." or "!" is ignored too) it also deletes the stored number (the
# carriers' STOP convention), and the gateway passes LEAVE_WORD on to close an open case
LEAVE_WORDS = frozenset({"avsluta", "stop", "stopp", "stoppa", "sluta", "sluta chatta",
                         "unsubscribe"})
LEAVE_WORD = "stop"


# message metadata
COACH_KEY = "coach"  # true on a message a coach wrote
MESSAGE_ID_KEY = "message_id"  # a coach message's id, by which SMS delivery failures are told
HANDOFF_KEY = "handoff"
HANDOFF_ENDED = "ended"  # the coach's part is over: the bot answers again
HANDOFF_REASON_KEY = "reason"
HANDED_BACK, CLOSED, USER_LEFT = "handed_back", "closed", "user_left"
# the web chat page's own id of a user message (random, chosen by the page): the gateway
# acknowledges and deduplicates by it, Rasa's callback channel keeps it with the message, so
# a reloaded page knows which of its unacknowledged messages the assistant already has
WEB_MESSAGE_ID_KEY = "web_message_id"
WEB_MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")

# presence: what the gateway reports to the escalation service about a young person that no
# message says (POST /internal/gateway/conversations/{id}/presence, {"reason": ...}); the
# web chat page sends QUICK_EXIT over its socket ({"type": "leave", "reason": "quick_exit"})
PAGE_OPEN, NO_PAGE, QUICK_EXIT, SMS_STOP = "page_open", "no_page", "quick_exit", "sms_stop"
PRESENCE_REASONS = frozenset({PAGE_OPEN, NO_PAGE, QUICK_EXIT, SMS_STOP})
# the reports after which the young person is gone for good: an open case is closed
LEFT_REASONS = frozenset({QUICK_EXIT, SMS_STOP})

# the header that carries GATEWAY_CALLBACK_TOKEN between the gateway and Rasa's channels
CALLBACK_HEADER = "X-Gateway-Callback-Token"


def leave_word(text: str) -> str | None:
    """The leave word `text` is (normalised), else None."""
    normalised = " ".join(text.split()).casefold()
    return normalised if normalised in LEAVE_WORDS else None


MAX_USER_MESSAGE_ID = 100  # longer ids are not used as a relay's name


def user_message_id(event: object) -> str | None:
    """Rasa's id of a user event: the relay broker's posts and the escalation service's
    reconciliation with the tracker name a message by it, so the case stores it once."""
    value = event.get("message_id") if isinstance(event, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= MAX_USER_MESSAGE_ID else None


def web_message_id(value: object) -> str | None:
    """`value` if it is a usable page message id (8–64 letters, digits, "-" or "_"), else
    None: a random id carries nothing about the person, and a bounded one fits any key."""
    return value if isinstance(value, str) and WEB_MESSAGE_ID_RE.fullmatch(value) else None


def handoff_ended(reason: str) -> dict[str, str]:
    """Metadata for the bot message that ends a coach's part of the conversation."""
    return {HANDOFF_KEY: HANDOFF_ENDED, HANDOFF_REASON_KEY: reason}


def ends_handoff(metadata: object) -> bool:
    return isinstance(metadata, dict) and metadata.get(HANDOFF_KEY) == HANDOFF_ENDED


def is_coach(metadata: object) -> bool:
    return isinstance(metadata, dict) and bool(metadata.get(COACH_KEY))


# "Menade du ...?": the NLU component (bot/rasa_plugins/nlu/did_you_mean.py) fills one entity
# and slot triple per guess and a count; the domain's response variations
# (bot/content.py) read them. Here so that building the domain needs no Rasa import.
DID_YOU_MEAN_MAX_CHOICES = 3
DID_YOU_MEAN_COUNT_ENTITY = "dym_count"


def did_you_mean_slot_names(k: int) -> tuple[str, str, str]:
    """Entity (and slot) names of choice k: intent, Swedish title, English title."""
    return f"dym_intent_{k}", f"dym_sv_{k}", f"dym_en_{k}"
