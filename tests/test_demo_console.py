"""The demo's last step: a simulated month in a database of its own, and a console login
that works with what it prints (and never touches the configured database or secrets)."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from rich.console import Console

from cli import demo_screenshot as screenshot
from cli.demo_console import prepare_demo_console
from spillway import paths
from spillway.config_file import load_settings
from spillway.settings import Settings
from spillway.storage import AsyncStore, open_store
from tests.test_console_auth import _csrf
from web.app import create_web_app

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "spillway.yaml"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_demo_console_opens_on_the_simulated_month_with_the_printed_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(paths={"cache_dir": tmp_path / "cache", "data_dir": tmp_path / "data"})
    real_secrets = paths.secrets_file()
    before = real_secrets.read_bytes() if real_secrets.exists() else None
    out = Console(record=True, width=400)
    demo = prepare_demo_console(settings, out, config_path=CONFIG)
    said = out.export_text()
    assert demo.database.parent == tmp_path / "cache" / "demo-console"
    assert not settings.storage.sqlite_path.exists()  # the configured database: untouched
    after = real_secrets.read_bytes() if real_secrets.exists() else None
    assert after == before  # the real secrets file: untouched
    assert oct(demo.secrets_file.stat().st_mode & 0o777) == "0o600"
    assert demo.command in said and demo.url in said and demo.password in said
    # Serve the console as the printed command does: its environment, its config.
    words = shlex.split(demo.command)
    for word in words:
        if re.fullmatch(r"SPILLWAY_[A-Z_]+=.*", word):
            name, _, value = word.partition("=")
            monkeypatch.setenv(name, value)
    served = load_settings(Path(words[words.index("--config") + 1]), use_default_path=False)
    assert served.storage.sqlite_path == demo.database
    db = open_store(served.storage)
    store = AsyncStore(db)
    url = urlsplit(demo.url)
    try:
        app = create_web_app(served, store)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console"
        ) as client:
            form = await client.get("/login")
            data = {"username": demo.user, "password": demo.password}
            logged = await client.post("/login", data={**data, "csrf_token": _csrf(form.text)})
            assert logged.status_code in (302, 303), logged.text
            overview = await client.get(f"{url.path}?{url.query}")
    finally:
        store.close()
        db.close()
    assert overview.status_code == 200
    assert 'id="simulated-note"' in overview.text
    shown = re.search(r'data-kpi="requests">(\d+)<', overview.text)
    assert shown and int(shown.group(1)) == len(demo.period.requests) > 100


@pytest.mark.skipif(screenshot.missing() is not None, reason=str(screenshot.missing()))
def test_the_demo_screenshot_shows_the_overview_of_the_month(tmp_path: Path) -> None:
    settings = Settings(paths={"cache_dir": tmp_path / "cache", "data_dir": tmp_path / "data"})
    demo = prepare_demo_console(settings, Console(file=io.StringIO()), config_path=CONFIG)
    shot = screenshot.screenshot_overview(
        demo, tmp_path / "overview.png", data_dir=tmp_path / "served", config_path=CONFIG
    )
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert image.width >= 1280
    assert colours is not None and len(colours) > 50, "the screenshot is blank"
