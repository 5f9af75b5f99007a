"""The safety dialogue's decisions, one turn at a time, without a model (fast and exhaustive).

tests/test_safety_dialogue.py walks the same paths through the real Rasa server.
"""

from __future__ import annotations

import pytest

from bot import safety_actions as sa
from bot.rasa_plugins.dialogue.safety_policy import (
    CONNECT,
    CRISIS_AGAIN,
    CRISIS_ANSWER,
    LISTEN,
    NOT_SAFE,
    NOT_SAFE_AGAIN,
    THREAT_ANSWER,
    THREAT_SAFE,
    TOPIC,
    State,
    next_action,
    plan,
    state_from_events,
)

CRISIS_TURN = [sa.UTTER_CRISIS, sa.UTTER_ASK_SAFE_NOW]
DANGER_TURN = [sa.UTTER_EMERGENCY, sa.UTTER_ASK_SAFE_NOW]
# a danger turn with the short coach offer (the flow before "are you safe?" came after danger;
# still how a tracker from then looks, and the offer rules still answer it)
OFFER_TURN = [sa.UTTER_EMERGENCY, sa.UTTER_COACH_OFFER_SHORT]
DANGER_NOT_SAFE = [sa.UTTER_DANGER_NOT_SAFE, sa.ESCALATE]
ASK_CRISIS = {"kind": sa.CRISIS, "band": "ask", "rule": "ask_hopelessness"}
ASK_DANGER = {"kind": sa.DANGER, "band": "ask", "rule": "ask_looking_for_me"}


def state(intent: str, *turns: list[str], signal: dict | None = None, done: list | None = None
          ) -> State:
    return State(intent, signal or {}, [list(t) for t in turns], done or [])


def test_first_crisis_message_gets_the_answer_and_one_question() -> None:
    assert plan(state("crisis_suicidal")) == CRISIS_ANSWER


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("affirm", [sa.UTTER_SAFE]),
        ("deny", NOT_SAFE),
        ("unsure", NOT_SAFE),
        ("crisis_suicidal", NOT_SAFE),  # more crisis talk when asked whether safe
        ("nlu_fallback", [sa.UTTER_REASK, sa.UTTER_ASK_SAFE_NOW]),
        ("greet", [sa.UTTER_REASK, sa.UTTER_ASK_SAFE_NOW]),  # "öhh" read as a greeting is no answer
        ("goodbye", [sa.UTTER_REASK, sa.UTTER_ASK_SAFE_NOW]),
        ("help_debt", [TOPIC, sa.UTTER_CHECKIN, sa.UTTER_ASK_SAFE_NOW]),
        ("request_human", CONNECT),  # the connecting text says what the coach sees
    ],
)
def test_answers_to_are_you_safe(intent: str, expected: list[str] | None) -> None:
    assert plan(state(intent, CRISIS_TURN)) == expected


def test_unclear_twice_counts_as_not_safe() -> None:
    reask = [sa.UTTER_REASK, sa.UTTER_ASK_SAFE_NOW]
    assert plan(state("nlu_fallback", CRISIS_TURN, reask)) == NOT_SAFE


def test_the_check_in_comes_once_then_the_persons_topic_leads() -> None:
    checked = ["utter_help_debt", sa.UTTER_CHECKIN, sa.UTTER_ASK_SAFE_NOW]
    assert plan(state("help_housing", CRISIS_TURN, checked)) is None
    # but a crisis answer after that starts a new round
    assert plan(state("help_housing", CRISIS_TURN, checked, CRISIS_AGAIN)) == [
        TOPIC, sa.UTTER_CHECKIN, sa.UTTER_ASK_SAFE_NOW]


def test_topic_then_check_in_follows_whatever_answered_the_topic() -> None:
    s = state("help_debt", CRISIS_TURN)
    assert next_action(s) is None  # the rules answer the topic first
    s = state("help_debt", CRISIS_TURN, done=["utter_help_debt"])
    assert next_action(s) == sa.UTTER_CHECKIN
    s = state("help_debt", CRISIS_TURN, done=["utter_help_debt", sa.UTTER_CHECKIN])
    assert next_action(s) == sa.UTTER_ASK_SAFE_NOW
    s = state("help_debt", CRISIS_TURN,
              done=["utter_help_debt", sa.UTTER_CHECKIN, sa.UTTER_ASK_SAFE_NOW])
    assert next_action(s) == LISTEN


