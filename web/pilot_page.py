"""The console's Pilot page: predicted against conventional timing, and what it is worth.

The figures are :func:`scheduler.pilot.report.pilot_report_from_store`'s, the
same `spillway report pilot --json` prints (one computation, so the page and
the command agree to the digit); counted on the store's worker thread, at most
once a minute per window (:mod:`web.figure_cache`, shared with the Overview).
The page names no customer: it shows counts only.

The Overview says in one line whether the timing pays (:func:`pays_words`): the
report's primary KPI over the last :data:`OVERVIEW_PILOT_DAYS` days, counted by the
report's own function (:func:`scheduler.pilot.report.primary_from_store`, so it agrees
with the Pilot page for those days) without the other KPIs' bootstrap, and fetched by
the Overview after it has loaded (``GET /overview/pilot``), so the Overview's own
figures never wait for it.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scheduler.pilot.report import (
    ARMS,
    REAL,
    SIMULATED,
    pilot_report_from_store,
    pilot_window,
    primary_from_store,
    shown_difference,
    shown_value,
)
from scheduler.pilot.roi_text import ROI_SETTINGS, staff_hour_words
from scheduler.pilot.stats import BOOTSTRAP_RESAMPLES
from scheduler.pilot.verdict import pilot_verdict
from spillway.console_text import ConsoleText
from spillway.settings import Settings
from spillway.storage import AsyncStore
from web.figure_cache import FigureCache
from web.kpis import days_back
from web.pages import admin_hint, code, html_words, page_text, render
from web.pilot_state import newest_request, pilot_state, state_note
from web.pilot_summary import (
    PURGE,
    SIMULATE,
    baseline_words,
    left_out_values,
    localised,
    policy_now,
    policy_setting,
    trade_offs,
    waiting_words,
    with_unit,
    zero_median_words,
)
from web.pilot_verdict_words import (
    costs_words,
    money_words,
    needed_words,
    pace_words,
    saved_words,
)


def shown_time(text: ConsoleText, iso: str, zone: str) -> str:
    """A window's end as every page of the console writes times (:meth:`ConsoleText.when`,
    the zone said beside it), not the report's ISO 8601 with its ``T`` and offset."""
    return text.when(datetime.fromisoformat(iso).timestamp(), zone)


def simulated_count(report: dict[str, Any]) -> int:
    """How many of the requests in the pilot's two arms are simulated (`simulate --store`)."""
    return sum(int(report["arms"][arm]["simulated"]) for arm in ("predicted", "conventional"))


def simulated_share(report: dict[str, Any]) -> str:
    """Whether the arms' requests are simulated: "all", "some" or "none"."""
    simulated = simulated_count(report)
    if not simulated:
        return "none"
    total = sum(int(report["arms"][arm]["requests"]) for arm in ("predicted", "conventional"))
    return "all" if simulated >= total else "some"


def verdict_words(text: ConsoleText, kpi: dict[str, Any], simulated: str = "none") -> str:
    """The KPI's verdict (the report's ``verdict``, else why there is none) in the
    console's language; in English it is the report's own ``verdict_text``. A verdict
    drawn from simulated requests (``simulated``: :func:`simulated_share`) says so in the
    cell itself: a team lead who copies the verdict copies where it came from with it
    (it is kept, not withheld: showing how the report reads is what a simulation is for)."""
    if kpi["verdict"] not in ("predicted better", "predicted worse"):
        return text("pilot.verdicts.covers_zero" if kpi["interval"] else "pilot.verdicts.too_few")
    said = text("pilot.verdicts." + ("better" if kpi["verdict"] == "predicted better" else "worse"))
    if simulated == "none":
        return said
    return text(f"pilot.verdicts.simulated_{simulated}", verdict=said)


def start_words(text: ConsoleText, pilot_set: bool, first: str | None = None) -> str:
    """The window's start when none was asked: the pilot's start, or, with no pilot set
    (``callbacks.pilot.share_predicted`` null), the first request a pilot ever drew;
    with ``first`` (the report's ``window.first_request``, ISO) when that was, pilot set
    or not: "since the first pilot request" without its date names no window."""
    if first:
        # In the shop's zone already (its offset in the ISO), as the console writes times.
        shown = datetime.fromisoformat(first).strftime("%Y-%m-%d %H:%M")
        return text("pilot.start_first" if pilot_set else "pilot.start_unset_first", first=shown)
    return text("pilot.start" if pilot_set else "pilot.start_unset")


