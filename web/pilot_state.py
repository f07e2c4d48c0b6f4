"""Whether this console's pilot setting and the database agree, and what the Pilot page
says when they do not.

`spillway web serve` reads its settings once, at start, into frozen settings
(:class:`spillway.settings.Settings`); `spillway callbacks import`, the API's other
processes and the scheduler read the file anew. A console started before
``callbacks.pilot.share_predicted`` was set then says "no pilot" while the database
fills with pilot requests: :func:`pilot_state` tells that apart (pure), and
:func:`state_note` says it with the one fix that works, a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from spillway.console_text import ConsoleText
from web.pages import admin_hint, code, html_words

SETTING = "callbacks.pilot.share_predicted"
RESTART = "spillway web serve"

ON, OFF, STALE, EARLIER = "on", "off", "stale", "earlier"


def pilot_state(pilot_set: bool, drawn: int, newest: float | None, started: float) -> str:
    """Which of four states the Pilot page is in (pure):

    - ``on``: this console's settings have a pilot;
    - ``off``: they have none, nor does the database (how to start one);
    - ``stale``: they have none, but a pilot request was created after this console
      started (``newest`` > ``started``): the pilot was switched on since;
    - ``earlier``: they have none, and the pilot's requests are older than the console
      (an earlier pilot, or one switched on before a restart this console missed).
    """
    if pilot_set:
        return ON
    if not drawn:
        return OFF
    if newest is not None and newest > started:
        return STALE
    return EARLIER


def newest_request(report: dict[str, Any]) -> float | None:
    """When the newest request the report counts was created (None: it counts none)."""
    last = report["window"].get("last_request")
    return None if last is None else datetime.fromisoformat(last).timestamp()


def state_note(
    text: ConsoleText, state: str, report: dict[str, Any], started: float, zone: str
) -> Markup:
    """The Pilot page's note for ``state`` (:func:`pilot_state`): how to start a pilot
    (``off``), restart the console (``stale``), or that the figures are an earlier
    pilot's (``earlier``); empty with a pilot on."""
    if state == ON:
        return Markup("")
    setting = admin_hint(text, SETTING)
    if state == OFF:
        return html_words(text, "pilot.no_pilot", setting=setting)
    drawn = sum(int(report["arms"][arm]["requests"]) for arm in ("predicted", "conventional"))
    newest = newest_request(report)
    return html_words(
        text,
        "pilot.stale_console" if state == STALE else "pilot.earlier_pilot",
        count=text.count("count.requests", drawn),
        newest=text.when(newest, zone) if newest is not None else "-",
        started=text.when(started, zone),
        setting=setting,
        command=code(RESTART),
    )
