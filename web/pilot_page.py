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
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scheduler.pilot.report import (
    pilot_report_from_store,
    pilot_window,
    primary_from_store,
    shown_difference,
    shown_value,
)
from scheduler.pilot.roi_text import ROI_SETTINGS, staff_hour_words
from scheduler.pilot.stats import BOOTSTRAP_RESAMPLES
from spillway.console_text import ConsoleText
from spillway.settings import Settings
from spillway.storage import AsyncStore
from web.figure_cache import FigureCache
from web.pages import admin_hint, html_words, page_text, render


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


def start_words(text: ConsoleText, pilot_set: bool) -> str:
    """The window's start when none was asked: the pilot's start, or, with no pilot set
    (``callbacks.pilot.share_predicted`` null), the first request a pilot ever drew."""
    return text("pilot.start" if pilot_set else "pilot.start_unset")


def in_short(text: ConsoleText, primary: dict[str, Any], simulated: str = "none") -> str:
    """The primary KPI's verdict as one sentence for a team lead: does the timing pay,
    is it proven, and if not, how many callbacks it takes. Drawn from simulated requests
    (``simulated``: :func:`simulated_share`), it first says the figures are simulated:
    a team lead who reads only this line must not take "pays" as a finding."""
    said = _verdict_sentence(text, primary)
    if simulated == "none":
        return said
    return text(f"pilot.in_short.simulated_{simulated}", said=said)


def _verdict_sentence(text: ConsoleText, primary: dict[str, Any]) -> str:
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
    )


def worse_elsewhere(text: ConsoleText, secondary: list[dict[str, Any]]) -> str:
    """The secondary KPIs on which predicted timing is proven worse, as a sentence to say
    after :func:`in_short` ("" when none): the summary must not hide them."""
    worse = [text(f"pilot.kpis.{k['key']}") for k in secondary if k["verdict"] == "predicted worse"]
    if not worse:
        return ""
    names = ", ".join(name[:1].lower() + name[1:] for name in worse)
    return text("pilot.in_short.worse_elsewhere", kpis=names)


# The Overview's pilot line counts the pilot's requests created in the last 30 days.
OVERVIEW_PILOT_DAYS = 30


def overview_since(zone: str, now: float, days: int = OVERVIEW_PILOT_DAYS) -> str:
    """The Pilot page's ``since`` for the Overview's line: the day ``days`` days before
    today in the shop's zone (from its midnight), as ``?since=`` takes it."""
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    return (today - timedelta(days=days)).isoformat()


def pays_words(
    text: ConsoleText, primary: dict[str, Any], days: int, simulated: str = "none"
) -> str:
    """The primary KPI as the Overview's one line: the two first-attempt rates over the
    last ``days`` days and whether the predicted timing pays, or, honestly, that it is
    too early to say and how many more callbacks it takes. Drawn from simulated requests
    (``simulated``: :func:`simulated_share`), it first says so, in the words of the Pilot
    page's "In short" (:func:`in_short`): "pays" of a simulated month is no finding."""
    said = _pays_sentence(text, primary, days)
    if simulated == "none":
        return said
    return text(f"pilot.in_short.simulated_{simulated}", said=said)


def _pays_sentence(text: ConsoleText, primary: dict[str, Any], days: int) -> str:
    n = primary["n"]
    counts = {
        "n_predicted": text.number(n["predicted"]),
        "n_conventional": text.number(n["conventional"]),
        "days": days,
    }
    if not n["predicted"] and not n["conventional"]:
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
        "overview.pilot.too_early", **said, more=text.number(more), needed=text.number(needed)
    )


async def pilot_figures(
    settings: Settings,
    store: AsyncStore,
    figures: FigureCache,
    since: str | None,
    until: str | None,
    now: float,
) -> dict[str, Any]:
    """The pilot's report for the window as asked (``?since=&until=``), counted on the
    store's worker thread and kept in ``figures`` for a minute (keyed by the window as
    asked: no until is "up to now", one entry per minute). ValueError: a bad window."""
    zone = settings.shop.timezone
    start, end = pilot_window(since, until, zone, now)
    return await figures.get(
        ("pilot", since, until, zone),
        now,
        lambda: store.run(
            pilot_report_from_store, store.store, settings.callbacks.pilot, start, end, zone
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


def effect_words(text: ConsoleText, effect: str) -> str:
    """The effect a KPI's sample size is for ("+5 points from 30%") in the console's
    language; a wording the report has since changed is shown as it is."""
    mark = text("format.decimal_mark")
    for pattern, key in _EFFECTS:
        found = pattern.match(effect)
        if found:
            size, *base = found.groups()
            baseline = text("format.percent", value=base[0]) if base else ""
            return text(key, size=size.replace(".", mark), baseline=baseline)
    return effect


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


def pilot_routes(settings: Settings, store: AsyncStore, figures: FigureCache) -> list[Route]:
    """The Pilot page and the Overview's line; their figures are kept in ``figures`` (the
    Overview's cache) for a minute."""
    zone = settings.shop.timezone

    async def pilot(request: Request) -> Response:
        since = request.query_params.get("since") or None
        until = request.query_params.get("until") or None
        try:
            report = await pilot_figures(settings, store, figures, since, until, time.time())
            bad_window = False
        except ValueError:
            # A window backwards, or a date no date input sends (a link's "5.12.2026"): the
            # whole pilot, and the page says why (the fields keep what was asked, to correct).
            report = await pilot_figures(settings, store, figures, None, None, time.time())
            bad_window = True
        text = page_text(request)
        pilot_set = settings.callbacks.pilot.share_predicted is not None
        drawn = sum(report["arms"][arm]["requests"] for arm in ("predicted", "conventional"))
        return render(
            request,
            "pilot.html",
            {
                "page": "pilot",
                "r": report,
                "kpis": [report["primary"], *report["secondary"]],
                "since": since or "",
                "until": until or "",
                "bad_window": bad_window,
                "policy": settings.callbacks.policy,
                "shown_value": lambda key, value: with_unit(
                    text, key, localised(text, shown_value(key, value))
                ),
                "shown_difference": lambda kpi: with_unit(
                    text, kpi["key"], localised(text, shown_difference(kpi))
                ),
                "verdict": partial(verdict_words, text, simulated=simulated_share(report)),
                # No pilot set: how to start one, instead of "too few pilot callbacks".
                "no_pilot": ""
                if pilot_set
                else html_words(
                    text,
                    "pilot.no_pilot",
                    setting=admin_hint(text, "callbacks.pilot.share_predicted"),
                ),
                "in_short": " ".join(
                    said
                    for said in (
                        in_short(text, report["primary"], simulated_share(report)),
                        worse_elsewhere(text, report["secondary"]),
                    )
                    if said
                )
                if pilot_set or drawn
                else "",
                "effect": lambda kpi: effect_words(text, kpi["detectable_effect"]),
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
                else start_words(text, pilot_set),
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
        said = pays_words(text, found["primary"], OVERVIEW_PILOT_DAYS, simulated_share(found))
        return render(request, "pilot_pays.html", {"said": said, "since": since})

    return [
        Route("/pilot", pilot, methods=["GET"]),
        Route("/overview/pilot", overview_line, methods=["GET"]),
    ]
