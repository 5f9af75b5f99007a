"""Names of the safety dialogue's answers and what kind each is: one place for the protocol.

The safety policy (bot/rasa_plugins/dialogue/safety_policy.py), the relay broker, the
corpus measurement and the tests all ask this module, so renaming a response or adding a step
is one edit, and no decision depends on a text a maintainer can change in the content file.
"""

from __future__ import annotations

from functools import cache

CRISIS = "crisis"  # suicidal thoughts: the suicide line
DANGER = "danger"  # danger now: 112 first
ASK = "ask"  # a direct question when the signal is real but unsure
THREAT = "threat"  # a threat to life, not happening this minute: 112 first, then "are you safe?"
FOLLOW_UP = "follow_up"  # a step of the safety dialogue after the first answer

# first answers
UTTER_CRISIS = "utter_crisis"
UTTER_CRISIS_AGAIN = "utter_crisis_again"
UTTER_ASK_SAFE_NOW = "utter_ask_safe_now"
UTTER_EMERGENCY = "utter_emergency"
UTTER_EMERGENCY_AGAIN = "utter_emergency_again"
UTTER_ASK_CRISIS = "utter_ask_crisis"
UTTER_ASK_DANGER = "utter_ask_danger"
# the dialogue after them
UTTER_NOT_SAFE = "utter_crisis_not_safe"
UTTER_NOT_SAFE_AGAIN = "utter_crisis_not_safe_again"
UTTER_SAFE = "utter_crisis_safe"
UTTER_DANGER_NOT_SAFE = "utter_danger_not_safe"
UTTER_DANGER_SAFE = "utter_danger_safe"
UTTER_THREAT_SAFE = "utter_threat_safe"
UTTER_THREAT_OPTIONS = "utter_fear_retaliation_options"
UTTER_REASK = "utter_safety_reask"
UTTER_CHECKIN = "utter_safety_checkin"
UTTER_STILL_HERE = "utter_safety_still_here"
UTTER_NO_COACH = "utter_safety_no_coach"
UTTER_ASK_CRISIS_NO = "utter_ask_crisis_no"
UTTER_ASK_DANGER_NO = "utter_ask_danger_no"
UTTER_COACH_OFFER_SHORT = "utter_coach_offer_short"
UTTER_COACH_CONSENT = "utter_coach_consent"
UTTER_COACH_CONNECTING = "utter_coach_connecting"
UTTER_THREAT = "utter_fear_retaliation_safety"
ESCALATE = "action_escalate"

SIGNAL_KEY = "safety"  # parse-data key: the SafetyNet's {"kind", "band", "rule"} for the policy

KINDS: dict[str, str] = {
    UTTER_CRISIS: CRISIS,
    UTTER_CRISIS_AGAIN: CRISIS,
    UTTER_NOT_SAFE: CRISIS,
    UTTER_NOT_SAFE_AGAIN: CRISIS,
    UTTER_EMERGENCY: DANGER,
    UTTER_EMERGENCY_AGAIN: DANGER,
    UTTER_DANGER_NOT_SAFE: DANGER,
    UTTER_THREAT: THREAT,
    UTTER_ASK_CRISIS: ASK,
    UTTER_ASK_DANGER: ASK,
    UTTER_SAFE: FOLLOW_UP,
    UTTER_DANGER_SAFE: FOLLOW_UP,
    UTTER_THREAT_SAFE: FOLLOW_UP,
    UTTER_ASK_SAFE_NOW: FOLLOW_UP,
    UTTER_REASK: FOLLOW_UP,
    UTTER_CHECKIN: FOLLOW_UP,
    UTTER_STILL_HERE: FOLLOW_UP,
    UTTER_NO_COACH: FOLLOW_UP,
    UTTER_ASK_CRISIS_NO: FOLLOW_UP,
    UTTER_ASK_DANGER_NO: FOLLOW_UP,
}
COACH_OFFERS = frozenset({UTTER_COACH_OFFER_SHORT, UTTER_COACH_CONSENT, UTTER_SAFE,
                          UTTER_DANGER_SAFE, UTTER_THREAT_SAFE})
GENERIC_CLOSERS = frozenset({"utter_anything_else", "utter_deny_ack"})
SILENT_ACTIONS = frozenset({"action_listen", "action_session_start", "action_extract_slots"})


def kind_of(action: str) -> str | None:
    return KINDS.get(action)


@cache
def _facts() -> tuple[str, str]:
    from bot import content

    loaded = content.load()
    return loaded.fact("mind_phone"), loaded.fact("emergency_number")


def __getattr__(name: str) -> str:
    """CRISIS_LINE and EMERGENCY_NUMBER come from the content file (facts.md), read once."""
    if name == "CRISIS_LINE":
        return _facts()[0]
    if name == "EMERGENCY_NUMBER":
        return _facts()[1]
    raise AttributeError(name)
