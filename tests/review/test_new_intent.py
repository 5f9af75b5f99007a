"""A new intent with its answer from the review page: preview with diffs, then every file it
needs (content, domain, rule, examples), and the project still passes the content check and
`rasa data validate --fail-on-warnings`. Always on a temporary copy of the project files."""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from escalation_helpers import login

from bot import content
from bot.escalation.review import new_intent
from bot.escalation.review.web import review_store
from bot.runtimes import bot_command, rasa_executable

ROOT = Path(__file__).resolve().parent.parent.parent
SV = "Busskort får du via skolan.\nÄr du i fara: ring {emergency_number}."
EN = 'A bus card: ask your school ("skolkort").\nIf you\'re in danger: call {emergency_number}.'
WRITTEN = ("domain.yml", "data/content/content.yml", "data/rules/new_intents.yml",
           "data/nlu/new_intents.yml")


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in root.rglob("*.yml")}


async def _inbox(env: Any, texts: list[str]) -> tuple[Any, str, list[int]]:
    client = await env.make_client()
    for text in texts:
        await env.internal(client, "POST", "/internal/review",
                           {"text": text, "reason": "fallback", "language": "sv"})
    await env.create_coach("mia", role="maintainer")
    client = await env.make_client()
    csrf = await login(client, "mia")
    return client, csrf, [i.id for i in review_store(env.app).open_items()]


def _form(csrf: str, ids: list[int], **kw: str) -> dict[str, Any]:
    return {"csrf_token": csrf, "action": "new", "item": [str(i) for i in ids],
            "new_intent": "ask_bus_card", "answer_sv": SV, "answer_en": EN, **kw}


