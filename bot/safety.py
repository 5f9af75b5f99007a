"""Deterministic safety net for crisis (suicidal thoughts) and emergency (danger now) messages.

The intent classifier is statistical and can be unsure; a young person writing "vill inte leva
längre" must still get the crisis answer. These patterns run on every message (inside the Rasa
NLU pipeline, see ``bot.nlu.components.SafetyNet``) and override the classifier when they match.
They are written on folded text (lowercase, no å/ä/ö, repeated letters squeezed), so one
pattern covers "självmord", "sjalvmord" and "SJÄLVMOOORD".

A false alarm costs one extra, kind message with the right numbers; a miss can cost a life.
Patterns therefore err on the side of matching, with narrow vetoes only where a phrase is
clearly about something else (a past event, a film, someone else threatening).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.textnorm import fold

CRISIS = "crisis_suicidal"
EMERGENCY = "emergency_danger"
SAFETY_INTENTS = (CRISIS, EMERGENCY)

_ME = r"(?:mig|mej|mi|me|mig sjalv|mej sjalv)"
_NOT = r"(?:inte|int|inge|ej|nt|inte langre)"

# --- crisis: wish to die, suicide, self-harm (Swedish and English) -------------------------
_CRISIS_PATTERNS: dict[str, str] = {
    "sv_suicide_word": r"\bsj?[ae]?l?v ?mord|\bsjalvmord|\bsuicid",
    "sv_take_my_life": rf"\b(?:ta|tar|tog|tagit|ta ut)(?: (?:jag|ja))? (?:livet|live) (?:av|a) {_ME}",
    "sv_take_own_life": r"\b(?:ta|tar|tog) (?:mitt|mit) (?:eget )?liv\b",
    "sv_not_live": rf"\b(?:vill|vil|ville|orkar|orka|kan|klarar|fortjanar|ska) {_NOT} (?:att )?(?:leva|lev|lava)\b"
    r"|\bvarfor (?:jag|ja) ska (?:fortsatta|fortsatt) (?:att )?leva|\btrott pa (?:att )?(?:leva|livet)\b"
    r"|\bvill (?:inte|int) (?:va|vara) (?:med|me) (?:langre|mer)\b",
    "sv_not_exist": rf"\b(?:vill|vil|ville)(?: \w+)? {_NOT} (?:finnas|finns|existera|vakna|leva mer)",
    "sv_want_die": r"\b(?:vill|vil|ville|vell|will)(?: (?:jag|ja))? (?:bara |helst |typ |ba |nastan |ju |verkligen )?(?:do|doo)\b",
    "sv_want_be_dead": r"\b(?:vill|vil|onskar|onskade) (?:att )?(?:jag|ja) (?:var|va|vore|ar|e) dod"
    r"|\bom (?:jag|ja) (?:var|va|vore) dod\b|\b(?:onskar|onskade) (?:att )?(?:jag|ja) (?:inte|aldrig) (?:fanns|fotts|var fodd)",
    "sv_stop_existing": r"\bsluta (?:existera|finnas)\b",
    "sv_ready_to_die": r"\b(?:redo att|lika garna|lika bra att|kan lika garna|hellre) (?:\w+ )?(?:do|doo)\b"
    r"|\b(?:enda (?:vagen ut|utvagen|losningen)|only way out) (?:e|ar|is) (?:att |to )?(?:do|die)\b"
    r"|\bdoden (?:e|ar) (?:den )?enda (?:utvagen|losningen|vagen)",
    "sv_not_here_anymore": r"\b(?:inte|int) (?:e|ar|finns|finnas|va|vara) kvar (?:imorn|imorgon|pa|efter|langre|snart)\b"
    r"|\bkommer (?:inte|int) (?:att )?(?:finnas|vara|va) kvar\b|\bni slipper mig\b"
    r"|\b(?:snart|imorn|imorgon) (?:e|ar) (?:jag|ja) borta\b|\bom (?:jag|ja) (?:dog|dor|forsvann|forsvinner)\b"
    r"|\bingen (?:som )?(?:skulle )?(?:sakna|saknar|marka|marker|bry sig|bryr sig)\w* (?:mig|mej|om mig)\b",
    "sv_farewell": r"\bsista gangen (?:du|ni) hor (?:av|fran) mig\b|\b(?:ni|du) kommer (?:inte|aldrig) (?:att )?hora (?:av|fran) mig\b"
    r"|\bgett bort (?:alla )?mina (?:grejer|saker)\b|\bbrev till \w+ (?:ifall|om) (?:jag|ja) (?:inte|int)"
    r"|\bsager hejda (?:till er|for alltid)|\bgiven away (?:all )?my (?:stuff|things)\b",
    "sv_sleep_forever": r"\b(?:somna|sova|sleep) (?:for alltid|forever|for gott|and never wake)\b",
    "sv_never_born": r"\b(?:aldrig|inte) (?:foddes|blivit fodd|var fodd|hade fotts)\b",
    "sv_hurt_self": r"\bgora illa (?:mig|mej) sjalv\b",
    "sv_follow_the_dead": r"\bfolja efter (?:honom|henne|dom) (?:dit|till himlen|i doden)\b|\bbe with (?:him|her) again\b",
    "sv_end_it_all": r"\b(?:gora|gor) slut pa (?:allt|mitt liv|livet|mig|mej)\b|\bavsluta (?:mitt liv|livet|allt)\b"
    r"|\bta slut for (?:alltid|gott)\b",
    "sv_goodbye_letter": r"\bavskedsbrev|\bsjalvmordsbrev|\bgoodbye (?:letter|note)|\bsuicide note",
    "sv_stop_living": r"\b(?:vill|vil|ska) sluta (?:att )?leva",
    "sv_tired_of_life": rf"\b(?:orkar|orka|pallar|palla) {_NOT} (?:mer |langre )?(?:med |me )?livet",
    "sv_kill_myself": r"\b(?:doda|dodar|doda|mörda|morda) (?:mig|mej) sjalv",
    "sv_self_harm": r"\b(?:skada|skadar|skadat) (?:mig|mej) sjalv|\b(?:skar|skara|skaer) (?:mig|mej)\b"
    r"|\bsjalvskad",
    "sv_want_hurt_me": r"\b(?:vill|ska|kommer|brukar|borjat|borjar) (?:att )?(?:skada|skara) (?:mig|mej)\b",
    "sv_hang": r"\bhanga (?:mig|mej)\b",
    "sv_better_without_me": r"\b(?:battre|lattare)(?: \w+){0,3} (?:utan mig|utan mej|om (?:jag|ja) (?:var|vore) dod"
    r"|om (?:jag|ja) inte fanns|om (?:jag|ja) dog)",
    "sv_disappear_forever": r"\bforsvinna for (?:alltid|gott)",
    "sv_no_meaning": r"\b(?:ingen|inge) (?:mening|ide|anledning) (?:med|att|till att) (?:livet|leva|att leva)"
    r"|\b(?:ingen|inge) (?:mening|ide) (?:me|med) (?:att )?leva|\binget (?:kvar )?(?:att )?leva for|\blivet (?:ar|e) (?:inte|int) (?:vart|vard) ",
    "sv_sleep_never_wake": r"\bsomna (?:in )?(?:och|o) (?:aldrig|inte|int) vakna",
    "sv_overdose": r"\bta (?:en )?overdos",
    "sv_thinking_of_dying": r"\btanker (?:pa|på) (?:att )?(?:do|doden|ta livet)\b",
    "en_suicide": r"\bsuicid|\bunalive",
    "en_kill_myself": r"\bkill(?:ing)? ?my ?self|\bkms\b",
    "en_end_life": r"\bend(?:ing)? (?:my|it|my own) (?:life|all)\b|\btake my (?:own )?life",
    "en_want_die": r"\b(?:want|wanna|wish|going|gonna|ready) (?:to )?die\b|\bwant to be dead"
    r"|\bwish i (?:was|were) dead",
    "en_not_live": r"\b(?:do not|dont|don t|dnt)(?: \w+)? (?:want|wanna) (?:to )?(?:live|be alive|exist|wake up)",
    "en_better_off": r"\bbetter off (?:dead|without me)|\bif i (?:was|were) dead\b"
    r"|\bwish i (?:wasn t|werent|weren t|was not|were not) (?:alive|born|here)|\bno (?:reason|point) (?:to|in) (?:live|living)",
    "en_self_harm": r"\b(?:hurt|harm|cut|cutting|hurting|harming)(?:ing)? my ?self\b|\bself ?harm",
    "en_cant_go_on": r"\bcan ?t go on living|\bcan ?t live like this|\bnot (?:gonna|going to) be (?:here|around|alive)\b"
    r"|\blife (?:is not|isnt|ain t|aint|is) (?:not )?worth (?:it|living)\b|\bdisappear (?:forever|for good)\b"
    r"|\btired of (?:living|life|being alive)\b",
}

# Someone else as the subject ("dom ska ta livet av mig") makes it a threat, not suicidality.
_THIRD_PERSON_BEFORE = re.compile(
    r"\b(?:dom|de|han|hon|mamma|pappa|morsan|farsan|nan|nagon|killarna|gaenget|ganget|they|he|she"
    r"|someone|somebody)\b(?:\s+\w+){0,3}\s*$"
)
_THREAT_SHAPED = {"sv_take_my_life", "sv_kill_myself", "sv_want_hurt_me"}
# "i dont want to die" / "jag vill inte dö" state the opposite of the wish to die.
_NEGATED_BEFORE = re.compile(r"\b(?:dont|don t|do not|never|not|inte|int|aldrig)\s*$")
_NEGATION_SENSITIVE = {"en_want_die"}

# --- emergency: danger now ------------------------------------------------------------------
_WEAPON = (
    r"(?:kniv|knivar|kniven|pistol|pistolen|puffra|puffran|vapen|vapnet|gevar|glock|machete|yxa"
    r"|granat|handgranat|bomb|sprangladdning|automatvapen|ak|gun|guns|knife|knives|weapon|pistol"
    r"|blade|machete|bevapnad|bevapnade|armed)"
)
_NOW = (
    r"(?:nu|just nu|asap|snabbt|utanfor|dorren|porten|trapphuset|pa vag hit|framfor mig|mot mig"
    r"|riktar|viftar|hotar|jagar|star|vantar|e kvar|ar kvar|now|right now|outside|at my door|pointing|chasing"
    r"|here|threatening|coming)"
)
_EMERGENCY_PATTERNS: dict[str, str] = {
    "weapon_now": rf"\b{_WEAPON}\b(?:\s+\w+){{0,6}}\s+{_NOW}\b|\b{_NOW}\b(?:\s+\w+){{0,6}}\s+{_WEAPON}\b",
    "sv_shot_stabbed": r"\b(?:blivit|blev|bli|blir|e|ar|har blivit|har blitt|bli) (?:\w+ )?(?:knivhuggen"
    r"|knivhuggna|knivskuren|huggen|skjuten|skjuten|nedskjuten|skadskjuten|knivad|skuren|attackerad"
    r"|misshandlad|nerslagen|overfallen)\b(?! upp)",
    "weapon_holder": rf"\b(?:han|hon|dom|de|nan|nagon|nagra|killen|typen|killar|he|she|they|someone|somebody"
    rf"|theyve|they ve)\b (?:har|hade|med|got|has|have|had|with|pulled|drog)(?: \w+){{0,2}} {_WEAPON}\b",
    "aiming": r"\b(?:siktar|riktar|pekar|aiming|pointing)\b(?:\s+\w+){0,3}\s+(?:pa|mot|at) (?:mig|mej|oss|me|us)\b",
    "sv_stab_words": r"\b(?:knivhuggen|knivhuggna|knivskuren|nedskjuten|skottskadad|skottlossning)\b",
    "sv_shooting": r"\b(?:skjuter|skjuta|skjot|skot) (?:pa|mot)\b|\b(?:dom|de|nan|nagon|han|nagra)"
    r" (?:skjuter|har skjutit)\b(?! upp)|\bhor(?:de)? (?:skott|smallar|pang)|\bskjuts\b(?! upp)"
    r"|\bskjuter (?:dom|de|han|nan|nagon|nagra|har|utanfor)\b|\b(?:skot|skjot) (?:\w+ )?(?:pa|mot) (?:mig|oss|honom|henne)",
    "sv_bleeding": r"\b(?:bloder|blodar|blöder|blod overallt|blodet sprutar|mycket blod)\b",
    "threat_now": r"\b(?:hotar|hotad|hotade|threatening|threatened)\b(?:\s+\w+){0,6}\s+(?:just nu|nu|right now)\b",
    "violence_now": r"\b(?:slar|sparkar|misshandlar|attackerar|hugger|knivhugger|hitting|beating|attacking|stabbing|kicking)\b"
    r"(?:\s+\w+){0,5}\s+(?:nu|just nu|right now)\b",
    "fire": r"\b(?:tant eld|tander eld|satt eld|satter eld|brinner|on fire|set fire)\b",
    "locked_in": r"\b(?:last in|lost in|locked) (?:mig|mej|oss|me|us)(?: in)?\b|\btvingar? (?:in )?(?:mig|mej) (?:in )?i (?:en )?bil"
    r"|\bforced (?:me )?into (?:a|the) car|\bsitter i en bil (?:med|me) (?:dom|de)\b",
    "intruder": r"\b(?:(?:nan|nagon|someone|somebody) (?:e|ar|is|s)|(?:e|ar|is) (?:nan|nagon|someone)) (?:i|in) (?:mitt|min|vart|var|our|my) (?:rum|lagenhet|hus|room|house|flat)\b"
    r"|\b(?:dom|de|han|nan) (?:e|ar) i (?:trappan|trapphuset|huset|hallen|lagenheten|porten)\b"
    r"|\b(?:dom|de|han|they) (?:e|ar|are|is) (?:fortfarande|still) (?:kvar|har|here|outside|utanfor)\b",
    "not_breathing": r"\b(?:ror sig (?:inte|int)|isnt moving|is not moving|not moving|isnt breathing|not breathing"
    r"|kan (?:inte|int) andas|andas (?:inte|knappt|int)|svarar inte (?:och|o) blo)\b"
    r"|\b(?:e|ar|is) (?:svart |allvarligt |badly )?(?:skadad|skadade|injured)\b",
    "armed_people": r"\b(?:dom|de|han|they|he) (?:e|ar|are|is) (?:bevapnade?|armed)\b"
    r"|\b(?:aina|polisen|police|ambulans|ambulansen) (?:maste|must|need to|behover) (?:komma|come)\b",
    "attacked_someone": r"\bhar (?:hugget|skjutit|knivhuggit|slagit ner|skjutit pa) (?:min|mitt|mina|honom|henne|mig|oss)\b"
    r"|\b(?:skot|skjot) (?:in|genom)\b|\bgunshots?\b|\bshots? (?:near|outside|by)\b",
    "coming_now": r"^(?:snabbt|fort|quick|hurry)\b|\binnan (?:dom|de|han|they) (?:kommer|hittar mig)\b",
    "after_me": r"\b(?:dom|de|han|nan|nagon|they|he|someone)\b(?: \w+)? (?:e|ar|are|is|r|re) efter (?:mig|mej|oss)\b"
    r"|\b(?:are|r|re|is) after (?:me|us)\b",
    "hiding": r"\b(?:gommer|gömmer) (?:mig|mej|oss)\b|\bsitter gomd\b|\bgomd (?:i|bakom|under)\b|\b(?:im|i m|i am|we re|were) hiding\b",
    "break_in": r"\b(?:bryta sig in|bryter sig in|ta sig in|tar sig in|tagit sig in|bryter upp dorren|break in|breaking in|broke in"
    r"|breaking into|broke into)\b"
    r"|\b(?:kick|kicking|banging on|bankar pa|sparkar pa|sparkar in) (?:the |my |min |var )?(?:door|dorr|dorren)",
    "injured_here": r"\b(?:skadad|skadade|hurt|injured)\b(?:\s+\w+){0,2}\s+(?:har|here|nu|now)\b"
    r"|\b(?:andas (?:inte|knappt|int)|not breathing|cant breathe|medvetslos|unconscious)\b|\bligger (?:en )?skadad",
    "surrounded": r"\b(?:omringad|omringade|surrounded)\b",
    "help_they": r"^(?:snalla |please |bror |bro )?(?:hjalp|help)\b(?: mig| me| oss| us)?\s+(?:dom|de|han|hon|nan|nagon|they|he|she|someone|ja|jag|i)\b",
    "en_shooting_now": r"\b(?:are|is|re|r) shooting\b|\bshots? (?:outside|here|fired)\b|\bshooting (?:outside|here|now)\b",
    "sv_chased": r"\b(?:jagar|jagade|forfoljer|foljer efter|foljt efter|springer efter) (?:mig|mej|oss)\b|\bjagas\b|\bjagad\b",
    "sv_at_door": r"\b(?:dom|de|han|nan|nagon|nagra|killar|killarna|typer|folk|gubbar)\b(?:\s+\w+){0,2}"
    r"\s+(?:star|e|ar|vantar|sitter|bankar|sparkar|knackar) (?:pa|utanfor|vid) (?:min |mitt |var )?"
    r"(?:dorr|dorren|ytterdorren|porten|huset|lagenheten|fonstret)",
    "sv_they_are_here": r"\b(?:dom|de|han|nan|nagon|killarna) (?:ar|e) (?:har|utanfor) (?:nu|just nu)\b",
    "sv_kill_me_now": r"\b(?:ska|kommer|vill|tanker|gar att) (?:att )?(?:doda|skjuta|hugga|knivhugga|morda"
    r"|ta livet av) (?:mig|mej|oss|mamma|min)\b(?:\s+\w+){0,4}\s+(?:nu|ikvall|inatt|idag|snart)\b",
    "sv_help_now": r"\bhjalp (?:mig |mej |oss )?(?:nu|asap)\b|\bhjalp (?:mig|mej|oss) (?:snabbt|fort)\b",
    "sv_call_112": r"\b(?:ring|ringa|ringer|call) (?:112|911|ambulans|ambulansen|an ambulance)\b",
    "sv_kidnapped": r"\b(?:kidnappad|kidnappat|kidnappade|tvingade in mig|inlast|inlåst|kidnapped)\b",
    "en_shot_stabbed": r"\b(?:got|was|been|is|being|just got) (?:\w+ )?(?:shot|stabbed|attacked|jumped)\b",
    "en_shooting": r"\b(?:shooting at|shots fired|hear(?:d)? (?:shots|gunshots|gunfire))\b",
    "en_bleeding": r"\b(?:bleeding|blood everywhere)\b",
    "en_chased": r"\b(?:chasing|following) me\b|\bbeing (?:chased|followed)\b",
    "en_at_door": r"\b(?:outside|at) my (?:door|house|flat|apartment|window)\b",
    "en_kill_me_now": r"\b(?:going to|gonna|gon|will|about to|trying to) (?:kill|shoot|stab) (?:me|us)\b"
    r"(?:\s+\w+){0,4}\s+(?:now|tonight|right now)\b|\b(?:about to|trying to) (?:kill|shoot|stab) (?:me|us)\b",
    "en_help_now": r"\bhelp (?:me |us )?(?:now|asap|right now|quick)\b",
}

# A past event, a story or the news: not danger now (unless "nu"/"now" is also there).
_PAST_OR_FICTION = re.compile(
    r"\b(?:forra (?:aret|aaret|manaden|veckan|sommaren|vintern|hosten|varen)|ifjol|i fjol"
    r"|for \w+ (?:ar|manader|veckor|dagar) (?:sedan|sen)|for lange sedan|nar (?:jag|ja) var liten"
    r"|i filmen|i serien|pa nyheterna|pa tv|i boken|i spelet|i en film|i en serie|las(?:te)? om"
    r"|last (?:year|month|week|summer)|years ago|months ago|in the movie|on the news|in a game"
    r"|in the show|in a film|forra helgen|last weekend|cod|warzone|fortnite|gta|valorant|csgo|pubg|apex"
    r"|minecraft|spelet|spela|spelade|gaming|game|lol|haha|xd|back in (?:19|20)\d\d|ar (?:19|20)\d\d|in (?:19|20)\d\d)\b"
)
_NOW_WORD = re.compile(r"\b(?:nu|just nu|now|right now|nyss)\b")
# "han e okej nu", "nu e de lugnt": "now" saying the danger is over
_CALM_NOW = re.compile(
    r"\bnu (?:e|ar) (?:de|det|allt|han|hon) (?:lugnt|bra|ok|okej|over|lugn)\b"
    r"|\b(?:okej|ok|bra|lugnt|battre|fine|safe) (?:nu|now)\b|\bnow (?:it s|its|we re|were) (?:fine|ok|safe)\b"
)

_CRISIS_RE = {name: re.compile(p) for name, p in _CRISIS_PATTERNS.items()}
_EMERGENCY_RE = {name: re.compile(p) for name, p in _EMERGENCY_PATTERNS.items()}


@dataclass(frozen=True)
class SafetyMatch:
    """What the net found: the intent to force and the rule that fired (never the text)."""

    intent: str
    rule: str


def _crisis_rule(folded: str) -> str | None:
    for name, regex in _CRISIS_RE.items():
        for match in regex.finditer(folded):
            before = folded[: match.start()]
            if name in _THREAT_SHAPED and _THIRD_PERSON_BEFORE.search(before):
                continue  # "dom ska ta livet av mig": a threat, judged by the emergency rules
            if name in _NEGATION_SENSITIVE and _NEGATED_BEFORE.search(before):
                continue
            return name
    return None


def _emergency_rule(folded: str) -> str | None:
    past = _PAST_OR_FICTION.search(folded) and not _NOW_WORD.search(_CALM_NOW.sub(" ", folded))
    if past:
        return None
    for name, regex in _EMERGENCY_RE.items():
        if regex.search(folded):
            return name
    return None


def detect(text: str) -> SafetyMatch | None:
    """Return the safety intent a message must get, or None.

    Danger now wins over crisis when both match: 112 comes first, and the emergency answer
    is the one that has to be read in the first second.
    """
    folded = fold(text or "")
    if not folded:
        return None
    rule = _emergency_rule(folded)
    if rule:
        return SafetyMatch(EMERGENCY, rule)
    rule = _crisis_rule(folded)
    if rule:
        return SafetyMatch(CRISIS, rule)
    return None
