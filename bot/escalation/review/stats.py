"""Anonymous programme figures, computed from stored events every time they are asked for.

Sources: Rasa's SQL tracker store (`events` table: one row per tracker event) and the
escalation tables (`cases`), read by `stats_store` (the SQL lives there; this module aggregates
and renders). Nothing is counted on the side, so the figures cannot drift from what happened.
No figure may identify a person: every count below `MIN_COUNT` is suppressed
("<5" in tables, left out of the CSV and the charts); channel and intent names that are
not the project's own are counted as "annan", and no sender id or text leaves this module.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import yaml

from bot import protocol
from bot.escalation.review.stats_store import (
    CaseFigure,
    StatsStore,
    TrackerEvent,
    TrackerUnreadable,
)

MIN_COUNT = 5
# the project's own channels (credentials.yml; "cmdline" is `./dev shell`). A REST client
# chooses `input_channel` itself, so any other name is counted as OTHER, never shown.
KNOWN_CHANNELS = frozenset({"rest", "callback", "cmdline"})
OTHER = "annan"
# a spreadsheet runs a cell that starts with one of these as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FALLBACK_INTENTS = frozenset({protocol.FALLBACK_INTENT})
REPHRASE_ACTIONS = frozenset({protocol.REPHRASE_ACTION, protocol.DEFAULT_FALLBACK_ACTION})


@lru_cache(maxsize=1)
def known_intents() -> frozenset[str]:
    """The domain's intents: a typed "/anything" payload must not add a key of its own."""
    from bot.content import DOMAIN_PATH

    try:
        domain = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return frozenset()
    names = [i if isinstance(i, str) else next(iter(i), "") for i in domain.get("intents") or []]
    return frozenset(str(n) for n in names if n)


def grouped_intent(intent: str) -> str:
    return intent if intent in known_intents() or intent in FALLBACK_INTENTS else OTHER


def grouped_channel(channel: str) -> str:
    return channel if channel in KNOWN_CHANNELS else OTHER


def cell(value: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula (OWASP: prefix with ')."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def shown(n: int) -> str:
    """A count as it may be published."""
    return str(n) if n >= MIN_COUNT else f"<{MIN_COUNT}"


@dataclass
class Stats:
    """Aggregates over the last `days` days (UTC dates)."""

    days: int
    since: date
    conversations: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, channel)
    intents: Counter[str] = field(default_factory=Counter)
    user_messages: int = 0
    fallbacks: int = 0
    rephrases: int = 0
    escalations: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, trigger)
    wait_minutes: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    tracker_error: str | None = None

    @property
    def fallback_rate(self) -> float | None:
        return self.fallbacks / self.user_messages if self.user_messages >= MIN_COUNT else None

    def time_to_coach(self) -> dict[str, float] | None:
        """Median and 90th percentile minutes from case opened to claimed (>= 5 cases)."""
        if len(self.wait_minutes) < MIN_COUNT:
            return None
        ordered = sorted(self.wait_minutes)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        return {"median": round(statistics.median(ordered), 1), "p90": round(p90, 1),
                "n": len(ordered)}

    def per_day(self, table: dict[tuple[str, str], int]) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for (day, key), n in table.items():
            out.setdefault(day, Counter())[key] += n
        return dict(sorted(out.items()))


def compute(store: StatsStore, days: int = 90, today: date | None = None) -> Stats:
    """Aggregate the last `days` days. An unreadable tracker DB leaves its figures empty and
    names the error's type (`tracker_error`); the case figures still show."""
    today = today or datetime.now(timezone.utc).date()
    since = today - timedelta(days=days - 1)
    stats = Stats(days=days, since=since)
    try:
        _tracker_figures(store.tracker_events(since), stats)
    except TrackerUnreadable as exc:
        stats.tracker_error = str(exc)
    _case_figures(store.cases(since), stats)
    return stats


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).date().isoformat()


