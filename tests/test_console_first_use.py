"""What a Danish shop's team lead met on a first look at the console, fixed: the Health
page names a missing erasure key, the Model page's staleness limit is a Danish number in a
Danish sentence, the Pilot page's window is written as the console writes times, the
Overview's median hours have one decimal, and a request's excluded hours are in hours
("t"), not "h". Then (the second walk-through): a request's plan told to the team lead
about the customer in one time format, the Pilot page's amounts in the shop's currency,
the calibration from real attempts, the Overview on the last 7 days while today is empty,
and no fix beside an ok SMS check (an unset gateway is now a warning with its fix)."""

from __future__ import annotations

import re
import time

import pytest

from scheduler.timing.explain import LEAD_PREFIX, about_the_customer
from spillway.console_text import load_console_text
from spillway.language_pack import available_languages, load_pack
from spillway.personal_data import PERSONAL_DATA
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from tests.console_fixtures import console_pages, console_settings
from web.health import health_checks


def _check(store: SqliteStore, settings: Settings, name: str) -> tuple[bool, str, str]:
    checks = health_checks(
        store, settings, time.time(), stale_after_s=60.0, text=load_console_text("da")
    )
    found = [c for c in checks if c.name == name]
    assert len(found) == 1, [c.name for c in checks]
    return found[0].ok, found[0].cause, found[0].fix


def test_health_names_a_missing_erasure_key(store: SqliteStore) -> None:
    name = "nøgle til sletning (gdpr.hash_key)"
    ok, cause, fix = _check(store, Settings(), name)
    assert (ok, fix) == (False, "spillway gdpr key") and "Databeskyttelse" in cause
    ok, cause, fix = _check(store, Settings(gdpr={"hash_key": "k" * 20}), name)
    assert (ok, cause, fix) == (True, "sat", "")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_danish_pages_write_danish_numbers_and_times(console_db: AsyncStore) -> None:
    pages = await console_pages(
        console_settings("da"), console_db, ["/model", "/pilot", "/?window=30d", "/requests/5"]
    )
    assert "forældet, når den er ældre end 24 t;" in pages["/model"]  # not "24.0 t"
    window = pages["/pilot"].split('id="pilot-window-label"')[1].split("</p>")[0]
    assert re.search(r"til \d{4}-\d\d-\d\d \d\d:\d\d \(", window), window  # not ISO's T+01:00
    # The end (the start names the first pilot request, its date in brackets).
    assert "T" not in re.sub(r"<[^>]+>", "", window).split(" til ")[1].split(" (")[0]
    # The timing in words; its setting's name only as the admin's hint.
    assert 'Tilbagekald planlægges nu med forudsagt timing <small class="admin-hint"' in window
    assert '<span class="small">· optalt kl. ' in window  # not ". optalt", as on the Overview
    assert ">og før <input" in pages["/pilot"]
    overview = pages["/?window=30d"]
    median = re.search(r'data-kpi="median_hours_to_contact">([^<]+)<', overview)
    assert median is not None
    assert re.fullmatch(r"\d+(,\d)?|-", median.group(1)), median.group(1)
    assert "timer til kontakt (median)</th>" in overview
    # Refused hours are a count of the week's hours (it was "168 t:", a duration).
    refused = re.search(r"<li>\d+ af ugens timer: ", pages["/requests/5"])
    assert refused and "h: " not in pages["/requests/5"]


@pytest.mark.parametrize("code", available_languages())
def test_every_table_of_the_personal_data_map_has_a_word(code: str) -> None:
    """The Data protection page names the tables it counts in the pack's words."""
    strings = load_console_text(code).strings
    assert [t.name for t in PERSONAL_DATA if f"table.{t.name}" not in strings] == []


@pytest.mark.asyncio(loop_scope="session")
async def test_the_model_and_a_request_say_the_default_segment_and_policy_in_danish(
    console_db: AsyncStore,
) -> None:
    pages = await console_pages(console_settings("da"), console_db, ["/model", "/requests/5"])
    assert "<h3>standard</h3>" in pages["/model"] and "<h3>default</h3>" not in pages["/model"]
    assert 'data-segment="default"' in pages["/model"]  # the stored name stays for scripts
    timing = pages["/requests/5"].split('<dd id="timing">')[1].split("</dd>")[0]
    assert "efter butikkens indstilling callbacks.policy" in timing and "((" not in timing


