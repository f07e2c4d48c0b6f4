"""The speech bot's goodbye after a callback says the promise the request carries.

"Thank you. We'll call you back on 20 12 34 56. We aim to call by one o'clock
today. Goodbye!": the request's deadline as stored (counted from the caller's
own window when they named one, or the open request's it joined), in the DTMF
menu's words (the same hour and day: :func:`dialplan.callback_promise.promise_time`),
in English and Danish. Before, the bot said "as soon as a colleague is free" or
"from eight o'clock tomorrow", which was not the time the scheduler plans for.

A request timed by prediction (the default) is told its deadline's day, not an
hour: "We aim to call when you're most likely to be free, today at the latest."
The predicted policy may wait past the deadline's hour for a likelier one, but
plans no first call after that day while it has an allowed hour
(:func:`scheduler.timing.slot_policy.first_call_by`, tested in
tests/test_first_call_by.py). A plain callback (conventional timing) is told the hour.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.backends import Backends
from bot.backends.local import LocalCallbacks
from bot.dialogue.inputs import TextTurn
from bot.dialogue.promise_words import promise_sentence
from bot.dialogue.prompts import use_language
from bot.dialogue.time_phrases import callback_window
from dialplan.callback_promise import promise_files, promise_words
from scheduler import intake
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.rule_facts import promise_times
from scheduler.rules import CallingRules
from scheduler.stored_promise import Promise
from scheduler.timing.choice import Timing, TimingConfig
from spillway.errors import BackendError
from spillway.language_pack import load_pack
from spillway.storage import AsyncStore, SqliteStore
from tests import callback_dialogue_fixtures as fx
from tests.callback_dialogue_fixtures import CPH, MONDAY, RULES, demo_now, demo_rules  # noqa: F401
from tests.callback_dialogue_fixtures import local as _local

pytestmark = pytest.mark.usefixtures("english_after")

ALL_HOURS = frozenset(range(1, 24))


def _at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(CPH)).timestamp()


# -- the words (pure) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "en", "da"),
    [
        # MONDAY is Monday 7 December 2026, 09:00.
        (_at(7, 13), "We aim to call by one o'clock today.", "senest klokken tretten i dag."),
        # 13:20 is said as the next whole hour: never earlier than the promise.
        (_at(7, 13, 20), "by two o'clock today.", "senest klokken fjorten i dag."),
        (_at(8, 11), "by eleven o'clock tomorrow.", "senest klokken elleve i morgen."),
        (_at(10, 12), "by twelve o'clock on Thursday.", "senest klokken tolv på torsdag."),
        (_at(13, 20), "by eight o'clock on Sunday.", "senest klokken tyve på søndag."),
        # A week ahead: a weekday alone would be ambiguous, so its date.
        (
            _at(14, 15),
            "by three o'clock on Monday 14 December.",
            "senest klokken femten mandag den 14. december.",
        ),
    ],
)
def test_the_promise_is_said_from_the_deadline(deadline: float, en: str, da: str) -> None:
    promise = Promise(deadline, CPH)
    use_language("en")
    english = promise_sentence(promise, now=MONDAY)
    assert english.startswith("We aim to call by ") and english.endswith(en), english
    use_language("da")
    danish = promise_sentence(promise, now=MONDAY)
    assert danish.startswith("Vi regner med at ringe senest") and danish.endswith(da), danish


@pytest.mark.parametrize(
    ("deadline", "en", "da"),
    [
        (_at(7, 13), "today at the latest.", "senest i dag."),
        (_at(8, 11), "tomorrow at the latest.", "senest i morgen."),
        (_at(10, 12), "on Thursday at the latest.", "senest på torsdag."),
    ],
)
def test_a_request_timed_by_prediction_is_promised_its_day_not_an_hour(
    deadline: float, en: str, da: str
) -> None:
    promise = Promise(deadline, CPH, likely=True)
    use_language("en")
    english = promise_sentence(promise, now=MONDAY)
    assert english == f"We aim to call when you're most likely to be free, {en}", english
    use_language("da")
    danish = promise_sentence(promise, now=MONDAY)
    assert danish == (
        f"Vi regner med at ringe, når det er mest sandsynligt, at du kan tage telefonen, {da}"
    )


@pytest.mark.parametrize(
    ("said", "deadline", "en", "da"),
    [
        # The window names the day the promise falls on: the day is said once.
        ("tomorrow afternoon", _at(8, 16), "by four o'clock.", "senest klokken seksten."),
        ("on Thursday", _at(10, 12), "by twelve o'clock.", "senest klokken tolv."),
        ("this afternoon", _at(7, 16), "by four o'clock.", "senest klokken seksten."),
        # Another day than the window's (a request it joined): the day is said.
        ("tomorrow afternoon", _at(10, 16), "four o'clock on Thursday.", "seksten på torsdag."),
        # A window over two days names neither alone: the day is said.
        ("at the weekend", _at(12, 12), "twelve o'clock on Saturday.", "tolv på lørdag."),
    ],
)
def test_the_day_the_window_names_is_not_said_again(
    said: str, deadline: float, en: str, da: str
) -> None:
    window = callback_window(said, MONDAY, CPH, "en")
    assert window is not None, said
    for language, ending in (("en", en), ("da", da)):
        use_language(language)
        sentence = promise_sentence(Promise(deadline, CPH), now=MONDAY, window=window)
        assert sentence.endswith(ending), sentence
        # Timed by prediction: the window said back is the promise (a first call is
        # placed inside it), so nothing more on its day; another day is named.
        likely = promise_sentence(Promise(deadline, CPH, likely=True), now=MONDAY, window=window)
        same_day = "o'clock on" not in en
        assert (likely == "") is same_day, likely


@pytest.mark.parametrize(
    "promise",
    [
        None,  # unknown: the back-end does not know the rules
        Promise(MONDAY - 60, CPH),  # past (a joined request overdue)
        Promise(_at(7, 23, 30), CPH),  # rounded up to midnight: no word for it
    ],
)
def test_no_promise_that_cannot_be_said_truly(promise: Promise | None) -> None:
    assert promise_sentence(promise, now=MONDAY) == ""


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_bot_says_the_same_hour_and_day_as_the_menu(language: str) -> None:
    """Every deadline the menu says (to Sunday night), every 20 minutes: the bot's
    sentence ends with the menu's hour and day pieces (same decision, same words)."""
    use_language(language)
    pack = load_pack(language)
    checked = 0
    for step in range(1, 6 * 72 + 45):  # Monday 09:20 to Sunday 24:00
        deadline = MONDAY + step * 1200
        spoken = promise_files(deadline, now=MONDAY, timezone=CPH, hours=ALL_HOURS)
        sentence = promise_sentence(Promise(deadline, CPH), now=MONDAY)
        if spoken is None:
            assert sentence == "", deadline  # midnight: neither says it
            continue
        menu = promise_words(pack, spoken)
        start, end = pack.say("menu_callback_promise_start"), pack.say("menu_callback_promise_end")
        pieces = menu.removeprefix(start).removesuffix(end).strip()  # "by two o'clock today."
        assert sentence.endswith(f" {pieces}"), (sentence, pieces)
        checked += 1
    assert checked > 400


