"""What a young person writes to a coach never reaches the maintainers' review inbox, and the
inbox is emptied by retention.

The real relay broker posts to the real escalation service (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set): one conversation has an open coach case, one has none. Both send
messages the assistant did not understand (fallback, low confidence, a rephrase request).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "escalation"))

from escalation_helpers import INTERNAL_TOKEN

from bot.db.engine import make_engine, make_sessionmaker, upgrade_database
from bot.db.models import ReviewItem
from bot.escalation.review.web import review_store
from bot.ops.retention import Databases, purge
from bot.rasa_plugins.relay_broker import EscalationRelayBroker
from tests.escalation.conftest import (  # noqa: F401  (fixtures)
    db_url,
    env,
    fake_rasa,
    fast_password_hashing,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    """The service writes assigned examples into a copy of data/nlu, never the repository's."""
    import shutil

    shutil.copytree(ROOT / "data" / "nlu", tmp_path / "nlu")
    return {"nlu_dir": str(tmp_path / "nlu")}


def _user(sender: str, text: str, intent: str, conf: float) -> dict[str, Any]:
    return {"event": "user", "sender_id": sender, "text": text, "timestamp": 1.7e9,
            "parse_data": {"intent": {"name": intent, "confidence": conf},
                           "intent_ranking": [{"name": intent, "confidence": conf}],
                           "entities": []}}


def _conversation(sender: str, words: str) -> list[dict[str, Any]]:
    """A fallback, a low-confidence message and one answered with a rephrase request."""
    return [
        _user(sender, f"{words} ett", "nlu_fallback", 0.2),
        _user(sender, f"{words} två", "ask_help_options", 0.3),
        _user(sender, f"{words} tre", "greet", 0.9),
        {"event": "action", "sender_id": sender, "name": "utter_ask_rephrase"},
    ]


