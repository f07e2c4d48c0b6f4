"""What `spillway callbacks show ID` prints: one request as an admin needs to see it.

A pure function over the request's row and its attempts: who (number, name),
why (reason, source), where it stands (status, timing, the plan), when (the
customer's window, the deadline and the expiry, in the shop's zone, named),
every attempt with its time and outcome, and the command that explains the
timing. The promise, the next call and the timing are the ones `callbacks
explain` gives (:class:`scheduler.timing.explain.Promise`), never worked out
here a second time. Every label and sentence is the console's language pack
(``cli.show`` in console.yaml), stored codes (status, source, outcome, policy)
in its words, the reason as the console's pages word it
(:func:`web.reason_words.request_words`: "complaint" is a complaint in the admin's
language, a shop's own text as written); stored values are escaped for the terminal
(:func:`shown`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cli.terminal_text import shown
from scheduler.stored_promise import promise_spoken
from scheduler.timing.choice import policy_word
from scheduler.timing.explain import TIMING_REASONS, Promise
from scheduler.timing.plan_reason import reason_words
from spillway.console_text import ConsoleText
from spillway.request_problem import problem_words
from web.reason_words import request_words


def aligned(rows: Sequence[tuple[str, str]]) -> list[str]:
    """``(label, value)`` rows as card lines, each label and its colon padded to the
    longest label's width so the values line up in any language ("kundens tidszone:" is
    longer than any English label)."""
    width = max((len(label) + 1 for label, _ in rows), default=0)
    return [f"  {label + ':':<{width}} {value}" for label, value in rows]


def moment(ts: float | None, zone: ZoneInfo) -> str:
    """A moment in ``zone``, with the zone's abbreviation (CET, CEST); '-' for none."""
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M %Z") if ts else "-"


def code_word(text: ConsoleText, group: str, code: str) -> str:
    """A stored code (a status, a source) in the pack's words; one it has no word for as
    it is stored."""
    return text.strings.get(f"{group}.{code}", code)


def timing_words(
    timing: str, timing_reason: str | None, text: ConsoleText, *, to_customer: bool = False
) -> str:
    """Which timing a request has and why, in the pack's words; ``to_customer``: said to
    the customer (`callbacks explain`), whose own choice is "you asked", not "the
    customer asked" among sentences that call them "you"."""
    timing = "conventional" if timing == "traditional" else timing
    reason = timing_reason if timing_reason in TIMING_REASONS else "unknown"
    said = f"timing_reason.{reason}"
    if to_customer and f"{said}_you" in text.strings:
        said += "_you"
    return text(
        "request.timing_value",
        timing=code_word(text, "policy", timing),
        reason=text(said),
    )


def _policy(text: ConsoleText, stored: object) -> str:
    return code_word(text, "policy", policy_word(str(stored)))


def _planner(row: Mapping[str, Any], zone: ZoneInfo, text: ConsoleText) -> str | None:
    """How the next call's hour was chosen (the request's planned_by: the timing the dialler
    chose it by, with what chance and why; none yet until the call falls due), or that a
    call is under way; None: a closed request."""
    status = str(row["status"])
    if status == "dialling":
        return text("cli.show.chosen_dialling", when=moment(row.get("claimed_at"), zone))
    if status != "pending":
        return None
    if row.get("planned_by") is None:
        return text("cli.show.chosen_not_yet")
    # One chance: the customer's of answering at the planned time, in the reason's words.
    # The stored plan_pick_share is how often the policy's draws chose that time (its
    # propensity, for the pilot's statistics), not that chance: `--json` keeps it.
    said = reason_words(row.get("plan_reason"), text)
    reason = f": {said}" if said else ""
    return text("cli.show.chosen_by", policy=_policy(text, row["planned_by"])) + reason


