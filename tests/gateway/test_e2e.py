"""End to end with the real assistant: the trained model in a real `rasa run` whose callback
channel points at the real gateway (subprocess), the action server, the escalation service,
simulated SMS providers on loopback, and a young person in headless Chromium.
Screenshots go to artifacts/gateway/ (not committed)."""

from __future__ import annotations

import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import text as content_text
from bot.gateway.vault import SMS_PREFIX, WEB_PREFIX, pseudonym
from tests.conftest import ROOT
from tests.gateway.e2e_support import COACH_PASSWORD, CoachClient, running_system
from tests.gateway.helpers import ELKS_SECRET, elks_post, twilio_post

pytestmark = [pytest.mark.model, pytest.mark.slow]
ARTIFACTS = ROOT / "artifacts" / "gateway"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def system(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    with running_system(trained_model, tmp_path_factory.mktemp("gateway_e2e")) as sysinfo:
        yield sysinfo


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def elks(system: dict, number: str, body: str) -> None:
    data, headers = elks_post(number, body)
    status, _ = post(f"{system['gateway']}/sms/46elks/{ELKS_SECRET}", data, headers)
    assert status == 200


def test_twilio_sms_gets_the_assistants_answer(system: dict) -> None:
    number = "+46701110001"
    url = f"{system['gateway']}/sms/twilio"
    data, headers = twilio_post(url, number, "vad är sluta skjut?")
    status, body = post(url, data, headers)
    assert status == 200 and "<Response>" in body
    sent = system["provider"].wait_for(number, "Group Violence Intervention")
    assert sent["provider"] == "twilio"
    # forged: 403, nothing reaches Rasa or the vault
    forged, headers = twilio_post(url, "+46701110002", "hej", token="not-the-token")
    assert post(url, forged, headers)[0] == 403
    time.sleep(1)
    assert system["provider"].to("+46701110002") == []


def test_sms_escalation_coach_and_stop_with_46elks(system: dict) -> None:
    number = "+46701110003"
    provider = system["provider"]
    sender = pseudonym(system["secret"], number, SMS_PREFIX)
    coach = CoachClient(system["console"], "gwcoach", COACH_PASSWORD)  # online: a coach comes
    elks(system, number, "kan ja prata me en människa")
    consent = provider.wait_for(number, "Svara 1 eller 2.")
    assert "1. Ja, koppla mig" in consent["body"]
    elks(system, number, "1")  # picks "Ja, koppla mig" -> /affirm
    provider.wait_for(number, "Din förfrågan har gått till en coach")
    case_id = coach.case_for(sender)
    coach.api("POST", f"/api/cases/{case_id}/claim")
    coach.api("POST", f"/api/cases/{case_id}/messages", {"text": "Hej! Jag heter Anna."})
    sms = provider.wait_for(number, "Hej! Jag heter Anna.")
    assert sms["body"].startswith("Coach: ")
    # while paused, the user's SMS goes to the coach
    elks(system, number, "ja e skyldig folk pengar")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        events = coach.api("GET", f"/api/cases/{case_id}")["events"]
        if any("skyldig folk pengar" in (e.get("text") or "") for e in events):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the coach did not get the SMS")
    # STOP: number deleted, confirmation sent, the coach case is closed
    elks(system, number, "SLUTA")
    provider.wait_for(number, "ditt nummer är raderat")
    deadline = time.monotonic() + 20
    while coach.api("GET", f"/api/cases/{case_id}")["case"]["status"] != "closed":
        assert time.monotonic() < deadline, "case not closed after STOP"
        time.sleep(0.3)
    with sqlite3.connect(system["work"] / "vault.db") as conn:
        assert conn.execute("select count(*) from sms_contacts where sender_id = ?",
                            (sender,)).fetchone()[0] == 0
    # the number is nowhere in clear: not in Rasa's tracker store, the vault, the project db
    digits = number[1:].encode()
    for name in ("tracker.db", "vault.db", "app.db"):
        path = system["work"] / name
        assert digits not in path.read_bytes(), name


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_web_chat_in_chromium(system: dict) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = system["gateway"]
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/")
        expect(page.locator("#quick-exit")).to_have_text("Lämna sidan snabbt")
        page.screenshot(path=str(ARTIFACTS / "1-start-360.png"))

        # send a message, get the reply
        page.fill("#message", "vad är sluta skjut?")
        page.keyboard.press("Enter")
        expect(page.locator(".msg.user")).to_contain_text("vad är sluta skjut?")
        expect(page.locator(".msg.bot").first).to_contain_text("Group Violence Intervention",
                                                                timeout=30_000)
        token = page.evaluate("localStorage.getItem('ss-chat-token')")
        sender = pseudonym(system["secret"], token, WEB_PREFIX)

        # quick reply (a coach is logged in, so one is coming)
        coach = CoachClient(system["console"], "gwcoach", COACH_PASSWORD)
        page.fill("#message", "ja vill prata me en människa")
        page.click("#send")
        yes = page.locator("#quick-replies button", has_text="Ja, koppla mig")
        expect(yes).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "2-quick-replies-360.png"))
        yes.click()
        expect(page.locator("#log")).to_contain_text("Din förfrågan har gått till en coach",
                                                     timeout=30_000)
        expect(page.locator(".msg.user").last).to_contain_text("Ja, koppla mig")

        # reload: the conversation is still there
        page.reload()
        expect(page.locator("#log")).to_contain_text("ja vill prata me en människa",
                                                     timeout=15_000)
        expect(page.locator("#log")).to_contain_text("Din förfrågan har gått till en coach")
        expect(page.locator(".msg.user")).to_have_count(3)

        # a coach claims and writes: arrives live, without reload, with a "joined" notice
        case_id = coach.case_for(sender)
        coach.api("POST", f"/api/cases/{case_id}/claim")
        coach.api("POST", f"/api/cases/{case_id}/messages",
                  {"text": "Hej! Jag heter Anna och är coach. Vad vill du prata om?"})
        expect(page.locator(".msg.coach")).to_contain_text("Jag heter Anna", timeout=15_000)
        expect(page.locator(".notice").first).to_have_text(
            content_text("utter_web_coach_joined", "sv"))
        page.fill("#message", "ja e skyldig folk pengar")
        page.click("#send")
        page.screenshot(path=str(ARTIFACTS / "3-coach-360.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / "4-coach-desktop.png"))
        coach.api("POST", f"/api/cases/{case_id}/handback")
        goodbye = content_text("utter_coach_handed_back", "sv")
        expect(page.locator("#log .notice").last).to_have_text(goodbye, timeout=15_000)
        # "the coach has left" once (the goodbye itself), live and after a reload
        assert page.locator("#log").inner_text().count("Coachen har lämnat chatten") == 1
        page.reload()
        expect(page.locator("#log")).to_contain_text(goodbye, timeout=15_000)
        assert page.locator("#log").inner_text().count("Coachen har lämnat chatten") == 1

        # English switch: page texts change and the assistant is told
        page.click("#lang-switch")
        expect(page.locator("#send")).to_have_text("Send")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#log")).to_contain_text(
            content_text("utter_language_switched", "en"), timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "5-english-desktop.png"))

        # asks for a coach again, then leaves with the quick exit: the coach is told at once
        page.fill("#message", "I want to talk to a real person")
        page.click("#send")
        yes = page.locator("#quick-replies button", has_text="Yes, connect me")
        expect(yes).to_be_visible(timeout=30_000)
        yes.click()
        deadline = time.monotonic() + 30
        while coach.case_for(sender) == case_id and time.monotonic() < deadline:
            time.sleep(0.2)
        second = coach.case_for(sender)
        assert second != case_id
        coach.api("POST", f"/api/cases/{second}/claim")

        # quick exit: neutral site, nothing left on the page or in storage
        page.click("#quick-exit")
        page.wait_for_url(system["exit_url"])
        reasons: list[str] = []
        while "quick_exit" not in reasons and time.monotonic() < deadline + 15:
            events = coach.api("GET", f"/api/cases/{second}")["events"]
            reasons = [str(e["data"].get("reason")) for e in events]
            time.sleep(0.2)
        assert "quick_exit" in reasons
        assert page.evaluate("history.length") >= 1
        page.goto(base + "/")
        assert page.evaluate("localStorage.length") == 0
        expect(page.locator(".msg")).to_have_count(0)
        expect(page.locator("#send")).to_have_text("Skicka")

        # Esc twice does the same
        page.fill("#message", "hej")
        page.keyboard.press("Enter")
        expect(page.locator(".msg.bot").first).to_be_visible(timeout=30_000)
        page.locator("#message").focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        page.wait_for_url(system["exit_url"])
        page.goto(base + "/")
        assert page.evaluate("localStorage.length") == 0
        expect(page.locator(".msg")).to_have_count(0)
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


