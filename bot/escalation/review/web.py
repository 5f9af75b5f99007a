"""Routes of the review inbox and the statistics page, mounted on the escalation service.

- POST /internal/review (Bearer internal token): the relay broker reports a message the
  assistant did not understand. No sender id is accepted; the text is scrubbed before storage.
- POST /api/cases/{case_id}/events/{event_id}/flag: 410. A message written in a coach case is
  for the coach only (the chat promises that only a coach reads it, and only on request), so
  nothing of a case reaches the maintainers' inbox.
- GET /review, POST /review/action: the maintainer's inbox, grouped by similarity. Assigning
  shows the texts exactly as they will be written (scrubbed again) and writes only when the
  maintainer confirms (`confirm=yes`).
- GET /admin/stats, /admin/stats/{chart}.png, /admin/stats.csv: anonymous aggregates
  (maintainer or admin).
"""

from __future__ import annotations

import asyncio
import math
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.db.engine import make_engine
from bot.escalation import keys
from bot.escalation.common import (
    ApiError,
    field_str,
    read_json_object,
    require_coach,
    require_maintainer,
)
from bot.escalation.review import cluster, new_intent, nlu_files, stats
from bot.escalation.review.stats_store import StatsStore
from bot.escalation.review.store import ReviewStore

REVIEW_STORE = web.AppKey("review_store", ReviewStore)
NLU_LOCK = web.AppKey("nlu_lock", asyncio.Lock)
STATS_STORE = web.AppKey("stats_store", StatsStore)
CAPTURE_REASONS = ("low_confidence", "fallback", "rephrase", "user_choice")
SOURCE_LABELS = {"low_confidence": "Låg säkerhet", "fallback": "Fallback",
                 "rephrase": "Bad om omformulering", "flagged": "Flaggad av coach",
                 "user_choice": "Användaren valde"}


def setup_routes(app: web.Application) -> None:
    app.router.add_routes([
        web.post("/internal/review", internal_review),
        web.post("/api/cases/{case_id}/events/{event_id:\\d+}/flag", flag_event),
        web.get("/review", review_page),
        web.post("/review/action", review_action),
        web.get("/admin/stats", stats_page),
        web.get("/admin/stats.csv", stats_csv),
        web.get("/admin/stats/{chart}.png", stats_chart),
    ])
    app[NLU_LOCK] = asyncio.Lock()
    app.on_startup.append(_warm_up)


async def _warm_up(app: web.Application) -> None:
    """Load spaCy for the scrubber in the background: the first capture should not wait."""
    from bot.privacy import scrub

    threading.Thread(target=scrub, args=("warm up",), daemon=True).start()


def review_store(app: web.Application) -> ReviewStore:
    if REVIEW_STORE not in app:
        app[REVIEW_STORE] = ReviewStore(app[keys.STORE].sessions)
    return app[REVIEW_STORE]


def project_dir(app: web.Application) -> Path:
    """The checkout whose domain.yml and data/ the review writes (the one retrain trains)."""
    configured = app[keys.SETTINGS].project_dir
    return Path(configured) if configured else nlu_files.default_nlu_dir().parent.parent


def nlu_dir(app: web.Application) -> Path:
    configured = app[keys.SETTINGS].nlu_dir
    if configured:
        return Path(configured)
    return project_dir(app) / "data" / "nlu" if app[keys.SETTINGS].project_dir else \
        nlu_files.default_nlu_dir()


# ---- capture -------------------------------------------------------------------------------


async def internal_review(request: web.Request) -> web.Response:
    """A message for the review inbox from the Rasa side; 202 {id, created}."""
    data = await read_json_object(request)
    text = field_str(data, "text", max_len=request.app[keys.SETTINGS].max_message_chars)
    reason = data.get("reason")
    if reason not in CAPTURE_REASONS:
        raise ApiError(400, "invalid_field",
                       "'reason' must be one of " + ", ".join(CAPTURE_REASONS))
    intent = field_str(data, "intent", max_len=64, required=False, allow_empty=True)
    language = data.get("language")
    if language not in (None, "sv", "en"):
        raise ApiError(400, "invalid_field", "'language' must be 'sv', 'en' or null")
    confidence = data.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(
            confidence, (int, float)) or not math.isfinite(confidence)):
        raise ApiError(400, "invalid_field", "'confidence' must be a number")
    timestamp = data.get("timestamp")
    day = None
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool) and math.isfinite(
            timestamp) and 0 < timestamp < 4e9:
        day = datetime.fromtimestamp(timestamp, timezone.utc).date()
    assert text is not None
    store = review_store(request.app)
    item_id, created = await asyncio.to_thread(
        store.add_item, text, reason, intent or None,
        None if confidence is None else float(confidence), language, day)
    return web.json_response({"id": item_id, "created": created}, status=202)


