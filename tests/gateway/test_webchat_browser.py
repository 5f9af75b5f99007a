"""The young person's web chat in Chromium, phone first, against the real system (trained
model in `rasa run`, action server, escalation service, gateway): the layout at 360x740,
320x568 and desktop, starter choices, tappable numbers and links, long answers short first,
the coach status line, typing both ways, a pending choice kept over a language switch, the
quick-exit hint, a message whose socket dies before its acknowledgement (sent again and
answered once), the browser's "leave the page?" question only while a message waits (never on
the quick exit), and axe-core on every main path.

axe-core comes from npm (tests/browser/package.json and its lock, pinned; the one copy every
browser test uses, tests/axe.py); the file is served to
the page on the page's own origin by Playwright's router, so the chat's strict CSP stays as
it is in production. Screenshots go to artifacts/webchat/ (not committed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.content import text as content_text
from bot.gateway.vault import WEB_PREFIX, pseudonym
from bot.protocol import WEB_MESSAGE_ID_KEY
from tests.axe import AXE_JS
from tests.conftest import ROOT
from tests.gateway.e2e_support import COACH_PASSWORD, CoachClient, running_system

pytestmark = [pytest.mark.model, pytest.mark.slow]
ARTIFACTS = ROOT / "artifacts" / "webchat"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_DIR = AXE_JS.parent.parent.parent  # tests/browser
AXE_FILE = AXE_JS
AXE_PATH = "/__test__/axe.min.js"
SIZES = {"360": (360, 740), "320": (320, 568), "desktop": (1280, 900)}
ANSWER_TIMEOUT = 30_000

pytest.importorskip("playwright")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe.min.js from the pinned npm package (installed from the lock file if missing)."""
    if not AXE_FILE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed once to install axe-core (tests/browser/package-lock.json)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=True,
                       timeout=300, capture_output=True)
    return AXE_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def system(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    with running_system(trained_model, tmp_path_factory.mktemp("webchat_browser")) as info:
        yield info


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_chat(browser: Any, system: dict, size: str, axe: str, ws_route: Any = None,
              **context: Any) -> Any:
    width, height = SIZES[size]
    ctx = browser.new_context(viewport={"width": width, "height": height}, **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**" + AXE_PATH, lambda route: route.fulfill(
        status=200, body=axe, content_type="application/javascript"))
    if ws_route is not None:  # the chat's socket through the test (it can cut it)
        page.route_web_socket("**/ws", ws_route)
    page.goto(system["gateway"] + "/")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def serious_violations(page: Any, base: str) -> list[dict[str, Any]]:
    """axe-core on the page as it is now; violations of impact serious or critical."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=base + AXE_PATH)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
               .map(v => ({id: v.id, impact: v.impact, help: v.help,
                           nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def in_view(page: Any, selector: str) -> bool:
    """The top edge of the newest answer's first bubble (the first `selector` after the last
    message of the user) is inside the visible part of the chat log and the window."""
    return bool(page.evaluate(
        """(sel) => { const users = document.querySelectorAll('.msg.user');
             let last = users[users.length - 1];
             do { last = last && last.nextElementSibling; } while (last && !last.matches(sel));
             if (!last) return false;
             const r = last.getBoundingClientRect(); const log = document.getElementById('log')
               .getBoundingClientRect();
             return r.top >= log.top - 1 && r.top < log.bottom - 20 && r.top < innerHeight; }""",
        selector))


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.mark.parametrize("size", list(SIZES))
def test_main_path_fits_the_screen_with_starters_links_and_more(
        browser: Any, system: dict, axe_source: str, size: str) -> None:
    from playwright.sync_api import expect

    page = open_chat(browser, system, size, axe_source)
    width, height = SIZES[size]
    # the starter choices, the exit and the input are on the first screen
    starters = page.locator("#quick-replies button.starter")
    expect(starters).to_have_count(4)
    for locator in ("#quick-exit", "#send", "#message", "#quick-replies button >> nth=0"):
        box = page.locator(locator).bounding_box()
        assert box and box["y"] + box["height"] <= height and box["x"] >= 0, locator
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    header = page.locator(".bar").bounding_box()["height"]
    info = page.locator(".infobar").bounding_box()["height"]
    assert header + info <= 100, (header, info)  # was 320 px of 740
    # the greeting is two short lines (automated, anonymous, 112 as a tel: link); what is
    # stored is behind "Läs mer", so the starters and the input fit above the fold
    intro = page.locator(".intro")
    expect(intro).to_contain_text("automatisk")
    expect(intro).to_contain_text("anonym")
    expect(page.locator(".intro a[href='tel:112']")).to_be_visible()
    line = float(page.evaluate("parseFloat(getComputedStyle("
                               "document.querySelector('.intro p')).lineHeight)"))
    greeting = page.locator(".intro p").first.bounding_box()["height"]
    assert greeting <= 4 * line + 1, (greeting, line)  # two sentences, at most four lines
    stored = page.locator("#intro-more p")
    expect(stored).to_be_hidden()
    rows = page.evaluate("""() => { const box = el => el.getBoundingClientRect();
        const last = [...document.querySelectorAll('#quick-replies button')].pop();
        return [box(document.querySelector('.intro')).bottom, box(last).top,
                box(document.getElementById('composer')).bottom]; }""")
    assert rows[0] <= rows[1] and rows[2] <= height, rows  # nothing overlaps, nothing scrolls
    assert page.evaluate("document.getElementById('log').scrollHeight"
                         " <= document.getElementById('log').clientHeight")
    shot(page, f"1-start-{size}")
    page.click("#intro-more summary")
    expect(stored).to_contain_text("30 dagar")
    shot(page, f"1-start-more-{size}")
    assert serious_violations(page, system["gateway"]) == []
    page.click("#intro-more summary")
    assert serious_violations(page, system["gateway"]) == []

    # a starter sends its words; the answer arrives and its first line is in view
    starters.filter(has_text="Vilken hjälp finns?").click()
    expect(page.locator(".msg.user").last).to_have_text(
        content_text("utter_web_you_label", "sv") + "Vilken hjälp finns?")
    expect(page.locator(".msg.bot").last).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(page.locator("#quick-replies button.starter")).to_have_count(0)
    assert in_view(page, ".msg.bot")
    shot(page, f"2-answer-{size}")

    # a long answer without numbers comes short first, with "Visa mer"
    page.fill("#message", "är chatten anonym?")
    page.keyboard.press("Enter")
    anonymity = page.locator(".msg.bot", has_text="logga in").last
    expect(anonymity).to_be_visible(timeout=ANSWER_TIMEOUT)
    more = anonymity.locator(".more")
    expect(more).to_have_text("Visa mer")
    rest = anonymity.locator(".rest")
    expect(rest).to_be_hidden()
    assert in_view(page, ".msg.bot")
    shot(page, f"3-short-first-{size}")
    more.click()
    expect(rest).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")

    # numbers and sites in an answer are links; seven help choices stay in one row
    page.fill("#message", "jag mår så dåligt hela tiden")
    page.keyboard.press("Enter")
    answer = page.locator(".msg.bot", has_text="Självmordslinjen").last
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(answer.locator("a[href='tel:90101']")).to_be_visible()
    expect(answer.locator("a[href='tel:116111']")).to_have_text("116 111")
    expect(answer.locator("a[href='https://mind.se/']")).to_be_visible()
    assert in_view(page, ".msg.bot")
    shot(page, f"4-links-{size}")
    assert serious_violations(page, system["gateway"]) == []
    page.fill("#message", "vad finns det för hjälp om man vill ut")
    page.keyboard.press("Enter")
    page.locator("#quick-replies button", has_text="Skulder").wait_for(timeout=ANSWER_TIMEOUT)
    rows = page.evaluate("new Set([...document.querySelectorAll('#quick-replies button')]"
                         ".map(b => Math.round(b.getBoundingClientRect().top))).size")
    assert rows == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"5-choices-{size}")
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e]
    page.context.close()


def test_coach_status_typing_both_ways_and_choice_kept_over_language_switch(
        browser: Any, system: dict, axe_source: str) -> None:
    from playwright.sync_api import expect

    coach_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    console = coach_ctx.new_page()
    console.goto(system["console"] + "/login")
    console.fill("#username", "gwcoach")
    console.fill("#password", COACH_PASSWORD)
    console.click("button[type=submit]")
    console.wait_for_url("**/queue")

    page = open_chat(browser, system, "360", axe_source)
    # the status line: a coach is online, and the real hours from COACH_HOURS
    status = page.locator("#coach-status")
    deadline = time.monotonic() + 45  # the gateway caches the status for 20 s
    while status.get_attribute("data-state") != "online" and time.monotonic() < deadline:
        page.wait_for_timeout(2000)
        page.reload()
    expect(status).to_have_attribute("data-state", "online", timeout=5_000)
    expect(page.locator("#status-text")).to_have_text(
        content_text("utter_web_status_online", "sv"))
    page.click("#coach-status summary")
    expect(page.locator("#status-hours")).to_have_text("Coacherna svarar mån–sön dygnet runt.")
    expect(page.locator("#status-numbers a[href='tel:90101']")).to_be_visible()
    shot(page, "6-status-open-360")
    page.click("#coach-status summary")

    # a yes/no is open; switching language keeps it, in the new language, and it still works
    page.fill("#message", "kan jag prata med en människa")
    page.keyboard.press("Enter")
    expect(page.locator("#quick-replies button", has_text="Ja, koppla mig")).to_be_visible(
        timeout=ANSWER_TIMEOUT)
    consent = page.locator(".msg.bot", has_text="Coachen ser den här konversationen").last
    expect(consent.locator(".more")).to_have_count(0)  # a choice's text is never folded
    expect(consent).to_contain_text(content_text("utter_coach_consent", "sv").splitlines()[-1])
    page.click("#lang-switch")
    expect(page.locator("#send")).to_have_text("Send")
    yes = page.locator("#quick-replies button", has_text="Yes, connect me")
    expect(yes).to_be_visible()
    expect(page.locator("#quick-replies button", has_text="No thanks")).to_be_visible()
    shot(page, "7-choice-kept-english-360")
    yes.click()
    # the choice still works, and its answer is already in English: the page's language
    # goes with the answer to Rasa (message metadata), not in a turn of its own
    queued = page.locator(".msg.bot", has_text="Your request has gone to a coach")
    expect(queued).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(page.locator("#log")).not_to_contain_text("Din förfrågan har gått till en coach")
    shot(page, "7b-choice-answered-english-360")

    # the coach claims the case in the console and starts typing: the young person sees it
    token = page.evaluate("localStorage.getItem('ss-chat-token')")
    assert token
    coach = CoachClient(system["console"], "gwcoach", COACH_PASSWORD)
    waiting = coach.newest_waiting_case()
    coach.api("POST", f"/api/cases/{waiting['case_id']}/claim")
    console.goto(f"{system['console']}/cases/{waiting['case_id']}")
    console.locator(".pane textarea.message").press_sequentially("Hej, jag heter Anna", delay=150)
    expect(page.locator("#typing")).to_be_visible(timeout=15_000)
    expect(page.locator("#typing-text")).to_have_text(
        content_text("utter_web_coach_typing", "en"))
    shot(page, "8-coach-typing-360")
    console.locator(".pane textarea.message").press("Enter")
    expect(page.locator(".msg.coach")).to_contain_text("Hej, jag heter", timeout=15_000)
    expect(page.locator("#typing")).to_be_hidden()

    # the young person types: the coach's console shows it
    page.locator("#message").press_sequentially("jag vet inte", delay=30)
    expect(console.locator(".pane .user-typing")).to_be_visible(timeout=15_000)
    console.screenshot(path=str(ARTIFACTS / "9-console-user-typing.png"))
    page.keyboard.press("Enter")
    expect(console.locator(".pane .user-typing")).to_be_hidden(timeout=15_000)
    assert serious_violations(page, system["gateway"]) == []
    coach.api("POST", f"/api/cases/{waiting['case_id']}/handback")
    page.context.close()
    coach_ctx.close()


def test_quick_exit_hint_is_true_and_esc_only_shown_with_a_keyboard(
        browser: Any, system: dict, axe_source: str) -> None:
    from playwright.sync_api import expect

    phone = open_chat(browser, system, "320", axe_source, has_touch=True, is_mobile=True)
    hint = phone.locator("#exit-hint")
    expect(hint).to_be_hidden()  # folded: one short line until asked
    phone.click("#exit-info summary")
    expect(hint).to_contain_text("historik")
    expect(hint).to_contain_text("privat")
    expect(phone.locator("#exit-hint .keys-only")).to_be_hidden()  # no Esc on a phone
    shot(phone, "10-exit-hint-320")
    assert serious_violations(phone, system["gateway"]) == []
    phone.click("#quick-exit")
    phone.wait_for_url(system["exit_url"])
    assert phone.evaluate("localStorage.length") == 0
    phone.context.close()

    desktop = open_chat(browser, system, "desktop", axe_source)
    desktop.click("#exit-info summary")
    expect(desktop.locator("#exit-hint .keys-only")).to_be_visible()
    expect(desktop.locator("#exit-hint .keys-only")).to_contain_text("Esc")
    shot(desktop, "11-exit-hint-desktop")
    desktop.context.close()


class SocketCutter:
    """The page's WebSocket through Playwright's router, so the test can kill it right after
    the page sends a message, before the gateway's ack: `lose` drops that frame (the socket
    died before the gateway read it), `after_read` passes it on first (the gateway has it, the
    ack never comes), `swallow` drops the frame and keeps the socket (the message waits on a
    live socket until `cut()`). While `hold` is set, the page's reconnects are closed at once.
    `acks` lists the ids the gateway acknowledged to the page."""

    def __init__(self) -> None:
        self.mode: str | None = None
        self.hold = False
        self.frames: list[dict[str, Any]] = []  # every message frame the page sent
        self.acks: list[str] = []
        self.cut_id: str | None = None
        self.connects = 0
        self.open: list[Any] = []  # the page's and the server's side of the newest socket

    def cut(self) -> None:
        for side in self.open:
            side.close()

    def route(self, ws: Any) -> None:
        if self.hold:
            ws.close()
            return
        self.connects += 1
        server = ws.connect_to_server()
        self.open = [server, ws]

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else {}
            if frame.get("type") == "message":
                self.frames.append(frame)
            mode = self.mode
            if mode is not None and frame.get("type") == "message":
                self.mode, self.cut_id = None, frame.get("id")
                if mode == "swallow":
                    return
                if mode == "after_read":
                    server.send(message)
                server.close()
                ws.close()
                return
            server.send(message)

        def to_page(message: str | bytes) -> None:
            frame = json.loads(message) if isinstance(message, str) else {}
            if frame.get("type") == "ack":
                self.acks.append(frame.get("id"))
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)


def _tracker_user_ids(system: dict, sender: str) -> list[str | None]:
    """The page ids of the user messages in Rasa's tracker (its HTTP API, RASA_TOKEN)."""
    url = f"{system['rasa']}/conversations/{sender}/tracker?token=e2e-rasa-token"
    with urllib.request.urlopen(url, timeout=10) as resp:
        events = json.loads(resp.read())["events"]
    return [(e.get("metadata") or {}).get(WEB_MESSAGE_ID_KEY) for e in events
            if e.get("event") == "user"]


