"""Hand-over and callback reasons in plain words (web/reason_words.py), in both languages:
the bot's codes and phrases ("too many turns", "bot error: TimeoutError", "media idle",
"transfer_order_not_found"), the intake's ("queue overflow", "csv import", an intent's
name), with what a code carries beyond the words kept beside them, and the stored value
in the tooltip; a shop's own text as written."""

from __future__ import annotations

import re

import pytest

from scheduler.simulation.label import SimulationLabel, read_label
from scheduler.simulation.simulator import PolicyName
from scheduler.timing.plan_reason import retry
from spillway.console_text import load_console_text
from spillway.language_pack import available_languages
from spillway.offer_reason import STORED, OfferReason, OfferWhy, read_stored
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.reason_words import handoff_words, request_words

# What the bot and the menu store today (bot/voice_bot.py, bot/dialogue, agi/menu_bot.py).
HANDOFF_CODES = [
    "transfer",
    "transfer_upset",
    "transfer_unclear",
    "transfer_no_match",
    "transfer_no_input",
    "transfer_out_of_scope",
    "transfer_order_not_found",
    "transfer_product_not_found",
    "complaint_case",
    "backend_error",
    "too many turns",
    "caller hung up",
    "pressed 0",
    "echo ended",
    "media error",
    "media idle",
    "media flood",
]


@pytest.mark.parametrize("code", available_languages())
def test_every_stored_hand_over_code_has_words_and_no_detail(code: str) -> None:
    text = load_console_text(code)
    for stored in HANDOFF_CODES:
        said = handoff_words(text, stored)
        assert said.words and said.detail == "" and said.stored == stored, stored
        assert said.words != stored, stored


@pytest.mark.parametrize(
    ("stored", "da", "en", "detail"),
    [
        ("bot error: TimeoutError", "fejl i botten", "the bot failed", "TimeoutError"),
        ("media ended", "lyden i opkaldet svigtede", "the call's audio failed", "ended"),
        (
            "transfer_size_not_found",
            "botten kom ikke videre",
            "the bot got no further",
            "size_not_found",
        ),
        ("low confidence", "anden årsag", "another reason", "low confidence"),
        (None, "ingen årsag gemt", "no reason recorded", ""),
        ("unknown", "ingen årsag gemt", "no reason recorded", ""),
    ],
)
def test_a_code_s_detail_stays_beside_the_words(
    stored: str | None, da: str, en: str, detail: str
) -> None:
    for code, words in (("da", da), ("en", en)):
        said = handoff_words(load_console_text(code), stored)
        assert (said.words, said.detail) == (words, detail)


@pytest.mark.parametrize(
    ("stored", "da", "en"),
    [
        ("offer: pressed 2", "kunden trykkede på 2", "the caller pressed 2"),
        (
            "offer: pressed (nothing)",
            "kunden trykkede ikke på nogen tast",
            "the caller pressed no key",
        ),
        (
            "offer: not understood (order_status)",
            "botten forstod ikke svaret (opfattet som: ordrestatus)",
            "the bot did not understand the answer (taken as: order status)",
        ),
        (
            "offer: said they will keep waiting",
            "kunden ville hellere vente i køen",
            "the caller said they would keep waiting",
        ),
    ],
)
def test_a_caller_back_in_the_queue_from_the_offer_is_said_in_words(
    stored: str, da: str, en: str
) -> None:
    """The call page showed "another reason (offer: pressed 2)"; the agent's summary
    already said it in words (spillway/offer_reason.py)."""
    for code, detail, words in (
        ("da", da, "gik tilbage i køen fra tilbuddet"),
        ("en", en, "went back to the queue from the offer"),
    ):
        said = handoff_words(load_console_text(code), stored)
        assert (said.words, said.detail, said.stored) == (words, detail, stored)


def test_every_offer_code_reads_back_as_the_reason_it_was_stored_from() -> None:
    for why in OfferWhy:
        reason = OfferReason(why, "2" if "{detail}" in STORED[why] else "")
        assert read_stored(reason.stored) == reason
    assert read_stored("pressed 0 for a person") == OfferReason(OfferWhy.PRESSED, "0 for a person")
    assert read_stored("low confidence") is None


@pytest.mark.parametrize(
    ("stored", "da", "en"),
    [
        (
            "queue overflow",
            "kunden valgte tilbagekald i tastemenuen efter at have ventet i kø",
            "the caller chose a callback in the keypad menu while waiting in the queue",
        ),
        ("csv import", "importeret fra en CSV-fil", "imported from a CSV file"),
        ("web form", "bestilt i en webformular", "asked for in a web form"),
        ("order_status", "ordrestatus", "order status"),
        ("callback_request", "vil ringes op", "callback request"),
        ("Ring om faktura 1234", "Ring om faktura 1234", "Ring om faktura 1234"),
        ("", "", ""),
    ],
)
def test_a_callback_s_reason_in_words_or_as_the_shop_wrote_it(
    stored: str, da: str, en: str
) -> None:
    assert request_words(load_console_text("da"), stored).words == da
    assert request_words(load_console_text("en"), stored).words == en


