"""/admin/stats.csv: no cell a spreadsheet would run, no channel or intent name chosen by a
client, no row that counts fewer than 5 (through the real console, as an admin)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from escalation_helpers import login

from bot.escalation.review.stats import MIN_COUNT
from tests.security.conftest import tried

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets run
FORMULA_CHANNELS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0",
                    "-2+3", "@SUM(1)", "webchat-of-someone-else"]
FORMULA_INTENTS = ["=1+1", "@evil", "-x", "+y"]


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def settings_overrides(tracker_db: Path) -> dict[str, Any]:
    return {"tracker_db_url": f"sqlite:///{tracker_db}"}


def _write_tracker(db: Path, rows: list[tuple[str, str, float, str | None, dict]]) -> None:
    """Rows as Rasa's SQL tracker store writes them (the `events` table)."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                 "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                 "action_name VARCHAR(255), data TEXT)")
    conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                     "action_name, data) VALUES (?, ?, ?, ?, NULL, ?)",
                     [(s, k, t, i, json.dumps(d)) for s, k, t, i, d in rows])
    conn.commit()
    conn.close()


async def test_csv_has_no_formulas_foreign_names_or_small_rows(env, tracker_db: Path) -> None:
    now = time.time()
    rows = []
    for channel in FORMULA_CHANNELS:  # 6 conversations each: enough to be counted
        for n in range(6):
            rows.append((f"{channel}-{n}", "user", now, "greet", {"input_channel": channel}))
    for intent in FORMULA_INTENTS:
        for n in range(6):
            rows.append((f"i{intent}{n}", "user", now, intent, {"input_channel": "rest"}))
    for n in range(2):  # a small group: two callback conversations
        rows.append((f"cb{n}", "user", now, "ask_money", {"input_channel": "callback"}))
    _write_tracker(tracker_db, rows)
    client = await env.make_client()
    for n in range(3):  # three cases: fewer than 5
        await env.open_case(client, f"conv-{n}")
    await env.create_coach("admin1", role="admin")
    await login(client, "admin1")
    resp = await client.get("/admin/stats.csv")
    assert resp.status == 200
    text = await resp.text()
    table = list(csv.reader(io.StringIO(text)))
    tried(f"{len(FORMULA_CHANNELS)} channel names, {len(FORMULA_INTENTS)} intent names "
          "that are formulas; groups of 2 and 3", f"{len(table)} CSV rows")
    for row in table:
        for value in row:
            assert not value.startswith(FORMULA_STARTS), row
    for name in FORMULA_CHANNELS + FORMULA_INTENTS:
        assert name not in text
    body = table[1:]
    keyed = [r for r in body if r[0] in ("samtal", "avsikt", "eskaleringar", "utfall")]
    assert keyed, "the large groups are there"
    for row in keyed:
        assert row[3].isdigit() and int(row[3]) >= MIN_COUNT, row
    assert not any(r[2] in ("callback", "ask_money", "request_human") for r in keyed)
    channels = {r[2]: int(r[3]) for r in body if r[0] == "samtal"}
    # the five foreign channel names are one group, the REST conversations stay themselves
    assert channels == {"annan": 6 * len(FORMULA_CHANNELS), "rest": 6 * len(FORMULA_INTENTS)}
    print("  nothing got through: no formula cell, no foreign name, no row under 5")
