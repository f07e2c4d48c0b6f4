"""The Art. 30 record is made from the configuration and the map of personal data."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from spillway.language_pack import load_pack
from spillway.personal_data import PERSONAL_DATA
from spillway.processing_record import processing_record
from spillway.settings import Settings


def test_a_local_installation_says_nothing_leaves_the_machine() -> None:
    text = processing_record(Settings())
    assert "Legitimate interest (GDPR Art. 6(1)(f))" in text
    assert "None: no gateway or remote service is configured." in text
    assert "Nothing leaves this machine unless a gateway" in text
    for table in PERSONAL_DATA:
        assert f"| {table.name}: {load_pack('en').say('purpose_' + table.name)} |" in text
    for column in ("callback_requests.phone", "transcript_turns.text", "customers.email"):
        assert column in text
    assert "| calls: the record of a call the bot or the menu took | 12 months |" in text


def test_configured_gateways_are_recipients_and_periods_follow_the_settings() -> None:
    settings = Settings(
        sms={"gateway_url": "https://sms.example.net/send"},
        shop={"api_url": "https://shop.example.com/admin"},
        gdpr={"phone_numbers_months": 6, "daily_retention": False},
    )
    text = processing_record(settings)
    assert "the SMS gateway at sms.example.net" in text
    assert "the shop's API at shop.example.com" in text
    assert "None: no gateway" not in text
    assert "| cases: a complaint or question handed to the staff | 6 months |" in text
    assert "Retention runs on demand" in text


def test_the_cli_prints_it() -> None:
    done = CliRunner().invoke(app, ["gdpr", "record"])
    assert done.exit_code == 0 and done.output.startswith("# Record of processing activities")


def test_the_tracking_number_is_named_as_the_admin_says_it() -> None:
    # shipments.tracking_number is a parcel's tracking number, not an order or delivery id:
    # a Danish admin knows it as a "sporingsnummer".
    [column] = [
        f"{t.name}.{c.name}"
        for t in PERSONAL_DATA
        for c in t.columns
        if c.category.name == "IDENTIFIER"
    ]
    assert column.endswith(".tracking_number")
    for language, words in (("en", "parcel tracking number"), ("da", "sporingsnummer")):
        text = processing_record(Settings(), language)
        assert f"- {words}: {column}" in text
    assert "leveringsid" not in processing_record(Settings(), "da")
