"""The maintainer's paths in a real headless Chromium, against the real service process:
inbox, assign, a new intent with its answer (error, preview with diffs, save), statistics
(empty and with figures). axe-core (tests/axe.py, served from tests/browser) checks every
page: no serious or critical violation.

Screenshots go to artifacts/review/ (gitignored). domain.yml and data/ are a temporary copy.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.runtimes import bot_command
from tests.axe import violations
from tests.review.conftest import copy_project, write_tracker_events

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "artifacts" / "review"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "lösenord-för-mia"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The escalation service on a free port, a maintainer and a coach, a project copy and a
    tracker database with a week of anonymous events (three days ago)."""
    project = copy_project(tmp_path / "project")
    url = f"http://127.0.0.1:{_port()}"
    tracker = tmp_path / "t.db"
    then = time.time() - 3 * 86400
    rows = [(f"s{n}", "user", then, "greet", None, {"input_channel": "callback"})
            for n in range(9)]
    rows += [(f"s{n}", "user", then, "ask_how_to_leave", None, {"input_channel": "callback"})
             for n in range(6)]
    rows += [("s1", "user", then, "ask_anonymity", None, {"input_channel": "rest"})]
    write_tracker_events(tracker, rows)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/app.db", "ESCALATION_URL": url,
           "ESCALATION_INTERNAL_TOKEN": "itok", "SESSION_SECRET": "s" * 32,
           "REVIEW_PROJECT_DIR": str(project), "REVIEW_NLU_DIR": "",
           "RASA_TRACKER_DB_URL": f"sqlite:///{tracker}"}
    for name, role in (("mia", "maintainer"), ("anna", "coach")):
        subprocess.run([*bot_command("coach"), "create", "--username", name,
                        "--role", role, "--password-stdin"], input=PASSWORD + "\n",
                       text=True, env=env, cwd=ROOT, check=True)
    log = (tmp_path / "service.log").open("wb")
    proc = subprocess.Popen(bot_command("escalation"), env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        for text, reason in [("tjabba tjena mannen", "fallback"),
                             ("tjabba tjena mannen läget", "low_confidence"),
                             ("ja heter Kalle, hur får man busskort", "rephrase"),
                             ("busskort gratis?? hur", "fallback")]:
            req = urllib.request.Request(
                f"{url}/internal/review", method="POST",
                data=json.dumps({"text": text, "reason": reason, "intent": "greet",
                                 "confidence": 0.4, "language": "sv"}).encode(),
                headers={"Authorization": "Bearer itok", "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=30)
        yield {"url": url, "project": project}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _check(page: Any, shot: str) -> None:
    """Screenshot for a person to look at, and axe: no serious or critical violation."""
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    found = violations(page)
    assert not found, f"{shot}: {found}"


def _on_phone(page: Any, shot: str) -> None:
    """The same page at 360 px: nothing wider than the screen, axe still clean."""
    page.set_viewport_size(PHONE)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], shot
        _check(page, shot)
    finally:
        page.set_viewport_size(DESKTOP)


def _log_in(page: Any, username: str, lands_on: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lands_on)


def test_maintainer_paths_in_a_browser(service: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url, project = service["url"], service["project"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        # a maintainer who follows a link to the statistics lands there after logging in
        page.goto(f"{url}/admin/stats")
        assert "/login?next=" in page.url, page.url
        _check(page, "0-login.png")
        _log_in(page, "mia", "**/admin/stats")
        expect(page.locator("h1")).to_contain_text("Statistik")
        expect(page.locator("#stat-conversations")).to_have_text("10")
        chart = page.locator("img.chart").first
        expect(chart).to_have_attribute(
            "alt", "Diagram: Samtal per dag och kanal, 1 dag med minst 5. "
            "Totalt: webbchatt och sms 9.")
        assert page.evaluate("document.querySelector('img.chart').naturalWidth") > 0
        expect(page.locator("#empty-escalations")).to_contain_text("För få händelser")
        expect(page.locator("nav")).to_contain_text("Statistik")
        expect(page.locator("nav")).not_to_contain_text("Kö")
        _check(page, "1-stats.png")
        _on_phone(page, "1-stats-phone.png")
        page.goto(f"{url}/admin/stats?days=1")  # the events are three days old: nothing
        expect(page.locator(".empty-chart")).to_have_count(4)
        expect(page.locator("img.chart")).to_have_count(0)
        _check(page, "2-stats-empty.png")

        page.click("nav >> text=Granskning")
        page.wait_for_url("**/review")
        groups = page.locator(".review-group")
        expect(groups).to_have_count(2)
        expect(page.locator("body")).not_to_contain_text("Kalle")
        expect(page.locator("body")).to_contain_text("[namn]")
        _check(page, "3-inbox.png")
        _on_phone(page, "3-inbox-phone.png")
        tjabba = groups.filter(has_text="tjabba tjena mannen")
        tjabba.locator("select[name=intent]").select_option("greet")
        tjabba.locator("button[value=assign]").click()
        expect(page.locator(".to-save")).to_have_count(2)  # what will be written, first
        _check(page, "4-assign-preview.png")
        page.click("button[name=save]")
        expect(page.locator(".notice").last).to_contain_text("tillagda i chitchat.yml")
        expect(page.locator(".review-group")).to_have_count(1)

        bus = page.locator(".review-group").first
        bus.locator("summary", has_text="Skapa en ny avsikt").click()
        bus.locator("input[name=new_intent]").fill("ask_bus_card")
        bus.locator("textarea[name=answer_sv]").fill(
            "Busskort får du via skolan.\nÄr du i fara: ring 112.")
        bus.locator("textarea[name=answer_en]").fill(
            "You get a bus card through your school.\n"
            "If you're in danger: call {emergency_number}.")
        bus.locator("button[value=new]").click()
        # a typed number is refused: the form comes back filled in, with the reason
        alert = page.locator(".review-group [role=alert]")
        expect(alert).to_contain_text("innehåller en siffra")
        bus = page.locator(".review-group").first
        expect(bus.locator("input[name=new_intent]")).to_have_value("ask_bus_card")
        bus.locator("summary", has_text="Nummer, tider och löften").click()
        expect(bus.locator(".facts-table")).to_contain_text("{emergency_number}")
        _check(page, "5-new-intent-refused.png")
        bus.locator("textarea[name=answer_sv]").fill(
            "Busskort får du via skolan.\nÄr du i fara: ring {emergency_number}.")
        bus.locator("button[value=new]").click()
        expect(page.locator("h1")).to_contain_text("Ny avsikt ask_bus_card")
        expect(page.locator("#preview-sv")).to_have_text(
            "Busskort får du via skolan.\nÄr du i fara: ring 112.")
        expect(page.locator("#preview-en")).to_contain_text("call 112.")
        expect(page.locator("h3.diff-file")).to_have_text(
            ["data/content/content.yml", "domain.yml", "data/rules/new_intents.yml",
             "data/nlu/new_intents.yml"])
        expect(page.locator("pre.diff .add", has_text="- ask_bus_card").first).to_be_visible()
        expect(page.locator(".to-save")).to_have_count(2)
        assert "ask_bus_card" not in (project / "domain.yml").read_text(encoding="utf-8")
        _check(page, "6-new-intent-preview.png")
        page.click("button[name=save]")
        expect(page.locator(".notice").last).to_contain_text(
            "Ny avsikt ask_bus_card: svar, regel och 2 exempel sparade")
        expect(page.locator("#empty")).to_be_visible()
        _check(page, "7-inbox-done.png")
        # the browser logs the refused draft's 400 (the page itself is the answer); nothing else
        assert errors == ["Failed to load resource: the server responded with a status of 400 "
                          "(Bad Request)"], errors
        browser.close()
    domain = yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8"))
    assert "ask_bus_card" in domain["intents"] and "utter_ask_bus_card" in domain["responses"]
    assert "- tjabba tjena mannen\n" in (project / "data/nlu/chitchat.yml").read_text(
        encoding="utf-8")


def test_a_coach_sees_neither_inbox_nor_statistics(service: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = service["url"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/login")
        _log_in(page, "anna", "**/queue")
        expect(page.locator("nav")).not_to_contain_text("Statistik")
        expect(page.locator("nav")).not_to_contain_text("Granskning")
        for path in ("/admin/stats", "/review"):
            response = page.goto(f"{url}{path}")
            assert response is not None and response.status == 403, path
            expect(page.locator("body")).to_contain_text("Endast förvaltare")
            _check(page, f"8-coach-refused{path.replace('/', '-')}.png")
        browser.close()
