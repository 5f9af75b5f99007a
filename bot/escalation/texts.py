"""Texts the service sends to the young person through Rasa, kept in one module.

Phone numbers come from /work/shared/domain/facts.md (112, 90101, 116 111, 114 14 are real
and verified there); never add a number here that is not in that file.
"""

from __future__ import annotations

FACTS = {
    "emergency": "112",
    "mind": "90101",
    "bris": "116 111",
    "police": "114 14",
}

_ALTERNATIVES = {
    "sv": (
        "Om du är i fara just nu: ring 112.\n"
        "Dygnet runt kan du också ringa Mind Självmordslinjen 90101 (chatt på mind.se), "
        "BRIS 116 111 om du är under 18 (chatt på bris.se) eller polisen 114 14.\n"
        "Du kan skriva ett meddelande här. En coach svarar i den här chatten när vi är tillbaka."
    ),
    "en": (
        "If you are in danger right now: call 112.\n"
        "Day and night you can also call Mind Självmordslinjen 90101 (chat at mind.se), "
        "BRIS 116 111 if you are under 18 (chat at bris.se) or the police on 114 14.\n"
        "You can leave a message here. A coach will answer in this chat when we are back."
    ),
}

_UNAVAILABLE_INTRO = {
    # reason -> language -> first line
    "timeout": {
        "sv": "Ingen coach har kunnat svara dig än, förlåt att du får vänta.",
        "en": "No coach has been able to answer you yet, sorry for the wait.",
    },
    "closed": {
        "sv": "Just nu är ingen coach i tjänst.",
        "en": "No coach is on duty right now.",
    },
}

HAND_BACK = {
    "sv": "Coachen har lämnat chatten. Nu pratar du med chattboten igen. "
    "Du kan be om en coach igen när du vill.",
    "en": "The coach has left the chat. You are talking to the chatbot again. "
    "You can ask for a coach again whenever you want.",
}

CLOSE = {
    "sv": "Coachen har avslutat samtalet. Tack för att du skrev. Nu pratar du med chattboten "
    "igen. Om du är i fara: ring 112.",
    "en": "The coach has ended the conversation. Thank you for writing. You are talking to "
    "the chatbot again. If you are in danger: call 112.",
}

# words that make the user leave the coach chat (the Rasa side resumes the bot)
LEAVE_WORDS = frozenset({"avsluta", "stop", "stopp"})


def _lang(language: str) -> str:
    return language if language in _ALTERNATIVES else "sv"


def unavailable_message(language: str, reason: str) -> str:
    """Honest 'no coach right now' text with the 24/7 alternatives; reason: timeout|closed."""
    lang = _lang(language)
    intro = _UNAVAILABLE_INTRO.get(reason, _UNAVAILABLE_INTRO["closed"])[lang]
    return f"{intro}\n{_ALTERNATIVES[lang]}"


def hand_back_message(language: str) -> str:
    return HAND_BACK[_lang(language)]


def close_message(language: str) -> str:
    return CLOSE[_lang(language)]
