"""`spillway callbacks show` says one chance: the customer's of answering at the planned time.

An admin's walkthrough: the card said "answer chance 38%: P(answer) 32% in this hour,
lead value 0.26", two probabilities and two undefined terms. The 38 % was the stored
``plan_pick_share``, how often the policy's draws chose that time (its propensity, for
the pilot's statistics), not a chance of an answer; the 32 % is the customer's. The card
now says that one in words; ``--json`` keeps the raw fields."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from cli.main import app
from scheduler.timing.plan_reason import chance
from spillway.console_text import load_console_text
from spillway.storage import SqliteStore
from tests.test_admin_cli_danish_counts import _env
from tests.test_callbacks_explain import _request


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_card_says_the_customer_s_chance_once_in_words(
    store: SqliteStore, language: str
) -> None:
    text = load_console_text(language)
    request_id = _request(store, "+4520123456")
    store.execute(
        "UPDATE callback_requests SET planned_by = 'predicted', plan_pick_share = 0.38, "
        "plan_reason = ? WHERE id = ?",
        (chance(0.32, 0.26, None).stored(), request_id),
    )
    env = _env(store, language)
    shown = CliRunner().invoke(app, ["callbacks", "show", str(request_id)], env=env)
    assert shown.exit_code == 0, shown.output
    [planned] = [ln for ln in shown.output.splitlines() if text("cli.show.chosen") + ":" in ln]
    assert text("plan_reason.chance", chance=text.percent(0.32)) in planned
    # One chance only: the propensity (38 %) is not said, nor the lead value's 0.26.
    assert re.findall(r"\d+ ?%", planned) == [text.percent(0.32)], planned
    for jargon in ("P(answer)", "lead value", "0.26", "0,26", text.percent(0.38)):
        assert jargon not in planned, jargon
    raw = CliRunner().invoke(app, ["callbacks", "show", str(request_id), "--json"], env=env)
    card = json.loads(raw.stdout)
    found = json.dumps(card)
    assert "0.38" in found and '\\"lead\\": 0.26' in found, found
