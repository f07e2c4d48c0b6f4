"""A Rasa server trained from another language's pack is not used for the shop's calls.

A team lead whose shop speaks Danish ran `spillway chat --live` against a Rasa
server that an English `spillway nlu serve` had started: "ja" was not
understood, every confirmation was asked again, and the call ended. The engine
now checks the served model once and keeps to the fallback classifier of the
shop's language; `spillway doctor` names the fix.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.nlu.data import project_dir
from bot.nlu.engine import NluEngine
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_model import pack_hashes, served_language, wrong_language
from bot.nlu.rasa_service import model_path_for
from cli.doctor import check_nlu
from tests.conftest import make_settings
from tests.dialogue_fixtures import fallback_model


def _model(language: str) -> str:
    return str(model_path_for(project_dir(language), Path("/cache/models")))


def test_each_pack_s_model_is_recognised_by_its_name() -> None:
    hashes = pack_hashes()
    assert served_language(_model("en"), hashes) == "en"
    assert served_language(_model("da"), hashes) == "da"
    assert served_language("/models/nlu-0000000000000000.tar.gz", hashes) is None  # older data
    assert served_language("/models/20231101-shop.tar.gz", hashes) is None  # trained elsewhere
    assert wrong_language(_model("en"), "da", hashes) == "en"
    assert wrong_language(_model("da"), "da", hashes) is None
    assert wrong_language("/models/20231101-shop.tar.gz", "da", hashes) is None


class _FakeRasa:
    """/status names ``model``; /model/parse answers "affirm" and counts its calls."""

    def __init__(self, model: str) -> None:
        self.parses = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send({"model_file": model})

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.parses += 1
                self._send(
                    {"text": "x", "intent": {"name": "affirm", "confidence": 0.99}, "entities": []}
                )

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def english_rasa() -> Iterator[_FakeRasa]:
    server = _FakeRasa(_model("en"))
    yield server
    server.close()


async def test_a_danish_shop_does_not_use_an_english_rasa(english_rasa: _FakeRasa) -> None:
    fallback = fallback_model("da")
    engine = NluEngine(fallback, RasaClient(english_rasa.url, 2000), language="da")
    try:
        for _ in range(2):
            got = await engine.parse("ja")
            assert (got.name, got.engine) == ("affirm", "fallback")
        assert english_rasa.parses == 0
        assert engine.active_engine == "fallback"
    finally:
        await engine.aclose()


async def test_the_shop_s_own_language_model_is_used(english_rasa: _FakeRasa) -> None:
    fallback = fallback_model("en")
    engine = NluEngine(fallback, RasaClient(english_rasa.url, 2000), language="en")
    try:
        got = await engine.parse("yes")
        assert got.engine != "fallback"
        assert english_rasa.parses == 1
    finally:
        await engine.aclose()


async def test_doctor_names_the_wrong_language_and_the_fix(english_rasa: _FakeRasa) -> None:
    # A Danish shop whose admin reads the CLI in English (web.language).
    danish = make_settings(
        nlu={"rasa_url": english_rasa.url}, shop={"language": "da"}, web={"language": "en"}
    )
    check = await check_nlu(danish)
    assert not check.ok
    assert "'en' pack's model" in check.detail and "shop.language is 'da'" in check.detail
    assert check.fix == "spillway nlu serve --language da"
    assert (await check_nlu(make_settings(nlu={"rasa_url": english_rasa.url}))).ok
