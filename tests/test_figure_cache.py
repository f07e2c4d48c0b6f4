"""The console's minute cache of figures: the Overview's KPIs and the Pilot page's report are
counted once per window and time zone a minute, however many views or tabs ask."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.pilot_seed import seed_pilot
from web.app import create_web_app
from web.figure_cache import FigureCache
from web.users import Role, entry

pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "a long test password"


class Counter:
    """A count of figures that records each time it runs (and can be slow)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.runs = 0
        self.delay_s = delay_s

    async def __call__(self) -> dict[str, Any]:
        self.runs += 1
        await asyncio.sleep(self.delay_s)
        return {"n": self.runs}


async def test_figures_are_reused_for_a_minute_per_key() -> None:
    cache = FigureCache(ttl_s=60.0)
    count = Counter()
    first = await cache.get(("overview", "7d", "Europe/Copenhagen"), 1000.0, count)
    again = await cache.get(("overview", "7d", "Europe/Copenhagen"), 1059.0, count)
    assert first == again == {"n": 1, "counted_at": 1000.0} and count.runs == 1
    # Another time zone or window is counted on its own.
    other_zone = await cache.get(("overview", "7d", "America/New_York"), 1059.0, count)
    other_window = await cache.get(("overview", "30d", "Europe/Copenhagen"), 1059.0, count)
    assert (other_zone["n"], other_window["n"], count.runs) == (2, 3, 3)
    # Past the minute: counted again.
    later = await cache.get(("overview", "7d", "Europe/Copenhagen"), 1061.0, count)
    assert later == {"n": 4, "counted_at": 1061.0}


async def test_views_that_arrive_while_counting_wait_for_that_count() -> None:
    cache = FigureCache(ttl_s=60.0)
    count = Counter(delay_s=0.05)
    got = await asyncio.gather(*(cache.get("k", 1000.0, count) for _ in range(10)))
    assert count.runs == 1 and all(g is got[0] for g in got)


async def test_a_failed_count_is_not_kept() -> None:
    cache = FigureCache(ttl_s=60.0)

    async def broken() -> dict[str, Any]:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        await cache.get("k", 1000.0, broken)
    assert (await cache.get("k", 1001.0, Counter()))["n"] == 1


@pytest_asyncio.fixture(loop_scope="session")
async def console(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, SqliteStore]]:
    store = SqliteStore(tmp_path / "pilot.db")
    store.migrate()
    seed_pilot(store, time.time())
    settings = Settings(
        web={"users": {"ada": entry(Role.VIEWER, PASSWORD)}, "session_secret": "s" * 40},
        callbacks={"pilot": {"share_predicted": 0.5}},
    )
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_web_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/login")).text)
        assert token is not None
        await client.post(
            "/login", data={"username": "ada", "password": PASSWORD, "csrf_token": token[1]}
        )
        yield client, store
    db.close()
    store.close()


def _counting(monkeypatch: pytest.MonkeyPatch, target: str) -> list[float]:
    """Wrap the function at ``target`` so each call is recorded (its window's start)."""
    module, name = target.rsplit(".", 1)
    real: Callable[..., Any] = getattr(__import__(module, fromlist=[name]), name)
    calls: list[float] = []

    def wrapped(*args: Any) -> Any:
        calls.append(time.time())
        return real(*args)

    monkeypatch.setattr(target, wrapped)
    return calls


async def test_the_pilot_page_and_the_overview_count_once_a_minute(
    console: tuple[httpx.AsyncClient, SqliteStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = console
    pilot = _counting(monkeypatch, "web.pilot_page.pilot_report_from_store")
    kpis = _counting(monkeypatch, "web.console.compute_kpis")
    first = await client.get("/pilot")
    # A request added now is not in the figures reused within the minute ...
    store.insert(
        "callback_requests",
        {"phone": "+4520999999", "source": "api", "created_at": time.time(), "status": "pending",
         "timing": "predicted", "timing_reason": "pilot"},
    )  # fmt: skip
    again = await client.get("/pilot")
    overview = [await client.get("/?window=7d") for _ in range(3)]
    assert first.status_code == again.status_code == 200
    assert all(o.status_code == 200 for o in overview)
    assert len(pilot) == 1 and len(kpis) == 1
    assert _figures(first.text) == _figures(again.text)  # the same figures, reused
    assert "at most once a minute" in again.text
    # ... another window is its own entry, counted on its own.
    since = time.strftime("%Y-%m-%d", time.localtime(time.time() - 3 * 86400))
    other = await client.get(f"/pilot?since={since}")
    await client.get("/?window=30d")
    assert other.status_code == 200 and len(pilot) == 2 and len(kpis) == 2


def _figures(html: str) -> str:
    """The page's evidence table, without the line that says when it was counted."""
    return html.split("<h2>Evidence")[1]
