"""A plain callback (no AI timing) asked for at every door: the API's ``timing`` field,
the CSV's ``timing`` column (a bad value names its line), `spillway callbacks optout
--ai-timing` (and ``--remove``), and a pilot configured in the settings reaching intake."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from typer.testing import CliRunner

from cli.main import app
from scheduler.csv_import import parse_csv
from scheduler.timing.choice import Timing, TimingConfig, choose_timing
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from web.callbacks_api import create_app

TOKEN = "t0ken-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest_asyncio.fixture(loop_scope="session")
async def client(store: SqliteStore) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(web={"api_token": TOKEN}, callbacks={"pilot": {"share_predicted": 1.0}})
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c
    db.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_api_takes_timing_conventional(client: httpx.AsyncClient) -> None:
    plain = await client.post(
        "/callbacks", json={"phone": "+4520123401", "timing": "conventional"}, headers=AUTH
    )
    assert plain.status_code == 201, plain.text
    assert (plain.json()["timing"], plain.json()["timing_reason"]) == ("conventional", "customer")
    # The pilot in the settings (share 1.0) reaches the API's intake.
    drawn = await client.post("/callbacks", json={"phone": "+4520123402"}, headers=AUTH)
    assert (drawn.json()["timing"], drawn.json()["timing_reason"]) == ("predicted", "pilot")
    bad = await client.post(
        "/callbacks", json={"phone": "+4520123403", "timing": "whenever"}, headers=AUTH
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "timing"
    assert "conventional" in bad.json()["error"]["message"]


def test_the_csv_timing_column_asks_for_a_plain_callback_and_bad_values_name_the_line() -> None:
    parsed = parse_csv(
        "phone,timing\n20123411,conventional\n20123412,\n20123413,soon\n",
        region="DK",
        default_timezone="Europe/Copenhagen",
    )
    assert [(line, r.traditional) for line, r in parsed.requests] == [(2, True), (3, False)]
    [error] = parsed.errors
    assert error.line == 4 and "timing 'soon'" in error.text()


def _config(tmp_path: Path, store: SqliteStore, extra: str = "") -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(f"storage:\n  sqlite_path: {store.path}\n{extra}")
    return path


def test_the_csv_door_stores_the_customers_choice_and_the_pilot(
    tmp_path: Path, store: SqliteStore
) -> None:
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone,timing\n20123421,conventional\n20123422,\n")
    config = _config(tmp_path, store, "callbacks:\n  pilot:\n    share_predicted: 0.5\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "import", str(csv_file)]
    )
    assert result.exit_code == 0, result.output
    rows = store.query("SELECT id, phone, timing, timing_reason FROM callback_requests")
    by_phone = {r["phone"]: r for r in rows}
    asked = by_phone["+4520123421"]
    assert (asked["timing"], asked["timing_reason"]) == ("conventional", "customer")
    drawn = by_phone["+4520123422"]
    expected = choose_timing(
        TimingConfig(share_predicted=0.5), request_id=drawn["id"], customer_asked=False, queue=""
    )
    assert (drawn["timing"], drawn["timing_reason"]) == (expected.timing.value, "pilot")


def test_optout_ai_timing_is_permanent_until_removed(tmp_path: Path, store: SqliteStore) -> None:
    config = _config(tmp_path, store)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(app, ["--config", str(config), "callbacks", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "plain one" in cli("optout", "--ai-timing", "20 12 34 31")
    assert store.query("SELECT phone, source FROM ai_timing_optout") == [
        {"phone": "+4520123431", "source": "admin"}
    ]
    # Not on the do-not-call list: the number is still called, plainly.
    assert store.query("SELECT * FROM do_not_call") == []
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone\n20123431\n")
    cli("import", str(csv_file))
    [row] = store.query("SELECT timing, timing_reason, status FROM callback_requests")
    assert dict(row) == {
        "timing": Timing.CONVENTIONAL.value,
        "timing_reason": "customer",
        "status": "pending",
    }
    assert "again" in cli("optout", "--ai-timing", "--remove", "+4520123431")
    assert store.query("SELECT * FROM ai_timing_optout") == []
    assert "nothing changed" in cli("optout", "--ai-timing", "--remove", "+4520123431")
    # Without --ai-timing, --remove is about the do-not-call list, which it is not on.
    assert "not on the do-not-call list: nothing changed" in cli(
        "optout", "--remove", "+4520123431"
    )


def test_explain_says_which_timing_and_why(tmp_path: Path, store: SqliteStore) -> None:
    config = _config(tmp_path, store, "callbacks:\n  pilot:\n    share_predicted: 0.0\n")
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone,timing\n20123441,conventional\n20123442,\n")
    CliRunner().invoke(app, ["--config", str(config), "callbacks", "import", str(csv_file)])
    ids = {r["phone"]: r["id"] for r in store.query("SELECT id, phone FROM callback_requests")}

    def explain(phone: str) -> str:
        result = CliRunner().invoke(
            app, ["--config", str(config), "callbacks", "explain", str(ids[phone])]
        )
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    asked = explain("+4520123441")
    # Said to the customer, whom the explanation calls "you" throughout.
    assert "Timing: conventional (you asked for conventional timing)" in asked
    assert "the customer asked" not in asked
    assert "You asked for a plain callback" in asked
    drawn = explain("+4520123442")
    assert "Timing: conventional (drawn by the pilot split at intake)" in drawn
    assert "drawn at random for the conventional way" in drawn


def test_the_policys_timing_is_said_to_be_the_one_of_the_requests_arrival(
    tmp_path: Path, store: SqliteStore
) -> None:
    """After callbacks.policy became conventional, an older request still said "Timing:
    predicted (callbacks.policy)", as if today's setting gave it (issue 19 item 18)."""
    config = _config(tmp_path, store, "callbacks:\n  policy: predicted\n")
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone\n20123443\n")
    CliRunner().invoke(app, ["--config", str(config), "callbacks", "import", str(csv_file)])
    [request_id] = [r["id"] for r in store.query("SELECT id FROM callback_requests")]
    config = _config(tmp_path, store, "callbacks:\n  policy: traditional\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(request_id)]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Timing: predicted (callbacks.policy when the request arrived)" in said


@pytest.mark.asyncio(loop_scope="session")
async def test_the_consoles_request_page_shows_the_timing_and_why(store: SqliteStore) -> None:
    from tests.console_seed import seed
    from tests.test_console_auth import _client, _login, _settings

    seed(store, time.time())
    store.execute(
        "UPDATE callback_requests SET timing = 'conventional', timing_reason = 'customer' "
        "WHERE id = 1"
    )
    db = AsyncStore(store)
    async with _client(_settings(), db) as client:
        await _login(client, "vera")
        page = (await client.get("/requests/1")).text
    db.close()
    found = re.search(r'<dd id="timing">([^<]*)</dd>', page)
    assert found, "no timing on the request's page"
    said = html.unescape(found.group(1))
    assert said == "conventional (the customer asked for conventional timing)"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_console_calls_the_rule_based_timing_conventional(store: SqliteStore) -> None:
    """The rows say 'traditional' (planned_by, an attempt's policy); the pages said it
    beside "timing: conventional" (issue 19). The filter's value stays what is stored."""
    from tests.console_seed import seed
    from tests.test_console_auth import _client, _login, _settings

    seed(store, time.time())
    db = AsyncStore(store)
    async with _client(_settings(), db) as client:
        await _login(client, "vera")
        pages = {
            path: (await client.get(path)).text
            for path in ("/", "/requests", "/requests/4", "/requests?policy=traditional")
        }
    db.close()
    for path, page in pages.items():
        text = html.unescape(re.sub(r"<[^>]*>", " ", page))
        assert "traditional" not in text, (path, text)
    assert re.search(r"<td>\s*conventional\s*</td>", pages["/requests/4"])
    assert re.search(r"<td>\s*conventional\s*</td>", pages["/requests?policy=traditional"])
    assert '<option value="traditional" >conventional</option>' in pages["/requests"]