def test_a_repeated_crisis_message_after_the_dialogue_gets_the_short_answer() -> None:
    assert plan(state("crisis_suicidal", CRISIS_TURN, [sa.UTTER_SAFE], [sa.UTTER_NO_COACH])
                ) == CRISIS_AGAIN


def test_danger_then_danger_again_gets_a_short_repeat_and_no_second_offer() -> None:
    assert plan(state("emergency_danger")) == DANGER_TURN
    # more danger while asked "are you safe?": not safe, 112 and a coach asked to come
    assert plan(state("emergency_danger", DANGER_TURN)) == DANGER_NOT_SAFE
    # within a burst the repeat stays short, even with other lines in between
    assert plan(state("emergency_danger", DANGER_TURN, [sa.UTTER_STILL_HERE], [])) == [
        sa.UTTER_EMERGENCY_AGAIN]
    # an offer still unanswered: the full answer, but no second offer
    assert plan(state("emergency_danger", [sa.UTTER_COACH_OFFER_SHORT])) == [sa.UTTER_EMERGENCY]


def test_a_topic_inside_the_episode_gets_no_second_offer() -> None:
    s = state("fear_retaliation", OFFER_TURN, done=[sa.UTTER_THREAT])
    assert next_action(s) == LISTEN  # the rule's own consent prompt is not shown again
    # the coach was declined: a new threat gets its answer and the question again
    assert plan(state("fear_retaliation", OFFER_TURN, [sa.UTTER_NO_COACH])) == THREAT_ANSWER


def test_no_offer_after_a_coach_was_already_requested() -> None:
    assert plan(state("emergency_danger", CONNECT, ["utter_thank"])) == [sa.UTTER_EMERGENCY]


@pytest.mark.parametrize(
    ("intent", "expected"),
    [("affirm", CONNECT), ("request_human", CONNECT), ("deny", [sa.UTTER_NO_COACH]),
     ("unsure", [sa.UTTER_NO_COACH]), ("help_debt", [TOPIC])],  # no second offer
)
def test_answers_to_the_short_coach_offer(intent: str, expected: list[str] | None) -> None:
    assert plan(state(intent, OFFER_TURN)) == expected


def test_unclear_lines_in_a_burst_get_one_still_here_then_silence() -> None:
    assert plan(state("nlu_fallback", OFFER_TURN)) == [sa.UTTER_STILL_HERE]
    assert plan(state("nlu_fallback", OFFER_TURN, [sa.UTTER_STILL_HERE])) == [LISTEN]
    assert plan(state("affirm", OFFER_TURN, [sa.UTTER_NO_COACH])) == [sa.UTTER_STILL_HERE]


def test_no_generic_closer_inside_a_safety_conversation() -> None:
    for intent in ("affirm", "deny", "unsure", "nlu_fallback", "out_of_scope"):
        for turns in ([CRISIS_TURN], [DANGER_TURN], [CRISIS_TURN, [sa.UTTER_NO_COACH]]):
            steps = plan(state(intent, *turns)) or []
            assert not set(steps) & sa.GENERIC_CLOSERS, (intent, turns)
            assert steps, (intent, turns)  # never left to the generic rules


@pytest.mark.parametrize(
    ("intent", "expected"),
    [("affirm", CRISIS_ANSWER), ("unsure", NOT_SAFE), ("nlu_fallback", CRISIS_ANSWER),
     ("deny", [sa.UTTER_ASK_CRISIS_NO]), ("help_debt", None)],
)
def test_the_direct_question_decides(intent: str, expected: list[str] | None) -> None:
    assert plan(state("help_mental_health", signal=ASK_CRISIS)) == [sa.UTTER_ASK_CRISIS]
    assert plan(state(intent, [sa.UTTER_ASK_CRISIS])) == expected


