"""Where and until when a callback may be made (issue 20): the countries callbacks may
dial, an expiry that does not run out over holidays, and a deadline that is a target
while the expiry is the hard stop. Pure rules, and the intake that applies them."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import (
    CallingRules,
    RequestFacts,
    Rule,
    deadline,
    expiry,
    next_allowed,
    refusal,
    rules_from_settings,
)
from scheduler.timing.contact_model import AttemptLog, fit
from scheduler.timing.explain import CallHistory, explain
from scheduler.timing.policy import ConventionalPolicy
from spillway.phone import callable_phone, timezone_for
from spillway.settings import Settings
from spillway.storage import SqliteStore

CPH = ZoneInfo("Europe/Copenhagen")
DK_ONLY = CallingRules(allowed_regions=frozenset({"DK"}))


def at(y: int, m: int, d: int, h: int, minute: int = 0) -> float:
    return datetime(y, m, d, h, minute, tzinfo=CPH).timestamp()


def facts(**kw: object) -> RequestFacts:
    base: dict[str, object] = {
        "phone": "+4520123456",
        "timezone": "Europe/Copenhagen",
        "created_at": at(2026, 3, 2, 9),  # a Monday
    }
    base.update(kw)
    return RequestFacts(**base)  # type: ignore[arg-type]


# Satellite (Iridium, Inmarsat) and high-cost countries (Somalia, Cuba, São Tomé).
EXPENSIVE = ["+881631234567", "+870772123456", "+252612345678", "+5352123456", "+2399812345"]


@pytest.mark.parametrize("number", EXPENSIVE)
def test_numbers_outside_the_allowed_countries_are_refused_at_intake(
    store: SqliteStore, number: str
) -> None:
    e164, why = callable_phone(number, "DK")
    assert e164 is None and "allowed_countries" in why
    with store.transaction() as tx:
        recorded = intake.record(
            tx, NewRequest(number, RequestSource.API, "t"), region="DK", now=time.time()
        )
    assert recorded.status.value == "invalid_number" and not recorded.will_be_called
    assert "is not called back" in (recorded.problem or "")


def test_allowed_countries_default_to_the_shop_and_can_be_widened() -> None:
    assert Settings().callback_countries() == frozenset({"DK"})
    assert Settings(shop={"country": "SE"}).callback_countries() == frozenset({"SE"})
    wide = Settings(callbacks={"allowed_countries": ["DK", "SE", "001"]})
    assert callable_phone("+46701234567", "DK", allowed_countries=wide.callback_countries())[0]
    assert callable_phone("+881631234567", "DK", allowed_countries=wide.callback_countries())[0]
    assert rules_from_settings(wide).allowed_regions == frozenset({"DK", "SE", "001"})


def test_the_dialer_rule_refuses_a_number_the_countries_no_longer_allow() -> None:
    # Recorded before the list was narrowed: the re-check before dialling refuses it.
    why = refusal(DK_ONLY, facts(phone="+46701234567"), at(2026, 3, 2, 10))
    assert why is not None and why.rule is Rule.DESTINATION and "SE" in why.reason
    assert refusal(DK_ONLY, facts(), at(2026, 3, 2, 10)) is None


def test_a_christmas_eve_request_gets_calling_days_before_it_expires() -> None:
    # Thursday 24 December 2026 after hours: 25 and 26 are holidays, 27 is a Sunday.
    rules = CallingRules()
    eve = facts(created_at=at(2026, 12, 24, 20, 30))
    first = next_allowed(rules, eve, eve.created_at)
    assert first == at(2026, 12, 28, 8)
    # Three closed days met: the 72 h run three days longer, to the 30th.
    assert expiry(rules, eve) == at(2026, 12, 30, 20, 30)


def test_three_failed_calls_on_christmas_eve_are_tried_again_after_the_holidays() -> None:
    rules = CallingRules()
    started = [at(2026, 12, 24, 8), at(2026, 12, 24, 10), at(2026, 12, 24, 12)]
    day = datetime(2026, 12, 24, tzinfo=CPH).date()
    tried = facts(
        created_at=at(2026, 12, 24, 7, 50),
        attempts=3,
        last_attempt_at=started[-1],
        number_attempts_by_day={day: 3},
    )
    plan = ConventionalPolicy(retry_backoff_s=7200).plan(tried, started[-1] + 30, None, rules)
    assert plan.at == at(2026, 12, 28, 8)


def test_the_deadline_is_a_target_and_the_expiry_the_hard_stop() -> None:
    # What README and docs/CALLBACKS.md say: past its deadline a request may still be
    # called (the policy aims at the deadline); at its expiry it may not.
    rules = CallingRules()
    f = facts()
    promised = deadline(rules, f.created_at, f.timezone)
    assert promised == at(2026, 3, 2, 13)
    assert refusal(rules, f, promised + 3600) is None
    stop = expiry(rules, f)
    assert refusal(rules, f, stop - 3600) is None
    why = refusal(rules, f, stop)
    assert why is not None and why.rule is Rule.EXPIRED


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+79161234567", "Europe/Moscow"),  # a Moscow mobile: phonenumbers lists Almaty first
        ("+74951234567", "Europe/Moscow"),
        ("+61412345678", "Australia/Sydney"),
        ("+12125550123", "America/New_York"),
        ("+4520123456", "Europe/Copenhagen"),
    ],
)
def test_the_time_zone_of_a_number_in_a_country_with_several(number: str, zone: str) -> None:
    assert timezone_for(number, "Europe/Copenhagen") == zone


def test_the_zone_the_request_gives_wins_and_explain_says_where_it_came_from(
    store: SqliteStore,
) -> None:
    with store.transaction() as tx:
        given = intake.record(
            tx,
            NewRequest("+79161234567", RequestSource.API, timezone="Asia/Vladivostok"),
            region="RU",
            now=time.time(),
        )
        guessed = intake.record(
            tx, NewRequest("+79161234568", RequestSource.API), region="RU", now=time.time()
        )
    rows = {r["id"]: r for r in store.query("SELECT * FROM callback_requests")}
    assert rows[given.id]["timezone"] == "Asia/Vladivostok"
    assert rows[guessed.id]["timezone"] == "Europe/Moscow"
    model = fit(AttemptLog.from_rows([]), now=time.time(), gbm=False)
    said = {}
    for rid in (given.id, guessed.id):
        row = rows[rid]
        f = facts(phone=row["phone"], timezone=row["timezone"], created_at=row["created_at"])
        said[rid] = explain(
            row,
            f,
            CallingRules(),
            model,
            now=time.time(),
            configured_policy="x",
            history=CallHistory(),
        )
    assert "Asia/Vladivostok (the time zone given with your request)" in said[given.id].factors[-1]
    assert "Europe/Moscow (where most people in RU live" in said[guessed.id].factors[-1]


def test_a_refused_country_names_the_key_and_the_fix_when_the_list_is_empty() -> None:
    """With callbacks.allowed_countries empty (the default) only shop.country is dialled:
    the refusal says so, instead of claiming the list holds the shop's country."""
    countries = Settings(callbacks={"allowed_countries": []}).callback_countries()
    e164, why = callable_phone("+46701234567", "DK", allowed_countries=countries)
    assert e164 is None
    assert why == (
        "a number in SE (+46) is not called back: callbacks dial only DK "
        "(callbacks.allowed_countries; when it is empty, shop.country alone); to call it, "
        "add SE to callbacks.allowed_countries (e.g. [DK, SE])"
    )
    _, none = callable_phone("+46701234567", "DK", allowed_countries=())
    assert "callbacks may dial no country" in none and "callbacks.allowed_countries" in none
