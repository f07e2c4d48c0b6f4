"""Why a number a caller gave cannot be called back, as one of a few plain reasons.

:func:`spillway.phone.callable_phone` says whether a callback may dial a number
and, for an admin, why not in full. A caller needs less and something else: the
one reason that tells them what to do next (type a number of the right country,
a longer one, a real one). The bot says it in the pack's words
(``bot.dialogue.number_refusal``).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

import phonenumbers

from spillway.phone import CALLABLE_TYPES, callable_phone, parse_phone


class NumberProblem(StrEnum):
    """Why a callback may not dial a number, as a caller can act on it."""

    NOT_A_NUMBER = "not_a_number"  # no phone number at all
    TOO_SHORT = "too_short"  # too few digits for the country ("12345")
    TOO_LONG = "too_long"  # too many digits for the country
    ABROAD = "abroad"  # a country callbacks do not dial (callbacks.allowed_countries)
    KIND = "kind"  # premium-rate, freephone and the like: never called back


def number_problem(
    number: str, region: str = "DK", *, allowed_countries: Collection[str] | None = None
) -> NumberProblem | None:
    """Why a callback may not dial ``number`` (None: it may, as :func:`callable_phone`
    decides with the same arguments).

    The country comes first: a caller abroad is helped most by hearing which
    countries are called, whatever else is wrong with the number (``00 44 ...``
    typed with a digit too few is still a British number).
    """
    if callable_phone(number, region, allowed_countries=allowed_countries)[0] is not None:
        return None
    allowed = (region,) if allowed_countries is None else allowed_countries
    parsed = parse_phone(number, region)
    if parsed is not None:
        if phonenumbers.region_code_for_number(parsed) not in allowed:
            return NumberProblem.ABROAD
        if phonenumbers.number_type(parsed) not in CALLABLE_TYPES:
            return NumberProblem.KIND
        return NumberProblem.NOT_A_NUMBER  # valid, callable kind, allowed: not reached
    try:
        loose = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        short = exc.error_type == phonenumbers.NumberParseException.TOO_SHORT_NSN
        return NumberProblem.TOO_SHORT if short else NumberProblem.NOT_A_NUMBER
    countries = phonenumbers.region_codes_for_country_code(loose.country_code or 0)
    if countries and not set(countries) & set(allowed):
        return NumberProblem.ABROAD
    possible = phonenumbers.is_possible_number_with_reason(loose)
    if possible == phonenumbers.ValidationResult.TOO_SHORT:
        return NumberProblem.TOO_SHORT
    if possible == phonenumbers.ValidationResult.TOO_LONG:
        return NumberProblem.TOO_LONG
    return NumberProblem.NOT_A_NUMBER