@pytest.mark.parametrize(
    ("intent", "expected"),
    [("affirm", DANGER_TURN), ("unsure", DANGER_TURN), ("deny", [sa.UTTER_ASK_DANGER_NO])],
)
def test_are_you_in_danger_decides(intent: str, expected: list[str]) -> None:
    assert plan(state("nlu_fallback", signal=ASK_DANGER)) == [sa.UTTER_ASK_DANGER]
    assert plan(state(intent, [sa.UTTER_ASK_DANGER])) == expected


def test_an_unsure_signal_inside_a_crisis_is_not_asked_about_again() -> None:
    assert plan(state("help_mental_health", CRISIS_TURN, signal=ASK_CRISIS)) == NOT_SAFE
    assert plan(state("help_mental_health", CRISIS_TURN, [sa.UTTER_SAFE], signal=ASK_CRISIS)
                ) == CRISIS_AGAIN


def test_sure_classifier_signal_keeps_the_intent_path() -> None:
    sure = {"kind": sa.CRISIS, "band": "sure", "rule": "classifier"}
    assert plan(state("crisis_suicidal", signal=sure)) == CRISIS_ANSWER


def test_ordinary_turns_are_left_to_the_rules() -> None:
    assert plan(state("help_debt")) is None
    assert plan(state("affirm", ["utter_help_debt"])) is None


def test_state_from_events_splits_turns_and_resets_at_session_start() -> None:
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "crisis_suicidal"}}},
        {"event": "action", "name": "action_extract_slots"},
        {"event": "action", "name": sa.UTTER_CRISIS},
        {"event": "action", "name": sa.UTTER_ASK_SAFE_NOW},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "parse_data": {"intent": {"name": "deny"},
                                         sa.SIGNAL_KEY: {"band": "ask", "kind": "crisis"}}},
        {"event": "action", "name": sa.UTTER_NOT_SAFE},
    ]
    s = state_from_events(events)
    assert s is not None
    assert s.intent == "deny" and s.signal["band"] == "ask"
    assert list(s.bot_turns) == [CRISIS_TURN] and list(s.done) == [sa.UTTER_NOT_SAFE]
    assert next_action(s) == sa.ESCALATE
    fresh = state_from_events([*events, {"event": "session_started"}])
    assert fresh is None


def test_a_coach_offer_outside_a_safety_conversation_is_left_to_the_rules() -> None:
    consent = ["utter_help_debt", sa.UTTER_COACH_CONSENT]
    assert plan(state("deny", consent)) is None
    assert plan(state("affirm", ["utter_help_debt"], [sa.UTTER_COACH_CONSENT])) is None


def test_yes_answers_the_offer_even_after_a_short_repeat() -> None:
    assert plan(state("affirm", OFFER_TURN, [sa.UTTER_EMERGENCY_AGAIN])) == CONNECT
    assert plan(state("deny", OFFER_TURN, [sa.UTTER_EMERGENCY_AGAIN])) == [sa.UTTER_NO_COACH]


NOT_SAFE_TURN = [sa.UTTER_NOT_SAFE, sa.ESCALATE]


def test_after_not_safe_yes_confirms_the_coach_and_more_crisis_stays_acute() -> None:
    assert plan(state("affirm", CRISIS_TURN, NOT_SAFE_TURN)) == CONNECT
    assert plan(state("crisis_suicidal", CRISIS_TURN, NOT_SAFE_TURN, [sa.UTTER_STILL_HERE])
                ) == NOT_SAFE
    assert plan(state("request_human", CRISIS_TURN, NOT_SAFE_TURN, [sa.UTTER_STILL_HERE])
                ) == CONNECT  # no consent text again: it was in the not-safe answer


