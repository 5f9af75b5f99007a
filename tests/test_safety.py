"""The deterministic safety net on its own: crisis and emergency phrasings must be caught.

Protocol (docs/safety.md): every corpus was written by someone who had not seen the
rules, measured once as blind, and only then used to improve the rules, after which it
becomes a regression corpus here. tests/data/safety_phrases.yml and safety_phrases_2.yml are
such corpora; safety_phrases_blind.yml has never been used for tuning and is only measured
through the full pipeline (test_nlu_model.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import safety

DATA = Path(__file__).parent / "data"
CORPORA = [yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
           for name in ("safety_phrases.yml", "safety_phrases_2.yml")]
PHRASES = {key: [item for corpus in CORPORA for item in corpus[key]]
           for key in ("crisis", "emergency", "mixed", "not_crisis")}
EXPECT = {"crisis": safety.CRISIS, "emergency": safety.EMERGENCY}


@pytest.mark.parametrize("text", PHRASES["crisis"])
def test_crisis_phrasings_are_caught(text: str) -> None:
    match = safety.detect(text)
    assert match is not None, text
    # a crisis message may also describe danger now; either answer carries 112
    assert match.intent in safety.SAFETY_INTENTS


@pytest.mark.parametrize("text", PHRASES["emergency"])
def test_emergency_phrasings_are_caught(text: str) -> None:
    match = safety.detect(text)
    assert match is not None and match.intent == safety.EMERGENCY, (text, match)


@pytest.mark.parametrize("item", PHRASES["mixed"], ids=lambda i: i["text"][:40])
def test_safety_content_inside_other_topics_is_caught(item: dict) -> None:
    match = safety.detect(item["text"])
    assert match is not None, item
    if item["expect"] == "emergency":
        assert match.intent == safety.EMERGENCY


def test_false_alarm_rate_on_ordinary_messages_is_low() -> None:
    # a threat not happening now goes to the ordinary fear-of-retaliation answer: no alarm
    alarms = [t for t in PHRASES["not_crisis"]
              if (m := safety.detect(t)) and m.intent in safety.SAFETY_INTENTS]
    rate = len(alarms) / len(PHRASES["not_crisis"])
    print(f"\nsafety net false alarms: {len(alarms)}/{len(PHRASES['not_crisis'])} ({rate:.0%})")
    # only mentions of the word suicide itself are allowed to alarm (they get a kind answer)
    assert all(safety.detect(t).rule.endswith("suicide_word") for t in alarms), alarms
    assert rate <= 0.10


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("SJÄLVMORD", safety.CRISIS),
        ("sjalvmord", safety.CRISIS),
        ("jag vill ta livet av mig", safety.CRISIS),
        ("ja vill ta livet av mej", safety.CRISIS),
        ("I want to kill myself", safety.CRISIS),
        ("vill inte leva längre", safety.CRISIS),
        ("vill int leva", safety.CRISIS),
        ("han har en kniv och står utanför dörren", safety.EMERGENCY),
        ("dom skjuter här nu", safety.EMERGENCY),
        ("någon blev knivhuggen, han blöder", safety.EMERGENCY),
        ("they are outside my door with a gun", safety.EMERGENCY),
    ],
)
def test_spelling_variants(text: str, intent: str) -> None:
    match = safety.detect(text)
    assert match is not None and match.intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "jag dör av skratt",
        "skjut inte upp läxan",
        "vi måste skjuta upp mötet",
        "dom kommer ta livet av mig om jag hoppar av",  # a threat: not suicidality
        "min kompis blev skjuten förra året",  # a past event
        "i dont want to die young like them",
        "sluta skjut norrköping, vad är det",
        "",
    ],
)
def test_not_a_safety_message(text: str) -> None:
    match = safety.detect(text)
    assert match is None or (text.startswith("dom kommer") and match.intent != safety.CRISIS)


@pytest.mark.parametrize(("text", "rule", "band"), [
    ("ska hoppa från p-huset", "concept_jump_from_building", "sure"),
    ("i'm gonna jump off the 5th floor", "concept_jump_from_building", "sure"),
    ("my friend says she's at the bridge and it's her last night", "concept_other_at_height",
     "sure"),
    ("ja vill hoppa från nåt", "ask_jump_from", "ask"),
    ("skar mig o de slutar inte blöda", "sv_bleeding", "sure"),
])
def test_method_place_and_someone_else_at_a_height(text: str, rule: str, band: str) -> None:
    """A building is a height; "her last night" is no past event; bleeding that will not
    stop is danger now, before the crisis answer."""
    match = safety.detect(text)
    assert match is not None and (match.rule, match.band) == (rule, band)


@pytest.mark.parametrize("text", [
    "ska hoppa från tian i simhallen imorn, nervös",
    "last night we watched a film about a bridge",
])
def test_diving_boards_and_last_night_are_no_alarm(text: str) -> None:
    assert safety.detect(text) is None


def test_an_unsure_answer_is_not_read_as_safe() -> None:
    """The cautious reading of "are you safe?": "vet inte" wins over "hemma nu" after it."""
    assert safety.read_answer("ja e hemma nu").safe_now
    answer = safety.read_answer("idk, typ ja e hemma nu")
    assert answer.word == "unsure" and not answer.safe_now


@pytest.mark.parametrize("text", [
    "för tre år sen skar jag mig men nu mår jag bra, hur får man bort ärren?",
    "i used to self harm in middle school, been clean for 4 years now",
    "jag skriver en uppsats om självmord bland unga, finns det statistik?",
    "as a teacher, how do i talk to a class after a student's suicide?",
    "säljer min cykel och ger bort mina gamla spel för jag flyttar till malmö",
    "ska bada från bryggan ikväll, sista badet innan hösten",
    "this is my last message before i go to bed, thanks!",
])
def test_over_studied_or_everyday_is_no_alarm(text: str) -> None:
    """Something over and said to be over, a subject studied or worked with, an everyday
    reason for a goodbye or a giveaway: the words of a crisis with no one in one now."""
    assert safety.detect(text) is None


@pytest.mark.parametrize("text", [
    "för tre år sen försökte jag ta mitt liv och nu vill jag igen",
    "i used to cut and now i'm doing it again",
    "ger bort alla mina grejer, behöver dom inte mer",
    "har sparat tabletter, ikväll tar jag dom",
])
def test_the_same_words_about_now_still_raise_it(text: str) -> None:
    match = safety.detect(text)
    assert match is not None and match.kind == "crisis"


@pytest.mark.parametrize(("text", "safe_now", "not_safe"), [
    ("she's with her mom now", True, False),
    ("han e hos sin pappa nu", True, False),
    ("he's in his room, i can hear him", True, False),
    ("she's with her boyfriend and they are fighting", False, False),
    ("i still have them on me", False, True),
])
def test_a_relative_or_friend_answering_are_they_safe(text: str, safe_now: bool,
                                                      not_safe: bool) -> None:
    """A worried parent or friend answers for someone else: with family or within reach is
    safe now; still holding the means is not; a partner is not family."""
    answer = safety.read_answer(text)
    assert (answer.safe_now, answer.not_safe) == (safe_now, not_safe)


@pytest.mark.parametrize(
    ("text", "word", "extra"),
    [
        ("typ", "unsure", {}),
        ("ja men inte länge till", "unsure", {}),  # a yes with a but
        ("ja men ja e hemma nu, mamma e här", None, {"safe_now": True}),
        ("kanske.. ja ok", "unsure", {"leans_yes": True}),
        ("ja okej", "yes", {"safe_now": False}),  # a yes to a coach, not "I'm okay"
        ("ja e okej", "yes", {"safe_now": True}),
        ("nej tack, ingen coach", "no", {"declines_coach": True}),
        ("vattnet e så nära", None, {"risk_talk": True}),
        ("vad har fritidsgården för öppettider?", None, {"risk_talk": False}),
    ],
)
def test_answers_read_as_people_mean_them(text: str, word: str | None, extra: dict) -> None:
    answer = safety.read_answer(text)
    assert answer.word == word
    for key, value in extra.items():
        assert getattr(answer, key) == value, key


# --- round 7: concepts learned from blind_10's misses, tested on new wordings ---------------
@pytest.mark.parametrize(("text", "kind", "band"), [
    # questions about a method, an amount, a height or pain: asked about at once
    ("hur många sömntabletter behöver man egentligen", "crisis", "ask"),
    ("what's the most painless way", "crisis", "ask"),
    ("gör det ont att drunkna", "crisis", "ask"),
    ("vilket hus i norrköping är högst", "crisis", "ask"),
    ("idag är dagen. förlåt mamma", "crisis", "ask"),
    # what was taken, what the arms look like, a goodbye for ever
    ("har ätit alla mina mediciner, känner mig yr", "crisis", "sure"),
    ("hon tog alla sina sertralin för en timme sen", "crisis", "sure"),
    ("handleden e full av blod igen", "crisis", "sure"),
    ("sov gott för alltid allihop", "crisis", "sure"),
    ("bestämt. fredag kväll", "crisis", "sure"),
    # held, forced into a vehicle, taken, lying still, chased now
    ("vi sitter i bakluckan på en bil", "danger", "sure"),
    ("dom har tagit min lillebror, han svarar inte", "danger", "sure"),
    ("someone dragged my sister into a car", "danger", "sure"),
    ("han ligger helt still på marken", "danger", "sure"),
    ("im being followed by two guys", "danger", "sure"),
    # a bounty, leavers buried, a family member photographed, a bullet left behind
    ("den som hittar honom får 50k sa dom", "threat", "sure"),
    ("folk säger att avhoppare blir skjutna", "threat", "sure"),
    ("de fotade min lillebror utanför förskolan", "threat", "sure"),
    ("hittade en patron på min dörrmatta", "threat", "sure"),
    ("ett anonymt konto skrev att jag inte kommer överleva helgen", "threat", "sure"),
    ("tog bort snap och insta, allt. ingen ska läsa nåt efteråt", "crisis", "sure"),
    ("jag vet var min morbror har sitt gevär", "crisis", "ask"),
    ("they dragged him into a car 5 minutes ago", "danger", "sure"),
])
def test_concepts_learned_in_round_7(text: str, kind: str, band: str) -> None:
    match = safety.detect(text)
    assert match is not None and (match.kind, match.band) == (kind, band), match


@pytest.mark.parametrize("text", [
    # over and said to be over: an age then and now, recovery, a move
    "när jag var 15 hade jag sånna tankar. nu är jag 20 och det har blivit bättre",
    "got jumped when i was 14, i'm 19 now and working",
    "förra vintern sov jag med kniven under kudden men nu har jag flyttat",
    # a joke about a trivial cause
    "hoppar från taket om jag får ett F till lol",
    # media, school statistics, a parent preparing, hunting, skating, a cut finger
    "i säsong 3 blir han skjuten, så sorgligt",
    "hur många blir skjutna varje år i sverige? till mitt skolarbete",
    "hur tar jag upp självmordstankar med min son, vill vara förberedd",
    "ska på älgjakt med morbror, får man skjuta själv då?",
    "skar mig i tummen av misstag när jag lagade mat",
    "har en skuld till en kille men är inte hotad, vill bara betala",
    "sista meddelandet för idag, godnatt",
    "raderade snapchat, den tog för mycket tid från skolan",
])
def test_round_7_lookalikes_are_no_alarm(text: str) -> None:
    assert safety.detect(text) is None, safety.detect(text)


@pytest.mark.parametrize(("text", "word", "extra"), [
    ("varför frågar du det", "unsure", {}),  # a question back instead of an answer
    ("why would u care", "unsure", {}),
    ("ja typ", "unsure", {}),  # a hedged yes
    ("jag är ok men inte min kompis", None, {"not_safe": True}),
    ("she's still not picking up", None, {"not_safe": True}),
    ("kom hem nyss", None, {"safe_now": True}),
    ("spolade ner tabletterna", None, {"safe_now": True}),
    ("polisen kom hit. vill prata med någon", None, {"safe_now": True, "asks_person": True}),
    ("inte nu", "no", {"declines_coach": True}),
    ("...", None, {"silent": True}),
    ("ja", "yes", {"safe_now": False, "silent": False}),
])
def test_round_7_answers(text: str, word: str | None, extra: dict) -> None:
    answer = safety.read_answer(text)
    assert answer.word == word
    for key, value in extra.items():
        assert getattr(answer, key) == value, key


@pytest.mark.parametrize(("text", "kind", "band"), [
    # never born, done with life, a last message, a goodbye "so long as it lasted"
    ("allt hade vart enklare om jag aldrig föddes", "crisis", "sure"),
    ("i wish i was never born honestly", "crisis", "sure"),
    ("e klar med livet nu", "crisis", "sure"),
    ("det här blir sista gången jag skriver nåt", "crisis", "sure"),
    ("det var fint så länge det varade, tack", "crisis", "sure"),
    ("i want to finish my life", "crisis", "sure"),
    ("vill ocksa do ba", "crisis", "sure"),
    # looking up heights and amounts, someone else and a gun
    ("har googlat hur högt man behöver falla", "crisis", "sure"),
    ("min bror sa att han ska skjuta sig själv", "crisis", "sure"),
    # asked about: it won't matter soon, a goodbye to everyone, gone for good, a grave emoji
    ("det spelar ingen roll snart ändå", "crisis", "ask"),
    ("hej då allesammans", "crisis", "ask"),
    ("innan jag försvinner för gott vill jag säga förlåt", "crisis", "ask"),
    ("jag ⚰️ snart", "crisis", "ask"),
    # danger: someone watching the window, someone who cannot be woken
    ("en kille står o glor in genom vårt fönster", "danger", "sure"),
    ("jag kan inte väcka pappa, han ligger på golvet", "danger", "sure"),
    # threats: an address with a weapon, coming home to us, harm unless, "kört för mig"
    ("nån skickade min adress med en bild på en kniv", "threat", "sure"),
    ("killarna skrev att de kommer hem till mig ikväll", "threat", "sure"),
    ("de ska skada honom om han inte betalar", "threat", "sure"),
    ("om jag inte hämtar grejen e de kört för mig", "threat", "sure"),
    ("fick min adress ihop med en dödskalle igår", "threat", "sure"),
])
def test_concepts_learned_in_round_8(text: str, kind: str, band: str) -> None:
    match = safety.detect(text)
    assert match is not None and (match.kind, match.band) == (kind, band), match


@pytest.mark.parametrize("text", [
    # over and said to be over: half a year ago, as a child, the police took him, got home fine
    "min dotter blev rånad för ett halvår sen men nu mår hon bra",
    "som barn blev jag inlåst i källaren en gång, tänker på det ibland",
    "vi såg polisen ta en kille med kniv vid skolan",
    "några jagade oss efter matchen men vi kom hem lugnt",
    "skar mig när jag gick i femman, nu mår jag mycket bättre",
    # quoted lyrics, a scene, a song about someone else
    'skriver en låt: "jag är redo att dö för gänget" låter det bra?',
    "in the song she says she wants to die, so sad",
    "har ni sett scenen där han skjuter i trappan",
    # hyperbole and everyday: a parent who will "shoot" me, embarrassment, hide and seek, a headache
    "mamma kommer skjuta mig när hon ser mitt betyg",
    "jag vill dö av pinsamhet",
    "im gonna kill myself if we lose the final again lmao",
    "vi leker kurragömma, jag gömmer mig i tvättstugan",
    "tar en alvedon mot huvudvärk, är det ok?",
    "sitter på taket o kollar stjärnorna med polarna",
    # the law, denied danger, "de här"
    "vad händer om man åker fast med kniv, blir det böter?",
    "nobody is after me, just stressed about school",
    "e de här gratis?",
    # a school assignment
    "vi har grupparbete om självmord, var hittar jag statistik?",
])
def test_round_8_lookalikes_are_no_alarm(text: str) -> None:
    assert safety.detect(text) is None, safety.detect(text)


@pytest.mark.parametrize(("text", "extra"), [
    ("vill inte prata me nån", {"declines_coach": True, "asks_person": False}),
    ("nah behövs inte", {"declines_coach": True}),
    ("ringde 112 nyss, o ja snälla en coach sen", {"asks_person": True}),
    ("ja ring mig sen", {"asks_person": True}),
    ("ja men ingen polis", {"asks_person": True}),
    ("ja men inte länge till", {"asks_person": False}),
    ("nej ingen människa", {"declines_coach": True}),
    ("la tillbaka repet i förrådet", {"safe_now": True}),
    ("ok la den på hyllan, pappa e vaken", {"safe_now": True}),
])
def test_round_8_answers(text: str, extra: dict) -> None:
    answer = safety.read_answer(text)
    for key, value in extra.items():
        assert getattr(answer, key) == value, key
