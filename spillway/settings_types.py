"""The building blocks of the settings' sections: the frozen section base that refuses
unknown keys, and the checked value types (an http(s) URL, an IANA time zone, a link
template with named placeholders, a list of networks for an ACL) whose errors become
one config line naming the key.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# "~" in a configured path means the home of the user running Spillway.
ExpandedPath = Annotated[Path, AfterValidator(lambda p: p.expanduser())]

# Calling hours in local time, [start, end); None: no calls that day.
HoursWindow = tuple[float, float] | None


class ClockReading(int):
    """A number YAML 1.1 read from a clock time: ``8:00`` is base 60, the int 480.

    The configuration's loader (:mod:`spillway.config_file`) gives such a number this
    type, so that calling hours written ``[8:00, 16:00]`` are refused as clock times
    instead of as hours 480 to 960, which the admin never wrote; it shows as written.
    """

    text: str

    def __new__(cls, value: int, text: str) -> ClockReading:
        made = super().__new__(cls, value)
        made.text = text
        return made

    def __repr__(self) -> str:
        return self.text

    @property
    def hours(self) -> float:
        """The clock time in hours, as the setting wants it (``8:30`` is 8.5)."""
        return int(self) / 60


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("not_an_http_url", "an http:// or https:// URL")
    return value


HttpUrlText = Annotated[str, AfterValidator(http_url)]


def time_zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "not_a_time_zone", "an IANA time zone name such as Europe/Copenhagen"
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(time_zone_name)]


def country_code(value: str) -> str:
    """An ISO 3166 country code in capitals (``DK``): said so, not as a regular expression."""
    if not (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()):
        raise PydanticCustomError(
            "not_a_country", "a two-letter ISO country code in capitals, such as DK"
        )
    return value


def dialled_country(value: str) -> str:
    """A country callbacks may dial: an ISO code, or ``001`` for non-geographic services."""
    if value != "001" and not (
        len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()
    ):
        raise PydanticCustomError(
            "not_a_dialled_country",
            "two-letter ISO country codes in capitals, such as DK or SE, or 001 for satellite "
            "and other non-geographic services",
        )
    return value


CountryCode = Annotated[str, AfterValidator(country_code)]
DialledCountry = Annotated[str, AfterValidator(dialled_country)]


def holiday_country(value: str) -> str:
    """A country whose public holidays the scheduler keeps free of calls: a code the
    holidays package knows (``dk`` is taken as ``DK``). Checked here, so that a typo
    stops ``config check`` instead of the dialer at its first plan."""
    import holidays  # 0.2 s: imported only when the key is set

    code = value.strip().upper()
    try:
        holidays.country_holidays(code)
    except NotImplementedError:
        raise PydanticCustomError(
            "not_a_holiday_country",
            "a country code of the holidays package such as DK, SE or DE (null: no holidays)",
        ) from None
    return code


HolidayCountry = Annotated[str, AfterValidator(holiday_country)]


def hours_shape(value: object) -> object:
    """Calling hours are two numbers, [start, end), or null: say so, not "a valid tuple"."""
    pair = value if isinstance(value, list | tuple) and len(value) == 2 else ()
    if any(isinstance(v, ClockReading) for v in pair):
        hours = [v.hours if isinstance(v, ClockReading) else v for v in pair]
        raise PydanticCustomError(
            "hours_as_clock",
            "hours as plain numbers, e.g. {hours}: "
            "YAML reads the clock time 8:00 as the number 480",
            {"hours": "[" + ", ".join(f"{h:g}" for h in hours) + "]"},
        )
    numbers = [v for v in pair if isinstance(v, int | float) and not isinstance(v, bool)]
    if value is not None and len(numbers) != 2:
        raise PydanticCustomError(
            "not_hours", "[start, end) hours such as [8, 20], or null for no calls that day"
        )
    return value


def contact_line(value: str) -> str:
    """Whom a customer contacts about their data: one line of the letter, as written
    (surrounding spaces dropped); blank or several lines is refused, not printed."""
    said = value.strip()
    if not said or "\n" in said or "\r" in said:
        raise PydanticCustomError(
            "not_a_contact",
            "one line saying how to reach the shop about personal data, such as "
            "privacy@shop.dk, 70 20 30 40 (null: the letter names shop.name)",
        )
    return said


ContactLine = Annotated[str, Field(max_length=200), AfterValidator(contact_line)]


def template_check(*allowed: str) -> Callable[[str], str]:
    """A validator for a link template: an http(s) URL using only ``allowed`` placeholders."""
    names = ", ".join(f"{{{a}}}" for a in allowed)

    def check(value: str) -> str:
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value)]
        except ValueError as exc:  # Python's English ("Single '}' ..."): a brace, always
            raise PydanticCustomError(
                "url_template",
                "a URL template with {names} placeholders, each brace closed and a brace "
                "meant as a character doubled",
                {"names": names},
            ) from exc
        for name, spec, conv in fields:
            if name is None:
                continue
            if name not in allowed or spec or conv:
                raise PydanticCustomError(
                    "url_template_placeholder",
                    "a URL template whose placeholders are {names}, not {unknown}",
                    {
                        "names": names,
                        "unknown": f"{{{name}{'!' + conv if conv else ''}"
                        f"{':' + spec if spec else ''}}}",
                    },
                )
        return http_url(value)

    return check


def acl_network(value: str) -> str:
    """One IPv4 network of an Asterisk ACL (``permit =``), written as Asterisk reads it:
    ``10.0.0.0/255.255.255.0`` (a bare address is that one host). Host bits set
    (``10.0.0.5/24``) are refused rather than silently widened. IPv4 only: the rendered
    users deny 0.0.0.0/0.0.0.0 first, and Asterisk applies IPv4 rules to IPv4 peers only."""
    # Said in the packs' words, not ipaddress's English: host bits set get the network
    # they would mean, anything else the forms Asterisk reads.
    try:
        network = ipaddress.IPv4Network(value.strip(), strict=True)
    except ValueError:
        try:
            wider = ipaddress.IPv4Network(value.strip(), strict=False)
        except ValueError:
            raise PydanticCustomError(
                "acl_network",
                "an IPv4 network such as 127.0.0.1/255.255.255.255, 10.0.0.0/24 or 10.0.0.5",
            ) from None
        raise PydanticCustomError(
            "acl_host_bits",
            "a network without host bits: {network} for the whole network, or the address "
            "alone for that one host",
            {"network": str(wider)},
        ) from None
    return network.with_netmask


def _one_is_a_list(value: object) -> object:
    """A single network given as a string is a list of one."""
    return [value] if isinstance(value, str) else value


def _some(networks: tuple[str, ...]) -> tuple[str, ...]:
    if not networks:
        raise PydanticCustomError(
            "no_acl_network", "at least one network (with none, every login is denied)"
        )
    return networks


# The networks an ACL permits, at least one.
AclNetworks = Annotated[
    tuple[Annotated[str, AfterValidator(acl_network)], ...],
    BeforeValidator(_one_is_a_list),
    AfterValidator(_some),
]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
