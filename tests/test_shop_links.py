"""The return-label and photo-upload links: config keys, validated at load, used in the SMS.

The conversations run through `spillway chat --script --json` (fallback NLU) against a
database seeded with `spillway demo seed`, with the link templates set the way an operator
would (environment variables).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.commands import chat, demo_seed
from spillway.config_file import load_settings
from spillway.errors import ConfigError

SCRIPTS = Path(__file__).parent / "scripts"
REPO = Path(__file__).resolve().parent.parent
CALLER = "+4520123456"

app = typer.Typer()
app.command("chat")(chat.chat)
app.command("seed")(demo_seed.seed)


def test_defaults_are_documented_and_valid() -> None:
    shipped = load_settings(REPO / "configs" / "spillway.yaml")
    assert shipped.shop.return_label_url == "https://shop.example/returns/{order}"
    assert shipped.shop.photo_upload_url == "https://shop.example/cases/{case}/photos"
    text = (REPO / "configs" / "spillway.yaml").read_text()
    assert "return_label_url:" in text and "photo_upload_url:" in text


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("RETURN_LABEL_URL", "https://s.dk/r/{order_id}", "return_label_url = 'https://s.dk/r/"
         "{order_id}': expected a URL template whose placeholders are {order}, not {order_id}"),
        ("RETURN_LABEL_URL", "https://s.dk/r/{case}", "placeholders are {order}, not {case}"),
        ("PHOTO_UPLOAD_URL", "https://s.dk/{case!r}", "are {case}, {order}, not {case!r}"),
        ("PHOTO_UPLOAD_URL", "https://s.dk/{case", "shop.photo_upload_url = 'https://s.dk/"
         "{case': expected a URL template with {case}, {order} placeholders"),
        ("PHOTO_UPLOAD_URL", "/cases/{case}", "expected an http:// or https:// URL"),
    ],
)  # fmt: skip
def test_a_bad_template_names_its_key(
    key: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"SPILLWAY_SHOP__{key}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings(use_default_path=False)
    assert f"shop.{key.lower()}" in str(caught.value) and message in str(caught.value)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("links") / "shop.db"
    env = {
        "SPILLWAY_STORAGE__SQLITE_PATH": str(db),
        "SPILLWAY_SHOP__RETURN_LABEL_URL": "https://returns.butik.dk/label?o={order}",
        "SPILLWAY_SHOP__PHOTO_UPLOAD_URL": "https://butik.dk/sag/{case}/billeder",
        # A gateway (never reached: chat only queues), or the bot offers no text message.
        "SPILLWAY_SMS__GATEWAY_URL": "http://127.0.0.1:9/sms",
    }
    result = CliRunner().invoke(app, ["seed"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return env


def _script(env: dict[str, str], name: str) -> dict[str, object]:
    args = ["chat", "--script", str(SCRIPTS / f"{name}.txt"), "--json", "--nlu", "fallback"]
    result = CliRunner().invoke(app, [*args, "--caller-id", CALLER], env=env)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)[-1]
    assert isinstance(outcome, dict)
    return outcome


def test_chat_script_sends_the_configured_return_label_link(env: dict[str, str]) -> None:
    outcome = _script(env, "return_eligible")
    assert outcome["sms"] == [
        {
            "to": CALLER,
            "body": "Spillway Demo Shop: your return label for order 10046: "
            "https://returns.butik.dk/label?o=10046",
        }
    ]


def test_chat_script_sends_the_configured_photo_link(env: dict[str, str]) -> None:
    outcome = _script(env, "complaint")
    case = outcome["case_id"]
    assert isinstance(case, str) and case.startswith("CASE-")
    assert outcome["sms"] == [
        {
            "to": CALLER,
            "body": "Spillway Demo Shop: upload photos for case no. "
            f"{case.removeprefix('CASE-')} here: "
            f"https://butik.dk/sag/{case}/billeder",
        }
    ]
