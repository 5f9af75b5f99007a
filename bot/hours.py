"""Coach opening hours per weekday (Europe/Stockholm) and Swedish public holidays.

Holidays are computed (fixed dates plus Easter-based ones), not taken from the `holidays`
package: the version pinned here (0.86, the newest that accepts Rasa 3.6's python-dateutil<2.9)
has no category that is exactly "public holidays plus the closed eves" (its optional days add
Påskafton, Valborg and half days the programme stays open on). It gives the same days, which
tests/escalation/test_escalation_hours.py checks for 2005-2100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningHours:
    """Opening intervals per weekday (0=Monday); an empty tuple means closed that day."""

    days: tuple[tuple[tuple[time, time | None], ...], ...]

    def is_open_at(self, local: datetime) -> bool:
        """True if the local wall-clock time falls in an interval (end exclusive, None=24:00)."""
        now = local.time().replace(tzinfo=None)
        for start, end in self.days[local.weekday()]:
            if now >= start and (end is None or now < end):
                return True
        return False


def _parse_time(text: str) -> time | None:
    text = text.strip()
    if text in {"24:00", "24"}:
        return None
    hour, _, minute = text.partition(":")
    return time(int(hour), int(minute or 0))


def parse_coach_hours(spec: str) -> OpeningHours:
    """Parse ``"mon=09:00-17:00,tue=09:00-12:00+13:00-17:00,...,sun="``.

    Days not mentioned are closed; ``+`` separates several intervals on one day.
    """
    days: dict[int, list[tuple[time, time | None]]] = {i: [] for i in range(7)}
    for item in spec.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, ranges = item.partition("=")
        name = name.strip().lower()[:3]
        if not sep or name not in WEEKDAYS:
            raise ValueError(f"COACH_HOURS: cannot read {item!r} (expected e.g. mon=09:00-17:00)")
        for rng in ranges.split("+"):
            rng = rng.strip()
            if not rng:
                continue
            start_s, dash, end_s = rng.partition("-")
            if not dash:
                raise ValueError(f"COACH_HOURS: cannot read interval {rng!r}")
            try:
                start, end = _parse_time(start_s), _parse_time(end_s)
            except ValueError as exc:
                raise ValueError(f"COACH_HOURS: bad time in {rng!r}") from exc
            if start is None:
                raise ValueError(f"COACH_HOURS: interval cannot start at 24:00 ({rng!r})")
            if end is not None and end <= start:
                raise ValueError(f"COACH_HOURS: interval ends before it starts ({rng!r})")
            days[WEEKDAYS.index(name)].append((start, end))
    return OpeningHours(days=tuple(tuple(days[i]) for i in range(7)))


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_weekday_between(year: int, month: int, first_day: int, weekday: int, span: int) -> date:
    start = date(year, month, first_day)
    for offset in range(span):
        candidate = start + timedelta(days=offset)
        if candidate.weekday() == weekday:
            return candidate
    raise AssertionError("unreachable")


@lru_cache(maxsize=64)
def swedish_holidays(year: int, include_eves: bool = True) -> dict[date, str]:
    """Swedish public holidays ("helgdagar") of `year`, Swedish names.

    With `include_eves`, the de facto closed eves (midsommarafton, julafton, nyårsafton) are
    included too: they are not public holidays by law but almost every service is closed.
    """
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Nyårsdagen",
        date(year, 1, 6): "Trettondedag jul",
        easter - timedelta(days=2): "Långfredagen",
        easter: "Påskdagen",
        easter + timedelta(days=1): "Annandag påsk",
        date(year, 5, 1): "Första maj",
        easter + timedelta(days=39): "Kristi himmelsfärds dag",
        easter + timedelta(days=49): "Pingstdagen",
        date(year, 6, 6): "Sveriges nationaldag",
        _first_weekday_between(year, 6, 20, 5, 7): "Midsommardagen",
        _first_weekday_between(year, 10, 31, 5, 7): "Alla helgons dag",
        date(year, 12, 25): "Juldagen",
        date(year, 12, 26): "Annandag jul",
    }
    if include_eves:
        days[_first_weekday_between(year, 6, 19, 4, 7)] = "Midsommarafton"
        days[date(year, 12, 24)] = "Julafton"
        days[date(year, 12, 31)] = "Nyårsafton"
    return days


def in_hours(
    hours: OpeningHours,
    now: datetime | None = None,
    tz: str = "Europe/Stockholm",
    close_on_holidays: bool = True,
) -> bool:
    """Are coaches scheduled right now? `now` may be aware (any zone) or naive UTC."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(ZoneInfo(tz))
    if close_on_holidays and local.date() in swedish_holidays(local.year):
        return False
    return hours.is_open_at(local)


DAY_NAMES = {"sv": ("mån", "tis", "ons", "tors", "fre", "lör", "sön"),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
HOURS_SENTENCE = {"sv": "Coacherna svarar {days}.", "en": "Coaches answer {days}."}
HOLIDAYS_CLOSED = {"sv": " Inte på helgdagar.", "en": " Not on public holidays."}
ALL_DAY = {"sv": "dygnet runt", "en": "day and night"}


def _clock(value: time | None) -> str:
    return "24.00" if value is None else value.strftime("%H.%M")


def describe(hours: OpeningHours, lang: str, close_on_holidays: bool = True) -> str:
    """The coach hours as one short sentence, e.g. "Coacherna svarar mån–fre 09.00–17.00.",
    so what users read always matches COACH_HOURS; "" when no day has hours."""
    lang = lang if lang in DAY_NAMES else "sv"
    names = DAY_NAMES[lang]
    groups: list[tuple[int, int, str]] = []  # runs of consecutive days with the same hours
    for index, intervals in enumerate(hours.days):
        if not intervals:
            continue
        spans = " + ".join(ALL_DAY[lang] if a == time(0) and b is None
                           else f"{_clock(a)}–{_clock(b)}" for a, b in intervals)
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == spans:
            groups[-1] = (groups[-1][0], index, spans)
        else:
            groups.append((index, index, spans))
    if not groups:
        return ""
    parts = [(names[a] if a == b else f"{names[a]}–{names[b]}") + f" {spans}"
             for a, b, spans in groups]
    joiner = " och " if lang == "sv" else " and "
    days = ", ".join(parts[:-1]) + joiner + parts[-1] if len(parts) > 1 else parts[0]
    text = HOURS_SENTENCE[lang].format(days=days)
    return text + (HOLIDAYS_CLOSED[lang] if close_on_holidays else "")


def hours_text(hours: OpeningHours, lang: str, close_on_holidays: bool = True) -> str:
    """The coach hours as users read them, from COACH_HOURS itself (never a copy that can
    drift); the content file's placeholder when no day has hours."""
    from bot import content

    return describe(hours, lang, close_on_holidays) or \
        content.load_cached().fact("coach_hours", lang)


def current_hours_text(lang: str) -> str:
    """`hours_text` for the COACH_HOURS of this process's settings (the action server)."""
    from bot.settings import load

    settings = load()
    return hours_text(parse_coach_hours(settings.coach_hours), lang,
                      settings.coach_closed_on_holidays)