async def test_preview_then_save_writes_every_file_and_the_project_stays_valid(
        env: Any, project_copy: Path) -> None:
    client, csrf, ids = await _inbox(env, ["hur får man busskort", "busskort gratis??"])
    before = _snapshot(project_copy)
    preview = await client.post("/review/action", data=_form(csrf, ids))
    html = await preview.text()
    assert preview.status == 200 and "granska innan du sparar" in html
    assert "Är du i fara: ring 112." in html  # the fact, filled in, as the user reads it
    for path in WRITTEN:
        assert f'<h3 class="diff-file">{path}</h3>' in html, path
    assert "+  utter_ask_bus_card:" in html and "+  - ask_bus_card" in html
    assert _snapshot(project_copy) == before  # a preview writes nothing

    saved = await client.post("/review/action", data=_form(csrf, ids, confirm="yes"))
    assert saved.status == 200 and "Ny avsikt ask_bus_card: svar, regel och 2 exempel" in (
        await saved.text())
    after = _snapshot(project_copy)
    assert sorted(k for k in after if after[k] != before.get(k)) == sorted(WRITTEN)
    # the hand-written files only gain lines: every comment and line stays where it was
    for path in ("domain.yml", "data/content/content.yml"):
        ops = difflib.SequenceMatcher(None, before[path].splitlines(),
                                      after[path].splitlines(), autojunk=False).get_opcodes()
        changed = [op for op in ops if op[0] != "equal"]
        if path == "data/content/content.yml":
            assert [op[0] for op in changed] == ["insert"], changed
        assert all(line in after[path] for line in before[path].splitlines()
                   if line.lstrip().startswith("#"))
    answer = content.load(project_copy / "data/content/content.yml").responses[
        "utter_ask_bus_card"]
    assert answer == {"sv": SV + "\n", "en": EN + "\n"}
    domain = yaml.safe_load(after["domain.yml"])
    assert "ask_bus_card" in domain["intents"]
    assert domain["responses"]["utter_ask_bus_card"][0]["text"].endswith("ring 112.")
    assert {"rule": "ask_bus_card", "steps": [{"intent": "ask_bus_card"},
            {"action": "utter_ask_bus_card"}]} in yaml.safe_load(
        after["data/rules/new_intents.yml"])["rules"]
    examples = yaml.safe_load(after["data/nlu/new_intents.yml"])["nlu"][-1]
    assert examples["intent"] == "ask_bus_card"
    assert "- hur får man busskort" in examples["examples"]
    assert review_store(env.app).open_items() == []
    assert review_store(env.app).counts() == {"new_intent": 2}

    env_vars = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    check = subprocess.run([*bot_command("content"), "check", "--root",
                            str(project_copy)], cwd=ROOT, env=env_vars, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    responses = len(content.load(ROOT / "data/content/content.yml").responses)
    assert "content ok: " in check.stdout and f"{responses + 1} responses" in check.stdout
    rasa = rasa_executable()
    validate = subprocess.run([str(rasa), "data", "validate", "--fail-on-warnings"],
                              cwd=project_copy, env=env_vars, capture_output=True, text=True,
                              timeout=300)
    assert validate.returncode == 0, (validate.stdout + validate.stderr)[-3000:]


@pytest.mark.parametrize(("change", "status", "says"), [
    ({"new_intent": "Ask Bus"}, 400, "små bokstäver"),
    ({"new_intent": ""}, 400, "små bokstäver"),
    ({"answer_sv": "   \n "}, 400, "Skriv svaret på svenska"),
    ({"answer_en": ""}, 400, "Skriv svaret på engelska"),
    ({"answer_sv": "Ring 112 om du är i fara."}, 400, "innehåller en siffra"),
    ({"answer_en": "Call {police_number}."}, 400, "Okänd fakta i svaret: {police_number}"),
    ({"answer_sv": "x" * 1300}, 400, "längre än 1200 tecken"),
    ({"new_intent": "greet"}, 409, "Avsikten greet finns redan"),
])
async def test_bad_input_is_refused_with_the_form_kept(env: Any, project_copy: Path,
                                                       change: dict[str, str], status: int,
                                                       says: str) -> None:
    client, csrf, ids = await _inbox(env, ["hur får man busskort"])
    before = _snapshot(project_copy)
    for confirm in ("", "yes"):
        resp = await client.post("/review/action", data=_form(csrf, ids, confirm=confirm,
                                                               **change))
        html = await resp.text()
        assert resp.status == status and says in html, html[:2000]
        assert 'role="alert"' in html and "<details class=\"new-intent\" open>" in html
    assert _snapshot(project_copy) == before
    assert len(review_store(env.app).open_items()) == 1


async def test_walls_csrf_and_roles(env: Any, project_copy: Path) -> None:
    client, csrf, ids = await _inbox(env, ["hur får man busskort"])
    before = _snapshot(project_copy)
    no_token = _form(csrf, ids, confirm="yes")
    del no_token["csrf_token"]
    assert (await client.post("/review/action", data=no_token)).status == 403
    assert (await client.post("/review/action", data=_form("x" * 43, ids,
                                                           confirm="yes"))).status == 403
    await env.create_coach("anna")
    coach = await env.make_client()
    coach_csrf = await login(coach, "anna")
    assert (await coach.post("/review/action", data=_form(coach_csrf, ids,
                                                          confirm="yes"))).status == 403
    anonymous = await env.make_client()
    assert (await anonymous.post("/review/action", data=_form(csrf, ids))).status == 401
    assert (await client.post("/review/action", data=_form(csrf, ["x"]))).status == 400
    assert _snapshot(project_copy) == before


async def test_messages_already_under_another_intent_are_refused(env: Any,
                                                                project_copy: Path) -> None:
    client, csrf, ids = await _inbox(env, ["hur skaffar man jobb"])  # help_school_work has it
    before = _snapshot(project_copy)
    resp = await client.post("/review/action", data=_form(csrf, ids, confirm="yes"))
    assert resp.status == 409 and "finns redan under en annan avsikt" in await resp.text()
    assert _snapshot(project_copy) == before


def test_yaml_special_characters_round_trip_exactly(project_copy: Path) -> None:
    draft = new_intent.Draft(
        "ask_odd_text", '- "citat": #inte en kommentar\n  indrag: {emergency_number}',
        "key: value # no comment\n'single' and \"double\" and ünïcödé – ok")
    change = new_intent.plan(draft, ["en helt ny sorts fråga om ingenting"], project_copy)
    new_intent.apply(change)
    answer = content.load(project_copy / "data/content/content.yml").responses[
        "utter_ask_odd_text"]
    assert answer["sv"] == '- "citat": #inte en kommentar\n  indrag: {emergency_number}\n'
    assert answer["en"] == ("key: value # no comment\n'single' and \"double\" and "
                            "ünïcödé – ok\n")


def test_a_file_changed_after_the_preview_is_not_overwritten(project_copy: Path) -> None:
    change = new_intent.plan(new_intent.Draft("ask_bus_card", SV, EN),
                             ["hur får man busskort"], project_copy)
    domain = project_copy / "domain.yml"
    domain.write_text(domain.read_text(encoding="utf-8") + "# edited meanwhile\n",
                      encoding="utf-8")
    before = _snapshot(project_copy)
    with pytest.raises(new_intent.DraftError) as err:
        new_intent.apply(change)
    assert err.value.status == 409
    assert _snapshot(project_copy) == before
