"""The timing explanation is said wholly in the shop's language: a Danish shop's customer
reads no English sentence, on any path the explanation takes (scheduler/timing/explain.py,
the ``explain_*`` keys of spillway/languages/<lang>/prompts.yaml)."""

from __future__ import annotations

import functools
import re
import string
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, RequestFacts
from scheduler.signals import SignalEvent
from scheduler.subject_access import request_promise
from scheduler.timing.contact_model import SLOTS, AttemptLog, ContactModel, fit
from scheduler.timing.explain import LEAD_PREFIX, CallHistory, Explanation, explain
from scheduler.timing.model_source import ModelSource, Why
from scheduler.timing.signal_evidence import SignalSettings
from spillway.language_pack import LanguagePack, load_pack
from spillway.phone import ZoneHow
from spillway.settings import Settings
from spillway.storage import SqliteStore

ZONE = ZoneInfo("Europe/Copenhagen")
PHONE = "+4520123456"
WED_9 = datetime(2026, 7, 1, 9, 0, tzinfo=ZONE).timestamp()  # an ordinary Wednesday
THU_15 = datetime(2026, 7, 2, 15, 0, tzinfo=ZONE).timestamp()
# Keys no explanation reaches: other signal kinds (the e-mail one stands for them all),
# and the zones chosen for a number whose zone is not the request's (the explanation
# then says the zone was given, or is the shop's).
UNREACHED = {
    "explain_signal_web_visit",
    "explain_signal_inbound_call",
    "explain_signal_sms_reply",
    "explain_signal_app_open",
    "explain_signal_other",
    "explain_part_morning",
    "explain_part_evening",
    "explain_part_night",
    "explain_zone_unreadable",
    "explain_zone_silent",
    "explain_zone_shop_among",
    "explain_zone_shop_ambiguous",
    # A season calendar's words: said in both languages in tests/test_seasons.py.
    "explain_season_avoided",
    "explain_season_sought",
}


def _at(day: int, hour: int, minute: int) -> float:
    """A moment of July 2026 in Copenhagen (the 1st is a Wednesday)."""
    return datetime(2026, 7, day, hour, minute, tzinfo=ZONE).timestamp()


def _log(n: int, *, industry: dict[str, str] | None = None) -> AttemptLog:
    return AttemptLog(
        [PHONE] * n,
        ["shops"] * n,
        np.arange(n, dtype=np.int64) % SLOTS,
        np.ones(n, np.int64),
        np.arange(n) % 3 == 0,
        industry or {},
    )


def _explained(
    language: str,
    *,
    now: float = WED_9,
    model: ContactModel | None = None,
    history: CallHistory | None = None,
    rules: CallingRules | None = None,
    policy: str = "predicted",
    first_attempt_at: float | None = None,
    phone: str = PHONE,
    timezone: str = "Europe/Copenhagen",
    signals: tuple[SignalEvent, ...] = (),
    **row: object,
) -> Explanation:
    data: dict[str, Any] = {
        "id": 1,
        "status": "pending",
        "source": "csv",
        "traditional": 0,
        "not_before": None,
        "not_after": None,
        "planned_by": None,
        "plan_pick_share": None,
        "plan_reason": None,
        "last_error": None,
        **row,
    }
    facts = RequestFacts(
        phone,
        timezone,
        min(WED_9, now),
        not_after=data["not_after"],
        segment=str(data.pop("segment", "shops")),
        signals=signals,
    )
    return explain(
        data,
        facts,
        rules or CallingRules(),
        model or fit(_log(0), now=now, gbm=False),
        now=now,
        configured_policy=policy,
        history=history or CallHistory(),
        first_attempt_at=first_attempt_at,
        signal_settings=SignalSettings(),
        language=language,
    )


