"""The dialer's last word before and after each attempt (issue 20): a number the
allowed countries no longer cover is not dialled, and a number opted out while its
call rings is closed as opted out, not as "no allowed time"."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from scheduler import do_not_call, intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.originate import DialOrder
from scheduler.requests import RequestSource
from spillway.console_text import load_console_text
from spillway.request_problem import in_english, problem_words
from spillway.storage import AsyncStore, SqliteStore
from tests.test_dialer_logic import ALWAYS, FakePbx

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _add(store: SqliteStore, phone: str, *, allowed: set[str] | None = None) -> int:
    with store.transaction() as tx:
        return intake.record(
            tx,
            NewRequest(phone, RequestSource.API, "t"),
            region="DK",
            now=time.time(),
            allowed_countries=allowed,
        ).id


async def test_a_number_outside_the_allowed_countries_is_not_dialled(store: SqliteStore) -> None:
    # Recorded while Sweden was allowed; the list is Denmark only when the dialer runs.
    far = _add(store, "+46701234567", allowed={"DK", "SE"})
    near = _add(store, "+4520123471")
    pbx = FakePbx()
    db = AsyncStore(store)
    rules = dataclasses.replace(ALWAYS, allowed_regions=frozenset({"DK"}))
    dialer = Dialer(db, pbx, rules, DialerConfig(status_poll_s=0.01, node="t"))
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    assert pbx.dialled == ["+4520123471"]
    rows = {r["id"]: r for r in store.query("SELECT * FROM callback_requests")}
    assert rows[near]["status"] == "done"
    assert rows[far]["status"] == "invalid_number" and rows[far]["attempts"] == 0
    # Kept as a code and its values, said with the setting to change.
    assert json.loads(rows[far]["last_error"])["code"] == "number_abroad"
    assert "allowed_countries" in (in_english(rows[far]["last_error"]) or "")
    db.close()


@dataclasses.dataclass
class OptOutWhileRinging(FakePbx):
    """The customer opts out (by SMS, by the admin) while the callback rings."""

    store: SqliteStore | None = None

    async def originate(self, order: DialOrder) -> None:
        await super().originate(order)
        assert self.store is not None
        with self.store.transaction() as tx:
            do_not_call.opt_out(tx, order.phone, source="admin", now=time.time(), region="DK")


async def test_opting_out_while_the_call_rings_closes_the_request_as_opted_out(
    store: SqliteStore,
) -> None:
    request = _add(store, "+4520123472")
    pbx = OptOutWhileRinging(statuses={"+4520123472": "NOANSWER"}, store=store)
    db = AsyncStore(store)
    dialer = Dialer(db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="t"))
    assert await dialer.tick() == 1
    await dialer.wait_idle(5)
    [row] = store.query("SELECT * FROM callback_requests WHERE id = ?", (request,))
    assert row["status"] == "cancelled", row
    assert json.loads(row["last_error"]) == {"code": "do_not_call"}
    assert in_english(row["last_error"]) == "the number is on the do-not-call list"
    db.close()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            "no allowed time before the request expires (after the time the customer asked for)",
        ),
        (
            "da",
            "intet tilladt tidspunkt, før tilbagekaldet udløber "
            "(efter det tidspunkt, kunden bad om)",
        ),
    ],
)
async def test_a_request_whose_window_has_passed_is_closed_with_the_rule_as_a_code(
    store: SqliteStore, language: str, words: str
) -> None:
    # The customer asked to be called before a moment now past: no time is left before
    # the request expires, and the admin reads which rule left none, in their language.
    now = time.time()
    with store.transaction() as tx:
        late = intake.record(
            tx,
            NewRequest("+4520123473", RequestSource.API, "t", not_after=now - 60),
            region="DK",
            now=now - 3600,
        ).id
    pbx = FakePbx()
    db = AsyncStore(store)
    dialer = Dialer(db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="t"))
    await dialer.tick()
    await dialer.wait_idle(5)
    assert pbx.dialled == []
    [row] = store.query("SELECT * FROM callback_requests WHERE id = ?", (late,))
    assert row["status"] == "unreached" and row["attempts"] == 0, row
    assert json.loads(row["last_error"]) == {"code": "rule", "rule": "rule_after_asked"}
    assert problem_words(row["last_error"], load_console_text(language)) == words
    db.close()
