"""Access and erasure over a database filled through every door: export finds all of it,
`forget` leaves nothing readable (not even in the database file's bytes) but the
do-not-call entry as a keyed hash, which still stops a call; the audit log keeps no number."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler import do_not_call, intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.requests import RequestSource
from scheduler.subject_access import TIME_FIELD, export_person, timing_words
from scheduler.timing.model_keeper import ModelKeeper
from spillway.console_text import load_console_text
from spillway.erasure import forget
from spillway.errors import ConfigError
from spillway.language_pack import load_pack
from spillway.personal_data import PERSONAL_DATA, keyed_hash
from spillway.phone import mask_phone
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.database_line import without_database_line
from tests.gdpr_world import ALWAYS, opted_out_and_bystander
from tests.test_dialer_logic import FakePbx

KEY = b"k3y-for-the-tests"
ANNA, BO = "20123456", "31987654"  # the person forgotten, and a bystander
SETTINGS = Settings()


@pytest.fixture
async def world(tmp_path: Path) -> SqliteStore:
    return await opted_out_and_bystander(tmp_path, opted=ANNA, plain=BO)


def _forms(national: str) -> list[bytes]:
    spaced = " ".join(national[i : i + 2] for i in range(0, 8, 2))
    return [f"+45{national}".encode(), f"45{national}".encode(), national.encode(), spaced.encode()]


async def test_export_finds_them_through_every_door(world: SqliteStore) -> None:
    found = export_person(world, "+45" + BO, SETTINGS, now=time.time())
    data = found.as_json()["data"]
    # Only the opted-out person (Anna) asked for plain callbacks: Bo's are timed by the model.
    expected = {t.name for t in PERSONAL_DATA} - {"do_not_call", "gdpr_holds", "ai_timing_optout"}
    assert set(data) == expected
    assert len(data["callback_requests"]) == 2 and len(data["callback_attempts"]) == 2
    [open_request] = [r for r in data["callback_requests"] if r["status"] == "pending"]
    sources = {m["source"] for m in open_request["context"]["merged"]}
    assert sources == {"api", "spool"}
    [timing] = found.as_json()["callback_timing"]
    assert timing["request_id"] == open_request["id"] and len(timing["week"]) == 168
    assert any("most likely to answer" in f for f in timing["factors"])
    anna = export_person(world, "+45" + ANNA, SETTINGS, now=time.time()).as_json()["data"]
    assert [r["phone"] for r in anna["do_not_call"]] == ["+45" + ANNA]
    assert [r["phone"] for r in anna["ai_timing_optout"]] == ["+45" + ANNA]
    assert not any(str(r).count(BO) for rows in anna.values() for r in rows)
    # The file is that export, with each stored row on a line of its own.
    text = found.json_text()
    assert json.loads(text) == json.loads(json.dumps(found.as_json(), default=str))
    one_line = [
        json.loads(line.strip().rstrip(","))
        for line in text.splitlines()
        if line.strip().startswith("{") and line.strip().rstrip(",").endswith("}")
    ]
    assert all(row in one_line for rows in data.values() for row in rows)


async def test_forget_leaves_nothing_but_the_hashed_do_not_call_entry(world: SqliteStore) -> None:
    # The scheduler has stored the contact model it fitted on both (what an export's
    # explanation reuses): it holds neither number, so nothing of it needs erasing.
    await ModelKeeper(AsyncStore(world), refit_every_s=60).refit()
    assert world.query("SELECT count(*) AS n FROM fitted_models")[0]["n"] == 1
    before = export_person(world, "+45" + BO, SETTINGS, now=time.time()).rows
    erased = forget(world, "+45" + ANNA, key=KEY, actor="dpo", now=time.time())
    assert erased.rows["calls"] == 1 and erased.rows["do_not_call"] == 1
    assert export_person(world, "+45" + ANNA, SETTINGS, now=time.time()).rows == 0
    assert export_person(world, "+45" + BO, SETTINGS, now=time.time()).rows == before
    [entry] = world.query("SELECT phone FROM do_not_call")
    assert entry["phone"] == keyed_hash("+45" + ANNA, KEY)
    [audit] = world.query("SELECT * FROM gdpr_audit")
    assert (audit["actor"], audit["action"], audit["rows"]) == ("dpo", "forget", erased.total)
    # The shop keeps its order for the books, without the link to them.
    [order] = world.query("SELECT * FROM orders WHERE number = :n", {"n": "O-c-anna"})
    assert order["customer_phone"] is None and order["tracking_number"] is None
    # The contact model keeps the counts of their two attempts.
    [tries] = world.query("SELECT sum(tries) AS n FROM contact_aggregates")
    assert tries["n"] == 2
    path = world.path
    world.close()
    raw = path.read_bytes() + (
        path.with_name(path.name + "-wal").read_bytes()
        if path.with_name(path.name + "-wal").exists()
        else b""
    )
    for form in _forms(ANNA):
        assert form not in raw, form
    assert all(form in raw for form in _forms(BO)[:1])


async def test_a_forgotten_number_is_not_called_again(world: SqliteStore) -> None:
    forget(world, "+45" + ANNA, key=KEY, actor="dpo", now=time.time())
    with world.transaction() as tx:
        assert do_not_call.is_opted_out(tx, "+45" + ANNA, hash_key=KEY)
        assert not do_not_call.is_opted_out(tx, "+45" + ANNA)  # without the key nothing matches
        at_intake = intake.record(
            tx, NewRequest(ANNA, RequestSource.API), region="DK", now=time.time(), hash_key=KEY
        )
        assert at_intake.status == "cancelled"
        # A door that does not know the key records it; the dialer, which does, refuses it.
        unknowing = intake.record(
            tx, NewRequest(ANNA, RequestSource.CSV), region="DK", now=time.time()
        )
    pbx = FakePbx()
    db = AsyncStore(world)
    dialer = Dialer(db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="t", hash_key=KEY))
    await dialer.tick()
    await dialer.wait_idle(5)
    db.close()
    assert "+45" + ANNA not in pbx.dialled
    [row] = world.query("SELECT status FROM callback_requests WHERE id = :i", {"i": unknowing.id})
    assert row["status"] == "cancelled"


async def test_forget_cancels_open_callbacks(world: SqliteStore) -> None:
    erased = forget(world, "+45" + BO, key=KEY, actor="dpo", now=time.time())
    assert erased.cancelled == 1 and erased.rows["callback_requests"] == 2
    assert export_person(world, "+45" + BO, SETTINGS, now=time.time()).rows == 0


async def test_the_cli_asks_before_it_forgets(world: SqliteStore, tmp_path: Path) -> None:
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(world.path),
        "SPILLWAY_GDPR__HASH_KEY": KEY.decode(),
    }
    runner = CliRunner()
    out = tmp_path / "bo.json"
    done = runner.invoke(app, ["gdpr", "export", BO, "--out", str(out)], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text())["phone"] == "+45" + BO
    [exported] = world.query("SELECT * FROM gdpr_audit")
    assert exported["action"] == "export" and exported["rows"] > 0
    refused = runner.invoke(app, ["gdpr", "forget", BO], input="n\n", env=env)
    assert refused.exit_code == 1 and "Nothing erased." in refused.output
    assert export_person(world, "+45" + BO, SETTINGS, now=time.time()).rows > 0
    done = runner.invoke(app, ["gdpr", "forget", "+45" + BO, "--yes"], env=env)
    assert done.exit_code == 0, done.output
    assert "1 open callback cancelled" in done.output
    assert export_person(world, "+45" + BO, SETTINGS, now=time.time()).rows == 0
    no_key = runner.invoke(
        app, ["gdpr", "forget", ANNA, "--yes"], env={**env, "SPILLWAY_GDPR__HASH_KEY": ""}
    )
    assert isinstance(no_key.exception, ConfigError) and "gdpr.hash_key" in str(no_key.exception)


async def test_gdpr_key_creates_the_secret_once(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    runner = CliRunner()
    done = runner.invoke(app, ["gdpr", "key"], env={"SPILLWAY_SECRETS_FILE": str(secrets)})
    assert done.exit_code == 0, done.output
    [line] = secrets.read_text().splitlines()
    assert line.startswith("SPILLWAY_GDPR__HASH_KEY=") and len(line) > 40
    again = runner.invoke(app, ["gdpr", "key"], env={"SPILLWAY_SECRETS_FILE": str(secrets)})
    assert "already set" in again.output and secrets.read_text().splitlines() == [line]


SPOOL_FILES = {
    "en": "  callback spool files: 2 files",
    "da": "  filer med tilbagekald fra tastemenuen: 2 filer",
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_forget_reaches_the_callback_spool(
    world: SqliteStore, tmp_path: Path, language: str
) -> None:
    spool = tmp_path / "spool"
    for folder, name, phone in (
        ("new", "waiting.json", "45" + ANNA),
        ("bad", "broken.json", "+45" + ANNA),
        ("bad", "other.json", "45" + BO),
    ):
        (spool / folder).mkdir(parents=True, exist_ok=True)
        (spool / folder / name).write_text(json.dumps({"version": 1, "phone": phone}))
    (spool / "bad" / "broken.json.error").write_text("requested_at: missing\n")
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(world.path),
        "SPILLWAY_GDPR__HASH_KEY": KEY.decode(),
        "SPILLWAY_CALLBACKS__SPOOL_DIR": str(spool),
        "SPILLWAY_WEB__LANGUAGE": language,
    }
    done = CliRunner().invoke(app, ["gdpr", "forget", ANNA, "--yes"], env=env)
    assert done.exit_code == 0, done.output
    assert SPOOL_FILES[language] in done.output.splitlines()
    left = sorted(p.relative_to(spool).as_posix() for p in spool.rglob("*") if p.is_file())
    assert left == ["bad/other.json"]


async def test_the_api_and_the_spool_refuse_a_forgotten_number_at_intake(
    world: SqliteStore, tmp_path: Path
) -> None:
    """Doors that know the key close a forgotten person's new request at once (before
    the fix only the dialer matched the hash, so the request sat pending until then);
    the API, whose client is told, stores nothing at all."""
    import httpx

    from scheduler.spool import import_spool
    from web.callbacks_api import create_app

    forget(world, "+45" + ANNA, key=KEY, actor="dpo", now=time.time())
    before = world.query("SELECT count(*) AS n FROM callback_requests")[0]["n"]
    token = "t" * 32
    settings = Settings(web={"api_token": token}, gdpr={"hash_key": KEY.decode()})
    db = AsyncStore(world)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, db)), base_url="http://api"
    ) as client:
        answer = await client.post(
            "/callbacks",
            json={"phone": ANNA, "reason": "web form"},
            headers={"Authorization": f"Bearer {token}"},
        )
    db.close()
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "do_not_call"
    assert answer.json()["error"]["field"] == "phone"
    assert world.query("SELECT count(*) AS n FROM callback_requests")[0]["n"] == before
    spool = tmp_path / "spool-again"
    (spool / "new").mkdir(parents=True)
    (spool / "new" / "again.json").write_text(
        json.dumps(
            {"version": 1, "phone": "45" + ANNA, "call_id": "again", "requested_at": time.time()}
        )
    )
    report = import_spool(
        world,
        spool,
        region="DK",
        default_timezone="Europe/Copenhagen",
        now=time.time(),
        hash_key=KEY,
    )
    [row] = world.query(
        "SELECT status FROM callback_requests WHERE id = :i", {"i": report.imported[0]}
    )
    assert row["status"] == "cancelled"


async def test_the_audit_log_names_its_time_zone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    store.migrate()
    winter = 1796300000.0  # a December day: Copenhagen is on CET
    forget(store, "+45" + ANNA, key=KEY, actor="dpo", now=winter)
    store.close()
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(tmp_path / "a.db")}
    done = CliRunner().invoke(app, ["gdpr", "audit"], env=env)
    assert done.exit_code == 0, done.output
    assert "CET" in done.output and "forget" in done.output


# The REAL columns of mapped tables that are numbers, not moments.
NOT_TIMES = {"confidence", "plan_pick_share", "hours_since_request", "pick_share", "chance"}
# shadow_plans: the model's P(answer) at each plan's hour, and the predicted choice's propensity.
NOT_TIMES |= {"conventional_probability", "predicted_probability", "predicted_propensity"}
# call_events.turn_ms: a reply's turn latency, a duration.
NOT_TIMES |= {"turn_ms"}


async def test_the_export_gives_times_as_iso_8601_in_the_shops_zone(
    world: SqliteStore, tmp_path: Path
) -> None:
    """Before the fix `gdpr export` wrote epoch seconds (``"created_at": 1796300000.1``)."""
    out = tmp_path / "bo.json"
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(world.path)}
    done = CliRunner().invoke(app, ["gdpr", "export", BO, "--out", str(out)], env=env)
    assert done.exit_code == 0, done.output
    exported = json.loads(out.read_text())
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    assert exported["time_zone"] == "Europe/Copenhagen"
    assert iso.match(exported["exported_at"])
    offset = datetime.now(ZoneInfo("Europe/Copenhagen")).strftime("%z")
    assert exported["exported_at"].endswith(f"{offset[:3]}:{offset[3:]}")
    seen = 0
    for rows in exported["data"].values():
        for row in rows:
            for name, value in row.items():
                if TIME_FIELD.match(name) and value is not None:
                    assert isinstance(value, str) and iso.match(value), (name, value)
                    seen += 1
    assert seen >= 15  # calls, events, turns, requests, attempts, cases, sms, orders
    [timing] = exported["callback_timing"]
    assert iso.match(timing["deadline_at"]) and iso.match(timing["expires_at"])
    # What the customer was promised, too (it was epoch seconds: "promised_by": 1796670000.0).
    assert iso.match(timing["promised_by"]) and iso.match(timing["given_up_at"])
    # And the times inside a merged request's context, now an object, not JSON in a string.
    [open_request] = [r for r in exported["data"]["callback_requests"] if r["status"] == "pending"]
    merged = open_request["context"]["merged"]
    assert merged and all(iso.match(m["at"]) for m in merged)


def test_every_real_column_of_the_map_is_a_time_or_a_number(store: SqliteStore) -> None:
    """A new time column named otherwise would be exported as epoch seconds again."""
    for spec in PERSONAL_DATA:
        for col in store.query(f"PRAGMA table_info({spec.name})"):
            if col["type"] == "REAL":
                assert TIME_FIELD.match(col["name"]) or col["name"] in NOT_TIMES, (
                    f"{spec.name}.{col['name']}: name it *_at, or add it to NOT_TIMES"
                )


async def test_a_danish_shops_export_gives_its_purposes_in_danish(world: SqliteStore) -> None:
    """The purposes are read by the data subject: in the shop's language, one per table."""
    danish = Settings(shop={"language": "da"})
    found = export_person(world, "+45" + BO, danish, now=time.time())
    purposes = found.as_json()["purposes"]
    pack = load_pack("da")
    assert purposes["callback_requests"] == "et tilbagekald, personen bad om"
    assert purposes == {
        name: pack.say(f"purpose_{name}") for name, rows in found.tables.items() if rows
    }


