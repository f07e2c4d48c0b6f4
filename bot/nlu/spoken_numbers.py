"""Spoken digit strings -> digits ("five five eight two one" -> "55821").

Speech recognisers write what callers say: order numbers arrive as words
("one oh oh four two", "double five eight two one", "ten thousand and forty
two", Danish "en nul nul fire to", "ti tusind og toogfyrre") or, from some
engines, as digits with spaces ("1 0 0 4 2"). This module finds runs of number
words in a transcript and turns each into one digit string. It is pure and has
no state, so both NLU engines share it.

The words are tables in each language pack (``grammar.yaml``, ``numbers``);
what differs between languages in the algorithm is one switch: English says
the tens first ("twenty one"), Danish the unit first ("en og tyve", written
"enogtyve"), so :class:`NumberGrammar` builds the Danish compounds from the
tables and reads "unit and tens" as one pair.

Two readings exist for a run: callers mostly read a number digit by digit
("one zero zero four two"), sometimes in pairs ("forty two" as the last two
digits is common; Danes read phone numbers in pairs: "femogfyrre enogfirs
tolv"). A run that contains a scale word (hundred, thousand) is read as a
cardinal number; any other run is read as a sequence of digit groups that are
concatenated.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.nlu.data import DEFAULT_LANGUAGE, grammar_doc
from spillway.errors import NluError

_TOKEN_RE = re.compile(r"[a-zæøåéü]+|\d+")


@dataclass(frozen=True, slots=True)
class NumberGrammar:
    """One language's number words (from its pack's ``grammar.yaml``)."""

    digits: dict[str, int]
    teens: dict[str, int]
    tens: dict[str, int]
    scales: dict[str, int]
    repeats: dict[str, int]
    weak: frozenset[str]
    joiner: str
    unit_before_tens: bool
    compounds: dict[str, int]
    """Words that are a whole pair: "enogtyve" = 21 (built, not listed)."""

    @classmethod
    def from_tables(cls, tables: dict[str, object]) -> NumberGrammar:
        def table(key: str) -> dict[str, int]:
            value = tables.get(key)
            if not isinstance(value, dict):
                raise NluError(f"grammar numbers.{key} must be a table of word: number")
            return {str(k): int(v) for k, v in value.items()}

        digits, tens = table("digits"), table("tens")
        unit_first = bool(tables.get("unit_before_tens", False))
        joiner = str(tables.get("joiner", ""))
        compounds = (
            {f"{u}{joiner}{t}": tv + uv for u, uv in digits.items() if uv for t, tv in tens.items()}
            if unit_first
            else {}
        )
        weak = tables.get("weak", [])
        return cls(
            digits=digits,
            teens=table("teens"),
            tens=tens,
            scales=table("scales"),
            repeats=table("repeats"),
            weak=frozenset(str(w) for w in weak) if isinstance(weak, list) else frozenset(),
            joiner=joiner,
            unit_before_tens=unit_first,
            compounds=compounds,
        )

    def is_number_word(self, token: str) -> bool:
        return (
            token.isdigit()
            or token in self.digits
            or token in self.teens
            or token in self.tens
            or token in self.compounds
            or token in self.scales
            or token in self.repeats
        )

    def pair_value(self, token: str) -> int | None:
        """The value of a word that is a whole group by itself (teens, compounds)."""
        if token in self.teens:
            return self.teens[token]
        return self.compounds.get(token)


@functools.cache
def number_grammar(language: str = DEFAULT_LANGUAGE) -> NumberGrammar:
    """The number grammar of ``language``'s pack (read once)."""
    doc = grammar_doc(language)
    return NumberGrammar.from_tables(doc.get("numbers") or {})


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """A run of number words in a text: character offsets and its digits."""

    start: int
    end: int
    text: str
    digits: str


def _read_cardinal(tokens: list[str], g: NumberGrammar) -> str | None:
    """Read "ten thousand and forty two" as 10042; None if it is not a number."""
    total = 0
    current = 0
    seen = False
    for token in tokens:
        if token == g.joiner:
            continue
        pair = g.pair_value(token)
        if token.isdigit():
            current += int(token)
        elif token in g.digits:
            current += g.digits[token]
        elif pair is not None:
            current += pair
        elif token in g.tens:
            current += g.tens[token]
        elif token in g.scales and g.scales[token] < 1000:
            current = max(current, 1) * g.scales[token]
        elif token in g.scales:
            total += max(current, 1) * g.scales[token]
            current = 0
        else:
            return None
        seen = True
    return str(total + current) if seen else None


