"""The DTMF menu's callback tells the caller when: the promise the request carries (its
deadline, as the scheduler counts it), said from pre-rendered pieces in English and
Danish; the fixed thank-you (controller down) says only what is true of every menu
request; the controller names the pieces for the request as stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agi.controller import LiveCall
from agi.menu_promise import fixed_key, next_calling_day_end, promise_variables, spoken
from cli.pbx_sounds import sound_texts
from dialplan.callback_promise import (
    PROMISE_LIKELY,
    RECORDED,
    RECORDED_AGAIN,
    RECORDED_ASKED,
    RECORDED_CALLING_HOURS,
    fixed_recorded_key,
    hour_file,
    next_calling_day_holds,
    promise_files,
    promise_sound_texts,
    promise_words,
    reachable_hours,
    settings_windows,
)
from dialplan.sounds import SOUND_KEYS
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules, deadline, is_holiday
from scheduler.stored_promise import Promise, stored_promise
from scheduler.timing.choice import Timing
from spillway.call import BotOutcome, CallContext, Route
from spillway.language_pack import load_pack
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.conftest import make_settings
from tests.fastagi_peer import agi_request, controller_serving

CPH = "Europe/Copenhagen"
RULES = CallingRules()  # weekdays 8-20, Saturday 10-16, no Sunday, 4 calling hours
HOURS = reachable_hours(RULES.windows)


def at(day: int, hour: int, minute: int = 0) -> float:
    """December 2026 in Copenhagen (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(CPH)).timestamp()


def said(now: float, language: str) -> str:
    """What a menu caller pressing the key at ``now`` hears, with the scheduler's deadline."""
    promise = promise_files(deadline(RULES, now, CPH), now=now, timezone=CPH, hours=HOURS)
    assert promise is not None
    return promise_words(load_pack(language), promise)


@pytest.mark.parametrize(
    ("now", "en", "da"),
    [
        # Monday 10:00: four calling hours on, today.
        (at(7, 10), "by two o'clock today.", "senest klokken fjorten i dag."),
        # 10:20: the deadline is 14:20, said as the next whole hour (never earlier).
        (at(7, 10, 20), "by three o'clock today.", "senest klokken femten i dag."),
        # 16:00: exactly the end of the day's calls.
        (at(7, 16), "by eight o'clock today.", "senest klokken tyve i dag."),
        # 18:30: 1.5 hours today, 2.5 tomorrow from 8:00.
        (at(7, 18, 30), "by eleven o'clock tomorrow.", "senest klokken elleve i morgen."),
        # Closed now (22:00): four hours from tomorrow's opening.
        (at(7, 22), "by twelve o'clock tomorrow.", "senest klokken tolv i morgen."),
        # Friday 19:00: one hour Friday, three from Saturday's 10:00.
        (at(11, 19), "by one o'clock tomorrow.", "senest klokken tretten i morgen."),
        # Saturday 15:00: one hour Saturday, no Sunday calls, three from Monday's 8:00.
        (at(12, 15), "by eleven o'clock on Monday.", "senest klokken elleve på mandag."),
        # Sunday: Monday is tomorrow.
        (at(13, 11), "by twelve o'clock tomorrow.", "senest klokken tolv i morgen."),
    ],
)
def test_the_caller_hears_the_deadline_the_request_carries(now: float, en: str, da: str) -> None:
    english, danish = said(now, "en"), said(now, "da")
    assert english == (
        "Thank you. We'll call you back on the number you're calling from. We aim to call "
        f"{en} There's nothing more you need to do. Goodbye."
    )
    assert danish == (
        "Tak. Vi ringer dig op på det nummer, du ringer fra. Vi regner med at ringe "
        f"{da} Du behøver ikke gøre mere. Farvel."
    )


def test_the_hour_said_is_never_before_the_deadline_and_within_the_hour() -> None:
    now = at(7, 0)
    while now < at(21, 0):
        due = deadline(RULES, now, CPH)
        promise = promise_files(due, now=now, timezone=CPH, hours=HOURS)
        assert promise is not None, datetime.fromtimestamp(now, ZoneInfo(CPH))
        local = datetime.fromtimestamp(due, ZoneInfo(CPH))
        day = local.date() + timedelta(days=1 if local.hour == 23 and local.minute else 0)
        said_at = datetime(day.year, day.month, day.day, promise.hour, tzinfo=ZoneInfo(CPH))
        assert due <= said_at.timestamp() < due + 3600
        today = datetime.fromtimestamp(now, ZoneInfo(CPH)).date()
        assert promise.days_ahead == (said_at.date() - today).days
        now += 37 * 60


