"""The pilot's overall verdict: what was shown, what it cost, and whether it pays.

A pure decision over :func:`scheduler.pilot.report.pilot_report`'s dict, worded by
the console's Pilot page and `spillway report pilot` ("In short"):

- ``shown``: what the primary KPI, first-attempt contact, showed: "better" or
  "worse" (the interval excludes 0), "unproven" (it may be chance), "too_few";
- ``costs``: the other KPIs on which predicted timing did significantly worse.
  A verdict drawn from first-attempt contact alone while time to first contact
  is significantly worse told a team lead "it pays" of a trade-off; with costs
  beside a better primary the headline is "mixed", and it names them;
- ``money``: "pays" only when the ROI's terms are set (an investment) and its
  whole interval is above 0; "does_not_pay" when it is below; "uncertain" when
  it covers 0; "unpriced" without an investment; "uncounted" when an arm has no
  callbacks. Reaching more customers is not paying: only the ROI says that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BETTER, WORSE = "predicted better", "predicted worse"


@dataclass(frozen=True, slots=True)
class PilotVerdict:
    shown: str  # "better", "worse", "unproven" or "too_few": the primary KPI
    costs: tuple[str, ...]  # keys of the other KPIs significantly worse with predicted timing
    money: str  # "pays", "does_not_pay", "uncertain", "unpriced" or "uncounted"

    @property
    def headline(self) -> str:
        """ "mixed" when the primary KPI is better but another is significantly worse;
        else what the primary KPI showed."""
        return "mixed" if self.shown == "better" and self.costs else self.shown

    @property
    def pays(self) -> bool:
        return self.money == "pays"


def shown(primary: dict[str, Any]) -> str:
    """What the primary KPI showed: "better", "worse", "unproven" or "too_few"."""
    if primary["verdict"] == BETTER:
        return "better"
    if primary["verdict"] == WORSE:
        return "worse"
    if primary["predicted"] is None or primary["conventional"] is None:
        return "too_few"
    if not primary["interval"] or primary["n_needed_per_arm"] is None:
        return "too_few"
    return "unproven"


def money_verdict(money: dict[str, Any] | None) -> str:
    """Whether the ROI says the timing pays (see the module's docstring); None (figures
    without their money, as the Overview counts them): "uncounted"."""
    if money is None or money["terms"]["saved_cost"] is None:
        return "uncounted"
    if money["roi"] is None or not money["terms"]["investment"]:
        return "unpriced"
    interval = (money.get("intervals") or {}).get("roi")
    if not interval:
        return "uncertain"
    low, high = interval
    if low > 0:
        return "pays"
    if high < 0:
        return "does_not_pay"
    return "uncertain"


def pilot_verdict(report: dict[str, Any]) -> PilotVerdict:
    """The verdict of a pilot report (pure)."""
    return PilotVerdict(
        shown=shown(report["primary"]),
        costs=tuple(k["key"] for k in report["secondary"] if k["verdict"] == WORSE),
        money=money_verdict(report.get("money")),
    )
