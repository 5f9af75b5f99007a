"""What the console shows instead of raw names (Swedish, the coach's words): triggers,
channels, languages, intents and the young person's presence.

Keys are protocol names (intent names, trigger names, presence reasons); the labels are
only for people to read and are never compared by code.
"""

from __future__ import annotations

import re

TRIGGER_LABELS = {
    "request_human": "bad om en människa",
    "fallback": "boten förstod inte två gånger i rad",
    "crisis_suicidal": "tankar på att ta sitt liv",
    "emergency_danger": "akut fara",
    "fear_retaliation": "rädd för hämnd",
}
LANGUAGE_LABELS = {"sv": "svenska", "en": "engelska"}
# what the young person asked about, as a coach would say it
INTENT_LABELS = {
    "greet": "hälsade",
    "goodbye": "sa hej då",
    "thank": "tackade",
    "affirm": "svarade ja",
    "deny": "svarade nej",
    "unsure": "var osäker",
    "bot_challenge": "frågade om hen pratar med en robot",
    "out_of_scope": "frågade om något annat",
    "ask_what_is_sluta_skjut": "frågade vad Sluta skjut är",
    "ask_who_is_behind": "frågade vem som står bakom",
    "ask_how_to_leave": "frågade hur man hoppar av",
    "ask_help_options": "frågade vilken hjälp som finns",
    "ask_anonymity": "frågade om anonymitet",
    "fear_retaliation": "rädd för hämnd",
    "help_debt": "skulder",
    "help_housing": "boende",
    "help_school_work": "skola och jobb",
    "help_protected_identity": "skyddad identitet",
    "help_addiction": "missbruk",
    "help_mental_health": "psykisk hälsa",
    "worried_relative": "orolig anhörig",
    "ask_call_in": "frågade om kallelse till möte",
    "ask_legal_consequences": "frågade om straff och polisen",
    "request_human": "bad om en människa",
    "ask_opening_hours": "frågade om öppettider",
    "report_tip": "ville tipsa om något",
    "crisis_suicidal": "tankar på att ta sitt liv",
    "emergency_danger": "akut fara",
    "switch_to_english": "bytte till engelska",
    "switch_to_swedish": "bytte till svenska",
    "unsupported_input": "skickade något boten inte kan läsa",
    "nlu_fallback": "boten förstod inte",
}
# the presence reasons (bot/protocol.py; their states: bot/escalation/service.py PRESENCE_STATES)
PRESENCE_LABELS = {
    "page_open": "Användaren har chatten öppen igen.",
    "no_page": "Användaren har ingen chattsida öppen just nu. Det du skriver syns först "
               "när hen öppnar chatten igen, kanske aldrig.",
    "quick_exit": "Användaren lämnade sidan snabbt (snabbutgång). Hen kan inte läsa fler "
                  "meddelanden i den här chatten. Avsluta ärendet med ett utfall.",
    "sms_stop": "Användaren skickade STOPP per sms. Numret är raderat och hen får inga fler "
                "sms. Ärendet är avslutat.",
    "leave_word": "Användaren skrev att hen vill avsluta och har lämnat coachchatten. "
                  "Ärendet är avslutat.",
}
_PAYLOAD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*)$")


def trigger_label(trigger: str) -> str:
    return TRIGGER_LABELS.get(trigger, trigger.replace("_", " "))


def intent_label(intent: str) -> str:
    return INTENT_LABELS.get(intent, intent.replace("_", " "))


def channel_label(channel: str, conversation_id: str) -> str:
    """The callback channel carries both web chat and SMS; the gateway's conversation ids
    say which (bot/gateway/vault.py: "web-" / "sms-")."""
    if channel == "callback":
        if conversation_id.startswith("sms-"):
            return "sms"
        return "webbchatt"
    if channel == "rest":
        return "REST (test, kan inte ta emot coachmeddelanden)"
    return channel


def user_text_label(text: str, button_title: str | None = None) -> str:
    """A button press or a hidden trigger ("/affirm") as words: the button's own title when
    known ("tryckte: Ja, koppla mig"), else what the trigger means; any other text as is."""
    match = _PAYLOAD.match(text.strip())
    if match is None:
        return text
    if button_title:
        return f"tryckte: {button_title}"
    return f"tryckte på en knapp ({intent_label(match.group(1))})"
