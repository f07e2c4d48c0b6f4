"""Why a callback request was closed, or why its last attempt failed: kept as a code and
its values, worded when shown.

``callback_requests.last_error`` holds JSON, ``{"code": "do_not_call"}``,
``{"code": "max_attempts", "made": 6, "most": 6}``; `spillway callbacks show` /
``explain``, the console's request page and the data export word it in the reader's
language (``last_error`` in console.yaml; a number's refusal in the ``phone`` words).
Rows written before held English sentences: those of the kinds the product wrote are
read back into their code and values when shown; any other stored text is shown as
stored. Nothing stored is rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import phonenumbers

from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE, load_pack
from spillway.phone import abroad_wording, destination_wording
from spillway.wording import Wording

DO_NOT_CALL = "do_not_call"  # the number is on the do-not-call list
NUMBER_INVALID = "number_invalid"  # the number cannot be read
NUMBER_KIND = "number_kind"  # a kind never called back: ``kind`` (phonenumbers' type)
NUMBER_ABROAD = "number_abroad"  # ``country`` (+``prefix``) is not among ``allowed``
MAX_ATTEMPTS = "max_attempts"  # ``made`` attempts, at most ``most``
EXPIRED = "expired"  # past the request's expiry
NO_TIME = "no_time"  # no allowed time left before it expires
# No allowed time left before it expires, and ``rule`` (a calling rule's ``rule_*`` key
# in prompts.yaml, with its values) refused the moment the dialer tried it.
RULE = "rule"
BROKEN = "broken"  # the dialer could not handle the row: ``error``, a library's message
CANCELLED_ADMIN = "cancelled_admin"  # `spillway callbacks cancel`
CANCELLED_CONSOLE = "cancelled_console"  # by ``user`` on the console's request page
MERGED = "merged"  # its new number had an open request: joined request ``into``
ERASED = "erased"  # the customer's data was erased on their request
# The caller who booked it was handed to the queue in the same call and an agent took
# them: served by that call, so the dialler never rings them about it again.
SERVED_INBOUND = "served_inbound"
# The caller who booked it withdrew it in the same call ("forget it", "nej tak, glem det")
# before it was dialled: the bot said it would not call.
CANCELLED_BY_CALLER = "cancelled_by_caller"

# Each code with the values its words need: a stored code without them is not read.
CODES: Mapping[str, tuple[str, ...]] = {
    DO_NOT_CALL: (),
    NUMBER_INVALID: (),
    NUMBER_KIND: ("kind",),
    NUMBER_ABROAD: ("country", "prefix", "allowed"),
    MAX_ATTEMPTS: ("made", "most"),
    EXPIRED: (),
    NO_TIME: (),
    RULE: ("rule",),
    BROKEN: ("error",),
    CANCELLED_ADMIN: (),
    CANCELLED_CONSOLE: ("user",),
    MERGED: ("into",),
    ERASED: (),
    SERVED_INBOUND: (),
    CANCELLED_BY_CALLER: (),
}

# The English sentences stored before the codes, read back into them.
_ABROAD = r"a number in .+ \(\+(?P<prefix>\d+)\) is not called back: "
_LEGACY = (
    (re.compile(r"the number is on the do-not-call list"), DO_NOT_CALL),
    (re.compile(r"not a valid phone number"), NUMBER_INVALID),
    (re.compile(r"a (?P<kind>[a-z-]+) number is not called back"), NUMBER_KIND),
    (
        re.compile(
            _ABROAD + r"callbacks dial only (?P<allowed>[A-Z0-9, ]+) \(callbacks\.allowed_"
            r"countries; when it is empty, shop\.country alone\); to call it, add "
            r"(?P<country>\S+) to callbacks\.allowed_countries \(e\.g\. \[[A-Z0-9, ]+\]\)"
        ),
        NUMBER_ABROAD,
    ),
    (
        re.compile(
            _ABROAD + r"callbacks may dial no country; list the countries to call in "
            r"callbacks\.allowed_countries \(e\.g\. \[DK, (?P<country>\S+)\]\), or leave "
            r"it empty for shop\.country only"
        ),
        NUMBER_ABROAD,
    ),
    (re.compile(r"(?P<made>\d+) attempts made, at most (?P<most>\d+)"), MAX_ATTEMPTS),
    (re.compile(r"the request has expired"), EXPIRED),
    (re.compile(r"no allowed time before the request expires"), NO_TIME),
    (re.compile(r"broken: (?P<error>.*)", re.DOTALL), BROKEN),
    (re.compile(r"cancelled by an admin"), CANCELLED_ADMIN),
    (re.compile(r"cancelled by (?P<user>.+) in the console"), CANCELLED_CONSOLE),
    (re.compile(r"merged into request (?P<into>\d+)"), MERGED),
    (re.compile(r"erased on request"), ERASED),
)


_COUNTS = frozenset({"made", "most", "into", "prefix"})  # the values that are numbers


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request closed or its attempt failed: its code and the values its words take."""

    code: str
    values: Mapping[str, str | int] = field(default_factory=dict)

    def stored(self) -> str:
        """The form ``last_error`` keeps."""
        return json.dumps({"code": self.code, **self.values}, sort_keys=True, ensure_ascii=False)

    def said(self, text: ConsoleText) -> str:
        """The problem in ``text``'s language."""
        v = self.values
        if self.code == NUMBER_INVALID:
            return text("phone.invalid")
        if self.code == NUMBER_KIND:
            kind = f"phone.kind.{v['kind']}"
            return text(
                "phone.kind_not_called", kind=text(kind) if kind in text.strings else v["kind"]
            )
        if self.code == NUMBER_ABROAD:
            allowed = [c for c in str(v["allowed"]).split(",") if c]
            return abroad_wording(str(v["country"]), int(v["prefix"]), allowed).said(text)
        if self.code == NO_TIME:
            return text("plan_reason.no_time")
        if self.code == RULE:
            return _rule_said(v, text)
        return text(f"last_error.{self.code}", **v)

    def __str__(self) -> str:
        return self.said(load_console_text(DEFAULT_LANGUAGE))


