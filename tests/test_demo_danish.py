"""`spillway demo --language da`: the demo in Danish.

The conversation step in Danish (the pack's ``demo_conversation``, answered by
the Danish pack; Rasa pointed at a closed port, so the Danish fallback
answers); a Rasa service that serves another language's model is not used
for Danish, and the demo says so; and `--language da` reaches the demo run.
The spoken Danish call through the sandbox is tests/test_spoken_call_da.py.
The demo narrates in the admin's language (the shop's, unless web.language says
otherwise), and so does `spillway demo seed`.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.backends.demo_data import DEMO_CALLER
from bot.nlu.data import project_dir
from bot.nlu.rasa_service import model_path_for
from cli import demo as demo_module
from cli.commands import pbx as pbx_cmd
from cli.demo import demo_conversation, ensure_nlu_service
from cli.demo_console import prepare_demo_console
from cli.main import app
from dialplan.sandbox import free_port
from spillway.console_text import load_console_text
from tests.conftest import make_settings
from tests.test_demo_conversation import _counts


async def test_the_demo_conversation_in_danish(tmp_path: Path) -> None:
    settings = make_settings(
        storage={"sqlite_path": str(tmp_path / "demo.db")},
        nlu={"rasa_url": f"http://127.0.0.1:{free_port()}"},
        shop={"language": "da"},
    )
    out = io.StringIO()
    assert await demo_conversation(settings, Console(file=out, width=220)) is True
    text = out.getvalue()
    assert "hvor er min pakke" in text and "order_status" in text, text
    # Answered in Danish, the tracking number read in groups.
    assert "GLS" in text and "0 0 3 4, 0 4 3 4" in text, text
    assert "Farvel" in text or "farvel" in text.split("nej tak, farvel")[-1], text
    assert "Goodbye" not in text and "Thank you" not in text
    # The narration is the Danish admin's: the table's head and the outcome in words.
    assert "kunden siger" in text and "botten siger" in text, text
    assert "samtalens udfald: løst" in text, text
    assert "caller says" not in text and "conversation outcome" not in text


@pytest.fixture
def english_rasa() -> Iterator[str]:
    """A /status that serves the English pack's model, as a running `nlu serve` does."""
    model = model_path_for(project_dir("en"), Path("/models")).name

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"model_file": f"/cache/{model}"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def test_an_english_rasa_is_not_used_for_danish(english_rasa: str, tmp_path: Path) -> None:
    out = io.StringIO()
    danish = make_settings(nlu={"rasa_url": english_rasa}, shop={"language": "da"})
    assert await ensure_nlu_service(danish, Console(file=out, width=300)) is False
    said = " ".join(out.getvalue().split())
    assert "ikke sprogpakkens til dansk" in said and "nlu serve --language da" in said, said
    assert "serves another model" not in said
    english = make_settings(nlu={"rasa_url": english_rasa})
    assert await ensure_nlu_service(english, Console(file=io.StringIO())) is True


def test_demo_language_option_reaches_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    async def run_demo(settings: Any, sandbox: Any, console: Any, **_: Any) -> bool:
        seen["language"] = settings.shop.language
        return True

    async def bring_up(sandbox: Any) -> None:
        return None

    monkeypatch.setattr(demo_module, "run_demo", run_demo)
    monkeypatch.setattr(pbx_cmd, "bring_up", bring_up)
    monkeypatch.setattr(pbx_cmd, "sandbox_for", lambda ctx, create_secret: object())
    result = CliRunner().invoke(app, ["demo", "--language", "da"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen == {"language": "da"}


@pytest.mark.parametrize("language", ["da", "en"])
def test_demo_seed_says_what_it_loaded_in_the_admins_language(
    tmp_path: Path, language: str
) -> None:
    """A Danish admin's `spillway demo seed` said "demo data in ...: 5 orders" in English."""
    db = tmp_path / "shop.db"
    env = {"SPILLWAY_STORAGE__SQLITE_PATH": str(db), "SPILLWAY_SHOP__LANGUAGE": language}
    result = CliRunner().invoke(app, ["demo", "seed"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    counts = _counts(db)
    words = load_console_text(language)
    assert said == words(
        "cli.demo_seed.done",
        database=db,
        orders=words.count("cli.demo_seed.orders", counts["orders"]),
        products=words.count("cli.demo_seed.products", counts["products"]),
        customers=words.count("cli.demo_seed.customers", counts["customers"]),
        caller=DEMO_CALLER,
    )
    if language == "da":
        assert said.startswith(f"demodata i {db}: {counts['orders']} ordrer, "), said
        # One demo caller and the other orders' customers: "kunder", not "customers".
        assert f"{counts['customers']} kunder (" in said and "orders" not in said


def test_the_demo_console_step_is_narrated_in_danish(tmp_path: Path) -> None:
    """The demo's last step, for a Danish admin: how to open the console in Danish (the
    command and the login as they must be typed)."""
    settings = make_settings(
        paths={"cache_dir": tmp_path / "cache", "data_dir": tmp_path / "data"},
        shop={"language": "da"},
    )
    out = Console(record=True, width=400)
    demo = prepare_demo_console(settings, out)
    said = out.export_text()
    assert "simulerer en pilotmåned" in said and "konsollen med demoens simulerede" in said
    assert f"åbn derefter {demo.url}" in said
    assert f"og log ind som {demo.user} / {demo.password}" in said
    assert "then open" not in said and "log in as" not in said
