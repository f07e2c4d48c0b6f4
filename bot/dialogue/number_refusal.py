"""What the bot says about a number it cannot call back: why, then what the caller can do.

A caller who typed ``12345#`` or a British number, or who calls from abroad,
used to hear "Sorry, I didn't understand" three times and was handed over
without knowing why. Now they hear the one reason they can act on
(:func:`spillway.phone_problem.number_problem`) and where the shop calls
("in Denmark"), then the question again with the key for a colleague.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

from bot.dialogue.prompts import active_pack, say
from spillway.phone_problem import NumberProblem

# The reason for each problem but ABROAD (which names the countries).
_FIXED_REASONS = {
    NumberProblem.NOT_A_NUMBER: "phone_not_a_number",
    NumberProblem.TOO_SHORT: "phone_too_short",
    NumberProblem.TOO_LONG: "phone_too_long",
    NumberProblem.KIND: "phone_kind_refused",
}


def places(countries: Iterable[str]) -> str:
    """Where callbacks dial, as a caller hears it: "in Denmark", "in Denmark or in Sweden";
    a country the pack does not name by its calling code ("starting with +298")."""
    named = active_pack().reading.countries
    words = [
        named.get(code) or say("place_by_prefix", prefix=_calling_code(code)) for code in countries
    ]
    if len(words) <= 1:
        return "".join(words)
    return say("countries_or", some=", ".join(words[:-1]), last=words[-1])


def _calling_code(code: str) -> str:
    """The country's calling code ("45" for DK); the ISO code itself when it has none."""
    prefix = phonenumbers.country_code_for_region(code)
    return str(prefix) if prefix else code


def typed_refusal(problem: NumberProblem, countries: Iterable[str], *, sms: bool) -> str:
    """Why a number the caller gave cannot be used (``sms``: for a text message)."""
    if problem is NumberProblem.ABROAD:
        return say("phone_abroad_sms" if sms else "phone_abroad", countries=places(countries))
    return say(_FIXED_REASONS[problem])


def own_number_refusal(problem: NumberProblem, countries: Iterable[str]) -> str:
    """Why the number the caller calls from cannot be called back."""
    if problem is NumberProblem.ABROAD:
        return say("caller_phone_abroad", countries=places(countries))
    return say("caller_phone_refused")


def ask_number(countries: Iterable[str], *, sms: bool) -> str:
    """The question for a number that can be used, with the key for a colleague."""
    return say("ask_mobile_in" if sms else "ask_phone_in", countries=places(countries))