def _expiry(planned: Promise, zone: ZoneInfo, text: ConsoleText) -> str:
    """The expiry, or the end of the customer's window when it comes first: no call comes
    after it (the rules refuse every later moment, so the dialer closes the request
    unreached at its last failed call in the window, or when it next looks)."""
    expires = moment(planned.expires_at, zone)
    if planned.window_end is not None:
        ends = moment(planned.window_end, zone)
        return text("cli.show.expires_window", when=expires, ends=ends)
    return text("cli.show.expires_value", when=expires)


def request_card(
    row: Mapping[str, Any],
    attempts: Sequence[Mapping[str, Any]],
    planned: Promise,
    *,
    zone: ZoneInfo,
    text: ConsoleText,
    told: str | None = None,
) -> list[str]:
    """The lines `callbacks show` prints for ``row`` (Rich markup, stored values escaped),
    in ``text``'s language; ``planned``: its promise and next call, as `callbacks explain`
    says them; ``told``: what the customer was told, quoted in their language when it is
    not ``text``'s (:func:`cli.customer_quote.customer_quote`)."""
    t = text

    rows: list[tuple[str, str]] = []  # (label, value), aligned at the end

    def line(label: str, value: str) -> None:
        rows.append((t(f"cli.show.{label}"), value))

    request_id = row["id"]
    window = (
        t(
            "cli.show.window_value",
            start=moment(row.get("not_before"), zone),
            end=moment(row.get("not_after"), zone),
        )
        if row.get("not_after")
        else t("cli.show.no_window")
    )
    context = row.get("context") or {}
    merged = (json.loads(context) if isinstance(context, str) else context).get("merged", [])
    source = shown(code_word(t, "source", str(row["source"])))
    if row.get("call_id"):
        source = t("cli.show.source_call", source=source, call=shown(row["call_id"]))
    status = code_word(t, "status", str(row["status"]))
    heading = t("cli.show.heading", id=request_id, status=shown(status), zone=zone.key)
    line("number", shown(row["phone"]))
    line("name", shown(row.get("name") or "-"))
    line("reason", shown(request_words(t, row.get("reason")).words or "-"))
    line("source", source)
    line("created", moment(row.get("created_at"), zone))
    line("timing", shown(timing_words(planned.timing, planned.timing_reason, t)))
    line("window", window)
    line("customer_zone", shown(row.get("timezone") or "-"))
    # A deadline no caller was told is the shop's aim, not a promise (stored_promise).
    deadline = "deadline_value" if promise_spoken(row) else "deadline_aim_value"
    line("deadline", t(f"cli.show.{deadline}", when=moment(planned.promised_by, zone)))
    line("expires", _expiry(planned, zone, t))
    # The words `callbacks explain` says; its times are in the customer's zone.
    plan = " ".join(planned.timeline)
    if planned.timezone != zone.key:
        plan = t("cli.show.plan_zone", plan=plan, zone=planned.timezone)
    line("plan", shown(plan))
    if told is not None:
        line("told", shown(told))
    planner = _planner(row, zone, t)
    if planner is not None:
        line("chosen", shown(planner))
    if row.get("closed_at"):
        line("closed", moment(row["closed_at"], zone))
    if problem := problem_words(row.get("last_error"), t):
        line("last_error", shown(problem))
    if merged:
        line("joined", t.count("cli.show.joined_value", len(merged)))
    line("attempts", str(len(attempts)))
    line("why", f"spillway callbacks explain {request_id}")
    *facts, attempts_line, why_line = aligned(rows)
    lines = [f"[bold]{heading}[/]", *facts, attempts_line]
    for a in attempts:
        ended = (
            t("cli.show.attempt_ended", when=moment(a["ended_at"], zone))
            if a.get("ended_at")
            else ""
        )
        outcome = code_word(t, "attempt", str(a["outcome"])) if a.get("outcome") else None
        lines.append(
            "    "
            + t(
                "cli.show.attempt",
                no=a["attempt_no"],
                when=moment(a["started_at"], zone),
                outcome=shown(outcome or t("cli.show.under_way")),
                ended=ended,
                policy=shown(_policy(t, a["policy"])),
            )
        )
    lines.append(why_line)
    return lines
