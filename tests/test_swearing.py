"""The swear words a caller is met with empathy for, per language (the pack's
``grammar.yaml``, ``swear_words``): Danish oaths are heard in a Danish call, as
English ones are in an English call, and ordinary words that merely start the
same way are not."""

from __future__ import annotations

import pytest

from bot.dialogue.swearing import swears


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where the hell is my damn parcel"),
        ("en", "this is shit"),
        ("da", "for helvede hvor er min pakke"),
        ("da", "det her er noget lort"),
        ("da", "det er fandeme for dårligt"),
        ("da", "sikke en lorteservice"),
        ("da", "FOR FANDEN da"),
        ("da", "fuck det"),
    ],
)
def test_an_oath_is_heard(language: str, said: str) -> None:
    assert swears(said, language)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where is my parcel"),
        ("en", "I'd like to pass on a message"),
        ("da", "hvor er min pakke"),
        ("da", "det var skidegodt tak"),
        ("da", "det er sgu fint"),
        ("da", "jeg har bestilt et piskeris"),
        ("da", "kan I ringe mig op i morgen"),
    ],
)
def test_an_ordinary_sentence_is_not(language: str, said: str) -> None:
    assert not swears(said, language)