def _every_path(language: str) -> list[Explanation]:
    """One explanation for each way a sentence of it can go."""
    closed = CallingRules(windows=(None,) * 7)
    opens = tuple(SignalEvent(PHONE, "email_open", THU_15 - w * 7 * 86400 + 600) for w in (3, 2, 1))
    say = functools.partial(_explained, language)
    return [
        say(not_after=_at(1, 17, 0)),
        say(traditional=1),
        say(traditional=1, source=None),
        say(timing="conventional", timing_reason="pilot"),
        say(timing="predicted", timing_reason="pilot"),
        say(traditional=1, timing="conventional", timing_reason="customer"),
        say(policy="traditional"),
        say(status="cancelled", last_error="annulleret af en medarbejder"),
        say(status="done"),
        say(status="unreached"),
        say(status="invalid_number"),
        say(status="dialling"),
        say(first_attempt_at=WED_9 + 600),
        say(now=_at(1, 15, 0)),
        # A caller was told the deadline (the bot's read-back): a promise, kept or not.
        say(source="bot"),
        say(source="bot", first_attempt_at=WED_9 + 600),
        say(source="menu", now=_at(1, 22, 29)),
        say(now=_at(1, 22, 29)),
        say(rules=closed),
        say(not_before=_at(1, 22, 0)),
        say(not_before=_at(1, 22, 0), rules=closed),
        say(not_before=_at(1, 11, 0), planned_by="predicted"),
        say(not_before=_at(1, 11, 0)),  # not planned yet: the earliest the call may come
        say(not_before=_at(1, 14, 45), planned_by="predicted"),
        say(not_before=_at(1, 14, 45), planned_by="traditional", timing="conventional"),
        # Timed by prediction: its promise is the deadline's day, so a call past it.
        say(not_before=_at(2, 9, 0), planned_by="predicted"),
        say(not_before=_at(2, 14, 0), not_after=_at(2, 17, 0)),
        say(model=fit(_log(0, industry={"shops": "consumer"}), now=WED_9, gbm=False)),
        say(model=fit(_log(2), now=WED_9, gbm=False)),
        say(model=fit(_log(400), now=WED_9, gbm=False), history=CallHistory(1, 3, 1)),
        say(history=CallHistory(2, 2, 0, simulated=True)),
        say(history=CallHistory(1, 3, 0)),
        say(segment="default"),  # the stored name, said as the pack's word for it
        say(timezone="Asia/Vladivostok"),
        say(phone="+79161234568", timezone="Europe/Moscow"),
        say(phone="+000", timezone="Europe/Copenhagen"),
        say(not_before=THU_15, planned_by="predicted", signals=opens),
        say(not_before=_at(2, 19, 0), planned_by="predicted", signals=opens),
        say(not_before=_at(2, 19, 0), planned_by="predicted", signals=opens[:1]),
    ]


def _explain_keys(pack: LanguagePack) -> list[str]:
    return sorted(k for k in pack.prompts if k.startswith("explain_"))


def _pattern(text: str) -> str:
    """A pack wording as a regular expression: each placeholder stands for any text."""
    parts = string.Formatter().parse(text)
    return "".join(re.escape(lit) + (".+?" if name else "") for lit, name, _, _ in parts)


def _lines(said: list[Explanation]) -> list[str]:
    return [line for e in said for line in e.timeline + e.timeline_before_hours + e.factors]


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The pack keys said while the test runs."""
    keys: set[str] = set()
    say = LanguagePack.say

    def counting(self: LanguagePack, action: str, **values: object) -> str:
        keys.add(action)
        return say(self, action, **values)

    monkeypatch.setattr(LanguagePack, "say", counting)
    yield keys


def _model_notes(pack: LanguagePack) -> list[str]:
    """The line saying which contact model was used, for each reason (model_source)."""
    model = fit(_log(400), now=WED_9, gbm=False)
    return [ModelSource(why, fitted=model).note(pack, 24) for why in Why]


def test_a_danish_shops_explanation_has_no_english_sentence(used: set[str]) -> None:
    da, en = load_pack("da"), load_pack("en")
    lines = _lines(_every_path("da")) + _model_notes(da)
    # Every path was taken: each explanation key is said (a path left out would hide one).
    # (explain_lead_*: said in place of their explain_* on the console, never by name.)
    lead = {k for k in _explain_keys(da) if k.startswith(LEAD_PREFIX)}
    assert sorted(set(_explain_keys(da)) - used - UNREACHED - lead) == []
    # Each line is a Danish wording (the calls-so-far line: two sentences in one).
    danish = [_pattern(da.prompts[k].text) for k in _explain_keys(da)]
    history = _pattern(da.prompts["explain_history_calls"].text) + " .+"
    for line in lines:
        assert any(re.fullmatch(p, line) for p in [*danish, history]), line
    # ... and no English wording is in it, whole or in part (its text between placeholders).
    for key in _explain_keys(en):
        for literal, *_ in string.Formatter().parse(en.prompts[key].text):
            if len(literal.strip(" .,:;()")) >= 4:
                assert not any(literal in line for line in lines), (key, literal)
    # Moments are written the Danish way, with the pack's weekday and month names.
    assert "Vi lovede at ringe første gang senest onsdag d. 1. juli kl. 20.00." in lines
    assert "Målet er at ringe første gang senest onsdag d. 1. juli kl. 13.00." in lines
    assert any("torsdag d. 2. juli kl. 15.00" in line for line in lines)


@pytest.mark.parametrize("language", ["en", "da"])
def test_one_signal_is_not_counted_as_many(language: str) -> None:
    """One event gets its own sentence (not "your 1 recent visits", "dine 1 seneste besøg")."""
    one = (SignalEvent(PHONE, "email_open", THU_15 - 7 * 86400 + 600),)
    said = _explained(language, not_before=_at(2, 19, 0), planned_by="predicted", signals=one)
    pack = load_pack(language)
    assert pack.say("explain_signals_unused_one", count=1) in said.factors
    assert not any(" 1 " in line for line in said.factors)


def test_the_english_explanation_says_every_key_the_danish_one_says(used: set[str]) -> None:
    """The two packs' explanations take the same paths: no key only one language uses."""
    _every_path("da")
    danish = set(used)
    used.clear()
    _every_path("en")
    assert used == danish


