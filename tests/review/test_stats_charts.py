"""The statistics charts: whole-number axes, no empty axes, labels and alt texts in Swedish."""

from __future__ import annotations

from collections import Counter
from datetime import date

import matplotlib.pyplot as plt
import pytest

from bot.review import stats
from bot.review.stats import MIN_COUNT, Stats


def _stats(**kw: object) -> Stats:
    s = Stats(days=30, since=date(2025, 3, 1))
    for key, value in kw.items():
        setattr(s, key, value)
    return s


@pytest.mark.parametrize("name", stats.CHARTS)
def test_nothing_over_the_threshold_draws_no_axes_only_the_message(name: str) -> None:
    few = _stats(conversations={("2025-03-02", "callback"): 3},
                 escalations={("2025-03-02", "request_human"): 2},
                 intents=Counter(greet=4), outcomes=Counter(no_contact=1))
    assert stats.chart_data(few, name)["empty"]
    fig = stats.chart_figure(few, name)
    try:
        ax = fig.axes[0]
        assert not ax.axison  # no ±0.04 ticks around nothing
        assert [t.get_text() for t in ax.texts] == [stats.EMPTY_TEXT]
    finally:
        plt.close(fig)
    alt = stats.alt_text(few, name)
    assert alt.startswith("Diagram: " + stats.CHART_TITLES[name]) and "under 5" in alt
    assert "3" not in alt and "4" not in alt.replace("under 5", "")  # never a suppressed count
    assert stats.chart_png(few, name).startswith(b"\x89PNG")


def test_small_counts_get_whole_number_ticks_from_zero() -> None:
    small = _stats(conversations={("2025-03-02", "callback"): MIN_COUNT,
                                  ("2025-03-03", "callback"): 6,
                                  ("2025-03-03", "rest"): 2},
                   intents=Counter(greet=5, ask_how_to_leave=7, thank=1))
    fig = stats.chart_figure(small, "conversations")
    try:
        ax = fig.axes[0]
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 6
        assert ax.get_ylabel() == "Antal"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["webbchatt och sms"]  # rest had 2: not drawn, not named
        assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-03-02", "2025-03-03"]
    finally:
        plt.close(fig)
    fig = stats.chart_figure(small, "intents")
    try:
        ax = fig.axes[0]
        ticks = [t for t in ax.get_xticks() if 0 <= t <= ax.get_xlim()[1]]
        assert all(float(t).is_integer() for t in ticks), ticks
        assert [t.get_text() for t in ax.get_yticklabels()] == ["greet", "ask_how_to_leave"]
    finally:
        plt.close(fig)


def test_alt_texts_and_labels_are_swedish() -> None:
    s = _stats(escalations={("2025-03-02", "request_human"): 5,
                            ("2025-03-02", "fallback"): 1},
               outcomes=Counter(referred_social_services=6, other=2))
    assert stats.alt_text(s, "escalations") == (
        "Diagram: Eskaleringar per dag och orsak, 1 dag med minst 5. "
        "Totalt: bad om en människa 5.")
    assert stats.alt_text(s, "outcomes") == (
        "Diagram: Utfall av ärenden. Hänvisad till socialtjänsten 6.")
