"""The safety dialogue: what the assistant does in the turns after a crisis or danger message.

Rules (data/rules/safety.yml) say what follows each safety question; this policy adds what
rules cannot see: the whole recent conversation and the safety net's "unsure" band. It runs
inside the Rasa server (no action server needed), outranks RulePolicy only when it has an
opinion, and otherwise abstains. Its decisions, one question at a time:

- danger now: 112 first, then "are you safe right now?"; a second danger message right after
  gets a short repeat, not the whole answer again, and the coach offer is never repeated while
  open;
- a threat to life (not this minute): 112 first and the threat line, then the same question;
  safe -> how to stay safe and a coach offer; not safe -> 112 now and a coach;
- crisis: the crisis answer and one question, "are you safe right now?"; yes -> the numbers
  and a coach offer; no, "vet inte", an unclear answer twice, or more crisis talk -> 112 now,
  the suicide line and a coach at the highest priority;
- an unsure signal (the net's "ask" band): ask directly ("do you mean you're thinking of
  taking your life?" / "are you in danger right now?") and let the answer decide;
- a new topic while "are you safe?" is open: answer it, then check in once more;
- never "anything else?" while a safety conversation is open: short "I'm still here" with the
  numbers instead, and silence rather than the same line twice in a burst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot import protocol
from bot import safety_actions as sa

CRISIS_INTENT = protocol.CRISIS_INTENT
DANGER_INTENT = protocol.DANGER_INTENT
THREAT_INTENT = protocol.THREAT_INTENT
LISTEN = protocol.LISTEN_ACTION
TOPIC = "<topic>"  # whatever the other policies answer first, then the rest of the plan
YES, NO, UNSURE = "affirm", "deny", "unsure"
UNCLEAR = frozenset({protocol.FALLBACK_INTENT, "out_of_scope", "unsupported_input"})
# small talk is no answer to "are you safe?": "öhh" or "hej" then is asked again like an
# unclear line (a greeting is no new topic to follow)
NO_ANSWER = UNCLEAR | {"greet", "goodbye", "thank", "bot_challenge"}
HUMAN = "request_human"
EPISODE_TURNS = 3  # a safety conversation stays open for this many bot turns after its last step
REPEAT_TURNS = 6  # within this many bot turns a second safety message gets the short answer

SAFE_NOW, ASK_CRISIS, ASK_DANGER, COACH = "safe_now", "ask_crisis", "ask_danger", "coach"
QUESTIONS = {
    sa.UTTER_ASK_SAFE_NOW: SAFE_NOW,
    sa.UTTER_ASK_CRISIS: ASK_CRISIS,
    sa.UTTER_ASK_DANGER: ASK_DANGER,
    sa.UTTER_COACH_OFFER_SHORT: COACH,
    sa.UTTER_SAFE: COACH,
    sa.UTTER_DANGER_SAFE: COACH,
    sa.UTTER_THREAT_SAFE: COACH,
    sa.UTTER_DANGER_NOT_SAFE: COACH,
    sa.UTTER_COACH_CONSENT: COACH,
    sa.UTTER_NOT_SAFE: COACH,  # "I'm asking a coach to come": a "ja" confirms
    sa.UTTER_NOT_SAFE_AGAIN: COACH,
}
ANSWER_WORDS = {"yes": YES, "no": NO, "unsure": UNSURE}
CLASSIFIER_RULES = frozenset({"classifier", "classifier_unsure"})
CRISIS_ANSWER = [sa.UTTER_CRISIS, sa.UTTER_ASK_SAFE_NOW]
CRISIS_AGAIN = [sa.UTTER_CRISIS_AGAIN, sa.UTTER_ASK_SAFE_NOW]
NOT_SAFE = [sa.UTTER_NOT_SAFE, sa.ESCALATE]
NOT_SAFE_AGAIN = [sa.UTTER_NOT_SAFE_AGAIN, sa.ESCALATE]
CONNECT = [sa.UTTER_COACH_CONNECTING, sa.ESCALATE]
DANGER_ANSWER = [sa.UTTER_EMERGENCY, sa.UTTER_ASK_SAFE_NOW]
DANGER_NOT_SAFE = [sa.UTTER_DANGER_NOT_SAFE, sa.ESCALATE]
THREAT_ANSWER = [sa.UTTER_THREAT, sa.UTTER_ASK_SAFE_NOW]
DANGER_KINDS = frozenset({sa.DANGER, sa.THREAT})  # answered with 112 and a safe place
THREAT_SAFE = [sa.UTTER_THREAT_OPTIONS, sa.UTTER_THREAT_SAFE]


@dataclass(frozen=True)
class State:
    """What the policy needs from the tracker, in plain values (easy to test)."""

    intent: str
    signal: dict[str, Any] = field(default_factory=dict)  # the safety net's parse-data entry
    bot_turns: Sequence[Sequence[str]] = ()  # earlier bot turns this session, oldest first
    done: Sequence[str] = ()  # actions already run after the latest user message
    suicide_told: bool = False  # a recent danger message also spoke of suicide

    @property
    def previous(self) -> Sequence[str]:
        return self.bot_turns[-1] if self.bot_turns else ()

    @property
    def pending(self) -> str | None:
        """The question the bot asked last, if its last turn asked one."""
        for action in reversed(self.previous):
            if action in QUESTIONS:
                return QUESTIONS[action]
        return None

    def recent_kinds(self, turns: int = EPISODE_TURNS) -> set[str]:
        return {sa.kind_of(a) for turn in self.bot_turns[-turns:] for a in turn} - {None}

    def offer_outstanding(self) -> bool:
        """A coach was offered in this safety conversation and the person has not answered."""
        for turn in reversed(self.bot_turns[-EPISODE_TURNS:]):
            if sa.ESCALATE in turn or sa.UTTER_NO_COACH in turn:
                return False
            if set(turn) & sa.COACH_OFFERS:
                return True
        return False

    def since_last(self, kind: str) -> list[str]:
        """Actions after the last action of this kind (all of them if there was none)."""
        flat = [a for turn in self.bot_turns for a in turn]
        for i in range(len(flat) - 1, -1, -1):
            if sa.kind_of(flat[i]) == kind:
                return flat[i + 1:]
        return flat

    @property
    def rule_made(self) -> bool:
        """The safety net's rules (not only the classifier) recognised crisis or danger."""
        signal = self.signal
        return (signal.get("band") == "sure" and signal.get("kind") in (sa.CRISIS, sa.DANGER)
                and signal.get("rule") not in CLASSIFIER_RULES)

    def in_episode(self) -> bool:
        """A safety conversation is open: a safety answer or one of its follow-ups was
        given in the last few bot turns (follow-ups keep it open while it goes on)."""
        return bool(self.recent_kinds())

    def acute(self) -> bool:
        """They said they are not safe in this safety conversation."""
        return any(sa.UTTER_NOT_SAFE in turn or sa.UTTER_DANGER_NOT_SAFE in turn
                   for turn in self.bot_turns[-EPISODE_TURNS:])

    def about_suicide(self) -> bool:
        """The open safety conversation is about suicidal thoughts (the suicide line belongs in
        its answers) unless it is only about danger now (112 and a safe place)."""
        recent = {a for turn in self.bot_turns[-EPISODE_TURNS:] for a in turn}
        danger = bool(self.recent_kinds() & DANGER_KINDS) or sa.UTTER_ASK_DANGER in recent
        crisis = sa.CRISIS in self.recent_kinds() or sa.UTTER_ASK_CRISIS in recent
        return crisis or self.suicide_told or not danger

    def not_safe(self) -> list[str]:
        return NOT_SAFE if self.about_suicide() else DANGER_NOT_SAFE

    def safe(self) -> list[str]:
        if self.about_suicide():
            return [sa.UTTER_SAFE]
        if self.threat_only():
            return THREAT_SAFE  # safe this minute: how to stay safe from the threat, a coach
        return [sa.UTTER_DANGER_SAFE]

    def threat_only(self) -> bool:
        """The open safety conversation is about a threat, with no danger now in it."""
        return self.recent_kinds() & DANGER_KINDS == {sa.THREAT}

    def coach_requested(self) -> bool:
        return any(sa.ESCALATE in turn for turn in self.bot_turns)


