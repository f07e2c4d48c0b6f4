"""A request's attempts on the console: a conventional attempt showed "sandsynlighed
100 %" ("probability 100%"), the 1.0 its row stores as the propensity of a rule that
always picks its hour. Conventional timing predicts no chance, so the column says none
("-", the pack's words as its title); a predicted attempt keeps its chance. In both
languages, over tests.pilot_seed's requests (1000: predicted, 0.5; 1010: conventional)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from starlette.testclient import TestClient

from scheduler.timing.choice import predicted_chance
from spillway.console_text import load_console_text
from spillway.storage import AsyncStore
from tests.console_fixtures import PASSWORD, console_settings, seeded_store
from tests.pilot_seed import FIRST_ID

PREDICTED_ID, CONVENTIONAL_ID = FIRST_ID, FIRST_ID + 10


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsyncStore]:
    yield from seeded_store(tmp_path_factory.mktemp("attempt-chance") / "console.db")


def _chances(db: AsyncStore, language: str, request_id: int) -> list[str]:
    """The attempts table's probability cells of ``request_id``, as the admin sees them."""
    from web.app import create_web_app

    client = TestClient(create_web_app(console_settings(language), db), base_url="http://c")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": "ada", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200, page.text[:300]
    table = page.text.split('id="attempts"')[1].split("</table>")[0]
    return [unescape(c) for c in re.findall(r'<td class="probability">(.*?)</td>', table)]


def test_conventional_timing_predicts_no_chance() -> None:
    assert predicted_chance("traditional", 1.0) is None
    assert predicted_chance("shadow", 1.0) is None  # shadow mode dials the conventional plan
    assert predicted_chance("predicted", 0.42) == 0.42
    assert predicted_chance(None, 0.42) == 0.42  # no policy known: as stored


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_conventional_attempt_shows_no_probability(db: AsyncStore, language: str) -> None:
    text = load_console_text(language)
    conventional = _chances(db, language, CONVENTIONAL_ID)
    assert conventional  # the seed gave it attempts
    none = f'<span class="no-chance" title="{text("request.no_chance")}">-</span>'
    assert conventional == [none] * len(conventional)
    assert text.percent(1.0) not in " ".join(conventional)
    predicted = _chances(db, language, PREDICTED_ID)
    assert predicted == [text.percent(0.5)] * len(predicted) and predicted
