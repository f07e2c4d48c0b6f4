"""What happens next to a callback request and what it was promised, as lines with the
facts left unsaid: each reader says them in its own words.

:func:`timeline` decides which statements are true of a request (the promise, kept or
not; the next call, and why it is later than promised); a :class:`PlanLine` names the
statement (``key``: a deadline no caller was told is the ``aim``, not the ``promise``)
and carries its moments as timestamps, its status as stored. The customer's words
(`spillway callbacks explain`, `callbacks show`: the ``explain_<key>`` prompts, which
speak to the customer) are :func:`said_to_customer`'s; the console's request page says
the same lines to the team lead, about the customer, from its own pack (``plan.<key>``
in console.yaml) and with the console's date format.

A line about the calling hours points at them ("see the hours below") only where the
week's hours are listed after it (`callbacks explain`'s heatmap, the console page);
elsewhere (`callbacks show`, the JSON of `explain` and `gdpr export`) it is said by its
``explain_<key>_alone`` wording, which stands on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from scheduler.stored_promise import promise_spoken
from spillway.console_text import load_console_text
from spillway.language_pack import LanguagePack
from spillway.request_problem import problem_words

OPEN_STATUSES = ("pending", "dialling")
# The suffix of a line's wording that points at no list of hours (see the module's doc).
ALONE = "_alone"


class PlannedHour(Protocol):
    """One hour of the coming week: when it starts and whether a call may fall in it."""

    @property
    def starts_at(self) -> float: ...

    @property
    def allowed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One statement of the timeline: its key, its moments (timestamps) and other values."""

    key: str
    times: dict[str, float] = field(default_factory=dict)
    status: str | None = None  # a closed request's status, as stored
    why: str | None = None  # a closed request's last error, as stored (worded when said)


def customer_when(ts: float, zone: ZoneInfo, pack: LanguagePack) -> str:
    """A moment in the customer's local time, as the shop's language writes it."""
    local = datetime.fromtimestamp(ts, zone)
    return pack.say(
        "explain_when",
        weekday=pack.reading.weekdays[local.weekday()],
        day=local.day,
        month=pack.reading.months[local.month - 1],
        hour=local.hour,
        minute=local.minute,
    )


def status_word(status: str, pack: LanguagePack) -> str:
    """A closed request's status in the shop's language (an unknown one as it is)."""
    key = f"explain_status_{status}"
    return pack.say(key) if key in pack.prompts else status.replace("_", " ")


def said_to_customer(
    lines: Sequence[PlanLine], zone: ZoneInfo, pack: LanguagePack, *, hours_follow: bool = False
) -> list[str]:
    """The lines as the customer hears them (the ``explain_*`` prompts); ``hours_follow``:
    the week's hours are listed after them, so a line may point at them."""
    said = []
    for line in lines:
        values: dict[str, Any] = {k: customer_when(v, zone, pack) for k, v in line.times.items()}
        if line.status is not None:
            values["status"] = status_word(line.status, pack)
        if line.why is not None:
            values["why"] = problem_words(line.why, load_console_text(pack.code))
        key = f"explain_{line.key}"
        if not hours_follow and f"{key}{ALONE}" in pack.prompts:
            key += ALONE
        said.append(pack.say(key, **values))
    return said


def timeline(
    row: dict[str, Any],
    week: Sequence[PlannedHour],
    *,
    now: float,
    deadline_at: float,
    first_attempt_at: float | None,
) -> list[PlanLine]:
    """The next call and the promise, stated so that neither contradicts the other; a
    deadline no caller was told (:func:`scheduler.stored_promise.promise_spoken`) is
    stated as the aim (``aim``, ``aim_kept``, ``aim_not_kept``), not as a promise."""
    status = str(row["status"])
    if status not in OPEN_STATUSES:
        if row.get("last_error"):
            return [PlanLine("closed_why", status=status, why=str(row["last_error"]))]
        return [PlanLine("closed", status=status)]
    said = "promise" if promise_spoken(row) else "aim"
    if first_attempt_at is not None and first_attempt_at <= deadline_at:
        promised = PlanLine(f"{said}_kept", {"deadline": deadline_at, "first": first_attempt_at})
    elif deadline_at < now:
        promised = PlanLine(f"{said}_not_kept", {"deadline": deadline_at})
    else:
        promised = PlanLine(said, {"deadline": deadline_at})
    lines = [promised]
    planned_at = row.get("not_before")
    if status == "dialling":
        lines.append(PlanLine("call_under_way"))
    elif not planned_at or planned_at <= now:
        # Due, but only callable now if the rules allow this hour: else the first that does.
        opens = next((c.starts_at for c in week if c.allowed and c.starts_at + 3600 > now), None)
        if opens is not None and opens <= now:
            lines.append(PlanLine("next_now"))
        elif opens is not None:
            lines.append(PlanLine("next_reopens", {"when": opens}))
        else:
            lines.append(PlanLine("next_none"))
    else:
        # A time the customer asked for (not before 22:00) may fall in an hour the
        # calling rules refuse: the dialler then waits for the first allowed hour.
        cell = next((c for c in week if c.starts_at <= planned_at < c.starts_at + 3600), None)
        if cell is not None and not cell.allowed:
            opens = next(
                (c.starts_at for c in week if c.allowed and c.starts_at > planned_at), None
            )
            if opens is None:
                lines.append(PlanLine("next_none"))
            else:
                lines.append(PlanLine("next_after_asked", {"when": opens, "asked": planned_at}))
            return lines
        # Not planned yet (planned_by NULL): not_before is the earliest the call may come
        # (the time asked for, the rules' next hour); the dialler picks the hour when it
        # falls due and may move it later, so it is said as the earliest, not as planned.
        key = "planned" if row.get("planned_by") is not None else "next_earliest"
        if first_attempt_at is None and planned_at > deadline_at >= now:
            if not any(c.allowed and c.starts_at < deadline_at for c in week):
                key = "planned_late_rules"
            elif row.get("planned_by") == "predicted":
                key = "planned_late_likelier"
            else:
                key = "planned_late"
        lines.append(PlanLine(key, {"when": planned_at}))
    return lines