def test_a_message_whose_socket_dies_is_sent_again_and_answered_once(
        browser: Any, system: dict, axe_source: str) -> None:
    from playwright.sync_api import expect

    cutter = SocketCutter()
    page = open_chat(browser, system, "360", axe_source, ws_route=cutter.route)
    expect(page.locator("#quick-replies button.starter")).to_have_count(4)
    user = page.locator(".msg.user")
    bot = page.locator(".msg.bot")

    # 1. the frame never reaches the gateway: the page shows the message as not sent yet
    cutter.mode, cutter.hold = "lose", True
    page.fill("#message", "är chatten anonym?")
    page.keyboard.press("Enter")
    mine = user.filter(has_text="är chatten anonym?")
    expect(mine).to_have_attribute("data-state", "offline")
    expect(mine.locator(".state")).to_have_text(
        content_text("utter_web_pending_offline", "sv"))
    assert cutter.cut_id and len(cutter.frames) == 1
    shot(page, "12-message-not-sent-yet-360")
    assert serious_violations(page, system["gateway"]) == []
    page.wait_for_timeout(1500)  # a reconnect or two, refused while held
    assert page.evaluate("document.querySelectorAll('.msg.bot').length") == 0
    # the connection is back: hello, the transcript (without it), then the same id again
    cutter.hold = False
    anonymity = bot.filter(has_text="logga in")
    expect(anonymity).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(mine).not_to_have_attribute("data-state", "offline")
    expect(page.locator(".msg[data-state]")).to_have_count(0, timeout=ANSWER_TIMEOUT)
    resent = [f for f in cutter.frames if f["id"] == cutter.cut_id]
    assert len(resent) == 2 and resent[1].get("resend") is True, cutter.frames
    assert resent[0]["text"] == resent[1]["text"] == "är chatten anonym?"
    token = page.evaluate("localStorage.getItem('ss-chat-token')")
    sender = pseudonym(system["secret"], token, WEB_PREFIX)
    first_id = cutter.cut_id
    assert _tracker_user_ids(system, sender) == [first_id]  # Rasa got it once

    # 2. the gateway reads the frame, the socket dies before the ack: the page reconnects
    # once Rasa has answered, and its transcript settles the message; nothing twice
    cutter.mode, cutter.hold = "after_read", True
    page.fill("#message", "vad är sluta skjut?")
    page.keyboard.press("Enter")
    expect(user.filter(has_text="vad är sluta skjut?")).to_have_attribute(
        "data-state", "offline")
    deadline = time.monotonic() + ANSWER_TIMEOUT / 1000
    while len(_tracker_user_ids(system, sender)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert _tracker_user_ids(system, sender) == [first_id, cutter.cut_id]
    answers_before = page.evaluate("document.querySelectorAll('.msg.bot').length")
    cutter.hold = False
    expect(page.locator(".msg[data-state]")).to_have_count(0, timeout=ANSWER_TIMEOUT)
    expect(bot).not_to_have_count(answers_before, timeout=ANSWER_TIMEOUT)  # the answer shows
    shot(page, "13-message-answered-once-360")

    # each message and its answer once, on the page and in Rasa's tracker, also after a reload
    def counts() -> tuple[int, int, int, int]:
        return (user.filter(has_text="är chatten anonym?").count(), anonymity.count(),
                user.filter(has_text="vad är sluta skjut?").count(), user.count())

    assert counts() == (1, 1, 1, 2)
    shown = bot.all_inner_texts()
    assert _tracker_user_ids(system, sender) == [first_id, cutter.cut_id]
    page.reload()
    expect(anonymity).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(user).to_have_count(2)
    assert counts() == (1, 1, 1, 2) and bot.all_inner_texts() == shown
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e]

    # 3. the quick exit clears all of it, a message still waiting included
    cutter.mode, cutter.hold = "lose", True
    page.fill("#message", "hej igen")
    page.keyboard.press("Enter")
    expect(user.filter(has_text="hej igen")).to_have_attribute("data-state", "offline")
    page.click("#quick-exit")
    page.wait_for_url(system["exit_url"])
    cutter.hold = False
    page.wait_for_timeout(2500)  # nothing left of the old page that could send it again
    page.goto(system["gateway"] + "/")  # back on the chat's origin: nothing kept
    expect(page.locator("#quick-replies button.starter")).to_have_count(4)
    assert page.evaluate("localStorage.getItem('ss-chat-token')") is None
    expect(page.locator(".msg")).to_have_count(0)
    assert len(_tracker_user_ids(system, sender)) == 2
    assert [f["text"] for f in cutter.frames].count("hej igen") == 1
    page.context.close()


