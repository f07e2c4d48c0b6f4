"""A Danish contact centre's admin reads `callbacks show` and `scheduler status` in Danish
(they printed English frames), and every count the other admin commands print in a real
singular or plural ("1 række", "2 rækker"; in English "1 row", never "row(s)"): `doctor`'s
dialer check, `sms send-pending` without a gateway, `simulate --store`, `db status`,
`db restore`, `db purge-simulated`, `signals import` and `map`, the prompts Asterisk plays
and a CSV file's header. The same keys in both packs (``cli`` in console.yaml)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.backends.sms import SmsOutbox
from cli.commands.scheduler import status_lines
from cli.commands.simulate import _check_target
from cli.commands.sms import send_once
from cli.doctor import check_scheduler
from cli.main import app
from cli.pbx_sounds import SoundsResult, describe
from scheduler.csv_import import CsvError, parse_csv
from scheduler.timing.plan_reason import chance
from spillway.console_text import load_console_text
from spillway.errors import ConfigError, InputError, SpillwayError
from spillway.schema import latest_version
from spillway.storage import AsyncStore, SqliteStore
from tests.conftest import make_settings
from tests.test_callbacks_explain import _attempts, _request

BRACKETED = ("(s)", "(er)", "(e)", "(r)")


def _env(store: SqliteStore, language: str = "da") -> dict[str, str]:
    return {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(store.path),
        "SPILLWAY_SHOP__LANGUAGE": language,
        "COLUMNS": "200",
    }


# Calls allowed at every hour of every day: what is due does not hang on the clock the
# test runs at (a Saturday evening has no calling hours, so nothing is due then).
ALWAYS_CALLABLE: dict[str, object] = {
    "weekdays": [0, 24],
    "saturday": [0, 24],
    "sunday": [0, 24],
    "holidays": None,
}


def _always_callable(store: SqliteStore) -> dict[str, str]:
    """The environment of a config file with :data:`ALWAYS_CALLABLE` calling hours."""
    config = store.path.parent / "always-callable.yaml"
    config.write_text(json.dumps({"callbacks": ALWAYS_CALLABLE}), encoding="utf-8")
    return {"SPILLWAY_CONFIG": str(config)}


def _run(
    store: SqliteStore,
    *args: str,
    language: str = "da",
    code: int = 0,
    env: dict[str, str] | None = None,
) -> str:
    done = CliRunner().invoke(app, list(args), env=_env(store, language) | (env or {}))
    assert done.exit_code == code, done.output
    # A failed command's error as `spillway` prints it (cli.main.main), in the admin's language.
    failed = done.exception if isinstance(done.exception, SpillwayError) else None
    said = done.output + (failed.said(load_console_text(language)) if code and failed else "")
    assert not any(b in said for b in BRACKETED), said
    return said


def _node(store: SqliteStore, name: str, seen_s_ago: float, **extra: object) -> None:
    now = time.time()
    store.insert(
        "scheduler_nodes",
        {"node": name, "started_at": now - 3600, "heartbeat_at": now - seen_s_ago, **extra},
    )


def test_show_prints_a_danish_card(store: SqliteStore) -> None:
    request_id = _request(store, "+4520123456")
    _attempts(store, request_id, "+4520123456", ["no_answer"])
    store.execute(
        "UPDATE callback_requests SET planned_by = 'predicted', plan_pick_share = 0.42, "
        "plan_reason = ?, context = ? WHERE id = ?",
        (chance(0.32, 0.26, None).stored(), '{"merged": [7, 8]}', request_id),
    )
    said = _run(store, "callbacks", "show", str(request_id))
    for danish in (
        f"tilbagekald {request_id}: venter (tider i Europe/Copenhagen)",
        "  nummer:           +4520123456",
        "  kilde:            API",
        "  planlægning:      forudsagt (efter butikkens indstilling callbacks.policy",
        "  tidsrum:          intet ønsket: alle timer, reglerne for opkald tillader",
        "(målet er et første opkald senest da)",  # from the API: nobody was promised it
        "(intet opkald derefter)",
        # One chance, the customer's at the planned time; not the choice's 42 % propensity.
        "  valgt tidspunkt:  med forudsagt planlægning: 32 % chance for, at kunden svarer på det "
        "tidspunkt",
        "  lagt sammen:      med 2 senere tilbagekald til samme nummer",
        "  forsøg:           1",
        ": intet svar, sluttede ",
        "(planlægning: forudsagt)",
        f"  forklaring:       spillway callbacks explain {request_id}",
    ):
        assert danish in said, (danish, said)
    for english in (
        "request ",
        "number:",
        "times in",
        "deadline",
        "no call after",
        "planned",
        "no_answer",
        "ended",
        "why this timing",
        "answer chance",
        "joined by",
    ):
        assert english not in said, (english, said)
    english = _run(store, "callbacks", "show", str(request_id), language="en")
    assert "  joined by:       2 later requests for the same number" in english
    store.execute(
        "UPDATE callback_requests SET context = ? WHERE id = ?", ('{"merged": [7]}', request_id)
    )
    english = _run(store, "callbacks", "show", str(request_id), language="en")
    assert "  joined by:       1 later request for the same number" in english


@pytest.mark.parametrize("language", ["da", "en"])
def test_show_s_values_line_up_whatever_the_labels_length(
    store: SqliteStore, language: str
) -> None:
    """The labels were padded to 10 characters, English's usual length: "kundens
    tidszone:", "planlægning:", "lagt sammen:" (and "customer's zone:") pushed their
    values out of line. Every label line's value now starts in one column."""
    request_id = _request(store, "+4520123456")
    _attempts(store, request_id, "+4520123456", ["no_answer"])
    store.execute(
        "UPDATE callback_requests SET planned_by = 'predicted', plan_pick_share = 0.42, "
        "plan_reason = ?, context = ? WHERE id = ?",
        (chance(0.32, 0.26, None).stored(), '{"merged": [7, 8]}', request_id),
    )
    said = _run(store, "callbacks", "show", str(request_id), language=language)
    labelled = [ln for ln in said.splitlines() if re.match(r"  \S[^:]*: ", ln)]
    assert len(labelled) >= 12, said
    columns = {re.match(r"  [^:]+:\s+", ln).end() for ln in labelled}  # type: ignore[union-attr]
    assert len(columns) == 1, said


