"""Pure parts of the gateway: SMS formatting, vault, rate limiter, transcript rebuild."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cryptography.fernet import Fernet

from bot.gateway import sms, texts
from bot.gateway.conversation import CoachTracker, history
from bot.gateway.settings import GatewaySettings
from bot.gateway.vault import SMS_PREFIX, Vault, make_vault_engine, normalise_number, pseudonym
from bot.protocol import CLOSED, HANDED_BACK, handoff_ended
from bot.ratelimit import RateLimiter, TokenBuckets

NUMBER = "+46701234567"


def test_choices_are_numbered_with_the_content_prompt() -> None:
    text = sms.choices_text(["Ja", "Nej", "Kanske"], "sv")
    assert text.splitlines() == ["1. Ja", "2. Nej", "3. Kanske", "Svara 1, 2 eller 3."]
    assert sms.choices_text(["Yes", "No"], "en").endswith("Reply 1 or 2.")
    assert sms.choices_text(["Ja"], "sv").endswith("Svara 1.")


def test_a_number_picks_that_choice_and_anything_else_passes_through() -> None:
    payloads = ["/affirm", "/deny", "/ask_help_options"]
    assert sms.pick_choice("2", payloads) == "/deny"
    assert sms.pick_choice(" 3. ", payloads) == "/ask_help_options"
    assert sms.pick_choice("4", payloads) is None
    assert sms.pick_choice("0", payloads) is None
    assert sms.pick_choice("2 saker", payloads) is None
    assert sms.pick_choice("2", []) is None


def test_long_text_splits_at_natural_boundaries_within_the_limit() -> None:
    para = "Första meningen här. Andra meningen är lite längre än den första. " * 5
    text = f"{para.strip()}\n\n{para.strip()}"
    parts = sms.split_sms(text, 160)
    assert len(parts) > 2
    assert all(len(p) <= 160 for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    # no part starts or ends in the middle of a word
    rejoined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rejoined.split() == text.split()
    assert sms.split_sms("kort", 160) == ["kort"]
    assert all(len(p) <= 60 for p in sms.split_sms("x" * 500, 60))


def test_plain_text_links_and_gsm_friendly_characters() -> None:
    assert sms.plain("Läs [BRIS](https://www.bris.se/) • nu – ok") == "Läs BRIS: bris.se - nu - ok"
    assert sms.plain("chatta på https://mind.se/chatt.") == "chatta på mind.se/chatt."


def test_sms_numbers_have_no_spaces_so_phones_make_them_tappable() -> None:
    body = sms.plain("Ring 114 14, BRIS 116 111 eller Kontakt Norrköping 011-15 00 00 "
                     "(vardagar 08.00–16.00). Akut: 112. 7 av 10 flyttar.")
    assert body == ("Ring 11414, BRIS 116111 eller Kontakt Norrköping 011-150000 "
                    "(vardagar 08.00-16.00). Akut: 112. 7 av 10 flyttar.")


def test_compose_prefixes_coach_messages_and_returns_choice_payloads() -> None:
    bodies, payloads = sms.compose([
        {"text": "Hej, jag heter Anna.", "coach": True},
        {"text": "Vill du?", "buttons": [{"title": "Ja", "payload": "/affirm"},
                                         {"title": "Nej", "payload": "/deny"}]},
    ], 459)
    label = texts.text("utter_web_coach_label", "sv")
    assert bodies == [f"{label}: Hej, jag heter Anna.\n\nVill du?\n\n1. Ja\n2. Nej\n"
                      "Svara 1 eller 2."]
    assert payloads == ["/affirm", "/deny"]


def test_vault_keeps_numbers_only_encrypted_and_forgets_them(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    key = Fernet.generate_key().decode()
    vault = Vault(make_vault_engine(f"sqlite:///{path}"), key, ttl_seconds=3600)
    sender = pseudonym("secret", NUMBER, SMS_PREFIX)
    assert sender.startswith(SMS_PREFIX) and "701234567" not in sender
    assert sender == pseudonym("secret", NUMBER, SMS_PREFIX)
    assert sender != pseudonym("other-secret", NUMBER, SMS_PREFIX)
    vault.remember(sender, "46elks", NUMBER, "+46766861234", now=1000.0)
    vault.engine.dispose()
    raw = path.read_bytes()
    assert b"701234567" not in raw
    with sqlite3.connect(path) as conn:
        assert "701234567" not in str(conn.execute("select * from sms_contacts").fetchall())
    contact = vault.lookup(sender, now=1001.0)
    assert contact is not None and contact.number == NUMBER and contact.provider == "46elks"
    # inactive past the TTL: unreadable at once, deleted by the sweep
    assert vault.lookup(sender, now=1000.0 + 3601) is None
    assert vault.sweep(now=1000.0 + 3601) == 1
    assert vault.count() == 0
    vault.remember(sender, "twilio", NUMBER, "", now=2000.0)
    assert vault.forget(sender) is True
    assert vault.lookup(sender, now=2000.0) is None
    # another key (rotated or stolen DB without the key): the number cannot be read
    vault.remember(sender, "twilio", NUMBER, "", now=3000.0)
    other = Vault(vault.engine, Fernet.generate_key().decode(), 3600)
    assert other.lookup(sender, now=3000.0) is None


def test_numbers_are_normalised_or_rejected() -> None:
    assert normalise_number("+46 70-123 45 67") == NUMBER
    assert normalise_number("0046701234567") == NUMBER
    assert normalise_number("hej") is None
    assert normalise_number("") is None


def test_token_bucket_limits_and_refills() -> None:
    now = [0.0]
    buckets = TokenBuckets(3, 60, clock=lambda: now[0])
    assert [buckets.allow("a") for _ in range(4)] == [True, True, True, False]
    assert buckets.allow("b")
    now[0] += 20  # one token back
    assert buckets.allow("a") and not buckets.allow("a")


def test_addresses_are_only_kept_hashed_with_a_rotating_key() -> None:
    now = [0.0]
    limiter = RateLimiter((5, 60), (2, 60), rotate_seconds=100, clock=lambda: now[0])
    assert limiter.allow_address("203.0.113.7") and limiter.allow_address("203.0.113.7")
    assert not limiter.allow_address("203.0.113.7")
    assert all("203.0.113" not in k for k in limiter.addresses._buckets)
    first = limiter.address_key("203.0.113.7")
    now[0] += 101  # the key rotates and old buckets go with it
    assert limiter.address_key("203.0.113.7") != first
    assert limiter.allow_address("203.0.113.7")


def test_history_rebuilds_turns_titles_and_coach_notices() -> None:
    handed_back = texts.text("utter_coach_handed_back", "sv")
    events = [
        {"event": "session_started"},
        {"event": "user", "text": "/switch_to_english"},
        {"event": "user", "text": "hej"},
        {"event": "bot", "text": "Vill du?", "data": {"buttons": [
            {"title": "Ja, koppla mig", "payload": "/affirm"}]}},
        {"event": "user", "text": "/affirm"},
        {"event": "bot", "text": "Första stycket.\n\nAndra stycket."},
        {"event": "bot", "text": "Hej från coachen", "metadata": {"coach": True}},
        {"event": "bot", "text": handed_back, "metadata": handoff_ended(HANDED_BACK)},
        # the same words without the field are an ordinary bot message: the field decides
        {"event": "bot", "text": handed_back},
        {"event": "bot", "text": "Något mer?", "data": {"buttons": [
            {"title": "Nej", "payload": "/deny"}]}},
    ]
    items = history(events)
    assert [i["type"] for i in items] == ["user", "bot", "user", "bot", "bot", "notice", "bot",
                                          "bot", "bot", "bot"]
    assert items[2]["text"] == "Ja, koppla mig"
    assert items[5]["kind"] == "coach_joined" and items[6]["coach"] is True
    # "the coach has left" is said once: the goodbye itself, marked, no extra notice
    assert items[7] == {"type": "bot", "text": handed_back, "coach": False,
                        "handoff": "ended"}
    assert "handoff" not in items[8]
    assert "buttons" not in items[1] and items[-1]["buttons"][0]["payload"] == "/deny"


def test_coach_tracker_live_notices() -> None:
    tracker = CoachTracker()
    assert tracker.notice("w", {"text": "bot"}) is None
    assert tracker.notice("w", {"text": "hej", "coach": True}) == "coach_joined"
    assert tracker.notice("w", {"text": "igen", "coach": True}) is None
    closed = texts.text("utter_coach_closed", "en")
    assert tracker.notice("w", {"text": closed}) is None  # a text decides nothing
    assert tracker.notice("w", {"text": "igen", "coach": True}) is None  # still active
    assert tracker.notice("w", {"text": closed, **handoff_ended(CLOSED)}) is None
    assert tracker.notice("w", {"text": "back", "coach": True}) == "coach_joined"


def test_settings_from_env() -> None:
    s = GatewaySettings.from_env({"GATEWAY_RATE_CONVERSATION": "5/30", "RASA_PORT": "6000",
                                  "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "x",
                                  "GATEWAY_SMS_NUMBER_TTL_HOURS": "2"})
    assert s.rate_conversation == (5, 30.0)
    assert s.rasa_url == "http://127.0.0.1:6000"
    assert s.twilio is not None and s.elks is None
    assert s.sms_number_ttl_seconds == 7200
    assert s.fernet_key_is_ephemeral


def test_drain_returns_when_a_finished_send_has_not_left_the_set_yet() -> None:
    """A send that finished while its done callback waits for the loop to turn must not make
    drain() spin: gather() of finished tasks returns without turning the loop (Python 3.12).
    drain() runs in its own thread, so a spinning drain fails this test instead of hanging it."""
    import asyncio
    import threading

    outbox = object.__new__(sms.SmsOutbox)
    outbox._tasks = set()
    finished = threading.Event()

    async def scenario() -> None:
        task = asyncio.ensure_future(asyncio.sleep(0))
        await task
        outbox._tasks.add(task)  # done, its discard callback not run yet
        await outbox.drain()
        finished.set()

    threading.Thread(target=asyncio.run, args=(scenario(),), daemon=True).start()
    assert finished.wait(5), "drain() did not return for a finished send"