class Dialogs:
    """Every dialog the page opens, by type; `leave` says whether a "leave the page?"
    question is answered with leave (accept) or stay (dismiss)."""

    def __init__(self, page: Any, leave: bool) -> None:
        self.types: list[str] = []
        self.leave = leave
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Any) -> None:
        self.types.append(dialog.type)
        dialog.accept() if self.leave else dialog.dismiss()


def _waiting_message(browser: Any, system: dict, axe_source: str, text: str,
                     leave: bool) -> tuple[Any, SocketCutter, Dialogs, Any]:
    """A chat page whose message `text` waits for its ack: its frame never reached the
    gateway and the page's reconnects are refused (it shows "not sent yet")."""
    from playwright.sync_api import expect

    cutter = SocketCutter()
    page = open_chat(browser, system, "360", axe_source, ws_route=cutter.route)
    dialogs = Dialogs(page, leave)
    expect(page.locator("#quick-replies button.starter")).to_have_count(4)
    cutter.mode, cutter.hold = "lose", True
    page.fill("#message", text)
    page.keyboard.press("Enter")
    mine = page.locator(".msg.user").filter(has_text=text)
    expect(mine).to_have_attribute("data-state", "offline")
    expect(mine.locator(".state")).to_have_text(
        content_text("utter_web_pending_offline", "sv"))
    assert cutter.cut_id and cutter.acks == []
    return page, cutter, dialogs, mine


