"""GET /metrics on the Rasa server, as a channel Rasa mounts from credentials.yml.

Rasa 3.6 gives a project two ways to add a route to its Sanic app: an input channel's
blueprint (mounted by `rasa.core.channels.channel.register` at `urljoin("/webhooks/",
url_prefix())`), or a pluggy hook, which Rasa 3.6 only loads from the enterprise `rasa_plus`
package. So this is a channel that takes no messages: its url_prefix "/" mounts its one route
at /metrics (urljoin keeps an absolute path), next to Rasa's own routes, with no change to how
Rasa is started. Enabled in credentials.yml as `bot.rasa_plugins.channels.metrics.MetricsInput:`.

What it shows: bot/metrics.py's counters of this process (messages and latency of the REST and
callback channels, refusals, safety answers and relay failures counted by the event broker)
and the model this server runs. Who may read it: bot/metrics.py's `allowed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import metrics
from bot.settings import load


class MetricsInput(InputChannel):
    """Not a conversation channel: serves /metrics only."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def url_prefix(self) -> str:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("sluta_metrics", __name__)
        token = load().metrics_token

        @blueprint.route("/metrics", methods=["GET"])
        async def scrape(request: Request) -> HTTPResponse:
            if not metrics.allowed(request.ip, request.headers, token):
                return response.json({"error": "forbidden"}, status=403)
            agent = getattr(request.app.ctx, "agent", None)
            processor = getattr(agent, "processor", None)
            model_path = getattr(processor, "model_path", None)
            metrics.set_model(getattr(model_path, "name", None))
            return response.raw(metrics.render(), content_type=metrics.CONTENT_TYPE)

        return blueprint