def test_after_not_safe_unsure_and_more_risk_keep_the_coach_coming_a_plain_no_declines() -> None:
    """After "not safe ... I'm asking a coach to come": "vet inte", "nej men ..." or more risk
    keep 112, the suicide line and the coach coming; a plain "nej" answers the coach sentence
    (every corpus writer meant it so) and gets the numbers and "it's your choice"."""
    for reply in ({"answer": "unsure"}, {"risk_talk": True}, {"answer": "no", "not_safe": True},
                  {"answer": "no", "risk_talk": True}):
        assert plan(state("deny", CRISIS_TURN, NOT_SAFE_TURN, signal=reply)) == NOT_SAFE_AGAIN
    assert plan(state("deny", CRISIS_TURN, NOT_SAFE_TURN, signal={"answer": "no"})) == [
        sa.UTTER_NO_COACH]
    declined = {"answer": "no", "declines_coach": True}
    assert plan(state("deny", CRISIS_TURN, NOT_SAFE_TURN, signal=declined)) == [sa.UTTER_NO_COACH]


def test_a_reply_to_the_question_is_read_before_what_else_it_says() -> None:
    # "nej men han har kniven kvar": a no to "are you safe?", though the rules see danger
    knife = {"answer": "no", "kind": sa.DANGER, "band": "sure", "rule": "weapon_holder"}
    assert plan(state("emergency_danger", CRISIS_TURN, signal=knife)) == NOT_SAFE
    # "vattnet e så nära": a means named in reply to "are you safe?"
    means = {"risk_talk": True}
    assert plan(state("ask_what_is_sluta_skjut", CRISIS_TURN, signal=means)) == NOT_SAFE
    # "ja snälla nån" to a coach offer is a yes, whatever else the rules see in it
    plea = {"answer": "yes", "kind": sa.DANGER, "band": "ask", "rule": "safety_classifier"}
    assert plan(state("emergency_danger", OFFER_TURN, signal=plea)) == CONNECT
    # "kanske.. ja ok" to a coach offer: unsure, ending in yes
    assert plan(state("unsure", CRISIS_TURN, [sa.UTTER_SAFE],
                      signal={"answer": "unsure", "leans_yes": True})) == CONNECT
    # "nej men han har tabletterna i fickan" to "do you mean you're thinking of taking your life?"
    pills = {"answer": "no", "kind": sa.CRISIS, "band": "ask", "rule": "safety_classifier"}
    assert plan(state("deny", [sa.UTTER_ASK_CRISIS], signal=pills)) == CRISIS_ANSWER
    # an unsure danger signal inside a crisis conversation belongs to the crisis
    ask_danger = {"kind": sa.DANGER, "band": "ask", "rule": "safety_classifier"}
    assert plan(state("emergency_danger", CRISIS_TURN, NOT_SAFE_TURN, signal=ask_danger)
                ) == NOT_SAFE_AGAIN


def test_answers_the_classifier_misreads_are_read_while_a_question_is_open() -> None:
    nah = {"answer": "no"}
    assert plan(state("help_mental_health", CRISIS_TURN, signal=nah)) == NOT_SAFE
    assert plan(state("thank", ["utter_help_debt", sa.UTTER_COACH_CONSENT], signal=nah)
                ) is None  # not a safety conversation: the coach rules answer
    assert plan(state("thank", CRISIS_TURN, [sa.UTTER_SAFE], signal=nah)) == [sa.UTTER_NO_COACH]
    assert plan(state("help_debt", signal=nah)) is None  # nothing asked: an ordinary turn


def test_safe_and_not_safe_statements_inside_the_episode() -> None:
    home = {"safe_now": True}
    assert plan(state("nlu_fallback", DANGER_TURN, signal=home)) == [sa.UTTER_DANGER_SAFE]
    assert plan(state("nlu_fallback", CRISIS_TURN, signal=home)) == [sa.UTTER_SAFE]
    still = {"not_safe": True, "answer": "no"}
    assert plan(state("deny", DANGER_TURN, signal=still)) == DANGER_NOT_SAFE
    assert plan(state("deny", CRISIS_TURN, signal=still)) == NOT_SAFE
    # the rules' own danger wins over a "safe" word ("ja e hemma men dom står utanför")
    rule_danger = {"safe_now": True, "kind": sa.DANGER, "band": "sure", "rule": "sv_at_door"}
    assert plan(state("emergency_danger", DANGER_TURN, signal=rule_danger)) == DANGER_NOT_SAFE