@pytest.mark.parametrize("language", ["en", "da"])
def test_every_table_of_personal_data_has_a_purpose_in_every_pack(language: str) -> None:
    pack = load_pack(language)
    assert all(f"purpose_{t.name}" in pack.prompts for t in PERSONAL_DATA)


# Said beside the two moments of a first call, the hashes and the last call.
DEADLINE_IS_NO_PROMISE = {"en": "not a promise to you", "da": "ikke et løfte til dig"}
PROMISE = {"en": "the promise made to you", "da": "det, vi lovede dig"}
HASH = {"en": "a fingerprint (SHA-256)", "da": "et fingeraftryk (SHA-256)"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_export_says_which_moment_was_promised_and_what_a_hash_is(
    world: SqliteStore, language: str
) -> None:
    """A new admin's walkthrough: the export gave ``"deadline_at": "2026-12-07T12:00"`` and
    "Promised a first call by Mon 07 Dec 20:00" without saying which was the promise, the
    promise itself as epoch seconds, and a request's context as JSON in a string with
    epoch times and bare hashes."""
    settings = Settings(shop={"language": language})
    found = export_person(world, "+45" + BO, settings, now=time.time())
    exported = json.loads(found.json_text())
    zone = ZoneInfo("Europe/Copenhagen")
    [timing] = exported["callback_timing"]
    [explained] = found.explanations
    # Bo's open request is timed by prediction: promised the close of its day, later than
    # the scheduler's own target hour; both kept, each said for what it is.
    assert explained.promised_by > explained.deadline_at
    assert timing["promised_by"] == datetime.fromtimestamp(explained.promised_by, zone).isoformat()
    assert timing["deadline_at"] == datetime.fromtimestamp(explained.deadline_at, zone).isoformat()
    assert PROMISE[language] in timing["promised_by_words"]
    assert DEADLINE_IS_NO_PROMISE[language] in timing["deadline_at_words"]
    assert "promised_by" in timing["deadline_at_words"]  # names the field that is the promise
    # The timeline's promise is the promised_by moment, not the target.
    promised = datetime.fromtimestamp(explained.promised_by, zone)
    target = datetime.fromtimestamp(explained.deadline_at, zone)
    said = timing["timeline"][0].replace(".", ":")  # Danish writes 20.00
    assert f"{promised:%H:%M}" in said and f"{target:%H:%M}" not in said, said
    assert timing["given_up_at_words"]
    # The context, decoded: nothing of what is stored dropped, times ISO, hashes said.
    [stored] = [r for r in found.tables["callback_requests"] if r["status"] == "pending"]
    [request] = [r for r in exported["data"]["callback_requests"] if r["id"] == stored["id"]]
    raw = json.loads(stored["context"])
    assert len(request["context"]["merged"]) == len(raw["merged"]) == 2
    for kept, said in zip(raw["merged"], request["context"]["merged"], strict=True):
        assert {k: v for k, v in said.items() if k not in ("at", "hash_words")} == {
            k: v for k, v in kept.items() if k != "at"
        }
        assert said["at"] == datetime.fromtimestamp(kept["at"], zone).isoformat("T", "seconds")
        assert len(said["hash"]) == 64 and HASH[language] in said["hash_words"]
    # The same hash in the request's own column and in the key of a request that joined it.
    assert HASH[language] in request["idempotency_hash_words"]
    [key] = exported["data"]["callback_request_keys"]
    assert key["idempotency_hash"] in {m["hash"] for m in raw["merged"]}
    assert HASH[language] in key["idempotency_hash_words"]
    # A case's context and a call event's data are objects too.
    assert all(isinstance(c["context"], dict) for c in exported["data"]["cases"])
    assert all(isinstance(e["data"], dict) for e in exported["data"]["call_events"])


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "nothing is stored about {phone}: the export lists no rows"),
        ("da", "der er intet gemt om {phone}: udtrækket indeholder ingen rækker"),
    ],
)
async def test_an_export_of_an_unknown_number_says_so_and_stays_json(
    world: SqliteStore, language: str, said: str
) -> None:
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(world.path), "SPILLWAY_WEB__LANGUAGE": language}
    unknown = "20999999"
    done = CliRunner().invoke(app, ["gdpr", "export", unknown], env=env)
    assert done.exit_code == 0, done.output
    exported = json.loads(done.stdout)  # stdout is the JSON alone, for scripts
    assert exported["phone"] == "+45" + unknown and exported["data"] == {}
    assert without_database_line(done.stderr).strip() == said.format(
        phone=mask_phone("+45" + unknown)
    )
    known = CliRunner().invoke(app, ["gdpr", "export", BO], env=env)
    # Rows found: nothing to add but the database's name.
    assert known.exit_code == 0 and without_database_line(known.stderr) == ""