def plan(state: State) -> list[str] | None:
    """The actions this turn should run, or None to leave the turn to the other policies."""
    band = state.signal.get("band")
    kind = state.signal.get("kind")
    if state.in_episode():
        steps = _reply(state)
        if steps:
            return steps
    if state.in_episode() and not state.rule_made:
        if state.signal.get("not_safe"):
            return state.not_safe()
        if state.signal.get("safe_now"):
            return state.safe()
        word = ANSWER_WORDS.get(state.signal.get("answer", ""))
        if word and state.pending and state.intent not in (YES, NO, UNSURE):
            return _answer(replace(state, intent=word))
    if state.intent == DANGER_INTENT and band != "ask":
        return _danger(state)
    if state.intent == CRISIS_INTENT and band != "ask":
        return _crisis(state)
    if state.intent == THREAT_INTENT:
        return _threat(state)
    if band == "ask" and kind == sa.DANGER and sa.CRISIS in state.recent_kinds() \
            and sa.DANGER not in state.recent_kinds():
        return _crisis(state)  # "tar dom nu ba" after "har alla tabletter framför mig"
    if band == "ask" and kind == sa.DANGER:
        if sa.DANGER in state.recent_kinds() or state.pending == ASK_DANGER:
            return _danger(state)
        return [sa.UTTER_ASK_DANGER]
    if band == "ask" and kind == sa.CRISIS:
        if state.pending in (SAFE_NOW, ASK_CRISIS) or sa.CRISIS in state.recent_kinds():
            return _crisis(state)
        return [sa.UTTER_ASK_CRISIS]
    return _answer(state)


