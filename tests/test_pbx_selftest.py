"""End to end over the real sandbox Asterisk: AMI originate -> dialplan -> our FastAGI."""

from __future__ import annotations

import asyncio

import pytest

from agi.fastagi import FastAgiServer
from cli.selftest import SelftestRoute, place_selftest_call
from dialplan.sandbox import Sandbox
from spillway.ami import AmiClient
from spillway.errors import PbxError
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]


async def test_call_reaches_fastagi_route_and_reports_back(pbx: PbxHandle) -> None:
    server = FastAgiServer()
    route = SelftestRoute()
    route.install(server)
    await server.start("127.0.0.1", pbx.settings.controller.fastagi_port)
    try:
        result = await place_selftest_call(pbx.ami, route, timeout_s=15)
    finally:
        await server.close()

    # What the route received from Asterisk.
    assert result.channel.startswith("Local/s@spillway-selftest-")
    assert result.params == {"greeting": "hello"}
    assert result.marker and result.marker == result.unique_id  # set from ${UNIQUEID}
    assert result.reply == f"ok:hello:{result.marker}"
    # What Asterisk reported back over AMI after our route set the variable.
    assert result.user_event["Reply"] == result.reply
    assert result.user_event["Status"] == "SUCCESS"
    assert "Newchannel" in result.events


async def test_sandbox_loads_required_modules_and_binds_loopback_only(pbx: PbxHandle) -> None:
    modules = pbx.cli("module show")
    for module in ("res_agi.so", "app_audiosocket.so", "chan_websocket.so", "app_queue.so"):
        assert module in modules
    settings = await pbx.ami.action({"Action": "CoreSettings"})
    assert str(settings["AsteriskVersion"]).startswith("22.")
    http = pbx.cli("http show status")
    assert f"127.0.0.1:{pbx.settings.pbx.http_port}" in http


async def test_a_wrong_secret_never_rewrites_the_running_sandbox(pbx: PbxHandle) -> None:
    """`spillway call` with a mistyped AMI secret starts the sandbox it finds running: that
    must fail with the reason, not rewrite manager_spillway.conf to the bad secret."""
    etc = pbx.sandbox.base / "etc" / "manager_spillway.conf"
    before = etc.read_text()
    wrong = Sandbox(pbx.settings, ami_secret="not-the-secret")
    with pytest.raises(PbxError, match="another AMI secret"):
        await asyncio.to_thread(wrong.start)
    assert etc.read_text() == before
    # Everyone holding the right secret still logs in.
    ami = await AmiClient.connect(pbx.sandbox.ami_endpoint())
    await ami.close()