def in_short(
    text: ConsoleText,
    primary: dict[str, Any],
    simulated: str = "none",
    waiting: dict[str, int] | None = None,
    costs: str = "",
) -> str:
    """The primary KPI's verdict as one sentence for a team lead: what it showed (more or
    fewer customers reached at the first attempt; never "pays", which only the ROI says),
    is it proven, and if not, how many callbacks it takes and how long that is; with
    ``costs`` (:func:`web.pilot_verdict_words.costs_words`) beside a better first attempt,
    the mixed sentence that names them. Drawn from simulated requests
    (``simulated``: :func:`simulated_share`), it first says the figures are simulated:
    a team lead who reads only this line must not take "pays" as a finding. ``waiting``
    (:func:`all_waiting`): every request waits for its first call, so it says that."""
    if waiting is not None:
        said = waiting_sentence(text, "pilot.in_short.none_called", waiting)
    else:
        said = _verdict_sentence(text, primary, costs)
    if simulated == "none":
        return said
    return text(f"pilot.in_short.simulated_{simulated}", said=said)


def _verdict_sentence(text: ConsoleText, primary: dict[str, Any], costs: str = "") -> str:
    n = primary["n"]
    counts = {
        "n_predicted": text.number(n["predicted"]),
        "n_conventional": text.number(n["conventional"]),
    }
    if primary["predicted"] is None or primary["conventional"] is None:
        return text("pilot.in_short.too_few", **counts)
    rates = {
        arm: localised(text, shown_value(primary["key"], primary[arm]))
        for arm in ("predicted", "conventional")
    }
    if primary["verdict"] == "predicted better":
        if costs:
            return text("pilot.in_short.mixed", **rates, costs=costs)
        return text("pilot.in_short.better", **rates)
    if primary["verdict"] == "predicted worse":
        return text("pilot.in_short.worse", **rates)
    if not primary["interval"] or primary["n_needed_per_arm"] is None:
        return text("pilot.in_short.too_few", **counts)
    return text(
        "pilot.in_short.unproven",
        **rates,
        **counts,
        needed=text.number(primary["n_needed_per_arm"]),
        effect=effect_words(text, primary["detectable_effect"]),
        pace=pace_words(text, primary),
    )


def summary(text: ConsoleText, report: dict[str, Any], currency: str | None = None) -> str:
    """The Pilot page's and `spillway report pilot`'s "In short": what the primary KPI
    showed (:func:`in_short`), mixed with the KPIs significantly worse beside a better
    first attempt (:mod:`scheduler.pilot.verdict`), the other losses, whether it pays
    (the ROI and its range, in ``currency``; None: not said), the requests still waiting
    for their first call, and, when it says how many callbacks it takes, where the rate
    that number starts from comes from."""
    primary = report["primary"]
    waiting = all_waiting(report)
    verdict = pilot_verdict(report)
    costs = costs_words(text, report["secondary"]) if verdict.headline == "mixed" else ""
    said = [in_short(text, primary, simulated_share(report), waiting, costs)]
    if primary["verdict"] is None and primary["interval"] and primary["n_needed_per_arm"]:
        said.append(baseline_words(text, [primary]))  # the "from 23 %" just said
    # The losses not already named in the mixed sentence.
    said.append(
        trade_offs(
            text, [k for k in report["secondary"] if k["key"] not in verdict.costs or not costs]
        )
    )
    if currency is not None and waiting is None:
        said.append(money_words(text, report["money"], verdict.money, currency))
    if waiting is None:  # else the first sentence said how many wait
        said.append(waiting_words(text, report["arms"]))
    return " ".join(part for part in said if part)


def all_waiting(report: dict[str, Any]) -> dict[str, int] | None:
    """Per arm, the requests waiting for their first call when the report's pilot has
    requests and every one of them still waits, so no rate counts any (None: not so).
    Then "0 callbacks with predicted and 0 with conventional timing, too few to compare"
    read as if there were none: a team lead is told none is called yet."""
    arms = report["arms"]
    requests = sum(int(arms[arm]["requests"]) for arm in ARMS)
    waiting = {arm: int(arms[arm].get("waiting_first_call", 0)) for arm in ARMS}
    n = report["primary"]["n"]
    if not requests or sum(waiting.values()) < requests or n["predicted"] or n["conventional"]:
        return None
    return waiting


def waiting_sentence(text: ConsoleText, key: str, waiting: dict[str, int], **values: object) -> str:
    """``key``'s sentence (``one``/``other``) on the requests all waiting for a first call."""
    return text.count(
        key,
        sum(waiting.values()),
        predicted=text.number(waiting["predicted"]),
        conventional=text.number(waiting["conventional"]),
        **values,
    )