def test_closing_with_a_waiting_message_asks_first_and_without_one_does_not(
        browser: Any, system: dict, axe_source: str) -> None:
    from playwright.sync_api import expect

    page, cutter, dialogs, mine = _waiting_message(
        browser, system, axe_source, "hur hoppar jag av?", leave=False)
    # closing the tab: the browser asks (its own words, none of the page's); "stay"
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 10
    while not dialogs.types and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert dialogs.types == ["beforeunload"]
    assert not page.is_closed()
    # still there, still saying it is not sent yet; nothing was written to storage
    expect(mine.locator(".state")).to_have_text(
        content_text("utter_web_pending_offline", "sv"))
    assert page.evaluate("Object.keys(localStorage).sort()") == ["ss-chat-token"]
    assert page.evaluate("sessionStorage.length") == 0
    shot(page, "14-leave-asked-waiting-360")
    assert serious_violations(page, system["gateway"]) == []

    # the connection is back: the message goes, is acknowledged, and leaving asks nothing
    cutter.hold = False
    expect(page.locator(".msg.bot")).not_to_have_count(0, timeout=ANSWER_TIMEOUT)
    expect(page.locator(".msg[data-state]")).to_have_count(0, timeout=ANSWER_TIMEOUT)
    assert cutter.cut_id in cutter.acks
    with page.expect_event("close", timeout=10_000):
        page.close(run_before_unload=True)
    assert dialogs.types == ["beforeunload"]  # the first one only
    page.context.close()


