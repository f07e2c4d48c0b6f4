"""No SMS gateway: the bot neither offers nor claims a text message, and the doctor warns.

With ``sms.gateway_url`` unset nothing ever sends the outbox, so "I've sent you the
tracking number by text message" would be untrue. The bot reads the number out
instead, offers a colleague for a return label, and opens a complaint's case without
the photo link; nothing is queued. With a gateway the flows are as before
(tests/test_chat_script*.py replay them with one). `spillway doctor` says WARN (not OK)
with the setting to set, or OK where SMS is off on purpose (``sms.enabled: false``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bot.dialogue.machine import DialogueConfig
from cli.doctor import check_sms
from spillway.storage import SqliteStore
from tests.conftest import make_settings
from tests.test_chat_script import CALLER, SMS_GATEWAY, app
from tests.test_chat_script import seeded_env as seeded_env  # the fixture
from tests.test_dialogue_flows import backends, make, nlu, talk

__all__ = ["backends", "make", "nlu"]  # the fixtures

# What a caller would hear if a text message were offered or claimed, per language.
SMS_WORDS = {"en": ("text message", "sms"), "da": ("sms",)}


@pytest.fixture(scope="module")
def no_gateway_env(
    seeded_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The chat scripts' shop and settings, without the SMS gateway."""
    config = yaml.safe_load(Path(seeded_env["SPILLWAY_CONFIG"]).read_text(encoding="utf-8"))
    assert config["sms"].pop("gateway_url") == SMS_GATEWAY
    path = tmp_path_factory.mktemp("no-sms") / "spillway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return {**seeded_env, "SPILLWAY_CONFIG": str(path)}


def _chat(env: dict[str, str], language: str, lines: list[str]) -> list[dict[str, Any]]:
    script = Path(env["SPILLWAY_CONFIG"]).with_name(f"script-{language}.txt")
    script.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    args = ["chat", "--script", str(script), "--json", "--nlu", "fallback"]
    args += ["--language", language, "--caller-id", CALLER]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


TRACKING = ["offer_order", "order_status", "goodbye"]
RETURN = ["offer_order", "return_eligible_no_sms", "transfer"]
COMPLAINT = ["confirm_complaint", "complaint_case"]

# language, what the caller says, the actions, the outcome, words the bot must say:
# the long tracking number read out in groups, never offered (nor said sent) by SMS; a
# return in the window: the last day said, a colleague offered for the label; a
# complaint: the case opened and handed over, without the photo link.
FLOWS = [
    ("en", ["where is my package", "yes", "no thanks"], TRACKING, "resolved",
     "The tracking number is 0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2."),
    ("da", ["hvor er min pakke", "ja", "nej tak"], TRACKING, "resolved",
     "Trackingnummeret er 0 0 3 4, 0 4 3 4, 1 6 1, 0 9 4, 0 4 2."),
    ("en", ["I want to return my boots", "yes", "yes please"], RETURN, "handoff",
     "I can't send you a return label from here, but a colleague can help you with it."),
    ("da", ["jeg vil gerne returnere mine støvler", "ja", "ja tak"], RETURN, "handoff",
     "Jeg kan ikke sende dig en returlabel herfra, men en kollega kan hjælpe dig med det."),
    ("en", ["my vase arrived broken and I am not happy", "yes"], COMPLAINT, "handoff",
     "Thank you. I've opened case number 1. I'm putting you through"),
    ("da", ["min vase kom i stykker og jeg er ikke glad", "ja"], COMPLAINT, "handoff",
     "Tak. Jeg har oprettet sag nummer 1. Jeg stiller dig nu videre"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "lines", "actions", "outcome", "said"), FLOWS)
def test_without_a_gateway_no_text_message_is_offered_claimed_or_queued(
    no_gateway_env: dict[str, str],
    language: str,
    lines: list[str],
    actions: list[str],
    outcome: str,
    said: str,
) -> None:
    *turns, last = _chat(no_gateway_env, language, lines)
    assert [t["action"] for t in turns] == actions
    assert last["outcome"] == outcome and last["sms"] == []
    spoken = " ".join(" ".join(t["bot"].split()) for t in turns)
    assert said in spoken, spoken
    assert not [w for w in SMS_WORDS[language] if w in spoken.lower()], spoken