def _tracker_figures(events: Iterable[TrackerEvent], stats: Stats) -> None:
    """Counted apart and copied in at the end: a source that fails part-way adds nothing."""
    seen: set[tuple[str, str, str]] = set()
    intents: Counter[str] = Counter()
    user_messages = fallbacks = rephrases = 0
    for event in events:
        if event.type_name == "action":
            if event.action_name in REPHRASE_ACTIONS:
                rephrases += 1
            continue
        user_messages += 1
        intent = event.intent_name
        if intent:
            intents[grouped_intent(intent)] += 1
        if intent in FALLBACK_INTENTS:
            fallbacks += 1
        try:
            channel = (json.loads(event.data or "{}") or {}).get("input_channel") or OTHER
        except (ValueError, AttributeError):
            channel = OTHER
        seen.add((_day(event.timestamp), grouped_channel(str(channel)), event.sender_id))
    stats.conversations = dict(Counter((day, ch) for day, ch, _ in seen))
    stats.intents = intents
    stats.user_messages, stats.fallbacks, stats.rephrases = user_messages, fallbacks, rephrases


def _case_figures(cases: Iterable[CaseFigure], stats: Stats) -> None:
    esc: Counter[tuple[str, str]] = Counter()
    for case in cases:
        esc[(case.created_at.date().isoformat(), case.trigger)] += 1
        if case.claimed_at is not None:
            stats.wait_minutes.append(
                max(0.0, (case.claimed_at - case.created_at).total_seconds() / 60))
        if case.outcome:
            stats.outcomes[case.outcome] += 1
    stats.escalations = dict(esc)


# ---- export --------------------------------------------------------------------------------


def csv_rows(stats: Stats) -> list[list[str]]:
    """One long table: figure, day, key, value. A row whose count is below 5 is left out
    (its key alone could single someone out); totals below 5 read '<5'."""
    rows = [["figur", "dag", "nyckel", "värde"]]
    for (day, channel), n in sorted(stats.conversations.items()):
        if n >= MIN_COUNT:
            rows.append(["samtal", day, channel, str(n)])
    for intent, n in stats.intents.most_common():
        if n >= MIN_COUNT:
            rows.append(["avsikt", "", intent, str(n)])
    rows.append(["meddelanden", "", "alla", shown(stats.user_messages)])
    rows.append(["meddelanden", "", "nlu_fallback", shown(stats.fallbacks)])
    rate = stats.fallback_rate
    rows.append(["fallback_andel", "", "", "" if rate is None else f"{rate:.3f}"])
    rows.append(["omformulera", "", "utter_ask_rephrase", shown(stats.rephrases)])
    for (day, trigger), n in sorted(stats.escalations.items()):
        if n >= MIN_COUNT:
            rows.append(["eskaleringar", day, trigger, str(n)])
    ttc = stats.time_to_coach()
    if ttc:
        rows.append(["tid_till_coach_min", "", "median", str(ttc["median"])])
        rows.append(["tid_till_coach_min", "", "p90", str(ttc["p90"])])
    for outcome, n in stats.outcomes.most_common():
        if n >= MIN_COUNT:
            rows.append(["utfall", "", outcome, str(n)])
    return rows


def to_csv(stats: Stats) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows([[cell(c) for c in row] for row in csv_rows(stats)])
    return buf.getvalue()


# ---- charts --------------------------------------------------------------------------------

CHARTS = ("conversations", "intents", "escalations", "outcomes")
CHART_TITLES = {
    "conversations": "Samtal per dag och kanal",
    "intents": "Vanligaste avsikter",
    "escalations": "Eskaleringar per dag och orsak",
    "outcomes": "Utfall av ärenden",
}
CHANNEL_LABELS = {"callback": "webbchatt och sms", "rest": "REST-kanal", "cmdline": "terminal",
                  OTHER: OTHER}
TRIGGER_LABELS = {"request_human": "bad om en människa", "fallback": "boten förstod inte",
                  "crisis_suicidal": "kris", "emergency_danger": "fara just nu",
                  "fear_retaliation": "rädd för hämnd"}
EMPTY_TEXT = f"För få händelser att visa: varje antal under {MIN_COUNT} döljs."


