"""`callbacks explain` and `callbacks show` speak the admin's language: a Danish shop's
English-speaking admin (``web.language: en``) read a wholly Danish explanation, and a
card with English labels around a Danish plan. Now the explanation is told about the
customer in the admin's language (``--language``, else ``web.language``), and what the
customer was told is quoted in the shop's language, marked as such (cli/customer_quote.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack
from spillway.storage import SqliteStore
from tests.database_line import without_database_line
from tests.test_callbacks_explain import _request

# Each pack's first words of the first-call deadline said to the customer: the aim ("The
# aim is"), as the request comes from the API, whose caller was told no promise.
PROMISE = {code: load_pack(code).prompts["explain_aim"].text.split("{")[0] for code in ("en", "da")}


def _run(store: SqliteStore, shop: str, web: str | None, *args: str) -> str:
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(store.path), "SPILLWAY_SHOP__LANGUAGE": shop}
    if web is not None:
        env["SPILLWAY_WEB__LANGUAGE"] = web
    done = CliRunner().invoke(app, list(args), env=env)
    assert done.exit_code == 0, done.output
    return without_database_line(done.output)


def _quoted(output: str, label: str) -> tuple[list[str], list[str]]:
    """The output's lines that quote the customer (start with ``label``), and the others."""
    lines = [" ".join(line.split()) for line in output.splitlines()]
    quoted = [line for line in lines if label in line]
    return quoted, [line for line in lines if label not in line]


@pytest.mark.parametrize(
    ("shop", "admin", "how"),
    [("da", "en", "web"), ("en", "da", "web"), ("da", "en", "option"), ("en", "da", "option")],
)
def test_explain_speaks_the_admins_language_and_quotes_the_customer(
    store: SqliteStore, shop: str, admin: str, how: str
) -> None:
    request_id = _request(store, "+4520123456")
    args = ["callbacks", "explain", str(request_id)]
    if how == "option":
        output = _run(store, shop, None, *args, "--language", admin)
    else:
        output = _run(store, shop, admin, *args)
    text = load_console_text(admin)
    told = text("cli.explain.told", quote="").strip()
    quoted, rest = _quoted(output, told)
    # The customer's words, once, in their language, named in the admin's.
    assert len(quoted) == 1, output
    assert PROMISE[shop] in quoted[0]
    assert text(f"cli.language_name.{shop}") in quoted[0]
    # Around it, the admin's language only, told about the customer.
    said = " ".join(rest)
    assert PROMISE[admin] in said and PROMISE[shop] not in said
    assert text("cli.explain.chance_lead") in said
    assert text("cli.explain.chance") not in said
    rules_first = load_pack(admin).prompts["explain_lead_rules_first"].text
    assert rules_first.split(":")[0] in said
    assert load_console_text(shop)("cli.explain.best", hours="").strip() not in said


@pytest.mark.parametrize(("shop", "admin"), [("da", "en"), ("en", "da")])
def test_show_gives_the_plan_in_the_admins_language_and_quotes_the_customer(
    store: SqliteStore, shop: str, admin: str
) -> None:
    request_id = _request(store, "+4520123456")
    output = _run(store, shop, admin, "callbacks", "show", str(request_id))
    text = load_console_text(admin)
    lines = [" ".join(line.split()) for line in output.splitlines()]
    [plan] = [line for line in lines if line.startswith(text("cli.show.plan") + ":")]
    [told] = [line for line in lines if line.startswith(text("cli.show.told") + ":")]
    assert PROMISE[admin] in plan and PROMISE[shop] not in plan
    assert PROMISE[shop] in told and text(f"cli.language_name.{shop}") in told
    # The same from --language, with web.language unset.
    again = _run(store, shop, None, "callbacks", "show", str(request_id), "--language", admin)
    assert told in [" ".join(line.split()) for line in again.splitlines()]


@pytest.mark.parametrize("language", ["en", "da"])
def test_nothing_is_quoted_when_the_admin_reads_the_customers_language(
    store: SqliteStore, language: str
) -> None:
    request_id = _request(store, "+4520123456")
    text = load_console_text(language)
    explained = _run(store, language, None, "callbacks", "explain", str(request_id))
    assert text("cli.explain.told", quote="").strip() not in explained
    assert text("cli.explain.chance") in " ".join(explained.split())  # said to the customer
    shown = _run(store, language, language, "callbacks", "show", str(request_id))
    assert not any(
        line.strip().startswith(text("cli.show.told") + ":") for line in shown.splitlines()
    )


def test_the_json_says_which_language_each_part_is_in(store: SqliteStore) -> None:
    request_id = _request(store, "+4520123456")
    for command in ("explain", "show"):
        data = json.loads(_run(store, "da", "en", "callbacks", command, str(request_id), "--json"))
        told = data["told_customer"]
        assert told["language"] == "da" and PROMISE["da"] in told["timeline"][0]
        timeline = data["timeline"] if command == "explain" else data["promise"]["timeline"]
        assert PROMISE["en"] in timeline[0]
