"""Server-rendered pages: the Jinja2 templates in ``web/templates`` and how they are filled.

Every page gets the logged-in user, the session's CSRF token (every form
carries it), the shop's time zone and the console's words (``t``: a
:class:`spillway.console_text.ConsoleText`, the language pack's
``console.yaml`` in the console's language, kept on ``app.state.text``;
``<html lang>`` is its code). No template holds a word of its own: ``t(key)``
for text, ``html(key, ...)`` for text with markup (``code(...)``, and ``setting(name)``
or ``command(name)``: a setting's or command's name as a muted hint for the admin,
beside the words that say what it means) filled in,
``| word(group)`` for a stored value (a status, a source, an outcome) as the
language says it, ``| handoff`` and ``| request_reason`` for a stored reason,
``| number`` for a count, ``| percent`` and ``| decimal`` for other numbers, each
with the language's decimal and thousands marks ("1.234", "12,5 %"). Autoescaping is on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from scheduler.requests import RequestSource
from scheduler.timing.choice import policy_word, predicted_chance
from scheduler.timing.plan_reason import reason_words
from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.logs import mask_numbers
from spillway.phone import mask_phone
from web.csrf import csrf_token
from web.page_text import page_text
from web.reason_words import ReasonWords, handoff_words, request_words

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def word(text: ConsoleText, group: str, value: object) -> str:
    """A stored value (``status``: ``pending``) as the language says it; a value the pack
    does not know (an older stored word) is shown as stored."""
    key = f"{group}.{value}"
    return text(key) if key in text.strings else str(value)


def decimal(text: ConsoleText, value: float | None, digits: int | None, fixed: bool) -> str:
    """A number with the language's decimal mark: rounded to ``digits`` (Jinja's ``round``),
    or with exactly ``digits`` decimals when ``fixed``; None is "-"."""
    if value is None:
        return "-"
    if fixed and digits is not None:
        return text.number(value, digits)
    # Python's "," format groups the thousands ("1,234.5"); the language's marks replace them.
    return text.marked(f"{round(value, digits) if digits is not None else value:,}")


def number(text: ConsoleText, value: float | None) -> str:
    """A count (requests, calls, rows) with the language's thousands mark: "1.234" in
    Danish, "1,234" in English; None is "-"."""
    return "-" if value is None else text.number(value)


def _text(context: Context) -> ConsoleText:
    text = context.get("t")
    return text if isinstance(text, ConsoleText) else load_console_text(DEFAULT_LANGUAGE)


@pass_context
def _percent(context: Context, value: float | None, digits: int = 0) -> str:
    return _text(context).percent(value, digits)


@pass_context
def _decimal(
    context: Context, value: float | None, digits: int | None = None, fixed: bool = False
) -> str:
    return decimal(_text(context), value, digits, fixed)


@pass_context
def _number(context: Context, value: float | None) -> str:
    return number(_text(context), value)


@pass_context
def _word(context: Context, value: object, group: str) -> str:
    return word(_text(context), group, value)


@pass_context
def _policy(context: Context, name: object) -> str:
    """A policy's stored name as every page says it: the rule-based timing is
    "conventional" (scheduler.timing.choice.policy_word), in the console's language."""
    return word(_text(context), "policy", policy_word(str(name))) if name else "-"


@pass_context
def _node(context: Context, name: str | None) -> str:
    """The scheduler node an attempt names; the simulator's (its door's code, English on
    a Danish page) in the console's words."""
    if name == RequestSource.SIMULATE.value:
        return _text(context)("request.node_simulated")
    return name or "-"


@pass_context
def _chance(context: Context, stored: float | None, policy: str | None) -> Markup:
    """An attempt's chance of an answer (``callback_attempts.chance``) as a percentage;
    "-" saying why there is none: conventional timing predicts none
    (:func:`predicted_chance`), and an attempt from before the chance was kept has none."""
    text = _text(context)
    chance = predicted_chance(policy, stored)
    if chance is not None:
        return Markup.escape(text.percent(chance))
    if policy == "predicted":
        why = "request.chance_not_kept"
    elif predicted_chance(policy, 1.0) is None:  # conventional timing
        why = "request.no_chance"
    else:
        return Markup("-")
    return Markup('<span class="no-chance" title="{}">-</span>').format(text(why))


@pass_context
def _segment_name(context: Context, name: str | None) -> str:
    """A segment's stored name as the pages say it: the default one in the pack's words."""
    return _text(context)("request.default_segment") if name in (None, "default") else str(name)