@pytest.mark.parametrize(
    ("label", "da", "en"),
    [
        (
            SimulationLabel("b2b_monday_meetings.yaml", "pilot", 7),
            "simuleret (verden: b2b_monday_meetings.yaml, planlægning: pilot, kørsel nr. 7)",
            "simulated: world b2b_monday_meetings.yaml, policy pilot, seed 7",
        ),
        (
            SimulationLabel("pilot_month.yaml", "traditional", 3, demo=True),
            "simuleret til demoen (verden: pilot_month.yaml, planlægning: konventionel, "
            "kørsel nr. 3)",
            "simulated for the demo: world pilot_month.yaml, policy conventional, seed 3",
        ),
    ],
)
def test_a_simulated_request_s_reason_is_said_in_the_console_s_language(
    label: SimulationLabel, da: str, en: str
) -> None:
    """`simulate --store` stores its label in English; a Danish console read it so."""
    stored = label.stored()
    assert read_label(stored) == label
    danish = request_words(load_console_text("da"), stored)
    assert (danish.words, danish.stored) == (da, stored)
    assert request_words(load_console_text("en"), stored).words == en


@pytest.mark.parametrize("policy", list(PolicyName))
def test_every_simulated_policy_has_words_in_every_pack(policy: PolicyName) -> None:
    stored = SimulationLabel("w.yaml", policy.value, 1).stored()
    for language in available_languages():
        text = load_console_text(language)
        assert f"simulated_reason.policy.{policy.value}" in text.strings
        assert text(f"simulated_reason.policy.{policy.value}") in request_words(text, stored).words


@pytest.mark.parametrize("stored", ["Simulated", "simulated: a shop's own note", "simulated"])
def test_a_shop_s_text_that_only_looks_simulated_is_shown_as_written(stored: str) -> None:
    assert read_label(stored) is None
    assert request_words(load_console_text("da"), stored).words == stored


def _shown(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_danish_pages_say_the_hand_over_and_callback_reasons_in_words(
    console_db: AsyncStore, store: SqliteStore
) -> None:
    """c3 handed over with the bot's "too many turns", c4 with an old free text; request 3
    came from the keypad menu ("queue overflow")."""
    store.execute(
        "UPDATE call_events SET data = replace(data, 'caller asked for a person', 'too many turns')"
    )
    store.execute("UPDATE callback_requests SET reason = 'queue overflow' WHERE id = 3")
    paths = ["/?window=30d", "/calls", "/calls/c3", "/calls/c4", "/requests", "/requests/3"]
    pages = await console_pages(console_settings("da"), console_db, paths)
    reasons = _shown(pages["/?window=30d"].split("Årsager til viderestilling</h3>")[1])
    reasons = reasons.split("Henvendelsestyper")[0]
    assert "samtalen blev for lang: 1" in reasons and "too many turns" not in reasons
    # The old free text: "another reason", the stored words kept beside them.
    assert "anden årsag (low confidence): 1" in reasons, reasons
    assert (
        '<span class="reason" title="too many turns">samtalen blev for lang</span>'
        in (pages["/calls"])
    )
    assert (
        '<dd id="handoff-reason"><span class="reason" title="too many turns">'
        in (pages["/calls/c3"])
    )
    assert "Årsag til viderestilling</dt>" in pages["/calls/c4"]
    menu = "kunden valgte tilbagekald i tastemenuen efter at have ventet i kø"
    assert menu in pages["/requests"] and menu in pages["/requests/3"]
    assert ">queue overflow<" not in pages["/requests"] + pages["/requests/3"]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_requests_page_says_why_its_time_was_chosen_in_words(
    console_db: AsyncStore, store: SqliteStore
) -> None:
    """The plan's reason is stored as a code and its values (scheduler/timing/plan_reason.py):
    the request's page words it in the console's language, never the stored JSON."""
    store.execute(
        "UPDATE callback_requests SET plan_reason = :why WHERE id = 3",
        {"why": retry("no_answer").stored()},
    )
    for language, words in (("da", "nyt forsøg efter intet svar"), ("en", "retry after no answer")):
        pages = await console_pages(console_settings(language), console_db, ["/requests/3"])
        page = pages["/requests/3"]
        assert f"({words})" in page, language
        assert '"code"' not in page and "&#34;code&#34;" not in page