def test_a_promise_that_cannot_be_said_from_pieces_is_left_to_the_fixed_thank_you() -> None:
    now = at(7, 10)
    # Past (an open request it joined is overdue), too far ahead, an hour not rendered.
    assert promise_files(now - 60, now=now, timezone=CPH, hours=HOURS) is None
    assert promise_files(at(14, 12), now=now, timezone=CPH, hours=HOURS) is None
    assert promise_files(at(7, 21, 30), now=now, timezone=CPH, hours=HOURS) is None
    # Rounded up to midnight: no hour word for it.
    late = reachable_hours(((8.0, 24.0),) * 7)
    assert 23 in late and promise_files(at(7, 23, 10), now=now, timezone=CPH, hours=late) is None
    # Six days ahead is still a weekday name.
    promise = promise_files(at(13, 12), now=now, timezone=CPH, hours=HOURS)
    assert promise is not None and promise.day_file == "menu_callback_promise_weekday_6"


def test_only_the_hours_a_deadline_can_fall_on_are_rendered() -> None:
    assert reachable_hours(RULES.windows) == frozenset(range(9, 21))
    assert reachable_hours(((8.5, 17.5), None, None, None, None, None, None)) == frozenset(
        range(9, 19)
    )


def test_the_fixed_thank_you_is_true_of_every_menu_request_over_a_week() -> None:
    # Every key press over two weeks, Christmas included: the scheduler's deadline
    # falls by the end of the first day after the press's with calling hours
    # (holidays skipped): "at the latest on the next day we call customers".
    assert next_calling_day_holds(RULES.windows, RULES.deadline_business_hours)
    tz = ZoneInfo(CPH)
    now = at(14, 0)
    while now < at(29, 0):
        day = datetime.fromtimestamp(now, tz).date() + timedelta(days=1)
        while RULES.window(day) is None or is_holiday(RULES, day):
            day += timedelta(days=1)
        window = RULES.window(day)
        assert window is not None
        end = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=window[1])
        assert deadline(RULES, now, CPH) <= end.timestamp(), datetime.fromtimestamp(now, tz)
        assert next_calling_day_end(RULES, now, CPH) == end.timestamp()
        now += 41 * 60


def test_a_customers_own_later_window_is_not_promised_as_the_next_day() -> None:
    now = at(7, 10)  # Monday: the fixed wording promises by Tuesday 20:00
    assert next_calling_day_end(RULES, now, CPH) == at(8, 20)
    # Joined an open request the customer asked to be called on in ten days.
    later = Promise(at(17, 12), CPH, own_window=True)
    assert spoken(later, RULES, now=now) is None  # too far for the pieces
    assert fixed_key(later, RULES, now=now) == RECORDED_ASKED
    # A deadline the fixed wording covers, or one the rules counted (no window): the usual.
    assert fixed_key(Promise(at(8, 19), CPH, own_window=True), RULES, now=now) == RECORDED
    assert fixed_key(Promise(at(17, 12), CPH), RULES, now=now) == RECORDED
    # No promise: the request joined one already being tried; no time is said.
    assert fixed_key(None, RULES, now=now) == RECORDED_AGAIN
    for language in ("en", "da"):
        asked = load_pack(language).say(RECORDED_ASKED)
        assert {"en": "you already asked for", "da": "du allerede har bedt om"}[language] in asked