def data_kind(asked: str | None) -> str | None:
    """``?data=`` / ``--data`` as the report takes it: "real", "simulated" or None (the
    real requests when there are any, else the simulated ones). ValueError: another."""
    if asked in (None, ""):
        return None
    if asked not in (REAL, SIMULATED):
        raise ValueError("data: real or simulated")
    return asked


# The Overview's pilot line counts the pilot's requests created in the last 30 days.
OVERVIEW_PILOT_DAYS = 30


def overview_since(zone: str, now: float, days: int = OVERVIEW_PILOT_DAYS) -> str:
    """The Pilot page's ``since`` for the Overview's line: the day ``days`` days before
    today in the shop's zone (from its midnight), as ``?since=`` takes it; where the
    Overview's own "last 30 days" starts too (:func:`web.kpis.days_back`)."""
    return days_back(zone, now, days).date().isoformat()


def pays_words(
    text: ConsoleText,
    primary: dict[str, Any],
    days: int,
    simulated: str = "none",
    requests: int | None = None,
    waiting: dict[str, int] | None = None,
) -> str:
    """The primary KPI as the Overview's one line: the two first-attempt rates over the
    last ``days`` days and whether the predicted timing pays, or, honestly, that it is
    too early to say and how many more callbacks it takes. Drawn from simulated requests
    (``simulated``: :func:`simulated_share`), it first says so, in the words of the Pilot
    page's "In short" (:func:`in_short`): "pays" of a simulated month is no finding.
    ``requests``: the pilot's requests in the window, also those not yet called (None:
    only those the KPI counts), so that requests waiting are not read as none at all;
    ``waiting`` (:func:`all_waiting`): every one of them waits for its first call, so the
    line says that, not "0 tilbagekald" beside the 4 waiting."""
    if waiting is not None:
        said = waiting_sentence(text, "overview.pilot.none_called", waiting, days=days)
    else:
        said = _pays_sentence(text, primary, days, requests)
    if simulated == "none":
        return said
    return text(f"pilot.in_short.simulated_{simulated}", said=said)


def left_out_note(text: ConsoleText, report: dict[str, Any], window: dict[str, str]) -> Markup:
    """Which requests were left out (:func:`web.pilot_summary.left_out_words`), its
    ``/pilot?data=simulated`` a link to them over the same ``window`` (``since``/``until``
    as asked; a note that names a page and does not open it makes the admin type it), the
    commands as code; empty when none were left out."""
    found = left_out_values(text, report, "page")
    if found is None:
        return Markup("")
    key, values = found
    asked = {name: day for name, day in window.items() if day}
    href = values["show"] + ("&" + urlencode(asked) if asked else "")
    # Said in words: the address alone ("/pilot?data=simulated") told the lead nothing.
    kind = key.rsplit(".", 1)[-1]  # pilot.left_out.<the kind left out>
    link = Markup('<a href="{}">{}</a>').format(href, text(f"pilot.left_out.link.{kind}"))
    return html_words(
        text, key, **values | {"show": link, "simulate": code(SIMULATE), "purge": code(PURGE)}
    )


def pays_line(
    text: ConsoleText, found: dict[str, Any], days: int, since: str, asked: dict[str, str]
) -> Markup:
    """The Overview's whole line: :func:`pays_words`, the window it is counted over (the
    Pilot page counts the whole pilot unless told, so without it the two read as
    contradicting), the requests still waiting, and the left-out kind (its page a link
    over the same window, ``asked`` as :func:`left_out_note` takes it)."""
    requests = sum(arm["requests"] for arm in found["arms"].values())
    waiting = all_waiting(found)
    said: list[str] = [
        pays_words(text, found["primary"], days, simulated_share(found), requests, waiting),
        text("overview.pilot.window", since=since),
        "" if waiting else waiting_words(text, found["arms"]),  # else said first
        left_out_note(text, found, asked),
    ]
    return Markup(" ").join(part for part in said if part)


