"""`spillway doctor` for a Danish admin: the table's frame (columns, OK/ADVARSEL/FEJL,
what to run, the verdict) and the database, SMS, GDPR key, serve and scheduler checks in
Danish; in English for an English admin, as before."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from rich.console import Console

from cli.admin_words import admin_words
from cli.doctor import check_controller, check_database, check_gdpr_key, check_sms
from cli.report import print_checks
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.conftest import make_settings


def _settings(store: SqliteStore, language: str) -> Settings:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    return make_settings(
        shop={"language": language},
        storage={"sqlite_path": str(store.path)},
        controller={"bind_host": "127.0.0.1", "fastagi_port": port},
    )


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [
        (
            "da",
            [
                "kontrol",
                "fundet",
                "det skal du køre",
                "der kan skrives til databasen",
                "(skema v",
                "SMS-gateway",
                "ikke sat op (sms.gateway_url): kunderne får ikke tilbudt sms'er.",
                "GDPR-hashnøgle",
                "ADVARSEL",
                "opkaldsstyring (serve)",
                "intet lytter på FastAGI 127.0.0.1:",
                "FEJL",
                "det skal du køre:",
                "nogle kontroller fejlede",
            ],
            ["database writable", "what to run", "some checks failed", "WARN", "FAIL"],
        ),
        (
            "en",
            [
                "database writable",
                "(schema v",
                "not configured (sms.gateway_url): callers are offered no text messages,",
                "GDPR hash key",
                "WARN",
                "call controller (serve)",
                "nothing listens on FastAGI 127.0.0.1:",
                "FAIL",
                "what to run:",
                "some checks failed",
            ],
            ["databasen", "det skal du køre", "FEJL"],
        ),
    ],
)
def test_doctors_table_and_checks_speak_the_admins_language(
    store: SqliteStore, language: str, said: list[str], not_said: list[str]
) -> None:
    settings = _settings(store, language)
    checks = [
        check_database(settings),
        check_sms(settings),
        check_gdpr_key(settings),
        asyncio.run(check_controller(settings)),
    ]
    console = Console(width=400, record=True, color_system=None)
    assert not print_checks(console, checks, admin_words(settings))
    shown = " ".join(console.export_text().split())
    for words in said:
        assert words in shown, (words, shown)
    for words in not_said:
        assert words not in shown, (words, shown)


def test_the_verdict_when_every_check_passes_is_danish(store: SqliteStore) -> None:
    settings = _settings(store, "da")
    console = Console(width=200, record=True, color_system=None)
    assert print_checks(console, [check_database(settings)], admin_words(settings))
    assert "alle kontroller bestået" in console.export_text()


@pytest.mark.parametrize(
    ("language", "names", "details"),
    [
        (
            "da",
            ["logget ind på AMI", "AMI-brugerens rettigheder", "stemme da (shop.language)"],
            ["der er ikke sat nogen AMI-adgangskode", "ikke kontrolleret (ingen AMI-adgangskode)"],
        ),
        (
            "en",
            ["AMI logged in", "AMI user's rights", "voice en (shop.language)"],
            ["no AMI secret configured", "not checked (no AMI secret)"],
        ),
    ],
)
def test_the_pbx_and_voice_checks_speak_the_admins_language(
    store: SqliteStore, language: str, names: list[str], details: list[str]
) -> None:
    from cli.ami_rights import check_ami_rights
    from cli.doctor import check_pbx, check_voices

    given = _settings(store, language)
    settings = given.model_copy(update={"pbx": given.pbx.model_copy(update={"ami_secret": None})})
    checks = [
        *asyncio.run(check_pbx(settings)),
        asyncio.run(check_ami_rights(settings)),
        *check_voices(settings),
    ]
    shown_names = [c.name for c in checks]
    shown_details = " ".join(c.detail for c in checks)
    for name in names:
        assert name in shown_names, (name, shown_names)
    for detail in details:
        assert detail in shown_details, (detail, shown_details)
    # Without a secret the rights check has the login check's fix, and the list of what
    # to run says it once (it gave two different fixes for the one missing secret).
    login, rights = checks[0], checks[1]
    assert rights.fix == login.fix
    console = Console(width=200, record=True, color_system=None)
    print_checks(console, checks, admin_words(settings))
    listed = console.export_text().split(admin_words(settings)("cli.doctor.fixes"))[1]
    assert listed.count(login.fix) == 1, listed


@pytest.mark.parametrize(
    ("language", "said", "fix"),
    [
        (
            "da",
            "fejl i konfigurationen: shop.api_token mangler: shop.api_url = ",
            "sæt SPILLWAY_SHOP",
        ),
        ("en", "config error: shop.api_token is missing: shop.api_url = ", "set SPILLWAY_SHOP"),
    ],
)
def test_a_shop_api_without_its_token_is_said_in_the_admins_language(
    store: SqliteStore, language: str, said: str, fix: str
) -> None:
    from cli.doctor import check_shop

    given = _settings(store, language)
    shop = given.shop.model_copy(update={"api_url": "https://shop.example", "api_token": None})
    check = asyncio.run(check_shop(given.model_copy(update={"shop": shop})))
    assert not check.ok and check.detail.startswith(said), check.detail
    assert "'https://shop.example'" in check.detail and check.fix.startswith(fix)


@pytest.mark.parametrize(
    ("language", "missing", "unknown"),
    [
        ("da", "modellen 'silero-vad-onnx' er ikke installeret", "findes ikke i registret"),
        ("en", "model 'silero-vad-onnx' is not installed", "not in the registry"),
    ],
)
def test_a_missing_model_is_said_in_the_admins_language(
    tmp_path: Path, language: str, missing: str, unknown: str
) -> None:
    # What the doctor's model line shows (cli/doctor.py: the message, the doctor's own fix).
    from models.discover import require_model
    from spillway.console_text import load_console_text
    from spillway.errors import ModelError

    text = load_console_text(language)
    with pytest.raises(ModelError) as fetched:
        require_model("silero-vad-onnx", tmp_path)
    assert fetched.value.code == "model.not_installed"
    assert fetched.value.message_said(text) == missing
    assert "spillway models fetch silero-vad-onnx" in fetched.value.said(text)
    with pytest.raises(ModelError) as nowhere:
        require_model("no-such-model", tmp_path)
    assert unknown in nowhere.value.message_said(text)
