"""The coach's main paths in a real headless Chromium (Debian's), against the real escalation
service process, at desktop (1280x900) and tablet (768x1024) width.

What the coach sees is checked: a priority-1 case arriving while the coach is inside another
case (title badge, queue panel, desktop notification, sound), plain labels, the young
person's presence and the warning before writing into the void, canned replies with "/",
notes, transfer, several chats at once, export, hand back then close (the confirmation next
to the buttons) and "the coach has left" once. axe-core (the pinned copy every browser test
uses, tests/axe.py) is served to the page on its own origin by Playwright's router and runs
on every console page: no serious or critical violation.

Rasa is a stand-in here (a tiny HTTP server with its tracker API: events in, tracker out):
this test covers the console; tests/e2e covers the console against the real Rasa.
Screenshots go to artifacts/console/ (not committed).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.runtimes import bot_command
from tests.axe import AXE_JS

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "artifacts" / "console"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INTERNAL = "browser-internal-token"
GATEWAY = "browser-gateway-token"  # GATEWAY_CALLBACK_TOKEN: the gateway's presence reports
RASA_TOKEN = "browser-rasa-token"
PASSWORD = "browser test horse battery"
ALWAYS_OPEN = ",".join(f"{d}=00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                    "sun"))
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]
# records every desktop notification the page shows (the real one is still shown)
NOTIFICATION_SPY = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  function Spy(title, options) {
    window.__notes.push({ title: title, body: (options || {}).body || "" });
    return new Real(title, options);
  }
  window.__asked = 0;
  Spy.requestPermission = (...a) => { window.__asked += 1; return Real.requestPermission(...a); };
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  window.Notification = Spy;
})();
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TrackerStandIn:
    """Rasa's HTTP API as the service uses it: append events, read the tracker."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, port: int) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _conversation(self) -> str | None:
                parts = urlsplit(self.path)
                if parse_qs(parts.query).get("token") != [RASA_TOKEN]:
                    self._json(401, {"error": "unauthorized"})
                    return None
                return unquote(parts.path.split("/")[2])

            def _json(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                cid = self._conversation()
                if cid is not None:
                    with fake.lock:
                        self._json(200, {"sender_id": cid, "events": fake.events.get(cid, [])})

            def do_POST(self) -> None:
                cid = self._conversation()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if cid is None:
                    return
                with fake.lock:
                    for ev in body:
                        fake.events.setdefault(cid, []).append({"timestamp": time.time(), **ev})
                    self._json(200, {"sender_id": cid, "events": fake.events[cid]})

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def texts(self, cid: str) -> list[str]:
        with self.lock:
            return [e.get("text") or "" for e in self.events.get(cid, [])]

    def say(self, cid: str, who: str, text: str, **extra: Any) -> None:
        with self.lock:
            self.events.setdefault(cid, []).append(
                {"event": who, "text": text, "timestamp": time.time(), **extra})


@dataclass
class Service:
    url: str
    rasa: TrackerStandIn

    def internal(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        auth = ({"X-Gateway-Callback-Token": GATEWAY} if path.startswith("/internal/gateway/")
                else {"Authorization": f"Bearer {INTERNAL}"})
        req = urllib.request.Request(
            f"{self.url}{path}", method="POST", data=json.dumps(body).encode(),
            headers={**auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def presence(self, cid: str, reason: str) -> None:
        """What the gateway reports when the young person leaves or comes back."""
        self.internal(f"/internal/gateway/conversations/{cid}/presence", {"reason": reason})

    def open_case(self, cid: str, trigger: str, summary: str) -> str:
        return str(self.internal("/internal/cases", {
            "conversation_id": cid, "channel": "callback", "language": "sv",
            "trigger": trigger, "intents_seen": ["greet", trigger], "summary": summary,
        })["case_id"])

    def user_says(self, cid: str, text: str) -> None:
        self.rasa.say(cid, "user", text)
        self.internal(f"/internal/conversations/{cid}/messages",
                      {"text": text, "intent": None, "timestamp": time.time()})


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("console-browser")
    rasa = TrackerStandIn()
    rasa_port, port = _port(), _port()
    rasa_server = rasa.serve(rasa_port)
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "APP_ENV"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp}/app.db", "ESCALATION_URL": url,
                "ESCALATION_INTERNAL_TOKEN": INTERNAL, "SESSION_SECRET": "s" * 32,
                "RASA_URL": f"http://127.0.0.1:{rasa_port}", "RASA_TOKEN": RASA_TOKEN,
                "COACH_HOURS": ALWAYS_OPEN, "COACH_CLOSED_ON_HOLIDAYS": "0",
                "ESCALATION_WS_RECHECK_SECONDS": "1", "GATEWAY_CALLBACK_TOKEN": GATEWAY,
                "RASA_TRACKER_DB_URL": f"sqlite:///{tmp}/t.db"})
    for name, role in (("anna", "coach"), ("berit", "coach"), ("chef", "admin")):
        subprocess.run([*bot_command("coach"), "create", "--username", name,
                        "--role", role, "--password-stdin"], input=PASSWORD + "\n", text=True,
                       env=env, cwd=ROOT, check=True, capture_output=True)
    log = (tmp / "service.log").open("wb")
    proc = subprocess.Popen(bot_command("escalation"), env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield Service(url, rasa)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        rasa_server.shutdown()


def _axe(page: Any, base: str, name: str, audited: dict[str, list[str]]) -> None:
    """axe-core from this machine: the page loads it from its own origin (the console's CSP
    allows only 'self'); Playwright answers that one URL with the local file."""
    page.route(f"{base}/__axe/axe.min.js", lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=AXE_JS.read_bytes()))
    page.add_script_tag(url=f"{base}/__axe/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'], runOnly: {type: "
        "'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} – "
           + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                       for n in v["nodes"][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    audited[name] = [f"{v['id']} ({v['impact']})" for v in result["violations"]]
    assert not bad, f"{name}: {bad}"


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_coach_main_paths_at_desktop_and_tablet_width(service: Service) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, rasa = service.url, service.rasa
    audited: dict[str, list[str]] = {}
    # the conversation before the case: a button press, then words
    rasa.say("web-aaaa", "bot", "Vill du att jag kopplar dig till en coach?",
             data={"buttons": [{"title": "Ja, koppla mig", "payload": "/affirm"},
                               {"title": "Nej tack", "payload": "/deny"}]})
    rasa.say("web-aaaa", "user", "/affirm")
    first = service.open_case("web-aaaa", "request_human", "Vill prata om skulder")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        desk = browser.new_context(viewport={"width": 1280, "height": 900},
                                   accept_downloads=True)
        desk.add_init_script(NOTIFICATION_SPY)
        page = desk.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

        # login and queue: words, not raw names
        page.goto(f"{base}/login")
        _axe(page, base, "login", audited)
        _shot(page, "desktop-0-login")
        _login(page, base, "anna")
        row = page.locator("#waiting tr").first
        expect(row).to_contain_text("bad om en människa")
        expect(row).to_contain_text("webbchatt")
        expect(page.locator("#waiting")).not_to_contain_text("request_human")
        _axe(page, base, "queue", audited)
        _shot(page, "desktop-1-queue")

        # claim: the case page, the button press as the button's words
        row.locator("button.claim").click()
        page.wait_for_url(f"**/cases/{first}")
        expect(page.locator(".pane .transcript")).to_contain_text("tryckte: Ja, koppla mig")
        expect(page.locator(".pane .meta")).to_contain_text(
            "Orsak: bad om en människa · Kanal: webbchatt · Språk: svenska")
        expect(page.locator("body")).not_to_contain_text("/affirm")

        # signals: notifications asked for on a click (never on load), sound switched on
        assert page.evaluate("window.__asked") == 0
        page.locator(".queue-panel summary").click()
        desk.grant_permissions(["notifications"], origin=base)  # the coach's "allow"
        page.click("#notify-enable")
        assert page.evaluate("window.__asked") == 1
        expect(page.locator(".queue-panel #notify-state")).to_contain_text("på")
        page.check("#sound-toggle")
        beeps = page.evaluate("window.__ssBeeps || 0")

        # a priority-1 case arrives while the coach is inside this one
        urgent = service.open_case("sms-bbbb", "emergency_danger", "Akut fara, hot med vapen")
        expect(page).to_have_title("(1) Ärende – Sluta skjut Norrköping", timeout=10_000)
        panel = page.locator(".queue-panel")
        expect(panel.locator("#qp-waiting")).to_contain_text("Akut")
        expect(panel.locator("#qp-waiting")).to_contain_text("akut fara")
        expect(panel.locator("#qp-alert")).to_contain_text("Nytt akut ärende väntar")
        page.wait_for_function("window.__notes && window.__notes.length > 0")
        notes = page.evaluate("window.__notes")
        assert notes[0]["title"] == "Akut ärende väntar" and "sms" in notes[0]["body"]
        assert page.evaluate("window.__ssBeeps || 0") > beeps
        _shot(page, "desktop-2-urgent-case-arrives")

        # the young person writes, then closes the chat page: the coach is told, and warned
        service.user_says("web-aaaa", "jag är skyldig folk pengar")
        expect(page.locator(".pane .live")).to_contain_text("skyldig folk pengar")
        service.presence("web-aaaa", "no_page")
        presence = page.locator(".pane .presence")
        expect(presence).to_contain_text("ingen chattsida öppen")
        page.fill(".pane textarea.message", "Hej! Är du kvar?")
        page.click(".pane .send-button")
        warning = page.locator(".pane .send-warning")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("Vill du skicka ändå?")
        expect(warning).to_be_in_viewport()
        _shot(page, "desktop-3-warning-before-sending")
        assert "Hej! Är du kvar?" not in rasa.texts("web-aaaa")
        page.click(".pane .send-anyway")
        expect(page.locator(".pane .live")).to_contain_text("Hej! Är du kvar?")
        assert "Hej! Är du kvar?" in rasa.texts("web-aaaa")
        service.presence("web-aaaa", "page_open")
        expect(presence).to_be_hidden()

        # canned replies with "/" (defaults from the content file)
        box = page.locator(".pane textarea.message")
        box.fill("")
        box.type("/stöd")
        menu = page.locator(".pane .canned-menu")
        expect(menu).to_be_visible()
        expect(menu).to_contain_text("Stödnummer dygnet runt")
        _shot(page, "desktop-4-canned-slash")
        box.press("Enter")
        expect(box).to_have_value(
            "Dygnet runt: Självmordslinjen 90101, BRIS 116 111 (upp till 18 år), polisen "
            "114 14. Akut fara: ring 112.")
        box.fill("")

        # a private note: next to its button, never sent to the young person
        page.fill("#note", "Verkar rädd för sin bror. Ring 0701234567 om hen vill.")
        page.click("#note-form button")
        expect(page.locator("#note-status")).to_have_text("Anteckningen är sparad.")
        expect(page.locator("#notes")).to_contain_text("Verkar rädd")
        expect(page.locator("#notes")).not_to_contain_text("0701234567")  # scrubbed
        assert not [t for t in rasa.texts("web-aaaa") if "rädd för sin bror" in t]
        _axe(page, base, "case", audited)
        _shot(page, "desktop-5-case-with-note")

        # export for the case file: scrubbed
        with page.expect_download() as download:
            page.click("#export")
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "0701234567" not in exported and "tryckte: Ja, koppla mig" in exported

        # take the urgent case from the panel; both chats at once on "Mina chattar"
        panel.locator("#qp-waiting button.claim").first.click()
        page.wait_for_url(f"**/cases/{urgent}")
        expect(page).to_have_title("Ärende – Sluta skjut Norrköping")
        # the first case gets a message while the coach is in this one: unread count and badge
        service.user_says("web-aaaa", "hallå, är du där?")
        mine = panel.locator("#qp-mine li", has_text="bad om en människa")
        expect(mine.locator(".unread")).to_have_text("1")
        expect(page).to_have_title("(1) Ärende – Sluta skjut Norrköping")
        page.goto(f"{base}/desk")
        expect(page.locator(".desk-panes .pane")).to_have_count(2)
        expect(page).to_have_title("Mina chattar – Sluta skjut Norrköping")  # both read here
        service.user_says("sms-bbbb", "dom står utanför dörren")
        expect(page.locator(f".pane[data-case-id='{urgent}'] .live")).to_contain_text(
            "står utanför")
        _axe(page, base, "desk", audited)
        _shot(page, "desktop-6-two-chats")

        # transfer the urgent case to berit, who is logged in
        colleague = browser.new_context(viewport={"width": 768, "height": 1024})
        colleague.add_init_script(NOTIFICATION_SPY)
        tablet = colleague.new_page()
        tablet.clock.install()  # time flows; the test can jump it ahead (gone quiet)
        _login(tablet, base, "berit")
        page.goto(f"{base}/cases/{urgent}")
        page.select_option("#transfer-to", "berit")
        page.click("#transfer-form button")
        expect(page.locator("#transfer-status")).to_contain_text("hos berit")
        expect(tablet.locator("#claimed")).to_contain_text("akut fara", timeout=10_000)

        # hand back: the confirmation next to the buttons; the case can still be closed
        page.goto(f"{base}/cases/{first}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#handback")
        status = page.locator("#actions-status")
        expect(status).to_contain_text("tillbaka hos chattboten")
        expect(status).to_be_in_viewport()
        expect(page.locator("#close")).to_be_enabled()
        _shot(page, "desktop-7-handed-back")
        page.select_option("#outcome", "information_given")
        page.click("#close")
        expect(status).to_contain_text("Ärendet är avslutat. Utfall: Information given.")
        expect(status).to_be_in_viewport()
        # "the coach has left" once in the transcript (the goodbye), not twice
        page.reload()
        expect(page.locator(".pane .transcript")).to_contain_text("Coachen har lämnat chatten")
        page.wait_for_timeout(500)
        assert page.locator(".pane").inner_text().count("Coachen har lämnat chatten") == 1
        assert [t for t in rasa.texts("web-aaaa") if "Coachen har lämnat" in t] == [
            "Coachen har lämnat chatten. Nu pratar du med chattboten igen – du kan be om en "
            "coach igen när du vill."]
        _shot(page, "desktop-8-closed")

        # the admin's canned replies page
        admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _login(admin, base, "chef")
        admin.goto(f"{base}/admin/canned")
        _axe(admin, base, "canned", audited)

        # tablet: berit, inside the transferred case, sees a new urgent case arrive
        tablet.goto(f"{base}/cases/{urgent}")
        expect(tablet.locator(".pane .transcript")).to_be_visible()
        expect(tablet.locator(".pane .meta")).to_contain_text("Kanal: sms")
        service.presence("sms-bbbb", "sms_stop")
        expect(tablet.locator(".pane .presence")).to_contain_text("STOPP")
        service.open_case("web-cccc", "crisis_suicidal", "Orkar inte mer")
        expect(tablet).to_have_title("(1) Ärende – Sluta skjut Norrköping", timeout=10_000)
        expect(tablet.locator(".queue-panel #qp-alert")).to_contain_text("akut")
        expect(tablet.locator(".queue-panel")).to_be_in_viewport()
        _axe(tablet, base, "case (tablet)", audited)
        _shot(tablet, "tablet-1-case-urgent-arrives")
        tablet.goto(f"{base}/queue")
        _axe(tablet, base, "queue (tablet)", audited)
        _shot(tablet, "tablet-2-queue")
        tablet.locator("#waiting button.claim").first.click()
        tablet.wait_for_url("**/cases/*")
        # nothing from the young person for 11 minutes: the coach is told, and asked first
        tablet.clock.fast_forward("11:00")
        expect(tablet.locator(".pane .presence")).to_contain_text("inte skrivit på 11 min")
        tablet.fill(".pane textarea.message", "Finns du kvar?")
        tablet.click(".pane .send-button")
        expect(tablet.locator(".pane .send-warning")).to_contain_text("kanske inte läser")
        _shot(tablet, "tablet-3-gone-quiet")
        tablet.click(".pane .send-cancel")
        service.presence("web-cccc", "quick_exit")
        expect(tablet.locator(".pane .presence")).to_contain_text("snabbutgång")
        _shot(tablet, "tablet-4-quick-exit")
        tablet.goto(f"{base}/desk")
        _axe(tablet, base, "desk (tablet)", audited)
        _shot(tablet, "tablet-5-desk")
        # a phone, in case a coach has nothing else at hand: one column, nothing cut off
        tablet.set_viewport_size({"width": 360, "height": 740})
        tablet.go_back()
        expect(tablet.locator(".pane .presence")).to_contain_text("snabbutgång")
        assert tablet.evaluate("document.documentElement.scrollWidth") <= 360
        _axe(tablet, base, "case (phone)", audited)
        _shot(tablet, "phone-1-case")
        browser.close()
    print("axe violations by page (none serious or critical):", audited)
    assert not [e for e in errors if "Content Security Policy" in e], errors
