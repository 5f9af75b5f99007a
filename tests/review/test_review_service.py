"""Review inbox and statistics through the real aiohttp app (SQLite, PostgreSQL if set)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import yaml
from escalation_helpers import CSRF_META, login

from bot.escalation.review.web import review_store
from tests.review.conftest import write_tracker_events


async def capture(env, client, text: str, reason: str = "fallback", **extra):
    return await env.internal(client, "POST", "/internal/review",
                              {"text": text, "reason": reason, "intent": "greet",
                               "confidence": 0.31, "language": "sv", **extra})


async def test_capture_scrubs_and_never_stores_the_sender(env) -> None:
    client = await env.make_client()
    resp = await capture(env, client, "jag heter Kalle ring 070-123 45 67",
                         sender_id="abc-secret", timestamp=time.time())
    assert resp.status == 202
    first = await resp.json()
    again = await capture(env, client, "jag heter Kalle ring 070-123 45 67")
    assert (await again.json()) == {"id": first["id"], "created": False}
    items = review_store(env.app).open_items()
    assert len(items) == 1 and items[0].seen_count == 2
    assert items[0].text == "jag heter [namn] ring [telefon]"
    assert items[0].predicted_intent == "greet" and items[0].confidence == 0.31
    with env.store.sessions() as s:
        from sqlalchemy import text

        row = s.execute(text("SELECT * FROM review_items")).mappings().one()
    assert "abc-secret" not in json.dumps({k: str(v) for k, v in row.items()})
    assert "Kalle" not in str(dict(row))


async def test_capture_needs_token_and_valid_fields(env) -> None:
    client = await env.make_client()
    assert (await env.internal(client, "POST", "/internal/review", {"text": "x",
            "reason": "fallback"}, token="wrong")).status == 401
    assert (await capture(env, client, "hej", reason="because")).status == 400
    assert (await capture(env, client, "hej", confidence="high")).status == 400
    assert (await capture(env, client, "hej", language="de")).status == 400


async def test_maintainer_sees_inbox_but_no_cases(env) -> None:
    await env.create_coach("mia", role="maintainer")
    client = await env.make_client()
    page = await client.get("/login")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    resp = await client.post("/login", data={"username": "mia", "password":
                             "correct horse battery", "csrf_token": token, "next": "/queue"},
                             allow_redirects=False)
    assert resp.status == 302
    queue = await client.get("/queue", allow_redirects=False)
    assert queue.status == 302 and queue.headers["Location"] == "/review"
    assert (await client.get("/api/queue")).status == 403
    review = await client.get("/review")
    assert review.status == 200 and "Granskning" in await review.text()
    # a logged-in maintainer is not a coach the bot can promise to the user
    assert env.store.coaches_online(120) == 0


async def test_coach_cannot_open_the_inbox(env) -> None:
    await env.create_coach("anna")
    client = await env.make_client()
    await login(client, "anna")
    assert (await client.get("/review")).status == 403


async def _maintainer(env):
    await env.create_coach("admin1", role="admin")
    client = await env.make_client()
    await login(client, "admin1")
    page = await client.get("/review")
    csrf = CSRF_META.search(await page.text()).group(1)
    return client, csrf


async def test_inbox_groups_and_assign_writes_the_nlu_file(env, nlu_copy: Path) -> None:
    client = await env.make_client()
    for text in ("tjabba tjena mannen", "tjabba tjena mannen läget", "vad kostar bussen"):
        await capture(env, client, text)
    client, csrf = await _maintainer(env)
    html = await (await client.get("/review")).text()
    assert html.count('class="card review-group"') == 2  # the two "tjabba" are one group
    ids = [i.id for i in review_store(env.app).open_items() if i.text.startswith("tjabba")]
    form = {"csrf_token": csrf, "action": "assign", "intent": "greet",
            "item": [str(i) for i in ids]}
    before = (nlu_copy / "chitchat.yml").read_text()
    preview = await client.post("/review/action", data=form)
    assert preview.status == 200 and "Spara i data/nlu/chitchat.yml" in await preview.text()
    assert (nlu_copy / "chitchat.yml").read_text() == before  # nothing saved yet
    resp = await client.post("/review/action", data={**form, "confirm": "yes"})
    assert resp.status == 200  # redirected back to the inbox with a notice
    assert "2 exempel tillagda i chitchat.yml" in await resp.text()
    greet = next(i for i in yaml.safe_load((nlu_copy / "chitchat.yml").read_text())["nlu"]
                 if i.get("intent") == "greet")
    assert "- tjabba tjena mannen\n" in greet["examples"]
    assert [i.text for i in review_store(env.app).open_items()] == ["vad kostar bussen"]


async def test_dismiss_and_csrf(env) -> None:
    client = await env.make_client()
    await capture(env, client, "helt orelaterat skräp qwerty")
    client, csrf = await _maintainer(env)
    items = {i.text: i.id for i in review_store(env.app).open_items()}
    # no CSRF token: refused
    assert (await client.post("/review/action", data={"action": "dismiss",
                              "item": str(items["helt orelaterat skräp qwerty"])})).status == 403
    await client.post("/review/action", data={"csrf_token": csrf, "action": "dismiss",
                      "item": str(items["helt orelaterat skräp qwerty"])})
    assert review_store(env.app).open_items() == []
    assert review_store(env.app).counts() == {"dismissed": 1}
    bad = await client.post("/review/action", data={"csrf_token": csrf, "action": "assign",
                            "intent": "Bad Name", "item": "1"})
    assert "Ange en avsikt" in await bad.text()


async def test_a_case_message_cannot_be_flagged_for_review(env) -> None:
    """What is written to a coach stays with the coach: flagging answers 410, stores nothing."""
    await env.create_coach("anna")
    client = await env.make_client()
    opened = await env.open_case(client, "conv-flag")
    await env.internal(client, "POST", "/internal/conversations/conv-flag/messages",
                       {"text": "ja heter Jonte o e rädd", "intent": "fear_retaliation"})
    csrf = await login(client, "anna")
    events = (await (await client.get(f"/api/cases/{opened['case_id']}")).json())["events"]
    user_event = next(e for e in events if e["kind"] == "user")
    resp = await client.post(f"/api/cases/{opened['case_id']}/events/{user_event['id']}/flag",
                             headers={"X-CSRF-Token": csrf})
    assert resp.status == 410
    assert "coachen" in (await resp.json())["message"]
    assert review_store(env.app).open_items() == []


async def test_stats_page_plots_csv_and_suppression(env, tracker_db: Path) -> None:
    now = time.time()
    rows = []
    for n in range(7):
        rows.append((f"s{n}", "user", now, "greet", None, {"input_channel": "rest"}))
    rows.append(("s0", "user", now, "nlu_fallback", None, {"input_channel": "rest"}))
    rows.append(("x1", "user", now, "ask_money", None, {"input_channel": "callback"}))
    rows.append(("s0", "action", now, None, "utter_ask_rephrase", {}))
    write_tracker_events(tracker_db, rows)
    client = await env.make_client()
    for n in range(6):
        await env.open_case(client, f"conv-{n}")
    await env.create_coach("admin1", role="admin")
    await login(client, "admin1")
    page = await client.get("/admin/stats")
    html = await page.text()
    assert page.status == 200 and "Statistik" in html
    assert 'id="stat-conversations">8<' in html and 'id="stat-escalations">6<' in html
    assert "Diagram: Samtal per dag och kanal, 1 dag med minst 5. Totalt: REST-kanal 7." in html
    # nothing that points at a person (random token values, such as the CSRF one, aside:
    # one of them once held "s0" by chance)
    shown = re.sub(r'(?:content|value|nonce)="[^"]*"', "", html)
    assert "s0" not in shown and "conv-1" not in shown
    png = await client.get("/admin/stats/conversations.png")
    assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
    csv_text = await (await client.get("/admin/stats.csv")).text()
    assert "samtal" in csv_text and ",rest,7" in csv_text
    assert ",callback," not in csv_text and ",ask_money," not in csv_text  # under 5: left out
    assert (await client.get("/admin/stats/nope.png")).status == 404


async def test_stats_for_maintainers_and_admins_not_coaches(env) -> None:
    await env.create_coach("anna")
    await env.create_coach("mia", role="maintainer")
    anonymous = await env.make_client()
    gone = await anonymous.get("/admin/stats", allow_redirects=False)
    assert gone.status == 302 and gone.headers["Location"].startswith("/login?next=")
    assert (await anonymous.get("/admin/stats.csv", allow_redirects=False)).status == 302
    client = await env.make_client()
    await login(client, "anna")
    for path in ("/admin/stats", "/admin/stats.csv", "/admin/stats/intents.png"):
        assert (await client.get(path)).status == 403, path
    client = await env.make_client()
    await login(client, "mia")
    page = await client.get("/admin/stats", allow_redirects=False)
    html = await page.text()
    assert page.status == 200 and 'href="/admin/stats"' in html  # and in the menu
    for name in ("conversations", "intents", "escalations", "outcomes"):
        assert f'id="empty-{name}"' in html  # nothing yet: the message, no empty chart
    assert "<img" not in html
    assert (await client.get("/admin/stats.csv")).status == 200
    assert (await client.get("/admin/stats/intents.png")).status == 200
    # the other walls stay: no queue, no case, no canned replies for a maintainer
    assert (await client.get("/queue", allow_redirects=False)).headers["Location"] == "/review"
    assert (await client.get("/admin/canned", allow_redirects=False)).status == 302
    assert (await client.get("/api/cases/1")).status == 403


async def test_a_tapped_did_you_mean_guess_labels_the_open_item(env) -> None:
    """The writer's own choice replaces the classifier's guess and is shown as its source."""
    client = await env.make_client()
    first = await (await capture(env, client, "de vill ha cash av mig nu")).json()
    chosen = await capture(env, client, "de vill ha cash av mig nu", reason="user_choice",
                           intent="help_debt", confidence=0.22)
    assert chosen.status == 202 and (await chosen.json())["id"] == first["id"]
    [item] = review_store(env.app).open_items()
    assert (item.source, item.predicted_intent, item.confidence) == (
        "user_choice", "help_debt", 0.22)
    assert item.seen_count == 2
    # a later threshold capture of the same text does not overwrite the person's label
    await capture(env, client, "de vill ha cash av mig nu", reason="low_confidence")
    [item] = review_store(env.app).open_items()
    assert (item.source, item.predicted_intent) == ("user_choice", "help_debt")
