"""What a Danish team lead still met on a third walk through the console, fixed: a
request's plan names the default segment as the page does ("standard", not the stored
"default"), and a closed request's excluded hours speak about the customer, not to them."""

from __future__ import annotations

import re

import pytest

from spillway.storage import AsyncStore
from tests.console_fixtures import console_pages, console_settings


@pytest.mark.asyncio(loop_scope="session")
async def test_a_request_s_plan_names_the_default_segment_as_the_page_does(
    console_db: AsyncStore,
) -> None:
    page = (await console_pages(console_settings("da"), console_db, ["/requests/3"]))["/requests/3"]
    assert "<dd>standard</dd>" in page
    assert "i dette segment (standard)" in page and "(default)" not in page


@pytest.mark.asyncio(loop_scope="session")
async def test_a_closed_request_s_hours_speak_about_the_customer(
    console_db: AsyncStore,
) -> None:
    page = (await console_pages(console_settings("da"), console_db, ["/requests/3"]))["/requests/3"]
    hours = re.findall(r"<li>\d+ t: ([^<]+)</li>", page)
    assert hours and all(not re.search(r"\b(dig|du|vi)\b", h) for h in hours), hours
    assert any("uden at kunden blev nået" in h for h in hours), hours