@pytest.mark.parametrize(
    ("language", "lines", "offer"),
    [
        ("en", ["where is my package", "yes", "yes please"], "by text message"),
        ("da", ["hvor er min pakke", "ja", "ja tak"], "på sms"),
    ],
)
def test_with_a_gateway_the_tracking_number_is_still_offered_and_sent(
    seeded_env: dict[str, str], language: str, lines: list[str], offer: str
) -> None:
    *turns, last = _chat(seeded_env, language, lines)
    assert [t["action"] for t in turns] == ["offer_order", "order_status", "tracking_sms_sent"]
    assert offer in turns[1]["bot"] and "0 0 3 4" not in turns[1]["bot"]
    assert [m["to"] for m in last["sms"]] == [CALLER]
    assert "00340434161094042" in last["sms"][0]["body"]


async def test_the_dialogue_queues_nothing_without_sms(  # type: ignore[no-untyped-def]
    make, store: SqliteStore
) -> None:
    # The three flows that send one with SMS, in one call each, on the store itself.
    for lines in (
        ["where is my package", "yes", "no thanks"],
        ["I want to return my boots", "yes", "no"],
        ["my vase arrived broken and I am not happy", "yes"],
    ):
        d = make(CALLER, sms=False)
        await talk(d, *lines)
        assert d.sms == []
    assert store.query("SELECT count(*) AS n FROM sms_outbox")[0]["n"] == 0
    assert store.query("SELECT count(*) AS n FROM cases")[0]["n"] == 1


def test_the_dialogue_knows_from_the_settings_whether_a_text_message_is_sent() -> None:
    assert DialogueConfig.from_settings(make_settings()).sms is False
    assert DialogueConfig.from_settings(make_settings(sms={"gateway_url": SMS_GATEWAY})).sms
    off = make_settings(sms={"gateway_url": SMS_GATEWAY, "enabled": False})
    assert DialogueConfig.from_settings(off).sms is False


@pytest.mark.parametrize(
    ("language", "unset", "off", "fix"),
    [
        (
            "en",
            "not configured (sms.gateway_url): callers are offered no text messages",
            "off on purpose (sms.enabled: false): callers are offered no text messages",
            "set sms.gateway_url (and SPILLWAY_SMS__API_TOKEN), then restart `spillway serve` "
            '(see docs/OPERATIONS.md, "Text messages (SMS)")',
        ),
        (
            "da",
            "ikke sat op (sms.gateway_url): kunderne får ikke tilbudt sms'er.",
            "slået fra med vilje (sms.enabled: false): kunderne får ikke tilbudt sms'er",
            "sæt sms.gateway_url (og SPILLWAY_SMS__API_TOKEN), og genstart så `spillway serve` "
            '(se docs/OPERATIONS.md, "Text messages (SMS)")',
        ),
    ],
)
def test_the_doctor_warns_without_a_gateway_unless_sms_is_off(
    store: SqliteStore, language: str, unset: str, off: str, fix: str
) -> None:
    def check(**sms: object) -> Any:
        shop = {"language": language}
        return check_sms(
            make_settings(shop=shop, storage={"sqlite_path": str(store.path)}, sms=sms)
        )

    missing = check()
    assert (missing.ok, missing.warning) == (True, True)
    assert unset in missing.detail and fix in missing.fix
    on_purpose = check(enabled=False)
    assert (on_purpose.ok, on_purpose.warning, on_purpose.fix) == (True, False, "")
    assert off in on_purpose.detail
    configured = check(gateway_url=SMS_GATEWAY)
    assert (configured.ok, configured.warning) == (True, False)
    assert SMS_GATEWAY in configured.detail
    # A message queued with no gateway to send it is a problem, whatever the setting says.
    store.execute(
        "INSERT INTO sms_outbox (idempotency_key, phone, body, created_at) "
        "VALUES ('k', :phone, 'hi', 0)",
        {"phone": CALLER},
    )
    for stuck in (check(), check(enabled=False)):
        assert not stuck.ok and "sms.gateway_url" in stuck.fix
    assert check(gateway_url=SMS_GATEWAY).ok


def test_docs_name_the_section_the_doctor_points_to() -> None:
    docs = Path(__file__).parents[1] / "docs" / "OPERATIONS.md"
    assert "\n## Text messages (SMS)\n" in docs.read_text(encoding="utf-8")
