"""Why a policy chose a callback's next time: kept as a code and its values, worded when shown.

``callback_requests.plan_reason`` holds JSON, ``{"code": "retry", "outcome": "no_answer"}``,
and `spillway callbacks show` / `explain` word it in the admin's language
(``plan_reason`` in console.yaml; the outcome in the pack's ``attempt`` words, the chance
as the language writes a percentage). Rows written before held English sentences: those
of the kinds the policies wrote are read back into their code and values when shown;
any other stored text is shown as stored. Nothing stored is rewritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE

NO_TIME = "no_time"  # no allowed time before the request expires
FIRST = "first"  # a first attempt, as soon as the rules allow
RETRY = "retry"  # after an attempt's outcome (``outcome``), a back-off first
CHANCE = "chance"  # the model's pick: ``chance`` of an answer, ``lead`` value, ``season``
CODES = (NO_TIME, FIRST, RETRY, CHANCE)

# The English sentences stored before the codes, read back into them.
_LEGACY = (
    (re.compile(r"no allowed time before the request expires"), NO_TIME),
    (re.compile(r"as soon as allowed"), FIRST),
    (re.compile(r"retry after (?P<outcome>\w+)"), RETRY),
    (
        re.compile(
            r"P\(answer\) (?P<chance>\d+)% in this hour, lead value (?P<lead>[\d.]+)"
            r"(?:, season (?P<season>.+))?"
        ),
        CHANCE,
    ),
)


@dataclass(frozen=True, slots=True)
class PlanReason:
    """A policy's reason: its code and the values its words take."""

    code: str
    values: Mapping[str, str | float] = field(default_factory=dict)

    def stored(self) -> str:
        """The form ``plan_reason`` keeps."""
        return json.dumps({"code": self.code, **self.values}, sort_keys=True)

    def said(self, text: ConsoleText) -> str:
        """The reason in ``text``'s language."""
        v = self.values
        if self.code == RETRY:
            outcome = str(v.get("outcome", ""))
            return text(
                "plan_reason.retry", outcome=text.strings.get(f"attempt.{outcome}", outcome)
            )
        if self.code == CHANCE:
            # One chance, the customer's at the planned time; the lead value stays in the
            # stored JSON (a weight, not a probability: saying both read as two chances).
            words = text("plan_reason.chance", chance=text.percent(float(v.get("chance", 0.0))))
            season = v.get("season")
            return words + (text("plan_reason.season", season=season) if season else "")
        return text(f"plan_reason.{self.code}")

    def __str__(self) -> str:
        return self.said(load_console_text(DEFAULT_LANGUAGE))


def no_time() -> PlanReason:
    return PlanReason(NO_TIME)


def first() -> PlanReason:
    return PlanReason(FIRST)


def retry(outcome: str) -> PlanReason:
    return PlanReason(RETRY, {"outcome": outcome})


def chance(probability: float, lead_value: float, season: str | None) -> PlanReason:
    values: dict[str, str | float] = {"chance": probability, "lead": round(lead_value, 4)}
    if season:
        values["season"] = season
    return PlanReason(CHANCE, values)


def read_reason(stored: str) -> PlanReason | None:
    """The code and values of a stored reason (JSON, or an English sentence of the kinds
    the policies wrote before); None for text of any other kind."""
    if stored.startswith("{"):
        try:
            data = json.loads(stored)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("code") in CODES:
            code = str(data.pop("code"))
            kept = {
                k: v
                for k, v in data.items()
                if isinstance(v, str | int | float) and not isinstance(v, bool)
            }
            return PlanReason(code, kept)
        return None
    for pattern, code in _LEGACY:
        found = pattern.fullmatch(stored)
        if found:
            values: dict[str, str | float] = {
                k: v for k, v in found.groupdict().items() if v is not None
            }
            if code == CHANCE:
                values["chance"] = int(found["chance"]) / 100
                values["lead"] = float(found["lead"])
            return PlanReason(code, values)
    return None


def stored_chance(stored: str | None) -> float | None:
    """The chance of an answer a stored model's pick stated for its hour (None: a reason of
    another kind, or none). A request keeps its plan's reason until the call, so the
    attempt logs the chance its plan stated."""
    why = read_reason(stored) if stored else None
    if why is None or why.code != CHANCE:
        return None
    value = why.values.get("chance")
    return float(value) if isinstance(value, int | float) else None


def reason_words(stored: str | None, text: ConsoleText) -> str | None:
    """A stored ``plan_reason`` in ``text``'s language; text of no known kind as stored."""
    if not stored:
        return None
    reason = read_reason(stored)
    return reason.said(text) if reason else stored
