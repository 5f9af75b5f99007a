"""GET /metrics of the escalation service: the queue as the database has it now.

Open cases by priority and status, the longest wait of a waiting case by priority, coaches
online and whether it is coach hours are read from the database when Prometheus scrapes (one
query each, in a worker thread), not counted in memory: every instance reports the same
numbers, and a restart loses nothing. Priorities 1-3 are always present (0 when empty), so an
alert on them never waits for a series to appear. Plus this process's counters
(bot/metrics.py). Who may read: bot/metrics.py's `allowed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone

from aiohttp import web
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from bot import metrics
from bot.db.models import OPEN_STATUSES
from bot.escalation import keys
from bot.escalation.store import PRIORITY_LABELS

PRIORITIES = tuple(sorted(PRIORITY_LABELS))
OPEN_CASES, LONGEST_WAIT, COACHES_ONLINE, COACH_HOURS_OPEN = QUEUE_METRICS = (
    "sluta_open_cases", "sluta_longest_wait_seconds", "sluta_coaches_online",
    "sluta_coach_hours_open")


class QueueCollector(Collector):
    """The queue's gauges, read from the service's store at each scrape."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = self.app[keys.CASES]
        store, settings = service.store, self.app[keys.SETTINGS]
        now = _naive_utc(self.app[keys.CLOCK]())  # the database keeps naive UTC
        open_cases = GaugeMetricFamily(OPEN_CASES, "Open coach cases by priority "
                                       "(1 = acute) and status", labels=["priority", "status"])
        wait = GaugeMetricFamily(LONGEST_WAIT, "How long the longest-waiting "
                                 "unclaimed case of each priority has waited (0: none waiting)",
                                 labels=["priority"])
        counts = {(p, st): 0 for p in PRIORITIES for st in OPEN_STATUSES}
        oldest: dict[int, float] = dict.fromkeys(PRIORITIES, 0.0)
        for priority, status, count, first in store.open_case_stats():
            counts[(priority, status)] = count
            if status == "waiting" and first is not None:
                oldest[priority] = max(0.0, (now - first).total_seconds())
        for (priority, status), count in sorted(counts.items()):
            open_cases.add_metric([str(priority), status], count)
        for priority, seconds in sorted(oldest.items()):
            wait.add_metric([str(priority)], seconds)
        yield open_cases
        yield wait
        yield GaugeMetricFamily(COACHES_ONLINE, "Coaches online (console open and "
                                "chosen 'online' within the presence TTL)",
                                value=store.coaches_online(settings.presence_ttl_seconds))
        yield GaugeMetricFamily(COACH_HOURS_OPEN, "1 within the coaches' opening "
                                "hours (COACH_HOURS, holidays), else 0",
                                value=1 if service.open_now() else 0)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


REGISTRY_KEY = web.AppKey("metrics_registry", CollectorRegistry)


def setup(app: web.Application) -> None:
    """The app's own registry with its queue collector (one per app: tests run several)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(app))
    app[REGISTRY_KEY] = registry


async def scrape(request: web.Request) -> web.Response:
    if not metrics.allowed(request.remote, request.headers,
                           request.app[keys.SETTINGS].metrics_token):
        return web.json_response({"error": "forbidden"}, status=403)
    body = await asyncio.to_thread(metrics.render, request.app[REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})
