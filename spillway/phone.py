"""Phone numbers: validated and normalised to E.164 (``+4520123456``) with phonenumbers.

Asterisk's caller ID often carries an international number without its
``+`` (``4520123456``); a number that is not valid in the shop's region is
tried once more that way before it is refused.
"""

from __future__ import annotations

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
