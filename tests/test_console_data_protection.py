"""The console's data-protection page: admin only, CSRF on every action, and it uses the
library: forget through the console leaves nothing for export, the download is the JSON
`gdpr export` writes, the audit log names the console user and never the number."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from scheduler.subject_access import SubjectExport, export_person
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.gdpr_world import fill_through_every_door
from web.app import create_web_app
from web.users import Role, entry

pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "a long test password"
USERS = {
    "ada": entry(Role.ADMIN, PASSWORD),
    "sam": entry(Role.SUPERVISOR, PASSWORD),
    "vera": entry(Role.VIEWER, PASSWORD),
}
ANNA, BO = "20123456", "31987654"  # the person forgotten, and a bystander
KEY = "k3y-for-the-console-tests"
PAGE = "/data-protection"
# Every route of the page, and a form that would act if the role allowed it.
ROUTES = [
    ("GET", PAGE, {}),
    ("POST", f"{PAGE}/search", {"phone": BO}),
    ("POST", f"{PAGE}/export", {"phone": BO}),
    ("POST", f"{PAGE}/forget", {"phone": BO}),
    ("POST", f"{PAGE}/forget", {"phone": BO, "confirm": "+45" + BO}),
    ("POST", f"{PAGE}/hold", {"phone": BO, "reason": "SAR-7"}),
    ("POST", f"{PAGE}/release", {"phone": BO, "reason": "SAR-7 answered"}),
]


@pytest_asyncio.fixture(loop_scope="session")
async def world(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, Settings]]:
    store = SqliteStore(tmp_path / "world.db")
    store.migrate()
    await fill_through_every_door(store, tmp_path, national=ANNA, call_id="c-anna", opt_out=True)
    await fill_through_every_door(store, tmp_path, national=BO, call_id="c-bo", opt_out=False)
    settings = Settings(
        web={"users": USERS, "session_secret": "s" * 40},
        gdpr={"hash_key": KEY},
        callbacks={"spool_dir": str(tmp_path / "spool")},
    )
    yield store, settings
    store.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


@asynccontextmanager
async def _client(
    world: tuple[SqliteStore, Settings], user: str | None
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client logged in as ``user`` (None: no session), and its CSRF token."""
    store, settings = world
    db = AsyncStore(store)
    transport = httpx.ASGITransport(app=create_web_app(settings, db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            token = _csrf((await client.get("/login")).text)
            if user is not None:
                done = await client.post(
                    "/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
                )
                assert done.status_code == 303
                token = _csrf((await client.get("/")).text)
            yield client, token
    finally:
        db.close()


def _speaking(world: tuple[SqliteStore, Settings], language: str) -> tuple[SqliteStore, Settings]:
    """``world`` with its console in ``language``."""
    store, settings = world
    web = settings.web.model_copy(update={"language": language})
    return store, settings.model_copy(update={"web": web})


def _audit(store: SqliteStore) -> list[dict[str, object]]:
    return [dict(r) for r in store.query("SELECT * FROM gdpr_audit ORDER BY id")]


@pytest.mark.parametrize("user", ["vera", "sam"])
@pytest.mark.parametrize(("method", "path", "form"), ROUTES)
async def test_a_viewer_or_supervisor_gets_403_everywhere(
    world: tuple[SqliteStore, Settings], user: str, method: str, path: str, form: dict[str, str]
) -> None:
    store, _ = world
    before = export_person(store, "+45" + BO, world[1], now=time.time()).rows
    async with _client(world, user) as (client, token):
        answer = await client.request(
            method, path, data={**form, "csrf_token": token} if method == "POST" else None
        )
        home = await client.get("/")
    assert answer.status_code == 403, answer.text
    assert "+45" + BO not in answer.text
    assert "Data protection" not in home.text  # no link to a page they may not open
    assert export_person(store, "+45" + BO, world[1], now=time.time()).rows == before
    assert _audit(store) == []


@pytest.mark.parametrize(("method", "path", "form"), ROUTES)
async def test_an_admin_may_use_every_route(
    world: tuple[SqliteStore, Settings], method: str, path: str, form: dict[str, str]
) -> None:
    async with _client(world, "ada") as (client, token):
        answer = await client.request(
            method, path, data={**form, "csrf_token": token} if method == "POST" else None
        )
    assert answer.status_code in (200, 303), answer.text


@pytest.mark.parametrize(("method", "path", "form"), ROUTES)
async def test_nothing_is_answered_without_a_session(
    world: tuple[SqliteStore, Settings], method: str, path: str, form: dict[str, str]
) -> None:
    async with _client(world, None) as (client, token):
        answer = await client.request(
            method, path, data={**form, "csrf_token": token} if method == "POST" else None
        )
    assert answer.status_code in (401, 303)
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/login")
    assert _audit(world[0]) == []


@pytest.mark.parametrize(("method", "path", "form"), [r for r in ROUTES if r[0] == "POST"])
async def test_an_admins_form_without_its_csrf_token_is_refused(
    world: tuple[SqliteStore, Settings], method: str, path: str, form: dict[str, str]
) -> None:
    store, settings = world
    before = export_person(store, "+45" + BO, settings, now=time.time()).rows
    async with _client(world, "ada") as (client, _):
        missing = await client.post(path, data=form)
        forged = await client.post(path, data={**form, "csrf_token": "forged"})
    assert missing.status_code == 403 and forged.status_code == 403
    assert export_person(store, "+45" + BO, settings, now=time.time()).rows == before
    assert _audit(store) == [] and store.query("SELECT * FROM gdpr_holds") == []


async def test_forget_asks_first_then_export_finds_nothing(
    world: tuple[SqliteStore, Settings],
) -> None:
    store, settings = world
    async with _client(world, "ada") as (client, token):
        typo = await client.post(f"{PAGE}/search", data={"phone": "2012x", "csrf_token": token})
        found = await client.post(
            f"{PAGE}/search", data={"phone": "20 12 34 56", "csrf_token": token}
        )
        asked = await client.post(f"{PAGE}/forget", data={"phone": ANNA, "csrf_token": token})
        assert export_person(store, "+45" + ANNA, settings, now=time.time()).rows > 10
        wrong = await client.post(  # a confirmation of another number only asks again
            f"{PAGE}/forget", data={"phone": ANNA, "confirm": "+45" + BO, "csrf_token": token}
        )
        assert export_person(store, "+45" + ANNA, settings, now=time.time()).rows > 10
        done = await client.post(
            f"{PAGE}/forget",
            data={"phone": "+45" + ANNA, "confirm": "+45" + ANNA, "csrf_token": token},
        )
        exported = await client.post(f"{PAGE}/export", data={"phone": ANNA, "csrf_token": token})
        bo = await client.post(f"{PAGE}/export", data={"phone": BO, "csrf_token": token})
    assert typo.status_code == 400 and "is not a phone number" in typo.text
    # The search normalises the number as the CLI does and counts per table of the map.
    assert found.status_code == 200 and "+4520123456: " in found.text
    # Each table by the pack's word for it, and its own name (the export's key).
    assert re.search(
        r"<td>callbacks <small>\(callback_requests\)</small></td><td>\d+</td>", found.text
    )
    assert re.search(r'id="opt-out">yes<', found.text)
    # The confirmation repeats the number and the counts.
    assert "Erase everything stored about +4520123456?" in asked.text
    assert re.search(
        r"<td>call transcripts <small>\(transcript_turns\)</small></td><td>2</td>", asked.text
    )
    assert 'name="confirm" value="+4520123456"' in asked.text
    assert "Erase everything stored about +4520123456?" in wrong.text
    assert "is forgotten" not in wrong.text
    assert done.status_code == 303 and done.headers["location"] == PAGE
    _only_the_keyed_opt_out(export_person(store, "+45" + ANNA, settings, now=time.time()))
    # Anna had opted out: the export's one row is that entry, as its keyed hash.
    data = json.loads(exported.text)["data"]
    assert data.keys() == {"do_not_call"}
    [kept] = data["do_not_call"]
    assert kept["phone"].startswith("hmac:") and "keyed hash" in kept["phone_words"]
    assert json.loads(bo.text)["data"]["callback_requests"]  # the bystander stays
    actions = [(a["action"], a["actor"]) for a in _audit(store)]
    # The typo looked nothing up; the search and both confirmations did.
    assert actions == [("search", "ada")] * 3 + [
        ("forget", "ada"), ("export", "ada"), ("export", "ada")
    ]  # fmt: skip


async def test_the_download_is_what_gdpr_export_writes(
    world: tuple[SqliteStore, Settings],
) -> None:
    store, settings = world
    async with _client(world, "ada") as (client, token):
        answer = await client.post(f"{PAGE}/export", data={"phone": BO, "csrf_token": token})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="subject-4531987654.json"'
    got = json.loads(answer.text)
    cli = export_person(store, "+45" + BO, settings, now=time.time()).as_json()
    assert got["phone"] == "+45" + BO and got["data"] == cli["data"]
    assert got["time_zone"] == "Europe/Copenhagen"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", got["exported_at"])


async def test_hold_and_release_with_the_console_user_in_the_audit_log(
    world: tuple[SqliteStore, Settings],
) -> None:
    async with _client(world, "ada") as (client, token):
        no_reason = await client.post(f"{PAGE}/hold", data={"phone": BO, "csrf_token": token})
        held = await client.post(
            f"{PAGE}/hold", data={"phone": BO, "reason": "SAR-2026-17", "csrf_token": token}
        )
        page = await client.get(PAGE)
        searched = await client.post(f"{PAGE}/search", data={"phone": BO, "csrf_token": token})
        bare = await client.post(f"{PAGE}/release", data={"phone": BO, "csrf_token": token})
        with_number = await client.post(
            f"{PAGE}/release",
            data={"phone": BO, "reason": "rang 31 98 76 54", "csrf_token": token},
        )
        still = await client.get(PAGE)
        released = await client.post(
            f"{PAGE}/release",
            data={"phone": BO, "reason": "SAR-2026-17 answered", "csrf_token": token},
        )
        after = await client.get(PAGE)
    assert no_reason.status_code == 400
    assert held.status_code == 303 and released.status_code == 303
    holds = page.text.split('id="holds"')[1].split("</table>")[0]
    assert "SAR-2026-17" in holds and "ada" in holds
    assert "<td>+********54</td>" in holds and "<td>+4531987654<" not in holds  # shown masked
    assert "by ada: SAR-2026-17" in searched.text
    assert bare.status_code == 400 and "a release needs its reason" in bare.text
    assert with_number.status_code == 400 and "must never keep it" in with_number.text
    assert "SAR-2026-17" in still.text.split('id="holds"')[1]  # still held
    assert "nobody is held" in after.text
    audit = after.text.split('id="audit"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\w+)</td><td>(\w+)</td>", audit)
    assert [(action, actor) for _, action, actor in rows] == [
        ("release", "ada"), ("search", "ada"), ("hold", "ada")
    ]  # fmt: skip
    assert '<td class="reason">SAR-2026-17 answered</td>' in audit
    # Times as every page writes them: the shop's zone named in the heading, not an
    # abbreviation (CET) in each cell.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", when) for when, _, _ in rows)
    heading = after.text.split('id="audit"')[0].rsplit("<h2>", 1)[1]
    assert "Europe/Copenhagen" in heading, heading
    assert not re.search(r"3198|98 ?76|31 98", audit)  # never the number


async def test_a_second_hold_from_the_console_adds_its_reason(
    world: tuple[SqliteStore, Settings],
) -> None:
    store, _ = world
    async with _client(world, "ada") as (client, token):
        for reason in ("SAR-1", "SAR-2"):
            done = await client.post(
                f"{PAGE}/hold", data={"phone": BO, "reason": reason, "csrf_token": token}
            )
            assert done.status_code == 303
            shown = await client.get(PAGE)
        again = await client.get(PAGE)
        searched = await client.post(f"{PAGE}/search", data={"phone": BO, "csrf_token": token})
    said = shown.text.split('id="held"')[1].split("</p>")[0]
    assert "+********54 was already held: the hold stands, and the reason was added" in said
    assert 'id="held"' not in again.text  # said once
    assert "SAR-1; SAR-2" in shown.text.split('id="holds"')[1]
    assert "Add a reason to the hold" in searched.text  # offered while held
    holds = [(a["action"], a["actor"], a["reason"]) for a in _audit(store) if a["action"] == "hold"]
    assert holds == [("hold", "ada", "SAR-1"), ("hold", "ada", "SAR-2")]


async def test_forget_without_the_hash_key_says_so_and_erases_nothing(
    world: tuple[SqliteStore, Settings],
) -> None:
    store, settings = world
    no_key = (
        store,
        settings.model_copy(update={"gdpr": settings.gdpr.model_copy(update={"hash_key": None})}),
    )
    async with _client(no_key, "ada") as (client, token):
        answer = await client.post(
            f"{PAGE}/forget", data={"phone": BO, "confirm": "+45" + BO, "csrf_token": token}
        )
    assert answer.status_code == 409 and "gdpr.hash_key" in answer.text
    assert export_person(store, "+45" + BO, settings, now=time.time()).rows > 10


async def test_forget_without_the_hash_key_says_so_before_the_confirmation(
    world: tuple[SqliteStore, Settings],
) -> None:
    """The first "Forget…" already says the erasure cannot be done (and what to run),
    instead of a confirmation whose "Yes, erase" then fails."""
    store, settings = world
    no_key = (
        store,
        settings.model_copy(update={"gdpr": settings.gdpr.model_copy(update={"hash_key": None})}),
    )
    async with _client(no_key, "ada") as (client, token):
        answer = await client.post(f"{PAGE}/forget", data={"phone": BO, "csrf_token": token})
    assert answer.status_code == 409
    assert 'id="confirm"' not in answer.text and "Yes, erase" not in answer.text
    assert "spillway gdpr key" in answer.text and "Nothing was erased." in answer.text


async def test_a_search_is_audited_without_the_number(
    world: tuple[SqliteStore, Settings],
) -> None:
    """Who looked a person up, when, and how many rows per table; the number nowhere in the
    log (stored or shown), and a search that looked nothing up leaves no record."""
    store, _ = world
    before = time.time()
    async with _client(world, "ada") as (client, token):
        typo = await client.post(f"{PAGE}/search", data={"phone": "31x", "csrf_token": token})
        found = await client.post(f"{PAGE}/search", data={"phone": BO, "csrf_token": token})
        page = await client.get(PAGE)
    assert typo.status_code == 400 and found.status_code == 200
    [entry] = _audit(store)
    assert (entry["action"], entry["actor"]) == ("search", "ada")
    assert before <= float(str(entry["at"])) <= time.time()
    counts = json.loads(str(entry["detail"]))
    assert counts["callback_requests"] >= 1 and entry["rows"] == sum(counts.values())
    shown = (
        f"callbacks <small>(callback_requests)</small></td><td>{counts['callback_requests']}</td>"
    )
    assert shown in found.text
    stored = json.dumps(entry)
    assert not any(form in stored for form in ("31987654", "4531987654"))
    audit = page.text.split('id="audit"')[1].split("</table>")[0]
    assert "<td>search</td><td>ada</td>" in audit and "3198" not in audit
    # The rows per table in words, not the stored JSON.
    assert f"callbacks: {counts['callback_requests']}" in audit and '{"' not in audit


async def test_forget_answers_with_a_redirect_so_a_reload_erases_nothing_again(
    world: tuple[SqliteStore, Settings],
) -> None:
    """POST/redirect/GET: the confirmed forget answers 303 to the page; the page shows what
    went once (number masked), and reloading it shows and writes nothing more."""
    store, settings = world
    async with _client(world, "ada") as (client, token):
        done = await client.post(
            f"{PAGE}/forget", data={"phone": ANNA, "confirm": "+45" + ANNA, "csrf_token": token}
        )
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "is forgotten" not in done.text  # the result is not the POST's own page
        shown = await client.get(done.headers["location"])
        audit_after = _audit(store)
        reloaded = await client.get(PAGE)
    assert shown.status_code == 200
    result = shown.text.split('id="forgotten"')[1].split("</section>")[0]
    assert "+********56 is forgotten" in result and re.search(
        r"\d+ open callbacks? cancelled", result
    )
    assert re.search(r"<li>call transcripts: 2</li>", result)
    example = 'placeholder="20123456 or +4520123456"'  # the search field's example is Anna's
    assert "20123456" not in shown.text.replace(example, "")
    assert 'id="forgotten"' not in reloaded.text  # shown once
    assert _audit(store) == audit_after  # the reload wrote nothing
    assert [a["action"] for a in audit_after].count("forget") == 1
    _only_the_keyed_opt_out(export_person(store, "+45" + ANNA, settings, now=time.time()))


def _only_the_keyed_opt_out(found: SubjectExport) -> None:
    """After erasure the export finds nothing of Anna's but her do-not-call entry, kept
    as the keyed hash of her number (data about her all the same)."""
    assert {name for name, rows in found.tables.items() if rows} == {"do_not_call"}
    [entry] = found.tables["do_not_call"]
    assert entry["phone"].startswith("hmac:")


async def test_a_hold_or_release_in_a_search_s_result_shows_that_result_again(
    world: tuple[SqliteStore, Settings],
) -> None:
    """Pressing Hold (or Release) under a number found by a search led to a page without
    the number: the search's result comes back, updated, and once; still never in a URL."""
    store, _ = world
    back = {"phone": BO, "back": "found"}
    async with _client(world, "ada") as (client, token):
        searched = await client.post(f"{PAGE}/search", data={"phone": BO, "csrf_token": token})
        assert 'name="back" value="found"' in searched.text  # the result's hold form says so
        held = await client.post(
            f"{PAGE}/hold", data={**back, "reason": "SAR-9", "csrf_token": token}
        )
        after_hold = await client.get(PAGE)
        reload = await client.get(PAGE)
        released = await client.post(
            f"{PAGE}/release", data={**back, "reason": "SAR-9 answered", "csrf_token": token}
        )
        after_release = await client.get(PAGE)
        from_list = await client.post(
            f"{PAGE}/hold", data={"phone": BO, "reason": "SAR-10", "csrf_token": token}
        )
        after_list = await client.get(PAGE)
    assert held.headers["location"] == PAGE == released.headers["location"]
    assert "3198" not in held.headers.get("set-cookie", "")
    found = after_hold.text.split('id="found"')[1].split("</section>")[0]
    assert "+4531987654: " in found and "by ada: SAR-9" in found
    assert 'id="found"' not in reload.text  # shown once
    found = after_release.text.split('id="found"')[1].split("</section>")[0]
    assert "+4531987654: " in found and re.search(r'id="hold">none<', found)
    assert from_list.status_code == 303 and 'id="found"' not in after_list.text
    actions = [a["action"] for a in _audit(store)]
    assert actions == ["search", "hold", "release", "hold"]  # showing it again is no search


@pytest.mark.parametrize(
    ("language", "needs", "where", "never"),
    [
        ("en", "a hold needs its reason", "in the Reason field", "the audit log must never"),
        ("da", "en tilbageholdelse skal have en begrundelse", "i feltet Begrundelse", "aldrig"),
    ],
)
async def test_a_refused_reason_is_said_in_the_consoles_language_without_cli_flags(
    world: tuple[SqliteStore, Settings], language: str, needs: str, where: str, never: str
) -> None:
    store, _ = world
    spoken = _speaking(world, language)
    async with _client(spoken, "ada") as (client, token):
        bare = await client.post(f"{PAGE}/hold", data={"phone": BO, "csrf_token": token})
        with_number = await client.post(
            f"{PAGE}/release",
            data={"phone": BO, "reason": "ring 31 98 76 54", "csrf_token": token},
        )
    problems = [
        re.search(r'<p class="problem" role="alert">([^<]+)</p>', a.text)
        for a in (bare, with_number)
    ]
    assert bare.status_code == 400 and with_number.status_code == 400
    said = [html.unescape(p.group(1)) if p else "" for p in problems]
    assert needs in said[0] and where in said[0], said
    assert never in said[1], said
    assert not any("--reason" in s for s in said)  # no CLI flag on a web page
    assert [a["action"] for a in _audit(store)] == []  # nothing held, nothing released


# The words of a held number's confirmation and refusals, per console language.
HOLD_WORDS = {
    "en": ("On hold since", "Release the hold and erase", "the number is on hold", "never keep"),
    "da": (
        "Tilbageholdt siden",
        "Ophæv tilbageholdelsen og slet",
        "nummeret er tilbageholdt",
        "aldrig gemme",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_held_number_is_erased_only_with_a_reason_to_release_its_hold(
    world: tuple[SqliteStore, Settings], language: str
) -> None:
    """As `gdpr forget` without --release-hold: the confirmation shows the hold and what
    goes, a "yes" without a reason is refused, so is a reason holding the number; with a
    reason the hold is released (audited, with it) and then the number erased."""
    store, settings = world
    since, button, refused, never = HOLD_WORDS[language]
    spoken = _speaking(world, language)
    bo = "+45" + BO
    yes = {"phone": BO, "confirm": bo}

    def stored() -> int:
        return export_person(store, bo, settings, now=time.time()).rows

    async with _client(spoken, "ada") as (client, token):
        held = await client.post(
            f"{PAGE}/hold", data={"phone": BO, "reason": "SAR-5", "csrf_token": token}
        )
        assert held.status_code == 303
        before = stored()
        asked = await client.post(f"{PAGE}/forget", data={"phone": BO, "csrf_token": token})
        bare = await client.post(f"{PAGE}/forget", data={**yes, "csrf_token": token})
        blank = await client.post(
            f"{PAGE}/forget", data={**yes, "release_hold": "  ", "csrf_token": token}
        )
        with_number = await client.post(
            f"{PAGE}/forget",
            data={**yes, "release_hold": "SAR-5 done, 31 98 76 54", "csrf_token": token},
        )
        assert stored() == before and store.query("SELECT * FROM gdpr_holds")
        assert [a["action"] for a in _audit(store)].count("forget") == 0
        released = await client.post(
            f"{PAGE}/forget", data={**yes, "release_hold": "SAR-5 answered", "csrf_token": token}
        )
    confirm = asked.text.split('id="confirm"')[1].split("</section>")[0]
    assert since in confirm and "ada" in confirm and "SAR-5" in confirm
    assert re.search(r"\(callback_requests\)</small></td><td>\d+</td>", confirm)  # what goes
    assert button in confirm and 'name="release_hold"' in confirm
    for answer in (bare, blank):
        assert answer.status_code == 409 and refused in html.unescape(answer.text)
        assert 'name="release_hold"' in answer.text  # asked again, with the field
    assert with_number.status_code == 400 and never in html.unescape(with_number.text)
    assert released.status_code == 303 and released.headers["location"] == PAGE
    assert stored() == 0 and store.query("SELECT * FROM gdpr_holds") == []
    acted = [(a["action"], a["actor"], a["reason"]) for a in _audit(store)]
    assert [a for a in acted if a[0] != "search"] == [
        ("hold", "ada", "SAR-5"), ("release", "ada", "SAR-5 answered"), ("forget", "ada", None)
    ]  # fmt: skip
    assert "3198" not in json.dumps(_audit(store))  # the refused reason was never written


# What the search says of an erased number that had opted out, per console language:
# its one row and what that row is (the pack's words, not derived from the code).
KEPT_WORDS = {
    "en": ("do not call <small>(do_not_call)</small></td><td>1</td>", "yes, as a keyed hash only"),
    "da": (
        "spærret mod opkald <small>(do_not_call)</small></td><td>1</td>",
        "ja, kun som en nøglet hash",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_search_for_an_erased_number_counts_and_names_its_hashed_opt_out(
    world: tuple[SqliteStore, Settings], language: str
) -> None:
    """After erasure the search said "0 rows in all" while `gdpr export` (JSON and text)
    still found the opted-out number's do-not-call entry, kept as its keyed hash: the page
    now counts that row, as the export does, and says what it is."""
    store, settings = world
    row, said = KEPT_WORDS[language]
    spoken = _speaking(world, language)
    anna = "+45" + ANNA
    async with _client(spoken, "ada") as (client, token):
        done = await client.post(
            f"{PAGE}/forget", data={"phone": ANNA, "confirm": anna, "csrf_token": token}
        )
        assert done.status_code == 303
        found = await client.post(f"{PAGE}/search", data={"phone": ANNA, "csrf_token": token})
        bystander = await client.post(f"{PAGE}/search", data={"phone": BO, "csrf_token": token})
    exported = export_person(store, anna, settings, now=time.time())
    _only_the_keyed_opt_out(exported)
    result = html.unescape(found.text.split('id="found"')[1].split("</section>")[0])
    assert row in result and result.count("</td></tr>") == 1  # that row, and no other
    opt_out = result.split('id="opt-out">')[1].split("</dd>")[0]
    assert opt_out.startswith(said) and "spillway gdpr export --format text" in opt_out
    # The search's audit entry counts what the export counts: that one row.
    search = [a for a in _audit(store) if a["action"] == "search"][-2]
    assert (
        json.loads(str(search["detail"]))
        == {"do_not_call": 1}
        == {name: len(rows) for name, rows in exported.tables.items() if rows}
    )
    # A number on the list as itself (Bo never opted out; Anna before erasure) is a plain yes.
    assert re.search(r'id="opt-out">(no|nej)<', bystander.text)