def _until_acknowledged(page: Any, cutter: SocketCutter) -> None:
    """Every message the page sent is acknowledged: nothing waits."""
    deadline = time.monotonic() + ANSWER_TIMEOUT / 1000
    sent = lambda: {f["id"] for f in cutter.frames}  # noqa: E731
    while not sent() <= set(cutter.acks) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert sent() and sent() <= set(cutter.acks), (cutter.frames, cutter.acks)


def test_with_nothing_waiting_reload_and_close_ask_nothing(
        browser: Any, system: dict, axe_source: str) -> None:
    from playwright.sync_api import expect

    cutter = SocketCutter()
    page = open_chat(browser, system, "360", axe_source, ws_route=cutter.route)
    dialogs = Dialogs(page, leave=True)  # a question would be answered "leave" and counted
    expect(page.locator("#quick-replies button.starter")).to_have_count(4)
    page.fill("#message", "vad är sluta skjut?")
    page.keyboard.press("Enter")  # the person has used the page: the browser would ask now
    expect(page.locator(".msg.bot")).not_to_have_count(0, timeout=ANSWER_TIMEOUT)
    _until_acknowledged(page, cutter)
    page.reload()
    expect(page.locator(".msg.user")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    page.fill("#message", "är chatten anonym?")
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot", has_text="logga in")).to_have_count(
        1, timeout=ANSWER_TIMEOUT)
    _until_acknowledged(page, cutter)
    with page.expect_event("close", timeout=10_000):
        page.close(run_before_unload=True)
    assert dialogs.types == []
    page.context.close()


