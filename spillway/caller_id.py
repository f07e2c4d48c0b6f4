"""``callbacks.caller_id``: the number a called-back customer sees, checked at start.

Asterisk takes a caller ID as ``Name <number>`` (the name may be quoted) or a bare
number, and passes it to the trunk as it is: a number with a typo, a letter or a digit
too few reaches no one who calls it back, and many trunks drop or replace it. So the
number is checked as a phone number of the shop's country (phonenumbers), and a PBX in
host mode may not send the sandbox's made-up caller ID to real customers.
"""

from __future__ import annotations

import re

import phonenumbers
from pydantic_core import PydanticCustomError

from spillway.phone import parse_phone

# The caller ID the sandbox's simulated customers see: not a number anyone has.
SANDBOX_CALLER_ID = "Spillway <4500000000>"
# `Name <number>` or `"Name" <number>`: the number is what is inside the brackets.
_NAMED = re.compile(r"<([^<>]*)>\s*$")


def caller_id_number(caller_id: str) -> str:
    """The number part of a caller ID: inside ``<...>``, or the whole value without them."""
    named = _NAMED.search(caller_id)
    return (named.group(1) if named else caller_id).strip()


def example_number(region: str) -> str:
    """The region's example number in E.164, for a caller ID written as it should be."""
    example = phonenumbers.example_number(region)
    if example is None:  # a region phonenumbers has no example for
        return "+4570201234"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _said(caller_id: str) -> dict[str, str]:
    # Raised from the whole settings' check: the error line names the key it is about.
    return {"key": "callbacks.caller_id", "value": caller_id}


def caller_id_problem(caller_id: str, region: str, *, host: bool) -> PydanticCustomError | None:
    """Why ``caller_id`` cannot be sent to customers (None: it can). The sandbox's own
    passes in the sandbox, where its customers are simulated; a host PBX's must be a
    valid number of ``region`` (the shop's country) or an international one."""
    if caller_id == SANDBOX_CALLER_ID:
        if not host:
            return None
        return PydanticCustomError(
            "host_caller_id",
            "the shop's own number with pbx.mode: host, e.g. 'Shop <{example}>' (this one is "
            "the sandbox's, a number no customer can call back)",
            {**_said(caller_id), "example": example_number(region), "with_keys": "pbx.mode"},
        )
    number = caller_id_number(caller_id)
    if parse_phone(number, region) is not None:
        return None
    return PydanticCustomError(
        "caller_id_number",
        "a caller ID with a valid phone number, e.g. 'Shop <{example}>' ({number} is not one)",
        {**_said(caller_id), "example": example_number(region), "number": repr(number)},
    )