def do_not_call() -> Problem:
    return Problem(DO_NOT_CALL)


def number_refused(why: Wording) -> Problem:
    """A number refused at intake (:func:`spillway.phone.phone_refusal`'s words) as a code."""
    if why.key == "phone.kind_not_called":
        kind = why.values["kind"]
        assert isinstance(kind, Wording)
        return Problem(NUMBER_KIND, {"kind": kind.key.rsplit(".", 1)[-1]})
    if why.key in ("phone.abroad_no_country", "phone.abroad_not_listed"):
        refused = why.values["refused"]
        assert isinstance(refused, Wording)
        return Problem(
            NUMBER_ABROAD,
            {
                "country": str(why.values["country"]),
                "prefix": int(str(refused.values["prefix"])),
                "allowed": str(why.values.get("dialled", "")).replace(", ", ","),
            },
        )
    # phone.invalid (a refusal of another kind would be a number not called all the same).
    return Problem(NUMBER_INVALID)


def destination(phone: str, allowed: frozenset[str]) -> Problem:
    """Why the dialer will not dial ``phone`` (E.164) when callbacks dial only ``allowed``."""
    try:
        parsed = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return Problem(NUMBER_INVALID)
    why = destination_wording(parsed, allowed)
    return Problem(NUMBER_INVALID) if why is None else number_refused(why)


def max_attempts(made: int, most: int) -> Problem:
    return Problem(MAX_ATTEMPTS, {"made": made, "most": most})


def expired() -> Problem:
    return Problem(EXPIRED)


def no_time() -> Problem:
    return Problem(NO_TIME)


def rule_left_no_time(key: str, values: Mapping[str, str | int]) -> Problem:
    """No allowed time before the request expires, after rule ``key`` (``rule_*``, with
    ``values``: :class:`scheduler.rules.Refusal`'s) refused the moment the dialer tried."""
    return Problem(RULE, {**values, "rule": key})


def _rule_said(values: Mapping[str, str | int], text: ConsoleText) -> str:
    """A :data:`RULE` problem in ``text``'s language: the rule in the pack's own words
    (prompts.yaml); a key the pack no longer has, or values its words lack, as no time."""
    pack = load_pack(text.code)
    key = str(values["rule"])
    others = {k: v for k, v in values.items() if k != "rule"}
    try:
        rule = pack.say_rule(key, others) if key.startswith("rule_") else None
    except (KeyError, IndexError, ValueError):
        rule = None
    return text("last_error.rule", rule=rule) if rule else text("plan_reason.no_time")


def broken(error: object) -> Problem:
    return Problem(BROKEN, {"error": str(error)[:300]})


def cancelled_by_admin() -> Problem:
    return Problem(CANCELLED_ADMIN)


def cancelled_in_console(user: str) -> Problem:
    return Problem(CANCELLED_CONSOLE, {"user": user})


def merged_into(request_id: int) -> Problem:
    return Problem(MERGED, {"into": request_id})


def erased() -> Problem:
    return Problem(ERASED)


def served_inbound() -> Problem:
    return Problem(SERVED_INBOUND)


def cancelled_by_caller() -> Problem:
    return Problem(CANCELLED_BY_CALLER)


def read_problem(stored: str) -> Problem | None:
    """The code and values of a stored ``last_error`` (JSON, or an English sentence of
    the kinds the product wrote before); None for text of any other kind."""
    if stored.startswith("{"):
        try:
            data = json.loads(stored)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("code") not in CODES:
            return None
        code = str(data.pop("code"))
        kept = {
            k: v for k, v in data.items() if isinstance(v, str | int) and not isinstance(v, bool)
        }
        return Problem(code, kept) if all(k in kept for k in CODES[code]) else None
    for pattern, code in _LEGACY:
        found = pattern.fullmatch(stored)
        if found:
            values: dict[str, str | int] = {
                k: int(v) if k in _COUNTS else v for k, v in found.groupdict().items()
            }
            if code == NUMBER_KIND:
                values["kind"] = str(values["kind"]).replace("-", "_")
            if code == NUMBER_ABROAD:
                values["allowed"] = str(values.get("allowed", "")).replace(", ", ",")
            return Problem(code, values)
    return None


def problem_words(stored: str | None, text: ConsoleText) -> str | None:
    """A stored ``last_error`` in ``text``'s language; text of no known kind as stored."""
    if not stored:
        return None
    problem = read_problem(stored)
    return problem.said(text) if problem else stored


def problem_code(stored: str | None) -> str | None:
    """The code of a stored ``last_error`` (``DO_NOT_CALL`` ...); None: none, or text of no
    known kind."""
    problem = read_problem(stored) if stored else None
    return problem.code if problem else None


def in_english(stored: str | None) -> str | None:
    """A stored ``last_error`` in English: logs, the API, a door's answer."""
    return problem_words(stored, load_console_text(DEFAULT_LANGUAGE))
