"""/metrics on the Rasa server (bot/rasa_plugins/channels/metrics.py, mounted by Rasa's own
`register` from credentials.yml), the counters of its channels and event broker, who may read
/metrics (bot/metrics.py), and nginx keeping /metrics off the public side."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot import metrics
from bot.escalation.metrics import QUEUE_METRICS
from bot.ops.production import Ports, find_nginx, render_nginx
from bot.rasa_plugins.channels.metrics import MetricsInput
from bot.rasa_plugins.channels.rest import ValidatedRestInput
from bot.rasa_plugins.relay_broker import EscalationRelayBroker
from bot.settings import ROOT
from tests.conftest import free_port
from tests.sanic_channels import serve_channels
from tests.support.metrics import label_values, sample

REST = "/webhooks/rest/webhook"


def test_who_may_read_metrics() -> None:
    direct: dict[str, str] = {}
    assert metrics.allowed("127.0.0.1", direct, "")
    assert metrics.allowed("::1", direct, "")
    assert metrics.allowed("10.1.2.3", direct, "")  # the operators' private network
    assert not metrics.allowed("93.184.216.34", direct, "")  # a public address
    assert not metrics.allowed("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, "")  # nginx
    assert not metrics.allowed(None, direct, "")
    token = "metrics-token-" + "x" * 20
    assert not metrics.allowed("127.0.0.1", direct, token)  # with a token, only the token
    assert not metrics.allowed("127.0.0.1", {"Authorization": "Bearer nope"}, token)
    assert metrics.allowed("93.184.216.34", {"Authorization": f"Bearer {token}"}, token)


def test_labels_are_closed_sets() -> None:
    assert metrics.channel("web-0123abcd") == "other" and metrics.channel("sms") == "sms"
    assert metrics.safety_kind("crisis") == "crisis" and metrics.safety_kind("x") == "other"


async def test_rasa_metrics_move_with_the_rest_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_RATE_PER_CONVERSATION", "1/60")
    monkeypatch.setenv("REST_RATE_PER_ADDRESS", "1000/60")
    monkeypatch.delenv("REDIS_URL", raising=False)
    async with serve_channels([ValidatedRestInput(), MetricsInput()]) as served, \
            aiohttp.ClientSession() as http:
        served.agent.processor = SimpleNamespace(  # type: ignore[attr-defined]
            model_path=Path("models/model-0123abcd.tar.gz"))

        async def scrape() -> str:
            async with http.get(served.url + "/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                return await resp.text()

        before = await scrape()
        sender = "conv-metrics-7f3a"
        async with http.post(served.url + REST, json={
                "sender": sender, "message": "jag bor på Storgatan 5"}) as resp:
            assert resp.status == 200
        async with http.post(served.url + REST,
                             json={"sender": sender, "message": "igen"}) as resp:
            assert resp.status == 429
        after = await scrape()
        for name, labels in (("sluta_messages_total", {"channel": "rest"}),
                             ("sluta_message_seconds_count", {"channel": "rest"}),
                             ("sluta_messages_refused_total", {"channel": "rest"})):
            assert sample(after, name, **labels) == sample(before, name, **labels) + 1, name
        assert sample(after, "sluta_model_info", model="model-0123abcd.tar.gz") == 1
        assert not any(sender in v or "Storgatan" in v for v in label_values(after))
        async with http.get(served.url + "/metrics",
                            headers={"X-Forwarded-For": "203.0.113.9"}) as resp:
            assert resp.status == 403


@pytest.fixture
async def escalation_refusing() -> AsyncIterator[str]:
    """An escalation service that refuses every relayed message with a 400."""
    app = web.Application()
    app.router.add_post("/internal/conversations/{cid}/messages",
                        lambda request: web.json_response({"error": "bad"}, status=400))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _value(name: str, **labels: str) -> float:
    return sample(metrics.render().decode(), name, **labels)


async def test_broker_counts_safety_answers_and_relay_failures(escalation_refusing: str) -> None:
    broker = EscalationRelayBroker(escalation_refusing, "token", "http://127.0.0.1:9", "t")
    crisis, danger = (_value("sluta_safety_answers_total", kind=k) for k in ("crisis", "danger"))
    refused = _value("sluta_relay_failures_total", reason="refused")
    try:
        broker.publish({"event": "action", "name": "utter_crisis", "sender_id": "c1"})
        broker.publish({"event": "action", "name": "utter_emergency", "sender_id": "c1"})
        broker.publish({"event": "action", "name": "utter_greet", "sender_id": "c1"})
        assert _value("sluta_safety_answers_total", kind="crisis") == crisis + 1
        assert _value("sluta_safety_answers_total", kind="danger") == danger + 1
        broker.publish({"event": "user", "sender_id": "c1", "text": "hej",
                        "parse_data": {"intent": {"name": "greet", "confidence": 0.99}}})
        for _ in range(200):
            if _value("sluta_relay_failures_total", reason="refused") > refused:
                break
            await asyncio.sleep(0.02)
        assert _value("sluta_relay_failures_total", reason="refused") == refused + 1
    finally:
        await broker.close()


def test_nginx_keeps_metrics_off_the_public_side(tmp_path: Path) -> None:
    """The rendered production config answers /metrics itself (404) on every server."""
    text = render_nginx(tmp_path, Ports())
    servers = text.split("    server {")[1:]
    assert servers and all("location ^~ /metrics {\n            return 404;" in s
                           for s in servers)


async def test_nginx_answers_404_for_metrics_and_passes_the_rest(tmp_path: Path) -> None:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed")
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="ok"))
    app.router.add_get("/metrics", lambda request: web.Response(text="secret"))
    runner = web.AppRunner(app)
    await runner.setup()
    upstream = free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream).start()
    ports = Ports(rasa=free_port(), escalation=free_port(), rasa_instances=(upstream,),
                  escalation_instances=(upstream,))
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx(prefix, ports), encoding="utf-8")
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            for port in (ports.rasa, ports.escalation):
                base = f"http://127.0.0.1:{port}"
                for _ in range(200):
                    try:
                        async with http.get(base + "/") as resp:
                            assert resp.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
                for path in ("/metrics", "/metrics/", "//metrics", "/%6Detrics"):
                    async with http.get(base + path) as resp:
                        assert resp.status == 404, (port, path)
            async with http.get(f"http://127.0.0.1:{upstream}/metrics") as resp:
                assert await resp.text() == "secret"  # the instance itself still answers
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        await runner.cleanup()


def test_alert_rules_are_valid_prometheus_rule_groups() -> None:
    """deploy/prometheus/alerts.yml: the shape Prometheus loads, on metrics that exist."""
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    exposed = metrics.render().decode() + " ".join(QUEUE_METRICS)
    alerts = {}
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            alerts[rule["alert"]] = rule
            names = {word for word in
                     rule["expr"].replace("(", " ").replace(")", " ").replace("{", " ").split()
                     if word.startswith("sluta_")}
            assert names or rule["expr"].startswith("up"), rule["alert"]
            assert all(name.split("_total")[0].split("_bucket")[0] in exposed
                       for name in names), rule["alert"]
    assert {"AcuteCaseWaiting", "NoCoachOnlineInCoachHours", "DeliveryFailures"} <= set(alerts)
    assert 'priority="1"' in alerts["AcuteCaseWaiting"]["expr"]
    assert "120" in alerts["AcuteCaseWaiting"]["expr"]


async def test_callback_refused_by_the_gateway_is_a_delivery_failure() -> None:
    """Rasa's callback channel posting to a gateway that refuses: counted for bot and coach
    messages; a coach message still fails loudly (the coach must see it was not sent)."""
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from bot.rasa_plugins.channels.callback import GatewayCallbackOutput

    app = web.Application()
    app.router.add_post("/rasa/callback", lambda request: web.json_response({}, status=403))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    output = GatewayCallbackOutput(EndpointConfig(f"http://127.0.0.1:{port}/rasa/callback"))
    bot_key = {"channel": "callback", "reason": "bot_message"}
    coach_key = {"channel": "callback", "reason": "coach_message"}
    before = (_value("sluta_delivery_failures_total", **bot_key),
              _value("sluta_delivery_failures_total", **coach_key))
    try:
        await output.send_text_message("conv-cb", "hej")  # logged, as Rasa does
        with pytest.raises(ClientResponseError):
            await output.send_text_message("conv-cb", "coachen här", coach=True)
    finally:
        await runner.cleanup()
    assert _value("sluta_delivery_failures_total", **bot_key) == before[0] + 1
    assert _value("sluta_delivery_failures_total", **coach_key) == before[1] + 1