def test_scheduler_status_speaks_danish(store: SqliteStore) -> None:
    _request(store, "+4520123456")
    said = _run(store, "scheduler", "status", env=_always_callable(store))
    assert "forfaldne nu: 1, i gang: 0, forsinkelse: " in said
    assert "tilbagekald efter status: venter 1" in said
    assert "ingen opkaldsnode kører (ingen har nogensinde kørt her): der ringes ikke op" in said
    for english in ("due now", "requests by status", "pending", "no dialer node", "dialled"):
        assert english not in said, (english, said)
    _node(store, "a", 1.5, dialled=3, state="AMI login failed")
    _node(store, "b", 600, dialled=0, last_error="connection refused")
    said = _run(store, "scheduler", "status")
    assert re.search(
        r"  node a: kører, set for 1,[5-9] s siden \(AMI login failed\), opkald: 3", said
    )
    assert re.search(
        r"  node b: nede \(intet livstegn i 600(,\d)? s; noderne melder sig med 2 s "
        r"mellemrum\), opkald: 0, seneste fejl: connection refused",
        said,
    )
    assert "ingen opkaldsnode kører" not in said
    english = _run(store, "scheduler", "status", language="en")
    assert re.search(r"  node a: up, seen 1\.\d s ago \(AMI login failed\), dialled 3", english)
    assert "requests by status: pending 1" in english


