"""Phone numbers: validated and normalised to E.164 (``+4520123456``) with phonenumbers.

Asterisk's caller ID often carries an international number without its
``+`` (``4520123456``); a number that is not valid in the shop's region is
tried once more that way before it is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from spillway.wording import Wording, worded


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


def destination_wording(
    parsed: phonenumbers.PhoneNumber, allowed: Collection[str]
) -> Wording | None:
    """Why a number may not be called given the countries callbacks may dial (None if it
    may), in the pack's words (``phone`` in console.yaml).

    ``allowed``: ISO country codes (``DK``), or ``001`` for satellite and other
    non-geographic services. Dialling abroad costs the shop money, and
    high-cost destinations are how toll fraud pays.
    """
    where = phonenumbers.region_code_for_number(parsed) or "??"
    if where in allowed:
        return None
    return abroad_wording(where, parsed.country_code, allowed)


def abroad_wording(where: str, prefix: int | None, allowed: Collection[str]) -> Wording:
    """Why a number in ``where`` (ISO code, ``001`` for satellite; its calling code
    ``prefix``) is not called when callbacks dial only ``allowed``, in the pack's words."""
    place: object = worded("phone.satellite") if where == NON_GEOGRAPHIC else where
    refused = worded("phone.abroad", place=place, prefix=prefix)
    # Said so that an admin whose callbacks.allowed_countries is empty (the default)
    # sees why a country they never listed is the only one called, and what to change.
    if not allowed:
        return worded("phone.abroad_no_country", refused=refused, country=where)
    return worded(
        "phone.abroad_not_listed",
        refused=refused,
        dialled=", ".join(sorted(allowed)),
        country=where,
        example=", ".join(sorted({*allowed, where})),
    )


def destination_refusal(parsed: phonenumbers.PhoneNumber, allowed: Collection[str]) -> str:
    """:func:`destination_wording` in English ('' when the number may be called)."""
    why_not = destination_wording(parsed, allowed)
    return "" if why_not is None else str(why_not)


def phone_refusal(
    number: str, region: str = "DK", *, allowed_countries: Collection[str] | None = None
) -> tuple[str | None, Wording | None]:
    """``number`` in E.164 if a callback may dial it, else None; and why not, in the
    pack's words (``phone`` in console.yaml).

    ``allowed_countries``: where callbacks may dial (None: ``region`` only).
    """
    parsed = parse_phone(number, region)
    if parsed is None:
        return None, worded("phone.invalid")
    kind = phonenumbers.number_type(parsed)
    if kind not in CALLABLE_TYPES:
        # The kind in the pack's words ("premium-rate", "overtakserede numre").
        name = phonenumbers.PhoneNumberType.to_string(kind).lower()
        return None, worded("phone.kind_not_called", kind=worded(f"phone.kind.{name}"))
    why_not = destination_wording(
        parsed, (region,) if allowed_countries is None else allowed_countries
    )
    if why_not is not None:
        return None, why_not
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def callable_phone(
    number: str, region: str = "DK", *, allowed_countries: Collection[str] | None = None
) -> tuple[str | None, str]:
    """:func:`phone_refusal` with the reason in English ('' when it may be called).

    >>> callable_phone("20123456")
    ('+4520123456', '')
    """
    e164, why_not = phone_refusal(number, region, allowed_countries=allowed_countries)
    return e164, "" if why_not is None else str(why_not)


def phone_forms(e164: str) -> tuple[str, ...]:
    """Every form a stored copy of ``e164`` may take: E.164, without its ``+``, with
    ``00``, and the national forms (with and without the trunk prefix).

    Caller IDs arrive as Asterisk has them (``4520123456``, ``20123456``), so a
    search for one person looks for all of them.

    >>> phone_forms("+4520123456")
    ('+4520123456', '004520123456', '20123456', '4520123456')
    """
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return (e164,)
    digits = e164.lstrip("+")
    national = "".join(
        c
        for c in phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        if c.isdigit()
    )
    significant = phonenumbers.national_significant_number(parsed)
    return tuple(sorted({e164, digits, "00" + digits, national, significant}))


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


# Where most people live in countries whose mobile numbers do not say which of
# several zones they are in (phonenumbers gives every zone of +7 for a Moscow
# mobile, Asia/Almaty first): the zone a number of unknown place is most likely in.
MOST_POPULOUS_ZONE = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}


class ZoneHow(StrEnum):
    """How :func:`timezone_choice` chose a zone (the explanation says it in the shop's
    language: pack key ``explain_zone_<value>``)."""

    UNREADABLE = "unreadable"  # the shop's zone: the number cannot be read
    NUMBER = "number"  # the number's one zone
    SILENT = "silent"  # the shop's zone: the number names none
    SHOP_AMONG = "shop_among"  # the shop's zone, one of the number's ``zones``
    POPULOUS = "populous"  # where most people in ``region`` live, of ``zones``
    SHOP_AMBIGUOUS = "shop_ambiguous"  # the shop's zone: the number may be in ``zones``


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A customer's IANA zone and how it was chosen (``zones``: how many the number may
    be in; ``region``: its country)."""

    zone: str
    how: ZoneHow
    zones: int = 1
    region: str = ""


def timezone_choice(e164: str, default: str) -> ZoneChoice:
    """The customer's IANA time zone from their number, and how it was chosen.

    One zone for the number: that one. Several (a mobile in a country with
    several zones): ``default`` if it is one of them (the shop's own zone),
    else the zone where most of that country's people live, else ``default``.
    """
    from phonenumbers import timezone as number_timezones

    try:
        parsed = phonenumbers.parse(e164)
        zones = number_timezones.time_zones_for_number(parsed)
    except phonenumbers.NumberParseException:
        return ZoneChoice(default, ZoneHow.UNREADABLE, 0)
    usable = [z for z in zones if z and z != "Etc/Unknown"]
    if len(usable) == 1:
        return ZoneChoice(usable[0], ZoneHow.NUMBER)
    if not usable:
        return ZoneChoice(default, ZoneHow.SILENT, 0)
    region = phonenumbers.region_code_for_number(parsed) or ""
    if default in usable:
        return ZoneChoice(default, ZoneHow.SHOP_AMONG, len(usable), region)
    main = MOST_POPULOUS_ZONE.get(region)
    if main in usable:
        return ZoneChoice(main, ZoneHow.POPULOUS, len(usable), region)
    return ZoneChoice(default, ZoneHow.SHOP_AMBIGUOUS, len(usable), region)


def timezone_for(e164: str, default: str) -> str:
    """The customer's IANA time zone from their number (see :func:`timezone_choice`)."""
    return timezone_choice(e164, default).zone
