"""The caller notice without a page to read more on: `config check` and `doctor` warn.

With gdpr.caller_notice on and gdpr.privacy_url empty, callers hear that the call is
transcribed and kept, but not where to read more; GDPR Art. 13 asks that they be told who
the controller is, why and where to find the rest. Both commands said nothing. Now each
warns (a WARN, exit 0), naming gdpr.privacy_url and the fix, in the admin's language;
with a page, or with the notice turned off on purpose, neither warns.
"""

from __future__ import annotations

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli.admin_words import admin_words
from cli.doctor import check_caller_notice
from cli.main import app
from cli.report import print_checks
from spillway.console_text import load_console_text
from spillway.privacy_notice import notice_warning, notice_without_page
from spillway.settings import GdprSettings, Settings
from spillway.storage import SqliteStore

PAGE = "https://shop.example/privacy"
# Per language: words of the warning, of the doctor's fix, and of its summary line.
WORDS = {
    "en": (
        ["callers hear that the call is transcribed", "not where to read more", "Art. 13"],
        "set gdpr.privacy_url: https://",
        "all checks passed, 1 with a warning",
    ),
    "da": (
        ["kunderne hører, at samtalen skrives ned", "ikke hvor de kan læse mere", "artikel 13"],
        "sæt gdpr.privacy_url: https://",
        "alle kontroller bestået, 1 med en advarsel",
    ),
}


def test_only_a_notice_without_a_page_is_one() -> None:
    assert notice_without_page(GdprSettings())  # the defaults: on, no page
    assert not notice_without_page(GdprSettings(privacy_url=PAGE))
    assert not notice_without_page(GdprSettings(caller_notice=False))


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_warning_names_the_key_and_what_callers_miss(language: str) -> None:
    said, _, _ = WORDS[language]
    text = load_console_text(language)
    warning = notice_warning(GdprSettings(), text)
    assert warning is not None and "gdpr.privacy_url" in warning
    for words in said:
        assert words in warning, (words, warning)
    assert notice_warning(GdprSettings(privacy_url=PAGE), text) is None
    assert notice_warning(GdprSettings(caller_notice=False), text) is None


@pytest.mark.parametrize("language", sorted(WORDS))
def test_doctor_warns_and_still_passes(language: str) -> None:
    said, fix, summary = WORDS[language]
    shop = {"language": language}
    missing = check_caller_notice(Settings(shop=shop))
    assert (missing.ok, missing.warning) == (True, True)
    assert said[0] in missing.detail and missing.fix.startswith(fix)
    console = Console(width=400, record=True, color_system=None)
    assert print_checks(console, [missing], admin_words(Settings(shop=shop)))  # a pass
    shown = " ".join(console.export_text().split())
    assert summary in shown and fix in shown
    page = check_caller_notice(Settings(shop=shop, gdpr={"privacy_url": PAGE}))
    assert (page.ok, page.warning, page.fix) == (True, False, "") and PAGE in page.detail
    off = check_caller_notice(Settings(shop=shop, gdpr={"caller_notice": False}))
    assert (off.ok, off.warning, off.fix) == (True, False, "")
    assert "gdpr.caller_notice: false" in off.detail


@pytest.mark.parametrize("language", sorted(WORDS))
def test_config_check_warns_and_exits_0(store: SqliteStore, language: str) -> None:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "400",
    }
    warning = notice_warning(GdprSettings(), load_console_text(language))
    assert warning is not None
    warned = CliRunner().invoke(app, ["config", "check"], env=env)
    page = CliRunner().invoke(
        app, ["config", "check"], env={**env, "SPILLWAY_GDPR__PRIVACY_URL": PAGE}
    )
    off = CliRunner().invoke(
        app, ["config", "check"], env={**env, "SPILLWAY_GDPR__CALLER_NOTICE": "false"}
    )
    assert warned.exit_code == page.exit_code == off.exit_code == 0, warned.output
    assert warning in " ".join(warned.stdout.split())
    assert "gdpr.privacy_url" not in page.stdout and "gdpr.privacy_url" not in off.stdout