async def _wait(predicate: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_messages_of_an_open_case_never_go_to_review(env: Any) -> None:  # noqa: F811
    client = await env.make_client()
    await env.open_case(client, "conv-with-coach")
    broker = EscalationRelayBroker(str(env.server.make_url("")), INTERNAL_TOKEN,
                                   "http://127.0.0.1:9", "rasa-token")
    secret = "mamma slår mig hemma"
    plain = "vad kostar bussen"
    for event in _conversation("conv-with-coach", secret) + _conversation("conv-alone", plain):
        broker.publish(event)
    store = review_store(env.app)
    try:
        await _wait(lambda: len(store.open_items()) >= 3)
        await asyncio.sleep(0.3)  # anything late from the case conversation would show now
    finally:
        await broker.close()
    texts = sorted(i.text for i in store.open_items())
    print("tried: 3 missed messages in a conversation with an open coach case, 3 without")
    print("review inbox holds:", texts)
    assert texts == sorted(f"{plain} {n}" for n in ("ett", "två", "tre"))
    assert not any(secret in t for t in texts)
    print("nothing written while a coach case was open got through")


async def test_no_review_post_when_the_case_state_is_unknown(aiohttp_server: Any) -> None:
    """The service could not say whether a case is open: the review post is dropped."""
    posted: list[str] = []

    async def messages(request: web.Request) -> web.Response:
        posted.append(request.path)
        return web.json_response({"error": "bad"}, status=400)

    async def review(request: web.Request) -> web.Response:
        posted.append(request.path)
        return web.json_response({}, status=202)

    app = web.Application()
    app.router.add_post("/internal/conversations/{cid}/messages", messages)
    app.router.add_post("/internal/review", review)
    server = await aiohttp_server(app)
    broker = EscalationRelayBroker(str(server.make_url("")), "tok", "http://127.0.0.1:9", "r")
    for event in _conversation("conv-x", "hmm"):
        broker.publish(event)
    await _wait(lambda: len(posted) >= 3)
    await asyncio.sleep(0.3)
    await broker.close()
    print("relay answered 400 three times; posts made:", posted)
    assert "/internal/review" not in posted


def test_retention_deletes_review_items_open_or_resolved(tmp_path: Path) -> None:
    dbs = Databases(f"sqlite:///{tmp_path}/tracker.db", f"sqlite:///{tmp_path}/app.db")
    engine = make_engine(dbs.app_url)
    upgrade_database(engine)
    today = datetime.now(timezone.utc).date()
    rows = [("gammal öppen", "open", today - timedelta(days=40)),
            ("gammal avfärdad", "dismissed", today - timedelta(days=31)),
            ("gammal tilldelad", "assigned", today - timedelta(days=35)),
            ("ny öppen", "open", today - timedelta(days=2)),
            ("ny tilldelad", "assigned", today)]
    with make_sessionmaker(engine).begin() as s:
        for text, status, day in rows:
            s.add(ReviewItem(text=text, text_key=uuid.uuid4().hex, source="fallback",
                             received_on=day, status=status, seen_count=1))
    engine.dispose()
    assert purge(dbs, 30, dry_run=True)["review_items"] == 3
    counts = purge(dbs, 30)
    engine = make_engine(dbs.app_url)
    with make_sessionmaker(engine)() as s:
        left = sorted(i.text for i in s.query(ReviewItem).all())
    engine.dispose()
    print(f"review items 31-40 days old (open, dismissed, assigned) and 0-2 days old; "
          f"retention deleted {counts['review_items']}, left {left}")
    assert counts["review_items"] == 3
    assert left == ["ny tilldelad", "ny öppen"]


@pytest.mark.parametrize("age", [29, 31])
def test_review_item_retention_boundary(tmp_path: Path, age: int) -> None:
    dbs = Databases(f"sqlite:///{tmp_path}/tracker.db", f"sqlite:///{tmp_path}/app.db")
    engine = make_engine(dbs.app_url)
    upgrade_database(engine)
    with make_sessionmaker(engine).begin() as s:
        s.add(ReviewItem(text="x", text_key="k", source="fallback", status="open",
                         received_on=date.today() - timedelta(days=age), seen_count=1))
    engine.dispose()
    assert purge(dbs, 30)["review_items"] == (1 if age > 30 else 0)


async def test_texts_written_to_nlu_are_scrubbed_and_shown_first(env: Any,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    """An inbox item stored before the scrubber knew a form is scrubbed again on its way to
    data/nlu, and the maintainer sees the saved text before anything is written."""
    import re

    from escalation_helpers import login

    nlu = tmp_path / "nlu"
    raw = "min snap är bigboy_99 och jag heter Kalle Anka, ring +358 40 123 4567"
    with env.store.sessions.begin() as s:  # as an older scrubber left it
        s.add(ReviewItem(text=raw, text_key="old", source="fallback", status="open",
                         received_on=date.today(), seen_count=1))
    await env.create_coach("mia", role="maintainer")
    client = await env.make_client()
    csrf = await login(client, "mia")
    item = review_store(env.app).open_items()[0]
    before = {p.name: p.read_text() for p in nlu.iterdir()}
    form = {"csrf_token": csrf, "action": "assign", "intent": "greet", "item": str(item.id)}
    preview = await (await client.post("/review/action", data=form)).text()
    shown = re.search(r'class="review-text to-save">.*?>([^<]*)</td>', preview, re.S)
    assert shown is not None
    print("stored in the inbox:", raw)
    print("shown to the maintainer as what will be saved:", shown.group(1).strip())
    assert {p.name: p.read_text() for p in nlu.iterdir()} == before  # nothing written yet
    resp = await client.post("/review/action", data={**form, "confirm": "yes"})
    assert "1 exempel tillagda" in await resp.text()
    written = (nlu / "chitchat.yml").read_text()
    for piece in ("bigboy_99", "Kalle", "Anka", "4567"):
        assert piece not in shown.group(1) and piece not in written, piece
    assert shown.group(1).strip() in written
    print("written to chitchat.yml:", shown.group(1).strip(), "- nothing personal got through")