def test_short_calling_hours_drop_the_next_day_promise() -> None:
    short = (*((8.0, 20.0),) * 5, (10.0, 12.0), None)
    assert not next_calling_day_holds(short, 4.0)
    assert fixed_recorded_key(short, 4.0) == RECORDED_CALLING_HOURS
    assert fixed_recorded_key(RULES.windows, 4.0) == RECORDED
    # It would be false: Saturday 11:00 + 4 calling hours is Monday 11:00.
    rules = CallingRules(windows=short)
    saturday = datetime.fromtimestamp(deadline(rules, at(12, 11), CPH), ZoneInfo(CPH))
    assert saturday.date().isoformat() == "2026-12-14"


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_sound_files_say_the_pieces_and_the_true_fixed_wording(language: str) -> None:
    settings = make_settings(shop={"language": language})
    texts = sound_texts(settings)
    pack = load_pack(language)
    assert set(SOUND_KEYS) <= set(texts)
    for hour in range(9, 21):
        assert pack.reading.hour_words[hour] in texts[hour_file(hour)]
    assert hour_file(8) not in texts and hour_file(21) not in texts
    for weekday, name in enumerate(pack.reading.weekdays):
        assert name in texts[f"menu_callback_promise_weekday_{weekday}"]
    next_day = {"en": "at the latest on the next day", "da": "senest den næste dag, hvor vi ringer"}
    assert next_day[language] in texts[RECORDED]
    short = make_settings(shop={"language": language}, callbacks={"saturday": [10, 12]})
    fixed = sound_texts(short)[RECORDED]
    assert fixed == pack.say(RECORDED_CALLING_HOURS, shop=settings.shop.name)
    assert next_day[language] not in fixed
    # The same files in every language.
    other = promise_sound_texts(
        load_pack("da" if language == "en" else "en"),
        settings_windows(settings),
        4.0,
        shop="Shop",
    )
    assert set(other) == set(promise_sound_texts(pack, settings_windows(settings), 4.0, shop="S"))


def test_the_dialplan_gets_the_file_names_or_nothing() -> None:
    promise = spoken(Promise(at(7, 14), CPH), RULES, now=at(7, 10))
    assert promise_variables(promise) == {
        "SPILLWAY_PROMISE_HOUR": "menu_callback_promise_hour_14",
        "SPILLWAY_PROMISE_DAY": "menu_callback_promise_today",
        "SPILLWAY_PROMISE_SAY": RECORDED,
    }
    assert promise_variables(spoken(None, RULES, now=at(7, 10)), RECORDED_ASKED) == {
        "SPILLWAY_PROMISE_HOUR": "",
        "SPILLWAY_PROMISE_DAY": "",
        "SPILLWAY_PROMISE_SAY": RECORDED_ASKED,
    }