async def flag_event(request: web.Request) -> web.Response:
    """Flagging a case message for review is gone: what is written to a coach stays there."""
    require_coach(request)
    raise ApiError(410, "gone", "Meddelanden i ett coachärende skickas inte till granskning: "
                   "bara coachen läser dem.")


# ---- maintainer inbox ----------------------------------------------------------------------


def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    from bot.escalation.console import render

    return render(request, template, **context)


async def review_page(request: web.Request) -> web.Response:
    require_maintainer(request)
    return await _inbox(request, message=request.query.get("msg", "")[:300])


async def _inbox(request: web.Request, *, status: int = 200, message: str = "",
                 error: str = "", draft: dict[str, Any] | None = None) -> web.Response:
    """The inbox; with `error` and `draft` the new-intent form comes back filled in."""
    store = review_store(request.app)
    items = await asyncio.to_thread(store.open_items)
    groups = await asyncio.to_thread(cluster.group_items, items, [i.text for i in items])
    intent_files, _ = await asyncio.to_thread(nlu_files.read_intents, nlu_dir(request.app))
    counts = await asyncio.to_thread(store.counts)
    facts = await asyncio.to_thread(_facts, request.app)
    return _render(request, "review.html", status=status, groups=groups,
                   intents=sorted(intent_files), counts=counts, source_labels=SOURCE_LABELS,
                   message=message, error=error, draft=draft or {}, facts=facts,
                   max_answer=new_intent.MAX_ANSWER_CHARS)


def _facts(app: web.Application) -> list[tuple[str, str]]:
    """The placeholders an answer may use, with their Swedish text."""
    from bot import content

    loaded = content.load(new_intent.paths(project_dir(app))["content"])
    return [(key, loaded.fact(key)) for key in loaded.facts]


async def review_action(request: web.Request) -> web.Response:
    """Assign, new intent or dismiss for the checked items of one group (a form post)."""
    coach = require_maintainer(request)
    form = await request.post()
    try:
        ids = sorted({int(str(v)) for v in form.getall("item", [])})
    except ValueError as exc:
        raise ApiError(400, "invalid_field", "Ogiltigt meddelande-id") from exc
    action = str(form.get("action", ""))
    if not ids:
        return _back("Välj minst ett meddelande.")
    store = review_store(request.app)
    if action == "dismiss":
        n = await asyncio.to_thread(store.resolve, ids, "dismissed", None, coach.id)
        return _back(f"{n} meddelanden avfärdade.")
    if action == "new":
        return await _new_intent(request, form, ids, coach.id)
    if action != "assign":
        raise ApiError(400, "invalid_field", "Okänd åtgärd")
    intent = str(form.get("intent" if action == "assign" else "new_intent", "")).strip()
    if not nlu_files.INTENT_NAME.match(intent):
        return _back("Ange en avsikt: små bokstäver, siffror och _ (t.ex. ask_school).")
    items = {i.id: i for i in await asyncio.to_thread(store.items, ids) if i.status == "open"}
    if not items:
        return _back("Meddelandena är redan hanterade.")
    prepared = {i.id: await asyncio.to_thread(nlu_files.prepare_example, i.text)
                for i in items.values()}
    if form.get("confirm") != "yes":  # show what would be written; nothing is saved yet
        files, _ = await asyncio.to_thread(nlu_files.read_intents, nlu_dir(request.app))
        if intent not in files and action == "assign":
            return _back(f"Inget skrevs: ingen träningsfil har avsikten {intent}.")
        rows = [{"id": i.id, "stored": i.text, "saved": prepared[i.id]} for i in items.values()]
        target = files[intent].name if intent in files else nlu_files.NEW_INTENTS_FILE
        return _render(request, "review_confirm.html", rows=rows, intent=intent,
                       action=action, file=target)
    async with request.app[NLU_LOCK]:  # one writer per file at a time
        try:
            result = await asyncio.to_thread(
                nlu_files.add_examples, intent, list(prepared.values()),
                nlu_dir(request.app), action == "new")
        except ValueError as exc:
            return _back(f"Inget skrevs: {exc}")
    conflicted = {text for text, _ in result.conflicts}
    done = [i for i, text in prepared.items() if text not in conflicted]
    await asyncio.to_thread(store.resolve, done, "assigned" if action == "assign" else
                            "new_intent", intent, coach.id)
    parts = [f"{len(result.added)} exempel tillagda i {result.file or '–'} ({intent})"]
    if result.duplicates:
        parts.append(f"{len(result.duplicates)} fanns redan")
    if result.conflicts:
        parts.append("finns redan under annan avsikt: " + ", ".join(
            f"”{t}” ({other})" for t, other in result.conflicts))
    return _back("; ".join(parts) + ".")