# -- the dialogue --------------------------------------------------------------


def _stored_deadline(store: SqliteStore) -> float:
    [row] = store.query("SELECT * FROM callback_requests")
    return promise_times(RULES, row, default_timezone=CPH)[0]


GOODBYE = {
    "en": "Thank you. We'll call you back on 20 12 34 56. "
    "We aim to call when you're most likely to be free, today at the latest. Goodbye!",
    "da": "Tak. Vi ringer dig op på 20 12 34 56. Vi regner med at ringe, når det er mest "
    "sandsynligt, at du kan tage telefonen, senest i dag. Farvel!",
}
GOODBYE_PLAIN = {
    "en": "Thank you. We'll call you back on 20 12 34 56. "
    "We aim to call by one o'clock today. Goodbye!",
    "da": "Tak. Vi ringer dig op på 20 12 34 56. "
    "Vi regner med at ringe senest klokken tretten i dag. Farvel!",
}


def _conventional(demo: Backends, store: SqliteStore) -> tuple[Backends, AsyncStore]:
    """The demo shop with callbacks.policy traditional: every request timed conventionally."""
    db = AsyncStore(store)
    callbacks = LocalCallbacks(
        db, lambda: MONDAY, rules=RULES, timing=TimingConfig(policy=Timing.CONVENTIONAL)
    )
    return dataclasses.replace(demo, callbacks=callbacks), db


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_yes_hears_the_stored_deadline(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await fx.asked_when(demo, language)
    reply = await fx.no_preference_kept(d, language)
    assert reply.action == "callback_recorded" and reply.end_call
    assert reply.text == GOODBYE[language]
    # Four calling hours from Monday 09:00, as stored and as the scheduler plans for.
    assert _stored_deadline(store) == _local(7, 13)
    [row] = store.query("SELECT timing FROM callback_requests")
    assert row["timing"] == "predicted"


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_conventionally_timed_request_hears_the_deadlines_hour(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    backends, db = _conventional(demo, store)
    try:
        d = await fx.asked_when(backends, language)
        reply = await fx.no_preference_kept(d, language)
        assert reply.action == "callback_recorded" and reply.text == GOODBYE_PLAIN[language]
        [row] = store.query("SELECT timing FROM callback_requests")
        assert row["timing"] == "conventional"
    finally:
        db.close()


WINDOW = {
    # Timed by prediction (the default): the window said back is the promise.
    "en": (
        "tomorrow afternoon",
        "Thank you. We'll call you back on 20 12 34 56 tomorrow afternoon, between twelve "
        "and five. Goodbye!",
    ),
    "da": (
        "i morgen eftermiddag",
        "Tak. Vi ringer dig op på 20 12 34 56 i morgen eftermiddag, mellem klokken tolv "
        "og sytten. Farvel!",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_window_of_their_own_hears_its_deadline_too(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    said, goodbye = WINDOW[language]
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded", reply.text
    # The window they named, then the promise the request now carries (read again
    # after the window was stored: four calling hours from its start, 12:00), without
    # the day the window has just said.
    assert reply.text == goodbye
    assert _stored_deadline(store) == _local(8, 16)


def _open_thursday_request(store: SqliteStore) -> None:
    """The customer already asked, on the web, to be called on Thursday 14-16."""
    with store.transaction() as tx:
        intake.record(
            tx,
            NewRequest(
                phone="+4520123456",
                source=RequestSource.API,
                not_before=_local(10, 14),
                not_after=_local(10, 16),
            ),
            region="DK",
            now=MONDAY,
            rules=RULES,
        )


@pytest.mark.parametrize(
    ("language", "promise"),
    [
        (
            "en",
            "We'll call you back on 20 12 34 56. "
            "We aim to call when you're most likely to be free, on Thursday at the latest.",
        ),
        (
            "da",
            "Vi ringer dig op på 20 12 34 56. Vi regner med at ringe, når det er mest "
            "sandsynligt, at du kan tage telefonen, senest på torsdag.",
        ),
    ],
)
async def test_a_request_that_joined_an_open_one_hears_that_ones_promise(
    demo: Backends, store: SqliteStore, language: str, promise: str
) -> None:
    _open_thursday_request(store)
    d = await fx.asked_when(demo, language)
    reply = await fx.no_preference_kept(d, language)
    assert reply.action == "callback_recorded" and promise in reply.text, reply.text
    assert _stored_deadline(store) == _local(10, 16)  # one request: the open one


JOINED_WINDOW = {
    # Their window is tomorrow afternoon; the open request they joined is being dialled
    # right now: the window is kept for its next call and said back, and no first-call
    # promise is said (the next call is a retry).
    "en": ("tomorrow afternoon", "tomorrow afternoon, between twelve and five. Goodbye!"),
    "da": (
        "i morgen eftermiddag",
        "i morgen eftermiddag, mellem klokken tolv og sytten. Farvel!",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_window_for_a_request_being_dialled_is_kept_for_its_next_call(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    """Before, the window was said back but not stored (only a pending request took it),
    and the goodbye promised the open request's Thursday."""
    said, goodbye = JOINED_WINDOW[language]
    _open_thursday_request(store)
    store.execute("UPDATE callback_requests SET status = 'dialling'")
    d = await fx.asked_when(demo, language)
    reply = await d.handle(TextTurn(said))
    assert reply.action == "callback_recorded" and reply.text.endswith(goodbye), reply.text
    [row] = store.query("SELECT status, not_before, not_after FROM callback_requests")
    assert (row["status"], row["not_before"], row["not_after"]) == (
        "dialling",
        _local(8, 12),
        _local(8, 17),
    )


ANY_TIME_PROMISE = {
    # Monday 09:00: "on Sunday" has no calling hours; with no window of their own the
    # request is promised by 13:00 today, and that is what "any time" keeps.
    "en": (
        "on Sunday",
        "say any time, and we aim to call when you're most likely to be free, today at the latest.",
    ),
    "da": (
        "på søndag",
        "så regner vi med at ringe senest i dag.",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_asked_for_another_time_any_time_is_said_as_the_stored_promise(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    said, any_time = ANY_TIME_PROMISE[language]
    d = await fx.asked_when(demo, language)
    reply = await fx.asked(d, store, said, "callback_window_closed")
    assert reply.text.endswith(any_time), reply.text
    assert _stored_deadline(store) == _local(7, 13)


class _PromiseUnreadable(LocalCallbacks):
    """Records and updates as usual; the promise cannot be read back."""

    async def callback_promise(self, request_id: int) -> Promise | None:
        raise BackendError("cannot read the callback")


@pytest.mark.parametrize(
    ("kind", "rules"),
    [(LocalCallbacks, None), (_PromiseUnreadable, RULES)],
    ids=["rules-unknown", "read-fails"],
)
async def test_an_unknown_promise_keeps_the_old_words_and_the_call_goes_on(
    demo: Backends,
    store: SqliteStore,
    kind: type[LocalCallbacks],
    rules: CallingRules | None,
) -> None:
    """A back-end without the calling rules, or a failed read: the goodbye says the
    scheduler's first moment as before ("as soon as a colleague is free": Monday 09:00
    is inside the calling hours), never a promise it did not read."""
    db = AsyncStore(store)
    try:
        callbacks = kind(db, lambda: MONDAY, rules=rules)
        d = await fx.asked_when(dataclasses.replace(demo, callbacks=callbacks), "en")
        reply = await fx.no_preference_kept(d, "en")
        assert reply.action == "callback_recorded", reply.text
        assert reply.text == (
            "Thank you. We'll call you back on 20 12 34 56 as soon as a colleague is free. Goodbye!"
        )
    finally:
        db.close()
