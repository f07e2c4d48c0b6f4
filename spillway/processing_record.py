"""The record of processing activities (GDPR Art. 30), generated as Markdown.

Made from the configuration (which gateways and services are configured,
the retention periods) and the map of personal data (which tables hold
which categories, and what erasure does), so it says what this
installation actually does rather than what a template assumes. The
controller fills in their own name and contact where marked. Every word is the
language pack's (``cli.record`` in console.yaml), in the console's language
(``web.language``, else ``shop.language``): a Danish shop gets a Danish record.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spillway.console_text import ConsoleText, console_language, load_console_text
from spillway.language_pack import load_pack
from spillway.migration_backups import folder_of
from spillway.personal_data import PERSONAL_DATA, Category, Period
from spillway.retention_periods import PERIOD_SETTING, periods_warning
from spillway.settings import Settings

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", ""})
R = "cli.record"  # its words in the language pack (console.yaml)


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def recipients(settings: Settings, text: ConsoleText) -> list[str]:
    """Who receives personal data beyond this machine, as configured."""
    found = []
    if settings.sms.gateway_url:
        found.append(text(f"{R}.recipient_sms", host=_host(settings.sms.gateway_url)))
    if settings.shop.api_url:
        found.append(text(f"{R}.recipient_shop", host=_host(settings.shop.api_url)))
    if _host(settings.nlu.rasa_url) not in LOCAL_HOSTS:
        found.append(text(f"{R}.recipient_nlu", host=_host(settings.nlu.rasa_url)))
    if settings.storage.backend == "postgres" and settings.storage.postgres_dsn is not None:
        host = _host(settings.storage.postgres_dsn.get_secret_value())
        if host not in LOCAL_HOSTS:
            found.append(text(f"{R}.recipient_postgres", host=host))
    return found


def _period(period: Period, settings: Settings, text: ConsoleText) -> str:
    if period is Period.PHONE_NUMBERS:
        return text.count("count.months", settings.gdpr.phone_numbers_months)
    if period is Period.CALL_TIMES:
        return text.count("count.months", settings.gdpr.call_times_months)
    return text(f"{R}.until_erased")


def _heading(text: ConsoleText, key: str) -> list[str]:
    return ["", f"## {text(f'{R}.{key}')}", ""]


def _items(text: ConsoleText, *keys: str) -> list[str]:
    return [f"- {text(f'{R}.{key}')}" for key in keys]


def _informed(settings: Settings, text: ConsoleText) -> str:
    """How callers are told their words are kept (Art. 13), as configured."""
    gdpr = settings.gdpr
    if not gdpr.caller_notice:
        return text(f"{R}.right_informed_off")
    if gdpr.privacy_url:
        return text(f"{R}.right_informed_page", url=gdpr.privacy_url)
    return text(f"{R}.right_informed")


def processing_record(settings: Settings, language: str | None = None) -> str:
    """The Art. 30 record of this installation, as Markdown, in ``language`` (None: the
    console's, :func:`spillway.console_text.console_language`)."""
    code = language or console_language(settings)
    text = load_console_text(code)
    categories = sorted(
        {c.category for t in PERSONAL_DATA for c in t.columns}, key=list(Category).index
    )
    lines = [
        f"# {text(f'{R}.title', shop=settings.shop.name)}",
        "",
        text(f"{R}.intro"),
        "",
        *_items(text, "controller", "dpo"),
        *_heading(text, "purposes"),
        *_items(text, "purpose_answer", "purpose_callback", "purpose_sms"),
        *_heading(text, "legal_basis"),
        text(f"{R}.legal_basis_text"),
        *_heading(text, "subjects"),
        *_items(text, "subject_callers", "subject_requests"),
        *_heading(text, "categories"),
        *[
            f"- {text(f'{R}.category.{category.name.lower()}')}: "
            + ", ".join(
                f"{t.name}.{c.name}"
                for t in PERSONAL_DATA
                for c in t.columns
                if c.category is category
            )
            for category in categories
        ],
        *_heading(text, "recipients"),
    ]
    found = recipients(settings, text)
    lines += [f"- {r}" for r in found] if found else [text(f"{R}.no_recipients")]
    lines += [
        "",
        text(f"{R}.nothing_leaves"),
        text(f"{R}.no_transfer"),
        *_heading(text, "retention"),
        text(f"{R}.columns"),
        "|---|---|---|---|",
    ]
    # The purposes are the pack's, the same words a data subject's export gives.
    pack = load_pack(code)
    for t in PERSONAL_DATA:
        purpose = pack.say(f"purpose_{t.name}")
        erasure = "; ".join(
            sorted({text(f"{R}.erasure.{c.erasure.name.lower()}") for c in t.columns})
        )
        # Which setting keeps the table: a table follows its period whatever it holds
        # (calls carry a number yet follow gdpr.call_times_months).
        setting = PERIOD_SETTING.get(t.period) or text(f"{R}.no_setting")
        period = _period(t.period, settings, text)
        lines.append(f"| {t.name}: {purpose} | {period} | {setting} | {erasure} |")
    warning = periods_warning(settings.gdpr, text)
    lines += [
        *(["", f"**{warning}**"] if warning else []),
        "",
        text(f"{R}.aggregates"),
        text(f"{R}.runs_daily" if settings.gdpr.daily_retention else f"{R}.runs_on_demand"),
        "",
        text.count(
            f"{R}.backups",
            settings.gdpr.migration_backups_kept,
            folder=folder_of(settings.paths.data_dir),
        ),
        *_heading(text, "rights"),
        f"- {_informed(settings, text)}",
        *_items(text, "right_access", "right_erasure", "right_calls", "right_timing"),
        *_heading(text, "security"),
        *_items(text, "security_local", "security_services", "security_erasure"),
        "",
    ]
    return "\n".join(lines)