@pytest.mark.asyncio(loop_scope="session")
async def test_the_pilot_s_money_terms_have_two_decimals_and_danish_names(
    console_db: AsyncStore,
) -> None:
    pages = await console_pages(console_settings("da"), console_db, ["/pilot"])
    terms = pages["/pilot"].split('id="pilot-terms">')[1].split("</ul>")[0]
    # The saving with its range (three amounts), the extra revenue; no investment is set.
    saved = terms.split('<li id="pilot-saved">sparet ')[1].split(":")[0]
    extra = terms.split("<li>ekstra omsætning ")[1].split(":")[0]
    amounts = re.findall(r"(-?[\d.,]+) DKK", saved + " " + extra)
    assert len(amounts) == 4 and all(re.fullmatch(r"-?[\d.]+,\d\d", a) for a in amounts), amounts
    assert "<li>investering ikke angivet: " in terms
    assert "/ 60 \u00d7 prisen på en agenttime</li>" in terms
    # The agent hour with its currency: the default is a Danish agent's, 350 DKK, not 35.
    assert (
        '<li id="pilot-staff-hour">En agenttime koster 350,00 DKK med alle omkostninger '
        '<small class="admin-hint"' in terms
    )
    assert "(indstilling: <code>callbacks.pilot.roi.staff_cost_per_hour</code>)" in terms
    assert "pilot-staff-hour-warning" not in terms


@pytest.mark.asyncio(loop_scope="session")
async def test_a_call_s_turn_times_are_whole_milliseconds(console_db: AsyncStore) -> None:
    page = (await console_pages(console_settings("da"), console_db, ["/calls/c1"]))["/calls/c1"]
    assert "<td>400</td>" in page and "<td>800</td>" in page and ",0</td>" not in page


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("hours", "shown"), [(24, "24 t"), (1.5, "1,5 t")])
async def test_the_staleness_limit_from_a_configuration_file(
    console_db: AsyncStore, hours: float, shown: str
) -> None:
    """A YAML ``model_max_age_hours: 24`` is the float 24.0: still "24 t"."""
    base = console_settings("da")
    settings = Settings(
        shop={"language": "da"},
        web=base.web.model_dump(),
        callbacks={"model_max_age_hours": hours},
    )
    assert isinstance(settings.callbacks.model_max_age_hours, float)
    page = (await console_pages(settings, console_db, ["/model"]))["/model"]
    assert f"ældre end {shown};" in page


@pytest.mark.asyncio(loop_scope="session")
async def test_the_callbacks_filter_says_what_open_means(console_db: AsyncStore) -> None:
    page = (await console_pages(console_settings("da"), console_db, ["/requests"]))["/requests"]
    assert '<option value="open" >åben (venter eller ringer op)</option>' in page
    assert ">tastemenu (eftersendt)</option>" in page  # the spool: not a queue ("kø")


PLAN_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d"  # as the console writes times everywhere else


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("code", "customer", "to_the_customer"),
    [
        # Request 5 came from the API: no caller was told its deadline, so it is the aim.
        ("da", "Målet er et første opkald senest ", r"\b(du|dig|din|dit|vi|Vi)\b"),
        ("en", "The aim is a first call by ", r"\b(you|your|we|We)\b"),
    ],
)
async def test_a_request_s_plan_speaks_to_the_team_lead_in_one_time_format(
    console_db: AsyncStore, code: str, customer: str, to_the_customer: str
) -> None:
    """The plan said "din anmodning" / "your request" (the customer's explanation) and wrote
    "lør d. 5. dec kl. 14.00" beside "lør 05 dec 14:00"."""
    pages = await console_pages(console_settings(code), console_db, ["/requests/3", "/requests/5"])
    for path in ("/requests/3", "/requests/5"):
        plan = pages[path].split('<p id="plan">')[1].split("</p>")[0]
        words = re.sub(r"<[^>]+>", " ", plan)
        assert not re.search(to_the_customer, words), words
        assert len(re.findall(PLAN_TIME, words)) >= 2, words
        factors = pages[path].split('<ul id="factors">')[1].split("</ul>")[0]
        said = re.sub(r"<[^>]+>", " ", factors)
        assert said.strip() and not re.search(to_the_customer, said), said
        assert not re.search(r"\d", re.sub(PLAN_TIME, "", words)), words  # no other format
    assert re.search(customer + PLAN_TIME, pages["/requests/5"])


