"""`gdpr export --format text`: the export as a letter the shop can hand the customer.

A Danish admin's complaint: the JSON export gave English keys and codes (``"status":
"pending"``, ``"source": "csv"``), nothing a Danish customer can read. The letter is a
plain function of the export (no database here): each thing held said in the shop's
language, why it is held, for how long, and the customer's right to erasure.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.subject_access import SubjectExport
from scheduler.subject_letter import subject_letter
from scheduler.timing.explain import Explanation
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.personal_data import PERSONAL_DATA
from spillway.settings import Settings

ZONE = "Europe/Copenhagen"
PHONE = "+4531223344"


def _at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(ZONE)).timestamp()


def _mette() -> tuple[dict[str, list[dict]], Explanation]:
    """Mette's rows: a call with a transcript, a callback request from a CSV file still
    pending after one unanswered attempt, a web visit; the request's explanation."""
    tables: dict[str, list[dict]] = {t.name: [] for t in PERSONAL_DATA}
    tables["calls"] = [{"call_id": "c1", "caller": PHONE, "started_at": _at(3, 14, 5)}]
    tables["transcript_turns"] = [
        {
            "call_id": "c1",
            "at": _at(3, 14, 5),
            "speaker": "caller",
            "text": "Min vase er i stykker",
        },
        {"call_id": "c1", "at": _at(3, 14, 6), "speaker": "bot", "text": "Det er jeg ked af"},
    ]
    tables["callback_requests"] = [
        {
            "id": 7,
            "phone": PHONE,
            "name": "Mette",
            "reason": "csv_import",
            "source": "csv",
            "status": "pending",
            "created_at": _at(4, 8, 30),
            "not_before": None,
            "not_after": None,
            "consent": 1,
            "traditional": 0,
        }
    ]
    tables["callback_attempts"] = [
        {"request_id": 7, "attempt_no": 1, "started_at": _at(5, 10), "outcome": "no_answer"}
    ]
    tables["customer_signals"] = [
        {"event_id": "e1", "phone": PHONE, "kind": "web_visit", "at": _at(4, 19, 45)}
    ]
    why = Explanation(
        request_id=7,
        timezone=ZONE,
        status="pending",
        policy="conventional",
        planned_at=None,
        plan_pick_share=None,
        plan_reason=None,
        deadline_at=_at(7, 9),
        expires_at=_at(10, 9),
        factors=[],
        promised_by=_at(7, 9),
        window_end=None,
    )
    return tables, why


# The promised moment as each language writes a date in a sentence, and a signal's words.
SAID = {
    "en": ("7 December 2026 at 09:00", "web visits"),
    "da": ("7. december 2026 kl. 09.00", "besøg på hjemmesiden"),
}


@pytest.mark.parametrize("language", sorted(SAID))
def test_the_letter_says_each_thing_held_in_words(language: str) -> None:
    promised, signal = SAID[language]
    tables, why = _mette()
    settings = Settings(shop={"language": language, "name": "Vaser & Co"})
    found = SubjectExport(PHONE, _at(5, 22), tables, [why], zone=ZONE, language=language)
    letter = subject_letter(found, settings)
    text, pack = load_console_text(language), load_pack(language)
    # The request: its status and source in the pack's words, the promise and last call.
    assert text("dp.letter.status", status=text("status.pending")) in letter
    assert text("dp.letter.came_from", source=text("dp.letter.source.csv")) in letter
    assert text("request_reason.csv_import") in letter
    assert text("dp.letter.consent") in letter  # the yes the CSV recorded
    assert text("dp.letter.traditional") not in letter
    assert promised in letter
    # A CSV row: nobody told Mette the deadline, so the letter says the aim, no promise.
    assert text("dp.letter.aimed", when=promised) in letter
    assert text("dp.letter.promised", when=promised) not in letter
    assert text("dp.letter.given_up", when=promised.replace("7", "10", 1)) in letter
    # The attempt, its outcome in words; the transcript, who said what; the signal.
    assert text("attempt.no_answer") in letter
    assert text("dp.letter.turn", who=text("dp.letter.you"), text="Min vase er i stykker") in letter
    assert f"{signal}: " in letter
    # Why and for how long, for each kind held and only those; the right to erasure.
    held = [name for name, rows in tables.items() if rows]
    for name in held:
        assert pack.say(f"purpose_{name}") in letter
    assert pack.say("purpose_do_not_call") not in letter
    assert text.count("count.months", settings.gdpr.call_times_months) in letter
    assert text("dp.letter.right_erasure") in letter
    assert text("dp.letter.ask", shop="Vaser & Co") in letter
    assert PHONE in letter


def test_the_danish_letter_holds_no_stored_codes() -> None:
    """What the admin could not hand a customer: codes and the database's names."""
    tables, why = _mette()
    found = SubjectExport(PHONE, _at(5, 22), tables, [why], zone=ZONE, language="da")
    letter = subject_letter(found, Settings(shop={"language": "da"}))
    for code in (
        "pending",
        "csv",
        "no_answer",
        "web_visit",
        "caller",
        "callback_requests",
        "transcript_turns",
        "_at",
        "2026-12",
    ):
        assert code not in letter, code
    assert "Status: venter" in letter and "intet svar" in letter


def test_a_code_the_pack_does_not_know_is_said_as_stored() -> None:
    """A status added later is not dropped or guessed at: it is shown, marked as stored."""
    tables, _ = _mette()
    tables["callback_requests"][0]["status"] = "paused"
    found = SubjectExport(PHONE, _at(5, 22), tables, [], zone=ZONE, language="da")
    letter = subject_letter(found, Settings(shop={"language": "da"}))
    assert "Status: paused (som det er gemt)" in letter


def test_nothing_held_says_so() -> None:
    found = SubjectExport(PHONE, _at(5, 22), {}, [], zone=ZONE, language="da")
    letter = subject_letter(found, Settings(shop={"language": "da"}))
    assert load_console_text("da")("dp.letter.nothing") in letter
    assert "Dine rettigheder" in letter


@pytest.mark.parametrize(
    ("language", "asked"),
    [
        ("en", "To ask, contact Vaser & Co at privacy@vaser.dk, 70 20 30 40 and give"),
        ("da", "Kontakt Vaser & Co på privacy@vaser.dk, 70 20 30 40, og oplys"),
    ],
)
def test_the_letter_says_whom_to_contact_as_the_admin_wrote_it(language: str, asked: str) -> None:
    """A Danish admin's complaint: the customer was told to contact the shop by its name
    alone, with no address or number. ``gdpr.contact`` is said as written, in the letter's
    language; unset, the shop by its name as before."""
    tables, why = _mette()
    found = SubjectExport(PHONE, _at(5, 22), tables, [why], zone=ZONE, language=language)
    shop = {"language": language, "name": "Vaser & Co"}
    contact = {"contact": "  privacy@vaser.dk, 70 20 30 40 "}
    letter = subject_letter(found, Settings(shop=shop, gdpr=contact))
    assert asked in letter, letter
    plain = subject_letter(found, Settings(shop=shop))
    assert "privacy@vaser.dk" not in plain
    assert load_console_text(language)("dp.letter.ask", shop="Vaser & Co") in plain
