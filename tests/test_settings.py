"""One settings module: every variable read once, one default each, booleans read one way."""

from __future__ import annotations

import re

import pytest

from bot import settings
from bot.escalation.settings import Settings as EscalationSettings
from bot.gateway.settings import GatewaySettings
from bot.settings import ROOT, Settings, load, parse_bool


def test_only_settings_reads_the_environment() -> None:
    readers = []
    for folder in ("bot", "actions"):
        for path in (ROOT / folder).rglob("*.py"):
            if path != ROOT / "bot" / "settings.py" and "os.environ" in path.read_text():
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_callers_and_service_share_one_default_for_shared_secrets() -> None:
    """Without a .env the action server, the relay broker and the service agree (no 401s)."""
    empty = load({})
    service = EscalationSettings.from_env({})
    assert service.internal_token == empty.escalation_internal_token
    assert EscalationSettings().internal_token == empty.escalation_internal_token
    assert service.rasa_token == empty.rasa_token == EscalationSettings().rasa_token


def test_rasa_url_is_built_the_same_for_every_process() -> None:
    env = {"RASA_HOST": "10.0.0.2", "RASA_PORT": "6001"}
    assert load(env).rasa_url == "http://10.0.0.2:6001"
    assert EscalationSettings.from_env(env).rasa_url == "http://10.0.0.2:6001"
    assert GatewaySettings.from_env(env).rasa_url == "http://10.0.0.2:6001"
    override = {**env, "RASA_URL": "http://rasa.internal:5005/"}
    assert {load(override).rasa_url, EscalationSettings.from_env(override).rasa_url,
            GatewaySettings.from_env(override).rasa_url} == {"http://rasa.internal:5005"}


@pytest.mark.parametrize("raw,expected", [("1", True), ("TRUE", True), ("yes", True),
                                          ("on", True), ("0", False), ("false", False),
                                          ("No", False), ("off", False), ("", True)])
def test_booleans_parse_one_way(raw: str, expected: bool) -> None:
    assert parse_bool(raw, True) is expected
    assert load({"COACH_CLOSED_ON_HOLIDAYS": raw}).coach_closed_on_holidays is expected
    assert load({"GATEWAY_TRUST_PROXY": raw}).gateway_trust_proxy is (expected and raw != "")


def test_bad_values_are_refused_with_the_variable_name() -> None:
    with pytest.raises(ValueError, match="GATEWAY_TRUST_PROXY"):
        load({"GATEWAY_TRUST_PROXY": "maybe"})
    with pytest.raises(ValueError, match="ESCALATION_MAX_CASES_PER_CONVERSATION"):
        load({"ESCALATION_MAX_CASES_PER_CONVERSATION": "three"})


def test_every_field_is_a_documented_variable() -> None:
    """Each setting maps to a variable that .env.example or the docs mention."""
    documented = (ROOT / ".env.example").read_text() + "".join(
        p.read_text() for p in (ROOT / "docs").glob("*.md"))
    names = [settings._RENAMED.get(f, f.upper()) for f in Settings.__dataclass_fields__
             if f != "prod_redis_url"]
    missing = [n for n in names if not re.search(rf"\b{n}\b", documented)]
    assert missing == []