def test_the_shop_s_currency_is_its_country_s_unless_set() -> None:
    assert Settings().shop.currency == "DKK"  # shop.country: DK
    assert Settings(shop={"country": "SE"}).shop.currency == "SEK"
    assert Settings(shop={"country": "DE", "currency": None}).shop.currency == "EUR"
    assert Settings(shop={"country": "DK", "currency": "EUR"}).shop.currency == "EUR"
    with pytest.raises(ValueError, match="currency"):
        Settings(shop={"currency": "kr."})


def test_money_as_each_language_writes_it() -> None:
    da, en = load_console_text("da"), load_console_text("en")
    assert (da.money(1234.5, "DKK"), da.money(-0.3, "DKK")) == ("1.234,50 DKK", "-0,30 DKK")
    assert (en.money(1234.5, "SEK"), en.money(None, "SEK")) == ("SEK 1,234.50", "-")


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("code", "shop", "amount"),
    [
        ("da", {}, r"-?\d{1,3}(\.\d{3})*,\d\d DKK"),
        ("en", {"country": "SE"}, r"SEK -?\d{1,3}(,\d{3})*\.\d\d"),
        ("en", {"currency": "EUR"}, r"EUR -?\d{1,3}(,\d{3})*\.\d\d"),
    ],
)
async def test_the_pilot_s_amounts_say_their_currency(
    console_db: AsyncStore, code: str, shop: dict[str, str], amount: str
) -> None:
    """The Pilot page's costs had no currency: each amount says the shop's."""
    base = console_settings(code)
    settings = Settings(shop={"language": code, **shop}, web=base.web.model_dump())
    page = (await console_pages(settings, console_db, ["/pilot"]))["/pilot"]
    table = page.split('id="pilot-money">')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-arm="\w+">(.*?)</tr>', table, re.S)
    assert len(rows) == 2
    for row in rows:
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        assert re.fullmatch(amount, cells[3]) and re.fullmatch(amount, cells[4]), cells
    terms = page.split('id="pilot-terms">')[1].split("</ul>")[0]
    # The saving with its range, and the extra revenue (no investment is set).
    saved = terms.split('<li id="pilot-saved">')[1].split("</li>")[0]
    assert len(re.findall(amount, saved)) == 3, saved
    assert len(re.findall(rf"<li>[^<:]+ {amount}: ", terms)) == 1, terms


def _simulated(store: SqliteStore, now: float, first_id: int = 100, count: int = 3) -> None:
    """Simulated requests (`simulate --store`), each with a predicted attempt that expected
    0.95 and was not answered: a bin of their own (90 % to 100 %)."""
    with store.transaction() as tx:
        for rid in range(first_id, first_id + count):
            tx.insert(
                "callback_requests",
                {
                    "id": rid,
                    "phone": f"sim:{rid}",
                    "source": "simulate",
                    "status": "unreached",
                    "created_at": now - 7200,
                    "attempts": 1,
                    "planned_by": "predicted",
                    "timezone": "Europe/Copenhagen",
                    "simulated": 1,
                },
            )
            tx.insert(
                "callback_attempts",
                {
                    "id": f"sim-{rid}",
                    "request_id": rid,
                    "phone": f"sim:{rid}",
                    "attempt_no": 1,
                    "started_at": now - 3600,
                    "ended_at": now - 3570,
                    "outcome": "no_answer",
                    "local_weekday": 0,
                    "local_hour": 10,
                    "hours_since_request": 1.0,
                    "policy": "predicted",
                    "chance": 0.95,
                    "node": "simulate",
                },
            )


