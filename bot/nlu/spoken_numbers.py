"""Spoken digit strings -> digits ("five five eight two one" -> "55821").

Speech recognisers write what callers say: order numbers arrive as words
("one oh oh four two", "double five eight two one", "ten thousand and forty
two") or, from some engines, as digits with spaces ("1 0 0 4 2"). This module
finds runs of number words in a transcript and turns each into one digit
string. It is pure and has no state, so both NLU engines share it.

Two readings exist for a run: callers mostly read a number digit by digit
("one zero zero four two"), sometimes in pairs ("one hundred forty two" is
rare, "forty two" as the last two digits is common). A run that contains a
scale word (hundred, thousand) is read as a cardinal number; any other run is
read as a sequence of digit groups that are concatenated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS: dict[str, int] = {
    "zero": 0,
    "oh": 0,
    "o": 0,
    "nought": 0,
    "naught": 0,
    "nil": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000}
_REPEATS: dict[str, int] = {"double": 2, "triple": 3}

_TOKEN_RE = re.compile(r"[a-z]+|\d+")
# "o" and "oh" are numbers only next to other number words ("one oh four"),
# never on their own ("oh i see").
_WEAK = frozenset({"o", "oh", "nil"})


def _is_number_word(token: str) -> bool:
    return (
        token.isdigit()
        or token in _DIGITS
        or token in _TEENS
        or token in _TENS
        or token in _SCALES
        or token in _REPEATS
    )


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """A run of number words in a text: character offsets and its digits."""

    start: int
    end: int
    text: str
    digits: str


def _read_cardinal(tokens: list[str]) -> str | None:
    """Read "ten thousand and forty two" as 10042; None if it is not a number."""
    total = 0
    current = 0
    seen = False
    for token in tokens:
        if token == "and":
            continue
        if token.isdigit():
            current += int(token)
        elif token in _DIGITS:
            current += _DIGITS[token]
        elif token in _TEENS:
            current += _TEENS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return str(total + current) if seen else None


def _read_sequence(tokens: list[str]) -> str | None:
    """Read digit by digit, with "double"/"triple" and two-digit groups."""
    out: list[str] = []
    repeat = 1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _REPEATS:
            repeat = _REPEATS[token]
            i += 1
            continue
        if token.isdigit():
            group = token
        elif token in _DIGITS:
            group = str(_DIGITS[token])
        elif token in _TEENS:
            group = str(_TEENS[token])
        elif token in _TENS:
            tens = _TENS[token]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in _DIGITS and _DIGITS[nxt] > 0:
                group = str(tens + _DIGITS[nxt])
                i += 1
            else:
                group = str(tens)
        elif token == "and":
            i += 1
            continue
        else:
            return None
        out.append(group * repeat)
        repeat = 1
        i += 1
    return "".join(out) or None


def words_to_digits(phrase: str) -> str | None:
    """Turn one phrase of number words into digits, or None if it has none.

    >>> words_to_digits("five five eight two one")
    '55821'
    >>> words_to_digits("one double oh four two")
    '10042'
    """
    tokens = [t for t in _TOKEN_RE.findall(phrase.lower().replace("-", " "))]
    if not tokens:
        return None
    if any(t in _SCALES for t in tokens):
        return _read_cardinal(tokens)
    return _read_sequence(tokens)


def find_numbers(text: str) -> list[NumberSpan]:
    """Find every run of number words in ``text`` and read it as digits.

    A run is a maximal sequence of number words (and "and" between a scale
    word and a number). A run made only of weak words ("oh") is ignored.
    """
    lowered = text.lower()
    matches = list(_TOKEN_RE.finditer(lowered))
    spans: list[NumberSpan] = []
    i = 0
    while i < len(matches):
        if not _is_number_word(matches[i].group()):
            i += 1
            continue
        j = i
        while j + 1 < len(matches):
            nxt = matches[j + 1].group()
            if _is_number_word(nxt):
                j += 1
            elif (
                nxt == "and"
                and matches[j].group() in _SCALES
                and j + 2 < len(matches)
                and _is_number_word(matches[j + 2].group())
            ):
                j += 1
            else:
                break
        run = [m.group() for m in matches[i : j + 1]]
        # Repeat words and weak zeros at the edges of a run are not numbers
        # ("double check", "oh one two" keeps "oh" since it leads digits).
        while run and (run[-1] in _REPEATS or (run[-1] in _WEAK and len(run) == 1)):
            run.pop()
            j -= 1
        if run and not all(t in _WEAK for t in run):
            digits = words_to_digits(" ".join(run))
            if digits is not None:
                start, end = matches[i].start(), matches[j].end()
                spans.append(NumberSpan(start, end, text[start:end], digits))
        i = j + 1 if j >= i else i + 1
    return spans


def normalise_numbers(text: str) -> str:
    """Replace each run of number words in ``text`` by its digits."""
    out: list[str] = []
    last = 0
    for span in find_numbers(text):
        out.append(text[last : span.start])
        out.append(span.digits)
        last = span.end
    out.append(text[last:])
    return "".join(out)
