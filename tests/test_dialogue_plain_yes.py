"""Only a plain yes acts (issue 19, item 5): the pure decision in English and Danish, and
the dialogue over the demo shop, where a mumble after "is that right?" creates no case,
SMS or callback, is asked again once with clear instructions, then takes the safe path.

No sockets: the decision is a function over data; the dialogue runs on a stand-in
classifier that reads every answer as a sure yes (as noise was read: "so yeah" ->
affirm), so only the plain-yes rule stands between a mumble and a side effect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER, seed_demo
from bot.backends.local import local_backends
from bot.dialogue import prompts
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.plain_yes import (
    Answer,
    Heard,
    Next,
    PlainAnswers,
    answer_to_proposal,
    answer_to_question,
    next_step,
    plain_answers,
)
from bot.dialogue.result import Outcome
from bot.dialogue.time_examples import examples_sentence
from bot.nlu.data import LANGUAGES, load_nlu_data, project_dir
from bot.nlu.engine import NluEngine
from bot.nlu.fallback import FallbackNlu
from bot.types import ParsedIntent
from scheduler.timing.choice import Timing, TimingConfig
from spillway.errors import NluError
from spillway.storage import AsyncStore, SqliteStore
from tests.dialogue_fixtures import NOW

FLOORS = {"min_asr_confidence": 0.37}


pytestmark = pytest.mark.usefixtures("english_after")


def _yes_to(text: str, confidence: float = 0.99) -> Heard:
    """``text`` as the classifier read it: a sure yes."""
    return Heard(text=text, intent=ParsedIntent("affirm", confidence, {}, "test", text))


def _decide(language: str, heard: Heard) -> Answer:
    return answer_to_proposal(heard, plain_answers(language), **FLOORS)


# -- the pure decision -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "yes"),
        ("en", "Yes."),
        ("en", "Yeah, that's right."),
        ("en", "yes please"),
        ("en", "That\u2019s correct"),
        ("en", "yes yes"),
        ("da", "ja"),
        ("da", "Ja tak."),
        ("da", "ja, det er rigtigt"),
        ("da", "korrekt"),
        ("da", "Præcis!"),
    ],
)
def test_a_plain_yes_is_a_yes(language: str, said: str) -> None:
    assert _decide(language, _yes_to(said)) is Answer.YES


@pytest.mark.parametrize(
    ("language", "said"),
    [
        # The noise callers of the held-out set, read by the classifier as a sure yes.
        ("en", "ah yes the"),
        ("en", "so yeah"),
        ("en", "yes and no and"),
        ("en", "uhh hmm yeah so the thing with the uh"),
        ("en", "is this thing on"),
        ("en", "can you hear me"),
        ("en", "yes but it was the other order"),
        ("en", "okay then"),
        ("en", ""),
        ("da", "øh ja altså den der"),
        ("da", "ja men det var den anden ordre"),
        ("da", "kan du høre mig"),
        ("da", "nå ja så"),
    ],
)
def test_a_mumble_or_a_yes_but_is_unclear(language: str, said: str) -> None:
    assert _decide(language, _yes_to(said)) is Answer.UNCLEAR


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_plain_yes_the_recogniser_doubted_is_unclear(language: str) -> None:
    word = "yes" if language == "en" else "ja"
    heard = _yes_to(word)
    faint = Heard(text=word, intent=heard.intent, asr_confidence=0.2)
    sure = Heard(text=word, intent=heard.intent, asr_confidence=0.8)
    assert _decide(language, faint) is Answer.UNCLEAR
    assert _decide(language, sure) is Answer.YES


@pytest.mark.parametrize(
    ("language", "said"),
    [
        # Ordinary yeses, and a yes followed only by what it agrees to, said again
        # (the Danish caller audit: a callback was never booked on these).
        ("da", "ja det er mit nummer"),
        ("da", "jamen ja, det er mit nummer"),
        ("da", "ja ring bare"),
        ("da", "ja det vil jeg gerne"),
        ("da", "ja, det passer"),
        ("da", "ja, det er det jeg vil"),
        ("da", "jamen ja"),
        ("da", "ja send det"),
        ("da", "ja, send den på sms"),
        ("da", "send den bare"),
        ("da", "jatak"),
        ("da", "jaja"),
        ("da", "nemlig"),
        ("da", "jep det er den"),
        ("en", "yes that's my number"),
        ("en", "yeah go ahead and send it"),
        ("en", "yes send it"),
        ("en", "yes that's the one"),
    ],
)
def test_a_yes_that_says_again_what_it_agrees_to_is_a_yes(language: str, said: str) -> None:
    assert _decide(language, _yes_to(said)) is Answer.YES


@pytest.mark.parametrize(
    ("language", "said"),
    [
        # A yes with a correction, a no or anything else never counts, nor does a
        # restatement without a yes (a statement, not agreement).
        ("da", "ja men det er den forkerte"),
        ("da", "ja nej"),
        ("da", "ja, men ikke i dag"),
        ("da", "ja det er ikke mit nummer"),
        ("da", "ja det er mit nummer men ring i morgen"),
        ("da", "det er mit nummer"),
        ("da", "send det til min mand"),
        ("en", "yes but that's the wrong one"),
        ("en", "yes no"),
        ("en", "yes but not today"),
        ("en", "yes that's my number but not today"),
        ("en", "that's my number"),
    ],
)
def test_a_yes_carrying_more_is_unclear(language: str, said: str) -> None:
    assert _decide(language, _yes_to(said)) is not Answer.YES


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_packs_classifier_lets_the_restated_yes_through(language: str) -> None:
    # The classifier may veto a plain yes it reads as another request: the ordinary
    # yeses of the audit must be read as a yes (the pack's affirm examples).
    said = {
        "da": ("ja det er mit nummer", "ja ring bare", "ja send det", "jep det er den"),
        "en": ("yes that's my number", "yeah go ahead and send it", "yes send it"),
    }[language]
    nlu = NluEngine(FallbackNlu.train(load_nlu_data(project_dir(language)), language=language))
    for text in said:
        heard = Heard(text=text, intent=await nlu.parse(text))
        assert _decide(language, heard) is Answer.YES, (text, heard.intent)


async def test_a_murmured_yes_confirms_a_look_up_only() -> None:
    # "mm" to "is that order 10042?" is a yes (nothing is done on it but a look-up);
    # before a case, an SMS or a callback it is asked again.
    nlu = NluEngine(FallbackNlu.train(load_nlu_data(project_dir("da")), language="da"))
    heard = Heard(text="mm", intent=await nlu.parse("mm"))
    floors = {"min_asr_confidence": 0.37, "min_yes_confidence": 0.9}
    assert answer_to_question(heard, plain_answers("da"), **floors) is Answer.YES
    assert _decide("da", heard) is Answer.UNCLEAR


def test_a_plain_yes_the_classifier_reads_as_a_request_is_unclear() -> None:
    not_a_yes = Heard(text="yes", intent=ParsedIntent("complaint", 0.99, {}, "test", "yes"))
    assert _decide("en", not_a_yes) is Answer.UNCLEAR


@pytest.mark.parametrize(
    ("language", "said", "intent", "confidence"),
    [
        # The words decide: a listed answer the classifier was unsure of, or read as a
        # goodbye (a thanks), is still the caller's yes to an offer.
        ("en", "ok", "affirm", 0.88),
        ("en", "ok thanks", "goodbye", 0.81),
        ("en", "thank you", "goodbye", 0.84),
        ("en", "yeah sure", "affirm", 0.99),
        ("en", "I guess", "out_of_scope", 0.0),
        ("en", "go ahead", "affirm", 0.97),
        ("en", "please do", "affirm", 0.97),
        ("da", "tak", "goodbye", 0.99),
        ("da", "okay tak", "goodbye", 0.96),
        ("da", "Ja tak", "affirm", 0.94),
        ("da", "okay", "affirm", 0.47),
        ("da", "det må du gerne", "affirm", 0.86),
        ("da", "fint", "affirm", 0.99),
    ],
)
def test_a_thanks_or_a_plain_ok_is_a_yes(
    language: str, said: str, intent: str, confidence: float
) -> None:
    heard = Heard(text=said, intent=ParsedIntent(intent, confidence, {}, "test", said))
    assert _decide(language, heard) is Answer.YES


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "don't"), ("en", "no thanks"), ("da", "nej ellers tak"), ("da", "lad være")],
)
def test_a_plain_no_declines_whatever_the_classifier_made_of_it(language: str, said: str) -> None:
    heard = Heard(text=said, intent=ParsedIntent("goodbye", 0.9, {}, "test", said))
    assert _decide(language, heard) is Answer.NO


def test_a_question_without_side_effect_also_takes_the_classifiers_sure_yes() -> None:
    answers, sure = plain_answers("en"), _yes_to("yes it's that one")
    assert _decide("en", sure) is Answer.UNCLEAR  # no plain yes: nothing is done on it
    floors = {"min_asr_confidence": 0.37, "min_yes_confidence": 0.9}
    assert answer_to_question(sure, answers, **floors) is Answer.YES
    doubted = _yes_to("yes it's that one", confidence=0.6)
    assert answer_to_question(doubted, answers, **floors) is Answer.UNCLEAR
    thanks = Heard(text="ok thanks", intent=ParsedIntent("goodbye", 0.8, {}, "test", "ok"))
    assert answer_to_question(thanks, answers, **floors) is Answer.YES


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "no", "out_of_scope"),  # a plain no, whatever the classifier made of it
        ("en", "nope not right", "deny"),  # the classifier's no
        ("da", "nej tak", "out_of_scope"),
        ("da", "nej det var ikke det", "deny"),
    ],
)
def test_a_no_is_a_no(language: str, said: str, intent: str) -> None:
    heard = Heard(text=said, intent=ParsedIntent(intent, 0.6, {}, "test", said))
    assert _decide(language, heard) is Answer.NO


def test_keys_settle_it_whatever_the_words() -> None:
    answers = plain_answers("en")
    assert answer_to_proposal(Heard(digits="1"), answers, **FLOORS) is Answer.YES
    assert answer_to_proposal(Heard(digits="2"), answers, **FLOORS) is Answer.NO
    assert answer_to_proposal(Heard(digits="7"), answers, **FLOORS) is Answer.UNCLEAR


def test_unclear_is_asked_again_once_then_the_safe_path() -> None:
    assert next_step(Answer.UNCLEAR, 0) is Next.ASK_AGAIN
    assert next_step(Answer.UNCLEAR, 1) is Next.SAFE_PATH
    assert next_step(Answer.YES, 1) is Next.ACT
    assert next_step(Answer.NO, 1) is Next.DECLINE


def test_an_empty_list_names_its_key() -> None:
    with pytest.raises(NluError, match=r"answers\.plain_yes"):
        PlainAnswers.from_lists([], ["no"])


# -- the packs: the same rule in every language -----------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_plain_answer_is_one_to_the_packs_classifier(language: str) -> None:
    # The list and the classifier agree: a plain yes is a sure yes, a plain no a no,
    # so that a caller's "ja tak" is never asked again for the classifier's doubt.
    nlu = NluEngine(FallbackNlu.train(load_nlu_data(project_dir(language)), language=language))
    answers = plain_answers(language)
    assert len(answers.yes_phrases) >= 5 and len(answers.no_phrases) >= 3
    for answer, phrases in ((Answer.YES, answers.yes_phrases), (Answer.NO, answers.no_phrases)):
        for phrase in phrases:
            parsed = await nlu.parse(phrase)
            heard = Heard(text=phrase, intent=parsed)
            assert _decide(language, heard) is answer, (language, phrase, parsed)


# -- the dialogue: a mumble after "is that right?" has no side effect -----------------


class _AlwaysYes:
    """Every answer a sure yes, and the first line a complaint or a callback request:
    the classifier as it was on the noise that made a case and a callback."""

    def __init__(self, first: str) -> None:
        self.first = first

    async def parse(self, text: str) -> ParsedIntent:
        name, self.first = self.first or "affirm", ""
        return ParsedIntent(name, 0.99, {}, "test", text)


def _side_effects(store: SqliteStore) -> tuple[int, int, int]:
    return (
        len(store.query("SELECT case_id FROM cases")),
        len(store.query("SELECT id FROM sms_outbox")),
        len(store.query("SELECT id FROM callback_requests")),
    )


async def _call(backends: Backends, first: str, language: str, *said: str) -> Dialogue:
    d = Dialogue(
        _AlwaysYes(first),
        backends,
        DialogueConfig(language=language),
        caller_id=DEMO_CALLER,
        call_id="py1",
        clock=lambda: NOW,
    )
    await d.start()
    for line in said:
        await d.handle(TextTurn(line))
    return d


MUMBLES = {
    "en": ("is this thing on", "so yeah", "ah yes the"),
    "da": ("hallo er der nogen", "nå ja så", "øh ja altså den der"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("first", ["complaint", "callback_request"])
async def test_a_mumble_after_is_that_right_creates_nothing(
    demo: Backends, store: SqliteStore, language: str, first: str
) -> None:
    opening, *mumbles = MUMBLES[language]
    d = await _call(demo, first, language, opening, mumbles[0])
    [asked, again] = [t.reply for t in d.turns]
    assert asked.action.startswith("confirm_") and again.action == "yes_unsure"
    # Clear instructions: say yes or no, or press a key.
    assert again.text == prompts.say("yes_unsure")
    assert "1" in again.text and "2" in again.text
    assert _side_effects(store) == (0, 0, 0)
    # A second mumble: the safe path. Nothing done, a colleague told to take over.
    reply = await d.handle(TextTurn(mumbles[1]))
    assert reply.action == "transfer_unclear" and reply.transfer
    assert reply.text == prompts.say("yes_unclear_transfer")
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert d.case_id is None and d.callback_id is None and d.sms == []
    assert _side_effects(store) == (0, 0, 0)


@pytest.mark.parametrize(("language", "yes"), [("en", "yes please"), ("da", "ja tak")])
async def test_a_plain_yes_after_the_re_ask_acts(
    demo: Backends, store: SqliteStore, language: str, yes: str
) -> None:
    d = await _call(demo, "complaint", language, MUMBLES[language][0], "uh", yes)
    assert [t.reply.action for t in d.turns] == [
        "confirm_complaint",
        "yes_unsure",
        "complaint_case",
    ]
    assert _side_effects(store)[:2] == (1, 1)


async def test_key_1_after_the_re_ask_acts(demo: Backends, store: SqliteStore) -> None:
    d = await _call(demo, "callback_request", "en", "can someone ring me", "so yeah")
    assert (await d.handle(Dtmf("1"))).action == "callback_confirm"
    assert _side_effects(store) == (0, 0, 1)


async def test_a_mumble_after_the_tracking_sms_offer_reads_it_out(
    demo: Backends, store: SqliteStore
) -> None:
    # "honey where are my keys" made Rasa send a tracking SMS: the noise after the
    # offer was a yes. Now the number is read out and nothing is sent.
    d = await _call(demo, "order_status", "en", "where is my parcel")
    reply = await d.handle(Dtmf("10042#"))
    assert reply.action == "confirm_order_number"
    assert (await d.handle(TextTurn("yes"))).action == "order_status"
    assert (await d.handle(TextTurn("honey where are my keys"))).action == "yes_unsure"
    reply = await d.handle(TextTurn("shh the baby is sleeping"))
    assert reply.action == "tracking_read" and not reply.transfer
    assert reply.text.startswith(prompts.say("yes_unclear_read"))
    assert "Is there anything else" in reply.text
    assert _side_effects(store) == (0, 0, 0)


async def test_a_mumble_after_the_return_label_offer_sends_nothing(
    demo: Backends, store: SqliteStore
) -> None:
    d = await _call(demo, "return_item", "en", "i want to return the boots")
    assert d.turns[-1].reply.action == "offer_order"
    assert (await d.handle(TextTurn("yes"))).action == "return_eligible"
    assert (await d.handle(TextTurn("so yeah"))).action == "yes_unsure"
    assert (await d.handle(TextTurn("ah yes the"))).action == "transfer_unclear"
    assert _side_effects(store) == (0, 0, 0)


# -- switching an open callback to a plain one is a side effect too -----------------

PLAIN_ASKED = {"en": ("can someone ring me", "a plain callback please"),
               "da": ("kan nogen ringe mig op", "bare et almindeligt opkald tak")}  # fmt: skip


@pytest_asyncio.fixture
async def timed(store: SqliteStore) -> AsyncIterator[Backends]:
    """The demo shop where the bot's callbacks are timed by the model (so the caller may
    ask for a plain one instead)."""
    seed_demo(store, NOW)
    db = AsyncStore(store)
    yield local_backends(db, clock=lambda: NOW, timing=TimingConfig(policy=Timing.PREDICTED))
    db.close()


def _timing(store: SqliteStore) -> str:
    [row] = store.query("SELECT timing FROM callback_requests")
    return str(row["timing"])


async def _plain_asked(backends: Backends, language: str) -> Dialogue:
    asked, plain = PLAIN_ASKED[language]
    d = await _call(backends, "callback_request", language, asked)
    await d.handle(Dtmf("1"))  # yes to the callback on the caller's number
    assert (await d.handle(TextTurn(plain))).action == "callback_plain_confirm"
    return d


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_mumble_never_makes_a_callback_plain(
    timed: Backends, store: SqliteStore, language: str
) -> None:
    # The classifier reads "so yeah" as a sure yes; the request must stay timed by the model.
    d = await _plain_asked(timed, language)
    assert _timing(store) == "predicted"
    _, *mumbles = MUMBLES[language]
    again = await d.handle(TextTurn(mumbles[0]))
    assert again.action == "yes_unsure" and again.text == prompts.say("yes_unsure")
    assert _timing(store) == "predicted"
    # Unclear twice: the safe path. The request stays as it was, and the caller hears so,
    # and when they will be called.
    reply = await d.handle(TextTurn(mumbles[1]))
    assert reply.action == "callback_recorded" and reply.end_call
    assert reply.text.startswith(prompts.say("yes_unclear_keep"))
    assert _timing(store) == "predicted"
    assert d.result is not None and d.result.outcome is Outcome.CALLBACK


@pytest.mark.parametrize(("language", "yes"), [("en", "yes that's right"), ("da", "ja tak")])
async def test_a_plain_yes_makes_the_callback_plain(
    timed: Backends, store: SqliteStore, language: str, yes: str
) -> None:
    d = await _plain_asked(timed, language)
    assert (await d.handle(TextTurn(MUMBLES[language][1]))).action == "yes_unsure"
    reply = await d.handle(TextTurn(yes))
    assert reply.action == "callback_recorded"
    assert not reply.text.startswith(prompts.say("yes_unclear_keep"))
    assert _timing(store) == "conventional"


@pytest.mark.parametrize(
    ("answer", "timing"),
    [(Dtmf("1"), "conventional"), (Dtmf("2"), "predicted"), (TextTurn("no thanks"), "predicted")],
)
async def test_key_1_makes_the_callback_plain_and_a_no_keeps_it(
    timed: Backends, store: SqliteStore, answer: Dtmf | TextTurn, timing: str
) -> None:
    d = await _plain_asked(timed, "en")
    reply = await d.handle(answer)
    assert reply.action == "callback_recorded"
    assert not reply.text.startswith(prompts.say("yes_unclear_keep"))
    assert _timing(store) == timing


# -- "when suits you?": a filler read as a yes ends nothing ---------------------------

FILLERS = {"en": ("hmm", "hm", "um", "mm"), "da": ("øh", "hmm", "øhm", "mm")}
CLOCK = {"en": "14", "da": "klokken 14"}


def _window(store: SqliteStore) -> tuple[object, object]:
    [row] = store.query("SELECT not_before, not_after FROM callback_requests")
    return row["not_before"], row["not_after"]


def _asks_when(key: str, d: Dialogue) -> str:
    """``key``'s question with the examples the rules allow at NOW (the Danish caller's
    zone): bot.dialogue.time_examples."""
    rules, language = d.config.calling_rules, d.config.language
    return prompts.say(key, examples=examples_sentence(NOW, rules, "Europe/Copenhagen", language))


async def _asked_when(backends: Backends, language: str) -> Dialogue:
    """A callback on the caller's number, confirmed with key 1: "when suits you best?"."""
    d = await _call(backends, "callback_request", language, PLAIN_ASKED[language][0])
    assert (await d.handle(Dtmf("1"))).action == "callback_confirm"
    return d


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("which", range(4))
async def test_a_filler_to_when_suits_you_is_asked_again(
    demo: Backends, store: SqliteStore, language: str, which: int
) -> None:
    # The classifier reads the filler as a sure yes (as the English fallback read
    # "hmm" and "mm"); it must not end the call nor settle the request.
    d = await _asked_when(demo, language)
    reply = await d.handle(TextTurn(FILLERS[language][which]))
    assert reply.action == "callback_when_unclear" and not reply.end_call and not d.ended
    assert reply.text == _asks_when("callback_when_unclear", d)  # says what to answer
    assert _window(store) == (None, None)
    # A time after the re-ask is kept.
    reply = await d.handle(TextTurn(CLOCK[language]))
    assert reply.action == "callback_check_when"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_filler_after_the_time_read_back_keeps_nothing_until_a_plain_yes(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await _asked_when(demo, language)
    assert (await d.handle(TextTurn(CLOCK[language]))).action == "callback_check_when"
    reply = await d.handle(TextTurn(FILLERS[language][0]))
    assert reply.action == "callback_check_unclear" and not d.ended
    assert "1" in reply.text and "2" in reply.text  # the keys, as well as the words
    assert _window(store) == (None, None)
    reply = await d.handle(TextTurn(plain_answers(language).yes_phrases[-1]))
    assert reply.action == "callback_recorded" and reply.end_call
    assert _window(store)[0] is not None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_two_fillers_after_the_time_read_back_pick_no_time(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    d = await _asked_when(demo, language)
    await d.handle(TextTurn(CLOCK[language]))
    await d.handle(TextTurn(FILLERS[language][0]))
    reply = await d.handle(TextTurn(FILLERS[language][1]))
    assert reply.action == "callback_recorded"
    assert reply.text.startswith(prompts.say("callback_when_kept"))
    assert _window(store) == (None, None)


ASKED_WITH_WINDOW = {"en": "can someone ring me this afternoon",
                     "da": "kan nogen ringe mig op i eftermiddag"}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_filler_after_the_number_and_window_read_back_is_asked_about_them(
    demo: Backends, store: SqliteStore, language: str
) -> None:
    # "We'll call you back on X this afternoon. Is that right?": the caller named the
    # window, so a filler gets that question again with its keys, not "which time?".
    # No caller id: the caller types their number, their own yes to it.
    d = Dialogue(_AlwaysYes("callback_request"), demo, DialogueConfig(language=language),
                 caller_id=None, call_id="py2", clock=lambda: NOW)  # fmt: skip
    await d.start()
    assert (await d.handle(TextTurn(ASKED_WITH_WINDOW[language]))).action == "ask_phone"
    asked = await d.handle(Dtmf(DEMO_CALLER.removeprefix("+45")))
    assert asked.action == "callback_confirm" and "?" in asked.text
    reply = await d.handle(TextTurn(FILLERS[language][0]))
    assert reply.action == "callback_check_unclear" and not d.ended
    assert "1" in reply.text and "2" in reply.text
    window = _window(store)
    assert window[0] is not None  # the caller's own window, recorded with the request
    reply = await d.handle(TextTurn(FILLERS[language][1]))
    assert reply.action == "callback_recorded" and reply.end_call
    assert reply.text.startswith(prompts.say("yes_unclear_keep"))
    assert _window(store) == window  # kept as the caller named it


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["no", "key 2"])
async def test_a_no_to_the_number_and_window_read_back_asks_for_another_time(
    demo: Backends, store: SqliteStore, language: str, answer: str
) -> None:
    # The question says a wrong number is typed, so a no is about the time: the caller
    # is asked for another, not made to type the number they just typed.
    d = Dialogue(_AlwaysYes("callback_request"), demo, DialogueConfig(language=language),
                 caller_id=None, call_id="py3", clock=lambda: NOW)  # fmt: skip
    await d.start()
    await d.handle(TextTurn(ASKED_WITH_WINDOW[language]))
    await d.handle(Dtmf(DEMO_CALLER.removeprefix("+45")))
    no = Dtmf("2") if answer == "key 2" else TextTurn(plain_answers(language).no_phrases[0])
    reply = await d.handle(no)
    assert reply.action == "callback_ask_when" and not d.ended
    assert reply.text == _asks_when("callback_when_again", d)
    reply = await d.handle(TextTurn(CLOCK[language]))
    assert reply.action == "callback_check_when"