def _calibration(page: str) -> str:
    return page.split('id="calibration">')[1].split("</table>")[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_calibration_is_real_customers_and_says_what_it_left_out(
    console_db: AsyncStore, store: SqliteStore
) -> None:
    """Simulated attempts were counted in the Model page's calibration without a word."""
    _simulated(store, time.time())
    page = (await console_pages(console_settings("da"), console_db, ["/model"]))["/model"]
    assert "<td>60 % til 70 %</td><td>4</td>" in _calibration(page)  # the seeded real ones
    assert "90 % til 100 %" not in _calibration(page)
    note = page.split('id="calibration-source">')[1].split("</p>")[0]
    assert note == "Kun forsøg til rigtige kunder: 3 simulerede forsøg er ikke talt med."


@pytest.mark.asyncio(loop_scope="session")
async def test_a_calibration_from_simulated_attempts_only_says_so(store: SqliteStore) -> None:
    _simulated(store, time.time())
    db = AsyncStore(store)
    try:
        page = (await console_pages(console_settings("en"), db, ["/model"]))["/model"]
    finally:
        db.close()
    assert "<td>90% to 100%</td><td>3</td>" in _calibration(page)
    note = page.split('id="calibration-source">')[1].split("</p>")[0]
    assert "these figures come from simulated attempts" in note
    heading = page.split("<h2>Calibration")[1].split("</h2>")[0]
    assert 'class="badge simulated"' in heading


def test_an_unset_sms_gateway_with_nothing_waiting_passes_with_a_warning_and_its_fix(
    store: SqliteStore,
) -> None:
    """The Health page said "sms-gateway ok" beside a fix to run; it now says what `doctor`
    says (a warning, whose fix is the gateway or sms.enabled: false:
    tests/test_health_sms_state.py), and no fix beside a plain ok."""
    ok, cause, fix = _check(store, Settings(), "sms-gateway")
    assert ok and cause.startswith("ikke sat op") and "sms.enabled: false" in fix
    ok, cause, fix = _check(store, Settings(sms={"enabled": False}), "sms-gateway")
    assert (ok, fix) == (True, "") and cause.startswith("slået fra med vilje")
    store.execute(
        "INSERT INTO sms_outbox (idempotency_key, phone, body, created_at) "
        "VALUES ('k1', '+4520123401', 'hej', 0)"
    )
    ok, _, fix = _check(store, Settings(), "sms-gateway")
    assert not ok and "sms.gateway_url" in fix


def _one_request(store: SqliteStore, created_at: float) -> None:
    store.insert(
        "callback_requests",
        {
            "id": 1,
            "phone": "+4520123401",
            "source": "bot",
            "status": "pending",
            "created_at": created_at,
            "attempts": 0,
            "timezone": "Europe/Copenhagen",
        },
    )


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("days_ago", "shown"),
    [(3, "Seneste 7 dage: "), (10, "Seneste 30 dage: "), (0, "I dag: ")],
)
async def test_the_overview_opens_on_the_last_7_days_when_today_has_nothing_yet(
    store: SqliteStore, days_ago: int, shown: str
) -> None:
    """It opened on "I dag" with every tile at 0 early on a quiet day; after a quiet
    week (or a demo's simulated month that ended days ago), on the last 30 days."""
    _one_request(store, time.time() - days_ago * 86400)
    db = AsyncStore(store)
    try:
        pages = await console_pages(console_settings("da"), db, ["/", "/?window=today"])
    finally:
        db.close()
    label = pages["/"].split('id="window-label">')[1].split("</span>")[0]
    assert label.startswith(shown), label
    assert ('id="today-empty"' in pages["/"]) == (days_ago > 0)
    assert ("de seneste 30 dage vises" in pages["/"]) == (days_ago > 7)
    assert re.search(r'data-kpi="requests">1<', pages["/"])
    asked = pages["/?window=today"]  # the button still shows today, as asked
    assert 'id="window-label">I dag: ' in asked and 'id="today-empty"' not in asked


@pytest.mark.parametrize("code", available_languages())
def test_each_sentence_for_the_team_lead_replaces_one_to_the_customer(code: str) -> None:
    """explain_lead_X stands in for explain_X on the console: the same placeholders."""
    prompts = load_pack(code).prompts
    lead = [k for k in prompts if k.startswith(LEAD_PREFIX)]
    assert lead
    for key in lead:
        base = "explain_" + key[len(LEAD_PREFIX) :]
        assert base in prompts and prompts[base].placeholders() == prompts[key].placeholders()
    told = about_the_customer(load_pack(code))
    assert told.say("explain_window_kept") == prompts["explain_lead_window_kept"].text
    assert load_pack(code).say("explain_window_kept") == prompts["explain_window_kept"].text
