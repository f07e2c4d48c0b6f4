"""A Danish shop's admin commands speak Danish: `callbacks explain` and `gdpr record`
printed English frames (headings, labels, sentences) around Danish explanations, and the
other `callbacks` and `gdpr` subcommands English messages. Every word they print is now a
language-pack key (``cli`` in console.yaml), the same keys in every pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.console_text import load_console_text
from spillway.processing_record import processing_record
from spillway.settings import Settings
from spillway.storage import SqliteStore
from tests.database_line import without_database_line
from tests.test_callbacks_explain import _attempts, _request

DANISH = {"SPILLWAY_SHOP__LANGUAGE": "da"}


def _env(store: SqliteStore, **extra: str) -> dict[str, str]:
    return {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), **DANISH, **extra}


def _said(store: SqliteStore, *args: str, **env: str) -> str:
    done = CliRunner().invoke(app, list(args), env=_env(store, **env))
    assert done.exit_code == 0, done.output
    return " ".join(without_database_line(done.output).split())


def test_explain_frames_the_danish_explanation_in_danish(store: SqliteStore) -> None:
    earlier = _request(store, "+4520123456")
    _attempts(store, earlier, "+4520123456", ["no_answer", "answered"])
    request_id = _request(store, "+4520123456")
    said = _said(store, "callbacks", "explain", str(request_id))
    for danish in (
        f"Tilbagekald {request_id} (venter), tider i Europe/Copenhagen",
        "Planlægning: forudsagt (efter butikkens indstilling callbacks.policy",
        "Vi stopper med at ringe efter ",
        "Chancen for at træffe dig, time for time i den kommende uge",
        "55 % eller mere - ingen opkald",
        "(årsagerne til timerne uden opkald står nedenfor)",
        "Bedste tilladte timer:",
    ):
        assert danish in said, danish
    for english in (
        "Callback ",
        "Timing:",
        "We stop calling after",
        "Chance of reaching",
        "no calls then",
        "reasons for the hours",
        "Best allowed hours",
        "times in",
        "Mon ",
    ):
        assert english not in said, english
    rows = (
        CliRunner()
        .invoke(app, ["callbacks", "explain", str(request_id)], env=_env(store))
        .output.splitlines()
    )
    days = [
        line[:3] for line in rows if line[:3] in {"man", "tir", "ons", "tor", "fre", "lør", "søn"}
    ]
    assert len(days) == 7, rows


def test_the_record_of_processing_is_danish_for_a_danish_shop(store: SqliteStore) -> None:
    said = CliRunner().invoke(app, ["gdpr", "record"], env=_env(store)).output
    assert said.startswith("# Fortegnelse over behandlingsaktiviteter: kundeservice hos ")
    for danish in (
        "## Formål",
        "## Retsgrundlag",
        "Legitim interesse (GDPR art. 6, stk. 1, litra f)",
        "## Kategorier af personoplysninger",
        "- telefonnummer: calls.caller",
        "Ingen: der er ikke sat nogen gateway eller fjerntjeneste op.",
        "| oplysninger | opbevares | styres af | ved sletning |",
        "| calls: registreringen af et opkald, som botten eller menuen tog imod | 12 måneder "
        "| gdpr.call_times_months | rækken slettes |",
        "## De registreredes rettigheder",
    ):
        assert danish in said, danish
    english = processing_record(Settings())
    for line in english.splitlines():
        words = line.split("|")[0].split(":")[0].strip("#-* ")
        if len(words) > 12 and "`" not in words and "." not in words.split()[0]:
            assert words not in said, words
    # The settings' own names (gdpr.call_times_months) are keys, not English words.
    assert "Legitimate interest" not in said and "months" not in said.replace("_months", "")


def test_the_other_callbacks_and_gdpr_commands_speak_danish(
    store: SqliteStore, tmp_path: Path
) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("phone,reason\n20123456,ordre\n+252612345678,x\n")
    imported = CliRunner().invoke(app, ["callbacks", "import", str(csv)], env=_env(store))
    shown = " ".join(imported.output.split())
    assert "1 tilbagekald tilføjet, 0 lagt sammen med åbne, 0 fandtes allerede" in shown
    assert "1 række afvist" in shown and "request" not in shown
    listed = _said(store, "callbacks", "list")
    assert "tilbagekald (åbne), tider i Europe/Copenhagen" in listed
    assert "tidligste opkald" in listed and "venter" in listed and "earliest" not in listed
    assert _said(store, "callbacks", "cancel", "1") == "tilbagekald 1 er annulleret"
    assert "1 nummer på listen over numre, der ikke må ringes til, 0 afvist" in _said(
        store, "callbacks", "optout", "+4520999999"
    )
    assert _said(store, "gdpr", "holds") == "ingen er tilbageholdt"
    assert _said(store, "gdpr", "hold", "20123456", "--reason", "SAR-1") == (
        "+********56 er tilbageholdt"
    )
    assert "rækker efter opbevaringsperioden ville blive fjernet" in _said(
        store, "gdpr", "retention", "--dry-run"
    )
    assert _said(store, "gdpr", "release", "20123456", "--reason", "SAR-1 besvaret") == (
        "tilbageholdelsen af +********56 er ophævet"
    )
    audit = _said(store, "gdpr", "audit")
    assert "tilbageholdelse af" in audit or "tilbagehold" in audit, audit
    assert " by " not in audit and "row" not in audit


@pytest.mark.parametrize(
    "key", sorted(k for k in load_console_text("en").strings if k.startswith("cli."))
)
def test_every_admin_wording_is_said_in_danish(key: str) -> None:
    """The same keys in both packs (load_console_text checks), and each Danish wording is
    the pack's own: not the English one left in place, unless it is a code or a format."""
    en, da = load_console_text("en").strings[key], load_console_text("da").strings[key]
    same_on_purpose = {
        "cli.callbacks.id",
        "cli.callbacks.status",
        "cli.callbacks.spool_line",
        "cli.show.plan",  # the same word in Danish
        "cli.scheduler.status_count",
        "cli.scheduler.node_state",
        "cli.callbacks.file_row",  # formats: a file and what is said about it
        "cli.callbacks.file_says",
        "cli.error_line",  # an error's words and its code
        "cli.dialplan.ok",  # the same word in Danish
        "cli.doctor.ok",
        "cli.gdpr.audit_table_rows",  # a format: a table's word and its rows
        "cli.menu_call.step",  # a format: the second it happened, and what
        "cli.config.source.also",  # a format: sources, then another key and its source
        "cli.sandbox_status.ami_ok",  # the same word in Danish
        "cli.sandbox_up.up_where",  # a format: pid, version, AMI address
        "cli.gdpr.forget_table",  # a format: a table's name and its rows, each worded
        "cli.call.column.ms",  # milliseconds, the unit's symbol
        "cli.chat.bot",  # "bot:", the same word in Danish
    }
    assert da != en or key in same_on_purpose, (key, en)