def test_no_coach_offer_again_once_a_coach_is_coming() -> None:
    s = state("fear_retaliation", DANGER_TURN, CONNECT, done=[sa.UTTER_THREAT])
    assert next_action(s) == LISTEN


def test_safe_and_asking_for_a_person_brings_the_coach() -> None:
    """"ambulansen e här. vill prata me nån": safe now, and a yes to a coach in one message."""
    signal = {"safe_now": True, "asks_person": True}
    assert plan(state("request_human", CRISIS_TURN, signal=signal)) == CONNECT


def test_silence_after_a_safety_question_counts_as_not_safe() -> None:
    """"..." in reply to "are you safe?" or "do you mean taking your life?" is no answer."""
    assert plan(state("unsupported_input", CRISIS_TURN, signal={"silent": True})) == NOT_SAFE
    silent = {"silent": True}
    assert plan(state("unsupported_input", [sa.UTTER_ASK_CRISIS], signal=silent)) == NOT_SAFE


def test_asking_for_a_person_answers_an_open_coach_offer() -> None:
    """After danger's short coach offer: "polisen e här. vill prata me nån" is a yes."""
    assert plan(state("request_human", DANGER_TURN, signal={"asks_person": True, "safe_now": True})
                ) == CONNECT


def test_a_no_to_a_person_is_a_no_even_when_nlu_hears_a_request_for_one() -> None:
    offer = [sa.UTTER_SAFE]
    said_no = {"declines_coach": True}
    assert plan(state("request_human", CRISIS_TURN, offer, signal=said_no)) == [sa.UTTER_NO_COACH]
    assert plan(state("request_human", CRISIS_TURN, offer)) == CONNECT


def test_a_yes_with_news_of_the_call_brings_the_coach_after_danger() -> None:
    asks = {"asks_person": True, "kind": sa.DANGER, "band": "sure", "rule": "they_are_coming"}
    assert plan(state("emergency_danger", OFFER_TURN, signal=asks)) == CONNECT


def test_asking_for_a_coach_after_a_threat_connects_without_a_second_question() -> None:
    """"jag vill ha en coach" after a threat needs no consent question: the connecting text
    says what the coach sees."""
    assert plan(state("request_human", THREAT_ANSWER, ["utter_help_housing"])) == CONNECT
    assert plan(state("request_human", THREAT_ANSWER)) == CONNECT
    assert plan(state("request_human", ["utter_help_housing"])) is None  # no threat: the rules


@pytest.mark.parametrize(("intent", "signal", "expected"), [
    ("affirm", {}, [sa.UTTER_DANGER_SAFE]),  # safe: 112 if it gets dangerous, and a coach offer
    ("deny", {}, DANGER_NOT_SAFE),  # not safe: 112 now, a safe place, a coach asked to come
    ("unsure", {}, DANGER_NOT_SAFE),
    ("nlu_fallback", {"safe_now": True}, [sa.UTTER_DANGER_SAFE]),  # "polisen e här nu"
    ("nlu_fallback", {"not_safe": True}, DANGER_NOT_SAFE),  # "dom e kvar"
])
def test_after_danger_the_same_one_question_decides(intent: str, signal: dict, expected: list
                                                    ) -> None:
    """Danger now gets 112 first and then "are you safe right now?", as a crisis does; its
    answers use danger's words (112, a safe place), not the suicide line."""
    assert plan(state(intent, DANGER_TURN, signal=signal)) == expected


def test_after_danger_not_safe_a_yes_brings_the_coach_and_more_danger_keeps_112() -> None:
    assert plan(state("affirm", DANGER_TURN, DANGER_NOT_SAFE)) == CONNECT
    still = {"answer": "no", "not_safe": True}
    assert plan(state("deny", DANGER_TURN, DANGER_NOT_SAFE, signal=still)) == [
        sa.UTTER_EMERGENCY_AGAIN, sa.ESCALATE]
    declined = {"answer": "no", "declines_coach": True}
    assert plan(state("deny", DANGER_TURN, DANGER_NOT_SAFE, signal=declined)) == [
        sa.UTTER_NO_COACH]