def test_every_way_of_choosing_a_zone_has_words_in_every_pack() -> None:
    for code in ("en", "da"):
        pack = load_pack(code)
        assert all(f"explain_zone_{how.value}" in pack.prompts for how in ZoneHow)


def test_a_danish_shops_promise_and_console_page_are_danish(store: SqliteStore) -> None:
    """`callbacks show` (the promise alone) and the console's request page: both Danish, the
    page's said to the team lead about the customer."""
    from web.console_data import ModelCache, request_detail

    now = time.time()
    with store.transaction() as tx:
        request_id = intake.record(
            tx, NewRequest(PHONE, RequestSource.API, "t", segment="shops"), region="DK", now=now
        ).id
    [row] = store.query("SELECT * FROM callback_requests WHERE id = ?", (request_id,))
    settings = Settings(storage={"sqlite_path": store.path}, shop={"language": "da"})
    planned = request_promise(store, row, settings, now=now)
    # From the API: nobody told the customer the deadline, so it is the aim.
    assert planned.timeline[0].startswith("Målet er at ringe første gang senest ")
    detail = request_detail(store, request_id, settings, ModelCache(60), now)
    assert detail is not None
    why = detail[2]
    assert why.timeline == planned.timeline
    # The console tells the team lead about the customer (explain_lead_zone), in Danish.
    assert why.factors[-1].startswith("Kundens lokale tid antages at være Europe/Copenhagen")
    english = Settings(storage={"sqlite_path": store.path})
    assert (
        request_promise(store, row, english, now=now)
        .timeline[0]
        .startswith("The aim is a first call by ")
    )


def test_closed_hours_are_said_in_the_shops_language() -> None:
    said = _explained("da", status="cancelled")
    assert {c.reason for c in said.week} == {"anmodningen er annulleret: ingen flere opkald"}


def test_every_refused_hour_gives_the_rules_reason_in_the_shops_language() -> None:
    """The calling rules' reasons (scheduler/rules.py) reach the customer in the week's
    hours (explain, gdpr export): in Danish for a Danish shop, as the pack words them."""
    da, en = load_pack("da"), load_pack("en")
    reasons = {c.reason for e in _every_path("da") for c in e.week if c.reason}
    danish = [_pattern(da.prompts[k].text) for k in da.prompts if k.startswith("rule_")]
    danish.append(_pattern(da.prompts["explain_hour_closed"].text))
    assert len(reasons) >= 4, reasons  # outside hours, closed days, before the time asked, ...
    for reason in reasons:
        assert any(re.fullmatch(p, reason) for p in danish), reason
        # No English weekday, and no English wording of a rule.
        assert not any(day in reason for day in en.reading.weekdays), reason
        for key in (k for k in en.prompts if k.startswith("rule_")):
            for literal, *_ in string.Formatter().parse(en.prompts[key].text):
                if len(literal.strip(" .,:;()")) >= 4:
                    assert literal.strip(" .,:;()") not in reason, (key, reason)
    # English, as before: the same rule in English words, weekday named in English.
    english = {c.reason for e in _every_path("en") for c in e.week if c.reason}
    assert any(r.startswith("outside the calling hours (") for r in english), english
