"""Phone numbers: validated and normalised to E.164 (``+4520123456``) with phonenumbers.

Asterisk's caller ID often carries an international number without its
``+`` (``4520123456``); a number that is not valid in the shop's region is
tried once more that way before it is refused.
"""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers


def _parse_valid(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def parse_phone(number: str, region: str = "DK") -> phonenumbers.PhoneNumber | None:
    """``number`` parsed, or None when it is not a valid number."""
    parsed = _parse_valid(number, region)
    digits = "".join(c for c in number if c.isdigit())
    if parsed is None and digits == number.strip() and len(digits) > 8:
        parsed = _parse_valid("+" + digits, None)
    return parsed


def normalise_phone(number: str, region: str = "DK") -> str | None:
    """``number`` in E.164 (``+4520123456``), or None when it is not a valid number."""
    parsed = parse_phone(number, region)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Number types a callback may go to. Premium-rate, shared-cost, toll-free,
# UAN, pager, voicemail and unknown numbers are refused: calling one back
# costs the shop money or reaches no person (and is how toll fraud works).
CALLABLE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
        phonenumbers.PhoneNumberType.VOIP,
    }
)


# The "region" of satellite and other international services (+870 Inmarsat,
# +8816 Iridium ...): no country, and among the dearest destinations to dial.
NON_GEOGRAPHIC = "001"


def destination_refusal(parsed: phonenumbers.PhoneNumber, allowed: Collection[str]) -> str:
    """Why a number may not be called given the countries callbacks may dial ('' if it may).

    ``allowed``: ISO country codes (``DK``), or ``001`` for satellite and other
    non-geographic services. Dialling abroad costs the shop money, and
    high-cost destinations are how toll fraud pays.
    """
    where = phonenumbers.region_code_for_number(parsed) or "??"
    if where in allowed:
        return ""
    place = "a satellite or international service" if where == NON_GEOGRAPHIC else where
    return (
        f"a number in {place} (+{parsed.country_code}) is not called back: "
        f"callbacks.allowed_countries is {', '.join(sorted(allowed)) or 'empty'}"
    )


def callable_phone(
    number: str, region: str = "DK", *, allowed_countries: Collection[str] | None = None
) -> tuple[str | None, str]:
    """``number`` in E.164 if a callback may dial it, else None; and why not.

    ``allowed_countries``: where callbacks may dial (None: ``region`` only).

    >>> callable_phone("20123456")
    ('+4520123456', '')
    """
    parsed = parse_phone(number, region)
    if parsed is None:
        return None, "not a valid phone number"
    kind = phonenumbers.number_type(parsed)
    if kind not in CALLABLE_TYPES:
        name = phonenumbers.PhoneNumberType.to_string(kind).lower().replace("_", "-")
        return None, f"a {name} number is not called back"
    why_not = destination_refusal(
        parsed, (region,) if allowed_countries is None else allowed_countries
    )
    if why_not:
        return None, why_not
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), ""


def mask_phone(number: str) -> str:
    """A number as it may appear in a log: all but the last two digits hidden."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= 2:
        return "*" * len(digits)
    return (
        ("+" if number.strip().startswith("+") else "")
        + "*" * (len(digits) - 2)
        + "".join(digits[-2:])
    )


def timezone_for(e164: str, default: str) -> str:
    """The customer's IANA time zone from their number (the first one it may be in)."""
    from phonenumbers import timezone as number_timezones

    try:
        zones = number_timezones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return default
    usable = [z for z in zones if z and z != "Etc/Unknown"]
    return usable[0] if usable else default
