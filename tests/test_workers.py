"""Several workers, without sockets: the configuration, the rendered dialplan, what a worker
tells the dialplan (full, its media address) and whose open calls a restart closes."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agi.agi_protocol import AgiRequest
from agi.call_log import CallLog, close_stale_calls
from agi.controller import CallController
from agi.menu_bot import MenuBot
from dialplan.render import render_spillway
from spillway.call import Route
from spillway.config_file import load_settings
from spillway.errors import ConfigError
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore
from spillway.workers import MEDIA_CONNECTION, as_worker, own_worker, passes_on, workers_of
from tests.conftest import make_settings
from tests.fakes import RecordingSink

TWO = [
    {"name": "a", "fastagi": "10.0.0.11:4573"},
    {"name": "b", "fastagi": "10.0.0.12:4574", "media_host": "192.168.5.12",
     "websocket_port": 8765, "audiosocket_port": 9092},
]  # fmt: skip


def _load(tmp_path: Path, yaml: str) -> Any:
    config = tmp_path / "spillway.yaml"
    config.write_text(yaml)
    return load_settings(config)


# -- configuration ---------------------------------------------------------------


def test_workers_are_read_in_order_with_their_media_addresses(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        "pbx:\n  workers:\n"
        "    - {name: a, fastagi: '10.0.0.11:4573'}\n"
        "    - {name: b, fastagi: '10.0.0.12:4574', media_host: 192.168.5.12,"
        " websocket_port: 8765, audiosocket_port: 9092}\n",
    )
    a, b = workers_of(settings)
    assert (a.name, a.agi_url, a.audiosocket) == ("a", "agi://10.0.0.11:4573", "10.0.0.11:19092")
    assert a.websocket_uri == "ws://10.0.0.11:18765/media"
    assert a.media_connection == f"{MEDIA_CONNECTION}-a"
    assert (b.agi_url, b.audiosocket) == ("agi://10.0.0.12:4574", "192.168.5.12:9092")
    assert b.websocket_uri == "ws://192.168.5.12:8765/media"


def test_no_workers_listed_is_the_one_controller() -> None:
    settings = make_settings(controller={"advertise_host": "10.1.1.1", "fastagi_port": 4000})
    (only,) = workers_of(settings)
    assert (only.name, only.agi_url, only.media_connection) == (
        "",
        "agi://10.1.1.1:4000",
        "spillway-media",
    )
    assert own_worker(settings) == only
    assert as_worker(settings) is settings


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: '10.0.0.11'}\n",
            "pbx.workers.0.fastagi = '10.0.0.11': expected host:port",
        ),
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: 'h:1'}\n    - {name: B!, fastagi: 'h:2'}\n",
            "pbx.workers.1.name = 'B!': expected text matching the pattern ^[a-z0-9]",
        ),
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: 'h:1'}\n    - {name: a, fastagi: 'h:2'}\n",
            "pbx.workers.1.name = 'a': expected a name no other worker has",
        ),
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: 'h:1'}\n    - {name: b, fastagi: 'h:1'}\n",
            "pbx.workers.1.fastagi = 'h:1': expected an address no other worker has",
        ),
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: 'h:1'}\n    - {name: b, fastagi: 'h:2'}\n"
            "controller:\n  worker: c\n",
            "controller.worker = 'c': expected one of the names in pbx.workers (a, b)",
        ),
        (
            "controller:\n  worker: c\n",
            "controller.worker = 'c': expected empty: pbx.workers lists no workers",
        ),
        (
            "pbx:\n  workers:\n    - {name: a, fastagi: 'h:1', port: 3}\n",
            "pbx.workers.0.port: unknown key",
        ),
    ],
)
def test_a_bad_worker_line_names_its_key(tmp_path: Path, yaml: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, yaml)
    assert expected in str(caught.value)


def test_a_worker_must_know_which_it_is() -> None:
    settings = make_settings(pbx={"workers": TWO})
    with pytest.raises(ConfigError, match=r"controller.worker = '': expected this worker's name"):
        own_worker(settings)


def test_a_worker_listens_where_its_entry_says() -> None:
    settings = make_settings(
        pbx={"workers": TWO}, controller={"worker": "b", "bind_host": "0.0.0.0"}
    )
    c = as_worker(settings).controller
    assert (c.fastagi_port, c.websocket_port, c.audiosocket_port) == (4574, 8765, 9092)
    assert (c.bind_host, c.advertise_host) == ("0.0.0.0", "192.168.5.12")


def test_passing_on_is_only_for_a_bot_this_worker_cannot_take() -> None:
    assert passes_on(Route.BOT, Route.QUEUE)
    assert passes_on(Route.BOT, Route.OFFER)
    assert not passes_on(Route.BOT, Route.BOT)
    assert not passes_on(Route.QUEUE, Route.QUEUE)  # an agent is free: no other worker helps
    assert not passes_on(Route.CALLBACK, Route.CALLBACK)


# -- the rendered dialplan ---------------------------------------------------------------


def _rendered(**sections: Any) -> dict[str, str]:
    settings = make_settings(**sections)
    return {f.name: f.text for f in render_spillway(settings, ami_secret=None)}


def test_the_dialplan_asks_the_workers_in_order() -> None:
    files = _rendered(pbx={"workers": TWO})
    ext = files["extensions_spillway.conf"]
    ask = ext[ext.index("[spillway-ask]") : ext.index("[spillway-ask-one]")]
    asked = re.findall(r"Gosub\(spillway-ask-one,s,1\((agi://[^,]+),", ask)
    assert asked == ["agi://10.0.0.11:4573", "agi://10.0.0.12:4574"]
    # Each fork asks the workers; what follows goes to the call's own worker.
    for route in ("inbound", "offer", "choice"):
        assert f"Gosub(spillway-ask,s,1({route}" in ext
    for route in ("after-bot", "callback", "hangup"):
        assert f"AGI(${{SPILLWAY_AGI}}/{route}" in ext
    assert "agi://127.0.0.1" not in ext  # no address but the listed workers'
    # The media goes where the worker that took the call said.
    assert "Dial(WebSocket/${SPILLWAY_MEDIA_WS}/" in ext
    assert "AudioSocket(${SPILLWAY_MEDIA_ID},${SPILLWAY_MEDIA_AS})" in ext
    ws = files["websocket_client_spillway.conf"]
    assert re.findall(r"^\[(.+)\]$", ws, re.M) == ["spillway-media-a", "spillway-media-b"]
    assert re.findall(r"^uri = (.+)$", ws, re.M) == [
        "ws://10.0.0.11:18765/media",
        "ws://192.168.5.12:8765/media",
    ]


def test_one_worker_renders_as_before() -> None:
    files = _rendered(controller={"advertise_host": "10.9.9.9", "fastagi_port": 4573})
    ws = files["websocket_client_spillway.conf"]
    assert re.findall(r"^\[(.+)\]$", ws, re.M) == ["spillway-media"]
    assert "Gosub(spillway-ask-one,s,1(agi://10.9.9.9:4573," in files["extensions_spillway.conf"]


# -- what a worker tells the dialplan ---------------------------------------------------------


@dataclass
class FakeAgi:
    """An AGI session as the controller sees it: the request, and the variables it sets."""

    request: AgiRequest
    set: dict[str, str] = field(default_factory=dict)

    async def set_variable(self, name: str, value: str) -> None:
        await asyncio.sleep(0)  # a round trip to Asterisk: other calls run meanwhile
        self.set[name] = value

    async def get_variable(self, name: str) -> str | None:
        return None


def _session(call_id: str, script: str, *args: str) -> Any:
    env = {"agi_uniqueid": call_id, "agi_callerid": "4520000000", "agi_channel": "Local/x"}
    env |= {f"agi_arg_{i}": a for i, a in enumerate(args, 1)}
    return FakeAgi(AgiRequest(env, script))


def _controller(max_bot_calls: int) -> tuple[CallController, RecordingSink]:
    settings = make_settings(
        pbx={"workers": TWO},
        controller={"worker": "b", "max_bot_calls": max_bot_calls},
        queue={"overflow_min_waiting": 0},
    )
    sink = RecordingSink()
    return CallController(settings, None, sink, MenuBot()), sink  # type: ignore[arg-type]


async def test_a_full_worker_says_so_and_lets_the_call_go() -> None:
    controller, _ = _controller(max_bot_calls=1)
    taken = _session("c1", "inbound", "0", "3")
    await controller.inbound(taken)
    assert taken.set["SPILLWAY_ROUTE"] == "bot" and "SPILLWAY_FULL" not in taken.set
    passed = _session("c2", "inbound", "0", "3")
    await controller.inbound(passed)
    assert (passed.set["SPILLWAY_ROUTE"], passed.set["SPILLWAY_FULL"]) == ("queue", "yes")
    assert "c2" not in controller.calls  # the next worker may keep it
    # The menu's key 1 at a full worker: passed on too; other keys are not.
    for digits, full in (("1", True), ("2", False), ("3", False)):
        choice = _session(f"k{digits}", "choice", digits)
        await controller.choice(choice)
        assert ("SPILLWAY_FULL" in choice.set) is full, digits


async def test_calls_arriving_together_never_exceed_the_limit() -> None:
    controller, _ = _controller(max_bot_calls=2)
    sessions = [_session(f"c{i}", "inbound", "0", "3") for i in range(5)]
    await asyncio.gather(*(controller.inbound(s) for s in sessions))
    routes = [s.set["SPILLWAY_ROUTE"] for s in sessions]
    assert routes.count("bot") == 2 and routes.count("queue") == 3
    assert [s.set.get("SPILLWAY_FULL") for s in sessions].count("yes") == 3


async def test_an_agent_free_is_not_passed_on() -> None:
    controller, _ = _controller(max_bot_calls=1)
    session = _session("c1", "inbound", "1", "0")
    await controller.inbound(session)
    assert session.set["SPILLWAY_ROUTE"] == "queue" and "SPILLWAY_FULL" not in session.set


async def test_the_worker_that_takes_the_bot_names_its_own_media_address() -> None:
    controller, _ = _controller(max_bot_calls=2)
    session = _session("c1", "inbound", "0", "3")
    await controller.inbound(session)
    assert session.set["SPILLWAY_MEDIA_WS"] == "spillway-media-b"
    assert session.set["SPILLWAY_MEDIA_AS"] == "192.168.5.12:9092"


async def test_a_call_from_another_worker_is_claimed() -> None:
    controller, sink = _controller(max_bot_calls=2)
    await controller.offer(_session("from-a", "offer"))
    assert sink.claimed == ["from-a"]
    await controller.offer(_session("from-a", "offer"))
    assert sink.claimed == ["from-a"]  # once


# -- calls.worker -------------------------------------------------------------------


async def test_a_restarting_worker_closes_only_its_own_open_calls(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "calls.db")
    store.migrate()
    astore = AsyncStore(store)
    try:
        logs = {name: CallLog(astore, worker=name) for name in ("a", "b")}
        await logs["a"].start("a1", caller="4511", channel="x", transport="websocket")
        await logs["b"].start("b1", caller="4522", channel="x", transport="websocket")
        # a passed b2 on, b took it (either may commit first): b's.
        await logs["b"].start("b2", caller="4533", channel="x", transport="websocket")
        await logs["b"].flush()
        await logs["a"].start("b2", caller="4533", channel="x", transport="websocket", claim=False)
        # a passed b3 on and committed first, b took it: b's too.
        await logs["a"].start("b3", caller="4544", channel="x", transport="websocket", claim=False)
        await logs["a"].flush()
        await logs["b"].start("b3", caller="4544", channel="x", transport="websocket")
        await logs["b"].flush()
        # b1 moved to a (b was full at the offer): a's now.
        await logs["a"].claim("b1")
        await logs["a"].flush()
        closed = close_stale_calls(store, time.time(), "b")
        assert sorted(closed) == ["b2", "b3"]
        open_ids = [r["call_id"] for r in store.query(
            "SELECT call_id FROM calls WHERE ended_at IS NULL ORDER BY call_id")]  # fmt: skip
        assert open_ids == ["a1", "b1"]
        assert sorted(close_stale_calls(store, time.time(), "a")) == ["a1", "b1"]
    finally:
        astore.close()
        store.close()


def test_dialplan_render_takes_the_worker_list(tmp_path: Path, pbx_settings: Settings) -> None:
    from tests.test_dialplan_commands import cli_env, run

    workers = (
        '[{"name": "a", "fastagi": "10.0.0.11:4573"}, {"name": "b", "fastagi": "10.0.0.12:4573"}]'
    )
    env = cli_env(pbx_settings, SPILLWAY_PBX__WORKERS=workers)
    result = run(tmp_path, env, "render", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    ws = (tmp_path / "out" / "websocket_client_spillway.conf").read_text()
    assert re.findall(r"^uri = (.+)$", ws, re.M) == [
        "ws://10.0.0.11:18765/media",
        "ws://10.0.0.12:18765/media",
    ]
    bad = cli_env(pbx_settings, SPILLWAY_PBX__WORKERS='[{"name": "a", "fastagi": "nowhere"}]')
    result = run(tmp_path, bad, "render", "--out", str(tmp_path / "bad"))
    assert isinstance(result.exception, ConfigError)
    assert (
        "pbx.workers.0.fastagi = 'nowhere': expected host:port, e.g. 10.0.0.11:4573 (from "
        "$SPILLWAY_PBX__WORKERS)" in str(result.exception)
    )