def test_a_stored_value_cannot_steer_the_terminal() -> None:
    report = {
        "due_now": 0, "in_flight": 0, "lag_s": 0.0, "by_status": {},
        "nodes": [{"node": "n\x1b[2J", "up": True, "seen_s_ago": 1, "state": None,
                   "dialled": 0, "last_error": "\x1b]0;x\x07"}],
    }  # fmt: skip
    lines = status_lines(report, 2.0, load_console_text("da"))
    assert "\x1b" not in "".join(lines) and "tilbagekald efter status: ingen" in lines[1]


@pytest.mark.parametrize(
    ("language", "nodes", "expected"),
    [
        (
            "da",
            [],
            "ingen node har nogensinde kørt); 1 forfaldent tilbagekald bliver ikke ringet op",
        ),
        ("en", [], "no node ever ran); 1 request due is not dialled"),
        ("da", ["a"], "1 node kører: a"),
        ("da", ["a", "b"], "2 noder kører: a, b"),
        ("en", ["a"], "1 node up: a"),
        ("en", ["a", "b"], "2 nodes up: a, b"),
    ],
)
def test_doctor_counts_the_dialer_nodes(
    store: SqliteStore, language: str, nodes: list[str], expected: str
) -> None:
    _request(store, "+4520123456")
    for n, name in enumerate(nodes, start=1):
        _node(store, name, n)  # the freshest heartbeat first
    settings = make_settings(
        storage={"sqlite_path": str(store.path)},
        shop={"language": language},
        callbacks=ALWAYS_CALLABLE,
    )
    assert expected in check_scheduler(settings).detail


@pytest.mark.parametrize(
    ("language", "queued", "expected"),
    [
        ("da", 1, "fejl i konfigurationen: sms.gateway_url er ikke sat: 1 besked bliver liggende"),
        ("da", 2, "2 beskeder bliver liggende i udbakken"),
        ("en", 1, "sms.gateway_url is not set: 1 message stays queued in the outbox"),
    ],
)
def test_sms_without_a_gateway_counts_the_waiting_messages(
    store: SqliteStore, language: str, queued: int, expected: str
) -> None:
    async def enqueue() -> None:
        for n in range(queued):
            await SmsOutbox(AsyncStore(store)).enqueue("+4520123456", "x", idempotency_key=f"{n}")

    asyncio.run(enqueue())
    settings = make_settings(storage={"sqlite_path": str(store.path)}, shop={"language": language})
    with pytest.raises(ConfigError) as refused:
        asyncio.run(send_once(settings, 10))
    assert expected in str(refused.value)


def test_simulate_counts_the_real_requests_it_will_not_sit_beside(store: SqliteStore) -> None:
    _request(store, "+4520123456")
    settings = make_settings(storage={"sqlite_path": str(store.path)})
    for language, said in (
        ("da", "indeholder 1 rigtigt tilbagekald; simulerede kunder ville blive talt med"),
        ("en", "holds 1 real callback request; simulated customers would be counted"),
    ):
        with pytest.raises(InputError) as refused:
            _check_target(settings.storage, load_console_text(language), alongside_real=False)
        assert said in str(refused.value)
    _request(store, "+4520123457")
    with pytest.raises(InputError, match="indeholder 2 rigtige tilbagekald"):
        _check_target(settings.storage, load_console_text("da"), alongside_real=False)


def test_db_status_and_purge_count_in_danish(store: SqliteStore) -> None:
    purged = " ".join(_run(store, "db", "purge-simulated").split())
    assert "fjernede 0 simulerede tilbagekald og 0 forsøg fra SQLite" in purged
    store.execute("DELETE FROM _migrations WHERE version = ?", (latest_version(),))
    said = " ".join(_run(store, "db", "status").split())
    assert f"1 migrering venter ({latest_version()} " in said and "kør den med" in said


