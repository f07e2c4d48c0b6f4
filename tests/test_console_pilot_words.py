"""The Pilot page as a Danish team lead reads it, fixed (and the same page in English):
it said settings by their configuration names ("callbacks.pilot.roi.investment:
hvad ...", "timeløn (staff_cost_per_hour)", "<code>callbacks.policy</code> er
<code>predicted</code>") where a team lead needs words; now each is said in the pack's
words, its name only a small muted hint for the admin who would change it. Its window
took free text ("5.12.2026" was refused); now it has date inputs, a backwards window
still answers with the page and a note, and the window is written as every page of the
console writes times.

The pages come from Starlette's TestClient, over a seeded database of the module's own,
with ``web.language`` set (the shop's own language is English)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from starlette.testclient import TestClient

from spillway.console_text import ConsoleText, load_console_text
from spillway.settings import Settings
from spillway.storage import AsyncStore
from tests.console_fixtures import PASSWORD, console_settings, seeded_store

HINT = re.compile(r'<small class="admin-hint" title="([^"]*)">(.*?)</small>', re.S)
ROI = "callbacks.pilot.roi"
# Every setting the page names, each after the words that say what it means.
SETTINGS = {
    "callbacks.pilot.evidence",
    # A pilot is on (share 0.5): the page names its share, not callbacks.policy.
    "callbacks.pilot.share_predicted",
    f"{ROI}.lead_value",
    f"{ROI}.investment",
    f"{ROI}.staff_cost_per_hour",
    f"{ROI}.minutes_per_attempt",
    "callbacks.policy: shadow",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsyncStore]:
    yield from seeded_store(tmp_path_factory.mktemp("pilot-words") / "console.db")


def _settings(
    code: str, country: str = "DK", policy: str = "predicted", share: float | None = 0.5
) -> Settings:
    """An English-speaking shop in ``country`` whose console speaks ``code``, running a
    pilot with ``share`` of its requests timed by prediction (None: no pilot)."""
    web = console_settings("en", code).web.model_dump()
    callbacks = {"policy": policy, "pilot": {"share_predicted": share}}
    return Settings(shop={"language": "en", "country": country}, web=web, callbacks=callbacks)


def _pages(settings: Settings, db: AsyncStore, paths: list[str]) -> dict[str, str]:
    """``paths`` as the admin ``ada`` sees them, fetched with Starlette's TestClient."""
    from web.app import create_web_app

    client = TestClient(create_web_app(settings, db), base_url="http://console")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": "ada", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    shown = {}
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        shown[path] = answer.text.split("<main")[1].split("</main>")[0]
    return shown


