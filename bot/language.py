"""Which language a message is written in: Swedish, English, or not something we can tell.

The reply follows the user's language, Swedish by default. Short or mixed messages ("ok",
"tack bro") must not flip the conversation to English, so English is only reported when it
clearly outweighs Swedish; an explicit request ("english please", "på svenska") always wins.
"""

from __future__ import annotations

import re

from bot.textnorm import fold

SWEDISH = "sv"
ENGLISH = "en"
LANGUAGES = (SWEDISH, ENGLISH)  # what a page may name as the chosen language

_SV_WORDS = frozenset(
    """jag ja mig mej du dig dej han hon vi ni dom de det den detta att och eller men som om nar
    var vad hur varfor vem vilken inte int nt nej ar e har hade ska skulle kan kunde vill ville
    maste far fa gor gora blir bli pa for till fran med utan hos av ocksa bara mycket lite nagon
    nan nagot nat alla min mitt mina din ditt dina sin sitt er era hej tjena hallo tack snalla
    okej typ asså assa liksom kompis bror bre aina soc gange ganget polisen hjalp hjalpa behover
    pengar skulder skuld nu idag imorgon mamma pappa son dotter lever leva mar dalig rad radd
    hota hotar sig sig""".split()
)
_EN_WORDS = frozenset(
    """i im i'm me my mine you your yours he she they them their we our us is are was were be
    been am do does did dont don't doesnt didnt can cant cannot could would should will wont
    what how why who where when which the a an and or but if of to in on at for from with
    about this that these those there here want wanna need get got have has had please hello
    hi hey thanks thank yes no not help police gang leave out scared afraid money debt talk
    someone anyone person speak english know really just like feel""".split()
)
# Words spelled the same in both languages say nothing either way.
_SHARED = frozenset({"i", "man", "hej", "ok", "okej", "bre", "bro", "a", "be", "help", "de"})

_ASK_ENGLISH = re.compile(
    r"\b(?:in english|english please|english pls|english plz|speak english|talk english|write in english"
    r"|pa engelska|kan du engelska|kan vi (?:prata|skriva) engelska|on english|engelska tack)\b"
)
_ASK_SWEDISH = re.compile(
    r"\b(?:pa svenska|in swedish|swedish please|speak swedish|svenska tack|kan vi (?:prata|skriva)"
    r" svenska|kan du svenska|prata svenska|skriv pa svenska)\b"
)


_CANNOT = re.compile(
    r"\b(?:dont|don t|do not|cant|can t|cannot|inte|int|kan inte|forstar inte|pratar inte) "
    r"(?:\w+ )?(?:speak |understand |read |talk )?(english|swedish|engelska|svenska)\b"
)


def explicit_request(text: str) -> str | None:
    """Return the language the user explicitly asks for, if any.

    "I don't speak Swedish" asks for English, "förstår inte engelska" asks for Swedish.
    """
    folded = fold(text)
    cannot = _CANNOT.search(folded)
    if cannot:
        return SWEDISH if cannot.group(1) in {"english", "engelska"} else ENGLISH
    if _ASK_ENGLISH.search(folded):
        return ENGLISH
    if _ASK_SWEDISH.search(folded):
        return SWEDISH
    return None


def detect(text: str) -> str | None:
    """Return "sv" or "en" when the message clearly is that language, else None.

    Å/ä/ö in the raw text are a strong Swedish signal; otherwise count function words.
    """
    asked = explicit_request(text)
    if asked:
        return asked
    tokens = [t for t in re.findall(r"[a-z']+", (text or "").lower()) if t not in _SHARED]
    folded_tokens = fold(" ".join(tokens)).split()
    if not folded_tokens:
        return None
    sv = sum(t in _SV_WORDS for t in folded_tokens)
    en = sum(t in _EN_WORDS for t in tokens)
    if re.search(r"[åäöÅÄÖ]", text or ""):
        sv += 2
    if en >= 2 and en >= 2 * sv:
        return ENGLISH
    if sv >= 1 and sv > en:
        return SWEDISH
    return None
