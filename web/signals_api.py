"""``POST /signals``: a batch of the customers' signals, as a JSON list of events.

Each event is an object with ``id``, ``kind``, ``at`` and ``phone`` or
``customer_id`` (:mod:`scheduler.signal_intake`). The batch is all or
nothing: one bad event (a field wrong, a field unknown, a customer id never
mapped) refuses the whole batch with 422, naming each bad event by its index,
field and stable code (``signal.bad_phone``), and nothing of it is stored. A
good batch is stored in one transaction; an event id stored before (or twice in
the batch) is stored once, so a resent batch is harmless. The answer says how
many were new:
``{"received": 3, "stored": 2, "already_stored": 1}``.

A batch is at most :data:`MAX_EVENTS` events and :data:`MAX_BODY_BYTES`
bytes (its own cap: a batch is larger than a callback request, which
``web.max_body_bytes`` caps). Reading and checking run off the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from scheduler.signal_intake import (
    FIELDS,
    EventReader,
    EventRefused,
    IncomingSignal,
    SignalProblem,
    store_events,
)
from spillway.errors import StorageError
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store
from web.api_http import Guard, api_error, parse_json, read_body, storage_busy

MAX_EVENTS = 10_000
MAX_BODY_BYTES = 4 * 1024 * 1024
# A refusal lists this many bad events at most (the first one is also ``error``).
LISTED_PROBLEMS = 100
SOURCE = "api"


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[tuple[int, IncomingSignal]]
    problems: list[SignalProblem]


def read_batch(data: object, reader: EventReader) -> Batch | JSONResponse:
    """Every event of a decoded body, or the problems of the bad ones (pure)."""
    if not isinstance(data, list):
        return api_error(400, "invalid_json", "the body must be a JSON list of events")
    if len(data) > MAX_EVENTS:
        return api_error(
            413, "too_many_events", f"at most {MAX_EVENTS} events a batch; this has {len(data)}"
        )
    events: list[tuple[int, IncomingSignal]] = []
    problems: list[SignalProblem] = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            problems.append(SignalProblem.named(index, "", "not_an_object"))
            continue
        unknown = [str(k) for k in item if k not in FIELDS]
        if unknown:
            problems.append(
                SignalProblem.named(
                    index, unknown[0][:40], "unknown_field", known=", ".join(FIELDS)
                )
            )
            continue
        try:
            events.append((index, reader.read(item)))
        except EventRefused as exc:
            problems.append(exc.problem(index))
    return Batch(events, problems)


def refusal(problems: list[SignalProblem]) -> JSONResponse:
    """422 naming each bad event by its index, field and stable code (``signal.bad_phone``,
    the code ``spillway signals import`` prints too); the first is ``error``. The words
    are English, as every answer of the API is."""
    listed = [
        {"index": p.where, "field": p.field or None, "code": p.code, "message": p.message}
        for p in problems[:LISTED_PROBLEMS]
    ]
    first = problems[0]
    where = f"[{first.where}].{first.field}" if first.field else f"[{first.where}]"
    return api_error(
        422,
        "invalid_event",
        f"event {first.where}: {first.text()}; "
        f"{len(problems)} bad event(s), none of the batch stored",
        where,
        index=first.where,
        errors=listed,
        bad_events=len(problems),
        stored=0,
    )


def store_batch(
    store: Store, events: list[tuple[int, IncomingSignal]], now_s: float
) -> tuple[int, list[SignalProblem]]:
    """Worker thread: the whole batch in one transaction, or nothing of it."""
    with store.transaction() as tx:
        return store_events(tx, events, source=SOURCE, now_s=now_s, all_or_nothing=True)


def signal_routes(settings: Settings, store: AsyncStore, guard: Guard) -> list[Route]:
    """``POST /signals`` over ``store``, behind ``guard`` (the API's bearer token)."""
    zone = ZoneInfo(settings.shop.timezone)
    region = settings.shop.country

    async def post(request: Request) -> JSONResponse:
        if (refused := await guard(request)) is not None:
            return refused
        body = await read_body(request, MAX_BODY_BYTES)
        if isinstance(body, JSONResponse):
            return body
        now_s = time.time()
        reader = EventReader(region, zone, now_s)

        def read() -> Batch | JSONResponse:
            data = parse_json(body)
            return data if isinstance(data, JSONResponse) else read_batch(data, reader)

        # Decoding and checking ten thousand events takes a while: not on the loop.
        batch = await asyncio.to_thread(read)
        if isinstance(batch, JSONResponse):
            return batch
        if batch.problems:
            return refusal(batch.problems)
        try:
            stored, unmapped = await store.run(store_batch, store.store, batch.events, now_s)
        except StorageError as exc:
            return storage_busy("signals", exc)
        if unmapped:
            return refusal(unmapped)
        received = len(batch.events)
        return JSONResponse(
            {"received": received, "stored": stored, "already_stored": received - stored}
        )

    return [Route("/signals", post, methods=["POST"])]