@pass_context
def _per_table(context: Context, detail: object) -> str:
    """An audit entry's rows per table (stored as JSON, ``{"orders": 2}``) in words:
    "ordrer: 2"; anything else as stored."""
    try:
        counts = json.loads(str(detail or ""))
    except ValueError:
        return str(detail or "")
    if not isinstance(counts, dict):
        return str(detail)
    text = _text(context)
    return ", ".join(
        f"{word(text, 'table', name)}: {text.number(n) if isinstance(n, int) else n}"
        for name, n in counts.items()
    )


def reason_html(said: ReasonWords) -> Markup:
    """A stored reason in words, its detail beside them (small), the stored value as the
    tooltip; any phone number in the free text masked."""
    words, detail, stored = (mask_numbers(v) for v in (said.words, said.detail, said.stored))
    if not words:
        return Markup("-")
    shown = Markup('<span class="reason" title="{}">{}</span>').format(stored, words)
    if detail:
        shown += Markup(' <span class="small">({})</span>').format(detail)
    return shown


@pass_context
def _handoff(context: Context, stored: object) -> Markup:
    """A call's hand-over reason as the console says it (:mod:`web.reason_words`)."""
    return reason_html(handoff_words(_text(context), str(stored) if stored else None))


@pass_context
def _request_reason(context: Context, stored: object) -> Markup:
    """Why a callback was asked for, as the console says it (:mod:`web.reason_words`)."""
    return reason_html(request_words(_text(context), str(stored) if stored else None))


@pass_context
def _plan_reason(context: Context, stored: object) -> str:
    """Why the policy chose a request's time, stored as a code and its values (or, on
    older rows, an English sentence), in the console's language."""
    return reason_words(str(stored) if stored else None, _text(context)) or ""


def code(snippet: object) -> Markup:
    """A command or setting, shown as code inside a sentence (:func:`html`)."""
    return Markup("<code>{}</code>").format(snippet)


def html_words(text: ConsoleText, key: str, /, **values: object) -> Markup:
    """``key``'s wording, escaped, with ``values`` filled in (markup from :func:`code` and
    :func:`admin_hint` kept)."""
    return Markup(escape(text(key))).format(**values)


def no_scheduler_words(text: ConsoleText) -> Markup:
    """The empty list of scheduler nodes (Overview, Model): nothing is dialled, the command
    that starts one and the System status page that checks them, as that page says it."""
    health = Markup('<a href="/health">{}</a>').format(text("nav.health"))
    return html_words(text, "nodes.none", command=code("spillway scheduler run"), health=health)


def admin_hint(text: ConsoleText, snippet: str, kind: str = "setting") -> Markup:
    """A setting's (``kind`` "setting") or a command's ("command") name beside the words
    that say what it means: small and muted, for the admin who would change or run it,
    since a team lead reads the words and never types the name."""
    return Markup('<small class="admin-hint" title="{}">{}</small>').format(
        text(f"common.{kind}_hint_title"),
        html_words(text, f"common.{kind}_hint", name=code(snippet)),
    )


templates.env.filters["masked"] = lambda phone: mask_phone(phone or "")
# Free text (what a caller said, a reason, a summary) with any phone number in it masked.
templates.env.filters["masked_text"] = lambda text: mask_numbers(str(text))
templates.env.filters["percent"] = _percent
templates.env.filters["decimal"] = _decimal
templates.env.filters["number"] = _number
templates.env.filters["word"] = _word
templates.env.filters["policy"] = _policy
templates.env.filters["chance"] = _chance
templates.env.filters["node"] = _node
templates.env.filters["segment_name"] = _segment_name
templates.env.filters["per_table"] = _per_table
templates.env.filters["handoff"] = _handoff
templates.env.filters["request_reason"] = _request_reason
templates.env.filters["plan_reason"] = _plan_reason


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """The template ``name`` with the page's common context."""
    user = request.scope.get("state", {}).get("user")
    zone = request.app.state.zone if hasattr(request.app.state, "zone") else "UTC"
    text = page_text(request)

    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "zone": zone,
            "t": text,
            "html": lambda key, **values: html_words(text, key, **values),
            "code": code,
            "setting": lambda name: admin_hint(text, name),
            "command": lambda name: admin_hint(text, name, "command"),
            "no_nodes": lambda: no_scheduler_words(text),
            "weekday": text.weekday,
            "clock": text.clock,  # an hour as the language writes it ("09.00", "09:00")
            "when": lambda ts, fmt="%Y-%m-%d %H:%M": text.when(ts, zone, fmt),
            **context,
        },
        status_code=status_code,
    )