def test_the_stored_promise_is_the_requests_own_or_the_open_one_it_joined(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        with store.transaction() as tx:
            predicted = intake.record(
                tx, NewRequest("4520123456", RequestSource.MENU), region="DK", now=at(7, 10)
            )
            assert stored_promise(tx, RULES, predicted.id, default_timezone=CPH) == Promise(
                at(7, 14), CPH, own_window=False, likely=True
            )
            # The menu's plain-callback key: timed conventionally, told the hour.
            plain = intake.record(
                tx,
                NewRequest("4520777777", RequestSource.MENU, traditional=True),
                region="DK",
                now=at(7, 10),
            )
            assert stored_promise(tx, RULES, plain.id, default_timezone=CPH) == Promise(
                at(7, 14), CPH, own_window=False, likely=False
            )
            # An open request that asked for Wednesday afternoon: a menu press joins it.
            asked = NewRequest(
                "4520999999", RequestSource.API, not_before=at(9, 13), not_after=at(9, 17)
            )
            first = intake.record(tx, asked, region="DK", now=at(7, 9), rules=RULES)
            joined = intake.record(
                tx, NewRequest("4520999999", RequestSource.MENU), region="DK", now=at(7, 10)
            )
            assert joined.merged and joined.id == first.id
            promise = stored_promise(tx, RULES, joined.id, default_timezone=CPH)
            assert promise == Promise(at(9, 17), CPH, own_window=True, likely=True)
            assert stored_promise(tx, RULES, 999, default_timezone=CPH) is None
    finally:
        store.close()


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("timing_key", "hour_file"),
    [
        # The plain-callback key (9): timed conventionally, told the hour.
        (b"200 result=1 (conventional)\n", "menu_callback_promise_hour_11"),
        # Timed by prediction: "when you're most likely to be free, at the latest" instead.
        (b"200 result=1\n", "menu_callback_promise_likely"),
    ],
    ids=["plain", "predicted"],
)
async def test_the_menus_callback_step_names_the_promise_of_the_request(
    tmp_path: Path, timing_key: bytes, hour_file: str
) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        async with controller_serving(Settings(), store) as serving:
            # Monday evening: promised tomorrow by 11.
            serving.controller.clock = lambda: at(7, 18, 30)
            await serving.log.start(
                "4000.1", caller="4520123456", channel="Local/x", transport="websocket"
            )
            serving.controller.calls["4000.1"] = LiveCall(
                CallContext("4000.1", "4520123456"), last_route=Route.CALLBACK
            )
            got = await agi_request(
                serving.port, "callback", "4000.1", answers={"SPILLWAY_TIMING": timing_key}
            )
        assert f'SET VARIABLE SPILLWAY_PROMISE_HOUR "{hour_file}"' in got, got
        assert 'SET VARIABLE SPILLWAY_PROMISE_DAY "menu_callback_promise_tomorrow"' in got
        assert 'SET VARIABLE SPILLWAY_PROMISE_SAY "menu_callback_recorded"' in got
        [row] = store.query("SELECT created_at, deadline, timezone FROM callback_requests")
        # The promise said is the one the scheduler counts for this request (10:30,
        # said as the next whole hour).
        due = deadline(RULES, row["created_at"], row["timezone"])
        assert (row["created_at"], row["timezone"]) == (at(7, 18, 30), CPH)
        assert due <= at(8, 11) < due + 3600
    finally:
        store.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_menu_bots_key_3_names_the_promise_too(tmp_path: Path) -> None:
    """The DTMF menu bot (agi/menu_bot.py) routes its key 3 to the callback step: the
    request is recorded there, after the bot, so the bot cannot say when; the controller
    names the promise as for the menu's key (before, the caller heard only goodbye)."""
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        async with controller_serving(Settings(), store) as serving:
            # Monday 10:00: promised today by 14.
            serving.controller.clock = lambda: at(7, 10)
            await serving.log.start(
                "4000.2", caller="4520123456", channel="Local/x", transport="websocket"
            )
            menu_bot = BotOutcome(Route.CALLBACK, reason="pressed 3")
            serving.controller.calls["4000.2"] = LiveCall(
                CallContext("4000.2", "4520123456"), outcome=menu_bot, last_route=Route.CALLBACK
            )
            got = await agi_request(serving.port, "callback", "4000.2")
        # Timed by prediction (the default): the day, not an hour.
        assert 'SET VARIABLE SPILLWAY_PROMISE_HOUR "menu_callback_promise_likely"' in got, got
        assert 'SET VARIABLE SPILLWAY_PROMISE_DAY "menu_callback_promise_today"' in got
        assert 'SET VARIABLE SPILLWAY_PROMISE_SAY "menu_callback_recorded"' in got
        [row] = store.query("SELECT source FROM callback_requests")
        assert row["source"] == "bot"
    finally:
        store.close()


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_request_timed_by_prediction_is_told_its_day_from_pieces(language: str) -> None:
    """Any deadline hour (even one not rendered): the likely piece, then the day."""
    spoken = promise_files(at(7, 13), now=at(7, 9), timezone=CPH, hours=frozenset(), likely=True)
    assert spoken is not None
    assert (spoken.hour_file, spoken.day_file) == (PROMISE_LIKELY, "menu_callback_promise_today")
    pack = load_pack(language)
    said = {
        "en": "We aim to call when you're most likely to be free, at the latest today.",
        "da": "Vi regner med at ringe når det er mest sandsynligt, at du kan tage telefonen, "
        "senest i dag.",
    }[language]
    assert said in promise_words(pack, spoken)
    assert PROMISE_LIKELY in SOUND_KEYS


def test_no_first_call_promise_for_a_request_being_dialled_or_tried(tmp_path: Path) -> None:
    """Its next call is a retry, which the first-call cap does not bind: nothing is said
    but the fixed words. A row without a timing is told as the dialer plans it."""
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    try:
        with store.transaction() as tx:
            made = intake.record(
                tx, NewRequest("4520123456", RequestSource.MENU), region="DK", now=at(7, 10)
            )

            def likely(policy: Timing = Timing.PREDICTED) -> bool | None:
                promise = stored_promise(
                    tx, RULES, made.id, default_timezone=CPH, policy_timing=policy
                )
                return None if promise is None else promise.likely

            assert likely() is True
            tx.execute("UPDATE callback_requests SET timing = NULL")
            assert (likely(Timing.CONVENTIONAL), likely(Timing.PREDICTED)) == (False, True)
            tx.execute("UPDATE callback_requests SET traditional = 1")
            assert likely() is False
            tx.execute("UPDATE callback_requests SET attempts = 1")
            assert likely() is None
            tx.execute("UPDATE callback_requests SET attempts = 0, status = 'dialling'")
            assert likely() is None
    finally:
        store.close()
