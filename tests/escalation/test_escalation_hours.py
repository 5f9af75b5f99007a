"""Opening hours per weekday in Europe/Stockholm, with Swedish public holidays closed."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.hours import easter_sunday, in_hours, parse_coach_hours, swedish_holidays

STHLM = ZoneInfo("Europe/Stockholm")
HOURS = parse_coach_hours(
    "mon=09:00-17:00,tue=09:00-17:00,wed=09:00-12:00+13:00-17:00,"
    "thu=09:00-17:00,fri=09:00-17:00,sat=,sun=18:00-24:00"
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STHLM)


@pytest.mark.parametrize(
    "when, expected",
    [
        (local(2025, 3, 10, 9, 0), True),  # Monday opening minute
        (local(2025, 3, 10, 8, 59), False),
        (local(2025, 3, 10, 17, 0), False),  # end is exclusive
        (local(2025, 3, 12, 12, 30), False),  # Wednesday lunch break
        (local(2025, 3, 12, 13, 0), True),
        (local(2025, 3, 15, 12, 0), False),  # Saturday closed
        (local(2025, 3, 16, 23, 59), True),  # Sunday until 24:00
    ],
)
def test_weekday_hours(when: datetime, expected: bool) -> None:
    assert in_hours(HOURS, when) is expected


def test_utc_input_uses_stockholm_time_across_dst() -> None:
    # winter (CET, UTC+1): 08:30 UTC is 09:30 local
    assert in_hours(HOURS, datetime(2025, 1, 8, 8, 30, tzinfo=timezone.utc))
    assert not in_hours(HOURS, datetime(2025, 1, 8, 7, 30, tzinfo=timezone.utc))
    # summer (CEST, UTC+2): 07:30 UTC is 09:30 local; naive input counts as UTC
    assert in_hours(HOURS, datetime(2025, 7, 1, 7, 30))
    assert not in_hours(HOURS, datetime(2025, 7, 1, 6, 30))


@pytest.mark.parametrize(
    "year, day",
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter(year: int, day: date) -> None:
    assert easter_sunday(year) == day


def test_swedish_holidays_2025() -> None:
    days = swedish_holidays(2025)
    assert days[date(2025, 4, 18)] == "Långfredagen"
    assert days[date(2025, 4, 21)] == "Annandag påsk"
    assert days[date(2025, 5, 29)] == "Kristi himmelsfärds dag"
    assert days[date(2025, 6, 6)] == "Sveriges nationaldag"
    assert days[date(2025, 6, 20)] == "Midsommarafton"
    assert days[date(2025, 6, 21)] == "Midsommardagen"
    assert days[date(2025, 11, 1)] == "Alla helgons dag"
    assert date(2025, 12, 24) in days and date(2025, 1, 6) in days
    assert date(2025, 4, 17) not in days  # skärtorsdag is a normal day
    assert date(2025, 12, 24) not in swedish_holidays(2025, include_eves=False)


def test_holiday_closes_an_open_weekday() -> None:
    good_friday = local(2025, 4, 18, 10, 0)  # a Friday, 10:00
    assert HOURS.is_open_at(good_friday)
    assert not in_hours(HOURS, good_friday)
    assert in_hours(HOURS, good_friday, close_on_holidays=False)
    assert in_hours(HOURS, local(2025, 4, 17, 10, 0))
    assert not in_hours(HOURS, local(2026, 6, 19, 10, 0))  # midsommarafton 2026


@pytest.mark.parametrize(
    "spec",
    [
        "mon=9-17-18",
        "xyz=09:00-17:00",
        "mon=17:00-09:00",
        "mon=25:00-26:00",
        "mon",
        "mon=24:00-24:00",
    ],
)
def test_bad_hours_spec_is_an_error(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_coach_hours(spec)


def test_days_not_mentioned_are_closed() -> None:
    hours = parse_coach_hours("mon=09:00-17:00")
    assert not hours.is_open_at(local(2025, 3, 11, 10, 0))


def test_settings_from_env() -> None:
    from bot.escalation.settings import Settings

    s = Settings.from_env(
        {
            "ESCALATION_URL": "http://0.0.0.0:9090",
            "RASA_HOST": "rasa",
            "RASA_PORT": "5006",
            "ESCALATION_CLAIM_TIMEOUT_SECONDS": "60",
            "COACH_HOURS": "mon=10:00-12:00,sun=",
        }
    )
    assert (s.host, s.port, s.rasa_url, s.claim_timeout_seconds) == (
        "0.0.0.0",
        9090,
        "http://rasa:5006",
        60,
    )
    assert not s.coach_hours.is_open_at(local(2025, 3, 11, 10, 30))
    assert Settings.from_env({"RASA_URL": "http://r:1/"}).rasa_url == "http://r:1"
    assert Settings.from_env({}).claim_timeout_seconds == 180


def test_own_swedish_holidays_agree_with_the_holidays_package() -> None:
    """bot.hours keeps its own calendar; the pinned `holidays` package must give the same days
    (0.86 on the Rasa runtime: the newest that accepts Rasa 3.6's python-dateutil<2.9; the
    current release on the service runtime). Its public holidays are ours without the eves;
    the three eves the programme closes on are among its other categories (0.86: `optional`;
    since then `de_facto`), with Påskafton, Valborg and others the programme stays open on,
    so they are named."""
    import holidays

    from bot.hours import swedish_holidays

    eves = {"Midsommarafton", "Julafton", "Nyårsafton"}
    for year in range(2005, 2101):
        public = holidays.Sweden(years=year, include_sundays=False, categories=("public",))
        assert set(public) == set(swedish_holidays(year, include_eves=False)), year
        others = tuple(c for c in holidays.Sweden.supported_categories if c != "public")
        optional = holidays.Sweden(years=year, include_sundays=False, categories=others,
                                   language="sv")
        library_eves = {day for day, name in optional.items() if name in eves}
        own_eves = set(swedish_holidays(year)) - set(swedish_holidays(year, include_eves=False))
        assert library_eves == own_eves and len(own_eves) == 3, year
