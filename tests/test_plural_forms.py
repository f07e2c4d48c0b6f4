"""Counted words have real singular and plural forms in every pack ("1 request",
"2 requests"), never "request(s)": the packs' wordings and the console's pages."""

from __future__ import annotations

import re

import pytest

from spillway.console_text import load_console_text
from spillway.language_pack import available_languages

# "(s)", "(es)", "(er)", "(r)", "(e)" glued to a word: a plural left to the reader.
GUESSED_PLURAL = re.compile(r"\w\((?:s|es|er|r|e|n)\)")


@pytest.mark.parametrize("code", available_languages())
def test_no_wording_leaves_the_plural_to_the_reader(code: str) -> None:
    text = load_console_text(code)
    assert {k: v for k, v in text.strings.items() if GUESSED_PLURAL.search(v)} == {}


@pytest.mark.parametrize("code", available_languages())
def test_every_counted_wording_has_both_forms(code: str) -> None:
    text = load_console_text(code)
    ones = {k[: -len(".one")] for k in text.strings if k.endswith(".one")}
    others = {k[: -len(".other")] for k in text.strings if k.endswith(".other")}
    assert ones == others and ones, ones ^ others


def test_count_picks_the_form_by_the_number() -> None:
    en, da = load_console_text("en"), load_console_text("da")
    assert en.count("count.rows", 1) == "1 row"
    assert en.count("count.rows", 0) == "0 rows"
    assert en.count("count.rows", 7) == "7 rows"
    assert da.count("count.rows", 1) == "1 række" and da.count("count.rows", 2) == "2 rækker"
    assert en.count("callbacks.match", 1) == "1 request matches"
    assert en.count("callbacks.match", 3) == "3 requests match"
    assert da.count("count.open_callbacks", 2) == "2 åbne tilbagekald"
