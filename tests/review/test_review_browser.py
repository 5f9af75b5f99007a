"""The maintainer's inbox in a real headless Chromium, against the real service process.

Screenshots go to artifacts/review/ (gitignored). The NLU files are a temporary copy.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "artifacts" / "review"
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_maintainer_reviews_the_inbox_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nlu = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu)
    url = f"http://127.0.0.1:{_port()}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/app.db", "ESCALATION_URL": url,
           "ESCALATION_INTERNAL_TOKEN": "itok", "SESSION_SECRET": "s" * 32,
           "REVIEW_NLU_DIR": str(nlu), "RASA_TRACKER_DB_URL": f"sqlite:///{tmp_path}/t.db"}
    subprocess.run([sys.executable, "-m", "bot", "coach", "create", "--username", "mia",
                    "--role", "maintainer", "--password-stdin"], input="lösenord-för-mia\n",
                   text=True, env=env, cwd=ROOT, check=True)
    log = (tmp_path / "service.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "escalation"], env=env, cwd=ROOT,
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
                             ("ja heter Kalle, vad kostar bussen", "rephrase"),
                             ("vad kostar bussen till stan", "fallback")]:
            req = urllib.request.Request(
                f"{url}/internal/review", method="POST",
                data=json.dumps({"text": text, "reason": reason, "intent": "greet",
                                 "confidence": 0.4, "language": "sv"}).encode(),
                headers={"Authorization": "Bearer itok", "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=30)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{url}/login")
            page.fill("#username", "mia")
            page.fill("#password", "lösenord-för-mia")
            page.click("button[type=submit]")
            page.wait_for_url("**/review")
            groups = page.locator(".review-group")
            expect(groups).to_have_count(2)
            expect(page.locator("body")).not_to_contain_text("Kalle")
            expect(page.locator("body")).to_contain_text("[namn]")
            page.screenshot(path=str(ARTIFACTS / "1-inbox.png"), full_page=True)
            tjabba = groups.filter(has_text="tjabba tjena mannen")
            tjabba.locator("select[name=intent]").select_option("greet")
            tjabba.locator("button[value=assign]").click()
            expect(page.locator(".to-save")).to_have_count(2)  # what will be written, first
            page.click("button[name=save]")
            expect(page.locator(".notice").last).to_contain_text("tillagda i chitchat.yml")
            expect(page.locator(".review-group")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "2-after-assign.png"), full_page=True)
            bus = page.locator(".review-group").first
            bus.locator("input[name=new_intent]").fill("ask_bus_price")
            bus.locator("button[value=new]").click()
            page.click("button[name=save]")
            expect(page.locator("#empty")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "3-empty.png"), full_page=True)
            assert not errors, errors
            browser.close()
        assert "- tjabba tjena mannen\n" in (nlu / "chitchat.yml").read_text(encoding="utf-8")
        assert "ask_bus_price" in (nlu / "new_intents.yml").read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
