"""What the pilot's summary says beside its verdict, the same on the Pilot page and in
`spillway report pilot`: pure functions from the report's dict to sentences.

- :func:`policy_now` names how new requests are timed now, the pilot first when one
  is on (a page that said "timed by prediction" during a 50/50 pilot misled);
- :func:`waiting_words` counts per arm the requests nobody has called yet, which no
  rate counts until their first call (predicted timing waits by design);
- :func:`trade_offs` says where predicted timing does worse than the conventional
  one, proven or not (a summary that tells only the win is not a summary);
- :func:`baseline_words` says where each rate's sample size starts from: the
  conventional group's own rate, or an assumed one before it has known outcomes;
- :func:`zero_median_words` says why a median of 0,00 h is no error;
- :func:`left_out_words` says which requests were left out (real and simulated
  ones are never counted together) and how to see or remove them.
"""

from __future__ import annotations

from typing import Any

from scheduler.pilot.report import ARMS, AT_ONCE_H, REAL, shown_value
from spillway.callback_settings import PilotSettings
from spillway.console_text import ConsoleText

# How to see the other kind of request than the one counted, on the page and the CLI.
SHOW_OTHER = {
    "page": {"simulated": "/pilot?data=simulated", "real": "/pilot?data=real"},
    "cli": {
        "simulated": "spillway report pilot --data simulated",
        "real": "spillway report pilot --data real",
    },
}
PURGE = "spillway db purge-simulated"
SIMULATE = "spillway simulate --store"


def policy_now(pilot: PilotSettings, policy: str) -> tuple[str, dict[str, Any]]:
    """The pack key of how new requests are timed now and its values besides
    ``setting``: the pilot's share when one is on, else ``callbacks.policy``."""
    if pilot.share_predicted is None:
        return f"pilot.policy_now.{policy}", {}
    share = {"share": pilot.share_predicted}
    if pilot.queues:
        return "pilot.policy_now.pilot_queues", share | {"queues": ", ".join(pilot.queues)}
    return "pilot.policy_now.pilot", share


def policy_setting(pilot: PilotSettings) -> str:
    """The setting :func:`policy_now`'s sentence names."""
    return (
        "callbacks.policy" if pilot.share_predicted is None else "callbacks.pilot.share_predicted"
    )


def waiting_words(text: ConsoleText, arms: dict[str, dict[str, Any]]) -> str:
    """Per arm, the requests still waiting for their first call ("" when none)."""
    waiting = {arm: int(arms[arm].get("waiting_first_call", 0)) for arm in ARMS}
    if not any(waiting.values()):
        return ""
    return text(
        "pilot.waiting",
        predicted=text.number(waiting["predicted"]),
        conventional=text.number(waiting["conventional"]),
    )


def _figure(text: ConsoleText, key: str, value: float | None) -> str:
    return with_unit(text, key, localised(text, shown_value(key, value)))


def localised(text: ConsoleText, shown: str) -> str:
    """A figure as the report shows it ("+30.0 pts [-11.8, +60.1]", "61.5%") with the
    language's decimal mark, percent, points and interval separator."""
    mark = text("format.decimal_mark")
    if mark == ".":
        return shown.replace(" pts", " " + text("pilot.points"))
    shown = shown.replace(", ", "; ").replace(".", mark).replace(" pts", " " + text("pilot.points"))
    if shown.endswith("%"):
        return text("format.percent", value=shown[:-1])
    return shown


# The KPIs counted in hours: the report's figures for them are bare numbers ("3.00").
HOURS_KPIS = frozenset({"median_hours_to_contact"})


def with_unit(text: ConsoleText, key: str, shown: str) -> str:
    """A KPI's shown figure with its unit where the figure alone does not say it:
    "3,00 t", "-3,00 t [-17,02; +3,00]" (hours); others, and "-", as they are."""
    if key not in HOURS_KPIS or shown == "-":
        return shown
    figure, bracket, interval = shown.partition(" [")
    return text("format.duration_h", n=figure) + bracket + interval


def trade_offs(text: ConsoleText, secondary: list[dict[str, Any]]) -> str:
    """A sentence per secondary KPI on which predicted timing did worse, said with both
    figures and whether the difference may be chance ("" when it did worse on none)."""
    said = []
    for kpi in secondary:
        p, c = kpi["predicted"], kpi["conventional"]
        if p is None or c is None or p == c or (p > c) == (kpi["better"] == "higher"):
            continue
        proof = text(
            "pilot.in_short.loss_proven"
            if kpi["verdict"] == "predicted worse"
            else "pilot.in_short.loss_chance"
        )
        figures = {
            "predicted": _figure(text, kpi["key"], p),
            "conventional": _figure(text, kpi["key"], c),
            "proof": proof,
        }
        if kpi["key"] == "median_hours_to_contact":
            later = text("format.duration_h", n=text.number(p - c, 1))
            said.append(text("pilot.in_short.later", hours=later, **figures))
        else:
            name = text(f"pilot.kpis.{kpi['key']}")
            said.append(text("pilot.in_short.loss", kpi=name[:1].lower() + name[1:], **figures))
    return " ".join(said)


def baseline_words(text: ConsoleText, kpis: list[dict[str, Any]]) -> str:
    """Where each rate's sample size starts from ("" when no KPI has a baseline)."""
    said = []
    for kpi in kpis:
        base = kpi.get("baseline")
        if not base:
            continue
        said.append(
            text(
                f"pilot.sample_from.{base['source']}",
                kpi=text(f"pilot.kpis.{kpi['key']}"),
                baseline=text.percent(base["rate"]),
            )
        )
    return " ".join(said)


def zero_median_words(text: ConsoleText, kpis: list[dict[str, Any]]) -> str:
    """Why an arm's median hours to contact shows as 0,00 h ("" when none does): more
    than half the customers it reached answered a call made within a minute."""
    said = []
    for kpi in kpis:
        if "at_once" not in kpi:
            continue
        for arm in ARMS:
            value = kpi[arm]
            if value is not None and value < AT_ONCE_H:
                said.append(
                    text(
                        "pilot.zero_median",
                        arm=text(f"pilot.{arm}"),
                        at_once=text.number(kpi["at_once"][arm]),
                        reached=text.number(kpi["n"][arm]),
                    )
                )
    return " ".join(said)


def left_out_words(text: ConsoleText, report: dict[str, Any], where: str) -> str:
    """Which requests of the window were left out, and how to see or remove them ("" when
    none); ``where``: "page" or "cli", for how to show them."""
    found = left_out_values(text, report, where)
    return "" if found is None else text(found[0], **found[1])


def left_out_values(
    text: ConsoleText, report: dict[str, Any], where: str
) -> tuple[str, dict[str, str]] | None:
    """:func:`left_out_words`'s pack key and values (None: nothing left out), for a page
    that makes its ``show`` a link."""
    left = report.get("left_out") or {}
    counts = {arm: int(left.get(arm, 0)) for arm in ARMS}
    total = sum(counts.values())
    if not total:
        return None
    kind = left["kind"]
    return f"pilot.left_out.{kind}", {
        "count": text.count("count.requests", total),
        "predicted": text.number(counts["predicted"]),
        "conventional": text.number(counts["conventional"]),
        "simulate": SIMULATE,
        "purge": PURGE,
        "show": SHOW_OTHER[where][kind],
    }


def counted_kind(report: dict[str, Any]) -> str:
    """Which requests the figures are over: "real" or "simulated"."""
    return str(report.get("data", REAL))