async def _new_intent(request: web.Request, form: Any, ids: list[int],
                      coach_id: int) -> web.Response:
    """A new intent with its answer: preview (every file's diff) first, write on confirm."""
    limit = new_intent.MAX_ANSWER_CHARS * 2
    draft = new_intent.Draft(str(form.get("new_intent", "")).strip()[:64],
                             str(form.get("answer_sv", ""))[:limit],
                             str(form.get("answer_en", ""))[:limit])
    values = {"ids": ids, "intent": draft.intent, "answer_sv": draft.answer_sv,
              "answer_en": draft.answer_en}
    root = project_dir(request.app)
    store = review_store(request.app)
    items = [i for i in await asyncio.to_thread(store.items, ids) if i.status == "open"]
    if not items:
        return _back("Meddelandena är redan hanterade.")
    if nlu_dir(request.app).resolve() != (root / "data" / "nlu").resolve():
        raise ApiError(409, "conflict", "REVIEW_NLU_DIR ligger inte i REVIEW_PROJECT_DIR: "
                       "svaret och exemplen måste hamna i samma projekt.")
    async with request.app[NLU_LOCK]:  # the files must not change between plan and write
        try:
            change = await asyncio.to_thread(new_intent.plan, draft, [i.text for i in items],
                                             root)
            if form.get("confirm") == "yes":
                await asyncio.to_thread(new_intent.apply, change)
        except new_intent.DraftError as exc:
            return await _inbox(request, status=exc.status, error=str(exc), draft=values)
    if form.get("confirm") != "yes":
        return _render(request, "review_new_intent.html", change=change, items=items,
                       diffs=change.diffs())
    written = {*change.examples, *change.duplicates}
    done = [i.id for i in items
            if await asyncio.to_thread(nlu_files.prepare_example, i.text) in written]
    await asyncio.to_thread(store.resolve, done, "new_intent", change.draft.intent, coach_id)
    files = ", ".join(p.relative_to(root).as_posix() for p in change.changes)
    return _back(f"Ny avsikt {change.draft.intent}: svar, regel och {len(change.examples)} "
                 f"exempel sparade i {files}. Nästa steg: ./dev retrain, ./dev gate "
                 "och ./dev ship.")


def _back(message: str) -> web.Response:
    raise web.HTTPFound("/review?" + urlencode({"msg": message}))


# ---- statistics ----------------------------------------------------------------------------


def stats_store(app: web.Application) -> StatsStore:
    """The statistics' reads; the tracker engine is made on first use (never at import)."""
    if STATS_STORE not in app:
        url = app[keys.SETTINGS].tracker_db_url
        app[STATS_STORE] = StatsStore(app[keys.STORE].engine, make_engine(url) if url else None)
    return app[STATS_STORE]


async def _stats(request: web.Request) -> stats.Stats:
    require_maintainer(request)
    app = request.app
    try:
        days = max(1, min(366, int(request.query.get("days", app[keys.SETTINGS].stats_days))))
    except ValueError:
        days = app[keys.SETTINGS].stats_days
    return await asyncio.to_thread(stats.compute, stats_store(app), days)


async def stats_page(request: web.Request) -> web.Response:
    figures = await _stats(request)
    charts = [{"name": name, "title": stats.CHART_TITLES[name],
               "empty": stats.chart_data(figures, name)["empty"],
               "alt": stats.alt_text(figures, name)} for name in stats.CHARTS]
    return _render(request, "stats.html", s=stats.summary(figures), days=figures.days,
                   since=figures.since.isoformat(), charts=charts, empty_text=stats.EMPTY_TEXT,
                   tracker_error=figures.tracker_error, min_count=stats.MIN_COUNT)


async def stats_chart(request: web.Request) -> web.Response:
    name = request.match_info["chart"]
    if name not in stats.CHARTS:
        raise ApiError(404, "not_found", "Okänt diagram")
    figures = await _stats(request)
    png = await asyncio.to_thread(stats.chart_png, figures, name)
    return web.Response(body=png, content_type="image/png")


async def stats_csv(request: web.Request) -> web.Response:
    figures = await _stats(request)
    return web.Response(
        text=stats.to_csv(figures), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="sluta-skjut-statistik.csv"'})
