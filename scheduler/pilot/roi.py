"""The pilot's money: cost per callback per arm, and the ROI of predicted timing.

The material's formula, ROI = (saved cost + extra revenue - investment) / investment,
with the conventional arm as the baseline the predicted arm is measured against,
both scaled to the predicted arm's callbacks (what the predicted timing did
with the callbacks it got):

- *staff cost* of an arm: its attempts x ``minutes_per_attempt`` / 60 x
  ``staff_cost_per_hour``; *cost per callback*: that over its callable requests;
- *saved cost*: (conventional cost per callback - predicted cost per callback)
  x the predicted arm's callbacks;
- *extra revenue*: (predicted contact rate - conventional contact rate) x the
  predicted arm's callbacks x ``lead_value``;
- *investment*: ``callbacks.pilot.roi.investment``, what predicted timing cost
  over the pilot. Without it (0) there is no ROI to show, and the report says so.

The conventional arm is the baseline: its ROI against itself is not a figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scheduler.contact_facts import RequestRecord
from spillway.callback_settings import PilotRoiSettings


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def arm_money(records: Sequence[RequestRecord], roi: PilotRoiSettings) -> dict[str, Any]:
    """Attempts, staff cost, cost per callback and revenue of one arm."""
    callable_ = [r for r in records if r.callable]
    attempts = sum(r.attempts for r in callable_)
    contacts = sum(r.reached for r in callable_)
    cost = attempts * roi.minutes_per_attempt / 60 * roi.staff_cost_per_hour
    return {
        "callbacks": len(callable_),
        "attempts": attempts,
        "contacts": contacts,
        "staff_cost": round(cost, 2),
        "cost_per_callback": _round(cost / len(callable_)) if callable_ else None,
        "revenue": round(contacts * roi.lead_value, 2),
        "contact_rate": contacts / len(callable_) if callable_ else None,
    }


def pilot_roi(arms: Mapping[str, Sequence[RequestRecord]], roi: PilotRoiSettings) -> dict[str, Any]:
    """Cost per callback per arm, and the predicted arm's ROI against the conventional one."""
    pred, conv = arm_money(arms["predicted"], roi), arm_money(arms["conventional"], roi)
    saved = extra = value = None
    why = ""
    if pred["callbacks"] and conv["callbacks"]:
        n = pred["callbacks"]
        # Unrounded per-callback costs: the rounding is for the eye, not for the sums.
        cpc_conv = conv["staff_cost"] / conv["callbacks"]
        cpc_pred = pred["staff_cost"] / pred["callbacks"]
        saved = (cpc_conv - cpc_pred) * n
        extra = (pred["contact_rate"] - conv["contact_rate"]) * n * roi.lead_value
        if roi.investment > 0:
            value = (saved + extra - roi.investment) / roi.investment
        else:
            why = "set callbacks.pilot.roi.investment to see the ROI"
    else:
        why = "both arms need callbacks"
    for arm in (pred, conv):
        arm["contact_rate"] = _round(arm["contact_rate"], 4)
    return {
        "formula": "ROI = (saved cost + extra revenue - investment) / investment",
        "settings": roi.model_dump(),
        "arms": {
            "predicted": {**pred, "roi": _round(value, 4)},
            "conventional": {**conv, "roi": None, "baseline": True},
        },
        "terms": {
            "saved_cost": _round(saved),
            "extra_revenue": _round(extra),
            "investment": roi.investment,
        },
        "roi": _round(value, 4),
        "note": why,
        "explained": {
            "staff_cost": "attempts x minutes_per_attempt / 60 x staff_cost_per_hour",
            "cost_per_callback": "staff cost / callable requests",
            "saved_cost": "(conventional - predicted cost per callback) x predicted callbacks",
            "extra_revenue": "(predicted - conventional contact rate) x predicted callbacks"
            " x lead_value",
            "investment": "callbacks.pilot.roi.investment: what predicted timing cost",
        },
    }