def _pays_sentence(
    text: ConsoleText, primary: dict[str, Any], days: int, requests: int | None
) -> str:
    n = primary["n"]
    counts = {
        "n_predicted": text.number(n["predicted"]),
        "n_conventional": text.number(n["conventional"]),
        "days": days,
    }
    if not (n["predicted"] or n["conventional"] if requests is None else requests):
        return text("overview.pilot.none", days=days)
    if primary["predicted"] is None or primary["conventional"] is None:
        return text("overview.pilot.too_few", **counts)
    said = {
        "days": days,
        **{
            arm: localised(text, shown_value(primary["key"], primary[arm]))
            for arm in ("predicted", "conventional")
        },
    }
    if primary["verdict"] == "predicted better":
        return text("overview.pilot.pays", **said)
    if primary["verdict"] == "predicted worse":
        return text("overview.pilot.does_not_pay", **said)
    needed = primary["n_needed_per_arm"]
    if not primary["interval"] or needed is None:
        return text("overview.pilot.too_few", **counts)
    more = sum(max(0, needed - n[arm]) for arm in ("predicted", "conventional"))
    if more == 0:  # enough callbacks, and still no difference the size looked for
        return text("overview.pilot.no_difference", **(said | counts))
    return text(
        "overview.pilot.too_early",
        **said,
        more=text.number(more),
        needed=text.number(needed),
        pace=pace_words(text, primary),
    )


async def pilot_figures(
    settings: Settings,
    store: AsyncStore,
    figures: FigureCache,
    since: str | None,
    until: str | None,
    now: float,
    kind: str | None = None,
) -> dict[str, Any]:
    """The pilot's report for the window as asked (``?since=&until=``), counted on the
    store's worker thread and kept in ``figures`` for a minute (keyed by the window as
    asked: no until is "up to now", one entry per minute). ValueError: a bad window."""
    zone = settings.shop.timezone
    start, end = pilot_window(since, until, zone, now)
    return await figures.get(
        ("pilot", since, until, zone, kind),
        now,
        lambda: store.run(
            pilot_report_from_store, store.store, settings.callbacks.pilot, start, end, zone, kind
        ),
    )


def money_note(text: ConsoleText, money: dict[str, Any]) -> Markup:
    """Why the money has no ROI ("": it has one), as :func:`scheduler.pilot.roi.pilot_roi`
    decides it, in the console's language (the investment's setting as a hint)."""
    if not money["note"]:
        return Markup("")
    arms = money["arms"]
    both = arms["predicted"]["callbacks"] and arms["conventional"]["callbacks"]
    if not both:
        return html_words(text, "pilot.note_arms")
    return html_words(
        text, "pilot.note_investment", setting=admin_hint(text, f"{ROI_SETTINGS}.investment")
    )


# The detectable effects as scheduler.pilot.report words them, for the console's language.
_EFFECTS = (
    (re.compile(r"^([+-][\d.]+) points from (\d+)%$"), "pilot.effect.points"),
    (re.compile(r"^([+-][\d.]+) attempts$"), "pilot.effect.attempts"),
    (re.compile(r"^([+-][\d.]+) h$"), "pilot.effect.hours"),
)


def effect_words(text: ConsoleText, effect: str, short: bool = False) -> str:
    """The effect a KPI's sample size is for ("+5 points from 30%") in the console's
    language (``short``: points abbreviated, for the command's narrow table); a wording
    the report has since changed is shown as it is."""
    mark = text("format.decimal_mark")
    for pattern, key in _EFFECTS:
        found = pattern.match(effect)
        if found:
            size, *base = found.groups()
            if key != "pilot.effect.points":  # "0.3 fewer attempts": the words carry the sign
                size = size.lstrip("+-")
            baseline = text("format.percent", value=base[0]) if base else ""
            if short and key == "pilot.effect.points":
                key = "pilot.effect.points_short"
            return text(key, size=size.replace(".", mark), baseline=baseline)
    return effect


def overview_days_link(text: ConsoleText, zone: str, now: float) -> Markup:
    """On the whole pilot: the Overview's line counts the last :data:`OVERVIEW_PILOT_DAYS`
    days only, and a link to the same days here (its "since" the same date), so the two
    pages' figures can be set side by side."""
    since = overview_since(zone, now)
    link = Markup('<a href="/pilot?{}">{}</a>').format(
        urlencode({"since": since}), text("pilot.overview_days_link", since=since)
    )
    return html_words(text, "pilot.overview_days", days=OVERVIEW_PILOT_DAYS, show=link)


