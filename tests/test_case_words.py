"""A case id is said in the caller's language, and kept as it is everywhere else.

"Tak. Jeg har oprettet sag CASE-1": a Danish caller heard the id's English letters
("C A S E"). Now the pack says it ("sag nummer 1", "case number 1":
``case_number``), an id of another shape is spelled (``case_reference``), and the
id stored, handed to the colleague and in the SMS's link stays "CASE-1"; the SMS's
words write it as the pack does ("sag nr. 1": ``case_number_written``; the Danish audit
found "sag CASE-1"). The pure wording in both packs, then a Danish complaint over the
demo shop.
"""

from __future__ import annotations

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue import prompts
from bot.dialogue.inputs import Dtmf, TextTurn
from bot.dialogue.machine import Dialogue, DialogueConfig
from bot.dialogue.phrasing import case_text, case_written
from bot.dialogue.result import Outcome
from tests.dialogue_fixtures import NOW, fallback_nlu

pytestmark = pytest.mark.usefixtures("english_after")


@pytest.mark.parametrize(
    ("language", "case_id", "said"),
    [
        ("en", "CASE-1", "case number 1"),
        ("da", "CASE-1", "sag nummer 1"),
        ("da", "CASE-4711", "sag nummer 4711"),
        ("da", "4711", "sag nummer 4711"),
        ("en", "case 12", "case number 12"),
        # A long running number, or one with a leading zero, digit by digit (as an order
        # number is read), so that no digit is lost to "forty-two".
        ("da", "CASE-0042", "sag nummer 0 0 4 2"),
        ("en", "CASE-1234567", "case number 1 2 3 4, 5 6 7"),
        # A shop's own id of another shape is spelled, never read as a word.
        ("da", "ZD-47A", "sag Z D 4 7 A"),
        ("en", "ZD-47A", "case Z D 4 7 A"),
    ],
)
def test_a_case_id_is_said_in_the_packs_words(language: str, case_id: str, said: str) -> None:
    prompts.use_language(language)
    assert case_text(case_id) == said


@pytest.mark.parametrize(
    ("language", "case_id", "written"),
    [
        ("en", "CASE-1", "case no. 1"),
        ("da", "CASE-1", "sag nr. 1"),
        ("da", "CASE-0042", "sag nr. 0042"),
        # A shop's own id of another shape is written as it is: it is what they look up.
        ("da", "ZD-47A", "sag ZD-47A"),
        ("en", " ZD-47A ", "case ZD-47A"),
    ],
)
def test_a_case_id_is_written_in_the_packs_words(language: str, case_id: str, written: str) -> None:
    prompts.use_language(language)
    assert case_written(case_id) == written


async def test_a_danish_caller_hears_the_case_number_in_danish(demo: Backends) -> None:
    d = Dialogue(
        fallback_nlu("da"),
        demo,
        DialogueConfig(language="da"),
        caller_id=DEMO_CALLER,
        call_id="case-da",
        clock=lambda: NOW,
    )
    await d.start()
    await d.handle(TextTurn("min vase kom i stykker"))
    reply = await d.handle(Dtmf("1"))
    assert reply.action == "complaint_case", reply.text
    assert "Jeg har oprettet sag nummer 1 " in reply.text, reply.text
    assert "som kan se sag nummer 1." in reply.text and "CASE" not in reply.text, reply.text
    # The id itself is unchanged: stored, handed over, and in the SMS's link; the SMS's
    # words say the number as Danish does ("sag nr. 1", not "sag CASE-1").
    assert d.result is not None and d.result.outcome is Outcome.HANDOFF
    assert d.result.case_id == "CASE-1"
    assert [sms.body for sms in d.sms] and all(
        "billeder til sag nr. 1 her: " in s.body and "/CASE-1/" in s.body for s in d.sms
    ), d.sms