def _reply(state: State) -> list[str] | None:
    """A reply to the safety dialogue's own question, read before anything else it may contain:
    "ja snälla nån" to a coach offer is a yes; "nej men han har kniven kvar" to "are you safe?"
    is a no; after "not safe", more of the same keeps 112, the suicide line and the coach coming
    (only a no to the coach, said as such, stops the coach)."""
    signal, pending = state.signal, state.pending
    answer = ANSWER_WORDS.get(signal.get("answer", "")) or (
        state.intent if state.intent in (YES, NO, UNSURE) else None)
    coach_open = pending == COACH or state.offer_outstanding()
    if coach_open and (answer == YES or signal.get("leans_yes") or signal.get("asks_person")):
        return CONNECT
    if coach_open and signal.get("declines_coach") and not state.acute():
        return [sa.UTTER_NO_COACH]  # "vill inte prata me nån", even when NLU hears "a person"
    crisis = sa.CRISIS in state.recent_kinds()
    danger = bool(state.recent_kinds() & DANGER_KINDS)  # a threat: danger's answers
    # after "not safe ... I'm asking a coach to come": a plain "nej" answers that sentence (a no
    # to the coach, said the way people answer it); "vet inte", more risk or "nej men ..." do not
    more_risk = bool(signal.get("not_safe") or signal.get("risk_talk")
                     or signal.get("kind") in (sa.CRISIS, sa.DANGER))
    if state.acute() and pending == COACH:
        if signal.get("declines_coach") or (answer == NO and not more_risk):
            return [sa.UTTER_NO_COACH]
        if crisis and (answer in (NO, UNSURE) or more_risk or state.intent in UNCLEAR):
            return NOT_SAFE_AGAIN
        if not crisis and (answer in (NO, UNSURE) or signal.get("not_safe") or (
                signal.get("kind") == sa.DANGER and not signal.get("safe_now"))):
            return [sa.UTTER_EMERGENCY_AGAIN, sa.ESCALATE]  # still in danger: 112, the coach again
    if pending == SAFE_NOW and (crisis or danger):
        if answer in (NO, UNSURE) or signal.get("not_safe") or signal.get("silent"):
            return state.not_safe()
        if signal.get("asks_person") and not signal.get("declines_coach"):
            return CONNECT  # "ambulansen e här nu. vill prata me nån", "ja ring mig sen"
        if signal.get("kind") in (sa.CRISIS, sa.DANGER) or (
                signal.get("risk_talk") and not signal.get("safe_now") and answer != YES):
            return state.not_safe()  # more crisis talk, danger or a means named: not "yes, safe"
        if state.intent == THREAT_INTENT and not signal.get("safe_now") and answer != YES:
            return state.not_safe()  # "dom vet var ja bor": the threat goes on, no "yes, safe"
    if pending == ASK_CRISIS:
        if answer == UNSURE or signal.get("silent") or signal.get("not_safe"):
            return NOT_SAFE  # "vet inte", or "no. I'm on the bridge now", to "do you mean ...?"
        risk = signal.get("kind") in (sa.CRISIS, sa.DANGER) or signal.get("risk_talk")
        if answer == NO and risk:
            # "nej men han har tabletterna i fickan", "nä men ja har tänkt på de": no "no"
            return CRISIS_ANSWER
    if pending == ASK_DANGER:
        if signal.get("asks_person") and not signal.get("declines_coach") and answer != NO:
            return DANGER_NOT_SAFE  # "ja ring mig snälla": in danger, and a person asked for
        if signal.get("not_safe") or (answer == UNSURE and signal.get("kind") == sa.DANGER):
            return DANGER_NOT_SAFE  # "vi ligger på golvet", "idk, he's breathing really slow"
        if answer == NO and signal.get("kind") == sa.DANGER:
            return _danger(state)  # "nej han har kniv": no "no" (a not-safe "no" is handled above)
    return None


def _danger(state: State) -> list[str]:
    """112 first; then the one question of the safety dialogue, "are you safe right now?"
    (the coach is offered after its answer, short, as after a crisis)."""
    if state.pending == SAFE_NOW and sa.DANGER in state.recent_kinds():
        return DANGER_NOT_SAFE  # more danger while asked whether they are safe: not safe
    if sa.DANGER in state.recent_kinds(REPEAT_TURNS):
        return [sa.UTTER_EMERGENCY_AGAIN]
    if state.offer_outstanding() or state.coach_requested():
        return [sa.UTTER_EMERGENCY]
    return DANGER_ANSWER