def pilot_routes(settings: Settings, store: AsyncStore, figures: FigureCache) -> list[Route]:
    """The Pilot page and the Overview's line; their figures are kept in ``figures`` (the
    Overview's cache) for a minute."""
    zone = settings.shop.timezone
    # When this console read its settings (once, at start): a pilot request created later
    # while they have no pilot means the pilot was switched on since (web.pilot_state).
    started = time.time()

    async def pilot(request: Request) -> Response:
        since = request.query_params.get("since") or None
        until = request.query_params.get("until") or None
        try:
            kind = data_kind(request.query_params.get("data"))
            report = await pilot_figures(settings, store, figures, since, until, time.time(), kind)
            bad_window = False
        except ValueError:
            # A window backwards, or a date no date input sends (a link's "5.12.2026"): the
            # whole pilot, and the page says why (the fields keep what was asked, to correct).
            report = await pilot_figures(settings, store, figures, None, None, time.time())
            bad_window = True
        text = page_text(request)
        pilot_set = settings.callbacks.pilot.share_predicted is not None
        drawn = sum(report["arms"][arm]["requests"] for arm in ("predicted", "conventional"))
        state = pilot_state(pilot_set, drawn, newest_request(report), started)
        kpis = [report["primary"], *report["secondary"]]
        now_key, now_values = policy_now(settings.callbacks.pilot, settings.callbacks.policy)
        if "share" in now_values:
            now_values["share"] = text.percent(now_values["share"])
        return render(
            request,
            "pilot.html",
            {
                "page": "pilot",
                "r": report,
                "kpis": kpis,
                "since": since or "",
                "until": until or "",
                "bad_window": bad_window,
                "policy_now": html_words(
                    text,
                    now_key,
                    **now_values,
                    setting=admin_hint(text, policy_setting(settings.callbacks.pilot)),
                ),
                "left_out": left_out_note(
                    text, report, {} if bad_window else {"since": since or "", "until": until or ""}
                ),
                "waiting": waiting_words(text, report["arms"]),
                "baselines": baseline_words(text, kpis),
                "zero_median": zero_median_words(text, kpis),
                "shown_value": lambda key, value: with_unit(
                    text, key, localised(text, shown_value(key, value))
                ),
                "shown_difference": lambda kpi: with_unit(
                    text, kpi["key"], localised(text, shown_difference(kpi))
                ),
                "verdict": partial(verdict_words, text, simulated=simulated_share(report)),
                # No pilot set: how to start one, instead of "too few pilot callbacks"; or,
                # with pilot requests in the database, restart this console or whose they are.
                "no_pilot": state_note(text, state, report, started, zone),
                "overview_days": ""
                if since or bad_window
                else overview_days_link(text, zone, time.time()),
                "in_short": summary(text, report, settings.shop.currency)
                if pilot_set or drawn
                else "",
                "needed": lambda kpi: needed_words(
                    text, kpi, effect_words(text, kpi["detectable_effect"])
                ),
                "saved": saved_words(text, report["money"], settings.shop.currency),
                # How each KPI's interval is counted, each method once.
                "methods": list(
                    dict.fromkeys(
                        text(f"pilot.method.{k['key']}", resamples=BOOTSTRAP_RESAMPLES)
                        for k in [report["primary"], *report["secondary"]]
                    )
                ),
                "money_note": money_note(text, report["money"]),
                # The words a team lead reads, each setting's name a hint after them.
                **staff_hour_words(
                    text,
                    settings.callbacks.pilot.roi,
                    settings.shop.currency,
                    say=partial(html_words, text),
                    setting=partial(admin_hint, text),
                ),
                "roi_settings": ROI_SETTINGS,
                # Every amount in the shop's currency, as the console's language writes money.
                "money": lambda amount: text.money(amount, settings.shop.currency),
                # No since: the report's "the pilot's start", in the console's language.
                "window_since": shown_time(text, report["window"]["since"], zone)
                if since and not bad_window
                else start_words(text, pilot_set, report["window"].get("first_request")),
                "data": request.query_params.get("data") or "",
                "window_until": shown_time(text, report["window"]["until"], zone),
            },
        )

    async def overview_line(request: Request) -> Response:
        """The Overview's line on whether the timing pays (an htmx fragment)."""
        now = time.time()
        since = overview_since(zone, now)
        start, end = pilot_window(since, None, zone, now)
        found = await figures.get(
            ("pilot-primary", since, zone),
            now,
            lambda: store.run(
                primary_from_store, store.store, settings.callbacks.pilot, start, end
            ),
        )
        text = page_text(request)
        shown_since = text.when(start, zone, "%Y-%m-%d")
        said = pays_line(text, found, OVERVIEW_PILOT_DAYS, shown_since, {"since": since})
        return render(request, "pilot_pays.html", {"said": said, "since": since})

    return [
        Route("/pilot", pilot, methods=["GET"]),
        Route("/overview/pilot", overview_line, methods=["GET"]),
    ]
