"""What operators watch: the Prometheus metrics of every process, and who may read them.

Each process (Rasa server, action server, escalation service, gateway) answers GET /metrics
in Prometheus' text format (`prometheus-client`). The counters below live in the process's
default registry; a process creates only the label values of what it does, so the gateway
shows web/sms and Rasa rest/callback. Values that are facts of the database (open cases,
the longest wait, coaches online) are read when scraped (bot/escalation/metrics.py), so every
escalation instance reports the same numbers: alert on max() over instances.

Labels are closed sets named here (channel, kind, reason, priority, model file name): every
helper maps anything else to "other", so no conversation id, text, phone number or address
can become a label value (tests/test_metrics.py).

Who may read: with METRICS_TOKEN set, a request carrying `Authorization: Bearer <token>`;
without it, only a peer on loopback or a private network that came straight to the process
(no X-Forwarded-For, X-Real-IP or Forwarded header: nginx adds one). nginx answers /metrics
itself with 404 on every public server (deploy/nginx.conf.template), so the public side
never reaches them; Prometheus scrapes each instance on its own port.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

CONTENT_TYPE = CONTENT_TYPE_LATEST
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

# closed label sets
CHANNELS = frozenset({"rest", "callback", "web", "sms"})
SAFETY_KINDS = frozenset({"crisis", "danger", "threat", "ask", "follow_up"})
OTHER = "other"

MESSAGES = Counter("sluta_messages", "User messages taken, per channel",
                   ["channel"])
REFUSED = Counter("sluta_messages_refused", "User messages refused by a flood limit, per "
                  "channel", ["channel"])
LATENCY = Histogram("sluta_message_seconds", "From a user message's arrival to its answer "
                    "(Rasa: the channel's webhook; gateway: the round trip to Rasa)",
                    ["channel"], buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SAFETY_ANSWERS = Counter("sluta_safety_answers", "Safety answers the bot gave, by kind "
                         "(bot/safety_actions.py)", ["kind"])
RELAY_FAILURES = Counter("sluta_relay_failures", "User messages of a conversation with a case "
                         "that the relay broker could not post to the escalation service (its "
                         "reconciliation with the tracker brings them late)", ["reason"])
RELAYS_RECONCILED = Counter("sluta_relays_reconciled", "User messages of an open case that "
                            "their relay did not bring, stored from Rasa's tracker by the "
                            "escalation service's reconciliation")
DELIVERY_FAILURES = Counter("sluta_delivery_failures", "Bot or coach messages that did not "
                            "reach the young person, per channel and reason",
                            ["channel", "reason"])
CASE_REQUESTS = Counter("sluta_case_requests", "Coach case requests of the action server, by "
                        "outcome (opened, queued: the service did not answer and the request "
                        "waits in the retry queue, refused)", ["outcome"])
MODEL = Gauge("sluta_model_info", "The model this Rasa server runs (1 on its file name)",
              ["model"])


def channel(name: str | None) -> str:
    return name if name in CHANNELS else OTHER


def safety_kind(kind: str | None) -> str:
    return kind if kind in SAFETY_KINDS else OTHER


def set_model(name: str | None) -> None:
    """The running model's file name ("model-<fingerprint>.tar.gz": no personal data)."""
    MODEL.clear()
    if name:
        MODEL.labels(model=str(name)[:120]).set(1)


def render(*extra: CollectorRegistry) -> bytes:
    """The process's metrics and those of `extra` registries, in Prometheus' text format."""
    return b"".join(generate_latest(registry) for registry in (REGISTRY, *extra))


def _private(peer: str | None) -> bool:
    try:
        address = ipaddress.ip_address((peer or "").strip())
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def allowed(peer: str | None, headers: Mapping[str, str], token: str) -> bool:
    """Whether this request may read /metrics (see the module docstring)."""
    if token:
        scheme, _, given = (headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "surrogatepass"), token.encode("utf-8"))
    return _private(peer) and not any(headers.get(name) for name in PROXY_HEADERS)