def _threat(state: State) -> list[str]:
    """112 first and the threat line, then "are you safe right now?" (only the line while a
    coach is coming or offered: no second question on top of the open one)."""
    if state.coach_requested() or state.offer_outstanding():
        return [sa.UTTER_THREAT]  # the coach is coming or offered: no second question
    return THREAT_ANSWER


def _crisis(state: State) -> list[str]:
    if state.pending == SAFE_NOW or state.acute():
        return NOT_SAFE  # still in crisis while asked whether they are safe, or after "not safe"
    if sa.CRISIS in state.recent_kinds():
        return CRISIS_AGAIN
    return CRISIS_ANSWER


def _answer(state: State) -> list[str] | None:
    """An ordinary intent: an answer to the open question, or a turn inside the episode."""
    intent, pending = state.intent, state.pending
    if pending == SAFE_NOW:
        if intent == YES:
            return state.safe()
        if intent in (NO, UNSURE):
            return state.not_safe()
        if intent in NO_ANSWER:
            return state.not_safe() if sa.UTTER_REASK in state.previous else [
                sa.UTTER_REASK, sa.UTTER_ASK_SAFE_NOW]
        if intent == HUMAN:
            return CONNECT
        if sa.UTTER_CHECKIN in state.since_last(sa.CRISIS):
            return None  # asked twice already: follow the person's topic
        return [TOPIC, sa.UTTER_CHECKIN, sa.UTTER_ASK_SAFE_NOW]
    if pending == ASK_CRISIS:
        if intent in (YES, UNSURE) or intent in UNCLEAR:
            return CRISIS_ANSWER
        return [sa.UTTER_ASK_CRISIS_NO] if intent == NO else None
    if pending == ASK_DANGER:
        if intent in (YES, UNSURE) or intent in UNCLEAR:
            return _danger(state)
        return [sa.UTTER_ASK_DANGER_NO] if intent == NO else None
    in_episode = state.in_episode()
    asks_human = intent == HUMAN and not state.signal.get("declines_coach")
    if asks_human and in_episode:  # a threat answer opens an episode too
        return CONNECT  # the connecting text says what the coach sees: no second question now
    # a "ja" answers the coach offer even with a short repeat in between; outside a safety
    # conversation the coach rules (data/rules/coach.yml) answer
    if in_episode and (pending == COACH or state.offer_outstanding()):
        if intent in (YES, HUMAN):
            return CONNECT
        if intent in (NO, UNSURE):
            return [sa.UTTER_NO_COACH]
    if in_episode and state.coach_requested() and (
            intent == YES or state.signal.get("asks_person")):
        return CONNECT  # "ja gärna" after "I'm asking a coach to come": confirmed, said once more
    if in_episode and (intent in (YES, NO, UNSURE) or intent in UNCLEAR):
        return [LISTEN] if sa.UTTER_STILL_HERE in state.previous else [sa.UTTER_STILL_HERE]
    if in_episode and (state.offer_outstanding() or state.coach_requested()):
        return [TOPIC]  # answer, but no second coach offer while one is open or coming
    return None


def next_action(state: State) -> str | None:
    """The next action of the plan, given what already ran this turn; None = abstain."""
    steps = plan(state)
    if steps is None:
        return None
    done = list(state.done)
    if steps[0] == TOPIC:
        if not done:
            return None
        rest = [a for a in steps[1:] if a not in done]
        return rest[0] if rest else LISTEN
    if done != steps[: len(done)]:
        return None  # another policy acted this turn (cannot happen while we outrank it)
    return steps[len(done)] if len(done) < len(steps) else LISTEN


def state_from_events(events: Sequence[dict[str, Any]]) -> State | None:
    """Build the State from a tracker's events (as dicts); None before any user message."""
    turns: list[list[str]] = []
    current: list[str] | None = None
    latest: dict[str, Any] | None = None
    suicide_at: list[int] = []  # the user turns whose danger message also spoke of suicide
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            turns, current, latest, suicide_at = [], None, None, []
        elif kind == "user":
            if current is not None:
                turns.append(current)
            current, latest = [], event
            told = (event.get("parse_data") or {}).get(sa.SIGNAL_KEY)
            if isinstance(told, dict) and told.get("suicide"):
                suicide_at.append(len(turns))
        elif kind == "action" and current is not None:
            name = event.get("name")
            if name and name not in sa.SILENT_ACTIONS:
                current.append(name)
    if latest is None or current is None:
        return None
    parse = latest.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name") or ""
    signal = parse.get(sa.SIGNAL_KEY) or {}
    told = any(len(turns) - at <= EPISODE_TURNS for at in suicide_at)
    return State(intent, signal if isinstance(signal, dict) else {}, turns, current, told)
