"""Outbox for case requests made while the escalation service is down: no case is lost.

The Rasa action server calls `enqueue(DATABASE_URL, payload)` when POST /internal/cases fails
(it has already told the user with utter_escalation_failed). The row lands in the project
database, table `case_request_outbox`. The service's sweeper calls `drain_once(app)` at start
and on every pass: each payload is validated and opened exactly as POST /internal/cases would
(idempotent per conversation), then deleted. A payload that fails validation is logged and
dropped (it would fail forever); any other error keeps it for the next pass, counting attempts.

`enqueue` is synchronous and imports only the database layer, so the action server can call it
(e.g. through `asyncio.to_thread`) without loading the web service.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy import insert

from bot.db.engine import make_engine, upgrade_database
from bot.db.models import CaseRequestOutbox, utcnow

log = logging.getLogger(__name__)

BATCH = 100
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def _ensure_schema(engine: Any, database_url: str) -> None:
    """Migrate once per process and URL; a concurrent migration by the service is retried."""
    with _migrate_lock:
        if database_url in _migrated:
            return
        try:
            upgrade_database(engine)
        except Exception:  # another process created the tables at the same moment
            time.sleep(0.5)
            upgrade_database(engine)
        _migrated.add(database_url)


def enqueue(database_url: str, payload: dict[str, Any]) -> None:
    """Store a POST /internal/cases body for the service to open when it is back.

    Validation happens when the service drains the outbox (the same rules as the endpoint);
    here the payload only has to be a JSON object. Raises on database errors, so the caller
    can log that the request is lost.
    """
    if not isinstance(payload, dict):
        raise TypeError("payload must be a dict (the POST /internal/cases body)")
    json.dumps(payload)  # not JSON-serialisable: fail here, in the caller, not in the service
    engine = make_engine(database_url)
    try:
        _ensure_schema(engine, database_url)
        with engine.begin() as conn:
            conn.execute(
                insert(CaseRequestOutbox).values(
                    payload=payload, created_at=utcnow(), attempts=0, last_error=None
                )
            )
    finally:
        engine.dispose()
    log.info(
        "case request for conversation %r queued in the outbox",
        str(payload.get("conversation_id"))[:80],
    )


async def drain_once(app: Any) -> int:
    """Open a case for every queued request; returns how many were opened (or found open)."""
    # imported here: the action server imports this module for `enqueue` only
    from bot.escalation import keys
    from bot.escalation.common import ApiError, DomainError
    from bot.escalation.internal_api import parse_case_request

    store = app[keys.STORE]
    entries = await store.run(store.outbox_pending, BATCH)
    done = 0
    for entry in entries:
        payload = entry.payload
        try:
            if not isinstance(payload, dict):
                raise ApiError(400, "invalid_json", "payload is not a JSON object")
            req = parse_case_request(payload)
        except ApiError as exc:
            log.warning(
                "outbox entry %s dropped, invalid case request (%s): %s",
                entry.id,
                exc.code,
                exc.message,
            )
            await store.run(store.outbox_delete, entry.id)
            continue
        try:
            opened = await app[keys.CASES].open_case(req, queued=True)
        except DomainError as exc:  # over the limits per conversation or client: not retried
            log.warning("outbox entry %s dropped: %s", entry.id, exc.message)
            await store.run(store.outbox_delete, entry.id)
            continue
        except Exception as exc:  # database trouble: keep it, try again on the next pass
            log.exception(
                "outbox entry %s not opened yet (attempt %s)", entry.id, entry.attempts + 1
            )
            await store.run(store.outbox_failed, entry.id, repr(exc))
            continue
        await store.run(store.outbox_delete, entry.id)
        log.info(
            "outbox entry %s -> case %s (%s, queued %s)",
            entry.id,
            opened.result.case.id,
            "new" if opened.result.created else "already open",
            entry.created_at.isoformat(timespec="seconds"),
        )
        done += 1
    return done
