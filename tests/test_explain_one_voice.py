"""`callbacks explain` speaks to the customer in one voice. A customer who asked for
conventional timing read "Planlægning: konventionel (kunden bad om et almindeligt
tilbagekald)" above "Du bad om ...": the timing's reason is now said to them ("du bad
selv om konventionel timing"), the day the calls stop is said kindly ("Vi stopper med
at ringe efter ...", not "Vi opgiver efter"), and one name is used for the timing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore

# Per language: the reader's name for the customer (never said to the customer) and the
# words for the plain timing no longer used beside "konventionel" ("almindelig åbningstid",
# ordinary business hours, is another thing).
ABOUT_THE_CUSTOMER = {
    "da": ("kunden", ("almindeligt tilbagekald", "almindelig timing", "almindelige regel")),
    "en": ("the customer", ("traditional",)),
}


@pytest.mark.parametrize("language", ["da", "en"])
def test_explain_calls_the_customer_you_throughout(
    tmp_path: Path, store: SqliteStore, language: str
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"storage:\n  sqlite_path: {store.path}\nshop:\n  language: {language}\n")
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("phone,timing\n20123441,conventional\n")
    done = CliRunner().invoke(app, ["--config", str(config), "callbacks", "import", str(csv_file)])
    assert done.exit_code == 0, done.output
    [row] = store.query("SELECT id FROM callback_requests")
    explained = CliRunner().invoke(
        app, ["--config", str(config), "callbacks", "explain", str(row["id"])]
    )
    assert explained.exit_code == 0, explained.output
    said = " ".join(explained.output.split())
    text = load_console_text(language)
    assert text("timing_reason.customer_you") in said
    stop = text("cli.explain.given_up", when="").split("{")[0].strip(" .")
    assert stop in said, said
    customer, plain = ABOUT_THE_CUSTOMER[language]
    assert customer not in said.lower(), said
    assert not [words for words in plain if words in said.lower()], said