def _label(name: str, key: str) -> str:
    """What a person reads for a channel, trigger or outcome key (intents stay as named)."""
    if name == "conversations":
        return CHANNEL_LABELS.get(key, key)
    if name == "escalations":
        return TRIGGER_LABELS.get(key, key)
    if name == "outcomes":
        from bot.escalation.console import OUTCOME_LABELS

        return OUTCOME_LABELS.get(key, key)
    return key


def chart_data(stats: Stats, name: str) -> dict[str, Any]:
    """What one chart may show: suppressed counts are 0 (never their value), labels in Swedish.

    {"kind": "stacked", "days": [...], "series": {label: [n per day]}} or
    {"kind": "bars", "bars": [(label, n), ...]}; `empty` when nothing reaches MIN_COUNT.
    """
    if name in ("conversations", "escalations"):
        per_day = stats.per_day(stats.conversations if name == "conversations"
                                else stats.escalations)
        days = [d for d, c in per_day.items() if any(n >= MIN_COUNT for n in c.values())]
        keys = sorted({k for d in days for k, n in per_day[d].items() if n >= MIN_COUNT})
        series = {_label(name, k): [per_day[d][k] if per_day[d][k] >= MIN_COUNT else 0
                                    for d in days] for k in keys}
        return {"kind": "stacked", "days": days, "series": series, "empty": not series}
    counter = stats.intents if name == "intents" else stats.outcomes
    bars = [(_label(name, k), n) for k, n in counter.most_common(15) if n >= MIN_COUNT]
    return {"kind": "bars", "bars": bars, "empty": not bars}


def alt_text(stats: Stats, name: str) -> str:
    """The chart in words, for a screen reader (and anyone the image does not reach)."""
    data = chart_data(stats, name)
    title = CHART_TITLES[name]
    if data["empty"]:
        return f"Diagram: {title}. {EMPTY_TEXT}"
    if data["kind"] == "stacked":
        totals = ", ".join(f"{k} {sum(v)}" for k, v in data["series"].items())
        days = len(data["days"])
        unit = "dag" if days == 1 else "dagar"
        return f"Diagram: {title}, {days} {unit} med minst {MIN_COUNT}. Totalt: {totals}."
    return f"Diagram: {title}. " + ", ".join(f"{k} {n}" for k, n in data["bars"]) + "."


def chart_figure(stats: Stats, name: str) -> Any:
    """The chart as a matplotlib figure (the caller closes it): whole-number axes that start
    at 0; with nothing to show, no axes at all, only the message. The page's heading names
    the chart, so the image carries no title of its own."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    data = chart_data(stats, name)
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    if data["empty"]:
        ax.axis("off")
        ax.text(0.5, 0.45, EMPTY_TEXT, ha="center", va="center", transform=ax.transAxes,
                color="#3d4454", fontsize=11)
    elif data["kind"] == "stacked":
        bottom = [0] * len(data["days"])
        for label, values in data["series"].items():
            ax.bar(data["days"], values, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("Antal")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(bottom) * 1.15)
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
        ax.legend(fontsize=7)
    else:
        bars = data["bars"][::-1]
        ax.barh([k for k, _ in bars], [n for _, n in bars], color="#1f5fbf")
        ax.set_xlabel("Antal")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, max(n for _, n in bars) * 1.15)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig


def chart_png(stats: Stats, name: str) -> bytes:
    """A server-side PNG of `chart_figure`."""
    import matplotlib.pyplot as plt

    fig = chart_figure(stats, name)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


def summary(stats: Stats) -> dict[str, Any]:
    """The headline numbers for the page."""
    ttc = stats.time_to_coach()
    return {
        "conversations": shown(sum(stats.conversations.values())),
        "user_messages": shown(stats.user_messages),
        "fallback_rate": None if stats.fallback_rate is None else f"{stats.fallback_rate:.1%}",
        "rephrases": shown(stats.rephrases),
        "escalations": shown(sum(stats.escalations.values())),
        "time_to_coach": ttc,
        "outcomes": [(k, shown(n)) for k, n in stats.outcomes.most_common()],
        "intents": [(k, shown(n)) for k, n in stats.intents.most_common(15)],
    }