EXPIRES = {"en": "by our own rule", "da": "efter vores egen regel"}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_expiry_is_said_beside_it_and_the_json_keeps_its_keys(
    world: SqliteStore, language: str
) -> None:
    """A Danish admin: the export showed ``expires_at`` and ``given_up_at`` and explained
    only the second. Now both are; every key the JSON had is still there, as it was."""
    settings = Settings(shop={"language": language})
    found = export_person(world, "+45" + BO, settings, now=time.time())
    exported = json.loads(found.json_text())
    [timing] = exported["callback_timing"]
    [explained] = found.explanations
    words = {"promised_by_words", "deadline_at_words", "given_up_at_words", "expires_at_words"}
    coded = {"plan_reason_words"} if explained.plan_reason else set()
    assert set(timing) == set(explained.as_json()) | words | coded
    zone = ZoneInfo("Europe/Copenhagen")
    expires = datetime.fromtimestamp(explained.expires_at, zone)
    assert timing["expires_at"] == expires.isoformat(timespec="seconds")
    assert EXPIRES[language] in timing["expires_at_words"]
    # The two end moments are told apart: the expiry's words name the other field.
    assert "given_up_at" in timing["expires_at_words"]
    assert list(exported) == [
        "phone",
        "exported_at",
        "time_zone",
        "purposes",
        "data",
        "callback_timing",
    ]


