"""What `spillway serve` renders before the first caller, in every pack.

Ten callers at once each wait for their reply's first piece; a piece rendered at
start-up plays at once (docs/PERFORMANCE.md, "Ten callers in the same second").
These tests hold the wording and the warm lists to that: the replies that answer
a "yes" or a typed number open with a sentence that carries no caller data, and
every fixed wording the bot plays whole is in the start-up list.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.dialogue.prompts import active_pack, fixed_prompts, spoken_prompts, use_language
from bot.speech.synthesis import fixed_pieces, split_for_speech
from dialplan.sounds import SOUND_KEYS

LANGUAGES = ("en", "da")

# The replies heard right after a yes or a typed number. Each begins with the
# caller's own data in its second sentence (an order or case number, which
# no other caller shares), so its first sentence must be fixed.
ANSWERS_WITH_CALLER_DATA = (
    "confirm_order_number",
    "order_not_found",
    "order_packing",
    "order_shipped",
    "order_delivered",
    "order_cancelled",
    "order_other_status",
    "return_not_delivered",
    "return_eligible",
    "return_ineligible",
    "complaint_case",
)


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    use_language(request.param)
    try:
        yield request.param
    finally:
        use_language("en")


def test_answers_with_caller_data_open_with_a_piece_warmed_at_start_up(language: str) -> None:
    warmed = set(fixed_pieces(spoken_prompts()))
    for key in ANSWERS_WITH_CALLER_DATA:
        text = active_pack().prompts[key].text
        first = split_for_speech(text)[0]
        assert "{" not in first, (language, key, first)
        assert first in warmed, (language, key, first)


def test_plain_questions_are_warmed_too(language: str) -> None:
    # "Please tell me your order number..." has no placeholder and is not played
    # from the prompt cache: before, it was rendered for the first caller who asked.
    warmed = set(fixed_pieces(spoken_prompts()))
    first = split_for_speech(active_pack().prompts["ask_order_number"].text)[0]
    assert first in warmed


def test_written_wording_and_asterisk_sounds_are_not_warmed(language: str) -> None:
    pack = active_pack().prompts
    spoken = set(spoken_prompts())
    for key in ("rule_expired", "sms_tracking", "explain_closed", "purpose_cases"):
        assert pack[key].text not in spoken, key
    fixed = set(fixed_prompts("Shop"))
    for key in SOUND_KEYS:
        assert pack[key].text.format(shop="Shop") not in fixed, key


def test_every_fixed_hand_over_and_the_goodbye_are_in_the_start_up_list(language: str) -> None:
    pack = active_pack().prompts
    fixed = fixed_prompts("Spillway Demo Shop")
    for key in (
        "transfer",
        "transfer_no_match",
        "transfer_no_input",
        "backend_error",
        "yes_unsure",
        "goodbye",
    ):
        assert pack[key].text.format(shop="Spillway Demo Shop") in fixed, key
    # Openers first (the recognisers warm up on them), the offer with its caller notice.
    assert fixed[0] == pack["offer"].text.format(notice="")
    notice = " " + pack["caller_notice"].text
    assert fixed_prompts("Spillway Demo Shop", notice)[0] == pack["offer"].text.format(
        notice=notice
    )
    assert not any("{" in text for text in fixed)
