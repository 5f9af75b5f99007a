"""Deterministic safety net for crisis (suicidal thoughts) and emergency (danger now) messages.

The intent classifier is statistical and can be unsure; a young person writing "vill inte leva
längre" must still get the crisis answer. These patterns run on every message (inside the Rasa
NLU pipeline, see ``bot.rasa_plugins.nlu.components.SafetyNet``) and override the classifier when they match.
They are written on folded text (lowercase, no å/ä/ö, repeated letters squeezed), so one
pattern covers "självmord", "sjalvmord" and "SJÄLVMOOORD".

A false alarm costs one extra, kind message with the right numbers; a miss can cost a life.
Patterns therefore err on the side of matching, with narrow vetoes only where a phrase is
clearly about something else (a past event, a film, someone else threatening).

Beyond fixed phrases, the net thinks in the concepts suicide-prevention triage uses (facts.md
"Recognising risk"): a method or means, being at it now, a plan or a time, preparation, a
farewell, hopelessness; and for danger now: a weapon, an attacker present, injury, being
trapped or chased. Concepts combine: a first-person intent or presence with a method is a
crisis without any "suicide" word ("står på bron nu", "ska hoppa framför tåget"), while
"hoppa av gänget" is leaving, not jumping. A concept alone (hopelessness, a method named with
no intent) is the "ask" band: the dialogue asks directly instead of guessing either way.
A threat to life that is not happening now ("dom kommer döda mig om ja hoppar av") is its own
kind: the fear-of-retaliation answer, 112 first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import protocol
from bot.textnorm import fold

CRISIS = protocol.CRISIS_INTENT
EMERGENCY = protocol.DANGER_INTENT
THREAT = protocol.THREAT_INTENT
SAFETY_INTENTS = protocol.SAFETY_INTENTS
SURE, ASK = "sure", "ask"

_ME = r"(?:mig|mej|mi|me|mig sjalv|mej sjalv)"
_NOT = r"(?:inte|int|inge|ej|nt|inte langre)"

# --- crisis: wish to die, suicide, self-harm (Swedish and English) -------------------------
_CRISIS_PATTERNS: dict[str, str] = {
    "sv_suicide_word": r"\bsj?[ae]?l?v ?mord|\bsjalvmord|\bsuicid",
    "sv_take_my_life": rf"\b(?:ta|tar|tog|tagit|ta ut)(?: (?:jag|ja))? (?:livet|live|lvet|livt|lviet|liet) (?:av|a) {_ME}",
    "sv_take_own_life": r"\b(?:ta|tar|tog) (?:mitt|mit) (?:eget )?liv\b",
    "sv_not_live": rf"\b(?:vill|vil|ville|orkar|orka|kan|klarar|fortjanar|ska) {_NOT} (?:att )?(?:leva|lev|lava)\b"
    r"|\bvarfor (?:jag|ja) ska (?:fortsatta|fortsatt) (?:att )?leva|\btrott pa (?:att )?(?:leva|livet)\b"
    r"|\bvill (?:inte|int) (?:va|vara) (?:med|me) (?:langre|mer)\b(?! i (?:det|de|ganget|gruppen|det dar))",
    "sv_not_live_clause": r"\b(?:inte|int|aldrig) (?:vill|orkar|kan|ville|orkade) (?:leva|lava|finnas|leva langre)\b"
    r"|\b(?:doesn t|doesnt|does not|didn t) want to (?:live|be alive|be here)\b",
    "sv_not_exist": rf"\b(?:vill|vil|ville)(?: \w+)? {_NOT} (?:finnas|finns|existera|vakna|leva mer)",
    "sv_want_die": r"\b(?:vill|vil|ville|vell|will|vilja)(?: (?:jag|ja))? (?:bara |helst |typ |ba |nastan |ju |verkligen |ocksa |oxa |med |seriost )?(?:do|doo)\b",
    "sv_want_be_dead": r"\b(?:vill|vil|onskar|onskade) (?:att )?(?:jag|ja) (?:var|va|vore|ar|e) dod"
    r"|\bom (?:jag|ja) (?:var|va|vore) dod\b|\b(?:onskar|onskade) (?:att )?(?:jag|ja) (?:inte|aldrig) (?:fanns|fotts|var fodd)",
    # "vill också vara död", "wanna be dead" (not "vill inte vara död")
    "sv_be_dead": r"\b(?:vill|vil|ville|wanna|want to) (?!inte\b|int\b|not\b)(?:\w+ )?(?:vara|va|be) (?:dod|doed|dead)\b",
    # everyone better off without me: "det är lättare om jag bara inte finns"
    "sv_easier_if_gone": r"\b(?:lattare|battre|easier|better)\b(?:\s+\w+){0,4}\s+(?:om|if) (?:jag|ja|i) (?:bara |ba |just )?"
    r"(?:inte|int|aldrig|wasn t|wasnt|weren t|didn t|didnt|was not|did not) ?(?:fanns|finns|fans|levde|existerade|var har|va har"
    r"|exist|existed|here|around|alive|be here)\b",
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
    "farewell_post": r"\b(?:goodbye|farewell|hejda|avskeds) ?(?:video|videon|post|story|klipp|inlagg)\b"
    r"|\b(?:skriver|skriva|write|writes) (?:man )?(?:i )?(?:ett |a |my |mitt )?(?:sista|last|final) (?:brev|letter|note)\b",
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
    "en_end_life": r"\b(?:end|finish|stop)(?:ing)? (?:my|it|my own) (?:life|all)\b|\btake my (?:own )?life",
    "en_want_die": r"\b(?:want|wanna|wish|going|gonna|ready) (?:to )?die\b|\bwant to be dead"
    r"|\bwish i (?:was|were) dead",
    "en_not_live": r"\b(?:do not|dont|don t|dnt)(?: \w+)? (?:want|wanna) (?:to )?(?:live|be alive|exist|wake up|be here anymore|be here no more)",
    "en_better_off": r"\bbetter off (?:dead|without me|if i)|\b(?:battre|lattare) (?:\w+ ){0,3}nar (?:ja|jag) (?:inte|int) (?:finns|e kvar)\b|\bif i (?:was|were) dead\b"
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
_HYPERBOLE_SENSITIVE = _THREAT_SHAPED | {"sv_want_die", "sv_ready_to_die", "en_want_die", "en_kill_myself", "sv_be_dead"}

# --- emergency: danger now ------------------------------------------------------------------
_WEAPON = (
    r"(?:hagelbossa|hagelbossan|bossa|bossan|kpist|ak47|automatkarbin|small|smallen|ficka|strap|kniv|knivar|kniven|knivarna|pistol|pistolen|puffra|puffran|pippa|pippan|vapen|vapnet|gevar|gevaret|glock|jaktgevar|jaktgevaret|hagelgevar|hagelgevaret|jaktkniv|jaktkniven"
    r"|machete|macheta|machetes|yxa|slagtra|balltra|basebolltra|jarnror|bat|bats|rifle|shotgun"
    r"|granat|handgranat|bomb|sprangladdning|automatvapen|ak|gun|guns|knife|knives|weapon|pistol"
    r"|blade|machete|bevapnad|bevapnade|armed)"
)
_NOW = (
    r"(?:nu|just nu|asap|snabbt|utanfor|dorren|porten|trapphuset|trappan|pa vag hit|framfor mig|mot mig"
    r"|riktar|viftar|hotar|jagar|star|vantar|e kvar|ar kvar|now|right now|outside|at my door|pointing|chasing"
    r"|here|threatening|coming|rn|atm|nere|nedanfor|downstairs|waiting|precis|just nu)"
)
_EMERGENCY_PATTERNS: dict[str, str] = {
    "held_in": r"\b(?:e|ar|sitter|ligger|are|am|i m|im|is|locked|lasta|last|stangd|stangda) (?:\w+ )?(?:i|in|inne i|in the) (?:en |the |a )?"
    r"(?:bagageluckan|bakluckan|bagageutrymmet|trunk|boot)\b|\b(?:inlast|inlasta|instangd|instangda|insparrad\w*|locked (?:in|inside)"
    r"|stangd inne|stangda inne)\b(?:\s+\w+){0,2}\s+(?:i|in|pa|inne)\b",
    "forced_into": r"\b(?:pushed|dragged|forced|threw|shoved|knuffade|knuffat|drog|dragit|slangde|tvingade|tvingat|puttade|slapade)"
    r" (?:\w+ ){0,3}(?:into|in i|in) (?:a |the |en |ett |sin |deras |their )?(?:\w+ )?(?:van|car|bil|bilen|skapbil\w*|vanen)\b",
    "taken_friend": r"\b(?:dom|de|they|nan|nagon|someone|nagra|killarna) (?:har )?(?:tagit|tog|kidnappat|kidnappade|took|taken|kidnapped|grabbed|fangat)"
    r" (?:min|mitt|my|var|our) (?:\w+ )?(?:kompis|bror|syster|brorsa|syrra|son|dotter|kusin|cousin|friend|brother|sister|daughter|lillebror|lillasyster)\b"
    r"(?!\s+(?:s|mobil|telefon|plats|phone|jacka|cykel|bil|seat|place|spot|pengar|money)\b)",
    "lying_still": r"\b(?:ligger|lies|lying|is lying)\b(?:\s+\w+){0,3}\s+(?:still|orolig|livlos\w*|medvetslos\w*|not moving|unconscious)\b"
    r"|\b(?:medvetslos|unconscious|andas (?:inte|int|konstigt)|not breathing|isn t breathing|isnt breathing)\b",
    "chased_en": r"\b(?:getting|being|get|im being|i m being) (?:chased|followed|hunted)\b",
    "weapon_now": rf"\b{_WEAPON}\b(?:\s+\w+){{0,6}}\s+{_NOW}\b|\b{_NOW}\b(?:\s+\w+){{0,6}}\s+{_WEAPON}\b",
    "sv_shot_stabbed": r"\b(?:blivit|blev|bli|blir|e|ar|har blivit|har blitt|bli) (?:\w+ )?(?:knivhuggen"
    r"|knivhuggna|knivskuren|huggen|skjuten|skjuten pa|skjutna pa|beskjutna|beskjuten|nedskjuten|skadskjuten|knivad|skuren|attackerad"
    r"|misshandlad|nerslagen|overfallen)\b(?! upp)",
    "weapon_holder": rf"\b(?:han|hon|dom|de|nan|nagon|nagra|killen|typen|killar|he|she|they|someone|somebody"
    rf"|theyve|they ve)\b (?:har|hade|med|got|has|have|had|with|pulled|drog)(?: \w+){{0,2}} {_WEAPON}\b",
    "aiming": r"\b(?:siktar|riktar|pekar|aiming|pointing)\b(?:\s+\w+){0,3}\s+(?:pa|mot|at) (?:mig|mej|oss|me|us)\b",
    "sv_stab_words": r"\b(?:knivhuggen|knivhuggna|knivskuren|nedskjuten|skottskadad|skottlossning)\b",
    "sv_shooting": r"\b(?:skjuter|skjuta|skjot|skot) (?:pa|mot)\b|\b(?:dom|de|nan|nagon|han|nagra)"
    r" (?:skjuter|har skjutit)\b(?! upp)|\bhor(?:de)? (?:skott|smallar|pang)|\bskjuts\b(?! upp)"
    r"|\bskjuter (?:dom|de|han|nan|nagon|nagra|har|utanfor)\b|\b(?:skot|skjot) (?:\w+ )?(?:pa|mot) (?:mig|oss|honom|henne)",
    "sv_bleeding": r"\bslutar (?:inte|int) (?:att )?bloda\b|\b(?:bloder|blodar|blöder|blodande|blod overallt|blodet sprutar|mycket blod)\b",
    "threat_now": r"\b(?:hotar|hotad|hotade|threatening|threatened)\b(?:\s+\w+){0,6}\s+(?:just nu|nu|right now)\b",
    "choking": r"\b(?:stryper|stryptag|strypa|stryp|choking|strangling|strangles)\b",
    "taken_away": r"\b(?:bakluckan|i bagaget|trunk of)\b|\b(?:put|got|took|tog|har) (?:me|us|him|her|my \w+|min \w+|mig|honom|henne)"
    r"(?: \w+){0,2} (?:in|i) (?:a|the|en|bilen|car|van|bil)\b|\b(?:they|dom|de) (?:took|tog) (?:him|her|me|my)\b"
    r"|\bkor (?:ivag|iväg) (?:med|nu)\b|\bdriving off\b|\b(?:ska|must|have to) (?:med|folja med|come with) (?:dom|de|them) nu\b"
    r"|\bhjalp (?:dom|de) tar\b|\blocked in (?:the|a)\b|\bvet (?:inte|int) vart (?:vi|dom) (?:aker|kor)\b|\bdon t know where we re going\b",
    "thrown_in": r"\b(?:genom|through) (?:fonstret|brevinkastet|the window|the letterbox|the door)\b"
    r"|\b(?:brinnande|burning) (?:\w+ )?(?:genom|through|in)\b|\bluktar bensin\b|\bsmells? (?:of )?(?:petrol|gas)\b",
    "shots_near": r"\bskott (?:i|vid|utanfor|nara) (?:huset|trapphuset|porten|lagenheten|huset bredvid)\b|\bshots? (?:in|next door)\b",
    "not_waking": r"\b(?:won t|wont|will not|doesn t|gar inte att) (?:wake up|vacka)\b|\bvaknar (?:inte|int)\b",
    "violence_now": r"\b(?:slar|sparkar|misshandlar|attackerar|hugger|knivhugger|hitting|beating|attacking|stabbing|kicking)\b"
    r"(?:\s+\w+){0,5}\s+(?:nu|just nu|right now)\b",
    "fire": r"\b(?:tant eld|tander eld|satt eld|satter eld|brinner|on fire|set fire)\b",
    "locked_in": r"\b(?:last in|lost in|locked) (?:mig|mej|oss|me|us)(?: in)?\b|\btvingar? (?:in )?(?:mig|mej) (?:in )?i (?:en )?bil"
    r"|\bforced (?:me )?into (?:a|the) car|\bsitter i (?:en |den )?bil(?:en)? (?:med|me) (?:dom|de)\b",
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
    "watching_window": r"\b(?:kollar|tittar|stirrar|glor|spanar)\b (?:upp |in )?(?:pa|mot|in i|in genom|genom) (?:mitt|vart|my|our) (?:fonster|window)\b"
    r"|\b(?:watching|staring at|looking (?:up )?at) (?:my|our) (?:window|windows|door)\b",
    "cannot_wake": r"\b(?:kan|kunde|lyckas) (?:inte|int) (?:\w+ )?(?:vacka|fa liv i) (?:henne|honom|dom|dem|mamma|pappa|\w+)\b"
    r"|\b(?:han|hon|mamma|pappa|he|she|my \w+) (?:vaknar|wakes) (?:inte|int|not)\b|\b(?:can t|cant|cannot|couldn t) wake (?:her|him|them|my)\b"
    r"|\b(?:won t|wont|doesn t|doesnt) wake up\b",
    "after_me": r"\b(?:dom|de|han|nan|nagon|they|he|someone)\b(?: \w+)? (?:e|ar|are|is|r|re) efter (?:mig|mej|oss)\b"
    r"|\b(?:are|r|re|is) after (?:me|us)\b",
    "hiding": r"^hiding\b|\bhiding (?:in|under|behind)\b|\b(?:gommer|gömmer|gomde|gomt|gomda) (?:mig|mej|oss)\b|\bhid (?:in|under|behind)\b|\bsitter gomd\b|\bgomd (?:i|bakom|under)\b|\b(?:im|i m|i am|we re|were) hiding\b",
    "break_in": r"\b(?:bryta sig in|bryter sig in|ta sig in|tar sig in|tagit sig in|bryter upp dorren|break in|breaking in|broke in"
    r"|breaking into|broke into)\b"
    r"|\b(?:kick|kicking|banging on|bankar pa|sparkar pa|sparkar in) (?:in )?(?:the |my |min |var |our )?(?:door|dorr|dorren)"
    r"|\bbreak into\b|\btrying to break\b",
    "injured_here": r"\b(?:skadad|skadade|hurt|injured)\b(?:\s+\w+){0,2}\s+(?:har|here|nu|now)\b"
    r"|\b(?:andas (?:inte|knappt|int)|not breathing|cant breathe|medvetslos|unconscious)\b|\bligger (?:en )?skadad",
    "surrounded": r"\b(?:omringad|omringade|surrounded)\b",
    "help_they": r"^(?:snalla |please |bror |bro )?(?:hjalp|help)\b(?: mig| me| oss| us)?\s+(?:dom|de|han|hon|nan|nagon|they|he|she|someone|ja|jag|i)\b",
    "en_shooting_now": r"\b(?:are|is|re|r) shooting\b|\bshots? (?:outside|here|fired)\b|\bshooting (?:outside|here|now)\b",
    "sv_chased": r"\b(?:jagar|jagade|forfoljer|foljer efter|foljt efter|springer efter|kor efter|kort efter|folj\w* efter) (?:mig|mej|oss)\b|\bjagas\b|\bjagad\b|\b(?:jgaad|jgad|jaagad|jagda)\b",
    "sv_at_door": r"\b(?:dom|de|han|nan|nagon|nagra|killar|killarna|typer|folk|gubbar)\b(?:\s+\w+){0,4}"
    r"\s+(?:star|e|ar|vantar|sitter|bankar|sparkar|knackar) (?:pa|utanfor|vid|nedanfor|under|framfor|outside|nere i|nere vid|i)"
    r" (?:min |mitt |var |vart |vara |hennes |hans )?(?:dorr|dorren|ytterdorren|porten|huset|hus|lagenheten|fonstret)\b",
    "sv_they_are_here": r"\b(?:dom|de|han|nan|nagon|killarna) (?:ar|e) (?:har|utanfor) (?:nu|just nu)\b",
    "sv_kill_me_now": r"\b(?:ska|kommer|vill|tanker|gar att) (?:att )?(?:doda|skjuta|hugga|knivhugga|morda"
    r"|ta livet av) (?:mig|mej|oss|mamma|min)\b(?:\s+\w+){0,4}\s+(?:nu|ikvall|inatt|idag|snart)\b",
    "sv_help_now": r"\bhjalp (?:mig |mej |oss )?(?:nu|asap)\b|\bhjalp (?:mig|mej|oss) (?:snabbt|fort)\b",
    # hiding, and keeping quiet: "sitter i garderoben tyst", "under sängen. tyst"
    "hiding_quiet": r"\b(?:i garderoben|under sangen|i badrummet|i forradet|bakom soffan|in the closet|in the wardrobe"
    r"|under the bed|in the bathroom)\b(?:\s+\w+){0,3}\s+(?:tyst|tysta|quiet|silent)\b"
    r"|\b(?:tyst|quiet)\b(?:\s+\w+){0,3}\s+(?:i garderoben|under sangen|in the closet|under the bed)\b",
    # shots now: "de e skott på riktigt nu", "fuck fuck skott"
    "shots_now": r"\b(?:skott|skotten|skottlossning|shots|gunshots)\b(?:\s+\w+){0,3}\s+(?:nu|pa riktigt|for real|right now|now)\b"
    r"|\b(?:fuck|fan|helvete|shit|hjalp|help)\b(?:\s+\w+){0,3}\s+(?:skott|skotten|shots)$",
    # held until something happens: "de släpper inte honom förrän pengarna kommer"
    "held_until": r"\b(?:halls|hallas|hölls|being held|is held|kept) (?:\w+ ){0,4}(?:tills|until)\b|\b(?:slapper|slappa|slappt) (?:inte|int) (?:honom|henne|mig|mej|oss)\b|\b(?:inte|int) (?:slapper|slappa) (?:honom|henne|mig|mej|oss)\b"
    r"|\b(?:won t|wont|will not|refuse to) let (?:him|her|me|us) go\b",
    # a bullet or a shot in the body: "en kula i axeln", "ett skott i handen"
    "bullet_in_body": r"\b(?:kula|kulan|skott|skottet|bullet)\b (?:i|in) (?:my |his |her |the )?(?:axeln|armen|benet|magen|ryggen|brostet"
    r"|huvudet|laret|handen|foten|halsen|shoulder|arm|leg|stomach|back|chest|head|hand|foot|neck)\b",
    # a weapon coming closer: "a man with a knife is walking towards our group"
    "weapon_approaching": rf"\b{_WEAPON}\b(?:\s+\w+){{0,3}}\s+(?:walking|coming|running|heading|gar|kommer|springer|pa vag)"
    r" (?:towards|mot|at|hit|this way|our way)\b",
    "intruder_room": r"\b(?:e|ar|is|s|are|re) (?:i|in) (?:mitt|min|vart|var|our|my) (?:kok|koket|kitchen|vardagsrum\w*|living room"
    r"|sovrum\w*|bedroom|hall|hallen)\b(?:\s+\w+){0,6}\s+(?:won t leave|wont leave|will not leave|gar inte|vagrar ga|vill inte ga)\b",
    "sv_call_112": r"\b(?:ring|ringa|ringer|call) (?:112|911|ambulans|ambulansen|an ambulance)\b",
    "sv_kidnapped": r"\b(?:kidnappad|kidnappat|kidnappade|tvingade in mig|inlast|inlåst|kidnapped)\b",
    "en_shot_stabbed": r"\b(?:got|was|been|is|being|just got) (?:\w+ )?(?:shot|stabbed|attacked|jumped)\b",
    "en_shooting": r"\b(?:shooting at|shots fired|hear(?:d)? (?:shots|gunshots|gunfire))\b",
    "en_bleeding": r"\b(?:won t|wont|doesn t|does not) stop bleeding\b|\b(?:bleeding|blood everywhere)\b",
    "en_chased": r"\b(?:chasing|following) (?:me|us)\b|\bbeing (?:chased|followed)\b",
    "en_at_door": r"\b(?:outside|at) (?:my|min|mitt|our|var) (?:door|house|flat|apartment|window|dorr|dorren|fonster)\b",
    "en_kill_me_now": r"\b(?:going to|gonna|gon|will|about to|trying to) (?:kill|shoot|stab) (?:me|us)\b"
    r"(?:\s+\w+){0,4}\s+(?:now|tonight|right now)\b|\b(?:about to|trying to) (?:kill|shoot|stab) (?:me|us)\b",
    "held": r"\b(?:haller|holl|haller pa att halla) (?:fast|kvar) (?:mig|mej|henne|honom|oss)\b|\b(?:ja|jag) (?:inte|int) far ga\b|\bslapper (?:mig|mej|oss|henne|honom) (?:inte|int)\b(?!\s+(?:pa|till|pa en) (?:festen|fest|bio|stan|resan|lagret|konserten|matchen|traningen|party))"
    r"|\bwon t let (?:me|us) (?:go|leave|out)\b|\bwont let (?:me|us) (?:go|leave|out)\b"
    r"|\b(?:last|lasa|lasta|laste|stangt|stangde|stanga) in (?:mig|mej|oss|henne|honom)\b|\b(?:har|hade) last dorren\b"
    r"|\b(?:drog|tog|slapade|tvingade|knuffade|dragit|tagit|drar|tar|haller) (?:in |kvar )?(?:mig|mej|henne|honom|oss|min \w+|mina \w+)"
    r"(?:\s+\w+){0,2}\s+(?:in )?i (?:en |ett )?(?:bil|bilen|skapbil|skapbilen|van|forrad|kallare|kallaren|lagenhet)\b"
    r"|\b(?:pulled|dragged|forced|took) (?:me|us|him|her|my \w+) into (?:a|the|their) (?:car|van)\b"
    r"|\bhaller (?:\w+ ){0,2}(?:pistolen|kniven|vapnet|gevaret) mot\b|\bholding (?:a |the )?(?:gun|knife) (?:to|against)\b",
    "coming_here": r"\b(?:dom|de|han|nan|nagon|nagra|killarna|they|he|someone|guys)\b(?:\s+\w+){0,5}\s+(?:pa vag (?:hit|upp|in)|kommer hit"
    r"|kom (?:precis )?(?:in|hit)|just (?:came|walked|got) in"
    r"|on (?:their|his) way|coming (?:here|up|over|for me|for us)|pa vag upp)\b",
    "fire_now": r"\bluktar \w*rok\b|\b(?:glas|rutan|rutor) (?:krossas|kross|gick sonder)\b|\bbensin (?:utanfor|pa|i|vid)\b|\bhallt bensin\b|\bpoured (?:gas|petrol)\b|\b(?:eld|brand) i (?:lagenheten|huset|trapphuset|porten|rummet)\b|\bfire in (?:my|the|our)\b|\bluktar rok\b"
    r"|\b(?:smoke|rok) (?:overallt|everywhere)\b|\bbrandlarm\w* (?:tjuter|gar|ringer)\b|\bfull of smoke\b"
    r"|\b(?:cant|can t|cannot) get out\b|\bkommer (?:inte|int) ut\b|\bdorren (?:e|ar) (?:varm|blockerad)\b",
    "shots_just_now": r"\b(?:skot|skjot|shot|fired)\b(?:\s+\w+){0,2}\s+(?:precis|just)\b|\b(?:precis|just) (?:skot|skjot|shot)\b"
    r"|\bhor(?:de|t)? (?:\w+ ){0,2}(?:skott|smallar|small|pang|knallar)\b|\bheard (?:\w+ ){0,2}(?:shots|bangs)\b",
    "they_are_here": r"^(?!(?:e|ar|is) de(?:t)? har)(?:\w+ )?(?:dom|de|they re|theyre|they are|they) (?:e |ar |are )?(?:har|here)\b(?! (?:e|ar|va|var|blir|funkar|kan)\b| (?!igen\b)\w+(?:et|en|orna|arna|erna)\b)|\b(?:dom|de|they) (?:hittade|har hittat"
    r"|found) (?:mig|mej|oss|me|us)\b|\btold me to get in\b|\bsa at mig att (?:hoppa|kliva) in\b"
    r"|\b(?:star|are standing|waiting|vantar) (?:pa andra sidan|across the|on the other side)\b|\bvi ser dig nu\b|\bwe see you\b",
    "taken": r"\b(?:dom|de|they|han|nan|nagon|someone) (?:har )?(?:tagit|tog|kidnappat|kidnappade|took|taken|grabbed) (?:min|mitt|mina|my)"
    r" (?:syster|bror|lillebror|lillasyster|son|dotter|sister|brother|kid|daughter|little)\b",
    "inside_home": r"\b(?:theyre|they re|they are|dom e|de e|dom ar|han e|han ar|he s|hes|en man|en kille|nan|nagon|someone|a man|a guy"
    r"|some guy|killen|killarna|typen|mannen|the guy|the man|two men|tva man) (?:\w+ ){0,3}(?:in|inne i|i) (?:(?:the|our|my|var|vart|min|mitt) )?(?:flat|house|apartment|lagenhet|lagenheten|hus|huset|rum|room"
    r"|garden|tradgard|tradgarden|hall|hallen|trapphus|stairwell)\b",
    "inside_ours": r"\b(?:inne hos (?:oss|mig)|inside (?:our|my) (?:flat|house|home|apartment))\b",
    "stairwell_now": r"\bi trapp(?:an|huset|uppgangen)\b(?:\s+\w+){0,3}\s+(?:nu|now|rn)\b|\b(?:hor|hear) (?:dom|de|them|han|honom) i\b",
    "weapon_drawn": rf"\b(?:pulled|drew|drog fram|drog|tog fram|tagit fram|plockade fram|pulled out) (?:out )?(?:a |an |en |ett |sin |his |their )?{_WEAPON}\b",
    "stabbed_words": r"\bstack (?:en )?kniv i\b|\bstabbade\b|\bambulansen (?:e|ar|har) (?:inte|int) (?:har|framme|kommit)\b"
    r"|\b(?:knivstucken|stucken|knivstuckna)\b",
    "breaking_in": r"\bslog (?:in|sonder) (?:rutan|fonstret|dorren)\b|\bklattrar in\b|\bclimbing in\b|\bsmashed (?:the |our )?window\b",
    "beaten_now": r"\b(?:getting|being) (?:beaten|jumped|stabbed|attacked)\b|\b(?:blir|misshandlas|slas) (?:\w+ )?(?:slagen|nerslagen|misshandlad|attackerad)\b"
    r"|\b(?:blir|we re being|were being|are being) (?:\w+ )?(?:attackerade|anfallna|anfallen|overfallna|overfallen|pahoppade"
    r"|pahoppad|misshandlade|nerslagna|attacked|jumped)\b",
    "breathing": r"\bandas (?:konstigt|knappt|inte|int|daligt|konstit)\b|\bbreathing (?:weird|strange|funny)\b",
    "masked": r"\b(?:maskerade|maskerad|masked|masks|masker|luvor|rånluvor|ranluvor)\b",
    "around_me": r"\b(?:star|stod|e|ar) runt (?:mig|mej|oss)\b|\b(?:around|surrounding) (?:me|us)\b",
    "en_help_now": r"\bhelp (?:me |us )?(?:now|asap|right now|quick)\b",
    # followed now: "e förföljd", "gått efter mig hela vägen", "klev på ... bakom mig", "fortfarande bakom"
    "followed_now": r"\b(?:e|ar|blir|am|is|being) (?:\w+ )?forfoljd\b"
    r"|\b(?:blir|am being|is being) (?:typ |nog |fortfarande |still )?foljd\b(?! upp)|\b(?:ja|jag) (?:e|ar) foljd\b|\b(?:gatt|gar|gick) efter (?:mig|mej|oss)\b"
    r"|\b(?:klev|kliver|hoppade|kom|got) (?:precis |just )?(?:pa|in|on)\b(?:\s+\w+){0,6}\s+(?:bakom|behind) (?:mig|mej|oss|me|us)\b"
    r"|\b(?:fortfarande|still) (?:\w+ ){0,2}(?:bakom|behind)\b",
    # shots or someone shooting now, said in the present: "nån i vårt hus som skjuter", "de e skott"
    "shooting_present": r"\bsom skjuter\b(?!\s+(?:upp|bollen|mal|straff))|\b(?:de|det) (?:e|ar) skott\b|\b(?:vi|ja|jag) hor skott\b",
    # one of them has a weapon, or someone walks around with one: "en har kniv", "en man går runt me ett gevär"
    "armed_here": rf"\b(?:han|hon|dom|de|nan|nagon|killen|typen|he|she|they|someone)\b (?:e|ar|is|are|s) (?:har|here|hit|utanfor|outside"
    rf"|inne|i \w+) (?:\w+ )?(?:med|me|with) (?:en |ett |a |the |sin |his )?{_WEAPON}\b",
    "weapon_among": rf"\b(?:en|en av dom|en av dem|one of them) (?:har|has|hade|drog) (?:en |ett |a )?{_WEAPON}\b"
    rf"|\b(?:gar|springer|star|viftar|walking|running) (?:runt )?(?:med|me|with) (?:\w+ ){{0,5}}{_WEAPON}\b",
    # round 11: fire or smoke inside the building now; "öppna eller vi skjuter"; a wound that spurts; someone
    # down on the ground after a fall or shots; taken or pulled away; a body that stops answering (an overdose)
    "fire_in_building": r"\b(?:eld|brand|brinner|roken|rok|smoke|fire)\b(?:\s+\w+){0,3}\s+(?:i|in|under|kommer in|coming in|comes in)"
    r"\s+(?:\w+ ){0,2}(?:kallaren|kallarn|trapphuset|trappan|dorren|lagenheten|huset|rummet|hallen|basement|stairwell|door|flat|apartment|house|room|hallway)\b",
    "open_or_we_shoot": r"\b(?:oppna|open up|open)\b(?:\s+\w+){0,2}\s+(?:annars|eller|or)\s+(?:(?:vi|we|jag|ja|i|han|dom)\s+(?:skjuter|shoot|dodar|kill|slar|kommer in|sparkar)"
    r"|(?:skjuter|dodar|slar|sparkar|kommer) (?:vi|jag|ja|han|dom)(?: in)?)\b",
    "wound_severe": r"\b(?:sprutar|forsar|pumpar|spurting|gushing|pouring) (?:\w+ )?(?:blod|blood)\b|\b(?:blod|blood) (?:sprutar|forsar|spurts|is spurting|everywhere)\b(?!.*\b(?:gris|pig|film|biologi\w*)\b)"
    r"|\b(?:djupt|stort|deep|big) (?:sar|skarsar|wound|cut|gash)\b(?:\s+\w+){0,3}\s+(?:i|pa|in|on) (?:halsen|handleden|magen|the neck|the wrist|the stomach)\b"
    r"|\bskar (?:sig|mig) (?:for|too) djupt\b|\bcut (?:too|really) deep\b",
    "down_after": r"\b(?:ligger|ligga|lying|lies|laying)\b (?:\w+ )?(?:pa|on) (?:marken|golvet|gatan|backen|the ground|the floor|the street)\b"
    r"(?=.*\b(?:ror sig|rors|andas|breath\w*|moving|moves|svarar|blod|bloder|bleed\w*|skott|skjut\w*|shot|hoppade|jumped|fell|foll|ramlade|medvetslos|unconscious)\b)",
    "pulled_away": r"\b(?:drar|drog|slet|slapade|slapar|knuffade|pulled|dragged|drags|pulling|dragging) (?:i|in|iv)? ?(?:mig|mej|henne|honom|oss|me|her|him|us)\b"
    r"(?!\s+(?:ur|ut|out|pa|med|till (?:festen|bio|stan|skolan|traningen)|along|to the (?:party|mall|cinema))\b)"
    r"(?=\s+(?:mot|i|in|till|into|down|towards|to|out of|ut ur|bort)\b|\s*$)"
    r"|\b(?:was|got|been|has been|have been) (?:taken|grabbed|kidnapped|snatched|abducted)\b(?:\s+\w+){0,7}\s+(?:car|van|bil)\b"
    r"|\b(?:tar|tog) (?:mig|mej|oss) (?:nanstans|nagonstans|nan stans|till ett stalle|somewhere)\b|\b(?:bunden|fastbunden|tied up)\b",
    "not_responding_after": r"\b(?:svarar|reagerar|vaknar) (?:inte|int) (?:nar|fast|even when) (?:jag|ja|vi|i|we) (?:pratar|ropar|skakar|talk|shout|shake)\b"
    r"|\b(?:ogonen rullar|eyes (?:are )?rolling)\b|\b(?:andas|breathing|breathes) (?:\w+ )?(?:langsamt|konstigt|knappt|inte|slow\w*|weird\w*|strange\w*|barely)\b"
    r"|\b(?:swallowed|svalt|svalde|slukade|at) (?:a lot of|massa|manga|en massa|typ en hel|hela) (?:\w+ )?(?:pills|tabletter|piller|meds)\b"
    r"|\bkan (?:inte|int) (?:sta upp|sta|ga)\b(?=.*\b(?:tablett\w*|piller|drog\w*|drack|druckit|spetsad\w*|pills?)\b)",
    "scared_with_weapon": r"\b(?:yxa|yxan|kniv|kniven|pistol|vapen|axe|knife|gun)\b(?:\s+\w+){0,4}\s+(?:vi|jag|ja|we|i) (?:e|ar|is|are|am|m) (?:sa |so |jatte )?(?:radd|radda|skraj|scared|terrified|afraid)\b",
    "shooting_near": r"\b(?:there s|theres|there is|det (?:e|ar)) (?:shooting|skottlossning)\b|\bskottlossning (?:vid|pa|i|utanfor|nu|just nu)\b"
    r"|\b(?:smallde|small|smallt|pangade) precis\b|\bjust (?:heard )?(?:shots|gunshots)\b|\b(?:tre|fyra|flera|massa) skott (?:nu|precis|just nu)\b",
    # round 12: someone else overdosed with signs (cramps, vomiting, not answering, blue lips); a knife still in;
    # armed and coming up the stairs; at the door with a bat; walking to our door with something under the jacket
    "overdose_signs": r"\b(?:krampar|kramper|kramp|seizure\w*|spyr|vomit\w*|svarar (?:inte|int)|somnar hela tiden|bla om (?:lapparna|munnen)"
    r"|blue lips|lips (?:are )?(?:going |turning )?blue|andas (?:inte|knappt|konstigt)|medvetslos|unconscious)\b"
    r"(?=.*\b(?:tablett\w*|piller|pills|benzo\w*|overdos\w*|xanax|xans|spice|tagit|tog|took)\b)"
    r"|\b(?:tablett\w*|piller|pills|benzo\w*|overdos\w*|xanax|xans|spice)\b(?=.*\b(?:krampar|kramper|spyr|svarar (?:inte|int)|somnar hela tiden|bla om lapparna|blue lips)\b)",
    "knife_still_in": r"\b(?:kniven|knife|kulan|bullet|glaset)\b (?:sitter|e|ar|is|still) (?:kvar |still |fortfarande )?(?:i|in) (?:armen|benet|magen|ryggen|halsen|brostet|(?:his|her|my|the) (?:arm|leg|stomach|back|neck|chest))\b",
    "armed_coming_up": r"\b(?:strap|strapped|gun|guns|knife|knives|kniv|knivar|pistol\w*|vapen|machete)\b(?:\s+\w+){0,3}\s+(?:coming|kommer|are coming|is coming|gar) (?:up|upp|in|hit|here)\b"
    r"|\b(?:is|are|s|e|ar|star) (?:at|outside|vid|utanfor) (?:my|our|min|var) (?:door|dorr|dorren|port|porten)\b(?:\s+\w+){0,2}\s+(?:with|med|me) (?:a |an |en |ett )?(?:bat|knife|gun|kniv|pistol|yxa|axe|basebolltra|slagtra|machete|strap)\b"
    r"|\b(?:gar|ga|kommer|walking|coming) (?:mot|till|towards|to) (?:var|min|vart|our|my) (?:port|dorr|door|hus|house)\b(?:\s+\w+){0,3}\s+(?:med|with) (?:nat|nagot|something)\b",
    "shooting_area_now": r"\bskjutning (?:i|pa|vid) \w+ (?:\w+ )?(?:nu|just nu)\b(?! for tiden)|\b(?:mopedkillarna|killarna|dom|they)\b(?:\s+\w+){0,5}\s+(?:e|ar|are|is) tillbaka\b(?:\s+\w+){0,3}\s+(?:star|stands?|vid|at|outside|utanfor)\b",
    "held_locked": r"\b(?:e|ar|am|i m|im|sitter) (?:inlast|inlast|locked in|locked up)\b",
    "bleeding_neck": r"\b(?:bloder|broder|bleeding|bleeds)\b (?:\w+ )?(?:mycket|massor|so much|a lot|fran|ur|from)\b(?:\s+\w+){0,2}\s*(?:halsen|huvudet|magen|armen|the neck|the head|his neck|her neck)?",
}

# A past event, a story or the news: not danger now (unless "nu"/"now" is also there).
_PAST_OR_FICTION = re.compile(
    r"\b(?:forra (?:aret|aaret|ar|manaden|veckan|sommaren|vintern|hosten|varen|terminen|helgen|gangen)|ifjol|i fjol"
    r"|for \w+ (?:ar|manader|veckor|dagar) (?:sedan|sen)|for lange sedan|nar (?:jag|ja) (?:var|va) liten"
    r"|i filmen|i serien|pa nyheterna|pa tv|i boken|i spelet|i en film|i en serie|las(?:te)? om"
    r"|(?<!my )(?<!her )(?<!his )(?<!their )(?<!our )(?<!your )last (?:year|month|week|summer|term|semester|time)|years ago|months ago|in the movie|on the news|in a game"
    r"|in the show|in a film|forra helgen|last weekend|cod|warzone|fortnite|gta|valorant|csgo|pubg|apex"
    r"|minecraft|spelet|spela|spelade|gaming|game|lol|haha|xd|back in (?:19|20)\d\d|ar (?:19|20)\d\d|in (?:19|20)\d\d"
    r"|i somras|i vintras|i varas|i hostas|igar|i gar|igarkvall|yesterday|(?<!my )(?<!her )(?<!his )(?<!their )(?<!our )(?<!your )last night|i (?:sjuan|attan|nian|sexan|femman|fyran|trean)|in (?:year|grade) \d+"
    r"|used to|nar (?:ja|jag) va(?:r)? \d+|for (?:ett )?halvar (?:sedan|sen)|som barn|as a (?:child|kid)|nar (?:ja|jag) gick i \w+"
    r"|laste (?:pa|i|om)|read (?:on|in) the news|har ni sett|have you (?:guys )?seen|scenen"
    r"|sen flera ar|for flera ar sen|pa \d+ ?talet|\d+ ?talet|for (?:\w+ ){1,2}(?:ar|manader|veckor) (?:sedan|sen)"
    r"|nyheter\w*|filmen|serien|movie|film|the show|last summer|last winter|(?<!min )(?<!mins )(?<!minute )(?<!minutes )(?<!sec )(?<!secs )(?<!seconds )ago|(?:19|20)\d\d|dromde|drommen|mardrom|nightmare|dreamt|dreamed"
    r"|dream|pa mal|berattade om|berattat om|o beratta om|pratade om|talked about|told (?:us|me) about)\b"
)
_WORRY = re.compile(r"\b(?:oroar (?:sig|mig)|orolig (?:for|att)|worried (?:that|about)|worries (?:that|about))\b")
_NORMAL_QUESTION = re.compile(r"\b(?:e de|ar det|is it|is that|e det) (?:normalt|normal|weird|konstigt)\b")
_NOW_WORD = re.compile(r"\b(?:(?<!gora )(?<!gor )(?<!do )nu|just nu|now|right now|(?:e|ar|is|are) tillbaka|is at my door|sen igar|sedan igar|since yesterday|(?:star|e|ar) vid (?:var|min|vart) (?:port|dorr)|nyss|rn|star utanfor|vantar pa (?:mig|oss)|jagar|foljer efter|kommer hit"
                       r"|pa vag|e har|ar har|is here|are here|outside now"
                       # said in the present as it happens: "they're getting out", "dom kliver ur"
                       r"|(?:they re|theyre|they are) (?:getting|coming|walking|running|standing|waiting)"
                       r"|(?:dom|de) (?:kliver|springer|gar) (?:ur|ut|in|hit|mot))\b")
# "han e okej nu", "nu e de lugnt": "now" saying the danger is over
_CALM_NOW = re.compile(
    r"\bnu (?:e |ar )?(?:de|det|allt|han|hon) (?:lugnt|bra|ok|okej|over|lugn)\b"
    r"|\bnu (?:mar|ma) (?:ja|jag|han|hon|vi|dom) (?:\w+ )?(?:bra|battre)\b|\b(?:mar|ma) (?:\w+ )?battre nu\b"
    r"|\b(?:kom|kommit|tog mig|tog oss) (?:hem|undan) (?:lugnt|safe|bra|oskadd)\b|\bgot home (?:safe|fine|ok)\b"
    r"|\b(?:polisen (?:tog|grep|har tagit|har gripit)|(?:sag|saw) polisen (?:ta|gripa)) (?:en|honom|henne|dom|dem|killen|typen)\b|\bpolice (?:took|arrested|got) (?:him|her|them|a)\b"
    r"|\b(?:okej|ok|bra|lugnt|lugnare|battre|fine|safe|sorted|lost|over) (?:nu|now)\b|\b(?:har|e|ar) lagt sig\b|\bnu (?:e|ar) (?:de|det) (?:lugnare|battre|lost|over)\b|\b(?:it s|its|thats|that s) (?:sorted|over|fine)\b|\bnow (?:it s|its|we re|were) (?:fine|ok|safe)\b"
    r"|\bnu (?:har|e|ar) (?:dom|de|han|hon|det|de|allt) (?:slutat|over|borta|lugna?)\b|\bmar (?:\w+ )?battre\b|\b(?:s|is) (?:ok|okay|fine) now\b"
    r"|\b(?:e|ar|is|s) (?:\w+ )?(?:okej|ok|bra|frisk|fine|safe|lugn|lugnt|hel|battre|alright) (?:nu|now)\b"
)

# Over, and said to be over: "för fem år sen ... nu mår ja bra", "i used to ... clean 2 years".
# Only a past frame together with one of these; "igen"/"again" keeps it about now.
_PAST_FRAME = re.compile(
    r"\b(?:nar (?:vi|ja|jag) bodde|when (?:i|we) (?:was|were|lived)|when i was (?:younger|little|a kid|\d+)|at \d\d\b|back in (?:school|the day)"
    r"|(?:hade|had) en period|went through|i (?:sexan|femman|fyran|trean|tvaan|ettan)|nar (?:ja|jag) gick i|som barn|for (?:ett )?halvar|for (?:\w+ ){1,2}(?:ar|manader) sen|\d+ years ago|(?<!my )last year|forra (?:sommaren|vintern|hosten|varen)|i somras|"
    r"for (?:\w+ ){1,2}(?:ar|manader) (?:sedan|sen)|used to|years ago|as a (?:teen|kid|child)|nar (?:ja|jag) var"
    r"|in (?:\d+th|\d+st|\d+nd|\d+rd|middle|high) (?:grade|school)|i (?:hogstadiet|mellanstadiet|sjuan|attan|nian)"
    r"|(?:19|20)\d\d|forra aret|ifjol|i fjol|lange sen|lange sedan|long ago|a long time ago|nar (?:ja|jag) va \d+"
    r"|last winter|forra vintern|forut)\b"
)
_OVER_NOW = re.compile(
    r"\b(?:(?:idag|nu|today|now) (?:e|ar|i m|im|am) (?:ja |jag )?\d+|(?:i m|im|i am) \d+ now|mar bra|(?:det|de|it) (?:blir|gets) battre"
    r"|therapy helped|terapi\w* hjalpte|har slutat (?:sen|for)|slutat sen|(?:e|ar) (?:helt )?lakt|healed|sorted now|its sorted|it s sorted"
    r"|(?:nu|now) (?:e|ar) (?:de|det) (?:lugnare|battre)|sover som en bebis|sleep like a baby|har (?:ja |jag )?flyttat|(?:i ve|ive|i have) moved|moved away|now i (?:coach|work|study|have)"
    r"|doing a course|(?:ville|vill) bara (?:beratta|saga|dela)|just wanted to (?:share|say|tell)|(?:det|de) (?:e|ar) skont|its so different|"
    r"nu (?:mar|ma) (?:ja|jag) bra|mar bra nu|ma bra nu|(?:e|ar) (?:de|det) (?:lost|over|bra)(?: nu)?|been clean"
    r"|clean (?:for )?\d+|i m (?:fine|ok|okay|good) now|doing (?:fine|well|ok|better) now|har jobb nu|has a job now"
    r"|just proud|proud of (?:myself|me)|scars?|arr(?:en)?|how do i explain|hur forklarar"
    r"|doing (?:good|great) now|mar battre|mar (?:mycket|mkt|lite|manga ganger) battre|mar (?:ja|jag|han|hon) (?:\w+ )?battre|(?:ja|jag) har slutat|(?:e|ar|is) domd|sitter inne|is in prison|got convicted|betalat av"
    r"|(?:inte|not) (?:ett |a )?problem (?:langre|anymore)"
    # round 11: "det va länge sen", "im way better now", "nu e ja 19 o har jobb", "känns som en annan person"
    r"|(?:det|de|it) (?:var|va|was) (?:\w+ )?(?:lange sen|lange sedan|long ago|a long time ago)|(?:i m|im|i am) (?:way |much |so much |a lot )?better"
    r"|feeling (?:much |a lot |way )?better|on medication now|nu (?:e|ar) (?:ja|jag) \d+|nu vill (?:ja|jag) bli"
    r"|(?:kanns|feels) (?:som|like) (?:en annan|another|a different) (?:person|manniska)|tack for att ni fanns"
    r"|(?:det|de) gar battre|nu har (?:ja|jag) en (?:psykolog|kurator|terapeut)|(?:nu|now) (?:vill|want to) (?:ja |jag |i )?(?:hjalpa|help) (?:andra|others|folk|people))\b"
)
_AGAIN = re.compile(r"\b(?:igen|again|tillbaka|back(?! in)|som da|like then|nu ocksa)\b")
# A subject studied or worked with, not lived now: a school essay, a course, a job.
_TOPIC = re.compile(
    r"\b(?:grupparbete\w*|uppgift i \w+|till en uppgift|for an assignment|assignment|for skolan|for school|skolarbete|skoluppgift|uppsats|essay|arbete om|projekt om|project on|course|kurs(?:en)?|module|modul"
    r"|statistik|statistics|research|forskning|knife crime|gun crime|knivbrott\w*|knivvald\w*|vapenvald\w*|workshop\w*|patient\w*|resources|kalla(?:n|or)? till|cite|handledning"
    r"|som (?:sjukskoterska|underskoterska|larare|ordningsvakt|vakt|vaktare|polis|lakare|kurator|socionom)"
    r"|generellt|i allmanhet|rent allmant|in general|vara forberedd|be prepared|hur tar (?:jag|ja|man) upp|how do i (?:bring up|talk about|raise)"
    r"|till (?:ett|mitt|en) (?:arbete|skolarbete|projekt|redovisning|uppsats)|for (?:a|my) (?:project|school|essay|presentation)"
    r"|hur manga (?:\w+ ){0,3}(?:varje|per|every|a) (?:ar|year|manad|month)"
    r"|affisch\w*|psykologiprov\w*|filosofi\w*|vad betyder (?:ordet )?(?:sjalvskad\w*|sjalvmord\w*|suicid\w*)"
    r"|what does (?:the word )?(?:self ?harm|suicid\w*) mean|temavecka\w*|lektionsmaterial|samhallskunskap\w*|(?:vi|ni) ska skriva om|vad (?:e|ar|betyder) (?:\w+ ){1,2}pa (?:svenska|engelska)|what does \w+ mean in"
    r"|generellt alltsa|inget som hander nu|ifall (?:nan|nagon|en) (?:kompis|van) behover|in case a friend needs|nothing happening now|om en kompis pratar om|if a friend (?:talks|says)|vad ska man saga)\b"
)
# A role (a nurse, a teacher): a subject worked with only when asked about in general, never
# when something is happening ("Jag är lärare. En elev ska hoppa ... Det är lunch nu.").
_ROLE = re.compile(
    r"\b(?:som (?:sjukskoterska|underskoterska|larare|ordningsvakt|vakt|vaktare|polis|lakare|kurator|socionom)"
    r"|as a (?:nurse|teacher|guard|doctor|counsellor|counselor|social worker)|nursing student|medical student|on placement|pa praktik\w*"
    r"|sjukskoterskestudent\w*|lakarstudent\w*|(?:ja|jag) (?:e|ar|jobbar som)"
    r" (?:sjukskoterska|underskoterska|larare|ordningsvakt|vakt|polis|lakare|kurator|skolskoterska)|i m a (?:nurse|teacher|guard)"
    r"|jobbar (?:pa|som) (?:psyk|akuten|sjukhus\w*|bvc|skolan|aldreboende\w*|ett aldreboende|hemtjanst\w*)|works? (?:at|in) (?:a |the )?(?:hospital|psych|er|school))\b"
)
_GENERAL_QUESTION = re.compile(
    r"\b(?:hur (?:bor|ska|kan|gor) (?:man|jag|vi)|how (?:should|do|can) (?:i|we|one|you)|tips|rad om|advice|vad gor man"
    r"|what do you do|vilka tecken|what signs|hur hanterar (?:man|jag)|how do (?:i|you) handle)\b"
)
# A school or job ending, a move abroad to study, old things given to charity, a closed road:
# endings that are no farewell. (A birthday or a graduation is not among them: "I won't be
# there for my birthday" is a warning sign.)
_EVERYDAY_END = (
    r"byter skola|byta skola|changing schools?|pension\w*|retir\w*|avskedskort\w*|avslutning\w*"
    r"|ska plugga (?:i|pa|utomlands)|studying abroad|jullov\w*|sportlov\w*|hostlov\w*"
    r"|sista dagen (?:i|pa) (?:skolan|jobbet|lagret|praktiken|sommarjobbet)|last day (?:at|of) (?:school|work)"
    r"|sista kapitlet|sista kapitel|(?:hon|han|mormor|farmor|morfar|farfar) fyller \d+"
    r"|(?:gamla|old|begagnade|used|sma|for sma) (?:klader|saker|skor|grejer|jackor|clothes|stuff|things|shoes|ps4|ps5|mobil\w*|phone)"
    r"|roda korset|red cross|myrorna|insamling\w*|charity|kopt (?:en )?ny|bought a new|eftersom (?:ja|jag) (?:kopt|fatt)"
    r"|(?:bron|vagen|gatan|bridge|road) (?:e|ar|is) (?:avstangd|closed)|bussen (?:e|ar) (?:sen|forsenad)"
)
# An everyday reason for what looks like preparation or a farewell: moving, selling, a last
# day at school or work, a last swim, a climbing rope, going to sleep.
_EVERYDAY_REASON = re.compile(
    r"\b(?:flyttar|flytta|flyttat|moving|move to|second hand|loppis\w*|salja|saljer|selling|sell|blocket"
    r"|sista (?:dagen|veckan|lektionen|passet|badet|matchen) (?:pa|i|innan|pa jobbet|i skolan)?"
    r"|last (?:day|week|shift|class|match|game) (?:of|at|on|before)|sommarlov\w*|summer break|semester"
    r"|klattring\w*|klatterhall\w*|climbing|bada|badet|simma|swim\w*|fota|fotar|photo\w*|solnedgang\w*|sunset"
    r"|before i go to (?:sleep|bed)|innan (?:ja|jag) (?:somnar|sover|lagger mig)|go to (?:sleep|bed)|then bed"
    r"|(?:tog|tar|takes|took) (?:for |too )?(?:mycket|much) (?:tid|time)|distraher\w*|distract\w*|skarmtid|screen time"
    r"|flyttkartong\w*|nya (?:jobbet|skolan|lagenheten)|new (?:job|school|flat|apartment)"
    rf"|{_EVERYDAY_END})\b"
)
_EVERYDAY_CONCEPTS = {"preparation", "farewell", "means_time", "means_present", "rope_kept", "finality_time",
                      "giving_away", "goodbye_sent", "letters_left", "means_act", "give_my_things", "jump_from",
                      "pet_rehomed", "self_harm_word", "do_it_tonight", "means_named", "thanks_for_everything", "deleting",
                      "farewell_all", "gone_for_good", "last_message"}
# An everyday activity at or with a "means": fishing by the bridge, a tablet for an allergy,
# a knife for cooking, diving at the pool, a test tomorrow, a memorial's practicalities.
_EVERYDAY_ACTIVITY = re.compile(
    rf"\b(?:{_EVERYDAY_END}|fiskar|fiska|fiskade|fishing|metar|badar|badade|simhall\w*|badhus\w*|hopptorn\w*|10an|tian|femman"
    r"|iskallt men skont|doppa?|dopp\w*|diving|(?:tabletter|tabletterna|medicin\w*|piller|pills|meds) (?:for|mot|against|for my)"
    r" (?:\w+ )?(?:allergi\w*|huvudvark|astma|adhd|migran|mensvark|feber|vark|allergy|allergies|headache|asthma|pain)"
    r"|laga mat|lagar mat|cooking|kockkniv\w*|slipa|slo|(?:skar|hackar|skalar) lok|onion\w*|slakteri\w*|brodkniv"
    r"|vad (?:ja|jag|vi|man) ska (?:gora|hitta pa) (?:i helgen|pa lovet)|what to do this weekend|bored|uttrakad"
    r"|prov(?:et)? (?:imorn|imorgon|pa|i)|matteprov\w*|laxa|laxor|homework|exam|gymnasiearbet\w*|mattebok\w*"
    r"|vantar pa bussen|waiting for the bus|bussen (?:e|ar) sen|the bus is late"
    r"|vem (?:kor|skjutsar)|who s driving|kom alla|minnesstund\w*|fredagsbon\w*|efter bonen"
    r"|nursing degree|examen|tog examen|graduated|so proud|sa stolt|hungover|bakfull|hangover|skrev fel|typo"
    r"|jakt(?!gevar|kniv)\w*|jagarexamen\w*|vapenskap\w*|hunting|alg\w*|skridsko\w*|skating|skate|i fingret|i tummen|my finger|my thumb|inget farligt|av misstag|by accident"
    r"|kurragomma|hide and seek|for att slippa (?:redovisning\w*|prov\w*|lektion\w*|gympa\w*|skolan)|to (?:avoid|skip) (?:the|my|a) (?:class|test|presentation|school)|rasten|recess|kollar (?:pa )?stjarn\w*|stargaz\w*"
    r"|klipphopp\w*|cliff jump\w*|basta kanslan|best feeling|med polarna|with the boys"
    r"|(?:for|mot|against|for my) (?:huvudvark|feber|mensvark|tandvark|headache|fever|cramps|toothache)|hackade lok"
    r"|vantar pa (?:en |min )?(?:kompis|polare|van|mamma|pappa|tjejen|killen|friend)|till (?:baten|the boat|gungan|flaggstangen)"
    r"|tartan|tarta|cake|(?:skara|skar) (?:upp )?(?:tartan|brodet|kottet|laxen)|fileade|filea|vattenpistol\w*|water ?gun|nerf|emojin"
    r"|brasa\w*|grilla\w*|gick over bron|walked (?:across|over) the bridge|sa fint (?:med|i|pa)|so (?:pretty|beautiful) (?:with|on|in)"
    r"|ater glass|ater (?:lunch|mat|middag|frukost)|fikar|solar|fint vader|picknick|promenerar|eating ice cream"
    r"|(?:sitter|e|ar|sitting|i m|im) (?:pa|on|in|i) (?:taget|pendeln|pendeltaget|tunnelbanan|bussen|the bus|the train|a train|a bus)\b"
    r"(?! (?:tracks?|rails|sparet|sparen|spar|ralsen|ralserna)\b)(?!\s+\w+\s+(?:hoppa|jump))"
    # a weapon kept where it is kept: "gevär står i skåpet" is no weapon out now
    r"|(?:gevar\w*|jaktgevar\w*|vapen|vapnet|bossa\w*|pistol\w*|gun|rifle)\b(?:\s+\w+){0,2}\s+(?:star|ligger|finns) (?:\w+ )?(?:i|pa) (?:kallaren|skapet|vapenskapet|forradet|garderoben|garaget|vinden|kladkammaren"
    r"|the basement|the cabinet|the closet|the garage)\b"
    r"|took pics|tog bilder|fotade|(?:ater|ata|eat|eating) (?:pa )?(?:max|mcdonalds|mcd|burger king|pizza)|sa ont i magen)\b"
)

# --- concepts (facts.md "Recognising risk") ------------------------------------------------
_I = r"(?:jag|ja|jaa|i|im|i m|ive|i ve|ill|i ll|id|i d)"
_INTENT = (  # first-person will, plan or readiness, in Swedish and English
    r"(?:ska|skall|sk|tanker|tankte|kommer att|kommer|kmr|kmr att|vill|planerar|funderar pa"
    r"|bestamt mig for att|bestamt mig|e redo att|ar redo att|orkar inte annat an|gar och|gick"
    r"|gonna|going to|will|wanna|want to|thinking about|thinking of|about to|ready to|plan to"
    r"|planning to|decided to|gotta|need to)"
)
_PILLS = (
    r"(?:tabletter|tabletterna|tablett|tabbar|piller|pillren|pillerna|medicin|mediciner|medicinen"
    r"|somntabletter|somnpiller|alvedon|panodil|ipren|citodon|tramadol|oxy|xanax|benso|benzo|benzos"
    r"|pills|pillsen|pillen|meds|sleeping pills|painkillers|paracetamol|tylenol|overdos|overdose|od a|burken|kartan"
    r"|kartor|karta|hela paketet|bottle|antidepressiv\w*|antidepressant\w*|sertralin|sobril|atarax|lergigan|propavan"
    r"|melatonin|insulin|lyrica|stesolid|imovane|zopiklon|sleeping tablets)"
)
_HEIGHT = (
    r"(?:bron|(?:(?<=\bpa )|(?<=\bfran )|(?<=\bvid )|(?<=\ben )|(?<=\bav )|(?<=\bover )|(?<=\bunder )|(?<=\bvilken )|(?<=\bnan )"
    r"|(?<=\bnagon )|(?<=\bden )|(?<=\bhogsta ))bro|broen|broar|bridges|hoga hus|tall buildings|taket|tak|takkanten|balkongen|balkong|fonstret|fonster|klippan|stupet|kanten"
    r"|hoghuset|parkeringshuset|vaningen|bridge|roof|rooftop|ledge|balcony|window|edge|cliff"
    r"|tornet|stupkanten|hojden)"
)
_TRAFFIC = (
    r"(?:taget|(?<!ett )(?<!pa ett )tag|tagen|sparet|spa+ret|sparen|ralsen|pendeln|pendeltaget|tunnelbanan|motorvagen|e4|e 4"
    r"|bilarna|bussen|lastbilen|train|trains|tracks|railway|traffic|highway|motorway|a truck|a bus"
    r"|the bus|the car|a car)"
)
_WATER = r"(?:vattnet|bryggan|kajen|pier|jetty|the sea|the river|sjon|havet|alven|motala strom|strommen|kanalen|isen|the water|the river|the lake|the sea)"
_CUT = r"(?:rakblad|rakbladet|bladet|kniven|glasbit|blade|razor|razors)"
_ROPE = r"(?:rep|repet|snara|snaran|sladden|balte|baltet|rope|noose|belt|cord)"
_COMPOUND = (  # Swedish compounds end in the place: "hamnbron", "balkongkanten", "e4an"
    r"(?:\w+(?:bron|broar|taket|kanten|racket|sparet|sparen|ralsen|jarnvagen|motorvagen|vagnen|taget|tagen"
    r"|strommen|alven|klippan|huset s tak)|e\s?\d+\s?an|e\s?\d+|jarnvagen|motorvagen|jarnvagsbron)"
)
_MEANS = rf"(?:{_PILLS}|{_HEIGHT}|{_TRAFFIC}|{_WATER}|{_CUT}|{_ROPE}|{_COMPOUND})"
_PRESENT = (  # being at the means, or holding it, now ("står ja på bron": Swedish word order)
    r"(?:star (?:ja |jag |han |hon )?pa|sitter (?:ja |jag |han |hon )?pa|star (?:ja |jag )?vid|star vid|star uppe pa|sitter pa|sitter vid|sitter uppe pa|e pa|ar pa|e uppe pa|ar uppe pa"
    r"|e vid|ar vid|star pa kanten av|gar till|gar mot|gar ner till|pa vag till|walking to|going to|on my way to"
    r"|is on|s on|are on|up on|looking at|tittar pa|kollat|kollar|kollade|checked|valt|chosen|picked|gomt|gomde"
    r"|i m on|im on|i am on|i m at|im at|i am at|i m by|im by|sat down by|sat down on|sitting by|standing by|^on"
    r"|statt pa|statt vid|^at|i m near|im near|i am near|sitting near|standing near|(?:ja|jag) (?:e|ar|sitter|star) nara|(?:e|ar|sitter|star) nara"
    r"|hidden|hid|stashed|ut pa|ut i|ga ut pa|gatt ut pa|out on|out onto|drove out to|drove to|went to|akte till"
    r"|akte ut till|gick ut till|gick till|cyklade till|sokt pa|sokt efter|googlat|googled|searched for"
    r"|uppe pa|ute pa|gatt ut pa|har tagit|har tagit med|har med mig|har framfor mig|framfor mig|i handen"
    r"|bredvid mig|har hamtat|har kopt|har kopt in|har kopt|har samlat|har sparat|samlat pa mig|sparat pa mig"
    r"|standing on|sitting on|i m on|im on|on the edge|on top of|in my hand|in front of me|next to me|got the"
    r"|have the|bought|saved up|been saving|collected|stockpiled|counted|holding)"
)
_TIME = (
    r"(?:ikvall|i kvall|inatt|i natt|imorgon|imorn|i morgon|snart|nar alla sover|efter skolan idag"
    r"|nu ikvall|tonight|tomorrow|when everyone s asleep|when everyone is asleep|this weekend|i helgen"
    r"|nar (?:mamma|pappa|morsan|farsan|alla|familjen|foraldrarna|dom|de) (?:\w+ )?(?:akt|gatt|somnat|sover|e borta|ar borta|lagt sig|har akt|har gatt)"
    r"|nar ingen (?:e|ar) hemma|when no ?one s home|when nobody s home"
    r"|pa fredag|on friday|soon|idag|today|nar de blir mork|nar det blir morkt|when it gets dark|om en timme"
    r"|in an hour|efter skolan|after school|(?<!\bar )(?<!\bmanader )(?<!\bveckor )(?<!\bdagar )(?<!\btimmar )(?<!\bminuter )sen|later"
    r"|(?:pa )?(?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?: ?(?:kvall|natt|night|evening|morgon|morning))?)"
)
_METHOD_VERB = (  # acting on a means: jumping, swallowing, stepping in front, going into water
    r"(?:hoppa|hoppar|hopp|hoppade|kasta mig|kastar mig|svalja|svaljer|svalt|ta alla|ta hela|ta allihop"
    r"|kliva ut|klivit ut|stiga ut|ga ut framfor|springa ut framfor|lagga mig pa|ligga pa|ga ut i|gar ut i"
    r"|jump|jumping|swallow|take all|step in front|walk into|lie down on|throw myself|drive into|krocka|walking into"
    r"|stepping out|stepping in front|driving into|jumping off|jumping in front|kora in i|kor in i"
    r"|kora in i|skara djupt|skara upp|cut deep|slit)"
)
_LEAVE_GANG = re.compile(  # "hoppa av" is leaving, not jumping, unless a height follows
    r"\bhopp\w* av\b(?!(?:\s+\w+){0,2}\s+(?:bron|taket|balkongen|kanten|tornet|hoghuset|bro))"
)
_PREPARATION = (
    r"\b(?:skrivit|skrev|skriver) (?:\w+ ){0,3}(?:brev|brevet|meddelande|sms) (?:till \w+ )?(?:ifall|om) (?:ja|jag) (?:inte|int)\b|\bavskeds\w*"
    r"|\b(?:la|lagt|lamnat|gomt|left|put) (?:ett |en |a )?(?:brev|lapp|letter|note)\b(?:\s+\w+){0,6}\s+(?:hittar|find|finds|laser|reads)\b"
    r"|\b(?:goodbye|farewell|suicide) (?:message|text|note|letter)\b|\btonight is the night\b|\bikvall (?:e|ar) (?:det|de) dags\b"
    r"|\b(?:gett|gav|ger) bort (?:\w+ ){0,2}(?:mina|min|mitt|allt)\b|\bfixat allt\b|\ballt (?:e|ar) (?:klart|fixat|ordnat)\b"
    r"|\bsagt hejda\b|\b(?:mitt )?sista (?:meddelande\w*|sms\w*|inlagg\w*)\b(?!\s+(?:for (?:ikvall|idag|nu|i kvall|tonight|today|this week|veckan)|innan|before))|\b(?:last|final) (?:message|text|post)\b"
    r"|\bwrote (?:a |my )?(?:letter|note)s? (?:to|for)\b|\bgave away (?:my|all)\b|\bsaying goodbye\b"
    r"|\b(?:given|gave) (?:my|all my) (?:stuff|things)\b|\bsparat (?:pa )?(?:mig )?(?:\w+ )?(?:tabletter|piller)"
)
_FAREWELL = (
    r"(?<!tack )\bta hand om (?:mamma|pappa|lillebror|lillasyster|min|mina|dom|er)\b(?! dig)"
    r"|\bforlat for allt\b|\b(?:hejda|godnatt|god natt|good ?night|sov gott|bye|farval) (?:for alltid|for gott|forever|for good)\b|\bdet har (?:e|ar) hejda\b|\bni kommer (?:att )?forsta sen\b"
    r"|\bnar (?:jag|ja) (?:e|ar) borta\b|\befter ikvall\b|\bingen kommer behova\b|\bni slipper (?:mig|mej)\b"
    r"|\b(?:inte|aldrig|never|won t|wont)(?: \w+){0,3} se (?:honom|henne|mig|mej) (?:mer|igen)\b"
    r"|\bwon t see me again\b|\bthis is goodbye\b|\bgoodbye (?:everyone|forever|all)\b|\bwhen i m gone\b"
    r"|\bwhen im gone\b|\byou ll understand\b|\btake care of my\b|\bsorry for everything\b|\bafter tonight\b"
    r"|\bwon t be a problem (?:anymore|much longer)\b|\bnot be around\b|\binte finnas (?:har )?(?:imorgon|imorn|langre)\b"
)
_HOPELESS = (
    r"\b(?:orkar|orka|pallar|palla|klarar|klara|kan) (?:inte|int|inge|ej) (?:mer|langre|med nagonting|med allt|nagot mer)\b"
    r"|\bingen (?:utvag|vag ut)\b|\bingen (?:ide|mening)\b(?!\s+(?:att|med|me)\b(?!\s+(?:leva|livet|nagonting|allt)))|\binge (?:ide|mening)\b|\bmeningslost\b|\b(?:e|ar) (?:sa )?klar med (?:allt|livet|allting)\b"
    r"|\bvill (?:inte|int) mer\b|\bge upp (?:allt|nu)\b|\bger upp\b|\bgett upp\b|\btappat (?:allt )?hopp"
    r"|\bfast (?:och|o) (?:kommer|hittar) (?:inte|int) ut\b|\ben borda\b|\bborda for\b|\bvill bara (?:att allt ska )?(?:ta slut|forsvinna)\b"
    r"|\b(?:i m|im|i am) (?:so )?done\b(?!\s+(?:with|med)\b(?!\s+(?:everything|it all|life|allt|livet|allting)))"
    r"|\bdone with (?:everything|it all|life)\b|\bcan t do this anymore\b"
    r"|\bcant do this anymore\b|\bno way out\b|\bhopeless\b|\bgive up\b|\bgiving up\b|\bgave up\b|\ba burden\b"
    r"|\bwant (?:it|everything) to (?:end|stop)\b|\bdont see the point\b|\bdon t see the point\b|\bno point\b"
    r"|\bvill forsvinna\b|\bwant to disappear\b|\bwanna disappear\b"
    r"|\bvill inte vakna\b|\bdont want to wake up\b|\bingen (?:skulle|kommer) (?:sakna|marka)\b"
)
_DO_IT = r"\b(?:gora|gor|gora det|gor det|do it|end it|ta slut|avsluta)\b"

_CRISIS_CONCEPTS: dict[str, str] = {
    # to follow someone who died: "brorsan sköts ihjäl ... tänker på att följa efter honom"
    "join_the_dead": r"(?=.*\b(?:dog|dott|dod|doda|ihjal|dodad|dodades|begravning\w*|died|dead|passed away|killed|murdered)\b)"
    r".*\b(?:folja efter|folja med|vara dar (?:han|hon|dom|de) (?:e|ar)|va dar (?:han|hon|dom|de) (?:e|ar)|vara med (?:honom|henne|dom)"
    r"|va med (?:honom|henne|dom)|follow (?:him|her|them)|be (?:with|where) (?:him|her|them)|join (?:him|her|them))\b",
    # a means together with being at it, intent, a time or acting on it
    "means_present": rf"\b{_PRESENT}\b(?:\s+\w+){{0,4}}\s+{_MEANS}\b",
    "means_intent": rf"\b{_INTENT}\b(?:\s+\w+){{0,4}}\s+{_METHOD_VERB}\b(?:\s+\w+){{0,4}}\s+{_MEANS}\b",
    "means_act": rf"\b{_METHOD_VERB}\b(?:\s+\w+){{0,3}}\s+(?:fran|ner fran|ner|ut fran|ut|framfor|in i|under|off|from|in front of|into|over)\s+(?:\w+\s+){{0,2}}{_MEANS}\b",
    "means_held": rf"\b{_MEANS}\b(?:\s+\w+){{0,3}}\s+(?:framfor mig|i handen|bredvid mig|i fickan|pa bordet|redo"
    r"|framme|uppradade|har hos mig|in my hand|in front of me|next to me|ready|right here|on the table|in my pocket"
    r"|lined up|i rad)\b",
    "with_means": rf"\b(?:sitter|ligger|star|sitting|lying|standing|e|ar|i m|im)\b(?:\s+\w+){{0,3}}\s+(?:med|me|with) (?:\w+ )?{_MEANS}\b",
    "weapon_for_me": r"\b(?:inte|int|not) (?:till|for) (?:nan|nagon|anyone|nobody) (?:annan|else)\b"
    r"|\b(?:just|bara) (?:me|mig|till mig|for mig)$|\bmot (?:huvet|huvudet|tinningen)\b",
    "rope_kept": r"\b(?:has|have|got|har|hittat|found|ligger) (?:\w+ )?(?:a |ett |en )?(?:rope|rep|repet|snara|snaran|noose)\b"
    r"|\b(?:rope|rep|repet|snara|noose) (?:ligger|is|i|in)\b",
    "method_search": r"\b(?:googlat|googled|sokt|searched|kollat)\b(?:\s+\w+){0,3}\s+(?:hur man|how to) (?:hanger|hang|tar livet|kill|do|dor)"
    r"|\bhur man hanger sig\b|\bhow to hang\b",
    "traffic": r"\b(?:oncoming traffic|motande trafik|motande bil\w*|into oncoming)\b|\bkora in i (?:nat|nagot|en vagg|ett trad)\b",
    "means_here": rf"\b(?:har|have|got|has)\b(?:\s+\w+){{0,2}}\s+{_MEANS}\s+(?:har|here|hos mig|with me|on me|bredvid mig)\b",
    # someone else at a height, on the tracks or by water now ("she's at the bridge")
    "other_at_height": rf"\b(?:she|he|hon|han) (?:s|is|e|ar|star|sitter) (?:at|on|by|pa|vid|uppe pa) (?:the |a )?"
    rf"(?:{_HEIGHT}|{_WATER}|tracks|the tracks|sparet|ralsen|\w+bron)\b",
    # "hoppa från p-huset", "jump off the 5th floor": a building is a height wherever it is named
    "jump_from_building": rf"\b{_INTENT}\b(?:\s+\w+){{0,3}}\s+(?:hoppa|hoppar|jump|jumping)\s+(?:ner |ut |off )?(?:fran|off|from)"
    r"\s+(?:the |a |ett |en |det )?(?:\w+\s+)?(?:\w*huset|hus|building|vaningen|floor|parking (?:garage|deck|lot roof))\b",
    "means_time": rf"\b{_MEANS}\b(?:\s+\w+){{0,6}}\s+{_TIME}\b|\b{_TIME}\b(?:\s+\w+){{0,6}}\s+{_MEANS}\b",
    "take_pills": r"\b(?:ska|tanker|kommer|gonna|going to|will) (?:att )?(?:ta|svalja|take|swallow) (?:\w+ ){0,2}" + _PILLS + r"\b"
    r"|\bta (?:dom|dem|de|them) alla\b|\btake them all\b",
    "swallow_all": r"\b(?:ta|svalja|taga|tar|take|swallow|taking) (?:alla|allihop|hela|all|all of|the whole|all the|every)\b(?:\s+\w+){0,2}\s+"
    + _PILLS + r"\b",
    "self_weapon": r"\b(?:mot|mot mitt|to my|against my|at my) (?:huvud|huvudet|tinning|head|temple|chest|brost)\b"
    r"|\bskjuta (?:mig|mej) sjalv\b|\bshoot myself\b|\bpipan i munnen\b",
    "preparation": _PREPARATION,
    "finality_time": rf"\b{_TIME}\b(?:\s+\w+){{0,5}}\s+(?:e|ar) (?:de|det) (?:klart|over|slut)\b",
    "letters_left": r"\b(?:brev|lapp|letter|note)\b(?:\s+\w+){0,6}\s+(?:la|lagt|lade|gomde|put|left) (?:de|det|den|it) (?:i|under|pa|in|on)"
    r" (?:hennes|hans|mammas|pappas|her|his|their|my mum s|my mom s)\b|\b(?:skrivit|skrev|wrote) (?:\w+ )?(?:brev|sms|letters?|notes?|meddelanden?) (?:till|to) (?:alla|mamma|pappa|min|mina|everyone|my)"
    r"\b(?:\s+\w+){0,8}\s+(?:lagt|ligger|ladan|byraladan|om nat hander|if something happens|skickas|scheduled|automatiskt|lasa den)\b"
    r"|\btackar (?:oss|mig|er|alla) for allt\b|\btell (?:my )?(?:mum|mom|mamma|dad) (?:that )?i m sorry\b|\bber om forlatelse\b",
    "farewell_other": r"\bses pa andra sidan\b|\bsee you on the other side\b|\bsag att (?:ja|jag) alskade\b|\btell (?:him|her|them) i loved\b"
    r"|\b(?:ge|give) (?:mina|my) (?:grejer|saker|stuff|things)\b|\b(?:ta hand om|take care of|look after) (?:\w+ )?(?:at mig|for me)\b"
    r"|\b(?:look after|ta hand om) (?:mamma|mum|mom|pappa|dad)\b|\b(?:hon|han|she|he) (?:far|gets) allt\b"
    r"|\b(?:skrivit|skrev|wrote|written) (?:ner |down )?(?:alla |all )?(?:losenord|koden|losenorden|passwords|my passwords|the code)\b",
    "finality": r"\b(?:snart|soon)\b(?:\s+\w+){0,2}\s+(?:over|slut|klart|borta|gone)\b|\b(?:e|ar|is) (?:de|det|it|allt) (?:over|slut|klart)"
    r" (?:snart|ikvall|inatt|soon|tonight)\b|\bit s time\b|\bits time\b|\b(?:e|ar) (?:ja|jag) borta\b|\bi ll be gone\b"
    r"|\b(?:imorn|imorgon|tomorrow)\b(?:\s+\w+){0,2}\s+(?:inte|int|not|won t be|wont be) (?:har|kvar|here|around)\b"
    r"|\b(?:inte|int) (?:va|vara|e|finnas) (?:har|kvar) (?:imorgon|imorn|ikvall|sen|pa min)\b|\bwon t be (?:here|around)\b"
    r"|\b(?:kommer|kmr) (?:inte|int) (?:att )?(?:va|vara) (?:har|kvar)\b|\b(?:inte|int) (?:kommer|kmr) (?:att )?(?:va|vara) (?:har|kvar)\b"
    r"|\bnar (?:ni|du) laser (?:detta|det har|de har)\b|\bwhen you read this\b|(?<!e det )(?<!ar det )(?<!e de )(?<!is it )\b(?:redan )?for sent\b(?! (?:svar|svarat|svarar|att|for att|med|reply|answer)\b)(?:\s+\w+){0,3}$"
    r"|\b(?:hitta|find|se|see|veta|know|lasa|read) (?:\w+ ){0,2}(?:efterat|afterwards|after i m gone|nar (?:ja|jag) (?:e|ar) borta)\b"
    r"|\bbehover (?:ingen|inte|int) (?:\w+ ){0,2}(?:langre|mer)\b|\bwon t be needing\b|\bwont be needing\b|\bmin begravning\b|\bmy funeral\b",
    "decided": rf"^(?:bestamt|decided|bestamt mig)\b(?:\s+\w+){{0,2}}\s+{_TIME}\b|\b(?:har|ha|have|ve|i ve|ive|i|has|hon har|han har) (?:redan |now )?(?:bestamt mig|decided|made up my mind)\b"
    r"(?!\s+(?:for|att|to|om|about|that i want|where|what|which|vilken|vad|var|ska|ja ska|jag ska|i m going|i will|i ll))"
    r"|\ballt (?:e|ar) (?:planerat|bestamt|klart|fixat|ordnat)\b|\beverything(?: s| is) (?:sorted|planned|ready|done|set)\b"
    r"|\b(?:valt|chosen|picked) (?:stallet|platsen|dagen|tiden|datum|the place|the spot|the day|a date)\b"
    r"|\b(?:a plan and a date|en plan (?:och|o) ett datum|en plan nu (?:och|o) en dag)\b|\bbestamt (?:vilken|vilket) (?:dag|tid|datum)\b"
    r"|\bplanerat (?:when|nar|var|hur)\b|\bbestamt (?:dag|datum|tid)\b|\bvet (?:vad|hur) (?:ja|jag) ska gora (?:o|och) (?:nar|var)\b"
    r"|\b(?:e|ar) att (?:ja|jag) (?:dor|do|forsvinner|inte finns)\b|\beverythings (?:sorted|planned|ready|done)\b|\b(?:nu|now) (?:gor|gora|doing|do) (?:ja|jag|i) (?:de|det|it)\b"
    r"|\b(?:i m|im|i am) doing it\b|\b(?:gor|gora) (?:ja|jag) (?:de|det) (?:nu|ikvall|inatt)\b|\bnobody can (?:talk|stop) me\b"
    r"|\bingen kommer (?:hinna )?stoppa mig\b|\b(?:tankt|tanker|funderat|thought) (?:ut )?(?:bara |ba |only |just )?(?:pa )?(?:about )?hur (?:ja|jag|i) ska\b"
    r"|\b(?:har|hon har|han har) bestamt sig\b(?!\s+(?:for|att|om))"
    r"|\bhow i m going to do it\b",
    "goodbye_sent": r"\b(?:skrev|skrivit|skickade|skickat|sagt|sa|sager|said|wrote|sent|texted|saying) (?:\w+ ){0,2}(?:hejda|goodbye|farval|bye to|forlat till)\b"
    r"|\b(?:hejda|goodbye) (?:till|to) (?:alla|mina|everyone|my|all)\b|\bville (?:bara )?saga hejda\b",
    "giving_away": r"\b(?:gett|gav|ger|given|gave|swishade|skankt|skankte) (?:bort )?(?:\w+ ){0,3}(?:mina|min|mitt|alla mina|my|all my)\b"
    r"(?:\s+\w+){0,3}\s+(?:till|to)\b|\bvem som ska fa (?:mina|min|mitt|hennes|hans|sina)\b|\b(?:gett|gav) bort (?:\w+ ){0,3}(?:sina|sin|sitt|hans|hennes)\b|\bwho gets my\b|\b(?:hittat|found) (?:nan|nagon|someone)"
    r" (?:som kan ta|to take) (?:min|mitt|my)\b|\b(?:ta hand om|take care of|look after) (?:min|mitt|mina|hennes|hans|my) (?:katt|hund|cat|dog"
    r"|lillasyster|lillebror|little sister|little brother|sister|brother)\b",
    "deleting": r"\b(?:raderat|raderade|tagit bort|tog bort|deleted|wiped|tomt|tomde|emptied) (?:\w+ ){0,2}(?:alla |all |mitt |my )?"
    r"(?:bilder|bilderna|socials|insta|instagram|konton|kontot|account|accounts|pics|photos|snap|tiktok|rum|room)\b",
    "not_your_fault": r"\b(?:inte|aldrig|never|not|wasn t|wasnt) (?:\w+ ){0,2}(?:ditt|ert|your|era) (?:fel|fault)\b",
    "calm_after": r"\b(?:konstigt|weirdly|strangely|oddly|sa) (?:\w+ )?(?:lugn|calm|peaceful|glad|happy)\b(?:\s+\w+){0,6}\s+(?:bestamt|decided|snart|soon|over)"
    r"|\b(?:glad|lugn|calm|peaceful) (?:nu )?(?:nar|now that) (?:ja|jag|i|ive|i ve) (?:vet|know|decided|bestamt)",
    "overdose_taken": r"\b(?:tog|tagit|took|taken|svalde|svalt|swallowed|ate|atit|at|aat) (?:\w+ ){0,4}" + _PILLS + r"\b"
    r"|\b(?:tog|tagit|took|taken|svalde|svalt|swallowed|atit|ate) (?:\w+ ){0,2}(?:allt|alla|all|everything|allihop)\b(?:\s+\w+){0,5}"
    r"\s+(?:\d+ ?st|\d+ stycken|hemma|i skapet|in the house|at home|konstig|yr|snurrig|dizzy|weird|sleepy|spyr)\b",
    # wounds on the arms now: "armen e full av sår igen", "river upp armarna"
    "self_harm_wounds": r"\b(?:armarna|armen|armar|arms?|handleden|handlederna|wrists?|laren|laret|thighs?)\b(?:\s+\w+){0,2}\s+"
    r"(?:full|fulla|fullt|tackt|tackta|covered|bloddrypande) (?:av|med|me|of|in|with) (?:sar|blod|cuts|blood|rispor|skarsar)\b"
    r"|\b(?:river|rev|rivit|skar|skarit|rispar|sprattar|slet|slit\w*|tear|tore|ripping) upp (?:\w+ )?(?:armarna|armen|handleden|arms?|wrists?|skin)\b",
    "self_directed": r"\b(?:tanker|ska|vill|thinking about|going to|gonna) (?:att )?(?:anvanda|use) (?:den|de|det|dom|it|them)\b"
    r"(?:\s+\w+){0,2}\s+(?:pa|mot|on) (?:mig|mej|me)\b|\b(?:anvanda|anvander|anvand|using|use) (?:den|de|det|dom|it|them|kniven|gevaret)\b(?:\s+\w+){0,2}\s+(?:pa|mot|on|against) (?:mig sjalv|mej sjalv|myself)"
    r"|\bon myself\b|\bmot mig sjalv\b|\bpa mig sjalv\b|\bsitting here with it\b|\bsitter har (?:med|me) (?:den|det|de)\b",
    "car_exhaust": r"\bgarage\w*\b(?:\s+\w+){0,6}\s+(?:motorn|motor|engine|stangt porten|closed the)\b|\b(?:motorn|engine)\b(?:\s+\w+){0,6}\s+garage",
    "overdose_again": r"(?=.*\b(?:igen|again|likadant|same way|tillbaka|back)\b).*\b(?:hade|gjorde|tog|took|had) (?:en )?(?:overdos|overdose|od)\b",
    "attempt_again": r"\b(?:forsokt|forsokte|forsok|tried|attempt\w*)\b(?:\s+\w+){0,12}\s+(?:igen|again|tillbaka|back|gora om|do it again|om det"
    r"|nasta gang|next time|more since|mer sen|ordentligt|properly)\b"
    r"|\b(?:igen|again|tillbaka|back)\b(?:\s+\w+){0,3}\s+(?:forsok|attempt)\b|\bvill gora om (?:de|det)\b",
    "self_harm_again": r"\b(?:skada|skadar|skadat|skadade|gjort|gjorde|gor) (?:mig|mej)(?: illa)?\b(?:\s+\w+){0,4}\s+(?:igen|again|mer|idag)\b"
    r"|\b(?:gjort|gjorde|gor) (?:mig|mej) illa\b|\bskada (?:mig|mej)\b(?:\s+\w+){0,3}\s+(?:igen|again)",
    "not_be_here": r"\bvill (?:inte|int) (?:va|vara|finnas) (?:har|kvar) (?:mer|langre)\b|\bdont want to be here anymore\b"
    r"|\bdon t want to be here anymore\b|\b(?:e|ar) klar me(?:d)? livet\b|\bdone with life\b",
    "self_harm_other": r"\b(?:rispat|rispade|rispar|rispa|brant mig|brande mig|branner mig|branna mig|branna mej|burned myself|burn myself|burning myself)\b",
    "self_harm_done": r"\b(?:cuttade|cuttat|cuttar|cutting|cut|skurit|skar|skadade|skadat|skadar|hurt|harmed) (?:\w+ )?(?:mig|mej|myself|igen|again)\b"
    r"|\b(?:cuttade|cuttat|cuttar)\b",
    "nobody_would_miss": r"\b(?:ingen|nobody|no one|noone)\b(?:\s+\w+){0,3}\s+(?:sakna|saknar|missa|miss|marka|marker|notice|care|bry sig|bryr sig)\w*"
    r"(?:\s+\w+){0,2}\s*(?:mig|mej|me|om (?:ja|jag) (?:var|va) borta|if i (?:was|were) gone)?\b",
    "farewell": _FAREWELL,
    # a question about a deadly amount or height: "kan man dö av 40 alvedon", "how many pills is too many"
    "lethal_dose": rf"\b(?:kan man|can you|can u|can one|does one|dor man|do you) (?:do|die|doo) (?:av|of|from) (?:\w+ )?(?:\d+|for manga|too many|en hel|a whole|hela|{_PILLS})\b"
    r"|\b(?:vilken|which|hur hog) (?:vaning|floor)\b(?:\s+\w+){0,10}\s+(?:dor|do|die|overlever|overleva|survive)\b"
    r"|\b(?:sakert|saker pa|garanterat|sure) (?:att )?(?:man|jag|ja|you|i) (?:dor|do|die|dies)\b"
    rf"|\b(?:hur manga|how many|hur mycket|how much)\b(?:\s+\w+){{0,2}}\s+{_PILLS}\b(?:\s+\w+){{0,3}}\s+(?:for manga|too many|too much|for mycket|to die|dodligt|lethal|dor man|behovs|needed|kills|would kill)\b"
    r"|\b(?:hur hogt|how high)\b(?:\s+\w+){0,9}\s+(?:overleva|survive|do|die|dor)\b"
    r"|\b(?:om man tar|if you take|if i take|om (?:ja|jag) tar)\s+(?:typ |like |kanske |ca |ungefar |around )?(?:\d{2,}|alla|all|hela)\b",
    # a rehearsal: "testade hur den satt", "nästa gång släpper ja inte"
    "rehearsal": r"\b(?:testade|testat|provade|provat|tested|tried) (?:hur |om |if |how )?(?:den|repet|snaran|baltet|it|the rope|the noose) (?:satt|sitter|holl|haller|fits|held|holds)\b"
    r"|\b(?:nasta gang|next time)\b(?:\s+\w+){0,2}\s+(?:slapper|stoppar|avbryter|angrar)\s+(?:ja|jag)\s+(?:inte|int)\b"
    r"|\bnext time i (?:won t|wont|will not) (?:let go|stop)\b",
    # a will written by someone young; where the pills are kept, known now
    "testament": r"\b(?:skrivit|skrev|skriver|gjort|gjorde|fixat|skrivit klart) (?:\w+ )?(?:mitt |ett |klart )?testamente\w*"
    r"|\b(?:wrote|written|writing|made|making) (?:my|a) will\b",
    "means_access": rf"\b(?:vet|know|hittat|found)\b (?:var|vart|where)\b(?:\s+\w+){{0,3}}\s+(?:gommer|har|keeps|hides|forvarar|lagger)\b(?:\s+\w+){{0,2}}\s+{_PILLS}\b",
    "dont_look_for_me": r"\b(?:please )?(?:don t|dont|do not) (?:try to )?(?:find|look for|search for|come after) me\b"
    r"|\b(?:leta|sok) (?:inte|int) efter (?:mig|mej)\b",
    "car_exhaust_hose": r"\b(?:slang\w*|hose)\b(?:\s+\w+){0,4}\s+(?:avgasror\w*|exhaust)\b|\b(?:avgasror\w*|exhaust)\b(?:\s+\w+){0,4}\s+(?:slang\w*|hose)\b",
    # someone else says they will end their life: "min son säger att han ska ta livet av sig ikväll"
    "other_suicidal": r"\b(?:han|hon|he|she)\b (?:ska|kommer att|kommer|tanker|vill|is going to|s going to|will|wants to|is gonna)"
    r" (?:\w+ )?(?:ta livet av sig|kill (?:him|her)self|end (?:his|her) life|hanga sig|skada sig sjalv|hurt (?:him|her)self"
    r"|skjuta sig (?:sjalv)?|shoot (?:him|her)self)\b",
    # someone else intends to jump from a height ("en elev ... ska hoppa från skolans tak")
    "other_will_jump": rf"\b(?:han|hon|he|she|eleven|the student)\b(?:\s+\w+){{0,2}}\s+(?:ska|tanker|kommer att|is going to|will|wants to|vill)"
    rf"\s+(?:hoppa|jump)\s+(?:ner |off )?(?:fran|off|from)\s+(?:\w+\s+)?(?:{_HEIGHT}|tak|\w*huset|building)\b",
    # never born, done with life, a last message: "om ja aldrig fötts", "klar med livet", "sista gången ja skriver"
    "never_born": r"\b(?:om|if) (?:ja|jag|i) (?:aldrig|never|inte) (?:hade )?(?:fotts|foddes|funnits|fanns|been born|was born|existed)\b"
    r"|\bwish (?:i|id|i d) (?:was|were|had) never (?:been )?born\b",
    "done_with_life": r"\b(?:klar|fardig|done|finished) med (?:livet|att leva)\b|\bdone with (?:life|living)\b|\b(?:loggar|logga|loggat) ut for gott\b",
    "last_message": r"\bsista (?:gangen|meddelandet) (?:ja|jag) (?:skriver|sager|skickar)\b|\blast (?:time|message) (?:i ll|ill|i will|i m gonna|im gonna|i) (?:write|say|send|ever)\b"
    r"|\b(?:de|det) va(?:r)? fint sa lange (?:de|det) varade\b",
    # looking up how high, how deep, how many: "kollat upp hur högt man måste hoppa"
    "height_researched": r"\b(?:kollat|kollade|googlat|googlade|sokt|sokte|looked up|googled|searched|checked)\b(?:\s+\w+){0,3}\s+(?:hur|how) (?:hogt|high|djupt|deep|manga|many|mycket|much)\b"
    r"(?:\s+\w+){0,4}\s+(?:hoppa|hoppar|jump|fall|falla|tabletter|piller|pills|do|dor|die)\b",
    # better dead, rather dead: "bättre att ja dör först", "hellre dör ja innan", "better if i just die"
    "better_dead": r"\b(?:battre|hellre) (?:att |om )?(?:ja|jag) (?:bara )?(?:dor|do|e dod|var dod|va dod|inte fanns|inte finns)\b"
    r"|\bhellre (?:dor|do) (?:ja|jag)\b|\bbetter (?:if|that|off if) i (?:just )?(?:die|was dead|were dead|wasn t here|wasnt here)\b"
    r"|\b(?:onskar|onskade|wish)\b(?:\s+\w+){0,3}\s+(?:att )?(?:ja|jag|i) (?:va|var|vore|was|were) (?:dod|dead)\b"
    r"|\b(?:inget|ingenting|nothing|nada) (?:kvar )?(?:att leva for|(?:left )?to live for)\b",
    "plan_named": rf"\b(?:har|had|have|got|gjort) (?:en )?(?:plan|planen|a plan)\b(?:\s+\w+){{0,6}}\s+(?:{_TIME}|{_MEANS}|hur|how)\b"
    rf"|\b(?:har|have) (?:bestamt|decided) (?:hur|nar|when|how)\b",
    # round 11: an attempt survived, "next time right"; command voices; one's own funeral planned; "tell him it wasn't his fault"
    "survived_wrongly": r"\bborde (?:inte|int) (?:ha )?overlevt\b|\bshould(?:n t|nt| not) have survived\b"
    r"|\b(?:nasta gang|next time)\b(?:\s+\w+){0,2}\s+(?:gor|gora) (?:ja|jag) (?:ratt|det ratt|klart|det ordentligt)\b|\bnext time i (?:do it right|get it right|won t fail)\b",
    "command_voices": r"\b(?:rosterna|roster|the voices|voices)\b(?:\s+\w+){0,7}\s+(?:ska|should|must|have to|maste|att) (?:do|die|doda mig|kill myself|ta livet av mig|hoppa|jump|skada mig|hurt myself)\b",
    "own_funeral": r"\b(?:planera|planerat|planerar|plan|planned|planning|valt|picked) (?:\w+ )?(?:min|my|your|sin|din|egen|own) (?:egen |own )?(?:begravning|funeral)\b",
    "not_their_fault": r"\b(?:halsa|hals|sag till|sag at|saga till|tell)\b(?:\s+\w+){0,4}\s+(?:att )?(?:det|de|it) (?:inte |int )?(?:var|va|was|wasn t|wasnt|is not|isn t) (?:inte |int |not )?"
    r"(?:hans|hennes|deras|ditt|ert|your|his|her|their|ditt|mammas|pappas) fel\b",
    # round 12: "om ni läser detta e det för sent"; the train at a time and me standing there
    "too_late_when_read": r"\b(?:om|if|nar|when) (?:ni|du|you|nan|someone) (?:laser|reads?|read|hittar|finds?) (?:detta|det har|this)\b(?:\s+\w+){0,3}\s+(?:e det|ar det|its|it s|it is|is it|e de) (?:for sent|forsent|too late)\b",
    "train_and_me": r"\b(?:taget|pendeln|train)\b(?:\s+\w+){0,5}\s+(?:ja|jag|i) (?:ska|kommer|will|m gonna|im gonna) (?:sta|ga ut|be|vara|hoppa) (?:dar|pa sparet|there|on the tracks|framfor)\b",
    "still_want_die": r"\b(?:vill|want to|wanna) (?:fortfarande|still|anda) (?:do|die|doo|ta livet av mig|end it)\b",
    "kys_myself": r"\bkys (?:myself|mig sjalv|mej sjalv)\b|\b(?:unalivar|unalive|unaliving) (?:mig|mej|myself)\b",
}
# someone else at risk of suicide, told by a parent, a friend or a partner: the crisis answer
# (the suicide line advises relatives too), even when a post, a picture or a text is named
_OTHER_AT_RISK: dict[str, str] = {
    "other_harm_self": r"\b(?:gor|gora|gjort|does|do|will do) (?:nat|nagot|nagonting|something) (?:mot|to) (?:sig sjalv|himself|herself|themselves)\b"
    r"|\b(?:skada|skadar|hurt|hurts|harm) (?:sig sjalv|himself|herself|themselves)\b",
    "other_next_time": r"\b(?:nasta gang|next time)\b(?:\s+\w+){0,2}\s+(?:gor|gora|does|will do|do) (?:hon|han|she|he|ja|jag|i)? ?(?:de|det|it)"
    r" (?:ordentligt|pa riktigt|properly|right|for real)\b",
    "other_last_days": r"\b(?:inte|int|not)\b(?:\s+\w+){0,4}\s+(?:klarar|klara|pallar|orkar|fixar|make it|last) (?:en|ett|another|one more) (?:vecka|dag|natt|week|day|night) (?:till|mer)?\b",
    "other_silent_after": r"\b(?:slutat svara|(?:har )?(?:inte|int) svarat|svarar (?:inte|int) (?:pa nat|pa nagot|langre|mer)?|stopped answering|not answering|isn t answering)\b"
    r"(?=.*\b(?:story|storyn|snap|snapen|inlagg|post|bild|rep|repet|forlat|sorry|hejda|goodbye|ikvall|tonight|sista|last)\b)"
    r"|\b(?:story|storyn|snap|inlagg|post|bild)\b(?=.*\b(?:slutat svara|svarar (?:inte|int)|(?:inte|int) svarat|stopped answering|not answering)\b)",
    "other_nothing_to_live": r"\b(?:han|hon|he|she|min \w+|my \w+)\b(?:\s+\w+){0,5}\s+(?:nothing to live for|inget att leva for|ingenting att leva for)\b",
    # round 12: not planning to live until a day; a picture of a bridge with "bye"; unaliving on stream
    "not_live_until": r"\b(?:inte|int|not)\b (?:tanker|ska|planerar|planning to|going to|gonna) (?:att )?(?:leva|finnas kvar|finnas|va kvar|vara kvar|be here|be alive|live)\b"
    r"(?:\s+\w+){0,2}\s+(?:till|until|to see)\b"
    r"|\b(?:tanker|ska|planerar|am planning|m planning) (?:inte|int|not) (?:att |to )?(?:leva|finnas kvar|va kvar|vara kvar|live|be here)\b(?:\s+\w+){0,2}\s+(?:till|until|to see)\b",
    "picture_with_bye": r"\b(?:bild|foto|pic|picture|photo)\w* (?:pa|of) (?:en |ett |a |the )?(?:bro|bron|bridge|tak|taket|roof|rals\w*|tracks|spar\w*)\b(?:\s+\w+){0,4}\s+(?:bye|hejda|hej da|farval|goodbye|forlat|sorry)\b",
    "unalive_other": r"\b(?:unalivar|unalive|unaliving) (?:sig|himself|herself|themselves)\b",
}
_CRISIS_ASK: dict[str, str] = {
    # "won't matter soon", a goodbye to everyone, leaving "for good", a grave emoji about oneself
    "matters_not_soon": r"\b(?:spelar|gor) (?:ingen roll|inget|nada) (?:snart|imorgon|imorn|efter ikvall)\b|\bwon ?t matter (?:soon|tomorrow)\b",
    "farewell_all": r"\b(?:hejda|hej da|adjo|farval|bye|goodbye) (?:allihopa|allesammans|everyone|everybody)\b"
    r"|\bha (?:de|det) (?:bra|gott) (?:allihop|allihopa|alla|allesammans)\b|\btake care (?:everyone|all of you|y all)\b"
    r"|\bsista (?:snapen|snappen|storyn|posten|inlagget)\b|\b(?:or|eller) (?:any|nan|nagon) (?:day|dag) (?:after|efter) (?:that|det|de)\b",
    # a game or a joke as life: "game over", "rage quitta för gott", "en bugg som borde patchas bort"
    "life_as_game": r"^(?!.*\b(?:ranked|spelet|the game|matchen|lobby|teamet|my team|mitt lag|servern)\b).*?\b(?:vill|want|wanna|wish|onskar)\b(?:\s+\w+){0,6}\s+(?:game over|rage ?quit\w*|quitta|uninstall)\b"
    r"|\brage ?quit\w* (?:\w+ )?(?:life|livet)\b|\b(?:mitt liv|my life|livet)\b(?:\s+\w+){0,4}\s+(?:save ?file|savefil)\b"
    r"|\b(?:livet|life)\b(?:\s+\w+){0,8}\s+(?:game over|rage ?quit\w*|quitta|uninstall|avsluta)\b"
    r"|\b(?:respawn)\b(?:\s+\w+){0,6}\s+(?:ingen|no|inte|never)\b|\b(?:ingen|no) respawn\b"
    r"|\b(?:bugg|bug|glitch)\b(?:\s+\w+){0,5}\s+(?:patchas bort|raderas|tas bort|deleted|removed|patched out)\b"
    r"|\bavsluta (?:skamtet|the joke)\b|\b(?:quitta|sova|somna|forsvinna|logga ut|disappear|sleep) (?:\w+ )?(?:for gott|for good)\b",
    # no end in sight but one; one more day or a life like this is too much (first person)
    "one_way_out": r"\b(?:ser|see) (?:inget|inte nat|no) (?:slut|end|way out)\b(?:\s+\w+){0,3}\s+(?:forutom|utom|except|but) (?:ett|en|one)\b"
    r"|\b(?:fixar|klarar|pallar|orkar) (?:inte|int) (?:\w+ )?(?:ett|en) (?:liv|dag|vecka|ar|natt) till\b"
    r"|\bvill (?:inte|int) (?:bli|fylla) \d{2}$|\b(?:inte|not) (?:somn|sleep) ?(?:trott|tired)\b",
    "gone_for_good": r"\binnan (?:ja|jag) (?:drar|gar|forsvinner) (?:for gott|for alltid)\b|\bbefore i (?:go|leave|disappear) (?:for good|forever)\b",
    "grave_emoji": r"\b(?:jag|ja|mig|mej|me|i|im)\b(?:\s+\w+){0,3}\s+emojigrav\b|\bemojigrav\b(?:\s+\w+){0,3}\s+(?:jag|ja|mig|mej|me|i|im)\b",
    # a question about how to die, how much, how high, whether it hurts: asked about at once
    "method_query": r"\b(?:minst smart\w*|least painful|painless\w*|smartfri\w*|utan att det gor ont)\b"
    r"|\b(?:snabbaste|quickest|fastest|sakraste|surest|enklaste|easiest|basta|best) (?:sattet|way) (?:att|to) (?:do|die|ta livet|end it|kill myself|hanga)\b"
    r"|\b(?:hur manga|how many|hur mycket|how much)\b(?:\s+\w+){0,3}\s+(?:behover man|man behover|behovs|ska man ta|kravs|does it take|do you need|would it take|to die|for att do)\b"
    r"|\b(?:gor|gör) (?:det|de) ont att (?:hanga|do|drunkna|hoppa|skjuta|skara|kvavas)\b|\bdoes it hurt to (?:hang|die|drown|jump|od|bleed)\b"
    r"|\b(?:hur hogt|how high|how far)\b(?:\s+\w+){0,6}\s+(?:hoppa|falla|jump|fall)\b(?:\s+\w+){0,6}\s+(?:ga|funka|racka|do|die|dor|work|enough)\b"
    r"|\b(?:vilken|which|vilket)\b (?:bro|bridge|hus|building|tak|roof|hushus|hoghus)\b(?:\s+\w+){0,4}\s+(?:hogst|hogsta|tallest|highest)\b"
    r"|\b(?:googlat|googled|sokt|searched|kollat)\b(?:\s+\w+){0,3}\s+(?:hur man gor|how to do it)\b|\bvet (?:hur|how) (?:nu|now)\b",
    # "idag e dagen", "today is the day", said as such
    "the_day": r"\b(?:idag|ikvall|inatt|today|tonight) (?:e|ar|is) (?:dagen|natten|the day|the night)\b"
    r"(?!\s+(?:for|da|nar|som|vi|till|med|of|when|we|i|to|att|ni)\b)",
    "hopelessness": _HOPELESS,
    # asking whether drinking or taking something kills: asked about, never guessed
    "lethal_question": r"\b(?:kan man|can you|can u|can one|dor man|do you die) (?:do|die|doo)? ?(?:av|of|from|by) (?:att )?"
    r"(?:dricka|ta|ata|svalja|drinking|taking|eating|swallowing|injicera|injecting)\b",
    # an intent to jump from somewhere not named as a height: asked about, never guessed
    "jump_from": rf"\b{_INTENT}\b(?:\s+\w+){{0,2}}\s+(?:hoppa|jump)\s+(?:ner |ut )?(?:fran|off|from)\b"
    r"(?!\s+(?:\w+\s+)?(?:tian|femman|trean|sjuan|trampolin\w*|hopptorn\w*|svikt\w*|diving board|high dive|the board))",
    "why_exist": r"\bvarfor (?:ja|jag) (?:ens )?(?:finns|lever|existerar)\b|\bwhy (?:do )?i (?:even )?(?:exist|live)\b",
    "nothing_left": r"\b(?:har|have) (?:inget|ingenting|nothing) kvar\b|\bnothing left\b|\borkar (?:inte |int )?en dag (?:till|mer)\b"
    r"|\bcan t do another day\b|\bcant do another day\b",
    "be_over": r"\bwant (?:it|everything|this|it all) (?:all )?to (?:end|stop|be over)\b|\blife is (?:pointless|meaningless)\b"
    r"|\b(?:ja|jag) vill (?:de|det)\b(?:\s+\w+){0,2}$|\bthinking about ending it\b|\b(?:gor|gora) (?:ja|jag) det sjalv\b"
    r"|\bvet (?:inte|int) om (?:ja|jag) orkar (?:leva|mer|langre)\b|\bvill (?:inte|int) (?:va|vara) har\b",
    "everything_end": r"\bvill (?:bara |ba )?(?:att )?allt ska (?:ta slut|sluta|va over|vara over)|\bwant (?:it all|everything) to (?:end|stop)"
    r"|\b(?:disappear|forsvinna)\b(?:\s+\w+){0,1}\s+(?:for|for) (?:alltid|gott|good|ever|real)\b|\b(?:vill|want to|wanna) (?:\w+ )?disappear\b",
    "way_out": r"\b(?:enda (?:vagen ut|utvagen|losningen)|only way out|ingen utvag)\b(?!\s+(?:ur|fran|from|out of))"
    r"|\b(?:bara|only) (?:finns )?(?:en|one) (?:vag|way) ut\b(?!\s+(?:ur|fran|from|out of))|\bwhat s the point\b|\bwhats the point\b"
    r"|\b(?:e|ar|i m|im) done (?:for real|for good)\b|\bthinking about\b(?:\s+\w+){0,4}\s+" + _MEANS + r"\b|\btanker (?:\w+ )?pa\b(?:\s+\w+){0,3}\s+" + _MEANS + r"\b",
    "thanks_for_everything": r"\b(?:tack for allt|thank you for everything|thanks for everything)\b(?!.*\b(?:hjalpte|helped|ha de bra"
    r"|ha det bra|vi hors|see you|bye|hejda|snacka)\b)",
    "weapon_access": r"\b(?:vet|know|hittat|found)\b (?:var|vart|where)\b(?:\s+\w+){0,3}\s+(?:har|keeps|hides|forvarar|gommer|lagger)\b"
    r"(?:\s+\w+){0,2}\s+(?:\w*bossa\w*|\w*gevar\w*|vapnet|vapen|vapenskap\w*|pistol\w*|gun|rifle|shotgun|hunting rifle)\b",
    "rumination_means": r"\b(?:\w*bossa\w*|jaktgevar\w*|gevar\w*|vapnet|pistol\w*|repet|tabletter\w*|bron|spar\w*)\b(?:\s+\w+){0,8}\s+(?:tanker pa (?:de|det)"
    r"|thinking about it)\b",
    "plan_ready": r"\b(?:min|my) plan (?:e|ar|is) (?:klar|fardig|ready|set|done)\b",
    "pet_rehomed": r"\b(?:nan|nagon|someone|anyone) (?:som )?(?:kan )?(?:ta|take|ta hand om|take care of|look after) (?:min|mitt|my) (?:hund|katt|kanin|dog|cat|rabbit|hamster)\b",
    "why_woke": r"\bvarfor (?:vaknade|vaknar) (?:ja|jag)\b|\bwhy did i (?:even )?wake up\b",
    "tried_recently": r"\b(?:forsokte|forsokt|tried) (?:ju |ba |bara |it )?(?:igar|inatt|i natt|yesterday|last night)\s*$",
    "give_my_things": r"^(?:ge|give) (?:min|mitt|mina|my)\b(?:\s+\w+){1,4}\s+(?:till|to)\b",
    "first_and_last": r"\b(?:forsta (?:och|o) sista|first and last)\b",
    "means_named": rf"\b{_I}\b(?:\s+\w+){{0,5}}\s+{_METHOD_VERB}\b",
    "do_it_tonight": rf"(?<!\bvad kan man )(?<!\bvad ska man )(?<!\bvad ska vi )(?<!\bvad kan vi )(?<!\bvad gor man )"
    rf"(?<!\bva kan man )(?<!\bva ska vi )(?<!\bvad kan ni )(?<!\bvad ska ni ){_DO_IT}(?:\s+\w+){{0,3}}\s+{_TIME}\b",
    "self_harm_word": r"\b(?:skar|skara|skarsar|skarit|cutting|cut myself|cuts)\b",
    "earlier_attempt": r"\b(?:forsokt|forsokte|forsok) (?:\w+ ){0,3}(?:ta livet|do|att do)|\btried to (?:end|kill)",
    # round 11: a question about what kills, how long it takes, what happens to the body, or whether a means "is
    # enough"; asked about, never guessed: the direct question is the answer
    "lethal_how": r"\b(?:hur lang tid tar (?:det|de) att|how long does it take to) (?:forbloda|do|die|bleed out|kvavas|drunkna|drown|suffocate)\b"
    r"|\bforbloda\w*|\bbleed out\b|\b(?:frysa|fryser|frose|freeze|freezing) ihjal\b(?=.*\b(?:man|jag|ja|you|i)\b)(?!.*\b(?:ute|out|idag|today)\b)|\bfreeze to death\b"
    r"|\b(?:hur lange|how long) (?:overlever man|kan man overleva|can you survive|do you survive|would you survive)\b"
    r"|\b(?:vad hander|what happens)\b(?:\s+\w+){0,3}\s+(?:om man|if you|if i|om (?:ja|jag)) (?:hanger sig|hanger mig|hangs?|tar en hel|dricker (?:klorin|blekmedel|bleach))"
    r"|\b(?:satt|vag|way|ways) att (?:do|die)\b(?:\s+\w+){0,3}\s+(?:i somnen|utan|in (?:my|your|the) sleep|without)\b|\b(?:do|die) i somnen\b"
    r"|\b(?:dodlig\w*|lethal|deadly|dodar|kills|would kill)\b(?:\s+\w+){0,6}\s+(?:om man tar|if you take|ihop|together|en person|a person)\b"
    rf"|\b(?:hur manga|how many|vilka|which)\b(?:\s+\w+){{0,2}}\s+(?:{_PILLS}|mediciner|medicines|sleeping pills|somntabletter)\b(?:\s+\w+){{0,2}}\s+(?:dodar|kills|blir dodliga|are lethal|are deadly)\b"
    r"|\b(?:dricker|dricka|drink|drinking|svaljer|swallow|swallowing)\b (?:\w+ )?(?:klorin|blekmedel|bleach|rattgift|rat poison|frostskydd\w*|antifreeze|t ?rod|lampolja)\b"
    r"|\b(?:knyta|knyter|knyter man|tie|tying|make) (?:\w+ )?(?:snara|snaran|noose)\b"
    r"|\b(?:tillrackligt|high enough|tall enough|hog nog|hogt nog)\b(?:\s+\w+){0,3}|\b(?:bro|bridge|tak|roof|hus|building|vaning|floor)\w*\b(?:\s+\w+){0,4}\s+(?:tillrackligt|high enough)\b"
    r"|\b(?:vilken|which) (?:vaning|floor) (?:racker|is enough)\b|\bhur fort (?:maste|behover|ska) (?:ett |en )?(?:tag|taget|bil|train)\b"
    r"|\b(?:komma|ta sig|ta mig|get) upp pa (?:taket|ett tak|tak|the roof)\b"
    rf"|\b(?:racker|enough)\b(?=.*\b(?:{_PILLS}|morfin|morphine|nagelsax|sax|rakblad|tabletter|emojigrav|sleeping pills)\b)"
    rf"|\b(?:{_PILLS}|morfin|morphine|nagelsax|rakblad|sleeping pills)\b(?:\s+\w+){{0,4}}\s+(?:racker|enough|kanske racker)\b",
    # a plan on a condition or a date: "om inte nåt ändras till söndag så gör ja det"
    "conditional_plan": r"\bom (?:inte|int|ingenting|inget|nothing)\b(?:\s+\w+){0,6}\s+(?:sa |da |then )?(?:gor (?:ja|jag)|i ll do|ill do|i do) (?:det|de|it)\b"
    r"|\bif nothing (?:changes|gets better)\b(?:\s+\w+){0,4}\s+(?:i ll|ill|i will|im gonna|i m gonna)\b",
    # a goodbye by its form: the last day, "say hi to the counsellor", writing for the last time, the death as calm
    "last_day": r"\b(?:sista dagen pa jorden|last day on earth|my last day alive|min sista dag)\b"
    r"|\b(?:eller|or) (?:nan|nagon|any) (?:dag|day) (?:alls|at all|mer|igen|again)\b"
    r"|\b(?:skriver|writing|write) (?:for )?(?:sista gang|sista gangen|the last time|for the last time)\b(?!\s+(?:idag|ikvall|for idag|today|tonight|ja fragar|jag fragar))"
    r"|\b(?:doden|death|att do|dying)\b (?:kanns|verkar|e|ar|feels|seems|sounds|is) (?:sa |so )?(?:lugn|skon|fin|befriande|peaceful|calm|nice|like a relief|okej|ok)\b",
    # to be with the dead again; "before I do something stupid"; "now it's my way"
    "join_the_dead_again": r"\b(?:vill|want to|wanna) (?:\w+ )?(?:vara|va|komma|be) (?:med|hos|with) (?:\w+ ){1,2}igen\b(?=.*\b(?:dod|doda|dog|dott|died|dead|himlen|heaven|graven)\b)",
    "before_something_stupid": r"\b(?:innan|before) (?:ja|jag|i) (?:gor|do|does) (?:nat|nagot|nagonting|something) (?:dumt|stupid|dumma)\b",
    "my_way_now": r"\b(?:inget|ingenting|nothing) (?:funkar|hjalper|works|helps)\b(?:\s+\w+){0,8}\s+(?:pa mitt satt|my way|mitt eget satt)\b",
    "weapon_key": r"\b(?:\w*gevar\w*|vapen\w*|pistol\w*|gun|rifle|\w*bossa\w*)\b(?:\s+\w+){0,6}\s+(?:vet|know) (?:var|vart|where) (?:nyckeln|koden|the key|the code)\b",
    "insurance_if_die": r"\b(?:forsakring\w*|insurance|livforsakring\w*)\b(?:\s+\w+){0,6}\s+(?:om|if) (?:man|jag|ja|i|you) (?:dor|do|die|dies|dead)\b",
    # round 12: might as well die; quick if one goes in front of the train; how long before someone finds one;
    # a day already chosen; a lethal dose; a rope that holds a person; "nothing of it is your fault"; call mum after;
    # waking up as a fail
    "thinking_of_act": r"\b(?:thinking|thought|tanker|tankt) (?:about|of|pa) (?:jumping|hanging|overdosing|ending it|doing it|att hoppa|att hanga mig|att gora det)\b(?:\s+(?:tbh|fr|ngl|rn|ikvall|tonight|now|nu))*\s*$",
    "might_as_well": r"\b(?:lika bra|might as well) (?:att )?(?:ja|jag|i) (?:dor|do|die|tar livet|kill myself|end it)\b",
    "quick_if": r"\b(?:e det|ar det|is it|e de) (?:snabbt|smartfritt|quick|painless|fast|sakert)\b(?:\s+\w+){0,3}\s+(?:om man|if you|if i|om (?:ja|jag))\b"
    r"|\b(?:hur lange|how long) (?:tar (?:det|de) )?(?:innan|before) (?:nan|nagon|someone|anyone|they) (?:hittar|finds?|find) (?:en|mig|one|me|you)\b"
    r"|\bom (?:nan|nagon|man|jag|ja|someone|you) tar\b(?:\s+\w+){0,5}\s+(?:hur lang tid|how long)\b"
    r"|\b(?:vad hander|what happens)\b(?:\s+\w+){0,3}\s+(?:om man|if you) (?:hoppar|jumps?) (?:fran|from|off)\b",
    "day_chosen": r"\b(?:redan|already) (?:valt|bestamt|picked|chosen|set) (?:en |a |the )?(?:dag|datum|date|day)\b",
    "lethal_dose_q": r"\b(?:dodlig\w*|lethal|deadly) (?:dos\w*|dose\w*|mangd|amount)\b"
    r"|\b(?:vilka|vilken|which) (?:\w+ )?(?:mediciner|medicin|tabletter|piller|pills|meds)\b(?:\s+\w+){0,2}\s+(?:e|ar|is|are) (?:dodlig\w*|lethal|deadly)\b",
    "rope_holds": r"\b(?:rep|repet|snara|snaran|rope|noose|balte|belt)\w*\b(?:\s+\w+){0,3}\s+(?:haller|holds|bar|klarar)\b(?:\s+\w+){0,2}\s+(?:en manniska|en person|a person|a human|my weight|min vikt|mig|mej)\b"
    r"|\b(?:haller|holds|bar|klarar) (?:\w+ ){0,2}(?:rep|repet|snara|snaran|rope|noose|balte|belt)\w* (?:en manniska|en person|a person|a human|min vikt|my weight)\b",
    "no_ones_fault": r"\b(?:ville|vill|wanted to|want to) (?:bara |just )?(?:saga|say|tell)\b(?:\s+\w+){0,3}\s+(?:inget|nothing|none)\b(?:\s+\w+){0,3}\s+(?:e|ar|is|was|var|va) (?:ert|ditt|your|nagons|anyone s) fel\b",
    "call_after": r"\b(?:ringa|ring|berätta for|beratta for|saga till|call|tell) (?:min|my) (?:mamma|pappa|mum|mom|dad|familj|family)\b(?:\s+\w+){0,2}\s+(?:efterat|afterwards)\s*$",
    "waking_a_fail": r"\b(?:om|if) (?:ja|jag|i) vaknar\b(?:\s+\w+){0,5}\s+(?:fail|misslyckande|synd|tyvarr|en fail)\b",
}
_DANGER_ASK: dict[str, str] = {
    "coming_back": r"\b(?:han|hon|dom|de|they|he|she)\b(?:\s+\w+){0,2}\s+(?:kommer|kmr|coming|comes|will come|ll come)"
    r" (?:tillbaka|back)\b|\b(?:hamta|hamtar|get|getting|fetch) (?:fler|more)\b",
    "looking_for_me": r"\b(?:letar|soker|vantar pa|looking for|waiting for|hunting) (?:efter )?(?:mig|mej|oss|me|us)\b",
    "know_where": r"\b(?:vet|hittat|know|found) (?:var|where) (?:jag|ja|vi|i|we) (?:bor|e|ar|live|am|are)\b",
    "help_alone": r"^(?:snalla |pls |please )?(?:hjalp|hjalp mig|help|help me|hjalp oss|sos)(?: (?:snalla|pls|please|nu))?$",
    "should_call": r"\b(?:ska|borde|should|shall) (?:vi|jag|ja|i|we) ringa (?:polisen|aina|112|ambulans\w*)\b"
    r"|\bshould (?:i|we) call (?:the police|112|the cops|an ambulance)\b",
    "circling": r"\b(?:kort|kor|korde) forbi (?:\w+ )?(?:tre|fyra|flera|\d+) ganger\b|\bcircling\b|\bkeeps driving past\b"
    r"|\b(?:ja|jag|i m|im) (?:springer|running)\b",
    "knocking": r"\b(?:knackar|bankar|knocking|banging)\b",
    "noise": r"\b(?:smaller|smallar|skriker|screaming|bangs|bang bang)\b",
    "hits_me": r"\b(?:han|hon|pappa|farsan|mamma|morsan|styvpappa|styvfar|dom|de|he|she|they|my dad|my stepdad|my mom)\b"
    r" (?:slar|sparkar|misshandlar|hits|beats|kicks|is hitting|is beating) (?:mig|mej|oss|me|us)\b",
    "forced_along": r"\b(?:tvingar|tvingade|tvingat|forcing|forced) (?:mig|mej|oss|me|us) (?:att |to )?(?:aka|folja med|ga|kora|hamta"
    r"|bara|ta|lamna|hoppa in|kliva in|komma|go|come|get in|drive|carry)\b",
    "bangs_counted": r"\b(?:small|smallde|smallt|pangade|banged)\b(?:\s+\w+){0,2}\s+(?:\d+|tre|fyra|fem|sex|flera|massa|many|several)"
    r"\s+(?:ganger|ggr|times|skott|shots)\b",
    "left_inside_with": r"\b(?:e|ar|is|s) (?:kvar|still) (?:darinne|inne|in there|inside)\b(?:\s+\w+){0,2}\s+(?:med|with) (?:honom|henne|dom|dem|him|her|them)\b",
    "wrote_help": r"\b(?:skrev|skickade|sms ade|texted|wrote|messaged) (?:bara |just |only )?(?:hjalp|help|sos)\b",
    "scared_now": r"\b(?:jatte |sa |so )?(?:radd|radda|skraj|scared|terrified)\b(?:\s+\w+){0,3}\s+(?:nu|just nu|now|right now)\b",
    # round 11: held and not let go; can't call or speak now; nowhere to run; made to leave with them; taken abroad
    "not_let_go": r"\b(?:later|slapper|lets|letting|will not let|won t let|wont let) (?:mig|mej|oss|me|us) (?:inte |int |not )?(?:ga|go|aka|leave|lamna|komma)(?: hem| home| harifran| harifran| harfran| out| ut)?\s*(?:$|[.,!])"
    r"|\b(?:later|slapper) (?:mig|mej|oss) (?:inte|int) (?:ga|aka|lamna|komma)(?: hem| harifran| ut)?\s*$",
    "cannot_call": r"\b(?:vagar|kan|can t|cant|dare not|don t dare|dont dare) (?:inte |int )?(?:ringa|prata|call|talk)\b(?:\s+\w+){0,8}\s+(?:rummet bredvid|hor mig|hora mig|hear me|next room|bredvid)\b"
    r"|\b(?:skicka|send) (?:nan|nagon|nagra|someone|somebody|help|hjalp)\b(?:\s+\w+){0,3}\s+(?:vagar|kan|can t|cant|dare)\b",
    "where_to_run": r"\b(?:vart|var|where) (?:ska|kan|should|can|do) (?:jag|ja|i|vi|we) (?:springa|fly|gomma mig|gomma oss|run|hide|go now)\b",
    "made_to_go_along": r"\b(?:sager|says|said|sa) (?:att )?(?:ja|jag|i) (?:ska|maste|must|have to|has to) (?:kliva av|folja med|aka med|hanga med|komma med|ga med|get off|come with)\b(?:\s+\w+){0,2}\s*(?:med (?:dom|dem|honom)|with them)?"
    r"|\b(?:dom|de|they) (?:e|ar|are) pa (?:bada|alla) (?:sidor|hall)\b|\bkan (?:inte|int) komma undan\b|\bcan t get away\b",
    "sent_abroad": r"\b(?:vill|want) (?:inte|int|not) (?:aka|to go|flyga|fly|gifta mig|to marry)\b(?=.*\b(?:flygplats\w*|hemlandet|airport|ikvall|tonight|nu|now|gifta|marry|last inne|locked)\b)"
    r"|\b(?:ska|maste|tvingas|have to|must) (?:\w+ ){0,4}gifta (?:mig|mej)\b(?=.*\b(?:last inne|inlast|vill inte|ikvall|locked|hemlandet)\b)",
    "on_my_stairs": r"\b(?:dom|de|han|they|he|killarna|brorsorna|broderna|bröderna|gubbarna)\b(?:\s+\w+){0,6}\s+(?:e|ar|is|are|star|vantar) (?:i|in|utanfor) (?:min|var|my|our) (?:trappa|trapphus|port|porten|stairwell|entrance)\b",
    "hiding_from": r"\b(?:gommer|hiding|hides) (?:sig|mig|mej|oss|himself|herself)\b(?:\s+\w+){0,3}\s+(?:for|from)\b",
}
_THREAT: dict[str, str] = {
    # an address posted with a weapon or a skull
    "address_marked": r"\b(?:adress|address)\b(?:\s+\w+){0,6}\s+(?:dodskall\w*|skull|vapen|pistol|kniv|gun|knife|weapon|emojigrav|sleep well|sov gott|sweet dreams)\b"
    r"|\b(?:dodskall\w*|skull|vapen|pistol|gun|knife|weapon)\b(?:\s+\w+){0,6}\s+(?:adress|address)\b",
    # they said they will come to our home
    "coming_home": r"\b(?:skrev|sa|sade|sager|said|wrote|texted|sms ade|hotade med) (?:att )?(?:dom|de|han|hon|they|he|she)?(?: ll)?"
    r" ?(?:ska|kommer|kmr|will|gonna|are coming|is coming|re coming)\b(?:\s+\w+){0,2}\s+(?:hem till|hit till|to) (?:oss|mig|mej|er|us|me|my|our)\b",
    # harm as the price of refusing: "de ska skada henne om hon inte gömmer saker åt dem"
    "harm_unless": r"\b(?:ska|kommer att|kommer|will|gonna|going to)\s+(?:skada|doda|skjuta|hugga|sla|hurt|kill|shoot|stab|beat)\s+(?:henne|honom|mig|mej|oss|dig|her|him|me|us|you)\b"
    r"(?:\s+\w+){0,4}\s+(?:om|if)\b(?:\s+\w+){0,2}\s+(?:inte|int|not|don t|dont|doesn t|doesnt|won t|wont)\b"
    r"|\bom (?:ja|jag|i) (?:inte|int)\b(?:\s+\w+){0,8}\s+(?:e|ar) (?:de|det) kort for (?:mig|mej)\b",
    # a price on someone: "den som tar han får 100k"; leavers "get buried"
    "bounty": r"\b(?:den som|whoever|the one who|anyone who) (?:tar|tar ut|dodar|skjuter|hittar|gets|kills|finds|takes out|smaller)\b"
    r"(?:\s+\w+){0,2}\s+(?:far|gets|kommer fa|will get)\b"
    r"|\b(?:avhoppare|golare|snitches|snitchar|quitters|de som hoppar av|dom som hoppar av|alla som hoppar av)\b(?:\s+\w+){0,2}"
    r"\s+(?:blir|ska|gets?|will be|kommer)\b(?:\s+\w+){0,1}\s+(?:begravd\w*|dod\w*|skjutn\w*|buried|killed|shot|dead|hittade)\b",
    # family watched: a picture of my little sister outside her school
    "family_watched": r"\b(?:bild\w*|foto\w*|photos?|pics?|pictures?|filmade|filmat|fotade|fotat|video)\b(?:\s+\w+){0,2}\s+(?:pa |of )?"
    r"(?:min|mitt|mina|my) (?:lill\w*|syster|bror|little \w+|mamma|mum|mom|son|dotter|daughter|sister|brother|barn|kids?)\b"
    r"(?:\s+\w+){0,6}\s+(?:utanfor|outside|vid|at|skolan|school|forskolan|hemma)\b",
    # a bullet, a casing left on my car or at my door
    "bullet_left": r"\b(?:kula|kulor|patron\w*|bullet|bullets|hylsa|hylsor|casing|shell casing)\b(?:\s+\w+){0,4}\s+(?:pa|i|on|in|at|under|vid)"
    r" (?:min|mitt|my|var|vart|our|the) (?:\w+ )?(?:bil|bilen|car|windscreen|windshield|vindrut\w*|dorr\w*|door|doorstep|trapp\w*|brevlad\w*"
    r"|letterbox|mailbox|balkong\w*|hus|house|porch)\b",
    "will_kill_me": r"\b(?:dom|de|han|hon|nan|nagon|nagra|killarna|ganget|natverket|typen|typerna|they|he|someone|people)\b"
    r"(?:\s+\w+){0,2}\s+(?:ska|kommer|kmr|tanker|vill|sa|sager|sagt|lovade|hotar|will|gonna|going to|want to|said|says|ll)"
    r"(?: att| they| he| dom)?(?:\s+\w+){0,1}\s+(?:doda|dod|skjuta|skjut|hugga|knivhugga|morda|ta livet av|ge sig pa"
    r"|spranga|kill|shoot|stab|murder|get|hurt|skada|slakta|blasa|smalla|ga pa)"
    r"\s+(?:mig|mej|oss|me|us|min familj|min bror|min mamma|min syster|mina syskon|lillebror|lillasyster|familjen"
    r"|my family|my brother|my mom|my mum|my sister|my little)\b",
    "threatened": r"\b(?:hotad|hotade mig|hotar mig|hotar oss|hotat mig|fatt hot|fick hot|dodshot|hotbrev|hot mot mig|hot pa snap"
    r"|threatened|threatening me|death threats?|threats? against me|threats? on snap|gront ljus pa mig|green light on me)\b"
    r"|\b(?:fatt|fick|got|received|fa) (?:\w+ ){0,2}(?:hot|threats|dodshot)\b",
    "they_said": r"\b(?:dom|de|they|nan|nagon|someone|han|he|folk|people|konto|kontot|account|nummer|number|profil|profile|okand\w*|unknown)\b(?:\s+\w+){0,4}\s+(?:sa|sager|sagt|said|says|skriver|skrev|wrote|told me|tells me"
    r"|threatar|hotar|hotade|lovade|sms ar|messaged|texted|posted)\b(?:\s+\w+){0,10}\s+(?:doda|dodar|dod|dead|klar|done|kort|next|nasta|skjut\w*"
    r"|shoot\w*|smaller|brinna|burn|branna|break my|straffas|ska bort|ska forsvinna|betala|pays|pay for it|ta mig|tar mig|hitta mig|find me|vanta pa mig|ses pa"
    r"|ska fa se|overleva|survive|ska do|kommer do|kmr do|begravs|begravas|begravd\w*|buried|gets buried|slut for mig|slut pa mig)\b",
    "know_where": r"\b(?:vet|vi vet|we know|they know|know) (?:var|where) (?:jag|ja|du|din|min|mina|u|you|i|my|your) ?(?:\w+ )?(?:bor|jobbar|gar|e|sover|pluggar|live|work|works|go|is|sleep|sleeps)\b"
    r"|\b(?:dom|de|they|han|he|vi|we|nan|nagon|someone)\b(?:\s+\w+){0,2}\s+(?:vet|know|knows) (?:var|vart|where|vilken|which)"
    r"(?:\s+\w+){0,3}\s+(?:bor|jobbar|pluggar|gar|tar|lives|works|studies|goes|takes)\b"
    r"|\b(?:vi|we) (?:vet|know) (?:vem|who) (?:du|you) (?:e|ar|are|re)\b",
    # a weapon shown or sent as a message: "skickar bilder på en kniv", "'var försiktig' o en kniv"
    "weapon_sent": r"\b(?:skickar|skickade|skickat|postar|postade|la upp|sends|sent|posted|kommenterade|commented)\b(?:\s+\w+){0,3}"
    r"\s+(?:bilder|bild|pics?|pictures?|photos?|video) (?:pa|of) (?:en |ett |a |sin |his |hans )?(?:kniv|pistol|vapen|puffra|gun|knife|weapon)\b"
    r"|\b(?:skrev|skriver|wrote|sa|said|commented|kommenterade)\b(?:\s+\w+){0,4}\s+(?:var forsiktig|watch your back|se upp|akta dig|tick tock)\b",
    # harm as the price of talking, testifying, quitting or refusing
    "if_you_talk": r"\b(?:om|if)\s+(?:\w+\s+){0,2}(?:vittnar|pratar|snackar|golar|berattar|lamnar|slutar|hoppar av|quit|quits|leave|leaves"
    r"|talk|talks|testify|testifies|snitch\w*|tell|tells|gar till polisen|goes to the police|go to the police)\b(?:\s+\w+){0,8}\s+"
    r"(?:hitta|doda|dodar|skada|skadar|skjuta|skjuter|slakta|ga pa|komma efter|kommer efter|hurt|kill|killed|find(?! out)|shoot|come after|branna|branner|burn|burns)\b"
    r"|\b(?:will be|ska|kommer) (?:killed|hurt|shot|dodas|skadas|skjutas)\b(?:\s+\w+){0,4}\s+(?:om|if)\b"
    r"|\bom (?:ja|jag|du|han|hon) (?:inte|int)\b(?:\s+\w+){0,6}\s+(?:sa )?(?:tar|dodar|skadar|skjuter|hugger) (?:de|dom)\b",
    "exposed": r"\b(?:lagt ut|la ut|posted|shared) (?:min|mitt|my) (?:adress|address|bild|face|namn|name|number|nummer)\b|\bgolare\b(?:\s+\w+){0,4}\s+(?:adress|address)"
    r"|\b(?:adress|address)\b(?:\s+\w+){0,6}\s+golare\b",
    "warning_sign": r"\bkula i (?:\w+ )?(?:brevlad\w*|postlad\w*)\b|\b(?:sent me|skickade|skickat|skickar|dom|they|someone|nan)\b"
    r"(?:\s+\w+){0,3}\s+(?:photo|picture|pic|bild|bilder) (?:of|pa) (?:my|our|min|mitt"
    r"|var|vart|mammas|pappas|my mum s|my mums|my moms|my mom s|my dad s|my dads) (?:\w+ )?(?:house|door|building|car|hus|dorr|port"
    r"|bil|bilen)\b|\bbullet in (?:my|our|the) (?:mailbox|letterbox)\b"
    r"|\bbild(?:er|erna)? pa (?:mammas|var|vart|min|mitt|vara) (?:dorr|hus|port|bil)\b|\bbild pa (?:en )?(?:pistol|vapen|kniv)\b(?:\s+\w+){0,3}\s+(?:min|my) (?:adress|address)\b|\b(?:adress|address)\b(?:\s+\w+){0,2}\s+(?:ligger ute|e ute|ar ute|is out|posted)\b|\b(?:photo|picture|pic) of (?:my|our) (?:house|door|building)\b"
    r"|\bsamma bil (?:utanfor|vid)\b|\bsame car (?:outside|by)\b|\b(?:bevakar|watching|following) (?:mig|me) for\b",
    "passive_harm": r"\bska (?:skjutas|dodas|straffas|fa betala|fa lida|ta stryk)\b|\b(?:will|gonna) (?:be shot|get shot|pay for|get hurt)\b"
    r"|\bannars (?:e|ar) (?:de|det|ja|jag|han|hon|lillebror|\w+) (?:kort|dod|klar|nasta|slut)\b|\bor (?:else|i m dead|im dead)\b"
    r"|\bbreak my legs\b|\b(?:e|ar) (?:ja|jag) (?:ett )?golare (?:o|och) (?:da|sen)\b|\b(?:i m|im) next\b|\bja e nasta\b",
    "taking_me": r"\b(?:tar|tas) (?:dom|de) mig\b|\bdom tar mig\b|\bthey(?: ll| will) get me\b|\bskicka (?:sina|his|hans) (?:boys|killar|grabbar)\b"
    r"|\b(?:i m|im|she s|he s|hon e|han e|du e|you re|ja e) (?:nasta|next)\b|\bthreats? pa\b",
    "hit_out": r"\b(?:hit out on|price on my head|pris pa mitt huvud|gront ljus|green light|bounty on me)\b|\bprislapp\w* pa (?:mig|mej|mitt huvud|oss|honom|henne|min \w+|mitt \w+)\b|\bharkors\w*|\bcrosshairs? on (?:me|my)\b|\bcome for (?:me|us|my)\b"
    r"|\bkomma efter (?:mig|mej|oss)\b|\b(?:ingen|no one|nobody) (?:lamnar|leaves) (?:\w+ ){0,2}(?:levande|alive)\b",
    # they will hurt me: "dom ska sticka mig nästa gång", "förrädare dör", "annars kommer dom till mitt jobb"
    "will_hurt_me": r"\b(?:dom|de|han|hon|killarna|dom andra|they|he)\b (?:ska|kommer att|kommer|kmr|gonna|will|is going to|are going to)"
    r" (?:\w+ )?(?:sticka|skjuta|hugga|knivhugga|doda|morda|slakta|sla ihjal|stab|shoot|kill|murder) (?:mig|mej|oss|me|us)\b"
    r"|\b(?:forradare|golare|snitches|rats|traitors) (?:dor|do|ska do|get stitches|die|end up dead)\b"
    r"|\b(?:sen|annars|then|or else|otherwise) (?:kommer|kmr|ska) (?:dom|de|han|they) (?:hem till|till|efter|after|to) (?:mig|mej|mamma|pappa|min|mitt|mina|oss|var|vart|my|our|me)\b"
    r"|\b(?:inte|int|aldrig|never|not) (?:kommer (?:att )?|will )?(?:ga|komma|kliva|walk|get|come) (?:hem |out )?(?:darifran|levande|alive)\b"
    r"|\b(?:dom|de|han|they)\b(?:\s+\w+){0,2}\s+ska (?:halsa pa|komma forbi|pay (?:me )?a visit)\b(?:\s+\w+){0,8}\s+(?:fattar|vet|forstar|know|understand|betyder|means)\b",
    "or_else": r"\b(?:annars|or else|otherwise)\b(?:\s+\w+){0,3}\s+(?:doda|doder|skjuter|hugger|skadar|skada|branner|kill|shoot|stab"
    r"|tar (?:dom |de )?(?:mamma|pappa|min|mitt|mina|dig|mig|henne|honom|lillebror|lillasyster)"
    r"|hurt|burn|dor|die)\b",
    # the short forms of "he'll", "she'll", "they'll" without the apostrophe: "hell kill me"
    "contracted_will": r"\b(?:hell|shell|theyll|he ll|she ll|they ll)\b (?:kill|shoot|stab|hurt|murder|get|burn) (?:me|us|my)\b"
    r"|\bska (?:sla|slå) ihjal (?:mig|mej|oss|min|mitt|mina)\b|\b(?:hotar|hotade|threatens|threatened) (?:att|to)\b(?:\s+\w+){0,8}"
    r"\s+(?:gora (?:mig|mej|oss) illa|skada|doda|hurt|kill)\b",
    # they know where or when the family is: "de vet vilken skola min lillasyster går i"
    "know_family": r"\b(?:vi vet|we know|(?:dom|de|dem|han|hon|they|he|she) (?:vet|know|knows))\b (?:vilken|vilket|which|when|nar|var|vart|where)"
    r"(?:\s+\w+){0,3}\s+(?:min|mina|mitt|din|dina|ditt|my|your)\s+(?:\w+ )?(?:syster|bror|lillasyster|lillebror|storasyster"
    r"|storebror|mamma|pappa|familj|barn|son|dotter|mormor|farmor|sister|brother|mom|mum|dad|family|kids|daughter)\b",
    # "skrev vi vet", "sent: we see you"
    "we_know": r"\b(?:skrev|skriver|sa|sade|sager|sms ade|skickade|wrote|texted|said|says|sent|fick|got|meddelande\w*|rostmeddelande\w*|dm)\b(?:\s+\w+){0,4}\s+"
    r"(?:vi vet|we know|vi ser dig|we see you|vi hittar dig|we ll find you|we will find you)\b",
    # told they will die: "folk säger att ja ska dö"
    "told_will_die": r"\b(?:sager|sa|sade|skriver|skrev|says|said|saying|told me|writes|wrote)\b(?:\s+\w+){0,3}\s+(?:att |that )?"
    r"(?:ja|jag|du|i|you|u) (?:ska|kommer att|kommer|kmr|will|gonna|is going to|am going to|are going to) (?:\w+ )?"
    r"(?:do|dodas|mordas|skjutas|die|be killed|get killed|get shot|bort)\b(?! (?:ensam|gammal|alone|old|av|of|i|till|pa|och|o)\b)",
    # dead if one talks or leaves: "om ja går till polisen e ja död"
    "dead_if": r"^(?!.*\b(?:uppsats\w*|prov\w*|lax\w*|inlamning\w*|homework|lararen|teacher|mamma|pappa|morsan|farsan)\b)"
    r".*\bom (?:ja|jag|du|i|you)\b(?:\s+\w+){0,3}\s+(?:gar till|pratar med|snackar med|ringer|vittnar|golar|berattar"
    r"|hoppar av|lamnar(?! in)|tell|talk to|go to|snitch|testify|leave)\b(?:\s+\w+){0,4}\s+(?:e|ar|blir|is|am|are|so) "
    r"(?:(?:ja|jag|du|i|you|i m|you re) )?(?:dod|dead|kort|done|borta)\b",
    # passive: "hon ska våldtas och dödas om hon vittnar"
    "harm_if_passive": r"\b(?:ska|kommer att|kommer|kmr) (?:\w+ )?(?:dodas|mordas|skjutas|knivas|huggas|valdtas|slas ihjal)\b"
    r"(?:\s+\w+){0,4}\s+(?:om|if)\b",
    # a picture of a weapon sent: "fick en bild på en pistol"
    "weapon_picture": r"\b(?:fick|fatt|got|received|skickade|skickat|sent)\b(?:\s+\w+){0,3}\s+(?:bild|bilder|foto|video|videon|pic|pics"
    r"|picture|photo|snap)\b (?:pa|av|of|med|with) (?:en |ett |a |some )?(?:\w+ )?(?:pistol\w*|vapen|gun|guns|kniv\w*|knife|knives"
    r"|machete|gevar\w*|bossa\w*|ammo|kulor|bullets)\b",
    # a deadline: "du har 48 timmar på dig", "a voice note saying i got 48 hours" (not a school deadline)
    "deadline": r"^(?!.*\b(?:uppsats\w*|prov\w*|lax\w*|inlamning\w*|assignment|homework|deadline|skolan|lararen|teacher)\b)"
    r"(?:.*\b(?:du har|you have|you got|u got|u have)\b|.*\b(?:saying|sa|sade|skrev|sager|says|said|wrote|texted)\b"
    r"(?:\s+(?:att|that))?\s+(?:i|ja|jag|i ve) (?:got|have|har)) (?:\d+|en|ett|tva|tre|fyra|fem|one|two|three|a) "
    r"(?:timmar|timme|dagar|dag|dygn|veckor|vecka|hours|hour|days|day|weeks|week|h)\b",
    # "du e död" / "du e nästa" sent or said; "ja e död om ja försöker"
    "you_are_dead": r"(?=.*\b(?:skrev|skriver|sa|sade|sager|fick|fatt|dm|sms|kommentar\w*|nr|nummer|meddelande\w*|wrote|texted"
    r"|said|says|message|from|fran|under)\b).*\b(?:du (?:e|ar) (?:dod|nasta)|you re (?:dead|next)|ur (?:dead|next))\b"
    r"(?! (?:for|to) (?:mig|mej|me|oss|us)\b)"
    r"|\b(?:ja|jag|i) (?:e|ar|m|am) (?:dod|dead) (?:om|if) (?:ja|jag|i)\b",
    # a deadline given: "dom gav mig två dar att fixa pengarna"; a veiled "annars vet du vad som händer"
    "deadline_given": r"\b(?:gav|ger|gett|gave|give|given) (?:mig|mej|oss|dig|me|us) (?:\d+|en|ett|tva|tre|fyra|fem|one|two|three|a)"
    r" (?:dar|dagar|dag|timmar|timme|veckor|vecka|dygn|days|day|hours|weeks)\b"
    r"|\bannars vet (?:ja|jag|du|ni|vi) (?:va|vad) som (?:hander|kommer handa)\b",
    # they will find me: "hans polare ska hitta mig när ja e ensam"
    "will_find_me": r"\b(?:dom|de|han|hon|polare\w*|polarna|killarna|ganget|gaenget|they|he)\b(?:\s+\w+){0,2}\s+(?:ska|kommer att"
    r"|kommer|kmr|will|gonna)\s+(?:hitta|fa tag pa|find|get) (?:mig|mej|me)\b(?! (?:en|ett|a) )",
    # "så dödar dom mig", "han dödar mig om ..."
    "kills_me_if": r"^(?!.*\b(?:studenten|betyg\w*|prov\w*|lax\w*|skolan|hem sent|stadar|stada|rummet)\b).*\bsa (?:dodar|skjuter|slar ihjal|hugger) (?:dom|de|han|hon|vi) (?:mig|mej|dig|oss)\b"
    r"|^(?!.*\b(?:studenten|betyg\w*|prov\w*|lax\w*|skolan|hem sent|stadar|stada|rummet)\b).*\b(?:han|hon|dom|de|they|he|she)"
    r" (?:dodar|skjuter|kills|shoots) (?:mig|mej|me)\b (?:om|if)\b",
    # "nästa gång e de lägenheten"
    "next_time": r"\bnasta gang (?:e|ar|blir) (?:de|det) (?:lagenheten|huset|du|dig|din \w+|er|oss|mig|hemma|er lagenhet)\b"
    r"|\bnext time (?:it s|its|it will be|it ll be) (?:you|your|the house|the flat|the apartment)\b",
    # watched since: "sen ja vittnade står det folk utanför huset på kvällarna"
    "watched": r"\b(?:star|stod|sitter|vantar|hanger) (?:det )?(?:folk|killar|nan|nagon|people|guys|en bil|bilar|samma bil)"
    r" (?:\w+ ){0,3}utanfor (?:huset|porten|lagenheten|min dorr|hemma|skolan|oss)\b",
    # "om du blockerar mig kommer jag hem till dig och då är det slut"
    "home_visit": r"\b(?:kommer|kmr|ska) (?:jag|ja|vi) hem till (?:dig|er)\b(?:\s+\w+){0,6}\s+(?:slut|dod|done|over|kort)\b",
    # round 11: called a rat who will die; "you have until Sunday"; a gun, a skull or a cross sent with my name or our door;
    # my name said at night or on a list; the family a target; something happens to mum; next in line; won't survive the
    # weekend; know where I live and will come; dead man walking; they'll bury me; burn the flat down; "vill åt mig"
    "rat_will_die": r"\b(?:ratta|rattor|rat|golare|snitch|tjallare)\b(?:\s+\w+){0,5}\s+(?:ska do|dor|ska dodas|kommer do|dies|die|will die|gonna die|get killed)\b",
    "until_day": r"\b(?:du har|you have|you got|har du) (?:tid )?(?:till|tills|until|till pa) (?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag|imorgon|imorn|ikvall|helgen|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|the weekend|\d+)\b",
    "marked_sent": r"\b(?:video|videon|bild|bilden|foto|fotot|film|klipp|brev|lapp|picture|photo|letter|note)\b(?:\s+\w+){0,6}\s+(?:laddar|loading|pistol|vapen|gun|dodskall\w*|skull|kors|cross)\b"
    r"(?=.*\b(?:mitt namn|my name|var port|vart hus|var dorr|our door|our house|min adress|my address|mig|me)\b)"
    r"|\b(?:mitt namn|my name)\b(?:\s+\w+){0,4}\s+(?:kors|cross|dodskall\w*|skull)\b",
    "name_at_night": r"\b(?:ringer|ringde|calls|called|samtal)\b(?:\s+\w+){0,6}\s+(?:sager|says|said|sa) (?:mitt namn|my name)\b"
    r"|\b(?:mitt namn|my name) (?:star|e|ar|is) pa (?:en|deras|their|a|the) (?:lista|list)\b",
    "family_target": r"\bmaltavl\w*|\b(?:is|are|am|m|re|s) (?:now )?(?:a )?(?:target|targets)\b(?! (?:audience|group|grupp))"
    r"|\b(?:hander|kommer hanna|happens|will happen) (?:nat|nagot|something) (?:med|with|to) (?:mamma|pappa|min|mina|mitt|my|familjen|syster|bror|lillebror|lillasyster)\b",
    "next_in_line": r"\b(?:e|ar|is|am|blir|m) (?:ja |jag |i |du )?(?:nasta|next) (?:pa tur|in line|to go|one)\b"
    r"|\b(?:att|that) (?:ja|jag|i) (?:e|ar|am|m) (?:nasta|next)\b",
    "wont_survive": r"\b(?:inte|int|not|won t|wont|aldrig) (?:kommer (?:att )?|ska |gonna |going to )?(?:overleva|survive|lever|live) (?:helgen|veckan|natten|lange|long|the weekend|the week|the night)\b",
    "know_where_coming": r"\b(?:vet|know|hittat|found)\b(?:\s+\w+){0,2}\s+(?:var|vart|where)\b(?:\s+\w+){0,3}\s+(?:boende|bor|lives?|lagenhet\w*|home|bo)\b"
    r"(?=.*\b(?:kommer|coming|ska|will|gonna|hittar|find)\b)",
    "dead_man_walking": r"\bdead man walking\b|\b(?:ska|kommer (?:att )?|kmr) begrava (?:mig|mej|dig)(?: snart)?\b(?!.*\bom\b)"
    r"|\b(?:far|fa) begrava (?:dig|mig|mej)\b",
    "burn_home": r"\b(?:branna ner|bränna ner|tanda eld pa|satta eld pa|burn down|set fire to)\b(?:\s+\w+){0,3}\s+(?:lagenhet\w*|hus\w*|hem\w*|bil\w*|house|home|flat|apartment|car)\b",
    "want_at_me": r"\b(?:vill at|are coming for|is coming for) (?:mig|mej|me|oss|us)\b",
    "will_shoot_me": r"\b(?:han|hon|dom|de|he|she|they|nan|kille\w*)\b(?:\s+\w+){0,3}\s+(?:ska|kommer|will|gonna|is going to)\b(?:\s+\w+){0,5}\s+(?:skjuta|shoot|knivhugga|stab|doda|kill) (?:mig|mej|me)\b",
    "find_family": r"\b(?:hittar|hitta|find|finds) (?:dom|de|they) (?:mina|min|mitt|my) (?:syskon|familj|mamma|pappa|bror|syster|siblings|family)\b",
    # round 12: "kört för mig" if I go; "you'll regret it"; messages every day that I'll die; a bullet in the mail;
    # count your days; "we'll burn"; "see you soon" with a gun; a bullet in me
    "done_for_if": r"\b(?:dom|de|han|they|he)\b(?:\s+\w+){0,3}\s+(?:sa|sager|said|says|skrev|wrote)\b.*\b(?:e|ar) (?:det|de) kort for (?:mig|mej)\b",
    "regret_it": r"\b(?:dom|de|han|hon|they|he|she)\b (?:sa|sager|said|says|skrev|wrote)\b(?:\s+\w+){0,3}\s+(?:att |that )?(?:ja|jag|i|du|you) (?:ska|kommer att|kommer|will|gonna|ll) (?:angra|regret) (?:det|de|it|dig|this)\b",
    "messages_will_die": r"\b(?:meddelande\w*|sms\w*|dm\w*|messages?|texts?|snaps?)\b(?:\s+\w+){0,5}\s+(?:att |that )?(?:jag|ja|i) (?:ska|kommer att|kommer|will|m gonna|am going to) (?:do|die|dodas|be killed)\b",
    "bullet_sent": r"\b(?:kula|kulor|bullet|bullets|patron\w*)\b(?:\s+\w+){0,4}\s+(?:brevlada\w*|kuvert\w*|mailbox|envelope|brev|dorr\w*|door)\b"
    r"|\b(?:brevlada\w*|kuvert\w*|mailbox|envelope)\b(?:\s+\w+){0,5}\s+(?:kula|kulor|bullet|bullets|patron\w*)\b",
    "count_days": r"\brakna (?:dina|era) dagar\b|\bcount your days\b|\byour days are numbered\b|\b(?:dina|era) dagar (?:e|ar) raknade\b",
    "we_will_burn": r"\b(?:lapp|brev|meddelande|message|note|letter|skrev|wrote)\b(?:\s+\w+){0,5}\s+(?:att )?(?:vi|ni|du|you|we|familjen|huset) (?:ska|kommer att|will|gonna) (?:brinna|burn)\b",
    "see_you_armed": r"\b(?:vi ses|see you|ses snart)\b(?:\s+\w+){0,3}\s+(?:pistol|kniv|vapen)\b",
    "bullet_in_me": r"\b(?:satta|satt|put|skjuta) (?:en )?(?:kula|bullet|kulor|bullets) (?:i|in) (?:mig|mej|me|dig|you|huvudet|skallen)\b",
}
# Not a safety situation by itself: a film, a game, the news; hyperbole; a parent's "kill".
_MEDIA = re.compile(
    r"\b(?:i filmen|filmen|i serien|serien|pa nyheterna|nyheterna|pa tv|i boken|boken|i spelet|spelet|i en film"
    r"|i en serie|i lat|laten|texten|drill|rappar|rapparen|video|videon|klipp|klippet|tiktok|youtube|netflix"
    r"|in the movie|movie|the film|a film|the show|tv show|series|episode|the news|in a game|the game|game|gaming"
    r"|song|lyrics|the book|a book|novel|essay|uppsats|skoluppgift|school project|roman|scen|scenen|scene|karaktaren|drillat\w*|rapptext\w*"
    r"|character|cs|cs2|boss fight|bossen|spelar(?! (?:ingen|nan|nagon) roll)|playing|raid\w*|discord|twitch|stream\w*|rust|lektion|skriver (?:en|pa en|pa) (?:lat|text|vers)|lektionen|lesson|class|forelasning|lecture|prevention|suicidprevention|podd|podcast"
    r"|documentary|dokumentar|dromde|drom|mardrom|nightmare|dreamt|dreamed|dream|pa mal|cod|warzone|fortnite|gta|valorant|csgo|cs go|pubg|apex|minecraft|roblox|fifa|schack|chess|uno|monopol|yatzy|kortspel|bradspel|board ?game"
    r"|track|drill track|romeo (?:och|o|and) juli\w*|hamlet|pa slutet av (?:boken|filmen|pjasen)|the ending"
    r"|(?:laser|lasa|read|reading) (?:\w+ ){0,2}(?:bok|boken|roman|novel|book|pjas\w*)|sasong\w*|season|novell\w*|short story|avsnitt\w*)\b"
)
_HYPERBOLE = re.compile(
    r"\b(?:dor av skratt|dog av skratt|skrattade ihjal|doda tiden|dodar tiden|dodar mig med|dying of laughter"
    r"|dying laughing|died laughing|killing time|kill time|this is killing me|killing me|dead tired|dodstrott"
    r"|dor av tristess|dor av hunger|svalter ihjal|(?<!man )fryser ihjal|bored to death|scared to death|dying to"
    r"|dor for att|hoppa av skolan|hoppa over|jump the queue|jump in|hoppa in|hoppa pa bussen|hoppa pa taget"
    r"|hoppa av bussen|hoppa av taget|hopp(?:a|ar|ade) av (?:i|vid|pa) |skjut(?:a)? upp|skjuter upp|sköt upp)\b"
    # hyperbole by its form: a thing "kills" me, dying of shame, "killed it", "shoot me a text"
    r"|\b(?:provet|prov|skolan|laxan|laxorna|jobbet|matten|traningen|tentan|den har|det har|de har|this|that|exam|school"
    r"|homework|work|the test)\b(?:\s+\w+){0,2}\s+(?:dodar|dodade|kills|killed|is killing|killing) (?:mig|mej|me)\b"
    r"|\b(?:do|dor|dog|die|dying|died|dead) (?:av|of) (?:skam|skratt|tristess|hunger|nyfikenhet|pinsamhet|embarrassment|laughter"
    r"|boredom|cringe)\b|\bcould die\b|\b(?:killed|kill|killing|dodade|dodar) (?:it|den|det|de|laten|scenen|the (?:stage"
    r"|dancefloor|game|test|exam))\b|\bshot (?:my|his|her|your|their) shot\b|\bshoot me a (?:msg|message|text|dm|line)\b"
    r"|\b(?:skulle|would) (?:doda|kill) for\b|\bdoda (?:vara |dina |sina )?darlings\b|\bmordisk\w*|\bmordande\b"
    r"|\bklipp(?:te|a|er)? (?:mig|mej|mitt har)\b|(?<!sa att )(?<!sager att )(?<!said )(?<!says )(?<!sa )\b(?:i m|im|i am|ja e|jag ar) (?:so |sa )?(?:dead|dod) (?:if|om|lol|lmao|haha"
    r"|that|this|at)\b|\b(?:i m|im) dead$|\b(?:skjuter|skjuta|shoot|shooting) (?:inte|int|not)\b"
    r"|\b(?:inte|int|not|dont|never|aldrig) (?:skjuter|skjuta|shoot)\b|\bskjut\w* (?:\w+ ){0,2}upp\b"
    # "döds-" as an intensifier, dead phones, dead tired, a song one would die for
    r"|\bdods(?:trott|trakigt|kul|snygg|bra|jobbigt|trist|skont|gott)\w*|\b(?:mobil\w*|telefon\w*|phone|batteri\w*|battery"
    r"|laptop|dator\w*|laddare)\b(?:\s+\w+){0,2}\s+(?:dod|dead)\b|\b(?:helt|so|sa|totally) (?:dod|dead)\b(?! inside| inuti)"
    r"|\b(?:magen|munnen|halsen|tungan|laparna|musklerna|mouth|throat|stomach|tongue|muscles)\b (?:\w+ )?(?:brinner|branns|burns|burning|is on fire)\b"
    r"|\b(?:thought|trodde) (?:i|ja|jag) (?:was|would|skulle) (?:gonna |going to )?(?:die|do)\b"
    r"|\bbrinner for (?!fan\b|helvete\b)|\b(?:brinner|burning|on fire) (?:i|pa|in|on) (?:mitt|min|mina|ditt|din|my|your) (?:\w+ )?"
    r"(?:flode|feed|chatt|story|insta|flow|tidslinje|timeline)\b|\bsom om (?:nan|nagon|someone|somebody) (?:dog|dott|hade dott|died)\b"
    r"|\bdod efter\b|\b(?:i d|id|i would) die for\b|\bslaps\b|\b(?:is|e|ar) (?:so )?fire\b|^(?:i m|im) dead\b(?! inside)"
    # schoolwork and chores are not life: "orkar inte me matten"
    r"|\b(?:orkar|pallar|klarar) (?:inte|int) (?:me |med )?(?:\w+ )?(?:matte\w*|skol\w*|lax\w*|prov\w*|jobb\w*|plugg\w*"
    r"|tranin\w*|stad\w*|diska|tvatta|mer (?:plugg|skola|prov))\b(?!(?:\s+\w+){0,4}\s+(?:allt|nat|livet|allting|everything)\b)"
    # a knife in the kitchen, a boss in a game
    r"|\bhemkunskap\w*|\bkitchen knife\b|\bcooking\b|\bfinal boss\b|\bheadshot\b"
    # a thing (a test, a bus, an essay) that "kills" me or will be my death
    r"|\b(?:exam|test|provet|tentan|presentation\w*)\b(?:\s+\w+){0,4}\s+(?:my funeral|min begravning)\b"
    r"|\b(?:dog|do|dor) nastan av\b|\b(?:nearly|almost) died (?:of|from)\b"
    r"|\b(?:\w*provet|\w*tentan|skolan|\w*laxan|\w*laxorna|essay\w*|uppsats\w*|bussen|\w*trafiken|jobbet|matten|projektet"
    r"|presentation\w*|this (?:essay|exam|week|class|test|project)|the bus)\b(?:\s+\w+){0,4}\s+(?:tar|tog|ta|tagit)"
    r" (?:livet|kal) (?:av|pa) (?:mig|mej)\b|\b(?:bli|blir) min dod\b|\b(?:rather die|hellre do) (?:than|an)\b"
    r"|(?<!saying )(?<!says )(?<!said )(?<!wrote )\b(?:i m|im|ja e|jag ar) (?:literally |typ |lowkey )?dead\b(?! inside)|\b(?:kan|could) (?:morda|doda|kill) for\b"
    r"|\b(?:ja|jag) (?:ska|kmr|kommer|svar (?:ja|jag) (?:ska|kmr|kommer)) (?:\w+ )?(?:doda|morda|strypa|slakta) (?:min|mitt) (?:lillebror"
    r"|lillasyster|bror|syster|brorsa|syrra)\b|\b(?:i m|im|i am|i ll|ill) (?:gonna |going to )?kill (?:my|him|her) (?:little |big )?(?:sister|brother|sis|bro|mum|mom|dad)\b(?=.*\b(?:took|stole|ate|used|again|broke|lost)\b)|\b(?:skot|skjot|skjuter|shot|shoots) (?:\w+ ){0,3}(?:skott|bollen|mal|malet|krysset"
    r"|straff|ball|goal)\b|\bfyrverkeri\w*|\bfireworks\b|\b(?:skamtade|skamtar|joked|joking) (?:om|about)\b"
    # sport: a score, a shot "like a god", a cup lost
    r"|\b\d+ ?- ?\d+\b(?:\s+\w+){0,3}\s+(?:i|in|mot|against)\b|\bsom en gud\b|\blike a god\b|\bvattenpistol\w*|\bwater ?guns?\b|\bemojin\b"
    r"|\b(?:forlorade|forlorat|lost|dog|died|torskade|clapped)\b(?:\s+\w+){0,6}\s+(?:i |in )(?:minecraft|fortnite|fifa|ranked|gta|cs|roblox|valorant|spelet|the game|matchen)\b"
    r"|\b(?:i|in) (?:gta|fortnite|minecraft|cod|warzone|valorant|spelet|the game)\b(?:\s+\w+){0,8}\s+(?:jagar|chasing|chase|skjuter|shoots|dodar|kills|forlorade|forlorat|lost)\b|\b(?:fran|from) distans\w*\b|\btrepoang\w*"
    r"|\bbombade (?:dom|dem|oss|them)\b|\bbombnedslag i\b|\b(?:akte|aker|flog|aka) ur (?:\w+ )?(?:cupen|serien|allsvenskan|slutspelet|cup)\b"
    r"|\b(?:torskade|forlorade|lost) (?:\w+ ){0,2}(?:matchen|derbyt|finalen|the match|the game|the final)\b"
)
# a joke marker in the text itself (folding removes emoji): "💀", "😂", "lol", "lmao"
_JOKING = re.compile(r"[\U0001F480\U0001F602\U0001F923\U0001F639\U0001F606\U0001F605\U0001F643\U0001F4AA\u26BD\U0001F624]"
                     r"|\b(?:lol|lmao+|lmfao+|haha\w*|hehe|xd|jk|skamt|skamtar|skämt|skämtar|just kidding)\b", re.IGNORECASE)
_TRIVIAL_CAUSE = re.compile(
    r"\b(?:betyg\w*|f i \w+|an f\b|ett f\b|ett e\b|prov\w*|matte\w*|laten|låten|song|skor|skorna|shoes|fifa|matchen|match|lose|forlorar|torskar"
    r"|thailand|sommarlov\w*|charger|laddare\w*|regnet|the rain|wifi|hora (?:den|det)|hear (?:that|this)|en gang till|one more time"
    r"|glass\w*|soppa\w*|switch|hoodie|trojan|godis\w*|pizza\w*|ice cream|soup)\b"
)
_CONDITION_OR_WISH = re.compile(r"\b(?:om|if|nar|when|for att|because|cuz|bc|every time|varje gang|vill bara forsvinna|wanna die|vill do|tar livet av|vill typ)\b")


def _hyperbole(folded: str) -> bool:
    """A figure of speech: the fixed forms, or a joke about a trivial cause ("hoppar från
    balkongen om ja måste höra den låten en gång till haha"); a joke alone is asked about."""
    return bool(_HYPERBOLE.search(folded) or (_JOKING.search(folded) and _TRIVIAL_CAUSE.search(folded)
                                              and _CONDITION_OR_WISH.search(folded)))


# wanting to live, a normal life; a wish negated: no alarm from the classifier
_LIFE_WISH = re.compile(
    r"(?<!inte )(?<!int )(?<!not )\b(?:vill|want|wanna) (?:bara |ba |just )?(?:ha |have |leva |live )?(?:ett |a )?"
    r"(?:vanligt|normalt|normal|lugnt|bra|good|calm) (?:liv|life)\b|\b(?:vill|want to) (?:bara |ba |just )?ma battre\b"
    r"|\b(?:vill|want to|wanna) (?:inte|int|not|never) (?:do|die|ta livet)\b|\b(?:dont|don t|do not) want to die\b"
    r"|\b(?:aldrig|inte|never) (?:haft|had) (?:\w+ )?(?:sjalvmord\w*|suicid\w*|suicidal)"
)
_PARENT_KILL = re.compile(
    r"\b(?:mamma|pappa|morsan|farsan|mamman|pappan|min mamma|min pappa|mina foraldrar|foraldrarna|syrran|brorsan"
    r"|lillasyster|lillebror|storasyster|storebror|syster|bror|kompis|kompisen|tjejen|flickvan|pojkvan|sister|brother"
    r"|gf|bf|girlfriend|boyfriend"
    r"|mom|mum|dad|my mom|my mum|my dad|my parents|my sister|my brother|teacher|laraen|lararen|coach|tranaren"
    r"|farmor|mormor|farfar|morfar|grandma|grandpa|nana)\b"
    r"(?:\s+\w+){0,3}\s+(?:kommer|kmr|ska|will|gonna|is going to|s gonna)\s+(?:att )?(?:doda|kill|mörda|morda|slakta|skjuta|shoot|strypa|strangle|ta livet av)\s+(?:mig|mej|me)\b"
)
_QUESTION_ABOUT_LAW = re.compile(  # and "what if" questions: about consequences, not danger now
    r"\b(?:vad hander om|va hander om|vad hade hant om|va hade hant om|what happens if|what would happen if"
    r"|(?:e|ar) (?:de|det) (?:mitt fel|dumt|olagligt)|is it (?:my fault|stupid|illegal)|olagligt|lagligt|vad ska man gora om"
    r"|what should (?:i|you|one|we) do if|count as a weapon|raknas som (?:ett )?vapen|legal|knife length|knivlangd|tillatet|straffet|straff for|fangelse for|hur lange (?:kan man )?(?:aker|hamnar|far)"
    r"|illegal|legal to|against the law|boter|blir (?:de|det) boter|fined|a fine|how long (?:do you|would i) get|what s the sentence|knivlagen|vapenlagen)\b"
)
_FIRST_PERSON_NOW = re.compile(
    r"\b(?:jag|ja|im|i m|i am)\b(?:\s+\w+){0,3}\s+(?:nu|just nu|ikvall|inatt|now|right now|tonight)\b"
    r"|\b(?:nu|just nu|now|right now)\b(?:\s+\w+){0,3}\s+(?:jag|ja|i m|im)\b"
)

_CONCEPT_RE = {name: re.compile(p) for name, p in _CRISIS_CONCEPTS.items()}
_CRISIS_ASK_RE = {name: re.compile(p) for name, p in _CRISIS_ASK.items()}
_DANGER_ASK_RE = {name: re.compile(p) for name, p in _DANGER_ASK.items()}
_THREAT_RE = {name: re.compile(p) for name, p in _THREAT.items()}
_OTHER_AT_RISK_RE = {name: re.compile(p) for name, p in _OTHER_AT_RISK.items()}


def _first(regexes: dict[str, re.Pattern[str]], folded: str) -> str | None:
    return next((name for name, regex in regexes.items() if regex.search(folded)), None)


_STRONG_MEDIA = re.compile(
    r"\b(?:sasong|season) \d+\b|\b(?:skriver|writing|skrev|wrote) (?:en|a|pa en|on a) (?:novell|short story|berattelse|story|bok|book|roman|novel|manus|script)\b"
    r"|\b(?:vilken|which) (?:lat|song|track) (?:e|ar|is) (?:de|det|it|that) (?:som|that)\b|\b(?:lat|laten|song|track)\b(?:\s+\w+){0,3}\s+som gar\b"
    r"|\b(?:sag|kollade|watched|saw|tittade pa) (?:en|a|the|pa en) (?:film|serie|movie|show|dokumentar|documentary)\b(?:\s+\w+){0,2}\s+(?:dar|where|om|about)\b|\b(?:track|song|lat|laten|verse|versen|line) (?:that goes|som gar|dar (?:han|hon) sager)\b|\b(?:i|in) (?:the |a |en |ett |den |det )?(?:\w+ )?(?:filmen|film|movie|serien|series|show|avsnittet|episode|spelet"
    r"|game|boken|book|laten|song|videon|video|klippet|clip)\b|\bnetflix\b|\bhbo\b|\bseries\b|\bepisode\b"
)
_FIRST_PERSON = re.compile(r"\b(?:jag|ja|mig|mej|min|mitt|mina|im|i m|i am|i ve|i ll|me|my)\b")
_THIRD_PERSON = re.compile(r"\b(?:han|hon|karaktaren|character|he|she|nan|nagon|someone|huvudpersonen)\b")


_ALL_OF_IT = re.compile(r"\b(?:allt|alla|all|everything|efterat|afterwards)\b")
_SENT_TO_ME = re.compile(r"\b(?:skickade|skickat|skickar|sent|sends|fick|got|postade|posted) (?:mig |me |oss |us )?(?:en |a |ett )?"
                         r"(?:video|videon|klipp|bild|bilder|pic|pics|photo|photos)\b")


# a post or a message saying someone will do it: "har skrivit på tiktok att han ska ta livet av sig idag"
_POSTED_INTENT = re.compile(r"\b(?:skrivit|skrev|skriver|postat|postade|posted|wrote|writes|lagt ut|la ut|snappat|snappade)\b"
                            r"(?:\s+\w+){0,4}\s+(?:att|that) (?:han|hon|jag|ja|he|she|i) (?:ska|tanker|kommer|will|is going to|gonna)\b")


def _not_about_self_now(folded: str) -> bool:
    """A film, game, song, dream or hyperbole, with nothing saying it is the writer's own now
    ("skickat låten ja vill ha på min begravning" is about the writer; "i filmen hoppar han" not)."""
    if _hyperbole(folded):
        return True
    if _POSTED_INTENT.search(folded):
        return False
    if _STRONG_MEDIA.search(folded) and not _FIRST_PERSON_NOW.search(folded):
        return True
    if not _MEDIA.search(folded) or _FIRST_PERSON_NOW.search(folded) or _SENT_TO_ME.search(folded):
        return False
    return not _FIRST_PERSON.search(folded) or bool(_THIRD_PERSON.search(folded))

_CRISIS_RE = {name: re.compile(p) for name, p in _CRISIS_PATTERNS.items()}
_EMERGENCY_RE = {name: re.compile(p) for name, p in _EMERGENCY_PATTERNS.items()}


@dataclass(frozen=True)
class SafetyMatch:
    """What the net found: the intent, how sure, and the rule that fired (never the text)."""

    intent: str
    rule: str
    band: str = SURE

    @property
    def kind(self) -> str:
        """The dialogue's word for it (bot.safety_actions): crisis, danger or threat."""
        return {CRISIS: "crisis", EMERGENCY: "danger"}.get(self.intent, "threat")


# a cut finger in the school kitchen, "by accident": an injury, no self-harm
_ACCIDENT = re.compile(r"\b(?:i fingret|i tummen|my finger|my thumb|inget farligt|av misstag|by accident|hemkunskap\w*"
                       r"|pa ett papper|on (?:a |some )?paper|paper cut|frityr\w*|stekpann\w*|the oven|ugnen|stryk\w*|skar av mig fingret|nastan skar"
                       r"|when cooking|nar (?:ja|jag) lagade)\b")
_SELF_HARM_RULES = {"sv_self_harm", "en_self_harm", "self_harm_done", "self_harm_word", "self_harm_again"}
# "inte hotad eller nåt": a threat denied
_THREAT_DENIED = re.compile(r"\b(?:inte|int|not|never|aldrig|inga|no|inget) (?:\w+ )?(?:hotad\w*|hot|threatened|threats?)\b")
_WORD_ONLY = {"sv_suicide_word", "en_suicide"}  # the word itself, which people also use about others
_ABOUT_ME = re.compile(r"\b(?:jag|ja|jaa|mig|mej|min|mina|mitt|i|im|i m|me|my|myself|har|have|had)\b")
_NEVER_BEFORE = re.compile(r"\b(?:aldrig|inga|inte|never|no|not)\b(?:\s+\w+){0,2}\s*$")


def _crisis_rule(folded: str) -> str | None:
    """The first fixed crisis phrase that matches; a mention of the word "självmord" alone
    (a lesson, a film, "aldrig haft självmordstankar") is left to `_word_only`."""
    for name, regex in _CRISIS_RE.items():
        for match in regex.finditer(folded):
            before = folded[: match.start()]
            if name in _WORD_ONLY:
                continue
            if name in _THREAT_SHAPED and _THIRD_PERSON_BEFORE.search(before):
                continue  # "dom ska ta livet av mig": a threat, judged by the emergency rules
            if name in _HYPERBOLE_SENSITIVE and _hyperbole(folded):
                continue  # "matteprovet tog livet av mig", "åkte ur cupen, vill dö": a figure of speech
            if name in _NEGATION_SENSITIVE and _NEGATED_BEFORE.search(before):
                continue
            if name in _SELF_HARM_RULES and _ACCIDENT.search(folded):
                continue
            return name
    return None


def _emergency_rule(folded: str) -> str | None:
    now_said = bool(_NOW_WORD.search(_CALM_NOW.sub(" ", folded)))  # "now" that is not "calm now"
    past = _PAST_OR_FICTION.search(folded) and not now_said
    if past or _PARENT_KILL.search(folded) or _QUESTION_ABOUT_LAW.search(folded) or _over_or_topic(folded):
        return None
    if _not_about_self_now(folded) or _WORRY.search(folded):
        return None
    if _CALM_NOW.search(folded) and not now_said:
        return None  # "blev jagad i helgen men kom hem lugnt": over, and said to be over
    for name, regex in _EMERGENCY_RE.items():
        if regex.search(folded):
            if name in _EVERYDAY_DANGER and _EVERYDAY_ACTIVITY.search(folded):
                continue
            if name == "after_me" and _NOBODY_AFTER_ME.search(folded):
                continue
            if name == "threat_now" and _THREAT_DENIED.search(folded):
                continue  # "om man inte är hotad just nu men var det förut"
            if name == "sv_call_112" and _HOW_112.search(folded) and not now_said:
                continue  # "hur funkar det att ringa 112?", a school task about it
            return name
    return None


# how calling 112 works, asked in general: "hur snabbt kommer polisen om nån ringer 112?"
_HOW_112 = re.compile(r"\b(?:hur (?:snabbt|fort|lang tid|lange|funkar|fungerar|gar)|om (?:nan|nagon|man) ringer|fragar for"
                      r"|kan man (?:va|vara) anonym|how (?:fast|long|does|do you)|what happens when)\b")
# someone else (a friend, a brother, "han") at a means now: their life is in danger this minute,
# so the one who writes is told to call 112 first
_OTHER_SUBJECT = re.compile(
    r"^(?:\w+ )?(?:min|mitt|my|var|vart|our|en|a) (?:\w+ )?(?:kompis|polare|bror|brorsa|syster|syrra|kusin|van|flickvan"
    r"|pojkvan|son|dotter|friend|mate|brother|sister|cousin|girlfriend|boyfriend|daughter|klasskompis|elev|lillebror|lillasyster"
    r"|storebror|storasyster|mamma|pappa|mum|mom|dad|little brother|little sister)\b|^(?:han|hon|he|she)\b")
_OTHER_AT_MEANS = {"concept_means_present", "concept_with_means", "concept_means_held", "concept_other_at_height"}
_AT_PLACE = re.compile(rf"\b(?:star|sitter|e|ar|is|s|on|at|by|vid|uppe pa|pa vag till|going to|ligger|walk into|gar mot)\b"
                       rf"(?:\s+\w+){{0,4}}\s+(?:{_HEIGHT}|{_WATER}|{_TRAFFIC}|{_COMPOUND}|the water|the tracks)\b")
_NOT_SEEN_AGAIN = re.compile(r"\b(?:kom (?:inte|int) upp|ser (?:honom|henne) (?:inte|int)|didn t come up|can t see (?:him|her)"
                             r"|hittar (?:honom|henne) (?:inte|int))\b")
# "nobody is after me, just bills": the danger denied
_NOBODY_AFTER_ME = re.compile(r"\b(?:nobody|no one|noone|ingen|inte nan|inte nagon)\b(?:\s+\w+)?\s+(?:is|e|ar|are|s)\s+(?:after|efter)\b")
# a question about the law with a word of the law: "blir det böter?", not "what happens if I take 30"
_LAW_WORDS = re.compile(r"\b(?:boter|straff\w*|olagligt|lagligt|fangelse|atal\w*|domd|illegal|legal|fined?|sentence)\b")
# words quoted from a song, a film or a text one writes: judged without the quote
_QUOTED = re.compile(r"[\"\u201c\u201d\u00ab\u00bb][^\"\u201c\u201d\u00ab\u00bb]{2,300}[\"\u201c\u201d\u00ab\u00bb]")
# threats that stay threats when they came yesterday
_THREAT_STILL_NOW = {"address_marked", "harm_unless", "coming_home", "know_family", "we_know", "told_will_die", "dead_if",
                      "harm_if_passive", "weapon_picture", "deadline", "home_visit", "you_are_dead", "deadline_given",
                      "next_time", "watched", "kills_me_if"}


def _unquoted(text: str) -> str:
    """The text without quoted words when it names what they are quoted from (a song, a
    drill text, a film): 'lyrics: "ja e redo att dö" vad tycker ni?' is about the lyrics."""
    rest = _QUOTED.sub(" ", text)
    return rest if rest != text and _MEDIA.search(fold(rest)) else text


_EVERYDAY_DANGER = {"weapon_now", "weapon_holder", "help_they", "sv_help_now", "hiding", "fire_now", "sv_bleeding"}


def _word_only(folded: str, elsewhere: bool) -> SafetyMatch | None:
    """"Självmord"/"suicide" named: sure when it is about the writer, a question when unclear,
    nothing when it is a lesson, a film or "never had such thoughts"."""
    for name in _WORD_ONLY:
        match = _CRISIS_RE[name].search(folded)
        if not match:
            continue
        if elsewhere or _NEVER_BEFORE.search(folded[: match.start()]):
            return None
        return SafetyMatch(CRISIS, name, SURE if _ABOUT_ME.search(folded) else ASK)
    return None


def _over_or_topic(folded: str) -> bool:
    """Something over and said to be over, or a subject studied or worked with: the words of
    a crisis without the person being in one now."""
    over = _PAST_FRAME.search(folded) and _OVER_NOW.search(folded) and not _AGAIN.search(folded)
    topic = _TOPIC.search(folded) or (_ROLE.search(folded) and _GENERAL_QUESTION.search(folded))
    return bool(over or (topic and not _FIRST_PERSON_NOW.search(folded) and not _NOW_WORD.search(folded)))


def not_a_safety_context(text: str) -> bool:
    """A past event, a film or game, hyperbole, a parent's "kill", a question about the law:
    alarming words that by themselves are no safety situation (facts.md). The SafetyNet uses
    it to keep the classifier from raising an alarm the rules deliberately did not raise."""
    folded = fold(text or "")
    if _FIRST_PERSON_NOW.search(_CALM_NOW.sub(" ", folded)) and not _hyperbole(folded):
        return False
    past = _PAST_OR_FICTION.search(folded) and not _NOW_WORD.search(_CALM_NOW.sub(" ", folded))
    return bool(past or _not_about_self_now(folded) or _PARENT_KILL.search(folded)
                or _QUESTION_ABOUT_LAW.search(folded) or _LIFE_WISH.search(folded)
                or _NORMAL_QUESTION.search(folded) or _JOKING.search(text or "")
                or _over_or_topic(folded) or _EVERYDAY_ACTIVITY.search(folded))


# Emoji that name a means or a weapon (folding drops emoji): "🪢 i garderoben", "skrev ... o en 🔫"
_EMOJI_WORDS = str.maketrans({"\U0001FAA6": " emojigrav ", "\u26B0": " emojigrav ", "\U0001FAA2": " rep ", "\U0001F52B": " pistol ", "\U0001F52A": " kniv ",
                              "\U0001F48A": " tabletter ", "\U0001FA78": " blod "})


def _prepared(text: str) -> str:
    """The text as the rules read it: quotes from media dropped, means emoji named, folded."""
    return fold(_unquoted(text or "").translate(_EMOJI_WORDS))


def _concepts_text(folded: str) -> str:
    """"hoppa av" is leaving, not jumping: what the concept rules read."""
    return _LEAVE_GANG.sub(" lamna ", folded)


def _everyday_or_accident(rule: str | None, folded: str) -> bool:
    """A concept explained by everyday life (a move, a cooking knife) or a self-harm word
    that names an accident ("skar mig på ett papper")."""
    if rule in _EVERYDAY_CONCEPTS and (_EVERYDAY_REASON.search(folded) or _EVERYDAY_ACTIVITY.search(folded)):
        return True
    return bool(rule and rule.startswith("self_harm") and _ACCIDENT.search(folded))


def detect(text: str) -> SafetyMatch | None:
    """Return what a message must get: a safety intent (sure or "ask"), a threat, or None.

    Danger now wins over crisis when both match: 112 comes first, and the emergency answer
    is the one that has to be read in the first second. A sure crisis wins over a threat
    ("they'll kill me anyway so I'll jump first"), a threat over an unsure crisis signal.
    """
    folded = _prepared(text)
    if not folded:
        return None
    rule = _emergency_rule(folded)
    if rule:
        return SafetyMatch(EMERGENCY, rule)
    over_or_topic = _over_or_topic(folded)
    media_only = _STRONG_MEDIA.search(folded) and not _FIRST_PERSON.search(folded)  # "in the song he says ..."
    rule = None if over_or_topic or media_only else _crisis_rule(folded)
    if rule:
        return SafetyMatch(CRISIS, rule)
    if not (over_or_topic or _STRONG_MEDIA.search(folded) or _hyperbole(folded)):
        rule = _first(_OTHER_AT_RISK_RE, folded)
        if rule:
            return SafetyMatch(CRISIS, rule)
    calm_past = _PAST_OR_FICTION.search(folded) and _CALM_NOW.search(folded)
    elsewhere = bool(_not_about_self_now(folded) or calm_past or over_or_topic
                     or (_QUESTION_ABOUT_LAW.search(folded) and _LAW_WORDS.search(folded)))
    joking = bool(_JOKING.search(text))  # "lol": asked about, never ignored
    word = _word_only(folded, elsewhere)
    if word:
        return word
    concepts_text = _concepts_text(folded)
    if elsewhere and _CONCEPT_RE["deleting"].search(folded) and _ALL_OF_IT.search(folded) \
            and not _STRONG_MEDIA.search(folded):
        elsewhere = False  # "raderat insta snap tiktok allt": the person's own accounts, no media
    rule = None if elsewhere else _first(_CONCEPT_RE, concepts_text)
    if _everyday_or_accident(rule, folded):
        rule = None
    if rule and _OTHER_SUBJECT.search(folded) and ((f"concept_{rule}" in _OTHER_AT_MEANS and _AT_PLACE.search(folded))
                                                    or (rule == "means_act" and _NOT_SEEN_AGAIN.search(folded))):
        return SafetyMatch(EMERGENCY, "other_at_means_now")
    if rule:
        return SafetyMatch(CRISIS, f"concept_{rule}", ASK if joking else SURE)
    past = _PAST_OR_FICTION.search(folded) and not _NOW_WORD.search(_CALM_NOW.sub(" ", folded))
    rule = None if elsewhere or _PARENT_KILL.search(folded) else _first(_THREAT_RE, folded)
    if rule and past and rule not in _THREAT_STILL_NOW:  # a threat received yesterday is still one now
        rule = None if joking else next(
            (name for name, regex in _THREAT_RE.items() if name in _THREAT_STILL_NOW and regex.search(folded)), None)
    if rule == "threatened" and _THREAT_DENIED.search(folded):
        rule = None
    if rule:
        return SafetyMatch(THREAT, f"threat_{rule}")
    if elsewhere:
        return None
    rule = _first(_CRISIS_ASK_RE, concepts_text)
    if _everyday_or_accident(rule, folded):
        rule = None
    if rule:
        return SafetyMatch(CRISIS, f"ask_{rule}", ASK)
    rule = None if past or joking else _first(_DANGER_ASK_RE, folded)
    if rule:
        return SafetyMatch(EMERGENCY, f"ask_{rule}", ASK)
    return _run_together(folded)


def also_suicidal(text: str) -> bool:
    """A danger-now message that also speaks of suicide ("min son vill dö, han har låst in sig",
    "brorsan ska ta livet av sig, han har pappas gevär"): the dialogue that follows its 112
    answer keeps the suicide line in its answers."""
    folded = _prepared(text)
    return bool(_crisis_rule(folded) or _first(_OTHER_AT_RISK_RE, folded)
                or _first(_CONCEPT_RE, _concepts_text(folded)))


# words run together with no spaces: "jagvillintelevamer", "iwanttodie"
_RUN_TOGETHER = re.compile(
    r"(?:villintelev|villinteleva|orkarintelev|villintefinnas|villinteva|villbarado|villdo$|villdoo|tarlivetavmig|talivetavmig"
    r"|tamittliv|takemylife|killmyself|wanttodie|wannadie|endmylife)")


def _run_together(folded: str) -> SafetyMatch | None:
    """A long word that is a wish to die typed without spaces: sure, like the spaced form."""
    for word in folded.split():
        if len(word) >= 12 and _RUN_TOGETHER.search(word):
            return SafetyMatch(CRISIS, "run_together")
    return None


# --- answers inside the safety dialogue -----------------------------------------------------
# The classifier reads "ja", "nej", "vet inte" well, but not "nah i'm good", "ok ja",
# "No, he will not open the door" or "de spelar ingen roll". These read an answer, a "safe
# now" or a "not safe" statement; the dialogue uses them only while it waits for an answer.
_YES = re.compile(r"^(?:ja|jaa|jo|japp|jep|aa|a|ok|okej|oki|okay|yes|yeah|yea|yep|yup|yh|ye|sure|absolut"
                  r"|garna|gärna|snalla|please|pls|mm|mhm|visst|aywa|aiwa|eywa|haa|ha a)\b")
_YES_PHRASE = re.compile(r"\b(?:i d like that|id like that|i would like that|yes please|ja tack|ja garna|garna det"
                         r"|that d be good|that would be good|ja okej|yeah ok|ok ja)\b")
_NO = re.compile(r"^(?:nej|nä|na|nae|ne|nope|nah|no|inte nu|not now|icke|maya)\b|^la(?= ja | jag |$)"
                 r"|\b(?:nej tack|no thanks|no thank you|but not now|men inte nu|not really|inte riktigt)\b")
_UNSURE = re.compile(r"^(?:vet inte|vet int|ve inte|vetefan|idk|dunno|kanske|maybe|not sure|osaker|ingen aning|typ|kinda|sort of"
                     r"|no idea|h+m+|i don t know|i dont know|dont know|don t know|i dunno)\b|\bvad spelar (?:det|de) for roll\b"
                     r"|\bwhat does it matter\b|\bvet (?:inte|int) om (?:han|hon|dom|de|he|she|they) (?:gick|gatt|stack|drog|e kvar|ar kvar|left)\b"
                     r"|^(?:bror |bre |bro )?(?:bara |ba )?lamna mig\b|\bleave me alone\b|^(?:va|vad|what) (?:e|ar|is|betyder|does) (?:ens )?(?:sakert|saker|safe|sakerhet)\b|\b(?:spelar ingen roll|skit samma|doesn t matter|whatever|who cares"
                     r"|bryr mig inte|vet inte om (?:ja|jag) e)\b"
                     # a question back instead of an answer: "varför frågar du det", "why do u care"
                     r"|^(?:varfor|why) (?:fragar|undrar|bryr|asking|do (?:you|u) (?:care|ask|wanna know)|does (?:it|that) matter"
                     r"|would (?:you|u) care|spelar)\b|\bwhy (?:do|would) (?:you|u) care\b|\bspelar (?:det|de) (?:nan|nagon) roll\b")
_SAFE_NOW = re.compile(
    r"\b(?:(?:ja|jag|i m|im|i am) (?:e |ar |am )?(?:fortfarande |still |nog )?(?:hemma|home|safe|saker|i sakerhet|inne)"
    # help has come and everyone is out: "brandkåren e här", "aina e här nu", "alla ok", "ingen skadad"
    r"|(?:aina|polis|polisen|snuten|ambulans|ambulansen|brandkaren|brandkar|raddningstjansten|firefighters|fire brigade|paramedics)"
    r" (?:e|ar|is|are|har kommit|kom) (?:har|hit|framme|here|pa plats)|alla (?:e|ar|are) (?:ok|okej|okay|ute|safe)|ingen (?:e |ar |is )?(?:skadad|hurt)"
    r"|(?:aina|polisen|ambulansen|brandkaren|police|the police|the ambulance) (?:kom|har kommit|came|arrived)|(?:sitter|e|ar) i (?:polisbilen|ambulansen)"
    r"|(?:han|hon|he|she) (?:pratar|andas|talks|is talking|is breathing)"
    # at work or school with people around: "e på jobbet, kollegor runt mig"
    r"|(?:ja|jag|i m|im|i am|e|ar) (?:e |ar |am )?(?:pa|at) (?:jobbet|skolan|work|school|traningen)"
    r"|(?:kollegor|vanner|kompisar|folk|people|friends|familjen|family) (?:runt|omkring|around|med|with|hos) (?:mig|mej|me)"
    r"|(?:i m|im|i am|ja e|jag ar|ja ar|jag e) (?:ok|okej|okay|fine)"
    r"|(?:e|ar|am) (?:hemma|home|i sakerhet|safe)|hos (?:mamma|pappa|mormor|farmor|morfar|farfar|nan|en kompis|kompisen)"
    r"|at (?:my|a) (?:nan s|nans|mum s|mums|mom s|friend s|grandma s|gran s)|(?:mamma|pappa|mum|mom|dad|flatmate|min kompis)"
    r" (?:e|ar|is|s) (?:har|here|hemma|home)|(?:har|have) last dorren|door(?: is)? locked|dorren (?:e|ar) last"
    r"|polisen (?:e|ar|kom) (?:har|hit)|police (?:are|is|came) here|the police came|ambulansen (?:e|ar|kom) (?:har|hit)"
    r"|har ringt (?:112|polisen)|called (?:112|the police)|(?:dom|de|they) (?:har gatt|gick|stack|left|are gone|re gone)"
    r"|kom undan|got away|sitter (?:har )?bredvid mig|is (?:sitting )?(?:here )?(?:next to|with) me|e har med mig"
    r"|gick ner|went (?:home|downstairs|inside)|hemma nu|home now|(?:ambulance|police|cops|ambulansen|polisen) (?:is|are|e|ar|kom|came)"
    r" (?:here|har|hit)|(?:hittat|found) (?:honom|henne|him|her)|(?:pa|at the|in) (?:sjukhuset|hospital)|(?:han|hon|he|she) lever"
    r"|(?:sitter|sitting|e|am|is) (?:med|me|hos|with) (?:min|mitt|mamma|pappa|her|him|my|grannen)|hos (?:\w+ )?(?:grannen|kompisen)"
    r"|(?:laste|locked) (?:dorren|the door)|(?:at|hos) (?:her|his|hennes|hans) (?:mum s|mom s|mums|mamma|pappa|dad s)"
    r"|is with (?:her|him|me)|(?:i m|im|i am|ja e|jag ar) (?:with|med|hos) (?:her|him|honom|henne)"
    # someone else now with family or within reach: "she's with her mom now", "i can hear him"
    r"|(?:is|s|e|ar) (?:with|med|hos) (?:her|his|my|min|sin|hennes|hans) (?:\w+ )?(?:mom|mum|mamma|pappa|dad|father|mother"
    r"|family|familj|sister|brother|syster|bror)|i can hear (?:him|her)"
    r"|(?:ja|jag) hor (?:honom|henne)|(?:he|she) s in (?:his|her) room|(?:han|hon) (?:e|ar) pa sitt rum"
    r"|(?:gick|gatt|gar|kom|kommit|went|walked|came|got|gone) (?:\w+ )?(?:hem|home)|at home|(?:spolade|spolat|flushed|kastade|kastat|threw)"
    r" (?:ner |bort |away )?(?:dom|de|them|tabletterna|the pills|allt)"
    r"|stannar (?:har|hos mig)|(?:la|lagt|lade|kastat|slangt|put|threw) (?:tillbaka |back |undan |away )?(?:dom|de|den|det|them|it"
    r"|tabletterna|the pills|kniven|the knife|repet|the rope) (?:tillbaka |back )?(?:i|in|away|bort|pa|on)"
    r"|(?:mamma|pappa|mum|mom|dad|min (?:\w+ )?(?:bror|syster|sambo)) (?:e|ar|is|s) (?:vaken|awake|uppe|up)"
    r"|hos (?:min |mitt |mina )?(?:moster|faster|morbror|farbror|farsan|morsan|kusin\w*|syrran|brorsan|tjejen|flickvan|pojkvan"
    r"|polare\w*|grannar\w*|kompisar|en van|vanner|familjen)|(?:e|ar|sitter|i m|im|ja e|jag ar) (?:i|pa) (?:skolan|kontoret|biblioteket)"
    r"|^safe\b|(?:dorr|dorren|dorrarna|dorrar) (?:e |ar )?(?:last|lasta|stangd|stangda)|(?:hon|han|she|he|mamma|pappa|nan|nagon)"
    r" (?:sitter|e|ar) (?:med|me|hos) (?:mig|mej|oss)|(?:vi|ja|jag|we) (?:e |ar )?hemma|(?:dom|de|han|they) (?:drog|har dragit)"
    r"|(?:de|det|allt) (?:e|ar) (?:over|lugnt) nu|(?:larare|lararen|vuxna|personal)\w* (?:e |ar |finns )?(?:har|here)"
    r"|hos er|at your office|^(?:hemma|home|hmma|hema)\b|(?:e|ar) hmma|(?:pa|at) (?:akuten|the er|the a e)|(?:lakarna|lakaren|doctors?|the doctors) (?:e|ar|is|are) (?:med|hos|with) (?:honom|henne|him|her)"
    r"|just nu (?:e|ar) (?:det|de) lugnt|(?:sover|sitter|e|ar) hos (?:mig|mej|oss)|(?:is|s) (?:sleeping|staying) (?:at mine|at my place|with me)|pa boendet|(?:pa|on) (?:vag|his way|her way|the way) hem\w*|on (?:his|her|my|the) way home"
    r"|(?:took|tog|tagit|have taken|har tagit) (?:\w+ )?(?:the pills|tabletterna|kniven|the knife|repet|the rope|dom|them) (?:away|bort|ifran)"
    r"|(?:ligger|sitter|e|ar) i (?:min|mitt) (?:sang|rum|soffa))\b"
)
_NOT_SAFE = re.compile(
    r"\b(?:(?:inte|int|not|isn t|aint|ain t) (?:saker|safe|i sakerhet)|osaker pa om|unsafe|not okay|inte okej"
    # getting worse: "det e värre ikväll", "it's getting worse"
    r"|(?:e|ar|blir|blev|is|s|getting|gets|got) (?:\w+ )?(?:varre|worse)"
    r"|(?:dom|de|han|they|he) (?:e|ar|are|is|re) (?:kvar|fortfarande har|still here|still outside|still there)"
    # someone at risk cannot be reached: for a worried parent or friend that is acute
    r"|(?:still|fortfarande) (?:have|got|har) (?:them|dom|de|it|den|det|the pills|tabletterna|kniven|the knife)"
    r"|(?:svarar|oppnar|answers|answering|opens) (?:inte|int|not)|(?:not|inte|int|still not) (?:answering|picking up|svarar|oppnar)"
    # safe myself, but someone else is not: "jag e safe men inte han"
    r"|(?:men|but) (?:inte|int|not) (?:han|hon|he|she|him|her|min \w+|my \w+|dom|them)$|(?:won t|will not|doesn t|does not|wont) (?:answer|open|pick up)"
    r"|(?:vet|know) (?:inte|int|not) (?:var|where) (?:han|hon|she|he) (?:ar|e|is)|(?:kan|can) (?:inte|int|t|not) (?:na|reach)"
    r" (?:honom|henne|him|her)|(?:e|ar|is) (?:forsvunnen|missing)"
    r"|(?:men|but) (?:imorgon|imorn|sen|ikvall|inatt|tomorrow|tonight|later|fredag|friday)"
    r"|(?:safe|saker|ok|okej|fine|bra) (?:\w+ )?(?:men|but) (?:inte|int|not)|(?:men|but) (?:hon|han|she|he|him|her)$"
    r"|(?:kommer|kmr|coming|comes) (?:\w+ )?(?:tillbaka|back)|snurrar|(?:e|ar|kanns|feel|feeling|i m|im) (?:\w+ )?(?:yr|dizzy)|spyr|throwing up"
    r"|mar (?:konstigt|illa)|(?:feel|feeling) (?:weird|sick|strange)|(?:e|ar|is|are) (?:fortfarande|still) (?:i|pa|utanfor|ute|inne"
    r"|outside|in|at|there)|(?:slar|sla|sparkar|hotar|jagar|hitting|beating) (?:\w+ )?(?:fortfarande|still)|vagar (?:inte|int)"
    r"|too scared|daren t|dare not|(?:an sa lange|for now|so far)$|lever (?:an sa lange|for now)"
    # a means here, now: "tabletterna framför mig", "on the bridge now", "he's in his room with it"; alone outside; on the floor
    r"|(?:tabletter\w*|piller|pills|kniven|rakblad\w*|repet|vapnet|pistolen|geväret|gevaret|the pills|the knife|the rope|the gun)"
    r" (?:e |ar |is |are )?(?:har|here|framfor mig|bredvid mig|next to me|in front of me)"
    r"|(?:on|pa) (?:the )?(?:bridge|bron|taket|the roof|sparet|the tracks) (?:now|nu)|ligger pa golvet|lying on the floor"
    r"|(?:i m|im|i am|ja e|jag ar|jag e|ja ar|star|sitter) (?:pa|on) (?:the )?(?:bridge|bron|taket|roof|the roof|sparet|the tracks|balkongen|kanten|the edge|the ledge)"
    r"|(?:har|have|got|holding) (?:dom|de|den|det|them|it|tabletterna|kniven|repet|the pills|the knife) (?:i|in) (?:handen|min hand|my hand|hand)|(?:e|ar|i m|im) pa vag dit|on my way there"
    r"|(?:e|ar|am|i m|im) (?:ute )?ensam(?! hemma)|alone (?:outside|out here)|(?:han|hon|he|she) (?:e|ar|is|s) i (?:sitt|his|her) rum med (?:det|den|dom|it|them))\b"
)


# "ja men inte länge till": a yes with a but is no yes; "kanske.. ja ok": unsure, ending in yes
_HEDGED_YES = re.compile(r"^(?:ja|jaa|jo|yes|yeah|yea|ok|okej) (?:men|but|typ|kinda|sort of|i guess|antar|kanske|maybe|nog|ish)\b")
_ENDS_YES = re.compile(r"\b(?:ja|jaa|ok|okej|okay|yes|yeah|garna|gärna|snalla|please)$"
                       r"|^(?:ja|jaa|yes|yeah|ok|okej) (?:men|but) (?:bara |only )?(?:om|if|can|kan|could)\b"
                       # "ja. men min familj får inte veta": a yes with a wish about the family
                       r"|^(?:ja|jaa|yes|yeah|ok|okej) (?:men|but) (?:min|mina|my) (?:\w+ )?(?:familj|family|mamma|pappa|foraldrar|parents)\b")
# a mind changed to yes: "nej förresten ja", "ok kanske ja ändå"
_MIND_CHANGED = re.compile(r"\b(?:forresten ja|ja forresten|actually yes|kanske ja|ja anda|kanske anda(?: \w+)? ja)\b")
_DECLINES_COACH = re.compile(
    r"\b(?:ingen (?:coach|manniska|person|vuxen)|no (?:coach|person|human|humans)|inte (?:nan|nagon|en) coach|vill (?:inte|int) (?:prata|snacka|skriva) (?:med |me |w )?(?:nan|nagon|en coach"
    r"|en manniska|coachen)|no coach|(?:don t|dont|do not) want (?:a coach|to talk to (?:anyone|someone|a person|a coach))"
    r"|vill (?:inte|int) ha (?:nan|nagon|en|ngn) (?:coach|manniska|person|vuxen)|(?:don t|dont|do not) want (?:a|any) (?:coach|person|human)"
    r"|nej tack|no thanks|no thank you|inte nu|not now|not rn|not right now|kanske sen|maybe later|inte just nu"
    r"|(?:nah|nej|na|no) (?:\w+ )?(?:behovs|behover|need) (?:inte|int|not)|no need|orkar (?:inte|int) (?:prata|snacka|skriva) (?:med|me) (?:nan|nagon)"
    r"|vi klarar oss|klarar mig sjalv|i ll be fine|ill be fine)\b"
)
# asking for a person in the same breath: "polisen e här nu. vill prata me nån"
_ASKS_PERSON = re.compile(
    r"\b(?:vill|want to|wanna|would like to|id like to|i d like to|kan (?:ja|jag)) (?!inte |int |not |never |aldrig )(?:\w+ )?(?:prata|snacka|skriva|talk|speak|chat)"
    r" (?:me|med|with|to) (?:nan|nagon|en coach|coachen|someone|somebody|a person|a coach|a human|en manniska|er|you)\b"
    r"|\bkan (?:nan|nagon|en coach|coachen|ni|someone|somebody) (?:komma|ringa|ring|skriva|come|call)\b"
    r"|\bvill att (?:nan|nagon|ni|en coach|coachen|en manniska) (?:ringer|ring|skriver|kommer|pratar)\b"
    r"|\bvill (?:traffa|ha|fa|meet|have|get) (?:en |nan |nagon |a )?(?:coach|manniska|person|vuxen|human)\b|\bvill traffa (?:en|nan|nagon)\b"
    r"|\b(?:send|skicka) (?:someone|somebody|nan|nagon)\b|^(?:ring|ringa|call|text|sms a|skriv till) (?:mig|mej|me)\b"
    r"|\bkan (?:nan|nagon|ni|coachen|someone|somebody) (?:hora av sig|hor av sig|hora av er|hor av er|get in touch|reach out|kontakta mig)\b"
    r"|^(?:ja|yes|ok|okej|haa|aywa)\b(?=.*\b(?:arabiska|somaliska|persiska|dari|tigrinja|kurdiska|engelska|arabic|somali|farsi|tolk|interpreter)\b)"
    r"|\bkoppla (?:mig|mej) (?:till|vidare|me|med)\b|\bconnect me\b|\bja (?:tack )?(?:till )?(?:en )?coach\b"
    # a yes with a wish in the same breath: "o ja snälla nån coach sen", "ja ring mig sen", "ja men ingen polis"
    r"|\b(?:ja|yes|yeah|ok|okej) (?:snalla|garna|please|pls)\b"
    r"|\b(?:ja|yes|yeah|ok|okej)\b(?:\s+\w+){0,2}\s+(?:ring|ringa|call|text|texta|skriv|sms a) (?:mig|mej|me)\b"
    r"|\b(?:ni|du|dom|de|they|you|coachen|the coach) (?:far|kan|can|may) (?:ringa|ring|call|texta|text|skriva|write)\b"
    r"|\b(?:ja|yes|yeah|ok|okej) (?:men|but) (?:ingen|inte|int|no|not) (?:\w+ )?(?:polis|polisen|police|cops|aina|idag|today)\b")
# "nä men på riktigt ja har tänkt på de": having thought of it, said as such
_THOUGHT_OF_IT = re.compile(r"\b(?:har|have|ve) (?:\w+ )?(?:tankt|thought) (?:pa|about) (?:de|det|it)\b"
                            r"|\btanker pa (?:de|det) (?:ofta|hela tiden|varje)")
# a reply that names a means or a risk ("vattnet e så nära"): more crisis talk, not a new topic
_MEANS_RE = re.compile(rf"\b{_MEANS}\b")
_QUESTION_START = re.compile(r"^(?:vad|va|var|vart|hur|nar|vem|varfor|vilken|vilket|vilka|kan|far|finns|what|where|how"
                             r"|when|who|why|which|can|is|are|do|does)\b")


@dataclass(frozen=True)
class Answer:
    """How a message reads as an answer: "yes" / "no" / "unsure" or None, and statements."""

    word: str | None
    safe_now: bool
    not_safe: bool
    leans_yes: bool = False  # unsure, but ending in a yes: enough to say yes to a coach
    declines_coach: bool = False  # a no to the coach, said as such
    risk_talk: bool = False  # names a means or a risk, and is no question
    asks_person: bool = False  # asks for a person in the same message
    silent: bool = False  # only dots or signs: "..." after "are you safe?" is no answer


def read_answer(text: str) -> Answer:
    """A "yes" counts only in a short message: "ja har repet här" is not "yes, I'm safe".
    A "no" or "vet inte" may lead a longer one: the cautious reading of "are you safe?"."""
    folded = fold(text or "")
    not_safe = bool(_NOT_SAFE.search(folded))
    short = len(folded.split()) <= 3
    word = ("unsure" if _UNSURE.search(folded) else "no" if _NO.search(folded)
            else "yes" if (short and _YES.search(folded)) or _YES_PHRASE.search(folded) else None)
    # "idk, typ ja e hemma nu": an unsure answer is read as unsure, whatever follows it
    safe_now = bool(_SAFE_NOW.search(folded)) and not not_safe and word != "unsure"
    if word in ("yes", None) and _HEDGED_YES.search(folded) and not safe_now:
        word = "unsure"
    leans_yes = (word == "unsure" and bool(_ENDS_YES.search(folded))) or bool(_MIND_CHANGED.search(folded))
    question = (text or "").strip().endswith("?") or bool(_QUESTION_START.search(folded))
    risk_talk = not question and bool(_RISK_WORDS.search(folded) or _MEANS_RE.search(folded)
                                      or _THOUGHT_OF_IT.search(folded))
    silent = bool((text or "").strip()) and not folded.strip() and not any(ch.isalnum() for ch in text)
    return Answer(word, safe_now, not_safe, leans_yes, bool(_DECLINES_COACH.search(folded)), risk_talk,
                  bool(_ASKS_PERSON.search(folded)), silent)


# --- when the classifier may raise an alarm -------------------------------------------------
# The classifier (DIET) is sure of itself far from its training data: "ja har ett möte med soc
# imorgon" can come out as danger at 1.0. Its safety guess therefore counts only when the
# message speaks of life, death, harm, means, danger, fear or help at all; this is a gate on
# the classifier, never a trigger by itself.
_RISK_WORDS = re.compile(
    r"\b(?:do(?!\s+(?:you|i|we|they|it|u|this|that|not|so|ya|anything|something|what|with|my|your))|dor|dod\w*|doda\w*"
    r"|die|dies|dying|dead|death|kill\w*|mord\w*|leva|livet|life|alive|exist\w*|finnas"
    r"|end it|ending it|end my|avsluta|ta slut|illa|skada mig|skadar mig|skadat mig|det sjalv|it myself|pointless|over"
    r"|sjalvmord\w*|sjalvskad\w*|suicid\w*|myself|mig sjalv|mej sjalv|hurt\w*|harm\w*|blod\w*|blood|bleed\w*"
    r"|kniv\w*|knife|knives|stab\w*|hugg\w*|pistol\w*|puffr\w*|gun|guns|skjut(?!s)\w*|skot|shoot\w*|shot|shots|vapen\w*"
    r"|weapon\w*|hot|hotar|hotad\w*|hotat|threat\w*|radd\w*|scared|afraid|terrified|fara|danger\w*|112"
    r"|ambulans\w*|ambulance|tablett\w*|piller|pills?|pillsen|meds|rep|repet|rope|noose|bron|bridge|taket|roof"
    r"|balkong\w*|taget|train|sparet|tracks|drunkn\w*|drown\w*|skar|skara|skarsar|cutting|orkar|pallar|mening"
    r"|meningslost|hopeless|forsvinn\w*|disappear\w*|borta|gone|hejda|goodbye|avsked\w*|jagar|chasing|utanfor"
    r"|outside|eld|fire|brand|brinner|rok|smoke|locked|gommer|hiding|borda|burden|vakna|ikvall|tonight|sista"
    r"|begravning|funeral)\b"
)


# Danger is told through a situation more than through words of harm ("sitter i bakluckan på en
# bil", "he's choking her"): for a danger guess, places, movement and "now" count too.
_SITUATION_WORDS = re.compile(
    r"\b(?:bil|bilen|car|van|bakluckan|trunk|stryp\w*|chok\w*|strangl\w*|fonstret|window|brevinkast\w*|bensin"
    r"|petrol|brinn\w*|burning|hall|hallen|trapp\w*|stairs|stairwell|porten|springer|running|ran|mask\w*|laste|last"
    r"|locked|tagit|took|taken|haller|holding|kvar|skott|small\w*|inne|inside|scream\w*|skrik\w*|slar|hitting|beat\w*"
    r"|nu|now|rn|hjalp|help|sos|hit|kommer|coming|vantar|waiting|grabbed|dragged|drog|tvingar|forced)\b"
)


def has_risk_words(text: str, kind: str = "crisis") -> bool:
    """Does the message speak of life, harm, means, danger, fear or help at all (and, for a
    danger guess, of a place, a movement or "now")?"""
    folded = fold(text or "")
    if _RISK_WORDS.search(folded):
        return True
    return kind == "danger" and bool(_SITUATION_WORDS.search(folded))
