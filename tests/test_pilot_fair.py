"""A fair pilot: what a Danish team lead found on the Pilot page during a live 50/50 pilot.

Requests nobody had called yet counted as misses (predicted timing waits by design, so
its arm was judged on calls it had not made); "fra 23 %" came from nowhere on screen; a
50/50 pilot read as "timed by prediction now"; a conventional median of 0,00 t went
unexplained and the summary did not say predicted timing reached customers later; and
a simulated month was counted together with the real requests. Pure functions over
records here; the page and the command read the same report (tests/test_pilot_report.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.contact_facts import RequestRecord
from scheduler.pilot.report import (
    PRIOR_BASELINE,
    PilotRows,
    pilot_report,
    split_rows,
)
from spillway.callback_settings import PilotSettings
from spillway.console_text import load_console_text
from web.pilot_page import summary
from web.pilot_summary import (
    baseline_words,
    left_out_words,
    policy_now,
    waiting_words,
    zero_median_words,
)

H = 3600.0


def _record(status: str, hours: list[float], answered: bool = True) -> RequestRecord:
    """A request made at 0 with attempts ``hours`` after it, the last answered if
    ``answered`` (and the status says done)."""
    reached = answered and bool(hours)
    return RequestRecord(
        created_at=0.0,
        status=status,
        policy=None,
        attempts=len(hours),
        first_attempt_answered=reached and len(hours) == 1,
        contacted_at=hours[-1] * H if reached else None,
        contact_attempt_no=len(hours) if reached else None,
    )


def _arms(extra_waiting: int = 0) -> PilotRows:
    """Predicted: 3 of 5 reached at the first attempt; conventional: 2 of 5. Each arm
    also has ``extra_waiting`` requests nobody has called yet (predicted twice as many)."""
    rows = PilotRows()
    rows.arms["predicted"] = [_record("done", [1.0])] * 3 + [
        _record("unreached", [1, 3], False)
    ] * 2
    rows.arms["conventional"] = [_record("done", [0.5])] * 2 + [
        _record("unreached", [0, 2], False)
    ] * 3
    rows.arms["predicted"] += [_record("pending", [])] * (2 * extra_waiting)
    rows.arms["conventional"] += [_record("pending", [])] * extra_waiting
    return rows


def test_a_request_nobody_has_called_yet_is_no_miss() -> None:
    """Adding uncalled requests moved the figures (50,9/47,5 % -> 50,4/47,1 %), most in
    the arm that waits by design: they are now in no rate, and counted apart per arm."""
    settings = PilotSettings()
    before = pilot_report(_arms(), settings)
    after = pilot_report(_arms(extra_waiting=6), settings)
    assert before["primary"]["predicted"] == after["primary"]["predicted"] == 0.6
    assert before["primary"]["conventional"] == after["primary"]["conventional"] == 0.4
    assert after["primary"]["n"] == {"predicted": 5, "conventional": 5}
    for a, b in zip(before["secondary"], after["secondary"], strict=True):
        assert (a["predicted"], a["conventional"], a["n"]) == (
            b["predicted"],
            b["conventional"],
            b["n"],
        ), a["key"]
    assert after["arms"]["predicted"]["waiting_first_call"] == 12
    assert after["arms"]["conventional"]["waiting_first_call"] == 6


def test_only_waiting_requests_give_no_rate_rather_than_zero() -> None:
    """Four fresh pilot requests read "0,0 % mod 0,0 %": with no outcome known there is
    no rate, and the summary says that none is called yet and how many wait."""
    rows = PilotRows()
    rows.arms["predicted"] = [_record("pending", [])] * 2
    rows.arms["conventional"] = [_record("pending", [])] * 2
    report = pilot_report(rows, PilotSettings(share_predicted=0.5))
    primary = report["primary"]
    assert (primary["predicted"], primary["conventional"]) == (None, None)
    assert primary["n"] == {"predicted": 0, "conventional": 0}
    text = load_console_text("da")
    said = summary(text, report)
    assert "0,0 %" not in said
    # Said once and plainly: none is called yet, not "0 med forudsagt og 0 med konventionel".
    assert said.startswith("Endnu intet at sammenligne: ingen af pilotens 4 tilbagekald er ")
    assert said.endswith("(2 med forudsagt og 2 med konventionel timing).")
    assert (
        " 0 med " not in said and text("pilot.waiting", predicted="2", conventional="2") not in said
    )


def test_what_may_still_change_is_left_out_and_what_is_settled_is_counted() -> None:
    """An open request with a first unanswered attempt is known for the first attempt,
    not yet for "within 3"; one cancelled before any call is a miss of its arm (its wait
    may be why), and its outcome is known."""
    called_once = _record("pending", [1.0], answered=False)
    assert called_once.known_within(1) and not called_once.known_within(3)
    assert not called_once.settled and not called_once.waiting_first_call
    cancelled = _record("cancelled", [])
    assert cancelled.known_within(1) and cancelled.known_within(3) and cancelled.settled
    invalid = _record("invalid_number", [])
    assert not invalid.known_within(1) and not invalid.waiting_first_call
    rows = PilotRows()
    rows.arms["predicted"] = [_record("done", [1.0]), cancelled, called_once]
    rows.arms["conventional"] = [_record("done", [1.0])]
    report = pilot_report(rows, PilotSettings())
    assert report["primary"]["n"]["predicted"] == 3  # all three: first attempt known
    assert report["primary"]["predicted"] == pytest.approx(1 / 3, abs=1e-4)
    within = report["secondary"][0]
    assert within["key"] == "contact_within_3_attempts" and within["n"]["predicted"] == 2


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_baseline_of_a_sample_size_says_where_it_comes_from(language: str) -> None:
    text = load_console_text(language)
    empty = pilot_report(PilotRows(), PilotSettings())["primary"]
    assert empty["baseline"] == {"rate": PRIOR_BASELINE, "source": "assumed"}
    said = baseline_words(text, [empty])
    assert text.percent(PRIOR_BASELINE) in said
    assert said == text(
        "pilot.sample_from.assumed",
        kpi=text("pilot.kpis.first_attempt_contact_rate"),
        baseline=text.percent(PRIOR_BASELINE),
    )
    measured = pilot_report(_arms(), PilotSettings())["primary"]
    assert measured["baseline"] == {"rate": 0.4, "source": "conventional"}
    assert text("pilot.sample_from.conventional", kpi="", baseline="")[3:20] in baseline_words(
        text, [measured]
    )


def test_a_median_of_zero_hours_is_said_to_be_real() -> None:
    """The conventional rule calls the moment the customer asks: over half of its
    contacts at 0 h make a median of 0,00 t, which is no error, and the page says so."""
    rows = _arms()
    rows.arms["conventional"] = [_record("done", [0.0])] * 3 + [_record("done", [2.0])] * 2
    report = pilot_report(rows, PilotSettings())
    hours = report["secondary"][-1]
    assert hours["key"] == "median_hours_to_contact" and hours["conventional"] == 0.0
    assert hours["at_once"] == {"predicted": 0, "conventional": 3}
    text = load_console_text("da")
    said = zero_median_words(text, [hours])
    assert said == text("pilot.zero_median", arm="konventionel", at_once="3", reached="5")
    # The summary states the loss beside the win: predicted reached customers later.
    assert "Til gengæld nåede den forudsagte timing kunderne cirka 1,0 t senere" in summary(
        text, report
    )
    assert zero_median_words(text, [{**hours, "conventional": 0.5}]) == ""


def _row(simulated: bool, timing: str, reason: str = "pilot") -> tuple[Any, ...]:
    return (_record("done", [1.0]), timing, reason, simulated)


def test_real_and_simulated_requests_are_never_counted_together() -> None:
    simulated = [_row(True, "predicted")] * 5 + [_row(True, "conventional")] * 4
    real = [_row(False, "predicted"), _row(False, "conventional"), _row(False, "x", "customer")]
    both = split_rows(simulated + real)
    assert both.kind == "real"
    assert {a: len(r) for a, r in both.arms.items()} == {"predicted": 1, "conventional": 1}
    assert len(both.opted_out) == 1 and both.left_out == {"predicted": 5, "conventional": 4}
    alone = split_rows(simulated)
    assert alone.kind == "simulated" and alone.simulated == {"predicted": 5, "conventional": 4}
    assert alone.left_out == {"predicted": 0, "conventional": 0}
    asked = split_rows(simulated + real, "simulated")
    assert asked.kind == "simulated" and asked.left_out == {"predicted": 1, "conventional": 1}
    report = pilot_report(both, PilotSettings())
    assert report["data"] == "real"
    assert report["left_out"] == {"predicted": 5, "conventional": 4, "kind": "simulated"}
    text = load_console_text("da")
    said = left_out_words(text, report, "cli")
    assert "9 tilbagekald skrevet af spillway simulate --store er udeladt" in said
    assert "spillway db purge-simulated" in said
    assert "spillway report pilot --data simulated" in said
    assert left_out_words(text, pilot_report(alone, PilotSettings()), "page") == ""


def test_a_running_pilot_is_named_rather_than_the_policy() -> None:
    assert policy_now(PilotSettings(), "predicted") == ("pilot.policy_now.predicted", {})
    key, values = policy_now(PilotSettings(share_predicted=0.5), "predicted")
    assert (key, values) == ("pilot.policy_now.pilot", {"share": 0.5})
    key, values = policy_now(PilotSettings(share_predicted=0.3, queues=("b2b",)), "traditional")
    assert key == "pilot.policy_now.pilot_queues" and values["queues"] == "b2b"


@pytest.mark.parametrize("language", ["en", "da"])
def test_waiting_requests_are_said_per_group(language: str) -> None:
    text = load_console_text(language)
    arms = {"predicted": {"waiting_first_call": 12}, "conventional": {"waiting_first_call": 5}}
    assert waiting_words(text, arms) == text("pilot.waiting", predicted="12", conventional="5")
    none = {arm: {"waiting_first_call": 0} for arm in arms}
    assert waiting_words(text, none) == ""