async def test_gdpr_export_format_text_writes_the_letter_in_the_shops_language(
    world: SqliteStore, tmp_path: Path
) -> None:
    """`--format text` writes the letter in shop.language (the customer's, whatever the
    console's), with no stored codes; without it the JSON as before."""
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(world.path),
        "SPILLWAY_SHOP__LANGUAGE": "da",
        "SPILLWAY_WEB__LANGUAGE": "en",
    }
    out = tmp_path / "bo.txt"
    done = CliRunner().invoke(
        app, ["gdpr", "export", BO, "--format", "text", "--out", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    letter = out.read_text(encoding="utf-8")
    assert letter.startswith("Det har Spillway Demo Shop gemt om dig")
    assert "Status: venter" in letter and "Dine rettigheder" in letter
    assert '"status"' not in letter and "pending" not in letter
    plain = CliRunner().invoke(app, ["gdpr", "export", BO], env=env)
    assert json.loads(plain.stdout)["phone"] == "+45" + BO


@pytest.mark.parametrize("language", ["en", "da"])
def test_an_expiry_after_the_asked_window_says_the_window_ends_first(language: str) -> None:
    """The Danish admin's case: expires_at 10 December, given_up_at 7 December (the time
    the customer asked for ends first): the expiry's words say why no call comes after
    the earlier moment."""
    text = load_console_text(language)
    moments = {"promised_by": 1.0, "deadline_at": 1.0, "given_up_at": 5.0, "expires_at": 9.0}
    said = timing_words(moments, text)
    assert said["expires_at_words"] == text("dp.export_fields.expires_window")
    assert said["given_up_at_words"] == text("dp.export_fields.given_up_window")
    assert list(said)[: len(moments) * 2 : 2] == list(moments)  # each word after its field