def _words(html: str) -> str:
    """What a reader sees of ``html``: no tags, entities as their characters, spaces as one."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


@pytest.mark.parametrize("code", ["da", "en"])
@pytest.mark.parametrize("country", ["DK", "DE"])
def test_settings_are_said_in_words_with_their_names_as_hints(
    db: AsyncStore, code: str, country: str
) -> None:
    """A German shop has the warning that the agent's hour is a Danish one, in DKK: its
    settings (the hour, shop.currency) are hints there too."""
    text = load_console_text(code)
    page = _pages(_settings(code, country), db, ["/pilot"])["/pilot"]
    hints = HINT.findall(page)
    titles = {unescape(title) for title, _ in hints}
    assert titles == {text("common.setting_hint_title"), text("common.command_hint_title")}
    said = {_words(hint) for _, hint in hints}
    wanted = SETTINGS | ({"shop.currency"} if country == "DE" else set())
    assert said == {text("common.setting_hint", name=name) for name in wanted} | {
        "spillway report pilot --json"
    }
    rest = HINT.sub("", page)
    assert "<code>" not in rest
    words = _words(rest)
    # No configuration name or stored code left in what the team lead reads.
    assert re.findall(r"\b[a-z]+(?:[._][a-z0-9]+)+\b", words) == [], words
    assert "spillway" not in words
    warning = 'id="pilot-staff-hour-warning"' in page
    assert warning == (country == "DE")


@pytest.mark.parametrize(
    ("code", "staff_hour", "investment"),
    [
        (
            "da",
            "En agenttime koster 350,00 DKK med alle omkostninger (indstilling: "
            f"{ROI}.staff_cost_per_hour); et forsøg tager 6,75 min agenttid",
            "investering ikke angivet: hvad den forudsagte planlægning har kostet (indstilling: "
            f"{ROI}.investment)",
        ),
        (
            "en",
            "An agent's hour costs DKK 350.00, all costs included (setting: "
            f"{ROI}.staff_cost_per_hour); an attempt takes 6.75 min of agent time",
            f"investment not set: what predicted timing has cost (setting: {ROI}.investment)",
        ),
    ],
)
def test_the_money_terms_read_as_words(
    db: AsyncStore, code: str, staff_hour: str, investment: str
) -> None:
    page = _pages(_settings(code), db, ["/pilot"])["/pilot"]
    terms = _words(page.split('id="pilot-terms">')[1].split("</ul>")[0])
    assert staff_hour in terms and investment in terms, terms


@pytest.mark.parametrize(
    ("code", "policy", "said"),
    [
        ("da", "predicted", "Tilbagekald planlægges nu med forudsagt timing (indstilling:"),
        ("da", "traditional", "Tilbagekald planlægges nu efter den konventionelle regel ("),
        ("da", "shadow", "og den forudsagte plan logges ved siden af (skyggetilstand) ("),
        ("en", "predicted", "Callbacks are timed by prediction now (setting: callbacks.policy)."),
        ("en", "traditional", "Callbacks follow the conventional rule now (setting:"),
        ("en", "shadow", "with the predicted plan logged beside it (shadow mode) (setting:"),
    ],
)
def test_the_timing_in_use_is_said_in_words(
    db: AsyncStore, code: str, policy: str, said: str
) -> None:
    page = _pages(_settings(code, policy=policy, share=None), db, ["/pilot"])["/pilot"]
    label = _words(page.split('id="pilot-window-label"')[1].split("</p>")[0])
    assert said in label, label
    assert "traditional" not in label and f"{policy} (" not in label


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (
            "da",
            "En pilot er i gang: 50 % af de nye anmodninger om tilbagekald planlægges med "
            "forudsagt timing, resten efter den konventionelle regel (indstilling: "
            "callbacks.pilot.share_predicted).",
        ),
        (
            "en",
            "A pilot is on: 50% of new callback requests are timed by prediction, the rest by "
            "the conventional rule (setting: callbacks.pilot.share_predicted).",
        ),
    ],
)
def test_a_running_pilot_is_said_rather_than_the_policy(
    db: AsyncStore, code: str, said: str
) -> None:
    """A Danish team lead ran a 50/50 pilot and read "Tilbagekald planlægges nu med
    forudsagt timing (indstilling: callbacks.policy)": the pilot decides, and is said."""
    page = _pages(_settings(code, policy="predicted"), db, ["/pilot"])["/pilot"]
    label = _words(page.split('id="pilot-window-label"')[1].split("</p>")[0])
    assert said in label, label
    text = load_console_text(code)
    assert text("pilot.policy_now.predicted", setting="")[:20] not in label


def _label(page: str) -> str:
    """The window the Pilot page shows, as its label says it."""
    label = page.split('id="pilot-window-label" class="small">')[1].split("</p>")[0]
    return _words(label).split(";")[0]


@pytest.mark.parametrize(
    ("code", "window"),
    [
        (
            "da",
            "Tilbagekald oprettet fra 2026-11-02 00:00 til 2026-11-30 00:00 (Europe/Copenhagen)",
        ),
        ("en", "Requests created from 2026-11-02 00:00 to 2026-11-30 00:00 (Europe/Copenhagen)"),
    ],
)
def test_the_window_is_picked_with_dates_and_a_backwards_one_says_why(
    db: AsyncStore, code: str, window: str
) -> None:
    text: ConsoleText = load_console_text(code)
    good = "/pilot?since=2026-11-02&until=2026-11-30"
    backwards = "/pilot?since=2026-11-30&until=2026-11-02"
    pages = _pages(_settings(code), db, ["/pilot", good, backwards])
    fields = re.findall(r'<input type="(\w+)" name="(\w+)" value="([^"]*)"', pages["/pilot"])
    assert fields == [("date", "since", ""), ("date", "until", "")]
    # As every page of the console writes times (the Overview's window, a request's).
    assert _label(pages[good]) == window
    assert 'id="pilot-bad-window"' not in pages[good]
    note = pages[backwards].split('id="pilot-bad-window">')[1].split("</p>")[0]
    assert note == text("pilot.bad_window")
    # The whole pilot, from its first request (when it was, in brackets).
    start = text("pilot.window", since=text("pilot.start_first", first="@"), until="", zone="")
    assert _label(pages[backwards]).startswith(start.split("@")[0])
    kept = re.findall(r'name="(since|until)" value="([^"]*)"', pages[backwards])
    assert kept == [("since", "2026-11-30"), ("until", "2026-11-02")]  # to correct