def _read_sequence(tokens: list[str], g: NumberGrammar) -> str | None:
    """Read digit by digit, with "double"/"triple" and two-digit groups."""
    out: list[str] = []
    repeat = 1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        pair = g.pair_value(token)
        if token in g.repeats:
            repeat = g.repeats[token]
            i += 1
            continue
        if token.isdigit():
            group = token
        elif (
            g.unit_before_tens
            and token in g.digits
            and g.digits[token] > 0
            and nxt == g.joiner
            and i + 2 < len(tokens)
            and tokens[i + 2] in g.tens
        ):
            group = str(g.tens[tokens[i + 2]] + g.digits[token])  # "fire og tyve"
            i += 2
        elif token in g.digits:
            group = str(g.digits[token])
        elif pair is not None:
            group = str(pair)
        elif token in g.tens:
            tens = g.tens[token]
            if not g.unit_before_tens and nxt in g.digits and g.digits[nxt] > 0:
                group = str(tens + g.digits[nxt])  # "forty two"
                i += 1
            else:
                group = str(tens)
        elif token == g.joiner:
            i += 1
            continue
        else:
            return None
        out.append(group * repeat)
        repeat = 1
        i += 1
    return "".join(out) or None


def _tokens(phrase: str) -> list[str]:
    return _TOKEN_RE.findall(phrase.lower().replace("-", " "))


def words_to_digits(phrase: str, grammar: NumberGrammar | None = None) -> str | None:
    """Turn one phrase of number words into digits, or None if it has none.

    >>> words_to_digits("five five eight two one")
    '55821'
    >>> words_to_digits("one double oh four two")
    '10042'
    """
    g = grammar or number_grammar()
    tokens = _tokens(phrase)
    if not tokens:
        return None
    if any(t in g.scales for t in tokens):
        return _read_cardinal(tokens, g)
    return _read_sequence(tokens, g)


def _joins(g: NumberGrammar, words: list[str], j: int) -> bool:
    """Whether the joiner after ``words[j]`` belongs to the number run."""
    if j + 2 >= len(words) or words[j + 1] != g.joiner:
        return False
    here, after = words[j], words[j + 2]
    if here in g.scales:
        return g.is_number_word(after)  # "hundred and two"
    # "fire og tyve": a unit, the joiner, then tens.
    return g.unit_before_tens and here in g.digits and after in g.tens


def find_numbers(text: str, grammar: NumberGrammar | None = None) -> list[NumberSpan]:
    """Find every run of number words in ``text`` and read it as digits.

    A run is a maximal sequence of number words (and the joiner between a scale
    word and a number, or in Danish between a unit and its tens). A run made
    only of weak words ("oh", Danish "en") is ignored.
    """
    g = grammar or number_grammar()
    lowered = text.lower()
    matches = list(_TOKEN_RE.finditer(lowered))
    words = [m.group() for m in matches]
    spans: list[NumberSpan] = []
    i = 0
    while i < len(matches):
        if not g.is_number_word(words[i]):
            i += 1
            continue
        j = i
        while j + 1 < len(matches):
            if g.is_number_word(words[j + 1]):
                j += 1
            elif _joins(g, words, j):
                j += 2
            else:
                break
        run = words[i : j + 1]
        # Repeat words and weak zeros at the edges of a run are not numbers
        # ("double check", "oh one two" keeps "oh" since it leads digits).
        while run and (run[-1] in g.repeats or (run[-1] in g.weak and len(run) == 1)):
            run.pop()
            j -= 1
        if run and not all(t in g.weak for t in run):
            digits = words_to_digits(" ".join(run), g)
            if digits is not None:
                start, end = matches[i].start(), matches[j].end()
                spans.append(NumberSpan(start, end, text[start:end], digits))
        i = j + 1 if j >= i else i + 1
    return spans


def normalise_numbers(text: str, grammar: NumberGrammar | None = None) -> str:
    """Replace each run of number words in ``text`` by its digits."""
    out: list[str] = []
    last = 0
    for span in find_numbers(text, grammar):
        out.append(text[last : span.start])
        out.append(span.digits)
        last = span.end
    out.append(text[last:])
    return "".join(out)