def test_a_threat_gets_112_first_and_the_one_question() -> None:
    assert plan(state("fear_retaliation")) == THREAT_ANSWER == [sa.UTTER_THREAT,
                                                                sa.UTTER_ASK_SAFE_NOW]


@pytest.mark.parametrize(("intent", "signal", "expected"), [
    ("affirm", {}, THREAT_SAFE),  # safe this minute: how to stay safe, then the coach offer
    ("nlu_fallback", {"safe_now": True}, THREAT_SAFE),  # "ja e hemma nu"
    ("deny", {}, DANGER_NOT_SAFE),  # not safe: 112 now, a safe place, a coach asked to come
    ("unsure", {}, DANGER_NOT_SAFE),
    ("nlu_fallback", {"not_safe": True}, DANGER_NOT_SAFE),
    ("fear_retaliation", {}, DANGER_NOT_SAFE),  # "dom vet var ja bor": the threat goes on
    ("emergency_danger", {"kind": sa.DANGER, "band": "sure", "rule": "r"}, DANGER_NOT_SAFE),
    ("request_human", {}, CONNECT),
])
def test_after_a_threat_are_you_safe_decides(intent: str, signal: dict, expected: list[str]
                                             ) -> None:
    assert plan(state(intent, THREAT_ANSWER, signal=signal)) == expected


@pytest.mark.parametrize(("intent", "expected"), [
    ("affirm", CONNECT), ("deny", [sa.UTTER_NO_COACH]), ("request_human", CONNECT)])
def test_after_a_threat_and_safe_the_coach_offer_is_answered(intent: str, expected: list[str]
                                                             ) -> None:
    assert plan(state(intent, THREAT_ANSWER, THREAT_SAFE)) == expected


def test_a_threat_conversation_gives_danger_answers_not_the_suicide_line() -> None:
    s = state("deny", THREAT_ANSWER)
    assert not s.about_suicide() and s.threat_only()
    crisis_then_threat = state("deny", CRISIS_TURN, THREAT_ANSWER)
    assert crisis_then_threat.about_suicide()
    assert plan(crisis_then_threat) == NOT_SAFE


def test_a_danger_message_that_speaks_of_suicide_keeps_the_suicide_line() -> None:
    """"min son vill dö, han har låst in sig": 112 first, and "not safe" then brings the suicide
    line with the coach (the crisis not-safe answer), not the danger one."""
    told = State("deny", {}, [DANGER_TURN], [], suicide_told=True)
    assert plan(told) == NOT_SAFE
    assert plan(state("deny", DANGER_TURN)) == DANGER_NOT_SAFE
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "emergency_danger"}, sa.SIGNAL_KEY: {
            "kind": "danger", "band": "sure", "rule": "held", "suicide": True}}},
        {"event": "action", "name": sa.UTTER_EMERGENCY},
        {"event": "action", "name": sa.UTTER_ASK_SAFE_NOW},
        {"event": "user", "parse_data": {"intent": {"name": "deny"}}},
    ]
    s = state_from_events(events)
    assert s is not None and s.suicide_told and plan(s) == NOT_SAFE


def test_a_means_at_hand_or_an_unsure_danger_answers_the_direct_questions() -> None:
    not_safe = {"not_safe": True}
    assert plan(state("nlu_fallback", [sa.UTTER_ASK_CRISIS], signal=not_safe)) == NOT_SAFE
    assert plan(state("nlu_fallback", [sa.UTTER_ASK_DANGER], signal=not_safe)) == DANGER_NOT_SAFE
    unsure_danger = {"answer": "unsure", "kind": sa.DANGER, "band": "sure", "rule": "x"}
    assert plan(state("emergency_danger", [sa.UTTER_ASK_DANGER], signal=unsure_danger)
                ) == DANGER_NOT_SAFE