def test_a_waiting_message_says_not_sent_yet_as_soon_as_the_network_goes(
        browser: Any, system: dict, axe_source: str) -> None:
    """The browser reports the network gone before a dead socket closes: the waiting
    message says "Inte skickat än …" at once, "Skickas …" again when the network is back,
    and goes once the socket is new."""
    from playwright.sync_api import expect

    cutter = SocketCutter()
    page = open_chat(browser, system, "360", axe_source, ws_route=cutter.route)
    expect(page.locator("#quick-replies button.starter")).to_have_count(4)
    cutter.mode = "swallow"  # the socket stays up, the frame never arrives
    page.fill("#message", "vad händer på ett samtal?")
    page.keyboard.press("Enter")
    mine = page.locator(".msg.user").filter(has_text="vad händer på ett samtal?")
    expect(mine).to_have_attribute("data-state", "pending")
    expect(mine.locator(".state")).to_have_text(content_text("utter_web_pending", "sv"))
    page.context.set_offline(True)
    expect(mine).to_have_attribute("data-state", "offline", timeout=1_000)
    expect(mine.locator(".state")).to_have_text(
        content_text("utter_web_pending_offline", "sv"))
    shot(page, "15-network-gone-waiting-360")
    page.context.set_offline(False)
    expect(mine).to_have_attribute("data-state", "pending")
    cutter.cut()  # the old socket goes: the page reconnects and sends it again
    expect(page.locator(".msg.bot")).not_to_have_count(0, timeout=ANSWER_TIMEOUT)
    expect(page.locator(".msg[data-state]")).to_have_count(0, timeout=ANSWER_TIMEOUT)
    _until_acknowledged(page, cutter)
    assert [f["id"] for f in cutter.frames].count(cutter.cut_id) == 2
    page.context.close()


@pytest.mark.parametrize("how", ["button", "esc"])
def test_quick_exit_with_a_waiting_message_leaves_without_asking(
        browser: Any, system: dict, axe_source: str, how: str) -> None:
    page, cutter, dialogs, _ = _waiting_message(
        browser, system, axe_source, "jag vill inte att nån ser", leave=True)
    if how == "button":
        page.click("#quick-exit")
    else:
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.wait_for_url(system["exit_url"])
    assert dialogs.types == []  # an accepted question would have left too: none was asked
    cutter.hold = False
    page.wait_for_timeout(1500)  # nothing left of the old page that could send it again
    assert [f["text"] for f in cutter.frames] == ["jag vill inte att nån ser"]
    page.context.close()