def test_signals_count_events_and_ids_in_danish(store: SqliteStore, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("phone,kind,at\n20123456,web_visit,2026-03-02T14:05:00\n12,web_visit,x\n")
    said = " ".join(_run(store, "signals", "import", str(events), code=1).split())
    assert "1 hændelse gemt, 0 fandtes allerede, 1 række afvist" in said
    assert f"{events} linje 3: at 'x': skal være et tidspunkt i ISO 8601-format" in said, said
    assert said.count("[signal.bad_time]") == 1  # its stable code, the same in English
    ids = tmp_path / "ids.csv"
    ids.write_text("customer_id,phone\nC-1,20123456\nC-2,20123457\n")
    said = " ".join(_run(store, "signals", "map", "--file", str(ids)).split())
    assert "2 kunde-id'er knyttet til et nummer, 0 rækker afvist" in said


def test_the_prompts_line_counts_the_prompts(tmp_path: Path) -> None:
    one = SoundsResult(tmp_path, [tmp_path / "a.wav"])
    two = SoundsResult(tmp_path, [tmp_path / "a.wav", tmp_path / "b.wav"])
    da, en = load_console_text("da"), load_console_text("en")
    assert describe(one, da) == f"lavede 1 lydfil i {tmp_path}"
    assert describe(two, da) == f"lavede 2 lydfiler i {tmp_path}"
    assert describe(one, en) == f"rendered 1 prompt into {tmp_path}"
    assert describe(two, en) == f"rendered 2 prompts into {tmp_path}"


@pytest.mark.parametrize(
    ("header", "english", "danish"),
    [
        (
            "phone,note\n",
            "unknown column: 'note'; known: phone (required), name,",
            "ukendt kolonne: 'note'; kendte: telefon (skal være der), navn,",
        ),
        (
            "phone,note,crm\n",
            "unknown columns: 'note', 'crm'; known:",
            "ukendte kolonner: 'note', 'crm'; kendte:",
        ),
        ("phone,Phone\n", "column named twice: 'phone'", "kolonne nævnt to gange: 'phone'"),
    ],
)
def test_a_csv_header_names_its_columns_in_a_real_plural(
    store: SqliteStore, tmp_path: Path, header: str, english: str, danish: str
) -> None:
    with pytest.raises(CsvError) as refused:
        parse_csv(header, region="DK", default_timezone="UTC", strict=True)
    assert english in str(refused.value)
    assert danish in refused.value.said(load_console_text("da"))
    file = tmp_path / "in.csv"
    file.write_text(header + "20123456" + "," * header.count(",") + "\n")
    said = " ".join(_run(store, "callbacks", "import", "--strict", str(file), code=1).split())
    assert f"{file}: {danish}" in said, said


def test_no_command_leaves_a_plural_to_the_reader() -> None:
    """No string the CLI or the CSV readers print has a bracketed plural ("row(s)")."""
    import ast

    root = Path(__file__).resolve().parents[1]
    files = [*(root / "cli").rglob("*.py")] + [
        root / "scheduler" / name for name in ("csv_import.py", "signal_csv.py", "csv_file.py")
    ]
    left = [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[a-z]\((s|es|er|e|r)\)", node.value.replace("http(s)", ""))
    ]
    assert not left, left


@pytest.mark.parametrize(
    # From the API, so the card's deadline is the aim (no caller was told it).
    ("language", "told"),
    [("en", "the aim is a first call by then"), ("da", "målet er et første opkald senest da")],
)
def test_show_gives_one_promise_for_a_predicted_request(
    store: SqliteStore, language: str, told: str
) -> None:
    """A request timed by prediction was told its deadline's day: the card's deadline line
    and its plan name the same moment (the day's close), not the target hour beside it."""
    request_id = _request(store, "+4520123456")
    lines = _run(store, "callbacks", "show", str(request_id), language=language).splitlines()
    [deadline] = [line for line in lines if told in line]
    promised = re.search(r"\d{4}-\d{2}-\d{2} (\d{2}):(\d{2})", deadline)
    assert promised is not None, deadline
    [plan] = [line for line in lines if line.strip().startswith("plan:")]
    # The plan writes the time as people read it: 20:00, or Danish kl. 20.00.
    said = re.search(r"(\d{1,2})[:.](\d{2})", plan)
    assert said is not None, plan
    assert (int(said[1]), said[2]) == (int(promised[1]), promised[2]), (deadline, plan)
